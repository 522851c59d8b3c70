#!/usr/bin/env bash
# tests/sql/test_kafka_changelog.sh - changelogs into and out of a real Kafka broker
# (tools/kafka.sh): 'format' = 'debezium-json' and the 'upsert-kafka' connector, checked
# against an independent decoder (kcat + tests/sql/changelog_fold.py) and against Apache
# Flink 1.20 (tools/flink.sh) reading sluice's topics. One broker, one Flink JVM.
#
#   1. an updating query (an unbounded GROUP BY over 3000 rows in 7 keys: +I, -U, +U) runs
#      once into a print sink and once into a debezium-json topic and an upsert-kafka topic
#      (2 workers, the debezium topic without a key, so the two rows of an update may land
#      in different partitions: folded as a multiset, order does not matter);
#      Nexmark q17 (the repository's file, the paced generator) the same way, its blackhole
#      sink swapped for print, debezium-json and upsert-kafka (PRIMARY KEY (auction, day));
#   2. a changelog file with every op (c, r, u, d) goes through a filesystem debezium-json
#      source into a debezium-json topic and an upsert-kafka topic (-D as tombstones);
#      the same query again exactly once ('sink.delivery-guarantee' = 'exactly-once',
#      checkpoints every 20 ms: the Kafka transaction per epoch), read read_committed;
#   3. kcat reads every topic; changelog_fold.py folds each into its final state, which
#      must equal the print run's (1) or the file's own (2), folded by the same script;
#      every upsert record has the key's JSON as its key, the -D rows are tombstones;
#   4. sluice reads its debezium topic back (a changelog source) into print: same state;
#      and its upsert topics (each worker's last value per key: -U/+U, tombstones -D);
#   5. Flink writes the GROUP BY into a debezium-json topic and an upsert-kafka topic, which
#      sluice reads back (its debezium updates arrive as "d" + "c": -D and +I rows);
#      Flink reads the debezium topics (q17 too) ('debezium-json') and the upsert topic ('upsert-kafka',
#      its ChangelogNormalize) into debezium-json files: same states;
#   6. refusals (a GROUP BY over a changelog scan runs: test_changelog_fs.sh): an upsert-kafka table without a
#      PRIMARY KEY; a bad envelope names its record.
#
# Skips (77) when the Flink runner cannot be built or tools/kafka.sh cannot fetch the
# broker; SLUICE_FLINK_REQUIRED=1 makes those failures.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
flink=$src/tools/flink.sh
kafka=$src/tools/kafka.sh
fold="python3 $here/changelog_fold.py"
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
command -v kcat >/dev/null || { echo "FAIL: no kcat (tools/setup.sh installs it)"; exit 1; }
"$flink" build > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; skip "the Flink runner could not be built"; }
"$kafka" fetch > "$tmp/kafka.log" 2>&1 || { cat "$tmp/kafka.log"; skip "tools/kafka.sh could not fetch the broker"; }
kdir=$tmp/kafka
if ! "$kafka" start --kraft --partitions 2 --dir "$kdir" --owner $$ \
  > "$tmp/kafka.env" 2> "$tmp/kafka.log"; then
  cat "$tmp/kafka.log"; echo "FAIL: tools/kafka.sh start"; exit 1
fi
bs=$(sed -n 's/^BOOTSTRAP=//p' "$tmp/kafka.env")
# topics are auto-created by a metadata request naming them
for topic in cl_agg up_agg cl_raw up_raw cl_eos up_eos cl_q17 up_q17 fl_agg fl_up; do
  for _ in $(seq 1 50); do
    kcat -b "$bs" -L -t $topic 2>/dev/null | grep -q "topic \"$topic\" with 2 partitions" && break
    sleep 0.2
  done
done
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# ---- inputs -------------------------------------------------------------------------------
python3 -c '
for i in range(3000):
    print("{\"k\": \"k%d\", \"v\": %d}" % (i * 7919 % 7, i))' > "$tmp/in.json"
