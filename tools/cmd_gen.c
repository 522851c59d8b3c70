/*
 * tools/cmd_gen.c - `sluice gen nexmark|ysb`: writes benchmark events as JSON, CSV or raw
 * records to a file, stdout or a Kafka topic.
 *
 * Events are produced a chunk at a time into a struct sl_fmt_out: JSON straight from the
 * generator's writer (the fastest path), CSV and raw by filling a batch of the table's
 * flattened schema and encoding it with the format's encoder (io/csv.h, io/raw.h), so the
 * bytes are exactly what sluice's decoders read. A chunk then goes to the file through a
 * 1 MiB buffer, or to Kafka through the idempotent sink (io/kafka_sink.h), which is flushed
 * at the end: every record acknowledged, or an error. Every failure to write (a full disk, a
 * closed pipe, a delivery error) ends the run with status 1 and names the file or topic. Progress
 * goes to stderr once a second, only when stderr is a terminal, so that scripts and pipes see
 * nothing but errors.
 */
#include "tools/cmd_gen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/batch.h"
#include "io/csv.h"
#include "io/fmt.h"
#include "io/kafka_sink.h"
#include "io/nexmark.h"
#include "io/raw.h"
#include "io/ysb.h"
#include "tools/cli.h"

static const char sl_gen_usage[] =
    "usage: sluice gen nexmark|ysb --events N [--rate R] [--seed S]\n"
    "                  [--format json|csv|raw] [--start K] [--base-time MS]\n"
    "                  [--out FILE | --topic T --brokers HOST:PORT [--property K=V]...]\n"
    "                  [--rng splittable|per-event] [--splits N]\n"
    "                  [--set KEY=VALUE]...            (nexmark)\n"
    "                  [--campaigns-out FILE] [--skew] (ysb)\n"
    "\n"
    "Writes benchmark events to FILE, stdout or a Kafka topic (one record per message,\n"
    "round robin over the topic's partitions). In files, JSON and CSV records are one per\n"
    "line; raw records are each preceded by their length as 4 bytes little-endian\n"
    "(docs/formats.md).\n"
    "\n"
    "  nexmark             people, auctions and bids of the Nexmark benchmark, in the shape\n"
    "                      Flink's nexmark Kafka table reads (ddl_kafka.sql)\n"
    "  ysb                 ad events of the Yahoo streaming benchmark\n"
    "\n"
    "  --events N          events to write (nexmark: default events.num when set)\n"
    "  --rate R            events per second of event time (default 10000); nexmark sets\n"
    "                      first-event.rate and next-event.rate\n"
    "  --seed S            seed, an integer >= 0 (default 0). nexmark: split i draws from\n"
    "                      new SplittableRandom(S + i); per-event: 0 gives the events of the\n"
    "                      Java generator seeded per event id\n"
    "  --rng R             nexmark: how the generator draws - splittable (default: one\n"
    "                      SplittableRandom per split, as nexmark-flink's generator) or\n"
    "                      per-event (java.util.Random seeded with each event id, as Beam's)\n"
    "  --splits N          nexmark: the stream of a source of parallelism N, as Flink's\n"
    "                      nexmark source and `sluice run --workers N` cut it (each split its\n"
    "                      own event ids, its own timeline at 1/N of the rate, its own\n"
    "                      random), written interleaved: event j of split 0, 1, ... N-1,\n"
    "                      then j + 1. The splits divide events.num, else --start + --events\n"
    "  --format F          json (default: the shape Flink's json format reads), csv (the\n"
    "                      table's flattened columns in order) or raw (docs/formats.md)\n"
    "  --out FILE          write to FILE instead of stdout\n"
    "  --topic T           write to Kafka topic T (created on first use where the broker\n"
    "                      allows it: auto.create.topics.enable, Kafka's default, with the\n"
    "                      broker's num.partitions; the mock does too, and `sluice\n"
    "                      kafka-mock --topic T --partitions N` creates it with N)\n"
    "  --brokers B         Kafka bootstrap servers, with --topic\n"
    "  --property K=V      a librdkafka producer property, with --topic (repeatable)\n"
    "  --start K           first event index (resume a stream; default 0)\n"
    "  --base-time MS      event time of the start of the stream, ms since the epoch\n"
    "                      (default: now); give it to get the same bytes twice\n"
    "  --set KEY=VALUE     a nexmark connector option, e.g. bid.proportion=92,\n"
    "                      person.avg-size=1kb, bid.hot-ratio.bidders=2\n"
    "  --campaigns-out F   ysb: also write the ad -> campaign table, CSV 'ad_id,campaign_id'\n"
    "  --skew              ysb: jitter event times as the original's --with-skew\n"
    "  --help              this text\n";

