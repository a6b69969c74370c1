/* tests/unit/test_child_file.c - one child's whole file (gateway/child_file.c):
 * the JSON every reader shares (its parts in time order, the fuller record,
 * never the national ID in full), the printable page (every value escaped,
 * no script), and GET /api/v1/children/{code}/file.html through the routes
 * (scope, purpose, audit row, content type and policy). The store is seeded
 * by roster imports and port operations; what the import cannot write yet
 * in a test (a sealed ID number, a hostile name, messages behind visits) is
 * written into the database file directly. */
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
#include <sqlite3.h>

#include "../../core/calendar.h"
#include "../../core/config.h"
#include "../../core/secret.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/child_file.h"
#include "../../gateway/routes.h"
#include "../../handlers/audit.h"
#include "../../handlers/auth.h"
#include "../common/apiclient.h"
#include "../common/harness.h"
#include "../common/localtime.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define JIA      "示例县/东镇/甲村"
#define YI       "示例县/东镇/乙村"
#define CHILD    "1000015"
#define DIRECTOR "+8613800000001"
#define ID_FULL  "110105201501010012"
#define ID_MASK  "110105********0012"
#define HOSTILE  "<script>alert('x')</script>&小明"

static struct apiclient api;

/* Runs SQL (an sqlite3_mprintf format: %q quotes) on the database beside the open store. */
static void sql(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    assert_non_null(text);
    char err[512] = "";
    if (test_sql_exec(api.dbpath, text, err, sizeof err) != 0) fail_msg("%s: %s", text, err);
    sqlite3_free(text);
}

static int setup(void **state) { return apiclient_open(&api, "gw-childfile", NULL); }
static int teardown(void **state) { return apiclient_close(&api); }

/* The child in 甲村 with the fuller record, two guardians, visits, check-ins
 * and cases recorded out of order, and the messages behind two of them. */
static int world(void **state)
{
    apiclient_fresh_store(&api);
    api.now = local_at("2025-06-15 10:00");
    seed_roster(api.st, "regions", "path\n" JIA "\n" YI "\n", api.now);
    seed_roster(api.st, "staff",
                "phone,name,role,region,department\n" DIRECTOR ",甲村主任,director," JIA ",\n"
                "+8613800000002,乙村主任,director," YI ",\n",
                api.now);
    seed_roster(api.st, "children",
                "code,name,sex,birth_date,region,categories,flags,hukou,school,carer_name,carer_phone,carer_relation,"
                "care_agreement,care_agreement_date,guardianship\n" CHILD ",张小明,M,2015-01-01," JIA
                ",left_behind,psych,示例县东镇甲村8号,甲村小学,张奶奶,+8613900000009,祖母,yes,2024-12-20,祖母照料尚好\n",
                local_at("2025-01-01 09:00"));
    seed_roster(api.st, "guardians",
                "phone,name,relation,child_code,away\n+8613900000001,张父,父亲," CHILD ",1\n"
                "+8613900000002,张母,母亲," CHILD ",0\n",
                api.now);
    seed_visit(api.st, CHILD, DIRECTOR, "2025-06-10", 2, "XL|JH", local_at("2025-06-10 18:00"));
    int64_t early = seed_visit(api.st, CHILD, DIRECTOR, "2025-03-01", 1, NULL, local_at("2025-03-01 18:00"));
    int64_t k2 = seed_checkin(api.st, "+8613900000001", CHILD, 1, local_at("2025-06-12 12:00"));
    seed_checkin(api.st, "+8613900000002", CHILD, 2, local_at("2025-05-01 12:00"));
    struct db_region r;
    assert_int_equal(db_region_by_path(api.st, JIA, &r), 0);
    const char *depts[] = {"police"};
    struct db_case_new c = {.category = 8, .classified = 1, .priority = 2, .depts = depts, .ndepts = 1,
                            .county_id = r.county_id, .region_id = r.id, .child_id = seed_child_id(api.st, CHILD),
                            .description = "孩子没去上学", .reporter_id = seed_reporter(api.st, "+8613700000077", 1)};
    seed_case(api.st, &c, local_at("2025-05-20 08:00"), NULL);
    seed_case(api.st, &c, local_at("2025-02-02 08:00"), NULL);
    unsigned char key[GW_SECRET_KEY_LEN] = {7};
    char sealed[GW_SECRET_TEXT_MAX];
    assert_int_equal(gw_secret_seal(key, ID_FULL, sealed, sizeof sealed), 0);
    sql("UPDATE child SET id_number = '%s', id_masked = '" ID_MASK "' WHERE code = '" CHILD "';"
        "INSERT INTO inbox (id, channel, provider_id, sender, raw_text, norm_text, received_at, stored_at) VALUES "
        "(901, 'generic', 'p2', '+8613900000001', 'PA " CHILD " 晚到', 'PA', %lld, %lld),"
        "(900, 'generic', 'p1', '" DIRECTOR "', 'ZF " CHILD " 1', 'ZF', %lld, %lld);"
        "UPDATE visit SET inbox_id = 900 WHERE id = %lld; UPDATE checkin SET inbox_id = 901 WHERE id = %lld;",
        sealed, (long long)local_at("2025-06-12 12:00"), (long long)local_at("2025-06-12 12:00"), (long long)local_at("2025-03-01 18:00"),
        (long long)local_at("2025-03-01 18:00"), (long long)early, (long long)k2);
    return 0;
}

