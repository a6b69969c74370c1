/* tests/e2e/test_voice.c - the voice line through the real `gateway serve`:
 * step sequences for Twilio (signed TwiML requests) and Africa's Talking
 * (token in the URL), each step taken from the URL the previous answer
 * named, with the effects read back from the database: the case opened
 * from the category on, the recording queued, the visit recorded, the
 * call's path, duration and final status; hang-ups, no input, a retried
 * step and the hotline included; a recording URL that points inside (plain
 * http to a live local server, or a host the provider does not serve
 * recordings from) is never fetched and tells nobody. One gateway (demo
 * roster, [policy] hotline set, no media_allow_local_for_tests) serves
 * every test; each call has its own call id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../core/util.h"
#include "../../providers/form.h"
#include "../../providers/twilio.h"
#include "../common/harness.h"
#include "../common/mediasrv.h"

#define AT_TOKEN "demo-at-token"
#define HOTLINE  "12355"
#define DIRECTOR "+8613800000001" /* 刘永福, director of 示例县/东溪镇/上湾村 */
#define CHILD    "1110011"        /* a child of 上湾村 */
#define PUBLIC1  "+8613700000091"
#define PUBLIC2  "+8613700000092"
#define REC_URL  "http://127.0.0.1:9/recordings/" /* loopback, where nothing listens */

static struct gw_proc G;
static struct mediasrv *M; /* a live server the refused recordings point at */

