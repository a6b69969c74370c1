/* tests/common/seed.h - a test's world, written the way the product writes
 * it: roster rows through the roster import (the CSV a county loads), and
 * visits, check-ins and cases through the store port's operations. No SQL
 * text, so a test seeded here runs on any store backend.
 *
 * Every function fails the running cmocka test (fail_msg) when the store or
 * the import refuses what it was given, with the reason.
 */
#ifndef TEST_SEED_H
#define TEST_SEED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;
struct db_case_new;

/* Imports csv (header row first, as in a roster file) of kind "regions",
 * "staff", "children" or "guardians" as of `now`, with country code 86.
 * Every row must be accepted. */
void seed_roster(struct store *st, const char *kind, const char *csv, int64_t now);

/* The id of a child (by code), staff member or guardian (by phone, E.164),
 * or region (by path). Fails the test when there is none. */
int64_t seed_child_id(struct store *st, const char *code);
int64_t seed_staff_id(struct store *st, const char *phone);
int64_t seed_guardian_id(struct store *st, const char *phone);
int64_t seed_region_id(struct store *st, const char *path);

/* A visit of child `code` by staff `phone` on `date` (YYYY-MM-DD) with
 * result 1-4 and problems (e.g. "XL|QG", may be NULL), recorded at `at`.
 * Returns its id. */
int64_t seed_visit(struct store *st, const char *code, const char *phone, const char *date, int result,
                   const char *problems, int64_t at);

/* A check-in of guardian `phone` for child `code` with status (1-3),
 * recorded at `at`. Returns its id. */
int64_t seed_checkin(struct store *st, const char *phone, const char *code, int status, int64_t at);

/* Opens the database at path (a temporary file, or a running gateway's; or
 * a postgresql:// URL, see seed_is_pg) through the store port, for seeding
 * beside the process that owns it. Close it with store_close. */
struct store *seed_open(const char *path);

/* Whether where (a store's "path" in these helpers) is a PostgreSQL URL
 * rather than an SQLite file. */
int seed_is_pg(const char *where);

/* Opens the store at where (an SQLite file, opened with sync_full, or a
 * PostgreSQL URL) without migrating. 0 and *out, or -1 with err. */
int seed_store_open(const char *where, int sync_full, struct store **out, char *err, size_t errlen);

/* Where a test's store lives: with GATEWAY_TEST_PG set, a new empty
 * PostgreSQL database's URL; else sqlite_path. Written to where
 * (SEED_PATH_MAX bytes). Fails the test when the database cannot be made. */
void seed_store_where(char *where, const char *sqlite_path);

/* With on non-zero, the following seed_store_where and seed_store_new
 * calls make SQLite stores even when GATEWAY_TEST_PG is set: for tests of
 * SQLite-only behaviour (its files, WAL, bytes PostgreSQL refuses). */
void seed_force_sqlite(int on);

/* Drops the PostgreSQL database at where (nothing for an SQLite file: the
 * test removes its files). */
void seed_store_drop(const char *where);

/* Writes the [store] section of a config for where: "path = where", or
 * "backend = postgres" and "url = where". */
void seed_store_ini(FILE *f, const char *where);

/* Opens case c as the domain does (db_case_open in a transaction of its
 * own) at `at`, which sets its number: the local day of `at` and the day's
 * next sequence. number (may be NULL) gets DB_CASE_NO_MAX + 1 bytes.
 * Returns its id. */
int64_t seed_case(struct store *st, const struct db_case_new *c, int64_t at, char *number);

/* Acknowledges case_id by staff_id at `at` (db_case_ack), and closes it
 * with outcome (1-4) and note (may be NULL) at `at` (db_case_close), each in
 * a transaction of its own. The case must be open (to acknowledge) or not
 * closed (to close). */
void seed_case_ack(struct store *st, int64_t case_id, int64_t staff_id, int64_t at);
void seed_case_close(struct store *st, int64_t case_id, int64_t staff_id, int outcome, const char *note, int64_t at);

