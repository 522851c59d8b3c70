/*
 * engine/ops/hashagg.c - hash aggregation over batches (see hashagg.h for the key encoding and
 * the aggregates; kernels/hashagg.h for the table layout).
 *
 * Memory: every array comes from the hashagg's heap through sl_ha_alloc, which counts the
 * bytes for sl_hashagg_memory. Arrays indexed by group id (key words, state rows) are all
 * `arrcap` long, which equals the table's max_groups; growth doubles the table, reallocates
 * them and rebuilds the slots from the key words in group-id order (kernels' rehash).
 * Trade-off: growth copies every array once per doubling (amortized under 2 copies per group)
 * and briefly holds the old and new arrays together; in exchange there is no chaining and no
 * pointer per group.
 *
 * STATE ROWS: the states of one group are one row of `stride` 64-bit words (kernels/hashagg.h):
 * each aggregate has a state word (not COUNT(*) / COUNT) and a count word where it needs one
 * (COUNT(*), COUNT, AVG, nullable inputs), at fixed offsets in the row. The stride is rounded
 * up to 1, 2, 4 or 8 words (then to a multiple of 8), so that a row never straddles two cache
 * lines: in a table beyond the caches a row costs one miss for all the aggregates of a group.
 * The price is up to 3 unused words per group for odd layouts.
 *
 * CHECKPOINT STATE (sl_hashagg_save / sl_hashagg_load, little-endian, engine/core/state.h): the
 * spec, then the groups column by column in group-id order, so that the key words and the
 * state rows go out and in as bulk copies (one memcpy each on a little-endian machine):
 *
 *   bytes          field
 *   4              magic 0x31414853 ("SHA1", format 1)
 *   4              nkeys, then per key 4 bytes: type id, nullable, precision, scale
 *   4              naggs, then per aggregate 5 bytes: function, and its input type as above
 *                  (all 0 for COUNT(*))
 *   4              W, state words per group (checked against the spec's layout)
 *   4              G, groups
 *   per key word w (keys in spec order, then the null-mask word if there is one):
 *     8 x G          the key words (hashagg.h's encoding), or for a VARCHAR key:
 *     8 + ...        section bytes, then per group 4 bytes length (0xffffffff: NULL) and
 *                    the string (by content: the dictionary is rebuilt on load)
 *   8 x W x G      state rows without padding: per group, per aggregate in spec order its
 *                  state word then its count word, where it has them
 *   [FILTER / DISTINCT sections, sl_ha_save_fd]
 *   per MIN / MAX of VARCHAR aggregate, in spec order: 8 bytes section length, then per
 *                  group 4 bytes length (0xffffffff: no value) and the string; load interns
 *                  them again and overwrites the state words (saved as ids, meaningless in
 *                  another process). Still format 1: a spec with such an aggregate could not
 *                  be built before, so no older state has one.
 * Load checks the spec (SL_ECORRUPT naming what differs), every length against the bytes
 * left, the key words' encoding (INT sign-extended, BOOLEAN 0/1, DOUBLE normalized, NULL
 * markers only in nullable keys, a NULL 64-bit key's word 0, null-mask bits) and counts
 * (<= INT64_MAX); it writes the words and rows straight into the arrays of a table sized
 * once and builds the slots with the kernels' rehash. Keys are not compared on load: a
 * corrupted state whose keys collide loads as two groups (wrong, never unsafe; snapshot
 * files carry a CRC32C against such damage).
 *
 * COUNT(*) FOLDING: COUNT(*) with a SUM / MIN / MAX of a NOT NULL input (the common
 * `COUNT(*), SUM(x)`) takes no pass of its own: the SUM's update kernel is given COUNT(*)'s
 * count word as its count (every row has a value, so counting the values is counting the
 * rows), and both words of the row are updated in one loop.
 */
#include "engine/ops/hashagg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/le.h"
#include "engine/ops/distinct.h"
#include "kernels/hash.h"

#define SL_HA_INIT_CAP 16u
#define SL_HA_NULL_INT ((uint64_t)1 << 32)
#define SL_HA_NULL_BOOL 2u
#define SL_HA_NULL_F64 0x7ff0000000000001ull
#define SL_HA_NULL_STR UINT64_MAX
#define SL_HA_CHUNK (64u * 1024u)

/* ---- memory ------------------------------------------------------------------------------ */

/* Every block carries its size in front so that the hashagg can count what it holds. */
struct sl_ha_mem {
    struct sl_heap *heap;
    size_t bytes;
};

static void *sl_ha_alloc(struct sl_ha_mem *m, size_t size, bool zero)
{
    size_t total = SL_MEM_ALIGN + size;
    char *p = zero ? sl_mem_zalloc(m->heap, total) : sl_mem_alloc(m->heap, total);
    if (!p)
        return NULL;
    memcpy(p, &total, sizeof(total));
    m->bytes += total;
    return p + SL_MEM_ALIGN;
}

static void sl_ha_free(struct sl_ha_mem *m, void *q)
{
    if (!q)
        return;
    char *p = (char *)q - SL_MEM_ALIGN;
    size_t total;
    memcpy(&total, p, sizeof(total));
    m->bytes -= total;
    sl_mem_free(p);
}

/* ---- string dictionary ------------------------------------------------------------------- */

struct sl_ha_chunk {
    struct sl_ha_chunk *next;
    size_t size, used;
};

struct sl_ha_dict {
    sl_str *strs;     /* by id: inline, or pointing into the arena */
    uint64_t *hashes; /* by id: XXH3 of the bytes (kernels/hash.h str) */
    uint32_t n, cap;  /* ids in use, array length */
    uint32_t *slots;  /* id + 1, 0 = empty; linear probing */
    uint64_t mask;    /* slots - 1 */
    struct sl_ha_chunk *arena;
};

static int sl_ha_dict_grow_slots(struct sl_ha_mem *m, struct sl_ha_dict *d)
{
    uint64_t nslots = d->slots ? (d->mask + 1) * 2 : 64;
    uint32_t *slots = sl_ha_alloc(m, nslots * sizeof(uint32_t), true);
    if (!slots)
        return SL_ENOMEM;
    for (uint32_t id = 0; id < d->n; id++) {
        uint64_t i = d->hashes[id] & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = id + 1;
    }
    sl_ha_free(m, d->slots);
    d->slots = slots;
    d->mask = nslots - 1;
    return 0;
}

static int sl_ha_dict_grow_ids(struct sl_ha_mem *m, struct sl_ha_dict *d)
{
    uint32_t cap = d->cap ? d->cap * 2 : 64;
    sl_str *strs = sl_ha_alloc(m, (size_t)cap * sizeof(sl_str), false);
    uint64_t *hashes = sl_ha_alloc(m, (size_t)cap * sizeof(uint64_t), false);
    if (!strs || !hashes) {
        sl_ha_free(m, strs);
        sl_ha_free(m, hashes);
        return SL_ENOMEM;
    }
    if (d->n) {
        memcpy(strs, d->strs, d->n * sizeof(sl_str));
        memcpy(hashes, d->hashes, d->n * sizeof(uint64_t));
    }
    sl_ha_free(m, d->strs);
    sl_ha_free(m, d->hashes);
    d->strs = strs;
    d->hashes = hashes;
    d->cap = cap;
    return 0;
}

/* A copy of `len` bytes in the arena; NULL when out of memory. */
static const char *sl_ha_dict_copy(struct sl_ha_mem *m, struct sl_ha_dict *d, const char *s,
                                   uint32_t len)
{
    struct sl_ha_chunk *c = d->arena;
    if (!c || c->size - c->used < len) {
        size_t size = len > SL_HA_CHUNK ? len : SL_HA_CHUNK;
        c = sl_ha_alloc(m, sizeof(*c) + size, false);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = d->arena;
        d->arena = c;
    }
    char *dst = (char *)(c + 1) + c->used;
    memcpy(dst, s, len);
    c->used += len;
    return dst;
}

/* The id of string `s` with hash `h`, interned if new. */
static int sl_ha_dict_intern(struct sl_ha_mem *m, struct sl_ha_dict *d, const sl_str *s, uint64_t h,
                             uint64_t *id)
{
    if (!d->slots || (uint64_t)(d->n + 1) * 2 > d->mask + 1) {
        int rc = sl_ha_dict_grow_slots(m, d);
        if (rc)
            return rc;
    }
    uint64_t i = h & d->mask;
    for (;;) {
        uint32_t e = d->slots[i];
        if (!e)
            break;
        if (d->hashes[e - 1] == h && sl_str_eq(&d->strs[e - 1], s)) {
            *id = e - 1;
            return 0;
        }
        i = (i + 1) & d->mask;
    }
    if (d->n == d->cap) {
        int rc = sl_ha_dict_grow_ids(m, d);
        if (rc)
            return rc;
    }
    sl_str v = *s;
    if (s->len > SL_STR_INLINE_MAX) {
        const char *copy = sl_ha_dict_copy(m, d, s->ptr, s->len);
        if (!copy)
            return SL_ENOMEM;
        v = sl_str_make(copy, s->len);
    }
    d->strs[d->n] = v;
    d->hashes[d->n] = h;
    d->slots[i] = d->n + 1;
    *id = d->n++;
    return 0;
}

static void sl_ha_dict_clear(struct sl_ha_mem *m, struct sl_ha_dict *d, bool release)
{
    struct sl_ha_chunk *c = d->arena;
    while (c) {
        struct sl_ha_chunk *next = c->next;
        sl_ha_free(m, c);
        c = next;
    }
    d->arena = NULL;
    d->n = 0;
    if (release) {
        sl_ha_free(m, d->strs);
        sl_ha_free(m, d->hashes);
        sl_ha_free(m, d->slots);
        memset(d, 0, sizeof(*d));
    } else if (d->slots) {
        memset(d->slots, 0, (d->mask + 1) * sizeof(uint32_t));
    }
}

/* ---- the hashagg ---------------------------------------------------------------------------- */

struct sl_ha_key {
    struct sl_type type;
    uint32_t col;
    int nullbit; /* bit in the null-mask word, or -1 */
};

struct sl_ha_agg {
    uint8_t func;
    uint32_t col;
    struct sl_type input, output;
    bool f64;        /* the state is double (else int64) */
    bool str;        /* MIN / MAX of VARCHAR: the state is a string id (SL_HA_NULL_STR: none) */
    int state_off;   /* word of the state in a row, -1 for COUNT(*) / COUNT */
    int cnt_off;     /* word of the count in a row, -1 when not needed */
    int fold;        /* COUNT(*): index of the aggregate whose update counts for it, or -1;
                      * other aggregates: the count word they update for a COUNT(*), or -1 */
    void *state;     /* ha->rows + state_off (row 0), NULL without a state */
    uint64_t *cnt;   /* ha->rows + cnt_off (row 0), NULL without a count */
    bool distinct;   /* folded in through a distinct set (ha->dsets[dset], bit dbit) */
    uint32_t filter; /* 1 + the filter column, 0 for none */
    int fidx;        /* index in ha->fcols, -1 for none */
    int dset;
    uint32_t dbit;
};

/* ---- FILTER and DISTINCT (see hashagg.h) ------------------------------------------------- */

#define SL_HA_MAX_FILTERS 64u
#define SL_HA_MAX_DBITS 32u

/* A distinct set: one per DISTINCT input column, a bit per filter of that column. */
struct sl_ha_dset {
    uint32_t col;
    struct sl_type type;
    uint32_t nbits;
    int bitf[SL_HA_MAX_DBITS]; /* per bit: index in ha->fcols, -1 for no filter */
    uint32_t naggs;
    uint32_t *aggs; /* the aggregates folded in through this set */
    struct sl_distinct set;
};

