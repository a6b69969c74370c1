/* tests/unit/test_api_files.c - the office API's children's files, coverage,
 * visits due and audit trail in-process: requests go through routes_handle,
 * their jobs through a stand-in writer (pipeline_batch at once, on this
 * thread, at a fixed time) on a store seeded by roster imports and port
 * operations. */
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

#include "../../core/calendar.h"
#include "../../core/damm.h"
#include "../../core/message.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/pipeline.h"
#include "../../handlers/audit.h"
#include "../../handlers/auth.h"
#include "../common/apiclient.h"
#include "../common/harness.h"
#include "../common/localtime.h"
#include "../common/seed.h"

#define JIA  "示例县/东镇/甲村"
#define YI   "示例县/东镇/乙村"
#define BING "示例县/西镇/丙村"

static struct apiclient api; /* api.now: the time every request runs at */

/* ---- requests -------------------------------------------------------------------------- */

/* GET target with the bearer token (NULL: none): the status, and the body
 * parsed into *j (NULL when not JSON; the caller decrefs it). */
static int get(const char *token, const char *target, json_t **j)
{ return api_get(&api, token, target, j); }

/* Makes a token through the port into token. */
static void make_token(const char *name, const char *role, const char *region, char token[AUTH_TOKEN_LEN])
{
    struct auth_token_spec spec = {.name = name, .role = role, .region = region};
    char err[256] = "";
    if (auth_token_create(api.st, &spec, api.now, token, err, sizeof err) != 0) fail_msg("token %s: %s", name, err);
}

/* The string at key of o ("" when absent or not a string). */
static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The codes of a list answer's items, comma-joined into out. */
static const char *item_codes(const json_t *j, char *out, size_t len)
{
    out[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(j, "items"), i, it)
    {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s", i ? "," : "", jstr(it, "code"));
    }
    return out;
}

/* ---- fixture ------------------------------------------------------------------------------ */

static int setup(void **state) { return apiclient_open(&api, "gw-apifiles", NULL); }

static int teardown(void **state) { return apiclient_close(&api); }

/* A fresh store with the county: 甲村 (10-1 with two guardians, visits and
 * check-ins; 10-2 never visited; 10-3 aged out), 乙村 (20-1), 丙村 (30-1),
 * all imported 2025-01-01; requests run at 2025-06-15 10:00. */
static int world(void **state)
{
    apiclient_fresh_store(&api);
    api.now = local_at("2025-06-15 10:00");
    seed_roster(api.st, "regions", "path\n" JIA "\n" YI "\n" BING "\n", api.now);
    seed_roster(api.st, "staff",
                "phone,name,role,region,department\n"
                "+8613800000001,甲村主任,director," JIA ",\n"
                "+8613800000002,乙村主任,director," YI ",\n",
                api.now);
    char k[5][8], csv[1024];
    snprintf(csv, sizeof csv,
             "code,name,sex,birth_date,region,categories,flags\n"
             "%s,张小明,M,2015-01-01," JIA ",left_behind,\n"
             "%s,李小红,F,2016-05-01," JIA ",left_behind|difficulty,psych\n"
             "%s,赵大,M,2005-01-01," JIA ",left_behind,\n"
             "%s,王五,M,2014-02-02," YI ",left_behind,\n"
             "%s,钱六,F,2013-03-03," BING ",orphan,\n",
             seed_code(k[0], "10", 1), seed_code(k[1], "10", 2), seed_code(k[2], "10", 3), seed_code(k[3], "20", 1), seed_code(k[4], "30", 1));
    seed_roster(api.st, "children", csv, local_at("2025-01-01 09:00"));
    snprintf(csv, sizeof csv,
             "phone,name,relation,child_code,away\n"
             "+8613900000001,张父,父亲,%s,1\n"
             "+8613900000002,张母,母亲,%s,0\n",
             k[0], k[0]);
    seed_roster(api.st, "guardians", csv, api.now);
    /* Recorded out of order: the file lists them by date and time. */
    seed_visit(api.st, k[0], "+8613800000001", "2025-06-10", 1, "XL", local_at("2025-06-10 18:00"));
    seed_visit(api.st, k[0], "+8613800000001", "2025-03-01", 2, NULL, local_at("2025-03-01 18:00"));
    seed_checkin(api.st, "+8613900000001", k[0], 1, local_at("2025-06-12 12:00"));
    seed_checkin(api.st, "+8613900000002", k[0], 2, local_at("2025-05-01 12:00"));
    return 0;
}

