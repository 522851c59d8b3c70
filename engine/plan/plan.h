/*
 * engine/plan/plan.h - the logical plan: bound, typed expressions and relational operators, as
 * the binder (engine/sql/binder.h) builds them from the syntax tree and as the executor
 * will run them.
 *
 * A relation is a list of typed columns. ROW columns of a table are flattened: the field
 * `price` of ROW column `bid` is the column named "bid.price". Expressions refer to columns
 * of their operator's input by index. Everything lives in the arena of the struct sl_job
 * that owns the plan.
 */
#ifndef SL_ENGINE_PLAN_H
#define SL_ENGINE_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/types.h"

struct sl_rel_col {
    const char *name; /* "auction", "bid.price", "window_start" */
    const char *qual; /* the table or alias it is reachable through, NULL if none */
    struct sl_type type;
    bool rowtime;  /* an event-time attribute */
    bool proctime; /* a processing-time attribute (PROCTIME(), or a column of one unchanged) */
    /* a rowtime attribute a regular join made a plain TIMESTAMP (Flink materializes it):
     * an OVER aggregate over an updating input may still order by it (engine/ops/op_over.h) */
    bool mtime;
};

struct sl_rel {
    uint32_t ncols;
    struct sl_rel_col *cols;
};

struct sl_schema;
/* A batch schema (engine/core/batch.h) with the columns of `rel` (names and types); the
 * caller owns it (sl_schema_free). NULL when out of memory. */
struct sl_schema *sl_plan_rel_schema(const struct sl_rel *rel);

/* ---- expressions --------------------------------------------------------------------------- */

typedef enum sl_expr_kind {
    SL_EXPR_COL,  /* input column .col */
    SL_EXPR_LIT,  /* constant .lit (or NULL when .lit_null) */
    SL_EXPR_CALL, /* .fn(.args) */
} sl_expr_kind;

typedef enum sl_fn {
    SL_FN_NONE = 0,
    /* arithmetic: numeric operands already cast to the result type, except DECIMAL scales
     * which the executor aligns; TIMESTAMP +- interval (BIGINT ms) is ADD / SUB */
    SL_FN_ADD,
    SL_FN_SUB,
    SL_FN_MUL,
    SL_FN_DIV,
    SL_FN_MOD,
    SL_FN_NEG,
    /* comparisons: both operands of one type */
    SL_FN_EQ,
    SL_FN_NE,
    SL_FN_LT,
    SL_FN_LE,
    SL_FN_GT,
    SL_FN_GE,
    SL_FN_AND,
    SL_FN_OR,
    SL_FN_NOT,
    SL_FN_IS_NULL,
    SL_FN_IS_NOT_NULL,
    SL_FN_CASE,        /* args: cond1, val1, cond2, val2, ..., else (always present, maybe NULL) */
    SL_FN_CAST,        /* args[0] to .type */
    SL_FN_IN,          /* args[0] IN (args[1..]) */
    SL_FN_LIKE,        /* args[0] LIKE args[1] (a constant pattern) */
    SL_FN_CONCAT,      /* args[0] || args[1] */
    SL_FN_ITEM,        /* args[0][args[1]]: a MAP's value for a key, NULL when absent */
    SL_FN_CARDINALITY, /* CARDINALITY(args[0]): a MAP's number of entries */
    SL_FN_MAP,         /* MAP[k1, v1, k2, v2, ...]: a MAP<STRING, BYTES> value */
    SL_FN_UDF,         /* .udf(args): a user-defined function (engine/plan/udf.h) */
    /* string, regex, hash and conditional functions (engine/ops/fn_string.h has their
     * semantics); string arguments VARCHAR, integer arguments INT */
    SL_FN_SUBSTRING,      /* (s, start [, len]) */
    SL_FN_CONCAT_N,       /* CONCAT(s1, s2, ...): NULL when any is NULL */
    SL_FN_CONCAT_WS,      /* (sep, s1, ...): NULL arguments skipped */
    SL_FN_UPPER,          /* (s) */
    SL_FN_LOWER,          /* (s) */
    SL_FN_TRIM_BOTH,      /* (s, chars) */
    SL_FN_TRIM_LEADING,   /* (s, chars) */
    SL_FN_TRIM_TRAILING,  /* (s, chars) */
    SL_FN_LPAD,           /* (s, len, pad) */
    SL_FN_RPAD,           /* (s, len, pad) */
    SL_FN_CHAR_LENGTH,    /* (s): INT */
    SL_FN_POSITION,       /* (needle, haystack): INT, 1-based, 0 when absent */
    SL_FN_REPLACE,        /* (s, search, replacement) */
    SL_FN_SPLIT_INDEX,    /* (s, sep, index) */
    SL_FN_REGEXP,         /* (s, re): BOOLEAN, a match anywhere */
    SL_FN_REGEXP_EXTRACT, /* (s, re, group) */
    SL_FN_REGEXP_REPLACE, /* (s, re, replacement) */
    SL_FN_INITCAP,        /* (s) */
    SL_FN_REVERSE,        /* (s) */
    SL_FN_OVERLAY,        /* (s, r, start [, len]) */
    SL_FN_MD5,            /* (s): 32 lowercase hex digits */
    SL_FN_SHA256,         /* (s): 64 lowercase hex digits */
    SL_FN_GREATEST,       /* (a, b, ...) of one type: NULL when any is NULL */
    SL_FN_LEAST,          /* (a, b, ...) */
    SL_FN_JSON_VALUE,     /* (json, path, empty, empty_default, error, error_default): fn_json.h */
    /* time and numeric functions (engine/ops/eval_fn.c). A time unit is an INT constant
     * argument, an sl_time_unit (engine/core/dtpattern.h) */
    SL_FN_DATE_FORMAT,    /* DATE_FORMAT(ts | s, fmt) */
    SL_FN_FROM_UNIXTIME,  /* FROM_UNIXTIME(n, fmt) */
    SL_FN_EXTRACT,        /* EXTRACT(unit FROM ts): args unit, ts */
    SL_FN_TS_FLOOR,       /* FLOOR(ts TO unit): args unit, ts */
    SL_FN_TS_CEIL,        /* CEIL(ts TO unit): args unit, ts */
    SL_FN_TIMESTAMPADD,   /* TIMESTAMPADD(unit, n, ts) */
    SL_FN_TIMESTAMPDIFF,  /* TIMESTAMPDIFF(unit, a, b) */
    SL_FN_TO_TIMESTAMP,   /* TO_TIMESTAMP(s [, fmt]) */
    SL_FN_UNIX_TIMESTAMP, /* UNIX_TIMESTAMP(s [, fmt]); no argument: now */
    SL_FN_NOW,            /* CURRENT_TIMESTAMP, LOCALTIMESTAMP, NOW(): per batch */
    SL_FN_ABS,
    SL_FN_ROUND, /* ROUND(x, d): d an INT constant */
    SL_FN_FLOOR,
    SL_FN_CEIL,
    SL_FN_POWER,
    SL_FN_SQRT,
    SL_FN_LN,
    SL_FN_LOG10,
    SL_FN_LOG, /* LOG(x) = LN; LOG(b, x) */
    SL_FN_EXP,
    SL_FN_RAND,     /* RAND(): args none; RAND(seed): a BIGINT constant */
    SL_FN_PROCTIME, /* PROCTIME(): the wall clock (TIMESTAMP_LTZ(3)) when the batch is evaluated */
    SL_FN_COUNT
} sl_fn;

