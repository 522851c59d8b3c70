/*
 * tests/io/test_nexmark.c - the Nexmark generator: java.util.Random, agreement with the Java
 * generator, proportions, determinism and resume, JSON validity and round trip, field ranges,
 * average sizes, the batch filler against the events, options, and the text helpers.
 *
 * The golden values are of the per-event mode (the splittable default is checked against
 * the JDK in test_nexmark_java.c). They come from the Java code of nexmark/nexmark
 * (nexmark-flink generator classes at HEAD) compiled with java.util.Random seeded per event
 * id as the original
 * version did (see io/nexmark.h), the 1 MiB reusable extra string disabled and the channel
 * url cache drawn from new Random(0), run on OpenJDK 17 with baseTime 1700000000000 (and
 * 1234567890123 at rate 12345), firstEventId 1, firstEventNumber 1; each event printed in
 * the ddl_kafka JSON shape. The FNV-1a 64 hashes cover the first 5000 lines, newlines
 * included. (C and Java agreed byte for byte on the first 1 000 000 events of both runs.)
 */
#include "tests/util/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/batch.h"
#include "io/gentext.h"
#include "io/jrandom.h"
#include "io/nexmark.h"
#include "tests/util/jsoncheck.h"

static struct sl_nexmark_gen *make_gen_rng(int64_t base, int64_t rate, uint64_t seed, int rng)
{
    struct sl_nexmark_config c;
    sl_nexmark_config_init(&c);
    c.rng = (uint8_t)rng;
    c.base_time = base;
    c.first_event_rate = rate;
    c.seed = seed;
    struct sl_nexmark_gen *g = NULL;
    assert_int_equal(sl_nexmark_gen_new(&c, &g, NULL), 0);
    return g;
}

static struct sl_nexmark_gen *make_gen(int64_t base, int64_t rate, uint64_t seed)
{
    return make_gen_rng(base, rate, seed, SL_NEXMARK_RNG_SPLITTABLE);
}

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- java.util.Random ---------------------------------------------------------------------- */

static void test_jrandom_known(void **state)
{
    (void)state;
    /* values printed by OpenJDK 17 */
    struct sl_jrandom r;
    sl_jrandom_init(&r, 42);
    assert_int_equal(sl_jrandom_int(&r), -1170105035);
    assert_int_equal(sl_jrandom_int_bound(&r, 10), 3);
    assert_int_equal(sl_jrandom_int_bound(&r, 1000), 248);
    assert_int_equal(sl_jrandom_long(&r), 884324181205335268ll);
    assert_true(sl_jrandom_double(&r) == 0.9420735430282128);
    assert_int_equal(sl_jrandom_int_bound(&r, 1 << 20), 742088);
    sl_jrandom_init(&r, -7);
    assert_int_equal(sl_jrandom_long(&r), 4964420944606563203ll);
    /* the rejection loop: bound 2^30 + 1 rejects about half of the draws; every result is
     * in range and the stream stays deterministic */
    struct sl_jrandom a, b;
    sl_jrandom_init(&a, 5);
    sl_jrandom_init(&b, 5);
    for (int i = 0; i < 10000; i++) {
        int32_t x = sl_jrandom_int_bound(&a, (1 << 30) + 1);
        assert_true(x >= 0 && x <= (1 << 30));
        assert_int_equal(x, sl_jrandom_int_bound(&b, (1 << 30) + 1));
        double d = sl_jrandom_double(&a);
        assert_true(d >= 0.0 && d < 1.0);
        sl_jrandom_double(&b);
    }
}

/* ---- agreement with the Java generator ------------------------------------------------------ */

static const char golden_bid2[] =
    "{\"event_type\":2,\"person\":null,\"auction\":null,\"bid\":{\"auction\":1000,\"bidder\":2001,"
    "\"price\":32530001,\"channel\":\"Google\",\"url\":\"https://www.nexmark.com/xnhd/xcat/bwmn/"
    "item.htm?query=1\",\"dateTime\":\"2023-11-14 22:13:20.000\",\"extra\":"
    "\"sbolvyqwgticfdrwdyiyofziYMU\\\\Z`UaTQO][NX\\\\RM]WPYTOuwogvszlx\"}}";
static const char golden_person48[] =
    "{\"event_type\":0,\"person\":{\"id\":1001,\"name\":\"Sarah Smith\",\"emailAddress\":"
    "\"f  y@yumv.com\",\"creditCard\":\"0892 2755 1923 0591\",\"city\":\"Los Angeles\","
    "\"state\":\"ID\",\"dateTime\":\"2023-11-14 22:13:20.004\",\"extra\":"
    "\"`RT]WInnxtneWPLPHOywusizasixbmVVHKO_Y_MOYPmoftdguqtxkyXPO_ZNYMaKVQ\\\\``OOXTNOWIKUOLIaWQN"
    "\\\\H[_cihasyNLOMHLVHKVRIznfdmdeqqvumRMZYKKNRJ[K^IIN`RJM`H[^^vbqrxduih\"},\"auction\":null,"
    "\"bid\":null}";
