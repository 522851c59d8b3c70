/*
 * tests/coord/test_livecfg.c - live configuration through a real ZooKeeper server
 * (tests/util/zkserver.h): `sluice config`, `sluice status`, the member nodes, and a running
 * `sluice run --zk` (a child process) whose checkpoint interval and rate limit change while
 * it runs (engine/exec/livecfg.h, docs/cluster.md).
 *
 *   - config set / get / list / unset round trip; refusals (unknown key, bad values) exit 2
 *     and write nothing;
 *   - a member node is ephemeral: gone when its session is ended from the server side;
 *   - a job reading a datagen table at 'scan.rate-limit' = '200' with a checkpoint
 *     interval of 1 h: no epoch is committed while the interval stands; the rows read by
 *     any time t never exceed the token bucket's exact bound 200 * (t - t0) (t0 taken
 *     before the process starts, so before its bucket); `config set` of the interval to
 *     100 ms shows in the log with the settings version `config set` reported, and epochs
 *     start to be committed (read from ZooKeeper); the rate raised to 1000 records/s the
 *     same way, and the bound then is 200 * (tS - t0) + 20 + 1000 * (t - tS) (tS: before
 *     the set; 20 the new bucket's capacity); `status --json` parsed (one member, leader,
 *     its pid, the settings in force, the last epoch); a second process of the job shows as
 *     a standby member; SIGTERM to the leader: it exits 0, the standby becomes the leader
 *     (its member node says so) with the node's settings applied at its start; SIGTERM
 *     to it: exit 0, no member left.
 * No timing thresholds: every wait is for an event, with a generous limit.
 * Skipped (with a message) when Java or the zookeeper package is missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/util/testutil.h"

#include "coord/jobconf.h"
#include "coord/zk.h"
#include "engine/exec/livecfg.h"
#include "io/kafka_mock.h"
#include "tests/util/jsoncheck.h"
#include "tests/util/proctest.h"

static struct sl_pt g_pt;

static char g_out[16384], g_err[16384];

#define CFG(...)                                  \
    sl_pt_run(&g_pt, g_out, g_err, sizeof(g_out), \
              (const char *const[]){"config", "--zk", g_pt.addr, "--job", __VA_ARGS__, NULL})

static void test_config_cli(void **state)
{
    (void)state;
    assert_int_equal(CFG("cli", "list"), 0);
    assert_string_equal(g_out, "");
    assert_int_equal(CFG("cli", "set", "execution.checkpointing.interval", "2 s"), 0);
    assert_non_null(strstr(g_err, "settings version 0"));
    assert_non_null(strstr(g_err, "running processes apply it now"));
    assert_int_equal(CFG("cli", "get", "execution.checkpointing.interval"), 0);
    assert_string_equal(g_out, "2 s\n");
    assert_int_equal(CFG("cli", "set", "sluice.source.bids.scan.rate-limit", "5000"), 0);
    assert_non_null(strstr(g_err, "settings version 1"));
    assert_int_equal(CFG("cli", "set", "table.exec.source.idle-timeout", "5 s"), 0);
    assert_non_null(strstr(g_err, "running processes apply it now"));
    assert_int_equal(CFG("cli", "list"), 0);
    assert_string_equal(g_out, "execution.checkpointing.interval=2 s\n"
                               "sluice.source.bids.scan.rate-limit=5000\n"
                               "table.exec.source.idle-timeout=5 s\n");
    /* refusals: nothing written */
    assert_int_equal(CFG("cli", "set", "execution.checkpointing.intreval", "1 s"), 2);
    assert_non_null(strstr(g_err, "'execution.checkpointing.intreval' is not a setting"));
    assert_int_equal(CFG("cli", "set", "execution.checkpointing.interval", "soon"), 2);
    assert_non_null(strstr(g_err, "not a positive duration"));
    assert_int_equal(CFG("cli", "set", "execution.checkpointing.interval", "0"), 2);
    assert_int_equal(CFG("cli", "set", "sluice.source.bids.scan.rate-limit", "-5"), 2);
    assert_non_null(strstr(g_err, "records per second"));
    assert_int_equal(CFG("cli", "set", "sluice.source.bids.scan.rate-limit", "2000000000"), 2);
    assert_int_equal(CFG("cli", "set", "sluice.source.b/x.scan.rate-limit", "5"), 2);
    assert_int_equal(CFG("cli", "set", "state.checkpoints.num-retained", "0"), 2);
    assert_int_equal(CFG("cli", "set", "table.optimizer.distinct-agg.split.enabled", "yes"), 2);
    assert_int_equal(CFG("cli", "set", "sluice.udf.path", "a\nb"), 2);
    assert_int_equal(CFG("cli", "set", "sluice.source.bids.scan.rate-limit"), 2);
    assert_int_equal(CFG("cli", "frobnicate"), 2);
    assert_int_equal(CFG("bad/job", "list"), 2);
    assert_int_equal(CFG("cli", "list"), 0);
    assert_non_null(strstr(g_out, "rate-limit=5000\n"));
    assert_null(strstr(g_out, "intreval"));
    /* the same value again writes nothing; unset; get of a missing key exits 3 */
    assert_int_equal(CFG("cli", "set", "sluice.source.bids.scan.rate-limit", "5000"), 0);
    assert_non_null(strstr(g_err, "already so (settings version 2)"));
    assert_int_equal(CFG("cli", "unset", "table.exec.source.idle-timeout"), 0);
    assert_non_null(strstr(g_err, "settings version 3"));
    assert_int_equal(CFG("cli", "get", "table.exec.source.idle-timeout"), 3);
    assert_int_equal(CFG("cli", "unset", "nonsense.key"), 2);
    /* the node as ZooKeeper holds it */
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *zk;
    assert_int_equal(sl_zk_open(g_pt.addr, 4000, 10000, &zk, &err), 0);
    struct sl_jobconf c;
    assert_int_equal(sl_jobconf_read(zk, "cli", false, &c, &err), 0);
    assert_true(c.exists);
    assert_int_equal(c.version, 3);
    assert_int_equal((int)c.n, 2);
    assert_string_equal(sl_jobconf_get(&c, "execution.checkpointing.interval"), "2 s");
    sl_jobconf_free(&c);
    sl_zk_close(zk);
    /* a value that is no valid UTF-8 is kept as bytes; status --json stays valid JSON */
    assert_int_equal(CFG("utf", "set", "sluice.udf.path", "\xff\xfe/x\xc3\xa9"), 0);
    assert_int_equal(sl_pt_run(&g_pt, g_out, g_err, sizeof(g_out),
                               (const char *const[]){"status", "--zk", g_pt.addr, "--job", "utf",
                                                     "--json", NULL}),
                     0);
    struct sl_json_doc *doc = malloc(sizeof(*doc));
    assert_non_null(doc);
    assert_int_equal(sl_json_parse(g_out, strlen(g_out), doc), 0);
    assert_non_null(strstr(g_out, "\"sluice.udf.path\":\"\\ufffd\\ufffd/x\xc3\xa9\""));
    free(doc);
    char big[4000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(CFG("utf", "set", "sluice.udf.path", big), 2);
    assert_non_null(strstr(g_err, "at most 1023"));
    /* the sinks' keys: the rolling policy live, the Kafka producer's batching at start; the
     * log level */
    assert_int_equal(CFG("sk", "set", "sluice.sink.out.properties.linger.ms", "5"), 0);
    assert_non_null(strstr(g_err, "need a restart"));
    assert_int_equal(CFG("sk", "set", "sluice.sink.out.sink.rolling-policy.file-size", "64 kb"), 0);
    assert_non_null(strstr(g_err, "apply it now"));
    assert_int_equal(CFG("sk", "set", "sluice.sink.out.sink.rolling-policy.file-size", "huge"), 2);
    assert_non_null(strstr(g_err, "not a size"));
    assert_int_equal(CFG("sk", "set", "sluice.sink.out.sink.rolling-policy.check-interval", "1 s"),
                     2);
    assert_int_equal(CFG("sk", "set", "sluice.sink.o-t.sink.rolling-policy.file-size", "1"), 2);
    assert_int_equal(CFG("sk", "set", "sluice.log.level", "debug"), 0);
    assert_non_null(strstr(g_err, "apply it now"));
    assert_int_equal(CFG("sk", "set", "sluice.log.level", "chatty"), 2);
    assert_non_null(strstr(g_err, "'ERROR', 'WARN', 'INFO' or 'DEBUG'"));
    /* keys lists the live ones */
    assert_int_equal(sl_pt_run(&g_pt, g_out, g_err, sizeof(g_out),
                               (const char *const[]){"config", "keys", NULL}),
                     0);
    assert_non_null(strstr(g_out, "execution.checkpointing.interval"));
    assert_non_null(strstr(g_out, "sluice.source.<table>.scan.rate-limit"));
    assert_non_null(strstr(g_out, "sluice.sink.<table>.sink.rolling-policy.rollover-interval"));
    assert_non_null(strstr(g_out, "sluice.log.level"));
}

