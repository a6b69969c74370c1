/* handlers/query.c - CX 待访, CX 走访: directors and supervisors ask by SMS.
 *
 * CX 待访 (查询待访, 哪些孩子要走访, 待访名单...) lists the codes of the
 * children of the sender's area whose visit falls due by the end of this
 * calendar month, overdue ones included, most overdue first, five codes to
 * an SMS: "CX 待访 2" asks for the second page. The area is the director's
 * village, or the region of a supervisor (their town) or admin. The
 * children and their last counting visits are read with the reminders' own
 * listing (db_jobs_children_due), children past their age leave as they
 * leave the reminders (child_scope_end), and due dates come from the one
 * visit-due rule (visit_due_for), so this list, the reminders and
 * the coverage export always agree.
 *
 * CX 走访 (走访情况...) answers with the area's row of the coverage report
 * (coverage_compute, what the export writes): children in scope, those
 * visited in person within their current period, and those more than
 * overdue_days overdue. The same numbers as the export, by construction.
 *
 * Only codes and counts go out, never names. Anyone else (responders,
 * guardians, the public) gets one refusal that says what CX is for.
 */
#include "../core/calendar.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "coverage.h"
#include "intents.h"
#include "jobs_int.h"
#include "visit_rule.h"

#define PAGE_CODES 5     /* codes in one SMS: query_due fits 70 characters with five */
#define DUE_MAX    10000 /* children listed at most (the count still counts them all) */

struct due {
    char code[8];
    int64_t day; /* day number of the due date */
};

struct due_ctx {
    const struct gw_policy *pol;
    const char *under; /* the sender's region path */
    int64_t today;     /* day number of today */
    int64_t by;        /* day number of the last day of this month */
    struct due *v;     /* owned */
    size_t n, cap;
    long total;
};

static int due_row(void *arg, const struct db_job_child *c)
{
    struct due_ctx *x = arg;
    if (!db_path_under(c->village, x->under)) return 0;
    if (x->today >= child_scope_end(x->pol, c->birth_date, c->categories)) return 0; /* aged out, as the reminders */
    int64_t day = visit_due_for(x->pol, visit_high_cadence(c->flags, c->high_cadence), c->last_visit, c->created_at);
    if (day == CAL_NO_DAY || day > x->by) return 0;
    x->total++;
    if (x->n == DUE_MAX) return 0;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 32;
        x->v = gw_realloc(x->v, x->cap * sizeof *x->v);
    }
    memcpy(x->v[x->n].code, c->code, sizeof x->v[x->n].code);
    x->v[x->n].day = day;
    x->n++;
    return 0;
}

static int by_due(const void *a, const void *b)
{
    const struct due *p = a, *q = b;
    if (p->day != q->day) return p->day < q->day ? -1 : 1;
    return strcmp(p->code, q->code);
}

/* Day number of the last day of the month holding unix time now. */
static int64_t month_end(int64_t now)
{
    int y, mo, d;
    h_today(now, &y, &mo, &d);
    if (++mo == 13) mo = 1, y++;
    char iso[11];
    int64_t first;
    h_iso_date(y, mo, 1, iso, sizeof iso);
    return cal_date_parse(iso, &first) == 0 ? first - 1 : cal_local_day(now);
}

static int query_due(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
                     const struct h_sender *who, struct h_result *out)
{
    const struct gw_policy *pol = env->pol;
    struct gw_policy defaults = gw_policy_defaults();
    if (!pol) pol = &defaults;
    struct due_ctx x = {
        .pol = pol, .under = who->staff.region.path, .today = cal_local_day(m->now), .by = month_end(m->now)};
    /* The listing's SQL bounds: a counting visit on or before these days has
     * made a child due by the end of the month; every child registered by
     * then is read and the rule decides. */
    char last_before[11], last_before_high[11];
    cal_date_iso(x.by - pol->visit_days, last_before, sizeof last_before);
    cal_date_iso(x.by - pol->visit_days_high, last_before_high, sizeof last_before_high);
    if (db_jobs_children_due(env->st, last_before, last_before_high, cal_local_midnight(x.by + 1), due_row, &x) != 0) {
        free(x.v);
        return -1;
    }
    if (x.n > 1) qsort(x.v, x.n, sizeof *x.v, by_due); /* x.v is NULL when none is due */

    char detail[64];
    snprintf(detail, sizeof detail, "due=%ld page=%d", x.total, cmd->value > 0 ? cmd->value : 1);
    long pages = ((long)x.n + PAGE_CODES - 1) / PAGE_CODES;
    long page = cmd->value > 0 ? cmd->value : 1;
    struct h_reply *r;
    if (x.n == 0) {
        h_answer(out, m, "ok", detail, "query_due_none");
    } else if (page > pages) {
        r = h_answer(out, m, "invalid", detail, "query_due_past");
        h_var_set(r, "count", "%ld", pages);
    } else {
        char dues[96] = "";
        size_t used = 0;
        for (size_t i = (size_t)(page - 1) * PAGE_CODES; i < x.n && i < (size_t)page * PAGE_CODES; i++)
            used += (size_t)snprintf(dues + used, sizeof dues - used, "%s%s", used ? "、" : "", x.v[i].code);
        r = h_answer(out, m, "ok", detail, page < pages ? "query_due" : "query_due_end");
        h_var_set(r, "count", "%ld", x.total);
        h_var_set(r, "dues", "%s", dues);
        if (page < pages) h_var_set(r, "next", "%ld", page + 1);
    }
    free(x.v);
    return 0;
}

/* ---- coverage: the export's own row ------------------------------------------ */

static int query_coverage(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                          struct h_result *out)
{
    struct coverage cov;
    if (coverage_compute(env->st, env->pol, m->now, INT64_MIN, INT64_MAX, &cov) != 0) return -1;
    long total = 0, visited = 0, overdue = 0;
    for (size_t i = 0; i < cov.n; i++)
        if (strcmp(cov.rows[i].path, who->staff.region.path) == 0) {
            total = cov.rows[i].children;
            visited = cov.rows[i].in_person;
            overdue = cov.rows[i].overdue;
            break;
        }
    coverage_free(&cov);

    const char *path = who->staff.region.path, *slash = strrchr(path, '/');
    char detail[64];
    snprintf(detail, sizeof detail, "coverage children=%ld visited=%ld overdue=%ld", total, visited, overdue);
    struct h_reply *r = h_answer(out, m, "ok", detail, "query_coverage");
    h_var_set(r, "place", "%s", slash ? slash + 1 : path);
    h_var_set(r, "count", "%ld", total);
    h_var_set(r, "visited", "%ld", visited);
    h_var_set(r, "overdue", "%ld", overdue);
    int days = env->pol && env->pol->overdue_days > 0 ? env->pol->overdue_days : gw_policy_defaults().overdue_days;
    h_var_set(r, "days", "%d", days);
    return 0;
}

int h_query(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out)
{
    if (!h_is_role(who, "director") && !h_is_role(who, "supervisor") && !h_is_role(who, "admin")) {
        h_answer(out, m, "refused", "not_visiting_staff", "query_not_staff");
        return 0;
    }
    if (cmd->query == CB_Q_COVERAGE) return query_coverage(env, m, who, out);
    return query_due(env, m, cmd, who, out);
}

int h_case_supervisor(struct store *st, const struct h_sender *who, const struct db_case *c)
{
    if (!h_is_role(who, "supervisor")) return 0;
    int64_t where = c->region_id ? c->region_id : c->county_id;
    if (!where) return 0;
    return db_region_under(st, where, who->staff.region.id);
}