static int setup(void **state)
{
    if (mediasrv_start(&M) != 0) return -1;
    const char *ini = "[channel at]\nprovider = africastalking\nusername = sandbox\napi_key = k\n"
                      "token = " AT_TOKEN "\nurl = " NOWHERE_URL "\n"
                      "[policy]\nhotline = " HOTLINE "\n";
    if (gwp_init(&G, ini, 1) != 0 || gwp_start(&G) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    mediasrv_stop(M);
    return 0;
}

/* ---- one step of a call ---------------------------------------------------- */

struct answer {
    long status;
    char ctype[128];
    char *body;    /* owned */
    char next[64]; /* the step the answer names next, "" when none */
};

static void answer_free(struct answer *a)
{
    free(a->body);
    memset(a, 0, sizeof *a);
}

/* The first step named in body after "/hooks/<channel>/voice/". */
static void next_step(const char *body, const char *channel, char *out, size_t outlen)
{
    char pat[64];
    snprintf(pat, sizeof pat, "/hooks/%s/voice/", channel);
    out[0] = '\0';
    const char *p = body ? strstr(body, pat) : NULL;
    if (!p) return;
    p += strlen(pat);
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (n >= outlen) n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* POSTs a Twilio voice request to /hooks/twilio/voice[/step], signed. */
static void twilio(const char *step, const char *body, struct answer *a)
{
    char path[128];
    snprintf(path, sizeof path, "/hooks/twilio/voice%s%s", step && *step ? "/" : "", step ? step : "");
    struct http_resp r;
    assert_int_equal(post_twilio(G.port, path, body, &r), 0);
    memset(a, 0, sizeof *a);
    a->status = r.status;
    snprintf(a->ctype, sizeof a->ctype, "%s", r.ctype);
    a->body = strdup(r.body ? r.body : "");
    next_step(a->body, "twilio", a->next, sizeof a->next);
    http_resp_free(&r);
}

/* A Twilio request body for call sid from a caller, with extra fields. */
static char *tw_body(const char *sid, const char *from, const char *status, const char *extra)
{
    struct gw_buf b = {0};
    char *f = form_escape(from);
    gw_buf_printf(&b,
                  "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01&CallSid=%s&CallStatus=%s"
                  "&Direction=inbound&From=%s&To=%%2B12025550100%s",
                  sid, status, f, extra ? extra : "");
    free(f);
    return gw_buf_steal(&b);
}

static void tw_step(const char *sid, const char *from, const char *step, const char *extra, struct answer *a)
{
    char *body = tw_body(sid, from, "in-progress", extra);
    twilio(step, body, a);
    free(body);
    if (a->status != 200) fail_msg("twilio %s: status %ld: %s", step, a->status, a->body);
    assert_string_equal(a->ctype, "text/xml");
}

/* POSTs an Africa's Talking voice request to /hooks/at/voice[/step]?token=... */
static void at(const char *step, const char *body, const char *token, struct answer *a)
{
    char target[160];
    snprintf(target, sizeof target, "/hooks/at/voice%s%s%s%s", step && *step ? "/" : "", step ? step : "",
             token ? "?token=" : "", token ? token : "");
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    struct http_resp r;
    assert_int_equal(http_req(G.port, "POST", target, h, body, strlen(body), &r), 0);
    memset(a, 0, sizeof *a);
    a->status = r.status;
    snprintf(a->ctype, sizeof a->ctype, "%s", r.ctype);
    a->body = strdup(r.body ? r.body : "");
    next_step(a->body, "at", a->next, sizeof a->next);
    http_resp_free(&r);
}

static void at_step(const char *sid, const char *from, const char *step, const char *extra, struct answer *a)
{
    struct gw_buf b = {0};
    char *f = form_escape(from);
    gw_buf_printf(&b, "isActive=1&sessionId=%s&direction=Inbound&callerNumber=%s&destinationNumber=%%2B254711000000%s",
                  sid, f, extra ? extra : "");
    free(f);
    at(step, gw_buf_cstr(&b), AT_TOKEN, a);
    gw_buf_free(&b);
    if (a->status != 200) fail_msg("at %s: status %ld: %s", step, a->status, a->body);
    assert_string_equal(a->ctype, "application/xml");
    /* Every URL the answer names carries the channel token back. */
    const char *p = a->body;
    while ((p = strstr(p, "/hooks/at/voice/"))) {
        size_t n = strcspn(p, "\"<");
        char url[160];
        snprintf(url, sizeof url, "%.*s", (int)(n < 159 ? n : 159), p);
        if (!strstr(url, "?token=" AT_TOKEN)) fail_msg("a step URL without the token: %s", url);
        p += n;
    }
}

static void at_final(const char *sid, const char *from, const char *extra, struct answer *a)
{
    struct gw_buf b = {0};
    char *f = form_escape(from);
    gw_buf_printf(&b, "isActive=0&sessionId=%s&direction=Inbound&callerNumber=%s&destinationNumber=%%2B254711000000%s",
                  sid, f, extra ? extra : "");
    free(f);
    at(NULL, gw_buf_cstr(&b), AT_TOKEN, a);
    gw_buf_free(&b);
    assert_int_equal(a->status, 200);
}

static void has(const struct answer *a, const char *s)
{
    if (!strstr(a->body, s)) fail_msg("\"%s\" not in the answer: %s", s, a->body);
}

static void expect_next(const struct answer *a, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(a->next, base, n) || a->next[n] != '_')
        fail_msg("next step %s, expected %s_<n>: %s", a->next, base, a->body);
}

static int64_t cases_now(void) { return db_int(G.db, "SELECT count(*) FROM cases"); }

/* ---- Twilio ---------------------------------------------------------------------- */

static void twilio_report_with_recording(void **state)
{
    const char *sid = "CAe2e00000000000000000000000000001";
    struct answer a;
    char *body = tw_body(sid, PUBLIC1, "ringing", NULL);
    twilio(NULL, body, &a);
    free(body);
    assert_int_equal(a.status, 200);
    has(&a, "<Gather input=\"dtmf\" numDigits=\"1\"");
    has(&a, "<Say language=\"cmn-CN\">您好");
    has(&a, "<Redirect>" PUBLIC_URL "/hooks/twilio/voice/menu_1</Redirect>");
    expect_next(&a, "menu");
    char step[64];
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);

    tw_step(sid, PUBLIC1, step, "&Digits=1", &a);
    expect_next(&a, "report_cat");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);

    int64_t before = cases_now();
    tw_step(sid, PUBLIC1, step, "&Digits=2", &a);
    has(&a, "<Record maxLength=\"120\"");
    has(&a, "finishOnKey=\"#\"");
    expect_next(&a, "report_rec");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    /* The case exists from the category on, with the reporter's SMS and the alerts queued. */
    assert_int_equal(cases_now(), before + 1);
    char *no = db_text(G.db, "SELECT c.number FROM call k JOIN cases c ON c.id = k.case_id WHERE k.call_id = %Q", sid);
    assert_non_null(no);
    assert_int_equal(db_int(G.db,
                            "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.number = %Q "
                            "AND o.recipient = %Q AND o.kind = 'reply'",
                            no, PUBLIC1),
                     1);
    assert_true(db_int(G.db,
                       "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.number = %Q "
                       "AND o.kind = 'alert'",
                       no) >= 1);

    tw_step(
        sid, PUBLIC1, step,
        "&Digits=%23&RecordingDuration=14&RecordingSid=RE1&RecordingUrl=http%3A%2F%2F127.0.0.1%3A9%2Frecordings%2FRE1",
        &a);
    has(&a, "<Hangup/>");
    char spelt[32] = "";
    for (size_t i = 0; no[i]; i++)
        snprintf(spelt + strlen(spelt), sizeof spelt - strlen(spelt), i ? " %c" : "%c", no[i]);
    has(&a, spelt);
    assert_string_equal(a.next, "");
    answer_free(&a);
    assert_int_equal(db_int(G.db,
                            "SELECT count(*) FROM media m JOIN cases c ON c.id = m.case_id WHERE c.number = %Q "
                            "AND m.url = %Q AND m.duration = 14",
                            no, REC_URL "RE1"),
                     1);

    /* The call-status callback: duration and final status. */
    body = tw_body(sid, PUBLIC1, "completed", "&CallDuration=83");
    twilio(NULL, body, &a);
    free(body);
    assert_int_equal(a.status, 200);
    answer_free(&a);
    char *row = db_text(G.db,
                        "SELECT path || ' ' || duration || ' ' || final_status || ' ' || caller FROM call "
                        "WHERE call_id = %Q",
                        sid);
    assert_non_null(row);
    assert_string_equal(row, "menu>report_cat>report_rec>done 83 completed " PUBLIC1);
    free(row);
    free(no);
}

