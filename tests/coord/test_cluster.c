/*
 * tests/coord/test_cluster.c - coord/cluster.h: the work assignment (pure), and against a
 * real ZooKeeper server (tests/util/zkserver.h through proctest.h) its publication, the
 * members' stabilization, the epoch acks and `sluice status`'s view of them.
 *
 *   - assignment: sticky when a member leaves, joins, or both (the members that stay keep
 *     their order; new ones are appended in join order); deterministic (any input order
 *     gives byte-identical text); a standby member takes nothing until a working member
 *     leaves, and then takes its place (one of the same width first: W and every other
 *     range stay), a promoted one whose node still says standby keeps working, a spare
 *     that leaves changes nothing; W > M refused naming
 *     both; 100 members of 2..64 workers fit in the node (its size printed); the text
 *     round-trips and a damaged one is refused naming its line;
 *   - publish fenced: two latch contenders; the leader publishes generation 1; its latch
 *     node is deleted (an operator, or the server on expiry) and the other contender leads:
 *     the deposed one's publish fails (SL_EFENCED), the new leader's at a stale version too
 *     (SL_ESTATE, naming the generation found), at the right version it works; a lost
 *     answer (zk.multi_reply) and a lost request (zk.multi_send) are settled by reading
 *     back: one write each, version + 1;
 *   - await_stable: members joining 300 ms apart with a 1 s stabilization: it returns not
 *     before the last join + 1 s (causality: it cannot see a node before its create was
 *     sent), with all three; a long deadline only as an upper bound; members_changed
 *     answers without asking while no watch fired, and sees a member leave; the stop flag
 *     ends a wait for more members than there are (a standby does not count) with
 *     SL_ESTOPPED;
 *   - acks: collect waits for three acks (made after it started) and returns their bytes in
 *     the assignment's order; an ack is idempotent (same bytes) and refuses other bytes; a
 *     lost create answer (zk.create_reply) is settled; a member whose session is killed
 *     from the server side before acking fails the collect naming it; an ack of an older
 *     generation is not counted (the timeout names only that member) until the member
 *     acks again; an ack of a newer generation says the leader is stale; cleanup removes
 *     the folders below an epoch;
 *   - `sluice status` and `--json` show each member's global range and the generation.
 * No timing thresholds but causal ones; every wait has a generous limit.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/util/testutil.h"

#include "coord/cluster.h"
#include "coord/jobconf.h"
#include "coord/latch.h"
#include "coord/zk.h"
#include "engine/core/fault.h"
#include "tests/util/jsoncheck.h"
#include "tests/util/proctest.h"

static struct sl_pt g_pt;

static void check_ok(int rc, const struct sl_error *err)
{
    if (rc)
        fprintf(stderr, "unexpected error %d: %s\n", rc, err->msg);
    assert_int_equal(rc, 0);
}

static struct sl_cluster_member mem(const char *name, int64_t workers, int64_t joined, bool standby)
{
    struct sl_cluster_member m = {.workers = workers,
                                  .cores = 2,
                                  .joined_ms = joined,
                                  .session = 0x1234 + joined,
                                  .standby = standby};
    snprintf(m.name, sizeof(m.name), "%s", name);
    snprintf(m.host, sizeof(m.host), "host-%s", name);
    return m;
}

static void expect_range(const struct sl_assignment *a, const char *name, int64_t lo, int64_t hi)
{
    const struct sl_assign_member *m = sl_cluster_find(a, name);
    if (!m || m->lo != lo || m->hi != hi)
        fprintf(stderr, "%s: expected [%lld, %lld), got %s [%lld, %lld)\n", name, (long long)lo,
                (long long)hi, m ? "" : "none", m ? (long long)m->lo : -1,
                m ? (long long)m->hi : -1);
    assert_non_null(m);
    assert_int_equal(m->lo, lo);
    assert_int_equal(m->hi, hi);
}

static size_t encode(const struct sl_assignment *a, char *buf, size_t cap)
{
    struct sl_error err;
    sl_error_clear(&err);
    size_t len = 0;
    check_ok(sl_assignment_encode(a, buf, cap, &len, &err), &err);
    return len;
}

/* --standby: spares take nothing until a working member leaves, then its place. */
static void test_assign_standby(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_cluster_member a = mem("m-a-1", 2, 100, false), b = mem("m-b-2", 3, 200, false);
    struct sl_cluster_member s1 = mem("m-s-3", 3, 150, true), s2 = mem("m-t-4", 2, 250, true);
    struct sl_assignment g1, g2, g3, g4, x;
    /* the spares are listed last, empty, in join order, whatever the input order */
    struct sl_cluster_member m1[4] = {s2, b, s1, a};
    check_ok(sl_cluster_assign(m1, 4, NULL, 128, "q", NULL, NULL, &g1, &err), &err);
    assert_int_equal(g1.workers, 5);
    expect_range(&g1, "m-a-1", 0, 2);
    expect_range(&g1, "m-b-2", 2, 5);
    expect_range(&g1, "m-s-3", 5, 5);
    expect_range(&g1, "m-t-4", 5, 5);
    assert_string_equal(g1.members[2].name, "m-s-3");
    /* a spare leaves: nothing moves */
    struct sl_cluster_member m1b[3] = {a, b, s2};
    check_ok(sl_cluster_assign(m1b, 3, &g1, 128, "q", NULL, NULL, &x, &err), &err);
    assert_int_equal(x.workers, 5);
    expect_range(&x, "m-a-1", 0, 2);
    expect_range(&x, "m-b-2", 2, 5);
    expect_range(&x, "m-t-4", 5, 5);
    sl_assignment_free(&x);
    /* a (2 workers) leaves: the spare of its width (t, though it joined after s) takes its
     * place: W and b's range stay */
    struct sl_cluster_member m2[3] = {b, s1, s2};
    check_ok(sl_cluster_assign(m2, 3, &g1, 128, "q", NULL, NULL, &g2, &err), &err);
    assert_int_equal(g2.workers, 5);
    expect_range(&g2, "m-t-4", 0, 2);
    expect_range(&g2, "m-b-2", 2, 5);
    expect_range(&g2, "m-s-3", 5, 5);
    /* b leaves while t's node still says standby: t keeps working, s takes b's place */
    struct sl_cluster_member m3[2] = {s1, s2};
    check_ok(sl_cluster_assign(m3, 2, &g2, 128, "q", NULL, NULL, &g3, &err), &err);
    assert_int_equal(g3.workers, 5);
    expect_range(&g3, "m-t-4", 0, 2);
    expect_range(&g3, "m-s-3", 2, 5);
    /* s leaves and no spare is left: t goes on alone (W = 2, a rescale) */
    struct sl_cluster_member m4[1] = {s2};
    check_ok(sl_cluster_assign(m4, 1, &g3, 128, "q", NULL, NULL, &g4, &err), &err);
    assert_int_equal(g4.workers, 2);
    expect_range(&g4, "m-t-4", 0, 2);
    /* a spare of another width: it takes the place with its own workers (W 5 -> 4, the
     * members after it move) */
    struct sl_cluster_member m5[2] = {a, s2};
    check_ok(sl_cluster_assign(m5, 2, &g1, 128, "q", NULL, NULL, &x, &err), &err);
    assert_int_equal(x.workers, 4);
    expect_range(&x, "m-a-1", 0, 2);
    expect_range(&x, "m-t-4", 2, 4);
    sl_assignment_free(&x);
    /* a new working member and a loss at once: the spare fills the loss, the new one is
     * appended */
    struct sl_cluster_member m6[4] = {mem("m-n-5", 1, 300, false), b, s1, s2};
    check_ok(sl_cluster_assign(m6, 4, &g1, 128, "q", NULL, NULL, &x, &err), &err);
    assert_int_equal(x.workers, 6);
    expect_range(&x, "m-t-4", 0, 2);
    expect_range(&x, "m-b-2", 2, 5);
    expect_range(&x, "m-n-5", 5, 6);
    expect_range(&x, "m-s-3", 6, 6);
    sl_assignment_free(&x);
    sl_assignment_free(&g1);
    sl_assignment_free(&g2);
    sl_assignment_free(&g3);
    sl_assignment_free(&g4);
}

