/* gateway/sender.c - the outbound queue's delivery loop.
 *
 * Threads: everything here runs on the sender's own thread except
 * sender_wake (any thread: event_active is thread-safe with
 * evthread_use_pthreads) and sender_start/sender_stop (the main thread).
 *
 * Transfers run on a curlloop (curl multi on this thread's libevent base,
 * the hiperfifo pattern); finished ones are queued by on_done and recorded
 * by pump, which also claims and starts new ones. Every database write of a pump is one
 * transaction: results of finished sends, then claims of new ones. A claim
 * is committed before its request leaves, so after a crash the row is found
 * "sending" and sent again: a duplicate is possible only for a request the
 * provider accepted whose answer we had not yet recorded.
 *
 * One channel cannot hold up the others: each has at most its cap of
 * sends on the wire (a provider that accepts and never answers ties up
 * only its own share), and due rows are read leaving out channels that
 * can take nothing now (at their cap or out of rate tokens). A row read
 * without a channel, or for one that cannot send, whose route leads to
 * such a channel is given that channel's name (as its claim would), so
 * later reads leave it out too: blocked rows never fill the head of the
 * batch while other channels' rows wait behind them.
 *
 * Broadcast rows (kind "broadcast", the lowest priority) are bulk: a
 * channel takes one only while none of its other sends is on the wire
 * (so an alert or a reply never waits behind one), and at most at its
 * bulk rate, [broadcast] tps capped at half the channel's tps (a second
 * token bucket), so a broadcast never takes a channel's whole rate. A
 * channel that can take no broadcast row now is left out of the reads of
 * broadcast rows as a busy channel is of all rows.
 */
#include "sender.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/templates.h"
#include "../providers/provider.h"
#include "curlloop.h"
#include "store_open.h"

#define RESPONSE_CAP (64 * 1024) /* bytes of a provider answer we read at most */
#define TICK_MS      250         /* how often due rows and retries are looked for when idle */
#define MAX_READS    8           /* reads of due rows in one round, at most */

struct chan_state {
    const struct gw_channel *ch;
    double tokens; /* token bucket of ch->tps requests per second */
    double last;   /* monotonic seconds of the last refill */
    int cap;       /* sender_channel_cap: most sends on the wire at once */
    int in_flight; /* claimed sends of this channel not yet finished, 0..cap */
    int full;      /* 1 while in_flight has reached cap (logged once per episode) */
    int urgent;    /* claimed sends of this channel that are not broadcast rows, not yet finished */
    double brate;  /* broadcast rows per second: [broadcast] tps, at most half of ch->tps */
    double btok;   /* token bucket of brate broadcast rows per second */
    double blast;  /* monotonic seconds of its last refill */
};

struct xfer {
    struct sender *s;
    int64_t id;         /* outbox row */
    int attempt;        /* this attempt's number (1-based) */
    int64_t created_at; /* row age, for max_age */
    struct chan_state *cs;
    char recipient[32];
    char kind[16];
    int bulk; /* a broadcast row: not counted in cs->urgent */
    CURL *easy;
    struct curl_slist *headers;
    struct prov_http req; /* owned: the request as built */
    struct gw_buf resp;   /* the answer, at most RESPONSE_CAP */
    int too_big;
    CURLcode result;   /* transport result when done */
    long http;         /* HTTP status when done (0: none) */
    struct xfer *next; /* in s->done once finished */
};

struct sender {
    const struct gw_config *cfg; /* borrowed, frozen */
    struct metrics *metrics;     /* borrowed */
    struct store *st;            /* owned, this thread only */
    struct event_base *base;
    struct event *tick;       /* periodic look for due rows */
    struct event *wake;       /* activated by sender_wake */
    struct curlloop *loop;    /* curl multi on this base */
    struct chan_state *chans; /* one per configured channel */
    const char **busy;        /* scratch: names of channels that can take no send now */
    const char **bulk;        /* scratch: names of channels that can take no broadcast row now */
    int in_flight;            /* transfers on the wire */
    struct xfer *done;        /* finished, not yet recorded */
    unsigned seed;            /* jitter, this thread only */
    int64_t swept_at;         /* last clean-up of receipts that never matched */
    double recovered_at;      /* last look for sends a dead process left on the wire (shared store) */
    pthread_t thread;
    pthread_mutex_t lock;
    int stopping; /* under lock */
};

