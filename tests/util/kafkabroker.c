/*
 * tests/util/kafkabroker.c - a real Kafka broker through tools/kafka.sh, and client helpers
 * (see kafkabroker.h).
 */
#include "tests/util/kafkabroker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "io/kafka_conf.h"

#define KB_TIMEOUT_MS 30000

struct sl_kbroker {
    char script[1024];
    char dir[512];
    char bootstrap[64];
    rd_kafka_t *rk; /* admin requests, metadata, watermarks */
};

/* ---- the broker process --------------------------------------------------------------------- */

/* Runs `kafka.sh CMD ARGS` and parses its KEY=VALUE lines into kb. */
static int kb_run(struct sl_kbroker *kb, const char *cmd, const char *args, struct sl_error *err)
{
    char line[2048];
    snprintf(line, sizeof(line), "'%s' %s %s", kb->script, cmd, args ? args : "");
    FILE *p = popen(line, "r");
    if (!p)
        return sl_error_set(err, SL_EIO, "kafka broker: cannot run %s: %s", kb->script,
                            strerror(errno));
    char buf[1024];
    bool too_long = false;
    while (fgets(buf, sizeof(buf), p)) {
        buf[strcspn(buf, "\n")] = '\0';
        const char *v = buf + 10;
        if (strncmp(buf, "BOOTSTRAP=", 10) == 0 && strlen(v) < sizeof(kb->bootstrap))
            memcpy(kb->bootstrap, v, strlen(v) + 1);
        else if (strncmp(buf, "KAFKA_DIR=", 10) == 0 && strlen(v) < sizeof(kb->dir))
            memcpy(kb->dir, v, strlen(v) + 1);
        else if (strncmp(buf, "BOOTSTRAP=", 10) == 0 || strncmp(buf, "KAFKA_DIR=", 10) == 0)
            too_long = true;
    }
    int status = pclose(p);
    if (too_long)
        return sl_error_set(err, SL_EINVAL,
                            "kafka broker: `%s` printed a BOOTSTRAP or KAFKA_DIR longer than "
                            "this harness keeps",
                            line);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return sl_error_set(err, SL_EIO,
                            "kafka broker: `%s` failed (exit status %d; its message is above "
                            "on stderr). A real broker is required: tools/kafka.sh fetches "
                            "Apache Kafka from Maven Central (needs mvn, java, kcat and "
                            "Debian's zookeeper; tools/setup.sh installs them)",
                            line, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

static rd_kafka_t *kb_client(const char *bootstrap, rd_kafka_type_t type, const char *const *props,
                             size_t nprops, struct sl_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err) ||
        sl_kafka_conf_set(conf, "log_level", "3", err) ||
        sl_kafka_conf_set_strings(conf, props, nprops, err)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        sl_error_set(err, SL_EKAFKA, "kafka client: %s", why);
    }
    return rk;
}

int sl_kbroker_start(const char *args, struct sl_kbroker **out, struct sl_error *err)
{
    const char *srcdir = getenv("SLUICE_SOURCE_DIR");
    if (!srcdir)
        return sl_error_set(err, SL_EINVAL,
                            "kafka broker: SLUICE_SOURCE_DIR is not set (ctest sets it to the "
                            "repository)");
    struct sl_kbroker *kb = calloc(1, sizeof(*kb));
    if (!kb)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    snprintf(kb->script, sizeof(kb->script), "%s/tools/kafka.sh", srcdir);
    char a[512];
    snprintf(a, sizeof(a), "--owner %d %s", (int)getpid(), args ? args : "");
    int rc = kb_run(kb, "start", a, err);
    if (!rc && (!kb->bootstrap[0] || !kb->dir[0]))
        rc = sl_error_set(err, SL_EIO, "kafka broker: tools/kafka.sh start printed no BOOTSTRAP=");
    if (!rc && !(kb->rk = kb_client(kb->bootstrap, RD_KAFKA_PRODUCER, NULL, 0, err)))
        rc = err->code;
    if (rc) {
        sl_kbroker_free(kb);
        return rc;
    }
    *out = kb;
    return 0;
}

/* the broker of sl_kbroker_group_setup */
static struct sl_kbroker *kb_group;

