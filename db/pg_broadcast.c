/* db/pg_broadcast.c - PostgreSQL implementation of store_broadcast.h:
 * broadcasts (table broadcast), their audiences read from the roster, and
 * their outbox rows (outbox.broadcast_id).
 *
 * Runs on the thread that owns the store (a CLI command), inside the
 * caller's transaction. Statements are static strings prepared once
 * through pg_run; values travel only as parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* The columns every read selects, in the order read_row reads them. */
#define BC_COLS                                                                                                        \
    "b.id, b.template, b.vars, b.audience, b.status, b.created_by, coalesce(c.name, ''), b.created_at, "               \
    "coalesce(b.approved_by, 0), coalesce(a.name, ''), coalesce(b.approved_at, 0), coalesce(b.cancelled_at, 0), "      \
    "coalesce(b.recipients, -1), coalesce(b.opted_out, -1) "                                                           \
    "FROM broadcast b LEFT JOIN staff c ON c.id = b.created_by LEFT JOIN staff a ON a.id = b.approved_by "

/* Copies row i of a BC_COLS result into out. */
static void read_row(const PGresult *r, int i, struct store_broadcast *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_int(r, i, 0);
    pg_text(r, i, 1, out->tmpl, sizeof out->tmpl);
    pg_text(r, i, 2, out->vars_json, sizeof out->vars_json);
    pg_text(r, i, 3, out->audience, sizeof out->audience);
    pg_text(r, i, 4, out->status, sizeof out->status);
    out->created_by = pg_int(r, i, 5);
    pg_text(r, i, 6, out->created_name, sizeof out->created_name);
    out->created_at = pg_int(r, i, 7);
    out->approved_by = pg_int(r, i, 8);
    pg_text(r, i, 9, out->approved_name, sizeof out->approved_name);
    out->approved_at = pg_int(r, i, 10);
    out->cancelled_at = pg_int(r, i, 11);
    out->recipients = pg_int(r, i, 12);
    out->opted_out = pg_int(r, i, 13);
}

/* The number of rows the command r changed. */
static long changed(PGresult *r) { return atol(PQcmdTuples(r)); }

/* Adds a pending broadcast created by staff created_by at now: 0 with *id
 * (may be NULL), -1. */
int pg_store_broadcast_insert(struct store *st, const char *tmpl, const char *vars_json, const char *audience,
                              int64_t created_by, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, tmpl);
    pg_arg_text(&a, vars_json ? vars_json : "{}");
    pg_arg_text(&a, audience);
    pg_arg_int(&a, created_by);
    pg_arg_int(&a, now);
    PGresult *r = pg_run(st,
                         "INSERT INTO broadcast(template, vars, audience, status, created_by, created_at) "
                         "VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id",
                         &a);
    if (!r) return -1;
    if (id) *id = pg_int(r, 0, 0);
    PQclear(r);
    return 0;
}

/* Broadcast id into *out: 0, 1 when there is none, -1. */
int pg_store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    PGresult *r = pg_run(st, "SELECT " BC_COLS "WHERE b.id = $1", &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) read_row(r, 0, out);
    PQclear(r);
    return found ? 0 : 1;
}

/* Calls fn for every broadcast, newest first: 0, fn's non-zero value, -1. */
int pg_store_broadcasts_each(struct store *st, int (*fn)(void *arg, const struct store_broadcast *b), void *arg)
{
    PGresult *r = pg_run(st, "SELECT " BC_COLS "ORDER BY b.id DESC", NULL);
    if (!r) return -1;
    struct store_broadcast b;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        read_row(r, i, &b);
        stop = fn(arg, &b);
    }
    PQclear(r);
    return stop;
}

/* Marks a pending broadcast approved with its counts: 0, 1 when it was not
 * pending, -1. */
int pg_store_broadcast_approve(struct store *st, int64_t id, int64_t approved_by, int64_t recipients, int64_t opted_out,
                               int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    pg_arg_int(&a, approved_by);
    pg_arg_int(&a, now);
    pg_arg_int(&a, recipients);
    pg_arg_int(&a, opted_out);
    PGresult *r = pg_run(st,
                         "UPDATE broadcast SET status = 'approved', approved_by = $2, approved_at = $3, "
                         "recipients = $4, opted_out = $5 WHERE id = $1 AND status = 'pending'",
                         &a);
    if (!r) return -1;
    int rc = changed(r) > 0 ? 0 : 1;
    PQclear(r);
    return rc;
}

/* Cancels a pending or approved broadcast and fails its rows still queued:
 * 0 with *unsent (may be NULL), 1 when it was not pending or approved, -1. */
