/*
 * tests/fuzz/fuzz_sql.c - libFuzzer target for the SQL front end: lexer, placeholder
 * expansion, parser, binder and the plan printer (engine/sql/binder.h, engine/plan/plan.h).
 *
 * THE INPUT is SQL text, read the way `sluice run a.sql b.sql --set K=V` reads it:
 *   - a line that starts with "--@file" begins a new file (at most SL_FZ_MAX_FILES); the rest
 *     of that line is its path ("f<i>.sql" when empty). Text before the first such line is
 *     the file "q.sql" (a marker on the first line names that file instead). The marker line
 *     itself belongs to no file. One file goes through
 *     sl_job_from_sql, several through sl_job_from_sql_multi.
 *   - a line that starts with "--@set NAME=VALUE" sets ${NAME} (like --set; it stays in the
 *     text, where it is a comment). Every placeholder the repository's SQL files use has a
 *     value by default (sl_fz_defaults), so the checked-in seeds bind as they are.
 *
 * THE ORACLE. Every input either
 *   - binds: then every INSERT's plan prints (sl_plan_explain into a memstream), or
 *   - fails with an error whose message starts with "PATH:LINE:COL: ", where PATH is one of
 *     the input's files (a long one may be shortened to "..." and its end) and LINE:COL is
 *     a position inside that file (a line it has, a column on that line or just after its
 *     end): an error the user cannot find in their file is a finding. The only errors allowed
 * without a position are out of memory (SL_ENOMEM: the front end says "out of memory parsing SQL"
 * and has no position worth giving). and doing the same twice gives the same plan text or the same
 * error (nothing depends on uninitialised memory or on a previous input). Crashes, sanitizer
 * reports, leaks and hangs
 * (-timeout) are findings too. An oracle failure abort()s with the reason on stderr.
 * FUZZ_SQL_PRINT=1 in the environment prints each input's plans or error (for triage).
 *
 * Built with -DSLUICE_FUZZ=ON and clang; run by tools/fuzz.sh. Seeds: tests/fuzz/corpus/sql
 * (every .sql file of the repository, and the Nexmark queries with their DDL and views as
 * one multi-file input); findings replay from tests/fuzz/regressions/sql.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sql/binder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SL_FZ_MAX_FILES 8
#define SL_FZ_MAX_SETS 8

/* A value for every placeholder in the repository's .sql files. */
static const struct sl_sql_param sl_fz_defaults[] = {
    {"AUCTION_PROPORTION", "3"},
    {"BASE_TIME", "1700000000000"},
    {"BID_PROPORTION", "46"},
    {"BOOTSTRAP_SERVERS", "127.0.0.1:9092"},
    {"CAMPAIGNS", "/tmp/sluice-fuzz/campaigns.csv"},
    {"EVENTS", "/tmp/sluice-fuzz/events.json"},
    {"EVENTS_NUM", "100000"},
    {"NEXMARK_TABLE", "datagen"},
    {"OUT", "/tmp/sluice-fuzz/out"},
    {"OUT_TOPIC", "out"},
    {"PERSON_PROPORTION", "1"},
    {"RATE", "1000"},
    {"SINK", "blackhole"},
    {"TOPIC", "nexmark"},
    {"TPS", "10000"},
};
#define SL_FZ_NDEFAULTS (sizeof(sl_fz_defaults) / sizeof(sl_fz_defaults[0]))

struct sl_fz_input {
    struct sl_sql_input files[SL_FZ_MAX_FILES];
    char *paths[SL_FZ_MAX_FILES];
    size_t nfiles;
    struct sl_sql_param params[SL_FZ_NDEFAULTS + SL_FZ_MAX_SETS];
    char *set_names[SL_FZ_MAX_SETS], *set_values[SL_FZ_MAX_SETS];
    size_t nparams, nsets;
};

static void sl_fz_check(int ok, const char *what, const char *detail)
{
    if (!ok) {
        fprintf(stderr, "fuzz_sql oracle: %s\n%s\n", what, detail);
        abort();
    }
}

