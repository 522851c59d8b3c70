#!/usr/bin/env bash
# tests/sql/test_kafka_headers.sh - Kafka record headers and timestamps through `sluice run`
# against a real Apache Kafka broker (tools/kafka.sh, KRaft), with kcat as the independent
# client on both sides:
#
#   1. kcat writes records with headers (-H), among them a repeated name, a header without a
#      value (NULL), one with an empty value, a non-ASCII value, and a record without
#      headers; kcat's %T reads each record's timestamp back for step 2;
#   2. sluice reads them: `headers` MAP<STRING, BYTES> METADATA (one entry per name, the last
#      value of a repeated one, as Flink's KafkaDynamicSource; NULL kept), m['k'] (NULL when
#      absent), CARDINALITY, `timestamp` as TIMESTAMP_LTZ(3) - into a JSON file (a MAP as an
#      object with base64 values, TIMESTAMP_LTZ with its 'Z');
#   3. sluice writes a topic whose `headers` column is MAP[...] of each row; kcat -f '%h'
#      reads every header back, in order, a NULL value as NULL; a NULL map writes none;
#      The same rows through an exactly-once sink, read with isolation.level=read_committed;
#   4. `timestamp-type` METADATA: CreateTime for kcat's records, LogAppendTime for a topic
#      whose message.timestamp.type is LogAppendTime (created with Kafka's topics tool).
#
# Without a broker the test FAILS (it does not skip).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
tmp=$(mktemp -d)
kdir=
cleanup() {
  [ -n "$kdir" ] && "$src/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
kcat=$(command -v kcat) || { echo "FAIL: no kcat"; exit 1; }

out=$("$src/tools/kafka.sh" start --kraft --partitions 1 --owner $$) ||
  { echo "FAIL: no Kafka broker (tools/kafka.sh start --kraft failed: see above)"; exit 1; }
eval "$out"
kdir=$KAFKA_DIR
bs=$BOOTSTRAP

# 1. kcat writes the headers
printf '{"id":1}\n' | "$kcat" -P -b "$bs" -t hin -H "a=1" -H "b=xy" -H "a=2" -H "n" -H "e=" ||
  { echo "FAIL: kcat -P"; exit 1; }
printf '{"id":2}\n' | "$kcat" -P -b "$bs" -t hin || { echo "FAIL: kcat -P"; exit 1; }
printf '{"id":3}\n' | "$kcat" -P -b "$bs" -t hin -H "bin=é" || { echo "FAIL: kcat -P"; exit 1; }
# the broker's timestamps of the three records, as kcat sees them (ms since the epoch)
mapfile -t ts < <("$kcat" -C -b "$bs" -t hin -e -q -f '%T\n')
[ "${#ts[@]}" -eq 3 ] || { echo "FAIL: kcat read ${#ts[@]} records back, want 3"; exit 1; }

cat > "$tmp/job.sql" << EOF
CREATE TABLE hin (
  id BIGINT,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  h MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL
) WITH ('connector' = 'kafka', 'topic' = 'hin', 'format' = 'json',
  'properties.bootstrap.servers' = '$bs', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset');
CREATE TABLE f (id BIGINT, ts TIMESTAMP_LTZ(3), tsms STRING, a STRING, n BYTES, e BYTES,
  x BYTES, c INT, h MAP<STRING, BYTES>)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/out', 'format' = 'json');
CREATE TABLE hout (id BIGINT, headers MAP<STRING, BYTES> METADATA)
  WITH ('connector' = 'kafka', 'topic' = 'hout', 'format' = 'json',
  'properties.bootstrap.servers' = '$bs', 'sink.partitioner' = 'fixed');
INSERT INTO f SELECT id, ts, CAST(ts AS STRING), CAST(h['a'] AS STRING), h['n'], h['e'], h['x'],
  CARDINALITY(h), h FROM hin;
INSERT INTO hout SELECT id, CASE WHEN id = 2 THEN CAST(NULL AS MAP<STRING, BYTES>) ELSE
  MAP['k1', CAST('v1' AS BYTES), 'k2', CAST(NULL AS BYTES), 'id', CAST(CAST(id AS STRING) AS BYTES),
      'k1', CAST('last' AS BYTES)] END FROM hin;
EOF
if ! timeout -k 5 120 "$bin" run "$tmp/job.sql" --quiet > "$tmp/log" 2>&1; then
  cat "$tmp/log"
  echo "FAIL: sluice run"
  exit 1
fi

# 2. what sluice read (python3 turns kcat's epoch ms into the text sluice must write)
iso() { python3 -c "import datetime,sys; t=datetime.datetime.fromtimestamp(int(sys.argv[1])/1000, datetime.timezone.utc); print(t.strftime('%Y-%m-%d %H:%M:%S.') + '%03d' % (int(sys.argv[1]) % 1000))" "$1"; }
t0=$(iso "${ts[0]}") t1=$(iso "${ts[1]}") t2=$(iso "${ts[2]}")
cat > "$tmp/want" << EOF
{"id":1,"ts":"${t0}Z","tsms":"${t0}","a":"2","n":null,"e":"","x":null,"c":4,"h":{"a":"Mg==","b":"eHk=","n":null,"e":""}}
{"id":2,"ts":"${t1}Z","tsms":"${t1}","a":null,"n":null,"e":null,"x":null,"c":0,"h":{}}
{"id":3,"ts":"${t2}Z","tsms":"${t2}","a":null,"n":null,"e":null,"x":null,"c":1,"h":{"bin":"w6k="}}
EOF
cat "$tmp/out"/part-* 2> /dev/null | LC_ALL=C sort > "$tmp/got"
if cmp -s "$tmp/got" "$tmp/want"; then
  echo "ok   kcat's headers and timestamps read by sluice (MAP, m['k'], CARDINALITY, TIMESTAMP_LTZ)"
else
  bad "sluice read:"
  diff "$tmp/got" "$tmp/want"
fi

# 3. what sluice wrote, as kcat reads it
"$kcat" -C -b "$bs" -t hout -e -q -f '%h|%s\n' > "$tmp/kgot" 2>&1
cat > "$tmp/kwant" << 'EOF'
k1=last,k2=NULL,id=1|{"id":1}
|{"id":2}
k1=last,k2=NULL,id=3|{"id":3}
EOF
if cmp -s "$tmp/kgot" "$tmp/kwant"; then
  echo "ok   sluice's headers read by kcat (every entry in order, NULL values, a NULL map: none)"
else
  bad "kcat read:"
  diff "$tmp/kgot" "$tmp/kwant"
fi

# 3b. the same through an exactly-once sink (headers and timestamps go into the epoch's
# transaction one by one), as a read_committed reader sees them
sed -e "s/'topic' = 'hout'/'topic' = 'hout_eos', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'hdr'/" \
  -e "s/INSERT INTO f SELECT.*//; s/^  CARDINALITY(h), h FROM hin;//" "$tmp/job.sql" > "$tmp/eos.sql"
grep -q "exactly-once" "$tmp/eos.sql" || bad "the exactly-once job was not made"
if ! timeout -k 5 120 "$bin" run "$tmp/eos.sql" --quiet --checkpoint-interval 100 \
  --state-dir "$tmp/state" --job hdr > "$tmp/log" 2>&1; then
  cat "$tmp/log"
  bad "sluice run (exactly-once headers)"
fi
"$kcat" -C -b "$bs" -t hout_eos -e -q -X isolation.level=read_committed -f '%h|%s\n' \
  > "$tmp/kgot" 2>&1
if cmp -s "$tmp/kgot" "$tmp/kwant"; then
  echo "ok   headers through the exactly-once sink, read_committed"
else
  bad "kcat read (exactly-once):"
  diff "$tmp/kgot" "$tmp/kwant"
fi

# 4. 'timestamp-type': the producer's CreateTime (hin), the broker's LogAppendTime (a topic
# with message.timestamp.type=LogAppendTime), as Kafka's TimestampType.toString() says
"$src/tools/kafka.sh" topics --bootstrap-server "$bs" --create --topic lat --partitions 1 \
  --config message.timestamp.type=LogAppendTime > "$tmp/topics.log" 2>&1 ||
  { cat "$tmp/topics.log"; echo "FAIL: kafka-topics --create"; exit 1; }
printf '{"id":9}\n' | "$kcat" -P -b "$bs" -t lat || { echo "FAIL: kcat -P"; exit 1; }
lat_ts=$("$kcat" -C -b "$bs" -t lat -e -q -f '%T\n')
cat > "$tmp/tt.sql" << EOF
CREATE TABLE hin (id BIGINT, tt STRING METADATA FROM 'timestamp-type' VIRTUAL,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp')
  WITH ('connector' = 'kafka', 'topic' = 'hin;lat', 'format' = 'json',
  'properties.bootstrap.servers' = '$bs', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset');
CREATE TABLE f (id BIGINT, tt STRING, ts TIMESTAMP_LTZ(3))
  WITH ('connector' = 'filesystem', 'path' = '$tmp/tt', 'format' = 'csv');
INSERT INTO f SELECT id, tt, ts FROM hin;
EOF
if ! timeout -k 5 120 "$bin" run "$tmp/tt.sql" --quiet > "$tmp/log" 2>&1; then
  cat "$tmp/log"
  bad "sluice run (timestamp-type)"
fi
cat "$tmp/tt"/part-* 2> /dev/null | LC_ALL=C sort > "$tmp/ttgot"
printf '%s\n' "1,CreateTime,$(iso "${ts[0]}")Z" "2,CreateTime,$(iso "${ts[1]}")Z" \
  "3,CreateTime,$(iso "${ts[2]}")Z" "9,LogAppendTime,$(iso "$lat_ts")Z" > "$tmp/ttwant"
if cmp -s "$tmp/ttgot" "$tmp/ttwant"; then
  echo "ok   'timestamp-type': CreateTime and LogAppendTime, with their timestamps"
else
  bad "timestamp-type read:"
  diff "$tmp/ttgot" "$tmp/ttwant"
fi
exit $fail
