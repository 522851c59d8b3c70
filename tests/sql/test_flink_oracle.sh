#!/usr/bin/env bash
# tests/sql/test_flink_oracle.sh - Apache Flink as the oracle: the same query text runs in
# sluice (--workers 1 and 2; the Nexmark queries also 4; ORACLE_WORKERS below) and in Flink 1.20 (tools/flink.sh: a local MiniCluster) over the
# same input, and the final rows must be the same, row for row (order-insensitive; numbers
# and timestamps normalized by tests/sql/rows.py, which says why). docs/testing.md has the
# method.
#
# Queries: the Nexmark repository's q0, q1, q2, q3, q5, q7, q8, q11, q13, q14, q20, q21, q22 (tests/sql/q*_fs.sql: a filesystem
# sink in place of the blackhole one; q3 and q20 are regular joins of two streams, q7 the bids
# joined with their 10 s window's highest price, q8 the join of two TUMBLE aggregations (its
# four nullable key columns need a fifth key word for their NULL flags), q5 a HOP count per
# auction joined with its cascaded window aggregation (the per-window MAX of those counts,
# GROUP BY the renamed window columns), q23 runs
# unchanged only: at these 20,000 events no bidder is a person yet, its result is empty),
# cascaded window aggregations without a join (cascade_tumble: MAX / SUM / COUNT of the
# per-auction counts per TUMBLE window, GROUP BY the window columns renamed; cascade_hop: the
# same over HOP's overlapping windows, GROUP BY window_start, window_end through a filter),
# regular joins of three streams (join3: JOIN ... ON on two keys; join_comma: a comma join
# whose second join's left input is already partitioned by its key; join_keys: DOUBLE keys
# with -0.0 and NaN, STRING keys short and long), an interval join (ijoin: the bids within
# 10 s of their auction's start, state dropped as the watermark passes), OVER aggregates
# (over_rows: AVG, MIN, MAX, SUM, COUNT(*) OVER the bid and the 10 before it per auction;
# over_range: the same and COUNT(price) over the bids of the 2 s before per bidder, peers of
# one millisecond included; over_unbounded: ROWS UNBOUNDED PRECEDING, then Flink's default
# RANGE UNBOUNDED PRECEDING over that Over's output), the string functions over a table of tricky inputs
# (fn_string_fs.sql), the window queries tumble_stats (TUMBLE), hop_count (HOP),
# cumulate (CUMULATE with COUNT, SUM, MIN, MAX, AVG), session (a SESSION window table function
# PARTITION BY bidder) and gw_tumble / gw_hop (the group window syntax with TUMBLE_START,
# _END, _ROWTIME, HOP_START, _END), q15_window / q16_window (FILTER and DISTINCT aggregates),
# hop_distinct (the same over HOP, which sluice aggregates by slices: a DISTINCT value seen in
# several slices of a window counts once),
# the time and numeric functions (fntime: DATE_FORMAT, HOUR, EXTRACT, ROUND...),
# udf (udf_fs.sql: q14's user-defined count_char, Nexmark's CountChar class in tests/flink),
# MIN / MAX of VARCHAR (strmax_tumble, strmax_session), the updating queries q15, q16, q17
# and, over updating input, nested_agg, global_agg and global_upd (tests/sql/*_print.sql)
# (the Nexmark repository's files, unbounded GROUP BY: a changelog; their blackhole sink
# swapped for print with 'print-identifier' = the query, and
# Flink's and sluice's printed changelogs applied by tests/sql/changelog.py, whose final
# states must be equal; sluice also with small mini-batches, so that -U / +U rows occur, and
# the files unchanged, blackhole sink and all), the Top-N and deduplication queries q18 (the
# last bid per bidder and auction: a Deduplicate keeping the last row by rowtime) and q19 (the
# 10 highest bids per auction with their rank number: a Rank whose changes move every row
# below a new one), q4 (the average winning price per category: a GROUP BY over a GROUP BY
# over a join) and q9 (the winning bid per auction: a Top-1 over a join) the same way (print sinks, final states by changelog.py),
# the outer joins of two streams outer_left (auctions LEFT JOIN persons, a condition on the
# persons in ON), outer_right and outer_full (RIGHT and FULL JOIN with NULL keys on both
# sides), outer_resid (LEFT JOIN with residual conditions in ON: on both sides and on the
# preserved side; tests/sql/outer_*_print.sql: their changelogs retract null-padded rows, -D) the same
# way at 1, 2 and 4 workers, regular joins over updating inputs the same way (ujoin_agg: a
# GROUP BY count per auction JOIN a GROUP BY max price per auction, also with sluice's small
# mini-batches, whose -U / +U rows the join retracts; ujoin_dedup and ujoin_left:
# the auctions INNER / LEFT JOIN their latest bid, a Deduplicate keeping the last row;
# tests/sql/ujoin_*_print.sql), Top-N over updating inputs and global Top-N the same way
# (topn_agg / topn_agg_norn: the 3 auctions each bidder bid on most, over a GROUP BY, with
# and without the row number: Flink's RetractableTopNFunction; topn_global / topn_global_norn:
# the 5 auctions with the most bids / the highest total, no PARTITION BY; topn_global_bids:
# the 3 highest bids, a global Top-N over the insert-only bids; tests/sql/topn_*_print.sql,
# ties broken by a key so that the final state does not depend on arrival order; also with
# small mini-batches), q10 (q10_fs.sql: its partitioned sink with ${OUT} for its path) and part_fs.sql (a
# partitioned sink over a CSV file with characters Flink escapes in the partition values) -
# these two compared by tests/sql/partitions.py: folder names, the rows in each folder,
# _SUCCESS files; part_fs also with checkpoints -,
# over the Nexmark views (docs/examples/nexmark/ddl_views.sql) of a filesystem table of JSON
# events (nexmark_fs.sql: ddl_kafka.sql's table with a file for the topic); YSB (ysb_fs.sql:
# a join to a CSV file and a TUMBLE count); and q0, q1, q2, tumble_stats again over the
# Nexmark repository's ddl_kafka.sql, both engines reading the same topic of a real Kafka
# broker (tools/kafka.sh). Every sink is the filesystem connector with 'format' = 'csv'.
#
# Flink runs once (one JVM: its start-up is most of Flink's cost here), three jobs one after
# the other (SqlRunner's --then), each a script of several INSERTs: each query file with its
# ${OUT} renamed ${OUT_<query>}, nothing else changed. sluice runs each query file as it is.
# Flink's normalized rows are kept in the cache for the next run with the same runner, SQL
# and events (the asan and cap2 builds then start no Flink).
#
# Skips (77) when the Flink runner cannot be built (no JDK or Maven, or Maven Central out of
# reach on the first build); SLUICE_FLINK_REQUIRED=1 makes that a failure. The Kafka part is
# left out (with a message) when tools/kafka.sh cannot fetch the broker, or with
# SLUICE_FLINK_KAFKA=0. SLUICE_FLINK_PARALLELISM (default 2) sets Flink's parallelism.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
flink=$src/tools/flink.sh
kafka=$src/tools/kafka.sh
tmp=$(mktemp -d)
kdir=
cleanup() {
  [ -n "$kdir" ] && "$kafka" stop --dir "$kdir" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
t0=$(date +%s)
# ORACLE_WORKERS (default "1 2 4"): the worker counts sluice runs at, of 1, 2 and 4. tools/test.sh
# runs all three in the release build and 2 alone in the ASan build: every operator and the
# exchange between workers once under the sanitizer, the other counts where a run is 8 times
# cheaper (docs/testing.md, "Time budget").
workers=${ORACLE_WORKERS:-1 2 4}
for w in $workers; do
  case $w in 1 | 2 | 4) ;; *) echo "FAIL: ORACLE_WORKERS='$workers': 1, 2 or 4"; exit 1 ;; esac
