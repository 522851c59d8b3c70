/*
 * engine/conn/datagen.c - the 'datagen' source: Flink's DataGen connector (random or
 * sequence values for every column), with Flink's option names and defaults
 * (DataGenConnectorOptions, RandomGeneratorVisitor, SequenceGeneratorVisitor,
 * DataGeneratorSource in Flink 1.20).
 *
 * OPTIONS
 *   'rows-per-second'        default 10000: rows per second of the whole table. As Flink's
 *                            DataGeneratorSource, each worker emits its share in a burst at
 *                            the start of every second (rows/N, the first rows%N workers one
 *                            more; a worker whose share would be 0 emits 1 - Flink's would
 *                            emit nothing ever).
 *   'number-of-rows'         bounds the table: worker w of N emits n/N rows, one more when
 *                            w < n%N (Flink's split). Unset: unbounded.
 *   'fields.<f>.kind'        'random' (default) or 'sequence'
 *   random:   '.min' '.max'  numbers (INT, BIGINT, DOUBLE, DECIMAL); default the type's whole
 *                            range (DOUBLE: Double.MIN_VALUE .. Double.MAX_VALUE, DECIMAL:
 *                            the values of its precision, Flink's DecimalDataRandomGenerator)
 *             '.length'      STRING: hex characters (default 100, as Flink's nextHexString;
 *                            sluice keeps no VARCHAR(n) length, so the default is always
 *                            100); BYTES: random bytes (default 100); MAP: entries (default 3,
 *                            keys '.key.length' hex characters, values '.value.length' bytes)
 *             '.var-len'     'true': a length drawn from [1, length) per value (Flink)
 *             '.max-past'    TIMESTAMP(3) / TIMESTAMP_LTZ(3): now minus a random duration in
 *                            [0, max-past] (default 0: now)
 *             '.null-rate'   probability of NULL (0 .. 1; the column must be nullable)
 *   sequence: '.start' '.end' required, start < end: each value of [start, end] exactly once
 *                            across the workers; worker w of N emits start + w, start + w + N,
 *                            ... (Flink's SequenceGenerator), and the table ends when its
 *                            first sequence does. INT, BIGINT, DOUBLE, DECIMAL (start and end
 *                            as INT, as in Flink), STRING (the number as text), BYTES (8
 *                            bytes big-endian, Flink's Longs.toByteArray); BOOLEAN is random
 *                            (as in Flink); TIMESTAMP and MAP are refused.
 *   'sluice.seed'            sluice's own: the random values' seed (default: from the clock).
 *                            With a seed a run is repeatable (timestamps aside: they follow
 *                            the clock); Flink's datagen has none.
 * An option for a column that does not exist, or one that does not apply to the column's
 * type or kind, is an error naming the table and the option (Flink's "Unsupported options").
 *
 * RANDOMNESS
 * Every column of every worker draws from its own splitmix64 stream (seeded by seed, worker
 * and column): the null decision, then the value, row by row. So the values depend only on
 * (seed, worker count, worker, row index), never on how rows fall into batches, and a
 * checkpoint is the streams' states plus the row count.
 *
 * CHECKPOINTS
 * save (per worker = per split): the rows emitted, whether done, the worker count, a
 * fingerprint of the options ('rows-per-second' excepted: the rate may change) and the state
 * of every column's random stream. restore: the worker continues at that row with those
 * streams, so a restored run emits exactly the rows the uninterrupted one would have (every
 * sequence value once). A changed worker count or option is an error naming it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/conn/conn_impl.h"
#include "engine/conn/registry.h"

enum dg_kind { DG_RANDOM, DG_SEQUENCE };

#define DG_MAX_LENGTH (1 << 20) /* '.length' cap: a batch of such strings is ~2 GiB */

struct dg_col {
    enum dg_kind kind;
    struct sl_type type;
    bool skip; /* nobody reads it (prune): left NULL / unset */
    double null_rate;
    int64_t lo, hi;  /* random integers, sequence start / end */
    double dlo, dhi; /* random DOUBLE / DECIMAL */
    int64_t length;  /* strings, bytes, map entries */
    int64_t key_len, val_len;
    bool var_len;
    int64_t max_past_ms;
};

struct dg_worker {
    int64_t emitted;
    int64_t total;    /* rows of this worker; INT64_MAX unbounded */
    int64_t burst;    /* rows per second */
    int64_t start_ns; /* first poll (after a restore), 0 before */
    int64_t pace_from;
    uint64_t *rng; /* per column */
    char pad[64];
};