/* The audit rows, each "action|records|purpose|role" joined by ';' into out. */
static int audit_line(void *arg, const struct store_audit_row *r)
{
    struct gw_buf *b = arg;
    gw_buf_printf(b, "%s|%s|%s|%s;", r->action, r->records, r->purpose, r->role);
    return 0;
}

static char *audit_rows(void)
{
    struct gw_buf b = {0};
    assert_int_equal(store_audit_each(api.st, 1, audit_line, &b), 0);
    return gw_buf_steal(&b);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void director_sees_their_village_only(void **state)
{
    char tok[AUTH_TOKEN_LEN], k1[8], k2[8], k3[8], k20[8], codes[128], want[128];
    make_token("jia", "director", JIA, tok);
    json_t *j;
    assert_int_equal(get(tok, "/api/v1/children", &j), 200);
    snprintf(want, sizeof want, "%s,%s,%s", seed_code(k1, "10", 1), seed_code(k2, "10", 2), seed_code(k3, "10", 3));
    assert_string_equal(item_codes(j, codes, sizeof codes), want);
    json_t *first = json_array_get(json_object_get(j, "items"), 0);
    assert_string_equal(jstr(first, "name"), "张小明");
    assert_string_equal(jstr(first, "region"), JIA);
    assert_string_equal(jstr(first, "last_visit"), "2025-06-10");
    assert_true(json_is_false(json_object_get(first, "aged_out")));
    assert_true(json_is_true(json_object_get(json_array_get(json_object_get(j, "items"), 2), "aged_out")));
    assert_true(json_is_null(json_object_get(j, "next")));
    char *text = json_dumps(j, 0);
    assert_null(strstr(text, "+86139")); /* a list never holds a guardian's phone */
    assert_null(strstr(text, "phone"));
    free(text);
    json_decref(j);

    /* q: a code prefix or a name's part; limit and cursor. */
    assert_int_equal(get(tok, "/api/v1/children?q=%E5%B0%8F", &j), 200); /* 小 */
    snprintf(want, sizeof want, "%s,%s", k1, k2);
    assert_string_equal(item_codes(j, codes, sizeof codes), want);
    json_decref(j);
    char target[128];
    snprintf(target, sizeof target, "/api/v1/children?q=%.6s", k3);
    assert_int_equal(get(tok, target, &j), 200);
    assert_string_equal(item_codes(j, codes, sizeof codes), k3);
    json_decref(j);
    assert_int_equal(get(tok, "/api/v1/children?limit=2", &j), 200);
    assert_string_equal(jstr(j, "next"), k2);
    json_decref(j);
    snprintf(target, sizeof target, "/api/v1/children?limit=2&cursor=%s", k2);
    assert_int_equal(get(tok, target, &j), 200);
    assert_string_equal(item_codes(j, codes, sizeof codes), k3);
    assert_true(json_is_null(json_object_get(j, "next")));
    json_decref(j);
    assert_int_equal(get(tok, "/api/v1/children?limit=0", &j), 400);
    json_decref(j);
    assert_int_equal(get(tok, "/api/v1/children?limit=201", &j), 400);
    json_decref(j);
    assert_int_equal(get(tok, "/api/v1/children?cursor=abc", &j), 400);
    json_decref(j);

    /* Another village's child answers exactly as a missing code. */
    snprintf(target, sizeof target, "/api/v1/children/%s?purpose=check", seed_code(k20, "20", 1));
    assert_int_equal(get(tok, target, &j), 404);
    char *other = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_int_equal(get(tok, "/api/v1/children/1234567?purpose=check", &j), 404);
    char *missing = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_string_equal(other, "{\"error\":\"not found\"}");
    assert_string_equal(other, missing);
    free(other);
    free(missing);
    char *rows = audit_rows();
    assert_string_equal(rows, ""); /* a refusal keeps no audit row */
    free(rows);
    /* The supervisor of 东镇 sees both its villages' children; the responder may not read children. */
    make_token("east", "supervisor", "示例县/东镇", tok);
    assert_int_equal(get(tok, "/api/v1/children", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 4);
    json_decref(j);
    assert_int_equal(get(tok, target, &j), 200);
    json_decref(j);
    struct auth_token_spec spec = {.name = "police", .role = "responder", .region = "示例县", .department = "police"};
    char err[128];
    assert_int_equal(auth_token_create(api.st, &spec, api.now, tok, err, sizeof err), 0);
    assert_int_equal(get(tok, "/api/v1/children", &j), 403);
    json_decref(j);
}

static void the_file_is_in_time_order_and_audited(void **state)
{
    char tok[AUTH_TOKEN_LEN], k1[8], target[160];
    make_token("jia", "director", JIA, tok);
    seed_code(k1, "10", 1);
    json_t *j;
    snprintf(target, sizeof target, "/api/v1/children/%s", k1);
    assert_int_equal(get(tok, target, &j), 400);
    assert_non_null(strstr(jstr(j, "error"), "purpose"));
    json_decref(j);
    snprintf(target, sizeof target, "/api/v1/children/%s?purpose=", k1);
    assert_int_equal(get(tok, target, &j), 400);
    json_decref(j);
    char *rows = audit_rows();
    assert_string_equal(rows, "");
    free(rows);

    snprintf(target, sizeof target, "/api/v1/children/%s?purpose=monthly%%20review", k1);
    assert_int_equal(get(tok, target, &j), 200);
    json_t *child = json_object_get(j, "child");
    assert_string_equal(jstr(child, "code"), k1);
    assert_string_equal(jstr(child, "name"), "张小明");
    assert_string_equal(jstr(child, "sex"), "M");
    assert_string_equal(jstr(child, "birth_date"), "2015-01-01");
    assert_string_equal(jstr(child, "created_at"), "2025-01-01T09:00:00+08:00");
    json_t *g = json_object_get(j, "guardians");
    assert_int_equal(json_array_size(g), 2);
    assert_string_equal(jstr(json_array_get(g, 0), "name"), "张父");
    assert_string_equal(jstr(json_array_get(g, 0), "relation"), "父亲");
    assert_true(json_is_true(json_object_get(json_array_get(g, 0), "away")));
    assert_null(strstr(jstr(json_array_get(g, 0), "phone"), "13900000001")); /* masked for a director */
    json_t *v = json_object_get(j, "visits");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(jstr(json_array_get(v, 0), "date"), "2025-03-01");
    assert_string_equal(jstr(json_array_get(v, 1), "date"), "2025-06-10");
    assert_string_equal(jstr(json_array_get(v, 1), "by"), "甲村主任");
    assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(v, 1), "problems"), 0)), "XL");
    json_t *k = json_object_get(j, "checkins");
    assert_int_equal(json_array_size(k), 2);
    assert_string_equal(jstr(json_array_get(k, 0), "at"), "2025-05-01T12:00:00+08:00");
    assert_string_equal(jstr(json_array_get(k, 0), "relation"), "母亲");
    assert_string_equal(jstr(json_array_get(k, 1), "at"), "2025-06-12T12:00:00+08:00");
    assert_int_equal(json_array_size(json_object_get(j, "cases")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "messages")), 0);
    json_decref(j);

    char want[160];
    rows = audit_rows();
    snprintf(want, sizeof want, "read child|child:%s|monthly review|director;", k1);
    assert_string_equal(rows, want);
    free(rows);
    struct audit_problem bad;
    long n = 0;
    assert_int_equal(audit_verify(api.st, &bad, &n, NULL), 0);
    assert_int_equal(n, 1);

    /* The county office sees the guardians' phones in full. */
    make_token("county", "county", "示例县", tok);
    assert_int_equal(get(tok, target, &j), 200);
    assert_string_equal(jstr(json_array_get(json_object_get(j, "guardians"), 0), "phone"), "+8613900000001");
    json_decref(j);
    assert_int_equal(audit_verify(api.st, &bad, &n, NULL), 0);
    assert_int_equal(n, 2);
}