/* A member node goes with its session: ended from the server side, as a crashed process's
 * expires. */
static void test_member_expiry(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *a, *b;
    assert_int_equal(sl_zk_open(g_pt.addr, 2000, 10000, &a, &err), 0);
    assert_int_equal(sl_zk_open(g_pt.addr, 4000, 10000, &b, &err), 0);
    struct sl_member m = {.pid = 4242, .cores = 2, .workers = 2, .started_ms = 1};
    snprintf(m.host, sizeof(m.host), "host.one");
    snprintf(m.role, sizeof(m.role), "standby");
    assert_int_equal(sl_member_join(a, "mem", &m, &err), 0);
    assert_string_equal(m.name, "m-host.one-4242");
    struct sl_member *ms;
    size_t n;
    assert_int_equal(sl_member_list(b, "mem", &ms, &n, &err), 0);
    assert_int_equal((int)n, 1);
    assert_string_equal(ms[0].role, "standby");
    assert_int_equal((int)ms[0].pid, 4242);
    assert_true(ms[0].session == sl_zk_session_id(a));
    free(ms);
    snprintf(m.role, sizeof(m.role), "leader");
    assert_int_equal(sl_member_update(a, "mem", &m, &err), 0);
    assert_int_equal(sl_member_list(b, "mem", &ms, &n, &err), 0);
    assert_string_equal(ms[0].role, "leader");
    free(ms);
    assert_int_equal(sl_zk_kill_session(g_pt.addr, a, 10000, &err), 0);
    bool gone = false;
    for (int i = 0; i < 300 && !gone; i++) {
        assert_int_equal(sl_member_list(b, "mem", &ms, &n, &err), 0);
        free(ms);
        gone = n == 0;
        if (!gone)
            sl_pt_sleep_ms(100);
    }
    assert_true(gone);
    sl_zk_close(a);
    sl_zk_close(b);
}

