/*
 * tests/engine/test_fs_split.c - byte-range splits of the filesystem source.
 *
 * The oracle is independent of the reader: each test writes files record by record (json,
 * csv, raw) and keeps the rows they must give - every good record once, in file order - and
 * the number of bad ones. A run reads the files with N workers, 'sluice.split-size' S and
 * 'sluice.read-buffer' B (the 'skip' policy), and checks: the rows of all workers together
 * are exactly the expected rows (k is unique), each worker's rows come in file order (k
 * increasing), every row is reported with its file as split, each worker reports split_done
 * once per file of splits() in that order, and the bad count is the expected one.
 *
 *   alignment    small files with empty lines, CRLF, a final line with and without its
 *                newline, lines far longer than a split and than the buffer, csv quoted
 *                newlines (also text in quotes that looks like records, and an unclosed
 *                quote that runs to the end), raw frames of every size and a truncated
 *                last one, empty files: S = 1 (every byte a range boundary) and a spread
 *                of other sizes, N = 1..4, B = 1 byte, 7 bytes and the default, with the
 *                workers polled in turn and one after the other in reverse (the latter
 *                makes a range's reader find its first record alone, the former lets it
 *                use what the previous range's reader published)
 *   huge record  a record spanning ~900 ranges is read a few times, not once per range
 *                (counted in reads)
 *   memory       a 48 MB file in 12 MB ranges: the peak RSS grows by less than 8 MB
 *   threads      larger files, 2-4 workers on their own threads at once
 *   resume       a few polls, save every worker, a fresh source restores, reads to the end:
 *                the rows are still exactly the expected ones, each once (positions in the
 *                middle of ranges); a checkpoint of another split size or worker count is
 *                refused; the restores at 1 to 4 workers, at 1 and 3 with SLUICE_TEST_SMALL
 *                (tools/test.sh sets it in the ASan step)
 *   errors       a bad record (policy fail) in a split file names the file and its byte
 *                offset, whichever worker reads it; a failed read names the file and the
 *                offset (fault point fs_source.read); a short read changes nothing; option
 *                values ('64mb', '1 kb', 'x', '0', '2tb', too many ranges); bytes appended
 *                after the listing are not read, a file that shrank is an error naming it
 */
#include "tests/util/testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/conn/registry.h"
#include "engine/core/fault.h"
#include "tests/util/conntest.h"

#define FILE_K 1000000 /* k = file * FILE_K + record index */

/* ---- corpora ------------------------------------------------------------------------------- */

struct text {
    char *p;
    size_t n, cap;
};

static void put(struct text *t, const void *data, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = 2 * (t->n + n + 1);
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->n, data, n);
    t->n += n;
    t->p[t->n] = 0;
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void put_u32(struct text *t, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(t, b, 4);
}

struct row {
    int64_t k;
    char *s; /* NULL: SQL NULL */
    size_t len;
};

/* Files of records and the rows they must give. */
struct corpus {
    char *dir;
    char fmt[8];
    struct row *rows; /* every good record, file by file, in file order */
    size_t nrows, cap;
    unsigned bad;   /* bad records (the skip policy counts them) */
    uint64_t bytes; /* all files together */
    size_t huge;    /* the longest records are huge / 2 .. huge bytes */
};

static void expect_row(struct corpus *c, int64_t k, const char *s, size_t len)
{
    if (c->nrows == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->rows = realloc(c->rows, c->cap * sizeof(*c->rows));
        assert_non_null(c->rows);
    }
    struct row *r = &c->rows[c->nrows++];
    r->k = k;
    r->len = len;
    r->s = NULL;
    if (s) {
        r->s = malloc(len + 1);
        assert_non_null(r->s);
        memcpy(r->s, s, len);
        r->s[len] = 0;
    }
}

static void corpus_free(struct corpus *c)
{
    for (size_t i = 0; i < c->nrows; i++)
        free(c->rows[i].s);
    free(c->rows);
    sl_ct_rmdir(c->dir);
    free(c->dir);
    memset(c, 0, sizeof(*c));
}

/* Random letters into s (n bytes). */
static void letters(char *s, size_t n, uint64_t *rs)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + sl_test_rand(rs) % 26);
}

/* One json record (or an empty line, or a bad one) of key k onto t. `last`: the file's last
 * record, written with or without its line end. */
static void json_record(struct corpus *c, struct text *t, int64_t k, bool last, uint64_t *rs)
{
    char s[6000], line[13000];
    unsigned kind = (unsigned)(sl_test_rand(rs) % 12);
    size_t n = 0;
    int len;
    switch (kind) {
    case 0: /* an empty line (LF or CRLF): no record */
    case 1:
        line[0] = 0;
        len = 0;
        break;
    case 2: /* a bad record */
        len = snprintf(line, sizeof(line), "not json %lld", (long long)k);
        c->bad++;
        break;
    case 3: /* no s: NULL */
        len = snprintf(line, sizeof(line), "{\"k\":%lld}", (long long)k);
        expect_row(c, k, NULL, 0);
        break;
    case 4: /* far longer than a small split and a small buffer */
        n = c->huge / 2 + (size_t)(sl_test_rand(rs) % (c->huge / 2));
        letters(s, n, rs);
        len = snprintf(line, sizeof(line), "{\"s\":\"%.*s\",\"k\":%lld}", (int)n, s, (long long)k);
        expect_row(c, k, s, n);
        break;
    default: { /* letters, an escaped quote and an escaped newline now and then */
        n = (size_t)(sl_test_rand(rs) % 20);
        letters(s, n, rs);
        char esc[64];
        size_t e = 0;
        for (size_t i = 0; i < n; i++) {
            if (i == 3 && kind == 5) {
                s[i] = '"';
                esc[e++] = '\\';
                esc[e++] = '"';
            } else if (i == 2 && kind == 6) {
                s[i] = '\n';
                esc[e++] = '\\';
                esc[e++] = 'n';
            } else {
                esc[e++] = s[i];
            }
        }
        len =
            snprintf(line, sizeof(line), "{\"k\":%lld,\"s\":\"%.*s\"}", (long long)k, (int)e, esc);
        expect_row(c, k, s, n);
    }
    }
    put(t, line, (size_t)len);
    if (last && sl_test_rand(rs) % 2)
        return; /* no line end after the last line */
    puts_(t, sl_test_rand(rs) % 3 ? "\n" : "\r\n");
}

