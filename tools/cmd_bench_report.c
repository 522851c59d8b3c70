/*
 * tools/cmd_bench_report.c - reading `sluice bench` results back: the format check, the
 * regression gate (`sluice bench compare`) and the SVG chart (`sluice bench plot`).
 *
 * THE GATE
 * A benchmark's samples are the real_time of its repetitions. Comparing medians alone would
 * fail a CI job on noise, so a change beyond the threshold must also be beyond the spread:
 * with 4 or more repetitions on both sides, a two-sided Mann-Whitney U test (the test
 * google-benchmark's compare.py uses) at p < 0.05 - 4 is the least at which the exact test
 * can reach that level -; with fewer, the two ranges [min, max] must not overlap. One sample
 * on either side leaves only the threshold (the report says so). A benchmark of BASE missing
 * from NEW fails the gate too: what is not measured cannot be said not to have regressed.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cmd_bench.h"

/* ---- format check -----------------------------------------------------------------------------
 */

static double sl_unit_to_ms(const char *u)
{
    if (!u)
        return 0;
    if (!strcmp(u, "ns"))
        return 1e-6;
    if (!strcmp(u, "us"))
        return 1e-3;
    if (!strcmp(u, "ms"))
        return 1;
    if (!strcmp(u, "s"))
        return 1e3;
    return 0;
}

int sl_bench_validate(const struct sl_bench_json *doc, struct sl_error *err)
{
    if (!doc || doc->kind != SL_BJ_OBJECT)
        return sl_error_set(err, SL_EPARSE, "not a JSON object");
    const struct sl_bench_json *ctx = sl_bench_json_get(doc, "context");
    if (!ctx || ctx->kind != SL_BJ_OBJECT)
        return sl_error_set(err, SL_EPARSE, "no \"context\" object");
    const struct sl_bench_json *bs = sl_bench_json_get(doc, "benchmarks");
    if (!bs || bs->kind != SL_BJ_ARRAY)
        return sl_error_set(err, SL_EPARSE, "no \"benchmarks\" array");
    for (size_t i = 0; i < bs->n; i++) {
        const struct sl_bench_json *b = bs->items[i];
        if (b->kind != SL_BJ_OBJECT)
            return sl_error_set(err, SL_EPARSE, "benchmarks[%zu] is not an object", i);
        static const char *const strs[] = {"name", "run_name", "run_type", "time_unit"};
        for (int k = 0; k < 4; k++)
            if (!sl_bench_json_str(b, strs[k]))
                return sl_error_set(err, SL_EPARSE, "benchmarks[%zu] has no string \"%s\"", i,
                                    strs[k]);
        static const char *const nums[] = {"repetitions", "iterations", "real_time", "cpu_time"};
        for (int k = 0; k < 4; k++) {
            const struct sl_bench_json *v = sl_bench_json_get(b, nums[k]);
            if (!v || v->kind != SL_BJ_NUMBER || !isfinite(v->num) || v->num < 0)
                return sl_error_set(err, SL_EPARSE, "benchmarks[%zu] has no number \"%s\"", i,
                                    nums[k]);
        }
        if (!sl_unit_to_ms(sl_bench_json_str(b, "time_unit")))
            return sl_error_set(err, SL_EPARSE,
                                "benchmarks[%zu]: time_unit '%s' is not ns, "
                                "us, ms or s",
                                i, sl_bench_json_str(b, "time_unit"));
        const char *rt = sl_bench_json_str(b, "run_type");
        if (!strcmp(rt, "aggregate")) {
            if (!sl_bench_json_str(b, "aggregate_name"))
                return sl_error_set(err, SL_EPARSE,
                                    "benchmarks[%zu]: an aggregate without "
                                    "\"aggregate_name\"",
                                    i);
        } else if (strcmp(rt, "iteration") != 0) {
            return sl_error_set(err, SL_EPARSE, "benchmarks[%zu]: run_type '%s'", i, rt);
        }
    }
    return 0;
}

/* ---- Mann-Whitney U ----------------------------------------------------------------------------
 */

/* The number of arrangements of na + nb items (no ties) whose U is <= u, over all
 * C(na + nb, na): by the recurrence N(m, n, u) = N(m - 1, n, u - n) + N(m, n - 1, u). */
