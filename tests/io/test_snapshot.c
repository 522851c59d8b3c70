/*
 * tests/io/test_snapshot.c - snapshot files (io/snapshot.h).
 *
 * - The documented layout, checked byte by byte on a small file.
 * - Round trips of 0, 1, many and huge blocks through both back ends (io_uring and pwrite)
 *   and tiny buffers (many writes in flight), read back by index, by iteration and verified.
 * - Every single-bit flip of a small file and every truncation of it is refused with
 *   SL_ECORRUPT and a message naming the file; a wrong magic and a newer version likewise.
 * - Every fault point with EIO and ENOSPC (and a short write), on both back ends and at
 *   several write positions: the right code, a message naming the file and the step, and
 *   neither a final-name file nor a ".tmp" left behind.
 * - Every crash point in a forked child (armed through SLUICE_CRASH_AT): exit status 137,
 *   no final-name file before the rename, a complete one after it.
 * - Incremental chains: references resolved across epochs (also through a reference to a
 *   reference), dependencies listed, and broken chains (a damaged or missing older file, a
 *   reference whose CRC does not match) refused.
 */
#include "tests/util/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/core/crc32c.h"
#include "engine/core/fault.h"
#include "io/snapshot.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/sl_snap_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[320];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void join(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static struct sl_snapshot_meta meta_of(const char *job, uint64_t epoch, uint32_t worker,
                                       uint32_t flags)
{
    struct sl_snapshot_meta m;
    memset(&m, 0, sizeof(m));
    snprintf(m.job, sizeof(m.job), "%s", job);
    m.epoch = epoch;
    m.worker = worker;
    m.flags = flags;
    return m;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void write_file(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Opens and verifies; returns the code (0 when sound), the message in err. */
static int open_verify(const char *path, struct sl_error *err)
{
    struct sl_snapshot_reader *r;
    int rc = sl_snapshot_reader_open(path, &r, err);
    if (rc < 0)
        return rc;
    rc = sl_snapshot_reader_verify(r, err);
    sl_snapshot_reader_free(r);
    return rc;
}

/* ---- layout ------------------------------------------------------------------------------ */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Writes the small file of the corruption tests: blocks "abc" (type 7), "" (type 8) and
 * 100 bytes (type 9). */
static void write_small(const char *path, enum sl_snapshot_backend be)
{
    struct sl_snapshot_meta m = meta_of("job-1", 42, 3, 0x10000);
    struct sl_snapshot_wopts o = {.backend = be};
    struct sl_snapshot_writer *w;
    struct sl_error err;
    assert_int_equal(sl_snapshot_writer_open(path, &m, &o, &w, &err), 0);
    unsigned char big[100];
    for (int i = 0; i < 100; i++)
        big[i] = (unsigned char)(i * 7);
    assert_int_equal(sl_snapshot_writer_append(w, 7, "abc", 3, NULL, &err), 0);
    assert_int_equal(sl_snapshot_writer_append(w, 8, "", 0, NULL, &err), 0);
    assert_int_equal(sl_snapshot_writer_append(w, 9, big, sizeof(big), NULL, &err), 0);
    uint64_t bytes = 0;
    assert_int_equal(sl_snapshot_writer_commit(w, &bytes, &err), 0);
    assert_int_equal(bytes, 64 + (24 + 3) + 24 + (24 + 100) + 3 * 32 + 40);
    sl_snapshot_writer_free(w);
}

static void test_layout(void **state)
{
    (void)state;
    char path[300];
    join(path, sizeof(path), "layout.snap");
    write_small(path, SL_SNAPSHOT_AUTO);
    size_t n;
    unsigned char *f = read_file(path, &n);
    assert_int_equal(n, 64 + 27 + 24 + 124 + 96 + 40);
    assert_memory_equal(f, "SLUICESN", 8);
    assert_int_equal(le32(f + 8), 1);
    assert_int_equal(le32(f + 12), 0x10000);
    assert_int_equal(le64(f + 16), 42);
    assert_int_equal(le32(f + 24), 3);
    assert_memory_equal(f + 28, "job-1\0\0\0", 8);
    assert_int_equal(le32(f + 60), sl_crc32c(0, f, 60));
    /* block 0 */
    const unsigned char *b = f + 64;
    assert_int_equal(le32(b), 7);
    assert_int_equal(le32(b + 4), 0);
    assert_int_equal(le64(b + 8), 3);
    assert_int_equal(le32(b + 16), sl_crc32c(0, "abc", 3));
    assert_int_equal(le32(b + 20), sl_crc32c(0, b, 20));
    assert_memory_equal(b + 24, "abc", 3);
    /* block 1, empty */
    b = f + 64 + 27;
    assert_int_equal(le32(b), 8);
    assert_int_equal(le64(b + 8), 0);
    assert_int_equal(le32(b + 16), 0);
    /* index */
    size_t io = 64 + 27 + 24 + 124;
    assert_int_equal(le64(f + io), 64);
    assert_int_equal(le64(f + io + 8), 3);
    assert_int_equal(le32(f + io + 16), 7);
    assert_int_equal(le64(f + io + 32), 64 + 27);
    assert_int_equal(le64(f + io + 64), 64 + 27 + 24);
    assert_int_equal(le64(f + io + 64 + 8), 100);
    /* footer */
    const unsigned char *ft = f + n - 40;
    assert_int_equal(le64(ft), io);
    assert_int_equal(le64(ft + 8), 3);
    assert_int_equal(le64(ft + 16), n);
    uint32_t crc = sl_crc32c(0, f, 64);
    crc = sl_crc32c(crc, f + io, 96);
    crc = sl_crc32c(crc, ft, 24);
    assert_int_equal(le32(ft + 24), crc);
    assert_memory_equal(ft + 32, "SLSNEND\0", 8);
    free(f);
    assert_false(exists("layout.snap.tmp"));
}

/* ---- round trips --------------------------------------------------------------------------- */

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t s = seed | 1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = sl_test_rand(&s);
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++)
        p[i] = (unsigned char)sl_test_rand(&s);
}

