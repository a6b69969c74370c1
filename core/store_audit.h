/* core/store_audit.h - the audit trail: one row per read of personal data
 * and per write through the API, chained by hash. Included by store.h;
 * same conventions.
 *
 * Row level only: the chain rule (what prev and hash hold, how the hash is
 * computed and checked) is the domain's (handlers/audit.h); these
 * operations store and read the values they are given. Appends run inside
 * the caller's transaction. The iterator calls fn once per row, valid only
 * during the call; fn must not call store functions; it returns 0 to go
 * on, non-zero to stop (the iterator then returns that value). Returns 0,
 * or -1 on a database error (store_errmsg tells).
 */
#ifndef GW_STORE_AUDIT_H
#define GW_STORE_AUDIT_H

#include <stdint.h>

struct store;

struct store_audit_row {
    int64_t id;          /* the row's id: on append, the newest id + 1 (the chain hashes it) */
    int64_t at;          /* unix seconds */
    const char *actor;   /* "token:<name>", "staff:<id>", "cli" */
    const char *role;    /* the actor's role then */
    const char *client;  /* client address, or "cli" */
    const char *action;  /* "export children", "read child", ... */
    const char *records; /* record ids, "" when none */
    const char *purpose; /* "" when none */
    const char *prev;    /* 64 hex digits: the hash of the row before */
    const char *hash;    /* 64 hex digits: this row's */
};

/* Appends r as the newest row with id r->id (every text field non-NULL),
 * storing prev and hash as given. 0, or -1 (an id already there included). */
int store_audit_append(struct store *st, const struct store_audit_row *r);

/* The newest row's hash and id: 0 with hash (65 bytes: 64 hex digits and a NUL) and
 * *id; 1 when the trail is empty (hash "", *id 0); -1 on a database error. */
int store_audit_last(struct store *st, char *hash, int64_t *id);

/* Every row with id >= from_id, by id. */
int store_audit_each(struct store *st, int64_t from_id, int (*fn)(void *arg, const struct store_audit_row *r),
                     void *arg);

#endif
