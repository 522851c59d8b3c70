/*
 * engine/ops/op_rank.c - Top-N and deduplication (see engine/ops/op_rank.h for the design and
 * the semantics).
 *
 * STATE
 *   keys     the owner's hashagg without aggregates: partition key -> group id (dense)
 *   grp      per group: how many rows it keeps (n <= end), and their row ids in rank order
 *            (`one` inline when end = 1, else `ids`, grown by doubling up to end)
 *   rows     the row store: per column an array by row id; per row its arrival number and
 *            its block of long strings; free row ids on a stack
 *
 * CHECKPOINT STATE (ops->save / ops->restore, little-endian, engine/core/state.h): taken at a
 * consistent cut, so no message is in flight (a worker sends its rows within the push that
 * got them).
 *
 *   bytes      field
 *   4          magic 0x314b5253 ("SRK1", format 1)
 *   4          nworkers (restore refuses another count: SL_ECORRUPT naming both)
 *   4          ncols of a kept row (restore checks it)
 *   8, 8, 8    wm1, wm1_sent, wm2                  (engine/ops/exchange.h: sl_xchg_save_sent,
 *   1, 1       input_done, finished (0/1)           then sl_xchg_save_recv)
 *   8 x nw     sender_wm[]
 *   8          next arrival number
 *   1          keys present (0/1), then if 1 the hashagg state (sl_hashagg_save) and
 *   4          groups, then per group: 4 rows, then per row 8 arrival number and per column
 *              1 NULL flag, then the value: VARCHAR as 4 length + bytes, others their width
 *   format 2 ("SRK2" = 0x324b5253, written with a state TTL): format 1, then 8 x groups the
 *              groups' last writes (ms since the epoch). Both restore with or without a TTL
 *              (groups without a time start their TTL at the restore), rescaled too.
 *   format 3 ("SRK3" = 0x334b5253, written when messages were kept back while the checkpoint
 *              aligned: a Top-N fed by another exchange, e.g. over a GROUP BY): the magic, 1
 *              byte 1 when the TTL times follow the groups (else 0), format 1's fields after
 *              the magic, the times, then 4 messages and per message 4 its worker and its
 *              batch as sl_rowc_put_batch (with the row kinds in retract mode). Restored they
 *              are sent at the start (ops->resumed); rescaled, the rows this worker owns now
 *              are taken by it at the start, as if received.
 *   The keys-present byte is 2 for a global Top-N (no PARTITION BY): no key table, one group.
 *   In retract mode a group's rows are all its rows, the top and those below it.
 * Row ids are not saved: restore gives the rows new ones.
 */
#include "engine/ops/op_rank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/exchange.h"
#include "engine/ops/hashagg.h"
#include "engine/ops/rowcodec.h"
#include "engine/plan/catalog.h"
#include "engine/plan/settings.h"
#include "kernels/hash.h"

#define SL_RK_MAGIC 0x314b5253u  /* "SRK1" little-endian: format version 1 */
#define SL_RK_MAGIC2 0x324b5253u /* "SRK2": format 1 with the partitions' TTL times */
#define SL_RK_MAGIC3 0x334b5253u /* "SRK3": with messages kept back (sl_rk_held) */
#define SL_RK_CLASSES 31         /* block size classes: 32, 48, 64, 96, ... (x 1.5, x 4/3) */
#define SL_RK_CHUNK (1u << 20)   /* blocks up to this size come from chunks of it */

struct sl_rk_grp {
    uint32_t n, cap; /* rows kept; capacity of ids */
    uint32_t one;    /* the row id when end = 1 */
    uint32_t *ids;   /* end > 1: row ids in rank order */
};

struct sl_rk_chunk {
    struct sl_rk_chunk *next;
};

/* A message kept back while a checkpoint aligned (for worker `to`). */
struct sl_rk_held {
    int to;
    struct sl_rank_msg *m;
};

struct sl_op_rank {
    struct sl_op op;
    struct sl_heap *heap;
    int nworkers;
    /* the plan, resolved */
    uint32_t ncols;   /* columns of a kept row (the input's) */
    uint32_t outcols; /* ncols (+ 1: the row number) */
    uint8_t *width;   /* per column: value bytes */
    uint8_t *type;    /* per column: sl_type_id */
    bool *nullable;   /* per column */
    uint32_t norder;
    uint32_t *order; /* ORDER BY columns */
    bool *desc, *nulls_first;
    uint32_t npart;
    uint32_t *part; /* PARTITION BY columns */
    struct sl_type *part_types;
    int64_t start, end;
    bool row_number, dedup, keep_last, proctime;
    bool retract;  /* over an updating input: every row of a partition kept, -U / -D retract */
    bool global;   /* no PARTITION BY: one partition (group 0), no key table */
    uint32_t keep; /* rows a group keeps at most: end, or UINT32_MAX when retract */
    /* exchange */
    struct sl_xchg x;
    struct sl_rank_msg **outbox; /* per owner: rows not sent yet (within one push) */
    struct sl_rank_msg **spare;
    uint32_t nspare;
    /* messages kept back while a checkpoint aligned (a second exchange: a Top-N over a GROUP
     * BY gets rows while the GROUP BY serves received messages), in order; saved */
    struct sl_rk_held *held;
    uint32_t nheld, capheld;
    struct sl_schema *in_schema;
    uint64_t *hashes;
    uint32_t *bucket, *counts;
    sl_sel_t *sorted;
    /* state */
    struct sl_hashagg *keys;
    struct sl_hashagg_spec spec;
    uint32_t *gids;
    struct sl_rk_grp *grp;
    uint32_t capgrp;
    uint64_t next_seq;
    /* the row store */
    uint32_t caprows, hirows; /* allocated; ids below hirows were used */
    char **vals;              /* per column: caprows * width */
    uint8_t **nulls;          /* per column: caprows flags (NULL when not nullable) */
    uint64_t *seq;            /* per row */
    char **blob;              /* per row: its long strings, or NULL */
    uint8_t *blob_class;      /* per row: size class of blob, 255 = own allocation */
    uint32_t *free_ids;
    uint32_t nfree, capfree;
    void *free_blocks[SL_RK_CLASSES];
    struct sl_rk_chunk *chunks;
    char *chunk_pos;
    size_t chunk_left;
    /* output */
    struct sl_schema *out_schema;
    struct sl_batch_pool *out_pool;
    struct sl_batch *out;
    /* state TTL ('table.exec.state.ttl', the block "state TTL" below) */
    int64_t ttl_ms;     /* 0: partitions are kept forever */
    int64_t *ts;        /* capgrp: per group its last write, ms since the epoch (0: unknown) */
    int64_t oldest;     /* at most the least ts[] of a group that keeps rows */
    int64_t next_sweep; /* when the cleanup looks for expired groups next */
    bool wrote;         /* sl_rk_row kept its row */
};

/* ---- helpers ------------------------------------------------------------------------------- */

static int sl_rk_oom(const struct sl_op_rank *k, const struct sl_worker_ctx *ctx,
                     struct sl_error *err)
{
    return sl_op_error(ctx, k->op.plan->pos, err, SL_ENOMEM, "Top-N: out of memory");
}

static void sl_rk_msg_free(struct sl_rank_msg *m)
{
    if (!m)
        return;
    if (m->b)
        sl_batch_pool_put(m->b);
    if (m->pool)
        sl_batch_pool_free(m->pool);
    sl_mem_free(m);
}

static void sl_rk_msg_free_payload(void *p)
{
    sl_rk_msg_free(p);
}

/* ---- the row store ------------------------------------------------------------------------- */

/* The bytes of a block of class c: 32 << c/2, times 1.5 for odd c (at most a third of a
 * block is waste; powers of two alone wasted up to half, q18's 150-190 byte rows a quarter). */
static inline size_t sl_rk_class_size(uint32_t c)
{
    return ((size_t)(c & 1 ? 48 : 32)) << (c / 2);
}

/* A block of at least `len` bytes: *cls its class (255: an allocation of its own). */
static char *sl_rk_block(struct sl_op_rank *k, size_t len, uint8_t *cls)
{
    uint32_t c = 0;
    while (c < SL_RK_CLASSES && sl_rk_class_size(c) < len)
        c++;
    if (c == SL_RK_CLASSES || sl_rk_class_size(c) > SL_RK_CHUNK) {
        *cls = 255;
        return sl_mem_alloc(k->heap, len);
    }
    *cls = (uint8_t)c;
    void *b = k->free_blocks[c];
    if (b) {
        memcpy(&k->free_blocks[c], b, sizeof(void *));
        return b;
    }
    size_t size = sl_rk_class_size(c);
    if (k->chunk_left < size) {
        struct sl_rk_chunk *ch = sl_mem_alloc(k->heap, sizeof(*ch) + 64 + SL_RK_CHUNK);
        if (!ch)
            return NULL;
        ch->next = k->chunks;
        k->chunks = ch;
        k->chunk_pos = (char *)(ch + 1);
        k->chunk_pos += (64 - ((uintptr_t)k->chunk_pos & 63)) & 63;
        k->chunk_left = SL_RK_CHUNK;
    }
    char *r = k->chunk_pos;
    k->chunk_pos += size;
    k->chunk_left -= size;
    return r;
}

static void sl_rk_block_free(struct sl_op_rank *k, char *b, uint8_t cls)
{
    if (!b)
        return;
    if (cls == 255) {
        sl_mem_free(b);
        return;
    }
    memcpy(b, &k->free_blocks[cls], sizeof(void *));
    k->free_blocks[cls] = b;
}

