#!/usr/bin/env python3
"""tools/test_costs.py - the CPU and wall time of each test of a build, for the suite's time
budget (docs/testing.md, "Time budget").

  tools/test_costs.py BUILD_DIR JOBS [ctest selection...]
  e.g. tools/test_costs.py build/asan 4 -LE 'source|netns'

Runs every test that `ctest --show-only=json-v1 SELECTION` lists (its command, working
directory and environment properties) under /usr/bin/time, JOBS at a time, and prints one
line per test, the costliest first: CPU seconds (user + sys of the test and the processes
it waited for), wall seconds, exit status, name; then the totals. Processes a test leaves
running in the background (the brokers' and ZooKeeper's JVMs that tools/kafka.sh starts)
are not in its figures. Set the environment tools/test.sh sets for that build first (e.g.
ASAN_OPTIONS, SLUICE_TEST_SMALL=1 for build/asan).
"""
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) > 1 else 2
    bd, jobs, sel = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    listing = json.loads(subprocess.check_output(["ctest", "--show-only=json-v1", *sel], cwd=bd))
    tests = []
    for t in listing["tests"]:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        if props.get("DISABLED") or "command" not in t:
            continue
        env = dict(os.environ)
        for kv in props.get("ENVIRONMENT", []):
            k, v = kv.split("=", 1)
            env[k] = v
        tests.append((t["name"], t["command"], props.get("WORKING_DIRECTORY", bd), env))
    tmp = tempfile.mkdtemp(prefix="sluice-test-costs-")

    def run(t):
        name, cmd, wd, env = t
        out = os.path.join(tmp, name.replace("/", "_") + ".time")
        t0 = time.time()
        p = subprocess.run(["/usr/bin/time", "-o", out, "-f", "%U %S %e", *cmd], cwd=wd, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            u, s, e = open(out).read().split()[-3:]
            return name, p.returncode, float(u) + float(s), float(e)
        except (OSError, ValueError):
            return name, p.returncode, 0.0, time.time() - t0

    t0 = time.time()
    with cf.ThreadPoolExecutor(jobs) as ex:
        res = list(ex.map(run, tests))
    res.sort(key=lambda r: -r[2])
    for name, rc, cpu, wall in res:
        print(f"{cpu:8.1f} {wall:8.1f} rc={rc:<4} {name}")
    print(f"total: {sum(r[2] for r in res):.1f} CPU s, {time.time() - t0:.0f} s wall, {len(res)} tests, "
          f"{sum(1 for r in res if r[1] != 0)} failed")
    subprocess.run(["rm", "-rf", tmp])
    return 1 if any(r[1] != 0 for r in res) else 0


if __name__ == "__main__":
    sys.exit(main())
