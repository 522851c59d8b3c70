/*
 * tools/cli.h - the command line's options that take a value, for every `sluice` command.
 *
 * An option with a value is written "--name value" or "--name=value" (GNU getopt_long's
 * two forms). sl_cli_value() recognises one among a command's names and reports the two
 * mistakes - an unknown option, a missing value - in the same words for every command.
 */
#ifndef SLUICE_TOOLS_CLI_H
#define SLUICE_TOOLS_CLI_H

#include <stddef.h>

/*
 * argv[*i] is an option ("--..."). When its name (the part before '=') is names[k] for some
 * k < n, sets *val to its value - after '=', else argv[*i + 1], and then moves *i past it -
 * and returns k. Otherwise returns -1 after saying on stderr "sluice CMD: unknown option
 * 'ARG'" followed by usage (when not NULL), or "sluice CMD: NAME needs a value" when the
 * option is the last argument.
 */
int sl_cli_value(int argc, char **argv, int *i, const char *cmd, const char *usage,
                 const char *const *names, size_t n, const char **val);

#endif
