/*
 * engine/plan/udf.c - loading UDF libraries and the job's functions (see udf.h).
 *
 * Libraries are opened at most once per set, keyed by their real path, and stay open until
 * the set is freed. Every error names the library (its path) and the identifier asked for.
 */
#include "engine/plan/udf.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/error.h"

/* sluice_udf_str is sluice's sl_str, byte for byte (kernels/kcommon.h). */
_Static_assert(sizeof(sluice_udf_str) == sizeof(sl_str), "sluice_udf_str is an sl_str");
_Static_assert(offsetof(sluice_udf_str, prefix) == offsetof(sl_str, prefix), "prefix");
_Static_assert(offsetof(sluice_udf_str, u) == offsetof(sl_str, inl), "inl/ptr");
_Static_assert(SL_STR_INLINE_MAX == 12, "inline strings are 12 bytes in the ABI");

struct sl_udf_lib {
    struct sl_udf_lib *next;
    char *path; /* real path */
    void *handle;
    const struct sluice_udf_library *tab; /* NULL: not a UDF library (skipped in dirs) */
};

struct sl_udf_set {
    uint32_t npaths;
    char **paths;
    struct sl_udf_lib *libs;
    uint32_t nudfs;
    struct sl_udf **udfs;
};

struct sl_udf_set *sl_udf_set_new(void)
{
    return calloc(1, sizeof(struct sl_udf_set));
}

void sl_udf_set_free(struct sl_udf_set *set)
{
    if (!set)
        return;
    for (uint32_t i = 0; i < set->npaths; i++)
        free(set->paths[i]);
    free(set->paths);
    for (uint32_t i = 0; i < set->nudfs; i++) {
        free((char *)set->udfs[i]->name);
        free((char *)set->udfs[i]->identifier);
        free(set->udfs[i]);
    }
    free(set->udfs);
    for (struct sl_udf_lib *l = set->libs, *next; l; l = next) {
        next = l->next;
        if (l->handle)
            dlclose(l->handle);
        free(l->path);
        free(l);
    }
    free(set);
}

int sl_udf_set_add_path(struct sl_udf_set *set, const char *path)
{
    char **p = realloc(set->paths, (set->npaths + 1) * sizeof(*p));
    if (!p)
        return SL_ENOMEM;
    set->paths = p;
    if (!(p[set->npaths] = strdup(path)))
        return SL_ENOMEM;
    set->npaths++;
    return 0;
}

int sl_udf_set_add_default_path(struct sl_udf_set *set)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    static const char *const rel[] = {"/udf", "/../lib/sluice/udf"};
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        char dir[PATH_MAX + 32];
        struct stat st;
        snprintf(dir, sizeof(dir), "%s%s", exe, rel[i]);
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && sl_udf_set_add_path(set, dir))
            return SL_ENOMEM;
    }
    return 0;
}

/* ---- types --------------------------------------------------------------------------------- */

struct sl_type sl_udf_type(uint32_t t)
{
    switch (t) {
    case SLUICE_UDF_BOOLEAN:
        return sl_type_make(SL_TYPE_BOOLEAN, true);
    case SLUICE_UDF_INT:
        return sl_type_make(SL_TYPE_INT, true);
    case SLUICE_UDF_BIGINT:
        return sl_type_make(SL_TYPE_BIGINT, true);
    case SLUICE_UDF_DOUBLE:
        return sl_type_make(SL_TYPE_DOUBLE, true);
    case SLUICE_UDF_STRING:
        return sl_type_make(SL_TYPE_VARCHAR, true);
    case SLUICE_UDF_TIMESTAMP:
        return sl_type_make(SL_TYPE_TIMESTAMP, true);
    default:
        return sl_type_make(SL_TYPE_COUNT, true);
    }
}

