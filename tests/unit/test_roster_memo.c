/* tests/unit/test_roster_memo.c - the SQLite roster memo (sqlite_roster_memo)
 * never serves stale roster data. With real files in a temporary folder: store
 * A has the memo, store B is a second connection to the same file through the
 * same store code without one (a roster import by another process), and a
 * plain sqlite3 connection changes rows behind the store code's back (which
 * does not move the roster mark, PRAGMA user_version). A hit is served from the
 * memo; another connection's committed roster change (staff, child, guardian,
 * region, a county's responders, and a negative answer) is seen at A's next
 * store_begin; a roster write on A's own connection, a rollback and a
 * rollback to a savepoint empty it at once; a minute-old memo is emptied at
 * store_begin; and the mark moves exactly when a roster change commits.
 * SQLite only, also when GATEWAY_TEST_PG is set: it tests a SQLite feature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../db/store_int.h"

#define NOW       1700000000
#define ALICE     "+8613800000001" /* a supervisor of the village */
#define BOB       "+8613800000002" /* a responder (police) of the county */
#define CAROL     "+8613800000003" /* not in the roster at first */
#define DAVE      "+8613800000004" /* added by B to move the mark */
#define GUARDIAN  "+8613900000001" /* the child's guardian */
#define GUARDIAN2 "+8613900000002" /* not in the roster at first */
#define CHILD     "1234567"
#define COUNTY    "Anxian"
#define TOWN      "Anxian/Bzhen"
#define VILLAGE   "Anxian/Bzhen/Ccun"
#define VILLAGE2  "Anxian/Bzhen/Dcun" /* a second village, made by the test */

/* The test's world: the folder, the file, stores A (memo) and B (none), a
 * raw connection, and the ids seeded. */
struct world {
    char dir[64];
    char path[128];
    struct store *a, *b;
    sqlite3 *raw;
    int64_t county, town, village, child;
};

static int teardown(void **state);

/* Fails the test when rc is negative (a store call that must work). */
static void ok(int rc, const char *what)
{
    if (rc < 0) fail_msg("%s failed (%d)", what, rc);
}

/* Runs sql on the raw connection (which moves no mark). */
static void raw(struct world *w, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(w->raw, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("raw sql %s: %s", sql, msg ? msg : "?");
    }
}

