/*
 * engine/ops/join_store.c - the row store, key hashing and messages of the stream joins (see
 * engine/ops/join_store.h).
 */
#include "engine/ops/join_store.h"

#include "engine/core/keygroup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernels/hash.h"

static int sl_jn_enomem(struct sl_error *err)
{
    return sl_error_set(err, SL_ENOMEM, "join: out of memory");
}

/*
 * The per-row arrays (columns, validity, hashes, chains, match counts, times) double as the
 * side grows. From SL_JN_MAP_MIN bytes on they are mappings of their own, grown with mremap:
 * the pages already written move without a copy and without being faulted in again (copying
 * into a fresh block cost q20 a sixth of its time, most of it the kernel zeroing the new
 * pages). Smaller ones, and every array of a sanitizer build (SL_MEM_SYSTEM: AddressSanitizer
 * sees each allocation), come from the heap. An array's size is its side's cap times its
 * width (sl_jn_arr_bytes), rounded as sl_mem_round does.
 */
#if !defined(SL_MEM_SYSTEM)
#define SL_JN_MAP_MIN ((size_t)2 << 20)
#endif

static size_t sl_jn_arr_bytes(uint64_t cap, size_t width)
{
    return sl_mem_round(cap ? (size_t)cap * width : 1);
}

static size_t sl_jn_valid_bytes(uint64_t cap)
{
    return sl_mem_round(cap ? sl_jn_words((uint32_t)cap) * 8 : 1);
}

/* Frees an array of `bytes` (sl_jn_arr_bytes of its cap) from sl_jn_arr_resize. */
static void sl_jn_arr_free(void *p, size_t bytes)
{
#ifdef SL_JN_MAP_MIN
    if (p && bytes >= SL_JN_MAP_MIN) {
        (void)munmap(p, bytes);
        return;
    }
#endif
    (void)bytes;
    sl_mem_free(p);
}

/* The array p of `old` bytes (NULL: none) resized to `bytes` (both as sl_jn_arr_bytes gives
 * them), its first `used` bytes kept, with `zero` the rest zero; NULL when out of memory (p is
 * then unchanged). */
static void *sl_jn_arr_resize(struct sl_heap *heap, void *p, size_t old, size_t used, size_t bytes,
                              bool zero)
{
#ifdef SL_JN_MAP_MIN
    if (bytes >= SL_JN_MAP_MIN) {
        void *n;
        if (p && old >= SL_JN_MAP_MIN) {
            n = mremap(p, old, bytes, MREMAP_MAYMOVE);
            if (n == MAP_FAILED)
                return NULL;
            if (zero) /* the grown part is zero already */
                memset((char *)n + used, 0, old - used);
        } else {
            n = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (n == MAP_FAILED)
                return NULL;
#ifdef MADV_HUGEPAGE
            (void)madvise(n, bytes, MADV_HUGEPAGE); /* read at random, as sl_mem_alloc's */
#endif
            if (used)
                memcpy(n, p, used);
            sl_jn_arr_free(p, old);
        }
        return n;
    }
#endif
    uint8_t *n = sl_mem_alloc(heap, bytes);
    if (!n)
        return NULL;
    if (used)
        memcpy(n, p, used);
    if (zero)
        memset(n + used, 0, bytes - used);
    sl_jn_arr_free(p, old);
    return n;
}

/* Grows the store to hold `need` rows; false when out of memory. s->cap changes only when every
 * array has grown; after a failure the side records how many had (grow_done, in this
 * function's order, at grow_cap rows) so that sl_jn_side_free frees each by its own size and
 * kind (heap or mapping), and it grows no more (the join fails with SL_ENOMEM). */
