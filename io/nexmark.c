/*
 * io/nexmark.c - the Nexmark event generator (see nexmark.h for what it reproduces).
 *
 * HOW IT WORKS
 * sl_nexmark_gen_event(gen, k) computes the event number, id, kind and timestamp of event k
 * from the configuration alone, seeds a java.util.Random (io/jrandom.h) with the id, and
 * draws the fields in the order the Java model generators draw them. Strings are written
 * into the event's own buffers; constant strings (cities, states, hot channels) and the
 * channel url table point into static data or the generator.
 *
 * The generator itself holds only what Java computes once per process: the 4 hot urls and
 * the 10000 channel names and urls, built at creation from new Random(seed) in the Java
 * order, in one text arena. After creation it is read-only, so threads share it freely.
 *
 * Cost: a bid (92 % of the stream) draws about 20 numbers for its fields and one nextInt per
 * six characters of `extra`; the JSON writer appends pieces with memcpy and table-driven
 * integer formatting. The batch filler writes validity words 64 rows at a time instead of a
 * bit per column per row.
 *
 * Banners: tables, configuration, Java's model generators, events, JSON, batches.
 */
#include "io/nexmark.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/gentext.h"
#include "io/jrandom.h"
#include "io/splitmix.h"

/* ---- tables (PersonGenerator, BidGenerator) ------------------------------------------------ */

#define NX_STR(s)        \
    {                    \
        s, sizeof(s) - 1 \
    }

static const struct sl_nexmark_str nx_states[] = {NX_STR("AZ"), NX_STR("CA"), NX_STR("ID"),
                                                  NX_STR("OR"), NX_STR("WA"), NX_STR("WY")};
static const struct sl_nexmark_str nx_cities[] = {
    NX_STR("Phoenix"),  NX_STR("Los Angeles"), NX_STR("San Francisco"), NX_STR("Boise"),
    NX_STR("Portland"), NX_STR("Bend"),        NX_STR("Redmond"),       NX_STR("Seattle"),
    NX_STR("Kent"),     NX_STR("Cheyenne")};
static const struct sl_nexmark_str nx_first_names[] = {
    NX_STR("Peter"), NX_STR("Paul"),   NX_STR("Luke"),  NX_STR("John"),
    NX_STR("Saul"),  NX_STR("Vicky"),  NX_STR("Kate"),  NX_STR("Julie"),
    NX_STR("Sarah"), NX_STR("Deiter"), NX_STR("Walter")};
static const struct sl_nexmark_str nx_last_names[] = {
    NX_STR("Shultz"), NX_STR("Abrams"), NX_STR("Spencer"), NX_STR("White"), NX_STR("Bartels"),
    NX_STR("Walton"), NX_STR("Smith"),  NX_STR("Jones"),   NX_STR("Noris")};
static const struct sl_nexmark_str nx_hot_channels[] = {NX_STR("Google"), NX_STR("Facebook"),
                                                        NX_STR("Baidu"), NX_STR("Apple")};

#define NX_COUNT(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

enum {
    NX_MIN_STRING_LENGTH = 3,
    NX_PERSON_ID_LEAD = 10,
    NX_AUCTION_ID_LEAD = 10,
    NX_HOT_SELLER_RATIO = 100,
    NX_HOT_AUCTION_RATIO = 100,
    NX_HOT_BIDDER_RATIO = 100,
    NX_HOT_CHANNELS_RATIO = 2,
    NX_CHANNELS = 10000,
    NX_NUM_CATEGORIES = 5,
    NX_URL_MAX = 96, /* 24 + 3 * 5 + 16 + 12 + 11 = 78, rounded up */
};

enum {
    NX_EXTRA_TEXT = 1024 * 1024, /* StringsGenerator's REUSABLE_EXTRA_STRING, in characters */
};

struct sl_nexmark_gen {
    struct sl_nexmark_config cfg;
    int64_t split_seed;             /* splittable: the events' random starts here */
    int32_t total;                  /* person + auction + bid proportions */
    double delay_us;                /* inter-event delay, microseconds */
    int64_t events_for_auctions;    /* events until num_in_flight_auctions more auctions */
    int64_t seed_mix;               /* xored into each event id before seeding */
    size_t extra_max;               /* longest `extra` any event can get */
    uint32_t digits3[26 * 26 * 26]; /* base-26 digits of 0..17575, low digit in byte 0 */
    struct sl_nexmark_str hot_urls[4];
    struct sl_nexmark_str channel_names[NX_CHANNELS];
    struct sl_nexmark_str channel_urls[NX_CHANNELS];
    char *text;       /* owned: the bytes of the hot urls and the channel names and urls */
    char *extra_text; /* splittable: owned, the NX_EXTRA_TEXT characters `extra` slices */
};

/* ---- configuration ------------------------------------------------------------------------- */

void sl_nexmark_config_init(struct sl_nexmark_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->first_event_rate = 10000;
    cfg->next_event_rate = 10000;
    cfg->events_num = 0;
    cfg->person_avg_size = 200;
    cfg->auction_avg_size = 500;
    cfg->bid_avg_size = 100;
    cfg->person_proportion = 1;
    cfg->auction_proportion = 3;
    cfg->bid_proportion = 46;
    cfg->hot_auction_ratio = 2;
    cfg->hot_bidders_ratio = 4;
    cfg->hot_sellers_ratio = 4;
    cfg->stop_at = -1;
    cfg->rate_period_sec = 600;
    cfg->rate_shape_sine = 0;
    cfg->rate_limited = 0;
    cfg->keep_alive = 0;
    cfg->max_emit_speed = 1;
    cfg->num_active_people = 1000;
    cfg->num_in_flight_auctions = 100;
    cfg->num_event_generators = 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cfg->base_time = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    cfg->first_event_id = 1;
    cfg->first_event_number = 1;
    cfg->seed = 0;
}

/* Trims ASCII blanks around [*s, *e). */
static void nx_trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

/* A decimal int64 with nothing else around it but blanks. */
static int nx_parse_i64(const char *v, int64_t *out)
{
    const char *s = v, *e = v + strlen(v);
    nx_trim(&s, &e);
    if (s == e)
        return SL_EINVAL;
    char buf[32];
    if ((size_t)(e - s) >= sizeof(buf))
        return SL_ERANGE;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (*end != '\0')
        return SL_EINVAL;
    if (errno == ERANGE)
        return SL_ERANGE;
    *out = x;
    return 0;
}

/* A number followed by a unit from `units` (name, multiplier; NULL-terminated); `dflt` is
 * the multiplier of a bare number. Case-insensitive, blanks allowed between. */
struct nx_unit {
    const char *name;
    int64_t mult;
};