static int sl_rk_rows_grow(struct sl_op_rank *k)
{
    uint32_t cap = k->caprows ? k->caprows * 2 : 1024;
    if (cap <= k->caprows)
        return SL_ENOMEM;
    for (uint32_t c = 0; c < k->ncols; c++) {
        char *v = sl_mem_alloc(k->heap, (size_t)cap * k->width[c]);
        if (!v)
            return SL_ENOMEM;
        if (k->hirows)
            memcpy(v, k->vals[c], (size_t)k->hirows * k->width[c]);
        sl_mem_free(k->vals[c]);
        k->vals[c] = v;
        if (!k->nullable[c])
            continue;
        uint8_t *nl = sl_mem_alloc(k->heap, cap);
        if (!nl)
            return SL_ENOMEM;
        if (k->hirows)
            memcpy(nl, k->nulls[c], k->hirows);
        sl_mem_free(k->nulls[c]);
        k->nulls[c] = nl;
    }
    uint64_t *seq = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*seq));
    char **blob = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*blob));
    uint8_t *bc = sl_mem_alloc(k->heap, cap);
    if (!seq || !blob || !bc) {
        sl_mem_free(seq);
        sl_mem_free(blob);
        sl_mem_free(bc);
        return SL_ENOMEM;
    }
    if (k->hirows) {
        memcpy(seq, k->seq, (size_t)k->hirows * sizeof(*seq));
        memcpy(blob, k->blob, (size_t)k->hirows * sizeof(*blob));
        memcpy(bc, k->blob_class, k->hirows);
    }
    sl_mem_free(k->seq);
    sl_mem_free(k->blob);
    sl_mem_free(k->blob_class);
    k->seq = seq;
    k->blob = blob;
    k->blob_class = bc;
    k->caprows = cap;
    return 0;
}

static int sl_rk_row_id(struct sl_op_rank *k, uint32_t *id)
{
    if (k->nfree) {
        *id = k->free_ids[--k->nfree];
        return 0;
    }
    if (k->hirows == k->caprows) {
        int rc = sl_rk_rows_grow(k);
        if (rc)
            return rc;
    }
    *id = k->hirows++;
    return 0;
}

static void sl_rk_row_free(struct sl_op_rank *k, uint32_t id)
{
    sl_rk_block_free(k, k->blob[id], k->blob_class[id]);
    k->blob[id] = NULL;
    if (k->nfree == k->capfree) { /* at most hirows ids are ever free: never fails for long */
        uint32_t cap = k->capfree ? k->capfree * 2 : 1024;
        uint32_t *f = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*f));
        if (!f)
            return; /* the id is lost, not reused: memory only */
        if (k->nfree)
            memcpy(f, k->free_ids, (size_t)k->nfree * sizeof(*f));
        sl_mem_free(k->free_ids);
        k->free_ids = f;
        k->capfree = cap;
    }
    k->free_ids[k->nfree++] = id;
}

/* The value of column c of a stored row or of a batch row, and whether it is NULL. */
static inline const void *sl_rk_sval(const struct sl_op_rank *k, uint32_t c, uint32_t id,
                                     bool *is_null)
{
    *is_null = k->nulls[c] && k->nulls[c][id];
    return k->vals[c] + (size_t)id * k->width[c];
}

static inline const void *sl_rk_bval(const struct sl_op_rank *k, const struct sl_batch *b,
                                     uint32_t c, uint32_t r, bool *is_null)
{
    const struct sl_column *col = &b->cols[c];
    *is_null = col->valid && sl_col_is_null(col, r);
    return (const char *)col->data + (size_t)r * k->width[c];
}

/* Copies one value of `w` bytes (1, 4, 8 or 16): inline moves, not a call per value. */
static inline void sl_rk_copy(void *dst, const void *src, uint8_t w)
{
    switch (w) {
    case 8:
        memcpy(dst, src, 8);
        break;
    case 16:
        memcpy(dst, src, 16);
        break;
    case 4:
        memcpy(dst, src, 4);
        break;
    default:
        memcpy(dst, src, w);
    }
}

/* Copies row r of b into a new stored row *id with arrival number seq. */
static int sl_rk_store(struct sl_op_rank *k, const struct sl_batch *b, uint32_t r, uint64_t seq,
                       uint32_t *id)
{
    int rc = sl_rk_row_id(k, id);
    if (rc)
        return rc;
    uint32_t i = *id;
    size_t longb = 0; /* several strings of up to 4 GiB each */
    for (uint32_t c = 0; c < k->ncols; c++) {
        bool isn;
        const void *v = sl_rk_bval(k, b, c, r, &isn);
        if (k->nulls[c])
            k->nulls[c][i] = isn;
        sl_rk_copy(k->vals[c] + (size_t)i * k->width[c], v, k->width[c]);
        if (k->type[c] == SL_TYPE_VARCHAR && !isn) {
            const sl_str *s = v;
            if (s->len > SL_STR_INLINE_MAX)
                longb += s->len;
        }
    }
    k->seq[i] = seq;
    k->blob[i] = NULL;
    k->blob_class[i] = 0;
    if (!longb)
        return 0;
    char *blk = sl_rk_block(k, longb, &k->blob_class[i]);
    if (!blk) {
        sl_rk_row_free(k, i);
        return SL_ENOMEM;
    }
    k->blob[i] = blk;
    for (uint32_t c = 0; c < k->ncols; c++) {
        if (k->type[c] != SL_TYPE_VARCHAR || (k->nulls[c] && k->nulls[c][i]))
            continue;
        sl_str *s = (sl_str *)(k->vals[c] + (size_t)i * sizeof(sl_str));
        if (s->len <= SL_STR_INLINE_MAX)
            continue;
        memcpy(blk, s->ptr, s->len);
        s->ptr = blk;
        blk += s->len;
    }
    return 0;
}

/* ---- order --------------------------------------------------------------------------------- */

static inline int sl_rk_cmp_f64(double a, double b)
{
    /* Java's Double.compare: -0.0 < 0.0, NaN above everything and equal to itself */
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    uint64_t x, y;
    memcpy(&x, &a, 8);
    memcpy(&y, &b, 8);
    if (a != a || b != b)
        return (a != a) - (b != b);
    return x == y ? 0 : (int64_t)x < (int64_t)y ? -1 : 1;
}

static inline int sl_rk_cmp_str(const sl_str *a, const sl_str *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(sl_str_data(a), sl_str_data(b), n);
    if (c)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* < 0 when row r of b ranks before stored row id by the ORDER BY, 0 when they tie. */
static int sl_rk_cmp_key(const struct sl_op_rank *k, const struct sl_batch *b, uint32_t r,
                         uint32_t id)
{
    for (uint32_t o = 0; o < k->norder; o++) {
        uint32_t c = k->order[o];
        bool na, nb;
        const void *va = sl_rk_bval(k, b, c, r, &na);
        const void *vb = sl_rk_sval(k, c, id, &nb);
        int d;
        if (na || nb) {
            if (na && nb)
                continue;
            d = na == k->nulls_first[o] ? -1 : 1; /* placement, whatever the direction */
            return d;
        }
        switch (k->type[c]) {
        case SL_TYPE_BOOLEAN:
            d = (*(const uint8_t *)va != 0) - (*(const uint8_t *)vb != 0);
            break;
        case SL_TYPE_INT: {
            int32_t x = *(const int32_t *)va, y = *(const int32_t *)vb;
            d = (x > y) - (x < y);
            break;
        }
        case SL_TYPE_DOUBLE:
            d = sl_rk_cmp_f64(*(const double *)va, *(const double *)vb);
            break;
        case SL_TYPE_VARCHAR:
            d = sl_rk_cmp_str(va, vb);
            break;
        default: {
            int64_t x = *(const int64_t *)va, y = *(const int64_t *)vb;
            d = (x > y) - (x < y);
            break;
        }
        }
        if (d)
            return k->desc[o] ? -d : d;
    }
    return 0;
}

/* < 0 when row r of b ranks before stored row id (the later arrival: ties as Flink's). */
static int sl_rk_cmp(const struct sl_op_rank *k, const struct sl_batch *b, uint32_t r, uint32_t id)
{
    /* deduplication by processing time: arrival order (the later row is "less" for keep last) */
    int d = k->proctime ? 0 : sl_rk_cmp_key(k, b, r, id);
    return d ? d : k->keep_last ? -1 : 1;
}

/* Whether row r of b equals stored row id in every column (Flink's record equaliser: NULL
 * flags and values, strings by their bytes, others by their bits). */
static bool sl_rk_same(const struct sl_op_rank *k, const struct sl_batch *b, uint32_t r,
                       uint32_t id)
{
    for (uint32_t c = 0; c < k->ncols; c++) {
        bool na, nb;
        const void *va = sl_rk_bval(k, b, c, r, &na);
        const void *vb = sl_rk_sval(k, c, id, &nb);
        if (na || nb) {
            if (na != nb)
                return false;
            continue;
        }
        if (k->type[c] == SL_TYPE_VARCHAR) {
            if (sl_rk_cmp_str(va, vb))
                return false;
        } else if (k->type[c] == SL_TYPE_BOOLEAN) {
            if ((*(const uint8_t *)va != 0) != (*(const uint8_t *)vb != 0))
                return false;
        } else if (memcmp(va, vb, k->width[c])) {
            return false;
        }
    }
    return true;
}

/* ---- output -------------------------------------------------------------------------------- */

static int sl_rk_flush(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_batch *o = k->out;
    if (!o)
        return 0;
    k->out = NULL;
    if (o->rows == 0) {
        sl_batch_pool_put(o);
        return 0;
    }
    return sl_op_push_next(&k->op, ctx, o, err);
}

/* Appends stored row `id` (with its rank when the row number is output) as `kind`. */
static int sl_rk_emit(struct sl_op_rank *k, struct sl_worker_ctx *ctx, uint32_t id, int64_t rank,
                      uint8_t kind, struct sl_error *err)
{
    if (k->out && k->out->rows == SL_BATCH_CAP) {
        int rc = sl_rk_flush(k, ctx, err);
        if (rc)
            return rc;
    }
    if (!k->out) {
        k->out = sl_batch_pool_get(k->out_pool);
        if (!k->out)
            return sl_rk_oom(k, ctx, err);
        sl_batch_kinds(k->out);
    }
    struct sl_batch *o = k->out;
    uint32_t j = o->rows;
    for (uint32_t c = 0; c < k->ncols; c++) {
        bool isn;
        const void *v = sl_rk_sval(k, c, id, &isn);
        struct sl_column *d = &o->cols[c];
        if (isn) {
            if (!d->valid)
                return sl_op_error(ctx, k->op.plan->pos, err, SL_EINVAL,
                                   "Top-N: NULL into the NOT NULL column %u", c);
            sl_col_set_null(d, j, true);
            memset((char *)d->data + (size_t)j * k->width[c], 0, k->width[c]);
            continue;
        }
        if (d->valid)
            sl_col_set_null(d, j, false);
        if (k->type[c] == SL_TYPE_VARCHAR) {
            sl_str s = *(const sl_str *)v;
            if (s.len > SL_STR_INLINE_MAX) {
                s = sl_batch_str(o, s.ptr, s.len);
                if (!sl_str_ok(s))
                    return sl_rk_oom(k, ctx, err);
            }
            sl_col_str(d)[j] = s;
        } else {
            sl_rk_copy((char *)d->data + (size_t)j * k->width[c], v, k->width[c]);
        }
    }
    if (k->row_number)
        sl_col_i64(&o->cols[k->ncols])[j] = rank;
    o->kind[j] = kind;
    o->rows = j + 1;
    return 0;
}

/* ---- the owner: rows into their groups ----------------------------------------------------- */

static int sl_rk_grp_reserve(struct sl_op_rank *k, uint32_t ng)
{
    if (ng <= k->capgrp)
        return 0;
    uint32_t cap = k->capgrp ? k->capgrp : 1024;
    while (cap < ng)
        cap = cap > UINT32_MAX / 2 ? ng : cap * 2;
    struct sl_rk_grp *g = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*g));
    int64_t *ts = k->ttl_ms ? sl_mem_zalloc(k->heap, (size_t)cap * sizeof(*ts)) : NULL;
    if (!g || (k->ttl_ms && !ts)) {
        sl_mem_free(g);
        sl_mem_free(ts);
        return SL_ENOMEM;
    }
    if (ts && k->capgrp)
        memcpy(ts, k->ts, (size_t)k->capgrp * sizeof(*ts));
    if (ts) {
        sl_mem_free(k->ts);
        k->ts = ts;
    }
    if (k->capgrp)
        memcpy(g, k->grp, (size_t)k->capgrp * sizeof(*g));
    memset(g + k->capgrp, 0, (size_t)(cap - k->capgrp) * sizeof(*g));
    sl_mem_free(k->grp);
    k->grp = g;
    k->capgrp = cap;
    return 0;
}

