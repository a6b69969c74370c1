/* tests/unit/test_fetcher.c - the recordings fetcher against a real local
 * HTTP server (tests/common/mediasrv) with a temporary database and media
 * folder: the file on disk and its SHA-256, the row's fields, the
 * responders' notices, a retry after 503, a 404 and oversized bodies that
 * fail at once, giving up after max_attempts, restarts while fetching,
 * URLs refused (not https, a host outside media_hosts) and addresses
 * refused at connect time (a listed host that is loopback), and Twilio's
 * extension and credentials. The URL, host, address and content-type
 * helpers and Twilio's build_fetch are tables. The local server is
 * reached through channels with media_allow_local_for_tests on; the
 * "strict" channel has it off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "../../core/calendar.h"
#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../core/clock.h"
#include "../../gateway/config_load.h"
#include "../../gateway/fetcher.h"
#include "../../providers/provider.h"
#include "../common/harness.h"
#include "../common/mediasrv.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define CASE_NO "2603040001"
#define R1 "+8613800002001" /* responder alerted, alert sent */
#define R2 "+8613800002003" /* responder whose alert is held until working hours */
#define SID "ACfetch0000000000000000000000000001"
#define TOKEN "fetch-token-0123456789"

static struct mediasrv *M;
static char base[64];

struct env {
    char dir[64];
    char db[128];
    char media[128];
    struct gw_config *cfg;
    struct store *st;
    int64_t case_id;
    int64_t hold; /* R2's alert is held until then */
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs what an operator types into sqlite3 (or psql) on the database (no
 * port operation does it: see core/store_media.h). */
static void operator_sql(const char *db, const char *sql)
{
    char err[512] = "";
    if (test_sql_exec(db, sql, err, sizeof err) != 0) fail_msg("%s: %s", sql, err);
}

/* Queues an outbox row about case_id as the domain would (store_outbox_insert)
 * and, when sent is 1, records it sent on channel "at" (claim, then the
 * provider's answer). Returns its id. */
static int64_t outbox_row(struct env *e, const char *recipient, const char *tmpl, const char *kind,
                          const char *dedupe_key, int64_t not_before, int sent, int64_t now)
{
    struct store_outbox_row r = {.recipient = recipient,
                                 .tmpl = tmpl,
                                 .body = kind[0] == 'a' ? "a" : "r",
                                 .kind = kind,
                                 .priority = 0,
                                 .case_id = e->case_id,
                                 .dedupe_key = dedupe_key,
                                 .not_before = not_before};
    int64_t id = 0;
    assert_int_equal(store_outbox_insert(e->st, &r, now, &id), 0);
    if (sent) {
        assert_int_equal(store_outbox_claim(e->st, id, "at", now), 0);
        assert_int_equal(store_outbox_finish(e->st, id, "sent", "prov-seed", NULL, 0, now), 0);
    }
    return id;
}

/* A config with short retries, a Twilio and an Africa's Talking channel
 * whose send APIs and recordings are the stand-in (allowed for tests), an
 * Africa's Talking channel "strict" that lists the local server's names
 * but keeps the address check, a migrated database and one case alerted
 * to R1 (sent, then re-alerted) and R2 (held). */
static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/gw-fetch-XXXXXX");
    if (!mkdtemp(e->dir)) return -1;
    char file[sizeof e->db], store[sizeof e->db + 48];
    snprintf(file, sizeof file, "%s/gw.db", e->dir);
    seed_store_where(e->db, file);
    snprintf(store, sizeof store, seed_is_pg(e->db) ? "[store]\nbackend = postgres\nurl = %s\n" : "[store]\npath = %s\n",
             e->db);
    snprintf(e->media, sizeof e->media, "%s/media", e->dir);
    char ini[3072], path[128];
    snprintf(ini, sizeof ini,
             "%s[policy]\nmedia_dir = %s\n"
             "[sender]\nbackoff = 1\nbackoff_max = 1\ntimeout = 2\nmax_attempts = 3\n"
             "[channel tw]\nprovider = twilio\naccount_sid = " SID "\nauth_token = " TOKEN "\n"
             "number = +12025550100\nurl = %s\nmedia_hosts = 127.0.0.1 localhost\nmedia_allow_local_for_tests = yes\n"
             "[channel at]\nprovider = africastalking\nusername = sandbox\napi_key = k\ntoken = t\nurl = %s\n"
             "media_hosts = 127.0.0.1\nmedia_allow_local_for_tests = yes\n"
             "[channel strict]\nprovider = africastalking\nusername = sandbox\napi_key = k\ntoken = t\nurl = %s\n"
             "media_hosts = localhost, 127.0.0.1\n",
             store, e->media, base, base, base);
    snprintf(path, sizeof path, "%s/gateway.ini", e->dir);
    FILE *fp = fopen(path, "w");
    fputs(ini, fp);
    fclose(fp);
    char err[256] = "";
    if (gw_config_load(path, &e->cfg, err, sizeof err) != 0) fail_msg("%s", err);
    if (seed_store_open(e->db, 1, &e->st, err, sizeof err) != 0 ||
        store_migrate(e->st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
    int64_t now = gw_clock_now();
    e->hold = now + 3600;
    /* Opened on 2026-03-04 (local), so that its number is CASE_NO. */
    static const char *const depts[] = {"police"};
    struct db_case_new k = {.category = 2, .classified = 1, .priority = 1, .depts = depts, .ndepts = 1};
    char number[DB_CASE_NO_MAX + 1];
    e->case_id = seed_case(e->st, &k, cal_local_at(cal_civil_day(2026, 3, 4), 12 * 60), number);
    assert_string_equal(number, CASE_NO);
    outbox_row(e, R1, "case_alert", "alert", "alert:" CASE_NO ":" R1 ":0", 0, 1, now);
    outbox_row(e, R2, "case_alert", "alert", "alert:" CASE_NO ":" R2 ":0", e->hold, 0, now);
    outbox_row(e, R1, "case_alert", "alert", "realert:" CASE_NO ":1:" R1, 0, 1, now);
    outbox_row(e, "+8613900000001", "report_ok", "reply", NULL, 0, 1, now);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    store_close(e->st);
    seed_store_drop(e->db);
    gw_config_free(e->cfg);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0) return -1;
    free(e);
    return 0;
}

/* Queues a recording announced at `at`; returns its id. */
static int64_t add_media_at(struct env *e, const char *channel, int64_t case_id, const char *url, int64_t at)
{
    int64_t id = 0;
    assert_int_equal(store_media_add(e->st, channel, case_id, 0, url, 42, at, &id), 0);
    return id;
}

static int64_t add_media(struct env *e, const char *channel, int64_t case_id, const char *url)
{
    return add_media_at(e, channel, case_id, url, gw_clock_now());
}

/* Polls until media row id is fetched or failed; returns its status (owned). */
static char *wait_final(struct env *e, int64_t id, int timeout_ms)
{
    for (int waited = 0;; waited += 20) {
        char *s = tdb_text(e->db, "SELECT status FROM media WHERE id = %lld", (long long)id);
        if (s && (!strcmp(s, "fetched") || !strcmp(s, "failed"))) return s;
        if (waited >= timeout_ms) return s;
        free(s);
        sleep_ms(20);
    }
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Bytes that look like no text: NULs, high bytes, every value. */
static unsigned char *audio(size_t n, unsigned seed)
{
    unsigned char *b = malloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
    if (n > 4) memcpy(b, "ID3\0", 4);
    return b;
}

static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, ".fetch-", 7)) n++;
    closedir(d);
    return n;
}

