/*
 * kernels/hashagg_impl.h - the loops of the hashagg kernels, included by hashagg.c,
 * hashagg_avx2.c and hashagg_avx512.c so that each level compiles them with its own
 * instruction set (kernel-internal: nothing outside kernels/hashagg*.c includes it).
 *
 * Why the levels share loops instead of each having intrinsics: a probe is a chain of
 * dependent loads (slot, compare, maybe the next slot) and an update is a scatter to a
 * data-dependent address (state[gids[i]]), where two positions of one batch often hit the
 * same group. Vector scatters would need conflict detection (vpconflictq) and a serial
 * fix-up, and measured no faster than scalar stores; what pays is keeping many cache misses
 * in flight (prefetching) and keeping the loops free of branches that depend on the data.
 * The hashing itself, where SIMD does pay, is kernels/hash.h.
 *
 * The one place where a level has its own code is the K = 1 probe's window compare: a level
 * file may define SL_HA_WINDOW(s, key) before including this file, returning the header of
 * the first non-empty slot among s[0 .. 3] (the four 16-byte slots of a bucket, one cache
 * line) whose key word is `key`, or 0 when there is none (then the scalar loop decides, from
 * the same home slot).
 *
 * Every function here is `static` and builds one level's table through SL_HASHAGG_TABLE.
 */
#ifndef SL_KERNELS_HASHAGG_IMPL_H
#define SL_KERNELS_HASHAGG_IMPL_H

#include "kernels/hashagg.h"

#define SL_PF_W(p) __builtin_prefetch((p), 1, 3)
#define SL_ALWAYS_INLINE inline __attribute__((always_inline))

/* ---- probe, K = 1 -------------------------------------------------------------------------- */

/* Finds or inserts one key from its home slot: its group id, or UINT32_MAX when it is new and
 * the table is at max_groups. The scalar probe of every level (the SIMD levels come here only
 * when their window does not decide). */
static SL_ALWAYS_INLINE uint32_t sl_ha_k1_find(struct sl_hashagg_table *restrict t, uint64_t h,
                                               uint64_t key)
{
    uint64_t *restrict slots = t->slots;
    const uint64_t mask = t->mask;
    uint64_t idx = sl_hashagg_home(h, mask, 1);
    for (;;) {
        uint64_t *s = slots + (idx << 1);
        const uint64_t hdr = s[0];
        if (SL_LIKELY(hdr != 0)) {
            if (s[1] == key)
                return (uint32_t)hdr - 1u;
            idx = (idx + 1) & mask;
            continue;
        }
        const uint32_t ng = t->ngroups;
        if (SL_UNLIKELY(ng >= t->max_groups))
            return UINT32_MAX;
        s[1] = key;
        s[0] = sl_hashagg_header(h, ng);
        t->keys[0][ng] = key;
        t->ngroups = ng + 1u;
        return ng;
    }
}

#ifdef SL_HA_WINDOW
/* Out of line: keeps the registers of the windowed loop free for its fast path. */
static __attribute__((noinline)) uint32_t sl_ha_k1_find_slow(struct sl_hashagg_table *t, uint64_t h,
                                                             uint64_t key)
{
    return sl_ha_k1_find(t, h, key);
}
#endif

static SL_ALWAYS_INLINE uint32_t sl_ha_probe_k1_body(struct sl_hashagg_table *restrict t,
                                                     const uint64_t *restrict key0,
                                                     const sl_sel_t *restrict sel,
                                                     const uint64_t *restrict hashes, uint32_t n,
                                                     uint32_t *restrict gids, bool pf)
{
    const uint64_t *restrict slots = t->slots;
    const uint64_t mask = t->mask;
    uint32_t i = 0;
    for (; i < n; i++) {
        if (pf && i + SL_HASHAGG_PREFETCH < n)
            SL_PF_W(slots + (sl_hashagg_home(hashes[i + SL_HASHAGG_PREFETCH], mask, 1) << 1));
        const uint64_t h = hashes[i];
        const uint64_t key = key0[sel ? sel[i] : i];
        uint32_t gid;
#ifdef SL_HA_WINDOW
        const uint64_t whdr = SL_HA_WINDOW(slots + (sl_hashagg_home(h, mask, 1) << 1), key);
        if (SL_LIKELY(whdr != 0)) {
            gids[i] = (uint32_t)whdr - 1u;
            continue;
        }
        gid = sl_ha_k1_find_slow(t, h, key);
#else
        gid = sl_ha_k1_find(t, h, key);
#endif
        if (SL_UNLIKELY(gid == UINT32_MAX))
            break;
        gids[i] = gid;
    }
    return i;
}

