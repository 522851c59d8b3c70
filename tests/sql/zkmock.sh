# tests/sql/zkmock.sh - sourced by the SQL shell tests of a job over several processes with
# ZooKeeper (test_cluster_ckpt.sh, test_cluster_auto.sh), after they set $bin and $build:
# mock.sh's $tmp and sl_mock_start, and a real ZooKeeper server (tests/coord/zkserver_run.c)
# started now, its address in $zkaddr; both go at exit. The test skips (77) when the server
# cannot run here, and fails when it prints no address. Helpers: now (Unix seconds, ns),
# committed JOB (the job's last committed epoch in $tmp/state and ZooKeeper $zk; 0: none).
zkrun=$build/zkserver_run
[ -x "$zkrun" ] || { echo "FAIL: no $zkrun (ninja builds it)"; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/mock.sh" # $tmp, sl_mock_start
zk_pid=
zk_cleanup() {
  [ -n "$zk_pid" ] && kill "$zk_pid" 2> /dev/null && wait "$zk_pid" 2> /dev/null
  sl_mock_cleanup
}
trap zk_cleanup EXIT
"$zkrun" > "$tmp/zk.out" 2> "$tmp/zk.err" &
zk_pid=$!
for _ in $(seq 1 300); do [ -s "$tmp/zk.out" ] && break; sleep 0.1; done
zkaddr=$(head -1 "$tmp/zk.out")
if [ -z "$zkaddr" ]; then
  wait "$zk_pid"; rc=$?; zk_pid=
  [ $rc = 77 ] && { echo "SKIP: $(cat "$tmp/zk.err")"; exit 77; }
  echo "FAIL: no ZooKeeper"; cat "$tmp/zk.err"; exit 1
fi
now() { date +%s.%N; }
committed() {
  "$bin" checkpoints --job "$1" --state-dir "$tmp/state" --zk "$zk" 2> /dev/null |
    awk '$1 ~ /^[0-9]+$/ {print $1; exit}' | grep . || echo 0
}
