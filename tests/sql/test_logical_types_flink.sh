#!/usr/bin/env bash
# tests/sql/test_logical_types_flink.sh - Flink 1.20 (tools/flink.sh) as the oracle of
# TIMESTAMP_LTZ(3), BYTES and MAP<STRING, BYTES>: tests/sql/logical_types.sql runs in both
# engines over the same JSON input (every TIMESTAMP_LTZ text with its 'Z': Flink's json
# reader requires it), and the three sinks must hold the same rows after the normalizing
# of the differences docs/formats.md and docs/sql.md list:
#   - json and csv timestamps: Flink drops trailing zeros of the fraction (".25Z", no
#     ".000"), sluice writes three digits; both are padded to three here;
#   - csv: Flink quotes a timestamp and writes an empty BYTES as an empty field (as NULL);
#     sluice quotes nothing there and writes "" (so NULL and empty survive a round trip);
#     quotes are dropped here;
#   - print: Flink's MAP is a HashMap (its keys' hash order), sluice's keeps the map's
#     order; the entries are sorted here.
# What is compared as it is: base64 text of BYTES and of MAP values, CAST(BYTES AS STRING)
# of invalid UTF-8 (U+FFFD), MAP[...] with a repeated key, m['k'], CARDINALITY, the 'Z' of
# TIMESTAMP_LTZ, window_time's type (LTZ) and window_start's (TIMESTAMP), print's
# Arrays.toString and Instant.toString.
#
# Skips (77) when the Flink runner cannot be built; SLUICE_FLINK_REQUIRED=1 makes that a
# failure (as tests/sql/test_flink_oracle.sh).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
flink=$src/tools/flink.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! "$flink" build > "$tmp/build.log" 2>&1; then
  cat "$tmp/build.log"
  [ -n "${SLUICE_FLINK_REQUIRED:-}" ] && { echo "FAIL: the Flink runner could not be built"; exit 1; }
  echo "skip: the Flink runner could not be built (tools/flink.sh build)"; exit 77
fi

cat > "$tmp/in.json" << 'EOF2'
{"id":1,"b":"aGk=","s":"hé","ts":"2024-01-01 00:00:00.250Z"}
{"id":2,"b":"/w==","s":null,"ts":"2024-01-01 00:00:01Z"}
{"id":3,"b":"","s":"","ts":"2024-01-01 00:01:02Z"}
{"id":4,"b":null,"s":"x","ts":"2024-01-01 00:01:03.5Z"}
EOF2
sql=$src/tests/sql/logical_types.sql
if ! timeout -k 5 300 "$flink" run --batch "$sql" --set IN="$tmp/in.json" --set OUT="$tmp/flink" \
    > "$tmp/flink.print" 2> "$tmp/flink.log"; then
  tail -20 "$tmp/flink.log"; echo "FAIL: Flink's run"; exit 1
fi
if ! "$bin" run "$sql" --set IN="$tmp/in.json" --set OUT="$tmp/sluice" --workers 2 --quiet \
    > "$tmp/sluice.print" 2> "$tmp/sluice.log"; then
  cat "$tmp/sluice.log"; echo "FAIL: sluice run"; exit 1
fi

norm() { # kind (json|csv|print), files...: normalized lines, sorted
  python3 - "$@" << 'EOF2'
import re, sys
kind, files = sys.argv[1], sys.argv[2:]
def ts(m):
    frac = (m.group(2) or ".")[1:]
    return m.group(1) + "." + (frac + "000")[:3] + m.group(3)
def sort_maps(line):
    def one(m):
        body, parts, depth, cur = m.group(1), [], 0, ""
        for ch in body:
            depth += ch == "["
            depth -= ch == "]"
            if ch == "," and depth == 0:
                parts.append(cur.strip())
                cur = ""
            else:
                cur += ch
        if cur.strip():
            parts.append(cur.strip())
        return "{" + ", ".join(sorted(parts)) + "}"
    return re.sub(r"\{([^{}]*)\}", one, line)
out = []
for f in files:
    for line in open(f, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            continue
        if kind == "print":
            line = sort_maps(re.sub(r"^[0-9]+> ", "", line))
        else:
            line = re.sub(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d*)?(Z?)", ts, line)
            if kind == "csv":
                line = line.replace('"', "")
        out.append(line)
print("\n".join(sorted(out)))
EOF2
}
check() { # name, kind, flink files, sluice files
  norm "$2" $3 > "$tmp/want"
  norm "$2" $4 > "$tmp/got"
  if cmp -s "$tmp/got" "$tmp/want" && [ -s "$tmp/want" ]; then
    echo "ok   $1 ($(wc -l < "$tmp/want") rows, the same as Flink's)"
  else
    echo "FAIL $1: sluice (<) and Flink (>) differ:"; diff "$tmp/got" "$tmp/want"; fail=1
  fi
}
check "json sink o1" json "$(echo "$tmp"/flink/o1/part-*)" "$(echo "$tmp"/sluice/o1/part-*)"
check "csv sink o2" csv "$(echo "$tmp"/flink/o2/part-*)" "$(echo "$tmp"/sluice/o2/part-*)"
check "print sink o3" print "$tmp/flink.print" "$tmp/sluice.print"
exit $fail
