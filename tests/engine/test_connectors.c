/*
 * tests/engine/test_connectors.c - sources and sinks by their 'connector' option: option
 * errors with positions, nexmark rows against the generator and its interleaved split,
 * print output text, filesystem round trips and bad records, Kafka through the mock
 * cluster with each format and bad-record policy.
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/conn/registry.h"
#include "io/kafka_mock.h"
#include "io/kafka_sink.h"
#include "io/kafka_source.h"
#include "io/nexmark.h"
#include "tests/util/conntest.h"
#include "tests/util/iotest.h"
#include "tests/util/kmock.h"

#define NX_COLS                                                                            \
    "event_type int,\n"                                                                    \
    "person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,\n"      \
    "  city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,\n"            \
    "auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,\n"   \
    "  reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,\n"    \
    "  category BIGINT, extra VARCHAR>,\n"                                                 \
    "bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,\n" \
    "  `dateTime` TIMESTAMP(3), extra VARCHAR>\n"

#define ALL_COLS                                                                 \
    "b BOOLEAN, i INT, l BIGINT, d DOUBLE, m DECIMAL(18, 4), n DECIMAL(5, 2),\n" \
    "t TIMESTAMP(3), s VARCHAR, r ROW<x BIGINT, y ROW<z VARCHAR>>, k BIGINT NOT NULL"

/* The error of opening `table` of `sql` as a source (sink when !source); must contain n1, n2. */
static void open_err(const char *sql, const char *table, bool source, const char *n1,
                     const char *n2)
{
    struct sl_job *job = sl_ct_job(sql);
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_error err;
    sl_error_clear(&err);
    int rc;
    if (source) {
        struct sl_source *s = NULL;
        rc = sl_source_open(sl_ct_table(job, table), &env, 2, &s, &err);
        if (!rc)
            s->ops->free(s);
    } else {
        struct sl_sink *s = NULL;
        rc = sl_sink_open(sl_ct_table(job, table), &env, 2, &s, &err);
        if (!rc)
            s->ops->free(s);
    }
    if (rc == 0 || !strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2))) {
        fprintf(stderr, "wanted: %s / %s\ngot (%d): %s\n", n1, n2 ? n2 : "", rc, err.msg);
        fail();
    }
    sl_job_free(job);
}

static void test_option_errors(void **state)
{
    (void)state;
    open_err("CREATE TABLE nx (" NX_COLS ") WITH ('connector' = 'nexmark',\n"
             "  'foo' = '1');",
             "nx", true, "t.sql:10:3: table 'nx': unknown option 'foo' for connector 'nexmark'",
             "'first-event.rate'");
    open_err("CREATE TABLE nx (" NX_COLS ") WITH ('connector' = 'nexmark',\n"
             "  'events.num' = 'many');",
             "nx", true, "t.sql:10:3:", "bad value 'many' for option 'events.num'");
    open_err("CREATE TABLE nx (event_type INT, person ROW<id INT>) WITH ('connector' = "
             "'nexmark');",
             "nx", true, "column 2 is 'person.id' INT, the generator's is 'person.id' BIGINT",
             NULL);
    open_err("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'format' = 'json');", "f",
             true, "t.sql:1:1: table 'f': connector 'filesystem' needs the option 'path'", NULL);
    open_err("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '/nonexistent/x',"
             " 'format' = 'json');",
             "f", true, "path '/nonexistent/x'", NULL);
    open_err("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp',\n"
             " 'format' = 'avro');",
             "f", true, "t.sql:2:2:", "format 'avro' is not supported");
    open_err("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp',\n"
             " 'format' = 'json', 'sluice.bad-records' = 'dead-letter');",
             "f", true, "needs the option 'sluice.dead-letter.path'", NULL);
    open_err("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp',\n"
             " 'format' = 'csv', 'json.ignore-parse-errors' = 'true');",
             "f", true, "t.sql:2:20:", "needs 'format' = 'json'");
    open_err("CREATE TABLE p (a INT) WITH ('connector' = 'print', 'standard-error' = 'maybe');",
             "p", false, "option 'standard-error': 'maybe' is not 'true' or 'false'", NULL);
    open_err("CREATE TABLE p (a INT) WITH ('connector' = 'print', 'path' = 'x');", "p", false,
             "unknown option 'path' for connector 'print' (valid: 'print-identifier', "
             "'standard-error')",
             NULL);
    open_err("CREATE TABLE p (a INT) WITH ('connector' = 'print');", "p", true,
             "connector 'print' cannot be used as a source", NULL);
    open_err("CREATE TABLE b (a INT) WITH ('connector' = 'blackhole', 'x' = 'y');", "b", false,
             "unknown option 'x' for connector 'blackhole'", NULL);
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json',\n"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "needs the option 'topic'", NULL);
    /* topic lists and patterns (Flink's rules: not both; a sink writes one topic; specific
     * offsets name one topic's partitions) */
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'topic-pattern' = 't.*', 'properties.bootstrap.servers' = "
             "'localhost:1');",
             "k", true, "t.sql:2:2:", "'topic' and 'topic-pattern' shouldn't be set together");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json',\n"
             " 'topic-pattern' = 'ab(c', 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:",
             "option 'topic-pattern': topic-pattern 'ab(c': missing closing parenthesis at "
             "character 5");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json',\n"
             " 'topic' = 'a;b', 'properties.bootstrap.servers' = 'localhost:1');",
             "k", false, "t.sql:2:2:", "a Kafka sink writes one topic, but 'topic' = 'a;b'");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json',\n"
             " 'topic-pattern' = 'a.*', 'properties.bootstrap.servers' = 'localhost:1');",
             "k", false, "t.sql:2:2:", "'topic-pattern' is for sources");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json',\n"
             " 'topic' = 'a;;b', 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "'topic' = 'a;;b': an empty topic name at character 3", NULL);
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json',\n"
             " 'topic' = 'a; b;a', 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "'topic' = 'a; b;a' lists 'a' twice", NULL);
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 'a;b', 'scan.startup.mode' = 'specific-offsets',\n"
             " 'scan.startup.specific-offsets' = 'partition:0,offset:1',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "it needs a single 'topic'");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'scan.topic-partition-discovery.interval' = 'often',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "'often' is not a duration");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'scan.startup.mode' = 'group-offsets',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "'group-offsets' needs the option 'properties.group.id'");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'scan.bounded.mode' = 'timestamp',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "'timestamp' is not one of 'unbounded', 'latest-offset'");
    /* avro: Flink's options, binary encoding only, Kafka tables only, flat columns */
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'avro', "
             "'topic' = 't',\n 'avro.encoding' = 'json',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "'json' (Avro's JSON encoding) is not supported");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'avro', "
             "'topic' = 't',\n 'avro.encoding' = 'xml',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", false, "t.sql:2:2:", "'xml' is not one of 'binary', 'json'");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'avro.encoding' = 'binary',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "option 'avro.encoding' needs 'format' = 'avro'");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'avro', "
             "'topic' = 't',\n 'avro.timestamp_mapping.legacy' = 'maybe',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "'maybe' is not 'true' or 'false'");
    open_err("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp',\n"
             " 'format' = 'avro');",
             "f", true, "t.sql:2:2:", "format 'avro' is not supported by the filesystem");
    open_err("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x',\n"
             " 'format' = 'avro');",
             "f", false, "t.sql:2:2:", "format 'avro' is not supported by the filesystem");
    open_err("CREATE TABLE k (r ROW<x INT>) WITH ('connector' = 'kafka', 'format' = 'avro', "
             "'topic' = 't', 'properties.bootstrap.servers' = 'localhost:1');",
             "k", false, "field 'r.x' is a field of a ROW column", NULL);
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'key.format' = 'json',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "option 'key.format' needs 'key.fields'");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'key.fields' = 'b', 'key.format' = 'json',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", false, "'key.fields': 'b' is not a column of the table", NULL);
    open_err("CREATE TABLE f (a INT,\n ts TIMESTAMP(3) METADATA FROM 'timestamp') WITH "
             "('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'json');",
             "f", true,
             "t.sql:2:2:", "connector 'filesystem' has no metadata 'timestamp' (it has none)");
    open_err("CREATE TABLE k (a INT,\n p BIGINT METADATA FROM 'partition') WITH ('connector' = "
             "'kafka', 'format' = 'json', 'topic' = 't', 'properties.bootstrap.servers' = "
             "'localhost:1');",
             "k", true, "t.sql:2:2:", "metadata 'partition' is INT: column 'p' cannot be BIGINT");
    open_err("CREATE TABLE k (a INT,\n t BIGINT METADATA FROM 'timestamp') WITH ('connector' = "
             "'kafka', 'format' = 'json', 'topic' = 't', 'properties.bootstrap.servers' = "
             "'localhost:1');",
             "k", true, "t.sql:2:2:",
             "metadata 'timestamp' is TIMESTAMP_LTZ(3) (or TIMESTAMP(3)): column 't' cannot be "
             "BIGINT");
    open_err("CREATE TABLE k (a INT,\n ts TIMESTAMP(3) NOT NULL METADATA FROM 'timestamp') WITH ("
             "'connector' = 'kafka', 'format' = 'json', 'topic' = 't', "
             "'properties.bootstrap.servers' = 'localhost:1');",
             "k", true, "t.sql:2:2:", "column 'ts' cannot be NOT NULL");
    open_err("CREATE TABLE k (a INT,\n h STRING METADATA FROM 'headers') WITH ('connector' = "
             "'kafka', 'format' = 'json', 'topic' = 't', 'properties.bootstrap.servers' = "
             "'localhost:1');",
             "k", true, "t.sql:2:2:",
             "metadata 'headers' is MAP<STRING, BYTES>: column 'h' cannot be VARCHAR");
    open_err("CREATE TABLE k (a INT,\n h BYTES METADATA FROM 'topic' VIRTUAL) WITH ('connector' = "
             "'kafka', 'format' = 'json', 'topic' = 't', 'properties.bootstrap.servers' = "
             "'localhost:1');",
             "k", true, "t.sql:2:2:", "metadata 'topic' is STRING: column 'h' cannot be BYTES");
    open_err("CREATE TABLE k (a INT,\n h STRING METADATA FROM 'leader-epoch') WITH ('connector' = "
             "'kafka', 'format' = 'json', 'topic' = 't', 'properties.bootstrap.servers' = "
             "'localhost:1');",
             "k", true,
             "connector 'kafka' has no metadata 'leader-epoch' (it has: 'timestamp', "
             "'partition', 'offset', 'topic', 'headers', 'timestamp-type')",
             NULL);
    open_err("CREATE TABLE k (a INT,\n o BIGINT METADATA FROM 'offset') WITH ('connector' = "
             "'kafka', 'format' = 'json', 'topic' = 't', 'properties.bootstrap.servers' = "
             "'localhost:1');",
             "k", false, "t.sql:2:2:", "metadata 'offset' is read only");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'sink.partitioner' = 'hash',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", false, "'hash' is not one of 'default', 'round-robin', 'fixed'", NULL);
}

