#!/usr/bin/env bash
# tests/sql/test_logical_types.sh - TIMESTAMP_LTZ(3), BYTES and MAP<STRING, BYTES> end to end
# (tests/sql/logical_types.sql, `sluice run`, a JSON file in): base64 BYTES read, CAST
# between BYTES and STRING (invalid UTF-8 read as U+FFFD, as Java's new String(bytes,
# UTF_8)), BYTES equality, MAP[...] with a repeated key (one entry, the last
# value), m['k'] (NULL when absent), CARDINALITY, a TUMBLE window over a TIMESTAMP_LTZ rowtime
# grouped by BYTES (window_time TIMESTAMP_LTZ, window_start TIMESTAMP), and the text of each
# type in json, csv and print. Since ctest runs it in every build, batch capacity 2 and
# ASan/UBSan see these paths too. The expected rows were worked out by hand from Flink's
# rules (docs/sql.md, docs/formats.md say which).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat > "$tmp/in.json" << 'EOF2'
{"id":1,"b":"aGk=","s":"hé","ts":"2024-01-01 00:00:00.250Z"}
{"id":2,"b":"/w==","s":null,"ts":"2024-01-01 00:00:01Z"}
{"id":3,"b":"","s":"","ts":"2024-01-01 00:01:02"}
{"id":4,"b":null,"s":"x","ts":"2024-01-01 00:01:03.5Z"}
EOF2
for w in 1 2; do
  rm -rf "$tmp/out"
  if ! "$bin" run "$src/tests/sql/logical_types.sql" --set IN="$tmp/in.json" --set OUT="$tmp/out" \
      --workers $w --quiet > "$tmp/print" 2> "$tmp/log"; then
    cat "$tmp/log"; echo "FAIL: sluice run --workers $w"; exit 1
  fi
  sed 's/^[0-9]*> //' "$tmp/print" | LC_ALL=C sort > "$tmp/got3"
  cat > "$tmp/want3" << 'EOF2'
+I[1, [104, 105], {s=[108, 97, 115, 116], b=[104, 105]}, 2024-01-01T00:00:00.250Z]
+I[2, [-1], {s=[108, 97, 115, 116], b=[-1]}, 2024-01-01T00:00:01Z]
+I[3, [], {s=[108, 97, 115, 116], b=[]}, 2024-01-01T00:01:02Z]
+I[4, null, {s=[108, 97, 115, 116], b=null}, 2024-01-01T00:01:03.500Z]
EOF2
  cat "$tmp/out"/o1/* | LC_ALL=C sort > "$tmp/got1"
  printf '%s\n' \
    '{"id":1,"bs":"hi","sb":"aMOp","m":{"s":"bGFzdA==","b":"aGk="},"a":"bGFzdA==","z":null,"c":2,"ts":"2024-01-01 00:00:00.250Z","t3":"2024-01-01 00:00:00.250"}' \
    '{"id":2,"bs":"\xef\xbf\xbd","sb":null,"m":{"s":"bGFzdA==","b":"/w=="},"a":"bGFzdA==","z":null,"c":2,"ts":"2024-01-01 00:00:01.000Z","t3":"2024-01-01 00:00:01.000"}' \
    '{"id":4,"bs":null,"sb":"eA==","m":{"s":"bGFzdA==","b":null},"a":"bGFzdA==","z":null,"c":2,"ts":"2024-01-01 00:01:03.500Z","t3":"2024-01-01 00:01:03.500"}' |
    sed 's/\\xef\\xbf\\xbd/\xef\xbf\xbd/' | LC_ALL=C sort > "$tmp/want1"
  cat "$tmp/out"/o2/* | LC_ALL=C sort > "$tmp/got2"
  cat > "$tmp/want2" << 'EOF2'
"",1,2024-01-01 00:01:00.000,2024-01-01 00:01:59.999Z
,1,2024-01-01 00:01:00.000,2024-01-01 00:01:59.999Z
/w==,1,2024-01-01 00:00:00.000,2024-01-01 00:00:59.999Z
aGk=,1,2024-01-01 00:00:00.000,2024-01-01 00:00:59.999Z
EOF2
  for k in 1 2 3; do
    if cmp -s "$tmp/got$k" "$tmp/want$k"; then
      echo "ok   workers=$w sink o$k ($(wc -l < "$tmp/want$k") rows)"
    else
      echo "FAIL workers=$w sink o$k:"; diff "$tmp/got$k" "$tmp/want$k"; fail=1
    fi
  done
done
exit $fail