static const char golden_bid123456[] =
    "{\"event_type\":2,\"person\":null,\"auction\":null,\"bid\":{\"auction\":8337,\"bidder\":4401,"
    "\"price\":16104596,\"channel\":\"Google\",\"url\":\"https://www.nexmark.com/xnhd/xcat/bwmn/"
    "item.htm?query=1\",\"dateTime\":\"2023-11-14 22:13:32.345\",\"extra\":"
    "\"igxxjqninrjjrkrguqidyzdzfzaknndevsltO]MZKXfvlosm[MTQUYstgqri`L[QRXqcetaxabjvjuII\"}}";

static void check_line(struct sl_nexmark_gen *g, struct sl_nexmark_event *ev, char *buf,
                       int64_t index, const char *want)
{
    sl_nexmark_gen_event(g, index, ev);
    size_t len = sl_nexmark_event_json(ev, buf);
    buf[len] = '\0';
    assert_string_equal(buf, want);
}

static uint64_t hash_lines(struct sl_nexmark_gen *g, int64_t from, int64_t n)
{
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
    char *buf = malloc(sl_nexmark_json_max(g) + 1);
    uint64_t h = 0xcbf29ce484222325ull;
    for (int64_t i = from; i < from + n; i++) {
        sl_nexmark_gen_event(g, i, &ev);
        size_t len = sl_nexmark_event_json(&ev, buf);
        buf[len++] = '\n';
        h = fnv1a(h, buf, len);
    }
    free(buf);
    sl_nexmark_event_free(&ev);
    return h;
}

static void test_java_golden(void **state)
{
    (void)state;
    struct sl_nexmark_gen *g = make_gen_rng(1700000000000ll, 10000, 0, SL_NEXMARK_RNG_PER_EVENT);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
    char *buf = malloc(sl_nexmark_json_max(g) + 1);
    check_line(g, &ev, buf, 2, golden_bid2);
    check_line(g, &ev, buf, 48, golden_person48);
    check_line(g, &ev, buf, 123456, golden_bid123456);
    /* the first event id is 2 (firstEventId 1 + firstEventNumber 1): two auctions first */
    sl_nexmark_gen_event(g, 0, &ev);
    assert_int_equal(ev.event_id, 2);
    assert_int_equal(ev.type, SL_NEXMARK_AUCTION);
    assert_int_equal(ev.auction.id, 1001);
    free(buf);
    sl_nexmark_event_free(&ev);
    assert_int_equal(hash_lines(g, 0, 5000), 0x9d46045c69663409ull);
    sl_nexmark_gen_free(g);
    g = make_gen_rng(1234567890123ll, 12345, 0, SL_NEXMARK_RNG_PER_EVENT);
    assert_int_equal(hash_lines(g, 0, 5000), 0x80b26f402fa19f38ull);
    sl_nexmark_gen_free(g);
}

/* ---- proportions, determinism, resume -------------------------------------------------------- */

static void test_proportions(void **state)
{
    (void)state;
    struct sl_nexmark_config c;
    sl_nexmark_config_init(&c);
    c.base_time = 0;
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            c.person_proportion = 2;
            c.auction_proportion = 5;
            c.bid_proportion = 13;
        }
        int32_t total = c.person_proportion + c.auction_proportion + c.bid_proportion;
        struct sl_nexmark_gen *g;
        assert_int_equal(sl_nexmark_gen_new(&c, &g, NULL), 0);
        struct sl_nexmark_event ev;
        assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
        /* every window of `total` consecutive events, wherever it starts */
        for (int64_t start = 0; start < 3 * total; start += 7) {
            int counts[3] = {0, 0, 0};
            for (int64_t i = start; i < start + 40 * total; i++) {
                sl_nexmark_gen_event(g, i, &ev);
                assert_true(ev.type >= 0 && ev.type <= 2);
                counts[ev.type]++;
            }
            assert_int_equal(counts[0], 40 * c.person_proportion);
            assert_int_equal(counts[1], 40 * c.auction_proportion);
            assert_int_equal(counts[2], 40 * c.bid_proportion);
        }
        sl_nexmark_event_free(&ev);
        sl_nexmark_gen_free(g);
    }
}

