/*
 * tools/status_html.h - `sluice status --html`: one self-contained HTML page (inline CSS and
 * SVG charts, no script) of a job, from what `sluice status` reads in ZooKeeper and what the
 * job's members serve on their metrics endpoints (docs/cluster.md, docs/metrics.md).
 *
 * HOW IT WORKS
 * The caller (tools/cmd_cluster.c) reads the member nodes; sl_status_scrape scrapes every
 * member that has a metrics address twice, `gap_ms` apart (HTTP GETs through libcurl's multi
 * interface, all members at once, each within 2 s: a member that does not answer in time
 * is named so, and is not scraped again; frozen members cost 2 s together) and parses the
 * Prometheus text; then the caller reads the epoch record, the
 * committed history (with each history node's creation time: when its epoch was
 * committed) and the settings node, and sl_status_html writes:
 * the members with what each one reads (its source tables, Kafka topics and partitions as
 * its metrics name them) and whether its endpoint answered; bar charts of records per second
 * in and out per table (the difference of the two scrapes), records since the start, consumer
 * lag per partition, watermark lag and busy share per worker, operator state; the committed
 * epochs (as columns, from ZooKeeper: the time since the previous commit, the records read
 * by the offsets summaries) and the checkpoint figures of the metrics (mean duration and
 * alignment, last size); the settings in force. A member whose
 * endpoint does not answer is named as such, with the reason; the page is written anyway.
 *
 * ERRORS: SL_EIO when the page cannot be written (out is not checked for each fprintf:
 * ferror at the end); SL_ENOMEM.
 *
 * THREADS: one caller; no state beyond the call.
 */
#ifndef SL_TOOLS_STATUS_HTML_H
#define SL_TOOLS_STATUS_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coord/commit.h"
#include "coord/jobconf.h"
#include "engine/core/error.h"

/* One committed epoch of the history. */
struct sl_status_epoch {
    int64_t epoch;
    int64_t committed_ms; /* the history node's creation time (ZooKeeper server clock) */
    char offsets[SL_EPOCH_OFFSETS_MAX];
};

struct sl_status_page {
    const char *job, *zk;
    const struct sl_member *members;
    size_t nmembers;
    const struct sl_epoch_rec *cur;        /* the current epoch record */
    int64_t last_committed;                /* 0: none */
    const struct sl_status_epoch *history; /* oldest first */
    size_t nhistory;
    const struct sl_jobconf *settings;
};

/* The members' metrics, scraped twice, gap_ms apart (before the rest is read from
 * ZooKeeper, so that the page's epochs are not older than its metrics); *out is the
 * caller's (sl_status_scrapes_free). A member that does not answer is kept with the reason:
 * only SL_ENOMEM fails. */
struct sl_status_scrapes;
int sl_status_scrape(const struct sl_member *members, size_t n, int gap_ms,
                     struct sl_status_scrapes **out, struct sl_error *err);
void sl_status_scrapes_free(struct sl_status_scrapes *s);

/* Writes the page to out, with the scrapes of p's members (in the same order). */
int sl_status_html(FILE *out, const struct sl_status_page *p, const struct sl_status_scrapes *scr,
                   struct sl_error *err);

#endif
