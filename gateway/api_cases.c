/* gateway/api_cases.c - GET /api/v1/cases and GET /api/v1/cases/{number}. */
#include "api_cases.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/audit.h"
#include "../handlers/deadline.h"

#define LIST_DEFAULT 50
#define LIST_MAX     200

/* The store scope of the caller: nothing for a role or principal that has
 * no region (or responder without a department) where one is needed. */
int api_case_find(const struct api_in *in, struct db_case_detail *d, char *reason, size_t reasonlen)
{
    struct db_case_scope sc = api_case_scope(in->who);
    int rc = db_case_get(in->st, &sc, in->id, (int64_t)in->cfg->policy.ack_minutes_p0 * 60,
                         (int64_t)in->cfg->policy.ack_minutes_p1 * 60, d);
    if (rc < 0) return -1;
    if (rc == 1) {
        snprintf(reason, reasonlen, "not found");
        return 404;
    }
    return 0;
}

struct db_case_scope api_case_scope(const struct auth_principal *who)
{
    struct db_case_scope sc = {.kind = DB_SCOPE_NONE, .region_id = who->region_id};
    if (who->role == AUTH_ADMIN) {
        sc.kind = DB_SCOPE_ALL;
        return sc;
    }
    if (who->region_id <= 0) return sc;
    switch (who->role) {
    case AUTH_COUNTY: sc.kind = DB_SCOPE_COUNTY; break;
    case AUTH_SUPERVISOR:
        if (who->region[0]) sc.kind = DB_SCOPE_UNDER;
        sc.path = who->region;
        break;
    case AUTH_RESPONDER:
        if (who->department[0]) sc.kind = DB_SCOPE_DEPT;
        sc.department = who->department;
        break;
    case AUTH_DIRECTOR: sc.kind = DB_SCOPE_REGION; break;
    default: break;
    }
    return sc;
}

/* Unix time t as ISO 8601 local time with its offset ("2026-03-01T08:30:00+08:00"). */
static json_t *iso_time(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm)) return json_null();
    char s[40];
    size_t n = strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    snprintf(s + n, sizeof s - n, "%c%02ld:%02ld", sign, off / 3600, off / 60 % 60);
    return json_string(s);
}

/* iso_time, or null for 0 (not yet). */
static json_t *iso_or_null(int64_t t) { return t ? iso_time(t) : json_null(); }

/* The departments "a,b" as a JSON array. */
static json_t *dept_array(const char *depts)
{
    json_t *a = json_array();
    for (const char *p = depts; *p;) {
        size_t n = strcspn(p, ",");
        if (n) json_array_append_new(a, json_stringn(p, n));
        p += n;
        p += strspn(p, ",");
    }
    return a;
}

/* The fields a case has in lists and in its detail. */
static json_t *case_item(const struct api_in *in, const struct db_case_row *c)
{
    struct case_clock clock = {.open = !strcmp(c->status, "open"),
                               .held = c->held,
                               .priority = c->priority,
                               .triage = c->triage,
                               .since = c->since};
    int64_t deadline = case_ack_deadline(&in->cfg->policy, &clock);
    char pri[4];
    snprintf(pri, sizeof pri, "P%d", c->priority & 3);
    json_t *o = json_object();
    json_object_set_new(o, "number", json_string(c->number));
    json_object_set_new(o, "category", json_integer(c->category));
    json_object_set_new(o, "classified", json_boolean(c->classified));
    json_object_set_new(o, "inferred", json_boolean(c->inferred));
    json_object_set_new(o, "priority", json_string(pri));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "opened_at", iso_time(c->opened_at));
    json_object_set_new(o, "acked_at", iso_or_null(c->acked_at));
    json_object_set_new(o, "closed_at", iso_or_null(c->closed_at));
    json_object_set_new(o, "deadline", iso_or_null(deadline));
    json_object_set_new(o, "seconds_left", deadline ? json_integer(deadline - in->now) : json_null());
    json_object_set_new(o, "region", c->region[0] ? json_string(c->region) : json_null());
    json_object_set_new(o, "departments", dept_array(c->depts));
    return o;
}

