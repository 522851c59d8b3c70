#!/usr/bin/env python3
"""tools/check_layers.py - the include rules of the tree's layers (docs/architecture.md).

Each folder is a layer; a file may include headers of its own folder and of the layers
below it, never above, and never a peer at the same level:

    0  kernels/         pure compute: libc and intrinsics only
    1  engine/core/     types, batches, errors, memory, rings, state, durable files, faults
    2  io/  coord/      formats, Kafka, generators, snapshots | ZooKeeper and commit stores
    3  engine/plan/     the catalog, the logical plan, SQL source positions
    4  engine/ops/      operators, the expression evaluator, the connector interface
    5  engine/conn/     connectors and their registry
    6  engine/sql/      lexer, parser, binder
    7  engine/exec/     the executor, the checkpoint coordinator and store
    8  engine/api/      libsluice, and include/: its public header (includes nothing)
tools/, bench/ and tests/ are above everything and may include anything.

Prints every violation as "FILE: includes HEADER (layer A -> B)" and exits 1 when there
is one. Usage: tools/check_layers.py [ROOT]
"""
import os
import re
import sys

LAYERS = [('kernels/', 0), ('engine/core/', 1), ('io/', 2), ('coord/', 2),
          ('engine/plan/', 3), ('engine/ops/', 4), ('engine/conn/', 5), ('engine/sql/', 6),
          ('engine/exec/', 7), ('engine/api/', 8), ('include/', 8)]
# the public header is engine/api's own
SAME = {('engine/api/', 'include/')}


def layer(path):
    for prefix, level in LAYERS:
        if path.startswith(prefix):
            return prefix, level
    return None, None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    root = os.path.abspath(root)
    bad = 0
    for prefix, _ in LAYERS:
        for dirpath, _, files in os.walk(os.path.join(root, prefix)):
            for name in sorted(files):
                if not re.search(r'\.(c|h|cc)$', name):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                pf, lf = layer(path)
                if pf is None:
                    continue
                with open(os.path.join(root, path), encoding='utf-8') as f:
                    text = f.read()
                for m in re.finditer(r'^\s*#\s*include\s+"([^"]+)"', text, re.M):
                    inc = m.group(1)
                    pi, li = layer(inc)
                    if pi is None:
                        if pf != 'include/' and not os.path.exists(os.path.join(root, pf, inc)):
                            print(f'{path}: includes "{inc}", outside every layer')
                            bad += 1
                        continue
                    peer = li == lf and pi != pf and (pf, pi) not in SAME
                    if li > lf or peer or pf == 'include/':
                        print(f'{path}: includes {inc} (layer {lf} {pf} -> {li} {pi})')
                        bad += 1
    print(f'layers: {bad} violation(s)')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
