/*
 * engine/plan/catalog.h - the tables and views a SQL file declares, and the job: what
 * `sluice run` / `sluice explain` get from a file after binding (engine/sql/binder.h).
 */
#ifndef SL_ENGINE_CATALOG_H
#define SL_ENGINE_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/arena.h"
#include "engine/plan/plan.h"

struct sl_option {
    const char *key;
    const char *value;
    size_t pos; /* of the key in the SQL source, for errors */
};

struct sl_table {
    const char *name;
    size_t pos;
    struct sl_rel physical; /* declared columns, ROWs flattened ("bid.price") */
    uint32_t ncomputed;     /* computed columns (name AS expr), after the physical ones */
    struct sl_rel_col *computed_cols;
    struct sl_expr **computed; /* bound over the physical columns */
    int rowtime;               /* WATERMARK column: index in physical ++ computed, or -1 */
    int64_t wm_delay_ms;       /* WATERMARK FOR c AS c - INTERVAL ... */
    uint32_t nopts;
    struct sl_option *opts;
    const char *connector; /* 'connector' option */
    bool bounded;          /* a source that ends (filesystem, bounded kafka/nexmark) */
    uint32_t nmeta;        /* metadata columns (`ts TIMESTAMP(3) METADATA FROM 'timestamp'`) */
    struct sl_table_meta *meta;
    uint32_t npart; /* PARTITIONED BY (..): physical column indexes, in that order */
    const uint32_t *part;
    size_t part_pos;
    uint32_t npk; /* PRIMARY KEY (..) NOT ENFORCED: physical column indexes, in order */
    const uint32_t *pk;
    bool changelog; /* its rows are a changelog (a 'debezium-json' or 'upsert-kafka' table):
                       its sink takes updates, its scan produces them (changelog.h) */
};

/* A metadata column: physical column `col` is not in the records' format but comes from
 * (and, unless virtual, goes to) the connector's record metadata named `key`. */
struct sl_table_meta {
    uint32_t col;
    const char *key;
    bool is_virtual;
    size_t pos;
};

/* The value of option `key` of a table, or NULL. */
const char *sl_table_option(const struct sl_table *t, const char *key);

struct sl_view {
    const char *name;
    size_t pos;
    struct sl_ast *query; /* bound afresh at every use */
};

struct sl_sql_file;
struct sl_udf_set;

struct sl_job {
    struct sl_sql_file *file; /* owned: the parse tree and the source text */
    struct sl_arena arena;    /* owns everything below */
    uint32_t ntables;
    struct sl_table **tables;
    uint32_t nviews;
    struct sl_view *views;
    uint32_t nsets; /* SET 'key' = 'value', in order */
    struct sl_option *sets;
    uint32_t ninserts;
    struct sl_plan **inserts; /* one plan per INSERT INTO, rooted at its SL_PLAN_SINK */
    struct sl_udf_set *udfs;  /* owned: the UDF path, open libraries, CREATE FUNCTIONs */
};

void sl_job_free(struct sl_job *job);

/* The value of SET key (the last one wins), or NULL. */
const char *sl_job_setting(const struct sl_job *job, const char *key);

/* Adds SET key = value after the job's own (so that it wins), e.g. a setting from the job's
 * ZooKeeper settings node (engine/exec/livecfg.h); copies both into the job's arena; its
 * position is SIZE_MAX (not from the SQL). 0, or SL_ENOMEM. */
int sl_job_add_setting(struct sl_job *job, const char *key, const char *value);

/* A duration as settings write it, in ms: "5 s", "500 ms", "1 min", "2 h", "2000" (ms);
 * -1 when unreadable or negative. */
int64_t sl_setting_duration_ms(const char *s);

#endif
