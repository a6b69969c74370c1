/* tests/common/harness.c - run the real gateway binary for end-to-end tests. */
#include "harness.h"

#include "../../providers/form.h"
#include "../../providers/twilio.h"
#include "pgtest.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

const char *gwp_bin(void)
{
    const char *b = getenv("GATEWAY_BIN");
    return b && *b ? b : "bin/gateway";
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int gwp_run(const char *const *args, char **out, char **err)
{
    char outp[] = "/tmp/gwrun-out-XXXXXX", errp[] = "/tmp/gwrun-err-XXXXXX";
    int fo = mkstemp(outp), fe = mkstemp(errp);
    if (fo < 0 || fe < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        const char *argv[32];
        int n = 0;
        argv[n++] = gwp_bin();
        for (int i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fo);
    close(fe);
    int status = 0;
    waitpid(pid, &status, 0);
    if (out) *out = read_file(outp, NULL);
    if (err) *err = read_file(errp, NULL);
    unlink(outp);
    unlink(errp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int force_sqlite;
static char given_url[300];

void gwp_force_sqlite(int on) { force_sqlite = on; }

void gwp_use_store(const char *url) { snprintf(given_url, sizeof given_url, "%s", url ? url : ""); }

int db_is_pg(const char *db)
{
    return !strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11);
}

/* Points g->db at the store the config names: a new PostgreSQL database
 * (with the test-only SQLite compatibility functions) when the test server
 * is set and SQLite is not forced, else the file in g->dir. Writes the
 * config's [store] section to f. Returns 0 or -1. */
static int init_store(struct gw_proc *g, FILE *f)
{
    if (given_url[0]) {
        snprintf(g->db, sizeof g->db, "%s", given_url);
        g->shared_db = 1;
        fprintf(f, "[store]\nbackend = postgres\nurl = %s\n[policy]\nmedia_dir = %s/media\n", g->db, g->dir);
        return 0;
    }
    if (pgtest_base_url() && !force_sqlite) {
        char err[512];
        if (pgtest_new_database(g->db, sizeof g->db, err, sizeof err) != 0 ||
            pgtest_sqlite_compat(g->db, err, sizeof err) != 0) {
            fprintf(stderr, "harness: %s\n", err);
            return -1;
        }
        /* synchronous is SQLite's: PostgreSQL always commits durably.
         * Recordings stay in the test's folder, as beside a SQLite file. */
        fprintf(f, "[store]\nbackend = postgres\nurl = %s\n[policy]\nmedia_dir = %s/media\n", g->db, g->dir);
        return 0;
    }
    snprintf(g->db, sizeof g->db, "%s/gateway.db", g->dir);
    fprintf(f, "[store]\npath = %s\nsynchronous = full\n", g->db);
    return 0;
}

int gwp_init(struct gw_proc *g, const char *extra_ini, int roster)
{
    return gwp_init_send(g, extra_ini, roster, NULL, NULL);
}

int gwp_init_send(struct gw_proc *g, const char *extra_ini, int roster, const char *generic_url,
                  const char *twilio_url)
{
    /* No test ever sends beyond this machine: a channel without a stand-in
     * gets a loopback port where nothing listens. */
    if (!twilio_url) twilio_url = NOWHERE_URL;
    memset(g, 0, sizeof *g);
    snprintf(g->dir, sizeof g->dir, "/tmp/gw-e2e-XXXXXX");
    if (!mkdtemp(g->dir)) return -1;
    snprintf(g->cfg, sizeof g->cfg, "%s/gateway.ini", g->dir);
    snprintf(g->log, sizeof g->log, "%s/gateway.log", g->dir);
    FILE *f = fopen(g->cfg, "w");
    if (!f) return -1;
    if (init_store(g, f) != 0) {
        fclose(f);
        return -1;
    }
    fprintf(f,
            "[server]\nlisten = 127.0.0.1:0\npublic_url = " PUBLIC_URL "\nmax_body = 4096\nthreads = 2\n"
            "log_level = info\n"
            "[policy]\ntimezone = Asia/Shanghai\ndefault_region = 示例县\ncountry_code = 86\n"
            "[channel generic]\nprovider = generic\nsecret = " GENERIC_SECRET "\ndefault = yes\n%s%s%s"
            "[channel twilio]\nprovider = twilio\naccount_sid = AC00000000000000000000000000000001\n"
            "auth_token = " TWILIO_TOKEN "\nnumber = +12025550100\n%s%s%s%s\n",
            generic_url ? "url = " : "", generic_url ? generic_url : "", generic_url ? "\n" : "",
            twilio_url ? "url = " : "", twilio_url ? twilio_url : "", twilio_url ? "\n" : "",
            extra_ini ? extra_ini : "");
    fclose(f);
    if (!roster) return 0;
    static const char *const kinds[] = {"regions", "staff", "children", "guardians"};
    for (int i = 0; i < 4; i++) {
        char csv[256];
        snprintf(csv, sizeof csv, "examples/roster/%s.csv", kinds[i]);
        const char *args[] = {"import", "-c", g->cfg, kinds[i], csv, NULL};
        char *err = NULL;
        int rc = gwp_run(args, NULL, &err);
        if (rc != 0) {
            fprintf(stderr, "import %s failed (%d): %s\n", kinds[i], rc, err ? err : "");
            free(err);
            return -1;
        }
        free(err);
    }
    return 0;
}

/* The port in the first "listening on" line after byte `from` of the log
 * (the log grows across restarts). 0 when not there yet. */
static int read_port(const char *log, size_t from)
{
    size_t len = 0;
    char *text = read_file(log, &len);
    if (!text) return 0;
    int port = 0;
    const char *p = from < len ? strstr(text + from, "listening on ") : NULL;
    if (p) {
        const char *colon = strchr(p + 13, ':');
        if (colon) port = atoi(colon + 1);
    }
    free(text);
    return port;
}

int gwp_start(struct gw_proc *g)
{
    int fd = open(g->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) return -1;
    struct stat sb;
    size_t from = fstat(fd, &sb) == 0 ? (size_t)sb.st_size : 0;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 2);
        char off[32];
        snprintf(off, sizeof off, "%ld", g->clock_offset);
        setenv("GATEWAY_CLOCK_OFFSET", off, 1);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execl(gwp_bin(), gwp_bin(), "serve", "-c", g->cfg, (char *)NULL);
        _exit(127);
    }
    close(fd);
    g->pid = pid;
    g->port = 0;
    /* Poll for the port in the log, then for a healthy store. */
    for (int i = 0; i < 1000; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            g->pid = 0;
            break;
        }
        if (!g->port) g->port = read_port(g->log, from);
        if (g->port) {
            struct http_resp r;
            if (http_req(g->port, "GET", "/healthz", NULL, NULL, 0, &r) == 0 && r.status == 200) {
                http_resp_free(&r);
                return 0;
            }
            http_resp_free(&r);
        }
        sleep_ms(10);
    }
    char *text = read_file(g->log, NULL);
    fprintf(stderr, "gateway did not become ready; log:\n%s\n", text ? text : "");
    free(text);
    return -1;
}

