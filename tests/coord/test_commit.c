/*
 * tests/coord/test_commit.c - the epoch record's text form, the protocol's transition
 * rules, and the protocol run against both commit stores: the file store (with crashes
 * between its steps, through forked children and crash points) and the ZooKeeper store
 * against a real server this program starts once (skipped with a message when Java or the
 * zookeeper package is missing).
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coord/commit.h"
#include "coord/store_file.h"
#include "coord/store_zk.h"
#include "engine/core/fault.h"
#include "tests/util/zkserver.h"

static struct sl_zkserver *g_zk;
static char g_dir[256];

static struct sl_epoch_rec rec_make(int64_t epoch, enum sl_epoch_phase phase, uint64_t nonce)
{
    struct sl_epoch_rec r;
    memset(&r, 0, sizeof(r));
    r.epoch = epoch;
    r.phase = phase;
    r.nonce = nonce;
    r.manifest_crc = (uint32_t)(0x9e3779b9u * (uint32_t)epoch);
    snprintf(r.manifest, sizeof(r.manifest), "epoch-%" PRId64 "/manifest", epoch);
    snprintf(r.offsets, sizeof(r.offsets), "bids:0=%" PRId64 ",1=%" PRId64, epoch * 100,
             epoch * 100 + 7);
    return r;
}

/* ---- text form ------------------------------------------------------------------------- */

static void test_encode_exact(void **state)
{
    (void)state;
    struct sl_epoch_rec r = rec_make(42, SL_EPOCH_PREPARED, 0x0123456789abcdefull);
    r.manifest_crc = 0xdeadbeef;
    char buf[SL_EPOCH_ENCODED_MAX];
    size_t len;
    assert_int_equal(sl_epoch_encode(&r, buf, sizeof(buf), &len), 0);
    const char *want = "sluice-epoch 1\nepoch 42\nphase PREPARED\nnonce 0123456789abcdef\n"
                       "manifest epoch-42/manifest\nmanifest-crc deadbeef\n"
                       "offsets bids:0=4200,1=4207\nend\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    struct sl_epoch_rec back;
    size_t used;
    struct sl_error err;
    assert_int_equal(sl_epoch_decode(buf, len, &back, &used, &err), 0);
    assert_int_equal(used, len);
    assert_true(sl_epoch_equal(&back, &r));
    /* short buffer */
    assert_int_equal(sl_epoch_encode(&r, buf, len - 1, &len), SL_EFULL);
}

static void test_encode_extremes(void **state)
{
    (void)state;
    struct sl_epoch_rec r = rec_make(1, SL_EPOCH_COMMITTED, UINT64_MAX);
    r.epoch = INT64_MAX;
    r.manifest_crc = UINT32_MAX;
    memset(r.manifest, 'm', sizeof(r.manifest) - 1);
    r.manifest[sizeof(r.manifest) - 1] = '\0';
    memset(r.offsets, 'o', sizeof(r.offsets) - 1);
    r.offsets[sizeof(r.offsets) - 1] = '\0';
    char buf[SL_EPOCH_ENCODED_MAX];
    size_t len;
    struct sl_epoch_rec back;
    assert_int_equal(sl_epoch_encode(&r, buf, sizeof(buf), &len), 0);
    assert_int_equal(sl_epoch_decode(buf, len, &back, NULL, NULL), 0);
    assert_true(sl_epoch_equal(&back, &r));
    /* empty text fields */
    r.manifest[0] = '\0';
    r.offsets[0] = '\0';
    assert_int_equal(sl_epoch_encode(&r, buf, sizeof(buf), &len), 0);
    assert_int_equal(sl_epoch_decode(buf, len, &back, NULL, NULL), 0);
    assert_true(sl_epoch_equal(&back, &r));
    /* line breaks cannot be encoded */
    strcpy(r.manifest, "a\nb");
    assert_int_equal(sl_epoch_encode(&r, buf, sizeof(buf), &len), SL_EINVAL);
    strcpy(r.manifest, "ok");
    strcpy(r.offsets, "x\ry");
    assert_int_equal(sl_epoch_encode(&r, buf, sizeof(buf), &len), SL_EINVAL);
    /* NONE round trip */
    struct sl_epoch_rec none;
    memset(&none, 0, sizeof(none));
    assert_int_equal(sl_epoch_encode(&none, buf, sizeof(buf), &len), 0);
    assert_int_equal(sl_epoch_decode(buf, len, &back, NULL, NULL), 0);
    assert_int_equal(back.phase, SL_EPOCH_NONE);
}

