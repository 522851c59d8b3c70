/*
 * tests/engine/test_datetime.c - engine/core/datetime: the calendar against libc's timegm /
 * gmtime_r (an independent proleptic Gregorian implementation), the text rules against
 * hand-computed answers and a reference parser built on timegm, round trips over random
 * milliseconds of the years 0000-9999, and every place that reads or writes a timestamp
 * against the module and against each other on the edge cases: the JSON decoder (its fast
 * path and simdjson), the CSV decoder, CAST from VARCHAR, the TIMESTAMP literal; the JSON and
 * CSV encoders, CAST to VARCHAR, the print connector and the generators' writer. The end to
 * end case of issue #11: TIMESTAMP '2023-02-31 00:00:00' and CAST('2023-02-31 00:00:00' AS
 * TIMESTAMP(3)) are refused for the same reason (the literal when the statement is bound,
 * the CAST when it runs, as in Flink).
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/batch.h"
#include "engine/core/datetime.h"
#include "engine/ops/eval.h"
#include "engine/plan/catalog.h"
#include "engine/sql/ast.h"
#include "engine/sql/binder.h"
#include "io/csv.h"
#include "io/gentext.h"
#include "io/json.h"
#include "tests/util/conntest.h"
#include "tests/util/iotest.h"

/* ---- the reference: libc ------------------------------------------------------------------ */

/* time_t must hold the years 0000-9999 for the reference to mean anything. */
_Static_assert(sizeof(time_t) >= 8, "a 64-bit time_t");

/* Milliseconds of the fields by timegm; false when timegm normalises them to another date or
 * time (an impossible one). */
static bool ref_to_ms(int y, int mo, int d, int h, int mi, int s, int milli, int64_t *ms)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    time_t t = timegm(&tm);
    *ms = (int64_t)t * 1000 + milli;
    return tm.tm_year == y - 1900 && tm.tm_mon == mo - 1 && tm.tm_mday == d && tm.tm_hour == h &&
           tm.tm_min == mi && tm.tm_sec == s;
}

/* 'yyyy-MM-dd HH:mm:ss.SSS' (sql), or LocalDateTime.toString (java), by gmtime_r, for the
 * years 0000-9999. */
static void ref_format(int64_t ms, bool java, char *buf, size_t cap)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int milli = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    int y = tm.tm_year + 1900;
    assert_true(y >= 0 && y <= 9999);
    if (!java) {
        snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d.%03d", y, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
        return;
    }
    int k = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d", y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min);
    if (tm.tm_sec || milli)
        k += snprintf(buf + k, cap - (size_t)k, ":%02d", tm.tm_sec);
    if (milli)
        snprintf(buf + k, cap - (size_t)k, ".%03d", milli);
}

static int64_t rand_ms(uint64_t *rs)
{
    uint64_t span = (uint64_t)(SL_DT_MAX_MS - SL_DT_MIN_MS) + 1;
    return SL_DT_MIN_MS + (int64_t)(sl_test_rand(rs) % span);
}

static size_t fmt(char *buf, int64_t ms, sl_dt_style style)
{
    size_t n = sl_dt_format(buf, ms, style);
    assert_true(n <= SL_DT_TEXT_MAX);
    buf[n] = '\0';
    return n;
}

/* ---- the calendar ------------------------------------------------------------------------- */

static void test_leap_years(void **state)
{
    (void)state;
    static const struct {
        int64_t y;
        bool leap;
    } years[] = {{2000, true},  {1900, false}, {2024, true},  {2100, false}, {2023, false},
                 {0, true},     {4, true},     {100, false},  {400, true},   {1600, true},
                 {1700, false}, {9996, true},  {9999, false}, {-4, true},    {-100, false}};
    for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
        assert_int_equal(sl_dt_is_leap(years[i].y), years[i].leap);
        assert_int_equal(sl_dt_month_days(years[i].y, 2), years[i].leap ? 29 : 28);
    }
    static const unsigned len[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (unsigned m = 1; m <= 12; m++)
        if (m != 2)
            assert_int_equal(sl_dt_month_days(2023, m), len[m]);
}

/* Every date of 0000-01-01 .. 9999-12-31 (and the impossible days 29..31 of every month):
 * day numbers and validity as timegm sees them, and back. */
static void test_every_day(void **state)
{
    (void)state;
    int64_t prev = sl_dt_days_from_civil(0, 1, 1) - 1;
    for (int y = 0; y <= 9999; y++) {
        for (unsigned m = 1; m <= 12; m++) {
            for (unsigned d = 1; d <= 31; d++) {
                int64_t want;
                bool ok = ref_to_ms(y, (int)m, (int)d, 0, 0, 0, 0, &want);
                assert_int_equal(sl_dt_date_valid(y, m, d), ok);
                if (!ok)
                    continue;
                int64_t days = sl_dt_days_from_civil(y, m, d);
                if (days * SL_DT_MS_PER_DAY != want)
                    fail_msg("%04d-%02u-%02u: %lld days, timegm says %lld ms", y, m, d,
                             (long long)days, (long long)want);
                assert_int_equal(days, prev + 1);
                prev = days;
                int64_t yy;
                unsigned mm, dd;
                sl_dt_civil_from_days(days, &yy, &mm, &dd);
                assert_true(yy == y && mm == m && dd == d);
            }
        }
    }
    assert_int_equal(sl_dt_days_from_civil(0, 1, 1) * SL_DT_MS_PER_DAY, SL_DT_MIN_MS);
    assert_int_equal(sl_dt_days_from_civil(9999, 12, 31) * SL_DT_MS_PER_DAY + SL_DT_MS_PER_DAY - 1,
                     SL_DT_MAX_MS);
    assert_false(sl_dt_date_valid(-1, 12, 31));
    assert_false(sl_dt_date_valid(10000, 1, 1));
    assert_false(sl_dt_date_valid(2023, 0, 1));
    assert_false(sl_dt_date_valid(2023, 13, 1));
    assert_false(sl_dt_date_valid(2023, 1, 0));
}

/* Days far outside 0000-9999 (every int64 millisecond has a date) convert back and forth,
 * and sl_dt_split floors. */