int sl_kbroker_group_setup(void **state)
{
    (void)state;
    struct sl_error err;
    if (sl_kbroker_start(NULL, &kb_group, &err) != 0) {
        fprintf(stderr, "FAIL: no Kafka broker: %s\n", err.msg);
        return -1;
    }
    return 0;
}

int sl_kbroker_group_teardown(void **state)
{
    (void)state;
    sl_kbroker_free(kb_group);
    kb_group = NULL;
    return 0;
}

struct sl_kbroker *sl_kbroker_group(void)
{
    return kb_group;
}

const char *sl_kbroker_group_bootstrap(void)
{
    return kb_group ? kb_group->bootstrap : NULL;
}

const char *sl_kbroker_bootstrap(const struct sl_kbroker *kb)
{
    return kb->bootstrap;
}

const char *sl_kbroker_dir(const struct sl_kbroker *kb)
{
    return kb->dir;
}

int sl_kbroker_down(struct sl_kbroker *kb, struct sl_error *err)
{
    char a[600];
    snprintf(a, sizeof(a), "--dir '%s'", kb->dir);
    return kb_run(kb, "down", a, err);
}

int sl_kbroker_up(struct sl_kbroker *kb, struct sl_error *err)
{
    char a[600];
    snprintf(a, sizeof(a), "--dir '%s'", kb->dir);
    return kb_run(kb, "up", a, err);
}

void sl_kbroker_free(struct sl_kbroker *kb)
{
    if (!kb)
        return;
    if (kb->rk)
        rd_kafka_destroy(kb->rk);
    if (kb->dir[0]) {
        char a[600];
        snprintf(a, sizeof(a), "--dir '%s'", kb->dir);
        struct sl_error err;
        if (kb_run(kb, "stop", a, &err))
            fprintf(stderr, "%s\n", err.msg);
    }
    free(kb);
}

const char *sl_kbroker_topic_name(const char *prefix)
{
    static char name[128];
    static int seq;
    snprintf(name, sizeof(name), "%s-%d", prefix, ++seq);
    return name;
}

/* ---- admin ---------------------------------------------------------------------------------- */

/* Waits for an admin result event on q; NULL on a timeout. */
static rd_kafka_event_t *kb_admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type)
{
    for (int i = 0; i < KB_TIMEOUT_MS / 100; i++) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) == type)
            return ev;
        rd_kafka_event_destroy(ev);
    }
    return NULL;
}

int sl_kbroker_topic_exists(struct sl_kbroker *kb, const char *topic, bool *exists,
                            int32_t *partitions, struct sl_error *err)
{
    int32_t count = 0;
    int rc = sl_kafka_partition_count(kb->rk, topic, KB_TIMEOUT_MS, &count, err);
    *exists = rc == 0;
    if (partitions)
        *partitions = count;
    return rc == SL_ENOTFOUND ? 0 : rc;
}

int sl_kbroker_create_topic(struct sl_kbroker *kb, const char *topic, int partitions,
                            const char *const *configs, size_t nconfigs, struct sl_error *err)
{
    char why[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, why, sizeof(why));
    if (!nt)
        return sl_error_set(err, SL_EINVAL, "create topic '%s': %s", topic, why);
    for (size_t i = 0; i < nconfigs; i++) {
        char k[256];
        const char *eq = strchr(configs[i], '=');
        if (!eq) {
            rd_kafka_NewTopic_destroy(nt);
            return sl_error_set(err, SL_EINVAL, "topic config '%s': expected key=value",
                                configs[i]);
        }
        snprintf(k, sizeof(k), "%.*s", (int)(eq - configs[i]), configs[i]);
        rd_kafka_NewTopic_set_config(nt, k, eq + 1);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(kb->rk);
    rd_kafka_CreateTopics(kb->rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = kb_admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT);
    int rc = 0;
    if (!ev) {
        rc = sl_error_set(err, SL_ETIMEOUT, "create topic '%s': no answer", topic);
    } else {
        size_t n;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        if (rd_kafka_event_error(ev))
            rc = sl_error_set(err, SL_EKAFKA, "create topic '%s': %s", topic,
                              rd_kafka_event_error_string(ev));
        else if (n != 1 || rd_kafka_topic_result_error(res[0]))
            rc = sl_error_set(err, SL_EKAFKA, "create topic '%s': %s", topic,
                              n ? rd_kafka_topic_result_error_string(res[0]) : "no result");
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    if (rc)
        return rc;
    /* every partition has a leader before the topic is used */
    for (int i = 0; i < KB_TIMEOUT_MS / 50; i++) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(kb->rk, 1, NULL, &md, 5000) == 0) {
            bool ready = false;
            for (int t = 0; t < md->topic_cnt; t++) {
                const struct rd_kafka_metadata_topic *mt = &md->topics[t];
                if (strcmp(mt->topic, topic) != 0 || mt->err || mt->partition_cnt != partitions)
                    continue;
                ready = true;
                for (int p = 0; p < mt->partition_cnt; p++)
                    ready &= mt->partitions[p].leader >= 0 && !mt->partitions[p].err;
            }
            rd_kafka_metadata_destroy(md);
            if (ready)
                return 0;
        }
        usleep(50 * 1000);
    }
    return sl_error_set(err, SL_ETIMEOUT, "create topic '%s': partitions without a leader", topic);
}