static void test_assign_sticky(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_cluster_member ms[6];
    ms[0] = mem("m-a-1", 2, 100, false);
    ms[1] = mem("m-b-2", 3, 200, false);
    ms[2] = mem("m-c-3", 4, 300, false);
    struct sl_assignment g1, g2, g3, g4;
    check_ok(sl_cluster_assign(ms, 3, NULL, 128, "q", NULL, "/q/latch/n-x-0000000001", &g1, &err),
             &err);
    assert_int_equal(g1.generation, 1);
    assert_int_equal(g1.workers, 9);
    assert_string_equal(g1.topic, "sluice-q-g1");
    expect_range(&g1, "m-a-1", 0, 2);
    expect_range(&g1, "m-b-2", 2, 5);
    expect_range(&g1, "m-c-3", 5, 9);
    assert_null(sl_cluster_find(&g1, "m-z-9"));

    /* b leaves: a keeps its range, c moves down by b's workers; input order does not matter */
    struct sl_cluster_member left[2] = {ms[2], ms[0]};
    check_ok(sl_cluster_assign(left, 2, &g1, 128, "q", "pre", NULL, &g2, &err), &err);
    assert_int_equal(g2.generation, 2);
    assert_string_equal(g2.topic, "pre-q-g2");
    assert_int_equal(g2.workers, 6);
    expect_range(&g2, "m-a-1", 0, 2);
    expect_range(&g2, "m-c-3", 2, 6);

    /* d and e join (e joined first, though it comes first in no input order): appended in
     * join order after the ones that stay */
    struct sl_cluster_member joined[4] = {mem("m-d-4", 1, 500, false), ms[2],
                                          mem("m-e-5", 5, 400, false), ms[0]};
    check_ok(sl_cluster_assign(joined, 4, &g2, 128, "q", NULL, NULL, &g3, &err), &err);
    expect_range(&g3, "m-a-1", 0, 2);
    expect_range(&g3, "m-c-3", 2, 6);
    expect_range(&g3, "m-e-5", 6, 11);
    expect_range(&g3, "m-d-4", 11, 12);
    assert_string_equal(g3.members[2].name, "m-e-5");

    /* both: a leaves, f joins (no spare: the others move down) */
    struct sl_cluster_member both[4] = {mem("m-f-6", 2, 600, false), joined[0], joined[2], ms[2]};
    check_ok(sl_cluster_assign(both, 4, &g3, 128, "q", NULL, NULL, &g4, &err), &err);
    assert_int_equal(g4.workers, 12);
    expect_range(&g4, "m-c-3", 0, 4);
    expect_range(&g4, "m-e-5", 4, 9);
    expect_range(&g4, "m-d-4", 9, 10);
    expect_range(&g4, "m-f-6", 10, 12);

    /* deterministic: every rotation and the reverse of the input give the same bytes */
    char ref[4096], other[4096];
    size_t rl = encode(&g4, ref, sizeof(ref));
    for (int rot = 0; rot < 8; rot++) {
        struct sl_cluster_member perm[4];
        for (int i = 0; i < 4; i++)
            perm[i] = both[rot < 4 ? (i + rot) % 4 : 3 - (i + rot) % 4];
        struct sl_assignment again;
        check_ok(sl_cluster_assign(perm, 4, &g3, 128, "q", NULL, NULL, &again, &err), &err);
        size_t ol = encode(&again, other, sizeof(other));
        assert_int_equal(ol, rl);
        assert_memory_equal(ref, other, rl);
        sl_assignment_free(&again);
    }
    printf("generation 4 assignment (%zu bytes):\n%.*s", rl, (int)rl, ref);

    /* it names the previous generation's topic, in its last line */
    assert_string_equal(g4.prev_topic, g3.topic);
    assert_non_null(strstr(ref, "\nprev-topic sluice-q-g3\n"));
    /* the text round-trips */
    struct sl_assignment dec;
    check_ok(sl_assignment_decode(ref, rl, "/q/cluster/assignment", &dec, &err), &err);
    assert_int_equal(encode(&dec, other, sizeof(other)), rl);
    assert_memory_equal(ref, other, rl);
    sl_assignment_free(&dec);

    /* refusals */
    struct sl_assignment bad;
    assert_int_equal(sl_cluster_assign(ms, 3, NULL, 8, "q", NULL, NULL, &bad, &err), SL_ERANGE);
    assert_non_null(strstr(err.msg, "9 workers"));
    assert_non_null(strstr(err.msg, "max parallelism 8"));
    struct sl_cluster_member only_standby = mem("m-s-7", 2, 1, true);
    assert_int_equal(sl_cluster_assign(&only_standby, 1, NULL, 8, "q", NULL, NULL, &bad, &err),
                     SL_ESTATE);
    struct sl_cluster_member twice[2] = {ms[0], ms[0]};
    assert_int_equal(sl_cluster_assign(twice, 2, NULL, 8, "q", NULL, NULL, &bad, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "twice"));

    sl_assignment_free(&g1);
    sl_assignment_free(&g2);
    sl_assignment_free(&g3);
    sl_assignment_free(&g4);
}