struct rt_case {
    const char *name;
    uint32_t nblocks;
    size_t max_len; /* block i has (i * 7919) % (max_len + 1) bytes, or max_len if one block */
};

static size_t rt_len(const struct rt_case *c, uint32_t i)
{
    if (c->nblocks == 1)
        return c->max_len;
    return (size_t)((uint64_t)i * 7919u % (c->max_len + 1));
}

static void round_trip(const struct rt_case *c, enum sl_snapshot_backend be, size_t buf_size,
                       unsigned depth)
{
    char path[300];
    join(path, sizeof(path), c->name);
    struct sl_snapshot_meta m = meta_of("rt", 5, 1, 0);
    struct sl_snapshot_wopts o = {.backend = be, .buf_size = buf_size, .depth = depth};
    struct sl_snapshot_writer *w;
    struct sl_error err;
    assert_int_equal(sl_snapshot_writer_open(path, &m, &o, &w, &err), 0);
    assert_int_equal(sl_snapshot_writer_uses_uring(w), be == SL_SNAPSHOT_URING);
    size_t maxb = c->nblocks == 1 ? c->max_len : c->max_len;
    unsigned char *buf = malloc(maxb + 1), *back = malloc(maxb + 1);
    assert_non_null(buf);
    assert_non_null(back);
    for (uint32_t i = 0; i < c->nblocks; i++) {
        size_t len = rt_len(c, i);
        fill(buf, len, i + 1);
        struct sl_snapshot_ref origin;
        assert_int_equal(sl_snapshot_writer_append(w, i * 3, buf, len, &origin, &err), 0);
        assert_int_equal(origin.epoch, 5);
        assert_int_equal(origin.index, i);
        assert_int_equal(origin.length, len);
        assert_int_equal(origin.crc, sl_crc32c(0, buf, len));
    }
    assert_int_equal(sl_snapshot_writer_count(w), c->nblocks);
    uint64_t bytes;
    if (sl_snapshot_writer_commit(w, &bytes, &err) != 0)
        fail_msg("%s", err.msg);
    sl_snapshot_writer_free(w);
    char tmp[310];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_false(exists(tmp));

    struct sl_snapshot_reader *r;
    assert_int_equal(sl_snapshot_reader_open(path, &r, &err), 0);
    assert_int_equal(sl_snapshot_reader_size(r), bytes);
    const struct sl_snapshot_meta *rm = sl_snapshot_reader_meta(r);
    assert_string_equal(rm->job, "rt");
    assert_int_equal(rm->epoch, 5);
    assert_int_equal(rm->worker, 1);
    assert_int_equal(sl_snapshot_reader_count(r), c->nblocks);
    if (sl_snapshot_reader_verify(r, &err) != 0)
        fail_msg("%s", err.msg);
    for (uint32_t i = 0; i < c->nblocks; i += (c->nblocks > 50 ? 7 : 1)) {
        size_t len = rt_len(c, i);
        fill(buf, len, i + 1);
        struct sl_snapshot_block blk;
        assert_int_equal(sl_snapshot_reader_block(r, i, &blk, &err), 0);
        assert_int_equal(blk.type, i * 3);
        assert_int_equal(blk.length, len);
        assert_false(blk.is_ref);
        assert_int_equal(sl_snapshot_reader_read(r, i, back, maxb + 1, &err), 0);
        assert_memory_equal(back, buf, len);
    }
    /* iteration */
    struct sl_snapshot_block blk;
    const void *data;
    uint32_t seen = 0;
    int rc;
    while ((rc = sl_snapshot_reader_next(r, &blk, &data, &err)) == 1) {
        size_t len = rt_len(c, seen);
        assert_int_equal(blk.index, seen);
        assert_int_equal(blk.length, len);
        if (seen % 13 == 0 || c->nblocks < 50) {
            fill(buf, len, seen + 1);
            assert_memory_equal(data, buf, len);
        }
        seen++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(seen, c->nblocks);
    assert_int_equal(sl_snapshot_reader_block(r, c->nblocks, &blk, &err), SL_ERANGE);
    if (c->nblocks)
        assert_int_equal(sl_snapshot_reader_read(
                             r, c->nblocks - 1, back,
                             rt_len(c, c->nblocks - 1) ? rt_len(c, c->nblocks - 1) - 1 : 0, &err),
                         rt_len(c, c->nblocks - 1) ? SL_ERANGE : 0);
    sl_snapshot_reader_free(r);
    free(buf);
    free(back);
    unlink(path);
}

static const struct rt_case rt_cases[] = {
    {"zero.snap", 0, 0},       {"one.snap", 1, 1000},       {"one_empty.snap", 1, 0},
    {"many.snap", 2000, 3000}, {"huge.snap", 1, 40u << 20}, {"several_huge.snap", 3, 9u << 20},
};

static void test_round_trips(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(rt_cases) / sizeof(rt_cases[0]); k++) {
        round_trip(&rt_cases[k], SL_SNAPSHOT_URING, 0, 0);
        round_trip(&rt_cases[k], SL_SNAPSHOT_PWRITE, 0, 0);
        /* small buffers: many writes, up to 8 in flight */
        if (rt_cases[k].max_len < (10u << 20))
            round_trip(&rt_cases[k], SL_SNAPSHOT_URING, 4096, 8);
        round_trip(&rt_cases[k], SL_SNAPSHOT_URING, 3 << 20, 3);
    }
}

