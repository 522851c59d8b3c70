/*
 * engine/core/arena.h - a bump allocator for objects that live and die together (a parsed SQL
 * file, a plan). Allocation is a pointer bump in the current chunk; nothing is freed on its
 * own; sl_arena_free releases every chunk at once.
 */
#ifndef SL_ENGINE_ARENA_H
#define SL_ENGINE_ARENA_H

#include <stddef.h>

struct sl_arena_chunk;

struct sl_arena {
    struct sl_arena_chunk *chunks;
    size_t used; /* bytes used in the newest chunk */
    size_t size; /* usable bytes of the newest chunk */
};

#define SL_ARENA_INIT \
    {                 \
        NULL, 0, 0    \
    }

/* `size` bytes aligned to 16, zero-filled; NULL when out of memory. Owned by the arena. */
void *sl_arena_alloc(struct sl_arena *a, size_t size);

/* A NUL-terminated copy of `len` bytes of `s`, owned by the arena; NULL when out of memory. */
char *sl_arena_strndup(struct sl_arena *a, const char *s, size_t len);

/* Frees every chunk; the arena is empty and reusable afterwards. */
void sl_arena_free(struct sl_arena *a);

#endif
