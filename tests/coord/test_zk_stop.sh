#!/usr/bin/env bash
# tests/coord/test_zk_stop.sh - `sluice run --zk` against a port nobody listens on, SIGINT
# after 200 ms: the first ZooKeeper connection's wait (15 s) ends on the run's stop flag
# (coord/zk.h, sl_zk_open_stop): the process says so and exits 0 (a stop) long before the timeout.
set -u
bin=${SLUICE_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat > "$tmp/q.sql" <<'SQL'
CREATE TABLE src (x BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out (x BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT x FROM src;
SQL
start=$(date +%s)
"$bin" run "$tmp/q.sql" --zk "127.0.0.1:$port" --job zkstop --state-dir "$tmp/state" \
    > "$tmp/out" 2> "$tmp/err" &
pid=$!
# SIGINT only once the process catches it: bash starts a background command with SIGINT
# ignored, so a signal sent before sluice installs its handler (a slow start under ASan) is
# lost and the run waits the whole connect timeout. SigCgt in /proc says it is installed
# (SIGINT is signal 2: bit 1); the connect begins after that, or sees the stop at once.
for _ in $(seq 1 600); do
  cgt=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2> /dev/null)
  [ -n "$cgt" ] && [ $(( 0x$cgt & 2 )) != 0 ] && break
  sleep 0.05
done
sleep 0.2
kill -INT "$pid"
wait "$pid"
rc=$?
took=$(( $(date +%s) - start ))
if ! grep -q "127.0.0.1:$port: stopped while waiting for the first connection" "$tmp/err"; then
  echo "FAIL: exit $rc after ${took} s, not stopped while connecting:"; grep -v ZOO_ "$tmp/err"
  exit 1
fi
# the connect timeout is 15 s: an exit well before it is the stop, whatever the machine's load
if [ "$took" -ge 12 ]; then
  echo "FAIL: stopped, but only after ${took} s (the connect timeout is 15 s)"; exit 1
fi
if [ "$rc" != 0 ]; then
  echo "FAIL: stopped while connecting, but exit $rc (a stop exits 0, as a stopped job does)"; exit 1
fi
echo "ok   SIGINT during the first connection: exit $rc after ${took} s"