/* The first n bytes of s, up to a NUL, as a C string. Not strndup: the input has no NUL
 * after it, and strndup may look for one (ASan's strict_string_checks does). */
static char *sl_fz_strndup(const char *s, size_t n)
{
    const char *nul = memchr(s, '\0', n);
    size_t k = nul ? (size_t)(nul - s) : n;
    char *d = malloc(k + 1);
    sl_fz_check(d != NULL, "malloc", "");
    memcpy(d, s, k);
    d[k] = '\0';
    return d;
}

static bool sl_fz_starts(const char *line, size_t n, const char *prefix)
{
    size_t lp = strlen(prefix);
    return n >= lp && memcmp(line, prefix, lp) == 0;
}

/* Splits the input into files and --@set parameters (see the top of the file). */
static void sl_fz_split(const char *text, size_t len, struct sl_fz_input *in)
{
    memset(in, 0, sizeof(*in));
    memcpy(in->params, sl_fz_defaults, sizeof(sl_fz_defaults));
    in->nparams = SL_FZ_NDEFAULTS;
    in->files[0] = (struct sl_sql_input){"q.sql", text, 0};
    in->nfiles = 1;
    size_t file_start = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        size_t next = nl ? pos + n + 1 : len;
        if (sl_fz_starts(line, n, "--@set ") && in->nsets < SL_FZ_MAX_SETS) {
            const char *kv = line + 7, *eq = memchr(kv, '=', n - 7);
            if (eq) {
                size_t k = in->nsets++;
                in->set_names[k] = sl_fz_strndup(kv, (size_t)(eq - kv));
                in->set_values[k] = sl_fz_strndup(eq + 1, (size_t)(line + n - eq - 1));
                /* a later --@set of the same name wins, as a later --set does */
                in->params[in->nparams++] =
                    (struct sl_sql_param){in->set_names[k], in->set_values[k]};
            }
        } else if (sl_fz_starts(line, n, "--@file") && in->nfiles < SL_FZ_MAX_FILES) {
            /* a marker on the first line names the first file */
            size_t i = pos == 0 ? 0 : in->nfiles++;
            if (i)
                in->files[i - 1].len = pos - file_start;
            const char *name = line + 7;
            size_t nlen = n - 7;
            while (nlen && *name == ' ') {
                name++;
                nlen--;
            }
            char dflt[16];
            snprintf(dflt, sizeof(dflt), "f%zu.sql", i);
            /* the path is a C string: a NUL in the marker line ends it */
            in->paths[i] = nlen ? sl_fz_strndup(name, nlen) : sl_fz_strndup(dflt, strlen(dflt));
            in->files[i] = (struct sl_sql_input){in->paths[i], text + next, 0};
            file_start = next;
        }
        pos = next;
    }
    in->files[in->nfiles - 1].len = len - file_start;
}

static void sl_fz_free(struct sl_fz_input *in)
{
    for (size_t i = 0; i < SL_FZ_MAX_FILES; i++)
        free(in->paths[i]);
    for (size_t i = 0; i < in->nsets; i++) {
        free(in->set_names[i]);
        free(in->set_values[i]);
    }
}

/* Whether "LINE:COL" is a position in `f`: line 1 .. its lines, column 1 .. the line's
 * length + 1 (just after its last character: where "end of input" is reported). */
static bool sl_fz_in_file(const struct sl_sql_input *f, unsigned long line, unsigned long col)
{
    if (line < 1 || col < 1)
        return false;
    unsigned long l = 1;
    size_t i = 0;
    for (; i < f->len && l < line; i++)
        if (f->text[i] == '\n')
            l++;
    if (l != line)
        return false;
    size_t n = 0;
    while (i + n < f->len && f->text[i + n] != '\n')
        n++;
    return col <= n + 1;
}

