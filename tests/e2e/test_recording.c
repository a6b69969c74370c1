/* tests/e2e/test_recording.c - a Twilio voice report through bin/gateway
 * serve whose RecordingUrl points at a local recordings server
 * (tests/common/mediasrv): the recording is fetched as MP3 with the
 * channel's Basic credentials, stored in the media folder beside the
 * database under the case number (owner-only file and folder), its
 * SHA-256 and length match the bytes served, it is linked to the call's
 * case, and the responders alerted of the case get a notice that a
 * recording exists. The Twilio channel lists the local server in
 * media_hosts and turns media_allow_local_for_tests on: without them a
 * plain-http loopback recording is never fetched (tests/e2e/test_voice.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "../../providers/form.h"
#include "../../providers/twilio.h"
#include "../common/harness.h"
#include "../common/mediasrv.h"

#define SID "AC00000000000000000000000000000001"
#define CALL "CA77777777777777777777777777777777"
#define CALLER "+8613700000077"
#define REC_PATH "/2010-04-01/Accounts/" SID "/Recordings/RE77777777777777777777777777777777"

static struct gw_proc G;
static struct mediasrv *M;
static char base[64];

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* POSTs a signed Twilio voice webhook to path (public URL PUBLIC_URL +
 * path) with the call's fields and extra ("" or "&Name=value..."); copies
 * the first action URL of the answer's path part into next (or ""). */
static void voice(const char *path, const char *extra, char *next, size_t nextlen)
{
    char body[1024];
    snprintf(body, sizeof body,
             "AccountSid=" SID "&ApiVersion=2010-04-01&CallSid=" CALL "&CallStatus=in-progress&Called=%%2B12025550100"
             "&Caller=%%2B8613700000077&Direction=inbound&From=%%2B8613700000077&To=%%2B12025550100%s",
             extra);
    struct http_resp r;
    assert_int_equal(post_twilio(G.port, path, body, &r), 0);
    if (r.status != 200) fail_msg("%s: HTTP %ld %s", path, r.status, r.body);
    if (next) {
        next[0] = '\0';
        const char *a = strstr(r.body, "action=\"" PUBLIC_URL);
        if (a) {
            a += strlen("action=\"" PUBLIC_URL);
            size_t n = strcspn(a, "\"");
            if (n >= nextlen) n = nextlen - 1;
            memcpy(next, a, n);
            next[n] = '\0';
        }
        if (!next[0]) fail_msg("%s: no action in %s", path, r.body);
    }
    http_resp_free(&r);
}

static int setup(void **state)
{
    if (mediasrv_start(&M) != 0) return -1;
    mediasrv_base(M, base, sizeof base);
    /* The Twilio channel's API base is the recordings server too: its
     * credentials may go there, as they go to api.twilio.com. The lines
     * before [sender] belong to [channel twilio]. */
    if (gwp_init_send(&G,
                      "media_hosts = 127.0.0.1\nmedia_allow_local_for_tests = yes\n"
                      "[sender]\nbackoff = 1\nbackoff_max = 2\n",
                      1, NULL, base) != 0)
        return -1;
    return gwp_start(&G);
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    mediasrv_stop(M);
    return 0;
}

