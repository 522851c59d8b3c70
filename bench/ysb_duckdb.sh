#!/usr/bin/env bash
# bench/ysb_duckdb.sh - YSB from one JSON file, sluice side by side with DuckDB (issue #11).
#
#   bench/ysb_duckdb.sh [--events N] [--reps R] [--dir DIR] [--json FILE]
#                       [--install-duckdb] [--no-duckdb]
#
# In one run and on the same file: the Yahoo streaming benchmark as one query - ad events
# filtered to event_type = 'view', lookup-joined with the campaigns table on ad_id, counted
# per campaign per 10 s tumbling window on event_time, written to a file - with
#   sluice  `sluice run` --workers 1 and --workers 2 (filesystem source, json format;
#           the query of tests/sql/ysb_fs.sql, written out by this script), and
#   DuckDB  threads=1 and threads=2: read_json on the same file, joined with read_csv of the
#           campaigns, GROUP BY campaign, time_bucket(INTERVAL 10 s, epoch_ms(event_time)),
#           COPY ... TO a CSV file; driven by a small node script this script writes.
# The four configurations run interleaved, R times each; every run is one process measured
# the same way: wall time, CPU time (user + sys) and peak RSS from wait4()'s rusage of that
# process (a python3 wrapper), so sluice's RSS and DuckDB's node process's RSS compare.
# Reported per configuration: median wall, CPU, cores (CPU / wall), peak RSS and events/s
# (events / process wall), the engine's own time (sluice: the executor's "done in" from its
# summary, without start-up and loading; DuckDB: the COPY statement alone), and the ratios
# sluice 2w / 1w wall and sluice / DuckDB throughput at the same thread count, beside
# issue #11's goals. Every run's result is compared with the first sluice run's as a sorted
# set of (campaign, window start in epoch ms, count) rows - window bounds are normalized from
# whatever timestamp text the engine wrote, the files of an output directory are read
# together - and the script fails loudly (exit 1) if any run differs.
#
#   --events N        events in the file (default 4000000: about 1 GB of JSON)
#   --reps R          repetitions of each configuration (default 3)
#   --dir DIR         keep the generated events.json and campaigns.csv in DIR and reuse them
#                     when DIR/ysb.meta says they are N events of this generator (default: a
#                     temporary directory, removed at the end)
#   --json FILE       also write every run and the medians and ratios as JSON to FILE
#   --install-duckdb  first install DuckDB's node API with npm into $DUCKDB_PREFIX
#                     (default ~/.cache/sluice-duckdb; version $DUCKDB_NODE_VERSION, default
#                     1.5.6-r.1 = DuckDB v1.5.6), outside the project's dependencies
#   --no-duckdb       run sluice alone
#
# Environment: SLUICE_BIN (default build/release/sluice; this script builds nothing: run
# tools/setup.sh release first), SLUICE_RUN_ARGS (extra `sluice run` arguments, e.g.
# --no-pin), DUCKDB_PREFIX, DUCKDB_NODE_VERSION, TMPDIR (where temporary files go).
# Without DuckDB's node API (or node) the DuckDB runs are skipped with a message; the
# sluice runs and the 2w / 1w ratio are still reported. Needs bash, python3 (setup.sh
# installs it) and, for DuckDB, node and npm. Exit status: 0 done, 1 a run failed or the
# results differ, 2 a usage or set-up error.
set -euo pipefail

caller_pwd=$PWD
cd "$(dirname "$0")/.."

events=4000000
reps=3
dir=
json=
install_duckdb=0
use_duckdb=1
base_time=1700000000000 # fixed, so that the same N gives the same bytes every time

die() { echo "ysb_duckdb: $*" >&2; exit 2; }
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$caller_pwd/$1" ;; esac; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --events) [ $# -ge 2 ] || die "--events needs a value"; events=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || die "--dir needs a value"; dir=$(abspath "$2"); shift 2 ;;
    --json) [ $# -ge 2 ] || die "--json needs a value"; json=$(abspath "$2"); shift 2 ;;
    --install-duckdb) install_duckdb=1; shift ;;
    --no-duckdb) use_duckdb=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $events =~ ^[1-9][0-9]*$ ]] || die "--events must be a positive integer, not '$events'"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer, not '$reps'"