/* ---- probe, any K --------------------------------------------------------------------------- */

static SL_ALWAYS_INLINE uint32_t sl_ha_probe_kn_body(struct sl_hashagg_table *restrict t,
                                                     const uint64_t *const *keys,
                                                     const sl_sel_t *restrict sel,
                                                     const uint64_t *restrict hashes, uint32_t n,
                                                     uint32_t *restrict gids, bool pf)
{
    uint64_t *restrict slots = t->slots;
    const uint64_t mask = t->mask;
    const uint32_t k = t->k;
    const uint64_t stride = k + 1u;
    uint32_t ng = t->ngroups;
    const uint32_t maxg = t->max_groups;
    uint32_t i = 0;
    for (; i < n; i++) {
        if (pf && i + SL_HASHAGG_PREFETCH < n) {
            uint64_t *p = slots + (hashes[i + SL_HASHAGG_PREFETCH] & mask) * stride;
            SL_PF_W(p);
            SL_PF_W(p + k); /* a slot of up to 48 bytes may straddle two lines */
        }
        const uint64_t h = hashes[i];
        const uint64_t tag = h & 0xffffffff00000000ull;
        const uint32_t row = sel ? sel[i] : i;
        uint64_t idx = h & mask;
        uint32_t gid;
        for (;;) {
            uint64_t *s = slots + idx * stride;
            const uint64_t hdr = s[0];
            if (SL_LIKELY(hdr != 0)) {
                if ((hdr & 0xffffffff00000000ull) == tag) {
                    uint64_t diff = 0;
                    for (uint32_t w = 0; w < k; w++)
                        diff |= s[1 + w] ^ keys[w][row];
                    if (diff == 0) {
                        gid = (uint32_t)hdr - 1u;
                        break;
                    }
                }
                idx = (idx + 1) & mask;
                continue;
            }
            if (SL_UNLIKELY(ng >= maxg))
                goto out;
            for (uint32_t w = 0; w < k; w++) {
                const uint64_t x = keys[w][row];
                s[1 + w] = x;
                t->keys[w][ng] = x;
            }
            s[0] = sl_hashagg_header(h, ng);
            gid = ng++;
            break;
        }
        gids[i] = gid;
    }
out:
    t->ngroups = ng;
    return i;
}

static uint32_t sl_ha_probe(struct sl_hashagg_table *restrict t, const uint64_t *const *keys,
                            const sl_sel_t *restrict sel, const uint64_t *restrict hashes,
                            uint32_t n, uint32_t *restrict gids)
{
    const bool pf = sl_hashagg_slot_bytes(t->mask + 1u, t->k) > SL_HASHAGG_PREFETCH_BYTES;
    if (t->k == 1) {
        if (pf)
            return sel ? sl_ha_probe_k1_body(t, keys[0], sel, hashes, n, gids, true)
                       : sl_ha_probe_k1_body(t, keys[0], NULL, hashes, n, gids, true);
        return sel ? sl_ha_probe_k1_body(t, keys[0], sel, hashes, n, gids, false)
                   : sl_ha_probe_k1_body(t, keys[0], NULL, hashes, n, gids, false);
    }
    return pf ? sl_ha_probe_kn_body(t, keys, sel, hashes, n, gids, true)
              : sl_ha_probe_kn_body(t, keys, sel, hashes, n, gids, false);
}

/* ---- rehash -------------------------------------------------------------------------------- */

