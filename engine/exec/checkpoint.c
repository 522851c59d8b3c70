/*
 * engine/exec/checkpoint.c - checkpoint epochs: snapshot files, manifests, the commit, recovery
 * (see checkpoint.h).
 *
 * A snapshot block's type packs the block kind, pipeline and node:
 *     type = kind | pipe << 8 | node << 20      (kind < 256, pipe < 4096, node < 4096)
 * so that the payload is the state bytes alone, and an unchanged state has an unchanged
 * CRC: that is what the incremental step compares.
 *
 * The manifest is text, one "key value" line each (readable with cat):
 *     sluice-manifest 1
 *     job J
 *     epoch N
 *     time-ms T                   wall clock when the epoch committed (ms since 1970)
 *     workers W
 *     fingerprint HEX16           XXH64 of the layout lines (what the state depends on)
 *     layout TEXT                 one per plan node: "pipeline P node K: ..." (coordinator.c)
 *     state-bytes B               the state the epoch describes
 *     max-parallelism M           the job's key groups (absent: written before key groups,
 *                                 whose state only restores at W workers)
 *     worker K FILE BYTES DEPS    DEPS: the epochs it references, ',' separated, or '-'
 *     offsets TEXT
 *     finished 1                  only in the epoch a bounded job ended with
 *     end
 */
#include "engine/exec/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "coord/commit.h"
#include "coord/store_file.h"
#include "coord/store_zk.h"
#include "engine/core/crc32c.h"
#include "engine/core/datetime.h"
#include "engine/core/durable.h"
#include "engine/core/fault.h"
#include "engine/core/keygroup.h"
#include "io/snapshot.h"

#define SL_CKPT_PATH 1024
#define SL_CKPT_KEEP_MAX 64
#define SL_CKPT_MANIFEST_MAX (16u << 20)

static const struct sl_durable_points sl_ckpt_manifest_points = {.before_rename =
                                                                     "ckpt.before_manifest_rename"};

/* The origins of one worker's blocks in the last written epoch (for references). */
struct sl_ckpt_prev {
    uint32_t n;
    uint32_t *types;
    struct sl_snapshot_ref *origins;
};

struct sl_ckpt {
    struct sl_ckpt_opts o;
    char dir[SL_CKPT_PATH];
    int nworkers;
    uint64_t fingerprint; /* XXH64 of layout */
    char *layout;         /* what the state depends on (sl_ckpt_open) */
    struct sl_commit_store *store;
    uint64_t restored;
    uint64_t last_full;              /* the last epoch written whole */
    struct sl_ckpt_wstate *rstate;   /* rworkers entries when restored */
    int rworkers;                    /* the restored epoch's worker count (0: none) */
    uint32_t kg_max;                 /* sl_ckpt_kg_max */
    struct sl_ckpt_prev *prev;       /* nworkers entries */
    uint64_t kept[SL_CKPT_KEEP_MAX]; /* committed epochs to keep, newest first */
    uint32_t nkept;
    uint64_t base;    /* the last epoch committed before this run (the next is base + 1) */
    uint64_t settled; /* the last epoch whose output counts (base, but for a rollback) */
    bool finishing;   /* the next epoch is the job's last (sources ended) */
    bool final;       /* the next epoch ends the run (a cluster's members stop after it) */
    /* a job over several processes (sl_ckpt_opts.cluster_workers): the job's W, this
     * process's first global worker, whether it leads (holds the latch) */
    int wall, lo;
    bool cluster, leader, recovered, rescaled;
    /* --cluster auto: the leader settled the record (sl_ckpt_cluster_settle) before it
     * published the generation; every process then restores as a member does */
    bool settled_first;
    /* the cluster's settle rolled PREPARED `redo` back (its Kafka transaction had not
     * committed): the next epoch is `redo` again, as the store takes it (0: none) */
    uint64_t redo;
    struct sl_ckpt_prev *pend; /* nworkers: the references of files written, not committed */
    uint64_t pend_epoch;
};

/* ---- worker states ------------------------------------------------------------------------- */

void sl_ckpt_wstate_reset(struct sl_ckpt_wstate *ws)
{
    sl_sbuf_reset(&ws->data);
    sl_sbuf_reset(&ws->summary);
    ws->nblocks = 0;
}

void sl_ckpt_wstate_free(struct sl_ckpt_wstate *ws)
{
    sl_sbuf_free(&ws->data);
    sl_sbuf_free(&ws->summary);
    free(ws->blocks);
    memset(ws, 0, sizeof(*ws));
}

int sl_ckpt_wstate_add(struct sl_ckpt_wstate *ws, uint32_t type, uint32_t pipe, uint32_t node,
                       size_t off, struct sl_error *err)
{
    if (pipe >= 4096 || node >= 4096 || type >= 256)
        return sl_error_set(err, SL_ERANGE, "checkpoint block (%u, %u, %u) out of range", type,
                            pipe, node);
    if (ws->nblocks == ws->cap) {
        uint32_t ncap = ws->cap ? ws->cap * 2 : 16;
        struct sl_ckpt_block *nb = realloc(ws->blocks, ncap * sizeof(*nb));
        if (!nb)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        ws->blocks = nb;
        ws->cap = ncap;
    }
    ws->blocks[ws->nblocks++] = (struct sl_ckpt_block){type, pipe, node, off, ws->data.len - off};
    return 0;
}

const struct sl_ckpt_block *sl_ckpt_wstate_find(const struct sl_ckpt_wstate *ws, uint32_t type,
                                                uint32_t pipe, uint32_t node)
{
    for (uint32_t i = 0; i < ws->nblocks; i++)
        if (ws->blocks[i].type == type && ws->blocks[i].pipe == pipe && ws->blocks[i].node == node)
            return &ws->blocks[i];
    return NULL;
}

static uint32_t sl_ckpt_pack(const struct sl_ckpt_block *b)
{
    return b->type | b->pipe << 8 | b->node << 20;
}

/* ---- manifests ----------------------------------------------------------------------------- */

struct sl_manifest_worker {
    char file[256];
    uint64_t bytes;
    uint64_t deps[64];
    uint32_t ndeps;
};

struct sl_manifest {
    uint64_t epoch, time_ms, state_bytes, fingerprint;
    int workers;
    uint32_t kg_max; /* "max-parallelism" (0: written before key groups) */
    bool finished, final;
    char job[64];
    struct sl_manifest_worker *w; /* workers entries */
    char *layout;                 /* the "layout" lines joined, or NULL (older manifests) */
    size_t layout_len;
};

static void sl_manifest_free(struct sl_manifest *m)
{
    free(m->w);
    free(m->layout);
    m->w = NULL;
    m->layout = NULL;
}

static int sl_manifest_bad(const char *path, int line, const char *what, struct sl_error *err)
{
    return sl_error_set(err, SL_ECORRUPT, "%s:%d: manifest damaged: %s", path, line, what);
}

