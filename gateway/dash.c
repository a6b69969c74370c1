/* gateway/dash.c - the office dashboard's files (see dash.h). */
#include "dash.h"

#include <stdint.h>
#include <string.h>

extern const char gw_dash_index_html[], gw_dash_app_js[], gw_dash_app_css[];
extern const uint64_t gw_dash_index_html_len, gw_dash_app_js_len, gw_dash_app_css_len;

static const struct {
    const char *path, *content_type, *data;
    const uint64_t *len;
} files[] = {
    {"/", "text/html; charset=utf-8", gw_dash_index_html, &gw_dash_index_html_len},
    {"/dash/app.js", "text/javascript; charset=utf-8", gw_dash_app_js, &gw_dash_app_js_len},
    {"/dash/app.css", "text/css; charset=utf-8", gw_dash_app_css, &gw_dash_app_css_len},
};

int dash_asset(const char *path, struct dash_asset *out)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (strcmp(path, files[i].path) != 0) continue;
        *out = (struct dash_asset){files[i].path, files[i].content_type, files[i].data, (size_t)*files[i].len};
        return 0;
    }
    return -1;
}