static void test_wide_days(void **state)
{
    (void)state;
    uint32_t r;
    assert_int_equal(sl_dt_split(-1, &r), -1);
    assert_int_equal(r, 86399999);
    assert_int_equal(sl_dt_split(0, &r), 0);
    assert_int_equal(r, 0);
    assert_int_equal(sl_dt_split(SL_DT_MS_PER_DAY, &r), 1);
    assert_int_equal(r, 0);
    assert_int_equal(sl_dt_split(-SL_DT_MS_PER_DAY, &r), -1);
    assert_int_equal(r, 0);
    assert_int_equal(sl_dt_split(INT64_MIN, &r), -106751991168);
    assert_int_equal(r, 60424192);
    uint64_t rs = 11;
    int64_t lo = sl_dt_split(INT64_MIN, &r), hi = sl_dt_split(INT64_MAX, &r);
    for (int i = 0; i < 200000; i++) {
        int64_t days = i < 4 ? (i & 1 ? hi : lo) + (i < 2 ? 0 : (i & 1 ? -1 : 1))
                             : lo + (int64_t)(sl_test_rand(&rs) % (uint64_t)(hi - lo + 1));
        int64_t y;
        unsigned m, d;
        sl_dt_civil_from_days(days, &y, &m, &d);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= sl_dt_month_days(y, m));
        assert_int_equal(sl_dt_days_from_civil(y, m, d), days);
        if (d < sl_dt_month_days(y, m))
            assert_int_equal(sl_dt_days_from_civil(y, m, d + 1), days + 1);
    }
}

/* ---- reading ------------------------------------------------------------------------------ */

struct ptcase {
    const char *text;
    int rc;          /* 0, SL_EPARSE or SL_ERANGE */
    int64_t ms;      /* when rc is 0 */
    const char *why; /* a piece of the message when rc is not 0 (NULL: not checked) */
};

/* 1700000000000 = 2023-11-14 22:13:20 UTC; 951782400000 = 2000-02-29 00:00:00 UTC. */
static const struct ptcase ptcases[] = {
    /* the epoch, negative epochs */
    {"1970-01-01 00:00:00.000", 0, 0, NULL},
    {"1969-12-31 23:59:59.999", 0, -1, NULL},
    {"1969-12-31 23:59:59", 0, -1000, NULL},
    {"1969-12-31 23:59:59.9999", 0, -1, NULL},
    {"1969-12-31", 0, -86400000, NULL},
    {"1900-01-01 00:00:00", 0, -2208988800000, NULL},
    {"0001-01-01 00:00:00.000", 0, -62135596800000, NULL},
    {"0000-01-01 00:00:00.000", 0, SL_DT_MIN_MS, NULL},
    {"9999-12-31 23:59:59.999", 0, SL_DT_MAX_MS, NULL},
    /* leap years: 2000 and 2024 are, 1900 and 2100 are not */
    {"2000-02-29 00:00:00", 0, 951782400000, NULL},
    {"2000-02-30 00:00:00", SL_ERANGE, 0, "February has 29 days in a leap year"},
    {"1900-02-29 00:00:00", SL_ERANGE, 0, "February has 28 days"},
    {"2024-02-29 23:59:59.999", 0, 1709251199999, NULL},
    {"2024-02-30 00:00:00", SL_ERANGE, 0, "February has 29 days"},
    {"2100-02-29 00:00:00", SL_ERANGE, 0, "February has 28 days: not a leap year"},
    {"2100-02-28 00:00:00", 0, 4107456000000, NULL},
    {"2023-02-29 00:00:00", SL_ERANGE, 0, "February has 28 days"},
    {"2023-02-30 00:00:00", SL_ERANGE, 0, "February has 28 days"},
    {"2023-02-31 00:00:00", SL_ERANGE, 0, "day out of range (February has 28 days"},
    {"0000-02-29", 0, SL_DT_MIN_MS + 59 * SL_DT_MS_PER_DAY, NULL},
    /* month ends */
    {"2023-01-31 00:00:00", 0, 1675123200000, NULL},
    {"2023-04-30 00:00:00", 0, 1682812800000, NULL},
    {"2023-04-31 00:00:00", SL_ERANGE, 0, "April has 30 days"},
    {"2023-06-31", SL_ERANGE, 0, "June has 30 days"},
    {"2023-09-31", SL_ERANGE, 0, "September has 30 days"},
    {"2023-11-31", SL_ERANGE, 0, "November has 30 days"},
    {"2023-12-31 23:59:59.999", 0, 1704067199999, NULL},
    {"2023-12-32", SL_ERANGE, 0, "December has 31 days"},
    {"2023-00-10", SL_ERANGE, 0, "month out of range (01 to 12)"},
    {"2023-13-10", SL_ERANGE, 0, "month out of range"},
    {"2023-01-00", SL_ERANGE, 0, "days start at 01"},
    /* the time of day */
    {"2023-11-14 22:13:20", 0, 1700000000000, NULL},
    {"2023-11-14 22:13", 0, 1699999980000, NULL},
    {"2023-11-14 24:00:00", SL_ERANGE, 0, "hour out of range (00 to 23)"},
    {"2023-11-14 23:60:00", SL_ERANGE, 0, "minute out of range"},
    {"2023-11-14 23:59:60", SL_ERANGE, 0, "no leap seconds"},
    {"2023-02-31 25:00", SL_ERANGE, 0, "day out of range"}, /* the first field out of range */
    /* fractions of 1..9 digits, truncated to milliseconds */
    {"2023-11-14 22:13:20.1", 0, 1700000000100, NULL},
    {"2023-11-14 22:13:20.12", 0, 1700000000120, NULL},
    {"2023-11-14 22:13:20.123", 0, 1700000000123, NULL},
    {"2023-11-14 22:13:20.1239", 0, 1700000000123, NULL},
    {"2023-11-14 22:13:20.12399", 0, 1700000000123, NULL},
    {"2023-11-14 22:13:20.123999", 0, 1700000000123, NULL},
    {"2023-11-14 22:13:20.1239999", 0, 1700000000123, NULL},
    {"2023-11-14 22:13:20.12399999", 0, 1700000000123, NULL},
    {"2023-11-14 22:13:20.999999999", 0, 1700000000999, NULL},
    {"2023-11-14 22:13:20.0000000001", SL_EPARSE, 0, "1 to 9 digits"},
    {"2023-11-14 22:13:20.", SL_EPARSE, 0, "1 to 9 digits"},
    {"2023-11-14 22:13:20.12a", SL_EPARSE, 0, "unexpected text"},
    {"2023-11-14 22:13.5", SL_EPARSE, 0, "unexpected text"},
    /* ISO-8601 (Flink's ISO_LOCAL_DATE_TIME, 'T' in any case) and the UTC designator */
    {"2023-11-14T22:13:20.123", 0, 1700000000123, NULL},
    {"2023-11-14t22:13:20", 0, 1700000000000, NULL},
    {"2023-11-14T22:13", 0, 1699999980000, NULL},
    {"2023-11-14T22:13:20.5Z", 0, 1700000000500, NULL},
    {"2023-11-14 22:13:20Z", 0, 1700000000000, NULL},
    {"2023-11-14T22:13Z", 0, 1699999980000, NULL},
    {"2023-11-14T22:13:20z", SL_EPARSE, 0, "unexpected text"},
    {"2023-11-14T22:13:20+01:00", SL_EPARSE, 0, "unexpected text"},
    {"2023-11-14T22:13:20ZZ", SL_EPARSE, 0, "unexpected text"},
    {"2023-11-14Z", SL_EPARSE, 0, "' ' or 'T'"},
    /* a date alone is midnight (Flink's CAST and literal) */
    {"2023-11-14", 0, 1699920000000, NULL},
    /* spaces and tabs around are trimmed, not inside */
    {"  2023-11-14 22:13:20\t", 0, 1700000000000, NULL},
    {"2023-11-14  22:13:20", SL_EPARSE, 0, "HH:mm"},
    {"2023-11-14 22: 13", SL_EPARSE, 0, "HH:mm"},
    /* shapes */
    {"", SL_EPARSE, 0, "empty"},
    {" \t ", SL_EPARSE, 0, "empty"},
    {"2023", SL_EPARSE, 0, "2-digit month"},
    {"23-11-14", SL_EPARSE, 0, "4 digits"},
    {"2023-1-14", SL_EPARSE, 0, "2-digit month"},
    {"2023-11-4", SL_EPARSE, 0, "2-digit day"},
    {"2023-11-140", SL_EPARSE, 0, "the day must have 2 digits"},
    {"2023/11/14", SL_EPARSE, 0, "2-digit month"},
    {"2023-11-14 22", SL_EPARSE, 0, "HH:mm"},
    {"2023-11-14 2:13", SL_EPARSE, 0, "HH:mm"},
    {"2023-11-14 22:13:2", SL_EPARSE, 0, "seconds must have 2 digits"},
    {"2023-11-14 22:13:20 x", SL_EPARSE, 0, "unexpected text"},
    {"2023-11-14_22:13:20", SL_EPARSE, 0, "' ' or 'T'"},
    {"1700000000000", SL_ERANGE, 0, "year out of range"},
    {"now", SL_EPARSE, 0, "4 digits"},
    /* years 0000..9999 only */
    {"-0001-01-01 00:00:00", SL_ERANGE, 0, "year out of range (0000 to 9999)"},
    {"+2023-11-14 22:13:20", SL_ERANGE, 0, "year out of range"},
    {"10000-01-01 00:00:00", SL_ERANGE, 0, "year out of range"},
    {"+10000-01-01 00:00:00.000", SL_ERANGE, 0, "year out of range"},
};
#define NPTCASES (sizeof(ptcases) / sizeof(ptcases[0]))

