/*
 * tests/coord/test_zk_ambiguous.c - writes whose outcome is unknown (issue #11): a request
 * or its answer lost with the connection, against a real ZooKeeper server this program
 * starts once. The losses are injected at the wrapper's fault points (coord/zk.h: FAULT
 * POINTS) so that every round takes exactly the path it names:
 *
 *   zk.multi_reply   the commit multi landed, its answer was lost
 *   zk.multi_send    the commit multi never reached the server
 *   zk.readback      the read-back that would settle it fails too: the put returns
 *                    "outcome unknown" (SL_EZK_RETRY) and the caller's later retry - a put,
 *                    or a read first as engine/checkpoint.c does - must settle it
 *   zk.create_reply / zk.create_send   the latch's ephemeral sequential create
 *
 * Each mode runs 50 epochs (PREPARED and COMMITTED puts both hit), and every round checks
 * that the put succeeds, that the epoch node moved by exactly one version per put (nothing
 * landed twice, nothing was lost), that it holds this round's record, and at the end that
 * the history holds exactly the last SL_COMMIT_HISTORY epochs. A real foreign writer (a
 * second handle setting the node) must still be SL_EFENCED, also right after an unknown
 * outcome, with a message that says what it found. Skipped when Java or the zookeeper
 * package is missing.
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord/commit.h"
#include "coord/latch.h"
#include "coord/store_zk.h"
#include "coord/zk.h"
#include "engine/core/fault.h"
#include "tests/util/zkserver.h"

#define ROUNDS 50

static struct sl_zkserver *g_zk;
static const char *g_addr;

#define SKIP_WITHOUT_SERVER()                                  \
    do {                                                       \
        if (!g_zk) {                                           \
            fprintf(stderr, "skipped: no ZooKeeper server\n"); \
            skip();                                            \
        }                                                      \
    } while (0)

static void check_ok(int rc, const struct sl_error *err)
{
    if (rc)
        fail_msg("rc %d: %s", rc, err->msg);
}

static void arm(const char *spec)
{
    struct sl_error err;
    check_ok(sl_fault_set(spec, &err), &err);
}

static struct sl_epoch_rec rec_make(int64_t epoch, enum sl_epoch_phase phase, uint64_t nonce)
{
    struct sl_epoch_rec r;
    memset(&r, 0, sizeof(r));
    r.epoch = epoch;
    r.phase = phase;
    r.nonce = nonce;
    r.manifest_crc = (uint32_t)epoch * 13u;
    snprintf(r.manifest, sizeof(r.manifest), "manifest-%" PRId64, epoch);
    snprintf(r.offsets, sizeof(r.offsets), "t:0=%" PRId64, epoch * 10);
    return r;
}

static struct sl_commit_store *store_new(const char *job)
{
    struct sl_zk_store_config cfg = {.connect = g_addr, .job = job, .session_ms = 15000};
    struct sl_commit_store *s;
    struct sl_error err;
    check_ok(sl_zk_store_new(&cfg, &s, &err), &err);
    check_ok(sl_commit_acquire(s, 10000, &err), &err);
    return s;
}

static struct sl_zk *admin_open(void)
{
    struct sl_zk *zk;
    struct sl_error err;
    check_ok(sl_zk_open(g_addr, 10000, 10000, &zk, &err), &err);
    return zk;
}

/* The epoch node as a separate client sees it. */
static struct sl_epoch_rec node_read(struct sl_zk *zk, const char *job, int32_t *version)
{
    char path[128], buf[SL_EPOCH_ENCODED_MAX + 1];
    size_t len;
    struct sl_zk_stat st;
    struct sl_error err;
    struct sl_epoch_rec r;
    snprintf(path, sizeof(path), "/%s/epoch", job);
    check_ok(sl_zk_get(zk, path, buf, sizeof(buf), &len, &st, &err), &err);
    memset(&r, 0, sizeof(r));
    if (len > 0) /* empty before the first put */
        check_ok(sl_epoch_decode(buf, len, &r, NULL, &err), &err);
    *version = st.version;
    return r;
}

