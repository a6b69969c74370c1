/* core/store_ussd.h - store functions for the USSD menus: the session row
 * (ussd_session) and what the report path adds to the case it opened.
 * Included by store.h; same conventions.
 *
 * Return convention: 0 success, 1 "not found" (or "nothing changed", where
 * a function says so), -1 database error (store_errmsg tells). Rows are
 * copied into caller-provided structs. Every function expects to run
 * inside a transaction the caller opened.
 */
#ifndef STORE_USSD_H
#define STORE_USSD_H

#include <stddef.h>
#include <stdint.h>

#include "store_domain.h"

struct store;

#define DB_USSD_STATE_MAX  160  /* bytes of the flow's serialised state, NUL included */
#define DB_USSD_TEXT_MAX   4096 /* bytes of a session's `text` (every input so far); longer is refused */
#define DB_USSD_SCREEN_MAX 768  /* bytes of a stored screen, NUL included (182 characters of UTF-8) */

/* One USSD session as stored. */
struct db_ussd_session {
    int64_t id;                           /* 0: not stored yet */
    char phone[DB_PHONE_LEN];             /* E.164 of the user the session belongs to */
    char state[DB_USSD_STATE_MAX];        /* handlers/ussd.c's own serialisation; "" = fresh */
    int has_last;                         /* 0: no step answered yet (last_text is NULL) */
    char last_text[DB_USSD_TEXT_MAX + 1]; /* the provider's `text` of the last step answered */
    char last_screen[DB_USSD_SCREEN_MAX]; /* what that step answered, without "CON "/"END " */
    int last_end;                         /* 1: that answer was END */
    int64_t case_id;                      /* the case the report path opened, 0 = none */
    int64_t created_at;                   /* unix seconds of the first step */
    int64_t updated_at;                   /* unix seconds of the last step answered */
};

/* The session (channel, session_id). 0 with *out filled, 1 when there is
 * none (*out zeroed), -1. A stored value longer than its field is
 * truncated on read (the writer never stores one). */
int db_ussd_get(struct store *st, const char *channel, const char *session_id, struct db_ussd_session *out);

/* Writes the session (channel, session_id): inserts it (created_at = now)
 * or overwrites phone, service_code (may be NULL), state, last_text (NULL
 * when !s->has_last), last_screen, last_end, case_id (0 = NULL) and
 * updated_at = now. s->id is not read. 0, -1. */
int db_ussd_put(struct store *st, const char *channel, const char *session_id, const char *service_code,
                const struct db_ussd_session *s, int64_t now);

/* Names the child of a case opened without one: sets child_id and, when
 * the case has no county yet or already lies in the child's county,
 * county_id and region_id to the child's (a case routed to another county
 * keeps its routing and only gains the child). 0 when the case changed, 1
 * when it already names a child or does not exist (nothing changed), -1. */
int db_case_attach_child(struct store *st, int64_t case_id, const struct db_child *child);

/* Sets the description of a case opened without one (desc borrowed, kept
 * as typed). 0 changed, 1 when it already has one or does not exist, -1. */
int db_case_attach_description(struct store *st, int64_t case_id, const char *desc);

#endif
