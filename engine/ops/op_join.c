/*
 * engine/ops/op_join.c - the regular join of two streams (see engine/ops/op_join.h for the
 * design, the state per row and the checkpoint format).
 */
#include "engine/ops/op_join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/eval.h"
#include "kernels/hash.h"

#define SL_JN_MAGIC 0x324e4a53u    /* "SJN2" little-endian: format version 2 */
#define SL_JN_MAGIC_V1 0x314e4a53u /* "SJN1": version 1, the same for an INNER join */
#define SL_JN_NONE UINT32_MAX
#define SL_JN_CHUNK (256u * 1024u)

/* ---- a side's row store ---------------------------------------------------------------- */

struct sl_jn_chunk {
    struct sl_jn_chunk *next;
    size_t size, used;
    char data[];
};

struct sl_jn_side {
    uint32_t ncols, nkeys;
    const int *keys;       /* the key columns of this side */
    bool outer;            /* its rows without a match are emitted null-padded */
    uint32_t *match;       /* outer: per row its matches (Flink's associated records, at
                              most UINT32_MAX - 1), SL_JN_NONE for a NULL key (never in a
                              chain); NULL for an inner side */
    struct sl_type *types; /* ncols */
    uint8_t *width;        /* ncols */
    bool *skip;            /* ncols: nothing downstream reads it (not stored, zero out) */
    uint8_t **col;         /* per column: cap x width bytes (NULL when skipped) */
    uint64_t **valid;      /* per column: cap bits, NULL when the column is NOT NULL */
    uint8_t **bcol;        /* scratch: an input batch's columns */
    uint64_t **bvalid;
    uint64_t *hash;        /* per row */
    uint32_t *next;        /* per row: the next row of its slot */
    uint32_t *head;        /* nslots */
    uint32_t nslots, used; /* slots, and those that head a chain */
    uint32_t rows, cap;
    struct sl_jn_chunk *chunks;
    uint64_t str_bytes;
};

/* Rows sent to their owner: dense columns (widths as the store's), strings in the tail. */
struct sl_jn_msg {
    struct sl_msg_payload pl;
    uint32_t side, rows;
    uint64_t *hash;
    uint8_t **col;
    uint64_t **valid;
};

struct sl_jn_out {
    int to;
    struct sl_jn_msg *msg;
};

struct sl_op_join;

struct sl_jn_right {
    struct sl_op op;
    struct sl_op_join *j;
};

struct sl_op_join {
    struct sl_op op;
    struct sl_jn_right right;
    struct sl_heap *heap;
    int nworkers;
    bool left_local;
    struct sl_jn_side side[2]; /* 0 left, 1 right */
    bool done[2];              /* this worker's input of the side ended */
    bool end_sent, finished;
    uint32_t ends; /* END messages heard */
    /* rows for other workers kept while a checkpoint aligned (sl_jn_send) */
    struct sl_jn_out *out;
    uint32_t nout, capout;
    /* scratch, SL_BATCH_CAP each */
    uint64_t *hashes;
    int64_t *i64buf;
    uint32_t *bucket, *counts;
    sl_sel_t *sorted;
    uint32_t *pl, *pr; /* matching pairs: left row, right row (SL_JN_NONE: NULLs) */
    uint8_t *pk;       /* their row kinds (an outer join's) */
    bool outer;        /* LEFT, RIGHT or FULL: the output carries row kinds */
    /* an outer join's residual condition (plan join.residual): evaluated over candidate
     * pairs (key-equal: cl, cr, new row and stored row) gathered into a batch of out_schema */
    struct sl_eval *res_ev;
    struct sl_batch_pool *cand_pool;
    uint32_t *cl, *cr;
    struct sl_schema *out_schema;
    struct sl_batch_pool *out_pool;
};

static int sl_jn_oom(const struct sl_op_join *j, const struct sl_worker_ctx *ctx,
                     struct sl_error *err)
{
    return sl_op_error(ctx, j->op.plan->pos, err, SL_ENOMEM, "join: out of memory");
}

static size_t sl_jn_words(uint32_t bits)
{
    return ((size_t)bits + 63) / 64;
}

/* Grows the store to hold `need` rows; false when out of memory. */
static bool sl_jn_grow(struct sl_op_join *j, struct sl_jn_side *s, uint32_t need)
{
    if (need <= s->cap)
        return true;
    uint64_t ncap = s->cap ? s->cap : 1024;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX - 1)
        return false;
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c])
            continue;
        uint8_t *v = sl_mem_alloc(j->heap, ncap * s->width[c]);
        if (!v)
            return false;
        if (s->rows)
            memcpy(v, s->col[c], (size_t)s->rows * s->width[c]);
        sl_mem_free(s->col[c]);
        s->col[c] = v;
        if (s->types[c].nullable) {
            uint64_t *b = sl_mem_zalloc(j->heap, sl_jn_words((uint32_t)ncap) * 8);
            if (!b)
                return false;
            if (s->valid[c])
                memcpy(b, s->valid[c], sl_jn_words(s->cap) * 8);
            sl_mem_free(s->valid[c]);
            s->valid[c] = b;
        }
    }
    uint64_t *h = sl_mem_alloc(j->heap, ncap * sizeof(*h));
    uint32_t *nx = sl_mem_alloc(j->heap, ncap * sizeof(*nx));
    if (!h || !nx) {
        sl_mem_free(h);
        sl_mem_free(nx);
        return false;
    }
    if (s->rows) {
        memcpy(h, s->hash, (size_t)s->rows * sizeof(*h));
        memcpy(nx, s->next, (size_t)s->rows * sizeof(*nx));
    }
    if (s->outer) {
        uint32_t *mt = sl_mem_alloc(j->heap, ncap * sizeof(*mt));
        if (!mt) {
            sl_mem_free(h);
            sl_mem_free(nx);
            return false;
        }
        if (s->rows)
            memcpy(mt, s->match, (size_t)s->rows * sizeof(*mt));
        sl_mem_free(s->match);
        s->match = mt;
    }
    sl_mem_free(s->hash);
    sl_mem_free(s->next);
    s->hash = h;
    s->next = nx;
    s->cap = (uint32_t)ncap;
    return true;
}

/* Rebuilds the chains with at least 2 x `slots` slots; false when out of memory. The
 * table grows with the slots in use - about the distinct keys - not with the rows: many rows
 * of one key (the bids of an auction) share a chain, and the heads stay small enough for the
 * cache. */
static bool sl_jn_rehash(struct sl_op_join *j, struct sl_jn_side *s, uint32_t slots)
{
    uint32_t n = s->nslots ? s->nslots : 1024;
    while (n < 2 * (uint64_t)slots && n < (1u << 31))
        n *= 2;
    if (n != s->nslots) {
        uint32_t *h = sl_mem_alloc(j->heap, (size_t)n * sizeof(*h));
        if (!h)
            return false;
        sl_mem_free(s->head);
        s->head = h;
        s->nslots = n;
    }
    memset(s->head, 0xff, (size_t)n * sizeof(*s->head));
    s->used = 0;
    for (uint32_t r = 0; r < s->rows; r++) {
        if (s->match && s->match[r] == SL_JN_NONE)
            continue; /* a NULL key: matches nothing */
        uint32_t slot = (uint32_t)(s->hash[r] & (n - 1));
        s->used += s->head[slot] == SL_JN_NONE;
        s->next[r] = s->head[slot];
        s->head[slot] = r;
    }
    return true;
}