mkdir -p "$tmp/raw"
cat > "$tmp/raw/changes.json" <<'EOF'
{"before":null,"after":{"k":"a","n":1},"op":"c"}
{"before":null,"after":{"k":"b","n":2},"op":"c"}
{"before":{"k":"a","n":1},"after":{"k":"a","n":5},"op":"u","source":{"db":"x"},"ts_ms":1}
{"before":null,"after":{"k":"c","n":3},"op":"r"}
{"before":{"k":"b","n":2},"after":null,"op":"d"}
{"before":null,"after":{"k":"d","n":4},"op":"c"}
{"before":{"k":"d","n":4},"after":{"k":"d","n":6},"op":"u"}
{"before":{"k":"c","n":3},"after":null,"op":"d"}
{"before":null,"after":{"k":"b","n":9},"op":"c"}
EOF

kafka_dbz() { # name, topic, columns
  echo "CREATE TABLE $1 ($3) WITH ('connector' = 'kafka', 'topic' = '$2',"
  echo "  'properties.bootstrap.servers' = '$bs', 'properties.group.id' = 'g-$1',"
  echo "  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',"
  echo "  'format' = 'debezium-json');"
}
upsert() { # name, topic, columns, key
  echo "CREATE TABLE $1 ($3, PRIMARY KEY ($4) NOT ENFORCED) WITH ("
  echo "  'connector' = 'upsert-kafka', 'topic' = '$2',"
  echo "  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');"
}
agg_cols='k STRING, n BIGINT, s BIGINT'
raw_cols='k STRING, n BIGINT'

# ---- 1 and 2: sluice writes -----------------------------------------------------------------
{
  echo "SET 'table.exec.mini-batch.size' = '500';" # updates: several mini-batches per key
  echo "CREATE TABLE src (k STRING, v BIGINT) WITH ('connector' = 'filesystem',"
  echo "  'path' = '$tmp/in.json', 'format' = 'json');"
  echo "CREATE TABLE raw (k STRING, n BIGINT) WITH ('connector' = 'filesystem',"
  echo "  'path' = '$tmp/raw', 'format' = 'debezium-json');"
  echo "CREATE TABLE pr ($agg_cols) WITH ('connector' = 'print');"
  kafka_dbz cl_agg cl_agg "$agg_cols"
  upsert up_agg up_agg "$agg_cols" k
  kafka_dbz cl_raw cl_raw "$raw_cols"
  upsert up_raw up_raw "$raw_cols" k
  echo "INSERT INTO pr SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;"
  echo "INSERT INTO cl_agg SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;"
  echo "INSERT INTO up_agg SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;"
  echo "INSERT INTO cl_raw SELECT * FROM raw;"
  echo "INSERT INTO up_raw SELECT * FROM raw;"
} > "$tmp/write.sql"
if ! "$bin" run --workers 2 "$tmp/write.sql" > "$tmp/print.out" 2> "$tmp/log"; then
  cat "$tmp/log"; echo "FAIL: sluice could not write the changelog topics"; exit 1
fi
# the same query exactly once, with checkpoints every 20 ms (one Kafka transaction per epoch)
{
  echo "SET 'table.exec.mini-batch.size' = '500';"
  head -4 "$tmp/write.sql" | tail -3 | head -2
  kafka_dbz cl_eos cl_eos "$agg_cols" |
    sed "s/'format' = 'debezium-json'/&, 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'kcl'/"
  upsert up_eos up_eos "$agg_cols" k |
    sed "s/'value.format' = 'json'/&, 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'kcl'/"
  echo "INSERT INTO cl_eos SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;"
  echo "INSERT INTO up_eos SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;"
} > "$tmp/eos.sql"
if ! "$bin" run --workers 2 --state-dir "$tmp/state" --checkpoint-interval 20 "$tmp/eos.sql" \
  > "$tmp/eos.out" 2> "$tmp/log"; then
  cat "$tmp/log"; bad "sluice could not write the changelog topics exactly once"
fi
# Nexmark q17 (the repository's file: a group per auction and day, COUNT FILTER, AVG, ...)
# from the paced generator, its blackhole sink swapped for print, debezium-json, upsert-kafka
ex=$src/docs/examples/nexmark
q17_ddl='auction BIGINT, `day` VARCHAR, total_bids BIGINT, rank1_bids BIGINT, rank2_bids BIGINT,
  rank3_bids BIGINT, min_price BIGINT, max_price BIGINT, avg_price BIGINT, sum_price BIGINT'
