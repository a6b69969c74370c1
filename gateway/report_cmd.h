/* gateway/report_cmd.h - the report subcommand: figures over a period (CSV or printable HTML). */
#ifndef GW_REPORT_CMD_H
#define GW_REPORT_CMD_H

#include <stdint.h>
#include <stdio.h>

struct store;
struct gw_config;
struct report;

struct report_args {
    const char *from, *to; /* YYYY-MM-DD, or NULL */
    const char *year;      /* YYYY, or NULL */
    const char *region;    /* a region path, or NULL: everywhere */
    const char *format;    /* csv|html, or NULL: csv */
};

/* The CSV's columns (README "Reports" says what each counts). Every row
 * carries the period (complete 0: it was cut at today, not over yet). */
#define REPORT_CSV_HEADER                                                                                              \
    "from,to,complete,level,region,children,left_behind,difficulty,orphan,unsupported,single_parent,"                  \
    "parent_disabled,child_disabled,psych,visits,children_visited,children_visited_every_month,"                       \
    "visited_every_month_pct,visits_per_child,visits_result_1,visits_result_2,visits_result_3,visits_result_4,"        \
    "problems_JH,problems_XL,problems_XX,problems_JK,problems_SH,problems_AQ,problems_QG,checkins,parents_away,"       \
    "parents_checked_in,parents_silent,cases,cases_category_1,cases_category_2,cases_category_3,cases_category_4,"     \
    "cases_category_5,cases_category_6,cases_category_7,cases_category_8,cases_category_9,cases_p0,cases_p1,"          \
    "cases_p2,cases_p3,cases_acknowledged,median_minutes_to_ack,cases_closed,closed_outcome_1,closed_outcome_2,"       \
    "closed_outcome_3,closed_outcome_4,median_minutes_to_close,closed_with_reporter,reporters_told,"                   \
    "reporters_told_pct,directors,children_per_director,villages_over_30_per_director"

/* Writes rep as CSV: the header, then one row per region in tree order
 * (UTF-8; a percentage, a ratio or a median with nothing to divide or
 * order is empty). */
void report_write_csv(const struct report *rep, FILE *f);
/* Writes rep as one printable HTML page (Chinese headings, print styles, no
 * script, no external resource, every text escaped) with SVG bar charts:
 * the villages' share of children visited every month, and the cases by
 * category of the first row. region is the one asked for (NULL: all). */
void report_write_html(const struct report *rep, const char *region, FILE *f);

/* Runs `gateway report`; the exit status (0, 1 failed, 2 bad arguments). */
int report_cmd(struct store *st, const struct gw_config *cfg, const struct report_args *a, int64_t now, FILE *out,
               FILE *err);

#endif