/* The string at key of o ("" when absent). */
static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* 1 when the integers at key of each item of list are in non-decreasing order. */
static int ascending(const json_t *list, const char *key)
{
    size_t i;
    json_t *it;
    json_int_t last = INT64_MIN;
    json_array_foreach(list, i, it)
    {
        json_int_t v = json_integer_value(json_object_get(it, key));
        if (v < last) return 0;
        last = v;
    }
    return 1;
}

/* The file of CHILD as the admin reads it (full = phones in full). */
static json_t *file_of(int full)
{
    json_t *f = NULL;
    assert_int_equal(child_file_build(api.st, &api.cfg->policy, CHILD, "", full, NULL, api.now, &f), 0);
    assert_non_null(f);
    return f;
}

/* The national ID in clear only for a full view with the key that opens
 * it; masked for everyone else, and never with a wrong key. */
static void the_id_number_opens_for_a_full_view_with_the_key(void **state)
{
    unsigned char key[GW_SECRET_KEY_LEN] = {7}, wrong[GW_SECRET_KEY_LEN] = {8};
    json_t *f = NULL;
    assert_int_equal(child_file_build(api.st, &api.cfg->policy, CHILD, "", 1, key, api.now, &f), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(f, "child"), "id_number")), ID_FULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(f, "child"), "id_masked")), ID_MASK);
    json_decref(f);
    assert_int_equal(child_file_build(api.st, &api.cfg->policy, CHILD, "", 0, key, api.now, &f), 0);
    assert_null(json_object_get(json_object_get(f, "child"), "id_number"));
    char *text = json_dumps(f, 0);
    assert_null(strstr(text, ID_FULL));
    free(text);
    json_decref(f);
    assert_int_equal(child_file_build(api.st, &api.cfg->policy, CHILD, "", 1, wrong, api.now, &f), 0);
    assert_true(json_is_null(json_object_get(json_object_get(f, "child"), "id_number")));
    json_decref(f);
    (void)state;
}

static void file_has_every_part_in_time_order(void **state)
{
    json_t *f = file_of(0);
    const json_t *c = json_object_get(f, "child");
    assert_string_equal(jstr(c, "code"), CHILD);
    assert_string_equal(jstr(c, "hukou"), "示例县东镇甲村8号");
    assert_string_equal(jstr(c, "school"), "甲村小学");
    assert_string_equal(jstr(c, "guardianship"), "祖母照料尚好");
    assert_string_equal(jstr(c, "care_agreement_date"), "2024-12-20");
    assert_true(json_is_true(json_object_get(c, "care_agreement")));
    const json_t *carer = json_object_get(c, "carer");
    assert_string_equal(jstr(carer, "name"), "张奶奶");
    assert_string_equal(jstr(carer, "relation"), "祖母");
    assert_string_equal(jstr(carer, "phone"), "+86139****0009");
    assert_int_equal(json_array_size(json_object_get(f, "guardians")), 2);
    const json_t *visits = json_object_get(f, "visits"), *checkins = json_object_get(f, "checkins");
    const json_t *cases = json_object_get(f, "cases"), *messages = json_object_get(f, "messages");
    assert_int_equal(json_array_size(visits), 2);
    assert_string_equal(jstr(json_array_get(visits, 0), "date"), "2025-03-01");
    assert_string_equal(jstr(json_array_get(visits, 1), "date"), "2025-06-10");
    assert_int_equal(json_array_size(checkins), 2);
    assert_true(ascending(checkins, "at_unix"));
    assert_int_equal(json_array_size(cases), 2);
    assert_true(ascending(cases, "opened_at_unix"));
    assert_int_equal(json_array_size(messages), 2);
    assert_true(ascending(messages, "at_unix"));
    assert_string_equal(jstr(json_array_get(messages, 0), "kind"), "visit");
    assert_string_equal(jstr(json_array_get(messages, 1), "kind"), "checkin");
    /* Only the masked ID number, and nothing about the reporter. */
    char *text = json_dumps(f, 0);
    assert_null(strstr(text, ID_FULL));
    assert_null(strstr(text, "v1:"));
    assert_non_null(strstr(text, ID_MASK));
    assert_null(strstr(text, "13700000077"));
    assert_null(strstr(text, "孩子没去上学"));
    free(text);
    json_decref(f);
    f = file_of(1);
    assert_string_equal(jstr(json_object_get(json_object_get(f, "child"), "carer"), "phone"), "+8613900000009");
    json_decref(f);
}

