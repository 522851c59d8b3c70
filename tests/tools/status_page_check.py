#!/usr/bin/env python3
"""tests/tools/status_page_check.py - the checks of tests/tools/test_status_html.sh.

  status_page_check.py dashboard DASHBOARD.json SCRAPE...
      the Grafana dashboard is well formed (a schemaVersion of a current Grafana, a
      Prometheus datasource variable that every panel and query uses, unique panel ids,
      panels inside the 24-column grid and not overlapping) and every metric name its
      queries use is one that the scrapes (Prometheus text from a real run) serve, every
      label its queries group by or name in a legend a label of those metrics; the served
      metrics no panel shows are listed (a note, not a failure)
  status_page_check.py html PAGE JOB LAST_EPOCH_MIN LAST_EPOCH_MAX MEMBER...
      the page of `sluice status --html` names the job, each member, a last committed epoch
      within [MIN, MAX], has inline SVG charts with bars, and no script
  status_page_check.py png SCREENSHOT
      the PNG (read with zlib: 8-bit RGB or RGBA, any filter) is not blank: enough pixels
      differ from the background, enough distinct colours, and the chart's bar colours are
      there (the SVG was rendered)

Exit 0 when every check passes; otherwise each failure on its own line and exit 1.
"""
import json
import re
import struct
import sys
import zlib

FAILS = []


