/* tests/unit/test_routes.c - the route table in-process, without a socket:
 * requests built as struct http_request go through routes_handle, their
 * jobs through a stand-in writer (pipeline_batch on a real SQLite file, at
 * once, on this thread) or the real store writer, and the answers are
 * checked as the HTTP server would send them. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../core/clock.h"
#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../gateway/metrics.h"
#include "../../gateway/routes.h"
#include "../../gateway/writer.h"
#include "../../handlers/auth.h"
#include "../../providers/form.h"
#include "../../providers/twilio.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define AT_TOKEN "demo-at-token"
#define TW_FORM  "application/x-www-form-urlencoded"

static char dir[64], dbpath[128];
static struct gw_config *cfg;
static struct store *st;

/* ---- the stand-in writer ---------------------------------------------------------- */

struct standin {
    int refuse;                    /* 1: every job is refused (a full queue) */
    int submitted;                 /* jobs handed over */
    enum pipeline_job_kind kind;   /* the last one's kind */
    int batch_rc;                  /* the last pipeline_batch's return */
};

/* Runs the job's batch at once on this thread, then its done callback. */
static int standin_submit(void *impl, struct pipeline_job *job)
{
    struct standin *s = impl;
    if (s->refuse) return -1;
    s->submitted++;
    s->kind = job->kind;
    struct pipeline_job *jobs[] = {job};
    s->batch_rc = pipeline_batch(st, cfg, jobs, 1, gw_clock_now());
    job->done(job);
    return 0;
}

/* ---- requests ---------------------------------------------------------------------- */

struct hdr {
    const char *name, *value;
};

struct test_req {
    struct http_request req;
    struct hdr hdrs[4];
};

static const char *header_of(const struct http_request *req, const char *name)
{
    const struct test_req *t = req->impl;
    for (size_t i = 0; i < 4 && t->hdrs[i].name; i++)
        if (!strcasecmp(t->hdrs[i].name, name)) return t->hdrs[i].value;
    return NULL;
}

/* A request for target (path and query) with body and headers (name,
 * value pairs ending in NULL). */
static void make_req(struct test_req *t, const char *method, const char *target, const char *body, ...)
{
    memset(t, 0, sizeof *t);
    static char path[256];
    snprintf(path, sizeof path, "%s", target);
    path[strcspn(path, "?")] = '\0';
    const char *q = strchr(target, '?');
    t->req = (struct http_request){.method = method,
                                   .path = path,
                                   .target = target,
                                   .query = q ? q + 1 : "",
                                   .body = body ? body : "",
                                   .body_len = body ? strlen(body) : 0,
                                   .client = "127.0.0.1",
                                   .header = header_of,
                                   .impl = t};
    va_list ap;
    va_start(ap, body);
    for (size_t i = 0; i < 4; i++) {
        const char *n = va_arg(ap, const char *);
        if (!n) break;
        t->hdrs[i].name = n;
        t->hdrs[i].value = va_arg(ap, const char *);
    }
    va_end(ap);
}

/* Twilio's signature of a form POSTed to target (into sig). */
static void twilio_sign(const char *target, const char *body, char sig[PROV_TWILIO_SIG_LEN + 1])
{
    char url[512], err[128];
    snprintf(url, sizeof url, PUBLIC_URL "%s", target);
    struct form f;
    assert_int_equal(form_parse(body, strlen(body), &f, err, sizeof err), 0);
    assert_int_equal(prov_twilio_signature(TWILIO_TOKEN, url, &f, sig), 0);
    form_free(&f);
}

/* Routes req with the writer w and, when deferred, finishes it: the answer
 * the server would send. Returns whether it was deferred. */
static int route(const struct routes_writer *w, const struct test_req *t, struct http_response *resp)
{
    struct routes_ctx ctx = {.cfg = cfg, .writer = *w};
    struct routes_call call = {0};
    memset(resp, 0, sizeof *resp);
    routes_handle(&ctx, &t->req, &call, resp);
    int deferred = resp->deferred;
    if (deferred) routes_finish(&ctx, &call, resp);
    routes_call_clear(&call);
    return deferred;
}

static const char *header_value(const struct http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (!strcasecmp(resp->headers[i].name, name)) return resp->headers[i].value;
    return NULL;
}

