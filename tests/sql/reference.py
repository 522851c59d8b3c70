#!/usr/bin/env python3
"""tests/sql/reference.py - the expected results of the test queries, computed from the
generated events with plain Python, independently of sluice.

    reference.py QUERY EVENTS.json [CAMPAIGNS.csv]   -> sorted CSV rows on stdout

QUERY: q0 q1 q2 q5 q11 session cumulate tumble_stats hop_count cascade_tumble cascade_hop
q15_window q16_window q12 q13 ysb. Rows are printed as sluice's CSV encoder writes
them (docs/formats.md): BIGINT as digits, DECIMAL with its scale's digits, TIMESTAMP(3) as
'yyyy-MM-dd HH:mm:ss.SSS' (UTC), strings as RFC 4180 fields.
"""
import csv
import io
import json
import sys
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal


def ts_ms(text):
    """'yyyy-MM-dd HH:mm:ss.SSS' (UTC) -> epoch milliseconds."""
    d = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return int(d.timestamp() * 1000 + 0.5) if d.microsecond else int(d.timestamp()) * 1000


def ts_text(ms):
    d = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ms % 1000)


def bids(path):
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e["event_type"] == 2:
                yield e["bid"]


def tumble_start(ts, size):
    return ts - (ts % size)


def sessions(pairs, gap):
    """(key, ts) pairs -> {(key, start, end): [ts...]}: a row's window [ts, ts + gap) merges
    with every window of its key that it intersects or touches (Flink's MergingWindowSet)."""
    by_key = defaultdict(list)
    for k, ts in pairs:
        by_key[k].append(ts)
    out = {}
    for k, tss in by_key.items():
        tss.sort()
        cur = []
        end = None
        for ts in tss:
            if cur and ts > end:
                out[(k, cur[0], end)] = cur
                cur = []
            end = ts + gap if not cur else max(end, ts + gap)
            cur.append(ts)
        out[(k, cur[0], end)] = cur
    return out


