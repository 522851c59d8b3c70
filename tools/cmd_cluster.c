/*
 * tools/cmd_cluster.c - `sluice config` and `sluice status`: a job's ZooKeeper nodes seen
 * from outside the job (docs/cluster.md has the layout).
 *
 * `config set` checks the key and value with the binder's own check of SET
 * (engine/plan/settings.h) before it writes, so that a running job never reads a value it
 * would refuse; the write is coord/jobconf.h's read-modify-write at the node's version.
 * `status` reads the member nodes, the epoch record and history (coord/store_zk.h's
 * layout) and the settings node, without taking part in the job; `status --html` also
 * scrapes the members' metrics and writes one page (tools/status_html.h).
 *
 * Exit status: 0 done, 1 ZooKeeper failed (the message says how), 2 a usage error or a
 * refused setting, 3 `config get` of a key that is not set.
 */
#include "tools/cmd_cluster.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coord/cluster.h"
#include "coord/commit.h"
#include "coord/jobconf.h"
#include "coord/zk.h"
#include "engine/exec/checkpoint.h"
#include "engine/plan/settings.h"
#include "tools/cli.h"
#include "tools/status_html.h"

static const char sl_config_usage[] =
    "usage: sluice config --zk HOSTS[/chroot] --job ID get KEY\n"
    "       sluice config --zk HOSTS[/chroot] --job ID set KEY VALUE\n"
    "       sluice config --zk HOSTS[/chroot] --job ID unset KEY\n"
    "       sluice config --zk HOSTS[/chroot] --job ID list\n"
    "       sluice config keys\n"
    "\n"
    "Reads and writes the job's settings node in ZooKeeper (/ID/settings under the chroot,\n"
    "default /sluice). Keys are the SQL setting names, values as SET takes them; a key\n"
    "sluice does not know, or a value SET would refuse, is refused before anything is\n"
    "written (exit 2). Every running process of the job (sluice run --zk ... --job ID)\n"
    "watches the node and applies a change at once where it can:\n"
    "  execution.checkpointing.interval          the time between checkpoint epochs\n"
    "  sluice.source.TABLE.scan.rate-limit       records/s read from TABLE (0: no limit;\n"
    "                                            unset: back to its 'scan.rate-limit')\n"
    "Any other key is logged by the running processes as \"needs a restart\" and takes\n"
    "effect at their next start (settings in the node win over the SQL's SET there).\n"
    "Each change a process applies is logged with the node's version. 'keys' lists the\n"
    "known keys; 'get' of a key that is not set exits 3.\n";

static const char sl_status_usage[] =
    "usage: sluice status --zk HOSTS[/chroot] --job ID [--json | --html FILE]\n"
    "\n"
    "Shows a job's processes (their ZooKeeper member nodes: host, pid, cores, workers, role\n"
    "leader or standby, start time, metrics address), the last committed checkpoint epoch\n"
    "and the current epoch record, and the settings in its settings node, as a table or as\n"
    "one JSON object (--json). Once a leader published a work assignment (a generation:\n"
    "docs/cluster.md), each member's range of global workers [lo, hi) and the generation\n"
    "are shown too. Reads ZooKeeper only; works while the job runs.\n"
    "\n"
    "--html FILE writes one self-contained HTML page instead (FILE '-': stdout; inline SVG\n"
    "charts, no script): the above, the committed epochs of the history (the time between\n"
    "their commits, the records read in each), and what the members' metrics say - each is\n"
    "scraped twice, 1 s apart: records per second in and out per table, records since the\n"
    "start, Kafka partitions read and their lag, watermark lag and busy share per worker,\n"
    "checkpoint duration, alignment and size, operator state. All members are scraped at\n"
    "once: a member whose endpoint does not answer within 2 s (libcurl's timeout; a frozen\n"
    "process) is shown with the reason, and frozen members cost 2 s together, not each.\n";

struct sl_cl_args {
    const char *zk, *job, *html;
    bool json;
    const char *pos[4];
    int npos;
};

/* 0 ok, 1 help shown, 2 usage error (said). */
static int sl_cl_parse(int argc, char **argv, const char *usage, bool status, struct sl_cl_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return 1;
        }
        if (status && !strcmp(arg, "--json")) {
            a->json = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (a->npos == 4) {
                fprintf(stderr, "sluice %s: too many arguments\n%s", argv[0], usage);
                return 2;
            }
            a->pos[a->npos++] = arg;
            continue;
        }
        static const char *const valued[] = {"--zk", "--job", "--html"};
        const char **slots[] = {&a->zk, &a->job, &a->html};
        const char *val;
        int which = sl_cli_value(argc, argv, &i, argv[0], usage, valued, status ? 3 : 2, &val);
        if (which < 0)
            return 2;
        *slots[which] = val;
    }
    return 0;
}

