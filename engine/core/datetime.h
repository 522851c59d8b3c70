/*
 * engine/core/datetime.h - TIMESTAMP(3) values and their text: the one calendar and the one
 * set of text rules that every part of sluice uses (the JSON and CSV formats, CAST, the
 * TIMESTAMP literal, the print connector, the generators).
 *
 * VALUES
 * A TIMESTAMP(3) is an int64 count of milliseconds since 1970-01-01 00:00:00.000, Flink's
 * TIMESTAMP WITHOUT TIME ZONE read as UTC wall time, on the proleptic Gregorian calendar (a
 * leap year is divisible by 4 and not by 100, or by 400; the rule runs back past 1582) and
 * without leap seconds. Every int64 is a date (years about -292 million to +292 million) and
 * can be formatted; text is read only for the years 0000 to 9999, Flink's TIMESTAMP range
 * (SL_DT_MIN_MS .. SL_DT_MAX_MS, the bounds of Flink's DateTimeUtils).
 *
 * READING TEXT (sl_dt_parse), after trimming spaces and tabs around it:
 *
 *     text  := date [sep time ['Z']]
 *     date  := yyyy '-' MM '-' dd           4, 2 and 2 digits
 *     sep   := ' ' | 'T' | 't'
 *     time  := HH ':' mm [':' ss ['.' f]]   2 digits each; f is 1 to 9 digits
 *
 *   - a date alone is midnight; missing seconds are 0; the fraction is truncated to
 *     milliseconds (Flink floors to the type's precision: DateTimeUtils.fromTemporalAccessor);
 *   - the trailing 'Z' (Flink's TIMESTAMP_LTZ formats write it) is accepted: sluice's
 *     timestamps are UTC;
 *   - strict validity: month 01-12, day 01 to the month's last day (February 29 only in a
 *     leap year), hour 00-23, minute and second 00-59. Text that does not have the shape is
 *     SL_EPARSE; a shape with an impossible field is SL_ERANGE. `why` says which part.
 *
 * This is the union of the shapes Flink reads - its SQL format (json/csv 'SQL' standard,
 * CAST, the TIMESTAMP literal: ' ', seconds) and ISO-8601 (ISO_LOCAL_DATE_TIME: 'T', seconds
 * optional) - with the strict validity of Flink's TIMESTAMP literal (Calcite, a non-lenient
 * SimpleDateFormat) and ISO-8601 format (ResolverStyle.STRICT). Flink's CAST and its SQL-format
 * json reader resolve dates with java.time's SMART style, which quietly turns 2023-02-31 into
 * 2023-02-28; sluice refuses such a date everywhere instead. docs/formats.md has the table.
 *
 * WRITING TEXT (sl_dt_format), at most SL_DT_TEXT_MAX bytes, no NUL:
 *   SL_DT_SQL   yyyy-MM-dd HH:mm:ss.SSS    CAST to VARCHAR (Flink's formatTimestamp at
 *                                          precision 3), the JSON and CSV encoders, generators
 *   SL_DT_ISO   yyyy-MM-ddTHH:mm:ss.SSS
 *   SL_DT_JAVA  LocalDateTime.toString     yyyy-MM-ddTHH:mm, then :ss when the seconds or
 *                                          milliseconds are not 0, then .SSS when the
 *                                          milliseconds are not 0 (the print connector)
 *   SL_DT_SQL_Z yyyy-MM-dd HH:mm:ss.SSSZ   TIMESTAMP_LTZ(3) in the JSON and CSV encoders
 *                                          (Flink's SQL_TIMESTAMP_WITH_LOCAL_TIMEZONE_FORMAT)
 *   SL_DT_INSTANT Instant.toString         yyyy-MM-ddTHH:mm:ss, then .SSS when the
 *                                          milliseconds are not 0, then Z: TIMESTAMP_LTZ(3) in
 *                                          the print connector (Flink prints an Instant)
 * A year outside 0000-9999 is written as java.time writes it: '+' and its digits above 9999,
 * '-' and at least 4 digits below 0. Such text is outside the range sl_dt_parse reads.
 *
 * CALENDAR
 * Howard Hinnant's days_from_civil / civil_from_days ("chrono-Compatible Low-Level Date
 * Algorithms"): a year is shifted to start on March 1, so the leap day is the last day of
 * the year, and counted in eras of 400 years (146097 days). They are inline, as is the SQL
 * formatter, because the JSON fast path and the generators run them once per value.
 */
#ifndef SL_ENGINE_CORE_DATETIME_H
#define SL_ENGINE_CORE_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_DT_MS_PER_DAY INT64_C(86400000)
#define SL_DT_MIN_MS INT64_C(-62167219200000) /* 0000-01-01 00:00:00.000 */
#define SL_DT_MAX_MS INT64_C(253402300799999) /* 9999-12-31 23:59:59.999 */

/* The longest text sl_dt_format writes: "-292275055-05-16 16:47:04.192" is 29 bytes. */
#define SL_DT_TEXT_MAX 32

