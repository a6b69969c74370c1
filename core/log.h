/* core/log.h - leveled logging to stderr, with phone masking, escaping
 * and rate-limited lines.
 *
 * Privacy rule: a log line never carries a full phone number, a secret or,
 * at info level and above, message text. Callers mask numbers with
 * gw_mask_phone before formatting them.
 *
 * One event, one line: gw_log escapes every byte of the formatted message
 * that could end a line or drive a terminal (see gw_log_escape), so a value
 * taken from a request can never forge a line of its own. Thread-safe: one
 * write(2) a line.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stddef.h>

enum gw_log_level { GW_LOG_DEBUG = 0, GW_LOG_INFO, GW_LOG_WARN, GW_LOG_ERROR };

#define GW_MASK_LEN 40

void gw_log_set_level(enum gw_log_level level);
/* Parses "debug|info|warn|error"; returns 0 or -1. */
int gw_log_parse_level(const char *s, enum gw_log_level *out);
/* Writes one line: time, level, then the message with gw_log_escape
 * applied (a message longer than about 1 KiB is cut). */
void gw_log(enum gw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define gw_debug(...) gw_log(GW_LOG_DEBUG, __VA_ARGS__)
#define gw_info(...)  gw_log(GW_LOG_INFO, __VA_ARGS__)
#define gw_warn(...)  gw_log(GW_LOG_WARN, __VA_ARGS__)
#define gw_error(...) gw_log(GW_LOG_ERROR, __VA_ARGS__)

/* Copies the n bytes at s into out (cap bytes, cap >= 1) with every byte
 * that could break a log line written as "\xHH": C0 controls (newline,
 * carriage return, escape...), DEL, the C1 controls U+0080-U+009F, the line
 * and paragraph separators U+2028 and U+2029, and bytes that are not part
 * of well-formed UTF-8. Other UTF-8 text is copied as it is. Stops before a
 * character or escape that would not fit; out is always NUL-terminated.
 * Returns the length written. */
size_t gw_log_escape(const char *s, size_t n, char *out, size_t cap);

/* A rate limit for one kind of line that a client can cause at will (a
 * refused request, a refused connection). Within each interval the first
 * `burst` lines are written as they come; the others are only counted, by
 * a short key ("403 channel=generic route=sms"), and one summary line
 * follows once the interval is over:
 *
 *   http: 12345 more requests refused in the last 10 s: 403 channel=generic route=sms x 12000, 400 ... x 345
 *
 * The summary is written by the first gw_log_limited or gw_log_limit_tick
 * call after the interval, so call gw_log_limit_tick from a timer to have it
 * even when the events stop. At most 8 keys are told apart, the rest are
 * counted as "other". Thread-safe. `now` is monotonic seconds
 * (gw_clock_mono); the limiter reads no clock itself. */
struct gw_log_limit;

/* what names the lines in the summary ("http: ", "requests refused");
 * both are copied. interval > 0 seconds, burst >= 0. Never NULL. */
struct gw_log_limit *gw_log_limit_new(enum gw_log_level level, const char *prefix, const char *what, double interval,
                                      int burst);
/* Writes a pending summary, then frees l. NULL is a no-op. */
void gw_log_limit_free(struct gw_log_limit *l);
/* Writes the line, or counts it under key (NULL: "other") when this
 * interval's burst is spent. */
void gw_log_limited(struct gw_log_limit *l, double now, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes the summary when the interval is over and lines were held back. */
void gw_log_limit_tick(struct gw_log_limit *l, double now);

/* Writes a masked copy of phone into out (GW_MASK_LEN bytes) and returns
 * out: the four digits before the last four become '*' ("138****0001",
 * "+86138****0001"); short values keep only their last two characters.
 * phone may be NULL ("-"). */
const char *gw_mask_phone(const char *phone, char out[GW_MASK_LEN]);

#endif
