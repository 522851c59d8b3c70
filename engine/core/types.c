/*
 * engine/core/types.c - SQL types (see types.h).
 */
#include "engine/core/types.h"

#include "engine/core/le.h"
#include "kernels/arith.h"

#include <stdio.h>
#include <string.h>

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

/* ---- MAP<STRING, BYTES> values ------------------------------------------------------------- */

static uint32_t sl_map_u32(const char *p)
{
    return sl_le_get32(p);
}

bool sl_map_valid(const char *p, size_t n)
{
    if (n < 4)
        return false;
    uint32_t count = sl_map_u32(p);
    size_t pos = 4;
    for (uint32_t i = 0; i < count; i++) {
        if (n - pos < 4)
            return false;
        uint32_t kl = sl_map_u32(p + pos);
        pos += 4;
        if (n - pos < (size_t)kl + 4)
            return false;
        pos += kl;
        uint32_t vl = sl_map_u32(p + pos);
        pos += 4;
        if (vl == SL_MAP_NULL_VALUE)
            continue;
        if (n - pos < vl)
            return false;
        pos += vl;
    }
    return pos == n;
}

uint32_t sl_map_count(const char *p, size_t n)
{
    return n >= 4 ? sl_map_u32(p) : 0;
}

bool sl_map_next(const char *p, size_t n, size_t *pos, const char **key, uint32_t *klen,
                 const char **val, uint32_t *vlen)
{
    if (*pos == 0)
        *pos = 4;
    if (*pos >= n)
        return false;
    *klen = sl_map_u32(p + *pos);
    *key = p + *pos + 4;
    *pos += 4 + (size_t)*klen;
    uint32_t vl = sl_map_u32(p + *pos);
    *pos += 4;
    if (vl == SL_MAP_NULL_VALUE) {
        *val = NULL;
        *vlen = 0;
    } else {
        *val = p + *pos;
        *vlen = vl;
        *pos += vl;
    }
    return true;
}

bool sl_map_get(const char *p, size_t n, const char *key, uint32_t klen, const char **val,
                uint32_t *vlen)
{
    size_t pos = 0;
    const char *k, *v;
    uint32_t kl, vl;
    bool found = false;
    while (sl_map_next(p, n, &pos, &k, &kl, &v, &vl))
        if (kl == klen && memcmp(k, key, klen) == 0) {
            *val = v;
            *vlen = vl;
            found = true; /* the last one wins, as in Flink's map of the headers */
        }
    return found;
}

size_t sl_map_put_entry(char *out, const char *key, uint32_t klen, const char *val, uint32_t vlen)
{
    sl_le_put32(out, klen);
    memcpy(out + 4, key, klen);
    sl_le_put32(out + 4 + klen, val ? vlen : SL_MAP_NULL_VALUE);
    if (val && vlen)
        memcpy(out + 8 + klen, val, vlen);
    return sl_map_entry_size(klen, val, vlen);
}

void sl_map_put_count(char *out, uint32_t n)
{
    sl_le_put32(out, n);
}
