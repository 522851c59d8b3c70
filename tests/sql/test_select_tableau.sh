#!/usr/bin/env bash
# tests/sql/test_select_tableau.sh - a bare SELECT prints its result as Flink does.
# tests/sql/select_tableau.flink is Flink 1.20.3's own printing of tests/sql/select_tableau.sql
# (`tools/flink.sh run --parallelism 1 tests/sql/select_tableau.sql`: TableResult.print(),
# the tableau of the SQL client - type-derived widths, the op column, <NULL>, values cut
# with "...", wide characters counted twice - ending in "5 rows in set", where the SQL
# client's streaming result, which sluice prints, ends in "Received a total of 5 rows").
# sluice must print the same table: byte for byte at 1 worker, the same rows at 2 workers;
# `sluice sql -f` prints it too, after the CREATE TABLE's "[INFO] Execute statement succeed.".
set -uo pipefail
bin=${SLUICE_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
flink=$here/select_tableau.flink
head -n -1 "$flink" > "$tmp/want"
echo "Received a total of 5 rows" >> "$tmp/want"

if ! "$bin" run "$here/select_tableau.sql" --workers 1 --quiet > "$tmp/got1" 2> "$tmp/err"; then
  echo "FAIL: sluice run"; cat "$tmp/err"; exit 1
fi
if cmp -s "$tmp/got1" "$tmp/want"; then echo "ok   1 worker: Flink's table"; else
  echo "FAIL 1 worker (< sluice, > Flink):"; diff "$tmp/got1" "$tmp/want"; fail=1; fi

"$bin" run "$here/select_tableau.sql" --workers 2 --quiet > "$tmp/got2" 2> "$tmp/err" || {
  echo "FAIL: sluice run --workers 2"; cat "$tmp/err"; exit 1; }
if [ "$(sed -n '1,3p;$p' "$tmp/got2")" = "$(sed -n '1,3p;$p' "$tmp/want")" ] &&
   [ "$(sed '1,3d;$d' "$tmp/got2" | sort)" = "$(sed '1,3d;$d' "$tmp/want" | sort)" ]; then
  echo "ok   2 workers: the same rows"
else
  echo "FAIL 2 workers:"; diff "$tmp/got2" "$tmp/want"; fail=1
fi

"$bin" sql -f "$here/select_tableau.sql" --workers 1 > "$tmp/got3" 2> "$tmp/err" || {
  echo "FAIL: sluice sql -f"; cat "$tmp/err"; exit 1; }
{ echo "[INFO] Execute statement succeed."; cat "$tmp/want"; } > "$tmp/want3"
if cmp -s "$tmp/got3" "$tmp/want3"; then echo "ok   sluice sql -f: the same"; else
  echo "FAIL sluice sql -f:"; diff "$tmp/got3" "$tmp/want3"; fail=1; fi

# an empty result: the header, no closing border, "Received a total of 0 row" (Flink's
# CliTableauResultView prints the border only after rows, and "row" unless more than one)
printf "CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '0');\nSELECT a FROM g;\n" > "$tmp/empty.sql"
"$bin" run "$tmp/empty.sql" --quiet > "$tmp/got4" 2>&1
printf '+----+-------------+\n| op |           a |\n+----+-------------+\nReceived a total of 0 row\n' > "$tmp/want4"
if cmp -s "$tmp/got4" "$tmp/want4"; then echo "ok   empty result"; else
  echo "FAIL empty result:"; diff "$tmp/got4" "$tmp/want4"; fail=1; fi

# two bare SELECTs in one script: refused with the place of the second
printf "CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');\nSELECT a FROM g;\nSELECT a FROM g;\n" > "$tmp/two.sql"
if "$bin" run "$tmp/two.sql" --quiet > "$tmp/out5" 2>&1 || ! grep -q "two.sql:3:1: a second bare SELECT" "$tmp/out5"; then
  echo "FAIL two SELECTs:"; cat "$tmp/out5"; fail=1
else echo "ok   a second SELECT is refused"; fi
exit $fail
