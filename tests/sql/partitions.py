#!/usr/bin/env python3
"""tests/sql/partitions.py - a partitioned filesystem sink's output directory, normalized so
that sluice's and Flink's can be compared (test_flink_oracle.sh).

    partitions.py --gen FILE  writes part_fs.sql's input (CSV rows every 7 s over 3.5 minutes,
                              tags with the characters Flink escapes, an empty one, UTF-8)
    partitions.py DIR  -> sorted lines on stdout:
                          "<folder>\t<row>" for each row of each visible part file
                          "<folder>\t_SUCCESS" for each success file

<folder> is the file's folder below DIR ("dt=2023-11-14/hm=22%3A13"), as written: the
partition folder names, escaping included, are compared byte for byte. Part file names are
left out (Flink's are part-<uuid>-<subtask>-<n>, sluice's part-<worker>-<epoch>), so are
hidden files ('.' - in-progress and pending parts) and other '_' files. Rows are normalized
as rows.py does (CSV, numbers, timestamps).
"""
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rows import field  # noqa: E402


def gen(path):
    tags = ["a/b", "x:y=z", "", "100%", "sp ace", "[q]", "caf\u00e9", "plain", "#h?", "'\"q"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        for i in range(30):
            sec = 12 * 60 + i * 7
            ts = "2023-11-14 22:%02d:%02d.%03d" % (sec // 60, sec % 60, i)
            tag = tags[i % len(tags)]
            quoted = '"' + tag.replace('"', '""') + '"' if tag else ""
            f.write("%d,%s,s%d,2023-11-14,22:%02d,%s\n" % (i, ts, i, sec // 60, quoted))


def main():
    if sys.argv[1] == "--gen":
        gen(sys.argv[2])
        return
    out = []
    root = sys.argv[1]
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        rel = os.path.relpath(dirpath, root)
        for name in files:
            if name == "_SUCCESS":
                out.append(rel + "\t_SUCCESS")
                continue
            if name.startswith((".", "_")):
                continue
            with open(os.path.join(dirpath, name), newline="") as f:
                for row in csv.reader(f):
                    out.append(rel + "\t" + json.dumps([field(v) for v in row]))
    out.sort()
    sys.stdout.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main()
