/* handlers/handler.h - the domain entry point: one inbound message in, its
 * effects written through the store, its replies out.
 *
 * handlers_run is pure domain logic over an open transaction: it reads and
 * writes only through the store port (core/store.h), never touches HTTP, curl or SQL text, and
 * returns the replies as template names plus variables. The caller (the
 * pipeline) renders them and writes them as outbox rows in the same
 * transaction.
 */
#ifndef HANDLER_H
#define HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/config.h"
#include "../core/store.h"
#include "codebook.h"

#define H_MAX_REPLIES 16
#define H_MAX_VARS    8

struct h_var {
    const char *name; /* static variable name, e.g. "code" */
    char value[96];   /* UTF-8 value; never a child's name, a category name or a reporter's identity */
};

enum h_kind { H_REPLY = 0, H_ALERT, H_NOTICE, H_REMINDER };

struct h_reply {
    const char *tmpl;   /* template name (static string) */
    char to[24];        /* recipient, E.164 */
    enum h_kind kind;   /* reply to the sender, alert, notice to staff, reminder */
    int64_t case_id;    /* related case or 0 */
    char dedupe[96];    /* "" or a key: a second row with the same key is never written
                           (one reminder per child per period, one re-alert per deadline) */
    int64_t not_before; /* 0, or unix seconds before which it must not be sent (working hours) */
    struct h_var vars[H_MAX_VARS];
    int nvars;
};

/* The message as the handlers see it. */
struct h_msg {
    int64_t inbox_id;    /* the stored inbox row */
    const char *channel; /* channel it came in on */
    const char *from;    /* sender, E.164 */
    const char *text;    /* raw UTF-8 text */
    size_t len;
    int64_t now;                 /* unix seconds: the message's receipt time */
    const struct cb_cmd *parsed; /* cb_parse(text, len, now) done already (borrowed), or NULL */
};

struct h_result {
    enum cb_intent intent;
    const char *result; /* "ok" | "refused" | "invalid" | "unknown" (static) */
    char detail[128];   /* short machine-readable reason, stored on the inbox row */
    struct h_reply replies[H_MAX_REPLIES];
    int nreplies;
};

struct h_env {
    struct store *st; /* open, inside a transaction */
    const struct gw_policy *pol;
};

/* A growable list of replies, for jobs that write many (reminders). */
struct h_replies {
    struct h_reply *v; /* owned */
    size_t n, cap;
};
/* Appends a zeroed reply with tmpl, to and kind; never NULL. */
struct h_reply *h_replies_add(struct h_replies *l, const char *tmpl, const char *to, enum h_kind kind);
void h_replies_free(struct h_replies *l);

/* Parses m, applies its effect, fills *out. Returns 0 (including refusals
 * and invalid input, which are replies, not errors) or -1 when the store
 * failed (err says why); the caller then rolls the message's effects back
 * and keeps only its inbox row. */
int handlers_run(const struct h_env *env, const struct h_msg *m, struct h_result *out, char *err, size_t errlen);

/* After handlers_run failed and the message's effects were undone: what it
 * still gets, in the same transaction. A report, or free text that could be
 * one, becomes an unclassified case in the triage queue (event detail
 * "handler_error") and its sender gets the case number; anything else gets
 * the reply "handling_failed". out->result is "error". Returns 0, or -1
 * when the store failed here too (the caller undoes this as well and falls
 * back to handlers_failed_reply). */
int handlers_failed(const struct h_env *env, const struct h_msg *m, enum cb_intent intent, struct h_result *out);
/* The last resort: only the "handling_failed" reply, touching no store. */
int handlers_failed_reply(const struct h_msg *m, enum cb_intent intent, struct h_result *out);

/* Empties *out: no intent, result, detail or replies. Every result is
 * started with it. The reply slots (16 KiB) are left as they are: only the
 * first nreplies are ever read, and h_reply_add clears each as it hands it
 * out. */
void h_result_init(struct h_result *out);

/* Helper for handlers: appends a reply; silently ignores beyond H_MAX_REPLIES.
 * Variables are added with h_var_set. Returns the reply or NULL when full. */
struct h_reply *h_reply_add(struct h_result *out, const char *tmpl, const char *to, enum h_kind kind);
void h_var_set(struct h_reply *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
