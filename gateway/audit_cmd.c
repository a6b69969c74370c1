/* gateway/audit_cmd.c - the `audit` subcommand (audit_cmd.h): verify the
 * chain, list the rows as CSV. Runs on the main thread of a CLI
 * invocation, which owns the store.
 */
#include "audit_cmd.h"

#include <csv.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../core/calendar.h"
#include "../core/store.h"
#include "../handlers/audit.h"

static int cmd_verify(struct store *st, FILE *out, FILE *errout)
{
    struct audit_problem bad;
    long rows = 0;
    int began = store_read_begin(st);
    int rc = began < 0 ? -1 : audit_verify(st, &bad, &rows, NULL);
    if (began > 0) store_read_end(st, began);
    if (rc < 0) {
        fprintf(errout, "audit: %s\n", store_errmsg(st));
        return 1;
    }
    if (rc == 1)
        fprintf(out, "audit: row %" PRId64 ": %s\n", bad.id, bad.what);
    else
        fprintf(out, "audit: %ld row%s, chain intact\n", rows, rows == 1 ? "" : "s");
    return rc == 0 ? 0 : 1;
}

struct list {
    FILE *f;
    int64_t lo, hi; /* [lo, hi) */
    int first;      /* no field written on this line yet */
};

/* One CSV field, quoted only when it must be; a value starting like a
 * formula gets a leading '. */
static void put(struct list *l, const char *s)
{
    if (!l->first) fputc(',', l->f);
    l->first = 0;
    size_t n = strlen(s);
    int formula = n && strchr("=+-@\t\r", s[0]);
    if (formula) fputc('\'', l->f);
    if (strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' ')))
        csv_fwrite(l->f, s, n);
    else
        fputs(s, l->f);
}

/* ISO 8601 local time with offset: 2024-05-01T09:30:00+08:00. */
static void put_time(struct list *l, int64_t t)
{
    char b[96];
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, sign, (off / 3600) % 100, (off / 60) % 60);
    put(l, b);
}

static int list_row(void *arg, const struct store_audit_row *r)
{
    struct list *l = arg;
    if (r->at < l->lo || r->at >= l->hi) return 0;
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    l->first = 1;
    put(l, id);
    put_time(l, r->at);
    const char *fields[] = {r->actor, r->role, r->client, r->action, r->records, r->purpose};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) put(l, fields[i]);
    fputc('\n', l->f);
    return 0;
}

/* Checks from/to and fills the unix bounds [lo, hi) of their local days. 0, or 2 with the reason on errout. */
static int bounds(const char *from, const char *to, int64_t *lo, int64_t *hi, FILE *errout)
{
    int64_t fd = 0, td = 0;
    if (from && cal_date_parse(from, &fd) != 0) {
        fprintf(errout, "audit: --from '%s' is not a date written YYYY-MM-DD\n", from);
        return 2;
    }
    if (to && cal_date_parse(to, &td) != 0) {
        fprintf(errout, "audit: --to '%s' is not a date written YYYY-MM-DD\n", to);
        return 2;
    }
    if (from && to && fd > td) {
        fprintf(errout, "audit: --from %s is after --to %s\n", from, to);
        return 2;
    }
    *lo = from ? cal_local_midnight(fd) : INT64_MIN;
    *hi = to ? cal_local_midnight(td + 1) : INT64_MAX;
    return 0;
}

static int cmd_list(struct store *st, const char *from, const char *to, FILE *out, FILE *errout)
{
    struct list l = {.f = out};
    int rc = bounds(from, to, &l.lo, &l.hi, errout);
    if (rc != 0) return rc;
    fputs("id,at,actor,role,client,action,records,purpose\n", out);
    if (store_audit_each(st, 0, list_row, &l) != 0) {
        fprintf(errout, "audit: %s\n", store_errmsg(st));
        return 1;
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(errout, "audit: write error\n");
        return 1;
    }
    return 0;
}

int audit_cmd(struct store *st, const char *sub, const char *from, const char *to, FILE *out, FILE *errout)
{
    if (sub && !strcmp(sub, "verify")) {
        if (from || to) {
            fprintf(errout, "audit: verify checks every row; --from/--to are for list\n");
            return 2;
        }
        return cmd_verify(st, out, errout);
    }
    if (sub && !strcmp(sub, "list")) return cmd_list(st, from, to, out, errout);
    fprintf(errout, "audit: unknown command '%s' (verify|list)\n", sub ? sub : "");
    return 2;
}
