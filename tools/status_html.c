/*
 * tools/status_html.c - `sluice status --html` (tools/status_html.h).
 */
#include "tools/status_html.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/plan/settings.h"

/* ---- a scrape: HTTP GET and the Prometheus text format ---------------------------------- */

#define SL_SH_LABELS 8
#define SL_SH_BODY_MAX (8u << 20)
#define SL_SH_TIMEOUT_MS 2000

struct sl_sh_sample {
    char *name;
    int nl;
    char *k[SL_SH_LABELS], *v[SL_SH_LABELS];
    double val;
};

struct sl_sh_scrape {
    bool ok;
    char why[160]; /* when not ok */
    double t;      /* monotonic seconds of the response */
    struct sl_sh_sample *s;
    size_t n, cap;
    char *text; /* the body; the samples' strings point into it */
};

static double sl_sh_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The body as it comes (libcurl's write callback). */
struct sl_sh_body {
    char *p;
    size_t len, cap;
    bool too_long;
};

static size_t sl_sh_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sl_sh_body *b = arg;
    size_t n = size * nmemb;
    if (b->len + n + 1 > SL_SH_BODY_MAX) {
        b->too_long = true;
        return 0; /* libcurl ends the transfer (CURLE_WRITE_ERROR) */
    }
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np)
            return 0;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
    return n;
}

/* One member's GET (sl_sh_get_all): its handle, the body as it comes, libcurl's message. */
struct sl_sh_get {
    CURL *c;
    bool added; /* to the multi handle */
    bool done;  /* libcurl said it ended, with rc */
    CURLcode rc;
    double t; /* monotonic seconds when it ended */
    struct sl_sh_body b;
    char ebuf[CURL_ERROR_SIZE];
};

/* Makes g's handle for url ("http://HOST:PORT/PATH"), to end within SL_SH_TIMEOUT_MS of its
 * start; false with the reason in why when there can be none. */