static void test_parse_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPTCASES; i++) {
        const struct ptcase *c = &ptcases[i];
        size_t n = strlen(c->text);
        /* an exact-size copy: ASan sees a read past the text */
        char *s = malloc(n ? n : 1);
        assert_non_null(s);
        memcpy(s, c->text, n);
        int64_t ms = 12345;
        const char *why = NULL;
        int rc = sl_dt_parse(s, n, &ms, &why);
        free(s);
        if (rc != c->rc || (rc == 0 && ms != c->ms) ||
            (rc != 0 && (!why || (c->why && !strstr(why, c->why)))))
            fail_msg("'%s': rc %d (want %d), %lld (want %lld), why '%s' (want '%s')", c->text, rc,
                     c->rc, (long long)ms, (long long)c->ms, why ? why : "", c->why ? c->why : "");
        if (rc != 0)
            assert_int_equal(ms, 12345); /* untouched */
    }
    /* the length is the end: what follows is not read */
    int64_t ms;
    const char *why;
    assert_int_equal(sl_dt_parse("2023-11-14 22:13:20.1239", 23, &ms, &why), 0);
    assert_int_equal(ms, 1700000000123);
    assert_int_equal(sl_dt_parse("2023-11-14 22:13:20.1239", 21, &ms, &why), 0);
    assert_int_equal(ms, 1700000000100);
    assert_int_equal(sl_dt_parse("2023-11-14 22:13:20.1239", 20, &ms, &why), SL_EPARSE);
    assert_int_equal(sl_dt_parse("2023-11-14 22:13:20.1239", 10, &ms, &why), 0);
    assert_int_equal(ms, 1699920000000);
    assert_int_equal(sl_dt_parse("2023-11-14 22:13:20.1239", 9, &ms, &why), SL_EPARSE);
}

