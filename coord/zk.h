/*
 * coord/zk.h - a small synchronous face on libzookeeper-mt: the only code in sluice that
 * includes zookeeper.h.
 *
 * HOW IT WORKS
 * sl_zk_open splits "host:port[,host:port][/chroot]" into the server list and a chroot,
 * which this wrapper prefixes to every path itself (ZooKeeper's own chroot needs the node
 * to exist beforehand; this way sl_zk_ensure can create it). The default chroot is
 * "/sluice". The client library runs its I/O and completion threads; one watcher per handle
 * follows the session (connected, connecting, expired) and counts node events, so a caller
 * that set a watch (sl_zk_exists with watch) sleeps in sl_zk_wait_event until something
 * changed and then looks again - no per-watch allocation, nothing to leak when a watch
 * never fires.
 *
 * A lost connection is retried by the client library inside the session; calls made
 * meanwhile fail with SL_EZK_RETRY and the caller decides (sl_zk_wait_connected). An
 * expired session is final for the handle: every call then fails with SL_EFENCED, and
 * sl_zk_reopen starts a new session on the same object (ephemeral nodes of the old one are
 * gone).
 *
 * SL_EZK_RETRY FROM A WRITE MEANS "OUTCOME UNKNOWN", never "not done": the request may have
 * reached the server and been applied, with only the answer lost - and a request still on
 * its way may even be applied after the caller has looked. A caller that retries a write
 * must make the retry safe and read back before it concludes anything: a versioned set
 * (the retry meets BadVersion when the first one landed: compare the node's content with
 * what was sent), a sequential create found again by a unique token in its name
 * (coord/latch.c), a create or delete whose NodeExists / NoNode may be its own earlier
 * attempt (coord/store_zk.c). This wrapper never retries a write itself.
 *
 * FAULT POINTS (engine/core/fault.h; SLUICE_FAULT=point:ECONNRESET[@n], or sl_fault_set in tests):
 *   zk.create_send, zk.multi_send     the request is lost before it is sent: SL_EZK_RETRY,
 *                                     nothing reached the server
 *   zk.create_reply, zk.multi_reply   the request is sent and the server's answer received
 *                                     (it was applied or refused), then dropped: SL_EZK_RETRY
 *                                     as if the connection had been lost just before the
 *                                     answer arrived
 * ECONNRESET reports a connection loss, ETIMEDOUT an operation timeout (both SL_EZK_RETRY);
 * the message names the point. Each armed entry fires once, on its n-th pass.
 *
 * ERRORS (ZooKeeper's code -> engine/core/error.h)
 *   ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZTHROTTLEDOP, ZCLOSING     SL_EZK_RETRY
 *   ZSESSIONEXPIRED, ZSESSIONMOVED, ZINVALIDSTATE (expired handle) SL_EFENCED
 *   ZNONODE                                                         SL_ENOTFOUND
 *   ZNODEEXISTS, ZBADVERSION, ZNOTEMPTY                             SL_ESTATE
 *   anything else                                                   SL_EZK
 * The message names the path and ZooKeeper's own text (zerror).
 *
 * THREADS: calls may come from any thread; the handle is shared. Hooks run on the caller's.
 */
#ifndef SL_COORD_ZK_H
#define SL_COORD_ZK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/error.h"

/* ZooKeeper refuses requests above 1 MiB (jute.maxbuffer); sluice keeps every multi under
 * this much smaller bound, checked before sending. */
#define SL_ZK_REQUEST_MAX (64 * 1024)
#define SL_ZK_PATH_MAX 512

struct sl_zk;

struct sl_zk_stat {
    int32_t version;         /* data version */
    int64_t ephemeral_owner; /* session id of an ephemeral node's owner, else 0 */
    int64_t mzxid;
    int64_t ctime_ms, mtime_ms; /* when the node was created, last changed (server's Unix ms) */
};

/* Create flags. */
#define SL_ZK_EPHEMERAL 1
#define SL_ZK_SEQUENTIAL 2

/*
 * Connects to `connect` ("host:port[,...][/chroot]") with a session of session_ms and waits
 * up to connect_ms for the session. *out is the caller's (sl_zk_close). SL_EINVAL for a bad
 * string, SL_EZK_RETRY when no server answered in time.
 */
int sl_zk_open(const char *connect, int session_ms, int connect_ms, struct sl_zk **out,
               struct sl_error *err);
/* As sl_zk_open, and the wait for the first session looks at *stop (NULL: none) every
 * 100 ms: SL_ESTOPPED once it is set (SIGINT / SIGTERM of `sluice run` while no server
 * answers), so a stopped process does not wait out connect_ms. Only the first connection:
 * later waits (sl_zk_wait_connected, sl_zk_reopen) take their own timeouts, and their callers
 * look at their stop flags between them (coord/latch.c). */
int sl_zk_open_stop(const char *connect, int session_ms, int connect_ms, const _Atomic int *stop,
                    struct sl_zk **out, struct sl_error *err);
/* Closes the session (its ephemeral nodes go at once) and frees zk; NULL is fine. */
void sl_zk_close(struct sl_zk *zk);
/* Closes the current session and opens a new one, waiting up to connect_ms. */
int sl_zk_reopen(struct sl_zk *zk, int connect_ms, struct sl_error *err);

/* The chroot every path is under ("/sluice"); owned by zk. */
const char *sl_zk_chroot(const struct sl_zk *zk);
/* Whether the session expired (final until sl_zk_reopen). */
bool sl_zk_expired(struct sl_zk *zk);
/* The session id (0 before the first connection). */
int64_t sl_zk_session_id(struct sl_zk *zk);
/* Waits until the session is connected: 0, SL_EFENCED (expired), SL_EZK_RETRY (timeout). */
int sl_zk_wait_connected(struct sl_zk *zk, int timeout_ms, struct sl_error *err);

