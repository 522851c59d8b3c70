/*
 * tests/kernels/test_select.c - the filters and the selection logic: the scalar reference
 * against hand-computed answers and against a row-by-row oracle written independently here,
 * and every SIMD variant against the scalar reference, out of place and in place
 * (sel_out == sel), at every length of sl_test_lengths, with and without NULLs and
 * selections. Output buffers are allocated with exactly n entries so that ASan catches a
 * vector store past n.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdlib.h>

#include "kernels/select.h"

#define CAP (SL_BATCH_CAP + 64)

/* ---- hand-computed answers ----------------------------------------------------------------- */

#define expect_sel(got, ngot, ...) expect_sel_at(__LINE__, got, ngot, __VA_ARGS__)

static void expect_sel_at(int line, const sl_sel_t *got, uint32_t ngot, const sl_sel_t *want,
                          uint32_t nwant)
{
    if (ngot != nwant)
        print_error("line %d: %u rows selected, expected %u\n", line, ngot, nwant);
    assert_int_equal(ngot, nwant);
    for (uint32_t i = 0; i < nwant; i++)
        assert_int_equal(got[i], want[i]);
}

static void test_reference_numeric(void **state)
{
    (void)state;
    const struct sl_select_kernels *k = &sl_select_scalar;
    sl_sel_t out[8];
    int64_t v[6] = {INT64_MIN, -1, 0, 5, INT64_MAX, 5};
    uint64_t valid[1] = {0x3d}; /* row 1 NULL */
    expect_sel(out, k->i64_const(SL_CMP_LT, v, 5, NULL, NULL, 6, out), (sl_sel_t[]){0, 1, 2}, 3);
    expect_sel(out, k->i64_const(SL_CMP_LT, v, 5, valid, NULL, 6, out), (sl_sel_t[]){0, 2}, 2);
    expect_sel(out, k->i64_const(SL_CMP_NE, v, 5, valid, NULL, 6, out), (sl_sel_t[]){0, 2, 4}, 3);
    expect_sel(out, k->i64_const(SL_CMP_EQ, v, 5, NULL, NULL, 6, out), (sl_sel_t[]){3, 5}, 2);
    expect_sel(out, k->i64_const(SL_CMP_GE, v, INT64_MAX, NULL, NULL, 6, out), (sl_sel_t[]){4}, 1);
    expect_sel(out, k->i64_const(SL_CMP_LE, v, INT64_MIN, NULL, NULL, 6, out), (sl_sel_t[]){0}, 1);
    expect_sel(out, k->i64_const(SL_CMP_GT, v, INT64_MAX, NULL, NULL, 6, out), NULL, 0);
    expect_sel(out, k->i64_const(SL_CMP_LT, v, INT64_MIN, NULL, NULL, 6, out), NULL, 0);
    expect_sel(out, k->i64_const(SL_CMP_GE, v, INT64_MIN, valid, NULL, 6, out),
               (sl_sel_t[]){0, 2, 3, 4, 5}, 5);
    expect_sel(out, k->i64_const(SL_CMP_COUNT, v, 0, NULL, NULL, 6, out), NULL, 0);
    /* through a selection, in place */
    sl_sel_t sel[4] = {1, 3, 4, 5};
    expect_sel(sel, k->i64_const(SL_CMP_GT, v, 0, valid, sel, 4, sel), (sl_sel_t[]){3, 4, 5}, 3);
    /* all NULL */
    uint64_t none[1] = {0};
    assert_int_equal(k->i64_const(SL_CMP_NE, v, 7, none, NULL, 6, out), 0);

    int64_t w[6] = {INT64_MIN, 0, 1, 5, INT64_MIN, 6};
    uint64_t valid_w[1] = {0x1f}; /* row 5 NULL */
    expect_sel(out, k->i64_col(SL_CMP_LT, w, v, NULL, NULL, NULL, 6, out), (sl_sel_t[]){4}, 1);
    expect_sel(out, k->i64_col(SL_CMP_GT, w, v, NULL, NULL, NULL, 6, out), (sl_sel_t[]){1, 2, 5},
               3);
    expect_sel(out, k->i64_col(SL_CMP_LT, w, v, valid_w, valid, NULL, 6, out), (sl_sel_t[]){4}, 1);
    expect_sel(out, k->i64_col(SL_CMP_EQ, w, v, NULL, valid, NULL, 6, out), (sl_sel_t[]){0, 3}, 2);

    int32_t x[4] = {INT32_MIN, -7, 7, INT32_MAX};
    expect_sel(out, k->i32_const(SL_CMP_GE, x, -7, NULL, NULL, 4, out), (sl_sel_t[]){1, 2, 3}, 3);
    expect_sel(out, k->i32_col(SL_CMP_GT, x + 2, x, NULL, NULL, NULL, 2, out), (sl_sel_t[]){0, 1},
               2);

    /* Java double semantics: NaN false except NE; -0.0 == 0.0 */
    double d[5] = {NAN, -0.0, 0.0, 1.5, -INFINITY};
    expect_sel(out, k->f64_const(SL_CMP_EQ, d, 0.0, NULL, NULL, 5, out), (sl_sel_t[]){1, 2}, 2);
    expect_sel(out, k->f64_const(SL_CMP_EQ, d, -0.0, NULL, NULL, 5, out), (sl_sel_t[]){1, 2}, 2);
    expect_sel(out, k->f64_const(SL_CMP_NE, d, 0.0, NULL, NULL, 5, out), (sl_sel_t[]){0, 3, 4}, 3);
    expect_sel(out, k->f64_const(SL_CMP_LE, d, 0.0, NULL, NULL, 5, out), (sl_sel_t[]){1, 2, 4}, 3);
    expect_sel(out, k->f64_const(SL_CMP_GE, d, -INFINITY, NULL, NULL, 5, out),
               (sl_sel_t[]){1, 2, 3, 4}, 4);
    for (int op = SL_CMP_EQ; op < SL_CMP_COUNT; op++) {
        uint32_t want = op == SL_CMP_NE ? 5 : 0;
        assert_int_equal(k->f64_const((sl_cmp_op)op, d, NAN, NULL, NULL, 5, out), want);
    }
    double e[5] = {NAN, 0.0, NAN, 1.5, 2.0};
    expect_sel(out, k->f64_col(SL_CMP_NE, d, e, NULL, NULL, NULL, 5, out), (sl_sel_t[]){0, 2, 4},
               3);
    expect_sel(out, k->f64_col(SL_CMP_EQ, d, e, NULL, NULL, NULL, 5, out), (sl_sel_t[]){1, 3}, 2);

    uint8_t b[4] = {0, 1, 1, 0};
    uint8_t b2[4] = {1, 1, 0, 0};
    uint64_t valid_b[1] = {0xb}; /* row 2 NULL */
    expect_sel(out, k->is_true(b, NULL, NULL, 4, out), (sl_sel_t[]){1, 2}, 2);
    expect_sel(out, k->is_true(b, valid_b, NULL, 4, out), (sl_sel_t[]){1}, 1);
    expect_sel(out, k->bool_const(SL_CMP_NE, b, 1, NULL, NULL, 4, out), (sl_sel_t[]){0, 3}, 2);
    expect_sel(out, k->bool_const(SL_CMP_LT, b, 1, NULL, NULL, 4, out), (sl_sel_t[]){0, 3}, 2);
    expect_sel(out, k->bool_col(SL_CMP_EQ, b, b2, NULL, NULL, NULL, 4, out), (sl_sel_t[]){1, 3}, 2);
    expect_sel(out, k->bool_col(SL_CMP_GT, b, b2, NULL, valid_b, NULL, 4, out), NULL, 0);

    int64_t set[3] = {INT64_MAX, 0, 5};
    expect_sel(out, k->in_i64(v, set, 3, NULL, NULL, 6, out), (sl_sel_t[]){2, 3, 4, 5}, 4);
    expect_sel(out, k->in_i64(v, set, 3, valid, NULL, 6, out), (sl_sel_t[]){2, 3, 4, 5}, 4);
    expect_sel(out, k->in_i64(v, set, 1, valid, NULL, 6, out), (sl_sel_t[]){4}, 1);
    assert_int_equal(k->in_i64(v, set, 0, NULL, NULL, 6, out), 0);

    assert_int_equal(sl_cmp_op_swap(SL_CMP_LT), SL_CMP_GT);
    assert_int_equal(sl_cmp_op_swap(SL_CMP_GE), SL_CMP_LE);
    assert_int_equal(sl_cmp_op_swap(SL_CMP_NE), SL_CMP_NE);
}

