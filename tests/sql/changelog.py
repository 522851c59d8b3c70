#!/usr/bin/env python3
"""tests/sql/changelog.py - the final state of a changelog printed by Flink's print connector
(or sluice's, which writes the same lines): applies the rows in order and prints what is left,
sorted, one row a line, without its kind.

    [identifier[:subtask]> ]+I[v1, v2, ...]   adds the row
    ... +U[...]                                adds the row (the value after an update)
    ... -U[...] / -D[...]                      removes one such row (an error when absent)

Only lines whose prefix is IDENT (`--ident IDENT`: "IDENT> " or "IDENT:N> ") count; others
(logs) are skipped. Retract-mode semantics: an update is its -U row followed by its +U row,
so the final multiset does not depend on how the changes were batched, nor on the order of
different keys' changes (each key's own changes stay in order: one subtask prints them).
Exit 1 with a message when a -U / -D retracts a row that is not there.

With `--last-by N` it prints instead, per key (the row's first N values), the last +I / +U
row of that key, none when the key's last row is a -D: the final state of a changelog printed
by a job that was killed and resumed (the resumed run prints every key its replayed input
touches again, with its totals).

Usage: changelog.py --ident IDENT [--last-by N] FILE
"""
import re
import sys
from collections import Counter


def main():
    args = sys.argv[1:]
    last_by = None
    if len(args) == 5 and args[2] == '--last-by':
        last_by = int(args[3])
        del args[2:4]
    if len(args) != 3 or args[0] != '--ident':
        sys.exit(__doc__)
    ident, path = args[1], args[2]
    last = {}
    line_re = re.compile(r'^' + re.escape(ident) + r'(?::\d+)?> ([+-][IUD])\[(.*)\]$')
    state = Counter()
    with open(path, encoding='utf-8', errors='replace') as f:
        for n, line in enumerate(f, 1):
            m = line_re.match(line.rstrip('\n'))
            if not m:
                continue
            kind, row = m.group(1), m.group(2)
            if last_by is not None:
                if kind in ('+I', '+U'):
                    last[tuple(row.split(', ')[:last_by])] = row
                elif kind == '-D':
                    last.pop(tuple(row.split(', ')[:last_by]), None)
                continue
            if kind in ('+I', '+U'):
                state[row] += 1
            else:
                if state[row] <= 0:
                    sys.exit(f'{path}:{n}: {kind} of a row that is not there: [{row}]')
                state[row] -= 1
    if last_by is not None:
        state = Counter(last.values())
    for row in sorted(state.elements()):
        print(row)


if __name__ == '__main__':
    main()
