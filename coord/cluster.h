/*
 * coord/cluster.h - one job over several sluice processes: the work assignment, its
 * publication by the leader, membership stabilization and the members' epoch acks, in
 * ZooKeeper (issue #15; docs/cluster.md, docs/scaling.md).
 *
 * LAYOUT under the chroot, for job J, beside coord/jobconf.h's members and settings:
 *   /J/cluster/assignment                persistent, written by the leader only: the current
 *                                        generation's assignment ("key value" lines, below)
 *   /J/cluster/acks/e-<20 digits>/<member>  persistent: member <member>'s ack of epoch N,
 *                                        "generation G\n" then the executor's opaque bytes
 *
 * HOW IT WORKS
 * A job over P processes is the dataflow of one process with W = the sum of the working
 * members' workers. Workers have global indexes 0..W-1; each member runs a contiguous range
 * [lo, hi) of them, and key groups and source splits follow the global index as they follow
 * the worker index in one process (engine/core/keygroup.h). The ranges are CONTIGUOUS
 * because a worker's key groups are (range(w) of keygroup.h): a member then owns one
 * contiguous run of key groups [range(lo).lo, range(hi - 1).hi), which it restores from the
 * old snapshots by key group as a single process restores at another worker count.
 *
 * The assignment (sl_cluster_assign) is a pure function of the members, the previous
 * assignment and the max parallelism M. It is STICKY in order: the members of the previous
 * generation that are still there keep their relative order, and new members are appended
 * in join order (the member node's creation time, then the name). Every member takes as
 * many workers as it runs (its `workers`), so a member that stays keeps the width of its
 * range; its range moves down by the workers of the members that left before it, and
 * nothing else moves. What does not stay put is the key-group boundaries: they depend on W
 * (range(w) = [ceil(w M / W), ceil((w + 1) M / W))), so when W changes each member's key
 * groups shift by up to about M / W times its position's share; members before the first
 * change keep their ranges [lo, hi) exactly. A member started with `--standby` (its
 * member node's role is "standby") is a SPARE: it takes no work - listed after the others
 * with an empty range (lo == hi), in join order - and does not ack epochs, until a working
 * member of the previous generation is gone: then a spare takes that member's place in
 * the order, with its own workers (a spare of the gone member's width first, else the
 * earliest), so when the widths match W and every other range stay (no rescale). A member
 * that had a range in the previous generation works whatever its role says (a promoted
 * spare's node says "member" only once it runs). Members are identified by their node's name
 * ("m-<host>-<pid>"): a process that rejoins after its session expired keeps its place.
 * The output is deterministic: the same inputs, in any order, give byte-identical text.
 *
 * The leader waits until the member set has been stable (sl_cluster_await_stable, Flink's
 * reactive mode: 'jobmanager.adaptive-scheduler.resource-stabilization-timeout', default
 * 10 s), computes the assignment and publishes it as a new GENERATION
 * (sl_cluster_publish): ONE multi that checks the leader's latch node and creates or sets
 * the assignment node at the version the leader last saw - a deposed leader (its latch node
 * gone: SL_EFENCED) or one that missed another's publication (SL_ESTATE) cannot publish.
 * Every member watches the node (sl_cluster_read with watch) and restores from the last
 * committed epoch under the new generation (stop-the-world, at an epoch boundary).
 *
 * Epochs: each member writes its workers' snapshots, then acks the epoch
 * (sl_cluster_ack); the leader waits for every working member's ack of the generation
 * (sl_cluster_collect), writes the manifest and commits (coord/store_zk.h), then deletes
 * the ack folders of older epochs (sl_cluster_acks_cleanup).
 *
 * ZOOKEEPER WRITES PER EPOCH with P working members: P ack creates + 1 create of the
 * epoch's ack folder (by the leader as it starts collecting) + the leader's 2 commit multis
 * (PREPARED, COMMITTED) + 1 cleanup multi (P + 1 deletes in one transaction; ack by ack only
 * past SL_ZK_REQUEST_MAX, about 400 members) = P + 4 write transactions: 14 at 10 machines,
 * 104 at 100 (at one epoch a second, about 100 writes/s; ZooKeeper serializes every write,
 * refused ones too, through its leader). A member that acks before the folder exists adds
 * 2 (its refused create, the folder's). Reads: the leader lists the members and the ack
 * folder once per wake-up (a watch fired) and reads each ack once.
 *
 * SIZES. The assignment node is bounded by SL_CLUSTER_ASSIGN_MAX (56 KiB), under the
 * 64 KiB that sluice allows a multi (SL_ZK_REQUEST_MAX), itself far below ZooKeeper's 1 MiB
 * (jute.maxbuffer). A member line is "member <name> <lo> <hi> <host> <session hex>": at
 * most 292 bytes (name and host of 127 bytes), about 80 with a 16-character host name. So
 * at least 190 members always fit, and about 700 with such host names; 100 members of 2..64
 * workers with 27-character host names take 10 KiB (tests/coord/test_cluster.c prints it). An ack
 * holds at most SL_CLUSTER_ACK_MAX bytes of the executor's.
 *
 * OWNERSHIP: struct sl_assignment's member array and sl_cluster_collect's acks are the
 * caller's (sl_assignment_free, sl_cluster_acks_free); zk is borrowed.
 *
 * THREADS: no state beyond the arguments; one thread per call on a shared sl_zk handle.
 * The waits (await_stable, collect) look at the stop flag at least every 100 ms, as
 * coord/latch.c does.
 *
 * ERRORS: coord/zk.h's (SL_EZK_RETRY from a write: its outcome is unknown - publish and ack
 * read back before they say so); SL_EINVAL for bad arguments (named); SL_ERANGE when W
 * exceeds M or a node would exceed its bound (naming both numbers); SL_ECORRUPT for a node
 * not in this format (naming the node and the line); SL_ESTATE for a publication or an ack
 * that meets another's (named); SL_EFENCED for a deposed leader; SL_ETIMEOUT naming the
 * members whose acks are missing; SL_ESTOPPED once the stop flag is set.
 */