/* One csv record (or a bad one) of key k onto t. `last`: written with or without its line
 * end; never an empty line (an empty last line without its newline is no line at all). */
static void csv_record(struct corpus *c, struct text *t, int64_t k, bool last, uint64_t *rs)
{
    char s[6000];
    unsigned kind = (unsigned)(sl_test_rand(rs) % 12);
    if (last && kind == 0)
        kind = 5;
    char head[32];
    snprintf(head, sizeof(head), "%lld,", (long long)k);
    size_t n = 0;
    switch (kind) {
    case 0: /* an empty line: an empty record, bad */
        c->bad++;
        break;
    case 1: /* too many fields: bad */
        puts_(t, head);
        puts_(t, "x,y");
        c->bad++;
        break;
    case 2: /* an empty unquoted field: NULL */
        puts_(t, head);
        expect_row(c, k, NULL, 0);
        break;
    case 3: /* "": the empty string */
        puts_(t, head);
        puts_(t, "\"\"");
        expect_row(c, k, "", 0);
        break;
    case 4: { /* quoted text that looks like records, quotes, CRLF inside quotes */
        static const char *const v[] = {"\n1,fake\n2,\"\"x\"\"\n", "a\"\"b\r\nc", "\"\"\n\"\"",
                                        "\n", ",\n,"};
        const char *q = v[sl_test_rand(rs) % 5];
        puts_(t, head);
        puts_(t, "\"");
        puts_(t, q);
        puts_(t, "\"");
        for (const char *p = q; *p; p++) {
            s[n++] = *p;
            if (*p == '"')
                p++; /* "" is one quote */
        }
        expect_row(c, k, s, n);
        break;
    }
    case 5: /* far longer than a small split and a small buffer, with quoted newlines */
        n = c->huge / 2 + (size_t)(sl_test_rand(rs) % (c->huge / 2));
        letters(s, n, rs);
        for (size_t i = 7; i < n; i += 97)
            s[i] = '\n';
        puts_(t, head);
        puts_(t, "\"");
        put(t, s, n);
        puts_(t, "\"");
        expect_row(c, k, s, n);
        break;
    default: /* letters */
        n = 1 + (size_t)(sl_test_rand(rs) % 20);
        letters(s, n, rs);
        puts_(t, head);
        put(t, s, n);
        expect_row(c, k, s, n);
    }
    if (last && sl_test_rand(rs) % 2)
        return;
    puts_(t, sl_test_rand(rs) % 3 ? "\n" : "\r\n");
}

/* One raw frame of key k onto t (schema k BIGINT NOT NULL, s VARCHAR): 1 bitmap byte, k,
 * then s's length and bytes; now and then a frame that is no record of the schema (bad). */
static void raw_record(struct corpus *c, struct text *t, int64_t k, uint64_t *rs)
{
    char s[6000];
    unsigned kind = (unsigned)(sl_test_rand(rs) % 12);
    if (kind == 0) { /* 3 bytes: too short for the schema */
        put_u32(t, 3);
        puts_(t, "xyz");
        c->bad++;
        return;
    }
    size_t n = kind == 1 ? c->huge / 2 + (size_t)(sl_test_rand(rs) % (c->huge / 2))
                         : (size_t)(sl_test_rand(rs) % 20);
    bool null = kind == 2;
    if (null)
        n = 0;
    letters(s, n, rs);
    put_u32(t, (uint32_t)(1 + 8 + 4 + n));
    unsigned char bitmap = null ? 2 : 0;
    put(t, &bitmap, 1);
    uint64_t kv = (uint64_t)k;
    for (int i = 0; i < 8; i++) {
        unsigned char b = (unsigned char)(kv >> (8 * i));
        put(t, &b, 1);
    }
    put_u32(t, (uint32_t)n);
    put(t, s, n);
    expect_row(c, k, null ? NULL : s, n);
}

static void write_text(const char *dir, const char *name, const struct text *t)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (t->n)
        assert_int_equal(fwrite(t->p, 1, t->n, f), t->n);
    fclose(f);
}

/* A directory of `nfiles` files of `fmt` with records[i] records each (0: an empty file), the
 * longest up to `huge` bytes (at most 6000); csv files may end in an unclosed quote
 * (`unclosed`), raw files in a truncated frame. */
static void corpus_make(struct corpus *c, const char *fmt, const unsigned *records, int nfiles,
                        size_t huge, bool unclosed, uint64_t seed)
{
    memset(c, 0, sizeof(*c));
    c->huge = huge;
    c->dir = sl_ct_tmpdir();
    snprintf(c->fmt, sizeof(c->fmt), "%s", fmt);
    uint64_t rs = seed;
    for (int f = 0; f < nfiles; f++) {
        struct text t = {0};
        for (unsigned i = 0; i < records[f]; i++) {
            int64_t k = (int64_t)f * FILE_K + i;
            bool last = i + 1 == records[f];
            if (!strcmp(fmt, "json"))
                json_record(c, &t, k, last, &rs);
            else if (!strcmp(fmt, "csv"))
                csv_record(c, &t, k, last, &rs);
            else
                raw_record(c, &t, k, &rs);
        }
        if (records[f] && unclosed && !strcmp(fmt, "csv")) {
            /* an unclosed quote: one bad record that runs to the end of the file */
            if (t.n && t.p[t.n - 1] != '\n')
                puts_(&t, "\n");
            puts_(&t, "9,\"unclosed\n1,a\n2,b\n");
            c->bad++;
        }
        if (records[f] && unclosed && !strcmp(fmt, "raw")) {
            put_u32(&t, 1000); /* a frame longer than the rest of the file */
            puts_(&t, "abc");
            c->bad++;
        }
        char name[32];
        snprintf(name, sizeof(name), "f%02d.%s", f, fmt);
        write_text(c->dir, name, &t);
        c->bytes += t.n;
        free(t.p);
    }
}

