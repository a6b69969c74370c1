/* tests/common/mediasrv.h - a real local HTTP server standing in for a
 * provider's recordings: binary bodies with a content type, served by
 * path, with scripted failures and requests held on the wire. Any POST is
 * answered 201 {"sid":"SMmediasrv<n>"} (a Twilio send API), so one server
 * can be both a channel's `url` base and the host of its recordings. It
 * speaks plain http on loopback: a channel fetching from it needs
 * media_hosts naming 127.0.0.1 (or localhost) and
 * media_allow_local_for_tests = yes. */
#ifndef MEDIASRV_H
#define MEDIASRV_H

#include <stddef.h>

struct mediasrv;

/* Starts on 127.0.0.1 at a free port. Returns 0 or -1. */
int mediasrv_start(struct mediasrv **out);
int mediasrv_port(struct mediasrv *s);
/* "http://127.0.0.1:<port>" into out (at least 32 bytes); returns out. */
const char *mediasrv_base(struct mediasrv *s, char *out, size_t outlen);

/* Serves a copy of body (len bytes) at path (no query) with status 200 and
 * content_type (NULL: none). chunked: no Content-Length (the size is only
 * known at the end). Replaces what path served before and its script. */
void mediasrv_put(struct mediasrv *s, const char *path, const char *content_type, const void *body, size_t len,
                  int chunked);
/* The next `times` requests to path get status (with a short text body)
 * before it serves its body again. */
void mediasrv_fail(struct mediasrv *s, const char *path, int status, int times);
/* hold = 1: requests to path wait (after being counted) until
 * mediasrv_release or stop, then get 503. */
void mediasrv_hold(struct mediasrv *s, const char *path, int hold);
void mediasrv_release(struct mediasrv *s);

/* Requests to path so far (GETs of every path: "*"). */
size_t mediasrv_hits(struct mediasrv *s, const char *path);
/* Polls until path had at least n requests or timeout_ms passed; returns the count. */
size_t mediasrv_wait(struct mediasrv *s, const char *path, size_t n, int timeout_ms);
/* The Authorization header and target (path + query) of the last request
 * to path; owned copies, NULL when none. */
char *mediasrv_last_auth(struct mediasrv *s, const char *path);
char *mediasrv_last_target(struct mediasrv *s, const char *path);

void mediasrv_stop(struct mediasrv *s); /* NULL is a no-op */

#endif