static void expect_corrupt(const char *text, const char *line)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_assignment a;
    assert_int_equal(sl_assignment_decode(text, strlen(text), "/q/cluster/assignment", &a, &err),
                     SL_ECORRUPT);
    if (!strstr(err.msg, line))
        fprintf(stderr, "expected '%s' in: %s\n", line, err.msg);
    assert_non_null(strstr(err.msg, line));
    assert_non_null(strstr(err.msg, "/q/cluster/assignment"));
}

static void test_assign_text(void **state)
{
    (void)state;
    const char *head = "generation 3\nmax-parallelism 16\nworkers 4\ntopic sluice-q-g3\n"
                       "leader -\nmembers 2\n";
    char text[1024];
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2 2e\n", head);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_assignment a;
    check_ok(sl_assignment_decode(text, strlen(text), "x", &a, &err), &err);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.members[1].session, 0x2e);
    assert_string_equal(a.leader, "");
    assert_string_equal(a.prev_topic, ""); /* a record without the line: no previous topic */
    assert_int_equal(a.leader_lo, -1);     /* nor the leader's range */
    sl_assignment_free(&a);
    /* the leader's range: after the members, before the previous topic; encoded back alike */
    snprintf(text, sizeof(text),
             "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2 2e\nleader-lo 1\n"
             "prev-topic sluice-q-g2\n",
             head);
    check_ok(sl_assignment_decode(text, strlen(text), "x", &a, &err), &err);
    assert_int_equal(a.leader_lo, 1);
    char back[1024];
    size_t blen = 0;
    check_ok(sl_assignment_encode(&a, back, sizeof(back), &blen, &err), &err);
    assert_int_equal(blen, strlen(text));
    assert_memory_equal(back, text, blen);
    sl_assignment_free(&a);
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2 2e\nleader-lo 4\n",
             head);
    expect_corrupt(text, "'leader-lo' is not a worker of the job");
    snprintf(text, sizeof(text),
             "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2 2e\nleader-lo 1\nleader-lo 1\n", head);
    expect_corrupt(text, "line 10: expected one 'leader-lo' line");
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2 2e\nleader-lo x\n",
             head);
    expect_corrupt(text, "line 9: expected leader-lo N");
    /* the previous generation's topic: the last line, and nothing after it */
    snprintf(text, sizeof(text),
             "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2 2e\nprev-topic sluice-q-g2\n", head);
    check_ok(sl_assignment_decode(text, strlen(text), "x", &a, &err), &err);
    assert_string_equal(a.prev_topic, "sluice-q-g2");
    sl_assignment_free(&a);
    snprintf(text, sizeof(text),
             "%smember m-a-1 0 1 h1 1f\nprev-topic sluice-q-g2\nmember m-b-2 1 4 h2 2e\n", head);
    expect_corrupt(text, "line 9: nothing after 'prev-topic'");
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2 2e\nprev-topic \n",
             head);
    expect_corrupt(text, "line 9: expected prev-topic TOPIC");
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-b-2 2 4 h2 2e\n", head);
    expect_corrupt(text, "line 8"); /* a gap */
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 3 h2 2e\n", head);
    expect_corrupt(text, "line 8"); /* ends before W: reported after the last line */
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\n", head);
    expect_corrupt(text, "fewer member lines");
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-a-1 1 4 h2 2e\n", head);
    expect_corrupt(text, "twice");
    snprintf(text, sizeof(text), "%smember m-a-1 0 1 h1 1f\nmember m-b-2 1 4 h2\n", head);
    expect_corrupt(text, "line 8");
    expect_corrupt("generation 0\n", "line 1");
    expect_corrupt("generation 1\nmax-parallelism 16\nworkers 17\n", "line 3");
    expect_corrupt("generation 1\nmax-parallelism 16\n", "line 3");
    expect_corrupt("generation 1\nmax-parallelism 16", "newline");
    expect_corrupt("generation 1\nmax-paralelism 16\n", "line 2");
    expect_corrupt("generation 01\n", "line 1");
}