/* ---- the running job --------------------------------------------------------------------- */

/* GET url ("http://A:P/path"): the body into buf[cap]; 0 or -1. */
static int http_get(const char *url, char *buf, size_t cap)
{
    char host[64];
    int port;
    char path[128];
    if (sscanf(url, "http://%63[^:]:%d%127s", host, &port, path) != 3)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    char req[256];
    int k = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
    if (write(fd, req, (size_t)k) != k) {
        close(fd);
        return -1;
    }
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fd);
    return 0;
}

/* The sum of sluice_source_records_total{table="gen"} over the workers, or -1. */
static long long rows_in(const char *url)
{
    static char body[1 << 17];
    if (http_get(url, body, sizeof(body)))
        return -1;
    long long sum = 0;
    for (char *p = body; (p = strstr(p, "\nsluice_source_records_total{")) != NULL; p++) {
        char *nl = strchr(p + 1, '\n');
        char *tb = strstr(p, "table=\"gen\"");
        if (!tb || (nl && tb > nl))
            continue;
        char *sp = strchr(p + 1, '}');
        if (sp)
            sum += strtoll(sp + 1, NULL, 10);
    }
    return sum;
}

static int status_json(const char *job, struct sl_json_doc *doc)
{
    int rc =
        sl_pt_run(&g_pt, g_out, g_err, sizeof(g_out),
                  (const char *const[]){"status", "--zk", g_pt.addr, "--job", job, "--json", NULL});
    if (rc)
        return rc;
    return sl_json_parse(g_out, strlen(g_out), doc);
}

/* The version `config set` reported. */
static int set_version(void)
{
    const char *v = strstr(g_err, "settings version ");
    return v ? atoi(v + 17) : -1;
}

