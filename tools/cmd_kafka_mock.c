/*
 * tools/cmd_kafka_mock.c - `sluice kafka-mock`: starts librdkafka's mock cluster (through
 * io/kafka_mock.h), creates the topics asked for, prints the bootstrap address as one
 * flushed line on stdout, and serves until SIGINT or SIGTERM.
 *
 * The signals are blocked in every thread (the mock's threads inherit the mask from this
 * one) and taken with sigwait, so shutting down runs as ordinary code on the main thread:
 * the forwarder stops, the cluster is destroyed, and the process exits 0.
 */
#include "tools/cmd_kafka_mock.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/kafka_mock.h"

static const char sl_kafka_mock_usage[] =
    "usage: sluice kafka-mock [--port P] [--partitions N] [--topic NAME[:PARTITIONS]]...\n"
    "                         [--brokers K]\n"
    "\n"
    "Starts an in-memory Kafka-protocol broker (librdkafka's mock cluster) on 127.0.0.1,\n"
    "prints its bootstrap address as one line on stdout, and serves until SIGINT or SIGTERM.\n"
    "\n"
    "options:\n"
    "  --port P         bootstrap on 127.0.0.1:P (default: the ports the kernel picks)\n"
    "  --partitions N   partitions of each --topic (default 1)\n"
    "  --topic NAME[:PARTITIONS]\n"
    "                   create this topic at start (repeatable), with PARTITIONS partitions\n"
    "                   (default: --partitions); e.g. the channel topic of a job over\n"
    "                   several processes, which needs exactly W partitions (docs/cluster.md)\n"
    "  --brokers K      brokers in the cluster (default 1)\n"
    "\n"
    "limits of the mock (librdkafka 2.0.2):\n"
    "  - it keeps about 5 MiB of record batches per partition and then drops the oldest; a\n"
    "    consumer that falls that far behind gets an offset-out-of-range error;\n"
    "  - a Fetch returns one batch per partition, and an empty Fetch is held for the whole\n"
    "    fetch.wait.max.ms: clients want fetch.wait.max.ms=1..10 and\n"
    "    socket.nagle.disable=true;\n"
    "  - there is no CreateTopics or DeleteTopics: topics are created on first use (with the\n"
    "    mock's default partition count) or through --topic;\n"
    "  - offset lookup by timestamp is not implemented (scan.startup.mode 'timestamp' fails);\n"
    "  - transactions are API-level only: a read_committed consumer still sees open and\n"
    "    aborted records;\n"
    "  - the brokers listen on ports the kernel picks; librdkafka 2.0.2 cannot bind them to a\n"
    "    given port. --port starts a forwarder on that port which clients on this machine\n"
    "    bootstrap through; the metadata they get back sends them to the brokers' own ports.\n"
    "  - everything is in memory and lost at exit.\n";

static int sl_parse_int(const char *opt, const char *text, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "sluice kafka-mock: %s '%s' is not a number in %d..%d\n", opt, text, lo,
                hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int sl_cmd_kafka_mock(int argc, char **argv)
{
    struct sl_kafka_mock_config cfg = {.brokers = 1, .port = 0};
    int partitions = 1;
    const char **topics = calloc((size_t)argc, sizeof(*topics));
    char **names = calloc((size_t)argc, sizeof(*names));
    int *nparts = calloc((size_t)argc, sizeof(*nparts)); /* 0: --partitions */
    int ntopics = 0;
    int status = 2;
    if (!topics || !names || !nparts) {
        fprintf(stderr, "sluice kafka-mock: out of memory\n");
        free(topics);
        free(names);
        free(nparts);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(sl_kafka_mock_usage, stdout);
            status = 0;
            goto out;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "sluice kafka-mock: unknown or incomplete argument '%s'\n%s", a,
                    sl_kafka_mock_usage);
            goto out;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--port") == 0) {
            if (sl_parse_int(a, v, 1, 65535, &cfg.port))
                goto out;
        } else if (strcmp(a, "--partitions") == 0) {
            if (sl_parse_int(a, v, 1, 100000, &partitions))
                goto out;
        } else if (strcmp(a, "--brokers") == 0) {
            if (sl_parse_int(a, v, 1, 64, &cfg.brokers))
                goto out;
        } else if (strcmp(a, "--topic") == 0) {
            if (*v == '\0') {
                fprintf(stderr, "sluice kafka-mock: --topic needs a name\n");
                goto out;
            }
            const char *colon = strrchr(v, ':');
            if (colon) { /* NAME:PARTITIONS */
                if (colon == v ||
                    sl_parse_int("--topic NAME:PARTITIONS", colon + 1, 1, 100000, &nparts[ntopics]))
                    goto out;
                if (!(names[ntopics] = strndup(v, (size_t)(colon - v)))) {
                    fprintf(stderr, "sluice kafka-mock: out of memory\n");
                    goto out;
                }
                v = names[ntopics];
            }
            topics[ntopics++] = v;
        } else {
            fprintf(stderr, "sluice kafka-mock: unknown option '%s'\n%s", a, sl_kafka_mock_usage);
            goto out;
        }
    }

    /* Block the signals before any thread starts, so that only sigwait below sees them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    struct sl_error err;
    struct sl_kafka_mock *mock;
    if (sl_kafka_mock_new(&cfg, &mock, &err) != 0) {
        fprintf(stderr, "sluice kafka-mock: %s\n", err.msg);
        status = 1;
        goto out;
    }
    for (int t = 0; t < ntopics; t++) {
        if (sl_kafka_mock_topic_create(mock, topics[t], nparts[t] ? nparts[t] : partitions, &err) !=
            0) {
            fprintf(stderr, "sluice kafka-mock: %s\n", err.msg);
            sl_kafka_mock_free(mock);
            status = 1;
            goto out;
        }
    }
    printf("%s\n", sl_kafka_mock_bootstrap(mock));
    fflush(stdout);
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    fprintf(stderr, "sluice kafka-mock: %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sl_kafka_mock_free(mock);
    status = 0;
out:
    for (int t = 0; names && t < ntopics; t++)
        free(names[t]);
    free(names);
    free(nparts);
    free(topics);
    return status;
}
