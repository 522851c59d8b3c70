/*
 * engine/exec/livecfg.h - live configuration of a running job through ZooKeeper, its member
 * node, and the source rate limit ('scan.rate-limit').
 *
 * HOW IT WORKS
 * `sluice run --zk Z --job J` opens a struct sl_livecfg before the job starts
 * (sl_livecfg_open): its own ZooKeeper session, this process's ephemeral member node
 * /J/members/m-<host>-<pid> (coord/jobconf.h; role "standby" until the commit store makes
 * it the leader), and one read of the settings node /J/settings, whose known, valid keys are
 * added to the job's settings after the SQL's own SETs (so they win; a command-line flag
 * such as --checkpoint-interval still wins over both at start). The executor then attaches
 * it (sl_livecfg_attach): a thread watches the settings node (a ZooKeeper watch, armed again
 * at every read) and, for each key whose value changed:
 *   - execution.checkpointing.interval: the coordinator takes the new interval at its next
 *     turn (the next epoch is due the new interval after the end of the last one);
 *   - sluice.source.<table>.scan.rate-limit: the table's token bucket takes the new rate at
 *     once (removing the key goes back to the table's 'scan.rate-limit' option);
 *   - sluice.log.level: the process's log level (engine/core/log.h) at once;
 *   - table.exec.source.idle-timeout: each worker takes it at its next turn (its watermark
 *     operators and tick period);
 *   - sluice.sink.<table>.<option>: the sink's set_option (a filesystem sink's rolling
 *     policy); a sink without it answers "needs a restart";
 *   - any other known key: logged "needs a restart", not applied; it takes effect at the
 *     next start;
 *   - an unknown key or a bad value (written behind `sluice config`'s back): logged and
 *     ignored.
 * Every applied change is logged with the node's version and mzxid:
 *     sluice: live config: applied execution.checkpointing.interval = '100 ms'
 *             (settings version 3, mzxid 0x2a)
 * A change is applied whole or not at all: there is nothing a key applies half-way.
 *
 * An expired session (the process was frozen, ZooKeeper lost it) is reopened by the
 * thread, which then joins again and reads the settings afresh. sl_livecfg_close deletes
 * the member node and closes the session (SIGTERM ends a run through the same path).
 *
 * THE RATE LIMIT is a token bucket per source (struct sl_rate), shared by the workers that
 * read it: tokens accrue at `rate` per second, exactly (kept in record-nanoseconds, so no
 * rounding is lost), up to a capacity of two chunks, a chunk being rate / 100 records (at
 * least 1, at most one batch). A worker takes tokens before it polls and asks the source
 * for at most that many rows (struct sl_worker_ctx.poll_max); rows a source returns beyond
 * it (a source that cannot bound a poll) are taken as debt. With no token, the worker parks
 * until a chunk is there (sl_worker_park's wake time: no spinning, about 100 wake-ups a
 * second); the second chunk of room keeps the tokens that accrue while it wakes up, so a
 * source that keeps up gets exactly `rate` over time. The bucket starts empty, so from
 * its start at t0 a source with a bounded poll hands out at most rate * (t - t0) rows by
 * time t (docs/cluster.md). Nothing of it is checkpointed: a restored job starts a fresh
 * bucket, which only delays rows.
 *
 * THREADS: the watcher thread applies settings through atomics the workers and the
 * coordinator read; struct sl_rate is shared by a source's workers (a mutex per take).
 */
#ifndef SL_ENGINE_LIVECFG_H
#define SL_ENGINE_LIVECFG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/error.h"
#include "engine/plan/catalog.h"

/* ---- the rate limit ---------------------------------------------------------------------- */

struct sl_rate {
    pthread_mutex_t mu;
    _Atomic int64_t rate; /* records per second; 0: no limit (read without the lock) */
    int64_t cap;          /* the bucket's capacity in records */
    int64_t tokens;       /* in record-nanoseconds (records * 1e9); negative: debt */
    int64_t last_ns;      /* CLOCK_MONOTONIC of the last refill */
};

void sl_rate_init(struct sl_rate *r, int64_t rate);
void sl_rate_destroy(struct sl_rate *r);
/* A new rate from now on (tokens accrued so far at the old rate are kept, up to the new
 * capacity). */
