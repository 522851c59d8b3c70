/*
 * tests/io/test_ysb.c - the YSB generator: ids, events, JSON text, the campaign table, the
 * batch filler, determinism and resume.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "io/ysb.h"
#include "tests/util/jsoncheck.h"

static struct sl_ysb_gen *make_gen(uint64_t seed, int64_t rate, int skew)
{
    struct sl_ysb_config c;
    sl_ysb_config_init(&c);
    c.seed = seed;
    c.rate = rate;
    c.start_time = 1700000000000ll;
    c.with_skew = (uint8_t)skew;
    struct sl_ysb_gen *g = NULL;
    assert_int_equal(sl_ysb_gen_new(&c, &g, NULL), 0);
    return g;
}

static void check_uuid(const char *u)
{
    for (int i = 0; i < SL_YSB_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u[i], '-');
        else
            assert_true((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'));
    }
    assert_int_equal(u[14], '4');           /* version 4 */
    assert_non_null(strchr("89ab", u[19])); /* variant 10xx */
}

static int cmp_uuid(const void *a, const void *b)
{
    return memcmp(*(const char *const *)a, *(const char *const *)b, SL_YSB_UUID_LEN);
}

static void test_ids(void **state)
{
    (void)state;
    struct sl_ysb_gen *g = make_gen(0, 10000, 0);
    struct sl_ysb_gen *g2 = make_gen(0, 10000, 0);
    struct sl_ysb_gen *h = make_gen(1, 10000, 0);
    assert_int_equal(sl_ysb_num_ads(g), 1000);
    const char *all[1100];
    int n = 0;
    for (int32_t c = 0; c < 100; c++) {
        check_uuid(sl_ysb_campaign_id(g, c));
        assert_memory_equal(sl_ysb_campaign_id(g, c), sl_ysb_campaign_id(g2, c), SL_YSB_UUID_LEN);
        assert_memory_not_equal(sl_ysb_campaign_id(g, c), sl_ysb_campaign_id(h, c),
                                SL_YSB_UUID_LEN);
        all[n++] = sl_ysb_campaign_id(g, c);
    }
    for (int32_t a = 0; a < 1000; a++) {
        check_uuid(sl_ysb_ad_id(g, a));
        all[n++] = sl_ysb_ad_id(g, a);
    }
    qsort(all, (size_t)n, sizeof(all[0]), cmp_uuid);
    for (int i = 1; i < n; i++)
        assert_memory_not_equal(all[i - 1], all[i], SL_YSB_UUID_LEN);
    sl_ysb_gen_free(g);
    sl_ysb_gen_free(g2);
    sl_ysb_gen_free(h);
}

