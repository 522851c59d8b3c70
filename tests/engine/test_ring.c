/*
 * tests/engine/test_ring.c - the SPSC ring: order, full and empty, wrap-around, and two
 * threads passing a million messages with no loss, no duplicate and no reordering.
 */
#include "tests/util/testutil.h"

#include <pthread.h>

#include "engine/core/ring.h"

static void test_single_thread(void **state)
{
    (void)state;
    struct sl_ring *r = sl_ring_new(NULL, 3); /* rounds up to 4 */
    assert_non_null(r);
    struct sl_msg m;
    assert_false(sl_ring_pop(r, &m));
    for (int round = 0; round < 10; round++) { /* wraps around many times */
        for (int i = 0; i < 4; i++)
            assert_true(sl_ring_push(r, (struct sl_msg){.kind = SL_MSG_WATERMARK, .num = i}));
        assert_false(sl_ring_push(r, (struct sl_msg){.kind = SL_MSG_END}));
        assert_int_equal(sl_ring_count(r), 4);
        for (int i = 0; i < 4; i++) {
            assert_true(sl_ring_pop(r, &m));
            assert_int_equal(m.kind, SL_MSG_WATERMARK);
            assert_int_equal(m.num, i);
        }
        assert_false(sl_ring_pop(r, &m));
    }
    sl_ring_free(r);
}

/* Under ThreadSanitizer, which checks every access, a million messages take minutes; 50000
 * still wrap the 64-slot ring about 800 times while both threads run. */
#ifdef SL_TSAN
#define N_MSGS 50000
#else
#define N_MSGS 1000000
#endif

static void *producer(void *arg)
{
    struct sl_ring *r = arg;
    for (int64_t i = 0; i < N_MSGS; i++)
        while (!sl_ring_push(
            r, (struct sl_msg){.kind = SL_MSG_DATA, .aux = (uint32_t)(i & 7), .num = i}))
            ;
    while (!sl_ring_push(r, (struct sl_msg){.kind = SL_MSG_END}))
        ;
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    struct sl_ring *r = sl_ring_new(NULL, 64);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
    int64_t next = 0;
    struct sl_msg m;
    for (;;) {
        if (!sl_ring_pop(r, &m))
            continue;
        if (m.kind == SL_MSG_END)
            break;
        if (m.num != next || m.aux != (uint32_t)(next & 7))
            fail_msg("message %lld arrived where %lld was due", (long long)m.num, (long long)next);
        next++;
    }
    pthread_join(t, NULL);
    assert_int_equal(next, N_MSGS);
    assert_false(sl_ring_pop(r, &m));
    sl_ring_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_thread),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests_name("engine/ring", tests, NULL, NULL);
}
