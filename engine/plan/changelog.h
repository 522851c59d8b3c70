/*
 * engine/plan/changelog.h - changelog modes: which edges of a plan carry updates, as Flink's
 * FlinkChangelogModeInferenceProgram infers them.
 *
 * HOW IT WORKS
 * Every plan node says what it produces from what it consumes:
 *   node                              consumes           produces
 *   Scan                              -                  insert-only; a changelog table's
 *                                                        (sl_table.changelog: 'debezium-json',
 *                                                        'upsert-kafka') all: +I, -U, +U, -D
 *   Filter, Project, Sink             anything           what it consumes (row kinds pass)
 *   Watermark, Window, windowed Agg,  insert-only        insert-only
 *   LookupJoin
 *   Agg without a window (GroupAgg)   insert-only        retract: +I, -U, +U
 *                                     updating           all: +I, -U, +U, -D
 *   Rank (Top-N), Deduplicate         insert-only        all: +I, -U, +U, -D (a Deduplicate
 *                                                        keeping the first row by processing
 *                                                        time: insert-only)
 *   Rank (Top-N, RetractStrategy)     updating           all: +I, -U, +U, -D
 * (upsert modes come with upsert sinks.) A GroupAgg over an updating input retracts (a -U /
 * -D row subtracts) and deletes a group whose rows are all retracted (-D), as Flink's
 * GroupAggregate; without GROUP BY keys it is Flink's global aggregate.
 * A sink's connector says whether it takes updates (struct sl_connector.updates); the binder
 * refuses the plan when an edge carries updates into a node or sink that cannot consume them,
 * with Flink's wording: "Table sink 'default_catalog.default_database.t' doesn't support
 * consuming update changes which is produced by node GroupAggregate(groupBy=[...],
 * select=[...])".
 */
#ifndef SL_ENGINE_PLAN_CHANGELOG_H
#define SL_ENGINE_PLAN_CHANGELOG_H

#include <stddef.h>

#include "engine/plan/plan.h"

typedef enum sl_changelog_mode {
    SL_CHANGELOG_INSERT_ONLY, /* [I] */
    SL_CHANGELOG_RETRACT,     /* [I, UB, UA] */
    SL_CHANGELOG_ALL,         /* [I, UB, UA, D]: Rank (Top-N), Deduplicate but keep-first on
                                 processing time (Flink's ModifyKindSetTrait.ALL_CHANGES), a
                                 changelog table's scan (debezium-json, upsert-kafka) */
} sl_changelog_mode;

/*
 * The mode of p's output. *producer (if not NULL) gets the nearest node at or below p that
 * makes the output updating (NULL when insert-only); *refuser (if not NULL) the highest node
 * at or below p that gets updates it cannot consume (NULL when none; a Sink is never one,
 * the caller checks its connector).
 */
sl_changelog_mode sl_plan_changelog(const struct sl_plan *p, const struct sl_plan **producer,
                                    const struct sl_plan **refuser);

/* Flink's "changelogMode=[I,UB,UA]" text of a mode (static). */
const char *sl_changelog_mode_str(sl_changelog_mode m);

/* A node's name as Flink's messages write it: "GroupAggregate(groupBy=[k], select=[k,
 * COUNT(*)])", "WindowAggregate", "Calc", ... into buf (always terminated). */
void sl_plan_node_name(const struct sl_plan *p, char *buf, size_t cap);

#endif
