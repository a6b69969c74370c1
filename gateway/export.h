/* gateway/export.h - the CSV exports (visits, check-ins, cases, outbox,
 * coverage, children) written to a FILE*: the store's rows
 * (core/store_roster.h, core/store_child.h) and the domain's coverage
 * report (handlers/coverage.h) formatted for a spreadsheet.
 *
 * Every export has a header row, then one row per record, fields quoted
 * only where needed, "\n" line ends, no BOM. Child codes, never child
 * names, except in the children export (the register itself); staff,
 * guardian and carer phones masked (+86138****0001); national ID numbers
 * only masked (210102********123X); never anything about a case's
 * reporter, nor the free text of a report or its outcome note (those stay
 * behind the audited API).
 */
#ifndef GW_EXPORT_H
#define GW_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;
struct gw_policy;

enum export_what {
    EXPORT_VISITS = 0,
    EXPORT_CHECKINS,
    EXPORT_CASES,
    EXPORT_OUTBOX,
    EXPORT_COVERAGE,
    EXPORT_CHILDREN,
};

/* "visits"|"checkins"|"cases"|"outbox"|"coverage"|"children" -> what. 0, or -1 when unknown. */
int export_what_parse(const char *name, enum export_what *out);

/* Writes one CSV export to out, oldest first. from/to (YYYY-MM-DD,
 * inclusive, either may be NULL) filter on visit_date for visits, and on
 * the local calendar day (process time zone) of the check-in's, the case's
 * or the outbox row's creation for the others. Columns:
 *
 *   visits    id,visit_date,child_code,region,result,problems,note,recorded_by,recorded_at
 *   checkins  id,checkin_date,child_code,region,status,return_date,note,guardian,relation,recorded_at
 *   cases     case_number,opened_at,category,classified,priority,status,departments,
 *             child_code,region,county,acknowledged_at,closed_at,outcome
 *   outbox    id,created_at,kind,priority,channel,recipient,template,provider_msg_id,status,attempts,
 *             last_error,sent_at,done_at
 *
 * recorded_by and guardian are the masked phone of the director (or
 * supervisor) who recorded the visit and of the guardian who checked in;
 * relation is that guardian's relation to the child; region is the child's
 * village (for a case, the most precise region known). Empty fields mean
 * unknown or not yet. Coded values are the code book's numbers;
 * priorities P0..P3; departments joined with '|' in routing order; regions
 * as paths; timestamps ISO 8601 local time with offset
 * (2024-05-01T09:30:00+08:00); phones masked; a free-text value that
 * starts with = + - @ (or a tab or CR) gets a leading ' so spreadsheets do
 * not run it as a formula. coverage is export_coverage with pol and now;
 * children is export_children with pol and now (from/to do not apply).
 *
 * Returns 0 with *rows (may be NULL) rows written; -1 with err on a bad
 * date, a database error or a write error (the output may then be partial). */
int export_csv(struct store *st, enum export_what what, const struct gw_policy *pol, int64_t now, const char *from,
               const char *to, FILE *out, long *rows, char *err, size_t errlen);

/* Writes the coverage report (handlers/coverage.h) seen from `now` under
 * pol (NULL: the defaults) as CSV: one row per region in tree order, no
 * names and no phone numbers. Columns:
 *
 *   level,region,children_in_scope,aged_out,visited_in_person,
 *   visited_remote_only,overdue_7,overdue_30,parents_contacted_7d,
 *   parents_away,directors,villages_over_30_one_director,open_p0,open_p1,
 *   open_p2,open_p3,median_minutes_to_ack
 *
 * level is county|town|village and region its path; overdue_7 is more than
 * pol->overdue_days past due (the column keeps its name when the setting
 * is changed). median_minutes_to_ack (one decimal, empty when there is
 * none) is over the cases opened within from/to (YYYY-MM-DD local days,
 * inclusive, either may be NULL); from/to bound nothing else: every other
 * column is the state at now. Returns as export_csv. */
int export_coverage(struct store *st, const struct gw_policy *pol, int64_t now, const char *from, const char *to,
                    FILE *out, long *rows, char *err, size_t errlen);

/* Writes the register, one row per child by code:
 *
 *   code,name,sex,birth_date,region,categories,flags,id_masked,hukou,school,
 *   carer_name,carer_phone,carer_relation,care_agreement,care_agreement_date,
 *   guardianship,aged_out,created
 *
 * id_masked is the masked ID number (never the number); carer_phone
 * masked; care_agreement yes|no ("" unknown); aged_out yes when the child
 * is out of scope at the local day of now by the age-out rule
 * (handlers/visit_rule.h child_scope_end under pol, NULL: the defaults);
 * created the registration time. Returns as export_csv. */
int export_children(struct store *st, const struct gw_policy *pol, int64_t now, FILE *out, long *rows, char *err,
                    size_t errlen);

#endif
