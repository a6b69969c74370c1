/* db/pg.h - the PostgreSQL backend of the store port (core/store.h), over
 * libpq: the same operations, migrations and transaction semantics as the
 * SQLite backend, so that several gateway processes can share one database
 * (and a primary with standbys). For the process (gateway/) and the tests.
 */
#ifndef GW_PG_H
#define GW_PG_H

#include <stddef.h>

#include "../core/store.h"

/* Connects to the database at url (a libpq connection URI or key=value
 * string, e.g. "postgresql://gw@db1,db2/gateway?target_session_attrs=read-write")
 * with synchronous_commit on. Does not migrate. Returns 0 and *out (close
 * with store_close), or -1 with err. Refuses while the backend lacks any
 * store operation, naming it. */
int pg_store_open(const char *url, struct store **out, char *err, size_t errlen);

/* The newest schema version this backend knows (store_migrate goes there). */
int pg_schema_latest(void);

#endif