const char *sl_udf_type_name(uint32_t t)
{
    static const char *const names[] = {"?",      "BOOLEAN", "INT",         "BIGINT",
                                        "DOUBLE", "STRING",  "TIMESTAMP(3)"};
    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

/* ---- loading ------------------------------------------------------------------------------- */

/* Opens (once) the library at `path`; *out is NULL-tab when it has no entry symbol. */
static int sl_udf_open(struct sl_udf_set *set, const char *path, const char *ident,
                       struct sl_udf_lib **out, char *msg, size_t cap)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        snprintf(msg, cap, "UDF library '%s' for '%s': %s", path, ident, strerror(errno));
        return SL_EIO;
    }
    for (struct sl_udf_lib *l = set->libs; l; l = l->next)
        if (!strcmp(l->path, real)) {
            *out = l;
            return 0;
        }
    struct sl_udf_lib *l = calloc(1, sizeof(*l));
    if (!l || !(l->path = strdup(real))) {
        free(l);
        snprintf(msg, cap, "out of memory loading UDF library '%s'", path);
        return SL_ENOMEM;
    }
    dlerror();
    l->handle = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!l->handle) {
        const char *e = dlerror();
        snprintf(msg, cap, "cannot load UDF library '%s' for '%s': %s", real, ident,
                 e ? e : "dlopen failed");
        free(l->path);
        free(l);
        return SL_EIO;
    }
    l->next = set->libs;
    set->libs = l;
    sluice_udf_library_fn entry;
    void *sym = dlsym(l->handle, SLUICE_UDF_ENTRY);
    memcpy(&entry, &sym, sizeof(entry)); /* POSIX: a data pointer that holds a function's */
    if (sym) {
        l->tab = entry();
        if (!l->tab) {
            snprintf(msg, cap, "UDF library '%s' for '%s': %s() returned NULL", real, ident,
                     SLUICE_UDF_ENTRY);
            return SL_EINVAL;
        }
    }
    *out = l;
    return 0;
}

static int sl_udf_check(const struct sl_udf_lib *l, const struct sluice_udf_function *f,
                        const char *ident, char *msg, size_t cap)
{
    const char *bad = NULL;
    if (!f->call)
        bad = "no call function";
    else if (f->nargs > SLUICE_UDF_MAX_ARGS)
        bad = "more than SLUICE_UDF_MAX_ARGS arguments";
    else if (sl_udf_type(f->result).id >= SL_TYPE_COUNT)
        bad = "an unknown result type";
    else if (f->flags & ~(SLUICE_UDF_NULL_CALL | SLUICE_UDF_RETURNS_NULL))
        bad = "unknown flags";
    for (uint32_t i = 0; !bad && i < f->nargs; i++)
        if (sl_udf_type(f->args[i]).id >= SL_TYPE_COUNT)
            bad = "an argument of unknown type";
    if (!bad)
        return 0;
    snprintf(msg, cap, "UDF library '%s': function '%s' is malformed: %s", l->path, ident, bad);
    return SL_EINVAL;
}

/* Looks for `ident` in one library; 1 found, 0 not there, < 0 an error. */
static int sl_udf_lookup(struct sl_udf_set *set, const char *path, bool in_dir, const char *ident,
                         struct sl_udf *udf, char *msg, size_t cap)
{
    struct sl_udf_lib *l;
    int rc = sl_udf_open(set, path, ident, &l, msg, cap);
    if (rc)
        return rc;
    if (!l->tab) {
        if (in_dir)
            return 0;
        snprintf(msg, cap, "'%s' is not a sluice UDF library (no symbol %s), looking for '%s'",
                 l->path, SLUICE_UDF_ENTRY, ident);
        return SL_EINVAL;
    }
    if (l->tab->abi_version != SLUICE_UDF_ABI_VERSION) {
        snprintf(msg, cap,
                 "UDF library '%s' was built for UDF ABI version %u, this sluice loads version "
                 "%u (rebuild it against this sluice's sluice_udf.h), looking for '%s'",
                 l->path, l->tab->abi_version, SLUICE_UDF_ABI_VERSION, ident);
        return SL_EINVAL;
    }
    if (l->tab->nfunctions && !l->tab->functions) {
        snprintf(msg, cap, "UDF library '%s': its table has no functions array", l->path);
        return SL_EINVAL;
    }
    for (uint32_t i = 0; i < l->tab->nfunctions; i++) {
        const struct sluice_udf_function *f = &l->tab->functions[i];
        if (!f->identifier || strcmp(f->identifier, ident))
            continue;
        if ((rc = sl_udf_check(l, f, ident, msg, cap)))
            return rc;
        memset(udf, 0, sizeof(*udf));
        udf->identifier = ident;
        udf->library = l->path;
        udf->fn = f;
        udf->nargs = f->nargs;
        for (uint32_t k = 0; k < f->nargs; k++)
            udf->args[k] = sl_udf_type(f->args[k]);
        udf->result = sl_udf_type(f->result);
        return 1;
    }
    return 0;
}

