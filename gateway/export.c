/* gateway/export.c - the CSV exports (export.h): the store's rows and the
 * coverage report formatted as CSV, phones masked, formulas defused. Runs
 * on the thread that owns the store (a CLI command).
 */
#include "export.h"

#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/calendar.h"
#include "../core/log.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/coverage.h"
#include "../handlers/visit_rule.h"

int export_what_parse(const char *name, enum export_what *out)
{
    static const char *const names[] = {"visits", "checkins", "cases", "outbox", "coverage", "children"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (enum export_what)i;
            return 0;
        }
    return -1;
}

/* ---- fields ------------------------------------------------------------------ */

struct out {
    FILE *f;
    int first; /* no field written on this line yet */
    long n;    /* data rows written */
};

/* Writes one field, quoted only when it must be. A free-text field starting
 * like a formula gets a leading '. NULL is empty. */
static void put(struct out *o, const char *s, int free_text)
{
    if (!s) s = "";
    if (!o->first) fputc(',', o->f);
    o->first = 0;
    size_t n = strlen(s);
    int formula = free_text && n && strchr("=+-@\t\r", s[0]);
    int quote = formula || strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        fputs(s, o->f);
        return;
    }
    if (formula) {
        struct gw_buf b = {0};
        gw_buf_putc(&b, '\'');
        gw_buf_puts(&b, s);
        csv_fwrite(o->f, b.p, b.len);
        gw_buf_free(&b);
    } else {
        csv_fwrite(o->f, s, n);
    }
}

/* An integer; STORE_NULL is empty. */
static void put_int(struct out *o, int64_t v)
{
    char b[24] = "";
    if (v != STORE_NULL) snprintf(b, sizeof b, "%lld", (long long)v);
    put(o, b, 0);
}

/* ISO 8601 local time with offset: 2024-05-01T09:30:00+08:00; STORE_NULL is empty. */
static void put_time(struct out *o, int64_t t)
{
    char b[96] = "";
    if (t != STORE_NULL) {
        time_t tt = (time_t)t;
        struct tm tm;
        localtime_r(&tt, &tm);
        long off = tm.tm_gmtoff;
        char sign = off < 0 ? '-' : '+';
        if (off < 0) off = -off;
        snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, (off / 3600) % 100, (off / 60) % 60);
    }
    put(o, b, 0);
}

/* A phone, masked; NULL is empty. */
static void put_phone(struct out *o, const char *p)
{
    char b[GW_MASK_LEN] = "";
    put(o, p ? gw_mask_phone(p, b) : "", 0);
}

static int end_line(struct out *o)
{
    fputc('\n', o->f);
    o->first = 1;
    o->n++;
    return 0;
}

/* ---- one row of each export ------------------------------------------------------ */

static int visit_row(void *arg, const struct store_visit_rec *r)
{
    struct out *o = arg;
    put_int(o, r->id);
    put(o, r->visit_date, 0);
    put(o, r->child_code, 0);
    put(o, r->region, 0);
    put_int(o, r->result);
    put(o, r->problems, 0);
    put(o, r->note, 1);
    put_phone(o, r->recorded_by);
    put_time(o, r->recorded_at);
    return end_line(o);
}

static int checkin_row(void *arg, const struct store_checkin_rec *r)
{
    struct out *o = arg;
    char day[11];
    put_int(o, r->id);
    cal_date_iso(cal_local_day(r->created_at), day, sizeof day);
    put(o, day, 0);
    put(o, r->child_code, 0);
    put(o, r->region, 0);
    put_int(o, r->status);
    put(o, r->return_date, 0);
    put(o, r->note, 1);
    put_phone(o, r->guardian);
    put(o, r->relation, 0);
    put_time(o, r->created_at);
    return end_line(o);
}

static int case_row(void *arg, const struct store_case_rec *r)
{
    struct out *o = arg;
    char pr[4];
    put(o, r->number, 0);
    put_time(o, r->opened_at);
    put_int(o, r->category);
    put_int(o, r->classified);
    snprintf(pr, sizeof pr, "P%d", r->priority & 7);
    put(o, pr, 0);
    put(o, r->status, 0);
    put(o, r->departments, 0);
    put(o, r->child_code, 0);
    put(o, r->region, 0);
    put(o, r->county, 0);
    put_time(o, r->acked_at);
    put_time(o, r->closed_at);
    put_int(o, r->outcome);
    return end_line(o);
}