static void test_reference_strings(void **state)
{
    (void)state;
    const struct sl_select_kernels *k = &sl_select_scalar;
    static const char *const text[] = {"",
                                       "abcd",
                                       "abcdefghijkl",  /* 12: inline */
                                       "abcdefghijklm", /* 13: in the heap */
                                       "abcdefghijklx", /* same prefix, differs at the end */
                                       "abce",
                                       "abc"};
    sl_str v[8];
    for (int i = 0; i < 7; i++)
        v[i] = sl_str_make(text[i], (uint32_t)strlen(text[i]));
    memset(&v[7], 0xa5, sizeof(v[7])); /* a NULL row with a garbage view */
    uint64_t valid[1] = {0x7f};
    sl_sel_t out[8];
    for (int i = 0; i < 7; i++) {
        /* a copy of the bytes, so that long strings point at other memory */
        char copy[32];
        memcpy(copy, text[i], strlen(text[i]) + 1);
        sl_str c = sl_str_make(copy, (uint32_t)strlen(copy));
        expect_sel(out, k->str_const(SL_CMP_EQ, v, &c, valid, NULL, 8, out),
                   (sl_sel_t[]){(sl_sel_t)i}, 1);
        assert_int_equal(k->str_const(SL_CMP_NE, v, &c, valid, NULL, 8, out), 6);
    }
    sl_str c13 = sl_str_make("abcdefghijklm", 13);
    expect_sel(out, k->str_const(SL_CMP_LT, v, &c13, valid, NULL, 8, out), (sl_sel_t[]){0, 1, 2, 6},
               4);
    expect_sel(out, k->str_const(SL_CMP_GE, v, &c13, valid, NULL, 8, out), (sl_sel_t[]){3, 4, 5},
               3);
    sl_str empty = sl_str_make("", 0);
    expect_sel(out, k->str_const(SL_CMP_LE, v, &empty, valid, NULL, 8, out), (sl_sel_t[]){0}, 1);
    expect_sel(out, k->str_const(SL_CMP_GT, v, &empty, valid, NULL, 8, out),
               (sl_sel_t[]){1, 2, 3, 4, 5, 6}, 6);

    sl_str w[8];
    for (int i = 0; i < 8; i++)
        w[i] = v[i ^ 1]; /* pairs swapped: "" <-> "abcd", 12 <-> 13, ... */
    w[6] = v[6];
    expect_sel(out, k->str_col(SL_CMP_EQ, v, w, valid, NULL, NULL, 7, out), (sl_sel_t[]){6}, 1);
    expect_sel(out, k->str_col(SL_CMP_LT, v, w, valid, valid, NULL, 8, out), (sl_sel_t[]){0, 2, 4},
               3);
    expect_sel(out, k->str_col(SL_CMP_NE, v, w, NULL, valid, NULL, 7, out),
               (sl_sel_t[]){0, 1, 2, 3, 4, 5}, 6);

    expect_sel(out, k->str_prefix(v, "abc", 3, valid, NULL, 8, out), (sl_sel_t[]){1, 2, 3, 4, 5, 6},
               6);
    expect_sel(out, k->str_prefix(v, "abcd", 4, valid, NULL, 8, out), (sl_sel_t[]){1, 2, 3, 4}, 4);
    expect_sel(out, k->str_prefix(v, "abcdefghijkl", 12, valid, NULL, 8, out),
               (sl_sel_t[]){2, 3, 4}, 3);
    expect_sel(out, k->str_prefix(v, "abcdefghijklm", 13, valid, NULL, 8, out), (sl_sel_t[]){3}, 1);
    expect_sel(out, k->str_prefix(v, "", 0, valid, NULL, 8, out), (sl_sel_t[]){0, 1, 2, 3, 4, 5, 6},
               7);
    expect_sel(out, k->str_prefix(v, "b", 1, valid, NULL, 8, out), NULL, 0);
}

