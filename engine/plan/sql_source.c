/*
 * engine/plan/sql_source.c - placeholder expansion and positions (see sql_source.h).
 */
#include "engine/plan/sql_source.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One expansion: expanded bytes [exp_pos, exp_pos + exp_len) came from original bytes
 * [orig_pos, orig_pos + orig_len) ("${NAME}"). */
struct sl_sql_subst {
    size_t exp_pos, exp_len;
    size_t orig_pos, orig_len;
};

/* A file of the source: its `len` bytes start at `start` of the original text; the "\n;\n"
 * between two files belongs to neither. */
struct sl_sql_seg {
    char *path;
    size_t start, len;
};

struct sl_sql_source {
    char *path;
    struct sl_sql_seg *segs;
    size_t nsegs;
    char *orig;
    size_t orig_len;
    char *text;
    size_t len;
    struct sl_sql_subst *subst;
    size_t nsubst;
};

static int sl_buf_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*cap ? *cap * 2 : 256);
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return SL_ENOMEM;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static const struct sl_sql_seg *sl_orig_seg(const struct sl_sql_source *src, size_t opos)
{
    const struct sl_sql_seg *seg = &src->segs[0];
    for (size_t i = 1; i < src->nsegs; i++)
        if (src->segs[i].start <= opos)
            seg = &src->segs[i];
    return seg;
}

/* A position in the separator after a file is the end of that file: the user never wrote
 * the separator, so no line or column of it may appear in a message. */
static size_t sl_orig_clamp(const struct sl_sql_source *src, size_t opos)
{
    const struct sl_sql_seg *seg = sl_orig_seg(src, opos);
    return opos > seg->start + seg->len ? seg->start + seg->len : opos;
}