/* ---- pure helpers ------------------------------------------------------------ */

static int can_send(const struct gw_channel *ch)
{
    return ch && ch->ops && ch->ops->build_send && ch->ops->parse_send && (ch->url || !ch->ops->send_needs_url);
}

const struct gw_channel *sender_route(const struct gw_config *cfg, const char *wanted, const char *to)
{
    if (wanted) {
        const struct gw_channel *ch = gw_config_channel(cfg, wanted);
        if (can_send(ch)) return ch;
    }
    const struct gw_channel *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < cfg->nchannels; i++) {
        const struct gw_channel *ch = &cfg->channels[i];
        if (!can_send(ch) || !ch->route) continue;
        size_t n = strlen(ch->route);
        if (n > best_len && to && strncmp(to, ch->route, n) == 0) {
            best = ch;
            best_len = n;
        }
    }
    if (best) return best;
    for (size_t i = 0; i < cfg->nchannels; i++)
        if (cfg->channels[i].is_default && can_send(&cfg->channels[i])) return &cfg->channels[i];
    return NULL;
}

int sender_channel_cap(const struct gw_config *cfg, const struct gw_channel *ch)
{
    int total = cfg->sender.max_in_flight;
    int cap = ch->max_in_flight;
    if (!cap) {
        /* With other channels sending, a quarter of the slots stays theirs:
         * a provider that stops answering holds the rest at most, and one
         * busy channel still gets most of the throughput. */
        int senders = 0;
        for (size_t i = 0; i < cfg->nchannels; i++) senders += can_send(&cfg->channels[i]);
        cap = senders > 1 ? total - (total / 4 > 1 ? total / 4 : 1) : total;
    }
    if (cap > total) cap = total;
    return cap < 1 ? 1 : cap;
}

int sender_backoff(const struct gw_sender_cfg *sc, int attempt, double jitter)
{
    double d = sc->backoff;
    for (int i = 1; i < attempt && d < sc->backoff_max; i++) d *= 2;
    if (d > sc->backoff_max) d = sc->backoff_max;
    d *= jitter;
    return d < 1 ? 1 : (int)d;
}

/* Masks runs of 7 or more digits (phone numbers) in a provider answer
 * before it reaches the log. */
static void redact(const char *in, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < outlen;) {
        size_t j = i;
        while (j < len && in[j] >= '0' && in[j] <= '9') j++;
        if (j - i >= 7) {
            for (size_t k = i; k < j && o + 1 < outlen; k++) out[o++] = k < j - 4 && k >= i + 3 ? '*' : in[k];
            i = j;
        } else if (j > i) {
            for (size_t k = i; k < j && o + 1 < outlen; k++) out[o++] = in[k];
            i = j;
        } else {
            char c = in[i++];
            out[o++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
        }
    }
    out[o] = '\0';
}

/* ---- curl plumbing --------------------------------------------------------- */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;
    if (x->resp.len + n > RESPONSE_CAP) {
        x->too_big = 1;
        return 0; /* aborts the transfer */
    }
    gw_buf_append(&x->resp, ptr, n);
    return n;
}

/* A transfer finished (curlloop's callback, on this thread). */
static void on_done(void *arg, CURL *easy, CURLcode result)
{
    struct sender *s = arg;
    struct xfer *x;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    x->result = result;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &x->http);
    curl_easy_cleanup(easy);
    x->easy = NULL;
    s->in_flight--;
    x->cs->in_flight--;
    if (!x->bulk) x->cs->urgent--;
    x->next = s->done;
    s->done = x;
    event_active(s->wake, EV_READ, 0);
}

/* ---- recording results ---------------------------------------------------------- */