static void test_decode_corrupt(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "sluice-epoch 2\nepoch 1\nphase PREPARED\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch -1\nphase PREPARED\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 1\nphase DONE\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 1\nphase PREPARED\nnonce 01\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 1\nphase PREPARED\nnonce 000000000000000g\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 1\nphase PREPARED\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 0000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 1\nphase PREPARED\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\n",
        "sluice-epoch 1\nepoch 1\nphase PREPARED\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\nend\n",
        "sluice-epoch 1\nepoch 5\nphase NONE\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 0\nphase COMMITTED\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 99999999999999999999\nphase PREPARED\nnonce 0000000000000001\n"
        "manifest m\nmanifest-crc 00000000\noffsets o\nend\n",
        "sluice-epoch 1\nepoch 1\nphase PREPARED\nnonce 0000000000000001\nmanifest m\n"
        "manifest-crc 00000000\noffsets o\nendx\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sl_epoch_rec r;
        struct sl_error err;
        sl_error_clear(&err);
        int rc = sl_epoch_decode(bad[i], strlen(bad[i]), &r, NULL, &err);
        if (rc != SL_ECORRUPT)
            fail_msg("case %zu decoded (rc %d)", i, rc);
        assert_true(err.msg[0] != '\0');
    }
    /* a good one decodes; every truncation of it does not */
    const char *good = "sluice-epoch 1\nepoch 1\nphase PREPARED\nnonce 0000000000000001\n"
                       "manifest m\nmanifest-crc 00000000\noffsets o\nend\n";
    struct sl_epoch_rec r;
    assert_int_equal(sl_epoch_decode(good, strlen(good), &r, NULL, NULL), 0);
    for (size_t cut = 0; cut < strlen(good); cut++)
        assert_int_equal(sl_epoch_decode(good, cut, &r, NULL, NULL), SL_ECORRUPT);
}

/* ---- transition rules -------------------------------------------------------------------- */

static void test_transitions(void **state)
{
    (void)state;
    struct sl_epoch_rec none,
        p1 = rec_make(1, SL_EPOCH_PREPARED, 11), c1 = rec_make(1, SL_EPOCH_COMMITTED, 11),
        p2 = rec_make(2, SL_EPOCH_PREPARED, 22), p2b = rec_make(2, SL_EPOCH_PREPARED, 23),
        c2 = rec_make(2, SL_EPOCH_COMMITTED, 22), c2b = rec_make(2, SL_EPOCH_COMMITTED, 23),
        p3 = rec_make(3, SL_EPOCH_PREPARED, 33), p7 = rec_make(7, SL_EPOCH_PREPARED, 77);
    memset(&none, 0, sizeof(none));
    struct {
        const struct sl_epoch_rec *cur, *next;
        int want;
    } cases[] = {
        {&none, &p1, 0},
        {&none, &p7, 0}, /* a first epoch may start anywhere */
        {&none, &c1, SL_ESTATE},
        {&p1, &c1, 0},
        {&p1, &p2, SL_ESTATE},
        {&c1, &p2, 0},
        {&c1, &p3, 0} /* epochs of failed attempts are skipped */,
        {&c1, &p1, SL_ESTATE},
        {&c1, &c1, SL_ESTATE},
        {&p2, &p2b, 0},         /* redo a rolled-back epoch */
        {&p2b, &c2, SL_ESTATE}, /* nonce of another attempt */
        {&p2b, &c2b, 0},
        {&p2, &c1, SL_ESTATE},
        {&c2, &p1, SL_ESTATE},
        {&none, &none, SL_EINVAL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = sl_commit_check_transition(cases[i].cur, cases[i].next, NULL);
        if (rc != cases[i].want)
            fail_msg("case %zu: %d, want %d", i, rc, cases[i].want);
    }
    struct sl_epoch_rec c1m = c1;
    c1m.manifest_crc ^= 1;
    assert_int_equal(sl_commit_check_transition(&p1, &c1m, NULL), SL_ESTATE);
    c1m = c1;
    strcpy(c1m.offsets, "other");
    assert_int_equal(sl_commit_check_transition(&p1, &c1m, NULL), SL_ESTATE);
    struct sl_epoch_rec zero = rec_make(1, SL_EPOCH_PREPARED, 1);
    zero.epoch = 0;
    assert_int_equal(sl_commit_check_transition(&none, &zero, NULL), SL_EINVAL);
    struct sl_epoch_rec nl = p1;
    strcpy(nl.manifest, "a\nb");
    assert_int_equal(sl_commit_check_transition(&none, &nl, NULL), SL_EINVAL);
}

/* ---- the protocol on a store ---------------------------------------------------------------- */

typedef int (*store_new_fn)(const char *where, struct sl_commit_store **out, struct sl_error *err);

static int file_new(const char *where, struct sl_commit_store **out, struct sl_error *err)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/%s", g_dir, where);
    return sl_file_store_new(dir, out, err);
}

