/* tests/e2e/test_signin.c - a county office signs in through the real
 * binary: the demo roster's county officer and auditor (examples/roster)
 * ask for a code, the code arrives by SMS at a stand-in for the provider's
 * send API, the officer signs in with it and gets a session cookie, the
 * session carries the roster's role and scope, writes need the CSRF
 * token, the auditor reads the audit log and nothing else, logout ends the
 * session; and the dashboard itself is served under its strict policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../common/harness.h"
#include "../common/standin.h"

#define COUNTY_OFFICER "+8613800003002"
#define AUDITOR "+8613800003003"

static struct gw_proc G;
static struct standin *S;

static int setup(void **state)
{
    (void)state;
    if (standin_start(&S) != 0) return -1;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", standin_port(S));
    if (gwp_init_send(&G, "[sender]\nbackoff = 1\nbackoff_max = 1\ntimeout = 2\n", 1, url, url) != 0) return -1;
    return gwp_start(&G);
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    standin_release(S);
    standin_stop(S);
    return 0;
}

/* The session a verified sign-in opened: its cookie ("gw_session=...") and
 * CSRF token. */
struct signed_in {
    char cookie[160];
    char csrf[96];
};

/* Asks for a code for phone and takes it from the SMS the stand-in got. */
static void code_by_sms(const char *phone, char code[7])
{
    size_t before = standin_count(S);
    char body[64];
    snprintf(body, sizeof body, "{\"phone\":\"%s\"}", phone);
    const char *h[] = {"Content-Type: application/json", NULL};
    struct http_resp r;
    assert_int_equal(http_req(G.port, "POST", "/api/v1/login", h, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 202);
    http_resp_free(&r);
    assert_true(standin_wait(S, before + 1, 10000) >= before + 1);
    struct standin_req q;
    assert_int_equal(standin_get(S, before, &q), 0);
    json_t *j = json_loads(q.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "to")), phone);
    const char *text = json_string_value(json_object_get(j, "text"));
    assert_non_null(text);
    const char *p = text;
    while (*p && !(p[0] >= '0' && p[0] <= '9' && strspn(p, "0123456789") == 6)) p++;
    assert_true(*p != '\0');
    memcpy(code, p, 6);
    code[6] = '\0';
    assert_null(strstr(text, "王建华")); /* no name in the SMS */
    json_decref(j);
    standin_req_free(&q);
}