struct sl_hashagg {
    struct sl_ha_mem mem;
    uint32_t nkeys, nwords;
    int nullword; /* index of the null-mask word, or -1 */
    struct sl_ha_key keys[SL_HASHAGG_MAX_K];
    uint32_t naggs;
    struct sl_ha_agg *aggs;
    struct sl_hashagg_table t;
    uint32_t arrcap; /* length of every by-group array (= t.max_groups) */
    uint64_t *rows;  /* arrcap state rows of `stride` words (NULL when stride is 0) */
    uint32_t stride; /* words per state row */
    struct sl_ha_dict dict;
    /* scratch, SL_BATCH_CAP each */
    uint64_t *words[SL_HASHAGG_MAX_K];
    uint64_t *hashes, *rehashes, *strh;
    uint32_t *gids;
    int64_t *i64buf;
    void *mbuf; /* merge: one state or count column of src, dense */
    /* FILTER: distinct filter columns; per filter, the narrowed selection and its gids */
    uint32_t nfilters;
    uint32_t fcols[SL_HA_MAX_FILTERS];
    sl_sel_t *fsel;  /* nfilters x SL_BATCH_CAP */
    uint32_t *fgids; /* nfilters x SL_BATCH_CAP */
    uint32_t fn[SL_HA_MAX_FILTERS];
    /* DISTINCT */
    uint32_t ndsets;
    struct sl_ha_dset *dsets;
    uint64_t *dvals;  /* SL_BATCH_CAP value words by position */
    uint32_t *dbits;  /* SL_BATCH_CAP filter bits by position */
    uint32_t *dfresh; /* SL_BATCH_CAP new bits by position */
};

static bool sl_ha_is_word64(uint8_t id)
{
    return id == SL_TYPE_BIGINT || id == SL_TYPE_TIMESTAMP || id == SL_TYPE_DECIMAL;
}

static int sl_ha_agg_setup(struct sl_ha_agg *a, const struct sl_hashagg_agg *in, uint32_t idx,
                           struct sl_error *err)
{
    a->func = in->func;
    a->col = in->col;
    a->input = in->input;
    uint8_t id = in->input.id;
    bool nullable = in->input.nullable;
    switch ((sl_agg_func)in->func) {
    case SL_AGG_COUNT_STAR:
    case SL_AGG_COUNT:
        if (in->func == SL_AGG_COUNT && id >= SL_TYPE_COUNT)
            break;
        a->output = sl_type_make(SL_TYPE_BIGINT, false);
        return 0;
    case SL_AGG_SUM:
        if (id == SL_TYPE_INT || id == SL_TYPE_BIGINT || id == SL_TYPE_DOUBLE) {
            a->output = sl_type_make((sl_type_id)id, nullable);
        } else if (id == SL_TYPE_DECIMAL) {
            a->output = sl_type_decimal(SL_DECIMAL_MAX_PRECISION, in->input.scale, nullable);
        } else {
            break;
        }
        a->f64 = id == SL_TYPE_DOUBLE;
        return 0;
    case SL_AGG_MIN:
    case SL_AGG_MAX:
        if (id != SL_TYPE_INT && id != SL_TYPE_DOUBLE && id != SL_TYPE_VARCHAR &&
            !sl_ha_is_word64(id))
            break;
        a->output = in->input;
        a->f64 = id == SL_TYPE_DOUBLE;
        a->str = id == SL_TYPE_VARCHAR;
        return 0;
    case SL_AGG_AVG:
        if (id != SL_TYPE_INT && id != SL_TYPE_BIGINT && id != SL_TYPE_DOUBLE)
            break;
        a->output = sl_type_make((sl_type_id)id, nullable);
        a->f64 = id == SL_TYPE_DOUBLE;
        return 0;
    default:
        return sl_error_set(err, SL_EINVAL, "hashagg: aggregate %u: unknown function %u", idx,
                            in->func);
    }
    return sl_error_set(err, SL_ENOTSUP, "hashagg: aggregate %u: function %u of %s", idx, in->func,
                        sl_type_name((sl_type_id)id));
}

static bool sl_ha_agg_needs_cnt(const struct sl_ha_agg *a)
{
    return a->func == SL_AGG_COUNT_STAR || a->func == SL_AGG_COUNT || a->func == SL_AGG_AVG ||
           a->input.nullable || a->filter || a->distinct;
}

/* Points every aggregate's state and cnt at its words in row 0 of ha->rows. */
static void sl_ha_point_aggs(struct sl_hashagg *ha)
{
    for (uint32_t i = 0; i < ha->naggs; i++) {
        struct sl_ha_agg *a = &ha->aggs[i];
        a->state = ha->rows && a->state_off >= 0 ? ha->rows + a->state_off : NULL;
        a->cnt = ha->rows && a->cnt_off >= 0 ? ha->rows + a->cnt_off : NULL;
    }
}

static void sl_ha_free_arrays(struct sl_hashagg *ha)
{
    sl_ha_free(&ha->mem, ha->t.slots);
    ha->t.slots = NULL;
    for (uint32_t w = 0; w < ha->nwords; w++) {
        sl_ha_free(&ha->mem, ha->t.keys[w]);
        ha->t.keys[w] = NULL;
    }
    sl_ha_free(&ha->mem, ha->rows);
    ha->rows = NULL;
    sl_ha_point_aggs(ha);
}

/* A by-group array of `cap` elements of `width` words with the first `keep` copied from `old`
 * (not freed), the rest zeroed. */
static void *sl_ha_regrow(struct sl_ha_mem *m, const void *old, uint32_t keep, uint32_t cap,
                          uint32_t width)
{
    uint64_t *p = sl_ha_alloc(m, (size_t)cap * width * 8, false);
    if (!p)
        return NULL;
    if (keep)
        memcpy(p, old, (size_t)keep * width * 8);
    memset(p + (size_t)keep * width, 0, (size_t)(cap - keep) * width * 8);
    return p;
}

/* Writes the initial states of groups first .. ha->t.ngroups - 1 (zero is already there). */
static void sl_ha_init_groups(struct sl_hashagg *ha, uint32_t first)
{
    uint32_t last = ha->t.ngroups;
    for (uint32_t i = 0; i < ha->naggs; i++) {
        struct sl_ha_agg *a = &ha->aggs[i];
        if (a->func != SL_AGG_MIN && a->func != SL_AGG_MAX)
            continue;
        bool min = a->func == SL_AGG_MIN;
        const size_t stride = ha->stride;
        if (a->str) {
            uint64_t *s = a->state;
            for (uint32_t g = first; g < last; g++)
                s[g * stride] = SL_HA_NULL_STR;
        } else if (a->f64) {
            double *s = a->state;
            double ident = min ? NAN : -INFINITY;
            for (uint32_t g = first; g < last; g++)
                s[g * stride] = ident;
        } else {
            int64_t *s = a->state;
            int64_t ident = min ? INT64_MAX : INT64_MIN;
            for (uint32_t g = first; g < last; g++)
                s[g * stride] = ident;
        }
    }
}

/*
 * Sets the table to `cap` slots (max_groups 3/4 of it) with all by-group arrays that long,
 * keeping the groups, and rebuilds the slots. On failure nothing changes.
 */
static int sl_ha_resize(struct sl_hashagg *ha, uint64_t cap)
{
    if (cap > ((uint64_t)1 << 32))
        return SL_ENOMEM;
    uint32_t newmax = sl_hashagg_max_groups(cap, ha->nwords);
    uint32_t ng = ha->t.ngroups;
    struct sl_ha_mem *m = &ha->mem;
    uint64_t *slots = sl_ha_alloc(m, sl_hashagg_slot_bytes(cap, ha->nwords), true);
    uint64_t *keys[SL_HASHAGG_MAX_K] = {0};
    uint64_t *rows = NULL;
    bool ok = slots != NULL;
    for (uint32_t w = 0; ok && w < ha->nwords; w++)
        ok = (keys[w] = sl_ha_regrow(m, ha->t.keys[w], ng, newmax, 1)) != NULL;
    if (ok && ha->stride)
        ok = (rows = sl_ha_regrow(m, ha->rows, ng, newmax, ha->stride)) != NULL;
    if (!ok) {
        sl_ha_free(m, slots);
        for (uint32_t w = 0; w < ha->nwords; w++)
            sl_ha_free(m, keys[w]);
        sl_ha_free(m, rows);
        return SL_ENOMEM;
    }
    sl_ha_free(m, ha->t.slots);
    ha->t.slots = slots;
    ha->t.mask = cap - 1;
    ha->t.max_groups = newmax;
    ha->arrcap = newmax;
    for (uint32_t w = 0; w < ha->nwords; w++) {
        sl_ha_free(m, ha->t.keys[w]);
        ha->t.keys[w] = keys[w];
    }
    sl_ha_free(m, ha->rows);
    ha->rows = rows;
    sl_ha_point_aggs(ha);
    for (uint32_t base = 0; base < ng; base += SL_BATCH_CAP) {
        uint32_t n = ng - base < SL_BATCH_CAP ? ng - base : SL_BATCH_CAP;
        sl_hash->i64((const int64_t *)ha->t.keys[0] + base, NULL, NULL, n, ha->rehashes);
        for (uint32_t w = 1; w < ha->nwords; w++)
            sl_hash->combine_i64((const int64_t *)ha->t.keys[w] + base, NULL, NULL, n,
                                 ha->rehashes);
        sl_hashagg->rehash(&ha->t, ha->rehashes, base, n);
    }
    return 0;
}

/* Lays out the state rows: offsets of every state and count word, the stride, and which
 * COUNT(*) folds into which update (see the file comment). */
static void sl_ha_layout(struct sl_hashagg *ha)
{
    uint32_t words = 0;
    for (uint32_t i = 0; i < ha->naggs; i++) {
        struct sl_ha_agg *a = &ha->aggs[i];
        a->state_off = a->func == SL_AGG_COUNT_STAR || a->func == SL_AGG_COUNT ? -1 : (int)words++;
        a->cnt_off = sl_ha_agg_needs_cnt(a) ? (int)words++ : -1;
        a->fold = -1;
    }
    for (uint32_t i = 0; i < ha->naggs; i++) {
        struct sl_ha_agg *c = &ha->aggs[i];
        if (c->func != SL_AGG_COUNT_STAR)
            continue;
        for (uint32_t j = 0; j < ha->naggs; j++) {
            struct sl_ha_agg *a = &ha->aggs[j];
            if (a->state_off >= 0 && a->cnt_off < 0 && a->fold < 0 && !a->input.nullable &&
                a->filter == c->filter && !a->distinct && !a->str) {
                a->fold = c->cnt_off;
                c->fold = (int)j;
                break;
            }
        }
    }
    uint32_t stride = words;
    if (stride > 8)
        stride = (stride + 7u) & ~7u;
    else
        while (stride & (stride - 1u))
            stride++;
    ha->stride = stride;
}

/* ---- FILTER and DISTINCT ------------------------------------------------------------------ */

/* The filter list, the distinct sets and each aggregate's place in them (from the spec). */
static int sl_ha_fd_setup(struct sl_hashagg *ha, const struct sl_hashagg_spec *spec,
                          struct sl_error *err)
{
    uint32_t nd = 0;
    for (uint32_t i = 0; i < ha->naggs; i++) {
        struct sl_ha_agg *a = &ha->aggs[i];
        const struct sl_hashagg_agg *in = &spec->aggs[i];
        a->fidx = -1;
        a->dset = -1;
        a->filter = in->filter;
        a->distinct = in->distinct &&
                      (a->func == SL_AGG_COUNT || a->func == SL_AGG_SUM || a->func == SL_AGG_AVG);
        nd += a->distinct;
        if (!a->filter)
            continue;
        uint32_t f = 0;
        while (f < ha->nfilters && ha->fcols[f] != a->filter - 1)
            f++;
        if (f == ha->nfilters) {
            if (f == SL_HA_MAX_FILTERS)
                return sl_error_set(err, SL_ENOTSUP, "hashagg: more than %u FILTER conditions",
                                    SL_HA_MAX_FILTERS);
            ha->fcols[ha->nfilters++] = a->filter - 1;
        }
        a->fidx = (int)f;
    }
    if (ha->nfilters &&
        (!(ha->fsel = sl_ha_alloc(&ha->mem, (size_t)ha->nfilters * SL_BATCH_CAP * sizeof(sl_sel_t),
                                  false)) ||
         !(ha->fgids = sl_ha_alloc(&ha->mem, (size_t)ha->nfilters * SL_BATCH_CAP * 4, false))))
        return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
    if (!nd)
        return 0;
    ha->dsets = calloc(nd, sizeof(*ha->dsets));
    if (!ha->dsets || !(ha->dvals = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 8, false)) ||
        !(ha->dbits = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 4, false)) ||
        !(ha->dfresh = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 4, false)))
        return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
    for (uint32_t i = 0; i < ha->naggs; i++) {
        struct sl_ha_agg *a = &ha->aggs[i];
        if (!a->distinct)
            continue;
        uint32_t d = 0;
        while (d < ha->ndsets && ha->dsets[d].col != a->col)
            d++;
        struct sl_ha_dset *s = &ha->dsets[d];
        if (d == ha->ndsets) {
            ha->ndsets++;
            s->col = a->col;
            s->type = a->input;
            sl_distinct_init(&s->set, ha->mem.heap);
            if (!(s->aggs = calloc(ha->naggs, sizeof(*s->aggs))))
                return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
        }
        if (!sl_type_equal(s->type, a->input))
            return sl_error_set(err, SL_EINVAL, "hashagg: aggregate %u: column %u has two types", i,
                                a->col);
        uint32_t bit = 0;
        while (bit < s->nbits && s->bitf[bit] != a->fidx)
            bit++;
        if (bit == s->nbits) {
            if (bit == SL_HA_MAX_DBITS)
                return sl_error_set(err, SL_ENOTSUP,
                                    "hashagg: DISTINCT aggregates of column %u with more than %u "
                                    "FILTER conditions",
                                    a->col, SL_HA_MAX_DBITS);
            s->bitf[s->nbits++] = a->fidx;
        }
        a->dset = (int)d;
        a->dbit = bit;
        s->aggs[s->naggs++] = i;
    }
    return 0;
}

