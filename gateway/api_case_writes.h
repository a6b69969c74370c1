/* gateway/api_case_writes.h - the office API's writes to a case, through
 * the same domain functions as the SMS commands (handlers/intents.h):
 *
 *   POST /api/v1/cases/{number}/ack       acknowledge (QR)
 *   POST /api/v1/cases/{number}/classify  {"category": 1-9} (FL)
 *   POST /api/v1/cases/{number}/assign    {"departments": ["police", ...]}: the
 *       case's departments (triage's decision, as FL); those added are alerted
 *   POST /api/v1/cases/{number}/note      {"text": "..."}: a case event "note"
 *   POST /api/v1/cases/{number}/close     {"outcome": 1-4, "note": "..."} (JA)
 *
 * Each answers {"case": number, "status": ..., "result": ..., "detail": ...,
 * "queued": SMS queued} with 200, and appends one audit row ("case ack",
 * "case classify", "case assign", "case note", "case close"; records "case:<number>").
 * The SMS the domain produces (alerts, the reporter's feedback, village
 * notices) are queued in the same transaction; the confirmation an SMS
 * sender would get is the JSON answer instead.
 *
 * Only a person acts on a case: a bearer token (an integration, no staff
 * member behind it) is refused with 403 "sign in as a person to act on a
 * case". The case must be in the caller's scope (as GET /api/v1/cases/{number}:
 * else 404 "not found"); the domain then decides as for an SMS: 403 when
 * the staff member may not act on it (not a responder of its departments,
 * not its triage), 409 when it refuses (closed, already acknowledged),
 * 400 for a bad body.
 */
#ifndef GW_API_CASE_WRITES_H
#define GW_API_CASE_WRITES_H

#include "api.h"

extern const struct api_endpoint api_case_ack;
extern const struct api_endpoint api_case_classify;
extern const struct api_endpoint api_case_assign;
extern const struct api_endpoint api_case_note;
extern const struct api_endpoint api_case_close;

#endif
