/*
 * bench/formats.c - record formats: decode and encode throughput per core.
 *
 *   formats/decode/json/nexmark_bid   Nexmark bid events (~255 bytes) into the full Nexmark
 *                                     table (event_type + person.* + auction.* + bid.*,
 *                                     26 columns); person and auction are JSON null
 *   formats/decode/json/nexmark_person  Nexmark person / auction events from the generator
 *   formats/decode/json/nexmark_auction (io/nexmark.h), same table
 *   formats/decode/json/ysb           YSB ad events (7 fields, uuids, ms time as a string)
 *   formats/decode/json_simdjson/...  the same JSON records with the fast path turned off
 *                                     (SLUICE_JSON_FAST=off): simdjson On-Demand for every
 *                                     record, for comparison
 *   formats/decode/csv/nexmark_bid    the bid fields as CSV
 *   formats/decode/raw/nexmark_bid    the bid fields in the raw layout
 *   formats/decode/{csv,raw}/ysb      the YSB events as CSV and raw
 *   formats/decode/FMT/ysb_3of7       projection pushdown (sl_*_prune): only the 3 columns
 *                                     the YSB query reads (ad_id, event_type, event_time)
 *   formats/decode/FMT/nexmark_bid_q1 only what Nexmark q1 reads from the nexmark table of
 *                                     ddl_kafka.sql: event_type, the three dateTime columns
 *                                     (its computed dateTime), bid.auction, bid.bidder,
 *                                     bid.price (7 of 26 columns in JSON; 5 of 8 in the
 *                                     bid-only CSV and raw tables)
 *   formats/encode/{json,csv,raw}/nexmark_bid
 *   formats/{decode,encode}/avro/{nexmark_bid,ysb}  the same rows in the avro format (the
 *                                     bid table's columns without the "bid." prefix: avro
 *                                     has no ROW columns); decode/avro/..._q1 and _3of7 pruned
 *   formats/decode/avro_libavro/...   the same avro records read by libavro's generic value
 *                                     API (avro_value_read, then each field copied into
 *                                     the columns): what io/avro.c's direct decoder saves
 *
 * bytes_per_second is record bytes (JSON/CSV/raw text) per second; items_per_second is
 * records per second. Each iteration decodes RECS records into batches (reset when full),
 * as a worker would after rd_kafka_consume_batch_queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "bench/shim.h"
#include <avro.h>

#include "engine/core/batch.h"
#include "io/avro.h"
#include "io/csv.h"
#include "io/json.h"
#include "io/nexmark.h"
#include "io/raw.h"

#define RECS 16384

enum { FMT_JSON, FMT_CSV, FMT_RAW, FMT_AVRO, FMT_AVRO_LIBAVRO };
enum { SHAPE_NEXMARK, SHAPE_YSB, SHAPE_PERSON, SHAPE_AUCTION };

enum { MASK_NONE, MASK_READ }; /* every column, or only those the shape's query reads */

struct bm_fmt {
    int fmt;
    int shape;
    int encode;
    int simdjson_only; /* JSON decoding with the fast path off */
    int mask;
};

/* The columns the shape's query reads: YSB's (ad_id, event_type, event_time) or Nexmark
 * q1's (event_type, the dateTimes, the bid's auction, bidder, price). */
static void read_mask(int shape, const struct sl_schema *s, bool *need)
{
    static const char *const ysb[] = {"ad_id", "event_type", "event_time", NULL};
    static const char *const q1[] = {"event_type",   "person.dateTime", "auction.dateTime",
                                     "bid.dateTime", "bid.auction",     "bid.bidder",
                                     "bid.price",    "dateTime",        "auction",
                                     "bidder",       "price",           NULL};
    const char *const *names = shape == SHAPE_YSB ? ysb : q1;
    for (uint32_t c = 0; c < s->ncols; c++) {
        need[c] = false;
        for (const char *const *n = names; *n; n++)
            need[c] |= strcmp(s->fields[c].name, *n) == 0;
    }
}

