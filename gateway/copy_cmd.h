/* gateway/copy_cmd.h - the copy-store subcommand: the move from SQLite to
 * PostgreSQL.
 *
 * `gateway copy-store -c new.ini --from old.db` copies every row of every
 * table of the SQLite file old.db into the PostgreSQL store new.ini
 * configures (db/copy.h), in one transaction, then checks the audit
 * trail's hash chain on the target. The target is migrated first when it
 * is not yet (an empty database gets the schema); it must hold no rows.
 * Stop the gateway before: rows written to old.db after the copy's
 * snapshot would stay behind.
 */
#ifndef GW_COPY_CMD_H
#define GW_COPY_CMD_H

#include <stdio.h>

struct gw_config;

/* Runs `gateway copy-store --from PATH` into cfg's store: the table of row
 * counts and the audit check on out. Returns the exit status: 0, 1 when the
 * copy was refused or failed (told on err; the target is left as it was,
 * migrated at most) or the audit chain does not verify, 2 on a usage error. */
int copy_store_cmd(const struct gw_config *cfg, const char *from, FILE *out, FILE *err);

#endif
