/*
 * tests/io/test_jsonfast.c - the JSON decoder's fast path (io/jsonfast.h) against the
 * simdjson path, differentially: every record is decoded by a codec with the fast path (at
 * every SIMD level this CPU has) and by one without it (SLUICE_JSON_FAST=off), and the two
 * must agree on the return code, the error message and, column by column, every value and
 * NULL. Records: every record of tests/io/test_json.c, hand-written edge cases, Nexmark and
 * YSB generator output, random all-types records (random key order, unknown keys, escapes,
 * unicode, number forms), and random perturbations of all of them (truncation, byte flips,
 * insertions, deletions). Each record is copied into a buffer of exactly its size, so ASan
 * catches any read past the record. The scanning helpers are checked against their scalar
 * reference at every length and offset, and the stats show the fast path really ran.
 * All of it again with column masks (projection pushdown, sl_json_prune) given to both
 * codecs: random masks over the all-types schema, YSB's 3 of 7 columns, a Nexmark query's.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "io/jsonfast.h"
#include "io/nexmark.h"
#include "io/ysb.h"
#include "tests/util/iotest.h"

/* ---- a codec pair ------------------------------------------------------------------------- */

struct pair {
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
    struct sl_batch *bf, *bs; /* fast path, simdjson path */
    struct sl_json *fast, *slow;
    uint64_t records;
    uint64_t accepted; /* records the simdjson path decoded */
    uint64_t nfast;    /* records of pair_check the fast path decoded */
};

static void pair_open(struct pair *p, struct sl_schema *schema, sl_simd_level level)
{
    memset(p, 0, sizeof(*p));
    p->schema = schema;
    p->pool = sl_batch_pool_new(NULL, schema, 4);
    assert_non_null(p->pool);
    p->bf = sl_batch_pool_get(p->pool);
    p->bs = sl_batch_pool_get(p->pool);
    struct sl_error err;
    sl_simd_level was = sl_simd_active();
    assert_int_equal(sl_simd_use(level), 0);
    p->fast = sl_json_new(schema, NULL, &err);
    assert_int_equal(sl_simd_use(was), 0);
    assert_int_equal(setenv("SLUICE_JSON_FAST", "off", 1), 0);
    p->slow = sl_json_new(schema, NULL, &err);
    unsetenv("SLUICE_JSON_FAST");
    assert_non_null(p->fast);
    assert_non_null(p->slow);
}

/* The same column mask on both codecs (NULL: every column). */
static void pair_prune(struct pair *p, const bool *need)
{
    sl_json_prune(p->fast, need, p->schema->ncols);
    sl_json_prune(p->slow, need, p->schema->ncols);
}

/* A random mask over n columns (each column kept with probability 1/2). */
static void rand_mask(bool *need, uint32_t n, uint64_t *rs)
{
    uint64_t bits = sl_test_rand(rs);
    for (uint32_t c = 0; c < n; c++)
        need[c] = (bits >> c) & 1;
}

static uint64_t pair_fast_count(const struct pair *p)
{
    struct sl_json_stats st;
    sl_json_stats(p->fast, &st);
    return st.fast;
}

static void pair_close(struct pair *p)
{
    struct sl_json_stats st;
    sl_json_stats(p->slow, &st);
    assert_int_equal(st.fast, 0); /* the reference never took the fast path */
    sl_json_free(p->fast);
    sl_json_free(p->slow);
    sl_batch_pool_put(p->bf);
    sl_batch_pool_put(p->bs);
    sl_batch_pool_free(p->pool);
    sl_schema_free(p->schema);
}

static void show(const char *data, size_t len)
{
    fprintf(stderr, "record (%zu bytes): '", len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c >= 0x20 && c < 0x7f)
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "'\n");
}

/* Decodes one record both ways (from a buffer of exactly its size) and compares. */
static void pair_check(struct pair *p, const char *data, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, data, len);
    struct sl_record r = sl_iot_rec("", 7);
    r.value = copy;
    r.value_len = len;
    if (p->bf->rows == SL_BATCH_CAP) {
        sl_batch_reset(p->bf);
        sl_batch_reset(p->bs);
    }
    struct sl_error ef, es;
    sl_error_clear(&ef);
    sl_error_clear(&es);
    size_t cf, cs;
    uint64_t before = pair_fast_count(p);
    int rf = sl_json_decode(p->fast, &r, 1, p->bf, NULL, &cf, &ef);
    p->nfast += pair_fast_count(p) - before;
    int rs = sl_json_decode(p->slow, &r, 1, p->bs, NULL, &cs, &es);
    p->records++;
    if (rf != rs || cf != cs || (rf && strcmp(ef.msg, es.msg) != 0)) {
        show(data, len);
        fail_msg("fast: rc %d '%s'; simdjson: rc %d '%s'", rf, ef.msg, rs, es.msg);
    }
    if (!rf) {
        p->accepted++;
        assert_int_equal(p->bf->rows, p->bs->rows);
        if (!sl_iot_row_equal(p->bf, p->bf->rows - 1, p->bs, p->bs->rows - 1)) {
            show(data, len);
            fail_msg("rows differ");
        }
    }
    free(copy);
}

static void pair_check_str(struct pair *p, const char *s)
{
    pair_check(p, s, strlen(s));
}

/* Many records in one call under 'skip', into batches as full as they get: the same rows
 * and the same count of skipped records (checks that a fallback leaves no trace). */
static void pair_check_run(struct pair *p, char **texts, size_t *lens, size_t n)
{
    struct sl_record *recs = calloc(n + 1, sizeof(*recs));
    assert_non_null(recs);
    for (size_t i = 0; i < n; i++) {
        recs[i] = sl_iot_rec("", (int64_t)i);
        recs[i].value = texts[i];
        recs[i].value_len = lens[i];
    }
    struct sl_badrec bf, bs;
    sl_badrec_init(&bf, SL_BADREC_SKIP, NULL, NULL);
    sl_badrec_init(&bs, SL_BADREC_SKIP, NULL, NULL);
    size_t df = 0, ds = 0;
    while (df < n) {
        struct sl_error err;
        size_t cf, cs;
        sl_batch_reset(p->bf);
        sl_batch_reset(p->bs);
        assert_int_equal(sl_json_decode(p->fast, recs + df, n - df, p->bf, &bf, &cf, &err), 0);
        assert_int_equal(sl_json_decode(p->slow, recs + ds, n - ds, p->bs, &bs, &cs, &err), 0);
        assert_int_equal(cf, cs);
        assert_int_equal(p->bf->rows, p->bs->rows);
        for (uint32_t r = 0; r < p->bf->rows; r++)
            assert_true(sl_iot_row_equal(p->bf, r, p->bs, r));
        df += cf;
        ds += cs;
        assert_true(cf > 0);
    }
    assert_int_equal(bf.skipped, bs.skipped);
    sl_batch_reset(p->bf);
    sl_batch_reset(p->bs);
    free(recs);
}

