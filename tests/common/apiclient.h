/* tests/common/apiclient.h - an in-process office-API client for unit
 * tests: a temporary directory with a config written from the test's INI
 * fragment, a migrated store (SQLite, or PostgreSQL under GATEWAY_TEST_PG), and requests sent through
 * routes_handle whose jobs a stand-in writer runs at once, on this thread,
 * through pipeline_batch at a clock the test sets. Answers come back as
 * the HTTP server would send them.
 *
 * Every function fails the running cmocka test (fail_msg, or an assertion)
 * when the world cannot be made or a request goes wrong on the test's side.
 */
#ifndef TEST_APICLIENT_H
#define TEST_APICLIENT_H

#include <stdint.h>

#include <jansson.h>

#include "../../handlers/session.h"
#include "harness.h"
#include "seed.h"

struct gw_config;
struct store;
struct pipeline_job;

/* The usual [policy] and [channel generic] sections of a county. */
#define APICLIENT_POLICY "[policy]\ntimezone = Asia/Shanghai\ndefault_region = 示例县\ncountry_code = 86\n"
#define APICLIENT_CHANNEL                                                                                              \
    "[channel generic]\nprovider = generic\nsecret = " GENERIC_SECRET "\ndefault = yes\nurl = " NOWHERE_URL "\n"

/* The client's world. now is the writer's clock (unix seconds); 0 runs
 * each job at the real clock (gw_clock_now). */
struct apiclient {
    char dir[64];                     /* the temporary directory */
    char dbpath[SEED_PATH_MAX];       /* dir/gw.db, or a PostgreSQL database URL */
    struct gw_config *cfg;
    struct store *st;
    int64_t now;
};

/* Makes the directory "/tmp/<prefix>-XXXXXX", writes gw.ini there
 * ([server] public_url PUBLIC_URL, [store] for dbpath, then ini, which
 * NULL makes APICLIENT_POLICY APICLIENT_CHANNEL), loads it, and opens a
 * migrated store at dbpath. Sets TZ to Asia/Shanghai. Returns 0, or -1
 * (with the reason on stderr) when any step fails. */
int apiclient_open(struct apiclient *c, const char *prefix, const char *ini);

/* Closes the store and the config and removes the directory: 0, or -1. */
int apiclient_close(struct apiclient *c);

/* Replaces the store by a new, empty, migrated one at the same path. */
void apiclient_fresh_store(struct apiclient *c);

/* The stand-in writer: runs job's batch at once at c->now (see above),
 * then its done callback when it has one. A batch that fails fails the
 * test with the job's reason. Always returns 0. */
int apiclient_submit(void *c, struct pipeline_job *job);

/* An answer: status, the body parsed as JSON (owned, NULL when not JSON),
 * the Set-Cookie and Retry-After values and the JSON's "error" ("" when
 * none), and the raw body (owned, NUL-terminated, never NULL). */
struct answer {
    int status;
    json_t *json;
    char cookie[256];
    char retry_after[24];
    char error[160];
    char *body;
};

/* Sends method target (a path, with "?query" or not) with body (NULL:
 * none) from client (NULL: 127.0.0.1), with "Authorization: Bearer token"
 * (token NULL: none), a gw_session cookie among others (NULL: none) and
 * X-CSRF-Token csrf (NULL: none); fills a, which answer_free frees. */
void api_request(struct apiclient *c, const char *method, const char *target, const char *body, const char *token,
                 const char *cookie, const char *csrf, const char *client, struct answer *a);
void answer_free(struct answer *a);

/* GET target with the bearer token (NULL: none): the status, and the body
 * parsed into *json (NULL when not JSON; the caller decrefs it). */
int api_get(struct apiclient *c, const char *token, const char *target, json_t **json);

/* A staff member's session: its cookie's value and its CSRF token. */
struct api_session {
    char cookie[SESSION_SECRET_LEN];
    char csrf[SESSION_SECRET_LEN];
};

/* The code in the latest login_code outbox row to +86 phone, as sent,
 * into code (7 bytes; "" when none). A code is six digits. */
void api_code_sent(struct apiclient *c, const char *phone, char code[7]);

/* Signs +86 phone (national number) in at c->now: asks a code (202, sent),
 * reads it from its outbox row, verifies it (200, a gw_session cookie of
 * SESSION_SECRET_LEN - 1 characters) and fills s. */
void api_sign_in(struct apiclient *c, const char *phone, struct api_session *s);

#endif