#define SL_GEN_BUF (1u << 20)

struct sl_gen_out {
    FILE *f;
    const char *name;
    char *buf;
    size_t used;
    bool failed;
};

static int sl_gen_flush(struct sl_gen_out *o)
{
    if (o->used && !o->failed && fwrite(o->buf, 1, o->used, o->f) != o->used) {
        fprintf(stderr, "sluice gen: cannot write %s: %s\n", o->name, strerror(errno));
        o->failed = true;
    }
    o->used = 0;
    return o->failed ? -1 : 0;
}

static double sl_gen_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int sl_gen_parse_i64(const char *flag, const char *v, int64_t min, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno == ERANGE || x < min) {
        fprintf(stderr, "sluice gen: %s needs an integer >= %lld, not '%s'\n", flag, (long long)min,
                v);
        return -1;
    }
    *out = x;
    return 0;
}

enum sl_gen_fmt { SL_GEN_JSON, SL_GEN_CSV, SL_GEN_RAW };

struct sl_gen_args {
    const char *kind;
    int64_t events, rate, seed, start, base_time, splits;
    const char *rng;
    bool has_events, has_rate, has_base_time, skew;
    enum sl_gen_fmt format;
    const char *out, *campaigns_out, *topic, *brokers;
    const char *sets[64];
    int nsets;
    const char *props[64];
    int nprops;
};

/* 0 ok, 1 --help shown, 2 usage error (reported). */
static int sl_gen_parse(int argc, char **argv, struct sl_gen_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(sl_gen_usage, stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (a->kind) {
                fprintf(stderr, "sluice gen: unexpected argument '%s'\n", arg);
                return 2;
            }
            if (strcmp(arg, "nexmark") != 0 && strcmp(arg, "ysb") != 0) {
                fprintf(stderr, "sluice gen: unknown generator '%s' (nexmark or ysb)\n", arg);
                return 2;
            }
            a->kind = arg;
            continue;
        }
        if (strcmp(arg, "--skew") == 0) {
            a->skew = true;
            continue;
        }
        /* the flags below take a value: "--flag value" or "--flag=value" */
        static const char *const valued[] = {
            "--events",  "--rate",      "--seed", "--format",        "--out",
            "--start",   "--base-time", "--set",  "--campaigns-out", "--topic",
            "--brokers", "--property",  "--rng",  "--splits"};
        const char *val;
        int which = sl_cli_value(argc, argv, &i, "gen", NULL, valued,
                                 sizeof(valued) / sizeof(valued[0]), &val);
        if (which < 0)
            return 2;
        const char *name = valued[which];
        int rc = 0;
        if (strcmp(name, "--events") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->events);
            a->has_events = true;
        } else if (strcmp(name, "--rate") == 0) {
            rc = sl_gen_parse_i64(name, val, 1, &a->rate);
            a->has_rate = true;
        } else if (strcmp(name, "--seed") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->seed);
        } else if (strcmp(name, "--rng") == 0) {
            a->rng = val;
        } else if (strcmp(name, "--splits") == 0) {
            rc = sl_gen_parse_i64(name, val, 1, &a->splits);
            if (!rc && a->splits > 4096) {
                fprintf(stderr, "sluice gen: --splits is at most 4096\n");
                rc = -1;
            }
        } else if (strcmp(name, "--start") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->start);
        } else if (strcmp(name, "--base-time") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->base_time);
            a->has_base_time = true;
        } else if (strcmp(name, "--format") == 0) {
            if (strcmp(val, "json") == 0) {
                a->format = SL_GEN_JSON;
            } else if (strcmp(val, "csv") == 0) {
                a->format = SL_GEN_CSV;
            } else if (strcmp(val, "raw") == 0) {
                a->format = SL_GEN_RAW;
            } else {
                fprintf(stderr, "sluice gen: format '%s' is not supported (json, csv, raw)\n", val);
                return 2;
            }
        } else if (strcmp(name, "--topic") == 0) {
            a->topic = val;
        } else if (strcmp(name, "--brokers") == 0) {
            a->brokers = val;
        } else if (strcmp(name, "--property") == 0) {
            if (!strchr(val, '=') || (size_t)a->nprops >= sizeof(a->props) / sizeof(a->props[0])) {
                fprintf(stderr, "sluice gen: --property needs KEY=VALUE (at most 64 of them)\n");
                return 2;
            }
            a->props[a->nprops++] = val;
        } else if (strcmp(name, "--out") == 0) {
            a->out = val;
        } else if (strcmp(name, "--campaigns-out") == 0) {
            a->campaigns_out = val;
        } else { /* --set */
            if (!strchr(val, '=') || (size_t)a->nsets >= sizeof(a->sets) / sizeof(a->sets[0])) {
                fprintf(stderr, "sluice gen: --set needs KEY=VALUE (at most 64 of them)\n");
                return 2;
            }
            a->sets[a->nsets++] = val;
        }
        if (rc)
            return 2;
    }
    if (!a->kind) {
        fprintf(stderr, "sluice gen: which generator? (nexmark or ysb)\n%s", sl_gen_usage);
        return 2;
    }
    if (a->topic && a->out) {
        fprintf(stderr, "sluice gen: --out and --topic exclude each other\n");
        return 2;
    }
    if (!a->topic != !a->brokers) {
        fprintf(stderr, "sluice gen: --topic and --brokers go together\n");
        return 2;
    }
    if (a->nprops && !a->topic) {
        fprintf(stderr, "sluice gen: --property is for Kafka output (--topic)\n");
        return 2;
    }
    bool nexmark = strcmp(a->kind, "nexmark") == 0;
    if (nexmark && (a->campaigns_out || a->skew)) {
        fprintf(stderr, "sluice gen: --campaigns-out and --skew are ysb options\n");
        return 2;
    }
    if (!nexmark && (a->rng || a->splits)) {
        fprintf(stderr, "sluice gen: --rng and --splits are nexmark options\n");
        return 2;
    }
    if (!nexmark && a->nsets) {
        fprintf(stderr, "sluice gen: --set is a nexmark option\n");
        return 2;
    }
    return 0;
}

