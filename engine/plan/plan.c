/*
 * engine/plan/plan.c - printing plans and expressions (sluice explain).
 */
#include "engine/plan/plan.h"

#include <stdlib.h>

#include "engine/core/batch.h"
#include "engine/core/dtpattern.h"

#include "engine/plan/catalog.h"
#include "engine/plan/changelog.h"
#include "engine/plan/udf.h"

static const char *const sl_fn_names[SL_FN_COUNT] = {
    [SL_FN_NONE] = "?",
    [SL_FN_ADD] = "+",
    [SL_FN_SUB] = "-",
    [SL_FN_MUL] = "*",
    [SL_FN_DIV] = "/",
    [SL_FN_MOD] = "MOD",
    [SL_FN_NEG] = "-",
    [SL_FN_EQ] = "=",
    [SL_FN_NE] = "<>",
    [SL_FN_LT] = "<",
    [SL_FN_LE] = "<=",
    [SL_FN_GT] = ">",
    [SL_FN_GE] = ">=",
    [SL_FN_AND] = "AND",
    [SL_FN_OR] = "OR",
    [SL_FN_NOT] = "NOT",
    [SL_FN_IS_NULL] = "IS NULL",
    [SL_FN_IS_NOT_NULL] = "IS NOT NULL",
    [SL_FN_CASE] = "CASE",
    [SL_FN_CAST] = "CAST",
    [SL_FN_IN] = "IN",
    [SL_FN_LIKE] = "LIKE",
    [SL_FN_CONCAT] = "||",
    [SL_FN_ITEM] = "ITEM",
    [SL_FN_CARDINALITY] = "CARDINALITY",
    [SL_FN_MAP] = "MAP",
    [SL_FN_UDF] = "UDF",
    [SL_FN_SUBSTRING] = "SUBSTRING",
    [SL_FN_CONCAT_N] = "CONCAT",
    [SL_FN_CONCAT_WS] = "CONCAT_WS",
    [SL_FN_UPPER] = "UPPER",
    [SL_FN_LOWER] = "LOWER",
    [SL_FN_TRIM_BOTH] = "BTRIM",
    [SL_FN_TRIM_LEADING] = "LTRIM",
    [SL_FN_TRIM_TRAILING] = "RTRIM",
    [SL_FN_LPAD] = "LPAD",
    [SL_FN_RPAD] = "RPAD",
    [SL_FN_CHAR_LENGTH] = "CHAR_LENGTH",
    [SL_FN_POSITION] = "POSITION",
    [SL_FN_REPLACE] = "REPLACE",
    [SL_FN_SPLIT_INDEX] = "SPLIT_INDEX",
    [SL_FN_REGEXP] = "REGEXP",
    [SL_FN_REGEXP_EXTRACT] = "REGEXP_EXTRACT",
    [SL_FN_REGEXP_REPLACE] = "REGEXP_REPLACE",
    [SL_FN_INITCAP] = "INITCAP",
    [SL_FN_REVERSE] = "REVERSE",
    [SL_FN_OVERLAY] = "OVERLAY",
    [SL_FN_MD5] = "MD5",
    [SL_FN_SHA256] = "SHA256",
    [SL_FN_GREATEST] = "GREATEST",
    [SL_FN_LEAST] = "LEAST",
    [SL_FN_JSON_VALUE] = "JSON_VALUE",
    [SL_FN_DATE_FORMAT] = "DATE_FORMAT",
    [SL_FN_FROM_UNIXTIME] = "FROM_UNIXTIME",
    [SL_FN_EXTRACT] = "EXTRACT",
    [SL_FN_TS_FLOOR] = "FLOOR",
    [SL_FN_TS_CEIL] = "CEIL",
    [SL_FN_TIMESTAMPADD] = "TIMESTAMPADD",
    [SL_FN_TIMESTAMPDIFF] = "TIMESTAMPDIFF",
    [SL_FN_TO_TIMESTAMP] = "TO_TIMESTAMP",
    [SL_FN_UNIX_TIMESTAMP] = "UNIX_TIMESTAMP",
    [SL_FN_NOW] = "NOW",
    [SL_FN_ABS] = "ABS",
    [SL_FN_ROUND] = "ROUND",
    [SL_FN_FLOOR] = "FLOOR",
    [SL_FN_CEIL] = "CEIL",
    [SL_FN_POWER] = "POWER",
    [SL_FN_SQRT] = "SQRT",
    [SL_FN_LN] = "LN",
    [SL_FN_LOG10] = "LOG10",
    [SL_FN_LOG] = "LOG",
    [SL_FN_EXP] = "EXP",
    [SL_FN_RAND] = "RAND",
    [SL_FN_PROCTIME] = "PROCTIME",
};