/* PRAGMA user_version, read on the raw connection. */
static int64_t user_version(struct world *w)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(w->raw, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Upserts a staff member on st in a transaction of its own and commits. */
static void staff_commit(struct store *st, const char *phone, const char *role, int64_t region, const char *dept)
{
    struct store_staff_row r = {.phone = phone, .name = "Staff", .role = role, .region_id = region, .department = dept};
    assert_int_equal(store_begin(st), 0);
    ok(store_staff_upsert(st, &r, NOW), "store_staff_upsert");
    assert_int_equal(store_commit(st), 0);
}

/* The child row of the world, in region region_id. */
static struct store_child_row child_row(int64_t region_id)
{
    return (struct store_child_row){.code = CHILD,
                                    .name = "Child",
                                    .sex = "F",
                                    .birth_date = "2015-01-01",
                                    .region_id = region_id,
                                    .categories = "left_behind",
                                    .flags = "",
                                    .care_agreement = -1};
}

/* A's staff member by phone in a transaction of its own: the return code, *out. */
static int staff_on_a(struct world *w, const char *phone, struct db_staff *out)
{
    memset(out, 0, sizeof *out);
    assert_int_equal(store_begin(w->a), 0);
    int rc = db_staff_by_phone(w->a, phone, out);
    assert_int_equal(store_commit(w->a), 0);
    return rc;
}

/* Opens st on the world's file; fails the test when it cannot. */
static struct store *open_store(struct world *w)
{
    struct store *st = NULL;
    char err[256] = "";
    if (sqlite_store_open(w->path, 0, &st, err, sizeof err) != 0) fail_msg("open: %s", err);
    return st;
}

/* Makes the folder and the migrated file, seeds a county, town and village,
 * staff ALICE (supervisor of the village) and BOB (police responder of the
 * county), a child in the village and its guardian (all through B), and opens
 * A with the memo and the raw connection. */
static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    if (!w) return -1;
    *state = w;
    snprintf(w->dir, sizeof w->dir, "/tmp/gw-memo-XXXXXX");
    if (!mkdtemp(w->dir)) return -1;
    snprintf(w->path, sizeof w->path, "%s/gw.sqlite", w->dir);
    w->b = open_store(w);
    char err[256] = "";
    if (store_migrate(w->b, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    assert_int_equal(store_begin(w->b), 0);
    assert_int_equal(store_region_insert(w->b, 0, COUNTY, COUNTY, 1, &w->county), 0);
    assert_int_equal(store_region_insert(w->b, w->county, "Bzhen", TOWN, 2, &w->town), 0);
    assert_int_equal(store_region_insert(w->b, w->town, "Ccun", VILLAGE, 3, &w->village), 0);
    struct store_staff_row alice = {.phone = ALICE, .name = "Alice", .role = "supervisor", .region_id = w->village};
    struct store_staff_row bob = {
        .phone = BOB, .name = "Bob", .role = "responder", .region_id = w->county, .department = "police"};
    assert_int_equal(store_staff_upsert(w->b, &alice, NOW), STORE_INSERTED);
    assert_int_equal(store_staff_upsert(w->b, &bob, NOW), STORE_INSERTED);
    struct store_child_row c = child_row(w->village);
    ok(store_child_upsert(w->b, &c, NOW), "store_child_upsert");
    assert_int_equal(store_child_id(w->b, CHILD, &w->child), 0);
    struct store_guardian_row g = {.phone = GUARDIAN, .name = "Mum", .relation = "mother", .child_id = w->child};
    assert_int_equal(store_guardian_upsert(w->b, &g, NOW), STORE_INSERTED);
    assert_int_equal(store_commit(w->b), 0);
    w->a = open_store(w);
    assert_int_equal(sqlite_roster_memo(w->a), 0);
    assert_int_equal(sqlite3_open(w->path, &w->raw), SQLITE_OK);
    sqlite3_busy_timeout(w->raw, 5000);
    return 0;
}

/* Closes what is open and removes the files and the folder. */
static int teardown(void **state)
{
    struct world *w = *state;
    if (!w) return 0;
    if (w->raw) sqlite3_close(w->raw);
    if (w->a) store_close(w->a);
    if (w->b) store_close(w->b);
    static const char *const side[] = {"", "-wal", "-shm", "-journal"};
    for (size_t k = 0; k < sizeof side / sizeof side[0]; k++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", w->path, side[k]);
        unlink(p);
    }
    rmdir(w->dir);
    free(w);
    return 0;
}

/* 1. A hit is served from the memo: a change the store code did not make
 * (raw SQL, no mark moved) is not seen by A until B commits a roster change. */
static void hit_served_until_mark_moves(void **state)
{
    struct world *w = *state;
    struct db_staff s1, s2;
    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s1), 0);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s2), 0);
    assert_int_equal(store_commit(w->a), 0);
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_string_equal(s1.role, "supervisor");

    int64_t mark = user_version(w);
    raw(w, "UPDATE staff SET role = 'director' WHERE phone = '" ALICE "'");
    assert_int_equal(user_version(w), mark);
    assert_int_equal(staff_on_a(w, ALICE, &s1), 0);
    assert_string_equal(s1.role, "supervisor"); /* the memo's answer: it is in use */

    staff_commit(w->b, DAVE, "director", w->village, NULL);
    assert_int_equal(user_version(w), mark + 1);
    assert_int_equal(staff_on_a(w, ALICE, &s1), 0);
    assert_string_equal(s1.role, "director");
}

/* 2. B's committed change of a staff member's role and region, and of a
 * child's region, is seen at A's next store_begin. */
