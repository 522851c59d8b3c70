/*
 * tools/udf/nexmark.c - the Nexmark benchmark's user-defined function as a sluice UDF
 * library (include/sluice_udf.h): count_char, for q14. Built as udf/libsluice_nexmark.so
 * next to the sluice program (and installed to lib/sluice/udf/), the default UDF path, so
 *
 *     CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar';
 *
 * runs unchanged. Also a short example of the ABI; docs/udf.md walks through it.
 *
 * count_char(s STRING, c STRING) BIGINT NOT NULL: how many bytes of s's UTF-8 equal the
 * first byte of c - Nexmark's CountChar.eval (StringData.toBytes, compared byte by byte).
 * As there, a NULL s counts 0; a NULL or empty c is an error (Nexmark's Java throws a
 * NullPointerException or an ArrayIndexOutOfBoundsException, which fails the Flink job).
 */
#include <sluice_udf.h>

static int count_char_call(struct sluice_udf_call *call)
{
    const sluice_udf_str *s = call->args[0].data, *c = call->args[1].data;
    const uint64_t *s_valid = call->args[0].valid, *c_valid = call->args[1].valid;
    int64_t *out = call->out;
    for (uint32_t k = 0; k < call->n; k++) {
        uint32_t r = call->sel ? call->sel[k] : k;
        if (!sluice_udf_valid(c_valid, r))
            return sluice_udf_fail(call, "the character to count is NULL");
        if (c[r].len == 0)
            return sluice_udf_fail(call, "the character to count is an empty string");
        int64_t count = 0;
        if (sluice_udf_valid(s_valid, r)) {
            const unsigned char *p = (const unsigned char *)sluice_udf_str_data(&s[r]);
            unsigned char chr = (unsigned char)c[r].prefix[0];
            for (uint32_t i = 0; i < s[r].len; i++)
                count += p[i] == chr;
        }
        out[r] = count;
    }
    return 0;
}

#define COUNT_CHAR(ident)                                                              \
    {                                                                                  \
        .identifier = ident, .result = SLUICE_UDF_BIGINT, .nargs = 2,                  \
        .args = {SLUICE_UDF_STRING, SLUICE_UDF_STRING}, .flags = SLUICE_UDF_NULL_CALL, \
        .call = count_char_call,                                                       \
    }

static const struct sluice_udf_function nexmark_functions[] = {
    COUNT_CHAR("com.github.nexmark.flink.udf.CountChar"),
    COUNT_CHAR("count_char"),
};

static const struct sluice_udf_library nexmark_library = {
    .abi_version = SLUICE_UDF_ABI_VERSION,
    .nfunctions = sizeof(nexmark_functions) / sizeof(nexmark_functions[0]),
    .functions = nexmark_functions,
};

SLUICE_UDF_EXPORT const struct sluice_udf_library *sluice_udf_library(void);

const struct sluice_udf_library *sluice_udf_library(void)
{
    return &nexmark_library;
}