#ifndef SL_COORD_CLUSTER_H
#define SL_COORD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coord/jobconf.h"
#include "coord/zk.h"
#include "engine/core/error.h"

#define SL_CLUSTER_ASSIGN_MAX (56 * 1024)
#define SL_CLUSTER_ACK_MAX (16 * 1024)
#define SL_CLUSTER_TOPIC_MAX 256
/* How long publish and ack retry a lost connection (and read back) before they give up
 * with SL_EZK_RETRY, "outcome unknown". */
#define SL_CLUSTER_OP_TIMEOUT_MS 10000

/* A member as the assignment sees it (sl_cluster_member_of builds one from a member node). */
struct sl_cluster_member {
    char name[SL_MEMBER_TEXT]; /* the member node's name, "m-<host>-<pid>" */
    char host[SL_MEMBER_TEXT];
    int64_t workers, cores;
    int64_t joined_ms; /* join order: the member node's creation time (server's Unix ms) */
    int64_t session;
    bool standby; /* started with --standby: takes no work */
};

/* A member's line of an assignment: global workers [lo, hi) (lo == hi: standby). */
struct sl_assign_member {
    char name[SL_MEMBER_TEXT];
    char host[SL_MEMBER_TEXT];
    int64_t lo, hi;
    int64_t session;
};

struct sl_assignment {
    int64_t generation;               /* 1, 2, ... */
    int64_t max_parallelism;          /* M: the number of key groups */
    int64_t workers;                  /* W = the sum of hi - lo */
    char topic[SL_CLUSTER_TOPIC_MAX]; /* the generation's channel: "<prefix>-<job>-g<gen>" */
    /* the previous generation's channel topic ("": none), so that a later leader knows which
     * topic nobody reads any more (its trailing line "prev-topic T") */
    char prev_topic[SL_CLUSTER_TOPIC_MAX];
    char leader[SL_ZK_PATH_MAX]; /* the publishing leader's latch node */
    /* the first global worker of the publishing leader's range, -1 when not said (its line
     * "leader-lo N", after the members): where a job's exactly-once Kafka output is written
     * (docs/cluster.md, "Exactly-once into Kafka over several processes") */
    int64_t leader_lo;
    size_t n;
    struct sl_assign_member *members; /* n, in range order; owned (sl_assignment_free) */
};

void sl_assignment_free(struct sl_assignment *a);

/* The member of a member node (jobconf.h) created at ctime_ms (its stat's): standby when its
 * role is "standby". */
void sl_cluster_member_of(const struct sl_member *m, int64_t ctime_ms,
                          struct sl_cluster_member *out);

/*
 * The assignment of generation prev->generation + 1 (1 without prev) over members[0..n)
 * (any order) for a job of max parallelism M, with channel topic
 * "<topic_prefix>-<job>-g<generation>" (topic_prefix NULL: "sluice"); leader (may be NULL)
 * is the publishing leader's latch node. Sticky as the top of this file says, spares
 * promoted into the places of working members that are gone. SL_EINVAL: a
 * duplicate name, a working member without workers, a name or host with blanks; SL_ERANGE:
 * W > M (naming both); SL_ESTATE: no working member. *out is the caller's.
 */
int sl_cluster_assign(const struct sl_cluster_member *members, size_t n,
                      const struct sl_assignment *prev, int64_t max_parallelism, const char *job,
                      const char *topic_prefix, const char *leader, struct sl_assignment *out,
                      struct sl_error *err);

/* Text <-> assignment. encode: SL_ERANGE past cap (or SL_CLUSTER_ASSIGN_MAX), SL_EINVAL for
 * a field that cannot be written; decode: SL_ECORRUPT naming the line (what = the node's
 * path, for the message). */
int sl_assignment_encode(const struct sl_assignment *a, char *buf, size_t cap, size_t *len,
                         struct sl_error *err);
int sl_assignment_decode(const char *buf, size_t len, const char *what, struct sl_assignment *out,
                         struct sl_error *err);

/* The line of member `name`, or NULL: not in the assignment. */
const struct sl_assign_member *sl_cluster_find(const struct sl_assignment *a, const char *name);