/* 'sink.delivery-guarantee' = 'exactly-once': the refusals that need no broker (the
 * transactional producers open only when the job leads, so these come first). */
static void test_kafka_exactly_once_options(void **state)
{
    (void)state;
#define EOS_TABLE(name, extra)                                                        \
    "CREATE TABLE " name " (a INT) WITH ('connector' = 'kafka', 'format' = 'json',\n" \
    " 'topic' = '" name "', 'properties.bootstrap.servers' = 'localhost:1',\n"        \
    " 'sink.delivery-guarantee' = 'exactly-once'" extra ");\n"
    open_err(EOS_TABLE("k", ", 'sink.transactional-id-prefix' = 'p'"), "k", false,
             "t.sql:3:2:", "'exactly-once' needs checkpoints");
    open_err("CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'format' = 'json', "
             "'topic' = 't',\n 'sink.delivery-guarantee' = 'exactly-twice',"
             " 'properties.bootstrap.servers' = 'localhost:1');",
             "k", false,
             "t.sql:2:2:", "'exactly-twice' is not one of 'at-least-once', 'exactly-once', 'none'");
    struct sl_job *job =
        sl_ct_job(EOS_TABLE("k1", "") EOS_TABLE("k2", ", 'sink.transactional-id-prefix' = 'p'")
                      EOS_TABLE("k3", ", 'sink.transactional-id-prefix' = 'p',\n"
                                      " 'properties.transaction.timeout.ms' = '1000'")
                          EOS_TABLE("k4", ", 'sink.transactional-id-prefix' = 'q'")
                              EOS_TABLE("k5", ", 'sink.transactional-id-prefix' = 'p',\n"
                                              " 'properties.linger.ms' = '7'")
                                  EOS_TABLE("k6", ", 'sink.transactional-id-prefix' = 'p',\n"
                                                  " 'properties.transaction.timeout.ms' = '9s'"));
#undef EOS_TABLE
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_conn_shared shared = {0};
    env.checkpoints = true;
    env.job_id = "j";
    env.checkpoint_interval_ms = 1000;
    env.shared = &shared;
    struct sl_error err;
    struct sl_sink *k2 = NULL, *s = NULL;
    assert_int_not_equal(sl_sink_open(sl_ct_table(job, "k1"), &env, 2, &s, &err), 0);
    assert_non_null(strstr(err.msg, "needs the option 'sink.transactional-id-prefix'"));
    /* a table with a prefix opens (nothing is asked of the broker yet) */
    assert_int_equal(sl_sink_open(sl_ct_table(job, "k2"), &env, 2, &k2, &err), 0);
    assert_non_null(k2->ops->resolve);
    assert_non_null(shared.kafka_txn);
    assert_int_not_equal(sl_sink_open(sl_ct_table(job, "k3"), &env, 2, &s, &err), 0);
    assert_non_null(strstr(err.msg, "'properties.transaction.timeout.ms' is 1000 ms, less than "
                                    "twice the checkpoint interval (1000 ms)"));
    /* every exactly-once table of a job shares one transaction per epoch */
    assert_int_not_equal(sl_sink_open(sl_ct_table(job, "k4"), &env, 2, &s, &err), 0);
    assert_non_null(strstr(err.msg, "give them the same cluster and "
                                    "'sink.transactional-id-prefix' (another table has 'p'"));
    /* ... through the same producers: the same client properties */
    assert_int_not_equal(sl_sink_open(sl_ct_table(job, "k5"), &env, 2, &s, &err), 0);
    assert_non_null(strstr(err.msg, "give them the same 'properties.*'"));
    assert_int_not_equal(sl_sink_open(sl_ct_table(job, "k6"), &env, 2, &s, &err), 0);
    assert_non_null(strstr(err.msg, "'properties.transaction.timeout.ms' is not a number"));
    k2->ops->free(k2);
    assert_null(shared.kafka_txn); /* the last exactly-once table freed it */
    sl_job_free(job);
}

/* ---- nexmark ------------------------------------------------------------------------------- */

static const char nx_sql[] = "CREATE TABLE nx (" NX_COLS ") WITH ('connector' = 'nexmark',\n"
                             " 'first-event.rate' = '1000000000', 'events.num' = '500',\n"
                             " 'sluice.base-time' = '1700000000000', 'bid.proportion' = '40');";

