/*
 * tools/cmd_metrics_http.h - the HTTP endpoint of `sluice run --metrics-port`: GET /metrics
 * answers with engine/exec/metrics.h's exposition text (Content-Type
 * "text/plain; version=0.0.4"); every other path is 404, every other method 405.
 *
 * libmicrohttpd (Debian's libmicrohttpd-dev) runs the server on its own thread (one
 * internal polling thread, connections served one at a time: a scrape is small and rare);
 * each request renders the metrics afresh on that thread, so nothing is computed while
 * nobody asks and no worker ever waits for a scrape.
 */
#ifndef SL_TOOLS_CMD_METRICS_HTTP_H
#define SL_TOOLS_CMD_METRICS_HTTP_H

#include "engine/core/error.h"
#include "engine/exec/metrics.h"

struct sl_metrics_http;

/*
 * Serves `m` (which must outlive the server) on host:port - `host` a numeric IPv4 address
 * (127.0.0.1 unless the user chose otherwise), `port` 0 for an ephemeral one - and says in
 * *bound which port it got. SL_EINVAL for a host that is not an IPv4 address, SL_EIO when
 * the server cannot start (the port is taken), with the address in the message.
 */
int sl_metrics_http_start(struct sl_metrics *m, const char *host, int port,
                          struct sl_metrics_http **out, int *bound, struct sl_error *err);
/* Stops the server (its thread is joined, its socket closed) and frees it; NULL is allowed. */
void sl_metrics_http_stop(struct sl_metrics_http *h);

#endif
