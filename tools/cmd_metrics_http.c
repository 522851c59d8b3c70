/*
 * tools/cmd_metrics_http.c - the metrics endpoint over libmicrohttpd (see the header).
 */
#include "tools/cmd_metrics_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct sl_metrics_http {
    struct MHD_Daemon *d;
    struct sl_metrics *m;
};

static enum MHD_Result sl_metrics_http_reply(struct MHD_Connection *c, unsigned int status,
                                             const char *type, void *body, size_t len,
                                             enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* libmicrohttpd's access handler, on its thread: one call per request (no body to wait
 * for with GET and HEAD). */
static enum MHD_Result sl_metrics_http_handle(void *cls, struct MHD_Connection *c, const char *url,
                                              const char *method, const char *version,
                                              const char *upload_data, size_t *upload_size,
                                              void **req)
{
    (void)version;
    (void)upload_data;
    (void)req;
    struct sl_metrics_http *h = cls;
    static const char text[] = "text/plain; charset=utf-8";
    if (*upload_size) { /* a body nobody asked for: drop it */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        static char msg[] = "only GET /metrics\n";
        return sl_metrics_http_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, msg, strlen(msg),
                                     MHD_RESPMEM_PERSISTENT);
    }
    if (strcmp(url, "/metrics")) {
        static char msg[] = "not found: the metrics are at /metrics\n";
        return sl_metrics_http_reply(c, MHD_HTTP_NOT_FOUND, text, msg, strlen(msg),
                                     MHD_RESPMEM_PERSISTENT);
    }
    size_t len = 0;
    char *body = sl_metrics_render(h->m, &len);
    if (!body) {
        static char msg[] = "out of memory\n";
        return sl_metrics_http_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, msg, strlen(msg),
                                     MHD_RESPMEM_PERSISTENT);
    }
    return sl_metrics_http_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
                                 len, MHD_RESPMEM_MUST_FREE);
}

int sl_metrics_http_start(struct sl_metrics *m, const char *host, int port,
                          struct sl_metrics_http **out, int *bound, struct sl_error *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return sl_error_set(err, SL_EINVAL,
                            "metrics: host '%s' is not an IPv4 address (e.g. 127.0.0.1, "
                            "0.0.0.0 for every interface)",
                            host);
    struct sl_metrics_http *h = calloc(1, sizeof(*h));
    if (!h)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    h->m = m;
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, (uint16_t)port, NULL,
                            NULL, sl_metrics_http_handle, h, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                            MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return sl_error_set(err, SL_EIO, "metrics: cannot serve on %s:%d (is the port taken?)",
                            host, port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *bound = info ? (int)info->port : port;
    *out = h;
    return 0;
}

void sl_metrics_http_stop(struct sl_metrics_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
