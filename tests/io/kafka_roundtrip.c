/*
 * tests/io/kafka_roundtrip.c - the sluice side of tests/io/kcat_roundtrip.sh: a tiny Kafka
 * client built on the source and sink, so that kcat (an independent client) can check what
 * sluice writes and be checked against what sluice reads.
 *
 *   kafka_roundtrip produce BOOTSTRAP TOPIC   lines "key<TAB>value" from stdin -> TOPIC,
 *                                             partitioned by murmur2 of the key
 *   kafka_roundtrip consume BOOTSTRAP TOPIC   every record now in TOPIC (bounded, from the
 *                                             earliest offset) as "partition offset key
 *                                             value" lines - kcat's -f '%p %o %k %s\n'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/kafka_sink.h"
#include "io/kafka_source.h"

static int produce(const char *bootstrap, const char *topic)
{
    struct sl_kafka_sink_config cfg = {
        .bootstrap = bootstrap, .topic = topic, .partitioner = SL_KAFKA_PART_KEY_HASH};
    struct sl_error err;
    struct sl_kafka_sink *sink;
    if (sl_kafka_sink_new(&cfg, &sink, &err)) {
        fprintf(stderr, "kafka_roundtrip: %s\n", err.msg);
        return 1;
    }
    char line[4096];
    int rc = 0;
    while (!rc && fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        struct sl_record r = {.timestamp = -1, .value = line, .value_len = strlen(line)};
        if (tab) {
            *tab = '\0';
            r.key = line;
            r.key_len = (size_t)(tab - line);
            r.value = tab + 1;
            r.value_len = strlen(tab + 1);
        }
        rc = sl_kafka_sink_write(sink, &r, 1, &err);
    }
    if (!rc)
        rc = sl_kafka_sink_flush(sink, 30000, &err);
    if (rc)
        fprintf(stderr, "kafka_roundtrip: %s\n", err.msg);
    sl_kafka_sink_free(sink, 1000);
    return rc ? 1 : 0;
}

static int consume(const char *bootstrap, const char *topic)
{
    struct sl_kafka_source_config cfg = {.bootstrap = bootstrap,
                                         .topic = topic,
                                         .startup = SL_KAFKA_START_EARLIEST,
                                         .bounded = true,
                                         .nworkers = 1};
    struct sl_error err;
    struct sl_kafka_source *src;
    if (sl_kafka_source_new(&cfg, &src, &err)) {
        fprintf(stderr, "kafka_roundtrip: %s\n", err.msg);
        return 1;
    }
    struct sl_record recs[256];
    int rc = 0;
    while (!rc && !sl_kafka_source_finished(src, 0)) {
        size_t n;
        rc = sl_kafka_source_poll(src, 0, recs, 256, 100, &n, &err);
        for (size_t i = 0; i < n; i++)
            printf("%d %lld %.*s %.*s\n", (int)recs[i].partition, (long long)recs[i].offset,
                   (int)recs[i].key_len, recs[i].key ? (const char *)recs[i].key : "",
                   (int)recs[i].value_len, recs[i].value ? (const char *)recs[i].value : "");
        sl_kafka_source_release(src, 0);
    }
    if (rc)
        fprintf(stderr, "kafka_roundtrip: %s\n", err.msg);
    sl_kafka_source_free(src);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "produce") == 0)
        return produce(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "consume") == 0)
        return consume(argv[2], argv[3]);
    fprintf(stderr, "usage: kafka_roundtrip produce|consume BOOTSTRAP TOPIC\n");
    return 2;
}