bool sl_fn_is_time_numeric(sl_fn fn)
{
    switch (fn) {
    case SL_FN_DATE_FORMAT:
    case SL_FN_FROM_UNIXTIME:
    case SL_FN_EXTRACT:
    case SL_FN_TS_FLOOR:
    case SL_FN_TS_CEIL:
    case SL_FN_TIMESTAMPADD:
    case SL_FN_TIMESTAMPDIFF:
    case SL_FN_TO_TIMESTAMP:
    case SL_FN_UNIX_TIMESTAMP:
    case SL_FN_NOW:
    case SL_FN_ABS:
    case SL_FN_ROUND:
    case SL_FN_FLOOR:
    case SL_FN_CEIL:
    case SL_FN_POWER:
    case SL_FN_SQRT:
    case SL_FN_LN:
    case SL_FN_LOG10:
    case SL_FN_LOG:
    case SL_FN_EXP:
    case SL_FN_RAND:
        return true;
    default:
        return false;
    }
}

const char *sl_fn_name(sl_fn fn)
{
    return (unsigned)fn < SL_FN_COUNT ? sl_fn_names[fn] : "?";
}

static void sl_lit_print(const struct sl_expr *e, FILE *out)
{
    if (e->lit_null) {
        fputs("NULL", out);
        return;
    }
    if (e->interval) {
        fprintf(out, "INTERVAL '%lld' MILLISECOND", (long long)e->lit.i);
        return;
    }
    switch (e->type.id) {
    case SL_TYPE_BOOLEAN:
        fputs(e->lit.i ? "TRUE" : "FALSE", out);
        break;
    case SL_TYPE_DOUBLE:
        fprintf(out, "%.17g", e->lit.d);
        break;
    case SL_TYPE_DECIMAL: {
        int64_t p = sl_pow10_i64(e->type.scale);
        uint64_t mag = e->lit.i < 0 ? 0 - (uint64_t)e->lit.i : (uint64_t)e->lit.i;
        if (e->type.scale)
            fprintf(out, "%s%llu.%0*llu", e->lit.i < 0 ? "-" : "",
                    (unsigned long long)(mag / (uint64_t)p), e->type.scale,
                    (unsigned long long)(mag % (uint64_t)p));
        else
            fprintf(out, "%lld", (long long)e->lit.i);
        break;
    }
    case SL_TYPE_VARCHAR:
        fputc('\'', out);
        for (uint32_t i = 0; i < e->lit.slen; i++) {
            if (e->lit.s[i] == '\'')
                fputc('\'', out);
            fputc(e->lit.s[i], out);
        }
        fputc('\'', out);
        break;
    case SL_TYPE_TIMESTAMP:
        fprintf(out, "TIMESTAMP_MS(%lld)", (long long)e->lit.i);
        break;
    default:
        fprintf(out, "%lld", (long long)e->lit.i);
    }
}