static bool sl_sh_get_init(struct sl_sh_get *g, const char *url, char *why, size_t whycap)
{
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(why, whycap, "not an http:// address");
        return false;
    }
    g->c = curl_easy_init();
    if (!g->c) {
        snprintf(why, whycap, "libcurl: cannot make a handle");
        return false;
    }
    /* plain HTTP to the address the member published: no proxy from the environment, no
     * redirect, no signals (the timeouts are libcurl's own, not SIGALRM) */
    if (curl_easy_setopt(g->c, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(g->c, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK) {
        snprintf(why, whycap, "a malformed address");
        return false;
    }
    curl_easy_setopt(g->c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(g->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(g->c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(g->c, CURLOPT_TIMEOUT_MS, (long)SL_SH_TIMEOUT_MS);
    curl_easy_setopt(g->c, CURLOPT_CONNECTTIMEOUT_MS, (long)SL_SH_TIMEOUT_MS);
    curl_easy_setopt(g->c, CURLOPT_WRITEFUNCTION, sl_sh_write);
    curl_easy_setopt(g->c, CURLOPT_WRITEDATA, &g->b);
    curl_easy_setopt(g->c, CURLOPT_ERRORBUFFER, g->ebuf);
    return true;
}

/* The outcome of g, which libcurl ended with g->rc: the body into *body (malloc'd,
 * NUL-terminated), or false with the reason in why (an endpoint that accepts the connection
 * but does not answer - a frozen process - says "no complete answer in 2000 ms"). */
static bool sl_sh_get_result(struct sl_sh_get *g, char **body, char *why, size_t whycap)
{
    *body = NULL;
    if (g->rc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connected = 0;
        curl_easy_getinfo(g->c, CURLINFO_CONNECT_TIME_T, &connected);
        if (connected > 0)
            snprintf(why, whycap, "no complete answer in %d ms", SL_SH_TIMEOUT_MS);
        else
            snprintf(why, whycap, "connect: no answer in %d ms", SL_SH_TIMEOUT_MS);
        return false;
    }
    if (g->b.too_long) {
        snprintf(why, whycap, "an answer of more than %u bytes", SL_SH_BODY_MAX);
        return false;
    }
    if (g->rc != CURLE_OK) {
        snprintf(why, whycap, "%s", g->ebuf[0] ? g->ebuf : curl_easy_strerror(g->rc));
        return false;
    }
    long code = 0;
    curl_easy_getinfo(g->c, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) {
        snprintf(why, whycap, "HTTP status %ld", code);
        return false;
    }
    if (!g->b.p && !(g->b.p = calloc(1, 1))) { /* an empty body */
        snprintf(why, whycap, "out of memory");
        return false;
    }
    *body = g->b.p;
    g->b.p = NULL;
    return true;
}

/* Parses one label value in place at *p (just after the opening quote): unescapes \\ \" \n,
 * leaves *p after the closing quote; NULL when malformed. */
static char *sl_sh_label_value(char **p)
{
    char *s = *p, *o = s;
    for (; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 'n' ? '\n' : *s;
        } else {
            *o++ = *s;
        }
    }
    if (*s != '"')
        return NULL;
    char *start = *p;
    *p = s + 1;
    *o = 0;
    return start;
}

/* Parses the exposition text sc->text in place into sc->s; lines it cannot read are skipped
 * (a later sluice may add what this one does not know). */
static int sl_sh_parse(struct sl_sh_scrape *sc)
{
    char *line = sc->text;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *next = nl ? nl + 1 : NULL;
        if (*line == '#' || *line == 0) {
            line = next;
            continue;
        }
        struct sl_sh_sample smp = {.name = line};
        char *p = line;
        while (*p && *p != '{' && *p != ' ')
            p++;
        bool good = true;
        if (*p == '{') {
            *p++ = 0;
            while (good && *p && *p != '}') {
                char *k = p;
                while (*p && *p != '=')
                    p++;
                if (*p != '=' || p[1] != '"') {
                    good = false;
                    break;
                }
                *p = 0;
                p += 2;
                char *v = sl_sh_label_value(&p);
                if (!v || smp.nl == SL_SH_LABELS) {
                    good = false;
                    break;
                }
                smp.k[smp.nl] = k;
                smp.v[smp.nl++] = v;
                if (*p == ',')
                    p++;
            }
            if (*p != '}')
                good = false;
            else
                p++;
        } else if (*p == ' ') {
            *p = 0;
            p++;
        } else {
            good = false;
        }
        if (good) {
            while (*p == ' ')
                p++;
            char *end;
            smp.val = strtod(p, &end);
            good = end != p;
        }
        if (good) {
            if (sc->n == sc->cap) {
                size_t nc = sc->cap ? sc->cap * 2 : 256;
                struct sl_sh_sample *ns = realloc(sc->s, nc * sizeof(*ns));
                if (!ns)
                    return SL_ENOMEM;
                sc->s = ns;
                sc->cap = nc;
            }
            sc->s[sc->n++] = smp;
        }
        line = next;
    }
    return 0;
}

/* Scrapes urls[i] into *sc[i] for each i < n whose urls[i] is not NULL, all at once through
 * libcurl's multi interface: every GET starts now and ends within SL_SH_TIMEOUT_MS, so that
 * members that do not answer cost one timeout together, not one each. One that does not
 * answer is kept with the reason (sc[i]->ok false); only SL_ENOMEM fails. */
static int sl_sh_scrape_all(const char *const *urls, struct sl_sh_scrape *const *sc, size_t n)
{
    struct sl_sh_get *g = calloc(n ? n : 1, sizeof(*g));
    if (!g)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (urls[i])
            memset(sc[i], 0, sizeof(*sc[i]));
    CURLM *m = curl_multi_init();
    CURLMcode mc = m ? CURLM_OK : CURLM_OUT_OF_MEMORY;
    for (size_t i = 0; i < n && m; i++) {
        if (!urls[i] || !sl_sh_get_init(&g[i], urls[i], sc[i]->why, sizeof(sc[i]->why)))
            continue;
        curl_easy_setopt(g[i].c, CURLOPT_PRIVATE, (void *)&g[i]);
        CURLMcode ac = curl_multi_add_handle(m, g[i].c);
        if (ac != CURLM_OK)
            snprintf(sc[i]->why, sizeof(sc[i]->why), "libcurl: %s", curl_multi_strerror(ac));
        else
            g[i].added = true;
    }
    int running = 1;
    while (m && running) {
        if ((mc = curl_multi_perform(m, &running)) != CURLM_OK)
            break;
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                char *pv = NULL;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &pv);
                struct sl_sh_get *d = (struct sl_sh_get *)(void *)pv;
                if (d) {
                    d->rc = msg->data.result;
                    d->done = true;
                    d->t = sl_sh_now();
                }
            }
        /* waits for a socket or libcurl's next timeout, whichever is first */
        if (running && (mc = curl_multi_poll(m, NULL, 0, SL_SH_TIMEOUT_MS, NULL)) != CURLM_OK)
            break;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct sl_sh_scrape *s = sc[i];
        if (g[i].added && !g[i].done)
            snprintf(s->why, sizeof(s->why), "libcurl: %s",
                     curl_multi_strerror(mc != CURLM_OK ? mc : CURLM_INTERNAL_ERROR));
        else if (g[i].done && sl_sh_get_result(&g[i], &s->text, s->why, sizeof(s->why))) {
            s->t = g[i].t;
            if (!rc && !(rc = sl_sh_parse(s)))
                s->ok = true;
        }
        if (!m && urls[i])
            snprintf(s->why, sizeof(s->why), "libcurl: cannot make a multi handle");
        if (g[i].added)
            curl_multi_remove_handle(m, g[i].c);
        if (g[i].c)
            curl_easy_cleanup(g[i].c);
        free(g[i].b.p);
    }
    if (m)
        curl_multi_cleanup(m);
    free(g);
    return rc;
}

static void sl_sh_scrape_free(struct sl_sh_scrape *sc)
{
    free(sc->s);
    free(sc->text);
    memset(sc, 0, sizeof(*sc));
}

static const char *sl_sh_label(const struct sl_sh_sample *s, const char *k)
{
    for (int i = 0; i < s->nl; i++)
        if (!strcmp(s->k[i], k))
            return s->v[i];
    return NULL;
}

/* The sample of `sc` with a's name and labels, or NULL. */
static const struct sl_sh_sample *sl_sh_same(const struct sl_sh_scrape *sc,
                                             const struct sl_sh_sample *a)
{
    for (size_t i = 0; i < sc->n; i++) {
        const struct sl_sh_sample *b = &sc->s[i];
        if (b->nl != a->nl || strcmp(b->name, a->name) != 0)
            continue;
        bool same = true;
        for (int j = 0; j < a->nl && same; j++) {
            const char *v = sl_sh_label(b, a->k[j]);
            same = v && !strcmp(v, a->v[j]);
        }
        if (same)
            return b;
    }
    return NULL;
}

/* The sum of `name` over every sample (0 and *found false when there is none). */
static double sl_sh_sum(const struct sl_sh_scrape *sc, const char *name, bool *found)
{
    double sum = 0;
    bool any = false;
    for (size_t i = 0; sc->ok && i < sc->n; i++)
        if (!strcmp(sc->s[i].name, name)) {
            sum += sc->s[i].val;
            any = true;
        }
    if (found)
        *found = any;
    return sum;
}