static void twilio_hangup_after_category(void **state)
{
    const char *sid = "CAe2e00000000000000000000000000002";
    struct answer a;
    tw_step(sid, PUBLIC2, NULL, NULL, &a);
    char step[64];
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    tw_step(sid, PUBLIC2, step, "&Digits=1", &a);
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    int64_t before = cases_now();
    tw_step(sid, PUBLIC2, step, "&Digits=4", &a);
    has(&a, "110");
    answer_free(&a);
    /* The caller hangs up while asked to speak: Twilio sends the status callback only. */
    char *body = tw_body(sid, PUBLIC2, "completed", "&CallDuration=21");
    twilio(NULL, body, &a);
    free(body);
    assert_int_equal(a.status, 200);
    answer_free(&a);
    assert_int_equal(cases_now(), before + 1);
    assert_int_equal(
        db_int(G.db, "SELECT count(*) FROM media m JOIN call k ON k.id = m.call_row_id WHERE k.call_id = %Q", sid), 0);
    assert_int_equal(db_int(G.db,
                            "SELECT count(*) FROM call WHERE call_id = %Q AND case_id IS NOT NULL AND duration = 21 "
                            "AND final_status = 'completed' AND path = 'menu>report_cat>report_rec'",
                            sid),
                     1);
}

static void twilio_no_input_and_retry(void **state)
{
    const char *sid = "CAe2e00000000000000000000000000003";
    struct answer a, b;
    tw_step(sid, PUBLIC1, NULL, NULL, &a);
    char step[64];
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    /* A retried request: the same answer, nothing done twice. */
    tw_step(sid, PUBLIC1, step, "&Digits=5", &a);
    tw_step(sid, PUBLIC1, step, "&Digits=5", &b);
    assert_string_equal(a.body, b.body);
    has(&a, "按键无效");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    answer_free(&b);
    /* No key: the Gather falls through to the Redirect, which comes back without Digits. */
    tw_step(sid, PUBLIC1, step, NULL, &a);
    has(&a, "没有听到您的按键");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    tw_step(sid, PUBLIC1, step, NULL, &a);
    has(&a, "再见");
    has(&a, "<Hangup/>");
    assert_null(strstr(a.body, "<Gather"));
    answer_free(&a);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM call WHERE call_id = %Q AND path = 'menu>menu>menu>bye'", sid),
                     1);
}