done
wk() { # the worker counts of $@ that ORACLE_WORKERS names
  local w
  for w in "$@"; do
    case " $workers " in *" $w "*) echo "$w" ;; esac
  done
}
echo "workers: $workers"

if ! "$flink" build > "$tmp/build.log" 2>&1; then
  cat "$tmp/build.log"
  if [ -n "${SLUICE_FLINK_REQUIRED:-}" ]; then
    echo "FAIL: the Flink runner could not be built"; exit 1
  fi
  echo "skip: the Flink runner could not be built (tools/flink.sh build)"; exit 77
fi

events=20000
base=1700000000000
rate=1000 # events per second of event time: 20 s of events, several windows
"$bin" gen nexmark --events $events --base-time $base --rate $rate --out "$tmp/events.json" || exit 1
"$bin" gen ysb --events $events --base-time $base --rate $rate --out "$tmp/ysb.json" \
  --campaigns-out "$tmp/campaigns.csv" || exit 1

nexmark_queries="q0 q1 q2 tumble_stats hop_count hop_distinct q11 session cumulate gw_tumble gw_hop q15_window q16_window q13 q21 q22 fn_string fntime q14 udf strmax_tumble strmax_session q3 q20 join3 join_comma join_keys ijoin q7 q8 q5 cascade_tumble cascade_hop over_rows over_range over_unbounded"
join_files="q3 q20 q23 q5" # the unchanged files (blackhole sinks) must run too
kafka_queries="q0 q1 q2 tumble_stats"
part_queries="part q10" # partitioned sinks: compared by partitions.py
upd_queries="q15 q16 q17" # updating: print sinks, final states compared by changelog.py
# updating, over updating input (tests/sql/<q>_print.sql): a GROUP BY over a GROUP BY, global
# aggregates (no keys) over the bids and over a GROUP BY
upd_own="nested_agg global_agg global_upd"
rank_queries="q18 q19 q4 q9" # the same, without mini-batch variants (a Rank emits row by row)
outer_queries="outer_left outer_right outer_full outer_resid" # outer joins (tests/sql/<q>_print.sql): the same
# regular joins over updating inputs (tests/sql/<q>_print.sql): the same, at 1, 2 and 4 workers
ujoin_queries="ujoin_agg ujoin_dedup ujoin_left"
# Top-N over updating inputs and global Top-N (tests/sql/<q>_print.sql): the same, at 1, 2 and
# 4 workers, also with small mini-batches (more -U / +U rows for the Top-N to retract)
topn_queries="topn_agg topn_agg_norn topn_global topn_global_norn topn_global_bids"
for q in $upd_queries $rank_queries; do
  sed "s/'connector' = 'blackhole'/'connector' = 'print', 'print-identifier' = '$q'/" \
    "$ex/$q.sql" > "$tmp/${q}_print.sql"
  grep -q "'print-identifier' = '$q'" "$tmp/${q}_print.sql" ||
    { echo "FAIL: $ex/$q.sql has no blackhole sink to swap"; exit 1; }
