/*
 * tests/io/test_prune.c - projection pushdown into the decoders (sl_json_prune,
 * sl_csv_prune, sl_raw_prune; the shared rules are struct sl_fmt_mask in io/fmt.h).
 *
 * For EVERY subset of the all-types schema's 11 columns (nested ROW and NOT NULL column
 * included), every record of a table is decoded with that mask, one record at a time under
 * 'fail' and all of them in one call under 'skip' (batches as full as they get, so the
 * capacity-2 build crosses batch boundaries), and checked against the unmasked decode:
 *
 *   OK         decodes; the decoded columns (the subset plus the NOT NULL one, which is
 *              always decoded) are exactly the unmasked decode's, the others are NULL
 *   MALFORMED  a bad record under every mask - the malformation (syntax, invalid UTF-8,
 *              a broken layout) sits in one field, which the mask may skip
 *   TYPE       a type error in the columns `cols`: bad exactly when the mask decodes one
 *              of them (as Flink's formats with a projection); otherwise the decoded columns
 *              equal those of `twin`, the same record with the bad value left out
 *
 * JSON runs through a codec with the fast path and one without (simdjson only), and the
 * fast path must still take the clean records under every mask. Then: the CSV line stream
 * with a skipped quoted field across lines, the bad-record policies naming the record's
 * position when the malformation is in a skipped field, and a mask set back to "all".
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "io/json.h"
#include "io/raw.h"
#include "tests/util/iotest.h"

#define NMASKS (1u << IOT_NCOLS)
#define BIT(c) (1u << (c))
#define ROWCOLS (BIT(IOT_RX) | BIT(IOT_RYZ))

enum { OK, MALFORMED, TYPE };

struct pcase {
    const char *text; /* the record (NUL-terminated unless len) */
    size_t len;       /* 0: strlen(text) */
    int kind;
    uint32_t cols;    /* TYPE: the columns holding a type error */
    const char *twin; /* TYPE: the record without the bad value */
    size_t twin_len;
};

/* ---- the three formats behind one face -------------------------------------------------- */

enum { F_JSON, F_JSON_SIMDJSON, F_CSV, F_RAW, F_COUNT };
static const char *const fmt_name[F_COUNT] = {"json", "json (simdjson only)", "csv", "raw"};

static void *codec_new(int f, const struct sl_schema *schema)
{
    struct sl_error err;
    void *c = NULL;
    switch (f) {
    case F_JSON:
        c = sl_json_new(schema, NULL, &err);
        break;
    case F_JSON_SIMDJSON:
        assert_int_equal(setenv("SLUICE_JSON_FAST", "off", 1), 0);
        c = sl_json_new(schema, NULL, &err);
        unsetenv("SLUICE_JSON_FAST");
        break;
    case F_CSV:
        c = sl_csv_new(schema, NULL, &err);
        break;
    default:
        c = sl_raw_new(schema, NULL, &err);
        break;
    }
    assert_non_null(c);
    return c;
}

static void codec_free(int f, void *c)
{
    if (f == F_CSV)
        sl_csv_free(c);
    else if (f == F_RAW)
        sl_raw_free(c);
    else
        sl_json_free(c);
}

static void codec_prune(int f, void *c, const bool *need, uint32_t n)
{
    if (f == F_CSV)
        sl_csv_prune(c, need, n);
    else if (f == F_RAW)
        sl_raw_prune(c, need, n);
    else
        sl_json_prune(c, need, n);
}

static int codec_decode(int f, void *c, const struct sl_record *r, size_t n, struct sl_batch *b,
                        struct sl_badrec *bad, size_t *consumed, struct sl_error *err)
{
    if (f == F_CSV)
        return sl_csv_decode(c, r, n, b, bad, consumed, err);
    if (f == F_RAW)
        return sl_raw_decode(c, r, n, b, bad, consumed, err);
    return sl_json_decode(c, r, n, b, bad, consumed, err);
}

static struct sl_record case_rec(const char *text, size_t len, int64_t offset)
{
    struct sl_record r = sl_iot_rec(text, offset);
    r.value_len = len ? len : strlen(text);
    return r;
}