static void test_reference_logic(void **state)
{
    (void)state;
    const struct sl_select_kernels *k = &sl_select_scalar;
    sl_sel_t a[6] = {0, 2, 3, 7, 9, 10}, b[4] = {2, 5, 9, 11}, out[10];
    expect_sel(out, k->sel_and(a, 6, b, 4, out), (sl_sel_t[]){2, 9}, 2);
    expect_sel(out, k->sel_or(a, 6, b, 4, out), (sl_sel_t[]){0, 2, 3, 5, 7, 9, 10, 11}, 8);
    expect_sel(out, k->sel_not(a, 6, b, 4, out), (sl_sel_t[]){0, 3, 7, 10}, 4);
    expect_sel(out, k->sel_not(NULL, 6, b, 4, out), (sl_sel_t[]){0, 1, 3, 4}, 4);
    expect_sel(out, k->sel_and(a, 6, b, 0, out), NULL, 0);
    expect_sel(out, k->sel_or(a, 0, b, 4, out), b, 4);
    expect_sel(out, k->sel_not(a, 6, b, 0, out), a, 6);
    sl_sel_t c[6];
    memcpy(c, a, sizeof(a));
    expect_sel(c, k->sel_not(c, 6, b, 4, c), (sl_sel_t[]){0, 3, 7, 10}, 4);
    memcpy(c, a, sizeof(a));
    expect_sel(c, k->sel_and(c, 6, b, 4, c), (sl_sel_t[]){2, 9}, 2);
}

