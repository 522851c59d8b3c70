#!/usr/bin/env python3
"""tests/sql/late_check.py - compares a run's late tables with late_gen.py's expectation.

Usage: late_check.py EXPECTED CSV OUT_DIR [SUFFIX]

Reads OUT_DIR/late_t, late_h, late_s, late_c (the CSV part files of tests/sql/late_fs.sql) and checks
that each holds exactly the expected (row, window) pairs, once each, every row whole (its id,
k and ts as in CSV), its reason naming that window, the aggregation's position and the
watermark, and its watermark column equal to the watermark in the reason. Prints the number
of late rows in all; exits 1 with what differs.
"""
import collections
import csv
import glob
import os
import re
import sys
from datetime import datetime, timezone

exp_path, csv_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
src = {}
with open(csv_path) as f:
    for r in csv.reader(f):
        src[int(r[0])] = (r[1], r[2])
want = collections.Counter()
with open(exp_path) as f:
    for line in f:
        kind, i, s, e = line.split()
        want[(kind, int(i), int(s), int(e))] += 1


def ms(text):
    d = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return round(d.timestamp() * 1000) - 1767225600000  # late_gen.py's times are from 2026-01-01


REASON = re.compile(r"^(session )?window \[([^,]+), ([^)]+)\) of the window aggregation at "
                    r"\S*late_fs\.sql:\d+:\d+ fired at watermark (.+)$")
got = collections.Counter()
bad = 0
for kind, table, cols in (("tumble", "late_t", "id,k,ts,why,wm"), ("hop", "late_h", "ts,why,id,wm,k"),
                          ("session", "late_s", "id,k,ts,why,wm"),
                          ("cumulate", "late_c", "id,k,ts,why,wm")):
    names = cols.split(",")
    for part in sorted(glob.glob(os.path.join(out, table, "part-*"))):
        with open(part) as f:
            for r in csv.reader(f):
                row = dict(zip(names, r))
                i = int(row["id"])
                m = REASON.match(row["why"])
                if not m or (m.group(1) is not None) != (kind == "session"):
                    print(f"FAIL {table}: reason {row['why']!r}")
                    bad = 1
                    continue
                if src.get(i) != (row["k"], row["ts"]):
                    print(f"FAIL {table}: row {r} is not source row {i} {src.get(i)}")
                    bad = 1
                if m.group(4) != row["wm"]:
                    print(f"FAIL {table}: watermark column {row['wm']} != reason's {m.group(4)}")
                    bad = 1
                got[(kind, i, ms(m.group(2)), ms(m.group(3)))] += 1
diff = [k for k in sorted(set(want) | set(got)) if want[k] != got[k]]
for key in diff[:20]:
    print(f"FAIL {key}: expected {want[key]} time(s), the late table has {got[key]}")
bad |= bool(diff)
print(sum(got.values()))
sys.exit(bad)