static void test_backend_choice(void **state)
{
    (void)state;
    char path[300];
    join(path, sizeof(path), "choice.snap");
    struct sl_snapshot_meta m = meta_of("c", 1, 0, 0);
    struct sl_snapshot_writer *w;
    struct sl_error err;
    /* io_uring cannot be set up: AUTO falls back and says why; URING fails */
    assert_int_equal(sl_fault_set("snapshot.uring_init:ENOSYS", &err), 0);
    assert_int_equal(sl_snapshot_writer_open(path, &m, NULL, &w, &err), 0);
    assert_false(sl_snapshot_writer_uses_uring(w));
    assert_non_null(strstr(sl_snapshot_writer_backend(w), "io_uring unavailable"));
    assert_int_equal(sl_snapshot_writer_append(w, 1, "x", 1, NULL, &err), 0);
    assert_int_equal(sl_snapshot_writer_commit(w, NULL, &err), 0);
    sl_snapshot_writer_free(w);
    assert_int_equal(open_verify(path, &err), 0);
    unlink(path);
    assert_int_equal(sl_fault_set("snapshot.uring_init:EPERM", &err), 0);
    struct sl_snapshot_wopts o = {.backend = SL_SNAPSHOT_URING};
    assert_int_equal(sl_snapshot_writer_open(path, &m, &o, &w, &err), SL_ENOTSUP);
    assert_null(w);
    assert_non_null(strstr(err.msg, "io_uring unavailable"));
    assert_int_equal(sl_fault_set(NULL, &err), 0);
    /* io_uring works here: AUTO takes it */
    assert_int_equal(sl_snapshot_writer_open(path, &m, NULL, &w, &err), 0);
    assert_true(sl_snapshot_writer_uses_uring(w));
    assert_non_null(strstr(sl_snapshot_writer_backend(w), "io_uring"));
    sl_snapshot_writer_free(w); /* abandoned: no file at all */
    assert_false(exists(path));
    char tmp[310];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_false(exists(tmp));
    /* bad meta */
    struct sl_snapshot_meta bad = meta_of("", 1, 0, 0);
    assert_int_equal(sl_snapshot_writer_open(path, &bad, NULL, &w, &err), SL_EINVAL);
    bad = meta_of("j", 1, 0, 0x2);
    assert_int_equal(sl_snapshot_writer_open(path, &bad, NULL, &w, &err), SL_EINVAL);
    /* a reference in a snapshot that is not incremental */
    assert_int_equal(sl_snapshot_writer_open(path, &m, NULL, &w, &err), 0);
    struct sl_snapshot_ref ref = {0, 0, 0, 0};
    assert_int_equal(sl_snapshot_writer_append_ref(w, 1, &ref, &err), SL_ESTATE);
    sl_snapshot_writer_free(w);
    /* a missing file */
    struct sl_snapshot_reader *r;
    assert_int_equal(sl_snapshot_reader_open(path, &r, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, path));
}

/* ---- corruption ---------------------------------------------------------------------------- */

