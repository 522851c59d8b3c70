/*
 * tests/fuzz/fuzz_json.c - libFuzzer target for the JSON decoder (io/json.h).
 *
 * The input is one record (a Kafka message) and also, split at newlines, a run of records
 * decoded under 'skip' into a small batch; whatever decodes goes through the round-trip
 * oracle of fuzz_common.h. Built with -DSLUICE_FUZZ=ON and clang; run by tools/fuzz.sh.
 */
#include <stdint.h>

#include "io/json.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int enc(void *c, struct sl_batch *b, struct sl_fmt_out *o, struct sl_error *e)
{
    return sl_json_encode(c, b, o, e);
}

static int dec(void *c, const struct sl_record *r, size_t n, struct sl_batch *b,
               struct sl_badrec *bad, size_t *consumed, struct sl_error *e)
{
    return sl_json_decode(c, r, n, b, bad, consumed, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sl_schema *schema;
    static struct sl_batch_pool *pool;
    static struct sl_json *json;
    if (!schema) {
        struct sl_error err;
        struct sl_fmt_opts opts = {.max_record_bytes = 1 << 16};
        schema = sl_fuzz_schema();
        pool = sl_batch_pool_new(NULL, schema, 2);
        json = sl_json_new(schema, &opts, &err);
        sl_fuzz_check(schema && pool && json, "set-up", "");
    }
    struct sl_batch *b = sl_batch_pool_get(pool), *spare = sl_batch_pool_get(pool);
    struct sl_error err;
    size_t consumed;
    /* the whole input as one record */
    struct sl_record one = {"fuzz", 0, 0, -1, NULL, 0, data, size};
    if (sl_json_decode(json, &one, 1, b, NULL, &consumed, &err) == 0 && b->rows)
        sl_fuzz_round_trip(json, enc, dec, b, spare);
    /* lines as records, bad ones skipped */
    struct sl_record recs[64];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < 64; i++) {
        if (i == size || data[i] == '\n') {
            recs[n] = one;
            recs[n].offset = (int64_t)start;
            recs[n].value = data + start;
            recs[n].value_len = i - start;
            n++;
            start = i + 1;
        }
    }
    struct sl_badrec bad;
    sl_badrec_init(&bad, SL_BADREC_SKIP, NULL, NULL);
    size_t done = 0;
    while (done < n) {
        sl_batch_reset(b);
        sl_fuzz_check(sl_json_decode(json, recs + done, n - done, b, &bad, &consumed, &err) == 0,
                      "decode under skip failed", err.msg);
        sl_fuzz_check(consumed > 0, "no progress", "");
        done += consumed;
        sl_fuzz_check(b->rows + bad.skipped <= done, "rows + skipped exceed records", "");
        if (b->rows)
            sl_fuzz_round_trip(json, enc, dec, b, spare);
    }
    sl_batch_pool_put(b);
    sl_batch_pool_put(spare);
    return 0;
}
