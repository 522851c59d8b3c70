/*
 * tools/cmd_sql.c - `sluice sql`: a Flink SQL shell, as Flink's SQL client in tableau mode.
 *
 * HOW IT WORKS
 * Statements are read one by one, each ended by a `;` outside quotes and comments (a
 * statement may span lines; a line may hold several). Interactively, GNU readline gives line
 * editing and history (kept in ~/.sluice_history); with -f FILE the file's statements run in
 * order and the first error ends the run (exit 1), as Flink's `sql-client.sh -f`.
 *
 * The session is its accepted CREATE TABLE / CREATE VIEW / SET statements, kept as text: each
 * statement that needs the catalog is bound (or run) with the session's statements before it,
 * as one script (engine/sql/binder.h's sl_job_bind_catalog checks a DDL statement without an
 * INSERT). A statement keeps its place in its file (the text is padded to its line and
 * column), so errors say "file.sql:12:5" (or "stdin:2:5": line 2 of the statement typed).
 *
 *   CREATE TABLE / VIEW, SET   checked, then added to the session: "[INFO] Execute statement
 *                              succeed."
 *   SELECT ...                 runs in the foreground through libsluice (include/sluice.h);
 *                              the result prints as Flink's tableau (engine/conn/tableau.c);
 *                              Ctrl-C stops it (sluice_job_stop) and the prompt returns
 *   INSERT INTO ... / EXECUTE STATEMENT SET
 *                              runs as a background job (a thread running libsluice), "Job ID:
 *                              <32 hex digits>"; with SET 'table.dml-sync' = 'true' (Flink's
 *                              option) it runs in the foreground instead. With -f, background
 *                              jobs are waited for at the end (a process cannot leave them
 *                              running as Flink's cluster does).
 *   SHOW JOBS                  id, name, status (RUNNING, FINISHED, FAILED, CANCELED), start
 *   STOP JOB 'id'              stops one cleanly (its sinks flush and close) and waits for it
 *   SHOW TABLES | VIEWS | FUNCTIONS, DESCRIBE t (Flink's columns: name, type, null, key,
 *                              extras, watermark), EXPLAIN statement, HELP, QUIT | EXIT
 * Result tables of the shell's own statements print as Flink's (widths by content, "N rows
 * in set", "Empty set"). Errors: "[ERROR] Could not execute SQL statement. Reason:" and the
 * message with its position; the shell goes on.
 *
 * THREADS: the shell's thread reads and runs statements; each background job has a thread
 * (its sluice_job is touched only by it, but for sluice_job_stop); the jobs' table is under
 * a lock. SIGINT during a foreground query stops that query; at the prompt it is ignored
 * (Ctrl-D or QUIT ends the shell).
 */
#include "tools/cmd_sql.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine/conn/tableau.h"
#include "engine/sql/binder.h"
#include "include/sluice.h"

static const char sq_usage[] =
    "usage: sluice sql [-f FILE.sql] [--workers N] [--set NAME=VALUE]...\n"
    "\n"
    "A Flink SQL shell, as Flink's SQL client in tableau mode. Statements end with ';'\n"
    "and may span lines:\n"
    "  CREATE TABLE / CREATE VIEW / SET 'key' = 'value'   define the session\n"
    "  SELECT ...        prints the result as it comes (Ctrl-C stops it)\n"
    "  INSERT INTO ...   runs in the background as a job (SET 'table.dml-sync' =\n"
    "                    'true': in the foreground)\n"
    "  SHOW JOBS, STOP JOB 'id'   list the jobs, stop one cleanly\n"
    "  SHOW TABLES, SHOW VIEWS, SHOW FUNCTIONS, DESCRIBE t, EXPLAIN statement\n"
    "  HELP, QUIT (or EXIT, or Ctrl-D)\n"
    "Line editing and history (~/.sluice_history) come from GNU readline.\n"
    "\n"
    "  -f FILE.sql       run the file's statements one by one and exit (the first error\n"
    "                    ends the run with exit status 1); background jobs are waited for.\n"
    "                    Statements piped into standard input run the same way\n"
    "  --workers N       worker threads of each query and job (default: the cores)\n"
    "  --set NAME=VALUE  fills ${NAME} placeholders (repeatable)\n";

/* ---- the session --------------------------------------------------------------------------- */

enum sq_state { SQ_RUNNING, SQ_FINISHED, SQ_FAILED, SQ_CANCELED };
static const char *const sq_state_name[] = {"RUNNING", "FINISHED", "FAILED", "CANCELED"};

