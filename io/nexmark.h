/*
 * io/nexmark.h - the Nexmark event generator (people, auctions and bids).
 *
 * WHAT IT REPRODUCES
 * The generator of the Flink community's Nexmark benchmark (github.com/nexmark/nexmark,
 * nexmark-flink/.../generator: GeneratorConfig, NexmarkGenerator, model/PersonGenerator,
 * AuctionGenerator, BidGenerator, StringsGenerator, PriceGenerator, LongGenerator), with the
 * defaults of NexmarkConfiguration and the options of its 'nexmark' SQL connector
 * (NexmarkSourceOptions; the table source builds GeneratorConfig with firstEventId = 1 and
 * firstEventNumber = 1, so the first event id is 2 and the stream opens with two auctions).
 *
 * Event k of a stream (k = 0, 1, ...: "eventsCountSoFar" in Java) has
 *   event number  n  = first_event_number + k
 *   event id      id = first_event_id + n        (out-of-order group size 1, as configured)
 *   kind          id % (p + a + b) < p: person, < p + a: auction, else bid (1 : 3 : 46)
 *   timestamp     base_time + (long)(n * delay_us) / 1000,
 *                 delay_us = 1e6 / first_event_rate * num_event_generators
 * and its fields are drawn in the order of the Java code: ids from the proportions (first
 * person / auction id 1000), active people (1000) and in-flight auctions (100) with id leads
 * of 10, hot sellers / bidders / auctions (1 in 100 ids is hot, chosen with probability
 * 1 - 1/ratio), prices round(10^(6u) * 100), names, e-mails, credit cards, US cities and
 * states, categories 10..14, auction lengths from the rate, channels ("Google", "Facebook",
 * "Baidu", "Apple" half of the time, else "channel-<0..9999>") with their urls, and `extra`
 * padding so that the Java size estimate (8 bytes per number plus the string lengths)
 * averages person.avg-size / auction.avg-size / bid.avg-size (200 / 500 / 100 bytes).
 *
 * TWO WAYS TO DRAW (config.rng, option "rng": "splittable" | "per-event")
 * - splittable (the default) draws as the nexmark repository's current generator does, the
 *   one Flink's published figures come from: one java.util.SplittableRandom per generator
 *   (io/splitmix.h), each event drawing from where the previous one left it. `extra` is a
 *   slice of a 1 MiB string drawn once per generator, at an offset drawn per event
 *   (StringsGenerator's REUSABLE_EXTRA_STRING); the channel urls come from a second random
 *   (BidGenerator's static one). Java seeds none of the three (its events differ on every
 *   run); sluice seeds them, so a stream is reproducible and equals what the Java classes
 *   make with these seeded randoms:
 *     events of split i (config.split_index)  new SplittableRandom(seed + i)
 *     hot urls, then the channel url cache    new SplittableRandom(seed ^ SL_NEXMARK_TABLES_SEED)
 *     the reusable extra string               new SplittableRandom(seed ^ SL_NEXMARK_EXTRA_SEED)
 *   Draws are sequential: event k depends on the events before it. sl_nexmark_gen_event
 *   continues from where the event struct's cursor stands (sequential access costs nothing
 *   more; a jump forward generates the events in between, a jump back starts over), and
 *   sl_nexmark_event_position / sl_nexmark_event_seek save and restore that cursor
 *   (checkpoints). Parallel sources split the stream as Flink does: sl_nexmark_config_split
 *   gives split i of n its block of event ids, its timeline at 1/n of the rate and its own
 *   random, so the events depend on the split count as Flink's depend on the parallelism.
 * - per-event seeds a java.util.Random (io/jrandom.h) with each event id, as Beam's
 *   generator and the nexmark repository's first Flink version (commit 558d931) did; each
 *   event is a pure function of (config, k), so any index is generated directly and workers
 *   can interleave one stream. Its weakness is Java's: new Random(s) for small consecutive s
 *   gives correlated first draws (the first nextInt(2) is 1 for every s < 4096: the first
 *   4096 events bid only on hot auctions, and the hot shares stay off for tens of thousands
 *   of events after that).
 *
 * WHERE IT DIFFERS FROM THE JAVA GENERATOR, AND WHY
 * - Seeding: see above. In per-event mode with seed 0 (the default) a person or an auction is
 *   exactly the one the seeded-per-event Java generator makes for the same event id and
 *   config; a bid matches it in auction, bidder, price and dateTime, then draws the channel
 *   and url that the current Java version added (in its order), then `extra`. A non-zero
 *   seed seeds event `id` with id ^ mix(seed) instead (mix: splitmix64's finalizer). The
 *   channel urls come from new Random(seed), and `extra` is drawn character by character
 *   (StringsGenerator.nextExactString, six characters per nextInt()), as in the seeded
 *   version. In both modes the alphabet of `extra` is Java's (char)('a' + rnd % 26) with a
 *   signed rnd: 'H'..'z', which includes '\\', '[', ']', '^', '_' and '`' (the JSON writer
 *   escapes the backslash).
 * - Kept as in Java on purpose, although they look like slips: a bid's bidder gets
 *   FIRST_PERSON_ID added twice (ids from 2000), and next-event.rate, rate.shape and
 *   rate.period do not change timestamps (GeneratorConfig uses first-event.rate only).
 * - The JSON writer always prints three fraction digits ("yyyy-MM-dd HH:mm:ss.SSS"); Flink's
 *   JSON format writes 0-9 digits (trailing zeros dropped) and reads both.
 *
 * OWNERSHIP AND THREADS
 * A generator (struct sl_nexmark_gen) is created by sl_nexmark_gen_new, owned by the caller
 * and freed with sl_nexmark_gen_free. It is immutable after creation: any number of threads
 * may generate from one generator at once, each with its own struct sl_nexmark_event. An
 * event's strings point into the event's own buffer or into the generator (channel urls,
 * city and state names, splittable `extra`): they are valid until the event is generated
 * into again, freed, or the generator is freed.
 */
