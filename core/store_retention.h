/* core/store_retention.h - retention: what the purge removes from rows
 * older than the configured periods. Included by store.h; same
 * conventions.
 *
 * Two kinds of personal data age out: the reporter's contact of a closed
 * case (the case's reporter link, the reporter row once no case uses it,
 * the phone on the case's inbound message and on the SMS sent to the
 * reporter about it), and message texts (inbound text and sender, the
 * parts it was assembled from, outbound body, variables and recipient).
 * Rows stay: only their texts are emptied and their phones masked, so
 * every count over them stays. An outbound row still queued or being sent
 * is never touched. Every operation runs inside the caller's transaction.
 */
#ifndef GW_STORE_RETENTION_H
#define GW_STORE_RETENTION_H

#include <stdint.h>

struct store;

/* What a purge removes, or would: counts per kind and the oldest time. */
struct store_purge_counts {
    long cases;            /* closed cases whose reporter's contact goes */
    int64_t oldest_case;   /* the earliest closed_at among them, 0 when none */
    long inbox;            /* inbound messages anonymised */
    int64_t oldest_inbox;  /* the earliest received_at among them, 0 when none */
    long outbox;           /* outbound messages anonymised */
    int64_t oldest_outbox; /* the earliest created_at among them, 0 when none */
    long reporters;        /* reporter rows deleted (filled by store_retention_purge only) */
};

/* Counts what store_retention_purge would remove: closed cases closed
 * before reporter_before (0: none) whose reporter is not yet purged, and
 * messages stored before message_before (0: none) not yet purged.
 * Returns 0 or -1. */
int store_retention_count(struct store *st, int64_t reporter_before, int64_t message_before,
                          struct store_purge_counts *out);

/* Removes it, marking each row purged at now; out gets the counts.
 * Returns 0 or -1 (the caller rolls back). */
int store_retention_purge(struct store *st, int64_t reporter_before, int64_t message_before, int64_t now,
                          struct store_purge_counts *out);

/* After a purge has committed (outside a transaction): clears the older
 * copies of what it removed that the store's own files still hold. SQLite
 * zeroes what a transaction overwrites or frees (secure delete), but its
 * WAL keeps the pages as they were until that part of the file is written
 * again; they are copied into the database file and the WAL is cut to
 * nothing. PostgreSQL keeps no such file of its own here: 0. Returns 0, 1
 * when a transaction of another connection (a running gateway's) kept it
 * from finishing within the busy timeout, -1 on error. */
int store_retention_scrub(struct store *st);

#endif
