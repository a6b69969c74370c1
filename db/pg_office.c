/* db/pg_office.c - PostgreSQL implementation of the office API's reads of
 * cases (store_office_cases.h), of children's files (store_office_files.h)
 * and of the case writes a person makes (store_case_writes.h).
 *
 * Runs on the thread that owns the store, inside the caller's transaction
 * when there is one. Every statement is a static string prepared once per
 * connection through pg_run; the scope, the filters and the cursor travel
 * only as parameters, so one statement serves every role. Parameters of
 * the case statements:
 *   $1 scope kind, $2 scope region id, $3 scope path, $4 scope department,
 *   $5 ack window P0 (seconds), $6 ack window P1,
 *   list: $7 status filter, $8 priority (-1 any), $9 region path (NULL any),
 *         $10 1 when a cursor follows, $11-$16 the cursor's key, $17 limit;
 *   get:  $7 the case's number.
 * Text keys (a child's code) compare and sort with COLLATE "C", byte by
 * byte as SQLite's BINARY does, whatever the database's collation.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "pg_int.h"

/* The text at (row, col), NULL for SQL NULL; valid until PQclear. */
static const char *val(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* ---- cases ------------------------------------------------------------- */

/* The cases in scope with their deadline inputs ($1-$4). A region "under"
 * a path: equal, or the path and '/' begin it (substr and length count
 * characters on both sides). A case's departments in the order they were
 * stored (case_dept has no rowid here: its physical order stands in). */
#define CASES_IN_SCOPE                                                                                                 \
    "WITH O AS MATERIALIZED ("                                                                                         \
    "  SELECT C.id, C.number, C.category, C.classified, C.inferred, C.priority, C.status, C.opened_at, "               \
    "    coalesce(C.acked_at, 0) AS acked_at, coalesce(C.closed_at, 0) AS closed_at, "                                 \
    "    coalesce((SELECT max(E.at) FROM case_event E WHERE E.case_id = C.id "                                         \
    "      AND E.kind = 'classified'), C.opened_at) AS since, "                                                        \
    "    (C.classified = 0 AND EXISTS (SELECT 1 FROM case_event E WHERE E.case_id = C.id "                             \
    "      AND E.kind = 'alerted' AND E.detail ILIKE 'triage%')) AS triage, "                                          \
    "    (C.flood_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_event A WHERE A.case_id = C.id "                   \
    "      AND A.kind = 'alerted')) AS held, "                                                                         \
    "    coalesce(R.path, '') AS path, "                                                                               \
    "    coalesce((SELECT string_agg(D.department, ',' ORDER BY D.seq) FROM case_dept D "                              \
    "      WHERE D.case_id = C.id), '') AS depts, "                                                                    \
    "    C.description, C.child_id, C.reporter_id "                                                                    \
    "  FROM cases C LEFT JOIN region R ON R.id = C.region_id "                                                         \
    "  WHERE ($1::int = 1 "                                                                                            \
    "    OR ($1::int = 2 AND C.county_id = $2::bigint) "                                                               \
    "    OR ($1::int = 3 AND R.path IS NOT NULL AND (R.path = $3::text "                                               \
    "      OR substr(R.path, 1, length($3::text) + 1) = $3::text || '/')) "                                            \
    "    OR ($1::int = 4 AND C.county_id = $2::bigint AND EXISTS (SELECT 1 FROM case_dept D "                          \
    "      WHERE D.case_id = C.id AND D.department = $4::text)) "                                                      \
    "    OR ($1::int = 5 AND C.region_id = $2::bigint)) "

/* The deadline key ($5, $6): the rule of handlers/deadline.h. */
#define CASES_KEYED                                                                                                    \
    "), K AS (SELECT O.*, CASE "                                                                                       \
    "  WHEN O.status = 'open' AND NOT O.held AND O.priority = 0 AND NOT O.triage THEN O.since + $5::bigint "           \
    "  WHEN O.status = 'open' AND NOT O.held AND (O.priority = 1 OR O.triage) THEN O.since + $6::bigint "              \
    "  ELSE 9223372036854775807 END AS dl FROM O) "

#define CASES_COLUMNS                                                                                                  \
    "SELECT K.id, K.number, K.category, K.classified, K.inferred, K.priority, K.status, K.opened_at, "                 \
    "K.acked_at, K.closed_at, K.since, K.triage::int, K.held::int, K.path, K.depts, K.dl, K.description, "             \
    "K.child_id, K.reporter_id FROM K "

static const char list_sql[] =
    CASES_IN_SCOPE "  AND ($7::int = 2 OR ($7::int = 0 AND C.status <> 'closed') "
                   "    OR ($7::int = 1 AND C.status = 'closed')) "
                   "  AND ($8::int < 0 OR C.priority = $8::int) "
                   "  AND ($9::text IS NULL OR (R.path IS NOT NULL AND (R.path = $9::text "
                   "    OR substr(R.path, 1, length($9::text) + 1) = $9::text || '/'))) " CASES_KEYED CASES_COLUMNS
                   "WHERE $10::int = 0 OR (K.classified, 1 - K.inferred, K.priority, K.dl, K.opened_at, K.id) > "
                   "  ($11::bigint, $12::bigint, $13::bigint, $14::bigint, $15::bigint, $16::bigint) "
                   "ORDER BY K.classified, 1 - K.inferred, K.priority, K.dl, K.opened_at, K.id LIMIT $17::bigint";

static const char get_sql[] = CASES_IN_SCOPE "  AND C.number = $7::text " CASES_KEYED CASES_COLUMNS;

/* Appends the scope and the windows ($1-$6). */
static void args_scope(struct pg_args *a, const struct db_case_scope *sc, int64_t ack_p0, int64_t ack_p1)
{
    pg_arg_int(a, (int)sc->kind);
    pg_arg_int(a, sc->region_id);
    pg_arg_text(a, sc->path ? sc->path : "");
    pg_arg_text(a, sc->department ? sc->department : "");
    pg_arg_int(a, ack_p0);
    pg_arg_int(a, ack_p1);
}

/* Row i of a CASES_COLUMNS result into c. */
static void case_row(const PGresult *r, int i, struct db_case_row *c)
{
    memset(c, 0, sizeof *c);
    c->id = pg_int(r, i, 0);
    pg_text(r, i, 1, c->number, sizeof c->number);
    c->category = (int)pg_int(r, i, 2);
    c->classified = pg_int(r, i, 3) != 0;
    c->inferred = pg_int(r, i, 4) != 0;
    c->priority = (int)pg_int(r, i, 5);
    pg_text(r, i, 6, c->status, sizeof c->status);
    c->opened_at = pg_int(r, i, 7);
    c->acked_at = pg_int(r, i, 8);
    c->closed_at = pg_int(r, i, 9);
    c->since = pg_int(r, i, 10);
    c->triage = pg_int(r, i, 11) != 0;
    c->held = pg_int(r, i, 12) != 0;
    pg_text(r, i, 13, c->region, sizeof c->region);
    pg_text(r, i, 14, c->depts, sizeof c->depts);
    c->key = (struct db_case_key){.classified = c->classified,
                                  .plain = 1 - c->inferred,
                                  .priority = c->priority,
                                  .deadline = pg_int(r, i, 15),
                                  .opened_at = c->opened_at,
                                  .id = c->id};
}

int pg_db_cases_list(struct store *st, const struct db_case_query *q, int (*fn)(void *arg, const struct db_case_row *c),
                     void *arg)
{
    if (q->scope.kind == DB_SCOPE_NONE) return 0;
    struct pg_args a = {0};
    args_scope(&a, &q->scope, q->ack_p0, q->ack_p1);
    pg_arg_int(&a, (int)q->status);
    pg_arg_int(&a, q->priority);
    pg_arg_text(&a, q->region && q->region[0] ? q->region : NULL);
    const struct db_case_key *k = q->after;
    pg_arg_int(&a, k ? 1 : 0);
    if (!k) {
        for (int i = 0; i < 6; i++) pg_arg_text(&a, NULL);
    } else {
        pg_arg_int(&a, k->classified);
        pg_arg_int(&a, k->plain);
        pg_arg_int(&a, k->priority);
        pg_arg_int(&a, k->deadline);
        pg_arg_int(&a, k->opened_at);
        pg_arg_int(&a, k->id);
    }
    pg_arg_int(&a, q->limit);
    PGresult *r = pg_run(st, list_sql, &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct db_case_row c;
        case_row(r, i, &c);
        stop = fn(arg, &c);
    }
    PQclear(r);
    return stop;
}

/* The child's code and name of child_id into d. 0, -1. */
static int child_of(struct store *st, int64_t child_id, struct db_case_detail *d)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    PGresult *r = pg_run(st, "SELECT code, name FROM child WHERE id = $1", &a);
    if (!r) return -1;
    if (PQntuples(r) > 0) {
        pg_text(r, 0, 0, d->child_code, sizeof d->child_code);
        pg_text(r, 0, 1, d->child_name, sizeof d->child_name);
    }
    PQclear(r);
    return 0;
}