static void sl_orig_position(const struct sl_sql_source *src, size_t opos, uint32_t *line,
                             uint32_t *col)
{
    opos = sl_orig_clamp(src, opos);
    uint32_t l = 1, c = 1;
    for (size_t i = sl_orig_seg(src, opos)->start; i < opos && i < src->orig_len; i++) {
        if (src->orig[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* The longest path a message shows whole. A message holds SL_ERROR_MSG_MAX bytes: a longer
 * path would push the line and column, which come after it, out of the message. */
#define SL_SQL_MSG_PATH 160

/* `path` as messages show it: whole, or "..." and its last bytes (the file's name and the
 * directories nearest to it), cut at a character boundary; `buf` holds the short form. */
static const char *sl_msg_path(const char *path, char buf[SL_SQL_MSG_PATH + 1])
{
    size_t n = strlen(path);
    if (n <= SL_SQL_MSG_PATH)
        return path;
    const char *tail = path + n - (SL_SQL_MSG_PATH - 3);
    /* not inside a UTF-8 sequence (at most 3 continuation bytes: a path that is not UTF-8
     * at all still shows its end) */
    for (int k = 0; k < 3 && (*tail & 0xC0) == 0x80; k++)
        tail++;
    snprintf(buf, SL_SQL_MSG_PATH + 1, "...%s", tail);
    return buf;
}

static int sl_orig_error(const struct sl_sql_source *src, size_t opos, struct sl_error *err,
                         int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static int sl_orig_error(const struct sl_sql_source *src, size_t opos, struct sl_error *err,
                         int code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    uint32_t line, col;
    opos = sl_orig_clamp(src, opos);
    sl_orig_position(src, opos, &line, &col);
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* the source line and a caret under the column */
    size_t start = opos > src->orig_len ? src->orig_len : opos;
    size_t seg_start = sl_orig_seg(src, opos)->start;
    while (start > seg_start && src->orig[start - 1] != '\n')
        start--;
    size_t end = start;
    while (end < src->orig_len && src->orig[end] != '\n' && src->orig[end] != '\r')
        end++;
    int linelen = (int)(end - start > 200 ? 200 : end - start);
    char caret[210];
    int ncaret = 0;
    for (uint32_t i = 1; i < col && ncaret < 200; i++)
        caret[ncaret++] = src->orig[start + i - 1] == '\t' ? '\t' : ' ';
    caret[ncaret++] = '^';
    caret[ncaret] = '\0';
    char pbuf[SL_SQL_MSG_PATH + 1];
    return sl_error_set(err, code, "%s:%u:%u: %s\n  %.*s\n  %s",
                        sl_msg_path(sl_orig_seg(src, opos)->path, pbuf), line, col, msg, linelen,
                        src->orig + start, caret);
}

static size_t sl_exp_to_orig(const struct sl_sql_source *src, size_t pos)
{
    /* shift by the expansions before pos; a position inside an expansion maps to its ${ */
    ptrdiff_t delta = 0;
    for (size_t i = 0; i < src->nsubst; i++) {
        const struct sl_sql_subst *s = &src->subst[i];
        if (pos < s->exp_pos)
            break;
        if (pos < s->exp_pos + s->exp_len)
            return s->orig_pos;
        delta += (ptrdiff_t)s->orig_len - (ptrdiff_t)s->exp_len;
    }
    return (size_t)((ptrdiff_t)pos + delta);
}

/* The expanded position of original byte `opos` (not inside an expansion). */
static size_t sl_orig_to_exp(const struct sl_sql_source *src, size_t opos)
{
    ptrdiff_t delta = 0;
    for (size_t i = 0; i < src->nsubst; i++) {
        const struct sl_sql_subst *s = &src->subst[i];
        if (s->orig_pos >= opos)
            break;
        delta += (ptrdiff_t)s->exp_len - (ptrdiff_t)s->orig_len;
    }
    return (size_t)((ptrdiff_t)opos + delta);
}

size_t sl_sql_source_file_end(const struct sl_sql_source *src, size_t pos)
{
    const struct sl_sql_seg *seg = sl_orig_seg(src, sl_exp_to_orig(src, pos));
    return sl_orig_to_exp(src, seg->start + seg->len);
}

void sl_sql_source_position(const struct sl_sql_source *src, size_t pos, uint32_t *line,
                            uint32_t *col)
{
    sl_orig_position(src, sl_exp_to_orig(src, pos), line, col);
}

const char *sl_sql_source_path_at(const struct sl_sql_source *src, size_t pos)
{
    return sl_orig_seg(src, sl_exp_to_orig(src, pos))->path;
}

int sl_sql_error_at(const struct sl_sql_source *src, size_t pos, struct sl_error *err, int code,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sl_orig_error(src, sl_exp_to_orig(src, pos), err, code, fmt, ap);
    va_end(ap);
    return rc;
}

static int sl_src_err(const struct sl_sql_source *src, size_t opos, struct sl_error *err, int code,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int sl_src_err(const struct sl_sql_source *src, size_t opos, struct sl_error *err, int code,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sl_orig_error(src, opos, err, code, fmt, ap);
    va_end(ap);
    return rc;
}

struct sl_sql_source *sl_sql_source_new(const char *path, const char *text, size_t len,
                                        const struct sl_sql_param *params, size_t nparams,
                                        struct sl_error *err)
{
    struct sl_sql_input in = {path, text, len};
    return sl_sql_source_new_multi(&in, 1, params, nparams, err);
}

struct sl_sql_source *sl_sql_source_new_multi(const struct sl_sql_input *in, size_t nin,
                                              const struct sl_sql_param *params, size_t nparams,
                                              struct sl_error *err)
{
    const char *path = nin ? in[0].path : "<sql>";
    struct sl_sql_source *src = calloc(1, sizeof(*src));
    if (!src)
        goto out_nomem;
    src->path = strdup(path ? path : "<sql>");
    src->segs = calloc(nin ? nin : 1, sizeof(*src->segs));
    /* the files one after the other, a ';' line between them so that a file's last
     * statement ends with its file */
    size_t len = 0;
    for (size_t i = 0; i < nin; i++)
        len += in[i].len + 3;
    src->orig = malloc(len + 1);
    if (!src->path || !src->orig || !src->segs)
        goto out_nomem;
    src->nsegs = nin ? nin : 1;
    if (!nin)
        src->segs[0].path = strdup("<sql>");
    len = 0;
    for (size_t i = 0; i < nin; i++) {
        src->segs[i].path = strdup(in[i].path ? in[i].path : "<sql>");
        if (!src->segs[i].path)
            goto out_nomem;
        src->segs[i].start = len;
        src->segs[i].len = in[i].len;
        memcpy(src->orig + len, in[i].text, in[i].len);
        len += in[i].len;
        if (i + 1 < nin) {
            memcpy(src->orig + len, "\n;\n", 3);
            len += 3;
        }
    }
    src->orig[len] = '\0';
    src->orig_len = len;
    const char *text = src->orig;

    size_t cap = 0, nsubst_cap = 0;
    size_t i = 0;
    if (sl_buf_append(&src->text, &src->len, &cap, "", 0))
        goto out_nomem;
    while (i < len) {
        if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
            size_t j = i + 2;
            while (j < len && text[j] != '}' && text[j] != '\n')
                j++;
            if (j >= len || text[j] != '}') {
                sl_src_err(src, i, err, SL_EPARSE, "unterminated placeholder: '${' without '}'");
                goto out_free;
            }
            size_t nlen = j - (i + 2);
            const char *value = NULL;
            for (size_t p = 0; p < nparams; p++)
                if (strlen(params[p].name) == nlen &&
                    memcmp(params[p].name, text + i + 2, nlen) == 0)
                    value = params[p].value;
            if (!value) {
                sl_src_err(src, i, err, SL_EPARSE, "${%.*s} is not set; pass --set %.*s=VALUE",
                           (int)nlen, text + i + 2, (int)nlen, text + i + 2);
                goto out_free;
            }
            if (src->nsubst == nsubst_cap) {
                nsubst_cap = nsubst_cap ? nsubst_cap * 2 : 8;
                struct sl_sql_subst *ns = realloc(src->subst, nsubst_cap * sizeof(*ns));
                if (!ns)
                    goto out_nomem;
                src->subst = ns;
            }
            struct sl_sql_subst *s = &src->subst[src->nsubst++];
            s->exp_pos = src->len;
            s->exp_len = strlen(value);
            s->orig_pos = i;
            s->orig_len = j + 1 - i;
            if (sl_buf_append(&src->text, &src->len, &cap, value, s->exp_len))
                goto out_nomem;
            i = j + 1;
            continue;
        }
        size_t k = i;
        while (k < len && !(text[k] == '$' && k + 1 < len && text[k + 1] == '{'))
            k++;
        if (sl_buf_append(&src->text, &src->len, &cap, text + i, k - i))
            goto out_nomem;
        i = k;
    }
    return src;
out_nomem:
    sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path ? path : "<sql>");
out_free:
    sl_sql_source_free(src);
    return NULL;
}

void sl_sql_source_free(struct sl_sql_source *src)
{
    if (!src)
        return;
    free(src->path);
    if (src->segs)
        for (size_t i = 0; i < src->nsegs; i++)
            free(src->segs[i].path);
    free(src->segs);
    free(src->orig);
    free(src->text);
    free(src->subst);
    free(src);
}

const char *sl_sql_source_text(const struct sl_sql_source *src)
{
    return src->text;
}
size_t sl_sql_source_len(const struct sl_sql_source *src)
{
    return src->len;
}

/* ---- tokens -------------------------------------------------------------------------------- */