#ifndef SL_IO_NEXMARK_H
#define SL_IO_NEXMARK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/batch.h"
#include "engine/core/error.h"

/* ---- configuration ------------------------------------------------------------------------- */

#define SL_NEXMARK_FIRST_PERSON_ID 1000
#define SL_NEXMARK_FIRST_AUCTION_ID 1000
#define SL_NEXMARK_FIRST_CATEGORY_ID 10

/* Splittable mode: the seeds of the channel url table and the reusable extra string are the
 * configured seed xored with these ("TABLES", "EXTRA" in ASCII). */
#define SL_NEXMARK_TABLES_SEED 0x5441424c4553ll
#define SL_NEXMARK_EXTRA_SEED 0x4558545241ll

enum sl_nexmark_rng {
    SL_NEXMARK_RNG_SPLITTABLE = 0, /* one SplittableRandom per generator, as nexmark-flink */
    SL_NEXMARK_RNG_PER_EVENT = 1,  /* java.util.Random(event id), as Beam and nexmark 558d931 */
};

struct sl_nexmark_config {
    /* options of the 'nexmark' connector (names as in Flink's DDL), defaults in brackets */
    int64_t first_event_rate;   /* first-event.rate, events/s [10000] */
    int64_t next_event_rate;    /* next-event.rate [10000]; stored, unused (as in Java) */
    int64_t events_num;         /* events.num: events in the stream, 0 = unbounded [0] */
    int32_t person_avg_size;    /* person.avg-size, bytes [200] */
    int32_t auction_avg_size;   /* auction.avg-size [500] */
    int32_t bid_avg_size;       /* bid.avg-size [100] */
    int32_t person_proportion;  /* person.proportion [1] */
    int32_t auction_proportion; /* auction.proportion [3] */
    int32_t bid_proportion;     /* bid.proportion [46] */
    int32_t hot_auction_ratio;  /* bid.hot-ratio.auctions [2] */
    int32_t hot_bidders_ratio;  /* bid.hot-ratio.bidders [4] */
    int32_t hot_sellers_ratio;  /* auction.hot-ratio.sellers [4] */
    int64_t stop_at;            /* stop-at: stop after this many events, -1 = never [-1] */
    int32_t rate_period_sec;    /* rate.period [600]; stored, unused (as in Java) */
    uint8_t rate_shape_sine;    /* rate.shape: 0 square, 1 sine [square]; stored, unused */
    uint8_t rate_limited;       /* rate.limited [false]: for the source's pacing */
    uint8_t keep_alive;         /* keep-alive [false]: for the source */
    uint8_t max_emit_speed;     /* max-emit-speed [true]: false = pace to the timestamps */
    /* NexmarkConfiguration fields that the connector does not expose */
    int32_t num_active_people;      /* [1000] */
    int32_t num_in_flight_auctions; /* [100] */
    int32_t num_event_generators;   /* parallel timelines (Flink: the parallelism) [1] */
    /* GeneratorConfig */
    int64_t base_time;          /* ms since the epoch of event number 0 [now] */
    int64_t first_event_id;     /* [1, as Flink's table source] */
    int64_t first_event_number; /* [1] */
    /* sluice */
    uint8_t rng;         /* enum sl_nexmark_rng [splittable] */
    int32_t split_index; /* splittable: which split of num_event_generators this is [0] */
    uint64_t seed;       /* splittable: the events' SplittableRandom is seeded with seed +
                            split_index; per-event: 0 = java.util.Random(event id) exactly as
                            in Java, else event id ^ mix(seed) [0] */
};

