/*
 * engine/ops/winsess.c - the session set of a SESSION window aggregation (see
 * engine/ops/winsess.h for the design).
 *
 * LAYOUT
 *   keys[]   per session key: its hash, a group that has it (to compare words with), the
 *            first of its pending sessions (a singly linked list through sess[].next)
 *   slots[]  the key table: key index + 1, 0 for an empty slot; a power of two, at most half
 *            full; keys are never removed (a key whose sessions all fired keeps its entry
 *            until the next reset)
 *   sess[]   sessions: bounds, key, next session of the key (or of the free list), the
 *            first and last of its groups (a singly linked list through gnext[]), the number
 *            of groups, and its position in heap[]
 *   heap[]   the pending sessions, a binary min-heap by end
 *   out*     the arrays that fire and list_live hand out
 */
#include "engine/ops/winsess.h"

#include <string.h>

#include "engine/ops/winassign.h"
#include "kernels/hash.h"

#define SL_WS_NONE UINT32_MAX

struct sl_ws_key {
    uint64_t hash;
    uint32_t gid;  /* a group with this key */
    uint32_t sess; /* its first pending session, SL_WS_NONE for none */
};

struct sl_ws_sess {
    int64_t start, end;
    uint32_t key;          /* SL_WS_NONE for a free entry */
    uint32_t next;         /* next session of the key, or next free entry */
    uint32_t ghead, gtail; /* its groups, linked through gnext[] */
    uint32_t ngroups;
    uint32_t hpos; /* index in heap[] */
};

struct sl_winsess {
    struct sl_heap *heap;
    uint32_t iws, iwe;
    uint32_t *slots;
    uint32_t mask; /* number of slots - 1 (0 with no table yet) */
    struct sl_ws_key *keys;
    uint32_t nkeys, capkeys;
    struct sl_ws_sess *sess;
    uint32_t nsess, capsess, free_sess;
    uint32_t *gnext; /* by group id */
    uint32_t capg;
    uint32_t ngroups, nlive;
    uint32_t *heapv; /* session indexes */
    uint32_t nheap, capheap;
    uint32_t *ogid;
    int64_t *os, *oe;
    uint32_t capout;
};

static int sl_ws_nomem(struct sl_error *err)
{
    return sl_error_set(err, SL_ENOMEM, "session windows: out of memory");
}

int sl_winsess_new(struct sl_heap *heap, uint32_t iws, uint32_t iwe, struct sl_winsess **out,
                   struct sl_error *err)
{
    *out = NULL;
    struct sl_winsess *ws = sl_mem_zalloc(heap, sizeof(*ws));
    if (!ws)
        return sl_ws_nomem(err);
    ws->heap = heap;
    ws->iws = iws;
    ws->iwe = iwe;
    ws->free_sess = SL_WS_NONE;
    *out = ws;
    return 0;
}

void sl_winsess_free(struct sl_winsess *ws)
{
    if (!ws)
        return;
    sl_mem_free(ws->slots);
    sl_mem_free(ws->keys);
    sl_mem_free(ws->sess);
    sl_mem_free(ws->gnext);
    sl_mem_free(ws->heapv);
    sl_mem_free(ws->ogid);
    sl_mem_free(ws->os);
    sl_mem_free(ws->oe);
    sl_mem_free(ws);
}

void sl_winsess_reset(struct sl_winsess *ws)
{
    if (ws->slots)
        memset(ws->slots, 0, ((size_t)ws->mask + 1) * sizeof(*ws->slots));
    ws->nkeys = 0;
    ws->nsess = 0;
    ws->free_sess = SL_WS_NONE;
    ws->ngroups = 0;
    ws->nlive = 0;
    ws->nheap = 0;
}

uint32_t sl_winsess_groups(const struct sl_winsess *ws)
{
    return ws->ngroups;
}

uint32_t sl_winsess_live(const struct sl_winsess *ws)
{
    return ws->nlive;
}