static struct sl_schema *nexmark_schema(bool bid_only, bool no_prefix)
{
    static const char *names[] = {
        "event_type",         "person.id",        "person.name",      "person.emailAddress",
        "person.creditCard",  "person.city",      "person.state",     "person.dateTime",
        "person.extra",       "auction.id",       "auction.itemName", "auction.description",
        "auction.initialBid", "auction.reserve",  "auction.dateTime", "auction.expires",
        "auction.seller",     "auction.category", "auction.extra",    "bid.auction",
        "bid.bidder",         "bid.price",        "bid.channel",      "bid.url",
        "bid.dateTime",       "bid.extra"};
    enum { NN = sizeof(names) / sizeof(names[0]) };
    struct sl_type t[NN];
    const char *n[NN];
    uint32_t k = 0;
    for (uint32_t i = 0; i < NN; i++) {
        if (bid_only && i != 0 && strncmp(names[i], "bid.", 4) != 0)
            continue;
        const char *f = strchr(names[i], '.') ? strchr(names[i], '.') + 1 : names[i];
        sl_type_id id = SL_TYPE_VARCHAR;
        if (!strcmp(f, "event_type"))
            id = SL_TYPE_INT;
        else if (!strcmp(f, "dateTime") || !strcmp(f, "expires"))
            id = SL_TYPE_TIMESTAMP;
        else if (!strcmp(f, "id") || !strcmp(f, "initialBid") || !strcmp(f, "reserve") ||
                 !strcmp(f, "seller") || !strcmp(f, "category") || !strcmp(f, "auction") ||
                 !strcmp(f, "bidder") || !strcmp(f, "price"))
            id = SL_TYPE_BIGINT;
        t[k] = sl_type_make(id, true);
        n[k++] = no_prefix ? f : names[i];
    }
    return sl_schema_new(k, n, t);
}

static struct sl_schema *ysb_schema(void)
{
    const char *n[] = {"user_id",    "page_id",    "ad_id",     "ad_type",
                       "event_type", "event_time", "ip_address"};
    struct sl_type t[7];
    for (int i = 0; i < 7; i++)
        t[i] = sl_type_make(i == 5 ? SL_TYPE_BIGINT : SL_TYPE_VARCHAR, true);
    return sl_schema_new(7, n, t);
}

static void uuid(char *out, uint64_t *rs)
{
    uint64_t a = sl_bench_rand(rs), b = sl_bench_rand(rs);
    sprintf(out, "%08x-%04x-%04x-%04x-%012llx", (unsigned)a, (unsigned)(a >> 32) & 0xffff,
            (unsigned)(a >> 48), (unsigned)b & 0xffff, (unsigned long long)(b >> 16));
}

