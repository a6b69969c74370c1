/* tests/e2e/test_limits.c - the gateway at its limits, through the real
 * binary and its store: case numbers past 9,999 a day, a message whose
 * handling fails, the WAL under 100,000 messages, /healthz with a full disk,
 * start-up on a store that cannot be written, and the modes of the files
 * that hold personal data. The last four are about SQLite's files and run on
 * SQLite even when GATEWAY_TEST_PG is set (the first two then run on
 * PostgreSQL). Raw SQL (db_exec) sets states no port operation or domain
 * action reaches in reasonable time and injects faults.
 *
 * The disk tests mount a small tmpfs and so need root; run otherwise, they
 * say so and check what they can without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/harness.h"

static struct gw_proc G;
static char director[32], child[16];

static int setup(void **state)
{
    if (gwp_init(&G, NULL, 1) != 0 || gwp_start(&G) != 0) return -1;
    char *v = db_text(G.db, "SELECT s.phone || '|' || c.code FROM staff s JOIN child c "
                            "ON c.region_id = s.region_id WHERE s.role = 'director' ORDER BY c.code LIMIT 1");
    if (!v) return -1;
    sscanf(v, "%31[^|]|%15s", director, child);
    free(v);
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    return 0;
}

/* Posts text from `from` and returns the newest case's number (owned). */
static char *report(const char *id, const char *from, const char *text)
{
    struct http_resp r;
    assert_int_equal(post_generic(G.port, id, from, text, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    return db_text(G.db, "SELECT c.number FROM cases c JOIN inbox i ON i.id = c.inbox_id WHERE i.provider_id = %Q",
                   id);
}

/* The body of the reply to `to` caused by inbox message `id` (owned). */
static char *reply_to(const char *id, const char *to)
{
    return db_text(G.db,
                   "SELECT o.body FROM outbox o JOIN inbox i ON i.id = o.inbox_id WHERE i.provider_id = %Q "
                   "AND o.recipient = %Q AND o.kind = 'reply' ORDER BY o.id DESC LIMIT 1",
                   id, to);
}

static void assert_status(const char *number, const char *want)
{
    char *status = db_text(G.db, "SELECT status FROM cases WHERE number = %Q", number);
    assert_non_null(status);
    assert_string_equal(status, want);
    free(status);
}

static void case_numbers_grow_past_9999(void **state)
{
    const char *reporter = "+8613911110001";
    char *first = report("lim-case-1", reporter, "BG 9 村口有个孩子一直没人管");
    assert_non_null(first);
    assert_int_equal(strlen(first), 10);
    char day[7];
    memcpy(day, first, 6);
    day[6] = '\0';
    free(first);

    char sql[200];
    /* Raw SQL: the 9,999th report of a day without sending 9,998 (no port operation sets the sequence). */
    snprintf(sql, sizeof sql, "UPDATE case_seq SET seq = 9998 WHERE day = '%s'", day);
    assert_int_equal(db_exec(G.db, "%s", sql), 0);
    char *n9999 = report("lim-case-2", reporter, "BG 6 孩子掉河里了");
    char want[16];
    snprintf(want, sizeof want, "%s9999", day);
    assert_string_equal(n9999, want);
    free(n9999);

    /* The 10,000th report of the day: a case, its reply, its alerts. */
    char *n10000 = report("lim-case-3", reporter, "BG 6 孩子掉河里了，快来人");
    snprintf(want, sizeof want, "%s10000", day);
    assert_string_equal(n10000, want);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'lim-case-3' AND result = 'ok'"), 1);
    char *body = reply_to("lim-case-3", reporter);
    assert_non_null(body);
    assert_non_null(strstr(body, n10000));
    free(body);
    assert_true(db_int(G.db, "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.number = %Q "
                             "AND o.kind = 'alert'", n10000) >= 1);

    /* A responder it was sent to acknowledges it by its 11-digit number. */
    char *responder = db_text(G.db, "SELECT o.recipient FROM outbox o JOIN cases c ON c.id = o.case_id "
                                    "WHERE c.number = %Q AND o.kind = 'alert' ORDER BY o.id LIMIT 1", n10000);
    assert_non_null(responder);
    char text[64];
    snprintf(text, sizeof text, "QR %s", n10000);
    struct http_resp r;
    assert_int_equal(post_generic(G.port, "lim-case-4", responder, text, &r), 0);
    http_resp_free(&r);
    assert_status(n10000, "acknowledged");

    /* Past 99,999: six digits, taken by JA and CX as well. */
    /* Raw SQL: the 100,000th report of a day without sending 99,998 more (as above). */
    snprintf(sql, sizeof sql, "UPDATE case_seq SET seq = 99999 WHERE day = '%s'", day);
    assert_int_equal(db_exec(G.db, "%s", sql), 0);
    char *n100000 = report("lim-case-5", reporter, "BG 4 孩子不见了");
    snprintf(want, sizeof want, "%s100000", day);
    assert_string_equal(n100000, want);
    char *responder2 = db_text(G.db, "SELECT o.recipient FROM outbox o JOIN cases c ON c.id = o.case_id "
                                     "WHERE c.number = %Q AND o.kind = 'alert' ORDER BY o.id LIMIT 1", n100000);
    assert_non_null(responder2);
    snprintf(text, sizeof text, "QR %s", n100000);
    assert_int_equal(post_generic(G.port, "lim-case-6", responder2, text, &r), 0);
    http_resp_free(&r);
    snprintf(text, sizeof text, "JA %s 1", n100000);
    assert_int_equal(post_generic(G.port, "lim-case-7", responder2, text, &r), 0);
    http_resp_free(&r);
    assert_status(n100000, "closed");
    snprintf(text, sizeof text, "CX %s", n100000);
    assert_int_equal(post_generic(G.port, "lim-case-8", reporter, text, &r), 0);
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'lim-case-8' AND intent = 'status' "
                                  "AND result = 'ok'"), 1);
    body = reply_to("lim-case-8", reporter);
    assert_non_null(body);
    assert_non_null(strstr(body, n100000));
    free(body);
    /* Thirteen digits are no case number. */
    assert_int_equal(post_generic(G.port, "lim-case-9", reporter, "CX 2403151000001", &r), 0);
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'lim-case-9' AND "
                                  "detail = 'case_format'"), 1);
    free(n10000);
    free(n100000);
    free(responder);
    free(responder2);
}