if [ -n "${SLUICE_BIN:-}" ]; then sluice=$(abspath "$SLUICE_BIN"); else sluice=$PWD/build/release/sluice; fi
[ -x "$sluice" ] || die "no sluice binary at $sluice (run tools/setup.sh release, or set SLUICE_BIN)"
command -v python3 >/dev/null || die "python3 is needed (tools/setup.sh installs it)"
read -r -a sluice_extra <<<"${SLUICE_RUN_ARGS:-}"

work=$(mktemp -d "${TMPDIR:-/tmp}/ysb_duckdb.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -z "$dir" ]; then dir=$work/data; fi
mkdir -p "$dir"
ev=$dir/events.json
camp=$dir/campaigns.csv
meta=$dir/ysb.meta

# ---- the helper: measure a process, normalize a result, report -----------------------------
cat >"$work/helper.py" <<'PY'
import calendar, csv, datetime, json, os, re, statistics, subprocess, sys, time

SUMMARY = re.compile(r"done in ([0-9.]+) s on ([0-9]+) workers: ([0-9]+) rows in .*?"
                     r"([0-9]+) rows out, ([0-9]+) late, ([0-9]+) bad")

def run(runs, ref, name, engine, threads, rep, events, rdir, out, cmd):
    """One measured run: cmd as one child process, its wall time and wait4()'s rusage of it
    (user, sys, peak RSS); the engine's own time from its output; its result normalized and
    compared with ref (the first run's, which a missing ref makes this one). Appends a JSON
    line to runs. Exit 1 when the run fails or its result differs."""
    so_path, se_path = os.path.join(rdir, "stdout"), os.path.join(rdir, "stderr")
    with open(so_path, "wb") as so, open(se_path, "wb") as se:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=so, stderr=se)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    err = open(se_path, errors="replace").read()
    if code != 0:
        print("ysb_duckdb: %s (rep %s) FAILED (exit %d):" % (name, rep, code), file=sys.stderr)
        print("\n".join(err.splitlines()[-20:]), file=sys.stderr)
        return 1
    m = {"config": name, "engine": engine, "threads": int(threads), "rep": int(rep),
         "wall_s": wall, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
         "cpu_s": ru.ru_utime + ru.ru_stime, "max_rss_kib": ru.ru_maxrss, "engine_s": None}
    if engine == "sluice":
        # "sluice run: done in 1.234 s on 2 workers: 4000000 rows in (...), 4000 rows out,
        #  0 late, 0 bad records"
        found = SUMMARY.findall(err)
        if found:
            secs, _, rin, rout, late, bad = found[-1]
            m.update(engine_s=float(secs), rows_in=int(rin), rows_out=int(rout),
                     late=int(late), bad_records=int(bad))
            if int(rin) != int(events):
                print("ysb_duckdb: warning: %s read %s rows, not %s" % (name, rin, events),
                      file=sys.stderr)
            if int(late) or int(bad):
                print("ysb_duckdb: warning: %s: %s late rows, %s bad records"
                      % (name, late, bad), file=sys.stderr)
        else:
            print("ysb_duckdb: note: no summary line from sluice run (its format changed?); "
                  "its engine time is not reported", file=sys.stderr)
    else:
        lines = open(so_path).read().strip().splitlines()
        m["engine_s"] = json.loads(lines[-1])["query_s"]
    res = os.path.join(rdir, "result.txt")
    if normalize(out, res):
        print("ysb_duckdb: %s (rep %s): unreadable output at %s" % (name, rep, out),
              file=sys.stderr)
        return 1
    if not os.path.exists(ref):
        if os.path.getsize(res) == 0:
            print("ysb_duckdb: %s wrote no rows" % name, file=sys.stderr)
            return 1
        os.symlink(res, ref)
        with open(ref + ".name", "w") as f:
            f.write("%s (rep %s)" % (name, rep))
    elif compare(open(ref + ".name").read(), ref, "%s (rep %s)" % (name, rep), res):
        return 1
    with open(runs, "a") as f:
        f.write(json.dumps(m) + "\n")
    print("   %-10s rep %s: wall %6.3f s  CPU %6.3f s  peak RSS %5.0f MiB%s" % (
        name, rep, wall, m["cpu_s"], ru.ru_maxrss / 1024,
        "  (engine %.3f s)" % m["engine_s"] if m["engine_s"] is not None else ""), flush=True)
    return 0

