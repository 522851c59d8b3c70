/*
 * tests/fuzz/fuzz_dtpattern.c - libFuzzer target for the date-time patterns of DATE_FORMAT,
 * TO_TIMESTAMP, UNIX_TIMESTAMP and FROM_UNIXTIME (engine/core/dtpattern.h).
 *
 * The first byte picks the dialect and 8 bytes of the input a timestamp; the rest is split at
 * the first 0x01 byte into a pattern and a text. Oracles: compiling fails only with a message;
 * a compiled pattern writes every value (all of int64, and the TIMESTAMP range) within its
 * `maxlen`; reading any text by the pattern and by TO_TIMESTAMP's default shape never reads
 * past it (ASan) and gives a value that the pattern writes back readable, or a refusal; a
 * java.time pattern of the numeric fields yyyy MM dd HH mm ss SSS (once each, any literals
 * without digits) reads back exactly what it wrote for any TIMESTAMP from the year 1 on (the
 * year 0 writes as year of era 0001, as java.time does); the time units never
 * overflow silently.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/datetime.h"
#include "engine/core/dtpattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dtpattern: %s\n", what);
        abort();
    }
}

/* Whether the pattern has each of yyyy MM dd HH mm ss SSS once and nothing else but literals
 * without digits: then format and parse are inverse on the TIMESTAMP range. */
static bool round_trips(const struct sl_dtp *p)
{
    static const char want[] = "yMdHmsS";
    static const uint8_t count[] = {4, 2, 2, 2, 2, 2, 3};
    int seen[7] = {0};
    for (uint32_t i = 0; i < p->nfields; i++) {
        const struct sl_dtp_field *f = &p->f[i];
        if (f->kind == 0) {
            for (uint16_t k = 0; k < f->len; k++)
                if (p->lit[f->off + k] >= '0' && p->lit[f->off + k] <= '9')
                    return false;
            continue;
        }
        const char *w = strchr(want, f->kind);
        if (!w || f->count != count[w - want])
            return false;
        seen[w - want]++;
    }
    for (int k = 0; k < 7; k++)
        if (seen[k] != 1)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    uint8_t sel = data[0];
    sl_dtp_dialect dialect = sel & 1 ? SL_DTP_SDF : SL_DTP_DTF;
    int64_t ms;
    memcpy(&ms, data + 1, 8);
    data += 9;
    size -= 9;
    const uint8_t *sep = memchr(data, 1, size);
    size_t plen = sep ? (size_t)(sep - data) : size;
    const char *text = sep ? (const char *)sep + 1 : "";
    size_t tlen = sep ? size - plen - 1 : 0;

    static struct sl_dtp p;
    char why[160], buf[SL_DTP_MAX_FIELDS * 20 + SL_DTP_MAX_LIT];
    why[0] = '\0';
    int64_t t;
    (void)sl_dtp_parse_default(text, tlen, &t);
    for (int u = 0; u < SL_TU_COUNT; u++) {
        int64_t o;
        (void)sl_time_extract((sl_time_unit)u, ms);
        if (sl_time_floor((sl_time_unit)u, ms, sel & 2, &o) && u <= SL_TU_DAY && !(sel & 2))
            check(o <= ms, "FLOOR above its value");
    }
    if (ms >= SL_DT_MIN_MS && ms <= SL_DT_MAX_MS) {
        int64_t o;
        (void)sl_time_add_months(ms, (int8_t)sel, &o);
        (void)sl_time_diff_months(ms, SL_DT_MAX_MS - (ms - SL_DT_MIN_MS));
    }
    if (sl_dtp_compile(&p, (const char *)data, plen, dialect, why, sizeof(why))) {
        check(why[0] != '\0', "a refused pattern without a message");
        return 0;
    }
    int64_t vals[4] = {ms, INT64_MIN, INT64_MAX, SL_DT_MIN_MS};
    for (int k = 0; k < 4; k++)
        check(sl_dtp_format(&p, vals[k], buf) <= p.maxlen, "longer than maxlen");
    if (sl_dtp_parse(&p, text, tlen, &t))
        check(sl_dtp_format(&p, t, buf) <= p.maxlen, "longer than maxlen");
    if (dialect == SL_DTP_DTF && round_trips(&p)) {
        /* from 0001-01-01: 'yyyy' is java.time's year of era, so the year 0 (1 BC) writes
         * as 0001 and reads back as 1 AD, as in Java */
        const int64_t lo = -62135596800000; /* 0001-01-01 00:00:00.000 */
        int64_t v = lo + (int64_t)((uint64_t)ms % (uint64_t)(SL_DT_MAX_MS - lo));
        size_t n = sl_dtp_format(&p, v, buf);
        check(sl_dtp_parse(&p, buf, n, &t), "a written value does not read back");
        check(t == v, "a written value reads back as another");
    }
    return 0;
}