/* Parses manifest text; m->w is the caller's (free). */
static int sl_manifest_parse(const char *path, char *text, struct sl_manifest *m,
                             struct sl_error *err)
{
    memset(m, 0, sizeof(*m));
    int line = 0, seen_end = 0, nw = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        char key[32];
        int used = 0;
        if (sscanf(l, "%31s %n", key, &used) != 1)
            return sl_manifest_bad(path, line, "an empty line", err);
        const char *v = l + used;
        if (line == 1) {
            if (strcmp(l, "sluice-manifest 1") != 0)
                return sl_manifest_bad(path, line, "not a sluice manifest (version 1)", err);
        } else if (!strcmp(key, "job")) {
            snprintf(m->job, sizeof(m->job), "%s", v);
        } else if (!strcmp(key, "epoch")) {
            m->epoch = strtoull(v, NULL, 10);
        } else if (!strcmp(key, "time-ms")) {
            m->time_ms = strtoull(v, NULL, 10);
        } else if (!strcmp(key, "state-bytes")) {
            m->state_bytes = strtoull(v, NULL, 10);
        } else if (!strcmp(key, "fingerprint")) {
            m->fingerprint = strtoull(v, NULL, 16);
        } else if (!strcmp(key, "workers")) {
            m->workers = atoi(v);
            if (m->workers < 1 || m->workers > 4096 || m->w)
                return sl_manifest_bad(path, line, "a bad worker count", err);
            m->w = calloc((size_t)m->workers, sizeof(*m->w));
            if (!m->w)
                return sl_error_set(err, SL_ENOMEM, "out of memory");
        } else if (!strcmp(key, "max-parallelism")) {
            long v2 = atol(v);
            if (v2 < 1 || v2 > (long)SL_KG_MAX)
                return sl_manifest_bad(path, line, "a bad max-parallelism", err);
            m->kg_max = (uint32_t)v2;
        } else if (!strcmp(key, "worker")) {
            int k;
            char file[256], deps[1024];
            unsigned long long bytes;
            if (!m->w || sscanf(v, "%d %255s %llu %1023s", &k, file, &bytes, deps) != 4 || k < 0 ||
                k >= m->workers)
                return sl_manifest_bad(path, line, "a bad worker line", err);
            struct sl_manifest_worker *w = &m->w[k];
            snprintf(w->file, sizeof(w->file), "%s", file);
            w->bytes = bytes;
            if (strcmp(deps, "-") != 0) {
                char *s2 = NULL;
                for (char *d = strtok_r(deps, ",", &s2); d && w->ndeps < 64;
                     d = strtok_r(NULL, ",", &s2))
                    w->deps[w->ndeps++] = strtoull(d, NULL, 10);
            }
            nw++;
        } else if (!strcmp(key, "layout")) {
            size_t n = strlen(v);
            char *nl = realloc(m->layout, m->layout_len + n + 2);
            if (!nl)
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            memcpy(nl + m->layout_len, v, n);
            nl[m->layout_len + n] = '\n';
            nl[m->layout_len + n + 1] = 0;
            m->layout = nl;
            m->layout_len += n + 1;
        } else if (!strcmp(key, "finished")) {
            m->finished = !strcmp(v, "1");
        } else if (!strcmp(key, "final")) {
            m->final = !strcmp(v, "1");
        } else if (!strcmp(key, "end")) {
            seen_end = 1;
            break;
        }
    }
    if (!seen_end || !m->w || nw != m->workers || !m->epoch)
        return sl_manifest_bad(path, line, "incomplete (no end line, or workers missing)", err);
    return 0;
}

static int sl_manifest_load(struct sl_ckpt *c, const char *name, uint32_t want_crc, bool check_crc,
                            struct sl_manifest *m, struct sl_error *err)
{
    char path[SL_CKPT_PATH + 64];
    snprintf(path, sizeof(path), "%s/%s", c->dir, name);
    char *text = NULL;
    size_t len = 0;
    int rc = sl_durable_read(path, SL_CKPT_MANIFEST_MAX, &text, &len, err);
    if (rc)
        return rc;
    uint32_t crc = sl_crc32c(0, text, len);
    if (check_crc && crc != want_crc) {
        free(text);
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: manifest damaged: its CRC32C is %08x, the commit record "
                            "says %08x",
                            path, crc, want_crc);
    }
    rc = sl_manifest_parse(path, text, m, err);
    free(text);
    if (rc)
        sl_manifest_free(m);
    return rc;
}

/* ---- open and restore ---------------------------------------------------------------------- */

int sl_ckpt_check_job(const char *job, struct sl_error *err)
{
    size_t n = job ? strlen(job) : 0;
    if (n == 0 || n > SL_SNAPSHOT_JOB_MAX)
        return sl_error_set(err, SL_EINVAL, "job id '%s': 1 to %d characters", job ? job : "",
                            SL_SNAPSHOT_JOB_MAX);
    for (size_t i = 0; i < n; i++) {
        char ch = job[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return sl_error_set(err, SL_EINVAL,
                                "job id '%s': only letters, digits, '.', '_' and '-'", job);
    }
    if (job[0] == '.')
        return sl_error_set(err, SL_EINVAL, "job id '%s' must not start with '.'", job);
    return 0;
}

static int sl_ckpt_store_open(const struct sl_ckpt_opts *o, const char *dir,
                              struct sl_commit_store **out, struct sl_error *err)
{
    if (o->zk) {
        struct sl_zk_store_config cfg = {.connect = o->zk,
                                         .job = o->job,
                                         .session_ms = o->zk_session_ms,
                                         .connect_ms = o->zk_connect_ms,
                                         .stop = o->stop};
        return sl_zk_store_new(&cfg, out, err);
    }
    return sl_file_store_new(dir, out, err);
}

/* Reads (global) worker w's snapshot of the manifest into c->rstate[slot]; own: a worker
 * of this run (slot = its local index), whose references the next epoch's file takes. */
static int sl_ckpt_load_worker(struct sl_ckpt *c, const struct sl_manifest *m, int w, int slot,
                               bool own, struct sl_error *err)
{
    char path[SL_CKPT_PATH + 300];
    snprintf(path, sizeof(path), "%s/%s", c->dir, m->w[w].file);
    struct sl_snapshot_reader *r = NULL;
    int rc = sl_snapshot_reader_open(path, &r, err);
    if (rc)
        return rc;
    sl_snapshot_reader_set_locator(r, sl_snapshot_locate_dir, c->dir);
    const struct sl_snapshot_meta *meta = sl_snapshot_reader_meta(r);
    if (meta->epoch != m->epoch || meta->worker != (uint32_t)w || strcmp(meta->job, c->o.job)) {
        rc = sl_error_set(err, SL_ECORRUPT,
                          "%s: the header says job '%s' epoch %" PRIu64 " worker %u, the "
                          "manifest job '%s' epoch %" PRIu64 " worker %d",
                          path, meta->job, meta->epoch, meta->worker, c->o.job, m->epoch, w);
        goto out;
    }
    struct sl_ckpt_wstate *ws = &c->rstate[slot];
    /* the incremental references of the next epoch's files: this run's workers only */
    struct sl_ckpt_prev spare = {0};
    struct sl_ckpt_prev *pv = own ? &c->prev[slot] : &spare;
    uint32_t nb = sl_snapshot_reader_count(r);
    pv->types = calloc(nb ? nb : 1, sizeof(*pv->types));
    pv->origins = calloc(nb ? nb : 1, sizeof(*pv->origins));
    if (!pv->types || !pv->origins) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        struct sl_snapshot_block blk;
        const void *data;
        int got = sl_snapshot_reader_next(r, &blk, &data, err);
        if (got < 0) {
            rc = got;
            goto out;
        }
        if (got == 0)
            break;
        size_t off = ws->data.len;
        sl_sbuf_put(&ws->data, data, blk.length);
        if ((rc = sl_sbuf_check(&ws->data, err)) != 0)
            goto out;
        rc = sl_ckpt_wstate_add(ws, blk.type & 0xff, (blk.type >> 8) & 0xfff, blk.type >> 20, off,
                                err);
        if (rc)
            goto out;
        pv->types[pv->n] = blk.type;
        pv->origins[pv->n++] = blk.origin;
    }
out:
    free(spare.types);
    free(spare.origins);
    sl_snapshot_reader_free(r);
    return rc;
}