static double sl_mw_cdf_exact(size_t na, size_t nb, double u)
{
    size_t umax = na * nb;
    /* f[j][k]: arrangements of i a's and j b's with U = k, rolled over i */
    double *f = calloc((nb + 1) * (umax + 1), sizeof(double));
    double *g = calloc((nb + 1) * (umax + 1), sizeof(double));
    if (!f || !g) {
        free(f);
        free(g);
        return -1;
    }
    for (size_t j = 0; j <= nb; j++)
        f[j * (umax + 1)] = 1; /* i = 0: U = 0 */
    for (size_t i = 1; i <= na; i++) {
        memset(g, 0, (nb + 1) * (umax + 1) * sizeof(double));
        g[0] = 1; /* j = 0 */
        for (size_t j = 1; j <= nb; j++)
            for (size_t k = 0; k <= umax; k++) {
                /* the largest item is an a (it beats all j b's) or a b */
                double v = g[(j - 1) * (umax + 1) + k];
                if (k >= j)
                    v += f[j * (umax + 1) + k - j];
                g[j * (umax + 1) + k] = v;
            }
        double *t = f;
        f = g;
        g = t;
    }
    double total = 0, le = 0;
    for (size_t k = 0; k <= umax; k++) {
        double c = f[nb * (umax + 1) + k];
        total += c;
        if ((double)k <= u + 1e-9)
            le += c;
    }
    free(f);
    free(g);
    return le / total;
}

double sl_bench_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    if (!na || !nb)
        return 1;
    double u = 0; /* U of a: pairs with a > b, ties count one half */
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
    double mean = (double)na * (double)nb / 2;
    double umin = u < (double)na * (double)nb - u ? u : (double)na * (double)nb - u;
    bool ties = false;
    for (size_t i = 0; i < na && !ties; i++)
        for (size_t j = 0; j < nb; j++)
            if (a[i] == b[j])
                ties = true;
    if (na + nb <= 40 && !ties) {
        double p = 2 * sl_mw_cdf_exact(na, nb, umin);
        if (p >= 0)
            return p > 1 ? 1 : p;
    }
    /* normal approximation with tie correction and continuity correction */
    size_t n = na + nb;
    double *all = malloc(n * sizeof(double));
    if (!all)
        return 1;
    memcpy(all, a, na * sizeof(double));
    memcpy(all + na, b, nb * sizeof(double));
    double tie = 0;
    for (size_t i = 0; i < n; i++) {
        size_t t = 0;
        bool first = true;
        for (size_t j = 0; j < n; j++) {
            if (all[j] == all[i]) {
                t++;
                if (j < i)
                    first = false;
            }
        }
        if (first)
            tie += (double)t * (double)t * (double)t - (double)t;
    }
    free(all);
    double var =
        (double)na * (double)nb / 12 * ((double)(n + 1) - tie / ((double)n * (double)(n - 1)));
    if (var <= 0)
        return 1;
    double z = (fabs(u - mean) - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    double p = erfc(z / sqrt(2));
    return p > 1 ? 1 : p;
}

/* ---- samples of a result file ------------------------------------------------------------------
 */

struct sl_bench_series {
    char *name;
    double t[64]; /* real_time in ms */
    size_t n;
    double agg_median, agg_mean; /* from aggregates, < 0 when absent */
    double ips, p99;             /* median items_per_second and latency_p99_us, < 0 absent */
    double ips_v[64], p99_v[64];
    size_t nips, np99;
};

struct sl_bench_file {
    struct sl_bench_series *s;
    size_t n;
    char date[64];
};

static int sl_cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double sl_median(const double *v, size_t n)
{
    if (!n)
        return -1;
    double s[64];
    memcpy(s, v, n * sizeof(double));
    qsort(s, n, sizeof(double), sl_cmp_d);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static struct sl_bench_series *sl_series_of(struct sl_bench_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->s[i].name, name))
            return &f->s[i];
    struct sl_bench_series *ns = realloc(f->s, (f->n + 1) * sizeof(*ns));
    if (!ns)
        return NULL;
    f->s = ns;
    struct sl_bench_series *s = &f->s[f->n];
    memset(s, 0, sizeof(*s));
    s->name = strdup(name);
    if (!s->name)
        return NULL;
    s->agg_median = s->agg_mean = -1;
    f->n++;
    return s;
}