struct dg_source {
    struct sl_source base;
    int nworkers;
    uint32_t ncols;
    struct dg_col *cols;
    uint64_t fingerprint;
    struct dg_worker *w;
    char *scratch; /* per worker, DG_SCRATCH bytes each: a value being built */
    size_t scratch_cap;
};

/* ---- random -------------------------------------------------------------------------------- */

static inline uint64_t dg_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (both inclusive, as Flink's RandomDataGenerator.nextLong). */
static inline int64_t dg_range(uint64_t *s, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1; /* 0: the whole 64-bit range */
    uint64_t x = dg_next(s);
    if (span == 0)
        return (int64_t)x;
    return (int64_t)((uint64_t)lo + (uint64_t)(((unsigned __int128)x * span) >> 64));
}

/* Uniform in [0, 1). */
static inline double dg_unit(uint64_t *s)
{
    return (double)(dg_next(s) >> 11) * 0x1.0p-53;
}

static int64_t dg_now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- filling ------------------------------------------------------------------------------- */

static const char dg_hex[] = "0123456789abcdef";

/* Random hex text or bytes of `len` into p. */
static void dg_fill_bytes(uint64_t *s, char *p, int64_t len, bool hex)
{
    int64_t i = 0;
    while (i < len) {
        uint64_t x = dg_next(s);
        for (int k = 0; k < (hex ? 16 : 8) && i < len; k++, i++) {
            p[i] = hex ? dg_hex[x & 15] : (char)(x & 0xff);
            x >>= hex ? 4 : 8;
        }
    }
}

static int64_t dg_len(uint64_t *s, const struct dg_col *c, int64_t len)
{
    return c->var_len ? dg_range(s, 1, len - 1) : len;
}

/* Sets row r of column `col` to the value of row `idx` of worker w. */
static int dg_value(struct dg_source *src, int worker, struct sl_batch *b, uint32_t ci, uint32_t r,
                    int64_t idx, int64_t now_ms, char *scratch)
{
    const struct dg_col *c = &src->cols[ci];
    struct sl_column *col = &b->cols[ci];
    uint64_t *s = &src->w[worker].rng[ci];
    if (c->null_rate > 0 && dg_unit(s) < c->null_rate) {
        sl_col_set_null(col, r, true);
        return 0;
    }
    bool sequence = c->kind == DG_SEQUENCE;
    /* the sequence's value (within [lo, hi]: idx is below this worker's count) */
    int64_t seq =
        (int64_t)((uint64_t)c->lo + (uint64_t)worker + (uint64_t)idx * (uint64_t)src->nworkers);
    switch (c->type.id) {
    case SL_TYPE_BOOLEAN:
        sl_col_bool(col)[r] = (uint8_t)(dg_next(s) >> 63);
        return 0;
    case SL_TYPE_INT:
        sl_col_i32(col)[r] = (int32_t)(sequence ? seq : dg_range(s, c->lo, c->hi));
        return 0;
    case SL_TYPE_BIGINT:
        sl_col_i64(col)[r] = sequence ? seq : dg_range(s, c->lo, c->hi);
        return 0;
    case SL_TYPE_DOUBLE:
        sl_col_f64(col)[r] = sequence ? (double)seq : c->dlo + dg_unit(s) * (c->dhi - c->dlo);
        return 0;
    case SL_TYPE_DECIMAL: {
        double scale = pow(10.0, c->type.scale);
        if (sequence) {
            sl_col_i64(col)[r] = seq * (int64_t)scale;
            return 0;
        }
        /* Flink: a double in [min, max), cut to the precision (RoundingMode.DOWN) */
        double v = (c->dlo + dg_unit(s) * (c->dhi - c->dlo)) * scale;
        sl_col_i64(col)[r] = (int64_t)trunc(v);
        return 0;
    }
    case SL_TYPE_TIMESTAMP:
        sl_col_i64(col)[r] = now_ms - (c->max_past_ms > 0 ? dg_range(s, 0, c->max_past_ms) : 0);
        return 0;
    case SL_TYPE_VARCHAR:
        break;
    default:
        return SL_EINVAL;
    }
    uint32_t n;
    if (sl_type_is_map(c->type)) {
        /* n entries: key (hex), value (bytes); the encoding of engine/core/types.h */
        char *p = scratch;
        uint32_t entries = (uint32_t)c->length;
        memcpy(p, &entries, 4);
        p += 4;
        for (uint32_t e = 0; e < entries; e++) {
            uint32_t kl = (uint32_t)c->key_len, vl = (uint32_t)c->val_len;
            memcpy(p, &kl, 4);
            dg_fill_bytes(s, p + 4, kl, true);
            p += 4 + kl;
            memcpy(p, &vl, 4);
            dg_fill_bytes(s, p + 4, vl, false);
            p += 4 + vl;
        }
        n = (uint32_t)(p - scratch);
    } else if (sequence && sl_type_is_bytes(c->type)) {
        for (int k = 0; k < 8; k++)
            scratch[k] = (char)((uint64_t)seq >> (56 - 8 * k));
        n = 8;
    } else if (sequence) {
        n = (uint32_t)snprintf(scratch, 24, "%" PRId64, seq);
    } else {
        n = (uint32_t)dg_len(s, c, c->length);
        dg_fill_bytes(s, scratch, n, !sl_type_is_bytes(c->type));
    }
    sl_str v = sl_batch_str(b, scratch, n);
    if (!sl_str_ok(v))
        return SL_ENOMEM;
    sl_col_str(col)[r] = v;
    return 0;
}

static int dg_poll(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_batch *b,
                   int timeout_ms, struct sl_source_info *info, struct sl_error *err)
{
    (void)timeout_ms; /* an idle worker sleeps in the executor until info->wake_ns */
    struct dg_source *src = (struct dg_source *)s;
    int worker = ctx->worker;
    struct dg_worker *w = &src->w[worker];
    info->split = worker;
    info->split_done = info->worker_done = false;
    if (w->emitted >= w->total) {
        info->split_done = info->worker_done = true;
        return 0;
    }
    int64_t now = dg_now_ns(CLOCK_MONOTONIC);
    if (!w->start_ns)
        w->start_ns = now;
    /* Flink's bursts: `burst` rows at the start of every second */
    int64_t sec = (now - w->start_ns) / 1000000000;
    int64_t due =
        w->burst > INT64_MAX / (sec + 2) ? INT64_MAX : w->pace_from + (sec + 1) * w->burst;
    if (due <= w->emitted) {
        info->wake_ns = w->start_ns + (sec + 1) * 1000000000;
        return 0;
    }
    int64_t n = due - w->emitted;
    if (n > w->total - w->emitted)
        n = w->total - w->emitted;
    if (n > (int64_t)(SL_BATCH_CAP - b->rows))
        n = SL_BATCH_CAP - b->rows;
    if (ctx->poll_max && n > (int64_t)ctx->poll_max) /* a rate limit's tokens */
        n = ctx->poll_max;
    int64_t now_ms = dg_now_ns(CLOCK_REALTIME) / 1000000;
    char *scratch = src->scratch + (size_t)worker * src->scratch_cap;
    uint32_t r0 = b->rows;
    for (uint32_t ci = 0; ci < src->ncols; ci++) {
        if (src->cols[ci].skip)
            continue;
        for (int64_t k = 0; k < n; k++) {
            int rc =
                dg_value(src, worker, b, ci, r0 + (uint32_t)k, w->emitted + k, now_ms, scratch);
            if (rc)
                return sl_error_set(err, rc, "datagen table '%s': column '%s': %s", s->table->name,
                                    s->table->physical.cols[ci].name, sl_strerror(rc));
        }
    }
    b->rows += (uint32_t)n;
    w->emitted += n;
    sl_stats_add(&ctx->stats->rows_in, (uint64_t)n);
    if (w->emitted >= w->total)
        info->split_done = info->worker_done = true;
    return 0;
}

static int dg_splits(struct sl_source *s, int worker, int32_t *ids, uint32_t cap, uint32_t *n)
{
    (void)s;
    *n = 1;
    if (cap < 1)
        return SL_EFULL;
    ids[0] = worker;
    return 0;
}

static void dg_free(struct sl_source *s)
{
    struct dg_source *src = (struct dg_source *)s;
    if (!src)
        return;
    if (src->w)
        for (int i = 0; i < src->nworkers; i++)
            free(src->w[i].rng);
    free(src->w);
    free(src->cols);
    free(src->scratch);
    free(src);
}

static void dg_prune(struct sl_source *s, const bool *needed, uint32_t ncols)
{
    struct dg_source *src = (struct dg_source *)s;
    for (uint32_t c = 0; c < ncols && c < src->ncols; c++)
        src->cols[c].skip = !needed[c];
}

/* ---- checkpoints --------------------------------------------------------------------------- */

#define DG_STATE_MAGIC 0x31534744u /* "DGS1" */

static int dg_save(struct sl_source *s, int worker, struct sl_sbuf *out, struct sl_sbuf *summary,
                   struct sl_error *err)
{
    struct dg_source *src = (struct dg_source *)s;
    const struct dg_worker *w = &src->w[worker];
    sl_sbuf_put_u32(out, DG_STATE_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)src->nworkers);
    sl_sbuf_put_u32(out, (uint32_t)worker);
    sl_sbuf_put_i64(out, w->emitted);
    sl_sbuf_put_u8(out, w->emitted >= w->total);
    sl_sbuf_put_u64(out, src->fingerprint);
    sl_sbuf_put_u32(out, src->ncols);
    for (uint32_t c = 0; c < src->ncols; c++)
        sl_sbuf_put_u64(out, w->rng[c]);
    char text[48];
    int len = snprintf(text, sizeof(text), "%d=%" PRId64, worker, w->emitted);
    sl_sbuf_put(summary, text, (size_t)len);
    int rc = sl_sbuf_check(out, err);
    return rc ? rc : sl_sbuf_check(summary, err);
}

