/*
 * io/badrec.c - bad-record policies (see badrec.h).
 *
 * The message is built once per bad record (they are rare), so its cost does not matter;
 * what matters is that every path either counts, hands on, or fails loudly.
 */
#include "io/badrec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void sl_badrec_init(struct sl_badrec *bad, enum sl_badrec_policy policy,
                    sl_badrec_dead_letter_fn fn, void *ctx)
{
    memset(bad, 0, sizeof(*bad));
    bad->policy = policy;
    bad->dead_letter = fn;
    bad->ctx = ctx;
}

int sl_badrec_parse(const char *name, enum sl_badrec_policy *policy)
{
    static const struct {
        const char *name;
        enum sl_badrec_policy policy;
    } names[] = {
        {"fail", SL_BADREC_FAIL}, {"skip", SL_BADREC_SKIP}, {"dead-letter", SL_BADREC_DEAD_LETTER}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *policy = names[i].policy;
            return 0;
        }
    }
    return SL_EINVAL;
}

const char *sl_badrec_name(enum sl_badrec_policy policy)
{
    switch (policy) {
    case SL_BADREC_FAIL:
        return "fail";
    case SL_BADREC_SKIP:
        return "skip";
    case SL_BADREC_DEAD_LETTER:
        return "dead-letter";
    }
    return "unknown";
}

void sl_badrec_where(const struct sl_record *rec, char *buf, size_t len)
{
    const char *topic = rec->topic ? rec->topic : "?";
    if (rec->partition < 0)
        snprintf(buf, len, "file '%s' offset %" PRId64, topic, rec->offset);
    else
        snprintf(buf, len, "topic '%s' partition %" PRId32 " offset %" PRId64, topic,
                 rec->partition, rec->offset);
}

int sl_badrec_handle(struct sl_badrec *bad, const struct sl_record *rec, int code, const char *what,
                     struct sl_error *err)
{
    char where[256];
    sl_badrec_where(rec, where, sizeof(where));
    enum sl_badrec_policy policy = bad ? bad->policy : SL_BADREC_FAIL;
    if (code >= 0)
        code = SL_EPARSE;
    switch (policy) {
    case SL_BADREC_SKIP:
        bad->skipped++;
        return 0;
    case SL_BADREC_DEAD_LETTER: {
        char msg[SL_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "bad record at %s: %s", where, what);
        if (!bad->dead_letter)
            return sl_error_set(err, SL_EINVAL, "%s (dead-letter policy without a callback)", msg);
        int rc = bad->dead_letter(bad->ctx, rec, msg);
        if (rc < 0)
            return sl_error_set(err, rc, "dead-letter callback failed (%s) for %s", sl_strerror(rc),
                                msg);
        bad->dead_lettered++;
        return 0;
    }
    case SL_BADREC_FAIL:
    default:
        return sl_error_set(err, code, "bad record at %s: %s", where, what);
    }
}
