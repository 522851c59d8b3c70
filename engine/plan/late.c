/*
 * engine/plan/late.c - where the late splitter goes and what it needs (see late.h).
 */
#include "engine/plan/late.h"

#include <stdio.h>
#include <string.h>

/* An error at the option's position, naming the table. */
#define SL_LATE_ERR(code, ...) sl_sql_error_at(src, o->pos, err, code, __VA_ARGS__)

static const struct sl_option *sl_late_opt(const struct sl_table *t, const char *key)
{
    const struct sl_option *found = NULL;
    for (uint32_t i = 0; i < t->nopts; i++)
        if (strcmp(t->opts[i].key, key) == 0)
            found = &t->opts[i];
    return found;
}

static const struct sl_table *sl_late_find_table(const struct sl_job *job, const char *name)
{
    for (uint32_t i = 0; i < job->ntables; i++)
        if (strcmp(job->tables[i]->name, name) == 0)
            return job->tables[i];
    return NULL;
}

/* Column `c` of node->out traced to node->input->out through a node that keeps columns
 * (or passes them by reference); -1 when it is computed there. */
static int sl_late_trace(const struct sl_plan *node, int c)
{
    switch (node->kind) {
    case SL_PLAN_FILTER:
    case SL_PLAN_WATERMARK:
    case SL_PLAN_LATE:
        return c;
    case SL_PLAN_LOOKUP_JOIN: /* the probe side's columns first */
    case SL_PLAN_WINDOW:      /* the input's columns, then window_start / end / time */
        return (uint32_t)c < node->input->out.ncols ? c : -1;
    case SL_PLAN_PROJECT: {
        const struct sl_expr *e = node->project.exprs[c];
        return e->kind == SL_EXPR_COL ? e->col : -1;
    }
    default:
        return -1;
    }
}

/* The late table's columns against the source's: into cols[] (see plan.h). */
static int sl_late_columns(struct sl_job *job, const struct sl_sql_source *src,
                           const struct sl_option *o, const struct sl_table *t,
                           const struct sl_table *late, const struct sl_rel *in, int **out,
                           struct sl_error *err)
{
    const struct sl_option *ro = sl_late_opt(t, SL_LATE_OPT_REASON);
    const struct sl_option *wo = sl_late_opt(t, SL_LATE_OPT_WATERMARK);
    int *cols = sl_arena_alloc(&job->arena, (late->physical.ncols + 1) * sizeof(*cols));
    if (!cols)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    bool reason = false, wmark = false;
    for (uint32_t i = 0; i < late->physical.ncols; i++) {
        const struct sl_rel_col *lc = &late->physical.cols[i];
        char want[64], got[64];
        if (ro && strcmp(lc->name, ro->value) == 0) {
            if (lc->type.id != SL_TYPE_VARCHAR || sl_type_is_bytes(lc->type)) {
                sl_type_format(lc->type, got, sizeof(got));
                return SL_LATE_ERR(SL_EINVAL,
                                   "table '%s': the reason column '%s' of late table '%s' is "
                                   "%s, not STRING",
                                   t->name, lc->name, late->name, got);
            }
            cols[i] = SL_LATE_REASON;
            reason = true;
            continue;
        }
        if (wo && strcmp(lc->name, wo->value) == 0) {
            if (lc->type.id != SL_TYPE_TIMESTAMP) {
                sl_type_format(lc->type, got, sizeof(got));
                return SL_LATE_ERR(SL_EINVAL,
                                   "table '%s': the watermark column '%s' of late table '%s' is "
                                   "%s, not TIMESTAMP(3)",
                                   t->name, lc->name, late->name, got);
            }
            cols[i] = SL_LATE_WATERMARK;
            wmark = true;
            continue;
        }
        int src_col = -1;
        for (uint32_t j = 0; j < t->physical.ncols; j++)
            if (strcmp(t->physical.cols[j].name, lc->name) == 0)
                src_col = (int)j;
        if (src_col < 0)
            return SL_LATE_ERR(SL_EINVAL,
                               "table '%s': column '%s' of late table '%s' is not a physical "
                               "column of '%s' (the late table has the source's columns, plus "
                               "the columns named by '%s' and '%s')",
                               t->name, lc->name, late->name, t->name, SL_LATE_OPT_REASON,
                               SL_LATE_OPT_WATERMARK);
        struct sl_type st = t->physical.cols[src_col].type, lt = lc->type;
        st.nullable = lt.nullable = lt.nullable || st.nullable;
        if (!sl_type_equal(st, lt) ||
            (!lc->type.nullable && t->physical.cols[src_col].type.nullable)) {
            sl_type_format(t->physical.cols[src_col].type, want, sizeof(want));
            sl_type_format(lc->type, got, sizeof(got));
            return SL_LATE_ERR(SL_EINVAL,
                               "table '%s': column '%s' of late table '%s' is %s, the source's "
                               "is %s",
                               t->name, lc->name, late->name, got, want);
        }
        /* the source column in the splitter's input (physical columns pass unchanged up to
         * the watermark: the computed ones come after them) */
        int c = -1;
        for (uint32_t j = 0; j < in->ncols; j++)
            if (strcmp(in->cols[j].name, lc->name) == 0) {
                c = (int)j;
                break;
            }
        if (c < 0)
            return SL_LATE_ERR(SL_ENOTSUP,
                               "table '%s': column '%s' does not reach the late-data split",
                               t->name, lc->name);
        cols[i] = c;
    }
    for (uint32_t j = 0; j < t->physical.ncols; j++) {
        bool have = false;
        for (uint32_t i = 0; i < late->physical.ncols && !have; i++)
            have = strcmp(t->physical.cols[j].name, late->physical.cols[i].name) == 0;
        if (!have)
            return SL_LATE_ERR(SL_EINVAL,
                               "table '%s': late table '%s' has no column '%s' (late rows go "
                               "there whole)",
                               t->name, late->name, t->physical.cols[j].name);
    }
    if (ro && !reason)
        return sl_sql_error_at(src, ro->pos, err, SL_EINVAL,
                               "table '%s': late table '%s' has no column '%s' for the reason",
                               t->name, late->name, ro->value);
    if (wo && !wmark)
        return sl_sql_error_at(src, wo->pos, err, SL_EINVAL,
                               "table '%s': late table '%s' has no column '%s' for the watermark",
                               t->name, late->name, wo->value);
    *out = cols;
    return 0;
}

