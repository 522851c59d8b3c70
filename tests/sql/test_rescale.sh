#!/usr/bin/env bash
# tests/sql/test_rescale.sh - a job's state restored at another worker count (key groups,
# engine/core/keygroup.h), end to end over the Kafka protocol.
#
# `sluice kafka-mock` (12 partitions) holds 60000 Nexmark events; the job reads them through
# ckpt_kafka_bounded.sql with 'scan.rate-limit' = 12000 (so that a run lasts about 5 s and is
# killed while it runs, not after), checkpoints every 20 ms:
#   1. tumble_stats (window aggregation: per-auction COUNT / SUM / MAX in 10 s windows) runs
#      at 2 workers and dies at a crash point (as kill -9) once 8 epochs are committed; resumed at 3
#      workers (the state of 2 workers split into 3 workers' key groups, the 12 partitions
#      dealt anew) and dies again 4 epochs later; resumed at 1 worker to the end. The
#      visible part files must hold exactly reference.py's rows, and each resume must say it
#      rescaled ("rescaling the state of epoch E from 2 workers to 3").
#   2. 'pipeline.max-parallelism' = 2 and a resume at 3 workers: refused, naming both numbers.
#   3. a generator source (its splits depend on the worker count): a resume at another worker
#      count is refused, naming the table; the output and the state are left as they were.
#   4. the unbounded GROUP BY (Nexmark q17 into print) at 2 workers, killed, resumed at 3: the
#      final state (per key the last +I / +U row, changelog.py --last-by) equals a run's
#      without a crash.
#   5, 6. a regular join and an interval join of two streams (bids with their auctions) into
#      files at 3 workers, killed, resumed at 2: the rows equal a run's without a crash, row
#      for row.
#   7. Top-N (the ten highest bids per auction) into print at 2 workers, killed, resumed at 3:
#      the final state (per auction and rank the last row) equals a run's without a crash;
#      7b the same for a Top-3 per bidder over a GROUP BY and a global Top-5 over a GROUP BY.
#   8. 4, 5 and 7 in one job with 'table.exec.state.ttl' = '1 h' (their snapshot formats
#      with each key's last write), 2 -> 3 workers: the results of 4, 5 and 7's runs.
#   9. OVER aggregates (a ROWS frame per auction, a RANGE frame per bidder) into files at 2
#      workers, killed, resumed at 3: the rows equal a run's without a crash at 1 worker, row
#      for row (the frames' rows, accumulators and the rows waiting for the watermark split by
#      key group; the events are 1 ms apart, so no ROWS frame orders ties by arrival).
# Every run is wrapped in `timeout -k 5 120`: a hang shows as a failure with its log.
# SLUICE_TEST_SMALL (tools/test.sh sets it in the ASan step): 30000 events at 6000 records/s
# instead of 60000 at 12000 - the same 5 s of input, so the crash points (after 8 and 4
# epochs of 20 ms) come as early in it as in the release build, and every case runs; the
# runs to the end (the references, the resumes at full speed) read half the rows, which
# under ASan only made them longer (10 s windows, the joins' and OVER frames' seconds are
# all within 30 s of event time).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
. "$src/tests/sql/mock.sh" # $tmp, sl_mock_start
fail=0
bad() { echo "FAIL $*"; fail=1; }
events=60000
rate=12000
[ -n "${SLUICE_TEST_SMALL:-}" ] && events=30000 rate=6000 && echo "30000 events at 6000/s (SLUICE_TEST_SMALL)"
events=${RESCALE_EVENTS:-$events}
base=1700000000000

sl_mock_start --topic big --partitions 12
"$bin" gen nexmark --events $events --base-time $base --rate 1000 --topic big --brokers "$bs" ||
    { echo "FAIL: sluice gen to Kafka"; exit 1; }
"$bin" gen nexmark --events $events --base-time $base --rate 1000 --out "$tmp/events.json" || exit 1
sl_reference tumble_stats "$tmp/events.json" > "$tmp/want"

# the bounded Kafka table, at most $rate records/s over all workers (a run takes 5 s: the
# kills below come while it runs, also under the sanitizers)
sed "s/'scan.bounded.mode' = 'latest-offset'/&, 'scan.rate-limit' = '$rate'/" \
    "$here/ckpt_kafka_bounded.sql" > "$tmp/kafka.sql"
