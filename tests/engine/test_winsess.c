/*
 * tests/engine/test_winsess.c - the session set of SESSION window aggregation
 * (engine/ops/winsess.h) over a real hashagg keyed by (k VARCHAR nullable, ws, we): a
 * hand-computed case (touching windows merge, a window that bridges three sessions, sessions
 * fire in order of end, a group after its session fired starts a new one, NULL is a key of its
 * own, list_live gives the own windows, reset), and random windows and watermarks against a
 * naive model here (at every fire, each key's pending windows merged by repeated pairwise
 * union until nothing intersects; the sessions whose end the watermark fires taken out).
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"
#include "engine/ops/hashagg.h"
#include "engine/ops/winsess.h"

struct fix {
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
    struct sl_hashagg *ha;
    struct sl_winsess *ws;
};

static const uint32_t key_cols[] = {0, 1, 2};
static struct sl_type key_types[3];
static const struct sl_hashagg_agg count_star[] = {{.func = SL_AGG_COUNT_STAR}};

static void fix_init(struct fix *f)
{
    const char *names[] = {"k", "ws", "we"};
    key_types[0] = sl_type_make(SL_TYPE_VARCHAR, true);
    key_types[1] = sl_type_make(SL_TYPE_BIGINT, false);
    key_types[2] = sl_type_make(SL_TYPE_BIGINT, false);
    f->schema = sl_schema_new(3, names, key_types);
    assert_non_null(f->schema);
    f->pool = sl_batch_pool_new(NULL, f->schema, 1);
    assert_non_null(f->pool);
    struct sl_hashagg_spec spec = {3, key_cols, key_types, 1, count_star};
    assert_int_equal(sl_hashagg_new(NULL, &spec, &f->ha, NULL), 0);
    assert_int_equal(sl_winsess_new(NULL, 1, 2, &f->ws, NULL), 0);
}

static void fix_free(struct fix *f)
{
    sl_winsess_free(f->ws);
    sl_hashagg_free(f->ha);
    sl_batch_pool_free(f->pool);
    sl_schema_free(f->schema);
}

/* One row (k NULL when k is NULL) into the hashagg, then the new groups into the set. */
static void add(struct fix *f, const char *k, int64_t ws, int64_t we)
{
    struct sl_batch *b = sl_batch_pool_get(f->pool);
    assert_non_null(b);
    sl_batch_reset(b);
    sl_col_str(&b->cols[0])[0] = sl_batch_str(b, k ? k : "", k ? (uint32_t)strlen(k) : 0);
    sl_col_set_null(&b->cols[0], 0, k == NULL);
    sl_col_i64(&b->cols[1])[0] = ws;
    sl_col_i64(&b->cols[2])[0] = we;
    b->rows = 1;
    assert_int_equal(sl_hashagg_update(f->ha, b, NULL), 0);
    sl_batch_pool_put(b);
    assert_int_equal(sl_winsess_add(f->ws, f->ha, NULL), 0);
}

/* fire(wm) must give exactly want[0 .. nwant - 1] ("gid:start:end", in order). */
static void fire_want(struct fix *f, int64_t wm, const char *const *want, uint32_t nwant)
{
    uint32_t n = 99;
    const uint32_t *g;
    const int64_t *s, *e;
    assert_int_equal(sl_winsess_fire(f->ws, wm, &n, &g, &s, &e, NULL), 0);
    assert_int_equal(n, nwant);
    for (uint32_t i = 0; i < n; i++) {
        char got[64];
        snprintf(got, sizeof(got), "%u:%lld:%lld", g[i], (long long)s[i], (long long)e[i]);
        assert_string_equal(got, want[i]);
    }
}