static void other_connection_change_seen(void **state)
{
    struct world *w = *state;
    struct db_staff s;
    struct db_child c;
    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s), 0);
    assert_int_equal(db_child_by_code(w->a, CHILD, &c), 0);
    assert_int_equal(store_commit(w->a), 0);
    assert_string_equal(s.role, "supervisor");
    assert_int_equal(s.region.id, w->village);
    assert_int_equal(c.region.id, w->village);

    staff_commit(w->b, ALICE, "director", w->town, NULL);
    assert_int_equal(staff_on_a(w, ALICE, &s), 0);
    assert_string_equal(s.role, "director");
    assert_int_equal(s.region.id, w->town);
    assert_string_equal(s.region.path, TOWN);

    int64_t village2;
    assert_int_equal(store_begin(w->b), 0);
    assert_int_equal(store_region_insert(w->b, w->town, "Dcun", VILLAGE2, 3, &village2), 0);
    struct store_child_row row = child_row(village2);
    assert_int_equal(store_child_upsert(w->b, &row, NOW + 1), STORE_UPDATED);
    assert_int_equal(store_commit(w->b), 0);
    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_child_by_code(w->a, CHILD, &c), 0);
    assert_int_equal(store_commit(w->a), 0);
    assert_int_equal(c.region.id, village2);
    assert_string_equal(c.region.path, VILLAGE2);
}

/* 3. A negative answer is not kept past B's commit of the row it lacked. */
static void negative_answer_dropped(void **state)
{
    struct world *w = *state;
    struct db_staff s;
    assert_int_equal(staff_on_a(w, CAROL, &s), 1);
    assert_int_equal(staff_on_a(w, CAROL, &s), 1);
    staff_commit(w->b, CAROL, "director", w->village, NULL);
    assert_int_equal(staff_on_a(w, CAROL, &s), 0);
    assert_string_equal(s.role, "director");
    assert_int_equal(s.region.id, w->village);
}

/* 4. A roster write on A's own connection empties the memo at once, inside
 * the transaction. */
static void same_connection_write(void **state)
{
    struct world *w = *state;
    struct db_child c;
    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_child_by_code(w->a, CHILD, &c), 0);
    assert_int_equal(c.high_cadence, 0);
    assert_int_equal(db_child_by_code(w->a, CHILD, &c), 0);
    assert_int_equal(c.high_cadence, 0);
    ok(db_child_set_high_cadence(w->a, c.id), "db_child_set_high_cadence");
    assert_int_equal(db_child_by_code(w->a, CHILD, &c), 0);
    assert_int_equal(c.high_cadence, 1);
    assert_int_equal(store_commit(w->a), 0);
    /* A's own commit moved the mark; the next transaction still answers 1 */
    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_child_by_code(w->a, CHILD, &c), 0);
    assert_int_equal(store_commit(w->a), 0);
    assert_int_equal(c.high_cadence, 1);
}

/* 5. What the memo learnt in a transaction (or savepoint) that rolled back is
 * forgotten. */
static void rollback_forgets(void **state)
{
    struct world *w = *state;
    struct db_staff s;
    struct store_staff_row r = {.phone = ALICE, .name = "Alice", .role = "director", .region_id = w->village};

    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s), 0);
    assert_string_equal(s.role, "supervisor");
    assert_int_equal(store_staff_upsert(w->a, &r, NOW), STORE_UPDATED);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s), 0);
    assert_string_equal(s.role, "director");
    assert_int_equal(store_rollback(w->a), 0);
    assert_int_equal(staff_on_a(w, ALICE, &s), 0);
    assert_string_equal(s.role, "supervisor");

    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s), 0);
    assert_string_equal(s.role, "supervisor");
    assert_int_equal(store_savepoint(w->a), 0);
    assert_int_equal(store_staff_upsert(w->a, &r, NOW), STORE_UPDATED);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s), 0);
    assert_string_equal(s.role, "director");
    assert_int_equal(store_rollback_to(w->a), 0);
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s), 0);
    assert_string_equal(s.role, "supervisor");
    assert_int_equal(store_commit(w->a), 0);
    assert_int_equal(staff_on_a(w, ALICE, &s), 0);
    assert_string_equal(s.role, "supervisor");
}