/* A window aggregation with its HOP / CUMULATE window fused in (window slicing). */
static bool sl_late_sliced(const struct sl_plan *p)
{
    return p->kind == SL_PLAN_AGG && p->agg.window_start >= 0 &&
           p->agg.slice.kind != SL_WINDOW_TUMBLE;
}

/* One INSERT (rooted at `sink`) that reads table t with the option o. */
static int sl_late_insert(struct sl_job *job, const struct sl_sql_source *src,
                          const struct sl_option *o, const struct sl_table *t,
                          const struct sl_table *late, struct sl_plan *sink, struct sl_error *err)
{
    struct sl_plan *nodes[256];
    uint32_t n = 0;
    for (struct sl_plan *q = sink; q; q = q->input) {
        if (n == 256)
            return SL_LATE_ERR(SL_ENOTSUP, "table '%s': a plan of more than 256 nodes", t->name);
        nodes[n++] = q; /* top first */
    }
    uint32_t line = 0, col = 0;
    sl_sql_source_position(src, sink->pos, &line, &col);
    const char *ipath = sl_sql_source_path_at(src, sink->pos);
    /* the event-time watermark (bottom up), then the first window above it */
    int iw = -1, jw = -1;
    for (int i = (int)n - 1; i >= 0; i--) {
        if (iw < 0 && nodes[i]->kind == SL_PLAN_WATERMARK && !nodes[i]->watermark.proctime)
            iw = i;
        else if (iw >= 0 && nodes[i]->kind == SL_PLAN_WATERMARK)
            break; /* a processing-time window above: no event-time lateness */
        else if (iw >= 0 && (nodes[i]->kind == SL_PLAN_WINDOW || sl_late_sliced(nodes[i]))) {
            jw = i;
            break;
        }
    }
    if (iw < 0)
        return SL_LATE_ERR(SL_EINVAL,
                           "table '%s' has no event-time WATERMARK in INSERT INTO %s at %s:%u:%u: "
                           "no row of it is ever late",
                           t->name, sink->sink.table->name, ipath, line, col);
    const struct sl_plan *agg = jw >= 0 && sl_late_sliced(nodes[jw]) ? nodes[jw] : NULL;
    for (int i = jw - 1; jw >= 0 && i >= 0 && !agg; i--)
        if (nodes[i]->kind == SL_PLAN_AGG && nodes[i]->agg.window_start >= 0)
            agg = nodes[i];
        else if (nodes[i]->kind == SL_PLAN_AGG || nodes[i]->kind == SL_PLAN_WINDOW)
            break;
    if (jw < 0 || !agg)
        return SL_LATE_ERR(SL_ENOTSUP,
                           "table '%s' feeds INSERT INTO %s at %s:%u:%u, which has no event-time "
                           "window aggregation over it: nothing drops its late rows, so '%s' "
                           "would never write a row (use another table without the option there)",
                           t->name, sink->sink.table->name, ipath, line, col, SL_LATE_OPT_SINK);
    /* below the splitter: the watermark and the filters right above it */
    int at = iw;
    while (at - 1 > jw && nodes[at - 1]->kind == SL_PLAN_FILTER)
        at--;
    /* the window: its own node, or the one the binder fused into the aggregation (whose
     * keys window_start and window_end are then the rowtime itself) */
    const struct sl_plan *w = nodes[jw];
    bool sliced = sl_late_sliced(w);
    int tc = sliced ? w->agg.keys[w->agg.window_start] : w->window.time_col;
    for (int i = jw + 1; i < at && tc >= 0; i++)
        tc = sl_late_trace(nodes[i], tc);
    if (tc < 0)
        return SL_LATE_ERR(SL_ENOTSUP,
                           "table '%s': the time attribute of the window in INSERT INTO %s at "
                           "%s:%u:%u is computed after the watermark, so the late-data split "
                           "cannot see it",
                           t->name, sink->sink.table->name, ipath, line, col);
    struct sl_plan *below = nodes[at], *above = nodes[at - 1];
    struct sl_plan *lp = sl_arena_alloc(&job->arena, sizeof(*lp));
    if (!lp)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    memset(lp, 0, sizeof(*lp));
    lp->kind = SL_PLAN_LATE;
    lp->input = below;
    lp->out = below->out;
    lp->pos = o->pos;
    lp->late.table = late;
    lp->late.kind = sliced ? w->agg.slice.kind : w->window.kind;
    lp->late.time_col = tc;
    lp->late.size_ms = sliced ? w->agg.slice.size_ms : w->window.size_ms;
    lp->late.slide_ms = sliced ? w->agg.slice.slide_ms : w->window.slide_ms;
    lp->late.offset_ms = sliced ? w->agg.slice.offset_ms : w->window.offset_ms;
    int *cols = NULL;
    int rc = sl_late_columns(job, src, o, t, late, &below->out, &cols, err);
    if (rc)
        return rc;
    lp->late.cols = cols;
    sl_sql_source_position(src, agg->pos, &line, &col);
    char where[512];
    int len = snprintf(where, sizeof(where), "window aggregation at %s:%u:%u",
                       sl_sql_source_path_at(src, agg->pos), line, col);
    if (len < 0)
        return sl_error_set(err, SL_EINVAL, "late data: cannot format a position");
    lp->late.where = sl_arena_strndup(
        &job->arena, where, (size_t)len < sizeof(where) ? (size_t)len : sizeof(where) - 1);
    if (!lp->late.where)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    above->input = lp;
    return 0;
}

