#!/usr/bin/env bash
# tests/sql/test_changelog_fs.sh - 'format' = 'debezium-json' on filesystem tables (no broker:
# every build runs it) and the plan-time rules of changelog tables:
#   1. a file of every op (c, r, u, d, Debezium's extra keys) read into print gives the rows
#      Flink's DebeziumJsonDeserializationSchema makes: c/r -> +I, u -> -U then +U, d -> -D;
#      a filter over it keeps the kinds;
#   2. an updating GROUP BY written as debezium-json files holds Flink's envelopes ("c" with
#      "before" null, "d" with "after" null) whose final state is the print run's, and reads
#      back into the same state;
#   3. a bad envelope fails the run naming the file and offset; the ignore option skips it;
#   4. a GROUP BY over a changelog scan retracts (its final state); refusals: a WATERMARK
#      over a changelog scan, an append-only sink of
#      it, a PRIMARY KEY on an unknown column, upsert-kafka without a PRIMARY KEY or with a
#      changelog value format, reading upsert-kafka with checkpoints, schema-include on a
#      sink (Flink's words).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
fold="python3 $src/tests/sql/changelog_fold.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

mkdir -p "$tmp/raw"
cat > "$tmp/raw/changes.json" <<'EOF'
{"before":null,"after":{"k":"a","n":1},"op":"c"}
{"before":null,"after":{"k":"b","n":2},"op":"c","source":{"db":"x","table":"t"},"ts_ms":1}
{"before":{"k":"a","n":1},"after":{"k":"a","n":5},"op":"u"}
{"after":{"k":"c","n":null},"op":"r"}
{"before":{"k":"b","n":2},"after":null,"op":"d"}
EOF
table() { # name, path, format[, extra options]
  echo "CREATE TABLE $1 (k STRING, n BIGINT) WITH ('connector' = 'filesystem', 'path' = '$2',"
  echo "  'format' = '$3'${4:+, $4});"
}

# ---- 1 ------------------------------------------------------------------------------------
{
  table cl "$tmp/raw" debezium-json
  echo "CREATE TABLE p (k STRING, n BIGINT) WITH ('connector' = 'print');"
  echo "INSERT INTO p SELECT k, n FROM cl WHERE k <> 'zz';"
} > "$tmp/read.sql"
want='+I[a, 1]
+I[b, 2]
-U[a, 1]
+U[a, 5]
+I[c, null]
-D[b, 2]'
if ! "$bin" run --workers 1 "$tmp/read.sql" > "$tmp/out" 2> "$tmp/log"; then
  cat "$tmp/log"; bad "reading a debezium-json file"
elif [ "$(cat "$tmp/out")" = "$want" ]; then
  ok "every op read as Flink's row kinds, through a filter"
else
  bad "the rows of every op:"; diff "$tmp/out" <(echo "$want")
fi

# ---- 2 ------------------------------------------------------------------------------------
python3 -c '
for i in range(3000):
    print("{\"k\": \"k%d\", \"v\": %d}" % (i * 7919 % 7, i))' > "$tmp/in.json"
{
  echo "SET 'table.exec.mini-batch.size' = '500';"
  echo "CREATE TABLE src (k STRING, v BIGINT) WITH ('connector' = 'filesystem',"
  echo "  'path' = '$tmp/in.json', 'format' = 'json');"
  echo "CREATE TABLE agg (k STRING, n BIGINT, s BIGINT) WITH ('connector' = 'filesystem',"
  echo "  'path' = '$tmp/agg', 'format' = 'debezium-json');"
  echo "CREATE TABLE p (k STRING, n BIGINT, s BIGINT) WITH ('connector' = 'print');"
  echo "INSERT INTO agg SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;"
  echo "INSERT INTO p SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;"
} > "$tmp/agg.sql"
if ! "$bin" run --workers 2 "$tmp/agg.sql" > "$tmp/agg.out" 2> "$tmp/log"; then
  cat "$tmp/log"; bad "an updating GROUP BY into debezium-json files"
