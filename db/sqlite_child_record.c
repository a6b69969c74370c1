/* db/sqlite_child_record.c - SQLite implementation of the fuller child
 * record (core/store_child_record.h): every column of the child with its
 * village's path and its first guardian.
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "store_int.h"

/* The first guardian's column c (by guardian id) of child CH. */
#define FIRST_GUARDIAN(c)                                                                                              \
    "(SELECT " c " FROM guardian_child gc JOIN guardian g ON g.id = gc.guardian_id WHERE gc.child_id = CH.id "         \
    "ORDER BY g.id LIMIT 1)"

/* The record at the statement's cursor. */
static struct store_child_record read_record(sqlite3_stmt *s)
{
    return (struct store_child_record){
        STORE_CHILD_HEAD(s),
        .id_number = store_col(s, 8),
        .id_masked = store_col(s, 9),
        .hukou = store_col(s, 10),
        .school = store_col(s, 11),
        .carer_name = store_col(s, 12),
        .carer_phone = store_col(s, 13),
        .carer_relation = store_col(s, 14),
        .care_agreement = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 15) != 0,
        .care_agreement_date = store_col(s, 16),
        .guardianship = store_col(s, 17),
        .updated_at = sqlite3_column_int64(s, 18),
        .guardian_name = store_col(s, 19),
        .guardian_phone = store_col(s, 20),
        .guardian_relation = store_col(s, 21),
    };
}

int sqlite_store_child_records_each(struct store *st, const char *code,
                                    int (*fn)(void *arg, const struct store_child_record *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(
        st,
        "SELECT " STORE_CHILD_HEAD_COLS
        ", CH.id_number, CH.id_masked, CH.hukou, CH.school, CH.carer_name, CH.carer_phone, CH.carer_relation, "
        "CH.care_agreement, "
        "CH.care_agreement_date, CH.guardianship, CH.updated_at, " FIRST_GUARDIAN("g.name") ", " FIRST_GUARDIAN(
            "g.phone") ", " FIRST_GUARDIAN("gc.relation") " FROM child CH JOIN region R ON R.id = CH.region_id "
                                                          "WHERE ?1 IS NULL OR CH.code = ?1 ORDER BY R.path, CH.code");
    if (!s) return -1;
    store_bind_text(s, 1, code);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_child_record r = read_record(s);
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}