def main():
    query, events = sys.argv[1], sys.argv[2]
    rows = []
    if query == "q0":
        for b in bids(events):
            rows.append([b["auction"], b["bidder"], b["price"], b["dateTime"], b["extra"]])
    elif query == "q1":
        for b in bids(events):
            price = (Decimal("0.908") * Decimal(b["price"])).quantize(Decimal("0.001"))
            rows.append([b["auction"], b["bidder"], str(price), b["dateTime"], b["extra"]])
    elif query == "q2":
        for b in bids(events):
            if b["auction"] % 123 == 0:
                rows.append([b["auction"], b["price"]])
    elif query == "tumble_stats":
        acc = defaultdict(lambda: [0, 0, None])
        for b in bids(events):
            w = tumble_start(ts_ms(b["dateTime"]), 10000)
            a = acc[(b["auction"], w)]
            a[0] += 1
            a[1] += b["price"]
            a[2] = b["price"] if a[2] is None else max(a[2], b["price"])
        for (auction, w), (n, s, m) in acc.items():
            rows.append([auction, ts_text(w), n, s, m])
    elif query == "hop_count":
        size, slide = 10000, 2000
        acc = defaultdict(int)
        for b in bids(events):
            ts = ts_ms(b["dateTime"])
            last = ts - (ts % slide)
            start = last
            while start > ts - size:
                acc[(b["auction"], start)] += 1
                start -= slide
        for (auction, w), n in acc.items():
            rows.append([auction, n, ts_text(w), ts_text(w + size)])
    elif query in ("q5", "cascade_hop", "cascade_tumble"):
        # cascaded window aggregations over bid counts per auction and window: q5 (HOP 10 s
        # by 2 s; the auctions whose count is the window's highest), cascade_hop_fs.sql (the
        # same windows: auctions with more than one bid and the highest count) and
        # cascade_tumble_fs.sql (TUMBLE 10 s: the highest count, their sum, the auctions)
        size, slide = (10000, 10000) if query == "cascade_tumble" else (10000, 2000)
        acc = defaultdict(int)
        for b in bids(events):
            ts = ts_ms(b["dateTime"])
            start = ts - (ts % slide)
            while start > ts - size:
                acc[(b["auction"], start)] += 1
                start -= slide
        per = defaultdict(list)
        for (auction, w), n in acc.items():
            per[w].append((auction, n))
        for w, an in per.items():
            top = max(n for _, n in an)
            if query == "q5":
                rows += [[a, n] for a, n in an if n >= top]
            elif query == "cascade_tumble":
                rows.append([ts_text(w), ts_text(w + size), top, sum(n for _, n in an), len(an)])
            else:
                many = [n for _, n in an if n > 1]
                if many:
                    rows.append([ts_text(w), ts_text(w + size), len(many), max(many)])
    elif query in ("q15_window", "q16_window"):
        # tests/sql/q15_window_fs.sql and q16_window_fs.sql: per 10 s window (and channel for
        # q16) counts by price range, DISTINCT bidders / auctions with and without FILTER
        ranks = [lambda p: True, lambda p: p < 10000, lambda p: 10000 <= p < 1000000,
                 lambda p: p >= 1000000]
        groups = defaultdict(list)
        for b in bids(events):
            w = tumble_start(ts_ms(b["dateTime"]), 10000)
            key = (w,) if query == "q15_window" else (b["channel"], w)
            groups[key].append(b)
        for key, bs in groups.items():
            row = list(key[:-1]) + [ts_text(key[-1])]
            row += [sum(1 for b in bs if r(b["price"])) for r in ranks]
            row += [len({b["bidder"] for b in bs if r(b["price"])}) for r in ranks]
            row += [len({b["auction"] for b in bs if r(b["price"])}) for r in ranks]
            if query == "q15_window":
                prices = {b["price"] for b in bs}
                cheap = [b["price"] for b in bs if b["price"] < 10000]
                row += [len({b["channel"] for b in bs}), sum(prices),
                        sum(prices) // len(prices), sum(cheap) if cheap else "",
                        min(prices), max(cheap) if cheap else "",
                        len({b["auction"] for b in bs
                             if b["channel"] == "Google" and b["price"] < 10000})]
            rows.append(row)
    elif query == "q12":
        # processing-time windows: which window a bid lands in depends on the clock, so
        # only each bidder's total over all windows is deterministic (q12_totals.py)
        acc = defaultdict(int)
        for b in bids(events):
            acc[b["bidder"]] += 1
        for bidder, n in acc.items():
            rows.append([bidder, n])
    elif query == "q13":
        # the side input of Nexmark's SideInputGenerator: key i has value str(i), 0..9999
        for b in bids(events):
            rows.append([b["auction"], b["bidder"], b["price"], b["dateTime"],
                         str(b["auction"] % 10000)])
    elif query in ("q11", "session"):
        gap = 10000 if query == "q11" else 2000
        price = defaultdict(list)
        pairs = []
        for b in bids(events):
            ts = ts_ms(b["dateTime"])
            pairs.append((b["bidder"], ts))
            price[(b["bidder"], ts)].append(b["price"])
        for (bidder, s, e), tss in sessions(pairs, gap).items():
            if query == "q11":
                rows.append([bidder, len(tss), ts_text(s), ts_text(e)])
                continue
            ps = [p for ts in sorted(set(tss)) for p in price[(bidder, ts)]]
            rows.append([bidder, len(ps), sum(ps), min(ps), max(ps), ts_text(s), ts_text(e)])
    elif query == "cumulate":
        size, step = 10000, 2000
        acc = defaultdict(list)
        for b in bids(events):
            ts = ts_ms(b["dateTime"])
            start = tumble_start(ts, size)
            end = tumble_start(ts, step) + step
            while end <= start + size:
                acc[(b["channel"], start, end)].append(b["price"])
                end += step
        for (channel, s, e), ps in acc.items():
            # AVG of a BIGINT: the sum divided in long arithmetic (prices are positive)
            rows.append([channel, len(ps), sum(ps), min(ps), max(ps), sum(ps) // len(ps),
                         ts_text(s), ts_text(e)])
    elif query == "ysb":
        campaign = {}
        with open(sys.argv[3]) as f:
            for ad, camp in csv.reader(f):
                campaign[ad] = camp
        acc = defaultdict(int)
        with open(events) as f:
            for line in f:
                e = json.loads(line)
                if e["event_type"] != "view" or e["ad_id"] not in campaign:
                    continue
                w = tumble_start(int(e["event_time"]), 10000)
                acc[(campaign[e["ad_id"]], w)] += 1
        for (camp, w), n in acc.items():
            rows.append([camp, ts_text(w), n])
    else:
        sys.exit("unknown query " + query)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for r in rows:
        writer.writerow([str(v) for v in r])
    lines = out.getvalue().splitlines()
    lines.sort()
    sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))


if __name__ == "__main__":
    main()
