/*
 * tests/io/test_kafka_txn.c - exactly-once output into Kafka (io/kafka_txn.h) against a real
 * Apache Kafka broker (tests/util/kafkabroker.h): one broker for the program, a fresh topic
 * and transactional-id prefix per test. Without a broker the program FAILS.
 *
 *   commit            two threads write one epoch; nothing is visible before the commit,
 *                     every record exactly once after it; resolve says committed
 *   crash, open       a child process writes and flushes an epoch and exits without a
 *                     commit: the next start aborts it (nothing visible, the last stable
 *                     offset is the high watermark again), resolve says not committed
 *   crash, committed  a child commits and exits: resolve says committed (and no later epoch)
 *   zombie            a second instance with the same prefix fences the first: the first's
 *                     commit fails, its records never show; the second's epoch commits
 *   two epochs        epochs 6 and 7 open at once on the two producers: committing 6 shows
 *                     what 6 wrote before 7's first record (7 holds the last stable offset),
 *                     then 7's commit shows everything, in order per partition
 *   errors            an unreachable broker, a transaction timeout the broker refuses, a
 *                     user's transactional.id, epochs used out of turn
 *
 * Readers are read_committed consumers that stop at each partition's first end-of-partition:
 * the last stable offset, which the test compares with the high watermark (a partition that
 * an open transaction holds back ends short of it). Crashes are child processes (this
 * program run with --child) that _exit without a commit or a free.
 */
#include "tests/util/testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "engine/core/error.h"
#include "io/kafka_conf.h"
#include "io/kafka_txn.h"
#include "tests/util/kafkabroker.h"

#define JOB "job-7"
#define MAXPART 4

static const char *const g_quiet[] = {"log_level=0"};

/* Asserts rc == 0, printing the error first. */
static void ok(int rc, const struct sl_error *err, const char *what)
{
    if (rc)
        fprintf(stderr, "%s: %s (%d)\n", what, err->msg, rc);
    assert_int_equal(rc, 0);
}

/* A fresh topic with `nparts` partitions, and a fresh transactional-id prefix. */
static void fresh(const char *name, int nparts, char topic[128], char prefix[128])
{
    struct sl_error err;
    snprintf(topic, 128, "%s", sl_kbroker_topic_name(name));
    ok(sl_kbroker_create_topic(sl_kbroker_group(), topic, nparts, NULL, 0, &err), &err,
       "create topic");
    snprintf(prefix, 128, "%s-txn", topic);
}

static int txn_new(const char *bootstrap, const char *prefix, struct sl_kafka_txn **t,
                   struct sl_error *err)
{
    struct sl_kafka_txn_config cfg = {
        .bootstrap = bootstrap, .prefix = prefix, .job = JOB, .props = g_quiet, .nprops = 1};
    return sl_kafka_txn_new(&cfg, t, err);
}

static struct sl_kafka_txn *open_txn(const char *prefix, const char *topic, int nparts, int *id)
{
    struct sl_kafka_txn *t = NULL;
    struct sl_error err;
    ok(txn_new(sl_kbroker_group_bootstrap(), prefix, &t, &err), &err, "sl_kafka_txn_new");
    int32_t np = 0;
    ok(sl_kafka_txn_topic(t, topic, id, &np, &err), &err, "sl_kafka_txn_topic");
    assert_int_equal(np, nparts);
    return t;
}

/* Records "<tag>-e<epoch>-<i>" (key "k<i>") for i in [first, first + n), record i to
 * partition i % nparts (nparts 0: -1, the key's hash picks). */
struct recs {
    struct sl_record *r;
    int32_t *parts;
    char (*key)[24];
    char (*val)[40];
    size_t n;
};

static struct recs make_recs(const char *tag, uint64_t epoch, int first, int n, int nparts)
{
    struct recs b = {.r = calloc((size_t)n, sizeof(*b.r)),
                     .parts = calloc((size_t)n, sizeof(*b.parts)),
                     .key = calloc((size_t)n, sizeof(*b.key)),
                     .val = calloc((size_t)n, sizeof(*b.val)),
                     .n = (size_t)n};
    assert_true(b.r && b.parts && b.key && b.val);
    for (int j = 0; j < n; j++) {
        int i = first + j;
        snprintf(b.key[j], sizeof(b.key[j]), "k%d", i);
        snprintf(b.val[j], sizeof(b.val[j]), "%s-e%" PRIu64 "-%d", tag, epoch, i);
        b.r[j] = (struct sl_record){.topic = "",
                                    .key = b.key[j],
                                    .key_len = strlen(b.key[j]),
                                    .value = b.val[j],
                                    .value_len = strlen(b.val[j])};
        b.parts[j] = nparts ? i % nparts : -1;
    }
    return b;
}