static void test_live_run(void **state)
{
    (void)state;
    char sql[300], log[300], sdir[300];
    snprintf(sql, sizeof(sql), "%s/live.sql", g_pt.tmp);
    snprintf(log, sizeof(log), "%s/live.log", g_pt.tmp);
    snprintf(sdir, sizeof(sdir), "%s/state", g_pt.tmp);
    FILE *f = fopen(sql, "w");
    assert_non_null(f);
    fputs("SET 'execution.checkpointing.interval' = '1 h';\n"
          "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen',\n"
          "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
          "  'fields.id.end' = '100000000', 'scan.rate-limit' = '200');\n"
          "CREATE TABLE sink (id BIGINT) WITH ('connector' = 'blackhole');\n"
          "INSERT INTO sink SELECT id FROM gen;\n",
          f);
    fclose(f);
    const char *argv[] = {g_pt.bin,         "run",         sql,  "--zk",      g_pt.addr, "--job",
                          "live",           "--state-dir", sdir, "--workers", "2",       "--no-pin",
                          "--metrics-port", "0",           NULL};
    double t0 = sl_pt_now();
    pid_t pid = sl_pt_spawn(argv, log);
    /* the member, as leader, with its metrics address */
    struct sl_json_doc *doc = malloc(sizeof(*doc));
    assert_non_null(doc);
    bool leader = false;
    for (int i = 0; i < 600 && !leader; i++) {
        const struct sl_json_entry *r;
        leader = status_json("live", doc) == 0 && (r = sl_json_get(doc, "members[0].role")) &&
                 !strcmp(r->value, "leader") && sl_json_get(doc, "members[0].metrics")->len;
        if (!leader)
            sl_pt_sleep_ms(100);
    }
    if (!leader)
        fprintf(stderr, "--- log ---\n%s\n", sl_pt_read_all(log));
    assert_true(leader);
    assert_null(sl_json_get(doc, "members[1]"));
    char pidtext[32];
    snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
    assert_string_equal(sl_json_get(doc, "members[0].pid")->value, pidtext);
    assert_string_equal(sl_json_get(doc, "members[0].workers")->value, "2");
    assert_string_equal(sl_json_get(doc, "last_committed_epoch")->value, "0");
    char url[128];
    snprintf(url, sizeof(url), "%.120s", sl_json_get(doc, "members[0].metrics")->value);

    /* rate 200/s from a bucket made after t0: at most 200 * (t - t0) rows by t */
    long long r1 = rows_in(url);
    double t1 = sl_pt_now();
    assert_true(r1 >= 0);
    assert_true((double)r1 <= 200.0 * (t1 - t0));

    /* the checkpoint interval: 1 h, then 100 ms while it runs */
    assert_int_equal(CFG("live", "set", "execution.checkpointing.interval", "100 ms"), 0);
    char needle[256];
    snprintf(needle, sizeof(needle),
             "applied execution.checkpointing.interval = '100 ms' (100 ms; settings version %d,",
             set_version());
    assert_true(sl_pt_wait_log(log, needle, 60000));
    bool epochs = false;
    for (int i = 0; i < 600 && !epochs; i++) {
        epochs = status_json("live", doc) == 0 &&
                 atoi(sl_json_get(doc, "last_committed_epoch")->value) >= 3;
        if (!epochs)
            sl_pt_sleep_ms(100);
    }
    assert_true(epochs);

    /* the rate: 1000/s from some moment after tS */
    double ts = sl_pt_now();
    assert_int_equal(CFG("live", "set", "sluice.source.gen.scan.rate-limit", "1000"), 0);
    snprintf(needle, sizeof(needle),
             "applied sluice.source.gen.scan.rate-limit = '1000' (1000 records/s; settings "
             "version %d,",
             set_version());
    assert_true(sl_pt_wait_log(log, needle, 60000));
    static char body[1 << 17];
    assert_int_equal(http_get(url, body, sizeof(body)), 0);
    assert_non_null(strstr(body, "sluice_source_rate_limit_records_per_second{job=\"live\","
                                 "table=\"gen\"} 1000\n"));
    for (int k = 0; k < 3; k++) {
        sl_pt_sleep_ms(300);
        long long r = rows_in(url);
        double t = sl_pt_now();
        assert_true(r >= r1);
        assert_true((double)r <= 200.0 * (ts - t0) + 20 + 1000.0 * (t - ts));
    }
    /* a key that needs a restart is said so, and not applied */
    assert_int_equal(CFG("live", "set", "state.checkpoints.num-retained", "5"), 0);
    snprintf(needle, sizeof(needle),
             "state.checkpoints.num-retained = '5' needs a restart: not applied to the running "
             "job (settings version %d,",
             set_version());
    assert_true(sl_pt_wait_log(log, needle, 60000));

    assert_int_equal(status_json("live", doc), 0);
    assert_non_null(strstr(g_out, "\"execution.checkpointing.interval\":\"100 ms\""));
    assert_string_equal(sl_json_get(doc, "settings_version")->value, "2");
    assert_string_equal(sl_json_get(doc, "members[0].role")->value, "leader");
    assert_true(atoi(sl_json_get(doc, "last_committed_epoch")->value) >= 3);
    assert_true(strstr(g_out, "\"sluice.source.gen.scan.rate-limit\":\"1000\"") != NULL);

    /* a second process of the job: a standby member; SIGTERM to the leader: the standby
     * takes over (its member node says leader), with the node's settings from its start */
    char log2[300];
    snprintf(log2, sizeof(log2), "%s/live2.log", g_pt.tmp);
    pid_t pid2 = sl_pt_spawn(argv, log2);
    bool two = false;
    for (int i = 0; i < 600 && !two; i++) {
        two = status_json("live", doc) == 0 && sl_json_get(doc, "members[1].role") &&
              (!strcmp(sl_json_get(doc, "members[0].role")->value, "standby") ||
               !strcmp(sl_json_get(doc, "members[1].role")->value, "standby"));
        if (!two)
            sl_pt_sleep_ms(100);
    }
    assert_true(two);
    char pid2text[32];
    snprintf(pid2text, sizeof(pid2text), "%d", (int)pid2);
    for (int k = 0; k < 2; k++) {
        char path[32];
        snprintf(path, sizeof(path), "members[%d].pid", k);
        bool is2 = !strcmp(sl_json_get(doc, path)->value, pid2text);
        snprintf(path, sizeof(path), "members[%d].role", k);
        assert_string_equal(sl_json_get(doc, path)->value, is2 ? "standby" : "leader");
    }
    assert_int_equal(sl_pt_signal_wait(pid, SIGTERM, 60000, log), 0);
    bool took = false;
    for (int i = 0; i < 600 && !took; i++) {
        const struct sl_json_entry *r;
        took = status_json("live", doc) == 0 && !sl_json_get(doc, "members[1]") &&
               (r = sl_json_get(doc, "members[0].role")) && !strcmp(r->value, "leader") &&
               !strcmp(sl_json_get(doc, "members[0].pid")->value, pid2text);
        if (!took)
            sl_pt_sleep_ms(100);
    }
    assert_true(took);
    assert_true(sl_pt_wait_log(log2,
                               "from ZooKeeper at start: sluice.source.gen.scan.rate-limit = "
                               "'1000'",
                               60000));
    assert_int_equal(sl_pt_signal_wait(pid2, SIGTERM, 60000, log2), 0);
    assert_int_equal(status_json("live", doc), 0);
    assert_null(sl_json_get(doc, "members[0]"));
    assert_int_equal(
        sl_pt_run(&g_pt, g_out, g_err, sizeof(g_out),
                  (const char *const[]){"status", "--zk", g_pt.addr, "--job", "live", NULL}),
        0);
    assert_non_null(strstr(g_out, "job live: 0 members"));
    assert_non_null(strstr(g_out, "sluice.source.gen.scan.rate-limit = 1000  (live)"));
    free(doc);
}