int gwp_stop(struct gw_proc *g, int sig)
{
    if (!g->pid) return -1;
    kill(g->pid, sig);
    int status = 0;
    if (waitpid(g->pid, &status, 0) != g->pid) return -1;
    g->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void gwp_cleanup(struct gw_proc *g)
{
    if (g->pid) gwp_stop(g, SIGKILL);
    if (g->dir[0] && !getenv("KEEP_TEST_DIRS")) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g->dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g->dir);
    }
    if (db_is_pg(g->db) && !g->shared_db && !getenv("KEEP_TEST_DIRS")) pgtest_drop_database(g->db);
    g->db[0] = '\0';
}

/* ---- HTTP ---------------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct http_resp *r = arg;
    size_t n = size * nmemb;
    r->body = realloc(r->body, r->len + n + 1);
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* Keeps the Set-Cookie header's value (without its line end). */
static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    struct http_resp *r = arg;
    size_t n = size * nmemb;
    if (n > 11 && !strncasecmp(line, "set-cookie:", 11)) {
        size_t from = 11, to = n;
        while (from < to && line[from] == ' ') from++;
        while (to > from && (line[to - 1] == '\r' || line[to - 1] == '\n')) to--;
        snprintf(r->set_cookie, sizeof r->set_cookie, "%.*s", (int)(to - from), line + from);
    }
    return n;
}

