/*
 * engine/core/state.h - checkpoint state as bytes: a growable output buffer and a bounds-checked
 * reader, shared by every operator, source and sink that takes part in checkpoints.
 *
 * HOW IT WORKS
 * An operator's (or source's, or sink's) save() appends its state to a struct sl_sbuf with
 * the put functions below: fixed-width little-endian integers and length-prefixed byte
 * strings, nothing else, so the bytes are the same on every machine sluice runs on. The
 * engine puts each part's bytes into one block of the worker's snapshot file (io/snapshot.h,
 * which adds the CRC32C). restore() reads them back with the get functions, which never
 * read past the end: a short or malformed state is SL_ECORRUPT with a message naming what
 * was being read (`what`, e.g. "pipeline 0 node 3 (window aggregation)") and the byte
 * offset, never a crash.
 *
 * An sl_sbuf that ran out of memory is failed: later puts do nothing, and sl_sbuf_check
 * reports SL_ENOMEM once at the end (so save() functions need not check every put).
 *
 * OWNERSHIP: an sl_sbuf owns its bytes (process heap: they travel from a worker to the
 * checkpoint coordinator); sl_sbuf_free frees them. An sl_sread only looks at bytes the
 * caller keeps alive.
 */
#ifndef SL_ENGINE_STATE_H
#define SL_ENGINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

struct sl_sbuf {
    uint8_t *p;
    size_t len, cap;
    bool failed; /* a put ran out of memory */
};

void sl_sbuf_init(struct sl_sbuf *b);
void sl_sbuf_free(struct sl_sbuf *b);
/* Forgets the contents, keeps the memory. */
void sl_sbuf_reset(struct sl_sbuf *b);
/* Room for `n` more bytes; false (and failed) when out of memory. */
bool sl_sbuf_reserve(struct sl_sbuf *b, size_t n);
void sl_sbuf_put(struct sl_sbuf *b, const void *data, size_t n);
void sl_sbuf_put_u8(struct sl_sbuf *b, uint8_t v);
void sl_sbuf_put_u32(struct sl_sbuf *b, uint32_t v);
void sl_sbuf_put_u64(struct sl_sbuf *b, uint64_t v);
void sl_sbuf_put_i64(struct sl_sbuf *b, int64_t v);
/* u32 length, then the bytes. */
void sl_sbuf_put_bytes(struct sl_sbuf *b, const void *data, uint32_t n);
void sl_sbuf_put_str(struct sl_sbuf *b, const char *s);
/* 0, or SL_ENOMEM with a message when a put failed. */
int sl_sbuf_check(const struct sl_sbuf *b, struct sl_error *err);

struct sl_sread {
    const uint8_t *p;
    size_t len, off;
    const char *what; /* for errors: whose state this is */
};

void sl_sread_init(struct sl_sread *r, const void *data, size_t len, const char *what);
/* The bytes not read yet. */
static inline size_t sl_sread_left(const struct sl_sread *r)
{
    return r->len - r->off;
}
int sl_sread_get(struct sl_sread *r, void *out, size_t n, struct sl_error *err);
int sl_sread_u8(struct sl_sread *r, uint8_t *v, struct sl_error *err);
int sl_sread_u32(struct sl_sread *r, uint32_t *v, struct sl_error *err);
int sl_sread_u64(struct sl_sread *r, uint64_t *v, struct sl_error *err);
int sl_sread_i64(struct sl_sread *r, int64_t *v, struct sl_error *err);
/* A length-prefixed byte string: *data points into the reader's bytes (not copied). */
int sl_sread_bytes(struct sl_sread *r, const void **data, uint32_t *n, struct sl_error *err);
/* A count that must fit what is left, at `elem` bytes each at least: guards allocations
 * sized from snapshot bytes. */
int sl_sread_count(struct sl_sread *r, uint32_t *n, size_t elem, struct sl_error *err);
/* SL_ECORRUPT "<what>: <message> at byte <off>". */
int sl_sread_fail(struct sl_sread *r, struct sl_error *err, const char *msg);
/* 0 when every byte was read, else SL_ECORRUPT (trailing bytes). */
int sl_sread_end(struct sl_sread *r, struct sl_error *err);

#endif
