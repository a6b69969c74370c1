/* gateway/child_file.h - one child's whole file (一人一档): registration
 * with the household, school, carer and guardianship fields, guardians,
 * visits, check-ins, cases (never the reporter) and the messages behind
 * them, each part in time order; built once as JSON for the office API and
 * `export file`, and rendered from that JSON as a printable HTML page.
 *
 * The national ID is shown masked (id_masked) and, in the office API's
 * answer to a caller who may see personal data in full (admin, county, who
 * enter it into the national system) when the key is configured, also in
 * clear (id_number); the printable page shows it masked only. Guardians'
 * and the carer's phones are masked unless the caller may see them in full.
 */
#ifndef GW_CHILD_FILE_H
#define GW_CHILD_FILE_H

#include <jansson.h>
#include <stdint.h>

#include "../core/config.h"
#include "../core/store.h"
#include "../core/util.h"

/* The child's registration as every list shows it (code, name, sex, birth
 * date, region, categories, flags, aged_out, last_visit). Owned by the caller. */
json_t *child_file_child_json(const struct store_file_child *r, const struct gw_policy *pol, int64_t today);

/* The file of the child with that code under scope `under` ("" everywhere)
 * as of now: {"child": {...}, "guardians": [...], "visits": [...],
 * "checkins": [...], "cases": [...], "messages": [...]}, into *out (owned).
 * full: 1 shows phones in full, and the national ID in clear when id_key
 * (GW_SECRET_KEY_LEN bytes, or NULL) opens it. Returns 0, 1 when there is
 * no such child there, -1 on a store error. */
int child_file_build(struct store *st, const struct gw_policy *pol, const char *code, const char *under, int full,
                     const unsigned char *id_key, int64_t now, json_t **out);

/* Appends the file (child_file_build's JSON) to out as a whole printable
 * HTML page: UTF-8, Chinese headings, an inline style sheet with print
 * rules, no script, every value HTML-escaped. */
void child_file_html(const json_t *file, struct gw_buf *out);

#endif
