/*
 * engine/ops/op_txsink.h - the sink operator of a transactional sink (an exactly-once Kafka
 * table, io/kafka_txn.h): in a job over several processes it gathers the rows of every
 * worker to one worker, the writer, whose process holds the job's Kafka transaction.
 *
 * WHY (docs/cluster.md, "Exactly-once into Kafka over several processes")
 * librdkafka cannot resume another process's transaction, so the transactions of an epoch
 * written by several processes could not be committed all or none: a process that died
 * between the commit record's PREPARED and its own Kafka commit would leave its part aborted
 * while the others' were visible. One writer keeps the single-process protocol: the
 * writer's process is the leader's (the commit store's PREPARED, the transaction's commit
 * and COMMITTED happen in one process, in that order), and the writer is the first global
 * worker of the leader's range (the assignment's "leader-lo").
 *
 * HOW IT WORKS
 * writer < 0 (one process): every worker writes its own rows, as the plain sink operator.
 * writer >= 0: the writer's rows go to the sink; another worker's rows travel to the writer
 * as one message per batch (engine/ops/rowcodec.h), and at the end of its input an END. The
 * writer's output ends once its own input and every other worker's ended.
 * A batch produced while a checkpoint aligns (a window fired by a message received then) is
 * kept, saved with the state, and sent when the alignment ends (ops->resumed), as the other
 * exchanges do: its rows belong to the epoch whose state says they were emitted.
 * The ENDs the writer heard are not saved: every worker whose input had ended sends its END
 * again when it starts from a checkpoint, so the writer may change between two runs
 * (a new leader) and duplicates are ignored.
 *
 * CHECKPOINT STATE (little-endian, engine/core/state.h), on every worker:
 *   1          format (1)
 *   1          this worker's input ended (0/1)
 *   4          kept batches, then each as length-prefixed bytes (sl_rowc_put_batch)
 * A snapshot without the block (one taken before this operator kept state) restores as "no
 * batch kept; the input ended when the pipeline had finished". Rescaled, the worker that
 * writes (the writer, or worker 0 with writer < 0) takes every old worker's kept batches and
 * the inputs' ends start anew (the executor's pipelines finish again).
 *
 * OWNERSHIP: the operator owns its kept batches and its decode batch pool; the sink is the
 * pipeline's. THREADS: its worker's thread.
 */
#ifndef SL_OPS_OP_TXSINK_H
#define SL_OPS_OP_TXSINK_H

#include "engine/ops/connector.h"
#include "engine/ops/operator.h"

/* The sink operator for `sink` (node: the pipeline's SL_PLAN_SINK; *finished set once its
 * output ended), gathering to global worker `writer` (-1: none). */
int sl_op_txsink_new(const struct sl_plan *node, struct sl_sink *sink, bool *finished, int writer,
                     const struct sl_worker_ctx *ctx, struct sl_op **out, struct sl_error *err);

#endif
