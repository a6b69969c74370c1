/* tests/unit/test_signin.c - staff sign-in without passwords, in-process:
 * requests go through routes_handle, their jobs through a stand-in writer
 * (pipeline_batch on a real SQLite file, at once, on this thread, at a
 * clock the test sets), and the answers are checked as the HTTP server
 * would send them. The code is read from its outbox row's body, as the
 * provider's send would carry it. */
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

#include "../../gateway/pipeline.h"
#include "../../handlers/auth.h"
#include "../../handlers/session.h"
#include "../common/apiclient.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define T0 1749960000LL /* 2025-06-15T12:00:00+08:00 */

#define COUNTY_SUP "13800000001" /* a supervisor registered at the county: acts as county */
#define DIRECTOR   "13800000002"
#define ADMIN      "13800000003"
#define STRANGER   "13900000009" /* no staff member */

static struct apiclient api; /* api.now: the writer's clock */

/* ---- requests ---------------------------------------------------------------------- */

/* Sends method path with body (may be NULL) from client, with a
 * gw_session cookie (may be NULL) and X-CSRF-Token csrf (may be NULL) or
 * a bearer token (may be NULL), at api.now; fills a. */
static void send_req(const char *method, const char *path, const char *body, const char *client, const char *cookie,
                     const char *csrf, const char *token, struct answer *a)
{
    api_request(&api, method, path, body, token, cookie, csrf, client, a);
}

/* POST /api/v1/login for phone from client: the status. */
static int ask_code(const char *phone, const char *client)
{
    char body[96];
    snprintf(body, sizeof body, "{\"phone\":\"%s\"}", phone);
    struct answer a;
    send_req("POST", "/api/v1/login", body, client, NULL, NULL, NULL, &a);
    if (a.status == 202) assert_true(json_is_true(json_object_get(a.json, "sent")));
    int status = a.status;
    answer_free(&a);
    return status;
}

/* POST /api/v1/login/verify for phone with code; a filled. */
static void verify(const char *phone, const char *code, struct answer *a)
{
    char body[128];
    snprintf(body, sizeof body, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    send_req("POST", "/api/v1/login/verify", body, NULL, NULL, NULL, NULL, a);
}

/* GET /api/v1/me with the cookie: the status. */
static int me(const char *cookie, struct answer *a)
{
    send_req("GET", "/api/v1/me", NULL, NULL, cookie, NULL, NULL, a);
    return a->status;
}

/* ---- setup ---------------------------------------------------------------------------- */

static int setup(void **state)
{
    if (apiclient_open(&api, "gw-signin", NULL) != 0) return -1;
    seed_roster(api.st, "regions", "path\n示例县/东镇/甲村\n", T0);
    seed_roster(api.st, "staff",
                "phone,name,role,region,department\n"
                "+86" COUNTY_SUP ",县督导,supervisor,示例县,\n"
                "+86" DIRECTOR ",甲村主任,director,示例县/东镇/甲村,\n"
                "+86" ADMIN ",管理员,admin,示例县,\n",
                T0);
    return 0;
}

static int teardown(void **state) { return apiclient_close(&api); }

/* Each test starts an hour after the one before: no limit carries over. */
static int at_next_hour(void **state)
{
    static int64_t hour;
    api.now = T0 + 3600 * ++hour;
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void code_goes_to_staff_only(void **state)
{
    int64_t before = tdb_int(api.dbpath, "SELECT count(*) FROM outbox");
    assert_int_equal(ask_code(DIRECTOR, NULL), 202);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM outbox WHERE recipient = '+86" DIRECTOR "' AND "
                                    "template = 'login_code' AND kind = 'alert' AND priority = 0"),
                     1);
    char code[7];
    api_code_sent(&api, DIRECTOR, code);
    assert_int_equal(strlen(code), 6);
    /* No hint of the code in what the store keeps of it. */
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM login_code WHERE instr(hash, '%s') > 0", code), 0);
    /* A stranger is answered alike, and nothing is sent. */
    assert_int_equal(ask_code(STRANGER, NULL), 202);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM outbox"), before + 1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM login_code WHERE phone = '+86" STRANGER "' AND hash = ''"),
                     1);
    /* A body without a phone is a bad request. */
    struct answer a;
    send_req("POST", "/api/v1/login", "{\"tel\":1}", NULL, NULL, NULL, NULL, &a);
    assert_int_equal(a.status, 400);
    answer_free(&a);
    send_req("GET", "/api/v1/login", NULL, NULL, NULL, NULL, NULL, &a);
    assert_int_equal(a.status, 405);
    answer_free(&a);
}