/* Copies `len` bytes into the side's string chunks; NULL when out of memory. */
static const char *sl_jn_str(struct sl_op_join *j, struct sl_jn_side *s, const char *p,
                             uint32_t len)
{
    struct sl_jn_chunk *c = s->chunks;
    if (!c || c->size - c->used < len) {
        size_t size = len > SL_JN_CHUNK ? len : SL_JN_CHUNK;
        struct sl_jn_chunk *n = sl_mem_alloc(j->heap, sizeof(*n) + size);
        if (!n)
            return NULL;
        n->next = c;
        n->size = size;
        n->used = 0;
        s->chunks = n;
        c = n;
    }
    char *d = c->data + c->used;
    memcpy(d, p, len);
    c->used += len;
    s->str_bytes += len;
    return d;
}

/* Appends n rows: row idx[i] (i when idx is NULL) of the columns `col` / `valid` (a batch's
 * or a message's), with their hashes h[i]. Strings are copied into the store. */
static bool sl_jn_append(struct sl_op_join *j, struct sl_jn_side *s, uint8_t *const *col,
                         uint64_t *const *valid, const sl_sel_t *idx, uint32_t n, const uint64_t *h)
{
    if (!sl_jn_grow(j, s, s->rows + n))
        return false;
    uint32_t base = s->rows;
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c])
            continue;
        uint32_t w = s->width[c];
        uint8_t *dst = s->col[c] + (size_t)base * w;
        const uint8_t *src = col[c];
        if (w == 8) {
            for (uint32_t i = 0; i < n; i++)
                memcpy(dst + (size_t)i * 8, src + (size_t)(idx ? idx[i] : i) * 8, 8);
        } else {
            for (uint32_t i = 0; i < n; i++)
                memcpy(dst + (size_t)i * w, src + (size_t)(idx ? idx[i] : i) * w, w);
        }
        if (s->valid[c]) {
            for (uint32_t i = 0; i < n; i++)
                sl_valid_set(s->valid[c], base + i,
                             !valid[c] || sl_valid_get(valid[c], idx ? idx[i] : i));
        }
        if (s->types[c].id == SL_TYPE_VARCHAR) {
            sl_str *v = (sl_str *)(void *)dst;
            for (uint32_t i = 0; i < n; i++) {
                if (s->valid[c] && !sl_valid_get(s->valid[c], base + i)) {
                    v[i] = sl_str_make("", 0); /* a NULL's view is whatever was there */
                    continue;
                }
                if (v[i].len <= SL_STR_INLINE_MAX)
                    continue;
                const char *p = sl_jn_str(j, s, v[i].ptr, v[i].len);
                if (!p)
                    return false;
                v[i].ptr = p;
            }
        }
    }
    memcpy(s->hash + base, h, (size_t)n * sizeof(*h));
    s->rows += n;
    if (s->match)
        for (uint32_t r = base; r < s->rows; r++) {
            s->match[r] = 0; /* an outer side keeps its rows with a NULL key: out of the chains */
            for (uint32_t k = 0; k < s->nkeys; k++)
                if (s->valid[s->keys[k]] && !sl_valid_get(s->valid[s->keys[k]], r))
                    s->match[r] = SL_JN_NONE;
        }
    uint32_t mask = s->nslots - 1, used = s->used;
    for (uint32_t r = base; r < s->rows; r++) {
        if (s->match && s->match[r] == SL_JN_NONE)
            continue;
        uint32_t slot = (uint32_t)(s->hash[r] & mask);
        used += s->head[slot] == SL_JN_NONE;
        s->next[r] = s->head[slot];
        s->head[slot] = r;
    }
    s->used = used;
    /* at half the slots in use, twice as many (at most one chain per two slots) */
    return 2 * (uint64_t)used <= s->nslots || sl_jn_rehash(j, s, used);
}

/* Whether row a of side sa and row b of side sb have equal keys (neither is NULL: rows with a
 * NULL key are never stored, or on an outer side never in a chain). */
static bool sl_jn_keys_eq(const struct sl_jn_side *sa, uint32_t a, const struct sl_jn_side *sb,
                          uint32_t b)
{
    for (uint32_t k = 0; k < sa->nkeys; k++) {
        int ca = sa->keys[k], cb = sb->keys[k];
        uint32_t w = sa->width[ca];
        const uint8_t *x = sa->col[ca] + (size_t)a * w, *y = sb->col[cb] + (size_t)b * w;
        switch (sa->types[ca].id) {
        case SL_TYPE_VARCHAR:
            if (!sl_str_eq((const sl_str *)x, (const sl_str *)y))
                return false;
            break;
        default: /* the bits, DOUBLE too: Flink compares join keys as binary rows (so -0.0
                    does not match 0.0, and a NaN matches the same NaN) */
            if (memcmp(x, y, w) != 0)
                return false;
        }
    }
    return true;
}

/* ---- output ------------------------------------------------------------------------------ */

/* Gathers side s's rows rows[0..n) into out's columns from `c0` on; SL_JN_NONE: NULLs (an
 * outer join's padding, whose columns are nullable in the output). */
static void sl_jn_gather(const struct sl_jn_side *s, const uint32_t *rows, uint32_t n,
                         struct sl_batch *out, uint32_t c0, bool pad)
{
    if (pad) {
        for (uint32_t c = 0; c < s->ncols; c++) {
            struct sl_column *oc = &out->cols[c0 + c];
            uint32_t w = s->width[c];
            uint8_t *dst = oc->data;
            for (uint32_t i = 0; i < n; i++) {
                bool null = rows[i] == SL_JN_NONE;
                if (null || s->skip[c])
                    memset(dst + (size_t)i * w, 0, w);
                else
                    memcpy(dst + (size_t)i * w, s->col[c] + (size_t)rows[i] * w, w);
                if (oc->valid)
                    sl_valid_set(oc->valid, i,
                                 !null && (!s->valid[c] || s->skip[c] ||
                                           sl_valid_get(s->valid[c], rows[i])));
            }
        }
        return;
    }
    for (uint32_t c = 0; c < s->ncols; c++) {
        struct sl_column *oc = &out->cols[c0 + c];
        uint32_t w = s->width[c];
        uint8_t *dst = oc->data;
        const uint8_t *src = s->col[c];
        if (s->skip[c]) {
            memset(dst, 0, (size_t)n * w);
            continue;
        }
        switch (w) {
        case 8:
            for (uint32_t i = 0; i < n; i++)
                ((uint64_t *)(void *)dst)[i] = ((const uint64_t *)(const void *)src)[rows[i]];
            break;
        case 4:
            for (uint32_t i = 0; i < n; i++)
                ((uint32_t *)(void *)dst)[i] = ((const uint32_t *)(const void *)src)[rows[i]];
            break;
        case 16:
            for (uint32_t i = 0; i < n; i++)
                ((sl_str *)(void *)dst)[i] = ((const sl_str *)(const void *)src)[rows[i]];
            break;
        default:
            for (uint32_t i = 0; i < n; i++)
                memcpy(dst + (size_t)i * w, src + (size_t)rows[i] * w, w);
        }
        if (s->valid[c] && oc->valid)
            for (uint32_t i = 0; i < n; i++)
                sl_valid_set(oc->valid, i, sl_valid_get(s->valid[c], rows[i]));
    }
}