static int nx_parse_scaled(const char *v, const struct nx_unit *units, int64_t dflt, int64_t *out)
{
    const char *s = v, *e = v + strlen(v);
    nx_trim(&s, &e);
    const char *d = s;
    while (d < e && *d >= '0' && *d <= '9')
        d++;
    if (d == s || d - s > 18)
        return d == s ? SL_EINVAL : SL_ERANGE;
    int64_t num = 0;
    for (const char *q = s; q < d; q++)
        num = num * 10 + (*q - '0');
    const char *u = d;
    while (u < e && *u == ' ')
        u++;
    int64_t mult = dflt;
    if (u < e) {
        mult = 0;
        for (const struct nx_unit *k = units; k->name; k++) {
            if (strlen(k->name) == (size_t)(e - u) &&
                strncasecmp(k->name, u, (size_t)(e - u)) == 0) {
                mult = k->mult;
                break;
            }
        }
        if (!mult)
            return SL_EINVAL;
    }
    if (num > INT64_MAX / mult)
        return SL_ERANGE;
    *out = num * mult;
    return 0;
}

static const struct nx_unit nx_size_units[] = {{"b", 1},
                                               {"bytes", 1},
                                               {"k", 1024},
                                               {"kb", 1024},
                                               {"kibibytes", 1024},
                                               {"m", 1024 * 1024},
                                               {"mb", 1024 * 1024},
                                               {"mebibytes", 1024 * 1024},
                                               {"g", 1024 * 1024 * 1024},
                                               {"gb", 1024 * 1024 * 1024},
                                               {NULL, 0}};

static const struct nx_unit nx_time_units[] = {
    {"ms", 1},          {"milli", 1},        {"millis", 1},
    {"millisecond", 1}, {"milliseconds", 1}, {"s", 1000},
    {"sec", 1000},      {"secs", 1000},      {"second", 1000},
    {"seconds", 1000},  {"min", 60000},      {"mins", 60000},
    {"minute", 60000},  {"minutes", 60000},  {"h", 3600000},
    {"hour", 3600000},  {"hours", 3600000},  {"d", 86400000},
    {"day", 86400000},  {"days", 86400000},  {NULL, 0}};

static int nx_parse_bool(const char *v, uint8_t *out)
{
    if (strcasecmp(v, "true") == 0) {
        *out = 1;
        return 0;
    }
    if (strcasecmp(v, "false") == 0) {
        *out = 0;
        return 0;
    }
    return SL_EINVAL;
}

enum nx_kind { NX_I64, NX_I32, NX_SIZE, NX_BOOL, NX_PERIOD, NX_SHAPE, NX_U64, NX_RNG };

static const struct nx_option {
    const char *key;
    enum nx_kind kind;
    size_t offset;
} nx_options[] = {
    {"first-event.rate", NX_I64, offsetof(struct sl_nexmark_config, first_event_rate)},
    {"next-event.rate", NX_I64, offsetof(struct sl_nexmark_config, next_event_rate)},
    {"events.num", NX_I64, offsetof(struct sl_nexmark_config, events_num)},
    {"person.avg-size", NX_SIZE, offsetof(struct sl_nexmark_config, person_avg_size)},
    {"auction.avg-size", NX_SIZE, offsetof(struct sl_nexmark_config, auction_avg_size)},
    {"bid.avg-size", NX_SIZE, offsetof(struct sl_nexmark_config, bid_avg_size)},
    {"person.proportion", NX_I32, offsetof(struct sl_nexmark_config, person_proportion)},
    {"auction.proportion", NX_I32, offsetof(struct sl_nexmark_config, auction_proportion)},
    {"bid.proportion", NX_I32, offsetof(struct sl_nexmark_config, bid_proportion)},
    {"bid.hot-ratio.auctions", NX_I32, offsetof(struct sl_nexmark_config, hot_auction_ratio)},
    {"bid.hot-ratio.bidders", NX_I32, offsetof(struct sl_nexmark_config, hot_bidders_ratio)},
    {"auction.hot-ratio.sellers", NX_I32, offsetof(struct sl_nexmark_config, hot_sellers_ratio)},
    {"stop-at", NX_I64, offsetof(struct sl_nexmark_config, stop_at)},
    {"rate.period", NX_PERIOD, offsetof(struct sl_nexmark_config, rate_period_sec)},
    {"rate.shape", NX_SHAPE, offsetof(struct sl_nexmark_config, rate_shape_sine)},
    {"rate.limited", NX_BOOL, offsetof(struct sl_nexmark_config, rate_limited)},
    {"keep-alive", NX_BOOL, offsetof(struct sl_nexmark_config, keep_alive)},
    {"max-emit-speed", NX_BOOL, offsetof(struct sl_nexmark_config, max_emit_speed)},
    {"active-people", NX_I32, offsetof(struct sl_nexmark_config, num_active_people)},
    {"in-flight-auctions", NX_I32, offsetof(struct sl_nexmark_config, num_in_flight_auctions)},
    {"event-generators", NX_I32, offsetof(struct sl_nexmark_config, num_event_generators)},
    {"base-time", NX_I64, offsetof(struct sl_nexmark_config, base_time)},
    {"first-event.id", NX_I64, offsetof(struct sl_nexmark_config, first_event_id)},
    {"first-event.number", NX_I64, offsetof(struct sl_nexmark_config, first_event_number)},
    {"seed", NX_U64, offsetof(struct sl_nexmark_config, seed)},
    {"rng", NX_RNG, offsetof(struct sl_nexmark_config, rng)},
};

int sl_nexmark_config_set(struct sl_nexmark_config *cfg, const char *key, const char *value,
                          struct sl_error *err)
{
    const struct nx_option *opt = NULL;
    for (size_t i = 0; i < sizeof(nx_options) / sizeof(nx_options[0]); i++)
        if (strcasecmp(nx_options[i].key, key) == 0)
            opt = &nx_options[i];
    if (!opt)
        return sl_error_set(err, SL_ENOTFOUND, "nexmark: unknown option '%s'", key);
    char *field = (char *)cfg + opt->offset;
    int64_t x = 0;
    int rc = 0;
    switch (opt->kind) {
    case NX_I64:
        rc = nx_parse_i64(value, &x);
        if (!rc)
            memcpy(field, &x, sizeof(int64_t));
        break;
    case NX_U64:
        rc = nx_parse_i64(value, &x);
        if (!rc && x < 0)
            rc = SL_ERANGE;
        if (!rc) {
            uint64_t u = (uint64_t)x;
            memcpy(field, &u, sizeof(u));
        }
        break;
    case NX_I32:
    case NX_SIZE:
    case NX_PERIOD:
        if (opt->kind == NX_I32)
            rc = nx_parse_i64(value, &x);
        else if (opt->kind == NX_SIZE)
            rc = nx_parse_scaled(value, nx_size_units, 1, &x);
        else {
            rc = nx_parse_scaled(value, nx_time_units, 1, &x);
            x /= 1000; /* Flink's Duration.getSeconds(); a bare number is milliseconds */
        }
        if (!rc && (x < INT32_MIN || x > INT32_MAX))
            rc = SL_ERANGE;
        if (!rc) {
            int32_t y = (int32_t)x;
            memcpy(field, &y, sizeof(y));
        }
        break;
    case NX_BOOL:
        rc = nx_parse_bool(value, (uint8_t *)field);
        break;
    case NX_SHAPE:
        if (strcasecmp(value, "square") == 0)
            *(uint8_t *)field = 0;
        else if (strcasecmp(value, "sine") == 0)
            *(uint8_t *)field = 1;
        else
            rc = SL_EINVAL;
        break;
    case NX_RNG:
        if (strcasecmp(value, "splittable") == 0)
            *(uint8_t *)field = SL_NEXMARK_RNG_SPLITTABLE;
        else if (strcasecmp(value, "per-event") == 0)
            *(uint8_t *)field = SL_NEXMARK_RNG_PER_EVENT;
        else
            return sl_error_set(err, SL_EINVAL,
                                "nexmark: bad value '%s' for option '%s' ('splittable' or "
                                "'per-event')",
                                value, opt->key);
        break;
    }
    if (rc)
        return sl_error_set(err, SL_EINVAL, "nexmark: bad value '%s' for option '%s'%s", value,
                            opt->key, rc == SL_ERANGE ? " (out of range)" : "");
    return 0;
}