/* A foreign process's write: `rec` set on the node at any version. */
static void node_write(struct sl_zk *zk, const char *job, const struct sl_epoch_rec *rec)
{
    char path[128], buf[SL_EPOCH_ENCODED_MAX];
    size_t len;
    int failed;
    struct sl_error err;
    snprintf(path, sizeof(path), "/%s/epoch", job);
    assert_int_equal(sl_epoch_encode(rec, buf, sizeof(buf), &len), 0);
    struct sl_zk_op op = {
        .type = SL_ZK_OP_SET, .path = path, .data = buf, .len = len, .version = -1};
    check_ok(sl_zk_multi(zk, &op, 1, &failed, &err), &err);
}

/* The history's children are exactly e-(last-k+1) .. e-last. */
static void check_history_nodes(struct sl_zk *zk, const char *job, int64_t last)
{
    char path[128], want[64];
    char **names;
    size_t n;
    struct sl_error err;
    snprintf(path, sizeof(path), "/%s/history", job);
    check_ok(sl_zk_children(zk, path, &names, &n, &err), &err);
    int64_t k = last < SL_COMMIT_HISTORY ? last : SL_COMMIT_HISTORY;
    assert_int_equal(n, (size_t)k);
    for (size_t i = 0; i < n; i++) {
        snprintf(want, sizeof(want), "e-%020" PRId64, last - k + 1 + (int64_t)i);
        assert_string_equal(names[i], want);
    }
    sl_zk_names_free(names, n);
}

/* ---- the modes --------------------------------------------------------------------------- */

enum mode {
    REPLY_LOST,           /* landed, answer lost; the put's read-back settles it */
    REQUEST_LOST,         /* never sent; the read-back sees nothing moved, sends again */
    REPLY_LOST_UNKNOWN,   /* landed; the read-back fails too: unknown; the retry put settles */
    REQUEST_LOST_UNKNOWN, /* not landed; read-back fails: unknown; the retry put sends */
    REPLY_LOST_READ,      /* landed, unknown; the caller reads (sl_commit_last), then puts */
    REQUEST_LOST_READ,    /* not landed, unknown; read, then put */
};

static const char *mode_spec(enum mode m)
{
    switch (m) {
    case REPLY_LOST:
        return "zk.multi_reply:ECONNRESET";
    case REQUEST_LOST:
        return "zk.multi_send:ECONNRESET";
    case REPLY_LOST_UNKNOWN:
    case REPLY_LOST_READ:
        return "zk.multi_reply:ETIMEDOUT,zk.readback:ETIMEDOUT";
    case REQUEST_LOST_UNKNOWN:
    case REQUEST_LOST_READ:
    default:
        return "zk.multi_send:ECONNRESET,zk.readback:ETIMEDOUT";
    }
}

/* Puts `rec` with the mode's fault armed; 0 when the put, or the caller's retry of it,
 * succeeded. */
static void put_through(struct sl_commit_store *s, enum mode m, const struct sl_epoch_rec *rec)
{
    struct sl_error err;
    arm(mode_spec(m));
    const char *point = strstr(mode_spec(m), "multi_reply") ? "zk.multi_reply" : "zk.multi_send";
    int rc = sl_commit_put(s, rec, &err);
    assert_true(sl_fault_hits(point) >= 1); /* the loss happened */
    if (m == REPLY_LOST || m == REQUEST_LOST) {
        check_ok(rc, &err);
        arm(NULL);
        return;
    }
    /* the read-back failed as well: the outcome is unknown, and said so */
    if (rc != SL_EZK_RETRY)
        fail_msg("epoch %" PRId64 " %s: want SL_EZK_RETRY, got %d: %s", rec->epoch,
                 sl_epoch_phase_name(rec->phase), rc, err.msg);
    assert_non_null(strstr(err.msg, "outcome unknown"));
    assert_int_equal(sl_fault_hits("zk.readback"), 1);
    arm(NULL);
    if (m == REPLY_LOST_READ || m == REQUEST_LOST_READ) {
        struct sl_epoch_rec cur;
        check_ok(sl_commit_last(s, &cur, &err), &err);
        if (sl_epoch_equal(&cur, rec))
            return; /* engine/checkpoint.c stops here: it was applied after all */
    }
    rc = sl_commit_put(s, rec, &err);
    if (rc)
        fail_msg("epoch %" PRId64 " %s, the retry after an unknown outcome: rc %d: %s", rec->epoch,
                 sl_epoch_phase_name(rec->phase), rc, err.msg);
}

