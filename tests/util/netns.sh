# tests/util/netns.sh - several "hosts" on one machine for shell tests: Linux network
# namespaces joined by a bridge (iproute2), one process under test per namespace. Sourced by
# a test (tests/sql/test_cluster_netns.sh); docs/testing.md, "Several hosts on one machine".
#
#   . "$src/tests/util/netns.sh"
#   sl_netns_up N               N hosts (namespaces); exits 77 (skip) when they cannot be made
#   sl_netns_exec I CMD...      CMD inside host I (1..N), in the foreground
#   sl_host_start I LOG CMD...  CMD inside host I in the background (stdout and stderr to LOG),
#                               under `timeout $SL_NETNS_TIMEOUT` (default 120 s) against a hang
#   sl_host_signal I SIG        SIG to the process of host I (CMD itself, not its timeout)
#   sl_host_wait I              waits for it; returns its exit status (124: the timeout hit)
#   sl_host_kill I              SIGKILL and wait (a crash)
#   sl_host_restart I LOG       starts CMD of host I's last sl_host_start again, logging to LOG
#   sl_at_exit CMD              CMD (one string, eval'd) runs at exit after the teardown
#                               (the harness owns the EXIT trap; the last added runs first)
#   sl_netns_down               the teardown (also the EXIT trap): kills every process in the
#                               namespaces, deletes them, their veths and the bridge
#   sl_netns_leftovers          prints what of this run is still there (nothing after
#                               sl_netns_down; a test checks it at its end)
#
# After sl_netns_up: SL_NETNS_ADDR is the bridge's address in the root namespace (servers
# that every host must reach - ZooKeeper, a Kafka broker - listen there), SL_HOST_ADDR[I] the
# address of host I, SL_NETNS_NAME[I] its namespace's name.
#
# HOW IT WORKS
# Names are unique per run, from the sourcing shell's pid P: namespaces slPhI, the bridge
# slPb, and veth pairs slPvI (root side, a port of the bridge) / slPnI (moved into host I and
# renamed eth0) - at most 15 characters, the kernel's limit for a link name. The subnet is
# a /24 of 10.231.0.0/16 (the third byte from P, the next free one when another run's bridge
# holds it): 10.231.X.1 the bridge, 10.231.X.(10 + I) host I; lo is up in each namespace, so
# a process there also reaches its own 127.0.0.1. No route leaves the subnet: a host reaches
# the bridge address and the other hosts, nothing else (the servers listen on the bridge
# address, not on loopback).
# The processes are started with `ip netns exec`, which execs the command in the namespace
# (no process of its own stays), so $! is the `timeout` process and CMD its only child. The
# teardown kills (SIGKILL) every pid `ip netns pids` lists in each namespace - also what a
# process started there itself - then deletes the namespaces (which deletes each veth pair
# with its inner end) and the bridge. A run killed before its teardown (SIGKILL of the test)
# leaves its namespaces; the next sl_netns_up deletes those of runs whose pid is gone.
#
# Needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2 (tools/setup.sh installs it);
# without them sl_netns_up exits 77 saying why.

SL_NETNS_TIMEOUT=${SL_NETNS_TIMEOUT:-120}
SL_NETNS_PREFIX=sl$$
SL_NETNS_N=0
SL_NETNS_ADDR=
SL_NETNS_BRIDGE=
SL_NETNS_NAME=()
SL_HOST_ADDR=()
SL_HOST_PID=()
SL_HOST_CMD=()
SL_AT_EXIT=()

sl_at_exit() {
  SL_AT_EXIT=("$1" "${SL_AT_EXIT[@]}")
}