/* ---- reading ------------------------------------------------------------------------------- */

/* What one worker read. */
struct wread {
    struct row *rows;
    size_t n, cap;
    int32_t done[64]; /* the splits it reported done, in order */
    uint32_t ndone;
    bool finished;
};

static void wread_free(struct wread *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->rows[i].s);
    free(w->rows);
    memset(w, 0, sizeof(*w));
}

/* A source of table f over corpus c: N workers, split size and read buffer (NULL: the
 * default), policy `policy`. */
struct reader {
    struct sl_job *job;
    const struct sl_table *t;
    struct sl_connector_env env;
    struct sl_schema *schema;
    struct sl_source *src;
    int nw;
    struct sl_ct_ctx ctx[4];
    struct sl_batch_pool *pool[4];
    struct sl_error err;
};

static int reader_open(struct reader *r, const struct corpus *c, int nw, const char *split,
                       const char *rbuf, const char *policy)
{
    char sql[2048], opts[256] = "";
    size_t k = 0;
    if (split)
        k += (size_t)snprintf(opts + k, sizeof(opts) - k, ", 'sluice.split-size' = '%s'", split);
    if (rbuf)
        k += (size_t)snprintf(opts + k, sizeof(opts) - k, ", 'sluice.read-buffer' = '%s'", rbuf);
    snprintf(sql, sizeof(sql),
             "CREATE TABLE f (k BIGINT NOT NULL, s VARCHAR) WITH ('connector' = 'filesystem', "
             "'path' = '%s', 'format' = '%s', 'sluice.bad-records' = '%s'%s);",
             c->dir, c->fmt, policy, opts);
    memset(r, 0, sizeof(*r));
    r->nw = nw;
    r->job = sl_ct_job(sql);
    r->t = sl_ct_table(r->job, "f");
    r->env = sl_ct_env(r->job, stdout);
    r->schema = sl_plan_rel_schema(&r->t->physical);
    int rc = sl_source_open(r->t, &r->env, nw, &r->src, &r->err);
    for (int w = 0; w < nw; w++) {
        sl_ct_ctx_init(&r->ctx[w], w, nw, r->job);
        r->pool[w] = sl_batch_pool_new(r->ctx[w].ctx.heap, r->schema, 1);
    }
    return rc;
}

static void reader_close(struct reader *r)
{
    if (r->src)
        r->src->ops->free(r->src);
    for (int w = 0; w < r->nw; w++) {
        sl_batch_pool_free(r->pool[w]);
        sl_ct_ctx_free(&r->ctx[w]);
    }
    sl_schema_free(r->schema);
    sl_job_free(r->job);
}

/* One poll of worker w with context c and batches from pool; its rows into `out`. Returns
 * the poll's code (err set). */
static int reader_poll_in(struct reader *r, int w, struct sl_ct_ctx *c, struct sl_batch_pool *pool,
                          struct wread *out, struct sl_error *err)
{
    struct sl_batch *b = sl_batch_pool_get(pool);
    struct sl_source_info info;
    int rc = r->src->ops->poll(r->src, &c->ctx, b, 0, &info, err);
    if (!rc) {
        for (uint32_t i = 0; i < b->rows; i++) {
            if (out->n == out->cap) {
                out->cap = out->cap ? 2 * out->cap : 256;
                out->rows = realloc(out->rows, out->cap * sizeof(*out->rows));
                assert_non_null(out->rows);
            }
            struct row *x = &out->rows[out->n++];
            x->k = sl_col_i64(&b->cols[0])[i];
            x->s = NULL;
            x->len = 0;
            if (!sl_col_is_null(&b->cols[1], i)) {
                sl_str v = sl_col_str(&b->cols[1])[i];
                x->len = v.len;
                x->s = malloc(v.len + 1);
                assert_non_null(x->s);
                memcpy(x->s, sl_str_data(&v), v.len);
                x->s[v.len] = 0;
            }
            if (info.split != x->k / FILE_K)
                fail_msg("worker %d: row k=%lld reported as split %d", w, (long long)x->k,
                         info.split);
        }
        if (info.split_done) {
            assert_true(out->ndone < 64);
            out->done[out->ndone++] = info.split;
        }
        if (info.worker_done)
            out->finished = true;
    }
    sl_batch_pool_put(b);
    return rc;
}

/* One poll of worker w in the reader's own context (on the thread that opened it). */
static int reader_poll(struct reader *r, int w, struct wread *out)
{
    return reader_poll_in(r, w, &r->ctx[w], r->pool[w], out, &r->err);
}

static void reader_poll_ok(struct reader *r, int w, struct wread *out)
{
    if (reader_poll(r, w, out))
        fail_msg("worker %d: %s", w, r->err.msg);
}

enum order { TURNS, REVERSE, THREADS };

struct thread_arg {
    struct reader *r;
    int w;
    struct wread *out;
    int rc;
    struct sl_error err;
    uint64_t bad;
};

/* A worker on its own thread, as the executor runs it: its context (and memory heap, which
 * belongs to the thread that made it) made there. */
static void *reader_thread(void *p)
{
    struct thread_arg *a = p;
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, a->w, a->r->nw, a->r->job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, a->r->schema, 1);
    while (!a->out->finished && !(a->rc = reader_poll_in(a->r, a->w, &c, pool, a->out, &a->err)))
        ;
    a->bad = c.stats.bad_records;
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    return NULL;
}