int http_req(int port, const char *method, const char *target, const char *const *headers, const char *body,
             size_t len, struct http_resp *out)
{
    memset(out, 0, sizeof *out);
    out->body = calloc(1, 1);
    CURL *c = curl_easy_init();
    if (!c) return -1;
    char url[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, target);
    struct curl_slist *hl = NULL;
    for (int i = 0; headers && headers[i]; i++) hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        if (ct) snprintf(out->ctype, sizeof out->ctype, "%s", ct);
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

void http_resp_free(struct http_resp *r)
{
    free(r->body);
    r->body = NULL;
}

void hmac_sha256_hex(const char *key, const char *data, size_t len, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, len, mac, &n);
    static const char hx[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hx[mac[i] >> 4];
        out[2 * i + 1] = hx[mac[i] & 15];
    }
    out[2 * n] = '\0';
}

char *form_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1);
    size_t o = 0;
    static const char hx[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~') {
            out[o++] = (char)*p;
        } else if (*p == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = hx[*p >> 4];
            out[o++] = hx[*p & 15];
        }
    }
    out[o] = '\0';
    return out;
}

int post_generic(int port, const char *id, const char *from, const char *text, struct http_resp *out)
{
    char *eid = form_escape(id), *efrom = form_escape(from), *etext = form_escape(text);
    size_t cap = strlen(eid) + strlen(efrom) + strlen(etext) + 64;
    char *body = malloc(cap);
    int n = snprintf(body, cap, "id=%s&from=%s&to=10690000&text=%s", eid, efrom, etext);
    char sig[65], sighdr[90];
    hmac_sha256_hex(GENERIC_SECRET, body, (size_t)n, sig);
    snprintf(sighdr, sizeof sighdr, "X-Signature: %s", sig);
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", sighdr, NULL};
    int rc = http_req(port, "POST", "/hooks/generic/sms", hdrs, body, (size_t)n, out);
    free(body);
    free(eid);
    free(efrom);
    free(etext);
    return rc;
}

int post_at_ussd(int port, const char *target, const char *session, const char *phone, const char *text,
                 struct http_resp *out)
{
    char *s = form_escape(session), *p = form_escape(phone), *t = form_escape(text);
    size_t len = strlen(s) + strlen(p) + strlen(t) + 128;
    char *body = malloc(len);
    snprintf(body, len, "sessionId=%s&serviceCode=%%2A384%%2A1234%%23&phoneNumber=%s&networkCode=46001&text=%s", s, p,
             t);
    free(s);
    free(p);
    free(t);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    int rc = http_req(port, "POST", target, h, body, strlen(body), out);
    free(body);
    return rc;
}

int post_generic_json(int port, const char *path, const char *json, struct http_resp *out)
{
    char sig[65], hdr[90];
    hmac_sha256_hex(GENERIC_SECRET, json, strlen(json), sig);
    snprintf(hdr, sizeof hdr, "X-Signature: %s", sig);
    const char *h[] = {"Content-Type: application/json", hdr, NULL};
    return http_req(port, "POST", path, h, json, strlen(json), out);
}

int post_twilio(int port, const char *path, const char *body, struct http_resp *out)
{
    char url[512], sig[PROV_TWILIO_SIG_LEN + 1], hdr[96], err[128];
    snprintf(url, sizeof url, PUBLIC_URL "%s", path);
    struct form f;
    if (form_parse(body, strlen(body), &f, err, sizeof err) != 0) return -1;
    int rc = prov_twilio_signature(TWILIO_TOKEN, url, &f, sig);
    form_free(&f);
    if (rc != 0) return -1;
    snprintf(hdr, sizeof hdr, "X-Twilio-Signature: %s", sig);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", hdr, NULL};
    return http_req(port, "POST", path, h, body, strlen(body), out);
}

/* ---- database -------------------------------------------------------------- */

/* Connects to the PostgreSQL database url for the assertions: the process's
 * time zone (TZ) as the gateway's sessions have it, and the test-only
 * compatibility functions on the search path. NULL (reason on stderr) on failure. */
static PGconn *pg_connect(const char *url, int read_only)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "connect %s: %s", url, PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, read_only ? "SET search_path = public, " PGTEST_COMPAT_SCHEMA
                                        "; SET default_transaction_read_only = on"
                                      : "SET search_path = public, " PGTEST_COMPAT_SCHEMA);
    PQclear(r);
    const char *tz = getenv("TZ");
    if (tz && *tz) {
        const char *v[1] = {tz[0] == ':' ? tz + 1 : tz};
        PQclear(PQexecParams(c, "SELECT set_config('TimeZone', $1, false)", 1, NULL, v, NULL, NULL, 0));
    }
    return c;
}