q17cols=auction,day,total_bids,rank1_bids,rank2_bids,rank3_bids,min_price,max_price,avg_price,sum_price
python3 - "$ex/q17.sql" "$tmp" "$bs" <<'PYEOF'
import re, sys
q, tmp, bs = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
assert "'connector' = 'blackhole'" in q
kafka = "'properties.bootstrap.servers' = '%s', " % bs
sinks = {
    "print": "'connector' = 'print', 'print-identifier' = 'q17'",
    "cl": "'connector' = 'kafka', 'topic' = 'cl_q17', " + kafka + "'format' = 'debezium-json'",
    "up": "'connector' = 'upsert-kafka', 'topic' = 'up_q17', " + kafka
          + "'key.format' = 'json', 'value.format' = 'json'",
}
for name, w in sinks.items():
    s = q.replace("'connector' = 'blackhole'", w).replace("nexmark_q17", "q17_" + name)
    if name == "up":
        s = s.replace("sum_price BIGINT\n)", "sum_price BIGINT,\n  PRIMARY KEY (auction, `day`) NOT ENFORCED\n)")
        assert "PRIMARY KEY" in s
    open("%s/q17_%s.sql" % (tmp, name), "w").write(s)
PYEOF
printf "SET 'table.exec.mini-batch.size' = '300';\n" > "$tmp/mb.sql"
if ! "$bin" run "$tmp/mb.sql" "$here/nexmark_paced.sql" "$ex/ddl_views.sql" "$tmp/q17_print.sql" \
  "$tmp/q17_cl.sql" "$tmp/q17_up.sql" --set TPS=20000 --set EVENTS_NUM=20000 \
  --set BASE_TIME=1700000008000 --set NEXMARK_TABLE=datagen --workers 2 \
  > "$tmp/q17.out" 2> "$tmp/log"; then
  cat "$tmp/log"; bad "sluice could not run q17 into the changelog topics"
fi
grep -q '^q17:[0-9]*> -U\[' "$tmp/q17.out" || bad "q17's print run has no -U rows: no updates tested"
$fold print "$tmp/q17.out" > "$tmp/q17.ref" || bad "q17's print changelog does not add up"
$fold print "$tmp/print.out" > "$tmp/agg.ref" || bad "the print run's changelog does not add up"
$fold debezium k,n "$tmp/raw" > "$tmp/raw.ref" || bad "the changelog file does not add up"
if [ "$(wc -l < "$tmp/agg.ref")" -ne 7 ] || [ "$(wc -l < "$tmp/raw.ref")" -ne 3 ]; then
  bad "references: $(wc -l < "$tmp/agg.ref") aggregate rows (7 expected), $(wc -l < "$tmp/raw.ref") rows of the file (3)"
fi
grep -q '^[0-9]*> -U\[' "$tmp/print.out" || bad "the print run has no -U rows: no updates tested"

# ---- 3: kcat reads them back ----------------------------------------------------------------
# The exactly-once topics: a transaction's commit returns once the coordinator has logged it;
# it writes the commit markers into the partitions after that, and a read_committed reader
# stops at the last stable offset, before an unmarked transaction. The job completed without
# an abort, so every record of cl_eos and up_eos is committed: wait (up to 60 s) until a
# read_committed reader sees as many records as a read_uncommitted one. (A clean-clone run
# of the suite under load read up_eos with one partition's last transaction not yet marked:
# its keys at older values.)
count() { # topic, isolation level -> records
  kcat -b "$bs" -X isolation.level=$2 -X fetch.wait.max.ms=10 -C -t "$1" -o beginning -e -q \
    -f 'x\n' 2>/dev/null | wc -l
}
for t in cl_eos up_eos; do
  all=$(count $t read_uncommitted)
  for _ in $(seq 1 600); do
    [ "$(count $t read_committed)" -ge "$all" ] && break
    sleep 0.1
  done
  [ "$(count $t read_committed)" -ge "$all" ] ||
    bad "$t: a read_committed reader sees $(count $t read_committed) of its $all records after 60 s"
done
for t in cl_agg up_agg cl_raw up_raw cl_eos up_eos cl_q17 up_q17; do
  kcat -b "$bs" -X isolation.level=read_committed -C -t $t -o beginning -e -q -J \
    > "$tmp/$t.kcat" 2>/dev/null
