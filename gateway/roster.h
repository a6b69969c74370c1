/* gateway/roster.h - the `import` and `export` subcommands:
 * argument checks, file handling and the lines an operator reads. The
 * work itself is roster_import (handlers/roster_import.h) and export_csv
 * (export.h).
 */
#ifndef GW_ROSTER_H
#define GW_ROSTER_H

#include <stdio.h>

struct store;
struct gw_config;

/* `gateway import KIND FILE`. kind: regions|staff|children|guardians; path:
 * a CSV file, or "-" for stdin. Bare national phone numbers get
 * cfg->policy.country_code (cfg may be NULL in tests: "86"). The store
 * must be migrated and have no open transaction.
 *
 * Prints every bad row to errout as "path:LINE: reason", then
 * "path: N bad rows; nothing imported" (or "path: bad header; nothing
 * imported"); on success prints one summary line
 * to out: "KIND: N rows: I inserted, U updated, S unchanged".
 * Returns 0 when the file was imported; 1 when nothing was imported (bad
 * rows, unreadable file, database error); 2 on a usage error (unknown kind,
 * no path). */
int roster_import_cmd(struct store *st, const struct gw_config *cfg, const char *kind, const char *path, FILE *out,
                      FILE *errout);

/* `gateway export WHAT [--from D] [--to D]`. what: visits|checkins|cases|outbox|coverage (for coverage, from/to bound
 * only the median time to acknowledgement, and cfg->policy decides the cadence); from/to: YYYY-MM-DD inclusive, either
 * may be NULL. Writes the CSV to out and "exported N WHAT" to errout. Returns 0 on success; 1 on a database or write
 * error (the CSV may be partial); 2 on a usage error (unknown what, a bad date, from after to), with the reason on
 * errout. */
int roster_export_cmd(struct store *st, const struct gw_config *cfg, const char *what, const char *from, const char *to,
                      FILE *out, FILE *errout);

#endif
