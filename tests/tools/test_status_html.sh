#!/usr/bin/env bash
# tests/tools/test_status_html.sh - `sluice status --html` and the Grafana dashboard
# (docs/dashboards/sluice.json), from a real run: a real ZooKeeper server
# (tests/coord/zkserver_run.c), `sluice kafka-mock` with 2 partitions fed by kcat, and the
# job of tests/tools/test_metrics.sh (a Kafka table through a filter, a paced Nexmark
# generator into a TUMBLE window; 2 workers, --zk, --job, --metrics-port 0, an epoch each
# 200 ms), and a second process of the job (a standby member, serving metrics too). While
# they run:
#   - every metric name the dashboard's queries use is one the job serves, every label they
#     group by or print one of those metrics carries (tests/tools/status_page_check.py
#     dashboard, over two scrapes);
#   - `sluice status --html` writes the page; it names the job, both members (their nodes'
#     names, from `status --json`), a last committed epoch between the one `status --json`
#     said before and the one it says after, the leader's Kafka partitions, the standby as
#     taking no work, has its SVG charts and no script;
#   - Debian's chromium renders it headless into a PNG, which is not blank: enough pixels
#     off the background, enough colours, and the bars' colours there (the PNG read with
#     zlib in python3, no imaging library).
# Members whose metrics addresses do not answer (the leader and the standby stopped with
# SIGSTOP) show as such, each with the reason (their GETs run at once: one timeout for
# both); the page is written after the job ended too (no member, the
# history still there).
# Chromium is installed here, as tools/setup.sh installs packages, when it is missing: the
# test skips (77) when that cannot be done (no root, no network). Like the tests of a real
# Kafka broker or Flink it starts a large outside program (and a JVM): it carries the label
# broker and runs in one build, the ASan one (docs/testing.md), where the page's HTTP fetch
# (libcurl) and Prometheus text parser (tools/status_html.c) are checked for memory errors
# as well.
# SLUICE_STATUS_PNG=FILE keeps the screenshot (docs/img/status.png is one),
# SLUICE_STATUS_HTML=FILE the page.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
build=${SLUICE_BUILD_DIR:?}
zkrun=$build/zkserver_run
[ -x "$zkrun" ] || { echo "FAIL: no $zkrun (ninja builds it)"; exit 1; }
command -v kcat > /dev/null || { echo "SKIP: no kcat (tools/setup.sh installs it)"; exit 77; }
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import prometheus_client' 2> /dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "SKIP: no python3-prometheus-client (tools/setup.sh installs it)"; exit 77; }
check="$py $src/tests/tools/status_page_check.py"