/* Parses "LINE:COL: " at `p` (just after "PATH:"); false if it is not there. */
static bool sl_fz_line_col(const char *p, unsigned long *line, unsigned long *col)
{
    char *end;
    if (*p < '0' || *p > '9')
        return false;
    *line = strtoul(p, &end, 10);
    if (*end != ':' || end[1] < '0' || end[1] > '9')
        return false;
    *col = strtoul(end + 1, &end, 10);
    return end[0] == ':' && end[1] == ' ';
}

/* Checks that `msg` starts with "PATH:LINE:COL: " naming a position of one of the files
 * (of any of them called PATH: two files may have the same name). A long path may be shown
 * as "..." and an end of it (engine/plan/sql_source.c keeps the position in the message). */
static void sl_fz_check_position(const struct sl_fz_input *in, const char *msg)
{
    bool named = false;
    unsigned long line, col;
    for (size_t i = 0; i < in->nfiles; i++) {
        const char *path = in->files[i].path;
        size_t pl = strlen(path);
        bool shown = strncmp(msg, path, pl) == 0 && msg[pl] == ':' &&
                     sl_fz_line_col(msg + pl + 1, &line, &col);
        for (size_t k = 1; !shown && strncmp(msg, "...", 3) == 0 && k < pl; k++) {
            const char *tail = path + pl - k; /* its last k bytes */
            shown = strncmp(msg + 3, tail, k) == 0 && msg[3 + k] == ':' &&
                    sl_fz_line_col(msg + 3 + k + 1, &line, &col);
        }
        if (!shown)
            continue;
        if (sl_fz_in_file(&in->files[i], line, col))
            return;
        named = true;
    }
    sl_fz_check(!named, "the error's position is not in the file it names", msg);
    sl_fz_check(0, "an error without a position (PATH:LINE:COL: ...)", msg);
}

/* Binds the input; returns the plans as text (job bound) or the error message, and whether
 * it bound. The caller frees the text. */
static char *sl_fz_run(const struct sl_fz_input *in, bool *bound, struct sl_error *err)
{
    sl_error_clear(err);
    struct sl_job *job =
        in->nfiles == 1
            ? sl_job_from_sql(in->files[0].path, in->files[0].text, in->files[0].len, in->params,
                              in->nparams, err)
            : sl_job_from_sql_multi(in->files, in->nfiles, in->params, in->nparams, err);
    *bound = job != NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sl_fz_check(f != NULL, "open_memstream", "");
    if (job) {
        sl_fz_check(job->ninserts > 0, "a job without INSERT bound", "");
        for (uint32_t i = 0; i < job->ninserts; i++)
            sl_plan_explain(job->inserts[i], f);
        sl_job_free(job);
    } else {
        sl_fz_check(err->code < 0, "no job and no error code", err->msg);
        fprintf(f, "%d %s", err->code, err->msg);
    }
    sl_fz_check(fclose(f) == 0, "fclose", "");
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the text from a buffer of exactly its size, so ASan sees any read past it */
    char *copy = malloc(size ? size : 1);
    sl_fz_check(copy != NULL, "malloc", "");
    if (size)
        memcpy(copy, data, size);
    struct sl_fz_input in;
    sl_fz_split(copy, size, &in);

    struct sl_error err, err2;
    bool bound, bound2;
    char *out = sl_fz_run(&in, &bound, &err);
    if (getenv("FUZZ_SQL_PRINT")) /* triage: what an input gives */
        fprintf(stderr, "%s:\n%s\n", bound ? "bound" : "error", out);
    if (bound)
        sl_fz_check(out[0] != '\0', "a bound job printed no plan", "");
    else if (err.code != SL_ENOMEM)
        sl_fz_check_position(&in, err.msg);
    char *out2 = sl_fz_run(&in, &bound2, &err2);
    if (bound != bound2 || strcmp(out, out2) != 0) {
        fprintf(stderr, "first:\n%s\nsecond:\n%s\n", out, out2);
        sl_fz_check(0, "the same input gave two different results", "");
    }
    free(out);
    free(out2);
    sl_fz_free(&in);
    free(copy);
    return 0;
}