static void run_mode(const char *job, enum mode m)
{
    struct sl_commit_store *s = store_new(job);
    struct sl_zk *admin = admin_open();
    struct sl_error err;
    int32_t v0, v;
    node_read(admin, job, &v0); /* created empty by the acquire */
    for (int64_t e = 1; e <= ROUNDS; e++) {
        struct sl_epoch_rec p = rec_make(e, SL_EPOCH_PREPARED, (uint64_t)e * 1000 + 7), c = p;
        c.phase = SL_EPOCH_COMMITTED;
        put_through(s, m, &p);
        struct sl_epoch_rec got = node_read(admin, job, &v);
        assert_true(sl_epoch_equal(&got, &p));
        assert_int_equal(v, v0 + 2 * (int32_t)e - 1); /* landed exactly once */
        put_through(s, m, &c);
        got = node_read(admin, job, &v);
        assert_true(sl_epoch_equal(&got, &c));
        assert_int_equal(v, v0 + 2 * (int32_t)e);
        check_history_nodes(admin, job, e);
    }
    /* the store's own view agrees: the history through the store, and one more clean put */
    struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
    size_t n;
    check_ok(sl_commit_history(s, hist, SL_COMMIT_HISTORY, &n, &err), &err);
    assert_int_equal(n, SL_COMMIT_HISTORY);
    for (size_t i = 0; i < n; i++) {
        int64_t e = ROUNDS - (int64_t)i;
        struct sl_epoch_rec want = rec_make(e, SL_EPOCH_COMMITTED, (uint64_t)e * 1000 + 7);
        assert_true(sl_epoch_equal(&hist[i], &want));
    }
    struct sl_epoch_rec p = rec_make(ROUNDS + 1, SL_EPOCH_PREPARED, 1), c = p;
    c.phase = SL_EPOCH_COMMITTED;
    check_ok(sl_commit_put(s, &p, &err), &err);
    check_ok(sl_commit_put(s, &c, &err), &err);
    check_history_nodes(admin, job, ROUNDS + 1);
    node_read(admin, job, &v);
    assert_int_equal(v, v0 + 2 * ROUNDS + 2);
    sl_zk_close(admin);
    sl_commit_free(s);
}

static void test_reply_lost(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_mode("amb-reply", REPLY_LOST);
}

static void test_request_lost(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_mode("amb-request", REQUEST_LOST);
}

static void test_reply_lost_unknown_retry(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_mode("amb-reply-unknown", REPLY_LOST_UNKNOWN);
}

static void test_request_lost_unknown_retry(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_mode("amb-request-unknown", REQUEST_LOST_UNKNOWN);
}

static void test_reply_lost_unknown_read(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_mode("amb-reply-read", REPLY_LOST_READ);
}

static void test_request_lost_unknown_read(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_mode("amb-request-read", REQUEST_LOST_READ);
}

/* The caller gives up on a put of unknown outcome and puts a different record (the same
 * epoch redone with a fresh nonce): the earlier one, found on the node, is still this
 * process's own write, not a foreign one. */
static void test_unknown_then_other_record(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    const char *job = "amb-other";
    struct sl_commit_store *s = store_new(job);
    struct sl_zk *admin = admin_open();
    struct sl_error err;
    int32_t v0, v;
    struct sl_epoch_rec p1 = rec_make(1, SL_EPOCH_PREPARED, 11), c1 = p1;
    c1.phase = SL_EPOCH_COMMITTED;
    check_ok(sl_commit_put(s, &p1, &err), &err);
    check_ok(sl_commit_put(s, &c1, &err), &err);
    node_read(admin, job, &v0);
    struct sl_epoch_rec p2 = rec_make(2, SL_EPOCH_PREPARED, 21);
    struct sl_epoch_rec p2b = rec_make(2, SL_EPOCH_PREPARED, 22), c2b = p2b;
    c2b.phase = SL_EPOCH_COMMITTED;
    arm("zk.multi_reply:ECONNRESET,zk.readback:ETIMEDOUT");
    assert_int_equal(sl_commit_put(s, &p2, &err), SL_EZK_RETRY);
    arm(NULL);
    check_ok(sl_commit_put(s, &p2b, &err), &err);
    struct sl_epoch_rec got = node_read(admin, job, &v);
    assert_true(sl_epoch_equal(&got, &p2b));
    assert_int_equal(v, v0 + 2); /* p2 landed, then p2b over it */
    check_ok(sl_commit_put(s, &c2b, &err), &err);
    check_history_nodes(admin, job, 2);
    sl_zk_close(admin);
    sl_commit_free(s);
}

