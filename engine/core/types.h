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
 *
 * LOGICAL TYPES ON A PHYSICAL ONE
 * The id says how a value is kept, and with it which kernels run on it (gather, hash,
 * compare, snapshot). A few SQL types share a physical type and differ only in what SQL
 * means by them; they are the id plus `logical`:
 *
 *   logical                id         SQL spelling        what differs
 *   SL_LOGICAL_LTZ         TIMESTAMP  TIMESTAMP_LTZ(3)    the name; the json/csv/print text of a
 *                                                         value ('Z'); window_time's type. The
 *                                                         session time zone is UTC (sluice has no
 *                                                         time zone setting), so the value is the
 *                                                         same int64 ms as TIMESTAMP(3)'s and
 *                                                         CAST between the two is the identity.
 *   SL_LOGICAL_BYTES       VARCHAR    BYTES               any bytes (no UTF-8 rule); text is
 *                                                         base64 in json and csv; only =, <>,
 *                                                         IS NULL, CAST to/from STRING, GROUP BY
 *   SL_LOGICAL_MAP         VARCHAR    MAP<STRING, BYTES>  the value is an encoding of its entries
 *                                                         (below); only m['k'], CARDINALITY(m),
 *                                                         IS NULL, the Kafka 'headers' column
 *
 * A flag rather than new ids because every operator that moves, hashes, groups or snapshots
 * an int64 or an sl_str works unchanged on these (a TIMESTAMP_LTZ rowtime runs the same
 * window kernels as a TIMESTAMP one); what differs is SQL semantics, which the binder decides
 * (which operators and casts a type takes) and the formats decide (text). sl_type_equal
 * compares `logical`, so no two of these are ever confused with each other.
 *
 * MAP<STRING, BYTES> VALUE ENCODING (one sl_str; little-endian; Kafka header order kept)
 *
 *   offset  size  field
 *   0       4     n, the number of entries
 *   then n entries, each:
 *           4     key length k (bytes of UTF-8)
 *           k     key
 *           4     value length v, or 0xFFFFFFFF for a NULL value (then no bytes follow)
 *           v     value
 *
 * sluice makes maps with one entry per key (the Kafka source and MAP[...] keep a repeated
 * key once, in its first place, with its last value: Flink's KafkaDynamicSource puts every
 * header into a HashMap in order, so a later one replaces an earlier one); should an encoding
 * hold a key twice, `m['k']` reads the last. sl_map_* below read and write it.
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

typedef enum sl_logical {
    SL_LOGICAL_NONE = 0, /* the id's own SQL type */
    SL_LOGICAL_LTZ,      /* on TIMESTAMP: TIMESTAMP_LTZ(3) */
    SL_LOGICAL_BYTES,    /* on VARCHAR: BYTES (VARBINARY(2147483647)) */
    SL_LOGICAL_MAP,      /* on VARCHAR: MAP<STRING, BYTES> */
} sl_logical;

struct sl_type {
    uint8_t id;        /* sl_type_id */
    uint8_t precision; /* DECIMAL: total digits (1..38); TIMESTAMP: 3 */
    uint8_t scale;     /* DECIMAL: digits after the point (0..precision) */
    bool nullable;     /* whether the column carries a validity bitmap */
    uint8_t logical;   /* sl_logical: the SQL type on this physical one (see above) */
};

static inline struct sl_type sl_type_make(sl_type_id id, bool nullable)
{
    struct sl_type t = {(uint8_t)id, id == SL_TYPE_TIMESTAMP ? 3 : 0, 0, nullable, 0};
    return t;
}

static inline struct sl_type sl_type_logical(sl_type_id id, sl_logical logical, bool nullable)
{
    struct sl_type t = sl_type_make(id, nullable);
    t.logical = (uint8_t)logical;
    return t;
}

/* TIMESTAMP_LTZ(3), BYTES, MAP<STRING, BYTES>. */
static inline bool sl_type_is_ltz(struct sl_type t)
{
    return t.id == SL_TYPE_TIMESTAMP && t.logical == SL_LOGICAL_LTZ;
}
static inline bool sl_type_is_bytes(struct sl_type t)
{
    return t.id == SL_TYPE_VARCHAR && t.logical == SL_LOGICAL_BYTES;
}
static inline bool sl_type_is_map(struct sl_type t)
{
    return t.id == SL_TYPE_VARCHAR && t.logical == SL_LOGICAL_MAP;
}
/* VARCHAR that is text (STRING), not BYTES or a MAP. */
static inline bool sl_type_is_string(struct sl_type t)
{
    return t.id == SL_TYPE_VARCHAR && t.logical == SL_LOGICAL_NONE;
}

/* DECIMAL(p, s); returns a type with id SL_TYPE_COUNT when p or s is out of range. */
struct sl_type sl_type_decimal(unsigned precision, unsigned scale, bool nullable);

/* Bytes per value of a type id. */
size_t sl_type_width(sl_type_id id);

/* "BIGINT", "DECIMAL", ... */
const char *sl_type_name(sl_type_id id);

/* Writes the SQL spelling ("DECIMAL(10, 2)", "TIMESTAMP(3)", "TIMESTAMP_LTZ(3)", "BYTES",
 * "MAP<STRING, BYTES>", "BIGINT NOT NULL") into buf. */
void sl_type_format(struct sl_type type, char *buf, size_t len);

bool sl_type_equal(struct sl_type a, struct sl_type b);

/* ---- MAP<STRING, BYTES> values (the encoding above) ---------------------------------------- */

#define SL_MAP_NULL_VALUE 0xFFFFFFFFu /* a value length meaning NULL */

/* Whether n bytes at p are one well-formed encoding: the count, then exactly that many
 * entries, nothing after them. (Key bytes are not checked for UTF-8 here: whoever makes a
 * map from outside data checks them; the Kafka source does.) */
bool sl_map_valid(const char *p, size_t n);

/* The number of entries of a well-formed encoding. */
uint32_t sl_map_count(const char *p, size_t n);

/* The value of the LAST entry with key (klen bytes) of a well-formed encoding: returns false
 * when there is none, else true with *val / *vlen (*val NULL for a NULL value). */
bool sl_map_get(const char *p, size_t n, const char *key, uint32_t klen, const char **val,
                uint32_t *vlen);

/* Walks a well-formed encoding: *pos starts at 0; each call gives the next entry (val NULL
 * for a NULL value) and returns false past the last. */
bool sl_map_next(const char *p, size_t n, size_t *pos, const char **key, uint32_t *klen,
                 const char **val, uint32_t *vlen);

/* Bytes of the encoding of an entry, and writing one at out (returns the bytes written);
 * val NULL is a NULL value. The count at offset 0 is written with sl_map_put_count. */
static inline size_t sl_map_entry_size(uint32_t klen, const char *val, uint32_t vlen)
{
    return 8 + (size_t)klen + (val ? vlen : 0);
}
size_t sl_map_put_entry(char *out, const char *key, uint32_t klen, const char *val, uint32_t vlen);
void sl_map_put_count(char *out, uint32_t n);

/* 10^k for k in 0..18. */
int64_t sl_pow10_i64(unsigned k);

#endif