static inline uint32_t *sl_rk_ids(struct sl_rk_grp *g)
{
    return g->ids ? g->ids : &g->one;
}

/* The groups: the key table's, or the one of a global Top-N. */
static inline uint32_t sl_rk_ngroups(const struct sl_op_rank *k)
{
    return k->global ? 1 : sl_hashagg_groups(k->keys);
}

/* Makes room for one more id in group g (keep > 1). */
static int sl_rk_grp_room(struct sl_op_rank *k, struct sl_rk_grp *g)
{
    if (k->keep == 1 || g->n < g->cap)
        return 0;
    uint64_t cap = g->cap ? (uint64_t)g->cap * 2 : 4;
    if (cap > (uint64_t)k->keep)
        cap = (uint64_t)k->keep;
    if (cap <= g->n)
        return SL_ENOMEM;
    uint32_t *ids = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*ids));
    if (!ids)
        return SL_ENOMEM;
    if (g->n)
        memcpy(ids, sl_rk_ids(g), (size_t)g->n * sizeof(*ids));
    sl_mem_free(g->ids);
    g->ids = ids;
    g->cap = (uint32_t)cap;
    return 0;
}

/* Emits what the top's rows at ranks pos + 1 .. of group g became, after a row came in at
 * index pos (old_top: how many of the end first ranks were filled before; pushed: the row that
 * left rank `end` or UINT32_MAX). With the row number (or a range above 1) every rank from
 * the new row's down whose row changed: -U[old, rank] +U[new, rank], +I where it was empty. */
static int sl_rk_emit_in(struct sl_op_rank *k, struct sl_worker_ctx *ctx, const struct sl_rk_grp *g,
                         uint32_t pos, uint32_t old_top, uint32_t pushed, struct sl_error *err)
{
    const uint32_t *ids = g->ids ? g->ids : &g->one;
    uint32_t end = (uint32_t)k->end, top = g->n < end ? g->n : end;
    int rc = 0;
    if (k->dedup) {
        if (pushed != UINT32_MAX) {
            rc = sl_rk_emit(k, ctx, pushed, 0, SL_ROW_UPDATE_BEFORE, err);
            if (!rc)
                rc = sl_rk_emit(k, ctx, ids[pos], 0, SL_ROW_UPDATE_AFTER, err);
            return rc;
        }
        return sl_rk_emit(k, ctx, ids[pos], 0, SL_ROW_INSERT, err);
    }
    if (!k->row_number && k->start == 1) {
        if (pushed != UINT32_MAX)
            rc = sl_rk_emit(k, ctx, pushed, 0, SL_ROW_DELETE, err);
        return rc ? rc : sl_rk_emit(k, ctx, ids[pos], 0, SL_ROW_INSERT, err);
    }
    /* the row at rank j + 1 before is the one now below it (or the one pushed out) */
    for (uint32_t j = pos; !rc && j < top; j++) {
        int64_t rank = (int64_t)j + 1;
        if (rank < k->start)
            continue;
        if (j < old_top) {
            uint32_t before = j + 1 < top ? ids[j + 1] : pushed;
            rc = sl_rk_emit(k, ctx, before, rank, SL_ROW_UPDATE_BEFORE, err);
            if (!rc)
                rc = sl_rk_emit(k, ctx, ids[j], rank, SL_ROW_UPDATE_AFTER, err);
        } else {
            rc = sl_rk_emit(k, ctx, ids[j], rank, SL_ROW_INSERT, err);
        }
    }
    return rc;
}

/* Row r of b (an insert, or an update's new row) into group g: its rank, what it pushes out,
 * and the changes downstream. Retract mode keeps every row, also those below the top. */
static int sl_rk_row(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_rk_grp *g,
                     const struct sl_batch *b, uint32_t r, struct sl_error *err)
{
    uint32_t *ids = sl_rk_ids(g);
    uint32_t n = g->n, end = (uint32_t)k->end;
    uint64_t seq = k->next_seq++;
    if (!k->retract && n == end && sl_rk_cmp(k, b, r, ids[n - 1]) >= 0)
        return 0; /* below the top N: not kept (the common case once a group is full) */
    /* the position: after every row that ranks before it or ties (binary search) */
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sl_rk_cmp(k, b, r, ids[mid]) < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    uint32_t pos = lo;
    if (!k->retract && pos >= end)
        return 0;
    uint32_t id;
    if (sl_rk_store(k, b, r, seq, &id))
        return sl_rk_oom(k, ctx, err);
    if (n < k->keep && sl_rk_grp_room(k, g)) {
        sl_rk_row_free(k, id);
        return sl_rk_oom(k, ctx, err);
    }
    ids = sl_rk_ids(g);
    k->wrote = true;
    uint32_t out = UINT32_MAX; /* the row pushed out of the kept rows (append mode) */
    uint32_t old_top = n < end ? n : end;
    if (n == k->keep) {
        out = ids[n - 1];
        n--;
    }
    memmove(ids + pos + 1, ids + pos, (size_t)(n - pos) * sizeof(*ids));
    ids[pos] = id;
    g->n = n + 1;
    int rc = 0;
    if (pos < end) {
        /* the row that left the top: the one let go, or (retract) the one now below rank end */
        uint32_t pushed = out != UINT32_MAX ? out : g->n > end ? ids[end] : UINT32_MAX;
        rc = sl_rk_emit_in(k, ctx, g, pos, old_top, pushed, err);
    }
    if (out != UINT32_MAX)
        sl_rk_row_free(k, out);
    return rc;
}

/* Retract mode: row r of b (-U or -D) out of group g - the first kept row equal to it in every
 * column among those that tie with it, as Flink's RetractableTopNFunction - and the changes
 * downstream: the ranks from its own down move up one, the row below the top refills rank
 * `end`. A row that is not there (its partition expired) changes nothing, as in Flink. */
