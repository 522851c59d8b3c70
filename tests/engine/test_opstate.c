/*
 * tests/engine/test_opstate.c - checkpoint state of the watermark operator
 * (engine/ops/op_basic.c, sl_op_watermark_new): random batches over several splits, splits that
 * end, cut at every point, saved, freed, a fresh operator restored and fed the rest: the
 * watermarks it sends downstream equal an uninterrupted run's. Truncated and bit-flipped
 * state, and a state of a split this worker does not read, are SL_ECORRUPT.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/state.h"
#include "engine/ops/op_basic.h"
#include "engine/ops/operator.h"
#include "engine/plan/plan.h"

/* A downstream operator that records the watermarks and counts the rows. */
struct rec {
    struct sl_op op;
    int64_t wms[4096];
    uint32_t nwm;
    uint64_t rows;
};

static int rec_push(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_batch *b,
                    struct sl_error *err)
{
    (void)ctx;
    (void)err;
    ((struct rec *)op)->rows += sl_batch_active(b);
    sl_batch_pool_put(b);
    return 0;
}

static int rec_wm(struct sl_op *op, struct sl_worker_ctx *ctx, int64_t wm, struct sl_error *err)
{
    (void)ctx;
    (void)err;
    struct rec *r = (struct rec *)op;
    assert_true(r->nwm < 4096);
    assert_true(r->nwm == 0 || wm > r->wms[r->nwm - 1]);
    r->wms[r->nwm++] = wm;
    return 0;
}

static int rec_finish(struct sl_op *op, struct sl_worker_ctx *ctx, struct sl_error *err)
{
    (void)op;
    (void)ctx;
    (void)err;
    return 0;
}

static void rec_free(struct sl_op *op)
{
    (void)op;
}

static const struct sl_op_ops rec_ops = {
    .name = "rec", .push = rec_push, .watermark = rec_wm, .finish = rec_finish, .free = rec_free};

/* One step of the input: a batch of split `split`, or split `split` ends. */
struct step {
    int32_t split;
    bool done;
    uint32_t n;
    int64_t ts[8];
    bool null[8];
};

static const int32_t g_splits[] = {3, 7, 11};
#define NSPLITS 3

static uint32_t gen_steps(struct step *st, uint32_t max, uint64_t *rs)
{
    int64_t t[NSPLITS] = {1000, 5000, 200};
    bool done[NSPLITS] = {false, false, false};
    uint32_t n = 0;
    while (n < max) {
        uint32_t k = (uint32_t)(sl_test_rand(rs) % NSPLITS);
        if (done[k])
            continue;
        struct step *s = &st[n++];
        memset(s, 0, sizeof(*s));
        s->split = g_splits[k];
        if (n > max / 2 && sl_test_rand(rs) % 40 == 0 && k != 0) {
            s->done = true;
            done[k] = true;
            continue;
        }
        s->n = 1 + (uint32_t)(sl_test_rand(rs) % (SL_BATCH_CAP < 8 ? SL_BATCH_CAP : 8));
        for (uint32_t i = 0; i < s->n; i++) {
            t[k] += (int64_t)(sl_test_rand(rs) % 300);
            s->ts[i] = t[k] - (int64_t)(sl_test_rand(rs) % 1000);
            s->null[i] = sl_test_rand(rs) % 10 == 0;
        }
    }
    return n;
}

struct env {
    struct sl_plan node;
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
    struct sl_worker_ctx ctx;
    struct sl_worker_stats stats;
};

static void env_init(struct env *e)
{
    memset(e, 0, sizeof(*e));
    e->node.kind = SL_PLAN_WATERMARK;
    e->node.watermark.rowtime = 1;
    e->node.watermark.delay_ms = 500;
    const char *names[] = {"x", "ts"};
    struct sl_type t[] = {sl_type_make(SL_TYPE_BIGINT, false),
                          sl_type_make(SL_TYPE_TIMESTAMP, true)};
    e->schema = sl_schema_new(2, names, t);
    e->pool = sl_batch_pool_new(NULL, e->schema, 2);
    assert_non_null(e->pool);
    e->ctx.nworkers = 1;
    e->ctx.stats = &e->stats;
    e->stats.watermark = INT64_MIN;
}

