/* handlers/roster_import.h - roster import: regions, staff, children and
 * guardians from CSV files, checked row by row and written through the
 * store's row operations (core/store_roster.h).
 *
 * A roster file is UTF-8 CSV (a leading BOM is skipped, CRLF or LF line
 * ends, spaces around values trimmed) whose first row names the columns;
 * the documented columns must all be there, in any order, and no others
 * (children's optional columns may be there or not, anywhere):
 *
 *   regions    path                                   县/镇/村, 1-3 levels
 *   staff      phone,name,role,region,department
 *   children   code,name,sex,birth_date,region,categories,flags
 *              optional: id_number,hukou,school,carer_name,carer_phone,
 *              carer_relation,care_agreement,care_agreement_date,guardianship
 *   guardians  phone,name,relation,child_code,away
 *
 * An import is one transaction: when any row is bad, nothing changes and
 * every bad row is reported with its physical line number in the file.
 * Re-importing is an upsert and idempotent: a row whose key (region path,
 * staff phone, child code, guardian phone + child code) is already in the
 * database updates it; rows absent from the file are left alone (import
 * never deletes). Import kinds refer to each other only through the
 * database, so import regions, then staff and children, then guardians.
 */
#ifndef H_ROSTER_IMPORT_H
#define H_ROSTER_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;

#define ROSTER_FIELD_MAX  200    /* bytes in one value after trimming */
#define ROSTER_ROWS_MAX   100000 /* data rows in one file */
#define ROSTER_LINE_MAX   8192   /* bytes in one row (a longer one is an unclosed quote) */
#define ROSTER_REASON_MAX 400    /* bytes in one reported reason, NUL included */

enum roster_kind {
    ROSTER_REGIONS = 0,
    ROSTER_STAFF,
    ROSTER_CHILDREN,
    ROSTER_GUARDIANS,
};

/* "regions"|"staff"|"children"|"guardians" -> kind. 0, or -1 when unknown. */
int roster_kind_parse(const char *name, enum roster_kind *out);
const char *roster_kind_name(enum roster_kind kind);

struct roster_import_opts {
    const char *country_code; /* digits ("86"): bare national phone numbers get it; NULL = "86" */
    /* Called once per problem found, in file order: line is the physical
     * line (1-based) where the row starts, reason a short English sentence
     * naming the column and the value. May be NULL. reason is borrowed
     * for the call only. */
    void (*on_error)(void *arg, long line, const char *reason);
    void *arg;
    /* The key ID numbers are sealed with (core/secret.h, GW_SECRET_KEY_LEN
     * bytes, borrowed), or NULL: a children row with an id_number is then
     * an error. */
    const unsigned char *id_key;
};

struct roster_import_result {
    long rows;      /* data rows read (header and blank rows excluded) */
    long inserted;  /* new rows; for regions, every region created, implied ancestors included */
    long updated;   /* rows already present whose values changed */
    long unchanged; /* rows already present and identical */
    long bad_rows;  /* rows (or header/file problems) reported through on_error */
    int bad_header; /* 1 when the header itself (or an empty file) was the problem */
};

/* Imports one roster file of the given kind from in (read to its end; the
 * caller opens and closes it) as of `now` (unix seconds: created_at of new
 * rows; its local day is "today"). Expects no open transaction: runs its
 * own.
 *
 * Validation (each failure is reported and makes the whole file fail):
 *  - any value: valid UTF-8, no control characters, at most
 *    ROSTER_FIELD_MAX bytes; the row has the header's field count (extra
 *    empty trailing fields are tolerated); a value appears where the column
 *    is required. A key repeated within the file is an error naming both
 *    lines.
 *  - regions: 1-3 non-empty '/'-separated levels (1 county, 2 town,
 *    3 village); missing ancestors are created.
 *  - staff: phone normalised to E.164 with country_code (a +86 number must
 *    be an 11-digit mobile starting with 1; others 8-15 digits); role
 *    director|supervisor|responder|admin; region must exist; a director's
 *    region is a village, a supervisor's a town or county; department (from
 *    公安|民政|教育|卫健|网信|妇联|团委 or police|civil_affairs|education|
 *    health|cyberspace|women|youth, stored as the English code) is required
 *    for responders and, when given for others, must be valid.
 *  - children: code 7 digits with a valid Damm check digit; sex M|F|男|女;
 *    birth_date a real YYYY-MM-DD from 1900 up to today; region an existing
 *    village; categories from left_behind|difficulty|orphan|unsupported|
 *    single_parent ('|'-separated, at least one); flags from
 *    parent_disabled|child_disabled|psych (may be empty). Both are stored
 *    deduplicated in that canonical order. The child is on the high
 *    cadence when a flag is set (on update, a child raised by an earlier XL
 *    visit stays raised). Optional columns: id_number an 18-character
 *    mainland ID (GB 11643 check digit; its birth date that of birth_date),
 *    stored only sealed with opts->id_key (core/secret.h) and as
 *    210102********123X; carer_phone as a staff phone; care_agreement
 *    yes|no|是|否|1|0 (empty: unknown); care_agreement_date a real
 *    YYYY-MM-DD up to today; hukou, school, carer_name, carer_relation and
 *    guardianship free text. A reason never repeats an ID number. An
 *    optional column the file has replaces the stored value (empty clears
 *    it); one it lacks leaves the stored value alone. Every changed field
 *    of a child already there is logged (store_child_upsert).
 *  - guardians: phone as for staff; child_code valid and already in the
 *    database; away yes|no|是|否|1|0; relation free text. One phone used
 *    with two different names in the file is an error naming both lines.
 *    A phone may be both staff and guardian.
 *
 * Returns 0 when the file was committed (res filled); 1 when it had bad
 * rows or a bad header (each reported through opts->on_error,
 * res->bad_rows > 0, nothing changed); -1 on a read or database error
 * (err says; nothing changed). opts and res may be NULL (defaults: "86",
 * no error callback). */
int roster_import(struct store *st, enum roster_kind kind, FILE *in, int64_t now, const struct roster_import_opts *opts,
                  struct roster_import_result *res, char *err, size_t errlen);

#endif