void sl_rate_set(struct sl_rate *r, int64_t rate);
/* Takes up to `want` tokens at time now_ns: the number taken; 0 with *wake_ns the time a
 * chunk is there when there is none. */
uint32_t sl_rate_take(struct sl_rate *r, uint32_t want, int64_t now_ns, int64_t *wake_ns);
/* After the poll: `taken` were taken, `rows` came; the difference goes back (or is owed). */
void sl_rate_settle(struct sl_rate *r, uint32_t taken, uint32_t rows);

/* ---- live configuration ----------------------------------------------------------------- */

struct sl_livecfg_config {
    const char *zk;      /* "host:port[,...][/chroot]" */
    const char *job;     /* the job id */
    int session_ms;      /* 0: 10000 */
    int connect_ms;      /* 0: 15000 */
    int workers;         /* for the member node */
    const char *metrics; /* "http://ADDR:PORT/metrics", or NULL */
    /* the member node's role at its creation (NULL: "standby"); `--cluster auto` joins as
     * "member", so that the leader's first look counts it as working (ccluster.c) */
    const char *role;
    FILE *log; /* where changes are logged (NULL: stderr) */
    /* the first connection's wait ends once non-zero (NULL: none) */
    const _Atomic int *stop;
};

struct sl_livecfg;
struct sl_exec;
struct sl_coordinator;

/* Connects, joins as a member (standby) and adds the settings node's keys to `job` (see
 * above). *out is the caller's (sl_livecfg_close). */
int sl_livecfg_open(const struct sl_livecfg_config *cfg, struct sl_job *job,
                    struct sl_livecfg **out, struct sl_error *err);
/* Leaves (deletes the member node), closes the session and frees; NULL is fine. */
void sl_livecfg_close(struct sl_livecfg *lc);

/* --cluster auto, between two generations (the live thread detached): joins the job's
 * group again when this process's member node may be gone - its session expired, or the
 * node was lost - in a new session where the old one expired. 0 when the node is there as
 * far as the client knows. */
int sl_livecfg_ensure_member(struct sl_livecfg *lc, struct sl_error *err);

/* The executor's side (engine/exec/exec.c). attach: starts the watcher applying changes to
 * the run x (its rate buckets and checkpoint interval); `interval_flag_ms` is the
 * --checkpoint-interval given (0: none), what removing the key goes back to before the
 * SQL's SET. role: rewrites the member node's role ("leader" once the commit store made
 * this process the leader). detach: stops the watcher (before x goes). */
int sl_livecfg_attach(struct sl_livecfg *lc, struct sl_exec *x, int64_t interval_flag_ms,
                      struct sl_error *err);
void sl_livecfg_role(struct sl_livecfg *lc, const char *role);
/* A process of a job over several processes (docs/cluster.md): its role ("leader" or
 * "member"), the job's W, its global workers [lo, hi) and its plan fingerprint go into its
 * member node, where the leader reads them (engine/exec/ccluster.c). */
int sl_livecfg_cluster(struct sl_livecfg *lc, const char *role, int64_t w, int64_t lo, int64_t hi,
                       uint64_t fingerprint, struct sl_error *err);
/* The member node's ZooKeeper session (borrowed; lives until sl_livecfg_close): a spare of
 * --cluster auto watches the assignment with it before it has a commit store. */
struct sl_zk *sl_livecfg_zk(struct sl_livecfg *lc);
/* The member node's name ("m-<host>-<pid>"), as the assignment lists it. */
const char *sl_livecfg_member_name(const struct sl_livecfg *lc);
/* The metrics address for the member node ("http://ADDR:PORT/metrics"); NULL lc is fine. */
void sl_livecfg_metrics(struct sl_livecfg *lc, const char *url);
void sl_livecfg_detach(struct sl_livecfg *lc);

/* On the monitor thread, before each coordinator turn: takes a new checkpoint interval. */
void sl_livecfg_turn(struct sl_livecfg *lc, struct sl_coordinator *cc);

/* The rate a pipeline's table starts with: 'sluice.source.<table>.scan.rate-limit' from the
 * job's settings, else the table's 'scan.rate-limit' option, else 0. SL_EINVAL naming the
 * table (and the option's position) for a bad value. */
int sl_livecfg_table_rate(const struct sl_job *job, const struct sl_table *t, int64_t *rate,
                          struct sl_error *err);

#endif
