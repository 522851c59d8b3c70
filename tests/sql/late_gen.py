#!/usr/bin/env python3
"""tests/sql/late_gen.py - rows with known lateness for tests/sql/test_late_data.sh.

Usage: late_gen.py CYCLES CSV EXPECTED

Writes CSV rows (id, k, ts) and, independently of sluice, the (row, window) pairs that a
window aggregation drops as late under Flink's rule (a window [start, end) has fired once
end - 1 <= watermark; watermark = the largest rowtime seen - 1 s) for TUMBLE(10 s),
HOP(slide 5 s, size 10 s), SESSION(gap 3 s) and CUMULATE(step 5 s, size 20 s), one line "kind id start end" each.

Each cycle of 100 s: rows every 100 ms from 0 to 60 s, then 2100 rows at 60 s (so that,
whatever the batch boundaries - sluice moves the watermark after each batch, of up to 2048
rows - the watermark is exactly 59 s when the next rows arrive), then rows behind it placed
on the edges of the rule (49.999 s late for TUMBLE, 50 s not; 56.001 s late for SESSION,
56.002 s not; 52 s late for one of its two HOP windows), then rows from 60 s to 80 s. Every
other row comes in rowtime order, so it is late under no batching. The script checks that
the watermark before each out-of-order row is the same for any batch boundaries.
"""
import sys

cycles, csv_path, exp_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = []
EDGE = [40000, 47000, 49999, 50000, 52000, 54999, 55000, 56000, 56001, 56002, 58999, 59000,
        10, 3000, 45000]
for c in range(cycles):
    base = c * 100000
    rows += [(i % 5, base + i * 100) for i in range(600)]
    rows += [(i % 5, base + 60000) for i in range(2100)]
    rows += [(9, base + t) for t in EDGE]
    rows += [(i % 5, base + 60000 + i * 100) for i in range(200)]

DELAY, CAP = 1000, 2048
exp = []
best = None  # the largest rowtime so far
hist = []    # prefix maxima, to check the watermark does not depend on batching
for i, (k, ts) in enumerate(rows):
    wm = None if best is None else best - DELAY
    if best is not None and ts < best:  # out of order: the verdict must not depend on batching
        early = hist[i - CAP - 1] if i - CAP - 1 >= 0 else None
        assert early is not None and early == best, (i, ts)

    def fired(end):
        return wm is not None and end - 1 <= wm

    s = ts - ts % 10000
    if fired(s + 10000):
        exp.append(("tumble", i, s, s + 10000))
    last = ts - ts % 5000
    for st in (last - 5000, last):  # earliest end first
        if fired(st + 10000):
            exp.append(("hop", i, st, st + 10000))
    if fired(ts + 3000):
        exp.append(("session", i, ts, ts + 3000))
    cs = ts - ts % 20000  # CUMULATE(step 5 s, size 20 s): ends after ts up to cs + 20 s
    for e in range(ts - ts % 5000 + 5000, cs + 20001, 5000):
        if fired(e):
            exp.append(("cumulate", i, cs, e))
    best = ts if best is None else max(best, ts)
    hist.append(best)

with open(csv_path, "w") as f:
    for i, (k, ts) in enumerate(rows):
        s, ms = divmod(ts, 1000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        f.write(f"{i},{k},2026-01-01 {h:02d}:{m:02d}:{s:02d}.{ms:03d}\n")
with open(exp_path, "w") as f:
    for e in exp:
        f.write("%s %d %d %d\n" % e)