/* ---- bars: the rows of a chart, grouped by a key -------------------------------------- */

struct sl_sh_bar {
    char label[192];
    double v;
    char text[64];
};

struct sl_sh_bars {
    struct sl_sh_bar *b;
    size_t n, cap;
    bool oom;
};

/* Adds v to the bar labelled `label` (a new one when there is none). */
static void sl_sh_add(struct sl_sh_bars *bs, const char *label, double v)
{
    for (size_t i = 0; i < bs->n; i++)
        if (!strcmp(bs->b[i].label, label)) {
            bs->b[i].v += v;
            return;
        }
    if (bs->n == bs->cap) {
        size_t nc = bs->cap ? bs->cap * 2 : 16;
        struct sl_sh_bar *nb = realloc(bs->b, nc * sizeof(*nb));
        if (!nb) {
            bs->oom = true;
            return;
        }
        bs->b = nb;
        bs->cap = nc;
    }
    struct sl_sh_bar *b = &bs->b[bs->n++];
    memset(b, 0, sizeof(*b));
    snprintf(b->label, sizeof(b->label), "%s", label);
    b->v = v;
}

/* ---- HTML and SVG ---------------------------------------------------------------------- */

/* s with & < > " escaped (text and attribute values alike). */
static void sl_sh_esc(FILE *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", o);
            break;
        case '<':
            fputs("&lt;", o);
            break;
        case '>':
            fputs("&gt;", o);
            break;
        case '"':
            fputs("&quot;", o);
            break;
        default:
            fputc(*s, o);
        }
    }
}