static void sl_ha_fd_free(struct sl_hashagg *ha)
{
    sl_ha_free(&ha->mem, ha->fsel);
    sl_ha_free(&ha->mem, ha->fgids);
    sl_ha_free(&ha->mem, ha->dvals);
    sl_ha_free(&ha->mem, ha->dbits);
    sl_ha_free(&ha->mem, ha->dfresh);
    for (uint32_t d = 0; ha->dsets && d < ha->ndsets; d++) {
        sl_distinct_release(&ha->dsets[d].set);
        free(ha->dsets[d].aggs);
    }
    free(ha->dsets);
}

/* Per filter column, the positions' rows where it is TRUE (ha->fsel) and their group ids
 * (ha->fgids): one branch-free pass per filter over the batch's selection. */
static void sl_ha_filter_sels(struct sl_hashagg *ha, const struct sl_batch *b, uint32_t n)
{
    const sl_sel_t *sel = b->sel;
    for (uint32_t f = 0; f < ha->nfilters; f++) {
        const struct sl_column *c = &b->cols[ha->fcols[f]];
        const uint8_t *v = c->data;
        const uint64_t *valid = c->valid;
        sl_sel_t *fs = ha->fsel + (size_t)f * SL_BATCH_CAP;
        uint32_t *fg = ha->fgids + (size_t)f * SL_BATCH_CAP;
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = sel ? sel[i] : i;
            fs[m] = (sl_sel_t)r;
            fg[m] = ha->gids[i];
            m += (v[r] != 0) & (!valid || sl_valid_get(valid, r));
        }
        ha->fn[f] = m;
    }
}

/* Folds value word `w` (the set's type) into aggregate a of group gid. */
static void sl_ha_distinct_apply(struct sl_hashagg *ha, const struct sl_ha_agg *a, uint32_t gid,
                                 uint64_t w)
{
    uint64_t *row = ha->rows + (size_t)gid * ha->stride;
    row[a->cnt_off]++;
    if (a->state_off < 0)
        return;
    if (a->f64) {
        double d, s;
        memcpy(&d, &w, 8);
        memcpy(&s, &row[a->state_off], 8);
        s += d;
        memcpy(&row[a->state_off], &s, 8);
    } else {
        row[a->state_off] += w; /* wraps like Java's long; INT wraps when emitted */
    }
}

/* Adds (gid, w) with `bits` to set s; folds w into the aggregates of the bits that are new. */
static int sl_ha_distinct_add(struct sl_hashagg *ha, struct sl_ha_dset *s, uint32_t gid, uint64_t w,
                              uint32_t bits)
{
    uint32_t fresh;
    int rc = sl_distinct_add(&s->set, gid, w, bits, &fresh);
    if (rc || !fresh)
        return rc;
    for (uint32_t j = 0; j < s->naggs; j++) {
        const struct sl_ha_agg *a = &ha->aggs[s->aggs[j]];
        if (fresh >> a->dbit & 1u)
            sl_ha_distinct_apply(ha, a, gid, w);
    }
    return 0;
}

/* The distinct sets' part of update(): value words and filter bits of every position, then
 * one set insertion per position that has bits. */
static int sl_ha_distinct_update(struct sl_hashagg *ha, const struct sl_batch *b, uint32_t n)
{
    const sl_sel_t *sel = b->sel;
    for (uint32_t d = 0; d < ha->ndsets; d++) {
        struct sl_ha_dset *s = &ha->dsets[d];
        const struct sl_column *c = &b->cols[s->col];
        const uint64_t *valid = c->valid;
        uint64_t *w = ha->dvals;
        uint32_t *bits = ha->dbits;
        /* the bits: of every filter (bit order), by position, through the narrowed sels */
        uint32_t nofilter = 0;
        for (uint32_t bit = 0; bit < s->nbits; bit++)
            if (s->bitf[bit] < 0)
                nofilter |= 1u << bit;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = sel ? sel[i] : i;
            bits[i] = (!valid || sl_valid_get(valid, r)) ? nofilter : 0;
        }
        for (uint32_t bit = 0; bit < s->nbits; bit++) {
            if (s->bitf[bit] < 0)
                continue;
            const struct sl_column *fc = &b->cols[ha->fcols[s->bitf[bit]]];
            const uint8_t *fv = fc->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                uint32_t pass = (fv[r] != 0) & (!fc->valid || sl_valid_get(fc->valid, r)) &
                                (!valid || sl_valid_get(valid, r));
                bits[i] |= pass << bit;
            }
        }
        switch (s->type.id) {
        case SL_TYPE_INT: {
            const int32_t *v = c->data;
            for (uint32_t i = 0; i < n; i++)
                w[i] = (uint64_t)(int64_t)v[sel ? sel[i] : i];
            break;
        }
        case SL_TYPE_BOOLEAN: {
            const uint8_t *v = c->data;
            for (uint32_t i = 0; i < n; i++)
                w[i] = v[sel ? sel[i] : i] != 0;
            break;
        }
        case SL_TYPE_DOUBLE: {
            const double *v = c->data;
            for (uint32_t i = 0; i < n; i++)
                w[i] = sl_hash_f64_bits(v[sel ? sel[i] : i]);
            break;
        }
        case SL_TYPE_VARCHAR: {
            const sl_str *v = c->data;
            sl_hash->str(v, valid, sel, n, ha->strh);
            for (uint32_t i = 0; i < n; i++) {
                w[i] = 0;
                if (bits[i]) {
                    int rc = sl_ha_dict_intern(&ha->mem, &ha->dict, &v[sel ? sel[i] : i],
                                               ha->strh[i], &w[i]);
                    if (rc)
                        return rc;
                }
            }
            break;
        }
        default: {
            const uint64_t *v = c->data;
            for (uint32_t i = 0; i < n; i++)
                w[i] = v[sel ? sel[i] : i];
            break;
        }
        }
        /* rehashes is free here: the table does not grow after the probe */
        int rc = sl_distinct_add_many(&s->set, ha->gids, w, bits, n, ha->dfresh, ha->rehashes);
        if (rc)
            return rc;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t fresh = ha->dfresh[i];
            for (uint32_t j = 0; fresh && j < s->naggs; j++) {
                const struct sl_ha_agg *a = &ha->aggs[s->aggs[j]];
                if (fresh >> a->dbit & 1u)
                    sl_ha_distinct_apply(ha, a, ha->gids[i], w[i]);
            }
        }
    }
    return 0;
}

/* merge()'s part for the distinct sets: src's pairs into dst's sets, gmap maps src's group
 * ids to dst's. */
static int sl_ha_distinct_merge(struct sl_hashagg *dst, const struct sl_hashagg *src,
                                const uint32_t *gmap)
{
    for (uint32_t d = 0; d < dst->ndsets; d++) {
        struct sl_ha_dset *s = &dst->dsets[d];
        const struct sl_distinct *from = &src->dsets[d].set;
        for (uint64_t e = 0; e < from->cap; e++) {
            const struct sl_distinct_entry *x = &from->slots[e];
            if (!x->mask)
                continue;
            uint64_t w = x->value;
            if (s->type.id == SL_TYPE_VARCHAR) {
                int rc = sl_ha_dict_intern(&dst->mem, &dst->dict, &src->dict.strs[w],
                                           src->dict.hashes[w], &w);
                if (rc)
                    return rc;
            }
            if (gmap[x->gid] == UINT32_MAX) /* a group the merge left out */
                continue;
            int rc = sl_ha_distinct_add(dst, s, gmap[x->gid], w, x->mask);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int sl_hashagg_new(struct sl_heap *heap, const struct sl_hashagg_spec *spec,
                   struct sl_hashagg **out, struct sl_error *err)
{
    *out = NULL;
    if (!spec || spec->nkeys < 1 || spec->nkeys > SL_HASHAGG_MAX_K || spec->naggs > 64)
        return sl_error_set(err, spec && spec->nkeys > SL_HASHAGG_MAX_K ? SL_ENOTSUP : SL_EINVAL,
                            "hashagg: %u key columns (1 to %u) and %u aggregates (at most 64)",
                            spec ? spec->nkeys : 0, SL_HASHAGG_MAX_K, spec ? spec->naggs : 0);
    struct sl_hashagg *ha = calloc(1, sizeof(*ha));
    if (!ha)
        return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
    ha->mem.heap = heap;
    ha->nkeys = spec->nkeys;
    ha->nullword = -1;
    int rc = 0;
    int nullbits = 0;
    for (uint32_t i = 0; i < spec->nkeys; i++) {
        struct sl_ha_key *k = &ha->keys[i];
        k->type = spec->key_types[i];
        k->col = spec->key_cols[i];
        k->nullbit = -1;
        if (k->type.id >= SL_TYPE_COUNT) {
            rc = sl_error_set(err, SL_EINVAL, "hashagg: key %u: bad type", i);
            goto out_free;
        }
        if (sl_ha_is_word64(k->type.id) && k->type.nullable)
            k->nullbit = nullbits++;
    }
    ha->nwords = ha->nkeys + (nullbits ? 1u : 0u);
    if (nullbits)
        ha->nullword = (int)ha->nkeys;
    if (ha->nwords > SL_HASHAGG_MAX_K) {
        rc = sl_error_set(err, SL_ENOTSUP,
                          "hashagg: %u key columns with nullable BIGINT / TIMESTAMP / DECIMAL "
                          "keys need %u words, more than %u",
                          ha->nkeys, ha->nwords, SL_HASHAGG_MAX_K);
        goto out_free;
    }
    ha->naggs = spec->naggs;
    ha->aggs = calloc(spec->naggs ? spec->naggs : 1, sizeof(*ha->aggs));
    if (!ha->aggs) {
        rc = sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
        goto out_free;
    }
    for (uint32_t i = 0; i < spec->naggs; i++)
        if ((rc = sl_ha_agg_setup(&ha->aggs[i], &spec->aggs[i], i, err)) != 0)
            goto out_free;
    if ((rc = sl_ha_fd_setup(ha, spec, err)) != 0)
        goto out_free;
    sl_ha_layout(ha);
    ha->t.k = ha->nwords;
    for (uint32_t w = 0; w < ha->nwords; w++)
        if (!(ha->words[w] = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 8, false)))
            goto out_nomem;
    if (!(ha->hashes = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 8, false)) ||
        !(ha->mbuf = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 8, false)) ||
        !(ha->rehashes = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 8, false)) ||
        !(ha->strh = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 8, false)) ||
        !(ha->gids = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 4, false)) ||
        !(ha->i64buf = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * 8, false)))
        goto out_nomem;
    if (sl_ha_resize(ha, SL_HA_INIT_CAP) != 0)
        goto out_nomem;
    *out = ha;
    return 0;
out_nomem:
    rc = sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
out_free:
    sl_hashagg_free(ha);
    return rc;
}

void sl_hashagg_free(struct sl_hashagg *ha)
{
    if (!ha)
        return;
    if (ha->aggs)
        sl_ha_free_arrays(ha);
    sl_ha_dict_clear(&ha->mem, &ha->dict, true);
    for (uint32_t w = 0; w < SL_HASHAGG_MAX_K; w++)
        sl_ha_free(&ha->mem, ha->words[w]);
    sl_ha_free(&ha->mem, ha->hashes);
    sl_ha_free(&ha->mem, ha->mbuf);
    sl_ha_free(&ha->mem, ha->rehashes);
    sl_ha_free(&ha->mem, ha->strh);
    sl_ha_free(&ha->mem, ha->gids);
    sl_ha_free(&ha->mem, ha->i64buf);
    sl_ha_fd_free(ha);
    free(ha->aggs);
    free(ha);
}

