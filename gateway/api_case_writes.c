/* gateway/api_case_writes.c - POST /api/v1/cases/{number}/ack, /classify,
 * /note and /close (see api_case_writes.h). */
#include "api_case_writes.h"

#include <stdio.h>
#include <string.h>

#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/audit.h"
#include "../handlers/intents.h"
#include "../handlers/routing.h"
#include "api_cases.h"
#include "pipeline.h"

#define NOTE_MAX 1000 /* bytes of a note at most */

/* What a write asks of the domain, read from its body. */
struct write_req {
    const char *what;                     /* "ack", "classify", "assign", "note", "close" */
    int value;                            /* classify: the category; close: the outcome */
    const char *text;                     /* note: the text; close: the note or NULL (borrowed from body) */
    const char *depts[ROUTING_MAX_DEPTS]; /* assign: the departments (borrowed from body) */
    int ndepts;
    json_t *body; /* the parsed body, or NULL */
};

/* The staff member behind the caller's session, as the SMS handlers know
 * a sender (no phone: nothing is answered by SMS). 0, 1 when the session
 * or its staff member is gone, -1. */
static int session_sender(const struct api_in *in, struct h_sender *who)
{
    struct store_session_row row;
    memset(who, 0, sizeof *who);
    who->phone = "";
    int rc = store_session_by_hash(in->st, in->session, &row);
    if (rc != 0) return rc;
    if (row.staff_id != in->who->staff_id) return 1;
    who->is_staff = 1;
    who->staff.id = row.staff_id;
    gw_strlcpy(who->staff.role, row.role, sizeof who->staff.role);
    gw_strlcpy(who->staff.department, row.department, sizeof who->staff.department);
    return db_region_by_id(in->st, row.region_id, &who->staff.region);
}

/* Reads an assignment's "departments" (1..ROUTING_MAX_DEPTS known codes
 * or Chinese names) from w->body: 0, or 400 with reason. */
static int read_depts(struct write_req *w, char *reason, size_t reasonlen)
{
    json_t *a = json_object_get(w->body, "departments"), *d;
    size_t i;
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > ROUTING_MAX_DEPTS) {
        snprintf(reason, reasonlen, "departments must be an array of 1-%d department codes", ROUTING_MAX_DEPTS);
        return 400;
    }
    json_array_foreach(a, i, d)
    {
        const char *name = json_string_value(d);
        if (!name || !routing_dept_code(name)) {
            snprintf(reason, reasonlen, "unknown department '%.40s'", name ? name : "");
            return 400;
        }
        w->depts[w->ndepts++] = name;
    }
    return 0;
}

/* Reads the body of a write into *w: 0, or 400 with reason. */
static int read_body(const struct api_in *in, struct write_req *w, char *reason, size_t reasonlen)
{
    w->body = NULL;
    if (!strcmp(w->what, "ack") && in->body_len == 0) return 0;
    json_error_t jerr;
    w->body = json_loadb(in->body, in->body_len, 0, &jerr);
    if (!json_is_object(w->body)) {
        snprintf(reason, reasonlen, "the body must be a JSON object");
        return 400;
    }
    if (!strcmp(w->what, "classify")) {
        json_t *v = json_object_get(w->body, "category");
        w->value = json_is_integer(v) ? (int)json_integer_value(v) : 0;
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 9) {
            snprintf(reason, reasonlen, "category must be an integer 1-9");
            return 400;
        }
    } else if (!strcmp(w->what, "close")) {
        json_t *v = json_object_get(w->body, "outcome"), *note = json_object_get(w->body, "note");
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4) {
            snprintf(reason, reasonlen, "outcome must be an integer 1-4");
            return 400;
        }
        w->value = (int)json_integer_value(v);
        if (note && !json_is_null(note) && (!json_is_string(note) || strlen(json_string_value(note)) > NOTE_MAX)) {
            snprintf(reason, reasonlen, "note must be a string of at most %d bytes", NOTE_MAX);
            return 400;
        }
        w->text = json_is_string(note) && json_string_value(note)[0] ? json_string_value(note) : NULL;
    } else if (!strcmp(w->what, "assign")) {
        return read_depts(w, reason, reasonlen);
    } else if (!strcmp(w->what, "note")) {
        json_t *t = json_object_get(w->body, "text");
        const char *s = json_is_string(t) ? json_string_value(t) : NULL;
        if (!s || !s[0] || strlen(s) > NOTE_MAX) {
            snprintf(reason, reasonlen, "text must be a non-empty string of at most %d bytes", NOTE_MAX);
            return 400;
        }
        w->text = s;
    }
    return 0;
}

/* The HTTP status of the domain's refusal res (result "refused" or
 * "invalid"), reason filled. */
