/* core/store_token.h - bearer tokens for integrations, stored hashed.
 * Included by store.h; same conventions.
 *
 * Row level only: making a token, checking one and the role and scope
 * rules are the domain's (handlers/auth.h). The token itself is never
 * stored, only its SHA-256 in hex. In rows a time that is NULL is 0.
 */
#ifndef GW_STORE_TOKEN_H
#define GW_STORE_TOKEN_H

#include <stdint.h>

struct store;

#define STORE_TOKEN_NAME 64  /* bytes of a token name, NUL included */
#define STORE_TOKEN_PATH 256 /* bytes of its region path, NUL included (longer paths are truncated on read) */
#define STORE_TOKEN_HASH 65  /* 64 lowercase hex digits and the NUL */

struct store_token_row {
    int64_t id;
    char name[STORE_TOKEN_NAME];
    char role[16];                 /* admin|county|supervisor|responder|director|auditor */
    int64_t region_id;             /* 0: everywhere */
    char region[STORE_TOKEN_PATH]; /* on read: the region's path, "" when everywhere */
    char department[24];           /* responders: canonical department code; "" otherwise */
    char hash[STORE_TOKEN_HASH];   /* SHA-256 of the token, hex */
    int64_t created_at;
    int64_t revoked_at;   /* 0: in use */
    int64_t last_used_at; /* 0: never used */
};

/* Adds a token from r's name, role, region_id, department and hash
 * (created_at = now). Returns 0 with *id (may be NULL), 1 when the name or
 * the hash is already taken, -1. */
int store_token_insert(struct store *st, const struct store_token_row *r, int64_t now, int64_t *id);

/* The token whose hash is hash and that is not revoked, with its region's
 * path: 0, 1 when there is none, -1. */
int store_token_by_hash(struct store *st, const char *hash, struct store_token_row *out);

/* Revokes the token named name (revoked_at = now; a token already revoked
 * keeps its first time). 0, 1 when there is no token of that name, -1. */
int store_token_revoke(struct store *st, const char *name, int64_t now);

/* Records a use of token id: last_used_at = now. 0, 1 when there is no such
 * token, -1. */
int store_token_touch(struct store *st, int64_t id, int64_t now);

/* Calls fn for every token, revoked ones included, in name order (rows
 * filled as by store_token_by_hash). fn must not call store functions;
 * non-zero from fn stops and is returned. 0 or -1. */
int store_tokens_each(struct store *st, int (*fn)(void *arg, const struct store_token_row *r), void *arg);

#endif
