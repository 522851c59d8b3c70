# tests/sql/mock.sh - sourced by the SQL shell tests that go through `sluice kafka-mock` (after
# they set $bin): a temporary folder $tmp, removed at exit together with the mock process,
# and sl_mock_start ARGS..., which starts `sluice kafka-mock ARGS...` in the background and
# sets $bs to the bootstrap address it prints first (the test fails, with the mock's output,
# when none comes within 10 s).
tmp=$(mktemp -d)
mock=
sl_mock_cleanup() {
  [ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
  rm -rf "$tmp"
}
trap sl_mock_cleanup EXIT
sl_mock_start() {
  "$bin" kafka-mock "$@" > "$tmp/mock.out" 2> "$tmp/mock.err" &
  mock=$!
  for _ in $(seq 1 100); do [ -s "$tmp/mock.out" ] && break; sleep 0.1; done
  bs=$(head -1 "$tmp/mock.out")
  if [ -z "$bs" ]; then
    echo "FAIL: kafka-mock printed no address"
    cat "$tmp/mock.out" "$tmp/mock.err"
    exit 1
  fi
}
