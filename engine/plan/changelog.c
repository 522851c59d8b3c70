/*
 * engine/plan/changelog.c - changelog mode inference (see engine/plan/changelog.h).
 */
#include "engine/plan/changelog.h"

#include <stdio.h>
#include <string.h>

#include "engine/plan/catalog.h"

static bool sl_cl_passes(const struct sl_plan *p)
{
    return p->kind == SL_PLAN_FILTER || p->kind == SL_PLAN_PROJECT || p->kind == SL_PLAN_SINK;
}

sl_changelog_mode sl_plan_changelog(const struct sl_plan *p, const struct sl_plan **producer,
                                    const struct sl_plan **refuser)
{
    const struct sl_plan *prod = NULL, *ref = NULL;
    sl_changelog_mode in = SL_CHANGELOG_INSERT_ONLY, out;
    if (p->input)
        in = sl_plan_changelog(p->input, &prod, &ref);
    if (sl_cl_passes(p)) {
        out = in;
    } else {
        /* an unbounded GROUP BY consumes updates (it retracts, engine/ops/op_groupagg.c) */
        bool takes = p->kind == SL_PLAN_AGG && p->agg.window_start < 0;
        /* sluice's OVER aggregate retracts a row from its frame (engine/ops/op_over.h; Flink's
         * refuses updates, FLINK-19059) */
        takes |= p->kind == SL_PLAN_OVER;
        takes |= p->kind == SL_PLAN_JOIN && !p->join.interval; /* engine/ops/op_join.h */
        /* a Top-N retracts (Flink's RetractableTopNFunction); a deduplication does not */
        takes |= p->kind == SL_PLAN_RANK && p->rank.strategy == SL_RANK_TOPN;
        if (in != SL_CHANGELOG_INSERT_ONLY && !ref && !takes)
            ref = p;
        out = SL_CHANGELOG_INSERT_ONLY;
        prod = NULL;
        /* a regular join takes updating inputs on both sides (engine/ops/op_join.h); the
         * interval join insert-only ones */
        if (p->kind == SL_PLAN_JOIN && !ref) {
            const struct sl_plan *rprod = NULL, *rref = NULL;
            sl_changelog_mode rm = sl_plan_changelog(p->join.right, &rprod, &rref);
            ref = rref ? rref : rm != SL_CHANGELOG_INSERT_ONLY && p->join.interval ? p : NULL;
            if (!p->join.interval && p->join.type == SL_PLAN_JOIN_INNER &&
                (in != SL_CHANGELOG_INSERT_ONLY || rm != SL_CHANGELOG_INSERT_ONLY)) {
                /* Flink's inner Join forwards its inputs' kinds of change (the union):
                 * [I,UB,UA] over two GROUP BYs, [I,UB,UA,D] when one deletes */
                out = in == SL_CHANGELOG_ALL || rm == SL_CHANGELOG_ALL ? SL_CHANGELOG_ALL
                                                                       : SL_CHANGELOG_RETRACT;
                prod = p;
            }
        }
        if (p->kind == SL_PLAN_JOIN && p->join.type != SL_PLAN_JOIN_INNER) {
            /* an outer join retracts a null-padded row at its first match (-D): Flink's
             * Join(joinType=[LeftOuterJoin]) is changelogMode=[I,UB,UA,D] */
            out = SL_CHANGELOG_ALL;
            prod = p;
        }
        if (p->kind == SL_PLAN_AGG && p->agg.window_start < 0) {
            /* over an updating input a group can lose all its rows: -D (Flink's
             * GroupAggregate is then changelogMode=[I,UB,UA,D]) */
            out = in == SL_CHANGELOG_INSERT_ONLY ? SL_CHANGELOG_RETRACT : SL_CHANGELOG_ALL;
            prod = p;
        }
        if ((p->kind == SL_PLAN_RANK &&
             !(p->rank.strategy == SL_RANK_DEDUP_FIRST && p->rank.proctime)) ||
            (p->kind == SL_PLAN_SCAN && p->scan.table->changelog)) { /* debezium-json, upsert */
            out = SL_CHANGELOG_ALL;
            prod = p;
        }
    }
    if (producer)
        *producer = prod;
    if (refuser)
        *refuser = ref;
    return out;
}

const char *sl_changelog_mode_str(sl_changelog_mode m)
{
    return m == SL_CHANGELOG_ALL       ? "changelogMode=[I,UB,UA,D]"
           : m == SL_CHANGELOG_RETRACT ? "changelogMode=[I,UB,UA]"
                                       : "changelogMode=[I]";
}

