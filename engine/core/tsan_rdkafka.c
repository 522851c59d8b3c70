/*
 * engine/core/tsan_rdkafka.c - librdkafka's threads and locks made visible to
 * ThreadSanitizer, in the TSan build only (SL_TSAN; CMakeLists.txt makes every program link
 * this file in).
 *
 * WHY
 * librdkafka runs its threads with C11 <threads.h>: thrd_create, mtx_lock, cnd_wait,
 * call_once. glibc implements those on its internal pthread functions, which
 * ThreadSanitizer's interceptors never see (GCC 12's libtsan and LLVM 14's have no C11
 * interceptors). Two things go wrong then:
 *   - a thread started by thrd_create has no TSan thread state: the first malloc on it
 *     crashes inside the sanitizer's allocator (seen as a SIGSEGV in the "rdk:mock" thread
 *     of engine/test_connectors);
 *   - every hand-over librdkafka makes under its mutexes - a message it filled on a broker
 *     thread, consumed on a sluice worker; a delivery report - looks unsynchronised, so TSan
 *     would report races in sluice's code that reads such memory.
 * Suppressing those reports would hide real ones in the same functions. Instead this file
 * defines the C11 functions librdkafka imports, each calling its pthread twin (the layouts
 * are the same in glibc: mtx_t is a pthread_mutex_t, cnd_t a pthread_cond_t, thrd_t a
 * pthread_t, once_flag a pthread_once_t), which TSan intercepts. The program's definitions
 * take precedence over libc's for every shared library (symbol interposition); ld exports
 * them because librdkafka.so references them.
 *
 * The read-write locks librdkafka takes with pthread_rwlock_* directly (its broker list,
 * metadata) need the same for another reason: tests/tsan.supp has TSan ignore the libc
 * calls made from inside librdkafka (called_from_lib: its frees and memcpys after
 * reference counts TSan cannot see), and an ignored call's synchronisation is ignored with
 * it - a broker's mutex initialised on librdkafka's main thread and locked by the caller's
 * thread then looked like a race (io/kcat_roundtrip's kafka_roundtrip). The definitions
 * below forward to the next pthread_rwlock_* in the lookup order (TSan's interceptors, via
 * dlsym(RTLD_NEXT)), so the call TSan sees comes from this file, which is in the program.
 *
 * The semantics are glibc's (nptl/thrd_create.c, mtx_init.c, ...): a recursive mutex when
 * mtx_recursive is asked, else the default kind; a thread's int result travels as the
 * pointer pthread_join returns. Nothing in sluice itself uses C11 threads.
 */
#ifdef SL_TSAN

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is a pthread_mutex_t");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is a pthread_cond_t");
_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is a pthread_t");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is a pthread_once_t");

static int sl_c11_rc(int e)
{
    switch (e) {
    case 0:
        return thrd_success;
    case EBUSY:
        return thrd_busy;
    case ETIMEDOUT:
        return thrd_timedout;
    case ENOMEM:
        return thrd_nomem;
    default:
        return thrd_error;
    }
}

/* ---- threads ------------------------------------------------------------------------------- */

struct sl_c11_start {
    thrd_start_t fn;
    void *arg;
};

static void *sl_c11_trampoline(void *p)
{
    struct sl_c11_start s = *(struct sl_c11_start *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    struct sl_c11_start *s = malloc(sizeof(*s));
    if (!s)
        return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    int e = pthread_create((pthread_t *)thr, NULL, sl_c11_trampoline, s);
    if (e)
        free(s);
    return sl_c11_rc(e);
}

int thrd_join(thrd_t thr, int *res)
{
    void *r;
    int e = pthread_join((pthread_t)thr, &r);
    if (!e && res)
        *res = (int)(intptr_t)r;
    return sl_c11_rc(e);
}

int thrd_detach(thrd_t thr)
{
    return sl_c11_rc(pthread_detach((pthread_t)thr));
}

_Noreturn void thrd_exit(int res)
{
    pthread_exit((void *)(intptr_t)res);
}

/* ---- mutexes ------------------------------------------------------------------------------- */

int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (type & mtx_recursive)
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    int e = pthread_mutex_init((pthread_mutex_t *)m, &a);
    pthread_mutexattr_destroy(&a);
    return sl_c11_rc(e);
}

int mtx_lock(mtx_t *m)
{
    return sl_c11_rc(pthread_mutex_lock((pthread_mutex_t *)m));
}

int mtx_trylock(mtx_t *m)
{
    return sl_c11_rc(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
    return sl_c11_rc(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

int mtx_unlock(mtx_t *m)
{
    return sl_c11_rc(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

/* ---- condition variables ------------------------------------------------------------------- */

int cnd_init(cnd_t *c)
{
    return sl_c11_rc(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int cnd_signal(cnd_t *c)
{
    return sl_c11_rc(pthread_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c)
{
    return sl_c11_rc(pthread_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
    return sl_c11_rc(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
    /* both measure `ts` on CLOCK_REALTIME (TIME_UTC) */
    return sl_c11_rc(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts));
}

void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}

/* ---- once ---------------------------------------------------------------------------------- */

void call_once(once_flag *flag, void (*fn)(void))
{
    pthread_once((pthread_once_t *)flag, fn);
}

/* ---- read-write locks (the ones librdkafka imports) ---------------------------------------- */

typedef int (*sl_rw_fn)(pthread_rwlock_t *);

/* The next definition of `name` after this program's: TSan's interceptor. */
static void *sl_rw_next(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f)
        abort(); /* nothing to forward to: no pthreads at all */
    return f;
}

/* A forwarder for each: the function pointer is looked up once, on first use; two threads
 * that race to it store the same value. */
#define SL_RW_FORWARD(name)                                             \
    int name(pthread_rwlock_t *l)                                       \
    {                                                                   \
        static _Atomic(sl_rw_fn) next;                                  \
        sl_rw_fn f = atomic_load_explicit(&next, memory_order_relaxed); \
        if (!f) {                                                       \
            void *p = sl_rw_next(#name);                                \
            memcpy(&f, &p, sizeof(f));                                  \
            atomic_store_explicit(&next, f, memory_order_relaxed);      \
        }                                                               \
        return f(l);                                                    \
    }

SL_RW_FORWARD(pthread_rwlock_rdlock)
SL_RW_FORWARD(pthread_rwlock_wrlock)
SL_RW_FORWARD(pthread_rwlock_unlock)
SL_RW_FORWARD(pthread_rwlock_destroy)

int pthread_rwlock_init(pthread_rwlock_t *restrict l, const pthread_rwlockattr_t *restrict a)
{
    typedef int (*init_fn)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
    static _Atomic(init_fn) next;
    init_fn f = atomic_load_explicit(&next, memory_order_relaxed);
    if (!f) {
        void *p = sl_rw_next("pthread_rwlock_init");
        memcpy(&f, &p, sizeof(f));
        atomic_store_explicit(&next, f, memory_order_relaxed);
    }
    return f(l, a);
}

#else

/* Not the ThreadSanitizer build: libc's C11 threads as they are. */
typedef int sl_tsan_rdkafka_unused;

#endif