int sl_kbroker_watermarks(struct sl_kbroker *kb, const char *topic, int32_t partition, int64_t *lo,
                          int64_t *hi, struct sl_error *err)
{
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(kb->rk, topic, partition, lo, hi, KB_TIMEOUT_MS);
    if (e)
        return sl_error_set(err, SL_EKAFKA, "watermarks of '%s' [%d]: %s", topic, (int)partition,
                            rd_kafka_err2str(e));
    return 0;
}

int sl_kbroker_delete_records(struct sl_kbroker *kb, const char *topic, int32_t partition,
                              int64_t offset, struct sl_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_DeleteRecords_t *dr = rd_kafka_DeleteRecords_new(l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_queue_t *q = rd_kafka_queue_new(kb->rk);
    rd_kafka_DeleteRecords(kb->rk, &dr, 1, NULL, q);
    rd_kafka_event_t *ev = kb_admin_wait(q, RD_KAFKA_EVENT_DELETERECORDS_RESULT);
    int rc = 0;
    if (!ev) {
        rc = sl_error_set(err, SL_ETIMEOUT, "delete records of '%s': no answer", topic);
    } else {
        const rd_kafka_topic_partition_list_t *res =
            rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
        if (rd_kafka_event_error(ev))
            rc = sl_error_set(err, SL_EKAFKA, "delete records of '%s': %s", topic,
                              rd_kafka_event_error_string(ev));
        else if (!res || res->cnt != 1 || res->elems[0].err)
            rc = sl_error_set(err, SL_EKAFKA, "delete records of '%s' [%d]: %s", topic,
                              (int)partition,
                              res && res->cnt ? rd_kafka_err2str(res->elems[0].err) : "no result");
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteRecords_destroy(dr);
    return rc;
}

/* ---- producing ------------------------------------------------------------------------------ */

static void kb_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    int *failed = m->_private;
    if (m->err && failed)
        *failed = m->err;
}

static int kb_produce_all(rd_kafka_t *rk, const char *topic, const struct sl_kbroker_rec *recs,
                          size_t n, int *failed, struct sl_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct sl_kbroker_rec *r = &recs[i];
        rd_kafka_resp_err_t e;
        do {
            e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic),
                RD_KAFKA_V_PARTITION(r->partition >= 0 ? r->partition : RD_KAFKA_PARTITION_UA),
                RD_KAFKA_V_KEY(r->key, r->key ? strlen(r->key) : 0),
                RD_KAFKA_V_VALUE((void *)r->value, r->value ? strlen(r->value) : 0),
                RD_KAFKA_V_TIMESTAMP(r->timestamp > 0 ? r->timestamp : 0),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(failed),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 10);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (e)
            return sl_error_set(err, SL_EKAFKA, "produce to '%s': %s", topic, rd_kafka_err2str(e));
    }
    return 0;
}