typedef enum sl_dt_style {
    SL_DT_SQL,     /* yyyy-MM-dd HH:mm:ss.SSS */
    SL_DT_ISO,     /* yyyy-MM-ddTHH:mm:ss.SSS */
    SL_DT_JAVA,    /* LocalDateTime.toString: yyyy-MM-ddTHH:mm[:ss[.SSS]] */
    SL_DT_SQL_Z,   /* yyyy-MM-dd HH:mm:ss.SSSZ */
    SL_DT_INSTANT, /* Instant.toString: yyyy-MM-ddTHH:mm:ss[.SSS]Z */
} sl_dt_style;

/* ---- calendar ---------------------------------------------------------------------------- */

static inline bool sl_dt_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1..12) of year y. */
static inline unsigned sl_dt_month_days(int64_t y, unsigned m)
{
    static const unsigned char days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m] + (m == 2 && sl_dt_is_leap(y));
}

/* Whether y-m-d is a date sl_dt_parse reads: year 0..9999, month 1..12, day in the month. */
static inline bool sl_dt_date_valid(int64_t y, unsigned m, unsigned d)
{
    return y >= 0 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= sl_dt_month_days(y, m);
}

/* Days since 1970-01-01 of the date y-m-d (m 1..12, d 1..31; any year whose day count fits
 * in an int64, so every year of an int64 millisecond value). A day past the month's end
 * counts on into the next month: check with sl_dt_date_valid first. */
static inline int64_t sl_dt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

/* The date of day `days` since 1970-01-01 (any int64 that does not overflow + 719468). */
static inline void sl_dt_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Splits ms into days since 1970-01-01 (floored, so -1 ms is day -1) and the milliseconds
 * into that day (0 .. 86399999). Every int64. */
static inline int64_t sl_dt_split(int64_t ms, uint32_t *ms_of_day)
{
    int64_t days = ms / SL_DT_MS_PER_DAY, rem = ms % SL_DT_MS_PER_DAY;
    if (rem < 0) {
        rem += SL_DT_MS_PER_DAY;
        days--;
    }
    *ms_of_day = (uint32_t)rem;
    return days;
}

/* Milliseconds of a date and time of day; no checks (the fields must be valid and the year
 * within 0..9999 or so, which sl_dt_parse guarantees). */
static inline int64_t sl_dt_to_ms(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                                  unsigned s, unsigned milli)
{
    return sl_dt_days_from_civil(y, mo, d) * SL_DT_MS_PER_DAY +
           (int64_t)(((h * 60 + mi) * 60 + s) * 1000 + milli);
}

/* ---- text -------------------------------------------------------------------------------- */

/*
 * Reads n bytes at s (no NUL needed; nothing past n is read) by the rules above into *ms.
 * Returns 0, SL_EPARSE (not the shape) or SL_ERANGE (a field out of range), with *why set
 * to a static description of what is wrong when not 0.
 */
int sl_dt_parse(const char *s, size_t n, int64_t *ms, const char **why);

/* Writes ms in `style` at buf (room for SL_DT_TEXT_MAX bytes; no NUL); returns the length. */
size_t sl_dt_format(char *buf, int64_t ms, sl_dt_style style);

/* The year part for years outside 0000..9999 (out of line: it never comes from the
 * generators and rarely from data); returns the end. */
char *sl_dt_put_year_wide(char *p, int64_t y);

static inline char *sl_dt_put2(char *p, unsigned v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    p[0] = pairs[2 * v];
    p[1] = pairs[2 * v + 1];
    return p + 2;
}

/* sl_dt_format's body, inline for the hot paths (a constant style folds away); returns the
 * end of what it wrote. */
static inline char *sl_dt_put(char *p, int64_t ms, sl_dt_style style)
{
    uint32_t r;
    int64_t y;
    unsigned mo, d;
    sl_dt_civil_from_days(sl_dt_split(ms, &r), &y, &mo, &d);
    if (y >= 0 && y <= 9999) {
        p = sl_dt_put2(p, (unsigned)(y / 100));
        p = sl_dt_put2(p, (unsigned)(y % 100));
    } else {
        p = sl_dt_put_year_wide(p, y);
    }
    *p++ = '-';
    p = sl_dt_put2(p, mo);
    *p++ = '-';
    p = sl_dt_put2(p, d);
    *p++ = style == SL_DT_SQL || style == SL_DT_SQL_Z ? ' ' : 'T';
    unsigned sec = r / 1000 % 60, milli = r % 1000;
    p = sl_dt_put2(p, r / 3600000);
    *p++ = ':';
    p = sl_dt_put2(p, r / 60000 % 60);
    if (style != SL_DT_JAVA || sec || milli) {
        *p++ = ':';
        p = sl_dt_put2(p, sec);
    }
    if ((style != SL_DT_JAVA && style != SL_DT_INSTANT) || milli) {
        *p++ = '.';
        *p++ = (char)('0' + milli / 100);
        p = sl_dt_put2(p, milli % 100);
    }
    if (style == SL_DT_SQL_Z || style == SL_DT_INSTANT)
        *p++ = 'Z';
    return p;
}

#endif
