#!/usr/bin/env python3
"""tests/sql/rows.py - the rows of a filesystem sink's output directory, normalized so that
sluice's and Flink's CSV writers can be compared row for row (test_flink_oracle.sh).

    rows.py DIR      -> one normalized row per line, sorted, on stdout

Every file of DIR whose name does not start with '.' or '_' (Flink's in-progress files and
markers) is read as RFC 4180 CSV, so quoting does not matter (Flink's csv writer quotes
TIMESTAMP text, sluice's quotes only what needs it). Each field is then normalized:

* a number (digits, optional fraction, optional exponent) is written as the shortest plain
  decimal of the same value: Flink writes DECIMAL through BigDecimal without the trailing
  zeros of its scale (0.908 * 250 as 227, 425593.220 as 425593.22), sluice writes every
  digit of the scale (227.000); both are the same DECIMAL(23, 3) value;
* a timestamp (yyyy-MM-dd HH:mm[:ss[.fff...]], ' ' or 'T') is written as
  yyyy-MM-dd HH:mm:ss.SSS: Flink's writers drop the trailing zeros of the fraction
  (22:13:20 for 22:13:20.000), sluice writes all three digits.

A VARCHAR that merely looks like a number or a timestamp is normalized the same way on both
sides; the queries compared write no such text where the difference could matter.
"""
import csv
import json
import os
import re
import sys
from decimal import Decimal, InvalidOperation

NUM = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
TS = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?$")


def field(v):
    m = TS.match(v)
    if m:
        frac = (m.group(4) or "")[:3].ljust(3, "0")
        return "%s %s:%s.%s" % (m.group(1), m.group(2), m.group(3) or "00", frac)
    if NUM.match(v):
        try:
            d = Decimal(v)
        except InvalidOperation:
            return v
        if d == 0:
            return "0"
        return format(d.normalize(), "f")
    return v


def main():
    out = []
    root = sys.argv[1]
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        for name in files:
            if name.startswith((".", "_")):
                continue
            with open(os.path.join(dirpath, name), newline="") as f:
                for row in csv.reader(f):
                    out.append(json.dumps([field(v) for v in row]))
    out.sort()
    sys.stdout.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main()
