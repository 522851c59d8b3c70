#!/usr/bin/env python3
"""tests/tools/metrics_check.py - reads what `sluice run --metrics-port` serves with the
Prometheus client library's own parser (python3-prometheus-client,
prometheus_client.parser.text_string_to_metric_families) plus the rules of the text format
0.0.4 the parser lets pass (one group per family, TYPE before the samples, counters named
*_total), and answers the questions tests/tools/test_metrics.sh asks.

  metrics_check.py value FILE NAME [LABEL=VALUE...]   the sum of the matching samples
                                                      (nothing printed: none match)
  metrics_check.py valid FILE                         exit 1 naming what is wrong
  metrics_check.py grows FILE1 FILE2                  every counter (and summary _count,
                                                      _sum) of FILE1 is in FILE2, not lower
  metrics_check.py label FILE NAME LABEL              the values of LABEL, one a line
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

TYPES = {
    'sluice_source_records_total': 'counter',
    'sluice_source_bytes_total': 'counter',
    'sluice_source_bad_records_total': 'counter',
    'sluice_late_records_total': 'counter',
    'sluice_sink_records_total': 'counter',
    'sluice_sink_bytes_total': 'counter',
    'sluice_kafka_consumer_lag_records': 'gauge',
    'sluice_kafka_consumer_offset': 'gauge',
    'sluice_kafka_high_watermark_offset': 'gauge',
    'sluice_workers': 'gauge',
    'sluice_worker_busy_seconds_total': 'counter',
    'sluice_watermark_seconds': 'gauge',
    'sluice_watermark_lag_seconds': 'gauge',
    'sluice_checkpoint_epoch': 'gauge',
    'sluice_checkpoints_total': 'counter',
    'sluice_checkpoints_failed_total': 'counter',
    'sluice_checkpoint_duration_seconds': 'summary',
    'sluice_checkpoint_alignment_seconds': 'summary',
    'sluice_checkpoint_size_bytes': 'gauge',
    'sluice_checkpoint_state_bytes': 'gauge',
    'sluice_operator_state_bytes': 'gauge',
}


def fail(msg):
    print(f'metrics_check: {msg}', file=sys.stderr)
    sys.exit(1)


def strict(text):
    """The format's rules beyond what the parser checks: returns {family: type}."""
    types, order, current = {}, [], None
    for n, line in enumerate(text.split('\n'), 1):
        if not line:
            continue
        m = re.match(r'# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$', line)
        if m:
            kind, name, rest = m.groups()
            if kind == 'TYPE':
                if name in types:
                    fail(f'line {n}: a second TYPE line for {name}')
                if rest not in ('counter', 'gauge', 'summary', 'histogram', 'untyped'):
                    fail(f'line {n}: type {rest!r}')
                if rest == 'counter' and not name.endswith('_total'):
                    fail(f'line {n}: counter {name} does not end in _total')
                types[name] = rest
            if name != current:
                if name in order:
                    fail(f'line {n}: family {name} is not one group')
                order.append(name)
                current = name
            continue
        if line.startswith('#'):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
        if not m:
            fail(f'line {n}: not a sample: {line!r}')
        name = m.group(1)
        fam = name
        if current and types.get(current) == 'summary' and name in (current + '_sum',
                                                                    current + '_count'):
            fam = current
        if fam != current:
            fail(f'line {n}: sample {name} outside its family ({current})')
        if fam not in types:
            fail(f'line {n}: sample {name} before its TYPE line')
    for name, t in TYPES.items():
        if name in types and types[name] != t:
            fail(f'{name} is a {types[name]}, not a {t}')
    return types


def samples(path):
    text = open(path, encoding='utf-8').read()
    strict(text)
    out = []
    try:
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                out.append((s.name, dict(s.labels), s.value, fam.type))
    except Exception as e:  # the parser's own refusal
        fail(f'{path}: the Prometheus parser refuses it: {e}')
    return out


def main():
    cmd = sys.argv[1]
    if cmd == 'valid':
        samples(sys.argv[2])
    elif cmd == 'value':
        want = dict(a.split('=', 1) for a in sys.argv[4:])
        vals = [v for n, labels, v, _ in samples(sys.argv[2]) if n == sys.argv[3] and
                all(labels.get(k) == x for k, x in want.items())]
        if vals:
            s = sum(vals)
            print(int(s) if s == int(s) else s)
    elif cmd == 'label':
        for n, labels, _, _ in samples(sys.argv[2]):
            if n == sys.argv[3]:
                print(labels.get(sys.argv[4], ''))
    elif cmd == 'grows':
        key = lambda n, labels: (n, tuple(sorted(labels.items())))
        before = {key(n, l): v for n, l, v, t in samples(sys.argv[2])
                  if t in ('counter', 'summary')}
        after = {key(n, l): v for n, l, v, t in samples(sys.argv[3])
                 if t in ('counter', 'summary')}
        if not before:
            fail('no counters in the first scrape')
        for k, v in before.items():
            if k not in after:
                fail(f'{k} is gone from the second scrape')
            if after[k] < v:
                fail(f'{k} went down: {v} -> {after[k]}')
    else:
        fail(f'unknown command {cmd}')


if __name__ == '__main__':
    main()