int pg_db_case_get(struct store *st, const struct db_case_scope *scope, const char *number, int64_t ack_p0,
                   int64_t ack_p1, struct db_case_detail *out)
{
    memset(out, 0, sizeof *out);
    if (scope->kind == DB_SCOPE_NONE) return 1;
    struct pg_args a = {0};
    args_scope(&a, scope, ack_p0, ack_p1);
    pg_arg_text(&a, number);
    PGresult *r = pg_run(st, get_sql, &a);
    if (!r) return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    case_row(r, 0, &out->row);
    const char *desc = val(r, 0, 16);
    out->description = desc ? gw_strdup(desc) : NULL;
    int64_t child_id = pg_int(r, 0, 17), reporter_id = pg_int(r, 0, 18);
    PQclear(r);
    if (child_id && child_of(st, child_id, out) != 0) goto fail;
    if (reporter_id && db_reporter_phone(st, reporter_id, out->reporter_phone, sizeof out->reporter_phone) < 0)
        goto fail;
    return 0;
fail:
    db_case_detail_free(out);
    return -1;
}

int pg_db_case_events_list(struct store *st, int64_t case_id, int (*fn)(void *arg, const struct db_case_event_row *e),
                           void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    PGresult *r = pg_run(st, "SELECT id, at, kind, detail FROM case_event WHERE case_id = $1 ORDER BY at, id", &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct db_case_event_row e = {
            .id = pg_int(r, i, 0), .at = pg_int(r, i, 1), .kind = PQgetvalue(r, i, 2), .detail = val(r, i, 3)};
        stop = fn(arg, &e);
    }
    PQclear(r);
    return stop;
}