/* Emits the pairs collected in j->pl / j->pr. */
static int sl_jn_emit(struct sl_op_join *j, struct sl_worker_ctx *ctx, uint32_t n,
                      struct sl_error *err)
{
    if (!n)
        return 0;
    struct sl_batch *out = sl_batch_pool_get(j->out_pool);
    if (!out)
        return sl_jn_oom(j, ctx, err);
    sl_jn_gather(&j->side[0], j->pl, n, out, 0, j->outer);
    sl_jn_gather(&j->side[1], j->pr, n, out, j->side[0].ncols, j->outer);
    if (j->outer)
        memcpy(sl_batch_kinds(out), j->pk, n);
    out->rows = n;
    return sl_op_push_next(&j->op, ctx, out, err);
}

/* Adds the pair (mine, theirs) of kind `kind` to the output, emitted at a full batch. */
static int sl_jn_pair(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t *np,
                      uint32_t mine, uint32_t theirs, uint8_t kind, struct sl_error *err)
{
    (sd == 0 ? j->pl : j->pr)[*np] = mine;
    (sd == 0 ? j->pr : j->pl)[*np] = theirs;
    j->pk[(*np)++] = kind;
    if (*np < SL_BATCH_CAP)
        return 0;
    *np = 0;
    return sl_jn_emit(j, ctx, SL_BATCH_CAP, err);
}

/* The rows [base, base + n) just stored on side `sd` meet the other side's rows. As Flink's
 * StreamingJoinOperator: for each new row, first -D of the other side's null-padded rows it
 * is the first match of (an outer other side), then +I of every pair; a new row of an outer
 * side without a match (or with a NULL key) is +I null-padded, its match count kept. */
static int sl_jn_probe(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t base,
                       uint32_t n, struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    if (!o->rows && !s->outer)
        return 0;
    uint32_t np = 0, mask = o->nslots - 1;
    int rc = 0;
    for (uint32_t r = base; r < base + n && !rc; r++) {
        if (s->match && s->match[r] == SL_JN_NONE) {
            rc = sl_jn_pair(j, ctx, sd, &np, r, SL_JN_NONE, SL_ROW_INSERT, err);
            continue;
        }
        uint64_t h = s->hash[r];
        uint32_t cnt = 0;
        if (o->match) /* the other side's rows matched for the first time lose their padding */
            for (uint32_t q = o->head[h & mask]; q != SL_JN_NONE && !rc; q = o->next[q]) {
                if (o->hash[q] != h || !sl_jn_keys_eq(s, r, o, q))
                    continue;
                if (o->match[q] == 0)
                    rc = sl_jn_pair(j, ctx, sd, &np, SL_JN_NONE, q, SL_ROW_DELETE, err);
                o->match[q] += o->match[q] < SL_JN_NONE - 1;
            }
        for (uint32_t q = o->head[h & mask]; q != SL_JN_NONE && !rc; q = o->next[q]) {
            if (o->hash[q] != h || !sl_jn_keys_eq(s, r, o, q))
                continue;
            cnt += cnt < SL_JN_NONE - 1;
            rc = sl_jn_pair(j, ctx, sd, &np, r, q, SL_ROW_INSERT, err);
        }
        if (s->match && !rc) {
            s->match[r] = cnt;
            if (!cnt)
                rc = sl_jn_pair(j, ctx, sd, &np, r, SL_JN_NONE, SL_ROW_INSERT, err);
        }
    }
    return rc ? rc : sl_jn_emit(j, ctx, np, err);
}

/* The candidate pairs cl / cr [0, nc) (rows of side sd, rows of the other side) through the
 * residual condition: the passing ones are matches, in order (see sl_jn_probe_res). */
static int sl_jn_res_flush(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t nc,
                           uint32_t *np, struct sl_error *err)
{
    if (!nc)
        return 0;
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    struct sl_batch *b = sl_batch_pool_get(j->cand_pool);
    if (!b)
        return sl_jn_oom(j, ctx, err);
    sl_jn_gather(&j->side[0], sd == 0 ? j->cl : j->cr, nc, b, 0, true);
    sl_jn_gather(&j->side[1], sd == 0 ? j->cr : j->cl, nc, b, j->side[0].ncols, true);
    b->rows = nc;
    int rc = sl_eval_filter(j->res_ev, b, err);
    uint32_t na = rc ? 0 : sl_batch_active(b);
    for (uint32_t i = 0; i < na && !rc; i++) {
        uint32_t k = b->sel ? b->sel[i] : i, r = j->cl[k], q = j->cr[k];
        if (o->match) {
            if (o->match[q] == 0)
                rc = sl_jn_pair(j, ctx, sd, np, SL_JN_NONE, q, SL_ROW_DELETE, err);
            o->match[q] += o->match[q] < SL_JN_NONE - 1;
        }
        if (s->match)
            s->match[r] += s->match[r] < SL_JN_NONE - 1;
        if (!rc)
            rc = sl_jn_pair(j, ctx, sd, np, r, q, SL_ROW_INSERT, err);
    }
    sl_batch_pool_put(b);
    return rc;
}

/* sl_jn_probe with a residual condition: the key-equal pairs are candidates, evaluated a
 * batch at a time; the new rows of a preserved side left without a match are emitted padded
 * at the end (no row of this call can retract them: they are the other side's to). */
static int sl_jn_probe_res(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint32_t base,
                           uint32_t n, struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd], *o = &j->side[1 - sd];
    uint32_t np = 0, nc = 0, mask = o->nslots - 1;
    int rc = 0;
    for (uint32_t r = base; r < base + n && !rc; r++) {
        if (s->match && s->match[r] == SL_JN_NONE)
            continue;
        if (s->match)
            s->match[r] = 0;
        uint64_t h = s->hash[r];
        for (uint32_t q = o->head[h & mask]; q != SL_JN_NONE && !rc; q = o->next[q]) {
            if (o->hash[q] != h || !sl_jn_keys_eq(s, r, o, q))
                continue;
            j->cl[nc] = r;
            j->cr[nc++] = q;
            if (nc == SL_BATCH_CAP) {
                rc = sl_jn_res_flush(j, ctx, sd, nc, &np, err);
                nc = 0;
            }
        }
    }
    if (!rc)
        rc = sl_jn_res_flush(j, ctx, sd, nc, &np, err);
    for (uint32_t r = base; r < base + n && !rc && s->match; r++)
        if (s->match[r] == 0 || s->match[r] == SL_JN_NONE)
            rc = sl_jn_pair(j, ctx, sd, &np, r, SL_JN_NONE, SL_ROW_INSERT, err);
    return rc ? rc : sl_jn_emit(j, ctx, np, err);
}

