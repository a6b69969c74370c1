/* gateway/log.c - leveled logging to stderr, with phone masking. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum gw_log_level min_level = GW_LOG_INFO; /* set once at start-up */

void gw_log_set_level(enum gw_log_level level) { min_level = level; }

int gw_log_parse_level(const char *s, enum gw_log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum gw_log_level)i;
            return 0;
        }
    return -1;
}

void gw_log(enum gw_log_level level, const char *fmt, ...)
{
    static const char *tags[] = {"debug", "info", "warn", "error"};
    if (level < min_level) return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, tags[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

const char *gw_mask_phone(const char *phone, char out[GW_MASK_LEN])
{
    if (!phone || !*phone) {
        strcpy(out, "-");
        return out;
    }
    size_t len = strlen(phone);
    if (len >= GW_MASK_LEN) len = GW_MASK_LEN - 1;
    memcpy(out, phone, len);
    out[len] = '\0';
    if (len >= 8) {
        memset(out + len - 8, '*', 4);
        if (len - 8 < 3) /* keep a recognisable prefix only when it is long enough */
            memset(out, '*', len - 8);
    } else {
        for (size_t i = 0; i + 2 < len; i++) out[i] = '*';
    }
    return out;
}
