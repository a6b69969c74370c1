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

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../gateway/routes.h"
#include "../../handlers/auth.h"
#include "../../handlers/session.h"
#include "../common/harness.h"
#include "../common/seed.h"

#define T0 1749960000LL /* 2025-06-15T12:00:00+08:00 */

#define COUNTY_SUP "13800000001" /* a supervisor registered at the county: acts as county */
#define DIRECTOR   "13800000002"
#define ADMIN      "13800000003"
#define STRANGER   "13900000009" /* no staff member */

static char dir[64], dbpath[128];
static struct gw_config *cfg;
static struct store *st;
static int64_t now_at; /* the writer's clock */

/* Runs the job's batch at once at now_at, then its done callback. */
static int standin_submit(void *impl, struct pipeline_job *job)
{
    (void)impl;
    struct pipeline_job *jobs[] = {job};
    if (pipeline_batch(st, cfg, jobs, 1, now_at) != 0) fail_msg("batch failed: %s", job->reason);
    job->done(job);
    return 0;
}

/* ---- requests ---------------------------------------------------------------------- */

struct test_req {
    struct http_request req;
    const char *hdrs[3][2];
};

static const char *header_of(const struct http_request *req, const char *name)
{
    const struct test_req *t = req->impl;
    for (size_t i = 0; i < 3 && t->hdrs[i][0]; i++)
        if (!strcasecmp(t->hdrs[i][0], name)) return t->hdrs[i][1];
    return NULL;
}

/* The answer: status, its JSON (owned, NULL when none) and headers. */
struct answer {
    int status;
    json_t *json;
    char cookie[256];      /* Set-Cookie, "" when none */
    char retry_after[24];  /* Retry-After, "" when none */
    char error[160];       /* the JSON's "error", "" when none */
};

/* Sends method path with body (may be NULL) from client, with a
 * gw_session cookie (may be NULL) and X-CSRF-Token csrf (may be NULL) or
 * an Authorization header auth (may be NULL), at now_at; fills a. */
static void send_req(const char *method, const char *path, const char *body, const char *client, const char *cookie,
                     const char *csrf, const char *auth, struct answer *a)
{
    struct test_req t;
    memset(&t, 0, sizeof t);
    t.req = (struct http_request){.method = method,
                                  .path = path,
                                  .target = path,
                                  .query = "",
                                  .body = body ? body : "",
                                  .body_len = body ? strlen(body) : 0,
                                  .client = client ? client : "127.0.0.1",
                                  .header = header_of,
                                  .impl = &t};
    char cookie_hdr[128];
    size_t n = 0;
    if (cookie) {
        snprintf(cookie_hdr, sizeof cookie_hdr, "theme=dark; " SESSION_COOKIE "=%s", cookie);
        t.hdrs[n][0] = "Cookie";
        t.hdrs[n++][1] = cookie_hdr;
    }
    if (csrf) {
        t.hdrs[n][0] = "X-CSRF-Token";
        t.hdrs[n++][1] = csrf;
    }
    if (auth) {
        t.hdrs[n][0] = "Authorization";
        t.hdrs[n++][1] = auth;
    }
    struct routes_writer w = {standin_submit, NULL};
    struct routes_ctx ctx = {.cfg = cfg, .writer = w};
    struct routes_call call = {0};
    struct http_response resp;
    memset(&resp, 0, sizeof resp);
    routes_handle(&ctx, &t.req, &call, &resp);
    if (resp.deferred) routes_finish(&ctx, &call, &resp);
    memset(a, 0, sizeof *a);
    a->status = resp.status;
    a->json = json_loadb(resp.body.p ? resp.body.p : "", resp.body.len, 0, NULL);
    for (size_t i = 0; i < resp.nheaders; i++) {
        if (!strcasecmp(resp.headers[i].name, "Set-Cookie"))
            snprintf(a->cookie, sizeof a->cookie, "%s", resp.headers[i].value);
        if (!strcasecmp(resp.headers[i].name, "Retry-After"))
            snprintf(a->retry_after, sizeof a->retry_after, "%s", resp.headers[i].value);
    }
    const char *e = a->json ? json_string_value(json_object_get(a->json, "error")) : NULL;
    if (e) snprintf(a->error, sizeof a->error, "%s", e);
    http_response_clear(&resp);
    routes_call_clear(&call);
}