/* Whether column c of row ra in a holds what it holds in row rb of b (NULL included). */
static bool cell_equal(struct sl_batch *a, uint32_t ra, struct sl_batch *b, uint32_t rb, uint32_t c)
{
    struct sl_column *x = &a->cols[c], *y = &b->cols[c];
    bool nx = sl_col_is_null(x, ra), ny = sl_col_is_null(y, rb);
    if (nx || ny)
        return nx == ny;
    switch (x->type.id) {
    case SL_TYPE_BOOLEAN:
        return sl_col_bool(x)[ra] == sl_col_bool(y)[rb];
    case SL_TYPE_INT:
        return sl_col_i32(x)[ra] == sl_col_i32(y)[rb];
    case SL_TYPE_DOUBLE:
        return memcmp(&sl_col_f64(x)[ra], &sl_col_f64(y)[rb], sizeof(double)) == 0;
    case SL_TYPE_VARCHAR: {
        const sl_str *s = &sl_col_str(x)[ra], *t = &sl_col_str(y)[rb];
        return s->len == t->len && memcmp(sl_str_data(s), sl_str_data(t), s->len) == 0;
    }
    default:
        return sl_col_i64(x)[ra] == sl_col_i64(y)[rb];
    }
}

/* The columns a mask has decoded: its own and the NOT NULL one. */
static uint32_t decoded_cols(uint32_t mask)
{
    return mask | BIT(IOT_K);
}

static bool expect_bad(const struct pcase *pc, uint32_t mask)
{
    return pc->kind == MALFORMED || (pc->kind == TYPE && (pc->cols & decoded_cols(mask)));
}

/* Row r of b decoded with `mask` against the reference row: decoded columns equal, the
 * others NULL. */
static void check_row(struct sl_batch *b, uint32_t r, struct sl_batch *ref, uint32_t mask,
                      const char *what, size_t idx)
{
    uint32_t dec = decoded_cols(mask);
    for (uint32_t c = 0; c < IOT_NCOLS; c++) {
        bool ok = (dec & BIT(c)) ? cell_equal(b, r, ref, 0, c) : sl_col_is_null(&b->cols[c], r);
        if (!ok)
            fail_msg("%s case %zu mask 0x%03x: column '%s' %s", what, idx, mask,
                     b->schema->fields[c].name,
                     (dec & BIT(c)) ? "differs from the unmasked decode" : "is not NULL");
    }
}

/* Runs the cases of one format through every mask. With `ok_fast` (JSON), every OK case
 * must take the fast path, under every mask. */