sl_netns_exit_trap() {
  local rc=$? c
  # stderr: bash's "Killed" notices of the processes the teardown kills; what the teardown
  # itself has to say goes to stdout
  sl_netns_down 2> /dev/null
  for c in "${SL_AT_EXIT[@]}"; do eval "$c"; done
  exit $rc
}
trap sl_netns_exit_trap EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the namespaces and bridges of earlier runs whose shell is gone (killed before teardown)
sl_netns_sweep() {
  local ns pid
  for ns in $(ip netns list 2> /dev/null | awk '{print $1}'); do
    [[ $ns =~ ^sl([0-9]+)h[0-9]+$ ]] || continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2> /dev/null && continue
    sl_netns_kill_in "$ns"
    ip netns del "$ns" 2> /dev/null
  done
  for ns in $(ip -o link show type bridge 2> /dev/null | awk -F': ' '{print $2}'); do
    [[ $ns =~ ^sl([0-9]+)b$ ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2> /dev/null || ip link del "$ns" 2> /dev/null
  done
}

# SIGKILL to every process in namespace $1, until none is left (at most 5 s)
sl_netns_kill_in() {
  local pids i
  for ((i = 0; i < 50; i++)); do
    pids=$(ip netns pids "$1" 2> /dev/null)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2> /dev/null
    sleep 0.1
  done
  echo "netns.sh: processes still in namespace $1 after SIGKILL: $pids"
}

sl_netns_skip() {
  echo "SKIP: $* (tests/util/netns.sh needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN, and iproute2)"
  exit 77
}

# sl_netns_up N
sl_netns_up() {
  local n=$1 i x ns
  command -v ip > /dev/null || sl_netns_skip "no 'ip' program (Debian's iproute2)"
  sl_netns_sweep
  SL_NETNS_BRIDGE=${SL_NETNS_PREFIX}b
  local out
  if ! out=$(ip netns add "${SL_NETNS_PREFIX}h1" 2>&1); then
    sl_netns_skip "cannot create a network namespace: ip netns add: $out"
  fi
  SL_NETNS_NAME[1]=${SL_NETNS_PREFIX}h1
  SL_NETNS_N=1
  if ! out=$(ip link add "$SL_NETNS_BRIDGE" type bridge 2>&1); then
    sl_netns_skip "cannot create a bridge: ip link add $SL_NETNS_BRIDGE type bridge: $out"
  fi
  # a /24 of 10.231.0.0/16 that no link holds yet
  x=$(($$ % 256))
  for ((i = 0; i < 256; i++)); do
    [ -z "$(ip -4 -o addr show to "10.231.$x.0/24" 2> /dev/null)" ] && break
    x=$(((x + 1) % 256))
  done
  [ "$i" -lt 256 ] || { echo "FAIL: netns.sh: no free /24 in 10.231.0.0/16"; exit 1; }
  SL_NETNS_ADDR=10.231.$x.1
  sl_netns_ip addr add "$SL_NETNS_ADDR/24" dev "$SL_NETNS_BRIDGE" || exit 1
  sl_netns_ip link set "$SL_NETNS_BRIDGE" up || exit 1
  for ((i = 1; i <= n; i++)); do
    ns=${SL_NETNS_PREFIX}h$i
    if [ "$i" -gt 1 ]; then
      sl_netns_ip netns add "$ns" || exit 1
      SL_NETNS_NAME[i]=$ns
      SL_NETNS_N=$i
    fi
    SL_HOST_ADDR[i]=10.231.$x.$((10 + i))
    sl_netns_ip link add "${SL_NETNS_PREFIX}v$i" type veth peer name "${SL_NETNS_PREFIX}n$i" &&
      sl_netns_ip link set "${SL_NETNS_PREFIX}n$i" netns "$ns" &&
      sl_netns_ip -n "$ns" link set "${SL_NETNS_PREFIX}n$i" name eth0 &&
      sl_netns_ip -n "$ns" addr add "${SL_HOST_ADDR[i]}/24" dev eth0 &&
      sl_netns_ip -n "$ns" link set eth0 up &&
      sl_netns_ip -n "$ns" link set lo up &&
      sl_netns_ip link set "${SL_NETNS_PREFIX}v$i" master "$SL_NETNS_BRIDGE" &&
      sl_netns_ip link set "${SL_NETNS_PREFIX}v$i" up || exit 1
  done
}

# ip ARGS..., failing the test with the command and its message
sl_netns_ip() {
  local out
  out=$(ip "$@" 2>&1) && return 0
  echo "FAIL: netns.sh: ip $*: $out"
  return 1
}

sl_netns_exec() {
  local i=$1
  shift
  ip netns exec "${SL_NETNS_NAME[i]}" "$@"
}

sl_host_start() {
  local i=$1 log=$2
  shift 2
  SL_HOST_CMD[i]=$(printf '%q ' "$@")
  ip netns exec "${SL_NETNS_NAME[i]}" timeout "$SL_NETNS_TIMEOUT" "$@" > "$log" 2>&1 &
  SL_HOST_PID[i]=$!
}

sl_host_restart() {
  local i=$1 log=$2
  eval "sl_host_start $i \"\$log\" ${SL_HOST_CMD[i]}"
}

# the pid of CMD (the child of host I's timeout); empty once it has ended
sl_host_pid() {
  [ -n "${SL_HOST_PID[$1]:-}" ] || return 0
  pgrep -P "${SL_HOST_PID[$1]}" 2> /dev/null | head -1
}

sl_host_signal() {
  local p
  p=$(sl_host_pid "$1")
  [ -n "$p" ] && kill -s "$2" "$p"
}

sl_host_wait() {
  local p=${SL_HOST_PID[$1]:-} rc=0
  [ -n "$p" ] || return 0
  wait "$p" || rc=$?
  SL_HOST_PID[$1]=
  return $rc
}

sl_host_kill() {
  sl_host_signal "$1" KILL
  { sl_host_wait "$1"; } 2> /dev/null
  return 0
}

sl_netns_down() {
  local i l
  for ((i = 1; i <= SL_NETNS_N; i++)); do
    [ -n "${SL_NETNS_NAME[i]:-}" ] || continue
    sl_netns_kill_in "${SL_NETNS_NAME[i]}"
    ip netns del "${SL_NETNS_NAME[i]}" 2> /dev/null
  done
  for ((i = 1; i <= SL_NETNS_N; i++)); do
    [ -n "${SL_HOST_PID[i]:-}" ] && { wait "${SL_HOST_PID[i]}"; } 2> /dev/null
    SL_HOST_PID[i]=
  done
  SL_NETNS_N=0
  if [ -n "$SL_NETNS_BRIDGE" ]; then
    # a veth whose namespace could not be deleted still has its root end: remove it
    for l in $(ip -o link show 2> /dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
               grep "^${SL_NETNS_PREFIX}[vb][0-9]*$"); do
      ip link del "$l" 2> /dev/null
    done
    SL_NETNS_BRIDGE=
  fi
}

sl_netns_leftovers() {
  ip netns list 2> /dev/null | awk '{print $1}' | grep "^${SL_NETNS_PREFIX}h[0-9]*$" |
    sed 's/^/namespace /'
  ip -o link show 2> /dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
    grep "^${SL_NETNS_PREFIX}[vnb][0-9]*$" | sed 's/^/link /'
}