static void test_nexmark_split(void **state)
{
    (void)state;
    struct sl_job *job = sl_ct_job(nx_sql);
    const struct sl_table *t = sl_ct_table(job, "nx");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_heap *heap = sl_heap_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(heap, schema, 4);
    /* the reference generator, configured the same way */
    struct sl_nexmark_config cfg;
    sl_nexmark_config_init(&cfg);
    struct sl_error err;
    assert_int_equal(sl_nexmark_config_set(&cfg, "first-event.rate", "1000000000", &err), 0);
    assert_int_equal(sl_nexmark_config_set(&cfg, "events.num", "500", &err), 0);
    assert_int_equal(sl_nexmark_config_set(&cfg, "base-time", "1700000000000", &err), 0);
    assert_int_equal(sl_nexmark_config_set(&cfg, "bid.proportion", "40", &err), 0);
    struct sl_nexmark_gen *gen;
    assert_int_equal(sl_nexmark_gen_new(&cfg, &gen, &err), 0);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, gen), 0);
    struct sl_batch *ref = sl_batch_pool_get(pool);
    for (int nw = 1; nw <= 3; nw++) {
        struct sl_source *src;
        assert_int_equal(sl_source_open(t, &env, nw, &src, &err), 0);
        uint64_t total = 0;
        for (int w = 0; w < nw; w++) {
            int32_t ids[4];
            uint32_t n;
            assert_int_equal(src->ops->splits(src, w, ids, 4, &n), 0);
            assert_int_equal(n, 1);
            assert_int_equal(ids[0], w);
            struct sl_ct_ctx c;
            sl_ct_ctx_init(&c, w, nw, job);
            /* worker w generates split w of nw, as Flink's source at parallelism nw */
            struct sl_nexmark_config sc;
            sl_nexmark_config_split(&cfg, nw, w, &sc);
            struct sl_nexmark_gen *sgen;
            assert_int_equal(sl_nexmark_gen_new(&sc, &sgen, &err), 0);
            struct sl_nexmark_event sev;
            assert_int_equal(sl_nexmark_event_init(&sev, sgen), 0);
            int64_t j = 0;
            bool done = false;
            while (!done) {
                struct sl_batch *b = sl_batch_pool_get(pool);
                struct sl_source_info info;
                assert_int_equal(src->ops->poll(src, &c.ctx, b, 100, &info, &err), 0);
                assert_int_equal(info.split, w);
                for (uint32_t r = 0; r < b->rows; r++, j++) {
                    sl_batch_reset(ref);
                    assert_int_equal(sl_nexmark_fill(sgen, &sev, j, 1, ref), 0);
                    ref->rows = 1;
                    assert_true(sl_iot_row_equal(b, r, ref, 0));
                }
                done = info.worker_done;
                if (done)
                    assert_true(info.split_done);
                sl_batch_pool_put(b);
            }
            assert_int_equal(j, w < nw - 1 ? 500 / nw : 500 - (500 / nw) * (nw - 1));
            sl_nexmark_event_free(&sev);
            sl_nexmark_gen_free(sgen);
            assert_int_equal(c.stats.rows_in, (uint64_t)j);
            total += (uint64_t)j;
            sl_ct_ctx_free(&c);
        }
        assert_int_equal(total, 500); /* the splits together: every event of the stream */
        src->ops->free(src);
    }
    /* projection pushdown: pruned VARCHAR columns come out NULL, the rest unchanged; a
     * pruned non-VARCHAR column (bid.price) is still produced */
    {
        struct sl_source *src;
        assert_int_equal(sl_source_open(t, &env, 1, &src, &err), 0);
        assert_non_null(src->ops->prune);
        bool need[SL_NEXMARK_NCOLS];
        for (int c = 0; c < SL_NEXMARK_NCOLS; c++)
            need[c] = c != SL_NXC_PERSON + 1 && c != SL_NXC_BID + 6 && c != SL_NXC_BID + 2;
        src->ops->prune(src, need, SL_NEXMARK_NCOLS);
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, 0, 1, job);
        int64_t j = 0;
        bool done = false;
        while (!done) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            struct sl_source_info info;
            assert_int_equal(src->ops->poll(src, &c.ctx, b, 100, &info, &err), 0);
            for (uint32_t r = 0; r < b->rows; r++, j++) {
                sl_batch_reset(ref);
                assert_int_equal(sl_nexmark_fill(gen, &ev, j, 1, ref), 0);
                ref->rows = 1;
                assert_true(sl_col_is_null(&b->cols[SL_NXC_PERSON + 1], r));
                assert_true(sl_col_is_null(&b->cols[SL_NXC_BID + 6], r));
                sl_col_set_null(&ref->cols[SL_NXC_PERSON + 1], 0, true);
                sl_col_set_null(&ref->cols[SL_NXC_BID + 6], 0, true);
                assert_true(sl_iot_row_equal(b, r, ref, 0));
            }
            done = info.worker_done;
            sl_batch_pool_put(b);
        }
        assert_int_equal(j, 500);
        sl_ct_ctx_free(&c);
        src->ops->free(src);
    }
    sl_batch_pool_put(ref);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(gen);
    sl_batch_pool_free(pool);
    sl_heap_free(heap);
    sl_schema_free(schema);
    sl_job_free(job);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* With max-emit-speed false the rate throttles: never more events than rate * elapsed + 1. */
static void test_nexmark_rate(void **state)
{
    (void)state;
    struct sl_job *job =
        sl_ct_job("CREATE TABLE nx (" NX_COLS ") WITH ('connector' = "
                  "'nexmark', 'first-event.rate' = '400', 'max-emit-speed' = 'false');");
    const struct sl_table *t = sl_ct_table(job, "nx");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c[2];
    sl_ct_ctx_init(&c[0], 0, 2, job);
    sl_ct_ctx_init(&c[1], 1, 2, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c[0].ctx.heap, schema, 4);
    struct sl_source *src;
    struct sl_error err;
    assert_int_equal(sl_source_open(t, &env, 2, &src, &err), 0);
    double t0 = now_s();
    uint64_t rows[2] = {0, 0};
    for (int i = 0; i < 10; i++)
        for (int w = 0; w < 2; w++) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            struct sl_source_info info;
            assert_int_equal(sl_ct_poll(src, &c[w].ctx, b, 20, &info, &err), 0);
            assert_false(info.worker_done);
            rows[w] += b->rows;
            sl_batch_pool_put(b);
        }
    double el = now_s() - t0;
    for (int w = 0; w < 2; w++) {
        assert_true(rows[w] >= 1);
        assert_true((double)rows[w] <= 200.0 * el + 1.0); /* each worker: rate / 2 */
    }
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c[0]);
    sl_ct_ctx_free(&c[1]);
    sl_schema_free(schema);
    sl_job_free(job);
}

/* ---- print --------------------------------------------------------------------------------- */

static const char pr_sql[] =
    "CREATE TABLE p (i INT, l BIGINT, d DOUBLE, m DECIMAL(10, 2), e DECIMAL(10, 8),\n"
    "  ts TIMESTAMP(3), s VARCHAR, b BOOLEAN, r ROW<a INT, c VARCHAR>)\n"
    "  WITH ('connector' = 'print'%s);";

static void pr_set_str(struct sl_batch *b, int col, uint32_t row, const char *s)
{
    if (!s) {
        sl_col_set_null(&b->cols[col], row, true);
        return;
    }
    sl_col_str(&b->cols[col])[row] = sl_batch_str(b, s, (uint32_t)strlen(s));
}

static char *print_rows(const char *extra, int nworkers, int worker, uint32_t first, uint32_t n)
{
    char sql[1024];
    snprintf(sql, sizeof(sql), pr_sql, extra);
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "p");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct sl_connector_env env = sl_ct_env(job, f);
    struct sl_sink *sink;
    struct sl_error err;
    assert_int_equal(sl_sink_open(t, &env, nworkers, &sink, &err), 0);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, worker, nworkers, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    static const int32_t iv[3] = {1, 0, 0};
    static const int64_t lv[3] = {10, -3, INT64_MIN};
    static const double dv[3] = {1.5, 1e7, 0.001};
    static const int64_t mv[3] = {5, -12345, 0};
    static const int64_t ev[3] = {1, 0, 12345678};
    static const int64_t tv[3] = {0, 1700000000123, 61000};
    static const char *const sv[3] = {"hi", "", "a b"};
    static const int32_t av[3] = {7, 0, 0};
    static const char *const cv[3] = {"x", NULL, "y"};
    struct sl_batch *b = NULL;
    for (uint32_t k = first; k < first + n; k++) {
        if (!b)
            b = sl_batch_pool_get(pool);
        uint32_t r = b->rows;
        sl_col_i32(&b->cols[0])[r] = iv[k];
        sl_col_set_null(&b->cols[0], r, k == 1);
        sl_col_i64(&b->cols[1])[r] = lv[k];
        sl_col_f64(&b->cols[2])[r] = dv[k];
        sl_col_i64(&b->cols[3])[r] = mv[k];
        sl_col_i64(&b->cols[4])[r] = ev[k];
        sl_col_i64(&b->cols[5])[r] = tv[k];
        pr_set_str(b, 6, r, sv[k]);
        sl_col_bool(&b->cols[7])[r] = k == 0;
        sl_col_set_null(&b->cols[7], r, k == 2);
        sl_col_i32(&b->cols[8])[r] = av[k];
        sl_col_set_null(&b->cols[8], r, k != 0);
        pr_set_str(b, 9, r, cv[k]);
        b->rows++;
        if (b->rows == SL_BATCH_CAP || k + 1 == first + n) {
            assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
            sl_batch_pool_put(b);
            b = NULL;
        }
    }
    assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
    assert_int_equal(sink->ops->close(sink, &err), 0);
    assert_int_equal(c.stats.rows_out, n);
    sink->ops->free(sink);
    fclose(f);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
    return text;
}

static void test_print(void **state)
{
    (void)state;
    char *text = print_rows("", 1, 0, 0, 3);
    assert_string_equal(
        text,
        "+I[1, 10, 1.5, 0.05, 1E-8, 1970-01-01T00:00, hi, true, +I[7, x]]\n"
        "+I[null, -3, 1.0E7, -123.45, 0E-8, 2023-11-14T22:13:20.123, , false, null]\n"
        "+I[0, -9223372036854775808, 0.001, 0.00, 0.12345678, 1970-01-01T00:01:01, a b, null, "
        "+I[null, y]]\n");
    free(text);
    text = print_rows(", 'print-identifier' = 'out'", 3, 1, 0, 1);
    assert_string_equal(text, "out:2> +I[1, 10, 1.5, 0.05, 1E-8, 1970-01-01T00:00, hi, true, "
                              "+I[7, x]]\n");
    free(text);
    text = print_rows(", 'print-identifier' = 'out'", 1, 0, 2, 1);
    assert_string_equal(text, "out> +I[0, -9223372036854775808, 0.001, 0.00, 0.12345678, "
                              "1970-01-01T00:01:01, a b, null, +I[null, y]]\n");
    free(text);
    text = print_rows("", 2, 0, 1, 1);
    assert_string_equal(text, "1> +I[null, -3, 1.0E7, -123.45, 0E-8, 2023-11-14T22:13:20.123, "
                              ", false, null]\n");
    free(text);
}