struct sq_job {
    char id[33];
    char *name;
    char start[96];
    sluice_job *job;
    pthread_t thread;
    _Atomic int state;
    atomic_bool stopping;
    bool joined;
};

struct sq_session {
    char **text; /* accepted DDL and SET statements, padded to their place */
    char **name; /* where each came from ("stdin", the file) */
    size_t n, cap;
    struct sq_job **jobs;
    size_t njobs;
    pthread_mutex_t lock; /* jobs[i]->state is atomic; the array is the shell thread's */
    const char *workers;
    struct sl_sql_param *params; /* --set NAME=VALUE (name and value own one string) */
    size_t nparams;
    uint64_t idseed;
};

static sluice_job *_Atomic sq_foreground;

static void sq_on_sigint(int sig)
{
    (void)sig;
    sluice_job *j = atomic_load(&sq_foreground);
    if (j)
        sluice_job_stop(j);
}

static void sq_error(const char *msg)
{
    printf("[ERROR] Could not execute SQL statement. Reason:\n%s\n", msg);
    fflush(stdout);
}

static void sq_info(const char *msg)
{
    printf("[INFO] %s\n", msg);
    fflush(stdout);
}

/* The session's statements plus `stmt` as one script, bound (need_insert: it must be a query
 * or an INSERT). NULL with err on failure. */
static struct sl_job *sq_bind(struct sq_session *s, const char *name, const char *stmt,
                              bool need_insert, struct sl_error *err)
{
    struct sl_sql_input *in = calloc(s->n + 1, sizeof(*in));
    if (!in) {
        sl_error_set(err, SL_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < s->n; i++)
        in[i] = (struct sl_sql_input){s->name[i], s->text[i], strlen(s->text[i])};
    in[s->n] = (struct sl_sql_input){name, stmt, strlen(stmt)};
    struct sl_job *job = NULL;
    struct sl_sql_file *f = sl_sql_parse_multi(in, s->n + 1, s->params, s->nparams, err);
    if (f) {
        job = need_insert ? sl_job_bind(f, err) : sl_job_bind_catalog(f, err);
        if (!job)
            sl_sql_file_free(f);
    }
    free(in);
    return job;
}

/* A libsluice job of the session's statements and `stmt`. */
static sluice_job *sq_job_new(struct sq_session *s, const char *name, const char *stmt)
{
    sluice_job *j = sluice_job_new();
    if (!j)
        return NULL;
    int rc = 0;
    for (size_t i = 0; i < s->n && !rc; i++)
        rc = sluice_job_add_sql(j, s->name[i], s->text[i]);
    if (!rc)
        rc = sluice_job_add_sql(j, name, stmt);
    for (size_t i = 0; i < s->nparams && !rc; i++)
        rc = sluice_job_set_param(j, s->params[i].name, s->params[i].value);
    if (!rc && s->workers)
        rc = sluice_job_set_option(j, "workers", s->workers);
    if (!rc)
        rc = sluice_job_set_option(j, "pin", "false");
    if (rc) {
        sluice_job_free(j);
        return NULL;
    }
    return j;
}

static int sq_add(struct sq_session *s, const char *name, const char *text)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **t = realloc(s->text, cap * sizeof(*t));
        if (!t)
            return SL_ENOMEM;
        s->text = t;
        char **nm = realloc(s->name, cap * sizeof(*nm));
        if (!nm)
            return SL_ENOMEM;
        s->name = nm;
        s->cap = cap;
    }
    s->text[s->n] = strdup(text);
    s->name[s->n] = strdup(name);
    if (!s->text[s->n] || !s->name[s->n]) {
        free(s->text[s->n]);
        free(s->name[s->n]);
        return SL_ENOMEM;
    }
    s->n++;
    return 0;
}

/* ---- result tables (Flink's batch tableau: widths by content, no maximum, as the SQL
 * client prints the results of SHOW and DESCRIBE) ------------------------------------------- */

static void sq_border(const int *w, int n)
{
    putchar('+');
    for (int c = 0; c < n; c++) {
        for (int i = 0; i < w[c] + 2; i++)
            putchar('-');
        putchar('+');
    }
    putchar('\n');
}

static void sq_row(const int *w, int n, const char *const *cells)
{
    putchar('|');
    for (int c = 0; c < n; c++) {
        size_t len = strlen(cells[c]);
        size_t dw = sl_tableau_display_width(cells[c], len);
        putchar(' ');
        if (dw <= (size_t)w[c]) {
            for (size_t i = dw; i < (size_t)w[c]; i++)
                putchar(' ');
            fputs(cells[c], stdout);
        } else { /* cut (ASCII cells: the shell's own tables) */
            fwrite(cells[c], 1, (size_t)w[c] - 3, stdout);
            fputs("...", stdout);
        }
        fputs(" |", stdout);
    }
    putchar('\n');
}

