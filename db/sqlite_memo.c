/* db/sqlite_memo.c - the writer connection's memo of roster look-ups.
 *
 * Staff, children, guardians and regions change a few times a day and are
 * read by nearly every message. The memo keeps what a look-up returned,
 * keyed by the operation and its key, and is emptied whenever the roster
 * may have changed (sqlite_core.c decides when: a roster row written on
 * this connection, a roster change another connection or process
 * committed, a rollback, or a minute gone by). It holds at most MEMO_MAX
 * answers; the next one empties it. Emptying it costs nothing: it starts a
 * new generation, and an entry of an older one counts as an empty slot.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

#define MEMO_SLOTS 16384 /* a power of two, twice MEMO_MAX */
#define MEMO_MAX   8192

struct memo_entry {
    unsigned char *key; /* op byte + key bytes, owned; NULL for a slot never used */
    size_t klen;
    uint64_t gen; /* the memo's generation when it was put: an older one is an empty slot */
    int rc;
    void *val; /* owned copy of the answer, or NULL */
    size_t vlen;
};

struct memo {
    struct memo_entry slot[MEMO_SLOTS];
    size_t n;     /* entries of this generation */
    uint64_t gen; /* emptying the memo starts a new generation (what an old entry holds is freed when its
                     slot is used again) */
};

struct memo *memo_new(void)
{
    struct memo *m = gw_calloc(1, sizeof(struct memo));
    m->gen = 1;
    return m;
}

void memo_clear(struct memo *m)
{
    if (!m || !m->n) return;
    m->gen++;
    m->n = 0;
}

void memo_free(struct memo *m)
{
    if (!m) return;
    for (size_t i = 0; i < MEMO_SLOTS; i++) {
        free(m->slot[i].key);
        free(m->slot[i].val);
    }
    free(m);
}

/* FNV-1a of op and the key. */
static size_t memo_hash(int op, const void *key, size_t klen)
{
    uint64_t h = 14695981039346656037u ^ (unsigned char)op;
    h *= 1099511628211u;
    for (size_t i = 0; i < klen; i++) {
        h ^= ((const unsigned char *)key)[i];
        h *= 1099511628211u;
    }
    return (size_t)(h & (MEMO_SLOTS - 1));
}

/* The slot holding op+key, or the empty slot where it would go. */
static struct memo_entry *memo_find(struct memo *m, int op, const void *key, size_t klen)
{
    size_t i = memo_hash(op, key, klen);
    for (;; i = (i + 1) & (MEMO_SLOTS - 1)) {
        struct memo_entry *e = &m->slot[i];
        if (e->gen != m->gen ||
            (e->klen == klen + 1 && e->key[0] == (unsigned char)op && !memcmp(e->key + 1, key, klen)))
            return e;
    }
}

int memo_get(struct memo *m, int op, const void *key, size_t klen, int *rc, void *out, size_t outlen)
{
    if (!m) return 0;
    struct memo_entry *e = memo_find(m, op, key, klen);
    if (e->gen != m->gen) return 0;
    *rc = e->rc;
    if (e->vlen) memcpy(out, e->val, e->vlen < outlen ? e->vlen : outlen);
    return 1;
}

void memo_put(struct memo *m, int op, const void *key, size_t klen, int rc, const void *val, size_t vlen)
{
    if (!m || rc < 0) return; /* an error is never remembered */
    if (m->n >= MEMO_MAX) memo_clear(m);
    struct memo_entry *e = memo_find(m, op, key, klen);
    if (e->gen == m->gen) return; /* held already */
    free(e->key);
    free(e->val);
    e->gen = m->gen;
    e->key = gw_malloc(klen + 1);
    e->key[0] = (unsigned char)op;
    memcpy(e->key + 1, key, klen);
    e->klen = klen + 1;
    e->rc = rc;
    e->val = vlen ? gw_malloc(vlen) : NULL;
    if (vlen) memcpy(e->val, val, vlen);
    e->vlen = vlen;
    m->n++;
}
