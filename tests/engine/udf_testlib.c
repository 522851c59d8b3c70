/*
 * tests/engine/udf_testlib.c - a UDF library engine/test_udf builds from this source and
 * loads: one function per rule of include/sluice_udf.h (strict NULLs, NULL_CALL,
 * RETURNS_NULL, strings short and long, per-call-site state, errors from call and init).
 * Each function also checks what sluice promises it (increasing selections, no NULL row in
 * a strict call) and fails loudly when a promise is broken.
 */
#include <stdlib.h>

#include <sluice_udf.h>

#define ROW(call, k) ((call)->sel ? (call)->sel[k] : (k))

/* Checks the selection is increasing and every computed row has all arguments (strict). */
static int check(struct sluice_udf_call *call, int strict)
{
    for (uint32_t k = 0; k < call->n; k++) {
        uint32_t r = ROW(call, k);
        if (k && r <= ROW(call, k - 1))
            return sluice_udf_fail(call, "selection not increasing at position %u", k);
        for (uint32_t a = 0; strict && a < call->nargs; a++)
            if (!sluice_udf_valid(call->args[a].valid, r))
                return sluice_udf_fail(call, "strict call at row %u with a NULL argument", r);
    }
    return 0;
}

/* test.plus_one(BIGINT) BIGINT: x + 1. */
static int plus_one(struct sluice_udf_call *call)
{
    if (check(call, 1))
        return -1;
    const int64_t *x = call->args[0].data;
    int64_t *out = call->out;
    for (uint32_t k = 0; k < call->n; k++) {
        uint32_t r = ROW(call, k);
        out[r] = x[r] + 1;
    }
    return 0;
}

/* test.shout(STRING) STRING, may return NULL: ASCII letters upper-cased and "!" appended;
 * NULL for the string "null". */
static int shout(struct sluice_udf_call *call)
{
    if (check(call, 1))
        return -1;
    const sluice_udf_str *s = call->args[0].data;
    sluice_udf_str *out = call->out;
    for (uint32_t k = 0; k < call->n; k++) {
        uint32_t r = ROW(call, k);
        const char *p = sluice_udf_str_data(&s[r]);
        if (s[r].len == 4 && !memcmp(p, "null", 4)) {
            sluice_udf_set_null(call->out_valid, r);
            continue;
        }
        char *o = call->alloc(call, (size_t)s[r].len + 1);
        if (!o)
            return sluice_udf_fail(call, "out of memory");
        for (uint32_t i = 0; i < s[r].len; i++)
            o[i] = p[i] >= 'a' && p[i] <= 'z' ? (char)(p[i] - 32) : p[i];
        o[s[r].len] = '!';
        out[r] = sluice_udf_str_make(o, s[r].len + 1);
    }
    return 0;
}

/* test.unlucky(BIGINT) BIGINT: x, but 13 is an error. */
static int unlucky(struct sluice_udf_call *call)
{
    const int64_t *x = call->args[0].data;
    int64_t *out = call->out;
    for (uint32_t k = 0; k < call->n; k++) {
        uint32_t r = ROW(call, k);
        if (x[r] == 13)
            return sluice_udf_fail(call, "%lld is unlucky", (long long)x[r]);
        out[r] = x[r];
    }
    return 0;
}

/* test.is_null(STRING) BOOLEAN NOT NULL, called at NULL rows too. */
static int is_null(struct sluice_udf_call *call)
{
    if (check(call, 0))
        return -1;
    uint8_t *out = call->out;
    for (uint32_t k = 0; k < call->n; k++) {
        uint32_t r = ROW(call, k);
        out[r] = !sluice_udf_valid(call->args[0].valid, r);
    }
    return 0;
}

/* test.row(BIGINT) BIGINT NOT NULL, called at NULL rows too: the row index it computed. */
static int row(struct sluice_udf_call *call)
{
    if (check(call, 0))
        return -1;
    int64_t *out = call->out;
    for (uint32_t k = 0; k < call->n; k++)
        out[ROW(call, k)] = ROW(call, k);
    return 0;
}

/* test.seen(BIGINT) BIGINT: how many rows this call site's state saw before this one. */
static int seen_init(void **state, char *error, size_t cap)
{
    (void)error;
    (void)cap;
    *state = calloc(1, sizeof(int64_t));
    return *state ? 0 : -1;
}

static void seen_destroy(void *state)
{
    free(state);
}

