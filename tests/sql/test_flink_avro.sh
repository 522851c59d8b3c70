#!/usr/bin/env bash
# tests/sql/test_flink_avro.sh - the 'avro' format against Apache Flink 1.20's own (flink-avro,
# tools/flink.sh) through a real Kafka broker (tools/kafka.sh): Flink writes rows with
# 'format' = 'avro' into a topic and sluice reads them; sluice writes the same rows with
# 'format' = 'avro' into another topic and Flink reads them. The rows (every type sluice has,
# NULLs, NOT NULL columns, the limits of INT and BIGINT, DECIMAL at its precision and
# negative, timestamps before 1970, non-ASCII text) come from one JSON file that both
# engines read; Flink also copies them straight into a CSV file, the reference. Checked:
#   1. sluice's rows read from Flink's topic   == the reference (tests/sql/rows.py);
#   2. Flink's rows read from sluice's topic   == the reference;
#   3. the records of both topics are the same bytes (sorted): the same schema, the same
#      encoding of every value (DECIMAL's minimal two's complement, zig-zag varints); the
#      tables have 'key.fields' = 'id' with 'key.format' = 'avro', so the keys too;
#   4. a garbage record fails sluice's run with its topic, partition and offset named, and
#      'sluice.bad-records' = 'skip' skips it.
#
# Skips (77) when the Flink runner cannot be built or tools/kafka.sh cannot fetch the
# broker; SLUICE_FLINK_REQUIRED=1 makes those failures.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
flink=$src/tools/flink.sh
kafka=$src/tools/kafka.sh
tmp=$(mktemp -d)
kdir=
cleanup() {
  [ -n "$kdir" ] && "$kafka" stop --dir "$kdir" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

skip() {
  if [ -n "${SLUICE_FLINK_REQUIRED:-}" ]; then echo "FAIL: $1"; exit 1; fi
  echo "skip: $1"; exit 77
}
"$flink" build > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; skip "the Flink runner could not be built"; }
"$kafka" fetch > "$tmp/kafka.log" 2>&1 || { cat "$tmp/kafka.log"; skip "tools/kafka.sh could not fetch the broker"; }
kdir=$tmp/kafka
if ! "$kafka" start --kraft --partitions 2 --dir "$kdir" --owner $$ \
  > "$tmp/kafka.env" 2> "$tmp/kafka.log"; then
  cat "$tmp/kafka.log"; echo "FAIL: tools/kafka.sh start"; exit 1
fi
bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$tmp/kafka.env")
for topic in avro_flink avro_sluice avro_bad; do # auto-created by a metadata request naming them
  for _ in $(seq 1 50); do
    kcat -b "$bootstrap" -L -t $topic 2>/dev/null | grep -q "topic \"$topic\" with 2 partitions" &&
      break
    sleep 0.2
  done
done

# ---- the rows -----------------------------------------------------------------------------
cat > "$tmp/rows.json" <<'EOF'
{"id": 1, "b": true, "i": 0, "l": 0, "d": 0.0, "m": 0, "mn": 0, "t": "1970-01-01 00:00:00.000", "s": "a"}
{"id": 2, "b": false, "i": -1, "l": -1, "d": -0.0, "m": -0.0001, "mn": -0.01, "t": "1969-12-31 23:59:59.999", "s": "héllo wörld"}
{"id": 3, "b": null, "i": null, "l": null, "d": null, "m": null, "mn": 1.5, "t": null, "s": null}
{"id": -9223372036854775808, "b": true, "i": -2147483648, "l": -9223372036854775808, "d": -1.7976931348623157E308, "m": -99999999999999.9999, "mn": -999.99, "t": "0001-01-01 00:00:00.000", "s": "日本語, \"quoted\""}
{"id": 9223372036854775807, "b": false, "i": 2147483647, "l": 9223372036854775807, "d": 2.2250738585072014E-308, "m": 99999999999999.9999, "mn": 999.99, "t": "9999-12-31 23:59:59.999", "s": "\ud83d\ude00 emoji"}
{"id": 6, "b": true, "i": 127, "l": 128, "d": 3.141592653589793, "m": 0.0128, "mn": 1.28, "t": "1900-02-28 12:34:56.789", "s": "x"}
{"id": 7, "b": false, "i": -128, "l": -129, "d": 1.0E-300, "m": -0.0129, "mn": -1.29, "t": "2023-11-14 22:13:20.123", "s": "twelve bytes"}
{"id": 8, "b": null, "i": 65536, "l": 4294967296, "d": 2.5, "m": 327.68, "mn": 327.67, "t": "1969-07-20 20:17:40.000", "s": "thirteen byte"}
EOF
nrows=$(wc -l < "$tmp/rows.json")

cols='id BIGINT NOT NULL, b BOOLEAN, i INT, l BIGINT, d DOUBLE, m DECIMAL(18, 4),
  mn DECIMAL(5, 2) NOT NULL, t TIMESTAMP(3), s VARCHAR'
kafka_table() { # name, topic, group[, format options]: the key is 'id' in avro by default
  cat <<EOF
CREATE TABLE $1 ($cols) WITH (
  'connector' = 'kafka', 'topic' = '$2', 'properties.bootstrap.servers' = '$bootstrap',
  'properties.group.id' = '$3', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  ${4:-'key.fields' = 'id', 'key.format' = 'avro', 'value.format' = 'avro'}
);
EOF
}
fs_table() { # name, path, format
  echo "CREATE TABLE $1 ($cols) WITH ('connector' = 'filesystem', 'path' = '$2',"
  echo "  'format' = '$3'$([ "$3" = csv ] && echo ", 'csv.null-literal' = 'NUL'"));"
}

# sluice writes its topic first, so that one Flink run (one JVM) does both of Flink's parts
{
  fs_table src "$tmp/rows.json" json
  kafka_table k_sluice avro_sluice sluice-w
  echo "INSERT INTO k_sluice SELECT * FROM src;"
} > "$tmp/sluice_write.sql"
if ! "$bin" run "$tmp/sluice_write.sql" > "$tmp/log" 2>&1; then
  cat "$tmp/log"; echo "FAIL: sluice could not write the avro topic"; exit 1
fi

{
  fs_table src "$tmp/rows.json" json
  kafka_table k_flink avro_flink flink-w
  fs_table expected "$tmp/ref" csv
  echo "INSERT INTO k_flink SELECT * FROM src;"
  echo "INSERT INTO expected SELECT * FROM src;"
} > "$tmp/flink_write.sql"
{
  kafka_table k_sluice2 avro_sluice flink-r
  fs_table flink_back "$tmp/flink_back" csv
  echo "INSERT INTO flink_back SELECT * FROM k_sluice2;"
} > "$tmp/flink_read.sql"
if ! "$flink" run --parallelism 1 "$tmp/flink_write.sql" --then --streaming \
  "$tmp/flink_read.sql" > "$tmp/flink.log" 2>&1; then
  cat "$tmp/flink.log"; echo "FAIL: Flink failed"; exit 1
fi

{
  kafka_table k_flink2 avro_flink sluice-r
  fs_table sluice_back "$tmp/sluice_back" csv
  echo "INSERT INTO sluice_back SELECT * FROM k_flink2;"
} > "$tmp/sluice_read.sql"
if ! "$bin" run "$tmp/sluice_read.sql" > "$tmp/log" 2>&1; then
  cat "$tmp/log"; echo "FAIL: sluice could not read Flink's avro topic"; exit 1
fi

fail=0
python3 "$here/rows.py" "$tmp/ref" > "$tmp/ref.rows"
if [ "$(wc -l < "$tmp/ref.rows")" -ne "$nrows" ]; then
  echo "FAIL: Flink's reference has $(wc -l < "$tmp/ref.rows") rows, not $nrows"; exit 1
fi
compare() { # label, dir
  python3 "$here/rows.py" "$2" > "$tmp/got.rows"
  if cmp -s "$tmp/got.rows" "$tmp/ref.rows"; then
    echo "ok   $1 ($nrows rows, as Flink's reference)"
  else
    echo "FAIL $1: < got, > Flink's reference:"
    diff "$tmp/got.rows" "$tmp/ref.rows" | grep '^[<>]'
    fail=1
  fi
}
compare "sluice reads Flink's avro" "$tmp/sluice_back"
compare "Flink reads sluice's avro" "$tmp/flink_back"

# the records' keys and values, as hex, sorted: kcat's %K / %S are the key's / value's
# length, %k / %s the bytes
records() { # topic
  kcat -b "$bootstrap" -C -t "$1" -o beginning -e -q -f '%K\n%k%S\n%s' 2>/dev/null | python3 -c '
import sys
data = sys.stdin.buffer.read()
out, i = [], 0
while i < len(data):
    row = []
    for _ in range(2):
        nl = data.index(b"\n", i)
        n = max(int(data[i:nl]), 0)
        row.append(data[nl + 1:nl + 1 + n].hex())
        i = nl + 1 + n
    out.append(" ".join(row))
print("\n".join(sorted(out)))'
}
records avro_flink > "$tmp/flink.hex"
records avro_sluice > "$tmp/sluice.hex"
if [ "$(wc -l < "$tmp/flink.hex")" -ne "$nrows" ]; then
  echo "FAIL: $(wc -l < "$tmp/flink.hex") records in Flink's topic, not $nrows"; fail=1
elif grep -q '^ ' "$tmp/flink.hex" "$tmp/sluice.hex"; then
  echo "FAIL: records without a key"; fail=1
elif cmp -s "$tmp/flink.hex" "$tmp/sluice.hex"; then
  echo "ok   the records of both topics are the same bytes, keys (avro, 'key.fields' = 'id') and values"
else
  echo "FAIL: the records differ (hex, < Flink's, > sluice's):"
  diff "$tmp/flink.hex" "$tmp/sluice.hex" | grep '^[<>]'
  fail=1
fi

# a bad record: the run fails naming the topic, partition and offset; 'skip' skips it
printf 'zz' | kcat -b "$bootstrap" -P -t avro_bad -p 0 2>/dev/null
{
  kafka_table k_bad avro_bad sluice-bad "'format' = 'avro'"
  fs_table bad_out "$tmp/bad_out" csv
  echo "INSERT INTO bad_out SELECT * FROM k_bad;"
} > "$tmp/bad.sql"
if "$bin" run "$tmp/bad.sql" > "$tmp/log" 2>&1; then
  echo "FAIL: sluice read a garbage avro record without an error"; fail=1
elif grep -q "topic 'avro_bad' partition 0 offset 0" "$tmp/log" &&
  grep -q "union index 61" "$tmp/log"; then
  echo "ok   a garbage record fails the run: $(grep -o "topic 'avro_bad'.*" "$tmp/log" | head -1)"
else
  cat "$tmp/log"; echo "FAIL: the bad record's error does not name it"; fail=1
fi
sed -i "s/'format' = 'avro'/'format' = 'avro', 'sluice.bad-records' = 'skip'/" "$tmp/bad.sql"
if ! "$bin" run "$tmp/bad.sql" > "$tmp/log" 2>&1; then
  cat "$tmp/log"; echo "FAIL: 'sluice.bad-records' = 'skip' did not skip the record"; fail=1
else
  echo "ok   'sluice.bad-records' = 'skip' skips it"
fi
exit $fail