static void test_assign_size(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_cluster_member ms[100];
    for (int i = 0; i < 100; i++) {
        char name[64];
        snprintf(name, sizeof(name), "m-worker-host-%03d.example.net-%d", i, 400000 + i);
        ms[i] = mem(name, 2 + (i * 37) % 63, 1000 + i, false);
        snprintf(ms[i].host, sizeof(ms[i].host), "worker-host-%03d.example.net", i);
        ms[i].session = (int64_t)0x7f00aa0011220000 + i;
    }
    struct sl_assignment a;
    check_ok(sl_cluster_assign(ms, 100, NULL, 32768, "nexmark_q5", NULL,
                               "/nexmark_q5/latch/n-0123456789abcdef-0000000042", &a, &err),
             &err);
    char *buf = malloc(SL_CLUSTER_ASSIGN_MAX);
    assert_non_null(buf);
    size_t len = encode(&a, buf, SL_CLUSTER_ASSIGN_MAX);
    printf("100 members, %lld workers: the assignment node holds %zu bytes (bound %d, "
           "ZooKeeper's 1 MiB)\n",
           (long long)a.workers, len, SL_CLUSTER_ASSIGN_MAX);
    assert_true(len < SL_CLUSTER_ASSIGN_MAX);
    int64_t sum = 0;
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.members[i].lo, sum);
        sum = a.members[i].hi;
    }
    assert_int_equal(sum, a.workers);
    /* a cap too small is refused, not cut */
    size_t small = 0;
    assert_int_equal(sl_assignment_encode(&a, buf, len / 2, &small, &err), SL_ERANGE);
    free(buf);
    sl_assignment_free(&a);
}

/* ---- ZooKeeper ------------------------------------------------------------------------ */

