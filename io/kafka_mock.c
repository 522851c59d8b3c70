/*
 * io/kafka_mock.c - the in-process mock cluster and its fixed-port bootstrap forwarder (see
 * kafka_mock.h for what the mock can and cannot do).
 *
 * The mock needs an rd_kafka_t for its bookkeeping; it gets a producer handle with no
 * brokers of its own and a quiet log (that handle never connects anywhere).
 *
 * THE FORWARDER
 * One thread, one poll() loop over: the listening socket, a self-pipe that says "stop",
 * and each relayed connection as a pair of sockets (client side, broker side). Each
 * direction has one buffer of SL_FWD_BUF bytes: a side is polled for input only while its
 * outgoing buffer is empty, and the other side for output only while that buffer holds
 * bytes, so a slow reader back-pressures the writer and memory stays bounded (two buffers
 * per connection, at most SL_FWD_MAX connections). Either side closing or failing closes
 * both. This is plain and slow next to the broker itself, which is fine: only bootstrap
 * Metadata requests travel through it.
 */
#include "io/kafka_mock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/kafka_conf.h"

#define SL_FWD_BUF 65536
#define SL_FWD_MAX 128

struct sl_fwd_conn {
    int fd[2];             /* 0: client, 1: broker */
    size_t len[2], off[2]; /* bytes pending in buf[d], read from fd[d], for fd[1 - d] */
    char buf[2][SL_FWD_BUF];
};

struct sl_kafka_mock {
    rd_kafka_t *rk; /* owns the cluster's bookkeeping */
    rd_kafka_mock_cluster_t *cluster;
    char bootstrap[256];
    /* forwarder (listen_fd < 0: none) */
    int listen_fd;
    int wake[2];
    struct sockaddr_in upstream;
    pthread_t thread;
    struct sl_fwd_conn *conns[SL_FWD_MAX];
};

/* ---- forwarder ------------------------------------------------------------------------------ */

static void sl_fwd_close(struct sl_kafka_mock *m, int i)
{
    close(m->conns[i]->fd[0]);
    close(m->conns[i]->fd[1]);
    free(m->conns[i]);
    m->conns[i] = NULL;
}

static void sl_fwd_accept(struct sl_kafka_mock *m)
{
    int cfd = accept(m->listen_fd, NULL, NULL);
    if (cfd < 0)
        return;
    int slot = -1;
    for (int i = 0; i < SL_FWD_MAX && slot < 0; i++)
        if (!m->conns[i])
            slot = i;
    int bfd = slot < 0 ? -1 : socket(AF_INET, SOCK_STREAM, 0);
    if (bfd < 0 || connect(bfd, (struct sockaddr *)&m->upstream, sizeof(m->upstream)) != 0) {
        if (bfd >= 0)
            close(bfd);
        close(cfd);
        return;
    }
    struct sl_fwd_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(bfd);
        close(cfd);
        return;
    }
    int one = 1;
    c->fd[0] = cfd;
    c->fd[1] = bfd;
    for (int d = 0; d < 2; d++) {
        setsockopt(c->fd[d], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fcntl(c->fd[d], F_SETFL, fcntl(c->fd[d], F_GETFL) | O_NONBLOCK);
    }
    m->conns[slot] = c;
}

/* Moves bytes for one connection after poll() said what is ready; false when it is done. */
static bool sl_fwd_pump(struct sl_fwd_conn *c, const short revents[2])
{
    for (int d = 0; d < 2; d++) {
        if ((revents[d] & (POLLIN | POLLHUP | POLLERR)) && c->len[d] == 0) {
            ssize_t r = read(c->fd[d], c->buf[d], SL_FWD_BUF);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                return false;
            if (r > 0) {
                c->len[d] = (size_t)r;
                c->off[d] = 0;
            }
        }
    }
    for (int d = 0; d < 2; d++) {
        while (c->len[d] > c->off[d]) {
            ssize_t w = write(c->fd[1 - d], c->buf[d] + c->off[d], c->len[d] - c->off[d]);
            if (w < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                return false;
            }
            c->off[d] += (size_t)w;
        }
        if (c->off[d] == c->len[d])
            c->len[d] = c->off[d] = 0;
    }
    return true;
}

static void *sl_fwd_main(void *arg)
{
    struct sl_kafka_mock *m = arg;
    struct pollfd pfd[2 + 2 * SL_FWD_MAX];
    int idx[SL_FWD_MAX];
    for (;;) {
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){.fd = m->wake[0], .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
        for (int i = 0; i < SL_FWD_MAX; i++) {
            struct sl_fwd_conn *c = m->conns[i];
            idx[i] = -1;
            if (!c)
                continue;
            idx[i] = (int)n;
            for (int d = 0; d < 2; d++) {
                short ev = 0;
                if (c->len[d] == 0)
                    ev |= POLLIN;
                if (c->len[1 - d] > 0)
                    ev |= POLLOUT;
                pfd[n++] = (struct pollfd){.fd = c->fd[d], .events = ev};
            }
        }
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents)
            break;
        for (int i = 0; i < SL_FWD_MAX; i++) {
            if (idx[i] < 0)
                continue;
            short rev[2] = {pfd[idx[i]].revents, pfd[idx[i] + 1].revents};
            if ((rev[0] | rev[1]) && !sl_fwd_pump(m->conns[i], rev))
                sl_fwd_close(m, i);
        }
        if (pfd[1].revents & POLLIN)
            sl_fwd_accept(m);
    }
    for (int i = 0; i < SL_FWD_MAX; i++)
        if (m->conns[i])
            sl_fwd_close(m, i);
    return NULL;
}