static void sl_ha_rehash(struct sl_hashagg_table *restrict t, const uint64_t *restrict hashes,
                         uint32_t first, uint32_t n)
{
    uint64_t *restrict slots = t->slots;
    const uint64_t mask = t->mask;
    const uint32_t k = t->k;
    const uint64_t stride = k + 1u;
    for (uint32_t i = 0; i < n; i++) {
        if (i + SL_HASHAGG_PREFETCH < n)
            SL_PF_W(slots + sl_hashagg_home(hashes[i + SL_HASHAGG_PREFETCH], mask, k) * stride);
        const uint64_t h = hashes[i];
        const uint32_t gid = first + i;
        uint64_t idx = sl_hashagg_home(h, mask, k);
        while (slots[idx * stride] != 0)
            idx = (idx + 1) & mask;
        uint64_t *s = slots + idx * stride;
        for (uint32_t w = 0; w < k; w++)
            s[1 + w] = t->keys[w][gid];
        s[0] = sl_hashagg_header(h, gid);
    }
}

/* ---- aggregate updates ---------------------------------------------------------------------- */

/* The updates do not prefetch their state rows (see kernels/hashagg.h: it measured slower);
 * only the input column is prefetched, below. */

static void sl_ha_count_star(uint64_t *restrict cnt, uint32_t stride, const uint32_t *restrict gids,
                             uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        cnt[(size_t)gids[i] * stride]++;
    }
}

static void sl_ha_count(uint64_t *restrict cnt, uint32_t stride, const uint32_t *restrict gids,
                        const uint64_t *restrict valid, const sl_sel_t *restrict sel, uint32_t n)
{
    if (!valid) {
        sl_ha_count_star(cnt, stride, gids, n);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        cnt[(size_t)gids[i] * stride] += sl_valid_get(valid, sel ? sel[i] : i);
    }
}

static void sl_ha_add_u64(uint64_t *restrict dst, uint32_t stride, const uint32_t *restrict gids,
                          const uint64_t *restrict src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        dst[(size_t)gids[i] * stride] += src[i];
    }
}

/* The input column of an update without selection is read in order: prefetching it 2 KiB ahead
 * (once per 8 values, one cache line) hides the DRAM latency where the hardware prefetcher
 * restarts at each 4 KiB page, when a batch's columns are not in cache. */
#define SL_HA_STREAM_PF(p) __builtin_prefetch((p) + 256, 0, 3)

/*
 * One body per update: OP(state, g, x) folds the value x into state[g] (g already multiplied
 * by the stride). The count, when there is one, is updated in the same loop (one pass, and
 * with state rows one cache line per position for both). With NULLs the value is skipped by a
 * branch (the state stays untouched: a MIN must not see a dummy value) and the count takes
 * the validity bit. The four loops are the combinations of (sel, cnt) without NULLs, where
 * nothing but the addresses varies, and one loop with NULLs.
 */