int sl_nexmark_config_check(const struct sl_nexmark_config *cfg, struct sl_error *err)
{
    const int64_t gib = 1024 * 1024 * 1024;
    if (cfg->first_event_rate <= 0)
        return sl_error_set(err, SL_EINVAL, "nexmark: first-event.rate must be positive");
    if (cfg->person_proportion <= 0 || cfg->auction_proportion <= 0 || cfg->bid_proportion <= 0)
        return sl_error_set(err, SL_EINVAL,
                            "nexmark: person/auction/bid.proportion must all be positive");
    if ((int64_t)cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion > 1000000)
        return sl_error_set(err, SL_EINVAL, "nexmark: proportions sum over 1000000");
    if (cfg->hot_auction_ratio <= 0 || cfg->hot_bidders_ratio <= 0 || cfg->hot_sellers_ratio <= 0)
        return sl_error_set(err, SL_EINVAL, "nexmark: hot ratios must be positive");
    if (cfg->person_avg_size <= 0 || cfg->auction_avg_size <= 0 || cfg->bid_avg_size <= 0 ||
        cfg->person_avg_size > gib || cfg->auction_avg_size > gib || cfg->bid_avg_size > gib)
        return sl_error_set(err, SL_EINVAL, "nexmark: *.avg-size must be in 1 b .. 1 gb");
    if (cfg->events_num < 0)
        return sl_error_set(err, SL_EINVAL, "nexmark: events.num must be >= 0");
    if (cfg->num_active_people <= 0 || cfg->num_in_flight_auctions <= 0)
        return sl_error_set(err, SL_EINVAL,
                            "nexmark: active people and in-flight auctions must be positive");
    if (cfg->num_event_generators <= 0)
        return sl_error_set(err, SL_EINVAL, "nexmark: event generators must be positive");
    if (cfg->rng != SL_NEXMARK_RNG_SPLITTABLE && cfg->rng != SL_NEXMARK_RNG_PER_EVENT)
        return sl_error_set(err, SL_EINVAL, "nexmark: rng must be splittable or per-event");
    if (cfg->split_index < 0 || cfg->split_index >= cfg->num_event_generators)
        return sl_error_set(err, SL_EINVAL, "nexmark: split index %d is not one of %d splits",
                            (int)cfg->split_index, (int)cfg->num_event_generators);
    if (cfg->first_event_id < 0 || cfg->first_event_number < 0)
        return sl_error_set(err, SL_EINVAL, "nexmark: first event id and number must be >= 0");
    return 0;
}

int64_t sl_nexmark_config_max_events(const struct sl_nexmark_config *cfg)
{
    if (cfg->events_num > 0)
        return cfg->events_num;
    int64_t total = (int64_t)cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion;
    int64_t size = cfg->person_avg_size;
    if (cfg->auction_avg_size > size)
        size = cfg->auction_avg_size;
    if (cfg->bid_avg_size > size)
        size = cfg->bid_avg_size;
    return INT64_MAX / (total * size);
}

int64_t sl_nexmark_config_stream_events(const struct sl_nexmark_config *cfg)
{
    int64_t max = sl_nexmark_config_max_events(cfg);
    return cfg->stop_at >= 0 && cfg->stop_at < max ? cfg->stop_at : max;
}

void sl_nexmark_config_split(const struct sl_nexmark_config *cfg, int32_t n, int32_t i,
                             struct sl_nexmark_config *out)
{
    *out = *cfg;
    if (n <= 1)
        return;
    out->num_event_generators = n;
    out->split_index = i;
    int64_t max = sl_nexmark_config_max_events(cfg);
    int64_t sub_max = max / n;
    out->first_event_id = cfg->first_event_id + (int64_t)i * sub_max;
    out->events_num = i == n - 1 ? max - sub_max * (n - 1) : sub_max;
    if (cfg->stop_at >= 0) {
        int64_t sub_stop = cfg->stop_at / n;
        out->stop_at = i == n - 1 ? cfg->stop_at - sub_stop * (n - 1) : sub_stop;
    }
}

/* ---- Java's model generators ----------------------------------------------------------------- */

/*
 * Both modes run the same model code: each function below takes the random as a union and
 * the mode as a constant, and is forced inline, so the compiler makes one copy per mode with
 * the mode's draws inlined (no branch per draw). NX_JR: java.util.Random, NX_SM:
 * SplittableRandom.
 */
enum { NX_JR = 0, NX_SM = 1 };

union nx_rng {
    struct sl_jrandom j;
    struct sl_splitmix s;
};

#define NX_INLINE static inline __attribute__((always_inline))

NX_INLINE int32_t nx_int(union nx_rng *r, int mode)
{
    return mode == NX_SM ? sl_splitmix_int(&r->s) : sl_jrandom_int(&r->j);
}

NX_INLINE int32_t nx_int_bound(union nx_rng *r, int32_t bound, int mode)
{
    return mode == NX_SM ? sl_splitmix_int_bound(&r->s, bound) : sl_jrandom_int_bound(&r->j, bound);
}

NX_INLINE int64_t nx_long(union nx_rng *r, int mode)
{
    return mode == NX_SM ? sl_splitmix_long(&r->s) : sl_jrandom_long(&r->j);
}

NX_INLINE double nx_double(union nx_rng *r, int mode)
{
    return mode == NX_SM ? sl_splitmix_double(&r->s) : sl_jrandom_double(&r->j);
}

/* GeneratorConfig.timestampForEvent: baseTime + (long)(eventNumber * interEventDelayUs) /
 * 1000, with Java's saturating double-to-long conversion. */
static int64_t nx_timestamp(const struct sl_nexmark_gen *g, int64_t number)
{
    double us = (double)number * g->delay_us;
    int64_t l = us >= 9223372036854775807.0    ? INT64_MAX
                : us <= -9223372036854775808.0 ? INT64_MIN
                                               : (int64_t)us;
    return g->cfg.base_time + l / 1000;
}

/* LongGenerator.nextLong: [0, n), n > 0. */
NX_INLINE int64_t nx_next_long(union nx_rng *r, int64_t n, int mode)
{
    if (n < INT32_MAX)
        return nx_int_bound(r, (int32_t)n, mode);
    int64_t x = nx_long(r, mode) % n;
    return x < 0 ? -x : x;
}

static int64_t nx_last_person(const struct sl_nexmark_gen *g, int64_t id)
{
    int64_t epoch = id / g->total, offset = id % g->total;
    if (offset >= g->cfg.person_proportion)
        offset = g->cfg.person_proportion - 1;
    return epoch * g->cfg.person_proportion + offset;
}

