#!/usr/bin/env python3
"""tests/sql/q23_reference.py - Nexmark q23 (docs/examples/nexmark/q23.sql: every bid joined
with the person who bid, P.id = B.bidder, and with every auction that person sells,
A.seller = B.bidder; inner joins, so the final state is every such triple) computed
independently of sluice over a file of generated events (`sluice gen nexmark --out`, one JSON
event a line), written as Flink's print connector writes rows (tests/sql/debezium_state.py's
value()), one row a line, sorted: the state tests/sql/test_nexmark_debezium.sh compares the
print run's with.

Usage: q23_reference.py EVENTS.json
"""
import json
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from debezium_state import value  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bids, persons, auctions = [], defaultdict(list), defaultdict(list)
    with open(sys.argv[1], encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            e = json.loads(line)
            t = e['event_type']
            if t == 0:
                persons[e['person']['id']].append(e['person'])
            elif t == 1:
                auctions[e['auction']['seller']].append(e['auction'])
            elif t == 2:
                bids.append(e['bid'])
    rows = []
    for b in bids:
        for p in persons.get(b['bidder'], ()):
            for a in auctions.get(b['bidder'], ()):
                vals = [b['bidder'], b['price'], b['channel'], b['url'], b['extra'],
                        p['id'], p['name'], p['emailAddress'], p['creditCard'], p['city'],
                        p['state'], p['extra'], a['itemName'], a['description'],
                        a['initialBid'], a['reserve'], a['dateTime'], a['expires'],
                        a['seller'], a['category'], a['extra']]
                rows.append(', '.join(value(v) for v in vals))
    for r in sorted(rows):
        print(r)


if __name__ == '__main__':
    main()