/* ---- the heap of sessions by end ------------------------------------------------------------ */

static void sl_ws_heap_set(struct sl_winsess *ws, uint32_t pos, uint32_t s)
{
    ws->heapv[pos] = s;
    ws->sess[s].hpos = pos;
}

static void sl_ws_heap_up(struct sl_winsess *ws, uint32_t pos)
{
    uint32_t s = ws->heapv[pos];
    int64_t e = ws->sess[s].end;
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (ws->sess[ws->heapv[parent]].end <= e)
            break;
        sl_ws_heap_set(ws, pos, ws->heapv[parent]);
        pos = parent;
    }
    sl_ws_heap_set(ws, pos, s);
}

static void sl_ws_heap_down(struct sl_winsess *ws, uint32_t pos)
{
    uint32_t s = ws->heapv[pos];
    int64_t e = ws->sess[s].end;
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= ws->nheap)
            break;
        if (c + 1 < ws->nheap && ws->sess[ws->heapv[c + 1]].end < ws->sess[ws->heapv[c]].end)
            c++;
        if (ws->sess[ws->heapv[c]].end >= e)
            break;
        sl_ws_heap_set(ws, pos, ws->heapv[c]);
        pos = c;
    }
    sl_ws_heap_set(ws, pos, s);
}

static void sl_ws_heap_remove(struct sl_winsess *ws, uint32_t s)
{
    uint32_t pos = ws->sess[s].hpos;
    uint32_t last = ws->heapv[--ws->nheap];
    if (pos == ws->nheap)
        return;
    sl_ws_heap_set(ws, pos, last);
    sl_ws_heap_up(ws, pos);
    sl_ws_heap_down(ws, ws->sess[last].hpos);
}

/* ---- keys ----------------------------------------------------------------------------------- */

static uint64_t sl_ws_hash(const struct sl_winsess *ws, const struct sl_hashagg *ha, uint32_t nw,
                           uint32_t g)
{
    uint64_t h = SL_HASH_SEED;
    for (uint32_t w = 0; w < nw; w++)
        if (w != ws->iws && w != ws->iwe)
            h = sl_hash_combine_u64(h, sl_hashagg_key_word(ha, g, w));
    return h;
}

static bool sl_ws_same_key(const struct sl_winsess *ws, const struct sl_hashagg *ha, uint32_t nw,
                           uint32_t x, uint32_t y)
{
    for (uint32_t w = 0; w < nw; w++)
        if (w != ws->iws && w != ws->iwe &&
            sl_hashagg_key_word(ha, x, w) != sl_hashagg_key_word(ha, y, w))
            return false;
    return true;
}

/* Doubles the key table (or makes its first one) and re-places every key. */
static int sl_ws_rehash(struct sl_winsess *ws)
{
    uint64_t n = ws->mask ? ((uint64_t)ws->mask + 1) * 2 : 64;
    if (n > ((uint64_t)1 << 31))
        return SL_ENOMEM;
    uint32_t *slots = sl_mem_zalloc(ws->heap, (size_t)n * sizeof(*slots));
    if (!slots)
        return SL_ENOMEM;
    uint32_t mask = (uint32_t)(n - 1);
    for (uint32_t k = 0; k < ws->nkeys; k++) {
        uint32_t i = (uint32_t)ws->keys[k].hash & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = k + 1;
    }
    sl_mem_free(ws->slots);
    ws->slots = slots;
    ws->mask = mask;
    return 0;
}