static void code_signs_in_once(void **state)
{
    assert_int_equal(ask_code(COUNTY_SUP, NULL), 202);
    char code[7];
    api_code_sent(&api, COUNTY_SUP, code);
    struct answer a;
    verify(COUNTY_SUP, code, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(json_string_value(json_object_get(a.json, "role")), "county");
    assert_string_equal(json_string_value(json_object_get(a.json, "region")), "示例县");
    const char *csrf = json_string_value(json_object_get(a.json, "csrf"));
    assert_non_null(csrf);
    assert_int_equal(strlen(csrf), SESSION_SECRET_LEN - 1);
    /* The cookie: HttpOnly, SameSite=Strict, the whole site, 12 hours, Secure behind https. */
    assert_non_null(strstr(a.cookie, "; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200; Secure"));
    char cookie[SESSION_SECRET_LEN];
    snprintf(cookie, sizeof cookie, "%.*s", SESSION_SECRET_LEN - 1, a.cookie + sizeof SESSION_COOKIE);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM session WHERE hash = '%s' OR csrf_hash = '%s'", cookie, csrf),
                     0);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM audit WHERE action = 'sign in'"), 1);
    answer_free(&a);
    /* Used up. */
    verify(COUNTY_SUP, code, &a);
    assert_int_equal(a.status, 401);
    assert_string_equal(a.error, "code expired or used up");
    assert_string_equal(a.cookie, "");
    answer_free(&a);
}

static void five_wrong_codes_kill_it(void **state)
{
    assert_int_equal(ask_code(DIRECTOR, NULL), 202);
    char code[7], wrong[12];
    api_code_sent(&api, DIRECTOR, code);
    snprintf(wrong, sizeof wrong, "%06u", (unsigned)(atoi(code) + 1) % 1000000u);
    struct answer a;
    for (int i = 0; i < SESSION_CODE_TRIES; i++) {
        verify(DIRECTOR, i == 2 ? "12ab" : wrong, &a);
        assert_int_equal(a.status, 401);
        assert_string_equal(a.error, "wrong code");
        answer_free(&a);
    }
    verify(DIRECTOR, code, &a);
    assert_int_equal(a.status, 401);
    assert_string_equal(a.error, "code expired or used up");
    answer_free(&a);
    /* A stranger's code never exists. */
    verify(STRANGER, code, &a);
    assert_int_equal(a.status, 401);
    assert_string_equal(a.error, "code expired or used up");
    answer_free(&a);
}

static void expired_code_is_refused(void **state)
{
    assert_int_equal(ask_code(ADMIN, NULL), 202);
    char code[7];
    api_code_sent(&api, ADMIN, code);
    api.now += SESSION_CODE_TTL + 1;
    struct answer a;
    verify(ADMIN, code, &a);
    assert_int_equal(a.status, 401);
    assert_string_equal(a.error, "code expired or used up");
    answer_free(&a);
}