/* ---- the cursor ----------------------------------------------------------------- */

/* The cursor after key k: its six numbers, dot-separated. */
static void cursor_write(const struct db_case_key *k, char *out, size_t outlen)
{
    snprintf(out, outlen, "%" PRId64 ".%" PRId64 ".%" PRId64 ".%" PRId64 ".%" PRId64 ".%" PRId64, k->classified,
             k->plain, k->priority, k->deadline, k->opened_at, k->id);
}

/* Reads a cursor_write cursor: 0, or -1 when s is not one. */
static int cursor_read(const char *s, struct db_case_key *k)
{
    int64_t v[6];
    const char *p = s;
    for (int i = 0; i < 6; i++) {
        if (*p < '0' || *p > '9') return -1;
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (errno || *end != (i < 5 ? '.' : '\0')) return -1;
        v[i] = x;
        p = end + (i < 5);
    }
    *k = (struct db_case_key){v[0], v[1], v[2], v[3], v[4], v[5]};
    return 0;
}

/* ---- GET /api/v1/cases ------------------------------------------------------------ */

/* Reads the list's query string into q (after: key storage for the
 * cursor). 0, or 400 with reason. */
static int list_params(const struct api_in *in, struct db_case_query *q, struct db_case_key *after, char *region,
                       size_t regionlen, char *reason, size_t reasonlen)
{
    char v[DB_PATH_MAX];
    if (api_query_get(in->query, "status", v, sizeof v) == 0 && v[0]) {
        if (!strcmp(v, "open")) {
            q->status = DB_CASES_OPEN;
        } else if (!strcmp(v, "closed")) {
            q->status = DB_CASES_CLOSED;
        } else if (!strcmp(v, "all")) {
            q->status = DB_CASES_ALL;
        } else {
            snprintf(reason, reasonlen, "status must be open, closed or all");
            return 400;
        }
    }
    if (api_query_get(in->query, "priority", v, sizeof v) == 0 && v[0]) {
        if (v[0] < '0' || v[0] > '3' || v[1]) {
            snprintf(reason, reasonlen, "priority must be 0, 1, 2 or 3");
            return 400;
        }
        q->priority = v[0] - '0';
    }
    if (api_query_get(in->query, "region", region, regionlen) == 0 && region[0]) q->region = region;
    if (api_query_get(in->query, "limit", v, sizeof v) == 0 && v[0]) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || v[0] < '0' || v[0] > '9' || n < 1 || n > LIST_MAX) {
            snprintf(reason, reasonlen, "limit must be 1 to %d", LIST_MAX);
            return 400;
        }
        q->limit = (int)n;
    }
    if (api_query_get(in->query, "cursor", v, sizeof v) == 0 && v[0]) {
        if (cursor_read(v, after) != 0) {
            snprintf(reason, reasonlen, "bad cursor");
            return 400;
        }
        q->after = after;
    }
    return 0;
}

struct list_acc {
    const struct api_in *in;
    json_t *items;
    int want; /* the page's size: one row more tells that there is a next page */
    int n;
    struct db_case_key last;
    int more;
};

static int list_row(void *arg, const struct db_case_row *c)
{
    struct list_acc *a = arg;
    if (a->n == a->want) {
        a->more = 1;
        return 1;
    }
    json_array_append_new(a->items, case_item(a->in, c));
    a->last = c->key;
    a->n++;
    return 0;
}

