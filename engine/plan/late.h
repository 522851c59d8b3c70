/*
 * engine/plan/late.h - the late-data side output in SQL (issue #13): a source table option
 * 'sluice.late-data.sink' = 'other_table' sends the rows a window aggregation would drop as
 * late into another table of the catalog, with the reason, instead of only counting them.
 *
 * HOW IT WORKS
 * The window aggregation (engine/ops/op_winagg.h) decides lateness in its phase 1, on its
 * projected input: a (row, window) pair is late when the window has fired, window_end - 1 <=
 * wm1, wm1 being the last watermark that reached it. It no longer knows the source row. So
 * after binding, sl_late_plan puts an SL_PLAN_LATE node ("late splitter",
 * engine/ops/op_late.h) into every INSERT that reads a table with the option, directly above
 * its event-time WATERMARK node and the filters right above it (the WHERE conditions on the
 * table's own columns, which the binder pushes below the window): the rows there are the
 * source rows, whole. The node knows the window assigner above it (kind, size, slide,
 * offset, and its time attribute traced down to the node's input) and evaluates the same
 * rule with the same watermark: between the two there is only per-batch work (filters,
 * projections, the window assigner, a lookup join), which passes rows and watermarks on in
 * the order it got them, on the same worker, so the splitter's last watermark when a row
 * arrives is the window's wm1 when it arrives.
 *
 * A row all of whose windows have fired leaves the main flow: one row per window goes to the
 * late table, and late_rows counts the pairs (the window never sees the row). A HOP or
 * CUMULATE row late for some of its windows only goes on (the window aggregation still
 * drops and counts those pairs) and also gives one late-table row per late window, which
 * the splitter does not count. So every pair the window aggregation would drop is counted
 * once and written once: late_rows = rows written to the late table.
 *
 * VALIDATION (errors name the option's file:line:col): the option's table exists, is not
 * the source itself, and has every physical column of the source (by name, the same type;
 * a late column may be nullable where the source's is NOT NULL), and no other column but
 * 'sluice.late-data.reason-column' (STRING: the reason) and
 * 'sluice.late-data.watermark-column' (TIMESTAMP(3): the watermark that fired the window).
 * An INSERT that reads the table needs an event-time window aggregation (TUMBLE, HOP,
 * CUMULATE, SESSION) over it: without one no row is ever dropped, and the option is refused
 * rather than silently doing nothing.
 */
#ifndef SL_ENGINE_PLAN_LATE_H
#define SL_ENGINE_PLAN_LATE_H

#include "engine/core/error.h"
#include "engine/plan/catalog.h"
#include "engine/plan/sql_source.h"

#define SL_LATE_OPT_SINK "sluice.late-data.sink"
#define SL_LATE_OPT_REASON "sluice.late-data.reason-column"
#define SL_LATE_OPT_WATERMARK "sluice.late-data.watermark-column"
#define SL_LATE_OPT_PREFIX "sluice.late-data."

/*
 * Puts the SL_PLAN_LATE nodes into job's INSERT plans (nodes and texts in job->arena).
 * 0, or SL_EINVAL / SL_ENOTFOUND / SL_ENOTSUP with `err` naming the problem at its SQL
 * position (src), or SL_ENOMEM.
 */
int sl_late_plan(struct sl_job *job, const struct sl_sql_source *src, struct sl_error *err);

#endif