static void run_cases(int f, const struct pcase *cases, size_t ncases, bool ok_fast)
{
    struct sl_iot t;
    sl_iot_open(&t, sl_iot_schema());
    void *full = codec_new(f, t.schema), *c = codec_new(f, t.schema);
    struct sl_error err;
    size_t consumed;
    /* the reference rows: the unmasked decode of each case (or of its twin) */
    struct sl_batch **ref = calloc(ncases, sizeof(*ref));
    struct sl_record *recs = calloc(ncases, sizeof(*recs));
    assert_non_null(ref);
    assert_non_null(recs);
    size_t ngood_all = 0;
    for (size_t i = 0; i < ncases; i++) {
        const struct pcase *pc = &cases[i];
        recs[i] = case_rec(pc->text, pc->len, (int64_t)i);
        ref[i] = sl_batch_pool_get(t.pool);
        assert_non_null(ref[i]);
        if (pc->kind == MALFORMED) {
            assert_int_not_equal(codec_decode(f, full, &recs[i], 1, ref[i], NULL, &consumed, &err),
                                 0);
            continue;
        }
        struct sl_record rr = pc->kind == TYPE ? case_rec(pc->twin, pc->twin_len, 0) : recs[i];
        if (codec_decode(f, full, &rr, 1, ref[i], NULL, &consumed, &err))
            fail_msg("%s case %zu (or its twin) does not decode unmasked: %s", fmt_name[f], i,
                     err.msg);
        if (pc->kind == TYPE) /* and the case itself is bad unmasked */
            assert_int_not_equal(codec_decode(f, full, &recs[i], 1, t.b, NULL, &consumed, &err), 0);
        ngood_all += pc->kind == OK;
    }
    assert_true(ngood_all > 0);
    bool need[IOT_NCOLS];
    for (uint32_t mask = 0; mask < NMASKS; mask++) {
        for (uint32_t k = 0; k < IOT_NCOLS; k++)
            need[k] = (mask >> k) & 1;
        codec_prune(f, c, need, IOT_NCOLS);
        /* one record at a time, under 'fail' */
        for (size_t i = 0; i < ncases; i++) {
            if (t.b->rows == SL_BATCH_CAP)
                sl_batch_reset(t.b);
            sl_error_clear(&err);
            struct sl_json_stats st0 = {0, 0}, st1 = {0, 0};
            if (ok_fast)
                sl_json_stats(c, &st0);
            int rc = codec_decode(f, c, &recs[i], 1, t.b, NULL, &consumed, &err);
            if (ok_fast)
                sl_json_stats(c, &st1);
            bool bad = expect_bad(&cases[i], mask);
            if ((rc != 0) != bad)
                fail_msg("%s case %zu mask 0x%03x: %s (%s)", fmt_name[f], i, mask,
                         bad ? "accepted, want a bad record" : "a bad record, want a row",
                         rc ? err.msg : "");
            if (rc) {
                /* the message names the record's position */
                char where[64];
                snprintf(where, sizeof(where), "topic 't' partition 0 offset %zu", i);
                if (!strstr(err.msg, where))
                    fail_msg("%s case %zu: '%s' does not name %s", fmt_name[f], i, err.msg, where);
                continue;
            }
            check_row(t.b, t.b->rows - 1, ref[i], mask, fmt_name[f], i);
            if (ok_fast && cases[i].kind == OK && st1.fast != st0.fast + 1)
                fail_msg("case %zu mask 0x%03x: the fast path fell back", i, mask);
        }
        /* all at once under 'skip', into batches as full as they get */
        struct sl_badrec bad;
        sl_badrec_init(&bad, SL_BADREC_SKIP, NULL, NULL);
        size_t done = 0, next_good = 0, skipped = 0;
        while (done < ncases) {
            sl_batch_reset(t.b);
            assert_int_equal(
                codec_decode(f, c, recs + done, ncases - done, t.b, &bad, &consumed, &err), 0);
            assert_true(consumed > 0);
            for (uint32_t r = 0; r < t.b->rows; r++) {
                while (expect_bad(&cases[next_good], mask)) {
                    next_good++;
                    skipped++;
                }
                check_row(t.b, r, ref[next_good], mask, fmt_name[f], next_good);
                next_good++;
            }
            done += consumed;
        }
        while (next_good < ncases && expect_bad(&cases[next_good], mask)) {
            next_good++;
            skipped++;
        }
        assert_int_equal(next_good, ncases);
        assert_int_equal(bad.skipped, skipped);
    }
    for (size_t i = 0; i < ncases; i++)
        sl_batch_pool_put(ref[i]);
    free(ref);
    free(recs);
    codec_free(f, full);
    codec_free(f, c);
    sl_iot_close(&t);
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* The OK ones are all records the fast path takes (strict JSON, no container for a read
 * VARCHAR: those are in the simdjson-only list below). */
static const struct pcase json_cases[] = {
    {"{\"b\":true,\"i\":-7,\"l\":9223372036854775807,\"d\":-2.5e-3,\"m\":\"12.3456\","
     "\"n\":-999.99,\"t\":\"2026-11-23 12:00:00.123\",\"s\":\"caf\\u00e9 \\\"q\\\" \\\\ \\n\","
     "\"r\":{\"x\":-1,\"y\":{\"z\":\"deep \\u20ac and then some\"}},\"k\":42}",
     0, OK, 0, NULL, 0},
    {"{\"b\":null,\"i\":null,\"s\":null,\"r\":null,\"k\":1}", 0, OK, 0, NULL, 0},
    {"{\"k\":2}", 0, OK, 0, NULL, 0},
    {"{\"zz\":{\"a\":[1,2,{\"q\":\"x\\\"y\"}]},\"k\":3,\"s\":\"x\",\"s\":\"the last one wins\","
     "\"r\":{\"q\":{\"deep\":[[{}]]},\"y\":{\"z\":\"a\"},\"x\":9}}",
     0, OK, 0, NULL, 0},
    {"{\"k\":4,\"s\":\"\\ud83d\\ude00 more than twelve bytes\",\"r\":{\"y\":{}}}", 0, OK, 0, NULL,
     0},
    {"{\"k\":\"12\",\"i\":\"-3\",\"b\":\"FALSE\",\"s\":12.50,\"d\":\"NaN\",\"t\":1700000000123,"
     "\"r\":{\"y\":{\"z\":true}}}",
     0, OK, 0, NULL, 0},
    {"  {  \"k\" : 5 , \"d\" : 1E+2 ,\n\"r\" : { \"x\" : 0 } }  ", 0, OK, 0, NULL, 0},
    /* malformed JSON inside a field */
    {"{\"k\":1,\"i\":nul}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"b\":tru}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"d\":1.2.3}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"l\":-}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"m\":1e}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"r\":{\"x\":01}}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"s\":\"bad \\q escape\"}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"s\":\"\\ud800 a lone surrogate\"}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"r\":{\"x\":1,\"y\":{\"z\":\"\\x\"}}}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"r\":nulll}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"s\":\"bad \xff utf8\"}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"t\":\"2026-01-01 00:00:00.000\"", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"s\":\"x\",}", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"s\":\"unclosed", 0, MALFORMED, 0, NULL, 0},
    {"{\"k\":1,\"n\":5} trailing", 0, MALFORMED, 0, NULL, 0},
    /* found by fuzz_json: a broken object that only raw_json(), not skipping, rejects */
    {"{\"k\":1,\"r\":null,\"s\":{\"KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK"
     "KKKKKKK{\"q\\\" \\/\"k\"KKKKKKKKKKKK[1,2,{\"b\":null}]},\"zz\":[[[]]]}",
     0, MALFORMED, 0, NULL, 0},
    /* type errors: not seen when their columns are skipped */
    {"{\"k\":1,\"i\":\"abc\"}", 0, TYPE, BIT(IOT_I), "{\"k\":1}", 0},
    {"{\"k\":1,\"l\":true,\"s\":\"kept\"}", 0, TYPE, BIT(IOT_L), "{\"k\":1,\"s\":\"kept\"}", 0},
    {"{\"k\":1,\"n\":1000}", 0, TYPE, BIT(IOT_N), "{\"k\":1}", 0},
    {"{\"k\":1,\"t\":\"2026-02-30 00:00:00\",\"m\":2}", 0, TYPE, BIT(IOT_T), "{\"k\":1,\"m\":2}",
     0},
    {"{\"k\":1,\"b\":\"yes\"}", 0, TYPE, BIT(IOT_B), "{\"k\":1}", 0},
    {"{\"k\":1,\"d\":[1,{\"a\":2}],\"s\":\"x\"}", 0, TYPE, BIT(IOT_D), "{\"k\":1,\"s\":\"x\"}", 0},
    {"{\"k\":1,\"r\":5,\"s\":\"y\"}", 0, TYPE, ROWCOLS, "{\"k\":1,\"s\":\"y\"}", 0},
    {"{\"k\":1,\"r\":{\"x\":1,\"y\":[]}}", 0, TYPE, BIT(IOT_RYZ), "{\"k\":1,\"r\":{\"x\":1}}", 0},
    {"{\"k\":1,\"i\":1.5,\"l\":\"9223372036854775808\"}", 0, TYPE, BIT(IOT_I) | BIT(IOT_L),
     "{\"k\":1}", 0},
    /* the NOT NULL column is always decoded: its errors show under every mask */
    {"{\"i\":1}", 0, TYPE, BIT(IOT_K), "{\"i\":1,\"k\":0}", 0},
    {"{\"k\":\"x\"}", 0, TYPE, BIT(IOT_K), "{\"k\":0}", 0},
};

/* Records the simdjson path decodes (a container going into a read VARCHAR). */
static const struct pcase json_slow_cases[] = {
    {"{\"k\":2,\"s\":{\"a\":[1,{\"b\":\"x\\\"y\"}],\"c\":null},"
     "\"r\":{\"x\":5,\"y\":{\"z\":[true,false]},\"q\":{\"deep\":[[{}]]}}}",
     0, OK, 0, NULL, 0},
    {"{\"k\":1,\"s\":{\"a\":1},\"i\":\"abc\"}", 0, TYPE, BIT(IOT_I), "{\"k\":1,\"s\":{\"a\":1}}",
     0},
};

static void test_json_every_mask(void **state)
{
    (void)state;
    run_cases(F_JSON, json_cases, sizeof(json_cases) / sizeof(json_cases[0]), true);
    run_cases(F_JSON_SIMDJSON, json_cases, sizeof(json_cases) / sizeof(json_cases[0]), false);
    run_cases(F_JSON, json_slow_cases, sizeof(json_slow_cases) / sizeof(json_slow_cases[0]), false);
    run_cases(F_JSON_SIMDJSON, json_slow_cases,
              sizeof(json_slow_cases) / sizeof(json_slow_cases[0]), false);
}

/* ---- CSV --------------------------------------------------------------------------------- */

/* Fields: b, i, l, d, m, n, t, s, r.x, r.y.z, k. */
static const struct pcase csv_cases[] = {
    {"true,-7,9223372036854775807,-0.0025,12.3456,-999.99,2026-11-23 12:00:00.123,"
     "\"caf\xc3\xa9 \"\"q\"\", x\",-1,deep and more than twelve,42",
     0, OK, 0, NULL, 0},
    {",,,,,,,,,,1", 0, OK, 0, NULL, 0},
    {",,,,,,,\"\",,\"\",2", 0, OK, 0, NULL, 0},
    {"\"true\",\"1\",\"2\",\"3.5\",\"4\",\"5\",\"2026-01-01 00:00:00\","
     "\"multi\nline \"\"quoted\"\" field\",7,\"a,b\",3\r\n",
     0, OK, 0, NULL, 0},
    {"FALSE, 5 ,-1, NaN ,0.5,1,2026-01-01T00:00:00,\" padded \",0,,4\n", 0, OK, 0, NULL, 0},
    /* malformed CSV inside a field */
    {",,,,,,,\"abc,,,1", 0, MALFORMED, 0, NULL, 0},
    {",1\"2,,,,,,,,,1", 0, MALFORMED, 0, NULL, 0},
    {",,,,,,,\"abc\"x,,,1", 0, MALFORMED, 0, NULL, 0},
    {",,,,1", 0, MALFORMED, 0, NULL, 0},
    {",,,,,,,,,,1,one too many", 0, MALFORMED, 0, NULL, 0},
    {",,,,,,,bad \xff utf8,,,1", 0, MALFORMED, 0, NULL, 0},
    {",\xc3\x28,,,,,,,,,1", 0, MALFORMED, 0, NULL, 0},
    {",,,,,,,,,\"deep \xed\xa0\x80 surrogate\",1", 0, MALFORMED, 0, NULL, 0},
    {",,,,,,,a\nb,,,1", 0, MALFORMED, 0, NULL, 0},
    {",,,,,,,,,,1\n,,,,,,,,,,2", 0, MALFORMED, 0, NULL, 0},
    /* type errors */
    {",abc,,,,,,,,,1", 0, TYPE, BIT(IOT_I), ",,,,,,,,,,1", 0},
    {"yes,,,,,,,kept,,,1", 0, TYPE, BIT(IOT_B), ",,,,,,,kept,,,1", 0},
    {",,,,,1000,,,,,1", 0, TYPE, BIT(IOT_N), ",,,,,,,,,,1", 0},
    {",,,,,,2026-02-30 00:00:00,,,,1", 0, TYPE, BIT(IOT_T), ",,,,,,,,,,1", 0},
    {",,,,,,,s,\"x\",z,1", 0, TYPE, BIT(IOT_RX), ",,,,,,,s,,z,1", 0},
    {",1.5,99999999999999999999,,,,,,,,1", 0, TYPE, BIT(IOT_I) | BIT(IOT_L), ",,,,,,,,,,1", 0},
    {",,,,,,,,,,x", 0, TYPE, BIT(IOT_K), ",,,,,,,,,,0", 0},
    {",,,,,,,,,,", 0, TYPE, BIT(IOT_K), ",,,,,,,,,,0", 0},
};

static void test_csv_every_mask(void **state)
{
    (void)state;
    run_cases(F_CSV, csv_cases, sizeof(csv_cases) / sizeof(csv_cases[0]), false);
}

/* The line stream: a skipped quoted field holding line breaks and "" still frames the
 * lines; a broken line in a skipped field is reported as the file's offset. */
static void test_csv_stream(void **state)
{
    (void)state;
    struct sl_iot t, u;
    sl_iot_open(&t, sl_iot_schema());
    sl_iot_open(&u, sl_iot_schema());
    struct sl_csv *c = codec_new(F_CSV, t.schema), *full = codec_new(F_CSV, t.schema);
    const char text[] = ",,,,,,,\"a\nb \"\" c\",1,\"x\ny\",1\n"
                        "true,2,,,,,,\"\n\",,\"\",2\n"
                        ",,,,,,,\"\"\"\",,z,3\n";
    bool need[IOT_NCOLS];
    for (uint32_t mask = 0; mask < NMASKS; mask++) {
        for (uint32_t k = 0; k < IOT_NCOLS; k++)
            need[k] = (mask >> k) & 1;
        sl_csv_prune(c, need, IOT_NCOLS);
        size_t pos = 0, fpos = 0, rows = 0;
        struct sl_error err;
        while (pos < sizeof(text) - 1) {
            size_t used, fused;
            sl_batch_reset(t.b);
            sl_batch_reset(u.b);
            assert_int_equal(sl_csv_decode_stream(c, text + pos, sizeof(text) - 1 - pos, true,
                                                  "f.csv", (int64_t)pos, t.b, NULL, &used, &err),
                             0);
            assert_int_equal(sl_csv_decode_stream(full, text + fpos, sizeof(text) - 1 - fpos, true,
                                                  "f.csv", (int64_t)fpos, u.b, NULL, &fused, &err),
                             0);
            assert_int_equal(used, fused);
            assert_int_equal(t.b->rows, u.b->rows);
            for (uint32_t r = 0; r < t.b->rows; r++)
                for (uint32_t k = 0; k < IOT_NCOLS; k++)
                    assert_true((decoded_cols(mask) & BIT(k)) ? cell_equal(t.b, r, u.b, r, k)
                                                              : sl_col_is_null(&t.b->cols[k], r));
            rows += t.b->rows;
            pos += used;
            fpos += fused;
        }
        assert_int_equal(rows, 3);
    }
    /* an unclosed quote in a skipped field: the line is bad, at its offset in the file */
    const char broken[] = ",,,,,,,,,,1\n,,,,,,,\"ab\",,\"c,2\n";
    for (uint32_t k = 0; k < IOT_NCOLS; k++)
        need[k] = k == IOT_I;
    sl_csv_prune(c, need, IOT_NCOLS);
    struct sl_error err;
    size_t used;
    sl_batch_reset(t.b);
    assert_int_not_equal(sl_csv_decode_stream(c, broken, sizeof(broken) - 1, true, "f.csv", 100,
                                              t.b, NULL, &used, &err),
                         0);
    assert_int_equal(t.b->rows, 1);
    assert_true(sl_col_is_null(&t.b->cols[IOT_S], 0));
    assert_int_equal(used, 12);
    if (!strstr(err.msg, "file 'f.csv' offset 112"))
        fail_msg("%s", err.msg);
    sl_csv_free(c);
    sl_csv_free(full);
    sl_iot_close(&t);
    sl_iot_close(&u);
}

/* ---- raw --------------------------------------------------------------------------------- */

/* The raw layout of the all-types schema: 2 bitmap bytes, then b, i, l, d, m, n, t, r.x, k
 * (1 + 4 + 8 * 7 bytes), then s and r.y.z as length + bytes. */
enum {
    RAW_B = 2,
    RAW_N = 3 + 4 + 8 * 3,
    RAW_K = 3 + 4 + 8 * 6,
    RAW_FIXED = RAW_K + 8,
};

struct rawbuf {
    char b[256];
    size_t n;
};

static void put(struct rawbuf *r, const void *p, size_t n)
{
    assert_true(r->n + n <= sizeof(r->b));
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

/* A raw record: the bitmap, fixed values (b = 1, i = -7, ..., k), and the two strings
 * (NULL when the pointer is NULL). */
static void raw_record(struct rawbuf *r, const char *s, const char *z, int64_t k)
{
    memset(r, 0, sizeof(*r));
    uint16_t nulls = (uint16_t)((s ? 0 : BIT(IOT_S)) | (z ? 0 : BIT(IOT_RYZ)));
    put(r, &nulls, 2);
    uint8_t b = 1;
    int32_t i = -7;
    int64_t l = INT64_MAX, m = 123456, n = -99999, t = 1700000000123, x = -1;
    double d = -2.5e-3;
    put(r, &b, 1);
    put(r, &i, 4);
    put(r, &l, 8);
    put(r, &d, 8);
    put(r, &m, 8);
    put(r, &n, 8);
    put(r, &t, 8);
    put(r, &x, 8);
    put(r, &k, 8);
    assert_int_equal(r->n, RAW_FIXED);
    const char *str[2] = {s, z};
    for (int j = 0; j < 2; j++) {
        uint32_t len = str[j] ? (uint32_t)strlen(str[j]) : 0;
        put(r, &len, 4);
        put(r, str[j] ? str[j] : "", len);
    }
}

struct rawcases {
    struct rawbuf rb[16];
    struct pcase cases[16];
    size_t n;
};

/* The record being built (rb[n]) becomes a case. */
static void raw_add(struct rawcases *rc, int kind, uint32_t cols, const struct rawbuf *twin)
{
    assert_true(rc->n < 16);
    struct rawbuf *r = &rc->rb[rc->n];
    rc->cases[rc->n] =
        (struct pcase){r->b, r->n, kind, cols, twin ? twin->b : NULL, twin ? twin->n : 0};
    rc->n++;
}

static void test_raw_every_mask(void **state)
{
    (void)state;
    static struct rawcases rc;
    memset(&rc, 0, sizeof(rc));
    /* good ones */
    raw_record(&rc.rb[rc.n], "caf\xc3\xa9, a string of more than twelve bytes", "deep", 42);
    raw_add(&rc, OK, 0, NULL);
    raw_record(&rc.rb[rc.n], NULL, "", 1);
    rc.rb[rc.n].b[0] = (char)(rc.rb[rc.n].b[0] | BIT(IOT_B) | BIT(IOT_D)); /* NULLs too */
    raw_add(&rc, OK, 0, NULL);
    /* a broken layout, in some column: bad under every mask */
    raw_record(&rc.rb[rc.n], "abc", "z", 2);
    rc.rb[rc.n].n--; /* one byte short */
    raw_add(&rc, MALFORMED, 0, NULL);
    raw_record(&rc.rb[rc.n], "abc", "z", 2);
    put(&rc.rb[rc.n], "!", 1); /* one byte too many */
    raw_add(&rc, MALFORMED, 0, NULL);
    raw_record(&rc.rb[rc.n], "abc", "z", 2);
    rc.rb[rc.n].b[1] = (char)0x80; /* an unused bitmap bit */
    raw_add(&rc, MALFORMED, 0, NULL);
    raw_record(&rc.rb[rc.n], "abc", "z", 2);
    rc.rb[rc.n].b[0] = (char)(rc.rb[rc.n].b[0] | BIT(IOT_S)); /* a NULL string with bytes */
    raw_add(&rc, MALFORMED, 0, NULL);
    raw_record(&rc.rb[rc.n], "abc", "z", 2);
    rc.rb[rc.n].b[RAW_FIXED] = 100; /* a string running past the end */
    raw_add(&rc, MALFORMED, 0, NULL);
    raw_record(&rc.rb[rc.n], "abc", "z\xff", 2); /* invalid UTF-8 in r.y.z */
    raw_add(&rc, MALFORMED, 0, NULL);
    raw_record(&rc.rb[rc.n], "a\xed\xa0\x80", "z", 2); /* a surrogate in s */
    raw_add(&rc, MALFORMED, 0, NULL);
    /* value errors: not seen when their columns are skipped */
    const struct rawbuf *good = &rc.rb[rc.n];
    raw_record(&rc.rb[rc.n], "abc", "z", 3);
    raw_add(&rc, OK, 0, NULL);
    raw_record(&rc.rb[rc.n], "abc", "z", 3);
    rc.rb[rc.n].b[RAW_B] = 2; /* a BOOLEAN byte that is not 0 or 1 */
    raw_add(&rc, TYPE, BIT(IOT_B), good);
    raw_record(&rc.rb[rc.n], "abc", "z", 3);
    int64_t big = 10000000; /* DECIMAL(5, 2) holds at most 999.99 */
    memcpy(rc.rb[rc.n].b + RAW_N, &big, 8);
    raw_add(&rc, TYPE, BIT(IOT_N), good);
    raw_record(&rc.rb[rc.n], "abc", "z", 3);
    rc.rb[rc.n].b[1] = (char)(rc.rb[rc.n].b[1] | (BIT(IOT_K) >> 8)); /* NULL in NOT NULL k */
    raw_add(&rc, TYPE, BIT(IOT_K), good);
    run_cases(F_RAW, rc.cases, rc.n, false);
}

/* ---- policies and masks set back -------------------------------------------------------- */

/* A malformation in a skipped field under 'fail' and 'dead-letter' names the record. */
static void test_policies(void **state)
{
    (void)state;
    static const char *const json[] = {"{\"k\":1,\"s\":\"a\"}", "{\"k\":2,\"s\":tru}",
                                       "{\"k\":3,\"s\":\"c\"}"};
    static const char *const csv[] = {",,,,,,,a,,,1", ",,,,,,,\"b,,,2", ",,,,,,,c,,,3"};
    for (int f = F_JSON; f <= F_CSV; f++) {
        const char *const *texts = f == F_CSV ? csv : json;
        struct sl_iot t;
        sl_iot_open(&t, sl_iot_schema());
        void *c = codec_new(f, t.schema);
        bool need[IOT_NCOLS] = {0};
        need[IOT_I] = true;
        codec_prune(f, c, need, IOT_NCOLS);
        struct sl_record recs[3];
        for (int i = 0; i < 3; i++)
            recs[i] = sl_iot_rec(texts[i], 10 + i);
        struct sl_error err;
        size_t consumed;
        assert_int_not_equal(codec_decode(f, c, recs, 3, t.b, NULL, &consumed, &err), 0);
        assert_int_equal(consumed, 1);
        assert_int_equal(t.b->rows, 1);
        if (!strstr(err.msg, "topic 't' partition 0 offset 11"))
            fail_msg("%s: %s", fmt_name[f], err.msg);
        FILE *dl = tmpfile();
        assert_non_null(dl);
        struct sl_iot_dlq q = {dl, 0, 0};
        struct sl_badrec bad;
        sl_badrec_init(&bad, SL_BADREC_DEAD_LETTER, sl_iot_dlq_cb, &q);
        sl_batch_reset(t.b);
        assert_int_equal(codec_decode(f, c, recs, 3, t.b, &bad, &consumed, &err), 0);
        assert_int_equal(consumed, 3);
        assert_int_equal(t.b->rows, 2);
        assert_int_equal(bad.dead_lettered, 1);
        assert_int_equal(q.count, 1);
        for (uint32_t r = 0; r < 2; r++) {
            assert_int_equal(sl_col_i64(&t.b->cols[IOT_K])[r], r ? 3 : 1);
            assert_true(sl_col_is_null(&t.b->cols[IOT_S], r));
        }
        char *text = sl_iot_slurp(dl); /* from the end: slurp measures with ftell */
        assert_non_null(strstr(text, "topic 't' partition 0 offset 11"));
        free(text);
        fclose(dl);
        /* back to every column: s decodes again */
        codec_prune(f, c, NULL, 0);
        sl_batch_reset(t.b);
        assert_int_equal(codec_decode(f, c, &recs[2], 1, t.b, NULL, &consumed, &err), 0);
        sl_str s = sl_col_str(&t.b->cols[IOT_S])[0];
        assert_false(sl_col_is_null(&t.b->cols[IOT_S], 0));
        assert_int_equal(s.len, 1);
        assert_memory_equal(sl_str_data(&s), "c", 1);
        codec_free(f, c);
        sl_iot_close(&t);
    }
}

/* Nothing of a skipped string reaches the batch's string heap. */
static void test_heap_untouched(void **state)
{
    (void)state;
    const char *rec = "{\"k\":1,\"s\":\"a string well over twelve bytes, so it would be on "
                      "the heap\",\"r\":{\"y\":{\"z\":\"another one over twelve bytes\"}}}";
    for (int f = F_JSON; f <= F_JSON_SIMDJSON; f++) {
        struct sl_iot t;
        sl_iot_open(&t, sl_iot_schema());
        void *c = codec_new(f, t.schema);
        bool need[IOT_NCOLS] = {0};
        need[IOT_K] = true;
        codec_prune(f, c, need, IOT_NCOLS);
        struct sl_record r = sl_iot_rec(rec, 0);
        struct sl_error err;
        size_t consumed;
        for (uint32_t i = 0; i < SL_BATCH_CAP; i++)
            assert_int_equal(codec_decode(f, c, &r, 1, t.b, NULL, &consumed, &err), 0);
        size_t used = 0;
        for (struct sl_strchunk *ch = t.b->strheap; ch; ch = ch->next)
            used += ch->used;
        assert_int_equal(used, 0);
        codec_prune(f, c, NULL, 0);
        sl_batch_reset(t.b);
        assert_int_equal(codec_decode(f, c, &r, 1, t.b, NULL, &consumed, &err), 0);
        used = 0;
        for (struct sl_strchunk *ch = t.b->strheap; ch; ch = ch->next)
            used += ch->used;
        assert_true(used > 0);
        codec_free(f, c);
        sl_iot_close(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_every_mask), cmocka_unit_test(test_csv_every_mask),
        cmocka_unit_test(test_csv_stream),      cmocka_unit_test(test_raw_every_mask),
        cmocka_unit_test(test_policies),        cmocka_unit_test(test_heap_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