void sl_expr_print(const struct sl_expr *e, const struct sl_rel *in, FILE *out)
{
    switch (e->kind) {
    case SL_EXPR_COL:
        if (in && e->col >= 0 && (uint32_t)e->col < in->ncols)
            fprintf(out, "%s", in->cols[e->col].name);
        else
            fprintf(out, "$%d", e->col);
        return;
    case SL_EXPR_LIT:
        sl_lit_print(e, out);
        return;
    case SL_EXPR_CALL:
        break;
    }
    char tbuf[64];
    switch (e->fn) {
    case SL_FN_NEG:
    case SL_FN_NOT:
        fprintf(out, "%s(", sl_fn_name(e->fn));
        sl_expr_print(e->args[0], in, out);
        fputc(')', out);
        return;
    case SL_FN_IS_NULL:
    case SL_FN_IS_NOT_NULL:
        fputc('(', out);
        sl_expr_print(e->args[0], in, out);
        fprintf(out, " %s)", sl_fn_name(e->fn));
        return;
    case SL_FN_CAST:
        fputs("CAST(", out);
        sl_expr_print(e->args[0], in, out);
        {
            struct sl_type t = e->type;
            t.nullable = true; /* the cast's target type, not its nullability */
            sl_type_format(t, tbuf, sizeof(tbuf));
        }
        fprintf(out, " AS %s)", tbuf);
        return;
    case SL_FN_MOD:
        fputs("MOD(", out);
        sl_expr_print(e->args[0], in, out);
        fputs(", ", out);
        sl_expr_print(e->args[1], in, out);
        fputc(')', out);
        return;
    case SL_FN_CASE:
        fputs("CASE", out);
        for (uint32_t i = 0; i + 1 < e->nargs; i += 2) {
            fputs(" WHEN ", out);
            sl_expr_print(e->args[i], in, out);
            fputs(" THEN ", out);
            sl_expr_print(e->args[i + 1], in, out);
        }
        fputs(" ELSE ", out);
        sl_expr_print(e->args[e->nargs - 1], in, out);
        fputs(" END", out);
        return;
    case SL_FN_IN:
        fputc('(', out);
        sl_expr_print(e->args[0], in, out);
        fputs(" IN (", out);
        for (uint32_t i = 1; i < e->nargs; i++) {
            if (i > 1)
                fputs(", ", out);
            sl_expr_print(e->args[i], in, out);
        }
        fputs("))", out);
        return;
    case SL_FN_ITEM:
        sl_expr_print(e->args[0], in, out);
        fputc('[', out);
        sl_expr_print(e->args[1], in, out);
        fputc(']', out);
        return;
    case SL_FN_UDF:
        fprintf(out, "%s(", e->udf ? e->udf->name : "?");
        for (uint32_t i = 0; i < e->nargs; i++) {
            if (i)
                fputs(", ", out);
            sl_expr_print(e->args[i], in, out);
        }
        fputc(')', out);
        return;
    case SL_FN_PROCTIME:
        fputs("PROCTIME()", out);
        return;
    case SL_FN_CARDINALITY:
    case SL_FN_MAP:
        fputs(e->fn == SL_FN_MAP ? "MAP[" : "CARDINALITY(", out);
        for (uint32_t i = 0; i < e->nargs; i++) {
            if (i)
                fputs(", ", out);
            sl_expr_print(e->args[i], in, out);
        }
        fputc(e->fn == SL_FN_MAP ? ']' : ')', out);
        return;
    default:
        if (e->fn >= SL_FN_SUBSTRING && e->fn <= SL_FN_JSON_VALUE) { /* NAME(a, b, ...) */
            fprintf(out, "%s(", sl_fn_name(e->fn));
            /* JSON_VALUE(json, path): its behaviours are not printed */
            for (uint32_t i = 0; i < (e->fn == SL_FN_JSON_VALUE ? 2 : e->nargs); i++) {
                if (i)
                    fputs(", ", out);
                sl_expr_print(e->args[i], in, out);
            }
            fputc(')', out);
            return;
        }
        if (sl_fn_is_time_numeric(e->fn)) {
            /* NAME(args), a time unit by its name */
            bool unit = e->fn == SL_FN_EXTRACT || e->fn == SL_FN_TS_FLOOR ||
                        e->fn == SL_FN_TS_CEIL || e->fn == SL_FN_TIMESTAMPADD ||
                        e->fn == SL_FN_TIMESTAMPDIFF;
            if (unit && e->fn != SL_FN_TIMESTAMPADD && e->fn != SL_FN_TIMESTAMPDIFF &&
                e->nargs == 2 && e->args[0]->kind == SL_EXPR_LIT) {
                /* EXTRACT(unit FROM ts), FLOOR / CEIL(ts TO unit) */
                const char *u = sl_time_unit_name((sl_time_unit)e->args[0]->lit.i);
                fprintf(out, "%s(", sl_fn_name(e->fn));
                if (e->fn == SL_FN_EXTRACT)
                    fprintf(out, "%s FROM ", u);
                sl_expr_print(e->args[1], in, out);
                if (e->fn != SL_FN_EXTRACT)
                    fprintf(out, " TO %s", u);
                fputc(')', out);
                return;
            }
            fprintf(out, "%s(", sl_fn_name(e->fn));
            for (uint32_t i = 0; i < e->nargs; i++) {
                if (i)
                    fputs(", ", out);
                if (i == 0 && unit && e->args[0]->kind == SL_EXPR_LIT)
                    fputs(sl_time_unit_name((sl_time_unit)e->args[0]->lit.i), out);
                else
                    sl_expr_print(e->args[i], in, out);
            }
            fputc(')', out);
            return;
        }
        fputc('(', out);
        sl_expr_print(e->args[0], in, out);
        fprintf(out, " %s ", sl_fn_name(e->fn));
        sl_expr_print(e->args[1], in, out);
        fputc(')', out);
        return;
    }
}

