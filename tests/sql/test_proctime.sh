#!/usr/bin/env bash
# tests/sql/test_proctime.sh - processing-time windows (PROCTIME(), engine/ops/op_proctime.h)
# fired by the wall clock, and their checkpoints.
#
# A paced Nexmark source (4000 events per second of wall time, 12000 events: about 3 s) feeds
# proctime_fs.sql: a TUMBLE of 1 s and a HOP of 2 s sliding by 1 s over `PROCTIME() AS
# p_time`. Which window a bid falls into depends on when it was read, so what is checked is
# what does not: per bidder, the counts summed over the windows equal the reference's number
# of bids (TUMBLE) or twice it (HOP: every bid is in two windows); every window has the right
# length and alignment; the run spans more than one TUMBLE window (the clock, not the data,
# made them). Then the same with checkpoints every 50 ms and a crash after the second
# commit: the resumed run must give the same totals (window contents saved and restored,
# sink output exactly once), at 1 and 2 workers.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rate=4000
events=12000
base=1700000000000

totals() { # dir, size ms, slide ms, factor -> "bidder,total" lines; fails on a bad window
  python3 - "$@" <<'PY'
import csv, glob, sys
from collections import defaultdict
from datetime import datetime
d, size, slide, factor = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def ms(t):
    return round(datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f").timestamp() * 1000)
tot = defaultdict(int)
starts = set()
for f in glob.glob(d + "/part-*"):
    for bidder, n, start, end in csv.reader(open(f)):
        if ms(end) - ms(start) != size or ms(start) % slide:
            sys.exit("window %s - %s: not %d ms aligned to %d ms" % (start, end, size, slide))
        tot[bidder] += int(n)
        starts.add(start)
if len(starts) < 2:
    sys.exit("%d window(s) in all: the windows did not follow the clock" % len(starts))
for bidder, n in tot.items():
    if n % factor:
        sys.exit("bidder %s: %d not a multiple of %d" % (bidder, n, factor))
    print("%s,%d" % (bidder, n // factor))
PY
}

compare() { # label, output dir
  local label=$1 out=$2 kind
  for kind in "tumble 1000 1000 1" "hop 2000 1000 2"; do
    set -- $kind
    if ! totals "$out/$1" "$2" "$3" "$4" > "$tmp/got"; then
      echo "FAIL $label $1: bad windows"; fail=1; continue
    fi
    LC_ALL=C sort -o "$tmp/got" "$tmp/got"
    if cmp -s "$tmp/got" "$tmp/want-$w" && [ -s "$tmp/got" ]; then
      echo "ok   $label $1 ($(wc -l < "$tmp/got") bidders: totals as the reference)"
    else
      echo "FAIL $label $1: per-bidder totals differ from the reference"
      diff "$tmp/got" "$tmp/want-$w" | head -6; fail=1
    fi
  done
}

for w in 1 2; do
  "$bin" gen nexmark --events $events --base-time $base --rate $rate --splits $w \
      --out "$tmp/events-$w.json" || exit 1
  sl_reference q12 "$tmp/events-$w.json" > "$tmp/want-$w"
  args=("$here/nexmark_paced.sql" "$ex/ddl_views.sql" "$here/proctime_fs.sql" --set TPS=$rate
        --set EVENTS_NUM=$events --set BASE_TIME=$base --set NEXMARK_TABLE=datagen --quiet
        --workers $w)
  d=$tmp/plain-$w
  if ! timeout -s ABRT 120 "$bin" run "${args[@]}" --set OUT="$d" > "$tmp/log" 2>&1; then
    echo "FAIL workers=$w: sluice run failed"; cat "$tmp/log"; fail=1; continue
  fi
  compare "workers=$w" "$d"

  d=$tmp/ckpt-$w
  mkdir -p "$d"
  run() { timeout -s ABRT 120 "$bin" run "${args[@]}" --set OUT="$d/out" --state-dir "$d/state" \
            --job j --checkpoint-interval 50; }
  SLUICE_CRASH_AT=ckpt.after_committed@2 run > "$d/log" 2>&1
  rc=$?
  if [ $rc -ne 137 ]; then
    echo "FAIL workers=$w: exit $rc, the crash point did not fire"; tail -3 "$d/log"; fail=1
    continue
  fi
  if ! run >> "$d/log" 2>&1 || ! grep -q "resuming from epoch [1-9]" "$d/log"; then
    echo "FAIL workers=$w: the restarted job did not resume and complete"; tail -5 "$d/log"
    fail=1; continue
  fi
  compare "workers=$w crash after epoch 2, restarted" "$d/out"
done
exit $fail
