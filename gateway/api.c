/* gateway/api.c - what every /api/v1 endpoint shares. */
#include "api.h"

#include <string.h>

#include "../core/util.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int api_query_get(const char *query, const char *key, char *out, size_t outlen)
{
    if (outlen) out[0] = '\0';
    size_t klen = strlen(key);
    for (const char *p = query ? query : ""; *p;) {
        size_t n = strcspn(p, "&");
        if (n > klen && !strncmp(p, key, klen) && p[klen] == '=') {
            size_t o = 0;
            for (size_t i = klen + 1; i < n && o + 1 < outlen; i++) {
                char c = p[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
                    c = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
                    i += 2;
                }
                out[o++] = c;
            }
            if (outlen) out[o] = '\0';
            return 0;
        }
        p += n;
        if (*p == '&') p++;
    }
    return -1;
}