/* Random fields (some impossible), in every shape, against timegm. */
static void test_parse_random(void **state)
{
    (void)state;
    uint64_t rs = 5;
    char s[64];
    for (int i = 0; i < 300000; i++) {
        uint64_t x = sl_test_rand(&rs);
        int y = (int)(x % 10000);
        int mo = (int)((x >> 14) % 14); /* 0 and 13 too */
        int d = (int)((x >> 18) % 33);  /* 0 and 32 too */
        int h = (int)((x >> 24) % 26);  /* 24, 25 too */
        int mi = (int)((x >> 30) % 62); /* 60, 61 too */
        int sec = (int)((x >> 36) % 62);
        unsigned digits = (unsigned)((x >> 42) % 10); /* 0: no fraction */
        unsigned shape = (unsigned)((x >> 46) % 5);
        uint64_t frac = sl_test_rand(&rs) % 1000000000u;
        char fr[16] = "";
        int milli = 0;
        if (digits) {
            char all[24];
            snprintf(all, sizeof(all), "%09llu", (unsigned long long)frac);
            fr[0] = '.';
            memcpy(fr + 1, all, digits);
            fr[1 + digits] = '\0';
            char m3[4] = "000";
            memcpy(m3, all, digits < 3 ? digits : 3);
            milli = atoi(m3);
        }
        char sep = (x >> 50) & 1 ? 'T' : ' ';
        switch (shape) {
        case 0: /* a date */
            snprintf(s, sizeof(s), "%04d-%02d-%02d", y, mo, d);
            h = mi = sec = milli = 0;
            break;
        case 1: /* HH:mm */
            snprintf(s, sizeof(s), "%04d-%02d-%02d%c%02d:%02d", y, mo, d, sep, h, mi);
            sec = milli = 0;
            break;
        default:
            snprintf(s, sizeof(s), "%04d-%02d-%02d%c%02d:%02d:%02d%s%s", y, mo, d, sep, h, mi, sec,
                     fr, shape == 4 ? "Z" : "");
            break;
        }
        int64_t want = 0, got = 0;
        bool ok = ref_to_ms(y, mo, d, h, mi, sec, milli, &want);
        const char *why = NULL;
        int rc = sl_dt_parse(s, strlen(s), &got, &why);
        if (ok ? rc != 0 || got != want : rc != SL_ERANGE)
            fail_msg("'%s': rc %d (%s), %lld; timegm: %s %lld", s, rc, rc ? why : "",
                     (long long)got, ok ? "valid" : "invalid", (long long)want);
    }
}

/* ---- writing ------------------------------------------------------------------------------ */

static void expect_fmt(int64_t ms, sl_dt_style style, const char *want)
{
    char buf[SL_DT_TEXT_MAX + 1];
    fmt(buf, ms, style);
    if (strcmp(buf, want) != 0)
        fail_msg("%lld in style %d: '%s', want '%s'", (long long)ms, (int)style, buf, want);
}

static void test_format_known(void **state)
{
    (void)state;
    expect_fmt(0, SL_DT_SQL, "1970-01-01 00:00:00.000");
    expect_fmt(0, SL_DT_ISO, "1970-01-01T00:00:00.000");
    expect_fmt(0, SL_DT_JAVA, "1970-01-01T00:00");
    expect_fmt(-1, SL_DT_SQL, "1969-12-31 23:59:59.999");
    expect_fmt(-1, SL_DT_JAVA, "1969-12-31T23:59:59.999");
    expect_fmt(1700000000000, SL_DT_SQL, "2023-11-14 22:13:20.000");
    expect_fmt(1700000000000, SL_DT_JAVA, "2023-11-14T22:13:20");
    expect_fmt(1700000000123, SL_DT_SQL, "2023-11-14 22:13:20.123");
    expect_fmt(1700000000123, SL_DT_ISO, "2023-11-14T22:13:20.123");
    expect_fmt(1700000000123, SL_DT_JAVA, "2023-11-14T22:13:20.123");
    expect_fmt(1700000000100, SL_DT_JAVA, "2023-11-14T22:13:20.100");
    expect_fmt(1699999980000, SL_DT_JAVA, "2023-11-14T22:13");
    expect_fmt(1699999980001, SL_DT_JAVA, "2023-11-14T22:13:00.001");
    expect_fmt(951782400000, SL_DT_SQL, "2000-02-29 00:00:00.000");
    expect_fmt(-62135596800000, SL_DT_SQL, "0001-01-01 00:00:00.000");
    expect_fmt(-62135596800000, SL_DT_JAVA, "0001-01-01T00:00");
    expect_fmt(SL_DT_MIN_MS, SL_DT_SQL, "0000-01-01 00:00:00.000");
    expect_fmt(SL_DT_MAX_MS, SL_DT_SQL, "9999-12-31 23:59:59.999");
    expect_fmt(SL_DT_MAX_MS, SL_DT_JAVA, "9999-12-31T23:59:59.999");
    /* outside 0000-9999: as java.time writes years (ISO_LOCAL_DATE, LocalDate.toString) */
    expect_fmt(SL_DT_MAX_MS + 1, SL_DT_SQL, "+10000-01-01 00:00:00.000");
    expect_fmt(SL_DT_MAX_MS + 1, SL_DT_JAVA, "+10000-01-01T00:00");
    expect_fmt(SL_DT_MIN_MS - 1, SL_DT_SQL, "-0001-12-31 23:59:59.999");
    expect_fmt(SL_DT_MIN_MS - 1, SL_DT_JAVA, "-0001-12-31T23:59:59.999");
    expect_fmt(-93692678400000, SL_DT_SQL, "-1000-12-31 00:00:00.000");
    expect_fmt(INT64_MIN, SL_DT_SQL, "-292275055-05-16 16:47:04.192");
    expect_fmt(INT64_MAX, SL_DT_SQL, "+292278994-08-17 07:12:55.807");
    expect_fmt(INT64_MIN, SL_DT_ISO, "-292275055-05-16T16:47:04.192");
    /* outside the range text is read in: refused, not misread */
    char buf[SL_DT_TEXT_MAX + 1];
    int64_t ms;
    const char *why;
    size_t n = fmt(buf, SL_DT_MAX_MS + 1, SL_DT_SQL);
    assert_int_equal(sl_dt_parse(buf, n, &ms, &why), SL_ERANGE);
    n = fmt(buf, SL_DT_MIN_MS - 1, SL_DT_SQL);
    assert_int_equal(sl_dt_parse(buf, n, &ms, &why), SL_ERANGE);
}

/* format -> parse over random milliseconds of 0000-9999 (0001-9999 and the year 0000), in
 * every style, and the SQL and Java texts against gmtime_r. */