static int dg_restore(struct sl_source *s, struct sl_worker_ctx *ctx, struct sl_sread *in,
                      struct sl_error *err)
{
    struct dg_source *src = (struct dg_source *)s;
    int worker = ctx->worker;
    struct dg_worker *w = &src->w[worker];
    uint32_t magic, nworkers, split, ncols;
    int64_t emitted;
    uint8_t done;
    uint64_t fp;
    int rc;
    char msg[200];
    if ((rc = sl_sread_u32(in, &magic, err)))
        return rc;
    if (magic != DG_STATE_MAGIC)
        return sl_sread_fail(in, err, "not the state of a datagen source");
    if ((rc = sl_sread_u32(in, &nworkers, err)) || (rc = sl_sread_u32(in, &split, err)) ||
        (rc = sl_sread_i64(in, &emitted, err)) || (rc = sl_sread_u8(in, &done, err)) ||
        (rc = sl_sread_u64(in, &fp, err)) || (rc = sl_sread_u32(in, &ncols, err)))
        return rc;
    if (nworkers != (uint32_t)src->nworkers) {
        snprintf(msg, sizeof(msg), "saved by %" PRIu32 " workers, restored into %d", nworkers,
                 src->nworkers);
        return sl_sread_fail(in, err, msg);
    }
    if (split != (uint32_t)worker) {
        snprintf(msg, sizeof(msg), "the state of split %" PRIu32 " given to worker %d", split,
                 worker);
        return sl_sread_fail(in, err, msg);
    }
    if (fp != src->fingerprint || ncols != src->ncols)
        return sl_sread_fail(in, err,
                             "the table's columns or options differ from the checkpoint's (only "
                             "'rows-per-second' may change)");
    if (emitted < 0 || emitted > w->total || done > 1 || (done != 0) != (emitted >= w->total))
        return sl_sread_fail(in, err, "row count does not fit the table");
    for (uint32_t c = 0; c < ncols; c++)
        if ((rc = sl_sread_u64(in, &w->rng[c], err)))
            return rc;
    if ((rc = sl_sread_end(in, err)))
        return rc;
    w->emitted = emitted;
    w->pace_from = emitted;
    w->start_ns = 0;
    return 0;
}

