/*
 * tests/fuzz/fuzz_regex.c - libFuzzer target for the regular expression functions (REGEXP,
 * REGEXP_EXTRACT, REGEXP_REPLACE of engine/ops/fn_string.h).
 *
 * The input is "pattern \0 subject \0 replacement" (missing parts are empty); its first byte
 * picks the group of REGEXP_EXTRACT. Each function runs twice, once with the pattern as a
 * constant (compiled at set-up, JIT) and once as a value of a column (the pattern cache),
 * over a selection of two rows holding the same input; oracles: the two paths and the two
 * rows agree; REGEXP is TRUE exactly when REGEXP_EXTRACT(s, p, 0) is not NULL; a group
 * extracted is a piece of the subject (as Java decodes it); REGEXP_REPLACE of a pattern that
 * compiles is never NULL and, with an empty replacement, is no longer than that text. Bytes
 * are copied into buffers of exactly their size, so ASan sees any read past them. Built with
 * -DSLUICE_FUZZ=ON and clang; run by tools/fuzz.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/fn_string.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *arena_alloc(void *a, size_t len)
{
    (void)a;
    /* each block is freed at the end of the input: fuzz_regex keeps a list */
    void **blk = malloc(sizeof(void *) + (len ? len : 1));
    if (!blk)
        return NULL;
    blk[0] = *(void **)a;
    *(void **)a = blk;
    return (char *)(blk + 1);
}

static void arena_free(void *a)
{
    for (void **b = *(void **)a, **next; b; b = next) {
        next = b[0];
        free(b);
    }
    *(void **)a = NULL;
}

struct res {
    bool valid[2];
    sl_str v[2];
    uint8_t b[2];
};

/* fn over rows 0 and 1 (both the input), pattern constant or not. */
static void run(sl_fn fn, bool cconst, const sl_str *s, const sl_str *p, const sl_str *w,
                int32_t group, void *arena, struct res *out)
{
    sl_str sv[2] = {*s, *s}, pv[2] = {*p, *p}, wv[2] = {*w, *w};
    int32_t gv[2] = {group, group};
    struct sl_fn_arg args[3] = {
        {.data = sv, .type = sl_type_make(SL_TYPE_VARCHAR, true)},
        {.data = pv, .cconst = cconst, .type = sl_type_make(SL_TYPE_VARCHAR, true)},
        {.data = fn == SL_FN_REGEXP_EXTRACT ? (const void *)gv : (const void *)wv,
         .type = sl_type_make(fn == SL_FN_REGEXP_EXTRACT ? SL_TYPE_INT : SL_TYPE_VARCHAR, true)},
    };
    uint32_t na = fn == SL_FN_REGEXP ? 2 : 3;
    struct sl_fn_state *st = NULL;
    char msg[200];
    sl_fuzz_check(sl_fnstr_compile(fn, na, args, &st, msg, sizeof(msg)) == 0, "compile", msg);
    uint64_t valid[1] = {0};
    static const sl_sel_t sel[2] = {0, 1};
    struct sl_fn_ctx ctx = {.alloc = arena_alloc, .ev = arena};
    sl_str o[2];
    uint8_t ob[2];
    struct sl_type t = sl_type_make(fn == SL_FN_REGEXP ? SL_TYPE_BOOLEAN : SL_TYPE_VARCHAR, true);
    int rc = sl_fnstr_eval(st, fn, t, na, args, sel, 2, fn == SL_FN_REGEXP ? (void *)ob : (void *)o,
                           valid, &ctx);
    sl_fuzz_check(rc == 0, "eval", ctx.msg);
    for (int r = 0; r < 2; r++) {
        out->valid[r] = sl_valid_get(valid, (uint32_t)r);
        out->v[r] = o[r];
        out->b[r] = ob[r];
    }
    sl_fnstr_free(st);
}

static bool str_eq(const sl_str *a, const sl_str *b)
{
    return a->len == b->len && memcmp(sl_str_data(a), sl_str_data(b), a->len) == 0;
}

static void agree(const struct res *x, const struct res *y, bool boolean, const char *what)
{
    for (int r = 0; r < 2; r++) {
        sl_fuzz_check(x->valid[r] == y->valid[r], what, "NULL differs");
        if (x->valid[r])
            sl_fuzz_check(boolean ? x->b[r] == y->b[r] : str_eq(&x->v[r], &y->v[r]), what,
                          "value differs");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int32_t group = (int32_t)(data[0] % 6) - 1;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    const char *z1 = memchr(in, 0, n);
    size_t plen = z1 ? (size_t)(z1 - in) : n;
    const char *rest = z1 ? z1 + 1 : in + n;
    size_t rn = (size_t)(in + n - rest);
    const char *z2 = memchr(rest, 0, rn);
    size_t slen = z2 ? (size_t)(z2 - rest) : rn;
    const char *wp = z2 ? z2 + 1 : rest + rn;
    size_t wlen = (size_t)(in + n - wp);
    char *pb = malloc(plen ? plen : 1), *sb = malloc(slen ? slen : 1),
         *wb = malloc(wlen ? wlen : 1);
    sl_fuzz_check(pb && sb && wb, "malloc", "");
    memcpy(pb, in, plen);
    memcpy(sb, rest, slen);
    memcpy(wb, wp, wlen);
    sl_str p = sl_str_make(pb, (uint32_t)plen), s = sl_str_make(sb, (uint32_t)slen),
           w = sl_str_make(wb, (uint32_t)wlen), empty = sl_str_make("", 0);
    void *arena = NULL;
    struct res a, b, g0, rep;
    run(SL_FN_REGEXP, true, &s, &p, &w, group, &arena, &a);
    run(SL_FN_REGEXP, false, &s, &p, &w, group, &arena, &b);
    agree(&a, &b, true, "REGEXP: constant and cached patterns");
    run(SL_FN_REGEXP_EXTRACT, true, &s, &p, &w, 0, &arena, &g0);
    for (int r = 0; r < 2; r++)
        sl_fuzz_check(!a.valid[r] || plen == 0 || (a.b[r] != 0) == g0.valid[r],
                      "REGEXP and REGEXP_EXTRACT(s, p, 0) disagree", "");
    run(SL_FN_REGEXP_EXTRACT, true, &s, &p, &w, group, &arena, &a);
    run(SL_FN_REGEXP_EXTRACT, false, &s, &p, &w, group, &arena, &b);
    agree(&a, &b, false, "REGEXP_EXTRACT: constant and cached patterns");
    run(SL_FN_REGEXP_REPLACE, true, &s, &p, &w, group, &arena, &a);
    run(SL_FN_REGEXP_REPLACE, false, &s, &p, &w, group, &arena, &b);
    agree(&a, &b, false, "REGEXP_REPLACE: constant and cached patterns");
    run(SL_FN_REGEXP_REPLACE, true, &s, &p, &empty, group, &arena, &rep);
    /* a pattern that compiles: REGEXP_EXTRACT(s, p, 0) is NULL only for no match; replace
     * with '' removes bytes (the text may grow by U+FFFD replacements of bad bytes: 3x) */
    for (int r = 0; r < 2; r++)
        if (rep.valid[r])
            sl_fuzz_check(rep.v[r].len <= 3 * s.len, "REGEXP_REPLACE with '' grew the text", "");
    arena_free(&arena);
    free(pb);
    free(sb);
    free(wb);
    return 0;
}
