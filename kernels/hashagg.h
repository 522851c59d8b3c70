/*
 * kernels/hashagg.h - the kernels of hash aggregation (GROUP BY): an open-addressing hash
 * table that gives each distinct key a dense group id, and aggregate updates by group id.
 * The memory is the caller's (engine/ops/hashagg.c owns it); the kernels never allocate.
 *
 * HOW IT WORKS
 * A key is K 64-bit words (1 <= K <= SL_HASHAGG_MAX_K; the engine turns each key column into
 * one word, see engine/ops/hashagg.h). Groups get ids 0, 1, 2, ... in insertion order; the keys
 * are arrays by group id (keys[w][gid] is word w of group gid's key) and the aggregate states
 * are ROWS by group id: group gid's states are the `stride` words at rows + gid * stride, all
 * aggregates of a group side by side, so that COUNT(*) + SUM of one group share a cache line
 * (one miss per row, not one per aggregate, in a table beyond the caches). An update kernel
 * takes a pointer to its state's word in row 0 and the stride (stride 1 is a plain array).
 * A batch goes through in passes, each one a tight loop over all positions:
 *   1. hash the key words (kernels/hash.h: i64, then combine for words 2..K);
 *   2. probe-or-insert every position -> gids[i]; in a table beyond the caches, the slot of
 *      position i + SL_HASHAGG_PREFETCH is prefetched, so that a dozen cache misses are in
 *      flight instead of one;
 *   3. one pass per aggregate: state[gids[i] * stride] op= value. No prefetch: the loop is
 *      short and free of branches, so the core keeps many of its misses in flight by itself.
 *      Measured (bench/hashagg.c, AVX-512, 10 M groups): prefetching each found group's row
 *      from the probe made the whole 10 % slower (35 -> 32 M rows/s), 1 M groups 12 %.
 *
 * SLOT LAYOUT (linear probing, capacity a power of two, slot i at slots + i * (K + 1))
 *
 *   word   bits    field
 *      0   0..31   group id + 1 (0: the slot is empty, so zeroed memory is an empty table)
 *      0  32..63   tag: the hash's high 32 bits; a probe compares it before the key words
 *   1..K           the key words (a copy of keys[w][gid], so that a hit costs one cache
 *                  line and not a second miss in the keys arrays)
 *
 * The home slot of a key, where its probe starts, is sl_hashagg_home(): hash & mask (the low
 * bits; kernels/hash.h mixes them fully), for K = 1 rounded down to a multiple of 4.
 *
 * K = 1 (specialized): the 16-byte slots pack four to a cache line, a BUCKET, and a probe
 * starts at the first slot of its bucket (linear probing over buckets of 4: one cache line is
 * the unit of a probe, and a prefetch of the home line covers it). The probe compares the key
 * word directly (the tag adds nothing when the key is one word). The AVX2 and AVX-512 levels
 * compare the key with the four slots of the home bucket at once (one 64-byte load) and take
 * the first non-empty slot that holds it: keys are unique in the table, so that is the slot
 * the scalar loop would reach. Only a key that overflowed its bucket, a new key, or the key 0
 * seen in an empty slot's zero word fall back to the scalar loop. This removes the
 * data-dependent branch of the scalar loop (a misprediction for every key not in its home
 * slot: about half of them at load 3/4, one in seven at load 1/4).
 *
 * LOAD: sl_hashagg_max_groups() is the policy that the engine and the benchmarks size tables
 * by: load at most 1/4 while the slots take at most SL_HASHAGG_LOW_LOAD_BYTES (cache-resident
 * tables, where memory is cheap and a probe that stays in its home slot is what counts), 3/4
 * beyond (tables that live in DRAM, where bytes are misses).
 * Byte budget per group at load 3/4 (capacity / groups between 4/3 and 8/3 as the table grows
 * by doubling):
 *   slots      8 * (K + 1) * capacity / groups   K = 1: 21..43 bytes
 *   keys       8 * K                             K = 1: 8 bytes
 *   state row  8 * stride: one word per state (+ one for a non-NULL count where the input is
 *              nullable), rounded up by the engine (engine/ops/hashagg.c)
 * So COUNT(*) + SUM(BIGINT NOT NULL) by one BIGINT key takes 45..67 bytes per group:
 * 10 million groups in about 0.5 to 0.7 GB.
 *
 * GROWTH: `probe` inserts only while ngroups < max_groups (the caller sets max_groups to at
 * most sl_hashagg_max_groups(capacity) and to at most the length of its keys and state rows).
 * When a new key would exceed it, probe stops and returns the number of positions done; the
 * caller allocates a table twice as large (and longer arrays), moves the keys and rows over,
 * rebuilds the slots with `rehash` from the keys arrays in group-id order (no key comparisons:
 * the keys are distinct), and calls probe again from the position where it stopped.
 *
 * AGGREGATES
 * `cnt` words count non-NULL inputs per group; SUM / MIN / MAX take one (NULL if the input
 * cannot be NULL), so that a group whose inputs were all NULL ends up NULL (count 0), and
 * update it in the same loop as the state (one pass; with state rows, one cache line). Given
 * a COUNT(*)'s word for an input without NULLs, the count is a row count: that is how the
 * engine folds COUNT(*) into a SUM's pass (engine/ops/hashagg.c). MIN and
 * MAX states must start at the identity the caller writes when a group is created:
 *   MIN BIGINT INT64_MAX, MAX BIGINT INT64_MIN, MIN DOUBLE NaN, MAX DOUBLE -Inf
 * DOUBLE MIN / MAX order values as Java's Double.compare does (a total order: -0.0 < 0.0,
 * NaN above +Inf), so the result does not depend on row order and partial states merge.
 * SUM BIGINT wraps (Java's long); SUM DOUBLE adds in position order. AVG is SUM and COUNT,
 * divided by the engine. Merging partial states is an update with the partial states as the
 * input (SUM, MIN, MAX) plus `add_u64` for the counts.
 *
 * CONVENTIONS: (v, valid, sel, n) as in kernels/kcommon.h; `hashes` and `gids` are indexed by
 * position (dense). Keys arrays passed to probe are indexed by row (through sel).
 * Every level gives bit-identical tables, group ids and states, with one exception: a SUM
 * DOUBLE that ends up NaN may be a NaN of either sign (x86 returns the first operand's NaN
 * and compilers may swap the operands of an addition), so compare NaN sums as "is NaN".
 */
