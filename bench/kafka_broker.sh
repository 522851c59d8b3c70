#!/usr/bin/env bash
# bench/kafka_broker.sh - Kafka ingest and produce against a real Apache Kafka broker on
# loopback, in one command:
#
#   bench/kafka_broker.sh [SLUICE_BIN] [-- sluice bench run options...]
#
# Starts a broker (tools/kafka.sh start --kraft, stopped when this script exits), then runs
# `sluice bench run` with --brokers and --broker-pid (the broker's CPU time per run, from
# /proc/<pid>/stat, reported apart from sluice's) over:
#   nexmark/q0/kafka-json     consume + JSON decode (+ q0's projection of the bids)
#   nexmark/q0/kafka-raw      the same in the raw format
#   nexmark/produce/kafka-json  the generator's events through the kafka sink in JSON
#   nexmark/q0/gen            the same query without Kafka: the engine's own ceiling
#   librdkafka/consume-json, librdkafka/consume-raw, librdkafka/produce-json (produce-raw
#                             also exists)
#                             librdkafka alone with sluice's settings: the library's floor
# Default options: --events 1000000 --reps 5 --no-membw; --json results go where the
# options say (e.g. -- --json kafka.json). SLUICE_KAFKA_JVM_OPTS tunes the broker's JVM.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/release/sluice}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
out=$("$root/tools/kafka.sh" start --kraft --partitions 1 --owner $$)
eval "$out"
trap '"$root/tools/kafka.sh" stop --dir "$KAFKA_DIR" > /dev/null 2>&1' EXIT
pid=$(cat "$KAFKA_DIR/broker.pid")
echo "broker pid $pid at $BOOTSTRAP ($KAFKA_DIR); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
opts=(--events 1000000 --reps 5 --no-membw)
[ $# -gt 0 ] && opts=("$@")
"$bin" bench run nexmark/q0/kafka-json nexmark/q0/kafka-raw nexmark/produce/kafka-json \
  nexmark/q0/gen librdkafka/consume-json librdkafka/consume-raw librdkafka/produce-json \
  --brokers "$BOOTSTRAP" --broker-pid "$pid" "${opts[@]}"
