/* gateway/curlloop.h - libcurl's multi interface driven by a libevent base
 * (curl's hiperfifo pattern), shared by the sender and the recordings
 * fetcher.
 *
 * curl says which sockets to watch and when to be called back; the timer
 * callback only arms a libevent timer; finished transfers leave the multi
 * handle and are handed to the owner's `done` callback, which then owns
 * the easy handle. Everything runs on the thread that runs the base.
 */
#ifndef GW_CURLLOOP_H
#define GW_CURLLOOP_H

#include <curl/curl.h>
#include <event2/event.h>

struct curlloop;

/* Called once per finished transfer, after the handle left the multi; the
 * callee owns easy and frees it with curl_easy_cleanup. */
typedef void (*curlloop_done_fn)(void *arg, CURL *easy, CURLcode result);

/* Returns a loop on base, or NULL when curl or libevent refuse. */
struct curlloop *curlloop_new(struct event_base *base, curlloop_done_fn done, void *arg);
/* Starts a transfer. 0 or -1. */
int curlloop_add(struct curlloop *l, CURL *easy);
/* Takes a transfer off the loop without finishing it (done is not called;
 * the caller still owns easy). */
void curlloop_remove(struct curlloop *l, CURL *easy);
/* Hands over transfers that have finished but not been collected yet. */
void curlloop_collect(struct curlloop *l);
/* Frees the loop (transfers must have been removed or finished). NULL is a no-op. */
void curlloop_free(struct curlloop *l);

#endif