static int seen(struct sluice_udf_call *call)
{
    int64_t *count = call->state, *out = call->out;
    if (!count)
        return sluice_udf_fail(call, "no state");
    for (uint32_t k = 0; k < call->n; k++)
        out[ROW(call, k)] = (*count)++;
    return 0;
}

static int refuse_init(void **state, char *error, size_t cap)
{
    (void)state;
    snprintf(error, cap, "no licence for this host");
    return -1;
}

/* test.half(DOUBLE) DOUBLE: x / 2. */
static int half(struct sluice_udf_call *call)
{
    const double *x = call->args[0].data;
    double *out = call->out;
    for (uint32_t k = 0; k < call->n; k++)
        out[ROW(call, k)] = x[ROW(call, k)] / 2;
    return 0;
}

/* test.join3(STRING, INT, TIMESTAMP) STRING: "s/i/ms" (argument kinds side by side). */
static int join3(struct sluice_udf_call *call)
{
    const sluice_udf_str *s = call->args[0].data;
    const int32_t *i = call->args[1].data;
    const int64_t *t = call->args[2].data;
    sluice_udf_str *out = call->out;
    for (uint32_t k = 0; k < call->n; k++) {
        uint32_t r = ROW(call, k);
        char *o = call->alloc(call, (size_t)s[r].len + 48);
        if (!o)
            return sluice_udf_fail(call, "out of memory");
        int n = snprintf(o, (size_t)s[r].len + 48, "%.*s/%d/%lld", (int)s[r].len,
                         sluice_udf_str_data(&s[r]), i[r], (long long)t[r]);
        out[r] = sluice_udf_str_make(o, (uint32_t)n);
    }
    return 0;
}

static const struct sluice_udf_function functions[] = {
    {.identifier = "test.plus_one",
     .result = SLUICE_UDF_BIGINT,
     .nargs = 1,
     .args = {SLUICE_UDF_BIGINT},
     .call = plus_one},
    {.identifier = "test.shout",
     .result = SLUICE_UDF_STRING,
     .nargs = 1,
     .args = {SLUICE_UDF_STRING},
     .flags = SLUICE_UDF_RETURNS_NULL,
     .call = shout},
    {.identifier = "test.unlucky",
     .result = SLUICE_UDF_BIGINT,
     .nargs = 1,
     .args = {SLUICE_UDF_BIGINT},
     .call = unlucky},
    {.identifier = "test.is_null",
     .result = SLUICE_UDF_BOOLEAN,
     .nargs = 1,
     .args = {SLUICE_UDF_STRING},
     .flags = SLUICE_UDF_NULL_CALL,
     .call = is_null},
    {.identifier = "test.row",
     .result = SLUICE_UDF_BIGINT,
     .nargs = 1,
     .args = {SLUICE_UDF_BIGINT},
     .flags = SLUICE_UDF_NULL_CALL,
     .call = row},
    {.identifier = "test.seen",
     .result = SLUICE_UDF_BIGINT,
     .nargs = 1,
     .args = {SLUICE_UDF_BIGINT},
     .flags = SLUICE_UDF_NULL_CALL,
     .call = seen,
     .init = seen_init,
     .destroy = seen_destroy},
    {.identifier = "test.refuse",
     .result = SLUICE_UDF_BIGINT,
     .nargs = 1,
     .args = {SLUICE_UDF_BIGINT},
     .call = plus_one,
     .init = refuse_init},
    {.identifier = "test.half",
     .result = SLUICE_UDF_DOUBLE,
     .nargs = 1,
     .args = {SLUICE_UDF_DOUBLE},
     .call = half},
    {.identifier = "test.join3",
     .result = SLUICE_UDF_STRING,
     .nargs = 3,
     .args = {SLUICE_UDF_STRING, SLUICE_UDF_INT, SLUICE_UDF_TIMESTAMP},
     .call = join3},
    {.identifier = "test.malformed", .result = 99, .nargs = 0, .call = plus_one},
};

static const struct sluice_udf_library library = {
    .abi_version = SLUICE_UDF_ABI_VERSION,
    .nfunctions = sizeof(functions) / sizeof(functions[0]),
    .functions = functions,
};

SLUICE_UDF_EXPORT const struct sluice_udf_library *sluice_udf_library(void);

const struct sluice_udf_library *sluice_udf_library(void)
{
    return &library;
}