static int sl_rk_unrow(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_rk_grp *g,
                       const struct sl_batch *b, uint32_t r, struct sl_error *err)
{
    uint32_t *ids = sl_rk_ids(g);
    uint32_t n = g->n, end = (uint32_t)k->end, lo = 0, hi = n;
    while (lo < hi) { /* the first row that does not rank before it */
        uint32_t mid = lo + (hi - lo) / 2;
        if (sl_rk_cmp_key(k, b, r, ids[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t p = lo;
    while (p < n && sl_rk_cmp_key(k, b, r, ids[p]) == 0 && !sl_rk_same(k, b, r, ids[p]))
        p++;
    if (p == n || sl_rk_cmp_key(k, b, r, ids[p]) != 0)
        return 0;
    uint32_t id = ids[p];
    k->wrote = true;
    uint32_t old_top = n < end ? n : end;
    memmove(ids + p, ids + p + 1, (size_t)(n - p - 1) * sizeof(*ids));
    g->n = n - 1;
    uint32_t top = g->n < end ? g->n : end;
    int rc = 0;
    if (p < end && !k->row_number && k->start == 1) {
        rc = sl_rk_emit(k, ctx, id, 0, SL_ROW_DELETE, err);
        if (!rc && n > end) /* the row from below the top that refills it */
            rc = sl_rk_emit(k, ctx, ids[end - 1], 0, SL_ROW_INSERT, err);
    } else {
        for (uint32_t j = p; !rc && j < old_top; j++) {
            int64_t rank = (int64_t)j + 1;
            if (rank < k->start)
                continue;
            uint32_t before = j == p ? id : ids[j - 1];
            rc = sl_rk_emit(k, ctx, before, rank, j < top ? SL_ROW_UPDATE_BEFORE : SL_ROW_DELETE,
                            err);
            if (!rc && j < top)
                rc = sl_rk_emit(k, ctx, ids[j], rank, SL_ROW_UPDATE_AFTER, err);
        }
    }
    sl_rk_row_free(k, id);
    return rc;
}

/* ---- state TTL ------------------------------------------------------------------------------ */
/*
 * 'table.exec.state.ttl' (Flink's StateTtlConfig: OnCreateAndWrite, NeverReturnExpired, in
 * processing time): ts[g] is the wall-clock time of partition g's last write - a row that
 * entered its top N (a deduplication's kept row replaced; keep-first writes once). A row of a
 * partition whose ts is ttl_ms or more behind finds it expired: its kept rows are let go
 * (nothing is retracted, as in Flink) and it starts over (+I). The cleanup (sl_rk_ttl_sweep, at
 * most every ttl / 2, after a batch or at a watermark) lets the expired partitions' rows go
 * and, when the partitions without rows are half of the key table or more, rebuilds the key
 * table of the others (sl_rk_compact).
 */

/* Lets group g's kept rows go. */
static void sl_rk_grp_clear(struct sl_op_rank *k, struct sl_rk_grp *g)
{
    const uint32_t *ids = sl_rk_ids(g);
    for (uint32_t j = 0; j < g->n; j++)
        sl_rk_row_free(k, ids[j]);
    g->n = 0;
}

/* The key table and the groups of the partitions that keep rows only. */
static int sl_rk_compact(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    uint32_t ng = sl_hashagg_groups(k->keys), nk = 0;
    uint32_t *keep = sl_mem_alloc(k->heap, ((size_t)ng + 1) * sizeof(*keep));
    uint32_t *map = sl_mem_alloc(k->heap, ((size_t)ng + 1) * sizeof(*map));
    struct sl_rk_grp *ngrp = sl_mem_zalloc(k->heap, (size_t)k->capgrp * sizeof(*ngrp));
    int64_t *nts = sl_mem_zalloc(k->heap, (size_t)k->capgrp * sizeof(*nts));
    struct sl_hashagg *nh = NULL;
    int rc = keep && map && ngrp && nts ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
    for (uint32_t g = 0; !rc && g < ng; g++)
        if (k->grp[g].n)
            keep[nk++] = g;
    if (!rc)
        rc = sl_hashagg_new(k->heap, &k->spec, &nh, err);
    if (!rc) {
        memset(map, 0xff, ((size_t)ng + 1) * sizeof(*map));
        rc = sl_hashagg_merge_sel_map(nh, k->keys, keep, nk, map, err);
    }
    if (!rc) {
        for (uint32_t g = 0; g < ng; g++) {
            if (map[g] == UINT32_MAX) {
                sl_mem_free(k->grp[g].ids);
                continue;
            }
            ngrp[map[g]] = k->grp[g];
            nts[map[g]] = k->ts[g];
        }
        sl_hashagg_free(k->keys);
        k->keys = nh;
        nh = NULL;
        sl_mem_free(k->grp);
        sl_mem_free(k->ts);
        k->grp = ngrp;
        k->ts = nts;
        ngrp = NULL;
        nts = NULL;
    }
    sl_hashagg_free(nh);
    sl_mem_free(keep);
    sl_mem_free(map);
    sl_mem_free(ngrp);
    sl_mem_free(nts);
    return rc ? sl_op_error(ctx, k->op.plan->pos, err, rc, "Top-N: state TTL: %s",
                            err ? err->msg : sl_strerror(rc))
              : 0;
}

static int sl_rk_ttl_sweep(struct sl_op_rank *k, struct sl_worker_ctx *ctx, int64_t now,
                           struct sl_error *err)
{
    if (!k->ttl_ms || now < k->next_sweep || now - k->oldest < k->ttl_ms)
        return 0;
    k->next_sweep = now + (k->ttl_ms / 2 ? k->ttl_ms / 2 : 1);
    const int64_t lim = now - k->ttl_ms;
    uint32_t ng = sl_rk_ngroups(k), nempty = 0;
    int64_t oldest = INT64_MAX;
    for (uint32_t g = 0; g < ng; g++) {
        struct sl_rk_grp *gr = &k->grp[g];
        if (gr->n && k->ts[g] <= lim)
            sl_rk_grp_clear(k, gr);
        if (!gr->n)
            nempty++;
        else if (k->ts[g] < oldest)
            oldest = k->ts[g];
    }
    k->oldest = oldest;
    if (k->global || nempty == 0 || (uint64_t)nempty * 2 < ng)
        return 0; /* a global Top-N's one group stays */
    return sl_rk_compact(k, ctx, err);
}

/* The owner's work: the active rows of b (insert-only; retract mode any kind) into their
 * groups, in order. */
static int sl_rk_process(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_batch *b,
                         struct sl_error *err)
{
    uint32_t n = sl_batch_active(b);
    if (n == 0)
        return 0;
    if (b->kind && !k->retract) {
        for (uint32_t i = 0; i < n; i++) {
            uint8_t kind = b->kind[b->sel ? b->sel[i] : i];
            if (kind != SL_ROW_INSERT)
                return sl_op_error(ctx, k->op.plan->pos, err, SL_ENOTSUP,
                                   "Top-N: a %s row in its input; sluice ranks insert-only input "
                                   "only",
                                   sl_row_kind_str(kind));
        }
    }
    int rc = 0;
    if (k->global)
        memset(k->gids, 0, (size_t)n * sizeof(*k->gids));
    else
        rc = sl_hashagg_groups_of(k->keys, b, k->gids, err);
    if (rc)
        return sl_op_error(ctx, k->op.plan->pos, err, rc, "Top-N: %s",
                           err ? err->msg : sl_strerror(rc));
    if (sl_rk_grp_reserve(k, sl_rk_ngroups(k)))
        return sl_rk_oom(k, ctx, err);
    const int64_t now = k->ttl_ms ? sl_setting_now_ms() : 0, lim = now - k->ttl_ms;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = b->sel ? b->sel[i] : i, gid = k->gids[i];
        struct sl_rk_grp *g = &k->grp[gid];
        if (k->ttl_ms && g->n && k->ts[gid] <= lim)
            sl_rk_grp_clear(k, g); /* expired: the partition starts over */
        k->wrote = false;
        uint8_t kind = sl_batch_kind(b, r);
        rc = kind == SL_ROW_UPDATE_BEFORE || kind == SL_ROW_DELETE
                 ? sl_rk_unrow(k, ctx, g, b, r, err)
                 : sl_rk_row(k, ctx, g, b, r, err);
        if (rc)
            return rc;
        if (k->ttl_ms && k->wrote) {
            k->ts[gid] = now;
            if (now < k->oldest)
                k->oldest = now;
        }
    }
    rc = sl_rk_flush(k, ctx, err);
    return rc ? rc : sl_rk_ttl_sweep(k, ctx, now, err);
}

/* ---- phase 1: routing ---------------------------------------------------------------------- */

/* k->hashes[i]: the routing hash of active position i of b over its columns cols[0 .. npart
 * - 1] (the PARTITION BY columns: k->part in an input batch, 0 .. npart - 1 in the key
 * table's output). */
static void sl_rk_hash_cols(struct sl_op_rank *k, struct sl_batch *b, uint32_t n,
                            const uint32_t *cols)
{
    const struct sl_hash_kernels *h = sl_hash;
    for (uint32_t p = 0; p < k->npart; p++) {
        struct sl_column *c = &b->cols[cols[p]];
        const uint64_t *valid = c->valid;
        switch (c->type.id) {
        case SL_TYPE_INT:
            (p ? h->combine_i32 : h->i32)(c->data, valid, b->sel, n, k->hashes);
            break;
        case SL_TYPE_DOUBLE:
            (p ? h->combine_f64 : h->f64)(c->data, valid, b->sel, n, k->hashes);
            break;
        case SL_TYPE_VARCHAR:
            (p ? h->combine_str : h->str)(c->data, valid, b->sel, n, k->hashes);
            break;
        case SL_TYPE_BOOLEAN: {
            /* BOOLEAN keys route by value; no hash kernel reads bytes */
            const uint8_t *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = b->sel ? b->sel[i] : i;
                uint64_t x = valid && !sl_valid_get(valid, r) ? 2 : v[r] != 0;
                k->hashes[i] = p ? sl_hash_combine_u64(k->hashes[i], x) : x * 0x9e3779b97f4a7c15u;
            }
            break;
        }
        default:
            (p ? h->combine_i64 : h->i64)(c->data, valid, b->sel, n, k->hashes);
            break;
        }
    }
}

/* A global Top-N's rows all hash to 0: its one partition's owner. */
static void sl_rk_route_hash(struct sl_op_rank *k, struct sl_batch *b, uint32_t n)
{
    if (k->global)
        memset(k->hashes, 0, (size_t)n * sizeof(*k->hashes));
    else
        sl_rk_hash_cols(k, b, n, k->part);
}

/* An empty message (a spare one, or a new one on the process heap); NULL when out of memory. */
static struct sl_rank_msg *sl_rk_msg_new(struct sl_op_rank *k)
{
    if (k->nspare)
        return k->spare[--k->nspare];
    struct sl_rank_msg *m = sl_mem_zalloc(NULL, sizeof(*m));
    if (!m)
        return NULL;
    m->hdr.free_fn = sl_rk_msg_free_payload;
    m->pool = sl_batch_pool_new(NULL, k->in_schema, 1);
    m->b = m->pool ? sl_batch_pool_get(m->pool) : NULL;
    if (!m->b) {
        sl_rk_msg_free(m);
        return NULL;
    }
    return m;
}

/* Row r of b appended to the batch of owner o's message (made or taken from the spares). */
static int sl_rk_outbox_row(struct sl_op_rank *k, int o, const struct sl_batch *b, uint32_t r)
{
    struct sl_rank_msg *m = k->outbox[o];
    if (!m)
        m = sl_rk_msg_new(k);
    if (!m)
        return SL_ENOMEM;
    k->outbox[o] = m;
    struct sl_batch *d = m->b;
    uint32_t j = d->rows;
    if (k->retract) /* its rows' kinds go with them (rowcodec encodes them) */
        (d->kind ? d->kind : sl_batch_kinds(d))[j] = sl_batch_kind(b, r);
    for (uint32_t c = 0; c < k->ncols; c++) {
        const struct sl_column *s = &b->cols[c];
        struct sl_column *dc = &d->cols[c];
        bool isn = s->valid && sl_col_is_null(s, r);
        if (dc->valid)
            sl_col_set_null(dc, j, isn);
        sl_rk_copy((char *)dc->data + (size_t)j * k->width[c],
                   (const char *)s->data + (size_t)r * k->width[c], k->width[c]);
        if (k->type[c] == SL_TYPE_VARCHAR && !isn) {
            sl_str v = sl_col_str((struct sl_column *)s)[r];
            if (v.len > SL_STR_INLINE_MAX) {
                v = sl_batch_str(d, v.ptr, v.len);
                if (!sl_str_ok(v))
                    return SL_ENOMEM;
            }
            sl_col_str(dc)[j] = v;
        }
    }
    d->rows = j + 1;
    return 0;
}

/* Appends message m for worker `to` to the held ones (the callee's either way). */
static int sl_rk_hold(struct sl_op_rank *k, int to, struct sl_rank_msg *m)
{
    if (k->nheld == k->capheld) {
        uint32_t cap = k->capheld ? k->capheld * 2 : 16;
        struct sl_rk_held *h = sl_mem_alloc(k->heap, (size_t)cap * sizeof(*h));
        if (!h) {
            sl_rk_msg_free(m);
            return SL_ENOMEM;
        }
        if (k->nheld)
            memcpy(h, k->held, (size_t)k->nheld * sizeof(*h));
        sl_mem_free(k->held);
        k->held = h;
        k->capheld = cap;
    }
    k->held[k->nheld++] = (struct sl_rk_held){.to = to, .m = m};
    return 0;
}

/* Sends the held messages in order, then this worker's watermark if it is new (not while a
 * checkpoint aligns: a send then would cross the receiver's barrier into the next epoch). */
static int sl_rk_release(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    if (ctx->aligning)
        return 0;
    uint32_t i = 0;
    int rc = 0;
    for (; i < k->nheld && !rc; i++) {
        struct sl_rank_msg *m = k->held[i].m;
        if (k->held[i].to == ctx->worker) { /* rescaled: this worker's own rows */
            k->held[i].m = NULL;
            rc = sl_rk_process(k, ctx, m->b, err);
            sl_rk_msg_free(m);
            if (rc) {
                i++;
                break;
            }
            continue;
        }
        struct sl_msg msg = {.kind = SL_MSG_DATA, .aux = k->op.tag, .ptr = m};
        rc = sl_op_send(ctx, &k->op, k->held[i].to, msg, err);
        if (rc)
            break; /* not sent: still ours */
    }
    if (i && i < k->nheld)
        memmove(k->held, k->held + i, (size_t)(k->nheld - i) * sizeof(*k->held));
    k->nheld -= i;
    return rc ? rc : sl_xchg_send_wm(&k->x, &k->op, ctx, err);
}

static int sl_rk_send(struct sl_op_rank *k, struct sl_worker_ctx *ctx, int o, struct sl_error *err)
{
    struct sl_rank_msg *m = k->outbox[o];
    if (!m)
        return 0;
    if (ctx->aligning || k->nheld) { /* after the ones kept back */
        k->outbox[o] = NULL;
        if (sl_rk_hold(k, o, m))
            return sl_rk_oom(k, ctx, err);
        return sl_rk_release(k, ctx, err);
    }
    struct sl_msg msg = {.kind = SL_MSG_DATA, .aux = k->op.tag, .ptr = m};
    int rc = sl_op_send(ctx, &k->op, o, msg, err);
    if (rc)
        return rc; /* not sent: still ours, freed with the operator */
    k->outbox[o] = NULL;
    return 0;
}

static int sl_rk_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                      struct sl_error *err)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    uint32_t n = sl_batch_active(b);
    int rc = 0;
    if (n == 0 || k->nworkers == 1) {
        rc = sl_rk_process(k, ctx, b, err);
        sl_batch_pool_put(b);
        return rc;
    }
    if (b->kind && !k->retract) /* the owner checks kinds; messages carry none: check here */
        for (uint32_t i = 0; i < n && !rc; i++)
            if (b->kind[b->sel ? b->sel[i] : i] != SL_ROW_INSERT)
                rc = sl_op_error(ctx, op->plan->pos, err, SL_ENOTSUP,
                                 "Top-N: a %s row in its input; sluice ranks insert-only input "
                                 "only",
                                 sl_row_kind_str(b->kind[b->sel ? b->sel[i] : i]));
    if (rc) {
        sl_batch_pool_put(b);
        return rc;
    }
    sl_rk_route_hash(k, b, n);
    const uint32_t N = (uint32_t)k->nworkers;
    uint32_t nmine = 0;
    sl_sel_t *bsel = b->sel;
    uint32_t bnsel = b->nsel;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t r = bsel ? bsel[i] : i;
        uint32_t o = sl_kg_route(k->hashes[i], ctx->kg_max, N);
        if (o == (uint32_t)ctx->worker) {
            k->sorted[nmine++] = (sl_sel_t)r;
            continue;
        }
        if (k->outbox[o] && k->outbox[o]->b->rows == SL_BATCH_CAP)
            rc = sl_rk_send(k, ctx, (int)o, err);
        if (!rc && sl_rk_outbox_row(k, (int)o, b, r))
            rc = sl_rk_oom(k, ctx, err);
    }
    if (!rc && nmine) {
        b->sel = k->sorted;
        b->nsel = nmine;
        rc = sl_rk_process(k, ctx, b, err);
        b->sel = bsel;
        b->nsel = bnsel;
    }
    for (int o = 0; o < k->nworkers && !rc; o++)
        rc = sl_rk_send(k, ctx, o, err);
    sl_batch_pool_put(b);
    return rc;
}

