/*
 * tools/cmd_gen.c - `sluice gen nexmark|ysb`: writes benchmark events as newline-delimited
 * JSON to a file or stdout.
 *
 * Events are written into a 1 MiB buffer and flushed with fwrite, so the cost per event is
 * the generator's. Every failure to write (a full disk, a closed pipe) ends the run with
 * status 1 and names the file. Progress goes to stderr once a second, only when stderr is a
 * terminal, so that scripts and pipes see nothing but errors.
 */
#include "tools/cmd_gen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/nexmark.h"
#include "io/ysb.h"

static const char sl_gen_usage[] =
    "usage: sluice gen nexmark|ysb --events N [--rate R] [--seed S] [--format json]\n"
    "                  [--out FILE] [--start K] [--base-time MS]\n"
    "                  [--set KEY=VALUE]...            (nexmark)\n"
    "                  [--campaigns-out FILE] [--skew] (ysb)\n"
    "\n"
    "Writes benchmark events as JSON, one per line, to FILE or stdout.\n"
    "\n"
    "  nexmark             people, auctions and bids of the Nexmark benchmark, in the shape\n"
    "                      Flink's nexmark Kafka table reads (ddl_kafka.sql)\n"
    "  ysb                 ad events of the Yahoo streaming benchmark\n"
    "\n"
    "  --events N          events to write (nexmark: default events.num when set)\n"
    "  --rate R            events per second of event time (default 10000); nexmark sets\n"
    "                      first-event.rate and next-event.rate\n"
    "  --seed S            seed, an integer >= 0 (default 0: for nexmark, the events of the\n"
    "                      Java generator seeded per event id)\n"
    "  --format json       output format (only json for now)\n"
    "  --out FILE          write to FILE instead of stdout\n"
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
        fprintf(stderr, "sluice gen: %s needs an integer >= %lld, not '%s'\n", flag,
                (long long)min, v);
        return -1;
    }
    *out = x;
    return 0;
}

struct sl_gen_args {
    const char *kind;
    int64_t events, rate, seed, start, base_time;
    bool has_events, has_rate, has_base_time, skew;
    const char *out, *campaigns_out;
    const char *sets[64];
    int nsets;
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
        char name[32];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nlen >= sizeof(name)) {
            fprintf(stderr, "sluice gen: unknown option '%s'\n", arg);
            return 2;
        }
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        static const char *const valued[] = {"--events", "--rate", "--seed", "--format",
                                             "--out", "--start", "--base-time", "--set",
                                             "--campaigns-out"};
        bool known = false;
        for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
            known |= strcmp(name, valued[k]) == 0;
        if (!known) {
            fprintf(stderr, "sluice gen: unknown option '%s'\n", arg);
            return 2;
        }
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "sluice gen: %s needs a value\n", name);
            return 2;
        }
        int rc = 0;
        if (strcmp(name, "--events") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->events);
            a->has_events = true;
        } else if (strcmp(name, "--rate") == 0) {
            rc = sl_gen_parse_i64(name, val, 1, &a->rate);
            a->has_rate = true;
        } else if (strcmp(name, "--seed") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->seed);
        } else if (strcmp(name, "--start") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->start);
        } else if (strcmp(name, "--base-time") == 0) {
            rc = sl_gen_parse_i64(name, val, 0, &a->base_time);
            a->has_base_time = true;
        } else if (strcmp(name, "--format") == 0) {
            if (strcmp(val, "json") != 0) {
                fprintf(stderr, "sluice gen: format '%s' is not supported (json)\n", val);
                return 2;
            }
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
    bool nexmark = strcmp(a->kind, "nexmark") == 0;
    if (nexmark && (a->campaigns_out || a->skew)) {
        fprintf(stderr, "sluice gen: --campaigns-out and --skew are ysb options\n");
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
    fprintf(stderr, "\rsluice gen: %lld / %lld events (%.0f%%), %.2f M events/s%s",
            (long long)done, (long long)p->total, p->total ? 100.0 * done / p->total : 100.0,
            rate / 1e6, last ? "\n" : "");
}

/* Writes events [start, start + n) produced by `one` (which writes event k's JSON at `dst`
 * and returns its length) into `o`, one per line. */
typedef size_t (*sl_gen_one_fn)(void *ctx, int64_t k, char *dst);

static int sl_gen_run(struct sl_gen_out *o, sl_gen_one_fn one, void *ctx, size_t max,
                      int64_t start, int64_t n)
{
    struct sl_gen_progress prog = {isatty(STDERR_FILENO) && n >= 1000000, sl_gen_now(), 0, n};
    prog.next = prog.t0 + 1.0;
    for (int64_t i = 0; i < n; i++) {
        if (SL_GEN_BUF - o->used < max + 1 && sl_gen_flush(o))
            return -1;
        size_t len = one(ctx, start + i, o->buf + o->used);
        o->buf[o->used + len] = '\n';
        o->used += len + 1;
        if ((i & 0xffff) == 0)
            sl_gen_progress(&prog, i, false);
    }
    sl_gen_progress(&prog, n, true);
    return 0;
}

struct sl_gen_nexmark_ctx {
    const struct sl_nexmark_gen *gen;
    struct sl_nexmark_event ev;
};

static size_t sl_gen_nexmark_one(void *ctx, int64_t k, char *dst)
{
    struct sl_gen_nexmark_ctx *c = ctx;
    sl_nexmark_gen_event(c->gen, k, &c->ev);
    return sl_nexmark_event_json(&c->ev, dst);
}

static size_t sl_gen_ysb_one(void *ctx, int64_t k, char *dst)
{
    struct sl_ysb_event ev;
    sl_ysb_gen_event(ctx, k, &ev);
    return sl_ysb_event_json(&ev, dst);
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
    struct sl_gen_nexmark_ctx ctx;
    struct sl_nexmark_gen *gen;
    if (sl_nexmark_gen_new(&cfg, &gen, &err)) {
        fprintf(stderr, "sluice gen: %s\n", err.msg);
        return err.code == SL_EINVAL ? 2 : 1;
    }
    ctx.gen = gen;
    int status = 1;
    struct sl_gen_out o = {0};
    if (sl_nexmark_event_init(&ctx.ev, gen)) {
        fprintf(stderr, "sluice gen: out of memory\n");
        goto out_gen;
    }
    if (sl_gen_open(&o, a->out) == 0 &&
        sl_gen_run(&o, sl_gen_nexmark_one, &ctx, sl_nexmark_json_max(gen), a->start, n) == 0)
        status = 0;
    if (sl_gen_close(&o))
        status = 1;
    sl_nexmark_event_free(&ctx.ev);
out_gen:
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
    struct sl_gen_out o = {0};
    if (sl_gen_open(&o, a->out) == 0 &&
        sl_gen_run(&o, sl_gen_ysb_one, gen, SL_YSB_JSON_MAX, a->start, a->events) == 0)
        status = 0;
    if (sl_gen_close(&o))
        status = 1;
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