# ---- set-up: Debian's chromium, installed as tools/setup.sh installs packages ----
if [ "$(dpkg-query -W -f='${Status}' chromium 2> /dev/null)" != "install ok installed" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=; elif sudo -n true 2> /dev/null; then sudo=sudo; else
    echo "SKIP: chromium is not installed and this user cannot install it"; exit 77
  fi
  echo "setup: installing chromium"
  if ! { $sudo apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium > /dev/null; }; then
    echo "SKIP: apt-get could not install chromium"; exit 77
  fi
fi

tmp=$(mktemp -d)
zk_pid=
mock=
run=
standby_pid=
cleanup() {
  # SIGKILL: a standby waiting for the latch does not stop on SIGTERM
  [ -n "$standby_pid" ] && kill -KILL "$standby_pid" 2> /dev/null && wait "$standby_pid" 2> /dev/null
  [ -n "$run" ] && kill -KILL "$run" 2> /dev/null && wait "$run" 2> /dev/null
  [ -n "$mock" ] && kill "$mock" 2> /dev/null && wait "$mock" 2> /dev/null
  [ -n "$zk_pid" ] && kill "$zk_pid" 2> /dev/null && wait "$zk_pid" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$zkrun" > "$tmp/zk.out" 2> "$tmp/zk.err" &
zk_pid=$!
for _ in $(seq 1 400); do [ -s "$tmp/zk.out" ] && break; kill -0 $zk_pid 2> /dev/null || break; sleep 0.1; done
zkaddr=$(head -1 "$tmp/zk.out")
if [ -z "$zkaddr" ]; then
  wait $zk_pid; rc=$?; zk_pid=
  [ $rc = 77 ] && { echo "SKIP: $(cat "$tmp/zk.err")"; exit 77; }
  echo "FAIL: no ZooKeeper server: $(cat "$tmp/zk.err")"; exit 1
fi
zk=$zkaddr/sluice
echo "ok   ZooKeeper at $zkaddr"

"$bin" kafka-mock --topic bids --partitions 2 > "$tmp/mock.out" 2>&1 &
mock=$!
for _ in $(seq 1 100); do [ -s "$tmp/mock.out" ] && break; sleep 0.1; done
bs=$(head -1 "$tmp/mock.out")
[ -n "$bs" ] || { echo "FAIL: kafka-mock printed no address"; exit 1; }
for i in $(seq 1 40); do echo "{\"auction\": $i, \"price\": $((i * 5))}"; done > "$tmp/recs"
kcat -P -b "$bs" -t bids -p 0 -l "$tmp/recs" || { echo "FAIL: kcat"; exit 1; }
head -25 "$tmp/recs" | kcat -P -b "$bs" -t bids -p 1 || { echo "FAIL: kcat"; exit 1; }

job=dash
echo "SET 'high-availability.zookeeper.client.session-timeout' = '30 s';" > "$tmp/session.sql"
start() { # $1: a name for its files; sets pid and port
  "$bin" run "$src/tests/sql/nexmark_paced.sql" "$src/tests/tools/metrics_job.sql" --workers 2 \
    --set TPS=1000 --set EVENTS_NUM=0 --set BASE_TIME=1700000000000 --set BOOTSTRAP_SERVERS="$bs" \
    "$tmp/session.sql" --set OUT="$tmp/out" --metrics-port 0 --quiet --zk "$zk" --job $job \
    --state-dir "$tmp/state" --checkpoint-interval 200 2> "$tmp/$1.err" &
  pid=$!
  port=
  for _ in $(seq 1 300); do
    port=$(sed -n 's|^metrics: http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$tmp/$1.err")
    [ -n "$port" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "FAIL: no 'metrics:' line"; cat "$tmp/$1.err"; exit 1; }
}
start leader
run=$pid

# the leader's member node, 3 committed epochs, the Kafka records all read, window state
json() { "$bin" status --zk "$zk" --job $job --json; }
field() { $py -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ready=0
for _ in $(seq 1 300); do
  if json > "$tmp/st.json" 2> /dev/null &&
    [ "$(field 'd["members"][0]["role"] if d["members"] else ""' < "$tmp/st.json")" = leader ] &&
    [ "$(field 'd["last_committed_epoch"]' < "$tmp/st.json")" -ge 3 ] &&
    curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/s1" &&
    grep -q '^sluice_kafka_consumer_lag_records{.*partition="1"} 0$' "$tmp/s1" &&
    grep -q '^sluice_operator_state_bytes{' "$tmp/s1" &&
    grep -q '^sluice_watermark_lag_seconds{' "$tmp/s1"; then
    ready=1; break
  fi
  kill -0 "$run" 2> /dev/null || break
  sleep 0.1
done
[ $ready = 1 ] || { echo "FAIL: the job never got to 3 epochs with its metrics"; cat "$tmp/leader.err"; exit 1; }
member=$(field 'd["members"][0]["name"]' < "$tmp/st.json")
echo "ok   job running: member $member, metrics on port $port"

# a second process of the job: a standby member (it serves metrics too)
lport=$port
start standby
standby_pid=$pid
port=$lport
for _ in $(seq 1 300); do
  json > "$tmp/st.json" 2> /dev/null &&
    [ "$(field 'len(d["members"])' < "$tmp/st.json")" = 2 ] && break
  sleep 0.1
done
[ "$(field 'len(d["members"])' < "$tmp/st.json")" = 2 ] || bad "the standby never became a member"
standby=$(field '[m["name"] for m in d["members"] if m["role"] == "standby"][0]' < "$tmp/st.json")
e0=$(field 'd["last_committed_epoch"]' < "$tmp/st.json")
echo "ok   standby member $standby, epoch $e0"

# ---- the dashboard against what the run serves ----
sleep 0.5
curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/s2" || bad "the second scrape"
$check dashboard "$src/docs/dashboards/sluice.json" "$tmp/s1" "$tmp/s2" || bad "the dashboard"

# ---- the page ----
"$bin" status --zk "$zk" --job $job --html "$tmp/page.html" 2> "$tmp/html.err" ||
  bad "status --html: exit $?: $(cat "$tmp/html.err")"
json > "$tmp/st2.json" || bad "status --json after"
e1=$(field 'd["last_committed_epoch"]' < "$tmp/st2.json")
$check html "$tmp/page.html" $job "$e0" "$e1" "$member" "$standby" || bad "the page"
grep -q '<b id="members">2</b>' "$tmp/page.html" || bad "the page does not count 2 members"
grep -q 'nothing: a standby takes no work' "$tmp/page.html" || bad "the standby's work"
grep -q 'bids: bids/0<br>bids: bids/1<br>' "$tmp/page.html" ||
  bad "the page does not say the member reads bids' partitions 0 and 1"
# with two members a bar names its member by host/pid
grep -q "<text[^>]*>[^<]*/$run in bids</text>" "$tmp/page.html" || bad "no records-in bar of bids"
"$bin" status --zk "$zk" --job $job --html - --json > /dev/null 2>&1
[ $? = 2 ] || bad "--html with --json: not refused with 2"

# ---- the browser ----
chrome=$(command -v chromium || echo /usr/bin/chromium)
# its own profile and no crash reporter in $tmp; --no-sandbox: root has none
timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --user-data-dir="$tmp/chrome" --screenshot="$tmp/page.png" --window-size=1140,1300 \
  "file://$tmp/page.html" > "$tmp/chrome.log" 2>&1
[ -s "$tmp/page.png" ] || { bad "chromium wrote no screenshot"; tail -5 "$tmp/chrome.log"; }
[ -s "$tmp/page.png" ] && { $check png "$tmp/page.png" || bad "the screenshot"; }
[ -n "${SLUICE_STATUS_PNG:-}" ] && [ -s "$tmp/page.png" ] && cp "$tmp/page.png" "$SLUICE_STATUS_PNG"
[ -n "${SLUICE_STATUS_HTML:-}" ] && cp "$tmp/page.html" "$SLUICE_STATUS_HTML"

# ---- members whose endpoints do not answer (both stopped: their member nodes stay, their
# sessions are 30 s) are named, each with the reason; their GETs run at once, so the page
# comes after one timeout (2 s), not one per member (the time is printed, not checked: a
# loaded machine may take longer); the page is written all the same ----
kill -STOP "$run" "$standby_pid"
t0=$(date +%s%N)
"$bin" status --zk "$zk" --job $job --html "$tmp/stopped.html" 2> "$tmp/html.err" ||
  bad "status --html of stopped members: exit $?: $(cat "$tmp/html.err")"
t1=$(date +%s%N)
kill -CONT "$run" "$standby_pid"
for m in "$member" "$standby"; do
  grep -q "<td class=\"member\">$m</td>" "$tmp/stopped.html" || bad "stopped: no member $m"
done
nans=$(grep -o '<span class="bad">(no complete answer in 2000 ms)</span>' "$tmp/stopped.html" | wc -l)
[ "$nans" = 2 ] || bad "stopped: $nans members said not to answer, not 2"
grep -q 'no member serves metrics' "$tmp/stopped.html" || bad "stopped: charts not empty"
echo "ok   both members stopped: named as not answering, the page in $(((t1 - t0) / 1000000)) ms"

# ---- after the job: no member, the history still there, the page still written ----
# (the leader first: a standby waiting for the latch does not stop on SIGINT; it takes
# over, and then stops on SIGINT)
kill -INT "$run"
wait "$run" || bad "the job exited $?"
run=
for _ in $(seq 1 300); do
  json > "$tmp/st.json" 2> /dev/null &&
    [ "$(field '",".join(m["role"] for m in d["members"])' < "$tmp/st.json")" = leader ] && break
  sleep 0.1
done
kill -INT "$standby_pid"
wait "$standby_pid" || bad "the standby exited $?"
standby_pid=
"$bin" status --zk "$zk" --job $job --html "$tmp/after.html" 2> "$tmp/html.err" ||
  bad "status --html after the job: exit $?: $(cat "$tmp/html.err")"
grep -q '<b id="members">0</b>' "$tmp/after.html" || bad "after the job: members not 0"
grep -q 'no member: no process of this job is running' "$tmp/after.html" ||
  bad "after the job: no 'no member' line"
grep -q '<table id="history">' "$tmp/after.html" || bad "after the job: no history"

[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail
