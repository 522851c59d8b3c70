/*
 * engine/core/crc32c.h - CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the
 * snapshot format (io/snapshot.h).
 *
 * Two implementations with one result: the SSE4.2 `crc32` instruction, 8 bytes at a time
 * in three independent streams that are combined at the end (the instruction has a latency
 * of 3 cycles and a throughput of 1, so three streams keep it busy), and a table-driven
 * fallback (slicing by 8) for CPUs without SSE4.2. The choice is made once, at the first
 * call, from the CPU's feature bits; sl_crc32c_use() forces one (tests compare both).
 *
 * The value is the standard one: init ~0, final xor ~0, so sl_crc32c(0, "123456789", 9)
 * is 0xE3069283. Incremental use: crc = sl_crc32c(crc, next, n) continues a running CRC
 * from its previous result (start from 0).
 */
#ifndef SL_IO_CRC32C_H
#define SL_IO_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CRC32C of `n` bytes at `p`, continuing `crc` (0 for a new CRC). */
uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n);

/* The table-driven implementation (any CPU). */
uint32_t sl_crc32c_table(uint32_t crc, const void *p, size_t n);

/* The SSE4.2 implementation; call it only where sl_crc32c_hw_supported() says so. */
uint32_t sl_crc32c_hw(uint32_t crc, const void *p, size_t n);

/* Whether this CPU has SSE4.2's crc32 instruction. */
bool sl_crc32c_hw_supported(void);

/* Makes sl_crc32c use the hardware (true) or the table (false) implementation; returns -1
 * (nothing changed) when asked for the hardware one on a CPU without it. */
int sl_crc32c_use(bool hw);

/* "sse4.2" or "table": the implementation sl_crc32c uses. */
const char *sl_crc32c_impl(void);

#endif
