#!/usr/bin/env bash
# tests/tools/test_embed.sh - libsluice as a user gets it: `cmake --install` of this build
# into a temporary prefix, then docs/embedding.md's first C program compiled against that
# prefix with `pkg-config --cflags --libs sluice` and with CMake's find_package(sluice), and
# run: both must print the windowed counts the sluice program prints for the same SQL.
set -u
bin=${SLUICE_BIN:?SLUICE_BIN not set}
src=${SLUICE_SOURCE_DIR:?SLUICE_SOURCE_DIR not set}
build=${SLUICE_BUILD_DIR:?SLUICE_BUILD_DIR not set}
fail=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log" 2>&1
check "cmake --install into a prefix" test $? -eq 0
for f in include/sluice.h lib/libsluice.a lib/pkgconfig/sluice.pc \
         lib/cmake/sluice/sluiceConfig.cmake bin/sluice; do
  check "installed $f" test -f "$tmp/prefix/$f"
done

# the first ```c block of docs/embedding.md, as a user copies it
awk '/^```c$/ {on = 1; next} on && /^```$/ {exit} on' "$src/docs/embedding.md" > "$tmp/bids.c"
check "docs/embedding.md has a C program" grep -q 'sluice_job_run' "$tmp/bids.c"

export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig
flags=$(pkg-config --cflags --libs sluice 2>&1)
check "pkg-config knows sluice" test $? -eq 0
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$tmp/bids.c" $flags -o "$tmp/bids" 2> "$tmp/cc.log"
rc=$?
check "the example compiles and links with pkg-config alone" test $rc -eq 0
[ $rc -eq 0 ] || cat "$tmp/cc.log"

# what the sluice program prints for the same SQL (the text between the quotes)
sed -n '/sluice_job_add_sql/,/);$/p' "$tmp/bids.c" | sed -n 's/^ *"\(.*\)"[);]*$/\1/p' |
  sed 's/\\n$//; s/\\"/"/g' > "$tmp/bids.sql"
"$bin" run "$tmp/bids.sql" --set EVENTS=100000 --workers 2 --quiet 2>/dev/null |
  LC_ALL=C sort > "$tmp/want"
check "the reference run printed rows" test "$(wc -l < "$tmp/want")" -gt 10

if [ -x "$tmp/bids" ]; then
  (cd "$tmp" && ./bids > out 2> err)
  rc=$?
  check "the example runs" test $rc -eq 0
  [ $rc -eq 0 ] || cat "$tmp/err"
  check "it prints the library's version" grep -q "^libsluice [0-9]*\.[0-9]*\.[0-9]*$" "$tmp/out"
  grep -F '+I[' "$tmp/out" | LC_ALL=C sort > "$tmp/got"
  check "its rows equal sluice run's" cmp -s "$tmp/got" "$tmp/want"
  check "it reports its stats" grep -q "rows in, .* rows out in .* on 2 workers" "$tmp/err"
fi

mkdir -p "$tmp/cm"
cp "$tmp/bids.c" "$tmp/cm/"
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(bids C CXX)
find_package(sluice REQUIRED)
add_executable(bids bids.c)
target_link_libraries(bids PRIVATE sluice::sluice)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" > "$tmp/cm.log" 2>&1 &&
  cmake --build "$tmp/cm/build" >> "$tmp/cm.log" 2>&1
rc=$?
check "the example builds with find_package(sluice)" test $rc -eq 0
[ $rc -eq 0 ] || tail -20 "$tmp/cm.log"
if [ -x "$tmp/cm/build/bids" ]; then
  (cd "$tmp" && cm/build/bids 2>/dev/null | grep -F '+I[' | LC_ALL=C sort > got2)
  check "the CMake-built example's rows equal sluice run's" cmp -s "$tmp/got2" "$tmp/want"
fi
exit $fail
