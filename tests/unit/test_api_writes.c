/* tests/unit/test_api_writes.c - the office API's case writes and its
 * OpenAPI description, in-process: requests go through routes_handle with
 * a staff member's session (signed in with the code read from its outbox
 * row), their jobs through a stand-in writer (pipeline_batch on a real
 * SQLite file, at once, at a clock the test sets). A classification by the
 * API is compared with the same SMS command (FL) on an identical case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/pipeline.h"
#include "../../gateway/routes.h"
#include "../../handlers/audit.h"
#include "../../handlers/auth.h"
#include "../../handlers/session.h"
#include "../common/apiclient.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define T0 1749960000LL /* 2025-06-15T12:00:00+08:00, a Sunday */

#define V_SW     "示例县/东溪镇/上湾村"
#define V_NB     "邻县/北镇/北村"
#define CHILD    "1000015" /* a Damm-valid code */
#define REPORTER "+8613900000001"
#define DIRECTOR "13800000101" /* the child's village */
#define POLICE   "13800000201" /* 示例县's police responder */
#define TRIAGE   "13800000301" /* 示例县's civil-affairs responder */
#define TEACHER  "13800000401" /* 示例县's education responder */

static struct apiclient api; /* api.now: the writer's clock */

/* The cases: two identical unclassified ones (the API's and the SMS's), one in another county. */
enum { C_API, C_SMS, C_NB, NCASES };
static char numbers[NCASES][DB_CASE_NO_MAX + 1];
static int64_t case_ids[NCASES];

/* The sessions: cookie and CSRF token of each staff member signed in. */
static struct api_session police, triage, director;

/* ---- requests ---------------------------------------------------------------------- */

/* Sends method path with body (may be NULL) as who (may be NULL: no
 * session) with its CSRF token unless csrf is 0, or with the bearer token
 * (may be NULL); fills a. */
static void send_req(const char *method, const char *path, const char *body, const struct api_session *who, int csrf,
                     const char *token, struct answer *a)
{
    api_request(&api, method, path, body, token, who ? who->cookie : NULL, who && csrf ? who->csrf : NULL, NULL, a);
}

/* POST /api/v1/cases/{number}/what with body as who: the status; the
 * error into err (160 bytes, may be NULL). */
static int case_post(const struct api_session *who, int idx, const char *what, const char *body, char *err)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cases/%s/%s", numbers[idx], what);
    struct answer a;
    send_req("POST", path, body, who, 1, NULL, &a);
    if (err) snprintf(err, 160, "%s", a.error);
    int status = a.status;
    answer_free(&a);
    return status;
}

/* Runs an SMS from +86 phone with text through the pipeline, as a hook would. */
static void sms(const char *phone, const char *text)
{
    static int seq;
    struct pipeline_job job = {.kind = PIPELINE_JOB_SMS};
    struct gw_msg *m = gw_msgv_push(&job.msgs);
    char id[32], from[32];
    snprintf(id, sizeof id, "t-%d", ++seq);
    snprintf(from, sizeof from, "+86%s", phone);
    m->channel = gw_strdup("generic");
    m->provider_id = gw_strdup(id);
    m->from = gw_strdup(from);
    m->text = gw_strdup(text);
    apiclient_submit(&api, &job);
    assert_int_equal(job.ok, 1);
    gw_msgv_free(&job.msgs);
    pipeline_job_clear(&job);
}

/* ---- setup ---------------------------------------------------------------------------- */

/* An unclassified case about CHILD from REPORTER, alerted to triage, at `at`. */
static void open_case(int idx, int64_t county, int64_t region, const char *dept, int classified, int64_t at)
{
    const char *depts[] = {dept};
    struct db_case_new c = {.category = classified ? 1 : 9,
                            .classified = classified,
                            .priority = classified ? 0 : 1,
                            .depts = depts,
                            .ndepts = 1,
                            .county_id = county,
                            .region_id = region,
                            .reporter_id = seed_reporter(api.st, REPORTER, at)};
    if (!classified) c.child_id = seed_child_id(api.st, CHILD);
    case_ids[idx] = seed_case(api.st, &c, at, numbers[idx]);
}