static void test_determinism_and_resume(void **state)
{
    (void)state;
    struct sl_nexmark_gen *a = make_gen(1600000000000ll, 50000, 0);
    struct sl_nexmark_gen *b = make_gen(1600000000000ll, 50000, 0);
    struct sl_nexmark_gen *s1 = make_gen(1600000000000ll, 50000, 99);
    struct sl_nexmark_gen *s2 = make_gen(1600000000000ll, 50000, 99);
    /* same config, same bytes; a seed changes them, the same seed twice does not */
    assert_int_equal(hash_lines(a, 0, 3000), hash_lines(b, 0, 3000));
    assert_int_equal(hash_lines(s1, 0, 3000), hash_lines(s2, 0, 3000));
    assert_int_not_equal(hash_lines(a, 0, 3000), hash_lines(s1, 0, 3000));
    /* resume from any index = the sequential stream from there (no state between events) */
    uint64_t whole = 0xcbf29ce484222325ull;
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, a), 0);
    char *buf = malloc(sl_nexmark_json_max(a) + 1);
    for (int64_t i = 0; i < 2000; i++) {
        sl_nexmark_gen_event(a, i, &ev);
        size_t len = sl_nexmark_event_json(&ev, buf);
        buf[len++] = '\n';
        whole = fnv1a(whole, buf, len);
    }
    uint64_t pieces = 0xcbf29ce484222325ull;
    const int64_t cuts[] = {0, 1, 49, 50, 51, 777, 1999, 2000};
    for (int k = 0; k + 1 < 8; k++) {
        /* a fresh event struct per range, as a restarted worker would have */
        struct sl_nexmark_event ev2;
        assert_int_equal(sl_nexmark_event_init(&ev2, b), 0);
        for (int64_t i = cuts[k]; i < cuts[k + 1]; i++) {
            sl_nexmark_gen_event(b, i, &ev2);
            size_t len = sl_nexmark_event_json(&ev2, buf);
            buf[len++] = '\n';
            pieces = fnv1a(pieces, buf, len);
        }
        sl_nexmark_event_free(&ev2);
    }
    assert_int_equal(whole, pieces);
    /* going backwards works too */
    sl_nexmark_gen_event(a, 1234, &ev);
    size_t l1 = sl_nexmark_event_json(&ev, buf);
    char *copy = malloc(l1);
    memcpy(copy, buf, l1);
    sl_nexmark_gen_event(a, 5, &ev);
    sl_nexmark_gen_event(a, 1234, &ev);
    assert_int_equal(sl_nexmark_event_json(&ev, buf), l1);
    assert_memory_equal(buf, copy, l1);
    free(copy);
    free(buf);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(a);
    sl_nexmark_gen_free(b);
    sl_nexmark_gen_free(s1);
    sl_nexmark_gen_free(s2);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static const char *const person_keys[] = {"person.id",         "person.name", "person.emailAddress",
                                          "person.creditCard", "person.city", "person.state",
                                          "person.dateTime",   "person.extra"};
static const char *const auction_keys[] = {
    "auction.id",       "auction.itemName", "auction.description", "auction.initialBid",
    "auction.reserve",  "auction.dateTime", "auction.expires",     "auction.seller",
    "auction.category", "auction.extra"};
static const char *const bid_keys[] = {"bid.auction", "bid.bidder",   "bid.price", "bid.channel",
                                       "bid.url",     "bid.dateTime", "bid.extra"};

static void expect_num(const struct sl_json_doc *d, const char *path, int64_t v)
{
    const struct sl_json_entry *e = sl_json_get(d, path);
    assert_non_null(e);
    assert_int_equal(e->kind, 'n');
    assert_int_equal(strtoll(e->value, NULL, 10), v);
}

static void expect_str(const struct sl_json_doc *d, const char *path, struct sl_nexmark_str s)
{
    const struct sl_json_entry *e = sl_json_get(d, path);
    assert_non_null(e);
    assert_int_equal(e->kind, 's');
    assert_int_equal(e->len, s.len);
    assert_memory_equal(e->value, s.ptr, s.len);
}

static void expect_ts(const struct sl_json_doc *d, const char *path, int64_t ms)
{
    char want[32];
    char *end = sl_gentext_timestamp(want, ms);
    struct sl_nexmark_str s = {want, (uint32_t)(end - want)};
    assert_int_equal(s.len, 23);
    expect_str(d, path, s);
}