/* ---- perturbations ------------------------------------------------------------------------ */

static const char jf_noise[] =
    "\"\\{}[]:,0123456789-+.eE tfnulrsa \n\t\x01\x7f\x80\xc3\xa9\xe2\xff";

/* A mutated copy of s (malloc'ed, length in *n). */
static char *perturb(const char *s, size_t len, uint64_t *rs, size_t *n)
{
    char *o = malloc(len + 8);
    assert_non_null(o);
    memcpy(o, s, len);
    size_t m = len;
    size_t pos = len ? sl_test_rand(rs) % len : 0;
    switch (sl_test_rand(rs) % 5) {
    case 0: /* truncation */
        m = pos;
        break;
    case 1: /* a byte flipped */
        if (m)
            o[pos] = (char)(o[pos] ^ (1u << (sl_test_rand(rs) % 8)));
        break;
    case 2: /* a byte replaced by a JSON-significant one */
        if (m)
            o[pos] = jf_noise[sl_test_rand(rs) % (sizeof(jf_noise) - 1)];
        break;
    case 3: /* a byte inserted */
        memmove(o + pos + 1, o + pos, m - pos);
        o[pos] = jf_noise[sl_test_rand(rs) % (sizeof(jf_noise) - 1)];
        m++;
        break;
    default: /* a byte deleted */
        if (m) {
            memmove(o + pos, o + pos + 1, m - pos - 1);
            m--;
        }
        break;
    }
    *n = m;
    return o;
}

static void pair_check_perturbed(struct pair *p, const char *s, size_t len, int times, uint64_t *rs)
{
    for (int t = 0; t < times; t++) {
        size_t n;
        char *o = perturb(s, len, rs, &n);
        pair_check(p, o, n);
        free(o);
    }
}

/* ---- the records of tests/io/test_json.c and edge cases (all-types schema) ---------------- */

