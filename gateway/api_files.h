/* gateway/api_files.h - the office API's children's files: the scoped child
 * list, one child's file (audited, with a stated purpose), the coverage
 * rows, the children due for a visit, and the audit trail itself.
 *
 *   GET /api/v1/children?q=&limit=&cursor=       children.read
 *   GET /api/v1/children/{code}?purpose=...      children.read, one audit row
 *   GET /api/v1/children/{code}/file.html?purpose=...  the same file as a printable
 *                                                page (text/html), one audit row
 *   GET /api/v1/coverage?region=&from=&to=       children.read
 *   GET /api/v1/visits/due?region=&limit=&cursor= children.read
 *   GET /api/v1/audit?from=&to=&limit=&cursor=   audit.read
 *
 * Scope (the caller's region path; admin everywhere) is part of every store
 * query; a child or region outside it answers 404 like a missing one.
 */
#ifndef GW_API_FILES_H
#define GW_API_FILES_H

#include "api.h"

extern const struct api_endpoint api_children_list;
extern const struct api_endpoint api_child_file;
extern const struct api_endpoint api_child_file_html;
extern const struct api_endpoint api_coverage;
extern const struct api_endpoint api_visits_due;
extern const struct api_endpoint api_audit_list;

#endif