/* DOUBLE as Java's Double.toString. */
static void test_print_double(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {-2.5, "-2.5"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e-3, "0.001"},
        {9.99e-4, "9.99E-4"},
        {1234567.0, "1234567.0"},
        {1e7, "1.0E7"},
        {12345678.9, "1.23456789E7"},
        {1e100, "1.0E100"},
        {5e-324, "4.9E-324"},
        {1.7976931348623157e308, "1.7976931348623157E308"},
        {100.0, "100.0"},
        {0.5, "0.5"},
    };
    struct sl_job *job = sl_ct_job("CREATE TABLE p (d DOUBLE) WITH ('connector' = 'print');");
    const struct sl_table *t = sl_ct_table(job, "p");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct sl_connector_env env = sl_ct_env(job, f);
    struct sl_sink *sink;
    struct sl_error err;
    assert_int_equal(sl_sink_open(t, &env, 1, &sink, &err), 0);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n + 3; i++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        double v = i < n ? cases[i].v : i == n ? NAN : i == n + 1 ? INFINITY : -INFINITY;
        sl_col_f64(&b->cols[0])[0] = v;
        b->rows = 1;
        assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
        sl_batch_pool_put(b);
    }
    fclose(f);
    char want[2048];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(want + k, sizeof(want) - k, "+I[%s]\n", cases[i].s);
    snprintf(want + k, sizeof(want) - k, "+I[NaN]\n+I[Infinity]\n+I[-Infinity]\n");
    assert_string_equal(text, want);
    free(text);
    sink->ops->free(sink);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
}

static void test_blackhole(void **state)
{
    (void)state;
    struct sl_job *job = sl_ct_job("CREATE TABLE b (a INT) WITH ('connector' = 'blackhole');");
    const struct sl_table *t = sl_ct_table(job, "b");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_sink *sink;
    struct sl_error err;
    assert_int_equal(sl_sink_open(t, &env, 1, &sink, &err), 0);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    struct sl_batch *b = sl_batch_pool_get(pool);
    b->rows = SL_BATCH_CAP;
    sl_sel_t *sel = sl_batch_sel_next(b);
    sel[0] = 1;
    sl_batch_sel_commit(b, sel, 1);
    assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
    assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
    assert_int_equal(sink->ops->close(sink, &err), 0);
    assert_int_equal(c.stats.rows_out, 1);
    sl_batch_pool_put(b);
    sink->ops->free(sink);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
}

/* ---- filesystem ---------------------------------------------------------------------------- */

/* Reads every split of `src` with nw workers; checks split f's rows equal want[f]'s active
 * rows (batches, in order). */
static void fs_read_check(struct sl_source *src, struct sl_batch_pool *pool, int nw,
                          struct sl_batch **want[2], const uint32_t nwant[2],
                          const struct sl_job *job)
{
    uint32_t wb[2] = {0, 0}, wr[2] = {0, 0};
    struct sl_error err;
    for (int w = 0; w < nw; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, nw, job);
        bool done = false;
        while (!done) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            struct sl_source_info info;
            int rc = src->ops->poll(src, &c.ctx, b, 0, &info, &err);
            if (rc)
                fprintf(stderr, "%s\n", err.msg);
            assert_int_equal(rc, 0);
            if (b->rows) {
                assert_true(info.split == 0 || info.split == 1);
                assert_int_equal(info.split % nw, w);
            }
            int f = info.split;
            for (uint32_t r = 0; r < b->rows; r++) {
                while (wb[f] < nwant[f] && wr[f] >= sl_batch_active(want[f][wb[f]])) {
                    wb[f]++;
                    wr[f] = 0;
                }
                assert_true(wb[f] < nwant[f]);
                struct sl_batch *x = want[f][wb[f]];
                uint32_t xr = x->sel ? x->sel[wr[f]] : wr[f];
                assert_true(sl_iot_row_equal(b, r, x, xr));
                wr[f]++;
            }
            done = info.worker_done;
            sl_batch_pool_put(b);
        }
        sl_ct_ctx_free(&c);
    }
    for (int f = 0; f < 2; f++) {
        while (wb[f] < nwant[f] && wr[f] >= sl_batch_active(want[f][wb[f]])) {
            wb[f]++;
            wr[f] = 0;
        }
        assert_int_equal(wb[f], nwant[f]); /* every row came back */
    }
}

static void fs_round_trip(const char *format)
{
    char *dir = sl_ct_tmpdir();
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (" ALL_COLS ") WITH ('connector' = 'filesystem', 'path' = '%s',\n"
             " 'format' = '%s');",
             dir, format);
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "f");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_heap *heap = sl_heap_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(heap, schema, 8);
    struct sl_sink *sink;
    struct sl_error err;
    assert_int_equal(sl_sink_open(t, &env, 2, &sink, &err), 0);
    uint64_t rs = 42;
    struct sl_batch *b0[3], *b1[3];
    struct sl_batch **want[2] = {b0, b1};
    uint32_t nwant[2] = {3, 3};
    for (int w = 0; w < 2; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, 2, job);
        for (int i = 0; i < 3; i++) {
            struct sl_batch *b = want[w][i] = sl_batch_pool_get(pool);
            uint32_t rows =
                i == 2 ? SL_BATCH_CAP : 1 + (uint32_t)(sl_test_rand(&rs) % SL_BATCH_CAP);
            sl_iot_fill(b, rows, 20, &rs);
            if (i == 1) { /* a selection: only odd rows are written */
                sl_sel_t *sel = sl_batch_sel_next(b);
                uint32_t n = 0;
                for (uint32_t r = 1; r < rows; r += 2)
                    sel[n++] = r;
                sl_batch_sel_commit(b, sel, n);
            }
            assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
        }
        assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
        sl_ct_ctx_free(&c);
    }
    assert_int_equal(sink->ops->close(sink, &err), 0);
    sink->ops->free(sink);
    char p[1024];
    snprintf(p, sizeof(p), "%s/part-1-0.%s", dir, format);
    FILE *pf = fopen(p, "rb");
    assert_non_null(pf);
    fclose(pf);
    for (int nw = 1; nw <= 3; nw++) {
        struct sl_source *src;
        assert_int_equal(sl_source_open(t, &env, nw, &src, &err), 0);
        fs_read_check(src, pool, nw, want, nwant, job);
        src->ops->free(src);
    }
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < 3; i++)
            sl_batch_pool_put(want[w][i]);
    sl_batch_pool_free(pool);
    sl_heap_free(heap);
    sl_schema_free(schema);
    sl_job_free(job);
    sl_ct_rmdir(dir);
    free(dir);
}

static void test_fs_round_trip(void **state)
{
    (void)state;
    fs_round_trip("json");
    fs_round_trip("csv");
    fs_round_trip("raw");
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Reads table f of `sql` with one worker; returns rows read, fills err on failure. */
static int fs_read_all(const char *sql, uint64_t *rows, uint64_t *bad, struct sl_error *err)
{
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "f");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    struct sl_source *src;
    int rc = sl_source_open(t, &env, 1, &src, err);
    assert_int_equal(rc, 0);
    bool done = false;
    while (!done && !rc) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        rc = src->ops->poll(src, &c.ctx, b, 0, &info, err);
        done = info.worker_done;
        sl_batch_pool_put(b);
    }
    *rows = c.stats.rows_in;
    *bad = c.stats.bad_records;
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
    return rc;
}

static void test_fs_bad_records(void **state)
{
    (void)state;
    char *dir = sl_ct_tmpdir();
    char path[512], dlq[512], sql[2048];
    snprintf(path, sizeof(path), "%s/in.json", dir);
    snprintf(dlq, sizeof(dlq), "%s/dead.txt", dir);
    const char json[] = "{\"k\":1}\n\nnot json\r\n{\"k\":3}\n{\"k\":\"x\"}";
    write_file(path, json, sizeof(json) - 1);
    uint64_t rows, bad;
    struct sl_error err;
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT NOT NULL) WITH ('connector' = 'filesystem', 'path' = "
             "'%s', 'format' = 'json');",
             path);
    assert_int_not_equal(fs_read_all(sql, &rows, &bad, &err), 0);
    char where[600];
    snprintf(where, sizeof(where), "file '%s' offset 9", path);
    if (!strstr(err.msg, where))
        fail_msg("%s", err.msg);
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT NOT NULL) WITH ('connector' = 'filesystem', 'path' = "
             "'%s', 'format' = 'json', 'json.ignore-parse-errors' = 'true');",
             path);
    assert_int_equal(fs_read_all(sql, &rows, &bad, &err), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(bad, 2);
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT NOT NULL) WITH ('connector' = 'filesystem', 'path' = "
             "'%s', 'format' = 'json', 'sluice.bad-records' = 'dead-letter',"
             " 'sluice.dead-letter.path' = '%s');",
             path, dlq);
    assert_int_equal(fs_read_all(sql, &rows, &bad, &err), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(bad, 2);
    FILE *f = fopen(dlq, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    char *text = sl_iot_slurp(f);
    fclose(f);
    if (!strstr(text, "8 bytes: not json\n"))
        fail_msg("%s", text);
    assert_non_null(strstr(text, "9 bytes: {\"k\":\"x\"}\n"));
    snprintf(where, sizeof(where), "file '%s' offset 27", path);
    assert_non_null(strstr(text, where));
    free(text);
    /* raw: a truncated frame at the end of the file */
    snprintf(path, sizeof(path), "%s/in.raw", dir);
    const char raw[] = {9, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 1};
    write_file(path, raw, sizeof(raw));
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', "
             "'format' = 'raw', 'sluice.bad-records' = 'skip');",
             path);
    assert_int_equal(fs_read_all(sql, &rows, &bad, &err), 0);
    assert_int_equal(rows, 1);
    assert_int_equal(bad, 1);
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', "
             "'format' = 'raw');",
             path);
    assert_int_not_equal(fs_read_all(sql, &rows, &bad, &err), 0);
    assert_non_null(strstr(err.msg, "offset 13"));
    assert_non_null(strstr(err.msg, "truncated raw frame"));
    sl_ct_rmdir(dir);
    free(dir);
}

