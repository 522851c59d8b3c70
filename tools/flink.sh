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
# Class data sharing: the first `run` of a runner also writes, once and under a lock, a JDK
# dynamic CDS archive (runner.jsa beside classes/, and runner.jar, the classes as one jar:
# an archive takes jars only) from a training run of a small batch and a small streaming
# window script (about 30 CPU s, once). Every later JVM maps the classes it holds - Flink's
# planner, runtime and their dependencies - parsed and verified already, instead of loading
# them from the jars: a small run's CPU about halves (12 -> 6 CPU s; docs/testing.md, "Time
# budget"). A run while another writes the archive runs without it; when the training run
# fails, runner.nocds (its log) says so and no run tries again; when the archive does
# not fit the JVM, the JVM says so on stderr and loads the classes itself. The JVM's
# warnings go to stderr. SLUICE_FLINK_CDS=0 turns the archive off.
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

# java with the runner's flags (the JVM's options, then SqlRunner's arguments after "--")
runner_java() {
  local jvm=()
  while [ "$1" != -- ]; do jvm+=("$1"); shift; done
  shift
  # the module flags Flink's own config.yaml passes on Java 17 (Kryo and the planner's
  # reflection into java.base)
  local opens=() p
  for p in java.lang java.net java.io java.nio sun.nio.ch java.lang.reflect java.text java.time \
    java.util java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
    opens+=("--add-opens=java.base/$p=ALL-UNNAMED")
  done
  # the class path: classes/ and lib/*, or - once the archive is written - runner.jar and
  # lib's jars in sorted order (an archive holds for the class path it was written with)
  local cp="$dir/classes:$dir/lib/*"
  if [ -f "$dir/runner.jar" ]; then
    cp="$dir/runner.jar$(find "$dir/lib" -name '*.jar' | LC_ALL=C sort | sed 's/^/:/' | tr -d '\n')"
  fi
  # -Xlog: the JVM's warnings (the archive's among them) on stderr, not among the rows a
  # script prints on stdout
  exec java "${jvm[@]}" -Xlog:disable -Xlog:all=warning:stderr -Duser.timezone=UTC \
    -Dlog4j2.disable.jmx=true "${opens[@]}" \
    --add-exports=java.base/sun.net.util=ALL-UNNAMED \
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED \
    -cp "$cp" sluice.oracle.SqlRunner "$@"
}

# Writes runner.jar and runner.jsa (the class data sharing archive) once: the first caller
# that gets the lock; the others meanwhile run without the archive.
cds_archive() {
  [ "${SLUICE_FLINK_CDS:-1}" = 0 ] && return 0
  [ -f "$dir/runner.jsa" ] || [ -f "$dir/runner.nocds" ] && return 0
  (
    flock -n 9 || exit 0 # another run writes it
    [ -f "$dir/runner.jsa" ] || [ -f "$dir/runner.nocds" ] && exit 0
    t=$(mktemp -d)
    trap 'rm -rf "$t"' EXIT
    rm -f "$dir/runner.jar"
    (cd "$dir/classes" && jar cf "$t/runner.jar" .) || exit 0
    cat >"$t/batch.sql" <<EOF
CREATE TABLE g (k INT, v BIGINT, s STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen',
  'number-of-rows' = '1000', 'fields.k.min' = '1', 'fields.k.max' = '9');
CREATE TABLE f (k INT, v BIGINT, s STRING, ts TIMESTAMP(3)) WITH ('connector' = 'filesystem',
  'path' = '$t/f', 'format' = 'csv');
CREATE TABLE a (k INT, n BIGINT, m BIGINT) WITH ('connector' = 'filesystem', 'path' = '$t/a',
  'format' = 'csv');
INSERT INTO f SELECT * FROM g;
INSERT INTO a SELECT k, COUNT(*), MAX(v) FROM g GROUP BY k;
EOF
    cat >"$t/stream.sql" <<EOF
CREATE TABLE f (k INT, v BIGINT, s STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'filesystem',
  'path' = '$t/f', 'format' = 'csv');
CREATE TABLE w (k INT, ws TIMESTAMP(3), n BIGINT, s STRING) WITH ('connector' = 'filesystem',
  'path' = '$t/w', 'format' = 'csv');
INSERT INTO w SELECT k, window_start, COUNT(*), MAX(UPPER(s)) FROM TABLE(TUMBLE(TABLE f,
  DESCRIPTOR(ts), INTERVAL '1' HOUR)) WHERE v > 0 GROUP BY k, window_start, window_end;
EOF
    # the training run: with the jar in place the class path is the one later runs use
    mv "$t/runner.jar" "$dir/runner.jar"
    if (runner_java -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -XX:ArchiveClassesAtExit="$t/runner.jsa" -- --batch "$t/batch.sql" \
      --then --streaming "$t/stream.sql") >"$t/log" 2>&1 && [ -s "$t/runner.jsa" ]; then
      mv "$t/runner.jsa" "$dir/runner.jsa"
    else # not tried again for this runner: runner.nocds holds the training run's log
      cp "$t/log" "$dir/runner.nocds"
      echo "flink.sh: no class data sharing archive (the training run failed, its log is" \
        "$dir/runner.nocds; the runs load their classes themselves)" >&2
    fi
  ) 9>"$dir/cds.lock"
}

run() {
  build
  command -v java >/dev/null || { echo "flink.sh: java not found" >&2; return 1; }
  cds_archive
  local jvm=(-Xmx"${SLUICE_FLINK_HEAP:-1g}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1) a
  for a in "$@"; do
    [ "$a" = --bench ] && jvm=(-Xmx"${SLUICE_FLINK_HEAP:-2g}")
  done
  if [ "${SLUICE_FLINK_CDS:-1}" != 0 ] && [ -f "$dir/runner.jsa" ]; then
    jvm+=(-XX:SharedArchiveFile="$dir/runner.jsa")
  fi
  runner_java "${jvm[@]}" -- "$@"
}

case "${1:-}" in
  build) build ;;
  run) shift; run "$@" ;;
  dir) echo "$dir" ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "flink.sh: unknown command '$1' (build, run, dir, --help)" >&2; exit 2 ;;
esac