/* ---- random data: the oracle, the reference and the variants ------------------------------- */

enum kind {
    K_I32C,
    K_I64C,
    K_F64C,
    K_BOOLC,
    K_STRC,
    K_I32X,
    K_I64X,
    K_F64X,
    K_BOOLX,
    K_STRX,
    K_IN,
    K_PREFIX,
    K_TRUE,
    K_COUNT
};

struct fctx {
    enum kind kind;
    sl_cmp_op op;
    const void *a, *b;
    const uint64_t *va, *vb;
    int64_t ci;
    double cf;
    sl_str cs;
    const int64_t *set;
    uint32_t nset;
    const char *prefix;
    uint32_t plen;
};

static uint32_t run(const struct sl_select_kernels *k, const struct fctx *c, const sl_sel_t *sel,
                    uint32_t n, sl_sel_t *out)
{
    switch (c->kind) {
    case K_I32C:
        return k->i32_const(c->op, c->a, (int32_t)c->ci, c->va, sel, n, out);
    case K_I64C:
        return k->i64_const(c->op, c->a, c->ci, c->va, sel, n, out);
    case K_F64C:
        return k->f64_const(c->op, c->a, c->cf, c->va, sel, n, out);
    case K_BOOLC:
        return k->bool_const(c->op, c->a, (uint8_t)c->ci, c->va, sel, n, out);
    case K_STRC:
        return k->str_const(c->op, c->a, &c->cs, c->va, sel, n, out);
    case K_I32X:
        return k->i32_col(c->op, c->a, c->b, c->va, c->vb, sel, n, out);
    case K_I64X:
        return k->i64_col(c->op, c->a, c->b, c->va, c->vb, sel, n, out);
    case K_F64X:
        return k->f64_col(c->op, c->a, c->b, c->va, c->vb, sel, n, out);
    case K_BOOLX:
        return k->bool_col(c->op, c->a, c->b, c->va, c->vb, sel, n, out);
    case K_STRX:
        return k->str_col(c->op, c->a, c->b, c->va, c->vb, sel, n, out);
    case K_IN:
        return k->in_i64(c->a, c->set, c->nset, c->va, sel, n, out);
    case K_PREFIX:
        return k->str_prefix(c->a, c->prefix, c->plen, c->va, sel, n, out);
    case K_TRUE:
        return k->is_true(c->a, c->va, sel, n, out);
    default:
        fail();
        return 0;
    }
}

/* three-way results as the op sees them, written without the kernels' helpers */
static int op_holds(sl_cmp_op op, int cmp, int unordered)
{
    if (unordered)
        return op == SL_CMP_NE;
    switch (op) {
    case SL_CMP_EQ:
        return cmp == 0;
    case SL_CMP_NE:
        return cmp != 0;
    case SL_CMP_LT:
        return cmp < 0;
    case SL_CMP_LE:
        return cmp <= 0;
    case SL_CMP_GT:
        return cmp > 0;
    case SL_CMP_GE:
        return cmp >= 0;
    default:
        return 0;
    }
}