static const char *const iot_records[] = {
    /* test_json.c */
    "{\"b\":true,\"i\":-2147483648,\"l\":9223372036854775807,\"d\":-2.5e-3,"
    "\"m\":12345678901234.5678,\"n\":-999.99,\"t\":\"2026-11-23 12:00:00.123\","
    "\"s\":\"caf\\u00e9 \\\"q\\\" \xe2\x82\xac\",\"r\":{\"x\":-1,\"y\":{\"z\":\"deep\"}},\"k\":42}",
    "{\"unknown\":{\"a\":[1,{\"b\":[[[]]]}]},\"k\":7,\"b\":null,\"r\":null,\"B\":true,\"zz\":"
    "\"x\"}",
    "{\"r\":{\"y\":{}},\"\\u006b\":8, \"s\":\"\"}  \n",
    "{\"k\":\" 12 \",\"i\":\"-3\",\"b\":\"FALSE\",\"d\":\"NaN\",\"m\":\"1.00005\",\"n\":1.005,"
    "\"t\":1700000000123,\"s\":12.50,\"r\":{\"y\":{\"z\":true}}}",
    "{\"k\":1,\"s\":{ \"a\" : [1, 2,\n{\"b\":null}] }}",
    "{\"k\":1,\"t\":\"2026-11-23T12:00:00.1\"}",
    "{\"k\":1,\"t\":\"2026-11-23 12:00:00\"}",
    "{\"k\":1,\"i\":1.5}",
    "{\"k\":1,\"i\":2147483648}",
    "{\"k\":1,\"l\":9223372036854775808}",
    "{\"k\":1,\"l\":\"abc\"}",
    "{\"k\":1,\"n\":1000}",
    "{\"k\":1,\"b\":1}",
    "{\"k\":1,\"b\":\"yes\"}",
    "{\"k\":1,\"l\":true}",
    "{\"k\":1,\"l\":[1]}",
    "{\"k\":1,\"t\":\"2026-02-30 00:00:00\"}",
    "{\"k\":1,\"t\":1.5}",
    "{\"k\":1,\"d\":\"x1\"}",
    "{\"k\":1,\"r\":5}",
    "{\"k\":1,\"r\":{\"y\":[]}}",
    "{\"i\":1}",
    "{\"k\":null}",
    "{\"k\":1,\"s\":\"abc",
    "{\"k\":1,\"s\":",
    "{\"k\":1",
    "{\"k\":1,,}",
    "{\"k\":1} x",
    "{\"k\":1}{\"k\":2}",
    "[1,2]",
    "42",
    "   ",
    "{\"k\":1,\"s\":\"bad \xff utf8\"}",
    "{\"k\":1,\"zz\":\"bad \xc3\x28 utf8 in an unknown field\"}",
    "{\"k\":1,\"i\":nul}",
    "{\"k\":1,\"i\":-}",
    "{\"k\":1,\"i\":01}",
    "{\"k\":1,\"s\":\"first string longer than twelve\"}",
    "{\"k\":2}",
    "{\"k\":5,\"s\":\"last\"}",
    "{\"k\":3,\"i\":\"bad\"}",
    "{",
    "{\"b\":false,\"i\":7,\"l\":-8,\"d\":0.5,\"m\":-1.5,\"n\":0.01,"
    "\"t\":\"2026-11-23 12:00:00.123\",\"s\":\"q\\\"\\n\\u0001\","
    "\"r\":{\"x\":1,\"y\":{\"z\":null}},\"k\":3}",
    "{\"k\":4,\"d\":\"-Infinity\"}",
    "{\"k\":1,\"zz\":[[[[]]]]}",
    /* edge cases of the fast path */
    "{}",
    "{\"k\":0}",
    "{\"k\":-0}",
    "{\"k\":-9223372036854775808}",
    "{\"k\":999999999999999999}",
    "{\"k\":-999999999999999999}",
    "{\"k\":1000000000000000000}",
    "{\"k\":1,\"i\":2147483647}",
    "{\"k\":1,\"i\":-2147483649}",
    "{\"k\":1,\"d\":0}",
    "{\"k\":1,\"d\":-0}",
    "{\"k\":1,\"d\":-0.0}",
    "{\"k\":1,\"d\":0.1}",
    "{\"k\":1,\"d\":1e22}",
    "{\"k\":1,\"d\":1e23}",
    "{\"k\":1,\"d\":9007199254740992}",
    "{\"k\":1,\"d\":9007199254740993}",
    "{\"k\":1,\"d\":123.456e-5}",
    "{\"k\":1,\"d\":1E+2}",
    "{\"k\":1,\"d\":1e-22}",
    "{\"k\":1,\"d\":1.7976931348623157e308}",
    "{\"k\":1,\"d\":1e400}",
    "{\"k\":1,\"d\":4.9e-324}",
    "{\"k\":1,\"d\":0.30000000000000004}",
    "{\"k\":1,\"d\":12345678901234567890}",
    "{\"k\":1,\"d\":0.0000000000000000000000001}",
    "{\"k\":1,\"d\":0.95000000000000000000}", /* simdjson 3.0.1 misreads it (#2093) */
    "{\"k\":1,\"d\":0.0008000000000000000000001}",
    "{\"k\":1,\"d\":559.72465314834574}",
    "{\"k\":1,\"d\":-1.2345678901234567e-200}",
    "{\"k\":1,\"d\":2.2250738585072011e-308}",
    "{\"k\":1,\"d\":1.}",
    "{\"k\":1,\"d\":.5}",
    "{\"k\":1,\"d\":1e}",
    "{\"k\":1,\"d\":+1}",
    "{\"k\":1,\"d\":1e0001}",
    "{\"k\":1,\"d\":true}",
    "{\"k\":1,\"m\":1e3}",
    "{\"k\":1,\"m\":-0.00005}",
    "{\"k\":1,\"t\":\"2024-02-29 23:59:59.999\"}",
    "{\"k\":1,\"t\":\"2023-02-29 00:00:00.000\"}",
    "{\"k\":1,\"t\":\"2000-02-29 00:00:00.000\"}",
    "{\"k\":1,\"t\":\"1900-02-29 00:00:00.000\"}",
    "{\"k\":1,\"t\":\"0000-01-01 00:00:00.000\"}",
    "{\"k\":1,\"t\":\"1969-12-31 23:59:59.999\"}",
    "{\"k\":1,\"t\":\"2026-11-23 24:00:00.000\"}",
    "{\"k\":1,\"t\":\"2026-11-23 12:60:00.000\"}",
    "{\"k\":1,\"t\":\"2026-13-23 12:00:00.000\"}",
    "{\"k\":1,\"t\":\"2026-11-23T12:00:00.000\"}",
    "{\"k\":1,\"t\":\"2026-11-23 12:00:00.000Z\"}",
    "{\"k\":1,\"t\":\" 026-11-23 12:00:00.000\"}",
    "{\"k\":1,\"t\":\"2026-11-23 12:00:00.0a0\"}",
    "{\"k\":1,\"t\":\"2026-11-23\\u002012:00:00.000\"}",
    "{\"k\":1,\"t\":-1}",
    "{\"k\":1,\"t\":null}",
    "{\"k\":1,\"b\":true,\"b\":false}",
    "{\"k\":1,\"k\":2}",
    "{\"k\":1,\"r\":{\"x\":5},\"r\":null}",
    "{\"k\":1,\"r\":null,\"r\":{\"x\":5}}",
    "{\"k\":1,\"r\":{\"x\":5,\"x\":6,\"q\":{}}}",
    "{\"k\":1,\"r\":nulll}",
    "{\"k\":1,\"r\":{\"y\":null}}",
    "{\"k\":1,\"r\":{\"y\":{\"z\":12}}}",
    "{\"k\":1,\"r\":[]}",
    "{\"k\":1,\"s\":\"\\/\\b\\f\\n\\r\\t\\\\\\\"\\u0000\\u007f\\u0080\\u07ff\\u0800\\uffff\"}",
    "{\"k\":1,\"s\":\"\\ud83d\\ude00\"}",
    "{\"k\":1,\"s\":\"\\ud83d\"}",
    "{\"k\":1,\"s\":\"\\ude00\"}",
    "{\"k\":1,\"s\":\"\\x\"}",
    "{\"k\":1,\"s\":\"\\u12\"}",
    "{\"k\":1,\"s\":\"\\u12g4\"}",
    "{\"k\":1,\"s\":\"tab\there\"}",
    "{\"k\":1,\"s\":\"del\x7fhere\"}",
    "{\"k\":1,\"s\":\"\xf0\x9f\x98\x80 \xed\xa0\x80\"}",
    "{\"k\":1,\"s\":\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}",
    "{\"k\":1,\"s\":true}",
    "{\"k\":1,\"s\":false}",
    "{\"k\":1,\"s\":-12.5e+3}",
    "{\"k\":1,\"s\":[]}",
    "{\"k\":1,\"s\":null}",
    "{\"k\":1,\"s\":\"a string that is well over sixty-four bytes long, to cross a block: "
    "0123456789abcdefghijklmnopqrstuvwxyz\"}",
    "{\"k\":1,\"s\":\"a string over sixty-four bytes with an escape late in it: "
    "0123456789abcdefghij\\n\"}",
    "  {  \"k\"  :  1  ,  \"s\"  :  \"x\"  }  ",
    "\t\r\n{\"k\":1}\t\r\n",
    "{\"k\":1,}",
    "{\"k\":1 \"s\":\"x\"}",
    "{\"k\" 1}",
    "{k:1}",
    "{\"k\":1,\"zz\":{\"a\":1,}}",
    "{\"k\":1,\"zz\":[1,]}",
    "{\"k\":1,\"zz\":[1 2]}",
    "{\"k\":1,\"zz\":{\"a\" 1}}",
    "{\"k\":1,\"zz\":{\"a\":[}]}",
    "{\"k\":1,\"zz\":[tru]}",
    "{\"k\":1,\"zz\":truefalse}",
    "{\"k\":1,\"zz\":\"\\q\"}",
    "{\"k\":1,\"zz\":1.2.3}",
    "{\"k\":1,\"zz\":{\"\\u0041\":[true,false,null,-1.5e3,\"\\ud83d\\ude00\"]}}",
    "{\"k\":1,\"\\u0073\":\"escaped key\"}",
    "{\"k\":1,\"s\\\"\":\"key with a quote\"}",
    "{\"k\":1,\"K\":2,\"kk\":3,\"\":4}",
    "{\"k\":1,\"s\":\"x\"}\n",
    "{\"k\":1}\x00",
    "\xef\xbb\xbf{\"k\":1}",
    "{\"k\":1,\"s\":\"\x01\"}",
    "{\"a_long_unknown_key_name_over_16\":1,\"k\":1}",
    "{\"k\":1,\"b\":TRUE}",
    "{\"k\":1,\"b\":\" true \"}",
    "{\"k\":1,\"i\":\"2147483648\"}",
    "{\"k\":1,\"l\":\"+5\"}",
};