void sl_plan_node_name(const struct sl_plan *p, char *buf, size_t cap)
{
    if (!cap)
        return;
    buf[0] = '\0';
    size_t n = 0;
#define SL_CL_PUT(...)                                            \
    do {                                                          \
        if (n < cap)                                              \
            n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__); \
    } while (0)
    const struct sl_rel *in = p->input ? &p->input->out : NULL;
    switch (p->kind) {
    case SL_PLAN_SCAN:
        SL_CL_PUT("TableSourceScan");
        if (p->scan.table->changelog) /* Flink's name of a changelog source */
            SL_CL_PUT("(table=[[default_catalog, default_database, %s]], fields=[",
                      p->scan.table->name);
        for (uint32_t c = 0; p->scan.table->changelog && c < p->out.ncols; c++)
            SL_CL_PUT("%s%s", c ? ", " : "", p->out.cols[c].name);
        if (p->scan.table->changelog)
            SL_CL_PUT("])");
        break;
    case SL_PLAN_FILTER:
    case SL_PLAN_PROJECT:
        SL_CL_PUT("Calc");
        break;
    case SL_PLAN_WATERMARK:
        SL_CL_PUT("WatermarkAssigner");
        break;
    case SL_PLAN_WINDOW:
        SL_CL_PUT("WindowTableFunction");
        break;
    case SL_PLAN_LOOKUP_JOIN:
        SL_CL_PUT("LookupJoin");
        break;
    case SL_PLAN_SINK:
        SL_CL_PUT("Sink");
        break;
    case SL_PLAN_LATE:
        SL_CL_PUT("LateSplit");
        break;
    case SL_PLAN_JOIN:
        if (p->join.interval) {
            SL_CL_PUT("IntervalJoin(joinType=[InnerJoin], windowBounds=[isRowTime=true, "
                      "leftLowerBound=%lld, leftUpperBound=%lld])",
                      (long long)-p->join.hi, (long long)-p->join.lo);
            break;
        }
        SL_CL_PUT("Join(joinType=[%s])", p->join.type == SL_PLAN_JOIN_LEFT    ? "LeftOuterJoin"
                                         : p->join.type == SL_PLAN_JOIN_RIGHT ? "RightOuterJoin"
                                         : p->join.type == SL_PLAN_JOIN_FULL  ? "FullOuterJoin"
                                                                              : "InnerJoin");
        break;
    case SL_PLAN_RANK: /* Flink's Rank(strategy=..., rankType=ROW_NUMBER, ...) / Deduplicate */
        if (p->rank.strategy != SL_RANK_TOPN) {
            SL_CL_PUT("Deduplicate(keep=[%s], key=[",
                      p->rank.strategy == SL_RANK_DEDUP_LAST ? "LastRow" : "FirstRow");
            for (uint32_t k = 0; k < p->rank.npart; k++)
                SL_CL_PUT("%s%s", k ? ", " : "", in->cols[p->rank.part[k]].name);
            SL_CL_PUT("], order=[%s])", p->rank.proctime ? "PROCTIME" : "ROWTIME");
            break;
        }
        SL_CL_PUT("Rank(strategy=[%s], rankType=[ROW_NUMBER], "
                  "rankRange=[rankStart=%lld, rankEnd=%lld], partitionBy=[",
                  p->rank.retract ? "RetractStrategy" : "AppendFastStrategy",
                  (long long)p->rank.start, (long long)p->rank.end);
        for (uint32_t k = 0; k < p->rank.npart; k++)
            SL_CL_PUT("%s%s", k ? ", " : "", in->cols[p->rank.part[k]].name);
        SL_CL_PUT("], orderBy=[");
        for (uint32_t k = 0; k < p->rank.norder; k++)
            SL_CL_PUT("%s%s %s", k ? ", " : "", in->cols[p->rank.order[k]].name,
                      p->rank.desc[k] ? "DESC" : "ASC");
        SL_CL_PUT("], select=[");
        for (uint32_t k = 0; k < in->ncols; k++)
            SL_CL_PUT("%s%s", k ? ", " : "", in->cols[k].name);
        SL_CL_PUT("%s])", p->rank.row_number ? ", w0$o0" : "");
        break;
    case SL_PLAN_OVER: /* Flink's OverAggregate(partitionBy=[..], orderBy=[.. ASC], window=..) */
        SL_CL_PUT("OverAggregate(partitionBy=[");
        for (uint32_t k = 0; k < p->over.npart; k++)
            SL_CL_PUT("%s%s", k ? ", " : "", in->cols[p->over.part[k]].name);
        SL_CL_PUT("], orderBy=[%s ASC], window=[%s BETWEEN ", in->cols[p->over.time_col].name,
                  p->over.rows ? "ROWS" : "RANG");
        if (p->over.preceding < 0)
            SL_CL_PUT("UNBOUNDED PRECEDING");
        else
            SL_CL_PUT("%lld PRECEDING", (long long)p->over.preceding);
        SL_CL_PUT(" AND CURRENT ROW])");
        break;
    case SL_PLAN_AGG:
        if (p->agg.window_start >= 0) {
            SL_CL_PUT("WindowAggregate");
            break;
        }
        SL_CL_PUT("GroupAggregate(groupBy=[");
        for (uint32_t k = 0; k < p->agg.nkeys; k++)
            SL_CL_PUT("%s%s", k ? ", " : "", in->cols[p->agg.keys[k]].name);
        SL_CL_PUT("], select=[");
        for (uint32_t k = 0; k < p->agg.nkeys; k++)
            SL_CL_PUT("%s, ", in->cols[p->agg.keys[k]].name);
        for (uint32_t i = 0; i < p->agg.naggs; i++) {
            const struct sl_agg *g = &p->agg.aggs[i];
            if (g->fn == SL_AGG_COUNT_STAR)
                SL_CL_PUT("%sCOUNT(*)", i ? ", " : "");
            else
                SL_CL_PUT("%s%s(%s%s)", i ? ", " : "", sl_agg_fn_name(g->fn),
                          g->distinct ? "DISTINCT " : "", in->cols[g->col].name);
            if (g->filter)
                SL_CL_PUT(" FILTER %s", in->cols[g->filter - 1].name);
        }
        SL_CL_PUT("])");
        break;
    }
#undef SL_CL_PUT
    if (n >= cap && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
}
