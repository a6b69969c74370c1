/* gateway/api_files.c - the office API's children's files, coverage, visits
 * due and the audit trail (see api_files.h). Every endpoint runs in the
 * store writer inside its own savepoint (gateway/pipeline.c); scope is
 * bound into the store queries (core/store_office_files.h). */
#include "api_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/log.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/audit.h"
#include "../handlers/coverage.h"
#include "../handlers/visit_rule.h"
#include "child_file.h"
#include "json_fields.h"

#define LIST_DEFAULT 50
#define LIST_MAX     200
#define QUERY_MAX    64  /* bytes of q */
#define PURPOSE_MAX  200 /* bytes of a stated purpose */
#define CURSOR_MAX   64
#define REGION_Q_MAX 256

/* ---- shared ---------------------------------------------------------------------- */

/* Fills reason and returns status. */
static int refuse(char *reason, size_t len, int status, const char *why)
{
    gw_strlcpy(reason, why, len);
    return status;
}

/* The region path the caller sees under: "" for the roles that see
 * everything, NULL for a scoped role without a region (it sees nothing). */
static const char *scope_of(const struct auth_principal *who)
{
    if (who->role == AUTH_ADMIN || who->role == AUTH_AUDITOR) return "";
    return who->region[0] ? who->region : NULL;
}

/* The scope narrowed by the query's "region" into under (REGION_Q_MAX
 * bytes): 0; 404 when the region is unknown or outside the caller's scope
 * (alike); -1 on a store error. */
static int narrowed_scope(const struct api_in *in, char *under, char *reason, size_t len)
{
    const char *scope = scope_of(in->who);
    char region[REGION_Q_MAX];
    if (!scope) return refuse(reason, len, 404, "not found");
    if (api_query_get(in->query, "region", region, sizeof region) != 0 || !region[0]) {
        gw_strlcpy(under, scope, REGION_Q_MAX);
        return 0;
    }
    struct db_region r;
    int rc = db_region_by_path(in->st, region, &r);
    if (rc < 0) return -1;
    if (rc != 0 || (scope[0] && !db_path_under(region, scope))) return refuse(reason, len, 404, "not found");
    gw_strlcpy(under, region, REGION_Q_MAX);
    return 0;
}

/* The query's limit (default LIST_DEFAULT, 1-LIST_MAX): 0, or 400. */
static int list_limit(const char *query, int *limit, char *reason, size_t len)
{
    char v[16];
    long n = LIST_DEFAULT;
    if (api_query_get(query, "limit", v, sizeof v) == 0 && gw_parse_long(v, 1, LIST_MAX, &n) != 0)
        return refuse(reason, len, 400, "limit must be a number from 1 to 200");
    *limit = (int)n;
    return 0;
}

/* The query's from/to (YYYY-MM-DD, both optional) as unix bounds [lo, hi)
 * of their local days: 0, or 400. */
static int day_bounds(const char *query, int64_t *lo, int64_t *hi, char *reason, size_t len)
{
    char from[16], to[16];
    int64_t fd = 0, td = 0;
    int has_from = api_query_get(query, "from", from, sizeof from) == 0 && from[0];
    int has_to = api_query_get(query, "to", to, sizeof to) == 0 && to[0];
    if (has_from && cal_date_parse(from, &fd) != 0)
        return refuse(reason, len, 400, "from is not a date written YYYY-MM-DD");
    if (has_to && cal_date_parse(to, &td) != 0) return refuse(reason, len, 400, "to is not a date written YYYY-MM-DD");
    if (has_from && has_to && fd > td) return refuse(reason, len, 400, "from is after to");
    *lo = has_from ? cal_local_midnight(fd) : INT64_MIN;
    *hi = has_to ? cal_local_midnight(td + 1) : INT64_MAX;
    return 0;
}

/* 1 when s is exactly 7 digits (a child code). */
static int is_code(const char *s) { return strlen(s) == 7 && strspn(s, "0123456789") == 7; }