static int str_order(const sl_str *x, const sl_str *y)
{
    const unsigned char *p = (const unsigned char *)sl_str_data(x);
    const unsigned char *q = (const unsigned char *)sl_str_data(y);
    for (uint32_t i = 0; i < x->len && i < y->len; i++)
        if (p[i] != q[i])
            return p[i] < q[i] ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

#define CMP3(x, y) ((x) < (y) ? -1 : (x) > (y))

static int oracle(const struct fctx *c, uint32_t r)
{
    if (!sl_valid_get(c->va, r) || !sl_valid_get(c->vb, r))
        return 0;
    switch (c->kind) {
    case K_I32C:
        return op_holds(c->op, CMP3(((const int32_t *)c->a)[r], (int32_t)c->ci), 0);
    case K_I64C:
        return op_holds(c->op, CMP3(((const int64_t *)c->a)[r], c->ci), 0);
    case K_F64C: {
        double x = ((const double *)c->a)[r];
        return op_holds(c->op, CMP3(x, c->cf), isnan(x) || isnan(c->cf));
    }
    case K_BOOLC:
        return op_holds(c->op, CMP3(((const uint8_t *)c->a)[r], (uint8_t)c->ci), 0);
    case K_STRC:
        return op_holds(c->op, str_order(&((const sl_str *)c->a)[r], &c->cs), 0);
    case K_I32X:
        return op_holds(c->op, CMP3(((const int32_t *)c->a)[r], ((const int32_t *)c->b)[r]), 0);
    case K_I64X:
        return op_holds(c->op, CMP3(((const int64_t *)c->a)[r], ((const int64_t *)c->b)[r]), 0);
    case K_F64X: {
        double x = ((const double *)c->a)[r], y = ((const double *)c->b)[r];
        return op_holds(c->op, CMP3(x, y), isnan(x) || isnan(y));
    }
    case K_BOOLX:
        return op_holds(c->op, CMP3(((const uint8_t *)c->a)[r], ((const uint8_t *)c->b)[r]), 0);
    case K_STRX:
        return op_holds(c->op, str_order(&((const sl_str *)c->a)[r], &((const sl_str *)c->b)[r]),
                        0);
    case K_IN: {
        int64_t x = ((const int64_t *)c->a)[r];
        for (uint32_t j = 0; j < c->nset; j++)
            if (x == c->set[j])
                return 1;
        return 0;
    }
    case K_PREFIX: {
        const sl_str *s = &((const sl_str *)c->a)[r];
        return s->len >= c->plen && memcmp(sl_str_data(s), c->prefix, c->plen) == 0;
    }
    case K_TRUE:
        return ((const uint8_t *)c->a)[r] == 1;
    default:
        return 0;
    }
}

static sl_simd_level g_levels[SL_SIMD_COUNT];
static int g_nlevels;

/* The reference against the oracle, then each variant against the reference, out of place and
 * in place. */
static void check(const struct fctx *c, const sl_sel_t *sel, uint32_t n)
{
    size_t bytes = (n ? n : 1) * sizeof(sl_sel_t);
    sl_sel_t *want = malloc(bytes), *got = malloc(bytes), *inpl = malloc(bytes);
    assert_non_null(want);
    assert_non_null(got);
    assert_non_null(inpl);
    uint32_t nw = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : i;
        if (oracle(c, r))
            want[nw++] = r;
    }
    uint32_t nr = run(&sl_select_scalar, c, sel, n, got);
    expect_sel(got, nr, want, nw);
    if (sel) {
        memcpy(inpl, sel, n * sizeof(sl_sel_t));
        expect_sel(inpl, run(&sl_select_scalar, c, inpl, n, inpl), want, nw);
    }
    for (int l = 0; l < g_nlevels; l++) {
        const struct sl_select_kernels *k = sl_select_kernels_for(g_levels[l]);
        expect_sel(got, run(k, c, sel, n, got), want, nw);
        if (sel) {
            memcpy(inpl, sel, n * sizeof(sl_sel_t));
            expect_sel(inpl, run(k, c, inpl, n, inpl), want, nw);
        }
    }
    free(want);
    free(got);
    free(inpl);
}

/* ---- random columns -------------------------------------------------------------------------- */

static int64_t g_i64[2][CAP];
static int32_t g_i32[2][CAP];
static double g_f64[2][CAP];
static uint8_t g_u8[2][CAP];
static sl_str g_str[2][CAP];
static char g_heap[2][CAP * 24];
static uint64_t g_valid[2][SL_VALID_WORDS(CAP)];
static sl_sel_t g_sel[CAP];

static const uint32_t str_lens[] = {0, 1, 3, 4, 5, 8, 11, 12, 13, 14, 20};