/* ---- kafka --------------------------------------------------------------------------------- */

#define KA_ROWS 40

/* Writes rows k = 0..KA_ROWS-1 (s = 's<k>') through a kafka sink table with 2 workers and
 * 'fixed' partitioning (worker w -> partition w), reads them back with 2 workers. With
 * `prune`, the source is told that the pipeline reads k and d only: s comes out NULL. */
static void kafka_round_trip(const char *format, bool prune)
{
    const char *topic = sl_kmock_topic("ct", 3);
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE k (k BIGINT NOT NULL, s VARCHAR, d DOUBLE) WITH ('connector' = "
             "'kafka', 'topic' = '%s', 'format' = '%s', 'properties.bootstrap.servers' = '%s',"
             " 'properties.group.id' = 'ignored', 'properties.log_level' = '0',"
             " 'sink.partitioner' = 'fixed', 'scan.bounded.mode' = 'latest-offset');",
             topic, format, sl_kmock_bootstrap());
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "k");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_heap *heap = sl_heap_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(heap, schema, 4);
    struct sl_sink *sink;
    struct sl_error err;
    if (sl_sink_open(t, &env, 2, &sink, &err))
        fail_msg("%s", err.msg);
    for (int w = 0; w < 2; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, 2, job);
        struct sl_batch *b = NULL;
        for (int k = w; k < KA_ROWS; k += 2) {
            if (!b)
                b = sl_batch_pool_get(pool);
            uint32_t r = b->rows++;
            sl_col_i64(&b->cols[0])[r] = k;
            char s[16];
            snprintf(s, sizeof(s), "s%d", k);
            sl_col_str(&b->cols[1])[r] = sl_batch_str(b, s, (uint32_t)strlen(s));
            sl_col_f64(&b->cols[2])[r] = k / 4.0;
            sl_col_set_null(&b->cols[2], r, k % 5 == 0);
            if (b->rows == SL_BATCH_CAP || k + 2 >= KA_ROWS) {
                assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
                sl_batch_pool_put(b);
                b = NULL;
            }
        }
        assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
        assert_int_equal(c.stats.rows_out, KA_ROWS / 2);
        sl_ct_ctx_free(&c);
    }
    assert_int_equal(sink->ops->close(sink, &err), 0);
    sink->ops->free(sink);

    struct sl_source *src;
    if (sl_source_open(t, &env, 2, &src, &err))
        fail_msg("%s", err.msg);
    if (prune) {
        static const bool need[3] = {true, false, true};
        assert_non_null(src->ops->prune);
        src->ops->prune(src, need, 3);
    }
    int32_t ids[4];
    uint32_t n;
    assert_int_equal(src->ops->splits(src, 0, ids, 4, &n), 0);
    assert_int_equal(n, 2); /* partitions 0 and 2 */
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 2);
    bool seen[KA_ROWS] = {0};
    for (int w = 0; w < 2; w++) {
        struct sl_ct_ctx c;
        sl_ct_ctx_init(&c, w, 2, job);
        bool done = false;
        for (int tries = 0; !done && tries < 1000; tries++) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            struct sl_source_info info;
            int rc = src->ops->poll(src, &c.ctx, b, 100, &info, &err);
            if (rc)
                fail_msg("%s", err.msg);
            for (uint32_t r = 0; r < b->rows; r++) {
                int64_t k = sl_col_i64(&b->cols[0])[r];
                assert_true(k >= 0 && k < KA_ROWS);
                assert_false(seen[k]);
                seen[k] = true;
                assert_int_equal(info.split, k % 2); /* worker k%2 wrote to partition k%2 */
                char s[16];
                snprintf(s, sizeof(s), "s%d", (int)k);
                sl_str v = sl_col_str(&b->cols[1])[r];
                assert_int_equal(sl_col_is_null(&b->cols[1], r), prune);
                if (!prune) {
                    assert_int_equal(v.len, strlen(s));
                    assert_memory_equal(sl_str_data(&v), s, v.len);
                }
                assert_int_equal(sl_col_is_null(&b->cols[2], r), k % 5 == 0);
                if (k % 5)
                    assert_true(sl_col_f64(&b->cols[2])[r] == k / 4.0);
            }
            done = info.worker_done;
            sl_batch_pool_put(b);
        }
        assert_true(done);
        assert_int_equal(c.stats.rows_in, KA_ROWS / 2);
        sl_ct_ctx_free(&c);
    }
    for (int k = 0; k < KA_ROWS; k++)
        assert_true(seen[k]);
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_heap_free(heap);
    sl_schema_free(schema);
    sl_job_free(job);
}

static void test_kafka_round_trip(void **state)
{
    (void)state;
    static const char *const formats[] = {"json", "csv", "raw"};
    for (int f = 0; f < 3; f++) {
        kafka_round_trip(formats[f], false);
        kafka_round_trip(formats[f], true);
    }
}

/* Records written straight to a topic (partition 0), then read through a json table of
 * `cols` ("k BIGINT NOT NULL" when NULL); `need` (NULL: no pushdown) is passed to the
 * source's prune. */
static int kafka_read_cols(const char *topic, const char *cols, const bool *need, const char *extra,
                           uint64_t *rows, uint64_t *bad, struct sl_error *err)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE k (%s) WITH ('connector' = 'kafka', 'topic' = '%s',"
             " 'format' = 'json', 'properties.bootstrap.servers' = '%s',"
             " 'properties.log_level' = '0', 'scan.bounded.mode' = 'latest-offset'%s);",
             cols ? cols : "k BIGINT NOT NULL", topic, sl_kmock_bootstrap(), extra);
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "k");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    struct sl_source *src;
    int rc = sl_source_open(t, &env, 1, &src, err);
    if (rc)
        fail_msg("%s", err->msg);
    if (need)
        src->ops->prune(src, need, schema->ncols);
    bool done = false;
    for (int tries = 0; !done && !rc && tries < 1000; tries++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        rc = src->ops->poll(src, &c.ctx, b, 100, &info, err);
        done = info.worker_done;
        sl_batch_pool_put(b);
    }
    *rows = c.stats.rows_in;
    *bad = c.stats.bad_records;
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
    return rc;
}

static int kafka_read(const char *topic, const char *extra, uint64_t *rows, uint64_t *bad,
                      struct sl_error *err)
{
    return kafka_read_cols(topic, NULL, NULL, extra, rows, bad, err);
}

/* Reads every row of `sql`'s table "r" (one worker, bounded) into got[] (k, ts, ts null,
 * partition, offset, topic); returns the row count. */
struct ka_meta_row {
    int64_t k, ts, offset;
    bool ts_null;
    int32_t partition;
    char topic[64];
    char headers[64]; /* "k=v,n=NULL" */
};

static size_t kafka_meta_read(const char *sql, const bool *need, struct ka_meta_row *got,
                              size_t cap)
{
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "r");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    struct sl_source *src;
    struct sl_error err;
    if (sl_source_open(t, &env, 1, &src, &err))
        fail_msg("%s", err.msg);
    if (need)
        src->ops->prune(src, need, schema->ncols);
    size_t n = 0;
    bool done = false;
    for (int tries = 0; !done && tries < 1000; tries++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        if (src->ops->poll(src, &c.ctx, b, 100, &info, &err))
            fail_msg("%s", err.msg);
        done = info.worker_done;
        for (uint32_t r = 0; r < b->rows && n < cap; r++, n++) {
            struct ka_meta_row *g = &got[n];
            g->k = sl_col_i64(&b->cols[0])[r];
            g->ts_null = sl_col_is_null(&b->cols[1], r);
            g->ts = sl_col_i64(&b->cols[1])[r];
            g->partition = sl_col_i32(&b->cols[2])[r];
            g->offset = sl_col_i64(&b->cols[3])[r];
            sl_str st = sl_col_str(&b->cols[4])[r];
            snprintf(g->topic, sizeof(g->topic), "%.*s", (int)st.len, sl_str_data(&st));
            sl_str hs = sl_col_str(&b->cols[5])[r];
            const char *hk, *hv;
            uint32_t hkl, hvl;
            size_t pos = 0, w = 0;
            g->headers[0] = '\0';
            while (!sl_col_is_null(&b->cols[5], r) &&
                   sl_map_next(sl_str_data(&hs), hs.len, &pos, &hk, &hkl, &hv, &hvl))
                w += (size_t)snprintf(g->headers + w, sizeof(g->headers) - w, "%s%.*s=%.*s",
                                      w ? "," : "", (int)hkl, hk, hv ? (int)hvl : 4,
                                      hv ? hv : "NULL");
        }
        sl_batch_pool_put(b);
    }
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
    return n;
}

