#!/usr/bin/env bash
# bench/cluster.sh - one keyed job on 1 process x W workers against P processes x W/P
# workers that exchange through the Kafka channel (docs/cluster.md, the static mode
# `--cluster W:LO`), on a real Apache Kafka broker (tools/kafka.sh) and on `sluice
# kafka-mock`: what the hop between processes costs (issue #15, docs/benchmarks.md "One job
# over several processes").
#
#   bench/cluster.sh [--bin SLUICE] [--events N] [--workers W] [--procs "1 2 ..."]
#                    [--reps R] [--query tumble|q20|"tumble q20"] [--broker kafka|mock|both]
#                    [--no-taskset] [--out DIR] [--help]
#
# Defaults: build/release/sluice, 4 000 000 events, W = 2, --procs "1 2", 3 reps,
# --query "tumble q20", --broker both. A P that does not divide W splits it as evenly as
# it goes (W = 3 on 2 processes: 2 + 1). P = 1 is the job without a hop (a plain `sluice
# run --workers W`, no channel, no broker); P > 1 runs the P processes at once with
# `--cluster W:LO --cluster-brokers B --cluster-topic T`, T new for every run.
#
# THE JOB. The Nexmark generator (docs/examples/nexmark/ddl_gen.sql, unpaced, the same
# events in every configuration) feeds a keyed query into a blackhole:
#   tumble  docs/examples/nexmark/tumble_stats.sql (`sluice bench`'s nexmark/tumble_stats):
#           COUNT(*), SUM(price), MAX(price) per auction and 10 s TUMBLE window, into a
#           blackhole (SINK=blackhole). Workers pre-aggregate, so only partials cross (a few hundred messages
#           per million events): the usual case of a windowed aggregation.
#   q20     docs/examples/nexmark/q20.sql: bids joined with auctions of category 10 (a
#           regular join keyed by auction). Every bid row crosses to its key's owner, so
#           about (P-1)/P of the bids cross the channel: the worst case, which gives the
#           hop's cost per record. Not on the mock, which keeps about 5 MiB per
#           partition (`sluice kafka-mock --help`): a receiver that falls that far behind
#           fails with "offset out of range".
# Why the generator rather than a Kafka topic as the source: it splits by global worker
# across the processes (each generates its workers' splits of W), so nothing but the
# channel touches the broker - the broker's CPU in the table is the hop's alone - and the
# 1-process baseline reads its input at no cost either, so the difference between the two
# is the hop.
#
# PINNING (taskset, unless --no-taskset). sluice pins its local worker i to the i-th core
# of the cores it may use (hwloc). Two unpinned processes of one worker each would both
# put their worker on core 0; so process p runs under `taskset -c <core p mod ncpu>` and
# the single process on every core. The broker is not pinned: on a 2-core machine it shares
# the cores with the workers (say so when reading wall times; CPU seconds are not affected).
#
# WHAT IS MEASURED per run: wall time from launching the processes to the last one's exit
# (process start, channel open and the end's handshake included; each process's start
# plus its elapsed time from /usr/bin/time, at 10 ms resolution); each sluice process's
# user + system CPU (/usr/bin/time); the broker's CPU over the run (/proc/PID/stat, all of
# its threads; the JVM's for Kafka, the `sluice kafka-mock` process's for the mock; what
# it burns idle is printed once per broker); the rows in and the channel's messages and
# bytes sent, summed from the processes' summary lines; the CPU of the run itself (each
# process's rows in over its summary's "M/s per core": every thread from the executor's
# start to its end, without the process's start - SQL, plan, channel open - and exit).
# Each configuration's line gives the median (and the min of the wall time) over the reps
# of: wall s, events/s, sluice CPU s, the run's CPU s, broker CPU s, events per sluice CPU
# second and the same with the broker's CPU added, the channel's messages and MB; and
# against the P = 1 run of the same query and broker: the ratio of events per CPU second
# (per-core throughput with the hop / without), the hop's cost in CPU ns per event
# ((sluice CPU with the hop - without) / events; "+broker" adds the broker's CPU) and per
# KB that crossed the channel. Raw per-run figures go to DIR/runs.tsv (--out, else a
# temporary folder that is removed).
#
# Run it when `uptime` shows a low load: the machine is shared. The first Kafka runs warm
# the broker's JIT, so one unmeasured warm-up run per query and broker precedes the reps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/release/sluice
events=4000000
W=2
procs="1 2"
reps=3
queries="tumble q20"
brokers=both
pin=1
out=

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --workers) W=$2; shift 2 ;;
    --procs) procs=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --query) queries=$2; shift 2 ;;
    --broker) brokers=$2; shift 2 ;;
    --no-taskset) pin=0; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/cluster.sh: unknown option '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "bench/cluster.sh: no sluice binary at $bin (--bin)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/cluster.sh: /usr/bin/time is missing (Debian's time)" >&2; exit 2; }
