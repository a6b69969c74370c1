/* gateway/copy_cmd.c - the copy-store subcommand (copy_cmd.h). Runs on the
 * main thread of a CLI invocation, which owns the target store. */
#include "copy_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/config.h"
#include "../core/store.h"
#include "../db/copy.h"
#include "audit_cmd.h"
#include "store_open.h"

/* Prints the row counts of every table copied, then one summary line. */
static void print_counts(const struct copy_result *r, FILE *out)
{
    fprintf(out, "%-20s %12s %12s\n", "table", "sqlite", "postgresql");
    for (int i = 0; i < r->ntables; i++)
        fprintf(out, "%-20s %12" PRId64 " %12" PRId64 "\n", r->tables[i].name, r->tables[i].source_rows,
                r->tables[i].target_rows);
    fprintf(out,
            "copied %" PRId64 " rows of %d tables in %.2f s (schema version %d); %d identity sequences "
            "set past the ids copied\n",
            r->rows, r->ntables, r->seconds, r->version, r->sequences);
}

/* Warns when the SQLite file has a write-ahead log with content: a gateway
 * still running on it (or one that did not stop cleanly; its last commits
 * are in the log, and the copy reads them). */
static void warn_if_in_use(const char *path, FILE *errout)
{
    char wal[4096];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
        fprintf(errout,
                "copy-store: warning: %s is not empty: is a gateway still running on %s? Stop it first: "
                "what it writes after the copy's snapshot stays behind\n",
                wal, path);
}

/* Opens cfg's PostgreSQL store and brings its schema up to date (an empty
 * database gets the whole schema). The store, or NULL with the reason on err. */
static struct store *open_target(const struct gw_config *cfg, FILE *out, FILE *errout)
{
    struct store *st;
    char err[320];
    if (gw_store_open(cfg, &st, err, sizeof err) != 0) {
        fprintf(errout, "copy-store: target: %s\n", err);
        return NULL;
    }
    int from, to;
    if (store_migrate(st, &from, &to, err, sizeof err) != 0) {
        fprintf(errout, "copy-store: target: %s\n", err);
        store_close(st);
        return NULL;
    }
    if (from != to) fprintf(out, "target: schema version %d -> %d\n", from, to);
    return st;
}

int copy_store_cmd(const struct gw_config *cfg, const char *from, FILE *out, FILE *errout)
{
    if (!from) {
        fprintf(errout, "copy-store: usage: gateway copy-store -c new.ini --from old.db\n");
        return 2;
    }
    if (gw_store_is_sqlite(cfg)) {
        fprintf(errout, "copy-store: the config's store is SQLite; the target must be PostgreSQL "
                        "([store] backend = postgres, url = ...)\n");
        return 2;
    }
    struct stat sb;
    if (stat(from, &sb) != 0) { /* before the target is touched */
        fprintf(errout, "copy-store: source %s: %s\n", from, strerror(errno));
        return 1;
    }
    warn_if_in_use(from, errout);
    struct store *st = open_target(cfg, out, errout);
    if (!st) return 1;
    struct copy_result r;
    char err[512];
    if (copy_sqlite_to_pg(from, st, &r, err, sizeof err) != 0) {
        fprintf(errout, "copy-store: %s\ncopy-store: nothing was copied\n", err);
        store_close(st);
        return 1;
    }
    print_counts(&r, out);
    copy_result_free(&r);
    int rc = audit_cmd(st, "verify", NULL, NULL, out, errout);
    if (rc != 0)
        fprintf(errout, "copy-store: the audit chain does not verify on the target; compare with `gateway audit "
                        "-c old.ini verify` on the source\n");
    store_close(st);
    return rc;
}