static void free_recs(struct recs *b)
{
    free(b->r);
    free(b->parts);
    free(b->key);
    free(b->val);
}

/* Writes records of `tag` [first, first + n) into `epoch`, `per` at a time. */
static int write_recs(struct sl_kafka_txn *t, uint64_t epoch, int id, const char *tag, int first,
                      int n, int nparts, int per, struct sl_error *err)
{
    struct recs b = make_recs(tag, epoch, first, n, nparts);
    int rc = 0;
    for (size_t k = 0; k < b.n && !rc; k += (size_t)per) {
        size_t m = b.n - k < (size_t)per ? b.n - k : (size_t)per;
        rc = sl_kafka_txn_write(t, epoch, id, b.r + k, b.parts + k, m, err);
    }
    free_recs(&b);
    return rc;
}

/* ---- a read_committed reader ---------------------------------------------------------------- */

/* Every record a read_committed consumer sees from the start of each partition to its first
 * end-of-partition, which is the last stable offset: *out (sl_kbroker_msgs_free) in
 * partition and offset order, eof[p] the offset where partition p ended, hw[p] its high
 * watermark in the same fetch answer. (A read_committed client's ListOffsets - also
 * sl_kbroker_watermarks', whose producer handle has librdkafka's default isolation level
 * read_committed - answers the last stable offset, so the high watermark is taken from the
 * fetch.) */
static void read_visible(const char *topic, int nparts, struct sl_kbroker_msg **out, size_t *n,
                         int64_t eof[MAXPART], int64_t hw[MAXPART])
{
    struct sl_error err;
    const char *props[] = {"group.id=sluice-txn-test",   "enable.auto.commit=false",
                           "enable.partition.eof=true",  "isolation.level=read_committed",
                           "auto.offset.reset=earliest", "log_level=0"};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ok(sl_kafka_conf_set(conf, "bootstrap.servers", sl_kbroker_group_bootstrap(), &err) ||
           sl_kafka_conf_set_strings(conf, props, sizeof(props) / sizeof(props[0]), &err),
       &err, "reader conf");
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; p++) {
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        eof[p] = -1;
    }
    assert_int_equal(rd_kafka_assign(rk, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    size_t k = 0, cap = 256;
    struct sl_kbroker_msg *msgs = malloc(cap * sizeof(*msgs));
    assert_non_null(msgs);
    int left = nparts;
    time_t until = time(NULL) + 60;
    while (left > 0) {
        assert_true(time(NULL) < until); /* a wedged reader fails, it does not hang */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        int32_t p = m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p >= 0 && p < nparts && eof[p] < 0) {
                int64_t lo;
                eof[p] = m->offset;
                rd_kafka_get_watermark_offsets(rk, topic, p, &lo, &hw[p]);
                left--;
            }
        } else if (m->err) {
            fprintf(stderr, "reader: %s\n", rd_kafka_message_errstr(m));
            fail();
        } else if (p >= 0 && p < nparts && eof[p] < 0) {
            if (k == cap) {
                cap *= 2;
                msgs = realloc(msgs, cap * sizeof(*msgs));
                assert_non_null(msgs);
            }
            char *key = calloc(1, m->key_len + 1), *val = calloc(1, m->len + 1);
            assert_true(key && val);
            memcpy(key, m->key, m->key_len);
            memcpy(val, m->payload, m->len);
            msgs[k++] = (struct sl_kbroker_msg){.partition = p,
                                                .offset = m->offset,
                                                .timestamp = rd_kafka_message_timestamp(m, NULL),
                                                .key = key,
                                                .value = val};
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(rk, NULL);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    /* stable sort by partition: each partition's records came in offset order */
    struct sl_kbroker_msg *sorted = malloc((k ? k : 1) * sizeof(*sorted));
    assert_non_null(sorted);
    size_t j = 0;
    for (int p = 0; p < nparts; p++)
        for (size_t i = 0; i < k; i++)
            if (msgs[i].partition == p)
                sorted[j++] = msgs[i];
    free(msgs);
    *out = sorted;
    *n = k;
}

/* How many partitions end short of their high watermark: held back by an open
 * transaction. */
static int held(int nparts, const int64_t eof[MAXPART], const int64_t hw[MAXPART])
{
    int c = 0;
    for (int p = 0; p < nparts; p++)
        c += eof[p] != hw[p];
    return c;
}

static size_t count_tag(const struct sl_kbroker_msg *m, size_t n, const char *prefix)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += strncmp(m[i].value, prefix, strlen(prefix)) == 0;
    return c;
}

