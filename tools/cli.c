/*
 * tools/cli.c - options that take a value (tools/cli.h).
 */
#include "tools/cli.h"

#include <stdio.h>
#include <string.h>

int sl_cli_value(int argc, char **argv, int *i, const char *cmd, const char *usage,
                 const char *const *names, size_t n, const char **val)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t k = 0; k < n; k++) {
        if (strlen(names[k]) != nlen || strncmp(arg, names[k], nlen) != 0)
            continue;
        if (eq) {
            *val = eq + 1;
        } else if (*i + 1 < argc) {
            *val = argv[++*i];
        } else {
            fprintf(stderr, "sluice %s: %s needs a value\n", cmd, names[k]);
            return -1;
        }
        return (int)k;
    }
    fprintf(stderr, "sluice %s: unknown option '%s'\n%s", cmd, arg, usage ? usage : "");
    return -1;
}
