/*
 * coord/commit.c - the epoch protocol over any commit store, and the record's text form
 * (see commit.h).
 *
 * The transition rules live here, not in the stores, so that both stores enforce exactly
 * the same protocol; a store only has to make one put atomic and fenced. The record is
 * text because it is small (1.5 KiB at most), because an operator reads it with zkCli or
 * cat, and because a strict line parser is all the validation it needs: every key must be
 * present once and in order, numbers must parse whole, and nothing may follow "end".
 */
#include "coord/commit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- protocol ------------------------------------------------------------------------- */

int sl_commit_acquire(struct sl_commit_store *s, int timeout_ms, struct sl_error *err)
{
    s->leader = 0;
    int rc = s->ops->acquire(s, timeout_ms, err);
    if (rc)
        return rc;
    rc = s->ops->read(s, &s->last, err);
    if (rc)
        return rc;
    s->leader = 1;
    return 0;
}

int sl_commit_last(struct sl_commit_store *s, struct sl_epoch_rec *out, struct sl_error *err)
{
    struct sl_epoch_rec rec;
    int rc = s->ops->read(s, &rec, err);
    if (rc)
        return rc;
    s->last = rec;
    *out = rec;
    return 0;
}

int sl_commit_put(struct sl_commit_store *s, const struct sl_epoch_rec *rec, struct sl_error *err)
{
    if (!s->leader)
        return sl_error_set(err, SL_ESTATE, "commit store (%s): not the leader", s->ops->name);
    if (sl_epoch_equal(&s->last, rec))
        return 0; /* the same put again (a retry after an unknown outcome): already there */
    int rc = sl_commit_check_transition(&s->last, rec, err);
    if (rc)
        return rc;
    rc = s->ops->put(s, rec, err);
    if (rc == 0)
        s->last = *rec;
    else if (rc == SL_EFENCED)
        s->leader = 0;
    return rc;
}

int sl_commit_history(struct sl_commit_store *s, struct sl_epoch_rec *out, size_t cap, size_t *n,
                      struct sl_error *err)
{
    *n = 0;
    return s->ops->history(s, out, cap, n, err);
}

void sl_commit_free(struct sl_commit_store *s)
{
    if (s)
        s->ops->free(s);
}

static int sl_epoch_text_ok(const char *text, size_t cap)
{
    const char *nul = memchr(text, '\0', cap);
    return nul && !memchr(text, '\n', (size_t)(nul - text)) &&
           !memchr(text, '\r', (size_t)(nul - text));
}

int sl_commit_check_transition(const struct sl_epoch_rec *cur, const struct sl_epoch_rec *next,
                               struct sl_error *err)
{
    if (next->epoch < 1)
        return sl_error_set(err, SL_EINVAL, "epoch %" PRId64 ": epochs start at 1", next->epoch);
    if (!sl_epoch_text_ok(next->manifest, sizeof(next->manifest)) ||
        !sl_epoch_text_ok(next->offsets, sizeof(next->offsets)))
        return sl_error_set(err, SL_EINVAL,
                            "epoch %" PRId64 ": manifest or offsets text without NUL or with a "
                            "line break",
                            next->epoch);
    switch (next->phase) {
    case SL_EPOCH_PREPARED:
        if (cur->phase == SL_EPOCH_NONE ||
            (cur->phase == SL_EPOCH_COMMITTED && next->epoch > cur->epoch) ||
            (cur->phase == SL_EPOCH_PREPARED && next->epoch == cur->epoch))
            return 0;
        return sl_error_set(err, SL_ESTATE, "cannot prepare epoch %" PRId64 " after %s %" PRId64,
                            next->epoch, sl_epoch_phase_name(cur->phase), cur->epoch);
    case SL_EPOCH_COMMITTED:
        if (cur->phase != SL_EPOCH_PREPARED || cur->epoch != next->epoch)
            return sl_error_set(err, SL_ESTATE,
                                "cannot commit epoch %" PRId64 " after %s %" PRId64
                                ": it was not prepared",
                                next->epoch, sl_epoch_phase_name(cur->phase), cur->epoch);
        if (cur->nonce != next->nonce || cur->manifest_crc != next->manifest_crc ||
            strcmp(cur->manifest, next->manifest) != 0 || strcmp(cur->offsets, next->offsets))
            return sl_error_set(err, SL_ESTATE,
                                "cannot commit epoch %" PRId64
                                ": it differs from the prepared one (nonce %016" PRIx64
                                " prepared, %016" PRIx64 " committed)",
                                next->epoch, cur->nonce, next->nonce);
        return 0;
    case SL_EPOCH_NONE:
    default:
        return sl_error_set(err, SL_EINVAL, "epoch %" PRId64 ": a put is PREPARED or COMMITTED",
                            next->epoch);
    }
}

int sl_epoch_equal(const struct sl_epoch_rec *a, const struct sl_epoch_rec *b)
{
    return a->epoch == b->epoch && a->phase == b->phase && a->nonce == b->nonce &&
           a->manifest_crc == b->manifest_crc &&
           strncmp(a->manifest, b->manifest, sizeof(a->manifest)) == 0 &&
           strncmp(a->offsets, b->offsets, sizeof(a->offsets)) == 0;
}

const char *sl_epoch_phase_name(enum sl_epoch_phase phase)
{
    switch (phase) {
    case SL_EPOCH_PREPARED:
        return "PREPARED";
    case SL_EPOCH_COMMITTED:
        return "COMMITTED";
    case SL_EPOCH_NONE:
    default:
        return "NONE";
    }
}

/* ---- text form ------------------------------------------------------------------------ */

