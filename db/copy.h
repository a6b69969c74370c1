/* db/copy.h - copies a whole SQLite store into an empty PostgreSQL store:
 * the move of a deployment from one backend to the other (`gateway
 * copy-store`), without losing one row.
 *
 * Every table of the SQLite file (from its catalogue, so columns and tables
 * a later migration adds come along) goes over column by column by name,
 * in an order that satisfies the foreign keys, in ONE PostgreSQL
 * transaction (all or nothing), with COPY FROM STDIN. The SQLite file is
 * opened read-only and read in one transaction: one consistent snapshot.
 * After the rows, every identity column's sequence is set past the largest
 * id copied, each table's row count in PostgreSQL is checked against
 * SQLite's, and only then is the transaction committed.
 *
 * Refused, with nothing written: a source that is missing or not a gateway
 * database, a source whose schema version is not this gateway's newest, a
 * target at another version, a target that already holds rows (any table
 * but schema_version and health), a source table or column the target
 * lacks, foreign keys between tables that form a cycle.
 */
#ifndef DB_COPY_H
#define DB_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "../core/store.h"

/* One table copied: its name, the rows in the SQLite snapshot, and the rows
 * PostgreSQL holds after the copy (equal, or the copy was rolled back). */
struct copy_table {
    char name[64];
    int64_t source_rows;
    int64_t target_rows;
};

/* What a copy did: the tables in the order they were copied. */
struct copy_result {
    struct copy_table *tables; /* owned; copy_result_free */
    int ntables;
    int version;    /* the schema version of both stores */
    int64_t rows;   /* rows copied in all */
    int sequences;  /* identity sequences moved past the largest id */
    double seconds; /* wall time of the copy, from the snapshot to the commit */
};

/* Copies every row of every table of the SQLite database file sqlite_path
 * into target, a PostgreSQL store (pg_store_open) already migrated to this
 * gateway's newest schema version. On success returns 0, the copy is
 * committed and *out describes it. On failure returns -1 with the reason in
 * err, nothing is left in the target, and *out is empty. The gateway must
 * not be running on either store (the source's rows written after the
 * snapshot would not be copied). */
int copy_sqlite_to_pg(const char *sqlite_path, struct store *target, struct copy_result *out, char *err, size_t errlen);

/* Releases what copy_sqlite_to_pg put in r (r may be empty). */
void copy_result_free(struct copy_result *r);

#endif
