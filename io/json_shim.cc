// io/json_shim.cc - JSON records into batch rows with simdjson On-Demand (see json_shim.h).
//
// HOW IT WORKS
// Each record is copied into one reused buffer with SIMDJSON_PADDING (plus the longest key)
// bytes of slack after it, since simdjson reads ahead and Kafka payloads promise nothing
// past their end; at ~200 bytes a record, the copy costs a few nanoseconds. iterate() runs
// stage 1 (structure and UTF-8 validation) over the record; then the walk iterates the
// object's fields in document order and matches each key against the plan node's children,
// trying first the child after the last match (keys usually come in schema order), so a
// known schema costs about one memcmp per key. Unknown keys and their values are skipped by
// On-Demand without being parsed.
//
// A key whose node is skipped (projection pushdown, json_shim.h) has its value validated by
// `skipped` - a scalar as completely as `leaf` would (get_string, the number grammar, the
// literals), a container through raw_json() as `leaf` reads a VARCHAR's - and dropped; a
// skipped ROW that is an object is walked along the plan as usual.
//
// Conversions follow Flink's JsonToRowDataConverters: JSON strings are parsed as text into
// the declared type (io/fmt.h); numbers are read from their raw token (so an integer type
// rejects a fraction and a DECIMAL keeps every digit), DOUBLE through simdjson's exact
// double parser; a VARCHAR field takes a string's unescaped text, a number's or boolean's
// JSON text, or an object's/array's JSON text (minified, as Jackson's toString writes it).
// TIMESTAMP(3) also takes a JSON integer as epoch milliseconds.
//
// No C++ exception leaves this file: simdjson is used through its error-code API and
// allocation through new (std::nothrow).
#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

// The engine headers are C11: give C++ their _Static_assert, and accept the C-style
// narrowing in their inline helpers.
#define _Static_assert static_assert
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnarrowing"
extern "C" {
#include "engine/core/datetime.h"
#include "io/fmt.h"
}
#pragma GCC diagnostic pop
#include "io/json_shim.h"

using namespace simdjson;

struct sl_json_shim {
    ondemand::parser parser;
    char *buf = nullptr;
    size_t cap = 0;   // usable bytes (records up to max_bytes)
    size_t slack = 0; // padding after a record
    uint64_t *seen = nullptr;
    uint32_t seen_words = 0;
    char *mini = nullptr; // minified JSON of a container that goes into a VARCHAR
};

extern "C" struct sl_json_shim *sl_json_shim_new(const struct sl_json_plan *plan, size_t max_bytes)
{
    auto *s = new (std::nothrow) sl_json_shim;
    if (!s)
        return nullptr;
    s->cap = max_bytes;
    s->slack = SIMDJSON_PADDING + plan->max_name + 8;
    s->buf = static_cast<char *>(std::malloc(max_bytes + s->slack));
    s->mini = static_cast<char *>(std::malloc(max_bytes + SIMDJSON_PADDING));
    s->seen_words = plan->seen_words;
    s->seen = static_cast<uint64_t *>(std::calloc(s->seen_words, sizeof(uint64_t)));
    if (!s->buf || !s->mini || !s->seen || s->parser.allocate(max_bytes) != SUCCESS) {
        sl_json_shim_free(s);
        return nullptr;
    }
    std::memset(s->buf, 0, max_bytes + s->slack);
    return s;
}

extern "C" void sl_json_shim_free(struct sl_json_shim *s)
{
    if (!s)
        return;
    std::free(s->buf);
    std::free(s->mini);
    std::free(s->seen);
    delete s;
}

namespace
{

struct walker {
    sl_json_shim *shim;
    sl_json_plan *plan;
    sl_batch *b;
    uint32_t row;
    sl_error *err;

    const sl_field *field(int32_t col) const { return &b->schema->fields[col]; }

    int fail_json(error_code e, const char *where)
    {
        return sl_error_set(err, SL_EPARSE, "malformed JSON%s%s: %s", where ? " in field " : "",
                            where ? where : "", error_message(e));
    }

    int fail_field(int32_t col, int code, const char *why, std::string_view text = {})
    {
        return sl_fmt_field_error(err, code, field(col), why, text.data(), text.size());
    }

