/* gateway/store_open.h - opens the configured store: the SQLite file at
 * [store] path, or the PostgreSQL database at [store] url. Every thread
 * that needs a store (the writer, the sender, the fetcher, a CLI command)
 * opens its own through here. The SQLite-only duties (deferred WAL sync,
 * checkpoints) are the caller's, when gw_store_is_sqlite says so. */
#ifndef GW_STORE_OPEN_H
#define GW_STORE_OPEN_H

#include <stddef.h>

#include "../core/config.h"
#include "../core/store.h"

/* Opens the store cfg names; 0 and *out, or -1 with err. Does not migrate. */
int gw_store_open(const struct gw_config *cfg, struct store **out, char *err, size_t errlen);
/* As gw_store_open, for a thread whose commits need not reach the disk
 * before it goes on (the sender, the recordings' fetcher): on SQLite its
 * commits are not fsynced (synchronous=NORMAL in WAL mode: they survive the
 * process's death, and an OS crash can only make a message go twice, a
 * claim or a result being lost, never lose one). Inbound messages are stored
 * on the writer's connection, with every commit fsynced. */
int gw_store_open_relaxed(const struct gw_config *cfg, struct store **out, char *err, size_t errlen);
/* 1 when cfg's store is SQLite. */
int gw_store_is_sqlite(const struct gw_config *cfg);
/* For a store several processes share (PostgreSQL): 1 once every
 * GW_RECOVER_EVERY seconds (of the monotonic clock, *last its previous
 * time, updated), when the sender or the fetcher puts back in the queue
 * what a process that died had on the wire. 0 always on SQLite: one process
 * per file, recovered at its start. */
#define GW_RECOVER_EVERY 5
int gw_store_recover_due(const struct gw_config *cfg, double *last);
/* What to call the store in logs: its path, or "PostgreSQL" (the URL may hold a password). */
const char *gw_store_name(const struct gw_config *cfg);

#endif
