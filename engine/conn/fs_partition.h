/*
 * engine/conn/fs_partition.h - Hive-style partitions of the 'filesystem' connector
 * (CREATE TABLE ... PARTITIONED BY (a, b) WITH ('connector' = 'filesystem', ...)).
 *
 * A partition is a folder path below the table's 'path': one `name=value` folder per
 * partition column, nested in the PARTITIONED BY order ("dt=2024-01-01/hm=10%3A05"). The
 * value is the column's text (Flink's: a string as it is, numbers in decimal, BOOLEAN
 * true / false, TIMESTAMP as LocalDateTime.toString) with Flink's escaping
 * (PartitionPathUtils.escapePathName): the bytes 0x01-0x1F, 0x7F and " # % ' * / : = ? \ { [
 * ] ^ become %XX (upper-case hex); a NULL or empty value is 'partition.default-name'
 * (default __DEFAULT_PARTITION__).
 *
 * The sink (sl_conn_fs_psink, fs_partition.c) writes the rows of each partition into its
 * folder without the partition columns, with the part-file protocol of the unpartitioned
 * sink (engine/conn/filesystem.c) in each folder, and commits partitions (a '_SUCCESS'
 * file) when its trigger says so. The source (filesystem.c) reads every file below the
 * folders and fills the partition columns from the folder names (sl_fsp_parse_path).
 */
#ifndef SL_ENGINE_CONN_FS_PARTITION_H
#define SL_ENGINE_CONN_FS_PARTITION_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/conn/conn_impl.h"

#define SL_FSP_DEFAULT_NAME "__DEFAULT_PARTITION__"

/* Escapes the n bytes at v as Flink does into out (room for 3 * n bytes); the length. */
size_t sl_fsp_escape(const char *v, size_t n, char *out);

/* Undoes sl_fsp_escape in place (a '%' not followed by two hex digits stays); the length. */
size_t sl_fsp_unescape(char *s, size_t n);

/*
 * The partition values of a file below a partitioned table's folder: `rel` is the file's
 * path relative to the table's path ("a=1/b=x/part-0-1.json"). For each partition column
 * k of t (t->part[k]) vals[k] gets the unescaped value (malloc'd, owned by the caller; NULL
 * for the default name). Fails with SL_EINVAL naming the file when its folders are not
 * exactly `name=value` for the partition columns in their order.
 */
int sl_fsp_parse_path(const struct sl_table *t, const char *default_name, const char *rel,
                      char **vals, struct sl_error *err);

/* The data columns of a partitioned table t: every physical column but the partition
 * columns, in their order. *data (malloc'd, t->physical.ncols - t->npart entries): the
 * physical index of each; *schema: their schema (sl_schema_free). Both owned by the caller;
 * on failure (SL_ENOMEM) neither is set. */
int sl_fsp_data_columns(const struct sl_table *t, uint32_t **data, struct sl_schema **schema,
                        struct sl_error *err);

/* The partitioned sink (t->npart > 0); as sl_conn_fs_sink. */
int sl_conn_fs_psink(const struct sl_table *t, const struct sl_connector_env *env, int nworkers,
                     struct sl_sink **out, struct sl_error *err);

/* filesystem.c's option readers, shared: 'path' (a local path, or a file:///path URI as
 * Flink takes it; other schemes refused); 'format' = 'avro' refused; a size option. */
int sl_fs_path(const struct sl_table *t, const struct sl_connector_env *env, const char **path,
               struct sl_error *err);
int sl_fs_no_avro(const struct sl_table *t, const struct sl_connector_env *env,
                  const struct sl_conn_fmtspec *spec, struct sl_error *err);
int sl_fs_opt_size(const struct sl_table *t, const struct sl_connector_env *env, const char *key,
                   uint64_t dflt, uint64_t *out, struct sl_error *err);

/* The directory a sink writes into: 'path' (as sl_fs_path), created with its missing parents
 * when it is not there; *dir malloc'd (the caller frees it). */
int sl_fs_sink_dir(const struct sl_table *t, const struct sl_connector_env *env, char **dir,
                   struct sl_error *err);

/* The option keys of partitioned tables (NULL-terminated), for the connector's list. */
extern const char *const sl_fsp_option_keys[];

#endif