/* Stores and probes rows of side sd (see sl_jn_append for the arguments). */
static int sl_jn_take(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd, uint8_t *const *col,
                      uint64_t *const *valid, const sl_sel_t *idx, uint32_t n, const uint64_t *h,
                      struct sl_error *err)
{
    if (!n)
        return 0;
    struct sl_jn_side *s = &j->side[sd];
    uint32_t base = s->rows;
    if (!sl_jn_append(j, s, col, valid, idx, n, h))
        return sl_jn_oom(j, ctx, err);
    return j->res_ev ? sl_jn_probe_res(j, ctx, sd, base, n, err)
                     : sl_jn_probe(j, ctx, sd, base, n, err);
}

/* ---- input --------------------------------------------------------------------------------- */

/* j->hashes[i] = the key hash of position i of b; returns the positions without a NULL key
 * compacted into j->sorted (as rows) and their hashes into j->i64buf's bits. */
static uint32_t sl_jn_hash(struct sl_op_join *j, const struct sl_jn_side *s, struct sl_batch *b,
                           uint32_t n)
{
    const struct sl_hash_kernels *hk = sl_hash;
    bool nulls = false;
    for (uint32_t k = 0; k < s->nkeys; k++) {
        struct sl_column *c = &b->cols[s->keys[k]];
        nulls |= c->valid != NULL;
        switch (c->type.id) {
        case SL_TYPE_INT:
            (k ? hk->combine_i32 : hk->i32)(c->data, c->valid, b->sel, n, j->hashes);
            break;
        case SL_TYPE_DOUBLE:
            (k ? hk->combine_f64 : hk->f64)(c->data, c->valid, b->sel, n, j->hashes);
            break;
        case SL_TYPE_VARCHAR:
            (k ? hk->combine_str : hk->str)(c->data, c->valid, b->sel, n, j->hashes);
            break;
        case SL_TYPE_BOOLEAN: {
            const uint8_t *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = b->sel ? b->sel[i] : i;
                j->i64buf[r] = v[r];
            }
            (k ? hk->combine_i64 : hk->i64)(j->i64buf, c->valid, b->sel, n, j->hashes);
            break;
        }
        default:
            (k ? hk->combine_i64 : hk->i64)(c->data, c->valid, b->sel, n, j->hashes);
            break;
        }
    }
    /* positions with a NULL key never match: leave them out (hashes compacted alike), but
     * on an outer side, whose rows are emitted null-padded all the same */
    nulls &= !s->outer;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = b->sel ? b->sel[i] : i;
        bool ok = true;
        if (nulls)
            for (uint32_t k = 0; k < s->nkeys; k++) {
                const struct sl_column *c = &b->cols[s->keys[k]];
                if (c->valid && !sl_valid_get(c->valid, r))
                    ok = false;
            }
        j->sorted[m] = (sl_sel_t)r;
        j->hashes[m] = j->hashes[i];
        m += ok;
    }
    return m;
}

static void sl_jn_msg_free(void *p)
{
    sl_mem_free(p);
}

/* Sends the rows kept while a checkpoint aligned, in order (not while one aligns). */
static int sl_jn_flush(struct sl_op_join *j, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (ctx->aligning || !j->nout)
        return 0;
    uint32_t k = 0;
    int rc = 0;
    while (k < j->nout && !rc) {
        struct sl_msg mm = {.kind = j->out[k].msg ? SL_MSG_DATA : SL_MSG_END,
                            .aux = j->op.tag,
                            .ptr = j->out[k].msg};
        rc = sl_op_send(ctx, &j->op, j->out[k].to, mm, err);
        if (rc)
            break; /* not sent: still ours */
        k++;
    }
    memmove(j->out, j->out + k, (j->nout - k) * sizeof(*j->out));
    j->nout -= k;
    return rc;
}

/* A message with rows idx[0..n) (0..n-1 when idx is NULL) of the columns col / valid (a
 * batch's, or a saved message's) with hashes h, for side sd; NULL when out of memory. */
static struct sl_jn_msg *sl_jn_msg_new(const struct sl_jn_side *s, int sd, uint8_t *const *col,
                                       uint64_t *const *valid, const sl_sel_t *idx, uint32_t n,
                                       const uint64_t *h)
{
    size_t size = sizeof(struct sl_jn_msg) + 2 * (size_t)s->ncols * sizeof(void *) + 8 * (size_t)n;
    size_t strb = 0;
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c])
            continue;
        size += ((size_t)n * s->width[c] + 7) / 8 * 8;
        if (s->types[c].nullable)
            size += sl_jn_words(n) * 8;
        if (s->types[c].id == SL_TYPE_VARCHAR) {
            const sl_str *v = (const sl_str *)(const void *)col[c];
            const uint64_t *bv = valid[c];
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = idx ? idx[i] : i;
                if ((!bv || sl_valid_get(bv, r)) && v[r].len > SL_STR_INLINE_MAX)
                    strb += v[r].len;
            }
        }
    }
    struct sl_jn_msg *m = sl_mem_alloc(NULL, size + strb);
    if (!m)
        return NULL;
    m->pl.free_fn = sl_jn_msg_free;
    m->side = (uint32_t)sd;
    m->rows = n;
    char *p = (char *)(m + 1);
    m->col = (uint8_t **)(void *)p;
    p += s->ncols * sizeof(void *);
    m->valid = (uint64_t **)(void *)p;
    p += s->ncols * sizeof(void *);
    m->hash = (uint64_t *)(void *)p;
    memcpy(m->hash, h, (size_t)n * 8);
    p += 8 * (size_t)n;
    for (uint32_t c = 0; c < s->ncols; c++) {
        uint32_t w = s->width[c];
        m->col[c] = NULL;
        m->valid[c] = NULL;
        if (s->skip[c])
            continue;
        m->col[c] = (uint8_t *)p;
        const uint8_t *src = col[c];
        for (uint32_t i = 0; i < n; i++)
            memcpy(p + (size_t)i * w, src + (size_t)(idx ? idx[i] : i) * w, w);
        p += ((size_t)n * w + 7) / 8 * 8;
        m->valid[c] = NULL;
        if (s->types[c].nullable) {
            m->valid[c] = (uint64_t *)(void *)p;
            memset(p, 0, sl_jn_words(n) * 8);
            for (uint32_t i = 0; i < n; i++)
                sl_valid_set(m->valid[c], i, !valid[c] || sl_valid_get(valid[c], idx ? idx[i] : i));
            p += sl_jn_words(n) * 8;
        }
    }
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->types[c].id != SL_TYPE_VARCHAR || s->skip[c])
            continue;
        sl_str *v = (sl_str *)(void *)m->col[c];
        for (uint32_t i = 0; i < n; i++) {
            if (m->valid[c] && !sl_valid_get(m->valid[c], i))
                v[i] = sl_str_make("", 0);
            if (v[i].len <= SL_STR_INLINE_MAX)
                continue;
            memcpy(p, v[i].ptr, v[i].len);
            v[i].ptr = p;
            p += v[i].len;
        }
    }
    return m;
}