def to_ms(text):
    """A window bound as epoch ms: digits are taken as ms already; timestamp text (with
    a space or T, optional fraction, optional Z / offset) without a zone is UTC."""
    s = text.strip()
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    s = s.replace("T", " ")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    m = re.fullmatch(r"(.*[ ]\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d(:?\d\d)?)?", s)
    if not m:
        raise ValueError("not a timestamp: %r" % text)
    base, frac, tz = m.group(1), m.group(2) or "", m.group(3) or ""
    if tz and len(tz) == 3:
        tz += ":00"
    elif tz and ":" not in tz:
        tz = tz[:3] + ":" + tz[3:]
    d = datetime.datetime.fromisoformat(base + tz)
    if d.tzinfo is not None:
        d = d.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    ms = calendar.timegm(d.timetuple()) * 1000
    if frac:
        ms += int((frac[1:] + "000")[:3])
    return ms

def normalize(src, dst):
    """Every CSV row (campaign, window_start, count) of a file or of the visible files of
    a directory (recursively; names starting with . or _ are skipped), as sorted
    'campaign,window_ms,count' lines. A header line is skipped."""
    files = []
    if os.path.isdir(src):
        for root, dirs, names in os.walk(src):
            dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
            files += [os.path.join(root, n) for n in names if not n.startswith((".", "_"))]
    elif os.path.exists(src):
        files = [src]
    if not files:
        print("no output at %s" % src, file=sys.stderr)
        return 1
    rows = []
    for fn in sorted(files):
        with open(fn, newline="") as f:
            for r in csv.reader(f):
                if not r:
                    continue
                if len(r) != 3:
                    print("%s: not 3 columns: %r" % (fn, r), file=sys.stderr)
                    return 1
                if not re.fullmatch(r"\s*\d+\s*", r[2]):
                    if not rows:  # a header
                        continue
                    print("%s: count is not an integer: %r" % (fn, r), file=sys.stderr)
                    return 1
                rows.append("%s,%d,%d" % (r[0].strip(), to_ms(r[1]), int(r[2])))
    rows.sort()
    with open(dst, "w") as f:
        f.write("".join(r + "\n" for r in rows))
    return 0

def compare(ref_name, ref, got_name, got):
    a = open(ref).read().splitlines()
    b = open(got).read().splitlines()
    if a == b:
        return 0
    print("ysb_duckdb: RESULTS DIFFER: %s has %d rows, %s has %d rows"
          % (ref_name, len(a), got_name, len(b)), file=sys.stderr)
    sa, sb = set(a), set(b)
    for name, x in (("only in " + ref_name, sorted(sa - sb)), ("only in " + got_name, sorted(sb - sa))):
        print("  %d rows %s (campaign,window_ms,count)%s" % (len(x), name, ":" if x else ""),
              file=sys.stderr)
        for line in x[:10]:
            print("    " + line, file=sys.stderr)
    for name, x in ((ref_name, a), (got_name, b)):
        keys = [",".join(l.split(",")[:2]) for l in x]
        dup = len(keys) - len(set(keys))
        if dup:
            print("  %s: %d (campaign, window) keys appear more than once" % (name, dup),
                  file=sys.stderr)
        print("  %s: %d views in all" % (name, sum(int(l.rsplit(",", 1)[1]) for l in x)),
              file=sys.stderr)
    return 1

