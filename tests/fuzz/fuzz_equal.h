/*
 * tests/fuzz/fuzz_equal.h - cell-by-cell row comparison for the fuzz targets' differential
 * oracles (tests/util/iotest.c has the same for cmocka tests; the fuzz targets link only
 * libsluice). Header-only so each target stays one program.
 */
#ifndef SL_TESTS_FUZZ_EQUAL_H
#define SL_TESTS_FUZZ_EQUAL_H

#include <stdbool.h>
#include <string.h>

#include "engine/core/batch.h"

/* Whether row ra of a and row rb of b hold the same NULLs and values (doubles bit for bit,
 * strings by content). */
static bool sl_fuzz_rows_equal(struct sl_batch *a, uint32_t ra, struct sl_batch *b, uint32_t rb)
{
    if (a->ncols != b->ncols)
        return false;
    for (uint32_t c = 0; c < a->ncols; c++) {
        struct sl_column *x = &a->cols[c], *y = &b->cols[c];
        bool nx = sl_col_is_null(x, ra), ny = sl_col_is_null(y, rb);
        if (nx != ny)
            return false;
        if (nx)
            continue;
        switch (x->type.id) {
        case SL_TYPE_BOOLEAN:
            if (sl_col_bool(x)[ra] != sl_col_bool(y)[rb])
                return false;
            break;
        case SL_TYPE_INT:
            if (sl_col_i32(x)[ra] != sl_col_i32(y)[rb])
                return false;
            break;
        case SL_TYPE_DOUBLE:
            if (memcmp(&sl_col_f64(x)[ra], &sl_col_f64(y)[rb], sizeof(double)) != 0)
                return false;
            break;
        case SL_TYPE_VARCHAR: {
            const sl_str *s = &sl_col_str(x)[ra], *t = &sl_col_str(y)[rb];
            if (s->len != t->len || memcmp(sl_str_data(s), sl_str_data(t), s->len) != 0)
                return false;
            break;
        }
        default:
            if (sl_col_i64(x)[ra] != sl_col_i64(y)[rb])
                return false;
            break;
        }
    }
    return true;
}

#endif
