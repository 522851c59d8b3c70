/*
 * io/ysb.c - the Yahoo streaming benchmark's ad-event generator (see ysb.h).
 *
 * HOW IT WORKS
 * Ids: id j of table t (campaigns, ads, users, pages) is 128 bits from splitmix64 seeded
 * with (seed, t, j), formatted as a version-4 UUID once at creation into one table of
 * 36-byte strings. Events: event k seeds a splitmix64 state with (seed, k) and draws its
 * picks from it, so any event can be made without the ones before it. The JSON writer copies
 * the fixed pieces of the original's string around the ids.
 */
#include "io/ysb.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/gentext.h"

struct sl_ysb_gen {
    struct sl_ysb_config cfg;
    int32_t num_ads;
    int64_t period_ns;
    uint64_t event_seed;
    char *campaigns; /* owned: num_campaigns * 36 bytes */
    char *ads;       /* owned, and the ones below */
    char *users;
    char *pages;
};

static const struct {
    const char *s;
    uint32_t len;
} ysb_ad_types[SL_YSB_AD_TYPES] = {
    {"banner", 6}, {"modal", 5}, {"sponsored-search", 16}, {"mail", 4}, {"mobile", 6}};
static const struct {
    const char *s;
    uint32_t len;
} ysb_event_types[SL_YSB_EVENT_TYPES] = {{"view", 4}, {"click", 5}, {"purchase", 8}};

const char *sl_ysb_ad_type_name(int ad_type)
{
    return ad_type >= 0 && ad_type < SL_YSB_AD_TYPES ? ysb_ad_types[ad_type].s : NULL;
}

const char *sl_ysb_event_type_name(int event_type)
{
    return event_type >= 0 && event_type < SL_YSB_EVENT_TYPES ? ysb_event_types[event_type].s
                                                              : NULL;
}

/* ---- randomness ---------------------------------------------------------------------------- */

static uint64_t ysb_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* splitmix64: the next value of the stream at *state. */
static inline uint64_t ysb_next(uint64_t *state)
{
    *state += 0x9E3779B97F4A7C15ull;
    return ysb_mix(*state);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift, without the rejection step). */
static inline uint32_t ysb_pick(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((unsigned __int128)ysb_next(state) * n) >> 64);
}

/* ---- configuration and ids ----------------------------------------------------------------- */

void sl_ysb_config_init(struct sl_ysb_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->rate = 10000;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cfg->start_time = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    cfg->num_campaigns = 100;
    cfg->ads_per_campaign = 10;
    cfg->num_users = 100;
    cfg->num_pages = 100;
}

int sl_ysb_config_check(const struct sl_ysb_config *cfg, struct sl_error *err)
{
    if (cfg->rate <= 0 || cfg->rate > 1000000000)
        return sl_error_set(err, SL_EINVAL, "ysb: rate must be in 1 .. 10^9 events/s");
    if (cfg->num_campaigns <= 0 || cfg->ads_per_campaign <= 0 || cfg->num_users <= 0 ||
        cfg->num_pages <= 0 || cfg->num_campaigns > 1000000 || cfg->ads_per_campaign > 1000 ||
        cfg->num_users > 1000000 || cfg->num_pages > 1000000 ||
        (int64_t)cfg->num_campaigns * cfg->ads_per_campaign > 1000000)
        return sl_error_set(err, SL_EINVAL,
                            "ysb: campaigns, ads per campaign, users and pages must be "
                            "positive (at most 10^6 ids of each kind)");
    return 0;
}

/* Writes id j of table `table` as a version-4 UUID. */
static void ysb_uuid(uint64_t seed, uint64_t table, uint64_t j, char *out)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t st = ysb_mix(seed ^ ysb_mix(table * 0x100000001b3ull + j + 1));
    uint64_t hi = ysb_next(&st), lo = ysb_next(&st);
    hi = (hi & ~0xF000ull) | 0x4000ull;       /* version 4 */
    lo = (lo & ~(3ull << 62)) | (2ull << 62); /* variant 10 */
    uint8_t bytes[16];
    for (int i = 0; i < 8; i++) {
        bytes[i] = (uint8_t)(hi >> (56 - 8 * i));
        bytes[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[bytes[i] >> 4];
        *p++ = hex[bytes[i] & 15];
    }
}

static char *ysb_ids(uint64_t seed, uint64_t table, int32_t n)
{
    char *ids = malloc((size_t)n * SL_YSB_UUID_LEN);
    if (ids)
        for (int32_t j = 0; j < n; j++)
            ysb_uuid(seed, table, (uint64_t)j, ids + (size_t)j * SL_YSB_UUID_LEN);
    return ids;
}