/* Checks --zk and --job and connects; 0, or the exit status (said). */
static int sl_cl_connect(const char *cmd, const struct sl_cl_args *a, const char *usage,
                         struct sl_zk **zk)
{
    if (!a->zk || !a->job) {
        fprintf(stderr, "sluice %s: which %s? (%s)\n%s", cmd, a->zk ? "job" : "ZooKeeper",
                a->zk ? "--job ID" : "--zk HOST:PORT", usage);
        return 2;
    }
    struct sl_error err;
    sl_error_clear(&err);
    if (sl_ckpt_check_job(a->job, &err)) {
        fprintf(stderr, "sluice %s: --job: %s\n", cmd, err.msg);
        return 2;
    }
    if (sl_zk_open(a->zk, 10000, 15000, zk, &err)) {
        fprintf(stderr, "sluice %s: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

static void sl_cl_keys(void)
{
    bool live;
    const char *k;
    for (size_t i = 0; (k = sl_setting_key(i, &live)) != NULL; i++)
        printf("%-56s %s\n", k, live ? "live" : "restart");
}

int sl_cmd_config(int argc, char **argv)
{
    struct sl_cl_args a;
    int rc = sl_cl_parse(argc, argv, sl_config_usage, false, &a);
    if (rc)
        return rc == 1 ? 0 : 2;
    const char *verb = a.npos ? a.pos[0] : NULL;
    int want = !verb                    ? -1
               : !strcmp(verb, "keys")  ? 1
               : !strcmp(verb, "list")  ? 1
               : !strcmp(verb, "get")   ? 2
               : !strcmp(verb, "unset") ? 2
               : !strcmp(verb, "set")   ? 3
                                        : -1;
    if (want < 0 || a.npos != want) {
        if (want < 0)
            fprintf(stderr, "sluice config: %s%s%s\n%s",
                    verb ? "unknown action '" : "which action? (get, set, unset, list, keys)",
                    verb ? verb : "", verb ? "'" : "", sl_config_usage);
        else
            fprintf(stderr, "sluice config %s: %s\n%s", verb,
                    want == 3   ? "needs KEY VALUE"
                    : want == 2 ? "needs KEY"
                                : "takes no KEY",
                    sl_config_usage);
        return 2;
    }
    if (!strcmp(verb, "keys")) {
        sl_cl_keys();
        return 0;
    }
    struct sl_error err;
    sl_error_clear(&err);
    if (!strcmp(verb, "set")) { /* refused before connecting: nothing is written */
        rc = sl_setting_check(a.pos[1], a.pos[2], NULL, &err);
        if (!rc && strlen(a.pos[2]) >= SL_JOBCONF_VALUE_MAX)
            rc = sl_error_set(&err, SL_EINVAL, "'%s': a value of %zu bytes: at most %d", a.pos[1],
                              strlen(a.pos[2]), SL_JOBCONF_VALUE_MAX - 1);
        if (rc) {
            fprintf(stderr, "sluice config set: %s\n", err.msg);
            return 2;
        }
    }
    if (!strcmp(verb, "unset") || !strcmp(verb, "get")) {
        /* a key that is not a setting can be neither set nor removed: say so */
        if (sl_setting_check(a.pos[1], "", NULL, &err) == SL_ENOTFOUND) {
            fprintf(stderr, "sluice config %s: %s\n", verb, err.msg);
            return 2;
        }
        sl_error_clear(&err);
    }
    struct sl_zk *zk = NULL;
    if ((rc = sl_cl_connect("config", &a, sl_config_usage, &zk)) != 0)
        return rc;
    int status = 0;
    if (!strcmp(verb, "list") || !strcmp(verb, "get")) {
        struct sl_jobconf c;
        if (sl_jobconf_read(zk, a.job, false, &c, &err)) {
            fprintf(stderr, "sluice config %s: %s\n", verb, err.msg);
            status = 1;
        } else if (!strcmp(verb, "get")) {
            const char *v = sl_jobconf_get(&c, a.pos[1]);
            if (v)
                printf("%s\n", v);
            else {
                fprintf(stderr, "sluice config get: '%s' is not set for job '%s'\n", a.pos[1],
                        a.job);
                status = 3;
            }
        } else {
            for (size_t i = 0; i < c.n; i++)
                printf("%s=%s\n", c.keys[i], c.values[i]);
        }
        sl_jobconf_free(&c);
    } else {
        bool set = !strcmp(verb, "set"), changed = false;
        int32_t version = -1;
        if (sl_jobconf_update(zk, a.job, a.pos[1], set ? a.pos[2] : NULL, &version, &changed,
                              &err)) {
            fprintf(stderr, "sluice config %s: %s%s\n", verb, err.msg,
                    err.code == SL_EZK_RETRY
                        ? " (whether it was written is unknown: 'sluice config get' says)"
                        : "");
            status = 1;
        } else if (!changed) {
            fprintf(stderr, "sluice config %s: %s was already %s (settings version %d)\n", verb,
                    a.pos[1], set ? "so" : "not set", (int)version);
        } else {
            bool live = false;
            sl_setting_check(a.pos[1], set ? a.pos[2] : "0", &live, &err);
            fprintf(stderr, "sluice config %s: %s %s (settings version %d)%s\n", verb, a.pos[1],
                    set ? "set" : "removed", (int)version,
                    live ? "; running processes apply it now"
                         : "; running processes need a restart to apply it");
        }
    }
    sl_zk_close(zk);
    return status;
}

/* ---- status ---------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
static int sl_cl_utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
            : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
            : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                           : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

/* s as a JSON string (quotes included); a byte that is not valid UTF-8 becomes U+FFFD, so
 * the output is always valid JSON. */
static void sl_cl_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = sl_cl_utf8_len(p);
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else if (n == 0)
            fputs("\\ufffd", out);
        else
            fwrite(p, 1, (size_t)n, out);
        p += n ? n : 1;
    }
    fputc('"', out);
}

/* The epoch record and the newest committed epoch of the history (0: none). */
static int sl_cl_epochs(struct sl_zk *zk, const char *job, struct sl_epoch_rec *cur, int64_t *last,
                        struct sl_error *err)
{
    memset(cur, 0, sizeof(*cur));
    *last = 0;
    char path[SL_ZK_PATH_MAX], buf[SL_EPOCH_ENCODED_MAX];
    size_t len = 0;
    snprintf(path, sizeof(path), "/%s/epoch", job);
    int rc = sl_zk_get(zk, path, buf, sizeof(buf), &len, NULL, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    if (len && (rc = sl_epoch_decode(buf, len, cur, NULL, err)) != 0)
        return rc;
    if (cur->phase == SL_EPOCH_COMMITTED)
        *last = cur->epoch;
    char **names = NULL;
    size_t n = 0;
    snprintf(path, sizeof(path), "/%s/history", job);
    rc = sl_zk_children(zk, path, &names, &n, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], "e-", 2) != 0)
            continue;
        int64_t e = strtoll(names[i] + 2, NULL, 10);
        if (e > *last)
            *last = e;
    }
    sl_zk_names_free(names, n);
    return 0;
}