/* Says in `out` which line of two layouts (engine/exec/coordinator.c) differs first. */
static void sl_ckpt_layout_diff(const char *was, const char *now, char *out, size_t cap)
{
    if (!was) {
        snprintf(out, cap,
                 "it was taken by an older sluice that did not record what its "
                 "state depends on");
        return;
    }
    const char *a = was, *b = now;
    for (;;) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (!la && !lb) {
            snprintf(out, cap, "the plans differ");
            return;
        }
        if (la != lb || memcmp(a, b, la) != 0) {
            if (!la)
                snprintf(out, cap, "this job has more: '%.*s'", (int)(lb > 250 ? 250 : lb), b);
            else if (!lb)
                snprintf(out, cap, "this job lacks '%.*s'", (int)(la > 250 ? 250 : la), a);
            else
                snprintf(out, cap, "'%.*s' is now '%.*s'", (int)(la > 250 ? 250 : la), a,
                         (int)(lb > 250 ? 250 : lb), b);
            return;
        }
        a += la + (ea != NULL);
        b += lb + (eb != NULL);
    }
}

/* The epoch named by the job's "finished" marker (0: none, or unreadable). */
static uint64_t sl_ckpt_finished_marker(const struct sl_ckpt *c)
{
    char path[SL_CKPT_PATH + 16];
    snprintf(path, sizeof(path), "%s/finished", c->dir);
    char *text = NULL;
    size_t len = 0;
    struct sl_error e2;
    if (sl_durable_read(path, 256, &text, &len, &e2) != 0)
        return 0;
    unsigned long long epoch = 0;
    if (sscanf(text, "finished %llu", &epoch) != 1)
        epoch = 0;
    free(text);
    return (uint64_t)epoch;
}

int sl_ckpt_finish(struct sl_ckpt *c, uint64_t epoch, struct sl_error *err)
{
    char text[64];
    int n = snprintf(text, sizeof(text), "finished %" PRIu64 "\n", epoch);
    return sl_durable_write(c->dir, "finished", text, (size_t)n, "finished", NULL, err);
}

static int sl_ckpt_restore(struct sl_ckpt *c, const struct sl_epoch_rec *rec, struct sl_error *err)
{
    struct sl_manifest m;
    int rc = sl_manifest_load(c, rec->manifest, rec->manifest_crc, true, &m, err);
    if (rc == SL_ENOTFOUND)
        return sl_error_set(err, SL_ENOTFOUND,
                            "job '%s': the commit store (%s) says epoch %" PRId64 " is %s with "
                            "manifest %s/%s, which does not exist: is --state-dir the job's? "
                            "(to start the job over, use a new --job or remove its record)",
                            c->o.job, c->store->ops->name, rec->epoch,
                            sl_epoch_phase_name(rec->phase), c->dir, rec->manifest);
    if (rc)
        return rc;
    if (m.finished && !c->o.restart && sl_ckpt_finished_marker(c) == m.epoch) {
        char when[64] = " (";
        size_t k = 2 + sl_dt_format(when + 2, m.time_ms, SL_DT_SQL) - 4; /* to the second */
        snprintf(when + k, sizeof(when) - k, " UTC)");
        rc = sl_error_set(err, SL_EFINISHED,
                          "job '%s' (state in %s) already finished: its last epoch %" PRIu64
                          "%s ended the bounded input, so there is nothing to resume. "
                          "Run with --restart to start it anew (nothing is restored; "
                          "its epochs are numbered on), or give it a new --job",
                          c->o.job, c->dir, m.epoch, when);
        goto out;
    }
    if (m.kg_max && c->o.kg_max && m.kg_max != c->o.kg_max) {
        rc = sl_error_set(err, SL_EINVAL,
                          "job '%s': epoch %" PRIu64 " was taken with 'pipeline.max-parallelism' "
                          "= %u and this job sets %u; the number of key groups is fixed at the "
                          "job's first start (remove the SET, or use --restart to start over)",
                          c->o.job, m.epoch, m.kg_max, c->o.kg_max);
        goto out;
    }
    if (m.workers != c->wall && !m.kg_max) {
        rc = sl_error_set(err, SL_EINVAL,
                          "job '%s': epoch %" PRIu64 " was taken with %d workers and this run "
                          "has %d, by a sluice before key groups, whose state cannot be "
                          "rescaled; run with --workers %d to resume it",
                          c->o.job, m.epoch, m.workers, c->wall, m.workers);
        goto out;
    }
    if (m.kg_max && (uint32_t)c->wall > m.kg_max) {
        rc = sl_error_set(err, SL_EINVAL,
                          "job '%s': epoch %" PRIu64 " has %u key groups "
                          "('pipeline.max-parallelism'), fewer than this run's %d workers; run "
                          "with --workers %u or fewer",
                          c->o.job, m.epoch, m.kg_max, c->wall, m.kg_max);
        goto out;
    }
    if (m.fingerprint != c->fingerprint) {
        char what[600];
        sl_ckpt_layout_diff(m.layout, c->layout, what, sizeof(what));
        rc = sl_error_set(err, SL_EINVAL,
                          "job '%s': epoch %" PRIu64 " was taken by a plan whose state does not "
                          "fit this one: %s; its state cannot be restored into this job - use "
                          "--restart, another --job or another --state-dir to start over",
                          c->o.job, m.epoch, what);
        goto out;
    }
    /* the same worker count: this process's workers' files only, by global index (all of
     * them in one process); another: every old worker's file, and each new worker takes
     * its key groups and splits out of all of them (the rescale path; in a cluster every
     * process reads every file - slow with many workers, but correct) */
    c->rescaled = m.workers != c->wall;
    int nload = c->rescaled ? m.workers : c->nworkers;
    c->rstate = calloc((size_t)nload, sizeof(*c->rstate));
    if (!c->rstate) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    c->rworkers = c->rescaled ? m.workers : c->nworkers;
    c->kg_max = m.kg_max;
    for (int j = 0; j < nload && !rc; j++)
        rc = c->rescaled ? sl_ckpt_load_worker(c, &m, j, j, false, err)
                         : sl_ckpt_load_worker(c, &m, c->lo + j, j, true, err);
    if (rc) {
        struct sl_error e2;
        sl_error_set(&e2, rc, "job '%s': epoch %" PRIu64 " cannot be restored: %s", c->o.job,
                     m.epoch, err->msg);
        *err = e2;
    }
out:
    sl_manifest_free(&m);
    return rc;
}

/* Recovery (see checkpoint.h): the leader (or the only process) reads the record, rolls a
 * PREPARED epoch forward and restores; a cluster's member restores the last COMMITTED epoch
 * (the leader rolled a PREPARED one forward before it published the assignment the member
 * waited for). */
/* A PREPARED record, durable but not committed (a crash between the two puts), is
 * committed: *last's phase becomes COMMITTED. */