static const struct sl_source_ops dg_ops = {.poll = dg_poll,
                                            .splits = dg_splits,
                                            .free = dg_free,
                                            .prune = dg_prune,
                                            .save = dg_save,
                                            .restore = dg_restore};

/* ---- options ------------------------------------------------------------------------------- */

static const char *const dg_keys[] = {"rows-per-second", "number-of-rows", "sluice.seed", NULL};
static const char *const dg_prefixes[] = {"fields.", NULL};

/* The field options: which apply to which columns. */
enum {
    DG_O_KIND = 1 << 0,
    DG_O_MIN = 1 << 1,
    DG_O_MAX = 1 << 2,
    DG_O_LENGTH = 1 << 3,
    DG_O_VARLEN = 1 << 4,
    DG_O_MAXPAST = 1 << 5,
    DG_O_NULLRATE = 1 << 6,
    DG_O_START = 1 << 7,
    DG_O_END = 1 << 8,
    DG_O_KEYLEN = 1 << 9,
    DG_O_VALLEN = 1 << 10,
};
static const char *const dg_field_opts[] = {"kind",    "min",        "max",          "length",
                                            "var-len", "max-past",   "null-rate",    "start",
                                            "end",     "key.length", "value.length", NULL};

/* The option bits that apply to a column of type t and kind k. */
static unsigned dg_applies(struct sl_type t, enum dg_kind k)
{
    if (k == DG_SEQUENCE)
        return t.id == SL_TYPE_BOOLEAN ? DG_O_KIND : DG_O_KIND | DG_O_START | DG_O_END;
    unsigned base = DG_O_KIND | DG_O_NULLRATE;
    if (sl_type_is_map(t))
        return base | DG_O_LENGTH | DG_O_KEYLEN | DG_O_VALLEN;
    if (t.id == SL_TYPE_VARCHAR)
        return base | DG_O_LENGTH | DG_O_VARLEN;
    if (t.id == SL_TYPE_TIMESTAMP)
        return base | DG_O_MAXPAST;
    if (t.id == SL_TYPE_BOOLEAN)
        return base;
    return base | DG_O_MIN | DG_O_MAX;
}