static void test_hand(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f);
    add(&f, "a", 0, 10);  /* g0 */
    add(&f, "a", 20, 30); /* g1 */
    add(&f, "b", 5, 15);  /* g2 */
    add(&f, NULL, 0, 10); /* g3: NULL is a key of its own */
    add(&f, "a", 0, 10);  /* g0 again: no new group */
    assert_int_equal(sl_winsess_groups(f.ws), 4);
    fire_want(&f, 8, NULL, 0); /* end - 1 = 9 > 8 */
    static const char *const w1[] = {"0:0:10", "3:0:10"};
    uint32_t n;
    const uint32_t *g;
    const int64_t *s, *e;
    assert_int_equal(sl_winsess_fire(f.ws, 9, &n, &g, &s, &e, NULL), 0);
    assert_int_equal(n, 2); /* both end at 10: either order */
    char x[2][64];
    for (int i = 0; i < 2; i++)
        snprintf(x[i], sizeof(x[i]), "%u:%lld:%lld", g[i], (long long)s[i], (long long)e[i]);
    assert_true((!strcmp(x[0], w1[0]) && !strcmp(x[1], w1[1])) ||
                (!strcmp(x[0], w1[1]) && !strcmp(x[1], w1[0])));
    assert_int_equal(sl_winsess_live(f.ws), 2);
    add(&f, "a", 8, 18);  /* g4: [0, 10) has fired: touches nothing pending */
    add(&f, "a", 18, 20); /* g5: touches g4's end and g1's start: one session [8, 30) */
    add(&f, "b", 15, 25); /* g6: touches [5, 15) */
    add(&f, "a", 40, 50); /* g7 */
    assert_int_equal(sl_winsess_live(f.ws), 6);
    /* list_live: the own windows */
    assert_int_equal(sl_winsess_list_live(f.ws, f.ha, &n, &g, &s, &e, NULL), 0);
    assert_int_equal(n, 6);
    int64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(sl_hashagg_key_word(f.ha, g[i], 1), (uint64_t)s[i]);
        assert_int_equal(sl_hashagg_key_word(f.ha, g[i], 2), (uint64_t)e[i]);
        sum += g[i];
    }
    assert_int_equal(sum, 1 + 2 + 4 + 5 + 6 + 7);
    static const char *const w2[] = {"2:5:25", "6:5:25"};
    fire_want(&f, 24, w2, 2);
    static const char *const w3[] = {"1:8:30", "4:8:30", "5:8:30", "7:40:50"};
    /* g4, g5, g1 in one session (in some order), then g7's */
    assert_int_equal(sl_winsess_fire(f.ws, INT64_MAX, &n, &g, &s, &e, NULL), 0);
    assert_int_equal(n, 4);
    uint32_t seen = 0;
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(s[i], 8);
        assert_int_equal(e[i], 30);
        seen |= 1u << g[i];
    }
    assert_int_equal(seen, (1u << 1) | (1u << 4) | (1u << 5));
    snprintf(x[0], sizeof(x[0]), "%u:%lld:%lld", g[3], (long long)s[3], (long long)e[3]);
    assert_string_equal(x[0], w3[3]);
    assert_int_equal(sl_winsess_live(f.ws), 0);
    /* a window that bridges three sessions */
    add(&f, "c", 0, 10);  /* g8 */
    add(&f, "c", 30, 40); /* g9 */
    add(&f, "c", 60, 70); /* g10 */
    add(&f, "c", 9, 61);  /* g11 */
    fire_want(&f, 68, NULL, 0);
    assert_int_equal(sl_winsess_fire(f.ws, 69, &n, &g, &s, &e, NULL), 0);
    assert_int_equal(n, 4);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(s[i], 0);
        assert_int_equal(e[i], 70);
    }
    /* reset: a new table, groups from 0 */
    sl_winsess_reset(f.ws);
    sl_hashagg_clear(f.ha);
    assert_int_equal(sl_winsess_groups(f.ws), 0);
    add(&f, "a", 1, 2);
    static const char *const w4[] = {"0:1:2"};
    fire_want(&f, INT64_MAX, w4, 1);
    /* extreme bounds: end INT64_MIN (end - 1 wraps to INT64_MAX: never fired before the
     * end of input) */
    add(&f, "z", INT64_MIN, INT64_MIN);
    fire_want(&f, INT64_MAX - 1, NULL, 0);
    static const char *const w5[] = {"1:-9223372036854775808:-9223372036854775808"};
    fire_want(&f, INT64_MAX, w5, 1);
    fix_free(&f);
}

/* ---- random, against a naive model --------------------------------------------------------- */

