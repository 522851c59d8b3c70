/*
 * engine/core/dtpattern.c - Java date-time patterns (see dtpattern.h for the letters, the two
 * dialects and where in Flink they come from).
 *
 * A compiled pattern is a flat array of fields (a letter and its count, or a run of literal
 * bytes); writing a value splits it once into calendar fields and then walks the array, so
 * 'yyyy-MM-dd' costs one civil_from_days and ten byte stores. Reading walks the same array
 * and resolves the fields at the end, as java.time's resolver and SimpleDateFormat's lenient
 * calendar do.
 *
 * The time units follow Flink 1.20's DateTimeUtils and Calcite's date functions line by line
 * where Flink's results depend on their arithmetic (days truncated toward zero before 1970,
 * subtractMonths' end-of-month rule), on the proleptic Gregorian calendar throughout.
 */
#include "engine/core/dtpattern.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/core/datetime.h"
#include "engine/core/error.h"

/* ---- compiling ------------------------------------------------------------------------------ */

static bool dtp_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The largest count a letter takes in DTF (0: not a pattern letter sluice knows). */
static unsigned dtp_dtf_max(char c)
{
    switch (c) {
    case 'y':
    case 'u':
        return 19;
    case 'M':
    case 'L':
    case 'E':
    case 'Q':
    case 'q':
    case 'G':
        return 5;
    case 'd':
    case 'H':
    case 'm':
    case 's':
    case 'h':
    case 'k':
    case 'K':
        return 2;
    case 'D':
        return 3;
    case 'S':
        return 9;
    case 'a':
        return 1;
    case 'A':
    case 'n':
    case 'N':
        return 19;
    default:
        return 0;
    }
}

/* Letters java.time knows that sluice does not support (weeks, week-based years, zones...). */
static bool dtp_dtf_known(char c)
{
    return strchr("YwWecFVvzOXxZBg", c) != NULL;
}

static bool dtp_sdf_ok(char c)
{
    return strchr("GyMLDdEuaHkKhmsS", c) != NULL;
}

static bool dtp_sdf_known(char c)
{
    return strchr("YwWFzZX", c) != NULL;
}

static int dtp_add(struct sl_dtp *out, uint8_t kind, unsigned count, const char *lit, size_t len,
                   char *why, size_t cap)
{
    if (out->nfields == SL_DTP_MAX_FIELDS) {
        snprintf(why, cap, "pattern has more than %d fields", SL_DTP_MAX_FIELDS);
        return SL_EINVAL;
    }
    struct sl_dtp_field *f = &out->f[out->nfields];
    f->kind = kind;
    f->count = (uint8_t)count;
    f->off = 0;
    f->len = 0;
    if (kind == 0) {
        size_t used = 0;
        for (uint32_t i = 0; i < out->nfields; i++)
            if (out->f[i].kind == 0)
                used = out->f[i].off + out->f[i].len;
        /* literal bytes next to the previous literal join it */
        if (out->nfields && out->f[out->nfields - 1].kind == 0) {
            struct sl_dtp_field *p = &out->f[out->nfields - 1];
            if (used + len > SL_DTP_MAX_LIT)
                goto too_long;
            memcpy(out->lit + used, lit, len);
            p->len = (uint16_t)(p->len + len);
            out->maxlen += (uint32_t)len;
            return 0;
        }
        if (used + len > SL_DTP_MAX_LIT)
            goto too_long;
        memcpy(out->lit + used, lit, len);
        f->off = (uint16_t)used;
        f->len = (uint16_t)len;
        out->maxlen += (uint32_t)len;
    } else {
        out->maxlen += count > 20 ? count : 20;
    }
    out->nfields++;
    return 0;
too_long:
    snprintf(why, cap, "pattern has more than %d bytes of literal text", SL_DTP_MAX_LIT);
    return SL_EINVAL;
}