static int sl_rk_watermark(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm,
                           struct sl_error *err)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    sl_xchg_wm_in(&k->x, wm);
    return sl_rk_release(k, ctx, err); /* with the held messages, after them */
}

/* After a checkpoint's alignment, or at the start after a restore: what was kept back goes. */
static int sl_rk_resumed(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    return sl_rk_release((struct sl_op_rank *)op, ctx, err);
}

static int sl_rk_receive(struct sl_op *op, struct sl_worker_ctx *ctx, int from, struct sl_msg msg,
                         struct sl_error *err)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    switch ((sl_msg_kind)msg.kind) {
    case SL_MSG_DATA: {
        struct sl_rank_msg *m = msg.ptr;
        int rc = sl_rk_process(k, ctx, m->b, err);
        if (k->nspare < (uint32_t)k->nworkers) {
            sl_batch_reset(m->b);
            k->spare[k->nspare++] = m;
        } else {
            sl_rk_msg_free(m);
        }
        return rc;
    }
    case SL_MSG_WATERMARK: {
        int64_t before;
        int rc = k->ttl_ms ? sl_rk_ttl_sweep(k, ctx, sl_setting_now_ms(), err) : 0;
        if (!rc)
            rc = sl_xchg_recv_wm(&k->x, op, ctx, from, msg.num, &before, "Top-N", err);
        return rc == 1 ? sl_xchg_pass(&k->x, op, ctx, err) : rc;
    }
    default:
        return 0;
    }
}

/* ---- the message codec (operator.h: msg_encode / msg_decode) ----------------------------------
 * A message, format 1: 1 version (1), then its batch as sl_rowc_put_batch (engine/ops/rowcodec.h;
 * every column stored, no kinds: the sender checked the rows are inserts; in retract mode with
 * the rows' kinds). */
#define SL_RK_MSG_V1 1

static int sl_rk_msg_encode(const struct sl_op *op, struct sl_msg msg, struct sl_sbuf *out,
                            struct sl_error *err)
{
    (void)op;
    const struct sl_rank_msg *m = msg.ptr;
    sl_sbuf_put_u8(out, SL_RK_MSG_V1);
    sl_rowc_put_batch(out, m->b, NULL);
    return sl_sbuf_check(out, err);
}

static int sl_rk_msg_decode(struct sl_op *op, struct sl_worker_ctx *ctx, uint32_t aux,
                            struct sl_sread *in, struct sl_msg *out, struct sl_error *err)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    uint8_t v;
    int rc = sl_sread_u8(in, &v, err);
    if (rc)
        return rc;
    if (v != SL_RK_MSG_V1)
        return sl_sread_fail(in, err, "Top-N: a message of an unknown format");
    struct sl_rank_msg *m = sl_rk_msg_new(k);
    if (!m)
        return sl_rk_oom(k, ctx, err);
    if ((rc = sl_rowc_get_batch(in, m->b, NULL, "Top-N", err)) == 0 && m->b->kind && !k->retract)
        rc = sl_sread_fail(in, err, "Top-N: a message with row kinds (insert-only rows)");
    if (rc) {
        sl_rk_msg_free(m);
        return rc;
    }
    *out = (struct sl_msg){.kind = SL_MSG_DATA, .aux = aux, .ptr = m};
    return 0;
}

static int sl_rk_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    int rc = sl_rk_release(k, ctx, err);
    if (rc)
        return rc;
    return sl_xchg_input_end(&k->x) ? sl_op_finish_next(op, ctx, err) : 0;
}

/* ---- checkpoints --------------------------------------------------------------------------- */

