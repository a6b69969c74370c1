/* tests/common/apiclient.c - an in-process office-API client for unit tests. */
#include "apiclient.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "../../core/clock.h"
#include "../../core/store.h"
#include "../../gateway/config_load.h"
#include "../../gateway/pipeline.h"
#include "../../gateway/routes.h"
#include "teststore.h"

/* Writes gw.ini into c->dir and loads it: 0, or -1 with the reason on stderr. */
static int write_config(struct apiclient *c, const char *ini)
{
    char path[SEED_PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/gw.ini", c->dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "[server]\npublic_url = " PUBLIC_URL "\n");
    seed_store_ini(f, c->dbpath);
    fputs(ini ? ini : APICLIENT_POLICY APICLIENT_CHANNEL, f);
    fclose(f);
    char err[256];
    if (gw_config_load(path, &c->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    return 0;
}

int apiclient_open(struct apiclient *c, const char *prefix, const char *ini)
{
    memset(c, 0, sizeof *c);
    setenv("TZ", "Asia/Shanghai", 1);
    snprintf(c->dir, sizeof c->dir, "/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(c->dir)) return -1;
    char file[SEED_PATH_MAX];
    snprintf(file, sizeof file, "%s/gw.db", c->dir);
    seed_store_where(c->dbpath, file);
    if (write_config(c, ini) != 0) return -1;
    c->st = seed_open(c->dbpath);
    char err[256] = "";
    if (store_migrate(c->st, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    return 0;
}

int apiclient_close(struct apiclient *c)
{
    if (c->st) store_close(c->st);
    seed_store_drop(c->dbpath);
    gw_config_free(c->cfg);
    c->st = NULL;
    c->cfg = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
    return system(cmd) == 0 ? 0 : -1;
}

void apiclient_fresh_store(struct apiclient *c)
{
    char file[SEED_PATH_MAX];
    seed_store_free(c->st, c->dbpath);
    snprintf(file, sizeof file, "%s/gw.db", c->dir);
    seed_store_where(c->dbpath, file);
    c->st = seed_open(c->dbpath);
    char err[256] = "";
    if (store_migrate(c->st, NULL, NULL, err, sizeof err) != 0) fail_msg("apiclient: migrate: %s", err);
}

int apiclient_submit(void *impl, struct pipeline_job *job)
{
    struct apiclient *c = impl;
    struct pipeline_job *jobs[] = {job};
    if (pipeline_batch(c->st, c->cfg, jobs, 1, c->now ? c->now : gw_clock_now()) != 0)
        fail_msg("batch failed: %s", job->reason);
    if (job->done) job->done(job);
    return 0;
}

/* ---- requests ---------------------------------------------------------------------- */

#define REQ_HEADERS 3

struct test_req {
    struct http_request req;
    const char *hdrs[REQ_HEADERS][2];
    size_t nhdrs;
    char path[512];
};

/* The request's header name (case-insensitive), NULL when not sent. */
static const char *header_of(const struct http_request *req, const char *name)
{
    const struct test_req *t = req->impl;
    for (size_t i = 0; i < t->nhdrs; i++)
        if (!strcasecmp(t->hdrs[i][0], name)) return t->hdrs[i][1];
    return NULL;
}

/* Adds header name: value (value NULL: nothing) to t. */
static void add_header(struct test_req *t, const char *name, const char *value)
{
    if (!value) return;
    t->hdrs[t->nhdrs][0] = name;
    t->hdrs[t->nhdrs++][1] = value;
}

/* Fills a from the server's response. */
static void read_answer(const struct http_response *resp, struct answer *a)
{
    memset(a, 0, sizeof *a);
    a->status = resp->status;
    a->body = malloc(resp->body.len + 1);
    assert_non_null(a->body);
    if (resp->body.len) memcpy(a->body, resp->body.p, resp->body.len);
    a->body[resp->body.len] = '\0';
    a->json = json_loadb(a->body, resp->body.len, 0, NULL);
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (!strcasecmp(resp->headers[i].name, "Set-Cookie"))
            snprintf(a->cookie, sizeof a->cookie, "%s", resp->headers[i].value);
        if (!strcasecmp(resp->headers[i].name, "Retry-After"))
            snprintf(a->retry_after, sizeof a->retry_after, "%s", resp->headers[i].value);
    }
    const char *e = a->json ? json_string_value(json_object_get(a->json, "error")) : NULL;
    if (e) snprintf(a->error, sizeof a->error, "%s", e);
}

void api_request(struct apiclient *c, const char *method, const char *target, const char *body, const char *token,
                 const char *cookie, const char *csrf, const char *client, struct answer *a)
{
    struct test_req t;
    memset(&t, 0, sizeof t);
    snprintf(t.path, sizeof t.path, "%s", target);
    t.path[strcspn(t.path, "?")] = '\0';
    const char *q = strchr(target, '?');
    t.req = (struct http_request){.method = method,
                                  .path = t.path,
                                  .target = target,
                                  .query = q ? q + 1 : "",
                                  .body = body ? body : "",
                                  .body_len = body ? strlen(body) : 0,
                                  .client = client ? client : "127.0.0.1",
                                  .header = header_of,
                                  .impl = &t};
    char cookie_hdr[128], auth[128];
    if (cookie) snprintf(cookie_hdr, sizeof cookie_hdr, "theme=dark; " SESSION_COOKIE "=%s", cookie);
    if (token) snprintf(auth, sizeof auth, "Bearer %s", token);
    add_header(&t, "Cookie", cookie ? cookie_hdr : NULL);
    add_header(&t, "X-CSRF-Token", csrf);
    add_header(&t, "Authorization", token ? auth : NULL);
    struct routes_ctx ctx = {.cfg = c->cfg, .writer = {apiclient_submit, c}};
    struct routes_call call = {0};
    struct http_response resp;
    memset(&resp, 0, sizeof resp);
    routes_handle(&ctx, &t.req, &call, &resp);
    if (resp.deferred) routes_finish(&ctx, &call, &resp);
    read_answer(&resp, a);
    http_response_clear(&resp);
    routes_call_clear(&call);
}

void answer_free(struct answer *a)
{
    json_decref(a->json);
    free(a->body);
    a->json = NULL;
    a->body = NULL;
}

int api_get(struct apiclient *c, const char *token, const char *target, json_t **json)
{
    struct answer a;
    api_request(c, "GET", target, NULL, token, NULL, NULL, NULL, &a);
    *json = a.json;
    a.json = NULL;
    int status = a.status;
    answer_free(&a);
    return status;
}

/* ---- signing in ---------------------------------------------------------------------- */

void api_code_sent(struct apiclient *c, const char *phone, char code[7])
{
    char *body = tdb_text(c->dbpath,
                         "SELECT body FROM outbox WHERE recipient = '+86%s' AND template = 'login_code' "
                         "ORDER BY id DESC LIMIT 1",
                         phone);
    code[0] = '\0';
    if (!body) return;
    const char *p = body + strcspn(body, "0123456789");
    assert_true(strspn(p, "0123456789") == 6);
    memcpy(code, p, 6);
    code[6] = '\0';
    free(body);
}

void api_sign_in(struct apiclient *c, const char *phone, struct api_session *s)
{
    char body[128], code[7];
    snprintf(body, sizeof body, "{\"phone\":\"%s\"}", phone);
    struct answer a;
    api_request(c, "POST", "/api/v1/login", body, NULL, NULL, NULL, NULL, &a);
    assert_int_equal(a.status, 202);
    assert_true(json_is_true(json_object_get(a.json, "sent")));
    answer_free(&a);
    api_code_sent(c, phone, code);
    assert_int_equal(strlen(code), 6);
    snprintf(body, sizeof body, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    api_request(c, "POST", "/api/v1/login/verify", body, NULL, NULL, NULL, NULL, &a);
    assert_int_equal(a.status, 200);
    assert_int_equal(strncmp(a.cookie, SESSION_COOKIE "=", sizeof SESSION_COOKIE), 0);
    size_t n = strcspn(a.cookie + sizeof SESSION_COOKIE, ";");
    assert_int_equal(n, SESSION_SECRET_LEN - 1);
    snprintf(s->cookie, sizeof s->cookie, "%.*s", (int)n, a.cookie + sizeof SESSION_COOKIE);
    snprintf(s->csrf, sizeof s->csrf, "%s", json_string_value(json_object_get(a.json, "csrf")));
    answer_free(&a);
}
