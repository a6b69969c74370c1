/* db/pg_media.c - PostgreSQL implementation of the recordings' queue
 * (store_media.h). Runs on the fetcher's own connection, except
 * store_media_add (the store writer's, inside a voice step's transaction);
 * each call is inside the caller's transaction when it has one.
 *
 * Several gateway processes may fetch from one database: a claim locks its
 * row with FOR UPDATE SKIP LOCKED, so a row another process is claiming is
 * passed over (the claim answers 1, "no longer queued") instead of waited
 * for, and the due list leaves such rows out.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "pg_int.h"

/* A copy of the text at (row, col), NULL for SQL NULL. */
static char *col_dup(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : gw_strdup(PQgetvalue(r, row, col));
}

/* Runs an UPDATE: 0 when it changed exactly one row, 1 otherwise, -1. */
static int changed_one(struct store *st, const char *sql, const struct pg_args *a)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n == 1 ? 0 : 1;
}

int pg_store_media_add(struct store *st, const char *channel, int64_t case_id, int64_t call_row_id, const char *url,
                       long duration, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_int_or_null(&a, case_id);
    pg_arg_int_or_null(&a, call_row_id);
    pg_arg_text(&a, url);
    if (duration >= 0)
        pg_arg_int(&a, duration);
    else
        pg_arg_text(&a, NULL);
    pg_arg_int(&a, now);
    PGresult *r = pg_run(st,
                         "INSERT INTO media(channel, case_id, call_row_id, url, duration, created_at, updated_at) "
                         "SELECT $1::text, $2::bigint, $3::bigint, $4::text, $5::bigint, $6::bigint, $6::bigint "
                         "WHERE NOT EXISTS (SELECT 1 FROM media WHERE channel = $1 AND url = $4) "
                         "ON CONFLICT (channel, url) DO NOTHING RETURNING id",
                         &a);
    if (!r) return -1;
    int added = PQntuples(r) == 1;
    if (added && id) *id = pg_int(r, 0, 0);
    PQclear(r);
    if (added) return 0;
    struct pg_args k = {0};
    pg_arg_text(&k, channel);
    pg_arg_text(&k, url);
    r = pg_run(st, "SELECT id FROM media WHERE channel = $1 AND url = $2", &k);
    if (!r) return -1;
    int found = PQntuples(r) == 1;
    if (found && id) *id = pg_int(r, 0, 0);
    PQclear(r);
    return found ? 1 : -1;
}

/* As pg_store_outbox_recover, for fetches. */
int pg_store_media_recover(struct store *st, int64_t *n)
{
    if (n) *n = 0;
    if (!pg_may_recover(st)) return 0;
    PGresult *r =
        pg_run(st,
               "UPDATE media SET status = 'queued', next_attempt_at = 0, claimed_by = NULL "
               "WHERE status = 'fetching' AND (claimed_by IS NULL OR claimed_by NOT IN (" PG_LIVE_CLAIMANTS "))",
               NULL);
    if (!r) return -1;
    if (n) *n = atoll(PQcmdTuples(r));
    PQclear(r);
    return 0;
}

int pg_store_media_due(struct store *st, int64_t now, int limit, struct store_media **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, limit);
    PGresult *r = pg_run(st,
                         "SELECT m.id, m.channel, m.url, coalesce(m.case_id, 0), c.number, m.attempts, "
                         "m.created_at FROM media m LEFT JOIN cases c ON c.id = m.case_id "
                         "WHERE m.status = 'queued' AND m.next_attempt_at <= $1 ORDER BY m.id LIMIT $2 "
                         "FOR UPDATE OF m SKIP LOCKED",
                         &a);
    if (!r) return -1;
    int count = PQntuples(r);
    if (count > 0) *rows = gw_calloc((size_t)count, sizeof **rows);
    for (int i = 0; i < count; i++) {
        struct store_media *m = &(*rows)[i];
        m->id = pg_int(r, i, 0);
        m->channel = col_dup(r, i, 1);
        m->url = col_dup(r, i, 2);
        m->case_id = pg_int(r, i, 3);
        m->case_number = col_dup(r, i, 4);
        m->attempts = (int)pg_int(r, i, 5);
        m->created_at = pg_int(r, i, 6);
    }
    *n = (size_t)count;
    PQclear(r);
    return 0;
}

int pg_store_media_claim(struct store *st, int64_t id, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    pg_arg_int(&a, pg_of(st)->claimant);
    return changed_one(st,
                       "UPDATE media SET status = 'fetching', attempts = attempts + 1, updated_at = $1, "
                       "claimed_by = $3 WHERE id = (SELECT id FROM media WHERE id = $2 AND status = 'queued' "
                       "FOR UPDATE SKIP LOCKED)",
                       &a);
}

int pg_store_media_fetched(struct store *st, int64_t id, const char *path, const char *sha256, int64_t bytes,
                           const char *content_type, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, path);
    pg_arg_text(&a, sha256);
    pg_arg_int(&a, bytes);
    pg_arg_text(&a, content_type);
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    return changed_one(st,
                       "UPDATE media SET status = 'fetched', path = $1, sha256 = $2, bytes = $3, "
                       "content_type = $4, last_error = NULL, updated_at = $5 "
                       "WHERE id = $6 AND status = 'fetching'",
                       &a);
}

int pg_store_media_failed(struct store *st, int64_t id, int retry, const char *error, int64_t next_attempt_at,
                          int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, retry ? "queued" : "failed");
    pg_arg_text(&a, error);
    pg_arg_int(&a, retry ? next_attempt_at : 0);
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    return pg_run_done(st,
                       "UPDATE media SET status = $1, last_error = $2, next_attempt_at = $3, "
                       "updated_at = $4 WHERE id = $5 AND status = 'fetching'",
                       &a);
}

int pg_store_media_release(struct store *st, int64_t id, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    return pg_run_done(st,
                       "UPDATE media SET status = 'queued', next_attempt_at = 0, "
                       "attempts = GREATEST(attempts - 1, 0), updated_at = $1 "
                       "WHERE id = $2 AND status = 'fetching'",
                       &a);
}

int pg_store_media_case_recipients(struct store *st, int64_t case_id, struct store_media_recipient *out, int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    PGresult *r = pg_run(st,
                         "SELECT recipient, max(CASE WHEN status = 'queued' THEN next_attempt_at "
                         "ELSE 0 END) FROM outbox WHERE case_id = $1 AND template = 'case_alert' "
                         "GROUP BY recipient ORDER BY min(id)",
                         &a);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < max; i++) {
        pg_text(r, i, 0, out[i].phone, sizeof out[i].phone);
        out[i].not_before = pg_int(r, i, 1);
    }
    PQclear(r);
    return n;
}