grep -q "scan.rate-limit" "$tmp/kafka.sql" || { echo "FAIL: no rate limit in $tmp/kafka.sql"; exit 1; }
# runs that are not to be killed (the references, the last runs) go at full speed: the job
# setting overrides the table's option (FAST=1 below)
echo "SET 'sluice.source.kafka.scan.rate-limit' = '0';" > "$tmp/fast.sql"
fast() { [ "${FAST:-}" ] && echo "$tmp/fast.sql"; }

krun() { # dir, workers, extra files/args...
  local d=$1 n=$2
  shift 2
  timeout -k 5 120 "$bin" run "$tmp/kafka.sql" $(fast) "$ex/ddl_views.sql" "$@" \
      "$here/tumble_stats_fs.sql" --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=big \
      --set NEXMARK_TABLE=kafka --set OUT="$d/out" --quiet --workers "$n" \
      --checkpoint-interval 20 --state-dir "$d/state" --job j
}

committed() { # dir -> the newest committed epoch, or 0
  local e
  e=$("$bin" checkpoints --job j --state-dir "$1/state" 2>/dev/null |
      sed -n 's/.*current record: epoch \([0-9]*\) COMMITTED.*/\1/p')
  echo "${e:-0}"
}

# Runs `cmd dir args...` until it dies at a crash point (exit 137, as kill -9 would leave
# it) right after the `more`-th epoch it commits, its output made visible and the old state
# cleaned up. 0 when it died there, while running. (A SIGKILL from a loop polling `sluice
# checkpoints` can come after a paced run under load has finished: a crash point cannot.)
run_and_kill() { # more, cmd, dir, args...
  local more=$1 cmd=$2 d=$3
  shift 2
  SLUICE_CRASH_AT=ckpt.after_cleanup@$more "$cmd" "$@" >> "$d/log" 2>&1
  local rc=$?
  echo "  ($cmd $* exited $rc at epoch $(committed "$d"))" >> "$d/log"
  [ $rc -eq 137 ]
}

compare() { # label, outdir
  cat "$2"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/got"
  if cmp -s "$tmp/got" "$tmp/want" && [ -s "$tmp/want" ]; then
    echo "ok   $1 ($(wc -l < "$tmp/got") rows)"
  else
    bad "$1: $(wc -l < "$tmp/got") rows, want $(wc -l < "$tmp/want")"
    diff "$tmp/got" "$tmp/want" | head -6
  fi
}

# ---- 1. 2 -> 3 -> 1 workers -----------------------------------------------------------------
d=$tmp/scale
mkdir -p "$d"
if ! run_and_kill 8 krun "$d" 2; then
  bad "the run at 2 workers was not killed while running"; tail -5 "$d/log"
elif ! run_and_kill 4 krun "$d" 3; then
  bad "the run at 3 workers was not killed while running"; tail -5 "$d/log"
elif ! FAST=1 krun "$d" 1 >> "$d/log" 2>&1; then
  bad "the run at 1 worker did not complete"; tail -5 "$d/log"
else
  grep -q "rescaling the state of epoch [0-9]* from 2 workers to 3 (128 key groups)" "$d/log" ||
      { bad "no rescale from 2 to 3 workers in the log"; tail -5 "$d/log"; }
  grep -q "rescaling the state of epoch [0-9]* from 3 workers to 1 (128 key groups)" "$d/log" ||
      { bad "no rescale from 3 to 1 worker in the log"; tail -5 "$d/log"; }
  compare "tumble_stats at 2, then 3, then 1 workers (epoch $(committed "$d") last)" "$d/out"
fi

# ---- 2. more workers than key groups --------------------------------------------------------
d=$tmp/kg
mkdir -p "$d"
echo "SET 'pipeline.max-parallelism' = '2';" > "$tmp/kg.sql"
if ! run_and_kill 1 krun "$d" 2; then
  bad "max-parallelism 2: the run at 2 workers was not killed while running"; tail -5 "$d/log"
