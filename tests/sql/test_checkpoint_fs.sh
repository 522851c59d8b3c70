#!/usr/bin/env bash
# tests/sql/test_checkpoint_fs.sh - exactly-once across crashes with a filesystem source read
# in byte-range splits.
#
# YSB (ysb_fs_split.sql: the events file in 1 MiB ranges spread over the workers, a lookup
# join, a 10 s tumbling window whose state crosses the restarts) runs with a checkpoint
# every 50 ms and is made to die (SLUICE_CRASH_AT: _exit(137)) at a step of its 2nd epoch;
# the same command then resumes it from epoch 1, taken while the workers were inside their
# ranges (the test counts the resumes that started inside a range and wants some). The visible
# output must equal the reference.py rows: nothing missing, nothing twice. A crash point
# that never fired fails the test. At 2 and 3 workers (other ranges); at 3 only with
# SLUICE_TEST_SMALL (tools/test.sh sets it in the ASan step: the same crash points at 2
# workers take the same paths - as engine/test_fs_split's restores, at 1 and 3 there), at
# both in the release build.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
events=${CKPT_FS_EVENTS:-400000}
"$bin" gen ysb --events "$events" --base-time 1700000000000 --rate 1000 --out "$tmp/ysb.json" \
    --campaigns-out "$tmp/campaigns.csv" || exit 1
sl_reference ysb "$tmp/ysb.json" "$tmp/campaigns.csv" > "$tmp/want"
size=$(stat -c %s "$tmp/ysb.json")
inside=0

run() { # workers, run dir
  timeout -s ABRT 120 "$bin" run "$here/ysb_fs_split.sql" --set EVENTS="$tmp/ysb.json" \
      --set CAMPAIGNS="$tmp/campaigns.csv" --set SPLIT_SIZE=1mb --set OUT="$2/out" \
      --workers "$1" --checkpoint-interval 50 --state-dir "$2/state" --job j --quiet
}

worker_counts="2 3"
[ -n "${SLUICE_TEST_SMALL:-}" ] && worker_counts=3 && echo "3 workers only (SLUICE_TEST_SMALL)"
for w in $worker_counts; do
  # ckpt.* points are passed once an epoch, snapshot.after_write once a worker and epoch:
  # @(w + 1) is the first snapshot of epoch 2, after epoch 1 committed
  crash_points=(ckpt.before_snapshot@2 "snapshot.after_write@$((w + 1))"
                ckpt.after_committed@2 ckpt.after_sink_commit@2 fs_sink.before_rename@2)
  for cp in "${crash_points[@]}"; do
    d="$tmp/$w-$cp"
    mkdir -p "$d"
    SLUICE_CRASH_AT=$cp run "$w" "$d" > "$d/log" 2>&1
    rc=$?
    if [ $rc -ne 137 ]; then
      echo "FAIL workers=$w crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"
      fail=1; continue
    fi
    if ! run "$w" "$d" >> "$d/log" 2>&1; then
      echo "FAIL workers=$w crash at $cp: the restarted job did not complete"; tail -5 "$d/log"
      fail=1; continue
    fi
    if ! grep -q "resuming from epoch [1-9]" "$d/log"; then
      echo "FAIL workers=$w crash at $cp: the restarted job did not resume from a checkpoint"
      tail -3 "$d/log"; fail=1
    fi
    # an offset of the resumed epoch that is no range start (docs/connectors.md's rule)
    if sed -n 's/.*resuming from epoch [0-9]* (\(.*\))$/\1/p' "$d/log" | tr ',' '\n' |
       awk -F= -v L="$size" -v S=1048576 -v N="$w" '
         BEGIN { k = int((L + S - 1) / S); k = int((k + N - 1) / N) * N
                 for (i = 0; i < k; i++) start[i * int(L / k) + (i < L % k ? i : L % k)] = 1 }
         /^ysb_events:/ && !($2 in start) && $2 != L { mid = 1 }
         END { exit !mid }'; then
      inside=$((inside + 1))
    fi
    cat "$d"/out/part-* 2>/dev/null | LC_ALL=C sort > "$d/got"
    if cmp -s "$d/got" "$tmp/want" && [ -s "$tmp/want" ]; then
      echo "ok   workers=$w crash at $cp, restarted ($(wc -l < "$d/got") rows)"
    else
      echo "FAIL workers=$w crash at $cp: $(wc -l < "$d/got") rows, want $(wc -l < "$tmp/want")"
      diff "$d/got" "$tmp/want" | head -6
      fail=1
    fi
  done
done
if [ $inside -eq 0 ]; then
  echo "FAIL no run resumed from a position inside a range"; fail=1
else
  echo "ok   $inside resumes started inside a range"
fi
exit $fail