for p in $procs; do
  if [ "$p" -lt 1 ] || [ "$p" -gt "$W" ]; then
    echo "bench/cluster.sh: --procs $p: each process needs a worker (W = $W)" >&2; exit 2
  fi
done
case $brokers in kafka|mock) blist=$brokers ;; both) blist="kafka mock" ;;
  *) echo "bench/cluster.sh: --broker kafka|mock|both, not '$brokers'" >&2; exit 2 ;; esac
for q in $queries; do
  case $q in tumble|q20) ;; *) echo "bench/cluster.sh: unknown query '$q'" >&2; exit 2 ;; esac
done

if [ -n "$out" ]; then mkdir -p "$out"; tmp=$out; keep=1; else tmp=$(mktemp -d); keep=0; fi
ncpu=$(nproc)
tck=$(getconf CLK_TCK)
kafka_dir=
mock_pid=
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  [ -n "$kafka_dir" ] && "$root/tools/kafka.sh" stop --dir "$kafka_dir" > /dev/null 2>&1
  [ "$keep" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT

ex=$root/docs/examples/nexmark
gen=("$ex/ddl_gen.sql" "$ex/ddl_views.sql")
genset=(--set TPS=100000000 --set EVENTS_NUM="$events" --set PERSON_PROPORTION=1
        --set AUCTION_PROPORTION=3 --set BID_PROPORTION=46 --set NEXMARK_TABLE=datagen
        --set SINK=blackhole)
sql_of() { case $1 in tumble) echo "$ex/tumble_stats.sql" ;; q20) echo "$ex/q20.sql" ;; esac; }

