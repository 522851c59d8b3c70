/*
 * tools/cmd_bench_json.c - the small JSON reader of `sluice bench` (see cmd_bench_json.h):
 * recursive descent over the text, one allocation per node.
 */
#include "tools/cmd_bench_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sl_bj_parser {
    const char *s;
    size_t len, pos;
    struct sl_error *err;
    int depth;
};

static void sl_bj_ws(struct sl_bj_parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static struct sl_bench_json *sl_bj_fail(struct sl_bj_parser *p, const char *what)
{
    sl_error_set(p->err, SL_EPARSE, "malformed JSON at byte %zu: %s", p->pos, what);
    return NULL;
}

static void sl_bj_put_utf8(char *out, size_t *o, unsigned cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xC0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xE0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*o)++] = (char)(0xF0 | (cp >> 18));
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int sl_bj_hex4(struct sl_bj_parser *p, unsigned *cp)
{
    if (p->pos + 4 > p->len)
        return -1;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *cp = v;
    return 0;
}

/* Parses a string at p->pos (on the opening quote); NULL on error (said). */
static char *sl_bj_string(struct sl_bj_parser *p)
{
    p->pos++; /* the quote */
    /* the unescaped text is never longer than the escaped one */
    char *out = malloc(p->len - p->pos + 1);
    if (!out) {
        sl_error_set(p->err, SL_ENOMEM, "out of memory");
        return NULL;
    }
    size_t o = 0;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') {
            out[o] = 0;
            return out;
        }
        if (c < 0x20)
            break;
        if (c != '\\') {
            out[o++] = (char)c;
            continue;
        }
        if (p->pos >= p->len)
            break;
        char e = p->s[p->pos++];
        switch (e) {
        case '"':
            out[o++] = '"';
            break;
        case '\\':
            out[o++] = '\\';
            break;
        case '/':
            out[o++] = '/';
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if (sl_bj_hex4(p, &cp))
                goto bad;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    goto bad;
                p->pos += 2;
                if (sl_bj_hex4(p, &lo) || lo < 0xDC00 || lo >= 0xE000)
                    goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                goto bad;
            }
            sl_bj_put_utf8(out, &o, cp);
            break;
        }
        default:
            goto bad;
        }
    }
bad:
    free(out);
    sl_bj_fail(p, "a bad or unterminated string");
    return NULL;
}

static struct sl_bench_json *sl_bj_value(struct sl_bj_parser *p);

static struct sl_bench_json *sl_bj_node(struct sl_bj_parser *p, enum sl_bench_json_kind k)
{
    struct sl_bench_json *j = calloc(1, sizeof(*j));
    if (!j)
        sl_error_set(p->err, SL_ENOMEM, "out of memory");
    else
        j->kind = k;
    return j;
}

static int sl_bj_append(struct sl_bj_parser *p, struct sl_bench_json *j, char *key,
                        struct sl_bench_json *v, size_t *cap)
{
    if (j->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct sl_bench_json **ni = realloc(j->items, nc * sizeof(*ni));
        if (!ni)
            goto oom;
        j->items = ni;
        if (j->kind == SL_BJ_OBJECT) {
            char **nk = realloc(j->keys, nc * sizeof(*nk));
            if (!nk)
                goto oom;
            j->keys = nk;
        }
        *cap = nc;
    }
    if (j->kind == SL_BJ_OBJECT)
        j->keys[j->n] = key;
    j->items[j->n++] = v;
    return 0;
oom:
    free(key);
    sl_bench_json_free(v);
    return sl_error_set(p->err, SL_ENOMEM, "out of memory");
}

static struct sl_bench_json *sl_bj_container(struct sl_bj_parser *p, bool obj)
{
    if (++p->depth > 64)
        return sl_bj_fail(p, "nested deeper than 64");
    struct sl_bench_json *j = sl_bj_node(p, obj ? SL_BJ_OBJECT : SL_BJ_ARRAY);
    if (!j)
        return NULL;
    size_t cap = 0;
    char close = obj ? '}' : ']';
    p->pos++;
    sl_bj_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return j;
    }
    for (;;) {
        char *key = NULL;
        sl_bj_ws(p);
        if (obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                sl_bj_fail(p, "expected a key string");
                goto fail;
            }
            key = sl_bj_string(p);
            if (!key)
                goto fail;
            sl_bj_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(key);
                sl_bj_fail(p, "expected ':'");
                goto fail;
            }
            p->pos++;
        }
        struct sl_bench_json *v = sl_bj_value(p);
        if (!v) {
            free(key);
            goto fail;
        }
        if (sl_bj_append(p, j, key, v, &cap))
            goto fail;
        sl_bj_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            p->depth--;
            return j;
        }
        sl_bj_fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        goto fail;
    }
