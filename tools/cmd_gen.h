/*
 * tools/cmd_gen.h - `sluice gen`: the Nexmark and YSB generators on the command line.
 */
#ifndef SL_TOOLS_CMD_GEN_H
#define SL_TOOLS_CMD_GEN_H

/*
 * Runs `sluice gen nexmark|ysb ...` with argv[0] == "gen" (see `sluice gen --help`).
 * Returns the process exit status: 0 done, 1 a run-time failure (a file that cannot be
 * written), 2 a usage error. Messages go to stderr.
 */
int sl_cmd_gen(int argc, char **argv);

#endif