/* ---- fixture ------------------------------------------------------------------------- */

static int setup(void **state)
{
    setenv("TZ", "Asia/Shanghai", 1);
    snprintf(dir, sizeof dir, "/tmp/gw-routes-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char ini[160];
    snprintf(ini, sizeof ini, "%s/gw.ini", dir);
    char file[sizeof dbpath];
    snprintf(file, sizeof file, "%s/gw.db", dir);
    seed_store_where(dbpath, file);
    FILE *f = fopen(ini, "w");
    if (!f) return -1;
    seed_store_ini(f, dbpath);
    fprintf(f,
            "[server]\npublic_url = " PUBLIC_URL "\n"
            "[policy]\ntimezone = Asia/Shanghai\ndefault_region = 示例县\ncountry_code = 86\n"
            "[channel generic]\nprovider = generic\nsecret = " GENERIC_SECRET "\ndefault = yes\nurl = " NOWHERE_URL
            "\n[channel twilio]\nprovider = twilio\naccount_sid = AC00000000000000000000000000000001\n"
            "auth_token = " TWILIO_TOKEN "\nnumber = +12025550100\nurl = " NOWHERE_URL "\n"
            "[channel at]\nprovider = africastalking\nusername = sandbox\napi_key = k\ntoken = " AT_TOKEN
            "\nurl = " NOWHERE_URL "\n");
    fclose(f);
    char err[256];
    if (gw_config_load(ini, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    if (seed_store_open(dbpath, 1, &st, err, sizeof err) != 0) return -1;
    return store_migrate(st, NULL, NULL, err, sizeof err);
}

static int teardown(void **state)
{
    store_close(st);
    seed_store_drop(dbpath);
    gw_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ----------------------------------------------------------------------------- */

#define TW_SMS "MessageSid=SM00000000000000000000000000000001&AccountSid=AC00000000000000000000000000000001" \
               "&From=%2B8613800000001&To=%2B12025550100&Body=hello&NumMedia=0"

static void twilio_inbound_signed_is_stored(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    char sig[PROV_TWILIO_SIG_LEN + 1];
    twilio_sign("/hooks/twilio/sms", TW_SMS, sig);
    struct test_req t;
    make_req(&t, "POST", "/hooks/twilio/sms", TW_SMS, "Content-Type", TW_FORM, "X-Twilio-Signature", sig, NULL);
    struct http_response resp;
    assert_true(route(&w, &t, &resp));
    assert_int_equal(s.submitted, 1);
    assert_int_equal(s.kind, PIPELINE_JOB_SMS);
    assert_int_equal(s.batch_rc, 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/xml");
    assert_string_equal(resp.channel, "twilio");
    assert_non_null(strstr(gw_buf_cstr(&resp.body), "<Response"));
    http_response_clear(&resp);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox WHERE channel = 'twilio' AND raw_text = 'hello' "
                                    "AND sender = '+8613800000001'"),
                     1);
    /* The retry is acknowledged and stored once. */
    assert_true(route(&w, &t, &resp));
    assert_int_equal(resp.status, 200);
    http_response_clear(&resp);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox WHERE channel = 'twilio'"), 1);
}

static void twilio_bad_signature_is_403(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    char sig[PROV_TWILIO_SIG_LEN + 1];
    twilio_sign("/hooks/twilio/sms?other=1", TW_SMS, sig); /* signed for another URL */
    struct test_req t;
    make_req(&t, "POST", "/hooks/twilio/sms", TW_SMS, "Content-Type", TW_FORM, "X-Twilio-Signature", sig, NULL);
    struct http_response resp;
    assert_false(route(&w, &t, &resp));
    assert_int_equal(resp.status, 403);
    assert_string_equal(resp.content_type, "application/json");
    assert_string_equal(resp.channel, "twilio");
    assert_non_null(strstr(gw_buf_cstr(&resp.body), "\"error\""));
    http_response_clear(&resp);
    make_req(&t, "POST", "/hooks/twilio/sms", TW_SMS, "Content-Type", TW_FORM, NULL); /* unsigned */
    assert_false(route(&w, &t, &resp));
    assert_int_equal(resp.status, 403);
    http_response_clear(&resp);
    assert_int_equal(s.submitted, 0);
}

static void unknown_channel_and_path_are_404(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    static const struct {
        const char *method, *target, *error;
        int status;
    } cases[] = {
        {"POST", "/hooks/nope/sms", "unknown channel", 404},
        {"POST", "/hooks//sms", "unknown channel", 404},
        {"POST", "/hooks/twilio", "not found", 404},
        {"POST", "/hooks/twilio/nothing", "not found", 404},
        {"POST", "/hooks/twilio/sms/", "not found", 404},
        {"GET", "/index.html", "not found", 404},
        {"GET", "/dash/", "not found", 404},
        {"POST", "/", "use GET", 405},
        {"POST", "/hooks/generic/ussd", "this channel takes no USSD", 404},
        {"POST", "/hooks/twilio/ussd", "this channel takes no USSD", 404},
        {"PUT", "/hooks/twilio/sms", "use POST", 405},
        {"POST", "/hooks/twilio/voice/Menu", "no such step", 404},
        {"POST", "/hooks/twilio/voice/a/b", "no such step", 404},
        {"POST", "/healthz", "use GET", 405},
        {"DELETE", "/metrics", "use GET", 405},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_req t;
        make_req(&t, cases[i].method, cases[i].target, "", NULL);
        struct http_response resp;
        assert_false(route(&w, &t, &resp));
        if (resp.status != cases[i].status || !strstr(gw_buf_cstr(&resp.body), cases[i].error))
            fail_msg("%s %s: %d %s", cases[i].method, cases[i].target, resp.status, gw_buf_cstr(&resp.body));
        http_response_clear(&resp);
    }
    assert_int_equal(s.submitted, 0);
}

static void healthz_writes_a_probe(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    struct test_req t;
    make_req(&t, "GET", "/healthz", NULL, NULL);
    struct http_response resp;
    assert_true(route(&w, &t, &resp));
    assert_int_equal(s.kind, PIPELINE_JOB_PROBE);
    assert_int_equal(resp.status, 200);
    assert_string_equal(gw_buf_cstr(&resp.body), "ok\n");
    assert_null(resp.channel);
    http_response_clear(&resp);
    make_req(&t, "HEAD", "/healthz", NULL, NULL);
    assert_true(route(&w, &t, &resp));
    assert_int_equal(resp.status, 200);
    http_response_clear(&resp);
}

/* The dashboard's three files are served to anyone, without the writer,
 * under a policy that allows scripts and styles from this origin only; the
 * page itself holds no inline script, no inline style and no handler
 * attribute, so the policy does not break it. */
static void dashboard_is_served_under_a_strict_policy(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    static const struct {
        const char *path, *type, *must;
    } files[] = {
        {"/", "text/html; charset=utf-8", "/dash/app.js"},
        {"/dash/app.js", "text/javascript; charset=utf-8", "/api/v1/"},
        {"/dash/app.css", "text/css; charset=utf-8", "{"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct test_req t;
        make_req(&t, "GET", files[i].path, NULL, NULL);
        struct http_response resp;
        assert_false(route(&w, &t, &resp));
        assert_int_equal(resp.status, 200);
        assert_string_equal(resp.content_type, files[i].type);
        const char *csp = header_value(&resp, "Content-Security-Policy");
        assert_non_null(csp);
        assert_non_null(strstr(csp, "script-src 'self';"));
        assert_non_null(strstr(csp, "style-src 'self';"));
        assert_non_null(strstr(csp, "frame-ancestors 'none'"));
        assert_null(strstr(csp, "unsafe"));
        assert_string_equal(header_value(&resp, "X-Content-Type-Options"), "nosniff");
        const char *body = gw_buf_cstr(&resp.body);
        assert_non_null(strstr(body, files[i].must));
        if (i == 0) {
            assert_null(strstr(body, "<script>"));
            assert_null(strstr(body, " style="));
            assert_null(strstr(body, " onclick="));
            assert_null(strstr(body, " onload="));
        }
        http_response_clear(&resp);
    }
    assert_int_equal(s.submitted, 0);
}

static void refused_job_is_503_with_retry_after(void **state)
{
    struct standin s = {.refuse = 1};
    struct routes_writer w = {standin_submit, &s};
    struct test_req t;
    make_req(&t, "GET", "/healthz", NULL, NULL);
    struct http_response resp;
    assert_true(route(&w, &t, &resp));
    assert_int_equal(resp.status, 503);
    assert_non_null(header_value(&resp, "Retry-After"));
    assert_string_equal(header_value(&resp, "Retry-After"), "5");
    http_response_clear(&resp);
    struct routes_ctx ctx = {.cfg = cfg, .writer = w};
    routes_unavailable(&ctx, &resp);
    assert_int_equal(resp.status, 503);
    assert_string_equal(header_value(&resp, "Retry-After"), "5");
    http_response_clear(&resp);
}

static void too_big_names_the_channel(void **state)
{
    struct standin s = {0};
    struct routes_ctx ctx = {.cfg = cfg, .writer = {standin_submit, &s}};
    struct test_req t;
    struct http_response resp = {0};
    make_req(&t, "POST", "/hooks/twilio/sms?x=1", NULL, NULL);
    routes_too_big(&ctx, &t.req, &resp);
    assert_int_equal(resp.status, 413);
    assert_string_equal(resp.channel, "twilio");
    http_response_clear(&resp);
    make_req(&t, "POST", "/hooks/nope/sms", NULL, NULL);
    routes_too_big(&ctx, &t.req, &resp);
    assert_int_equal(resp.status, 413);
    assert_null(resp.channel);
    http_response_clear(&resp);
}

static void metrics_are_rendered(void **state)
{
    struct standin s = {0};
    struct metrics *m = metrics_new(cfg);
    metrics_request(m, "twilio", 200);
    struct routes_ctx ctx = {.cfg = cfg, .writer = {standin_submit, &s}, .metrics = m};
    struct test_req t;
    make_req(&t, "GET", "/metrics", NULL, NULL);
    struct routes_call call = {0};
    struct http_response resp = {0};
    routes_handle(&ctx, &t.req, &call, &resp);
    assert_false(resp.deferred);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/plain; version=0.0.4");
    assert_non_null(strstr(gw_buf_cstr(&resp.body), "twilio"));
    http_response_clear(&resp);
    routes_call_clear(&call);
    metrics_free(m);
}

static void ussd_step_answers_a_screen(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    const char *body = "sessionId=ATUid_routes_1&serviceCode=%2A384%2A1234%23&phoneNumber=%2B8613800000023"
                       "&networkCode=46001&text=";
    struct test_req t;
    make_req(&t, "POST", "/hooks/at/ussd?token=" AT_TOKEN, body, "Content-Type", TW_FORM, NULL);
    struct http_response resp;
    assert_true(route(&w, &t, &resp));
    assert_int_equal(s.kind, PIPELINE_JOB_USSD);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.channel, "at");
    const char *screen = gw_buf_cstr(&resp.body);
    if (strncmp(screen, "CON ", 4) != 0 && strncmp(screen, "END ", 4) != 0) fail_msg("USSD answer: %s", screen);
    http_response_clear(&resp);
    assert_int_equal(
        tdb_int(dbpath, "SELECT count(*) FROM ussd_session WHERE channel = 'at' AND session_id = 'ATUid_routes_1'"), 1);
    make_req(&t, "POST", "/hooks/at/ussd?token=wrong", body, "Content-Type", TW_FORM, NULL);
    assert_false(route(&w, &t, &resp));
    assert_int_equal(resp.status, 403);
    http_response_clear(&resp);
    assert_int_equal(s.submitted, 1);
}

static void twilio_status_receipt_is_applied(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    const char *body = "MessageSid=SM0000000000000000000000000000dead&MessageStatus=delivered"
                       "&AccountSid=AC00000000000000000000000000000001";
    char sig[PROV_TWILIO_SIG_LEN + 1];
    twilio_sign("/hooks/twilio/status", body, sig);
    struct test_req t;
    make_req(&t, "POST", "/hooks/twilio/status", body, "Content-Type", TW_FORM, "X-Twilio-Signature", sig, NULL);
    struct http_response resp;
    assert_true(route(&w, &t, &resp));
    assert_int_equal(s.kind, PIPELINE_JOB_STATUS);
    assert_int_equal(s.batch_rc, 0);
    assert_int_equal(resp.status, 200); /* names nothing sent: acknowledged, changes nothing */
    http_response_clear(&resp);
}

static void twilio_voice_call_is_answered(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    const char *body = "CallSid=CA00000000000000000000000000000001&AccountSid=AC00000000000000000000000000000001"
                       "&From=%2B8613800000001&To=%2B12025550100&CallStatus=ringing&Direction=inbound";
    char sig[PROV_TWILIO_SIG_LEN + 1];
    twilio_sign("/hooks/twilio/voice", body, sig);
    struct test_req t;
    make_req(&t, "POST", "/hooks/twilio/voice", body, "Content-Type", TW_FORM, "X-Twilio-Signature", sig, NULL);
    struct http_response resp;
    assert_true(route(&w, &t, &resp));
    assert_int_equal(s.kind, PIPELINE_JOB_VOICE);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/xml");
    assert_non_null(strstr(gw_buf_cstr(&resp.body), "<Response"));
    http_response_clear(&resp);
}

/* The real store writer behind the same interface: the answer is deferred
 * until the writer's thread is done. */
struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
};

static void on_done(struct routes_call *call)
{
    struct waiter *wt = call->arg;
    pthread_mutex_lock(&wt->lock);
    wt->done = 1;
    pthread_cond_signal(&wt->cond);
    pthread_mutex_unlock(&wt->lock);
}

static void real_writer_stores_and_answers(void **state)
{
    struct store *wst;
    char err[256];
    assert_int_equal(seed_store_open(dbpath, 1, &wst, err, sizeof err), 0);
    struct metrics *m = metrics_new(cfg);
    struct writer *wr;
    assert_int_equal(writer_start(cfg, wst, m, NULL, NULL, &wr), 0);
    struct routes_ctx ctx = {.cfg = cfg, .writer = routes_writer_of(wr), .metrics = m};
    const char *body = "MessageSid=SM00000000000000000000000000000002&AccountSid=AC00000000000000000000000000000001"
                       "&From=%2B8613800000002&To=%2B12025550100&Body=second&NumMedia=0";
    char sig[PROV_TWILIO_SIG_LEN + 1];
    twilio_sign("/hooks/twilio/sms", body, sig);
    struct test_req t;
    make_req(&t, "POST", "/hooks/twilio/sms", body, "Content-Type", TW_FORM, "X-Twilio-Signature", sig, NULL);
    struct waiter wt = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    struct routes_call call = {.on_done = on_done, .arg = &wt};
    struct http_response resp = {0};
    routes_handle(&ctx, &t.req, &call, &resp);
    assert_true(resp.deferred);
    pthread_mutex_lock(&wt.lock);
    while (!wt.done) pthread_cond_wait(&wt.cond, &wt.lock);
    pthread_mutex_unlock(&wt.lock);
    routes_finish(&ctx, &call, &resp);
    assert_int_equal(resp.status, 200);
    assert_int_equal(call.job.kind, PIPELINE_JOB_SMS);
    assert_int_equal(call.job.stored, 1);
    http_response_clear(&resp);
    routes_call_clear(&call);
    writer_stop(wr);
    metrics_free(m);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox WHERE raw_text = 'second'"), 1);
}

/* ---- the office API ------------------------------------------------------------------- */

/* Makes an API token through the port; token gets it. */
static void make_token(const char *name, const char *role, const char *region, char token[AUTH_TOKEN_LEN])
{
    struct auth_token_spec spec = {.name = name, .role = role, .region = region};
    char err[256] = "";
    if (auth_token_create(st, &spec, gw_clock_now(), token, err, sizeof err) != 0) fail_msg("token %s: %s", name, err);
}

/* GET /api/v1/me with the Authorization header auth (NULL: none). */
static int get_me(const struct routes_writer *w, const char *auth, struct http_response *resp)
{
    struct test_req t;
    make_req(&t, "GET", "/api/v1/me", NULL, auth ? "Authorization" : NULL, auth, NULL);
    return route(w, &t, resp);
}

/* Asserts a refused API answer: status, JSON error, never cached. */
static void assert_api_refused(const struct http_response *resp, int status)
{
    assert_int_equal(resp->status, status);
    assert_string_equal(resp->content_type, "application/json");
    assert_non_null(strstr(gw_buf_cstr(&resp->body), "{\"error\":\""));
    assert_string_equal(header_value(resp, "Cache-Control"), "no-store");
    if (status == 401) assert_string_equal(header_value(resp, "WWW-Authenticate"), "Bearer");
}

static void api_without_a_good_token_is_401(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    struct http_response resp;
    /* No header, or not a bearer token: answered at once, the store untouched. */
    assert_false(get_me(&w, NULL, &resp));
    assert_api_refused(&resp, 401);
    http_response_clear(&resp);
    assert_false(get_me(&w, "Basic dXNlcjpwYXNz", &resp));
    assert_api_refused(&resp, 401);
    http_response_clear(&resp);
    assert_int_equal(s.submitted, 0);
    /* A token no one was given: looked up by the writer. */
    assert_true(get_me(&w, "Bearer gwt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &resp));
    assert_int_equal(s.kind, PIPELINE_JOB_API);
    assert_int_equal(s.batch_rc, 0);
    assert_api_refused(&resp, 401);
    http_response_clear(&resp);
    /* Revoked. */
    char token[AUTH_TOKEN_LEN], auth[80];
    make_token("gone", "auditor", NULL, token);
    snprintf(auth, sizeof auth, "Bearer %s", token);
    assert_true(get_me(&w, auth, &resp));
    assert_int_equal(resp.status, 200);
    http_response_clear(&resp);
    assert_int_equal(store_token_revoke(st, "gone", gw_clock_now()), 0);
    assert_true(get_me(&w, auth, &resp));
    assert_api_refused(&resp, 401);
    http_response_clear(&resp);
}

static void api_me_answers_who_the_token_is(void **state)
{
    struct standin s = {0};
    struct routes_writer w = {standin_submit, &s};
    seed_roster(st, "regions", "path\n示例县\n示例县/东溪镇\n", gw_clock_now());
    char token[AUTH_TOKEN_LEN], auth[80];
    make_token("county-office", "county", "示例县", token);
    snprintf(auth, sizeof auth, "Bearer %s", token);
    struct http_response resp;
    assert_true(get_me(&w, auth, &resp));
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json");
    assert_string_equal(header_value(&resp, "Cache-Control"), "no-store");
    json_error_t jerr;
    json_t *j = json_loads(gw_buf_cstr(&resp.body), 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "county-office");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "county");
    assert_string_equal(json_string_value(json_object_get(j, "region")), "示例县");
    assert_true(json_is_null(json_object_get(j, "department")));
    json_decref(j);
    http_response_clear(&resp);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM api_token WHERE name = 'county-office' "
                                    "AND last_used_at IS NOT NULL"),
                     1);
    /* Only GET. */
    struct test_req t;
    make_req(&t, "POST", "/api/v1/me", "", "Authorization", auth, NULL);
    assert_false(route(&w, &t, &resp));
    assert_int_equal(resp.status, 405);
    http_response_clear(&resp);
    make_req(&t, "GET", "/api/v1/nothing", NULL, "Authorization", auth, NULL);
    assert_false(route(&w, &t, &resp));
    assert_int_equal(resp.status, 404);
    http_response_clear(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(twilio_inbound_signed_is_stored),
        cmocka_unit_test(twilio_bad_signature_is_403),
        cmocka_unit_test(unknown_channel_and_path_are_404),
        cmocka_unit_test(healthz_writes_a_probe),
        cmocka_unit_test(dashboard_is_served_under_a_strict_policy),
        cmocka_unit_test(refused_job_is_503_with_retry_after),
        cmocka_unit_test(too_big_names_the_channel),
        cmocka_unit_test(metrics_are_rendered),
        cmocka_unit_test(ussd_step_answers_a_screen),
        cmocka_unit_test(twilio_status_receipt_is_applied),
        cmocka_unit_test(twilio_voice_call_is_answered),
        cmocka_unit_test(real_writer_stores_and_answers),
        cmocka_unit_test(api_without_a_good_token_is_401),
        cmocka_unit_test(api_me_answers_who_the_token_is),
    };
    return cmocka_run_group_tests_name("routes", tests, setup, teardown);
}
