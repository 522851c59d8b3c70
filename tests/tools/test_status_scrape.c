/*
 * tests/tools/test_status_scrape.c - the metrics scrapes of `sluice status --html`
 * (tools/status_html.c) against local sockets, without ZooKeeper: members whose endpoints
 * accept the connection but never answer (a socket that listens and never accepts: a frozen
 * process), one that refuses the connection, one without a metrics address, and one that
 * answers (a thread serving a fixed Prometheus text). All are fetched at once: each
 * non-answering member is named with its reason ("no complete answer in 2000 ms", libcurl's
 * "Couldn't connect to server"), the answering one is scraped twice and what it reads is on
 * the page. The tests/tools/test_status_html.sh test (label broker) does the same against a
 * real job.
 */
#include "tests/util/testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/status_html.h"

/* A socket bound to 127.0.0.1 on a port of the kernel's choice; its port in *port. */
static int listener(int *port, bool do_listen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    if (do_listen)
        assert_int_equal(listen(fd, 8), 0);
    return fd;
}

/* The answering member: serves each GET with a fixed body until stop. */
struct server {
    int fd;
    atomic_bool stop;
    atomic_int served;
};

static const char body[] = "# TYPE sluice_source_records_total counter\n"
                           "sluice_source_records_total{table=\"bids\",worker=\"0\"} 7\n";

static void *serve(void *arg)
{
    struct server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        char req[4096];
        size_t n = 0;
        while (n < sizeof(req) - 1) { /* the request up to its empty line */
            ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            req[n] = 0;
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        char resp[512];
        int rl = snprintf(resp, sizeof(resp),
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n%s",
                          strlen(body), body);
        if (write(c, resp, (size_t)rl) == rl)
            atomic_fetch_add(&s->served, 1);
        close(c);
    }
    return NULL;
}

static void member(struct sl_member *m, const char *name, const char *role, int port)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->host, sizeof(m->host), "host");
    snprintf(m->role, sizeof(m->role), "%s", role);
    m->pid = 100 + (int64_t)strlen(name);
    m->cores = m->workers = 1;
    if (port)
        snprintf(m->metrics, sizeof(m->metrics), "http://127.0.0.1:%d/metrics", port);
}

static void test_frozen_refused_answering(void **state)
{
    (void)state;
    int pa, pf1, pf2, pr;
    struct server srv = {.fd = listener(&pa, true)};
    int f1 = listener(&pf1, true), f2 = listener(&pf2, true);
    int r = listener(&pr, false);
    close(r); /* nothing listens there: the connection is refused */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, serve, &srv), 0);

    struct sl_member ms[5];
    member(&ms[0], "m-answers", "leader", pa);
    member(&ms[1], "m-frozen-1", "standby", pf1);
    member(&ms[2], "m-frozen-2", "standby", pf2);
    member(&ms[3], "m-refused", "standby", pr);
    member(&ms[4], "m-none", "standby", 0);
    struct sl_error err;
    sl_error_clear(&err);
    struct sl_status_scrapes *scr = NULL;
    assert_int_equal(sl_status_scrape(ms, 5, 100, &scr, &err), 0);
    atomic_store(&srv.stop, true);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&srv.served), 2); /* twice, gap_ms apart */

    static struct sl_jobconf settings; /* none */
    struct sl_epoch_rec cur = {.phase = SL_EPOCH_NONE};
    struct sl_status_page page = {
        .job = "j", .zk = "z", .members = ms, .nmembers = 5, .cur = &cur, .settings = &settings};
    char *html = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&html, &len);
    assert_non_null(o);
    assert_int_equal(sl_status_html(o, &page, scr, &err), 0);
    fclose(o);
    sl_status_scrapes_free(scr);

    char want[256];
    for (int i = 1; i <= 2; i++) {
        snprintf(want, sizeof(want),
                 "http://127.0.0.1:%d/metrics <span class=\"bad\">(no complete answer in 2000 "
                 "ms)</span>",
                 i == 1 ? pf1 : pf2);
        if (!strstr(html, want))
            fail_msg("no frozen member %d in:\n%s", i, html);
    }
    snprintf(want, sizeof(want),
             "http://127.0.0.1:%d/metrics <span class=\"bad\">(Failed to connect", pr);
    assert_non_null(strstr(html, want));
    assert_non_null(strstr(html, "Couldn't connect to server)</span>"));
    assert_non_null(strstr(html, "none (no --metrics-port)"));
    /* the answering member: no reason, and what it reads from its metrics */
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/metrics</td>", pa);
    assert_non_null(strstr(html, want));
    assert_non_null(strstr(html, "<td>bids<br></td>"));
    free(html);
    close(srv.fd);
    close(f1);
    close(f2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frozen_refused_answering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
