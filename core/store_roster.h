/* core/store_roster.h - roster import (regions, staff, children, guardians)
 * and CSV export (visits, check-ins, cases, outbox, coverage). Included by
 * store.h.
 *
 * Import (DESIGN §4 "Roster CSV"). A roster file is UTF-8 CSV (a leading
 * BOM is skipped, CRLF or LF line ends, spaces around values trimmed) whose
 * first row names the columns; the documented columns must all be there, in
 * any order, and no others:
 *
 *   regions    path                                   县/镇/村, 1-3 levels
 *   staff      phone,name,role,region,department
 *   children   code,name,sex,birth_date,region,categories,flags
 *   guardians  phone,name,relation,child_code,away
 *
 * An import is one transaction: when any row is bad, nothing changes and
 * every bad row is reported with its physical line number in the file.
 * Re-importing is an upsert and idempotent: a row whose key (region path,
 * staff phone, child code, guardian phone + child code) is already in the
 * database updates it; rows absent from the file are left alone (import
 * never deletes). Import kinds refer to each other only through the
 * database, so import regions, then staff and children, then guardians.
 *
 * Export writes CSV with a header row to a FILE*: child codes, never child
 * names; staff and guardian phones masked (+86138****0001); never anything
 * about a case's reporter, nor the free text of a report or its outcome
 * note (those stay behind the audited API).
 */
#ifndef STORE_ROSTER_H
#define STORE_ROSTER_H

#include <stdint.h>
#include "calendar.h"
#include <stdio.h>

struct store;
struct gw_policy;
struct db_child;

#define STORE_ROSTER_FIELD_MAX  200    /* bytes in one value after trimming */
#define STORE_ROSTER_ROWS_MAX   100000 /* data rows in one file */
#define STORE_ROSTER_LINE_MAX   8192   /* bytes in one row (a longer one is an unclosed quote) */
#define STORE_ROSTER_REASON_MAX 400    /* bytes in one reported reason, NUL included */

enum store_roster_kind {
    STORE_ROSTER_REGIONS = 0,
    STORE_ROSTER_STAFF,
    STORE_ROSTER_CHILDREN,
    STORE_ROSTER_GUARDIANS,
};

/* "regions"|"staff"|"children"|"guardians" -> kind. 0, or -1 when unknown. */
int store_roster_kind_parse(const char *name, enum store_roster_kind *out);
const char *store_roster_kind_name(enum store_roster_kind kind);

struct store_import_opts {
    const char *country_code; /* digits ("86"): bare national phone numbers get it; NULL = "86" */
    int64_t now;              /* unix seconds: created_at of new rows; its local day is "today" */
    /* Called once per problem found, in file order: line is the physical
     * line (1-based) where the row starts, reason a short English sentence
     * naming the column and the value. May be NULL. reason is borrowed
     * for the call only. */
    void (*on_error)(void *arg, long line, const char *reason);
    void *arg;
};

struct store_import_result {
    long rows;      /* data rows read (header and blank rows excluded) */
    long inserted;  /* new rows; for regions, every region created, implied ancestors included */
    long updated;   /* rows already present whose values changed */
    long unchanged; /* rows already present and identical */
    long bad_rows;  /* rows (or header/file problems) reported through on_error */
    int bad_header; /* 1 when the header itself (or an empty file) was the problem */
};

/* Imports one roster file of the given kind from in (read to its end; the
 * caller opens and closes it). Expects no open transaction: runs its own.
 *
 * Validation (each failure is reported and makes the whole file fail):
 *  - any value: valid UTF-8, no control characters, at most
 *    STORE_ROSTER_FIELD_MAX bytes; the row has the header's field count
 *    (extra empty trailing fields are tolerated); a value appears where the
 *    column is required. A key repeated within the file is an error naming
 *    both lines.
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
 *    village; categories from left_behind|difficulty|orphan|unsupported
 *    ('|'-separated, at least one); flags from parent_disabled|
 *    child_disabled|psych (may be empty). Both are stored deduplicated in
 *    that canonical order. high_cadence is 1 when a flag is set (on update,
 *    a child raised by an earlier XL visit stays raised).
 *  - guardians: phone as for staff; child_code valid and already in the
 *    database; away yes|no|是|否|1|0; relation free text. One phone used
 *    with two different names in the file is an error naming both lines.
 *    A phone may be both staff and guardian.
 *
 * Returns 0 when the file was committed (res filled); 1 when it had bad
 * rows or a bad header (each reported through opts->on_error,
 * res->bad_rows > 0, nothing changed); -1 on a read or database error
 * (err says; nothing changed). opts and res may be NULL (defaults: "86",
 * the current time, no error callback). */
