/* db/pg_session.c - PostgreSQL implementation of staff sign-in codes and
 * sessions (store_session.h), the bearer tokens of integrations
 * (store_token.h) and the audit trail's rows (store_audit.h).
 *
 * Runs on the thread that owns the store (the writer, or a CLI command),
 * inside the caller's transaction when there is one. Statements are
 * static strings prepared once per connection through pg_run; values
 * travel only as parameters. An insert that may meet a unique key does
 * not fail (a failed statement would spoil the caller's transaction): it
 * does nothing and the missing row tells. It looks for the key first, so
 * that a refused row does not use up an id (ids stay dense, as SQLite's);
 * ON CONFLICT still covers a row another process adds meanwhile.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "pg_int.h"

/* Runs an UPDATE or DELETE: 0 when it changed a row, 1 when none, -1. */
static int changed(struct store *st, const char *sql, const struct pg_args *a)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n > 0 ? 0 : 1;
}

/* Runs an INSERT ... ON CONFLICT DO NOTHING RETURNING id: 0 with *id (may
 * be NULL), 1 when a unique key stopped it, -1. */
static int insert_id(struct store *st, const char *sql, const struct pg_args *a, int64_t *id)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int rc = PQntuples(r) == 1 ? 0 : 1;
    if (rc == 0 && id) *id = pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

/* ---- login codes ----------------------------------------------------------------- */

int pg_store_login_code_insert(struct store *st, const struct store_login_code_row *r, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, r->phone);
    pg_arg_text(&a, r->hash);
    pg_arg_text(&a, r->client);
    pg_arg_int(&a, r->created_at);
    pg_arg_int(&a, r->expires_at);
    PGresult *res = pg_run(st,
                           "INSERT INTO login_code(phone, hash, client, created_at, expires_at) "
                           "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                           &a);
    if (!res) return -1;
    if (id) *id = pg_int(res, 0, 0);
    PQclear(res);
    return 0;
}

/* Counts the rows of a (key, since) statement: *n and the oldest time. 0 or -1. */
static int count_since(struct store *st, const char *sql, const char *key, int64_t since, int *n, int64_t *oldest)
{
    struct pg_args a = {0};
    pg_arg_text(&a, key);
    pg_arg_int(&a, since);
    PGresult *r = pg_run(st, sql, &a);
    if (!r) return -1;
    int ok = PQntuples(r) == 1;
    if (ok) {
        *n = (int)pg_int(r, 0, 0);
        *oldest = pg_int(r, 0, 1);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

int pg_store_login_code_counts(struct store *st, const char *phone, const char *client, int64_t since,
                               struct store_login_counts *out)
{
    memset(out, 0, sizeof *out);
    if (count_since(st,
                    "SELECT count(*), coalesce(min(created_at), 0) FROM login_code "
                    "WHERE phone = $1 AND created_at >= $2",
                    phone, since, &out->phone, &out->phone_oldest) != 0)
        return -1;
    return count_since(st,
                       "SELECT count(*), coalesce(min(created_at), 0) FROM login_code "
                       "WHERE client = $1 AND created_at >= $2",
                       client, since, &out->client, &out->client_oldest);
}

int pg_store_login_code_last(struct store *st, const char *phone, struct store_login_code_row *out)
{
    memset(out, 0, sizeof *out);
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    PGresult *r = pg_run(st,
                         "SELECT id, phone, hash, client, created_at, expires_at, tries, "
                         "coalesce(used_at, 0) FROM login_code WHERE phone = $1 AND hash <> '' "
                         "ORDER BY created_at DESC, id DESC LIMIT 1",
                         &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->phone, sizeof out->phone);
        pg_text(r, 0, 2, out->hash, sizeof out->hash);
        pg_text(r, 0, 3, out->client, sizeof out->client);
        out->created_at = pg_int(r, 0, 4);
        out->expires_at = pg_int(r, 0, 5);
        out->tries = (int)pg_int(r, 0, 6);
        out->used_at = pg_int(r, 0, 7);
    }
    PQclear(r);
    return found ? 0 : 1;
}

int pg_store_login_code_try(struct store *st, int64_t id)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    return changed(st, "UPDATE login_code SET tries = tries + 1 WHERE id = $1", &a);
}

int pg_store_login_code_use(struct store *st, int64_t id, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    return changed(st, "UPDATE login_code SET used_at = coalesce(used_at, $1) WHERE id = $2", &a);
}

/* ---- sessions ---------------------------------------------------------------------- */

