/* db/sqlite_office_cases.c - SQLite implementation of the office API's
 * reads of cases (store_office_cases.h).
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 * Every statement is a static string prepared once through store_stmt; the
 * scope, the filters and the cursor travel only through bind calls, so one
 * statement serves every role. Parameters of the case statements:
 *   ?1 scope kind, ?2 scope region id, ?3 scope path, ?4 scope department,
 *   ?5 ack window P0 (seconds), ?6 ack window P1,
 *   list: ?7 status filter, ?8 priority (-1 any), ?9 region path (NULL any),
 *         ?10 1 when a cursor follows, ?11-?16 the cursor's key, ?17 limit;
 *   get:  ?7 the case's number.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* The cases in scope with their deadline inputs (?1-?4). A region "under"
 * a path: equal, or the path and '/' begin it (substr and length count
 * characters on both sides). */
#define CASES_IN_SCOPE                                                                                                 \
    "WITH O AS MATERIALIZED ("                                                                                         \
    "  SELECT C.id, C.number, C.category, C.classified, C.inferred, C.priority, C.status, C.opened_at, "               \
    "    coalesce(C.acked_at, 0) AS acked_at, coalesce(C.closed_at, 0) AS closed_at, "                                 \
    "    coalesce((SELECT max(E.at) FROM case_event E WHERE E.case_id = C.id "                                         \
    "      AND E.kind = 'classified'), C.opened_at) AS since, "                                                        \
    "    (C.classified = 0 AND EXISTS (SELECT 1 FROM case_event E WHERE E.case_id = C.id "                             \
    "      AND E.kind = 'alerted' AND E.detail LIKE 'triage%')) AS triage, "                                           \
    "    (C.flood_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_event A WHERE A.case_id = C.id "                   \
    "      AND A.kind = 'alerted')) AS held, "                                                                         \
    "    coalesce(R.path, '') AS path, "                                                                               \
    "    coalesce((SELECT group_concat(department, ',') FROM (SELECT D.department FROM case_dept D "                   \
    "      WHERE D.case_id = C.id ORDER BY D.rowid)), '') AS depts, "                                                  \
    "    C.description, C.child_id, C.reporter_id "                                                                    \
    "  FROM cases C LEFT JOIN region R ON R.id = C.region_id "                                                         \
    "  WHERE (?1 = 1 "                                                                                                 \
    "    OR (?1 = 2 AND C.county_id = ?2) "                                                                            \
    "    OR (?1 = 3 AND R.path IS NOT NULL AND (R.path = ?3 OR substr(R.path, 1, length(?3) + 1) = ?3 || '/')) "       \
    "    OR (?1 = 4 AND C.county_id = ?2 AND EXISTS (SELECT 1 FROM case_dept D WHERE D.case_id = C.id "                \
    "      AND D.department = ?4)) "                                                                                   \
    "    OR (?1 = 5 AND C.region_id = ?2)) "

/* The deadline key (?5, ?6): the rule of handlers/deadline.h. */
#define CASES_KEYED                                                                                                    \
    "), K AS (SELECT O.*, CASE "                                                                                       \
    "  WHEN O.status = 'open' AND NOT O.held AND O.priority = 0 AND NOT O.triage THEN O.since + ?5 "                   \
    "  WHEN O.status = 'open' AND NOT O.held AND (O.priority = 1 OR O.triage) THEN O.since + ?6 "                      \
    "  ELSE 9223372036854775807 END AS dl FROM O) "

#define CASES_COLUMNS                                                                                                  \
    "SELECT K.id, K.number, K.category, K.classified, K.inferred, K.priority, K.status, K.opened_at, "                 \
    "K.acked_at, K.closed_at, K.since, K.triage, K.held, K.path, K.depts, K.dl, K.description, K.child_id, "           \
    "K.reporter_id FROM K "

static const char list_sql[] =
    CASES_IN_SCOPE "  AND (?7 = 2 OR (?7 = 0 AND C.status <> 'closed') OR (?7 = 1 AND C.status = 'closed')) "
                   "  AND (?8 < 0 OR C.priority = ?8) "
                   "  AND (?9 IS NULL OR (R.path IS NOT NULL AND (R.path = ?9 "
                   "    OR substr(R.path, 1, length(?9) + 1) = ?9 || '/'))) " CASES_KEYED CASES_COLUMNS
                   "WHERE ?10 = 0 OR (K.classified, 1 - K.inferred, K.priority, K.dl, K.opened_at, K.id) > "
                   "  (?11, ?12, ?13, ?14, ?15, ?16) "
                   "ORDER BY K.classified, 1 - K.inferred, K.priority, K.dl, K.opened_at, K.id LIMIT ?17";

static const char get_sql[] = CASES_IN_SCOPE "  AND C.number = ?7 " CASES_KEYED CASES_COLUMNS;

/* Binds the scope and the windows (?1-?6). */
static void bind_scope(sqlite3_stmt *s, const struct db_case_scope *sc, int64_t ack_p0, int64_t ack_p1)
{
    sqlite3_bind_int(s, 1, (int)sc->kind);
    sqlite3_bind_int64(s, 2, sc->region_id);
    store_bind_text(s, 3, sc->path ? sc->path : "");
    store_bind_text(s, 4, sc->department ? sc->department : "");
    sqlite3_bind_int64(s, 5, ack_p0);
    sqlite3_bind_int64(s, 6, ack_p1);
}