/* Whether the operator has taken no rows and no watermark yet (restore goes into such). */
static bool sl_rk_fresh(const struct sl_op_rank *k)
{
    bool rows = k->global ? k->next_seq != 0 : sl_hashagg_groups(k->keys) != 0;
    return !rows && k->x.wm1 == INT64_MIN && !k->x.input_done;
}

/* The keys-present byte of a saved state: 0 (none), 1 (a key table follows) or 2 (a global
 * Top-N's one group, no key table); the one this operator writes, else SL_ECORRUPT. */
static int sl_rk_get_present(const struct sl_op_rank *k, struct sl_sread *in, bool *present,
                             struct sl_error *err)
{
    uint8_t b;
    int rc = sl_sread_u8(in, &b, err);
    if (rc)
        return rc;
    if (b != 0 && b != (k->global ? 2 : 1))
        return sl_sread_fail(in, err,
                             b == 2   ? "Top-N: the state of a Top-N without PARTITION BY"
                             : b == 1 ? "Top-N: the state of a Top-N with PARTITION BY"
                                      : "Top-N: a keys flag that is neither 0, 1 nor 2");
    *present = b != 0;
    return 0;
}

static int sl_rk_save(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sbuf *out,
                      struct sl_error *err)
{
    (void)ctx;
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    sl_sbuf_put_u32(out, k->nheld ? SL_RK_MAGIC3 : k->ttl_ms ? SL_RK_MAGIC2 : SL_RK_MAGIC);
    if (k->nheld)
        sl_sbuf_put_u8(out, k->ttl_ms ? 1 : 0);
    sl_sbuf_put_u32(out, (uint32_t)k->nworkers);
    sl_sbuf_put_u32(out, k->ncols);
    sl_xchg_save_sent(&k->x, out);
    sl_xchg_save_recv(&k->x, out);
    sl_sbuf_put_u64(out, k->next_seq);
    uint32_t ng = sl_rk_ngroups(k);
    sl_sbuf_put_u8(out, k->global ? 2 : 1);
    int rc = k->global ? 0 : sl_hashagg_save(k->keys, out, err);
    if (rc)
        return rc;
    sl_sbuf_put_u32(out, ng);
    for (uint32_t g = 0; g < ng; g++) {
        struct sl_rk_grp *gr = &k->grp[g];
        const uint32_t *ids = sl_rk_ids(gr);
        sl_sbuf_put_u32(out, gr->n);
        for (uint32_t j = 0; j < gr->n; j++) {
            uint32_t id = ids[j];
            sl_sbuf_put_u64(out, k->seq[id]);
            for (uint32_t c = 0; c < k->ncols; c++) {
                bool isn;
                const void *v = sl_rk_sval(k, c, id, &isn);
                sl_sbuf_put_u8(out, isn);
                if (isn)
                    continue;
                if (k->type[c] == SL_TYPE_VARCHAR) {
                    const sl_str *s = v;
                    sl_sbuf_put_bytes(out, sl_str_data(s), s->len);
                } else {
                    sl_sbuf_put(out, v, k->width[c]);
                }
            }
        }
    }
    for (uint32_t g = 0; k->ttl_ms && g < ng; g++) /* format 2: the groups' last writes */
        sl_sbuf_put_u64(out, (uint64_t)k->ts[g]);
    if (k->nheld) { /* format 3: the messages kept back */
        sl_sbuf_put_u32(out, k->nheld);
        for (uint32_t i = 0; i < k->nheld; i++) {
            sl_sbuf_put_u32(out, (uint32_t)k->held[i].to);
            sl_rowc_put_batch(out, k->held[i].m->b, NULL);
        }
    }
    return sl_sbuf_check(out, err);
}

/* One saved row into the store (through a one-row scratch batch): *id. */
static int sl_rk_load_row(struct sl_op_rank *k, struct sl_batch *s, struct sl_sread *in,
                          uint32_t *id, struct sl_error *err)
{
    uint64_t seq;
    int rc = sl_sread_u64(in, &seq, err);
    if (rc)
        return rc;
    sl_batch_reset(s);
    if ((rc = sl_rowc_get(in, s, 0, NULL, "Top-N", err)) != 0)
        return rc;
    s->rows = 1;
    if (sl_rk_store(k, s, 0, seq, id))
        return sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring a row");
    return 0;
}

/* Format 2: the TTL times of the ng groups of a saved key table (map: where each went,
 * UINT32_MAX for one not taken; NULL: the same group). Ignored without a TTL. */
static int sl_rk_ttl_load(struct sl_op_rank *k, struct sl_sread *in, uint32_t ng,
                          const uint32_t *map, struct sl_error *err)
{
    for (uint32_t g = 0; g < ng; g++) {
        uint64_t v;
        int rc = sl_sread_u64(in, &v, err);
        if (rc)
            return rc;
        uint32_t to = map ? map[g] : g;
        /* the latest: a global Top-N's group 0 comes from every old worker, rows or not */
        if (k->ttl_ms && to != UINT32_MAX && to < k->capgrp && (int64_t)v > k->ts[to])
            k->ts[to] = (int64_t)v;
    }
    return 0;
}

/* After a restore: partitions without a known time (a state saved without a TTL) start their
 * TTL now; the oldest time. */
static void sl_rk_ttl_settle(struct sl_op_rank *k)
{
    if (!k->ttl_ms)
        return;
    int64_t now = sl_setting_now_ms();
    uint32_t ng = sl_rk_ngroups(k);
    k->oldest = INT64_MAX;
    for (uint32_t g = 0; g < ng && g < k->capgrp; g++) {
        if (!k->ts[g])
            k->ts[g] = now;
        if (k->grp[g].n && k->ts[g] < k->oldest)
            k->oldest = k->ts[g];
    }
}

/* A saved state's magic: whether TTL times and held messages follow (formats 2 and 3). */
static int sl_rk_get_magic(struct sl_sread *in, bool *times, bool *held, struct sl_error *err)
{
    uint32_t magic;
    uint8_t f = 0;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_RK_MAGIC && magic != SL_RK_MAGIC2 && magic != SL_RK_MAGIC3)
        return sl_sread_fail(in, err, "Top-N: not a Top-N's state");
    if (magic == SL_RK_MAGIC3 && (rc = sl_sread_u8(in, &f, err)) != 0)
        return rc;
    if (f > 1)
        return sl_sread_fail(in, err, "Top-N: a TTL flag that is neither 0 nor 1");
    *times = magic == SL_RK_MAGIC2 || f == 1;
    *held = magic == SL_RK_MAGIC3;
    return 0;
}

/* Format 3's messages. Restored at the same worker count they are held again for their
 * workers; rescaled, the rows this worker owns now are held for itself (taken at the start,
 * sl_rk_release), the others' let go. */
static int sl_rk_held_load(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_sread *in,
                           bool rescaled, struct sl_error *err)
{
    uint32_t n;
    int rc = sl_sread_u32(in, &n, err);
    const uint32_t me = (uint32_t)ctx->worker;
    for (uint32_t i = 0; !rc && i < n; i++) {
        uint32_t to;
        if ((rc = sl_sread_u32(in, &to, err)) != 0)
            break;
        if (!rescaled && to >= (uint32_t)k->nworkers) {
            rc = sl_sread_fail(in, err, "Top-N: a kept message for a worker that does not exist");
            break;
        }
        struct sl_rank_msg *m = sl_rk_msg_new(k);
        if (!m)
            return sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
        if ((rc = sl_rowc_get_batch(in, m->b, NULL, "Top-N", err)) == 0 && m->b->kind &&
            !k->retract)
            rc = sl_sread_fail(in, err, "Top-N: a kept message with row kinds");
        if (rc || !rescaled) {
            if (rc)
                sl_rk_msg_free(m);
            else if (sl_rk_hold(k, (int)to, m))
                rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
            continue;
        }
        struct sl_batch *b = m->b;
        sl_rk_route_hash(k, b, b->rows);
        for (uint32_t r = 0; !rc && r < b->rows; r++) {
            if (sl_kg_route(k->hashes[r], ctx->kg_max, (uint32_t)ctx->nworkers) != me)
                continue;
            struct sl_rank_msg *o = k->outbox[me];
            if (o && o->b->rows == SL_BATCH_CAP) {
                k->outbox[me] = NULL;
                if (sl_rk_hold(k, (int)me, o))
                    rc = SL_ENOMEM;
            }
            if (!rc && sl_rk_outbox_row(k, (int)me, b, r))
                rc = SL_ENOMEM;
        }
        sl_rk_msg_free(m);
        if (rc)
            rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    }
    struct sl_rank_msg *o = k->outbox[me];
    k->outbox[me] = NULL;
    if (o && sl_rk_hold(k, (int)me, o) && !rc)
        rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    return rc;
}