/* Metadata columns: a sink table's 'timestamp' column (TIMESTAMP_LTZ(3), Flink's type) sets
 * its records' timestamps; a source reads 'timestamp' (as TIMESTAMP_LTZ(3), and as
 * TIMESTAMP(3)), 'partition', 'offset' and 'topic' of each record, through a
 * pruned projection too, and under the skip policy (records decoded one at a time) each row
 * still gets its own record's metadata. */
static void test_kafka_metadata(void **state)
{
    (void)state;
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kmock_topic("ct", 1));
    const int64_t base = 1700000000000;
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE w (k BIGINT NOT NULL, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',"
             " h MAP<STRING, BYTES> METADATA FROM 'headers')"
             " WITH ('connector' = 'kafka', 'topic' = '%s', 'format' = 'json',"
             " 'properties.bootstrap.servers' = '%s', 'properties.log_level' = '0');",
             topic, sl_kmock_bootstrap());
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "w");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_heap *heap = sl_heap_new();
    struct sl_batch_pool *pool = sl_batch_pool_new(heap, schema, 2);
    struct sl_sink *sink;
    struct sl_error err;
    if (sl_sink_open(t, &env, 1, &sink, &err))
        fail_msg("%s", err.msg);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    for (int k = 0; k < 100;) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        for (; k < 100 && b->rows < SL_BATCH_CAP; k++) {
            uint32_t r = b->rows++;
            sl_col_i64(&b->cols[0])[r] = k;
            sl_col_i64(&b->cols[1])[r] = base + k;
            sl_col_set_null(&b->cols[1], r, k == 7); /* no timestamp: Kafka stamps it */
            /* headers {k: "<k>", n: NULL}; every third record a NULL map: no headers */
            char kv[24], map[64];
            int kl = snprintf(kv, sizeof(kv), "%d", k);
            size_t len = 4;
            len += sl_map_put_entry(map + len, "k", 1, kv, (uint32_t)kl);
            len += sl_map_put_entry(map + len, "n", 1, NULL, 0);
            sl_map_put_count(map, 2);
            sl_col_str(&b->cols[2])[r] = sl_batch_str(b, map, (uint32_t)len);
            sl_col_set_null(&b->cols[2], r, k % 3 == 0);
        }
        assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
        sl_batch_pool_put(b);
    }
    assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
    { /* a timestamp before 1970: Kafka has none such; an error, and nothing is written */
        struct sl_batch *b = sl_batch_pool_get(pool);
        b->rows = 1;
        sl_col_i64(&b->cols[0])[0] = 999;
        sl_col_i64(&b->cols[1])[0] = -5;
        sl_col_set_null(&b->cols[1], 0, false);
        assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), SL_EINVAL);
        if (!strstr(err.msg, "'timestamp' 1969-12-31 23:59:59.995 is before 1970-01-01"))
            fail_msg("%s", err.msg);
        sl_batch_pool_put(b);
    }
    sink->ops->free(sink);
    sl_ct_ctx_free(&c);
    sl_batch_pool_free(pool);
    sl_heap_free(heap);
    sl_schema_free(schema);
    sl_job_free(job);
    /* then a bad record (offset 100) and a good one (101), with their own timestamps */
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_FIXED,
                                       .partition = 0};
    struct sl_kafka_sink *ks;
    assert_int_equal(sl_kafka_sink_new(&cfg, &ks, &err), 0);
    struct sl_record recs[2] = {{.value = "oops", .value_len = 4, .timestamp = base + 100},
                                {.value = "{\"k\":101}", .value_len = 9, .timestamp = base + 101}};
    assert_int_equal(sl_kafka_sink_write(ks, recs, 2, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);

    static const bool need_all[6] = {true, true, true, true, true, true};
    static const bool need_some[6] = {true, false, false, true, false, false};
    for (int pass = 0; pass < 2; pass++) {
        snprintf(
            sql, sizeof(sql),
            "CREATE TABLE r (k BIGINT NOT NULL, ts %s METADATA FROM 'timestamp',"
            " p INT NOT NULL METADATA FROM 'partition' VIRTUAL, `offset` BIGINT METADATA VIRTUAL,"
            " tp STRING METADATA FROM 'topic' VIRTUAL,"
            " hd MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL) WITH ('connector' = 'kafka',"
            " 'topic' = '%s', 'format' = 'json', 'properties.bootstrap.servers' = '%s',"
            " 'properties.log_level' = '0', 'scan.bounded.mode' = 'latest-offset',"
            " 'json.ignore-parse-errors' = 'true');",
            pass ? "TIMESTAMP(3)" : "TIMESTAMP_LTZ(3)", topic, sl_kmock_bootstrap());
        struct ka_meta_row got[200];
        size_t n = kafka_meta_read(sql, pass ? need_some : need_all, got, 200);
        assert_int_equal(n, 101); /* the bad record skipped */
        for (size_t i = 0; i < n; i++) {
            int64_t k = i < 100 ? (int64_t)i : 101;
            assert_int_equal(got[i].k, k);
            assert_int_equal(got[i].offset, k); /* its own record's, past the skipped one */
            if (pass)
                continue; /* pruned: only k and offset were asked for */
            assert_int_equal(got[i].partition, 0);
            assert_string_equal(got[i].topic, topic);
            char want_h[64] = ""; /* every header in order; none: an empty map */
            if (k < 100 && k % 3)
                snprintf(want_h, sizeof(want_h), "k=%d,n=NULL", (int)k);
            assert_string_equal(got[i].headers, want_h);
            assert_false(got[i].ts_null);
            if (k == 7)
                assert_true(got[i].ts > base + 1000000); /* the broker's clock: now */
            else
                assert_int_equal(got[i].ts, base + k);
        }
    }
}

/* A header name that is not UTF-8 (librdkafka takes any bytes; Flink's is a Java String)
 * cannot be a MAP<STRING, ...> key: an error naming the record, not a silent drop. */
static void test_kafka_header_name_utf8(void **state)
{
    (void)state;
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kmock_topic("ct", 1));
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_FIXED,
                                       .partition = 0};
    struct sl_error err;
    struct sl_kafka_sink *ks;
    assert_int_equal(sl_kafka_sink_new(&cfg, &ks, &err), 0);
    char map[32];
    size_t len = 4 + sl_map_put_entry(map + 4, "ok", 2, "v", 1);
    sl_map_put_count(map, 1);
    char bad[32];
    size_t blen = 4 + sl_map_put_entry(bad + 4, "\xff\xfe", 2, "v", 1);
    sl_map_put_count(bad, 1);
    struct sl_record recs[2] = {
        {.value = "{\"k\":1}", .value_len = 7, .headers = map, .headers_len = (uint32_t)len},
        {.value = "{\"k\":2}", .value_len = 7, .headers = bad, .headers_len = (uint32_t)blen}};
    assert_int_equal(sl_kafka_sink_write(ks, recs, 2, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE r (k BIGINT, h MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL)"
             " WITH ('connector' = 'kafka', 'topic' = '%s', 'format' = 'json',"
             " 'properties.bootstrap.servers' = '%s', 'properties.log_level' = '0',"
             " 'scan.bounded.mode' = 'latest-offset');",
             topic, sl_kmock_bootstrap());
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "r");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    struct sl_source *src;
    if (sl_source_open(t, &env, 1, &src, &err))
        fail_msg("%s", err.msg);
    int rc = 0;
    uint32_t rows = 0;
    for (int tries = 0; !rc && tries < 1000; tries++) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        struct sl_source_info info;
        rc = src->ops->poll(src, &c.ctx, b, 100, &info, &err);
        rows += b->rows;
        sl_batch_pool_put(b);
        if (!rc && info.worker_done)
            break;
    }
    char want[128];
    snprintf(want, sizeof(want), "topic '%s' partition 0 offset 1: header name", topic);
    if (rc != SL_EPARSE || !strstr(err.msg, want) || !strstr(err.msg, "is not UTF-8 text"))
        fail_msg("rc %d, rows %u: %s", rc, rows, err.msg);
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
}

