/*
 * engine/core/batch.c - batches, schemas and pools (see batch.h for the layout).
 */
#include "engine/core/batch.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- schema -------------------------------------------------------------------------------- */

struct sl_schema *sl_schema_new(uint32_t ncols, const char *const *names,
                                const struct sl_type *types)
{
    struct sl_schema *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->fields = calloc(ncols ? ncols : 1, sizeof(*s->fields));
    if (!s->fields)
        goto out_free;
    s->ncols = ncols;
    for (uint32_t i = 0; i < ncols; i++) {
        s->fields[i].name = strdup(names[i]);
        if (!s->fields[i].name)
            goto out_free;
        s->fields[i].type = types[i];
    }
    return s;
out_free:
    sl_schema_free(s);
    return NULL;
}

void sl_schema_free(struct sl_schema *schema)
{
    if (!schema)
        return;
    if (schema->fields)
        for (uint32_t i = 0; i < schema->ncols; i++)
            free(schema->fields[i].name);
    free(schema->fields);
    free(schema);
}

int sl_schema_find(const struct sl_schema *schema, const char *name)
{
    for (uint32_t i = 0; i < schema->ncols; i++)
        if (strcasecmp(schema->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- pools --------------------------------------------------------------------------------- */

#define SL_STRCHUNK_MIN (64u * 1024u)

struct sl_batch_pool {
    struct sl_heap *heap;
    const struct sl_schema *schema;
    struct sl_batch *free_list;
    uint32_t nfree;
    uint32_t keep;
    uint32_t outstanding;
    size_t batch_bytes;
};

static size_t sl_batch_bytes(const struct sl_schema *schema)
{
    size_t bytes = sl_mem_round(sizeof(struct sl_batch));
    bytes += sl_mem_round(schema->ncols * sizeof(struct sl_column));
    for (uint32_t i = 0; i < schema->ncols; i++) {
        bytes += sl_mem_round(SL_BATCH_CAP * sl_type_width((sl_type_id)schema->fields[i].type.id));
        if (schema->fields[i].type.nullable)
            bytes += sl_mem_round(SL_VALID_WORDS(SL_BATCH_CAP) * sizeof(uint64_t));
    }
    bytes += 2 * sl_mem_round(SL_BATCH_CAP * sizeof(sl_sel_t));
    bytes += sl_mem_round(SL_BATCH_CAP); /* row kinds */
    return bytes;
}

struct sl_batch_pool *sl_batch_pool_new(struct sl_heap *heap, const struct sl_schema *schema,
                                        uint32_t keep)
{
    struct sl_batch_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->heap = heap;
    pool->schema = schema;
    pool->keep = keep;
    pool->batch_bytes = sl_batch_bytes(schema);
    return pool;
}

static void sl_batch_destroy(struct sl_batch *b)
{
    struct sl_strchunk *c = b->strheap;
    while (c) {
        struct sl_strchunk *next = c->next;
        sl_mem_free(c);
        c = next;
    }
    sl_mem_free(b);
}

void sl_batch_pool_free(struct sl_batch_pool *pool)
{
    if (!pool)
        return;
    struct sl_batch *b = pool->free_list;
    while (b) {
        struct sl_batch *next = b->next_free;
        sl_batch_destroy(b);
        b = next;
    }
    free(pool);
}

static struct sl_batch *sl_batch_create(struct sl_batch_pool *pool)
{
    const struct sl_schema *schema = pool->schema;
    char *mem = sl_mem_zalloc(pool->heap, pool->batch_bytes);
    if (!mem)
        return NULL;
    struct sl_batch *b = (struct sl_batch *)mem;
    mem += sl_mem_round(sizeof(*b));
    b->cols = (struct sl_column *)mem;
    mem += sl_mem_round(schema->ncols * sizeof(struct sl_column));
    b->ncols = schema->ncols;
    b->schema = schema;
    b->pool = pool;
    for (uint32_t i = 0; i < schema->ncols; i++) {
        struct sl_column *c = &b->cols[i];
        c->type = schema->fields[i].type;
        c->data = mem;
        mem += sl_mem_round(SL_BATCH_CAP * sl_type_width((sl_type_id)c->type.id));
        if (c->type.nullable) {
            c->valid = (uint64_t *)mem;
            mem += sl_mem_round(SL_VALID_WORDS(SL_BATCH_CAP) * sizeof(uint64_t));
        }
    }
    for (int k = 0; k < 2; k++) {
        b->sel_buf[k] = (sl_sel_t *)mem;
        mem += sl_mem_round(SL_BATCH_CAP * sizeof(sl_sel_t));
    }
    b->kind_buf = (uint8_t *)mem;
    return b;
}

void sl_batch_reset(struct sl_batch *b)
{
    b->rows = 0;
    b->nsel = 0;
    b->sel = NULL;
    b->kind = NULL;
    for (uint32_t i = 0; i < b->ncols; i++)
        if (b->cols[i].valid)
            memset(b->cols[i].valid, 0xff, SL_VALID_WORDS(SL_BATCH_CAP) * sizeof(uint64_t));
    /* keep the first string chunk, free the rest */
    struct sl_strchunk *c = b->strheap;
    if (c) {
        struct sl_strchunk *rest = c->next;
        c->next = NULL;
        c->used = 0;
        while (rest) {
            struct sl_strchunk *next = rest->next;
            sl_mem_free(rest);
            rest = next;
        }
    }
}

struct sl_batch *sl_batch_pool_get(struct sl_batch_pool *pool)
{
    struct sl_batch *b = pool->free_list;
    if (b) {
        pool->free_list = b->next_free;
        pool->nfree--;
    } else {
        b = sl_batch_create(pool);
        if (!b)
            return NULL;
    }
    b->next_free = NULL;
    sl_batch_reset(b);
    pool->outstanding++;
    return b;
}

void sl_batch_pool_put(struct sl_batch *b)
{
    if (!b)
        return;
    struct sl_batch_pool *pool = b->pool;
    pool->outstanding--;
    if (pool->nfree >= pool->keep) {
        sl_batch_destroy(b);
        return;
    }
    b->next_free = pool->free_list;
    pool->free_list = b;
    pool->nfree++;
}

uint32_t sl_batch_pool_outstanding(const struct sl_batch_pool *pool)
{
    return pool->outstanding;
}

/* ---- strings ------------------------------------------------------------------------------- */

sl_str sl_batch_str(struct sl_batch *b, const char *data, uint32_t len)
{
    if (len <= SL_STR_INLINE_MAX)
        return sl_str_make(data, len);
    struct sl_strchunk *c = b->strheap;
    if (!c || c->size - c->used < len) {
        size_t size = len > SL_STRCHUNK_MIN ? len : SL_STRCHUNK_MIN;
        if (c && c->size * 2 > size && len <= c->size)
            size = c->size * 2;
        struct sl_strchunk *n = sl_mem_alloc(b->pool ? b->pool->heap : NULL, sizeof(*n) + size);
        if (!n) {
            sl_str bad;
            memset(&bad, 0, sizeof(bad));
            bad.len = UINT32_MAX;
            return bad;
        }
        n->size = size;
        n->used = 0;
        n->next = c;
        b->strheap = n;
        c = n;
    }
    char *dst = (char *)(c + 1) + c->used;
    memcpy(dst, data, len);
    c->used += len;
    return sl_str_make(dst, len);
}
