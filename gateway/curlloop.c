/* gateway/curlloop.c - libcurl multi on libevent (see curlloop.h). */
#include "curlloop.h"

#include <stdlib.h>

#include "../core/util.h"

struct curlloop {
    struct event_base *base; /* borrowed */
    CURLM *multi;
    struct event *timer; /* armed by curl's timer callback */
    curlloop_done_fn done;
    void *arg;
};

void curlloop_collect(struct curlloop *l)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(l->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        curl_multi_remove_handle(l->multi, easy); /* msg is invalid from here */
        l->done(l->arg, easy, result);
    }
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    struct curlloop *l = arg;
    int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(l->multi, fd, flags, &running);
    curlloop_collect(l);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
    struct curlloop *l = arg;
    struct event *ev = sockp;
    if (ev) event_free(ev);
    if (what == CURL_POLL_REMOVE) {
        curl_multi_assign(l->multi, fd, NULL);
        return 0;
    }
    short kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
    ev = event_new(l->base, fd, kind, on_socket_event, l);
    event_add(ev, NULL);
    curl_multi_assign(l->multi, fd, ev);
    return 0;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct curlloop *l = arg;
    int running;
    curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    curlloop_collect(l);
}

/* curl asks to be called back after ms: only arm the timer here. */
static int on_timer(CURLM *multi, long ms, void *arg)
{
    struct curlloop *l = arg;
    if (ms < 0) {
        evtimer_del(l->timer);
        return 0;
    }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(l->timer, &tv);
    return 0;
}

struct curlloop *curlloop_new(struct event_base *base, curlloop_done_fn done, void *arg)
{
    struct curlloop *l = gw_calloc(1, sizeof *l);
    l->base = base;
    l->done = done;
    l->arg = arg;
    l->multi = curl_multi_init();
    l->timer = evtimer_new(base, on_timeout, l);
    if (!l->multi || !l->timer) {
        curlloop_free(l);
        return NULL;
    }
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
    return l;
}

int curlloop_add(struct curlloop *l, CURL *easy) { return curl_multi_add_handle(l->multi, easy) == CURLM_OK ? 0 : -1; }

void curlloop_remove(struct curlloop *l, CURL *easy) { curl_multi_remove_handle(l->multi, easy); }

void curlloop_free(struct curlloop *l)
{
    if (!l) return;
    if (l->multi) curl_multi_cleanup(l->multi);
    if (l->timer) event_free(l->timer);
    free(l);
}