/* ---- a real foreign writer --------------------------------------------------------------- */

static void expect_fenced(struct sl_commit_store *s, const struct sl_epoch_rec *rec,
                          const char *found)
{
    struct sl_error err;
    int rc = sl_commit_put(s, rec, &err);
    if (rc != SL_EFENCED)
        fail_msg("want SL_EFENCED, got %d: %s", rc, err.msg);
    if (!strstr(err.msg, "another process wrote it") || !strstr(err.msg, found))
        fail_msg("message does not say what it found (%s): %s", found, err.msg);
}

static void test_foreign_writer(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    struct sl_zk *admin = admin_open();
    struct sl_error err;
    int32_t v;
    /* plain: the node moved under a leader that had no doubt about its last write */
    const char *job = "amb-foreign";
    struct sl_commit_store *s = store_new(job);
    struct sl_epoch_rec p1 = rec_make(1, SL_EPOCH_PREPARED, 11), c1 = p1;
    c1.phase = SL_EPOCH_COMMITTED;
    check_ok(sl_commit_put(s, &p1, &err), &err);
    check_ok(sl_commit_put(s, &c1, &err), &err);
    struct sl_epoch_rec alien = rec_make(2, SL_EPOCH_PREPARED, 0xa11e0);
    node_write(admin, job, &alien);
    struct sl_epoch_rec p2 = rec_make(2, SL_EPOCH_PREPARED, 21);
    expect_fenced(s, &p2, "00000000000a11e0");
    struct sl_epoch_rec got = node_read(admin, job, &v);
    assert_true(sl_epoch_equal(&got, &alien)); /* not overwritten */
    sl_commit_free(s);

    /* after an unknown outcome of each kind, a foreign write on top is still foreign */
    static const char *const specs[] = {"zk.multi_reply:ECONNRESET,zk.readback:ETIMEDOUT",
                                        "zk.multi_send:ECONNRESET,zk.readback:ETIMEDOUT"};
    for (int k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof(name), "amb-foreign-%d", k);
        s = store_new(name);
        check_ok(sl_commit_put(s, &p1, &err), &err);
        check_ok(sl_commit_put(s, &c1, &err), &err);
        arm(specs[k]);
        assert_int_equal(sl_commit_put(s, &p2, &err), SL_EZK_RETRY);
        arm(NULL);
        node_write(admin, name, &alien);
        expect_fenced(s, &p2, "00000000000a11e0");
        got = node_read(admin, name, &v);
        assert_true(sl_epoch_equal(&got, &alien));
        sl_commit_free(s);
    }
    sl_zk_close(admin);
}

/* ---- the latch --------------------------------------------------------------------------- */

static size_t latch_children(struct sl_zk *zk, const char *dir, char *first, size_t cap)
{
    char **names;
    size_t n;
    struct sl_error err;
    check_ok(sl_zk_children(zk, dir, &names, &n, &err), &err);
    if (n > 0)
        snprintf(first, cap, "%s/%s", dir, names[0]);
    sl_zk_names_free(names, n);
    return n;
}

/* A contender's create loses its request or its answer: it still ends up with exactly one
 * node, in its place in the line. */
