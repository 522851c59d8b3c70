/*
 * kernels/select.h - filters that produce selection vectors, and the logic of selections.
 *
 * A filter never copies rows: it writes the row indexes that pass, in increasing order, into
 * `sel_out` and returns how many there are. Every filter kernel has the shape
 *
 *     uint32_t f(sl_cmp_op op, <column(s) or constant>, <validity bitmap(s)>,
 *                const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out)
 *
 * with (sel, n, valid) as in kernels/kcommon.h. Rules shared by every filter:
 *   - sel_out has room for n entries and MAY BE THE SAME ARRAY AS sel (filtering in place):
 *     a kernel writes position k only after reading every input position <= k it still
 *     needs. SIMD variants store whole vectors, so entries of sel_out past the returned
 *     count (but below n) may be overwritten with garbage.
 *   - SQL three-valued logic: a comparison with a NULL is unknown, and a filter keeps only
 *     rows where the condition is true, so a NULL row never passes (for NE either). With
 *     two columns, a row passes only when both are valid.
 *   - The kernel dispatches on `op` once, outside the loop; loops are branch-free
 *     (`sel_out[k] = row; k += pass;` in scalar, compress or movemask + lookup table in SIMD)
 *     with fast paths for "no NULLs" (valid == NULL) and "all selected" (sel == NULL).
 *   - The values of NULL rows are never trusted: they may be garbage (a string view of a NULL
 *     row is never followed into the heap).
 *   - An `op` outside sl_cmp_op selects nothing.
 *
 * Semantics by type (each is what Flink SQL computes):
 *   int32 (INT), int64 (BIGINT, TIMESTAMP, DECIMAL of equal scale): signed comparison.
 *   double (DOUBLE): Java's primitive comparison: NaN compares false with everything for
 *     EQ, LT, LE, GT, GE, and NE with NaN is true; -0.0 == 0.0.
 *   uint8 (BOOLEAN, 0 or 1): unsigned comparison, so FALSE < TRUE.
 *   sl_str (VARCHAR): byte-wise comparison of the UTF-8 bytes as unsigned, a proper prefix
 *     before the longer string (Flink's BinaryStringData.compareTo). EQ and NE compare the
 *     8-byte len + prefix word first and touch the heap only when it matches; the order ops
 *     are scalar at every level (they are rare in filters).
 *
 * The selection logic functions combine selections (sorted, without duplicates) of one batch.
 * Their aliasing rules differ and are given with each.
 */
#ifndef SL_KERNELS_SELECT_H
#define SL_KERNELS_SELECT_H

#include "kernels/kcommon.h"
#include "kernels/simd.h"

typedef enum sl_cmp_op {
    SL_CMP_EQ = 0,
    SL_CMP_NE,
    SL_CMP_LT,
    SL_CMP_LE,
    SL_CMP_GT,
    SL_CMP_GE,
    SL_CMP_COUNT
} sl_cmp_op;

/* The op with its operands swapped: a < b is b > a. */
static inline sl_cmp_op sl_cmp_op_swap(sl_cmp_op op)
{
    static const sl_cmp_op swapped[SL_CMP_COUNT] = {SL_CMP_EQ, SL_CMP_NE, SL_CMP_GT,
                                                    SL_CMP_GE, SL_CMP_LT, SL_CMP_LE};
    return (unsigned)op < SL_CMP_COUNT ? swapped[op] : op;
}

/* Pointers in the table below: inputs are borrowed for the call only; nothing is kept. */
struct sl_select_kernels {
    /* ---- column op constant: rows where v[row] op c ---------------------------------- */
    uint32_t (*i32_const)(sl_cmp_op op, const int32_t *restrict v, int32_t c,
                          const uint64_t *restrict valid, const sl_sel_t *sel, uint32_t n,
                          sl_sel_t *sel_out);
    uint32_t (*i64_const)(sl_cmp_op op, const int64_t *restrict v, int64_t c,
                          const uint64_t *restrict valid, const sl_sel_t *sel, uint32_t n,
                          sl_sel_t *sel_out);
    uint32_t (*f64_const)(sl_cmp_op op, const double *restrict v, double c,
                          const uint64_t *restrict valid, const sl_sel_t *sel, uint32_t n,
                          sl_sel_t *sel_out);
    uint32_t (*bool_const)(sl_cmp_op op, const uint8_t *restrict v, uint8_t c,
                           const uint64_t *restrict valid, const sl_sel_t *sel, uint32_t n,
                           sl_sel_t *sel_out);
    /* `c` is borrowed; a long constant's bytes must stay alive for the call. */
    uint32_t (*str_const)(sl_cmp_op op, const sl_str *restrict v, const sl_str *restrict c,
                          const uint64_t *restrict valid, const sl_sel_t *sel, uint32_t n,
                          sl_sel_t *sel_out);