/*
 * Finds or inserts the keys (words[w] by row through sel, hashes by position) of n positions,
 * growing the table as needed; gids by position into ha->gids.
 */
static int sl_ha_probe_all(struct sl_hashagg *ha, const uint64_t *const *words, const sl_sel_t *sel,
                           uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        const uint64_t *kp[SL_HASHAGG_MAX_K];
        for (uint32_t w = 0; w < ha->nwords; w++)
            kp[w] = sel ? words[w] : words[w] + done;
        uint32_t first = ha->t.ngroups;
        done += sl_hashagg->probe(&ha->t, kp, sel ? sel + done : NULL, ha->hashes + done, n - done,
                                  ha->gids + done);
        sl_ha_init_groups(ha, first);
        if (done < n) {
            int rc = sl_ha_resize(ha, (ha->t.mask + 1) * 2);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static void sl_ha_hash_words(struct sl_hashagg *ha, const uint64_t *const *words,
                             const sl_sel_t *sel, uint32_t n)
{
    sl_hash->i64((const int64_t *)words[0], NULL, sel, n, ha->hashes);
    for (uint32_t w = 1; w < ha->nwords; w++)
        sl_hash->combine_i64((const int64_t *)words[w], NULL, sel, n, ha->hashes);
}

/* The key words of the active rows of b, by row; words[w] may point at b's data. */
static int sl_ha_build_words(struct sl_hashagg *ha, struct sl_batch *b, const uint64_t **words,
                             struct sl_error *err)
{
    const sl_sel_t *sel = b->sel;
    uint32_t n = sl_batch_active(b);
    uint64_t *nullw = ha->nullword >= 0 ? ha->words[ha->nullword] : NULL;
    if (nullw) {
        for (uint32_t i = 0; i < n; i++)
            nullw[sel ? sel[i] : i] = 0;
        words[ha->nullword] = nullw;
    }
    for (uint32_t k = 0; k < ha->nkeys; k++) {
        const struct sl_ha_key *key = &ha->keys[k];
        struct sl_column *c = &b->cols[key->col];
        const uint64_t *valid = c->valid;
        uint64_t *dst = ha->words[k];
        switch (key->type.id) {
        case SL_TYPE_BIGINT:
        case SL_TYPE_TIMESTAMP:
        case SL_TYPE_DECIMAL: {
            const uint64_t *v = c->data;
            if (!valid) {
                words[k] = v;
                continue;
            }
            uint64_t bit = (uint64_t)1 << key->nullbit;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                bool ok = sl_valid_get(valid, r);
                dst[r] = ok ? v[r] : 0;
                nullw[r] |= ok ? 0 : bit;
            }
            break;
        }
        case SL_TYPE_INT: {
            const int32_t *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                dst[r] = sl_valid_get(valid, r) ? (uint64_t)(int64_t)v[r] : SL_HA_NULL_INT;
            }
            break;
        }
        case SL_TYPE_BOOLEAN: {
            const uint8_t *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                dst[r] = sl_valid_get(valid, r) ? (uint64_t)(v[r] != 0) : SL_HA_NULL_BOOL;
            }
            break;
        }
        case SL_TYPE_DOUBLE: {
            const double *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                dst[r] = sl_valid_get(valid, r) ? sl_hash_f64_bits(v[r]) : SL_HA_NULL_F64;
            }
            break;
        }
        case SL_TYPE_VARCHAR: {
            const sl_str *v = c->data;
            sl_hash->str(v, valid, sel, n, ha->strh);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = sel ? sel[i] : i;
                if (!sl_valid_get(valid, r)) {
                    dst[r] = SL_HA_NULL_STR;
                    continue;
                }
                int rc = sl_ha_dict_intern(&ha->mem, &ha->dict, &v[r], ha->strh[i], &dst[r]);
                if (rc)
                    return sl_error_set(err, rc, "hashagg: out of memory interning a string");
            }
            break;
        }
        default:
            return sl_error_set(err, SL_EINVAL, "hashagg: key %u: bad type", k);
        }
        words[k] = dst;
    }
    return 0;
}

/* The batch's key columns have the spec's types. */
static int sl_ha_check_keys(const struct sl_hashagg *ha, const struct sl_batch *b,
                            struct sl_error *err)
{
    for (uint32_t k = 0; k < ha->nkeys; k++) {
        const struct sl_ha_key *key = &ha->keys[k];
        if (key->col >= b->ncols || b->cols[key->col].type.id != key->type.id ||
            (b->cols[key->col].valid && !key->type.nullable))
            return sl_error_set(err, SL_EINVAL,
                                "hashagg: key %u: batch column %u is not a %s%s column", k,
                                key->col, key->type.nullable ? "" : "NOT NULL ",
                                sl_type_name((sl_type_id)key->type.id));
    }
    return 0;
}

static int sl_ha_check_batch(const struct sl_hashagg *ha, const struct sl_batch *b,
                             struct sl_error *err)
{
    int rc = sl_ha_check_keys(ha, b, err);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < ha->naggs; i++) {
        const struct sl_ha_agg *a = &ha->aggs[i];
        if (a->func == SL_AGG_COUNT_STAR)
            continue;
        if (a->col >= b->ncols || b->cols[a->col].type.id != a->input.id ||
            (b->cols[a->col].valid && !a->input.nullable))
            return sl_error_set(err, SL_EINVAL,
                                "hashagg: aggregate %u: batch column %u is not a %s%s column", i,
                                a->col, a->input.nullable ? "" : "NOT NULL ",
                                sl_type_name((sl_type_id)a->input.id));
    }
    for (uint32_t f = 0; f < ha->nfilters; f++)
        if (ha->fcols[f] >= b->ncols || b->cols[ha->fcols[f]].type.id != SL_TYPE_BOOLEAN)
            return sl_error_set(err, SL_EINVAL,
                                "hashagg: filter: batch column %u is not a BOOLEAN column",
                                ha->fcols[f]);
    return 0;
}

/* Bytes compared unsigned, a shorter prefix first (Flink's BinaryStringData.compareTo). */
static int sl_ha_str_cmp(const sl_str *a, const sl_str *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(sl_str_data(a), sl_str_data(b), n) : 0;
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* MIN / MAX of VARCHAR: folds string s (hash h, or computed when have_h is false) into the
 * state word *st; s is interned only when it is the new extreme. 0 or SL_ENOMEM. */
static int sl_ha_str_fold(struct sl_hashagg *ha, const struct sl_ha_agg *a, uint64_t *st,
                          const sl_str *s, uint64_t h, bool have_h)
{
    if (*st != SL_HA_NULL_STR) {
        int c = sl_ha_str_cmp(s, &ha->dict.strs[*st]);
        if (a->func == SL_AGG_MIN ? c >= 0 : c <= 0)
            return 0;
    }
    if (!have_h)
        sl_hash->str(s, NULL, NULL, 1, &h);
    return sl_ha_dict_intern(&ha->mem, &ha->dict, s, h, st);
}

/* MIN / MAX of VARCHAR over the values (by row through sel) into the states of gids. */
static int sl_ha_update_str(struct sl_hashagg *ha, struct sl_ha_agg *a, const uint32_t *gids,
                            const sl_str *v, const uint64_t *valid, const sl_sel_t *sel, uint32_t n)
{
    uint64_t *st = a->state;
    const size_t stride = ha->stride;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        if (valid && !sl_valid_get(valid, r))
            continue;
        size_t g = (size_t)gids[i] * stride;
        if (a->cnt)
            a->cnt[g]++;
        int rc = sl_ha_str_fold(ha, a, &st[g], &v[r], 0, false);
        if (rc)
            return rc;
    }
    return 0;
}

/* Folds the values (by row through sel) into the states of ha->gids. */
static void sl_ha_update_agg(struct sl_hashagg *ha, struct sl_ha_agg *a, const uint32_t *gids,
                             const void *data, const uint64_t *valid, const sl_sel_t *sel,
                             uint32_t n)
{
    const struct sl_hashagg_kernels *k = sl_hashagg;
    const uint32_t stride = ha->stride;
    switch ((sl_agg_func)a->func) {
    case SL_AGG_COUNT_STAR:
        if (a->fold < 0) /* else counted by the update of aggregate a->fold */
            k->count_star(a->cnt, stride, gids, n);
        return;
    case SL_AGG_COUNT:
        k->count(a->cnt, stride, gids, valid, sel, n);
        return;
    default:
        break;
    }
    /* the count: its own, or a folded COUNT(*)'s (then the input has no NULLs) */
    uint64_t *cnt = a->cnt ? a->cnt : a->fold >= 0 ? ha->rows + a->fold : NULL;
    if (a->f64) {
        sl_hashagg_upd_f64_fn f = a->func == SL_AGG_MIN   ? k->min_f64
                                  : a->func == SL_AGG_MAX ? k->max_f64
                                                          : k->sum_f64;
        f(a->state, cnt, stride, gids, data, valid, sel, n);
        return;
    }
    const int64_t *v = data;
    if (a->input.id == SL_TYPE_INT) {
        const int32_t *v32 = data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = sel ? sel[i] : i;
            ha->i64buf[r] = v32[r];
        }
        v = ha->i64buf;
    }
    sl_hashagg_upd_i64_fn f = a->func == SL_AGG_MIN   ? k->min_i64
                              : a->func == SL_AGG_MAX ? k->max_i64
                                                      : k->sum_i64;
    f(a->state, cnt, stride, gids, v, valid, sel, n);
}

int sl_hashagg_update(struct sl_hashagg *ha, struct sl_batch *b, struct sl_error *err)
{
    int rc = sl_ha_check_batch(ha, b, err);
    if (rc)
        return rc;
    uint32_t n = sl_batch_active(b);
    if (n == 0)
        return 0;
    const uint64_t *words[SL_HASHAGG_MAX_K];
    if ((rc = sl_ha_build_words(ha, b, words, err)) != 0)
        return rc;
    sl_ha_hash_words(ha, words, b->sel, n);
    if ((rc = sl_ha_probe_all(ha, words, b->sel, n)) != 0)
        return sl_error_set(err, rc, "hashagg: out of memory growing to %u groups", ha->t.ngroups);
    if (ha->nfilters)
        sl_ha_filter_sels(ha, b, n);
    for (uint32_t i = 0; i < ha->naggs; i++) {
        struct sl_ha_agg *a = &ha->aggs[i];
        if (a->distinct)
            continue;
        struct sl_column *c = a->func == SL_AGG_COUNT_STAR ? NULL : &b->cols[a->col];
        if (a->str) {
            size_t f = a->fidx >= 0 ? (size_t)a->fidx : 0;
            rc = a->fidx >= 0 ? sl_ha_update_str(ha, a, ha->fgids + f * SL_BATCH_CAP, c->data,
                                                 c->valid, ha->fsel + f * SL_BATCH_CAP, ha->fn[f])
                              : sl_ha_update_str(ha, a, ha->gids, c->data, c->valid, b->sel, n);
            if (rc)
                return sl_error_set(err, rc, "hashagg: out of memory in %s of a VARCHAR",
                                    a->func == SL_AGG_MIN ? "MIN" : "MAX");
            continue;
        }
        if (a->fidx >= 0) {
            size_t f = (size_t)a->fidx;
            if (ha->fn[f])
                sl_ha_update_agg(ha, a, ha->fgids + f * SL_BATCH_CAP, c ? c->data : NULL,
                                 c ? c->valid : NULL, ha->fsel + f * SL_BATCH_CAP, ha->fn[f]);
            continue;
        }
        sl_ha_update_agg(ha, a, ha->gids, c ? c->data : NULL, c ? c->valid : NULL, b->sel, n);
    }
    if (ha->ndsets && (rc = sl_ha_distinct_update(ha, b, n)) != 0)
        return sl_error_set(err, rc, "hashagg: out of memory in a DISTINCT aggregate's set");
    return 0;
}

int sl_hashagg_groups_of(struct sl_hashagg *ha, struct sl_batch *b, uint32_t *gids,
                         struct sl_error *err)
{
    int rc = sl_ha_check_keys(ha, b, err);
    uint32_t n = sl_batch_active(b);
    if (rc || n == 0)
        return rc;
    const uint64_t *words[SL_HASHAGG_MAX_K];
    if ((rc = sl_ha_build_words(ha, b, words, err)) != 0)
        return rc;
    sl_ha_hash_words(ha, words, b->sel, n);
    if ((rc = sl_ha_probe_all(ha, words, b->sel, n)) != 0)
        return sl_error_set(err, rc, "hashagg: out of memory growing to %u groups", ha->t.ngroups);
    memcpy(gids, ha->gids, (size_t)n * sizeof(*gids));
    return 0;
}