bool sl_jn_grow(struct sl_heap *heap, struct sl_jn_side *s, uint32_t need)
{
    if (need <= s->cap)
        return true;
    if (s->grow_done) /* a grow failed: the arrays differ in size; the side is only freed */
        return false;
    uint64_t ncap = s->cap ? s->cap : 1024;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX - 1)
        return false;
    uint64_t oc = s->cap;
    size_t r = s->rows;
    void *p;
    uint32_t k = 0; /* arrays grown so far, in this order (sl_jn_side_free counts the same) */
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c])
            continue;
        size_t w = s->width[c];
        if (!(p = sl_jn_arr_resize(heap, s->col[c], sl_jn_arr_bytes(oc, w), r * w,
                                   sl_jn_arr_bytes(ncap, w), false)))
            goto fail;
        s->col[c] = p;
        k++;
        if (s->types[c].nullable) {
            if (!(p = sl_jn_arr_resize(heap, s->valid[c], sl_jn_valid_bytes(oc),
                                       oc ? sl_jn_words((uint32_t)oc) * 8 : 0,
                                       sl_jn_valid_bytes(ncap), true)))
                goto fail;
            s->valid[c] = p;
            k++;
        }
    }
    if (!(p = sl_jn_arr_resize(heap, s->hash, sl_jn_arr_bytes(oc, 8), r * 8,
                               sl_jn_arr_bytes(ncap, 8), false)))
        goto fail;
    s->hash = p;
    k++;
    if (!(p = sl_jn_arr_resize(heap, s->next, sl_jn_arr_bytes(oc, 4), r * 4,
                               sl_jn_arr_bytes(ncap, 4), false)))
        goto fail;
    s->next = p;
    k++;
    if (s->ttl) {
        if (!(p = sl_jn_arr_resize(heap, s->ts, sl_jn_arr_bytes(oc, 8), r * 8,
                                   sl_jn_arr_bytes(ncap, 8), true)))
            goto fail;
        s->ts = p;
        k++;
    }
    if (s->outer) {
        if (!(p = sl_jn_arr_resize(heap, s->match, sl_jn_arr_bytes(oc, 4), r * 4,
                                   sl_jn_arr_bytes(ncap, 4), false)))
            goto fail;
        s->match = p;
    }
    s->cap = (uint32_t)ncap;
    return true;
fail: /* out of memory: the first k arrays have ncap rows (heap or mapping by that size) */
    s->grow_cap = (uint32_t)ncap;
    s->grow_done = k;
    return false;
}

/* Rebuilds the chains with at least 2 x `slots` slots; false when out of memory. The
 * table grows with the slots in use - about the distinct keys - not with the rows: many rows
 * of one key (the bids of an auction) share a chain, and the heads stay small enough for the
 * cache. */