#ifndef SL_KERNELS_HASHAGG_H
#define SL_KERNELS_HASHAGG_H

#include "kernels/kcommon.h"
#include "kernels/simd.h"

/* Five words: four key columns and the word of their NULL flags (Nexmark q8's window
 * aggregation: GROUP BY id, name, window_start, window_end with a nullable BIGINT id). */
#define SL_HASHAGG_MAX_K 5
/* How many positions ahead the probe prefetches slots (tuned on bench/hashagg.c). */
#ifndef SL_HASHAGG_PREFETCH
#define SL_HASHAGG_PREFETCH 32
#endif
/* Tables of more bytes than this are probed with prefetching; smaller ones sit in cache. */
#define SL_HASHAGG_PREFETCH_BYTES (256u * 1024u)
/* Tables whose slots take at most this many bytes are kept at load 1/4 (see LOAD above). */
#define SL_HASHAGG_LOW_LOAD_BYTES (1024u * 1024u)

struct sl_hashagg_table {
    uint64_t *slots;                  /* capacity * (k + 1) words, zeroed when empty */
    uint64_t *keys[SL_HASHAGG_MAX_K]; /* keys[w][gid], w < k, at least max_groups long */
    uint64_t mask;                    /* capacity - 1, capacity a power of two >= 4 */
    uint32_t k;                       /* words per key, 1..SL_HASHAGG_MAX_K */
    uint32_t ngroups;                 /* groups so far: ids 0 .. ngroups-1 */
    uint32_t max_groups;              /* probe inserts no group beyond this many */
};

/* Slot header helpers (word 0 of a slot). */
static inline uint64_t sl_hashagg_header(uint64_t hash, uint32_t gid)
{
    return (hash & 0xffffffff00000000ull) | ((uint64_t)gid + 1u);
}

/* Bytes of the slots of a table of `capacity` slots and `k` words per key. */
static inline uint64_t sl_hashagg_slot_bytes(uint64_t capacity, uint32_t k)
{
    return capacity * (k + 1u) * sizeof(uint64_t);
}

/* The home slot of a key of hash `hash` (where its probe starts) in a table of `k` words per
 * key and capacity mask + 1 (at least 4): the first slot of a 4-slot bucket for K = 1. */
