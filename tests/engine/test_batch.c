/*
 * tests/engine/test_batch.c - batches, schemas, pools and the string heap.
 */
#include "tests/util/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"

static struct sl_schema *make_schema(void)
{
    const char *names[] = {"id", "price", "name", "ts", "ok", "amount"};
    struct sl_type types[] = {
        sl_type_make(SL_TYPE_BIGINT, false), sl_type_make(SL_TYPE_DOUBLE, true),
        sl_type_make(SL_TYPE_VARCHAR, true), sl_type_make(SL_TYPE_TIMESTAMP, false),
        sl_type_make(SL_TYPE_BOOLEAN, true), sl_type_decimal(10, 2, true),
    };
    struct sl_schema *s = sl_schema_new(6, names, types);
    assert_non_null(s);
    return s;
}

static void test_types(void **state)
{
    (void)state;
    char buf[64];
    sl_type_format(sl_type_decimal(10, 2, true), buf, sizeof(buf));
    assert_string_equal(buf, "DECIMAL(10, 2)");
    sl_type_format(sl_type_make(SL_TYPE_TIMESTAMP, false), buf, sizeof(buf));
    assert_string_equal(buf, "TIMESTAMP(3) NOT NULL");
    assert_int_equal(sl_type_decimal(39, 2, true).id, SL_TYPE_COUNT);
    assert_int_equal(sl_type_decimal(23, 3, true).id, SL_TYPE_DECIMAL);
    assert_int_equal(sl_type_decimal(5, 6, true).id, SL_TYPE_COUNT);
    assert_int_equal(sl_type_width(SL_TYPE_VARCHAR), 16);
    assert_int_equal(sl_type_width(SL_TYPE_INT), 4);
    assert_int_equal(sl_pow10_i64(18), 1000000000000000000ll);
}

static void test_layout_and_alignment(void **state)
{
    (void)state;
    struct sl_schema *s = make_schema();
    assert_int_equal(sl_schema_find(s, "PRICE"), 1);
    assert_int_equal(sl_schema_find(s, "nope"), -1);
    struct sl_heap *heap = sl_heap_new();
    assert_non_null(heap);
    struct sl_batch_pool *pool = sl_batch_pool_new(heap, s, 4);
    struct sl_batch *b = sl_batch_pool_get(pool);
    assert_non_null(b);
    assert_int_equal(b->ncols, 6);
    assert_int_equal(b->rows, 0);
    assert_null(b->sel);
    for (uint32_t i = 0; i < b->ncols; i++) {
        assert_int_equal((uintptr_t)b->cols[i].data % 64, 0);
        assert_int_equal(b->cols[i].valid != NULL, s->fields[i].type.nullable);
        if (b->cols[i].valid)
            assert_int_equal((uintptr_t)b->cols[i].valid % 64, 0);
    }
    /* every value slot and bitmap is writable up to capacity (ASan checks the bounds) */
    for (uint32_t r = 0; r < SL_BATCH_CAP; r++) {
        sl_col_i64(&b->cols[0])[r] = r;
        sl_col_f64(&b->cols[1])[r] = r * 0.5;
        sl_col_set_null(&b->cols[1], r, r % 3 == 0);
        sl_col_i64(&b->cols[3])[r] = 1000 * (int64_t)r;
        sl_col_bool(&b->cols[4])[r] = r & 1;
        sl_col_i64(&b->cols[5])[r] = -(int64_t)r;
    }
    b->rows = SL_BATCH_CAP;
    for (uint32_t r = 0; r < SL_BATCH_CAP; r++) {
        assert_int_equal(sl_col_is_null(&b->cols[1], r), r % 3 == 0);
        assert_false(sl_col_is_null(&b->cols[0], r)); /* not nullable: never NULL */
    }
    /* selections alternate between the two buffers */
    sl_sel_t *next = sl_batch_sel_next(b);
    uint32_t k = 0;
    for (uint32_t r = 0; r < b->rows; r += 2)
        next[k++] = r;
    sl_batch_sel_commit(b, next, k);
    assert_int_equal(sl_batch_active(b), (SL_BATCH_CAP + 1) / 2);
    assert_ptr_not_equal(sl_batch_sel_next(b), b->sel);
    sl_batch_pool_put(b);
    /* a batch back from the pool is empty and all-valid again */
    struct sl_batch *b2 = sl_batch_pool_get(pool);
    assert_ptr_equal(b2, b);
    assert_int_equal(b2->rows, 0);
    assert_null(b2->sel);
    assert_false(sl_col_is_null(&b2->cols[1], 0));
    assert_int_equal(sl_batch_pool_outstanding(pool), 1);
    sl_batch_pool_put(b2);
    assert_int_equal(sl_batch_pool_outstanding(pool), 0);
    sl_batch_pool_free(pool);
    sl_heap_free(heap);
    sl_schema_free(s);
}