static int outbox_row(void *arg, const struct store_outbox_rec *r)
{
    struct out *o = arg;
    put_int(o, r->id);
    put_time(o, r->created_at);
    put(o, r->kind, 0);
    put_int(o, r->priority);
    put(o, r->channel, 0);
    put_phone(o, r->recipient);
    put(o, r->tmpl, 0);
    put(o, r->provider_msg_id, 1);
    put(o, r->status, 0);
    put_int(o, r->attempts);
    put(o, r->last_error, 1);
    put_time(o, r->sent_at);
    put_time(o, r->done_at);
    return end_line(o);
}

/* ---- the exports ------------------------------------------------------------------- */

/* Checks from/to; fills the unix bounds [lo, hi) of their local days
 * (INT64_MIN/INT64_MAX when absent). 0, or -1 with err. */
static int bounds(const char *from, const char *to, int64_t *lo, int64_t *hi, char *err, size_t errlen)
{
    int64_t fd = 0, td = 0;
    if (from && cal_date_parse(from, &fd) != 0) {
        gw_err(err, errlen, "--from '%s' is not a date written YYYY-MM-DD", from);
        return -1;
    }
    if (to && cal_date_parse(to, &td) != 0) {
        gw_err(err, errlen, "--to '%s' is not a date written YYYY-MM-DD", to);
        return -1;
    }
    if (from && to && strcmp(from, to) > 0) {
        gw_err(err, errlen, "--from %s is after --to %s", from, to);
        return -1;
    }
    *lo = from ? cal_local_midnight(fd) : INT64_MIN;
    *hi = to ? cal_local_midnight(td + 1) : INT64_MAX;
    return 0;
}

/* Flushes out and reports the rows. 0, or -1 on a write error. */
static int finish(FILE *out, long n, long *rows, char *err, size_t errlen)
{
    if (fflush(out) != 0 || ferror(out)) {
        gw_err(err, errlen, "write error");
        return -1;
    }
    if (rows) *rows = n;
    return 0;
}

int export_csv(struct store *st, enum export_what what, const struct gw_policy *pol, int64_t now, const char *from,
               const char *to, FILE *out, long *rows, char *err, size_t errlen)
{
    int64_t lo, hi;
    if (what == EXPORT_COVERAGE) return export_coverage(st, pol, now, from, to, out, rows, err, errlen);
    if (what == EXPORT_CHILDREN) return export_children(st, pol, now, out, rows, err, errlen);
    if (bounds(from, to, &lo, &hi, err, errlen) != 0) return -1;
    struct out o = {out, 1, 0};
    int rc;
    switch (what) {
    case EXPORT_VISITS:
        fputs("id,visit_date,child_code,region,result,problems,note,recorded_by,recorded_at\n", out);
        rc = store_export_visits(st, from, to, visit_row, &o);
        break;
    case EXPORT_CHECKINS:
        fputs("id,checkin_date,child_code,region,status,return_date,note,guardian,relation,recorded_at\n", out);
        rc = store_export_checkins(st, lo, hi, checkin_row, &o);
        break;
    case EXPORT_CASES:
        fputs("case_number,opened_at,category,classified,priority,status,departments,child_code,region,"
              "county,acknowledged_at,closed_at,outcome\n",
              out);
        rc = store_export_cases(st, lo, hi, case_row, &o);
        break;
    case EXPORT_OUTBOX:
        fputs("id,created_at,kind,priority,channel,recipient,template,provider_msg_id,status,attempts,"
              "last_error,sent_at,done_at\n",
              out);
        rc = store_export_outbox(st, lo, hi, outbox_row, &o);
        break;
    default: gw_err(err, errlen, "unknown export"); return -1;
    }
    if (rc != 0) {
        gw_err(err, errlen, "database: %s", store_errmsg(st));
        return -1;
    }
    return finish(out, o.n, rows, err, errlen);
}