int sl_hashagg_reset_group(struct sl_hashagg *ha, uint32_t g)
{
    if (g >= ha->t.ngroups || ha->ndsets)
        return SL_EINVAL; /* a string extreme goes back to "none": its string stays interned */
    if (ha->stride)
        memset(ha->rows + (size_t)g * ha->stride, 0, ha->stride * sizeof(*ha->rows));
    uint32_t last = ha->t.ngroups;
    ha->t.ngroups = g + 1; /* sl_ha_init_groups writes groups g .. ngroups - 1 */
    sl_ha_init_groups(ha, g);
    ha->t.ngroups = last;
    return 0;
}

static bool sl_ha_same_spec(const struct sl_hashagg *a, const struct sl_hashagg *b)
{
    if (a->nkeys != b->nkeys || a->naggs != b->naggs)
        return false;
    for (uint32_t k = 0; k < a->nkeys; k++)
        if (!sl_type_equal(a->keys[k].type, b->keys[k].type))
            return false;
    for (uint32_t i = 0; i < a->naggs; i++)
        if (a->aggs[i].func != b->aggs[i].func || a->aggs[i].distinct != b->aggs[i].distinct ||
            a->aggs[i].filter != b->aggs[i].filter ||
            (a->aggs[i].func != SL_AGG_COUNT_STAR &&
             !sl_type_equal(a->aggs[i].input, b->aggs[i].input)))
            return false;
    return true;
}

int sl_hashagg_merge(struct sl_hashagg *dst, const struct sl_hashagg *src, struct sl_error *err)
{
    return sl_hashagg_merge_map(dst, src, NULL, err);
}

/* merge_map of src's groups sel[0 .. nsel - 1] (sel NULL: all of them, in order); map (NULL,
 * or sl_hashagg_groups(src) entries) gets the dst group of each merged one. */
static int sl_ha_merge_sel(struct sl_hashagg *dst, const struct sl_hashagg *src,
                           const uint32_t *sel, uint32_t nsel, uint32_t *map, struct sl_error *err)
{
    if (dst == src || !sl_ha_same_spec(dst, src))
        return sl_error_set(err, SL_EINVAL, "hashagg: merge of a hashagg with another spec");
    const struct sl_hashagg_kernels *k = sl_hashagg;
    uint32_t *gmap = map; /* src group -> dst group, for the distinct sets and the caller */
    if (!map && src->ndsets && src->t.ngroups &&
        !(gmap = sl_mem_alloc(dst->mem.heap, (size_t)src->t.ngroups * sizeof(*gmap))))
        return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory in merge");
    if (sel && gmap) /* groups not merged: no distinct pairs of theirs either */
        for (uint32_t g = 0; g < src->t.ngroups; g++)
            gmap[g] = UINT32_MAX;
    const uint32_t total = sel ? nsel : src->t.ngroups;
    for (uint32_t base = 0; base < total; base += SL_BATCH_CAP) {
        uint32_t n = total - base < SL_BATCH_CAP ? total - base : SL_BATCH_CAP;
        const uint32_t *gs = sel ? sel + base : NULL; /* src groups (NULL: base, base + 1, ...) */
        const uint64_t *words[SL_HASHAGG_MAX_K];
        for (uint32_t w = 0; w < dst->nwords; w++) {
            const uint64_t *sw = src->t.keys[w] + (gs ? 0 : base);
            words[w] = sw;
            if (gs && !(w < dst->nkeys && dst->keys[w].type.id == SL_TYPE_VARCHAR)) {
                for (uint32_t i = 0; i < n; i++)
                    dst->words[w][i] = sw[gs[i]];
                words[w] = dst->words[w];
            } else if (w < dst->nkeys && dst->keys[w].type.id == SL_TYPE_VARCHAR) {
                /* translate src's string ids into dst's */
                for (uint32_t i = 0; i < n; i++) {
                    uint64_t x = sw[gs ? gs[i] : i];
                    if (x == SL_HA_NULL_STR) {
                        dst->words[w][i] = SL_HA_NULL_STR;
                        continue;
                    }
                    int rc = sl_ha_dict_intern(&dst->mem, &dst->dict, &src->dict.strs[x],
                                               src->dict.hashes[x], &dst->words[w][i]);
                    if (rc) {
                        sl_mem_free(gmap != map ? gmap : NULL);
                        return sl_error_set(err, rc, "hashagg: out of memory in merge");
                    }
                }
                words[w] = dst->words[w];
            }
        }
        sl_ha_hash_words(dst, words, NULL, n);
        int rc = sl_ha_probe_all(dst, words, NULL, n);
        if (rc) {
            sl_mem_free(gmap != map ? gmap : NULL);
            return sl_error_set(err, rc, "hashagg: out of memory in merge");
        }
        if (gmap && gs)
            for (uint32_t i = 0; i < n; i++)
                gmap[gs[i]] = dst->gids[i];
        else if (gmap)
            memcpy(gmap + base, dst->gids, (size_t)n * sizeof(*gmap));
        const size_t sstride = src->stride;
        for (uint32_t i = 0; i < dst->naggs; i++) {
            struct sl_ha_agg *a = &dst->aggs[i];
            const struct sl_ha_agg *s = &src->aggs[i];
            if (a->distinct)
                continue; /* folded in from src's distinct set below */
            /* src's state and count columns are copied out of its rows, dense, into mbuf */
            if (a->state) {
                const uint64_t *sw = src->rows + (gs ? 0 : base * sstride) + s->state_off;
                for (uint32_t g = 0; a->str && g < n; g++) {
                    uint64_t x = sw[(gs ? gs[g] : g) * sstride];
                    if (x == SL_HA_NULL_STR)
                        continue;
                    uint64_t *st = (uint64_t *)a->state + (size_t)dst->gids[g] * dst->stride;
                    int frc =
                        sl_ha_str_fold(dst, a, st, &src->dict.strs[x], src->dict.hashes[x], true);
                    if (frc) {
                        sl_mem_free(gmap != map ? gmap : NULL);
                        return sl_error_set(err, frc, "hashagg: out of memory in merge");
                    }
                }
                if (a->str) {
                    /* folded above */
                } else if (a->f64) {
                    double *col = dst->mbuf;
                    for (uint32_t g = 0; g < n; g++)
                        memcpy(&col[g], &sw[(size_t)(gs ? gs[g] : g) * sstride], 8);
                    sl_hashagg_upd_f64_fn f = a->func == SL_AGG_MIN   ? k->min_f64
                                              : a->func == SL_AGG_MAX ? k->max_f64
                                                                      : k->sum_f64;
                    f(a->state, NULL, dst->stride, dst->gids, col, NULL, NULL, n);
                } else {
                    int64_t *col = dst->mbuf;
                    for (uint32_t g = 0; g < n; g++)
                        col[g] = (int64_t)sw[(size_t)(gs ? gs[g] : g) * sstride];
                    sl_hashagg_upd_i64_fn f = a->func == SL_AGG_MIN   ? k->min_i64
                                              : a->func == SL_AGG_MAX ? k->max_i64
                                                                      : k->sum_i64;
                    f(a->state, NULL, dst->stride, dst->gids, col, NULL, NULL, n);
                }
            }
            if (a->cnt) {
                const uint64_t *sw = src->rows + (gs ? 0 : base * sstride) + s->cnt_off;
                uint64_t *col = dst->mbuf;
                for (uint32_t g = 0; g < n; g++)
                    col[g] = sw[(size_t)(gs ? gs[g] : g) * sstride];
                k->add_u64(a->cnt, dst->stride, dst->gids, col, n);
            }
        }
    }
    int rc = gmap && src->ndsets ? sl_ha_distinct_merge(dst, src, gmap) : 0;
    sl_mem_free(gmap != map ? gmap : NULL);
    if (rc)
        return sl_error_set(err, rc, "hashagg: out of memory merging DISTINCT sets");
    return 0;
}

int sl_hashagg_merge_map(struct sl_hashagg *dst, const struct sl_hashagg *src, uint32_t *map,
                         struct sl_error *err)
{
    return sl_ha_merge_sel(dst, src, NULL, 0, map, err);
}

int sl_hashagg_merge_sel_map(struct sl_hashagg *dst, const struct sl_hashagg *src,
                             const uint32_t *gids, uint32_t n, uint32_t *map, struct sl_error *err)
{
    return sl_ha_merge_sel(dst, src, gids, n, map, err);
}

int sl_hashagg_merge_sel(struct sl_hashagg *dst, const struct sl_hashagg *src, const uint32_t *gids,
                         uint32_t n, struct sl_error *err)
{
    return sl_ha_merge_sel(dst, src, gids, n, NULL, err);
}

/* ---- session windows: groups by id ---------------------------------------------------------- */

uint64_t sl_hashagg_key_word(const struct sl_hashagg *ha, uint32_t g, uint32_t w)
{
    return ha->t.keys[w][g];
}

uint32_t sl_hashagg_nwords(const struct sl_hashagg *ha)
{
    return ha->nwords;
}

int sl_hashagg_merge_groups(struct sl_hashagg *dst, const struct sl_hashagg *src,
                            const uint32_t *gids, uint32_t ngids, uint32_t ks,
                            const int64_t *kstart, uint32_t ke, const int64_t *kend,
                            struct sl_error *err)
{
    if (dst == src || !sl_ha_same_spec(dst, src) || ks >= dst->nkeys || ke >= dst->nkeys ||
        !sl_ha_is_word64(dst->keys[ks].type.id) || !sl_ha_is_word64(dst->keys[ke].type.id) ||
        dst->keys[ks].nullbit >= 0 || dst->keys[ke].nullbit >= 0)
        return sl_error_set(err, SL_EINVAL, "hashagg: merge of groups of another spec");
    const struct sl_hashagg_kernels *k = sl_hashagg;
    for (uint32_t base = 0; base < ngids; base += SL_BATCH_CAP) {
        uint32_t n = ngids - base < SL_BATCH_CAP ? ngids - base : SL_BATCH_CAP;
        const uint32_t *gs = gids + base;
        const uint64_t *words[SL_HASHAGG_MAX_K];
        for (uint32_t w = 0; w < dst->nwords; w++) {
            const uint64_t *sw = src->t.keys[w];
            uint64_t *dw = dst->words[w];
            words[w] = dw;
            if (w == ks || w == ke) {
                const int64_t *v = (w == ks ? kstart : kend) + base;
                for (uint32_t i = 0; i < n; i++)
                    dw[i] = (uint64_t)v[i];
                continue;
            }
            bool str = w < dst->nkeys && dst->keys[w].type.id == SL_TYPE_VARCHAR;
            for (uint32_t i = 0; i < n; i++) {
                uint64_t x = sw[gs[i]];
                if (str && x != SL_HA_NULL_STR) {
                    /* translate src's string id into dst's */
                    int rc = sl_ha_dict_intern(&dst->mem, &dst->dict, &src->dict.strs[x],
                                               src->dict.hashes[x], &x);
                    if (rc)
                        return sl_error_set(err, rc, "hashagg: out of memory in merge");
                }
                dw[i] = x;
            }
        }
        sl_ha_hash_words(dst, words, NULL, n);
        int rc = sl_ha_probe_all(dst, words, NULL, n);
        if (rc)
            return sl_error_set(err, rc, "hashagg: out of memory in merge");
        const size_t sstride = src->stride;
        for (uint32_t i = 0; i < dst->naggs; i++) {
            struct sl_ha_agg *a = &dst->aggs[i];
            const struct sl_ha_agg *s = &src->aggs[i];
            /* src's state and count words of the groups, dense, into mbuf */
            if (a->state) {
                const uint64_t *sw = src->rows + s->state_off;
                for (uint32_t g = 0; a->str && g < n; g++) {
                    uint64_t x = sw[(size_t)gs[g] * sstride];
                    if (x == SL_HA_NULL_STR)
                        continue;
                    uint64_t *st = (uint64_t *)a->state + (size_t)dst->gids[g] * dst->stride;
                    int frc =
                        sl_ha_str_fold(dst, a, st, &src->dict.strs[x], src->dict.hashes[x], true);
                    if (frc)
                        return sl_error_set(err, frc, "hashagg: out of memory in merge");
                }
                if (a->str) {
                    /* folded above */
                } else if (a->f64) {
                    double *col = dst->mbuf;
                    for (uint32_t g = 0; g < n; g++)
                        memcpy(&col[g], &sw[(size_t)gs[g] * sstride], 8);
                    sl_hashagg_upd_f64_fn f = a->func == SL_AGG_MIN   ? k->min_f64
                                              : a->func == SL_AGG_MAX ? k->max_f64
                                                                      : k->sum_f64;
                    f(a->state, NULL, dst->stride, dst->gids, col, NULL, NULL, n);
                } else {
                    int64_t *col = dst->mbuf;
                    for (uint32_t g = 0; g < n; g++)
                        col[g] = (int64_t)sw[(size_t)gs[g] * sstride];
                    sl_hashagg_upd_i64_fn f = a->func == SL_AGG_MIN   ? k->min_i64
                                              : a->func == SL_AGG_MAX ? k->max_i64
                                                                      : k->sum_i64;
                    f(a->state, NULL, dst->stride, dst->gids, col, NULL, NULL, n);
                }
            }
            if (a->cnt) {
                const uint64_t *sw = src->rows + s->cnt_off;
                uint64_t *col = dst->mbuf;
                for (uint32_t g = 0; g < n; g++)
                    col[g] = sw[(size_t)gs[g] * sstride];
                k->add_u64(a->cnt, dst->stride, dst->gids, col, n);
            }
        }
    }
    return 0;
}