/* Puts a message for worker `to` at the end of the outbox (the callee's either way). */
static int sl_jn_keep(struct sl_op_join *j, struct sl_worker_ctx *ctx, int to,
                      struct sl_jn_msg *msg, struct sl_error *err)
{
    if (j->nout == j->capout) {
        uint32_t ncap = j->capout ? 2 * j->capout : 16;
        struct sl_jn_out *o = sl_mem_alloc(j->heap, ncap * sizeof(*o));
        if (!o) {
            sl_mem_free(msg);
            return sl_jn_oom(j, ctx, err);
        }
        if (j->nout)
            memcpy(o, j->out, j->nout * sizeof(*o));
        sl_mem_free(j->out);
        j->out = o;
        j->capout = ncap;
    }
    j->out[j->nout++] = (struct sl_jn_out){to, msg};
    return 0;
}

/* Sends rows (msg; NULL: the END) to worker `to`, or keeps them while a checkpoint aligns
 * (ctx->aligning: they belong to the epoch being taken, but `to` has its barrier already;
 * they are saved with the state, as the channel's contents) and while earlier ones wait.
 * The message is the callee's either way. */
static int sl_jn_send(struct sl_op_join *j, struct sl_worker_ctx *ctx, int to,
                      struct sl_jn_msg *msg, struct sl_error *err)
{
    if ((ctx->aligning && to != ctx->worker) || j->nout) {
        int rc = sl_jn_keep(j, ctx, to, msg, err);
        return rc || ctx->aligning ? rc : sl_jn_flush(j, ctx, err);
    }
    struct sl_msg mm = {.kind = msg ? SL_MSG_DATA : SL_MSG_END, .aux = j->op.tag, .ptr = msg};
    int rc = sl_op_send(ctx, &j->op, to, mm, err);
    if (rc)
        sl_mem_free(msg);
    return rc;
}

static int sl_jn_push_side(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd,
                           struct sl_batch *b, struct sl_error *err)
{
    struct sl_jn_side *s = &j->side[sd];
    uint32_t n = sl_batch_active(b);
    int rc = sl_jn_flush(j, ctx, err);
    if (rc)
        goto out;
    if (b->kind)
        for (uint32_t i = 0; i < n; i++)
            if (b->kind[b->sel ? b->sel[i] : i] != SL_ROW_INSERT) {
                rc = sl_op_error(ctx, j->op.plan->pos, err, SL_ENOTSUP,
                                 "join: a %s row in its %s input; sluice joins insert-only streams",
                                 sl_row_kind_str(b->kind[b->sel ? b->sel[i] : i]),
                                 sd ? "right" : "left");
                goto out;
            }
    if (n == 0)
        goto out;
    if (b->ncols != s->ncols) {
        rc = sl_op_error(ctx, j->op.plan->pos, err, SL_ESTATE,
                         "join: a batch of %u columns into its %s input of %u", b->ncols,
                         sd ? "right" : "left", s->ncols);
        goto out;
    }
    uint32_t m = sl_jn_hash(j, s, b, n);
    uint8_t **cols = s->bcol;
    uint64_t **valid = s->bvalid;
    for (uint32_t c = 0; c < s->ncols; c++) {
        cols[c] = b->cols[c].data;
        valid[c] = b->cols[c].valid;
    }
    const uint32_t N = (uint32_t)j->nworkers;
    if (N == 1 || (sd == 0 && j->left_local)) {
        rc = sl_jn_take(j, ctx, sd, cols, valid, j->sorted, m, j->hashes, err);
        goto out;
    }
    /* by owner: counting sort of the positions (rows in j->sorted) into j->bucket order */
    memset(j->counts, 0, (N + 1) * sizeof(*j->counts));
    for (uint32_t i = 0; i < m; i++)
        j->counts[(j->hashes[i] % N) + 1]++;
    for (uint32_t k = 0; k < N; k++)
        j->counts[k + 1] += j->counts[k];
    uint64_t *hs = (uint64_t *)j->i64buf; /* hashes in owner order */
    for (uint32_t i = 0; i < m; i++) {
        uint32_t at = j->counts[j->hashes[i] % N]++;
        j->bucket[at] = j->sorted[i];
        hs[at] = j->hashes[i];
    }
    uint32_t begin = 0;
    for (uint32_t o = 0; o < N && !rc; o++) {
        uint32_t end = j->counts[o];
        if (end == begin)
            continue;
        sl_sel_t *rows = (sl_sel_t *)j->bucket + begin;
        if ((int)o == ctx->worker) {
            rc = sl_jn_take(j, ctx, sd, cols, valid, rows, end - begin, hs + begin, err);
        } else {
            struct sl_jn_msg *msg =
                sl_jn_msg_new(s, sd, cols, valid, rows, end - begin, hs + begin);
            if (!msg) {
                rc = sl_jn_oom(j, ctx, err);
                break;
            }
            rc = sl_jn_send(j, ctx, (int)o, msg, err);
        }
        begin = end;
    }
out:
    sl_batch_pool_put(b);
    return rc;
}

/* Every worker's END heard and both own inputs ended: the end goes downstream. */
static int sl_jn_maybe_finish(struct sl_op_join *j, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (j->finished || !j->done[0] || !j->done[1] || j->ends < (uint32_t)j->nworkers)
        return 0;
    j->finished = true;
    int rc = sl_op_watermark_next(&j->op, ctx, INT64_MAX, err);
    return rc ? rc : sl_op_finish_next(&j->op, ctx, err);
}

static int sl_jn_side_done(struct sl_op_join *j, struct sl_worker_ctx *ctx, int sd,
                           struct sl_error *err)
{
    int rc = sl_jn_flush(j, ctx, err); /* the rows go before the END */
    if (rc)
        return rc;
    j->done[sd] = true;
    if (!j->done[0] || !j->done[1] || j->end_sent)
        return 0;
    j->end_sent = true;
    for (int o = 0; o < j->nworkers; o++)
        if ((rc = sl_jn_send(j, ctx, o, NULL, err)) != 0)
            return rc;
    return sl_jn_maybe_finish(j, ctx, err);
}

static int sl_jn_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    return sl_jn_push_side((struct sl_op_join *)op, ctx, 0, b, err);
}

static int sl_jn_right_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                            struct sl_error *err)
{
    return sl_jn_push_side(((struct sl_jn_right *)op)->j, ctx, 1, b, err);
}

/* Watermarks stop here (the output has no time attribute); the end is finish(). They are a
 * moment to send what a checkpoint held back. */
