/* db/pg_child_record.c - PostgreSQL implementation of the fuller child
 * record (core/store_child_record.h): every column of the child with its
 * village's path and its first guardian.
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "pg_int.h"

/* The first guardian's column c (by guardian id) of child CH. */
#define FIRST_GUARDIAN(c)                                                                                              \
    "(SELECT " c " FROM guardian_child gc JOIN guardian g ON g.id = gc.guardian_id WHERE gc.child_id = CH.id "         \
    "ORDER BY g.id LIMIT 1)"

/* The text at (row, col), NULL for SQL NULL (owned by r). */
static const char *col(const PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

/* The record at row i of the result. */
static struct store_child_record read_record(const PGresult *r, int i)
{
    const char *flags = col(r, i, 7);
    return (struct store_child_record){
        .id = pg_int(r, i, 0),
        .code = col(r, i, 1),
        .name = col(r, i, 2),
        .sex = col(r, i, 3),
        .birth_date = col(r, i, 4),
        .region = col(r, i, 5),
        .categories = col(r, i, 6),
        .flags = flags ? flags : "",
        .id_number = col(r, i, 8),
        .id_masked = col(r, i, 9),
        .hukou = col(r, i, 10),
        .school = col(r, i, 11),
        .carer_name = col(r, i, 12),
        .carer_phone = col(r, i, 13),
        .carer_relation = col(r, i, 14),
        .care_agreement = pg_null(r, i, 15) ? -1 : pg_int(r, i, 15) != 0,
        .care_agreement_date = col(r, i, 16),
        .guardianship = col(r, i, 17),
        .updated_at = pg_int(r, i, 18),
        .guardian_name = col(r, i, 19),
        .guardian_phone = col(r, i, 20),
        .guardian_relation = col(r, i, 21),
    };
}

/* Calls fn for the child with that code (NULL: every child, by village
 * path then code, in byte order as SQLite sorts): 0, fn's non-zero value,
 * or -1. */
int pg_store_child_records_each(struct store *st, const char *code,
                                int (*fn)(void *arg, const struct store_child_record *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_text(&a, code);
    PGresult *r = pg_run(
        st,
        "SELECT CH.id, CH.code, CH.name, CH.sex, CH.birth_date, R.path, CH.categories, CH.flags, CH.id_number, "
        "CH.id_masked, CH.hukou, CH.school, CH.carer_name, CH.carer_phone, CH.carer_relation, CH.care_agreement, "
        "CH.care_agreement_date, CH.guardianship, CH.updated_at, " FIRST_GUARDIAN("g.name") ", " FIRST_GUARDIAN(
            "g.phone") ", " FIRST_GUARDIAN("gc.relation") " FROM child CH JOIN region R ON R.id = CH.region_id "
                                                          "WHERE $1::text IS NULL OR CH.code = $1::text "
                                                          "ORDER BY R.path COLLATE \"C\", CH.code COLLATE \"C\"",
        &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_child_record rec = read_record(r, i);
        stop = fn(arg, &rec);
    }
    PQclear(r);
    return stop;
}
