/* gateway/dash.h - the office dashboard's files, built into the binary
 * (gateway/dash/: index.html, app.js, app.css; gateway/dash_files.S), and the
 * headers every one of them is served with: a strict Content-Security-
 * Policy (scripts and styles from this origin only, no inline script or
 * style, no frames), nosniff and no referrer. The page talks to /api/v1
 * only; it keeps no personal data in its URLs.
 */
#ifndef GW_DASH_H
#define GW_DASH_H

#include <stddef.h>

/* The Content-Security-Policy header's value for the dashboard. */
#define DASH_CSP                                                                                                       \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "              \
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

struct dash_asset {
    const char *path; /* as requested: "/", "/dash/app.js", ... */
    const char *content_type;
    const char *data; /* not NUL-terminated */
    size_t len;
};

/* Fills out with the file served at path: 0, or -1 when there is none. */
int dash_asset(const char *path, struct dash_asset *out);

#endif
