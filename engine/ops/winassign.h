/*
 * engine/ops/winassign.h - the event-time window assigner that the Window operator
 * (op_window.c), the late splitter (op_late.c) and the window aggregation's slicing
 * (op_winagg.c) share: which windows a timestamp belongs to, which slice, and when a window
 * has fired, with Flink's semantics in Java's wrapping long arithmetic.
 *
 * HOW IT WORKS
 * An assigner is the window's kind and its three lengths in milliseconds (size; slide: HOP's
 * slide, CUMULATE's step, size for TUMBLE and SESSION; offset). Every window start is
 * Flink's getWindowStartWithOffset (kernels/window.h, sl_window_start). The windows of one
 * timestamp form an arithmetic series in increasing end, so sl_winassign_of gives them as
 * the first one and two increments (window j is [start + j * dstart, end + j * dend)):
 *   TUMBLE     one window: [the tumbling start for (size, offset), start + size)
 *   HOP        size / slide windows, the earliest end first: the last start is the tumbling
 *              start for (slide, offset), the first is size / slide - 1 slides before it
 *              (the closed form of Flink's assigner loop, kernels/window.h); dstart = dend =
 *              slide
 *   CUMULATE   one start (the tumbling start for (size, offset)), ends from the step-aligned
 *              end of ts up to start + size (Flink's CumulativeWindowAssigner); dend = step.
 *              At most size / step of them: the count bounds the series where a long wraps.
 *   SESSION    the row's own window [ts, ts + gap), gap = size, which the window
 *              aggregation merges (Flink's SessionWindowAssigner)
 *   attached   (a cascaded window aggregation, plan agg.attached) no assigner: a row's one
 *              window is its window_start / window_end columns, which the window aggregation
 *              below it wrote; only the firing rule below applies to it
 * The Window operator takes the same rule in bulk for TUMBLE and HOP through the SIMD hop
 * kernel (kernels/window.h), whose scalar reference is the closed form above; CUMULATE and
 * SESSION go through sl_winassign_of. Window slicing (HOP and CUMULATE fused into the
 * aggregation) puts a row into one slice, the tumbling window of the slide (step), which
 * belongs to every window from the slice's end up to sl_winassign_slice_last.
 *
 * A window [start, end) has fired at watermark wm when end - 1 <= wm (Flink's
 * TimeWindowUtil.isWindowFired, end - 1 a Java long); the watermark INT64_MAX fires every
 * window. The late splitter judges rows by this rule before the aggregation applies it.
 *
 * Everything here is inline and allocation-free: it runs per row in the operators' loops.
 */
#ifndef SL_ENGINE_WINASSIGN_H
#define SL_ENGINE_WINASSIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/plan/plan.h"
#include "kernels/window.h"

struct sl_winassign {
    sl_window_kind kind;
    int64_t size;     /* > 0; SESSION: the gap */
    int64_t slide;    /* > 0, divides size: HOP's slide, CUMULATE's step, else size */
    int64_t offset;   /* TUMBLE, HOP, CUMULATE */
    uint32_t per_row; /* size / slide: the most windows a timestamp has */
};

/* The windows of one timestamp: n of them, window j = [start + j * dstart, end + j * dend). */
struct sl_winspan {
    int64_t start, end;
    int64_t dstart, dend;
    uint32_t n;
};

/* An assigner of `kind` (size, slide and offset as the plan gives them: TUMBLE and SESSION
 * ignore the slide). The caller has checked size > 0, slide > 0 and size % slide == 0. */
static inline struct sl_winassign sl_winassign_make(sl_window_kind kind, int64_t size,
                                                    int64_t slide, int64_t offset)
{
    if (kind == SL_WINDOW_TUMBLE || kind == SL_WINDOW_SESSION)
        slide = size;
    return (struct sl_winassign){kind, size, slide, offset, (uint32_t)(size / slide)};
}

static inline int64_t sl_winassign_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* Flink's isWindowFired: end - 1 (Java long) <= wm; INT64_MAX fires every window. */
static inline bool sl_winassign_fired(int64_t end, int64_t wm)
{
    return wm == INT64_MAX || (int64_t)((uint64_t)end - 1) <= wm;
}

/* The windows of ts into *s; returns s->n (0: CUMULATE where the step-aligned end already
 * wraps past the period's end). */
static inline uint32_t sl_winassign_of(const struct sl_winassign *w, int64_t ts,
                                       struct sl_winspan *s)
{
    switch (w->kind) {
    case SL_WINDOW_HOP: {
        int64_t last = sl_window_start(ts, w->offset, w->slide);
        s->start = (int64_t)((uint64_t)last - (uint64_t)(w->per_row - 1) * (uint64_t)w->slide);
        s->end = sl_winassign_add(s->start, w->size);
        s->dstart = s->dend = w->slide;
        s->n = w->per_row;
        break;
    }
    case SL_WINDOW_CUMULATE: {
        s->start = sl_window_start(ts, w->offset, w->size);
        int64_t last = sl_winassign_add(s->start, w->size);
        s->end = sl_winassign_add(sl_window_start(ts, w->offset, w->slide), w->slide);
        s->dstart = 0;
        s->dend = w->slide;
        /* ends end, end + step, ... <= last: (last - end) / step + 1 of them, at most
         * size / step (where end > last the long has wrapped: none) */
        uint64_t n =
            s->end > last ? 0 : ((uint64_t)last - (uint64_t)s->end) / (uint64_t)w->slide + 1;
        s->n = n > w->per_row ? w->per_row : (uint32_t)n;
        break;
    }
    case SL_WINDOW_SESSION:
        s->start = ts;
        s->end = sl_winassign_add(ts, w->size);
        s->dstart = s->dend = 0;
        s->n = 1;
        break;
    default:
        s->start = sl_window_start(ts, w->offset, w->size);
        s->end = sl_winassign_add(s->start, w->size);
        s->dstart = s->dend = 0;
        s->n = 1;
    }
    return s->n;
}

/* Window j of a span: its start and end. */
static inline void sl_winspan_at(const struct sl_winspan *s, uint32_t j, int64_t *start,
                                 int64_t *end)
{
    *start = (int64_t)((uint64_t)s->start + (uint64_t)j * (uint64_t)s->dstart);
    *end = (int64_t)((uint64_t)s->end + (uint64_t)j * (uint64_t)s->dend);
}

/* Window slicing (HOP, CUMULATE): the slice of ts, [start, start + slide). */
static inline int64_t sl_winassign_slice(const struct sl_winassign *w, int64_t ts)
{
    return sl_window_start(ts, w->offset, w->slide);
}

/* The end of the last window that the slice starting at `start` belongs to (Flink's
 * SliceAssigner.getLastWindowEnd): HOP start + size, CUMULATE the end of its period. */
static inline int64_t sl_winassign_slice_last(const struct sl_winassign *w, int64_t start)
{
    if (w->kind == SL_WINDOW_HOP)
        return sl_winassign_add(start, w->size);
    return sl_winassign_add(sl_window_start(start, w->offset, w->size), w->size);
}

/* The start of the window (HOP, CUMULATE) that ends at `end`, a slice boundary. */
static inline int64_t sl_winassign_start_of(const struct sl_winassign *w, int64_t end)
{
    if (w->kind == SL_WINDOW_HOP)
        return (int64_t)((uint64_t)end - (uint64_t)w->size);
    return sl_window_start(end - 1, w->offset, w->size);
}

#endif