static void test_publish_fenced(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *za = sl_pt_open_zk(&g_pt, 4000), *zb = sl_pt_open_zk(&g_pt, 4000);
    struct sl_latch *la, *lb;
    check_ok(sl_latch_new(za, "/pub/latch", &la, &err), &err);
    check_ok(sl_latch_new(zb, "/pub/latch", &lb, &err), &err);
    check_ok(sl_latch_acquire(la, 5000, &err), &err);
    assert_int_equal(sl_latch_acquire(lb, 0, &err), SL_ETIMEOUT);
    char la_node[SL_ZK_PATH_MAX];
    snprintf(la_node, sizeof(la_node), "%s", sl_latch_node(la));

    struct sl_cluster_member ms[2] = {mem("m-a-1", 2, 1, false), mem("m-b-2", 2, 2, false)};
    struct sl_assignment g1, g2, g3, back;
    check_ok(sl_cluster_assign(ms, 2, NULL, 128, "pub", NULL, la_node, &g1, &err), &err);
    int32_t v = -7;
    assert_int_equal(sl_cluster_read(zb, "pub", false, &back, &v, &err), SL_ENOTFOUND);
    check_ok(sl_cluster_publish(za, "pub", la_node, &g1, -1, &v, &err), &err);
    assert_int_equal(v, 0);
    check_ok(sl_cluster_read(zb, "pub", false, &back, &v, &err), &err);
    assert_int_equal(v, 0);
    assert_int_equal(back.generation, 1);
    assert_string_equal(back.leader, la_node);
    expect_range(&back, "m-b-2", 2, 4);
    sl_assignment_free(&back);

    /* a's latch node goes (an operator's delete; the server's on expiry): b leads */
    check_ok(sl_zk_delete(zb, la_node, -1, &err), &err);
    check_ok(sl_latch_acquire(lb, 10000, &err), &err);
    const char *lb_node = sl_latch_node(lb);
    check_ok(sl_cluster_assign(ms, 1, &g1, 128, "pub", NULL, la_node, &g2, &err), &err);
    assert_int_equal(sl_cluster_publish(za, "pub", la_node, &g2, 0, NULL, &err), SL_EFENCED);
    assert_non_null(strstr(err.msg, "deposed"));
    assert_non_null(strstr(err.msg, la_node));
    sl_assignment_free(&g2);

    /* the new leader at a stale version: refused, naming what is there */
    check_ok(sl_cluster_assign(ms, 1, &g1, 128, "pub", NULL, lb_node, &g2, &err), &err);
    assert_int_equal(sl_cluster_publish(zb, "pub", lb_node, &g2, -1, NULL, &err), SL_ESTATE);
    assert_non_null(strstr(err.msg, "generation 1"));
    assert_int_equal(sl_cluster_publish(zb, "pub", lb_node, &g2, 5, NULL, &err), SL_ESTATE);
    check_ok(sl_cluster_publish(zb, "pub", lb_node, &g2, 0, &v, &err), &err);
    assert_int_equal(v, 1);

    /* a member's watch on the node: the next publication wakes it */
    check_ok(sl_cluster_read(za, "pub", true, &back, &v, &err), &err);
    assert_int_equal(back.generation, 2);
    sl_assignment_free(&back);
    uint64_t seen = sl_zk_events(za);

    /* a lost answer: the write landed; the read-back says so, and no second write */
    check_ok(sl_cluster_assign(ms, 2, &g2, 128, "pub", NULL, lb_node, &g3, &err), &err);
    check_ok(sl_fault_set("zk.multi_reply:ECONNRESET", &err), &err);
    check_ok(sl_cluster_publish(zb, "pub", lb_node, &g3, 1, &v, &err), &err);
    assert_int_equal(sl_fault_hits("zk.multi_reply"), 1); /* sent once */
    assert_int_equal(v, 2);
    for (int i = 0; i < 300 && sl_zk_events(za) == seen; i++)
        sl_zk_wait_event(za, seen, 100);
    assert_true(sl_zk_events(za) > seen);
    check_ok(sl_cluster_read(za, "pub", false, &back, &v, &err), &err);
    assert_int_equal(v, 2);
    assert_int_equal(back.generation, 3);
    sl_assignment_free(&back);
    /* a lost request: nothing landed; the read-back says so and it is sent again */
    struct sl_assignment g4;
    check_ok(sl_cluster_assign(ms, 1, &g3, 128, "pub", NULL, lb_node, &g4, &err), &err);
    check_ok(sl_fault_set("zk.multi_send:ECONNRESET", &err), &err);
    check_ok(sl_cluster_publish(zb, "pub", lb_node, &g4, 2, &v, &err), &err);
    assert_int_equal(v, 3);
    check_ok(sl_fault_set("", &err), &err);
    check_ok(sl_cluster_read(za, "pub", false, &back, &v, &err), &err);
    assert_int_equal(back.generation, 4);
    assert_int_equal(back.n, 1);
    sl_assignment_free(&back);
    /* the same publication again (a caller's retry after "outcome unknown"): its own bytes
     * at version + 1 are success */
    check_ok(sl_cluster_publish(zb, "pub", lb_node, &g4, 2, &v, &err), &err);
    assert_int_equal(v, 3);

    sl_assignment_free(&g1);
    sl_assignment_free(&g2);
    sl_assignment_free(&g3);
    sl_assignment_free(&g4);
    sl_latch_free(la);
    sl_latch_free(lb);
    sl_zk_close(za);
    sl_zk_close(zb);
}

static struct sl_zk *join(const char *job, int64_t pid, const char *role, struct sl_member *m)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *zk = sl_pt_open_zk(&g_pt, 4000);
    memset(m, 0, sizeof(*m));
    snprintf(m->host, sizeof(m->host), "h");
    m->pid = pid;
    m->cores = 2;
    m->workers = 2;
    m->started_ms = (int64_t)time(NULL) * 1000;
    snprintf(m->role, sizeof(m->role), "%s", role);
    check_ok(sl_member_join(zk, job, m, &err), &err);
    return zk;
}

struct stable_waiter {
    struct sl_zk *zk;
    const char *job;
    int stab_ms;
    size_t min;
    _Atomic int stop;
    pthread_t t;
    _Atomic int rc; /* 1: waiting */
    double done_at;
    struct sl_cluster_member *ms;
    size_t n;
    struct sl_error err;
};