static int setup(void **state)
{
    if (apiclient_open(&api, "gw-apiwrites", NULL) != 0) return -1;
    int64_t old = T0 - 100 * 86400;
    seed_roster(api.st, "regions", "path\n" V_SW "\n" V_NB "\n", old);
    seed_roster(api.st, "staff",
                "phone,name,role,region,department\n"
                "+86" DIRECTOR ",甲,director," V_SW ",\n"
                "+86" POLICE ",乙,responder,示例县,police\n"
                "+86" TRIAGE ",丙,responder,示例县,civil_affairs\n"
                "+86" TEACHER ",丁,responder,示例县,education\n",
                old);
    seed_roster(api.st, "children",
                "code,name,sex,birth_date,region,categories,flags\n" CHILD ",小甲,M,2016-05-01," V_SW ",left_behind,\n",
                old);
    int64_t county = seed_region_id(api.st, "示例县"), nb = seed_region_id(api.st, "邻县");
    open_case(C_API, county, seed_region_id(api.st, V_SW), "civil_affairs", 0, T0);
    open_case(C_SMS, county, seed_region_id(api.st, V_SW), "civil_affairs", 0, T0 + 60);
    open_case(C_NB, nb, seed_region_id(api.st, V_NB), "police", 1, T0 + 120);
    api.now = T0 + 600;
    api_sign_in(&api, POLICE, &police);
    api_sign_in(&api, TRIAGE, &triage);
    api_sign_in(&api, DIRECTOR, &director);
    return 0;
}

static int teardown(void **state) { return apiclient_close(&api); }

/* Each test a minute after the one before: the sessions stay fresh. */
static int next_minute(void **state)
{
    api.now += 60;
    return 0;
}

/* The case's outbox rows of kind (recipient, template, priority, hold), in recipient order, into out. */
static char *rows_of(int idx, const char *kind)
{
    return tdb_text(api.dbpath,
                   "SELECT coalesce(group_concat(r, ';'), '') FROM (SELECT recipient || '/' || template || '/' || "
                   "priority || '/' || CAST(next_attempt_at > created_at AS INTEGER) AS r FROM outbox WHERE case_id = %lld AND "
                   "kind = '%s' ORDER BY recipient) AS t",
                   (long long)case_ids[idx], kind);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void classify_alerts_as_the_sms_does(void **state)
{
    struct answer a;
    send_req("POST", "/api/v1/cases/x/classify", "{\"category\":4}", &triage, 1, NULL, &a);
    assert_int_equal(a.status, 404);
    answer_free(&a);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cases/%s/classify", numbers[C_API]);
    send_req("POST", path, "{\"category\":4}", &triage, 1, NULL, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(json_string_value(json_object_get(a.json, "case")), numbers[C_API]);
    assert_string_equal(json_string_value(json_object_get(a.json, "status")), "open");
    assert_int_equal(json_integer_value(json_object_get(a.json, "category")), 4);
    assert_int_equal(json_integer_value(json_object_get(a.json, "priority")), 0);
    assert_true(json_integer_value(json_object_get(a.json, "queued")) >= 2);
    answer_free(&a);
    /* The police responder is alerted, the village told; nothing answers the classifier by SMS. */
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM outbox WHERE case_id = %lld AND recipient = '+86" POLICE
                            "' AND kind = 'alert' AND template = 'case_alert'",
                            (long long)case_ids[C_API]),
                     1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM outbox WHERE recipient = '+86" TRIAGE "' AND kind = 'reply'"),
                     0);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM case_event WHERE case_id = %lld AND kind = 'classified'",
                            (long long)case_ids[C_API]),
                     1);

    /* The same command by SMS on the identical case produces the same alerts and notices. */
    char text[64];
    snprintf(text, sizeof text, "FL %s 4", numbers[C_SMS]);
    sms(TRIAGE, text);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM outbox WHERE recipient = '+86" TRIAGE "' AND kind = 'reply'"),
                     1);
    char *api_alerts = rows_of(C_API, "alert"), *sms_alerts = rows_of(C_SMS, "alert");
    char *api_notices = rows_of(C_API, "notice"), *sms_notices = rows_of(C_SMS, "notice");
    assert_non_null(api_alerts);
    assert_non_null(api_notices);
    assert_string_equal(api_alerts, sms_alerts);
    assert_string_equal(api_notices, sms_notices);
    assert_non_null(strstr(api_alerts, "+86" POLICE "/case_alert/"));
    assert_non_null(strstr(api_notices, "+86" DIRECTOR "/case_village_notice/"));
    free(api_alerts);
    free(sms_alerts);
    free(api_notices);
    free(sms_notices);
}

