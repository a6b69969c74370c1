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

#include <stdint.h>

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

/* Opens the database at path (a temporary file, or a running gateway's)
 * through the store port, for seeding beside the process that owns it.
 * Close it with store_close. */
struct store *seed_open(const char *path);

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
 * whose name goes into path (SEED_PATH_MAX bytes). Fails the test when it
 * cannot be made. */
#define SEED_PATH_MAX 96
struct store *seed_store_new(const char *prefix, char *path);
/* Closes st (NULL: nothing to close) and removes the file at path with its
 * WAL and shared-memory index. */
void seed_store_free(struct store *st, const char *path);

#endif