static int zk_new(const char *where, struct sl_commit_store **out, struct sl_error *err)
{
    struct sl_zk_store_config cfg = {
        .connect = sl_zkserver_address(g_zk), .job = where, .session_ms = 4000};
    return sl_zk_store_new(&cfg, out, err);
}

static void check_ok(int rc, const struct sl_error *err)
{
    if (rc)
        fail_msg("rc %d: %s", rc, err->msg);
}

static void run_protocol(store_new_fn mk, const char *where)
{
    struct sl_commit_store *s, *reader;
    struct sl_error err;
    struct sl_epoch_rec last;
    check_ok(mk(where, &s, &err), &err);
    struct sl_epoch_rec p1 = rec_make(1, SL_EPOCH_PREPARED, 101);
    assert_int_equal(sl_commit_put(s, &p1, &err), SL_ESTATE); /* not the leader yet */
    check_ok(sl_commit_acquire(s, 5000, &err), &err);
    check_ok(sl_commit_last(s, &last, &err), &err);
    assert_int_equal(last.phase, SL_EPOCH_NONE);
    size_t n = 99;
    struct sl_epoch_rec hist[SL_COMMIT_HISTORY + 2];
    check_ok(sl_commit_history(s, hist, SL_COMMIT_HISTORY + 2, &n, &err), &err);
    assert_int_equal(n, 0);

    struct sl_epoch_rec c1 = rec_make(1, SL_EPOCH_COMMITTED, 101);
    assert_int_equal(sl_commit_put(s, &c1, &err), SL_ESTATE); /* not prepared */
    check_ok(sl_commit_put(s, &p1, &err), &err);
    check_ok(sl_commit_last(s, &last, &err), &err);
    assert_true(sl_epoch_equal(&last, &p1));
    check_ok(sl_commit_put(s, &c1, &err), &err);
    check_ok(sl_commit_put(s, &c1, &err), &err); /* the same put again: a no-op */
    struct sl_epoch_rec p1again = rec_make(1, SL_EPOCH_PREPARED, 303);
    assert_int_equal(sl_commit_put(s, &p1again, &err), SL_ESTATE); /* 1 is committed */
    struct sl_epoch_rec p2 = rec_make(2, SL_EPOCH_PREPARED, 202);
    struct sl_epoch_rec p2b = rec_make(2, SL_EPOCH_PREPARED, 203);
    check_ok(sl_commit_put(s, &p2, &err), &err);
    check_ok(sl_commit_put(s, &p2b, &err), &err); /* rolled back and redone */
    struct sl_epoch_rec c2 = rec_make(2, SL_EPOCH_COMMITTED, 202);
    assert_int_equal(sl_commit_put(s, &c2, &err), SL_ESTATE); /* the old attempt's nonce */
    c2.nonce = 203;
    check_ok(sl_commit_put(s, &c2, &err), &err);
    for (int64_t e = 3; e <= 12; e++) {
        struct sl_epoch_rec p = rec_make(e, SL_EPOCH_PREPARED, (uint64_t)e * 1000 + 1);
        struct sl_epoch_rec c = p;
        c.phase = SL_EPOCH_COMMITTED;
        check_ok(sl_commit_put(s, &p, &err), &err);
        check_ok(sl_commit_put(s, &c, &err), &err);
    }
    check_ok(sl_commit_history(s, hist, SL_COMMIT_HISTORY + 2, &n, &err), &err);
    assert_int_equal(n, SL_COMMIT_HISTORY);
    for (size_t i = 0; i < n; i++) {
        struct sl_epoch_rec want =
            rec_make(12 - (int64_t)i, SL_EPOCH_COMMITTED, (uint64_t)(12 - (int64_t)i) * 1000 + 1);
        assert_true(sl_epoch_equal(&hist[i], &want));
    }
    check_ok(sl_commit_history(s, hist, 3, &n, &err), &err);
    assert_int_equal(n, 3);
    assert_int_equal(hist[2].epoch, 10);
    /* a second store object reads the same without leading */
    check_ok(mk(where, &reader, &err), &err);
    check_ok(sl_commit_last(reader, &last, &err), &err);
    assert_int_equal(last.epoch, 12);
    assert_int_equal(last.phase, SL_EPOCH_COMMITTED);
    assert_int_equal(sl_commit_put(reader, &last, &err), SL_ESTATE);
    sl_commit_free(reader);
    sl_commit_free(s);
}

