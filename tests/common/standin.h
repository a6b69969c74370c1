/* tests/common/standin.h - a real local HTTP server standing in for a
 * provider's send API in end-to-end tests. It records every request and
 * answers from a script: given status and body, after a delay, or not at
 * all (until the test lets go). */
#ifndef STANDIN_H
#define STANDIN_H

#include <stddef.h>

struct standin;

struct standin_req {
    char *method;   /* owned */
    char *target;   /* path + "?" + query, owned */
    char *headers;  /* "name: value\n" lines, names lower-case, owned */
    char *body;     /* owned, NUL-terminated */
    size_t body_len;
};

/* Starts on 127.0.0.1 at a free port. The default answer is 200 with
 * {"id":"prov-N"} (N = 1, 2, ... per request). Returns 0 or -1. */
int standin_start(struct standin **out);
int standin_port(struct standin *s);
/* Queues one scripted answer (used in order, then the default). body may
 * contain "%d", replaced by the request number. delay_ms: wait before
 * answering; hang: never answer (until standin_release or stop). */
void standin_push(struct standin *s, int status, const char *body, int delay_ms, int hang);
/* Sets the default answer (status 0: back to the built-in default). */
void standin_default(struct standin *s, int status, const char *body);
/* on = 1: every request without a scripted answer hangs (a send API that
 * accepts connections and never answers) until standin_release or stop;
 * 0: back to the default answer. */
void standin_hang(struct standin *s, int on);
/* Lets every hanging request go (they get 503). */
void standin_release(struct standin *s);
/* Requests received so far. */
size_t standin_count(struct standin *s);
/* A copy of request i (caller frees with standin_req_free), or -1. */
int standin_get(struct standin *s, size_t i, struct standin_req *out);
void standin_req_free(struct standin_req *r);
/* Value of header name (lower-case) in r, owned copy or NULL. */
char *standin_header(const struct standin_req *r, const char *name);
/* Polls until at least n requests came, or timeout_ms passed. Returns the count. */
size_t standin_wait(struct standin *s, size_t n, int timeout_ms);
void standin_stop(struct standin *s);

#endif