/* The key of group g (added if new) into *key. 0 or SL_ENOMEM. */
static int sl_ws_key_of(struct sl_winsess *ws, const struct sl_hashagg *ha, uint32_t nw, uint32_t g,
                        uint32_t *key)
{
    if ((uint64_t)ws->nkeys * 2 + 2 > (uint64_t)ws->mask + 1) {
        int rc = sl_ws_rehash(ws);
        if (rc)
            return rc;
    }
    uint64_t h = sl_ws_hash(ws, ha, nw, g);
    uint32_t i = (uint32_t)h & ws->mask;
    for (; ws->slots[i]; i = (i + 1) & ws->mask) {
        uint32_t k = ws->slots[i] - 1;
        if (ws->keys[k].hash == h && sl_ws_same_key(ws, ha, nw, ws->keys[k].gid, g)) {
            *key = k;
            return 0;
        }
    }
    if (sl_mem_grow(ws->heap, (void **)&ws->keys, &ws->capkeys, ws->nkeys, ws->nkeys + 1,
                    sizeof(*ws->keys)))
        return SL_ENOMEM;
    ws->keys[ws->nkeys] = (struct sl_ws_key){h, g, SL_WS_NONE};
    ws->slots[i] = ws->nkeys + 1;
    *key = ws->nkeys++;
    return 0;
}

/* ---- sessions ------------------------------------------------------------------------------- */

static void sl_ws_sess_release(struct sl_winsess *ws, uint32_t s)
{
    ws->sess[s].key = SL_WS_NONE;
    ws->sess[s].next = ws->free_sess;
    ws->free_sess = s;
}

/* Group g (window [s, e]) into the sessions of key k. 0 or SL_ENOMEM. */
static int sl_ws_place(struct sl_winsess *ws, uint32_t k, uint32_t g, int64_t s, int64_t e)
{
    uint32_t t = SL_WS_NONE;
    uint32_t *link = &ws->keys[k].sess;
    bool grew = false;
    while (*link != SL_WS_NONE) {
        uint32_t u = *link;
        struct sl_ws_sess *su = &ws->sess[u];
        if (!(su->start <= e && su->end >= s)) {
            link = &su->next;
            continue;
        }
        if (t == SL_WS_NONE) { /* the first session it meets takes the window */
            t = u;
            if (s < su->start)
                su->start = s;
            if (e > su->end) {
                su->end = e;
                grew = true;
            }
            ws->gnext[su->gtail] = g;
            su->gtail = g;
            su->ngroups++;
            link = &su->next;
            continue;
        }
        /* u meets the window too: it joins t (sessions of a key are apart, so only a session
         * that meets the window can meet the merged one) */
        struct sl_ws_sess *st = &ws->sess[t];
        if (su->start < st->start)
            st->start = su->start;
        if (su->end > st->end) {
            st->end = su->end;
            grew = true;
        }
        ws->gnext[st->gtail] = su->ghead;
        st->gtail = su->gtail;
        st->ngroups += su->ngroups;
        *link = su->next;
        sl_ws_heap_remove(ws, u);
        sl_ws_sess_release(ws, u);
    }
    if (t != SL_WS_NONE) {
        if (grew)
            sl_ws_heap_down(ws, ws->sess[t].hpos);
        return 0;
    }
    /* a session of its own */
    if (ws->free_sess != SL_WS_NONE) {
        t = ws->free_sess;
        ws->free_sess = ws->sess[t].next;
    } else {
        if (sl_mem_grow(ws->heap, (void **)&ws->sess, &ws->capsess, ws->nsess, ws->nsess + 1,
                        sizeof(*ws->sess)))
            return SL_ENOMEM;
        t = ws->nsess++;
    }
    if (sl_mem_grow(ws->heap, (void **)&ws->heapv, &ws->capheap, ws->nheap, ws->nheap + 1,
                    sizeof(*ws->heapv))) {
        sl_ws_sess_release(ws, t);
        return SL_ENOMEM;
    }
    ws->sess[t] = (struct sl_ws_sess){s, e, k, ws->keys[k].sess, g, g, 1, 0};
    ws->keys[k].sess = t;
    ws->heapv[ws->nheap] = t;
    sl_ws_heap_up(ws, ws->nheap++);
    return 0;
}