/* RECS JSON records of the given shape, one after another in *buf; fills recs. */
static void make_json(int shape, struct sl_record *recs, char **buf, size_t *total)
{
    static const char *channels[] = {"Google", "Facebook", "Baidu", "Apple"};
    static const char *types[] = {"view", "click", "purchase"};
    struct sl_nexmark_gen *gen = NULL;
    struct sl_nexmark_event ev;
    size_t room = 512;
    if (shape == SHAPE_PERSON || shape == SHAPE_AUCTION) {
        struct sl_nexmark_config cfg;
        struct sl_error err;
        sl_nexmark_config_init(&cfg);
        if (sl_nexmark_gen_new(&cfg, &gen, &err) || sl_nexmark_event_init(&ev, gen))
            abort();
        room = sl_nexmark_json_max(gen);
    }
    char *b = malloc((size_t)RECS * room);
    size_t pos = 0;
    uint64_t rs = 17;
    int64_t next_ev = 0;
    for (int i = 0; i < RECS; i++) {
        char *p = b + pos;
        int n;
        if (gen) {
            int want = shape == SHAPE_PERSON ? SL_NEXMARK_PERSON : SL_NEXMARK_AUCTION;
            do
                sl_nexmark_gen_event(gen, next_ev++, &ev);
            while (ev.type != want);
            n = (int)sl_nexmark_event_json(&ev, p);
        } else if (shape == SHAPE_NEXMARK) {
            uint64_t r = sl_bench_rand(&rs);
            n = sprintf(p,
                        "{\"event_type\":2,\"person\":null,\"auction\":null,\"bid\":{"
                        "\"auction\":%llu,\"bidder\":%llu,\"price\":%llu,\"channel\":\"%s\","
                        "\"url\":\"https://www.nexmark.com/%s/item.htm?query=1&channel_id=%u\","
                        "\"dateTime\":\"2026-11-23 12:%02u:%02u.%03u\",\"extra\":\"%.*s\"}}",
                        (unsigned long long)(1000 + r % 1000),
                        (unsigned long long)(2000 + (r >> 10) % 10000),
                        (unsigned long long)(100 + (r >> 24) % 100000), channels[r % 4],
                        "vpkx/cgkc", (unsigned)(r >> 40) % 1000000, (unsigned)(i / 60000) % 60,
                        (unsigned)(i / 1000) % 60, (unsigned)i % 1000, (int)(8 + r % 16),
                        "abcdefghijklmnopqrstuvwxyz");
        } else {
            char u[3][40];
            for (int k = 0; k < 3; k++)
                uuid(u[k], &rs);
            n = sprintf(p,
                        "{\"user_id\":\"%s\",\"page_id\":\"%s\",\"ad_id\":\"%s\","
                        "\"ad_type\":\"banner78\",\"event_type\":\"%s\","
                        "\"event_time\":\"%lld\",\"ip_address\":\"1.2.3.4\"}",
                        u[0], u[1], u[2], types[i % 3], 1700000000000ll + i);
        }
        recs[i] = (struct sl_record){.topic = "bench",
                                     .partition = 0,
                                     .offset = i,
                                     .timestamp = -1,
                                     .value = p,
                                     .value_len = (size_t)n};
        pos += (size_t)n;
    }
    if (gen) {
        sl_nexmark_event_free(&ev);
        sl_nexmark_gen_free(gen);
    }
    *buf = b;
    *total = pos;
}

struct bm_env {
    struct sl_schema *schema;
    struct sl_heap *heap;
    struct sl_batch_pool *pool;
    struct sl_batch *b;
    void *codec;
    struct sl_record recs[RECS];
    char *json_buf;
    size_t bytes;
    struct sl_fmt_out out; /* the records in the benchmark's format */
};

/* libavro's generic value API as a decoder (formats/decode/avro_libavro): sluice's codec
 * writes the records, libavro reads them. */
struct bm_libavro {
    struct sl_avro *enc;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
    avro_reader_t reader;
};

static struct bm_libavro *libavro_new(struct sl_schema *s, struct sl_error *err)
{
    struct bm_libavro *l = calloc(1, sizeof(*l));
    if (!l || !(l->enc = sl_avro_new(s, NULL, err)))
        abort();
    const char *js = sl_avro_schema(l->enc);
    if (avro_schema_from_json_length(js, strlen(js), &l->schema) ||
        !(l->iface = avro_generic_class_from_schema(l->schema)) ||
        avro_generic_value_new(l->iface, &l->value) || !(l->reader = avro_reader_memory("", 0)))
        abort();
    return l;
}

static void libavro_free(struct bm_libavro *l)
{
    avro_reader_free(l->reader);
    avro_value_decref(&l->value);
    avro_value_iface_decref(l->iface);
    avro_schema_decref(l->schema);
    sl_avro_free(l->enc);
    free(l);
}