fail:
    sl_bench_json_free(j);
    return NULL;
}

static bool sl_bj_word(struct sl_bj_parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->pos + n <= p->len && !memcmp(p->s + p->pos, w, n)) {
        p->pos += n;
        return true;
    }
    return false;
}

static struct sl_bench_json *sl_bj_value(struct sl_bj_parser *p)
{
    sl_bj_ws(p);
    if (p->pos >= p->len)
        return sl_bj_fail(p, "unexpected end of input");
    char c = p->s[p->pos];
    if (c == '{' || c == '[')
        return sl_bj_container(p, c == '{');
    if (c == '"') {
        char *s = sl_bj_string(p);
        if (!s)
            return NULL;
        struct sl_bench_json *j = sl_bj_node(p, SL_BJ_STRING);
        if (!j)
            free(s);
        else
            j->str = s;
        return j;
    }
    if (sl_bj_word(p, "true") || sl_bj_word(p, "false")) {
        struct sl_bench_json *j = sl_bj_node(p, SL_BJ_BOOL);
        if (j)
            j->b = p->s[p->pos - 1] == 'e' && p->s[p->pos - 2] == 'u';
        return j;
    }
    if (sl_bj_word(p, "null"))
        return sl_bj_node(p, SL_BJ_NULL);
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
        size_t i = p->pos;
        if (p->s[i] == '-')
            i++;
        size_t d0 = i;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
        if (i == d0 || (p->s[d0] == '0' && i - d0 > 1))
            return sl_bj_fail(p, "a bad number");
        if (i < p->len && p->s[i] == '.') {
            size_t f0 = ++i;
            while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
                i++;
            if (i == f0)
                return sl_bj_fail(p, "a bad number");
        }
        if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
            i++;
            if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
                i++;
            size_t e0 = i;
            while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
                i++;
            if (i == e0)
                return sl_bj_fail(p, "a bad number");
        }
        char buf[64];
        size_t n = i - p->pos;
        if (n >= sizeof(buf))
            return sl_bj_fail(p, "a number too long");
        memcpy(buf, p->s + p->pos, n);
        buf[n] = 0;
        struct sl_bench_json *j = sl_bj_node(p, SL_BJ_NUMBER);
        if (j)
            j->num = strtod(buf, NULL);
        p->pos = i;
        return j;
    }
    return sl_bj_fail(p, "expected a value");
}

struct sl_bench_json *sl_bench_json_parse(const char *text, size_t len, struct sl_error *err)
{
    struct sl_bj_parser p = {.s = text, .len = len, .err = err};
    struct sl_bench_json *j = sl_bj_value(&p);
    if (!j)
        return NULL;
    sl_bj_ws(&p);
    if (p.pos != p.len) {
        sl_bench_json_free(j);
        return sl_bj_fail(&p, "text after the value");
    }
    return j;
}

struct sl_bench_json *sl_bench_json_load(const char *path, struct sl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_error_set(err, SL_EIO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        sl_error_set(err, bad ? SL_EIO : SL_ENOMEM, "cannot read %s", path);
        return NULL;
    }
    struct sl_bench_json *j = sl_bench_json_parse(buf, n, err);
    free(buf);
    if (!j) {
        struct sl_error e = *err;
        sl_error_set(err, e.code, "%s: %s", path, e.msg);
    }
    return j;
}

const struct sl_bench_json *sl_bench_json_get(const struct sl_bench_json *o, const char *key)
{
    if (!o || o->kind != SL_BJ_OBJECT)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return o->items[i];
    return NULL;
}

const char *sl_bench_json_str(const struct sl_bench_json *o, const char *key)
{
    const struct sl_bench_json *v = sl_bench_json_get(o, key);
    return v && v->kind == SL_BJ_STRING ? v->str : NULL;
}

double sl_bench_json_num(const struct sl_bench_json *o, const char *key, double dflt)
{
    const struct sl_bench_json *v = sl_bench_json_get(o, key);
    return v && v->kind == SL_BJ_NUMBER ? v->num : dflt;
}

void sl_bench_json_free(struct sl_bench_json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        if (j->keys)
            free(j->keys[i]);
        sl_bench_json_free(j->items[i]);
    }
    free(j->keys);
    free(j->items);
    free(j->str);
    free(j);
}

void sl_bench_json_write_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}