static int sl_ckpt_roll_forward(struct sl_ckpt *c, struct sl_epoch_rec *last, struct sl_error *err)
{
    struct sl_epoch_rec com = *last;
    com.phase = SL_EPOCH_COMMITTED;
    int rc = sl_commit_put(c->store, &com, err);
    if (rc)
        return rc;
    last->phase = SL_EPOCH_COMMITTED;
    if (c->o.log)
        fprintf(c->o.log,
                "sluice: job '%s': epoch %" PRId64 " was prepared but not committed; committed "
                "it now\n",
                c->o.job, last->epoch);
    return 0;
}

static int sl_ckpt_do_recover(struct sl_ckpt *c, struct sl_error *err)
{
    int rc = 0;
    if (c->cluster && (!c->leader || c->settled_first)) {
        struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
        size_t nh = 0;
        if ((rc = sl_commit_history(c->store, hist, SL_COMMIT_HISTORY, &nh, err)))
            return rc;
        for (size_t i = 0; i < nh && c->nkept < (uint32_t)c->o.keep; i++)
            c->kept[c->nkept++] = (uint64_t)hist[i].epoch;
        if (!nh)
            goto done;
        if (!c->o.restart && (rc = sl_ckpt_restore(c, &hist[0], err)))
            return rc;
        c->base = c->redo ? c->redo - 1 : (uint64_t)hist[0].epoch;
        c->settled = (uint64_t)hist[0].epoch;
        c->last_full = 0;
        for (int w = 0; w < c->nworkers; w++)
            c->prev[w].n = 0;
        c->restored = c->o.restart ? 0 : c->settled;
        if (c->restored && c->o.log)
            fprintf(c->o.log, "sluice: job '%s': resuming from epoch %" PRIu64 " (%s)\n", c->o.job,
                    c->restored, hist[0].offsets);
        goto done;
    }
    struct sl_epoch_rec last;
    if ((rc = sl_commit_last(c->store, &last, err)))
        return rc;
    struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
    size_t nh = 0;
    if ((rc = sl_commit_history(c->store, hist, SL_COMMIT_HISTORY, &nh, err)))
        return rc;
    for (size_t i = 0; i < nh && c->nkept < (uint32_t)c->o.keep; i++)
        c->kept[c->nkept++] = (uint64_t)hist[i].epoch;
    if (last.phase == SL_EPOCH_NONE)
        goto done;
    bool forward = true;
    if (last.phase == SL_EPOCH_PREPARED && c->o.resolve &&
        (rc = c->o.resolve(c->o.txn_arg, (uint64_t)last.epoch, &forward, err)))
        return rc;
    if (!forward) {
        /* PREPARED E whose transaction did not commit (the crash came before its Kafka
         * commit, which the start aborted): E's output never became visible, so E is rolled
         * back - the committed epoch before it is restored and E is taken again (the store
         * takes PREPARED E after PREPARED E) */
        struct sl_epoch_rec prev = {0};
        for (size_t i = 0; i < nh && !prev.epoch; i++)
            if (hist[i].epoch < last.epoch)
                prev = hist[i];
        if (prev.epoch && !c->o.restart && (rc = sl_ckpt_restore(c, &prev, err)))
            return rc;
        c->base = (uint64_t)last.epoch - 1;
        c->settled = (uint64_t)prev.epoch;
        c->restored = c->o.restart ? 0 : c->settled;
        c->last_full = 0;
        for (int w = 0; w < c->nworkers; w++)
            c->prev[w].n = 0;
        if (c->o.log)
            fprintf(c->o.log,
                    "sluice: job '%s': epoch %" PRId64 " was prepared but its Kafka "
                    "transaction did not commit; rolled back to %s%" PRId64 " (epoch %" PRId64
                    "'s rows are written again)\n",
                    c->o.job, last.epoch, prev.epoch ? "epoch " : "the start, epoch ", prev.epoch,
                    last.epoch);
        goto done;
    }
    if (!c->o.restart && (rc = sl_ckpt_restore(c, &last, err)))
        return rc;
    if (last.phase == SL_EPOCH_PREPARED) {
        if ((rc = sl_ckpt_roll_forward(c, &last, err)))
            return rc;
        memmove(c->kept + 1, c->kept, (SL_CKPT_KEEP_MAX - 1) * sizeof(c->kept[0]));
        c->kept[0] = (uint64_t)last.epoch;
        if (c->nkept < (uint32_t)c->o.keep)
            c->nkept++;
    }
    c->base = (uint64_t)last.epoch;
    c->settled = c->base;
    c->last_full = 0; /* the restored files may be dropped: the next epoch is written whole */
    for (int w = 0; w < c->nworkers; w++)
        c->prev[w].n = 0;
    if (c->o.restart) {
        if (c->o.log)
            fprintf(c->o.log,
                    "sluice: job '%s': --restart: starting anew (epoch %" PRIu64
                    " and before are not restored; the next epoch is %" PRIu64 ")\n",
                    c->o.job, c->base, c->base + 1);
        goto done;
    }
    c->restored = c->base;
    if (c->o.log)
        fprintf(c->o.log, "sluice: job '%s': resuming from epoch %" PRIu64 " (%s)\n", c->o.job,
                c->restored, last.offsets);
done:
    if (!c->restored) /* a fresh start: the job's key groups, fixed from now on */
        c->kg_max = c->o.kg_max ? c->o.kg_max : SL_KG_DEFAULT;
    c->recovered = true;
    return 0;
}

int sl_ckpt_recover(struct sl_ckpt *c, struct sl_error *err)
{
    if (c->recovered)
        return 0;
    return sl_ckpt_do_recover(c, err);
}

int sl_ckpt_open(const struct sl_ckpt_opts *opts, int nworkers, const char *layout,
                 struct sl_ckpt **out, struct sl_error *err)
{
    int rc = sl_ckpt_check_job(opts->job, err);
    if (rc)
        return rc;
    if (!opts->state_dir || !*opts->state_dir)
        return sl_error_set(err, SL_EINVAL, "checkpoints need a state directory (--state-dir)");
    struct sl_ckpt *c = calloc(1, sizeof(*c));
    if (!c)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    c->o = *opts;
    if (c->o.keep < 1)
        c->o.keep = 3;
    if (c->o.keep > SL_CKPT_KEEP_MAX / 2)
        c->o.keep = SL_CKPT_KEEP_MAX / 2;
    if (c->o.full_every < 1)
        c->o.full_every = 1;
    c->nworkers = nworkers;
    c->layout = strdup(layout ? layout : "");
    if (!c->layout) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    c->fingerprint = XXH64(c->layout, strlen(c->layout), 0x51u);
    snprintf(c->dir, sizeof(c->dir), "%s/%s", opts->state_dir, opts->job);
    c->prev = calloc((size_t)nworkers, sizeof(*c->prev));
    if (!c->prev) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = sl_durable_mkdir(opts->state_dir, err)) || (rc = sl_durable_mkdir(c->dir, err)))
        goto fail;
    if ((rc = sl_ckpt_store_open(opts, c->dir, &c->store, err)))
        goto fail;
    c->wall = opts->cluster_workers > 0 ? opts->cluster_workers : nworkers;
    c->lo = opts->cluster_workers > 0 ? opts->cluster_lo : 0;
    c->cluster = opts->cluster_workers > 0;
    rc = sl_commit_acquire(c->store, 0, err);
    if (c->cluster) {
        /* a job over several processes: the latch holder leads, the others are members -
         * they run their workers and do not wait as standbys; recovery comes once the
         * roles are settled (sl_ckpt_recover) */
        if (rc == SL_ETIMEOUT)
            rc = 0;
        else if (!rc)
            c->leader = true;
        if (rc)
            goto fail;
        *out = c;
        return 0;
    }
    if (rc == SL_ETIMEOUT) {
        if (c->o.log)
            fprintf(c->o.log,
                    "sluice: job '%s' is led by another process; waiting as a "
                    "standby\n",
                    opts->job);
        rc = sl_commit_acquire(c->store, opts->standby_timeout_ms, err);
        if (!rc && c->o.log)
            fprintf(c->o.log, "sluice: job '%s': this process is the leader now\n", opts->job);
    }
    if (rc == SL_ESTOPPED) /* SIGINT / SIGTERM: the latch node goes with the store */
        rc = sl_error_set(err, SL_ESTOPPED, "stopped while waiting as a standby for job '%s'",
                          opts->job);
    if (rc)
        goto fail;
    if ((rc = sl_ckpt_do_recover(c, err)))
        goto fail;
    *out = c;
    return 0;
