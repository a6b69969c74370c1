/* tests/e2e/test_pg_multi.c - two gateway processes on one PostgreSQL
 * database (GATEWAY_TEST_PG; make test STORE=postgres starts a server),
 * both sending to one stand-in send API, as behind a load balancer:
 *
 * - the timed jobs run on one of them only;
 * - every message is posted to both (a provider's retry that reaches the
 *   other process), half of them reaching the second process first: each is
 *   stored once, every case gets its own number, and every SMS of the
 *   shared outbox reaches the stand-in exactly once;
 * - a USSD session, and a call to the voice line, whose steps reach either
 *   process go on where they were;
 * - one process is killed (SIGKILL) while it has sends on the wire and
 *   messages coming in: every message acknowledged by either is stored
 *   once, the other process sends what the dead one had on the wire, and
 *   takes over the timed jobs.
 * Without a server every test is skipped: a SQLite file has one process. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../core/util.h"
#include "../common/harness.h"
#include "../common/pgtest.h"
#include "../common/standin.h"

#define AT_TOKEN "demo-at-token"
#define USSD_HOOK "/hooks/at/ussd?token=" AT_TOKEN

static struct gw_proc A, B;
static struct standin *S;

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    if (!pgtest_base_url()) return 0;
    if (standin_start(&S) != 0) return -1;
    char url[64], ini[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", standin_port(S));
    snprintf(ini, sizeof ini,
             "[channel generic]\ntps = 2000\n[server]\njob_interval = 1\n"
             "[channel at]\nprovider = africastalking\nusername = sandbox\napi_key = k\ntoken = " AT_TOKEN
             "\nurl = %s\n",
             url);
    if (gwp_init_send(&A, ini, 1, url, url) != 0) return -1;
    gwp_use_store(A.db); /* B: the same database */
    int rc = gwp_init_send(&B, ini, 0, url, url);
    gwp_use_store(NULL);
    if (rc != 0 || gwp_start(&A) != 0 || gwp_start(&B) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!pgtest_base_url()) return 0;
    gwp_cleanup(&B);
    gwp_cleanup(&A); /* A created the database: dropped last */
    if (S) standin_stop(S);
    return 0;
}

/* The gauge gateway_job_leader of the process on port, -1 when unreadable. */
static int leader_gauge(int port)
{
    struct http_resp r;
    int v = -1;
    if (http_req(port, "GET", "/metrics", NULL, NULL, 0, &r) == 0 && r.status == 200 && r.body) {
        const char *p = strstr(r.body, "\ngateway_job_leader ");
        if (p) v = atoi(p + 20);
    }
    http_resp_free(&r);
    return v;
}

/* 1 when the file at path contains needle. */
static int log_has(const char *path, const char *needle)
{
    char *text = read_file(path, NULL);
    int has = text && strstr(text, needle);
    free(text);
    return has;
}

static void one_runs_the_timed_jobs(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    /* Both ask at start-up and then every second: one leads, the other
     * says that another gateway does. */
    int a = -1, b = -1, told = 0;
    for (int i = 0; i < 200; i++) {
        a = leader_gauge(A.port);
        b = leader_gauge(B.port);
        told = log_has(A.log, "another gateway on this database runs them") ||
               log_has(B.log, "another gateway on this database runs them");
        if (a + b == 1 && told) break;
        pause_ms(50);
    }
    assert_int_equal(a + b, 1);
    assert_true(told);
    /* Still one, a few runs later. */
    pause_ms(1500);
    assert_int_equal(leader_gauge(A.port) + leader_gauge(B.port), 1);
}

/* ---- one message posted to both ------------------------------------------ */

#define PAIRS 30

struct poster {
    int port;
    int reverse;  /* post the ids in reverse order */
    int ok, other; /* answers 2xx, and anything else */
};

static void pair_id(int i, char *out, size_t len) { snprintf(out, len, "multi-%03d", i); }

static void *post_pairs(void *arg)
{
    struct poster *p = arg;
    for (int k = 0; k < PAIRS; k++) {
        int i = p->reverse ? PAIRS - 1 - k : k;
        char id[32], from[32], text[64];
        pair_id(i, id, sizeof id);
        snprintf(from, sizeof from, "+8613755%06d", i);
        snprintf(text, sizeof text, "孩子一个人在家 %d", i);
        struct http_resp r;
        if (post_generic(p->port, id, from, text, &r) == 0 && r.status >= 200 && r.status < 300)
            p->ok++;
        else
            p->other++;
        http_resp_free(&r);
    }
    return NULL;
}

