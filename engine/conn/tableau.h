/*
 * engine/conn/tableau.h - what the binder needs of the 'tableau' sink (engine/conn/tableau.c),
 * through which a bare `SELECT ...` prints its result as Flink's SQL client does in tableau
 * mode: the column widths Flink derives from the result's types.
 */
#ifndef SL_ENGINE_CONN_TABLEAU_H
#define SL_ENGINE_CONN_TABLEAU_H

#include <stddef.h>

#include "engine/core/types.h"

/* The connector name of the sink and its option that carries the widths ("11,30,23": one
 * per column, the 'op' column not included). */
#define SL_TABLEAU_CONNECTOR "tableau"
#define SL_TABLEAU_WIDTHS "sluice.tableau.widths"

/* Flink's default 'sql-client.display.max-column-width'. */
#define SL_TABLEAU_MAX_WIDTH 30

/* The width of a column named `name` of type t, as Flink's TableauStyle.columnWidthsByType
 * (INT 11, BIGINT 20, DECIMAL(p, s) p + 2, BOOLEAN 5, TIMESTAMP(3) 23, others the maximum
 * width; at least the name's length and that of "<NULL>"). */
int sl_tableau_width(struct sl_type t, const char *name);

/* Display width of n bytes of UTF-8 as Flink counts it (TableauStyle.getStringDisplayWidth):
 * UTF-16 code units, plus one for each East Asian wide or full-width code point. A byte that
 * is not part of well-formed UTF-8 counts as one. */
size_t sl_tableau_display_width(const char *s, size_t n);

#endif
