/*
 * io/splitmix.h - java.util.SplittableRandom (seeded), bit for bit.
 *
 * The nexmark repository's generator (nexmark-flink NexmarkGenerator) draws every field from
 * one SplittableRandom per generator. SplittableRandom is SplitMix64 (Steele, Lea and Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014), and its seeded form is fully
 * specified by the JDK sources (unchanged from JDK 8 to 21; from JDK 17 the bounded draws
 * live in jdk.internal.util.random.RandomSupport with the same algorithms):
 *
 *   new SplittableRandom(s)   seed = s, gamma = GOLDEN_GAMMA = 0x9e3779b97f4a7c15
 *   nextSeed()                seed += gamma
 *   mix64(z)                  z = (z ^ z >>> 30) * 0xbf58476d1ce4e5b9;
 *                             z = (z ^ z >>> 27) * 0x94d049bb133111eb; z ^ z >>> 31
 *   mix32(z)                  z = (z ^ z >>> 33) * 0x62a9d9ed799705f5;
 *                             (int)(((z ^ z >>> 28) * 0xcb24d0a5c88c35b3) >>> 32)
 *   nextLong()                mix64(nextSeed())
 *   nextInt()                 mix32(nextSeed())
 *   nextDouble()              (nextLong() >>> 11) * 2^-53
 *   nextInt(bound)            r = nextInt(); power of two: r & (bound - 1); otherwise
 *                             u = r >>> 1, retried while u + m - u % bound overflows int
 *   nextInt(origin, bound)    the same on n = bound - origin when n > 0, plus origin; when
 *                             the range overflows int, nextInt() until it falls inside
 *   nextLong(bound), nextLong(origin, bound): as the int forms, in 64 bits
 *
 * Only seeded generators are reproduced: the unseeded constructor (what nexmark-flink uses)
 * takes its seed from a process-wide clock-seeded counter and mixes its gamma too, so no two
 * Java runs agree. tests/io/test_splitmix.c compares this file with the JDK's own class.
 *
 * Everything is inline; a struct sl_splitmix is 8 bytes (the gamma is a constant).
 */
#ifndef SL_IO_SPLITMIX_H
#define SL_IO_SPLITMIX_H

#include <stdint.h>

#define SL_SPLITMIX_GAMMA 0x9e3779b97f4a7c15ull

struct sl_splitmix {
    uint64_t seed; /* the state: the seed of the next draw minus gamma */
};

/* new SplittableRandom(seed). */
static inline void sl_splitmix_init(struct sl_splitmix *r, int64_t seed)
{
    r->seed = (uint64_t)seed;
}

static inline uint64_t sl_splitmix_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline int32_t sl_splitmix_mix32(uint64_t z)
{
    z = (z ^ (z >> 33)) * 0x62a9d9ed799705f5ull;
    return (int32_t)(uint32_t)(((z ^ (z >> 28)) * 0xcb24d0a5c88c35b3ull) >> 32);
}

/* SplittableRandom.nextLong(). */
static inline int64_t sl_splitmix_long(struct sl_splitmix *r)
{
    r->seed += SL_SPLITMIX_GAMMA;
    return (int64_t)sl_splitmix_mix64(r->seed);
}

/* SplittableRandom.nextInt(). */
static inline int32_t sl_splitmix_int(struct sl_splitmix *r)
{
    r->seed += SL_SPLITMIX_GAMMA;
    return sl_splitmix_mix32(r->seed);
}

/* SplittableRandom.nextDouble(), in [0, 1). */
static inline double sl_splitmix_double(struct sl_splitmix *r)
{
    return (double)((uint64_t)sl_splitmix_long(r) >> 11) * 0x1.0p-53;
}

/* SplittableRandom.nextInt(bound), bound > 0 (the caller checks; Java throws). */
static inline int32_t sl_splitmix_int_bound(struct sl_splitmix *r, int32_t bound)
{
    int32_t rv = sl_splitmix_int(r);
    int32_t m = bound - 1;
    if ((bound & m) == 0)
        return rv & m;
    /* Java: for (u = r >>> 1; u + m - (r = u % bound) < 0; u = nextInt() >>> 1); the sum
     * overflows int exactly when it exceeds INT32_MAX. */
    for (int32_t u = (int32_t)((uint32_t)rv >> 1);;
         u = (int32_t)((uint32_t)sl_splitmix_int(r) >> 1)) {
        rv = u % bound;
        if ((int64_t)u + m - rv <= INT32_MAX)
            return rv;
    }
}

/* SplittableRandom.nextInt(origin, bound), origin < bound. A range of a power-of-two
 * length (2^31 included) masks; a range wider than an int rejects whole draws. */
static inline int32_t sl_splitmix_int_range(struct sl_splitmix *r, int32_t origin, int32_t bound)
{
    int32_t rv = sl_splitmix_int(r);
    int32_t n = (int32_t)((uint32_t)bound - (uint32_t)origin);
    int32_t m = (int32_t)((uint32_t)n - 1u);
    if ((n & m) == 0)
        return (int32_t)((uint32_t)(rv & m) + (uint32_t)origin);
    if (n > 0) {
        for (int32_t u = (int32_t)((uint32_t)rv >> 1);;
             u = (int32_t)((uint32_t)sl_splitmix_int(r) >> 1)) {
            rv = u % n;
            if ((int64_t)u + m - rv <= INT32_MAX)
                return (int32_t)((uint32_t)rv + (uint32_t)origin);
        }
    }
    while (rv < origin || rv >= bound)
        rv = sl_splitmix_int(r);
    return rv;
}

/* SplittableRandom.nextLong(bound), bound > 0. */
static inline int64_t sl_splitmix_long_bound(struct sl_splitmix *r, int64_t bound)
{
    int64_t rv = sl_splitmix_long(r);
    int64_t m = bound - 1;
    if ((bound & m) == 0)
        return rv & m;
    for (int64_t u = (int64_t)((uint64_t)rv >> 1);;
         u = (int64_t)((uint64_t)sl_splitmix_long(r) >> 1)) {
        rv = u % bound;
        /* u + m - rv < 0 in Java's wrapping arithmetic: u - rv >= 0 and m >= 0, so the sum
         * wraps exactly when it exceeds INT64_MAX */
        if ((uint64_t)(u - rv) + (uint64_t)m <= (uint64_t)INT64_MAX)
            return rv;
    }
}

/* SplittableRandom.nextLong(origin, bound), origin < bound (as the int form). */
static inline int64_t sl_splitmix_long_range(struct sl_splitmix *r, int64_t origin, int64_t bound)
{
    int64_t rv = sl_splitmix_long(r);
    int64_t n = (int64_t)((uint64_t)bound - (uint64_t)origin);
    int64_t m = (int64_t)((uint64_t)n - 1u);
    if ((n & m) == 0)
        return (int64_t)((uint64_t)(rv & m) + (uint64_t)origin);
    if (n > 0) {
        for (int64_t u = (int64_t)((uint64_t)rv >> 1);;
             u = (int64_t)((uint64_t)sl_splitmix_long(r) >> 1)) {
            rv = u % n;
            if ((uint64_t)(u - rv) + (uint64_t)m <= (uint64_t)INT64_MAX)
                return (int64_t)((uint64_t)rv + (uint64_t)origin);
        }
    }
    while (rv < origin || rv >= bound)
        rv = sl_splitmix_long(r);
    return rv;
}

#endif