static int64_t nx_last_auction(const struct sl_nexmark_gen *g, int64_t id)
{
    int64_t epoch = id / g->total, offset = id % g->total;
    int64_t p = g->cfg.person_proportion, a = g->cfg.auction_proportion;
    if (offset < p) {
        epoch--;
        offset = a - 1;
    } else if (offset >= p + a) {
        offset = a - 1;
    } else {
        offset -= p;
    }
    return epoch * a + offset;
}

NX_INLINE int64_t nx_next_person(const struct sl_nexmark_gen *g, int64_t id, union nx_rng *r,
                                 int mode)
{
    int64_t num_people = nx_last_person(g, id) + 1;
    int64_t active = num_people < g->cfg.num_active_people ? num_people : g->cfg.num_active_people;
    int64_t n = nx_next_long(r, active + NX_PERSON_ID_LEAD, mode);
    return num_people - active + n;
}

NX_INLINE int64_t nx_next_auction(const struct sl_nexmark_gen *g, int64_t id, union nx_rng *r,
                                  int mode)
{
    int64_t max = nx_last_auction(g, id);
    int64_t min = max - g->cfg.num_in_flight_auctions;
    if (min < 0)
        min = 0;
    return min + nx_next_long(r, max - min + 1 + NX_AUCTION_ID_LEAD, mode);
}

/* PriceGenerator.nextPrice: Math.round(10^(u * 6) * 100). */
NX_INLINE int64_t nx_price(union nx_rng *r, int mode)
{
    double x = pow(10.0, nx_double(r, mode) * 6.0) * 100.0;
    return (int64_t)floor(x + 0.5); /* Math.round; exact here (x < 2^27) */
}

/* StringsGenerator.nextString(random, maxLength, special), trimmed; writes at most
 * maxLength - 1 bytes at `out`, returns the length. */
NX_INLINE uint32_t nx_string(union nx_rng *r, int32_t max_len, char special, char *out, int mode)
{
    int32_t len = NX_MIN_STRING_LENGTH + nx_int_bound(r, max_len - NX_MIN_STRING_LENGTH, mode);
    for (int32_t i = 0; i < len; i++)
        out[i] = nx_int_bound(r, 13, mode) == 0 ? special : (char)('a' + nx_int_bound(r, 26, mode));
    /* String.trim(): drop chars <= ' ' at both ends */
    int32_t s = 0, e = len;
    while (s < e && (unsigned char)out[s] <= ' ')
        s++;
    while (e > s && (unsigned char)out[e - 1] <= ' ')
        e--;
    if (s > 0)
        memmove(out, out + s, (size_t)(e - s));
    return (uint32_t)(e - s);
}

/*
 * StringsGenerator.nextExactString (the per-character version): six characters per
 * nextInt(), (char)('a' + rnd % 26) then rnd /= 26, with Java's signed remainder and
 * division. Those six are the low base-26 digits of |rnd| added to 'a' (rnd >= 0) or taken
 * from it (rnd < 0), so a full group is two lookups of three digits in `digits3` and two
 * 4-byte stores (the fourth byte is overwritten next; `out` has room past `len`).
 */
NX_INLINE void nx_chars(const uint32_t *digits3, union nx_rng *r, uint32_t len, char *out, int mode)
{
    const uint32_t base = 0x61616161u; /* "aaaa" */
    union nx_rng lr = *r;              /* a local copy stays in a register: `out` may alias `r` */
    uint32_t i = 0;
    while (i + 6 <= len) {
        int32_t rnd = nx_int(&lr, mode);
        uint32_t mag = rnd < 0 ? 0u - (uint32_t)rnd : (uint32_t)rnd;
        uint32_t lo = digits3[mag % 17576u], hi = digits3[(mag / 17576u) % 17576u];
        uint32_t w0 = rnd < 0 ? base - lo : base + lo, w1 = rnd < 0 ? base - hi : base + hi;
        memcpy(out + i, &w0, 4);
        memcpy(out + i + 3, &w1, 4);
        i += 6;
    }
    if (i < len) {
        int32_t rnd = nx_int(&lr, mode);
        while (i < len) {
            out[i++] = (char)('a' + rnd % 26);
            rnd /= 26;
        }
    }
    *r = lr;
}

/* StringsGenerator.nextExtra: the length of the padding (drawn), then its bytes - per
 * character (per-event mode, and splittable for lengths of half the reusable string and
 * more), or a slice of the reusable string at a drawn offset (splittable). */
NX_INLINE struct sl_nexmark_str nx_extra(const struct sl_nexmark_gen *g, union nx_rng *r,
                                         int64_t current, int32_t avg, char *out, int mode)
{
    struct sl_nexmark_str e = {out, 0};
    if (current > avg)
        return e;
    int32_t desired = avg - (int32_t)current;
    int32_t delta = (int32_t)floor(desired * 0.2 + 0.5); /* (int) Math.round(desired * 0.2) */
    int32_t size = desired - delta + (delta == 0 ? 0 : nx_int_bound(r, 2 * delta, mode));
    e.len = (uint32_t)size;
    if (mode == NX_SM && size < NX_EXTRA_TEXT / 2) {
        e.ptr = g->extra_text + nx_int_bound(r, NX_EXTRA_TEXT - size, mode);
        return e;
    }
    nx_chars(g->digits3, r, (uint32_t)size, out, mode);
    return e;
}

NX_INLINE void nx_person(const struct sl_nexmark_gen *g, union nx_rng *r,
                         struct sl_nexmark_event *ev, int mode)
{
    struct sl_nexmark_person *p = &ev->person;
    char *s = ev->small;
    p->id = nx_last_person(g, ev->event_id) + SL_NEXMARK_FIRST_PERSON_ID;
    const struct sl_nexmark_str *first =
        &nx_first_names[nx_int_bound(r, NX_COUNT(nx_first_names), mode)];
    const struct sl_nexmark_str *last =
        &nx_last_names[nx_int_bound(r, NX_COUNT(nx_last_names), mode)];
    p->name.ptr = s;
    memcpy(s, first->ptr, first->len);
    s[first->len] = ' ';
    memcpy(s + first->len + 1, last->ptr, last->len);
    p->name.len = first->len + 1 + last->len;
    s += p->name.len;
    p->email_address.ptr = s;
    s += nx_string(r, 7, ' ', s, mode);
    *s++ = '@';
    s += nx_string(r, 5, ' ', s, mode);
    s = SL_GENTEXT_LIT(s, ".com");
    p->email_address.len = (uint32_t)(s - p->email_address.ptr);
    p->credit_card.ptr = s;
    for (int i = 0; i < 4; i++) {
        if (i > 0)
            *s++ = ' ';
        unsigned v = (unsigned)nx_int_bound(r, 10000, mode);
        s = sl_gentext_2(s, v / 100);
        s = sl_gentext_2(s, v % 100);
    }
    p->credit_card.len = (uint32_t)(s - p->credit_card.ptr);
    p->city = nx_cities[nx_int_bound(r, NX_COUNT(nx_cities), mode)];
    p->state = nx_states[nx_int_bound(r, NX_COUNT(nx_states), mode)];
    int64_t current =
        8 + p->name.len + p->email_address.len + p->credit_card.len + p->city.len + p->state.len;
    p->date_time = ev->timestamp;
    p->extra = nx_extra(g, r, current, g->cfg.person_avg_size, ev->extra_buf, mode);
}