/* Records the fast path must take itself (so the differential test really compares). */
static const char *const iot_fast_records[] = {
    "{\"b\":true,\"i\":-2147483648,\"l\":9223372036854775807,\"d\":-2.5e-3,"
    "\"m\":12345678901234.5678,\"n\":-999.99,\"t\":\"2026-11-23 12:00:00.123\","
    "\"s\":\"caf\\u00e9 \\\"q\\\" \xe2\x82\xac\",\"r\":{\"x\":-1,\"y\":{\"z\":\"deep\"}},\"k\":42}",
    "{\"unknown\":{\"a\":[1,{\"b\":[[[]]]}]},\"k\":7,\"b\":null,\"r\":null,\"B\":true,\"zz\":"
    "\"x\"}",
    "{\"k\":\" 12 \",\"i\":\"-3\",\"b\":\"FALSE\",\"d\":\"NaN\",\"m\":\"1.00005\",\"n\":1.005,"
    "\"t\":1700000000123,\"s\":12.50,\"r\":{\"y\":{\"z\":true}}}",
    "{\"k\":1,\"s\":\"\\/\\b\\f\\n\\r\\t\\\\\\\"\\u0000\\u007f\\u0080\\u07ff\\u0800\\uffff\"}",
    "{\"k\":1,\"r\":{\"x\":5},\"r\":null}",
    "{\"k\":1,\"b\":true,\"b\":false}",
    "  {  \"k\"  :  1  ,  \"s\"  :  \"x\"  }  ",
    "{\"k\":1,\"d\":123.456e-5}",
    "{\"k\":1,\"d\":559.72465314834574}",
    "{\"k\":1,\"s\":\"\\ud83d\\ude00\"}",
    "{\"k\":1,\"t\":\"2024-02-29 23:59:59.999\"}",
};

/* ---- random all-types records ------------------------------------------------------------- */

struct sb {
    char buf[4096];
    size_t n;
};

static void sb_put(struct sb *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l < sizeof(b->buf)) {
        memcpy(b->buf + b->n, s, l);
        b->n += l;
    }
}