/* Fills `cfg` with the defaults above; base_time is the current time. */
void sl_nexmark_config_init(struct sl_nexmark_config *cfg);

/*
 * Sets one option by its connector name ("first-event.rate", "events.num",
 * "person.avg-size", "bid.hot-ratio.bidders", ...) or one of sluice's own ("seed", "rng"
 * ("splittable" or "per-event"), "base-time", "first-event.id", "first-event.number",
 * "active-people", "in-flight-auctions", "event-generators"). Sizes take a unit as Flink's
 * MemorySize does
 * ("200b", "1kb", "2 mb"); rate.period takes a duration ("600s", "10 min", "600000 ms").
 * SL_ENOTFOUND for an unknown key, SL_EINVAL for a bad value; `err` names both.
 */
int sl_nexmark_config_set(struct sl_nexmark_config *cfg, const char *key, const char *value,
                          struct sl_error *err);

/* SL_EINVAL (with the reason in `err`) when the options cannot make a stream: proportions
 * and ratios must be positive, the rate positive, sizes in 1..1 GiB and so on. */
int sl_nexmark_config_check(const struct sl_nexmark_config *cfg, struct sl_error *err);

/* GeneratorConfig.maxEvents: events_num, or when 0 Java's overflow-safe "unbounded". */
int64_t sl_nexmark_config_max_events(const struct sl_nexmark_config *cfg);

/* Events of the stream: max_events, cut at stop_at when that is >= 0. */
int64_t sl_nexmark_config_stream_events(const struct sl_nexmark_config *cfg);

/*
 * Flink's way of splitting a source n ways (NexmarkSource.getSplits: GeneratorConfig.split
 * with numEventGenerators = n): sub-stream i gets its own block of event ids (first event id
 * + i * (max events / n), max events / n of them, the last split the remainder), its own
 * timeline at 1/n of the rate (the event numbers restart at first_event_number in every
 * split) and, in splittable mode, its own random (split_index = i). stop-at is divided the
 * same way. Writes sub-config i (0 <= i < n) to `out`; n <= 1 copies `cfg`. In per-event
 * mode a plain interleaving of one timeline (worker w generates indexes w, w + N, ...)
 * needs no call at all.
 */
void sl_nexmark_config_split(const struct sl_nexmark_config *cfg, int32_t n, int32_t i,
                             struct sl_nexmark_config *out);

/* ---- events -------------------------------------------------------------------------------- */

enum sl_nexmark_type {
    SL_NEXMARK_PERSON = 0, /* event_type values of Flink's nexmark tables */
    SL_NEXMARK_AUCTION = 1,
    SL_NEXMARK_BID = 2,
};

struct sl_nexmark_str {
    const char *ptr; /* not NUL-terminated */
    uint32_t len;
};

struct sl_nexmark_person {
    int64_t id;
    struct sl_nexmark_str name, email_address, credit_card, city, state;
    int64_t date_time; /* ms since the epoch */
    struct sl_nexmark_str extra;
};

