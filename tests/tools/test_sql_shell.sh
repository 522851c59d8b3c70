#!/usr/bin/env bash
# tests/tools/test_sql_shell.sh - `sluice sql` driven through a pseudo-terminal
# (tests/tools/sql_shell.py says what it types and expects).
set -uo pipefail
exec python3 "$(dirname "$0")/sql_shell.py"