int pg_db_case_media_list(struct store *st, int64_t case_id, int (*fn)(void *arg, const struct db_case_media_row *m),
                          void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    PGresult *r =
        pg_run(st, "SELECT id, status, bytes, content_type, created_at FROM media WHERE case_id = $1 ORDER BY id", &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct db_case_media_row m = {.id = pg_int(r, i, 0),
                                      .status = PQgetvalue(r, i, 1),
                                      .bytes = pg_null(r, i, 2) ? -1 : pg_int(r, i, 2),
                                      .content_type = val(r, i, 3),
                                      .created_at = pg_int(r, i, 4)};
        stop = fn(arg, &m);
    }
    PQclear(r);
    return stop;
}

/* ---- children's files ---------------------------------------------------- */

/* A file's child columns, in the order read_child reads them; CH is the
 * child, R its village. $1 is today (YYYY-MM-DD). */
#define CHILD_COLS                                                                                                     \
    "CH.id, CH.code, CH.name, CH.sex, CH.birth_date, R.path, CH.categories, CH.flags, CH.high_cadence, "               \
    "CH.created_at, "                                                                                                  \
    "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = CH.id AND v.visit_date <= $1::text), "                  \
    "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = CH.id AND v.visit_date <= $1::text "                    \
    "AND v.result IN (1, 2, 3))"
#define CHILD_FROM " FROM child CH JOIN region R ON R.id = CH.region_id"
/* R lies at or under the region whose path is $2; "" is everywhere. */
#define IN_SCOPE " ($2::text = '' OR R.path = $2::text OR substr(R.path, 1, length($2::text) + 1) = $2::text || '/')"