static void expect_refused(const char *path, const char *what)
{
    struct sl_error err;
    int rc = open_verify(path, &err);
    if (rc != SL_ECORRUPT)
        fail_msg("%s: expected SL_ECORRUPT, got %d (%s)", what, rc, rc ? err.msg : "accepted");
    if (!strstr(err.msg, path))
        fail_msg("%s: the message does not name the file: %s", what, err.msg);
}

static void test_bit_flips(void **state)
{
    (void)state;
    char path[300], bad[300];
    join(path, sizeof(path), "flip.snap");
    join(bad, sizeof(bad), "flip_bad.snap");
    write_small(path, SL_SNAPSHOT_URING);
    size_t n;
    unsigned char *f = read_file(path, &n);
    struct sl_error err;
    assert_int_equal(open_verify(path, &err), 0);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            f[i] ^= (unsigned char)(1u << bit);
            write_file(bad, f, n);
            char what[64];
            snprintf(what, sizeof(what), "bit %d of byte %zu", bit, i);
            expect_refused(bad, what);
            f[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* a damaged payload names the block */
    f[64 + 24 + 27 + 24 + 24 + 50] ^= 1;
    write_file(bad, f, n);
    int rc = open_verify(bad, &err);
    assert_int_equal(rc, SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "block 2"));
    assert_non_null(strstr(err.msg, "payload CRC32C"));
    free(f);
}

static void test_truncation(void **state)
{
    (void)state;
    char path[300], bad[300];
    join(path, sizeof(path), "trunc.snap");
    join(bad, sizeof(bad), "trunc_bad.snap");
    write_small(path, SL_SNAPSHOT_PWRITE);
    size_t n;
    unsigned char *f = read_file(path, &n);
    for (size_t len = 0; len < n; len++) {
        write_file(bad, f, len);
        char what[64];
        snprintf(what, sizeof(what), "truncated to %zu bytes", len);
        expect_refused(bad, what);
    }
    /* appended garbage is refused too */
    unsigned char *g = malloc(n + 8);
    memcpy(g, f, n);
    memset(g + n, 0, 8);
    write_file(bad, g, n + 8);
    expect_refused(bad, "8 bytes appended");
    free(g);
    free(f);
}

static void test_magic_version(void **state)
{
    (void)state;
    char path[300], bad[300];
    join(path, sizeof(path), "mv.snap");
    join(bad, sizeof(bad), "mv_bad.snap");
    write_small(path, SL_SNAPSHOT_URING);
    size_t n;
    unsigned char *f = read_file(path, &n);
    struct sl_error err;
    /* wrong magic, even with a consistent CRC */
    f[0] = 'X';
    uint32_t crc = sl_crc32c(0, f, 60);
    memcpy(f + 60, &crc, 4);
    write_file(bad, f, n);
    assert_int_equal(open_verify(bad, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "wrong magic"));
    f[0] = 'S';
    /* a newer version with a consistent header CRC: not supported, said so */
    f[8] = 2;
    crc = sl_crc32c(0, f, 60);
    memcpy(f + 60, &crc, 4);
    write_file(bad, f, n);
    assert_int_equal(open_verify(bad, &err), SL_ENOTSUP);
    assert_non_null(strstr(err.msg, "format version 2"));
    /* version 0 is damage */
    f[8] = 0;
    crc = sl_crc32c(0, f, 60);
    memcpy(f + 60, &crc, 4);
    write_file(bad, f, n);
    assert_int_equal(open_verify(bad, &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "format version 0"));
    /* not a snapshot at all */
    static const char text[] = "hello world, this is a text file that is long enough to "
                               "have a header and a footer ........";
    write_file(bad, (const unsigned char *)text, sizeof(text) - 1);
    assert_int_equal(open_verify(bad, &err), SL_ECORRUPT);
    free(f);
}

/* ---- faults -------------------------------------------------------------------------------- */

struct fault_case {
    const char *spec;
    int code;
    const char *step; /* in the message */
    bool at_open;     /* fails in sl_snapshot_writer_open */
};

static const struct fault_case fault_cases[] = {
    {"snapshot.open:EIO", SL_EIO, "open", true},
    {"snapshot.open:ENOSPC", SL_EFULL, "open", true},
    {"snapshot.write:EIO", SL_EIO, "write of", false},
    {"snapshot.write:ENOSPC", SL_EFULL, "write of", false},
    {"snapshot.write:EDQUOT", SL_EFULL, "write of", false},
    {"snapshot.write:SHORT", SL_EIO, "short write", false},
    {"snapshot.write:EIO@2", SL_EIO, "write of", false},
    {"snapshot.write:ENOSPC@5", SL_EFULL, "write of", false},
    {"snapshot.write:SHORT@7", SL_EIO, "short write", false},
    {"snapshot.write:EIO@9", SL_EIO, "write of", false}, /* the tail (index and footer) */
    {"snapshot.fsync:EIO", SL_EIO, "fsync", false},
    {"snapshot.fsync:ENOSPC", SL_EFULL, "fsync", false},
    {"snapshot.rename:EIO", SL_EIO, "rename", false},
    {"snapshot.rename:ENOSPC", SL_EFULL, "rename", false},
    {"snapshot.dirfsync:EIO", SL_EIO, "fsync of directory", false},
    {"snapshot.dirfsync:ENOSPC", SL_EFULL, "fsync of directory", false},
};

