#!/usr/bin/env python3
"""tests/sql/q6_reference.py - the expected rows of docs/examples/nexmark/q6.sql (the average
winning price of each seller's last auctions) over the generated events, computed with plain
Python, independently of sluice, from the definition of an OVER aggregate over an updating
input that docs/sql.md gives ("OVER aggregates over an updating input"):

    q6_reference.py EVENTS.json [DELAY_MS]   -> sorted CSV rows "seller,avg_price" on stdout

The events are taken in file order (one worker's arrival order). Upstream, as Flink defines
them: the regular join auction A, bid B ON A.id = B.auction AND B.dateTime BETWEEN A.dateTime
AND A.expires (either side may come first), then the Top-1 per (id, seller) by price DESC,
ties to the earlier arrival, which emits +I for an auction's first winning bid and -U old,
+U new when a higher bid takes over. The OVER aggregate (AVG(price) OVER (PARTITION BY seller
ORDER BY dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)) takes that changelog:
  * the watermark is the highest event time so far minus DELAY_MS (default 4000: the DDL's),
    moving on after every event;
  * +I / +U: a row at or below the watermark is late (dropped); the others wait until the
    watermark reaches their timestamp, then are processed in (timestamp, arrival) order: the
    row joins its seller's frame state (the last 11 rows processed; the oldest leaves when
    there are 11 already) and is emitted with the average (integer division) of that state;
  * -U / -D: the retracted row leaves: if it waits, it is dropped (never emitted); else an
    equal row (timestamp, price) leaves the seller's frame state if it is still there;
    rows emitted before stand (append-only output).
On stderr: how many retractions hit a waiting row, a frame row, neither, and the late rows.
A retraction of a frame row depends on when the watermark passed (sluice moves it per
batch, this reference per event): test_over_q6.sh requires none for its comparison.
"""
import json
import sys
from collections import defaultdict
from datetime import datetime, timezone


def ts_ms(text):
    d = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return round(d.timestamp() * 1000)


def main():
    path = sys.argv[1]
    delay = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    auctions = {}                  # id -> (start, expires, seller)
    bids_of = defaultdict(list)    # auction id -> bids (price, ts) that came first
    top = {}                       # (id, seller) -> (price, ts): the winning row
    waiting = []                   # [ts, seq, seller, price]
    frames = defaultdict(list)     # seller -> [(ts, price)], oldest first, at most 11
    out = []
    stats = defaultdict(int)
    seq = 0
    wm = None

    def change(kind, seller, price, ts):
        nonlocal seq
        if kind in ("+I", "+U"):
            if wm is not None and ts <= wm:
                stats["late"] += 1
                return
            waiting.append([ts, seq, seller, price])
            seq += 1
            return
        for i, w in enumerate(waiting):  # -U: the earliest equal waiting row
            if w[0] == ts and w[2] == seller and w[3] == price:
                del waiting[i]
                stats["waiting"] += 1
                return
        fr = frames[seller]
        for i in range(len(fr) - 1, -1, -1):
            if fr[i] == (ts, price):
                del fr[i]
                stats["frame"] += 1
                return
        stats["neither"] += 1

    def joined(aid, seller, price, ts):
        cur = top.get((aid, seller))
        if cur is None:
            top[(aid, seller)] = (price, ts)
            change("+I", seller, price, ts)
        elif price > cur[0]:
            top[(aid, seller)] = (price, ts)
            change("-U", seller, cur[0], cur[1])
            change("+U", seller, price, ts)

    def fire(upto):
        ready = sorted(w for w in waiting if w[0] <= upto)
        waiting[:] = [w for w in waiting if w[0] > upto]
        for ts, _, seller, price in ready:
            fr = frames[seller]
            if len(fr) == 11:
                fr.pop(0)
            fr.append((ts, price))
            out.append((seller, sum(p for _, p in fr) // len(fr)))

    maxts = None
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            t = e["event_type"]
            if t == 1:
                a = e["auction"]
                ts = ts_ms(a["dateTime"])
                info = (ts, ts_ms(a["expires"]), a["seller"])
                auctions[a["id"]] = info
                for price, bts in bids_of.get(a["id"], []):
                    if info[0] <= bts <= info[1]:
                        joined(a["id"], info[2], price, bts)
            elif t == 2:
                b = e["bid"]
                ts = ts_ms(b["dateTime"])
                bids_of[b["auction"]].append((b["price"], ts))
                a = auctions.get(b["auction"])
                if a and a[0] <= ts <= a[1]:
                    joined(b["auction"], a[2], b["price"], ts)
            else:
                ts = ts_ms(e["person"]["dateTime"])
            maxts = ts if maxts is None or ts > maxts else maxts
            wm = maxts - delay
            fire(wm)
    fire(float("inf"))
    lines = sorted("%d,%d" % r for r in out)
    sys.stdout.write("".join(l + "\n" for l in lines))
    sys.stderr.write("q6_reference: %d rows; retractions of a waiting row %d, of a frame row "
                     "%d, of neither %d; late rows %d\n"
                     % (len(lines), stats["waiting"], stats["frame"], stats["neither"],
                        stats["late"]))


if __name__ == "__main__":
    main()
