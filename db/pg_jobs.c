/* db/pg_jobs.c - PostgreSQL implementation of the timed jobs' reads and
 * digest items (store_jobs.h).
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 * Every statement is a static string prepared once per connection (pg_run);
 * values travel only as parameters. The indexes that serve them are the
 * schema's own: cases(status, priority), case_event(case_id, at),
 * visit(child_id, visit_date), staff(region_id), checkin(guardian_id,
 * created_at), cases(county_id, status), the outbox's unique dedupe_key
 * and digest_item's key, both read as a range per child or parent
 * ("visit_due:<code>:" up to "visit_due:<code>;", ';' being the byte
 * after ':'). Those ranges, and max() over the keys, assume byte order:
 * the database's collation is C, as SQLite's BINARY (an explicit COLLATE
 * here would keep the planner off the indexes).
 *
 * Several gateways share the database, but the timed jobs run on the one
 * process that holds the scheduler's lock; a digest item is still written
 * with ON CONFLICT DO NOTHING on its unique key, so a second run of the same
 * job (another process after a failover) records each item once.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* ---- listings ------------------------------------------------------------------- */

/* Runs sql with a's parameters and passes every row (r, i) through each;
 * returns 0 at the end, each's non-zero value when it stops, -1 on error.
 * Clears the result either way. */
static int each_row(struct store *st, const char *sql, const struct pg_args *a,
                    int (*each)(const PGresult *r, int i, void *ctx), void *ctx)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int stop = 0, n = PQntuples(r);
    for (int i = 0; i < n && !stop; i++) stop = each(r, i, ctx);
    PQclear(r);
    return stop;
}

/* Copies a comma-separated phone list, cut at the last whole phone that fits. */
static void col_phones(const PGresult *r, int row, int col, char *out, size_t outlen)
{
    const char *v = pg_null(r, row, col) ? NULL : PQgetvalue(r, row, col);
    size_t n = v ? strlen(v) : 0;
    if (n >= outlen) {
        n = outlen - 1;
        while (n > 0 && v[n] != ',') n--;
    }
    if (n) memcpy(out, v, n);
    out[n] = '\0';
}

/* ---- acknowledgement deadlines ---------------------------------------------- */

struct case_ctx {
    int (*fn)(void *arg, const struct db_job_case *c);
    void *arg;
};

static int case_row(const PGresult *r, int i, void *ctx)
{
    struct case_ctx *x = ctx;
    struct db_job_case c;
    memset(&c, 0, sizeof c);
    c.id = pg_int(r, i, 0);
    pg_text(r, i, 1, c.number, sizeof c.number);
    c.category = (int)pg_int(r, i, 2);
    c.priority = (int)pg_int(r, i, 3);
    c.opened_at = pg_int(r, i, 4);
    c.county_id = pg_int(r, i, 5);
    pg_text(r, i, 6, c.county, sizeof c.county);
    pg_text(r, i, 7, c.place, sizeof c.place);
    c.place_level = (int)pg_int(r, i, 8);
    c.realerts = (int)pg_int(r, i, 9);
    c.since = pg_int(r, i, 10);
    c.phase = (int)pg_int(r, i, 11);
    c.triage = pg_int(r, i, 12) != 0;
    return x->fn(x->arg, &c);
}