static void test_events_and_json(void **state)
{
    (void)state;
    struct sl_ysb_gen *g = make_gen(5, 3000, 0);
    static struct sl_json_doc doc;
    char buf[SL_YSB_JSON_MAX];
    int ad_types[SL_YSB_AD_TYPES] = {0}, event_types[SL_YSB_EVENT_TYPES] = {0};
    static int ads[1000];
    const int64_t n = 60000;
    const int64_t period_ns = 1000000000 / 3000; /* 333333 ns */
    for (int64_t i = 0; i < n; i++) {
        struct sl_ysb_event ev;
        sl_ysb_gen_event(g, i, &ev);
        assert_int_equal(ev.index, i);
        assert_int_equal(ev.event_time, 1700000000000ll + (i * period_ns) / 1000000);
        assert_true(ev.ad >= 0 && ev.ad < 1000);
        assert_ptr_equal(ev.ad_id, sl_ysb_ad_id(g, ev.ad));
        ad_types[ev.ad_type]++;
        event_types[ev.event_type]++;
        ads[ev.ad]++;
        size_t len = sl_ysb_event_json(&ev, buf);
        assert_true(len < SL_YSB_JSON_MAX);
        assert_int_equal(sl_json_parse(buf, len, &doc), 0);
        static const char *const keys[] = {"user_id",    "page_id",    "ad_id",     "ad_type",
                                           "event_type", "event_time", "ip_address"};
        assert_int_equal(doc.n, 8);
        for (int k = 0; k < 7; k++) {
            assert_string_equal(doc.e[k + 1].path, keys[k]);
            assert_int_equal(doc.e[k + 1].kind, 's'); /* event_time too: a quoted string */
        }
        assert_memory_equal(sl_json_get(&doc, "user_id")->value, ev.user_id, SL_YSB_UUID_LEN);
        assert_memory_equal(sl_json_get(&doc, "ad_id")->value, ev.ad_id, SL_YSB_UUID_LEN);
        assert_string_equal(sl_json_get(&doc, "ad_type")->value, sl_ysb_ad_type_name(ev.ad_type));
        assert_string_equal(sl_json_get(&doc, "event_type")->value,
                            sl_ysb_event_type_name(ev.event_type));
        assert_int_equal(strtoll(sl_json_get(&doc, "event_time")->value, NULL, 10), ev.event_time);
        assert_string_equal(sl_json_get(&doc, "ip_address")->value, "1.2.3.4");
        if (i == 0) {
            /* the original's spacing: '": "' and '", "' */
            assert_memory_equal(buf, "{\"user_id\": \"", 13);
            assert_non_null(strstr(buf, "\", \"page_id\": \""));
            assert_memory_equal(buf + len - 24, "\"ip_address\": \"1.2.3.4\"}", 24);
        }
    }
    /* uniform picks: every type and every ad shows up, none far from its share */
    for (int t = 0; t < SL_YSB_AD_TYPES; t++)
        assert_true(ad_types[t] > n / 5 - n / 50 && ad_types[t] < n / 5 + n / 50);
    for (int t = 0; t < SL_YSB_EVENT_TYPES; t++)
        assert_true(event_types[t] > n / 3 - n / 50 && event_types[t] < n / 3 + n / 50);
    for (int a = 0; a < 1000; a++)
        assert_true(ads[a] > 20 && ads[a] < 110);
    assert_null(sl_ysb_ad_type_name(5));
    assert_null(sl_ysb_event_type_name(-1));
    sl_ysb_gen_free(g);
}

static void test_skew_determinism_resume(void **state)
{
    (void)state;
    struct sl_ysb_gen *a = make_gen(9, 100000, 1);
    struct sl_ysb_gen *b = make_gen(9, 100000, 1);
    struct sl_ysb_gen *c = make_gen(10, 100000, 1);
    int differs = 0;
    char b1[SL_YSB_JSON_MAX], b2[SL_YSB_JSON_MAX];
    for (int64_t i = 0; i < 300000; i++) {
        struct sl_ysb_event e1, e2, e3;
        sl_ysb_gen_event(a, i, &e1);
        sl_ysb_gen_event(b, i, &e2);
        sl_ysb_gen_event(c, i, &e3);
        size_t l1 = sl_ysb_event_json(&e1, b1), l2 = sl_ysb_event_json(&e2, b2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1);
        differs += e1.ad != e3.ad;
        int64_t base = 1700000000000ll + (i * 10000) / 1000000;
        assert_true(e1.event_time >= base - 49 - 60000 && e1.event_time <= base + 50);
    }
    assert_true(differs > 290000);
    /* resume: event k alone = event k of a sequential run (done above for every k against
     * a second generator); going backwards too */
    struct sl_ysb_event x, y;
    sl_ysb_gen_event(a, 123456, &x);
    size_t lx = sl_ysb_event_json(&x, b1);
    sl_ysb_gen_event(a, 7, &y);
    sl_ysb_gen_event(a, 123456, &y);
    assert_int_equal(sl_ysb_event_json(&y, b2), lx);
    assert_memory_equal(b1, b2, lx);
    sl_ysb_gen_free(a);
    sl_ysb_gen_free(b);
    sl_ysb_gen_free(c);
}

static void test_campaigns_csv(void **state)
{
    (void)state;
    struct sl_ysb_gen *g = make_gen(3, 10000, 0);
    size_t cap = sl_ysb_campaigns_csv_size(g);
    char *csv = malloc(cap);
    size_t len = sl_ysb_campaigns_csv(g, csv);
    assert_int_equal(len, cap);
    assert_int_equal(len, 1000 * 74);
    for (int32_t a = 0; a < 1000; a++) {
        const char *line = csv + (size_t)a * 74;
        assert_memory_equal(line, sl_ysb_ad_id(g, a), SL_YSB_UUID_LEN);
        assert_int_equal(line[36], ',');
        assert_memory_equal(line + 37, sl_ysb_campaign_id(g, a / 10), SL_YSB_UUID_LEN);
        assert_int_equal(line[73], '\n');
    }
    free(csv);
    sl_ysb_gen_free(g);
}