static int sl_rk_restore(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         struct sl_error *err)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    if (!sl_rk_fresh(k))
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "Top-N: restore into an operator that has run");
    uint32_t nw, nc;
    bool times = false, held = false;
    int rc = sl_rk_get_magic(in, &times, &held, err);
    if (rc)
        return rc;
    if ((rc = sl_sread_u32(in, &nw, err)) != 0 || (rc = sl_sread_u32(in, &nc, err)) != 0)
        return rc;
    if (nw != (uint32_t)k->nworkers)
        return sl_error_set(err, SL_ECORRUPT, "%s: Top-N state of %u workers, this job runs %d",
                            in->what, nw, k->nworkers);
    if (nc != k->ncols)
        return sl_error_set(err, SL_ECORRUPT, "%s: Top-N state of rows of %u columns, not %u",
                            in->what, nc, k->ncols);
    if ((rc = sl_xchg_load_sent(&k->x, in, err)) != 0 ||
        (rc = sl_xchg_load_recv(&k->x, in, "Top-N", err)) != 0)
        return rc;
    bool present = false;
    if ((rc = sl_sread_u64(in, &k->next_seq, err)) != 0 ||
        (rc = sl_rk_get_present(k, in, &present, err)) != 0)
        return rc;
    if (!present)
        return 0;
    if (!k->global && (rc = sl_hashagg_load(k->keys, in, err)) != 0)
        return rc;
    uint32_t ng;
    if ((rc = sl_sread_u32(in, &ng, err)) != 0)
        return rc;
    if (ng != sl_rk_ngroups(k))
        return sl_sread_fail(in, err, "Top-N: a group count that is not the key table's");
    if (sl_rk_grp_reserve(k, ng))
        return sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    struct sl_batch_pool *pool = sl_batch_pool_new(k->heap, k->in_schema, 1);
    struct sl_batch *s = pool ? sl_batch_pool_get(pool) : NULL;
    if (!s)
        rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    for (uint32_t g = 0; !rc && g < ng; g++) {
        struct sl_rk_grp *gr = &k->grp[g];
        uint32_t n;
        if ((rc = sl_sread_u32(in, &n, err)) != 0)
            break;
        if (n > k->keep) {
            rc = sl_sread_fail(in, err, "Top-N: a group with more rows than the range's end");
            break;
        }
        for (uint32_t j = 0; !rc && j < n; j++) {
            uint32_t id;
            if ((rc = sl_rk_load_row(k, s, in, &id, err)) != 0)
                break;
            if (sl_rk_grp_room(k, gr)) {
                rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
                break;
            }
            sl_rk_ids(gr)[gr->n++] = id;
        }
    }
    if (s)
        sl_batch_pool_put(s);
    if (pool)
        sl_batch_pool_free(pool);
    if (!rc && times)
        rc = sl_rk_ttl_load(k, in, ng, NULL, err);
    if (!rc && held)
        rc = sl_rk_held_load(k, ctx, in, false, err);
    if (!rc)
        sl_rk_ttl_settle(k);
    return rc;
}

/* Rescaling: which groups of `keys` (a key table of this operator's spec) worker ctx->worker
 * owns now: sel[0 .. *n - 1], by the routing hash of their PARTITION BY values. */
static int sl_rk_mine(struct sl_op_rank *k, struct sl_worker_ctx *ctx,
                      const struct sl_hashagg *keys, struct sl_batch_pool *kpool, uint32_t *sel,
                      uint32_t *n, struct sl_error *err)
{
    uint32_t cols[SL_HASHAGG_MAX_K];
    for (uint32_t p = 0; p < k->npart && p < SL_HASHAGG_MAX_K; p++)
        cols[p] = p;
    *n = 0;
    for (uint32_t cursor = 0;;) {
        struct sl_batch *b = sl_batch_pool_get(kpool);
        if (!b)
            return sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
        uint32_t g0 = cursor;
        int got = sl_hashagg_emit(keys, &cursor, b, err);
        if (got > 0) {
            sl_rk_hash_cols(k, b, (uint32_t)got, cols);
            for (uint32_t i = 0; i < (uint32_t)got; i++)
                if (sl_kg_route(k->hashes[i], ctx->kg_max, (uint32_t)ctx->nworkers) ==
                    (uint32_t)ctx->worker)
                    sel[(*n)++] = g0 + i;
        }
        sl_batch_pool_put(b);
        if (got <= 0)
            return got;
    }
}

/* One old worker's state (nold workers): the partitions this worker owns now, with their kept
 * rows in rank order; the others' rows are read and let go. */
static int sl_rk_rescale_one(struct sl_op_rank *k, struct sl_worker_ctx *ctx, struct sl_sread *in,
                             uint32_t nold, struct sl_hashagg *tmp, struct sl_batch_pool *kpool,
                             struct sl_batch *s, int64_t *wm1, int64_t *wm2, uint64_t *next,
                             struct sl_error *err)
{
    uint32_t nw, nc;
    bool times = false, held = false;
    int rc = sl_rk_get_magic(in, &times, &held, err);
    if (!rc && ((rc = sl_sread_u32(in, &nw, err)) != 0 || (rc = sl_sread_u32(in, &nc, err)) != 0))
        return rc;
    if (rc)
        return rc;
    if (nw != nold || nc != k->ncols)
        return sl_error_set(err, SL_ECORRUPT,
                            "%s: Top-N state of %u workers and rows of %u columns, not %u and %u",
                            in->what, nw, nc, nold, k->ncols);
    struct sl_xchg x;
    if (sl_xchg_init(&x, k->heap, (int)nold))
        return sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    uint64_t seq = 0;
    bool present = false;
    if ((rc = sl_xchg_load_sent(&x, in, err)) != 0 ||
        (rc = sl_xchg_load_recv(&x, in, "Top-N", err)) != 0 ||
        (rc = sl_sread_u64(in, &seq, err)) != 0 ||
        (rc = sl_rk_get_present(k, in, &present, err)) != 0)
        goto out;
    *wm1 = x.wm1 < *wm1 ? x.wm1 : *wm1;
    *wm2 = x.wm2 < *wm2 ? x.wm2 : *wm2;
    *next = seq > *next ? seq : *next;
    if (!present)
        goto out;
    if (tmp)
        sl_hashagg_clear(tmp);
    uint32_t ng = 0, nsel = 0;
    if ((tmp && (rc = sl_hashagg_load(tmp, in, err)) != 0) ||
        (rc = sl_sread_u32(in, &ng, err)) != 0)
        goto out;
    if (ng != (tmp ? sl_hashagg_groups(tmp) : 1)) {
        rc = sl_sread_fail(in, err, "Top-N: a group count that is not the key table's");
        goto out;
    }
    uint32_t *sel = sl_mem_alloc(k->heap, ((size_t)ng + 1) * sizeof(*sel));
    uint32_t *map = sl_mem_alloc(k->heap, ((size_t)ng + 1) * sizeof(*map));
    if (!sel || !map)
        rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    if (!rc && tmp)
        rc = sl_rk_mine(k, ctx, tmp, kpool, sel, &nsel, err);
    for (uint32_t g = 0; !rc && g < ng; g++)
        map[g] = UINT32_MAX;
    if (!rc && nsel)
        rc = sl_hashagg_merge_sel_map(k->keys, tmp, sel, nsel, map, err);
    if (!rc && !tmp &&
        sl_kg_route(0, ctx->kg_max, (uint32_t)ctx->nworkers) == (uint32_t)ctx->worker)
        map[0] = 0; /* a global Top-N's partition: its owner takes it */
    if (!rc && sl_rk_grp_reserve(k, sl_rk_ngroups(k)))
        rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    for (uint32_t g = 0; !rc && g < ng; g++) {
        uint32_t n;
        if ((rc = sl_sread_u32(in, &n, err)) != 0)
            break;
        struct sl_rk_grp *gr = map[g] == UINT32_MAX ? NULL : &k->grp[map[g]];
        if (n > k->keep || (gr && gr->n + n > k->keep)) {
            rc = sl_sread_fail(in, err, "Top-N: a group with more rows than the range's end");
            break;
        }
        for (uint32_t j = 0; !rc && j < n; j++) {
            uint32_t id;
            if ((rc = sl_rk_load_row(k, s, in, &id, err)) != 0)
                break;
            if (!gr) { /* another worker's partition now */
                sl_rk_row_free(k, id);
                continue;
            }
            if (sl_rk_grp_room(k, gr)) {
                rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
                break;
            }
            sl_rk_ids(gr)[gr->n++] = id;
        }
    }
    if (!rc && times)
        rc = sl_rk_ttl_load(k, in, ng, map, err);
    if (!rc && held)
        rc = sl_rk_held_load(k, ctx, in, true, err);
    sl_mem_free(sel);
    sl_mem_free(map);
out:
    sl_xchg_free(&x);
    return rc;
}

/*
 * Restore at another worker count (engine/core/keygroup.h): out of every old worker's state,
 * the partitions whose PARTITION BY values this worker owns now, with their kept rows in rank
 * order and their arrival numbers (new rows arrive after the latest of them). Watermarks
 * restart at the lowest of the old workers', as the aggregations' do.
 */