static void sl_bench_file_free(struct sl_bench_file *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->s[i].name);
    free(f->s);
}

static int sl_bench_file_load(const char *path, struct sl_bench_file *f, struct sl_error *err)
{
    memset(f, 0, sizeof(*f));
    struct sl_bench_json *doc = sl_bench_json_load(path, err);
    if (!doc)
        return SL_EPARSE;
    int rc = sl_bench_validate(doc, err);
    if (rc) {
        struct sl_error e = *err;
        sl_error_set(err, rc, "%s: not google-benchmark's format: %s", path, e.msg);
        sl_bench_json_free(doc);
        return rc;
    }
    const char *date = sl_bench_json_str(sl_bench_json_get(doc, "context"), "date");
    snprintf(f->date, sizeof(f->date), "%s", date ? date : "");
    const struct sl_bench_json *bs = sl_bench_json_get(doc, "benchmarks");
    for (size_t i = 0; i < bs->n; i++) {
        const struct sl_bench_json *b = bs->items[i];
        struct sl_bench_series *s = sl_series_of(f, sl_bench_json_str(b, "run_name"));
        if (!s) {
            sl_bench_json_free(doc);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        double t =
            sl_bench_json_num(b, "real_time", 0) * sl_unit_to_ms(sl_bench_json_str(b, "time_unit"));
        const char *agg = sl_bench_json_str(b, "aggregate_name");
        if (!strcmp(sl_bench_json_str(b, "run_type"), "iteration")) {
            if (s->n < 64)
                s->t[s->n++] = t;
            double ips = sl_bench_json_num(b, "items_per_second", -1);
            double p99 = sl_bench_json_num(b, "latency_p99_us", -1);
            if (ips >= 0 && s->nips < 64)
                s->ips_v[s->nips++] = ips;
            if (p99 >= 0 && s->np99 < 64)
                s->p99_v[s->np99++] = p99;
        } else if (!strcmp(agg, "median")) {
            s->agg_median = t;
        } else if (!strcmp(agg, "mean")) {
            s->agg_mean = t;
        }
    }
    for (size_t i = 0; i < f->n; i++) {
        struct sl_bench_series *s = &f->s[i];
        if (!s->n && (s->agg_median >= 0 || s->agg_mean >= 0))
            s->t[s->n++] = s->agg_median >= 0 ? s->agg_median : s->agg_mean;
        s->ips = sl_median(s->ips_v, s->nips);
        s->p99 = sl_median(s->p99_v, s->np99);
    }
    sl_bench_json_free(doc);
    return 0;
}

/* ---- compare ------------------------------------------------------------------------------------
 */

static const char *const sl_verdict_names[] = {"same",       "noise",   "faster",
                                               "REGRESSION", "MISSING", "new"};

int sl_bench_compare_files(const char *base, const char *newer, double threshold_pct, FILE *out,
                           struct sl_error *err)
{
    struct sl_bench_file fb, fn;
    if (sl_bench_file_load(base, &fb, err))
        return 2;
    if (sl_bench_file_load(newer, &fn, err)) {
        sl_bench_file_free(&fb);
        return 2;
    }
    int status = 0;
    fprintf(out, "%-30s %12s %12s %8s %7s  %s\n", "benchmark", "base ms", "new ms", "change", "p",
            "verdict");
    for (size_t i = 0; i < fb.n; i++) {
        const struct sl_bench_series *b = &fb.s[i];
        const struct sl_bench_series *n = NULL;
        for (size_t k = 0; k < fn.n; k++)
            if (!strcmp(fn.s[k].name, b->name))
                n = &fn.s[k];
        if (!n || !n->n) {
            fprintf(out, "%-30s %12.3f %12s %8s %7s  %s (in BASE, not in NEW)\n", b->name,
                    sl_median(b->t, b->n), "-", "-", "-", sl_verdict_names[SL_BV_MISSING]);
            status = 1;
            continue;
        }
        double mb = sl_median(b->t, b->n), mn = sl_median(n->t, n->n);
        double change = mb > 0 ? (mn - mb) / mb * 100 : 0;
        enum sl_bench_verdict v;
        double p = -1;
        const char *note = "";
        if (fabs(change) <= threshold_pct) {
            v = SL_BV_SAME;
        } else if (b->n < 2 || n->n < 2) {
            v = change > 0 ? SL_BV_REGRESSION : SL_BV_FASTER;
            note = " (1 sample: no noise estimate)";
        } else {
            bool beyond;
            if (b->n >= 4 && n->n >= 4) {
                p = sl_bench_mann_whitney_p(b->t, b->n, n->t, n->n);
                beyond = p < 0.05;
            } else {
                double bmin = b->t[0], bmax = b->t[0], nmin = n->t[0], nmax = n->t[0];
                for (size_t k = 1; k < b->n; k++) {
                    bmin = fmin(bmin, b->t[k]);
                    bmax = fmax(bmax, b->t[k]);
                }
                for (size_t k = 1; k < n->n; k++) {
                    nmin = fmin(nmin, n->t[k]);
                    nmax = fmax(nmax, n->t[k]);
                }
                beyond = change > 0 ? nmin > bmax : nmax < bmin;
                note = " (ranges compared: fewer than 4 repetitions)";
            }
            v = !beyond ? SL_BV_NOISE : change > 0 ? SL_BV_REGRESSION : SL_BV_FASTER;
        }
        if (v == SL_BV_REGRESSION)
            status = 1;
        char pbuf[16] = "-";
        if (p >= 0)
            snprintf(pbuf, sizeof(pbuf), "%.4f", p);
        fprintf(out, "%-30s %12.3f %12.3f %+7.1f%% %7s  %s%s\n", b->name, mb, mn, change, pbuf,
                sl_verdict_names[v], note);
    }
    for (size_t k = 0; k < fn.n; k++) {
        bool found = false;
        for (size_t i = 0; i < fb.n; i++)
            if (!strcmp(fn.s[k].name, fb.s[i].name))
                found = true;
        if (!found)
            fprintf(out, "%-30s %12s %12.3f %8s %7s  %s\n", fn.s[k].name, "-",
                    sl_median(fn.s[k].t, fn.s[k].n), "-", "-", sl_verdict_names[SL_BV_NEW]);
    }
    fprintf(out, "threshold %.1f%%: %s\n", threshold_pct,
            status ? "FAIL (a regression or a missing benchmark)" : "ok");
    sl_bench_file_free(&fb);
    sl_bench_file_free(&fn);
    return status;
}

/* ---- plot ---------------------------------------------------------------------------------------
 */

static const char *const sl_colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static void sl_svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            fputc(*s, f);
    }
}

