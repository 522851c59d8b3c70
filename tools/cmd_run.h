/*
 * tools/cmd_run.h - `sluice run FILE.sql` and `sluice explain FILE.sql`.
 */
#ifndef SL_TOOLS_CMD_RUN_H
#define SL_TOOLS_CMD_RUN_H

/* argv[0] is "run"; returns the process exit status. */
int sl_cmd_run(int argc, char **argv);

/* argv[0] is "explain"; returns the process exit status. */
int sl_cmd_explain(int argc, char **argv);

/* `sluice checkpoints`: the committed epochs of a job. */
int sl_cmd_checkpoints(int argc, char **argv);

#endif