static void *stable_main(void *arg)
{
    struct stable_waiter *w = arg;
    sl_error_clear(&w->err);
    int rc = sl_cluster_await_stable(w->zk, w->job, w->stab_ms, w->min, &w->stop, &w->ms, &w->n,
                                     &w->err);
    w->done_at = sl_pt_now();
    atomic_store(&w->rc, rc);
    return NULL;
}

static void stable_start(struct stable_waiter *w)
{
    atomic_store(&w->rc, 1);
    atomic_store(&w->stop, 0);
    assert_int_equal(pthread_create(&w->t, NULL, stable_main, w), 0);
}

static int stable_join(struct stable_waiter *w, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 50 && atomic_load(&w->rc) == 1; i++)
        sl_pt_sleep_ms(50);
    if (atomic_load(&w->rc) == 1) {
        atomic_store(&w->stop, 1);
        pthread_join(w->t, NULL);
        return 1;
    }
    pthread_join(w->t, NULL);
    return atomic_load(&w->rc);
}

static void test_await_stable(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *zl = sl_pt_open_zk(&g_pt, 4000);
    struct stable_waiter w = {.zk = zl, .job = "st", .stab_ms = 1000, .min = 3};
    stable_start(&w);
    struct sl_member m[4];
    struct sl_zk *zm[4];
    double last_join = 0;
    for (int i = 0; i < 3; i++) {
        if (i)
            sl_pt_sleep_ms(300);
        last_join = sl_pt_now(); /* before the create is sent: nobody can see it earlier */
        zm[i] = join("st", 100 + i, i ? "member" : "leader", &m[i]);
        if (i < 2) /* fewer than 3 members: it cannot have returned, however slow we are */
            assert_int_equal(atomic_load(&w.rc), 1);
    }
    int rc = stable_join(&w, 30000);
    if (rc)
        fprintf(stderr, "await_stable: %d %s\n", rc, w.err.msg);
    assert_int_equal(rc, 0);
    printf("await_stable returned %.3f s after the last join began\n", w.done_at - last_join);
    assert_true(w.done_at >= last_join + 1.0);
    assert_int_equal(w.n, 3);
    for (size_t i = 0; i < w.n; i++) {
        assert_int_equal(w.ms[i].workers, 2);
        assert_false(w.ms[i].standby);
        assert_true(w.ms[i].joined_ms > 0);
    }

    /* the leader's check each turn: no event, no question; a member leaving is seen */
    struct sl_assignment a;
    check_ok(sl_cluster_assign(w.ms, w.n, NULL, 128, "st", NULL, NULL, &a, &err), &err);
    free(w.ms);
    uint64_t seen = 0;
    bool changed = true;
    check_ok(sl_cluster_members_changed(zl, "st", &a, &seen, &changed, &err), &err);
    assert_false(changed);
    check_ok(sl_cluster_members_changed(zl, "st", &a, &seen, &changed, &err), &err);
    assert_false(changed);
    uint64_t ev = sl_zk_events(zl);
    check_ok(sl_member_leave(zm[2], "st", &m[2], &err), &err);
    for (int i = 0; i < 100 && !changed; i++) {
        sl_zk_wait_event(zl, ev, 100);
        check_ok(sl_cluster_members_changed(zl, "st", &a, &seen, &changed, &err), &err);
    }
    assert_true(changed);
    sl_assignment_free(&a);

    /* a standby does not count: waiting for 3 working members among 2 + a standby never
     * ends; the stop flag ends it */
    zm[3] = join("st", 200, "standby", &m[3]);
    struct stable_waiter w2 = {.zk = zl, .job = "st", .stab_ms = 200, .min = 3};
    stable_start(&w2);
    sl_pt_sleep_ms(700);
    assert_int_equal(atomic_load(&w2.rc), 1);
    atomic_store(&w2.stop, 1);
    rc = stable_join(&w2, 5000);
    assert_int_equal(rc, SL_ESTOPPED);
    assert_non_null(strstr(w2.err.msg, "stopped"));
    /* with 2 it returns the 3 members (2 working, the standby) */
    struct stable_waiter w3 = {.zk = zl, .job = "st", .stab_ms = 200, .min = 2};
    stable_start(&w3);
    assert_int_equal(stable_join(&w3, 30000), 0);
    assert_int_equal(w3.n, 3);
    size_t standby = 0;
    for (size_t i = 0; i < w3.n; i++)
        standby += w3.ms[i].standby;
    assert_int_equal(standby, 1);
    free(w3.ms);

    for (int i = 0; i < 4; i++)
        sl_zk_close(zm[i]);
    sl_zk_close(zl);
}

struct collector {
    struct sl_zk *zk;
    int64_t epoch;
    const struct sl_assignment *a;
    pthread_t t;
    _Atomic int rc;
    struct sl_cluster_ack *acks;
    size_t n;
    struct sl_error err;
};