static long metric(const char *name)
{
    struct http_resp r;
    if (http_req(G.port, "GET", "/metrics", NULL, NULL, 0, &r) != 0) return -1;
    long v = -1;
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(r.body, key);
    if (p) v = atol(p + strlen(key));
    http_resp_free(&r);
    return v;
}

/* PostgreSQL's trigger `name` before an insert on `table` (when `when`)
 * failing with "injected fault". */
#define PG_FAULT(name, table, when)                                                                                   \
    "CREATE OR REPLACE FUNCTION " name "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "             \
    "'injected fault'; END $$; CREATE TRIGGER " name " BEFORE INSERT ON " table " FOR EACH ROW " when                 \
    " EXECUTE FUNCTION " name "()"

static void failed_handling_is_never_silent(void **state)
{
    long errors = metric("gateway_handler_errors_total");
    assert_true(errors >= 0);
    /* A store fault that only coded reports meet (raw SQL: fault injection, no port operation fails on demand). */
    assert_int_equal(db_exec(G.db, "%s", db_is_pg(G.db) ? PG_FAULT("inject_fault", "cases", "WHEN (NEW.classified = 1)")
                                                      : "CREATE TRIGGER inject_fault BEFORE INSERT ON cases WHEN "
                                                        "NEW.classified = 1 BEGIN SELECT RAISE(ABORT, 'injected "
                                                        "fault'); END"),
                     0);
    const char *reporter = "+8613911110002";
    struct http_resp r;
    assert_int_equal(post_generic(G.port, "lim-fail-1", reporter, "BG 6 孩子掉河里了", &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    /* Kept with its error ... */
    char *detail = db_text(G.db, "SELECT detail FROM inbox WHERE provider_id = 'lim-fail-1' AND result = 'error'");
    assert_non_null(detail);
    assert_non_null(strstr(detail, "injected fault"));
    free(detail);
    /* ... still a case, unclassified, its triage alerted at once, saying why ... */
    char *number = db_text(G.db, "SELECT c.number FROM cases c JOIN inbox i ON i.id = c.inbox_id "
                                 "WHERE i.provider_id = 'lim-fail-1' AND c.classified = 0");
    assert_non_null(number);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE "
                                  "c.number = %Q AND e.kind = 'opened' AND e.detail = 'handler_error'", number), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE "
                                  "c.number = %Q AND e.kind = 'alerted' AND e.detail LIKE 'triage count=%%'", number), 1);
    /* ... its sender has the number, and for words of drowning the 110/120 advice ... */
    char *body = reply_to("lim-fail-1", reporter);
    assert_non_null(body);
    assert_non_null(strstr(body, number));
    assert_non_null(strstr(body, "110"));
    free(body);
    free(number);
    /* ... and an operator sees it. */
    assert_int_equal(metric("gateway_handler_errors_total"), errors + 1);
    int64_t inbox = db_int(G.db, "SELECT id FROM inbox WHERE provider_id = 'lim-fail-1'");
    char *log = read_file(G.log, NULL);
    char line[64];
    snprintf(line, sizeof line, "error handling inbox %lld failed", (long long)inbox);
    assert_non_null(strstr(log, line));
    free(log);

    /* A visit that cannot be filed: kept, answered, counted (raw SQL: fault injection, as above). */
    assert_int_equal(db_exec(G.db, "%s", db_is_pg(G.db) ? PG_FAULT("inject_visit", "visit", "")
                                                      : "CREATE TRIGGER inject_visit BEFORE INSERT ON visit "
                                                        "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"),
                     0);
    char text[64];
    snprintf(text, sizeof text, "ZF %s 1", child);
    assert_int_equal(post_generic(G.port, "lim-fail-2", director, text, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'lim-fail-2' AND result = 'error'"),
                     1);
    body = reply_to("lim-fail-2", director);
    assert_non_null(body);
    assert_non_null(strstr(body, "未能处理"));
    free(body);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases c JOIN inbox i ON i.id = c.inbox_id "
                                  "WHERE i.provider_id = 'lim-fail-2'"), 0);
    assert_int_equal(metric("gateway_handler_errors_total"), errors + 2);
    const char *drop = db_is_pg(G.db) ? "DROP TRIGGER inject_fault ON cases; DROP TRIGGER inject_visit ON visit"
                                      : "DROP TRIGGER inject_fault; DROP TRIGGER inject_visit";
    assert_int_equal(db_exec(G.db, "%s", drop), 0);
}