/* Reads every worker to its end in `order`. */
static void reader_run(struct reader *r, enum order order, struct wread *out)
{
    if (order == THREADS) {
        pthread_t th[4];
        struct thread_arg a[4];
        for (int w = 0; w < r->nw; w++) {
            a[w] = (struct thread_arg){.r = r, .w = w, .out = &out[w]};
            assert_int_equal(pthread_create(&th[w], NULL, reader_thread, &a[w]), 0);
        }
        for (int w = 0; w < r->nw; w++) {
            pthread_join(th[w], NULL);
            if (a[w].rc)
                fail_msg("worker %d: %s", w, a[w].err.msg);
            r->ctx[w].stats.bad_records += a[w].bad;
        }
        return;
    }
    if (order == REVERSE) {
        for (int w = r->nw - 1; w >= 0; w--)
            while (!out[w].finished)
                reader_poll_ok(r, w, &out[w]);
        return;
    }
    for (bool all = false; !all;) {
        all = true;
        for (int w = 0; w < r->nw; w++)
            if (!out[w].finished) {
                reader_poll_ok(r, w, &out[w]);
                all = false;
            }
    }
}

static int row_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct row *)a)->k, y = ((const struct row *)b)->k;
    return x < y ? -1 : x > y;
}

/* The checks of the header comment; `what` names the run in failures. */
static void check_read(struct reader *r, const struct corpus *c, struct wread *out,
                       const char *what)
{
    size_t total = 0;
    uint64_t bad = 0;
    for (int w = 0; w < r->nw; w++) {
        total += out[w].n;
        bad += r->ctx[w].stats.bad_records;
        for (size_t i = 1; i < out[w].n; i++)
            if (out[w].rows[i].k <= out[w].rows[i - 1].k)
                fail_msg("%s: worker %d read k=%lld after k=%lld (not file order)", what, w,
                         (long long)out[w].rows[i].k, (long long)out[w].rows[i - 1].k);
        int32_t ids[64];
        uint32_t n = 0;
        assert_int_equal(r->src->ops->splits(r->src, w, ids, 64, &n), 0);
        if (n != out[w].ndone || (n && memcmp(ids, out[w].done, n * sizeof(*ids))))
            fail_msg("%s: worker %d reported %u splits done, splits() lists %u", what, w,
                     out[w].ndone, n);
        assert_true(out[w].finished);
    }
    struct row *all = malloc((total ? total : 1) * sizeof(*all));
    assert_non_null(all);
    size_t k = 0;
    for (int w = 0; w < r->nw; w++)
        for (size_t i = 0; i < out[w].n; i++)
            all[k++] = out[w].rows[i];
    qsort(all, total, sizeof(*all), row_cmp);
    for (size_t i = 0; i < total && i < c->nrows; i++) {
        const struct row *g = &all[i], *e = &c->rows[i];
        if (g->k != e->k)
            fail_msg("%s: row %zu has k=%lld, want k=%lld", what, i, (long long)g->k,
                     (long long)e->k);
        if (!g->s != !e->s || (g->s && (g->len != e->len || memcmp(g->s, e->s, g->len))))
            fail_msg("%s: k=%lld has s '%s', want '%s'", what, (long long)g->k,
                     g->s ? g->s : "NULL", e->s ? e->s : "NULL");
    }
    if (total != c->nrows)
        fail_msg("%s: %zu rows, want %zu", what, total, c->nrows);
    if (bad != c->bad)
        fail_msg("%s: %llu bad records, want %u", what, (unsigned long long)bad, c->bad);
    free(all);
}

/* Reads corpus c with N workers, split size, buffer and order; checks. */
static void read_check(const struct corpus *c, int nw, const char *split, const char *rbuf,
                       enum order order)
{
    char what[1024];
    snprintf(what, sizeof(what), "%s, %d workers, split-size %s, read-buffer %s, order %d", c->fmt,
             nw, split ? split : "default", rbuf ? rbuf : "default", (int)order);
    struct reader r;
    if (reader_open(&r, c, nw, split, rbuf, "skip"))
        fail_msg("%s: %s", what, r.err.msg);
    struct wread out[4] = {{0}};
    reader_run(&r, order, out);
    check_read(&r, c, out, what);
    for (int w = 0; w < nw; w++)
        wread_free(&out[w]);
    reader_close(&r);
}

/* ---- alignment ----------------------------------------------------------------------------- */

static void alignment(const char *fmt, uint64_t seed)
{
    /* a file of a few records, an empty one, a file of more */
    static const unsigned recs[] = {9, 0, 25};
    for (int variant = 0; variant < 2; variant++) {
        struct corpus c;
        corpus_make(&c, fmt, recs, 3, 600, variant == 1, seed + (uint64_t)variant);
        char sizes[16][24];
        int ns = 0;
        static const unsigned fixed[] = {1, 2, 3, 5, 8, 13, 31, 64, 100, 257, 1000};
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
            snprintf(sizes[ns++], sizeof(sizes[0]), "%u", fixed[i]);
        snprintf(sizes[ns++], sizeof(sizes[0]), "%llu", (unsigned long long)c.bytes / 2);
        snprintf(sizes[ns++], sizeof(sizes[0]), "%llu", (unsigned long long)c.bytes);
        static const char *const bufs[] = {"1", "7", NULL};
        for (int nw = 1; nw <= 4; nw++) {
            read_check(&c, nw, NULL, NULL, TURNS); /* one range per file */
            /* every byte a range boundary, with every buffer, in both orders */
            for (int b = 0; b < 3; b++) {
                read_check(&c, nw, "1", bufs[b], TURNS);
                read_check(&c, nw, "1", bufs[b], REVERSE);
            }
            for (int s = 1; s < ns; s++)
                read_check(&c, nw, sizes[s], bufs[s % 3], s % 2 ? TURNS : REVERSE);
        }
        corpus_free(&c);
    }
}

