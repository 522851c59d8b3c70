/*
 * io/jrandom.h - java.util.Random, bit for bit.
 *
 * The Nexmark generator decides every field of an event with a java.util.Random seeded from
 * the event id. To make the events the Java generator makes, sluice needs the same numbers,
 * so this is Java's generator exactly as the Java SE documentation of java.util.Random
 * specifies it (the algorithm is part of the API contract, unchanged since JDK 1.0):
 *
 *   seed      48-bit state; new Random(s) sets it to (s ^ 0x5DEECE66D) mod 2^48
 *   next(b)   state = (state * 0x5DEECE66D + 0xB) mod 2^48; returns (int)(state >>> (48 - b))
 *   nextInt()        next(32)
 *   nextInt(bound)   powers of two: (bound * (long)next(31)) >> 31; otherwise next(31) % bound,
 *                    rejecting the draws that would bias the result (the loop below)
 *   nextLong()       ((long)next(32) << 32) + next(32)
 *   nextDouble()     (((long)next(26) << 27) + next(27)) * 2^-53
 *
 * Everything is inline: the generator draws tens of numbers per event and a call per draw
 * would cost as much as the draw. No allocation; a struct sl_jrandom is 8 bytes on the stack.
 */
#ifndef SL_IO_JRANDOM_H
#define SL_IO_JRANDOM_H

#include <stdint.h>

#define SL_JRANDOM_MULT 0x5DEECE66Dull
#define SL_JRANDOM_ADD 0xBull
#define SL_JRANDOM_MASK ((1ull << 48) - 1)

struct sl_jrandom {
    uint64_t state; /* 48 bits */
};

/* new Random(seed). */
static inline void sl_jrandom_init(struct sl_jrandom *r, int64_t seed)
{
    r->state = ((uint64_t)seed ^ SL_JRANDOM_MULT) & SL_JRANDOM_MASK;
}

/* Random.next(bits), 1 <= bits <= 32. */
static inline int32_t sl_jrandom_next(struct sl_jrandom *r, int bits)
{
    r->state = (r->state * SL_JRANDOM_MULT + SL_JRANDOM_ADD) & SL_JRANDOM_MASK;
    return (int32_t)(uint32_t)(r->state >> (48 - bits));
}

/* Random.nextInt(). */
static inline int32_t sl_jrandom_int(struct sl_jrandom *r)
{
    return sl_jrandom_next(r, 32);
}

/* Random.nextInt(bound), bound > 0 (the caller checks; Java throws). */
static inline int32_t sl_jrandom_int_bound(struct sl_jrandom *r, int32_t bound)
{
    int32_t rv = sl_jrandom_next(r, 31);
    int32_t m = bound - 1;
    if ((bound & m) == 0)
        return (int32_t)(((int64_t)bound * rv) >> 31);
    /* Java: for (u = r; u - (r = u % bound) + m < 0; u = next(31)); the sum overflows int
     * exactly when it exceeds INT32_MAX. */
    for (int32_t u = rv;; u = sl_jrandom_next(r, 31)) {
        rv = u % bound;
        if ((int64_t)u - rv + m <= INT32_MAX)
            return rv;
    }
}

/* Random.nextLong(). */
static inline int64_t sl_jrandom_long(struct sl_jrandom *r)
{
    int64_t hi = sl_jrandom_next(r, 32);
    int64_t lo = sl_jrandom_next(r, 32);
    return (int64_t)(((uint64_t)hi << 32) + (uint64_t)lo);
}

/* Random.nextDouble(), in [0, 1). */
static inline double sl_jrandom_double(struct sl_jrandom *r)
{
    int64_t hi = sl_jrandom_next(r, 26);
    int64_t lo = sl_jrandom_next(r, 27);
    return (double)((hi << 27) + lo) * 0x1.0p-53;
}

#endif