/* One coverage field, quoted only when it must be. */
static void put_plain(FILE *f, const char *s, int first)
{
    if (!first) fputc(',', f);
    size_t n = strlen(s);
    if (strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' ')))
        csv_fwrite(f, s, n);
    else
        fputs(s, f);
}

#define COVERAGE_HEADER                                                                                                \
    "level,region,children_in_scope,aged_out,visited_in_person,visited_remote_only,overdue_7,overdue_30,"              \
    "parents_contacted_7d,parents_away,directors,villages_over_30_one_director,open_p0,open_p1,open_p2,open_p3,"       \
    "median_minutes_to_ack"

static void coverage_line(FILE *f, const struct coverage_row *r)
{
    static const char *const levels[] = {"?", "county", "town", "village"};
    put_plain(f, levels[r->level >= 1 && r->level <= 3 ? r->level : 0], 1);
    put_plain(f, r->path, 0);
    fprintf(f, ",%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,", r->children, r->aged_out, r->in_person,
            r->remote_only, r->overdue, r->overdue_long, r->contacted, r->away, r->directors, r->big_one_director,
            r->open[0], r->open[1], r->open[2], r->open[3]);
    if (r->acks) fprintf(f, "%.1f", r->median_ack_minutes);
    fputc('\n', f);
}

int export_coverage(struct store *st, const struct gw_policy *pol, int64_t now, const char *from, const char *to,
                    FILE *out, long *rows, char *err, size_t errlen)
{
    int64_t lo, hi;
    struct coverage c;
    if (bounds(from, to, &lo, &hi, err, errlen) != 0) return -1;
    if (coverage_compute(st, pol, now, lo, hi, &c) != 0) {
        gw_err(err, errlen, "database: %s", store_errmsg(st));
        return -1;
    }
    fputs(COVERAGE_HEADER "\n", out);
    for (size_t i = 0; i < c.n; i++) coverage_line(out, &c.rows[i]);
    long n = (long)c.n;
    coverage_free(&c);
    return finish(out, n, rows, err, errlen);
}

/* ---- the register ------------------------------------------------------------------- */

#define CHILDREN_HEADER                                                                                                \
    "code,name,sex,birth_date,region,categories,flags,id_masked,hukou,school,carer_name,carer_phone,"                  \
    "carer_relation,care_agreement,care_agreement_date,guardianship,aged_out,created"

struct children_out {
    struct out o;
    const struct gw_policy *pol;
    int64_t today; /* local day number */
};

static int child_row(void *arg, const struct store_child_export_rec *r)
{
    struct children_out *c = arg;
    struct out *o = &c->o;
    put(o, r->code, 0);
    put(o, r->name, 1);
    put(o, r->sex, 0);
    put(o, r->birth_date, 0);
    put(o, r->region, 0);
    put(o, r->categories, 0);
    put(o, r->flags, 0);
    put(o, r->id_masked, 0);
    put(o, r->hukou, 1);
    put(o, r->school, 1);
    put(o, r->carer_name, 1);
    put_phone(o, r->carer_phone);
    put(o, r->carer_relation, 1);
    put(o, r->care_agreement == 1 ? "yes" : r->care_agreement == 0 ? "no" : "", 0);
    put(o, r->care_agreement_date, 0);
    put(o, r->guardianship, 1);
    put(o, child_scope_end(c->pol, r->birth_date, r->categories) <= c->today ? "yes" : "no", 0);
    put_time(o, r->created_at);
    return end_line(o);
}

int export_children(struct store *st, const struct gw_policy *pol, int64_t now, FILE *out, long *rows, char *err,
                    size_t errlen)
{
    struct children_out c = {{out, 1, 0}, pol, cal_local_day(now)};
    fputs(CHILDREN_HEADER "\n", out);
    if (store_children_export(st, child_row, &c) != 0) {
        gw_err(err, errlen, "database: %s", store_errmsg(st));
        return -1;
    }
    return finish(out, c.o.n, rows, err, errlen);
}
