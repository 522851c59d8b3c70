/*
 * engine/exec/msgq.c - the executor's FIFO queues of messages (see msgq.h).
 */
#include "engine/exec/msgq.h"

#include <stdlib.h>

int sl_msgq_push(struct sl_pending *q, struct sl_msg msg, struct sl_error *err)
{
    if (q->len == q->cap) {
        uint32_t ncap = q->cap ? q->cap * 2 : 64;
        struct sl_msg *nm = malloc(ncap * sizeof(*nm));
        if (!nm)
            return sl_error_set(err, SL_ENOMEM, "out of memory queueing a message");
        for (uint32_t i = 0; i < q->len; i++)
            nm[i] = q->msgs[(q->head + i) % q->cap];
        free(q->msgs);
        q->msgs = nm;
        q->head = 0;
        q->cap = ncap;
    }
    q->msgs[(q->head + q->len) % q->cap] = msg;
    q->len++;
    return 0;
}

struct sl_msg sl_msgq_pop(struct sl_pending *q)
{
    struct sl_msg m = q->msgs[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return m;
}

void sl_msgq_free(struct sl_pending *q)
{
    for (uint32_t k = 0; k < q->len; k++) { /* never served: a failed run */
        struct sl_msg m = q->msgs[(q->head + k) % q->cap];
        struct sl_msg_payload *pl = m.ptr;
        if (m.kind == SL_MSG_DATA && pl && pl->free_fn)
            pl->free_fn(pl);
    }
    free(q->msgs);
    *q = (struct sl_pending){0};
}

int sl_holdback_init(struct sl_holdback *h, int nsenders, struct sl_error *err)
{
    *h = (struct sl_holdback){0};
    h->q = calloc(nsenders > 0 ? (size_t)nsenders : 1, sizeof(*h->q));
    if (!h->q)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    h->nsenders = nsenders;
    return 0;
}

void sl_holdback_free(struct sl_holdback *h)
{
    for (int i = 0; h->q && i < h->nsenders; i++)
        sl_msgq_free(&h->q[i]);
    free(h->q);
    *h = (struct sl_holdback){0};
}

int sl_holdback_offer(struct sl_holdback *h, int from, bool blocked, struct sl_msg msg, bool *held,
                      struct sl_error *err)
{
    struct sl_pending *q = &h->q[from];
    *held = false;
    if (!blocked && q->len == 0)
        return 0;
    int rc = sl_msgq_push(q, msg, err);
    if (rc)
        return rc;
    if (q->len == 1)
        h->nheld++;
    *held = true;
    return 0;
}

bool sl_holdback_take(struct sl_holdback *h, int from, struct sl_msg *m)
{
    struct sl_pending *q = &h->q[from];
    if (!q->len)
        return false;
    *m = sl_msgq_pop(q);
    if (!q->len)
        h->nheld--;
    return true;
}