uint64_t sl_hashagg_str_id(const struct sl_hashagg *ha, uint32_t g, uint32_t i)
{
    const struct sl_ha_agg *a = &ha->aggs[i];
    return a->str ? ((const uint64_t *)a->state)[(size_t)g * ha->stride] : UINT64_MAX;
}

const sl_str *sl_hashagg_str(const struct sl_hashagg *ha, uint64_t id)
{
    return id < ha->dict.n ? &ha->dict.strs[id] : NULL;
}

uint32_t sl_hashagg_groups(const struct sl_hashagg *ha)
{
    return ha->t.ngroups;
}

uint32_t sl_hashagg_out_ncols(const struct sl_hashagg *ha)
{
    return ha->nkeys + ha->naggs;
}

void sl_hashagg_out_types(const struct sl_hashagg *ha, struct sl_type *types)
{
    for (uint32_t k = 0; k < ha->nkeys; k++)
        types[k] = ha->keys[k].type;
    for (uint32_t i = 0; i < ha->naggs; i++)
        types[ha->nkeys + i] = ha->aggs[i].output;
}

/* Writes the key column k of groups g0 .. g0+n-1 (gids == NULL) or gids[0 .. n-1] into c. */
static int sl_ha_emit_key(const struct sl_hashagg *ha, uint32_t k, uint32_t g0,
                          const uint32_t *gids, uint32_t n, struct sl_batch *out,
                          struct sl_column *c)
{
    const struct sl_ha_key *key = &ha->keys[k];
    const uint64_t *kw = ha->t.keys[k];
    const uint64_t *kn = ha->nullword >= 0 ? ha->t.keys[ha->nullword] : NULL;
    for (uint32_t i = 0; i < n; i++) {
        bool is_null;
        size_t g = gids ? gids[i] : g0 + i;
        const uint64_t *w = kw + g - i;
        const uint64_t *nullw = kn ? kn + g - i : NULL;
        switch (key->type.id) {
        case SL_TYPE_INT:
            is_null = w[i] == SL_HA_NULL_INT;
            sl_col_i32(c)[i] = (int32_t)(int64_t)w[i];
            break;
        case SL_TYPE_BOOLEAN:
            is_null = w[i] == SL_HA_NULL_BOOL;
            sl_col_bool(c)[i] = (uint8_t)(w[i] == 1);
            break;
        case SL_TYPE_DOUBLE:
            is_null = w[i] == SL_HA_NULL_F64;
            memcpy(&sl_col_f64(c)[i], &w[i], 8);
            break;
        case SL_TYPE_VARCHAR:
            is_null = w[i] == SL_HA_NULL_STR;
            if (!is_null) {
                const sl_str *s = &ha->dict.strs[w[i]];
                sl_str v = sl_batch_str(out, sl_str_data(s), s->len);
                if (!sl_str_ok(v))
                    return SL_ENOMEM;
                sl_col_str(c)[i] = v;
            } else {
                sl_col_str(c)[i] = sl_str_make("", 0);
            }
            break;
        default:
            is_null = key->nullbit >= 0 && ((nullw[i] >> key->nullbit) & 1u);
            sl_col_i64(c)[i] = (int64_t)w[i];
            break;
        }
        if (is_null) {
            if (!c->valid)
                return SL_EINVAL;
            sl_col_set_null(c, i, true);
        }
    }
    return 0;
}

static int sl_ha_emit_agg(const struct sl_ha_agg *a, size_t stride, uint32_t g0,
                          const uint32_t *gids, uint32_t n, struct sl_column *c)
{
    for (uint32_t i = 0; i < n; i++) {
        size_t g = (size_t)(gids ? gids[i] : g0 + i) * stride;
        if (a->func == SL_AGG_COUNT_STAR || a->func == SL_AGG_COUNT) {
            sl_col_i64(c)[i] = (int64_t)a->cnt[g];
            continue;
        }
        if (a->cnt && a->cnt[g] == 0) {
            if (!c->valid)
                return SL_EINVAL;
            sl_col_set_null(c, i, true);
            memset((char *)c->data + (size_t)i * sl_type_width((sl_type_id)c->type.id), 0,
                   sl_type_width((sl_type_id)c->type.id));
            continue;
        }
        if (a->f64) {
            double s = ((const double *)a->state)[g];
            sl_col_f64(c)[i] = a->func == SL_AGG_AVG ? s / (double)a->cnt[g] : s;
            continue;
        }
        int64_t s = ((const int64_t *)a->state)[g];
        if (a->func == SL_AGG_AVG)
            s = s / (int64_t)a->cnt[g]; /* Java's long division: truncates toward zero */
        if (a->output.id == SL_TYPE_INT)
            sl_col_i32(c)[i] = (int32_t)(uint32_t)(uint64_t)s; /* wraps like Java's int */
        else
            sl_col_i64(c)[i] = s;
    }
    return 0;
}

/* MIN / MAX of VARCHAR: the strings copied into out's string heap, NULL for no value. */
static int sl_ha_emit_str(const struct sl_hashagg *ha, const struct sl_ha_agg *a, uint32_t g0,
                          const uint32_t *gids, uint32_t n, struct sl_batch *out,
                          struct sl_column *c)
{
    const uint64_t *st = a->state;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x = st[(size_t)(gids ? gids[i] : g0 + i) * ha->stride];
        if (x == SL_HA_NULL_STR) {
            if (!c->valid)
                return SL_EINVAL;
            sl_col_set_null(c, i, true);
            sl_col_str(c)[i] = sl_str_make("", 0);
            continue;
        }
        const sl_str *s = &ha->dict.strs[x];
        sl_str v = sl_batch_str(out, sl_str_data(s), s->len);
        if (!sl_str_ok(v))
            return SL_ENOMEM;
        sl_col_str(c)[i] = v;
    }
    return 0;
}

static int sl_ha_emit(const struct sl_hashagg *ha, uint32_t g0, const uint32_t *gids, uint32_t n,
                      struct sl_batch *out, struct sl_error *err);

int sl_hashagg_emit(const struct sl_hashagg *ha, uint32_t *cursor, struct sl_batch *out,
                    struct sl_error *err)
{
    uint32_t g0 = *cursor;
    if (g0 >= ha->t.ngroups) {
        int rc = sl_ha_emit(ha, 0, NULL, 0, out, err);
        return rc < 0 ? rc : 0;
    }
    uint32_t n = ha->t.ngroups - g0 < SL_BATCH_CAP ? ha->t.ngroups - g0 : SL_BATCH_CAP;
    int rc = sl_ha_emit(ha, g0, NULL, n, out, err);
    if (rc > 0)
        *cursor = g0 + n;
    return rc;
}

int sl_hashagg_emit_groups(const struct sl_hashagg *ha, const uint32_t *gids, uint32_t n,
                           struct sl_batch *out, struct sl_error *err)
{
    if (n > SL_BATCH_CAP)
        return sl_error_set(err, SL_EINVAL, "hashagg: emit of %u groups, at most %u", n,
                            (unsigned)SL_BATCH_CAP);
    for (uint32_t i = 0; i < n; i++)
        if (gids[i] >= ha->t.ngroups)
            return sl_error_set(err, SL_EINVAL, "hashagg: emit of group %u of %u", gids[i],
                                ha->t.ngroups);
    return sl_ha_emit(ha, 0, gids, n, out, err);
}

/* Writes n groups (g0 .. or gids[]) into out; n, or a negative error. */
static int sl_ha_emit(const struct sl_hashagg *ha, uint32_t g0, const uint32_t *gids, uint32_t n,
                      struct sl_batch *out, struct sl_error *err)
{
    if (out->ncols != ha->nkeys + ha->naggs || out->rows != 0)
        return sl_error_set(err, SL_EINVAL,
                            "hashagg: emit into a batch of %u columns "
                            "(%u rows), want an empty one of %u",
                            out->ncols, out->rows, ha->nkeys + ha->naggs);
    struct sl_type types[SL_HASHAGG_MAX_K + 64];
    sl_hashagg_out_types(ha, types);
    for (uint32_t i = 0; i < out->ncols; i++)
        if (out->cols[i].type.id != types[i].id)
            return sl_error_set(err, SL_EINVAL, "hashagg: emit: column %u is %s, want %s", i,
                                sl_type_name((sl_type_id)out->cols[i].type.id),
                                sl_type_name((sl_type_id)types[i].id));
    if (n == 0)
        return 0;
    for (uint32_t k = 0; k < ha->nkeys; k++) {
        int rc = sl_ha_emit_key(ha, k, g0, gids, n, out, &out->cols[k]);
        if (rc)
            return sl_error_set(err, rc, "hashagg: emit: key column %u: %s", k,
                                rc == SL_EINVAL ? "NULL into a NOT NULL column" : "out of memory");
    }
    for (uint32_t i = 0; i < ha->naggs; i++) {
        if (ha->aggs[i].str) {
            int rc = sl_ha_emit_str(ha, &ha->aggs[i], g0, gids, n, out, &out->cols[ha->nkeys + i]);
            if (rc)
                return sl_error_set(
                    err, rc, "hashagg: emit: aggregate column %u: %s", ha->nkeys + i,
                    rc == SL_EINVAL ? "NULL into a NOT NULL column" : "out of memory");
            continue;
        }
        if (sl_ha_emit_agg(&ha->aggs[i], ha->stride, g0, gids, n, &out->cols[ha->nkeys + i]) != 0)
            return sl_error_set(err, SL_EINVAL,
                                "hashagg: emit: aggregate column %u: NULL into a NOT NULL "
                                "column",
                                ha->nkeys + i);
    }
    out->rows = n;
    return (int)n;
}

void sl_hashagg_clear(struct sl_hashagg *ha)
{
    uint32_t ng = ha->t.ngroups;
    memset(ha->t.slots, 0, sl_hashagg_slot_bytes(ha->t.mask + 1, ha->nwords));
    if (ha->rows)
        memset(ha->rows, 0, (size_t)ng * ha->stride * 8);
    ha->t.ngroups = 0;
    sl_ha_dict_clear(&ha->mem, &ha->dict, false);
    for (uint32_t d = 0; d < ha->ndsets; d++)
        sl_distinct_clear(&ha->dsets[d].set);
}

size_t sl_hashagg_memory(const struct sl_hashagg *ha)
{
    size_t bytes = ha->mem.bytes + sizeof(*ha) + ha->naggs * sizeof(*ha->aggs);
    for (uint32_t d = 0; d < ha->ndsets; d++)
        bytes += sl_distinct_memory(&ha->dsets[d].set);
    return bytes;
}

/* ---- checkpoints ------------------------------------------------------------------------------
 */

#define SL_HA_MAGIC 0x31414853u /* "SHA1" little-endian: format version 1 */
#define SL_HA_STR_NULL UINT32_MAX

