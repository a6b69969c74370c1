/* core/store_audit.h - the audit trail: one row per read of personal data
 * and per write through the API, chained by hash. Included by store.h;
 * same conventions. */
#ifndef GW_STORE_AUDIT_H
#define GW_STORE_AUDIT_H

#include <stdint.h>

struct store;

#endif
