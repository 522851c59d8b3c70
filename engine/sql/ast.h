/*
 * engine/sql/ast.h - the syntax tree of a Flink SQL file, as the parser builds it.
 *
 * Every node lives in the arena of its struct sl_sql_file and carries `pos`, the byte offset
 * of its first token in the expanded source, so the binder and planner can point at it in
 * errors (sl_sql_error_at). Identifiers are stored as written (back-quotes removed): as in
 * Flink, table and column names match case-sensitively, while keywords and function names do
 * not; the binder suggests the right spelling when only the case differs.
 */
#ifndef SL_ENGINE_SQL_AST_H
#define SL_ENGINE_SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/arena.h"
#include "engine/core/types.h"
#include "engine/plan/sql_source.h"

struct sl_ast;

struct sl_ast_list {
    uint32_t n;
    struct sl_ast **items;
};

/* A declared type: a scalar sl_type, or a ROW of named fields (nested ROWs allowed). */
struct sl_ast_type {
    bool is_row;
    struct sl_type scalar; /* when !is_row */
    uint32_t nfields;      /* when is_row */
    const char **field_names;
    struct sl_ast_type **field_types;
    size_t pos;
};

typedef enum sl_ast_kind {
    /* expressions */
    SL_AST_INT,      /* integer literal: text in .lit (may exceed int64: the binder checks) */
    SL_AST_DEC,      /* decimal / approximate literal: text in .lit */
    SL_AST_STR,      /* string literal: unescaped value in .lit */
    SL_AST_BOOL,     /* TRUE / FALSE: .ival 1 / 0 */
    SL_AST_NULL,     /* NULL */
    SL_AST_INTERVAL, /* INTERVAL 'n' unit: .ival milliseconds */
    SL_AST_TS_LIT,   /* TIMESTAMP 'yyyy-MM-dd HH:mm:ss[.SSS]': .lit */
    SL_AST_COLUMN,   /* a.b.c: .path */
    SL_AST_STAR,     /* * or t.*: .path holds the qualifier, if any */
    SL_AST_UNARY,    /* .op (SL_OP_NEG / SL_OP_NOT / SL_OP_PLUS) .left */
    SL_AST_BINARY,   /* .op .left .right */
    SL_AST_IS_NULL,  /* .left IS [NOT] NULL (.negated) */
    SL_AST_BETWEEN,  /* .left [NOT] BETWEEN .args[0] AND .args[1] */
    SL_AST_IN,       /* .left [NOT] IN (.args) */
    SL_AST_LIKE,     /* .left [NOT] LIKE .right */
    SL_AST_CASE,     /* CASE [.left] WHEN .args[2i] THEN .args[2i+1] ... [ELSE .right] END */
    SL_AST_CAST,     /* CAST(.left AS .type) */
    SL_AST_CALL,     /* .name(.args), .star for COUNT(*), .distinct, FILTER (WHERE .right) */
    SL_AST_OVER,     /* .over: ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) */
    /* relations */
    SL_AST_SELECT,    /* a query block, see struct sl_ast_select */
    SL_AST_TABLE_REF, /* FROM name [AS alias] */
    SL_AST_SUBQUERY,  /* FROM (query) [AS alias] */
    SL_AST_WINDOW,    /* FROM TABLE(TUMBLE|HOP|CUMULATE|SESSION(TABLE t, DESCRIPTOR(c), ...)) */
    SL_AST_JOIN,      /* .left JOIN .right ON .cond */
    /* statements */
    SL_AST_CREATE_TABLE,
    SL_AST_CREATE_VIEW,
    SL_AST_INSERT,
    SL_AST_SET,
    SL_AST_CREATE_FUNCTION, /* CREATE [TEMPORARY] [SYSTEM] FUNCTION: .function */
    SL_AST_DROP_FUNCTION,   /* DROP [TEMPORARY] [SYSTEM] FUNCTION [IF EXISTS]: .function */
} sl_ast_kind;

typedef enum sl_ast_op {
    SL_OP_NONE = 0,
    SL_OP_NEG,
    SL_OP_PLUS,
    SL_OP_NOT,
    SL_OP_ADD,
    SL_OP_SUB,
    SL_OP_MUL,
    SL_OP_DIV,
    SL_OP_MOD,
    SL_OP_CONCAT,
    SL_OP_EQ,
    SL_OP_NE,
    SL_OP_LT,
    SL_OP_LE,
    SL_OP_GT,
    SL_OP_GE,
    SL_OP_AND,
    SL_OP_OR,
} sl_ast_op;

typedef enum sl_join_kind {
    SL_JOIN_INNER = 0,
    SL_JOIN_LEFT,
    SL_JOIN_RIGHT,
    SL_JOIN_FULL,
    SL_JOIN_CROSS,
} sl_join_kind;