static const char *const sl_agg_names[] = {
    [SL_AGG_COUNT_STAR] = "COUNT(*)",
    [SL_AGG_COUNT] = "COUNT",
    [SL_AGG_SUM] = "SUM",
    [SL_AGG_MIN] = "MIN",
    [SL_AGG_MAX] = "MAX",
    [SL_AGG_AVG] = "AVG",
};

const char *sl_agg_fn_name(sl_agg_fn fn)
{
    return (unsigned)fn < sizeof(sl_agg_names) / sizeof(sl_agg_names[0]) ? sl_agg_names[fn] : "?";
}

static void sl_rel_print(const struct sl_rel *rel, FILE *out)
{
    char t[64];
    fputs(" -> [", out);
    for (uint32_t i = 0; i < rel->ncols; i++) {
        sl_type_format(rel->cols[i].type, t, sizeof(t));
        fprintf(out, "%s%s %s%s", i ? ", " : "", rel->cols[i].name, t,
                rel->cols[i].rowtime    ? " *ROWTIME*"
                : rel->cols[i].proctime ? " *PROCTIME*"
                                        : "");
    }
    fputs("]\n", out);
}

static void sl_plan_print(const struct sl_plan *p, int depth, FILE *out)
{
    fprintf(out, "%*s", depth * 2, "");
    const struct sl_rel *in = p->input ? &p->input->out : NULL;
    switch (p->kind) {
    case SL_PLAN_SCAN:
        fprintf(out, "Scan %s (connector %s)", p->scan.table->name, p->scan.table->connector);
        break;
    case SL_PLAN_FILTER:
        fputs("Filter ", out);
        sl_expr_print(p->filter.pred, in, out);
        break;
    case SL_PLAN_PROJECT:
        fputs("Project ", out);
        for (uint32_t i = 0; i < p->project.nexprs; i++) {
            if (i)
                fputs(", ", out);
            sl_expr_print(p->project.exprs[i], in, out);
        }
        break;
    case SL_PLAN_WATERMARK:
        if (p->watermark.proctime)
            fprintf(out, "Watermark %s: processing time (the wall clock)",
                    in->cols[p->watermark.rowtime].name);
        else
            fprintf(out, "Watermark %s - %lld ms", in->cols[p->watermark.rowtime].name,
                    (long long)p->watermark.delay_ms);
        break;
    case SL_PLAN_WINDOW:
        fprintf(out, "Window %s(%s, size %lld ms, slide %lld ms, offset %lld ms)",
                p->window.kind == SL_WINDOW_TUMBLE     ? "TUMBLE"
                : p->window.kind == SL_WINDOW_HOP      ? "HOP"
                : p->window.kind == SL_WINDOW_CUMULATE ? "CUMULATE"
                                                       : "SESSION",
                in->cols[p->window.time_col].name, (long long)p->window.size_ms,
                (long long)p->window.slide_ms, (long long)p->window.offset_ms);
        break;
    case SL_PLAN_AGG:
        fputs(p->agg.window_start >= 0 ? "WindowAggregate keys [" : "GroupAggregate keys [", out);
        for (uint32_t i = 0; i < p->agg.nkeys; i++)
            fprintf(out, "%s%s", i ? ", " : "", in->cols[p->agg.keys[i]].name);
        fputs("] aggs [", out);
        for (uint32_t i = 0; i < p->agg.naggs; i++) {
            const struct sl_agg *g = &p->agg.aggs[i];
            if (g->fn == SL_AGG_COUNT_STAR)
                fprintf(out, "%sCOUNT(*)", i ? ", " : "");
            else
                fprintf(out, "%s%s(%s%s)", i ? ", " : "", sl_agg_names[g->fn],
                        g->distinct ? "DISTINCT " : "", in->cols[g->col].name);
            if (g->filter)
                fprintf(out, " FILTER (WHERE %s)", in->cols[g->filter - 1].name);
        }
        fputc(']', out);
        if (p->agg.attached) /* a cascaded window aggregation (binder.c) */
            fprintf(out, " window attached [%s, %s]",
                    in->cols[p->agg.keys[p->agg.window_start]].name,
                    in->cols[p->agg.keys[p->agg.window_end]].name);
        if (p->agg.slice.kind != SL_WINDOW_TUMBLE) /* window slicing (binder.c) */
            fprintf(out, " slicing %s(size %lld ms, slide %lld ms, offset %lld ms)",
                    p->agg.slice.kind == SL_WINDOW_HOP ? "HOP" : "CUMULATE",
                    (long long)p->agg.slice.size_ms, (long long)p->agg.slice.slide_ms,
                    (long long)p->agg.slice.offset_ms);
        break;
    case SL_PLAN_LOOKUP_JOIN:
        fprintf(out, "LookupJoin %s%s ON ", p->lookup.left_outer ? "LEFT " : "",
                p->lookup.table->name);
        if (p->lookup.probe_expr)
            sl_expr_print(p->lookup.probe_expr, in, out);
        else
            fputs(in->cols[p->lookup.probe_col].name, out);
        fprintf(out, " = %s.%s", p->lookup.table->name,
                p->lookup.table->physical.cols[p->lookup.build_col].name);
        break;
    case SL_PLAN_SINK:
        fprintf(out, "Sink %s (connector %s)", p->sink.table->name, p->sink.table->connector);
        break;
    case SL_PLAN_LATE:
        fprintf(out, "LateSplit late rows of the window on %s -> %s (connector %s)",
                in->cols[p->late.time_col].name, p->late.table->name, p->late.table->connector);
        break;
    case SL_PLAN_JOIN: {
        /* the strategy and both input edges' changelog modes, as Flink's EXPLAIN shows them */
        const struct sl_rel *rin = &p->join.right->out;
        if (p->join.interval) { /* engine/ops/op_ijoin.h: columns with their table or alias */
            const struct sl_rel_col *oc = p->out.cols, *rc = p->out.cols + in->ncols;
#define SL_QCOL(c) (c).qual ? (c).qual : "", (c).qual ? "." : "", (c).name
            fputs("IntervalJoin INNER ON ", out);
            for (uint32_t k = 0; k < p->join.nkeys; k++)
                fprintf(out, "%s%s%s = %s%s%s AND ", SL_QCOL(oc[p->join.lkeys[k]]),
                        SL_QCOL(rc[p->join.rkeys[k]]));
            fprintf(out,
                    "%s%s%s - %s%s%s BETWEEN %lld AND %lld ms (rows dropped as the watermark "
                    "passes their bound, watermark held back %lld ms; left %s, right %s)",
                    SL_QCOL(rc[p->join.rtime]), SL_QCOL(oc[p->join.ltime]), (long long)p->join.lo,
                    (long long)p->join.hi,
                    (long long)(p->join.hi > -p->join.lo ? p->join.hi : -p->join.lo),
                    sl_changelog_mode_str(sl_plan_changelog(p->input, NULL, NULL)),
                    sl_changelog_mode_str(sl_plan_changelog(p->join.right, NULL, NULL)));
#undef SL_QCOL
            break;
        }
        static const char *const types[] = {"INNER", "LEFT OUTER", "RIGHT OUTER", "FULL OUTER"};
        fprintf(out, "Join %s hash ON ", types[p->join.type]);
        for (uint32_t k = 0; k < p->join.nkeys; k++)
            fprintf(out, "%s%s = %s", k ? " AND " : "", in->cols[p->join.lkeys[k]].name,
                    rin->cols[p->join.rkeys[k]].name);
        fprintf(out,
                " (both sides' rows kept per key, owner = key hash %% workers%s;"
                " left %s, right %s)",
                p->join.left_local ? ", left already partitioned by the key" : "",
                sl_changelog_mode_str(sl_plan_changelog(p->input, NULL, NULL)),
                sl_changelog_mode_str(sl_plan_changelog(p->join.right, NULL, NULL)));
        break;
    }
    case SL_PLAN_OVER: {
        fputs("Over PARTITION BY [", out);
        for (uint32_t i = 0; i < p->over.npart; i++)
            fprintf(out, "%s%s", i ? ", " : "", in->cols[p->over.part[i]].name);
        fprintf(out, "] ORDER BY %s %s BETWEEN ", in->cols[p->over.time_col].name,
                p->over.rows ? "ROWS" : "RANGE");
        if (p->over.preceding < 0)
            fputs("UNBOUNDED", out);
        else if (p->over.rows)
            fprintf(out, "%lld", (long long)p->over.preceding);
        else
            fprintf(out, "INTERVAL %lld ms", (long long)p->over.preceding);
        fputs(" PRECEDING AND CURRENT ROW [", out);
        for (uint32_t i = 0; i < p->over.naggs; i++) {
            const struct sl_agg *g = &p->over.aggs[i];
            if (g->fn == SL_AGG_COUNT_STAR)
                fprintf(out, "%sCOUNT(*)", i ? ", " : "");
            else
                fprintf(out, "%s%s(%s)", i ? ", " : "", sl_agg_fn_name(g->fn),
                        in->cols[g->col].name);
        }
        fputs("] (rows wait for the watermark, late rows dropped; append-only)", out);
        break;
    }
    case SL_PLAN_RANK: {
        static const char *const strategies[] = {"TopN", "Deduplicate keep last",
                                                 "Deduplicate keep first"};
        fprintf(out, "Rank %s ROW_NUMBER ranks %lld..%lld PARTITION BY [",
                strategies[p->rank.strategy], (long long)p->rank.start, (long long)p->rank.end);
        for (uint32_t i = 0; i < p->rank.npart; i++)
            fprintf(out, "%s%s", i ? ", " : "", in->cols[p->rank.part[i]].name);
        fputs("] ORDER BY [", out);
        for (uint32_t i = 0; i < p->rank.norder; i++)
            fprintf(out, "%s%s %s NULLS %s", i ? ", " : "", in->cols[p->rank.order[i]].name,
                    p->rank.desc[i] ? "DESC" : "ASC", p->rank.nulls_first[i] ? "FIRST" : "LAST");
        fprintf(out, "]%s%s%s%s", p->rank.proctime ? " (processing time: arrival order)" : "",
                p->rank.row_number ? " with the row number" : "",
                p->rank.retract ? " (RetractStrategy: over an updating input, -U / -D retract a "
                                  "row; every row of a partition kept)"
                                : "",
                p->rank.npart ? "" : " (global: one partition, on one worker)");
        break;
    }
    }
    if (p->note)
        fprintf(out, "  -- %s", p->note);
    if (sl_plan_changelog(p, NULL, NULL) != SL_CHANGELOG_INSERT_ONLY) /* engine/plan/changelog.h */
        fprintf(out, "  %s", sl_changelog_mode_str(sl_plan_changelog(p, NULL, NULL)));
    sl_rel_print(&p->out, out);
    if (p->input)
        sl_plan_print(p->input, depth + 1, out);
    if (p->kind == SL_PLAN_JOIN)
        sl_plan_print(p->join.right, depth + 1, out);
}

void sl_plan_explain(const struct sl_plan *plan, FILE *out)
{
    sl_plan_print(plan, 0, out);
}

struct sl_schema *sl_plan_rel_schema(const struct sl_rel *rel)
{
    const char **names = calloc(rel->ncols ? rel->ncols : 1, sizeof(*names));
    struct sl_type *types = calloc(rel->ncols ? rel->ncols : 1, sizeof(*types));
    struct sl_schema *s = NULL;
    if (names && types) {
        for (uint32_t i = 0; i < rel->ncols; i++) {
            names[i] = rel->cols[i].name;
            types[i] = rel->cols[i].type;
        }
        s = sl_schema_new(rel->ncols, names, types);
    }
    free(names);
    free(types);
    return s;
}