static void personal_data_is_owner_only(void **state)
{
    /* SQLite's files: on PostgreSQL, a SQLite gateway of its own that has stored a message. */
    struct gw_proc own, *g = &G;
    if (db_is_pg(G.db)) {
        gwp_force_sqlite(1);
        int rc = gwp_init(&own, NULL, 1);
        gwp_force_sqlite(0);
        assert_int_equal(rc, 0);
        assert_int_equal(gwp_start(&own), 0);
        struct http_resp r;
        assert_int_equal(post_generic(own.port, "lim-mode-1", "+8613911110004", "BG 9 有个孩子没人管", &r), 0);
        assert_int_equal(r.status, 200);
        http_resp_free(&r);
        g = &own;
    }
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[400];
        snprintf(p, sizeof p, "%s%s", g->db, suffixes[i]);
        struct stat sb;
        assert_int_equal(stat(p, &sb), 0);
        if (sb.st_mode & 077) fail_msg("%s has mode 0%o", p, (unsigned)(sb.st_mode & 0777));
    }
    if (g == &own) gwp_cleanup(&own);
}

/* ---- the WAL under sustained load ------------------------------------------ */

struct flood {
    int port;
    int next, total, failed;
    char body[256];
    char sighdr[96];
};

/* Fills slot i's request: message number k of the flood. */
static struct curl_slist *flood_request(CURL *e, struct flood *f, char *body, size_t cap, int k)
{
    int n = snprintf(body, cap, "id=flood-%d&from=%%2B86139%08d&to=10690000&text=BZ", k, k);
    char sig[65], hdr[96];
    hmac_sha256_hex(GENERIC_SECRET, body, (size_t)n, sig);
    snprintf(hdr, sizeof hdr, "X-Signature: %s", sig);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Expect:");
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/generic/sms", f->port);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)n);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    return h;
}

static size_t discard(char *p, size_t s, size_t n, void *arg) { return s * n; }

/* Sends `total` signed messages over `conc` keep-alive connections; returns
 * how many were not answered 200. */