static void codes_are_rate_limited(void **state)
{
    int64_t start = api.now;
    for (int i = 0; i < SESSION_RATE_PHONE; i++) {
        assert_int_equal(ask_code(DIRECTOR, NULL), 202);
        api.now += 10;
    }
    struct answer a;
    send_req("POST", "/api/v1/login", "{\"phone\":\"" DIRECTOR "\"}", NULL, NULL, NULL, NULL, &a);
    assert_int_equal(a.status, 429);
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)(start + SESSION_RATE_WINDOW - api.now));
    assert_string_equal(a.retry_after, want);
    answer_free(&a);
    /* The stranger's limit is the same: nothing tells them apart. */
    for (int i = 0; i < SESSION_RATE_PHONE; i++) assert_int_equal(ask_code(STRANGER, "198.51.100.7"), 202);
    assert_int_equal(ask_code(STRANGER, "198.51.100.7"), 429);
    /* Once the window has passed, one more counts. */
    api.now = start + SESSION_RATE_WINDOW;
    assert_int_equal(ask_code(DIRECTOR, NULL), 202);
    /* One client address: 10 requests, whatever the phones. */
    for (int i = 0; i < SESSION_RATE_CLIENT; i++) {
        char phone[32];
        snprintf(phone, sizeof phone, "1370000%04d", i);
        assert_int_equal(ask_code(phone, "203.0.113.9"), 202);
    }
    assert_int_equal(ask_code("13799999999", "203.0.113.9"), 429);
    assert_int_equal(ask_code("13799999999", "203.0.113.10"), 202);
}