done
same() { # label, got, reference
  if cmp -s "$2" "$3"; then
    ok "$1 ($(wc -l < "$3") rows)"
  else
    bad "$1: < got, > reference:"
    diff "$2" "$3" | grep '^[<>]'
  fi
}
$fold kcat-debezium k,n,s "$tmp/cl_agg.kcat" > "$tmp/got" || bad "cl_agg does not add up"
same "debezium-json topic of the GROUP BY, folded, == the print run" "$tmp/got" "$tmp/agg.ref"
$fold kcat-upsert k,n,s "$tmp/up_agg.kcat" > "$tmp/got" || bad "up_agg: bad records"
same "upsert-kafka topic of the GROUP BY, last value per key, == the print run" "$tmp/got" "$tmp/agg.ref"
$fold kcat-debezium k,n,s "$tmp/cl_eos.kcat" > "$tmp/got" || bad "cl_eos does not add up"
same "exactly-once debezium-json topic (read_committed) == the print run" "$tmp/got" "$tmp/agg.ref"
$fold kcat-upsert k,n,s "$tmp/up_eos.kcat" > "$tmp/got" || bad "up_eos: bad records"
same "exactly-once upsert-kafka topic (read_committed) == the print run" "$tmp/got" "$tmp/agg.ref"
$fold kcat-debezium $q17cols "$tmp/cl_q17.kcat" > "$tmp/got" || bad "cl_q17 does not add up"
same "Nexmark q17 into debezium-json, folded, == its print run" "$tmp/got" "$tmp/q17.ref"
$fold kcat-upsert $q17cols "$tmp/up_q17.kcat" > "$tmp/got" || bad "up_q17: bad records"
same "Nexmark q17 into upsert-kafka, last value per key, == its print run" "$tmp/got" "$tmp/q17.ref"
$fold kcat-debezium k,n "$tmp/cl_raw.kcat" > "$tmp/got" || bad "cl_raw does not add up"
same "debezium-json topic of the changelog file == the file's state" "$tmp/got" "$tmp/raw.ref"
$fold kcat-upsert k,n "$tmp/up_raw.kcat" > "$tmp/got" || bad "up_raw: bad records"
same "upsert-kafka topic of the changelog file == the file's state" "$tmp/got" "$tmp/raw.ref"
# the file's ops as Flink writes them: c, c, d+c (the update), c, d, c, d+c, d, c; the
# upsert topic: 9 records, the two -U rows dropped, the two -D rows tombstones
python3 - "$tmp/cl_raw.kcat" "$tmp/up_raw.kcat" > "$tmp/shape" <<'EOF'
import json, sys
cl = [json.loads(l) for l in open(sys.argv[1])]
ops = sorted(json.loads(r["payload"])["op"] for r in cl)
print("debezium ops", "".join(ops))
env = [json.loads(r["payload"]) for r in cl]
print("envelope keys", sorted({",".join(e.keys()) for e in env}))
up = [json.loads(l) for l in open(sys.argv[2])]
print("upsert records", len(up), "tombstones", sum(r["payload"] is None for r in up),
      "keys", sorted({r["key"] for r in up}))
EOF
expect_shape='debezium ops cccccccdddd
envelope keys ['"'"'before,after,op'"'"']
upsert records 9 tombstones 2 keys ['"'"'{"k":"a"}'"'"', '"'"'{"k":"b"}'"'"', '"'"'{"k":"c"}'"'"', '"'"'{"k":"d"}'"'"']'
if [ "$(cat "$tmp/shape")" = "$expect_shape" ]; then
  ok "records: an update is a \"d\" and a \"c\"; upsert: -U dropped, 2 tombstones, JSON keys"
else
  bad "the records' shape:"; cat "$tmp/shape"
fi

# ---- 4: sluice reads its own debezium-json topic back ---------------------------------------
{
  kafka_dbz back cl_agg "$agg_cols"
  echo "CREATE TABLE pr2 ($agg_cols) WITH ('connector' = 'print');"
  echo "INSERT INTO pr2 SELECT * FROM back WHERE n > 0;"
} > "$tmp/back.sql"
if ! "$bin" run --workers 2 "$tmp/back.sql" > "$tmp/back.out" 2> "$tmp/log"; then
  cat "$tmp/log"; bad "sluice could not read its debezium-json topic back"
else
  $fold print "$tmp/back.out" > "$tmp/got" || bad "the changelog read back does not add up"
  same "sluice reads its debezium-json topic back as a changelog" "$tmp/got" "$tmp/agg.ref"