static void test_kafka_bad_records(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("ct", 1);
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_FIXED,
                                       .partition = 0};
    struct sl_error err;
    struct sl_kafka_sink *ks;
    assert_int_equal(sl_kafka_sink_new(&cfg, &ks, &err), 0);
    static const char *const vals[] = {"{\"k\":1}", "oops", "{\"k\":2}", "{\"k\":null}",
                                       "{\"k\":3}"};
    struct sl_record recs[5];
    for (int i = 0; i < 5; i++)
        recs[i] = (struct sl_record){.value = vals[i], .value_len = strlen(vals[i])};
    assert_int_equal(sl_kafka_sink_write(ks, recs, 5, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);
    uint64_t rows, bad;
    assert_int_not_equal(kafka_read(topic, "", &rows, &bad, &err), 0);
    char where[128];
    snprintf(where, sizeof(where), "topic '%s' partition 0 offset 1", topic);
    if (!strstr(err.msg, where))
        fail_msg("%s", err.msg);
    assert_int_equal(kafka_read(topic, ", 'json.ignore-parse-errors' = 'true'", &rows, &bad, &err),
                     0);
    assert_int_equal(rows, 3);
    assert_int_equal(bad, 2);
    char *dir = sl_ct_tmpdir();
    char extra[600];
    snprintf(extra, sizeof(extra),
             ", 'sluice.bad-records' = 'dead-letter', 'sluice.dead-letter.path' = '%s/dl'", dir);
    assert_int_equal(kafka_read(topic, extra, &rows, &bad, &err), 0);
    assert_int_equal(rows, 3);
    assert_int_equal(bad, 2);
    char p[600];
    snprintf(p, sizeof(p), "%s/dl", dir);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    char *text = sl_iot_slurp(f);
    fclose(f);
    assert_non_null(strstr(text, "4 bytes: oops\n"));
    snprintf(where, sizeof(where), "topic '%s' partition 0 offset 3", topic);
    assert_non_null(strstr(text, where));
    free(text);
    sl_ct_rmdir(dir);
    free(dir);
}

/* Projection pushdown through the source: a type error in a column the pipeline does not
 * read is no bad record, malformed JSON in it still is (named by its offset). */
