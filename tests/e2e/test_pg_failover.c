/* tests/e2e/test_pg_failover.c - failover on real servers: a PostgreSQL
 * primary with a synchronous streaming standby (tests/pg/server.sh), one
 * gateway on a multi-host URL with target_session_attrs=read-write, signed
 * webhooks under continuous load; the primary is killed and the standby
 * promoted. The same gateway process answers 503 during the gap, 2xx again
 * after the promotion, and every acknowledged message is stored exactly once
 * on the promoted server. Runs only when GATEWAY_TEST_PG is set (make test
 * STORE=postgres); its own two servers, not that one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/harness.h"
#include "../common/pgtest.h"

#define THREADS        4
#define ACKED_BEFORE   200  /* acknowledgements before the primary is killed */
#define ACKED_AFTER    200  /* acknowledgements after the first one on the promoted server */
#define GAP_REFUSALS   50   /* 503s seen before the standby is promoted */
#define GAP_SECONDS    20   /* bound on seeing them after the kill */
#define RECOVER_SECONDS 60  /* bound on the first acknowledgement after the promotion */
#define RETRY_MS       20   /* a provider's pause before it sends a refused message again */

static struct gw_proc G;
static int gateway_made;
static char primary_dir[64], standby_dir[64]; /* "" until created */
static char primary_url[128], standby_url[128];

static atomic_int stop_load;
static atomic_int acked_total, refused_503, other_answers;
/* Monotonic microseconds: the first 503; when the promotion began; the
 * first acknowledgement after that (0: not yet). */
static atomic_llong first_503_us, promote_us, back_us;

/* One provider connection: it sends messages fo-<idx>-<n> in order and
 * sends each again until it is acknowledged, as providers retry. */
struct sender {
    int idx;
    int acked; /* messages 0..acked-1 got a 2xx */
    pthread_t th;
    int running;
};
static struct sender senders[THREADS];

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double now_s(void) { return (double)now_us() / 1e6; }

