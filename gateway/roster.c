/* gateway/roster.c - the `import` and `export` subcommands: open the file,
 * call the roster import (handlers/roster_import.h) or the export
 * (export.h), and print what the operator needs: every bad row as
 * "path:LINE: reason" (the form editors and grep understand) and one summary
 * line. Runs on the main thread of a CLI invocation, which owns the store.
 */
#include "roster.h"

#include <errno.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/clock.h"
#include "../core/config.h"
#include "../core/store.h"
#include "../handlers/audit.h"
#include "../handlers/roster_import.h"
#include "export.h"

struct err_ctx {
    FILE *errout;
    const char *path; /* as the operator wrote it */
};

static void print_bad_row(void *arg, long line, const char *reason)
{
    struct err_ctx *e = arg;
    fprintf(e->errout, "%s:%ld: %s\n", e->path, line, reason);
}

int roster_import_cmd(struct store *st, const struct gw_config *cfg, const char *kind, const char *path, FILE *out,
                      FILE *errout)
{
    enum roster_kind k;
    if (!kind || roster_kind_parse(kind, &k) != 0) {
        fprintf(errout, "import: unknown kind '%s' (regions|staff|children|guardians)\n", kind ? kind : "");
        return 2;
    }
    if (!path || !*path) {
        fprintf(errout, "import %s: no file given\n", kind);
        return 2;
    }
    int use_stdin = strcmp(path, "-") == 0;
    FILE *in = use_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        fprintf(errout, "%s: %s; nothing imported\n", path, strerror(errno));
        return 1;
    }
    struct err_ctx ectx = {errout, use_stdin ? "<stdin>" : path};
    struct roster_import_opts opts = {
        .country_code = cfg && cfg->policy.country_code ? cfg->policy.country_code : "86",
        .on_error = print_bad_row,
        .arg = &ectx,
        .id_key = cfg && cfg->privacy.has_id_key ? cfg->privacy.id_key : NULL,
    };
    struct roster_import_result res;
    char err[256] = "";
    int rc = roster_import(st, k, in, gw_clock_now(), &opts, &res, err, sizeof err);
    if (!use_stdin) fclose(in);
    if (rc == 0) {
        fprintf(out, "%s: %ld rows: %ld inserted, %ld updated, %ld unchanged\n", kind, res.rows, res.inserted,
                res.updated, res.unchanged);
        return 0;
    }
    if (rc == 1) {
        if (res.bad_header)
            fprintf(errout, "%s: bad header; nothing imported\n", ectx.path);
        else
            fprintf(errout, "%s: %ld bad row%s; nothing imported\n", ectx.path, res.bad_rows,
                    res.bad_rows == 1 ? "" : "s");
        return 1;
    }
    fprintf(errout, "%s: %s; nothing imported\n", ectx.path, err);
    return 1;
}

/* Records the export in the audit trail, in its own transaction, before
 * anything is written: action "export WHAT", records the date range
 * ("from:D to:D", either part absent; "" for everything). 0, or -1. */
static int audit_export(struct store *st, const char *what, const char *from, const char *to)
{
    char action[64], range[64];
    snprintf(action, sizeof action, "export %s", what);
    snprintf(range, sizeof range, "%s%s%s%s%s", from ? "from:" : "", from ? from : "", from && to ? " " : "",
             to ? "to:" : "", to ? to : "");
    if (store_begin(st) != 0) return -1;
    if (audit_record(st, "cli", "admin", "cli", action, range, "", gw_clock_now()) != 0 || store_commit(st) != 0) {
        store_rollback(st);
        return -1;
    }
    return 0;
}

int roster_export_cmd(struct store *st, const struct gw_config *cfg, const char *what, const char *from, const char *to,
                      FILE *out, FILE *errout)
{
    enum export_what w;
    if (!what || export_what_parse(what, &w) != 0) {
        fprintf(errout, "export: unknown export '%s' (visits|checkins|cases|outbox|coverage|children)\n",
                what ? what : "");
        return 2;
    }
    if (from && cal_date_valid(from) != 0) {
        fprintf(errout, "export: --from '%s' is not a date written YYYY-MM-DD\n", from);
        return 2;
    }
    if (to && cal_date_valid(to) != 0) {
        fprintf(errout, "export: --to '%s' is not a date written YYYY-MM-DD\n", to);
        return 2;
    }
    if (from && to && strcmp(from, to) > 0) {
        fprintf(errout, "export: --from %s is after --to %s\n", from, to);
        return 2;
    }
    if (w == EXPORT_CHILDREN && (from || to)) {
        fprintf(errout, "export children: the register as it is now; --from and --to do not apply\n");
        return 2;
    }
    if (audit_export(st, what, from, to) != 0) {
        fprintf(errout, "export %s: cannot record it in the audit trail (%s); nothing exported\n", what,
                store_errmsg(st));
        return 1;
    }
    long rows = 0;
    char err[256] = "";
    int rc = export_csv(st, w, cfg ? &cfg->policy : NULL, gw_clock_now(), from, to, out, &rows, err, sizeof err);
    if (rc != 0) {
        fprintf(errout, "export %s: %s\n", what, err);
        return 1;
    }
    fprintf(errout, "export %s: %ld rows\n", what, rows);
    return 0;
}