def report(runs_file, ctx_file, json_out):
    ctx = json.load(open(ctx_file))
    runs = [json.loads(l) for l in open(runs_file) if l.strip()]
    order = ["sluice-1w", "sluice-2w", "duckdb-1t", "duckdb-2t"]
    configs = []
    for name in order:
        rs = [r for r in runs if r["config"] == name]
        if not rs:
            continue
        med = lambda k: statistics.median(r[k] for r in rs if r.get(k) is not None) \
            if any(r.get(k) is not None for r in rs) else None
        c = {"name": name, "engine": rs[0]["engine"], "threads": rs[0]["threads"],
             "reps": len(rs),
             "wall_s": med("wall_s"), "wall_s_min": min(r["wall_s"] for r in rs),
             "wall_s_max": max(r["wall_s"] for r in rs),
             "cpu_s": med("cpu_s"), "user_s": med("user_s"), "sys_s": med("sys_s"),
             "max_rss_mib": med("max_rss_kib") / 1024, "engine_s": med("engine_s"),
             "runs": rs}
        c["cores"] = c["cpu_s"] / c["wall_s"]
        c["events_per_s"] = ctx["events"] / c["wall_s"]
        c["events_per_cpu_s"] = ctx["events"] / c["cpu_s"] if c["cpu_s"] else None
        configs.append(c)
    by = {c["name"]: c for c in configs}
    ratios = {}
    if "sluice-1w" in by and "sluice-2w" in by:
        ratios["sluice_2w_over_1w_wall"] = by["sluice-2w"]["wall_s"] / by["sluice-1w"]["wall_s"]
        ratios["sluice_2w_minus_1w_cpu_s"] = by["sluice-2w"]["cpu_s"] - by["sluice-1w"]["cpu_s"]
    for t in (1, 2):
        s, d = by.get("sluice-%dw" % t), by.get("duckdb-%dt" % t)
        if s and d:
            ratios["sluice_over_duckdb_throughput_%dt" % t] = d["wall_s"] / s["wall_s"]
            ratios["sluice_over_duckdb_cpu_per_event_%dt" % t] = d["cpu_s"] / s["cpu_s"]
    out = dict(ctx, configs=configs, ratios=ratios)

    gib = ctx["events_bytes"] / 2**30
    print()
    print("YSB from one file: %s events, %.2f GiB of JSON, %d campaigns; median of %d "
          "interleaved runs" % (f"{ctx['events']:,}", gib, ctx["campaigns"], ctx["reps"]))
    print("sluice %s (%s)%s" % (ctx["sluice_version"], ctx["sluice_bin"],
          ("; DuckDB %s (node API %s)" % (ctx["duckdb_version"], ctx["duckdb_node_api"]))
          if ctx.get("duckdb_version") else "; DuckDB: " + (ctx.get("duckdb_skipped") or "-")))
    print("%s, %d CPUs, load average %s at the start" % (ctx["cpu_model"], ctx["cpus"],
          ctx["load_avg_start"]))
    print()
    hdr = "%-10s %8s %8s %8s %8s %6s %9s %9s %10s %10s" % (
        "config", "wall s", "min", "max", "CPU s", "cores", "RSS MiB", "events/s",
        "ev/CPU s", "engine s")
    print(hdr)
    for c in configs:
        print("%-10s %8.3f %8.3f %8.3f %8.3f %6.2f %9.0f %8.3fM %9.3fM %10s" % (
            c["name"], c["wall_s"], c["wall_s_min"], c["wall_s_max"], c["cpu_s"], c["cores"],
            c["max_rss_mib"], c["events_per_s"] / 1e6, (c["events_per_cpu_s"] or 0) / 1e6,
            "%.3f" % c["engine_s"] if c["engine_s"] is not None else "-"))
    print("(wall, CPU and RSS are the whole process's, from wait4(); engine s is sluice's "
          "executor time from its summary / DuckDB's COPY statement alone)")
    print()
    if "sluice_2w_over_1w_wall" in ratios:
        print("sluice 2w / 1w wall            %6.2fx   (issue #11 goal: <= 0.60x)"
              % ratios["sluice_2w_over_1w_wall"])
        print("sluice 2w - 1w CPU             %+6.2f s  (issue #11 goal: an idle worker's CPU "
              "near zero)" % ratios["sluice_2w_minus_1w_cpu_s"])
    for c in configs:
        if c["engine"] == "sluice":
            print("sluice %s peak RSS           %6.0f MiB (issue #11 goal: < 300 MiB for 1 GB)"
                  % (c["name"][-2:], c["max_rss_mib"]))
    for t in (1, 2):
        k = "sluice_over_duckdb_throughput_%dt" % t
        if k in ratios:
            print("sluice / DuckDB throughput, %d thread%s %6.2fx   (issue #11 goal: >= 1.5x); "
                  "per CPU second %.2fx" % (t, " " if t == 1 else "s", ratios[k],
                  ratios["sluice_over_duckdb_cpu_per_event_%dt" % t]))
    print("results: %s" % ctx["results"])
    if json_out:
        with open(json_out, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        print("JSON: %s" % json_out)
    return 0

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "run":
        sys.exit(run(*args[:9], args[10:]))  # args[9] is "--"
    if cmd == "normalize":
        sys.exit(normalize(args[0], args[1]))
    if cmd == "compare":
        sys.exit(compare(*args))
    if cmd == "report":
        sys.exit(report(args[0], args[1], args[2] if len(args) > 2 else None))
    sys.exit("unknown helper command " + cmd)
PY
helper() { python3 "$work/helper.py" "$@"; }

# ---- DuckDB: install, find, or skip ----------------------------------------------------------
duck_prefix=${DUCKDB_PREFIX:-$HOME/.cache/sluice-duckdb}
duck_api=
duck_skip=
if [ "$use_duckdb" = 1 ]; then
  if [ "$install_duckdb" = 1 ]; then
    command -v npm >/dev/null || die "--install-duckdb needs npm (apt-get install npm)"
    echo "== npm install @duckdb/node-api@${DUCKDB_NODE_VERSION:-1.5.6-r.1} into $duck_prefix"
    npm install --no-audit --no-fund --prefix "$duck_prefix" \
      "@duckdb/node-api@${DUCKDB_NODE_VERSION:-1.5.6-r.1}" >&2
  fi
  if ! command -v node >/dev/null; then
    duck_skip="node is not installed"
  elif [ -f "$duck_prefix/node_modules/@duckdb/node-api/package.json" ]; then
    duck_api=$duck_prefix/node_modules/@duckdb/node-api
  elif p=$(cd "$work" && node -p "require('path').dirname(require.resolve('@duckdb/node-api/package.json'))" 2>/dev/null); then
    duck_api=$p
  else
    duck_skip="DuckDB's node API is not installed in $duck_prefix (bench/ysb_duckdb.sh --install-duckdb installs it)"
  fi
else
  duck_skip="--no-duckdb"
fi

cat >"$work/duck.cjs" <<'JS'
// One DuckDB run of the YSB query: node duck.cjs API_DIR THREADS EVENTS CAMPAIGNS OUT
// prints one JSON line: version, threads, query_s. node duck.cjs API_DIR --version prints
// DuckDB's version and the node API's.
'use strict';
const [api, threads, events, campaigns, out] = process.argv.slice(2);
const { DuckDBInstance } = require(api);
const q = (s) => "'" + String(s).replace(/'/g, "''") + "'";
(async () => {
  const inst = await DuckDBInstance.create(':memory:', threads === '--version' ? {} : { threads });
  const con = await inst.connect();
  const [[version, nthreads]] = (await con.runAndReadAll(
    "SELECT version(), current_setting('threads')")).getRows();
  if (threads === '--version') {
    console.log(version + ' ' + require(api + '/package.json').version);
    return;
  }
  const sql = `COPY (
      SELECT c.campaign_id,
             time_bucket(INTERVAL 10 SECOND, epoch_ms(e.event_time)) AS window_start,
             count(*) AS views
      FROM read_json(${q(events)}, format = 'newline_delimited',
             columns = {user_id: 'VARCHAR', page_id: 'VARCHAR', ad_id: 'VARCHAR',
                        ad_type: 'VARCHAR', event_type: 'VARCHAR', event_time: 'BIGINT',
                        ip_address: 'VARCHAR'}) AS e
      JOIN read_csv(${q(campaigns)}, header = false,
             columns = {ad_id: 'VARCHAR', campaign_id: 'VARCHAR'}) AS c
        ON e.ad_id = c.ad_id
      WHERE e.event_type = 'view'
      GROUP BY c.campaign_id, window_start
    ) TO ${q(out)} (FORMAT csv, HEADER false)`;
  const t0 = process.hrtime.bigint();
  await con.run(sql);
  const t1 = process.hrtime.bigint();
  console.log(JSON.stringify({ version, threads: Number(nthreads), query_s: Number(t1 - t0) / 1e9 }));
})().catch((e) => { console.error('duckdb: ' + (e && e.message ? e.message : e)); process.exit(1); });
JS

duck_version=
duck_node_api=
if [ -n "$duck_api" ]; then
  if ! v=$(node "$work/duck.cjs" "$duck_api" --version 2>"$work/duck_version.err"); then
    cat "$work/duck_version.err" >&2
    die "DuckDB's node API at $duck_api does not load (see above; reinstall with --install-duckdb)"
  fi
  read -r duck_version duck_node_api <<<"$v"
  echo "== DuckDB $duck_version (node API $duck_node_api, $duck_api)"
  case "$duck_version" in
    v1.5.*) ;;
    *) echo "ysb_duckdb: note: DuckDB $duck_version, not the 1.5.x of issue #11's figures" >&2 ;;
  esac