/* Sets *t to now unless it is set already. */
static void mark_once(atomic_llong *t)
{
    long long zero = 0;
    atomic_compare_exchange_strong(t, &zero, now_us());
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void msg_id(int t, int i, char *out, size_t len) { snprintf(out, len, "fo-%02d-%06d", t, i); }

/* Runs tests/pg/server.sh with args; its first output line (a URL) goes to
 * out when out is non-NULL. Returns its exit status. */
static int server_sh(const char *args, char *out, size_t len)
{
    char cmd[512], line[256] = "";
    snprintf(cmd, sizeof cmd, "tests/pg/server.sh %s", args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    if (!fgets(line, sizeof line, p)) line[0] = '\0';
    char rest[256];
    while (fgets(rest, sizeof rest, p)) {
    }
    int st = pclose(p);
    line[strcspn(line, "\r\n")] = '\0';
    if (out) snprintf(out, len, "%s", line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A new empty folder /tmp/gw-fo-<what>-XXXXXX for a server into dir. */
static int make_dir(char *dir, size_t len, const char *what)
{
    snprintf(dir, len, "/tmp/gw-fo-%s-XXXXXX", what);
    if (mkdtemp(dir)) return 0;
    dir[0] = '\0';
    return -1;
}

/* Runs one statement on url; 0 or -1 (the error on stderr). */
static int pg_do(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    if (!ok) fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    PQfinish(c);
    return ok ? 0 : -1;
}

static void *send_loop(void *arg)
{
    struct sender *s = arg;
    int i = 0;
    while (!atomic_load(&stop_load)) {
        char id[32], from[32], text[96];
        msg_id(s->idx, i, id, sizeof id);
        snprintf(from, sizeof from, "+86137%02d%06d", s->idx, i);
        if (i % 2) snprintf(text, sizeof text, "BG %d 第%d号测试报告", 1 + i % 9, i);
        else snprintf(text, sizeof text, "孩子一个人在家 %d", i);
        struct http_resp r;
        int rc = post_generic(G.port, id, from, text, &r);
        long status = rc == 0 ? r.status : 0;
        http_resp_free(&r);
        if (status >= 200 && status < 300) {
            s->acked = ++i;
            atomic_fetch_add(&acked_total, 1);
            if (atomic_load(&promote_us)) mark_once(&back_us);
            continue;
        }
        if (status == 503) {
            atomic_fetch_add(&refused_503, 1);
            mark_once(&first_503_us);
        } else {
            atomic_fetch_add(&other_answers, 1);
            print_error("%s answered %ld\n", id, status);
        }
        pause_ms(RETRY_MS); /* then the same message again */
    }
    return NULL;
}

static void start_load(void)
{
    for (int t = 0; t < THREADS; t++) {
        senders[t].idx = t;
        senders[t].running = pthread_create(&senders[t].th, NULL, send_loop, &senders[t]) == 0;
        assert_true(senders[t].running);
    }
}

static void stop_load_threads(void)
{
    atomic_store(&stop_load, 1);
    for (int t = 0; t < THREADS; t++)
        if (senders[t].running) {
            pthread_join(senders[t].th, NULL);
            senders[t].running = 0;
        }
}

/* Polls (1 ms steps) until *counter reaches target or seconds pass; the
 * counter's last value. */
static int wait_count(atomic_int *counter, int target, double seconds)
{
    double end = now_s() + seconds;
    while (atomic_load(counter) < target && now_s() < end) pause_ms(1);
    return atomic_load(counter);
}

/* The status of GET /healthz, polled until 200 or 30 s. */
static long healthz_settles(void)
{
    long status = 0;
    double end = now_s() + 30;
    do {
        struct http_resp r;
        status = http_req(G.port, "GET", "/healthz", NULL, NULL, 0, &r) == 0 ? r.status : 0;
        http_resp_free(&r);
        if (status != 200) pause_ms(50);
    } while (status != 200 && now_s() < end);
    return status;
}

/* Every acknowledged message of every sender is on db exactly once;
 * prints the counts and returns the number of fo- messages stored. */
static int64_t check_stored(const char *db)
{
    int64_t acked = 0;
    for (int t = 0; t < THREADS; t++) {
        char lo[32], hi[32];
        msg_id(t, 0, lo, sizeof lo);
        msg_id(t, senders[t].acked, hi, sizeof hi);
        int64_t n = db_int(db, "SELECT count(*) FROM inbox WHERE channel = 'generic' AND provider_id >= %Q AND "
                               "provider_id < %Q", lo, hi);
        int64_t distinct = db_int(db, "SELECT count(DISTINCT provider_id) FROM inbox WHERE channel = 'generic' AND "
                                      "provider_id >= %Q AND provider_id < %Q", lo, hi);
        print_message("sender %d: acknowledged %d, stored %lld (%lld distinct)\n", t, senders[t].acked, (long long)n,
                      (long long)distinct);
        assert_int_equal(n, senders[t].acked);
        assert_int_equal(distinct, senders[t].acked);
        acked += senders[t].acked;
    }
    int64_t stored = db_int(db, "SELECT count(*) FROM inbox WHERE channel = 'generic' AND provider_id LIKE 'fo-%%'");
    print_message("acknowledged %lld, stored %lld\n", (long long)acked, (long long)stored);
    /* Beyond the acknowledged: at most each sender's last message, committed
     * but not answered when the load stopped. */
    assert_true(stored >= acked && stored <= acked + THREADS);
    return stored;
}

/* The two servers, the gw database on the primary, a gateway on the
 * multi-host URL with the demo roster imported, running. */
static void start_everything(void)
{
    char args[256];
    assert_int_equal(make_dir(primary_dir, sizeof primary_dir, "primary"), 0);
    assert_int_equal(make_dir(standby_dir, sizeof standby_dir, "standby"), 0);
    snprintf(args, sizeof args, "start-primary '%s'", primary_dir);
    assert_int_equal(server_sh(args, primary_url, sizeof primary_url), 0);
    snprintf(args, sizeof args, "start-standby '%s' '%s'", primary_dir, standby_dir);
    assert_int_equal(server_sh(args, standby_url, sizeof standby_url), 0);
    print_message("primary %s, synchronous standby %s\n", primary_url, standby_url);

    char admin[160];
    snprintf(admin, sizeof admin, "%s/postgres", primary_url);
    assert_int_equal(pg_do(admin, "CREATE DATABASE gw TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' "
                                  "ENCODING 'UTF8'"),
                     0);
    char url[400];
    snprintf(url, sizeof url,
             "postgresql://postgres@%s,%s/gw?target_session_attrs=read-write&connect_timeout=2",
             primary_url + strlen("postgresql://postgres@"), standby_url + strlen("postgresql://postgres@"));
    gwp_use_store(url);
    gateway_made = 1;
    assert_int_equal(gwp_init(&G, NULL, 1), 0);
    assert_int_equal(gwp_start(&G), 0);
}

static void failover_loses_nothing_acknowledged(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    start_everything();
    pid_t pid = G.pid;
    start_load();
    assert_true(wait_count(&acked_total, ACKED_BEFORE, 60) >= ACKED_BEFORE);
    assert_int_equal(atomic_load(&refused_503), 0);
    assert_int_equal(atomic_load(&other_answers), 0);

    /* Crash the primary under load: requests are refused with 503. */
    char args[128];
    snprintf(args, sizeof args, "kill '%s'", primary_dir);
    long long t_kill = now_us();
    int acked_at_kill = atomic_load(&acked_total);
    assert_int_equal(server_sh(args, NULL, 0), 0);
    assert_true(wait_count(&refused_503, GAP_REFUSALS, GAP_SECONDS) >= GAP_REFUSALS);

    /* Promote the standby; the same process finds it (PQreset tries every
     * host of the URL) and acknowledges again. */
    int acked_in_gap = atomic_load(&acked_total);
    snprintf(args, sizeof args, "promote '%s'", standby_dir);
    atomic_store(&promote_us, now_us());
    assert_int_equal(server_sh(args, NULL, 0), 0);
    long long t_promoted = now_us();
    assert_true(wait_count(&acked_total, acked_in_gap + 1, RECOVER_SECONDS) > acked_in_gap);
    int acked_back = atomic_load(&acked_total);
    assert_true(wait_count(&acked_total, acked_back + ACKED_AFTER, 60) >= acked_back + ACKED_AFTER);
    stop_load_threads();

    long long t_promote = atomic_load(&promote_us), t_back = atomic_load(&back_us);
    print_message("acknowledged %d before the kill began, %d more while the primary was being killed\n",
                  acked_at_kill, acked_in_gap - acked_at_kill);
    print_message("first 503 %.3f s after the kill; promotion began %.3f s after it and took %.3f s; first "
                  "acknowledgement %.3f s after the promotion began\n",
                  (double)(atomic_load(&first_503_us) - t_kill) / 1e6, (double)(t_promote - t_kill) / 1e6,
                  (double)(t_promoted - t_promote) / 1e6, (double)(t_back - t_promote) / 1e6);
    print_message("answers: %d acknowledged, %d refused with 503, %d other\n", atomic_load(&acked_total),
                  atomic_load(&refused_503), atomic_load(&other_answers));
    assert_int_equal(atomic_load(&other_answers), 0);

    /* The same process, never restarted, still running. */
    assert_int_equal(G.pid, pid);
    assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
    assert_int_equal(healthz_settles(), 200);

    /* Counted on the promoted server itself, not through the URL. */
    char promoted[160];
    snprintf(promoted, sizeof promoted, "%s/gw", standby_url);
    check_stored(promoted);
    /* Each stored message's case was committed with it. */
    assert_int_equal(db_int(promoted, "SELECT count(*) FROM inbox i WHERE i.provider_id LIKE 'fo-%%' AND "
                                      "NOT EXISTS (SELECT 1 FROM cases c WHERE c.inbox_id = i.id)"),
                     0);

    /* A provider retries an acknowledged message from before the kill: still once. */
    char id[32];
    msg_id(0, 0, id, sizeof id);
    struct http_resp r;
    assert_int_equal(post_generic(G.port, id, "+8613700000000", "孩子一个人在家 0", &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    assert_int_equal(db_int(promoted, "SELECT count(*) FROM inbox WHERE provider_id = %Q", id), 1);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

/* Whatever happened: the load stopped, the gateway stopped and its folder
 * removed, both servers stopped and their folders removed. */
static int teardown(void **state)
{
    (void)state;
    stop_load_threads();
    if (gateway_made) gwp_cleanup(&G);
    gateway_made = 0;
    gwp_use_store(NULL);
    char args[128];
    if (standby_dir[0]) {
        snprintf(args, sizeof args, "stop '%s'", standby_dir);
        if (server_sh(args, NULL, 0) != 0) fprintf(stderr, "could not stop the standby in %s\n", standby_dir);
    }
    if (primary_dir[0]) {
        snprintf(args, sizeof args, "stop '%s'", primary_dir);
        if (server_sh(args, NULL, 0) != 0) fprintf(stderr, "could not stop the primary in %s\n", primary_dir);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(failover_loses_nothing_acknowledged, teardown),
    };
    return cmocka_run_group_tests_name("e2e PostgreSQL failover", tests, NULL, NULL);
}