struct sl_udf; /* engine/plan/udf.h */

struct sl_expr {
    sl_expr_kind kind;
    struct sl_type type; /* nullable when it can be NULL */
    size_t pos;          /* in the SQL source, for errors */
    int col;             /* SL_EXPR_COL */
    bool lit_null;       /* SL_EXPR_LIT: the constant NULL */
    bool interval;       /* SL_EXPR_LIT: an INTERVAL, as BIGINT milliseconds */
    union {              /* SL_EXPR_LIT, by type: BOOLEAN/INT/BIGINT/DECIMAL/TIMESTAMP in i */
        int64_t i;
        double d;
        struct {
            const char *s; /* VARCHAR: bytes, owned by the job's arena */
            uint32_t slen;
        };
    } lit;
    sl_fn fn; /* SL_EXPR_CALL */
    uint32_t nargs;
    struct sl_expr **args;
    const struct sl_udf *udf; /* SL_FN_UDF: owned by the job's sl_udf_set */
};

const char *sl_fn_name(sl_fn fn);

/* Whether fn is one of the time and numeric functions (engine/ops/eval_fn.h evaluates them;
 * EXPLAIN writes them NAME(args)). */
bool sl_fn_is_time_numeric(sl_fn fn);

/* Writes the expression in SQL-like text, naming columns from `in`. */
void sl_expr_print(const struct sl_expr *e, const struct sl_rel *in, FILE *out);

/* ---- operators ----------------------------------------------------------------------------- */

