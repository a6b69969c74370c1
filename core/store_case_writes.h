/* core/store_case_writes.h - the case writes the office API adds to those
 * of the SMS commands: a case's departments set by a person. Included by
 * store.h; same conventions (0, 1 not found, -1 with store_errmsg).
 */
#ifndef GW_STORE_CASE_WRITES_H
#define GW_STORE_CASE_WRITES_H

#include <stdint.h>

struct store;

/* Sets the departments of a case that is not closed to depts (canonical
 * codes, 1..DB_CASE_MAX_DEPTS; they replace the old ones) and appends an
 * 'assigned' event by staff_id with detail (may be NULL). Its category,
 * priority, status and deadlines stay as they are. 0, 1 when the case is
 * closed or unknown (nothing changed), -1. */
int db_case_assign(struct store *st, int64_t case_id, const char *const *depts, int ndepts, int64_t staff_id,
                   const char *detail, int64_t now);

#endif