bool sl_jn_rehash(struct sl_heap *heap, struct sl_jn_side *s, uint32_t slots)
{
    uint32_t n = s->nslots ? s->nslots : 1024;
    while (n < 2 * (uint64_t)slots && n < (1u << 31))
        n *= 2;
    if (n != s->nslots) {
        uint32_t *h = sl_mem_alloc(heap, (size_t)n * sizeof(*h));
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

/* A string chunk of at least *size bytes (*size: what it has); from SL_JN_MAP_MIN on a mapping
 * of whole huge pages, as the large arrays. Freed with sl_jn_chunk_free. */
static struct sl_jn_chunk *sl_jn_chunk_new(struct sl_heap *heap, size_t *size)
{
#ifdef SL_JN_MAP_MIN
    size_t total = sizeof(struct sl_jn_chunk) + *size;
    if (total >= SL_JN_MAP_MIN) {
        total = (total + SL_JN_MAP_MIN - 1) & ~(SL_JN_MAP_MIN - 1);
        void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, total, MADV_HUGEPAGE);
#endif
        *size = total - sizeof(struct sl_jn_chunk);
        return p;
    }
#endif
    return sl_mem_alloc(heap, sizeof(struct sl_jn_chunk) + *size);
}

static void sl_jn_chunk_free(struct sl_jn_chunk *c)
{
    sl_jn_arr_free(c, c ? sizeof(*c) + c->size : 0);
}

/* Copies `len` bytes into the side's string chunks; NULL when out of memory. */
static const char *sl_jn_str(struct sl_heap *heap, struct sl_jn_side *s, const char *p,
                             uint32_t len)
{
    struct sl_jn_chunk *c = s->chunks;
    if (!c || c->size - c->used < len) {
        /* a quarter of the side's string bytes, so that large stores take few large chunks
         * (huge pages, sl_mem_alloc: a page fault per 4 KiB of strings cost a third of q20's
         * time) while a small one stays at SL_JN_CHUNK */
        size_t size = s->str_bytes / 4;
        size = size < SL_JN_CHUNK ? SL_JN_CHUNK : size > SL_JN_CHUNK_MAX ? SL_JN_CHUNK_MAX : size;
        size = len > size ? len : size;
        struct sl_jn_chunk *n = sl_jn_chunk_new(heap, &size);
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
bool sl_jn_take_owned(struct sl_heap *heap, struct sl_jn_side *dst, const struct sl_jn_side *src,
                      int worker, int nworkers, uint32_t kg_max)
{
    sl_sel_t *idx = sl_mem_alloc(heap, SL_BATCH_CAP * sizeof(*idx));
    uint64_t *h = sl_mem_alloc(heap, SL_BATCH_CAP * sizeof(*h));
    bool ok = idx && h;
    for (uint32_t r = 0; ok && r < src->rows;) {
        uint32_t n = 0;
        for (; r < src->rows && n < SL_BATCH_CAP; r++)
            if (sl_kg_route(src->hash[r], kg_max, (uint32_t)nworkers) == (uint32_t)worker) {
                idx[n] = r;
                h[n++] = src->hash[r];
            }
        uint32_t base = dst->rows;
        ok = n == 0 || sl_jn_append(heap, dst, src->col, src->valid, idx, n, h);
        for (uint32_t i = 0; ok && dst->match && i < n; i++) /* NONE (a NULL key) is as was */
            if (dst->match[base + i] != SL_JN_NONE)
                dst->match[base + i] = src->match[idx[i]];
        for (uint32_t i = 0; ok && dst->ts && src->ts && i < n; i++)
            dst->ts[base + i] = src->ts[idx[i]];
    }
    sl_mem_free(idx);
    sl_mem_free(h);
    return ok;
}

bool sl_jn_append(struct sl_heap *heap, struct sl_jn_side *s, uint8_t *const *col,
                  uint64_t *const *valid, const sl_sel_t *idx, uint32_t n, const uint64_t *h)
{
    if (!sl_jn_grow(heap, s, s->rows + n))
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
                const char *p = sl_jn_str(heap, s, v[i].ptr, v[i].len);
                if (!p)
                    return false;
                v[i].ptr = p;
            }
        }
    }
    memcpy(s->hash + base, h, (size_t)n * sizeof(*h));
    for (uint32_t i = 0; s->ts && i < n; i++)
        s->ts[base + i] = s->now;
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
    return 2 * (uint64_t)used <= s->nslots || sl_jn_rehash(heap, s, used);
}

/* Whether row a of side sa and row b of side sb have equal keys (neither is NULL: rows with a
 * NULL key are never stored, or on an outer side never in a chain). */
bool sl_jn_keys_eq(const struct sl_jn_side *sa, uint32_t a, const struct sl_jn_side *sb, uint32_t b)
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

bool sl_jn_rows_eq(const struct sl_jn_side *s, uint32_t a, uint32_t b)
{
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c])
            continue; /* not read downstream: rows equal but there give the same output */
        if (s->valid[c]) {
            bool va = sl_valid_get(s->valid[c], a), vb = sl_valid_get(s->valid[c], b);
            if (va != vb)
                return false;
            if (!va)
                continue; /* NULLs are equal */
        }
        uint32_t w = s->width[c];
        const uint8_t *x = s->col[c] + (size_t)a * w, *y = s->col[c] + (size_t)b * w;
        if (s->types[c].id == SL_TYPE_VARCHAR
                ? !sl_str_eq((const sl_str *)(const void *)x, (const sl_str *)(const void *)y)
                : memcmp(x, y, w) != 0)
            return false;
    }
    return true;
}