/* Prints ncols columns of nrows rows (cells row-major). */
static void sq_table(int ncols, const char *const *names, size_t nrows, char **cells)
{
    if (nrows == 0) {
        puts("Empty set");
        fflush(stdout);
        return;
    }
    int w[8];
    for (int c = 0; c < ncols; c++) {
        w[c] = (int)sl_tableau_display_width(names[c], strlen(names[c]));
        for (size_t r = 0; r < nrows; r++) {
            const char *v = cells[r * (size_t)ncols + (size_t)c];
            int d = (int)sl_tableau_display_width(v, strlen(v));
            if (d > w[c])
                w[c] = d;
        }
    }
    sq_border(w, ncols);
    sq_row(w, ncols, names);
    sq_border(w, ncols);
    for (size_t r = 0; r < nrows; r++)
        sq_row(w, ncols, (const char *const *)cells + r * (size_t)ncols);
    sq_border(w, ncols);
    printf("%zu %s in set\n", nrows, nrows > 1 ? "rows" : "row");
    fflush(stdout);
}

static int sq_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- SHOW, DESCRIBE, EXPLAIN --------------------------------------------------------------- */

static bool sq_show(struct sq_session *s, const char *what, const char *name, const char *stmt)
{
    size_t n = 0;
    char **cells = NULL;
    if (strcasecmp(what, "FUNCTIONS") == 0) {
        /* the binder's own tables (engine/sql/binder.h); user-defined ones are not listed */
        n = sl_sql_builtins(NULL, 0);
        struct sl_sql_builtin *fns = calloc(n ? n : 1, sizeof(*fns));
        cells = fns ? calloc(n ? n : 1, sizeof(*cells)) : NULL;
        if (fns)
            sl_sql_builtins(fns, n);
        for (size_t i = 0; cells && i < n; i++)
            cells[i] = strdup(fns[i].name);
        free(fns);
        if (cells)
            qsort(cells, n, sizeof(*cells), sq_cmp_str);
        const char *h[] = {"function name"};
        sq_table(1, h, cells ? n : 0, cells);
    } else if (strcasecmp(what, "JOBS") == 0) {
        cells = calloc(s->njobs * 4 + 1, sizeof(*cells));
        for (size_t i = 0; cells && i < s->njobs; i++) {
            struct sq_job *j = s->jobs[i];
            cells[n * 4] = strdup(j->id);
            cells[n * 4 + 1] = strdup(j->name);
            cells[n * 4 + 2] = strdup(sq_state_name[atomic_load(&j->state)]);
            cells[n * 4 + 3] = strdup(j->start);
            n++;
        }
        const char *h[] = {"job id", "job name", "status", "start time"};
        sq_table(4, h, n, cells);
        n *= 4;
    } else if (strcasecmp(what, "TABLES") == 0 || strcasecmp(what, "VIEWS") == 0) {
        bool views = strcasecmp(what, "VIEWS") == 0;
        struct sl_error err;
        sl_error_clear(&err);
        struct sl_job *job = sq_bind(s, name, "", false, &err);
        if (!job) {
            sq_error(err.msg);
            return false;
        }
        cells = calloc(job->ntables + job->nviews + 1, sizeof(*cells));
        /* Flink's SHOW TABLES lists views too (they are tables of the catalog) */
        for (uint32_t i = 0; cells && !views && i < job->ntables; i++)
            cells[n++] = strdup(job->tables[i]->name);
        for (uint32_t i = 0; cells && i < job->nviews; i++)
            cells[n++] = strdup(job->views[i].name);
        if (cells)
            qsort(cells, n, sizeof(*cells), sq_cmp_str);
        const char *h[] = {views ? "view name" : "table name"};
        sq_table(1, h, n, cells);
        sl_job_free(job);
    } else {
        (void)stmt;
        sq_error("SHOW what? (TABLES, VIEWS, FUNCTIONS, JOBS)");
        return false;
    }
    for (size_t i = 0; cells && i < n; i++)
        free(cells[i]);
    free(cells);
    return true;
}

/* Flink's spelling of a type in DESCRIBE (STRING for VARCHAR; NULL-ness in its own column). */
static void sq_type(struct sl_type t, char *buf, size_t cap)
{
    t.nullable = true;
    if (sl_type_is_string(t))
        snprintf(buf, cap, "STRING");
    else
        sl_type_format(t, buf, cap);
}