/* The document has exactly these entries in this order: root, event_type, the three kinds. */
static void expect_layout(const struct sl_json_doc *d, int type)
{
    static const char *const kinds[] = {"person", "auction", "bid"};
    const char *const *keys[] = {person_keys, auction_keys, bid_keys};
    const int nkeys[] = {8, 10, 7};
    int k = 0;
    assert_string_equal(d->e[k].path, "");
    assert_int_equal(d->e[k++].kind, 'o');
    assert_string_equal(d->e[k].path, "event_type");
    assert_int_equal(d->e[k].kind, 'n');
    assert_int_equal(atoi(d->e[k++].value), type);
    for (int t = 0; t < 3; t++) {
        assert_string_equal(d->e[k].path, kinds[t]);
        if (t != type) {
            assert_int_equal(d->e[k++].kind, 'z');
            continue;
        }
        assert_int_equal(d->e[k++].kind, 'o');
        for (int i = 0; i < nkeys[t]; i++)
            assert_string_equal(d->e[k++].path, keys[t][i]);
    }
    assert_int_equal(k, d->n);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    struct sl_nexmark_gen *g = make_gen(1700000000000ll, 10000, 3);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
    size_t max = sl_nexmark_json_max(g);
    char *buf = malloc(max + 1);
    static struct sl_json_doc doc;
    int seen_escape = 0;
    for (int64_t i = 0; i < 5000; i++) {
        sl_nexmark_gen_event(g, i, &ev);
        size_t len = sl_nexmark_event_json(&ev, buf);
        assert_true(len < max);
        assert_int_equal(sl_json_parse(buf, len, &doc), 0);
        expect_layout(&doc, ev.type);
        seen_escape |= memchr(buf, '\\', len) != NULL;
        if (ev.type == SL_NEXMARK_PERSON) {
            const struct sl_nexmark_person *p = &ev.person;
            expect_num(&doc, "person.id", p->id);
            expect_str(&doc, "person.name", p->name);
            expect_str(&doc, "person.emailAddress", p->email_address);
            expect_str(&doc, "person.creditCard", p->credit_card);
            expect_str(&doc, "person.city", p->city);
            expect_str(&doc, "person.state", p->state);
            expect_ts(&doc, "person.dateTime", p->date_time);
            expect_str(&doc, "person.extra", p->extra);
        } else if (ev.type == SL_NEXMARK_AUCTION) {
            const struct sl_nexmark_auction *a = &ev.auction;
            expect_num(&doc, "auction.id", a->id);
            expect_str(&doc, "auction.itemName", a->item_name);
            expect_str(&doc, "auction.description", a->description);
            expect_num(&doc, "auction.initialBid", a->initial_bid);
            expect_num(&doc, "auction.reserve", a->reserve);
            expect_ts(&doc, "auction.dateTime", a->date_time);
            expect_ts(&doc, "auction.expires", a->expires);
            expect_num(&doc, "auction.seller", a->seller);
            expect_num(&doc, "auction.category", a->category);
            expect_str(&doc, "auction.extra", a->extra);
        } else {
            const struct sl_nexmark_bid *b = &ev.bid;
            expect_num(&doc, "bid.auction", b->auction);
            expect_num(&doc, "bid.bidder", b->bidder);
            expect_num(&doc, "bid.price", b->price);
            expect_str(&doc, "bid.channel", b->channel);
            expect_str(&doc, "bid.url", b->url);
            expect_ts(&doc, "bid.dateTime", b->date_time);
            expect_str(&doc, "bid.extra", b->extra);
        }
    }
    assert_true(seen_escape); /* the backslashes of `extra` were exercised */
    /* the checker itself rejects what it must */
    assert_int_equal(sl_json_parse("{\"a\":1,}", 8, &doc), -1);
    assert_int_equal(sl_json_parse("{\"a\":\"x\\q\"}", 11, &doc), -1);
    assert_int_equal(sl_json_parse("{\"a\":1} x", 9, &doc), -1);
    assert_int_equal(sl_json_parse("{\"a\":\"\x01\"}", 9, &doc), -1);
    assert_int_equal(sl_json_parse("{\"a\":[1,2.5e3,null,true],\"b\":\"\\u00e9\"}", 38, &doc), 0);
    assert_string_equal(sl_json_get(&doc, "b")->value, "\xc3\xa9");
    assert_string_equal(sl_json_get(&doc, "a[1]")->value, "2.5e3");
    free(buf);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);
}

/* ---- field ranges and sizes ------------------------------------------------------------------ */

static int in_list(struct sl_nexmark_str s, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strlen(list[i]) == s.len && memcmp(list[i], s.ptr, s.len) == 0)
            return 1;
    return 0;
}