/* 6. A county's responders, a guardian by phone and a region by path and by
 * id are answered from the memo (a raw change is not seen) and emptied by
 * B's commit of a roster change. */
static void other_lookups_emptied(void **state)
{
    struct world *w = *state;
    char phones[8][DB_PHONE_LEN];
    int64_t gid = 0;
    struct db_region reg;
    int64_t next_id = w->village + 100;
    char sql[256];

    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_county_responders(w->a, w->county, "police", phones, 8), 1);
    assert_string_equal(phones[0], BOB);
    assert_int_equal(db_guardian_by_phone(w->a, GUARDIAN, &gid), 0);
    assert_int_equal(db_guardian_by_phone(w->a, GUARDIAN2, &gid), 1);
    assert_int_equal(db_region_by_path(w->a, VILLAGE2, &reg), 1);
    assert_int_equal(db_region_by_id(w->a, next_id, &reg), 1);
    assert_int_equal(db_region_by_id(w->a, w->village, &reg), 0);
    assert_string_equal(reg.path, VILLAGE);
    assert_int_equal(store_commit(w->a), 0);

    /* behind the store code's back: no mark moved */
    snprintf(sql, sizeof sql,
             "INSERT INTO staff(phone, name, role, region_id, department, created_at)"
             " VALUES ('%s', 'Eve', 'responder', %lld, 'police', %d)",
             CAROL, (long long)w->county, NOW);
    raw(w, sql);
    raw(w, "INSERT INTO guardian(phone, name, created_at) VALUES ('" GUARDIAN2 "', 'Dad', 1700000000)");
    snprintf(sql, sizeof sql, "INSERT INTO region(id, parent_id, name, path, level) VALUES (%lld, %lld, 'Dcun', '%s', 3)",
             (long long)next_id, (long long)w->town, VILLAGE2);
    raw(w, sql);
    snprintf(sql, sizeof sql, "UPDATE region SET path = 'Anxian/Bzhen/Ecun' WHERE id = %lld", (long long)w->village);
    raw(w, sql);

    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_county_responders(w->a, w->county, "police", phones, 8), 1);
    assert_int_equal(db_guardian_by_phone(w->a, GUARDIAN2, &gid), 1);
    assert_int_equal(db_region_by_path(w->a, VILLAGE2, &reg), 1);
    assert_int_equal(db_region_by_id(w->a, next_id, &reg), 1);
    assert_int_equal(db_region_by_id(w->a, w->village, &reg), 0);
    assert_string_equal(reg.path, VILLAGE);
    assert_int_equal(store_commit(w->a), 0);

    staff_commit(w->b, DAVE, "director", w->town, NULL);

    assert_int_equal(store_begin(w->a), 0);
    assert_int_equal(db_county_responders(w->a, w->county, "police", phones, 8), 2);
    assert_string_equal(phones[0], BOB);
    assert_string_equal(phones[1], CAROL);
    assert_int_equal(db_guardian_by_phone(w->a, GUARDIAN2, &gid), 0);
    assert_true(gid > 0);
    assert_int_equal(db_region_by_path(w->a, VILLAGE2, &reg), 0);
    assert_int_equal(reg.id, next_id);
    assert_int_equal(reg.county_id, w->county);
    assert_int_equal(db_region_by_id(w->a, next_id, &reg), 0);
    assert_string_equal(reg.path, VILLAGE2);
    assert_int_equal(db_region_by_id(w->a, w->village, &reg), 0);
    assert_string_equal(reg.path, "Anxian/Bzhen/Ecun");
    assert_int_equal(store_commit(w->a), 0);
}

/* 7. The mark moves exactly when a roster change commits: not for other
 * writes, not for a roster change rolled back, by one for a committed one. */
