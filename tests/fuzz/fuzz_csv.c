/*
 * tests/fuzz/fuzz_csv.c - libFuzzer target for the CSV decoder (io/csv.h).
 *
 * The first byte picks the delimiter and whether a null literal is used; the rest is
 * decoded as one record, and as a line stream (fed in two pieces, then final) under
 * 'skip'; whatever decodes goes through the round-trip oracle of fuzz_common.h. The record
 * is decoded again under a column mask picked by the input and with no column needed, for
 * the mask oracle of fuzz_common.h (the all-VARCHAR schema's decode fails exactly when
 * the one with no column needed does); and the line stream under the mask frames the same
 * lines (rows + skipped the same) and rejects no line the unmasked stream accepts.
 */
#include <stdint.h>

#include "io/csv.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int enc(void *c, struct sl_batch *b, struct sl_fmt_out *o, struct sl_error *e)
{
    return sl_csv_encode(c, b, o, e);
}

static int dec(void *c, const struct sl_record *r, size_t n, struct sl_batch *b,
               struct sl_badrec *bad, size_t *consumed, struct sl_error *e)
{
    return sl_csv_decode(c, r, n, b, bad, consumed, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sl_schema *schema;
    static struct sl_batch_pool *pool;
    static struct sl_csv *csv[4], *mcsv[4], *ncsv[4]; /* all, masked, no column needed */
    static struct sl_csv *tcsv[4];                    /* every column VARCHAR */
    static struct sl_schema *tschema;
    static struct sl_batch_pool *tpool;
    if (!schema) {
        struct sl_error err;
        static const struct sl_fmt_opts opts[4] = {
            {.max_record_bytes = 1 << 16},
            {.max_record_bytes = 1 << 16, .csv_delimiter = ';', .csv_null_literal = "NULL"},
            {.max_record_bytes = 1 << 16, .csv_delimiter = '\t'},
            {.max_record_bytes = 1 << 16, .csv_null_literal = "\\N"},
        };
        schema = sl_fuzz_schema();
        pool = sl_batch_pool_new(NULL, schema, 2);
        sl_fuzz_check(schema && pool, "set-up", "");
        bool nothing[16] = {false};
        tschema = sl_fuzz_schema_text();
        tpool = tschema ? sl_batch_pool_new(NULL, tschema, 1) : NULL;
        sl_fuzz_check(tpool != NULL, "set-up", "");
        for (int i = 0; i < 4; i++) {
            tcsv[i] = sl_csv_new(tschema, &opts[i], &err);
            sl_fuzz_check(tcsv[i] != NULL, "set-up", "");
            csv[i] = sl_csv_new(schema, &opts[i], &err);
            mcsv[i] = sl_csv_new(schema, &opts[i], &err);
            ncsv[i] = sl_csv_new(schema, &opts[i], &err);
            sl_fuzz_check(csv[i] && mcsv[i] && ncsv[i], "set-up", err.msg);
            sl_csv_prune(ncsv[i], nothing, schema->ncols);
        }
    }
    if (size == 0)
        return 0;
    struct sl_csv *c = csv[data[0] & 3], *mc = mcsv[data[0] & 3], *nc = ncsv[data[0] & 3];
    bool need[16];
    sl_fuzz_mask(data, size, need, schema->ncols);
    sl_csv_prune(mc, need, schema->ncols);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct sl_batch *b = sl_batch_pool_get(pool), *spare = sl_batch_pool_get(pool);
    struct sl_error err;
    size_t consumed;
    struct sl_record one = {.topic = "fuzz",
                            .partition = 0,
                            .offset = 0,
                            .timestamp = -1,
                            .value = text,
                            .value_len = len};
    int rc = sl_csv_decode(c, &one, 1, b, NULL, &consumed, &err);
    {
        struct sl_batch *mb = sl_batch_pool_get(pool), *nb = sl_batch_pool_get(pool);
        sl_fuzz_check(mb && nb, "batch", "");
        struct sl_error nerr;
        int mrc = sl_csv_decode(mc, &one, 1, mb, NULL, &consumed, &err);
        sl_error_clear(&nerr);
        int nrc = sl_csv_decode(nc, &one, 1, nb, NULL, &consumed, &nerr);
        sl_fuzz_mask_check(rc, b, mrc, mb, nrc, need);
        struct sl_batch *tb = sl_batch_pool_get(tpool);
        int trc = sl_csv_decode(tcsv[data[0] & 3], &one, 1, tb, NULL, &consumed, &err);
        sl_fuzz_check(!trc || nrc, "malformed CSV accepted with no column needed", err.msg);
        sl_fuzz_check(trc || !nrc || sl_fuzz_k_error(nerr.msg),
                      "well-formed CSV rejected with no column needed", nerr.msg);
        sl_batch_pool_put(tb);
        sl_batch_pool_put(mb);
        sl_batch_pool_put(nb);
    }
    if (rc == 0 && b->rows)
        sl_fuzz_round_trip(c, enc, dec, b, spare);
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_SKIP, NULL, NULL);
    size_t pos = 0, avail = len / 2;
    for (int final = 0; final < 2; final++) {
        if (final)
            avail = len;
        for (;;) {
            size_t used;
            sl_batch_reset(b);
            sl_fuzz_check(sl_csv_decode_stream(c, text + pos, avail - pos, final, "fuzz",
                                               (int64_t)pos, b, &bad, &used, &err) == 0,
                          "stream decode under skip failed", err.msg);
            pos += used;
            sl_fuzz_check(pos <= avail, "stream overran its input", "");
            if (b->rows)
                sl_fuzz_round_trip(c, enc, dec, b, spare);
            if (used == 0 || pos == avail)
                break;
        }
    }
    sl_fuzz_check(pos == len, "final stream decode left bytes", "");
    /* the whole stream at once, unmasked and masked: the same lines */
    uint64_t rows[2] = {0, 0}, skipped[2] = {0, 0};
    for (int m = 0; m < 2; m++) {
        struct sl_badrec sb;
        sl_badrec_init(&sb, SL_BADREC_SKIP, NULL, NULL);
        size_t at = 0;
        while (at < len) {
            size_t used;
            sl_batch_reset(b);
            sl_fuzz_check(sl_csv_decode_stream(m ? mc : c, text + at, len - at, true, "fuzz",
                                               (int64_t)at, b, &sb, &used, &err) == 0,
                          "stream decode under skip failed", err.msg);
            sl_fuzz_check(used > 0, "no progress", "");
            rows[m] += b->rows;
            at += used;
        }
        skipped[m] = sb.skipped;
    }
    sl_fuzz_check(rows[0] + skipped[0] == rows[1] + skipped[1],
                  "the masked stream frames other lines", "");
    sl_fuzz_check(rows[1] >= rows[0], "the masked stream rejects a line the unmasked accepts", "");
    sl_batch_pool_put(b);
    sl_batch_pool_put(spare);
    return 0;
}