typedef enum sl_plan_kind {
    SL_PLAN_SCAN,        /* a table's flattened physical columns */
    SL_PLAN_FILTER,      /* rows where .pred is TRUE */
    SL_PLAN_PROJECT,     /* .exprs over the input */
    SL_PLAN_WATERMARK,   /* assigns watermarks: .rowtime column minus .delay_ms; rows unchanged */
    SL_PLAN_WINDOW,      /* input columns + window_start, window_end, window_time */
    SL_PLAN_AGG,         /* GROUP BY .keys: key columns then aggregates */
    SL_PLAN_LOOKUP_JOIN, /* input joined with a bounded table on one equality key */
    SL_PLAN_SINK,        /* writes the input into .table */
    SL_PLAN_LATE,        /* late-data side output (engine/plan/late.h): rows unchanged, minus
                            those the window above would drop, which go to .late.table */
    SL_PLAN_JOIN,        /* regular join of two streams (engine/ops/op_join.h): .input
                            (left) with .join.right on equal keys; out = the left's columns,
                            then the right's. INNER: other conditions are a filter above it;
                            LEFT / RIGHT / FULL OUTER (.join.type): null-padded rows, their
                            retraction (-D) at the first match: an updating output */
    SL_PLAN_RANK,        /* ROW_NUMBER() OVER ... WHERE rn <= N: Top-N or deduplication (.rank);
                            input columns, then the row number when .rank.row_number; no
                            PARTITION BY (npart 0): one partition, a global Top-N */
    SL_PLAN_OVER,        /* agg(x) OVER (PARTITION BY ... ORDER BY rowtime ROWS | RANGE BETWEEN
                            ... PRECEDING AND CURRENT ROW) (.over, engine/ops/op_over.h): input
                            columns, then one per aggregate; append-only */
} sl_plan_kind;

/* The kind of a regular join (SL_PLAN_JOIN's .join.type). */
typedef enum sl_plan_join_type {
    SL_PLAN_JOIN_INNER = 0,
    SL_PLAN_JOIN_LEFT,  /* LEFT OUTER: left rows without a match null-padded */
    SL_PLAN_JOIN_RIGHT, /* RIGHT OUTER */
    SL_PLAN_JOIN_FULL,  /* FULL OUTER: either side's */
} sl_plan_join_type;

/* How a Rank node runs (Flink's StreamPhysicalRank / StreamPhysicalDeduplicate, chosen as
 * Flink's RankUtil.canConvertToDeduplicate does; engine/ops/op_rank.h has the semantics). */
typedef enum sl_rank_strategy {
    SL_RANK_TOPN,       /* the top rows per partition (AppendOnlyTopNFunction; over an
                           updating input RetractableTopNFunction: .rank.retract) */
    SL_RANK_DEDUP_LAST, /* rn = 1, ORDER BY a time attribute DESC, no row number: keep last */
    SL_RANK_DEDUP_FIRST /* ... ASC: keep first */
} sl_rank_strategy;

/* SESSION: each row gets its own window [ts, ts + gap) (size_ms = slide_ms = the gap); the
 * aggregation above (agg.session) merges the windows of one key that overlap, as Flink's
 * MergingWindowSet does */
typedef enum sl_window_kind {
    SL_WINDOW_TUMBLE,
    SL_WINDOW_HOP,
    SL_WINDOW_CUMULATE,
    SL_WINDOW_SESSION
} sl_window_kind;

typedef enum sl_agg_fn {
    SL_AGG_COUNT_STAR,
    SL_AGG_COUNT,
    SL_AGG_SUM,
    SL_AGG_MIN,
    SL_AGG_MAX,
    SL_AGG_AVG,
} sl_agg_fn;

/* The SQL name of an aggregate function: "COUNT(*)", "COUNT", "SUM", ... (static; the one
 * table of these names). */
const char *sl_agg_fn_name(sl_agg_fn fn);

struct sl_agg {
    sl_agg_fn fn;
    int col; /* input column, -1 for COUNT(*) */
    bool distinct;
    struct sl_type type; /* result type */
    int filter;          /* FILTER (WHERE ...): 1 + the BOOLEAN input column, 0 for none */
};

struct sl_table; /* engine/plan/catalog.h */