static int run_list(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    struct db_case_key after;
    char region[DB_PATH_MAX];
    struct db_case_query q = {.scope = api_case_scope(in->who),
                              .status = DB_CASES_OPEN,
                              .priority = -1,
                              .ack_p0 = (int64_t)in->cfg->policy.ack_minutes_p0 * 60,
                              .ack_p1 = (int64_t)in->cfg->policy.ack_minutes_p1 * 60,
                              .limit = LIST_DEFAULT};
    int rc = list_params(in, &q, &after, region, sizeof region, reason, reasonlen);
    if (rc != 0) return rc;
    struct list_acc a = {.in = in, .items = json_array(), .want = q.limit};
    q.limit = a.want + 1;
    rc = db_cases_list(in->st, &q, list_row, &a);
    if (rc < 0) {
        json_decref(a.items);
        return -1;
    }
    json_object_set_new(out, "cases", a.items);
    char next[160];
    cursor_write(&a.last, next, sizeof next);
    json_object_set_new(out, "next", a.more ? json_string(next) : json_null());
    return 200;
}

const struct api_endpoint api_cases_list = {.action = AUTH_CASES_READ, .run = run_list};

/* ---- GET /api/v1/cases/{number} ------------------------------------------------------ */

static int event_row(void *arg, const struct db_case_event_row *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "at", iso_time(e->at));
    json_object_set_new(o, "kind", json_string(e->kind));
    json_object_set_new(o, "detail", e->detail ? json_string(e->detail) : json_null());
    json_array_append_new(arg, o);
    return 0;
}

static int media_row(void *arg, const struct db_case_media_row *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "status", json_string(m->status));
    json_object_set_new(o, "bytes", m->bytes >= 0 ? json_integer(m->bytes) : json_null());
    json_object_set_new(o, "content_type", m->content_type ? json_string(m->content_type) : json_null());
    json_object_set_new(o, "created_at", iso_time(m->created_at));
    json_array_append_new(arg, o);
    return 0;
}

/* The reporter's phone as the caller may see it: whole for admin and
 * county, masked for the others; null when there is no reporter. */
static json_t *reporter_json(const struct auth_principal *who, const char *phone)
{
    if (!phone[0]) return json_null();
    if (who->role == AUTH_ADMIN || who->role == AUTH_COUNTY) return json_string(phone);
    char masked[GW_MASK_LEN];
    return json_string(gw_mask_phone(phone, masked));
}

/* Fills out with d's detail: the item, description, child, reporter,
 * events and recordings. 0, or -1 on a store error. */
static int detail_json(const struct api_in *in, const struct db_case_detail *d, json_t *out)
{
    json_t *item = case_item(in, &d->row);
    json_object_update(out, item);
    json_decref(item);
    json_object_set_new(out, "description", d->description ? json_string(d->description) : json_null());
    json_t *child = json_null();
    if (d->child_code[0]) {
        child = json_object();
        json_object_set_new(child, "code", json_string(d->child_code));
        json_object_set_new(child, "name", json_string(d->child_name));
    }
    json_object_set_new(out, "child", child);
    json_object_set_new(out, "reporter", reporter_json(in->who, d->reporter_phone));
    json_t *events = json_array(), *media = json_array();
    json_object_set_new(out, "events", events);
    json_object_set_new(out, "recordings", media);
    if (db_case_events_list(in->st, d->row.id, event_row, events) != 0) return -1;
    return db_case_media_list(in->st, d->row.id, media_row, media) != 0 ? -1 : 0;
}

static int run_get(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    struct db_case_detail d;
    int rc = api_case_find(in, &d, reason, reasonlen);
    if (rc) return rc;
    rc = detail_json(in, &d, out);
    char actor[AUTH_NAME_MAX + 8], records[40];
    snprintf(actor, sizeof actor, "%s:%s", in->who->kind == AUTH_SESSION ? "session" : "token", in->who->name);
    snprintf(records, sizeof records, "case:%s", d.row.number);
    db_case_detail_free(&d);
    if (rc != 0) return -1;
    if (audit_record(in->st, actor, auth_role_name(in->who->role), in->client, "read case", records, NULL, in->now) !=
        0)
        return -1;
    return 200;
}

const struct api_endpoint api_case_get = {.action = AUTH_CASES_READ, .run = run_get};