fail:
    sl_ckpt_free(c);
    return rc;
}

uint64_t sl_ckpt_restored_epoch(const struct sl_ckpt *c)
{
    return c->restored;
}

uint64_t sl_ckpt_base_epoch(const struct sl_ckpt *c)
{
    return c->base;
}

uint64_t sl_ckpt_redo_epoch(const struct sl_ckpt *c)
{
    return c->redo;
}

uint64_t sl_ckpt_settled_epoch(const struct sl_ckpt *c)
{
    return c->settled;
}

bool sl_ckpt_is_leader(const struct sl_ckpt *c)
{
    return !c->cluster || c->leader;
}

int sl_ckpt_try_lead(struct sl_ckpt *c, struct sl_error *err)
{
    if (c->leader || !c->cluster)
        return 0;
    int rc = sl_commit_acquire(c->store, 0, err);
    if (rc == SL_ETIMEOUT)
        return 0;
    if (!rc)
        c->leader = true;
    return rc;
}

int sl_ckpt_cluster_settle(struct sl_ckpt *c, uint32_t *kg_max, struct sl_error *err)
{
    struct sl_epoch_rec last;
    int rc = sl_commit_last(c->store, &last, err);
    if (rc)
        return rc;
    /* a PREPARED epoch is rolled forward, as the leader's recovery does - unless the job's
     * Kafka transaction of it did not commit (the writer died before its commit, which the
     * resolve's init_transactions aborted): then the record stays PREPARED, every process
     * restores the last committed epoch of the history, and the epoch's rows are written
     * again (docs/cluster.md, "Exactly-once into Kafka over several processes") */
    bool forward = true;
    if (last.phase == SL_EPOCH_PREPARED && c->o.resolve &&
        (rc = c->o.resolve(c->o.txn_arg, (uint64_t)last.epoch, &forward, err)))
        return rc;
    if (last.phase == SL_EPOCH_PREPARED && forward && (rc = sl_ckpt_roll_forward(c, &last, err)))
        return rc;
    if (!forward && c->o.log)
        fprintf(c->o.log,
                "sluice: job '%s': epoch %" PRId64 " was prepared but its Kafka transaction "
                "did not commit; the cluster resumes from the last committed epoch before it "
                "(epoch %" PRId64 "'s rows are written again)\n",
                c->o.job, last.epoch, last.epoch);
    if (!forward) { /* the next epoch is this one again; the key groups the restored one's */
        c->redo = (uint64_t)last.epoch;
        struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
        size_t nh = 0;
        if ((rc = sl_commit_history(c->store, hist, SL_COMMIT_HISTORY, &nh, err)))
            return rc;
        last = nh ? hist[0] : (struct sl_epoch_rec){.phase = SL_EPOCH_NONE};
    }
    c->settled_first = true;
    *kg_max = c->o.kg_max ? c->o.kg_max : SL_KG_DEFAULT;
    if (last.phase != SL_EPOCH_COMMITTED || c->o.restart)
        return 0;
    struct sl_manifest m;
    if ((rc = sl_manifest_load(c, last.manifest, last.manifest_crc, true, &m, err)))
        return rc;
    if (m.kg_max)
        *kg_max = m.kg_max;
    sl_manifest_free(&m);
    return 0;
}

void sl_ckpt_cluster_range(struct sl_ckpt *c, int workers, int lo)
{
    c->wall = workers;
    c->lo = lo;
}

uint64_t sl_ckpt_fingerprint(const struct sl_ckpt *c)
{
    return c->fingerprint;
}

struct sl_zk *sl_ckpt_zk(struct sl_ckpt *c)
{
    return c->o.zk ? sl_zk_store_handle(c->store) : NULL;
}

const char *sl_ckpt_latch_node(struct sl_ckpt *c)
{
    return c->o.zk ? sl_zk_store_latch_node(c->store) : "";
}

bool sl_ckpt_rescaled(const struct sl_ckpt *c)
{
    return c->restored && c->rescaled;
}

void sl_ckpt_mark_final(struct sl_ckpt *c)
{
    c->final = true;
}

int sl_ckpt_read_record(struct sl_ckpt *c, struct sl_epoch_rec *rec, struct sl_error *err)
{
    return c->store->ops->read(c->store, rec, err);
}

int sl_ckpt_member_committed(struct sl_ckpt *c, const struct sl_epoch_rec *rec, bool *final,
                             bool *finished, struct sl_error *err)
{
    *final = *finished = false;
    struct sl_manifest m;
    int rc = sl_manifest_load(c, rec->manifest, rec->manifest_crc, true, &m, err);
    if (rc)
        return rc;
    *final = m.final;
    *finished = m.finished;
    sl_manifest_free(&m);
    /* the epochs to keep: the store's history (the leader's view), read fresh */
    struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
    size_t nh = 0;
    if ((rc = sl_commit_history(c->store, hist, SL_COMMIT_HISTORY, &nh, err)))
        return rc;
    c->nkept = 0;
    for (size_t i = 0; i < nh && c->nkept < (uint32_t)c->o.keep; i++)
        c->kept[c->nkept++] = (uint64_t)hist[i].epoch;
    return 0;
}

void sl_ckpt_mark_finished(struct sl_ckpt *c)
{
    c->finishing = true;
}

int sl_ckpt_restored_workers(const struct sl_ckpt *c)
{
    return c->restored ? c->rworkers : 0;
}

uint32_t sl_ckpt_kg_max(const struct sl_ckpt *c)
{
    return c->kg_max;
}

const struct sl_ckpt_wstate *sl_ckpt_restored_state(const struct sl_ckpt *c, int worker)
{
    if (!c->rstate || worker < 0 || worker >= c->rworkers || !c->rstate[worker].blocks)
        return NULL;
    return &c->rstate[worker];
}

void sl_ckpt_drop_restored(struct sl_ckpt *c, int worker)
{
    if (c->rstate && worker >= 0 && worker < c->rworkers)
        sl_ckpt_wstate_free(&c->rstate[worker]);
}

static void sl_ckpt_drop_all(struct sl_ckpt *c)
{
    if (c->rstate) {
        for (int w = 0; w < c->rworkers; w++)
            sl_ckpt_wstate_free(&c->rstate[w]);
        free(c->rstate);
        c->rstate = NULL;
    }
}