static void record(struct sender *s, struct xfer *x, int64_t now)
{
    const struct gw_channel *ch = x->cs->ch;
    char msg_id[160] = "", err[256] = "";
    int opted_out = 0;
    int rc;
    long http = x->result == CURLE_OK ? x->http : 0;
    if (x->too_big || x->result != CURLE_OK) {
        /* no whole answer to read: the classification's transport row */
        if (x->too_big)
            gw_err(err, sizeof err, "answer over %d bytes", RESPONSE_CAP);
        else
            gw_err(err, sizeof err, "no answer: %s", curl_easy_strerror(x->result));
        rc = prov_classify(http, 1, PROV_V_NONE, msg_id, sizeof msg_id, &opted_out, err, sizeof err);
    } else {
        rc = ch->ops->parse_send(ch, http, gw_buf_cstr(&x->resp), x->resp.len, msg_id, sizeof msg_id, &opted_out, err,
                                 sizeof err);
    }
    const char *status, *result;
    int64_t next = 0;
    char final_err[300];
    gw_strlcpy(final_err, err, sizeof final_err);
    if (rc == PROV_SEND_OK) {
        status = "sent";
        result = "ok";
    } else if (rc == PROV_SEND_RETRY && x->attempt < s->cfg->sender.max_attempts &&
               now - x->created_at < s->cfg->sender.max_age) {
        status = "queued";
        result = "retry";
        double jitter = 0.5 + (double)rand_r(&s->seed) / ((double)RAND_MAX + 1.0);
        next = now + sender_backoff(&s->cfg->sender, x->attempt, jitter);
    } else {
        status = "failed";
        result = "failed";
        if (rc == PROV_SEND_RETRY)
            snprintf(final_err, sizeof final_err, "gave up after %d attempts: %s", x->attempt, err);
    }
    char masked[GW_MASK_LEN], answer[200];
    redact(gw_buf_cstr(&x->resp), x->resp.len < 160 ? x->resp.len : 160, answer, sizeof answer);
    gw_info("send outbox=%lld channel=%s to=%s attempt=%d http=%ld result=%s%s%s%s%s answer=\"%s\"", (long long)x->id,
            ch->name, gw_mask_phone(x->recipient, masked), x->attempt, http, result, msg_id[0] ? " id=" : "", msg_id,
            final_err[0] ? " error=" : "", final_err, answer);
    if (store_outbox_finish(s->st, x->id, status, msg_id[0] ? msg_id : NULL, final_err[0] ? final_err : NULL, next,
                            now) != 0 ||
        store_send_attempt(s->st, x->id, x->attempt, ch->name, http, result, msg_id[0] ? msg_id : NULL,
                           err[0] ? err : NULL, now) != 0)
        gw_error("recording send of outbox %lld: %s", (long long)x->id, store_errmsg(s->st));
    if (opted_out && db_optout_set(s->st, x->recipient, ch->name, now) != 0)
        gw_error("recording opt-out: %s", store_errmsg(s->st));
    metrics_send(s->metrics, ch->name, result);
}

static void xfer_free(struct xfer *x)
{
    if (x->easy) curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    prov_http_free(&x->req);
    gw_buf_free(&x->resp);
    free(x);
}

/* ---- starting sends ---------------------------------------------------------------- */

static int loopback_url(const char *url)
{
    return !strncmp(url, "http://127.", 11) || !strncmp(url, "http://localhost", 16) ||
           !strncmp(url, "http://[::1]", 12);
}

static struct chan_state *chan_for(struct sender *s, const struct gw_channel *ch)
{
    for (size_t i = 0; i < s->cfg->nchannels; i++)
        if (s->chans[i].ch == ch) return &s->chans[i];
    return NULL;
}

static void refill(struct chan_state *cs)
{
    double now = gw_clock_mono();
    cs->tokens += (now - cs->last) * cs->ch->tps;
    if (cs->tokens > cs->ch->tps) cs->tokens = cs->ch->tps;
    cs->last = now;
}

static int take_token(struct chan_state *cs)
{
    refill(cs);
    if (cs->tokens < 1) return 0;
    cs->tokens -= 1;
    return 1;
}

/* 1 when the channel can start a broadcast row now: none of its other
 * sends on the wire and a bulk token (refilled here). */
static int can_take_bulk(struct chan_state *cs)
{
    double now = gw_clock_mono(), cap = cs->brate < 1 ? 1 : cs->brate;
    cs->btok += (now - cs->blast) * cs->brate;
    if (cs->btok > cap) cs->btok = cap;
    cs->blast = now;
    return cs->urgent == 0 && cs->btok >= 1;
}

/* 1 when the channel can start a send now: a free slot and a rate token. */
static int can_take(struct chan_state *cs)
{
    if (cs->in_flight >= cs->cap) {
        if (!cs->full)
            gw_warn("channel %s: %d sends on the wire, its max_in_flight: its messages wait, other channels go on",
                    cs->ch->name, cs->in_flight);
        cs->full = 1;
        return 0;
    }
    cs->full = 0;
    refill(cs);
    return cs->tokens >= 1;
}