int pg_db_jobs_unacked_cases(struct store *st, int64_t p0_since, int64_t p1_since,
                             int (*fn)(void *arg, const struct db_job_case *c), void *arg)
{
    /* A classification by triage starts the deadlines afresh: `since` is
     * its time, and only the re-alerts after it (by event id) count. The
     * re-alerts are counted in a second step (P), whose column the filter
     * reads: PostgreSQL's WHERE cannot name a select-list column. A case
     * opened after both deadlines cannot be due, so only older ones are
     * read (as on SQLite). */
    static const char sql[] = "WITH O AS MATERIALIZED ("
                              "  SELECT C.id, C.number, C.category, C.priority, C.opened_at, "
                              "    C.county_id, C.region_id, C.flood_of, "
                              "    coalesce((SELECT max(E.id) FROM case_event E WHERE E.case_id = C.id "
                              "      AND E.kind = 'classified'), 0) AS cls_id, "
                              "    coalesce((SELECT max(E.at) FROM case_event E WHERE E.case_id = C.id "
                              "      AND E.kind = 'classified'), C.opened_at) AS since, "
                              "    (SELECT count(*) FROM case_event E WHERE E.case_id = C.id "
                              "      AND E.kind = 'classified') AS phase, "
                              "    (C.classified = 0 AND EXISTS (SELECT 1 FROM case_event E "
                              "      WHERE E.case_id = C.id AND E.kind = 'alerted' "
                              "      AND E.detail ILIKE 'triage%')) AS triage "
                              "  FROM cases C WHERE C.status = 'open' "
                              "    AND C.opened_at <= greatest($1::bigint, $2::bigint)), "
                              "P AS (SELECT O.*, (SELECT count(*) FROM case_event E WHERE E.case_id = O.id "
                              "  AND E.kind = 'realerted' AND E.id > O.cls_id) AS n FROM O) "
                              "SELECT P.id, P.number, P.category, P.priority, P.opened_at, "
                              "coalesce(P.county_id, 0), coalesce(K.path, ''), coalesce(R.path, ''), "
                              "coalesce(R.level, 0), P.n, P.since, P.phase, P.triage::int "
                              "FROM P "
                              "LEFT JOIN region K ON K.id = P.county_id "
                              "LEFT JOIN region R ON R.id = P.region_id "
                              "WHERE ((P.priority = 0 AND P.since <= $1::bigint) "
                              "  OR ((P.priority = 1 OR P.triage) AND P.since <= $2::bigint)) AND P.n < 2 "
                              "  AND (P.flood_of IS NULL OR EXISTS (SELECT 1 FROM case_event A "
                              "    WHERE A.case_id = P.id AND A.kind = 'alerted')) "
                              "ORDER BY P.id";
    struct pg_args a = {0};
    pg_arg_int(&a, p0_since);
    pg_arg_int(&a, p1_since);
    struct case_ctx x = {fn, arg};
    return each_row(st, sql, &a, case_row, &x);
}

/* ---- visit cadence ------------------------------------------------------------ */

struct child_ctx {
    int (*fn)(void *arg, const struct db_job_child *c);
    void *arg;
};

static int child_row(const PGresult *r, int i, void *ctx)
{
    struct child_ctx *x = ctx;
    struct db_job_child c;
    memset(&c, 0, sizeof c);
    c.id = pg_int(r, i, 0);
    pg_text(r, i, 1, c.code, sizeof c.code);
    c.high_cadence = pg_int(r, i, 2) != 0;
    c.created_at = pg_int(r, i, 3);
    pg_text(r, i, 4, c.last_visit, sizeof c.last_visit);
    pg_text(r, i, 5, c.village, sizeof c.village);
    col_phones(r, i, 6, c.directors, sizeof c.directors);
    pg_text(r, i, 7, c.due_done, sizeof c.due_done);
    pg_text(r, i, 8, c.overdue_done, sizeof c.overdue_done);
    pg_text(r, i, 9, c.birth_date, sizeof c.birth_date);
    pg_text(r, i, 10, c.categories, sizeof c.categories);
    pg_text(r, i, 11, c.flags, sizeof c.flags);
    return x->fn(x->arg, &c);
}

int pg_db_jobs_children_due(struct store *st, const char *last_before, const char *last_before_high,
                            int64_t created_before, int (*fn)(void *arg, const struct db_job_child *c), void *arg)
{
    /* "visit_due:" is 10 bytes and "visit_overdue:" 14: the item's date
     * starts after the prefix, the code and its ':'. The village's least
     * advanced director decides: a period is done when every director has
     * its item ('' when any has none, and when there is no director). */
    static const char sql[] =
        "WITH K AS MATERIALIZED ("
        "  SELECT CH.id AS id, CH.code AS code, CH.region_id AS region_id, CH.created_at AS created_at, "
        "    CH.birth_date AS birth_date, CH.categories AS categories, "
        "    CH.flags AS flags, CH.high_cadence AS high_cadence, "
        "    (SELECT V.visit_date FROM visit V WHERE V.child_id = CH.id AND V.result <= 3 "
        "      ORDER BY V.visit_date DESC LIMIT 1) AS last "
        "  FROM child CH) "
        "SELECT K.id, K.code, K.high_cadence, K.created_at, coalesce(K.last, ''), R.path, "
        "  coalesce((SELECT string_agg(S.phone, ',' ORDER BY S.phone) FROM staff S "
        "    WHERE S.region_id = K.region_id AND S.role = 'director'), ''), "
        "  coalesce((SELECT min(coalesce((SELECT substr(max(I.key), length(K.code) + 12, 10) "
        "    FROM digest_item I WHERE I.key > 'visit_due:' || K.code || ':' "
        "      AND I.key < 'visit_due:' || K.code || ';' AND I.recipient = S.phone), '')) "
        "    FROM staff S WHERE S.region_id = K.region_id AND S.role = 'director'), ''), "
        "  coalesce((SELECT min(coalesce((SELECT substr(max(I.key), length(K.code) + 16, 10) "
        "    FROM digest_item I WHERE I.key > 'visit_overdue:' || K.code || ':' "
        "      AND I.key < 'visit_overdue:' || K.code || ';' AND I.recipient = S.phone), '')) "
        "    FROM staff S WHERE S.region_id = K.region_id AND S.role = 'director'), ''), "
        "  K.birth_date, K.categories, K.flags "
        "FROM K JOIN region R ON R.id = K.region_id "
        "WHERE CASE WHEN K.last IS NULL THEN K.created_at < $3::bigint "
        "           ELSE K.last <= GREATEST($1::text, $2::text) END "
        "ORDER BY K.code";
    struct pg_args a = {0};
    pg_arg_text(&a, last_before);
    pg_arg_text(&a, last_before_high);
    pg_arg_int(&a, created_before);
    struct child_ctx x = {fn, arg};
    return each_row(st, sql, &a, child_row, &x);
}

