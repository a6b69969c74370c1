/* handlers/routing.c - the default case routing table, the
 * per-county overrides from the configuration, the department names, and
 * working hours. */
#include "routing.h"
#include "../core/calendar.h"

#include <string.h>
#include <time.h>

#include "../core/config.h"

static const char *const dept_codes[ROUTING_NDEPTS] = {"police",     "civil_affairs", "education", "health",
                                                       "cyberspace", "women",         "youth"};
static const char *const dept_zh[ROUTING_NDEPTS] = {"公安", "民政", "教育", "卫健", "网信", "妇联", "团委"};

static const struct routing_rule rules[] = {
    {1, 1, 2, {"police", "civil_affairs"}},              /* sexual abuse */
    {2, 1, 2, {"police", "civil_affairs"}},              /* violence or abuse */
    {3, 1, 2, {"civil_affairs", "police"}},              /* left without care, abandoned */
    {4, 0, 2, {"police", "civil_affairs"}},              /* missing, trafficked */
    {5, 1, 3, {"health", "education", "civil_affairs"}}, /* self-harm, mental crisis */
    {6, 0, 2, {"police", "civil_affairs"}},              /* drowning, immediate danger */
    {7, 2, 2, {"education", "police"}},                  /* bullying */
    {8, 2, 1, {"education"}},                            /* dropout */
    {9, 3, 1, {"civil_affairs"}},                        /* other, unclassified */
};

/* Categories whose village is not told unless configured otherwise. */
#define DEFAULT_VILLAGE_EXCLUDED ((1u << 0) | (1u << 1))

const struct routing_rule *routing_default(int category)
{
    size_t n = sizeof rules / sizeof rules[0];
    for (size_t i = 0; i < n; i++)
        if (rules[i].category == category) return &rules[i];
    return &rules[n - 1];
}

/* The county's own entry (county_path non-empty) or the all-counties one. */
static const struct gw_county *entry(const struct gw_policy *pol, const char *county_path)
{
    if (!pol) return NULL;
    for (size_t i = 0; i < pol->ncounties; i++) {
        const char *c = pol->counties[i].county;
        if (county_path ? c && strcmp(c, county_path) == 0 : !c) return &pol->counties[i];
    }
    return NULL;
}

const struct routing_rule *routing_for(const struct gw_policy *pol, const char *county_path, int category)
{
    if (category < 1 || category > 9) category = 9;
    unsigned bit = 1u << (category - 1);
    const struct gw_county *c = county_path && *county_path ? entry(pol, county_path) : NULL;
    if (c && (c->routed & bit)) return &c->rules[category - 1];
    c = entry(pol, NULL);
    if (c && (c->routed & bit)) return &c->rules[category - 1];
    return routing_default(category);
}

int routing_village_told(const struct gw_policy *pol, const char *county_path, int category)
{
    if (category < 1 || category > 9) category = 9;
    unsigned bit = 1u << (category - 1);
    const struct gw_county *c = county_path && *county_path ? entry(pol, county_path) : NULL;
    if (c && c->village_excluded_set) return !(c->village_excluded & bit);
    c = entry(pol, NULL);
    if (c && c->village_excluded_set) return !(c->village_excluded & bit);
    return !(DEFAULT_VILLAGE_EXCLUDED & bit);
}

const struct gw_county *routing_county(const struct gw_policy *pol, const char *county_path)
{
    return county_path && *county_path ? entry(pol, county_path) : NULL;
}

const char *routing_dept_duty(const struct gw_policy *pol, const char *county_path, const char *dept)
{
    const struct gw_county *c = routing_county(pol, county_path);
    int i = routing_dept_index(dept);
    return c && i >= 0 ? c->dept_duty[i] : NULL;
}

int routing_dept_index(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < ROUTING_NDEPTS; i++)
        if (strcmp(name, dept_codes[i]) == 0 || strcmp(name, dept_zh[i]) == 0) return i;
    return -1;
}

const char *routing_dept_at(int index) { return index >= 0 && index < ROUTING_NDEPTS ? dept_codes[index] : NULL; }

const char *routing_dept_code(const char *name) { return routing_dept_at(routing_dept_index(name)); }

int64_t h_next_work_time(const struct gw_policy *pol, int64_t now)
{
    if (!pol || !(pol->work_days & 0x7F) || pol->work_start < 0 || pol->work_start >= pol->work_end) return 0;
    int64_t today = cal_local_day(now);
    int minute = cal_local_minute(now);
    if (today == CAL_NO_DAY || minute < 0) return 0;
    int workday = cal_is_work_day(pol->work_days, today);
    if (workday && minute >= pol->work_start && minute < pol->work_end) return 0;
    /* Today, when it is a working day not yet begun; else the next working day. */
    int64_t day = workday && minute < pol->work_start ? today : cal_add_work_days(today, 1, pol->work_days);
    return cal_local_at(day, pol->work_start);
}
