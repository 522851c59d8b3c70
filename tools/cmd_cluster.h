/*
 * tools/cmd_cluster.h - `sluice config` (a job's live settings in ZooKeeper) and `sluice
 * status` (its members, last epoch and settings).
 */
#ifndef SL_TOOLS_CMD_CLUSTER_H
#define SL_TOOLS_CMD_CLUSTER_H

/* argv[0] is "config"; returns the process exit status. */
int sl_cmd_config(int argc, char **argv);

/* argv[0] is "status"; returns the process exit status. */
int sl_cmd_status(int argc, char **argv);

#endif