done
for q in $upd_own $outer_queries $ujoin_queries $topn_queries; do cp "$here/${q}_print.sql" "$tmp/${q}_print.sql" || exit 1; done
printf "SET 'table.exec.mini-batch.size' = '700';\n" > "$tmp/minibatch.sql"
python3 "$here/partitions.py" --gen "$tmp/part_in.csv" || exit 1
# q13's side input: the file of Nexmark's SideInputGenerator ("i,i" for i in 0..9999), where
# q13 reads it, ${FLINK_HOME}/data/side_input.txt
mkdir -p "$tmp/flink/data"
python3 -c 'print("\n".join("%d,%d" % (i, i) for i in range(10000)))' > "$tmp/flink/data/side_input.txt"
fsets=(--set NEXMARK_EVENTS="$tmp/events.json" --set NEXMARK_TABLE=nexmark_fs
  --set FN_INPUT="$here/fn_string_input.csv" --set FLINK_HOME="$tmp/flink"
  --set JOIN_KEYS_DIR="$here")
ysets=(--set EVENTS="$tmp/ysb.json" --set CAMPAIGNS="$tmp/campaigns.csv")

# A Flink script: the given files, then each query file with ${OUT} -> ${OUT_<prefix><query>}
# (all INSERTs in one job); the --set arguments for those into the array flink_outs.
flink_outs=()
flink_script() { # script, prefix, queries, files...
  local script=$1 prefix=$2 queries=$3 f q
  shift 3
  : > "$script"
  for f in "$@"; do cat "$f" >> "$script"; printf '\n;\n' >> "$script"; done
  for q in $queries; do
    sed "s/\${OUT}/\${OUT_$prefix$q}/g" "$here/${q}_fs.sql" >> "$script"
    printf '\n;\n' >> "$script"
    flink_outs+=(--set "OUT_$prefix$q=$tmp/flink-$prefix$q")
  done
}