int sl_late_plan(struct sl_job *job, const struct sl_sql_source *src, struct sl_error *err)
{
    for (uint32_t k = 0; k < job->ninserts; k++) {
        struct sl_plan *sink = job->inserts[k];
        const struct sl_plan *scan = sink;
        while (scan->input)
            scan = scan->input;
        if (scan->kind != SL_PLAN_SCAN)
            continue;
        const struct sl_table *t = scan->scan.table;
        const struct sl_option *o = sl_late_opt(t, SL_LATE_OPT_SINK);
        if (!o)
            continue;
        const struct sl_table *late = sl_late_find_table(job, o->value);
        if (!late)
            return SL_LATE_ERR(SL_ENOTFOUND, "table '%s': late table '%s' is not declared", t->name,
                               o->value);
        if (late == t)
            return SL_LATE_ERR(SL_EINVAL, "table '%s': late rows cannot go into the table itself",
                               t->name);
        /* one sink per table and job: two would write the same files (or topic) unaware of
         * each other */
        for (uint32_t j = 0; j < job->ninserts; j++) {
            const struct sl_plan *q = job->inserts[j];
            if (q->sink.table == late)
                return SL_LATE_ERR(SL_EINVAL,
                                   "table '%s': late table '%s' is also the target of an INSERT: "
                                   "give the late rows a table of their own",
                                   t->name, late->name);
            for (; j < k && q; q = q->input)
                if (q->kind == SL_PLAN_LATE && q->late.table == late)
                    return SL_LATE_ERR(SL_EINVAL,
                                       "table '%s': late table '%s' already takes the late rows "
                                       "of another INSERT (each INSERT that reads a table with "
                                       "'%s' needs its own late table)",
                                       t->name, late->name, SL_LATE_OPT_SINK);
        }
        int rc = sl_late_insert(job, src, o, t, late, sink, err);
        if (rc)
            return rc;
    }
    return 0;
}