static inline uint64_t sl_hashagg_home(uint64_t hash, uint64_t mask, uint32_t k)
{
    return k == 1 ? hash & mask & ~(uint64_t)3 : hash & mask;
}

/* The most groups that a table of `capacity` slots (a power of two, at least 4) and `k` words
 * per key should take: the load policy (see LOAD above). Monotonic in capacity. */
static inline uint32_t sl_hashagg_max_groups(uint64_t capacity, uint32_t k)
{
    uint64_t g = sl_hashagg_slot_bytes(capacity, k) <= SL_HASHAGG_LOW_LOAD_BYTES ? capacity / 4
                                                                                 : capacity / 4 * 3;
    return g > UINT32_MAX ? UINT32_MAX : (uint32_t)g;
}

/*
 * An aggregate update: state[gids[i] * stride] op= v[row of position i]; cnt[gids[i] * stride]
 * += 1 where the value is not NULL (cnt may be NULL: then it is not counted). state and cnt
 * may point into the same rows (different words of each row).
 */
typedef void (*sl_hashagg_upd_i64_fn)(int64_t *restrict state, uint64_t *restrict cnt,
                                      uint32_t stride, const uint32_t *restrict gids,
                                      const int64_t *restrict v, const uint64_t *restrict valid,
                                      const sl_sel_t *restrict sel, uint32_t n);
typedef void (*sl_hashagg_upd_f64_fn)(double *restrict state, uint64_t *restrict cnt,
                                      uint32_t stride, const uint32_t *restrict gids,
                                      const double *restrict v, const uint64_t *restrict valid,
                                      const sl_sel_t *restrict sel, uint32_t n);

struct sl_hashagg_kernels {
    /*
     * Finds or inserts the key of each position: keys[w][row] is word w of the key at that
     * row (keys[] has t->k arrays), hashes[i] the hash of position i's key words (see the
     * header comment). Writes gids[i] and returns how many positions were done: n, or fewer
     * when a new group would exceed t->max_groups (grow, then resume from there).
     */
    uint32_t (*probe)(struct sl_hashagg_table *restrict t, const uint64_t *const *keys,
                      const sl_sel_t *restrict sel, const uint64_t *restrict hashes, uint32_t n,
                      uint32_t *restrict gids);
    /* Puts groups first .. first+n-1 (keys in t->keys, hashes[i] of group first + i) into the
     * slots of an empty or partly built table; the caller guarantees room. */
    void (*rehash)(struct sl_hashagg_table *restrict t, const uint64_t *restrict hashes,
                   uint32_t first, uint32_t n);
    /* COUNT(*): cnt[gids[i] * stride] += 1. */
    void (*count_star)(uint64_t *restrict cnt, uint32_t stride, const uint32_t *restrict gids,
                       uint32_t n);
    /* COUNT(x): cnt[gids[i] * stride] += 1 where the row's value is not NULL. */
    void (*count)(uint64_t *restrict cnt, uint32_t stride, const uint32_t *restrict gids,
                  const uint64_t *restrict valid, const sl_sel_t *restrict sel, uint32_t n);
    /* dst[gids[i] * stride] += src[i] (src dense): merging counts of partial states. */
    void (*add_u64)(uint64_t *restrict dst, uint32_t stride, const uint32_t *restrict gids,
                    const uint64_t *restrict src, uint32_t n);
    sl_hashagg_upd_i64_fn sum_i64, min_i64, max_i64;
    sl_hashagg_upd_f64_fn sum_f64, min_f64, max_f64;
};

extern const struct sl_hashagg_kernels sl_hashagg_scalar;
extern const struct sl_hashagg_kernels sl_hashagg_avx2;
extern const struct sl_hashagg_kernels sl_hashagg_avx512;

/* The active table (scalar until sl_simd_init()). */
extern const struct sl_hashagg_kernels *sl_hashagg;

const struct sl_hashagg_kernels *sl_hashagg_kernels_for(sl_simd_level level);
void sl_hashagg_kernels_activate(sl_simd_level level);

/* DOUBLE order of MIN / MAX: Java's Double.compare(a, b) < 0. */
static inline bool sl_hashagg_f64_less(double a, double b)
{
    if (b != b)
        return a == a;
    if (a != a)
        return false;
    if (a < b)
        return true;
    if (a == b) /* only -0.0 < 0.0 */
        return __builtin_signbit(a) && !__builtin_signbit(b);
    return false;
}

#endif
