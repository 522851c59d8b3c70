// io/jsonpath.cc - JSON_VALUE's paths over simdjson's DOM (see jsonpath.h).
//
// HOW IT WORKS
// A path is compiled into steps (a key or an array index). Each text is copied into the
// document's buffer with SIMDJSON_PADDING bytes after it (simdjson reads ahead; a VARCHAR
// promises nothing past its end) and parsed by one reused dom::parser, which grows its
// buffers only for a longer text than it has seen. The walk follows the steps with
// at_key / at; the element found is classified by mode (jsonpath.h). Strings are views
// into the parser's string buffer, valid until the next parse. No exception leaves this
// file: std::bad_alloc becomes SL_ENOMEM.
#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

extern "C" {
#include "engine/core/error.h"
}
#include "io/jsonpath.h"

namespace
{
struct step {
    bool index; // an array index, else a key
    int64_t idx;
    std::string key;
};
} // namespace

struct sl_jpath {
    bool strict = true;
    bool bad = false; // not a valid path: every evaluation is ERROR with msg
    std::string msg;
    std::vector<step> steps;
};

struct sl_jdoc {
    simdjson::dom::parser parser;
    char *buf = nullptr;
    size_t cap = 0;
    std::string why; // the last ERROR's reason
};

static bool jp_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool jp_prefix(const char *s, size_t n, size_t *i, const char *kw)
{
    size_t k = strlen(kw);
    if (*i + k >= n || strncasecmp(s + *i, kw, k) != 0 || !jp_space(s[*i + k]))
        return false;
    *i += k;
    while (*i < n && jp_space(s[*i]))
        (*i)++;
    return true;
}

// Parses the steps of spec s[i..n); false with msg on a syntax this file does not accept.
static bool jp_parse(sl_jpath *p, const char *s, size_t n, size_t i)
{
    while (n > i && jp_space(s[n - 1]))
        n--;
    if (i >= n || s[i] != '$') {
        p->msg = "a JSON path starts with $";
        return false;
    }
    i++;
    while (i < n) {
        step st{};
        if (s[i] == '.') {
            i++;
            if (i < n && s[i] == '[')
                continue; // $.['k']
            size_t b = i;
            while (i < n && s[i] != '.' && s[i] != '[')
                i++;
            if (i == b || (i - b == 1 && s[b] == '*')) {
                p->msg = i == b ? "empty key or deep scan (..) in the JSON path"
                                : "wildcards are not supported in JSON paths";
                return false;
            }
            st.key.assign(s + b, i - b);
        } else if (s[i] == '[') {
            i++;
            if (i < n && (s[i] == '\'' || s[i] == '"')) {
                char q = s[i++];
                while (i < n && s[i] != q) {
                    if (s[i] == '\\' && i + 1 < n)
                        i++;
                    st.key.push_back(s[i++]);
                }
                if (i >= n) {
                    p->msg = "unterminated key in the JSON path";
                    return false;
                }
                i++;
            } else {
                bool neg = i < n && s[i] == '-';
                if (neg)
                    i++;
                size_t b = i;
                int64_t v = 0;
                while (i < n && s[i] >= '0' && s[i] <= '9' && v < (INT64_C(1) << 40))
                    v = v * 10 + (s[i++] - '0');
                if (i == b) {
                    p->msg = "expected an array index or a quoted key after [ in the JSON path";
                    return false;
                }
                st.index = true;
                st.idx = neg ? -v : v;
            }
            if (i >= n || s[i] != ']') {
                p->msg = "expected ] in the JSON path";
                return false;
            }
            i++;
        } else {
            p->msg = "expected . or [ in the JSON path";
            return false;
        }
        p->steps.push_back(std::move(st));
    }
    return true;
}

extern "C" int sl_jpath_compile(const char *s, size_t len, struct sl_jpath **out, char *msg,
                                size_t cap)
{
    *out = nullptr;
    try {
        sl_jpath *p = new sl_jpath();
        size_t i = 0;
        while (i < len && jp_space(s[i]))
            i++;
        if (jp_prefix(s, len, &i, "lax"))
            p->strict = false;
        else
            (void)jp_prefix(s, len, &i, "strict");
        *out = p;
        if (!jp_parse(p, s, len, i)) {
            p->bad = true;
            p->steps.clear();
            snprintf(msg, cap, "invalid JSON path '%.*s': %s", (int)(len > 80 ? 80 : len), s,
                     p->msg.c_str());
            p->msg = msg;
            return SL_EINVAL;
        }
        return 0;
    } catch (const std::bad_alloc &) {
        snprintf(msg, cap, "out of memory compiling a JSON path");
        return SL_ENOMEM;
    }
}

