/* gateway/api_cases.h - the office API's reads of cases:
 *
 *   GET /api/v1/cases?status=open|closed|all&priority=0..3&region=PATH&limit=&cursor=
 *       the caller's cases in working order: {"cases": [item...], "next": cursor|null}
 *   GET /api/v1/cases/{number}
 *       one case: the item's fields and its description, child, reporter
 *       (masked but for admin and county), events and recordings; audited
 *
 * Scope (in the store query): admin every case; county the cases of their
 * county; supervisor cases whose region lies under their town; responder
 * cases of their county routed to their department; director cases of
 * their village. A case outside scope answers 404 as a missing one.
 */
#ifndef GW_API_CASES_H
#define GW_API_CASES_H

#include "../core/store.h"
#include "api.h"

/* The case scope of the caller, as the store's case queries take it (the
 * rules above); the case writes use the same one. */
struct db_case_scope api_case_scope(const struct auth_principal *who);
/* The case the path names, as the caller may see it (with both
 * acknowledgement windows): 0 with *d, 404 with the reason "not found"
 * (outside the scope answers the same), or -1 on a store error. */
int api_case_find(const struct api_in *in, struct db_case_detail *d, char *reason, size_t reasonlen);

extern const struct api_endpoint api_cases_list;
extern const struct api_endpoint api_case_get;

#endif