static struct fetcher *start(struct env *e)
{
    struct fetcher *f = NULL;
    char err[256] = "";
    if (fetcher_start(e->cfg, NULL, &f, err, sizeof err) != 0) fail_msg("fetcher_start: %s", err);
    return f;
}

/* ---- tables ---------------------------------------------------------------------- */

static void extension_from_content_type(void **state)
{
    static const struct {
        const char *ct, *ext;
    } cases[] = {
        {"audio/mpeg", "mp3"}, {"Audio/MPEG", "mp3"}, {"audio/mpeg; charset=binary", "mp3"}, {"audio/mp3", "mp3"},
        {" audio/x-wav ", "wav"}, {"audio/wav", "wav"}, {"audio/wave", "wav"},  {"audio/vnd.wave;codec=1", "wav"},
        {"audio/mpegx", "bin"}, {"text/html", "bin"},  {"", "bin"},            {NULL, "bin"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(fetcher_ext(cases[i].ct), cases[i].ext))
            fail_msg("'%s': %s, expected %s", cases[i].ct ? cases[i].ct : "(null)", fetcher_ext(cases[i].ct),
                     cases[i].ext);
}

static void urls_need_https_and_a_listed_host(void **state)
{
    const struct provider_ops *tw = prov_find("twilio"), *at = prov_find("africastalking"),
                              *gen = prov_find("generic");
    char *local_hosts[] = {"127.0.0.1", "localhost", "[::1]", NULL};
    char *no_hosts[] = {NULL};
    const struct gw_channel chans[] = {
        {.name = "tw", .provider = "twilio", .ops = tw},
        {.name = "at", .provider = "africastalking", .ops = at},
        {.name = "test", .provider = "africastalking", .ops = at, .media_hosts = local_hosts,
         .media_test_local = 1},
        {.name = "list", .provider = "africastalking", .ops = at, .media_hosts = local_hosts},
        {.name = "off", .provider = "twilio", .ops = tw, .media_hosts = no_hosts},
        {.name = "gen", .provider = "generic", .ops = gen},
    };
    static const struct {
        int ch; /* index in chans, -1: no channel */
        const char *url;
        const char *error; /* NULL: allowed */
    } cases[] = {
        {0, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", NULL},
        {0, "HTTPS://API.Twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3", NULL},
        {0, "http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", "not https"},
        {0, "https://api.twilio.com.example.net/RE1", "from api.twilio.com.example.net: not in [channel tw]"},
        {0, "https://api.twilio.com@example.net/RE1", "from example.net: not in [channel tw]"},
        {0, "https://media.twiliocdn.com/RE1", "not in [channel tw] media_hosts"},
        {0, "https://127.0.0.1/RE1", "not in [channel tw] media_hosts"},
        {1, "https://voice.africastalking.com/recordings/AT1.mp3", NULL},
        {1, "https://a.b.africastalking.com/recordings/AT1.mp3", NULL},
        {1, "https://africastalking.com/recordings/AT1.mp3", "not in [channel at] media_hosts"},
        {1, "https://voice.africastalking.com.example.net/AT1.mp3", "not in [channel at] media_hosts"},
        {1, "https://evilafricastalking.com/AT1.mp3", "not in [channel at] media_hosts"},
        {1, "http://voice.africastalking.com/recordings/AT1.mp3", "not https"},
        {1, "http://127.0.0.1:8080/rec.mp3", "not https"},
        {2, "http://127.0.0.1:8080/rec.mp3", NULL},
        {2, "http://LOCALHOST:9/rec", NULL},
        {2, "https://localhost:9/rec", NULL},
        {2, "http://[::1]:9/rec", NULL},
        {2, "http://[::2]:9/rec", "from [::2]: not in [channel test] media_hosts"},
        {2, "http://127.0.0.2/rec", "from 127.0.0.2: not in [channel test] media_hosts"},
        {2, "http://example.com/rec.mp3", "from example.com: not in [channel test] media_hosts"},
        {2, "ftp://127.0.0.1/rec.mp3", "not https"},
        {2, "file:///etc/passwd", "not https"},
        {3, "https://localhost:9/rec", NULL}, /* the address check comes at connect time */
        {3, "http://localhost:9/rec", "not https"},
        {4, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", "not in [channel off] media_hosts"},
        {5, "https://example.org/rec.mp3", "not in [channel gen] media_hosts"},
        {-1, "https://api.twilio.com/RE1", "not configured"},
        {0, "127.0.0.1/rec.mp3", "not https"},
        {0, "https://", "not https"},
        {0, "", "not https"},
        {0, NULL, "not https"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[200] = "";
        int rc = fetcher_url_check(cases[i].ch < 0 ? NULL : &chans[cases[i].ch], cases[i].url, err, sizeof err);
        if (!cases[i].error ? rc != 0 : rc != -1 || !strstr(err, cases[i].error))
            fail_msg("case %zu '%s': %d '%s', expected %s", i, cases[i].url ? cases[i].url : "(null)", rc, err,
                     cases[i].error ? cases[i].error : "allowed");
    }
}

static void host_patterns(void **state)
{
    static const char *const pats[] = {"api.twilio.com", "*.example.org", "127.0.0.1", "[::1]", NULL};
    static const struct {
        const char *host;
        int ok;
    } cases[] = {
        {"api.twilio.com", 1},  {"API.TWILIO.COM", 1},     {"x.api.twilio.com", 0}, {"twilio.com", 0},
        {"a.example.org", 1},   {"a.b.example.org", 1},    {"example.org", 0},      {"aexample.org", 0},
        {"example.org.net", 0}, {".example.org", 0},       {"127.0.0.1", 1},        {"127.0.0.10", 0},
        {"[::1]", 1},           {"[::2]", 0},              {"", 0},                 {NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (fetcher_host_matches(pats, cases[i].host) != cases[i].ok)
            fail_msg("'%s': expected %d", cases[i].host ? cases[i].host : "(null)", cases[i].ok);
    assert_int_equal(fetcher_host_matches(NULL, "api.twilio.com"), 0);
}

static void addresses_a_fetch_may_connect_to(void **state)
{
    static const struct {
        const char *addr;
        int loopback_ok; /* media_allow_local_for_tests */
        const char *kind; /* NULL: allowed */
    } cases[] = {
        {"54.172.60.1", 0, NULL},
        {"8.8.8.8", 0, NULL},
        {"2600:1f18::1", 0, NULL},
        {"127.0.0.1", 0, "loopback"},
        {"127.255.0.9", 0, "loopback"},
        {"127.0.0.1", 1, NULL},
        {"::1", 0, "loopback"},
        {"::1", 1, NULL},
        {"10.1.2.3", 0, "private"},
        {"10.1.2.3", 1, "private"},
        {"172.16.0.1", 0, "private"},
        {"172.31.255.255", 0, "private"},
        {"172.32.0.1", 0, NULL},
        {"192.168.1.1", 0, "private"},
        {"100.64.0.1", 0, "CGNAT"},
        {"100.127.255.254", 0, "CGNAT"},
        {"100.128.0.1", 0, NULL},
        {"169.254.169.254", 0, "link-local"},
        {"0.0.0.0", 0, "unspecified"},
        {"0.1.2.3", 0, "unspecified"},
        {"224.0.0.1", 0, "multicast"},
        {"255.255.255.255", 0, "reserved"},
        {"192.0.2.1", 0, "reserved"},
        {"::", 0, "unspecified"},
        {"fc00::1", 0, "private"},
        {"fd12:3456::1", 0, "private"},
        {"fe80::1", 0, "link-local"},
        {"febf::1", 0, "link-local"},
        {"ff02::1", 0, "multicast"},
        {"::ffff:127.0.0.1", 0, "loopback"},
        {"::ffff:127.0.0.1", 1, NULL},
        {"::ffff:10.0.0.1", 0, "private"},
        {"::ffff:169.254.169.254", 0, "link-local"},
        {"::ffff:8.8.8.8", 0, NULL},
        {"::127.0.0.1", 0, "loopback"},
        {"64:ff9b::a9fe:a9fe", 0, "link-local"},
        {"64:ff9b::808:808", 0, NULL},
        {"2002:7f00:1::1", 0, "loopback"},
        {"2002:c0a8:101::1", 0, "private"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        if (strchr(cases[i].addr, ':')) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            a->sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, cases[i].addr, &a->sin6_addr), 1);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            a->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, cases[i].addr, &a->sin_addr), 1);
        }
        char why[64] = "";
        int ok = fetcher_addr_allowed((struct sockaddr *)&ss, cases[i].loopback_ok, why, sizeof why);
        if (!cases[i].kind ? !ok : ok || !strstr(why, cases[i].kind))
            fail_msg("%s (loopback %s): %d '%s', expected %s", cases[i].addr, cases[i].loopback_ok ? "on" : "off", ok,
                     why, cases[i].kind ? cases[i].kind : "allowed");
    }
    struct sockaddr unix_addr = {.sa_family = AF_UNIX};
    assert_int_equal(fetcher_addr_allowed(&unix_addr, 1, NULL, 0), 0);
}

static void twilio_fetch_adds_mp3_and_scoped_credentials(void **state)
{
    const struct provider_ops *tw = prov_find("twilio");
    assert_non_null(tw);
    assert_non_null(tw->build_fetch);
    assert_null(prov_find("africastalking")->build_fetch); /* its recordings are public URLs */
    struct gw_kv keys[] = {{"account_sid", "AC1"}, {"auth_token", "tok"}, {"number", "+1"}};
    struct gw_channel plain = {.name = "tw", .provider = "twilio", .ops = tw, .tps = 1, .keys = keys, .nkeys = 3};
    struct gw_channel local = plain;
    local.url = "http://127.0.0.1:5000/";
    static const struct {
        int local;
        const char *in, *out;
        int auth;
    } cases[] = {
        {0, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
         "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3", 1},
        {0, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav",
         "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav", 1},
        {0, "https://API.twilio.com/Recordings/RE1?Download=true", "https://API.twilio.com/Recordings/RE1.mp3?Download=true", 1},
        {0, "https://api.twilio.com.example.net/Recordings/RE1", "https://api.twilio.com.example.net/Recordings/RE1.mp3", 0},
        {0, "https://api.twilio.com@example.net/RE1", "https://api.twilio.com@example.net/RE1.mp3", 0},
        {0, "https://media.example.org/v1.2/RE1", "https://media.example.org/v1.2/RE1.mp3", 0},
        {0, "https://api.twilio.com", "https://api.twilio.com", 1},
        {0, "https://api.twilio.com/", "https://api.twilio.com/", 1},
        {1, "http://127.0.0.1:5000/Recordings/RE1", "http://127.0.0.1:5000/Recordings/RE1.mp3", 1},
        {1, "http://127.0.0.1:50001/Recordings/RE1", "http://127.0.0.1:50001/Recordings/RE1.mp3", 0},
        {1, "https://api.twilio.com/Recordings/RE1.mp3", "https://api.twilio.com/Recordings/RE1.mp3", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_http h;
        char err[128] = "";
        if (tw->build_fetch(cases[i].local ? &local : &plain, cases[i].in, &h, err, sizeof err) != PROV_OK)
            fail_msg("case %zu: %s", i, err);
        if (strcmp(h.url, cases[i].out)) fail_msg("case %zu: %s, expected %s", i, h.url, cases[i].out);
        assert_string_equal(h.method, "GET");
        if (cases[i].auth) {
            if (!h.userpwd || strcmp(h.userpwd, "AC1:tok")) fail_msg("case %zu: no credentials", i);
        } else if (h.userpwd) {
            fail_msg("case %zu: credentials sent to another host", i);
        }
        prov_http_free(&h);
    }
    struct prov_http h;
    char err[128] = "";
    assert_int_equal(tw->build_fetch(&plain, "", &h, err, sizeof err), PROV_EBADREQ);
}

/* ---- fetching ---------------------------------------------------------------------- */

static void fetches_hashes_links_and_tells_the_responders(void **state)
{
    struct env *e = *state;
    size_t n = 300 * 1000 + 7;
    unsigned char *body = audio(n, 1);
    mediasrv_put(M, "/rec/ok-1", "audio/mpeg", body, n, 0);
    char url[128];
    snprintf(url, sizeof url, "%s/rec/ok-1", base);
    int64_t id = add_media(e, "at", e->case_id, url);
    /* The same URL again is the same row. */
    int64_t again = 0;
    assert_int_equal(store_media_add(e->st, "at", e->case_id, 0, url, 42, gw_clock_now(), &again), 1);
    assert_int_equal(again, id);

    struct fetcher *f = start(e);
    char *status = wait_final(e, id, 10000);
    fetcher_stop(f);
    assert_string_equal(status, "fetched");
    free(status);

    char want_sha[65], path[300];
    sha256_hex(body, n, want_sha);
    snprintf(path, sizeof path, "%s/" CASE_NO "-%lld.mp3", e->media, (long long)id);
    char *got_path = tdb_text(e->db, "SELECT path FROM media WHERE id = %lld", (long long)id);
    assert_string_equal(got_path, path);
    free(got_path);
    char *sha = tdb_text(e->db, "SELECT sha256 FROM media WHERE id = %lld", (long long)id);
    assert_string_equal(sha, want_sha);
    free(sha);
    assert_int_equal(tdb_int(e->db, "SELECT bytes FROM media WHERE id = %lld", (long long)id), (int64_t)n);
    assert_int_equal(tdb_int(e->db, "SELECT attempts FROM media WHERE id = %lld", (long long)id), 1);
    assert_int_equal(tdb_int(e->db, "SELECT last_error IS NULL FROM media WHERE id = %lld", (long long)id), 1);
    assert_int_equal(tdb_int(e->db, "SELECT case_id FROM media WHERE id = %lld", (long long)id), e->case_id);
    assert_int_equal(tdb_int(e->db, "SELECT duration FROM media WHERE id = %lld", (long long)id), 42);
    char *url_kept = tdb_text(e->db, "SELECT url FROM media WHERE id = %lld", (long long)id);
    assert_string_equal(url_kept, url);
    free(url_kept);
    char *ct = tdb_text(e->db, "SELECT content_type FROM media WHERE id = %lld", (long long)id);
    assert_string_equal(ct, "audio/mpeg");
    free(ct);

    /* The file holds exactly the bytes served, owner-only. */
    size_t len = 0;
    char *file = read_file(path, &len);
    assert_non_null(file);
    assert_int_equal(len, n);
    assert_memory_equal(file, body, n);
    char file_sha[65];
    sha256_hex(file, len, file_sha);
    assert_string_equal(file_sha, want_sha);
    free(file);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 077, 0);
    assert_int_equal(stat(e->media, &sb), 0);
    assert_int_equal(sb.st_mode & 077, 0);
    assert_int_equal(count_tmp_files(e->media), 0);
    assert_null(mediasrv_last_auth(M, "/rec/ok-1")); /* no provider hook: a plain GET */

    /* One notice per responder alerted (R1 twice counts once), held like the alert. */
    assert_int_equal(tdb_int(e->db, "SELECT count(*) FROM outbox WHERE template = 'case_recording'"), 2);
    static const char *const who[] = {R1, R2};
    for (int i = 0; i < 2; i++) {
        char *body_text = tdb_text(e->db,
                                  "SELECT body FROM outbox WHERE template = 'case_recording' AND recipient = '%s' "
                                  "AND kind = 'notice' AND case_id = %lld AND status = 'queued' AND "
                                  "dedupe_key = 'recording:%lld:%s' AND vars = '{\"case\":\"" CASE_NO "\"}'",
                                  who[i], (long long)e->case_id, (long long)id, who[i]);
        if (!body_text) fail_msg("no notice to %s", who[i]);
        assert_string_equal(body_text, "案件" CASE_NO "有一段语音描述，请在系统中收听。");
        free(body_text);
    }
    assert_int_equal(tdb_int(e->db, "SELECT next_attempt_at FROM outbox WHERE template = 'case_recording' AND "
                                   "recipient = '" R2 "'"),
                     e->hold);
    assert_int_equal(tdb_int(e->db, "SELECT next_attempt_at FROM outbox WHERE template = 'case_recording' AND "
                                   "recipient = '" R1 "'"),
                     0);
    free(body);
}

static void retries_after_503_then_fetches(void **state)
{
    struct env *e = *state;
    size_t n = 4096;
    unsigned char *body = audio(n, 2);
    mediasrv_put(M, "/rec/flaky.wav", "audio/x-wav", body, n, 0);
    mediasrv_fail(M, "/rec/flaky.wav", 503, 1);
    char url[128];
    snprintf(url, sizeof url, "%s/rec/flaky.wav", base);
    int64_t id = add_media(e, "at", e->case_id, url);
    struct fetcher *f = start(e);
    /* After the 503 the row waits in the queue with the reason. */
    assert_int_equal(mediasrv_wait(M, "/rec/flaky.wav", 1, 5000), 1);
    char *st = NULL;
    for (int i = 0; i < 200; i++) {
        free(st);
        st = tdb_text(e->db, "SELECT status || ' ' || coalesce(last_error, '') FROM media WHERE id = %lld",
                     (long long)id);
        if (st && !strcmp(st, "queued HTTP 503")) break;
        sleep_ms(10);
    }
    assert_string_equal(st, "queued HTTP 503");
    free(st);
    char *status = wait_final(e, id, 10000);
    fetcher_stop(f);
    assert_string_equal(status, "fetched");
    free(status);
    assert_int_equal(mediasrv_hits(M, "/rec/flaky.wav"), 2);
    assert_int_equal(tdb_int(e->db, "SELECT attempts FROM media WHERE id = %lld", (long long)id), 2);
    char path[300];
    snprintf(path, sizeof path, "%s/" CASE_NO "-%lld.wav", e->media, (long long)id);
    char *got = tdb_text(e->db, "SELECT path FROM media WHERE id = %lld AND last_error IS NULL", (long long)id);
    assert_string_equal(got, path);
    free(got);
    char want[65];
    sha256_hex(body, n, want);
    char *sha = tdb_text(e->db, "SELECT sha256 FROM media WHERE id = %lld", (long long)id);
    assert_string_equal(sha, want);
    free(sha);
    free(body);
}

/* Answers that can never give the recording fail at once, once; the URL stays. */
static void final_failures_are_not_retried(void **state)
{
    struct env *e = *state;
    size_t big = (size_t)FETCHER_MAX_BYTES + 1;
    unsigned char *huge = audio(big, 3);
    mediasrv_put(M, "/rec/huge.mp3", "audio/mpeg", huge, big, 0);
    mediasrv_put(M, "/rec/huge-chunked.mp3", "audio/mpeg", huge, big, 1);
    free(huge);
    unsigned char exact_body[16] = {0};
    mediasrv_put(M, "/rec/gone.mp3", "audio/mpeg", exact_body, sizeof exact_body, 0);
    mediasrv_fail(M, "/rec/gone.mp3", 410, 5);
    mediasrv_put(M, "/rec/moved.mp3", "audio/mpeg", exact_body, sizeof exact_body, 0);
    mediasrv_fail(M, "/rec/moved.mp3", 302, 5);
    static const struct {
        const char *path; /* on the stand-in, or a whole URL */
        const char *error;
        size_t hits;
    } cases[] = {
        {"/rec/missing.mp3", "HTTP 404", 1},
        {"/rec/gone.mp3", "HTTP 410", 1},
        {"/rec/moved.mp3", "HTTP 302: redirects are not followed", 1},
        {"/rec/huge.mp3", "too large: over 20971520 bytes", 1},
        {"/rec/huge-chunked.mp3", "too large: over 20971520 bytes", 1},
        {"http://example.com/rec/plain.mp3", "refusing a recording from example.com: not in [channel at] media_hosts",
         0},
        {"http://127.0.0.1.nip.io/rec/plain.mp3",
         "refusing a recording from 127.0.0.1.nip.io: not in [channel at] media_hosts", 0},
        {"ftp://127.0.0.1/rec/plain.mp3", "refusing a recording URL that is not https", 0},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    int64_t ids[N];
    size_t before = mediasrv_hits(M, "*");
    for (size_t i = 0; i < N; i++) {
        char url[160];
        if (cases[i].path[0] == '/') snprintf(url, sizeof url, "%s%s", base, cases[i].path);
        else snprintf(url, sizeof url, "%s", cases[i].path);
        /* The first announced long ago: a 404 now is final (a fresh one is retried, below). */
        ids[i] = add_media_at(e, "at", e->case_id, url, gw_clock_now() - (i == 0 ? 600 : 0));
    }
    struct fetcher *f = start(e);
    for (size_t i = 0; i < N; i++) free(wait_final(e, ids[i], 15000));
    sleep_ms(2500); /* longer than any backoff: nothing may come again */
    fetcher_stop(f);
    for (size_t i = 0; i < N; i++) {
        char *got = tdb_text(e->db,
                            "SELECT status || '|' || attempts || '|' || coalesce(last_error, '') || '|' || "
                            "coalesce(path, '') FROM media WHERE id = %lld",
                            (long long)ids[i]);
        char want[200];
        snprintf(want, sizeof want, "failed|1|%s|", cases[i].error);
        if (!got || strcmp(got, want)) fail_msg("case %zu: '%s', expected '%s'", i, got ? got : "(none)", want);
        free(got);
        if (cases[i].path[0] == '/' && mediasrv_hits(M, cases[i].path) != cases[i].hits &&
            strcmp(cases[i].path, "/rec/missing.mp3"))
            fail_msg("case %zu: %zu requests, expected %zu", i, mediasrv_hits(M, cases[i].path), cases[i].hits);
    }
    /* 404s are not counted by path (no route): count every GET instead. */
    assert_int_equal(mediasrv_hits(M, "*") - before, 5);
    assert_int_equal(count_tmp_files(e->media), 0);
    assert_int_equal(tdb_int(e->db, "SELECT count(*) FROM outbox WHERE template = 'case_recording'"), 0);
    DIR *d = opendir(e->media);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') fail_msg("a file was kept: %s", de->d_name);
    closedir(d);
}

/* A provider answers 404 for a moment after announcing a recording: retried. */
static void fresh_404_is_retried(void **state)
{
    struct env *e = *state;
    unsigned char body[64];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (unsigned char)(i * 7);
    mediasrv_put(M, "/rec/late.mp3", "audio/mpeg", body, sizeof body, 0);
    mediasrv_fail(M, "/rec/late.mp3", 404, 1);
    char url[160];
    snprintf(url, sizeof url, "%s/rec/late.mp3", base);
    int64_t id = add_media(e, "at", e->case_id, url);
    struct fetcher *f = start(e);
    char *st = wait_final(e, id, 15000);
    fetcher_stop(f);
    assert_string_equal(st, "fetched");
    free(st);
    assert_int_equal(tdb_int(e->db, "SELECT attempts FROM media WHERE id = %lld", (long long)id), 2);
}

static void gives_up_after_max_attempts(void **state)
{
    struct env *e = *state;
    unsigned char b[8] = {1, 2, 3};
    mediasrv_put(M, "/rec/down.mp3", "audio/mpeg", b, sizeof b, 0);
    mediasrv_fail(M, "/rec/down.mp3", 503, 100);
    char url[128];
    snprintf(url, sizeof url, "%s/rec/down.mp3", base);
    int64_t id = add_media(e, "at", e->case_id, url);
    struct fetcher *f = start(e);
    char *status = wait_final(e, id, 15000);
    fetcher_stop(f);
    assert_string_equal(status, "failed");
    free(status);
    char *err = tdb_text(e->db, "SELECT last_error FROM media WHERE id = %lld", (long long)id);
    assert_string_equal(err, "gave up after 3 attempts: HTTP 503");
    free(err);
    assert_int_equal(mediasrv_hits(M, "/rec/down.mp3"), 3);
    /* The operator's retry (core/store_media.h): queued again, fetched now it is back. */
    mediasrv_put(M, "/rec/down.mp3", "audio/mpeg", b, sizeof b, 0);
    /* Raw SQL: the operator's retry is this statement by design (core/store_media.h); no port operation. */
    char sql[200];
    snprintf(sql, sizeof sql,
             "UPDATE media SET status = 'queued', attempts = 0, next_attempt_at = 0, last_error = NULL "
             "WHERE id = %lld",
             (long long)id);
    operator_sql(e->db, sql);
    f = start(e);
    status = wait_final(e, id, 10000);
    fetcher_stop(f);
    assert_string_equal(status, "fetched");
    free(status);
}

/* A process that died mid-fetch left the row "fetching" and a partial
 * file: the next start removes the file and fetches the row again. */
static void restart_after_a_crash_while_fetching(void **state)
{
    struct env *e = *state;
    size_t n = 70000;
    unsigned char *body = audio(n, 4);
    mediasrv_put(M, "/rec/crash.mp3", "audio/mpeg", body, n, 0);
    char url[128];
    snprintf(url, sizeof url, "%s/rec/crash.mp3", base);
    int64_t id = add_media(e, "at", e->case_id, url);
    /* Claimed by a connection of its own that then ends, as the dead
     * process's does (on PostgreSQL a live claimant's fetch is left alone). */
    struct store *dead = NULL;
    char err[256];
    assert_int_equal(seed_store_open(e->db, 0, &dead, err, sizeof err), 0);
    assert_int_equal(store_media_claim(dead, id, gw_clock_now()), 0); /* fetching, attempts 1 */
    store_close(dead);
    assert_int_equal(mkdir(e->media, 0700), 0);
    char left[200];
    snprintf(left, sizeof left, "%s/.fetch-%lld-AbCdEf", e->media, (long long)id);
    FILE *fp = fopen(left, "w");
    fputs("partial", fp);
    fclose(fp);

    struct fetcher *f = start(e);
    assert_int_equal(access(left, F_OK), -1);
    char *status = wait_final(e, id, 10000);
    fetcher_stop(f);
    assert_string_equal(status, "fetched");
    free(status);
    assert_int_equal(tdb_int(e->db, "SELECT attempts FROM media WHERE id = %lld", (long long)id), 2);
    char want[65];
    sha256_hex(body, n, want);
    char *sha = tdb_text(e->db, "SELECT sha256 FROM media WHERE id = %lld", (long long)id);
    assert_string_equal(sha, want);
    free(sha);
    free(body);
}

/* A stop while a request is on the wire abandons it: the row goes back to
 * the queue (the attempt not counted) and the next start fetches it. */
static void stop_while_on_the_wire_then_restart(void **state)
{
    struct env *e = *state;
    size_t n = 5000;
    unsigned char *body = audio(n, 5);
    mediasrv_put(M, "/rec/slow.mp3", "audio/mpeg", body, n, 0);
    mediasrv_hold(M, "/rec/slow.mp3", 1);
    char url[128];
    snprintf(url, sizeof url, "%s/rec/slow.mp3", base);
    int64_t id = add_media(e, "at", e->case_id, url);
    struct fetcher *f = start(e);
    assert_int_equal(mediasrv_wait(M, "/rec/slow.mp3", 1, 5000), 1);
    assert_int_equal(tdb_int(e->db, "SELECT status = 'fetching' AND attempts = 1 FROM media WHERE id = %lld",
                            (long long)id),
                     1);
    double t0 = gw_clock_mono();
    fetcher_stop(f);
    assert_true(gw_clock_mono() - t0 < 2.0); /* does not wait for the total timeout */
    assert_int_equal(tdb_int(e->db, "SELECT status = 'queued' AND attempts = 0 AND path IS NULL FROM media "
                                   "WHERE id = %lld",
                            (long long)id),
                     1);
    assert_int_equal(count_tmp_files(e->media), 0);
    mediasrv_release(M);
    f = start(e);
    char *status = wait_final(e, id, 10000);
    fetcher_stop(f);
    assert_string_equal(status, "fetched");
    free(status);
    assert_int_equal(tdb_int(e->db, "SELECT attempts FROM media WHERE id = %lld", (long long)id), 1);
    free(body);
}

/* Twilio: ".mp3" appended, Basic credentials to the channel's own host
 * only; a recording with no case is named media-<id>. */
static void twilio_recordings_use_the_hook(void **state)
{
    struct env *e = *state;
    size_t n = 2048;
    unsigned char *body = audio(n, 6);
    const char *rec = "/2010-04-01/Accounts/" SID "/Recordings/RE0123456789abcdef0123456789abcdef";
    char served[200];
    snprintf(served, sizeof served, "%s.mp3", rec);
    mediasrv_put(M, served, "audio/mpeg", body, n, 0);
    char url[256], other[256];
    snprintf(url, sizeof url, "%s%s", base, rec);
    /* The same server under another name is another origin: no credentials. */
    snprintf(other, sizeof other, "http://localhost:%d/rec/other.wav", mediasrv_port(M));
    mediasrv_put(M, "/rec/other.wav", "audio/wav", body, n, 0);
    int64_t id = add_media(e, "tw", e->case_id, url);
    int64_t id2 = add_media(e, "tw", 0, other);
    struct fetcher *f = start(e);
    char *s1 = wait_final(e, id, 10000), *s2 = wait_final(e, id2, 10000);
    fetcher_stop(f);
    assert_string_equal(s1, "fetched");
    assert_string_equal(s2, "fetched");
    free(s1);
    free(s2);
    char *auth = mediasrv_last_auth(M, served);
    unsigned char b64[128];
    EVP_EncodeBlock(b64, (const unsigned char *)SID ":" TOKEN, (int)strlen(SID ":" TOKEN));
    char want[160];
    snprintf(want, sizeof want, "Basic %s", b64);
    assert_non_null(auth);
    assert_string_equal(auth, want);
    free(auth);
    assert_null(mediasrv_last_auth(M, "/rec/other.wav"));
    char path[300];
    snprintf(path, sizeof path, "%s/media-%lld.wav", e->media, (long long)id2);
    char *got = tdb_text(e->db, "SELECT path FROM media WHERE id = %lld", (long long)id2);
    assert_string_equal(got, path);
    free(got);
    /* Only the recording with a case tells anyone. */
    assert_int_equal(tdb_int(e->db, "SELECT count(*) FROM outbox WHERE template = 'case_recording'"), 2);
    free(body);
}

/* The strict channel lists the local server's names without the test
 * setting: a listed name that is, or resolves to, a loopback address is
 * refused when curl is about to connect. Nothing reaches the server, the
 * rows fail for good with the reason, and nobody is told. */
static void listed_host_on_a_loopback_address_is_refused_at_connect(void **state)
{
    struct env *e = *state;
    unsigned char b[32] = {9, 8, 7};
    mediasrv_put(M, "/rec/inside.mp3", "audio/mpeg", b, sizeof b, 0);
    static const struct {
        const char *fmt, *error;
    } cases[] = {
        {"https://127.0.0.1:%d/rec/inside.mp3", "refusing to connect to 127.0.0.1: a loopback address"},
        {"https://localhost:%d/rec/inside.mp3", "refusing to connect to "}, /* 127.0.0.1 or ::1 */
        {"http://127.0.0.1:%d/rec/inside.mp3", "refusing a recording URL that is not https"},
        {"https://example.com:%d/rec/inside.mp3",
         "refusing a recording from example.com: not in [channel strict] media_hosts"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    int64_t ids[N];
    size_t before = mediasrv_hits(M, "*");
    for (size_t i = 0; i < N; i++) {
        char url[160];
        snprintf(url, sizeof url, cases[i].fmt, mediasrv_port(M));
        ids[i] = add_media(e, "strict", e->case_id, url);
    }
    struct fetcher *f = start(e);
    for (size_t i = 0; i < N; i++) free(wait_final(e, ids[i], 10000));
    fetcher_stop(f);
    for (size_t i = 0; i < N; i++) {
        char *got = tdb_text(e->db,
                            "SELECT status || '|' || attempts || '|' || coalesce(path, '') || '|' || "
                            "coalesce(last_error, '') FROM media WHERE id = %lld",
                            (long long)ids[i]);
        assert_non_null(got);
        if (strncmp(got, "failed|1||", 10) || !strstr(got, cases[i].error))
            fail_msg("case %zu: '%s', expected failed|1||%s", i, got, cases[i].error);
        if (i < 2 && !strstr(got, "a loopback address")) fail_msg("case %zu: '%s'", i, got);
        free(got);
    }
    assert_int_equal(mediasrv_hits(M, "*"), before);
    assert_int_equal(mediasrv_hits(M, "/rec/inside.mp3"), 0);
    assert_int_equal(tdb_int(e->db, "SELECT count(*) FROM outbox WHERE template = 'case_recording'"), 0);
    assert_int_equal(count_tmp_files(e->media), 0);
}

static int group_setup(void **state)
{
    if (mediasrv_start(&M) != 0) return -1;
    mediasrv_base(M, base, sizeof base);
    return 0;
}

static int group_teardown(void **state)
{
    mediasrv_stop(M);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(extension_from_content_type),
        cmocka_unit_test(urls_need_https_and_a_listed_host),
        cmocka_unit_test(host_patterns),
        cmocka_unit_test(addresses_a_fetch_may_connect_to),
        cmocka_unit_test(twilio_fetch_adds_mp3_and_scoped_credentials),
        cmocka_unit_test_setup_teardown(fetches_hashes_links_and_tells_the_responders, setup, teardown),
        cmocka_unit_test_setup_teardown(retries_after_503_then_fetches, setup, teardown),
        cmocka_unit_test_setup_teardown(final_failures_are_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(fresh_404_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(gives_up_after_max_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_after_a_crash_while_fetching, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_while_on_the_wire_then_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(twilio_recordings_use_the_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(listed_host_on_a_loopback_address_is_refused_at_connect, setup, teardown),
    };
    return cmocka_run_group_tests_name("fetcher", tests, group_setup, group_teardown);
}