static int flood_send(int port, int total, int conc)
{
    struct flood f = {.port = port, .total = total};
    CURLM *m = curl_multi_init();
    CURL *easy[64];
    char bodies[64][256];
    struct curl_slist *hdrs[64] = {0};
    for (int i = 0; i < conc; i++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (void *)(intptr_t)i);
        if (f.next < total) {
            hdrs[i] = flood_request(easy[i], &f, bodies[i], sizeof bodies[i], f.next++);
            curl_multi_add_handle(m, easy[i]);
        }
    }
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200) f.failed++;
            void *priv = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
            int i = (int)(intptr_t)priv;
            curl_multi_remove_handle(m, e);
            curl_slist_free_all(hdrs[i]);
            hdrs[i] = NULL;
            if (f.next < total) {
                hdrs[i] = flood_request(e, &f, bodies[i], sizeof bodies[i], f.next++);
                curl_multi_add_handle(m, e);
                running = 1;
            }
        }
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < conc; i++) {
        curl_slist_free_all(hdrs[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(m);
    return f.failed;
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}

/* Waits (at most 10 s) until the file at path has stopped changing for a
 * second: the checkpoint thread has finished copying into it. A process
 * killed in the middle of a checkpoint leaves a database file that is
 * whole only together with its WAL. */
static void wait_file_quiet(const char *path)
{
    struct stat was = {0}, now;
    double quiet_since = 0;
    for (int i = 0; i < 200; i++) {
        if (stat(path, &now) != 0) return;
        double t = (double)i * 0.05;
        if (i == 0 || now.st_size != was.st_size || now.st_mtim.tv_sec != was.st_mtim.tv_sec ||
            now.st_mtim.tv_nsec != was.st_mtim.tv_nsec)
            quiet_since = t;
        else if (t - quiet_since >= 1.0)
            return;
        was = now;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void wal_stays_bounded(void **state)
{
    struct gw_proc W;
    /* Inbound only: nothing but the writer and the checkpointer use the file (SQLite's WAL: SQLite always). */
    gwp_force_sqlite(1);
    int rc = gwp_init(&W, "[sender]\nenabled = no\n", 0);
    gwp_force_sqlite(0);
    assert_int_equal(rc, 0);
    assert_int_equal(gwp_start(&W), 0);
    const int total = 100000;
    assert_int_equal(flood_send(W.port, total, 32), 0);
    char wal[400];
    snprintf(wal, sizeof wal, "%s-wal", W.db);
    long wal_bytes = file_size(wal), db_bytes = file_size(W.db);
    wait_file_quiet(W.db);
    /* SIGKILL: no checkpoint at a clean close hides what the running one did. */
    assert_int_equal(gwp_stop(&W, SIGKILL), 128 + SIGKILL);
    fprintf(stderr, "after %d messages: WAL %.1f MB, database file %.1f MB\n", total, wal_bytes / 1e6,
            db_bytes / 1e6);
    assert_true(wal_bytes < 96L * 1024 * 1024);
    /* The database file alone, ignoring the WAL, holds nearly all of them. */
    char uri[450];
    snprintf(uri, sizeof uri, "file:%s?immutable=1", W.db);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM inbox", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int in_file = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    fprintf(stderr, "messages in the database file itself: %d\n", in_file);
    assert_true(in_file >= total * 9 / 10);
    /* And all of them once the WAL is read too. */
    assert_int_equal(db_int(W.db, "SELECT count(*) FROM inbox"), total);
    gwp_cleanup(&W);
}

/* ---- disks that are full or read-only --------------------------------------- */

/* Mounts a tmpfs of `mb` MiB on a new folder (out). 0, or -1 when not root. */
static int small_disk(char *out, size_t outlen, int mb)
{
    if (geteuid() != 0) return -1;
    snprintf(out, outlen, "/tmp/gw-disk-XXXXXX");
    if (!mkdtemp(out)) return -1;
    char opts[32];
    snprintf(opts, sizeof opts, "size=%dm", mb);
    if (mount("tmpfs", out, "tmpfs", 0, opts) != 0) {
        rmdir(out);
        return -1;
    }
    return 0;
}

static void drop_disk(const char *dir)
{
    umount2(dir, MNT_DETACH);
    rmdir(dir);
}

/* Fills the file system holding dir; returns the filler's path. */
static void fill_disk(const char *dir, char *filler, size_t len)
{
    snprintf(filler, len, "%s/filler", dir);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char block[65536];
    memset(block, 'x', sizeof block);
    while (write(fd, block, sizeof block) > 0) continue;
    while (write(fd, block, 512) > 0) continue;
    close(fd);
}

static void healthz_tells_the_truth(void **state)
{
    char disk[64];
    if (small_disk(disk, sizeof disk, 16) != 0) {
        fprintf(stderr, "skipped: a full disk needs a tmpfs, which needs root\n");
        skip();
    }
    char extra[256];
    snprintf(extra, sizeof extra, "[store]\npath = %s/gateway.db\n", disk);
    struct gw_proc D;
    gwp_force_sqlite(1); /* a file system's limits: SQLite's file always */
    int rc = gwp_init(&D, extra, 1);
    gwp_force_sqlite(0);
    assert_int_equal(rc, 0);
    snprintf(D.db, sizeof D.db, "%s/gateway.db", disk);
    assert_int_equal(gwp_start(&D), 0);
    struct http_resp r;
    assert_int_equal(post_generic(D.port, "disk-1", "+8613911110003", "BG 9 有个孩子没人管", &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);

    char filler[128];
    fill_disk(disk, filler, sizeof filler);
    /* Messages cannot be stored: 503, and /healthz says so, with the reason. */
    int refused = 0;
    for (int i = 0; i < 20 && !refused; i++) {
        char id[32];
        snprintf(id, sizeof id, "disk-full-%d", i);
        assert_int_equal(post_generic(D.port, id, "+8613911110003", "BG 9 孩子一个人在家好几天了，没人照顾", &r), 0);
        refused = r.status == 503;
        http_resp_free(&r);
    }
    assert_true(refused);
    assert_int_equal(http_req(D.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    fprintf(stderr, "/healthz with a full disk: %ld %s", r.status, r.body);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.ctype, "json"));
    assert_non_null(strstr(r.body, "full"));
    http_resp_free(&r);

    /* Space again: the provider's retry is stored and /healthz is 200. */
    assert_int_equal(unlink(filler), 0);
    assert_int_equal(post_generic(D.port, "disk-full-0", "+8613911110003", "BG 9 孩子一个人在家好几天了，没人照顾", &r),
                     0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    assert_int_equal(http_req(D.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    gwp_cleanup(&D);
    drop_disk(disk);
}

/* Runs `gateway serve` expecting it to refuse: exit status, stderr (owned).
 * A gateway that starts after all is stopped by an alarm after 10 s. */
static int serve_refused(const char *cfg, char **err)
{
    char errp[] = "/tmp/gw-refuse-XXXXXX";
    int fe = mkstemp(errp);
    assert_true(fe >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fe, 2);
        alarm(10);
        execl(gwp_bin(), gwp_bin(), "serve", "-c", cfg, (char *)NULL);
        _exit(127);
    }
    close(fe);
    int status = 0;
    waitpid(pid, &status, 0);
    *err = read_file(errp, NULL);
    unlink(errp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void startup_refuses_an_unwritable_store(void **state)
{
    char disk[64];
    if (small_disk(disk, sizeof disk, 16) != 0) {
        fprintf(stderr, "skipped: a read-only file system needs a tmpfs, which needs root\n");
        skip();
    }
    char extra[256];
    snprintf(extra, sizeof extra, "[store]\npath = %s/gateway.db\n", disk);
    struct gw_proc D;
    gwp_force_sqlite(1); /* a file system's limits: SQLite's file always */
    int rc = gwp_init(&D, extra, 1);
    gwp_force_sqlite(0);
    assert_int_equal(rc, 0);
    assert_int_equal(mount(NULL, disk, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
    char *err = NULL;
    rc = serve_refused(D.cfg, &err);
    fprintf(stderr, "read-only store: exit %d: %s", rc, err ? err : "");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, disk));
    assert_true(strstr(err, "read-only") || strstr(err, "Read-only"));
    free(err);
    /* Writable again: it starts. */
    assert_int_equal(mount(NULL, disk, NULL, MS_REMOUNT, NULL), 0);
    assert_int_equal(gwp_start(&D), 0);
    gwp_cleanup(&D);
    drop_disk(disk);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(case_numbers_grow_past_9999),
        cmocka_unit_test(failed_handling_is_never_silent),
        cmocka_unit_test(personal_data_is_owner_only),
        cmocka_unit_test(wal_stays_bounded),
        cmocka_unit_test(healthz_tells_the_truth),
        cmocka_unit_test(startup_refuses_an_unwritable_store),
    };
    int rc = cmocka_run_group_tests_name("e2e limits", tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