/* The reporter row of phone (E.164), created at `at` on first use as a
 * report creates it (db_reporter_upsert in a transaction of its own).
 * Returns its id, for db_case_new.reporter_id. */
int64_t seed_reporter(struct store *st, const char *phone, int64_t at);

/* The child code of number n (0-9999) of village prefix (two digits: "10",
 * "20", "30"): prefix, n on four digits and the Damm check digit, into out
 * (8 bytes). Returns out. */
const char *seed_code(char *out, const char *prefix, int n);

/* A new, migrated store in a new temporary file "/tmp/<prefix>-XXXXXX",
 * whose name goes into path (SEED_PATH_MAX bytes); with GATEWAY_TEST_PG set,
 * in a new PostgreSQL database whose URL goes into path instead (not in the
 * test_pg_* programs: there it is their SQLite reference). Fails the test
 * when it cannot be made. */
#define SEED_PATH_MAX 128
struct store *seed_store_new(const char *prefix, char *path);
/* Closes st (NULL: nothing to close) and removes the file at path with its
 * WAL and shared-memory index (drops the database when path is a URL). */
void seed_store_free(struct store *st, const char *path);

/* Rows of an outbox as a version-17 gateway left it, in SQL both stores
 * take (region 1 and staff 7 there already): a message (inbox 5), an
 * approved broadcast (3), a delivered reply with a send attempt (1), a
 * queued keyed reminder (2) and a claimed keyed broadcast row (3). The
 * check after migrating: seed_check_outbox_keys(st, SEED_V17_KEY, 2, 5). */
#define SEED_V17_KEY "visit_due:C1:2023-12:+8613800000001"
#define SEED_V17_OUTBOX_ROWS                                                                                       \
    "INSERT INTO inbox(id, channel, provider_id, sender, raw_text, norm_text, received_at, stored_at)"             \
    " VALUES (5, 'generic', 'p-5', '+8613800000001', 'XL C1 1', 'XL C1 1', 1700000000, 1700000000);"             \
    "INSERT INTO broadcast(id, template, audience, status, created_by, created_at, recipients)"                   \
    " VALUES (3, 'notice', 'directors:示例县', 'approved', 7, 1700000000, 1);"                                     \
    "INSERT INTO outbox(id, channel, recipient, template, vars, body, kind, priority, status, inbox_id,"          \
    " dedupe_key, attempts, provider_msg_id, created_at, updated_at, sent_at, done_at)"                           \
    " VALUES (1, 'generic', '+8613800000001', 'visit_ok', '{\"code\":\"C1\"}', '已记录', 'reply', 1,"             \
    " 'delivered', 5, NULL, 1, 'm-1', 1700000000, 1700000001, 1700000001, 1700000002);"                           \
    "INSERT INTO outbox(id, recipient, template, body, kind, status, dedupe_key, created_at, updated_at,"          \
    " next_attempt_at) VALUES (2, '+8613800000001', 'visit_due', '请走访', 'reminder', 'queued', '" SEED_V17_KEY \
    "', 1700000000, 1700000000, 1700003600);"                                                                      \
    "INSERT INTO outbox(id, recipient, template, body, kind, status, broadcast_id, claimed_by, dedupe_key,"        \
    " created_at, updated_at) VALUES (3, '+8613800000001', 'broadcast', 'b', 'notice', 'sending', 3, 9,"          \
    " 'broadcast:3:+8613800000001', 1700000000, 1700000000);"                                                      \
    "INSERT INTO send_attempt(outbox_id, attempt, at, channel, http_status, result, provider_msg_id)"             \
    " VALUES (1, 1, 1700000001, 'generic', 200, 'ok', 'm-1');"

/* Asserts what the outbox's dedupe keys do after a migration, in a
 * transaction of its own: a row with key, held by row keyed_id already, is
 * not written and answers with keyed_id; two rows without a key, answers
 * to inbox row inbox_id, are both written. */
void seed_check_outbox_keys(struct store *st, const char *key, int64_t keyed_id, int64_t inbox_id);

#endif