/* Files of `dir` whose name starts with `prefix` and contains `part`. */
static int count_files(const char *dir, const char *prefix, const char *part)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "ls -a %s 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), p))
        n += strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, part) != NULL;
    pclose(p);
    return n;
}

/* Occurrences of `needle` in the job's log from byte `from` on. */
static int count_log(const char *log, const char *needle, size_t from)
{
    const char *all = sl_pt_read_all(log);
    if (strlen(all) < from)
        return 0;
    int n = 0;
    for (const char *p = all + from; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static int last_epoch(struct sl_json_doc *doc, const char *job)
{
    int rc = status_json(job, doc);
    if (rc)
        fprintf(stderr, "status: %d: %s%s\n", rc, g_out, g_err);
    return rc == 0 ? atoi(sl_json_get(doc, "last_committed_epoch")->value) : -1;
}

/* The log level, a filesystem sink's rolling policy and a key that needs a restart, live:
 * observable in the log (DEBUG lines come and go) and in the sink's folder (part files
 * rolled by the new interval), without a restart. */
static void test_live_log_and_sink(void **state)
{
    (void)state;
    char sql[300], log[300], sdir[300], out[300];
    snprintf(sql, sizeof(sql), "%s/more.sql", g_pt.tmp);
    snprintf(log, sizeof(log), "%s/more.log", g_pt.tmp);
    snprintf(sdir, sizeof(sdir), "%s/state-more", g_pt.tmp);
    snprintf(out, sizeof(out), "%s/out-more", g_pt.tmp);
    FILE *f = fopen(sql, "w");
    assert_non_null(f);
    fprintf(f,
            "SET 'execution.checkpointing.interval' = '1 h';\n"
            "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen',\n"
            "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
            "  'fields.id.end' = '100000000', 'scan.rate-limit' = '200');\n"
            "CREATE TABLE out_t (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s',\n"
            "  'format' = 'csv');\n"
            "INSERT INTO out_t SELECT id FROM gen;\n",
            out);
    fclose(f);
    const char *argv[] = {g_pt.bin,      "run", sql,         "--zk", g_pt.addr,  "--job", "more",
                          "--state-dir", sdir,  "--workers", "1",    "--no-pin", NULL};
    pid_t pid = sl_pt_spawn(argv, log);
    struct sl_json_doc *doc = malloc(sizeof(*doc));
    assert_non_null(doc);
    bool leader = false;
    for (int i = 0; i < 600 && !leader; i++) {
        const struct sl_json_entry *r;
        leader = status_json("more", doc) == 0 && (r = sl_json_get(doc, "members[0].role")) &&
                 !strcmp(r->value, "leader");
        if (!leader)
            sl_pt_sleep_ms(100);
    }
    assert_true(leader);
    /* rows are being written: one in-progress file, nothing rolled (30 min) nor committed */
    bool writing = false;
    for (int i = 0; i < 600 && !writing; i++) {
        writing = count_files(out, ".part-", ".inprogress") == 1;
        if (!writing)
            sl_pt_sleep_ms(100);
    }
    assert_true(writing);
    sl_pt_sleep_ms(300);
    assert_int_equal(count_files(out, ".part-", ".pending"), 0);
    assert_int_equal(count_files(out, "part-", ".csv"), 0);

    /* the rolling policy: a part file at most 100 ms old - rolled files pile up (pending:
     * no epoch commits them while the interval is 1 h) */
    assert_int_equal(
        CFG("more", "set", "sluice.sink.out_t.sink.rolling-policy.rollover-interval", "100 ms"), 0);
    char needle[300];
    snprintf(needle, sizeof(needle),
             "applied sluice.sink.out_t.sink.rolling-policy.rollover-interval = '100 ms' (the "
             "sink of table 'out_t'; settings version %d,",
             set_version());
    assert_true(sl_pt_wait_log(log, needle, 60000));
    bool rolled = false;
    for (int i = 0; i < 600 && !rolled; i++) {
        rolled = count_files(out, ".part-", ".pending") >= 3;
        if (!rolled)
            sl_pt_sleep_ms(100);
    }
    assert_true(rolled);
    assert_int_equal(last_epoch(doc, "more"), 0);
    /* back to the table's 30 min: the rolls stop */
    assert_int_equal(
        CFG("more", "unset", "sluice.sink.out_t.sink.rolling-policy.rollover-interval"), 0);
    assert_true(sl_pt_wait_log(log,
                               "applied sluice.sink.out_t.sink.rolling-policy.rollover-interval = "
                               "'(removed)'",
                               60000));
    sl_pt_sleep_ms(200);
    int pend = count_files(out, ".part-", ".pending");
    sl_pt_sleep_ms(600);
    assert_int_equal(count_files(out, ".part-", ".pending"), pend);

    /* the log level: DEBUG shows each committed epoch */
    assert_int_equal(CFG("more", "set", "sluice.log.level", "DEBUG"), 0);
    assert_true(
        sl_pt_wait_log(log, "applied sluice.log.level = 'DEBUG' (DEBUG; settings version", 60000));
    assert_int_equal(CFG("more", "set", "execution.checkpointing.interval", "100 ms"), 0);
    assert_true(sl_pt_wait_log(log, "sluice: epoch 3 committed in ", 60000));
    /* the pending files of the rolls are visible once their epoch commits */
    assert_true(count_files(out, "part-", ".csv") >= 3);
    /* WARN: no more epoch lines, while epochs go on; an applied change (INFO) is not
     * written either */
    assert_int_equal(CFG("more", "set", "sluice.log.level", "warn"), 0);
    assert_true(
        sl_pt_wait_log(log, "applied sluice.log.level = 'warn' (WARN; settings version", 60000));
    size_t mark = strlen(sl_pt_read_all(log));
    int e0 = last_epoch(doc, "more");
    assert_true(e0 >= 3);
    assert_int_equal(CFG("more", "set", "execution.checkpointing.interval", "50 ms"), 0);
    bool later = false;
    for (int i = 0; i < 600 && !later; i++) {
        later = last_epoch(doc, "more") >= e0 + 5;
        if (!later)
            sl_pt_sleep_ms(100);
    }
    assert_true(later);
    /* a key that needs a restart still warns */
    assert_int_equal(CFG("more", "set", "sluice.sink.out_t.properties.linger.ms", "5"), 0);
    snprintf(needle, sizeof(needle),
             "sluice.sink.out_t.properties.linger.ms = '5' needs a restart: not applied to the "
             "running job (settings version %d,",
             set_version());
    assert_true(sl_pt_wait_log(log, needle, 60000));
    assert_int_equal(count_log(log, " committed in ", mark), 0);
    assert_int_equal(count_log(log, "applied execution.checkpointing.interval", mark), 0);
    /* back to INFO (the SQL sets none): applied changes are written again */
    assert_int_equal(CFG("more", "unset", "sluice.log.level"), 0);
    assert_true(sl_pt_wait_log(log, "applied sluice.log.level = '(removed)' (INFO;", 60000));
    assert_int_equal(CFG("more", "set", "execution.checkpointing.interval", "200 ms"), 0);
    assert_true(sl_pt_wait_log(log, "applied execution.checkpointing.interval = '200 ms'", 60000));
    assert_int_equal(sl_pt_signal_wait(pid, SIGTERM, 60000, log), 0);
    free(doc);
}

/* The source idle timeout, live: a Kafka table of two partitions (a broker of the test's
 * own, librdkafka's mock cluster) whose rows all go to partition 0 ('fixed' partitioner,
 * one worker); its watermark is held back by the empty partition 1, so no tumbling window
 * fires - until 'table.exec.source.idle-timeout' is set while the job runs: partition 1
 * turns idle and the windows' rows are printed. */
static void test_live_idle_timeout(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_kafka_mock *mock;
    assert_int_equal(sl_kafka_mock_new(NULL, &mock, &err), 0);
    assert_int_equal(sl_kafka_mock_topic_create(mock, "idle", 2, &err), 0);
    char sql[300], log[300], sdir[300];
    snprintf(sql, sizeof(sql), "%s/idle.sql", g_pt.tmp);
    snprintf(log, sizeof(log), "%s/idle.log", g_pt.tmp);
    snprintf(sdir, sizeof(sdir), "%s/state-idle", g_pt.tmp);
    FILE *f = fopen(sql, "w");
    assert_non_null(f);
    fprintf(f,
            "SET 'execution.checkpointing.interval' = '1 h';\n"
            "SET 'sluice.sink.k.properties.linger.ms' = '5';\n"
            "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen',\n"
            "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1',\n"
            "  'fields.id.end' = '100000000', 'scan.rate-limit' = '100');\n"
            "CREATE TABLE k (id BIGINT, ts AS TO_TIMESTAMP_LTZ(id * 100, 3),\n"
            "  WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka', 'topic' = 'idle',\n"
            "  'properties.bootstrap.servers' = '%s', 'format' = 'json',\n"
            "  'sink.partitioner' = 'fixed', 'scan.startup.mode' = 'earliest-offset',\n"
            "  'properties.log_level' = '0');\n"
            "CREATE TABLE p (ws TIMESTAMP_LTZ(3), n BIGINT) WITH ('connector' = 'print');\n"
            "INSERT INTO k SELECT id FROM gen;\n"
            "INSERT INTO p SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE k,\n"
            "  DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;\n",
            sl_kafka_mock_bootstrap(mock));
    fclose(f);
    const char *argv[] = {g_pt.bin,      "run", sql,         "--zk", g_pt.addr,  "--job", "idle",
                          "--state-dir", sdir,  "--workers", "1",    "--no-pin", NULL};
    pid_t pid = sl_pt_spawn(argv, log);
    struct sl_json_doc *doc = malloc(sizeof(*doc));
    assert_non_null(doc);
    bool leader = false;
    for (int i = 0; i < 600 && !leader; i++) {
        const struct sl_json_entry *r;
        leader = status_json("idle", doc) == 0 && (r = sl_json_get(doc, "members[0].role")) &&
                 !strcmp(r->value, "leader");
        if (!leader)
            sl_pt_sleep_ms(100);
    }
    assert_true(leader);
    /* 2 s at 100 rows/s: some 20 windows' worth of rows, none fired */
    sl_pt_sleep_ms(2000);
    assert_null(strstr(sl_pt_read_all(log), "+I["));
    assert_int_equal(CFG("idle", "set", "table.exec.source.idle-timeout", "300 ms"), 0);
    char needle[300];
    snprintf(needle, sizeof(needle),
             "applied table.exec.source.idle-timeout = '300 ms' (300 ms; settings version %d,",
             set_version());
    assert_true(sl_pt_wait_log(log, needle, 60000));
    /* the windows fire: [0 s, 1 s) holds ids 1..9, [1 s, 2 s) ids 10..19 */
    assert_true(sl_pt_wait_log(log, "+I[1970-01-01T00:00:01Z, 10]", 60000));
    assert_non_null(strstr(sl_pt_read_all(log), "+I[1970-01-01T00:00:00Z, 9]"));
    assert_int_equal(sl_pt_signal_wait(pid, SIGTERM, 60000, log), 0);
    free(doc);
    sl_kafka_mock_free(mock);
}

/* The token bucket in isolation, at chosen times: exact accrual (no rounding lost), the
 * capacity, debt, and a rate change. */
static void test_rate_bucket(void **state)
{
    (void)state;
    struct sl_rate r;
    sl_rate_init(&r, 3); /* 3 records/s: capacity 1 */
    int64_t t0 = r.last_ns, wake = 0;
    assert_int_equal(sl_rate_take(&r, 100, t0, &wake), 0); /* starts empty */
    assert_true(wake > t0);
    /* one record per 1/3 s, exactly: 3 * 333333333 ns is one nanosecond short */
    assert_int_equal(sl_rate_take(&r, 100, t0 + 333333333, &wake), 0);
    assert_int_equal(sl_rate_take(&r, 100, t0 + 333333334, &wake), 1);
    /* 3 s idle fill the bucket only to its capacity (2 chunks of 1) */
    assert_int_equal(sl_rate_take(&r, 100, t0 + 3333333334LL, &wake), 2);
    assert_int_equal(sl_rate_take(&r, 100, t0 + 3333333334LL, &wake), 0);
    /* over 100 s of takes every 10 ms: exactly 300 records, not one more */
    uint64_t got = 0;
    int64_t t = t0 + 3333333334LL;
    for (int i = 1; i <= 10000; i++)
        got += sl_rate_take(&r, 100, t + (int64_t)i * 10000000, &wake);
    assert_int_equal((int)got, 300);
    /* a source that returned more rows than it was given tokens for owes them */
    sl_rate_set(&r, 200); /* chunks of 2, capacity 4 (also at a batch capacity of 2) */
    t += 10000LL * 10000000 + 1000000000;
    assert_int_equal(sl_rate_take(&r, 100, t, &wake), 4);
    sl_rate_settle(&r, 4, 24);                                        /* 20 owed */
    assert_int_equal(sl_rate_take(&r, 100, t + 100000000, &wake), 0); /* 100 ms: paid off */
    assert_int_equal(sl_rate_take(&r, 100, t + 115000000, &wake), 3);
    /* fewer rows than tokens: the rest goes back */
    assert_int_equal(sl_rate_take(&r, 100, t + 135000000, &wake), 4);
    sl_rate_settle(&r, 4, 1);
    assert_int_equal(sl_rate_take(&r, 100, t + 135000000, &wake), 3);
    /* no limit: everything asked for */
    sl_rate_set(&r, 0);
    assert_int_equal(sl_rate_take(&r, 100, t + 135000000, &wake), 100);
    sl_rate_destroy(&r);
}

/* SQL refusals of the same checks: a bad SET, a bad 'scan.rate-limit'. */
static void test_sql_refusals(void **state)
{
    (void)state;
    char sql[300];
    snprintf(sql, sizeof(sql), "%s/bad.sql", g_pt.tmp);
    const char *cases[][2] = {
        {"SET 'execution.checkpointing.interval' = 'often';\n",
         "bad.sql:1:1: SET "
         "'execution.checkpointing.interval' = "
         "'often': not a positive duration"},
        {"SET 'x' = 'y';\nCREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', "
         "'number-of-rows' = '5', 'scan.rate-limit' = 'fast');\n",
         "option 'scan.rate-limit' = 'fast': not records per second"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f = fopen(sql, "w");
        assert_non_null(f);
        fprintf(f, "%sCREATE TABLE IF NOT EXISTS s (id BIGINT) WITH ('connector' = 'blackhole');\n",
                cases[i][0]);
        if (i == 0)
            fputs("CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = "
                  "'5');\n",
                  f);
        fputs("INSERT INTO s SELECT id FROM gen;\n", f);
        fclose(f);
        int rc =
            sl_pt_run(&g_pt, g_out, g_err, sizeof(g_out), (const char *const[]){"run", sql, NULL});
        if (!strstr(g_err, cases[i][1]))
            fprintf(stderr, "case %zu: %s\n", i, g_err);
        assert_int_not_equal(rc, 0);
        assert_non_null(strstr(g_err, cases[i][1]));
    }
}

static int setup(void **state)
{
    (void)state;
    return sl_pt_setup(&g_pt, "livecfg", "lc");
}

static int teardown(void **state)
{
    (void)state;
    return sl_pt_teardown(&g_pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_bucket),       cmocka_unit_test(test_sql_refusals),
        cmocka_unit_test(test_config_cli),        cmocka_unit_test(test_member_expiry),
        cmocka_unit_test(test_live_run),          cmocka_unit_test(test_live_log_and_sink),
        cmocka_unit_test(test_live_idle_timeout),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
