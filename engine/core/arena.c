/*
 * engine/core/arena.c - the bump allocator (see arena.h).
 */
#include "engine/core/arena.h"

#include <stdlib.h>
#include <string.h>

#define SL_ARENA_CHUNK (16u * 1024u)

struct sl_arena_chunk {
    struct sl_arena_chunk *next;
    size_t pad; /* keeps the payload 16-byte aligned */
};

void *sl_arena_alloc(struct sl_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (!a->chunks || a->size - a->used < size) {
        size_t csize = size > SL_ARENA_CHUNK ? size : SL_ARENA_CHUNK;
        struct sl_arena_chunk *c = malloc(sizeof(*c) + csize);
        if (!c)
            return NULL;
        c->next = a->chunks;
        a->chunks = c;
        a->used = 0;
        a->size = csize;
    }
    char *p = (char *)(a->chunks + 1) + a->used;
    a->used += size;
    memset(p, 0, size);
    return p;
}

char *sl_arena_strndup(struct sl_arena *a, const char *s, size_t len)
{
    char *p = sl_arena_alloc(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void sl_arena_free(struct sl_arena *a)
{
    struct sl_arena_chunk *c = a->chunks;
    while (c) {
        struct sl_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->chunks = NULL;
    a->used = a->size = 0;
}
