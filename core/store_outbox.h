/* core/store_outbox.h - the outbound queue's life: rows due for sending,
 * claims, attempts, results and delivery receipts. Included by store.h.
 *
 * A row's status moves queued -> sending -> sent -> delivered | failed, or
 * queued -> suppressed (a reminder to an opted-out number). "sending" means
 * a request may be on the wire: store_outbox_recover puts such rows of a
 * process that died back in the queue, so a send whose answer was lost is
 * sent again.
 * A final state (delivered, failed, suppressed) is never changed.
 */
#ifndef STORE_OUTBOX_H
#define STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* One row to send. Strings owned; free with store_sends_free. */
struct store_send {
    int64_t id;
    char *channel;   /* channel the row asks for, or NULL (route by number) */
    char *recipient; /* E.164 */
    char *tmpl;      /* template name */
    char *vars_json; /* JSON object */
    char *body;      /* rendered text */
    char *kind;      /* reply|alert|notice|reminder|broadcast */
    int priority;    /* 0 most urgent */
    int attempts;    /* attempts made so far */
    int64_t created_at;
};

/* Puts rows left "sending" by a process that died back in the queue.
 * *n (may be NULL) gets how many. On SQLite (one process per file) that is
 * every such row, and it is called once, at start-up. On PostgreSQL it is
 * the rows whose claiming connection is gone, whichever process claimed
 * them; it may be called at any time (the sender calls it every few
 * seconds), and does nothing for 30 seconds after its own
 * connection was re-established (a failover, when the others are still
 * reconnecting). */
int store_outbox_recover(struct store *st, int64_t *n);

/* Rows queued and due at now, most urgent first (priority, then age), at
 * most limit, skipping ids in skip[0..nskip) (rows already in flight).
 * Fills *rows (owned array, *n entries). */
int store_outbox_due(struct store *st, int64_t now, int limit, const int64_t *skip, size_t nskip,
                     struct store_send **rows, size_t *n);
void store_sends_free(struct store_send *rows, size_t n);
/* Frees the strings of one row (the array stays the caller's). */
void store_send_clear(struct store_send *r);

/* As store_outbox_due without skip, leaving out the rows whose channel is
 * one of busy[0..nbusy) (channels that can take no more sends now), and
 * the broadcast rows (kind "broadcast") whose channel is one of
 * bulk[0..nbulk) (channels that can take no broadcast row now), so they
 * cannot fill the head of the batch; rows without a channel are always
 * read. */
int store_outbox_due_open(struct store *st, int64_t now, int limit, const char *const *busy, size_t nbusy,
                          const char *const *bulk, size_t nbulk, struct store_send **rows, size_t *n);

/* Records channel as the channel a queued row goes out on (what its claim
 * would record), so that store_outbox_due_open leaves it out while that
 * channel is busy. Only a queued row changes. 0 or -1. */
int store_outbox_assign(struct store *st, int64_t id, const char *channel);

/* Earliest next_attempt_at of a queued row; 1 when there is none. */
int store_outbox_next_due(struct store *st, int64_t *at);

/* Marks a row in flight on channel: status sending, attempts + 1. Returns
 * 0, or 1 when the row is no longer queued. */
int store_outbox_claim(struct store *st, int64_t id, const char *channel, int64_t now);

/* Records the end of an attempt. status: "sent" (with provider_msg_id),
 * "queued" (retry at next_attempt_at), "failed" or "suppressed". A receipt
 * that already made the row final is kept. A receipt held back for this
 * provider_msg_id is applied. */
int store_outbox_finish(struct store *st, int64_t id, const char *status, const char *provider_msg_id,
                        const char *error, int64_t next_attempt_at, int64_t now);

/* Appends the attempt log: result "ok"|"retry"|"failed", http 0 = no answer. */
int store_send_attempt(struct store *st, int64_t outbox_id, int attempt, const char *channel, long http,
                       const char *result, const char *provider_msg_id, const char *error, int64_t now);

/* Applies a delivery receipt from channel's status hook, only to a row
 * that was handed to that same channel: the row with (channel,
 * provider_msg_id), else, when the receipt carries our reference ref > 0,
 * row ref if its channel is channel and, when both are known, its provider
 * id is the receipt's. A row still queued (or suppressed) is never
 * touched, whatever the receipt names. status is queued|sent|delivered|
 * failed. Returns
 *   0  applied (or nothing to change: the row is already final);
 *   1  held in receipt_pending: no row carries that provider id yet, no
 *      reference was given, and a send on this channel is in flight; it
 *      is applied when a send's answer on this channel brings that id
 *      (store_outbox_finish), dropped by store_receipts_expire otherwise;
 *   2  ignored, nothing stored: the receipt names no row handed to this
 *      channel (a queued row, another channel's row, a reference whose
 *      row went out with another provider id, an id and a reference that
 *      disagree, or an unknown id while nothing is in flight); the caller
 *      logs it as a warning;
 *  -1  on error.
 * *recipient (size 32, may be NULL) gets the row's number only when 0. */
int store_outbox_receipt(struct store *st, const char *channel, const char *provider_msg_id, int64_t ref,
                         const char *status, const char *raw_status, const char *error, int64_t now, char *recipient);

/* Drops held-back receipts received before `before` (they matched no send). */
int store_receipts_expire(struct store *st, int64_t before);

#endif