/* Writes 8 blocks of 5000 bytes with 4 KiB buffers (10 writes); returns the code. */
static int faulty_snapshot(const char *path, enum sl_snapshot_backend be, unsigned depth,
                           bool *opened, struct sl_error *err)
{
    struct sl_snapshot_meta m = meta_of("f", 9, 0, 0);
    struct sl_snapshot_wopts o = {.backend = be, .buf_size = 4096, .depth = depth};
    struct sl_snapshot_writer *w;
    *opened = false;
    int rc = sl_snapshot_writer_open(path, &m, &o, &w, err);
    if (rc < 0)
        return rc;
    *opened = true;
    unsigned char data[5000];
    fill(data, sizeof(data), 3);
    int first = 0;
    for (int i = 0; i < 8; i++) {
        rc = sl_snapshot_writer_append(w, 1, data, sizeof(data), NULL, err);
        if (rc < 0 && !first)
            first = rc;
        if (first && rc != first)
            fail_msg("after a failure, append returned %d, not the same error %d", rc, first);
    }
    rc = sl_snapshot_writer_commit(w, NULL, err);
    if (first && rc != first)
        fail_msg("after a failure, commit returned %d, not the same error %d", rc, first);
    sl_snapshot_writer_free(w);
    return rc;
}

static void test_faults(void **state)
{
    (void)state;
    char path[300], tmp[310];
    join(path, sizeof(path), "fault.snap");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    enum sl_snapshot_backend bes[] = {SL_SNAPSHOT_URING, SL_SNAPSHOT_PWRITE};
    for (size_t b = 0; b < 2; b++) {
        for (unsigned depth = 1; depth <= 4; depth += 3) {
            for (size_t k = 0; k < sizeof(fault_cases) / sizeof(fault_cases[0]); k++) {
                const struct fault_case *c = &fault_cases[k];
                struct sl_error err;
                assert_int_equal(sl_fault_set(c->spec, &err), 0);
                bool opened;
                int rc = faulty_snapshot(path, bes[b], depth, &opened, &err);
                const char *point = strchr(c->spec, ':');
                char pname[64];
                snprintf(pname, sizeof(pname), "%.*s", (int)(point - c->spec), c->spec);
                if (rc != c->code)
                    fail_msg("%s (backend %zu, depth %u): expected %d, got %d: %s", c->spec, b,
                             depth, c->code, rc, rc ? err.msg : "");
                assert_int_equal(opened, !c->at_open);
                if (!strstr(err.msg, "fault.snap") || !strstr(err.msg, c->step))
                    fail_msg("%s: message lacks the file or the step '%s': %s", c->spec, c->step,
                             err.msg);
                if (exists(path))
                    fail_msg("%s: a file is left under the final name", c->spec);
                if (exists(tmp))
                    fail_msg("%s: the .tmp is left after free", c->spec);
                assert_true(sl_fault_hits(pname) >= 1);
            }
        }
    }
    /* disarmed: the same snapshot succeeds */
    struct sl_error err;
    assert_int_equal(sl_fault_set("", &err), 0);
    bool opened;
    assert_int_equal(faulty_snapshot(path, SL_SNAPSHOT_URING, 4, &opened, &err), 0);
    assert_int_equal(sl_fault_hits("snapshot.write"), 10);
    assert_int_equal(open_verify(path, &err), 0);
    unlink(path);
    /* bad specs */
    assert_int_equal(sl_fault_set("snapshot.fsync", &err), SL_EINVAL);
    assert_int_equal(sl_fault_set("snapshot.fsync:EWHAT", &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "EWHAT"));
    assert_int_equal(sl_fault_set("snapshot.fsync:EIO@0", &err), SL_EINVAL);
    assert_int_equal(sl_crash_set("snapshot.before_rename:EIO", &err), SL_EINVAL);
}

/* A faulty custom I/O table: the writer uses the table it is given. */
static int short_fsync_calls;
static int failing_fsync(int fd)
{
    (void)fd;
    short_fsync_calls++;
    return -EROFS;
}