/* Builds the request for a claimed row; returns the transfer, or NULL with
 * err when this channel cannot send it (a permanent failure). */
static struct xfer *build(struct sender *s, const struct store_send *r, struct chan_state *cs, char *err, size_t errlen)
{
    const struct gw_channel *ch = cs->ch;
    const struct gw_template *t = gw_config_template(s->cfg, r->tmpl);
    const struct tmpl_def *def = tmpl_find(r->tmpl);
    const char *code = NULL;
    if (ch->ops->template_only) code = prov_template_code(ch->ops, t);
    unsigned char rnd[16];
    char nonce[33];
    if (RAND_bytes(rnd, sizeof rnd) != 1) memset(rnd, 0, sizeof rnd);
    gw_hex(rnd, sizeof rnd, nonce);
    char status_url[512];
    snprintf(status_url, sizeof status_url, "%s/hooks/%s/status?ref=%lld", s->cfg->public_url, ch->name,
             (long long)r->id);
    struct prov_outbound m = {
        .outbox_id = r->id,
        .to = r->recipient,
        .text = r->body,
        .tmpl = r->tmpl,
        .tmpl_code = code,
        .tmpl_vars = def ? def->vars : "",
        .vars_json = r->vars_json ? r->vars_json : "{}",
        .status_url = status_url,
        .now = gw_clock_now(),
        .nonce = nonce,
    };
    struct xfer *x = gw_calloc(1, sizeof *x);
    x->s = s;
    x->id = r->id;
    x->attempt = r->attempts + 1;
    x->created_at = r->created_at;
    x->cs = cs;
    x->bulk = r->kind && !strcmp(r->kind, "broadcast");
    gw_strlcpy(x->recipient, r->recipient, sizeof x->recipient);
    gw_strlcpy(x->kind, r->kind ? r->kind : "", sizeof x->kind);
    if (ch->ops->build_send(ch, &m, &x->req, err, errlen) != PROV_OK) {
        xfer_free(x);
        return NULL;
    }
    if (!x->req.url || (strncmp(x->req.url, "https://", 8) != 0 && !loopback_url(x->req.url))) {
        gw_err(err, errlen, "refusing a send URL that is not https");
        xfer_free(x);
        return NULL;
    }
    return x;
}

static void start(struct sender *s, struct xfer *x)
{
    CURL *e = curl_easy_init();
    x->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, x->req.url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, loopback_url(x->req.url) ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)s->cfg->sender.timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)(s->cfg->sender.timeout < 10 ? s->cfg->sender.timeout : 10));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->req.method ? x->req.method : "POST");
    if (x->req.userpwd) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, x->req.userpwd);
    }
    const char *h = gw_buf_cstr(&x->req.headers);
    while (*h) {
        const char *nl = strchr(h, '\n');
        size_t n = nl ? (size_t)(nl - h) : strlen(h);
        if (n) {
            char *line = gw_strndup(h, n);
            x->headers = curl_slist_append(x->headers, line);
            free(line);
        }
        h += n + (nl ? 1 : 0);
    }
    x->headers = curl_slist_append(x->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, gw_buf_cstr(&x->req.body));
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req.body.len);
    s->in_flight++;
    if (curlloop_add(s->loop, e) != 0) {
        /* Never started: finish it now as a transfer that got no answer. */
        on_done(s, e, CURLE_FAILED_INIT);
    }
}

/* Reads up to limit due rows, leaving out the channels that can take no
 * send now, and claims what it can onto *ready (inside pump's
 * transaction). A row whose channel is full or over its rate stays queued
 * and is counted in *aside; *claimed gets the rows claimed. Returns the
 * rows read, or -1. */