int sl_winsess_add(struct sl_winsess *ws, const struct sl_hashagg *ha, struct sl_error *err)
{
    uint32_t ng = sl_hashagg_groups(ha);
    if (ng <= ws->ngroups)
        return 0;
    if (sl_mem_grow(ws->heap, (void **)&ws->gnext, &ws->capg, ws->ngroups, ng, sizeof(*ws->gnext)))
        return sl_ws_nomem(err);
    uint32_t nw = sl_hashagg_nwords(ha);
    for (uint32_t g = ws->ngroups; g < ng; g++) {
        uint32_t k;
        ws->gnext[g] = SL_WS_NONE;
        if (sl_ws_key_of(ws, ha, nw, g, &k) ||
            sl_ws_place(ws, k, g, (int64_t)sl_hashagg_key_word(ha, g, ws->iws),
                        (int64_t)sl_hashagg_key_word(ha, g, ws->iwe)))
            return sl_ws_nomem(err);
        ws->ngroups = g + 1;
        ws->nlive++;
    }
    return 0;
}

static int sl_ws_out(struct sl_winsess *ws, uint32_t need)
{
    uint32_t c = ws->capout;
    if (sl_mem_grow(ws->heap, (void **)&ws->ogid, &c, 0, need, sizeof(*ws->ogid)))
        return SL_ENOMEM;
    c = ws->capout;
    if (sl_mem_grow(ws->heap, (void **)&ws->os, &c, 0, need, sizeof(*ws->os)))
        return SL_ENOMEM;
    c = ws->capout;
    if (sl_mem_grow(ws->heap, (void **)&ws->oe, &c, 0, need, sizeof(*ws->oe)))
        return SL_ENOMEM;
    ws->capout = c;
    return 0;
}

int sl_winsess_fire(struct sl_winsess *ws, int64_t wm, uint32_t *n, const uint32_t **gids,
                    const int64_t **start, const int64_t **end, struct sl_error *err)
{
    uint32_t m = 0;
    *n = 0;
    *gids = ws->ogid;
    *start = ws->os;
    *end = ws->oe;
    if (!ws->nheap || !sl_winassign_fired(ws->sess[ws->heapv[0]].end, wm))
        return 0;
    if (sl_ws_out(ws, ws->nlive)) /* before anything is taken out: nothing is lost */
        return sl_ws_nomem(err);
    while (ws->nheap && sl_winassign_fired(ws->sess[ws->heapv[0]].end, wm)) {
        uint32_t u = ws->heapv[0];
        struct sl_ws_sess *su = &ws->sess[u];
        for (uint32_t g = su->ghead; g != SL_WS_NONE; g = ws->gnext[g]) {
            ws->ogid[m] = g;
            ws->os[m] = su->start;
            ws->oe[m] = su->end;
            m++;
        }
        uint32_t *link = &ws->keys[su->key].sess;
        while (*link != u)
            link = &ws->sess[*link].next;
        *link = su->next;
        ws->nlive -= su->ngroups;
        sl_ws_heap_remove(ws, u);
        sl_ws_sess_release(ws, u);
    }
    *n = m;
    *gids = ws->ogid;
    *start = ws->os;
    *end = ws->oe;
    return 0;
}

int sl_winsess_list_live(struct sl_winsess *ws, const struct sl_hashagg *ha, uint32_t *n,
                         const uint32_t **gids, const int64_t **start, const int64_t **end,
                         struct sl_error *err)
{
    *n = 0;
    if (sl_ws_out(ws, ws->nlive))
        return sl_ws_nomem(err);
    uint32_t m = 0;
    for (uint32_t h = 0; h < ws->nheap; h++)
        for (uint32_t g = ws->sess[ws->heapv[h]].ghead; g != SL_WS_NONE; g = ws->gnext[g]) {
            ws->ogid[m] = g;
            ws->os[m] = (int64_t)sl_hashagg_key_word(ha, g, ws->iws);
            ws->oe[m] = (int64_t)sl_hashagg_key_word(ha, g, ws->iwe);
            m++;
        }
    *n = m;
    *gids = ws->ogid;
    *start = ws->os;
    *end = ws->oe;
    return 0;
}