static void test_kafka_prune_bad_records(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("ct", 1);
    struct sl_kafka_sink_config cfg = {.bootstrap = sl_kmock_bootstrap(),
                                       .topic = topic,
                                       .partitioner = SL_KAFKA_PART_FIXED,
                                       .partition = 0};
    struct sl_error err;
    struct sl_kafka_sink *ks;
    assert_int_equal(sl_kafka_sink_new(&cfg, &ks, &err), 0);
    static const char *const vals[] = {"{\"k\":1,\"i\":\"abc\"}", "{\"k\":2,\"i\":tru}",
                                       "{\"k\":3,\"s\":\"x\"}"};
    struct sl_record recs[3];
    for (int i = 0; i < 3; i++)
        recs[i] = (struct sl_record){.value = vals[i], .value_len = strlen(vals[i])};
    assert_int_equal(sl_kafka_sink_write(ks, recs, 3, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);
    const char *cols = "k BIGINT NOT NULL, s VARCHAR, i INT";
    static const bool need[3] = {true, true, false};
    const char *skip = ", 'sluice.bad-records' = 'skip'";
    uint64_t rows, bad;
    /* every column read: two bad records */
    assert_int_equal(kafka_read_cols(topic, cols, NULL, skip, &rows, &bad, &err), 0);
    assert_int_equal(rows, 1);
    assert_int_equal(bad, 2);
    /* i not read: only the malformed one */
    assert_int_equal(kafka_read_cols(topic, cols, need, skip, &rows, &bad, &err), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(bad, 1);
    assert_int_not_equal(kafka_read_cols(topic, cols, need, "", &rows, &bad, &err), 0);
    char where[128];
    snprintf(where, sizeof(where), "topic '%s' partition 0 offset 1", topic);
    if (!strstr(err.msg, where))
        fail_msg("%s", err.msg);
}

/* A record whose key is bad, under 'dead-letter': the dead-letter file gets the whole
 * record, key and value, and the good records around it make rows. */
static void test_kafka_bad_key_dead_letter(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("ct", 1);
    struct sl_kafka_sink_config kc = {.bootstrap = sl_kmock_bootstrap(),
                                      .topic = topic,
                                      .partitioner = SL_KAFKA_PART_FIXED,
                                      .partition = 0};
    struct sl_kafka_sink *ks;
    struct sl_error err;
    assert_int_equal(sl_kafka_sink_new(&kc, &ks, &err), 0);
    struct sl_record recs[3] = {
        {.key = "{\"id\":1}", .key_len = 8, .value = "{\"v\":1}", .value_len = 7, .timestamp = -1},
        {.key = "not json", .key_len = 8, .value = "{\"v\":2}", .value_len = 7, .timestamp = -1},
        {.key = "{\"id\":3}", .key_len = 8, .value = "{\"v\":3}", .value_len = 7, .timestamp = -1}};
    assert_int_equal(sl_kafka_sink_write(ks, recs, 3, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);
    char *dir = sl_ct_tmpdir();
    char extra[700];
    snprintf(extra, sizeof(extra),
             ", 'key.fields' = 'id', 'key.format' = 'json',"
             " 'value.fields-include' = 'EXCEPT_KEY', 'sluice.bad-records' = 'dead-letter',"
             " 'sluice.dead-letter.path' = '%s/dl'",
             dir);
    uint64_t rows, bad;
    if (kafka_read_cols(topic, "id BIGINT, v BIGINT", NULL, extra, &rows, &bad, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rows, 2);
    assert_int_equal(bad, 1);
    char path[600];
    snprintf(path, sizeof(path), "%s/dl", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END); /* sl_iot_slurp reads what is before the position */
    char *text = sl_iot_slurp(f);
    fclose(f);
    char where[128];
    snprintf(where, sizeof(where), "topic '%s' partition 0 offset 1", topic);
    if (!strstr(text, where) || !strstr(text, "\nkey 8 bytes: not json\n7 bytes: {\"v\":2}\n"))
        fail_msg("dead letters: %s", text);
    free(text);
    sl_ct_rmdir(dir);
    free(dir);
    /* no key at all under a NOT NULL raw key: a bad record, not an empty string */
    topic = sl_kmock_topic("ct", 1);
    kc.topic = topic;
    assert_int_equal(sl_kafka_sink_new(&kc, &ks, &err), 0);
    struct sl_record nokey = {.value = "{\"v\":4}", .value_len = 7, .timestamp = -1};
    assert_int_equal(sl_kafka_sink_write(ks, &nokey, 1, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);
    assert_int_equal(kafka_read_cols(topic, "id STRING NOT NULL, v BIGINT", NULL,
                                     ", 'key.fields' = 'id', 'key.format' = 'raw',"
                                     " 'value.fields-include' = 'EXCEPT_KEY'",
                                     &rows, &bad, &err),
                     SL_EINVAL);
    snprintf(where, sizeof(where), "topic '%s' partition 0 offset 0", topic);
    if (!strstr(err.msg, where) ||
        !strstr(err.msg, "the record has no key, and key field 'id' is NOT NULL"))
        fail_msg("%s", err.msg);
}

/* key.fields: the key is the JSON of the key columns; the value leaves them out. */
/* Keys both ways: a sink with 'key.fields-prefix' writes keys whose JSON names have no
 * prefix (the bytes checked with the plain client), and a source of the same table reads
 * key and value columns back, each row with its own record's key; a record without a key
 * under a NOT NULL key column is a bad record (skipped here), a nullable key column reads
 * NULL. */
static void test_kafka_keys_both_ways(void **state)
{
    (void)state;
    char topic[64];
    snprintf(topic, sizeof(topic), "%s", sl_kmock_topic("ct", 1));
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE w (k_id BIGINT NOT NULL, v BIGINT, k_region STRING) WITH ("
             "'connector' = 'kafka', 'topic' = '%s', 'format' = 'json',"
             " 'properties.bootstrap.servers' = '%s', 'properties.log_level' = '0',"
             " 'key.fields' = 'k_id;k_region', 'key.format' = 'json',"
             " 'key.fields-prefix' = 'k_', 'value.fields-include' = 'EXCEPT_KEY',"
             " 'scan.bounded.mode' = 'latest-offset', 'sluice.bad-records' = 'skip');",
             topic, sl_kmock_bootstrap());
    struct sl_job *job = sl_ct_job(sql);
    const struct sl_table *t = sl_ct_table(job, "w");
    struct sl_connector_env env = sl_ct_env(job, stdout);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    struct sl_sink *sink;
    struct sl_error err;
    if (sl_sink_open(t, &env, 1, &sink, &err))
        fail_msg("%s", err.msg);
    for (int i = 0; i < 40;) {
        struct sl_batch *b = sl_batch_pool_get(pool);
        for (; i < 40 && b->rows < SL_BATCH_CAP; i++) {
            uint32_t row = b->rows++;
            sl_col_i64(&b->cols[0])[row] = i;
            sl_col_i64(&b->cols[1])[row] = 1000 + i;
            char r[8];
            snprintf(r, sizeof(r), "r%d", i % 3);
            sl_col_str(&b->cols[2])[row] = sl_batch_str(b, r, (uint32_t)strlen(r));
        }
        assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
        sl_batch_pool_put(b);
    }
    assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
    sink->ops->free(sink);
    /* a record without a key: skipped by the table above (k_id is NOT NULL) */
    struct sl_kafka_sink_config kc = {.bootstrap = sl_kmock_bootstrap(),
                                      .topic = topic,
                                      .partitioner = SL_KAFKA_PART_FIXED,
                                      .partition = 0};
    struct sl_kafka_sink *ks;
    assert_int_equal(sl_kafka_sink_new(&kc, &ks, &err), 0);
    struct sl_record nokey = {.value = "{\"v\":7}", .value_len = 7, .timestamp = -1};
    assert_int_equal(sl_kafka_sink_write(ks, &nokey, 1, &err), 0);
    assert_int_equal(sl_kafka_sink_flush(ks, 10000, &err), 0);
    sl_kafka_sink_free(ks, 1000);
    /* the bytes: keys without the prefix, values without the key */
    struct sl_kafka_source_config rc = {.bootstrap = sl_kmock_bootstrap(),
                                        .topic = topic,
                                        .startup = SL_KAFKA_START_EARLIEST,
                                        .bounded = true,
                                        .nworkers = 1};
    struct sl_kafka_source *ksrc;
    assert_int_equal(sl_kafka_source_new(&rc, &ksrc, &err), 0);
    struct sl_record recs[64];
    size_t n = 0;
    for (int tries = 0; n == 0 && tries < 100; tries++)
        assert_int_equal(sl_kafka_source_poll(ksrc, 0, recs, 64, 100, &n, &err), 0);
    assert_true(n > 0);
    assert_int_equal(recs[0].key_len, strlen("{\"id\":0,\"region\":\"r0\"}"));
    assert_memory_equal(recs[0].key, "{\"id\":0,\"region\":\"r0\"}", recs[0].key_len);
    assert_int_equal(recs[0].value_len, strlen("{\"v\":1000}"));
    assert_memory_equal(recs[0].value, "{\"v\":1000}", recs[0].value_len);
    sl_kafka_source_release(ksrc, 0);
    sl_kafka_source_free(ksrc);
    /* read back through the table */
    struct sl_source *src;
    if (sl_source_open(t, &env, 1, &src, &err))
        fail_msg("%s", err.msg);
    uint32_t got = 0;
    bool done = false;
    for (int tries = 0; !done && tries < 1000; tries++) {
        struct sl_batch *rb = sl_batch_pool_get(pool);
        struct sl_source_info info;
        if (src->ops->poll(src, &c.ctx, rb, 100, &info, &err))
            fail_msg("%s", err.msg);
        for (uint32_t r = 0; r < rb->rows; r++, got++) {
            assert_int_equal(sl_col_i64(&rb->cols[0])[r], got);
            assert_int_equal(sl_col_i64(&rb->cols[1])[r], 1000 + got);
            sl_str reg = sl_col_str(&rb->cols[2])[r];
            char want[8];
            snprintf(want, sizeof(want), "r%u", got % 3);
            assert_int_equal(reg.len, strlen(want));
            assert_memory_equal(sl_str_data(&reg), want, reg.len);
        }
        done = info.worker_done;
        sl_batch_pool_put(rb);
    }
    assert_int_equal(got, 40);
    assert_int_equal(c.stats.bad_records, 1); /* the record without a key */
    src->ops->free(src);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
    open_err("CREATE TABLE k (k_a INT, b INT) WITH ('connector' = 'kafka', 'format' = 'json',"
             " 'topic' = 't', 'properties.bootstrap.servers' = 'localhost:1',\n"
             " 'key.fields' = 'k_a', 'key.format' = 'json', 'key.fields-prefix' = 'k_');",
             "k", true,
             "t.sql:2:47:", "'key.fields-prefix' needs 'value.fields-include' = 'EXCEPT_KEY'");
    open_err("CREATE TABLE k (a INT, b INT) WITH ('connector' = 'kafka', 'format' = 'json',"
             " 'topic' = 't', 'properties.bootstrap.servers' = 'localhost:1',\n"
             " 'key.fields' = 'a', 'key.format' = 'json', 'key.fields-prefix' = 'k_',"
             " 'value.fields-include' = 'EXCEPT_KEY');",
             "k", false, "t.sql:2:2:", "'a' does not start with the 'key.fields-prefix' 'k_'");
}

static void test_kafka_key_fields(void **state)
{
    (void)state;
    const char *topic = sl_kmock_topic("ct", 2);
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE k (k BIGINT NOT NULL, s VARCHAR) WITH ('connector' = 'kafka',"
             " 'topic' = '%s', 'format' = 'json', 'properties.bootstrap.servers' = '%s',"
             " 'key.fields' = 'k', 'key.format' = 'csv', 'value.fields-include' = "
             "'EXCEPT_KEY');\n"
             "CREATE TABLE v (s VARCHAR) WITH ('connector' = 'kafka', 'topic' = '%s',"
             " 'format' = 'json', 'properties.bootstrap.servers' = '%s',"
             " 'scan.bounded.mode' = 'latest-offset');",
             topic, sl_kmock_bootstrap(), topic, sl_kmock_bootstrap());
    struct sl_job *job = sl_ct_job(sql);
    struct sl_connector_env env = sl_ct_env(job, stdout);
    const struct sl_table *t = sl_ct_table(job, "k");
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 2);
    struct sl_sink *sink;
    struct sl_error err;
    if (sl_sink_open(t, &env, 1, &sink, &err))
        fail_msg("%s", err.msg);
    struct sl_batch *b = sl_batch_pool_get(pool);
    sl_col_i64(&b->cols[0])[0] = 7;
    sl_col_str(&b->cols[1])[0] = sl_batch_str(b, "seven", 5);
    b->rows = 1;
    assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
    assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
    sl_batch_pool_put(b);
    sink->ops->free(sink);
    /* read the value back through a table without the key column */
    const struct sl_table *tv = sl_ct_table(job, "v");
    struct sl_schema *vs = sl_plan_rel_schema(&tv->physical);
    struct sl_batch_pool *vpool = sl_batch_pool_new(c.ctx.heap, vs, 2);
    struct sl_source *src;
    if (sl_source_open(tv, &env, 1, &src, &err))
        fail_msg("%s", err.msg);
    uint32_t got = 0;
    bool done = false;
    for (int tries = 0; !done && tries < 1000; tries++) {
        struct sl_batch *vb = sl_batch_pool_get(vpool);
        struct sl_source_info info;
        if (src->ops->poll(src, &c.ctx, vb, 100, &info, &err))
            fail_msg("%s", err.msg);
        for (uint32_t r = 0; r < vb->rows; r++, got++) {
            sl_str v = sl_col_str(&vb->cols[0])[r];
            assert_int_equal(v.len, 5);
            assert_memory_equal(sl_str_data(&v), "seven", 5);
        }
        done = info.worker_done;
        sl_batch_pool_put(vb);
    }
    assert_int_equal(got, 1);
    src->ops->free(src);
    sl_batch_pool_free(vpool);
    sl_batch_pool_free(pool);
    sl_schema_free(vs);
    sl_schema_free(schema);
    sl_ct_ctx_free(&c);
    sl_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_errors),  cmocka_unit_test(test_kafka_exactly_once_options),
        cmocka_unit_test(test_nexmark_split),  cmocka_unit_test(test_nexmark_rate),
        cmocka_unit_test(test_print),          cmocka_unit_test(test_print_double),
        cmocka_unit_test(test_blackhole),      cmocka_unit_test(test_fs_round_trip),
        cmocka_unit_test(test_fs_bad_records),
    };
    const struct CMUnitTest ktests[] = {
        cmocka_unit_test(test_kafka_round_trip),
        cmocka_unit_test(test_kafka_metadata),
        cmocka_unit_test(test_kafka_header_name_utf8),
        cmocka_unit_test(test_kafka_bad_records),
        cmocka_unit_test(test_kafka_prune_bad_records),
        cmocka_unit_test(test_kafka_keys_both_ways),
        cmocka_unit_test(test_kafka_bad_key_dead_letter),
        cmocka_unit_test(test_kafka_key_fields),
    };
    int rc = cmocka_run_group_tests_name("connectors", tests, NULL, NULL);
    rc +=
        cmocka_run_group_tests_name("kafka connectors", ktests, sl_kmock_setup, sl_kmock_teardown);
    return rc;
}
