/*
 * engine/core/dtpattern.h - Java date-time patterns ('yyyy-MM-dd HH:mm'), compiled once into
 * a list of fields and then used to write and read TIMESTAMP(3) values (engine/core/datetime.h)
 * for Flink's DATE_FORMAT, TO_TIMESTAMP, UNIX_TIMESTAMP and FROM_UNIXTIME; and the calendar
 * arithmetic of its time units (EXTRACT, FLOOR / CEIL TO, TIMESTAMPADD, TIMESTAMPDIFF), with
 * Flink's rounding of each (see the functions at the end).
 *
 * TWO DIALECTS, because Flink 1.20 uses two Java classes (DateTimeUtils):
 *   SL_DTP_DTF  java.time.format.DateTimeFormatter.ofPattern: DATE_FORMAT(TIMESTAMP, fmt) and
 *               TO_TIMESTAMP(s, fmt)
 *   SL_DTP_SDF  java.text.SimpleDateFormat (lenient): FROM_UNIXTIME(n, fmt),
 *               UNIX_TIMESTAMP(s, fmt) and DATE_FORMAT(STRING, fmt)
 *
 * LETTERS (count = how many times the letter repeats)
 *   letter  field                 DTF                                 SDF
 *   y       year of era           2: two digits; 1, 3: as is;         2: two digits; else padded
 *                                 4+: padded, '+' past the width      to the count
 *   u       year / day of week    proleptic year, like y              day of week 1 (Mon) .. 7
 *   M L     month                 1, 2: number; 3 Jan; 4 January;     1, 2: number; 3 Jan;
 *                                 5 J                                 4+ January
 *   d H m s day, hour, minute,    1: as is, 2: two digits, 3+ error   padded to the count
 *           second
 *   D       day of year           1..3                                padded to the count
 *   h k K   hour 1-12, 1-24, 0-11 as d                                as d
 *   S       DTF: fraction of the second, count digits (truncated);    SDF: milliseconds,
 *                                                                     padded to the count
 *   a       AM / PM               1 only                              any count
 *   E       day of week           1-3 Mon; 4 Monday; 5 M              1-3 Mon; 4+ Monday
 *   Q q     quarter               1 '1'; 2 '01'; 3 'Q1'; 4 '1st quarter'   (an error in SDF)
 *   'text'  literal text; '' is one quote; any other byte that is not an ASCII letter is
 *           literal (DTF: [ and ] (optional sections, always printed) are left out, and
 *           # { } are reserved and an error).
 * Every other ASCII letter is refused when the pattern is compiled, with Java's message
 * ("Unknown pattern letter: x" / "Illegal pattern character 'x'"): the letters of week-based
 * years, weeks of the year, eras and time zones (a TIMESTAMP has no zone; Flink formats a
 * LocalDateTime) are not supported. Text fields are English (Flink's default locale).
 *
 * READING (sl_dtp_parse) walks the same fields: literals must match exactly, numbers take
 * their width when they are followed directly by another number (yyyyMMdd), otherwise up to
 * 9 digits (19 for a year); text fields match their English names. A field left out is its
 * default (1970, January, the 1st, midnight). DTF reads strictly: trailing text is an
 * error, a day past the month's end is moved back to its last day (ResolverStyle.SMART),
 * other out-of-range fields are errors. SDF is lenient as SimpleDateFormat is: trailing text
 * is ignored and fields out of range carry over (month 13 is January of the next year).
 *
 * SIZE: a pattern compiles to at most SL_DTP_MAX_FIELDS fields and SL_DTP_MAX_LIT literal
 * bytes (longer patterns are refused: no allocation, a pattern is a plain value); one value
 * is written in at most sl_dtp.maxlen bytes.
 */
#ifndef SL_ENGINE_CORE_DTPATTERN_H
#define SL_ENGINE_CORE_DTPATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_DTP_MAX_FIELDS 64
#define SL_DTP_MAX_LIT 256

/* ---- time units (EXTRACT, FLOOR / CEIL TO, TIMESTAMPADD, TIMESTAMPDIFF) ------------------ */

