/* db/pg_ussd.c - PostgreSQL implementation of store_ussd.h (USSD session
 * rows and the details a USSD report adds to its case after opening it)
 * and of store_voice.h (the voice line's call records).
 *
 * Runs on the store writer's connection inside the caller's transaction
 * (one step per savepoint). Statements are static strings prepared once
 * per connection through pg_run; values travel only as parameters. A USSD
 * session is keyed by (channel, session_id), the provider's session id
 * being unique only within one provider account; a call by (channel,
 * call_id). Sessions and calls are rows, so the next step of either may
 * reach any gateway process sharing the database.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "pg_int.h"

/* Runs an UPDATE: 0 when it changed a row, 1 when none, -1. */
static int changed(struct store *st, const char *sql, const struct pg_args *a)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n > 0 ? 0 : 1;
}

/* ---- USSD ---------------------------------------------------------------- */

int pg_db_ussd_get(struct store *st, const char *channel, const char *session_id, struct db_ussd_session *out)
{
    memset(out, 0, sizeof *out);
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_text(&a, session_id);
    PGresult *r = pg_run(st,
                         "SELECT id, phone, state, last_text, last_screen, last_end, case_id, "
                         "created_at, updated_at FROM ussd_session WHERE channel = $1 AND session_id = $2",
                         &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->phone, sizeof out->phone);
        pg_text(r, 0, 2, out->state, sizeof out->state);
        out->has_last = !pg_null(r, 0, 3);
        pg_text(r, 0, 3, out->last_text, sizeof out->last_text);
        pg_text(r, 0, 4, out->last_screen, sizeof out->last_screen);
        out->last_end = pg_int(r, 0, 5) != 0;
        out->case_id = pg_int(r, 0, 6); /* 0 for NULL */
        out->created_at = pg_int(r, 0, 7);
        out->updated_at = pg_int(r, 0, 8);
    }
    PQclear(r);
    return found ? 0 : 1;
}

int pg_db_ussd_put(struct store *st, const char *channel, const char *session_id, const char *service_code,
                   const struct db_ussd_session *u, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_text(&a, session_id);
    pg_arg_text(&a, u->phone);
    pg_arg_text(&a, service_code);
    pg_arg_text(&a, u->state);
    pg_arg_text(&a, u->has_last ? u->last_text : NULL);
    pg_arg_text(&a, u->last_screen);
    pg_arg_int(&a, u->last_end ? 1 : 0);
    pg_arg_int_or_null(&a, u->case_id);
    pg_arg_int(&a, now);
    return pg_run_done(st,
                       "INSERT INTO ussd_session(channel, session_id, phone, service_code, state, "
                       "last_text, last_screen, last_end, case_id, created_at, updated_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) "
                       "ON CONFLICT (channel, session_id) DO UPDATE SET phone = excluded.phone, "
                       "service_code = excluded.service_code, state = excluded.state, "
                       "last_text = excluded.last_text, last_screen = excluded.last_screen, "
                       "last_end = excluded.last_end, case_id = excluded.case_id, "
                       "updated_at = excluded.updated_at",
                       &a);
}

int pg_db_case_attach_child(struct store *st, int64_t case_id, const struct db_child *child)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child->id);
    pg_arg_int_or_null(&a, child->region.county_id);
    pg_arg_int_or_null(&a, child->region.id);
    pg_arg_int(&a, case_id);
    return changed(st,
                   "UPDATE cases SET child_id = $1, "
                   "region_id = CASE WHEN county_id IS NULL OR county_id = $2::bigint THEN $3::bigint "
                   "ELSE region_id END, "
                   "county_id = coalesce(county_id, $2::bigint) "
                   "WHERE id = $4 AND child_id IS NULL",
                   &a);
}

int pg_db_case_attach_description(struct store *st, int64_t case_id, const char *desc)
{
    struct pg_args a = {0};
    pg_arg_text(&a, desc);
    pg_arg_int(&a, case_id);
    return changed(st, "UPDATE cases SET description = $1 WHERE id = $2 AND description IS NULL", &a);
}

/* ---- voice calls --------------------------------------------------------- */

int pg_db_call_get(struct store *st, const char *channel, const char *call_id, struct db_call *out)
{
    memset(out, 0, sizeof *out);
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_text(&a, call_id);
    PGresult *r = pg_run(st,
                         "SELECT id, path, state, last_step, last_key, last_doc, case_id, ended_at "
                         "FROM call WHERE channel = $1 AND call_id = $2",
                         &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->path, sizeof out->path);
        pg_text(r, 0, 2, out->state, sizeof out->state);
        pg_text(r, 0, 3, out->last_step, sizeof out->last_step);
        pg_text(r, 0, 4, out->last_key, sizeof out->last_key);
        out->last_doc = pg_null(r, 0, 5) ? NULL : gw_strdup(PQgetvalue(r, 0, 5));
        out->case_id = pg_int(r, 0, 6);
        out->ended_at = pg_int(r, 0, 7);
    }
    PQclear(r);
    return found ? 0 : 1;
}

int pg_db_call_start(struct store *st, const char *channel, const char *call_id, const char *caller, const char *callee,
                     int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_text(&a, call_id);
    pg_arg_text(&a, caller ? caller : "");
    pg_arg_text(&a, callee && *callee ? callee : NULL);
    pg_arg_int(&a, now);
    PGresult *r = pg_run(st,
                         "INSERT INTO call(channel, call_id, caller, callee, started_at, updated_at) "
                         "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                         &a);
    if (!r) return -1;
    *id = pg_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int pg_db_call_save(struct store *st, const struct db_call *c, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, c->path);
    pg_arg_text(&a, c->state);
    pg_arg_text(&a, c->last_step[0] ? c->last_step : NULL);
    pg_arg_text(&a, c->last_key[0] ? c->last_key : NULL);
    pg_arg_text(&a, c->last_doc);
    pg_arg_int_or_null(&a, c->case_id);
    pg_arg_int(&a, now);
    pg_arg_int(&a, c->id);
    PGresult *r = pg_run(st,
                         "UPDATE call SET path = $1, state = $2, last_step = $3, last_key = $4, "
                         "last_doc = $5, case_id = $6, updated_at = $7 WHERE id = $8",
                         &a);
    if (!r) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n == 1 ? 0 : 1;
}

int pg_db_call_end(struct store *st, int64_t id, const char *status, long duration, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_text(&a, status);
    if (duration >= 0)
        pg_arg_int(&a, duration);
    else
        pg_arg_text(&a, NULL);
    pg_arg_int(&a, id);
    PGresult *r = pg_run(st,
                         "UPDATE call SET ended_at = $1, final_status = $2, "
                         "duration = coalesce($3::bigint, duration), updated_at = $1 WHERE id = $4",
                         &a);
    if (!r) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n == 1 ? 0 : 1;
}
