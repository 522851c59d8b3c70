/*
 * tests/fuzz/fuzz_common.h - what the fuzz targets share: a schema with every type and
 * nested ROWs, and the round-trip oracle. Header-only so each target stays one program.
 *
 * The oracle: whatever decodes must encode, and encode(decode(encode(x))) must be the same
 * bytes as encode(x). Any crash, sanitizer report or abort() is a finding.
 */
#ifndef SL_TESTS_FUZZ_COMMON_H
#define SL_TESTS_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "io/fmt.h"

static struct sl_schema *sl_fuzz_schema(void)
{
    const char *names[] = {"b", "i", "l", "d", "m", "t", "s", "r.x", "r.y.z", "k"};
    struct sl_type types[] = {
        sl_type_make(SL_TYPE_BOOLEAN, true),   sl_type_make(SL_TYPE_INT, true),
        sl_type_make(SL_TYPE_BIGINT, true),    sl_type_make(SL_TYPE_DOUBLE, true),
        sl_type_decimal(10, 3, true),          sl_type_make(SL_TYPE_TIMESTAMP, true),
        sl_type_make(SL_TYPE_VARCHAR, true),   sl_type_make(SL_TYPE_BIGINT, true),
        sl_type_make(SL_TYPE_VARCHAR, true),   sl_type_make(SL_TYPE_BIGINT, false),
    };
    return sl_schema_new(10, names, types);
}

typedef int (*sl_fuzz_enc_fn)(void *codec, struct sl_batch *b, struct sl_fmt_out *out,
                              struct sl_error *err);
typedef int (*sl_fuzz_dec_fn)(void *codec, const struct sl_record *recs, size_t n,
                              struct sl_batch *b, struct sl_badrec *bad, size_t *consumed,
                              struct sl_error *err);

static void sl_fuzz_check(int ok, const char *what, const char *detail)
{
    if (!ok) {
        fprintf(stderr, "fuzz oracle: %s: %s\n", what, detail);
        abort();
    }
}

/* The round-trip oracle over the rows of `b`, using `spare` as scratch. */
static void sl_fuzz_round_trip(void *codec, sl_fuzz_enc_fn enc, sl_fuzz_dec_fn dec,
                               struct sl_batch *b, struct sl_batch *spare)
{
    struct sl_fmt_out o1, o2;
    struct sl_error err;
    sl_fmt_out_init(&o1);
    sl_fmt_out_init(&o2);
    sl_fuzz_check(enc(codec, b, &o1, &err) == 0, "encode", err.msg);
    struct sl_record *recs = calloc(o1.nrec + 1, sizeof(*recs));
    sl_fuzz_check(recs != NULL, "calloc", "");
    for (uint32_t i = 0; i < o1.nrec; i++) {
        recs[i].topic = "fuzz";
        recs[i].value = sl_fmt_out_rec(&o1, i);
        recs[i].value_len = sl_fmt_out_rec_len(&o1, i);
    }
    sl_batch_reset(spare);
    size_t consumed = 0;
    sl_fuzz_check(dec(codec, recs, o1.nrec, spare, NULL, &consumed, &err) == 0,
                  "decode of an encoded row", err.msg);
    sl_fuzz_check(consumed == o1.nrec, "decode consumed", "");
    sl_fuzz_check(enc(codec, spare, &o2, &err) == 0, "re-encode", err.msg);
    sl_fuzz_check(o1.len == o2.len && memcmp(o1.data, o2.data, o1.len) == 0,
                  "encode(decode(encode(x))) != encode(x)", "");
    free(recs);
    sl_fmt_out_free(&o1);
    sl_fmt_out_free(&o2);
}

#endif