static void test_custom_io(void **state)
{
    (void)state;
    char path[300];
    join(path, sizeof(path), "custom.snap");
    struct sl_snapshot_io io = *sl_snapshot_io_default();
    io.fsync = failing_fsync;
    struct sl_snapshot_meta m = meta_of("c", 1, 0, 0);
    struct sl_snapshot_wopts o = {.io = &io};
    struct sl_snapshot_writer *w;
    struct sl_error err;
    assert_int_equal(sl_snapshot_writer_open(path, &m, &o, &w, &err), 0);
    assert_int_equal(sl_snapshot_writer_append(w, 1, "abc", 3, NULL, &err), 0);
    assert_int_equal(sl_snapshot_writer_commit(w, NULL, &err), SL_EIO);
    assert_non_null(strstr(err.msg, "EROFS"));
    assert_int_equal(short_fsync_calls, 1);
    sl_snapshot_writer_free(w);
    assert_false(exists(path));
}

/* ---- crash points -------------------------------------------------------------------------- */

struct crash_case {
    const char *spec;
    bool final_exists; /* the final-name file exists after the crash */
    bool tmp_exists;
};

static const struct crash_case crash_cases[] = {
    {"snapshot.after_open", false, true},     {"snapshot.after_write", false, true},
    {"snapshot.after_write@3", false, true},  {"snapshot.before_fsync", false, true},
    {"snapshot.before_rename", false, true},  {"snapshot.before_dirfsync", true, false},
    {"snapshot.after_dirfsync", true, false},
};

static void test_crash_points(void **state)
{
    (void)state;
    char path[300], tmp[310];
    join(path, sizeof(path), "crash.snap");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    for (size_t k = 0; k < sizeof(crash_cases) / sizeof(crash_cases[0]); k++) {
        for (int be = 0; be < 2; be++) {
            const struct crash_case *c = &crash_cases[k];
            unlink(path);
            unlink(tmp);
            fflush(NULL);
            pid_t pid = fork();
            assert_true(pid >= 0);
            if (pid == 0) {
                setenv("SLUICE_CRASH_AT", c->spec, 1);
                sl_fault_reload();
                bool opened;
                struct sl_error err;
                int rc = faulty_snapshot(path, be ? SL_SNAPSHOT_PWRITE : SL_SNAPSHOT_URING, 4,
                                         &opened, &err);
                _exit(rc == 0 ? 0 : 1);
            }
            int status;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 137)
                fail_msg("%s: the child did not exit with 137 (status 0x%x)", c->spec, status);
            if (exists(path) != c->final_exists)
                fail_msg("%s: final-name file %s", c->spec, c->final_exists ? "missing" : "exists");
            if (exists(tmp) != c->tmp_exists)
                fail_msg("%s: .tmp %s", c->spec, c->tmp_exists ? "missing" : "exists");
            if (c->final_exists) {
                struct sl_error err;
                if (open_verify(path, &err) != 0)
                    fail_msg("%s: %s", c->spec, err.msg);
            }
        }
    }
    /* a crash point that is never reached: the child finishes */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("SLUICE_CRASH_AT", "snapshot.after_write@1000", 1);
        sl_fault_reload();
        bool opened;
        struct sl_error err;
        _exit(faulty_snapshot(path, SL_SNAPSHOT_URING, 4, &opened, &err) == 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    unlink(path);
}

/* ---- incremental chains -------------------------------------------------------------------- */

static void chain_block(unsigned char *p, size_t n, uint64_t epoch, uint32_t i)
{
    fill(p, n, epoch * 1000 + i);
}

static void write_epoch(uint64_t epoch, const struct sl_snapshot_ref *prev, uint32_t nprev,
                        const bool *changed, struct sl_snapshot_ref *origins, uint32_t n)
{
    char path[300];
    sl_snapshot_path(path, sizeof(path), tmpdir, "inc", 2, epoch);
    struct sl_snapshot_meta m = meta_of("inc", epoch, 2, SL_SNAPSHOT_F_INCREMENTAL);
    struct sl_snapshot_writer *w;
    struct sl_error err;
    assert_int_equal(sl_snapshot_writer_open(path, &m, NULL, &w, &err), 0);
    unsigned char buf[3000];
    for (uint32_t i = 0; i < n; i++) {
        if (i < nprev && !changed[i]) {
            assert_int_equal(sl_snapshot_writer_append_ref(w, 100 + i, &prev[i], &err), 0);
            origins[i] = prev[i];
        } else {
            size_t len = 1000 + i * 100;
            chain_block(buf, len, epoch, i);
            assert_int_equal(sl_snapshot_writer_append(w, 100 + i, buf, len, &origins[i], &err), 0);
        }
    }
    assert_int_equal(sl_snapshot_writer_commit(w, NULL, &err), 0);
    sl_snapshot_writer_free(w);
}

