/*
 * io/ysb.h - the Yahoo streaming benchmark's ad-event generator.
 *
 * WHAT IT REPRODUCES
 * The data generator of yahoo/streaming-benchmarks (data/src/setup/core.clj, its "run" mode
 * that feeds Kafka at a given throughput):
 *   - 100 campaigns with 10 ads each, every id a random UUID (36 lowercase hex characters with
 *     dashes, version 4); ad i belongs to campaign i / 10 ("partition 10 ads");
 *   - 100 user ids and 100 page ids, also UUIDs;
 *   - event k picks user, page and ad uniformly, ad_type uniformly from banner, modal,
 *     sponsored-search, mail, mobile and event_type from view, click, purchase;
 *   - event_time = start + (k * period_ns) / 10^6 ms with period_ns = 10^9 / throughput
 *     (integer division, as the Clojure code's (long (/ ...)) does); with skew on, plus
 *     50 - rand(100) ms and, once in 100000 events, minus rand(60000) ms ("late" events);
 *   - ip_address is always "1.2.3.4";
 *   - the JSON text is the generator's exact string, spaces and all, with event_time as a
 *     quoted decimal string (Flink's YSB job reads it with getString):
 *     {"user_id": "...", "page_id": "...", "ad_id": "...", "ad_type": "banner",
 *      "event_type": "view", "event_time": "1700000000000", "ip_address": "1.2.3.4"}
 *   - the ad -> campaign table (Redis in the original) is written as CSV lines
 *     "ad_id,campaign_id", no header.
 *
 * WHERE IT DIFFERS
 * The original draws from Clojure's rand-nth (Math.random) and java.util.UUID.randomUUID,
 * neither seedable, so no run of it can be replayed. Here every id and every event is a pure
 * function of (seed, index) through splitmix64: deterministic, resumable from an index and
 * splittable by index ranges. Uniform picks use Lemire's multiply-shift (bias below 2^-56).
 *
 * OWNERSHIP AND THREADS
 * A generator is created by sl_ysb_gen_new, owned by the caller, freed by sl_ysb_gen_free,
 * and read-only after creation (threads share it). An event's ids point into the generator.
 */
#ifndef SL_IO_YSB_H
#define SL_IO_YSB_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"

#define SL_YSB_UUID_LEN 36

struct sl_ysb_config {
    int64_t rate;             /* events per second [10000] */
    int64_t start_time;       /* ms since the epoch of event 0 [now] */
    int32_t num_campaigns;    /* [100] */
    int32_t ads_per_campaign; /* [10] */
    int32_t num_users;        /* [100] */
    int32_t num_pages;        /* [100] */
    uint8_t with_skew;        /* the original's --with-skew [false] */
    uint64_t seed;            /* [0] */
};

/* Defaults above; start_time is the current time. */
void sl_ysb_config_init(struct sl_ysb_config *cfg);

/* SL_EINVAL (reason in `err`) unless rate, counts are positive (counts at most 10^6). */
int sl_ysb_config_check(const struct sl_ysb_config *cfg, struct sl_error *err);

enum sl_ysb_ad_type {
    SL_YSB_BANNER,
    SL_YSB_MODAL,
    SL_YSB_SPONSORED_SEARCH,
    SL_YSB_MAIL,
    SL_YSB_MOBILE,
    SL_YSB_AD_TYPES
};
enum sl_ysb_event_type { SL_YSB_VIEW, SL_YSB_CLICK, SL_YSB_PURCHASE, SL_YSB_EVENT_TYPES };

/* "banner", ..., and "view", ...; NULL out of range. */
const char *sl_ysb_ad_type_name(int ad_type);
const char *sl_ysb_event_type_name(int event_type);

struct sl_ysb_event {
    int64_t index;
    const char *user_id; /* SL_YSB_UUID_LEN bytes in the generator, not NUL-terminated */
    const char *page_id;
    const char *ad_id;
    int32_t ad;         /* which ad (0 .. ads - 1): its campaign is ad / ads_per_campaign */
    uint8_t ad_type;    /* enum sl_ysb_ad_type */
    uint8_t event_type; /* enum sl_ysb_event_type */
    int64_t event_time; /* ms since the epoch */
};

struct sl_ysb_gen;

/* A generator for `cfg` (copied): draws the campaign, ad, user and page ids. 0, SL_EINVAL or
 * SL_ENOMEM. The caller owns it. */
int sl_ysb_gen_new(const struct sl_ysb_config *cfg, struct sl_ysb_gen **out, struct sl_error *err);
void sl_ysb_gen_free(struct sl_ysb_gen *gen);

/* Campaign i's id and ad i's id (SL_YSB_UUID_LEN bytes, owned by the generator). */
const char *sl_ysb_campaign_id(const struct sl_ysb_gen *gen, int32_t campaign);
const char *sl_ysb_ad_id(const struct sl_ysb_gen *gen, int32_t ad);
int32_t sl_ysb_num_ads(const struct sl_ysb_gen *gen);

/* Event `index` (>= 0) into `ev`. */
void sl_ysb_gen_event(const struct sl_ysb_gen *gen, int64_t index, struct sl_ysb_event *ev);

/* Room one event's JSON may take. */
#define SL_YSB_JSON_MAX 320

/* Writes the event's JSON (the original's exact text, no newline, no NUL) into `buf`
 * (SL_YSB_JSON_MAX bytes of room); returns the length. */
size_t sl_ysb_event_json(const struct sl_ysb_event *ev, char *buf);

/* The ad -> campaign table as CSV, one "ad_id,campaign_id\n" line per ad, into `buf` of
 * sl_ysb_campaigns_csv_size bytes; returns the length written. */
size_t sl_ysb_campaigns_csv_size(const struct sl_ysb_gen *gen);
size_t sl_ysb_campaigns_csv(const struct sl_ysb_gen *gen, char *buf);

/*
 * The ad events table: user_id, page_id, ad_id, ad_type, event_type VARCHAR NOT NULL,
 * event_time BIGINT NOT NULL (epoch ms, what the JSON's string holds), ip_address VARCHAR
 * NOT NULL. The caller owns the schema. NULL when out of memory.
 */
struct sl_schema *sl_ysb_schema_new(void);

#define SL_YSB_NCOLS 7

/* Appends events first_index .. first_index + n - 1 as rows b->rows .. b->rows + n - 1 of `b`
 * (layout of sl_ysb_schema_new). 0, SL_EINVAL (wrong layout or no room; batch unchanged) or
 * SL_ENOMEM (string heap; the rows before it are kept). */
int sl_ysb_fill(const struct sl_ysb_gen *gen, int64_t first_index, uint32_t n, struct sl_batch *b);

#endif