static int libavro_decode(struct bm_libavro *l, const struct sl_record *r, size_t n,
                          struct sl_batch *b, size_t *consumed, struct sl_error *err)
{
    size_t k = 0;
    for (; k < n && b->rows < SL_BATCH_CAP; k++) {
        uint32_t row = b->rows;
        avro_reader_memory_set_source(l->reader, r[k].value, (int64_t)r[k].value_len);
        if (avro_value_read(l->reader, &l->value))
            return sl_error_set(err, SL_ECORRUPT, "libavro: %s", avro_strerror());
        for (uint32_t c = 0; c < b->ncols; c++) {
            avro_value_t f, v;
            int disc;
            avro_value_get_by_index(&l->value, c, &f, NULL);
            avro_value_get_discriminant(&f, &disc);
            struct sl_column *col = &b->cols[c];
            if (disc == 0) {
                sl_col_set_null(col, row, true);
                continue;
            }
            avro_value_get_current_branch(&f, &v);
            if (col->type.id == SL_TYPE_INT) {
                avro_value_get_int(&v, &sl_col_i32(col)[row]);
            } else if (col->type.id == SL_TYPE_VARCHAR) {
                const char *s;
                size_t len;
                avro_value_get_string(&v, &s, &len);
                if (sl_fmt_store_varchar(b, c, row, s, len ? len - 1 : 0, err))
                    return err->code;
            } else {
                int64_t x;
                avro_value_get_long(&v, &x);
                sl_col_i64(col)[row] = x;
            }
            sl_col_set_null(col, row, false);
        }
        b->rows++;
    }
    *consumed = k;
    return 0;
}

static void *codec_new(int fmt, struct sl_schema *s, bool simdjson_only)
{
    struct sl_error err;
    if (simdjson_only)
        setenv("SLUICE_JSON_FAST", "off", 1);
    void *c = fmt == FMT_JSON   ? (void *)sl_json_new(s, NULL, &err)
              : fmt == FMT_CSV  ? (void *)sl_csv_new(s, NULL, &err)
              : fmt == FMT_RAW  ? (void *)sl_raw_new(s, NULL, &err)
              : fmt == FMT_AVRO ? (void *)sl_avro_new(s, NULL, &err)
                                : (void *)libavro_new(s, &err);
    if (simdjson_only)
        unsetenv("SLUICE_JSON_FAST");
    if (!c) {
        fprintf(stderr, "formats bench: %s\n", err.msg);
        abort();
    }
    return c;
}

static void codec_free(int fmt, void *c)
{
    if (fmt == FMT_JSON)
        sl_json_free(c);
    else if (fmt == FMT_CSV)
        sl_csv_free(c);
    else if (fmt == FMT_RAW)
        sl_raw_free(c);
    else if (fmt == FMT_AVRO)
        sl_avro_free(c);
    else
        libavro_free(c);
}

static void prune(int fmt, void *c, const bool *need, uint32_t n)
{
    if (fmt == FMT_JSON)
        sl_json_prune(c, need, n);
    else if (fmt == FMT_CSV)
        sl_csv_prune(c, need, n);
    else if (fmt == FMT_RAW)
        sl_raw_prune(c, need, n);
    else if (fmt == FMT_AVRO)
        sl_avro_prune(c, need, n);
}

static int decode(int fmt, void *c, const struct sl_record *r, size_t n, struct sl_batch *b,
                  size_t *consumed, struct sl_error *err)
{
    if (fmt == FMT_JSON)
        return sl_json_decode(c, r, n, b, NULL, consumed, err);
    if (fmt == FMT_CSV)
        return sl_csv_decode(c, r, n, b, NULL, consumed, err);
    if (fmt == FMT_RAW)
        return sl_raw_decode(c, r, n, b, NULL, consumed, err);
    if (fmt == FMT_AVRO)
        return sl_avro_decode(c, r, n, b, NULL, consumed, err);
    return libavro_decode(c, r, n, b, consumed, err);
}

static int encode(int fmt, void *c, struct sl_batch *b, struct sl_fmt_out *o, struct sl_error *err)
{
    if (fmt == FMT_JSON)
        return sl_json_encode(c, b, o, err);
    if (fmt == FMT_CSV)
        return sl_csv_encode(c, b, o, err);
    if (fmt == FMT_RAW)
        return sl_raw_encode(c, b, o, err);
    if (fmt == FMT_AVRO)
        return sl_avro_encode(c, b, o, err);
    return sl_avro_encode(((struct bm_libavro *)c)->enc, b, o, err);
}

/* Sets up: JSON records of the shape, decoded, and re-encoded in the benchmark's format
 * (so CSV and raw carry exactly the same rows). */
