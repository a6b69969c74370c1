/* handlers/routing.h - the default case routing table (DESIGN §7): report
 * category -> priority and the departments the case goes to, and the
 * department names responders are registered with.
 *
 * Data only; the per-county configurable table is a later extension that
 * will consult the store before falling back to routing_default.
 */
#ifndef ROUTING_H
#define ROUTING_H

#define ROUTING_MAX_DEPTS 3

struct routing_rule {
    int category;                           /* 1-9 */
    int priority;                           /* 0 (P0, imminent danger) .. 3 (P3, information) */
    int ndepts;                             /* 1..ROUTING_MAX_DEPTS */
    const char *depts[ROUTING_MAX_DEPTS];   /* department codes, most responsible first */
};

/* The rule for a category; categories outside 1-9 get the rule of 9
 * (other / unclassified). Never NULL. */
const struct routing_rule *routing_default(int category);

/* The canonical department code ("police", "civil_affairs", ...) for a code
 * or its Chinese name (公安, 民政, ...); NULL when unknown. */
const char *routing_dept_code(const char *name);

#endif
