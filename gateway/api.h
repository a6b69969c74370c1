/* gateway/api.h - one /api/v1 endpoint: the action the caller's role must
 * be allowed (handlers/auth.h) and the work it does.
 *
 * An endpoint's run is called by the store writer inside its batch (a
 * savepoint of its own) once the caller's token or session is known and
 * allowed: it reads and writes through the store port, calls the same
 * domain functions the SMS commands do, appends its audit rows
 * (handlers/audit.h) in the same transaction, and fills the JSON answer.
 * It never touches the network or the HTTP connection. render, for an
 * endpoint whose answer is the principal alone (GET /api/v1/me), runs on
 * the HTTP thread instead.
 *
 * Adding an endpoint: a const struct api_endpoint in gateway/api_*.c, and
 * one line in the route table (gateway/routes.c) naming it.
 */
#ifndef GW_API_H
#define GW_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/config.h"
#include "../handlers/auth.h"

struct store;

/* What an endpoint adds to its answer besides the JSON (staff sign-in). */
#define API_COOKIE_MAX 192
struct api_extra {
    char set_cookie[API_COOKIE_MAX]; /* a Set-Cookie header's value, "" when none */
    int64_t retry_after;             /* a 429's Retry-After in seconds, 0 when none */
};

/* What an endpoint's run gets: everything borrowed for the call. */
struct api_in {
    struct store *st;
    const struct gw_config *cfg;
    const struct auth_principal *who; /* the caller */
    const char *id;                   /* the path's "{id}" segment, "" when none */
    const char *query;                /* raw query without '?', "" when none */
    const char *body;                 /* request body ("" when none), NUL-terminated */
    size_t body_len;
    const char *client; /* client address */
    int64_t now;
    const char *session;     /* SHA-256 hex of the caller's session cookie, "" when the caller is no session */
    struct api_extra *extra; /* the answer's extra headers (never NULL), zeroed */
};

struct api_endpoint {
    enum auth_action action;
    /* 1: anyone may call it, no token or session needed (who is then a
     * zeroed principal and action is not checked): the sign-in steps. */
    int anonymous;
    /* 1: a refusal (4xx) keeps the endpoint's writes, as a success does
     * (a wrong login code's counted try). */
    int keeps_refusals;
    /* 1: a 200 answer is the string out holds at "html", served as a page
     * (text/html) under API_HTML_CSP instead of the JSON. */
    int html;
    /* Returns the HTTP status (200, 201, 400, 404, 409...) having filled
     * out (a JSON object) or, for a 4xx, reason; or -1 on a store error
     * (the endpoint's writes are rolled back and 500 answered). NULL:
     * render alone answers. */
    int (*run)(const struct api_in *in, json_t *out, char *reason, size_t reasonlen);
    /* The 200 answer from the principal alone (on the HTTP thread), or NULL. */
    void (*render)(const struct auth_principal *who, json_t *out);
};

/* The Content-Security-Policy of a page an endpoint answers: no script,
 * nothing fetched, its own inline style sheet only. */
#define API_HTML_CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

/* The value of key in a raw query string ("a=1&b=x%20y"), URL-decoded into
 * out; 0, or -1 when absent (out then ""). */
int api_query_get(const char *query, const char *key, char *out, size_t outlen);

#endif