/* The outbox id a generic-channel send request carries ({"id":"N",...}), 0
 * when it is not one. */
static long long request_outbox_id(size_t i)
{
    struct standin_req r;
    long long id = 0;
    if (standin_get(S, i, &r) != 0) return 0;
    const char *p = r.body ? strstr(r.body, "{\"id\":\"") : NULL;
    if (p) id = atoll(p + 7);
    standin_req_free(&r);
    return id;
}

/* Polls until nothing is due or on the wire in the shared outbox (60 s at
 * most); 1 when settled. */
static int outbox_settled(void)
{
    for (int i = 0; i < 1200; i++) {
        if (db_int(A.db, "SELECT count(*) FROM outbox WHERE status = 'sending' OR (status = 'queued' AND "
                         "next_attempt_at <= extract(epoch FROM now()))") == 0)
            return 1;
        pause_ms(50);
    }
    return 0;
}

/* How many requests the stand-in got for outbox row id. */
static int requests_for(long long id, size_t count)
{
    int n = 0;
    for (size_t i = 0; i < count; i++) n += request_outbox_id(i) == id;
    return n;
}

/* Every sent generic-channel row of the messages whose provider id starts
 * with prefix: *rows of them, *once reached the stand-in once, *more more
 * than once, *never not at all; *stray of those sent more than once are not
 * in the space-separated id list wire (NULL: none is allowed). */
static void tally_sends(const char *prefix, const char *wire, int *rows, int *once, int *more, int *never, int *stray)
{
    *rows = *once = *more = *never = *stray = 0;
    size_t count = standin_count(S);
    char *ids = db_text(A.db,
                        "SELECT string_agg(o.id::text, ' ' ORDER BY o.id) FROM outbox o JOIN inbox i ON "
                        "i.id = o.inbox_id WHERE i.provider_id LIKE '%q%%' AND o.channel = 'generic' AND "
                        "o.status IN ('sent', 'delivered')",
                        prefix);
    for (char *p = ids; p && *p;) {
        long long id = strtoll(p, &p, 10);
        int n = requests_for(id, count);
        (*rows)++;
        if (n == 1) (*once)++;
        if (n == 0) (*never)++;
        if (n > 1) {
            (*more)++;
            char key[32];
            snprintf(key, sizeof key, " %lld ", id);
            struct gw_buf padded = {0};
            gw_buf_printf(&padded, " %s ", wire ? wire : "");
            if (!strstr(gw_buf_cstr(&padded), key)) (*stray)++;
            gw_buf_free(&padded);
        }
        while (*p == ' ') p++;
    }
    free(ids);
}

static void a_retry_to_either_is_stored_once_and_sent_once(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct poster pa = {.port = A.port}, pb = {.port = B.port, .reverse = 1};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, post_pairs, &pa);
    pthread_create(&tb, NULL, post_pairs, &pb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    /* Both processes acknowledge every message, stored or already there. */
    assert_int_equal(pa.ok, PAIRS);
    assert_int_equal(pb.ok, PAIRS);
    assert_int_equal(pa.other + pb.other, 0);
    assert_int_equal(db_int(A.db, "SELECT count(*) FROM inbox WHERE provider_id LIKE 'multi-%%'"), PAIRS);
    assert_int_equal(db_int(A.db, "SELECT count(DISTINCT provider_id) FROM inbox WHERE provider_id LIKE 'multi-%%'"),
                     PAIRS);
    /* One case per message, each with its own number. */
    assert_int_equal(db_int(A.db, "SELECT count(*) FROM cases c JOIN inbox i ON i.id = c.inbox_id "
                                  "WHERE i.provider_id LIKE 'multi-%%'"),
                     PAIRS);
    assert_int_equal(db_int(A.db, "SELECT count(*) - count(DISTINCT number) FROM cases"), 0);
    /* Every SMS of the shared outbox goes out once, whichever process sent it. */
    assert_true(outbox_settled());
    int rows, once, more, never, stray;
    tally_sends("multi-", NULL, &rows, &once, &more, &never, &stray);
    int64_t claimants = db_int(A.db, "SELECT count(DISTINCT claimed_by) FROM outbox o JOIN inbox i ON "
                                     "i.id = o.inbox_id WHERE i.provider_id LIKE 'multi-%%'");
    print_message("shared outbox: %d SMS sent, %d reached the stand-in once, %d more than once, %d never; "
                  "sent by %lld processes\n",
                  rows, once, more, never, (long long)claimants);
    assert_int_equal(claimants, 2); /* both sent from the one queue */
    assert_true(rows >= PAIRS); /* at least the reporters' replies */
    assert_int_equal(once, rows);
    assert_int_equal(more + never, 0);
}