/* The i of "<tag>-e<epoch>-<i>". */
static int rec_index(const char *value)
{
    const char *dash = strrchr(value, '-');
    assert_non_null(dash);
    return atoi(dash + 1);
}

static bool resolved(struct sl_kafka_txn *t, uint64_t epoch)
{
    struct sl_error err;
    bool committed = true;
    ok(sl_kafka_txn_resolve(t, epoch, &committed, &err), &err, "sl_kafka_txn_resolve");
    return committed;
}

/* ---- a crashing writer: this program run with --child --------------------------------------- */

/* --child BOOTSTRAP PREFIX TOPIC EPOCH N COMMIT: writes "C-e<EPOCH>-<i>" for i < N to
 * partition i % 2, flushes, commits if COMMIT is 1, and _exits without freeing anything. */
static int child_main(char **argv)
{
    struct sl_error err;
    struct sl_kafka_txn *t;
    uint64_t epoch = strtoull(argv[5], NULL, 10);
    int id;
    int32_t np;
    if (txn_new(argv[2], argv[3], &t, &err) || sl_kafka_txn_topic(t, argv[4], &id, &np, &err) ||
        write_recs(t, epoch, id, "C", 0, atoi(argv[6]), 2, 7, &err) ||
        sl_kafka_txn_flush(t, epoch, 30000, &err) ||
        (atoi(argv[7]) == 1 && sl_kafka_txn_commit(t, epoch, &err))) {
        fprintf(stderr, "child: %s\n", err.msg);
        _exit(1);
    }
    _exit(0); /* a crash: no commit (unless asked), no free, no abort */
}