static void coverage_and_visits_due_are_scoped(void **state)
{
    char jia[AUTH_TOKEN_LEN], county[AUTH_TOKEN_LEN], k2[8], k20[8], k30[8], codes[128], want[128];
    make_token("jia", "director", JIA, jia);
    make_token("county", "county", "示例县", county);
    json_t *j;
    assert_int_equal(get(jia, "/api/v1/coverage", &j), 200);
    json_t *rows = json_object_get(j, "rows");
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(jstr(json_array_get(rows, 0), "path"), JIA);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "children")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "aged_out")), 1);
    json_decref(j);
    assert_int_equal(get(county, "/api/v1/coverage", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 6); /* county, 2 towns, 3 villages */
    json_decref(j);
    assert_int_equal(get(county, "/api/v1/coverage?region=%E7%A4%BA%E4%BE%8B%E5%8E%BF/%E8%A5%BF%E9%95%87", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 2); /* 西镇 and 丙村 */
    json_decref(j);
    /* A region outside the scope answers as an unknown one. */
    assert_int_equal(get(jia, "/api/v1/coverage?region=%E7%A4%BA%E4%BE%8B%E5%8E%BF", &j), 404);
    json_decref(j);
    assert_int_equal(get(county, "/api/v1/coverage?region=nowhere", &j), 404);
    json_decref(j);
    assert_int_equal(get(county, "/api/v1/coverage?from=2025-13-01", &j), 400);
    json_decref(j);

    /* 10-1 was visited on 06-10 (due in July), 10-3 aged out: only 10-2 is due in 甲村. */
    assert_int_equal(get(jia, "/api/v1/visits/due", &j), 200);
    assert_string_equal(item_codes(j, codes, sizeof codes), seed_code(k2, "10", 2));
    json_t *it = json_array_get(json_object_get(j, "items"), 0);
    assert_string_equal(jstr(it, "due"), "2025-01-08");
    assert_true(json_is_true(json_object_get(it, "overdue")));
    json_decref(j);
    assert_int_equal(get(county, "/api/v1/visits/due", &j), 200);
    snprintf(want, sizeof want, "%s,%s,%s", k2, seed_code(k20, "20", 1), seed_code(k30, "30", 1));
    assert_string_equal(item_codes(j, codes, sizeof codes), want);
    json_decref(j);
    assert_int_equal(get(county, "/api/v1/visits/due?limit=2", &j), 200);
    char target[128];
    snprintf(target, sizeof target, "/api/v1/visits/due?limit=2&cursor=%s", jstr(j, "next"));
    snprintf(want, sizeof want, "2025-01-08.%s", k20);
    assert_string_equal(jstr(j, "next"), want);
    json_decref(j);
    assert_int_equal(get(county, target, &j), 200);
    assert_string_equal(item_codes(j, codes, sizeof codes), k30);
    assert_true(json_is_null(json_object_get(j, "next")));
    json_decref(j);
    assert_int_equal(get(county, "/api/v1/visits/due?cursor=x", &j), 400);
    json_decref(j);
    assert_int_equal(get(jia, "/api/v1/visits/due?region=%E7%A4%BA%E4%BE%8B%E5%8E%BF", &j), 404);
    json_decref(j);
    char *rows_text = audit_rows();
    assert_string_equal(rows_text, ""); /* lists and aggregates open no file */
    free(rows_text);
}

/* A county with no child at all: nothing due, an empty list (not a crash
 * on the empty set). */
static void nothing_due_is_an_empty_list(void **state)
{
    apiclient_fresh_store(&api);
    api.now = local_at("2025-06-15 10:00");
    seed_roster(api.st, "regions", "path\n" JIA "\n", api.now);
    char county[AUTH_TOKEN_LEN];
    make_token("county", "county", "示例县", county);
    json_t *j;
    assert_int_equal(get(county, "/api/v1/visits/due", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    assert_true(json_is_null(json_object_get(j, "next")));
    json_decref(j);
}

static void the_audit_trail_is_for_auditors(void **state)
{
    char jia[AUTH_TOKEN_LEN], county[AUTH_TOKEN_LEN], auditor[AUTH_TOKEN_LEN], k1[8], target[160];
    make_token("jia", "director", JIA, jia);
    make_token("county", "county", "示例县", county);
    make_token("audit", "auditor", NULL, auditor);
    json_t *j;
    snprintf(target, sizeof target, "/api/v1/children/%s?purpose=monthly%%20review", seed_code(k1, "10", 1));
    assert_int_equal(get(jia, target, &j), 200);
    json_decref(j);
    assert_int_equal(get(county, target, &j), 200);
    json_decref(j);

    assert_int_equal(get(county, "/api/v1/audit", &j), 403);
    json_decref(j);
    assert_int_equal(get(jia, "/api/v1/audit", &j), 403);
    json_decref(j);
    assert_int_equal(get(auditor, "/api/v1/audit", &j), 200);
    assert_string_equal(jstr(j, "chain"), "intact");
    json_t *items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(jstr(json_array_get(items, 0), "actor"), "token:jia");
    assert_string_equal(jstr(json_array_get(items, 0), "purpose"), "monthly review");
    assert_string_equal(jstr(json_array_get(items, 1), "actor"), "token:county");
    assert_string_equal(jstr(json_array_get(items, 0), "at"), "2025-06-15T10:00:00+08:00");
    json_decref(j);
    /* Reading the trail adds nothing to it. */
    char *rows = audit_rows();
    assert_non_null(strstr(rows, "read child"));
    size_t semis = 0;
    for (const char *p = rows; (p = strchr(p, ';')) != NULL; p++) semis++;
    assert_int_equal(semis, 2);
    free(rows);
    assert_int_equal(get(auditor, "/api/v1/audit?limit=1", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    assert_string_equal(jstr(j, "next"), "1");
    json_decref(j);
    assert_int_equal(get(auditor, "/api/v1/audit?limit=1&cursor=1", &j), 200);
    assert_string_equal(jstr(json_array_get(json_object_get(j, "items"), 0), "actor"), "token:county");
    assert_true(json_is_null(json_object_get(j, "next")));
    json_decref(j);
    assert_int_equal(get(auditor, "/api/v1/audit?from=2025-06-16", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    assert_int_equal(get(auditor, "/api/v1/audit?from=2025-06-15&to=2025-06-15", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    json_decref(j);
    assert_int_equal(get(auditor, "/api/v1/audit?from=yesterday", &j), 400);
    json_decref(j);
    struct audit_problem bad;
    long n = 0;
    assert_int_equal(audit_verify(api.st, &bad, &n, NULL), 0);
    assert_int_equal(n, 2);
}

/* A director's SMS recording a visit, through the pipeline as it arrives. */
static void sms_visit(const char *id, const char *text)
{
    struct pipeline_job job = {0};
    struct gw_msg *m = gw_msgv_push(&job.msgs);
    m->channel = strdup("generic");
    m->provider_id = strdup(id);
    m->from = strdup("+8613800000001");
    m->text = strdup(text);
    m->received_at = api.now;
    struct pipeline_job *jobs[] = {&job};
    assert_int_equal(pipeline_batch(api.st, api.cfg, jobs, 1, api.now), 0);
    assert_int_equal(job.ok, 1);
    pipeline_job_clear(&job);
}

static void the_messages_behind_visits_are_in_the_file(void **state)
{
    char tok[AUTH_TOKEN_LEN], k1[8], text[64], target[160];
    make_token("jia", "director", JIA, tok);
    snprintf(text, sizeof text, "ZF %s 1", seed_code(k1, "10", 1));
    sms_visit("m1", text);
    json_t *j;
    snprintf(target, sizeof target, "/api/v1/children/%s?purpose=follow-up", k1);
    assert_int_equal(get(tok, target, &j), 200);
    json_t *v = json_object_get(j, "visits");
    assert_int_equal(json_array_size(v), 3);
    assert_string_equal(jstr(json_array_get(v, 2), "date"), "2025-06-15");
    json_t *msgs = json_object_get(j, "messages");
    assert_int_equal(json_array_size(msgs), 1);
    assert_string_equal(jstr(json_array_get(msgs, 0), "kind"), "visit");
    assert_string_equal(jstr(json_array_get(msgs, 0), "text"), text);
    assert_string_equal(jstr(json_array_get(msgs, 0), "at"), "2025-06-15T10:00:00+08:00");
    assert_null(json_object_get(json_array_get(msgs, 0), "sender"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(director_sees_their_village_only, world),
        cmocka_unit_test_setup(the_file_is_in_time_order_and_audited, world),
        cmocka_unit_test_setup(coverage_and_visits_due_are_scoped, world),
        cmocka_unit_test(nothing_due_is_an_empty_list),
        cmocka_unit_test_setup(the_audit_trail_is_for_auditors, world),
        cmocka_unit_test_setup(the_messages_behind_visits_are_in_the_file, world),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