/* Appends "ROW<`f` T, ...>" for the flattened columns from c on that share the first plen
 * bytes of c's name ("bid." of "bid.price"); returns the first column after them. */
static uint32_t sq_row_type(const struct sl_rel *r, uint32_t c, size_t plen, char *buf, size_t cap)
{
    const char *group = r->cols[c].name;
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "ROW<");
    bool first = true;
    while (c < r->ncols && strncmp(r->cols[c].name, group, plen) == 0 &&
           strlen(r->cols[c].name) > plen) {
        const char *f = r->cols[c].name + plen, *dot = strchr(f, '.');
        int flen = dot ? (int)(dot - f) : (int)strlen(f);
        len = strlen(buf);
        len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s`%.*s` ",
                                first ? "" : ", ", flen, f);
        first = false;
        if (dot) {
            c = sq_row_type(r, c, plen + (size_t)flen + 1, buf, cap);
        } else {
            char ty[96];
            struct sl_type t = r->cols[c].type;
            if (sl_type_is_string(t))
                snprintf(ty, sizeof(ty), "STRING%s", t.nullable ? "" : " NOT NULL");
            else
                sl_type_format(t, ty, sizeof(ty));
            len = strlen(buf);
            snprintf(buf + len, len < cap ? cap - len : 0, "%s", ty);
            c++;
        }
    }
    len = strlen(buf);
    snprintf(buf + len, len < cap ? cap - len : 0, ">");
    return c;
}

static bool sq_describe(struct sq_session *s, const char *name, const char *target)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sq_bind(s, name, "", false, &err);
    if (!job) {
        sq_error(err.msg);
        return false;
    }
    const struct sl_table *t = NULL;
    for (uint32_t i = 0; i < job->ntables; i++)
        if (strcmp(job->tables[i]->name, target) == 0)
            t = job->tables[i];
    if (!t) {
        char msg[300];
        bool view = false;
        for (uint32_t i = 0; i < job->nviews; i++)
            view |= strcmp(job->views[i].name, target) == 0;
        snprintf(msg, sizeof(msg),
                 view ? "DESCRIBE of a view ('%s') is not supported yet"
                      : "Table or view '%s' does not exist",
                 target);
        sq_error(msg);
        sl_job_free(job);
        return false;
    }
    uint32_t ncols = t->physical.ncols + t->ncomputed, nrows = 0;
    char **cells = calloc((size_t)ncols * 6 + 1, sizeof(*cells));
    size_t n = 0;
    for (uint32_t c = 0; cells && c < ncols; c++, nrows++) {
        bool comp = c >= t->physical.ncols;
        const struct sl_rel_col *col =
            comp ? &t->computed_cols[c - t->physical.ncols] : &t->physical.cols[c];
        char ty[1024], extras[256] = "", wm[128] = "";
        const char *dot = comp ? NULL : strchr(col->name, '.');
        if (dot) { /* a ROW column, flattened: one line, as Flink's */
            ty[0] = '\0';
            size_t plen = (size_t)(dot - col->name) + 1;
            uint32_t next = sq_row_type(&t->physical, c, plen, ty, sizeof(ty));
            cells[n++] = strndup(col->name, plen - 1);
            cells[n++] = strdup(ty);
            cells[n++] = strdup("TRUE");
            cells[n++] = strdup("");
            cells[n++] = strdup("");
            cells[n++] = strdup("");
            c = next - 1;
            continue;
        }
        sq_type(col->type, ty, sizeof(ty));
        if ((int)c == t->rowtime) {
            strncat(ty, " *ROWTIME*", sizeof(ty) - strlen(ty) - 1);
            int64_t d = t->wm_delay_ms;
            if (d == 0)
                snprintf(wm, sizeof(wm), "`%s`", col->name);
            else if (d % 1000 == 0)
                snprintf(wm, sizeof(wm), "`%s` - INTERVAL '%" PRId64 "' SECOND", col->name,
                         d / 1000);
            else
                snprintf(wm, sizeof(wm), "`%s` - INTERVAL '%" PRId64 ".%03" PRId64 "' SECOND",
                         col->name, d / 1000, d % 1000);
        }
        if (comp) {
            char *buf = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&buf, &len);
            if (m) {
                sl_expr_print(t->computed[c - t->physical.ncols], &t->physical, m);
                fclose(m);
                snprintf(extras, sizeof(extras), "AS %s", buf ? buf : "");
                free(buf);
            }
        }
        for (uint32_t k = 0; k < t->nmeta; k++)
            if (t->meta[k].col == c)
                snprintf(extras, sizeof(extras), "METADATA FROM '%s'%s", t->meta[k].key,
                         t->meta[k].is_virtual ? " VIRTUAL" : "");
        cells[n++] = strdup(col->name);
        cells[n++] = strdup(ty);
        cells[n++] = strdup(col->type.nullable ? "TRUE" : "FALSE");
        cells[n++] = strdup("");
        cells[n++] = strdup(extras);
        cells[n++] = strdup(wm);
    }
    const char *h[] = {"name", "type", "null", "key", "extras", "watermark"};
    if (cells)
        sq_table(6, h, nrows, cells);
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
    sl_job_free(job);
    return true;
}

