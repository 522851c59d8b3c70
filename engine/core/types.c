/*
 * engine/core/types.c - SQL types (see types.h).
 */
#include "engine/core/types.h"

#include "kernels/arith.h"

#include <stdio.h>

static const struct {
    const char *name;
    size_t width;
} sl_type_info[SL_TYPE_COUNT] = {
    [SL_TYPE_BOOLEAN] = {"BOOLEAN", 1},  [SL_TYPE_INT] = {"INT", 4},
    [SL_TYPE_BIGINT] = {"BIGINT", 8},    [SL_TYPE_DOUBLE] = {"DOUBLE", 8},
    [SL_TYPE_DECIMAL] = {"DECIMAL", 8},  [SL_TYPE_TIMESTAMP] = {"TIMESTAMP", 8},
    [SL_TYPE_VARCHAR] = {"VARCHAR", 16},
};

struct sl_type sl_type_decimal(unsigned precision, unsigned scale, bool nullable)
{
    struct sl_type t = {SL_TYPE_DECIMAL, (uint8_t)precision, (uint8_t)scale, nullable, 0};
    if (precision < 1 || precision > SL_DECIMAL_MAX_PRECISION || scale > precision)
        t.id = SL_TYPE_COUNT;
    return t;
}

size_t sl_type_width(sl_type_id id)
{
    return (unsigned)id < SL_TYPE_COUNT ? sl_type_info[id].width : 0;
}

const char *sl_type_name(sl_type_id id)
{
    return (unsigned)id < SL_TYPE_COUNT ? sl_type_info[id].name : "UNKNOWN";
}

void sl_type_format(struct sl_type type, char *buf, size_t len)
{
    const char *nn = type.nullable ? "" : " NOT NULL";
    if (sl_type_is_ltz(type))
        snprintf(buf, len, "TIMESTAMP_LTZ(%u)%s", type.precision, nn);
    else if (sl_type_is_bytes(type))
        snprintf(buf, len, "BYTES%s", nn);
    else if (sl_type_is_map(type))
        snprintf(buf, len, "MAP<STRING, BYTES>%s", nn);
    else if (type.id == SL_TYPE_DECIMAL)
        snprintf(buf, len, "DECIMAL(%u, %u)%s", type.precision, type.scale, nn);
    else if (type.id == SL_TYPE_TIMESTAMP)
        snprintf(buf, len, "TIMESTAMP(%u)%s", type.precision, nn);
    else
        snprintf(buf, len, "%s%s", sl_type_name((sl_type_id)type.id), nn);
}

bool sl_type_equal(struct sl_type a, struct sl_type b)
{
    return a.id == b.id && a.precision == b.precision && a.scale == b.scale &&
           a.nullable == b.nullable && a.logical == b.logical;
}

int64_t sl_pow10_i64(unsigned k)
{
    return k <= 18 ? sl_arith_pow10[k] : 0; /* the kernels' table: one copy */
}
