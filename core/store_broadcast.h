/* core/store_broadcast.h - broadcasts: one template sent to a group of
 * people (table broadcast, and the outbox rows that carry it, linked by
 * outbox.broadcast_id). Included by store.h; same conventions.
 *
 * Row level only: who may create, approve or cancel one, what an audience
 * means and who is left out is the domain's (handlers/broadcast.h). Every
 * function runs inside the caller's transaction; nothing here reads the
 * clock: callers pass `now`.
 */
#ifndef STORE_BROADCAST_H
#define STORE_BROADCAST_H

#include <stdint.h>

struct store;

#define STORE_BC_VARS     1024 /* bytes of a broadcast's variables as JSON, NUL included */
#define STORE_BC_AUDIENCE 320  /* bytes of an audience, NUL included */
#define STORE_BC_NAME     64   /* bytes of a staff member's name, NUL included */

/* One broadcast as stored. Times and staff ids are 0 when not set;
 * recipients and opted_out are -1 until it is approved. */
struct store_broadcast {
    int64_t id;
    char tmpl[64];                    /* an outbound template's name */
    char vars_json[STORE_BC_VARS];    /* its variables, a JSON object of strings */
    char audience[STORE_BC_AUDIENCE]; /* directors:<path>|away_parents:<path>|guardians:<category>:<path> */
    char status[16];                  /* pending|approved|cancelled */
    int64_t created_by;               /* staff id */
    char created_name[STORE_BC_NAME]; /* that staff member's name */
    int64_t created_at;
    int64_t approved_by;               /* staff id, 0 when not approved */
    char approved_name[STORE_BC_NAME]; /* "" when not approved */
    int64_t approved_at;
    int64_t cancelled_at;
    int64_t recipients; /* outbox rows queued at approval */
    int64_t opted_out;  /* audience members left out: opted out */
};

/* Adds a pending broadcast created by staff id created_by at now: 0 with
 * *id, -1. */
int store_broadcast_insert(struct store *st, const char *tmpl, const char *vars_json, const char *audience,
                           int64_t created_by, int64_t now, int64_t *id);

/* Broadcast id into *out: 0, 1 when there is none, -1. */
int store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out);

/* Calls fn for every broadcast, newest first; fn must not call store
 * functions; it returns non-zero to stop (the iterator returns that). */
int store_broadcasts_each(struct store *st, int (*fn)(void *arg, const struct store_broadcast *b), void *arg);

/* Marks a pending broadcast approved by staff id approved_by at now with
 * its counts: 0, 1 when it was not pending, -1. */
int store_broadcast_approve(struct store *st, int64_t id, int64_t approved_by, int64_t recipients, int64_t opted_out,
                            int64_t now);

/* Marks a pending or approved broadcast cancelled at now, and fails its
 * outbox rows still queued (last_error "broadcast cancelled"); rows on the
 * wire or sent are left alone. 0 with *unsent (may be NULL) the rows
 * failed, 1 when it was cancelled already, -1. */
int store_broadcast_cancel(struct store *st, int64_t id, int64_t now, int64_t *unsent);

/* Who an audience names. */
enum store_audience {
    STORE_AUD_DIRECTORS = 0, /* directors registered at or under the region */
    STORE_AUD_AWAY = 1,      /* guardians marked away of children whose village is at or under it */
    STORE_AUD_GUARDIANS = 2, /* guardians of children with the category, village at or under it */
};

/* Calls fn with the phone (E.164) of every member of the audience under
 * the region whose path is `under` (category: for STORE_AUD_GUARDIANS, a
 * category code; ignored otherwise), each phone once, in phone order. fn
 * must not call store functions; it returns non-zero to stop. */
int store_audience_each(struct store *st, enum store_audience who, const char *category, const char *under,
                        int (*fn)(void *arg, const char *phone), void *arg);

/* One outbox row of a broadcast. */
struct store_broadcast_msg {
    int64_t broadcast_id;
    const char *recipient;  /* E.164 */
    const char *tmpl;       /* template name */
    const char *vars_json;  /* JSON object */
    const char *body;       /* rendered text */
    const char *kind;       /* "broadcast" */
    int priority;           /* the lowest: after every other kind */
    const char *dedupe_key; /* "broadcast:<id>:<phone>" */
};

/* Queues it (channel chosen by route at send time): 0 with *id, 1 when its
 * dedupe key exists already (*id = that row), -1. */
int store_broadcast_queue(struct store *st, const struct store_broadcast_msg *m, int64_t now, int64_t *id);

/* A broadcast's outbox rows by state. */
struct store_broadcast_progress {
    int64_t queued;     /* waiting, or on the wire (sending) */
    int64_t sent;       /* accepted by the provider, no receipt yet */
    int64_t delivered;  /* a delivery receipt came */
    int64_t failed;     /* failed, or cancelled before it went */
    int64_t suppressed; /* the recipient opted out after approval */
};

/* Counts broadcast id's outbox rows: 0, -1. */
int store_broadcast_progress(struct store *st, int64_t id, struct store_broadcast_progress *out);

#endif