/* Checks that block i of `epoch`'s file holds the data written at epoch want[i]. */
static void check_epoch(uint64_t epoch, const uint64_t *want, uint32_t n)
{
    char path[300];
    sl_snapshot_path(path, sizeof(path), tmpdir, "inc", 2, epoch);
    struct sl_snapshot_reader *r;
    struct sl_error err;
    assert_int_equal(sl_snapshot_reader_open(path, &r, &err), 0);
    sl_snapshot_reader_set_locator(r, sl_snapshot_locate_dir, tmpdir);
    if (sl_snapshot_reader_verify(r, &err) != 0)
        fail_msg("epoch %llu: %s", (unsigned long long)epoch, err.msg);
    unsigned char buf[3000], back[3000];
    for (uint32_t i = 0; i < n; i++) {
        size_t len = 1000 + i * 100;
        chain_block(buf, len, want[i], i);
        if (sl_snapshot_reader_read(r, i, back, sizeof(back), &err) != 0)
            fail_msg("epoch %llu block %u: %s", (unsigned long long)epoch, i, err.msg);
        assert_memory_equal(back, buf, len);
        struct sl_snapshot_block blk;
        assert_int_equal(sl_snapshot_reader_block(r, i, &blk, &err), 0);
        assert_int_equal(blk.type, 100 + i);
        assert_int_equal(blk.length, len);
        assert_int_equal(blk.is_ref, want[i] != epoch);
        assert_int_equal(blk.origin.epoch, want[i]);
    }
    sl_snapshot_reader_free(r);
}