static bool sq_explain(struct sq_session *s, const char *name, const char *stmt)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sq_bind(s, name, stmt, true, &err);
    if (!job) {
        sq_error(err.msg);
        return false;
    }
    for (uint32_t i = 0; i < job->ninserts; i++)
        sl_plan_explain(job->inserts[i], stdout);
    fflush(stdout);
    sl_job_free(job);
    return true;
}

/* ---- queries and jobs ---------------------------------------------------------------------- */

static bool sq_run_foreground(struct sq_session *s, const char *name, const char *stmt)
{
    sluice_job *j = sq_job_new(s, name, stmt);
    if (!j) {
        sq_error("out of memory");
        return false;
    }
    atomic_store(&sq_foreground, j);
    int rc = sluice_job_run(j);
    atomic_store(&sq_foreground, NULL);
    if (rc)
        sq_error(sluice_job_error(j));
    sluice_job_free(j);
    return rc == 0;
}

static void *sq_job_main(void *arg)
{
    struct sq_job *job = arg;
    int rc = sluice_job_run(job->job);
    if (rc) {
        fprintf(stderr, "[ERROR] Job %s (%s) failed: %s\n", job->id, job->name,
                sluice_job_error(job->job));
        atomic_store(&job->state, SQ_FAILED);
    } else {
        atomic_store(&job->state, atomic_load(&job->stopping) ? SQ_CANCELED : SQ_FINISHED);
    }
    return NULL;
}