struct staff_ctx {
    int (*fn)(void *arg, const char *phone, const char *region_path);
    void *arg;
};

static int staff_row(const PGresult *r, int i, void *ctx)
{
    struct staff_ctx *x = ctx;
    char phone[24], path[DB_PATH_MAX];
    pg_text(r, i, 0, phone, sizeof phone);
    pg_text(r, i, 1, path, sizeof path);
    return x->fn(x->arg, phone, path);
}

int pg_db_jobs_staff(struct store *st, const char *role,
                     int (*fn)(void *arg, const char *phone, const char *region_path), void *arg)
{
    static const char sql[] = "SELECT S.phone, R.path FROM staff S JOIN region R ON R.id = S.region_id "
                              "WHERE S.role = $1 ORDER BY S.phone";
    struct pg_args a = {0};
    pg_arg_text(&a, role);
    struct staff_ctx x = {fn, arg};
    return each_row(st, sql, &a, staff_row, &x);
}

/* ---- parent contact ---------------------------------------------------------- */

struct guardian_ctx {
    int (*fn)(void *arg, const struct db_job_guardian *g);
    void *arg;
};

static int guardian_row(const PGresult *r, int i, void *ctx)
{
    struct guardian_ctx *x = ctx;
    struct db_job_guardian g;
    memset(&g, 0, sizeof g);
    g.id = pg_int(r, i, 0);
    pg_text(r, i, 1, g.phone, sizeof g.phone);
    g.last_contact = pg_int(r, i, 2);
    pg_text(r, i, 3, g.remind_sent, sizeof g.remind_sent);
    pg_text(r, i, 4, g.silent_done, sizeof g.silent_done);
    return x->fn(x->arg, &g);
}

int pg_db_jobs_silent_guardians(struct store *st, int64_t before, int (*fn)(void *arg, const struct db_job_guardian *g),
                                void *arg)
{
    /* "checkin_remind:" and "checkin_silent:" are both 15 bytes. */
    static const char sql[] =
        "WITH K AS MATERIALIZED ("
        "  SELECT G.id AS id, G.phone AS phone, "
        "    coalesce((SELECT max(C.created_at) FROM checkin C WHERE C.guardian_id = G.id), G.created_at) "
        "      AS last "
        "  FROM guardian G "
        "  WHERE EXISTS (SELECT 1 FROM guardian_child GC WHERE GC.guardian_id = G.id AND GC.away = 1)) "
        "SELECT K.id, K.phone, K.last, "
        "  coalesce((SELECT substr(max(O.dedupe_key), length(K.id::text) + 17, 10) FROM outbox O "
        "    WHERE O.dedupe_key > 'checkin_remind:' || K.id || ':' "
        "      AND O.dedupe_key < 'checkin_remind:' || K.id || ';'), ''), "
        "  coalesce((SELECT min(coalesce((SELECT substr(max(I.key), length(K.id::text) + 17, 10) FROM digest_item I "
        "    WHERE I.key > 'checkin_silent:' || K.id || ':' AND I.key < 'checkin_silent:' || K.id || ';' "
        "      AND I.recipient = S.phone), '')) "
        "    FROM guardian_child GC JOIN child CH ON CH.id = GC.child_id "
        "    JOIN staff S ON S.region_id = CH.region_id AND S.role = 'director' "
        "    WHERE GC.guardian_id = K.id AND GC.away = 1), '') "
        "FROM K WHERE K.last < $1::bigint ORDER BY K.id";
    struct pg_args a = {0};
    pg_arg_int(&a, before);
    struct guardian_ctx x = {fn, arg};
    return each_row(st, sql, &a, guardian_row, &x);
}

struct ward_ctx {
    int (*fn)(void *arg, const struct db_job_ward *w);
    void *arg;
};