/* A string of mostly 'a' with the odd 'b': long equal prefixes that differ late. */
static sl_str rand_str(char *heap, uint64_t *rs)
{
    uint32_t len = str_lens[sl_test_rand(rs) % (sizeof(str_lens) / sizeof(str_lens[0]))];
    for (uint32_t i = 0; i < len; i++)
        heap[i] = sl_test_rand(rs) % (2 * len) == 0 ? 'b' : 'a';
    return sl_str_make(heap, len);
}

static void fill_columns(uint32_t n, uint64_t *rs)
{
    for (int t = 0; t < 2; t++) {
        sl_test_fill_i64(g_i64[t], n, rs);
        sl_test_fill_i32(g_i32[t], n, rs);
        sl_test_fill_f64(g_f64[t], n, rs);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t r = sl_test_rand(rs);
            g_u8[t][i] = (uint8_t)(r & 1);
            if (r % 8 == 1) /* equal values across the two columns */
                g_i64[t][i] = g_i64[0][i];
            if (r % 8 == 2)
                g_i32[t][i] = g_i32[0][i];
            if (r % 8 == 3)
                g_f64[t][i] = g_f64[0][i];
            if (r % 8 == 4)
                g_i64[t][i] = (int64_t)(r >> 60); /* small: many hits for IN and constants */
            g_str[t][i] = rand_str(g_heap[t] + 24 * (size_t)i, rs);
        }
    }
}

/* NULL rows of column t get garbage views, which would crash if followed into the heap. */
static void garble_nulls(int t, uint32_t n, uint64_t *rs)
{
    for (uint32_t i = 0; i < n; i++)
        if (!sl_valid_get(g_valid[t], i)) {
            uint64_t g[2] = {sl_test_rand(rs), sl_test_rand(rs) | 0x8000000000000000ull};
            memcpy(&g_str[t][i], g, 16);
        }
}

static void run_all_kinds(uint32_t n, const sl_sel_t *sel, uint32_t nsel, const uint64_t *va,
                          const uint64_t *vb, uint64_t *rs)
{
    uint32_t pos = n ? (uint32_t)(sl_test_rand(rs) % n) : 0;
    static const int64_t iconst[] = {INT64_MIN, INT64_MAX, 0, -1};
    static const int32_t iconst32[] = {INT32_MIN, INT32_MAX, 0, -1};
    const double fconst[] = {NAN, -0.0, 0.0, INFINITY};
    uint64_t r = sl_test_rand(rs);
    int pick_row = n && r % 2;
    for (int op = SL_CMP_EQ; op < SL_CMP_COUNT; op++) {
        struct fctx c = {.op = (sl_cmp_op)op, .va = va};
        c.kind = K_I64C;
        c.a = g_i64[0];
        c.ci = pick_row ? g_i64[0][pos] : iconst[(r >> 4) % 4];
        check(&c, sel, nsel);
        c.kind = K_I32C;
        c.a = g_i32[0];
        c.ci = pick_row ? g_i32[0][pos] : iconst32[(r >> 4) % 4];
        check(&c, sel, nsel);
        c.kind = K_F64C;
        c.a = g_f64[0];
        c.cf = pick_row ? g_f64[0][pos] : fconst[(r >> 4) % 4];
        check(&c, sel, nsel);
        c.kind = K_BOOLC;
        c.a = g_u8[0];
        c.ci = (int64_t)((r >> 8) & 1);
        check(&c, sel, nsel);
        c.kind = K_STRC;
        c.a = g_str[0];
        char heap[24];
        c.cs = pick_row && sl_valid_get(va, pos) ? g_str[0][pos] : rand_str(heap, rs);
        check(&c, sel, nsel);

        c.vb = vb;
        c.b = g_i64[1];
        c.a = g_i64[0];
        c.kind = K_I64X;
        check(&c, sel, nsel);
        c.kind = K_I32X;
        c.a = g_i32[0];
        c.b = g_i32[1];
        check(&c, sel, nsel);
        c.kind = K_F64X;
        c.a = g_f64[0];
        c.b = g_f64[1];
        check(&c, sel, nsel);
        c.kind = K_BOOLX;
        c.a = g_u8[0];
        c.b = g_u8[1];
        check(&c, sel, nsel);
        c.kind = K_STRX;
        c.a = g_str[0];
        c.b = g_str[1];
        check(&c, sel, nsel);
    }
    struct fctx c = {.va = va};
    int64_t set[20];
    for (uint32_t nset = 0; nset <= 20; nset += 5) {
        for (uint32_t j = 0; j < nset; j++)
            set[j] = j % 3 == 0 && n ? g_i64[0][sl_test_rand(rs) % n]
                                     : (int64_t)(sl_test_rand(rs) >> 60);
        c.kind = K_IN;
        c.a = g_i64[0];
        c.set = set;
        c.nset = nset;
        check(&c, sel, nsel);
    }
    c.kind = K_PREFIX;
    c.a = g_str[0];
    static const char *const prefixes[] = {
        "", "a", "aaaa", "aaaab", "aaaaaaaaaaaa", "aaaaaaaaaaaaa", "b"};
    for (int p = 0; p < 7; p++) {
        c.prefix = prefixes[p];
        c.plen = (uint32_t)strlen(prefixes[p]);
        check(&c, sel, nsel);
    }
    c.kind = K_TRUE;
    c.a = g_u8[0];
    check(&c, sel, nsel);
}