/* Node events seen so far (watches fired, session changes). */
uint64_t sl_zk_events(struct sl_zk *zk);
/* Sleeps until sl_zk_events exceeds `seen` or timeout_ms passes (< 0: no limit). */
void sl_zk_wait_event(struct sl_zk *zk, uint64_t seen, int timeout_ms);

/* Creates every missing node of `path` (persistent, empty); existing ones are fine. */
int sl_zk_ensure(struct sl_zk *zk, const char *path, struct sl_error *err);
/* Creates `path` with data[0..len) and SL_ZK_* flags; the created path (with its sequence
 * number, without the chroot) into out_path[cap] when out_path is not NULL. Fault points
 * zk.create_send, zk.create_reply. */
int sl_zk_create(struct sl_zk *zk, const char *path, const void *data, size_t len, int flags,
                 char *out_path, size_t cap, struct sl_error *err);
/* Reads up to cap bytes of data into buf, the length into *len and the stat into *stat
 * (either may be NULL). SL_EFULL when the data is longer than cap. */
int sl_zk_get(struct sl_zk *zk, const char *path, void *buf, size_t cap, size_t *len,
              struct sl_zk_stat *stat, struct sl_error *err);
/* Deletes `path` at `version` (-1: any). */
int sl_zk_delete(struct sl_zk *zk, const char *path, int version, struct sl_error *err);
/* Whether `path` exists into *exists; with watch, its next change or deletion (or creation)
 * counts as an event. */
int sl_zk_exists(struct sl_zk *zk, const char *path, bool watch, bool *exists,
                 struct sl_error *err);
/* The children's names of `path`, sorted; *names is the caller's (sl_zk_names_free). */
int sl_zk_children(struct sl_zk *zk, const char *path, char ***names, size_t *n,
                   struct sl_error *err);
/* As sl_zk_children; with watch, the next change of the set of children (one created or
 * deleted), or the deletion of `path`, counts as an event (sl_zk_wait_event). */
int sl_zk_children_watch(struct sl_zk *zk, const char *path, bool watch, char ***names, size_t *n,
                         struct sl_error *err);
void sl_zk_names_free(char **names, size_t n);
/* Brings the server this client talks to up to date with the leader for `path` (ZooKeeper's
 * sync), so that a read afterwards sees every write committed before. */
int sl_zk_sync(struct sl_zk *zk, const char *path, struct sl_error *err);

/* The read-back of a write whose outcome is unknown (SL_EZK_RETRY): a sync, then a get (as
 * sl_zk_get), so that the read sees every write the server's leader committed - a lost
 * answer's request included, once it landed. A lost connection is waited for and the read
 * made again until timeout_ms passes (then SL_EZK_RETRY); SL_ENOTFOUND when the node is
 * absent. Shared by coord/store_zk.c (the epoch record) and coord/cluster.c (the
 * assignment). */
int sl_zk_get_synced(struct sl_zk *zk, const char *path, void *buf, size_t cap, size_t *len,
                     struct sl_zk_stat *stat, int timeout_ms, struct sl_error *err);

enum sl_zk_op_type { SL_ZK_OP_CREATE, SL_ZK_OP_SET, SL_ZK_OP_DELETE, SL_ZK_OP_CHECK };

/* One operation of a multi; paths are under the chroot like everywhere else. */
struct sl_zk_op {
    enum sl_zk_op_type type;
    const char *path;
    const void *data; /* CREATE, SET */
    size_t len;
    int version; /* SET, DELETE, CHECK: expected version, -1 any */
    int flags;   /* CREATE: SL_ZK_* */
    /* out */
    int rc;              /* this operation's result (mapped as above) */
    int32_t new_version; /* SET: the node's version afterwards */
};

/*
 * Runs ops[0..n) atomically (zoo_multi). 0 when all applied; else the first failing
 * operation's code, its index into *failed (-1 when the whole request failed, e.g. on
 * SL_EZK_RETRY: then whether it was applied is unknown). SL_ERANGE, before sending, when
 * the request would exceed SL_ZK_REQUEST_MAX. Fault points zk.multi_send, zk.multi_reply.
 */
int sl_zk_multi(struct sl_zk *zk, struct sl_zk_op *ops, int n, int *failed, struct sl_error *err);
/* The request size sl_zk_multi checks: an upper bound of what goes on the wire. */
size_t sl_zk_multi_size(const struct sl_zk *zk, const struct sl_zk_op *ops, int n);

/*
 * A fault hook for tests: called on the caller's thread at "multi.before" (rc 0; a nonzero
 * return skips the request and is taken as ZooKeeper's answer) and "multi.after" (rc is
 * the mapped result; the return value replaces it - e.g. SL_EZK_RETRY for "the answer was
 * lost"). NULL removes it.
 */
typedef int (*sl_zk_hook_fn)(void *ctx, const char *point, int rc);
void sl_zk_set_hook(struct sl_zk *zk, sl_zk_hook_fn fn, void *ctx);

/*
 * Ends `victim`'s session from the server side: connects a second client with the same
 * session id and password to `connect` and closes it, which makes the server expire the
 * session (the known way to fence a stuck process, and to test expiry). The victim's
 * handle sees the expiry when it next talks to the server.
 */
int sl_zk_kill_session(const char *connect, struct sl_zk *victim, int timeout_ms,
                       struct sl_error *err);

#endif