static int sl_gen_open(struct sl_gen_out *o, const char *path)
{
    o->name = path ? path : "stdout";
    o->f = path ? fopen(path, "wb") : stdout;
    if (!o->f) {
        fprintf(stderr, "sluice gen: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    o->buf = malloc(SL_GEN_BUF);
    if (!o->buf) {
        fprintf(stderr, "sluice gen: out of memory\n");
        return -1;
    }
    return 0;
}

static int sl_gen_close(struct sl_gen_out *o)
{
    int rc = sl_gen_flush(o);
    if (o->f && o->f != stdout) {
        if (fclose(o->f) != 0 && rc == 0) {
            fprintf(stderr, "sluice gen: cannot write %s: %s\n", o->name, strerror(errno));
            rc = -1;
        }
    } else if (o->f && fflush(o->f) != 0 && rc == 0) {
        fprintf(stderr, "sluice gen: cannot write %s: %s\n", o->name, strerror(errno));
        rc = -1;
    }
    free(o->buf);
    return rc;
}

struct sl_gen_progress {
    bool on;
    double t0, next;
    int64_t total;
};

static void sl_gen_progress(struct sl_gen_progress *p, int64_t done, bool last)
{
    if (!p->on)
        return;
    double now = sl_gen_now();
    if (!last && now < p->next)
        return;
    p->next = now + 1.0;
    double rate = done / (now - p->t0 > 1e-9 ? now - p->t0 : 1e-9);
    fprintf(stderr, "\rsluice gen: %lld / %lld events (%.0f%%), %.2f M events/s%s", (long long)done,
            (long long)p->total, p->total ? 100.0 * done / p->total : 100.0, rate / 1e6,
            last ? "\n" : "");
}

/* ---- records: a chunk of events at a time ---------------------------------------------- */

#define SL_GEN_CHUNK 1024u

/* Appends the records of events [k, k + n) to `out`; 0 or an error code with `err` set. */
typedef int (*sl_gen_chunk_fn)(void *ctx, int64_t k, uint32_t n, struct sl_fmt_out *out,
                               struct sl_error *err);

struct sl_gen_src {
    enum sl_gen_fmt format;
    /* nexmark --splits N > 1: split i's generator and scratch; output record k is event
     * k / N of split k % N while every split has events (each has sub_min), then split N-1's */
    int nsplits;
    struct sl_nexmark_gen *const *splits;
    struct sl_nexmark_event *sevs;
    int64_t sub_min;
    /* JSON */
    const struct sl_nexmark_gen *nexmark;
    const struct sl_ysb_gen *ysb;
    struct sl_nexmark_event ev;
    size_t json_max;
    /* CSV / raw: a batch of the table, and its encoder */
    struct sl_schema *schema;
    struct sl_batch_pool *pool;
    struct sl_csv *csv;
    struct sl_raw *raw;
};

/* The split and index in it of output record k (nsplits > 1). */
static void sl_gen_locate(const struct sl_gen_src *g, int64_t k, int *split, int64_t *index)
{
    int64_t n = g->nsplits;
    if (k < n * g->sub_min) {
        *split = (int)(k % n);
        *index = k / n;
    } else {
        *split = (int)n - 1;
        *index = g->sub_min + (k - n * g->sub_min);
    }
}

static int sl_gen_json_chunk(struct sl_gen_src *g, int64_t k, uint32_t n, struct sl_fmt_out *out,
                             struct sl_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        if (sl_fmt_out_reserve(out, g->json_max))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        size_t len;
        if (g->nsplits > 1) {
            int sp;
            int64_t idx;
            sl_gen_locate(g, k + i, &sp, &idx);
            sl_nexmark_gen_event(g->splits[sp], idx, &g->sevs[sp]);
            len = sl_nexmark_event_json(&g->sevs[sp], out->data + out->len);
        } else if (g->nexmark) {
            sl_nexmark_gen_event(g->nexmark, k + i, &g->ev);
            len = sl_nexmark_event_json(&g->ev, out->data + out->len);
        } else {
            struct sl_ysb_event ev;
            sl_ysb_gen_event(g->ysb, k + i, &ev);
            len = sl_ysb_event_json(&ev, out->data + out->len);
        }
        out->len += len;
        if (sl_fmt_out_end_record(out))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return 0;
}

static int sl_gen_batch_chunk(struct sl_gen_src *g, int64_t k, uint32_t n, struct sl_fmt_out *out,
                              struct sl_error *err)
{
    struct sl_batch *b = sl_batch_pool_get(g->pool);
    if (!b)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    int rc = 0;
    for (uint32_t done = 0; !rc && done < n;) {
        uint32_t m = n - done < SL_BATCH_CAP ? n - done : SL_BATCH_CAP;
        sl_batch_reset(b);
        if (g->nsplits > 1) {
            for (uint32_t r = 0; !rc && r < m; r++) {
                int sp;
                int64_t idx;
                sl_gen_locate(g, k + done + r, &sp, &idx);
                rc = sl_nexmark_fill(g->splits[sp], &g->sevs[sp], idx, 1, b);
            }
        } else {
            rc = g->nexmark ? sl_nexmark_fill(g->nexmark, &g->ev, k + done, m, b)
                            : sl_ysb_fill(g->ysb, k + done, m, b);
        }
        if (rc) {
            sl_error_set(err, rc, "cannot build events: %s", sl_strerror(rc));
            break;
        }
        rc = g->csv ? sl_csv_encode(g->csv, b, out, err) : sl_raw_encode(g->raw, b, out, err);
        done += m;
    }
    sl_batch_pool_put(b);
    return rc;
}

static int sl_gen_chunk(void *ctx, int64_t k, uint32_t n, struct sl_fmt_out *out,
                        struct sl_error *err)
{
    struct sl_gen_src *g = ctx;
    return g->format == SL_GEN_JSON ? sl_gen_json_chunk(g, k, n, out, err)
                                    : sl_gen_batch_chunk(g, k, n, out, err);
}

/* Prepares the record source; 0, or -1 after saying why. */
static int sl_gen_src_init(struct sl_gen_src *g, enum sl_gen_fmt format,
                           const struct sl_nexmark_gen *nexmark, const struct sl_ysb_gen *ysb)
{
    struct sl_error err;
    memset(g, 0, sizeof(*g));
    g->format = format;
    g->nexmark = nexmark;
    g->ysb = ysb;
    g->json_max = nexmark ? sl_nexmark_json_max(nexmark) : SL_YSB_JSON_MAX;
    if (nexmark && sl_nexmark_event_init(&g->ev, nexmark))
        goto out_nomem;
    if (format == SL_GEN_JSON)
        return 0;
    g->schema = nexmark ? sl_nexmark_schema_new() : sl_ysb_schema_new();
    if (!g->schema)
        goto out_nomem;
    g->pool = sl_batch_pool_new(NULL, g->schema, 1);
    if (!g->pool)
        goto out_nomem;
    if (format == SL_GEN_CSV)
        g->csv = sl_csv_new(g->schema, NULL, &err);
    else
        g->raw = sl_raw_new(g->schema, NULL, &err);
    if (!g->csv && !g->raw) {
        fprintf(stderr, "sluice gen: %s\n", err.msg);
        return -1;
    }
    return 0;
out_nomem:
    fprintf(stderr, "sluice gen: out of memory\n");
    return -1;
}

static void sl_gen_src_free(struct sl_gen_src *g)
{
    if (g->nexmark)
        sl_nexmark_event_free(&g->ev);
    sl_csv_free(g->csv);
    sl_raw_free(g->raw);
    sl_batch_pool_free(g->pool);
    sl_schema_free(g->schema);
}

/* ---- destinations: a file or a Kafka topic ---------------------------------------------- */

struct sl_gen_dest {
    struct sl_gen_out file;
    bool raw_framing;            /* files: 4-byte length before each record, else '\n' after */
    struct sl_kafka_sink *kafka; /* with --topic */
    const char *topic;
    struct sl_record recs[SL_GEN_CHUNK];
};

static int sl_gen_dest_open(struct sl_gen_dest *d, const struct sl_gen_args *a)
{
    memset(d, 0, sizeof(*d));
    d->raw_framing = a->format == SL_GEN_RAW;
    if (!a->topic)
        return sl_gen_open(&d->file, a->out);
    struct sl_error err;
    struct sl_kafka_sink_config cfg = {.bootstrap = a->brokers,
                                       .topic = a->topic,
                                       .partitioner = SL_KAFKA_PART_ROUND_ROBIN,
                                       .props = a->props,
                                       .nprops = (size_t)a->nprops};
    d->topic = a->topic;
    if (sl_kafka_sink_new(&cfg, &d->kafka, &err)) {
        fprintf(stderr, "sluice gen: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int sl_gen_dest_write(struct sl_gen_dest *d, const struct sl_fmt_out *out)
{
    if (d->kafka) {
        for (uint32_t i = 0; i < out->nrec; i++)
            d->recs[i] = (struct sl_record){.value = sl_fmt_out_rec(out, i),
                                            .value_len = sl_fmt_out_rec_len(out, i),
                                            .timestamp = -1};
        struct sl_error err;
        if (sl_kafka_sink_write(d->kafka, d->recs, out->nrec, &err)) {
            fprintf(stderr, "sluice gen: %s\n", err.msg);
            return -1;
        }
        return 0;
    }
    struct sl_gen_out *o = &d->file;
    for (uint32_t i = 0; i < out->nrec; i++) {
        size_t len = sl_fmt_out_rec_len(out, i);
        if (SL_GEN_BUF - o->used < len + 4 && sl_gen_flush(o))
            return -1;
        if (len + 4 > SL_GEN_BUF) {
            fprintf(stderr, "sluice gen: a record of %zu bytes is larger than the buffer\n", len);
            return -1;
        }
        if (d->raw_framing) {
            uint32_t le = (uint32_t)len;
            unsigned char hdr[4] = {(unsigned char)le, (unsigned char)(le >> 8),
                                    (unsigned char)(le >> 16), (unsigned char)(le >> 24)};
            memcpy(o->buf + o->used, hdr, 4);
            o->used += 4;
        }
        memcpy(o->buf + o->used, sl_fmt_out_rec(out, i), len);
        o->used += len;
        if (!d->raw_framing)
            o->buf[o->used++] = '\n';
    }
    return 0;
}

/* Flushes (Kafka: waits for every acknowledgement) and closes; 0 or -1 after saying why. */
static int sl_gen_dest_close(struct sl_gen_dest *d, bool ok)
{
    if (!d->kafka)
        return sl_gen_close(&d->file);
    int rc = 0;
    if (ok) {
        struct sl_error err;
        if (sl_kafka_sink_flush(d->kafka, 60000, &err)) {
            fprintf(stderr, "sluice gen: %s\n", err.msg);
            rc = -1;
        }
    }
    sl_kafka_sink_free(d->kafka, ok ? 5000 : 0);
    return rc;
}

/* Writes events [start, start + n) to `d`, a chunk at a time. */
static int sl_gen_run(struct sl_gen_dest *d, sl_gen_chunk_fn chunk, void *ctx, int64_t start,
                      int64_t n)
{
    struct sl_gen_progress prog = {isatty(STDERR_FILENO) && n >= 1000000, sl_gen_now(), 0, n};
    prog.next = prog.t0 + 1.0;
    struct sl_fmt_out out;
    sl_fmt_out_init(&out);
    struct sl_error err;
    int rc = 0;
    for (int64_t i = 0; !rc && i < n; i += SL_GEN_CHUNK) {
        uint32_t m = n - i < SL_GEN_CHUNK ? (uint32_t)(n - i) : SL_GEN_CHUNK;
        sl_fmt_out_clear(&out);
        rc = chunk(ctx, start + i, m, &out, &err);
        if (rc)
            fprintf(stderr, "sluice gen: %s\n", err.msg);
        else
            rc = sl_gen_dest_write(d, &out);
        sl_gen_progress(&prog, i + m, false);
    }
    sl_fmt_out_free(&out);
    if (!rc)
        sl_gen_progress(&prog, n, true);
    return rc ? -1 : 0;
}

static int sl_gen_nexmark(const struct sl_gen_args *a)
{
    struct sl_nexmark_config cfg;
    struct sl_error err;
    sl_nexmark_config_init(&cfg);
    for (int i = 0; i < a->nsets; i++) {
        char key[128];
        const char *eq = strchr(a->sets[i], '=');
        size_t klen = (size_t)(eq - a->sets[i]);
        if (klen >= sizeof(key))
            klen = sizeof(key) - 1;
        memcpy(key, a->sets[i], klen);
        key[klen] = '\0';
        if (sl_nexmark_config_set(&cfg, key, eq + 1, &err)) {
            fprintf(stderr, "sluice gen: %s\n", err.msg);
            return 2;
        }
    }
    if (a->has_rate)
        cfg.first_event_rate = cfg.next_event_rate = a->rate;
    cfg.seed = (uint64_t)a->seed;
    if (a->rng && sl_nexmark_config_set(&cfg, "rng", a->rng, &err)) {
        fprintf(stderr, "sluice gen: --rng: %s\n", err.msg);
        return 2;
    }
    if (a->has_base_time)
        cfg.base_time = a->base_time;
    int64_t n = a->events;
    if (!a->has_events) {
        if (cfg.events_num <= 0) {
            fprintf(stderr, "sluice gen: --events is required\n");
            return 2;
        }
        n = cfg.events_num - a->start;
        if (n < 0)
            n = 0;
    }
    int nsplits = a->splits > 1 ? (int)a->splits : 1;
    if (nsplits > 1 && a->rng && strcmp(a->rng, "per-event") == 0) {
        /* per-event events are a function of their index: a run of N workers interleaves
         * them (worker w: w, w + N, ...), which the splits' blocks would not reproduce */
        fprintf(stderr, "sluice gen: --splits needs --rng splittable (per-event events are "
                        "the same at any parallelism: write them without --splits)\n");
        return 2;
    }
    if (nsplits > 1 && cfg.events_num <= 0)
        cfg.events_num = a->start + n; /* what the splits divide */
    if (nsplits > 1 && a->start + n > cfg.events_num) {
        fprintf(stderr,
                "sluice gen: --start %lld + --events %lld goes past events.num %lld, which "
                "the %d splits divide\n",
                (long long)a->start, (long long)n, (long long)cfg.events_num, nsplits);
        return 2;
    }
    struct sl_nexmark_gen *gen;
    if (sl_nexmark_gen_new(&cfg, &gen, &err)) {
        fprintf(stderr, "sluice gen: %s\n", err.msg);
        return err.code == SL_EINVAL ? 2 : 1;
    }
    int status = 1;
    struct sl_nexmark_gen **splits = NULL;
    struct sl_nexmark_event *sevs = NULL;
    int ready = 0; /* splits with a generator and scratch */
    if (nsplits > 1) {
        splits = calloc((size_t)nsplits, sizeof(*splits));
        sevs = calloc((size_t)nsplits, sizeof(*sevs));
        for (; splits && sevs && ready < nsplits; ready++) {
            struct sl_nexmark_config sc;
            sl_nexmark_config_split(&cfg, nsplits, ready, &sc);
            if (sl_nexmark_gen_new(&sc, &splits[ready], &err)) {
                fprintf(stderr, "sluice gen: split %d: %s\n", ready, err.msg);
                goto out_splits;
            }
            if (sl_nexmark_event_init(&sevs[ready], splits[ready])) {
                sl_nexmark_gen_free(splits[ready]);
                break;
            }
        }
        if (ready < nsplits) {
            fprintf(stderr, "sluice gen: out of memory\n");
            goto out_splits;
        }
    }
    struct sl_gen_src src;
    struct sl_gen_dest *d = malloc(sizeof(*d));
    if (d && sl_gen_src_init(&src, a->format, gen, NULL) == 0) {
        src.nsplits = nsplits;
        src.splits = splits;
        src.sevs = sevs;
        src.sub_min = sl_nexmark_config_max_events(&cfg) / nsplits;
        if (sl_gen_dest_open(d, a) == 0) {
            bool ok = sl_gen_run(d, sl_gen_chunk, &src, a->start, n) == 0;
            if (sl_gen_dest_close(d, ok) == 0 && ok)
                status = 0;
        }
    } else if (!d) {
        fprintf(stderr, "sluice gen: out of memory\n");
    }
    if (d)
        sl_gen_src_free(&src);
    free(d);
out_splits:
    for (int i = 0; i < ready; i++) {
        sl_nexmark_event_free(&sevs[i]);
        sl_nexmark_gen_free(splits[i]);
    }
    free(sevs);
    free(splits);
    sl_nexmark_gen_free(gen);
    return status;
}

static int sl_gen_ysb(const struct sl_gen_args *a)
{
    struct sl_ysb_config cfg;
    struct sl_error err;
    sl_ysb_config_init(&cfg);
    if (a->has_rate)
        cfg.rate = a->rate;
    cfg.seed = (uint64_t)a->seed;
    cfg.with_skew = a->skew;
    if (a->has_base_time)
        cfg.start_time = a->base_time;
    if (!a->has_events) {
        fprintf(stderr, "sluice gen: --events is required\n");
        return 2;
    }
    struct sl_ysb_gen *gen;
    if (sl_ysb_gen_new(&cfg, &gen, &err)) {
        fprintf(stderr, "sluice gen: %s\n", err.msg);
        return err.code == SL_EINVAL ? 2 : 1;
    }
    int status = 1;
    if (a->campaigns_out) {
        struct sl_gen_out c = {0};
        int rc = sl_gen_open(&c, a->campaigns_out);
        if (rc == 0) {
            size_t size = sl_ysb_campaigns_csv_size(gen);
            char *csv = malloc(size);
            if (!csv) {
                fprintf(stderr, "sluice gen: out of memory\n");
                rc = -1;
            } else {
                size_t len = sl_ysb_campaigns_csv(gen, csv);
                if (fwrite(csv, 1, len, c.f) != len) {
                    fprintf(stderr, "sluice gen: cannot write %s: %s\n", c.name, strerror(errno));
                    rc = -1;
                }
                free(csv);
            }
        }
        if (sl_gen_close(&c) || rc)
            goto out_gen;
    }
    {
        struct sl_gen_src src;
        struct sl_gen_dest *d = malloc(sizeof(*d));
        if (d && sl_gen_src_init(&src, a->format, NULL, gen) == 0) {
            if (sl_gen_dest_open(d, a) == 0) {
                bool ok = sl_gen_run(d, sl_gen_chunk, &src, a->start, a->events) == 0;
                if (sl_gen_dest_close(d, ok) == 0 && ok)
                    status = 0;
            }
        } else if (!d) {
            fprintf(stderr, "sluice gen: out of memory\n");
        }
        if (d)
            sl_gen_src_free(&src);
        free(d);
    }
out_gen:
    sl_ysb_gen_free(gen);
    return status;
}

int sl_cmd_gen(int argc, char **argv)
{
    struct sl_gen_args a;
    int rc = sl_gen_parse(argc, argv, &a);
    if (rc == 1)
        return 0;
    if (rc)
        return rc;
    return strcmp(a.kind, "nexmark") == 0 ? sl_gen_nexmark(&a) : sl_gen_ysb(&a);
}