static void test_field_ranges(void **state)
{
    (void)state;
    static const char *const states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
    static const char *const cities[] = {"Phoenix",  "Los Angeles", "San Francisco", "Boise",
                                         "Portland", "Bend",        "Redmond",       "Seattle",
                                         "Kent",     "Cheyenne"};
    static const char *const hot[] = {"Google", "Facebook", "Baidu", "Apple"};
    const int64_t base = 1700000000000ll;
    const int64_t rate = 7000; /* delay 142.857.. us: timestamps round down */
    struct sl_nexmark_gen *g = make_gen(base, rate, 0);
    struct sl_nexmark_event ev;
    assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
    int64_t last_person = 0, last_auction = 0, last_ts = INT64_MIN;
    int64_t sizes[3] = {0, 0, 0}, counts[3] = {0, 0, 0};
    int64_t hot_channels = 0, bids = 0;
    const int64_t n = 200000;
    for (int64_t i = 0; i < n; i++) {
        sl_nexmark_gen_event(g, i, &ev);
        int64_t number = 1 + i;
        assert_int_equal(ev.event_id, 1 + number);
        assert_int_equal(ev.timestamp, base + (int64_t)((double)number * (1e6 / rate)) / 1000);
        assert_true(ev.timestamp >= last_ts);
        last_ts = ev.timestamp;
        sizes[ev.type] += sl_nexmark_event_size(&ev);
        counts[ev.type]++;
        if (ev.type == SL_NEXMARK_PERSON) {
            const struct sl_nexmark_person *p = &ev.person;
            /* ids: 1001, 1002, ... one per person, no gaps */
            assert_int_equal(p->id, last_person ? last_person + 1 : 1001);
            last_person = p->id;
            assert_true(in_list(p->state, states, 6));
            assert_true(in_list(p->city, cities, 10));
            assert_int_equal(p->credit_card.len, 19);
            assert_non_null(memchr(p->email_address.ptr, '@', p->email_address.len));
            assert_int_equal(p->date_time, ev.timestamp);
        } else if (ev.type == SL_NEXMARK_AUCTION) {
            const struct sl_nexmark_auction *a = &ev.auction;
            assert_int_equal(a->id, last_auction ? last_auction + 1 : 1001);
            last_auction = a->id;
            assert_true(a->initial_bid >= 100 && a->initial_bid <= 100000000);
            assert_true(a->reserve >= a->initial_bid + 100);
            assert_true(a->expires > a->date_time);
            assert_true(a->category >= 10 && a->category <= 14);
            /* sellers: existing people (or up to 10 ahead) */
            assert_true(a->seller >= 1000 && a->seller <= (last_person ? last_person : 1000) + 10);
            assert_true(a->item_name.len <= 19 && a->description.len <= 99);
        } else {
            const struct sl_nexmark_bid *b = &ev.bid;
            bids++;
            assert_true(b->price >= 100 && b->price <= 100000000);
            assert_true(b->auction >= 1000 &&
                        b->auction <= (last_auction ? last_auction : 1000) + 10);
            /* FIRST_PERSON_ID is added twice by the Java code: bidders start at 2000 */
            assert_true(b->bidder >= 2000 &&
                        b->bidder <= (last_person ? last_person : 1000) + 1000 + 10);
            if (in_list(b->channel, hot, 4)) {
                hot_channels++;
                assert_true(b->url.len > 24 &&
                            memcmp(b->url.ptr, "https://www.nexmark.com/", 24) == 0);
            } else {
                assert_true(b->channel.len > 8 && memcmp(b->channel.ptr, "channel-", 8) == 0);
                /* the digits of the slice itself (strtol would read on to a NUL beyond
                 * it: under ASan's strict_string_checks the whole rest of the buffer, 14
                 * of this test's 15 CPU s) */
                char digits[16];
                assert_true(b->channel.len - 8 < sizeof(digits));
                memcpy(digits, b->channel.ptr + 8, b->channel.len - 8);
                digits[b->channel.len - 8] = '\0';
                char *end;
                long ch = strtol(digits, &end, 10);
                assert_true(*digits && *end == '\0' && ch >= 0 && ch < 10000);
            }
        }
    }
    /* hot channels half of the time (binomial, 184000 bids: 5 sigma is about 0.6 %) */
    assert_true(llabs(2 * hot_channels - bids) < bids / 50);
    /* average sizes near person.avg-size / auction.avg-size / bid.avg-size */
    double avg[3];
    for (int t = 0; t < 3; t++)
        avg[t] = (double)sizes[t] / (double)counts[t];
    assert_true(fabs(avg[0] - 200) < 4);
    assert_true(fabs(avg[1] - 500) < 10);
    assert_true(fabs(avg[2] - 100) < 2);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);

    /* bigger sizes from the options */
    struct sl_nexmark_config c;
    sl_nexmark_config_init(&c);
    assert_int_equal(sl_nexmark_config_set(&c, "bid.avg-size", "1kb", NULL), 0);
    assert_int_equal(c.bid_avg_size, 1024);
    assert_int_equal(sl_nexmark_gen_new(&c, &g, NULL), 0);
    assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
    int64_t total = 0, nb = 0;
    for (int64_t i = 0; i < 20000; i++) {
        sl_nexmark_gen_event(g, i, &ev);
        if (ev.type == SL_NEXMARK_BID) {
            total += sl_nexmark_event_size(&ev);
            nb++;
        }
    }
    assert_true(fabs((double)total / (double)nb - 1024) < 20);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);
}

/* ---- batches ------------------------------------------------------------------------------- */

static void expect_col_str(struct sl_batch *b, int col, uint32_t row, struct sl_nexmark_str s)
{
    assert_false(sl_col_is_null(&b->cols[col], row));
    sl_str v = sl_col_str(&b->cols[col])[row];
    assert_int_equal(v.len, s.len);
    assert_memory_equal(sl_str_data(&v), s.ptr, s.len);
}

static void expect_col_i64(struct sl_batch *b, int col, uint32_t row, int64_t x)
{
    assert_false(sl_col_is_null(&b->cols[col], row));
    assert_int_equal(sl_col_i64(&b->cols[col])[row], x);
}

