/* handlers/audit.h - the audit trail's chain rule: every read of personal
 * data and every write through the API leaves one row, and each row holds
 * the hash of the row before it (prev) and its own hash over prev and its
 * fields, so that editing, deleting or reordering a row breaks the chain.
 *
 * The hash of a row is SHA-256 (lowercase hex) over this byte string:
 *
 *   "gw-audit-1" then, for each of id, at, actor, role, client, action,
 *   records, purpose, prev in that order: the field's length in bytes in
 *   decimal, ':', the field's bytes, ','
 *
 * (id and at written in decimal; length-prefixed, so no two different rows
 * encode alike whatever bytes their fields hold). The first row's prev is
 * 64 zeros; a row's id is the one before's + 1, starting at 1.
 *
 * What the chain alone cannot show: deleting the newest rows (the rest is
 * still a valid chain), and a rewrite of every row from some row to the
 * end by someone who recomputes the hashes (there is no secret). Keeping
 * the last hash and row count elsewhere (audit_verify's *last_hash, e.g.
 * in the operator's log or a printout) closes both: compare them later.
 */
#ifndef H_AUDIT_H
#define H_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_audit_row;

#define AUDIT_HASH_HEX 65 /* 64 hex digits and the NUL */

/* Appends one row (actor, role, client, action, records, purpose: text,
 * NULL taken as "") at time now, chained to the newest row. Must run
 * inside the caller's write transaction, with the caller's other writes
 * of the same act, so that the row exists exactly when the act does and
 * two writers cannot chain to the same row. Returns 0, or -1 on a
 * database error (the caller rolls back). */
int audit_record(struct store *st, const char *actor, const char *role, const char *client, const char *action,
                 const char *records, const char *purpose, int64_t now);

/* The hash of r (its id, at, text fields and prev; r->hash is not read)
 * into hex. Returns 0, or -1 when SHA-256 fails. */
int audit_row_hash(const struct store_audit_row *r, char hex[AUDIT_HASH_HEX]);

enum audit_fault {
    AUDIT_OK = 0,
    AUDIT_GAP,  /* the id is not the one before's + 1: a row before it was deleted */
    AUDIT_PREV, /* prev is not the hash of the row before: deleted, reordered or rewritten */
    AUDIT_HASH, /* hash does not match the row's content: the row was edited */
};

/* The first row found wrong. */
struct audit_problem {
    int64_t id; /* the row */
    enum audit_fault fault;
    char what[160]; /* what is wrong, for the operator: "row 4 is missing (ids jump from 3 to 5)" */
};

/* Walks every row in id order and checks each: its id follows the one
 * before (1 for the first), its prev is the hash of the row before (64
 * zeros for the first), its hash matches its content. Returns 0 when the
 * chain is intact, 1 with *bad set at the first row found wrong (that row's
 * id; checks in the order above), -1 on a database error. *rows (may be
 * NULL) is the number of rows found intact (every row when 0 is returned,
 * those before the bad one when 1); last_hash (may be NULL) the newest
 * row's hash ("" when empty). Reads only; run it in a read transaction to
 * see one moment. */
int audit_verify(struct store *st, struct audit_problem *bad, long *rows, char last_hash[AUDIT_HASH_HEX]);

#endif