static void sq_job_id(struct sq_session *s, char *id)
{
    for (int k = 0; k < 2; k++) {
        uint64_t z = (s->idseed += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        z ^= z >> 31;
        snprintf(id + 16 * k, 17, "%016" PRIx64, z);
    }
}

static bool sq_insert(struct sq_session *s, const char *name, const char *stmt, bool sync)
{
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *bound = sq_bind(s, name, stmt, true, &err);
    if (!bound) {
        sq_error(err.msg);
        return false;
    }
    char jname[300] = "insert-into";
    for (uint32_t i = 0; i < bound->ninserts; i++) {
        size_t len = strlen(jname);
        snprintf(jname + len, sizeof(jname) - len, "%sdefault_catalog.default_database.%s",
                 i ? "," : "_", bound->inserts[i]->sink.table->name);
    }
    const char *dml = sl_job_setting(bound, "table.dml-sync");
    sync = sync || (dml && strcasecmp(dml, "true") == 0);
    sl_job_free(bound);
    if (sync) {
        sq_info("Execute statement in sync mode. Please wait for the execution finish...");
        if (!sq_run_foreground(s, name, stmt))
            return false;
        sq_info("Complete execution of the SQL update statement.");
        return true;
    }
    struct sq_job *job = calloc(1, sizeof(*job));
    struct sq_job **jobs = job ? realloc(s->jobs, (s->njobs + 1) * sizeof(*jobs)) : NULL;
    if (!jobs) {
        free(job);
        sq_error("out of memory");
        return false;
    }
    s->jobs = jobs;
    sq_job_id(s, job->id);
    job->name = strdup(jname);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(job->start, sizeof(job->start), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000);
    job->job = sq_job_new(s, name, stmt);
    atomic_init(&job->state, SQ_RUNNING);
    if (!job->name || !job->job || pthread_create(&job->thread, NULL, sq_job_main, job) != 0) {
        sluice_job_free(job->job);
        free(job->name);
        free(job);
        sq_error("cannot start the job");
        return false;
    }
    s->jobs[s->njobs++] = job;
    sq_info("Submitting SQL update statement to the cluster...");
    printf("[INFO] SQL update statement has been successfully submitted to the cluster:\n"
           "Job ID: %s\n",
           job->id);
    fflush(stdout);
    return true;
}

static void sq_job_join(struct sq_job *j)
{
    if (!j->joined) {
        pthread_join(j->thread, NULL);
        j->joined = true;
    }
}

static bool sq_stop_job(struct sq_session *s, const char *id)
{
    for (size_t i = 0; i < s->njobs; i++) {
        struct sq_job *j = s->jobs[i];
        if (strcmp(j->id, id) != 0)
            continue;
        if (atomic_load(&j->state) == SQ_RUNNING) {
            atomic_store(&j->stopping, true);
            sluice_job_stop(j->job);
        }
        sq_job_join(j);
        sq_info("Execute statement succeed.");
        return true;
    }
    char msg[128];
    snprintf(msg, sizeof(msg), "No job with id '%s' (SHOW JOBS lists them)", id);
    sq_error(msg);
    return false;
}

/* ---- statements ---------------------------------------------------------------------------- */

/* Skips blanks and comments from p. */
static const char *sq_skip(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

/* The next word at p (letters, digits, '_') into w (upper case); returns what follows. */
static const char *sq_word(const char *p, char *w, size_t cap)
{
    p = sq_skip(p);
    size_t n = 0;
    while ((isalnum((unsigned char)*p) || *p == '_') && n + 1 < cap)
        w[n++] = (char)toupper((unsigned char)*p++);
    w[n] = '\0';
    return p;
}

/* A name after DESCRIBE / in STOP JOB: `quoted`, 'quoted' or bare, into out. */
static const char *sq_name(const char *p, char *out, size_t cap)
{
    p = sq_skip(p);
    size_t n = 0;
    if (*p == '`' || *p == '\'') {
        char q = *p++;
        while (*p && *p != q && n + 1 < cap)
            out[n++] = *p++;
        if (*p == q)
            p++;
    } else {
        while (*p && !isspace((unsigned char)*p) && *p != ';' && n + 1 < cap)
            out[n++] = *p++;
    }
    out[n] = '\0';
    return p;
}

enum { SQ_GO_ON, SQ_QUIT, SQ_FAILED_STMT };

/* Runs one statement (`text`: padded to its place in `name`). */
static int sq_statement(struct sq_session *s, const char *name, char *text, bool interactive)
{
    (void)interactive;
    char w1[32], w2[32];
    const char *rest = sq_word(text, w1, sizeof(w1));
    const char *rest2 = sq_word(rest, w2, sizeof(w2));
    if (!w1[0] && !*sq_skip(text))
        return SQ_GO_ON;
    if (strcmp(w1, "QUIT") == 0 || strcmp(w1, "EXIT") == 0)
        return SQ_QUIT;
    if (strcmp(w1, "HELP") == 0) {
        fputs(sq_usage + strlen("usage: sluice sql [-f FILE.sql] [--workers N] [--set "
                                "NAME=VALUE]...\n\n"),
              stdout);
        return SQ_GO_ON;
    }
    if (strcmp(w1, "SHOW") == 0) {
        if (*sq_skip(rest2)) {
            sq_error("SHOW takes no arguments here (SHOW TABLES, VIEWS, FUNCTIONS, JOBS)");
            return SQ_FAILED_STMT;
        }
        return sq_show(s, w2, name, text) ? SQ_GO_ON : SQ_FAILED_STMT;
    }
    if (strcmp(w1, "DESCRIBE") == 0 || strcmp(w1, "DESC") == 0) {
        char target[256];
        sq_name(rest, target, sizeof(target));
        return sq_describe(s, name, target) ? SQ_GO_ON : SQ_FAILED_STMT;
    }
    if (strcmp(w1, "STOP") == 0 && strcmp(w2, "JOB") == 0) {
        char id[64];
        sq_name(rest2, id, sizeof(id));
        return sq_stop_job(s, id) ? SQ_GO_ON : SQ_FAILED_STMT;
    }
    if (strcmp(w1, "EXPLAIN") == 0) {
        /* blank the keyword (and PLAN FOR): positions stay those of the text */
        char *p = text + (rest - text);
        memset(text, ' ', (size_t)(rest - text));
        if (strcmp(w2, "PLAN") == 0) {
            char w3[16];
            const char *r3 = sq_word(rest2, w3, sizeof(w3));
            if (strcmp(w3, "FOR") == 0)
                memset(p, ' ', (size_t)(r3 - p));
        }
        return sq_explain(s, name, text) ? SQ_GO_ON : SQ_FAILED_STMT;
    }
    if (strcmp(w1, "SELECT") == 0 || strcmp(w1, "WITH") == 0) {
        return sq_run_foreground(s, name, text) ? SQ_GO_ON : SQ_FAILED_STMT;
    }
    if (strcmp(w1, "INSERT") == 0 || strcmp(w1, "EXECUTE") == 0 || strcmp(w1, "BEGIN") == 0) {
        return sq_insert(s, name, text, false) ? SQ_GO_ON : SQ_FAILED_STMT;
    }
    /* CREATE, SET, and whatever else: the binder checks it (and says what is not supported) */
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_job *job = sq_bind(s, name, text, false, &err);
    if (!job) {
        sq_error(err.msg);
        return SQ_FAILED_STMT;
    }
    bool runs = job->ninserts > 0;
    sl_job_free(job);
    if (runs) /* e.g. a statement set written another way */
        return sq_insert(s, name, text, false) ? SQ_GO_ON : SQ_FAILED_STMT;
    if (sq_add(s, name, text)) {
        sq_error("out of memory");
        return SQ_FAILED_STMT;
    }
    sq_info("Execute statement succeed.");
    return SQ_GO_ON;
}

/* The length of the first complete statement of buf (up to and including its ';' outside
 * quotes and comments), 0 when there is none yet. */
static size_t sq_complete(const char *buf)
{
    char q = 0;
    for (size_t i = 0; buf[i]; i++) {
        char c = buf[i];
        if (q == '-') {
            if (c == '\n')
                q = 0;
        } else if (q == '*') {
            if (c == '*' && buf[i + 1] == '/')
                q = 0, i++;
        } else if (q) {
            if (c == q)
                q = 0; /* '' inside a string: closes and reopens */
        } else if (c == '\'' || c == '"' || c == '`') {
            q = c;
        } else if (c == '-' && buf[i + 1] == '-') {
            q = '-';
        } else if (c == '/' && buf[i + 1] == '*') {
            q = '*', i++;
        } else if (c == ';') {
            return i + 1;
        }
    }
    return 0;
}

/* The statement buf[0 .. len) (its ';' dropped), padded so that it starts at line:col. */
static char *sq_padded(const char *buf, size_t len, unsigned line, unsigned col)
{
    char *t = malloc((size_t)line + col + len + 1);
    if (!t)
        return NULL;
    size_t n = 0;
    for (unsigned i = 1; i < line; i++)
        t[n++] = '\n';
    for (unsigned i = 1; i < col; i++)
        t[n++] = ' ';
    memcpy(t + n, buf, len);
    n += len;
    if (n && t[n - 1] == ';')
        n--;
    t[n] = '\0';
    return t;
}

/* Advances line/col over n bytes of p. */
static void sq_advance(const char *p, size_t n, unsigned *line, unsigned *col)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            (*line)++, *col = 1;
        else
            (*col)++;
    }
}

