#!/usr/bin/env python3
"""tests/sql/changelog_fold.py - the final state of a changelog, computed independently of
sluice: a small decoder of the three encodings sluice writes, folded into the rows that are
left, one per line ("v1,v2,..."), sorted. Used by tests/sql/test_kafka_changelog.sh.

  changelog_fold.py print FILE...          Flink's print lines "+I[a, 1]" ("N> " or an
                                           identifier before them is dropped)
  changelog_fold.py debezium COLS PATH...  Debezium JSON envelopes, one a line (files, or
                                           directories of part files); COLS = "k,n,s"
  changelog_fold.py kcat-debezium COLS FILE  kcat -J lines: each payload an envelope
  changelog_fold.py kcat-upsert COLS FILE  kcat -J lines of an upsert topic: the last value
                                           of every key wins, a tombstone (payload null)
                                           deletes the key

A changelog is folded as a multiset (+I/+U add a row, -U/-D take one away), so the order of
records across Kafka partitions does not matter; a row taken away more often than it was
added, or left more than once, is an error (exit 1): a changelog that does not add up.
"""
import json
import os
import sys
from collections import Counter


def text(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def row_of(obj, cols):
    return ",".join(text(obj.get(c)) for c in cols)


def lines_of(paths):
    for p in paths:
        files = [p]
        if os.path.isdir(p):
            files = sorted(os.path.join(p, f) for f in os.listdir(p) if not f.startswith("."))
        for f in files:
            with open(f, encoding="utf-8") as fh:
                for line in fh:
                    line = line.rstrip("\n")
                    if line:
                        yield line


def fold_envelope(state, env, cols):
    op = env.get("op")
    if op in ("c", "r"):
        state[row_of(env["after"], cols)] += 1
    elif op == "u":
        state[row_of(env["before"], cols)] -= 1
        state[row_of(env["after"], cols)] += 1
    elif op == "d":
        state[row_of(env["before"], cols)] -= 1
    else:
        sys.exit("changelog_fold: unknown op %r" % (op,))


def finish(state):
    bad = {r: c for r, c in state.items() if c < 0 or c > 1}
    if bad:
        sys.exit("changelog_fold: the changelog does not add up: %r" % (bad,))
    for r in sorted(r for r, c in state.items() if c == 1):
        print(r)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    state = Counter()
    if mode == "print":
        for line in lines_of(args):
            i = line.find("[")
            if i < 2 or not line.endswith("]"):
                continue
            kind = line[i - 2:i]
            vals = line[i + 1:-1].split(", ")
            if kind not in ("+I", "-U", "+U", "-D"):
                continue
            state[",".join(vals)] += 1 if kind in ("+I", "+U") else -1
        finish(state)
    elif mode == "debezium":
        cols = args[0].split(",")
        for line in lines_of(args[1:]):
            fold_envelope(state, json.loads(line), cols)
        finish(state)
    elif mode == "kcat-debezium":
        cols = args[0].split(",")
        for line in lines_of(args[1:]):
            rec = json.loads(line)
            if rec.get("payload") is not None:  # Debezium's tombstones carry nothing
                fold_envelope(state, json.loads(rec["payload"]), cols)
        finish(state)
    elif mode == "kcat-upsert":
        cols = args[0].split(",")
        last = {}
        for line in lines_of(args[1:]):
            rec = json.loads(line)
            if rec.get("key") is None:
                sys.exit("changelog_fold: an upsert record without a key: %s" % line)
            if rec.get("payload") is None:
                last.pop(rec["key"], None)
            else:
                last[rec["key"]] = row_of(json.loads(rec["payload"]), cols)
        for r in sorted(last.values()):
            print(r)
    else:
        sys.exit("changelog_fold: unknown mode %r" % mode)


if __name__ == "__main__":
    main()