/* "fields.<col>.<opt>": the column (longest name that fits: flattened ROW names hold dots) and
 * the option's index in dg_field_opts; -1 when no column or option fits. */
static int dg_field_key(const struct sl_table *t, const char *key, uint32_t *col)
{
    const char *rest = key + strlen("fields.");
    int found = -1;
    size_t best = 0;
    for (uint32_t c = 0; c < t->physical.ncols; c++) {
        const char *name = t->physical.cols[c].name;
        size_t n = strlen(name);
        if (strncmp(rest, name, n) != 0 || rest[n] != '.' || n < best)
            continue;
        for (int o = 0; dg_field_opts[o]; o++)
            if (strcmp(rest + n + 1, dg_field_opts[o]) == 0) {
                found = o;
                best = n;
                *col = c;
            }
    }
    return found;
}

static const struct sl_option *dg_fopt(const struct sl_table *t, const char *col, const char *opt)
{
    char key[512];
    snprintf(key, sizeof(key), "fields.%s.%s", col, opt);
    return sl_conn_opt(t, key);
}

/* A number option of a field: integer (is_int) or double. */
static int dg_num(const struct sl_table *t, const struct sl_connector_env *env,
                  const struct sl_option *o, bool is_int, int64_t lo, int64_t hi, int64_t *iv,
                  double *dv, struct sl_error *err)
{
    char *end;
    const char *s = o->value;
    if (is_int) {
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || *end || errno)
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL, "option '%s': '%s' is not %s",
                                  o->key, s, lo == INT32_MIN ? "an INT" : "a BIGINT");
        if (v < lo || v > hi)
            return sl_conn_err_at(env, t, o->pos, err, SL_ERANGE,
                                  "option '%s': %lld is out of range [%" PRId64 ", %" PRId64 "]",
                                  o->key, v, lo, hi);
        *iv = v;
        return 0;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL, "option '%s': '%s' is not a number",
                              o->key, s);
    *dv = v;
    return 0;
}