int sl_ysb_gen_new(const struct sl_ysb_config *cfg, struct sl_ysb_gen **out, struct sl_error *err)
{
    *out = NULL;
    int rc = sl_ysb_config_check(cfg, err);
    if (rc)
        return rc;
    struct sl_ysb_gen *g = calloc(1, sizeof(*g));
    if (!g)
        return sl_error_set(err, SL_ENOMEM, "ysb: out of memory");
    g->cfg = *cfg;
    g->num_ads = cfg->num_campaigns * cfg->ads_per_campaign;
    g->period_ns = 1000000000 / cfg->rate;
    g->event_seed = ysb_mix(cfg->seed ^ 0x5953424556454e54ull); /* "YSBEVENT" */
    g->campaigns = ysb_ids(cfg->seed, 1, cfg->num_campaigns);
    g->ads = ysb_ids(cfg->seed, 2, g->num_ads);
    g->users = ysb_ids(cfg->seed, 3, cfg->num_users);
    g->pages = ysb_ids(cfg->seed, 4, cfg->num_pages);
    if (!g->campaigns || !g->ads || !g->users || !g->pages) {
        sl_ysb_gen_free(g);
        return sl_error_set(err, SL_ENOMEM, "ysb: out of memory for the id tables");
    }
    *out = g;
    return 0;
}

void sl_ysb_gen_free(struct sl_ysb_gen *gen)
{
    if (!gen)
        return;
    free(gen->campaigns);
    free(gen->ads);
    free(gen->users);
    free(gen->pages);
    free(gen);
}

const char *sl_ysb_campaign_id(const struct sl_ysb_gen *gen, int32_t campaign)
{
    return gen->campaigns + (size_t)campaign * SL_YSB_UUID_LEN;
}

const char *sl_ysb_ad_id(const struct sl_ysb_gen *gen, int32_t ad)
{
    return gen->ads + (size_t)ad * SL_YSB_UUID_LEN;
}

int32_t sl_ysb_num_ads(const struct sl_ysb_gen *gen)
{
    return gen->num_ads;
}

/* ---- events -------------------------------------------------------------------------------- */

void sl_ysb_gen_event(const struct sl_ysb_gen *gen, int64_t index, struct sl_ysb_event *ev)
{
    const struct sl_ysb_config *c = &gen->cfg;
    uint64_t st = gen->event_seed ^ ysb_mix((uint64_t)index);
    ev->index = index;
    ev->user_id = gen->users + (size_t)ysb_pick(&st, (uint32_t)c->num_users) * SL_YSB_UUID_LEN;
    ev->page_id = gen->pages + (size_t)ysb_pick(&st, (uint32_t)c->num_pages) * SL_YSB_UUID_LEN;
    ev->ad = (int32_t)ysb_pick(&st, (uint32_t)gen->num_ads);
    ev->ad_id = gen->ads + (size_t)ev->ad * SL_YSB_UUID_LEN;
    ev->ad_type = (uint8_t)ysb_pick(&st, SL_YSB_AD_TYPES);
    ev->event_type = (uint8_t)ysb_pick(&st, SL_YSB_EVENT_TYPES);
    __int128 ns = (__int128)index * gen->period_ns;
    int64_t t = c->start_time + (int64_t)(ns / 1000000);
    if (c->with_skew) {
        t += 50 - (int64_t)ysb_pick(&st, 100);
        if (ysb_pick(&st, 100000) == 0)
            t -= ysb_pick(&st, 60000);
    }
    ev->event_time = t;
}

size_t sl_ysb_event_json(const struct sl_ysb_event *ev, char *buf)
{
    char *p = buf;
    p = SL_GENTEXT_LIT(p, "{\"user_id\": \"");
    p = sl_gentext_put(p, ev->user_id, SL_YSB_UUID_LEN);
    p = SL_GENTEXT_LIT(p, "\", \"page_id\": \"");
    p = sl_gentext_put(p, ev->page_id, SL_YSB_UUID_LEN);
    p = SL_GENTEXT_LIT(p, "\", \"ad_id\": \"");
    p = sl_gentext_put(p, ev->ad_id, SL_YSB_UUID_LEN);
    p = SL_GENTEXT_LIT(p, "\", \"ad_type\": \"");
    p = sl_gentext_put(p, ysb_ad_types[ev->ad_type].s, ysb_ad_types[ev->ad_type].len);
    p = SL_GENTEXT_LIT(p, "\", \"event_type\": \"");
    p = sl_gentext_put(p, ysb_event_types[ev->event_type].s, ysb_event_types[ev->event_type].len);
    p = SL_GENTEXT_LIT(p, "\", \"event_time\": \"");
    p = sl_gentext_i64(p, ev->event_time);
    p = SL_GENTEXT_LIT(p, "\", \"ip_address\": \"1.2.3.4\"}");
    return (size_t)(p - buf);
}

