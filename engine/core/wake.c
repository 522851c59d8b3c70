/*
 * engine/core/wake.c - sleeping workers and their wake-ups (see wake.h).
 */
#include "engine/core/wake.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

int sl_wake_init(struct sl_wake *w, struct sl_error *err)
{
    memset(w, 0, sizeof(*w));
    w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->fd < 0)
        return sl_error_set(err, sl_error_from_errno(errno), "eventfd: %s", strerror(errno));
    return 0;
}

void sl_wake_free(struct sl_wake *w)
{
    if (w->fd > 0)
        close(w->fd);
    w->fd = -1;
}

void sl_wake_signal(struct sl_wake *w)
{
    uint64_t one = 1;
    /* EAGAIN only when the counter is at its maximum: it is readable then anyway */
    ssize_t r = write(w->fd, &one, sizeof(one));
    (void)r;
}

int64_t sl_wake_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool sl_wake_wait(struct sl_wake *w, int64_t deadline_ns)
{
    bool woken = false;
    for (;;) {
        int64_t left = deadline_ns == INT64_MAX ? -1 : deadline_ns - sl_wake_now_ns();
        if (left != -1 && left <= 0)
            break;
        struct pollfd p = {.fd = w->fd, .events = POLLIN};
        struct timespec ts, *tsp = NULL;
        if (left > 0) {
            ts.tv_sec = (time_t)(left / 1000000000);
            ts.tv_nsec = (long)(left % 1000000000);
            tsp = &ts;
        }
        int r = ppoll(&p, 1, tsp, NULL);
        if (r > 0) {
            woken = true;
            break;
        }
        if (r == 0)
            break;
        if (errno != EINTR)
            break;
    }
    atomic_store_explicit(&w->parked, 0, memory_order_relaxed);
    uint64_t v;
    ssize_t r = read(w->fd, &v, sizeof(v)); /* clear it (EAGAIN when nothing was written) */
    (void)r;
    w->waits++;
    w->wakeups += woken;
    return woken;
}