int sl_dtp_compile(struct sl_dtp *out, const char *pat, size_t n, sl_dtp_dialect dialect, char *why,
                   size_t cap)
{
    out->dialect = dialect;
    out->nfields = 0;
    out->maxlen = 0;
    bool dtf = dialect == SL_DTP_DTF;
    int depth = 0;
    for (size_t i = 0; i < n;) {
        char c = pat[i];
        if (dtp_letter(c)) {
            size_t j = i;
            while (j < n && pat[j] == c)
                j++;
            size_t count = j - i;
            if (dtf) {
                unsigned max = dtp_dtf_max(c);
                if (!max) {
                    if (dtp_dtf_known(c))
                        snprintf(why, cap, "pattern letter '%c' is not supported by sluice", c);
                    else
                        snprintf(why, cap, "Unknown pattern letter: %c", c);
                    return SL_EINVAL;
                }
                if (count > max) {
                    snprintf(why, cap, "Too many pattern letters: %c", c);
                    return SL_EINVAL;
                }
            } else {
                if (!dtp_sdf_ok(c)) {
                    if (dtp_sdf_known(c))
                        snprintf(why, cap, "pattern letter '%c' is not supported by sluice", c);
                    else
                        snprintf(why, cap, "Illegal pattern character '%c'", c);
                    return SL_EINVAL;
                }
                if (count > 19)
                    count = 19; /* wider padding than any value has digits: same text */
            }
            int rc = dtp_add(out, (uint8_t)c, (unsigned)count, NULL, 0, why, cap);
            if (rc)
                return rc;
            i = j;
            continue;
        }
        if (c == '\'') {
            if (i + 1 < n && pat[i + 1] == '\'') { /* '' is one quote */
                int rc = dtp_add(out, 0, 0, "'", 1, why, cap);
                if (rc)
                    return rc;
                i += 2;
                continue;
            }
            size_t j = i + 1;
            for (;;) {
                if (j >= n) {
                    if (dtf)
                        snprintf(why, cap, "Pattern ends with an incomplete string literal");
                    else
                        snprintf(why, cap, "Unterminated quote");
                    return SL_EINVAL;
                }
                if (pat[j] == '\'') {
                    if (j + 1 < n && pat[j + 1] == '\'') {
                        int rc = dtp_add(out, 0, 0, "'", 1, why, cap);
                        if (rc)
                            return rc;
                        j += 2;
                        continue;
                    }
                    break;
                }
                size_t k = j;
                while (k < n && pat[k] != '\'')
                    k++;
                int rc = dtp_add(out, 0, 0, pat + j, k - j, why, cap);
                if (rc)
                    return rc;
                j = k;
            }
            i = j + 1;
            continue;
        }
        if (dtf && (c == '[' || c == ']')) {
            /* optional sections: a TIMESTAMP has every field, so they are always written */
            if (c == ']' && --depth < 0) {
                snprintf(why, cap, "Pattern invalid as it contains ] without previous [");
                return SL_EINVAL;
            }
            depth += c == '[';
            i++;
            continue;
        }
        if (dtf && (c == '#' || c == '{' || c == '}')) {
            snprintf(why, cap, "Pattern includes reserved character: '%c'", c);
            return SL_EINVAL;
        }
        int rc = dtp_add(out, 0, 0, pat + i, 1, why, cap);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

/* ---- writing -------------------------------------------------------------------------------- */

static const char *const dtp_months[12] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};
static const char *const dtp_days[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
static const char *const dtp_quarters[4] = {"1st quarter", "2nd quarter", "3rd quarter",
                                            "4th quarter"};

/* v >= 0 in at least `width` digits. */
static char *dtp_num(char *p, uint64_t v, unsigned width)
{
    char tmp[24];
    unsigned k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k < width && k < 20)
        tmp[k++] = '0';
    while (k)
        *p++ = tmp[--k];
    return p;
}

static char *dtp_snum(char *p, int64_t v, unsigned width)
{
    if (v < 0) {
        *p++ = '-';
        return dtp_num(p, 0 - (uint64_t)v, width);
    }
    return dtp_num(p, (uint64_t)v, width);
}

static unsigned dtp_digits(uint64_t v)
{
    unsigned k = 1;
    while (v >= 10) {
        v /= 10;
        k++;
    }
    return k;
}

static char *dtp_text(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}

/* A java.time year field (y: year of era, u: proleptic year) at `count` letters. */
static char *dtp_dtf_year(char *p, int64_t v, unsigned count)
{
    uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (count == 2) /* reduced: the last two digits */
        return dtp_num(p, a % 100, 2);
    if (count < 4)
        return dtp_snum(p, v, count);
    /* SignStyle.EXCEEDS_PAD: '+' when the value has more digits than the width */
    if (v < 0)
        *p++ = '-';
    else if (dtp_digits(a) > count)
        *p++ = '+';
    return dtp_num(p, a, count);
}

size_t sl_dtp_format(const struct sl_dtp *pat, int64_t ms, char *buf)
{
    uint32_t r;
    int64_t days = sl_dt_split(ms, &r), y;
    unsigned mo, d;
    sl_dt_civil_from_days(days, &y, &mo, &d);
    unsigned hour = r / 3600000, minute = r / 60000 % 60, sec = r / 1000 % 60, milli = r % 1000;
    unsigned dow = (unsigned)(((days % 7) + 7 + 3) % 7); /* 0 = Monday; day 0 was a Thursday */
    int64_t yoe = y > 0 ? y : 1 - y;
    bool dtf = pat->dialect == SL_DTP_DTF;
    char *p = buf;
    for (uint32_t i = 0; i < pat->nfields; i++) {
        const struct sl_dtp_field *f = &pat->f[i];
        unsigned c = f->count;
        switch (f->kind) {
        case 0:
            p = dtp_text(p, pat->lit + f->off, f->len);
            break;
        case 'y':
            if (dtf)
                p = dtp_dtf_year(p, yoe, c);
            else
                p = c == 2 ? dtp_num(p, (uint64_t)yoe % 100, 2) : dtp_num(p, (uint64_t)yoe, c);
            break;
        case 'u':
            if (dtf)
                p = dtp_dtf_year(p, y, c);
            else
                p = dtp_num(p, dow + 1, c);
            break;
        case 'M':
        case 'L':
            if (c >= 3) {
                const char *name = dtp_months[mo - 1];
                if (dtf && c == 5)
                    p = dtp_text(p, name, 1);
                else
                    p = dtp_text(p, name, c == 3 ? 3 : strlen(name));
            } else {
                p = dtp_num(p, mo, c);
            }
            break;
        case 'd':
            p = dtp_num(p, d, c);
            break;
        case 'D': {
            unsigned doy = (unsigned)(days - sl_dt_days_from_civil(y, 1, 1)) + 1;
            p = dtp_num(p, doy, c);
            break;
        }
        case 'H':
            p = dtp_num(p, hour, c);
            break;
        case 'k':
            p = dtp_num(p, hour ? hour : 24, c);
            break;
        case 'K':
            p = dtp_num(p, hour % 12, c);
            break;
        case 'h':
            p = dtp_num(p, hour % 12 ? hour % 12 : 12, c);
            break;
        case 'm':
            p = dtp_num(p, minute, c);
            break;
        case 's':
            p = dtp_num(p, sec, c);
            break;
        case 'S':
            if (dtf) { /* the fraction's first c of 9 digits */
                char frac[9];
                dtp_num(frac, (uint64_t)milli * 1000000u, 9);
                p = dtp_text(p, frac, c);
            } else {
                p = dtp_num(p, milli, c);
            }
            break;
        case 'A':
            p = dtp_num(p, r, c == 1 ? 1 : c);
            break;
        case 'n':
            p = dtp_num(p, (uint64_t)milli * 1000000u, c == 1 ? 1 : c);
            break;
        case 'N':
            p = dtp_num(p, (uint64_t)r * 1000000u, c == 1 ? 1 : c);
            break;
        case 'a':
            p = dtp_text(p, hour < 12 ? "AM" : "PM", 2);
            break;
        case 'E': {
            const char *name = dtp_days[dow];
            if (dtf && c == 5)
                p = dtp_text(p, name, 1);
            else
                p = dtp_text(p, name, c >= 4 ? strlen(name) : 3);
            break;
        }
        case 'Q':
        case 'q': {
            unsigned q = (mo - 1) / 3 + 1;
            if (c == 3) {
                *p++ = 'Q';
                p = dtp_num(p, q, 1);
            } else if (c == 4) {
                p = dtp_text(p, dtp_quarters[q - 1], 11);
            } else {
                p = dtp_num(p, q, c == 2 ? 2 : 1);
            }
            break;
        }
        case 'G':
            if (dtf && c == 4)
                p = y > 0 ? dtp_text(p, "Anno Domini", 11) : dtp_text(p, "Before Christ", 13);
            else if (dtf && c == 5)
                *p++ = y > 0 ? 'A' : 'B';
            else
                p = dtp_text(p, y > 0 ? "AD" : "BC", 2);
            break;
        default:
            break;
        }
    }
    return (size_t)(p - buf);
}

/* ---- reading -------------------------------------------------------------------------------- */

static bool dtp_numeric(const struct sl_dtp_field *f)
{
    switch (f->kind) {
    case 0:
    case 'a':
    case 'E':
    case 'G':
        return false;
    case 'M':
    case 'L':
        return f->count < 3;
    case 'Q':
    case 'q':
        return f->count < 3 || f->count == 5;
    default:
        return true;
    }
}

/* Matches one of `n` names (or their first three letters when `abbr`) at s. */
static int dtp_match_name(const char *s, size_t left, const char *const *names, int n, bool abbr,
                          bool fold, size_t *used)
{
    for (int i = 0; i < n; i++) {
        size_t len = abbr ? 3 : strlen(names[i]);
        if (len <= left &&
            (fold ? strncasecmp(s, names[i], len) : strncmp(s, names[i], len)) == 0) {
            *used = len;
            return i;
        }
    }
    return -1;
}

/* SimpleDateFormat's two-digit year: the one within 80 years before and 20 after now. */
static int64_t dtp_sdf_century(int64_t yy)
{
    int64_t start = 1970 + (int64_t)time(NULL) / 31556952 - 80; /* mean Gregorian year */
    int64_t y = start / 100 * 100 + yy;
    return y < start ? y + 100 : y;
}

struct dtp_parsed {
    int64_t year, month, day, doy, hour, hour12, minute, second, milli;
    int ampm; /* -1 unknown, 0 AM, 1 PM */
    bool has_year, has_month, has_day, has_doy, has_hour, has_hour12;
};

bool sl_dtp_parse(const struct sl_dtp *pat, const char *s, size_t n, int64_t *ms)
{
    bool dtf = pat->dialect == SL_DTP_DTF;
    struct dtp_parsed v = {.year = 1970, .month = 1, .day = 1, .ampm = -1};
    size_t i = 0;
    for (uint32_t k = 0; k < pat->nfields; k++) {
        const struct sl_dtp_field *f = &pat->f[k];
        size_t left = n - i;
        if (f->kind == 0) {
            if (left < f->len || memcmp(s + i, pat->lit + f->off, f->len) != 0)
                return false;
            i += f->len;
            continue;
        }
        if (!dtp_numeric(f)) {
            size_t used = 0;
            int idx;
            switch (f->kind) {
            case 'M':
            case 'L':
                idx = dtp_match_name(s + i, left, dtp_months, 12, f->count == 3, !dtf, &used);
                if (idx < 0)
                    return false;
                v.month = idx + 1;
                v.has_month = true;
                break;
            case 'E':
                idx = dtp_match_name(s + i, left, dtp_days, 7, f->count < 4, !dtf, &used);
                if (idx < 0)
                    return false;
                break;
            case 'a': {
                static const char *const ap[2] = {"AM", "PM"};
                idx = dtp_match_name(s + i, left, ap, 2, false, !dtf, &used);
                if (idx < 0)
                    return false;
                v.ampm = idx;
                break;
            }
            case 'Q':
            case 'q':
                if (f->count == 3) {
                    if (left < 2 || s[i] != 'Q' || s[i + 1] < '1' || s[i + 1] > '4')
                        return false;
                    used = 2;
                } else {
                    idx = dtp_match_name(s + i, left, dtp_quarters, 4, false, false, &used);
                    if (idx < 0)
                        return false;
                }
                break;
            default: { /* G */
                static const char *const era[2] = {"AD", "BC"};
                idx = dtp_match_name(s + i, left, era, 2, false, !dtf, &used);
                if (idx != 0)
                    return false; /* years before year 1 are not read */
                break;
            }
            }
            i += used;
            continue;
        }
        /* a number: its width when another number follows directly, else up to 9 digits
         * (a year 9: nothing larger is a TIMESTAMP) */
        bool adjacent = k + 1 < pat->nfields && dtp_numeric(&pat->f[k + 1]);
        unsigned minw = 1, maxw = 9;
        if (adjacent) {
            minw = maxw = f->count < 2 ? 1 : f->count;
            if ((f->kind == 'y' || f->kind == 'u') && f->count == 2)
                minw = maxw = 2;
        } else if (dtf && f->kind != 'y' && f->kind != 'u' && f->count == 2) {
            minw = maxw = 2; /* appendValue(field, 2): exactly two digits */
        } else if (dtf && f->count >= 2 && f->kind != 'S') {
            minw = f->count; /* padded fields need at least their width */
        }
        if (f->kind == 'S' && dtf)
            minw = maxw = f->count;
        bool neg = false;
        if (!dtf || f->kind == 'u' || (f->kind == 'y' && f->count >= 4)) {
            if (i < n && (s[i] == '-' || s[i] == '+') && !(f->kind == 'y' && dtf)) {
                neg = s[i] == '-';
                i++;
            }
        }
        size_t j = i;
        int64_t val = 0;
        while (j < n && j - i < maxw && s[j] >= '0' && s[j] <= '9')
            val = val * 10 + (s[j++] - '0');
        if (j - i < minw || j == i)
            return false;
        unsigned ndig = (unsigned)(j - i);
        i = j;
        if (neg)
            val = -val;
        switch (f->kind) {
        case 'y':
        case 'u':
            if (f->kind == 'u' && !dtf)
                break; /* SDF: day of week */
            if (f->count == 2 && ndig == 2 && dtf)
                val += 2000; /* reduced year: base 2000 */
            else if (f->count <= 2 && ndig == 2 && !dtf)
                val = dtp_sdf_century(val);
            v.year = val;
            v.has_year = true;
            break;
        case 'M':
        case 'L':
            v.month = val;
            v.has_month = true;
            break;
        case 'd':
            v.day = val;
            v.has_day = true;
            break;
        case 'D':
            v.doy = val;
            v.has_doy = true;
            break;
        case 'H':
            v.hour = val;
            v.has_hour = true;
            break;
        case 'k':
            v.hour = val == 24 ? 0 : val;
            v.has_hour = true;
            break;
        case 'K':
            v.hour12 = val;
            v.has_hour12 = true;
            break;
        case 'h':
            v.hour12 = val == 12 ? 0 : val;
            v.has_hour12 = true;
            break;
        case 'm':
            v.minute = val;
            break;
        case 's':
            v.second = val;
            break;
        case 'S':
            if (dtf) {
                while (ndig < 3) {
                    val *= 10;
                    ndig++;
                }
                while (ndig > 3) {
                    val /= 10;
                    ndig--;
                }
            }
            v.milli = val;
            break;
        default: /* A n N q Q: read, not used */
            break;
        }
    }
    if (dtf && i != n)
        return false;
    if (v.has_hour12 && !v.has_hour)
        v.hour = v.hour12 + (v.ampm == 1 ? 12 : 0);
    else if (v.has_hour && v.ampm == 1 && !dtf && v.hour < 12)
        v.hour += 12;
    if (dtf) {
        /* ResolverStyle.SMART */
        if (v.year < 0 || v.year > 9999 || v.month < 1 || v.month > 12 || v.day < 1 || v.day > 31 ||
            v.hour < 0 || v.hour > 23 || v.minute < 0 || v.minute > 59 || v.second < 0 ||
            v.second > 59 || (v.has_hour12 && (v.hour12 < 0 || v.hour12 > 11)))
            return false;
        int64_t days;
        if (v.has_doy && !v.has_month && !v.has_day) {
            if (v.doy < 1 || v.doy > 365 + sl_dt_is_leap(v.year))
                return false;
            days = sl_dt_days_from_civil(v.year, 1, 1) + v.doy - 1;
        } else {
            unsigned last = sl_dt_month_days(v.year, (unsigned)v.month);
            unsigned day = (unsigned)v.day > last ? last : (unsigned)v.day;
            days = sl_dt_days_from_civil(v.year, (unsigned)v.month, day);
        }
        *ms = days * SL_DT_MS_PER_DAY + ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.milli;
        return true;
    }
    /* lenient: every field carries over into the next larger one */
    if (v.year > 9999999 || v.year < -9999999)
        return false;
    int64_t m0 = v.month - 1;
    int64_t y = v.year + (m0 >= 0 ? m0 / 12 : -((11 - m0) / 12));
    int64_t mo = m0 - (y - v.year) * 12 + 1;
    if (y > 9999999 || y < -9999999)
        return false;
    int64_t days = sl_dt_days_from_civil(y, (unsigned)mo, 1);
    days += v.has_doy && !v.has_month && !v.has_day ? v.doy - 1 : v.day - 1;
    __int128 t = (__int128)days * SL_DT_MS_PER_DAY +
                 (((__int128)v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.milli;
    if (t > INT64_MAX || t < INT64_MIN)
        return false;
    *ms = (int64_t)t;
    return true;
}

/* DateTimeUtils' DEFAULT_TIMESTAMP_FORMATTER: yyyy-[MM][M]-[dd][d][ [HH][H]:[mm][m]:[ss][s][.f]] */
static bool dtp_digits12(const char *s, size_t n, size_t *i, int64_t *v)
{
    size_t j = *i;
    if (j >= n || s[j] < '0' || s[j] > '9')
        return false;
    int64_t x = s[j++] - '0';
    if (j < n && s[j] >= '0' && s[j] <= '9')
        x = x * 10 + (s[j++] - '0');
    *v = x;
    *i = j;
    return true;
}

bool sl_dtp_parse_default(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0;
    if (n < 4)
        return false;
    int64_t y = 0, mo, d, h = 0, mi = 0, sec = 0, milli = 0;
    for (; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        y = y * 10 + (s[i] - '0');
    }
    if (i >= n || s[i++] != '-' || !dtp_digits12(s, n, &i, &mo) || i >= n || s[i++] != '-' ||
        !dtp_digits12(s, n, &i, &d))
        return false;
    if (i < n) {
        if (s[i++] != ' ' || !dtp_digits12(s, n, &i, &h) || i >= n || s[i++] != ':' ||
            !dtp_digits12(s, n, &i, &mi) || i >= n || s[i++] != ':' ||
            !dtp_digits12(s, n, &i, &sec))
            return false;
        if (i < n) {
            if (s[i++] != '.')
                return false;
            unsigned nd = 0;
            while (i < n && s[i] >= '0' && s[i] <= '9' && nd < 9) {
                if (nd < 3)
                    milli = milli * 10 + (s[i] - '0');
                nd++;
                i++;
            }
            if (i != n)
                return false;
            for (unsigned k = nd; k < 3; k++)
                milli *= 10;
        }
    }
    /* ResolverStyle.SMART: a day past the month's end is its last day */
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return false;
    unsigned last = sl_dt_month_days(y, (unsigned)mo);
    *ms = sl_dt_to_ms(y, (unsigned)mo, (unsigned)d > last ? last : (unsigned)d, (unsigned)h,
                      (unsigned)mi, (unsigned)sec, (unsigned)milli);
    return true;
}

/* ---- time units ------------------------------------------------------------------------------ */

static const char *const dtp_unit_names[SL_TU_COUNT] = {
    [SL_TU_MILLISECOND] = "MILLISECOND",
    [SL_TU_MICROSECOND] = "MICROSECOND",
    [SL_TU_NANOSECOND] = "NANOSECOND",
    [SL_TU_SECOND] = "SECOND",
    [SL_TU_MINUTE] = "MINUTE",
    [SL_TU_HOUR] = "HOUR",
    [SL_TU_DAY] = "DAY",
    [SL_TU_WEEK] = "WEEK",
    [SL_TU_MONTH] = "MONTH",
    [SL_TU_QUARTER] = "QUARTER",
    [SL_TU_YEAR] = "YEAR",
    [SL_TU_DECADE] = "DECADE",
    [SL_TU_CENTURY] = "CENTURY",
    [SL_TU_MILLENNIUM] = "MILLENNIUM",
    [SL_TU_DOW] = "DOW",
    [SL_TU_ISODOW] = "ISODOW",
    [SL_TU_DOY] = "DOY",
    [SL_TU_ISOYEAR] = "ISOYEAR",
    [SL_TU_EPOCH] = "EPOCH",
};

sl_time_unit sl_time_unit_find(const char *name)
{
    for (int u = 0; u < SL_TU_COUNT; u++)
        if (strcasecmp(name, dtp_unit_names[u]) == 0)
            return (sl_time_unit)u;
    return SL_TU_COUNT;
}

const char *sl_time_unit_name(sl_time_unit u)
{
    return (unsigned)u < SL_TU_COUNT ? dtp_unit_names[u] : "?";
}

static int64_t dtp_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t dtp_floor_mod(int64_t a, int64_t b)
{
    return a - dtp_floor_div(a, b) * b;
}

/* The ISO-8601 week-based year and week of day `days`. */
static void dtp_iso_week(int64_t days, int64_t *iso_year, int64_t *week)
{
    int64_t wd = dtp_floor_mod(days + 3, 7) + 1; /* Monday 1 .. Sunday 7 */
    int64_t thursday = days - wd + 4, y;
    unsigned m, d;
    sl_dt_civil_from_days(thursday, &y, &m, &d);
    *iso_year = y;
    *week = (thursday - sl_dt_days_from_civil(y, 1, 1)) / 7 + 1;
}

int64_t sl_time_extract(sl_time_unit u, int64_t ms)
{
    int64_t days = ms / SL_DT_MS_PER_DAY, rem = ms % SL_DT_MS_PER_DAY, y, iy, wk;
    unsigned m, d;
    switch (u) {
    case SL_TU_MILLISECOND:
        return rem % 1000;
    case SL_TU_MICROSECOND:
        return rem % 1000 * 1000;
    case SL_TU_NANOSECOND:
        return rem % 1000 * 1000000;
    case SL_TU_SECOND:
        return rem / 1000 % 60;
    case SL_TU_MINUTE:
        return rem / 60000 % 60;
    case SL_TU_HOUR:
        return rem / 3600000;
    case SL_TU_EPOCH:
        return ms / 1000;
    case SL_TU_DOW:
        return dtp_floor_mod(days + 4, 7) + 1; /* Sunday 1 .. Saturday 7 */
    case SL_TU_ISODOW:
        return dtp_floor_mod(days + 3, 7) + 1;
    case SL_TU_WEEK:
        dtp_iso_week(days, &iy, &wk);
        return wk;
    case SL_TU_ISOYEAR:
        dtp_iso_week(days, &iy, &wk);
        return iy;
    default:
        break;
    }
    sl_dt_civil_from_days(days, &y, &m, &d);
    switch (u) {
    case SL_TU_DAY:
        return d;
    case SL_TU_MONTH:
        return m;
    case SL_TU_QUARTER:
        return (m + 2) / 3;
    case SL_TU_YEAR:
        return y;
    case SL_TU_DOY:
        return days - sl_dt_days_from_civil(y, 1, 1) + 1;
    case SL_TU_DECADE:
        return dtp_floor_div(y, 10);
    case SL_TU_CENTURY:
        return y > 0 ? (y + 99) / 100 : -((99 - y) / 100);
    case SL_TU_MILLENNIUM:
        return y > 0 ? (y + 999) / 1000 : -((999 - y) / 1000);
    default:
        return 0;
    }
}

bool sl_time_add_months(int64_t ms, int64_t n, int64_t *out)
{
    uint32_t r;
    int64_t days = sl_dt_split(ms, &r), y;
    unsigned m, d;
    sl_dt_civil_from_days(days, &y, &m, &d);
    if (n > INT64_C(1) << 40 || n < -(INT64_C(1) << 40))
        return false;
    int64_t m0 = (int64_t)m - 1 + n;
    y += dtp_floor_div(m0, 12);
    m = (unsigned)dtp_floor_mod(m0, 12) + 1;
    if (y > INT64_C(290000000) || y < -INT64_C(290000000))
        return false;
    unsigned last = sl_dt_month_days(y, m);
    if (d > last)
        d = last;
    __int128 t = (__int128)sl_dt_days_from_civil(y, m, d) * SL_DT_MS_PER_DAY + r;
    if (t > INT64_MAX || t < INT64_MIN)
        return false;
    *out = (int64_t)t;
    return true;
}

static int64_t dtp_add_months_days(int64_t days, int64_t n)
{
    int64_t t;
    if (days > INT64_MAX / SL_DT_MS_PER_DAY || days < INT64_MIN / SL_DT_MS_PER_DAY ||
        !sl_time_add_months(days * SL_DT_MS_PER_DAY, n, &t))
        return n < 0 ? INT64_MIN / SL_DT_MS_PER_DAY : INT64_MAX / SL_DT_MS_PER_DAY;
    return dtp_floor_div(t, SL_DT_MS_PER_DAY);
}

/* Calcite's DateTimeUtils.subtractMonths(int date0, int date1), on days. */
static int64_t dtp_sub_months_days(int64_t d0, int64_t d1)
{
    if (d0 < d1)
        return -dtp_sub_months_days(d1, d0);
    /* Calcite starts from (d0 - d1) / 31 and counts up; the calendar months between them,
     * less one, is also never more than the answer and leaves at most two steps */
    int64_t y0, y1, m = (d0 - d1) / 31;
    unsigned m0, m1, dd;
    sl_dt_civil_from_days(d0, &y0, &m0, &dd);
    sl_dt_civil_from_days(d1, &y1, &m1, &dd);
    int64_t cal = (y0 - y1) * 12 + (int64_t)m0 - (int64_t)m1 - 1;
    if (cal > m)
        m = cal;
    for (;;) {
        if (dtp_add_months_days(d1, m) >= d0)
            return m;
        if (dtp_add_months_days(d1, m + 1) > d0)
            return m;
        ++m;
    }
}

int64_t sl_time_diff_months(int64_t b, int64_t a)
{
    if (b > SL_DT_MS_PER_DAY * INT64_C(100000000) || b < -SL_DT_MS_PER_DAY * INT64_C(100000000) ||
        a > SL_DT_MS_PER_DAY * INT64_C(100000000) || a < -SL_DT_MS_PER_DAY * INT64_C(100000000))
        return 0; /* callers keep to TIMESTAMP's range; this keeps the loop short */
    uint32_t r0, r1;
    int64_t d0 = sl_dt_split(b, &r0), d1 = sl_dt_split(a, &r1);
    int64_t x = dtp_sub_months_days(d0, d1);
    if (dtp_add_months_days(d1, x) == d0 && r0 < r1)
        --x;
    return x;
}

bool sl_time_floor(sl_time_unit u, int64_t ms, bool ceil, int64_t *out)
{
    int64_t unit = 0;
    switch (u) {
    case SL_TU_MILLISECOND:
        *out = ms;
        return true;
    case SL_TU_SECOND:
        unit = 1000;
        break;
    case SL_TU_MINUTE:
        unit = 60000;
        break;
    case SL_TU_HOUR:
        unit = 3600000;
        break;
    case SL_TU_DAY:
        unit = SL_DT_MS_PER_DAY;
        break;
    default:
        break;
    }
    if (unit) {
        __int128 f128 = (__int128)dtp_floor_div(ms, unit) * unit;
        if (f128 < INT64_MIN)
            return false;
        int64_t f = (int64_t)f128;
        if (ceil && f != ms) {
            if (f > INT64_MAX - unit)
                return false;
            f += unit;
        }
        *out = f;
        return true;
    }
    /* Flink (DateTimeUtils.timestampFloor / timestampCeil, Calcite's julianDateFloor): the
     * day is ms / 86400000 truncated toward zero, and CEIL moves up only when that day is not
     * the first of its period: the time of day is not looked at */
    int64_t days = ms / SL_DT_MS_PER_DAY, y, fdays;
    unsigned m, d;
    sl_dt_civil_from_days(days, &y, &m, &d);
    int64_t step_months = 0;
    switch (u) {
    case SL_TU_WEEK: /* weeks start on Sunday */
        fdays = days - dtp_floor_mod(days + 4, 7);
        if (ceil && fdays != days)
            fdays += 7;
        break;
    case SL_TU_MONTH:
        step_months = 1;
        fdays = sl_dt_days_from_civil(y, m, 1);
        break;
    case SL_TU_QUARTER:
        step_months = 3;
        fdays = sl_dt_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
        break;
    case SL_TU_YEAR:
        step_months = 12;
        fdays = sl_dt_days_from_civil(y, 1, 1);
        break;
    default:
        return false;
    }
    if (step_months && ceil && fdays != days)
        fdays = dtp_add_months_days(fdays, step_months);
    __int128 t = (__int128)fdays * SL_DT_MS_PER_DAY;
    if (t > INT64_MAX || t < INT64_MIN)
        return false;
    *out = (int64_t)t;
    return true;
}