/* Runs the query sql on PostgreSQL and returns the first column of its first
 * row (owned; NULL when no row, a NULL value or an error). */
static char *pg_first_value(const char *url, const char *sql)
{
    PGconn *c = pg_connect(url, 1);
    if (!c) return NULL;
    char *v = NULL;
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("query failed: %s: %s", sql, PQerrorMessage(c)); /* an assertion must not pass on -1 */
    else if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return v;
}

static sqlite3_stmt *query(const char *db, sqlite3 **h, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_open_v2(db, h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, *h ? sqlite3_errmsg(*h) : "open");
        return NULL;
    }
    /* A query that does not compile is a broken assertion, not a value:
     * it fails the test rather than answer -1 (which `<=` would pass). */
    if (sqlite3_prepare_v2(*h, sql, -1, &s, NULL) != SQLITE_OK) fail_msg("query failed: %s: %s", sql, sqlite3_errmsg(*h));
    sqlite3_busy_timeout(*h, 5000);
    return s;
}

int64_t db_int(const char *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    int64_t v = -1;
    if (db_is_pg(db)) {
        char *text = pg_first_value(db, sql);
        if (text) v = !strcmp(text, "t") ? 1 : !strcmp(text, "f") ? 0 : strtoll(text, NULL, 10);
        free(text);
        sqlite3_free(sql);
        return v;
    }
    sqlite3 *h = NULL;
    sqlite3_stmt *s = query(db, &h, sql);
    if (s && sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    sqlite3_free(sql);
    return v;
}

char *db_text(const char *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *v = NULL;
    if (db_is_pg(db)) {
        v = pg_first_value(db, sql);
        sqlite3_free(sql);
        return v;
    }
    sqlite3 *h = NULL;
    sqlite3_stmt *s = query(db, &h, sql);
    if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        v = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(h);
    sqlite3_free(sql);
    return v;
}

int db_exec(const char *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    int rc = -1;
    if (db_is_pg(db)) {
        PGconn *c = pg_connect(db, 0);
        if (c) {
            PGresult *r = PQexec(c, sql);
            ExecStatusType st = PQresultStatus(r);
            rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
            if (rc != 0) fprintf(stderr, "exec failed: %s: %s", sql, PQerrorMessage(c));
            PQclear(r);
            PQfinish(c);
        }
    } else {
        sqlite3 *h = NULL;
        char *msg = NULL;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
            sqlite3_busy_timeout(h, 10000);
            rc = sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK ? 0 : -1;
        }
        if (rc != 0) fprintf(stderr, "exec failed: %s: %s\n", sql, msg ? msg : h ? sqlite3_errmsg(h) : "open");
        sqlite3_free(msg);
        sqlite3_close(h);
    }
    sqlite3_free(sql);
    return rc;
}

struct db_lock {
    sqlite3 *sqlite; /* exactly one of the two is set */
    PGconn *pg;
};

struct db_lock *db_lock(const char *db)
{
    struct db_lock *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    int ok = 0;
    if (db_is_pg(db)) {
        l->pg = pg_connect(db, 0);
        if (l->pg) {
            PGresult *r = PQexec(l->pg, "BEGIN; LOCK TABLE inbox IN EXCLUSIVE MODE");
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            if (!ok) fprintf(stderr, "lock: %s", PQerrorMessage(l->pg));
            PQclear(r);
        }
    } else if (sqlite3_open(db, &l->sqlite) == SQLITE_OK) {
        sqlite3_busy_timeout(l->sqlite, 5000);
        ok = sqlite3_exec(l->sqlite, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
        if (!ok) fprintf(stderr, "lock: %s\n", sqlite3_errmsg(l->sqlite));
    }
    if (!ok) {
        db_unlock(l);
        return NULL;
    }
    return l;
}

void db_unlock(struct db_lock *l)
{
    if (!l) return;
    if (l->pg) {
        PQclear(PQexec(l->pg, "ROLLBACK"));
        PQfinish(l->pg);
    }
    if (l->sqlite) {
        sqlite3_exec(l->sqlite, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(l->sqlite);
    }
    free(l);
}