static void twilio_hotline_and_refusals(void **state)
{
    const char *sid = "CAe2e00000000000000000000000000004";
    struct answer a;
    tw_step(sid, PUBLIC1, NULL, NULL, &a);
    char step[64];
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    /* 2 is for directors: the menu again. */
    tw_step(sid, PUBLIC1, step, "&Digits=2", &a);
    has(&a, "仅供登记的儿童主任");
    expect_next(&a, "menu");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    tw_step(sid, PUBLIC1, step, "&Digits=0", &a);
    has(&a, "<Dial>" HOTLINE "</Dial><Hangup/>");
    answer_free(&a);

    /* A wrong signature is refused and stores nothing. */
    char *body = tw_body("CAe2e00000000000000000000000000005", PUBLIC1, "ringing", NULL);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded",
                       "X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL};
    struct http_resp r;
    assert_int_equal(http_req(G.port, "POST", "/hooks/twilio/voice", h, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 403);
    http_resp_free(&r);
    free(body);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM call WHERE call_id = 'CAe2e00000000000000000000000000005'"), 0);
}

/* ---- Africa's Talking ------------------------------------------------------------- */

static void at_visit_by_director(void **state)
{
    const char *sid = "ATVId_e2e_1";
    struct answer a;
    at_step(sid, DIRECTOR, NULL, NULL, &a);
    has(&a, "<GetDigits numDigits=\"1\"");
    has(&a, "callbackUrl=\"" PUBLIC_URL "/hooks/at/voice/menu_1?token=" AT_TOKEN "\"");
    has(&a, "<Say voice=\"woman\">您好");
    has(&a, "</GetDigits><Redirect>");
    char step[64];
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    at_step(sid, DIRECTOR, step, "&dtmfDigits=2", &a);
    expect_next(&a, "visit_child");
    has(&a, "numDigits=\"7\"");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    /* A mistyped code is asked again. */
    at_step(sid, DIRECTOR, step, "&dtmfDigits=1110012", &a);
    has(&a, "编号有误");
    expect_next(&a, "visit_child");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    at_step(sid, DIRECTOR, step, "&dtmfDigits=" CHILD, &a);
    expect_next(&a, "visit_result");
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    int64_t before = db_int(G.db, "SELECT count(*) FROM visit");
    at_step(sid, DIRECTOR, step, "&dtmfDigits=2", &a);
    expect_next(&a, "visit_problem");
    assert_null(strstr(a.body, "numDigits")); /* several keys, ended by # */
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    at_step(sid, DIRECTOR, step, "&dtmfDigits=36%23", &a);
    has(&a, "走访和发现的问题已记录");
    assert_null(strstr(a.body, "GetDigits"));
    assert_string_equal(a.next, "");
    answer_free(&a);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), before + 1);
    char *v = db_text(G.db, "SELECT c.code || ' ' || v.result || ' ' || v.problems FROM visit v JOIN child c ON "
                            "c.id = v.child_id ORDER BY v.id DESC LIMIT 1");
    assert_non_null(v);
    assert_string_equal(v, CHILD " 2 XX|AQ");
    free(v);
    /* The director's SMS confirmation is queued as for ZF. */
    assert_true(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template = 'visit_ok_problem'",
                       DIRECTOR) >= 1);

    at_final(sid, DIRECTOR, "&durationInSeconds=47&currencyCode=KES&amount=1.5000", &a);
    answer_free(&a);
    char *row =
        db_text(G.db, "SELECT path || ' ' || duration || ' ' || final_status FROM call WHERE call_id = %Q", sid);
    assert_non_null(row);
    assert_string_equal(row, "menu>visit_child>visit_child>visit_result>visit_problem>done 47 completed");
    free(row);
}

static void at_report_hangup_while_recording(void **state)
{
    const char *sid = "ATVId_e2e_2";
    struct answer a;
    at_step(sid, PUBLIC2, NULL, NULL, &a);
    char step[64];
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    at_step(sid, PUBLIC2, step, "&dtmfDigits=1", &a);
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    int64_t before = cases_now();
    at_step(sid, PUBLIC2, step, "&dtmfDigits=7", &a);
    has(&a, "<Record finishOnKey=\"#\" maxLength=\"120\" trimSilence=\"true\" playBeep=\"true\" callbackUrl=");
    answer_free(&a);
    assert_int_equal(cases_now(), before + 1);
    /* The caller hangs up while speaking: the final request brings the recording. */
    at_final(sid, PUBLIC2, "&recordingUrl=http%3A%2F%2F127.0.0.1%3A9%2Frecordings%2FAT2.mp3&durationInSeconds=64", &a);
    has(&a, "<Response/>");
    answer_free(&a);
    assert_int_equal(db_int(G.db,
                            "SELECT count(*) FROM media m JOIN call k ON k.case_id = m.case_id AND k.id = "
                            "m.call_row_id WHERE k.call_id = %Q AND m.url = %Q",
                            sid, REC_URL "AT2.mp3"),
                     1);
    assert_int_equal(db_int(G.db, "SELECT duration FROM call WHERE call_id = %Q", sid), 64);
}

/* A caller who knows only the channel token names a recording inside:
 * plain http to a live loopback server, then https to a host Africa's
 * Talking does not serve recordings from. Neither is requested; each media
 * row fails for good with the reason, and no responder is told. */
