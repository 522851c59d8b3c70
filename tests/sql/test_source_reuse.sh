#!/usr/bin/env bash
# tests/sql/test_source_reuse.sh - source reuse (Flink's 'table.optimizer.reuse-source-enabled',
# on by default; docs/sql.md "Source reuse"): the scans of one table in a job - q20's two
# views of the Nexmark generator, bid and auction - read one source, polled once, each batch
# copied into the other pipeline. The generator's events are generated once ("rows in" =
# events; twice without reuse) and the rows are the same as with separate scans.
#   (a) reuse on and off over the generator and over a JSON file (the filesystem source's
#       decoder runs once): the same rows; rows in = events with reuse, 2 x events without;
#   (b) checkpoints across the setting: a job taken with reuse and crashed resumes with reuse
#       off (both pipelines restore the one position) and the other way round (a snapshot of
#       separate scans restores into one source only where both held the same position, else
#       the start is refused naming the setting, and resumes with it off) - the committed rows
#       equal a crash-free run's either way;
#   (c) the setting's value is checked ('yes' is refused, naming the key).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
events=20000
base=1700000008000
setting() { echo "SET 'table.optimizer.reuse-source-enabled' = '$1';" > "$tmp/reuse-$1.sql"; }
setting true
setting false
rows_in() { sed -n 's/^sluice run: done in .*: \([0-9]*\) rows in .*/\1/p' "$1" | tail -1; }
# gen ON|OFF DIR [args]: q20 over the generator into DIR/out
gen() {
  local r=$1 d=$2
  shift 2
  timeout -k 5 120 "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" "$tmp/reuse-$r.sql" \
    "$here/q20_fs.sql" --set TPS=100000000 --set EVENTS_NUM=$events --set BASE_TIME=$base \
    --set NEXMARK_TABLE=datagen --set OUT="$d/out" --workers 2 "$@"
}
sorted() { cat "$1"/part-* 2> /dev/null | LC_ALL=C sort; }

# (a) the generator
for r in true false; do
  mkdir -p "$tmp/g-$r"
  gen $r "$tmp/g-$r" > /dev/null 2> "$tmp/g-$r/log" ||
    { echo "FAIL: q20 over the generator, reuse $r"; tail -3 "$tmp/g-$r/log"; exit 1; }
  sorted "$tmp/g-$r/out" > "$tmp/g-$r/rows"
done
if [ ! -s "$tmp/g-true/rows" ] || ! cmp -s "$tmp/g-true/rows" "$tmp/g-false/rows"; then
  echo "FAIL generator: the rows with reuse differ from separate scans'"
  diff "$tmp/g-true/rows" "$tmp/g-false/rows" | head -4
  fail=1
elif [ "$(rows_in "$tmp/g-true/log")" != $events ] ||
  [ "$(rows_in "$tmp/g-false/log")" != $((2 * events)) ]; then
  echo "FAIL generator: rows in $(rows_in "$tmp/g-true/log") with reuse (want $events)," \
    "$(rows_in "$tmp/g-false/log") without (want $((2 * events)))"
  fail=1
else
  echo "ok   generator: $(wc -l < "$tmp/g-true/rows") rows either way; the events generated once with reuse ($events rows in), twice without"
fi

# (a) a JSON file
"$bin" gen nexmark --events $events --base-time $base --out "$tmp/ev.json" || exit 1
cat > "$tmp/file.sql" << SQL
$(sed -n '1,/WATERMARK/p' "$ex/ddl_kafka.sql")
) WITH ('connector' = 'filesystem', 'path' = '$tmp/ev.json', 'format' = 'json');
SQL
for r in true false; do
  mkdir -p "$tmp/f-$r"
  "$bin" run "$tmp/file.sql" "$ex/ddl_views.sql" "$tmp/reuse-$r.sql" "$here/q20_fs.sql" \
    --set NEXMARK_TABLE=kafka --set OUT="$tmp/f-$r/out" --workers 2 > /dev/null 2> "$tmp/f-$r/log" ||
    { echo "FAIL: q20 over a file, reuse $r"; tail -3 "$tmp/f-$r/log"; exit 1; }
  sorted "$tmp/f-$r/out" > "$tmp/f-$r/rows"
