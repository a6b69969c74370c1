/* handlers/routing.c - the default case routing table (DESIGN §7) and the
 * department names. */
#include "routing.h"

#include <string.h>

static const struct routing_rule rules[] = {
    {1, 1, 2, {"police", "civil_affairs"}},             /* sexual abuse */
    {2, 1, 2, {"police", "civil_affairs"}},             /* violence or abuse */
    {3, 1, 2, {"civil_affairs", "police"}},             /* left without care, abandoned */
    {4, 0, 2, {"police", "civil_affairs"}},             /* missing, trafficked */
    {5, 1, 3, {"health", "education", "civil_affairs"}}, /* self-harm, mental crisis */
    {6, 0, 2, {"police", "civil_affairs"}},             /* drowning, immediate danger */
    {7, 2, 2, {"education", "police"}},                 /* bullying */
    {8, 2, 1, {"education"}},                           /* dropout */
    {9, 3, 1, {"civil_affairs"}},                       /* other, unclassified */
};

const struct routing_rule *routing_default(int category)
{
    size_t n = sizeof rules / sizeof rules[0];
    for (size_t i = 0; i < n; i++)
        if (rules[i].category == category) return &rules[i];
    return &rules[n - 1];
}

static const struct {
    const char *code;
    const char *zh;
} depts[] = {
    {"police", "公安"},     {"civil_affairs", "民政"}, {"education", "教育"}, {"health", "卫健"},
    {"cyberspace", "网信"}, {"women", "妇联"},         {"youth", "团委"},
};

const char *routing_dept_code(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof depts / sizeof depts[0]; i++)
        if (strcmp(name, depts[i].code) == 0 || strcmp(name, depts[i].zh) == 0) return depts[i].code;
    return NULL;
}