/* Row i of a CHILD_COLS result; its strings live until PQclear. */
static struct store_file_child read_child(const PGresult *r, int i)
{
    const char *flags = val(r, i, 7);
    return (struct store_file_child){
        .id = pg_int(r, i, 0),
        .code = val(r, i, 1),
        .name = val(r, i, 2),
        .sex = val(r, i, 3),
        .birth_date = val(r, i, 4),
        .region = val(r, i, 5),
        .categories = val(r, i, 6),
        .flags = flags ? flags : "",
        .high_cadence = (int)pg_int(r, i, 8),
        .created_at = pg_int(r, i, 9),
        .last_visit = val(r, i, 10),
        .last_count = val(r, i, 11),
    };
}

int pg_store_files_children_each(struct store *st, const char *under, const char *q, const char *after, int limit,
                                 const char *today, int (*fn)(void *arg, const struct store_file_child *r), void *arg)
{
    static const char sql[] =
        "SELECT " CHILD_COLS CHILD_FROM " WHERE" IN_SCOPE
        " AND ($3::text = '' OR substr(CH.code, 1, length($3::text)) = $3::text OR strpos(CH.name, $3::text) > 0)"
        " AND CH.code COLLATE \"C\" > $4::text ORDER BY CH.code COLLATE \"C\" LIMIT $5::bigint";
    struct pg_args a = {0};
    pg_arg_text(&a, today ? today : "9999-12-31");
    pg_arg_text(&a, under ? under : "");
    pg_arg_text(&a, q ? q : "");
    pg_arg_text(&a, after ? after : "");
    if (limit > 0)
        pg_arg_int(&a, limit);
    else
        pg_arg_text(&a, NULL); /* LIMIT NULL: no limit */
    PGresult *r = pg_run(st, sql, &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_file_child c = read_child(r, i);
        stop = fn(arg, &c);
    }
    PQclear(r);
    return stop;
}

