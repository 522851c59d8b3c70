/*
 * engine/core/crc32c.c - CRC32C, table-driven and SSE4.2 (see crc32c.h).
 *
 * Both work on the raw CRC register (the value without the initial and final inversion),
 * in the reflected bit order of the polynomial 0x82F63B78:
 * - the table version is "slicing by 8": eight 256-entry tables, eight bytes per step;
 * - the SSE4.2 version runs the crc32 instruction on three streams at once over chunks of
 *   3 * SL_CRC_LANE bytes. The register is linear: crc(r, A || B) = crc(r, A) advanced over
 *   |B| zero bytes xor crc(0, B), and "advance over n zero bytes" is a linear map of the 32
 *   register bits, precomputed as four 256-entry tables for n = SL_CRC_LANE and for
 *   n = 2 * SL_CRC_LANE. So the three streams' registers combine with 8 lookups per chunk.
 *   Inputs shorter than a chunk take one stream, 8 bytes per instruction.
 * Tables are built once, on the first call (pthread_once), from the polynomial.
 */
#include "engine/core/crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define SL_CRC_HAVE_HW 1
#else
#define SL_CRC_HAVE_HW 0
#endif

#define SL_CRC_POLY 0x82F63B78u
#define SL_CRC_LANE 4096u /* bytes per stream in one chunk of the SSE4.2 loop */

static uint32_t sl_crc_tab[8][256];
static uint32_t sl_crc_shift1[4][256]; /* advance over SL_CRC_LANE zero bytes */
static uint32_t sl_crc_shift2[4][256]; /* advance over 2 * SL_CRC_LANE zero bytes */
static pthread_once_t sl_crc_once = PTHREAD_ONCE_INIT;
static bool sl_crc_hw_ok;
static bool sl_crc_use_hw;

/* Advances a raw register over n zero bytes, one byte at a time (init only). */
static uint32_t sl_crc_zeros(uint32_t r, size_t n)
{
    while (n--)
        r = sl_crc_tab[0][r & 0xff] ^ (r >> 8);
    return r;
}

static void sl_crc_shift_table(uint32_t t[4][256], size_t n)
{
    uint32_t basis[32];
    for (int i = 0; i < 32; i++)
        basis[i] = sl_crc_zeros(1u << i, n);
    for (int k = 0; k < 4; k++) {
        for (unsigned b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int i = 0; i < 8; i++)
                if (b & (1u << i))
                    v ^= basis[8 * k + i];
            t[k][b] = v;
        }
    }
}

static void sl_crc_init(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint32_t r = b;
        for (int i = 0; i < 8; i++)
            r = (r >> 1) ^ (SL_CRC_POLY & (0u - (r & 1)));
        sl_crc_tab[0][b] = r;
    }
    for (unsigned b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            sl_crc_tab[k][b] =
                sl_crc_tab[0][sl_crc_tab[k - 1][b] & 0xff] ^ (sl_crc_tab[k - 1][b] >> 8);
    sl_crc_shift_table(sl_crc_shift1, SL_CRC_LANE);
    sl_crc_shift_table(sl_crc_shift2, 2 * SL_CRC_LANE);
#if SL_CRC_HAVE_HW
    __builtin_cpu_init();
    sl_crc_hw_ok = __builtin_cpu_supports("sse4.2");
#endif
    sl_crc_use_hw = sl_crc_hw_ok;
}

static inline uint64_t sl_crc_load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* x86 is little-endian, as the crc32 instruction expects */
    return v;
}

uint32_t sl_crc32c_table(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&sl_crc_once, sl_crc_init);
    const unsigned char *s = p;
    uint32_t r = ~crc;
    while (n >= 8) {
        uint64_t v = sl_crc_load64(s) ^ r;
        r = sl_crc_tab[7][v & 0xff] ^ sl_crc_tab[6][(v >> 8) & 0xff] ^
            sl_crc_tab[5][(v >> 16) & 0xff] ^ sl_crc_tab[4][(v >> 24) & 0xff] ^
            sl_crc_tab[3][(v >> 32) & 0xff] ^ sl_crc_tab[2][(v >> 40) & 0xff] ^
            sl_crc_tab[1][(v >> 48) & 0xff] ^ sl_crc_tab[0][v >> 56];
        s += 8;
        n -= 8;
    }
    while (n--)
        r = sl_crc_tab[0][(r ^ *s++) & 0xff] ^ (r >> 8);
    return ~r;
}

#if SL_CRC_HAVE_HW
static inline uint32_t sl_crc_apply(const uint32_t t[4][256], uint32_t r)
{
    return t[0][r & 0xff] ^ t[1][(r >> 8) & 0xff] ^ t[2][(r >> 16) & 0xff] ^ t[3][r >> 24];
}

__attribute__((target("sse4.2"))) uint32_t sl_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&sl_crc_once, sl_crc_init);
    const unsigned char *s = p;
    uint64_t r = (uint32_t)~crc;
    while (n && ((uintptr_t)s & 7)) {
        r = _mm_crc32_u8((uint32_t)r, *s++);
        n--;
    }
    while (n >= 3 * SL_CRC_LANE) {
        uint64_t a = r, b = 0, c = 0;
        for (size_t i = 0; i < SL_CRC_LANE; i += 8) {
            a = _mm_crc32_u64(a, sl_crc_load64(s + i));
            b = _mm_crc32_u64(b, sl_crc_load64(s + SL_CRC_LANE + i));
            c = _mm_crc32_u64(c, sl_crc_load64(s + 2 * SL_CRC_LANE + i));
        }
        r = sl_crc_apply(sl_crc_shift2, (uint32_t)a) ^ sl_crc_apply(sl_crc_shift1, (uint32_t)b) ^
            (uint32_t)c;
        s += 3 * SL_CRC_LANE;
        n -= 3 * SL_CRC_LANE;
    }
    while (n >= 8) {
        r = _mm_crc32_u64(r, sl_crc_load64(s));
        s += 8;
        n -= 8;
    }
    while (n--)
        r = _mm_crc32_u8((uint32_t)r, *s++);
    return ~(uint32_t)r;
}
#else
uint32_t sl_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
    return sl_crc32c_table(crc, p, n);
}
#endif

bool sl_crc32c_hw_supported(void)
{
    pthread_once(&sl_crc_once, sl_crc_init);
    return sl_crc_hw_ok;
}

int sl_crc32c_use(bool hw)
{
    pthread_once(&sl_crc_once, sl_crc_init);
    if (hw && !sl_crc_hw_ok)
        return -1;
    sl_crc_use_hw = hw;
    return 0;
}

const char *sl_crc32c_impl(void)
{
    pthread_once(&sl_crc_once, sl_crc_init);
    return sl_crc_use_hw ? "sse4.2" : "table";
}

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&sl_crc_once, sl_crc_init);
    return sl_crc_use_hw ? sl_crc32c_hw(crc, p, n) : sl_crc32c_table(crc, p, n);
}