/* Runs the statements of `path` (NULL: standard input, "stdin" in messages). */
static int sq_run_file(struct sq_session *s, const char *path)
{
    FILE *f = path ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "sluice sql: cannot read '%s': %s\n", path, strerror(errno));
        return 2;
    }
    if (!path)
        path = "stdin";
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + k + 1 > cap) {
            cap = (len + k + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                if (f != stdin)
                    fclose(f);
                fprintf(stderr, "sluice sql: out of memory\n");
                return 2;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, k);
        len += k;
    }
    if (f != stdin)
        fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    if (!buf)
        return 2;
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        fprintf(stderr, "sluice sql: '%s' holds a NUL byte: not SQL text\n", path);
        free(buf);
        return 2;
    }
    int status = 0;
    unsigned line = 1, col = 1;
    const char *p = buf;
    while (*p) {
        size_t n = sq_complete(p);
        if (!n) /* the last statement may lack its ';' */
            n = strlen(p);
        char *stmt = sq_padded(p, n, line, col);
        if (!stmt) {
            status = 2;
            break;
        }
        int r = sq_statement(s, path, stmt, false);
        free(stmt);
        sq_advance(p, n, &line, &col);
        p += n;
        if (r == SQ_QUIT)
            break;
        if (r == SQ_FAILED_STMT) {
            status = 1;
            break;
        }
    }
    free(buf);
    /* background jobs: this process is their cluster, so it waits for them */
    for (size_t i = 0; i < s->njobs; i++) {
        sq_job_join(s->jobs[i]);
        if (atomic_load(&s->jobs[i]->state) == SQ_FAILED)
            status = 1;
    }
    return status;
}

static char *sq_history_path(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    size_t n = strlen(home) + sizeof("/.sluice_history");
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.sluice_history", home);
    return p;
}