static void env_free(struct env *e)
{
    sl_batch_pool_free(e->pool);
    sl_schema_free(e->schema);
}

static struct sl_op *wm_new(struct env *e, struct rec *r, const int32_t *splits, uint32_t n,
                            int64_t idle_ms)
{
    struct sl_op *op;
    assert_int_equal(sl_op_watermark_new(&e->node, &e->ctx, splits, n, idle_ms, &op, NULL), 0);
    op->next = &r->op;
    return op;
}

static void feed(struct env *e, struct sl_op *op, const struct step *s)
{
    struct sl_error err;
    if (s->done) {
        assert_int_equal(sl_op_watermark_split_done(op, &e->ctx, s->split, &err), 0);
        return;
    }
    struct sl_batch *b = sl_batch_pool_get(e->pool);
    assert_non_null(b);
    for (uint32_t i = 0; i < s->n; i++) {
        sl_col_i64(&b->cols[0])[i] = i;
        sl_col_i64(&b->cols[1])[i] = s->ts[i];
        sl_col_set_null(&b->cols[1], i, s->null[i]);
    }
    b->rows = s->n;
    e->ctx.split = s->split;
    assert_int_equal(op->ops->push(op, &e->ctx, b, &err), 0);
}

static void save_op(struct env *e, struct sl_op *op, struct sl_sbuf *sb)
{
    sl_sbuf_reset(sb);
    assert_non_null(op->ops->save);
    assert_int_equal(op->ops->save(op, &e->ctx, sb, NULL), 0);
}

/* Cut after every step k (and with an idle timeout that never fires, which restarts active):
 * the watermarks downstream equal the uninterrupted run's. */
static void test_watermark_resume(void **state)
{
    (void)state;
    enum { N = 300 };
    static struct step st[N];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        uint64_t rs = seed;
        uint32_t n = gen_steps(st, N, &rs);
        int64_t idle = seed % 2 ? 0 : 1000000000;
        struct env e;
        env_init(&e);
        static struct rec plain, cut;
        memset(&plain, 0, sizeof(plain));
        plain.op.ops = &rec_ops;
        struct sl_op *op = wm_new(&e, &plain, g_splits, NSPLITS, idle);
        for (uint32_t i = 0; i < n; i++)
            feed(&e, op, &st[i]);
        op->ops->free(op);
        assert_true(plain.nwm > 10);
        struct sl_sbuf sb;
        sl_sbuf_init(&sb);
        for (uint32_t k = 0; k <= n; k += 1 + k / 50) {
            memset(&cut, 0, sizeof(cut));
            cut.op.ops = &rec_ops;
            op = wm_new(&e, &cut, g_splits, NSPLITS, idle);
            for (uint32_t i = 0; i < k; i++)
                feed(&e, op, &st[i]);
            save_op(&e, op, &sb);
            op->ops->free(op);
            /* a fresh operator (splits in another order), restored */
            static const int32_t other[] = {11, 3, 7};
            e.stats.watermark = INT64_MIN;
            op = wm_new(&e, &cut, other, NSPLITS, idle);
            struct sl_sread r;
            sl_sread_init(&r, sb.p, sb.len, "watermark");
            assert_int_equal(op->ops->restore(op, &e.ctx, &r, NULL), 0);
            assert_int_equal(sl_sread_end(&r, NULL), 0);
            if (cut.nwm)
                assert_int_equal(e.stats.watermark, cut.wms[cut.nwm - 1]);
            for (uint32_t i = k; i < n; i++)
                feed(&e, op, &st[i]);
            op->ops->free(op);
            assert_int_equal(cut.nwm, plain.nwm);
            assert_memory_equal(cut.wms, plain.wms, plain.nwm * sizeof(int64_t));
            assert_int_equal(cut.rows, plain.rows);
        }
        sl_sbuf_free(&sb);
        env_free(&e);
    }
}

