/* gateway/api_session.h - staff sign-in endpoints (handlers/session.h):
 *   POST /api/v1/login         {"phone"}: a code by SMS; always 202 {"sent": true}, 429 over a limit
 *   POST /api/v1/login/verify  {"phone", "code"}: 200 {"csrf", "role", "region"} and the gw_session cookie
 *   POST /api/v1/logout        ends the caller's session and clears its cookie
 * The first two are anonymous: they need no token or session.
 */
#ifndef GW_API_SESSION_H
#define GW_API_SESSION_H

#include "api.h"

extern const struct api_endpoint api_login;
extern const struct api_endpoint api_login_verify;
extern const struct api_endpoint api_logout;

#endif