static void test_incremental(void **state)
{
    (void)state;
    enum { N = 6 };
    struct sl_snapshot_ref o1[N], o2[N], o3[N], o4[N];
    bool all[N] = {true, true, true, true, true, true};
    bool c2[N] = {false, true, false, false, true, false};
    bool c3[N] = {false, false, true, false, false, false};
    write_epoch(1, NULL, 0, all, o1, N);
    write_epoch(2, o1, N, c2, o2, N);
    write_epoch(3, o2, N, c3, o3, N);
    const uint64_t w1[N] = {1, 1, 1, 1, 1, 1};
    const uint64_t w2[N] = {1, 2, 1, 1, 2, 1};
    const uint64_t w3[N] = {1, 2, 3, 1, 2, 1};
    check_epoch(1, w1, N);
    check_epoch(2, w2, N);
    check_epoch(3, w3, N);
    /* a full snapshot again (the caller's every-K policy): no dependencies */
    write_epoch(4, NULL, 0, all, o4, N);
    const uint64_t w4[N] = {4, 4, 4, 4, 4, 4};
    check_epoch(4, w4, N);

    char p1[300], p2[300], p3[300], p4[300];
    sl_snapshot_path(p1, sizeof(p1), tmpdir, "inc", 2, 1);
    sl_snapshot_path(p2, sizeof(p2), tmpdir, "inc", 2, 2);
    sl_snapshot_path(p3, sizeof(p3), tmpdir, "inc", 2, 3);
    sl_snapshot_path(p4, sizeof(p4), tmpdir, "inc", 2, 4);
    struct sl_snapshot_reader *r;
    struct sl_error err;
    uint64_t *deps;
    size_t nd;
    assert_int_equal(sl_snapshot_reader_open(p3, &r, &err), 0);
    assert_int_equal(sl_snapshot_reader_deps(r, &deps, &nd, &err), 0);
    assert_int_equal(nd, 2);
    assert_int_equal(deps[0], 1);
    assert_int_equal(deps[1], 2);
    free(deps);
    /* without a locator a reference cannot be read */
    unsigned char buf[3000];
    assert_int_equal(sl_snapshot_reader_read(r, 0, buf, sizeof(buf), &err), SL_ESTATE);
    assert_int_equal(sl_snapshot_reader_verify(r, &err), 0); /* form only */
    sl_snapshot_reader_free(r);
    assert_int_equal(sl_snapshot_reader_open(p4, &r, &err), 0);
    assert_int_equal(sl_snapshot_reader_deps(r, &deps, &nd, &err), 0);
    assert_int_equal(nd, 0);
    free(deps);
    sl_snapshot_reader_free(r);

    /* a reference to a reference (epoch 5 -> epoch 3's block 0, itself -> epoch 1) */
    {
        struct sl_snapshot_meta m = meta_of("inc", 5, 2, SL_SNAPSHOT_F_INCREMENTAL);
        char p5[300];
        sl_snapshot_path(p5, sizeof(p5), tmpdir, "inc", 2, 5);
        struct sl_snapshot_writer *w;
        assert_int_equal(sl_snapshot_writer_open(p5, &m, NULL, &w, &err), 0);
        struct sl_snapshot_ref hop = {3, 0, o3[0].crc, o3[0].length};
        assert_int_equal(sl_snapshot_writer_append_ref(w, 100, &hop, &err), 0);
        struct sl_snapshot_ref future = {5, 0, 0, 0};
        assert_int_equal(sl_snapshot_writer_append_ref(w, 100, &future, &err), SL_EINVAL);
        assert_int_equal(sl_snapshot_writer_commit(w, NULL, &err), 0);
        sl_snapshot_writer_free(w);
        assert_int_equal(sl_snapshot_reader_open(p5, &r, &err), 0);
        sl_snapshot_reader_set_locator(r, sl_snapshot_locate_dir, tmpdir);
        assert_int_equal(sl_snapshot_reader_verify(r, &err), 0);
        unsigned char want[3000];
        chain_block(want, 1000, 1, 0);
        assert_int_equal(sl_snapshot_reader_read(r, 0, buf, sizeof(buf), &err), 0);
        assert_memory_equal(buf, want, 1000);
        sl_snapshot_reader_free(r);
    }

    /* a reference whose CRC does not match its target */
    {
        struct sl_snapshot_meta m = meta_of("inc", 6, 2, SL_SNAPSHOT_F_INCREMENTAL);
        char p6[300];
        sl_snapshot_path(p6, sizeof(p6), tmpdir, "inc", 2, 6);
        struct sl_snapshot_writer *w;
        assert_int_equal(sl_snapshot_writer_open(p6, &m, NULL, &w, &err), 0);
        struct sl_snapshot_ref wrong = o4[1];
        wrong.crc ^= 1;
        assert_int_equal(sl_snapshot_writer_append_ref(w, 101, &wrong, &err), 0);
        struct sl_snapshot_ref past = {4, 99, 0, 0};
        assert_int_equal(sl_snapshot_writer_append_ref(w, 101, &past, &err), 0);
        assert_int_equal(sl_snapshot_writer_commit(w, NULL, &err), 0);
        sl_snapshot_writer_free(w);
        assert_int_equal(sl_snapshot_reader_open(p6, &r, &err), 0);
        sl_snapshot_reader_set_locator(r, sl_snapshot_locate_dir, tmpdir);
        assert_int_equal(sl_snapshot_reader_read(r, 0, buf, sizeof(buf), &err), SL_ECORRUPT);
        assert_non_null(strstr(err.msg, "block 0 references block 1 of epoch 4"));
        assert_int_equal(sl_snapshot_reader_read(r, 1, buf, sizeof(buf), &err), SL_ECORRUPT);
        assert_non_null(strstr(err.msg, "which has 6"));
        assert_int_equal(sl_snapshot_reader_verify(r, &err), SL_ECORRUPT);
        sl_snapshot_reader_free(r);
    }

    /* damage in an older file shows when a newer one is read */
    size_t n;
    unsigned char *f1 = read_file(p1, &n);
    f1[64 + 24 + 10] ^= 0x40; /* block 0's payload */
    write_file(p1, f1, n);
    assert_int_equal(sl_snapshot_reader_open(p3, &r, &err), 0);
    sl_snapshot_reader_set_locator(r, sl_snapshot_locate_dir, tmpdir);
    assert_int_equal(sl_snapshot_reader_read(r, 0, buf, sizeof(buf), &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, p1));
    assert_non_null(strstr(err.msg, "block 0"));
    assert_int_equal(sl_snapshot_reader_read(r, 1, buf, sizeof(buf), &err), 0); /* from 2 */
    assert_int_equal(sl_snapshot_reader_verify(r, &err), SL_ECORRUPT);
    sl_snapshot_reader_free(r);
    free(f1);

    /* a missing older file */
    unlink(p2);
    assert_int_equal(sl_snapshot_reader_open(p3, &r, &err), 0);
    sl_snapshot_reader_set_locator(r, sl_snapshot_locate_dir, tmpdir);
    assert_int_equal(sl_snapshot_reader_read(r, 1, buf, sizeof(buf), &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "epoch 2"));
    sl_snapshot_reader_free(r);

    /* an older file of another worker under the expected name */
    char other[300];
    sl_snapshot_path(other, sizeof(other), tmpdir, "inc", 2, 2);
    struct sl_snapshot_meta m = meta_of("inc", 2, 7, 0);
    struct sl_snapshot_writer *w;
    assert_int_equal(sl_snapshot_writer_open(other, &m, NULL, &w, &err), 0);
    assert_int_equal(sl_snapshot_writer_append(w, 101, "x", 1, NULL, &err), 0);
    assert_int_equal(sl_snapshot_writer_commit(w, NULL, &err), 0);
    sl_snapshot_writer_free(w);
    assert_int_equal(sl_snapshot_reader_open(p3, &r, &err), 0);
    sl_snapshot_reader_set_locator(r, sl_snapshot_locate_dir, tmpdir);
    assert_int_equal(sl_snapshot_reader_read(r, 1, buf, sizeof(buf), &err), SL_ECORRUPT);
    assert_non_null(strstr(err.msg, "worker 7"));
    sl_snapshot_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),         cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_backend_choice), cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_truncation),     cmocka_unit_test(test_magic_version),
        cmocka_unit_test(test_faults),         cmocka_unit_test(test_custom_io),
        cmocka_unit_test(test_crash_points),   cmocka_unit_test(test_incremental),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
