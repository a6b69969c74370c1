/* db/schema.h - the list of schema migrations (see schema.c). */
#ifndef SCHEMA_H
#define SCHEMA_H

/* Number of migrations; the newest schema version equals it. */
int schema_count(void);
/* SQL of migration i (0-based: brings version i to i+1), or NULL. */
const char *schema_migration(int i);

#endif