static int sq_interactive(struct sq_session *s)
{
    char *hist = sq_history_path();
    using_history();
    if (hist)
        read_history(hist);
    rl_catch_signals = 0; /* SIGINT is ours: it stops a running query */
    puts("sluice SQL shell: statements end with ';'. HELP lists them, QUIT leaves.");
    fflush(stdout);
    char *buf = NULL;
    size_t len = 0;
    unsigned line = 1;
    int status = 0;
    for (;;) {
        char *in = readline(len ? "     > " : "sluice> ");
        if (!in) { /* Ctrl-D */
            putchar('\n');
            break;
        }
        size_t k = strlen(in);
        char *nb = realloc(buf, len + k + 2);
        if (!nb) {
            free(in);
            status = 2;
            break;
        }
        buf = nb;
        memcpy(buf + len, in, k);
        len += k;
        buf[len++] = '\n';
        buf[len] = '\0';
        free(in);
        bool quit = false;
        size_t n;
        while ((n = sq_complete(buf)) > 0) {
            char *stmt = sq_padded(buf, n, line, 1);
            if (stmt) {
                char *h = strndup(buf, n);
                if (h) {
                    for (char *c = h; *c; c++)
                        if (*c == '\n')
                            *c = ' ';
                    add_history(h);
                    free(h);
                }
                quit = sq_statement(s, "stdin", stmt, true) == SQ_QUIT;
                free(stmt);
            }
            /* what follows on the last line starts the next statement */
            size_t drop = n;
            while (buf[drop] == ' ' || buf[drop] == '\t')
                drop++;
            if (buf[drop] == '\n')
                drop++;
            memmove(buf, buf + drop, len - drop + 1);
            len -= drop;
            line = 1;
            if (quit)
                break;
        }
        if (quit)
            break;
        if (len && !*sq_skip(buf)) /* only blanks and comments: nothing pending */
            len = 0, buf[0] = '\0';
    }
    free(buf);
    if (hist) {
        write_history(hist);
        history_truncate_file(hist, 1000);
        free(hist);
    }
    /* stop what still runs, cleanly */
    for (size_t i = 0; i < s->njobs; i++)
        if (atomic_load(&s->jobs[i]->state) == SQ_RUNNING) {
            atomic_store(&s->jobs[i]->stopping, true);
            sluice_job_stop(s->jobs[i]->job);
        }
    for (size_t i = 0; i < s->njobs; i++)
        sq_job_join(s->jobs[i]);
    puts("Shutting down the session...\ndone.");
    return status;
}

int sl_cmd_sql(int argc, char **argv)
{
    struct sq_session s = {0};
    const char *file = NULL;
    int status = 0;
    s.params = calloc((size_t)argc + 1, sizeof(*s.params));
    if (!s.params)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(sq_usage, stdout);
            free(s.params);
            return 0;
        }
        if ((strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(a, "--workers") == 0 && i + 1 < argc) {
            s.workers = argv[++i];
            char *end;
            long w = strtol(s.workers, &end, 10);
            if (*end || w < 1 || w > 1024) {
                fprintf(stderr, "sluice sql: --workers '%s' is not a count 1..1024\n", s.workers);
                free(s.params);
                return 2;
            }
        } else if (strcmp(a, "--set") == 0 && i + 1 < argc && strchr(argv[i + 1], '=') &&
                   argv[i + 1][0] != '=') {
            char *d = strdup(argv[++i]);
            if (!d) {
                status = 2;
                break;
            }
            char *eq = strchr(d, '=');
            *eq = '\0';
            s.params[s.nparams++] = (struct sl_sql_param){d, eq + 1};
        } else {
            fprintf(stderr, "sluice sql: unknown or incomplete option '%s'\n%s", a, sq_usage);
            free(s.params);
            return 2;
        }
    }
    if (status) {
        for (size_t i = 0; i < s.nparams; i++)
            free((char *)s.params[i].name);
        free(s.params);
        return status;
    }
    pthread_mutex_init(&s.lock, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s.idseed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
    struct sigaction sa = {0}, old_int, old_pipe;
    sa.sa_handler = sq_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    struct sigaction ign = {0};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    if (file || !isatty(STDIN_FILENO)) /* a file, or statements piped in: as -f */
        status = sq_run_file(&s, file);
    else
        status = sq_interactive(&s);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    for (size_t i = 0; i < s.njobs; i++) {
        sq_job_join(s.jobs[i]);
        sluice_job_free(s.jobs[i]->job);
        free(s.jobs[i]->name);
        free(s.jobs[i]);
    }
    free(s.jobs);
    for (size_t i = 0; i < s.n; i++) {
        free(s.text[i]);
        free(s.name[i]);
    }
    free(s.text);
    free(s.name);
    for (size_t i = 0; i < s.nparams; i++)
        free((char *)s.params[i].name);
    free(s.params);
    pthread_mutex_destroy(&s.lock);
    return status;
}
