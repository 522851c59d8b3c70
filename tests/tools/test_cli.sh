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
exit $fail
