#!/usr/bin/env bash
# tools/setup.sh - installs what sluice needs on a fresh Debian 12 machine, then configures
# and builds it.
#
#   tools/setup.sh [release|asan|cap2|tsan|all]...     (default: release)
#
# Idempotent and quick when everything is present: `apt-get update` runs only when a package
# is missing. Build directories:
#   build/release   -O3, batch capacity 2048, mimalloc, benchmarks
#   build/asan      AddressSanitizer + UndefinedBehaviorSanitizer, libc memory
#   build/cap2      batch capacity 2, to shake out batch-boundary bugs (-O1: it hunts bugs,
#                   not speed, and compiles in two thirds of -O3's CPU)
#   build/tsan      ThreadSanitizer (-O1), libc memory; tools/test.sh runs its threaded tests
#                   with TSAN_OPTIONS naming tests/tsan.supp, so only what they run is built
#                   (the target threads_tests; `ninja -C build/tsan` builds the rest)
# Warnings are errors in every build (-DSLUICE_WERROR=ON). The asan, cap2 and tsan builds
# carry line tables only (-g1: enough for their reports' stack traces, at about two thirds
# of -g's compile CPU); release keeps -g for profilers. Test programs are -O1 everywhere.
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  librdkafka-dev libzookeeper-mt-dev liburing-dev libmimalloc-dev libhwloc-dev
  libbenchmark-dev libcmocka-dev libsimdjson-dev libxxhash-dev libpcre2-dev nettle-dev
  libavro-dev # io/avro.c: the 'avro' format's schemas (Avro C)
  libmicrohttpd-dev # `sluice run --metrics-port`: the Prometheus endpoint (tools/cmd_metrics_http.c)
  libreadline-dev # `sluice sql`: line editing and history (tools/cmd_sql.c)
  libcurl4-openssl-dev # `sluice status --html`: scraping the members' metrics (tools/status_html.c)
  curl python3-prometheus-client # tests/tools/test_metrics.sh scrapes and parses it
  kcat zookeeper default-jre-headless maven python3 clang-format
  iproute2 # tests/util/netns.sh: network namespaces, a bridge and veths (test_cluster_netns.sh)
  valgrind # `sluice bench run --instructions` (callgrind; perf does not work in this VM)
  maven openjdk-17-jdk-headless # tools/flink.sh builds the Flink oracle (tests/flink/pom.xml)
)
# maven: tools/kafka.sh fetches the Apache Kafka broker the real-broker tests run (Maven
# Central, tools/kafka/pom.xml) into ${SLUICE_CACHE:-~/.cache/sluice} on first use.

sl_sudo() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sl_sudo apt-get update -qq
  sl_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)

# SL_TARGETS (optional): the ninja targets to build instead of all of them
sl_build() {
  local name=$1; shift
  cmake -S . -B "build/$name" -G Ninja -DSLUICE_WERROR=ON "$@" >/dev/null
  # shellcheck disable=SC2086
  ninja -C "build/$name" -j "$jobs" ${SL_TARGETS:-} >/dev/null ||
    ninja -C "build/$name" -j 1 ${SL_TARGETS:-}
}

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(release)
for c in "${configs[@]}"; do
  case "$c" in
    release) sl_build release -DCMAKE_BUILD_TYPE=Release ;;
    asan)    sl_build asan -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON -DSLUICE_BENCH=OFF \
               -DSLUICE_DEBUG=-g1 ;;
    cap2)    sl_build cap2 -DCMAKE_BUILD_TYPE=Release -DSLUICE_BATCH_CAP=2 -DSLUICE_BENCH=OFF \
               -DSLUICE_OPT=-O1 -DSLUICE_DEBUG=-g1 ;;
    tsan)    SL_TARGETS=threads_tests sl_build tsan -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=thread \
               -DSLUICE_BENCH=OFF -DSLUICE_DEBUG=-g1 ;;
    all)     "$0" release asan cap2 tsan ;;
    *) echo "setup: unknown build '$c' (release, asan, cap2, tsan, all)" >&2; exit 2 ;;
  esac
done