# CPU seconds of a process so far (user + system, all threads), 0 when it is gone
cpu_of() {
  local f
  f=$(cut -d')' -f2- "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  echo "$f" | awk -v t="$tck" '{print ($12 + $13) / t}'
}
now() { date +%s.%N; }

# the cores of process p of P: every core for one process, else core p mod ncpu
cores_of() {
  if [ "$1" = 1 ]; then echo "0-$((ncpu - 1))"; else echo $(($2 % ncpu)); fi
}

# one run: $1 broker kind, $2 bootstrap, $3 broker pid, $4 query, $5 P, $6 rep, $7 topic
run_one() {
  local kind=$1 bs=$2 bpid=$3 q=$4 P=$5 rep=$6 topic=$7
  local d=$tmp/$kind-$q-p$P-r$rep
  mkdir -p "$d"
  local sql lo=0 i pids=() n
  sql=$(sql_of "$q")
  local b0 t0 t1 b1
  # a real broker's channel topic is made (and its leaders elected) before the run, so that
  # neither its creation nor the wait for its leaders (io/kafka_chan.c waits out "Not
  # leader for partition" at open) is in the measured span
  if [ "$kind" = kafka ] && [ "$P" -gt 1 ]; then
    "$root/tools/kafka.sh" topics --bootstrap-server "$bs" --create --topic "$topic" \
        --partitions "$W" --replication-factor 1 > "$d/topic.out" 2>&1 ||
      { echo "bench/cluster.sh: creating topic $topic failed:" >&2; cat "$d/topic.out" >&2; exit 1; }
    local tries=0
    while [ "$(kcat -b "$bs" -L -t "$topic" 2>/dev/null | grep -c 'partition .*leader [0-9]')" -lt "$W" ]; do
      tries=$((tries + 1))
      [ $tries -lt 100 ] || { echo "bench/cluster.sh: topic $topic has no leaders" >&2; exit 1; }
      sleep 0.1
    done
  fi
  b0=$(cpu_of "$bpid")
  t0=$(now)
  for ((i = 0; i < P; i++)); do
    n=$(( W / P + (i < W % P ? 1 : 0) ))
    local cmd=("$bin" run "${gen[@]}" "$sql" "${genset[@]}" --workers "$n")
    [ "$P" -gt 1 ] && cmd+=(--cluster "$W:$lo" --cluster-brokers "$bs" --cluster-topic "$topic")
    [ "$pin" = 1 ] && cmd=(taskset -c "$(cores_of "$P" "$i")" "${cmd[@]}")
    now > "$d/p$i.start"
    /usr/bin/time -f '%e %U %S' -o "$d/p$i.time" timeout 300 "${cmd[@]}" > /dev/null \
        2> "$d/p$i.err" &
    pids+=($!)
    lo=$((lo + n))
  done
  # a process that fails leaves the others waiting for its END: they get SIGTERM (through
  # the `timeout` under each /usr/bin/time, which passes it on)
  # (polled every 50 ms; the wall time comes from each process's start and /usr/bin/time)
  local bad=0 j st left=$P ended=()
  while [ "$left" -gt 0 ]; do
    for ((i = 0; i < P; i++)); do
      [ -z "${ended[$i]:-}" ] && ! kill -0 "${pids[$i]}" 2>/dev/null || continue
      st=0
      wait "${pids[$i]}" || st=$?
      ended[$i]=1
      left=$((left - 1))
      [ "$st" = 0 ] && continue
      echo "bench/cluster.sh: $kind $q P=$P run $rep: process $i failed (exit $st):" >&2
      cat "$d/p$i.err" >&2
      bad=1
      for ((j = 0; j < P; j++)); do pkill -TERM -P "${pids[$j]}" 2>/dev/null || true; done
    done
    [ "$left" -gt 0 ] && sleep 0.05
  done
  b1=$(cpu_of "$bpid")
  t1=$(for ((i = 0; i < P; i++)); do echo "$(cat "$d/p$i.start") $(cut -d' ' -f1 "$d/p$i.time")"; done |
       awk '{e = $1 + $2; if (e > m) m = e} END {printf "%.3f", m}')
  [ $bad = 0 ] || exit 1
  local cpu rows msgs bytes wcpu
  cpu=$(cat "$d"/p*.time | awk '{s += $2 + $3} END {printf "%.3f", s}')
  rows=$(sed -n 's/^sluice run: done in .*: \([0-9]*\) rows in .*/\1/p' "$d"/p*.err |
         awk '{s += $1} END {print s + 0}')
  msgs=$(sed -n 's/^sluice run: channel: \([0-9]*\) messages sent (\([0-9]*\) B).*/\1/p' \
         "$d"/p*.err | awk '{s += $1} END {print s + 0}')
  # the CPU of the run itself: each process's rows in over its "M/s per core" (getrusage
  # over the executor's run, every thread - librdkafka's too - but not the process's start
  # (SQL, plan, channel open) nor its exit)
  wcpu=$(sed -n 's/^sluice run: done in .*: \([0-9]*\) rows in ([0-9.]* M\/s, \([0-9.]*\) M\/s per core).*/\1 \2/p' \
         "$d"/p*.err | awk '$2 > 0 {s += $1 / ($2 * 1e6)} END {printf "%.3f", s}')
  bytes=$(sed -n 's/^sluice run: channel: \([0-9]*\) messages sent (\([0-9]*\) B).*/\2/p' \
          "$d"/p*.err | awk '{s += $1} END {print s + 0}')
  # every scan of the generator reads all events once over the processes (q20 scans it
  # twice: the bid and the auction side)
  if [ "$rows" -eq 0 ] || [ $((rows % events)) != 0 ]; then
    echo "bench/cluster.sh: $kind $q P=$P run $rep: $rows rows in, not a multiple of" \
         "$events events" >&2; exit 1
  fi
  if [ "$P" -gt 1 ] && [ "$msgs" -eq 0 ]; then
    echo "bench/cluster.sh: $kind $q P=$P run $rep: nothing crossed the channel" >&2; exit 1
  fi
  # kind query P rep wall cpu broker_cpu rows msgs bytes workers_cpu
  awk -v k="$kind" -v q="$q" -v P="$P" -v r="$rep" -v t0="$t0" -v t1="$t1" -v c="$cpu" \
      -v b0="$b0" -v b1="$b1" -v rows="$rows" -v m="$msgs" -v by="$bytes" -v wc="$wcpu" \
      'BEGIN {printf "%s\t%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%s\n",
              k, q, P, r, t1 - t0, c, (P > 1 ? b1 - b0 : 0), rows, m, by, wc}'
}

