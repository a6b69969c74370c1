/* handlers/session.h - staff sign in without passwords: a staff member
 * asks for a code for the phone the roster registered, the code comes by
 * SMS (template "login_code", queued at alert priority), and the code
 * opens a session known by a cookie, with a CSRF token for every request
 * that changes something.
 *
 * A code is 6 digits from libcrypto's generator, kept as
 * "<salt hex>$<SHA-256 hex of salt and code>" with 16 random bytes of salt
 * per row; it lasts SESSION_CODE_TTL seconds and takes SESSION_CODE_TRIES
 * wrong tries before it is dead. Every request counts towards the limits,
 * whether the phone is a staff member's or not (a row without a code), so
 * neither the answer nor the limits tell who is registered. A session's
 * cookie and CSRF token are 32 random bytes in hex; the store keeps
 * their SHA-256 only. Its expiry rules are handlers/auth.h's
 * (AUTH_SESSION_IDLE, AUTH_SESSION_MAX_AGE).
 *
 * The functions take a store and run on the thread that owns it, inside
 * the caller's transaction.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "../core/store.h"
#include "auth.h"
#include "handler.h"

#define SESSION_CODE_TTL    300       /* seconds a code is good for */
#define SESSION_CODE_TRIES  5         /* wrong tries a code takes */
#define SESSION_RATE_WINDOW (15 * 60) /* seconds the limits below count over */
#define SESSION_RATE_PHONE  3         /* requests for one phone per window */
#define SESSION_RATE_CLIENT 10        /* requests from one client address per window */
#define SESSION_COOKIE      "gw_session"
#define SESSION_SECRET_LEN  65 /* a cookie or CSRF token: 64 hex digits and the NUL */

/* A request for a code for phone (E.164, "" when it could not be read)
 * from client at now. Returns 0 accepted: when phone is a staff member's,
 * *send = 1 and sms holds the SMS to queue (template "login_code" with
 * variable code, kind H_ALERT), else *send = 0; 1 over a limit (nothing
 * stored, *retry_after the seconds until a request counts again); -1 on a
 * store or random-generator error. */
int session_login(struct store *st, const char *phone, const char *client, int64_t now, struct h_reply *sms, int *send,
                  int64_t *retry_after);

/* A new session, once a code was right. */
struct session_new {
    char cookie[SESSION_SECRET_LEN]; /* the gw_session cookie's value (shown once) */
    char csrf[SESSION_SECRET_LEN];   /* the CSRF token (shown once) */
    int64_t max_age;                 /* seconds until its absolute expiry */
    struct auth_principal who;       /* the staff member signed in */
};

/* Checks code against phone's latest code at now and, when right, opens a
 * session for the staff member from client into *out. Returns 0 signed in
 * (the code used up); 1 a wrong code (the try counted); 2 no live code
 * (none sent, expired, used, or out of tries); -1 on a store or
 * random-generator error. */
int session_verify(struct store *st, const char *phone, const char *code, const char *client, int64_t now,
                   struct session_new *out);

/* Ends the session whose cookie hash is hash at now. 0, 1 when there is
 * none in use, -1. */
int session_end(struct store *st, const char *hash, int64_t now);

/* Forgets what sign-in no longer needs: codes a day after they were asked
 * for (long past their 5 minutes and the rate window) and sessions a day
 * after they ended or expired (sign-ins and sign-outs stay in the audit
 * trail). The timed jobs call it. Returns the rows deleted, or -1. */
#define SESSION_KEEP (24 * 3600)
int session_purge(struct store *st, int64_t now);

/* The SHA-256 hex of a cookie or CSRF token (what the store keeps). 0 or -1. */
int session_secret_hash(const char *secret, char hash[GW_SHA256_HEX]);

/* 1 when the hex strings a and b are equal, compared in time that does
 * not depend on where they differ; 0 otherwise (also for NULL). */
int session_hash_equal(const char *a, const char *b);

#endif