/* n words, little-endian, one bulk copy on a little-endian machine. */
static void sl_ha_put_words(struct sl_sbuf *b, const uint64_t *w, size_t n)
{
    if (!n || !sl_sbuf_reserve(b, n * 8))
        return;
    sl_le_put64_array(b->p + b->len, w, n);
    b->len += n * 8;
}

static void sl_ha_put_type(struct sl_sbuf *b, struct sl_type t)
{
    uint8_t x[4] = {t.id, t.nullable ? 1 : 0, t.precision, t.scale};
    sl_sbuf_put(b, x, 4);
}

/* State words per group in the snapshot: per aggregate, its state word then its count word
 * (where it has them) - the order sl_ha_layout gives them in a row, without the padding. */
static uint32_t sl_ha_used_words(const struct sl_hashagg *ha)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ha->naggs; i++)
        n += (ha->aggs[i].state_off >= 0) + (ha->aggs[i].cnt_off >= 0);
    return n;
}

static void sl_ha_save_fd(const struct sl_hashagg *ha, struct sl_sbuf *out);

/* A section of strings: u64 section bytes, then per group g < ng the string of id
 * ids[g * stride] as u32 length (SL_HA_STR_NULL: NULL / no value) and the bytes. VARCHAR keys
 * (stride 1) and MIN / MAX of VARCHAR states (see the file comment) are saved so. */
static void sl_ha_save_strs(const struct sl_hashagg *ha, const uint64_t *ids, size_t stride,
                            struct sl_sbuf *out)
{
    const uint32_t ng = ha->t.ngroups;
    uint64_t bytes = 0;
    for (uint32_t g = 0; g < ng; g++) {
        uint64_t x = ids[(size_t)g * stride];
        bytes += 4 + (x == SL_HA_NULL_STR ? 0 : ha->dict.strs[x].len);
    }
    sl_sbuf_put_u64(out, bytes);
    if (!sl_sbuf_reserve(out, bytes))
        return;
    uint8_t *p = out->p + out->len;
    for (uint32_t g = 0; g < ng; g++) {
        uint64_t x = ids[(size_t)g * stride];
        const sl_str *s = x == SL_HA_NULL_STR ? NULL : &ha->dict.strs[x];
        uint32_t len = s ? s->len : SL_HA_STR_NULL;
        uint8_t l4[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                         (uint8_t)(len >> 24)};
        memcpy(p, l4, 4);
        p += 4;
        if (s && s->len) {
            memcpy(p, sl_str_data(s), s->len);
            p += s->len;
        }
    }
    out->len += bytes;
}

int sl_hashagg_save(const struct sl_hashagg *ha, struct sl_sbuf *out, struct sl_error *err)
{
    const uint32_t ng = ha->t.ngroups;
    sl_sbuf_put_u32(out, SL_HA_MAGIC);
    sl_sbuf_put_u32(out, ha->nkeys);
    for (uint32_t k = 0; k < ha->nkeys; k++)
        sl_ha_put_type(out, ha->keys[k].type);
    sl_sbuf_put_u32(out, ha->naggs);
    for (uint32_t i = 0; i < ha->naggs; i++) {
        const struct sl_ha_agg *a = &ha->aggs[i];
        sl_sbuf_put_u8(out, a->func);
        sl_ha_put_type(out, a->func == SL_AGG_COUNT_STAR ? (struct sl_type){0, 0, 0, false, 0}
                                                         : a->input);
    }
    const uint32_t used = sl_ha_used_words(ha);
    sl_sbuf_put_u32(out, used);
    sl_sbuf_put_u32(out, ng);
    for (uint32_t w = 0; w < ha->nwords; w++) {
        const uint64_t *kw = ha->t.keys[w];
        if (w >= ha->nkeys || ha->keys[w].type.id != SL_TYPE_VARCHAR) {
            sl_ha_put_words(out, kw, ng);
            continue;
        }
        sl_ha_save_strs(ha, kw, 1, out); /* strings by content */
    }
    if (used == ha->stride) {
        sl_ha_put_words(out, ha->rows, (size_t)ng * used);
    } else if (used && sl_sbuf_reserve(out, (size_t)ng * used * 8)) {
        uint8_t *p = out->p + out->len;
        for (uint32_t g = 0; g < ng; g++) {
            const uint64_t *row = ha->rows + (size_t)g * ha->stride;
            for (uint32_t j = 0; j < used; j++, p += 8)
                sl_le_put64(p, row[j]);
        }
        out->len += (size_t)ng * used * 8;
    }
    if (ha->nfilters || ha->ndsets)
        sl_ha_save_fd(ha, out);
    for (uint32_t i = 0; i < ha->naggs; i++)
        if (ha->aggs[i].str)
            sl_ha_save_strs(ha, ha->aggs[i].state, ha->stride, out);
    return sl_sbuf_check(out, err);
}

static int sl_ha_corrupt(struct sl_sread *in, struct sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sl_ha_corrupt(struct sl_sread *in, struct sl_error *err, const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_error_set(err, SL_ECORRUPT, "%s: hashagg state: %s at byte %zu of %zu", in->what, msg,
                        in->off, in->len);
}

/* The FILTER / DISTINCT section, after the state rows when the spec has either:
 *   4              magic 0x31444853 ("SHD1")
 *   per aggregate  1 byte distinct, 4 bytes filter (1 + column, 0 for none)
 *   per distinct set (in the order of the first aggregate of each column):
 *     4              E, entries; then per entry 4 bytes group id, 4 bytes filter mask, and
 *                    the value: 8 bytes (the value word), or for VARCHAR 4 bytes length and
 *                    the string (by content: the dictionary is rebuilt on load)
 * A set's entries are written in its table's order; a load adds them back in that order. */
#define SL_HA_FD_MAGIC 0x31444853u

static void sl_ha_save_fd(const struct sl_hashagg *ha, struct sl_sbuf *out)
{
    sl_sbuf_put_u32(out, SL_HA_FD_MAGIC);
    for (uint32_t i = 0; i < ha->naggs; i++) {
        sl_sbuf_put_u8(out, ha->aggs[i].distinct ? 1 : 0);
        sl_sbuf_put_u32(out, ha->aggs[i].filter);
    }
    for (uint32_t d = 0; d < ha->ndsets; d++) {
        const struct sl_ha_dset *s = &ha->dsets[d];
        sl_sbuf_put_u32(out, s->set.n);
        for (uint64_t e = 0; e < s->set.cap; e++) {
            const struct sl_distinct_entry *x = &s->set.slots[e];
            if (!x->mask)
                continue;
            sl_sbuf_put_u32(out, x->gid);
            sl_sbuf_put_u32(out, x->mask);
            if (s->type.id == SL_TYPE_VARCHAR) {
                const sl_str *str = &ha->dict.strs[x->value];
                sl_sbuf_put_bytes(out, sl_str_data(str), str->len);
            } else {
                sl_sbuf_put_u64(out, x->value);
            }
        }
    }
}

static int sl_ha_load_fd(struct sl_hashagg *ha, struct sl_sread *in, struct sl_error *err)
{
    uint32_t magic;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_HA_FD_MAGIC)
        return sl_ha_corrupt(in, err, "bad FILTER / DISTINCT magic 0x%08x", magic);
    for (uint32_t i = 0; i < ha->naggs; i++) {
        uint8_t distinct;
        uint32_t filter;
        if ((rc = sl_sread_u8(in, &distinct, err)) != 0 ||
            (rc = sl_sread_u32(in, &filter, err)) != 0)
            return rc;
        if ((distinct != 0) != ha->aggs[i].distinct || filter != ha->aggs[i].filter)
            return sl_ha_corrupt(in, err,
                                 "aggregate %u: DISTINCT %u FILTER %u, this aggregation's is "
                                 "DISTINCT %u FILTER %u",
                                 i, distinct, filter, ha->aggs[i].distinct ? 1u : 0u,
                                 ha->aggs[i].filter);
    }
    for (uint32_t d = 0; d < ha->ndsets; d++) {
        struct sl_ha_dset *s = &ha->dsets[d];
        bool str = s->type.id == SL_TYPE_VARCHAR;
        uint32_t ne;
        if ((rc = sl_sread_count(in, &ne, str ? 12 : 16, err)) != 0)
            return rc;
        for (uint32_t e = 0; e < ne; e++) {
            uint32_t gid, mask;
            uint64_t w;
            if ((rc = sl_sread_u32(in, &gid, err)) != 0 || (rc = sl_sread_u32(in, &mask, err)) != 0)
                return rc;
            if (gid >= ha->t.ngroups || mask == 0 || (s->nbits < 32 && mask >> s->nbits))
                return sl_ha_corrupt(in, err, "DISTINCT set %u: entry %u: group %u, mask 0x%x", d,
                                     e, gid, mask);
            if (str) {
                const void *data;
                uint32_t len;
                if ((rc = sl_sread_bytes(in, &data, &len, err)) != 0)
                    return rc;
                sl_str v = sl_str_make(data, len);
                uint64_t h;
                sl_hash->str(&v, NULL, NULL, 1, &h);
                if (sl_ha_dict_intern(&ha->mem, &ha->dict, &v, h, &w))
                    return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
            } else if ((rc = sl_sread_u64(in, &w, err)) != 0) {
                return rc;
            }
            uint32_t fresh;
            if (sl_distinct_add(&s->set, gid, w, mask, &fresh))
                return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
        }
    }
    return 0;
}

static int sl_ha_get_type(struct sl_sread *in, struct sl_type *t, struct sl_error *err)
{
    uint8_t x[4];
    int rc = sl_sread_get(in, x, 4, err);
    if (rc)
        return rc;
    if (x[1] > 1)
        return sl_ha_corrupt(in, err, "bad nullability byte %u", x[1]);
    *t = (struct sl_type){x[0], x[2], x[3], x[1] != 0,
                          0}; /* logical types share the physical state */
    return 0;
}

static bool sl_ha_same_type(struct sl_type a, struct sl_type b)
{
    return a.id == b.id && a.nullable == b.nullable && a.precision == b.precision &&
           a.scale == b.scale;
}

/* Whether key word w is one this hashagg could have made (hashagg.h's encoding). */
static bool sl_ha_word_ok(const struct sl_ha_key *key, uint64_t w)
{
    bool nul = key->type.nullable;
    switch (key->type.id) {
    case SL_TYPE_INT:
        return (uint64_t)(int64_t)(int32_t)(uint32_t)w == w || (nul && w == SL_HA_NULL_INT);
    case SL_TYPE_BOOLEAN:
        return w <= 1 || (nul && w == SL_HA_NULL_BOOL);
    case SL_TYPE_DOUBLE: {
        double d;
        memcpy(&d, &w, 8);
        return sl_hash_f64_bits(d) == w || (nul && w == SL_HA_NULL_F64);
    }
    default:
        return true;
    }
}

/* Reads the spec part of the state and refuses one that is not this hashagg's. */
static int sl_ha_load_spec(struct sl_hashagg *ha, struct sl_sread *in, struct sl_error *err)
{
    uint32_t magic, nkeys, naggs, used;
    int rc = sl_sread_u32(in, &magic, err);
    if (rc)
        return rc;
    if (magic != SL_HA_MAGIC)
        return sl_ha_corrupt(in, err, "bad magic 0x%08x (want 0x%08x)", magic, SL_HA_MAGIC);
    if ((rc = sl_sread_u32(in, &nkeys, err)) != 0)
        return rc;
    if (nkeys != ha->nkeys)
        return sl_ha_corrupt(in, err, "%u key columns, this aggregation has %u", nkeys, ha->nkeys);
    for (uint32_t k = 0; k < nkeys; k++) {
        struct sl_type t = {0, 0, 0, false, 0};
        if ((rc = sl_ha_get_type(in, &t, err)) != 0)
            return rc;
        if (!sl_ha_same_type(t, ha->keys[k].type))
            return sl_ha_corrupt(in, err, "key %u is %s%s, this aggregation's is %s%s", k,
                                 t.id < SL_TYPE_COUNT ? sl_type_name((sl_type_id)t.id) : "?",
                                 t.nullable ? "" : " NOT NULL",
                                 sl_type_name((sl_type_id)ha->keys[k].type.id),
                                 ha->keys[k].type.nullable ? "" : " NOT NULL");
    }
    if ((rc = sl_sread_u32(in, &naggs, err)) != 0)
        return rc;
    if (naggs != ha->naggs)
        return sl_ha_corrupt(in, err, "%u aggregates, this aggregation has %u", naggs, ha->naggs);
    for (uint32_t i = 0; i < naggs; i++) {
        const struct sl_ha_agg *a = &ha->aggs[i];
        uint8_t func;
        struct sl_type t = {0, 0, 0, false, 0};
        if ((rc = sl_sread_u8(in, &func, err)) != 0 || (rc = sl_ha_get_type(in, &t, err)) != 0)
            return rc;
        struct sl_type want =
            a->func == SL_AGG_COUNT_STAR ? (struct sl_type){0, 0, 0, false, 0} : a->input;
        if (func != a->func || !sl_ha_same_type(t, want))
            return sl_ha_corrupt(in, err,
                                 "aggregate %u is function %u of type %u, this aggregation's "
                                 "is function %u of type %u",
                                 i, func, t.id, a->func, want.id);
    }
    if ((rc = sl_sread_u32(in, &used, err)) != 0)
        return rc;
    if (used != sl_ha_used_words(ha))
        return sl_ha_corrupt(in, err, "%u state words per group, want %u", used,
                             sl_ha_used_words(ha));
    return 0;
}