static void sl_sh_num(char *buf, size_t cap, double v)
{
    if (isinf(v))
        snprintf(buf, cap, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        snprintf(buf, cap, "NaN");
    else if (fabs(v) >= 1e9)
        snprintf(buf, cap, "%.2fG", v / 1e9);
    else if (fabs(v) >= 1e6)
        snprintf(buf, cap, "%.2fM", v / 1e6);
    else if (fabs(v) >= 1e4)
        snprintf(buf, cap, "%.1fk", v / 1e3);
    else if (v == floor(v) || fabs(v) >= 100)
        snprintf(buf, cap, "%.0f", v);
    else if (fabs(v) >= 1)
        snprintf(buf, cap, "%.1f", v);
    else
        snprintf(buf, cap, "%.3g", v);
}

/* Seconds as s, min, h or d. */
static void sl_sh_secs(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        sl_sh_num(buf, cap, v);
    else if (fabs(v) >= 2 * 86400)
        snprintf(buf, cap, "%.1f d", v / 86400);
    else if (fabs(v) >= 2 * 3600)
        snprintf(buf, cap, "%.1f h", v / 3600);
    else if (fabs(v) >= 120)
        snprintf(buf, cap, "%.1f min", v / 60);
    else
        snprintf(buf, cap, "%.2f s", v);
}

static void sl_sh_bytes(char *buf, size_t cap, double v)
{
    if (v >= 1 << 30)
        snprintf(buf, cap, "%.2f GiB", v / (1 << 30));
    else if (v >= 1 << 20)
        snprintf(buf, cap, "%.2f MiB", v / (1 << 20));
    else if (v >= 1 << 10)
        snprintf(buf, cap, "%.1f KiB", v / (1 << 10));
    else
        snprintf(buf, cap, "%.0f B", v);
}

#define SL_SH_W 520
#define SL_SH_LABEL_W 222
#define SL_SH_LABEL_CHARS 34 /* a longer label keeps its end, after an ellipsis */
#define SL_SH_BAR_H 18
#define SL_SH_ROW_H 24

/* A horizontal bar chart; bars with no text get sl_sh_num of their value plus unit. */
static void sl_sh_chart(FILE *o, const char *id, const char *title, const char *unit,
                        struct sl_sh_bars *bs, const char *color, const char *none)
{
    fprintf(o, "<section class=\"chart\" id=\"%s\"><h3>", id);
    sl_sh_esc(o, title);
    fputs("</h3>\n", o);
    if (bs->n == 0) {
        fputs("<p class=\"none\">", o);
        sl_sh_esc(o, none);
        fputs("</p></section>\n", o);
        return;
    }
    double max = 0;
    for (size_t i = 0; i < bs->n; i++)
        if (isfinite(bs->b[i].v) && bs->b[i].v > max)
            max = bs->b[i].v;
    int h = (int)bs->n * SL_SH_ROW_H + 8, area = SL_SH_W - SL_SH_LABEL_W - 80;
    fprintf(o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\">\n",
            SL_SH_W, h, SL_SH_W, h);
    for (size_t i = 0; i < bs->n; i++) {
        struct sl_sh_bar *b = &bs->b[i];
        int y = 4 + (int)i * SL_SH_ROW_H;
        double frac = !isfinite(b->v) ? 1.0 : max > 0 && b->v > 0 ? b->v / max : 0;
        int w = (int)(frac * area + 0.5);
        if (b->v > 0 && w < 2)
            w = 2;
        if (!b->text[0]) {
            char n[48];
            sl_sh_num(n, sizeof(n), b->v);
            snprintf(b->text, sizeof(b->text), "%s%s%s", n, unit[0] ? " " : "", unit);
        }
        fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">", SL_SH_LABEL_W - 8,
                y + 13);
        size_t ll = strlen(b->label);
        if (ll > SL_SH_LABEL_CHARS) {
            const char *tail = b->label + ll - (SL_SH_LABEL_CHARS - 1);
            while ((*tail & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
                tail++;
            fputs("&#8230;", o);
            sl_sh_esc(o, tail);
        } else {
            sl_sh_esc(o, b->label);
        }
        fprintf(o,
                "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eef1f5\"/>"
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>",
                SL_SH_LABEL_W, y, area, SL_SH_BAR_H, SL_SH_LABEL_W, y, w, SL_SH_BAR_H, color);
        fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"v\">", SL_SH_LABEL_W + area + 6, y + 13);
        sl_sh_esc(o, b->text);
        fputs("</text>\n", o);
    }
    fputs("</svg></section>\n", o);
}

static void sl_sh_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The records read between two offsets summaries ("key=N,key=N,...", the epoch record's
 * `offsets`: next offsets of Kafka partitions, next event indexes of generators): the sum of
 * cur - prev over the keys in both. False when no key is in both (a summary cut at its
 * size limit ends in "...": its last, cut item matches nothing). */
static bool sl_sh_offsets_delta(const char *prev, const char *cur, double *out)
{
    bool any = false;
    double sum = 0;
    for (const char *c = cur; *c;) {
        const char *ce = strchr(c, ','), *eq = strchr(c, '=');
        size_t clen = ce ? (size_t)(ce - c) : strlen(c);
        if (eq && eq < c + clen) {
            size_t klen = (size_t)(eq - c) + 1; /* the key and its '=' */
            char *vend;
            long long v = strtoll(eq + 1, &vend, 10);
            for (const char *q = prev; vend == c + clen && *q;) {
                const char *qe = strchr(q, ',');
                size_t qlen = qe ? (size_t)(qe - q) : strlen(q);
                if (qlen > klen && !strncmp(q, c, klen)) {
                    char *qend;
                    long long pv = strtoll(q + klen, &qend, 10);
                    if (qend == q + qlen && v >= pv) {
                        sum += (double)(v - pv);
                        any = true;
                    }
                    break;
                }
                q += qlen + (qe ? 1 : 0);
            }
        }
        c += clen + (ce ? 1 : 0);
    }
    *out = sum;
    return any;
}

/* Columns, one per committed epoch of the history after the first: v[i] for history[i]
 * (ok[i] false: no column). */
static void sl_sh_columns(FILE *o, const struct sl_status_page *p, const char *id,
                          const char *title, const char *unit, const double *v, const bool *ok,
                          const char *color)
{
    fprintf(o, "<section class=\"chart\" id=\"%s\"><h3>", id);
    sl_sh_esc(o, title);
    fputs("</h3>\n", o);
    size_t n = p->nhistory ? p->nhistory - 1 : 0, have = 0;
    double max = 0;
    for (size_t i = 1; i < p->nhistory; i++)
        if (ok[i]) {
            have++;
            if (v[i] > max)
                max = v[i];
        }
    if (!have) {
        fprintf(o, "<p class=\"none\">%s</p></section>\n",
                p->nhistory > 1 ? "nothing to show in the history"
                : p->nhistory   ? "one committed epoch in the history: nothing to compare yet"
                                : "no committed epoch in the history");
        return;
    }
    if (max <= 0)
        max = 1;
    int H = 170, top = 20, bottom = 30, left = 64, W = SL_SH_W;
    int plot = H - top - bottom, colw = (W - left - 6) / (int)n;
    fprintf(o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\">\n",
            W, H, W, H);
    char t[48];
    sl_sh_num(t, sizeof(t), max);
    fprintf(o,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">%s%s</text>"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">0</text>\n",
            left, top + plot, W - 6, top + plot, left, top, W - 6, top, left - 6, top + 4, t, unit,
            left - 6, top + plot + 4);
    for (size_t i = 1; i < p->nhistory; i++) {
        int x = left + 3 + (int)(i - 1) * colw, cw = colw - 6 > 2 ? colw - 6 : 2;
        fprintf(o,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"l\">%" PRId64 "</text>\n",
                x + cw / 2, top + plot + 14, p->history[i].epoch);
        if (!ok[i])
            continue;
        int bh = (int)(v[i] / max * plot + 0.5);
        if (v[i] > 0 && bh < 2)
            bh = 2;
        sl_sh_num(t, sizeof(t), v[i]);
        fprintf(o,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"v\">%s</text>\n",
                x, top + plot - bh, cw, bh, color, x + cw / 2, top + plot - bh - 4, t);
    }
    fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"l\">epoch</text>\n",
            left + (W - left) / 2, H - 2);
    fputs("</svg></section>\n", o);
}

/* The committed epochs of the history: the time from the previous commit to each, and the
 * records read in it (from the offsets summaries). */
static int sl_sh_epochs(FILE *o, const struct sl_status_page *p, struct sl_error *err)
{
    size_t n = p->nhistory ? p->nhistory : 1;
    double *t = calloc(n, sizeof(*t)), *r = calloc(n, sizeof(*r));
    bool *tok = calloc(n, sizeof(*tok)), *rok = calloc(n, sizeof(*rok));
    int rc = 0;
    if (!t || !r || !tok || !rok) {
        rc = sl_error_set(err, SL_ENOMEM, "status --html: out of memory");
        goto out;
    }
    for (size_t i = 1; i < p->nhistory; i++) {
        t[i] = (double)(p->history[i].committed_ms - p->history[i - 1].committed_ms);
        tok[i] = true;
        rok[i] = sl_sh_offsets_delta(p->history[i - 1].offsets, p->history[i].offsets, &r[i]);
    }
    fputs("<div class=\"charts\">\n", o);
    sl_sh_columns(o, p, "epochs", "Committed epochs: time since the previous commit", " ms", t, tok,
                  "#5b8def");
    sl_sh_columns(o, p, "epoch-records", "Committed epochs: records read (source offsets)", "", r,
                  rok, "#3fa37a");
    fputs("</div>\n", o);
out:
    free(t);
    free(r);
    free(tok);
    free(rok);
    return rc;
}