static int sl_jn_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    (void)wm;
    return sl_jn_flush((struct sl_op_join *)op, ctx, err);
}

static int sl_jn_right_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                                 struct sl_error *err)
{
    (void)wm;
    return sl_jn_flush(((struct sl_jn_right *)op)->j, ctx, err);
}

static int sl_jn_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_jn_side_done((struct sl_op_join *)op, ctx, 0, err);
}

static int sl_jn_right_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_jn_side_done(((struct sl_jn_right *)op)->j, ctx, 1, err);
}

static int sl_jn_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    int frc = sl_jn_flush(j, ctx, err);
    if (frc) {
        if (msg.kind == SL_MSG_DATA)
            sl_mem_free(msg.ptr);
        return frc;
    }
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_DATA: {
        struct sl_jn_msg *m = msg.ptr;
        int rc = m->side > 1 ? sl_op_error(ctx, j->op.plan->pos, err, SL_EINVAL,
                                           "join: rows of side %u from worker %d", m->side, from)
                             : sl_jn_take(j, ctx, (int)m->side, m->col, m->valid, NULL, m->rows,
                                          m->hash, err);
        sl_mem_free(m);
        return rc;
    }
    case SL_MSG_END:
        j->ends++;
        return sl_jn_maybe_finish(j, ctx, err);
    default:
        return 0;
    }
}

/* ---- checkpoints --------------------------------------------------------------------------- */

static void sl_jn_save_side(const struct sl_jn_side *s, struct sl_sbuf *out)
{
    sl_sbuf_put_u32(out, s->ncols);
    sl_sbuf_put_u32(out, s->rows);
    for (uint32_t r = 0; r < s->rows; r++)
        sl_sbuf_put_u64(out, s->hash[r]);
    for (uint32_t r = 0; s->match && r < s->rows; r++)
        sl_sbuf_put_u32(out, s->match[r]);
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c])
            continue;
        if (s->types[c].id == SL_TYPE_VARCHAR) {
            const sl_str *v = (const sl_str *)(const void *)s->col[c];
            for (uint32_t r = 0; r < s->rows; r++)
                sl_sbuf_put_bytes(out, sl_str_data(&v[r]), v[r].len);
        } else {
            sl_sbuf_put(out, s->col[c], (size_t)s->rows * s->width[c]);
        }
        if (s->valid[c])
            for (size_t w = 0; w < sl_jn_words(s->rows); w++)
                sl_sbuf_put_u64(out, s->valid[c][w]);
    }
}

static int sl_jn_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_join *j = (struct sl_op_join *)op;
    sl_sbuf_put_u32(out, SL_JN_MAGIC);
    sl_sbuf_put_u32(out, (uint32_t)j->nworkers);
    sl_sbuf_put_u8(out, j->done[0]);
    sl_sbuf_put_u8(out, j->done[1]);
    sl_sbuf_put_u8(out, j->end_sent);
    sl_sbuf_put_u32(out, j->ends);
    sl_sbuf_put_u8(out, j->finished);
    sl_jn_save_side(&j->side[0], out);
    sl_jn_save_side(&j->side[1], out);
    sl_sbuf_put_u32(out, j->nout);
    for (uint32_t k = 0; k < j->nout; k++) {
        const struct sl_jn_msg *m = j->out[k].msg;
        sl_sbuf_put_u32(out, (uint32_t)j->out[k].to);
        sl_sbuf_put_u8(out, m ? 1 : 0);
        if (!m)
            continue;
        const struct sl_jn_side *s = &j->side[m->side];
        sl_sbuf_put_u32(out, m->side);
        sl_sbuf_put_u32(out, m->rows);
        for (uint32_t r = 0; r < m->rows; r++)
            sl_sbuf_put_u64(out, m->hash[r]);
        for (uint32_t c = 0; c < s->ncols; c++) {
            if (s->skip[c])
                continue;
            if (s->types[c].id == SL_TYPE_VARCHAR) {
                const sl_str *v = (const sl_str *)(const void *)m->col[c];
                for (uint32_t r = 0; r < m->rows; r++)
                    sl_sbuf_put_bytes(out, sl_str_data(&v[r]), v[r].len);
            } else {
                sl_sbuf_put(out, m->col[c], (size_t)m->rows * s->width[c]);
            }
            if (m->valid[c])
                for (size_t w = 0; w < sl_jn_words(m->rows); w++)
                    sl_sbuf_put_u64(out, m->valid[c][w]);
        }
    }
    return sl_sbuf_check(out, err);
}

static int sl_jn_flag(struct sl_sread *in, bool *v, struct sl_error *err)
{
    uint8_t b;
    int rc = sl_sread_u8(in, &b, err);
    if (rc)
        return rc;
    if (b > 1)
        return sl_sread_fail(in, err, "join: a flag that is neither 0 nor 1");
    *v = b == 1;
    return 0;
}

static int sl_jn_restore_side(struct sl_op_join *j, struct sl_worker_ctx *ctx, struct sl_jn_side *s,
                              struct sl_sread *in, struct sl_error *err)
{
    uint32_t ncols, rows;
    int rc;
    if ((rc = sl_sread_u32(in, &ncols, err)) != 0)
        return rc;
    if (ncols != s->ncols)
        return sl_sread_fail(in, err, "join: a side's state with another number of columns");
    if ((rc = sl_sread_count(in, &rows, 8, err)) != 0)
        return rc;
    if (!sl_jn_grow(j, s, rows))
        return sl_jn_oom(j, ctx, err);
    for (uint32_t r = 0; r < rows; r++)
        if ((rc = sl_sread_u64(in, &s->hash[r], err)) != 0)
            return rc;
    for (uint32_t r = 0; s->match && r < rows; r++)
        if ((rc = sl_sread_u32(in, &s->match[r], err)) != 0)
            return rc;
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c])
            continue;
        if (s->types[c].id == SL_TYPE_VARCHAR) {
            sl_str *v = (sl_str *)(void *)s->col[c];
            for (uint32_t r = 0; r < rows; r++) {
                const void *p;
                uint32_t len;
                if ((rc = sl_sread_bytes(in, &p, &len, err)) != 0)
                    return rc;
                if (len > SL_STR_INLINE_MAX && !(p = sl_jn_str(j, s, p, len)))
                    return sl_jn_oom(j, ctx, err);
                v[r] = sl_str_make(p, len);
            }
        } else if ((rc = sl_sread_get(in, s->col[c], (size_t)rows * s->width[c], err)) != 0) {
            return rc;
        }
        if (s->valid[c])
            for (size_t w = 0; w < sl_jn_words(rows); w++)
                if ((rc = sl_sread_u64(in, &s->valid[c][w], err)) != 0)
                    return rc;
    }
    for (uint32_t r = 0; s->match && r < rows; r++) { /* NONE exactly where a key is NULL */
        bool null = false;
        for (uint32_t k = 0; k < s->nkeys; k++)
            null |= s->valid[s->keys[k]] && !sl_valid_get(s->valid[s->keys[k]], r);
        if (null != (s->match[r] == SL_JN_NONE))
            return sl_sread_fail(in, err, "join: a match count that does not fit its row's key");
    }
    s->rows = rows;
    if (!sl_jn_rehash(j, s, 0)) /* the chains, then grown to the slots they use */
        return sl_jn_oom(j, ctx, err);
    return 2 * (uint64_t)s->used <= s->nslots || sl_jn_rehash(j, s, s->used)
               ? 0
               : sl_jn_oom(j, ctx, err);
}