int pg_store_session_insert(struct store *st, const struct store_session_row *r, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, r->hash);
    pg_arg_int(&a, r->staff_id);
    pg_arg_text(&a, r->csrf_hash);
    pg_arg_text(&a, r->client);
    pg_arg_int(&a, r->created_at);
    pg_arg_int(&a, r->last_seen_at);
    pg_arg_int(&a, r->expires_at);
    return insert_id(st,
                     "INSERT INTO session(hash, staff_id, csrf_hash, client, created_at, last_seen_at, expires_at) "
                     "SELECT $1::text, $2::bigint, $3::text, $4::text, $5::bigint, $6::bigint, $7::bigint "
                     "WHERE NOT EXISTS (SELECT 1 FROM session WHERE hash = $1) "
                     "ON CONFLICT DO NOTHING RETURNING id",
                     &a, id);
}

int pg_store_session_by_hash(struct store *st, const char *hash, struct store_session_row *out)
{
    memset(out, 0, sizeof *out);
    struct pg_args a = {0};
    pg_arg_text(&a, hash);
    PGresult *r = pg_run(st,
                         "SELECT s.id, s.hash, s.staff_id, s.csrf_hash, s.client, s.created_at, "
                         "s.last_seen_at, s.expires_at, f.role, coalesce(f.department, ''), "
                         "r.id, r.level, r.path, f.name FROM session s JOIN staff f ON f.id = s.staff_id "
                         "JOIN region r ON r.id = f.region_id WHERE s.hash = $1 AND s.ended_at IS NULL",
                         &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->hash, sizeof out->hash);
        out->staff_id = pg_int(r, 0, 2);
        pg_text(r, 0, 3, out->csrf_hash, sizeof out->csrf_hash);
        pg_text(r, 0, 4, out->client, sizeof out->client);
        out->created_at = pg_int(r, 0, 5);
        out->last_seen_at = pg_int(r, 0, 6);
        out->expires_at = pg_int(r, 0, 7);
        pg_text(r, 0, 8, out->role, sizeof out->role);
        pg_text(r, 0, 9, out->department, sizeof out->department);
        out->region_id = pg_int(r, 0, 10);
        out->region_level = (int)pg_int(r, 0, 11);
        pg_text(r, 0, 12, out->region, sizeof out->region);
        pg_text(r, 0, 13, out->name, sizeof out->name);
    }
    PQclear(r);
    return found ? 0 : 1;
}

int pg_store_session_touch(struct store *st, int64_t id, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    return changed(st, "UPDATE session SET last_seen_at = $1 WHERE id = $2", &a);
}

int pg_store_session_end(struct store *st, const char *hash, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_text(&a, hash);
    return changed(st, "UPDATE session SET ended_at = coalesce(ended_at, $1) WHERE hash = $2", &a);
}

int pg_store_sign_in_purge(struct store *st, int64_t codes_before, int64_t sessions_before)
{
    struct pg_args a = {0};
    pg_arg_int(&a, codes_before);
    PGresult *r = pg_run(st, "DELETE FROM login_code WHERE created_at < $1", &a);
    if (!r) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    struct pg_args b = {0};
    pg_arg_int(&b, sessions_before);
    r = pg_run(st, "DELETE FROM session WHERE ended_at < $1 OR expires_at < $1", &b);
    if (!r) return -1;
    n += atoi(PQcmdTuples(r));
    PQclear(r);
    return n;
}

/* ---- tokens ------------------------------------------------------------------------ */

/* The columns every token read selects, in the order read_token reads them. */
#define TOKEN_COLS                                                                                                     \
    "t.id, t.name, t.role, coalesce(t.region_id, 0), coalesce(r.path, ''), coalesce(t.department, ''), t.hash, "       \
    "t.created_at, coalesce(t.revoked_at, 0), coalesce(t.last_used_at, 0) "                                            \
    "FROM api_token t LEFT JOIN region r ON r.id = t.region_id "

/* Copies row i of a TOKEN_COLS result into out. */
static void read_token(const PGresult *r, int i, struct store_token_row *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_int(r, i, 0);
    pg_text(r, i, 1, out->name, sizeof out->name);
    pg_text(r, i, 2, out->role, sizeof out->role);
    out->region_id = pg_int(r, i, 3);
    pg_text(r, i, 4, out->region, sizeof out->region);
    pg_text(r, i, 5, out->department, sizeof out->department);
    pg_text(r, i, 6, out->hash, sizeof out->hash);
    out->created_at = pg_int(r, i, 7);
    out->revoked_at = pg_int(r, i, 8);
    out->last_used_at = pg_int(r, i, 9);
}