/* The policy the rules run with. */
static const struct gw_policy *policy_of(const struct api_in *in) { return in->cfg ? &in->cfg->policy : NULL; }

/* ---- GET /api/v1/children ------------------------------------------------------------ */

struct child_list {
    json_t *items;
    const struct gw_policy *pol;
    int64_t today;
    int limit, n, more;
    char last[8]; /* the last code listed */
};

/* Adds one child to the list; the row past the limit only tells there are more. */
static int list_child(void *arg, const struct store_file_child *r)
{
    struct child_list *l = arg;
    if (l->n == l->limit) {
        l->more = 1;
        return 0;
    }
    json_array_append_new(l->items, child_file_child_json(r, l->pol, l->today));
    gw_strlcpy(l->last, r->code, sizeof l->last);
    l->n++;
    return 0;
}

/* No audit row: a list opens no file, and it never holds a guardian's phone. */
static int run_children_list(const struct api_in *in, json_t *out, char *reason, size_t len)
{
    const char *under = scope_of(in->who);
    char q[QUERY_MAX + 1], cursor[CURSOR_MAX], today_iso[16];
    struct child_list l = {.items = json_array(), .pol = policy_of(in), .today = cal_local_day(in->now)};
    json_object_set_new(out, "items", l.items);
    int rc = list_limit(in->query, &l.limit, reason, len);
    if (rc) return rc;
    if (api_query_get(in->query, "q", q, sizeof q) == 0 && strlen(q) >= QUERY_MAX)
        return refuse(reason, len, 400, "q is too long");
    if (api_query_get(in->query, "cursor", cursor, sizeof cursor) == 0 && cursor[0] && !is_code(cursor))
        return refuse(reason, len, 400, "bad cursor");
    if (!under) {
        json_object_set_new(out, "next", json_null());
        return 200;
    }
    cal_date_iso(l.today, today_iso, sizeof today_iso);
    if (store_files_children_each(in->st, under, q, cursor, l.limit + 1, today_iso, list_child, &l) < 0) return -1;
    json_object_set_new(out, "next", l.more ? json_string(l.last) : json_null());
    return 200;
}

const struct api_endpoint api_children_list = {.action = AUTH_CHILDREN_READ, .run = run_children_list};

/* ---- GET /api/v1/children/{code} ---------------------------------------------------- */

/* The audit trail's name for the caller: "token:<name>", or a session's own
 * name ("staff:<id>"). */
static void actor_of(const struct auth_principal *who, char *out, size_t len)
{
    snprintf(out, len, "%s%s", who->kind == AUTH_TOKEN ? "token:" : "", who->name);
}

/* The purpose of opening a file (the query's, required) into purpose
 * (PURPOSE_MAX + 2 bytes), and the caller's scope: 0, or 400/404. */
static int file_request(const struct api_in *in, char *purpose, const char **under, char *reason, size_t len)
{
    if (api_query_get(in->query, "purpose", purpose, PURPOSE_MAX + 2) != 0 || !purpose[strspn(purpose, " \t")])
        return refuse(reason, len, 400, "purpose is required (why the file is opened, e.g. monthly review)");
    if (strlen(purpose) > PURPOSE_MAX) return refuse(reason, len, 400, "purpose is too long (200 bytes at most)");
    *under = scope_of(in->who);
    if (!*under || !is_code(in->id)) return refuse(reason, len, 404, "not found");
    return 0;
}

/* Reads the file of the path's child for a caller who stated why, and
 * leaves one audit row (action) naming it: 200 with *file, 400/404, or -1. */
