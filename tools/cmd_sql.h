/*
 * tools/cmd_sql.h - `sluice sql`: an interactive Flink SQL shell (Flink's SQL client), and
 * `sluice sql -f FILE` to run a file's statements one by one.
 */
#ifndef SL_TOOLS_CMD_SQL_H
#define SL_TOOLS_CMD_SQL_H

/* argv[0] is "sql"; returns the process exit status. */
int sl_cmd_sql(int argc, char **argv);

#endif
