/*
 * engine/core/state.c - checkpoint state buffers (see state.h).
 */
#include "engine/core/state.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/le.h"

void sl_sbuf_init(struct sl_sbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void sl_sbuf_free(struct sl_sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void sl_sbuf_reset(struct sl_sbuf *b)
{
    b->len = 0;
    b->failed = false;
}

bool sl_sbuf_reserve(struct sl_sbuf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->cap - b->len >= n)
        return true;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap - b->len < n) {
        if (ncap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        ncap *= 2;
    }
    uint8_t *np = realloc(b->p, ncap);
    if (!np) {
        b->failed = true;
        return false;
    }
    b->p = np;
    b->cap = ncap;
    return true;
}

void sl_sbuf_put(struct sl_sbuf *b, const void *data, size_t n)
{
    if (!n || !sl_sbuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void sl_sbuf_put_u8(struct sl_sbuf *b, uint8_t v)
{
    sl_sbuf_put(b, &v, 1);
}

void sl_sbuf_put_u32(struct sl_sbuf *b, uint32_t v)
{
    uint8_t x[4];
    sl_le_put32(x, v);
    sl_sbuf_put(b, x, 4);
}

void sl_sbuf_put_u64(struct sl_sbuf *b, uint64_t v)
{
    uint8_t x[8];
    sl_le_put64(x, v);
    sl_sbuf_put(b, x, 8);
}

void sl_sbuf_put_i64(struct sl_sbuf *b, int64_t v)
{
    sl_sbuf_put_u64(b, (uint64_t)v);
}

void sl_sbuf_put_bytes(struct sl_sbuf *b, const void *data, uint32_t n)
{
    sl_sbuf_put_u32(b, n);
    sl_sbuf_put(b, data, n);
}

void sl_sbuf_put_str(struct sl_sbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    sl_sbuf_put_bytes(b, s, (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n));
}

int sl_sbuf_check(const struct sl_sbuf *b, struct sl_error *err)
{
    if (b->failed)
        return sl_error_set(err, SL_ENOMEM,
                            "out of memory serializing checkpoint state "
                            "(%zu bytes so far)",
                            b->len);
    return 0;
}

void sl_sread_init(struct sl_sread *r, const void *data, size_t len, const char *what)
{
    r->p = data;
    r->len = len;
    r->off = 0;
    r->what = what ? what : "state";
}

int sl_sread_fail(struct sl_sread *r, struct sl_error *err, const char *msg)
{
    return sl_error_set(err, SL_ECORRUPT, "%s: %s at byte %zu of %zu", r->what, msg, r->off,
                        r->len);
}

int sl_sread_get(struct sl_sread *r, void *out, size_t n, struct sl_error *err)
{
    if (n > r->len - r->off)
        return sl_sread_fail(r, err, "truncated");
    if (n)
        memcpy(out, r->p + r->off, n);
    r->off += n;
    return 0;
}

int sl_sread_u8(struct sl_sread *r, uint8_t *v, struct sl_error *err)
{
    return sl_sread_get(r, v, 1, err);
}

int sl_sread_u32(struct sl_sread *r, uint32_t *v, struct sl_error *err)
{
    uint8_t x[4] = {0};
    int rc = sl_sread_get(r, x, 4, err);
    if (rc)
        return rc;
    *v = sl_le_get32(x);
    return 0;
}

int sl_sread_u64(struct sl_sread *r, uint64_t *v, struct sl_error *err)
{
    uint8_t x[8] = {0};
    int rc = sl_sread_get(r, x, 8, err);
    if (rc)
        return rc;
    *v = sl_le_get64(x);
    return 0;
}

int sl_sread_i64(struct sl_sread *r, int64_t *v, struct sl_error *err)
{
    uint64_t u;
    int rc = sl_sread_u64(r, &u, err);
    if (!rc)
        *v = (int64_t)u;
    return rc;
}

int sl_sread_bytes(struct sl_sread *r, const void **data, uint32_t *n, struct sl_error *err)
{
    uint32_t len;
    int rc = sl_sread_u32(r, &len, err);
    if (rc)
        return rc;
    if (len > r->len - r->off)
        return sl_sread_fail(r, err, "a byte string longer than the state");
    *data = r->p + r->off;
    *n = len;
    r->off += len;
    return 0;
}

int sl_sread_count(struct sl_sread *r, uint32_t *n, size_t elem, struct sl_error *err)
{
    int rc = sl_sread_u32(r, n, err);
    if (rc)
        return rc;
    if (elem && (size_t)*n > (r->len - r->off) / elem)
        return sl_sread_fail(r, err, "a count larger than the state can hold");
    return 0;
}

int sl_sread_end(struct sl_sread *r, struct sl_error *err)
{
    if (r->off != r->len)
        return sl_sread_fail(r, err, "trailing bytes");
    return 0;
}