extern "C" void sl_jpath_free(struct sl_jpath *p)
{
    delete p;
}

extern "C" struct sl_jdoc *sl_jdoc_new(void)
{
    return new (std::nothrow) sl_jdoc();
}

extern "C" void sl_jdoc_free(struct sl_jdoc *d)
{
    if (!d)
        return;
    free(d->buf);
    delete d;
}

static int jp_err(sl_jdoc *d, struct sl_jv *out, const char *a, const char *b)
{
    try {
        d->why.assign(a);
        d->why.append(b);
    } catch (const std::bad_alloc &) {
        return SL_ENOMEM;
    }
    out->kind = SL_JV_ERROR;
    out->s = d->why.data();
    out->len = d->why.size();
    return 0;
}

// The EMPTY of lax mode, the ERROR (with a reason) of strict mode.
static int jp_missing(sl_jdoc *d, const sl_jpath *p, struct sl_jv *out, const char *why,
                      const char *what)
{
    if (!p->strict) {
        out->kind = SL_JV_EMPTY;
        return 0;
    }
    return jp_err(d, out, why, what);
}

extern "C" int sl_jpath_eval(struct sl_jdoc *d, const struct sl_jpath *p, const char *json,
                             size_t len, struct sl_jv *out)
{
    using namespace simdjson;
    *out = sl_jv{};
    if (p->bad)
        return jp_err(d, out, p->msg.c_str(), "");
    if (len + SIMDJSON_PADDING > d->cap) {
        size_t c = d->cap ? d->cap : 256;
        while (c < len + SIMDJSON_PADDING)
            c *= 2;
        char *nb = static_cast<char *>(realloc(d->buf, c));
        if (!nb)
            return SL_ENOMEM;
        d->buf = nb;
        d->cap = c;
    }
    if (len)
        memcpy(d->buf, json, len);
    memset(d->buf + len, 0, SIMDJSON_PADDING);
    dom::element e;
    error_code ec = d->parser.parse(reinterpret_cast<const uint8_t *>(d->buf), len, false).get(e);
    if (ec == MEMALLOC)
        return SL_ENOMEM;
    if (ec)
        return jp_missing(d, p, out, "the text is not JSON: ", error_message(ec));
    for (const step &st : p->steps) {
        if (st.index) {
            dom::array a;
            if (e.get_array().get(a))
                return jp_missing(d, p, out, "the JSON path indexes a value that is not an array",
                                  "");
            int64_t n = static_cast<int64_t>(a.size()), i = st.idx < 0 ? n + st.idx : st.idx;
            if (i < 0 || i >= n || a.at(static_cast<size_t>(i)).get(e))
                return jp_missing(d, p, out, "the JSON path's array index is out of range", "");
        } else {
            dom::object o;
            if (e.get_object().get(o))
                return jp_missing(d, p, out,
                                  "the JSON path takes a key of a value that is not an object", "");
            if (o.at_key(st.key).get(e))
                return jp_missing(d, p, out, "no such key in the JSON object: ", st.key.c_str());
        }
    }
    switch (e.type()) {
    case dom::element_type::STRING: {
        std::string_view v = e.get_string().value_unsafe();
        out->kind = SL_JV_STRING;
        out->s = v.data();
        out->len = v.size();
        return 0;
    }
    case dom::element_type::INT64:
        out->kind = SL_JV_INT;
        out->i = e.get_int64().value_unsafe();
        return 0;
    case dom::element_type::UINT64:
        out->kind = SL_JV_UINT;
        out->u = e.get_uint64().value_unsafe();
        return 0;
    case dom::element_type::DOUBLE:
        out->kind = SL_JV_DOUBLE;
        out->d = e.get_double().value_unsafe();
        return 0;
    case dom::element_type::BOOL:
        out->kind = SL_JV_BOOL;
        out->b = e.get_bool().value_unsafe();
        return 0;
    case dom::element_type::NULL_VALUE:
        return jp_missing(d, p, out, "the JSON path selects null", "");
    default:
        return jp_missing(d, p, out, "the JSON path selects an object or array, not a scalar", "");
    }
}