struct sl_nexmark_auction {
    int64_t id;
    struct sl_nexmark_str item_name, description;
    int64_t initial_bid, reserve, date_time, expires, seller, category;
    struct sl_nexmark_str extra;
};

struct sl_nexmark_bid {
    int64_t auction, bidder, price;
    struct sl_nexmark_str channel, url;
    int64_t date_time;
    struct sl_nexmark_str extra;
};

/* Byte room for the short strings of one event (names, e-mail, card, item name,
 * description); the generator never needs more than 160. */
#define SL_NEXMARK_SMALL 192

struct sl_nexmark_event {
    int32_t type;      /* enum sl_nexmark_type */
    int64_t index;     /* k, the position in the stream */
    int64_t event_id;  /* the id that seeded it */
    int64_t timestamp; /* event time, ms (= the dateTime of its kind) */
    union {
        struct sl_nexmark_person person;
        struct sl_nexmark_auction auction;
        struct sl_nexmark_bid bid;
    };
    char small[SL_NEXMARK_SMALL];
    char *extra_buf; /* owned, extra_cap bytes */
    size_t extra_cap;
    /* splittable: the cursor - the generator it belongs to, the index of the event it
     * generates next and the random's state before it (sl_nexmark_event_position) */
    const struct sl_nexmark_gen *cur_gen;
    int64_t cur_index;
    uint64_t cur_state;
};

/* ---- the generator ------------------------------------------------------------------------- */

struct sl_nexmark_gen;

/* A generator for `cfg` (copied; checked with sl_nexmark_config_check). It builds the
 * channel url table (about 1 MB); the caller owns it. 0, SL_EINVAL or SL_ENOMEM. */
int sl_nexmark_gen_new(const struct sl_nexmark_config *cfg, struct sl_nexmark_gen **out,
                       struct sl_error *err);
void sl_nexmark_gen_free(struct sl_nexmark_gen *gen);

/* The generator's configuration (owned by it). */
const struct sl_nexmark_config *sl_nexmark_gen_config(const struct sl_nexmark_gen *gen);

/* Prepares `ev` for events of `gen`: allocates its `extra` buffer once (the only
 * allocation; generating never allocates). 0 or SL_ENOMEM. Free with sl_nexmark_event_free. */
int sl_nexmark_event_init(struct sl_nexmark_event *ev, const struct sl_nexmark_gen *gen);
void sl_nexmark_event_free(struct sl_nexmark_event *ev);

/* Event `index` (>= 0) of the stream into `ev` (prepared for `gen`). Indexes past the
 * stream's end are generated too; the caller decides where the stream ends. Splittable
 * mode: O(1) when `index` is the one after the event last generated into `ev` (or 0 for a
 * fresh `ev`); otherwise the events from `ev`'s cursor (or from 0, going back) up to
 * `index` are generated on the way. */
void sl_nexmark_gen_event(const struct sl_nexmark_gen *gen, int64_t index,
                          struct sl_nexmark_event *ev);

/* The state of the generator's random before its first event (splittable: the seed of
 * split_index's SplittableRandom; per-event: 0). */
uint64_t sl_nexmark_gen_start_state(const struct sl_nexmark_gen *gen);

/* Splittable mode: where `ev`'s cursor stands - the index of the event it generates next and
 * the state of the generator's random before that event (in per-event mode: the index after
 * the event last generated, state 0). */
void sl_nexmark_event_position(const struct sl_nexmark_event *ev, int64_t *next_index,
                               uint64_t *state);

/* Sets `ev`'s cursor (prepared for `gen`) to a position sl_nexmark_event_position gave: the
 * next sl_nexmark_gen_event(gen, next_index, ev) continues the saved stream exactly. */
void sl_nexmark_event_seek(struct sl_nexmark_event *ev, const struct sl_nexmark_gen *gen,
                           int64_t next_index, uint64_t state);

/* The size Java's generator attributes to the event (8 per number plus the string lengths
 * it counts), the measure that the *.avg-size options are averages of. */
