/*
 * engine/core/datetime.c - reading and writing TIMESTAMP(3) text (see datetime.h for the
 * rules and the Flink sources they come from).
 *
 * The reader is one left-to-right pass over (pointer, length): record bytes have no NUL, so
 * nothing past the length is read and nothing is copied. The shape is checked first and the
 * field ranges after it, so "2023-02-31 25:00" is reported for its day (the first field out
 * of range) and "2023-02-31 x" as a shape error.
 */
#include "engine/core/datetime.h"

#include "engine/core/error.h"

/* ---- reading ------------------------------------------------------------------------------ */

static inline bool dt_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Exactly `w` digits at *p (before end) into *v; false, with *p unmoved, if there are fewer. */
static bool dt_fixed(const char **p, const char *end, unsigned w, unsigned *v)
{
    const char *q = *p;
    if ((size_t)(end - q) < w)
        return false;
    unsigned acc = 0;
    for (unsigned k = 0; k < w; k++) {
        if (!dt_digit(q[k]))
            return false;
        acc = acc * 10 + (unsigned)(q[k] - '0');
    }
    *v = acc;
    *p = q + w;
    return true;
}

/* Why a day past the month's end is wrong: the month's length (February's by the year). */
static const char *dt_day_why(int64_t y, unsigned m)
{
    static const char *const why[13] = {
        NULL,
        "day out of range (January has 31 days)",
        "day out of range (February has 28 days: not a leap year)",
        "day out of range (March has 31 days)",
        "day out of range (April has 30 days)",
        "day out of range (May has 31 days)",
        "day out of range (June has 30 days)",
        "day out of range (July has 31 days)",
        "day out of range (August has 31 days)",
        "day out of range (September has 30 days)",
        "day out of range (October has 31 days)",
        "day out of range (November has 30 days)",
        "day out of range (December has 31 days)",
    };
    if (m == 2 && sl_dt_is_leap(y))
        return "day out of range (February has 29 days in a leap year)";
    return why[m];
}

int sl_dt_parse(const char *s, size_t n, int64_t *ms, const char **why)
{
    const char *p = s, *end = s + n;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, milli = 0;
    if (p == end) {
        *why = "empty (expected yyyy-MM-dd HH:mm:ss[.fraction])";
        return SL_EPARSE;
    }
    if (*p == '-' || *p == '+') {
        *why = "year out of range (0000 to 9999)";
        return SL_ERANGE;
    }
    if (!dt_fixed(&p, end, 4, &y)) {
        *why = "the year must have 4 digits (yyyy-MM-dd)";
        return SL_EPARSE;
    }
    if (p < end && dt_digit(*p)) {
        *why = "year out of range (0000 to 9999)";
        return SL_ERANGE;
    }
    if (p == end || *p++ != '-' || !dt_fixed(&p, end, 2, &mo)) {
        *why = "expected '-' and a 2-digit month after the year (yyyy-MM-dd)";
        return SL_EPARSE;
    }
    if (p == end || *p++ != '-' || !dt_fixed(&p, end, 2, &d)) {
        *why = "expected '-' and a 2-digit day after the month (yyyy-MM-dd)";
        return SL_EPARSE;
    }
    if (p < end) {
        if (*p != ' ' && *p != 'T' && *p != 't') {
            *why = dt_digit(*p) ? "the day must have 2 digits (yyyy-MM-dd)"
                                : "expected ' ' or 'T' between the date and the time";
            return SL_EPARSE;
        }
        p++;
        if (!dt_fixed(&p, end, 2, &h) || p == end || *p++ != ':' || !dt_fixed(&p, end, 2, &mi)) {
            *why = "the time must be HH:mm, HH:mm:ss or HH:mm:ss.fraction (2-digit fields)";
            return SL_EPARSE;
        }
        if (p < end && *p == ':') {
            p++;
            if (!dt_fixed(&p, end, 2, &sec)) {
                *why = "the seconds must have 2 digits";
                return SL_EPARSE;
            }
            if (p < end && *p == '.') {
                const char *f0 = ++p;
                for (; p < end && dt_digit(*p); p++)
                    if (p - f0 < 3)
                        milli = milli * 10 + (unsigned)(*p - '0');
                if (p == f0 || p - f0 > 9) {
                    *why = "the fraction of a second must have 1 to 9 digits";
                    return SL_EPARSE;
                }
                for (ptrdiff_t k = p - f0; k < 3; k++)
                    milli *= 10;
            }
        }
        if (p < end && *p == 'Z')
            p++;
    }
    if (p != end) {
        *why = "unexpected text after the timestamp";
        return SL_EPARSE;
    }
    if (mo < 1 || mo > 12) {
        *why = "month out of range (01 to 12)";
        return SL_ERANGE;
    }
    if (d < 1 || d > sl_dt_month_days(y, mo)) {
        *why = d < 1 ? "day out of range (days start at 01)" : dt_day_why(y, mo);
        return SL_ERANGE;
    }
    if (h > 23 || mi > 59 || sec > 59) {
        *why = h > 23    ? "hour out of range (00 to 23)"
               : mi > 59 ? "minute out of range (00 to 59)"
                         : "second out of range (00 to 59; there are no leap seconds)";
        return SL_ERANGE;
    }
    *ms = sl_dt_to_ms(y, mo, d, h, mi, sec, milli);
    return 0;
}

/* ---- writing ------------------------------------------------------------------------------ */

char *sl_dt_put_year_wide(char *p, int64_t y)
{
    uint64_t a = y < 0 ? 0 - (uint64_t)y : (uint64_t)y;
    *p++ = y < 0 ? '-' : '+';
    char tmp[20];
    unsigned k = 0;
    do {
        tmp[k++] = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    while (k < 4)
        tmp[k++] = '0';
    while (k)
        *p++ = tmp[--k];
    return p;
}

size_t sl_dt_format(char *buf, int64_t ms, sl_dt_style style)
{
    switch (style) {
    case SL_DT_ISO:
        return (size_t)(sl_dt_put(buf, ms, SL_DT_ISO) - buf);
    case SL_DT_JAVA:
        return (size_t)(sl_dt_put(buf, ms, SL_DT_JAVA) - buf);
    case SL_DT_SQL_Z:
        return (size_t)(sl_dt_put(buf, ms, SL_DT_SQL_Z) - buf);
    case SL_DT_INSTANT:
        return (size_t)(sl_dt_put(buf, ms, SL_DT_INSTANT) - buf);
    case SL_DT_SQL:
    default:
        return (size_t)(sl_dt_put(buf, ms, SL_DT_SQL) - buf);
    }
}