int store_import(struct store *st, enum store_roster_kind kind, FILE *in, const struct store_import_opts *opts,
                 struct store_import_result *res, char *err, size_t errlen);

/* ---- export ---------------------------------------------------------------- */

enum store_export_what {
    STORE_EXPORT_VISITS = 0,
    STORE_EXPORT_CHECKINS,
    STORE_EXPORT_CASES,
    STORE_EXPORT_OUTBOX,
    STORE_EXPORT_COVERAGE, /* store_export_coverage with the built-in policy and the process clock */
};

/* "visits"|"checkins"|"cases"|"outbox"|"coverage" -> what. 0, or -1 when unknown. */
int store_export_what_parse(const char *name, enum store_export_what *out);

/* Writes one CSV export to out: a header row, then one row per record,
 * oldest first, fields quoted only where needed, "\n" line ends, no BOM.
 * from/to (YYYY-MM-DD, inclusive, either may be NULL) filter on visit_date
 * for visits, and on the local calendar day (process time zone) of the
 * check-in's or the case's creation for the others. Columns:
 *
 *   visits    id,visit_date,child_code,region,result,problems,note,recorded_by,recorded_at
 *   checkins  id,checkin_date,child_code,region,status,return_date,note,guardian,relation,recorded_at
 *   cases     case_number,opened_at,category,classified,priority,status,departments,
 *             child_code,region,county,acknowledged_at,closed_at,outcome
 *
 * recorded_by and guardian are the masked phone of the director (or
 * supervisor) who recorded the visit and of the guardian who checked in;
 * relation is that guardian's relation to the child; region is the child's
 * village (for a case, the most precise region known). Empty fields mean
 * unknown or not yet (a case with no child, no county, not acknowledged).
 * Coded values are the code book's numbers (visit result 1-4, check-in
 * status 1-4, case category 1-9, outcome 1-4); priorities P0..P3;
 * departments joined with '|' in routing order; regions as paths;
 * timestamps ISO 8601 local time with offset (2024-05-01T09:30:00+08:00);
 * phones masked; a free-text note that starts with = + - @ (or a tab or
 * CR) gets a leading ' so spreadsheets do not run it as a formula.
 *
 * coverage is store_export_coverage below, with the built-in policy and
 * the gateway clock (gw_clock_now); callers with a config call that one.
 *
 * Returns 0 with *rows (may be NULL) rows written; -1 with err on a bad
 * date, a database error or a write error (the output may then be partial). */
int store_export(struct store *st, enum store_export_what what, const char *from, const char *to, FILE *out, long *rows,
                 char *err, size_t errlen);