NX_INLINE void nx_auction(const struct sl_nexmark_gen *g, union nx_rng *r,
                          struct sl_nexmark_event *ev, int mode)
{
    struct sl_nexmark_auction *a = &ev->auction;
    int64_t id = ev->event_id;
    a->id = nx_last_auction(g, id) + SL_NEXMARK_FIRST_AUCTION_ID;
    if (nx_int_bound(r, g->cfg.hot_sellers_ratio, mode) > 0)
        a->seller = (nx_last_person(g, id) / NX_HOT_SELLER_RATIO) * NX_HOT_SELLER_RATIO;
    else
        a->seller = nx_next_person(g, id, r, mode);
    a->seller += SL_NEXMARK_FIRST_PERSON_ID;
    a->category = SL_NEXMARK_FIRST_CATEGORY_ID + nx_int_bound(r, NX_NUM_CATEGORIES, mode);
    a->initial_bid = nx_price(r, mode);
    /* nextAuctionLengthMs: an average length of twice the time until
     * num_in_flight_auctions more auctions have been made */
    int64_t number = g->cfg.first_event_number + ev->index;
    int64_t future = nx_timestamp(g, number + g->events_for_auctions);
    int64_t horizon = future - ev->timestamp;
    int64_t span = horizon * 2 > 1 ? horizon * 2 : 1;
    a->expires = ev->timestamp + 1 + nx_next_long(r, span, mode);
    char *s = ev->small;
    a->item_name.ptr = s;
    a->item_name.len = nx_string(r, 20, ' ', s, mode);
    s += a->item_name.len;
    a->description.ptr = s;
    a->description.len = nx_string(r, 100, ' ', s, mode);
    a->reserve = a->initial_bid + nx_price(r, mode);
    int64_t current = 8 + a->item_name.len + a->description.len + 8 + 8 + 8 + 8 + 8;
    a->date_time = ev->timestamp;
    a->extra = nx_extra(g, r, current, g->cfg.auction_avg_size, ev->extra_buf, mode);
}

NX_INLINE void nx_bid(const struct sl_nexmark_gen *g, union nx_rng *r, struct sl_nexmark_event *ev,
                      int mode)
{
    struct sl_nexmark_bid *b = &ev->bid;
    int64_t id = ev->event_id;
    if (nx_int_bound(r, g->cfg.hot_auction_ratio, mode) > 0)
        b->auction = (nx_last_auction(g, id) / NX_HOT_AUCTION_RATIO) * NX_HOT_AUCTION_RATIO;
    else
        b->auction = nx_next_auction(g, id, r, mode);
    b->auction += SL_NEXMARK_FIRST_AUCTION_ID;
    if (nx_int_bound(r, g->cfg.hot_bidders_ratio, mode) > 0)
        b->bidder = (nx_last_person(g, id) / NX_HOT_BIDDER_RATIO) * NX_HOT_BIDDER_RATIO + 1;
    else
        b->bidder = nx_next_person(g, id, r, mode);
    b->bidder += SL_NEXMARK_FIRST_PERSON_ID;
    b->price = nx_price(r, mode);
    if (nx_int_bound(r, NX_HOT_CHANNELS_RATIO, mode) > 0) {
        int32_t i = nx_int_bound(r, NX_COUNT(nx_hot_channels), mode);
        b->channel = nx_hot_channels[i];
        b->url = g->hot_urls[i];
    } else {
        int32_t i = nx_int_bound(r, NX_CHANNELS, mode);
        b->channel = g->channel_names[i];
        b->url = g->channel_urls[i];
    }
    b->bidder += SL_NEXMARK_FIRST_PERSON_ID; /* a second time, as the Java code does */
    b->date_time = ev->timestamp;
    b->extra = nx_extra(g, r, 8 + 8 + 8 + 8, g->cfg.bid_avg_size, ev->extra_buf, mode);
}

/* BidGenerator.getBaseUrl. */
NX_INLINE char *nx_base_url(union nx_rng *r, char *s, int mode)
{
    s = SL_GENTEXT_LIT(s, "https://www.nexmark.com/");
    for (int i = 0; i < 3; i++) {
        s += nx_string(r, 5, '_', s, mode);
        *s++ = '/';
    }
    return SL_GENTEXT_LIT(s, "item.htm?query=1");
}

/* Integer.reverse. */
static uint32_t nx_reverse32(uint32_t x)
{
    x = ((x & 0x55555555u) << 1) | ((x >> 1) & 0x55555555u);
    x = ((x & 0x33333333u) << 2) | ((x >> 2) & 0x33333333u);
    x = ((x & 0x0F0F0F0Fu) << 4) | ((x >> 4) & 0x0F0F0F0Fu);
    return __builtin_bswap32(x);
}

/* BidGenerator's static initializer: HOT_URLS, then CHANNEL_URL_CACHE, from one random. */
NX_INLINE void nx_build_channels(struct sl_nexmark_gen *g, union nx_rng *r, int mode)
{
    char *s = g->text;
    for (int i = 0; i < 4; i++) {
        g->hot_urls[i].ptr = s;
        s = nx_base_url(r, s, mode);
        g->hot_urls[i].len = (uint32_t)(s - g->hot_urls[i].ptr);
    }
    for (int32_t i = 0; i < NX_CHANNELS; i++) {
        g->channel_urls[i].ptr = s;
        s = nx_base_url(r, s, mode);
        if (nx_int_bound(r, 10, mode) > 0) {
            s = SL_GENTEXT_LIT(s, "&channel_id=");
            /* Math.abs(Integer.reverse(i)): abs(INT_MIN) stays INT_MIN in Java */
            int32_t rev = (int32_t)nx_reverse32((uint32_t)i);
            s = sl_gentext_i64(s, rev == INT32_MIN ? (int64_t)INT32_MIN : (rev < 0 ? -rev : rev));
        }
        g->channel_urls[i].len = (uint32_t)(s - g->channel_urls[i].ptr);
        g->channel_names[i].ptr = s;
        s = SL_GENTEXT_LIT(s, "channel-");
        s = sl_gentext_i64(s, i);
        g->channel_names[i].len = (uint32_t)(s - g->channel_names[i].ptr);
    }
}

static void nx_build_tables(struct sl_nexmark_gen *g)
{
    union nx_rng r;
    if (g->cfg.rng == SL_NEXMARK_RNG_PER_EVENT) {
        sl_jrandom_init(&r.j, (int64_t)g->cfg.seed);
        nx_build_channels(g, &r, NX_JR);
        return;
    }
    sl_splitmix_init(&r.s, (int64_t)g->cfg.seed ^ SL_NEXMARK_TABLES_SEED);
    nx_build_channels(g, &r, NX_SM);
    /* StringsGenerator.REUSABLE_EXTRA_STRING = nextExactString(new SplittableRandom(), 1 MiB),
     * drawn per character (the string is not there yet while it is being made) */
    sl_splitmix_init(&r.s, (int64_t)g->cfg.seed ^ SL_NEXMARK_EXTRA_SEED);
    nx_chars(g->digits3, &r, NX_EXTRA_TEXT, g->extra_text, NX_SM);
}