static void page_escapes_every_value(void **state)
{
    sql("UPDATE child SET name = '%q', school = '\"><img src=x onerror=alert(1)>' WHERE code = '" CHILD "'", HOSTILE);
    json_t *f = file_of(1);
    struct gw_buf b = {0};
    child_file_html(f, &b);
    const char *page = gw_buf_cstr(&b);
    assert_non_null(strstr(page, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(page, "@media print"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;小明"));
    assert_non_null(strstr(page, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert_null(strcasestr(page, "<script"));
    assert_null(strcasestr(page, "<img"));
    assert_non_null(strstr(page, "<h2>走访记录</h2>"));
    assert_non_null(strstr(page, "见到儿童，发现问题"));
    assert_non_null(strstr(page, "心理、监护"));
    assert_non_null(strstr(page, ID_MASK));
    assert_null(strstr(page, ID_FULL));
    gw_buf_free(&b);
    json_decref(f);
}

/* The value of header name in resp, or NULL. */
static const char *header(const struct http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (!strcasecmp(resp->headers[i].name, name)) return resp->headers[i].value;
    return NULL;
}

/* GET target with "Authorization: Bearer <token>" straight through the routes: the answer into resp. */
static const char *auth_header;
static const char *req_header(const struct http_request *req, const char *name)
{
    return !strcasecmp(name, "Authorization") ? auth_header : NULL;
}
static void get_page(const char *token, const char *path, const char *query, struct http_response *resp)
{
    char auth[128], target[256];
    snprintf(auth, sizeof auth, "Bearer %s", token);
    snprintf(target, sizeof target, "%s?%s", path, query);
    auth_header = auth;
    struct http_request req = {.method = "GET", .path = path, .target = target, .query = query, .body = "",
                               .client = "127.0.0.1", .header = req_header};
    struct routes_ctx ctx = {.cfg = api.cfg, .writer = {apiclient_submit, &api}};
    struct routes_call call = {0};
    memset(resp, 0, sizeof *resp);
    routes_handle(&ctx, &req, &call, resp);
    if (resp->deferred) routes_finish(&ctx, &call, resp);
    routes_call_clear(&call);
}

/* The newest audit row as "action|records|purpose|role". */
static int last_row(void *arg, const struct store_audit_row *r)
{
    snprintf(arg, 256, "%s|%s|%s|%s", r->action, r->records, r->purpose, r->role);
    return 0;
}

static void dashboard_page_is_audited_and_scoped(void **state)
{
    char admin[AUTH_TOKEN_LEN], yi[AUTH_TOKEN_LEN], err[256] = "", row[256] = "";
    struct auth_token_spec a = {.name = "office", .role = "admin"}, d = {.name = "yi", .role = "director", .region = YI};
    assert_int_equal(auth_token_create(api.st, &a, api.now, admin, err, sizeof err), 0);
    assert_int_equal(auth_token_create(api.st, &d, api.now, yi, err, sizeof err), 0);
    sql("UPDATE child SET name = '%q' WHERE code = '" CHILD "'", HOSTILE);
    struct http_response resp;
    get_page(admin, "/api/v1/children/" CHILD "/file.html", "purpose=monthly_review", &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/html; charset=utf-8");
    assert_string_equal(header(&resp, "Content-Security-Policy"),
                        "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    assert_string_equal(header(&resp, "Cache-Control"), "no-store");
    const char *page = gw_buf_cstr(&resp.body);
    assert_int_equal(strncmp(page, "<!DOCTYPE html>", 15), 0);
    assert_null(strcasestr(page, "<script"));
    assert_non_null(strstr(page, "+8613900000001")); /* the admin sees phones in full */
    http_response_clear(&resp);
    assert_int_equal(store_audit_each(api.st, 1, last_row, row), 0);
    assert_string_equal(row, "export file|child:" CHILD "|monthly_review|admin");
    /* No purpose: refused, as the file is; another village's director: not found. */
    get_page(admin, "/api/v1/children/" CHILD "/file.html", "", &resp);
    assert_int_equal(resp.status, 400);
    http_response_clear(&resp);
    get_page(yi, "/api/v1/children/" CHILD "/file.html", "purpose=monthly_review", &resp);
    assert_int_equal(resp.status, 404);
    http_response_clear(&resp);
    /* The JSON file carries the same new fields. */
    json_t *j;
    char target[128];
    snprintf(target, sizeof target, "/api/v1/children/%s?purpose=monthly_review", CHILD);
    assert_int_equal(api_get(&api, admin, target, &j), 200);
    assert_string_equal(jstr(json_object_get(j, "child"), "school"), "甲村小学");
    assert_string_equal(jstr(json_object_get(j, "child"), "id_masked"), ID_MASK);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(the_id_number_opens_for_a_full_view_with_the_key, world),
        cmocka_unit_test_setup(file_has_every_part_in_time_order, world),
        cmocka_unit_test_setup(page_escapes_every_value, world),
        cmocka_unit_test_setup(dashboard_page_is_audited_and_scoped, world),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