/* ---- USSD ----------------------------------------------------------------- */

/* One USSD step to the process on port; the answer's body (owned). */
static char *ussd_step(int port, const char *session, const char *phone, const char *text)
{
    struct http_resp r;
    assert_int_equal(post_at_ussd(port, USSD_HOOK, session, phone, text, &r), 0);
    if (r.status != 200) fail_msg("USSD \"%s\": HTTP %ld %s", text, r.status, r.body);
    char *out = r.body;
    r.body = NULL;
    http_resp_free(&r);
    return out;
}

static void a_ussd_session_goes_on_at_either(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    int64_t cases = db_int(A.db, "SELECT count(*) FROM cases");
    static const struct {
        int on_b;
        const char *text, *want;
    } steps[] = {{0, "", "CON 儿童关爱服务"}, {1, "1", "CON 报告类别"}, {0, "1*4", "CON 情况紧急"}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char *body = ussd_step(steps[i].on_b ? B.port : A.port, "multi-ussd", "+8613700000097", steps[i].text);
        if (strncmp(body, steps[i].want, strlen(steps[i].want)))
            fail_msg("step %zu \"%s\": \"%s\", expected \"%s\"", i, steps[i].text, body, steps[i].want);
        free(body);
    }
    assert_int_equal(db_int(A.db, "SELECT count(*) FROM cases"), cases + 1);
}

/* The step a voice answer names next ("/hooks/twilio/voice/<step>"). */
static void voice_next(const char *body, char *out, size_t len)
{
    const char *p = body ? strstr(body, "/hooks/twilio/voice/") : NULL;
    out[0] = '\0';
    if (!p) return;
    p += strlen("/hooks/twilio/voice/");
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

/* One Twilio voice step of call sid to the process on port; the next step
 * into next. fields: extra form fields ("&Digits=1"). */
static void voice_step(int port, const char *sid, const char *status, const char *step, const char *fields,
                       char *next, size_t len, char **answer)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/hooks/twilio/voice%s%s", step && *step ? "/" : "", step ? step : "");
    snprintf(body, sizeof body,
             "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01&CallSid=%s&CallStatus=%s"
             "&Direction=inbound&From=%%2B8613700000096&To=%%2B12025550100%s",
             sid, status, fields ? fields : "");
    struct http_resp r;
    assert_int_equal(post_twilio(port, path, body, &r), 0);
    if (r.status != 200) fail_msg("voice %s: HTTP %ld %s", step ? step : "(first)", r.status, r.body);
    if (next) voice_next(r.body, next, len);
    if (answer) *answer = strdup(r.body ? r.body : "");
    http_resp_free(&r);
}

static void a_call_goes_on_at_either(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    const char *sid = "CAmulti0000000000000000000000000001";
    int64_t cases = db_int(A.db, "SELECT count(*) FROM cases");
    char step[64], next[64];
    char *answer = NULL;
    voice_step(A.port, sid, "in-progress", NULL, NULL, step, sizeof step, NULL);
    voice_step(B.port, sid, "in-progress", step, "&Digits=1", next, sizeof next, NULL);
    voice_step(A.port, sid, "in-progress", next, "&Digits=4", step, sizeof step, &answer);
    assert_non_null(strstr(answer, "110"));
    free(answer);
    voice_step(B.port, sid, "completed", NULL, "&CallDuration=21", NULL, 0, NULL);
    assert_int_equal(db_int(A.db, "SELECT count(*) FROM cases"), cases + 1);
    assert_int_equal(db_int(A.db,
                            "SELECT count(*) FROM call WHERE call_id = %Q AND case_id IS NOT NULL AND duration = 21 "
                            "AND final_status = 'completed' AND path = 'menu>report_cat>report_rec'",
                            sid),
                     1);
}

/* ---- SIGKILL of one process ---------------------------------------------- */

#define KILL_MSGS  60
#define KILL_AFTER 20

static atomic_int acked_total;
static int acked[KILL_MSGS];
static atomic_int a_dead;

static void kill_id(int i, char *out, size_t len) { snprintf(out, len, "mkill-%03d", i); }