/* Listens on 127.0.0.1:port and starts the thread that relays to the first broker. */
static int sl_fwd_start(struct sl_kafka_mock *m, int port, struct sl_error *err)
{
    const char *first = rd_kafka_mock_cluster_bootstraps(m->cluster);
    const char *colon = strchr(first, ':');
    if (!colon)
        return sl_error_set(err, SL_EKAFKA, "mock cluster address '%s' has no port", first);
    memset(&m->upstream, 0, sizeof(m->upstream));
    m->upstream.sin_family = AF_INET;
    m->upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m->upstream.sin_port = htons((uint16_t)atoi(colon + 1));

    m->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m->listen_fd < 0)
        return sl_error_set(err, SL_EIO, "kafka-mock: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(m->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
    if (bind(m->listen_fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(m->listen_fd, 64) != 0) {
        int e = errno;
        close(m->listen_fd);
        m->listen_fd = -1;
        return sl_error_set(err, SL_EIO, "kafka-mock: cannot listen on 127.0.0.1:%d: %s", port,
                            strerror(e));
    }
    if (pipe2(m->wake, O_CLOEXEC) != 0) {
        close(m->listen_fd);
        m->listen_fd = -1;
        return sl_error_set(err, SL_EIO, "kafka-mock: pipe: %s", strerror(errno));
    }
    if (pthread_create(&m->thread, NULL, sl_fwd_main, m) != 0) {
        close(m->wake[0]);
        close(m->wake[1]);
        close(m->listen_fd);
        m->listen_fd = -1;
        return sl_error_set(err, SL_EIO, "kafka-mock: cannot start the forwarder thread");
    }
    snprintf(m->bootstrap, sizeof(m->bootstrap), "127.0.0.1:%d", port);
    return 0;
}

static void sl_fwd_stop(struct sl_kafka_mock *m)
{
    if (m->listen_fd < 0)
        return;
    ssize_t w;
    do
        w = write(m->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(m->thread, NULL);
    close(m->wake[0]);
    close(m->wake[1]);
    close(m->listen_fd);
    m->listen_fd = -1;
}

/* ---- API ------------------------------------------------------------------------------------ */

int sl_kafka_mock_new(const struct sl_kafka_mock_config *cfg, struct sl_kafka_mock **out,
                      struct sl_error *err)
{
    int brokers = cfg && cfg->brokers > 0 ? cfg->brokers : 1;
    int port = cfg ? cfg->port : 0;
    if (port < 0 || port > 65535)
        return sl_error_set(err, SL_EINVAL, "kafka-mock: port %d is not in 0..65535", port);
    struct sl_kafka_mock *m = calloc(1, sizeof(*m));
    if (!m)
        return sl_error_set(err, SL_ENOMEM, "kafka-mock: out of memory");
    m->listen_fd = -1;

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, sl_kafka_log_quiet);
    char why[256];
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!m->rk) {
        rd_kafka_conf_destroy(conf);
        free(m);
        return sl_error_set(err, SL_EKAFKA, "kafka-mock: %s", why);
    }
    m->cluster = rd_kafka_mock_cluster_new(m->rk, brokers);
    if (!m->cluster) {
        rd_kafka_destroy(m->rk);
        free(m);
        return sl_error_set(err, SL_EKAFKA, "kafka-mock: cannot create a cluster of %d brokers",
                            brokers);
    }
    snprintf(m->bootstrap, sizeof(m->bootstrap), "%s",
             rd_kafka_mock_cluster_bootstraps(m->cluster));
    if (port > 0) {
        int rc = sl_fwd_start(m, port, err);
        if (rc) {
            sl_kafka_mock_free(m);
            return rc;
        }
    }
    *out = m;
    return 0;
}

const char *sl_kafka_mock_bootstrap(const struct sl_kafka_mock *mock)
{
    return mock->bootstrap;
}

int sl_kafka_mock_topic_create(struct sl_kafka_mock *mock, const char *topic, int partitions,
                               struct sl_error *err)
{
    if (partitions < 1 || partitions > 100000)
        return sl_error_set(err, SL_EINVAL, "kafka-mock: topic '%s': %d partitions", topic,
                            partitions);
    rd_kafka_resp_err_t kerr = rd_kafka_mock_topic_create(mock->cluster, topic, partitions, 1);
    if (kerr)
        return sl_error_set(err, SL_EKAFKA, "kafka-mock: topic '%s': %s", topic,
                            rd_kafka_err2str(kerr));
    return 0;
}

rd_kafka_mock_cluster_t *sl_kafka_mock_cluster(struct sl_kafka_mock *mock)
{
    return mock->cluster;
}

void sl_kafka_mock_free(struct sl_kafka_mock *mock)
{
    if (!mock)
        return;
    sl_fwd_stop(mock);
    rd_kafka_mock_cluster_destroy(mock->cluster);
    rd_kafka_destroy(mock->rk);
    free(mock);
}