/* The committed records of the history, oldest first, each with its node's creation time
 * (when the leader committed it); *out is the caller's (free). A node that went (trimmed)
 * between the listing and its read is skipped. */
static int sl_cl_history(struct sl_zk *zk, const char *job, struct sl_status_epoch **out, size_t *n,
                         struct sl_error *err)
{
    *out = NULL;
    *n = 0;
    char path[SL_ZK_PATH_MAX], buf[SL_EPOCH_ENCODED_MAX];
    char **names = NULL;
    size_t nn = 0;
    snprintf(path, sizeof(path), "/%s/history", job);
    int rc = sl_zk_children(zk, path, &names, &nn, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    struct sl_status_epoch *h = calloc(nn ? nn : 1, sizeof(*h));
    if (!h) {
        sl_zk_names_free(names, nn);
        return sl_error_set(err, SL_ENOMEM, "status: out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < nn && !rc; i++) { /* sorted by name: e-<20 digits>, oldest first */
        if (strncmp(names[i], "e-", 2) != 0)
            continue;
        snprintf(path, sizeof(path), "/%s/history/%s", job, names[i]);
        size_t len = 0;
        struct sl_zk_stat st;
        rc = sl_zk_get(zk, path, buf, sizeof(buf), &len, &st, err);
        if (rc == SL_ENOTFOUND) {
            sl_error_clear(err);
            rc = 0;
            continue;
        }
        struct sl_epoch_rec rec;
        if (!rc && (rc = sl_epoch_decode(buf, len, &rec, NULL, err)) == 0) {
            h[k].epoch = rec.epoch;
            h[k].committed_ms = st.ctime_ms;
            memcpy(h[k].offsets, rec.offsets, sizeof(h[k].offsets));
            k++;
        }
    }
    sl_zk_names_free(names, nn);
    if (rc) {
        free(h);
        return rc;
    }
    *out = h;
    *n = k;
    return 0;
}

static void sl_cl_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

int sl_cmd_status(int argc, char **argv)
{
    struct sl_cl_args a;
    int rc = sl_cl_parse(argc, argv, sl_status_usage, true, &a);
    if (rc)
        return rc == 1 ? 0 : 2;
    if (a.npos) {
        fprintf(stderr, "sluice status: unknown argument '%s'\n%s", a.pos[0], sl_status_usage);
        return 2;
    }
    if (a.json && a.html) {
        fprintf(stderr, "sluice status: --json or --html, not both\n%s", sl_status_usage);
        return 2;
    }
    struct sl_zk *zk = NULL;
    if ((rc = sl_cl_connect("status", &a, sl_status_usage, &zk)) != 0)
        return rc;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_member *ms = NULL;
    size_t nm = 0;
    struct sl_jobconf c = {.version = -1};
    struct sl_epoch_rec cur;
    int64_t last = 0;
    int status = 0;
    struct sl_status_epoch *hist = NULL;
    size_t nh = 0;
    struct sl_status_scrapes *scr = NULL;
    struct sl_assignment asg = {0};
    bool have_asg = false;
    /* --html: the members' metrics first, then the epochs, so that the epochs on the page
     * are not older than the metrics */
    if (sl_member_list(zk, a.job, &ms, &nm, &err) ||
        (a.html && sl_status_scrape(ms, nm, 1000, &scr, &err)) ||
        sl_jobconf_read(zk, a.job, false, &c, &err) || sl_cl_epochs(zk, a.job, &cur, &last, &err)) {
        fprintf(stderr, "sluice status: %s\n", err.msg);
        status = 1;
        goto out;
    }
    if (!a.html) { /* the work assignment, when a leader published one */
        int arc = sl_cluster_read(zk, a.job, false, &asg, NULL, &err);
        if (arc && arc != SL_ENOTFOUND) {
            fprintf(stderr, "sluice status: %s\n", err.msg);
            status = 1;
            goto out;
        }
        have_asg = arc == 0;
        sl_error_clear(&err);
    }
    if (a.html) {
        if (sl_cl_history(zk, a.job, &hist, &nh, &err)) {
            fprintf(stderr, "sluice status: %s\n", err.msg);
            status = 1;
            goto out;
        }
        bool to_stdout = !strcmp(a.html, "-");
        FILE *f = to_stdout ? stdout : fopen(a.html, "w");
        if (!f) {
            fprintf(stderr, "sluice status: --html %s: %s\n", a.html, strerror(errno));
            status = 1;
            goto out;
        }
        struct sl_status_page page = {.job = a.job,
                                      .zk = a.zk,
                                      .members = ms,
                                      .nmembers = nm,
                                      .cur = &cur,
                                      .last_committed = last,
                                      .history = hist,
                                      .nhistory = nh,
                                      .settings = &c};
        if (sl_status_html(f, &page, scr, &err))
            status = 1;
        if (!to_stdout && fclose(f) != 0 && !status) {
            sl_error_set(&err, SL_EIO, "status --html: closing %s: %s", a.html, strerror(errno));
            status = 1;
        }
        if (status)
            fprintf(stderr, "sluice status: %s\n", err.msg);
        goto out;
    }
    if (a.json) {
        printf("{\"job\":");
        sl_cl_json_str(stdout, a.job);
        printf(",\"members\":[");
        for (size_t i = 0; i < nm; i++) {
            printf("%s{\"name\":", i ? "," : "");
            sl_cl_json_str(stdout, ms[i].name);
            printf(",\"host\":");
            sl_cl_json_str(stdout, ms[i].host);
            printf(",\"pid\":%" PRId64 ",\"cores\":%" PRId64 ",\"workers\":%" PRId64 ",\"role\":",
                   ms[i].pid, ms[i].cores, ms[i].workers);
            sl_cl_json_str(stdout, ms[i].role);
            printf(",\"started_ms\":%" PRId64 ",\"metrics\":", ms[i].started_ms);
            sl_cl_json_str(stdout, ms[i].metrics);
            const struct sl_assign_member *r = have_asg ? sl_cluster_find(&asg, ms[i].name) : NULL;
            if (r && r->hi > r->lo)
                printf(",\"workers_range\":[%" PRId64 ",%" PRId64 "]}", r->lo, r->hi);
            else
                printf(",\"workers_range\":null}");
        }
        printf("],\"assignment\":");
        if (have_asg) {
            printf("{\"generation\":%" PRId64 ",\"max_parallelism\":%" PRId64
                   ",\"workers\":%" PRId64 ",\"topic\":",
                   asg.generation, asg.max_parallelism, asg.workers);
            sl_cl_json_str(stdout, asg.topic);
            printf(",\"leader\":");
            sl_cl_json_str(stdout, asg.leader);
            printf("}");
        } else {
            printf("null");
        }
        printf(",\"last_committed_epoch\":%" PRId64 ",\"epoch\":{\"number\":%" PRId64
               ",\"phase\":\"%s\"},\"settings_version\":%d,\"settings\":{",
               last, cur.epoch, sl_epoch_phase_name(cur.phase), (int)c.version);
        for (size_t i = 0; i < c.n; i++) {
            printf("%s", i ? "," : "");
            sl_cl_json_str(stdout, c.keys[i]);
            printf(":");
            sl_cl_json_str(stdout, c.values[i]);
        }
        printf("}}\n");
        goto out;
    }
    printf("job %s: %zu member%s\n", a.job, nm, nm == 1 ? "" : "s");
    if (have_asg)
        printf("assignment: generation %" PRId64 ", %" PRId64 " workers, max parallelism %" PRId64
               ", channel topic %s\n",
               asg.generation, asg.workers, asg.max_parallelism, asg.topic);
    if (nm)
        printf("  %-8s %-24s %8s %5s %7s %-19s%s %s\n", "ROLE", "HOST", "PID", "CORES", "WORKERS",
               "STARTED (UTC)", have_asg ? " RANGE        " : "", "METRICS");
    for (size_t i = 0; i < nm; i++) {
        char when[32], range[48] = "";
        sl_cl_time(ms[i].started_ms, when, sizeof(when));
        if (have_asg) {
            const struct sl_assign_member *r = sl_cluster_find(&asg, ms[i].name);
            char rr[40];
            snprintf(rr, sizeof(rr), "[%" PRId64 ", %" PRId64 ")", r ? r->lo : 0, r ? r->hi : 0);
            snprintf(range, sizeof(range), " %-13s",
                     !r              ? (strcmp(ms[i].role, "standby") ? "unassigned" : "none")
                     : r->hi > r->lo ? rr
                                     : "none");
        }
        printf("  %-8s %-24s %8" PRId64 " %5" PRId64 " %7" PRId64 " %-19s%s %s\n", ms[i].role,
               ms[i].host, ms[i].pid, ms[i].cores, ms[i].workers, when, range,
               ms[i].metrics[0] ? ms[i].metrics : "-");
    }
    if (last)
        printf("last committed epoch: %" PRId64 "\n", last);
    else
        printf("last committed epoch: none\n");
    printf("current epoch record: %s", sl_epoch_phase_name(cur.phase));
    if (cur.phase != SL_EPOCH_NONE)
        printf(" %" PRId64, cur.epoch);
    printf("\n");
    if (!c.exists) {
        printf("settings: none in ZooKeeper (the SQL's SET statements apply)\n");
    } else {
        printf("settings (version %d):\n", (int)c.version);
        for (size_t i = 0; i < c.n; i++) {
            bool live = false;
            struct sl_error e;
            sl_error_clear(&e);
            int v = sl_setting_check(c.keys[i], c.values[i], &live, &e);
            printf("  %s = %s  (%s)\n", c.keys[i], c.values[i],
                   v      ? "invalid: ignored"
                   : live ? "live"
                          : "at start");
        }
    }
out:
    sl_assignment_free(&asg);
    sl_status_scrapes_free(scr);
    free(hist);
    free(ms);
    sl_jobconf_free(&c);
    sl_zk_close(zk);
    return status;
}
