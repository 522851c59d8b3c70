#!/usr/bin/env bash
# tests/tools/test_layers.sh - the tree keeps its layers (tools/check_layers.py): no file
# includes a header of a layer above its own, or of a peer.
src=${SLUICE_SOURCE_DIR:?SLUICE_SOURCE_DIR not set}
exec python3 "$src/tools/check_layers.py" "$src"
