/* db/pg_io.c - PostgreSQL implementation of the store's inbox and of
 * queueing outbound messages (core/store.h): the operations the SQLite
 * backend keeps beside its core.
 *
 * Several gateway processes may share the database: an inbound message a
 * provider retries may reach another process, and the unique key (channel,
 * provider_id) stores it once. An insert that meets the key answers
 * "duplicate" through ON CONFLICT DO NOTHING, which never aborts the
 * caller's transaction (a failed statement would).
 */
#include <stdlib.h>

#include "pg_int.h"

/* ---- inbox --------------------------------------------------------------- */

/* Stores m with its normalised text. Returns 0 and the new row's *id, 1
 * and the stored row's *id when (channel, provider_id) is there already (a
 * provider's retry, through this process or another), -1 on error. An
 * insert racing another process's uncommitted one waits for it: it commits
 * (then this is the duplicate) or rolls back (then this one is stored). */
int pg_store_inbox_insert(struct store *st, const struct gw_msg *m, const char *norm_text, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, m->channel);
    pg_arg_text(&a, m->provider_id);
    pg_arg_text(&a, m->from);
    pg_arg_text(&a, m->to);
    pg_arg_text(&a, m->text ? m->text : "");
    pg_arg_text(&a, norm_text ? norm_text : "");
    pg_arg_int(&a, m->received_at);
    pg_arg_int(&a, now);
    PGresult *r = pg_run(st,
                         "INSERT INTO inbox(channel, provider_id, sender, recipient, raw_text, norm_text, "
                         "received_at, stored_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
                         "ON CONFLICT (channel, provider_id) DO NOTHING RETURNING id",
                         &a);
    if (!r) return -1;
    int stored = PQntuples(r) == 1;
    if (stored) *id = pg_int(r, 0, 0);
    PQclear(r);
    if (stored) return 0;
    struct pg_args k = {0};
    pg_arg_text(&k, m->channel);
    pg_arg_text(&k, m->provider_id);
    r = pg_run(st, "SELECT id FROM inbox WHERE channel = $1 AND provider_id = $2", &k);
    if (!r) return -1;
    int found = PQntuples(r) == 1;
    if (found) *id = pg_int(r, 0, 0);
    PQclear(r);
    return found ? 1 : -1;
}

/* Records what the pipeline made of inbox row id (detail "" is NULL).
 * 0 or -1. */
int pg_store_inbox_set_result(struct store *st, int64_t id, const char *intent, const char *result, const char *detail)
{
    struct pg_args a = {0};
    pg_arg_text(&a, intent);
    pg_arg_text(&a, result);
    pg_arg_text(&a, detail && *detail ? detail : NULL);
    pg_arg_int(&a, id);
    return pg_run_done(st, "UPDATE inbox SET intent = $1, result = $2, detail = $3 WHERE id = $4", &a);
}

/* The number of inbox rows, or -1. */
int64_t pg_store_inbox_count(struct store *st)
{
    PGresult *r = pg_run(st, "SELECT count(*) FROM inbox", NULL);
    if (!r) return -1;
    int64_t n = PQntuples(r) == 1 ? pg_int(r, 0, 0) : -1;
    PQclear(r);
    return n;
}

/* ---- outbox -------------------------------------------------------------- */

/* Queues r. Returns 0 and the new row's *id (id may be NULL), 1 and the
 * queued row's *id when a row with r's dedupe key is there already, -1 on
 * error. A NULL dedupe key never meets another. */
int pg_store_outbox_insert(struct store *st, const struct store_outbox_row *r, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, r->channel);
    pg_arg_text(&a, r->recipient);
    pg_arg_text(&a, r->tmpl);
    pg_arg_text(&a, r->vars_json ? r->vars_json : "{}");
    pg_arg_text(&a, r->body);
    pg_arg_text(&a, r->kind);
    pg_arg_int(&a, r->priority);
    pg_arg_int_or_null(&a, r->inbox_id);
    pg_arg_int_or_null(&a, r->case_id);
    pg_arg_text(&a, r->dedupe_key);
    pg_arg_int(&a, now);
    pg_arg_int(&a, now);
    pg_arg_int(&a, r->not_before > 0 ? r->not_before : 0);
    PGresult *res = pg_run(st,
                           "INSERT INTO outbox(channel, recipient, template, vars, body, kind, priority, inbox_id, "
                           "case_id, dedupe_key, created_at, updated_at, next_attempt_at) "
                           "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) "
                           "ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id",
                           &a);
    if (!res) return -1;
    int stored = PQntuples(res) == 1;
    if (stored && id) *id = pg_int(res, 0, 0);
    PQclear(res);
    if (stored) return 0;
    struct pg_args k = {0};
    pg_arg_text(&k, r->dedupe_key);
    res = pg_run(st, "SELECT id FROM outbox WHERE dedupe_key = $1", &k);
    if (!res) return -1;
    int found = PQntuples(res) == 1;
    if (found && id) *id = pg_int(res, 0, 0);
    PQclear(res);
    return found ? 1 : -1;
}

/* The newest outbox row's id, 0 when none, -1. */
int64_t pg_store_outbox_last_id(struct store *st)
{
    PGresult *r = pg_run(st, "SELECT coalesce(max(id), 0) FROM outbox", NULL);
    if (!r) return -1;
    int64_t id = pg_int(r, 0, 0);
    PQclear(r);
    return id;
}

/* Calls fn with each (recipient, body) queued in answer to inbox row
 * inbox_id after row after_id, in the order queued, until fn returns
 * non-zero. 0 or -1. */
int pg_store_outbox_for_inbox(struct store *st, int64_t inbox_id, int64_t after_id,
                              int (*fn)(void *arg, const char *recipient, const char *body), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, after_id);
    pg_arg_int(&a, inbox_id);
    PGresult *r = pg_run(st, "SELECT recipient, body FROM outbox WHERE id > $1 AND inbox_id = $2 ORDER BY id", &a);
    if (!r) return -1;
    for (int i = 0; i < PQntuples(r); i++)
        if (fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1))) break;
    PQclear(r);
    return 0;
}