else
  krun "$d" 3 "$tmp/kg.sql" > "$d/refused" 2>&1
  rc=$?
  if [ $rc -eq 0 ] || ! grep -q "3 workers but 2 key groups ('pipeline.max-parallelism')" "$d/refused"; then
    bad "3 workers over 2 key groups: exit $rc"; cat "$d/refused"
  else
    echo "ok   3 workers over 2 key groups refused: $(tail -1 "$d/refused" | cut -c1-100)"
  fi
  # another number of key groups than the checkpoint's
  echo "SET 'pipeline.max-parallelism' = '64';" > "$tmp/kg64.sql"
  krun "$d" 2 "$tmp/kg64.sql" > "$d/refused" 2>&1
  rc=$?
  if [ $rc -eq 0 ] || ! grep -q "'pipeline.max-parallelism' = 128 and this job sets 64" "$d/refused"; then
    bad "max-parallelism 128 -> 64: exit $rc"; cat "$d/refused"
  else
    echo "ok   another max-parallelism refused"
  fi
fi

# ---- 3. a source whose splits depend on the worker count ------------------------------------
d=$tmp/gen
mkdir -p "$d"
gen() { # workers
  timeout -k 5 120 "$bin" run "$ex/ddl_gen.sql" "$ex/ddl_views.sql" "$here/tumble_stats_fs.sql" \
      --set TPS=20000 --set EVENTS_NUM=1000000 --set PERSON_PROPORTION=1 \
      --set AUCTION_PROPORTION=3 --set BID_PROPORTION=46 --set NEXMARK_TABLE=datagen \
      --set OUT="$d/out" --quiet --workers "$1" --checkpoint-interval 20 \
      --state-dir "$d/state" --job j
}
SLUICE_CRASH_AT=ckpt.after_cleanup@2 gen 2 > "$d/log" 2>&1 # dies after its 2nd epoch
before=$(ls -A "$d/out" 2>/dev/null | LC_ALL=C sort | md5sum)
# the newest epoch in the store, whatever its phase (a run killed between PREPARED and
# COMMITTED leaves PREPARED, which any start rolls forward to COMMITTED: not a new epoch)
newest() {
  "$bin" checkpoints --job j --state-dir "$1/state" 2>/dev/null |
      sed -n 's/.*current record: epoch \([0-9]*\) .*/\1/p'
}
at=$(newest "$d")
gen 3 > "$d/refused" 2>&1
rc=$?
if [ $rc -eq 0 ] || ! grep -q "position of table 'datagen' (connector 'nexmark') depends on the worker count" "$d/refused"; then
  bad "a generator resumed at 3 workers: exit $rc"; cat "$d/refused"
else
  echo "ok   a generator resumed at another worker count refused"
fi
[ "$(ls -A "$d/out" 2>/dev/null | LC_ALL=C sort | md5sum)" = "$before" ] ||
    bad "the refused run changed the output folder"
[ "$(newest "$d")" = "$at" ] || bad "the refused run took an epoch: $at before, $(newest "$d") after"

# ---- 4. the unbounded GROUP BY: Nexmark q17 into print, 2 -> 3 workers ---------------------
sed "s/'connector' = 'blackhole'/'connector' = 'print', 'print-identifier' = 'q17'/" \
    "$ex/q17.sql" > "$tmp/q17.sql"
grep -q "'print-identifier'" "$tmp/q17.sql" || { echo "FAIL: q17.sql has no blackhole sink"; exit 1; }
grun() { # dir, workers
  timeout -k 5 120 "$bin" run "$tmp/kafka.sql" $(fast) "$ex/ddl_views.sql" "$tmp/q17.sql" \
      --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=big --set NEXMARK_TABLE=kafka --quiet \
      --workers "$2" --checkpoint-interval 20 --state-dir "$1/state" --job g
}
# its final state from a run without a crash, at 1 worker
mkdir -p "$tmp/gref"
FAST=1 grun "$tmp/gref" 1 > "$tmp/gref/log" 2>&1 || { bad "q17 without a crash"; tail -3 "$tmp/gref/log"; }
python3 "$here/changelog.py" --ident q17 "$tmp/gref/log" > "$tmp/want17" ||
    bad "q17: the reference changelog does not apply"
d=$tmp/group
mkdir -p "$d"
committed() { # dir -> the newest committed epoch of job g, or 0 (redefined: another job id)
  local e
  e=$("$bin" checkpoints --job g --state-dir "$1/state" 2>/dev/null |
      sed -n 's/.*current record: epoch \([0-9]*\) COMMITTED.*/\1/p')
  echo "${e:-0}"
}
if ! run_and_kill 8 grun "$d" 2; then
  bad "q17: the run at 2 workers was not killed while running"; tail -5 "$d/log"
elif ! FAST=1 grun "$d" 3 >> "$d/log" 2>&1; then
  bad "q17: the run at 3 workers did not complete"; tail -5 "$d/log"
