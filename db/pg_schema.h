/* db/pg_schema.h - the PostgreSQL twin of the schema's migrations (see pg_schema.c). */
#ifndef DB_PG_SCHEMA_H
#define DB_PG_SCHEMA_H

/* Number of migrations; always equals schema_count() (db/schema.h): the
 * newest schema version is the same for both backends. */
int pg_schema_count(void);
/* PostgreSQL SQL of migration i (0-based: brings version i to i+1), or NULL
 * when there is nothing to run for it (the migrations before PostgreSQL
 * support: a fresh database goes straight to the first version it has) or
 * when i is out of range. */
const char *pg_schema_migration(int i);

#endif