static void test_filters_random(void **state)
{
    (void)state;
    g_nlevels = sl_test_simd_levels(g_levels);
    uint64_t rs = 99;
    for (size_t t = 0; t < sl_test_nlengths; t++) {
        uint32_t n = sl_test_lengths[t];
        for (int rep = 0; rep < 4; rep++) {
            fill_columns(n, &rs);
            unsigned nulls = rep == 0 ? 0 : rep == 1 ? 30 : rep == 2 ? 100 : 5;
            sl_test_fill_valid(g_valid[0], n, nulls, &rs);
            sl_test_fill_valid(g_valid[1], n, rep == 2 ? 0 : 20, &rs);
            unsigned keep = rep == 0 ? 100 : rep == 1 ? 50 : rep == 2 ? 0 : 90;
            uint32_t ns = sl_test_fill_sel(g_sel, n, keep, &rs);
            /* no NULLs: all selected, then a selection (none, some or all rows) */
            run_all_kinds(n, NULL, n, NULL, NULL, &rs);
            run_all_kinds(n, g_sel, ns, NULL, NULL, &rs);
            /* NULLs in a, in both, in b only; NULL rows hold garbage views meanwhile */
            static sl_str clean[CAP];
            memcpy(clean, g_str[0], n * sizeof(sl_str));
            garble_nulls(0, n, &rs);
            run_all_kinds(n, NULL, n, g_valid[0], NULL, &rs);
            garble_nulls(1, n, &rs);
            run_all_kinds(n, NULL, n, g_valid[0], g_valid[1], &rs);
            run_all_kinds(n, g_sel, ns, g_valid[0], g_valid[1], &rs);
            memcpy(g_str[0], clean, n * sizeof(sl_str));
            run_all_kinds(n, g_sel, ns, NULL, g_valid[1], &rs);
        }
    }
}

/* all pass / none pass with every op, whole batch */
static void test_filters_extremes(void **state)
{
    (void)state;
    g_nlevels = sl_test_simd_levels(g_levels);
    uint32_t n = SL_BATCH_CAP;
    for (uint32_t i = 0; i < n; i++) {
        g_i64[0][i] = INT64_MIN + (int64_t)(i % 2);
        g_f64[0][i] = (i % 3) ? -0.0 : 0.0;
    }
    uint64_t none[SL_VALID_WORDS(SL_BATCH_CAP)] = {0};
    struct fctx c = {.kind = K_I64C, .a = g_i64[0]};
    c.op = SL_CMP_GE;
    c.ci = INT64_MIN;
    check(&c, NULL, n); /* all pass */
    c.op = SL_CMP_LT;
    check(&c, NULL, n); /* none pass */
    c.op = SL_CMP_GE;
    c.va = none;
    check(&c, NULL, n); /* all NULL */
    c.kind = K_F64C;
    c.a = g_f64[0];
    c.va = NULL;
    c.op = SL_CMP_EQ;
    c.cf = 0.0;
    check(&c, NULL, n);
    c.cf = NAN;
    check(&c, NULL, n);
    c.op = SL_CMP_NE;
    check(&c, NULL, n);
    /* counts are known */
    sl_sel_t *out = malloc(n * sizeof(sl_sel_t));
    assert_non_null(out);
    for (int l = -1; l < g_nlevels; l++) {
        const struct sl_select_kernels *k =
            l < 0 ? &sl_select_scalar : sl_select_kernels_for(g_levels[l]);
        assert_int_equal(k->i64_const(SL_CMP_GE, g_i64[0], INT64_MIN, NULL, NULL, n, out), n);
        assert_int_equal(k->i64_const(SL_CMP_LT, g_i64[0], INT64_MIN, NULL, NULL, n, out), 0);
        assert_int_equal(k->i64_const(SL_CMP_GE, g_i64[0], INT64_MIN, none, NULL, n, out), 0);
        assert_int_equal(k->f64_const(SL_CMP_EQ, g_f64[0], 0.0, NULL, NULL, n, out), n);
        assert_int_equal(k->f64_const(SL_CMP_NE, g_f64[0], NAN, NULL, NULL, n, out), n);
        assert_int_equal(k->i64_const(SL_CMP_COUNT, g_i64[0], 0, NULL, NULL, n, out), 0);
    }
    free(out);
}