else
  grep -q "rescaling the state of epoch [0-9]* from 2 workers to 3" "$d/log" ||
      bad "q17: no rescale from 2 to 3 workers in the log"
  python3 "$here/changelog.py" --ident q17 --last-by 2 "$d/log" > "$d/got"
  if cmp -s "$d/got" "$tmp/want17" && [ -s "$tmp/want17" ]; then
    echo "ok   q17 (GROUP BY auction, day) at 2, then 3 workers ($(wc -l < "$d/got") groups)"
  else
    bad "q17 at 2, then 3 workers: $(wc -l < "$d/got") groups, want $(wc -l < "$tmp/want17")"
    diff "$d/got" "$tmp/want17" | head -6
  fi
fi

# ---- 5, 6. joins of two streams: bids with their auctions into files, 3 -> 2 workers -------
cat > "$tmp/join.sql" <<'SQL'
CREATE TABLE bid_auction (auction BIGINT, price BIGINT, bidder BIGINT, seller BIGINT,
  category BIGINT) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO bid_auction
SELECT B.auction, B.price, B.bidder, A.seller, A.category
FROM bid AS B JOIN auction AS A ON B.auction = A.id;
SQL
# the interval join: its state is dropped as the watermark passes
sed 's/ON B.auction = A.id;/ON B.auction = A.id AND B.`dateTime` BETWEEN A.`dateTime` - INTERVAL '"'1'"' SECOND AND A.`dateTime` + INTERVAL '"'10'"' SECOND;/' \
    "$tmp/join.sql" > "$tmp/ijoin.sql"
grep -q "BETWEEN" "$tmp/ijoin.sql" || { echo "FAIL: no interval in $tmp/ijoin.sql"; exit 1; }
jrun() { # dir, workers, SQL file
  timeout -k 5 120 "$bin" run "$tmp/kafka.sql" $(fast) "$ex/ddl_views.sql" "$3" \
      --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=big --set NEXMARK_TABLE=kafka --quiet \
      --workers "$2" --checkpoint-interval 20 --set OUT="$1/out" --state-dir "$1/state" --job g
}
for q in join ijoin; do
  mkdir -p "$tmp/ref-$q"
  FAST=1 jrun "$tmp/ref-$q" 1 "$tmp/$q.sql" > "$tmp/ref-$q/log" 2>&1 ||
      { bad "$q without a crash"; tail -3 "$tmp/ref-$q/log"; }
  cat "$tmp/ref-$q/out"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/want-$q"
  d=$tmp/$q
  mkdir -p "$d"
  if ! run_and_kill 8 jrun "$d" 3 "$tmp/$q.sql"; then
    bad "$q: the run at 3 workers was not killed while running"; tail -5 "$d/log"
  elif ! FAST=1 jrun "$d" 2 "$tmp/$q.sql" >> "$d/log" 2>&1; then
    bad "$q: the run at 2 workers did not complete"; tail -5 "$d/log"
  else
    grep -q "rescaling the state of epoch [0-9]* from 3 workers to 2" "$d/log" ||
        bad "$q: no rescale from 3 to 2 workers in the log"
    cat "$d/out"/part-* 2>/dev/null | LC_ALL=C sort > "$d/got"
    if cmp -s "$d/got" "$tmp/want-$q" && [ -s "$tmp/want-$q" ]; then
      echo "ok   $q (bids with their auctions) at 3, then 2 workers ($(wc -l < "$d/got") rows)"
    else
      bad "$q at 3, then 2 workers: $(wc -l < "$d/got") rows, want $(wc -l < "$tmp/want-$q")"
      diff "$d/got" "$tmp/want-$q" | head -6
    fi
  fi
done

# ---- 7. Top-N: the ten highest bids per auction into print, 2 -> 3 workers ------------------
# (ties broken by bidder and time: a tie of equal rows ranks by arrival, which depends on how
# the partitions interleave, so that even two runs without a crash could differ)
cat > "$tmp/top.sql" <<'SQL'
CREATE TABLE top10 (auction BIGINT, rank_number BIGINT, bidder BIGINT, price BIGINT)
WITH ('connector' = 'print', 'print-identifier' = 'top');
INSERT INTO top10
SELECT auction, rank_number, bidder, price FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, bidder, `dateTime`)
   AS rank_number FROM bid)
