#!/usr/bin/env bash
# tests/tools/test_sql_shell.sh - `sluice sql` driven through a pseudo-terminal
# (tests/tools/sql_shell.py says what it types and expects); then statements piped in and
# `-f FILE`, which run one by one and stop at the first error with its file position.
set -uo pipefail
bin=${SLUICE_BIN:?}
python3 "$(dirname "$0")/sql_shell.py" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/s.sql" <<'SQL'
CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '2',
  'fields.a.min' = '7', 'fields.a.max' = '7');
SELECT a FROM g;
SELECT b FROM g; SELECT a FROM g;
SQL
cat > "$tmp/want" <<'OUT'
[INFO] Execute statement succeed.
+----+-------------+
| op |           a |
+----+-------------+
| +I |           7 |
| +I |           7 |
+----+-------------+
Received a total of 2 rows
[ERROR] Could not execute SQL statement. Reason:
FILE:4:8: unknown column 'b' (did you mean 'a'?)
  SELECT b FROM g
         ^
OUT
fail=0
for how in pipe file; do
  if [ $how = pipe ]; then
    "$bin" sql --workers 1 < "$tmp/s.sql" > "$tmp/got" 2>&1; rc=$?; name=stdin
  else
    "$bin" sql --workers 1 -f "$tmp/s.sql" > "$tmp/got" 2>&1; rc=$?; name=$tmp/s.sql
  fi
  sed "s|^FILE:|$name:|" "$tmp/want" > "$tmp/want_$how"
  if [ $rc = 1 ] && cmp -s "$tmp/got" "$tmp/want_$how"; then
    echo "ok   $how: statements one by one, the first error ends the run (exit 1)"
  else
    echo "FAIL $how (exit $rc; < got, > wanted):"; diff "$tmp/got" "$tmp/want_$how"; fail=1
  fi
done

# DESCRIBE of a ROW column (one line, as Flink's), a computed column and the watermark
cat > "$tmp/d.sql" <<'SQL'
CREATE TABLE n (k INT NOT NULL, bid ROW<auction BIGINT, p ROW<x INT, y STRING>>,
  ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'datagen');
DESCRIBE n;
SQL
cat > "$tmp/want_d" <<'OUT'
[INFO] Execute statement succeed.
+------+-----------------------------------------------------+-------+-----+--------+----------------------------+
| name |                                                type |  null | key | extras |                  watermark |
+------+-----------------------------------------------------+-------+-----+--------+----------------------------+
|    k |                                                 INT | FALSE |     |        |                            |
|  bid | ROW<`auction` BIGINT, `p` ROW<`x` INT, `y` STRING>> |  TRUE |     |        |                            |
|   ts |                              TIMESTAMP(3) *ROWTIME* |  TRUE |     |        | `ts` - INTERVAL '5' SECOND |
+------+-----------------------------------------------------+-------+-----+--------+----------------------------+
3 rows in set
OUT
"$bin" sql -f "$tmp/d.sql" > "$tmp/got_d" 2>&1
if cmp -s "$tmp/got_d" "$tmp/want_d"; then echo "ok   DESCRIBE: ROW, NOT NULL, rowtime, watermark"; else
  echo "FAIL DESCRIBE (< got, > wanted):"; diff "$tmp/got_d" "$tmp/want_d"; fail=1; fi
exit $fail