int64_t sl_nexmark_event_size(const struct sl_nexmark_event *ev);

/* ---- JSON ---------------------------------------------------------------------------------- */

/* An upper bound of sl_nexmark_event_json's output for events of `gen`. */
size_t sl_nexmark_json_max(const struct sl_nexmark_gen *gen);

/*
 * Writes the event as the JSON object Flink's json format reads into the nexmark Kafka table
 * (ddl_kafka.sql), fields in table order, absent kinds null:
 *   {"event_type":2,"person":null,"auction":null,"bid":{"auction":1000,"bidder":2001,
 *    "price":123,"channel":"Google","url":"https://...","dateTime":"2024-01-01 00:00:00.001",
 *    "extra":"..."}}
 * into `buf` (sl_nexmark_json_max bytes of room), no newline, no NUL. Returns the length.
 */
size_t sl_nexmark_event_json(const struct sl_nexmark_event *ev, char *buf);

/* ---- batches ------------------------------------------------------------------------------- */

/*
 * The nexmark table's physical columns with the ROW fields flattened (26 columns):
 *   0 event_type INT NOT NULL
 *   1 person.id BIGINT, person.name, person.emailAddress, person.creditCard, person.city,
 *     person.state VARCHAR, 7 person.dateTime TIMESTAMP(3), 8 person.extra VARCHAR
 *   9 auction.id BIGINT, auction.itemName, auction.description VARCHAR, auction.initialBid,
 *     auction.reserve BIGINT, 14 auction.dateTime, auction.expires TIMESTAMP(3),
 *     16 auction.seller, auction.category BIGINT, 18 auction.extra VARCHAR
 *   19 bid.auction, bid.bidder, bid.price BIGINT, 22 bid.channel, bid.url VARCHAR,
 *     24 bid.dateTime TIMESTAMP(3), 25 bid.extra VARCHAR
 * All but event_type are nullable: the fields of the two kinds an event is not are NULL.
 * The computed `dateTime` column and the watermark of the DDL belong to the planner.
 * The caller owns the schema (sl_schema_free). NULL when out of memory.
 */
struct sl_schema *sl_nexmark_schema_new(void);

#define SL_NEXMARK_NCOLS 26

/* Column indexes of the flattened schema. */
enum sl_nexmark_col {
    SL_NXC_EVENT_TYPE = 0,
    SL_NXC_PERSON = 1,  /* 8 columns: id name emailAddress creditCard city state dateTime extra */
    SL_NXC_AUCTION = 9, /* 10: id itemName description initialBid reserve dateTime expires
                           seller category extra */
    SL_NXC_BID = 19,    /* 7: auction bidder price channel url dateTime extra */
};

/*
 * Appends events first_index .. first_index + n - 1 to `b` as rows b->rows .. b->rows + n - 1
 * (strings copied into the batch's string heap). `b` must have the layout of
 * sl_nexmark_schema_new and room for n more rows; `ev` is scratch prepared for `gen`.
 * 0, SL_EINVAL (wrong layout or no room; the batch is unchanged) or SL_ENOMEM (string heap;
 * the batch keeps the rows appended before it).
 */
int sl_nexmark_fill(const struct sl_nexmark_gen *gen, struct sl_nexmark_event *ev,
                    int64_t first_index, uint32_t n, struct sl_batch *b);

/* Like sl_nexmark_fill for the events first_index, first_index + stride, ...,
 * first_index + (n - 1) * stride (stride >= 1): worker w of N generates w, w + N, ... */
int sl_nexmark_fill_stride(const struct sl_nexmark_gen *gen, struct sl_nexmark_event *ev,
                           int64_t first_index, int64_t stride, uint32_t n, struct sl_batch *b);

/* Like sl_nexmark_fill_stride, but the VARCHAR columns whose bit (1 << column index) is set
 * in `skip` are not copied into the batch: they come out NULL (projection pushdown - a
 * query that never reads a column does not pay for its bytes). */
int sl_nexmark_fill_skip(const struct sl_nexmark_gen *gen, struct sl_nexmark_event *ev,
                         int64_t first_index, int64_t stride, uint32_t n, uint32_t skip,
                         struct sl_batch *b);

#endif
