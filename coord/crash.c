/*
 * coord/crash.c - named crash points (see crash.h).
 */
#include "coord/crash.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sl_crash_point(const char *point)
{
    const char *at = getenv("SLUICE_CRASH_AT");
    if (at && strcmp(at, point) == 0)
        _exit(SL_CRASH_STATUS);
}
