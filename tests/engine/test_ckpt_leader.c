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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replaced)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
