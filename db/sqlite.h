/* db/sqlite.h - the SQLite store backend's own functions: its constructor
 * and what only SQLite has (group commit, WAL checkpoints, its schema).
 *
 * For the process (gateway/) and the tests: the domain and core/ see only
 * the port, core/store.h. Every function here other than sqlite_store_open
 * takes a handle that sqlite_store_open returned.
 */
#ifndef DB_SQLITE_H
#define DB_SQLITE_H

#include <stddef.h>

#include "../core/store.h"

/* Opens (creating if needed) the SQLite database at path in WAL mode with
 * synchronous FULL (sync_full=1) or NORMAL, foreign keys on and a busy
 * timeout. Does not migrate. Returns 0 and *out (close with store_close),
 * or -1 with err. */
int sqlite_store_open(const char *path, int sync_full, struct store **out, char *err, size_t errlen);

/* The newest schema version this backend knows (store_migrate goes there). */
int sqlite_schema_latest(void);

/* Splits "commit" from "durable" for the store writer's group commit: the
 * connection commits without fsync (synchronous=NORMAL), and the caller
 * makes the commits durable with sqlite_sync_wal, from any thread, before
 * it tells anyone they are: an fsync of the WAL file covers every commit
 * written before it. Returns 0 or -1 with err. */
int sqlite_defer_sync(struct store *st, char *err, size_t errlen);
/* fdatasync of the WAL file (see sqlite_defer_sync). Thread-safe with
 * respect to the connection's own use. Returns 0 or -1. */
int sqlite_sync_wal(struct store *st);

/* Moves WAL checkpoints to a background thread with its own connection,
 * so the writer never stalls copying the WAL into the database file (and
 * that file's fsync) in the middle of a commit. For the long-running
 * writer's store; store_close stops the thread. Returns 0 or -1 with err. */
int sqlite_checkpoint_in_background(struct store *st, char *err, size_t errlen);

/* Remembers the roster look-ups of st's connection (staff, children,
 * guardians and regions by phone, code, id or path; a county's responders)
 * for the long-running writer. The memo is emptied when a roster row is
 * written on this connection, when a transaction rolls back, at the start
 * of a transaction when another connection or process (a roster import)
 * committed a roster change since, and at least once a minute. Returns 0. */
int sqlite_roster_memo(struct store *st);

/* Frees the page cache st's connection holds between transactions (a
 * timed job's run reads far more pages than a batch of messages needs).
 * For the writer's thread, outside a transaction. */
void sqlite_release_memory(struct store *st);

/* Write transactions of one process's connections to one file take turns,
 * first come first served (store_begin waits for its turn; commit and
 * rollback pass it on), so a thread that writes nearly all the time cannot
 * starve the others. The number of this process's connections to st's
 * file waiting for their turn now, for tests and diagnostics. */
int sqlite_write_waiting(struct store *st);

/* Keeps the WAL bounded under sustained load: when it has grown past a
 * threshold since the last restart, copies what is left of it into the
 * database file and makes the next transaction write it from its start
 * (a RESTART checkpoint; journal_size_limit then shrinks the file). For
 * the writer's thread, between transactions, with the background
 * checkpoints on. Returns 0 (also when nothing was due) or -1 when it
 * could not (readers held it back; it is tried again next time). */
int sqlite_wal_trim(struct store *st);

#endif
