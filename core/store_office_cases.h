/* core/store_office_cases.h - (the office API's store operations; see docs/ARCHITECTURE.md).
 * Included by store.h; same conventions. */
#ifndef GW_STORE_OFFICE_CASES_H
#define GW_STORE_OFFICE_CASES_H

#include <stdint.h>

struct store;

#endif