static int dg_column(const struct sl_table *t, const struct sl_connector_env *env, uint32_t ci,
                     struct dg_col *c, struct sl_error *err)
{
    const struct sl_rel_col *rc = &t->physical.cols[ci];
    const char *name = rc->name;
    char tname[64];
    sl_type_format(rc->type, tname, sizeof(tname));
    c->type = rc->type;
    c->kind = DG_RANDOM;
    const struct sl_option *o = dg_fopt(t, name, "kind");
    if (o) {
        if (strcmp(o->value, "sequence") == 0)
            c->kind = DG_SEQUENCE;
        else if (strcmp(o->value, "random") != 0)
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                  "option '%s': '%s' is not 'random' or 'sequence'", o->key,
                                  o->value);
    }
    int rv;
    if (c->kind == DG_SEQUENCE) {
        if (c->type.id == SL_TYPE_BOOLEAN) {
            c->kind = DG_RANDOM; /* Flink: a BOOLEAN sequence is random */
            return 0;
        }
        if (c->type.id == SL_TYPE_TIMESTAMP || sl_type_is_map(c->type))
            return sl_conn_err_at(env, t, o->pos, err, SL_ENOTSUP,
                                  "option '%s': column '%s' %s cannot be a sequence", o->key, name,
                                  tname);
        /* start and end are INT for INT, DOUBLE and DECIMAL, BIGINT otherwise (Flink) */
        bool narrow = c->type.id == SL_TYPE_INT || c->type.id == SL_TYPE_DOUBLE ||
                      c->type.id == SL_TYPE_DECIMAL;
        int64_t lo = narrow ? INT32_MIN : INT64_MIN, hi = narrow ? INT32_MAX : INT64_MAX;
        const struct sl_option *so = dg_fopt(t, name, "start"), *eo = dg_fopt(t, name, "end");
        if (!so || !eo)
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                  "column '%s': a sequence needs the option 'fields.%s.%s'", name,
                                  name, so ? "end" : "start");
        if ((rv = dg_num(t, env, so, true, lo, hi, &c->lo, NULL, err)) ||
            (rv = dg_num(t, env, eo, true, lo, hi, &c->hi, NULL, err)))
            return rv;
        if (c->hi <= c->lo || (uint64_t)c->hi - (uint64_t)c->lo >= (uint64_t)INT64_MAX)
            return sl_conn_err_at(env, t, so->pos, err, SL_EINVAL,
                                  "column '%s': the sequence's start (%" PRId64
                                  ") must be less than its end (%" PRId64
                                  "), and it can hold at most 2^63 - 1 values",
                                  name, c->lo, c->hi);
        if (c->type.id == SL_TYPE_DECIMAL) {
            double top = pow(10.0, c->type.precision - c->type.scale);
            if ((double)c->hi >= top || (double)c->lo <= -top || c->type.precision > 18)
                return sl_conn_err_at(env, t, eo->pos, err, SL_ERANGE,
                                      "column '%s': the sequence [%" PRId64 ", %" PRId64
                                      "] does not fit %s",
                                      name, c->lo, c->hi, tname);
        }
        return 0;
    }
    o = dg_fopt(t, name, "null-rate");
    if (o) {
        char *end;
        errno = 0;
        c->null_rate = strtod(o->value, &end);
        if (end == o->value || *end || errno || !(c->null_rate >= 0 && c->null_rate <= 1))
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                  "option '%s': '%s' is not a rate between 0 and 1", o->key,
                                  o->value);
        if (c->null_rate > 0 && !c->type.nullable)
            return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                  "option '%s': column '%s' is NOT NULL", o->key, name);
    }
    const struct sl_option *mn = dg_fopt(t, name, "min"), *mx = dg_fopt(t, name, "max");
    switch (c->type.id) {
    case SL_TYPE_INT:
    case SL_TYPE_BIGINT: {
        bool i32 = c->type.id == SL_TYPE_INT;
        int64_t lo = i32 ? INT32_MIN : INT64_MIN, hi = i32 ? INT32_MAX : INT64_MAX;
        c->lo = lo;
        c->hi = hi;
        if ((mn && (rv = dg_num(t, env, mn, true, lo, hi, &c->lo, NULL, err))) ||
            (mx && (rv = dg_num(t, env, mx, true, lo, hi, &c->hi, NULL, err))))
            return rv;
        if (c->lo > c->hi)
            return sl_conn_err_at(env, t, (mn ? mn : mx)->pos, err, SL_EINVAL,
                                  "column '%s': min %" PRId64 " is greater than max %" PRId64, name,
                                  c->lo, c->hi);
        return 0;
    }
    case SL_TYPE_DOUBLE:
    case SL_TYPE_DECIMAL: {
        c->dlo = 4.9e-324; /* Double.MIN_VALUE */
        c->dhi = 1.7976931348623157e308;
        if ((mn && (rv = dg_num(t, env, mn, false, 0, 0, NULL, &c->dlo, err))) ||
            (mx && (rv = dg_num(t, env, mx, false, 0, 0, NULL, &c->dhi, err))))
            return rv;
        if (!(c->dlo < c->dhi))
            return sl_conn_err_at(env, t, (mn ? mn : mx)->pos, err, SL_EINVAL,
                                  "column '%s': min %g must be less than max %g", name, c->dlo,
                                  c->dhi);
        if (c->type.id == SL_TYPE_DECIMAL) {
            /* DecimalDataRandomGenerator: clamped to the values of the precision; sluice's
             * DECIMAL holds 18 digits */
            int digits = c->type.precision > 18 ? 18 : c->type.precision;
            double largest = pow(10.0, digits - c->type.scale) - pow(10.0, -c->type.scale);
            c->dlo = fmax(-largest, c->dlo);
            c->dhi = fmin(largest, c->dhi);
        }
        return 0;
    }
    case SL_TYPE_TIMESTAMP:
        o = dg_fopt(t, name, "max-past");
        if (o) {
            c->max_past_ms = sl_setting_duration_ms(o->value);
            if (c->max_past_ms < 0)
                return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                      "option '%s': '%s' is not a duration ('5 s', '1 min', "
                                      "'1000' ms)",
                                      o->key, o->value);
        }
        return 0;
    case SL_TYPE_VARCHAR: {
        bool map = sl_type_is_map(c->type);
        int64_t dflt = map ? 3 : 100;
        const char *lk[] = {"length", "key.length", "value.length"};
        int64_t *lv[] = {&c->length, &c->key_len, &c->val_len};
        for (int k = 0; k < (map ? 3 : 1); k++) {
            *lv[k] = k ? 100 : dflt;
            o = dg_fopt(t, name, lk[k]);
            if (o && (rv = dg_num(t, env, o, true, 0, map && !k ? 1024 : DG_MAX_LENGTH, lv[k], NULL,
                                  err)))
                return rv;
        }
        if (map && c->length * (8 + c->key_len + c->val_len) > DG_MAX_LENGTH)
            return sl_conn_err_at(env, t, t->pos, err, SL_ERANGE,
                                  "column '%s': a map of %" PRId64 " entries of that size is over "
                                  "%d bytes",
                                  name, c->length, DG_MAX_LENGTH);
        o = dg_fopt(t, name, "var-len");
        if (o) {
            if (strcmp(o->value, "true") != 0 && strcmp(o->value, "false") != 0)
                return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                      "option '%s': '%s' is not 'true' or 'false'", o->key,
                                      o->value);
            c->var_len = strcmp(o->value, "true") == 0;
            if (c->var_len && c->length < 2)
                return sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                      "option '%s': a variable length below %" PRId64
                                      " needs a 'length' of at least 2",
                                      o->key, c->length);
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* FNV-1a over the options but 'rows-per-second', and the column types. */
static uint64_t dg_fingerprint(const struct sl_table *t)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (uint32_t i = 0; i < t->nopts; i++) {
        if (strcmp(t->opts[i].key, "rows-per-second") == 0)
            continue;
        for (const char *p = t->opts[i].key; *p; p++)
            h = (h ^ (uint8_t)*p) * 0x100000001b3u;
        h = (h ^ '=') * 0x100000001b3u;
        for (const char *p = t->opts[i].value; *p; p++)
            h = (h ^ (uint8_t)*p) * 0x100000001b3u;
        h = (h ^ ';') * 0x100000001b3u;
    }
    for (uint32_t c = 0; c < t->physical.ncols; c++) {
        struct sl_type ty = t->physical.cols[c].type;
        uint64_t v = (uint64_t)ty.id | (uint64_t)ty.precision << 8 | (uint64_t)ty.scale << 16 |
                     (uint64_t)ty.logical << 24;
        h = (h ^ v) * 0x100000001b3u;
    }
    return h;
}