static void expect_row(struct sl_batch *b, uint32_t row, const struct sl_nexmark_event *ev)
{
    assert_int_equal(sl_col_i32(&b->cols[SL_NXC_EVENT_TYPE])[row], ev->type);
    for (int c = SL_NXC_PERSON; c < SL_NEXMARK_NCOLS; c++) {
        int kind = c < SL_NXC_AUCTION ? 0 : c < SL_NXC_BID ? 1 : 2;
        if (kind != ev->type)
            assert_true(sl_col_is_null(&b->cols[c], row));
    }
    if (ev->type == SL_NEXMARK_PERSON) {
        const struct sl_nexmark_person *p = &ev->person;
        expect_col_i64(b, SL_NXC_PERSON + 0, row, p->id);
        expect_col_str(b, SL_NXC_PERSON + 1, row, p->name);
        expect_col_str(b, SL_NXC_PERSON + 2, row, p->email_address);
        expect_col_str(b, SL_NXC_PERSON + 3, row, p->credit_card);
        expect_col_str(b, SL_NXC_PERSON + 4, row, p->city);
        expect_col_str(b, SL_NXC_PERSON + 5, row, p->state);
        expect_col_i64(b, SL_NXC_PERSON + 6, row, p->date_time);
        expect_col_str(b, SL_NXC_PERSON + 7, row, p->extra);
    } else if (ev->type == SL_NEXMARK_AUCTION) {
        const struct sl_nexmark_auction *a = &ev->auction;
        expect_col_i64(b, SL_NXC_AUCTION + 0, row, a->id);
        expect_col_str(b, SL_NXC_AUCTION + 1, row, a->item_name);
        expect_col_str(b, SL_NXC_AUCTION + 2, row, a->description);
        expect_col_i64(b, SL_NXC_AUCTION + 3, row, a->initial_bid);
        expect_col_i64(b, SL_NXC_AUCTION + 4, row, a->reserve);
        expect_col_i64(b, SL_NXC_AUCTION + 5, row, a->date_time);
        expect_col_i64(b, SL_NXC_AUCTION + 6, row, a->expires);
        expect_col_i64(b, SL_NXC_AUCTION + 7, row, a->seller);
        expect_col_i64(b, SL_NXC_AUCTION + 8, row, a->category);
        expect_col_str(b, SL_NXC_AUCTION + 9, row, a->extra);
    } else {
        const struct sl_nexmark_bid *d = &ev->bid;
        expect_col_i64(b, SL_NXC_BID + 0, row, d->auction);
        expect_col_i64(b, SL_NXC_BID + 1, row, d->bidder);
        expect_col_i64(b, SL_NXC_BID + 2, row, d->price);
        expect_col_str(b, SL_NXC_BID + 3, row, d->channel);
        expect_col_str(b, SL_NXC_BID + 4, row, d->url);
        expect_col_i64(b, SL_NXC_BID + 5, row, d->date_time);
        expect_col_str(b, SL_NXC_BID + 6, row, d->extra);
    }
}

static void test_batch_fill(void **state)
{
    (void)state;
    struct sl_schema *schema = sl_nexmark_schema_new();
    assert_non_null(schema);
    assert_int_equal(schema->ncols, SL_NEXMARK_NCOLS);
    assert_int_equal(sl_schema_find(schema, "bid.price"), SL_NXC_BID + 2);
    assert_int_equal(sl_schema_find(schema, "person.emailAddress"), SL_NXC_PERSON + 2);
    assert_int_equal(sl_schema_find(schema, "auction.expires"), SL_NXC_AUCTION + 6);
    assert_int_equal(schema->fields[0].type.id, SL_TYPE_INT);
    assert_false(schema->fields[0].type.nullable);
    assert_int_equal(schema->fields[SL_NXC_BID + 5].type.id, SL_TYPE_TIMESTAMP);
    assert_true(schema->fields[SL_NXC_BID + 5].type.nullable);
    struct sl_batch_pool *pool = sl_batch_pool_new(NULL, schema, 2);
    struct sl_nexmark_gen *g = make_gen(1700000000000ll, 10000, 0);
    struct sl_nexmark_event scratch, ev;
    assert_int_equal(sl_nexmark_event_init(&scratch, g), 0);
    assert_int_equal(sl_nexmark_event_init(&ev, g), 0);
    for (size_t t = 0; t < sl_test_nlengths; t++) {
        uint32_t n = sl_test_lengths[t];
        if (n > SL_BATCH_CAP)
            continue; /* the list has fixed lengths too; a batch holds at most CAP */
        for (int64_t first = 0; first < 120; first += 47) {
            struct sl_batch *b = sl_batch_pool_get(pool);
            assert_non_null(b);
            /* fill in two appends (n/3 then the rest) to cross validity words mid-way */
            uint32_t n1 = n / 3;
            assert_int_equal(sl_nexmark_fill(g, &scratch, first, n1, b), 0);
            assert_int_equal(b->rows, n1);
            assert_int_equal(sl_nexmark_fill(g, &scratch, first + n1, n - n1, b), 0);
            assert_int_equal(b->rows, n);
            for (uint32_t r = 0; r < n; r++) {
                sl_nexmark_gen_event(g, first + r, &ev);
                expect_row(b, r, &ev);
            }
            /* no room, wrong layout: SL_EINVAL, unchanged */
            if (n == SL_BATCH_CAP) {
                assert_int_equal(sl_nexmark_fill(g, &scratch, 0, 1, b), SL_EINVAL);
                assert_int_equal(b->rows, n);
            }
            sl_batch_pool_put(b);
        }
    }
    const char *names[] = {"x"};
    struct sl_type types[] = {sl_type_make(SL_TYPE_INT, false)};
    struct sl_schema *other = sl_schema_new(1, names, types);
    struct sl_batch_pool *opool = sl_batch_pool_new(NULL, other, 1);
    struct sl_batch *ob = sl_batch_pool_get(opool);
    assert_int_equal(sl_nexmark_fill(g, &scratch, 0, 1, ob), SL_EINVAL);
    assert_int_equal(ob->rows, 0);
    sl_batch_pool_put(ob);
    sl_batch_pool_free(opool);
    sl_schema_free(other);
    sl_nexmark_event_free(&scratch);
    sl_nexmark_event_free(&ev);
    sl_nexmark_gen_free(g);
    assert_int_equal(sl_batch_pool_outstanding(pool), 0);
    sl_batch_pool_free(pool);
    sl_schema_free(schema);
}