static void test_round_trip(void **state)
{
    (void)state;
    uint64_t rs = 17;
    char buf[SL_DT_TEXT_MAX + 1], want[64];
    static const sl_dt_style styles[] = {SL_DT_SQL, SL_DT_ISO, SL_DT_JAVA};
    for (int i = 0; i < 200000; i++) {
        int64_t ms = rand_ms(&rs);
        switch (i % 8) { /* round values, where the Java style drops fields */
        case 1:
            ms -= ms % 1000;
            break;
        case 2:
            ms -= ms % 60000;
            break;
        case 3:
            ms -= ((ms % SL_DT_MS_PER_DAY) + SL_DT_MS_PER_DAY) % SL_DT_MS_PER_DAY;
            break;
        default:
            break;
        }
        if (ms < SL_DT_MIN_MS)
            ms = SL_DT_MIN_MS;
        for (int s = 0; s < 3; s++) {
            size_t n = fmt(buf, ms, styles[s]);
            int64_t back = 0;
            const char *why = NULL;
            if (sl_dt_parse(buf, n, &back, &why) != 0 || back != ms)
                fail_msg("%lld -> '%s' -> %lld (%s)", (long long)ms, buf, (long long)back,
                         why ? why : "");
            if (styles[s] != SL_DT_ISO) {
                ref_format(ms, styles[s] == SL_DT_JAVA, want, sizeof(want));
                if (strcmp(buf, want) != 0)
                    fail_msg("%lld: '%s', gmtime_r: '%s'", (long long)ms, buf, want);
            }
        }
    }
}

/* ---- the places that read and write timestamps -------------------------------------------- */

/* The edge texts every reader gets: the known cases, and generated dates around every month
 * end of the interesting years with each shape. Returns a malloc'd array of malloc'd strings
 * (free with free_texts). */
static char **edge_texts(size_t *count)
{
    static const int years[] = {0,    1,    4,    100,  400,  1582, 1600, 1899, 1900,
                                1969, 1970, 2000, 2023, 2024, 2100, 2400, 9998, 9999};
    static const unsigned days[] = {0, 1, 28, 29, 30, 31, 32};
    static const char *const times[] = {"",       " 00:00:00.000", "T23:59:59.999",
                                        " 12:30", " 23:59:59.9",   "T00:00:00.123456789Z"};
    size_t ny = sizeof(years) / sizeof(years[0]), nd = sizeof(days) / sizeof(days[0]);
    size_t nt = sizeof(times) / sizeof(times[0]);
    size_t cap = NPTCASES + ny * 14 * nd * nt, n = 0;
    char **t = malloc(cap * sizeof(*t));
    assert_non_null(t);
    for (size_t i = 0; i < NPTCASES; i++)
        t[n++] = strdup(ptcases[i].text);
    for (size_t y = 0; y < ny; y++)
        for (unsigned m = 0; m <= 13; m++)
            for (size_t d = 0; d < nd; d++) {
                char s[64];
                snprintf(s, sizeof(s), "%04d-%02u-%02u%s", years[y], m, days[d],
                         times[(y + m + d) % nt]);
                t[n++] = strdup(s);
            }
    for (size_t i = 0; i < n; i++)
        assert_non_null(t[i]);
    *count = n;
    return t;
}

static void free_texts(char **t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i]);
    free(t);
}

/* A one-column decoder (JSON with the fast path on or off, or CSV) of "t TIMESTAMP(3)". */
struct rd {
    struct sl_iot io;
    struct sl_json *json;
    struct sl_csv *csv;
};

static void rd_open(struct rd *r, int kind)
{
    const char *names[] = {"t"};
    struct sl_type types[] = {sl_type_make(SL_TYPE_TIMESTAMP, true)};
    struct sl_schema *schema = sl_schema_new(1, names, types);
    assert_non_null(schema);
    sl_iot_open(&r->io, schema);
    struct sl_error err;
    r->json = NULL;
    r->csv = NULL;
    if (kind == 2) {
        r->csv = sl_csv_new(r->io.schema, NULL, &err);
        assert_non_null(r->csv);
        return;
    }
    if (kind == 1)
        assert_int_equal(setenv("SLUICE_JSON_FAST", "off", 1), 0);
    r->json = sl_json_new(r->io.schema, NULL, &err);
    assert_int_equal(unsetenv("SLUICE_JSON_FAST"), 0);
    assert_non_null(r->json);
}

static void rd_close(struct rd *r)
{
    if (r->json)
        sl_json_free(r->json);
    if (r->csv)
        sl_csv_free(r->csv);
    sl_iot_close(&r->io);
}

/* Decodes the text as the record's one field; returns the code (err filled) and the value. */
static int rd_decode(struct rd *r, const char *text, int64_t *ms, struct sl_error *err)
{
    char rec[128];
    if (r->json) {
        size_t k = (size_t)snprintf(rec, sizeof(rec), "{\"t\":\"");
        for (const char *p = text; *p; p++) {
            if (*p == '\t')
                rec[k++] = '\\', rec[k++] = 't';
            else
                rec[k++] = *p;
        }
        snprintf(rec + k, sizeof(rec) - k, "\"}");
    } else {
        snprintf(rec, sizeof(rec), "\"%s\"", text);
    }
    struct sl_record record = sl_iot_rec(rec, 7);
    struct sl_batch *b = r->io.b;
    sl_batch_reset(b);
    size_t consumed = 0;
    sl_error_clear(err);
    int rc = r->json ? sl_json_decode(r->json, &record, 1, b, NULL, &consumed, err)
                     : sl_csv_decode(r->csv, &record, 1, b, NULL, &consumed, err);
    if (rc == 0) {
        assert_int_equal(b->rows, 1);
        assert_false(sl_col_is_null(&b->cols[0], 0));
        *ms = sl_col_i64(&b->cols[0])[0];
    }
    return rc;
}

/* The JSON decoder (both paths) and the CSV decoder read every edge text as sl_dt_parse
 * does: the same value, or the same code with the same reason in the message. */
static void test_readers_agree(void **state)
{
    (void)state;
    size_t n;
    char **texts = edge_texts(&n);
    struct rd rd[3];
    static const char *const names[] = {"json (fast path)", "json (simdjson)", "csv"};
    for (int k = 0; k < 3; k++)
        rd_open(&rd[k], k);
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t want = 0;
        const char *why = NULL;
        int want_rc = sl_dt_parse(texts[i], strlen(texts[i]), &want, &why);
        valid += want_rc == 0;
        for (int k = 0; k < 3; k++) {
            if (k == 2 && texts[i][0] == '\0')
                continue; /* CSV: a quoted empty field is not text for a TIMESTAMP */
            int64_t got = 0;
            struct sl_error err;
            int rc = rd_decode(&rd[k], texts[i], &got, &err);
            if (rc != want_rc || (rc == 0 && got != want) || (rc != 0 && !strstr(err.msg, why)))
                fail_msg("%s, '%s': rc %d, %lld, '%s'; sl_dt_parse: rc %d, %lld, '%s'", names[k],
                         texts[i], rc, (long long)got, rc ? err.msg : "", want_rc, (long long)want,
                         want_rc ? why : "");
        }
    }
    assert_true(valid > 300 && valid < n - 300); /* both kinds, plenty of each */
    /* the fast path really took the 23-byte form (else the comparison compared simdjson
     * with itself) */
    struct sl_json_stats st;
    sl_json_stats(rd[0].json, &st);
    assert_true(st.fast > 100);
    sl_json_stats(rd[1].json, &st);
    assert_int_equal(st.fast, 0);
    for (int k = 0; k < 3; k++)
        rd_close(&rd[k]);
    free_texts(texts, n);
}