static void test_batch_fill(void **state)
{
    (void)state;
    struct sl_schema *s = sl_ysb_schema_new();
    assert_non_null(s);
    assert_int_equal(s->ncols, SL_YSB_NCOLS);
    assert_int_equal(sl_schema_find(s, "event_time"), 5);
    assert_int_equal(s->fields[5].type.id, SL_TYPE_BIGINT);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, s, 1);
    struct sl_ysb_gen *g = make_gen(4, 10000, 1);
    for (size_t t = 0; t < sl_test_nlengths; t++) {
        uint32_t n = sl_test_lengths[t];
        if (n > SL_BATCH_CAP)
            continue; /* the list has fixed lengths too; a batch holds at most CAP */
        struct sl_batch *b = sl_batch_pool_get(pool);
        uint32_t n1 = n / 2;
        assert_int_equal(sl_ysb_fill(g, 1000, n1, b), 0);
        assert_int_equal(sl_ysb_fill(g, 1000 + n1, n - n1, b), 0);
        assert_int_equal(b->rows, n);
        for (uint32_t r = 0; r < n; r++) {
            struct sl_ysb_event ev;
            sl_ysb_gen_event(g, 1000 + r, &ev);
            sl_str v = sl_col_str(&b->cols[0])[r];
            assert_int_equal(v.len, SL_YSB_UUID_LEN);
            assert_memory_equal(sl_str_data(&v), ev.user_id, SL_YSB_UUID_LEN);
            v = sl_col_str(&b->cols[1])[r];
            assert_memory_equal(sl_str_data(&v), ev.page_id, SL_YSB_UUID_LEN);
            v = sl_col_str(&b->cols[2])[r];
            assert_memory_equal(sl_str_data(&v), ev.ad_id, SL_YSB_UUID_LEN);
            v = sl_col_str(&b->cols[3])[r];
            assert_int_equal(v.len, strlen(sl_ysb_ad_type_name(ev.ad_type)));
            assert_memory_equal(sl_str_data(&v), sl_ysb_ad_type_name(ev.ad_type), v.len);
            v = sl_col_str(&b->cols[4])[r];
            assert_memory_equal(sl_str_data(&v), sl_ysb_event_type_name(ev.event_type), v.len);
            assert_int_equal(sl_col_i64(&b->cols[5])[r], ev.event_time);
            v = sl_col_str(&b->cols[6])[r];
            assert_int_equal(v.len, 7);
            assert_memory_equal(sl_str_data(&v), "1.2.3.4", 7);
        }
        if (n == SL_BATCH_CAP)
            assert_int_equal(sl_ysb_fill(g, 0, 1, b), SL_EINVAL);
        sl_batch_pool_put(b);
    }
    sl_ysb_gen_free(g);
    sl_batch_pool_free(pool);
    sl_schema_free(s);
}

static void test_config(void **state)
{
    (void)state;
    struct sl_ysb_config c;
    struct sl_error err;
    sl_ysb_config_init(&c);
    assert_int_equal(c.num_campaigns, 100);
    assert_int_equal(c.ads_per_campaign, 10);
    assert_int_equal(sl_ysb_config_check(&c, &err), 0);
    c.rate = 0;
    assert_int_equal(sl_ysb_config_check(&c, &err), SL_EINVAL);
    c.rate = 10;
    c.num_users = 0;
    struct sl_ysb_gen *g = NULL;
    assert_int_equal(sl_ysb_gen_new(&c, &g, &err), SL_EINVAL);
    assert_null(g);
    assert_non_null(strstr(err.msg, "users"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_events_and_json),
        cmocka_unit_test(test_skew_determinism_resume),
        cmocka_unit_test(test_campaigns_csv),
        cmocka_unit_test(test_batch_fill),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