typedef enum sl_time_unit {
    SL_TU_MILLISECOND,
    SL_TU_MICROSECOND,
    SL_TU_NANOSECOND,
    SL_TU_SECOND,
    SL_TU_MINUTE,
    SL_TU_HOUR,
    SL_TU_DAY,
    SL_TU_WEEK,
    SL_TU_MONTH,
    SL_TU_QUARTER,
    SL_TU_YEAR,
    SL_TU_DECADE,
    SL_TU_CENTURY,
    SL_TU_MILLENNIUM,
    SL_TU_DOW,
    SL_TU_ISODOW,
    SL_TU_DOY,
    SL_TU_ISOYEAR,
    SL_TU_EPOCH,
    SL_TU_COUNT
} sl_time_unit;

/* The unit named `name` (case-insensitive; DAYOFWEEK, DAYOFMONTH... are not units), or
 * SL_TU_COUNT. */
sl_time_unit sl_time_unit_find(const char *name);
const char *sl_time_unit_name(sl_time_unit u);

/* Flink's EXTRACT(unit FROM ts) of a TIMESTAMP(3) (DateTimeUtils.extractFromTimestamp): the
 * date is ms / 86400000 and the time of day ms % 86400000, both truncated toward zero as
 * Flink does (so before 1970 a time of day is negative: EXTRACT(HOUR FROM TIMESTAMP
 * '1969-12-31 23:59:59.999') is 0 and its MILLISECOND -1, as in Flink). */
int64_t sl_time_extract(sl_time_unit u, int64_t ms);

/* FLOOR / CEIL(ms TO unit): MILLISECOND..DAY on the floored time; WEEK (from Sunday), MONTH,
 * QUARTER, YEAR as Flink computes them: on the day ms / 86400000 truncated toward zero, and
 * CEIL moves to the next period only when that day is not its first, whatever the time of
 * day (so CEIL(TIMESTAMP '2024-03-01 13:00:00' TO MONTH) is 2024-03-01 00:00:00, as in Flink).
 * Returns false for other units and when the result is past the int64 range. */
bool sl_time_floor(sl_time_unit u, int64_t ms, bool ceil, int64_t *out);

/* The date ms plus n months, its day clamped to the new month's last (Flink's addMonths);
 * false on overflow. */
bool sl_time_add_months(int64_t ms, int64_t n, int64_t *out);

/* Whole months from a to b, Flink's DateTimeUtils.subtractMonths(b, a). */
int64_t sl_time_diff_months(int64_t b, int64_t a);

typedef enum sl_dtp_dialect { SL_DTP_DTF, SL_DTP_SDF } sl_dtp_dialect;

struct sl_dtp_field {
    uint8_t kind;  /* internal: a field letter, or 0 for literal text */
    uint8_t count; /* how many times the letter repeats */
    uint16_t off;  /* literal: its bytes in lit[] */
    uint16_t len;
};

struct sl_dtp {
    sl_dtp_dialect dialect;
    uint32_t nfields;
    uint32_t maxlen; /* the longest text one value can give */
    struct sl_dtp_field f[SL_DTP_MAX_FIELDS];
    char lit[SL_DTP_MAX_LIT];
};

/*
 * Compiles n bytes of pattern (any bytes; nothing past n is read) into *out. Returns 0, or
 * SL_EINVAL with `why` (room for `cap` bytes) saying what is wrong in Java's words.
 */
int sl_dtp_compile(struct sl_dtp *out, const char *pat, size_t n, sl_dtp_dialect dialect, char *why,
                   size_t cap);

/* Writes ms (any int64) at buf, which has room for pat->maxlen bytes; returns the length. */
size_t sl_dtp_format(const struct sl_dtp *pat, int64_t ms, char *buf);

/* Reads n bytes of text by the pattern into *ms; false when they do not match (see above). */
bool sl_dtp_parse(const struct sl_dtp *pat, const char *s, size_t n, int64_t *ms);

/*
 * Flink's TO_TIMESTAMP(s) without a format (DateTimeUtils' DEFAULT_TIMESTAMP_FORMATTER):
 * yyyy-M-d[ H:m:s[.fraction]] with one- or two-digit fields after the year, the fraction (up
 * to 9 digits) truncated to milliseconds, a day past the month's end moved back to its last
 * day. False when the text does not have that shape (no 'T', no spaces around it, no time
 * without seconds: Flink gives NULL for those too) or a field is out of range.
 */
bool sl_dtp_parse_default(const char *s, size_t n, int64_t *ms);

#endif