struct sl_plan {
    sl_plan_kind kind;
    struct sl_rel out;
    struct sl_plan *input;
    size_t pos;
    const char *note; /* e.g. "view bid" - shown by EXPLAIN */
    union {
        struct {
            const struct sl_table *table;
        } scan;
        struct {
            struct sl_expr *pred;
        } filter;
        struct {
            uint32_t nexprs;
            struct sl_expr **exprs;
        } project;
        struct {
            int rowtime;      /* input column */
            int64_t delay_ms; /* bounded out-of-orderness */
            /* processing time (a window over a PROCTIME() attribute): the watermark is the
             * wall clock, rowtime the attribute; event-time watermarks from upstream are not
             * passed on, the end of the input (INT64_MAX) is */
            bool proctime;
        } watermark;
        struct {
            sl_window_kind kind;
            int time_col; /* input column (a rowtime attribute) */
            int64_t size_ms;
            int64_t slide_ms; /* HOP slide, CUMULATE step; = size for TUMBLE */
            int64_t offset_ms;
            int npart;       /* SESSION: PARTITION BY columns (input), -1: a group window's */
            const int *part; /* keys (GROUP BY ..., SESSION(...)) */
        } window;
        struct {
            uint32_t nkeys;
            int *keys; /* input columns */
            uint32_t naggs;
            struct sl_agg *aggs;
            int window_start; /* index in keys of window_start, or -1: a windowed agg */
            int window_end;
            bool session; /* over SESSION windows: merges them per non-window key */
            /* a cascaded window aggregation (Flink's WindowAttachedWindowingStrategy): the
             * keys window_start and window_end are the window columns of a window
             * aggregation below (under any names); each row's window is those columns */
            bool attached;
            /* window slicing (engine/ops/op_winagg.c): a HOP / CUMULATE window fused into
             * this aggregation by the binder. The input has no window columns: the keys
             * window_start and window_end both hold the rowtime, and the operator assigns
             * each row to its slice (slide / step wide) itself. kind TUMBLE: not sliced. */
            struct {
                sl_window_kind kind;
                int64_t size_ms, slide_ms, offset_ms;
            } slice;
        } agg;
        struct {
            const struct sl_table *table;
            int probe_col;              /* input column, or -1 when probe_expr gives the key */
            struct sl_expr *probe_expr; /* the key as an expression over the input, or NULL */
            int build_col;              /* column of the table */
            bool left_outer;
        } lookup;
        struct {
            const struct sl_table *table;
        } sink;
        struct {
            struct sl_plan *right; /* the right input (the left is .input) */
            uint32_t nkeys;        /* >= 1: equi-join keys, pairwise of one type */
            int *lkeys;            /* left input columns */
            int *rkeys;            /* right input columns */
            struct sl_expr *cond;  /* the binder's only: ON, until it became keys and filters */
            /* the left input is already partitioned by this join's key (it is the output of
             * a join whose owner worker is hash(lkeys) % N): no exchange for left rows */
            bool left_local;
            /* an interval join (engine/ops/op_ijoin.h): the right's rowtime rtime minus the
             * left's ltime lies in [lo, hi] ms; both stay time attributes in the output */
            bool interval;
            int ltime, rtime; /* left input column, right input column */
            int64_t lo, hi;
            /* INNER, or LEFT / RIGHT / FULL OUTER */
            sl_plan_join_type type;
            /* an outer join's other conditions of ON, over out's columns (NULL: none): they
             * decide which pairs match (an inner join's are a filter above it) */
            struct sl_expr *residual;
        } join;
        struct {
            uint32_t npart;
            const int *part; /* PARTITION BY: input columns */
            uint32_t norder;
            const int *order;          /* ORDER BY: input columns */
            const bool *desc;          /* per order column: DESC */
            const bool *nulls_first;   /* per order column: NULLS FIRST (Flink's default:
                                          ASC first, DESC last) */
            int64_t start, end;        /* the rank range [start, end], 1 <= start <= end;
                                          end 0 while the binder has not seen the WHERE */
            bool row_number;           /* the row number is the last output column */
            sl_rank_strategy strategy; /* set with the range */
            bool proctime;             /* deduplication on a processing-time attribute:
                                          arrival order, the attribute's values unused */
            bool retract; /* Top-N over an updating input: its -U / -D retract a row, every
                             row of a partition is kept (Flink's RetractStrategy,
                             RetractableTopNFunction); set with the strategy */
        } rank;
        struct {
            uint32_t npart;
            const int *part;   /* PARTITION BY: input columns */
            int time_col;      /* ORDER BY: the input's rowtime attribute, ascending */
            bool rows;         /* a ROWS frame, else RANGE */
            int64_t preceding; /* ROWS: rows before the current one; RANGE: ms; -1 UNBOUNDED */
            uint32_t naggs;
            const struct sl_agg *aggs; /* .fn, .col (input column, -1 for COUNT(*)), .type */
        } over;
        struct {                          /* engine/plan/late.h has the rule */
            const struct sl_table *table; /* the late table ('sluice.late-data.sink') */
            sl_window_kind kind;          /* of the window aggregation it mirrors */
            int time_col;                 /* input column: the window's time attribute */
            int64_t size_ms, slide_ms, offset_ms;
            const int *cols;   /* per late-table column: input column, or SL_LATE_REASON,
                                  SL_LATE_WATERMARK */
            const char *where; /* "GROUP BY at q.sql:12:3": the aggregation, for the reason */
        } late;
    };
};

/* What a late table column gets besides a source column (plan.late.cols). */
#define SL_LATE_REASON (-1)
#define SL_LATE_WATERMARK (-2)

/* Prints the plan as an indented tree (sluice explain). */
void sl_plan_explain(const struct sl_plan *plan, FILE *out);

#endif