static int ward_row(const PGresult *r, int i, void *ctx)
{
    struct ward_ctx *x = ctx;
    struct db_job_ward w;
    memset(&w, 0, sizeof w);
    pg_text(r, i, 0, w.code, sizeof w.code);
    pg_text(r, i, 1, w.birth_date, sizeof w.birth_date);
    pg_text(r, i, 2, w.categories, sizeof w.categories);
    col_phones(r, i, 3, w.directors, sizeof w.directors);
    return x->fn(x->arg, &w);
}

int pg_db_jobs_guardian_wards(struct store *st, int64_t guardian_id, int (*fn)(void *arg, const struct db_job_ward *w),
                              void *arg)
{
    static const char sql[] = "SELECT CH.code, CH.birth_date, CH.categories, "
                              "  coalesce((SELECT string_agg(S.phone, ',' ORDER BY S.phone) FROM staff S "
                              "    WHERE S.region_id = CH.region_id AND S.role = 'director'), '') "
                              "FROM guardian_child GC JOIN child CH ON CH.id = GC.child_id "
                              "WHERE GC.guardian_id = $1 AND GC.away = 1 ORDER BY CH.code";
    struct pg_args a = {0};
    pg_arg_int(&a, guardian_id);
    struct ward_ctx x = {fn, arg};
    return each_row(st, sql, &a, ward_row, &x);
}

/* ---- digests and the daily cap ------------------------------------------------- */

int pg_db_digest_item_exists(struct store *st, const char *key)
{
    struct pg_args a = {0};
    pg_arg_text(&a, key);
    PGresult *r = pg_run(st, "SELECT 1 FROM digest_item WHERE key = $1", &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found;
}

int pg_db_digest_item_add(struct store *st, const char *key, const char *recipient, const char *digest, int64_t now)
{
    /* The key is unique: a second writer (the same job run again, on this
     * process or another) changes nothing and does not fail. */
    struct pg_args a = {0};
    pg_arg_text(&a, key);
    pg_arg_text(&a, recipient);
    pg_arg_text(&a, digest);
    pg_arg_int(&a, now);
    return pg_run_done(st,
                       "INSERT INTO digest_item(key, recipient, digest, at) VALUES ($1, $2, $3, $4) "
                       "ON CONFLICT (key) DO NOTHING",
                       &a);
}

int pg_db_jobs_capped_today(struct store *st, const char *phone, const char *day_iso, int64_t day_start,
                            int64_t day_end)
{
    /* Exact look-ups in the outbox's dedupe index: the digests carry the
     * recipient and the day in their keys; a parent's reminder carries the
     * guardian, found by phone. */
    static const char sql[] =
        "SELECT (SELECT count(*) FROM outbox WHERE dedupe_key IN ("
        "    'visit_digest:' || $1::text || ':' || $2::text, "
        "    'silent_digest:' || $1::text || ':' || $2::text, "
        "    'digest:' || $1::text || ':' || $2::text, 'triage:' || $1::text || ':' || $2::text)) "
        "  + (SELECT count(*) FROM guardian G JOIN outbox O "
        "    ON O.dedupe_key > 'checkin_remind:' || G.id || ':' "
        "    AND O.dedupe_key < 'checkin_remind:' || G.id || ';' "
        "    WHERE G.phone = $1::text AND O.created_at >= $3::bigint AND O.created_at < $4::bigint)";
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    pg_arg_text(&a, day_iso);
    pg_arg_int(&a, day_start);
    pg_arg_int(&a, day_end);
    PGresult *r = pg_run(st, sql, &a);
    if (!r) return -1;
    int n = PQntuples(r) == 1 ? (int)pg_int(r, 0, 0) : -1;
    PQclear(r);
    return n;
}

/* ---- triage ---------------------------------------------------------------- */

struct count_ctx {
    int (*fn)(void *arg, const char *phone, int count);
    void *arg;
};

static int count_row(const PGresult *r, int i, void *ctx)
{
    struct count_ctx *x = ctx;
    char phone[24];
    pg_text(r, i, 0, phone, sizeof phone);
    return x->fn(x->arg, phone, (int)pg_int(r, i, 1));
}

int pg_db_jobs_triage_counts(struct store *st, int (*fn)(void *arg, const char *phone, int count), void *arg)
{
    /* A case's county_id is a level-1 region, so a responder whose region
     * is that county is registered at the county. */
    static const char sql[] = "SELECT S.phone, count(*) FROM staff S "
                              "JOIN cases C ON C.county_id = S.region_id AND C.status = 'open' "
                              "  AND (C.classified = 0 OR C.priority = 3) "
                              "WHERE S.role = 'responder' AND S.department = 'civil_affairs' "
                              "GROUP BY S.phone ORDER BY S.phone";
    struct count_ctx x = {fn, arg};
    return each_row(st, sql, NULL, count_row, &x);
}