# ---- Kafka: a real broker, the events in topic nexmark (2 partitions) ------------------------
# The Nexmark repository's ddl_kafka.sql with 'scan.bounded.mode' = 'latest-offset' added, so
# that both engines stop at the end of the topic.
kafka_job=()
if [ "${SLUICE_FLINK_KAFKA:-1}" = 0 ]; then
  echo "skip kafka: SLUICE_FLINK_KAFKA=0"
elif ! "$kafka" fetch > "$tmp/kafka.log" 2>&1; then
  cat "$tmp/kafka.log"
  echo "skip kafka: tools/kafka.sh could not fetch the broker"
else
  kdir=$tmp/kafka
  if ! "$kafka" start --kraft --partitions 2 --dir "$kdir" --owner $$ \
    > "$tmp/kafka.env" 2> "$tmp/kafka.log"; then
    cat "$tmp/kafka.log"; echo "FAIL: tools/kafka.sh start"; exit 1
  fi
  bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$tmp/kafka.env")
  # the topic, auto-created by a metadata request that names it (`sluice gen --topic` asks
  # for all topics' metadata, which creates none, and refuses a missing topic)
  for _ in $(seq 1 50); do
    kcat -b "$bootstrap" -L -t nexmark 2>/dev/null | grep -q 'topic "nexmark" with 2 partitions' &&
      break
    sleep 0.2
  done
  "$bin" gen nexmark --events $events --base-time $base --rate $rate --topic nexmark \
    --brokers "$bootstrap" > "$tmp/log" 2>&1 || { cat "$tmp/log"; echo "FAIL: gen --topic"; exit 1; }
  python3 - "$ex/ddl_kafka.sql" "$tmp/ddl_kafka_bounded.sql" <<'PY' || exit 1
import sys
sql = open(sys.argv[1]).read()
old = "'scan.startup.mode' = 'earliest-offset',"
if sql.count(old) != 1:
    sys.exit("ddl_kafka.sql: 'scan.startup.mode' is not where this test expects it")
open(sys.argv[2], "w").write(
    sql.replace(old, old + "\n    'scan.bounded.mode' = 'latest-offset',"))
PY
  ksets=(--set BOOTSTRAP_SERVERS="$bootstrap" --set NEXMARK_TABLE=kafka)
  flink_script "$tmp/flink-kafka.sql" kafka- "$kafka_queries" "$tmp/ddl_kafka_bounded.sql" \
    "$ex/ddl_views.sql"
  kafka_job=(--then --streaming "${ksets[@]}" "$tmp/flink-kafka.sql")
fi

# ---- Flink: three jobs in one JVM ------------------------------------------------------------
# 1. the Nexmark queries over the events file, streaming;
# 2. YSB in batch mode: Flink reads `e JOIN campaigns` (no FOR SYSTEM_TIME AS OF) as a
#    regular join, after which GROUP BY window_start, window_end is no window aggregation but
#    an updating one, which Flink's streaming planner refuses to write into an append-only
#    filesystem sink; sluice reads the join as a lookup join and keeps the window
#    aggregation. Flink's batch mode computes the same query's final rows (docs/testing.md);
# 3. the Kafka queries, streaming.
# Flink's rows depend only on the runner, the SQL files and the events (sluice's generator is
# deterministic), not on the sluice build under test: they are kept, normalized, in
# CACHE/flink-oracle/KEY/ (the newest key only), so the asan and cap2 builds of
# tools/test.sh compare against them without starting Flink again.
names=""
for q in $nexmark_queries $part_queries; do names="$names $q"; done
names="$names ysb"
for q in $upd_queries $upd_own $rank_queries $outer_queries $ujoin_queries $topn_queries; do
  names="$names $q-print"