int sl_ckpt_check_leader(struct sl_ckpt *c, struct sl_error *err)
{
    struct sl_epoch_rec cur;
    struct sl_error e;
    sl_error_clear(&e);
    int rc = c->store->ops->read(c->store, &cur, &e); /* not sl_commit_last: keeps `last` */
    if (rc == SL_EFENCED) {
        c->store->leader = 0;
        return sl_error_set(err, SL_EFENCED, "job '%s' lost its leadership: %s", c->o.job, e.msg);
    }
    if (rc == 0 && !sl_epoch_equal(&cur, &c->store->last)) {
        c->store->leader = 0;
        return sl_error_set(err, SL_EFENCED,
                            "job '%s' is fenced: another process has written the commit store "
                            "(%s) since this one did (epoch %" PRId64 " %s there, this process "
                            "last saw epoch %" PRId64 " %s): it leads the job now",
                            c->o.job, c->store->ops->name, cur.epoch,
                            sl_epoch_phase_name(cur.phase), c->store->last.epoch,
                            sl_epoch_phase_name(c->store->last.phase));
    }
    return 0; /* still the leader, or the store cannot say now: the failure stands as it is */
}

void sl_ckpt_free(struct sl_ckpt *c)
{
    if (!c)
        return;
    sl_ckpt_drop_all(c);
    if (c->prev) {
        for (int w = 0; w < c->nworkers; w++) {
            free(c->prev[w].types);
            free(c->prev[w].origins);
        }
        free(c->prev);
    }
    if (c->pend) {
        for (int w = 0; w < c->nworkers; w++) {
            free(c->pend[w].types);
            free(c->pend[w].origins);
        }
        free(c->pend);
    }
    sl_commit_free(c->store);
    free(c->layout);
    free(c);
}

/* ---- one epoch ----------------------------------------------------------------------------- */

static double sl_ckpt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int sl_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Writes worker w's snapshot of `epoch`; its line of the manifest into `line`. */
static int sl_ckpt_write_worker(struct sl_ckpt *c, uint64_t epoch, int w,
                                const struct sl_ckpt_wstate *ws, bool full,
                                struct sl_ckpt_prev *next, struct sl_sbuf *line, uint64_t *bytes,
                                struct sl_error *err)
{
    char path[SL_CKPT_PATH + 128];
    int gw = c->lo + w; /* files are named by the global worker */
    int rc = sl_snapshot_path(path, sizeof(path), c->dir, c->o.job, (uint32_t)gw, epoch);
    if (rc)
        return sl_error_set(err, rc, "state directory path too long");
    struct sl_snapshot_meta meta = {
        .epoch = epoch, .worker = (uint32_t)gw, .flags = full ? 0 : SL_SNAPSHOT_F_INCREMENTAL};
    snprintf(meta.job, sizeof(meta.job), "%s", c->o.job);
    struct sl_snapshot_writer *wr = NULL;
    if ((rc = sl_snapshot_writer_open(path, &meta, NULL, &wr, err)))
        return rc;
    const struct sl_ckpt_prev *pv = &c->prev[w];
    uint64_t deps[64];
    uint32_t ndeps = 0;
    next->n = 0;
    next->types = calloc(ws->nblocks ? ws->nblocks : 1, sizeof(*next->types));
    next->origins = calloc(ws->nblocks ? ws->nblocks : 1, sizeof(*next->origins));
    if (!next->types || !next->origins) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < ws->nblocks && !rc; i++) {
        const struct sl_ckpt_block *b = &ws->blocks[i];
        uint32_t type = sl_ckpt_pack(b);
        const uint8_t *data = ws->data.p + b->off;
        struct sl_snapshot_ref origin;
        const struct sl_snapshot_ref *same = NULL;
        if (!full && b->len >= 4096) { /* small blocks: a reference saves nothing */
            uint32_t crc = sl_crc32c(0, data, b->len);
            for (uint32_t k = 0; k < pv->n; k++)
                if (pv->types[k] == type && pv->origins[k].crc == crc &&
                    pv->origins[k].length == b->len) {
                    same = &pv->origins[k];
                    break;
                }
        }
        if (same) {
            rc = sl_snapshot_writer_append_ref(wr, type, same, err);
            origin = *same;
            bool have = false;
            for (uint32_t k = 0; k < ndeps; k++)
                have |= deps[k] == same->epoch;
            if (!have && ndeps < 64)
                deps[ndeps++] = same->epoch;
        } else {
            rc = sl_snapshot_writer_append(wr, type, data, b->len, &origin, err);
        }
        next->types[next->n] = type;
        next->origins[next->n++] = origin;
    }
    if (!rc)
        rc = sl_snapshot_writer_commit(wr, bytes, err);
out:
    sl_snapshot_writer_free(wr);
    if (rc)
        return rc;
    qsort(deps, ndeps, sizeof(deps[0]), sl_u64_cmp);
    char buf[SL_CKPT_PATH + 64];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int k = snprintf(buf, sizeof(buf), "worker %d %s %" PRIu64 " ", gw, base, *bytes);
    sl_sbuf_put(line, buf, (size_t)k);
    if (!ndeps)
        sl_sbuf_put(line, "-", 1);
    for (uint32_t i = 0; i < ndeps; i++) {
        k = snprintf(buf, sizeof(buf), "%s%" PRIu64, i ? "," : "", deps[i]);
        sl_sbuf_put(line, buf, (size_t)k);
    }
    sl_sbuf_put(line, "\n", 1);
    return sl_sbuf_check(line, err);
}

/* One worker's file of an epoch, on its own thread. */
struct sl_ckpt_job {
    struct sl_ckpt *c;
    uint64_t epoch;
    int w;
    const struct sl_ckpt_wstate *ws;
    bool full;
    struct sl_ckpt_prev *next;
    struct sl_sbuf line;
    uint64_t bytes;
    int rc;
    struct sl_error err;
    pthread_t thread;
    bool started;
};

static void *sl_ckpt_job_main(void *arg)
{
    struct sl_ckpt_job *j = arg;
    sl_error_clear(&j->err);
    j->rc = sl_ckpt_write_worker(j->c, j->epoch, j->w, j->ws, j->full, j->next, &j->line, &j->bytes,
                                 &j->err);
    return NULL;
}

static void sl_ckpt_prev_free(struct sl_ckpt_prev *p)
{
    free(p->types);
    free(p->origins);
    memset(p, 0, sizeof(*p));
}

static uint64_t sl_ckpt_nonce(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec ^
                 (uint64_t)getpid() << 32;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 29);
}

/* Puts `rec`, retrying while ZooKeeper is unreachable (the outcome is resolved by the store
 * on every attempt); SL_EFENCED and other errors end it. */
