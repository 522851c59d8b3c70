/*
 * tests/util/jsoncheck.h - a minimal strict JSON reader for tests (RFC 8259: objects, arrays,
 * strings with every escape, numbers, true/false/null; no trailing garbage).
 *
 * It flattens a document into (path, kind, value) entries in document order: the path of a
 * member of a nested object is "outer.inner", of an array element "outer[3]"; the value of a
 * string is its unescaped bytes (\uXXXX to UTF-8, surrogate pairs included), of a number or
 * literal its text. Objects and arrays themselves get an entry too (kind 'o' / 'a', empty
 * value), so key order can be checked.
 */
#ifndef SL_TESTS_JSONCHECK_H
#define SL_TESTS_JSONCHECK_H

#include <stddef.h>

#define SL_JSON_MAX_ENTRIES 64
#define SL_JSON_MAX_PATH 128
#define SL_JSON_MAX_VALUE 4096

struct sl_json_entry {
    char path[SL_JSON_MAX_PATH];
    char kind; /* 's' string, 'n' number, 't' true, 'f' false, 'z' null, 'o' object, 'a' array */
    size_t len;
    char value[SL_JSON_MAX_VALUE];
};

struct sl_json_doc {
    int n;
    struct sl_json_entry e[SL_JSON_MAX_ENTRIES];
};

/* Parses `len` bytes of `text` into `doc`; 0 when it is exactly one valid JSON value, -1
 * otherwise (also when the document exceeds the limits above). */
int sl_json_parse(const char *text, size_t len, struct sl_json_doc *doc);

/* The entry at `path`, or NULL. */
const struct sl_json_entry *sl_json_get(const struct sl_json_doc *doc, const char *path);

#endif