/* Bad bytes: truncated at every length, bit flips, a split this worker does not read, a
 * split twice: SL_ECORRUPT (or, for flips, a load that works), and a refused state leaves
 * the operator as new. */
static void test_watermark_corrupt(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    static struct rec r0;
    memset(&r0, 0, sizeof(r0));
    r0.op.ops = &rec_ops;
    struct step st[40];
    uint64_t rs = 9;
    uint32_t n = gen_steps(st, 40, &rs);
    struct sl_op *op = wm_new(&e, &r0, g_splits, NSPLITS, 0);
    for (uint32_t i = 0; i < n; i++)
        feed(&e, op, &st[i]);
    struct sl_sbuf sb, fresh, after;
    sl_sbuf_init(&sb);
    sl_sbuf_init(&fresh);
    sl_sbuf_init(&after);
    save_op(&e, op, &sb);
    op->ops->free(op);
    op = wm_new(&e, &r0, g_splits, NSPLITS, 0);
    save_op(&e, op, &fresh);
    for (size_t len = 0; len < sb.len; len++) {
        uint8_t *t = malloc(len + 1);
        memcpy(t, sb.p, len);
        struct sl_sread r;
        sl_sread_init(&r, t, len, "cut");
        assert_int_equal(op->ops->restore(op, &e.ctx, &r, NULL), SL_ECORRUPT);
        save_op(&e, op, &after);
        assert_int_equal(after.len, fresh.len);
        assert_memory_equal(after.p, fresh.p, fresh.len);
        free(t);
    }
    uint8_t *copy = malloc(sb.len);
    for (int t = 0; t < 2000; t++) {
        memcpy(copy, sb.p, sb.len);
        uint64_t bit = sl_test_rand(&rs) % (sb.len * 8);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct sl_op *o2 = wm_new(&e, &r0, g_splits, NSPLITS, 0);
        struct sl_sread r;
        sl_sread_init(&r, copy, sb.len, "flipped");
        int rc = o2->ops->restore(o2, &e.ctx, &r, NULL);
        assert_true(rc == 0 || rc == SL_ECORRUPT);
        o2->ops->free(o2);
    }
    free(copy);
    /* a worker that reads splits 3 and 7 only */
    static const int32_t two[] = {3, 7};
    struct sl_op *o3 = wm_new(&e, &r0, two, 2, 0);
    struct sl_sread r;
    struct sl_error err;
    sl_sread_init(&r, sb.p, sb.len, "state");
    assert_int_equal(o3->ops->restore(o3, &e.ctx, &r, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "split 11"));
    o3->ops->free(o3);
    /* split 3 twice */
    struct sl_sbuf dup;
    sl_sbuf_init(&dup);
    sl_sbuf_put_u32(&dup, 0x314d5753u);
    sl_sbuf_put_i64(&dup, 5);
    sl_sbuf_put_u32(&dup, 2);
    for (int i = 0; i < 2; i++) {
        sl_sbuf_put_u32(&dup, 3);
        sl_sbuf_put_u8(&dup, 0);
        sl_sbuf_put_i64(&dup, 100);
    }
    sl_sread_init(&r, dup.p, dup.len, "dup");
    assert_int_equal(op->ops->restore(op, &e.ctx, &r, NULL), SL_ECORRUPT);
    sl_sbuf_free(&dup);
    op->ops->free(op);
    sl_sbuf_free(&sb);
    sl_sbuf_free(&fresh);
    sl_sbuf_free(&after);
    env_free(&e);
}

int main(void)
{
    if (sl_simd_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watermark_resume),
        cmocka_unit_test(test_watermark_corrupt),
    };
    return cmocka_run_group_tests_name("engine/opstate", tests, NULL, NULL);
}