WHERE rank_number <= 10;
SQL
mkdir -p "$tmp/tref"
FAST=1 jrun "$tmp/tref" 1 "$tmp/top.sql" > "$tmp/tref/log" 2>&1 || { bad "Top-N without a crash"; tail -3 "$tmp/tref/log"; }
python3 "$here/changelog.py" --ident top "$tmp/tref/log" > "$tmp/want-top" ||
    bad "Top-N: the reference changelog does not apply"
d=$tmp/top
mkdir -p "$d"
if ! run_and_kill 8 jrun "$d" 2 "$tmp/top.sql"; then
  bad "Top-N: the run at 2 workers was not killed while running"; tail -5 "$d/log"
elif ! FAST=1 jrun "$d" 3 "$tmp/top.sql" >> "$d/log" 2>&1; then
  bad "Top-N: the run at 3 workers did not complete"; tail -5 "$d/log"
else
  grep -q "rescaling the state of epoch [0-9]* from 2 workers to 3" "$d/log" ||
      bad "Top-N: no rescale from 2 to 3 workers in the log"
  python3 "$here/changelog.py" --ident top --last-by 2 "$d/log" > "$d/got"
  if cmp -s "$d/got" "$tmp/want-top" && [ -s "$tmp/want-top" ]; then
    echo "ok   Top-10 bids per auction at 2, then 3 workers ($(wc -l < "$d/got") rows)"
  else
    bad "Top-10 at 2, then 3 workers: $(wc -l < "$d/got") rows, want $(wc -l < "$tmp/want-top")"
    diff "$d/got" "$tmp/want-top" | head -6
  fi
fi

# ---- 7b. Top-N over an updating input and a global Top-N, 2 -> 3 workers -------------------
# (topagg: the 3 auctions each bidder bid on most, over a GROUP BY: retract mode, every row
# of a bidder in the state, and rows kept back while a checkpoint aligns; topglob: the 5
# auctions with the most bids, one partition that moves to the new owner of its key group)
mkdir -p "$tmp/aref"
FAST=1 jrun "$tmp/aref" 1 "$here/topn_upd.sql" > "$tmp/aref/log" 2>&1 ||
    { bad "Top-N over GROUP BY without a crash"; tail -3 "$tmp/aref/log"; }
for q in topagg topglob; do
  python3 "$here/changelog.py" --ident $q "$tmp/aref/log" > "$tmp/want-$q" ||
      bad "$q: the reference changelog does not apply"
done
d=$tmp/topagg
mkdir -p "$d"
if ! run_and_kill 8 jrun "$d" 2 "$here/topn_upd.sql"; then
  bad "Top-N over GROUP BY: the run at 2 workers was not killed while running"; tail -5 "$d/log"
elif ! FAST=1 jrun "$d" 3 "$here/topn_upd.sql" >> "$d/log" 2>&1; then
  bad "Top-N over GROUP BY: the run at 3 workers did not complete"; tail -5 "$d/log"
