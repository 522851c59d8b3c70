#!/usr/bin/env bash
# tests/sql/test_exchange_codec.sh - the exchange codec's loopback (SLUICE_EXCHANGE_CODEC=1,
# engine/exec/exec.c; docs/architecture.md, "Message codecs"): every DATA message between two
# workers is encoded into bytes by its operator and decoded by the receiver, the path a message
# to a worker of another process takes. Whole queries must give the same rows as without it.
#
# 1. One job at 2 workers runs a regular join (q20_fs.sql), an interval join (ijoin_fs.sql),
#    an OVER aggregate (over_rows_fs.sql: 1000 events per second of event time, so no two
#    events share a millisecond and a ROWS frame is the same in every run), a Top-N (Nexmark
#    q19), an unbounded GROUP BY (q17) and a GROUP BY over an updating input (its partials
#    carry MIN / MAX multisets) - once without the codec, once with it. The filesystem
#    sinks' rows, and the final state of the printed changelogs (tests/sql/changelog.py),
#    must be equal, and the run with the codec must say it encoded messages. A codec that
#    drops, adds or changes a row, a NULL or a string fails here.
#    A sliced HOP (hop_count_fs.sql) and a SESSION window (session_fs.sql) run in the same
#    job: the window aggregation's partials, both kinds.
# 2. tests/sql/test_pipelines.sh at 2 workers with the codec: the window aggregations (tumble,
#    hop, cumulate, session) and the other Nexmark pipelines against reference.py's rows.
#    Not under a sanitizer (SLUICE_SANITIZER, from CMake): there part 1 runs every codec once
#    (docs/testing.md: under ASan each path once), and test_pipelines.sh runs at 2 workers
#    without the codec already.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rate=1000
events=6000
base=1700000008000
fsq="q20 ijoin over_rows hop_count session"
printq="q19 q17 nested"
for q in $fsq; do
  sed "s|\${OUT}|\${OUT}/$q|" "$here/${q}_fs.sql" > "$tmp/$q.sql"
done
sed "s/'connector' = 'blackhole'/'connector' = 'print', 'print-identifier' = 'q17'/" \
  "$ex/q17.sql" > "$tmp/q17.sql"
grep -q "'print-identifier'" "$tmp/q17.sql" || { echo "FAIL: q17.sql has no blackhole sink"; exit 1; }
cat > "$tmp/q19.sql" <<'SQL'
CREATE TABLE top10 (auction BIGINT, rank_number BIGINT, bidder BIGINT, price BIGINT,
    channel VARCHAR, url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR)
WITH ('connector' = 'print', 'print-identifier' = 'q19');
INSERT INTO top10
SELECT auction, rank_number, bidder, price, channel, url, `dateTime`, extra FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10;
SQL
# mini-batches of 300 rows: the GROUP BYs send many partials, and the inner one's updates
# (-U / +U) feed the outer one
printf "SET 'table.exec.mini-batch.size' = '300';\n" > "$tmp/mb.sql"
cat > "$tmp/nested.sql" <<'SQL'
CREATE TABLE nested (m BIGINT, auctions BIGINT, bids BIGINT, fewest BIGINT, most BIGINT,
  top BIGINT) WITH ('connector' = 'print', 'print-identifier' = 'nested');
INSERT INTO nested
SELECT MOD(auction, 10), COUNT(*), SUM(cnt), MIN(cnt), MAX(cnt), MAX(top)
FROM (SELECT auction, COUNT(*) AS cnt, MAX(price) AS top FROM bid GROUP BY auction)
GROUP BY MOD(auction, 10);
SQL
run() { # dir
  timeout -k 5 120 "$bin" run "$tmp/mb.sql" "$here/nexmark_gen.sql" "$ex/ddl_views.sql" \
    "$tmp/q20.sql" "$tmp/ijoin.sql" "$tmp/over_rows.sql" "$tmp/hop_count.sql" \
    "$tmp/session.sql" "$tmp/q19.sql" "$tmp/q17.sql" "$tmp/nested.sql" --set TPS=$rate --set EVENTS_NUM=$events --set BASE_TIME=$base \
    --set NEXMARK_TABLE=datagen --set OUT="$1/out" --workers 2 > "$1/log" 2>&1
}
rows() { # dir, query
  case " $fsq " in
    *" $2 "*) cat "$1/out/$2"/part-* 2>/dev/null | LC_ALL=C sort ;;
    *) python3 "$here/changelog.py" --ident "$2" "$1/log" ;;
  esac
}
mkdir -p "$tmp/plain" "$tmp/codec"
SLUICE_EXCHANGE_CODEC=0 run "$tmp/plain" || { echo "FAIL: the run without the codec"; tail -3 "$tmp/plain/log"; exit 1; }
SLUICE_EXCHANGE_CODEC=1 run "$tmp/codec" ||
  { echo "FAIL: the run with the codec"; tail -3 "$tmp/codec/log"; exit 1; }
for q in $fsq $printq; do
  rows "$tmp/plain" $q > "$tmp/want-$q" || { echo "FAIL: $q: no rows without the codec"; fail=1; }
  rows "$tmp/codec" $q > "$tmp/got-$q" || { echo "FAIL: $q: no rows with the codec"; fail=1; }
  if [ -s "$tmp/want-$q" ] && cmp -s "$tmp/got-$q" "$tmp/want-$q"; then
    echo "ok   $q with the codec ($(wc -l < "$tmp/want-$q") rows, as without it)"
  else
    echo "FAIL $q with the codec: $(wc -l < "$tmp/got-$q") rows, want $(wc -l < "$tmp/want-$q"); < got, > want:"
    diff "$tmp/got-$q" "$tmp/want-$q" | head -6
    fail=1
  fi
done
grep -Eq "^nested(:[0-9]+)?> -U" "$tmp/codec/log" || { echo "FAIL: nested: no -U rows (no updating input)"; fail=1; }
line=$(grep "exchange codec: " "$tmp/codec/log")
case $line in
  *": 0 messages"* | "") echo "FAIL: the run with the codec encoded no message: $line"; fail=1 ;;
  *) echo "ok   ${line#sluice run: }" ;;
esac
grep -q "exchange codec: " "$tmp/plain/log" && { echo "FAIL: the codec line without the codec"; fail=1; }

case ${SLUICE_SANITIZER:-off} in
  off | "")
    PIPELINES_WORKERS=2 SLUICE_EXCHANGE_CODEC=1 bash "$here/test_pipelines.sh" > "$tmp/pipelines" 2>&1 ||
      fail=1
    sed 's/^/pipelines: /' "$tmp/pipelines"
    ;;
  *) echo "skip test_pipelines.sh under a sanitizer (every codec ran above)" ;;
esac
[ $fail -eq 0 ] && echo "PASS" || echo "FAIL"
exit $fail