else
  $fold print "$tmp/agg.out" > "$tmp/agg.ref" || bad "the print run does not add up"
  $fold debezium k,n,s "$tmp/agg" > "$tmp/got" || bad "the files do not add up"
  if [ -s "$tmp/agg.ref" ] && cmp -s "$tmp/got" "$tmp/agg.ref"; then
    ok "GROUP BY into debezium-json files: the print run's state ($(wc -l < "$tmp/got") rows)"
  else
    bad "GROUP BY into debezium-json files:"; diff "$tmp/got" "$tmp/agg.ref"
  fi
  if cat "$tmp"/agg/* | grep -q '"op":"d"' &&
    ! cat "$tmp"/agg/* | grep -v '^{"before":null,"after":{"k":"k[0-6]","n":[0-9]*,"s":[0-9]*},"op":"c"}$' |
    grep -v '^{"before":{"k":"k[0-6]","n":[0-9]*,"s":[0-9]*},"after":null,"op":"d"}$' | grep -q .; then
    ok "every record is Flink's \"c\" or \"d\" envelope, updates included"
  else
    bad "records other than Flink's envelopes:"; head -3 "$tmp"/agg/*
  fi
  {
    echo "CREATE TABLE back (k STRING, n BIGINT, s BIGINT) WITH ('connector' = 'filesystem',"
    echo "  'path' = '$tmp/agg', 'format' = 'debezium-json');"
    echo "CREATE TABLE p (k STRING, n BIGINT, s BIGINT) WITH ('connector' = 'print');"
    echo "INSERT INTO p SELECT * FROM back;"
  } > "$tmp/back.sql"
  if "$bin" run --workers 2 "$tmp/back.sql" > "$tmp/back.out" 2> "$tmp/log" &&
    $fold print "$tmp/back.out" | cmp -s - "$tmp/agg.ref"; then
    ok "the files read back into the same state"
  else
    cat "$tmp/log"; bad "reading the files back"
  fi
fi

# ---- 3 ------------------------------------------------------------------------------------
mkdir -p "$tmp/bad"
printf '%s\n' '{"before":null,"after":{"k":"a","n":1},"op":"c"}' \
  '{"before":null,"after":{"k":"a","n":1},"op":"q"}' > "$tmp/bad/x.json"
{
  table cl "$tmp/bad" debezium-json
  echo "CREATE TABLE p (k STRING, n BIGINT) WITH ('connector' = 'print');"
  echo "INSERT INTO p SELECT * FROM cl;"
} > "$tmp/bad.sql"
if "$bin" run "$tmp/bad.sql" > "$tmp/out" 2> "$tmp/log"; then
  bad "a bad envelope did not fail the run"
elif grep -q "bad record at file '$tmp/bad/x.json' offset 49: Unknown \"op\" value \"q\"" "$tmp/log"; then
  ok "a bad envelope names its file and offset"
else
  cat "$tmp/log"; bad "the bad envelope's message"
fi
sed -i "s/'format' = 'debezium-json'/&, 'debezium-json.ignore-parse-errors' = 'true'/" "$tmp/bad.sql"
if "$bin" run --workers 1 "$tmp/bad.sql" > "$tmp/out" 2> "$tmp/log" &&
  [ "$(cat "$tmp/out")" = "+I[a, 1]" ] &&
  grep -q "1 bad records" "$tmp/log"; then
  ok "'debezium-json.ignore-parse-errors' skips it (counted)"
else
  cat "$tmp/out" "$tmp/log"; bad "'debezium-json.ignore-parse-errors'"
fi

# ---- 4 ------------------------------------------------------------------------------------
refused() { # label, expected text, sql[, run options...]
  printf '%s\n' "$3" > "$tmp/r.sql"
  if "$bin" run "${@:4}" "$tmp/r.sql" > "$tmp/r.out" 2>&1; then
    bad "$1: ran"
  elif grep -qF "$2" "$tmp/r.out"; then
    ok "$1"
  else
    bad "$1:"; cat "$tmp/r.out"
  fi
}
cl=$(table cl "$tmp/raw" debezium-json)
# a GROUP BY takes a changelog scan (it retracts): a's -U / +U replace its row, b's -D
# deletes its group, c's SUM of a NULL stays NULL (Flink's GroupAggregate)
{
  echo "$cl"
  echo "CREATE TABLE p (k STRING, c BIGINT, s BIGINT) WITH ('connector' = 'print');"
  echo "INSERT INTO p SELECT k, COUNT(*), SUM(n) FROM cl GROUP BY k;"
} > "$tmp/gb.sql"
printf '+I[a, 1, 5]\n+I[c, 1, null]\n' > "$tmp/gb.want"
if ! "$bin" run --workers 2 "$tmp/gb.sql" > "$tmp/gb.out" 2> "$tmp/log"; then
  cat "$tmp/log"; bad "a GROUP BY over a changelog scan"
elif [ "$($fold print "$tmp/gb.out")" = "$($fold print "$tmp/gb.want")" ]; then
  ok "a GROUP BY over a changelog scan retracts: the final state"
else
  bad "a GROUP BY over a changelog scan:"; cat "$tmp/gb.out"
fi
refused "a WATERMARK on a changelog table" "WatermarkAssigner doesn't support consuming update changes" \
  "CREATE TABLE cl (k STRING, t TIMESTAMP(3), WATERMARK FOR t AS t) WITH ('connector' = 'filesystem', 'path' = '$tmp/raw', 'format' = 'debezium-json');
CREATE TABLE p (k STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT k FROM cl;"
refused "an append-only sink of a changelog scan" \
  "Table sink 'default_catalog.default_database.f' doesn't support consuming update and delete changes which is produced by node TableSourceScan" \
  "$cl
$(table f "$tmp/f" json)
INSERT INTO f SELECT * FROM cl;"
refused "a PRIMARY KEY on an unknown column" "PRIMARY KEY: 'x' is not a physical column of table 'u'" \
  "CREATE TABLE u (k STRING, PRIMARY KEY (x) NOT ENFORCED) WITH ('connector' = 'print');"
up="'connector' = 'upsert-kafka', 'topic' = 't', 'properties.bootstrap.servers' = '127.0.0.1:1', 'key.format' = 'json'"
refused "upsert-kafka without a PRIMARY KEY" \
  "'upsert-kafka' tables require to define a PRIMARY KEY constraint. The PRIMARY KEY specifies which columns should be read from or write to the Kafka message key." \
  "$cl
CREATE TABLE u (k STRING, n BIGINT) WITH ($up, 'value.format' = 'json');
INSERT INTO u SELECT * FROM cl;"
refused "upsert-kafka with a changelog value format" \
  "'upsert-kafka' connector doesn't support 'debezium-json' as value format, because 'debezium-json' is not in insert-only mode." \
  "$cl
CREATE TABLE u (k STRING, n BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ($up, 'value.format' = 'debezium-json');
INSERT INTO u SELECT * FROM cl;"
refused "reading upsert-kafka with checkpoints" \
  "reading an 'upsert-kafka' table in a job with checkpoints is not supported yet" \
  "CREATE TABLE u (k STRING, n BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ($up, 'value.format' = 'json');
CREATE TABLE p (k STRING, n BIGINT) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM u;" --state-dir "$tmp/state" --checkpoint-interval 100
refused "schema-include on a sink" \
  "Debezium JSON serialization doesn't support 'debezium-json.schema-include' option been set to true." \
  "$cl
$(table f "$tmp/f2" debezium-json "'debezium-json.schema-include' = 'true'")
INSERT INTO f SELECT * FROM cl;"
exit $fail