fi

# ---- 4b: sluice reads its upsert-kafka topics back (the last value per key as state) ------
upsert_src() { # name, topic, columns
  upsert "$1" "$2" "$3" k | sed "s/'value.format' = 'json'/&, 'scan.bounded.mode' = 'latest-offset'/"
}
{
  upsert_src ua up_agg "$agg_cols"
  upsert_src ur up_raw "$raw_cols"
  echo "CREATE TABLE pa ($agg_cols) WITH ('connector' = 'print', 'print-identifier' = 'a');"
  echo "CREATE TABLE pr ($raw_cols) WITH ('connector' = 'print', 'print-identifier' = 'r');"
  echo "INSERT INTO pa SELECT * FROM ua;"
  echo "INSERT INTO pr SELECT * FROM ur;"
} > "$tmp/upback.sql"
if ! "$bin" run --workers 2 "$tmp/upback.sql" > "$tmp/upback.out" 2> "$tmp/log"; then
  cat "$tmp/log"; bad "sluice could not read its upsert-kafka topics back"
else
  grep '^a' "$tmp/upback.out" | $fold print /dev/stdin > "$tmp/got" || bad "upsert read back: does not add up"
  same "sluice reads its upsert-kafka topic of the GROUP BY back" "$tmp/got" "$tmp/agg.ref"
  grep '^r' "$tmp/upback.out" | $fold print /dev/stdin > "$tmp/got" || bad "upsert read back: does not add up"
  same "sluice reads its upsert-kafka topic of every op back" "$tmp/got" "$tmp/raw.ref"
  grep -q '^r:[0-9]*> -D\[' "$tmp/upback.out" && grep -q '^a:[0-9]*> -U\[' "$tmp/upback.out" ||
    bad "the upsert topics read back have no -D or no -U rows"
fi

# ---- 5: Flink reads sluice's topics ---------------------------------------------------------
{
  kafka_dbz f_cl_agg cl_agg "$agg_cols"
  kafka_dbz f_cl_raw cl_raw "$raw_cols"
  kafka_dbz f_cl_q17 cl_q17 "$q17_ddl"
  echo "CREATE TABLE f_up_agg ($agg_cols, PRIMARY KEY (k) NOT ENFORCED) WITH ("
  echo "  'connector' = 'upsert-kafka', 'topic' = 'up_agg', 'properties.bootstrap.servers' = '$bs',"
  echo "  'properties.group.id' = 'f-up', 'scan.bounded.mode' = 'latest-offset',"
  echo "  'key.format' = 'json', 'value.format' = 'json');"
  for o in o_cl_agg:agg o_up_agg:agg o_cl_raw:raw o_cl_q17:q17; do
    cols=$agg_cols; [ "${o#*:}" = raw ] && cols=$raw_cols; [ "${o#*:}" = q17 ] && cols=$q17_ddl
    echo "CREATE TABLE ${o%:*} ($cols) WITH ('connector' = 'filesystem',"
    echo "  'path' = '$tmp/flink/${o%:*}', 'format' = 'debezium-json');"
  done
  echo "INSERT INTO o_cl_agg SELECT * FROM f_cl_agg;"
  echo "INSERT INTO o_up_agg SELECT * FROM f_up_agg;"
  echo "INSERT INTO o_cl_raw SELECT * FROM f_cl_raw;"
  echo "INSERT INTO o_cl_q17 SELECT * FROM f_cl_q17;"
  # and Flink's own changelog of the GROUP BY, for sluice to read
  echo "CREATE TABLE f_src (k STRING, v BIGINT) WITH ('connector' = 'filesystem',"
  echo "  'path' = '$tmp/in.json', 'format' = 'json');"
  kafka_dbz fl_agg fl_agg "$agg_cols"
  echo "INSERT INTO fl_agg SELECT k, COUNT(*), SUM(v) FROM f_src GROUP BY k;"
  upsert fl_up fl_up "$agg_cols" k
  echo "INSERT INTO fl_up SELECT k, COUNT(*), SUM(v) FROM f_src GROUP BY k;"
} > "$tmp/flink.sql"
if ! "$flink" run --parallelism 2 "$tmp/flink.sql" > "$tmp/flink.log" 2>&1; then
  cat "$tmp/flink.log"; bad "Flink could not read sluice's topics"
