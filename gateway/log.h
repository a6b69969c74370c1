/* gateway/log.h - leveled logging to stderr, with phone masking.
 *
 * Privacy rule: a log line never carries a full phone number, a secret or,
 * at info level and above, message text. Callers mask numbers with
 * gw_mask_phone before formatting them. Thread-safe: one write(2) a line.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

enum gw_log_level { GW_LOG_DEBUG = 0, GW_LOG_INFO, GW_LOG_WARN, GW_LOG_ERROR };

#define GW_MASK_LEN 40

void gw_log_set_level(enum gw_log_level level);
/* Parses "debug|info|warn|error"; returns 0 or -1. */
int gw_log_parse_level(const char *s, enum gw_log_level *out);
void gw_log(enum gw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define gw_debug(...) gw_log(GW_LOG_DEBUG, __VA_ARGS__)
#define gw_info(...)  gw_log(GW_LOG_INFO, __VA_ARGS__)
#define gw_warn(...)  gw_log(GW_LOG_WARN, __VA_ARGS__)
#define gw_error(...) gw_log(GW_LOG_ERROR, __VA_ARGS__)

/* Writes a masked copy of phone into out (GW_MASK_LEN bytes) and returns
 * out: the four digits before the last four become '*' ("138****0001",
 * "+86138****0001"); short values keep only their last two characters.
 * phone may be NULL ("-"). */
const char *gw_mask_phone(const char *phone, char out[GW_MASK_LEN]);

#endif