    static std::string_view trim(std::string_view t)
    {
        while (!t.empty() &&
               (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r'))
            t.remove_suffix(1);
        return t;
    }

    // Digits of the mantissa of a number token, leading zeros not counted.
    static size_t significant_digits(std::string_view t)
    {
        size_t n = 0;
        bool lead = true;
        for (char ch : t) {
            if (ch == 'e' || ch == 'E')
                break;
            if (ch < '0' || ch > '9')
                continue;
            if (lead && ch == '0')
                continue;
            lead = false;
            n++;
        }
        return n;
    }

    // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    static bool is_json_number(std::string_view t)
    {
        size_t i = 0, n = t.size();
        auto digits = [&]() {
            size_t k = i;
            while (i < n && t[i] >= '0' && t[i] <= '9')
                i++;
            return i - k;
        };
        if (i < n && t[i] == '-')
            i++;
        if (i < n && t[i] == '0')
            i++;
        else if (digits() == 0)
            return false;
        if (i < n && t[i] == '.') {
            i++;
            if (digits() == 0)
                return false;
        }
        if (i < n && (t[i] == 'e' || t[i] == 'E')) {
            i++;
            if (i < n && (t[i] == '+' || t[i] == '-'))
                i++;
            if (digits() == 0)
                return false;
        }
        return i == n;
    }

    void mark(int32_t col) { shim->seen[col >> 6] |= uint64_t(1) << (col & 63); }

    int store_str(int32_t col, std::string_view t)
    {
        return sl_fmt_store_text(b, uint32_t(col), row, t.data(), t.size(), err);
    }

    int leaf(ondemand::value v, int32_t col)
    {
        sl_column *c = &b->cols[col];
        ondemand::json_type jt;
        if (auto e = v.type().get(jt))
            return fail_json(e, field(col)->name);
        mark(col);
        switch (jt) {
        case ondemand::json_type::null: {
            bool is_null = false;
            if (v.is_null().get(is_null) || !is_null)
                return fail_field(col, SL_EPARSE, "malformed JSON literal");
            return sl_fmt_store_null(b, uint32_t(col), row, err);
        }
        case ondemand::json_type::string: {
            std::string_view sv;
            if (auto e = v.get_string().get(sv))
                return fail_json(e, field(col)->name);
            if (sl_type_is_string(c->type)) // simdjson validated it (BYTES: base64, store_str)
                return sl_fmt_store_varchar(b, uint32_t(col), row, sv.data(), sv.size(), err);
            return store_str(col, sv);
        }
        case ondemand::json_type::number: {
            if (c->type.id == SL_TYPE_DOUBLE) {
                double d;
                std::string_view tok = trim(v.raw_json_token());
                if (significant_digits(tok) > 19) {
                    /* simdjson 3.0.1 misreads some numbers of more than 19 significant
                     * digits (its issue #2093: 0.95000000000000000000 gives 0.0277):
                     * those go through strtod, which rounds correctly */
                    if (!is_json_number(tok))
                        return fail_field(col, SL_EPARSE, "malformed JSON number", tok);
                    const char *why = nullptr;
                    int rc = sl_fmt_parse_f64(tok.data(), tok.size(), &d, &why);
                    if (rc)
                        return fail_field(col, rc, why ? why : "bad number", tok);
                } else if (auto e = v.get_double().get(d)) {
                    return fail_json(e, field(col)->name);
                }
                sl_col_f64(c)[row] = d;
                if (c->valid)
                    sl_col_set_null(c, row, false);
                return 0;
            }
            std::string_view tok = trim(v.raw_json_token());
            if (!is_json_number(tok))
                return fail_field(col, SL_EPARSE, "malformed JSON number", tok);
            if (c->type.id == SL_TYPE_BOOLEAN)
                return fail_field(col, SL_EPARSE, "expected a boolean, got a number", tok);
            if (c->type.id == SL_TYPE_TIMESTAMP) {
                const char *why = nullptr;
                int rc = sl_fmt_parse_i64(tok.data(), tok.size(), &sl_col_i64(c)[row], &why);
                if (rc)
                    return fail_field(col, rc, "epoch milliseconds must be an integer", tok);
                if (sl_col_i64(c)[row] < SL_DT_MIN_MS || sl_col_i64(c)[row] > SL_DT_MAX_MS)
                    return fail_field(
                        col, SL_EPARSE,
                        "epoch milliseconds outside TIMESTAMP(3)'s years 0000 to 9999", tok);
                if (c->valid)
                    sl_col_set_null(c, row, false);
                return 0;
            }
            return store_str(col, tok); // INT, BIGINT, DECIMAL parse the text; VARCHAR keeps it
        }
        case ondemand::json_type::boolean: {
            bool bv;
            if (auto e = v.get_bool().get(bv))
                return fail_json(e, field(col)->name);
            if (c->type.id == SL_TYPE_BOOLEAN) {
                sl_col_bool(c)[row] = bv;
                if (c->valid)
                    sl_col_set_null(c, row, false);
                return 0;
            }
            if (c->type.id == SL_TYPE_VARCHAR)
                return store_str(col, bv ? "true" : "false");
            return fail_field(col, SL_EPARSE,
                              bv ? "expected a number, got a boolean: true"
                                 : "expected a number, got a boolean: false");
        }
        case ondemand::json_type::object:
        case ondemand::json_type::array: {
            if (c->type.id != SL_TYPE_VARCHAR)
                return fail_field(col, SL_EPARSE,
                                  jt == ondemand::json_type::object
                                      ? "expected a scalar, got an object"
                                      : "expected a scalar, got an array");
            std::string_view raw;
            error_code e;
            if (jt == ondemand::json_type::object) {
                ondemand::object o;
                e = v.get_object().get(o);
                if (!e)
                    e = o.raw_json().get(raw);
            } else {
                ondemand::array a;
                e = v.get_array().get(a);
                if (!e)
                    e = a.raw_json().get(raw);
            }
            if (e)
                return fail_json(e, field(col)->name);
            size_t mlen = 0;
            if (auto me = minify(raw.data(), raw.size(), shim->mini, mlen))
                return fail_json(me, field(col)->name);
            return store_str(col, std::string_view(shim->mini, mlen));
        }
        }
        return fail_field(col, SL_EPARSE, "unexpected JSON value");
    }

    // Whether the raw key at k (after its opening quote) is the node's name: the name's
    // bytes followed by the closing quote. Short names compare as two 8-byte words against
    // the precomputed name+quote pattern; the padded buffer makes the over-read safe.
    static bool key_equal(const char *k, const sl_json_node &nd)
    {
        if (nd.name_len < 16) {
            uint64_t w[2];
            std::memcpy(w, k, 16);
            return ((w[0] ^ nd.pat[0]) & nd.mask[0]) == 0 && ((w[1] ^ nd.pat[1]) & nd.mask[1]) == 0;
        }
        return std::memcmp(k, nd.name, nd.name_len) == 0 && k[nd.name_len] == '"';
    }

    // The value of a skipped node (nothing under it is needed): validated as JSON exactly as
    // far as `leaf` (or `object`, for a ROW) validates a read one, then dropped. A type
    // error - a string in an INT, a scalar where a ROW is - is no error here (Flink's json
    // format with a projection pushed down does not convert what it does not read).
    int skipped(ondemand::value v, sl_json_node *node)
    {
        const int32_t col = node->col;
        const char *where = col >= 0 ? field(col)->name : nullptr;
        ondemand::json_type jt;
        if (auto e = v.type().get(jt))
            return fail_json(e, where);
        switch (jt) {
        case ondemand::json_type::null: {
            bool is_null = false;
            if (!v.is_null().get(is_null) && is_null)
                return 0;
            if (col >= 0)
                return fail_field(col, SL_EPARSE, "malformed JSON literal");
            return sl_error_set(err, SL_EPARSE, "malformed JSON literal in '%.*s'",
                                int(node->name_len), node->name);
        }
        case ondemand::json_type::string: {
            std::string_view sv;
            if (auto e = v.get_string().get(sv))
                return fail_json(e, where);
            return 0;
        }
        case ondemand::json_type::number: {
            std::string_view tok = trim(v.raw_json_token());
            if (is_json_number(tok))
                return 0;
            if (col >= 0)
                return fail_field(col, SL_EPARSE, "malformed JSON number", tok);
            return sl_error_set(err, SL_EPARSE, "malformed JSON number in '%.*s'",
                                int(node->name_len), node->name);
        }
        case ondemand::json_type::boolean: {
            bool bv;
            if (auto e = v.get_bool().get(bv))
                return fail_json(e, where);
            return 0;
        }
        case ondemand::json_type::object: {
            ondemand::object o;
            if (auto e = v.get_object().get(o))
                return fail_json(e, where);
            if (col < 0) // a ROW: its keys as any ROW's, every leaf under it skipped
                return object(o, node);
            // consumed as `leaf` consumes a VARCHAR's container (raw_json checks more than
            // leaving it to the next field's skip: a fuzzer found a broken object only it
            // catches)
            std::string_view raw;
            if (auto e = o.raw_json().get(raw))
                return fail_json(e, where);
            return 0;
        }
        case ondemand::json_type::array: {
            ondemand::array a;
            std::string_view raw;
            error_code e = v.get_array().get(a);
            if (!e)
                e = a.raw_json().get(raw);
            return e ? fail_json(e, where) : 0;
        }
        }
        return 0;
    }

    // Which child of `node` the key names, or -1 (an unknown key).
    int32_t match(sl_json_node *node, ondemand::field &f)
    {
        ondemand::raw_json_string key = f.key();
        sl_json_node *kids = plan->nodes + node->child0;
        uint32_t h = node->hint < node->nchild ? node->hint : 0;
        for (uint32_t k = 0; k < node->nchild; k++) {
            uint32_t i = h + k < node->nchild ? h + k : h + k - node->nchild;
            if (key_equal(key.raw(), kids[i])) {
                node->hint = i + 1;
                return int32_t(i);
            }
        }
        // An escaped key ("\u0061" for "a") only matches once unescaped.
        const char *r = key.raw();
        while (*r && *r != '"' && *r != '\\')
            r++;
        if (*r != '\\')
            return -1;
        std::string_view uk;
        if (f.unescaped_key().get(uk))
            return -1;
        for (uint32_t i = 0; i < node->nchild; i++)
            if (uk == std::string_view(kids[i].name, kids[i].name_len))
                return int32_t(i);
        return -1;
    }

    int object(ondemand::object obj, sl_json_node *node)
    {
        for (auto fres : obj) {
            ondemand::field f;
            if (auto e = std::move(fres).get(f))
                return fail_json(e, nullptr);
            int32_t k = match(node, f);
            if (k < 0)
                continue; // unknown field: On-Demand skips its value
            sl_json_node *child = plan->nodes + node->child0 + k;
            int rc;
            if (child->skip) {
                rc = skipped(f.value(), child);
            } else if (child->col >= 0) {
                rc = leaf(f.value(), child->col);
            } else {
                ondemand::value v = f.value();
                ondemand::json_type jt;
                if (auto e = v.type().get(jt))
                    return fail_json(e, nullptr);
                if (jt == ondemand::json_type::null) {
                    bool is_null = false;
                    if (v.is_null().get(is_null) || !is_null)
                        return sl_error_set(err, SL_EPARSE, "malformed JSON literal in '%.*s'",
                                            int(child->name_len), child->name);
                    continue; // a NULL ROW: its fields stay unseen, so NULL
                }
                ondemand::object sub;
                if (jt != ondemand::json_type::object || v.get_object().get(sub))
                    return sl_error_set(err, SL_EPARSE,
                                        "key '%.*s' is a ROW and needs a JSON object",
                                        int(child->name_len), child->name);
                rc = object(sub, child);
            }
            if (rc)
                return rc;
        }
        return 0;
    }
};

} // namespace

extern "C" int sl_json_shim_row(struct sl_json_shim *shim, struct sl_json_plan *plan,
                                const char *data, size_t len, struct sl_batch *b, uint32_t row,
                                struct sl_error *err)
{
    if (len > shim->cap)
        return sl_error_set(err, SL_ERANGE, "record of %zu bytes exceeds the maximum of %zu", len,
                            shim->cap);
    std::memcpy(shim->buf, data, len);
    std::memset(shim->buf + len, 0, SIMDJSON_PADDING);
    // the columns not needed start as seen: never set NULL per record, never missing
    std::memcpy(shim->seen, plan->seen0, shim->seen_words * sizeof(uint64_t));
    walker w{shim, plan, b, row, err};
    ondemand::document doc;
    if (auto e = shim->parser.iterate(shim->buf, len, len + shim->slack).get(doc))
        return w.fail_json(e, nullptr);
    ondemand::object obj;
    if (auto e = doc.get_object().get(obj)) {
        if (e == INCORRECT_TYPE)
            return sl_error_set(err, SL_EPARSE, "a record must be a JSON object");
        return w.fail_json(e, nullptr);
    }
    int rc = w.object(obj, plan->nodes);
    if (rc)
        return rc;
    const char *trailing = nullptr;
    if (doc.current_location().get(trailing) == SUCCESS) // OUT_OF_BOUNDS: nothing follows
        return sl_error_set(err, SL_EPARSE, "malformed JSON: content after the object");
    // Fields the record did not have are NULL (an error for a NOT NULL field).
    for (uint32_t c = 0; c < plan->ncols; c++) {
        if (!((shim->seen[c >> 6] >> (c & 63)) & 1)) {
            sl_column *col = &b->cols[c];
            if (SL_LIKELY(col->valid != nullptr))
                col->valid[row >> 6] &= ~(uint64_t(1) << (row & 63));
            else if ((rc = sl_fmt_store_null(b, c, row, err)) != 0)
                return rc;
        }
    }
    return 0;
}