static void sb_fmt(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_fmt(struct sb *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    sb_put(b, tmp);
}

static unsigned rnd(uint64_t *rs, unsigned n)
{
    return (unsigned)(sl_test_rand(rs) % n);
}

static void ws(struct sb *b, uint64_t *rs)
{
    static const char *const w[] = {"", "", "", "", " ", "\n", "\t ", "\r\n"};
    sb_put(b, w[rnd(rs, 8)]);
}

static void rand_string(struct sb *b, uint64_t *rs)
{
    static const char *const pieces[] = {"a",
                                         "Zq",
                                         "hello world",
                                         "0123456789",
                                         "\\n",
                                         "\\\"",
                                         "\\\\",
                                         "\\/",
                                         "\\t",
                                         "\\u00e9",
                                         "\\u20ac",
                                         "\\u0000",
                                         "\\ud83d\\ude00",
                                         "\\ud800",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         ",:{}[]",
                                         "https://x.y/?a=1&b=2",
                                         "\x7f",
                                         "\xff",
                                         "\\u12",
                                         "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"};
    sb_put(b, "\"");
    unsigned k = rnd(rs, 4) == 0 ? rnd(rs, 12) : rnd(rs, 4);
    for (unsigned i = 0; i < k; i++) {
        unsigned w = rnd(rs, 100);
        /* rare pieces: invalid UTF-8, a lone surrogate, a broken escape */
        unsigned np = sizeof(pieces) / sizeof(pieces[0]);
        const char *pc = pieces[w < 97 ? rnd(rs, np - 4) : np - 4 + rnd(rs, 4)];
        if (w >= 97 && strcmp(pc, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF") == 0)
            pc = "\\ud800";
        sb_put(b, pc);
    }
    sb_put(b, "\"");
}

static void rand_number(struct sb *b, uint64_t *rs)
{
    static const char *const odd[] = {"-0",
                                      "0",
                                      "-0.0",
                                      "1e22",
                                      "1e23",
                                      "1e400",
                                      "-1e-400",
                                      "9007199254740993",
                                      "9223372036854775807",
                                      "-9223372036854775808",
                                      "18446744073709551616",
                                      "2147483648",
                                      "1.5",
                                      "0.1",
                                      "123456789012345678",
                                      "1234567890123456789",
                                      "4.9e-324",
                                      "2.2250738585072014e-308",
                                      "1E+2",
                                      "1e-22"};
    switch (rnd(rs, 6)) {
    case 0:
        sb_put(b, odd[rnd(rs, sizeof(odd) / sizeof(odd[0]))]);
        break;
    case 1:
        sb_fmt(b, "%d", (int)(sl_test_rand(rs) % 2000) - 1000);
        break;
    case 2:
        sb_fmt(b, "%lld", (long long)sl_test_rand(rs));
        break;
    case 3:
        sb_fmt(b, "%s%u.%0*u", rnd(rs, 2) ? "-" : "", rnd(rs, 100000), (int)(1 + rnd(rs, 6)),
               rnd(rs, 1000000));
        break;
    case 4:
        sb_fmt(b, "%u.%ue%s%u", rnd(rs, 1000), rnd(rs, 1000), rnd(rs, 2) ? "-" : "+", rnd(rs, 30));
        break;
    default:
        sb_fmt(b, "%.17g", (double)(sl_test_rand(rs) % 1000000) / (1 + rnd(rs, 1000)));
        break;
    }
}

static void rand_timestamp(struct sb *b, uint64_t *rs)
{
    unsigned y = rnd(rs, 8) ? 1970 + rnd(rs, 100) : rnd(rs, 10000);
    unsigned mo = rnd(rs, 30) ? 1 + rnd(rs, 12) : rnd(rs, 14);
    unsigned d = rnd(rs, 10) ? 1 + rnd(rs, 28) : 28 + rnd(rs, 4);
    unsigned h = rnd(rs, 30) ? rnd(rs, 24) : 24;
    unsigned mi = rnd(rs, 60), s = rnd(rs, 30) ? rnd(rs, 60) : 60;
    switch (rnd(rs, 6)) {
    case 0:
        sb_fmt(b, "\"%04u-%02u-%02uT%02u:%02u:%02u.%u\"", y, mo, d, h, mi, s, rnd(rs, 100));
        break;
    case 1:
        sb_fmt(b, "%lld", (long long)(sl_test_rand(rs) % 4000000000000ull) - 1000000000000ll);
        break;
    default:
        sb_fmt(b, "\"%04u-%02u-%02u %02u:%02u:%02u.%03u\"", y, mo, d, h, mi, s, rnd(rs, 1000));
        break;
    }
}

static void rand_any(struct sb *b, uint64_t *rs, int depth)
{
    unsigned w = rnd(rs, depth > 3 ? 6 : 8);
    switch (w) {
    case 0:
        rand_string(b, rs);
        break;
    case 1:
        rand_number(b, rs);
        break;
    case 2:
        sb_put(b, "true");
        break;
    case 3:
        sb_put(b, "false");
        break;
    case 4:
        sb_put(b, "null");
        break;
    case 5:
        rand_timestamp(b, rs);
        break;
    case 6: {
        sb_put(b, "[");
        unsigned n = rnd(rs, 4);
        for (unsigned i = 0; i < n; i++) {
            if (i)
                sb_put(b, ",");
            ws(b, rs);
            rand_any(b, rs, depth + 1);
            ws(b, rs);
        }
        sb_put(b, "]");
        break;
    }
    default: {
        sb_put(b, "{");
        unsigned n = rnd(rs, 4);
        for (unsigned i = 0; i < n; i++) {
            if (i)
                sb_put(b, ",");
            ws(b, rs);
            sb_fmt(b, "\"u%u\":", rnd(rs, 5));
            ws(b, rs);
            rand_any(b, rs, depth + 1);
        }
        sb_put(b, "}");
        break;
    }
    }
}

/* A value for a column of sl_iot_schema(): mostly of its type, sometimes anything. */
static void rand_value(struct sb *b, int col, uint64_t *rs)
{
    if (rnd(rs, 12) == 0) {
        sb_put(b, "null");
        return;
    }
    if (rnd(rs, 40) == 0) {
        rand_any(b, rs, 0);
        return;
    }
    switch (col) {
    case IOT_B:
        sb_put(b, rnd(rs, 4) == 0 ? "\"True\"" : rnd(rs, 2) ? "true" : "false");
        break;
    case IOT_I:
        if (rnd(rs, 5) == 0)
            sb_fmt(b, "\"%d\"", (int)sl_test_rand(rs));
        else
            sb_fmt(b, "%d", (int)sl_test_rand(rs));
        break;
    case IOT_L:
    case IOT_RX:
    case IOT_K:
        if (rnd(rs, 5) == 0)
            sb_fmt(b, "\"%lld\"", (long long)sl_test_rand(rs));
        else if (rnd(rs, 6))
            sb_fmt(b, "%lld", (long long)(sl_test_rand(rs) >> rnd(rs, 64)));
        else
            rand_number(b, rs);
        break;
    case IOT_M:
    case IOT_N:
        if (rnd(rs, 5))
            sb_fmt(b, "%s%u.%0*u", rnd(rs, 2) ? "-" : "", rnd(rs, 1000), (int)(1 + rnd(rs, 3)),
                   rnd(rs, 10));
        else
            rand_number(b, rs);
        break;
    case IOT_D:
        if (rnd(rs, 8) == 0)
            sb_put(b, rnd(rs, 2) ? "\"NaN\"" : "\"-1.25\"");
        else
            rand_number(b, rs);
        break;
    case IOT_T:
        rand_timestamp(b, rs);
        break;
    default: /* VARCHAR */
        if (rnd(rs, 8) == 0)
            rand_number(b, rs);
        else
            rand_string(b, rs);
        break;
    }
}

/* A random record of the all-types schema: keys in a random or the schema's order, some
 * missing, some unknown, some twice. */
static void rand_iot_record(struct sb *b, uint64_t *rs)
{
    static const char *const keys[] = {"b", "i", "l", "d", "m", "n", "t", "s", "r", "k"};
    static const int cols[] = {IOT_B, IOT_I, IOT_L, IOT_D, IOT_M, IOT_N, IOT_T, IOT_S, -1, IOT_K};
    int order[10];
    for (int i = 0; i < 10; i++)
        order[i] = i;
    if (rnd(rs, 3) == 0)
        for (int i = 9; i > 0; i--) {
            int j = (int)rnd(rs, (unsigned)i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    b->n = 0;
    ws(b, rs);
    sb_put(b, "{");
    bool first = true;
    for (int i = 0; i < 10; i++) {
        int k = order[i];
        if (k != 9 && rnd(rs, 6) == 0)
            continue; /* missing */
        for (int rep = 0; rep < (rnd(rs, 30) == 0 ? 2 : 1); rep++) {
            if (rnd(rs, 8) == 0) { /* an unknown key first */
                sb_put(b, first ? "" : ",");
                first = false;
                sb_fmt(b, "\"x%u\":", rnd(rs, 3));
                rand_any(b, rs, 0);
            }
            sb_put(b, first ? "" : ",");
            first = false;
            ws(b, rs);
            sb_fmt(b, "\"%s\"", keys[k]);
            ws(b, rs);
            sb_put(b, ":");
            ws(b, rs);
            if (cols[k] >= 0) {
                rand_value(b, cols[k], rs);
            } else if (rnd(rs, 4) == 0) {
                sb_put(b, "null");
            } else {
                sb_put(b, "{");
                if (rnd(rs, 4))
                    sb_fmt(b, "\"x\":%lld%s", (long long)(sl_test_rand(rs) >> 20),
                           rnd(rs, 2) ? "," : "");
                if (rnd(rs, 4)) {
                    sb_put(b, rnd(rs, 2) ? "\"y\":{\"z\":" : "\"zz\":{\"z\":");
                    rand_value(b, IOT_S, rs);
                    sb_put(b, "}");
                } else if (b->buf[b->n - 1] == ',') {
                    sb_put(b, "\"q\":1");
                }
                sb_put(b, "}");
            }
            ws(b, rs);
        }
    }
    sb_put(b, "}");
    ws(b, rs);
}

/* ---- tests -------------------------------------------------------------------------------- */

static int levels(sl_simd_level out[SL_SIMD_COUNT])
{
    sl_simd_level more[SL_SIMD_COUNT];
    int n = sl_test_simd_levels(more);
    out[0] = SL_SIMD_SCALAR;
    for (int i = 0; i < n; i++)
        out[i + 1] = more[i];
    return n + 1;
}

static void test_scanners(void **state)
{
    (void)state;
    sl_simd_level lv[SL_SIMD_COUNT];
    int nl = levels(lv);
    uint64_t rs = 99;
    for (size_t len = 0; len <= 200; len++) {
        for (int rep = 0; rep < 4; rep++) {
            char *buf = malloc(len ? len : 1);
            assert_non_null(buf);
            for (size_t i = 0; i < len; i++) {
                unsigned r = rnd(&rs, 100);
                /* rep 0: no special byte at all; then sparse specials and high bytes */
                buf[i] = rep == 0 || r > 6 ? (char)('a' + rnd(&rs, 26))
                         : r == 0          ? '"'
                         : r == 1          ? '\\'
                         : r == 2          ? (char)rnd(&rs, 0x20)
                         : r == 3          ? (char)0x1f
                         : r == 4          ? (char)0x20
                                           : (char)(0x80 + rnd(&rs, 128));
            }
            bool ascii_ref = true;
            for (size_t i = 0; i < len; i++)
                ascii_ref &= (unsigned char)buf[i] < 0x80;
            for (int l = 0; l < nl; l++) {
                assert_int_equal(sl_jsonfast_is_ascii(lv[l], buf, len), ascii_ref);
                for (size_t off = 0; off <= len; off++) {
                    const char *want;
                    for (want = buf + off; want < buf + len; want++)
                        if (*want == '"' || *want == '\\' || (unsigned char)*want < 0x20)
                            break;
                    const char *got = sl_jsonfast_find_special(lv[l], buf, buf + off, buf + len);
                    if (got != want)
                        fail_msg("level %s len %zu off %zu: got %td want %td", sl_simd_name(lv[l]),
                                 len, off, got - buf, want - buf);
                }
            }
            free(buf);
        }
    }
}

static void test_test_json_records(void **state)
{
    (void)state;
    sl_simd_level lv[SL_SIMD_COUNT];
    int nl = levels(lv);
    uint64_t rs = 7;
    for (int l = 0; l < nl; l++) {
        struct pair p;
        pair_open(&p, sl_iot_schema(), lv[l]);
        size_t nrec = sizeof(iot_records) / sizeof(iot_records[0]);
        for (size_t i = 0; i < nrec; i++) {
            pair_check_str(&p, iot_records[i]);
            pair_check_perturbed(&p, iot_records[i], strlen(iot_records[i]), 40, &rs);
        }
        /* "{\"k\":1}\x00": the NUL inside the record */
        pair_check(&p, "{\"k\":1}", 8);
        pair_check(&p, "{\"k\":1,\"s\":\"a\x00z\"}", 18);
        /* these the fast path must take */
        for (size_t i = 0; i < sizeof(iot_fast_records) / sizeof(iot_fast_records[0]); i++) {
            uint64_t before = pair_fast_count(&p);
            pair_check_str(&p, iot_fast_records[i]);
            if (pair_fast_count(&p) != before + 1)
                fail_msg("level %s: the fast path fell back on '%s'", sl_simd_name(lv[l]),
                         iot_fast_records[i]);
        }
        /* more than 19 significant digits: correctly rounded on both paths (simdjson 3.0.1
         * alone reads this one as 0.0277, its issue #2093) */
        pair_check_str(&p, "{\"k\":1,\"d\":0.95000000000000000000}");
        int dcol = sl_schema_find(p.schema, "d");
        assert_true(dcol >= 0);
        assert_true(p.bs->rows >= 1 && p.bf->rows >= 1);
        assert_true(sl_col_f64(&p.bs->cols[dcol])[p.bs->rows - 1] == 0.95);
        assert_true(sl_col_f64(&p.bf->cols[dcol])[p.bf->rows - 1] == 0.95);
        /* all in one run, under skip */
        char *texts[sizeof(iot_records) / sizeof(iot_records[0])];
        size_t lens[sizeof(iot_records) / sizeof(iot_records[0])];
        for (size_t i = 0; i < nrec; i++) {
            texts[i] = (char *)iot_records[i];
            lens[i] = strlen(iot_records[i]);
        }
        pair_check_run(&p, texts, lens, nrec);
        pair_close(&p);
    }
}

static void test_deep_unknown(void **state)
{
    (void)state;
    sl_simd_level lv[SL_SIMD_COUNT];
    int nl = levels(lv);
    for (int l = 0; l < nl; l++) {
        struct pair p;
        pair_open(&p, sl_iot_schema(), lv[l]);
        for (size_t depth = 55; depth <= 70; depth++) {
            char rec[512];
            size_t n = (size_t)sprintf(rec, "{\"k\":1,\"zz\":");
            for (size_t d = 0; d < depth; d++) {
                if (d % 2)
                    rec[n++] = '[';
                else
                    n += (size_t)sprintf(rec + n, "{\"a\":");
            }
            for (size_t d = depth; d-- > 0;)
                rec[n++] = d % 2 ? ']' : '}';
            rec[n++] = '}';
            pair_check(&p, rec, n);
            pair_check(&p, rec, n - 2); /* one short */
        }
        pair_close(&p);
    }
}

static void test_random_records(void **state)
{
    (void)state;
    sl_simd_level lv[SL_SIMD_COUNT];
    int nl = levels(lv);
    for (int l = 0; l < nl; l++) {
        uint64_t rs = 1234 + (uint64_t)l;
        struct pair p;
        pair_open(&p, sl_iot_schema(), lv[l]);
        enum { RUN = 64 };
        static struct sb sbs[RUN];
        char *texts[RUN];
        size_t lens[RUN];
        for (int i = 0; i < 6000; i++) {
            struct sb *b = &sbs[i % RUN];
            rand_iot_record(b, &rs);
            pair_check(&p, b->buf, b->n);
            if (i % 4 == 0)
                pair_check_perturbed(&p, b->buf, b->n, 2, &rs);
            texts[i % RUN] = b->buf;
            lens[i % RUN] = b->n;
            if (i % RUN == RUN - 1)
                pair_check_run(&p, texts, lens, RUN);
        }
        /* most good records went the fast way */
        uint64_t fast = p.nfast;
        if (fast * 3 < p.accepted * 2)
            fail_msg("level %s: fast path took only %llu of %llu good records", sl_simd_name(lv[l]),
                     (unsigned long long)fast, (unsigned long long)p.accepted);
        fprintf(stderr, "level %s: %llu records, %llu good, %llu through the fast path\n",
                sl_simd_name(lv[l]), (unsigned long long)p.records, (unsigned long long)p.accepted,
                (unsigned long long)fast);
        pair_close(&p);
    }
}

/* Encoded random batches (sl_iot_fill: extremes, control bytes, UTF-8): the encoder's
 * output decodes the same both ways. */
static void test_encoded_batches(void **state)
{
    (void)state;
    sl_simd_level lv[SL_SIMD_COUNT];
    int nl = levels(lv);
    uint64_t rs = 555;
    for (int l = 0; l < nl; l++) {
        struct pair p;
        pair_open(&p, sl_iot_schema(), lv[l]);
        struct sl_batch *src = sl_batch_pool_get(p.pool);
        for (size_t t = 0; t < sl_test_nlengths; t++) {
            uint32_t n = sl_test_lengths[t];
            if (n > SL_BATCH_CAP || n > 300)
                continue;
            sl_batch_reset(src);
            sl_iot_fill(src, n, (unsigned)(t * 17 % 60), &rs);
            struct sl_fmt_out out;
            sl_fmt_out_init(&out);
            struct sl_error err;
            assert_int_equal(sl_json_encode(p.fast, src, &out, &err), 0);
            for (uint32_t i = 0; i < out.nrec; i++) {
                pair_check(&p, sl_fmt_out_rec(&out, i), sl_fmt_out_rec_len(&out, i));
                pair_check_perturbed(&p, sl_fmt_out_rec(&out, i), sl_fmt_out_rec_len(&out, i), 3,
                                     &rs);
            }
            sl_fmt_out_free(&out);
        }
        sl_batch_pool_put(src);
        pair_close(&p);
    }
}

static void test_nexmark_ysb(void **state)
{
    (void)state;
    sl_simd_level lv[SL_SIMD_COUNT];
    int nl = levels(lv);
    struct sl_error err;
    struct sl_nexmark_config nc;
    sl_nexmark_config_init(&nc);
    struct sl_nexmark_gen *ng;
    assert_int_equal(sl_nexmark_gen_new(&nc, &ng, &err), 0);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, ng), 0);
    struct sl_ysb_config yc;
    sl_ysb_config_init(&yc);
    struct sl_ysb_gen *yg;
    assert_int_equal(sl_ysb_gen_new(&yc, &yg, &err), 0);
    size_t cap = sl_nexmark_json_max(ng);
    char *buf = malloc(cap > SL_YSB_JSON_MAX ? cap : SL_YSB_JSON_MAX);
    assert_non_null(buf);
    for (int l = 0; l < nl; l++) {
        uint64_t rs = 31 + (uint64_t)l;
        struct pair nx, ys;
        pair_open(&nx, sl_nexmark_schema_new(), lv[l]);
        pair_open(&ys, sl_ysb_schema_new(), lv[l]);
        int n = 1500;
        for (int64_t i = 0; i < n; i++) {
            sl_nexmark_gen_event(ng, i, &ev);
            size_t len = sl_nexmark_event_json(&ev, buf);
            pair_check(&nx, buf, len);
        }
        /* clean generator output: every record takes the fast path */
        assert_int_equal(pair_fast_count(&nx), (uint64_t)n);
        for (int64_t i = 0; i < n; i++) {
            struct sl_ysb_event ye;
            sl_ysb_gen_event(yg, i, &ye);
            size_t len = sl_ysb_event_json(&ye, buf);
            pair_check(&ys, buf, len);
        }
        assert_int_equal(pair_fast_count(&ys), (uint64_t)n);
        /* perturbed */
        for (int64_t i = 0; i < 400; i++) {
            sl_nexmark_gen_event(ng, i * 7, &ev);
            size_t len = sl_nexmark_event_json(&ev, buf);
            pair_check_perturbed(&nx, buf, len, 4, &rs);
            struct sl_ysb_event ye;
            sl_ysb_gen_event(yg, i * 3, &ye);
            len = sl_ysb_event_json(&ye, buf);
            pair_check_perturbed(&ys, buf, len, 4, &rs);
        }
        pair_close(&nx);
        pair_close(&ys);
    }
    free(buf);
    sl_ysb_gen_free(yg);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(ng);
}

/* `schema` (taken) with every column nullable: NOT NULL columns are always decoded, so a
 * mask over the generator's all-NOT-NULL YSB schema would skip nothing. */
static struct sl_schema *nullable(struct sl_schema *schema)
{
    const char *names[64];
    struct sl_type types[64];
    assert_true(schema->ncols <= 64);
    for (uint32_t c = 0; c < schema->ncols; c++) {
        names[c] = schema->fields[c].name;
        types[c] = schema->fields[c].type;
        types[c].nullable = true;
    }
    struct sl_schema *n = sl_schema_new(schema->ncols, names, types);
    assert_non_null(n);
    sl_schema_free(schema);
    return n;
}

/* With masks: both paths skip the same columns, agree on every record (the bad ones in
 * skipped fields included), and the fast path still takes clean records. */
static void test_masked(void **state)
{
    (void)state;
    sl_simd_level lv[SL_SIMD_COUNT];
    int nl = levels(lv);
    struct sl_error err;
    struct sl_ysb_config yc;
    sl_ysb_config_init(&yc);
    struct sl_ysb_gen *yg;
    assert_int_equal(sl_ysb_gen_new(&yc, &yg, &err), 0);
    struct sl_nexmark_config nc;
    sl_nexmark_config_init(&nc);
    struct sl_nexmark_gen *ng;
    assert_int_equal(sl_nexmark_gen_new(&nc, &ng, &err), 0);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, ng), 0);
    size_t cap = sl_nexmark_json_max(ng);
    char *buf = malloc(cap > SL_YSB_JSON_MAX ? cap : SL_YSB_JSON_MAX);
    assert_non_null(buf);
    for (int l = 0; l < nl; l++) {
        uint64_t rs = 4242 + (uint64_t)l;
        /* the all-types schema: a new random mask every 50 records */
        struct pair p;
        pair_open(&p, sl_iot_schema(), lv[l]);
        bool need[IOT_NCOLS];
        size_t nrec = sizeof(iot_records) / sizeof(iot_records[0]);
        for (int round = 0; round < 24; round++) {
            rand_mask(need, IOT_NCOLS, &rs);
            pair_prune(&p, need);
            for (size_t i = round % 4; i < nrec; i += 4) {
                pair_check_str(&p, iot_records[i]);
                pair_check_perturbed(&p, iot_records[i], strlen(iot_records[i]), 4, &rs);
            }
            struct sb b;
            for (int i = 0; i < 50; i++) {
                rand_iot_record(&b, &rs);
                pair_check(&p, b.buf, b.n);
                if (i % 4 == 0)
                    pair_check_perturbed(&p, b.buf, b.n, 2, &rs);
            }
            for (size_t i = 0; i < sizeof(iot_fast_records) / sizeof(iot_fast_records[0]); i++) {
                uint64_t before = pair_fast_count(&p);
                pair_check_str(&p, iot_fast_records[i]);
                if (pair_fast_count(&p) != before + 1)
                    fail_msg("level %s: the fast path fell back on '%s' under a mask",
                             sl_simd_name(lv[l]), iot_fast_records[i]);
            }
        }
        pair_close(&p);
        /* YSB's query reads ad_id, event_type, event_time (its DDL has no NOT NULL) */
        struct pair ys;
        pair_open(&ys, nullable(sl_ysb_schema_new()), lv[l]);
        bool *yneed = calloc(ys.schema->ncols, sizeof(bool));
        assert_non_null(yneed);
        static const char *const read[] = {"ad_id", "event_type", "event_time"};
        for (int k = 0; k < 3; k++) {
            int c = sl_schema_find(ys.schema, read[k]);
            assert_true(c >= 0);
            yneed[c] = true;
        }
        pair_prune(&ys, yneed);
        for (int64_t i = 0; i < 500; i++) {
            struct sl_ysb_event ye;
            sl_ysb_gen_event(yg, i, &ye);
            size_t len = sl_ysb_event_json(&ye, buf);
            pair_check(&ys, buf, len);
            for (uint32_t c = 0; c < ys.schema->ncols; c++) /* the mask took effect */
                assert_int_equal(sl_col_is_null(&ys.bf->cols[c], ys.bf->rows - 1), !yneed[c]);
            pair_check_perturbed(&ys, buf, len, 2, &rs);
        }
        assert_true(pair_fast_count(&ys) >= 500);
        free(yneed);
        pair_close(&ys);
        /* Nexmark: a random mask per 100 events */
        struct pair nx;
        pair_open(&nx, sl_nexmark_schema_new(), lv[l]);
        bool *nneed = calloc(nx.schema->ncols, sizeof(bool));
        assert_non_null(nneed);
        for (int64_t i = 0; i < 600; i++) {
            if (i % 100 == 0) {
                rand_mask(nneed, nx.schema->ncols, &rs);
                pair_prune(&nx, nneed);
            }
            sl_nexmark_gen_event(ng, i, &ev);
            size_t len = sl_nexmark_event_json(&ev, buf);
            pair_check(&nx, buf, len);
            if (i % 3 == 0)
                pair_check_perturbed(&nx, buf, len, 2, &rs);
        }
        assert_true(pair_fast_count(&nx) >= 600);
        free(nneed);
        pair_close(&nx);
    }
    free(buf);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(ng);
    sl_ysb_gen_free(yg);
}

/* A schema whose key would need escaping in JSON: the fast path stays off, results agree. */
static void test_unsafe_names(void **state)
{
    (void)state;
    const char *names[] = {"a\"b", "c"};
    struct sl_type ty[2] = {sl_type_make(SL_TYPE_INT, true), sl_type_make(SL_TYPE_INT, true)};
    struct pair p;
    pair_open(&p, sl_schema_new(2, names, ty), SL_SIMD_SCALAR);
    pair_check_str(&p, "{\"a\\\"b\":1,\"c\":2}");
    pair_check_str(&p, "{\"c\":2}");
    assert_int_equal(pair_fast_count(&p), 0);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanners),        cmocka_unit_test(test_test_json_records),
        cmocka_unit_test(test_deep_unknown),    cmocka_unit_test(test_random_records),
        cmocka_unit_test(test_encoded_batches), cmocka_unit_test(test_nexmark_ysb),
        cmocka_unit_test(test_unsafe_names),    cmocka_unit_test(test_masked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
