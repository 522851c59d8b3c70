/*
 * tests/engine/test_ckpt_leader.c - sl_ckpt_check_leader: after a failed epoch, a process
 * that has been replaced says so (SL_EFENCED naming the other writer) instead of reporting
 * the failure's own cause alone. Seen in test_kafka_exactly_once.sh: a paused leader,
 * resumed after a standby had taken over and cleaned the state directory, failed its next
 * snapshot with "rename ... No such file or directory" and never said it was replaced.
 *
 * Another process's write is made deterministic here: a second job directory with the same
 * job id commits two epochs, and its commit file is copied over the first one's while the
 * first checkpoint handle is open (what a standby's commits do to the store).
 *
 * Also sl_ckpt_cleanup's rule for a job over several processes: files of an epoch above the
 * last committed one (a member's files of the epoch in flight, written before the leader
 * commits it) are never deleted; older ones no kept manifest needs are.
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/checkpoint.h"
#include "tests/util/conntest.h"

static struct sl_ckpt *open_ckpt(const char *dir)
{
    struct sl_ckpt_opts o = {.state_dir = dir, .job = "lead", .keep = 2, .full_every = 1};
    struct sl_ckpt *c = NULL;
    struct sl_error err;
    sl_error_clear(&err);
    if (sl_ckpt_open(&o, 1, "layout\n", &c, &err))
        fail_msg("sl_ckpt_open: %s", err.msg);
    return c;
}

static void commit(struct sl_ckpt *c, uint64_t epoch)
{
    struct sl_ckpt_wstate ws;
    memset(&ws, 0, sizeof(ws));
    struct sl_ckpt_stats st;
    struct sl_error err;
    sl_error_clear(&err);
    if (sl_ckpt_commit_epoch(c, epoch, &ws, &st, &err))
        fail_msg("commit %llu: %s", (unsigned long long)epoch, err.msg);
    sl_ckpt_wstate_free(&ws);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

static void test_replaced(void **state)
{
    (void)state;
    char *a = sl_ct_tmpdir(), *b = sl_ct_tmpdir();
    struct sl_ckpt *ca = open_ckpt(a);
    commit(ca, 1);
    struct sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_ckpt_check_leader(ca, &err), 0); /* nobody else wrote */

    struct sl_ckpt *cb = open_ckpt(b); /* "the standby": two epochs of its own */
    commit(cb, 1);
    commit(cb, 2);
    sl_ckpt_free(cb);
    char from[1024], to[1024];
    snprintf(from, sizeof(from), "%s/lead/commit", b);
    snprintf(to, sizeof(to), "%s/lead/commit", a);
    copy_file(from, to);

    assert_int_equal(sl_ckpt_check_leader(ca, &err), SL_EFENCED);
    if (!strstr(err.msg, "job 'lead' is fenced: another process has written the commit store") ||
        !strstr(err.msg, "epoch 2 COMMITTED there, this process last saw epoch 1 COMMITTED"))
        fail_msg("%s", err.msg);
    sl_ckpt_free(ca);
    sl_ct_rmdir(a);
    sl_ct_rmdir(b);
    free(a);
    free(b);
}

static bool exists(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/lead/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static void test_cleanup_in_flight(void **state)
{
    (void)state;
    char *a = sl_ct_tmpdir();
    struct sl_ckpt *c = open_ckpt(a); /* keep 2, every epoch full: no references */
    commit(c, 1);
    commit(c, 2);
    commit(c, 3);
    /* epoch 4's files written, not committed (this process's), and another process's file
     * of epoch 5 */
    struct sl_ckpt_wstate ws;
    memset(&ws, 0, sizeof(ws));
    struct sl_ckpt_stats st;
    struct sl_sbuf lines, offs;
    sl_sbuf_init(&lines);
    sl_sbuf_init(&offs);
    struct sl_error err;
    sl_error_clear(&err);
    if (sl_ckpt_write_files(c, 4, &ws, &st, &lines, &offs, &err))
        fail_msg("write_files 4: %s", err.msg);
    static const char want[] = "worker 0 lead-w0-e4.snap ";
    assert_non_null(memmem(lines.p, lines.len, want, sizeof(want) - 1)); /* lines: no NUL */
    char other[1200];
    snprintf(other, sizeof(other), "%s/lead/lead-w7-e5.snap", a);
    FILE *f = fopen(other, "wb");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    assert_int_equal(sl_ckpt_cleanup(c, &err), 0);
    assert_false(exists(a, "lead-w0-e1.snap")); /* not needed by 3 nor 2 */
    assert_false(exists(a, "manifest-1"));
    assert_true(exists(a, "lead-w0-e2.snap"));
    assert_true(exists(a, "lead-w0-e3.snap"));
    assert_true(exists(a, "manifest-3"));
    assert_true(exists(a, "lead-w0-e4.snap")); /* in flight: above the last committed */
    assert_true(exists(a, "lead-w7-e5.snap"));
    /* committed now (over its lines): cleanup drops epoch 2, keeps 3, 4 and 5's file */
    if (sl_ckpt_commit_lines(c, 4, 1, &lines, &offs, &st, &err))
        fail_msg("commit_lines 4: %s", err.msg);
    assert_int_equal(sl_ckpt_cleanup(c, &err), 0);
    assert_false(exists(a, "lead-w0-e2.snap"));
    assert_true(exists(a, "lead-w0-e3.snap"));
    assert_true(exists(a, "lead-w0-e4.snap"));
    assert_true(exists(a, "lead-w7-e5.snap"));
    sl_sbuf_free(&lines);
    sl_sbuf_free(&offs);
    sl_ckpt_wstate_free(&ws);
    sl_ckpt_free(c);
    sl_ct_rmdir(a);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replaced),
                                       cmocka_unit_test(test_cleanup_in_flight)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