static void run_latch(const char *spec)
{
    struct sl_zk *a = admin_open(), *b = admin_open(), *admin = admin_open();
    struct sl_error err;
    char node[SL_ZK_PATH_MAX];
    for (int i = 0; i < ROUNDS; i++) {
        struct sl_latch *la, *lb;
        check_ok(sl_latch_new(a, "/amb-latch", &la, &err), &err);
        check_ok(sl_latch_new(b, "/amb-latch", &lb, &err), &err);
        /* on odd rounds the fault hits the standby, behind a leader */
        if (i % 2)
            check_ok(sl_latch_acquire(lb, 5000, &err), &err);
        arm(spec);
        struct sl_latch *victim = i % 2 ? la : lb;
        int rc = sl_latch_acquire(victim, i % 2 ? 200 : 5000, &err);
        /* passed at least once: the first pass fired */
        assert_true(sl_fault_hits(strstr(spec, "reply") ? "zk.create_reply" : "zk.create_send") >=
                    1);
        arm(NULL);
        if (i % 2) {
            assert_int_equal(rc, SL_ETIMEOUT);
            assert_int_equal(latch_children(admin, "/amb-latch", node, sizeof(node)), 2);
            check_ok(sl_latch_release(lb, &err), &err);
            check_ok(sl_latch_acquire(la, 5000, &err), &err); /* next in line: A */
        } else {
            check_ok(rc, &err);
        }
        assert_int_equal(latch_children(admin, "/amb-latch", node, sizeof(node)), 1);
        assert_string_equal(node, sl_latch_node(victim));
        sl_latch_free(la);
        sl_latch_free(lb);
        assert_int_equal(latch_children(admin, "/amb-latch", node, sizeof(node)), 0);
    }
    sl_zk_close(admin);
    sl_zk_close(b);
    sl_zk_close(a);
}

static void test_latch_reply_lost(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_latch("zk.create_reply:ECONNRESET");
}

static void test_latch_request_lost(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    run_latch("zk.create_send:ECONNRESET");
}

/* A lost create that lands late, after the latch adopted its first node: the duplicate
 * (same token, same session) is taken out of the line at the next look, and release leaves
 * nothing behind. The late landing is played by creating the node by hand. */
static void test_latch_late_landing(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    struct sl_zk *a = admin_open(), *admin = admin_open();
    struct sl_error err;
    struct sl_latch *la;
    char node[SL_ZK_PATH_MAX], prefix[SL_ZK_PATH_MAX], late[SL_ZK_PATH_MAX];
    check_ok(sl_latch_new(a, "/amb-late", &la, &err), &err);
    arm("zk.create_reply:ECONNRESET");
    check_ok(sl_latch_acquire(la, 5000, &err), &err);
    arm(NULL);
    /* the node's name carries the token: "n-<16 hex>-<sequence>" */
    const char *own = sl_latch_node(la);
    const char *dash = strrchr(own, '-');
    assert_non_null(dash);
    assert_int_equal(strlen(strrchr(own, '/') + 1), strlen("n-0123456789abcdef-0000000000"));
    snprintf(prefix, sizeof(prefix), "%.*s", (int)(dash + 1 - own), own);
    for (int i = 0; i < 2; i++) {
        check_ok(sl_zk_create(a, prefix, "late", 4, SL_ZK_EPHEMERAL | SL_ZK_SEQUENTIAL, late,
                              sizeof(late), &err),
                 &err);
        assert_int_equal(latch_children(admin, "/amb-late", node, sizeof(node)), 2);
        if (i == 0) { /* the next look removes it */
            check_ok(sl_latch_acquire(la, 5000, &err), &err);
            assert_int_equal(latch_children(admin, "/amb-late", node, sizeof(node)), 1);
            assert_string_equal(node, sl_latch_node(la));
        }
    }
    check_ok(sl_latch_release(la, &err), &err); /* its own node and the late one */
    assert_int_equal(latch_children(admin, "/amb-late", node, sizeof(node)), 0);
    sl_latch_free(la);
    sl_zk_close(admin);
    sl_zk_close(a);
}

/* ---- fixture ------------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    struct sl_error err;
    if (sl_zkserver_start(&g_zk, &err) != 0) {
        fprintf(stderr, "ZooKeeper server: %s\n", err.msg);
        g_zk = NULL;
        return err.code == SL_ENOTSUP ? 0 : -1;
    }
    g_addr = sl_zkserver_address(g_zk);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    arm(NULL);
    sl_zkserver_free(g_zk);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_lost),
        cmocka_unit_test(test_request_lost),
        cmocka_unit_test(test_reply_lost_unknown_retry),
        cmocka_unit_test(test_request_lost_unknown_retry),
        cmocka_unit_test(test_reply_lost_unknown_read),
        cmocka_unit_test(test_request_lost_unknown_read),
        cmocka_unit_test(test_unknown_then_other_record),
        cmocka_unit_test(test_foreign_writer),
        cmocka_unit_test(test_latch_reply_lost),
        cmocka_unit_test(test_latch_request_lost),
        cmocka_unit_test(test_latch_late_landing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