/* Random 23-byte texts (the JSON fast path's form, dates valid or not) through both JSON
 * paths. */
static void test_json_fast_path_random(void **state)
{
    (void)state;
    struct rd fast, slow;
    rd_open(&fast, 0);
    rd_open(&slow, 1);
    uint64_t rs = 23;
    for (int i = 0; i < 20000; i++) {
        uint64_t x = sl_test_rand(&rs);
        char s[32];
        snprintf(s, sizeof(s), "%04u-%02u-%02u%c%02u:%02u:%02u.%03u", (unsigned)(x % 10000),
                 (unsigned)(x >> 14) % 14, (unsigned)(x >> 18) % 33, (x >> 23) & 1 ? 'T' : ' ',
                 (unsigned)(x >> 24) % 25, (unsigned)(x >> 30) % 61, (unsigned)(x >> 36) % 61,
                 (unsigned)(x >> 42) % 1000);
        int64_t a = 0, b = 0, want = 0;
        const char *why;
        struct sl_error ea, eb;
        int want_rc = sl_dt_parse(s, strlen(s), &want, &why);
        int ra = rd_decode(&fast, s, &a, &ea), rb = rd_decode(&slow, s, &b, &eb);
        if (ra != want_rc || rb != want_rc || (want_rc == 0 && (a != want || b != want)))
            fail_msg("'%s': fast %d %lld, simdjson %d %lld, sl_dt_parse %d %lld", s, ra,
                     (long long)a, rb, (long long)b, want_rc, (long long)want);
    }
    rd_close(&fast);
    rd_close(&slow);
}

/* A job "t (s VARCHAR, ts TIMESTAMP(3)) -> o (types): INSERT INTO o SELECT sel FROM t";
 * NULL with err when it does not bind. */
static struct sl_job *bind_sel(const char *sel, const char *types, struct sl_error *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE t (s VARCHAR, ts TIMESTAMP(3)) WITH ('connector' = 'kafka', "
             "'topic' = 't', 'format' = 'json');\n"
             "CREATE TABLE o (%s) WITH ('connector' = 'blackhole');\n"
             "INSERT INTO o SELECT %s FROM t;\n",
             types, sel);
    sl_error_clear(err);
    return sl_job_from_sql("q.sql", sql, strlen(sql), NULL, 0, err);
}

/* Runs the projection of `job` over n rows (s[i], ts[i]); column 0 of the result into
 * out_ms (a TIMESTAMP) or out_txt (a VARCHAR, SL_DT_TEXT_MAX + 1 bytes a row). Returns 0 or
 * the first error (err filled). */
static int run_sel(struct sl_job *job, uint32_t n, const char *const *s, const int64_t *ts,
                   int64_t *out_ms, char (*out_txt)[SL_DT_TEXT_MAX + 1], struct sl_error *err)
{
    const struct sl_plan *p = job->inserts[0]->input;
    assert_int_equal(p->kind, SL_PLAN_PROJECT);
    assert_true(p->note == NULL || strstr(p->note, "casts") == NULL);
    struct sl_eval *ev =
        sl_eval_new(NULL, &p->input->out, p->project.nexprs, p->project.exprs, job->file->src, err);
    assert_non_null(ev);
    struct sl_schema *is = sl_plan_rel_schema(&p->input->out), *os = sl_plan_rel_schema(&p->out);
    struct sl_batch_pool *ip = sl_batch_pool_new(NULL, is, 1), *op = sl_batch_pool_new(NULL, os, 1);
    int rc = 0;
    for (uint32_t at = 0; at < n && !rc; at += SL_BATCH_CAP) {
        uint32_t rows = n - at < SL_BATCH_CAP ? n - at : SL_BATCH_CAP;
        struct sl_batch *in = sl_batch_pool_get(ip), *o = sl_batch_pool_get(op);
        for (uint32_t r = 0; r < rows; r++) {
            const char *t = s ? s[at + r] : "";
            sl_col_str(&in->cols[0])[r] = sl_str_make(t, (uint32_t)strlen(t));
            sl_col_i64(&in->cols[1])[r] = ts ? ts[at + r] : 0;
            sl_col_set_null(&in->cols[0], r, false);
            sl_col_set_null(&in->cols[1], r, false);
        }
        in->rows = rows;
        rc = sl_eval_project(ev, in, o, err);
        for (uint32_t r = 0; r < rows && !rc; r++) {
            struct sl_column *c = &o->cols[0];
            assert_false(c->valid && sl_col_is_null(c, r));
            if (out_ms)
                out_ms[at + r] = sl_col_i64(c)[r];
            if (out_txt) {
                const sl_str *v = &sl_col_str(c)[r];
                assert_true(v->len <= SL_DT_TEXT_MAX);
                memcpy(out_txt[at + r], sl_str_data(v), v->len);
                out_txt[at + r][v->len] = '\0';
            }
        }
        sl_batch_pool_put(in);
        sl_batch_pool_put(o);
    }
    sl_batch_pool_free(ip);
    sl_batch_pool_free(op);
    sl_schema_free(is);
    sl_schema_free(os);
    sl_eval_free(ev);
    return rc;
}

/* The TIMESTAMP literal, CAST of the same string constant and CAST of a VARCHAR column
 * holding it agree with sl_dt_parse on every edge text: the same value, or the same reason
 * - the literal's when the statement is bound, the CASTs' when they run. */