done
if [ ${#kafka_job[@]} -gt 0 ]; then for q in $kafka_queries; do names="$names kafka-$q"; done; fi
key=$({
  cat "$("$flink" dir)/stamp"
  cd "$src" && sha256sum tests/sql/test_flink_oracle.sh tests/sql/rows.py tests/sql/nexmark_fs.sql \
    tests/sql/ysb_fs.sql tests/sql/*_fs.sql tests/sql/*_print.sql tests/sql/fn_string_input.csv \
    tests/sql/partitions.py \
    tests/sql/join_keys_l.csv tests/sql/join_keys_r.csv \
    docs/examples/nexmark/ddl_views.sql tests/sql/changelog.py \
    docs/examples/nexmark/q15.sql docs/examples/nexmark/q17.sql \
    docs/examples/nexmark/q18.sql docs/examples/nexmark/q19.sql \
    docs/examples/nexmark/q4.sql docs/examples/nexmark/q9.sql \
    docs/examples/nexmark/ddl_kafka.sql | cut -d' ' -f1
  cd "$tmp" && sha256sum events.json ysb.json campaigns.csv part_in.csv | cut -d' ' -f1
  echo "$names ${SLUICE_FLINK_PARALLELISM:-2}"
} | sha256sum | cut -c1-16)
cache=${SLUICE_CACHE:-$HOME/.cache/sluice}/flink-oracle
# The rows are compared from a private copy ($tmp/flink-rows): another run (another build's,
# or another work tree's with other SQL) may prune the cache meanwhile.
mine=$tmp/flink-rows
have_rows() { # dir -> every expected file is there
  local n
  for n in $names; do [ -f "$1/$n.rows" ] || return 1; done
}
if have_rows "$cache/$key" && cp -r "$cache/$key" "$mine" 2>/dev/null && have_rows "$mine"; then
  echo "flink: rows from $cache/$key (the same runner, SQL and events as then)"
else
  upd_files=()
  for q in $upd_queries $upd_own $rank_queries $outer_queries $ujoin_queries $topn_queries; do
    upd_files+=("$tmp/${q}_print.sql")
  done
  flink_script "$tmp/flink-fs.sql" "" "$nexmark_queries $part_queries" "$here/nexmark_fs.sql" \
    "$ex/ddl_views.sql" "${upd_files[@]}"
  tf=$(date +%s)
  if ! "$flink" run --parallelism "${SLUICE_FLINK_PARALLELISM:-2}" "${fsets[@]}" \
    --set PART_IN="$tmp/part_in.csv" "${flink_outs[@]}" "$tmp/flink-fs.sql" --then --batch "${ysets[@]}" \
    --set OUT="$tmp/flink-ysb" "$here/ysb_fs.sql" "${kafka_job[@]}" > "$tmp/flink.log" 2>&1; then
    echo "FAIL: Flink failed"; cat "$tmp/flink.log"; exit 1
  fi
  sed -n 's/^flink-runner: //p' "$tmp/flink.log"
  echo "flink: $(($(date +%s) - tf)) s in all"
  mkdir -p "$mine"
  for n in $names; do
    case " $upd_queries $upd_own $rank_queries $outer_queries $ujoin_queries $topn_queries " in *" ${n%-print} "*)
      # Flink's print sink wrote the changelog into the runner's output
      python3 "$here/changelog.py" --ident "${n%-print}" "$tmp/flink.log" > "$mine/$n.rows" ||
        { echo "FAIL: Flink's changelog of ${n%-print}"; exit 1; }
      continue ;;
    esac
    norm=rows.py
    case " $part_queries " in *" $n "*) norm=partitions.py ;; esac
    python3 "$here/$norm" "$tmp/flink-$n" > "$mine/$n.rows"
  done
  # into the cache: the four newest keys are kept (runs of different SQL side by side do
  # not evict each other); a concurrent run's rename may win, its rows are the same
  mkdir -p "$cache"
  new=$(mktemp -d "$cache/.new-XXXXXX")
  cp "$mine"/*.rows "$new"/
  touch "$new"
  ls -1dt "$cache"/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
  mv -T "$new" "$cache/$key" 2>/dev/null || rm -rf "$new"
fi
rows=$mine

# ---- sluice: each query, at 1 and 2 workers, against Flink's rows ----------------------------
check() { # label, workers, sluice run's arguments...
  local name=$1 w=$2 want=$rows/$1.rows
  shift 2
  local out=$tmp/sluice-$name-$w
  if ! "$bin" run "$@" --set OUT="$out" --workers "$w" > "$tmp/log" 2>&1; then
    echo "FAIL $name workers=$w: sluice run failed"; cat "$tmp/log"; fail=1; return
  fi
  python3 "$here/rows.py" "$out" > "$tmp/got"
  if [ ! -s "$want" ]; then
    echo "FAIL $name: Flink wrote no rows"; fail=1
  elif cmp -s "$tmp/got" "$want"; then
    echo "ok   $name workers=$w ($(wc -l < "$tmp/got") rows, as Flink)"
  else
    echo "FAIL $name workers=$w: $(wc -l < "$tmp/got") rows, Flink $(wc -l < "$want");" \
      "< sluice only, > Flink only:"
    diff "$tmp/got" "$want" | grep '^[<>]' | head -10
    fail=1
  fi
}
# A partitioned sink: its folders, rows and success files, normalized by partitions.py.
check_parts() { # label, workers, sluice run's arguments...
  local name=$1 w=$2 want=$rows/${1%%-*}.rows
  shift 2
  local out=$tmp/sluice-$name-$w
  if ! "$bin" run "$@" --set OUT="$out" --workers "$w" > "$tmp/log" 2>&1; then
    echo "FAIL $name workers=$w: sluice run failed"; cat "$tmp/log"; fail=1; return
  fi
  python3 "$here/partitions.py" "$out" > "$tmp/got"
  if [ ! -s "$want" ]; then
    echo "FAIL $name: Flink wrote nothing"; fail=1
  elif cmp -s "$tmp/got" "$want"; then
    echo "ok   $name workers=$w ($(grep -vc '_SUCCESS$' "$tmp/got") rows in" \
      "$(grep -c '_SUCCESS$' "$tmp/got") committed partitions, as Flink)"
  else
    echo "FAIL $name workers=$w: < sluice only, > Flink only:"
    diff "$tmp/got" "$want" | grep '^[<>]' | head -10
    fail=1
  fi
}
# An updating query: the final state of the changelog sluice prints, as Flink's.
check_changelog() { # label, query, workers, sluice run's arguments...
  local name=$1 q=$2 w=$3 want=$rows/$2-print.rows
  shift 3
  if ! "$bin" run "$@" --workers "$w" > "$tmp/log" 2>&1; then
    echo "FAIL $name workers=$w: sluice run failed"; cat "$tmp/log"; fail=1; return
  fi
  if ! python3 "$here/changelog.py" --ident "$q" "$tmp/log" > "$tmp/got"; then
    echo "FAIL $name workers=$w: sluice's changelog does not apply"; fail=1; return
  fi
  local nu
  nu=$(grep -c '^[^ ]*> [-+]U\[' "$tmp/log")
  if [ ! -s "$want" ]; then
    echo "FAIL $name: Flink printed no rows"; fail=1
  elif cmp -s "$tmp/got" "$want"; then
    echo "ok   $name workers=$w ($(wc -l < "$tmp/got") rows in the final state, as Flink;" \
      "$nu -U/+U rows)"
  else
    echo "FAIL $name workers=$w: final state of $(wc -l < "$tmp/got") rows, Flink's" \
      "$(wc -l < "$want"); < sluice only, > Flink only:"
    diff "$tmp/got" "$want" | grep '^[<>]' | head -10
    fail=1
  fi
}
for w in $(wk 1 2); do
  for q in $upd_queries; do
    check_changelog "$q-print" "$q" "$w" "$here/nexmark_fs.sql" "$ex/ddl_views.sql" \
      "$tmp/${q}_print.sql" "${fsets[@]}"
    check_changelog "$q-print-minibatch" "$q" "$w" "$tmp/minibatch.sql" "$here/nexmark_fs.sql" \
      "$ex/ddl_views.sql" "$tmp/${q}_print.sql" "${fsets[@]}"
    if ! "$bin" run "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$ex/$q.sql" "${fsets[@]}" \
      --workers "$w" > "$tmp/log" 2>&1; then
      echo "FAIL $q workers=$w: the unchanged file (blackhole sink) failed"; cat "$tmp/log"; fail=1
    else
      echo "ok   $q workers=$w: the unchanged file runs ($(grep -o '[0-9]* rows out' "$tmp/log"))"
    fi
  done
done
# over updating input, at 1, 2 and 4 workers; with small mini-batches the inner GROUP BY
# emits -U / +U rows, which the outer one retracts
for w in $(wk 1 2 4); do
  for q in $upd_own; do
    [ "$w" = 1 ] && check_changelog "$q-print" "$q" "$w" "$here/nexmark_fs.sql" \
      "$ex/ddl_views.sql" "$tmp/${q}_print.sql" "${fsets[@]}"
    check_changelog "$q-print-minibatch" "$q" "$w" "$tmp/minibatch.sql" "$here/nexmark_fs.sql" \
      "$ex/ddl_views.sql" "$tmp/${q}_print.sql" "${fsets[@]}"
  done
done
for w in $(wk 1 2); do
  for q in $rank_queries; do
    check_changelog "$q-print" "$q" "$w" "$here/nexmark_fs.sql" "$ex/ddl_views.sql" \
      "$tmp/${q}_print.sql" "${fsets[@]}"
    if ! "$bin" run "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$ex/$q.sql" "${fsets[@]}" \
      --workers "$w" > "$tmp/log" 2>&1; then
      echo "FAIL $q workers=$w: the unchanged file (blackhole sink) failed"; cat "$tmp/log"; fail=1
    else
      echo "ok   $q workers=$w: the unchanged file runs ($(grep -o '[0-9]* rows out' "$tmp/log"))"
    fi
  done
done
for w in $(wk 1 2 4); do
  for q in $outer_queries $ujoin_queries; do
    check_changelog "$q-print" "$q" "$w" "$here/nexmark_fs.sql" "$ex/ddl_views.sql" \
      "$tmp/${q}_print.sql" "${fsets[@]}"
  done
  # with small mini-batches ujoin_agg's GROUP BYs emit -U / +U rows: the join retracts pairs
  check_changelog "ujoin_agg-print-minibatch" ujoin_agg "$w" "$tmp/minibatch.sql" \
    "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$tmp/ujoin_agg_print.sql" "${fsets[@]}"
  for q in $topn_queries; do
    check_changelog "$q-print" "$q" "$w" "$here/nexmark_fs.sql" "$ex/ddl_views.sql" \
      "$tmp/${q}_print.sql" "${fsets[@]}"
    check_changelog "$q-print-minibatch" "$q" "$w" "$tmp/minibatch.sql" "$here/nexmark_fs.sql" \
      "$ex/ddl_views.sql" "$tmp/${q}_print.sql" "${fsets[@]}"
  done
done
for w in $(wk 1 2); do
  check_parts part "$w" "$here/part_fs.sql" --set PART_IN="$tmp/part_in.csv"
  check_parts part-ckpt "$w" "$here/part_fs.sql" --set PART_IN="$tmp/part_in.csv" \
    --checkpoint-interval 20 --state-dir "$tmp/state-part-$w" --job part
  check_parts q10 "$w" "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$here/q10_fs.sql" \
    "${fsets[@]}"
done
for w in $(wk 1 2); do
  for q in $nexmark_queries; do
    check "$q" "$w" "$here/nexmark_fs.sql" "$ex/ddl_views.sql" \
      "$here/${q}_fs.sql" "${fsets[@]}"
  done
  check ysb "$w" "$here/ysb_fs.sql" "${ysets[@]}"
  if [ ${#kafka_job[@]} -gt 0 ]; then
    for q in $kafka_queries; do
      check "kafka-$q" "$w" "$tmp/ddl_kafka_bounded.sql" \
        "$ex/ddl_views.sql" "$here/${q}_fs.sql" "${ksets[@]}"
    done
  fi
done
for w in $(wk 1 2); do
  for q in $join_files; do
    if ! "$bin" run "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$ex/$q.sql" "${fsets[@]}" \
      --workers "$w" > "$tmp/log" 2>&1; then
      echo "FAIL $q workers=$w: the unchanged file (blackhole sink) failed"; cat "$tmp/log"; fail=1
    else
      echo "ok   $q workers=$w: the unchanged file runs ($(grep -o '[0-9]* rows out' "$tmp/log"))"
    fi
  done
done
# and at 4 workers (more workers than cores: windows, sessions, distinct sets and changelogs
# spread over 4 owners): the Nexmark queries, the updating ones and q10's partitions
for w in $(wk 4); do
  for q in $nexmark_queries; do
    check "$q" $w "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$here/${q}_fs.sql" "${fsets[@]}"
  done
  for q in $upd_queries $rank_queries; do
    check_changelog "$q-print" "$q" $w "$here/nexmark_fs.sql" "$ex/ddl_views.sql" \
      "$tmp/${q}_print.sql" "${fsets[@]}"
  done
  check_parts q10 $w "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$here/q10_fs.sql" "${fsets[@]}"
done

echo "test_flink_oracle: $(($(date +%s) - t0)) s"
exit $fail