int pg_store_files_child(struct store *st, const char *code, const char *under, const char *today,
                         int (*fn)(void *arg, const struct store_file_child *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_text(&a, today ? today : "9999-12-31");
    pg_arg_text(&a, under ? under : "");
    pg_arg_text(&a, code ? code : "");
    PGresult *r = pg_run(st, "SELECT " CHILD_COLS CHILD_FROM " WHERE CH.code = $3::text AND" IN_SCOPE, &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        struct store_file_child c = read_child(r, 0);
        fn(arg, &c);
    }
    PQclear(r);
    return found ? 0 : 1;
}

int pg_store_files_guardians_each(struct store *st, int64_t child_id,
                                  int (*fn)(void *arg, const struct store_file_guardian *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    PGresult *r = pg_run(st,
                         "SELECT g.name, gc.relation, gc.away, g.phone FROM guardian_child gc "
                         "JOIN guardian g ON g.id = gc.guardian_id WHERE gc.child_id = $1 ORDER BY g.id",
                         &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_file_guardian g = {
            .name = val(r, i, 0), .relation = val(r, i, 1), .away = (int)pg_int(r, i, 2), .phone = val(r, i, 3)};
        stop = fn(arg, &g);
    }
    PQclear(r);
    return stop;
}

int pg_store_files_visits_each(struct store *st, int64_t child_id,
                               int (*fn)(void *arg, const struct store_file_visit *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    PGresult *r = pg_run(st,
                         "SELECT v.id, v.visit_date, v.result, v.problems, v.note, s.name, v.created_at "
                         "FROM visit v LEFT JOIN staff s ON s.id = v.staff_id WHERE v.child_id = $1 "
                         "ORDER BY v.visit_date, v.id",
                         &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        const char *problems = val(r, i, 3);
        struct store_file_visit v = {.id = pg_int(r, i, 0),
                                     .visit_date = val(r, i, 1),
                                     .result = (int)pg_int(r, i, 2),
                                     .problems = problems ? problems : "",
                                     .note = val(r, i, 4),
                                     .staff = val(r, i, 5),
                                     .created_at = pg_int(r, i, 6)};
        stop = fn(arg, &v);
    }
    PQclear(r);
    return stop;
}

int pg_store_files_checkins_each(struct store *st, int64_t child_id,
                                 int (*fn)(void *arg, const struct store_file_checkin *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    PGresult *r = pg_run(st,
                         "SELECT k.id, k.created_at, k.status, k.return_date, k.note, gc.relation "
                         "FROM checkin k LEFT JOIN guardian_child gc ON gc.guardian_id = k.guardian_id "
                         "AND gc.child_id = k.child_id WHERE k.child_id = $1 ORDER BY k.created_at, k.id",
                         &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_file_checkin k = {.id = pg_int(r, i, 0),
                                       .created_at = pg_int(r, i, 1),
                                       .status = (int)pg_int(r, i, 2),
                                       .return_date = val(r, i, 3),
                                       .note = val(r, i, 4),
                                       .relation = val(r, i, 5)};
        stop = fn(arg, &k);
    }
    PQclear(r);
    return stop;
}

int pg_store_files_cases_each(struct store *st, int64_t child_id, int (*fn)(void *arg, const struct store_file_case *r),
                              void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    PGresult *r = pg_run(st,
                         "SELECT number, category, priority, status, opened_at, acked_at, closed_at "
                         "FROM cases WHERE child_id = $1 ORDER BY opened_at, id",
                         &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_file_case c = {.number = val(r, i, 0),
                                    .category = (int)pg_int(r, i, 1),
                                    .priority = (int)pg_int(r, i, 2),
                                    .status = val(r, i, 3),
                                    .opened_at = pg_int(r, i, 4),
                                    .acked_at = pg_int(r, i, 5),
                                    .closed_at = pg_int(r, i, 6)};
        stop = fn(arg, &c);
    }
    PQclear(r);
    return stop;
}

int pg_store_files_messages_each(struct store *st, int64_t child_id,
                                 int (*fn)(void *arg, const struct store_file_message *r), void *arg)
{
    /* A message that caused several of the child's rows is listed once, with the first kind. */
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    PGresult *r = pg_run(st,
                         "SELECT i.id, i.received_at, i.channel, min(l.kind COLLATE \"C\"), i.intent, i.raw_text "
                         "FROM (SELECT inbox_id, 'checkin'::text AS kind FROM checkin WHERE child_id = $1 "
                         "AND inbox_id IS NOT NULL UNION ALL SELECT inbox_id, 'visit' FROM visit "
                         "WHERE child_id = $1 AND inbox_id IS NOT NULL) l JOIN inbox i ON i.id = l.inbox_id "
                         "GROUP BY i.id ORDER BY i.received_at, i.id",
                         &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_file_message m = {.id = pg_int(r, i, 0),
                                       .received_at = pg_int(r, i, 1),
                                       .channel = val(r, i, 2),
                                       .kind = val(r, i, 3),
                                       .intent = val(r, i, 4),
                                       .text = val(r, i, 5)};
        stop = fn(arg, &m);
    }
    PQclear(r);
    return stop;
}

/* ---- case writes --------------------------------------------------------- */

int pg_db_case_assign(struct store *st, int64_t case_id, const char *const *depts, int ndepts, int64_t staff_id,
                      const char *detail, int64_t now)
{
    if (ndepts < 1 || ndepts > DB_CASE_MAX_DEPTS) return -1;
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    PGresult *r = pg_run(st, "SELECT 1 FROM cases WHERE id = $1 AND status <> 'closed'", &a);
    if (!r) return -1;
    int open = PQntuples(r) > 0;
    PQclear(r);
    if (!open) return 1;
    if (pg_run_done(st, "DELETE FROM case_dept WHERE case_id = $1", &a) != 0) return -1;
    for (int i = 0; i < ndepts; i++) {
        struct pg_args d = {0};
        pg_arg_int(&d, case_id);
        pg_arg_text(&d, depts[i]);
        if (pg_run_done(st, "INSERT INTO case_dept(case_id, department) VALUES ($1, $2) ON CONFLICT DO NOTHING", &d) !=
            0)
            return -1;
    }
    return db_case_event(st, case_id, "assigned", staff_id, detail, now);
}
