/* core/store_voice.h - call records of the voice line: one row per call
 * (channel, provider call id) with the caller, the path taken through the
 * menu, the flow's own state, the last answer given (so a retried request
 * gets it again without doing anything twice) and, from the provider's
 * final callback, the call's duration and final status. Included by
 * store.h; same conventions. The recordings a call leaves are queued with
 * store_media_add (store_media.h).
 *
 * Every function expects to run inside a transaction the caller opened,
 * on the store writer's connection.
 */
#ifndef STORE_VOICE_H
#define STORE_VOICE_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define DB_CALL_PATH_MAX  512 /* bytes of call.path, NUL included; the flow stops appending before it */
#define DB_CALL_STATE_MAX 256 /* bytes of call.state, NUL included */
#define DB_CALL_KEY_MAX   160 /* bytes of call.last_key, NUL included */
#define DB_CALL_STEP_MAX  64  /* bytes of a step name, NUL included */

/* One call as the flow reads and writes it. */
struct db_call {
    int64_t id;                       /* row id, > 0 once stored */
    char path[DB_CALL_PATH_MAX];      /* steps taken, '>'-separated ("" at first) */
    char state[DB_CALL_STATE_MAX];    /* the flow's own state (handlers/voice.c) */
    char last_step[DB_CALL_STEP_MAX]; /* step of the last request answered, "" when none */
    char last_key[DB_CALL_KEY_MAX];   /* that request's key (step, keys, recording), "" when none */
    char *last_doc;                   /* owned: what it was answered, serialised; NULL when none */
    int64_t case_id;                  /* the case the call opened, 0 = none */
    int64_t ended_at;                 /* 0 until the provider's final callback */
};

/* The call (channel, call_id). Returns 0 with *out filled (free with
 * db_call_clear), 1 when there is none (*out zeroed), -1 on error. */
int db_call_get(struct store *st, const char *channel, const char *call_id, struct db_call *out);

/* Stores a new call from caller (E.164, "" when hidden) to callee (may be
 * NULL) started at now. Returns 0 with *id, -1 on error (also when the
 * call is already stored). */
int db_call_start(struct store *st, const char *channel, const char *call_id, const char *caller, const char *callee,
                  int64_t now, int64_t *id);

/* Writes c's path, state, last_step, last_key, last_doc and case_id to row
 * c->id. Returns 0, 1 when there is no such row, -1 on error. Borrows c. */
int db_call_save(struct store *st, const struct db_call *c, int64_t now);

/* Records the provider's final word on call row id: ended_at = now,
 * final_status = status, duration = seconds when >= 0 (else left as it
 * was). Idempotent. Returns 0, 1 when there is no such row, -1 on error. */
int db_call_end(struct store *st, int64_t id, const char *status, long duration, int64_t now);

/* Frees what *c owns and zeroes it; NULL is a no-op. */
void db_call_clear(struct db_call *c);

#endif