static int sl_udf_so_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 3 && !strcmp(d->d_name + n - 3, ".so");
}

/* One path entry: a directory (its *.so in name order) or a file. */
static int sl_udf_search_entry(struct sl_udf_set *set, const char *entry, const char *ident,
                               struct sl_udf *udf, char *msg, size_t cap)
{
    struct stat st;
    if (stat(entry, &st) != 0) {
        snprintf(msg, cap, "UDF path entry '%s' (looking for '%s'): %s", entry, ident,
                 strerror(errno));
        return SL_EIO;
    }
    if (!S_ISDIR(st.st_mode))
        return sl_udf_lookup(set, entry, false, ident, udf, msg, cap);
    struct dirent **names;
    int n = scandir(entry, &names, sl_udf_so_filter, alphasort);
    if (n < 0) {
        snprintf(msg, cap, "UDF directory '%s' (looking for '%s'): %s", entry, ident,
                 strerror(errno));
        return SL_EIO;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            char file[PATH_MAX + 256];
            snprintf(file, sizeof(file), "%s/%s", entry, names[i]->d_name);
            rc = sl_udf_lookup(set, file, true, ident, udf, msg, cap);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Appends 'entry' to the list of what was searched (cut when the buffer is full). */
static void sl_udf_note(char *buf, size_t cap, size_t *used, const char *entry)
{
    if (*used + 1 >= cap)
        return;
    int k = snprintf(buf + *used, cap - *used, "%s'%s'", *used ? ", " : "", entry);
    *used = k < 0 ? *used : *used + (size_t)k < cap ? *used + (size_t)k : cap - 1;
}

int sl_udf_resolve(struct sl_udf_set *set, const char *sql_path, const char *identifier,
                   struct sl_udf *udf, char *msg, size_t cap)
{
    char searched[400];
    size_t used = 0;
    searched[0] = '\0';
    /* SET 'sluice.udf.path' first, entry by entry */
    const char *p = sql_path;
    while (p && *p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len) {
            char entry[PATH_MAX];
            if (len >= sizeof(entry)) {
                snprintf(msg, cap, "a 'sluice.udf.path' entry is too long");
                return SL_EINVAL;
            }
            memcpy(entry, p, len);
            entry[len] = '\0';
            int rc = sl_udf_search_entry(set, entry, identifier, udf, msg, cap);
            if (rc)
                return rc < 0 ? rc : 0;
            sl_udf_note(searched, sizeof(searched), &used, entry);
        }
        p = end ? end + 1 : NULL;
    }
    for (uint32_t i = 0; i < set->npaths; i++) {
        int rc = sl_udf_search_entry(set, set->paths[i], identifier, udf, msg, cap);
        if (rc)
            return rc < 0 ? rc : 0;
        sl_udf_note(searched, sizeof(searched), &used, set->paths[i]);
    }
    if (!used)
        snprintf(msg, cap,
                 "no UDF library provides '%s': the UDF path is empty (give `sluice run "
                 "--udf-path DIR_OR_FILE` or SET 'sluice.udf.path' = 'DIR_OR_FILE')",
                 identifier);
    else
        snprintf(msg, cap, "no UDF library on the UDF path provides '%s' (searched %s)", identifier,
                 searched);
    return SL_ENOTFOUND;
}

/* ---- the namespace ------------------------------------------------------------------------- */

struct sl_udf *sl_udf_add(struct sl_udf_set *set, const struct sl_udf *udf)
{
    struct sl_udf **v = realloc(set->udfs, (set->nudfs + 1) * sizeof(*v));
    if (!v)
        return NULL;
    set->udfs = v;
    struct sl_udf *u = malloc(sizeof(*u));
    if (!u)
        return NULL;
    *u = *udf;
    u->name = strdup(udf->name);
    u->identifier = strdup(udf->identifier);
    if (!u->name || !u->identifier) {
        free((char *)u->name);
        free((char *)u->identifier);
        free(u);
        return NULL;
    }
    v[set->nudfs++] = u;
    return u;
}

struct sl_udf *sl_udf_find(const struct sl_udf_set *set, const char *name)
{
    if (!set)
        return NULL;
    for (uint32_t i = set->nudfs; i-- > 0;)
        if (!set->udfs[i]->dropped && !strcasecmp(set->udfs[i]->name, name))
            return set->udfs[i];
    return NULL;
}