/* ---- options and splits ------------------------------------------------------------------- */

static void test_config(void **state)
{
    (void)state;
    struct sl_nexmark_config c;
    struct sl_error err;
    sl_nexmark_config_init(&c);
    assert_int_equal(c.first_event_rate, 10000);
    assert_int_equal(c.person_proportion + c.auction_proportion + c.bid_proportion, 50);
    assert_int_equal(c.hot_auction_ratio, 2);
    assert_int_equal(c.hot_bidders_ratio, 4);
    assert_int_equal(c.hot_sellers_ratio, 4);
    assert_int_equal(c.person_avg_size, 200);
    assert_int_equal(c.auction_avg_size, 500);
    assert_int_equal(c.bid_avg_size, 100);
    assert_true(c.base_time > 1600000000000ll); /* now */
    assert_int_equal(sl_nexmark_config_set(&c, "first-event.rate", "123", &err), 0);
    assert_int_equal(c.first_event_rate, 123);
    assert_int_equal(sl_nexmark_config_set(&c, "person.avg-size", " 2 kb ", &err), 0);
    assert_int_equal(c.person_avg_size, 2048);
    assert_int_equal(sl_nexmark_config_set(&c, "auction.avg-size", "777", &err), 0);
    assert_int_equal(c.auction_avg_size, 777);
    assert_int_equal(sl_nexmark_config_set(&c, "rate.period", "10 min", &err), 0);
    assert_int_equal(c.rate_period_sec, 600);
    assert_int_equal(sl_nexmark_config_set(&c, "rate.shape", "SINE", &err), 0);
    assert_int_equal(c.rate_shape_sine, 1);
    assert_int_equal(sl_nexmark_config_set(&c, "max-emit-speed", "false", &err), 0);
    assert_int_equal(c.max_emit_speed, 0);
    assert_int_equal(sl_nexmark_config_set(&c, "BID.PROPORTION", "92", &err), 0);
    assert_int_equal(c.bid_proportion, 92);
    assert_int_equal(sl_nexmark_config_set(&c, "seed", "18", &err), 0);
    assert_int_equal(c.seed, 18);
    assert_int_equal(sl_nexmark_config_set(&c, "no.such", "1", &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no.such"));
    assert_int_equal(sl_nexmark_config_set(&c, "events.num", "12x", &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "events.num"));
    assert_int_equal(sl_nexmark_config_set(&c, "person.avg-size", "3 parsecs", &err), SL_EINVAL);
    assert_int_equal(sl_nexmark_config_set(&c, "person.proportion", "99999999999", &err),
                     SL_EINVAL);
    assert_int_equal(sl_nexmark_config_set(&c, "keep-alive", "maybe", &err), SL_EINVAL);
    assert_int_equal(sl_nexmark_config_check(&c, &err), 0);
    c.bid_proportion = 0;
    assert_int_equal(sl_nexmark_config_check(&c, &err), SL_EINVAL);
    struct sl_nexmark_gen *g = (struct sl_nexmark_gen *)&c; /* must be reset to NULL */
    assert_int_equal(sl_nexmark_gen_new(&c, &g, &err), SL_EINVAL);
    assert_null(g);
    c.bid_proportion = 46;
    c.first_event_rate = 0;
    assert_int_equal(sl_nexmark_config_check(&c, &err), SL_EINVAL);

    /* Flink's split: id blocks that tile the stream, 1/n of the rate each */
    sl_nexmark_config_init(&c);
    c.events_num = 1003;
    int64_t sum = 0, next_id = c.first_event_id;
    for (int i = 0; i < 4; i++) {
        struct sl_nexmark_config s;
        sl_nexmark_config_split(&c, 4, i, &s);
        assert_int_equal(s.num_event_generators, 4);
        assert_int_equal(s.first_event_id, next_id);
        next_id += s.events_num;
        sum += s.events_num;
    }
    assert_int_equal(sum, 1003);
    c.events_num = 0;
    assert_int_equal(sl_nexmark_config_max_events(&c), INT64_MAX / (50 * 500));
    c.stop_at = 77;
    assert_int_equal(sl_nexmark_config_stream_events(&c), 77);
}

/* ---- text helpers ---------------------------------------------------------------------------- */

static void fmt_ts(int64_t ms, const char *want)
{
    char buf[32];
    char *e = sl_gentext_timestamp(buf, ms);
    *e = '\0';
    assert_string_equal(buf, want);
}

static void fmt_i64(int64_t v, const char *want)
{
    char buf[32];
    char *e = sl_gentext_i64(buf, v);
    *e = '\0';
    assert_string_equal(buf, want);
}

/* The obvious escaper, one byte at a time. */
static size_t ref_escape(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c < 0x20) {
            const char *m = c == '\n'   ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                            : c == '\b' ? "\\b"
                            : c == '\f' ? "\\f"
                                        : NULL;
            if (m) {
                memcpy(out + k, m, 2);
                k += 2;
            } else {
                k += (size_t)sprintf(out + k, "\\u%04x", c);
            }
        } else {
            out[k++] = (char)c;
        }
    }
    return k;
}