static void ack_note_close(void **state)
{
    char err[160];
    /* The director may not write cases at all; triage (civil affairs, routed for category 4) acknowledges. */
    assert_int_equal(case_post(&director, C_API, "ack", NULL, err), 403);
    assert_int_equal(case_post(&triage, C_API, "ack", "{}", err), 200);
    assert_int_equal(case_post(&police, C_API, "ack", NULL, err), 409);
    assert_string_equal(err, "the case is already acknowledged");
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM cases WHERE id = %lld AND status = 'acknowledged'",
                            (long long)case_ids[C_API]),
                     1);
    assert_int_equal(case_post(&police, C_API, "note", "{\"text\":\"已到场\"}", err), 200);
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM case_event WHERE case_id = %lld AND kind = 'note' AND detail = "
                            "'已到场' AND staff_id = %lld",
                            (long long)case_ids[C_API], (long long)seed_staff_id(api.st, "+86" POLICE)),
                     1);
    assert_int_equal(case_post(&police, C_API, "close", "{\"outcome\":1,\"note\":\"已找到\"}", err), 200);
    /* The reporter is told the report was handled. */
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM outbox WHERE case_id = %lld AND recipient = '" REPORTER
                            "' AND template = 'case_closed_reporter' AND kind = 'notice'",
                            (long long)case_ids[C_API]),
                     1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM cases WHERE id = %lld AND status = 'closed' AND outcome = 1",
                            (long long)case_ids[C_API]),
                     1);
    assert_int_equal(case_post(&police, C_API, "close", "{\"outcome\":2}", err), 409);
    assert_string_equal(err, "the case is closed");
    assert_int_equal(case_post(&triage, C_API, "classify", "{\"category\":5}", err), 409);
}

static void a_token_may_not_act(void **state)
{
    struct auth_token_spec spec = {.name = "office-app", .role = "admin"};
    char token[AUTH_TOKEN_LEN], err[160];
    assert_int_equal(auth_token_create(api.st, &spec, api.now, token, err, sizeof err), 0);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cases/%s/ack", numbers[C_SMS]);
    struct answer a;
    send_req("POST", path, NULL, NULL, 0, token, &a);
    assert_int_equal(a.status, 403);
    assert_string_equal(a.error, "sign in as a person to act on a case");
    answer_free(&a);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM cases WHERE id = %lld AND status = 'open'",
                            (long long)case_ids[C_SMS]),
                     1);
}

static void outside_scope_is_not_found(void **state)
{
    char err[160];
    assert_int_equal(case_post(&police, C_NB, "ack", NULL, err), 404);
    assert_string_equal(err, "not found");
    assert_int_equal(case_post(&police, C_NB, "note", "{\"text\":\"x\"}", err), 404);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM case_event WHERE case_id = %lld AND kind = 'note'",
                            (long long)case_ids[C_NB]),
                     0);
}

static void bad_bodies(void **state)
{
    char err[160];
    assert_int_equal(case_post(&triage, C_SMS, "classify", "not json", err), 400);
    assert_int_equal(case_post(&triage, C_SMS, "classify", "{\"category\":\"4\"}", err), 400);
    assert_int_equal(case_post(&triage, C_SMS, "classify", "{\"category\":10}", err), 400);
    assert_string_equal(err, "category must be an integer 1-9");
    assert_int_equal(case_post(&triage, C_SMS, "classify", "{\"category\":0}", err), 400);
    assert_int_equal(case_post(&police, C_SMS, "close", "{\"outcome\":5}", err), 400);
    assert_int_equal(case_post(&police, C_SMS, "close", "{\"outcome\":1,\"note\":7}", err), 400);
    assert_int_equal(case_post(&police, C_SMS, "note", "{}", err), 400);
    assert_int_equal(case_post(&police, C_SMS, "note", "[\"x\"]", err), 400);
    /* A session without its CSRF token changes nothing. */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cases/%s/ack", numbers[C_SMS]);
    struct answer a;
    send_req("POST", path, NULL, &police, 0, NULL, &a);
    assert_int_equal(a.status, 403);
    answer_free(&a);
    send_req("GET", path, NULL, &police, 1, NULL, &a);
    assert_int_equal(a.status, 405);
    answer_free(&a);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM cases WHERE id = %lld AND status = 'open'",
                            (long long)case_ids[C_SMS]),
                     1);
}

static void assign_alerts_the_departments_added(void **state)
{
    char err[160];
    /* The SMS-classified case (category 4: police and civil affairs) gets education too. */
    assert_int_equal(case_post(&police, C_SMS, "assign", "{\"departments\":[\"education\"]}", err), 403);
    assert_int_equal(case_post(&triage, C_SMS, "assign", "{\"departments\":[\"army\"]}", err), 400);
    assert_string_equal(err, "unknown department 'army'");
    assert_int_equal(case_post(&triage, C_SMS, "assign", "{\"departments\":[]}", err), 400);
    assert_int_equal(case_post(&triage, C_SMS, "assign", "{\"departments\":\"police\"}", err), 400);
    assert_int_equal(
        case_post(&triage, C_SMS, "assign", "{\"departments\":[\"police\",\"民政\",\"education\"]}", err), 200);
    long long id = (long long)case_ids[C_SMS];
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM outbox WHERE case_id = %lld AND recipient = '+86" TEACHER
                            "' AND kind = 'alert' AND template = 'case_alert'",
                            id),
                     1);
    /* Those already routed are not alerted again. */
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM outbox WHERE case_id = %lld AND recipient = '+86" POLICE
                            "' AND kind = 'alert'",
                            id),
                     1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM case_dept WHERE case_id = %lld", id), 3);
    assert_int_equal(
        tdb_int(api.dbpath,
               "SELECT count(*) FROM case_event WHERE case_id = %lld AND kind = 'assigned' AND staff_id = %lld", id,
               (long long)seed_staff_id(api.st, "+86" TRIAGE)),
        1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM cases WHERE id = %lld AND category = 4 AND status = 'open'",
                            id),
                     1);
    /* The same departments again: nobody new to alert. */
    assert_int_equal(
        case_post(&triage, C_SMS, "assign", "{\"departments\":[\"police\",\"civil_affairs\",\"education\"]}", err),
        200);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'alert'", id),
                     tdb_int(api.dbpath, "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'alert' AND "
                                    "created_at < %lld",
                            id, (long long)api.now) +
                         1);
    /* A closed case keeps its departments. */
    assert_int_equal(case_post(&triage, C_API, "assign", "{\"departments\":[\"education\"]}", err), 409);
}

