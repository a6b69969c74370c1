/* gateway/api_openapi.h - GET /api/v1/openapi.json: the office API
 * described as an OpenAPI 3.0 document (every /api/v1 route, its
 * parameters, bodies, answers and the two ways to call it: a bearer token,
 * or a session cookie with the X-CSRF-Token header). Anyone may read it.
 */
#ifndef GW_API_OPENAPI_H
#define GW_API_OPENAPI_H

/* The document as JSON text (static, NUL-terminated). */
const char *api_openapi_json(void);

#endif