int pg_store_token_insert(struct store *st, const struct store_token_row *r, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, r->name);
    pg_arg_text(&a, r->role);
    pg_arg_int_or_null(&a, r->region_id);
    pg_arg_text(&a, r->department[0] ? r->department : NULL);
    pg_arg_text(&a, r->hash);
    pg_arg_int(&a, now);
    return insert_id(st,
                     "INSERT INTO api_token(name, role, region_id, department, hash, created_at) "
                     "SELECT $1::text, $2::text, $3::bigint, $4::text, $5::text, $6::bigint "
                     "WHERE NOT EXISTS (SELECT 1 FROM api_token WHERE name = $1 OR hash = $5) "
                     "ON CONFLICT DO NOTHING RETURNING id",
                     &a, id);
}

int pg_store_token_by_hash(struct store *st, const char *hash, struct store_token_row *out)
{
    struct pg_args a = {0};
    pg_arg_text(&a, hash);
    PGresult *r = pg_run(st, "SELECT " TOKEN_COLS "WHERE t.hash = $1 AND t.revoked_at IS NULL", &a);
    if (!r) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    int found = PQntuples(r) > 0;
    if (found)
        read_token(r, 0, out);
    else
        memset(out, 0, sizeof *out);
    PQclear(r);
    return found ? 0 : 1;
}

int pg_store_token_revoke(struct store *st, const char *name, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_text(&a, name);
    return changed(st, "UPDATE api_token SET revoked_at = coalesce(revoked_at, $1) WHERE name = $2", &a);
}

int pg_store_token_touch(struct store *st, int64_t id, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    return changed(st, "UPDATE api_token SET last_used_at = $1 WHERE id = $2", &a);
}

int pg_store_tokens_each(struct store *st, int (*fn)(void *arg, const struct store_token_row *r), void *arg)
{
    PGresult *r = pg_run(st, "SELECT " TOKEN_COLS "ORDER BY t.name COLLATE \"C\"", NULL);
    if (!r) return -1;
    int stop = 0;
    struct store_token_row row;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        read_token(r, i, &row);
        stop = fn(arg, &row);
    }
    PQclear(r);
    return stop;
}

/* ---- the audit trail --------------------------------------------------------------- */

int pg_store_audit_append(struct store *st, const struct store_audit_row *r)
{
    /* The id is the chain's (the newest + 1): the identity sequence is
     * moved along so that it never hands out an id the chain took. */
    struct pg_args a = {0};
    pg_arg_int(&a, r->at);
    pg_arg_text(&a, r->actor);
    pg_arg_text(&a, r->role);
    pg_arg_text(&a, r->client);
    pg_arg_text(&a, r->action);
    pg_arg_text(&a, r->records);
    pg_arg_text(&a, r->purpose);
    pg_arg_text(&a, r->prev);
    pg_arg_text(&a, r->hash);
    pg_arg_int(&a, r->id);
    return pg_run_done(st,
                       "WITH i AS (INSERT INTO audit(at, actor, role, client, action, records, purpose, prev, hash, "
                       "id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id) "
                       "SELECT setval(pg_get_serial_sequence('audit', 'id'), id) FROM i",
                       &a);
}

int pg_store_audit_last(struct store *st, char *hash, int64_t *id)
{
    hash[0] = '\0';
    *id = 0;
    /* Two writers (two processes) must never chain onto the same row: the
     * caller's transaction holds this lock until it ends, so the next
     * writer reads the newest row only after this one's append committed.
     * The read is a statement of its own, whose snapshot is taken after
     * the lock was granted. */
    if (pg_run_done(st, "SELECT pg_advisory_xact_lock(hashtextextended('gateway audit chain', 0))", NULL) != 0)
        return -1;
    PGresult *r = pg_run(st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", NULL);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, hash, 65);
    }
    PQclear(r);
    return found ? 0 : 1;
}

/* The text at (row, col), "" for SQL NULL; valid until PQclear. */
static const char *col(const PGresult *r, int row, int c) { return PQgetvalue(r, row, c); }

int pg_store_audit_each(struct store *st, int64_t from_id, int (*fn)(void *arg, const struct store_audit_row *r),
                        void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, from_id);
    PGresult *r = pg_run(st,
                         "SELECT id, at, actor, role, client, action, records, purpose, prev, hash "
                         "FROM audit WHERE id >= $1 ORDER BY id",
                         &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_audit_row row = {
            .id = pg_int(r, i, 0),
            .at = pg_int(r, i, 1),
            .actor = col(r, i, 2),
            .role = col(r, i, 3),
            .client = col(r, i, 4),
            .action = col(r, i, 5),
            .records = col(r, i, 6),
            .purpose = col(r, i, 7),
            .prev = col(r, i, 8),
            .hash = col(r, i, 9),
        };
        stop = fn(arg, &row);
    }
    PQclear(r);
    return stop;
}