static void test_sql_agrees(void **state)
{
    (void)state;
    size_t n;
    char **texts = edge_texts(&n);
    for (size_t i = 0; i < n; i++) {
        const char *t = texts[i];
        int64_t want = 0;
        const char *why = NULL;
        int want_rc = sl_dt_parse(t, strlen(t), &want, &why);
        char sel[256];
        struct sl_error err;
        /* the literal */
        snprintf(sel, sizeof(sel), "TIMESTAMP '%s'", t);
        struct sl_job *job = bind_sel(sel, "a TIMESTAMP(3)", &err);
        if (want_rc == 0) {
            if (!job)
                fail_msg("%s: %s", sel, err.msg);
            const struct sl_plan *p = job->inserts[0]->input;
            assert_int_equal(p->project.exprs[0]->kind, SL_EXPR_LIT);
            assert_int_equal(p->project.exprs[0]->lit.i, want);
            sl_job_free(job);
        } else {
            char msg[256];
            snprintf(msg, sizeof(msg), "invalid TIMESTAMP literal '%s': %s", t, why);
            if (job || err.code != SL_EPARSE || !strstr(err.msg, msg))
                fail_msg("%s: bound %d, '%s'; want '%s'", sel, job != NULL, err.msg, msg);
        }
        /* CAST of the constant, CAST of the column */
        snprintf(sel, sizeof(sel), "CAST('%s' AS TIMESTAMP(3)), CAST(s AS TIMESTAMP(3))", t);
        job = bind_sel(sel, "a TIMESTAMP(3), b TIMESTAMP(3)", &err);
        if (!job)
            fail_msg("%s: %s", sel, err.msg);
        int64_t got[1] = {0};
        const char *col[1] = {t};
        int rc = run_sel(job, 1, col, NULL, got, NULL, &err);
        if (rc != want_rc || (rc == 0 && got[0] != want) || (rc != 0 && !strstr(err.msg, why)))
            fail_msg("%s: rc %d, %lld, '%s'; sl_dt_parse: rc %d, %lld, '%s'", sel, rc,
                     (long long)got[0], rc ? err.msg : "", want_rc, (long long)want,
                     want_rc ? why : "");
        sl_job_free(job);
        /* the column alone (the constant CAST above failed first when the text is bad) */
        job = bind_sel("CAST(s AS TIMESTAMP(3))", "a TIMESTAMP(3)", &err);
        assert_non_null(job);
        rc = run_sel(job, 1, col, NULL, got, NULL, &err);
        if (rc != want_rc || (rc == 0 && got[0] != want) || (rc != 0 && !strstr(err.msg, why)))
            fail_msg("CAST(s) of '%s': rc %d, %lld, '%s'", t, rc, (long long)got[0],
                     rc ? err.msg : "");
        sl_job_free(job);
    }
    free_texts(texts, n);
}

/* Issue #11: the literal and the CAST of '2023-02-31 00:00:00' are both refused, for the
 * same reason; the valid neighbours give the same value both ways. */
static void test_issue_11(void **state)
{
    (void)state;
    struct sl_error err;
    struct sl_job *job = bind_sel("TIMESTAMP '2023-02-31 00:00:00'", "a TIMESTAMP(3)", &err);
    assert_null(job);
    assert_int_equal(err.code, SL_EPARSE);
    assert_non_null(strstr(err.msg, "q.sql:3:22:"));
    assert_non_null(strstr(err.msg, "invalid TIMESTAMP literal '2023-02-31 00:00:00': day out "
                                    "of range (February has 28 days: not a leap year)"));
    job = bind_sel("CAST('2023-02-31 00:00:00' AS TIMESTAMP(3))", "a TIMESTAMP(3)", &err);
    assert_non_null(job);
    int64_t got[1];
    int rc = run_sel(job, 1, NULL, NULL, got, NULL, &err);
    assert_int_equal(rc, SL_ERANGE);
    assert_non_null(strstr(err.msg, "q.sql:3:22:"));
    assert_non_null(strstr(err.msg, "cannot CAST '2023-02-31 00:00:00' to TIMESTAMP(3): day out "
                                    "of range (February has 28 days: not a leap year)"));
    sl_job_free(job);
    job = bind_sel("CAST('2023-02-28 00:00:00' AS TIMESTAMP(3)), TIMESTAMP '2023-02-28 00:00:00'",
                   "a TIMESTAMP(3), b TIMESTAMP(3)", &err);
    assert_non_null(job);
    assert_int_equal(run_sel(job, 1, NULL, NULL, got, NULL, &err), 0);
    assert_int_equal(got[0], 1677542400000);
    assert_int_equal(job->inserts[0]->input->project.exprs[1]->lit.i, 1677542400000);
    sl_job_free(job);
}

/* Random values through every writer: CAST to VARCHAR, the JSON and CSV encoders, the print
 * connector and the generators' writer give sl_dt_format's text (gmtime_r's, for the years
 * 0000-9999), and the text reads back to the value. */
#define NW 4096

static int64_t wvals[NW];

static void fill_wvals(void)
{
    uint64_t rs = 31;
    static const int64_t fixed[] = {0,
                                    -1,
                                    SL_DT_MIN_MS,
                                    SL_DT_MAX_MS,
                                    951782400000,
                                    1700000000000,
                                    1699999980000,
                                    -62135596800000,
                                    4107456000000};
    for (uint32_t i = 0; i < NW; i++)
        wvals[i] = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i] : rand_ms(&rs);
}

static void check_text(const char *site, int64_t ms, const char *text, bool java)
{
    char want[64];
    ref_format(ms, java, want, sizeof(want));
    char mine[SL_DT_TEXT_MAX + 1];
    fmt(mine, ms, java ? SL_DT_JAVA : SL_DT_SQL);
    if (strcmp(text, want) != 0 || strcmp(text, mine) != 0)
        fail_msg("%s: %lld is '%s'; gmtime_r '%s', sl_dt_format '%s'", site, (long long)ms, text,
                 want, mine);
    int64_t back;
    const char *why;
    assert_int_equal(sl_dt_parse(text, strlen(text), &back, &why), 0);
    assert_int_equal(back, ms);
}

