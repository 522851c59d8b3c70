#!/usr/bin/env bash
# tests/sql/test_udf.sh - user-defined functions through `sluice run` (docs/udf.md): the
# Nexmark count_char found on the default UDF path (udf/ next to the program) at 1 and 2
# workers, its counts checked against an independent count in Python of the same CSV input;
# a library given with --udf-path and with SET 'sluice.udf.path'; load and run-time errors
# with the SQL position; `sluice explain` showing the call. (count_char against Flink itself
# is tests/sql/udf_fs.sql in test_flink_oracle.sh.)
set -u
bin=${SLUICE_BIN:?}
build=${SLUICE_BUILD_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
lib=$build/tests/udf/udf_testlib.so
[ -f "$lib" ] || { echo "FAIL: $lib is not built"; exit 1; }

# input: id, s (some empty, some NULL - an empty CSV field - and multi-byte text)
python3 - "$tmp/in.csv" <<'PY'
import random, sys
rnd = random.Random(7)
words = ['', 'abc', 'cccc', 'écé', 'c', 'Cc', 'xyz', 'a,c', 'cc"c']
with open(sys.argv[1], 'w', encoding='utf-8') as f:
    for i in range(500):
        w = rnd.choice(words) * rnd.randint(0, 4)
        if i % 17 == 0:
            f.write('%d,\n' % i)  # NULL
        else:
            f.write('%d,"%s"\n' % (i, w.replace('"', '""')))
PY
cat > "$tmp/q.sql" <<'SQL'
CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar';
CREATE TABLE t (id BIGINT, s STRING) WITH (
  'connector' = 'filesystem', 'path' = '${IN}', 'format' = 'csv');
CREATE TABLE o (id BIGINT, n BIGINT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO o SELECT id, count_char(s, 'c') FROM t;
SQL
python3 - "$tmp/in.csv" > "$tmp/want" <<'PY'
import csv, sys
# Nexmark's CountChar: bytes of s equal to the first byte of 'c'; NULL s (empty field) -> 0
for row in csv.reader(open(sys.argv[1], encoding='utf-8')):
    print('%s,%d' % (row[0], row[1].encode().count(b'c')))
PY
LC_ALL=C sort -o "$tmp/want" "$tmp/want"
for w in 1 2; do
  if ! "$bin" run "$tmp/q.sql" --set IN="$tmp/in.csv" --set OUT="$tmp/out$w" --workers $w \
    --quiet > "$tmp/log" 2>&1; then
    echo "FAIL count_char workers=$w"; cat "$tmp/log"; fail=1; continue
  fi
  cat "$tmp/out$w"/part-* | LC_ALL=C sort > "$tmp/got"
  if cmp -s "$tmp/got" "$tmp/want"; then
    echo "ok   count_char workers=$w ($(wc -l < "$tmp/got") rows)"
  else
    echo "FAIL count_char workers=$w:"; diff "$tmp/got" "$tmp/want" | head; fail=1
  fi
done

# --udf-path FILE (and a directory) with a function of the test library; SET 'sluice.udf.path'
cat > "$tmp/shout.sql" <<'SQL'
CREATE TEMPORARY SYSTEM FUNCTION shout AS 'test.shout' LANGUAGE C;
CREATE TABLE t (id BIGINT, s STRING) WITH (
  'connector' = 'filesystem', 'path' = '${IN}', 'format' = 'csv');
CREATE TABLE o (id BIGINT, s STRING) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO o SELECT id, shout(s) FROM t WHERE id < 3;
SQL
printf '0,abc\n1,null\n2,\n' > "$tmp/small.csv"
for p in "$lib" "$(dirname "$lib")"; do
  rm -rf "$tmp/o"
  if "$bin" run "$tmp/shout.sql" --udf-path "$p" --set IN="$tmp/small.csv" --set OUT="$tmp/o" \
    --workers 2 --quiet > "$tmp/log" 2>&1 &&
    [ "$(cat "$tmp/o"/part-* | LC_ALL=C sort | tr '\n' ' ')" = "0,ABC! 1, 2, " ]; then
    echo "ok   --udf-path $(basename "$p")"
  else
    echo "FAIL --udf-path $p:"; cat "$tmp/log"; cat "$tmp/o"/part-* 2>/dev/null; fail=1
  fi
done
{ printf "SET 'sluice.udf.path' = '%s';\n" "$lib"; cat "$tmp/shout.sql"; } > "$tmp/shout_set.sql"
if "$bin" explain "$tmp/shout_set.sql" --set IN=x --set OUT=y > "$tmp/log" 2>&1 && grep -q 'shout(s)' "$tmp/log"; then
  echo "ok   SET 'sluice.udf.path', explain"
else
  echo "FAIL SET 'sluice.udf.path' / explain:"; cat "$tmp/log"; fail=1
fi

# a BOOLEAN UDF as the WHERE predicate itself (the evaluator's filter path), 2 workers
cat > "$tmp/pred.sql" <<'SQL'
CREATE FUNCTION is_null AS 'test.is_null';
CREATE TABLE t (id BIGINT, s STRING) WITH (
  'connector' = 'filesystem', 'path' = '${IN}', 'format' = 'csv');
CREATE TABLE o (id BIGINT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO o SELECT id FROM t WHERE is_null(CASE WHEN id % 2 = 1 THEN NULL ELSE 'x' END);
SQL
if "$bin" run "$tmp/pred.sql" --udf-path "$lib" --set IN="$tmp/in.csv" --set OUT="$tmp/op" \
  --workers 2 --quiet > "$tmp/log" 2>&1 &&
  [ "$(cat "$tmp/op"/part-* | LC_ALL=C sort -n | tr '\n' ' ')" = \
    "$(seq 1 2 499 | tr '\n' ' ')" ]; then
  echo "ok   a UDF as the WHERE predicate"
else
  echo "FAIL a UDF as the WHERE predicate:"; cat "$tmp/log"; fail=1
fi

# errors: an identifier no library provides (position, identifier); another ABI version;
# an error raised by the function at run time (its message, the call's position)
expect_err() { # name, want1, want2, sluice arguments...
  local name=$1 w1=$2 w2=$3; shift 3
  if "$bin" "$@" > "$tmp/log" 2>&1; then
    echo "FAIL $name: sluice succeeded"; fail=1
  elif grep -qF -- "$w1" "$tmp/log" && grep -qF -- "$w2" "$tmp/log"; then
    echo "ok   $name"
  else
    echo "FAIL $name: want '$w1' and '$w2' in:"; cat "$tmp/log"; fail=1
  fi
}
sed 's/test.shout/test.nope/' "$tmp/shout.sql" > "$tmp/nope.sql"
expect_err "unknown identifier" "nope.sql:1:1" "provides 'test.nope'" run "$tmp/nope.sql" \
  --udf-path "$lib" --set IN="$tmp/small.csv" --set OUT="$tmp/o2"
expect_err "ABI version" "version 999" "udf_badabi.so" explain "$tmp/shout.sql" \
  --set IN=x --set OUT=y --udf-path "$build/tests/udf_bad/udf_badabi.so"
cat > "$tmp/unlucky.sql" <<'SQL'
CREATE FUNCTION unlucky AS 'test.unlucky';
CREATE TABLE t (id BIGINT, s STRING) WITH (
  'connector' = 'filesystem', 'path' = '${IN}', 'format' = 'csv');
CREATE TABLE o (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO o SELECT unlucky(id + 11) FROM t;
SQL
expect_err "error raised by a UDF" "unlucky.sql:5:22" "13 is unlucky" run "$tmp/unlucky.sql" \
  --udf-path "$lib" --set IN="$tmp/small.csv" --workers 2
"$bin" run --help | grep -q -- '--udf-path' || { echo "FAIL: --help has no --udf-path"; fail=1; }
exit $fail