static void test_strings(void **state)
{
    (void)state;
    struct sl_schema *s = make_schema();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    struct sl_batch *b = sl_batch_pool_get(pool);
    /* inline, exactly 12, long, and a huge string bigger than a chunk */
    size_t huge_len = 300 * 1024;
    char *huge = malloc(huge_len);
    assert_non_null(huge);
    for (size_t i = 0; i < huge_len; i++)
        huge[i] = (char)('a' + i % 26);
    const char *texts[] = {"", "abc", "abcdefghijkl", "abcdefghijklm", "a longer string value"};
    sl_str views[6];
    for (int i = 0; i < 5; i++) {
        views[i] = sl_batch_str(b, texts[i], (uint32_t)strlen(texts[i]));
        assert_true(sl_str_ok(views[i]));
    }
    views[5] = sl_batch_str(b, huge, (uint32_t)huge_len);
    assert_true(sl_str_ok(views[5]));
    for (int i = 0; i < 5; i++) {
        assert_int_equal(views[i].len, strlen(texts[i]));
        assert_memory_equal(sl_str_data(&views[i]), texts[i], views[i].len);
        sl_str again = sl_str_make(texts[i], (uint32_t)strlen(texts[i]));
        assert_true(sl_str_eq(&views[i], &again));
    }
    assert_memory_equal(sl_str_data(&views[5]), huge, huge_len);
    /* long strings are copies in the heap, not references to the caller's bytes */
    assert_ptr_not_equal(sl_str_data(&views[4]), texts[4]);
    sl_str x = sl_str_make("abcdefghijklm", 13), y = sl_str_make("abcdefghijklx", 13);
    assert_false(sl_str_eq(&x, &y));
    sl_str p = sl_str_make("abc", 3), q = sl_str_make("abd", 3);
    assert_false(sl_str_eq(&p, &q));
    free(huge);
    sl_batch_pool_put(b);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
}

static void test_pool_keeps_at_most_keep(void **state)
{
    (void)state;
    struct sl_schema *s = make_schema();
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 2);
    struct sl_batch *b[5];
    for (int i = 0; i < 5; i++) {
        b[i] = sl_batch_pool_get(pool);
        assert_non_null(b[i]);
        sl_batch_str(b[i], "a string longer than twelve", 27);
    }
    assert_int_equal(sl_batch_pool_outstanding(pool), 5);
    for (int i = 0; i < 5; i++)
        sl_batch_pool_put(b[i]);
    assert_int_equal(sl_batch_pool_outstanding(pool), 0);
    sl_batch_pool_free(pool); /* ASan reports any leak of the three destroyed batches */
    sl_schema_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    struct sl_error err;
    assert_int_equal(sl_error_set(&err, SL_EPARSE, "q.sql:%d:%d: unexpected '%s'", 3, 14, ")"),
                     SL_EPARSE);
    assert_string_equal(err.msg, "q.sql:3:14: unexpected ')'");
    assert_string_equal(sl_strerror(SL_ENOMEM), "out of memory");
    assert_string_equal(sl_strerror(12345), "unknown error");
    assert_true(sl_err_retriable(SL_EKAFKA_RETRY));
    assert_false(sl_err_retriable(SL_EPARSE));
    assert_int_equal(sl_error_set(NULL, SL_EIO, "x"), SL_EIO);
    sl_error_clear(&err);
    assert_int_equal(err.code, SL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),   cmocka_unit_test(test_layout_and_alignment),
        cmocka_unit_test(test_strings), cmocka_unit_test(test_pool_keeps_at_most_keep),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("engine/batch", tests, NULL, NULL);
}