static void voice_report_recording_is_fetched_hashed_and_linked(void **state)
{
    /* A recording of 200 kB; the first request finds it not ready yet (503). */
    size_t n = 200 * 1000;
    unsigned char *audio = malloc(n);
    unsigned seed = 77;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        audio[i] = (unsigned char)(seed >> 16);
    }
    mediasrv_put(M, REC_PATH ".mp3", "audio/mpeg", audio, n, 0);
    mediasrv_fail(M, REC_PATH ".mp3", 503, 1);

    char step[256], cat_step[256], rec_step[256];
    voice("/hooks/twilio/voice", "", step, sizeof step);          /* greeting and menu */
    voice(step, "&Digits=1", cat_step, sizeof cat_step);          /* 1: report */
    voice(cat_step, "&Digits=2", rec_step, sizeof rec_step);      /* category 2: the case opens */
    char extra[512];
    snprintf(extra, sizeof extra,
             "&Digits=%%23&RecordingDuration=12&RecordingSid=RE77777777777777777777777777777777"
             "&RecordingUrl=http%%3A%%2F%%2F127.0.0.1%%3A%d%s",
             mediasrv_port(M), REC_PATH);
    voice(rec_step, extra, NULL, 0);

    int64_t case_id = db_int(G.db, "SELECT case_id FROM call WHERE call_id = '" CALL "'");
    assert_true(case_id > 0);
    char *status = NULL;
    for (int waited = 0; waited < 15000; waited += 50) {
        free(status);
        status = db_text(G.db, "SELECT status FROM media WHERE case_id = %lld", (long long)case_id);
        if (status && (!strcmp(status, "fetched") || !strcmp(status, "failed"))) break;
        sleep_ms(50);
    }
    if (!status || strcmp(status, "fetched")) {
        char *err = db_text(G.db, "SELECT last_error FROM media WHERE case_id = %lld", (long long)case_id);
        fail_msg("media is %s (%s)", status ? status : "missing", err ? err : "-");
    }
    free(status);

    /* Fetched as MP3, with Twilio's credentials, after one retry. */
    assert_int_equal(mediasrv_hits(M, REC_PATH ".mp3"), 2);
    char *auth = mediasrv_last_auth(M, REC_PATH ".mp3");
    unsigned char b64[128];
    EVP_EncodeBlock(b64, (const unsigned char *)SID ":" TWILIO_TOKEN, (int)strlen(SID ":" TWILIO_TOKEN));
    char want_auth[160];
    snprintf(want_auth, sizeof want_auth, "Basic %s", b64);
    assert_non_null(auth);
    assert_string_equal(auth, want_auth);
    free(auth);

    /* Linked to the call and its case; the URL as Twilio gave it. */
    char want_url[256];
    snprintf(want_url, sizeof want_url, "http://127.0.0.1:%d%s", mediasrv_port(M), REC_PATH);
    char *url = db_text(G.db, "SELECT url FROM media WHERE case_id = %lld", (long long)case_id);
    assert_string_equal(url, want_url);
    free(url);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM media m JOIN call c ON c.id = m.call_row_id "
                                  "WHERE c.call_id = '" CALL "' AND m.case_id = c.case_id AND m.duration = 12 "
                                  "AND m.attempts = 2 AND m.channel = 'twilio'"),
                     1);

    /* The file: beside the database, named by the case number, the bytes served. */
    int64_t media_id = db_int(G.db, "SELECT id FROM media WHERE case_id = %lld", (long long)case_id);
    char *number = db_text(G.db, "SELECT number FROM cases WHERE id = %lld", (long long)case_id);
    assert_non_null(number);
    char want_path[512];
    snprintf(want_path, sizeof want_path, "%s/media/%s-%lld.mp3", G.dir, number, (long long)media_id);
    char *path = db_text(G.db, "SELECT path FROM media WHERE id = %lld", (long long)media_id);
    assert_string_equal(path, want_path);
    size_t len = 0;
    char *file = read_file(path, &len);
    assert_non_null(file);
    assert_int_equal(len, n);
    assert_memory_equal(file, audio, n);
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_Digest(file, len, md, &mdlen, EVP_sha256(), NULL);
    char hex[65];
    for (unsigned i = 0; i < mdlen; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    char *sha = db_text(G.db, "SELECT sha256 FROM media WHERE id = %lld", (long long)media_id);
    assert_string_equal(sha, hex);
    assert_int_equal(db_int(G.db, "SELECT bytes FROM media WHERE id = %lld", (long long)media_id), (int64_t)n);
    free(sha);
    /* Personal data: the file is 0600, the folder the fetcher made 0700. */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/media", G.dir);
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    free(file);
    free(path);

    /* Every responder alerted of the case is told a recording exists. */
    int64_t alerted = db_int(G.db, "SELECT count(DISTINCT recipient) FROM outbox WHERE case_id = %lld AND "
                                   "template = 'case_alert'",
                             (long long)case_id);
    assert_true(alerted > 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox o WHERE case_id = %lld AND template = "
                                  "'case_recording' AND kind = 'notice' AND body = '案件' || '%s' || "
                                  "'有一段语音描述，请在系统中收听。' AND dedupe_key = 'recording:%lld:' || recipient "
                                  "AND recipient IN (SELECT recipient FROM outbox WHERE case_id = o.case_id AND "
                                  "template = 'case_alert')",
                            (long long)case_id, number, (long long)media_id),
                     alerted);
    free(number);

    /* The same recording announced again (a retried webhook) is the same row. */
    voice(rec_step, extra, NULL, 0);
    sleep_ms(1500);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM media"), 1);
    assert_int_equal(mediasrv_hits(M, REC_PATH ".mp3"), 2);
    free(audio);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(voice_report_recording_is_fetched_hashed_and_linked),
    };
    return cmocka_run_group_tests_name("recording", tests, setup, teardown);
}