runs=$tmp/runs.tsv
: > "$runs"
seq_no=0
echo "bench/cluster.sh: $events events, W = $W, processes: $procs, $reps reps, queries: $queries;" \
     "$ncpu CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for kind in $blist; do
  if [ "$kind" = kafka ]; then
    eval "$("$root/tools/kafka.sh" start --kraft --partitions 1 --owner $$)"
    kafka_dir=$KAFKA_DIR
    bs=$BOOTSTRAP
    bpid=$(cat "$KAFKA_DIR/broker.pid")
  else
    # the mock cannot create topics: every run's channel topic is made at its start
    topics=()
    for q in $queries; do for P in $procs; do for ((r = 0; r <= reps; r++)); do
      topics+=(--topic "bench-$q-p$P-r$r:$W")
    done; done; done
    "$bin" kafka-mock "${topics[@]}" > "$tmp/mock.out" 2> "$tmp/mock.err" &
    mock_pid=$!
    for _ in $(seq 1 100); do [ -s "$tmp/mock.out" ] && break; sleep 0.1; done
    bs=$(head -1 "$tmp/mock.out")
    [ -n "$bs" ] || { echo "bench/cluster.sh: kafka-mock printed no address" >&2; exit 1; }
    bpid=$mock_pid
  fi
  # what the Kafka broker burns with no client: its CPU over 2 s before the first run (the
  # mock's, measured so, is 0)
  idle=
  if [ "$kind" = kafka ]; then
    i0=$(cpu_of "$bpid"); sleep 2; i1=$(cpu_of "$bpid")
    idle="; idle, it used $(awk -v a="$i0" -v b="$i1" 'BEGIN {printf "%.3f", (b - a) / 2}') CPU s per s"
  fi
  echo "bench/cluster.sh: $kind broker at $bs (pid $bpid)$idle" >&2
  for q in $queries; do
    if [ "$kind" = mock ] && [ "$q" = q20 ]; then
      echo "bench/cluster.sh: q20 not on the mock: it keeps about 5 MiB per partition and a" \
           "receiver that falls behind fails (offset out of range); q20 moves ~90 MB per" \
           "million events through the channel" >&2
      continue
    fi
    for P in $procs; do
      for ((r = 0; r <= reps; r++)); do # run 0: the warm-up, not reported
        seq_no=$((seq_no + 1))
        if [ "$kind" = kafka ]; then topic="bench-$$-$seq_no"; else topic="bench-$q-p$P-r$r"; fi
        line=$(run_one "$kind" "$bs" "$bpid" "$q" "$P" "$r" "$topic")
        [ "$r" = 0 ] || echo "$line" >> "$runs"
      done
    done
  done
  if [ "$kind" = kafka ]; then
    "$root/tools/kafka.sh" stop --dir "$kafka_dir" > /dev/null 2>&1; kafka_dir=
  else
    kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; mock_pid=
  fi
done
echo "bench/cluster.sh: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# medians (and the min of the wall time) per configuration; the ratios against P = 1 of the
# same broker and query
sort -t$'\t' -k1,1 -k2,2 -k3,3n "$runs" | awk -F'\t' -v W="$W" -v ev="$events" '
function med(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function mn(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
function flush(   wl, c, b, m, by, wk, key, epc, epcb, r, hop, hopb, kb, kbb) {
  if (!n) return
  wl = med(wall, n); c = med(cpu, n); b = med(bcpu, n); m = med(msg, n); by = med(byt, n); wk = med(wcp, n)
  epc = ev / c; epcb = ev / (c + b)
  key = kind " " q
  if (P == 1) { base[key] = c }
  r = (key in base) ? sprintf("%.2f", base[key] / c) : "-"
  hop = (key in base && P > 1) ? sprintf("%.0f", (c - base[key]) / ev * 1e9) : "-"
  hopb = (key in base && P > 1) ? sprintf("%.0f", (c + b - base[key]) / ev * 1e9) : "-"
  kb = (key in base && P > 1 && by > 0) ? sprintf("%.0f", (c - base[key]) / by * 1e12) : "-"
  kbb = (key in base && P > 1 && by > 0) ? sprintf("%.0f", (c + b - base[key]) / by * 1e12) : "-"
  printf "%-6s %-7s %dx%-4s %6.3f %6.3f %7.2fM %7.3f %7.3f %7.3f %8.2fM %8.2fM %6.2f %8s %8s %9d %7.1f %7s %7s\n",
         kind, q, P, (W / P == int(W / P) ? W / P : "~" int(W / P + 0.5)), wl, mn(wall, n),
         ev / wl / 1e6, c, wk, b, epc / 1e6, epcb / 1e6, (r == "-" ? 0 : r), hop, hopb, m, by / 1e6, kb, kbb
  n = 0
}
BEGIN {
  printf "%-6s %-7s %-6s %6s %6s %8s %7s %7s %7s %9s %9s %6s %8s %8s %9s %7s %7s %7s\n", "broker", "query",
         "PxW/P", "wall", "min", "ev/s", "CPU s", "run s", "brk s", "ev/CPU-s", "+broker", "ratio",
         "ns/ev", "+broker", "chan msg", "chan MB", "ns/KB", "+broker"
}
{ if ($1 != kind || $2 != q || $3 != P) flush()
  kind = $1; q = $2; P = $3; n++
  wall[n] = $5; cpu[n] = $6; bcpu[n] = $7; msg[n] = $9; byt[n] = $10; wcp[n] = $11 }
END { flush() }'
echo "(medians of $reps runs, wall min beside; run s = the CPU of the executor's run (no start, no exit); ratio = events per sluice CPU second with the hop" \
     "/ without; ns/ev = (sluice CPU with the hop - without) / events, +broker with the" \
     "broker's CPU added; ns/KB = the same per KB that crossed the channel)"
[ "$keep" = 1 ] && echo "raw runs: $runs" >&2
exit 0
