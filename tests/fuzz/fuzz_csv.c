/*
 * tests/fuzz/fuzz_csv.c - libFuzzer target for the CSV decoder (io/csv.h).
 *
 * The first byte picks the delimiter and whether a null literal is used; the rest is
 * decoded as one record, and as a line stream (fed in two pieces, then final) under
 * 'skip'; whatever decodes goes through the round-trip oracle of fuzz_common.h.
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
    static struct sl_csv *csv[4];
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
        for (int i = 0; i < 4; i++) {
            csv[i] = sl_csv_new(schema, &opts[i], &err);
            sl_fuzz_check(csv[i] != NULL, "set-up", err.msg);
        }
    }
    if (size == 0)
        return 0;
    struct sl_csv *c = csv[data[0] & 3];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct sl_batch *b = sl_batch_pool_get(pool), *spare = sl_batch_pool_get(pool);
    struct sl_error err;
    size_t consumed;
    struct sl_record one = {"fuzz", 0, 0, -1, NULL, 0, text, len};
    if (sl_csv_decode(c, &one, 1, b, NULL, &consumed, &err) == 0 && b->rows)
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
    sl_batch_pool_put(b);
    sl_batch_pool_put(spare);
    return 0;
}