static void mark_moves_on_roster_commit(void **state)
{
    struct world *w = *state;
    int64_t mark = user_version(w), id = 0;

    assert_int_equal(store_begin(w->b), 0);
    assert_int_equal(db_optout_set(w->b, GUARDIAN, "sms", NOW), 0);
    ok(db_reporter_upsert(w->b, "+8613700000001", NOW, &id), "db_reporter_upsert");
    ok(store_health_write(w->b, NOW), "store_health_write");
    assert_int_equal(store_commit(w->b), 0);
    assert_int_equal(user_version(w), mark);

    struct store_staff_row r = {.phone = DAVE, .name = "Dave", .role = "director", .region_id = w->village};
    assert_int_equal(store_begin(w->b), 0);
    assert_int_equal(store_staff_upsert(w->b, &r, NOW), STORE_INSERTED);
    assert_int_equal(store_rollback(w->b), 0);
    assert_int_equal(user_version(w), mark);

    staff_commit(w->b, DAVE, "director", w->village, NULL);
    assert_int_equal(user_version(w), mark + 1);

    /* the memo's own connection moves it too */
    staff_commit(w->a, DAVE, "supervisor", w->village, NULL);
    assert_int_equal(user_version(w), mark + 2);

    /* a transaction after a roster one, with no roster write, does not */
    assert_int_equal(store_begin(w->b), 0);
    assert_int_equal(db_optout_set(w->b, BOB, "sms", NOW), 0);
    assert_int_equal(store_commit(w->b), 0);
    assert_int_equal(user_version(w), mark + 2);
}

/* 8. A memo a minute old is emptied at store_begin even when no mark moved
 * (a change by a tool that does not move it). */
static void minute_old_memo_emptied(void **state)
{
    struct world *w = *state;
    struct db_staff s;
    assert_int_equal(staff_on_a(w, ALICE, &s), 0);
    assert_string_equal(s.role, "supervisor");
    raw(w, "UPDATE staff SET role = 'director' WHERE phone = '" ALICE "'");
    assert_int_equal(staff_on_a(w, ALICE, &s), 0);
    assert_string_equal(s.role, "supervisor"); /* held */
    sqlite_of(w->a)->memo_since -= 61;         /* as if a minute had gone by */
    assert_int_equal(staff_on_a(w, ALICE, &s), 0);
    assert_string_equal(s.role, "director");
}

/* 9. A roster change committed outside store_begin moves the mark too: by
 * a savepoint that is its own transaction (at its release), and by a
 * statement on its own (at the connection's next commit). Outside
 * store_begin the memo is not consulted at all. */
static void mark_moves_outside_begin(void **state)
{
    struct world *w = *state;
    int64_t mark = user_version(w);
    struct store_staff_row r = {.phone = DAVE, .name = "Dave", .role = "director", .region_id = w->village};
    assert_int_equal(store_savepoint(w->b), 0);
    assert_int_equal(store_staff_upsert(w->b, &r, NOW), STORE_INSERTED);
    assert_int_equal(store_release(w->b), 0);
    assert_int_equal(user_version(w), mark + 1);

    r.role = "supervisor";
    assert_int_equal(store_staff_upsert(w->b, &r, NOW), STORE_UPDATED); /* no transaction: autocommit */
    assert_int_equal(store_begin(w->b), 0);
    assert_int_equal(store_commit(w->b), 0);
    assert_int_equal(user_version(w), mark + 2);

    struct db_staff s;
    assert_int_equal(staff_on_a(w, ALICE, &s), 0); /* the memo holds ALICE */
    raw(w, "UPDATE staff SET role = 'director' WHERE phone = '" ALICE "'");
    assert_int_equal(db_staff_by_phone(w->a, ALICE, &s), 0); /* outside a transaction: read afresh */
    assert_string_equal(s.role, "director");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hit_served_until_mark_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(other_connection_change_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(negative_answer_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(same_connection_write, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_forgets, setup, teardown),
        cmocka_unit_test_setup_teardown(other_lookups_emptied, setup, teardown),
        cmocka_unit_test_setup_teardown(mark_moves_on_roster_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(minute_old_memo_emptied, setup, teardown),
        cmocka_unit_test_setup_teardown(mark_moves_outside_begin, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