struct mgroup {
    int key; /* 0 .. 4, 4 = NULL */
    int64_t ws, we;
    bool live;
};

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void test_random(void **state)
{
    (void)state;
    static const char *const keys[] = {"k0", "k1", "", "a-key-longer-than-twelve", NULL};
    uint64_t rng = 99;
    for (int round = 0; round < 20; round++) {
        struct fix f;
        fix_init(&f);
        enum { MAXG = 600 };
        struct mgroup mg[MAXG];
        uint32_t nmg = 0;
        int64_t wm = -1000, gap = 1 + (int64_t)(sl_test_rand(&rng) % 30);
        for (int step = 0; step < 500 && nmg < MAXG - 1; step++) {
            if (sl_test_rand(&rng) % 4 != 0) {
                int k = (int)(sl_test_rand(&rng) % 5);
                int64_t ws = wm - 20 + (int64_t)(sl_test_rand(&rng) % 80);
                add(&f, keys[k], ws, ws + gap);
                bool dup = false;
                for (uint32_t i = 0; i < nmg; i++)
                    dup |= mg[i].key == k && mg[i].ws == ws && mg[i].we == ws + gap;
                if (!dup)
                    mg[nmg++] = (struct mgroup){k, ws, ws + gap, true};
                assert_int_equal(sl_winsess_groups(f.ws), nmg);
                continue;
            }
            wm += (int64_t)(sl_test_rand(&rng) % 25);
            if (step > 480)
                wm = INT64_MAX;
            /* the model: sessions of live groups by repeated union */
            int64_t ss[MAXG], se[MAXG];
            uint32_t comp[MAXG];
            for (uint32_t i = 0; i < nmg; i++) {
                comp[i] = i;
                ss[i] = mg[i].ws;
                se[i] = mg[i].we;
            }
            for (bool changed = true; changed;) {
                changed = false;
                for (uint32_t i = 0; i < nmg; i++)
                    for (uint32_t j = 0; j < nmg; j++) {
                        if (!mg[i].live || !mg[j].live || mg[i].key != mg[j].key ||
                            comp[i] == comp[j])
                            continue;
                        uint32_t ci = comp[i], cj = comp[j];
                        if (ss[ci] <= se[cj] && se[ci] >= ss[cj]) {
                            ss[ci] = ss[ci] < ss[cj] ? ss[ci] : ss[cj];
                            se[ci] = se[ci] > se[cj] ? se[ci] : se[cj];
                            for (uint32_t m = 0; m < nmg; m++)
                                if (comp[m] == cj)
                                    comp[m] = ci;
                            changed = true;
                        }
                    }
            }
            uint64_t want[MAXG], got[MAXG];
            uint32_t nwant = 0;
            for (uint32_t i = 0; i < nmg; i++) {
                int64_t e = se[comp[i]];
                if (mg[i].live && (wm == INT64_MAX || e - 1 <= wm)) {
                    /* gid, start, end in one comparable word: values are small here */
                    want[nwant++] = ((uint64_t)i << 40) |
                                    ((uint64_t)(ss[comp[i]] + 100000) & 0xfffff) << 20 |
                                    ((uint64_t)(e + 100000) & 0xfffff);
                }
            }
            uint32_t n;
            const uint32_t *g;
            const int64_t *s, *e;
            assert_int_equal(sl_winsess_fire(f.ws, wm, &n, &g, &s, &e, NULL), 0);
            assert_int_equal(n, nwant);
            for (uint32_t i = 0; i < n; i++) {
                assert_true(i == 0 || e[i] >= e[i - 1]); /* in order of end */
                got[i] = ((uint64_t)g[i] << 40) | ((uint64_t)(s[i] + 100000) & 0xfffff) << 20 |
                         ((uint64_t)(e[i] + 100000) & 0xfffff);
                mg[g[i]].live = false;
            }
            qsort(want, nwant, sizeof(*want), cmp_u64);
            qsort(got, n, sizeof(*got), cmp_u64);
            for (uint32_t i = 0; i < n; i++)
                assert_int_equal(got[i], want[i]);
            uint32_t live = 0;
            for (uint32_t i = 0; i < nmg; i++)
                live += mg[i].live;
            assert_int_equal(sl_winsess_live(f.ws), live);
            if (wm == INT64_MAX)
                break;
        }
        fix_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