static void test_protocol_file(void **state)
{
    (void)state;
    run_protocol(file_new, "proto");
}

static void test_protocol_zk(void **state)
{
    (void)state;
    if (!g_zk) {
        fprintf(stderr, "skipped: no ZooKeeper server (see the message above)\n");
        skip();
    }
    run_protocol(zk_new, "proto");
}

/* ---- the file store ------------------------------------------------------------------------ */

/* In a child: leads `dir`, commits epoch 1, then with SLUICE_CRASH_AT=point prepares 2. */
static void crash_child(const char *dir, const char *point)
{
    struct sl_commit_store *s;
    struct sl_error err;
    struct sl_epoch_rec p1 = rec_make(1, SL_EPOCH_PREPARED, 1), c1 = p1;
    c1.phase = SL_EPOCH_COMMITTED;
    struct sl_epoch_rec p2 = rec_make(2, SL_EPOCH_PREPARED, 2);
    if (sl_file_store_new(dir, &s, &err) || sl_commit_acquire(s, 5000, &err) ||
        sl_commit_put(s, &p1, &err) || sl_commit_put(s, &c1, &err))
        _exit(3);
    setenv("SLUICE_CRASH_AT", point, 1);
    sl_commit_put(s, &p2, &err);
    _exit(4); /* the crash point did not fire */
}

