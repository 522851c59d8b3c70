/*
 * engine/exec/msgq.h - the executor's FIFO queues of messages (struct sl_msg): a sender's
 * pending queue per destination (messages waiting for room in a ring or in the Kafka
 * channel), and a receiver's hold-back queues per sender (struct sl_holdback).
 *
 * HOLD-BACK (a job over several processes; docs/scaling.md, docs/checkpoint-protocol.md)
 * A worker aligning a checkpoint stops reading a sender once that sender's barrier arrived,
 * so that nothing the sender sent after its cut runs before the snapshot. A ring carries one
 * sender's messages only: the worker simply leaves it unread. The Kafka channel interleaves
 * every remote sender in one partition (the destination's), so the worker must read on to
 * find the other senders' barriers; what it reads of a blocked sender waits in that sender's
 * hold-back FIFO and is served, in order, once the snapshot is taken - before anything newer
 * of the same sender (a sender with held messages has its new ones held behind them, blocked
 * or not, so that its FIFO order holds).
 *
 * THREADS: a queue belongs to one worker (the sender's pending, the receiver's hold-back).
 */
#ifndef SL_ENGINE_EXEC_MSGQ_H
#define SL_ENGINE_EXEC_MSGQ_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/error.h"
#include "engine/core/ring.h"

/* A growable FIFO of messages (zeroed: empty). */
struct sl_pending {
    struct sl_msg *msgs;
    uint32_t head, len, cap;
};

/* Appends msg: 0, or SL_ENOMEM (nothing changed; msg stays the caller's). */
int sl_msgq_push(struct sl_pending *q, struct sl_msg msg, struct sl_error *err);
/* The oldest message (the queue must not be empty). */
struct sl_msg sl_msgq_pop(struct sl_pending *q);
/* Frees the queue, and the payload of every DATA message still in it. */
void sl_msgq_free(struct sl_pending *q);

/* A receiving worker's hold-back FIFOs, one per sender (global worker index). */
struct sl_holdback {
    struct sl_pending *q;
    int nsenders;
    uint32_t nheld; /* senders with held messages */
};

/* nsenders empty FIFOs: 0 or SL_ENOMEM. */
int sl_holdback_init(struct sl_holdback *h, int nsenders, struct sl_error *err);
/* Frees every FIFO and the DATA payloads still held; a zeroed struct is fine. */
void sl_holdback_free(struct sl_holdback *h);
/* A message of sender `from` came from the channel. It is held - appended to from's FIFO,
 * *held true - when `blocked` (from's barrier arrived) or older messages of from are held;
 * otherwise *held is false and the caller serves it now. 0, or SL_ENOMEM (msg stays the
 * caller's). */
int sl_holdback_offer(struct sl_holdback *h, int from, bool blocked, struct sl_msg msg, bool *held,
                      struct sl_error *err);
/* The oldest held message of sender `from` into *m; false when it has none. */
bool sl_holdback_take(struct sl_holdback *h, int from, struct sl_msg *m);
/* Whether sender `from` has held messages. */
static inline bool sl_holdback_has(const struct sl_holdback *h, int from)
{
    return h->q && h->q[from].len > 0;
}

#endif
