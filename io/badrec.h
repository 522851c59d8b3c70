/*
 * io/badrec.h - what happens to a record that cannot be decoded: a per-table policy.
 *
 *   fail         (the default) decoding stops with an error that names the topic, partition
 *                and offset of the record, the field and what was wrong
 *   skip         the record is counted and decoding goes on; the count is queryable
 *   dead-letter  the raw record and its error message go to a callback (the Kafka or file
 *                sink implements it) and decoding goes on; the count is queryable
 *
 * Nothing is dropped silently: a skipped record is counted, a dead-lettered one is handed
 * on, and a dead-letter callback that fails turns into a decode error (the record is then
 * neither consumed nor counted, so a retry sees it again).
 *
 * Decoders call sl_badrec_handle for every bad record: bad bytes, wrong types, invalid
 * UTF-8, a record over the size limit, an empty message, a Kafka tombstone (value NULL).
 * A decode call that meets a bad record under skip or dead-letter keeps the good rows before
 * and after it and never leaves a half-written row.
 *
 * THREADS: a struct sl_badrec belongs to the worker that decodes with it.
 */
#ifndef SL_IO_BADREC_H
#define SL_IO_BADREC_H

#include <stdint.h>

#include "engine/core/error.h"
#include "io/record.h"

enum sl_badrec_policy {
    SL_BADREC_FAIL = 0,
    SL_BADREC_SKIP,
    SL_BADREC_DEAD_LETTER,
};

/*
 * The dead-letter callback: receives the record as it came (its bytes are only borrowed for
 * the call) and a NUL-terminated message naming where and what. Returns 0, or a negative
 * code to stop decoding with that error.
 */
typedef int (*sl_badrec_dead_letter_fn)(void *ctx, const struct sl_record *rec, const char *msg);

struct sl_badrec {
    enum sl_badrec_policy policy;
    sl_badrec_dead_letter_fn dead_letter; /* required with SL_BADREC_DEAD_LETTER */
    void *ctx;                            /* passed to dead_letter, not owned */
    uint64_t skipped;                     /* records skipped under 'skip' */
    uint64_t dead_lettered;               /* records handed to dead_letter */
};

/* Sets up a policy with zero counts. `fn` and `ctx` are used only by SL_BADREC_DEAD_LETTER. */
void sl_badrec_init(struct sl_badrec *bad, enum sl_badrec_policy policy,
                    sl_badrec_dead_letter_fn fn, void *ctx);

/* Parses a policy name as written in a table's options: "fail", "skip", "dead-letter".
 * Returns 0 or SL_EINVAL. */
int sl_badrec_parse(const char *name, enum sl_badrec_policy *policy);

/* "fail", "skip", "dead-letter". */
const char *sl_badrec_name(enum sl_badrec_policy policy);

/*
 * Writes "topic 'T' partition P offset O" (or "file 'T' offset O" when partition < 0)
 * into buf (always NUL-terminated).
 */
void sl_badrec_where(const struct sl_record *rec, char *buf, size_t len);

/*
 * Deals with a bad record under the policy (`bad` NULL means 'fail'). `code` and `what`
 * describe the problem (e.g. "field 'x' (INT): not an integer: 'abc'").
 * Returns 0 when decoding may go on (skipped or dead-lettered), or a negative code with err
 * set to "bad record at <where>: <what>" (fail, or a failing callback).
 */
int sl_badrec_handle(struct sl_badrec *bad, const struct sl_record *rec, int code, const char *what,
                     struct sl_error *err);

#endif