else
  $fold debezium k,n,s "$tmp/flink/o_cl_agg" > "$tmp/got" || bad "Flink's copy does not add up"
  same "Flink reads sluice's debezium-json topic: same state" "$tmp/got" "$tmp/agg.ref"
  $fold debezium k,n,s "$tmp/flink/o_up_agg" > "$tmp/got" || bad "Flink's copy does not add up"
  same "Flink reads sluice's upsert-kafka topic: same state" "$tmp/got" "$tmp/agg.ref"
  $fold debezium k,n "$tmp/flink/o_cl_raw" > "$tmp/got" || bad "Flink's copy does not add up"
  same "Flink reads sluice's debezium-json topic of every op: same state" "$tmp/got" "$tmp/raw.ref"
  $fold debezium $q17cols "$tmp/flink/o_cl_q17" > "$tmp/got" || bad "Flink's copy does not add up"
  same "Flink reads sluice's debezium-json topic of Nexmark q17: same state" "$tmp/got" "$tmp/q17.ref"
  sed 's/cl_agg/fl_agg/g' "$tmp/back.sql" > "$tmp/fl.sql"
  if ! "$bin" run --workers 2 "$tmp/fl.sql" > "$tmp/fl.out" 2> "$tmp/log"; then
    cat "$tmp/log"; bad "sluice could not read Flink's debezium-json topic"
  else
    grep -q -- '-D\[' "$tmp/fl.out" || bad "Flink's changelog has no -D rows (its updates)"
    $fold print "$tmp/fl.out" > "$tmp/got" || bad "Flink's changelog read by sluice does not add up"
    same "sluice reads Flink's debezium-json topic of the GROUP BY: same state" "$tmp/got" "$tmp/agg.ref"
  fi
  { upsert_src flu fl_up "$agg_cols"
    echo "CREATE TABLE pu ($agg_cols) WITH ('connector' = 'print');"
    echo "INSERT INTO pu SELECT * FROM flu;"; } > "$tmp/flu.sql"
  if ! "$bin" run --workers 2 "$tmp/flu.sql" > "$tmp/flu.out" 2> "$tmp/log"; then
    cat "$tmp/log"; bad "sluice could not read Flink's upsert-kafka topic"
  else
    $fold print "$tmp/flu.out" > "$tmp/got" || bad "Flink's upsert topic read by sluice does not add up"
    same "sluice reads Flink's upsert-kafka topic of the GROUP BY: same state" "$tmp/got" "$tmp/agg.ref"
  fi
fi

# ---- 6: refusals and bad records -----------------------------------------------------------
refused() { # label, expected text, sql
  printf '%s\n' "$3" > "$tmp/r.sql"
  if "$bin" run "$tmp/r.sql" > "$tmp/r.out" 2>&1; then
    bad "$1: ran"
  elif grep -qF "$2" "$tmp/r.out"; then
    ok "$1: $(grep -F "$2" "$tmp/r.out" | head -1 | cut -c1-150)"
  else
    bad "$1:"; cat "$tmp/r.out"
  fi
}
refused "upsert-kafka without a PRIMARY KEY" "'upsert-kafka' tables require to define a PRIMARY KEY constraint" \
  "CREATE TABLE src (k STRING, v BIGINT) WITH ('connector' = 'filesystem', 'path' = '$tmp/in.json', 'format' = 'json');
CREATE TABLE u ($raw_cols) WITH ('connector' = 'upsert-kafka', 'topic' = 'x', 'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');
INSERT INTO u SELECT k, COUNT(*) FROM src GROUP BY k;"
refused "an append-only sink of a changelog source" \
  "doesn't support consuming update and delete changes" \
  "$(kafka_dbz back cl_agg "$agg_cols")
CREATE TABLE f ($agg_cols) WITH ('connector' = 'filesystem', 'path' = '$tmp/f', 'format' = 'json');
INSERT INTO f SELECT * FROM back;"
printf '{"before":null,"after":{"k":"x","n":1},"op":"z"}' | kcat -b "$bs" -P -t cl_bad -p 0 2>/dev/null
refused "a bad envelope" "bad record at topic 'cl_bad' partition 0 offset 0: Unknown \"op\" value \"z\"" \
  "$(kafka_dbz cb cl_bad "$raw_cols")
CREATE TABLE p ($raw_cols) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM cb;"
exit $fail