/* Row r out of its slot's chain (when it is in one), or row `to` in its place. */
static void sl_jn_relink(struct sl_jn_side *s, uint32_t r, uint32_t to)
{
    if (s->match && s->match[r] == SL_JN_NONE)
        return; /* a NULL key: in no chain */
    uint32_t slot = (uint32_t)(s->hash[r] & (s->nslots - 1));
    uint32_t repl = to == SL_JN_NONE ? s->next[r] : to;
    if (s->head[slot] == r) {
        s->head[slot] = repl;
        s->used -= repl == SL_JN_NONE;
    } else {
        for (uint32_t q = s->head[slot]; q != SL_JN_NONE; q = s->next[q])
            if (s->next[q] == r) {
                s->next[q] = repl;
                break;
            }
    }
    if (to != SL_JN_NONE)
        s->next[to] = s->next[r];
}

bool sl_jn_remove(struct sl_heap *heap, struct sl_jn_side *s, uint32_t r)
{
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (s->skip[c] || s->types[c].id != SL_TYPE_VARCHAR)
            continue;
        const sl_str *v = (const sl_str *)(const void *)s->col[c] + r;
        if ((!s->valid[c] || sl_valid_get(s->valid[c], r)) && v->len > SL_STR_INLINE_MAX)
            s->dead_bytes += v->len;
    }
    sl_jn_relink(s, r, SL_JN_NONE);
    uint32_t last = s->rows - 1;
    if (r != last) {
        sl_jn_relink(s, last, r);
        for (uint32_t c = 0; c < s->ncols; c++) {
            if (s->skip[c])
                continue;
            uint32_t w = s->width[c];
            memcpy(s->col[c] + (size_t)r * w, s->col[c] + (size_t)last * w, w);
            if (s->valid[c])
                sl_valid_set(s->valid[c], r, sl_valid_get(s->valid[c], last));
        }
        s->hash[r] = s->hash[last];
        if (s->match)
            s->match[r] = s->match[last];
        if (s->ts)
            s->ts[r] = s->ts[last];
    }
    s->rows--;
    if (s->dead_bytes < SL_JN_CHUNK || 2 * s->dead_bytes < s->str_bytes)
        return true;
    bool *keep = sl_mem_alloc(heap, (size_t)s->rows + 1);
    if (!keep)
        return false;
    memset(keep, 1, (size_t)s->rows + 1);
    bool ok = sl_jn_compact(heap, s, keep);
    sl_mem_free(keep);
    return ok;
}

/* ---- output ------------------------------------------------------------------------------ */

/* Gathers side s's rows rows[0..n) into out's columns from `c0` on; with `pad`, SL_JN_NONE:
 * NULLs (an outer join's padding, whose columns are nullable in the output). */