/* ---- events -------------------------------------------------------------------------------- */

static int64_t nx_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (int64_t)(z ^ (z >> 31));
}

int sl_nexmark_gen_new(const struct sl_nexmark_config *cfg, struct sl_nexmark_gen **out,
                       struct sl_error *err)
{
    *out = NULL;
    int rc = sl_nexmark_config_check(cfg, err);
    if (rc)
        return rc;
    struct sl_nexmark_gen *g = calloc(1, sizeof(*g));
    if (!g)
        return sl_error_set(err, SL_ENOMEM, "nexmark: out of memory for the generator");
    g->cfg = *cfg;
    g->total = cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion;
    g->delay_us = 1000000.0 / (double)cfg->first_event_rate * cfg->num_event_generators;
    g->events_for_auctions =
        ((int64_t)cfg->num_in_flight_auctions * g->total) / cfg->auction_proportion;
    g->seed_mix = cfg->seed ? nx_mix64(cfg->seed) : 0;
    g->split_seed = (int64_t)(cfg->seed + (uint64_t)(int64_t)cfg->split_index);
    int64_t avg = cfg->person_avg_size;
    if (cfg->auction_avg_size > avg)
        avg = cfg->auction_avg_size;
    if (cfg->bid_avg_size > avg)
        avg = cfg->bid_avg_size;
    g->extra_max = (size_t)(avg + avg / 5 + 8);
    g->text = malloc((size_t)(NX_CHANNELS + 4) * (NX_URL_MAX + 16));
    if (cfg->rng == SL_NEXMARK_RNG_SPLITTABLE)
        g->extra_text = malloc(NX_EXTRA_TEXT + 8); /* nx_chars stores 4 bytes at a time */
    if (!g->text || (cfg->rng == SL_NEXMARK_RNG_SPLITTABLE && !g->extra_text)) {
        sl_nexmark_gen_free(g);
        return sl_error_set(err, SL_ENOMEM, "nexmark: out of memory for the channel table");
    }
    for (uint32_t v = 0; v < 26 * 26 * 26; v++)
        g->digits3[v] = (v % 26) | (v / 26 % 26) << 8 | (v / 676) << 16;
    nx_build_tables(g);
    *out = g;
    return 0;
}

void sl_nexmark_gen_free(struct sl_nexmark_gen *gen)
{
    if (!gen)
        return;
    free(gen->text);
    free(gen->extra_text);
    free(gen);
}

const struct sl_nexmark_config *sl_nexmark_gen_config(const struct sl_nexmark_gen *gen)
{
    return &gen->cfg;
}

int sl_nexmark_event_init(struct sl_nexmark_event *ev, const struct sl_nexmark_gen *gen)
{
    memset(ev, 0, sizeof(*ev));
    ev->extra_buf = malloc(gen->extra_max);
    if (!ev->extra_buf)
        return SL_ENOMEM;
    ev->extra_cap = gen->extra_max;
    ev->cur_gen = gen;
    ev->cur_state = gen->cfg.rng == SL_NEXMARK_RNG_PER_EVENT ? 0 : (uint64_t)gen->split_seed;
    return 0;
}

void sl_nexmark_event_free(struct sl_nexmark_event *ev)
{
    free(ev->extra_buf);
    ev->extra_buf = NULL;
    ev->extra_cap = 0;
}

/* Event `index` drawn from `r` in `mode`: the kind from the id, then the model generator. */
NX_INLINE void nx_event(const struct sl_nexmark_gen *gen, int64_t index, union nx_rng *r,
                        struct sl_nexmark_event *ev, int mode)
{
    int64_t number = gen->cfg.first_event_number + index;
    ev->index = index;
    ev->event_id = gen->cfg.first_event_id + number;
    ev->timestamp = nx_timestamp(gen, number);
    int64_t rem = ev->event_id % gen->total;
    if (rem < gen->cfg.person_proportion) {
        ev->type = SL_NEXMARK_PERSON;
        nx_person(gen, r, ev, mode);
    } else if (rem < gen->cfg.person_proportion + gen->cfg.auction_proportion) {
        ev->type = SL_NEXMARK_AUCTION;
        nx_auction(gen, r, ev, mode);
    } else {
        ev->type = SL_NEXMARK_BID;
        nx_bid(gen, r, ev, mode);
    }
}

void sl_nexmark_gen_event(const struct sl_nexmark_gen *gen, int64_t index,
                          struct sl_nexmark_event *ev)
{
    union nx_rng r;
    if (gen->cfg.rng == SL_NEXMARK_RNG_PER_EVENT) {
        sl_jrandom_init(&r.j, (gen->cfg.first_event_id + gen->cfg.first_event_number + index) ^
                                  gen->seed_mix);
        nx_event(gen, index, &r, ev, NX_JR);
        ev->cur_gen = gen;
        ev->cur_index = index + 1;
        ev->cur_state = 0;
        return;
    }
    if (ev->cur_gen != gen || index < ev->cur_index) { /* elsewhere, or back: from the start */
        ev->cur_gen = gen;
        ev->cur_index = 0;
        ev->cur_state = (uint64_t)gen->split_seed;
    }
    r.s.seed = ev->cur_state;
    for (int64_t k = ev->cur_index; k <= index; k++)
        nx_event(gen, k, &r, ev, NX_SM);
    ev->cur_index = index + 1;
    ev->cur_state = r.s.seed;
}

uint64_t sl_nexmark_gen_start_state(const struct sl_nexmark_gen *gen)
{
    return gen->cfg.rng == SL_NEXMARK_RNG_PER_EVENT ? 0 : (uint64_t)gen->split_seed;
}

void sl_nexmark_event_position(const struct sl_nexmark_event *ev, int64_t *next_index,
                               uint64_t *state)
{
    *next_index = ev->cur_index;
    *state = ev->cur_state;
}

void sl_nexmark_event_seek(struct sl_nexmark_event *ev, const struct sl_nexmark_gen *gen,
                           int64_t next_index, uint64_t state)
{
    ev->cur_gen = gen;
    ev->cur_index = next_index;
    ev->cur_state = state;
}

int64_t sl_nexmark_event_size(const struct sl_nexmark_event *ev)
{
    switch (ev->type) {
    case SL_NEXMARK_PERSON: {
        const struct sl_nexmark_person *p = &ev->person;
        return 8 + p->name.len + p->email_address.len + p->credit_card.len + p->city.len +
               p->state.len + p->extra.len;
    }
    case SL_NEXMARK_AUCTION:
        return 8 + ev->auction.item_name.len + ev->auction.description.len + 40 +
               ev->auction.extra.len;
    default:
        return 32 + ev->bid.extra.len;
    }
}

/* ---- JSON ---------------------------------------------------------------------------------- */

size_t sl_nexmark_json_max(const struct sl_nexmark_gen *gen)
{
    /* keys, numbers (20 bytes each), timestamps and short strings fit in 1 KiB with room to
     * spare; `extra` may double when every byte is escaped. */
    return 1024 + 2 * gen->extra_max;
}