done
if [ -s "$tmp/f-true/rows" ] && cmp -s "$tmp/f-true/rows" "$tmp/f-false/rows" &&
  [ "$(rows_in "$tmp/f-true/log")" = $events ] && [ "$(rows_in "$tmp/f-false/log")" = $((2 * events)) ]; then
  echo "ok   file: $(wc -l < "$tmp/f-true/rows") rows either way; the file read once with reuse, twice without"
else
  echo "FAIL file: rows $(wc -l < "$tmp/f-true/rows") with reuse, $(wc -l < "$tmp/f-false/rows") without; rows in $(rows_in "$tmp/f-true/log") / $(rows_in "$tmp/f-false/log")"
  fail=1
fi

# (b) checkpoints across the setting (paced: 5000 events/s, an epoch every 50 ms)
paced() { # ON|OFF DIR [args]
  local r=$1 d=$2
  shift 2
  timeout -k 5 120 "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" "$tmp/reuse-$r.sql" \
    "$here/q20_fs.sql" --set TPS=5000 --set EVENTS_NUM=15000 --set BASE_TIME=$base \
    --set NEXMARK_TABLE=datagen --set OUT="$d/out" --workers 2 --quiet \
    --checkpoint-interval 50 --state-dir "$d/state" --job j "$@"
}
mkdir -p "$tmp/ref"
paced true "$tmp/ref" > "$tmp/ref/log" 2>&1 || { echo "FAIL: the paced run"; tail -3 "$tmp/ref/log"; exit 1; }
sorted "$tmp/ref/out" > "$tmp/want"
for pair in true:false false:true; do
  a=${pair%%:*} b=${pair#*:}
  d=$tmp/ck-$a-$b
  mkdir -p "$d"
  SLUICE_CRASH_AT=ckpt.after_committed@3 paced "$a" "$d" > "$d/log" 2>&1
  rc=$?
  [ $rc -eq 137 ] || { echo "FAIL reuse $a -> $b: exit $rc, the crash point did not fire"; fail=1; continue; }
  how="resumed with reuse $b"
  if ! paced "$b" "$d" >> "$d/log" 2>&1; then
    if grep -q "it was taken with separate scans of the table; resume it with SET 'table.optimizer.reuse-source-enabled' = 'false'" "$d/log" &&
      [ "$a" = false ] && paced false "$d" >> "$d/log" 2>&1; then
      how="refused with reuse (the two scans' positions differed, naming the setting), resumed without"
    else
      echo "FAIL reuse $a -> $b: the resumed run failed"; tail -4 "$d/log"; fail=1; continue
    fi
  fi
  grep -q "resuming from epoch" "$d/log" || { echo "FAIL reuse $a -> $b: no resume"; fail=1; continue; }
  sorted "$d/out" > "$d/rows"
  if cmp -s "$d/rows" "$tmp/want"; then
    echo "ok   checkpoint taken with reuse $a, $how: $(wc -l < "$d/rows") rows, as without a crash"
  else
    echo "FAIL reuse $a -> $b: $(wc -l < "$d/rows") rows, want $(wc -l < "$tmp/want")"
    fail=1
  fi
done

# (c) a value that is not a boolean
echo "SET 'table.optimizer.reuse-source-enabled' = 'yes';" > "$tmp/bad.sql"
if gen true "$tmp/bad" "$tmp/bad.sql" > /dev/null 2> "$tmp/bad.log" ||
  ! grep -q "table.optimizer.reuse-source-enabled" "$tmp/bad.log"; then
  echo "FAIL: 'yes' was not refused naming the setting"; cat "$tmp/bad.log"; fail=1
else
  echo "ok   'yes' refused: $(grep -m1 reuse-source "$tmp/bad.log")"
fi
exit $fail