static void answer_free(struct answer *a) { json_decref(a->json); }

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

/* The code in the latest outbox row to +86 phone, as sent ("" when none) into code (7 bytes). */
static void code_sent(const char *phone, char code[7])
{
    char *body = db_text(dbpath, "SELECT body FROM outbox WHERE recipient = '+86%s' AND template = 'login_code' "
                                 "ORDER BY id DESC LIMIT 1", phone);
    code[0] = '\0';
    if (!body) return;
    const char *p = body + strcspn(body, "0123456789");
    assert_true(strspn(p, "0123456789") == 6);
    memcpy(code, p, 6);
    code[6] = '\0';
    free(body);
}

/* POST /api/v1/login/verify for phone with code; a filled. */
static void verify(const char *phone, const char *code, struct answer *a)
{
    char body[128];
    snprintf(body, sizeof body, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    send_req("POST", "/api/v1/login/verify", body, NULL, NULL, NULL, NULL, a);
}

/* Signs phone in at now_at: the cookie's value and the CSRF token
 * (SESSION_SECRET_LEN bytes each). */
static void sign_in(const char *phone, char *cookie, char *csrf)
{
    assert_int_equal(ask_code(phone, NULL), 202);
    char code[7];
    code_sent(phone, code);
    struct answer a;
    verify(phone, code, &a);
    assert_int_equal(a.status, 200);
    assert_int_equal(strncmp(a.cookie, SESSION_COOKIE "=", sizeof SESSION_COOKIE), 0);
    size_t n = strcspn(a.cookie + sizeof SESSION_COOKIE, ";");
    assert_int_equal(n, SESSION_SECRET_LEN - 1);
    memcpy(cookie, a.cookie + sizeof SESSION_COOKIE, n);
    cookie[n] = '\0';
    snprintf(csrf, SESSION_SECRET_LEN, "%s", json_string_value(json_object_get(a.json, "csrf")));
    answer_free(&a);
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
    setenv("TZ", "Asia/Shanghai", 1);
    snprintf(dir, sizeof dir, "/tmp/gw-signin-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char ini[160];
    snprintf(ini, sizeof ini, "%s/gw.ini", dir);
    snprintf(dbpath, sizeof dbpath, "%s/gw.db", dir);
    FILE *f = fopen(ini, "w");
    if (!f) return -1;
    fprintf(f,
            "[server]\npublic_url = " PUBLIC_URL "\n[store]\npath = %s\n"
            "[policy]\ntimezone = Asia/Shanghai\ndefault_region = 示例县\ncountry_code = 86\n"
            "[channel generic]\nprovider = generic\nsecret = " GENERIC_SECRET "\ndefault = yes\nurl = " NOWHERE_URL
            "\n",
            dbpath);
    fclose(f);
    char err[256];
    if (gw_config_load(ini, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    if (sqlite_store_open(dbpath, 1, &st, err, sizeof err) != 0) return -1;
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) return -1;
    seed_roster(st, "regions", "path\n示例县/东镇/甲村\n", T0);
    seed_roster(st, "staff",
                "phone,name,role,region,department\n"
                "+86" COUNTY_SUP ",县督导,supervisor,示例县,\n"
                "+86" DIRECTOR ",甲村主任,director,示例县/东镇/甲村,\n"
                "+86" ADMIN ",管理员,admin,示例县,\n",
                T0);
    return 0;
}

static int teardown(void **state)
{
    store_close(st);
    gw_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Each test starts an hour after the one before: no limit carries over. */
static int at_next_hour(void **state)
{
    static int64_t hour;
    now_at = T0 + 3600 * ++hour;
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void code_goes_to_staff_only(void **state)
{
    int64_t before = db_int(dbpath, "SELECT count(*) FROM outbox");
    assert_int_equal(ask_code(DIRECTOR, NULL), 202);
    assert_int_equal(db_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = '+86" DIRECTOR "' AND "
                                    "template = 'login_code' AND kind = 'alert' AND priority = 0"),
                     1);
    char code[7];
    code_sent(DIRECTOR, code);
    assert_int_equal(strlen(code), 6);
    /* No hint of the code in what the store keeps of it. */
    assert_int_equal(db_int(dbpath, "SELECT count(*) FROM login_code WHERE instr(hash, '%s') > 0", code), 0);
    /* A stranger is answered alike, and nothing is sent. */
    assert_int_equal(ask_code(STRANGER, NULL), 202);
    assert_int_equal(db_int(dbpath, "SELECT count(*) FROM outbox"), before + 1);
    assert_int_equal(db_int(dbpath, "SELECT count(*) FROM login_code WHERE phone = '+86" STRANGER "' AND hash = ''"),
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
    code_sent(COUNTY_SUP, code);
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
    assert_int_equal(db_int(dbpath, "SELECT count(*) FROM session WHERE hash = '%s' OR csrf_hash = '%s'", cookie, csrf),
                     0);
    assert_int_equal(db_int(dbpath, "SELECT count(*) FROM audit WHERE action = 'sign in'"), 1);
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
    code_sent(DIRECTOR, code);
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
    code_sent(ADMIN, code);
    now_at += SESSION_CODE_TTL + 1;
    struct answer a;
    verify(ADMIN, code, &a);
    assert_int_equal(a.status, 401);
    assert_string_equal(a.error, "code expired or used up");
    answer_free(&a);
}

static void codes_are_rate_limited(void **state)
{
    int64_t start = now_at;
    for (int i = 0; i < SESSION_RATE_PHONE; i++) {
        assert_int_equal(ask_code(DIRECTOR, NULL), 202);
        now_at += 10;
    }
    struct answer a;
    send_req("POST", "/api/v1/login", "{\"phone\":\"" DIRECTOR "\"}", NULL, NULL, NULL, NULL, &a);
    assert_int_equal(a.status, 429);
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)(start + SESSION_RATE_WINDOW - now_at));
    assert_string_equal(a.retry_after, want);
    answer_free(&a);
    /* The stranger's limit is the same: nothing tells them apart. */
    for (int i = 0; i < SESSION_RATE_PHONE; i++) assert_int_equal(ask_code(STRANGER, "198.51.100.7"), 202);
    assert_int_equal(ask_code(STRANGER, "198.51.100.7"), 429);
    /* Once the window has passed, one more counts. */
    now_at = start + SESSION_RATE_WINDOW;
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
    char cookie[SESSION_SECRET_LEN], csrf[SESSION_SECRET_LEN];
    sign_in(DIRECTOR, cookie, csrf);
    struct answer a;
    assert_int_equal(me(cookie, &a), 200);
    char name[32];
    snprintf(name, sizeof name, "staff:%lld", (long long)seed_staff_id(st, "+86" DIRECTOR));
    assert_string_equal(json_string_value(json_object_get(a.json, "name")), name);
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
    char token[AUTH_TOKEN_LEN], err[160], auth[80];
    assert_int_equal(auth_token_create(st, &spec, now_at, token, err, sizeof err), 0);
    snprintf(auth, sizeof auth, "Bearer %s", token);
    struct answer a;
    send_req("POST", "/api/v1/logout", NULL, NULL, NULL, NULL, auth, &a);
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
    char cookie[SESSION_SECRET_LEN], csrf[SESSION_SECRET_LEN];
    struct answer a;
    /* Idle: each request keeps it alive for AUTH_SESSION_IDLE more. */
    sign_in(ADMIN, cookie, csrf);
    now_at += AUTH_SESSION_IDLE;
    assert_int_equal(me(cookie, &a), 200);
    answer_free(&a);
    now_at += AUTH_SESSION_IDLE;
    assert_int_equal(me(cookie, &a), 200);
    answer_free(&a);
    now_at += AUTH_SESSION_IDLE + 1;
    assert_int_equal(me(cookie, &a), 401);
    answer_free(&a);
    /* Absolute: 12 hours, however busy. */
    int64_t start = now_at;
    sign_in(ADMIN, cookie, csrf);
    while (now_at + 1500 < start + AUTH_SESSION_MAX_AGE) {
        now_at += 1500;
        assert_int_equal(me(cookie, &a), 200);
        answer_free(&a);
    }
    now_at = start + AUTH_SESSION_MAX_AGE;
    assert_int_equal(me(cookie, &a), 401);
    answer_free(&a);
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
    };
    return cmocka_run_group_tests_name("signin", tests, setup, teardown);
}