    /* ---- column op column: rows where a[row] op b[row], both valid ------------------- */
    uint32_t (*i32_col)(sl_cmp_op op, const int32_t *restrict a, const int32_t *restrict b,
                        const uint64_t *restrict valid_a, const uint64_t *restrict valid_b,
                        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out);
    uint32_t (*i64_col)(sl_cmp_op op, const int64_t *restrict a, const int64_t *restrict b,
                        const uint64_t *restrict valid_a, const uint64_t *restrict valid_b,
                        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out);
    uint32_t (*f64_col)(sl_cmp_op op, const double *restrict a, const double *restrict b,
                        const uint64_t *restrict valid_a, const uint64_t *restrict valid_b,
                        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out);
    uint32_t (*bool_col)(sl_cmp_op op, const uint8_t *restrict a, const uint8_t *restrict b,
                         const uint64_t *restrict valid_a, const uint64_t *restrict valid_b,
                         const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out);
    uint32_t (*str_col)(sl_cmp_op op, const sl_str *restrict a, const sl_str *restrict b,
                        const uint64_t *restrict valid_a, const uint64_t *restrict valid_b,
                        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out);

    /*
     * v IN (set[0], ..., set[nset-1]): rows whose value equals one of the constants. The set
     * holds no NULL (x IN (1, NULL) is never true where x IN (1) is false, so the planner
     * drops NULLs from the list; NOT IN with a NULL in the list is the planner's business).
     * Linear in nset: meant for short lists (up to ~16); long lists belong in a hash table.
     * nset == 0 selects nothing.
     */
    uint32_t (*in_i64)(const int64_t *restrict v, const int64_t *restrict set, uint32_t nset,
                       const uint64_t *restrict valid, const sl_sel_t *sel, uint32_t n,
                       sl_sel_t *sel_out);

    /* v LIKE 'prefix%': rows whose first plen bytes are prefix[0 .. plen-1]. plen == 0
     * selects every valid row. */
    uint32_t (*str_prefix)(const sl_str *restrict v, const char *restrict prefix, uint32_t plen,
                           const uint64_t *restrict valid, const sl_sel_t *sel, uint32_t n,
                           sl_sel_t *sel_out);

    /* A BOOLEAN column as the filter: rows where v[row] == 1 and valid. */
    uint32_t (*is_true)(const uint8_t *restrict v, const uint64_t *restrict valid,
                        const sl_sel_t *sel, uint32_t n, sl_sel_t *sel_out);

    /* ---- selection logic --------------------------------------------------------------- */
    /* a AND b: the rows in both; out has room for min(na, nb) and may be the same array as a
     * (not b). */
    uint32_t (*sel_and)(const sl_sel_t *a, uint32_t na, const sl_sel_t *restrict b, uint32_t nb,
                        sl_sel_t *out);
    /* a OR b: the rows in either, once; out has room for na + nb and overlaps neither. */
    uint32_t (*sel_or)(const sl_sel_t *restrict a, uint32_t na, const sl_sel_t *restrict b,
                       uint32_t nb, sl_sel_t *restrict out);
    /* a AND NOT b: the positions of a (or, with a == NULL, the rows 0 .. na-1) that are not
     * in b; out has room for na and may be the same array as a (not b). */
    uint32_t (*sel_not)(const sl_sel_t *a, uint32_t na, const sl_sel_t *restrict b, uint32_t nb,
                        sl_sel_t *out);
};

extern const struct sl_select_kernels sl_select_scalar;
extern const struct sl_select_kernels sl_select_avx2;
extern const struct sl_select_kernels sl_select_avx512;

/* The active table (scalar until sl_simd_init()). */
extern const struct sl_select_kernels *sl_select;

const struct sl_select_kernels *sl_select_kernels_for(sl_simd_level level);
void sl_select_kernels_activate(sl_simd_level level);

#endif
