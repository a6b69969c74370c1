/* gateway/api_openapi.c - the OpenAPI 3.0 description of /api/v1 (see
 * api_openapi.h). The document is gateway/openapi.json, built into the
 * binary by gateway/openapi.S. Keep it in step with the route table
 * (gateway/routes.c); tests/unit/test_api_writes.c checks that every API
 * route is described. */
#include "api_openapi.h"

extern const char gw_openapi_json[];

const char *api_openapi_json(void) { return gw_openapi_json; }