int pg_store_broadcast_cancel(struct store *st, int64_t id, int64_t now, int64_t *unsent)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    pg_arg_int(&a, now);
    PGresult *r = pg_run(st,
                         "UPDATE broadcast SET status = 'cancelled', cancelled_at = $2 "
                         "WHERE id = $1 AND status IN ('pending','approved')",
                         &a);
    if (!r) return -1;
    int rc = changed(r) > 0 ? 0 : 1;
    PQclear(r);
    if (rc != 0) return rc;
    r = pg_run(st,
               "UPDATE outbox SET status = 'failed', last_error = 'broadcast cancelled', updated_at = $2, "
               "done_at = $2 WHERE broadcast_id = $1 AND status = 'queued'",
               &a);
    if (!r) return -1;
    if (unsent) *unsent = changed(r);
    PQclear(r);
    return 0;
}

/* R lies at or under the region whose path is $1. */
#define UNDER_PATH " (R.path = $1 OR substr(R.path, 1, length($1::text) + 1) = $1::text || '/')"

/* Calls fn with every phone of the audience under `under`, each once, in
 * phone order (bytes, as SQLite sorts): 0, fn's non-zero value, -1. */
int pg_store_audience_each(struct store *st, enum store_audience who, const char *category, const char *under,
                           int (*fn)(void *arg, const char *phone), void *arg)
{
    struct pg_args a = {0};
    pg_arg_text(&a, under);
    PGresult *r;
    if (who == STORE_AUD_DIRECTORS)
        r = pg_run(st,
                   "SELECT DISTINCT S.phone COLLATE \"C\" FROM staff S JOIN region R ON R.id = S.region_id "
                   "WHERE S.role = 'director' AND" UNDER_PATH " ORDER BY 1",
                   &a);
    else if (who == STORE_AUD_AWAY)
        r = pg_run(
            st,
            "SELECT DISTINCT G.phone COLLATE \"C\" FROM guardian G JOIN guardian_child L ON L.guardian_id = G.id "
            "JOIN child K ON K.id = L.child_id JOIN region R ON R.id = K.region_id "
            "WHERE L.away = 1 AND" UNDER_PATH " ORDER BY 1",
            &a);
    else {
        pg_arg_text(&a, category ? category : "");
        r = pg_run(
            st,
            "SELECT DISTINCT G.phone COLLATE \"C\" FROM guardian G JOIN guardian_child L ON L.guardian_id = G.id "
            "JOIN child K ON K.id = L.child_id JOIN region R ON R.id = K.region_id "
            "WHERE strpos('|' || K.categories || '|', '|' || $2 || '|') > 0 AND" UNDER_PATH " ORDER BY 1",
            &a);
    }
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) stop = fn(arg, PQgetvalue(r, i, 0));
    PQclear(r);
    return stop;
}

/* Queues one outbox row of a broadcast: 0 with *id, 1 when its dedupe key
 * exists already (*id = that row), -1. */
int pg_store_broadcast_queue(struct store *st, const struct store_broadcast_msg *m, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, m->recipient);
    pg_arg_text(&a, m->tmpl);
    pg_arg_text(&a, m->vars_json ? m->vars_json : "{}");
    pg_arg_text(&a, m->body);
    pg_arg_text(&a, m->kind);
    pg_arg_int(&a, m->priority);
    pg_arg_text(&a, m->dedupe_key);
    pg_arg_int(&a, m->broadcast_id);
    pg_arg_int(&a, now);
    PGresult *r = pg_run(st,
                         "INSERT INTO outbox(recipient, template, vars, body, kind, priority, dedupe_key, "
                         "broadcast_id, created_at, updated_at, next_attempt_at) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 0) "
                         "ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id",
                         &a);
    if (!r) return -1;
    int inserted = PQntuples(r) == 1;
    if (inserted && id) *id = pg_int(r, 0, 0);
    PQclear(r);
    if (inserted) return 0;
    struct pg_args k = {0};
    pg_arg_text(&k, m->dedupe_key);
    r = pg_run(st, "SELECT id FROM outbox WHERE dedupe_key = $1", &k);
    if (!r) return -1;
    int found = PQntuples(r) == 1;
    if (found && id) *id = pg_int(r, 0, 0);
    PQclear(r);
    return found ? 1 : -1;
}

/* Counts broadcast id's outbox rows by state: 0, -1. */
int pg_store_broadcast_progress(struct store *st, int64_t id, struct store_broadcast_progress *out)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    PGresult *r = pg_run(st,
                         "SELECT count(*) FILTER (WHERE status IN ('queued','sending')), "
                         "count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'delivered'), "
                         "count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'suppressed') "
                         "FROM outbox WHERE broadcast_id = $1",
                         &a);
    if (!r) return -1;
    int ok = PQntuples(r) == 1;
    if (ok) {
        out->queued = pg_int(r, 0, 0);
        out->sent = pg_int(r, 0, 1);
        out->delivered = pg_int(r, 0, 2);
        out->failed = pg_int(r, 0, 3);
        out->suppressed = pg_int(r, 0, 4);
    }
    PQclear(r);
    return ok ? 0 : -1;
}
