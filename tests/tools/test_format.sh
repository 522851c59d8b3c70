#!/usr/bin/env bash
# tests/tools/test_format.sh - every C/C++ source is formatted as the pinned .clang-format
# says (tools/format.sh --check).
src=${SLUICE_SOURCE_DIR:?SLUICE_SOURCE_DIR not set}
exec bash "$src/tools/format.sh" --check
