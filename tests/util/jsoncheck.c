/*
 * tests/util/jsoncheck.c - a minimal strict JSON reader for tests (see jsoncheck.h).
 */
#include "tests/util/jsoncheck.h"

#include <stdio.h>
#include <string.h>

struct jc {
    const char *s;
    size_t len, i;
    struct sl_json_doc *doc;
    int depth;
};

static void jc_ws(struct jc *j)
{
    while (j->i < j->len &&
           (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r'))
        j->i++;
}

static struct sl_json_entry *jc_add(struct jc *j, const char *path, char kind)
{
    if (j->doc->n >= SL_JSON_MAX_ENTRIES)
        return NULL;
    struct sl_json_entry *e = &j->doc->e[j->doc->n++];
    snprintf(e->path, sizeof(e->path), "%s", path);
    e->kind = kind;
    e->len = 0;
    e->value[0] = '\0';
    return e;
}

static int jc_put(char *out, size_t *len, size_t cap, unsigned char c)
{
    if (*len + 1 >= cap)
        return -1;
    out[(*len)++] = (char)c;
    out[*len] = '\0';
    return 0;
}

static int jc_hex4(struct jc *j, unsigned *v)
{
    if (j->i + 4 > j->len)
        return -1;
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char c = j->s[j->i++];
        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    return 0;
}

/* A string at j->i (the opening quote), unescaped into out. */
static int jc_string(struct jc *j, char *out, size_t *len, size_t cap)
{
    *len = 0;
    out[0] = '\0';
    if (j->i >= j->len || j->s[j->i] != '"')
        return -1;
    j->i++;
    while (j->i < j->len) {
        unsigned char c = (unsigned char)j->s[j->i++];
        if (c == '"')
            return 0;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            if (jc_put(out, len, cap, c))
                return -1;
            continue;
        }
        if (j->i >= j->len)
            return -1;
        char e = j->s[j->i++];
        unsigned u;
        switch (e) {
        case '"':
            c = '"';
            break;
        case '\\':
            c = '\\';
            break;
        case '/':
            c = '/';
            break;
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'u':
            if (jc_hex4(j, &u))
                return -1;
            if (u >= 0xD800 && u <= 0xDBFF) {
                unsigned lo;
                if (j->i + 2 > j->len || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u')
                    return -1;
                j->i += 2;
                if (jc_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                return -1;
            }
            if (u < 0x80) {
                if (jc_put(out, len, cap, (unsigned char)u))
                    return -1;
            } else if (u < 0x800) {
                if (jc_put(out, len, cap, (unsigned char)(0xC0 | (u >> 6))) ||
                    jc_put(out, len, cap, (unsigned char)(0x80 | (u & 63))))
                    return -1;
            } else if (u < 0x10000) {
                if (jc_put(out, len, cap, (unsigned char)(0xE0 | (u >> 12))) ||
                    jc_put(out, len, cap, (unsigned char)(0x80 | ((u >> 6) & 63))) ||
                    jc_put(out, len, cap, (unsigned char)(0x80 | (u & 63))))
                    return -1;
            } else {
                if (jc_put(out, len, cap, (unsigned char)(0xF0 | (u >> 18))) ||
                    jc_put(out, len, cap, (unsigned char)(0x80 | ((u >> 12) & 63))) ||
                    jc_put(out, len, cap, (unsigned char)(0x80 | ((u >> 6) & 63))) ||
                    jc_put(out, len, cap, (unsigned char)(0x80 | (u & 63))))
                    return -1;
            }
            continue;
        default:
            return -1;
        }
        if (jc_put(out, len, cap, c))
            return -1;
    }
    return -1;
}

static int jc_number(struct jc *j, struct sl_json_entry *e)
{
    size_t start = j->i;
    if (j->i < j->len && j->s[j->i] == '-')
        j->i++;
    if (j->i >= j->len)
        return -1;
    if (j->s[j->i] == '0') {
        j->i++;
    } else if (j->s[j->i] >= '1' && j->s[j->i] <= '9') {
        while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
            j->i++;
    } else {
        return -1;
    }
    if (j->i < j->len && j->s[j->i] == '.') {
        j->i++;
        size_t d = j->i;
        while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
            j->i++;
        if (j->i == d)
            return -1;
    }
    if (j->i < j->len && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->len && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        size_t d = j->i;
        while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
            j->i++;
        if (j->i == d)
            return -1;
    }
    size_t n = j->i - start;
    if (n >= SL_JSON_MAX_VALUE)
        return -1;
    memcpy(e->value, j->s + start, n);
    e->value[n] = '\0';
    e->len = n;
    return 0;
}

static int jc_value(struct jc *j, const char *path)
{
    if (++j->depth > 16)
        return -1;
    jc_ws(j);
    if (j->i >= j->len)
        return -1;
    char c = j->s[j->i];
    struct sl_json_entry *e;
    int rc = 0;
    if (c == '{' || c == '[') {
        e = jc_add(j, path, c == '{' ? 'o' : 'a');
        if (!e)
            return -1;
        char close = c == '{' ? '}' : ']';
        j->i++;
        jc_ws(j);
        if (j->i < j->len && j->s[j->i] == close) {
            j->i++;
            j->depth--;
            return 0;
        }
        for (int k = 0;; k++) {
            char sub[SL_JSON_MAX_PATH];
            if (c == '{') {
                char key[SL_JSON_MAX_PATH];
                size_t klen;
                jc_ws(j);
                if (jc_string(j, key, &klen, sizeof(key)) || strlen(key) != klen)
                    return -1;
                jc_ws(j);
                if (j->i >= j->len || j->s[j->i] != ':')
                    return -1;
                j->i++;
                if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key) >=
                    sizeof(sub))
                    return -1;
            } else {
                if ((size_t)snprintf(sub, sizeof(sub), "%s[%d]", path, k) >= sizeof(sub))
                    return -1;
            }
            if (jc_value(j, sub))
                return -1;
            jc_ws(j);
            if (j->i >= j->len)
                return -1;
            if (j->s[j->i] == ',') {
                j->i++;
                continue;
            }
            if (j->s[j->i] == close) {
                j->i++;
                break;
            }
            return -1;
        }
    } else if (c == '"') {
        e = jc_add(j, path, 's');
        if (!e)
            return -1;
        rc = jc_string(j, e->value, &e->len, sizeof(e->value));
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        e = jc_add(j, path, 'n');
        if (!e)
            return -1;
        rc = jc_number(j, e);
    } else {
        static const struct {
            const char *word;
            char kind;
        } lits[] = {{"true", 't'}, {"false", 'f'}, {"null", 'z'}};
        rc = -1;
        for (int k = 0; k < 3; k++) {
            size_t n = strlen(lits[k].word);
            if (j->len - j->i >= n && memcmp(j->s + j->i, lits[k].word, n) == 0) {
                e = jc_add(j, path, lits[k].kind);
                if (!e)
                    return -1;
                memcpy(e->value, lits[k].word, n + 1);
                e->len = n;
                j->i += n;
                rc = 0;
                break;
            }
        }
    }
    j->depth--;
    return rc;
}

int sl_json_parse(const char *text, size_t len, struct sl_json_doc *doc)
{
    struct jc j = {text, len, 0, doc, 0};
    doc->n = 0;
    if (jc_value(&j, ""))
        return -1;
    jc_ws(&j);
    return j.i == len ? 0 : -1;
}

const struct sl_json_entry *sl_json_get(const struct sl_json_doc *doc, const char *path)
{
    for (int i = 0; i < doc->n; i++)
        if (strcmp(doc->e[i].path, path) == 0)
            return &doc->e[i];
    return NULL;
}