static int sl_rk_rescale(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_sread *in,
                         uint32_t nold, struct sl_error *err)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    if (!sl_rk_fresh(k))
        return sl_op_error(ctx, op->plan->pos, err, SL_ESTATE,
                           "Top-N: restore into an operator that has run");
    struct sl_hashagg *tmp = NULL; /* none for a global Top-N */
    int rc = k->global ? 0 : sl_hashagg_new(k->heap, &k->spec, &tmp, err);
    if (rc)
        return rc;
    struct sl_type types[SL_HASHAGG_MAX_K];
    uint32_t nk = tmp ? sl_hashagg_out_ncols(tmp) : 0;
    struct sl_schema *ks = NULL;
    struct sl_batch_pool *kpool = NULL, *pool = NULL;
    struct sl_batch *s = NULL;
    if (tmp && nk <= SL_HASHAGG_MAX_K) {
        const char *names[SL_HASHAGG_MAX_K];
        sl_hashagg_out_types(tmp, types);
        for (uint32_t c = 0; c < nk; c++)
            names[c] = "key";
        ks = sl_schema_new(nk, names, types);
    }
    kpool = ks ? sl_batch_pool_new(k->heap, ks, 1) : NULL;
    pool = sl_batch_pool_new(k->heap, k->in_schema, 1);
    s = pool ? sl_batch_pool_get(pool) : NULL;
    if ((tmp && !kpool) || !s)
        rc = sl_error_set(err, SL_ENOMEM, "Top-N: out of memory restoring");
    int64_t wm1 = INT64_MAX, wm2 = INT64_MAX;
    uint64_t next = 0;
    for (uint32_t j = 0; j < nold && !rc; j++)
        rc = sl_rk_rescale_one(k, ctx, &in[j], nold, tmp, kpool, s, &wm1, &wm2, &next, err);
    if (!rc) {
        sl_xchg_rescaled(&k->x, wm1, wm2);
        k->next_seq = next;
        sl_rk_ttl_settle(k);
    }
    if (s)
        sl_batch_pool_put(s);
    if (pool)
        sl_batch_pool_free(pool);
    if (kpool)
        sl_batch_pool_free(kpool);
    sl_schema_free(ks);
    sl_hashagg_free(tmp);
    return rc;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static void sl_rk_free(struct sl_op *op)
{
    struct sl_op_rank *k = (struct sl_op_rank *)op;
    if (!k)
        return;
    if (k->out)
        sl_batch_pool_put(k->out);
    if (k->outbox)
        for (int o = 0; o < k->nworkers; o++)
            sl_rk_msg_free(k->outbox[o]);
    for (uint32_t i = 0; i < k->nspare; i++)
        sl_rk_msg_free(k->spare[i]);
    for (uint32_t i = 0; i < k->nheld; i++)
        sl_rk_msg_free(k->held[i].m);
    sl_mem_free(k->held);
    sl_mem_free(k->outbox);
    sl_mem_free(k->spare);
    if (k->grp)
        for (uint32_t g = 0; g < k->capgrp; g++)
            sl_mem_free(k->grp[g].ids);
    sl_mem_free(k->grp);
    sl_mem_free(k->ts);
    for (uint32_t i = 0; i < k->hirows && k->blob; i++)
        if (k->blob[i] && k->blob_class[i] == 255)
            sl_mem_free(k->blob[i]);
    while (k->chunks) {
        struct sl_rk_chunk *n = k->chunks->next;
        sl_mem_free(k->chunks);
        k->chunks = n;
    }
    if (k->vals)
        for (uint32_t c = 0; c < k->ncols; c++)
            sl_mem_free(k->vals[c]);
    if (k->nulls)
        for (uint32_t c = 0; c < k->ncols; c++)
            sl_mem_free(k->nulls[c]);
    sl_mem_free(k->vals);
    sl_mem_free(k->nulls);
    sl_mem_free(k->seq);
    sl_mem_free(k->blob);
    sl_mem_free(k->blob_class);
    sl_mem_free(k->free_ids);
    sl_hashagg_free(k->keys);
    if (k->out_pool)
        sl_batch_pool_free(k->out_pool);
    sl_schema_free(k->out_schema);
    sl_schema_free(k->in_schema);
    sl_mem_free(k->width);
    sl_mem_free(k->type);
    sl_mem_free(k->nullable);
    sl_mem_free(k->order);
    sl_mem_free(k->desc);
    sl_mem_free(k->nulls_first);
    sl_mem_free(k->part);
    sl_mem_free(k->part_types);
    sl_mem_free(k->gids);
    sl_mem_free(k->hashes);
    sl_mem_free(k->sorted);
    sl_xchg_free(&k->x);
    sl_mem_free(k);
}

static const struct sl_op_ops sl_rk_ops = {
    .name = "rank",
    .push = sl_rk_push,
    .watermark = sl_rk_watermark,
    .receive = sl_rk_receive,
    .msg_encode = sl_rk_msg_encode,
    .msg_decode = sl_rk_msg_decode,
    .finish = sl_rk_finish,
    .free = sl_rk_free,
    .save = sl_rk_save,
    .restore = sl_rk_restore,
    .rescale = sl_rk_rescale,
    .resumed = sl_rk_resumed,
};

static int sl_rk_setup(struct sl_op_rank *k, const struct sl_plan *node, struct sl_worker_ctx *ctx,
                       struct sl_error *err)
{
    const struct sl_rel *in = &node->input->out;
    struct sl_heap *h = k->heap;
    k->ncols = in->ncols;
    k->outcols = node->out.ncols;
    k->row_number = node->rank.row_number;
    k->start = node->rank.start;
    k->end = node->rank.end;
    k->dedup = node->rank.strategy != SL_RANK_TOPN;
    k->keep_last = node->rank.strategy == SL_RANK_DEDUP_LAST;
    k->proctime = k->dedup && node->rank.proctime;
    k->retract = node->rank.retract && !k->dedup;
    k->keep = k->retract ? UINT32_MAX : (uint32_t)k->end;
    k->npart = node->rank.npart;
    k->norder = node->rank.norder;
    uint32_t nc = k->ncols ? k->ncols : 1;
    k->width = sl_mem_alloc(h, nc);
    k->type = sl_mem_alloc(h, nc);
    k->nullable = sl_mem_alloc(h, nc * sizeof(bool));
    k->vals = sl_mem_zalloc(h, nc * sizeof(*k->vals));
    k->nulls = sl_mem_zalloc(h, nc * sizeof(*k->nulls));
    k->order = sl_mem_alloc(h, (k->norder + 1) * sizeof(*k->order));
    k->desc = sl_mem_alloc(h, k->norder + 1);
    k->nulls_first = sl_mem_alloc(h, k->norder + 1);
    k->part = sl_mem_alloc(h, (k->npart + 1) * sizeof(*k->part));
    k->part_types = sl_mem_alloc(h, (k->npart + 1) * sizeof(*k->part_types));
    if (!k->width || !k->type || !k->nullable || !k->vals || !k->nulls || !k->order || !k->desc ||
        !k->nulls_first || !k->part || !k->part_types)
        return sl_rk_oom(k, ctx, err);
    for (uint32_t c = 0; c < k->ncols; c++) {
        k->type[c] = in->cols[c].type.id;
        k->width[c] = (uint8_t)sl_type_width((sl_type_id)in->cols[c].type.id);
        k->nullable[c] = in->cols[c].type.nullable;
    }
    for (uint32_t o = 0; o < k->norder; o++) {
        int c = node->rank.order[o];
        if (c < 0 || (uint32_t)c >= k->ncols)
            return sl_op_error(ctx, node->pos, err, SL_EINVAL, "Top-N: ORDER BY column %d", c);
        k->order[o] = (uint32_t)c;
        k->desc[o] = node->rank.desc[o];
        k->nulls_first[o] = node->rank.nulls_first[o];
    }
    for (uint32_t p = 0; p < k->npart; p++) {
        int c = node->rank.part[p];
        if (c < 0 || (uint32_t)c >= k->ncols)
            return sl_op_error(ctx, node->pos, err, SL_EINVAL, "Top-N: PARTITION BY column %d", c);
        k->part[p] = (uint32_t)c;
        k->part_types[p] = in->cols[c].type;
    }
    /* no PARTITION BY: one partition, group 0 without a key table, on the worker that owns
     * the routing hash 0 (Flink runs a global Top-N at parallelism 1) */
    k->global = k->npart == 0;
    k->spec = (struct sl_hashagg_spec){k->npart, k->part, k->part_types, 0, NULL};
    int rc = k->global ? sl_rk_grp_reserve(k, 1) : sl_hashagg_new(h, &k->spec, &k->keys, err);
    if (rc == SL_ENOMEM && k->global)
        return sl_rk_oom(k, ctx, err);
    if (rc)
        return sl_op_error(ctx, node->pos, err, rc, "PARTITION BY of ROW_NUMBER() OVER: %s",
                           err ? err->msg : sl_strerror(rc));
    k->in_schema = sl_plan_rel_schema(in);
    k->out_schema = sl_plan_rel_schema(&node->out);
    k->out_pool = k->out_schema ? sl_batch_pool_new(h, k->out_schema, 2) : NULL;
    if (!k->in_schema || !k->out_pool)
        return sl_rk_oom(k, ctx, err);
    return 0;
}

int sl_op_rank_new(const struct sl_plan *node, const struct sl_job *job, struct sl_worker_ctx *ctx,
                   struct sl_op **out, struct sl_error *err)
{
    *out = NULL;
    if (!node || node->kind != SL_PLAN_RANK || !node->input || node->rank.end < 1 ||
        node->rank.start < 1 || node->rank.start > node->rank.end || node->rank.end > UINT32_MAX ||
        node->rank.norder < 1 ||
        node->out.ncols != node->input->out.ncols + (node->rank.row_number ? 1 : 0) ||
        ctx->nworkers < 1)
        return sl_error_set(err, SL_EINVAL, "Top-N: not a ranged Rank plan node");
    struct sl_op_rank *k = sl_mem_zalloc(ctx->heap, sizeof(*k));
    if (!k)
        return sl_error_set(err, SL_ENOMEM, "Top-N: out of memory");
    k->op.ops = &sl_rk_ops;
    k->op.plan = node;
    k->heap = ctx->heap;
    k->nworkers = ctx->nworkers;
    k->oldest = INT64_MAX;
    k->ttl_ms = sl_setting_state_ttl_ms(job);
    int rc = k->ttl_ms < 0 ? sl_op_error(ctx, node->pos, err, SL_EINVAL,
                                         "SET 'table.exec.state.ttl' = '%s': not a duration "
                                         "(e.g. '1 h')",
                                         sl_job_setting(job, "table.exec.state.ttl"))
                           : 0;
    if (!rc)
        rc = sl_rk_setup(k, node, ctx, err);
    if (rc)
        goto out_free;
    k->gids = sl_mem_alloc(k->heap, SL_BATCH_CAP * sizeof(*k->gids));
    k->hashes = sl_mem_alloc(k->heap, SL_BATCH_CAP * sizeof(*k->hashes));
    k->sorted = sl_mem_alloc(k->heap, SL_BATCH_CAP * sizeof(*k->sorted));
    int xrc = sl_xchg_init(&k->x, k->heap, k->nworkers);
    k->outbox = sl_mem_zalloc(k->heap, (size_t)k->nworkers * sizeof(*k->outbox));
    k->spare = sl_mem_zalloc(k->heap, (size_t)k->nworkers * sizeof(*k->spare));
    if (!k->gids || !k->hashes || !k->sorted || xrc || !k->outbox || !k->spare) {
        rc = sl_rk_oom(k, ctx, err);
        goto out_free;
    }
    *out = &k->op;
    return 0;
out_free:
    sl_rk_free(&k->op);
    return rc;
}