int sl_epoch_encode(const struct sl_epoch_rec *rec, char *buf, size_t cap, size_t *len)
{
    if (!sl_epoch_text_ok(rec->manifest, sizeof(rec->manifest)) ||
        !sl_epoch_text_ok(rec->offsets, sizeof(rec->offsets)))
        return SL_EINVAL;
    char tmp[SL_EPOCH_ENCODED_MAX + 1];
    int n = snprintf(tmp, sizeof(tmp),
                     "sluice-epoch 1\nepoch %" PRId64 "\nphase %s\nnonce %016" PRIx64
                     "\nmanifest %s\nmanifest-crc %08" PRIx32 "\noffsets %s\nend\n",
                     rec->epoch, sl_epoch_phase_name(rec->phase), rec->nonce, rec->manifest,
                     rec->manifest_crc, rec->offsets);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return SL_EINVAL;
    if ((size_t)n > cap)
        return SL_EFULL;
    memcpy(buf, tmp, (size_t)n);
    *len = (size_t)n;
    return 0;
}

/* Takes the next line "key value" off [*p, end): the value (not NUL-terminated) into
 * *val / *vlen. 0, or -1 when the line is missing or its key differs. */
static int sl_epoch_line(const char **p, const char *end, const char *key, const char **val,
                         size_t *vlen)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t klen = strlen(key);
    if (!nl)
        return -1;
    size_t llen = (size_t)(nl - *p);
    if (llen < klen || memcmp(*p, key, klen) != 0)
        return -1;
    if (llen == klen) { /* "end" */
        *val = nl;
        *vlen = 0;
    } else {
        if ((*p)[klen] != ' ')
            return -1;
        *val = *p + klen + 1;
        *vlen = llen - klen - 1;
    }
    *p = nl + 1;
    return 0;
}

static int sl_epoch_u64(const char *val, size_t vlen, int base, uint64_t *out)
{
    char tmp[32];
    if (vlen == 0 || vlen >= sizeof(tmp) || val[0] == '-' || val[0] == '+' || val[0] == ' ')
        return -1;
    memcpy(tmp, val, vlen);
    tmp[vlen] = '\0';
    char *e;
    unsigned long long v = strtoull(tmp, &e, base);
    if (*e)
        return -1;
    *out = v;
    return 0;
}

static int sl_epoch_text(const char *val, size_t vlen, char *out, size_t cap)
{
    if (vlen >= cap || memchr(val, '\0', vlen) || memchr(val, '\r', vlen))
        return -1;
    memcpy(out, val, vlen);
    out[vlen] = '\0';
    return 0;
}

int sl_epoch_decode(const char *buf, size_t len, struct sl_epoch_rec *rec, size_t *used,
                    struct sl_error *err)
{
    const char *p = buf, *end = buf + len, *v;
    size_t vl;
    uint64_t u;
    memset(rec, 0, sizeof(*rec));
    if (sl_epoch_line(&p, end, "sluice-epoch", &v, &vl) || vl != 1 || v[0] != '1')
        return sl_error_set(err, SL_ECORRUPT, "epoch record: no 'sluice-epoch 1' header");
    if (sl_epoch_line(&p, end, "epoch", &v, &vl) || sl_epoch_u64(v, vl, 10, &u) || u > INT64_MAX)
        return sl_error_set(err, SL_ECORRUPT, "epoch record: bad 'epoch' line");
    rec->epoch = (int64_t)u;
    if (sl_epoch_line(&p, end, "phase", &v, &vl))
        return sl_error_set(err, SL_ECORRUPT, "epoch record: no 'phase' line");
    if (vl == 8 && memcmp(v, "PREPARED", 8) == 0)
        rec->phase = SL_EPOCH_PREPARED;
    else if (vl == 9 && memcmp(v, "COMMITTED", 9) == 0)
        rec->phase = SL_EPOCH_COMMITTED;
    else if (vl == 4 && memcmp(v, "NONE", 4) == 0)
        rec->phase = SL_EPOCH_NONE;
    else
        return sl_error_set(err, SL_ECORRUPT, "epoch record: unknown phase '%.*s'", (int)vl, v);
    if (sl_epoch_line(&p, end, "nonce", &v, &vl) || vl != 16 || sl_epoch_u64(v, vl, 16, &u))
        return sl_error_set(err, SL_ECORRUPT, "epoch record: bad 'nonce' line");
    rec->nonce = u;
    if (sl_epoch_line(&p, end, "manifest", &v, &vl) ||
        sl_epoch_text(v, vl, rec->manifest, sizeof(rec->manifest)))
        return sl_error_set(err, SL_ECORRUPT, "epoch record: bad 'manifest' line");
    if (sl_epoch_line(&p, end, "manifest-crc", &v, &vl) || vl != 8 || sl_epoch_u64(v, vl, 16, &u))
        return sl_error_set(err, SL_ECORRUPT, "epoch record: bad 'manifest-crc' line");
    rec->manifest_crc = (uint32_t)u;
    if (sl_epoch_line(&p, end, "offsets", &v, &vl) ||
        sl_epoch_text(v, vl, rec->offsets, sizeof(rec->offsets)))
        return sl_error_set(err, SL_ECORRUPT, "epoch record: bad 'offsets' line");
    if (sl_epoch_line(&p, end, "end", &v, &vl) || vl != 0)
        return sl_error_set(err, SL_ECORRUPT, "epoch record: no 'end' line");
    if ((rec->phase == SL_EPOCH_NONE) != (rec->epoch == 0))
        return sl_error_set(err, SL_ECORRUPT, "epoch record: epoch %" PRId64 " with phase %s",
                            rec->epoch, sl_epoch_phase_name(rec->phase));
    if (used)
        *used = (size_t)(p - buf);
    return 0;
}
