/* core/store_media.h - recordings announced by the voice line: their queue
 * of fetches and what each fetch left on disk. Included by store.h.
 *
 * A row's status moves queued -> fetching -> fetched, or -> queued again
 * (a retry at next_attempt_at) or -> failed. "fetching" means a request may
 * be on the wire: store_media_recover puts such rows of a process that
 * stopped back in the queue. The URL is never removed or changed, whatever happens: a
 * failed row can be fetched again by an operator with
 *
 *   UPDATE media SET status = 'queued', attempts = 0, next_attempt_at = 0,
 *          last_error = NULL WHERE id = <id>;
 *
 * (the fetcher picks it up within a second; the attempt and age limits
 * count afresh from attempts = 0, the age from created_at).
 */
#ifndef STORE_MEDIA_H
#define STORE_MEDIA_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Queues a recording of case_id (0 = none) made during call row
 * call_row_id (0 = none). duration: seconds the provider reported, -1
 * when not given. Returns 0 with *id (may be NULL), 1 when (channel, url)
 * is already queued (*id = that row), -1 on error. */
int store_media_add(struct store *st, const char *channel, int64_t case_id, int64_t call_row_id, const char *url,
                    long duration, int64_t now, int64_t *id);

/* Puts rows left "fetching" by a process that stopped back in the queue,
 * due at once. *n (may be NULL) gets how many. Which rows, and when it may
 * be called, as store_outbox_recover. */
int store_media_recover(struct store *st, int64_t *n);

/* One recording to fetch. Strings owned; free with store_media_rows_free. */
struct store_media {
    int64_t id;
    char *channel;     /* channel whose provider announced it */
    char *url;         /* as the provider gave it */
    int64_t case_id;   /* 0 = none */
    char *case_number; /* the case's number, or NULL (no case) */
    int attempts;      /* attempts made so far */
    int64_t created_at;
};

/* Rows queued and due at now, oldest first, at most limit. Fills *rows
 * (owned array, *n entries; NULL and 0 when none). */
int store_media_due(struct store *st, int64_t now, int limit, struct store_media **rows, size_t *n);
void store_media_rows_free(struct store_media *rows, size_t n);

/* Marks a row in flight: status fetching, attempts + 1. Returns 0, or 1
 * when the row is no longer queued. */
int store_media_claim(struct store *st, int64_t id, int64_t now);

/* Records a fetch that left the file path (bytes long, SHA-256 sha256 in
 * lower-case hex, content_type may be NULL): status fetched, last_error
 * cleared. Only a row still "fetching" changes; returns 0, or 1 when the
 * row was not fetching. */
int store_media_fetched(struct store *st, int64_t id, const char *path, const char *sha256, int64_t bytes,
                        const char *content_type, int64_t now);

/* Records a failed attempt of a "fetching" row: back in the queue at
 * next_attempt_at when retry is 1, else status failed. error is kept in
 * last_error. */
int store_media_failed(struct store *st, int64_t id, int retry, const char *error, int64_t next_attempt_at,
                       int64_t now);

/* Puts a "fetching" row whose request was abandoned unfinished (the
 * fetcher stopping) back in the queue, due at once, without counting the
 * attempt. */
int store_media_release(struct store *st, int64_t id, int64_t now);

/* Who was alerted about a case: one entry per distinct recipient of its
 * case_alert rows (first and repeated alerts), with the latest time such
 * an alert to that number is still held back (0 when none is). */
struct store_media_recipient {
    char phone[32];     /* E.164 */
    int64_t not_before; /* 0, or the hold of an alert to this number not yet sent */
};
/* Fills out (at most max) and returns how many there are in all, or -1. */
int store_media_case_recipients(struct store *st, int64_t case_id, struct store_media_recipient *out, int max);

#endif