/* The row of the current step (columns of CASES_COLUMNS) into c. */
static void case_row(sqlite3_stmt *s, struct db_case_row *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, c->number, sizeof c->number);
    c->category = sqlite3_column_int(s, 2);
    c->classified = sqlite3_column_int(s, 3) != 0;
    c->inferred = sqlite3_column_int(s, 4) != 0;
    c->priority = sqlite3_column_int(s, 5);
    store_col_text(s, 6, c->status, sizeof c->status);
    c->opened_at = sqlite3_column_int64(s, 7);
    c->acked_at = sqlite3_column_int64(s, 8);
    c->closed_at = sqlite3_column_int64(s, 9);
    c->since = sqlite3_column_int64(s, 10);
    c->triage = sqlite3_column_int(s, 11) != 0;
    c->held = sqlite3_column_int(s, 12) != 0;
    store_col_text(s, 13, c->region, sizeof c->region);
    store_col_text(s, 14, c->depts, sizeof c->depts);
    c->key = (struct db_case_key){.classified = c->classified,
                                  .plain = 1 - c->inferred,
                                  .priority = c->priority,
                                  .deadline = sqlite3_column_int64(s, 15),
                                  .opened_at = c->opened_at,
                                  .id = c->id};
}

int sqlite_db_cases_list(struct store *st, const struct db_case_query *q,
                         int (*fn)(void *arg, const struct db_case_row *c), void *arg)
{
    if (q->scope.kind == DB_SCOPE_NONE) return 0;
    sqlite3_stmt *s = store_stmt(st, list_sql);
    if (!s) return -1;
    bind_scope(s, &q->scope, q->ack_p0, q->ack_p1);
    sqlite3_bind_int(s, 7, (int)q->status);
    sqlite3_bind_int(s, 8, q->priority);
    store_bind_text(s, 9, q->region && q->region[0] ? q->region : NULL);
    const struct db_case_key *k = q->after;
    sqlite3_bind_int(s, 10, k ? 1 : 0);
    if (k) {
        sqlite3_bind_int64(s, 11, k->classified);
        sqlite3_bind_int64(s, 12, k->plain);
        sqlite3_bind_int64(s, 13, k->priority);
        sqlite3_bind_int64(s, 14, k->deadline);
        sqlite3_bind_int64(s, 15, k->opened_at);
        sqlite3_bind_int64(s, 16, k->id);
    }
    sqlite3_bind_int(s, 17, q->limit);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct db_case_row c;
        case_row(s, &c);
        if ((stop = fn(arg, &c)) != 0) break;
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The child's code and name of child_id into d. 0, -1. */
static int child_of(struct store *st, int64_t child_id, struct db_case_detail *d)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT code, name FROM child WHERE id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        store_col_text(s, 0, d->child_code, sizeof d->child_code);
        store_col_text(s, 1, d->child_name, sizeof d->child_name);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_db_case_get(struct store *st, const struct db_case_scope *scope, const char *number, int64_t ack_p0,
                       int64_t ack_p1, struct db_case_detail *out)
{
    memset(out, 0, sizeof *out);
    if (scope->kind == DB_SCOPE_NONE) return 1;
    sqlite3_stmt *s = store_stmt(st, get_sql);
    if (!s) return -1;
    bind_scope(s, scope, ack_p0, ack_p1);
    store_bind_text(s, 7, number);
    int rc = sqlite3_step(s);
    int64_t child_id = 0, reporter_id = 0;
    if (rc == SQLITE_ROW) {
        case_row(s, &out->row);
        const char *desc = (const char *)sqlite3_column_text(s, 16);
        out->description = desc ? strdup(desc) : NULL;
        child_id = sqlite3_column_int64(s, 17);
        reporter_id = sqlite3_column_int64(s, 18);
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return 1;
    if (rc != SQLITE_ROW) return -1;
    if (child_id && child_of(st, child_id, out) != 0) goto fail;
    if (reporter_id && db_reporter_phone(st, reporter_id, out->reporter_phone, sizeof out->reporter_phone) < 0)
        goto fail;
    return 0;
fail:
    db_case_detail_free(out);
    return -1;
}

void db_case_detail_free(struct db_case_detail *d)
{
    free(d->description);
    d->description = NULL;
}

int sqlite_db_case_events_list(struct store *st, int64_t case_id,
                               int (*fn)(void *arg, const struct db_case_event_row *e), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id, at, kind, detail FROM case_event WHERE case_id = ? ORDER BY at, id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct db_case_event_row e = {.id = sqlite3_column_int64(s, 0),
                                      .at = sqlite3_column_int64(s, 1),
                                      .kind = (const char *)sqlite3_column_text(s, 2),
                                      .detail = (const char *)sqlite3_column_text(s, 3)};
        if (!e.kind) e.kind = "";
        if ((stop = fn(arg, &e)) != 0) break;
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_db_case_media_list(struct store *st, int64_t case_id,
                              int (*fn)(void *arg, const struct db_case_media_row *m), void *arg)
{
    sqlite3_stmt *s =
        store_stmt(st, "SELECT id, status, bytes, content_type, created_at FROM media WHERE case_id = ? ORDER BY id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct db_case_media_row m = {.id = sqlite3_column_int64(s, 0),
                                      .status = (const char *)sqlite3_column_text(s, 1),
                                      .bytes =
                                          sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 2),
                                      .content_type = (const char *)sqlite3_column_text(s, 3),
                                      .created_at = sqlite3_column_int64(s, 4)};
        if (!m.status) m.status = "";
        if ((stop = fn(arg, &m)) != 0) break;
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}
