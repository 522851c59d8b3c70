/*
 * tests/engine/udf_badabi.c - a UDF library built for an ABI version sluice does not load
 * (engine/test_udf checks the message names the library, the identifier and both versions).
 */
#include <sluice_udf.h>

static int never(struct sluice_udf_call *call)
{
    return sluice_udf_fail(call, "a library of another ABI version was called");
}

static const struct sluice_udf_function functions[] = {
    {.identifier = "bad.fn", .result = SLUICE_UDF_BIGINT, .nargs = 0, .call = never},
};

static const struct sluice_udf_library library = {
    .abi_version = 999,
    .nfunctions = 1,
    .functions = functions,
};

SLUICE_UDF_EXPORT const struct sluice_udf_library *sluice_udf_library(void);

const struct sluice_udf_library *sluice_udf_library(void)
{
    return &library;
}
