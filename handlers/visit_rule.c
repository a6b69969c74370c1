/* handlers/visit_rule.c - the high cadence, the visit-due rule and the
 * age-out rule (visit_rule.h). */
#include "visit_rule.h"

#include <string.h>

#include "../core/config.h"

int visit_high_cadence(const char *flags, int raised) { return (flags && *flags) || raised != 0; }

int64_t visit_due_day(const struct gw_policy *pol, int high, int64_t last_visit_day, int64_t registered_day)
{
    const struct gw_policy def = gw_policy_defaults();
    int visit_days = pol && pol->visit_days > 0 ? pol->visit_days : def.visit_days;
    int visit_days_high = pol && pol->visit_days_high > 0 ? pol->visit_days_high : def.visit_days_high;
    int first = pol ? pol->first_visit_days : def.first_visit_days;
    unsigned work_days = pol ? pol->work_days : def.work_days;
    int cadence = high ? visit_days_high : visit_days;
    if (last_visit_day != CAL_NO_DAY) return last_visit_day + cadence;
    if (registered_day == CAL_NO_DAY) return CAL_NO_DAY;
    if (first <= 0) return registered_day + cadence;
    return cal_add_work_days(registered_day, first, work_days);
}

int64_t visit_due_for(const struct gw_policy *pol, int high, const char *last_visit, int64_t created_at)
{
    int64_t last = CAL_NO_DAY;
    if (last_visit && *last_visit && cal_date_parse(last_visit, &last) != 0) return CAL_NO_DAY;
    return visit_due_day(pol, high, last, cal_local_day(created_at));
}

int64_t child_scope_end(const struct gw_policy *pol, const char *birth_date, const char *categories)
{
    const struct gw_policy def = gw_policy_defaults();
    int lb = pol && pol->age_left_behind > 0 ? pol->age_left_behind : def.age_left_behind;
    int other = pol && pol->age_difficulty > 0 ? pol->age_difficulty : def.age_difficulty;
    int64_t born;
    if (!birth_date || cal_date_parse(birth_date, &born) != 0) return INT64_MAX;
    /* The later age of the child's categories; an unknown or missing one is a minor's. */
    int age = 0, any = 0;
    const char *p = categories ? categories : "";
    while (*p) {
        size_t n = strcspn(p, "|");
        int a = n == 11 && memcmp(p, "left_behind", 11) == 0 ? lb : other;
        if (n) {
            any = 1;
            if (a > age) age = a;
        }
        p += n;
        if (*p == '|') p++;
    }
    if (!any) age = other;
    int y, m, d;
    cal_civil_from_day(born, &y, &m, &d);
    return cal_civil_day(y + age, m, d);
}