/* A string the generator built from a safe alphabet (letters, digits, ' ', '_', '@', '.',
 * ':', '/', '?', '=', '&', '-'): nothing to escape. Only `extra` needs nx_json_str. */
static char *nx_json_raw(char *p, struct sl_nexmark_str s)
{
    *p++ = '"';
    memcpy(p, s.ptr, s.len);
    p += s.len;
    *p++ = '"';
    return p;
}

static char *nx_json_str(char *p, struct sl_nexmark_str s)
{
    *p++ = '"';
    p = sl_gentext_json_str(p, s.ptr, s.len);
    *p++ = '"';
    return p;
}

static char *nx_json_ts(char *p, int64_t ms)
{
    *p++ = '"';
    p = sl_gentext_timestamp(p, ms);
    *p++ = '"';
    return p;
}

size_t sl_nexmark_event_json(const struct sl_nexmark_event *ev, char *buf)
{
    char *p = buf;
    switch (ev->type) {
    case SL_NEXMARK_PERSON: {
        const struct sl_nexmark_person *e = &ev->person;
        p = SL_GENTEXT_LIT(p, "{\"event_type\":0,\"person\":{\"id\":");
        p = sl_gentext_i64(p, e->id);
        p = SL_GENTEXT_LIT(p, ",\"name\":");
        p = nx_json_raw(p, e->name);
        p = SL_GENTEXT_LIT(p, ",\"emailAddress\":");
        p = nx_json_raw(p, e->email_address);
        p = SL_GENTEXT_LIT(p, ",\"creditCard\":");
        p = nx_json_raw(p, e->credit_card);
        p = SL_GENTEXT_LIT(p, ",\"city\":");
        p = nx_json_raw(p, e->city);
        p = SL_GENTEXT_LIT(p, ",\"state\":");
        p = nx_json_raw(p, e->state);
        p = SL_GENTEXT_LIT(p, ",\"dateTime\":");
        p = nx_json_ts(p, e->date_time);
        p = SL_GENTEXT_LIT(p, ",\"extra\":");
        p = nx_json_str(p, e->extra);
        p = SL_GENTEXT_LIT(p, "},\"auction\":null,\"bid\":null}");
        break;
    }
    case SL_NEXMARK_AUCTION: {
        const struct sl_nexmark_auction *e = &ev->auction;
        p = SL_GENTEXT_LIT(p, "{\"event_type\":1,\"person\":null,\"auction\":{\"id\":");
        p = sl_gentext_i64(p, e->id);
        p = SL_GENTEXT_LIT(p, ",\"itemName\":");
        p = nx_json_raw(p, e->item_name);
        p = SL_GENTEXT_LIT(p, ",\"description\":");
        p = nx_json_raw(p, e->description);
        p = SL_GENTEXT_LIT(p, ",\"initialBid\":");
        p = sl_gentext_i64(p, e->initial_bid);
        p = SL_GENTEXT_LIT(p, ",\"reserve\":");
        p = sl_gentext_i64(p, e->reserve);
        p = SL_GENTEXT_LIT(p, ",\"dateTime\":");
        p = nx_json_ts(p, e->date_time);
        p = SL_GENTEXT_LIT(p, ",\"expires\":");
        p = nx_json_ts(p, e->expires);
        p = SL_GENTEXT_LIT(p, ",\"seller\":");
        p = sl_gentext_i64(p, e->seller);
        p = SL_GENTEXT_LIT(p, ",\"category\":");
        p = sl_gentext_i64(p, e->category);
        p = SL_GENTEXT_LIT(p, ",\"extra\":");
        p = nx_json_str(p, e->extra);
        p = SL_GENTEXT_LIT(p, "},\"bid\":null}");
        break;
    }
    default: {
        const struct sl_nexmark_bid *e = &ev->bid;
        p = SL_GENTEXT_LIT(p, "{\"event_type\":2,\"person\":null,\"auction\":null,\"bid\":{"
                              "\"auction\":");
        p = sl_gentext_i64(p, e->auction);
        p = SL_GENTEXT_LIT(p, ",\"bidder\":");
        p = sl_gentext_i64(p, e->bidder);
        p = SL_GENTEXT_LIT(p, ",\"price\":");
        p = sl_gentext_i64(p, e->price);
        p = SL_GENTEXT_LIT(p, ",\"channel\":");
        p = nx_json_raw(p, e->channel);
        p = SL_GENTEXT_LIT(p, ",\"url\":");
        p = nx_json_raw(p, e->url);
        p = SL_GENTEXT_LIT(p, ",\"dateTime\":");
        p = nx_json_ts(p, e->date_time);
        p = SL_GENTEXT_LIT(p, ",\"extra\":");
        p = nx_json_str(p, e->extra);
        p = SL_GENTEXT_LIT(p, "}}");
        break;
    }
    }
    return (size_t)(p - buf);
}

/* ---- batches ------------------------------------------------------------------------------- */

static const char *const nx_col_names[SL_NEXMARK_NCOLS] = {
    "event_type",         "person.id",        "person.name",      "person.emailAddress",
    "person.creditCard",  "person.city",      "person.state",     "person.dateTime",
    "person.extra",       "auction.id",       "auction.itemName", "auction.description",
    "auction.initialBid", "auction.reserve",  "auction.dateTime", "auction.expires",
    "auction.seller",     "auction.category", "auction.extra",    "bid.auction",
    "bid.bidder",         "bid.price",        "bid.channel",      "bid.url",
    "bid.dateTime",       "bid.extra"};

static const uint8_t nx_col_types[SL_NEXMARK_NCOLS] = {
    SL_TYPE_INT,       SL_TYPE_BIGINT,  SL_TYPE_VARCHAR,   SL_TYPE_VARCHAR, SL_TYPE_VARCHAR,
    SL_TYPE_VARCHAR,   SL_TYPE_VARCHAR, SL_TYPE_TIMESTAMP, SL_TYPE_VARCHAR, SL_TYPE_BIGINT,
    SL_TYPE_VARCHAR,   SL_TYPE_VARCHAR, SL_TYPE_BIGINT,    SL_TYPE_BIGINT,  SL_TYPE_TIMESTAMP,
    SL_TYPE_TIMESTAMP, SL_TYPE_BIGINT,  SL_TYPE_BIGINT,    SL_TYPE_VARCHAR, SL_TYPE_BIGINT,
    SL_TYPE_BIGINT,    SL_TYPE_BIGINT,  SL_TYPE_VARCHAR,   SL_TYPE_VARCHAR, SL_TYPE_TIMESTAMP,
    SL_TYPE_VARCHAR};

struct sl_schema *sl_nexmark_schema_new(void)
{
    struct sl_type types[SL_NEXMARK_NCOLS];
    for (int i = 0; i < SL_NEXMARK_NCOLS; i++)
        types[i] = sl_type_make((sl_type_id)nx_col_types[i], i != SL_NXC_EVENT_TYPE);
    return sl_schema_new(SL_NEXMARK_NCOLS, nx_col_names, types);
}

static bool nx_layout_ok(const struct sl_batch *b)
{
    if (b->ncols != SL_NEXMARK_NCOLS)
        return false;
    for (int i = 0; i < SL_NEXMARK_NCOLS; i++)
        if (b->cols[i].type.id != nx_col_types[i] || (i > 0 && !b->cols[i].valid))
            return false;
    return true;
}

