/*
 * coord/jobconf.h - a job's live settings node and its member nodes in ZooKeeper.
 *
 * LAYOUT under the chroot (default "/sluice"), for job J, beside coord/store_zk.h's latch,
 * epoch and history nodes:
 *   /J/settings              persistent: the job's settings, one "key=value" line each,
 *                            sorted by key (text, readable in zkCli); absent = none
 *   /J/members/m-<host>-<pid>  ephemeral: one per running process of the job, its data
 *                            "key value" lines: host, pid, cores, workers, metrics,
 *                            started (Unix ms), role (leader | standby), session (hex)
 *
 * HOW IT WORKS
 * The settings node is changed by read-modify-write at the version read (a versioned set,
 * or a create when it is absent): two `sluice config set` at once cannot lose each other's
 * key - the loser meets BadVersion (or NodeExists) and starts again from a fresh read. Its
 * ZooKeeper version (and mzxid) name a state of the settings: the members log them with
 * every change they apply.
 *
 * A member node is ephemeral: ZooKeeper deletes it when the process's session ends -
 * an orderly exit closes the session (and deletes the node first), a killed process's
 * session expires after its timeout. The node's name holds the host and pid, so a process
 * that rejoins after its session expired (a new session) takes the same name again.
 *
 * ERRORS: coord/zk.h's (SL_EZK_RETRY: the outcome of a write is unknown: read it back);
 * SL_ECORRUPT for a node that is not in this format (named with the line); SL_ERANGE when
 * the settings would not fit in SL_JOBCONF_MAX bytes.
 *
 * THREADS: any; the functions keep no state beyond their arguments.
 */
#ifndef SL_COORD_JOBCONF_H
#define SL_COORD_JOBCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coord/zk.h"
#include "engine/core/error.h"

/* The settings node's size limit (far below ZooKeeper's 1 MiB). */
#define SL_JOBCONF_MAX (32 * 1024)
#define SL_JOBCONF_KEY_MAX 256
#define SL_JOBCONF_VALUE_MAX 1024

/* The job's settings as read: n pairs sorted by key; strings owned (sl_jobconf_free). */
struct sl_jobconf {
    size_t n;
    char **keys, **values;
    bool exists;     /* the node exists */
    int32_t version; /* its data version (-1 when absent) */
    int64_t mzxid;   /* the transaction that last changed it (0 when absent) */
};

void sl_jobconf_free(struct sl_jobconf *c);
/* The value of `key`, or NULL. */
const char *sl_jobconf_get(const struct sl_jobconf *c, const char *key);

/* Text <-> pairs. decode: SL_ECORRUPT naming the line; encode: SL_ERANGE past cap. A key
 * holds no '=', no newline and is not empty; a value holds no newline. */
int sl_jobconf_decode(const char *buf, size_t len, struct sl_jobconf *out, struct sl_error *err);
int sl_jobconf_encode(const struct sl_jobconf *c, char *buf, size_t cap, size_t *len,
                      struct sl_error *err);

/* Reads /job/settings into *out (empty, exists false, when absent); with watch, its next
 * change (or creation, or deletion) counts as an event of zk (sl_zk_wait_event). */
int sl_jobconf_read(struct sl_zk *zk, const char *job, bool watch, struct sl_jobconf *out,
                    struct sl_error *err);

/* Sets `key` to `value` (NULL: removes it) by read-modify-write, retried on a concurrent
 * change. *version (may be NULL) gets the node's version afterwards; *changed (may be NULL)
 * whether the content changed (setting a key to its value, or removing a key that is not
 * there, writes nothing). */
int sl_jobconf_update(struct sl_zk *zk, const char *job, const char *key, const char *value,
                      int32_t *version, bool *changed, struct sl_error *err);

/* ---- members --------------------------------------------------------------------------- */

#define SL_MEMBER_TEXT 128

struct sl_member {
    char name[SL_MEMBER_TEXT]; /* the node's name, "m-host-pid" */
    char host[SL_MEMBER_TEXT];
    int64_t pid;
    int64_t cores, workers;
    char metrics[SL_MEMBER_TEXT]; /* "http://ADDR:PORT/metrics" or "" */
    int64_t started_ms;           /* Unix time */
    char role[16];                /* "leader", "standby", "member" (a cluster's, below) */
    int64_t session;
    /* A process of a job over several processes (`sluice run --cluster W:LO` with --zk,
     * docs/cluster.md): the job's W and this process's global workers [lo, hi), and its plan
     * fingerprint (16 hex digits), which the leader checks for agreement before it publishes
     * the assignment; cluster_w 0: not a cluster process (no "cluster" line). */
    int64_t cluster_w, cluster_lo, cluster_hi;
    char fingerprint[20];
};

/* Creates this process's ephemeral node /job/members/m-<host>-<pid> with m's fields (name
 * and session are filled in: m->name gets the node's name). A node of the same name left by
 * this process's earlier, expired session is replaced. */
int sl_member_join(struct sl_zk *zk, const char *job, struct sl_member *m, struct sl_error *err);
/* Rewrites the node's data from m (a role change). */
int sl_member_update(struct sl_zk *zk, const char *job, const struct sl_member *m,
                     struct sl_error *err);
/* Deletes the node (an orderly exit); a node already gone is fine. */
int sl_member_leave(struct sl_zk *zk, const char *job, const struct sl_member *m,
                    struct sl_error *err);
/* The job's members, sorted by name; *out is the caller's (free). A member that left
 * between the listing and its read is skipped. */
int sl_member_list(struct sl_zk *zk, const char *job, struct sl_member **out, size_t *n,
                   struct sl_error *err);
/* A member node's data into m's fields (not its name); unknown keys are skipped, missing
 * ones left as they are (coord/cluster.c reads the nodes with their stat). */
void sl_member_decode(const char *buf, size_t len, struct sl_member *m);

#endif