int sl_kbroker_produce(struct sl_kbroker *kb, const char *topic, const struct sl_kbroker_rec *recs,
                       size_t n, struct sl_error *err)
{
    static const char *const props[] = {"enable.idempotence=true", "linger.ms=1"};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_dr_msg_cb(conf, kb_dr);
    char why[256];
    int rc = 0;
    if (sl_kafka_conf_set(conf, "bootstrap.servers", kb->bootstrap, err) ||
        sl_kafka_conf_set_strings(conf, props, 2, err)) {
        rd_kafka_conf_destroy(conf);
        return err->code;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_EKAFKA, "producer: %s", why);
    }
    int failed = 0;
    rc = kb_produce_all(rk, topic, recs, n, &failed, err);
    rd_kafka_resp_err_t e = rd_kafka_flush(rk, KB_TIMEOUT_MS);
    if (!rc && (e || failed))
        rc = sl_error_set(err, SL_EKAFKA, "produce to '%s': %s", topic,
                          rd_kafka_err2str(e ? e : (rd_kafka_resp_err_t)failed));
    rd_kafka_destroy(rk);
    return rc;
}

static int kb_txn_check(rd_kafka_error_t *e, const char *what, const char *topic,
                        struct sl_error *err)
{
    if (!e)
        return 0;
    int rc = sl_error_set(err, SL_EKAFKA, "transaction on '%s': %s: %s", topic, what,
                          rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return rc;
}

int sl_kbroker_produce_txn(struct sl_kbroker *kb, const char *topic, const char *txn_id,
                           const struct sl_kbroker_rec *recs, size_t n, bool commit,
                           struct sl_error *err)
{
    char tid[256];
    snprintf(tid, sizeof(tid), "transactional.id=%s", txn_id);
    const char *props[] = {tid};
    rd_kafka_t *rk = kb_client(kb->bootstrap, RD_KAFKA_PRODUCER, props, 1, err);
    if (!rk)
        return err->code;
    int failed = 0;
    int rc = kb_txn_check(rd_kafka_init_transactions(rk, KB_TIMEOUT_MS), "init", topic, err);
    if (!rc)
        rc = kb_txn_check(rd_kafka_begin_transaction(rk), "begin", topic, err);
    if (!rc)
        rc = kb_produce_all(rk, topic, recs, n, &failed, err);
    if (!rc && commit)
        rc = kb_txn_check(rd_kafka_commit_transaction(rk, KB_TIMEOUT_MS), "commit", topic, err);
    else if (!rc) {
        /* the records reach the log first (an abort then writes the abort markers after
         * them), so a read_committed reader really has aborted records to skip */
        rd_kafka_flush(rk, KB_TIMEOUT_MS);
        rc = kb_txn_check(rd_kafka_abort_transaction(rk, KB_TIMEOUT_MS), "abort", topic, err);
    }
    if (!rc && commit && failed)
        rc = sl_error_set(err, SL_EKAFKA, "transaction on '%s': a delivery failed: %s", topic,
                          rd_kafka_err2str((rd_kafka_resp_err_t)failed));
    rd_kafka_destroy(rk);
    return rc;
}

/* ---- consumer groups ------------------------------------------------------------------------ */

static rd_kafka_t *kb_group_consumer(struct sl_kbroker *kb, const char *group, struct sl_error *err)
{
    char gid[256];
    snprintf(gid, sizeof(gid), "group.id=%s", group);
    const char *props[] = {gid, "enable.auto.commit=false"};
    return kb_client(kb->bootstrap, RD_KAFKA_CONSUMER, props, 2, err);
}

int sl_kbroker_commit_offset(struct sl_kbroker *kb, const char *group, const char *topic,
                             int32_t partition, int64_t offset, struct sl_error *err)
{
    rd_kafka_t *rk = kb_group_consumer(kb, group, err);
    if (!rk)
        return err->code;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_resp_err_t e = rd_kafka_commit(rk, l, 0);
    rd_kafka_topic_partition_list_destroy(l);
    int rc = 0;
    if (e)
        rc = sl_error_set(err, SL_EKAFKA, "commit of group '%s' on '%s' [%d]: %s", group, topic,
                          (int)partition, rd_kafka_err2str(e));
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

int sl_kbroker_committed_offset(struct sl_kbroker *kb, const char *group, const char *topic,
                                int32_t partition, int64_t *offset, struct sl_error *err)
{
    rd_kafka_t *rk = kb_group_consumer(kb, group, err);
    if (!rk)
        return err->code;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, KB_TIMEOUT_MS);
    int rc = 0;
    if (e || l->elems[0].err)
        rc = sl_error_set(err, SL_EKAFKA, "committed offset of group '%s' on '%s' [%d]: %s", group,
                          topic, (int)partition, rd_kafka_err2str(e ? e : l->elems[0].err));
    else
        *offset = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* ---- consuming ------------------------------------------------------------------------------ */

static char *kb_strndup(const void *p, size_t n)
{
    if (!p)
        return NULL;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static int kb_msg_cmp(const void *a, const void *b)
{
    const struct sl_kbroker_msg *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int sl_kbroker_consume(struct sl_kbroker *kb, const char *topic, struct sl_kbroker_msg **out,
                       size_t *n, struct sl_error *err)
{
    *out = NULL;
    *n = 0;
    bool exists;
    int32_t nparts = 0;
    int rc = sl_kbroker_topic_exists(kb, topic, &exists, &nparts, err);
    if (rc)
        return rc;
    if (!exists)
        return sl_error_set(err, SL_ENOTFOUND, "consume: topic '%s' does not exist", topic);
    int64_t *hi = calloc((size_t)nparts + 1, sizeof(*hi));
    bool *done = calloc((size_t)nparts + 1, sizeof(*done));
    const char *props[] = {"group.id=sluice-test-reader", "enable.auto.commit=false",
                           "enable.partition.eof=true", "isolation.level=read_committed",
                           "auto.offset.reset=earliest"};
    rd_kafka_t *rk = kb_client(kb->bootstrap, RD_KAFKA_CONSUMER, props, 5, err);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
    size_t cap = 0, k = 0, left = (size_t)nparts;
    struct sl_kbroker_msg *msgs = NULL;
    if (!rk || !hi || !done) {
        rc = rk ? sl_error_set(err, SL_ENOMEM, "out of memory") : err->code;
        goto out;
    }
    for (int32_t p = 0; p < nparts; p++) {
        int64_t lo;
        if ((rc = sl_kbroker_watermarks(kb, topic, p, &lo, &hi[p], err)))
            goto out;
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        if (hi[p] == lo) {
            done[p] = true;
            left--;
        }
    }
    rd_kafka_assign(rk, l);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (left > 0) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 > KB_TIMEOUT_MS) {
            rc = sl_error_set(err, SL_ETIMEOUT, "consume '%s': not at the end after %d s", topic,
                              KB_TIMEOUT_MS / 1000);
            goto out;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        int32_t p = m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p >= 0 && p < nparts && !done[p] && m->offset >= hi[p]) {
                done[p] = true;
                left--;
            }
        } else if (m->err) {
            rc = sl_error_set(err, SL_EKAFKA, "consume '%s' [%d]: %s", topic, (int)p,
                              rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            goto out;
        } else if (p >= 0 && p < nparts && m->offset < hi[p]) {
            if (k == cap) {
                cap = cap ? 2 * cap : 256;
                struct sl_kbroker_msg *nm = realloc(msgs, cap * sizeof(*nm));
                if (!nm) {
                    rd_kafka_message_destroy(m);
                    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                    goto out;
                }
                msgs = nm;
            }
            msgs[k++] = (struct sl_kbroker_msg){.partition = p,
                                                .offset = m->offset,
                                                .timestamp = rd_kafka_message_timestamp(m, NULL),
                                                .key = kb_strndup(m->key, m->key_len),
                                                .value = kb_strndup(m->payload, m->len)};
        }
        rd_kafka_message_destroy(m);
    }
    if (k > 1)
        qsort(msgs, k, sizeof(*msgs), kb_msg_cmp);
    *out = msgs;
    *n = k;
    msgs = NULL;
    k = 0;
out:
    sl_kbroker_msgs_free(msgs, k);
    rd_kafka_topic_partition_list_destroy(l);
    if (rk) {
        rd_kafka_assign(rk, NULL);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    free(hi);
    free(done);
    return rc;
}

void sl_kbroker_msgs_free(struct sl_kbroker_msg *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(msgs[i].key);
        free(msgs[i].value);
    }
    free(msgs);
}