static int read_file_audited(const struct api_in *in, const char *action, json_t **file, char *reason, size_t len)
{
    char purpose[PURPOSE_MAX + 2];
    const char *under;
    int rc = file_request(in, purpose, &under, reason, len);
    if (rc) return rc;
    int full = in->who->role == AUTH_ADMIN || in->who->role == AUTH_COUNTY;
    rc = child_file_build(in->st, policy_of(in), in->id, under, full, in->now, file);
    if (rc < 0) return -1;
    if (rc == 1) return refuse(reason, len, 404, "not found");
    char actor[AUTH_NAME_MAX + 16], records[32];
    actor_of(in->who, actor, sizeof actor);
    snprintf(records, sizeof records, "child:%s", in->id);
    if (audit_record(in->st, actor, auth_role_name(in->who->role), in->client, action, records, purpose, in->now) !=
        0) {
        json_decref(*file);
        return -1;
    }
    return 200;
}

/* Opening a file needs a purpose, and leaves one audit row naming it. */
static int run_child_file(const struct api_in *in, json_t *out, char *reason, size_t len)
{
    json_t *file;
    int rc = read_file_audited(in, "read child", &file, reason, len);
    if (rc != 200) return rc;
    json_object_update(out, file);
    json_decref(file);
    return 200;
}

const struct api_endpoint api_child_file = {.action = AUTH_CHILDREN_READ, .run = run_child_file};

/* ---- GET /api/v1/children/{code}/file.html ------------------------------------------ */

/* The same file as a printable page, audited as an export of it. */
static int run_child_file_html(const struct api_in *in, json_t *out, char *reason, size_t len)
{
    json_t *file;
    int rc = read_file_audited(in, "export file", &file, reason, len);
    if (rc != 200) return rc;
    struct gw_buf b = {0};
    child_file_html(file, &b);
    json_decref(file);
    json_object_set_new(out, "html", json_stringn(gw_buf_cstr(&b), b.len));
    gw_buf_free(&b);
    return 200;
}

const struct api_endpoint api_child_file_html = {.action = AUTH_CHILDREN_READ, .run = run_child_file_html, .html = 1};

/* ---- GET /api/v1/coverage -------------------------------------------------------------- */

static json_t *coverage_json(const struct coverage_row *r)
{
    json_t *o = json_object(), *open = json_object();
    json_object_set_new(o, "level", json_integer(r->level));
    json_object_set_new(o, "path", json_string(r->path));
    json_object_set_new(o, "children", json_integer(r->children));
    json_object_set_new(o, "aged_out", json_integer(r->aged_out));
    json_object_set_new(o, "in_person", json_integer(r->in_person));
    json_object_set_new(o, "remote_only", json_integer(r->remote_only));
    json_object_set_new(o, "overdue", json_integer(r->overdue));
    json_object_set_new(o, "overdue_long", json_integer(r->overdue_long));
    json_object_set_new(o, "away", json_integer(r->away));
    json_object_set_new(o, "contacted", json_integer(r->contacted));
    json_object_set_new(o, "directors", json_integer(r->directors));
    json_object_set_new(o, "big_one_director", json_integer(r->big_one_director));
    static const char *const prio[4] = {"P0", "P1", "P2", "P3"};
    for (int p = 0; p < 4; p++) json_object_set_new(open, prio[p], json_integer(r->open[p]));
    json_object_set_new(o, "open", open);
    json_object_set_new(o, "acks", json_integer(r->acks));
    json_object_set_new(o, "median_ack_minutes", r->acks > 0 ? json_real(r->median_ack_minutes) : json_null());
    return o;
}

/* The coverage report counts aggregates over the whole tree; only the rows
 * of regions at or under the (narrowed) scope are answered. */
static int run_coverage(const struct api_in *in, json_t *out, char *reason, size_t len)
{
    char under[REGION_Q_MAX];
    int64_t lo, hi;
    int rc = narrowed_scope(in, under, reason, len);
    if (rc) return rc;
    if ((rc = day_bounds(in->query, &lo, &hi, reason, len)) != 0) return rc;
    struct coverage c;
    if (coverage_compute(in->st, policy_of(in), in->now, lo, hi, &c) != 0) return -1;
    json_t *rows = json_array();
    for (size_t i = 0; i < c.n; i++)
        if (!under[0] || db_path_under(c.rows[i].path, under)) json_array_append_new(rows, coverage_json(&c.rows[i]));
    coverage_free(&c);
    json_object_set_new(out, "rows", rows);
    return 200;
}