#define SL_HA_UPDATE(name, T, OP)                                                              \
    static void name(T *restrict state, uint64_t *restrict cnt, uint32_t stride,               \
                     const uint32_t *restrict gids, const T *restrict v,                       \
                     const uint64_t *restrict valid, const sl_sel_t *restrict sel, uint32_t n) \
    {                                                                                          \
        if (!valid && !sel && !cnt) {                                                          \
            uint32_t i = 0;                                                                    \
            for (; i + 8 <= n; i += 8) {                                                       \
                SL_HA_STREAM_PF(v + i);                                                        \
                for (uint32_t j = i; j < i + 8; j++)                                           \
                    OP(state, (size_t)gids[j] * stride, v[j]);                                 \
            }                                                                                  \
            for (; i < n; i++)                                                                 \
                OP(state, (size_t)gids[i] * stride, v[i]);                                     \
        } else if (!valid && !sel) {                                                           \
            uint32_t i = 0;                                                                    \
            for (; i + 8 <= n; i += 8) {                                                       \
                SL_HA_STREAM_PF(v + i);                                                        \
                for (uint32_t j = i; j < i + 8; j++) {                                         \
                    const size_t g = (size_t)gids[j] * stride;                                 \
                    OP(state, g, v[j]);                                                        \
                    cnt[g]++;                                                                  \
                }                                                                              \
            }                                                                                  \
            for (; i < n; i++) {                                                               \
                const size_t g = (size_t)gids[i] * stride;                                     \
                OP(state, g, v[i]);                                                            \
                cnt[g]++;                                                                      \
            }                                                                                  \
        } else if (!valid && !cnt) {                                                           \
            for (uint32_t i = 0; i < n; i++) {                                                 \
                OP(state, (size_t)gids[i] * stride, v[sel[i]]);                                \
            }                                                                                  \
        } else if (!valid) {                                                                   \
            for (uint32_t i = 0; i < n; i++) {                                                 \
                const size_t g = (size_t)gids[i] * stride;                                     \
                OP(state, g, v[sel[i]]);                                                       \
                cnt[g]++;                                                                      \
            }                                                                                  \
        } else {                                                                               \
            for (uint32_t i = 0; i < n; i++) {                                                 \
                const uint32_t r = sel ? sel[i] : i;                                           \
                const size_t g = (size_t)gids[i] * stride;                                     \
                const bool ok = sl_valid_get(valid, r);                                        \
                if (ok)                                                                        \
                    OP(state, g, v[r]);                                                        \
                if (cnt)                                                                       \
                    cnt[g] += ok;                                                              \
            }                                                                                  \
        }                                                                                      \
    }

#define SL_OP_SUM_I64(s, g, x) ((s)[g] = (int64_t)((uint64_t)(s)[g] + (uint64_t)(x)))
#define SL_OP_SUM_F64(s, g, x) ((s)[g] += (x))
#define SL_OP_MIN_I64(s, g, x)              \
    do {                                    \
        const int64_t x_ = (x);             \
        (s)[g] = x_ < (s)[g] ? x_ : (s)[g]; \
    } while (0)
#define SL_OP_MAX_I64(s, g, x)              \
    do {                                    \
        const int64_t x_ = (x);             \
        (s)[g] = x_ > (s)[g] ? x_ : (s)[g]; \
    } while (0)
#define SL_OP_MIN_F64(s, g, x)               \
    do {                                     \
        const double x_ = (x);               \
        if (sl_hashagg_f64_less(x_, (s)[g])) \
            (s)[g] = x_;                     \
    } while (0)
#define SL_OP_MAX_F64(s, g, x)               \
    do {                                     \
        const double x_ = (x);               \
        if (sl_hashagg_f64_less((s)[g], x_)) \
            (s)[g] = x_;                     \
    } while (0)

SL_HA_UPDATE(sl_ha_sum_i64, int64_t, SL_OP_SUM_I64)
SL_HA_UPDATE(sl_ha_min_i64, int64_t, SL_OP_MIN_I64)
SL_HA_UPDATE(sl_ha_max_i64, int64_t, SL_OP_MAX_I64)
SL_HA_UPDATE(sl_ha_sum_f64, double, SL_OP_SUM_F64)
SL_HA_UPDATE(sl_ha_min_f64, double, SL_OP_MIN_F64)
SL_HA_UPDATE(sl_ha_max_f64, double, SL_OP_MAX_F64)

#define SL_HASHAGG_TABLE(tbl, probe_fn)     \
    const struct sl_hashagg_kernels tbl = { \
        .probe = probe_fn,                  \
        .rehash = sl_ha_rehash,             \
        .count_star = sl_ha_count_star,     \
        .count = sl_ha_count,               \
        .add_u64 = sl_ha_add_u64,           \
        .sum_i64 = sl_ha_sum_i64,           \
        .min_i64 = sl_ha_min_i64,           \
        .max_i64 = sl_ha_max_i64,           \
        .sum_f64 = sl_ha_sum_f64,           \
        .min_f64 = sl_ha_min_f64,           \
        .max_f64 = sl_ha_max_f64,           \
    }

#endif