static void test_gentext(void **state)
{
    (void)state;
    fmt_ts(0, "1970-01-01 00:00:00.000");
    fmt_ts(-1, "1969-12-31 23:59:59.999");
    fmt_ts(951782400000ll, "2000-02-29 00:00:00.000");
    fmt_ts(1700000000123ll, "2023-11-14 22:13:20.123");
    fmt_ts(253402300799999ll, "9999-12-31 23:59:59.999");
    fmt_ts(-62135596800000ll, "0001-01-01 00:00:00.000");
    fmt_i64(0, "0");
    fmt_i64(9, "9");
    fmt_i64(10, "10");
    fmt_i64(99, "99");
    fmt_i64(100, "100");
    fmt_i64(-12345, "-12345");
    fmt_i64(INT64_MAX, "9223372036854775807");
    fmt_i64(INT64_MIN, "-9223372036854775808");
    char buf[32];
    *sl_gentext_u64(buf, UINT64_MAX) = '\0';
    assert_string_equal(buf, "18446744073709551615");
    for (uint64_t v = 1; v < UINT64_MAX / 10; v *= 10) {
        char want[32];
        snprintf(want, sizeof(want), "%llu", (unsigned long long)(v - 1));
        *sl_gentext_u64(buf, v - 1) = '\0';
        assert_string_equal(buf, want);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
        *sl_gentext_u64(buf, v) = '\0';
        assert_string_equal(buf, want);
    }
    /* escaping against the reference at every length and position of the special bytes */
    uint64_t rs = 77;
    static const char specials[] = {'"', '\\', '\n',   '\x01',     '\x1f',     '\t',
                                    ' ', 'a',  '\x7f', (char)0x80, (char)0xff, '/'};
    char in[80], got[80 * 6 + 16], want[80 * 6];
    for (size_t n = 0; n <= 64; n++) {
        for (int rep = 0; rep < 40; rep++) {
            for (size_t i = 0; i < n; i++) {
                uint64_t r = sl_test_rand(&rs);
                in[i] = r % 4 == 0 ? specials[(r >> 8) % sizeof(specials)] : (char)('A' + r % 26);
            }
            size_t wl = ref_escape(in, n, want);
            size_t gl = (size_t)(sl_gentext_json_str(got, in, n) - got);
            assert_int_equal(gl, wl);
            assert_memory_equal(got, want, wl);
        }
        /* no specials at all, and only specials */
        memset(in, 'q', n);
        assert_int_equal(sl_gentext_json_str(got, in, n) - got, (ptrdiff_t)n);
        memset(in, '\\', n);
        assert_int_equal(sl_gentext_json_str(got, in, n) - got, (ptrdiff_t)(2 * n));
    }
    /* the empty string writes nothing */
    assert_ptr_equal(sl_gentext_json_str(got, "", 0), got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jrandom_known),   cmocka_unit_test(test_java_golden),
        cmocka_unit_test(test_proportions),     cmocka_unit_test(test_determinism_and_resume),
        cmocka_unit_test(test_json_round_trip), cmocka_unit_test(test_field_ranges),
        cmocka_unit_test(test_batch_fill),      cmocka_unit_test(test_config),
        cmocka_unit_test(test_gentext),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
