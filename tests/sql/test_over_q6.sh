#!/usr/bin/env bash
# tests/sql/test_over_q6.sh - Nexmark q6 (docs/examples/nexmark/q6.sql, the repository's file
# corrected): an OVER aggregate over the updating output of a Top-1 over a regular join,
# which Flink cannot run (FLINK-19059), against tests/sql/q6_reference.py, an independent
# Python computation of sluice's definition (docs/sql.md, "OVER aggregates over an updating
# input") over the same generated events.
#
# 20,000 events (sluice gen nexmark, 1000 per second of event time) in a JSON file, read
# through nexmark_fs.sql and the Nexmark views; q6's blackhole sink swapped for a CSV file;
# sluice at 1, 2 and 4 workers. Every auction here lives less than the watermark's 4 s, so
# every retraction (-U) finds the winning bid it retracts still waiting for the watermark
# (the reference counts them: it must find no retraction of a frame row, whose outcome would
# depend on when the watermark passed). The file unchanged must run too (blackhole sink).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$bin" gen nexmark --events 20000 --base-time 1700000000000 --rate 1000 \
  --out "$tmp/events.json" || exit 1
python3 "$here/q6_reference.py" "$tmp/events.json" > "$tmp/want" 2> "$tmp/ref.log" ||
  { cat "$tmp/ref.log"; echo "FAIL: q6_reference.py"; exit 1; }
cat "$tmp/ref.log"
grep -q "of a frame row 0, of neither 0; late rows 0$" "$tmp/ref.log" ||
  { echo "FAIL: the reference's premise (every retraction finds a waiting row) does not hold"; exit 1; }
[ -s "$tmp/want" ] || { echo "FAIL: the reference has no rows"; exit 1; }
sed "s|'connector' = 'blackhole'|'connector' = 'filesystem', 'path' = '\${OUT}', 'format' = 'csv'|" \
  "$ex/q6.sql" > "$tmp/q6_fs.sql"
grep -q "'format' = 'csv'" "$tmp/q6_fs.sql" || { echo "FAIL: q6.sql has no blackhole sink"; exit 1; }
sets=(--set NEXMARK_EVENTS="$tmp/events.json" --set NEXMARK_TABLE=nexmark_fs)
for w in 1 2 4; do
  out=$tmp/out-$w
  if ! "$bin" run "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$tmp/q6_fs.sql" "${sets[@]}" \
    --set OUT="$out" --workers $w > "$tmp/log" 2>&1; then
    echo "FAIL q6 workers=$w: sluice run failed"; cat "$tmp/log"; fail=1; continue
  fi
  cat "$out"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/got"
  LC_ALL=C sort "$tmp/want" > "$tmp/want.sorted"
  if cmp -s "$tmp/got" "$tmp/want.sorted"; then
    echo "ok   q6 workers=$w ($(wc -l < "$tmp/got") rows, as the reference)"
  else
    echo "FAIL q6 workers=$w: $(wc -l < "$tmp/got") rows, the reference $(wc -l < "$tmp/want");" \
      "< sluice only, > reference only:"
    diff "$tmp/got" "$tmp/want.sorted" | grep '^[<>]' | head -10
    fail=1
  fi
done
if ! "$bin" run "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$ex/q6.sql" "${sets[@]}" \
  --workers 2 > "$tmp/log" 2>&1; then
  echo "FAIL q6.sql unchanged: sluice run failed"; cat "$tmp/log"; fail=1
else
  echo "ok   q6.sql unchanged (blackhole sink)"
fi
exit $fail