/*
 * The leader publishes `a`: one multi that checks latch_node (the leader's latch node,
 * coord/latch.h) and creates /job/cluster/assignment (expected_version -1: it must not
 * exist) or sets it at expected_version. *new_version (may be NULL) gets its version. A lost
 * answer is settled by reading the node back (the content names the leader's latch node, so
 * no other leader writes the same bytes); the write is conditional on the version, so at
 * most one attempt can land. SL_EFENCED: the latch node is gone (deposed); SL_ESTATE: the
 * node is not at expected_version (naming the version and generation found);
 * SL_EZK_RETRY: outcome unknown after SL_CLUSTER_OP_TIMEOUT_MS (read the node to know).
 */
int sl_cluster_publish(struct sl_zk *zk, const char *job, const char *latch_node,
                       const struct sl_assignment *a, int32_t expected_version,
                       int32_t *new_version, struct sl_error *err);

/* Reads /job/cluster/assignment into *out (the caller's) and its version into *version (may
 * be NULL). SL_ENOTFOUND when there is none yet. With watch, its next change (creation,
 * set, deletion) counts as an event of zk (sl_zk_wait_event) - absent or not. */
int sl_cluster_read(struct sl_zk *zk, const char *job, bool watch, struct sl_assignment *out,
                    int32_t *version, struct sl_error *err);

/* The job's members (sorted by name) with their join times; *out is the caller's (free).
 * With watch, a member joining or leaving counts as an event of zk. */
int sl_cluster_members(struct sl_zk *zk, const char *job, bool watch,
                       struct sl_cluster_member **out, size_t *n, struct sl_error *err);

/*
 * Waits until the set of member names under /job/members has not changed for
 * stabilization_ms and at least min_members of them are working (not standby), then
 * returns them in *out (the caller's, free). The set seen at the call counts as changed at
 * the call. Watches /job/members; looks at *stop (NULL: none) at least every 100 ms:
 * SL_ESTOPPED. Waits for ever otherwise.
 */
int sl_cluster_await_stable(struct sl_zk *zk, const char *job, int stabilization_ms,
                            size_t min_members, const _Atomic int *stop,
                            struct sl_cluster_member **out, size_t *n, struct sl_error *err);

/*
 * A running leader's cheap check, each turn: whether the member names differ from a's.
 * *seen is zk's event count of the last look (0 at first): while no event came since, it
 * answers false without asking ZooKeeper; else it lists /job/members again (setting the
 * watch) and compares. A member that left and came back under the same name between two
 * looks is no change (the same process kept running).
 */
int sl_cluster_members_changed(struct sl_zk *zk, const char *job, const struct sl_assignment *a,
                               uint64_t *seen, bool *changed, struct sl_error *err);

/*
 * Member `member` acks `epoch` of `generation`: creates /job/cluster/acks/e-<20 digits
 * epoch>/<member> holding "generation G\n" and bytes[0..len) (len <= SL_CLUSTER_ACK_MAX).
 * Idempotent: a node that exists with this content (an earlier attempt whose answer was
 * lost) is success; one of an older generation (acked before a rebalance reused the epoch
 * number) is replaced; one of the same or a newer generation with other content is
 * SL_ESTATE. A lost connection is retried (and read back) for SL_CLUSTER_OP_TIMEOUT_MS.
 */
int sl_cluster_ack(struct sl_zk *zk, const char *job, int64_t epoch, int64_t generation,
                   const char *member, const void *bytes, size_t len, struct sl_error *err);

struct sl_cluster_ack {
    char member[SL_MEMBER_TEXT];
    void *bytes; /* the executor's, without the generation line, NUL after len; owned */
    size_t len;
};

void sl_cluster_acks_free(struct sl_cluster_ack *acks, size_t n);

/*
 * The leader waits up to timeout_ms (< 0: for ever) until every working member of `a`
 * (hi > lo) acked `epoch` with generation a->generation; *out (the caller's,
 * sl_cluster_acks_free) gets them in a's order. Fails with:
 *   SL_ESTATE   a member that has not acked is gone from /job/members (died, or left): the
 *               epoch fails and a rebalance follows (named);
 *   SL_ESTATE   an ack of a NEWER generation: this leader's assignment is stale - another
 *               leader published after it (named; read the assignment again);
 *   SL_ECORRUPT an ack node that is not "generation G\n..." (named);
 *   SL_ETIMEOUT naming the members still missing;  SL_ESTOPPED once *stop is set.
 * An ack of an OLDER generation is not counted: its member has not restored under `a` yet
 * and will ack again (sl_cluster_ack replaces it).
 */
int sl_cluster_collect(struct sl_zk *zk, const char *job, int64_t epoch,
                       const struct sl_assignment *a, int timeout_ms, const _Atomic int *stop,
                       struct sl_cluster_ack **out, size_t *n, struct sl_error *err);

/* Deletes the ack folders of epochs below below_epoch (after that epoch committed), each
 * with its acks in one multi; *deleted (may be NULL) gets the number of folders removed.
 * Nodes already gone are fine. */
int sl_cluster_acks_cleanup(struct sl_zk *zk, const char *job, int64_t below_epoch, size_t *deleted,
                            struct sl_error *err);

#endif