else
  echo "== DuckDB skipped: $duck_skip"
fi

# ---- the data ---------------------------------------------------------------------------------
want_meta="generator=sluice gen ysb events=$events base-time=$base_time format=json"
if [ -f "$meta" ] && [ -f "$ev" ] && [ -f "$camp" ] &&
   [ "$(sed -n 1p "$meta")" = "$want_meta" ] &&
   [ "$(sed -n 2p "$meta")" = "bytes=$(stat -c %s "$ev") $(stat -c %s "$camp")" ]; then
  echo "== reusing $ev ($events events)"
else
  echo "== sluice gen ysb --events $events -> $ev"
  rm -f "$meta"
  "$sluice" gen ysb --events "$events" --base-time "$base_time" --out "$ev" --campaigns-out "$camp"
  printf '%s\nbytes=%s %s\n' "$want_meta" "$(stat -c %s "$ev")" "$(stat -c %s "$camp")" >"$meta"
fi
ev_bytes=$(stat -c %s "$ev")
campaigns=$(cut -d, -f2 "$camp" | sort -u | wc -l)
cat "$ev" "$camp" >/dev/null # into the page cache: every run reads warm

# ---- the sluice query (as tests/sql/ysb_fs.sql) ---------------------------------------------
cat >"$work/ysb.sql" <<'SQL'
CREATE TABLE ysb_events (
  user_id VARCHAR, page_id VARCHAR, ad_id VARCHAR, ad_type VARCHAR, event_type VARCHAR,
  event_time BIGINT, ip_address VARCHAR,
  ts AS TO_TIMESTAMP_LTZ(event_time, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${EVENTS}', 'format' = 'json');

CREATE TABLE campaigns (ad_id VARCHAR, campaign_id VARCHAR)
  WITH ('connector' = 'filesystem', 'path' = '${CAMPAIGNS}', 'format' = 'csv');

CREATE TABLE ysb_counts (campaign_id VARCHAR, window_start TIMESTAMP(3), `views` BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv');

INSERT INTO ysb_counts
SELECT c.campaign_id, window_start, COUNT(*) AS `views`
FROM TABLE(TUMBLE(TABLE ysb_events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) AS e
JOIN campaigns AS c ON e.ad_id = c.ad_id
WHERE e.event_type = 'view'
GROUP BY c.campaign_id, window_start, window_end;
SQL

# ---- the runs -------------------------------------------------------------------------------
runs=$work/runs.jsonl
ref=$work/reference.txt # the first run's result, which every run must equal
: >"$runs"

# run_one ENGINE THREADS REP: one measured process, its result checked against the first run's
run_one() {
  local engine=$1 t=$2 rep=$3 name rdir
  if [ "$engine" = sluice ]; then name=sluice-${t}w; else name=duckdb-${t}t; fi
  rdir=$work/run-$name-$rep
  mkdir -p "$rdir"
  if [ "$engine" = sluice ]; then
    helper run "$runs" "$ref" "$name" sluice "$t" "$rep" "$events" "$rdir" "$rdir/out" -- \
      "$sluice" run "$work/ysb.sql" --set "EVENTS=$ev" --set "CAMPAIGNS=$camp" \
      --set "OUT=$rdir/out" --workers "$t" ${sluice_extra[@]+"${sluice_extra[@]}"} || exit 1
  else
    helper run "$runs" "$ref" "$name" duckdb "$t" "$rep" "$events" "$rdir" "$rdir/out.csv" -- \
      node "$work/duck.cjs" "$duck_api" "$t" "$ev" "$camp" "$rdir/out.csv" || exit 1
  fi
  rm -rf "$rdir/out" "$rdir/out.csv"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $reps interleaved repetitions (load average $load_start)"
for rep in $(seq 1 "$reps"); do
  run_one sluice 1 "$rep"
  run_one sluice 2 "$rep"
  if [ -n "$duck_api" ]; then
    run_one duckdb 1 "$rep"
    run_one duckdb 2 "$rep"
  fi
done

if [ -n "$duck_api" ]; then
  results="identical in every run: $(wc -l <"$ref") (campaign, window, count) rows, sluice and DuckDB"
else
  results="identical in every run: $(wc -l <"$ref") (campaign, window, count) rows (sluice only)"
fi
python3 - "$work/ctx.json" "$load_start" "$events" "$ev" "$ev_bytes" "$camp" "$campaigns" \
  "$reps" "$sluice" "$("$sluice" --version | awk '{print $NF}')" "${SLUICE_RUN_ARGS:-}" \
  "$duck_version" "$duck_node_api" "$duck_skip" "$(wc -l <"$ref")" "$results" <<'PY'
import json, os, socket, sys, time
(out, load, events, ev, ev_bytes, camp, campaigns, reps, sluice, sluice_version, run_args,
 duck_version, duck_node_api, duck_skip, result_rows, results) = sys.argv[1:]
cpu = "unknown CPU"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
json.dump({
    "benchmark": "ysb-file-sluice-vs-duckdb", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    "host": socket.gethostname(), "cpu_model": cpu, "cpus": os.cpu_count(),
    "load_avg_start": load,
    "load_avg_end": " ".join(open("/proc/loadavg").read().split()[:3]),
    "events": int(events), "events_file": ev, "events_bytes": int(ev_bytes),
    "campaigns_file": camp, "campaigns": int(campaigns), "reps": int(reps),
    "sluice_bin": sluice, "sluice_version": sluice_version, "sluice_run_args": run_args,
    "duckdb_version": duck_version or None, "duckdb_node_api": duck_node_api or None,
    "duckdb_skipped": duck_skip or None,
    "results_agree": True, "result_rows": int(result_rows), "results": results,
}, open(out, "w"))
PY
helper report "$runs" "$work/ctx.json" ${json:+"$json"}