/* Writes the coverage report (issue "coverage export"; DESIGN §7, domain
 * §4 R4.2-R4.5) as CSV to out, seen from `now` (unix seconds; local days
 * in the process time zone): a header row, then one row per region in
 * tree order (a county, then each town followed by its villages), "\n"
 * line ends. No names and no phone numbers. Columns:
 *
 *   level,region,children_in_scope,visited_in_person,visited_remote_only,
 *   overdue_7,overdue_30,parents_contacted_7d,parents_away,directors,
 *   villages_over_30_one_director,open_p0,open_p1,open_p2,open_p3,
 *   median_minutes_to_ack
 *
 * level is county|town|village and region its path. A town or county row
 * counts everything in its villages (and anything attached to it
 * directly). Every registered child is in scope (the roster holds the
 * children in scope; there is no age cut-off here). Definitions, per child
 * registered in the region:
 *  - cadence: pol->visit_days_high when the child has flags or was raised
 *    to the high cadence (an XL visit), else pol->visit_days.
 *  - a counting visit has result 1, 2 or 3 (in person); result 4 (phone or
 *    video) is remote and does not reset the clock. Visits dated after
 *    today are ignored.
 *  - due date: the last counting visit + cadence days; with no counting
 *    visit, the pol->first_visit_days-th working day (pol->work_days)
 *    after the local day of import, or import day + cadence when
 *    first_visit_days is 0.
 *  - visited_in_person: the last counting visit is less than cadence days
 *    before today (i.e. the child is not yet due again);
 *    visited_remote_only: not that, but a result-4 visit in the same
 *    window.
 *  - overdue_7: today is more than pol->overdue_days after the due date
 *    (the column keeps its name when the setting is changed); overdue_30:
 *    more than 30 days after it. A child in overdue_30 is in overdue_7 too.
 * Parents: parents_away counts the distinct guardians linked with away = 1
 * to a child of the region (once per region, even with children in two of
 * its villages); parents_contacted_7d those of them with a check-in in
 * (now - 7 days, now].
 * directors: directors registered in the region's villages;
 * villages_over_30_one_director: villages with more than 30 children and
 * exactly one director (for a village row, 1 or 0).
 * open_pN: cases of priority N not closed (open or acknowledged) whose most
 * precise known region (region_id, else county_id) is the region or within
 * it; a case with neither is in no row.
 * median_minutes_to_ack: median of (acked_at - opened_at) in minutes, one
 * decimal, over the region's cases opened within from/to (YYYY-MM-DD local
 * days, inclusive, either may be NULL for no bound) that have been
 * acknowledged (closing acknowledges), whatever their status; empty when
 * there are none. from/to bound nothing else: every other column is the
 * state at now.
 *
 * pol may be NULL (the config defaults: 30/14 days, first visit within 5
 * working days Monday-Friday, overdue after 7). Runs in one read
 * transaction of its own, or in the caller's when one is open. Returns 0
 * with *rows (may be NULL) data rows written; -1 with err on a bad date,
 * a database error or a write error (the output may then be partial). */
int store_export_coverage(struct store *st, const struct gw_policy *pol, int64_t now, const char *from, const char *to,
                          FILE *out, long *rows, char *err, size_t errlen);

/* ---- children by name ---------------------------------------------------------
 * A director may name a child instead of writing its code, and a reporter
 * may name a child in a report. A name identifies a child only when it is
 * unique where it is looked for; a name that is missing and a name that
 * several children share get different return values, but callers answer
 * both alike, so nobody learns who is registered. Both run inside the
 * caller's transaction. */

/* The one child named exactly `name` whose village is the region with path
 * `under` or lies below it (a village, town or county path). Returns 0 with
 * *out filled; 1 when there is none; 2 when several children have that
 * name there (*out untouched); -1 on a database error. */
int db_child_by_name(struct store *st, const char *name, const char *under, struct db_child *out);

/* For free text (a report's description): the one child under `under`
 * whose registered name (2 characters or more) occurs in text, when
 * exactly one child's name does. Several children named alike, or two
 * different names both in the text, are several (2), so a report is never
 * linked to the wrong one of them: it stays for triage. 0 with *out, 1
 * none, 2 several, -1 on a database error. */
int db_child_named_in(struct store *st, const char *text, const char *under, struct db_child *out);

/* ---- the visit-due rule ---------------------------------------------------------
 * One rule, one place: the reminders (handlers/jobs_visits.c), the coverage
 * export and the SMS questions (handlers/query.c) all decide when a child's
 * visit falls due with this function. Day numbers are days since
 * 1970-01-01 of a local calendar date (the numbering of cal_local_day and of
 * the coverage export).
 *
 * A child falls due `cadence` days after its last counting visit (result
 * 1, 2 or 3; a phone or video contact does not count), where cadence is
 * pol->visit_days_high on the high cadence (flagged, or raised by an XL
 * visit) and pol->visit_days otherwise. With no counting visit yet, the
 * first visit falls due on the pol->first_visit_days-th working day
 * (pol->work_days: bit 0 Monday ... bit 6 Sunday; an empty mask makes every
 * day one) after the day of registration, or cadence days after it when
 * first_visit_days is 0. pol NULL: the config's defaults (30/14 days, 5
 * working days Monday-Friday). Pure. */
#define STORE_NO_DAY INT64_MIN
int64_t store_visit_due_day(const struct gw_policy *pol, int high, int64_t last_visit_day, int64_t registered_day);

#endif
