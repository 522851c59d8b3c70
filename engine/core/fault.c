/*
 * engine/core/fault.c - named fault and crash points (see fault.h).
 *
 * The armed entries and the hit counters live in small fixed arrays under one mutex: a
 * check is a lock and a few string compares, which is nothing next to the system call it
 * guards. The environment is read once, on the first call; sl_fault_set / sl_crash_set
 * replace it (and reset the counters) for tests.
 */
#include "engine/core/fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SL_FAULT_MAX 32
#define SL_FAULT_NAME 64
#define SL_FAULT_COUNTERS 128

struct sl_fault_entry {
    char point[SL_FAULT_NAME];
    int result;   /* -errno or SL_FAULT_SHORT; 0 for a crash entry */
    unsigned nth; /* fires on this hit (1-based) */
    unsigned hits;
    int spent;
};

struct sl_fault_list {
    struct sl_fault_entry e[SL_FAULT_MAX];
    int n;
};

struct sl_fault_counter {
    char point[SL_FAULT_NAME];
    unsigned hits;
};

static pthread_mutex_t sl_fault_mu = PTHREAD_MUTEX_INITIALIZER;
static int sl_fault_loaded;
static struct sl_fault_list sl_faults, sl_crashes;
static struct sl_fault_counter sl_counters[SL_FAULT_COUNTERS];
static int sl_ncounters;

static const struct {
    const char *name;
    int e;
} sl_errno_names[] = {
    {"EIO", EIO},
    {"ENOSPC", ENOSPC},
    {"EDQUOT", EDQUOT},
    {"EROFS", EROFS},
    {"ENOMEM", ENOMEM},
    {"EPERM", EPERM},
    {"EACCES", EACCES},
    {"EBADF", EBADF},
    {"EINVAL", EINVAL},
    {"EEXIST", EEXIST},
    {"ENOENT", ENOENT},
    {"ENOSYS", ENOSYS},
    {"EFBIG", EFBIG},
    {"EINTR", EINTR},
    {"EAGAIN", EAGAIN},
    /* the network's: a ZooKeeper request or its answer lost (coord/zk.h) */
    {"ECONNRESET", ECONNRESET},
    {"ETIMEDOUT", ETIMEDOUT},
};

const char *sl_fault_errno_name(int e)
{
    for (size_t i = 0; i < sizeof(sl_errno_names) / sizeof(sl_errno_names[0]); i++)
        if (sl_errno_names[i].e == e)
            return sl_errno_names[i].name;
    return NULL;
}

/* Parses "point[:ERR][@N],..." into `out`; crash entries have no ":ERR". */
static int sl_fault_parse(const char *spec, int crash, struct sl_fault_list *out,
                          struct sl_error *err)
{
    out->n = 0;
    if (!spec)
        return 0;
    const char *s = spec;
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char item[160];
        if (len >= sizeof(item))
            return sl_error_set(err, SL_EINVAL, "fault spec '%.*s': too long", (int)len, s);
        memcpy(item, s, len);
        item[len] = 0;
        s += len + (end ? 1 : 0);
        if (len == 0)
            continue;
        if (out->n == SL_FAULT_MAX)
            return sl_error_set(err, SL_EINVAL, "fault spec: more than %d entries", SL_FAULT_MAX);
        struct sl_fault_entry *e = &out->e[out->n];
        memset(e, 0, sizeof(*e));
        e->nth = 1;
        char *at = strchr(item, '@');
        if (at) {
            *at = 0;
            char *num_end;
            unsigned long v = strtoul(at + 1, &num_end, 10);
            if (num_end == at + 1 || *num_end || v == 0 || v > 1000000000ul)
                return sl_error_set(err, SL_EINVAL,
                                    "fault spec '%s': '@%s' is not a hit number >= 1", item,
                                    at + 1);
            e->nth = (unsigned)v;
        }
        char *colon = strchr(item, ':');
        if (colon) {
            *colon = 0;
            const char *what = colon + 1;
            if (crash)
                return sl_error_set(err, SL_EINVAL,
                                    "crash spec '%s': a crash point takes no error ('%s')", item,
                                    what);
            if (strcmp(what, "SHORT") == 0) {
                e->result = SL_FAULT_SHORT;
            } else {
                for (size_t i = 0; i < sizeof(sl_errno_names) / sizeof(sl_errno_names[0]); i++)
                    if (strcmp(what, sl_errno_names[i].name) == 0)
                        e->result = -sl_errno_names[i].e;
                if (!e->result)
                    return sl_error_set(err, SL_EINVAL, "fault spec '%s': unknown error '%s'", item,
                                        what);
            }
        } else if (!crash) {
            return sl_error_set(err, SL_EINVAL,
                                "fault spec '%s': expected point:ERROR (e.g. snapshot.fsync:EIO)",
                                item);
        }
        if (!item[0] || strlen(item) >= SL_FAULT_NAME)
            return sl_error_set(err, SL_EINVAL, "fault spec: bad point name '%s'", item);
        strcpy(e->point, item);
        out->n++;
    }
    return 0;
}

/* Reads the environment once. Called with the mutex held. */
/* The environment values parsed last (copies): the variables are re-read when they change,
 * so a test that sets SLUICE_CRASH_AT in a forked child needs no explicit reload. */
static char *sl_env_fault, *sl_env_crash;

