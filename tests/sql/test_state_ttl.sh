#!/usr/bin/env bash
# tests/sql/test_state_ttl.sh - 'table.exec.state.ttl' through `sluice run` (docs/sql.md,
# "State TTL"): a datagen sequence of three rows, one per second of wall time, into a GROUP BY
# of one group with a TTL of 300 ms and mini-batch off. Each row finds the group expired, so
# the group starts over each time: only +I rows, of count 1 (two rows that a stalled machine
# delivers together count 2: what is checked is that nothing is retracted, there are at
# least two +I rows and the counts add up to 3). Without the TTL the same run updates the
# group (-U / +U) up to 3. A bad duration is refused with the SET's position. CPU: two runs of
# about 2 s of wall time each, idle.
set -u
bin=${SLUICE_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat > "$tmp/ttl.sql" <<'SQL'
SET 'table.exec.state.ttl' = '300 ms';
SET 'table.exec.mini-batch.enabled' = 'false';
CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3');
CREATE TABLE o (k BIGINT, c BIGINT) WITH ('connector' = 'print');
INSERT INTO o SELECT id * 0 AS k, COUNT(*) AS c FROM g GROUP BY id * 0;
SQL

if ! timeout -s ABRT 120 "$bin" run "$tmp/ttl.sql" --workers 1 --quiet > "$tmp/got" 2> "$tmp/err"; then
  echo "FAIL: the run with a TTL failed"; cat "$tmp/err"; exit 1
fi
if grep -qv '^+I\[0, [123]\]$' "$tmp/got" || [ "$(wc -l < "$tmp/got")" -lt 2 ] ||
   [ "$(awk -F', ' '{ s += $2 + 0 } END { print s }' "$tmp/got")" != 3 ]; then
  echo "FAIL: with a TTL of 300 ms the group did not start over at each row:"; cat "$tmp/got"; fail=1
fi

sed "s/'300 ms'/'0'/" "$tmp/ttl.sql" > "$tmp/nottl.sql"
if ! timeout -s ABRT 120 "$bin" run "$tmp/nottl.sql" --workers 1 --quiet > "$tmp/got0" 2> "$tmp/err"; then
  echo "FAIL: the run without a TTL failed"; cat "$tmp/err"; exit 1
fi
if ! grep -q '^-U\[0, [12]\]$' "$tmp/got0" || [ "$(tail -n 1 "$tmp/got0")" != "+U[0, 3]" ]; then
  echo "FAIL: without a TTL the group was not updated up to 3:"; cat "$tmp/got0"; fail=1
fi

sed "s/'300 ms'/'soon'/" "$tmp/ttl.sql" > "$tmp/bad.sql"
if "$bin" run "$tmp/bad.sql" --workers 1 --quiet > "$tmp/out" 2>&1 ||
   ! grep -q "bad.sql:1:1: SET 'table.exec.state.ttl' = 'soon': not a duration" "$tmp/out"; then
  echo "FAIL: a bad TTL was not refused with its position:"; cat "$tmp/out"; fail=1
fi
[ $fail = 0 ] && echo "PASS: state TTL through sluice run"
exit $fail
