/*
 * engine/core/types.h - SQL types and their physical layout in a column.
 *
 *   type          physical value                         width
 *   BOOLEAN       uint8_t, 0 or 1                         1
 *   INT           int32_t                                 4
 *   BIGINT        int64_t                                 8
 *   DOUBLE        double                                  8
 *   DECIMAL(p,s)  int64_t, the value times 10^s          8
 *                 (p up to 38 is accepted, as in Flink, but values are kept in 64 bits:
 *                 a value beyond +-9.2e18 / 10^s is an overflow error, never wrapped)
 *   TIMESTAMP(3)  int64_t, milliseconds since the epoch   8
 *   VARCHAR       sl_str, a 16-byte string view           16
 *
 * Nested ROW columns are flattened to columns at plan time and never reach a batch.
 */
#ifndef SL_ENGINE_TYPES_H
#define SL_ENGINE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kcommon.h"

typedef enum sl_type_id {
    SL_TYPE_BOOLEAN = 0,
    SL_TYPE_INT,
    SL_TYPE_BIGINT,
    SL_TYPE_DOUBLE,
    SL_TYPE_DECIMAL,
    SL_TYPE_TIMESTAMP,
    SL_TYPE_VARCHAR,
    SL_TYPE_COUNT
} sl_type_id;

#define SL_DECIMAL_MAX_PRECISION 38   /* declared precision, as Flink allows */
#define SL_DECIMAL_EXACT_PRECISION 18 /* every value of this precision fits in 64 bits */

struct sl_type {
    uint8_t id;        /* sl_type_id */
    uint8_t precision; /* DECIMAL: total digits (1..38); TIMESTAMP: 3 */
    uint8_t scale;     /* DECIMAL: digits after the point (0..precision) */
    bool nullable;     /* whether the column carries a validity bitmap */
};

static inline struct sl_type sl_type_make(sl_type_id id, bool nullable)
{
    struct sl_type t = {(uint8_t)id, id == SL_TYPE_TIMESTAMP ? 3 : 0, 0, nullable};
    return t;
}

/* DECIMAL(p, s); returns a type with id SL_TYPE_COUNT when p or s is out of range. */
struct sl_type sl_type_decimal(unsigned precision, unsigned scale, bool nullable);

/* Bytes per value of a type id. */
size_t sl_type_width(sl_type_id id);

/* "BIGINT", "DECIMAL", ... */
const char *sl_type_name(sl_type_id id);

/* Writes the SQL spelling ("DECIMAL(10, 2)", "TIMESTAMP(3)", "BIGINT NOT NULL") into buf. */
void sl_type_format(struct sl_type type, char *buf, size_t len);

bool sl_type_equal(struct sl_type a, struct sl_type b);

/* 10^k for k in 0..18. */
int64_t sl_pow10_i64(unsigned k);

#endif
