#!/usr/bin/env bash
# tests/sql/test_rank_ckpt.sh - Top-N and deduplication (engine/ops/op_rank.c) across crashes:
# their state (the key table, every partition's kept rows with their strings and arrival
# numbers) is checkpointed and restored, exactly once.
#
# The paced Nexmark source (nexmark_paced.sql: 5000 events per second of wall time) feeds the
# Nexmark repository's q18 (the last bid per bidder and auction: a deduplication keeping the
# last row by rowtime) with its sink swapped for print, and q19's Top-10 bids per auction
# with the rank number written second (so that a row's first two values, auction and rank,
# are its key), a Top-N over an updating input (topagg: the 3 auctions each bidder bid on most,
# over a GROUP BY: its -U / +U retract and re-rank rows, every row of a bidder is state; key
# bidder and rank) and a global Top-N over a GROUP BY (topglob: the 5 auctions with the most
# bids, one partition; key the rank), at 2 workers with a checkpoint every 50 ms. The job dies (SLUICE_CRASH_AT:
# _exit(137)) at a step of a later epoch, the same command resumes it, and the final state
# (per key the last +I / +U row printed by the two runs: tests/sql/changelog.py --last-by; the
# resumed run re-emits what its replayed input changes) must equal the final state of a run
# without a crash: a restored partition that lost rows, or a replayed row counted twice,
# would leave another row at some rank. A crash point that never fired, or a restart that
# did not resume from a checkpoint, fails the test. The crash points are early epochs (2, 3):
# on a loaded machine, with ASan, an epoch of this job took 0.8-2 s, so that a run of 3 s
# saw only 3 or 4 of them.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rate=5000
events=15000
base=1700000008000
sed "s/'connector' = 'blackhole'/'connector' = 'print', 'print-identifier' = 'q18'/" \
  "$ex/q18.sql" > "$tmp/q18.sql"
grep -q "'print-identifier'" "$tmp/q18.sql" || { echo "FAIL: q18.sql has no blackhole sink"; exit 1; }
cat > "$tmp/q19.sql" <<'SQL'
CREATE TABLE top10 (auction BIGINT, rank_number BIGINT, bidder BIGINT, price BIGINT,
    channel VARCHAR, url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR)
WITH ('connector' = 'print', 'print-identifier' = 'q19');
INSERT INTO top10
SELECT auction, rank_number, bidder, price, channel, url, `dateTime`, extra FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10;
SQL
queries="q18:2 q19:2 topagg:2 topglob:1" # query:the values of its key
run() { # extra arguments...
  timeout -k 5 120 "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" \
    "$tmp/q18.sql" "$tmp/q19.sql" "$here/topn_upd.sql" --set TPS=$rate --set EVENTS_NUM=$events \
    --set BASE_TIME=$base --set NEXMARK_TABLE=datagen --workers 2 "$@"
}
mkdir -p "$tmp/ref"
run > "$tmp/ref/log" 2>&1 || { echo "FAIL: the run without a crash"; tail -3 "$tmp/ref/log"; exit 1; }
for qk in $queries; do
  q=${qk%:*}
  python3 "$here/changelog.py" --ident $q "$tmp/ref/log" > "$tmp/want-$q" ||
    { echo "FAIL: the reference changelog of $q does not apply"; exit 1; }
  python3 "$here/changelog.py" --ident $q --last-by ${qk#*:} "$tmp/ref/log" |
    cmp -s - "$tmp/want-$q" || { echo "FAIL: $q: last rows by key differ from the changelog's state"; fail=1; }
done
for cp in ckpt.after_committed@2 snapshot.after_write@3 ckpt.before_snapshot@3; do
  d="$tmp/$cp"
  mkdir -p "$d"
  SLUICE_CRASH_AT=$cp run --checkpoint-interval 50 --state-dir "$d/state" --job j > "$d/log" 2>&1
  rc=$?
  # a row the crash cut short stays a line of its own, which matches no row (the resumed
  # run's first row would otherwise continue it)
  echo "  (killed at $cp: exit $rc)" >> "$d/log"
  if [ $rc -ne 137 ]; then
    echo "FAIL crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"
    fail=1; continue
  fi
  if ! run --checkpoint-interval 50 --state-dir "$d/state" --job j >> "$d/log" 2>&1; then
    echo "FAIL crash at $cp: the restarted job did not complete"; tail -5 "$d/log"
    fail=1; continue
  fi
  if ! grep -q "resuming from epoch [1-9]" "$d/log"; then
    echo "FAIL crash at $cp: the restarted job did not resume from a checkpoint"
    tail -3 "$d/log"; fail=1
  fi
  for qk in $queries; do
    q=${qk%:*}
    python3 "$here/changelog.py" --ident $q --last-by ${qk#*:} "$d/log" > "$d/got-$q"
    if cmp -s "$d/got-$q" "$tmp/want-$q" && [ -s "$tmp/want-$q" ]; then
      echo "ok   crash at $cp: $q ($(wc -l < "$tmp/want-$q") rows)"
    else
      echo "FAIL crash at $cp: $q: $(wc -l < "$d/got-$q") rows, want $(wc -l < "$tmp/want-$q")"
      diff "$d/got-$q" "$tmp/want-$q" | head -6; fail=1
    fi
  done
done
exit $fail