/* Posts every message, alternating between the processes; a message the
 * dead process cannot take goes to the other, as a provider retries. */
static void *kill_load(void *arg)
{
    (void)arg;
    for (int i = 0; i < KILL_MSGS; i++) {
        char id[32], from[32], text[64];
        kill_id(i, id, sizeof id);
        snprintf(from, sizeof from, "+8613766%06d", i);
        snprintf(text, sizeof text, "孩子一个人在家 %d", i);
        for (int attempt = 0; attempt < 50 && !acked[i]; attempt++) {
            int port = (i + attempt) % 2 == 0 && !atomic_load(&a_dead) ? A.port : B.port;
            struct http_resp r;
            if (post_generic(port, id, from, text, &r) == 0 && r.status >= 200 && r.status < 300) {
                acked[i] = 1;
                atomic_fetch_add(&acked_total, 1);
            }
            http_resp_free(&r);
        }
    }
    return NULL;
}

static void killing_one_loses_nothing_and_sends_its_work(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    /* Each send takes a while: the process killed has some on the wire. */
    for (int i = 0; i < 400; i++) standin_push(S, 200, "{\"id\":\"slow-%d\"}", 150, 0);
    int a_led = leader_gauge(A.port) == 1;
    pthread_t t;
    pthread_create(&t, NULL, kill_load, NULL);
    for (int i = 0; i < 20000 && atomic_load(&acked_total) < KILL_AFTER; i++) pause_ms(1);
    char *wire = db_text(A.db, "SELECT string_agg(id::text, ' ') FROM outbox WHERE status = 'sending'");
    int64_t in_flight = db_int(A.db, "SELECT count(*) FROM outbox WHERE status = 'sending'");
    assert_int_equal(gwp_stop(&A, SIGKILL), 128 + SIGKILL);
    /* What A claimed between the first look and its death is still
     * "sending" now (B looks for dead claims every few seconds). */
    char *after = db_text(A.db, "SELECT string_agg(id::text, ' ') FROM outbox WHERE status = 'sending'");
    struct gw_buf both = {0};
    gw_buf_printf(&both, "%s %s", wire ? wire : "", after ? after : "");
    free(wire);
    free(after);
    wire = gw_buf_steal(&both);
    atomic_store(&a_dead, 1);
    pthread_join(t, NULL);
    int acks = atomic_load(&acked_total);
    print_message("acknowledged %d of %d (A killed after %d, %lld sends on the wire then)\n", acks, KILL_MSGS,
                  KILL_AFTER, (long long)in_flight);
    assert_int_equal(acks, KILL_MSGS); /* B took every message A could not */
    int wrong = 0;
    for (int i = 0; i < KILL_MSGS; i++) {
        char id[32];
        kill_id(i, id, sizeof id);
        int64_t n = db_int(B.db, "SELECT count(*) FROM inbox WHERE provider_id = %Q", id);
        if (n != 1) {
            print_error("%s acknowledged, stored %lld times\n", id, (long long)n);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);

    /* B puts back what A had on the wire and sends it: every SMS reaches the
     * stand-in; only a send whose answer A never recorded may go twice. */
    assert_true(outbox_settled());
    int rows, once, more, never, stray;
    tally_sends("mkill-", wire, &rows, &once, &more, &never, &stray);
    free(wire);
    print_message("after the kill: %d SMS sent, %d once, %d twice or more (on the wire at the kill), %d never\n",
                  rows, once, more, never);
    assert_true(rows >= KILL_MSGS);
    assert_int_equal(never, 0);
    assert_int_equal(stray, 0); /* only sends on the wire at the kill went twice */
    assert_int_equal(db_int(B.db, "SELECT count(*) FROM outbox WHERE status = 'sending'"), 0);

    /* The timed jobs: B runs them now, whoever ran them before. */
    int b = 0;
    for (int i = 0; i < 200 && (b = leader_gauge(B.port)) != 1; i++) pause_ms(50);
    print_message("timed jobs: A %s, B leads now: %d\n", a_led ? "led" : "did not lead", b);
    assert_int_equal(b, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_runs_the_timed_jobs),
        cmocka_unit_test(a_retry_to_either_is_stored_once_and_sent_once),
        cmocka_unit_test(a_ussd_session_goes_on_at_either),
        cmocka_unit_test(a_call_goes_on_at_either),
        cmocka_unit_test(killing_one_loses_nothing_and_sends_its_work),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
