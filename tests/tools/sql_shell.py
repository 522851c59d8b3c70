#!/usr/bin/env python3
"""tests/tools/sql_shell.py - drives `sluice sql` through a pseudo-terminal as a user does:
statements typed over several lines, a query's result, an error (the shell goes on), SHOW
TABLES and DESCRIBE in Flink's format, an unbounded query stopped by Ctrl-C, a background
INSERT listed by SHOW JOBS and stopped by STOP JOB, QUIT, and the history file. Exits 0 when
every step saw what it expected; prints the terminal's output on a failure."""
import os
import pty
import re
import atexit
import select
import shutil
import sys
import tempfile
import time

BIN = os.environ["SLUICE_BIN"]
home = tempfile.mkdtemp()
atexit.register(shutil.rmtree, home, True)
pid, fd = pty.fork()
if pid == 0:
    os.environ["HOME"] = home
    os.environ["TERM"] = "dumb"
    os.execv(BIN, [BIN, "sql", "--workers", "1"])

out = b""


def expect(pattern, timeout=30):
    """Reads until `pattern` (a regex over bytes) appears after the last match."""
    global out
    rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
    end = time.time() + timeout
    while True:
        m = rx.search(out)
        if m:
            matched = out[: m.end()]
            out = out[m.end():]
            return m, matched
        left = end - time.time()
        if left <= 0:
            sys.stdout.write("FAIL: waited for %r; the terminal shows:\n%s\n"
                             % (pattern, out.decode(errors="replace")))
            os.kill(pid, 9)
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                time.sleep(0.05)
            out += chunk


def send(text):
    os.write(fd, text.encode())


def ok(what):
    print("ok   " + what)


expect(r"sluice> ")
# a statement over three lines, the ';' on the last
send("CREATE TABLE g (id BIGINT, name STRING NOT NULL) WITH ('connector' = 'datagen',\r")
expect(r"> ")
send("  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3',\r")
send("  'fields.name.length' = '3');\r")
expect(r"\[INFO\] Execute statement succeed\.")
ok("CREATE TABLE over three lines")

send("SELECT id, name FROM g;\r")
_, seen = expect(r"Received a total of 3 rows")
for want in [rb"\| op \|\s+id \|\s+name \|", rb"\| \+I \|\s+1 \|\s+[0-9a-f]{3} \|",
             rb"\| \+I \|\s+3 \|"]:
    if not re.search(want, seen):
        sys.exit("FAIL: no %r in:\n%s" % (want, seen.decode(errors="replace")))
ok("SELECT prints the tableau")

send("SELECT nope FROM g;\r")
expect(r"\[ERROR\] Could not execute SQL statement\. Reason:")
expect(r"stdin:1:8: unknown column 'nope'")
expect(r"sluice> ")
ok("an error names line and column; the shell goes on")

send("SHOW TABLES;\r")
_, seen = expect(r"1 row in set")
if b"| table name |" not in seen or b"|          g |" not in seen:
    sys.exit("FAIL: SHOW TABLES:\n" + seen.decode(errors="replace"))
ok("SHOW TABLES")

send("DESCRIBE g;\r")
_, seen = expect(r"2 rows in set")
for want in [b"| name |   type |  null | key | extras | watermark |",
             b"|   id | BIGINT |  TRUE |     |        |           |",
             b"| name | STRING | FALSE |     |        |           |"]:
    if want not in seen:
        sys.exit("FAIL: DESCRIBE: no %r in:\n%s" % (want, seen.decode(errors="replace")))
ok("DESCRIBE in Flink's columns")

# an unbounded query, stopped by Ctrl-C: the prompt comes back
send("CREATE TABLE u (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = '4');\r")
expect(r"succeed\.")
send("SELECT a FROM u;\r")
expect(r"\| \+I \|")
send("\x03")
expect(r"Query terminated, received a total of \d+ rows?")
expect(r"sluice> ")
ok("Ctrl-C stops an unbounded SELECT")

send("CREATE TABLE sink_t (a INT) WITH ('connector' = 'blackhole');\r")
expect(r"succeed\.")
send("INSERT INTO sink_t SELECT a FROM u;\r")
m, _ = expect(r"Job ID: ([0-9a-f]{32})")
job = m.group(1).decode()
send("SHOW JOBS;\r")
_, seen = expect(r"1 row in set")
if not re.search((r"\| %s \| insert-into_default_catalog\.default_database\.sink_t \| RUNNING \|"
                  % job).encode(), seen):
    sys.exit("FAIL: SHOW JOBS:\n" + seen.decode(errors="replace"))
ok("INSERT runs in the background; SHOW JOBS lists it RUNNING")
send("STOP JOB '%s';\r" % job)
expect(r"\[INFO\] Execute statement succeed\.")
send("SHOW JOBS;\r")
_, seen = expect(r"1 row in set")
if not re.search((r"\| %s \| .* \| CANCELED \|" % job).encode(), seen):
    sys.exit("FAIL: SHOW JOBS after STOP JOB:\n" + seen.decode(errors="replace"))
ok("STOP JOB stops it: CANCELED")
send("STOP JOB 'nope';\r")
expect(r"No job with id 'nope'")

send("QUIT;\r")
expect(r"Shutting down the session\.\.\.")
_, status = os.waitpid(pid, 0)
if os.WEXITSTATUS(status) != 0:
    sys.exit("FAIL: exit status %d" % os.WEXITSTATUS(status))
hist = open(os.path.join(home, ".sluice_history")).read()
if "SELECT id, name FROM g;" not in hist:
    sys.exit("FAIL: history:\n" + hist)
ok("QUIT; the history is in ~/.sluice_history")