const struct api_endpoint api_coverage = {.action = AUTH_CHILDREN_READ, .run = run_coverage};

/* ---- GET /api/v1/visits/due ------------------------------------------------------------ */

struct due_item {
    int64_t due;
    char code[8];
    json_t *item;
};

struct due_list {
    struct due_item *v;
    size_t n, cap;
    const struct gw_policy *pol;
    int64_t today;
    int overdue_days;
};

/* Keeps a child in scope whose visit is due today or was due before. */
static int due_child(void *arg, const struct store_file_child *r)
{
    struct due_list *l = arg;
    if (child_scope_end(l->pol, r->birth_date, r->categories) <= l->today) return 0;
    int64_t due = visit_due_for(l->pol, visit_high_cadence(r->flags, r->high_cadence), r->last_count, r->created_at);
    if (due == CAL_NO_DAY || due > l->today) return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    struct due_item *d = &l->v[l->n++];
    char iso[16];
    cal_date_iso(due, iso, sizeof iso);
    d->due = due;
    gw_strlcpy(d->code, r->code, sizeof d->code);
    d->item = json_object();
    json_object_set_new(d->item, "code", json_string(r->code));
    json_object_set_new(d->item, "name", json_str_or_null(r->name));
    json_object_set_new(d->item, "region", json_str_or_null(r->region));
    json_object_set_new(d->item, "due", json_string(iso));
    json_object_set_new(d->item, "days_past_due", json_integer(l->today - due));
    json_object_set_new(d->item, "overdue", json_boolean(l->today - due > l->overdue_days));
    json_object_set_new(d->item, "last_visit", json_str_or_null(r->last_count));
    return 0;
}

static int due_cmp(const void *a, const void *b)
{
    const struct due_item *x = a, *y = b;
    return x->due != y->due ? (x->due < y->due ? -1 : 1) : strcmp(x->code, y->code);
}

/* A visits/due cursor "YYYY-MM-DD.CODE": 0 with *due and code, -1 when bad. */
static int due_cursor(const char *s, int64_t *due, char code[8])
{
    char day[11];
    if (strlen(s) != 18 || s[10] != '.' || !is_code(s + 11)) return -1;
    memcpy(day, s, 10);
    day[10] = '\0';
    if (cal_date_parse(day, due) != 0) return -1;
    gw_strlcpy(code, s + 11, 8);
    return 0;
}

/* Answers the sorted due list from the cursor on. */
static void due_answer(struct due_list *l, const char *cursor, int limit, json_t *out)
{
    struct due_item from = {.due = INT64_MIN};
    if (cursor[0]) due_cursor(cursor, &from.due, from.code);
    json_t *items = json_array();
    const struct due_item *last = NULL;
    int n = 0, more = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (cursor[0] && due_cmp(&l->v[i], &from) <= 0) continue;
        if (n == limit) {
            more = 1;
            break;
        }
        json_array_append(items, l->v[i].item);
        last = &l->v[i];
        n++;
    }
    json_object_set_new(out, "items", items);
    char next[CURSOR_MAX] = "";
    if (more && last) {
        cal_date_iso(last->due, next, sizeof next);
        snprintf(next + 10, sizeof next - 10, ".%s", last->code);
    }
    json_object_set_new(out, "next", more ? json_string(next) : json_null());
}

/* Every child in scope is read (the due day is the domain's rule, not a
 * column), then sorted by due day and code. */