static int refusal_status(const struct h_result *res, char *reason, size_t reasonlen)
{
    static const struct {
        const char *detail;
        int status;
        const char *why;
    } map[] = {
        {"not_responder", 403, "only a responder or an admin acts on a case"},
        {"not_routed", 403, "the case is not routed to you"},
        {"not_triage", 403, "only the county's civil-affairs triage or an admin classifies a case"},
        {"case_unknown", 404, "not found"},
        {"case_closed", 409, "the case is closed"},
        {"department_unknown", 400, "unknown department"},
        {"already_acknowledged", 409, "the case is already acknowledged"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(res->detail, map[i].detail)) {
            snprintf(reason, reasonlen, "%s", map[i].why);
            return map[i].status;
        }
    snprintf(reason, reasonlen, "%s", res->detail[0] ? res->detail : "refused");
    return res->result && !strcmp(res->result, "invalid") ? 400 : 409;
}

/* Runs the domain function of w on case number for who into res. 0 or -1. */
static int run_domain(const struct api_in *in, const struct write_req *w, const struct h_sender *who,
                      const struct db_case_detail *d, struct h_result *res)
{
    struct h_env env = {.st = in->st, .pol = &in->cfg->policy};
    struct h_msg m = {.channel = "api", .from = "", .text = "", .now = in->now};
    const char *number = d->row.number;
    if (!strcmp(w->what, "ack")) return h_case_ack(&env, &m, who, number, res);
    if (!strcmp(w->what, "classify")) return h_case_classify(&env, &m, who, number, w->value, res);
    if (!strcmp(w->what, "close")) return h_case_close(&env, &m, who, number, w->value, w->text, res);
    if (!strcmp(w->what, "assign")) return h_case_assign(&env, &m, who, number, w->depts, w->ndepts, res);
    if (db_case_event(in->st, d->row.id, "note", who->staff.id, w->text, in->now) != 0) return -1;
    res->result = "ok";
    snprintf(res->detail, sizeof res->detail, "noted");
    return 0;
}

/* Queues what the domain produced, but the answer to the sender (the JSON
 * answer is that): *queued gets how many rows were written. 0 or -1. */
static int queue_replies(const struct api_in *in, const struct h_result *res, int *queued)
{
    *queued = 0;
    for (int i = 0; i < res->nreplies; i++) {
        const struct h_reply *r = &res->replies[i];
        if (r->kind == H_REPLY && !r->to[0]) continue;
        int rc = pipeline_queue(in->st, in->cfg, r, in->now);
        if (rc < 0) return -1;
        if (rc == 0) ++*queued;
    }
    return 0;
}

/* The answer of a write done: the case's state after it. 0 or -1. */
static int answer_json(const struct api_in *in, const struct h_result *res, const char *number, int queued, json_t *out)
{
    struct db_case c;
    if (db_case_by_number(in->st, number, &c) != 0) return -1;
    json_object_set_new(out, "case", json_string(c.number));
    json_object_set_new(out, "status", json_string(c.status));
    json_object_set_new(out, "category", json_integer(c.category));
    json_object_set_new(out, "classified", json_boolean(c.classified));
    json_object_set_new(out, "priority", json_integer(c.priority));
    json_object_set_new(out, "result", json_string(res->result ? res->result : "ok"));
    json_object_set_new(out, "detail", json_string(res->detail));
    json_object_set_new(out, "queued", json_integer(queued));
    return 0;
}

/* A write of w on the case in->id: person, body, scope, domain, outbox,
 * audit. The HTTP status, or -1. */
static int write_case(const struct api_in *in, struct write_req *w, json_t *out, char *reason, size_t reasonlen)
{
    if (in->who->kind != AUTH_SESSION || in->who->staff_id <= 0 || !in->session || !in->session[0]) {
        snprintf(reason, reasonlen, "sign in as a person to act on a case");
        return 403;
    }
    int status = read_body(in, w, reason, reasonlen);
    if (status != 0) return status;
    struct db_case_detail d;
    int rc = api_case_find(in, &d, reason, reasonlen);
    if (rc) return rc;
    struct h_sender who;
    struct h_result res;
    h_result_init(&res);
    char number[DB_CASE_NO_MAX + 1];
    gw_strlcpy(number, d.row.number, sizeof number);
    rc = session_sender(in, &who);
    if (rc == 0) rc = run_domain(in, w, &who, &d, &res);
    db_case_detail_free(&d);
    if (rc == 1) {
        snprintf(reason, reasonlen, "sign in as a person to act on a case");
        return 403;
    }
    if (rc != 0) return -1;
    if (!res.result || strcmp(res.result, "ok") != 0) return refusal_status(&res, reason, reasonlen);
    int queued = 0;
    if (queue_replies(in, &res, &queued) != 0 || answer_json(in, &res, number, queued, out) != 0) return -1;
    char actor[AUTH_NAME_MAX + 8], action[24], records[40];
    auth_actor(in->who, actor, sizeof actor);
    snprintf(action, sizeof action, "case %s", w->what);
    snprintf(records, sizeof records, "case:%s", number);
    if (audit_record(in->st, actor, auth_role_name(in->who->role), in->client, action, records, NULL, in->now) != 0)
        return -1;
    return 200;
}

/* Runs write_case for what, freeing the parsed body. */
static int run_write(const struct api_in *in, const char *what, json_t *out, char *reason, size_t reasonlen)
{
    struct write_req w = {.what = what};
    int status = write_case(in, &w, out, reason, reasonlen);
    json_decref(w.body);
    return status;
}

static int run_ack(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    return run_write(in, "ack", out, reason, reasonlen);
}

static int run_classify(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    return run_write(in, "classify", out, reason, reasonlen);
}

static int run_assign(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    return run_write(in, "assign", out, reason, reasonlen);
}

static int run_note(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    return run_write(in, "note", out, reason, reasonlen);
}

static int run_close(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    return run_write(in, "close", out, reason, reasonlen);
}

const struct api_endpoint api_case_ack = {.action = AUTH_CASES_WRITE, .run = run_ack};
const struct api_endpoint api_case_classify = {.action = AUTH_CASES_WRITE, .run = run_classify};
const struct api_endpoint api_case_assign = {.action = AUTH_CASES_WRITE, .run = run_assign};
const struct api_endpoint api_case_note = {.action = AUTH_CASES_WRITE, .run = run_note};
const struct api_endpoint api_case_close = {.action = AUTH_CASES_WRITE, .run = run_close};