int sl_conn_datagen_source(const struct sl_table *t, const struct sl_connector_env *env,
                           int nworkers, struct sl_source **out, struct sl_error *err)
{
    int rc = sl_conn_check_options(t, env, dg_keys, dg_prefixes, err);
    if (rc)
        return rc;
    if (t->physical.ncols == 0)
        return sl_conn_err_at(env, t, SIZE_MAX, err, SL_EINVAL, "a datagen table needs a column");
    struct dg_source *src = calloc(1, sizeof(*src));
    if (!src)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    src->base.ops = &dg_ops;
    src->base.table = t;
    src->nworkers = nworkers;
    src->ncols = t->physical.ncols;
    src->cols = calloc(src->ncols, sizeof(*src->cols));
    src->w = calloc((size_t)nworkers, sizeof(*src->w));
    if (!src->cols || !src->w) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    for (uint32_t c = 0; c < src->ncols; c++)
        if ((rc = dg_column(t, env, c, &src->cols[c], err)))
            goto out_free;
    /* every 'fields.' option names a column and applies to it */
    for (uint32_t i = 0; i < t->nopts; i++) {
        const struct sl_option *o = &t->opts[i];
        if (strncmp(o->key, "fields.", 7) != 0)
            continue;
        uint32_t col = 0;
        int opt = dg_field_key(t, o->key, &col);
        if (opt < 0) {
            rc = sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                "option '%s': no column of the table and option of datagen fit "
                                "it ('fields.<column>.kind|min|max|length|var-len|max-past|"
                                "null-rate|start|end')",
                                o->key);
            goto out_free;
        }
        const struct dg_col *c = &src->cols[col];
        enum dg_kind k = c->kind;
        const struct sl_option *ko = dg_fopt(t, t->physical.cols[col].name, "kind");
        if (ko && strcmp(ko->value, "sequence") == 0)
            k = DG_SEQUENCE;
        if (!(dg_applies(c->type, k) & (1u << opt))) {
            char tname[64];
            sl_type_format(c->type, tname, sizeof(tname));
            rc = sl_conn_err_at(env, t, o->pos, err, SL_EINVAL,
                                "option '%s' does not apply to column '%s' %s of kind '%s'", o->key,
                                t->physical.cols[col].name, tname,
                                k == DG_SEQUENCE ? "sequence" : "random");
            goto out_free;
        }
    }
    int64_t rps, rows, seed;
    if ((rc = sl_conn_opt_i64(t, env, "rows-per-second", 10000, 1, INT64_MAX, &rps, err)) ||
        (rc = sl_conn_opt_i64(t, env, "number-of-rows", -1, 0, INT64_MAX, &rows, err)) ||
        (rc = sl_conn_opt_i64(t, env, "sluice.seed", 0, INT64_MIN, INT64_MAX, &seed, err)))
        goto out_free;
    if (!sl_conn_opt(t, "sluice.seed"))
        seed = dg_now_ns(CLOCK_REALTIME) ^ ((int64_t)getpid() << 32);
    if (!sl_conn_opt(t, "number-of-rows"))
        rows = -1;
    src->fingerprint = dg_fingerprint(t);
    size_t cap = 32;
    for (uint32_t c = 0; c < src->ncols; c++) {
        const struct dg_col *col = &src->cols[c];
        size_t need = sl_type_is_map(col->type)
                          ? 4 + (size_t)col->length * (8 + (size_t)(col->key_len + col->val_len))
                          : (size_t)col->length;
        if (need > cap)
            cap = need;
    }
    src->scratch_cap = (cap + 63) & ~(size_t)63;
    src->scratch = malloc(src->scratch_cap * (size_t)nworkers);
    if (!src->scratch) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out_free;
    }
    for (int i = 0; i < nworkers; i++) {
        struct dg_worker *w = &src->w[i];
        w->rng = calloc(src->ncols, sizeof(*w->rng));
        if (!w->rng) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out_free;
        }
        for (uint32_t c = 0; c < src->ncols; c++) {
            uint64_t s0 = (uint64_t)seed ^ ((uint64_t)i << 32 | c) * 0xd1342543de82ef95u;
            w->rng[c] = dg_next(&s0);
        }
        w->total = rows < 0 ? INT64_MAX : rows / nworkers + (rows % nworkers > i ? 1 : 0);
        for (uint32_t c = 0; c < src->ncols; c++) {
            const struct dg_col *col = &src->cols[c];
            if (col->kind != DG_SEQUENCE)
                continue;
            uint64_t count = (uint64_t)col->hi - (uint64_t)col->lo + 1;
            int64_t mine = (int64_t)(count / (uint64_t)nworkers +
                                     (count % (uint64_t)nworkers > (uint64_t)i ? 1 : 0));
            if (mine < w->total)
                w->total = mine;
        }
        w->burst = rps / nworkers + (rps % nworkers > i ? 1 : 0);
        if (w->burst < 1)
            w->burst = 1;
    }
    *out = &src->base;
    return 0;
out_free:
    dg_free(&src->base);
    return rc;
}

/* ---- the connector ------------------------------------------------------------------------ */

/* Bounded with 'number-of-rows' or a sequence field (a BOOLEAN "sequence" is random). */
static bool dg_bounded(const struct sl_table *t)
{
    if (sl_table_option(t, "number-of-rows"))
        return true;
    for (uint32_t c = 0; c < t->physical.ncols; c++) {
        const struct sl_option *o = dg_fopt(t, t->physical.cols[c].name, "kind");
        if (o && strcmp(o->value, "sequence") == 0 &&
            t->physical.cols[c].type.id != SL_TYPE_BOOLEAN)
            return true;
    }
    return false;
}

const struct sl_connector sl_connector_datagen = {
    .name = "datagen",
    .summary = "random or sequence values for every column, as Flink's datagen",
    .source = sl_conn_datagen_source,
    .bounded = dg_bounded,
    .options = dg_keys,
    .prefixes = dg_prefixes,
};