static int run_visits_due(const struct api_in *in, json_t *out, char *reason, size_t len)
{
    char under[REGION_Q_MAX], cursor[CURSOR_MAX], today_iso[16];
    int limit, rc = list_limit(in->query, &limit, reason, len);
    if (rc) return rc;
    int64_t cday;
    char ccode[8];
    if (api_query_get(in->query, "cursor", cursor, sizeof cursor) == 0 && cursor[0] &&
        due_cursor(cursor, &cday, ccode) != 0)
        return refuse(reason, len, 400, "bad cursor");
    if ((rc = narrowed_scope(in, under, reason, len)) != 0) return rc;
    struct gw_policy defaults = gw_policy_defaults();
    const struct gw_policy *pol = policy_of(in);
    struct due_list l = {.pol = pol, .today = cal_local_day(in->now)};
    l.overdue_days = pol && pol->overdue_days ? pol->overdue_days : defaults.overdue_days;
    cal_date_iso(l.today, today_iso, sizeof today_iso);
    rc = store_files_children_each(in->st, under, NULL, NULL, 0, today_iso, due_child, &l);
    if (rc >= 0) {
        if (l.n > 1) qsort(l.v, l.n, sizeof *l.v, due_cmp);
        due_answer(&l, cursor, limit, out);
        json_object_set_new(out, "today", json_string(today_iso));
    }
    for (size_t i = 0; i < l.n; i++) json_decref(l.v[i].item);
    free(l.v);
    return rc < 0 ? -1 : 200;
}

const struct api_endpoint api_visits_due = {.action = AUTH_CHILDREN_READ, .run = run_visits_due};

/* ---- GET /api/v1/audit ----------------------------------------------------------------- */

struct audit_list {
    json_t *items;
    int64_t lo, hi, last;
    int limit, n, more;
};

static int audit_row(void *arg, const struct store_audit_row *r)
{
    struct audit_list *l = arg;
    if (r->at < l->lo || r->at >= l->hi) return 0;
    if (l->n == l->limit) {
        l->more = 1;
        return 1;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_set_time(o, "at", r->at);
    json_object_set_new(o, "actor", json_string(r->actor));
    json_object_set_new(o, "role", json_string(r->role));
    json_object_set_new(o, "client", json_string(r->client));
    json_object_set_new(o, "action", json_string(r->action));
    json_object_set_new(o, "records", json_string(r->records));
    json_object_set_new(o, "purpose", json_string(r->purpose));
    json_object_set_new(o, "hash", json_string(r->hash));
    json_array_append_new(l->items, o);
    l->last = r->id;
    l->n++;
    return 0;
}

/* Reading the audit trail is not itself audited: each read would append a
 * row that the next read lists, chaining reads of reads; the token's last
 * use is still recorded. */
static int run_audit_list(const struct api_in *in, json_t *out, char *reason, size_t len)
{
    char cursor[CURSOR_MAX];
    struct audit_list l = {.items = json_array()};
    json_object_set_new(out, "items", l.items);
    int rc = list_limit(in->query, &l.limit, reason, len);
    if (rc) return rc;
    if ((rc = day_bounds(in->query, &l.lo, &l.hi, reason, len)) != 0) return rc;
    long after = 0;
    if (api_query_get(in->query, "cursor", cursor, sizeof cursor) == 0 && cursor[0] &&
        gw_parse_long(cursor, 1, INT32_MAX, &after) != 0)
        return refuse(reason, len, 400, "bad cursor");
    if (store_audit_each(in->st, (int64_t)after + 1, audit_row, &l) < 0) return -1;
    char next[24];
    snprintf(next, sizeof next, "%lld", (long long)l.last);
    json_object_set_new(out, "next", l.more ? json_string(next) : json_null());
    struct audit_problem bad;
    long rows = 0;
    rc = audit_verify(in->st, &bad, &rows, NULL);
    if (rc < 0) return -1;
    json_object_set_new(out, "chain", json_string(rc == 0 ? "intact" : bad.what));
    json_object_set_new(out, "chain_rows", json_integer(rows));
    return 200;
}

const struct api_endpoint api_audit_list = {.action = AUTH_AUDIT_READ, .run = run_audit_list};
