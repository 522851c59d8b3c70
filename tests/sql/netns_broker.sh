# tests/sql/netns_broker.sh - sourced by the SQL shell tests of a job over several "hosts"
# (test_cluster_netns.sh, test_cluster_netns_auto.sh), after they set $bin, $src, $here and
# $ex: the hosts and a real Kafka broker with its ZooKeeper on their bridge, and the helpers
# both tests share.
#
#   sl_netns_broker N P         N hosts (tests/util/netns.sh: it exits 77 when they cannot
#                               be made), $tmp (removed at exit), and tools/kafka.sh's broker
#                               listening on the bridge's address with P partitions a topic
#                               by default, stopped at exit: $bs its bootstrap address,
#                               $ZOOKEEPER the ZooKeeper it started there (the jobs use it
#                               too, under a chroot of their own)
#   sl_reference                the reference rows: one process at --workers 3 without
#                               checkpoints runs "${sql[@]}" in the root namespace; its rows
#                               (rows.py) in $want; the test fails when none come
#   sl_teardown_check           the teardown, then that nothing of the run is left (no
#                               namespace, veth or bridge): sets fail=1 otherwise
. "$src/tests/util/netns.sh"
tmp=
kdir=

sl_netns_broker() {
  sl_netns_up "$1"
  tmp=$(mktemp -d)
  sl_at_exit 'rm -rf "$tmp"'
  sl_at_exit '[ -n "$kdir" ] && "$src/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1'
  local out
  out=$("$src/tools/kafka.sh" start --host "$SL_NETNS_ADDR" --partitions "$2" --owner $$) ||
    { echo "FAIL: no Kafka broker (tools/kafka.sh start --host $SL_NETNS_ADDR failed: see above)"; exit 1; }
  eval "$out"
  kdir=$KAFKA_DIR
  bs=$BOOTSTRAP
  : "${ZOOKEEPER:?tools/kafka.sh printed no ZOOKEEPER=}"
  echo "hosts ${SL_HOST_ADDR[*]}; broker $bs and ZooKeeper $ZOOKEEPER on the bridge"
}

sl_reference() { # [more run arguments]
  "$bin" run "${sql[@]}" "$@" --workers 3 --set OUT="$tmp/one" > /dev/null 2> "$tmp/one.err" ||
    { echo "FAIL: the single process"; cat "$tmp/one.err"; exit 1; }
  want=$tmp/want
  python3 "$here/rows.py" "$tmp/one" > "$want"
  [ -s "$want" ] || { echo "FAIL: no reference rows"; exit 1; }
}

sl_teardown_check() {
  sl_netns_down
  local left
  left=$(sl_netns_leftovers)
  if [ -n "$left" ]; then
    echo "FAIL: left after the teardown: $left"
    fail=1
  else
    echo "ok   teardown: no namespace, veth or bridge of this run is left (ip netns list, ip link)"
  fi
}