static void run_child(const char *prefix, const char *topic, uint64_t epoch, int n, bool commit)
{
    char e[24], nn[24];
    snprintf(e, sizeof(e), "%" PRIu64, epoch);
    snprintf(nn, sizeof(nn), "%d", n);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* a fresh image: the parent's librdkafka threads do not exist in a forked child */
        execl("/proc/self/exe", "test_kafka_txn", "--child", sl_kbroker_group_bootstrap(), prefix,
              topic, e, nn, commit ? "1" : "0", (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- commit --------------------------------------------------------------------------------- */

struct writer {
    struct sl_kafka_txn *t;
    int id, first, n, nparts, rc;
    struct sl_error err;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    w->rc = write_recs(w->t, 1, w->id, "W", w->first, w->n, w->nparts, 64, &w->err);
    return NULL;
}

/* Two threads write epoch 1 at once (one partitioning itself, one by key hash): nothing is
 * visible before the commit, every record exactly once after it. */
static void test_commit(void **state)
{
    (void)state;
    char topic[128], prefix[128];
    fresh("commit", 3, topic, prefix);
    int id;
    struct sl_kafka_txn *t = open_txn(prefix, topic, 3, &id);
    struct sl_error err;
    bool committed = true;
    ok(sl_kafka_txn_resolve(t, 1, &committed, &err), &err, "resolve before any marker");
    assert_false(committed);

    enum { N = 3000 };
    struct writer w[2] = {{.t = t, .id = id, .first = 0, .n = N, .nparts = 3},
                          {.t = t, .id = id, .first = N, .n = N, .nparts = 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        ok(w[i].rc, &w[i].err, "writer");
    }
    ok(sl_kafka_txn_flush(t, 1, 30000, &err), &err, "flush");
    struct sl_kafka_txn_stats st = sl_kafka_txn_stats(t);
    assert_int_equal(st.written, 2 * N);
    assert_int_equal(st.delivered, 2 * N);

    struct sl_kbroker_msg *m;
    size_t n;
    int64_t eof[MAXPART], hw[MAXPART];
    read_visible(topic, 3, &m, &n, eof, hw);
    assert_int_equal(n, 0); /* acknowledged, not committed */
    assert_int_equal(held(3, eof, hw), 3);
    for (int p = 0; p < 3; p++)
        assert_int_equal(eof[p], 0); /* the open transaction holds the stable end */
    sl_kbroker_msgs_free(m, n);

    ok(sl_kafka_txn_commit(t, 1, &err), &err, "commit");
    /* every exactly-once table of a job asks for the commit: the first one does it */
    ok(sl_kafka_txn_commit(t, 1, &err), &err, "commit again");
    st = sl_kafka_txn_stats(t);
    assert_int_equal(st.commits, 1);
    assert_int_equal(st.aborts, 0);
    read_visible(topic, 3, &m, &n, eof, hw);
    assert_int_equal(held(3, eof, hw), 0);
    assert_int_equal(n, 2 * N);
    char *seen = calloc(2 * N, 1);
    assert_non_null(seen);
    int last[3] = {-1, -1, -1};
    for (size_t i = 0; i < n; i++) {
        int k = rec_index(m[i].value);
        assert_true(k >= 0 && k < 2 * N);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
        char want[32];
        snprintf(want, sizeof(want), "k%d", k);
        assert_string_equal(m[i].key, want);
        if (k < N) { /* the first writer's: partition k % 3, in order */
            assert_int_equal(m[i].partition, k % 3);
            assert_true(k > last[k % 3]);
            last[k % 3] = k;
        }
    }
    free(seen);
    sl_kbroker_msgs_free(m, n);
    assert_true(resolved(t, 1));
    assert_false(resolved(t, 2));
    sl_kafka_txn_free(t);
}

/* Records with timestamps of their own (the sink's 'timestamp' metadata) among records
 * without: each keeps its timestamp, the others get the produce time, and every partition
 * keeps the records' order. */
static void test_timestamps(void **state)
{
    (void)state;
    char topic[128], prefix[128];
    fresh("stamps", 2, topic, prefix);
    int id;
    struct sl_kafka_txn *t = open_txn(prefix, topic, 2, &id);
    struct sl_error err;
    enum { N = 40 };
    struct recs b = make_recs("ts", 1, 0, N, 2);
    for (int i = 0; i < N; i++)
        b.r[i].timestamp = i % 3 == 0 ? -1 : 1000000 + i; /* every third: none */
    int64_t before = (int64_t)time(NULL) * 1000 - 1000;
    for (int k = 0; k < N; k += 7) /* unequal calls, some without any stamped record */
        ok(sl_kafka_txn_write(t, 1, id, b.r + k, b.parts + k, (size_t)(N - k < 7 ? N - k : 7),
                              &err),
           &err, "write");
    free_recs(&b);
    ok(sl_kafka_txn_flush(t, 1, 30000, &err), &err, "flush");
    ok(sl_kafka_txn_commit(t, 1, &err), &err, "commit");
    struct sl_kbroker_msg *m;
    size_t n;
    int64_t eof[MAXPART], hw[MAXPART];
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(n, N);
    int last[2] = {-1, -1};
    for (size_t i = 0; i < n; i++) {
        int k = rec_index(m[i].value);
        assert_true(k >= 0 && k < N);
        assert_int_equal(m[i].partition, k % 2);
        assert_true(k > last[k % 2]);
        last[k % 2] = k;
        if (k % 3 == 0)
            assert_true(m[i].timestamp >= before); /* the produce time */
        else
            assert_int_equal(m[i].timestamp, 1000000 + k);
    }
    sl_kbroker_msgs_free(m, n);
    sl_kafka_txn_free(t);
}

/* ---- crashes -------------------------------------------------------------------------------- */

/* Epoch 3 commits; a child writes and flushes epoch 4 and dies: the next start aborts it. */
static void test_crash_open(void **state)
{
    (void)state;
    char topic[128], prefix[128];
    fresh("crash-open", 2, topic, prefix);
    int id;
    struct sl_kafka_txn *t = open_txn(prefix, topic, 2, &id);
    struct sl_error err;
    ok(write_recs(t, 3, id, "P", 0, 40, 2, 40, &err), &err, "write 3");
    ok(sl_kafka_txn_flush(t, 3, 30000, &err), &err, "flush 3");
    ok(sl_kafka_txn_commit(t, 3, &err), &err, "commit 3");
    sl_kafka_txn_free(t);

    run_child(prefix, topic, 4, 60, false);
    /* the child's transaction is open: it holds the stable end of both partitions */
    struct sl_kbroker_msg *m;
    size_t n;
    int64_t eof[MAXPART], hw[MAXPART];
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(held(2, eof, hw), 2);
    assert_int_equal(n, 40);
    assert_int_equal(count_tag(m, n, "C-"), 0);
    sl_kbroker_msgs_free(m, n);

    t = open_txn(prefix, topic, 2, &id); /* init_transactions aborts the child's */
    assert_false(resolved(t, 4));
    assert_true(resolved(t, 3));
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(held(2, eof, hw), 0);
    assert_int_equal(n, 40);
    assert_int_equal(count_tag(m, n, "P-e3-"), 40);
    sl_kbroker_msgs_free(m, n);
    /* epoch 4 again, as a restored job writes it */
    ok(write_recs(t, 4, id, "R", 0, 10, 2, 10, &err), &err, "write 4 again");
    ok(sl_kafka_txn_commit(t, 4, &err), &err, "commit 4");
    assert_true(resolved(t, 4));
    sl_kafka_txn_free(t);
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(n, 50);
    assert_int_equal(count_tag(m, n, "C-"), 0);
    assert_int_equal(count_tag(m, n, "R-e4-"), 10);
    sl_kbroker_msgs_free(m, n);
}

/* A child commits epoch 8 and dies before it could tell anyone: resolve says committed. */
static void test_crash_committed(void **state)
{
    (void)state;
    char topic[128], prefix[128];
    fresh("crash-commit", 2, topic, prefix);
    run_child(prefix, topic, 8, 30, true);
    int id;
    struct sl_kafka_txn *t = open_txn(prefix, topic, 2, &id);
    assert_true(resolved(t, 8));
    assert_true(resolved(t, 7));
    assert_false(resolved(t, 9));
    struct sl_kbroker_msg *m;
    size_t n;
    int64_t eof[MAXPART], hw[MAXPART];
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(held(2, eof, hw), 0);
    assert_int_equal(n, 30);
    assert_int_equal(count_tag(m, n, "C-e8-"), 30);
    sl_kbroker_msgs_free(m, n);
    sl_kafka_txn_free(t);
}

/* ---- zombie fencing ------------------------------------------------------------------------- */

static void test_zombie(void **state)
{
    (void)state;
    char topic[128], prefix[128];
    fresh("zombie", 2, topic, prefix);
    int ida, idb;
    struct sl_kafka_txn *a = open_txn(prefix, topic, 2, &ida);
    struct sl_error err;
    ok(write_recs(a, 5, ida, "A", 0, 30, 2, 30, &err), &err, "A writes 5");
    ok(sl_kafka_txn_flush(a, 5, 30000, &err), &err, "A flushes 5");

    struct sl_kafka_txn *b = open_txn(prefix, topic, 2, &idb); /* fences A, aborts its 5 */
    int rc = sl_kafka_txn_commit(a, 5, &err);
    fprintf(stderr, "the zombie's commit: %s\n", err.msg);
    assert_int_equal(rc, SL_EFENCED);
    char id1[160];
    snprintf(id1, sizeof(id1), "'%s-1'", prefix);
    assert_non_null(strstr(err.msg, id1));
    /* the other id is fenced as well */
    rc = sl_kafka_txn_commit(a, 6, &err);
    fprintf(stderr, "the zombie's other producer: %s\n", err.msg);
    assert_int_equal(rc, SL_EFENCED);
    sl_kafka_txn_free(a); /* its abort fails: no crash, no hang */

    ok(write_recs(b, 5, idb, "B", 0, 20, 2, 20, &err), &err, "B writes 5");
    ok(sl_kafka_txn_commit(b, 5, &err), &err, "B commits 5");
    assert_true(resolved(b, 5));
    struct sl_kbroker_msg *m;
    size_t n;
    int64_t eof[MAXPART], hw[MAXPART];
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(held(2, eof, hw), 0);
    assert_int_equal(n, 20);
    assert_int_equal(count_tag(m, n, "B-e5-"), 20);
    assert_int_equal(count_tag(m, n, "A-"), 0);
    sl_kbroker_msgs_free(m, n);
    sl_kafka_txn_free(b);
}

/* ---- two epochs at once --------------------------------------------------------------------- */

/* 6a 7a 6b 7b in every partition (each flushed before the next is written): 6's commit
 * shows 6a only - 7's open transaction holds the stable end at its first record - and 7's
 * commit shows all four runs in that order. */
static void test_two_epochs(void **state)
{
    (void)state;
    char topic[128], prefix[128];
    fresh("two", 2, topic, prefix);
    int id;
    struct sl_kafka_txn *t = open_txn(prefix, topic, 2, &id);
    struct sl_error err;
    for (int run = 0; run < 4; run++) {
        uint64_t epoch = run % 2 ? 7 : 6;
        ok(write_recs(t, epoch, id, run < 2 ? "a" : "b", 0, 20, 2, 5, &err), &err, "write");
        ok(sl_kafka_txn_flush(t, epoch, 30000, &err), &err, "flush");
    }
    /* epoch 9 would be a third epoch in flight; epoch 6 again after its commit, a replay */
    assert_int_equal(sl_kafka_txn_write(t, 9, id, NULL, NULL, 0, &err), SL_ESTATE);
    ok(sl_kafka_txn_commit(t, 6, &err), &err, "commit 6");
    assert_int_equal(sl_kafka_txn_write(t, 6, id, NULL, NULL, 0, &err), SL_ESTATE);
    ok(sl_kafka_txn_commit(t, 6, &err), &err, "commit 6 again (another table's call)");

    struct sl_kbroker_msg *m;
    size_t n;
    int64_t eof[MAXPART], hw[MAXPART];
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(n, 20);
    assert_int_equal(count_tag(m, n, "a-e6-"), 20);
    assert_int_equal(held(2, eof, hw), 2);
    for (int p = 0; p < 2; p++)
        assert_int_equal(eof[p], 10); /* 7a's first record */
    sl_kbroker_msgs_free(m, n);

    ok(sl_kafka_txn_commit(t, 7, &err), &err, "commit 7");
    assert_int_equal(sl_kafka_txn_commit(t, 6, &err), SL_ESTATE); /* a replay */
    read_visible(topic, 2, &m, &n, eof, hw);
    assert_int_equal(held(2, eof, hw), 0);
    assert_int_equal(n, 80);
    static const char *const order[] = {"a-e6-", "a-e7-", "b-e6-", "b-e7-"};
    for (size_t i = 0; i < n; i++) {
        int p = (int)(i / 40), k = (int)(i % 40);
        assert_int_equal(m[i].partition, p);
        assert_int_equal(strncmp(m[i].value, order[k / 10], 5), 0);
        assert_int_equal(rec_index(m[i].value), 2 * (k % 10) + p);
    }
    sl_kbroker_msgs_free(m, n);
    assert_true(resolved(t, 7));
    struct sl_kafka_txn_stats st = sl_kafka_txn_stats(t);
    assert_int_equal(st.commits, 2);
    assert_int_equal(st.written, 80);
    sl_kafka_txn_free(t);
}

/* ---- resolve behind another producer's open transaction ------------------------------------ */

/* Another producer's transaction open on the marker topic holds its last stable offset before
 * the job's marker of epoch 2: resolve cannot see that marker, and says it cannot tell (a
 * timeout naming the offsets) rather than "not committed"; once the other transaction ends it
 * says committed. */
static void test_resolve_held(void **state)
{
    (void)state;
    char topic[128], prefix[128], marker[160], foreign[160];
    fresh("held", 1, topic, prefix);
    snprintf(marker, sizeof(marker), "%s-epochs", prefix);
    snprintf(foreign, sizeof(foreign), "transactional.id=%s-foreign", prefix);
    int id;
    struct sl_kafka_txn *t = open_txn(prefix, topic, 1, &id);
    struct sl_error err;
    ok(sl_kafka_txn_commit(t, 1, &err), &err, "commit 1");

    const char *props[] = {foreign, "log_level=0"};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ok(sl_kafka_conf_set(conf, "bootstrap.servers", sl_kbroker_group_bootstrap(), &err) ||
           sl_kafka_conf_set_strings(conf, props, 2, &err),
       &err, "foreign conf");
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    assert_non_null(rk);
    assert_null(rd_kafka_init_transactions(rk, 30000));
    assert_null(rd_kafka_begin_transaction(rk));
    assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(marker), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_KEY("other-job", 9), RD_KAFKA_V_VALUE("x", 1),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(rk, 30000), 0);

    ok(sl_kafka_txn_commit(t, 2, &err), &err, "commit 2");
    sl_kafka_txn_free(t);
    struct sl_kafka_txn_config cfg = {.bootstrap = sl_kbroker_group_bootstrap(),
                                      .prefix = prefix,
                                      .job = JOB,
                                      .props = g_quiet,
                                      .nprops = 1,
                                      .timeout_ms = 5000};
    ok(sl_kafka_txn_new(&cfg, &t, &err), &err, "sl_kafka_txn_new");
    bool committed = true;
    int rc = sl_kafka_txn_resolve(t, 2, &committed, &err);
    fprintf(stderr, "resolve behind an open transaction: %s\n", err.msg);
    assert_int_equal(rc, SL_ETIMEOUT);
    assert_non_null(strstr(err.msg, "last stable offset stayed at 2 below the high watermark"));
    assert_false(committed);

    assert_null(rd_kafka_abort_transaction(rk, 30000));
    rd_kafka_destroy(rk);
    assert_true(resolved(t, 2));
    assert_false(resolved(t, 3));
    sl_kafka_txn_free(t);
}

/* ---- errors --------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_kafka_txn *t = NULL;
    struct sl_kafka_txn_config cfg = {.bootstrap = "127.0.0.1:1",
                                      .prefix = "nowhere",
                                      .job = JOB,
                                      .props = g_quiet,
                                      .nprops = 1,
                                      .timeout_ms = 2000};
    int rc = sl_kafka_txn_new(&cfg, &t, &err);
    fprintf(stderr, "unreachable: %s\n", err.msg);
    assert_int_not_equal(rc, 0);
    assert_null(t);
    assert_non_null(strstr(err.msg, "'nowhere-0'"));
    assert_non_null(strstr(err.msg, "127.0.0.1:1"));

    /* above the broker's transaction.max.timeout.ms (900 000 by default) */
    const char *props[] = {"log_level=0", "transaction.timeout.ms=3600000"};
    cfg = (struct sl_kafka_txn_config){.bootstrap = sl_kbroker_group_bootstrap(),
                                       .prefix = "too-long",
                                       .job = JOB,
                                       .props = props,
                                       .nprops = 2};
    rc = sl_kafka_txn_new(&cfg, &t, &err);
    fprintf(stderr, "transaction timeout: %s\n", err.msg);
    assert_int_not_equal(rc, 0);
    assert_null(t);
    assert_non_null(strstr(err.msg, "'too-long-0'"));
    assert_non_null(strstr(err.msg, "ransaction timeout"));

    const char *own[] = {"transactional.id=mine"};
    cfg = (struct sl_kafka_txn_config){.bootstrap = sl_kbroker_group_bootstrap(),
                                       .prefix = "own",
                                       .job = JOB,
                                       .props = own,
                                       .nprops = 1};
    assert_int_equal(sl_kafka_txn_new(&cfg, &t, &err), SL_EINVAL);
    assert_null(t);
}

int main(int argc, char **argv)
{
    if (argc == 8 && strcmp(argv[1], "--child") == 0)
        return child_main(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit),          cmocka_unit_test(test_crash_open),
        cmocka_unit_test(test_crash_committed), cmocka_unit_test(test_zombie),
        cmocka_unit_test(test_two_epochs),      cmocka_unit_test(test_resolve_held),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_timestamps),
    };
    return cmocka_run_group_tests(tests, sl_kbroker_group_setup, sl_kbroker_group_teardown);
}