/* Sets the validity of rows [lo, hi) within one word `w` for the columns [c0, c0 + nc):
 * bits of `mask` present, the other bits of the range NULL. */
static void nx_valid_word(struct sl_batch *b, int c0, int nc, uint32_t w, uint64_t range,
                          uint64_t mask)
{
    for (int c = c0; c < c0 + nc; c++) {
        uint64_t *v = &b->cols[c].valid[w];
        *v = (*v & ~range) | (mask & range);
    }
}

#define NX_PUT_STR(col, s)                                                                     \
    do {                                                                                       \
        if (skip & (1u << (col))) { /* pushed down: NULL (validity cleared at the end), and */ \
            memset(&sl_col_str(&b->cols[(col)])[row], 0, sizeof(sl_str)); /* an empty view */  \
            break;                                                                             \
        }                                                                                      \
        sl_str v_ = sl_batch_str(b, (s).ptr, (s).len);                                         \
        if (!sl_str_ok(v_))                                                                    \
            goto out_nomem;                                                                    \
        sl_col_str(&b->cols[(col)])[row] = v_;                                                 \
    } while (0)

int sl_nexmark_fill(const struct sl_nexmark_gen *gen, struct sl_nexmark_event *ev,
                    int64_t first_index, uint32_t n, struct sl_batch *b)
{
    return sl_nexmark_fill_stride(gen, ev, first_index, 1, n, b);
}

int sl_nexmark_fill_stride(const struct sl_nexmark_gen *gen, struct sl_nexmark_event *ev,
                           int64_t first_index, int64_t stride, uint32_t n, struct sl_batch *b)
{
    return sl_nexmark_fill_skip(gen, ev, first_index, stride, n, 0, b);
}

/* Rows [from, to) of a skipped column: NULL. */
static void nx_clear_skipped(struct sl_batch *b, uint32_t skip, uint32_t from, uint32_t to)
{
    for (uint32_t c = 0; skip && c < SL_NEXMARK_NCOLS; c++) {
        if (!(skip & (1u << c)) || !b->cols[c].valid)
            continue;
        for (uint32_t r = from; r < to; r++)
            sl_valid_set(b->cols[c].valid, r, false);
    }
}

int sl_nexmark_fill_skip(const struct sl_nexmark_gen *gen, struct sl_nexmark_event *ev,
                         int64_t first_index, int64_t stride, uint32_t n, uint32_t skip,
                         struct sl_batch *b)
{
    if (!nx_layout_ok(b) || n > SL_BATCH_CAP - b->rows || stride < 1)
        return SL_EINVAL;
    for (uint32_t c = 0; c < SL_NEXMARK_NCOLS; c++) /* only VARCHAR columns are skipped */
        if (b->cols[c].type.id != SL_TYPE_VARCHAR)
            skip &= ~(1u << c);
    uint32_t row = b->rows, end = b->rows + n;
    uint64_t mp = 0, ma = 0, mb = 0, range = 0;
    int32_t *types = sl_col_i32(&b->cols[SL_NXC_EVENT_TYPE]);
    for (; row < end; row++) {
        sl_nexmark_gen_event(gen, first_index + (int64_t)(row - b->rows) * stride, ev);
        uint64_t bit = (uint64_t)1 << (row & 63);
        types[row] = ev->type;
        switch (ev->type) {
        case SL_NEXMARK_PERSON: {
            const struct sl_nexmark_person *e = &ev->person;
            mp |= bit;
            sl_col_i64(&b->cols[SL_NXC_PERSON + 0])[row] = e->id;
            NX_PUT_STR(SL_NXC_PERSON + 1, e->name);
            NX_PUT_STR(SL_NXC_PERSON + 2, e->email_address);
            NX_PUT_STR(SL_NXC_PERSON + 3, e->credit_card);
            NX_PUT_STR(SL_NXC_PERSON + 4, e->city);
            NX_PUT_STR(SL_NXC_PERSON + 5, e->state);
            sl_col_i64(&b->cols[SL_NXC_PERSON + 6])[row] = e->date_time;
            NX_PUT_STR(SL_NXC_PERSON + 7, e->extra);
            break;
        }
        case SL_NEXMARK_AUCTION: {
            const struct sl_nexmark_auction *e = &ev->auction;
            ma |= bit;
            sl_col_i64(&b->cols[SL_NXC_AUCTION + 0])[row] = e->id;
            NX_PUT_STR(SL_NXC_AUCTION + 1, e->item_name);
            NX_PUT_STR(SL_NXC_AUCTION + 2, e->description);
            sl_col_i64(&b->cols[SL_NXC_AUCTION + 3])[row] = e->initial_bid;
            sl_col_i64(&b->cols[SL_NXC_AUCTION + 4])[row] = e->reserve;
            sl_col_i64(&b->cols[SL_NXC_AUCTION + 5])[row] = e->date_time;
            sl_col_i64(&b->cols[SL_NXC_AUCTION + 6])[row] = e->expires;
            sl_col_i64(&b->cols[SL_NXC_AUCTION + 7])[row] = e->seller;
            sl_col_i64(&b->cols[SL_NXC_AUCTION + 8])[row] = e->category;
            NX_PUT_STR(SL_NXC_AUCTION + 9, e->extra);
            break;
        }
        default: {
            const struct sl_nexmark_bid *e = &ev->bid;
            mb |= bit;
            sl_col_i64(&b->cols[SL_NXC_BID + 0])[row] = e->auction;
            sl_col_i64(&b->cols[SL_NXC_BID + 1])[row] = e->bidder;
            sl_col_i64(&b->cols[SL_NXC_BID + 2])[row] = e->price;
            NX_PUT_STR(SL_NXC_BID + 3, e->channel);
            NX_PUT_STR(SL_NXC_BID + 4, e->url);
            sl_col_i64(&b->cols[SL_NXC_BID + 5])[row] = e->date_time;
            NX_PUT_STR(SL_NXC_BID + 6, e->extra);
            break;
        }
        }
        range |= bit;
        if ((row & 63) == 63 || row + 1 == end) {
            uint32_t w = row >> 6;
            nx_valid_word(b, SL_NXC_PERSON, 8, w, range, mp);
            nx_valid_word(b, SL_NXC_AUCTION, 10, w, range, ma);
            nx_valid_word(b, SL_NXC_BID, 7, w, range, mb);
            mp = ma = mb = range = 0;
        }
    }
    nx_clear_skipped(b, skip, b->rows, end);
    b->rows = end;
    return 0;
out_nomem:
    /* keep the rows before `row`: finish their validity word, drop the partial row */
    range &= ((uint64_t)1 << (row & 63)) - 1;
    if (range) {
        uint32_t w = row >> 6;
        nx_valid_word(b, SL_NXC_PERSON, 8, w, range, mp);
        nx_valid_word(b, SL_NXC_AUCTION, 10, w, range, ma);
        nx_valid_word(b, SL_NXC_BID, 7, w, range, mb);
    }
    nx_clear_skipped(b, skip, b->rows, row);
    b->rows = row;
    return SL_ENOMEM;
}