static int sl_ckpt_put(struct sl_ckpt *c, const struct sl_epoch_rec *rec, struct sl_error *err)
{
    for (int attempt = 1;; attempt++) {
        int rc = sl_commit_put(c->store, rec, err);
        if (rc != SL_EZK_RETRY)
            return rc;
        if (c->o.log)
            fprintf(c->o.log,
                    "sluice: job '%s': committing epoch %" PRId64 " (%s): %s; "
                    "retrying (attempt %d)\n",
                    c->o.job, rec->epoch, sl_epoch_phase_name(rec->phase), err->msg, attempt + 1);
        struct sl_epoch_rec cur;
        struct sl_error e2;
        if (sl_commit_last(c->store, &cur, &e2) == 0 && sl_epoch_equal(&cur, rec))
            return 0; /* it was applied after all */
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int sl_ckpt_write_files(struct sl_ckpt *c, uint64_t epoch, const struct sl_ckpt_wstate *ws,
                        struct sl_ckpt_stats *st, struct sl_sbuf *lines, struct sl_sbuf *offs,
                        struct sl_error *err)
{
    memset(st, 0, sizeof(*st));
    st->epoch = epoch;
    double t0 = sl_ckpt_now();
    bool full = c->last_full == 0 || epoch - c->last_full >= (uint64_t)c->o.full_every;
    if (c->pend) { /* an earlier attempt's references: not taken */
        for (int w = 0; w < c->nworkers; w++)
            sl_ckpt_prev_free(&c->pend[w]);
        free(c->pend);
        c->pend = NULL;
    }
    struct sl_ckpt_prev *next = calloc((size_t)c->nworkers, sizeof(*next));
    if (!next)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = 0;
    sl_crash_point("ckpt.before_snapshot");
    /* the workers' files are written at the same time (one thread each): their writes and
     * fsyncs overlap instead of queueing one file behind the other */
    struct sl_ckpt_job *jobs = calloc((size_t)c->nworkers, sizeof(*jobs));
    if (!jobs) {
        free(next);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    for (int w = 0; w < c->nworkers; w++) {
        jobs[w] = (struct sl_ckpt_job){
            .c = c, .epoch = epoch, .w = w, .ws = &ws[w], .full = full, .next = &next[w]};
        sl_sbuf_init(&jobs[w].line);
        jobs[w].started =
            w > 0 && pthread_create(&jobs[w].thread, NULL, sl_ckpt_job_main, &jobs[w]) == 0;
    }
    for (int w = 0; w < c->nworkers; w++) {
        if (w == 0 || !jobs[w].started)
            sl_ckpt_job_main(&jobs[w]); /* worker 0's file on this thread */
    }
    for (int w = 0; w < c->nworkers; w++) {
        if (jobs[w].started)
            pthread_join(jobs[w].thread, NULL);
    }
    for (int w = 0; w < c->nworkers; w++) {
        if (jobs[w].rc && !rc) {
            rc = jobs[w].rc;
            *err = jobs[w].err;
        }
        st->bytes += jobs[w].bytes;
        st->state_bytes += ws[w].data.len;
        sl_sbuf_put(lines, jobs[w].line.p, jobs[w].line.len);
        sl_sbuf_free(&jobs[w].line);
        if (ws[w].summary.len) {
            if (offs->len)
                sl_sbuf_put(offs, ",", 1);
            sl_sbuf_put(offs, ws[w].summary.p, ws[w].summary.len);
        }
    }
    free(jobs);
    if (!rc)
        rc = sl_sbuf_check(lines, err);
    if (!rc)
        rc = sl_sbuf_check(offs, err);
    if (rc) {
        for (int w = 0; w < c->nworkers; w++)
            sl_ckpt_prev_free(&next[w]);
        free(next);
        struct sl_error e2;
        sl_error_set(&e2, rc, "checkpoint %" PRIu64 " failed (nothing of it was committed): %s",
                     epoch, err->msg);
        *err = e2;
        return rc;
    }
    sl_crash_point("ckpt.after_snapshot");
    st->write_s = sl_ckpt_now() - t0;
    c->pend = next;
    c->pend_epoch = full ? epoch : 0;
    return 0;
}

void sl_ckpt_files_taken(struct sl_ckpt *c)
{
    if (!c->pend)
        return;
    if (c->pend_epoch)
        c->last_full = c->pend_epoch;
    for (int w = 0; w < c->nworkers; w++) {
        sl_ckpt_prev_free(&c->prev[w]);
        c->prev[w] = c->pend[w];
    }
    free(c->pend);
    c->pend = NULL;
}

/* The newest committed epoch first in c->kept. */
static void sl_ckpt_keep(struct sl_ckpt *c, uint64_t epoch)
{
    if (c->nkept && c->kept[0] >= epoch)
        return;
    memmove(c->kept + 1, c->kept, (SL_CKPT_KEEP_MAX - 1) * sizeof(c->kept[0]));
    c->kept[0] = epoch;
    if (c->nkept < (uint32_t)c->o.keep)
        c->nkept++;
}

int sl_ckpt_commit_lines(struct sl_ckpt *c, uint64_t epoch, int workers,
                         const struct sl_sbuf *lines, const struct sl_sbuf *offs,
                         struct sl_ckpt_stats *st, struct sl_error *err)
{
    struct sl_sbuf man;
    bool putting = false;
    sl_sbuf_init(&man);
    int rc = 0;
    char buf[512];
    double t1 = sl_ckpt_now();
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t time_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    int k = snprintf(buf, sizeof(buf),
                     "sluice-manifest 1\njob %s\nepoch %" PRIu64 "\ntime-ms %" PRIu64
                     "\nworkers %d\nfingerprint %016" PRIx64 "\nstate-bytes %" PRIu64 "\n",
                     c->o.job, epoch, time_ms, workers, c->fingerprint, st->state_bytes);
    sl_sbuf_put(&man, buf, (size_t)k);
    if (c->kg_max) { /* not for a job that routes as before key groups (its old epoch) */
        k = snprintf(buf, sizeof(buf), "max-parallelism %u\n", c->kg_max);
        sl_sbuf_put(&man, buf, (size_t)k);
    }
    for (const char *l = c->layout; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        sl_sbuf_put(&man, "layout ", 7);
        sl_sbuf_put(&man, l, n);
        sl_sbuf_put(&man, "\n", 1);
        l += n + (e != NULL);
    }
    sl_sbuf_put(&man, lines->p, lines->len);
    sl_sbuf_put(&man, "offsets ", 8);
    sl_sbuf_put(&man, offs->len ? (const char *)offs->p : "-", offs->len ? offs->len : 1);
    if (c->finishing)
        sl_sbuf_put(&man, "\nfinished 1", 11);
    if (c->final || c->finishing) /* a cluster's members stop after it */
        sl_sbuf_put(&man, "\nfinal 1", 8);
    sl_sbuf_put(&man, "\nend\n", 5);
    if ((rc = sl_sbuf_check(&man, err)))
        goto out;
    char name[64];
    snprintf(name, sizeof(name), "manifest-%" PRIu64, epoch);
    if ((rc = sl_durable_write(c->dir, name, man.p, man.len, "manifest", &sl_ckpt_manifest_points,
                               err)))
        goto out;
    sl_crash_point("ckpt.after_manifest");
    struct sl_epoch_rec rec = {.epoch = (int64_t)epoch,
                               .phase = SL_EPOCH_PREPARED,
                               .nonce = sl_ckpt_nonce(),
                               .manifest_crc = sl_crc32c(0, man.p, man.len)};
    snprintf(rec.manifest, sizeof(rec.manifest), "%s", name);
    size_t ol = offs->len < SL_EPOCH_OFFSETS_MAX - 1 ? offs->len : SL_EPOCH_OFFSETS_MAX - 1;
    memcpy(rec.offsets, offs->len ? (const char *)offs->p : "-", offs->len ? ol : 1);
    if (offs->len > ol) /* the manifest has them all */
        memcpy(rec.offsets + ol - 3, "...", 3);
    if (c->o.precommit && (rc = c->o.precommit(c->o.txn_arg, epoch, err)))
        goto out;
    putting = true; /* from here a failure may leave the record in the store */
    if ((rc = sl_ckpt_put(c, &rec, err)))
        goto out;
    sl_crash_point("ckpt.after_prepared");
    if (c->o.commit_txn && (rc = c->o.commit_txn(c->o.txn_arg, epoch, err)))
        goto out;
    sl_crash_point("ckpt.after_txn_commit");
    rec.phase = SL_EPOCH_COMMITTED;
    if ((rc = sl_ckpt_put(c, &rec, err)))
        goto out;
    sl_crash_point("ckpt.after_committed");
    st->commit_s = sl_ckpt_now() - t1;
    sl_ckpt_files_taken(c);
    sl_ckpt_keep(c, epoch);
out:
    sl_sbuf_free(&man);
    if (rc && rc != SL_EFENCED) {
        struct sl_error e2;
        if (putting) /* e.g. a file store whose directory fsync failed after the rename */
            sl_error_set(&e2, rc,
                         "checkpoint %" PRIu64 " failed while its record was written (it "
                         "counts only if the record reached the store: the next start "
                         "settles it, and its files are kept until a later epoch commits): %s",
                         epoch, err->msg);
        else
            sl_error_set(&e2, rc, "checkpoint %" PRIu64 " failed (nothing of it was committed): %s",
                         epoch, err->msg);
        *err = e2;
    }
    return rc;
}

int sl_ckpt_commit_epoch(struct sl_ckpt *c, uint64_t epoch, const struct sl_ckpt_wstate *ws,
                         struct sl_ckpt_stats *st, struct sl_error *err)
{
    struct sl_sbuf lines, offs;
    sl_sbuf_init(&lines);
    sl_sbuf_init(&offs);
    int rc = sl_ckpt_write_files(c, epoch, ws, st, &lines, &offs, err);
    if (!rc)
        rc = sl_ckpt_commit_lines(c, epoch, c->nworkers, &lines, &offs, st, err);
    sl_sbuf_free(&lines);
    sl_sbuf_free(&offs);
    return rc;
}

/* ---- cleanup ------------------------------------------------------------------------------- */

/* "<job>-w<k>-e<epoch>.snap[.tmp]" or "manifest-<epoch>[.tmp]" -> epoch; 0 when neither. */
static uint64_t sl_ckpt_file_epoch(const struct sl_ckpt *c, const char *name)
{
    size_t jl = strlen(c->o.job);
    const char *p = NULL;
    if (!strncmp(name, "manifest-", 9)) {
        p = name + 9;
    } else if (!strncmp(name, c->o.job, jl) && name[jl] == '-' && name[jl + 1] == 'w') {
        p = strstr(name + jl + 2, "-e");
        if (!p)
            return 0;
        p += 2;
    } else {
        return 0;
    }
    char *end;
    unsigned long long e = strtoull(p, &end, 10);
    if (end == p)
        return 0;
    if (*end && strcmp(end, ".tmp") && strcmp(end, ".snap") && strcmp(end, ".snap.tmp"))
        return 0;
    return e;
}

int sl_ckpt_cleanup(struct sl_ckpt *c, struct sl_error *err)
{
    if (!c->nkept)
        return 0;
    uint64_t need[SL_CKPT_KEEP_MAX * 65];
    size_t nneed = 0;
    for (uint32_t i = 0; i < c->nkept; i++) {
        need[nneed++] = c->kept[i];
        char name[64];
        snprintf(name, sizeof(name), "manifest-%" PRIu64, c->kept[i]);
        struct sl_manifest m;
        struct sl_error e2;
        if (sl_manifest_load(c, name, 0, false, &m, &e2) != 0) {
            /* cannot tell what it needs: delete nothing older */
            return sl_error_set(err, SL_ECORRUPT, "cleanup skipped: %s", e2.msg);
        }
        for (int w = 0; w < m.workers; w++)
            for (uint32_t d = 0; d < m.w[w].ndeps && nneed < sizeof(need) / sizeof(need[0]); d++)
                need[nneed++] = m.w[w].deps[d];
        sl_manifest_free(&m);
    }
    DIR *d = opendir(c->dir);
    if (!d)
        return sl_error_set(err, SL_EIO, "%s: %s", c->dir, strerror(errno));
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t e = sl_ckpt_file_epoch(c, de->d_name);
        if (!e || e > c->kept[0])
            continue; /* above the last committed epoch: one in flight (a cluster member's
                       * files of the next epoch, written before the leader commits it) */
        bool keep = false;
        for (size_t i = 0; i < nneed && !keep; i++)
            keep = need[i] == e;
        if (keep)
            continue;
        char path[SL_CKPT_PATH + 300];
        snprintf(path, sizeof(path), "%s/%s", c->dir, de->d_name);
        if (unlink(path) != 0 && errno != ENOENT && !rc)
            rc = sl_error_set(err, SL_EIO, "cannot delete %s: %s", path, strerror(errno));
    }
    closedir(d);
    return rc;
}

/* ---- listing ------------------------------------------------------------------------------- */

int sl_ckpt_list(const struct sl_ckpt_opts *opts, FILE *out, struct sl_error *err)
{
    int rc = sl_ckpt_check_job(opts->job, err);
    if (rc)
        return rc;
    struct sl_ckpt c = {.o = *opts};
    snprintf(c.dir, sizeof(c.dir), "%s/%s", opts->state_dir ? opts->state_dir : ".", opts->job);
    if (!opts->zk) {
        char path[SL_CKPT_PATH + 16];
        snprintf(path, sizeof(path), "%s/commit", c.dir);
        if (access(path, F_OK) != 0)
            return sl_error_set(err, SL_ENOTFOUND,
                                "job '%s' has no checkpoints in %s (no %s; with ZooKeeper, "
                                "give --zk)",
                                opts->job, c.dir, path);
    }
    struct sl_commit_store *s = NULL;
    if ((rc = sl_ckpt_store_open(opts, c.dir, &s, err)))
        return rc;
    struct sl_epoch_rec last, hist[SL_COMMIT_HISTORY];
    size_t nh = 0;
    if ((rc = sl_commit_last(s, &last, err)) ||
        (rc = sl_commit_history(s, hist, SL_COMMIT_HISTORY, &nh, err))) {
        sl_commit_free(s);
        return rc;
    }
    fprintf(out, "job %s (%s store%s%s): current record: epoch %" PRId64 " %s\n", opts->job,
            s->ops->name, opts->zk ? " " : ", ", opts->zk ? opts->zk : c.dir, last.epoch,
            sl_epoch_phase_name(last.phase));
    sl_commit_free(s);
    if (!nh) {
        fprintf(out, "no committed epoch\n");
        return 0;
    }
    fprintf(out, "%-8s %-24s %12s  %s\n", "epoch", "time (UTC)", "state", "offsets");
    for (size_t i = 0; i < nh; i++) {
        struct sl_manifest m;
        struct sl_error e2;
        char when[40] = "-", size[32] = "-";
        bool fin = false;
        if (opts->state_dir && sl_manifest_load(&c, hist[i].manifest, 0, false, &m, &e2) == 0) {
            fin = m.finished;
            when[sl_dt_format(when, m.time_ms, SL_DT_SQL)] = '\0';
            snprintf(size, sizeof(size), "%" PRIu64 " B", m.state_bytes);
            sl_manifest_free(&m);
        } else if (opts->state_dir) {
            snprintf(when, sizeof(when), "(manifest deleted)");
        }
        fprintf(out, "%-8" PRId64 " %-24s %12s  %s%s\n", hist[i].epoch, when, size, hist[i].offsets,
                fin ? "  (finished: the bounded input ended)" : "");
    }
    return 0;
}