/* A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten at or above v. */
static double sl_nice(double v)
{
    if (v <= 0)
        return 1;
    double e = pow(10, floor(log10(v)));
    double m = v / e;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

/* One panel: y(value of series s in file r) for every benchmark; `latency` picks p99. */
static void sl_svg_panel(FILE *f, const struct sl_bench_file *files, size_t nf, char *const *names,
                         size_t nnames, bool latency, double y0, const char *title,
                         const char *unit, double scale)
{
    const double x0 = 80, w = 640, h = 260;
    double ymax = 0;
    for (size_t r = 0; r < nf; r++)
        for (size_t s = 0; s < files[r].n; s++) {
            double v = latency ? files[r].s[s].p99 : files[r].s[s].ips;
            if (v * scale > ymax)
                ymax = v * scale;
        }
    ymax = sl_nice(ymax);
    fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"15\" font-weight=\"bold\">", x0, y0 - 12);
    sl_svg_text(f, title);
    fputs("</text>\n", f);
    fprintf(f,
            "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
            "stroke=\"#444\"/>\n",
            x0, y0, w, h);
    for (int t = 0; t <= 5; t++) {
        double y = y0 + h - h * t / 5;
        fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", x0, y,
                x0 + w, y);
        fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"end\">%g</text>\n",
                x0 - 6, y + 4, ymax * t / 5);
    }
    fprintf(f,
            "<text x=\"%g\" y=\"%g\" font-size=\"11\" transform=\"rotate(-90 %g %g)\" "
            "text-anchor=\"middle\">%s</text>\n",
            x0 - 55, y0 + h / 2, x0 - 55, y0 + h / 2, unit);
    for (size_t r = 0; r < nf; r++) {
        double x = nf > 1 ? x0 + w * (double)r / (double)(nf - 1) : x0 + w / 2;
        fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"10\" text-anchor=\"middle\">%zu</text>\n",
                x, y0 + h + 14, r + 1);
    }
    for (size_t k = 0; k < nnames; k++) {
        const char *col = sl_colors[k % 10];
        bool open = false;
        for (size_t r = 0; r < nf; r++) {
            double v = -1;
            for (size_t s = 0; s < files[r].n; s++)
                if (!strcmp(files[r].s[s].name, names[k]))
                    v = latency ? files[r].s[s].p99 : files[r].s[s].ips;
            if (v < 0) {
                if (open)
                    fputs("\"/>\n", f);
                open = false;
                continue;
            }
            double x = nf > 1 ? x0 + w * (double)r / (double)(nf - 1) : x0 + w / 2;
            double y = y0 + h - h * (v * scale) / ymax;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, y, col);
            if (!open)
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                        col);
            fprintf(f, "%.1f,%.1f ", x, y);
            open = true;
        }
        if (open)
            fputs("\"/>\n", f);
    }
}