static void test_writers_agree(void **state)
{
    (void)state;
    fill_wvals();
    /* CAST(ts AS VARCHAR) */
    struct sl_error err;
    struct sl_job *job = bind_sel("CAST(ts AS VARCHAR)", "a VARCHAR", &err);
    assert_non_null(job);
    static char txt[NW][SL_DT_TEXT_MAX + 1];
    assert_int_equal(run_sel(job, NW, NULL, wvals, NULL, txt, &err), 0);
    for (uint32_t i = 0; i < NW; i++)
        check_text("CAST AS VARCHAR", wvals[i], txt[i], false);
    sl_job_free(job);
    /* the encoders: one record per row, {"t":"..."} and the bare field */
    struct rd rj, rc;
    rd_open(&rj, 0);
    rd_open(&rc, 2);
    struct sl_fmt_out oj, oc;
    sl_fmt_out_init(&oj);
    sl_fmt_out_init(&oc);
    for (uint32_t at = 0; at < NW; at += SL_BATCH_CAP) {
        uint32_t rows = NW - at < SL_BATCH_CAP ? NW - at : SL_BATCH_CAP;
        struct sl_batch *b = rj.io.b;
        sl_batch_reset(b);
        for (uint32_t r = 0; r < rows; r++) {
            sl_col_i64(&b->cols[0])[r] = wvals[at + r];
            sl_col_set_null(&b->cols[0], r, false);
        }
        b->rows = rows;
        assert_int_equal(sl_json_encode(rj.json, b, &oj, &err), 0);
        assert_int_equal(sl_csv_encode(rc.csv, b, &oc, &err), 0);
    }
    assert_int_equal(oj.nrec, NW);
    assert_int_equal(oc.nrec, NW);
    for (uint32_t i = 0; i < NW; i++) {
        char t[64];
        size_t l = sl_fmt_out_rec_len(&oj, i);
        assert_true(l > 9 && l < sizeof(t) + 8);
        assert_memory_equal(sl_fmt_out_rec(&oj, i), "{\"t\":\"", 6);
        assert_memory_equal(sl_fmt_out_rec(&oj, i) + l - 2, "\"}", 2);
        memcpy(t, sl_fmt_out_rec(&oj, i) + 6, l - 8);
        t[l - 8] = '\0';
        check_text("JSON encoder", wvals[i], t, false);
        l = sl_fmt_out_rec_len(&oc, i);
        assert_true(l < sizeof(t));
        memcpy(t, sl_fmt_out_rec(&oc, i), l);
        t[l] = '\0';
        check_text("CSV encoder", wvals[i], t, false);
    }
    sl_fmt_out_free(&oj);
    sl_fmt_out_free(&oc);
    rd_close(&rj);
    rd_close(&rc);
    /* the generators' writer (JSON of nexmark events) */
    for (uint32_t i = 0; i < NW; i++) {
        char t[SL_DT_TEXT_MAX + 1];
        *sl_gentext_timestamp(t, wvals[i]) = '\0';
        assert_int_equal(strlen(t), 23);
        check_text("sl_gentext_timestamp", wvals[i], t, false);
    }
}

/* The generators' writer beyond 0000-9999 too: sl_dt_format's text, for every int64. */
static void test_gentext_wide(void **state)
{
    (void)state;
    uint64_t rs = 41;
    for (int i = 0; i < 100000; i++) {
        int64_t ms = i == 0 ? INT64_MIN : i == 1 ? INT64_MAX : (int64_t)sl_test_rand(&rs);
        if (i % 3 == 2)
            ms %= (SL_DT_MAX_MS + 1) * 4;
        char a[SL_DT_TEXT_MAX + 8], b[SL_DT_TEXT_MAX + 1];
        char *e = sl_gentext_timestamp(a, ms);
        size_t n = fmt(b, ms, SL_DT_SQL);
        assert_int_equal((size_t)(e - a), n);
        assert_memory_equal(a, b, n);
    }
}

/* The print connector writes LocalDateTime.toString (gmtime_r's fields) that reads back. */
static void test_print_agrees(void **state)
{
    (void)state;
    fill_wvals();
    struct sl_job *job = sl_ct_job("CREATE TABLE p (t TIMESTAMP(3)) WITH ('connector' = 'print');");
    const struct sl_table *t = sl_ct_table(job, "p");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    struct sl_connector_env env = sl_ct_env(job, f);
    struct sl_sink *sink;
    struct sl_error err;
    assert_int_equal(sl_sink_open(t, &env, 1, &sink, &err), 0);
    struct sl_schema *schema = sl_plan_rel_schema(&t->physical);
    struct sl_ct_ctx c;
    sl_ct_ctx_init(&c, 0, 1, job);
    struct sl_batch_pool *pool = sl_batch_pool_new(c.ctx.heap, schema, 1);
    for (uint32_t at = 0; at < NW; at += SL_BATCH_CAP) {
        uint32_t rows = NW - at < SL_BATCH_CAP ? NW - at : SL_BATCH_CAP;
        struct sl_batch *b = sl_batch_pool_get(pool);
        for (uint32_t r = 0; r < rows; r++) {
            sl_col_i64(&b->cols[0])[r] = wvals[at + r];
            sl_col_set_null(&b->cols[0], r, false);
        }
        b->rows = rows;
        assert_int_equal(sink->ops->write(sink, &c.ctx, b, &err), 0);
        sl_batch_pool_put(b);
    }
    assert_int_equal(sink->ops->flush(sink, &c.ctx, &err), 0);
    assert_int_equal(sink->ops->close(sink, &err), 0);
    sink->ops->free(sink);
    fclose(f);
    const char *p = text;
    for (uint32_t i = 0; i < NW; i++) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_memory_equal(p, "+I[", 3);
        assert_memory_equal(nl - 1, "]", 1);
        char v[64];
        size_t l = (size_t)(nl - 1 - (p + 3));
        assert_true(l < sizeof(v));
        memcpy(v, p + 3, l);
        v[l] = '\0';
        check_text("print", wvals[i], v, true);
        p = nl + 1;
    }
    assert_int_equal(*p, '\0');
    free(text);
    sl_batch_pool_free(pool);
    sl_ct_ctx_free(&c);
    sl_schema_free(schema);
    sl_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_every_day),
        cmocka_unit_test(test_wide_days),
        cmocka_unit_test(test_parse_known),
        cmocka_unit_test(test_parse_random),
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_readers_agree),
        cmocka_unit_test(test_json_fast_path_random),
        cmocka_unit_test(test_sql_agrees),
        cmocka_unit_test(test_issue_11),
        cmocka_unit_test(test_writers_agree),
        cmocka_unit_test(test_gentext_wide),
        cmocka_unit_test(test_print_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