static void at_recording_inside_is_never_fetched(void **state)
{
    static const char audio[] = "ID3-not-for-outsiders";
    mediasrv_put(M, "/recordings/AT6.mp3", "audio/mpeg", audio, sizeof audio, 0);
    static const struct {
        const char *sid, *scheme, *error;
    } cases[] = {
        {"ATVId_e2e_6", "http", "refusing a recording URL that is not https"},
        {"ATVId_e2e_7", "https", "refusing a recording from 127.0.0.1: not in [channel at] media_hosts"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct answer a;
        at_step(cases[i].sid, PUBLIC1, NULL, NULL, &a);
        char step[64];
        snprintf(step, sizeof step, "%s", a.next);
        answer_free(&a);
        at_step(cases[i].sid, PUBLIC1, step, "&dtmfDigits=1", &a);
        snprintf(step, sizeof step, "%s", a.next);
        answer_free(&a);
        at_step(cases[i].sid, PUBLIC1, step, "&dtmfDigits=7", &a);
        answer_free(&a);
        char extra[160];
        snprintf(extra, sizeof extra, "&recordingUrl=%s%%3A%%2F%%2F127.0.0.1%%3A%d%%2Frecordings%%2FAT6.mp3",
                 cases[i].scheme, mediasrv_port(M));
        at_final(cases[i].sid, PUBLIC1, extra, &a);
        answer_free(&a);
        int64_t case_id = db_int(G.db, "SELECT case_id FROM call WHERE call_id = %Q", cases[i].sid);
        assert_true(case_id > 0);
        assert_true(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %lld AND template = 'case_alert'",
                           (long long)case_id) > 0);
        char *row = NULL;
        for (int waited = 0; waited < 10000; waited += 20) {
            free(row);
            row = db_text(G.db,
                          "SELECT m.status || '|' || m.attempts || '|' || coalesce(m.last_error, '') FROM media m "
                          "JOIN call k ON k.id = m.call_row_id WHERE k.call_id = %Q",
                          cases[i].sid);
            if (row && strncmp(row, "queued", 6) && strncmp(row, "fetching", 8)) break;
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        char want[200];
        snprintf(want, sizeof want, "failed|1|%s", cases[i].error);
        if (!row || strcmp(row, want)) fail_msg("%s: media '%s', expected '%s'", cases[i].sid, row ? row : "-", want);
        free(row);
        assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %lld AND template = "
                                      "'case_recording'",
                                (long long)case_id),
                         0);
    }
    assert_int_equal(mediasrv_hits(M, "*"), 0);
}

static void at_no_input_and_hotline(void **state)
{
    const char *sid = "ATVId_e2e_3";
    struct answer a;
    at_step(sid, PUBLIC1, NULL, NULL, &a);
    char step[64];
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    /* AT moves on without calling back; the Redirect brings no dtmfDigits. */
    for (int i = 0; i < 2; i++) {
        at_step(sid, PUBLIC1, step, NULL, &a);
        has(&a, "没有听到您的按键");
        snprintf(step, sizeof step, "%s", a.next);
        answer_free(&a);
    }
    at_step(sid, PUBLIC1, step, NULL, &a);
    has(&a, "再见");
    assert_null(strstr(a.body, "GetDigits"));
    assert_null(strstr(a.body, "Hangup")); /* AT has none: the actions end */
    answer_free(&a);

    const char *sid2 = "ATVId_e2e_4";
    at_step(sid2, PUBLIC1, NULL, NULL, &a);
    snprintf(step, sizeof step, "%s", a.next);
    answer_free(&a);
    at_step(sid2, PUBLIC1, step, "&dtmfDigits=0", &a);
    has(&a, "<Dial phoneNumbers=\"" HOTLINE "\"/></Response>");
    answer_free(&a);

    /* Without the channel token nothing is done. */
    at(NULL, "isActive=1&sessionId=ATVId_e2e_5&callerNumber=%2B8613700000091", NULL, &a);
    assert_int_equal(a.status, 403);
    answer_free(&a);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM call WHERE call_id = 'ATVId_e2e_5'"), 0);
    /* An AT request without a session is malformed. */
    at(NULL, "isActive=1&callerNumber=%2B8613700000091", AT_TOKEN, &a);
    assert_int_equal(a.status, 400);
    answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(twilio_report_with_recording), cmocka_unit_test(twilio_hangup_after_category),
        cmocka_unit_test(twilio_no_input_and_retry),    cmocka_unit_test(twilio_hotline_and_refusals),
        cmocka_unit_test(at_visit_by_director),         cmocka_unit_test(at_report_hangup_while_recording),
        cmocka_unit_test(at_no_input_and_hotline),      cmocka_unit_test(at_recording_inside_is_never_fetched),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
