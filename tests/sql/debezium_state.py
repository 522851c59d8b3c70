#!/usr/bin/env python3
"""tests/sql/debezium_state.py - the final state of a Debezium JSON changelog read from Kafka
by kcat (`kcat -C -J`: one JSON object a line, the record's value in "payload"), written the
way tests/sql/changelog.py writes the final state of a print changelog, so that the two can be
compared line for line (tests/sql/test_nexmark_debezium.sh): each row "v1, v2, ...", sorted.

An envelope's "after" / "before" object gives the row's values in its keys' order (the
table's column order). Values are written as Flink's print connector writes them (Java's
toString): null "null", booleans "true" / "false", integers as they are, strings as they are,
timestamps "YYYY-MM-DD HH:MM:SS.fff" (the SQL standard of 'json.timestamp-format.standard')
as Java's LocalDateTime.toString: "2023-11-14T22:13:20.016", the seconds left out when they
and the fraction are zero, the fraction in groups of three digits; other numbers
(DOUBLE) as Java's Double.toString ("1.5", "1.0E7").

The changelog is folded as a multiset, whatever the order of its records across partitions:
c / r add the "after" row, d takes the "before" row away, u takes "before" away and adds
"after". A row taken away more often than it was added is an error (exit 1), as is an
unknown op or a payload that is not an envelope; records without a payload (tombstones)
are errors too: a debezium-json topic has none.

Usage: debezium_state.py KCAT_FILE
"""
import json
import re
import sys
from collections import Counter
from decimal import Decimal

TS = re.compile(r'^(\d{4}-\d\d-\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?$')


def java_double(v):
    """Java's Double.toString: the shortest digits that read back (Python's repr), in
    scientific notation "d.dddEn" below 1e-3 and from 1e7 on."""
    if v != v:
        return 'NaN'
    if v in (float('inf'), float('-inf')):
        return 'Infinity' if v > 0 else '-Infinity'
    if v == 0 or 1e-3 <= abs(v) < 1e7:
        s = repr(float(v))
        return s if '.' in s else s + '.0'
    sign, digits, exp = Decimal(repr(float(v))).normalize().as_tuple()
    ds = ''.join(map(str, digits))
    return '%s%s.%sE%d' % ('-' if sign else '', ds[0], ds[1:] or '0', len(ds) - 1 + exp)


def value(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return java_double(v)
    if isinstance(v, str):
        m = TS.match(v)
        if not m:
            return v
        date, hh, mm, ss, frac = m.groups()
        out = '%sT%s:%s' % (date, hh, mm)
        ss = ss or '00'
        frac = (frac or '').ljust(9, '0')
        if ss != '00' or int(frac) != 0:
            out += ':' + ss
            if int(frac) != 0:
                if frac[6:] != '000':
                    out += '.' + frac
                elif frac[3:] != '000000':
                    out += '.' + frac[:6]
                else:
                    out += '.' + frac[:3]
        return out
    sys.exit('debezium_state: a value of an unexpected type: %r' % (v,))


def row(obj, where):
    if not isinstance(obj, dict):
        sys.exit('%s: "before" / "after" is not an object: %r' % (where, obj))
    return ', '.join(value(v) for v in obj.values())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    state = Counter()
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            where = '%s:%d' % (path, n)
            rec = json.loads(line)
            payload = rec.get('payload')
            if payload is None:
                sys.exit('%s: a record without a value (a tombstone) in a debezium-json topic' % where)
            env = json.loads(payload)
            op = env.get('op') if isinstance(env, dict) else None
            if op in ('c', 'r'):
                state[row(env.get('after'), where)] += 1
            elif op == 'u':
                state[row(env.get('before'), where)] -= 1
                state[row(env.get('after'), where)] += 1
            elif op == 'd':
                state[row(env.get('before'), where)] -= 1
            else:
                sys.exit('%s: not a Debezium envelope (op %r)' % (where, op))
    neg = [r for r, c in state.items() if c < 0]
    if neg:
        sys.exit('%s: %d rows taken away more often than added, e.g. [%s]' % (path, len(neg), neg[0]))
    for r in sorted(state.elements()):
        print(r)


if __name__ == '__main__':
    main()