static void test_alignment_json(void **state)
{
    (void)state;
    alignment("json", 1);
}

static void test_alignment_csv(void **state)
{
    (void)state;
    alignment("csv", 2);
}

static void test_alignment_raw(void **state)
{
    (void)state;
    alignment("raw", 3);
}

/* Only empty files, and no file at all. */
static void test_empty(void **state)
{
    (void)state;
    static const unsigned none[] = {0, 0, 0};
    static const char *const fmts[] = {"json", "csv", "raw"};
    for (int f = 0; f < 3; f++) {
        struct corpus c;
        corpus_make(&c, fmts[f], none, 3, 600, false, 5);
        for (int nw = 1; nw <= 4; nw++)
            read_check(&c, nw, "1", "1", TURNS);
        corpus_free(&c);
        corpus_make(&c, fmts[f], none, 0, 600, false, 5);
        for (int nw = 1; nw <= 4; nw++)
            read_check(&c, nw, "1", NULL, TURNS);
        corpus_free(&c);
    }
}

/* A record of 900 KB (records up to 1 MiB are good) spanning some 900 ranges of 1 kb: right,
 * and read a few times, not once per range (a range inside the record learns where the
 * next record starts from the scan that found it, instead of scanning the rest of the
 * record again). Counted in reads of 64 KB. */
static void test_huge_record(void **state)
{
    (void)state;
    static const char *const fmts[] = {"json", "csv", "raw"};
    size_t big = 900u << 10;
    char *s = malloc(big);
    assert_non_null(s);
    uint64_t rs = 7;
    letters(s, big, &rs);
    for (int f = 0; f < 3; f++) {
        struct corpus c;
        static const unsigned none[] = {0};
        corpus_make(&c, fmts[f], none, 0, 600, false, 1); /* an empty directory */
        struct text t = {0};
        for (int64_t k = 0; k < 40; k++) {
            bool huge = k == 17;
            size_t n = huge ? big : 10;
            if (f == 1 && huge)
                for (size_t i = 5; i < n; i += 1000)
                    s[i] = '\n'; /* csv: quoted newlines all along */
            char head[64];
            if (f == 0) {
                snprintf(head, sizeof(head), "{\"k\":%lld,\"s\":\"", (long long)k);
                puts_(&t, head);
                put(&t, s, n);
                puts_(&t, "\"}\n");
            } else if (f == 1) {
                snprintf(head, sizeof(head), "%lld,\"", (long long)k);
                puts_(&t, head);
                put(&t, s, n);
                puts_(&t, "\"\n");
            } else {
                put_u32(&t, (uint32_t)(1 + 8 + 4 + n));
                unsigned char z = 0;
                put(&t, &z, 1);
                for (int i = 0; i < 8; i++) {
                    unsigned char b = (unsigned char)((uint64_t)k >> (8 * i));
                    put(&t, &b, 1);
                }
                put_u32(&t, (uint32_t)n);
                put(&t, s, n);
            }
            expect_row(&c, k, s, n);
            if (f == 1 && huge)
                for (size_t i = 5; i < n; i += 1000)
                    s[i] = 'x';
        }
        write_text(c.dir, "f00.dat", &t);
        c.bytes = t.n;
        free(t.p);
        struct sl_error err;
        for (int nw = 1; nw <= 4; nw++) {
            for (int order = TURNS; order <= REVERSE; order++) {
                assert_int_equal(sl_fault_set(NULL, &err), 0); /* counts from 0 */
                read_check(&c, nw, "1kb", "64kb", (enum order)order);
                unsigned reads = sl_fault_hits("fs_source.read");
                unsigned bound = 8 * (unsigned)(c.bytes >> 16) + 64;
                if (reads > bound)
                    fail_msg("%s, %d workers: %u reads of the file, want at most %u", c.fmt, nw,
                             reads, bound);
            }
        }
        corpus_free(&c);
    }
    free(s);
}

/* ---- memory -------------------------------------------------------------------------------- */

