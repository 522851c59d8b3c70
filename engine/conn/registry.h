/*
 * engine/conn/registry.h - the connectors sluice has, in one table: the SQL binder asks it
 * whether a 'connector' exists and whether a table of it is bounded, the executor opens
 * sources and sinks through it. A new connector is one file in engine/conn/ that defines its
 * struct sl_connector, plus one line in the table (engine/conn/registry.c).
 */
#ifndef SL_ENGINE_CONN_REGISTRY_H
#define SL_ENGINE_CONN_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/ops/connector.h"

typedef int (*sl_source_open_fn)(const struct sl_table *t, const struct sl_connector_env *env,
                                 int nworkers, struct sl_source **out, struct sl_error *err);
typedef int (*sl_sink_open_fn)(const struct sl_table *t, const struct sl_connector_env *env,
                               int nworkers, struct sl_sink **out, struct sl_error *err);

struct sl_connector {
    const char *name;         /* the value of the table's 'connector' option */
    const char *summary;      /* one line: what it reads or writes */
    sl_source_open_fn source; /* NULL: cannot be read */
    sl_sink_open_fn sink;     /* NULL: cannot be written */
    /* Whether a table of this connector ends when read (a bounded source, usable as a
     * lookup table); NULL: never. Reads only the table's options. */
    bool (*bounded)(const struct sl_table *t);
    /* The options it takes besides 'connector' (NULL-terminated), and option prefixes that
     * pass through ('properties.'); the connector refuses others at open, naming them. */
    const char *const *options;
    const char *const *prefixes;
    /* The metadata keys its tables may declare (`c TYPE METADATA FROM 'key'`; NULL-
     * terminated, NULL: none), checked at open against the table's metadata columns. */
    const char *const *metadata;
    /* Whether its sink takes updating input (rows of kind -U, +U, -D besides +I: print,
     * blackhole, the tableau); false: append-only, refused at plan time for a changelog
     * (engine/plan/changelog.h). */
    bool updates;
    /* Optional: whether a table of it is a changelog by its options (a Kafka or filesystem
     * table with 'format' = 'debezium-json', every 'upsert-kafka' table): its sink takes
     * updating input, and a scan of it produces updates (engine/plan/changelog.h). The
     * binder sets struct sl_table.changelog from it. Reads only the table's options. */
    bool (*changelog)(const struct sl_table *t);
};

/* The connector named `name` (Flink's names: 'kafka', 'filesystem', ...), or NULL. */
const struct sl_connector *sl_connector_find(const char *name);

/* Every connector, in the table's order; *n gets the count. */
const struct sl_connector *const *sl_connector_all(size_t *n);

/* "kafka, nexmark, filesystem, print, blackhole": the names, for messages (static). */
const char *sl_connector_names(void);

/*
 * Creates the source of `table` for `nworkers` workers (splits are assigned now) through
 * its connector. The caller owns it (s->ops->free). SL_ENOTSUP naming the connector and
 * the ones that can be read when it cannot be.
 */
int sl_source_open(const struct sl_table *table, const struct sl_connector_env *env, int nworkers,
                   struct sl_source **out, struct sl_error *err);

/* The sink of `table`, as above. */
int sl_sink_open(const struct sl_table *table, const struct sl_connector_env *env, int nworkers,
                 struct sl_sink **out, struct sl_error *err);

/* The connectors' own descriptors (one per file in engine/conn/). */
extern const struct sl_connector sl_connector_kafka;
extern const struct sl_connector sl_connector_upsert_kafka;
extern const struct sl_connector sl_connector_nexmark;
extern const struct sl_connector sl_connector_filesystem;
extern const struct sl_connector sl_connector_print;
extern const struct sl_connector sl_connector_blackhole;
extern const struct sl_connector sl_connector_datagen;
extern const struct sl_connector sl_connector_tableau;

#endif