static const char sl_sh_css[] =
    "body{font:14px/1.4 sans-serif;margin:16px 24px;color:#1d2330;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px "
    "solid #dde2ea}h3{font-size:14px;margin:8px 0 4px;font-weight:600}"
    ".sub{color:#5a6373;margin:0 0 12px}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde2ea;border-radius:"
    "6px;padding:8px 14px;min-width:120px}.card b{display:block;font-size:20px}"
    ".card span{color:#5a6373;font-size:12px}"
    ".charts{display:flex;flex-wrap:wrap;gap:8px 24px}.chart{width:520px}.chart.wide{width:"
    "100%}"
    "table{border-collapse:collapse;margin:4px 0}td,th{border-bottom:1px solid #e6e9ef;padding:"
    "3px 10px;text-align:left;font-size:13px}th{background:#f4f6f9}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".none{color:#8a93a3;font-style:italic}.bad{color:#b3261e}"
    "svg .l{font:11px sans-serif;fill:#3b4352}svg .v{font:12px sans-serif;fill:#1d2330}";

/* Every member's pair of scrapes. */
struct sl_sh_member {
    struct sl_sh_scrape a, b; /* b: the later one (the figures shown) */
};

struct sl_status_scrapes {
    size_t n;
    struct sl_sh_member m[];
};

int sl_status_scrape(const struct sl_member *ms, size_t n, int gap_ms,
                     struct sl_status_scrapes **out, struct sl_error *err)
{
    struct sl_status_scrapes *s = calloc(1, sizeof(*s) + (n ? n : 1) * sizeof(s->m[0]));
    if (!s)
        return sl_error_set(err, SL_ENOMEM, "status --html: out of memory");
    s->n = n;
    /* once per scrape, before any handle (the program has one thread here) */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(s);
        return sl_error_set(err, SL_EIO, "status --html: libcurl cannot start");
    }
    int rc = 0;
    const char **urls = calloc(n ? n : 1, sizeof(*urls));
    struct sl_sh_scrape **to = calloc(n ? n : 1, sizeof(*to));
    bool any = false;
    if (!urls || !to)
        rc = SL_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        urls[i] = ms[i].metrics[0] ? ms[i].metrics : NULL;
        to[i] = &s->m[i].a;
        any |= urls[i] != NULL;
    }
    if (!rc && any)
        rc = sl_sh_scrape_all(urls, to, n);
    /* the second scrape: of those that answered the first (one that did not is not waited
     * for again), gap_ms later */
    any = false;
    for (size_t i = 0; i < n && !rc; i++) {
        urls[i] = ms[i].metrics[0] && s->m[i].a.ok ? ms[i].metrics : NULL;
        to[i] = &s->m[i].b;
        any |= urls[i] != NULL;
    }
    if (!rc && any && gap_ms > 0) {
        struct timespec ts = {gap_ms / 1000, (long)(gap_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    if (!rc && any)
        rc = sl_sh_scrape_all(urls, to, n);
    free(urls);
    free(to);
    curl_global_cleanup();
    if (rc) {
        sl_status_scrapes_free(s);
        return sl_error_set(err, rc, "status --html: out of memory reading the metrics");
    }
    *out = s;
    return 0;
}

void sl_status_scrapes_free(struct sl_status_scrapes *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        sl_sh_scrape_free(&s->m[i].a);
        sl_sh_scrape_free(&s->m[i].b);
    }
    free(s);
}

/* Short name of a member for chart labels: its host and pid. */
static void sl_sh_who(const struct sl_member *m, size_t nm, char *buf, size_t cap)
{
    if (nm <= 1)
        buf[0] = 0;
    else
        snprintf(buf, cap, "%s/%" PRId64 " ", m->host, m->pid);
}

int sl_status_html(FILE *o, const struct sl_status_page *p, const struct sl_status_scrapes *scr,
                   struct sl_error *err)
{
    size_t nm = p->nmembers < scr->n ? p->nmembers : scr->n;
    const struct sl_sh_member *sc = scr->m;
    int rc = 0;
    int gap_ms = 0;
    for (size_t i = 0; i < nm && !gap_ms; i++)
        if (sc[i].a.ok && sc[i].b.ok)
            gap_ms = (int)((sc[i].b.t - sc[i].a.t) * 1000 + 0.5);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    char when[32];
    sl_sh_time(now_ms, when, sizeof(when));

    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sluice job ",
          o);
    sl_sh_esc(o, p->job);
    fprintf(o,
            "</title>\n<meta name=\"generator\" content=\"sluice status --html\">\n<style>%s"
            "</style></head>\n<body>\n<h1>sluice job <span id=\"job\">",
            sl_sh_css);
    sl_sh_esc(o, p->job);
    fprintf(o, "</span></h1>\n<p class=\"sub\">%s UTC &middot; ZooKeeper ", when);
    sl_sh_esc(o, p->zk);
    if (gap_ms)
        fprintf(o, " &middot; metrics: two scrapes %d ms apart</p>\n", gap_ms);
    else
        fputs(" &middot; no metrics scraped</p>\n", o);

    /* ---- the cards ---- */
    const struct sl_sh_scrape *lead = NULL; /* the leader's later scrape, for job figures */
    for (size_t i = 0; i < nm; i++)
        if (!strcmp(p->members[i].role, "leader") && sc[i].b.ok)
            lead = &sc[i].b;
    double rin = 0, rout = 0;
    bool have_rate = false;
    for (size_t i = 0; i < nm; i++) {
        if (!sc[i].a.ok || !sc[i].b.ok || sc[i].b.t <= sc[i].a.t)
            continue;
        double dt = sc[i].b.t - sc[i].a.t;
        rin += (sl_sh_sum(&sc[i].b, "sluice_source_records_total", NULL) -
                sl_sh_sum(&sc[i].a, "sluice_source_records_total", NULL)) /
               dt;
        rout += (sl_sh_sum(&sc[i].b, "sluice_sink_records_total", NULL) -
                 sl_sh_sum(&sc[i].a, "sluice_sink_records_total", NULL)) /
                dt;
        have_rate = true;
    }
    char t1[48], t2[48];
    fputs("<div class=\"cards\">\n", o);
    fprintf(o, "<div class=\"card\"><b id=\"members\">%zu</b><span>members</span></div>\n", nm);
    if (p->last_committed)
        fprintf(o,
                "<div class=\"card\"><b id=\"last-epoch\">%" PRId64
                "</b><span>last committed epoch</span></div>\n",
                p->last_committed);
    else
        fputs("<div class=\"card\"><b id=\"last-epoch\">none</b><span>last committed "
              "epoch</span></div>\n",
              o);
    fprintf(o, "<div class=\"card\"><b>%s", sl_epoch_phase_name(p->cur->phase));
    if (p->cur->phase != SL_EPOCH_NONE)
        fprintf(o, " %" PRId64, p->cur->epoch);
    fputs("</b><span>current epoch record</span></div>\n", o);
    if (have_rate) {
        sl_sh_num(t1, sizeof(t1), rin);
        sl_sh_num(t2, sizeof(t2), rout);
        fprintf(o,
                "<div class=\"card\"><b>%s</b><span>records in per second</span></div>\n"
                "<div class=\"card\"><b>%s</b><span>records out per second</span></div>\n",
                t1, t2);
    }
    bool found = false;
    double lag = 0;
    for (size_t i = 0; i < nm; i++) {
        bool f = false;
        lag += sl_sh_sum(&sc[i].b, "sluice_kafka_consumer_lag_records", &f);
        found |= f;
    }
    if (found) {
        sl_sh_num(t1, sizeof(t1), lag);
        fprintf(o, "<div class=\"card\"><b>%s</b><span>Kafka consumer lag (records)</span></div>\n",
                t1);
    }
    if (lead) {
        bool fs = false, fc = false;
        double sum = sl_sh_sum(lead, "sluice_checkpoint_duration_seconds_sum", &fs);
        double cnt = sl_sh_sum(lead, "sluice_checkpoint_duration_seconds_count", &fc);
        if (fs && fc && cnt > 0) {
            snprintf(t1, sizeof(t1), "%.1f ms", sum / cnt * 1000);
            fprintf(o,
                    "<div class=\"card\"><b>%s</b><span>mean checkpoint duration (%.0f "
                    "epochs)</span></div>\n",
                    t1, cnt);
        }
        double sz = sl_sh_sum(lead, "sluice_checkpoint_size_bytes", &fs);
        if (fs) {
            sl_sh_bytes(t1, sizeof(t1), sz);
            fprintf(o, "<div class=\"card\"><b>%s</b><span>last checkpoint size</span></div>\n",
                    t1);
        }
    }
    fputs("</div>\n", o);

    /* ---- the members ---- */
    fputs("<h2>Members and their work</h2>\n", o);
    if (nm == 0) {
        fputs("<p class=\"none\">no member: no process of this job is running</p>\n", o);
    } else {
        fputs("<table id=\"member-table\"><tr><th>role</th><th>member</th><th>host</th><th>pid</"
              "th><th>cores</th><th>workers</th><th>started (UTC)</th><th>reads</th><th>"
              "metrics</th></tr>\n",
              o);
        for (size_t i = 0; i < nm; i++) {
            const struct sl_member *m = &p->members[i];
            char st[32];
            sl_sh_time(m->started_ms, st, sizeof(st));
            fputs("<tr><td>", o);
            sl_sh_esc(o, m->role);
            fputs("</td><td class=\"member\">", o);
            sl_sh_esc(o, m->name);
            fputs("</td><td>", o);
            sl_sh_esc(o, m->host);
            fprintf(o,
                    "</td><td class=\"n\">%" PRId64 "</td><td class=\"n\">%" PRId64
                    "</td><td class=\"n\">%" PRId64 "</td><td>%s</td><td>",
                    m->pid, m->cores, m->workers, st);
            /* what it reads: its source tables, and the Kafka partitions of each */
            struct sl_sh_bars reads = {0};
            const struct sl_sh_scrape *s = &sc[i].b;
            for (size_t j = 0; s->ok && j < s->n; j++) {
                const struct sl_sh_sample *x = &s->s[j];
                const char *table = sl_sh_label(x, "table");
                if (!table)
                    continue;
                char key[192];
                if (!strcmp(x->name, "sluice_kafka_consumer_offset") ||
                    !strcmp(x->name, "sluice_kafka_consumer_lag_records")) {
                    const char *tp = sl_sh_label(x, "topic"), *pa = sl_sh_label(x, "partition");
                    snprintf(key, sizeof(key), "%s: %s/%s", table, tp ? tp : "?", pa ? pa : "?");
                    sl_sh_add(&reads, key, 0);
                } else if (!strcmp(x->name, "sluice_source_records_total")) {
                    snprintf(key, sizeof(key), "%s", table);
                    sl_sh_add(&reads, key, 0);
                }
            }
            if (!strcmp(m->role, "standby"))
                fputs("<span class=\"none\">nothing: a standby takes no work</span>", o);
            else if (!s->ok)
                fputs("<span class=\"none\">unknown (no metrics)</span>", o);
            for (size_t j = 0; !strcmp(m->role, "leader") && j < reads.n; j++) {
                /* a table named alone when its partitions are listed too is left out */
                bool covered = false;
                size_t tl = strlen(reads.b[j].label);
                for (size_t k = 0; k < reads.n && !strchr(reads.b[j].label, ':'); k++)
                    covered |= !strncmp(reads.b[k].label, reads.b[j].label, tl) &&
                               reads.b[k].label[tl] == ':';
                if (covered)
                    continue;
                sl_sh_esc(o, reads.b[j].label);
                fputs("<br>", o);
            }
            free(reads.b);
            fputs("</td><td>", o);
            if (!m->metrics[0]) {
                fputs("<span class=\"none\">none (no --metrics-port)</span>", o);
            } else {
                sl_sh_esc(o, m->metrics);
                if (!sc[i].a.ok || !s->ok) {
                    fputs(" <span class=\"bad\">(", o);
                    sl_sh_esc(o, sc[i].a.ok ? s->why : sc[i].a.why);
                    fputs(")</span>", o);
                }
            }
            fputs("</td></tr>\n", o);
        }
        fputs("</table>\n", o);
    }

    /* ---- the charts from the metrics ---- */
    fputs("<h2>Data flow (metrics of the members)</h2>\n<div class=\"charts\">\n", o);
    struct sl_sh_bars rate = {0}, total = {0}, lagb = {0}, wm = {0}, busy = {0}, state = {0},
                      bad = {0};
    for (size_t i = 0; i < nm; i++) {
        char who[160], key[256];
        sl_sh_who(&p->members[i], nm, who, sizeof(who));
        const struct sl_sh_scrape *a = &sc[i].a, *b = &sc[i].b;
        double dt = a->ok && b->ok ? b->t - a->t : 0;
        for (size_t j = 0; b->ok && j < b->n; j++) {
            const struct sl_sh_sample *x = &b->s[j];
            const char *table = sl_sh_label(x, "table"), *worker = sl_sh_label(x, "worker");
            bool in = !strcmp(x->name, "sluice_source_records_total"),
                 out = !strcmp(x->name, "sluice_sink_records_total");
            if ((in || out) && table) {
                snprintf(key, sizeof(key), "%s%s %s", who, in ? "in" : "out", table);
                sl_sh_add(&total, key, x->val);
                const struct sl_sh_sample *y = dt > 0 ? sl_sh_same(a, x) : NULL;
                if (y)
                    sl_sh_add(&rate, key, (x->val - y->val) / dt);
            } else if ((!strcmp(x->name, "sluice_source_bad_records_total") ||
                        !strcmp(x->name, "sluice_late_records_total")) &&
                       table) {
                snprintf(key, sizeof(key), "%s%s %s", who, x->name[7] == 's' ? "bad" : "late",
                         table);
                sl_sh_add(&bad, key, x->val);
            } else if (!strcmp(x->name, "sluice_kafka_consumer_lag_records")) {
                const char *tp = sl_sh_label(x, "topic"), *pa = sl_sh_label(x, "partition");
                snprintf(key, sizeof(key), "%s%s/%s", who, tp ? tp : "?", pa ? pa : "?");
                sl_sh_add(&lagb, key, x->val);
            } else if (!strcmp(x->name, "sluice_watermark_lag_seconds") && worker) {
                snprintf(key, sizeof(key), "%sworker %s", who, worker);
                sl_sh_add(&wm, key, x->val);
            } else if (!strcmp(x->name, "sluice_worker_busy_seconds_total") && worker) {
                const struct sl_sh_sample *y = dt > 0 ? sl_sh_same(a, x) : NULL;
                if (y) {
                    snprintf(key, sizeof(key), "%sworker %s", who, worker);
                    sl_sh_add(&busy, key, (x->val - y->val) / dt * 100);
                }
            } else if (!strcmp(x->name, "sluice_operator_state_bytes")) {
                const char *op = sl_sh_label(x, "operator");
                snprintf(key, sizeof(key), "%s%s %s w%s", who, table ? table : "?", op ? op : "?",
                         worker ? worker : "?");
                sl_sh_add(&state, key, x->val);
            }
        }
    }
    for (size_t i = 0; i < state.n; i++)
        sl_sh_bytes(state.b[i].text, sizeof(state.b[i].text), state.b[i].v);
    for (size_t i = 0; i < wm.n; i++)
        sl_sh_secs(wm.b[i].text, sizeof(wm.b[i].text), wm.b[i].v);
    for (size_t i = 0; i < busy.n; i++)
        snprintf(busy.b[i].text, sizeof(busy.b[i].text), "%.1f %%", busy.b[i].v);
    if (rate.oom || total.oom || lagb.oom || wm.oom || busy.oom || state.oom || bad.oom) {
        rc = sl_error_set(err, SL_ENOMEM, "status --html: out of memory");
    } else {
        const char *nometrics = "no member serves metrics (sluice run --metrics-port)";
        sl_sh_chart(o, "rates", "Records per second, in and out (between the two scrapes)", "/s",
                    &rate, "#5b8def", nometrics);
        sl_sh_chart(o, "totals", "Records in and out since the start", "", &total, "#7aa6f0",
                    nometrics);
        sl_sh_chart(o, "lag", "Kafka consumer lag per partition (records)", "", &lagb, "#e0873a",
                    "no Kafka source");
        sl_sh_chart(o, "watermark-lag", "Watermark lag per worker (wall clock - watermark)", "",
                    &wm, "#9b6bd6", "no watermark (or every input has ended)");
        sl_sh_chart(o, "busy", "Worker busy share (busy time / wall time between the scrapes)", "",
                    &busy, "#3fa37a", nometrics);
        sl_sh_chart(o, "state", "Operator state in the last committed epoch", "", &state, "#c9a227",
                    "no stateful operator, or no committed epoch yet");
        sl_sh_chart(o, "bad-late", "Bad and late records since the start", "", &bad, "#d0554a",
                    nometrics);
    }
    free(rate.b);
    free(total.b);
    free(lagb.b);
    free(wm.b);
    free(busy.b);
    free(state.b);
    free(bad.b);
    fputs("</div>\n", o);
    if (rc)
        return rc;

    /* ---- checkpoints ---- */
    fputs("<h2>Checkpoints</h2>\n", o);
    if ((rc = sl_sh_epochs(o, p, err)) != 0)
        return rc;
    if (lead) {
        static const struct {
            const char *name, *what;
            int kind; /* 0 count, 1 bytes, 2 mean seconds of a summary (name is its stem) */
        } figs[] = {
            {"sluice_checkpoint_epoch", "last epoch the leader committed", 0},
            {"sluice_checkpoints_total", "epochs committed by this run of the leader", 0},
            {"sluice_checkpoints_failed_total", "epochs failed", 0},
            {"sluice_checkpoint_duration_seconds", "mean duration, trigger to commit", 2},
            {"sluice_checkpoint_alignment_seconds", "mean barrier alignment", 2},
            {"sluice_checkpoint_size_bytes", "bytes written by the last epoch", 1},
            {"sluice_checkpoint_state_bytes", "state bytes the last epoch describes", 1},
        };
        fputs("<table id=\"checkpoint-figures\"><tr><th>figure</th><th>value</th><th>metric</th>"
              "</tr>\n",
              o);
        for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
            char nm2[96], val[48];
            bool f = false;
            if (figs[i].kind == 2) {
                bool fc = false;
                snprintf(nm2, sizeof(nm2), "%s_sum", figs[i].name);
                double s = sl_sh_sum(lead, nm2, &f);
                snprintf(nm2, sizeof(nm2), "%s_count", figs[i].name);
                double c = sl_sh_sum(lead, nm2, &fc);
                f = f && fc && c > 0;
                snprintf(val, sizeof(val), "%.2f ms", f ? s / c * 1000 : 0);
            } else {
                double v = sl_sh_sum(lead, figs[i].name, &f);
                if (figs[i].kind == 1)
                    sl_sh_bytes(val, sizeof(val), v);
                else
                    sl_sh_num(val, sizeof(val), v);
            }
            if (!f)
                continue;
            fprintf(o, "<tr><td>%s</td><td class=\"n\">%s</td><td><code>%s</code></td></tr>\n",
                    figs[i].what, val, figs[i].name);
        }
        fputs("</table>\n", o);
    } else {
        fputs("<p class=\"none\">no checkpoint figures: the leader serves no metrics</p>\n", o);
    }
    if (p->nhistory) {
        fputs("<table id=\"history\"><tr><th>epoch</th><th>committed (UTC, ZooKeeper)</th>"
              "<th>since the previous</th><th>records read</th><th>source offsets</th></tr>\n",
              o);
        for (size_t i = p->nhistory; i-- > 0;) {
            const struct sl_status_epoch *e = &p->history[i];
            char c[32];
            sl_sh_time(e->committed_ms, c, sizeof(c));
            fprintf(o, "<tr><td class=\"n\">%" PRId64 "</td><td>%s.%03d</td><td class=\"n\">",
                    e->epoch, c, (int)(e->committed_ms % 1000));
            double rd = 0;
            if (i)
                fprintf(o, "%" PRId64 " ms", e->committed_ms - p->history[i - 1].committed_ms);
            fputs("</td><td class=\"n\">", o);
            if (i && sl_sh_offsets_delta(p->history[i - 1].offsets, e->offsets, &rd))
                fprintf(o, "%.0f", rd);
            fputs("</td><td><code>", o);
            sl_sh_esc(o, e->offsets[0] ? e->offsets : "-");
            fputs("</code></td></tr>\n", o);
        }
        fputs("</table>\n", o);
    }

    /* ---- settings ---- */
    fputs("<h2>Settings in force (ZooKeeper settings node)</h2>\n", o);
    const struct sl_jobconf *c = p->settings;
    if (!c->exists) {
        fputs("<p class=\"none\">none in ZooKeeper: the SQL's SET statements apply</p>\n", o);
    } else {
        fprintf(o,
                "<p>version %d</p>\n<table id=\"settings\"><tr><th>key</th><th>value</th>"
                "<th>applied</th></tr>\n",
                (int)c->version);
        for (size_t i = 0; i < c->n; i++) {
            bool live = false;
            struct sl_error e;
            sl_error_clear(&e);
            int v = sl_setting_check(c->keys[i], c->values[i], &live, &e);
            fputs("<tr><td><code>", o);
            sl_sh_esc(o, c->keys[i]);
            fputs("</code></td><td>", o);
            sl_sh_esc(o, c->values[i]);
            fprintf(o, "</td><td>%s</td></tr>\n",
                    v      ? "invalid: ignored"
                    : live ? "live"
                           : "at the next start");
        }
        fputs("</table>\n", o);
    }
    fputs("</body></html>\n", o);
    if (fflush(o) != 0 || ferror(o))
        rc = sl_error_set(err, SL_EIO, "status --html: writing the page: %s", strerror(errno));
    return rc;
}