static void every_write_is_audited(void **state)
{
    int64_t t = seed_staff_id(api.st, "+86" TRIAGE), p = seed_staff_id(api.st, "+86" POLICE);
    const char *n = numbers[C_API];
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM audit WHERE actor = 'staff:%lld' AND role = 'responder' AND "
                            "action = 'case classify' AND records = 'case:%s' AND client = '127.0.0.1'",
                            (long long)t, n),
                     1);
    assert_int_equal(
        tdb_int(api.dbpath, "SELECT count(*) FROM audit WHERE actor = 'staff:%lld' AND action = 'case ack'", (long long)t), 1);
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM audit WHERE actor = 'staff:%lld' AND action IN ('case note', "
                            "'case close') AND records = 'case:%s'",
                            (long long)p, n),
                     2);
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM audit WHERE actor = 'staff:%lld' AND action = 'case assign' AND "
                            "records = 'case:%s'",
                            (long long)t, numbers[C_SMS]),
                     2);
    /* Refusals leave no audit row of a write. */
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM audit WHERE action LIKE 'case %%'"), 6);
    struct audit_problem bad;
    long rows = 0;
    assert_int_equal(audit_verify(api.st, &bad, &rows, NULL), 0);
    assert_true(rows >= 4);
}

static void openapi_describes_every_route(void **state)
{
    struct answer a;
    send_req("GET", "/api/v1/openapi.json", NULL, NULL, 0, NULL, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(a.json);
    assert_string_equal(json_string_value(json_object_get(a.json, "openapi")), "3.0.3");
    const json_t *paths = json_object_get(a.json, "paths");
    assert_true(json_is_object(paths));
    const char *methods, *pattern;
    size_t i = 0, checked = 0;
    for (; routes_api_route(i, &methods, &pattern); i++) {
        const json_t *item = json_object_get(paths, pattern);
        if (!item) fail_msg("%s is not described", pattern);
        for (const char *m = methods; *m;) {
            size_t k = strcspn(m, " ");
            char lower[8] = "";
            for (size_t j = 0; j < k && j + 1 < sizeof lower; j++) lower[j] = (char)(m[j] | 0x20);
            if (strcmp(lower, "head") != 0 && !json_object_get(item, lower))
                fail_msg("%s %s is not described", lower, pattern);
            checked++;
            m += k;
            m += strspn(m, " ");
        }
    }
    assert_true(i >= 17);
    assert_true(checked >= i);
    /* Both ways to call it, and the answers a write may give. */
    const json_t *schemes = json_object_get(json_object_get(a.json, "components"), "securitySchemes");
    assert_non_null(json_object_get(schemes, "bearerToken"));
    assert_non_null(json_object_get(schemes, "sessionCookie"));
    assert_non_null(json_object_get(schemes, "csrfToken"));
    const json_t *close = json_object_get(json_object_get(paths, "/api/v1/cases/{id}/close"), "post");
    const char *codes[] = {"200", "400", "401", "403", "404", "409"};
    for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++)
        assert_non_null(json_object_get(json_object_get(close, "responses"), codes[c]));
    answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(classify_alerts_as_the_sms_does, next_minute),
        cmocka_unit_test_setup(ack_note_close, next_minute),
        cmocka_unit_test_setup(a_token_may_not_act, next_minute),
        cmocka_unit_test_setup(outside_scope_is_not_found, next_minute),
        cmocka_unit_test_setup(bad_bodies, next_minute),
        cmocka_unit_test_setup(assign_alerts_the_departments_added, next_minute),
        cmocka_unit_test_setup(every_write_is_audited, next_minute),
        cmocka_unit_test(openapi_describes_every_route),
    };
    return cmocka_run_group_tests_name("api_writes", tests, setup, teardown);
}