else
  grep -q "rescaling the state of epoch [0-9]* from 2 workers to 3" "$d/log" ||
      bad "Top-N over GROUP BY: no rescale from 2 to 3 workers in the log"
  for qk in topagg:2 topglob:1; do # query:the values of its key
    q=${qk%:*}
    python3 "$here/changelog.py" --ident $q --last-by ${qk#*:} "$d/log" > "$d/got-$q"
    if cmp -s "$d/got-$q" "$tmp/want-$q" && [ -s "$tmp/want-$q" ]; then
      echo "ok   $q at 2, then 3 workers ($(wc -l < "$d/got-$q") rows)"
    else
      bad "$q at 2, then 3 workers: $(wc -l < "$d/got-$q") rows, want $(wc -l < "$tmp/want-$q")"
      diff "$d/got-$q" "$tmp/want-$q" | head -6
    fi
  done
fi

# ---- 8. the same three kinds with 'table.exec.state.ttl' = '1 h' (nothing expires), in one
# job of three INSERTs, 2 -> 3 workers: their snapshots carry each key's last write (the
# GROUP BY's, the join's and the Top-N's formats with times), which the rescale must read
# and split as the formats without; the results are the runs' above without a crash
{ echo "SET 'table.exec.state.ttl' = '1 h';"; cat "$tmp/q17.sql" "$tmp/join.sql" "$tmp/top.sql"; } > "$tmp/ttl.sql"
d=$tmp/ttl
mkdir -p "$d"
if ! run_and_kill 8 jrun "$d" 2 "$tmp/ttl.sql"; then
  bad "TTL: the run at 2 workers was not killed while running"; tail -5 "$d/log"
elif ! FAST=1 jrun "$d" 3 "$tmp/ttl.sql" >> "$d/log" 2>&1; then
  bad "TTL: the run at 3 workers did not complete"; tail -5 "$d/log"
else
  grep -q "rescaling the state of epoch [0-9]* from 2 workers to 3" "$d/log" ||
      bad "TTL: no rescale from 2 to 3 workers in the log"
  python3 "$here/changelog.py" --ident q17 --last-by 2 "$d/log" > "$d/got17"
  python3 "$here/changelog.py" --ident top --last-by 2 "$d/log" > "$d/gottop"
  cat "$d/out"/part-* 2>/dev/null | LC_ALL=C sort > "$d/gotjoin"
  for k in 17:want17 top:want-top join:want-join; do
    if cmp -s "$d/got${k%%:*}" "$tmp/${k#*:}" && [ -s "$tmp/${k#*:}" ]; then
      echo "ok   with a state TTL: ${k%%:*} at 2, then 3 workers ($(wc -l < "$d/got${k%%:*}") rows)"
    else
      bad "with a state TTL: ${k%%:*} at 2, then 3 workers: $(wc -l < "$d/got${k%%:*}") rows, want $(wc -l < "$tmp/${k#*:}")"
      diff "$d/got${k%%:*}" "$tmp/${k#*:}" | head -6
    fi
  done
fi

# ---- 9. OVER aggregates into files, 2 -> 3 workers ------------------------------------------
# (a partition's rows all have distinct timestamps - one event per millisecond - so that the
# result does not depend on how the Kafka partitions interleave)
cat > "$tmp/over.sql" <<'SQL'
CREATE TABLE over_rows (auction BIGINT, price BIGINT, dateTime TIMESTAMP(3), total BIGINT,
  bids BIGINT, highest BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}/rows', 'format' = 'csv');
CREATE TABLE over_range (bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3), bids BIGINT,
  total BIGINT, lowest BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}/range', 'format' = 'csv');
INSERT INTO over_rows
SELECT auction, price, dateTime,
  SUM(price) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 3 PRECEDING AND CURRENT ROW),
  COUNT(*) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 3 PRECEDING AND CURRENT ROW),
  MAX(price) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)
FROM bid;
INSERT INTO over_range
SELECT bidder, price, dateTime,
  COUNT(*) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW),
  SUM(price) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW),
  MIN(price) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW)
FROM bid;
SQL
mkdir -p "$tmp/oref"
FAST=1 jrun "$tmp/oref" 1 "$tmp/over.sql" > "$tmp/oref/log" 2>&1 ||
    { bad "OVER without a crash"; tail -3 "$tmp/oref/log"; }
for t in rows range; do
  cat "$tmp/oref/out/$t"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/want-over-$t"
done
d=$tmp/over
mkdir -p "$d"
if ! run_and_kill 8 jrun "$d" 2 "$tmp/over.sql"; then
  bad "OVER: the run at 2 workers was not killed while running"; tail -5 "$d/log"
elif ! FAST=1 jrun "$d" 3 "$tmp/over.sql" >> "$d/log" 2>&1; then
  bad "OVER: the run at 3 workers did not complete"; tail -5 "$d/log"
else
  grep -q "rescaling the state of epoch [0-9]* from 2 workers to 3" "$d/log" ||
      bad "OVER: no rescale from 2 to 3 workers in the log"
  for t in rows range; do
    cat "$d/out/$t"/part-* 2>/dev/null | LC_ALL=C sort > "$d/got-$t"
    if cmp -s "$d/got-$t" "$tmp/want-over-$t" && [ -s "$tmp/want-over-$t" ]; then
      echo "ok   OVER ($t frame) at 2, then 3 workers ($(wc -l < "$d/got-$t") rows)"
    else
      bad "OVER ($t frame) at 2, then 3 workers: $(wc -l < "$d/got-$t") rows, want $(wc -l < "$tmp/want-over-$t")"
      diff "$d/got-$t" "$tmp/want-over-$t" | head -6
    fi
  done
fi

[ $fail -eq 0 ] && echo "all rescale checks passed"
exit $fail