static void session_is_a_principal_with_csrf(void **state)
{
    struct api_session s;
    api_sign_in(&api, DIRECTOR, &s);
    const char *cookie = s.cookie, *csrf = s.csrf;
    struct answer a;
    assert_int_equal(me(cookie, &a), 200);
    char name[32];
    snprintf(name, sizeof name, "staff:%lld", (long long)seed_staff_id(api.st, "+86" DIRECTOR));
    assert_string_equal(json_string_value(json_object_get(a.json, "name")), name);
    assert_string_equal(json_string_value(json_object_get(a.json, "display_name")), "甲村主任"); /* their own */
    assert_string_equal(json_string_value(json_object_get(a.json, "role")), "director");
    assert_string_equal(json_string_value(json_object_get(a.json, "region")), "示例县/东镇/甲村");
    answer_free(&a);
    /* A change without the CSRF token, or with another, is refused and changes nothing. */
    send_req("POST", "/api/v1/logout", NULL, NULL, cookie, NULL, NULL, &a);
    assert_int_equal(a.status, 403);
    assert_string_equal(a.error, "missing or wrong X-CSRF-Token");
    answer_free(&a);
    send_req("POST", "/api/v1/logout", NULL, NULL, cookie, "0123", NULL, &a);
    assert_int_equal(a.status, 403);
    answer_free(&a);
    assert_int_equal(me(cookie, &a), 200);
    answer_free(&a);
    /* An unknown cookie. */
    assert_int_equal(me("00", &a), 401);
    answer_free(&a);
    /* Logout ends it and clears the cookie. */
    send_req("POST", "/api/v1/logout", NULL, NULL, cookie, csrf, NULL, &a);
    assert_int_equal(a.status, 200);
    assert_true(json_is_true(json_object_get(a.json, "ended")));
    assert_non_null(strstr(a.cookie, SESSION_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"));
    answer_free(&a);
    assert_int_equal(me(cookie, &a), 401);
    assert_string_equal(a.error, "session expired or ended");
    answer_free(&a);
}

static void bearer_tokens_need_no_csrf(void **state)
{
    struct auth_token_spec spec = {.name = "signin-admin", .role = "admin"};
    char token[AUTH_TOKEN_LEN], err[160];
    assert_int_equal(auth_token_create(api.st, &spec, api.now, token, err, sizeof err), 0);
    struct answer a;
    send_req("POST", "/api/v1/logout", NULL, NULL, NULL, NULL, token, &a);
    assert_int_equal(a.status, 200);
    assert_true(json_is_false(json_object_get(a.json, "ended")));
    answer_free(&a);
    /* Neither a token nor a session. */
    send_req("POST", "/api/v1/logout", NULL, NULL, NULL, NULL, NULL, &a);
    assert_int_equal(a.status, 401);
    answer_free(&a);
}

static void sessions_expire(void **state)
{
    struct api_session s;
    const char *cookie = s.cookie;
    struct answer a;
    /* Idle: each request keeps it alive for AUTH_SESSION_IDLE more. */
    api_sign_in(&api, ADMIN, &s);
    api.now += AUTH_SESSION_IDLE;
    assert_int_equal(me(cookie, &a), 200);
    answer_free(&a);
    api.now += AUTH_SESSION_IDLE;
    assert_int_equal(me(cookie, &a), 200);
    answer_free(&a);
    api.now += AUTH_SESSION_IDLE + 1;
    assert_int_equal(me(cookie, &a), 401);
    answer_free(&a);
    /* Absolute: 12 hours, however busy. */
    int64_t start = api.now;
    api_sign_in(&api, ADMIN, &s);
    while (api.now + 1500 < start + AUTH_SESSION_MAX_AGE) {
        api.now += 1500;
        assert_int_equal(me(cookie, &a), 200);
        answer_free(&a);
    }
    api.now = start + AUTH_SESSION_MAX_AGE;
    assert_int_equal(me(cookie, &a), 401);
    answer_free(&a);
}

/* The timed jobs forget spent codes and ended or expired sessions a day
 * later; live ones stay. */
static void timed_jobs_forget_spent_sign_ins(void **state)
{
    struct api_session old, live;
    struct answer a;
    size_t written = 0;
    /* What the tests before left is days old by now: all of it goes. */
    api.now += 3 * 86400;
    assert_int_equal(pipeline_run_jobs(api.st, api.cfg, api.now, &written), 0);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM login_code"), 0);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM session"), 0);
    api_sign_in(&api, ADMIN, &old);
    send_req("POST", "/api/v1/logout", NULL, NULL, old.cookie, old.csrf, NULL, &a);
    assert_int_equal(a.status, 200);
    answer_free(&a);
    int64_t codes = tdb_int(api.dbpath, "SELECT count(*) FROM login_code");
    assert_int_equal(codes, 1);
    /* Within the day: nothing goes. */
    assert_int_equal(pipeline_run_jobs(api.st, api.cfg, api.now + SESSION_KEEP - 60, &written), 0);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM login_code"), codes);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM session"), 1);
    api.now += SESSION_KEEP + 60;
    api_sign_in(&api, DIRECTOR, &live);
    assert_int_equal(pipeline_run_jobs(api.st, api.cfg, api.now, &written), 0);
    /* The director's fresh code and live session stay; everything older went. */
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM login_code"), 1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM login_code WHERE phone = '+86" DIRECTOR "'"), 1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM session WHERE ended_at IS NULL"), 1);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM session"), 1);
    assert_int_equal(me(live.cookie, &a), 200);
    answer_free(&a);
    /* The audit trail keeps the sign-ins and the sign-out. */
    assert_true(tdb_int(api.dbpath, "SELECT count(*) FROM audit WHERE action = 'sign out'") >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(code_goes_to_staff_only, at_next_hour),
        cmocka_unit_test_setup(code_signs_in_once, at_next_hour),
        cmocka_unit_test_setup(five_wrong_codes_kill_it, at_next_hour),
        cmocka_unit_test_setup(expired_code_is_refused, at_next_hour),
        cmocka_unit_test_setup(codes_are_rate_limited, at_next_hour),
        cmocka_unit_test_setup(session_is_a_principal_with_csrf, at_next_hour),
        cmocka_unit_test_setup(bearer_tokens_need_no_csrf, at_next_hour),
        cmocka_unit_test_setup(sessions_expire, at_next_hour),
        cmocka_unit_test_setup(timed_jobs_forget_spent_sign_ins, at_next_hour),
    };
    return cmocka_run_group_tests_name("signin", tests, setup, teardown);
}