/* ---- selection logic against a bitmap oracle ------------------------------------------------ */

static void check_logic(const struct sl_select_kernels *k, const sl_sel_t *a, uint32_t na,
                        const sl_sel_t *b, uint32_t nb, uint32_t rows)
{
    static uint8_t ina[CAP], inb[CAP];
    static sl_sel_t want[2 * CAP], got[2 * CAP], buf[CAP];
    memset(ina, 0, rows);
    memset(inb, 0, rows);
    for (uint32_t i = 0; i < na; i++)
        ina[a[i]] = 1;
    for (uint32_t i = 0; i < nb; i++)
        inb[b[i]] = 1;
    uint32_t nw = 0;
    for (uint32_t r = 0; r < rows; r++)
        if (ina[r] && inb[r])
            want[nw++] = r;
    expect_sel(got, k->sel_and(a, na, b, nb, got), want, nw);
    memcpy(buf, a, na * sizeof(sl_sel_t));
    expect_sel(buf, k->sel_and(buf, na, b, nb, buf), want, nw);
    nw = 0;
    for (uint32_t r = 0; r < rows; r++)
        if (ina[r] || inb[r])
            want[nw++] = r;
    expect_sel(got, k->sel_or(a, na, b, nb, got), want, nw);
    nw = 0;
    for (uint32_t r = 0; r < rows; r++)
        if (ina[r] && !inb[r])
            want[nw++] = r;
    expect_sel(got, k->sel_not(a, na, b, nb, got), want, nw);
    memcpy(buf, a, na * sizeof(sl_sel_t));
    expect_sel(buf, k->sel_not(buf, na, b, nb, buf), want, nw);
    nw = 0;
    for (uint32_t r = 0; r < rows; r++)
        if (!inb[r])
            want[nw++] = r;
    expect_sel(got, k->sel_not(NULL, rows, b, nb, got), want, nw);
}

static void test_logic_random(void **state)
{
    (void)state;
    g_nlevels = sl_test_simd_levels(g_levels);
    static sl_sel_t a[CAP], b[CAP];
    uint64_t rs = 5;
    for (size_t t = 0; t < sl_test_nlengths; t++) {
        uint32_t n = sl_test_lengths[t];
        for (unsigned pa = 0; pa <= 100; pa += 25) {
            for (unsigned pb = 0; pb <= 100; pb += 50) {
                uint32_t na = sl_test_fill_sel(a, n, pa, &rs);
                uint32_t nb = sl_test_fill_sel(b, n, pb, &rs);
                check_logic(&sl_select_scalar, a, na, b, nb, n);
                for (int l = 0; l < g_nlevels; l++)
                    check_logic(sl_select_kernels_for(g_levels[l]), a, na, b, nb, n);
            }
        }
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sl_simd_use(SL_SIMD_SCALAR), 0);
    assert_ptr_equal(sl_select, &sl_select_scalar);
    assert_int_equal(sl_simd_use(sl_simd_detect()), 0);
    assert_ptr_equal(sl_select, sl_select_kernels_for(sl_simd_detect()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_numeric), cmocka_unit_test(test_reference_strings),
        cmocka_unit_test(test_reference_logic),   cmocka_unit_test(test_filters_random),
        cmocka_unit_test(test_filters_extremes),  cmocka_unit_test(test_logic_random),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kernels/select", tests, NULL, NULL);
}