static int claim_batch(struct sender *s, int64_t now, int limit, struct xfer **ready, int *claimed, int *aside)
{
    size_t nbusy = 0, nbulk = 0;
    for (size_t i = 0; i < s->cfg->nchannels; i++) {
        if (!can_take(&s->chans[i])) s->busy[nbusy++] = s->chans[i].ch->name;
        if (!can_take_bulk(&s->chans[i])) s->bulk[nbulk++] = s->chans[i].ch->name;
    }
    struct store_send *rows = NULL;
    size_t n = 0;
    if (store_outbox_due_open(s->st, now, limit, s->busy, nbusy, s->bulk, nbulk, &rows, &n) != 0) {
        gw_error("sender: %s", store_errmsg(s->st));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct store_send *r = &rows[i];
        const struct gw_channel *ch = sender_route(s->cfg, r->channel, r->recipient);
        char err[200] = "";
        if (!ch) {
            store_outbox_finish(s->st, r->id, "failed", NULL, "no channel can send to this number", 0, now);
            continue;
        }
        int bulk = r->kind && !strcmp(r->kind, "broadcast");
        if (r->kind && (bulk || !strcmp(r->kind, "reminder")) && db_optout_check(s->st, r->recipient) == 1) {
            store_outbox_finish(s->st, r->id, "suppressed", NULL,
                                bulk ? "recipient opted out" : "recipient opted out of reminders", 0, now);
            continue;
        }
        struct chan_state *cs = chan_for(s, ch);
        if (cs->in_flight >= cs->cap || (bulk && !can_take_bulk(cs)) || !take_token(cs)) {
            /* Full or over its rate: the row stays queued, named after the
             * channel it waits for so the next reads leave it out. */
            if ((!r->channel || strcmp(r->channel, ch->name)) && store_outbox_assign(s->st, r->id, ch->name) != 0)
                gw_error("sender: %s", store_errmsg(s->st));
            (*aside)++;
            continue;
        }
        if (store_outbox_claim(s->st, r->id, ch->name, now) != 0) continue;
        struct xfer *x = build(s, r, cs, err, sizeof err);
        if (!x) {
            char masked[GW_MASK_LEN];
            gw_warn("send outbox=%lld channel=%s to=%s failed: %s", (long long)r->id, ch->name,
                    gw_mask_phone(r->recipient, masked), err);
            store_outbox_finish(s->st, r->id, "failed", NULL, err, 0, now);
            store_send_attempt(s->st, r->id, r->attempts + 1, ch->name, 0, "failed", NULL, err, now);
            metrics_send(s->metrics, ch->name, "failed");
            continue;
        }
        cs->in_flight++; /* its slot is taken from the claim on */
        if (bulk)
            cs->btok -= 1;
        else
            cs->urgent++;
        (*claimed)++;
        x->next = *ready;
        *ready = x;
    }
    store_sends_free(rows, n);
    return (int)n;
}

/* One round: record finished sends, claim what is due, start it. */
static void pump(struct sender *s)
{
    pthread_mutex_lock(&s->lock);
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->lock);
    int64_t now = gw_clock_now();
    struct xfer *finished = s->done;
    s->done = NULL;
    struct xfer *ready = NULL;
    int room = s->cfg->sender.max_in_flight - s->in_flight;
    if (!stopping && gw_store_recover_due(s->cfg, &s->recovered_at)) {
        int64_t back = 0;
        if (store_outbox_recover(s->st, &back) != 0)
            gw_error("sender: %s", store_errmsg(s->st));
        else if (back)
            gw_warn("sender: %lld messages another gateway had in flight when it stopped: sending them again",
                    (long long)back);
    }
    if (!finished && (stopping || room <= 0)) return;

    if (store_begin(s->st) != 0) {
        gw_error("sender: %s", store_errmsg(s->st));
        s->done = finished; /* try again next round */
        return;
    }
    for (struct xfer *x = finished; x; x = x->next) record(s, x, now);
    if (now - s->swept_at >= 3600) {
        /* A receipt for an id no send ever returned within a day is noise. */
        if (store_receipts_expire(s->st, now - 86400) != 0) gw_error("sender: %s", store_errmsg(s->st));
        s->swept_at = now;
    }
    /* A full batch that set rows aside is followed by another read, which
     * leaves those rows out: the rows behind them go in this round. */
    int claimed = 0;
    for (int reads = 0; !stopping && claimed < room && reads < MAX_READS; reads++) {
        int got = 0, aside = 0, limit = room - claimed;
        int n = claim_batch(s, now, limit, &ready, &got, &aside);
        claimed += got;
        if (n < limit || !aside) break;
    }
    if (store_commit(s->st) != 0) {
        /* Nothing claimed is on the wire yet: drop it, the rows stay queued. */
        gw_error("sender commit: %s", store_errmsg(s->st));
        store_rollback(s->st);
        while (ready) {
            struct xfer *x = ready;
            ready = x->next;
            x->cs->in_flight--;
            if (!x->bulk) x->cs->urgent--;
            xfer_free(x);
        }
        s->done = finished;
        return;
    }
    while (finished) {
        struct xfer *x = finished;
        finished = x->next;
        xfer_free(x);
    }
    while (ready) {
        struct xfer *x = ready;
        ready = x->next;
        start(s, x);
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct sender *s = arg;
    pump(s);
    pthread_mutex_lock(&s->lock);
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->lock);
    if (stopping && s->in_flight == 0 && !s->done) event_base_loopbreak(s->base);
}