int sl_bench_plot_files(const char *const *paths, size_t n, const char *out_path,
                        struct sl_error *err)
{
    struct sl_bench_file *files = calloc(n, sizeof(*files));
    char **names = NULL;
    size_t nnames = 0;
    int rc = 0;
    if (!files)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t r = 0; r < n && !rc; r++)
        rc = sl_bench_file_load(paths[r], &files[r], err);
    bool any_lat = false;
    for (size_t r = 0; r < n && !rc; r++)
        for (size_t s = 0; s < files[r].n && !rc; s++) {
            if (files[r].s[s].p99 >= 0)
                any_lat = true;
            bool seen = false;
            for (size_t k = 0; k < nnames; k++)
                if (!strcmp(names[k], files[r].s[s].name))
                    seen = true;
            if (seen)
                continue;
            char **nn = realloc(names, (nnames + 1) * sizeof(*nn));
            if (!nn) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                break;
            }
            names = nn;
            names[nnames++] = files[r].s[s].name;
        }
    FILE *f = NULL;
    if (!rc) {
        f = fopen(out_path, "w");
        if (!f)
            rc = sl_error_set(err, SL_EIO, "cannot write %s", out_path);
    }
    if (!rc) {
        double legend_h = 18.0 * (double)nnames;
        double height = 60 + 300 + (any_lat ? 320 : 0) + 40 + legend_h;
        fprintf(f,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"%g\" "
                "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" "
                "fill=\"white\"/>\n",
                height);
        sl_svg_panel(f, files, n, names, nnames, false, 40,
                     "sluice bench: throughput (median over repetitions) per result file",
                     "M events/s", 1e-6);
        double y = 40 + 300;
        if (any_lat) {
            sl_svg_panel(f, files, n, names, nnames, true, y + 20,
                         "latency p99 (median over repetitions)", "ms", 1e-3);
            y += 320;
        }
        fprintf(f,
                "<text x=\"80\" y=\"%g\" font-size=\"11\">x: result files in the order "
                "given (1 = ",
                y + 8);
        sl_svg_text(f, paths[0]);
        fputs(")</text>\n", f);
        for (size_t k = 0; k < nnames; k++) {
            double ly = y + 30 + 18.0 * (double)k;
            fprintf(f, "<rect x=\"80\" y=\"%g\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
                    ly - 10, sl_colors[k % 10]);
            fprintf(f, "<text x=\"98\" y=\"%g\" font-size=\"12\">", ly);
            sl_svg_text(f, names[k]);
            fputs("</text>\n", f);
        }
        fputs("</svg>\n", f);
        if (fclose(f) != 0)
            rc = sl_error_set(err, SL_EIO, "cannot write %s", out_path);
    }
    free(names);
    for (size_t r = 0; r < n; r++)
        sl_bench_file_free(&files[r]);
    free(files);
    return rc;
}