/* One saved message for another worker (see sl_jn_save) back into the outbox. */
static int sl_jn_restore_out(struct sl_op_join *j, struct sl_worker_ctx *ctx, struct sl_sread *in,
                             struct sl_error *err)
{
    uint32_t to, sd, rows;
    uint8_t data;
    int rc;
    if ((rc = sl_sread_u32(in, &to, err)) != 0 || (rc = sl_sread_u8(in, &data, err)) != 0)
        return rc;
    if (to >= (uint32_t)j->nworkers || data > 1)
        return sl_sread_fail(in, err, "join: a kept message that does not fit");
    if (!data) /* kept: sent at the first call after the restore */
        return sl_jn_keep(j, ctx, (int)to, NULL, err);
    if ((rc = sl_sread_u32(in, &sd, err)) != 0)
        return rc;
    if (sd > 1)
        return sl_sread_fail(in, err, "join: a kept message of neither side");
    if ((rc = sl_sread_count(in, &rows, 8, err)) != 0)
        return rc;
    if (rows > SL_BATCH_CAP)
        return sl_sread_fail(in, err, "join: a kept message of more rows than a batch");
    const struct sl_jn_side *s = &j->side[sd];
    uint64_t *hash = sl_mem_alloc(j->heap, ((size_t)rows + 1) * sizeof(*hash));
    uint8_t **col = sl_mem_zalloc(j->heap, (s->ncols + 1) * sizeof(*col));
    uint64_t **valid = sl_mem_zalloc(j->heap, (s->ncols + 1) * sizeof(*valid));
    if (!hash || !col || !valid) {
        rc = sl_jn_oom(j, ctx, err);
        goto out;
    }
    for (uint32_t r = 0; r < rows && !rc; r++)
        rc = sl_sread_u64(in, &hash[r], err);
    for (uint32_t c = 0; c < s->ncols && !rc; c++) {
        if (s->skip[c])
            continue;
        col[c] = sl_mem_zalloc(j->heap, ((size_t)rows + 1) * s->width[c]);
        if (s->types[c].nullable)
            valid[c] = sl_mem_zalloc(j->heap, (sl_jn_words(rows) + 1) * 8);
        if (!col[c] || (s->types[c].nullable && !valid[c])) {
            rc = sl_jn_oom(j, ctx, err);
            break;
        }
        if (s->types[c].id == SL_TYPE_VARCHAR) {
            sl_str *v = (sl_str *)(void *)col[c];
            for (uint32_t r = 0; r < rows && !rc; r++) {
                const void *p;
                uint32_t len;
                if ((rc = sl_sread_bytes(in, &p, &len, err)) == 0)
                    v[r] = sl_str_make(p, len); /* points into `in`: copied by msg_new */
            }
        } else {
            rc = sl_sread_get(in, col[c], (size_t)rows * s->width[c], err);
        }
        for (size_t w = 0; valid[c] && w < sl_jn_words(rows) && !rc; w++)
            rc = sl_sread_u64(in, &valid[c][w], err);
    }
    if (!rc) {
        struct sl_jn_msg *m = sl_jn_msg_new(s, (int)sd, col, valid, NULL, rows, hash);
        rc = m ? sl_jn_keep(j, ctx, (int)to, m, err) : sl_jn_oom(j, ctx, err);
    }
out:
    for (uint32_t c = 0; col && c < s->ncols; c++) {
        sl_mem_free(col[c]);
        if (valid)
            sl_mem_free(valid[c]);
    }
    sl_mem_free(col);
    sl_mem_free(valid);
    sl_mem_free(hash);
    return rc;
}

static int sl_jn_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    if (j->side[0].rows || j->side[1].rows || j->done[0] || j->done[1] || j->ends)
        return sl_op_error(ctx, j->op.plan->pos, err, SL_ESTATE,
                           "join: restore into an operator that has run");
    uint32_t magic, nw;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic == SL_JN_MAGIC_V1 && j->outer)
        return sl_sread_fail(in, err, "join: an outer join's state of format 1 (no match counts)");
    if (magic != SL_JN_MAGIC && magic != SL_JN_MAGIC_V1)
        return sl_sread_fail(in, err, "join: not a join's state");
    if ((rc = sl_sread_u32(in, &nw, err)) != 0)
        return rc;
    if (nw != (uint32_t)j->nworkers)
        return sl_error_set(err, SL_ECORRUPT, "%s: join state of %u workers, this job runs %d",
                            in->what, nw, j->nworkers);
    if ((rc = sl_jn_flag(in, &j->done[0], err)) != 0 ||
        (rc = sl_jn_flag(in, &j->done[1], err)) != 0 ||
        (rc = sl_jn_flag(in, &j->end_sent, err)) != 0 ||
        (rc = sl_sread_u32(in, &j->ends, err)) != 0 ||
        (rc = sl_jn_flag(in, &j->finished, err)) != 0)
        return rc;
    if (j->ends > (uint32_t)j->nworkers)
        return sl_sread_fail(in, err, "join: more ENDs than workers");
    if ((rc = sl_jn_restore_side(j, ctx, &j->side[0], in, err)) != 0 ||
        (rc = sl_jn_restore_side(j, ctx, &j->side[1], in, err)) != 0)
        return rc;
    uint32_t nout;
    if ((rc = sl_sread_count(in, &nout, 5, err)) != 0)
        return rc;
    for (uint32_t k = 0; k < nout; k++)
        if ((rc = sl_jn_restore_out(j, ctx, in, err)) != 0)
            return rc;
    return 0;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void sl_jn_side_free(struct sl_jn_side *s)
{
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->col)
            sl_mem_free(s->col[c]);
        if (s->valid)
            sl_mem_free(s->valid[c]);
    }
    sl_mem_free(s->col);
    sl_mem_free(s->valid);
    sl_mem_free(s->bcol);
    sl_mem_free(s->bvalid);
    sl_mem_free(s->types);
    sl_mem_free(s->width);
    sl_mem_free(s->skip);
    sl_mem_free(s->hash);
    sl_mem_free(s->next);
    sl_mem_free(s->match);
    sl_mem_free(s->head);
    for (struct sl_jn_chunk *c = s->chunks, *n; c; c = n) {
        n = c->next;
        sl_mem_free(c);
    }
}

