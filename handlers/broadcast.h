/* handlers/broadcast.h - broadcasts: one template sent to a group of
 * people (all directors of a town, the away parents of a county, the
 * guardians of children in a category), created by one staff member and
 * approved by a second.
 *
 * The rules:
 *  - an audience is "directors:<region path>" (directors registered at or
 *    under the region), "away_parents:<region path>" (guardians marked
 *    away of children whose village lies at or under it) or
 *    "guardians:<category>:<region path>" (guardians of children with that
 *    category there); the region must exist;
 *  - only a county officer (role county) or an admin creates, approves or
 *    cancels one; a county officer only for an audience at or under their
 *    own region, an admin anywhere;
 *  - the template is one of the built-in broadcast_* templates, given
 *    exactly the variables it declares; a value names no risk category,
 *    no registered child of the audience's county and carries no link, and
 *    the text rendered fits one SMS (70 UCS-2 units);
 *  - approval is by a different person than the creator, once, and only
 *    of a pending broadcast; in the caller's one transaction it resolves
 *    the audience as it is then, leaves out the phones that opted out
 *    (TD: broadcasts respect opt-outs as reminders do), queues one outbox
 *    row per remaining phone (kind "broadcast", BC_PRIORITY, dedupe key
 *    "broadcast:<id>:<phone>", so nothing is queued twice) and records the
 *    counts;
 *  - a cancel stops a pending or approved broadcast; its rows still queued
 *    fail with "broadcast cancelled" (rows already sent stay sent);
 *  - create, approve and cancel each leave an audit row ("broadcast
 *    create" ...) in the same transaction, actor "staff:<id>".
 * Every function runs inside the caller's write transaction; on -1 the
 * caller rolls back. Pacing is the sender's (gateway/sender.c).
 */
#ifndef H_BROADCAST_H
#define H_BROADCAST_H

#include <stdint.h>

#include "../core/config.h"

struct store;

#define BC_PRIORITY 4           /* below alerts 0, replies 1, notices 2 and reminders 3 */
#define BC_KIND     "broadcast" /* outbox.kind of its rows */
#define BC_MAX_VARS 4           /* variables one broadcast gives at most */

/* One variable given to the template. */
struct bc_var {
    const char *name;
    const char *value;
};

/* What an act did, or why it was refused. */
struct bc_outcome {
    int64_t id;      /* the broadcast */
    long recipients; /* create: phones it would reach now; approve: rows queued */
    long opted_out;  /* phones of the audience left out: opted out */
    long unsent;     /* cancel: queued rows that will not go */
    char err[256];   /* when refused (1): why, for the person who asked */
};

/* Creates a pending broadcast of template tmpl with vars[0..nvars) to
 * audience, by the staff member with phone `by` (E.164) from client
 * (e.g. "cli"). Returns 0 (out: id, recipients and opted_out as of now),
 * 1 refused (out->err), -1 on a database error. cfg (may be NULL: the
 * built-in texts) renders the text. */
int bc_create(struct store *st, const struct gw_config *cfg, const char *by, const char *client, const char *tmpl,
              const char *audience, const struct bc_var *vars, int nvars, int64_t now, struct bc_outcome *out);

/* Approves broadcast id by `by` and queues its rows. 0 (out: recipients,
 * opted_out), 1 refused (out->err), -1. */
int bc_approve(struct store *st, const struct gw_config *cfg, int64_t id, const char *by, const char *client,
               int64_t now, struct bc_outcome *out);

/* Cancels broadcast id by `by`. 0 (out->unsent), 1 refused (out->err), -1. */
int bc_cancel(struct store *st, int64_t id, const char *by, const char *client, int64_t now, struct bc_outcome *out);

#endif
