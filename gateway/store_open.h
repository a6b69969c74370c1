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
/* 1 when cfg's store is SQLite. */
int gw_store_is_sqlite(const struct gw_config *cfg);
/* What to call the store in logs: its path, or "PostgreSQL" (the URL may hold a password). */
const char *gw_store_name(const struct gw_config *cfg);

#endif