static void sl_jn_free(struct sl_op *op)
{
    struct sl_op_join *j = (struct sl_op_join *)op;
    if (!j)
        return;
    sl_jn_side_free(&j->side[0]);
    sl_jn_side_free(&j->side[1]);
    for (uint32_t k = 0; k < j->nout; k++)
        sl_mem_free(j->out[k].msg);
    sl_mem_free(j->out);
    sl_mem_free(j->hashes);
    sl_mem_free(j->i64buf);
    sl_mem_free(j->bucket);
    sl_mem_free(j->counts);
    sl_mem_free(j->sorted);
    sl_mem_free(j->pl);
    sl_mem_free(j->pr);
    sl_mem_free(j->pk);
    sl_mem_free(j->cl);
    sl_mem_free(j->cr);
    sl_eval_free(j->res_ev);
    if (j->cand_pool)
        sl_batch_pool_free(j->cand_pool);
    if (j->out_pool)
        sl_batch_pool_free(j->out_pool);
    sl_schema_free(j->out_schema);
    sl_mem_free(j);
}

static const struct sl_op_ops sl_jn_ops = {
    .name = "join",
    .push = sl_jn_push,
    .watermark = sl_jn_watermark,
    .receive = sl_jn_receive,
    .finish = sl_jn_finish,
    .free = sl_jn_free,
    .save = sl_jn_save,
    .restore = sl_jn_restore,
};

static void sl_jn_right_free(struct sl_op *op)
{
    (void)op; /* part of the join */
}

static const struct sl_op_ops sl_jn_right_ops = {
    .name = "join (right input)",
    .push = sl_jn_right_push,
    .watermark = sl_jn_right_watermark,
    .finish = sl_jn_right_finish,
    .free = sl_jn_right_free,
    .stateless = true, /* its state is the join's */
};

static bool sl_jn_side_init(struct sl_op_join *j, struct sl_jn_side *s, const struct sl_rel *rel,
                            const int *keys, uint32_t nkeys, bool outer)
{
    s->outer = outer;
    s->ncols = rel->ncols;
    s->keys = keys;
    s->nkeys = nkeys;
    uint32_t nc = rel->ncols ? rel->ncols : 1;
    s->types = sl_mem_zalloc(j->heap, nc * sizeof(*s->types));
    s->width = sl_mem_zalloc(j->heap, nc);
    s->skip = sl_mem_zalloc(j->heap, nc * sizeof(*s->skip));
    s->col = sl_mem_zalloc(j->heap, nc * sizeof(*s->col));
    s->valid = sl_mem_zalloc(j->heap, nc * sizeof(*s->valid));
    s->bcol = sl_mem_zalloc(j->heap, nc * sizeof(*s->bcol));
    s->bvalid = sl_mem_zalloc(j->heap, nc * sizeof(*s->bvalid));
    if (!s->types || !s->width || !s->skip || !s->col || !s->valid || !s->bcol || !s->bvalid)
        return false;
    for (uint32_t c = 0; c < rel->ncols; c++) {
        s->types[c] = rel->cols[c].type;
        s->width[c] = (uint8_t)sl_type_width(rel->cols[c].type.id);
    }
    return sl_jn_rehash(j, s, 0);
}

int sl_op_join_new(const struct sl_plan *node, struct sl_worker_ctx *ctx, struct sl_op **out,
                   struct sl_error *err)
{
    struct sl_op_join *j = sl_mem_zalloc(ctx->heap, sizeof(*j));
    if (!j)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    j->op.ops = &sl_jn_ops;
    j->op.plan = node;
    j->right.op.ops = &sl_jn_right_ops;
    j->right.op.plan = node;
    j->right.j = j;
    j->heap = ctx->heap;
    j->nworkers = ctx->nworkers > 0 ? ctx->nworkers : 1;
    j->left_local = node->join.left_local;
    size_t cap = SL_BATCH_CAP;
    j->hashes = sl_mem_alloc(j->heap, cap * sizeof(*j->hashes));
    j->i64buf = sl_mem_alloc(j->heap, cap * sizeof(*j->i64buf));
    j->bucket = sl_mem_alloc(j->heap, cap * sizeof(*j->bucket));
    j->counts = sl_mem_alloc(j->heap, ((size_t)j->nworkers + 1) * sizeof(*j->counts));
    j->sorted = sl_mem_alloc(j->heap, cap * sizeof(*j->sorted));
    j->pl = sl_mem_alloc(j->heap, cap * sizeof(*j->pl));
    j->pr = sl_mem_alloc(j->heap, cap * sizeof(*j->pr));
    j->pk = sl_mem_alloc(j->heap, cap);
    sl_plan_join_type jt = node->join.type;
    j->outer = jt != SL_PLAN_JOIN_INNER;
    j->out_schema = sl_plan_rel_schema(&node->out);
    if (!j->hashes || !j->i64buf || !j->bucket || !j->counts || !j->sorted || !j->pl || !j->pr ||
        !j->pk || !j->out_schema ||
        !sl_jn_side_init(j, &j->side[0], &node->input->out, node->join.lkeys, node->join.nkeys,
                         jt == SL_PLAN_JOIN_LEFT || jt == SL_PLAN_JOIN_FULL) ||
        !sl_jn_side_init(j, &j->side[1], &node->join.right->out, node->join.rkeys, node->join.nkeys,
                         jt == SL_PLAN_JOIN_RIGHT || jt == SL_PLAN_JOIN_FULL) ||
        !(j->out_pool = sl_batch_pool_new(ctx->heap, j->out_schema, 4))) {
        sl_jn_free(&j->op);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (node->join.residual) {
        struct sl_expr *res = node->join.residual;
        j->cl = sl_mem_alloc(j->heap, cap * sizeof(*j->cl));
        j->cr = sl_mem_alloc(j->heap, cap * sizeof(*j->cr));
        j->cand_pool = sl_batch_pool_new(ctx->heap, j->out_schema, 1);
        if (!j->cl || !j->cr || !j->cand_pool) {
            sl_jn_free(&j->op);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        j->res_ev = sl_eval_new(ctx->heap, &node->out, 1, &res, ctx->sql, err);
        if (!j->res_ev) {
            sl_jn_free(&j->op);
            return err && err->code ? err->code : SL_ENOMEM;
        }
    }
    *out = &j->op;
    return 0;
}

struct sl_op *sl_op_join_right(struct sl_op *join)
{
    return &((struct sl_op_join *)join)->right.op;
}

void sl_op_join_prune(struct sl_op *join, const bool *need)
{
    struct sl_op_join *j = (struct sl_op_join *)join;
    for (int sd = 0; sd < 2; sd++) {
        struct sl_jn_side *s = &j->side[sd];
        if (s->rows)
            return; /* before any row only */
        for (uint32_t c = 0; c < s->ncols; c++)
            s->skip[c] = !need[(sd ? j->side[0].ncols : 0) + c];
        for (uint32_t k = 0; k < s->nkeys; k++)
            s->skip[s->keys[k]] = false;
    }
}

void sl_op_join_rows(const struct sl_op *join, uint64_t *left, uint64_t *right)
{
    const struct sl_op_join *j = (const struct sl_op_join *)join;
    *left = j->side[0].rows;
    *right = j->side[1].rows;
}
