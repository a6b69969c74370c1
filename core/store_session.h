/* core/store_session.h - staff sign-in: one-time login codes (table
 * login_code) and the sessions they open (table session). Included by
 * store.h; same conventions.
 *
 * Row level only: making and checking codes, the limits and the expiry
 * rules are the domain's (handlers/session.h). Neither a code nor a
 * session cookie is stored, only hashes. In rows a time that is NULL is 0.
 */
#ifndef GW_STORE_SESSION_H
#define GW_STORE_SESSION_H

#include <stdint.h>

struct store;

#define STORE_LOGIN_HASH   112 /* bytes of a login code's stored hash ("<salt hex>$<sha256 hex>"), NUL included */
#define STORE_SESSION_HASH 65  /* 64 lowercase hex digits and the NUL */
#define STORE_SESSION_PATH 256 /* bytes of a region path, NUL included (longer paths are truncated on read) */

struct store_login_code_row {
    int64_t id;
    char phone[24];              /* E.164 */
    char hash[STORE_LOGIN_HASH]; /* "" when no code was sent (not a staff member's phone) */
    char client[64];             /* client address of the request */
    int64_t created_at;
    int64_t expires_at;
    int tries;       /* wrong codes tried against it */
    int64_t used_at; /* 0: not used */
};

/* Adds a login request from r's phone, hash, client, created_at and
 * expires_at (tries 0, not used). 0 with *id (may be NULL), or -1. */
int store_login_code_insert(struct store *st, const struct store_login_code_row *r, int64_t *id);

/* How many login requests there were since `since` (created_at >= since),
 * and the time of the oldest of them (0 when none): for phone, and from
 * client. */
struct store_login_counts {
    int phone;
    int64_t phone_oldest;
    int client;
    int64_t client_oldest;
};
int store_login_code_counts(struct store *st, const char *phone, const char *client, int64_t since,
                            struct store_login_counts *out);

/* The latest login request for phone that carried a code (hash not ''),
 * whatever its state: 0, 1 when there is none, -1. */
int store_login_code_last(struct store *st, const char *phone, struct store_login_code_row *out);

/* Counts a wrong code tried against code id (tries + 1). 0, 1 no such row, -1. */
int store_login_code_try(struct store *st, int64_t id);

/* Marks code id used at now (a code used already keeps its first time).
 * 0, 1 no such row, -1. */
int store_login_code_use(struct store *st, int64_t id, int64_t now);

struct store_session_row {
    int64_t id;
    char hash[STORE_SESSION_HASH]; /* SHA-256 of the cookie, hex */
    int64_t staff_id;
    char csrf_hash[STORE_SESSION_HASH]; /* SHA-256 of the CSRF token, hex */
    char client[64];                    /* client address at sign-in */
    int64_t created_at;
    int64_t last_seen_at;
    int64_t expires_at; /* absolute expiry */
    int64_t ended_at;   /* 0: not ended */
    /* On read, the staff member as the roster has them now: */
    char role[16];                   /* director|supervisor|responder|admin|county|auditor */
    char department[24];             /* responders: canonical department code; "" otherwise */
    int64_t region_id;               /* their region */
    int region_level;                /* 1 county, 2 town, 3 village */
    char region[STORE_SESSION_PATH]; /* its path */
    char name[64];                   /* their name */
};

/* Adds a session from r's hash, staff_id, csrf_hash, client, created_at,
 * last_seen_at and expires_at. 0 with *id (may be NULL), 1 when the hash
 * is taken, -1. */
int store_session_insert(struct store *st, const struct store_session_row *r, int64_t *id);

/* The session whose hash is hash and that is not ended, with its staff
 * member (expiry is the caller's to judge): 0, 1 when there is none (or
 * its staff member is gone from the roster), -1. */
int store_session_by_hash(struct store *st, const char *hash, struct store_session_row *out);

/* Records a request of session id: last_seen_at = now. 0, 1 no such row, -1. */
int store_session_touch(struct store *st, int64_t id, int64_t now);

/* Ends the session whose hash is hash (ended_at = now; an ended one keeps
 * its first time). 0, 1 when there is none, -1. */
int store_session_end(struct store *st, const char *hash, int64_t now);

/* Deletes the sign-in codes created before codes_before and the sessions
 * that ended or expired before sessions_before. Returns the rows deleted,
 * or -1. */
int store_sign_in_purge(struct store *st, int64_t codes_before, int64_t sessions_before);

#endif