void sl_jn_gather(const struct sl_jn_side *s, const uint32_t *rows, uint32_t n,
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

/* ---- input --------------------------------------------------------------------------------- */

/* j->hashes[i] = the key hash of position i of b; returns the positions without a NULL key
 * compacted into j->sorted (as rows) and their hashes into j->i64buf's bits. */
uint32_t sl_jn_hash(const struct sl_jn_side *s, struct sl_batch *b, uint32_t n, uint64_t *hashes,
                    int64_t *i64buf, sl_sel_t *sorted)
{
    const struct sl_hash_kernels *hk = sl_hash;
    bool nulls = false;
    for (uint32_t k = 0; k < s->nkeys; k++) {
        struct sl_column *c = &b->cols[s->keys[k]];
        nulls |= c->valid != NULL;
        switch (c->type.id) {
        case SL_TYPE_INT:
            (k ? hk->combine_i32 : hk->i32)(c->data, c->valid, b->sel, n, hashes);
            break;
        case SL_TYPE_DOUBLE:
            (k ? hk->combine_f64 : hk->f64)(c->data, c->valid, b->sel, n, hashes);
            break;
        case SL_TYPE_VARCHAR:
            (k ? hk->combine_str : hk->str)(c->data, c->valid, b->sel, n, hashes);
            break;
        case SL_TYPE_BOOLEAN: {
            const uint8_t *v = c->data;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = b->sel ? b->sel[i] : i;
                i64buf[r] = v[r];
            }
            (k ? hk->combine_i64 : hk->i64)(i64buf, c->valid, b->sel, n, hashes);
            break;
        }
        default:
            (k ? hk->combine_i64 : hk->i64)(c->data, c->valid, b->sel, n, hashes);
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
        sorted[m] = (sl_sel_t)r;
        hashes[m] = hashes[i];
        m += ok;
    }
    return m;
}

void sl_jn_msg_free(void *p)
{
    sl_mem_free(p);
}

/* A message with rows idx[0..n) (0..n-1 when idx is NULL) of the columns col / valid (a
 * batch's, or a saved message's) with hashes h, for side sd; NULL when out of memory. */
struct sl_jn_msg *sl_jn_msg_new(const struct sl_jn_side *s, int sd, uint8_t *const *col,
                                uint64_t *const *valid, const uint8_t *kind, const sl_sel_t *idx,
                                uint32_t n, const uint64_t *h)
{
    size_t size = sizeof(struct sl_jn_msg) + 2 * (size_t)s->ncols * sizeof(void *) + 8 * (size_t)n;
    if (kind)
        size += ((size_t)n + 7) / 8 * 8;
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
    m->kind = NULL;
    if (kind) {
        m->kind = (uint8_t *)p;
        for (uint32_t i = 0; i < n; i++)
            m->kind[i] = kind[idx ? idx[i] : i];
        p += ((size_t)n + 7) / 8 * 8;
    }
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

/* ---- checkpoints --------------------------------------------------------------------------- */

void sl_jn_save_side(const struct sl_jn_side *s, struct sl_sbuf *out)
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

int sl_jn_restore_side(struct sl_heap *heap, struct sl_jn_side *s, struct sl_sread *in,
                       struct sl_error *err)
{
    uint32_t ncols, rows;
    int rc;
    if ((rc = sl_sread_u32(in, &ncols, err)) != 0)
        return rc;
    if (ncols != s->ncols)
        return sl_sread_fail(in, err, "join: a side's state with another number of columns");
    if ((rc = sl_sread_count(in, &rows, 8, err)) != 0)
        return rc;
    if (!sl_jn_grow(heap, s, rows))
        return sl_jn_enomem(err);
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
                if (len > SL_STR_INLINE_MAX && !(p = sl_jn_str(heap, s, p, len)))
                    return sl_jn_enomem(err);
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
    if (!sl_jn_rehash(heap, s, 0)) /* the chains, then grown to the slots they use */
        return sl_jn_enomem(err);
    return 2 * (uint64_t)s->used <= s->nslots || sl_jn_rehash(heap, s, s->used) ? 0
                                                                                : sl_jn_enomem(err);
}

void sl_jn_side_free(struct sl_jn_side *s)
{
    /* each array's rows: grow_cap for the first grow_done of a failed grow (counted in
     * sl_jn_grow's order: columns with their validity, hash, next, ts, match), else cap */
    uint32_t k = 0;
#define SL_JN_CAP_AT() (k++ < s->grow_done ? (uint64_t)s->grow_cap : (uint64_t)s->cap)
    for (uint32_t c = 0; c < s->ncols; c++) {
        bool grown = s->col && s->col[c]; /* a skipped column has no arrays */
        uint64_t ccap = grown ? SL_JN_CAP_AT() : s->cap;
        uint64_t vcap = grown && s->valid && s->valid[c] ? SL_JN_CAP_AT() : s->cap;
        if (s->col)
            sl_jn_arr_free(s->col[c], sl_jn_arr_bytes(ccap, s->width ? s->width[c] : 1));
        if (s->valid)
            sl_jn_arr_free(s->valid[c], sl_jn_valid_bytes(vcap));
    }
    uint64_t hcap = SL_JN_CAP_AT(), ncap = SL_JN_CAP_AT();
    uint64_t tcap = s->ts ? SL_JN_CAP_AT() : s->cap, mcap = s->match ? SL_JN_CAP_AT() : s->cap;
#undef SL_JN_CAP_AT
    sl_mem_free(s->col);
    sl_mem_free(s->valid);
    sl_mem_free(s->bcol);
    sl_mem_free(s->bvalid);
    sl_mem_free(s->types);
    sl_mem_free(s->width);
    sl_mem_free(s->skip);
    sl_jn_arr_free(s->hash, sl_jn_arr_bytes(hcap, 8));
    sl_jn_arr_free(s->next, sl_jn_arr_bytes(ncap, 4));
    sl_jn_arr_free(s->match, sl_jn_arr_bytes(mcap, 4));
    sl_jn_arr_free(s->ts, sl_jn_arr_bytes(tcap, 8));
    sl_mem_free(s->head);
    for (struct sl_jn_chunk *c = s->chunks, *n; c; c = n) {
        n = c->next;
        sl_jn_chunk_free(c);
    }
}

bool sl_jn_side_init(struct sl_heap *heap, struct sl_jn_side *s, const struct sl_rel *rel,
                     const int *keys, uint32_t nkeys, bool outer)
{
    s->outer = outer;
    s->ncols = rel->ncols;
    s->keys = keys;
    s->nkeys = nkeys;
    uint32_t nc = rel->ncols ? rel->ncols : 1;
    s->types = sl_mem_zalloc(heap, nc * sizeof(*s->types));
    s->width = sl_mem_zalloc(heap, nc);
    s->skip = sl_mem_zalloc(heap, nc * sizeof(*s->skip));
    s->col = sl_mem_zalloc(heap, nc * sizeof(*s->col));
    s->valid = sl_mem_zalloc(heap, nc * sizeof(*s->valid));
    s->bcol = sl_mem_zalloc(heap, nc * sizeof(*s->bcol));
    s->bvalid = sl_mem_zalloc(heap, nc * sizeof(*s->bvalid));
    if (!s->types || !s->width || !s->skip || !s->col || !s->valid || !s->bcol || !s->bvalid)
        return false;
    for (uint32_t c = 0; c < rel->ncols; c++) {
        s->types[c] = rel->cols[c].type;
        s->width[c] = (uint8_t)sl_type_width(rel->cols[c].type.id);
    }
    return sl_jn_rehash(heap, s, 0);
}
bool sl_jn_compact(struct sl_heap *heap, struct sl_jn_side *s, const bool *keep)
{
    uint32_t n = 0;
    for (uint32_t r = 0; r < s->rows; r++) {
        if (!keep[r])
            continue;
        if (n != r) {
            for (uint32_t c = 0; c < s->ncols; c++) {
                if (s->skip[c])
                    continue;
                uint32_t w = s->width[c];
                memcpy(s->col[c] + (size_t)n * w, s->col[c] + (size_t)r * w, w);
                if (s->valid[c])
                    sl_valid_set(s->valid[c], n, sl_valid_get(s->valid[c], r));
            }
            s->hash[n] = s->hash[r];
            if (s->match)
                s->match[n] = s->match[r];
            if (s->ts)
                s->ts[n] = s->ts[r];
        }
        n++;
    }
    s->rows = n;
    /* the long strings of the kept rows into fresh chunks; the old ones go */
    struct sl_jn_chunk *old = s->chunks;
    s->chunks = NULL;
    s->str_bytes = 0;
    s->dead_bytes = 0;
    bool ok = true;
    for (uint32_t c = 0; c < s->ncols && ok; c++) {
        if (s->skip[c] || s->types[c].id != SL_TYPE_VARCHAR)
            continue;
        sl_str *v = (sl_str *)(void *)s->col[c];
        for (uint32_t r = 0; r < n && ok; r++) {
            if (v[r].len <= SL_STR_INLINE_MAX)
                continue;
            const char *p = sl_jn_str(heap, s, v[r].ptr, v[r].len);
            if (!p)
                ok = false;
            else
                v[r].ptr = p;
        }
    }
    for (struct sl_jn_chunk *c = old, *nx; c; c = nx) {
        nx = c->next;
        if (ok)
            sl_jn_chunk_free(c);
        else { /* keep them: some rows still point into them */
            c->next = s->chunks;
            s->chunks = c;
        }
    }
    return ok && sl_jn_rehash(heap, s, 0) &&
           (2 * (uint64_t)s->used <= s->nslots || sl_jn_rehash(heap, s, s->used));
}

void sl_jn_save_msg(const struct sl_jn_side *sides, const struct sl_jn_msg *m, struct sl_sbuf *out)
{
    const struct sl_jn_side *s = &sides[m->side];
    sl_sbuf_put_u32(out, m->side | (m->kind ? 0x100u : 0));
    sl_sbuf_put_u32(out, m->rows);
    for (uint32_t r = 0; r < m->rows; r++)
        sl_sbuf_put_u64(out, m->hash[r]);
    if (m->kind)
        sl_sbuf_put(out, m->kind, m->rows);
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

int sl_jn_read_msg(struct sl_heap *heap, const struct sl_jn_side *sides, struct sl_sread *in,
                   struct sl_jn_msg **out, struct sl_error *err)
{
    uint32_t sd, rows;
    int rc;
    if ((rc = sl_sread_u32(in, &sd, err)) != 0)
        return rc;
    bool kinds = (sd & 0x100u) != 0;
    sd &= ~0x100u;
    if (sd > 1)
        return sl_sread_fail(in, err, "join: a kept message of neither side");
    if ((rc = sl_sread_count(in, &rows, 8, err)) != 0)
        return rc;
    if (rows > SL_BATCH_CAP)
        return sl_sread_fail(in, err, "join: a kept message of more rows than a batch");
    const struct sl_jn_side *s = &sides[sd];
    uint64_t *hash = sl_mem_alloc(heap, ((size_t)rows + 1) * sizeof(*hash));
    uint8_t **col = sl_mem_zalloc(heap, (s->ncols + 1) * sizeof(*col));
    uint64_t **valid = sl_mem_zalloc(heap, (s->ncols + 1) * sizeof(*valid));
    uint8_t *kind = kinds ? sl_mem_alloc(heap, (size_t)rows + 1) : NULL;
    if (!hash || !col || !valid || (kinds && !kind)) {
        rc = sl_jn_enomem(err);
        goto out;
    }
    for (uint32_t r = 0; r < rows && !rc; r++)
        rc = sl_sread_u64(in, &hash[r], err);
    if (kinds && !rc && (rc = sl_sread_get(in, kind, rows, err)) == 0)
        for (uint32_t r = 0; r < rows; r++)
            if (kind[r] > SL_ROW_DELETE) {
                rc = sl_sread_fail(in, err, "join: a kept message with a row of no kind");
                break;
            }
    for (uint32_t c = 0; c < s->ncols && !rc; c++) {
        if (s->skip[c])
            continue;
        col[c] = sl_mem_zalloc(heap, ((size_t)rows + 1) * s->width[c]);
        if (s->types[c].nullable)
            valid[c] = sl_mem_zalloc(heap, (sl_jn_words(rows) + 1) * 8);
        if (!col[c] || (s->types[c].nullable && !valid[c])) {
            rc = sl_jn_enomem(err);
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
        *out = sl_jn_msg_new(s, (int)sd, col, valid, kind, NULL, rows, hash);
        if (!*out)
            rc = sl_jn_enomem(err);
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
    sl_mem_free(kind);
    return rc;
}

void sl_jn_prune(struct sl_jn_side *sides, const bool *need, const int *keep)
{
    for (int sd = 0; sd < 2; sd++) {
        struct sl_jn_side *s = &sides[sd];
        if (s->rows)
            return; /* before any row only */
        for (uint32_t c = 0; c < s->ncols; c++)
            s->skip[c] = !need[(sd ? sides[0].ncols : 0) + c];
        for (uint32_t k = 0; k < s->nkeys; k++)
            s->skip[s->keys[k]] = false;
        if (keep)
            s->skip[keep[sd]] = false;
    }
}