size_t sl_ysb_campaigns_csv_size(const struct sl_ysb_gen *gen)
{
    return (size_t)gen->num_ads * (2 * SL_YSB_UUID_LEN + 2);
}

size_t sl_ysb_campaigns_csv(const struct sl_ysb_gen *gen, char *buf)
{
    char *p = buf;
    for (int32_t a = 0; a < gen->num_ads; a++) {
        p = sl_gentext_put(p, sl_ysb_ad_id(gen, a), SL_YSB_UUID_LEN);
        *p++ = ',';
        p = sl_gentext_put(p, sl_ysb_campaign_id(gen, a / gen->cfg.ads_per_campaign),
                           SL_YSB_UUID_LEN);
        *p++ = '\n';
    }
    return (size_t)(p - buf);
}

/* ---- batches ------------------------------------------------------------------------------- */

static const char *const ysb_col_names[SL_YSB_NCOLS] = {
    "user_id", "page_id", "ad_id", "ad_type", "event_type", "event_time", "ip_address"};
static const uint8_t ysb_col_types[SL_YSB_NCOLS] = {
    SL_TYPE_VARCHAR, SL_TYPE_VARCHAR, SL_TYPE_VARCHAR, SL_TYPE_VARCHAR,
    SL_TYPE_VARCHAR, SL_TYPE_BIGINT,  SL_TYPE_VARCHAR};

struct sl_schema *sl_ysb_schema_new(void)
{
    struct sl_type types[SL_YSB_NCOLS];
    for (int i = 0; i < SL_YSB_NCOLS; i++)
        types[i] = sl_type_make((sl_type_id)ysb_col_types[i], false);
    return sl_schema_new(SL_YSB_NCOLS, ysb_col_names, types);
}

int sl_ysb_fill(const struct sl_ysb_gen *gen, int64_t first_index, uint32_t n, struct sl_batch *b)
{
    if (b->ncols != SL_YSB_NCOLS || n > SL_BATCH_CAP - b->rows)
        return SL_EINVAL;
    for (int i = 0; i < SL_YSB_NCOLS; i++)
        if (b->cols[i].type.id != ysb_col_types[i])
            return SL_EINVAL;
    sl_str *user = sl_col_str(&b->cols[0]), *page = sl_col_str(&b->cols[1]);
    sl_str *ad = sl_col_str(&b->cols[2]), *ad_type = sl_col_str(&b->cols[3]);
    sl_str *event_type = sl_col_str(&b->cols[4]), *ip = sl_col_str(&b->cols[6]);
    int64_t *time = sl_col_i64(&b->cols[5]);
    sl_str ip_str = sl_str_make("1.2.3.4", 7);
    sl_str ad_types[SL_YSB_AD_TYPES], event_types[SL_YSB_EVENT_TYPES];
    for (int i = 0; i < SL_YSB_AD_TYPES; i++) {
        ad_types[i] = sl_batch_str(b, ysb_ad_types[i].s, ysb_ad_types[i].len);
        if (!sl_str_ok(ad_types[i]))
            return SL_ENOMEM;
    }
    for (int i = 0; i < SL_YSB_EVENT_TYPES; i++)
        event_types[i] = sl_str_make(ysb_event_types[i].s, ysb_event_types[i].len);
    uint32_t row = b->rows, end = b->rows + n;
    struct sl_ysb_event ev;
    for (; row < end; row++) {
        sl_ysb_gen_event(gen, first_index + (row - b->rows), &ev);
        sl_str u = sl_batch_str(b, ev.user_id, SL_YSB_UUID_LEN);
        sl_str p = sl_batch_str(b, ev.page_id, SL_YSB_UUID_LEN);
        sl_str a = sl_batch_str(b, ev.ad_id, SL_YSB_UUID_LEN);
        if (!sl_str_ok(u) || !sl_str_ok(p) || !sl_str_ok(a)) {
            b->rows = row;
            return SL_ENOMEM;
        }
        user[row] = u;
        page[row] = p;
        ad[row] = a;
        ad_type[row] = ad_types[ev.ad_type];
        event_type[row] = event_types[ev.event_type];
        time[row] = ev.event_time;
        ip[row] = ip_str;
    }
    b->rows = end;
    return 0;
}