static void *run(void *arg)
{
    struct sender *s = arg;
    event_base_dispatch(s->base);
    return NULL;
}

int sender_start(const struct gw_config *cfg, struct metrics *m, struct sender **out, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, (void (*)(void))evthread_use_pthreads);
    struct sender *s = gw_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->metrics = m;
    s->seed = (unsigned)gw_clock_now() ^ (unsigned)(uintptr_t)s;
    pthread_mutex_init(&s->lock, NULL);
    if (gw_store_open_relaxed(cfg, &s->st, err, errlen) != 0) goto fail;
    s->recovered_at = gw_clock_mono();
    int64_t recovered = 0;
    if (store_outbox_recover(s->st, &recovered) != 0) {
        gw_err(err, errlen, "sender: %s", store_errmsg(s->st));
        goto fail;
    }
    if (recovered)
        gw_warn("sender: %lld messages were in flight at the last stop; sending them again", (long long)recovered);
    s->chans = gw_calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof *s->chans);
    int senders = 0;
    for (size_t i = 0; i < cfg->nchannels; i++) {
        if (can_send(&cfg->channels[i]))
            senders++;
        else
            gw_warn("channel %s cannot send (%s): replies for it go by route or default", cfg->channels[i].name,
                    cfg->channels[i].ops->build_send ? "no url set" : "its provider has no send API");
        s->chans[i].ch = &cfg->channels[i];
        s->chans[i].tokens = cfg->channels[i].tps;
        s->chans[i].last = gw_clock_mono();
        s->chans[i].cap = sender_channel_cap(cfg, &cfg->channels[i]);
        double half = cfg->channels[i].tps / 2.0;
        s->chans[i].brate = cfg->broadcast.tps < half ? cfg->broadcast.tps : half;
        s->chans[i].btok = s->chans[i].brate < 1 ? 1 : s->chans[i].brate;
        s->chans[i].blast = s->chans[i].last;
    }
    s->busy = gw_calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof *s->busy);
    s->bulk = gw_calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof *s->bulk);
    if (!senders) gw_warn("no channel can send: replies and alerts stay in the outbox as failed");
    s->base = event_base_new();
    s->loop = s->base ? curlloop_new(s->base, on_done, s) : NULL;
    if (!s->base || !s->loop) {
        gw_err(err, errlen, "sender: cannot create the event loop");
        goto fail;
    }
    s->wake = event_new(s->base, -1, EV_PERSIST | EV_READ, on_wake, s);
    s->tick = event_new(s->base, -1, EV_PERSIST, on_wake, s);
    struct timeval tv = {0, TICK_MS * 1000};
    event_add(s->wake, NULL);
    event_add(s->tick, &tv);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        gw_err(err, errlen, "sender: cannot start its thread");
        goto fail;
    }
    pthread_setname_np(s->thread, "gw-sender");
    *out = s;
    return 0;
fail:
    if (s->wake) event_free(s->wake);
    if (s->tick) event_free(s->tick);
    curlloop_free(s->loop);
    if (s->base) event_base_free(s->base);
    store_close(s->st);
    free(s->chans);
    free(s->busy);
    free(s->bulk);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return -1;
}

void sender_wake(void *arg)
{
    struct sender *s = arg;
    if (s) event_active(s->wake, EV_READ, 0);
}

void sender_stop(struct sender *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->lock);
    event_active(s->wake, EV_READ, 0);
    pthread_join(s->thread, NULL);
    event_free(s->wake);
    event_free(s->tick);
    curlloop_free(s->loop);
    event_base_free(s->base);
    store_close(s->st);
    free(s->chans);
    free(s->busy);
    free(s->bulk);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