static bool sl_env_changed(const char *now, char **seen)
{
    if ((!now && !*seen) || (now && *seen && strcmp(now, *seen) == 0))
        return false;
    free(*seen);
    *seen = now ? strdup(now) : NULL;
    return true;
}

static void sl_fault_load(void)
{
    const char *f = getenv("SLUICE_FAULT"), *c = getenv("SLUICE_CRASH_AT");
    bool first = !sl_fault_loaded;
    bool fchanged = sl_env_changed(f, &sl_env_fault);
    bool cchanged = sl_env_changed(c, &sl_env_crash);
    sl_fault_loaded = 1;
    struct sl_error err;
    if ((first || fchanged) && sl_fault_parse(f, 0, &sl_faults, &err) < 0) {
        fprintf(stderr, "sluice: SLUICE_FAULT ignored: %s\n", err.msg);
        sl_faults.n = 0;
    }
    if ((first || cchanged) && sl_fault_parse(c, 1, &sl_crashes, &err) < 0) {
        fprintf(stderr, "sluice: SLUICE_CRASH_AT ignored: %s\n", err.msg);
        sl_crashes.n = 0;
    }
}

void sl_fault_reload(void)
{
    pthread_mutex_lock(&sl_fault_mu);
    sl_fault_loaded = 0;
    sl_ncounters = 0;
    sl_fault_load();
    pthread_mutex_unlock(&sl_fault_mu);
}

static int sl_fault_replace(const char *spec, int crash, struct sl_error *err)
{
    struct sl_fault_list list;
    int rc = sl_fault_parse(spec, crash, &list, err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&sl_fault_mu);
    sl_fault_loaded = 1;
    if (crash)
        sl_crashes = list;
    else
        sl_faults = list;
    sl_ncounters = 0;
    pthread_mutex_unlock(&sl_fault_mu);
    return 0;
}

int sl_fault_set(const char *spec, struct sl_error *err)
{
    return sl_fault_replace(spec, 0, err);
}

int sl_crash_set(const char *spec, struct sl_error *err)
{
    return sl_fault_replace(spec, 1, err);
}

/* Counts a pass of `point`. Called with the mutex held. */
static void sl_fault_count(const char *point)
{
    for (int i = 0; i < sl_ncounters; i++) {
        if (strcmp(sl_counters[i].point, point) == 0) {
            sl_counters[i].hits++;
            return;
        }
    }
    if (sl_ncounters < SL_FAULT_COUNTERS && strlen(point) < SL_FAULT_NAME) {
        strcpy(sl_counters[sl_ncounters].point, point);
        sl_counters[sl_ncounters++].hits = 1;
    }
}

/* The first armed entry of `list` that fires on this hit of `point`, or NULL. */
static struct sl_fault_entry *sl_fault_fire(struct sl_fault_list *list, const char *point)
{
    struct sl_fault_entry *fired = NULL;
    for (int i = 0; i < list->n; i++) {
        struct sl_fault_entry *e = &list->e[i];
        if (e->spent || strcmp(e->point, point) != 0)
            continue;
        if (++e->hits == e->nth && !fired) {
            e->spent = 1;
            fired = e;
        }
    }
    return fired;
}

int sl_fault_hit(const char *point)
{
    pthread_mutex_lock(&sl_fault_mu);
    sl_fault_load();
    sl_fault_count(point);
    struct sl_fault_entry *e = sl_fault_fire(&sl_faults, point);
    int result = e ? e->result : 0;
    pthread_mutex_unlock(&sl_fault_mu);
    return result;
}

void sl_crash_point(const char *point)
{
    pthread_mutex_lock(&sl_fault_mu);
    sl_fault_load();
    sl_fault_count(point);
    struct sl_fault_entry *e = sl_fault_fire(&sl_crashes, point);
    pthread_mutex_unlock(&sl_fault_mu);
    if (e) {
        static const char msg[] = "sluice: crash point reached: ";
        /* write(2), not stdio: nothing may be flushed or run on the way out; one write, so
         * that the line lands whole in a log that other threads write into too (a print
         * sink's stdout into the same file: three writes once split one of its rows) */
        char line[sizeof(msg) + 128];
        size_t pl = strlen(point), n = sizeof(msg) - 1;
        if (pl > sizeof(line) - n - 1)
            pl = sizeof(line) - n - 1;
        memcpy(line, msg, n);
        memcpy(line + n, point, pl);
        line[n + pl] = '\n';
        ssize_t w = write(2, line, n + pl + 1);
        (void)w;
        /* the exit_group system call itself, not _exit(): a sanitizer's _exit() runs its
         * end-of-process checks (ThreadSanitizer reports the threads a crash leaves
         * unjoined as leaked), and a crash runs nothing */
        syscall(SYS_exit_group, SL_CRASH_STATUS);
        _exit(SL_CRASH_STATUS); /* not reached */
    }
}

unsigned sl_fault_hits(const char *point)
{
    unsigned hits = 0;
    pthread_mutex_lock(&sl_fault_mu);
    sl_fault_load();
    for (int i = 0; i < sl_ncounters; i++)
        if (strcmp(sl_counters[i].point, point) == 0)
            hits = sl_counters[i].hits;
    pthread_mutex_unlock(&sl_fault_mu);
    return hits;
}
