/* core/store.h - the store port: every read and write the gateway makes.
 *
 * All SQL lives below db/. Callers see `struct store`, the head of a
 * backend's handle (store_ops.h), and domain-level functions; each calls the
 * operation of the same name in the handle's backend table, so the backend
 * is chosen once, by the constructor that opened the handle (each backend
 * declares its own below db/, with what only that backend has).
 * Values travel only through bind calls. One store handle belongs to one
 * thread (the store writer, or a CLI command); other threads open their own
 * read handles.
 *
 * Return convention unless stated: 0 success, 1 "not found" or "duplicate"
 * where the function says so, -1 database error (store_errmsg tells).
 * Functions that return rows copy them into caller-provided structs; no
 * pointer into SQLite memory escapes.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "message.h"

struct store;

/* Closes the handle and frees what it holds; NULL is a no-op. */
void store_close(struct store *st);
/* The last error of the handle's backend, "no database" for NULL. */
const char *store_errmsg(struct store *st);

/* Brings the schema to the newest version, each step in its own
 * transaction. from and to (may be NULL) get the versions before and after. */
int store_migrate(struct store *st, int *from, int *to, char *err, size_t errlen);
int store_schema_version(struct store *st); /* -1 on error, 0 when empty */

/* Transactions. store_begin takes the write lock at once (BEGIN IMMEDIATE).
 * One savepoint (not nested) may be open inside a transaction: it undoes a
 * single message's effects without losing the rest of the batch.
 * store_rollback_to undoes everything since store_savepoint and ends it. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);
int store_savepoint(struct store *st);
int store_release(struct store *st);
int store_rollback_to(struct store *st);

/* Whether the process that owns st runs the timed jobs: 1 yes, 0 another
 * process sharing the store does, -1 on error. Called outside a
 * transaction before each run. Only one process opens a SQLite file: 1.
 * On PostgreSQL the first process to ask leads until it stops or dies
 * (a session advisory lock); the others take over at their next run. */
int store_lead(struct store *st);

/* The health check's write, inside the caller's transaction: one row
 * rewritten, so that its commit proves the store can take a write now. */
int store_health_write(struct store *st, int64_t now);
/* For start-up: refuses a database that cannot be written (opened
 * read-only, a folder where the WAL cannot be created, a test write that
 * does not commit). Returns 0, or -1 with the path and the reason in err. */
int store_check_writable(struct store *st, int64_t now, char *err, size_t errlen);

/* ---- inbox --------------------------------------------------------------- */

/* Stores an inbound message (sender already E.164). Returns 0 with *id of
 * the new row, 1 when (channel, provider_id) is already stored (*id = the
 * earlier row), -1 on error. */
int store_inbox_insert(struct store *st, const struct gw_msg *m, const char *norm_text, int64_t now, int64_t *id);
/* Records the parse result of an inbox row. intent/result are short codes;
 * detail may be NULL. */
int store_inbox_set_result(struct store *st, int64_t id, const char *intent, const char *result, const char *detail);
/* Number of inbox rows (for tests and metrics). */
int64_t store_inbox_count(struct store *st);

/* ---- outbox -------------------------------------------------------------- */

struct store_outbox_row {
    const char *channel;    /* channel to send through; NULL = chosen by route at send time */
    const char *recipient;  /* E.164 */
    const char *tmpl;       /* template name */
    const char *vars_json;  /* template variables as a JSON object */
    const char *body;       /* rendered text */
    const char *kind;       /* "reply" | "alert" | "notice" | "reminder" */
    int priority;           /* 0 = most urgent */
    int64_t inbox_id;       /* cause, 0 = none */
    int64_t case_id;        /* related case, 0 = none */
    const char *dedupe_key; /* NULL = none; a second row with the same key is not written */
    int64_t not_before;     /* 0, or unix seconds before which the sender leaves it queued */
};
/* Returns 0 with *id, 1 when dedupe_key already exists (*id = that row), -1. */
int store_outbox_insert(struct store *st, const struct store_outbox_row *r, int64_t now, int64_t *id);

/* The newest outbox row's id, 0 when there is none, -1 on error. */
int64_t store_outbox_last_id(struct store *st);
/* Calls fn for every outbox row caused by inbox row inbox_id among those
 * after after_id, oldest first, with the recipient and rendered body; stops
 * when fn returns non-zero. No index leads from a message to its rows:
 * after_id, the newest id before the message was handled, keeps the read to
 * the rows written since (0 reads the whole table). 0 or -1. */
int store_outbox_for_inbox(struct store *st, int64_t inbox_id, int64_t after_id,
                           int (*fn)(void *arg, const char *recipient, const char *body), void *arg);

#include "store_audit.h"
#include "store_broadcast.h"
#include "store_case_writes.h"
#include "store_child.h"
#include "store_child_record.h"
#include "store_domain.h"
#include "store_jobs.h"
#include "store_media.h"
#include "store_office_cases.h"
#include "store_office_files.h"
#include "store_outbox.h"
#include "store_parts.h"
#include "store_report.h"
#include "store_retention.h"
#include "store_roster.h"
#include "store_session.h"
#include "store_token.h"
#include "store_ussd.h"
#include "store_voice.h"

#include "store_ops.h"

#endif