/* Signs phone in with code; returns the HTTP status, fills s on 200. */
static long verify(const char *phone, const char *code, struct signed_in *s)
{
    char body[96];
    snprintf(body, sizeof body, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    const char *h[] = {"Content-Type: application/json", NULL};
    struct http_resp r;
    assert_int_equal(http_req(G.port, "POST", "/api/v1/login/verify", h, body, strlen(body), &r), 0);
    long status = r.status;
    if (status == 200) {
        /* The cookie: HttpOnly, SameSite=Strict, Secure (public_url is https). */
        assert_non_null(strstr(r.set_cookie, "HttpOnly"));
        assert_non_null(strstr(r.set_cookie, "SameSite=Strict"));
        assert_non_null(strstr(r.set_cookie, "Secure"));
        snprintf(s->cookie, sizeof s->cookie, "%.*s", (int)strcspn(r.set_cookie, ";"), r.set_cookie);
        assert_memory_equal(s->cookie, "gw_session=", 11);
        json_t *j = json_loads(r.body, 0, NULL);
        assert_non_null(j);
        snprintf(s->csrf, sizeof s->csrf, "%s", json_string_value(json_object_get(j, "csrf")));
        assert_true(strlen(s->csrf) > 16);
        json_decref(j);
    }
    http_resp_free(&r);
    return status;
}

/* A request in the session (with its CSRF token when csrf is 1); returns
 * the status, the body in r (free it). */
static long in_session(const struct signed_in *s, const char *method, const char *target, const char *body,
                       int csrf, struct http_resp *r)
{
    char cookie[200], token[128];
    snprintf(cookie, sizeof cookie, "Cookie: %s", s->cookie);
    snprintf(token, sizeof token, "X-CSRF-Token: %s", s->csrf);
    const char *h[] = {cookie, "Content-Type: application/json", csrf ? token : NULL, NULL};
    assert_int_equal(http_req(G.port, method, target, h, body, body ? strlen(body) : 0, r), 0);
    return r->status;
}

static void county_officer_signs_in_by_sms(void **state)
{
    (void)state;
    char code[7];
    code_by_sms(COUNTY_OFFICER, code);
    struct signed_in s;
    char wrong[7];
    memcpy(wrong, code, sizeof wrong);
    wrong[5] = wrong[5] == '9' ? '0' : (char)(wrong[5] + 1);
    assert_int_equal(verify(COUNTY_OFFICER, wrong, &s), 401);
    assert_int_equal(verify(COUNTY_OFFICER, code, &s), 200);
    assert_int_equal(verify(COUNTY_OFFICER, code, &s), 401); /* a code signs in once */

    struct http_resp r;
    assert_int_equal(in_session(&s, "GET", "/api/v1/me", NULL, 0, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "role")), "county");
    assert_string_equal(json_string_value(json_object_get(j, "region")), "示例县");
    json_decref(j);
    http_resp_free(&r);

    /* A report comes in by SMS; the officer sees it in the case list. */
    struct http_resp h;
    assert_int_equal(post_generic(G.port, "signin-1", "+8613912345678", "BG 4 示例县东溪镇上湾村 孩子被打", &h), 0);
    assert_int_equal(h.status, 200);
    http_resp_free(&h);
    assert_int_equal(in_session(&s, "GET", "/api/v1/cases", NULL, 0, &r), 200);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    json_t *rows = json_object_get(j, "cases");
    assert_true(json_array_size(rows) >= 1);
    char number[32];
    snprintf(number, sizeof number, "%s", json_string_value(json_object_get(json_array_get(rows, 0), "number")));
    json_decref(j);
    http_resp_free(&r);

    /* A write without the CSRF token is refused and changes nothing; with
     * it, the note is added and audited. */
    char target[96];
    snprintf(target, sizeof target, "/api/v1/cases/%s/note", number);
    assert_int_equal(in_session(&s, "POST", target, "{\"text\":\"已电话联系村主任\"}", 0, &r), 403);
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event WHERE kind = 'note'"), 0);
    assert_int_equal(in_session(&s, "POST", target, "{\"text\":\"已电话联系村主任\"}", 1, &r), 200);
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event WHERE kind = 'note'"), 1);
    assert_true(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'case note' AND actor LIKE 'staff:%%'") == 1);

    /* Logout ends the session: the same cookie is refused afterwards. */
    assert_int_equal(in_session(&s, "POST", "/api/v1/logout", NULL, 1, &r), 200);
    http_resp_free(&r);
    assert_int_equal(in_session(&s, "GET", "/api/v1/me", NULL, 0, &r), 401);
    http_resp_free(&r);
}

static void auditor_reads_the_audit_log_only(void **state)
{
    (void)state;
    char code[7];
    code_by_sms(AUDITOR, code);
    struct signed_in s;
    assert_int_equal(verify(AUDITOR, code, &s), 200);
    struct http_resp r;
    assert_int_equal(in_session(&s, "GET", "/api/v1/audit", NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "staff:"));
    http_resp_free(&r);
    assert_int_equal(in_session(&s, "GET", "/api/v1/cases", NULL, 0, &r), 403);
    http_resp_free(&r);
    assert_int_equal(in_session(&s, "GET", "/api/v1/children?q=1000", NULL, 0, &r), 403);
    http_resp_free(&r);
}

static void the_dashboard_is_served(void **state)
{
    (void)state;
    struct http_resp r;
    assert_int_equal(http_req(G.port, "GET", "/", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/html; charset=utf-8");
    assert_non_null(strstr(r.body, "/dash/app.js"));
    http_resp_free(&r);
    assert_int_equal(http_req(G.port, "GET", "/dash/app.js", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "javascript"));
    http_resp_free(&r);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(county_officer_signs_in_by_sms),
        cmocka_unit_test(auditor_reads_the_audit_log_only),
        cmocka_unit_test(the_dashboard_is_served),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
