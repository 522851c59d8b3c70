/*
 * tests/io/test_crc32c.c - CRC32C: published test vectors (RFC 3720 B.4, the "123456789"
 * check value) for both implementations, then the SSE4.2 version against the table version
 * on random data at every length up to past three chunks, at every misalignment, and in
 * pieces (incremental use).
 */
#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/crc32c.h"

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn f)
{
    unsigned char buf[48];
    assert_int_equal(f(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(f(0, "", 0), 0);
    memset(buf, 0, 32);
    assert_int_equal(f(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    assert_int_equal(f(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    assert_int_equal(f(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)(31 - i);
    assert_int_equal(f(0, buf, 32), 0x113FDB5Cu);
    /* RFC 3720 B.4: an iSCSI Read (10) command PDU */
    static const unsigned char pdu[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(f(0, pdu, 48), 0xD9963A56u);
    /* incremental: the same value in two pieces */
    assert_int_equal(f(f(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void test_vectors_table(void **state)
{
    (void)state;
    check_vectors(sl_crc32c_table);
}

static void test_vectors_hw(void **state)
{
    (void)state;
    if (!sl_crc32c_hw_supported()) {
        fprintf(stderr, "[  SKIPPED ] sse4.2: this CPU lacks it\n");
        return;
    }
    check_vectors(sl_crc32c_hw);
    assert_int_equal(sl_crc32c_use(true), 0);
    assert_string_equal(sl_crc32c_impl(), "sse4.2");
    check_vectors(sl_crc32c);
    assert_int_equal(sl_crc32c_use(false), 0);
    assert_string_equal(sl_crc32c_impl(), "table");
    check_vectors(sl_crc32c);
    assert_int_equal(sl_crc32c_use(true), 0);
}

static void test_hw_matches_table(void **state)
{
    (void)state;
    if (!sl_crc32c_hw_supported()) {
        fprintf(stderr, "[  SKIPPED ] sse4.2: this CPU lacks it\n");
        return;
    }
    size_t max = 3 * 3 * 4096 + 100;
    unsigned char *buf = malloc(max + 16);
    assert_non_null(buf);
    uint64_t rs = 42;
    for (size_t i = 0; i < max + 16; i++)
        buf[i] = (unsigned char)sl_test_rand(&rs);
    for (size_t n = 0; n <= max; n += (n < 300 ? 1 : 97)) {
        for (size_t mis = 0; mis < 8; mis++) {
            uint32_t seed = (uint32_t)sl_test_rand(&rs);
            uint32_t t = sl_crc32c_table(seed, buf + mis, n);
            uint32_t h = sl_crc32c_hw(seed, buf + mis, n);
            if (t != h)
                fail_msg("length %zu misalignment %zu: table 0x%08x, sse4.2 0x%08x", n, mis, t, h);
        }
    }
    /* split anywhere: crc(a) continued over b == crc(a || b) */
    uint32_t whole = sl_crc32c_hw(0, buf, max);
    for (size_t cut = 0; cut <= max; cut += 1009) {
        assert_int_equal(sl_crc32c_hw(sl_crc32c_hw(0, buf, cut), buf + cut, max - cut), whole);
        assert_int_equal(sl_crc32c_table(sl_crc32c_table(0, buf, cut), buf + cut, max - cut),
                         whole);
    }
    /* a single flipped bit changes the value */
    for (size_t bit = 0; bit < 64; bit++) {
        buf[bit * 131 % max] ^= (unsigned char)(1u << (bit & 7));
        assert_int_not_equal(sl_crc32c_hw(0, buf, max), whole);
        buf[bit * 131 % max] ^= (unsigned char)(1u << (bit & 7));
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_table),
        cmocka_unit_test(test_vectors_hw),
        cmocka_unit_test(test_hw_matches_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
