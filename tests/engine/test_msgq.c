/*
 * tests/engine/test_msgq.c - the executor's message FIFOs (engine/exec/msgq.h): a queue's
 * order across growth and wrap-around, and the hold-back of a job over several processes:
 * the channel interleaves three remote senders; once a sender's barrier arrived its later
 * messages are held, a sender with held messages has its new ones held behind them even
 * when no longer blocked, the others are served at once, and after the snapshot the held
 * ones come out in each sender's order, followed by what arrives next. Payloads still held
 * at the end are freed (LeakSanitizer in the ASan build).
 */
#include "tests/util/testutil.h"

#include <stdlib.h>

#include "engine/exec/msgq.h"

static void test_fifo(void **state)
{
    (void)state;
    struct sl_pending q = {0};
    struct sl_error err;
    int next_in = 0, next_out = 0;
    /* pushes and pops interleaved so that head wraps while the queue grows */
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < round * 3 + 1; i++)
            assert_int_equal(
                sl_msgq_push(&q, (struct sl_msg){.kind = SL_MSG_WATERMARK, .num = next_in++}, &err),
                0);
        for (int i = 0; i < round * 2 + 1 && q.len; i++) {
            struct sl_msg m = sl_msgq_pop(&q);
            assert_int_equal(m.num, next_out++);
        }
    }
    while (q.len)
        assert_int_equal(sl_msgq_pop(&q).num, next_out++);
    assert_int_equal(next_out, next_in);
    sl_msgq_free(&q);
    assert_null(q.msgs);
}

struct payload {
    struct sl_msg_payload hdr;
    int64_t v;
};

static int freed;

static void payload_free(void *p)
{
    freed++;
    free(p);
}

static struct sl_msg data(int64_t v)
{
    struct payload *p = malloc(sizeof(*p));
    assert_non_null(p);
    p->hdr.free_fn = payload_free;
    p->v = v;
    return (struct sl_msg){.kind = SL_MSG_DATA, .aux = 7, .ptr = p};
}

/* What a worker does with a message of `from`: served (appended to served[]) or held. */
static int served[64], nserved;

static void offer(struct sl_holdback *h, const bool *blocked, int from, struct sl_msg m)
{
    struct sl_error err;
    bool held = true;
    assert_int_equal(sl_holdback_offer(h, from, blocked[from], m, &held, &err), 0);
    if (held)
        return;
    served[nserved++] = (int)(m.kind == SL_MSG_DATA ? ((struct payload *)m.ptr)->v : m.num);
    if (m.kind == SL_MSG_DATA)
        payload_free(m.ptr);
}

static void drain(struct sl_holdback *h, const bool *blocked, int nsenders)
{
    struct sl_msg m;
    for (int from = 0; from < nsenders; from++)
        while (!blocked[from] && sl_holdback_take(h, from, &m)) {
            served[nserved++] = (int)(m.kind == SL_MSG_DATA ? ((struct payload *)m.ptr)->v : m.num);
            if (m.kind == SL_MSG_DATA)
                payload_free(m.ptr);
        }
}

static void test_holdback(void **state)
{
    (void)state;
    struct sl_holdback h;
    struct sl_error err;
    bool blocked[3] = {false, false, false};
    nserved = 0;
    freed = 0;
    assert_int_equal(sl_holdback_init(&h, 3, &err), 0);
    /* values: sender * 100 + its sequence */
    offer(&h, blocked, 0, data(0));
    offer(&h, blocked, 1, data(100));
    blocked[1] = true; /* sender 1's barrier */
    offer(&h, blocked, 1, data(101));
    offer(&h, blocked, 2, data(200));
    offer(&h, blocked, 1, (struct sl_msg){.kind = SL_MSG_WATERMARK, .num = 102});
    offer(&h, blocked, 0, data(1));
    blocked[0] = true; /* sender 0's barrier */
    offer(&h, blocked, 0, data(2));
    offer(&h, blocked, 2, data(201));
    assert_int_equal(h.nheld, 2);
    assert_true(sl_holdback_has(&h, 0));
    assert_true(sl_holdback_has(&h, 1));
    assert_false(sl_holdback_has(&h, 2));
    /* nothing held comes out while its sender is blocked */
    drain(&h, blocked, 3);
    int before[] = {0, 100, 200, 1, 201};
    assert_int_equal(nserved, 5);
    assert_memory_equal(served, before, sizeof(before));
    /* the snapshot: every sender unblocked; sender 1's next message arrives before its held
     * ones were served: it waits behind them */
    blocked[0] = blocked[1] = false;
    offer(&h, blocked, 1, data(103));
    assert_int_equal(nserved, 5);
    drain(&h, blocked, 3);
    int after[] = {0, 100, 200, 1, 201, 2, 101, 102, 103};
    assert_int_equal(nserved, 9);
    assert_memory_equal(served, after, sizeof(after));
    assert_int_equal(h.nheld, 0);
    /* served at once again */
    offer(&h, blocked, 1, data(104));
    assert_int_equal(nserved, 10);
    assert_int_equal(served[9], 104);
    /* held at the end: freed with the queues */
    blocked[2] = true;
    offer(&h, blocked, 2, data(202));
    offer(&h, blocked, 2, data(203));
    int f = freed;
    sl_holdback_free(&h);
    assert_int_equal(freed, f + 2);
    assert_null(h.q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_holdback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