static void *collect_main(void *arg)
{
    struct collector *c = arg;
    sl_error_clear(&c->err);
    atomic_store(&c->rc, sl_cluster_collect(c->zk, "ak", c->epoch, c->a, 30000, NULL, &c->acks,
                                            &c->n, &c->err));
    return NULL;
}

static void ack(struct sl_zk *zk, int64_t epoch, int64_t gen, const char *member, const char *b)
{
    struct sl_error err;
    sl_error_clear(&err);
    check_ok(sl_cluster_ack(zk, "ak", epoch, gen, member, b, strlen(b), &err), &err);
}

static void test_acks(void **state)
{
    (void)state;
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_zk *zl = sl_pt_open_zk(&g_pt, 4000);
    struct sl_member m[4];
    struct sl_zk *zm[4];
    for (int i = 0; i < 3; i++)
        zm[i] = join("ak", 300 + i, "member", &m[i]);
    zm[3] = join("ak", 399, "standby", &m[3]);
    struct sl_cluster_member *cm;
    size_t ncm;
    check_ok(sl_cluster_members(zl, "ak", false, &cm, &ncm, &err), &err);
    assert_int_equal(ncm, 4);
    struct sl_assignment a, a2;
    check_ok(sl_cluster_assign(cm, ncm, NULL, 128, "ak", NULL, NULL, &a, &err), &err);
    free(cm);
    assert_int_equal(a.workers, 6);

    /* three acks made after collect started: it waits, then has each one's bytes */
    struct collector c = {.zk = zl, .epoch = 5, .a = &a};
    atomic_store(&c.rc, 1);
    assert_int_equal(pthread_create(&c.t, NULL, collect_main, &c), 0);
    sl_pt_sleep_ms(200);
    assert_int_equal(atomic_load(&c.rc), 1);
    char bytes[3][64];
    for (int i = 2; i >= 0; i--) {
        snprintf(bytes[i], sizeof(bytes[i]), "files w%d.snap size %d crc %08x", i, 100 * i,
                 0xabc0 + i);
        ack(zm[i], 5, a.generation, m[i].name, bytes[i]);
    }
    pthread_join(c.t, NULL);
    if (c.rc)
        fprintf(stderr, "collect: %s\n", c.err.msg);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.n, 3);
    for (size_t i = 0; i < c.n; i++) {
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (!strcmp(c.acks[i].member, m[j].name))
                k = j;
        assert_true(k >= 0);
        assert_string_equal(c.acks[i].member, a.members[i].name); /* in a's order */
        assert_int_equal(c.acks[i].len, strlen(bytes[k]));
        assert_memory_equal(c.acks[i].bytes, bytes[k], c.acks[i].len);
    }
    sl_cluster_acks_free(c.acks, c.n);
    /* idempotent; other bytes for the same epoch and generation refused */
    ack(zm[0], 5, a.generation, m[0].name, bytes[0]);
    assert_int_equal(sl_cluster_ack(zm[0], "ak", 5, a.generation, m[0].name, "other", 5, &err),
                     SL_ESTATE);
    /* a lost answer to the create (the folder of epoch 6 made by m-h-301's ack): the retry
     * meets its own node */
    ack(zm[1], 6, a.generation, m[1].name, bytes[1]);
    check_ok(sl_fault_set("zk.create_reply:ECONNRESET", &err), &err);
    ack(zm[0], 6, a.generation, m[0].name, bytes[0]);
    assert_int_equal(sl_fault_hits("zk.create_reply"), 2); /* lost, then NodeExists */
    check_ok(sl_fault_set("", &err), &err);

    /* epoch 6: m-h-300 and m-h-301 acked, m-h-302's session is killed from the server side
     * before it acks: collect fails naming it */
    check_ok(sl_zk_kill_session(g_pt.addr, zm[2], 10000, &err), &err);
    struct sl_cluster_ack *acks = NULL;
    size_t n = 0;
    assert_int_equal(sl_cluster_collect(zl, "ak", 6, &a, 30000, NULL, &acks, &n, &err), SL_ESTATE);
    assert_non_null(strstr(err.msg, m[2].name));
    assert_non_null(strstr(err.msg, "epoch 6"));

    /* generation 2 over the two that live; epoch 7: m-h-300 acks under the old generation
     * (not counted: the timeout names it, and only it), then again under the new one */
    check_ok(sl_cluster_members(zl, "ak", false, &cm, &ncm, &err), &err);
    assert_int_equal(ncm, 3);
    /* the spare left out: with it, it would take m-h-302's place (test_assign_standby) */
    size_t nw = 0;
    for (size_t i = 0; i < ncm; i++)
        if (!cm[i].standby)
            cm[nw++] = cm[i];
    assert_int_equal(nw, 2);
    check_ok(sl_cluster_assign(cm, nw, &a, 128, "ak", NULL, NULL, &a2, &err), &err);
    free(cm);
    assert_int_equal(a2.generation, 2);
    ack(zm[0], 7, 1, m[0].name, bytes[0]);
    ack(zm[1], 7, 2, m[1].name, bytes[1]);
    assert_int_equal(sl_cluster_collect(zl, "ak", 7, &a2, 600, NULL, &acks, &n, &err), SL_ETIMEOUT);
    assert_non_null(strstr(err.msg, m[0].name));
    assert_null(strstr(err.msg, m[1].name));
    /* the old leader (generation 1) sees an ack of generation 2: its assignment is stale */
    assert_int_equal(sl_cluster_collect(zl, "ak", 7, &a, 600, NULL, &acks, &n, &err), SL_ESTATE);
    assert_non_null(strstr(err.msg, "newer"));
    ack(zm[0], 7, 2, m[0].name, bytes[0]); /* replaces its generation-1 ack */
    check_ok(sl_cluster_collect(zl, "ak", 7, &a2, 30000, NULL, &acks, &n, &err), &err);
    assert_int_equal(n, 2);
    sl_cluster_acks_free(acks, n);
    /* a member behind the assignment (acking generation 1 over its own of generation 2) is
     * refused, the node kept */
    assert_int_equal(sl_cluster_ack(zm[0], "ak", 7, 1, m[0].name, "x", 1, &err), SL_ESTATE);
    assert_non_null(strstr(err.msg, "behind"));

    /* cleanup: the folders below 7 go */
    size_t deleted = 0;
    check_ok(sl_cluster_acks_cleanup(zl, "ak", 7, &deleted, &err), &err);
    assert_int_equal(deleted, 2);
    assert_int_equal(sl_pt_nchildren(zl, "/ak/cluster/acks"), 1);
    assert_int_equal(sl_pt_nchildren(zl, "/ak/cluster/acks/e-00000000000000000007"), 2);

    /* sluice status shows the generation and the ranges */
    struct sl_latch *latch;
    check_ok(sl_latch_new(zl, "/ak/latch", &latch, &err), &err);
    check_ok(sl_latch_acquire(latch, 5000, &err), &err);
    int32_t v;
    check_ok(sl_cluster_publish(zl, "ak", sl_latch_node(latch), &a2, -1, &v, &err), &err);
    static char out[16384], errb[16384];
    const char *args[] = {"status", "--zk", g_pt.addr, "--job", "ak", NULL};
    int st = sl_pt_run(&g_pt, out, errb, sizeof(out), args);
    if (st)
        fprintf(stderr, "status: %s\n", errb);
    assert_int_equal(st, 0);
    printf("%s", out);
    const struct sl_assign_member *r0 = sl_cluster_find(&a2, m[0].name);
    char want[128];
    snprintf(want, sizeof(want), "[%lld, %lld)", (long long)r0->lo, (long long)r0->hi);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "generation 2"));
    assert_non_null(strstr(out, "sluice-ak-g2"));
    const char *jargs[] = {"status", "--zk", g_pt.addr, "--job", "ak", "--json", NULL};
    assert_int_equal(sl_pt_run(&g_pt, out, errb, sizeof(out), jargs), 0);
    snprintf(want, sizeof(want), "\"workers_range\":[%lld,%lld]", (long long)r0->lo,
             (long long)r0->hi);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "\"assignment\":{\"generation\":2,"));
    assert_non_null(strstr(out, "\"workers_range\":null")); /* the standby */
    struct sl_json_doc *doc = malloc(sizeof(*doc));
    assert_non_null(doc);
    assert_int_equal(sl_json_parse(out, strlen(out), doc), 0);
    const struct sl_json_entry *e = sl_json_get(doc, "assignment.generation");
    assert_non_null(e);
    assert_string_equal(e->value, "2");
    assert_non_null(e = sl_json_get(doc, "assignment.topic"));
    assert_string_equal(e->value, "sluice-ak-g2");
    assert_non_null(e = sl_json_get(doc, "members[1].name")); /* sorted by name */
    assert_string_equal(e->value, m[1].name);
    const struct sl_assign_member *r1 = sl_cluster_find(&a2, m[1].name);
    assert_non_null(e = sl_json_get(doc, "members[1].workers_range[1]"));
    assert_int_equal(atoll(e->value), r1->hi);
    assert_non_null(e = sl_json_get(doc, "members[2].workers_range"));
    assert_int_equal(e->kind, 'z');
    free(doc);

    sl_latch_free(latch);
    sl_assignment_free(&a);
    sl_assignment_free(&a2);
    for (int i = 0; i < 4; i++)
        sl_zk_close(zm[i]);
    sl_zk_close(zl);
}

static int setup(void **state)
{
    (void)state;
    return sl_pt_setup(&g_pt, "cluster", "cl");
}

static int teardown(void **state)
{
    (void)state;
    return sl_pt_teardown(&g_pt);
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_assign_sticky),
        cmocka_unit_test(test_assign_standby),
        cmocka_unit_test(test_assign_text),
        cmocka_unit_test(test_assign_size),
    };
    const struct CMUnitTest zk[] = {
        cmocka_unit_test(test_publish_fenced),
        cmocka_unit_test(test_await_stable),
        cmocka_unit_test(test_acks),
    };
    int rc = cmocka_run_group_tests(unit, NULL, NULL);
    return rc | cmocka_run_group_tests(zk, setup, teardown);
}
