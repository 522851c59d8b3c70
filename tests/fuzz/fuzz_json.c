/*
 * tests/fuzz/fuzz_json.c - libFuzzer target for the JSON decoder (io/json.h).
 *
 * The input is one record (a Kafka message) and also, split at newlines, a run of records
 * decoded under 'skip' into a small batch; whatever decodes goes through the round-trip
 * oracle of fuzz_common.h. A second oracle compares the decoder's two paths: the one-record
 * decode is done by a fast-path codec per SIMD level the CPU has and by one without the
 * fast path (SLUICE_JSON_FAST=off: simdjson only), and the return code, the error message
 * and every cell must be the same. The same again with a column mask picked by the input
 * (projection pushdown): fast and simdjson paths agree under it, and the mask oracle of
 * fuzz_common.h holds it to the unmasked decode and to the all-VARCHAR schema's decode. The
 * input is copied into a buffer of exactly its size, so ASan sees any read past the record.
 * Built with -DSLUICE_FUZZ=ON and clang; run by tools/fuzz.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "kernels/simd.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_equal.h"

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
    static struct sl_json *json, *slow, *levels[SL_SIMD_COUNT];
    static struct sl_json *mslow, *none, *mlevels[SL_SIMD_COUNT]; /* masked codecs */
    static struct sl_schema *tschema;                             /* every column VARCHAR */
    static struct sl_batch_pool *tpool;
    static struct sl_json *text;
    if (!schema) {
        struct sl_error err;
        struct sl_fmt_opts opts = {.max_record_bytes = 1 << 16};
        schema = sl_fuzz_schema();
        pool = sl_batch_pool_new(NULL, schema, 3);
        /* a fast-path codec per SIMD level this CPU has; `json` is the best of them */
        for (int l = 0; l < SL_SIMD_COUNT; l++) {
            if (sl_simd_use((sl_simd_level)l) != 0)
                continue;
            levels[l] = sl_json_new(schema, &opts, &err);
            mlevels[l] = sl_json_new(schema, &opts, &err);
            sl_fuzz_check(levels[l] && mlevels[l], "set-up", "");
            json = levels[l];
        }
        sl_simd_init();
        setenv("SLUICE_JSON_FAST", "off", 1);
        slow = sl_json_new(schema, &opts, &err);
        mslow = sl_json_new(schema, &opts, &err);
        none = sl_json_new(schema, &opts, &err);
        unsetenv("SLUICE_JSON_FAST");
        sl_fuzz_check(schema && pool && json && slow && mslow && none, "set-up", "");
        bool nothing[16] = {false};
        sl_json_prune(none, nothing, schema->ncols);
        tschema = sl_fuzz_schema_text();
        tpool = tschema ? sl_batch_pool_new(NULL, tschema, 1) : NULL;
        text = tpool ? sl_json_new(tschema, &opts, &err) : NULL;
        sl_fuzz_check(text != NULL, "set-up", "");
    }
    struct sl_batch *b = sl_batch_pool_get(pool), *spare = sl_batch_pool_get(pool);
    struct sl_batch *ref = sl_batch_pool_get(pool);
    struct sl_error err, rerr;
    size_t consumed, rconsumed;
    /* the whole input as one record, from a buffer of exactly its size */
    uint8_t *copy = malloc(size ? size : 1);
    sl_fuzz_check(copy != NULL, "malloc", "");
    if (size)
        memcpy(copy, data, size);
    struct sl_record one = {.topic = "fuzz",
                            .partition = 0,
                            .offset = 0,
                            .timestamp = -1,
                            .value = copy,
                            .value_len = size};
    sl_error_clear(&rerr);
    int rrc = sl_json_decode(slow, &one, 1, ref, NULL, &rconsumed, &rerr);
    int rc = 0;
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!levels[l])
            continue;
        sl_batch_reset(b);
        sl_error_clear(&err);
        rc = sl_json_decode(levels[l], &one, 1, b, NULL, &consumed, &err);
        sl_fuzz_check(rc == rrc && consumed == rconsumed,
                      "fast and simdjson paths disagree on the outcome", rc ? err.msg : rerr.msg);
        sl_fuzz_check(rc == 0 || strcmp(err.msg, rerr.msg) == 0,
                      "fast and simdjson paths give different errors", err.msg);
        if (rc == 0)
            sl_fuzz_check(sl_fuzz_rows_equal(b, 0, ref, 0),
                          "fast and simdjson paths give different rows", "");
    }
    /* the same record under the input's column mask */
    bool need[16];
    sl_fuzz_mask(data, size, need, schema->ncols);
    sl_json_prune(mslow, need, schema->ncols);
    struct sl_batch *mref = sl_batch_pool_get(pool), *nb = sl_batch_pool_get(pool);
    struct sl_error merr;
    size_t mconsumed;
    sl_error_clear(&merr);
    int mrc = sl_json_decode(mslow, &one, 1, mref, NULL, &mconsumed, &merr);
    struct sl_error nerr;
    sl_error_clear(&nerr);
    int nrc = sl_json_decode(none, &one, 1, nb, NULL, &consumed, &nerr);
    sl_fuzz_mask_check(rrc, ref, mrc, mref, nrc, need);
    {
        /* malformed (or a ROW that is no object) <=> the decode without columns fails */
        struct sl_batch *tb = sl_batch_pool_get(tpool);
        struct sl_error terr;
        sl_error_clear(&terr);
        int trc = sl_json_decode(text, &one, 1, tb, NULL, &consumed, &terr);
        sl_batch_pool_put(tb);
        sl_fuzz_check(trc || !nrc || sl_fuzz_k_error(nerr.msg),
                      "well-formed JSON rejected with no column needed", nerr.msg);
        sl_fuzz_check(!trc || nrc || strstr(terr.msg, "is a ROW and needs a JSON object"),
                      "malformed JSON accepted with no column needed", terr.msg);
    }
    for (int l = 0; l < SL_SIMD_COUNT; l++) {
        if (!mlevels[l])
            continue;
        sl_json_prune(mlevels[l], need, schema->ncols);
        sl_batch_reset(nb);
        sl_error_clear(&err);
        int lrc = sl_json_decode(mlevels[l], &one, 1, nb, NULL, &consumed, &err);
        sl_fuzz_check(lrc == mrc && consumed == mconsumed,
                      "masked: fast and simdjson paths disagree on the outcome",
                      lrc ? err.msg : merr.msg);
        sl_fuzz_check(lrc == 0 || strcmp(err.msg, merr.msg) == 0,
                      "masked: fast and simdjson paths give different errors", err.msg);
        if (lrc == 0)
            sl_fuzz_check(sl_fuzz_rows_equal(nb, 0, mref, 0),
                          "masked: fast and simdjson paths give different rows", "");
    }
    sl_batch_pool_put(mref);
    sl_batch_pool_put(nb);
    free(copy);
    sl_batch_pool_put(ref);
    if (rc == 0 && b->rows)
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