static void run_crash(const char *point, const char *sub, enum sl_epoch_phase want_phase,
                      int64_t want_epoch, int want_tmp)
{
    char dir[512], tmp[600];
    snprintf(dir, sizeof(dir), "%s/%s", g_dir, sub);
    snprintf(tmp, sizeof(tmp), "%s/commit.tmp", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        crash_child(dir, point);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), SL_CRASH_STATUS);
    struct stat st;
    assert_int_equal(stat(tmp, &st) == 0, want_tmp);
    struct sl_commit_store *s;
    struct sl_error err;
    struct sl_epoch_rec last;
    check_ok(sl_file_store_new(dir, &s, &err), &err);
    check_ok(sl_commit_acquire(s, 5000, &err), &err); /* the lock died with the child */
    check_ok(sl_commit_last(s, &last, &err), &err);
    assert_int_equal(last.phase, want_phase);
    assert_int_equal(last.epoch, want_epoch);
    struct sl_epoch_rec hist[4];
    size_t n;
    check_ok(sl_commit_history(s, hist, 4, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_int_equal(hist[0].epoch, 1);
    /* the protocol goes on from what survived */
    struct sl_epoch_rec p2 = rec_make(2, SL_EPOCH_PREPARED, 9), c2 = p2;
    c2.phase = SL_EPOCH_COMMITTED;
    check_ok(sl_commit_put(s, &p2, &err), &err);
    check_ok(sl_commit_put(s, &c2, &err), &err);
    assert_int_equal(stat(tmp, &st), -1);
    sl_commit_free(s);
}

static void test_file_crash_before_write(void **state)
{
    (void)state;
    run_crash("file.before_write", "crash_bw", SL_EPOCH_COMMITTED, 1, 0);
}

static void test_file_crash_before_rename(void **state)
{
    (void)state;
    /* written and fsynced, not renamed: the last complete epoch is still 1 */
    run_crash("file.before_rename", "crash_br", SL_EPOCH_COMMITTED, 1, 1);
}

static void test_file_crash_after_rename(void **state)
{
    (void)state;
    run_crash("file.after_rename", "crash_ar", SL_EPOCH_PREPARED, 2, 0);
}

static void test_file_corrupt(void **state)
{
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof(dir), "%s/corrupt", g_dir);
    snprintf(path, sizeof(path), "%s/commit", dir);
    struct sl_commit_store *s;
    struct sl_error err;
    struct sl_epoch_rec last, p1 = rec_make(1, SL_EPOCH_PREPARED, 5);
    check_ok(sl_file_store_new(dir, &s, &err), &err);
    check_ok(sl_commit_acquire(s, 1000, &err), &err);
    check_ok(sl_commit_put(s, &p1, &err), &err);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    char buf[4096];
    size_t len = fread(buf, 1, sizeof(buf), f);
    assert_true(len > 100);
    /* one flipped byte anywhere in the body */
    buf[40] ^= 0x01;
    rewind(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    assert_int_equal(sl_commit_last(s, &last, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "checksum"));
    /* a truncated file */
    assert_int_equal(truncate(path, (off_t)len / 2), 0);
    assert_int_equal(sl_commit_last(s, &last, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, path));
    sl_commit_free(s);
}

static void test_file_standby(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/standby", g_dir);
    struct sl_commit_store *a, *b;
    struct sl_error err;
    check_ok(sl_file_store_new(dir, &a, &err), &err);
    check_ok(sl_file_store_new(dir, &b, &err), &err);
    check_ok(sl_commit_acquire(a, 1000, &err), &err);
    assert_int_equal(sl_commit_acquire(b, 100, &err), SL_ETIMEOUT);
    struct sl_epoch_rec p1 = rec_make(1, SL_EPOCH_PREPARED, 5);
    assert_int_equal(sl_commit_put(b, &p1, &err), SL_ESTATE);
    check_ok(sl_commit_put(a, &p1, &err), &err);
    sl_commit_free(a);
    check_ok(sl_commit_acquire(b, 1000, &err), &err);
    struct sl_epoch_rec c1 = p1;
    c1.phase = SL_EPOCH_COMMITTED;
    check_ok(sl_commit_put(b, &c1, &err), &err); /* it loaded A's PREPARED 1 */
    sl_commit_free(b);
    assert_int_equal(sl_file_store_new("", &b, &err), SL_EINVAL);
}

/* A rename that reports an error, 50 epochs: on odd puts it renamed all the same (read
 * back: committed, 0), on even ones it did not (SL_EIO "not committed", the previous record
 * stands, and the caller's retry commits it). */
static void test_file_rename_ambiguous(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/rename", g_dir);
    struct sl_commit_store *s, *reader;
    struct sl_error err;
    struct sl_epoch_rec last, prev = {0};
    check_ok(sl_file_store_new(dir, &s, &err), &err);
    check_ok(sl_file_store_new(dir, &reader, &err), &err);
    check_ok(sl_commit_acquire(s, 1000, &err), &err);
    int k = 0;
    for (int64_t e = 1; e <= 50; e++) {
        struct sl_epoch_rec p = rec_make(e, SL_EPOCH_PREPARED, (uint64_t)e * 10 + 3), c = p;
        c.phase = SL_EPOCH_COMMITTED;
        const struct sl_epoch_rec *puts[2] = {&p, &c};
        for (int i = 0; i < 2; i++, k++) {
            bool happened = k % 2 == 0;
            check_ok(sl_fault_set(happened ? "file.rename_reply:ENOENT" : "file.rename:EIO", &err),
                     &err);
            int rc = sl_commit_put(s, puts[i], &err);
            assert_int_equal(sl_fault_hits(happened ? "file.rename_reply" : "file.rename"), 1);
            check_ok(sl_fault_set(NULL, &err), &err);
            if (happened) {
                check_ok(rc, &err);
            } else {
                assert_int_equal(rc, SL_EIO);
                assert_non_null(strstr(err.msg, "not committed"));
                check_ok(sl_commit_last(reader, &last, &err), &err);
                assert_true(sl_epoch_equal(&last, &prev));       /* the previous record stands */
                check_ok(sl_commit_put(s, puts[i], &err), &err); /* the caller's retry */
            }
            check_ok(sl_commit_last(reader, &last, &err), &err);
            assert_true(sl_epoch_equal(&last, puts[i]));
            prev = *puts[i];
        }
    }
    struct sl_epoch_rec hist[SL_COMMIT_HISTORY];
    size_t n;
    check_ok(sl_commit_history(reader, hist, SL_COMMIT_HISTORY, &n, &err), &err);
    assert_int_equal(n, SL_COMMIT_HISTORY);
    for (size_t i = 0; i < n; i++) {
        int64_t e = 50 - (int64_t)i;
        struct sl_epoch_rec want = rec_make(e, SL_EPOCH_COMMITTED, (uint64_t)e * 10 + 3);
        assert_true(sl_epoch_equal(&hist[i], &want));
    }
    sl_commit_free(reader);
    sl_commit_free(s);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "%s/sluice-commit-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return -1;
    struct sl_error err;
    if (sl_zkserver_start(&g_zk, &err) != 0) {
        fprintf(stderr, "ZooKeeper server: %s\n", err.msg);
        g_zk = NULL;
        if (err.code != SL_ENOTSUP)
            return -1; /* installed but broken: a failure, not a skip */
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sl_zkserver_free(g_zk);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_encode_extremes),
        cmocka_unit_test(test_decode_corrupt),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_protocol_file),
        cmocka_unit_test(test_protocol_zk),
        cmocka_unit_test(test_file_crash_before_write),
        cmocka_unit_test(test_file_crash_before_rename),
        cmocka_unit_test(test_file_crash_after_rename),
        cmocka_unit_test(test_file_corrupt),
        cmocka_unit_test(test_file_standby),
        cmocka_unit_test(test_file_rename_ambiguous),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
