/* gateway/audit_cmd.h - the `audit` subcommand: check the audit trail's
 * hash chain (handlers/audit.h) and list its rows as CSV for an auditor.
 */
#ifndef GW_AUDIT_CMD_H
#define GW_AUDIT_CMD_H

#include <stdio.h>

struct store;

/* `gateway audit verify` and `gateway audit list [--from D] [--to D]`.
 * The store must be migrated and have no open transaction.
 *
 * verify prints "audit: N rows, chain intact" to out and returns 0, or
 * "audit: row ID: what is wrong" to out and returns 1 (the first bad row;
 * handlers/audit.h says what the chain can and cannot show).
 *
 * list writes the rows at times within the local days from..to
 * (YYYY-MM-DD, inclusive, either may be NULL) to out as CSV, oldest first:
 *
 *   id,at,actor,role,client,action,records,purpose
 *
 * at is ISO 8601 local time with offset; fields quoted only where needed; a
 * value starting like a spreadsheet formula gets a leading '.
 *
 * Returns 0; 1 on a broken chain (verify), a database or write error; 2 on
 * a usage error (unknown sub, a bad date, from after to), with the reason
 * on errout. */
int audit_cmd(struct store *st, const char *sub, const char *from, const char *to, FILE *out, FILE *errout);

#endif