def bad(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


# ---- the dashboard ----------------------------------------------------------------------

def served(paths):
    """{sample name: set of label names} over the scrapes."""
    from prometheus_client.parser import text_string_to_metric_families
    out = {}
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for fam in text_string_to_metric_families(f.read()):
                for s in fam.samples:
                    out.setdefault(s.name, set()).update(s.labels.keys())
    return out


def check_dashboard(path, scrapes):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    have = served(scrapes)
    if not any(n.startswith("sluice_") for n in have):
        bad("the scrapes serve no sluice_ metric")
        return
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 39:
        bad("schemaVersion %r: want that of a current Grafana (39 or later)" % d.get("schemaVersion"))
    tvars = d.get("templating", {}).get("list", [])
    ds = [v for v in tvars if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    if len(ds) != 1:
        bad("want one datasource variable of type prometheus, found %d" % len(ds))
        return
    dsref = "${%s}" % ds[0]["name"]
    for v in tvars:
        if v.get("type") == "query" and (v.get("datasource") or {}).get("uid") != dsref:
            bad("variable %s does not query %s" % (v.get("name"), dsref))
    ids, boxes, used, nq = set(), [], set(), 0
    for p in d.get("panels", []):
        pid, title = p.get("id"), p.get("title")
        if pid in ids:
            bad("panel id %r twice" % pid)
        ids.add(pid)
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] < 0 or g["x"] + g["w"] > 24:
            bad("panel %r: gridPos %r outside the 24 columns" % (title, g))
            continue
        for (x, y, w, h, t) in boxes:
            if g["x"] < x + w and x < g["x"] + g["w"] and g["y"] < y + h and y < g["y"] + g["h"]:
                bad("panels %r and %r overlap" % (t, title))
        boxes.append((g["x"], g["y"], g["w"], g["h"], title))
        if p.get("type") == "row":
            continue
        if (p.get("datasource") or {}).get("uid") != dsref:
            bad("panel %r does not use %s" % (title, dsref))
        if not p.get("targets"):
            bad("panel %r has no query" % title)
        for t in p.get("targets", []):
            nq += 1
            expr = t.get("expr", "")
            if (t.get("datasource") or {}).get("uid") != dsref:
                bad("panel %r query %s does not use %s" % (title, t.get("refId"), dsref))
            names = set(re.findall(r"\b(sluice_[a-z0-9_]+)\b", expr))
            if not names:
                bad("panel %r query %r names no sluice metric" % (title, expr))
            labels = set()
            for n in names:
                used.add(n)
                if n not in have:
                    bad("panel %r: %s is not a metric sluice serves" % (title, n))
                else:
                    labels |= have[n]
            want = set()
            for grp in re.findall(r"\bby\s*\(([^)]*)\)", expr):
                want |= {x.strip() for x in grp.split(",") if x.strip()}
            want |= set(re.findall(r"\{\{\s*([a-zA-Z_]+)\s*\}\}", t.get("legendFormat", "")))
            for m in re.findall(r"\{([^}]*)\}", re.sub(r"\{\{[^}]*\}\}", "", expr)):
                want |= {x.split("=")[0].strip(" !~") for x in m.split(",") if "=" in x}
            for lab in sorted(want - labels if names <= set(have) else ()):
                bad("panel %r: label %r is not a label of %s" % (title, lab, ", ".join(sorted(names))))
    if nq == 0:
        bad("no query at all")
    unshown = sorted(n for n in have if n.startswith("sluice_") and n not in used)
    for n in unshown:
        print("note: %s is served but no panel shows it" % n)
    print("dashboard: %d panels, %d queries, %d metric names%s" %
          (len(ids), nq, len(used), "" if FAILS else ", all served"))


# ---- the page ---------------------------------------------------------------------------

def check_html(path, job, emin, emax, members):
    with open(path, encoding="utf-8") as f:
        h = f.read()
    if not h.startswith("<!DOCTYPE html>"):
        bad("the page does not start with <!DOCTYPE html>")
    if '<span id="job">%s</span>' % job not in h or "<title>sluice job %s</title>" % job not in h:
        bad("the page does not name the job %r" % job)
    for m in members:
        if '<td class="member">%s</td>' % m not in h:
            bad("the page does not name the member %r" % m)
    mo = re.search(r'<b id="last-epoch">(\d+)</b>', h)
    if not mo:
        bad("no last committed epoch on the page")
    elif not int(emin) <= int(mo.group(1)) <= int(emax):
        bad("last committed epoch %s on the page, want %s..%s" % (mo.group(1), emin, emax))
    elif '<td class="n">%s</td>' % mo.group(1) not in h:
        bad("epoch %s is not in the history table" % mo.group(1))
    # the history table: each epoch's records read is the sum of the offsets' increases
    # since the row below (the previous epoch), computed here again from the offsets shown
    hist = re.findall(r'<tr><td class="n">(\d+)</td><td>[^<]*</td><td class="n">[^<]*</td>'
                      r'<td class="n">(\d*)</td><td><code>([^<]*)</code></td></tr>', h)
    if len(hist) < 3:
        bad("%d rows in the epoch history table, want 3 or more" % len(hist))

    def offs(text):
        out = {}
        for item in text.split(","):
            k, _, v = item.rpartition("=")
            if k and v.isdigit():
                out[k] = int(v)
        return out

    for (e, rd, o), (_, _, po) in zip(hist, hist[1:]):
        cur, prev = offs(o), offs(po)
        want = sum(cur[k] - prev[k] for k in cur if k in prev and cur[k] >= prev[k])
        if rd != str(want):
            bad("epoch %s: %r records read on the page, the offsets say %d" % (e, rd, want))
    if re.search(r"<script", h, re.I):
        bad("the page has a script")
    nsvg = h.count("<svg ")
    nrect = h.count("<rect ")
    if nsvg < 5 or nrect < 10:
        bad("%d SVG charts with %d rectangles: too few" % (nsvg, nrect))
    for sec in ("rates", "totals", "lag", "busy", "state", "epochs", "epoch-records"):
        mo2 = re.search(r'<section class="chart[^"]*" id="%s">(.*?)</section>' % sec, h, re.S)
        if not mo2 or "<svg " not in mo2.group(1):
            bad("chart %r has no SVG (%s)" % (sec, "missing" if not mo2 else "no data"))
    print("page: %d bytes, %d SVG charts, %d rectangles, last epoch %s" %
          (len(h), nsvg, nrect, mo.group(1) if mo else "?"))


# ---- the screenshot ---------------------------------------------------------------------

def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("depth %d colour type %d interlace %d: not 8-bit RGB(A)" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_png(path):
    w, h, bpp, rows = read_png(path)
    counts = {}
    for line in rows:
        for x in range(0, len(line), bpp):
            px = line[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    total = w * h
    bg, nbg = max(counts.items(), key=lambda kv: kv[1])
    other = total - nbg

    def near(rgb, tol=24):
        return sum(n for px, n in counts.items() if all(abs(px[i] - rgb[i]) <= tol for i in range(3)))

    blue = near((0x5b, 0x8d, 0xef))
    green = near((0x3f, 0xa3, 0x7a))
    gold = near((0xc9, 0xa2, 0x27))
    print("screenshot: %dx%d, background %s on %.1f%%, %d colours, %.1f%% other pixels, "
          "%d bar-blue, %d busy-green, %d state-gold" % (w, h, bytes(bg).hex(), 100.0 * nbg / total,
                                                          len(counts), 100.0 * other / total,
                                                          blue, green, gold))
    if other < total * 0.03:
        bad("the screenshot is nearly blank: %.2f%% of pixels differ from the background" %
            (100.0 * other / total))
    if len(counts) < 16:
        bad("only %d colours in the screenshot" % len(counts))
    if blue < 200 or green < 50 or gold < 50:
        bad("the charts' bars are not in the screenshot (%d blue, %d green, %d gold pixels)" %
            (blue, green, gold))


def main(argv):
    if len(argv) >= 3 and argv[1] == "dashboard":
        check_dashboard(argv[2], argv[3:])
    elif len(argv) >= 6 and argv[1] == "html":
        check_html(argv[2], argv[3], argv[4], argv[5], argv[6:])
    elif len(argv) == 3 and argv[1] == "png":
        check_png(argv[2])
    else:
        print(__doc__)
        return 2
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