/* VmRSS or VmHWM of this process in KiB (0 when /proc does not say). */
static unsigned long proc_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long v = 0;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, key, kl) && line[kl] == ':')
            v = strtoul(line + kl + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* A 48 MB file read by 2 workers in 12 MB ranges with 1 MB buffers: the process's peak
 * resident memory grows by far less than a range (a buffer that took in a whole range, or
 * a mapped file, would show). The rows are counted, not kept. */
static void test_memory(void **state)
{
    (void)state;
    FILE *cr = fopen("/proc/self/clear_refs", "w"); /* "5" resets VmHWM (Linux 4.0) */
    if (!cr || fputs("5", cr) < 0 || fflush(cr) != 0) {
        if (cr)
            fclose(cr);
        fprintf(stderr, "test_memory: skipped (cannot reset the peak RSS here)\n");
        return;
    }
    fclose(cr);
    struct corpus c = {0};
    c.dir = sl_ct_tmpdir();
    snprintf(c.fmt, sizeof(c.fmt), "json");
    char path[1024];
    snprintf(path, sizeof(path), "%s/big.json", c.dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    int64_t nrows = 0, ksum = 0;
    for (long size = 0; size < (48l << 20); nrows++) {
        int n = fprintf(f, "{\"k\":%lld,\"s\":\"%060lld\"}\n", (long long)nrows, (long long)nrows);
        size += n;
        ksum += nrows;
    }
    fclose(f);
    struct reader r;
    assert_int_equal(reader_open(&r, &c, 2, "16mb", "1mb", "fail"), 0);
    cr = fopen("/proc/self/clear_refs", "w");
    assert_non_null(cr);
    fputs("5", cr);
    fclose(cr);
    unsigned long before = proc_kib("VmRSS");
    int64_t got = 0, gsum = 0;
    bool done[2] = {false, false};
    while (!done[0] || !done[1])
        for (int w = 0; w < 2; w++) {
            if (done[w])
                continue;
            struct sl_batch *b = sl_batch_pool_get(r.pool[w]);
            struct sl_source_info info;
            if (r.src->ops->poll(r.src, &r.ctx[w].ctx, b, 0, &info, &r.err))
                fail_msg("%s", r.err.msg);
            for (uint32_t i = 0; i < b->rows; i++)
                gsum += sl_col_i64(&b->cols[0])[i];
            got += b->rows;
            done[w] = info.worker_done;
            sl_batch_pool_put(b);
        }
    unsigned long peak = proc_kib("VmHWM");
    assert_int_equal(got, nrows);
    assert_int_equal(gsum, ksum);
    if (peak > before + (8ul << 10))
        fail_msg("reading a 48 MB file in 12 MB ranges raised the peak RSS from %lu to %lu KiB",
                 before, peak);
    reader_close(&r);
    sl_ct_rmdir(c.dir);
    free(c.dir);
}

/* ---- threads ------------------------------------------------------------------------------- */

static void test_threads(void **state)
{
    (void)state;
    static const unsigned recs[] = {3000, 50, 4000};
    static const char *const fmts[] = {"json", "csv", "raw"};
    for (int f = 0; f < 3; f++) {
        struct corpus c;
        corpus_make(&c, fmts[f], recs, 3, 6000, true, 40 + (uint64_t)f);
        for (int rep = 0; rep < 3; rep++) {
            read_check(&c, 4, "4kb", "1kb", THREADS);
            read_check(&c, 3, "10000", NULL, THREADS);
            read_check(&c, 2, "64kb", "2kb", THREADS);
        }
        corpus_free(&c);
    }
}

/* ---- resume -------------------------------------------------------------------------------- */

/* Whether `off` is the start of a range of a file of `len` bytes, by the rule of
 * docs/connectors.md: one range when len <= split, else ceil(len / split) rounded up to a
 * multiple of nw ranges of equal size to a byte. */
static bool range_start(uint64_t len, uint64_t split, int nw, uint64_t off)
{
    uint64_t k = len <= split ? 1 : (len + split - 1) / split;
    k = k == 1 ? 1 : (k + (uint64_t)nw - 1) / (uint64_t)nw * (uint64_t)nw;
    for (uint64_t i = 0; i < k; i++)
        if (off == i * (len / k) + (i < len % k ? i : len % k))
            return true;
    return off == len;
}

/* Every worker polls `k` times (in turn), all save; a fresh source restores every worker and
 * reads to the end: the rows of both sources together must be exactly the expected ones.
 * Returns how many workers saved a position inside a range (not at its start). */
static int resume_once(const struct corpus *c, int nw, const char *split, uint64_t split_bytes,
                       const char *rbuf, long k)
{
    char what[1024];
    snprintf(what, sizeof(what), "%s, %d workers, split-size %s, saved after %ld polls", c->fmt, nw,
             split, k);
    struct reader r;
    if (reader_open(&r, c, nw, split, rbuf, "skip"))
        fail_msg("%s: %s", what, r.err.msg);
    struct wread out[4] = {{0}};
    struct sl_sbuf st[4], sum[4];
    int mid = 0;
    for (long i = 0; i < k; i++)
        for (int w = 0; w < nw; w++)
            if (!out[w].finished)
                reader_poll_ok(&r, w, &out[w]);
    for (int w = 0; w < nw; w++) {
        sl_sbuf_init(&st[w]);
        sl_sbuf_init(&sum[w]);
        assert_int_equal(r.src->ops->save(r.src, w, &st[w], &sum[w], &r.err), 0);
        out[w].finished = false; /* a worker done before stays done: it says so again */
        unsigned file;
        unsigned long long off;
        char text[64], path[1024];
        if (!sum[w].len)
            continue;
        assert_true(sum[w].len < sizeof(text));
        memcpy(text, sum[w].p, sum[w].len);
        text[sum[w].len] = 0;
        assert_int_equal(sscanf(text, "%u=%llu", &file, &off), 2);
        snprintf(path, sizeof(path), "%s/f%02u.%s", c->dir, file, c->fmt);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_true(off <= (unsigned long long)sb.st_size);
        mid += !range_start((uint64_t)sb.st_size, split_bytes, nw, off);
    }
    r.src->ops->free(r.src);
    r.src = NULL;
    assert_int_equal(sl_source_open(r.t, &r.env, nw, &r.src, &r.err), 0);
    for (int w = 0; w < nw; w++) {
        struct sl_sread in;
        sl_sread_init(&in, st[w].p, st[w].len, "source f");
        if (r.src->ops->restore(r.src, &r.ctx[w].ctx, &in, &r.err))
            fail_msg("%s: restore of worker %d: %s", what, w, r.err.msg);
    }
    reader_run(&r, TURNS, out);
    for (int w = 0; w < nw; w++) {
        sl_sbuf_free(&st[w]);
        sl_sbuf_free(&sum[w]);
    }
    /* each worker's rows (before the save, then after the restore) in file order with no
     * row twice, all rows once, the splits done before and after the restore those of
     * splits(), each once, and the bad records of both sources (the stats are the same
     * contexts') the expected count */
    check_read(&r, c, out, what);
    for (int w = 0; w < nw; w++)
        wread_free(&out[w]);
    reader_close(&r);
    return mid;
}

static void test_resume(void **state)
{
    (void)state;
    /* 1 MiB ranges of thousands of rows, so that a full batch ends inside a range */
    static const unsigned recs[] = {40000, 0, 20000};
    static const char *const fmts[] = {"json", "csv", "raw"};
    static const long ks[] = {0, 1, 2, 5};
    /* SLUICE_TEST_SMALL (tools/test.sh's ASan step): 1 and 3 workers only - each path once;
     * 2 and 4 workers repeat them (the release build) */
    const bool small = getenv("SLUICE_TEST_SMALL") && *getenv("SLUICE_TEST_SMALL");
    for (int f = 0; f < 3; f++) {
        struct corpus c;
        corpus_make(&c, fmts[f], recs, 3, 1000, true, 60 + (uint64_t)f);
        int mid = 0, runs = 0;
        for (int nw = 1; nw <= 4; nw += small ? 2 : 1)
            for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
                mid += resume_once(&c, nw, "100kb", 100 << 10, "3kb", ks[i]);
                mid += resume_once(&c, nw, "1mb", 1 << 20, NULL, ks[i]);
                runs += 2;
            }
        /* the point: positions inside ranges were saved and restored (at least 20 of the 32
         * runs of the whole test, as many in proportion in the small one) */
        if (mid * 32 < 20 * runs)
            fail_msg("%s: only %d saves inside a range of %d runs", fmts[f], mid, runs);
        corpus_free(&c);
    }
}

/* A checkpoint of another split size or worker count is refused, naming why. */
static void test_resume_refused(void **state)
{
    (void)state;
    static const unsigned recs[] = {3000};
    struct corpus c;
    corpus_make(&c, "csv", recs, 1, 6000, false, 70);
    struct reader r;
    assert_int_equal(reader_open(&r, &c, 2, "8kb", NULL, "skip"), 0);
    struct wread out[2] = {{0}};
    reader_poll_ok(&r, 0, &out[0]);
    struct sl_sbuf st, sum;
    sl_sbuf_init(&st);
    sl_sbuf_init(&sum);
    assert_int_equal(r.src->ops->save(r.src, 0, &st, &sum, &r.err), 0);
    /* the summary: "<split>=<offset>", the offset inside the file */
    unsigned split;
    unsigned long long off;
    char text[64];
    assert_true(sum.len > 0 && sum.len < sizeof(text));
    memcpy(text, sum.p, sum.len);
    text[sum.len] = 0;
    assert_int_equal(sscanf(text, "%u=%llu", &split, &off), 2);
    assert_int_equal(split, 0);
    assert_true(off > 0 && off < c.bytes);
    reader_close(&r);
    wread_free(&out[0]);

    struct reader r2;
    struct sl_sread in;
    assert_int_equal(reader_open(&r2, &c, 2, "16kb", NULL, "skip"), 0);
    sl_sread_init(&in, st.p, st.len, "source f");
    assert_int_equal(r2.src->ops->restore(r2.src, &r2.ctx[0].ctx, &in, &r2.err), SL_ECORRUPT);
    if (!strstr(r2.err.msg, "sluice.split-size") || !strstr(r2.err.msg, "8192"))
        fail_msg("%s", r2.err.msg);
    reader_close(&r2);
    assert_int_equal(reader_open(&r2, &c, 3, "8kb", NULL, "skip"), 0);
    sl_sread_init(&in, st.p, st.len, "source f");
    assert_int_equal(r2.src->ops->restore(r2.src, &r2.ctx[0].ctx, &in, &r2.err), SL_ECORRUPT);
    if (!strstr(r2.err.msg, "2 workers"))
        fail_msg("%s", r2.err.msg);
    reader_close(&r2);
    /* state version 1 (one file per worker, before splits) is refused, saying so */
    static const uint8_t v1[1] = {1};
    assert_int_equal(reader_open(&r2, &c, 2, "8kb", NULL, "skip"), 0);
    sl_sread_init(&in, v1, 1, "source f");
    assert_int_equal(r2.src->ops->restore(r2.src, &r2.ctx[0].ctx, &in, &r2.err), SL_ECORRUPT);
    if (!strstr(r2.err.msg, "source f: the checkpoint was taken by a sluice that read one file") ||
        !strstr(r2.err.msg, "--restart"))
        fail_msg("%s", r2.err.msg);
    reader_close(&r2);
    /* the same table restores */
    assert_int_equal(reader_open(&r2, &c, 2, "8kb", NULL, "skip"), 0);
    sl_sread_init(&in, st.p, st.len, "source f");
    assert_int_equal(r2.src->ops->restore(r2.src, &r2.ctx[0].ctx, &in, &r2.err), 0);
    reader_close(&r2);
    sl_sbuf_free(&st);
    sl_sbuf_free(&sum);
    corpus_free(&c);
}

/* ---- errors -------------------------------------------------------------------------------- */

/* A bad record in the middle of a split file fails the worker that owns it, with the file
 * and the record's byte offset; the other workers read on. */
static void test_bad_record_offset(void **state)
{
    (void)state;
    struct corpus c = {0};
    c.dir = sl_ct_tmpdir();
    snprintf(c.fmt, sizeof(c.fmt), "json");
    struct text t = {0};
    size_t off = 0;
    for (int i = 0; i < 400; i++) {
        char line[64];
        if (i == 251) {
            off = t.n;
            puts_(&t, "{\"k\":oops}\n");
            continue;
        }
        snprintf(line, sizeof(line), "{\"k\":%d,\"s\":\"v%d\"}\n", i, i);
        puts_(&t, line);
    }
    write_text(c.dir, "in.json", &t);
    char want[1024];
    snprintf(want, sizeof(want), "file '%s/in.json' offset %zu", c.dir, off);
    for (int nw = 1; nw <= 4; nw++) {
        struct reader r;
        assert_int_equal(reader_open(&r, &c, nw, "1000", "50", "fail"), 0);
        struct wread out[4] = {{0}};
        int failed = 0;
        for (bool all = false; !all;) {
            all = true;
            for (int w = 0; w < nw; w++) {
                if (out[w].finished)
                    continue;
                all = false;
                if (reader_poll(&r, w, &out[w])) {
                    if (!strstr(r.err.msg, want))
                        fail_msg("%d workers: %s (want '%s')", nw, r.err.msg, want);
                    failed++;
                    out[w].finished = true;
                }
            }
        }
        assert_int_equal(failed, 1);
        for (int w = 0; w < nw; w++)
            wread_free(&out[w]);
        reader_close(&r);
    }
    free(t.p);
    sl_ct_rmdir(c.dir);
    free(c.dir);
}

/* A failed read names the file and the offset; a short read changes nothing. */
static void test_read_faults(void **state)
{
    (void)state;
    static const unsigned recs[] = {2000};
    struct corpus c;
    corpus_make(&c, "csv", recs, 1, 6000, false, 80);
    struct sl_error err;
    assert_int_equal(sl_fault_set("fs_source.read:SHORT@2", &err), 0);
    read_check(&c, 2, "10kb", "4kb", TURNS);
    assert_true(sl_fault_hits("fs_source.read") > 2);
    assert_int_equal(sl_fault_set("fs_source.read:EIO@3", &err), 0);
    struct reader r;
    assert_int_equal(reader_open(&r, &c, 1, "10kb", "4kb", "skip"), 0);
    struct wread out = {0};
    int rc = 0;
    while (!out.finished && !(rc = reader_poll(&r, 0, &out)))
        ;
    assert_int_equal(rc, SL_EIO);
    char want[1024];
    snprintf(want, sizeof(want), "file '%s/f00.csv': read at offset ", c.dir);
    if (!strstr(r.err.msg, want) || !strstr(r.err.msg, "Input/output error"))
        fail_msg("%s", r.err.msg);
    wread_free(&out);
    reader_close(&r);
    assert_int_equal(sl_fault_set(NULL, &err), 0);
    corpus_free(&c);
}

/* The files are read as they were listed: bytes appended after the source opened are not
 * read; a file that shrank is an error that names it. */
static void test_file_changes(void **state)
{
    (void)state;
    static const unsigned recs[] = {500};
    struct corpus c;
    corpus_make(&c, "json", recs, 1, 600, false, 95);
    char path[1024];
    snprintf(path, sizeof(path), "%s/f00.json", c.dir);
    struct reader r;
    assert_int_equal(reader_open(&r, &c, 2, "4kb", "1kb", "skip"), 0);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs("\n{\"k\":999999,\"s\":\"late\"}\n", f); /* after the listing */
    fclose(f);
    struct wread out[2] = {{0}};
    reader_run(&r, TURNS, out);
    check_read(&r, &c, out, "json, appended after the listing");
    for (int w = 0; w < 2; w++)
        wread_free(&out[w]);
    reader_close(&r);
    assert_int_equal(reader_open(&r, &c, 2, "4kb", "1kb", "skip"), 0);
    assert_int_equal(truncate(path, (off_t)(c.bytes / 2)), 0);
    struct wread o[2] = {{0}};
    int rc = 0;
    for (int w = 0; w < 2 && !rc; w++)
        while (!o[w].finished && !(rc = reader_poll(&r, w, &o[w])))
            ;
    assert_int_equal(rc, SL_EIO);
    char want[1200];
    snprintf(want, sizeof(want), "file '%s'", path);
    if (!strstr(r.err.msg, want) || !strstr(r.err.msg, "it changed"))
        fail_msg("%s", r.err.msg);
    wread_free(&o[0]);
    wread_free(&o[1]);
    reader_close(&r);
    corpus_free(&c);
}

static void open_err(const struct corpus *c, const char *split, int code, const char *want)
{
    struct reader r;
    int rc = reader_open(&r, c, 2, split, NULL, "skip");
    if (rc != code || (want && !strstr(r.err.msg, want)))
        fail_msg("split-size '%s': rc %d (%s), want %d and '%s'", split, rc, rc ? r.err.msg : "",
                 code, want ? want : "");
    reader_close(&r);
}

static void test_options(void **state)
{
    (void)state;
    static const unsigned recs[] = {100};
    struct corpus c;
    corpus_make(&c, "json", recs, 1, 600, false, 90);
    open_err(&c, "64mb", 0, NULL);
    open_err(&c, "64 MB", 0, NULL);
    open_err(&c, "1 kb", 0, NULL);
    open_err(&c, "7bytes", 0, NULL);
    open_err(&c, "1tb", 0, NULL);
    open_err(&c, "x", SL_EINVAL,
             "table 'f': option 'sluice.split-size': not a size: 'x' (bytes, or a number with "
             "a unit: kb, mb, gb, tb)\n  CREATE TABLE");
    open_err(&c, "12 parsecs", SL_EINVAL, "not a size: '12 parsecs'");
    open_err(&c, "0", SL_ERANGE, "option 'sluice.split-size': '0' is out of range [1 byte, 1 tb]");
    open_err(&c, "2tb", SL_ERANGE, "out of range");
    open_err(&c, "99999999999999999999999", SL_ERANGE, "out of range");
    corpus_free(&c);
    /* too many ranges */
    static const unsigned many[] = {60000};
    corpus_make(&c, "json", many, 1, 600, false, 91);
    assert_true(c.bytes > (1u << 20));
    open_err(&c, "1", SL_ERANGE, "into more than 1048576 ranges: choose a larger split size");
    corpus_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_json), cmocka_unit_test(test_alignment_csv),
        cmocka_unit_test(test_alignment_raw),  cmocka_unit_test(test_empty),
        cmocka_unit_test(test_huge_record),    cmocka_unit_test(test_memory),
        cmocka_unit_test(test_threads),        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_resume_refused), cmocka_unit_test(test_bad_record_offset),
        cmocka_unit_test(test_read_faults),    cmocka_unit_test(test_file_changes),
        cmocka_unit_test(test_options),
    };
    if (getenv("SLUICE_TEST_FILTER")) /* e.g. test_threads, to repeat one test */
        cmocka_set_test_filter(getenv("SLUICE_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