/* Reads what sl_ha_save_str_agg wrote for aggregate a (index idx) into its state words. */
static int sl_ha_load_str_agg(struct sl_hashagg *ha, const struct sl_ha_agg *a, uint32_t idx,
                              struct sl_sread *in, struct sl_error *err)
{
    const uint32_t ng = ha->t.ngroups;
    uint64_t bytes;
    int rc = sl_sread_u64(in, &bytes, err);
    if (rc)
        return rc;
    if (bytes > sl_sread_left(in) || bytes < (uint64_t)ng * 4)
        return sl_ha_corrupt(in, err, "aggregate %u: %llu bytes of strings", idx,
                             (unsigned long long)bytes);
    const size_t end = in->off + (size_t)bytes;
    uint64_t *st = a->state;
    for (uint32_t g = 0; g < ng; g++) {
        if (end - in->off < 4)
            return sl_ha_corrupt(in, err, "aggregate %u: strings past their section", idx);
        const uint8_t *q = in->p + in->off;
        uint32_t len =
            (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
        in->off += 4;
        uint64_t *w = &st[(size_t)g * ha->stride];
        if (len == SL_HA_STR_NULL) {
            if (a->cnt && a->cnt[(size_t)g * ha->stride] != 0)
                return sl_ha_corrupt(in, err, "group %u: aggregate %u: no value but a count", g,
                                     idx);
            *w = SL_HA_NULL_STR;
            continue;
        }
        if (len > end - in->off)
            return sl_ha_corrupt(in, err, "aggregate %u: string past its section", idx);
        sl_str s = sl_str_make((const char *)in->p + in->off, len);
        in->off += len;
        uint64_t h;
        sl_hash->str(&s, NULL, NULL, 1, &h);
        if (sl_ha_dict_intern(&ha->mem, &ha->dict, &s, h, w))
            return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory loading strings");
    }
    if (in->off != end)
        return sl_ha_corrupt(in, err, "aggregate %u: %zu bytes after its strings", idx,
                             end - in->off);
    return 0;
}

int sl_hashagg_load(struct sl_hashagg *ha, struct sl_sread *in, struct sl_error *err)
{
    if (ha->t.ngroups != 0)
        return sl_error_set(err, SL_EINVAL, "hashagg: load into a hashagg that has %u groups",
                            ha->t.ngroups);
    int rc = sl_ha_load_spec(ha, in, err);
    if (rc)
        return rc;
    const uint32_t used = sl_ha_used_words(ha);
    /* the smallest a group can take: 8 bytes per key word (4 per string), the state words */
    size_t min_group = (size_t)used * 8;
    for (uint32_t w = 0; w < ha->nwords; w++)
        min_group += w < ha->nkeys && ha->keys[w].type.id == SL_TYPE_VARCHAR ? 4 : 8;
    uint32_t ng;
    if ((rc = sl_sread_count(in, &ng, min_group, err)) != 0)
        return rc;
    /* where each key column's section and the states begin */
    size_t col_off[SL_HASHAGG_MAX_K], col_end[SL_HASHAGG_MAX_K];
    for (uint32_t w = 0; w < ha->nwords; w++) {
        if (w < ha->nkeys && ha->keys[w].type.id == SL_TYPE_VARCHAR) {
            uint64_t bytes;
            if ((rc = sl_sread_u64(in, &bytes, err)) != 0)
                return rc;
            if (bytes > sl_sread_left(in) || bytes < (uint64_t)ng * 4)
                return sl_ha_corrupt(in, err, "key %u: %llu bytes of strings", w,
                                     (unsigned long long)bytes);
            col_off[w] = in->off;
            in->off += (size_t)bytes;
            col_end[w] = in->off;
        } else {
            if ((size_t)ng * 8 > sl_sread_left(in))
                return sl_sread_fail(in, err, "truncated key words");
            col_off[w] = in->off;
            in->off += (size_t)ng * 8;
            col_end[w] = in->off;
        }
    }
    const size_t rows_off = in->off;
    if ((size_t)ng * used * 8 > sl_sread_left(in))
        return sl_sread_fail(in, err, "truncated state rows");
    const size_t end_off = rows_off + (size_t)ng * used * 8;
    /* the table at its final size: the key words and state rows go straight into their
     * arrays and the slots are built with the kernels' rehash (no key comparisons) */
    uint64_t cap = ha->t.mask + 1;
    while (sl_hashagg_max_groups(cap, ha->nwords) < ng && cap < ((uint64_t)1 << 32))
        cap *= 2;
    if (sl_hashagg_max_groups(cap, ha->nwords) < ng ||
        (cap > ha->t.mask + 1 && sl_ha_resize(ha, cap) != 0))
        return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory loading %u groups", ng);
    sl_str *strs = NULL;
    for (uint32_t k = 0; k < ha->nkeys && !strs; k++)
        if (ha->keys[k].type.id == SL_TYPE_VARCHAR &&
            !(strs = sl_ha_alloc(&ha->mem, SL_BATCH_CAP * sizeof(sl_str), false)))
            return sl_error_set(err, SL_ENOMEM, "hashagg: out of memory");
    uint64_t nullmask = 0;
    for (uint32_t k = 0; k < ha->nkeys; k++)
        if (ha->keys[k].nullbit >= 0)
            nullmask |= (uint64_t)1 << ha->keys[k].nullbit;
    const uint8_t *p = in->p;
    uint32_t written = 0; /* groups whose state rows may be written (zeroed again on error) */
    for (uint32_t base = 0; base < ng && !rc; base += SL_BATCH_CAP) {
        uint32_t n = ng - base < SL_BATCH_CAP ? ng - base : SL_BATCH_CAP;
        const uint64_t *words[SL_HASHAGG_MAX_K];
        for (uint32_t w = 0; w < ha->nwords && !rc; w++) {
            uint64_t *dst = ha->t.keys[w] + base;
            words[w] = dst;
            if (w < ha->nkeys && ha->keys[w].type.id == SL_TYPE_VARCHAR) {
                /* col_off[w] walks the string section; its end was checked above */
                const size_t sec_end = col_end[w];
                in->off = col_off[w];
                for (uint32_t i = 0; i < n; i++) {
                    if (sec_end - in->off < 4) {
                        rc = sl_ha_corrupt(in, err, "key %u: strings past their section", w);
                        break;
                    }
                    const uint8_t *q = p + in->off;
                    uint32_t len = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                                   (uint32_t)q[3] << 24;
                    in->off += 4;
                    if (len == SL_HA_STR_NULL) {
                        if (!ha->keys[w].type.nullable) {
                            rc = sl_ha_corrupt(in, err, "key %u: NULL in a NOT NULL key", w);
                            break;
                        }
                        dst[i] = SL_HA_NULL_STR;
                        strs[i] = sl_str_make("", 0);
                        continue;
                    }
                    if (len > sec_end - in->off) {
                        rc = sl_ha_corrupt(in, err, "key %u: string past its section", w);
                        break;
                    }
                    strs[i] = sl_str_make((const char *)p + in->off, len);
                    dst[i] = 0;
                    in->off += len;
                }
                col_off[w] = in->off;
                if (rc)
                    break;
                sl_hash->str(strs, NULL, NULL, n, ha->strh);
                for (uint32_t i = 0; i < n && !rc; i++)
                    if (dst[i] != SL_HA_NULL_STR &&
                        sl_ha_dict_intern(&ha->mem, &ha->dict, &strs[i], ha->strh[i], &dst[i]))
                        rc = sl_error_set(err, SL_ENOMEM,
                                          "hashagg: out of memory loading "
                                          "strings");
                continue;
            }
            const uint8_t *q = p + col_off[w] + (size_t)base * 8;
            sl_le_get64_array(dst, q, n);
            if (w >= ha->nkeys) { /* the null-mask word: only nullable keys' bits */
                for (uint32_t i = 0; i < n && !rc; i++)
                    if (dst[i] & ~nullmask) {
                        in->off = col_off[w] + ((size_t)base + i) * 8;
                        rc = sl_ha_corrupt(in, err, "group %u: bad null mask", base + i);
                    }
                continue;
            }
            const struct sl_ha_key *key = &ha->keys[w];
            if (key->type.id == SL_TYPE_INT || key->type.id == SL_TYPE_BOOLEAN ||
                key->type.id == SL_TYPE_DOUBLE)
                for (uint32_t i = 0; i < n && !rc; i++)
                    if (!sl_ha_word_ok(key, dst[i])) {
                        in->off = col_off[w] + ((size_t)base + i) * 8;
                        rc = sl_ha_corrupt(in, err, "group %u: key %u: bad key word", base + i, w);
                    }
        }
        if (rc)
            break;
        if (ha->nullword >= 0) { /* a NULL 64-bit key's word is 0 */
            const uint64_t *nw = words[ha->nullword];
            for (uint32_t k = 0; k < ha->nkeys && !rc; k++) {
                if (ha->keys[k].nullbit < 0)
                    continue;
                for (uint32_t i = 0; i < n; i++)
                    if ((nw[i] >> ha->keys[k].nullbit & 1u) && words[k][i] != 0) {
                        in->off = col_off[k] + ((size_t)base + i) * 8;
                        rc = sl_ha_corrupt(in, err, "group %u: key %u: NULL with a value", base + i,
                                           k);
                        break;
                    }
            }
            if (rc)
                break;
        }
        /* the state rows of these groups */
        written = base + n;
        const uint8_t *q = p + rows_off + (size_t)base * used * 8;
        if (!used) {
            /* no state words (no aggregates) */
        } else if (used == ha->stride) {
            sl_le_get64_array(ha->rows + (size_t)base * used, q, (size_t)n * used);
        } else {
            for (uint32_t i = 0; i < n; i++) {
                uint64_t *row = ha->rows + ((size_t)base + i) * ha->stride;
                for (uint32_t j = 0; j < used; j++, q += 8)
                    row[j] = sl_le_get64(q);
            }
        }
        /* counts are row counts: never beyond INT64_MAX (AVG divides by them as int64) */
        for (uint32_t a = 0; a < ha->naggs && !rc; a++) {
            int off = ha->aggs[a].cnt_off;
            if (off < 0)
                continue;
            const uint64_t *c = ha->rows + (size_t)base * ha->stride + (size_t)off;
            uint64_t any = 0;
            for (uint32_t i = 0; i < n; i++)
                any |= c[(size_t)i * ha->stride];
            if (any > (uint64_t)INT64_MAX) {
                in->off = rows_off + (size_t)base * used * 8;
                rc = sl_ha_corrupt(in, err, "groups %u..: aggregate %u: bad count", base, a);
            }
        }
        if (rc)
            break;
        sl_ha_hash_words(ha, words, NULL, n);
        sl_hashagg->rehash(&ha->t, ha->hashes, base, n);
        ha->t.ngroups = base + n;
    }
    sl_ha_free(&ha->mem, strs);
    if (rc) {
        ha->t.ngroups = written; /* clear zeroes the state rows written so far */
        sl_hashagg_clear(ha);
        return rc;
    }
    in->off = end_off;
    if ((ha->nfilters || ha->ndsets) && (rc = sl_ha_load_fd(ha, in, err)) != 0) {
        sl_hashagg_clear(ha);
        return rc;
    }
    for (uint32_t i = 0; i < ha->naggs; i++) {
        if (ha->aggs[i].str && (rc = sl_ha_load_str_agg(ha, &ha->aggs[i], i, in, err)) != 0) {
            sl_hashagg_clear(ha);
            return rc;
        }
    }
    return 0;
}
