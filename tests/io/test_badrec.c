/*
 * tests/io/test_badrec.c - bad-record policies: names, positions in messages, counting,
 * dead-lettering to a file, a failing dead-letter callback, and the same bad input (a
 * tombstone, an empty message, an oversized one, garbage) through all three formats.
 */
#include "tests/util/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "io/badrec.h"
#include "io/csv.h"
#include "io/json.h"
#include "io/raw.h"
#include "tests/util/iotest.h"

static void test_names(void **state)
{
    (void)state;
    enum sl_badrec_policy p = SL_BADREC_SKIP;
    assert_int_equal(sl_badrec_parse("fail", &p), 0);
    assert_int_equal(p, SL_BADREC_FAIL);
    assert_int_equal(sl_badrec_parse("skip", &p), 0);
    assert_int_equal(p, SL_BADREC_SKIP);
    assert_int_equal(sl_badrec_parse("dead-letter", &p), 0);
    assert_int_equal(p, SL_BADREC_DEAD_LETTER);
    assert_int_equal(sl_badrec_parse("ignore", &p), SL_EINVAL);
    assert_int_equal(sl_badrec_parse("Skip", &p), SL_EINVAL);
    assert_string_equal(sl_badrec_name(SL_BADREC_DEAD_LETTER), "dead-letter");
    char where[128];
    struct sl_record r = {.topic = "bids",
                          .partition = 3,
                          .offset = 1234,
                          .timestamp = -1,
                          .value = "x",
                          .value_len = 1};
    sl_badrec_where(&r, where, sizeof(where));
    assert_string_equal(where, "topic 'bids' partition 3 offset 1234");
    r.partition = -1;
    r.topic = "/data/in.csv";
    sl_badrec_where(&r, where, sizeof(where));
    assert_string_equal(where, "file '/data/in.csv' offset 1234");
}

static void test_handle(void **state)
{
    (void)state;
    struct sl_record r = {.topic = "bids",
                          .partition = 3,
                          .offset = 1234,
                          .timestamp = -1,
                          .value = "bad",
                          .value_len = 3};
    struct sl_error err;
    /* NULL policy = fail */
    assert_int_equal(sl_badrec_handle(NULL, &r, SL_EPARSE, "field 'x': broken", &err), SL_EPARSE);
    assert_string_equal(err.msg,
                        "bad record at topic 'bids' partition 3 offset 1234: field 'x': broken");
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_FAIL, NULL, NULL);
    assert_int_equal(sl_badrec_handle(&bad, &r, SL_ERANGE, "w", &err), SL_ERANGE);
    assert_int_equal(bad.skipped + bad.dead_lettered, 0);
    sl_badrec_init(&bad, SL_BADREC_SKIP, NULL, NULL);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sl_badrec_handle(&bad, &r, SL_EPARSE, "w", &err), 0);
    assert_int_equal(bad.skipped, 5);
    struct sl_iot_dlq q = {tmpfile(), 0, 0};
    sl_badrec_init(&bad, SL_BADREC_DEAD_LETTER, sl_iot_dlq_cb, &q);
    assert_int_equal(sl_badrec_handle(&bad, &r, SL_EPARSE, "what", &err), 0);
    assert_int_equal(bad.dead_lettered, 1);
    char *txt = sl_iot_slurp(q.f);
    assert_string_equal(txt, "bad record at topic 'bids' partition 3 offset 1234: what\n"
                             "3 bytes: bad\n");
    free(txt);
    fclose(q.f);
    q.fail_with = SL_EKAFKA_RETRY;
    assert_int_equal(sl_badrec_handle(&bad, &r, SL_EPARSE, "what", &err), SL_EKAFKA_RETRY);
    assert_int_equal(bad.dead_lettered, 1); /* not counted: it was not handed on */
    sl_badrec_init(&bad, SL_BADREC_DEAD_LETTER, NULL, NULL);
    assert_int_equal(sl_badrec_handle(&bad, &r, SL_EPARSE, "what", &err), SL_EINVAL);
}

/* Every format sees the same hostile records; nothing crashes, nothing is lost. */
static void test_hostile_everywhere(void **state)
{
    (void)state;
    char *huge = malloc(3u << 20);
    assert_non_null(huge);
    memset(huge, '1', 3u << 20);
    struct sl_record recs[] = {
        {.topic = "t",
         .partition = 0,
         .offset = 0,
         .timestamp = -1,
         .value = NULL,
         .value_len = 0}, /* tombstone */
        {.topic = "t",
         .partition = 0,
         .offset = 1,
         .timestamp = -1,
         .value = "",
         .value_len = 0}, /* empty */
        {.topic = "t",
         .partition = 0,
         .offset = 2,
         .timestamp = -1,
         .value = huge,
         .value_len = 3u << 20}, /* over the 1 MiB default */
        {.topic = "t",
         .partition = 0,
         .offset = 3,
         .timestamp = -1,
         .value = "\xff\xfe\x00\x01",
         .value_len = 4},
        {.topic = "t",
         .partition = 0,
         .offset = 4,
         .timestamp = -1,
         .value = "{\"k\":",
         .value_len = 5},
        {.topic = "t", .partition = 0, .offset = 5, .timestamp = -1, .value = "\"", .value_len = 1},
    };
    size_t n = sizeof(recs) / sizeof(recs[0]);
    for (int fmt = 0; fmt < 3; fmt++) {
        struct sl_iot t;
        sl_iot_open(&t, sl_iot_schema());
        struct sl_error err;
        void *codec = fmt == 0   ? (void *)sl_json_new(t.schema, NULL, &err)
                      : fmt == 1 ? (void *)sl_csv_new(t.schema, NULL, &err)
                                 : (void *)sl_raw_new(t.schema, NULL, &err);
        assert_non_null(codec);
        struct sl_iot_dlq q = {tmpfile(), 0, 0};
        struct sl_badrec bad;
        sl_badrec_init(&bad, SL_BADREC_DEAD_LETTER, sl_iot_dlq_cb, &q);
        size_t consumed = 0;
        int rc = fmt == 0   ? sl_json_decode(codec, recs, n, t.b, &bad, &consumed, &err)
                 : fmt == 1 ? sl_csv_decode(codec, recs, n, t.b, &bad, &consumed, &err)
                            : sl_raw_decode(codec, recs, n, t.b, &bad, &consumed, &err);
        assert_int_equal(rc, 0);
        assert_int_equal(consumed, n);
        assert_int_equal(t.b->rows, 0);
        assert_int_equal(bad.dead_lettered, n);
        char *txt = sl_iot_slurp(q.f);
        assert_non_null(strstr(txt, "offset 0: tombstone"));
        assert_non_null(strstr(txt, "offset 1: empty record"));
        assert_non_null(strstr(txt, "offset 2: record of 3145728 bytes exceeds the maximum"));
        free(txt);
        fclose(q.f);
        if (fmt == 0)
            sl_json_free(codec);
        else if (fmt == 1)
            sl_csv_free(codec);
        else
            sl_raw_free(codec);
        sl_iot_close(&t);
    }
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_handle),
        cmocka_unit_test(test_hostile_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
