/*
 * engine/ops/winsess.h - the session set of a SESSION window aggregation (engine/ops/
 * op_winagg.c, phase 2): which groups of a hashagg keyed by (keys, a row's own window
 * [ws, we)) form which session, kept merged as groups arrive, and which sessions a watermark
 * fires, found without a scan.
 *
 * HOW IT WORKS
 * The indexed hashagg has one group per (keys, own window); the window words are `iws` and
 * `iwe` (NOT NULL BIGINT / TIMESTAMP words), the other words are the session key. Groups are
 * added in group-id order as the hashagg grows (sl_hashagg_merge gives new groups the next
 * ids), each once. Per session key a list of its pending sessions (start, end, the list of its
 * groups); the keys are in an open-addressing table (linear probing) of their hash, compared
 * word by word against a group of the key. Adding a group walks its key's sessions: every
 * session that intersects the group's window (Flink's TimeWindow.intersects: start <= we and
 * end >= ws, so touching windows merge) joins it - the first absorbs the window and the
 * others, their group lists concatenated in O(1) - or the window starts a session of its own
 * (Flink's MergingWindowSet). The sessions of one key are pairwise apart, so one pass decides.
 * Cost: O(sessions pending for the key) per group, which is one or two for a gap larger than
 * the out-of-orderness.
 *
 * Firing: a binary min-heap of (session end, session, stamp). A session's stamp changes when
 * its end grows (a new entry is pushed) and when it is merged away or fired, so older entries
 * are stale and skipped when they reach the top. sl_winsess_fire pops the sessions whose end
 * the watermark fires - O((fired + stale) log heap), nothing when nothing fires - and lists
 * their groups. Fired groups stay in the hashagg (a hashagg cannot drop groups) as dead ones;
 * the caller compacts (sl_winsess_list_live, a new table, a new set filled by sl_winsess_add)
 * once the dead outnumber the live, so each group is copied O(1) times on average.
 *
 * A group added after its session fired (not possible from the operator: such a row is late
 * at its sender, whose watermark is at least the owner's) would start a new session.
 *
 * THREADS: a session set belongs to one worker thread; memory from its heap.
 */
#ifndef SL_ENGINE_WINSESS_H
#define SL_ENGINE_WINSESS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/error.h"
#include "engine/core/mem.h"
#include "engine/ops/hashagg.h"

struct sl_winsess;

/* A new, empty session set over window words iws and iwe (memory from `heap`, not owned).
 * *out is the caller's, freed with sl_winsess_free. 0 or SL_ENOMEM. */
int sl_winsess_new(struct sl_heap *heap, uint32_t iws, uint32_t iwe, struct sl_winsess **out,
                   struct sl_error *err);

/* Frees the set (NULL is allowed). */
void sl_winsess_free(struct sl_winsess *ws);

/* Forgets every group, key and session (for another hashagg); keeps the memory. */
void sl_winsess_reset(struct sl_winsess *ws);

/* Adds groups sl_winsess_groups(ws) .. sl_hashagg_groups(ha) - 1 of `ha` (the hashagg this set
 * indexes since its creation or last reset; not kept across calls), merging sessions.
 * 0 or SL_ENOMEM (the set is then unusable until reset). */
int sl_winsess_add(struct sl_winsess *ws, const struct sl_hashagg *ha, struct sl_error *err);

/* Groups added so far (live and fired), and those in sessions not fired yet. */
uint32_t sl_winsess_groups(const struct sl_winsess *ws);
uint32_t sl_winsess_live(const struct sl_winsess *ws);

/*
 * Takes out every session whose end the watermark fires (Flink's isWindowFired: end - 1, in a
 * wrapping long, <= wm; INT64_MAX fires all): *n groups, *gids the group ids, *start / *end
 * their session's bounds, sessions in order of end (as their ends became known), the groups
 * of one session together. The arrays belong to the set and are valid until its next call.
 * 0 or SL_ENOMEM.
 */
int sl_winsess_fire(struct sl_winsess *ws, int64_t wm, uint32_t *n, const uint32_t **gids,
                    const int64_t **start, const int64_t **end, struct sl_error *err);

/*
 * The groups of the sessions not fired, for a compaction: *n group ids in *gids, with their
 * OWN windows (not the session's) in *start / *end, read from `ha`. Arrays as for fire.
 * 0 or SL_ENOMEM.
 */
int sl_winsess_list_live(struct sl_winsess *ws, const struct sl_hashagg *ha, uint32_t *n,
                         const uint32_t **gids, const int64_t **start, const int64_t **end,
                         struct sl_error *err);

#endif
