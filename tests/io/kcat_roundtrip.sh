#!/bin/sh
# tests/io/kcat_roundtrip.sh SLUICE KAFKA_ROUNDTRIP KCAT
#
# kcat, an independent Kafka client, against sluice's source and sink, through
# `sluice kafka-mock` run as a child process on a fixed --port:
#   1. what kcat writes (kcat -P, murmur2 partitioner) sluice reads: the same records at the
#      same partitions and offsets as kcat itself reads back;
#   2. what sluice writes kcat reads unchanged (kcat -C -e), each key in the partition that
#      kcat's own murmur2 partitioner chose for it in step 1;
#   3. SIGTERM shuts the mock down cleanly (exit status 0).
set -eu
SLUICE=$1
RT=$2
KCAT=$3
tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp/mock.err" >&2 2>/dev/null || true; exit 1; }

# Start the mock on a free port (a few tries in case one is taken).
port=$((20000 + $$ % 20000))
for try in 1 2 3 4 5 6 7 8 9 10; do
    : > "$tmp/addr"
    "$SLUICE" kafka-mock --port "$port" --topic in --topic out --partitions 3 \
        > "$tmp/addr" 2> "$tmp/mock.err" &
    pid=$!
    i=0
    while [ ! -s "$tmp/addr" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05; i=$((i + 1))
    done
    [ -s "$tmp/addr" ] && break
    wait "$pid" 2>/dev/null || true
    pid=
    port=$((port + 1))
done
[ -n "$pid" ] || fail "kafka-mock did not start"
bs=$(head -n 1 "$tmp/addr")
[ "$bs" = "127.0.0.1:$port" ] || fail "kafka-mock printed '$bs', expected 127.0.0.1:$port"
KC="-X fetch.wait.max.ms=10 -X socket.nagle.disable=true -X partitioner=murmur2_random"

# Records: "key<TAB>value", values with spaces, one empty value, 500 distinct keys.
i=0
while [ $i -lt 500 ]; do
    printf 'key-%d\tvalue %d of the kcat test\n' "$i" "$i"
    i=$((i + 1))
done > "$tmp/in.txt"
printf 'key-empty\t\n' >> "$tmp/in.txt"

# 1. kcat writes, sluice reads.
"$KCAT" -b "$bs" $KC -P -t in -K '\t' < "$tmp/in.txt" || fail "kcat -P"
"$RT" consume "$bs" in > "$tmp/sluice_read.txt" || fail "sluice consume"
"$KCAT" -b "$bs" $KC -C -t in -o beginning -e -q -f '%p %o %k %s\n' > "$tmp/kcat_read.txt" \
    || fail "kcat -C"
[ "$(wc -l < "$tmp/sluice_read.txt")" -eq 501 ] || fail "sluice read $(wc -l < "$tmp/sluice_read.txt") records, not 501"
sort "$tmp/sluice_read.txt" > "$tmp/a"
sort "$tmp/kcat_read.txt" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b" | head >&2; fail "sluice and kcat read 'in' differently"; }

# 2. sluice writes, kcat reads.
"$RT" produce "$bs" out < "$tmp/in.txt" || fail "sluice produce"
"$KCAT" -b "$bs" $KC -C -t out -o beginning -e -q -f '%k\t%s\n' > "$tmp/out.txt" || fail "kcat -C out"
sort "$tmp/in.txt" > "$tmp/a"
sort "$tmp/out.txt" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b" | head >&2; fail "kcat did not read back what sluice wrote"; }
# same key -> same partition as kcat's own murmur2 partitioner chose
"$KCAT" -b "$bs" $KC -C -t in -o beginning -e -q -f '%k %p\n' | sort > "$tmp/a"
"$KCAT" -b "$bs" $KC -C -t out -o beginning -e -q -f '%k %p\n' | sort > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "sluice and kcat partition keys differently"
[ "$(cut -d' ' -f2 "$tmp/b" | sort -u | wc -l)" -eq 3 ] || fail "keys did not spread over 3 partitions"

# 3. clean shutdown.
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" -eq 0 ] || fail "kafka-mock exited with $status after SIGTERM"
grep -q "shutting down" "$tmp/mock.err" || fail "kafka-mock did not report its shutdown"
echo "kcat round trip: ok"
