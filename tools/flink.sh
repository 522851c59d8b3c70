#!/usr/bin/env bash
# tools/flink.sh - Apache Flink 1.20 (from Maven Central) as the oracle for sluice's Flink SQL:
# builds and runs tests/flink/ (SqlRunner), which executes a Flink SQL script in a local
# MiniCluster, so the same .sql files run in `sluice run` and in Flink.
#
#   tools/flink.sh build            build the runner if the pom or the sources changed
#   tools/flink.sh run [--parallelism N] [--batch|--streaming] [--checkpoint-interval MS]
#                      [--set NAME=VALUE]... FILE.sql... [--then OPTIONS FILE.sql...]...
#                                   run scripts (builds first when needed)
#   tools/flink.sh run --reserved-words   print Flink SQL's reserved words, one a line
#   tools/flink.sh dir              print the runner's directory
#   tools/flink.sh --help
#
# The runner lives in ${SLUICE_CACHE:-$HOME/.cache/sluice}/flink-runner-HASH/ (classes/, lib/
# with every dependency jar, a stamp holding the hash of tests/flink/; HASH its first 12
# digits, so work trees with different runners do not rebuild over each other), never in the
# repository; `build` is a no-op when the stamp matches. Maven downloads into its own ~/.m2.
# `run` reads the files as one script the way `sluice run` does: ${NAME} placeholders are
# filled by --set NAME=VALUE (an unset one is an error), every INSERT runs in one Flink job
# (a StatementSet), streaming mode (--batch: batch mode), parallelism 1 unless given,
# session time zone UTC, no checkpoints unless --checkpoint-interval; exit status 0 once the
# job has finished. --then runs another script after it in the same JVM (its start-up,
# most of the cost of a small run, paid once), with the options and --set values before it
# plus its own. SLUICE_FLINK_HEAP sets the JVM's heap (default 1g, 2g with --bench);
# SLUICE_FLINK_TRACE=1 prints stack traces on failure.
# With --bench REPS (SqlRunner's benchmark mode, `sluice bench run --peer flink`) the JVM
# runs as a Flink TaskManager's would for throughput: the JVM's default collector (G1) and
# full tiered compilation (C2), instead of the serial collector and C1 only that make short
# oracle runs start fast.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/tests/flink"
cache=${SLUICE_CACHE:-$HOME/.cache/sluice}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

stamp_of() { # the hash of everything the runner is built from
  (cd "$src" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum |
    cut -d' ' -f1
}

dir="$cache/flink-runner-$(stamp_of | cut -c1-12)"

build() {
  local want
  want=$(stamp_of)
  if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$want" ] && [ -d "$dir/classes" ] &&
    [ -d "$dir/lib" ]; then
    return 0
  fi
  command -v mvn >/dev/null || { echo "flink.sh: mvn not found (tools/setup.sh installs maven)" >&2; return 1; }
  command -v javac >/dev/null || { echo "flink.sh: javac not found (a JDK 17 is needed)" >&2; return 1; }
  echo "flink.sh: building the Flink runner into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  if ! MAVEN_OPTS="${MAVEN_OPTS:--Xmx512m}" mvn -B -q -f "$src/pom.xml" -Drunner.dir="$dir" \
    compile >"$dir/build.log" 2>&1; then
    tail -40 "$dir/build.log" >&2
    echo "flink.sh: the runner's build failed ($dir/build.log)" >&2
    return 1
  fi
  rm -rf "$dir/build"
  echo "$want" >"$dir/stamp"
}

run() {
  build
  command -v java >/dev/null || { echo "flink.sh: java not found" >&2; return 1; }
  # the module flags Flink's own config.yaml passes on Java 17 (Kryo and the planner's
  # reflection into java.base)
  local opens=()
  for p in java.lang java.net java.io java.nio sun.nio.ch java.lang.reflect java.text java.time \
    java.util java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
    opens+=("--add-opens=java.base/$p=ALL-UNNAMED")
  done
  local jvm=(-Xmx"${SLUICE_FLINK_HEAP:-1g}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1) a
  for a in "$@"; do
    [ "$a" = --bench ] && jvm=(-Xmx"${SLUICE_FLINK_HEAP:-2g}")
  done
  exec java "${jvm[@]}" -Duser.timezone=UTC -Dlog4j2.disable.jmx=true "${opens[@]}" \
    --add-exports=java.base/sun.net.util=ALL-UNNAMED \
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED \
    -cp "$dir/classes:$dir/lib/*" sluice.oracle.SqlRunner "$@"
}

case "${1:-}" in
  build) build ;;
  run) shift; run "$@" ;;
  dir) echo "$dir" ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "flink.sh: unknown command '$1' (build, run, dir, --help)" >&2; exit 2 ;;
esac