struct sl_ast_select {
    bool distinct;
    struct sl_ast_list items; /* expressions; aliases in .alias of each */
    struct sl_ast *from;      /* NULL for SELECT without FROM */
    struct sl_ast *where;
    struct sl_ast_list group_by;
    struct sl_ast *having;
};

struct sl_ast_column_def {
    const char *name;
    struct sl_ast_type *type; /* NULL for a computed column */
    struct sl_ast *expr;      /* computed column: name AS expr */
    bool metadata;            /* `TYPE METADATA [FROM 'key'] [VIRTUAL]` */
    const char *meta_key;     /* FROM 'key', else NULL (the column's name) */
    bool meta_virtual;        /* VIRTUAL: read only, not written by an INSERT */
    size_t pos;
};

struct sl_ast_option {
    const char *key;
    const char *value;
    size_t pos;
};

struct sl_ast_create_table {
    const char *name;
    uint32_t ncols;
    struct sl_ast_column_def *cols;
    const char *wm_column; /* WATERMARK FOR wm_column AS wm_expr, or NULL */
    struct sl_ast *wm_expr;
    size_t wm_pos;
    uint32_t npk; /* PRIMARY KEY (..) NOT ENFORCED */
    const char **pk;
    uint32_t npart; /* PARTITIONED BY (..) */
    const char **part;
    size_t part_pos;
    uint32_t nopts;
    struct sl_ast_option *opts;
    bool if_not_exists;
    bool temporary;
};

struct sl_ast {
    sl_ast_kind kind;
    size_t pos;
    const char *alias; /* expr AS alias, or relation alias */
    union {
        /* literals */
        struct {
            const char *lit;
            int64_t ival;
        };
        /* columns, stars: path[0].path[1]... */
        struct {
            uint32_t npath;
            const char **path;
        };
        /* operators, calls, case, cast */
        struct {
            sl_ast_op op;
            bool negated;
            bool distinct;
            bool star;
            const char *name; /* function name, as written */
            struct sl_ast *left;
            struct sl_ast *right;
            struct sl_ast_list args;
            struct sl_ast_type *type;
        };
        struct sl_ast_select select;
        /* OVER: the ranking call .over.call (ROW_NUMBER(), or an aggregate COUNT / SUM / MIN /
         * MAX / AVG; the parser refuses the others),
         * PARTITION BY .over.part, ORDER BY .over.order with per item .over.desc and
         * .over.nulls (0: the default, NULLS FIRST for ASC and LAST for DESC as in Flink;
         * 1: NULLS FIRST; 2: NULLS LAST) */
        struct {
            struct sl_ast *call;
            struct sl_ast_list part;
            struct sl_ast_list order;
            bool *desc;
            uint8_t *nulls;
            /* an aggregate's frame: 0 none (Flink's default: RANGE UNBOUNDED PRECEDING),
             * 1 ROWS, 2 RANGE; BETWEEN .preceding PRECEDING AND CURRENT ROW (.preceding
             * NULL: UNBOUNDED), written at .frame_pos */
            uint8_t frame;
            struct sl_ast *preceding;
            size_t frame_pos;
        } over;
        /* TABLE_REF: table; WINDOW: func(TABLE wtable, DESCRIPTOR(descriptor), wargs...) */
        struct {
            const char *table;
            const char *func;
            struct sl_ast *wtable; /* a TABLE_REF */
            const char *descriptor;
            struct sl_ast_list wargs;
            struct sl_ast *systime;   /* TABLE_REF: FOR SYSTEM_TIME AS OF systime, or NULL */
            struct sl_ast_list wpart; /* SESSION: TABLE t PARTITION BY (wpart...) */
        };
        /* JOIN */
        struct {
            sl_join_kind join;
            struct sl_ast *jleft;
            struct sl_ast *jright;
            struct sl_ast *cond;
        };
        struct sl_ast_create_table create_table;
        /* CREATE VIEW name AS query; INSERT INTO name query */
        struct {
            const char *target;
            struct sl_ast *query;
        };
        /* SET 'key' = 'value' */
        struct {
            const char *set_key;
            const char *set_value;
        };
        /* CREATE FUNCTION name AS 'identifier' / DROP FUNCTION name */
        struct {
            const char *name;
            const char *identifier; /* CREATE only */
            bool if_exists;         /* IF NOT EXISTS (CREATE), IF EXISTS (DROP) */
            bool system;
            bool temporary;
            size_t name_pos;
        } function;
    };
};

/* A parsed file: its statements in order, the source, and the arena that owns every node. */
struct sl_sql_file {
    struct sl_sql_source *src; /* owned */
    struct sl_arena arena;
    struct sl_ast_list stmts;
};

#endif