static int env_open(struct bm_env *e, const struct bm_fmt *p, struct sl_error *err)
{
    memset(e, 0, sizeof(*e));
    bool avro = p->fmt == FMT_AVRO || p->fmt == FMT_AVRO_LIBAVRO;
    e->schema = p->shape == SHAPE_YSB ? ysb_schema() : nexmark_schema(p->fmt != FMT_JSON, avro);
    e->heap = sl_heap_new();
    e->pool = sl_batch_pool_new(e->heap, e->schema, 4);
    e->b = sl_batch_pool_get(e->pool);
    struct sl_schema *js =
        p->shape == SHAPE_YSB ? ysb_schema() : nexmark_schema(p->fmt != FMT_JSON, false);
    void *jc = codec_new(FMT_JSON, js, true);
    make_json(p->shape, e->recs, &e->json_buf, &e->bytes);
    e->codec = codec_new(p->fmt, e->schema, p->simdjson_only);
    sl_fmt_out_init(&e->out);
    size_t done = 0;
    int rc = 0;
    while (done < RECS && !rc) {
        size_t got;
        sl_batch_reset(e->b);
        rc = decode(FMT_JSON, jc, e->recs + done, RECS - done, e->b, &got, err);
        if (!rc)
            rc = encode(p->fmt, e->codec, e->b, &e->out, err);
        done += got;
    }
    codec_free(FMT_JSON, jc);
    sl_schema_free(js);
    if (rc)
        return rc;
    if (p->mask == MASK_READ) {
        bool need[64];
        read_mask(p->shape, e->schema, need);
        prune(p->fmt, e->codec, need, e->schema->ncols);
    }
    if (p->fmt != FMT_JSON) { /* point the records at the re-encoded bytes */
        e->bytes = e->out.len;
        for (uint32_t i = 0; i < e->out.nrec; i++) {
            e->recs[i].value = sl_fmt_out_rec(&e->out, i);
            e->recs[i].value_len = sl_fmt_out_rec_len(&e->out, i);
        }
    }
    return 0;
}

static void env_close(struct bm_env *e, int fmt)
{
    codec_free(fmt, e->codec);
    sl_fmt_out_free(&e->out);
    free(e->json_buf);
    sl_batch_pool_put(e->b);
    sl_batch_pool_free(e->pool);
    sl_heap_free(e->heap);
    sl_schema_free(e->schema);
}

static void bm_formats(struct sl_bench *bench, void *arg)
{
    const struct bm_fmt *p = arg;
    static struct bm_env e;
    struct sl_error err;
    if (env_open(&e, p, &err)) {
        sl_bench_error(bench, err.msg);
        env_close(&e, p->fmt);
        return;
    }
    /* for encoding: the rows of one full batch, re-encoded RECS / SL_BATCH_CAP times */
    size_t got = 0;
    sl_batch_reset(e.b);
    decode(p->fmt, e.codec, e.recs, RECS, e.b, &got, &err);
    struct sl_fmt_out o;
    sl_fmt_out_init(&o);
    int64_t enc_bytes = 0;
    while (sl_bench_running(bench)) {
        if (p->encode) {
            enc_bytes = 0;
            for (uint32_t k = 0; k < RECS / e.b->rows; k++) {
                sl_fmt_out_clear(&o);
                if (encode(p->fmt, e.codec, e.b, &o, &err)) {
                    sl_bench_error(bench, err.msg);
                    break;
                }
                enc_bytes += (int64_t)o.len;
            }
            sl_bench_keep(o.data);
        } else {
            size_t done = 0;
            while (done < RECS) {
                sl_batch_reset(e.b);
                if (decode(p->fmt, e.codec, e.recs + done, RECS - done, e.b, &got, &err)) {
                    sl_bench_error(bench, err.msg);
                    break;
                }
                done += got;
            }
            sl_bench_keep(e.b->cols[0].data);
        }
    }
    if (p->encode) {
        sl_bench_items(bench, (RECS / e.b->rows) * e.b->rows);
        sl_bench_bytes(bench, enc_bytes);
    } else {
        sl_bench_items(bench, RECS);
        sl_bench_bytes(bench, (int64_t)e.bytes);
    }
    sl_bench_counter(bench, "bytes_per_record", (double)e.bytes / RECS);
    sl_fmt_out_free(&o);
    env_close(&e, p->fmt);
}

