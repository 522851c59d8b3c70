#!/usr/bin/env bash
# tests/tools/test_cli.sh - the sluice program's help, version, kernels and error handling.
set -u
bin=${SLUICE_BIN:?SLUICE_BIN not set}
fail=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

out=$("$bin" --help); rc=$?
check "--help exits 0" test $rc -eq 0
check "--help lists kernels" grep -q 'kernels' <<<"$out"
out=$("$bin" --version); check "--version prints the version" grep -Eq '^sluice [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"
out=$("$bin" kernels --help); check "kernels --help" grep -q 'usage: sluice kernels' <<<"$out"
out=$("$bin" kernels); rc=$?
check "kernels exits 0" test $rc -eq 0
check "kernels names the active level" grep -Eq '^active: +(scalar|avx2|avx512)$' <<<"$out"
out=$(SLUICE_SIMD=scalar "$bin" kernels)
check "SLUICE_SIMD=scalar is obeyed" grep -Eq '^active: +scalar$' <<<"$out"
err=$(SLUICE_SIMD=bogus "$bin" kernels 2>&1 >/dev/null); rc=$?
check "unknown SLUICE_SIMD exits 2" test $rc -eq 2
check "unknown SLUICE_SIMD is named" grep -q "SLUICE_SIMD='bogus'" <<<"$err"
err=$("$bin" frobnicate 2>&1 >/dev/null); rc=$?
check "unknown command exits 2" test $rc -eq 2
check "unknown command is named" grep -q "unknown command 'frobnicate'" <<<"$err"
"$bin" >/dev/null 2>&1; rc=$?
check "no command exits 2" test $rc -eq 2

# run and explain
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'CREATE TABLE t (a INT) WITH (\n  \x27connector\x27 = \x27print\x27;\n' > "$tmp/bad.sql"
err=$("$bin" run "$tmp/bad.sql" 2>&1 >/dev/null); rc=$?
check "run: a syntax error exits 2" test $rc -eq 2
check "run: the error names file, line and column" grep -q "bad.sql:2:24: expected ')'" <<<"$err"
check "run: the error shows the line with a caret" grep -q '^ *\^$' <<<"$err"
err=$("$bin" run "$tmp/missing.sql" 2>&1 >/dev/null); rc=$?
check "run: a missing file exits 2" test $rc -eq 2
check "run: a missing file is named" grep -q "cannot open $tmp/missing.sql" <<<"$err"
"$bin" run >/dev/null 2>&1; rc=$?
check "run: no file exits 2" test $rc -eq 2
"$bin" run "$tmp/bad.sql" --workers 0 >/dev/null 2>&1; rc=$?
check "run: --workers 0 exits 2" test $rc -eq 2
# options with a value (tools/cli.c): the same words in every command, both spellings
for c in "run x.sql --workers" "explain x.sql --set" "checkpoints --zk" "config --zk" \
  "status --job" "gen nexmark --events" "bench run --events"; do
  err=$("$bin" $c 2>&1 >/dev/null); rc=$?
  check "$c: exits 2" test $rc -eq 2
  check "$c: '${c##* } needs a value'" grep -qx "sluice ${c%% *}: ${c##* } needs a value" <<<"$err"
done
for c in "run x.sql --bogus=1" "explain x.sql --workers 2" "checkpoints --bogus 1" \
  "config --bogus 1" "gen nexmark --bogus=1" "bench run --bogus 1"; do
  err=$("$bin" $c 2>&1 >/dev/null); rc=$?
  o=${c#* * }; o=${o%% *}; o=${o%%=*}
  [ "${c%% *}" = checkpoints ] || [ "${c%% *}" = config ] && { o=${c#* }; o=${o%% *}; }
  check "$c: exits 2" test $rc -eq 2
  check "$c: names the option" grep -q "^sluice ${c%% *}: unknown option '$o" <<<"$err"
done
"$bin" gen nexmark --events=5 --out="$tmp/five.json" >/dev/null 2>&1; rc=$?
check "gen --events=5 --out=F: the '=' spelling" test $rc -eq 0
check "gen --events=5: five events" test "$(wc -l < "$tmp/five.json")" -eq 5
out=$("$bin" run --help); check "run --help" grep -q 'usage: sluice run' <<<"$out"
out=$("$bin" explain --help); check "explain --help" grep -q 'usage: sluice explain' <<<"$out"
cat > "$tmp/ok.sql" <<'SQL'
CREATE TABLE g (event_type INT,
  person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
             state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,
  auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
              reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
              category BIGINT, extra VARCHAR>,
  bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
          `dateTime` TIMESTAMP(3), extra VARCHAR>)
  WITH ('connector' = 'nexmark', 'events.num' = '${N}', 'sluice.base-time' = '0');
CREATE TABLE p (t INT, n BIGINT) WITH ('connector' = 'print');
INSERT INTO p SELECT event_type, person.id FROM g WHERE event_type = 0;
SQL
out=$("$bin" explain "$tmp/ok.sql" --set N=100); rc=$?
check "explain exits 0" test $rc -eq 0
check "explain prints the plan" grep -q 'Sink p (connector print)' <<<"$out"
out=$("$bin" run "$tmp/ok.sql" --set N=100 --workers 1 2>"$tmp/err"); rc=$?
check "run exits 0" test $rc -eq 0
check "run prints Flink's +I rows" grep -q '^+I\[0, 1001\]$' <<<"$out"
check "run prints one row per person (2 of 100 events)" test "$(wc -l <<<"$out")" -eq 2
check "run ends with a summary" grep -q 'sluice run: done in .* 100 rows in' "$tmp/err"
err=$("$bin" run "$tmp/ok.sql" 2>&1 >/dev/null); rc=$?
check "run: an unset placeholder exits 2" test $rc -eq 2
check "run: an unset placeholder is named" grep -q 'ok.sql:9:.*\${N} is not set; pass --set N=VALUE' <<<"$err"

# gen: splits that no run of the job would produce are refused
err=$("$bin" gen nexmark --events 10 --splits 2 --rng per-event --out /dev/null 2>&1); rc=$?
check "gen: --splits with --rng per-event exits 2" test $rc -eq 2
check "gen: --splits with --rng per-event says why" grep -q 'needs --rng splittable' <<<"$err"
err=$("$bin" gen nexmark --events 10 --start 5 --splits 2 --set events.num=12 --out /dev/null 2>&1); rc=$?
check "gen: splits past events.num exit 2" test $rc -eq 2
check "gen: splits past events.num are named" grep -q 'goes past events.num 12' <<<"$err"
exit $fail
