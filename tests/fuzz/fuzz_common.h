/*
 * tests/fuzz/fuzz_common.h - what the fuzz targets share: a schema with every type and
 * nested ROWs, and the round-trip oracle. Header-only so each target stays one program.
 *
 * The oracle: whatever decodes must encode, and encode(decode(encode(x))) must be the same
 * bytes as encode(x). Any crash, sanitizer report or abort() is a finding.
 *
 * Projection pushdown: each input also picks a column mask (sl_fuzz_mask, a hash of its
 * bytes), and sl_fuzz_mask_check holds the masked decode of a record to the unmasked one
 * and to the one with no column needed: a record is malformed or not whatever the mask, so
 * "none needed" fails => the masked decode fails => the unmasked one fails; and what the
 * unmasked decode accepts, the masked one gives back exactly in the decoded columns (the
 * needed ones and the NOT NULL ones), with the others NULL. And "malformed" is pinned down
 * on its own: with every column a nullable VARCHAR (sl_fuzz_schema_text) no value can be of
 * the wrong type, so the unmasked decode under that schema fails exactly for malformed
 * records (and, in JSON, a scalar where a ROW's object should be) - the same records the
 * decode with no column needed must reject, but for a type error in the NOT NULL column
 * 'k', which is always decoded (sl_fuzz_k_error).
 */
#ifndef SL_TESTS_FUZZ_COMMON_H
#define SL_TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "io/fmt.h"

static struct sl_schema *sl_fuzz_schema(void)
{
    const char *names[] = {"b", "i", "l", "d", "m", "t", "s", "r.x", "r.y.z", "k"};
    struct sl_type types[] = {
        sl_type_make(SL_TYPE_BOOLEAN, true), sl_type_make(SL_TYPE_INT, true),
        sl_type_make(SL_TYPE_BIGINT, true),  sl_type_make(SL_TYPE_DOUBLE, true),
        sl_type_decimal(10, 3, true),        sl_type_make(SL_TYPE_TIMESTAMP, true),
        sl_type_make(SL_TYPE_VARCHAR, true), sl_type_make(SL_TYPE_BIGINT, true),
        sl_type_make(SL_TYPE_VARCHAR, true), sl_type_make(SL_TYPE_BIGINT, false),
    };
    return sl_schema_new(10, names, types);
}

/* A column mask of the fuzz schema picked by the input (FNV-1a of its bytes), into need[]. */
static void sl_fuzz_mask(const uint8_t *data, size_t size, bool *need, uint32_t ncols)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 0x100000001b3u;
    }
    for (uint32_t c = 0; c < ncols; c++)
        need[c] = (h >> (c + 7)) & 1;
}

/* The fuzz schema's names with every column a nullable VARCHAR. */
static struct sl_schema *sl_fuzz_schema_text(void)
{
    const char *names[] = {"b", "i", "l", "d", "m", "t", "s", "r.x", "r.y.z", "k"};
    struct sl_type types[10];
    for (int i = 0; i < 10; i++)
        types[i] = sl_type_make(SL_TYPE_VARCHAR, true);
    return sl_schema_new(10, names, types);
}

/* Whether an error is a value error of the NOT NULL column k (always decoded). */
static bool sl_fuzz_k_error(const char *msg)
{
    return strstr(msg, "field 'k' (BIGINT NOT NULL)") != NULL;
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

/*
 * The mask oracle for one record (see above): rc_full / full (row 0) is the unmasked decode,
 * rc_mask / masked (row 0) the decode with need[], rc_none the decode with no column needed.
 */
static void sl_fuzz_mask_check(int rc_full, struct sl_batch *full, int rc_mask,
                               struct sl_batch *masked, int rc_none, const bool *need)
{
    sl_fuzz_check(!rc_mask || rc_full, "the masked decode rejects what the unmasked accepts", "");
    sl_fuzz_check(!rc_none || rc_mask,
                  "a record malformed with no column needed decodes "
                  "with some",
                  "");
    if (rc_full)
        return;
    for (uint32_t c = 0; c < masked->ncols; c++) {
        struct sl_column *m = &masked->cols[c], *f = &full->cols[c];
        bool decoded = need[c] || !m->type.nullable;
        if (!decoded) {
            sl_fuzz_check(sl_col_is_null(m, 0), "a column not needed is not NULL", "");
            continue;
        }
        bool nm = sl_col_is_null(m, 0), nf = sl_col_is_null(f, 0);
        sl_fuzz_check(nm == nf, "a decoded column's NULL differs from the unmasked decode", "");
        if (nm)
            continue;
        size_t w = sl_type_width((sl_type_id)m->type.id);
        if (m->type.id == SL_TYPE_VARCHAR) {
            const sl_str *a = &sl_col_str(m)[0], *b = &sl_col_str(f)[0];
            sl_fuzz_check(a->len == b->len && memcmp(sl_str_data(a), sl_str_data(b), a->len) == 0,
                          "a decoded string differs from the unmasked decode", "");
        } else {
            sl_fuzz_check(memcmp(m->data, f->data, w) == 0,
                          "a decoded value differs from the unmasked decode", "");
        }
    }
}

#endif