SL_BENCH_REGISTER(sl_bm_formats_register)
{
    static const char *fname[] = {"json", "csv", "raw", "avro", "avro_libavro"};
    static const char *sname[] = {"nexmark_bid", "ysb", "nexmark_person", "nexmark_auction"};
    static struct bm_fmt args[] = {
        {FMT_JSON, SHAPE_NEXMARK, 0, 0, 0},
        {FMT_JSON, SHAPE_PERSON, 0, 0, 0},
        {FMT_JSON, SHAPE_AUCTION, 0, 0, 0},
        {FMT_JSON, SHAPE_YSB, 0, 0, 0},
        {FMT_JSON, SHAPE_NEXMARK, 0, 1, 0},
        {FMT_JSON, SHAPE_PERSON, 0, 1, 0},
        {FMT_JSON, SHAPE_AUCTION, 0, 1, 0},
        {FMT_JSON, SHAPE_YSB, 0, 1, 0},
        {FMT_CSV, SHAPE_NEXMARK, 0, 0, 0},
        {FMT_RAW, SHAPE_NEXMARK, 0, 0, 0},
        {FMT_CSV, SHAPE_YSB, 0, 0, 0},
        {FMT_RAW, SHAPE_YSB, 0, 0, 0},
        /* projection pushdown */
        {FMT_JSON, SHAPE_YSB, 0, 0, MASK_READ},
        {FMT_JSON, SHAPE_YSB, 0, 1, MASK_READ},
        {FMT_CSV, SHAPE_YSB, 0, 0, MASK_READ},
        {FMT_RAW, SHAPE_YSB, 0, 0, MASK_READ},
        {FMT_JSON, SHAPE_NEXMARK, 0, 0, MASK_READ},
        {FMT_JSON, SHAPE_NEXMARK, 0, 1, MASK_READ},
        {FMT_CSV, SHAPE_NEXMARK, 0, 0, MASK_READ},
        {FMT_RAW, SHAPE_NEXMARK, 0, 0, MASK_READ},
        {FMT_JSON, SHAPE_NEXMARK, 1, 0, 0},
        {FMT_CSV, SHAPE_NEXMARK, 1, 0, 0},
        {FMT_RAW, SHAPE_NEXMARK, 1, 0, 0},
        {FMT_AVRO, SHAPE_NEXMARK, 0, 0, 0},
        {FMT_AVRO, SHAPE_YSB, 0, 0, 0},
        {FMT_AVRO_LIBAVRO, SHAPE_NEXMARK, 0, 0, 0},
        {FMT_AVRO_LIBAVRO, SHAPE_YSB, 0, 0, 0},
        {FMT_AVRO, SHAPE_YSB, 0, 0, MASK_READ},
        {FMT_AVRO, SHAPE_NEXMARK, 0, 0, MASK_READ},
        {FMT_AVRO, SHAPE_NEXMARK, 1, 0, 0},
        {FMT_AVRO, SHAPE_YSB, 1, 0, 0},
        {FMT_JSON, SHAPE_YSB, 1, 0, 0},
    };
    static char names[sizeof(args) / sizeof(args[0])][64];
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
        const char *m = args[i].mask != MASK_READ    ? ""
                        : args[i].shape == SHAPE_YSB ? "_3of7"
                                                     : "_q1";
        snprintf(names[i], sizeof(names[i]), "formats/%s/%s%s/%s%s",
                 args[i].encode ? "encode" : "decode", fname[args[i].fmt],
                 args[i].simdjson_only ? "_simdjson" : "", sname[args[i].shape], m);
        sl_bench_def_unit(sl_bench_add(names[i], bm_formats, &args[i]), 'u');
    }
}
