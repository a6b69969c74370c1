/* gateway/fetcher.h - recordings: media rows to files in the media folder.
 *
 * One thread runs a libevent loop driving libcurl's multi interface, with
 * its own store connection (the sender's pattern, kept separate). A due
 * row is claimed ("fetching") in a committed transaction before its GET
 * leaves; the body streams to a temporary file in policy.media_dir while
 * its SHA-256 is computed; on success the file is fsynced and renamed to
 * <media_dir>/<case number>-<media id>.<mp3|wav|bin> and the row records
 * path, sha256, bytes and content type, and the case's alerted responders
 * get a case_recording notice, in the same transaction.
 *
 * Requests: https only (plain http only to a loopback host), no redirects,
 * connect timeout min([sender] timeout, 10 s), total 4 x [sender] timeout,
 * at most FETCHER_MAX_BYTES (more: "too large", final). The provider's
 * build_fetch hook adds its auth (NULL: a plain GET). Timeouts, connection
 * errors, 408, 429 and 5xx are retried with sender_backoff up to [sender]
 * max_attempts and max_age; other answers fail the row at once. The URL
 * is never lost (db/store_media.h says how to fetch a failed row again).
 */
#ifndef GW_FETCHER_H
#define GW_FETCHER_H

#include <stddef.h>

#include "config.h"
#include "metrics.h"

#define FETCHER_MAX_BYTES (20L * 1024 * 1024) /* largest recording kept */

struct fetcher;

/* Creates policy.media_dir when missing (mode 0700), removes temporary
 * files an earlier process left there, opens its own store connection,
 * puts rows left "fetching" back in the queue and starts the thread.
 * cfg must outlive the fetcher; m is borrowed (may be NULL). Returns 0
 * with *out, or -1 with err. */
int fetcher_start(const struct gw_config *cfg, struct metrics *m, struct fetcher **out, char *err, size_t errlen);

/* Tells the fetcher new rows may be due (any thread; cheap). Without it
 * due rows are still found within a second. f may be NULL. */
void fetcher_wake(void *f);

/* Stops claiming rows, records transfers already finished, abandons those
 * still on the wire (their rows go back to the queue, the attempt not
 * counted; the partial files are removed), joins the thread and frees f.
 * NULL is a no-op. */
void fetcher_stop(struct fetcher *f);

/* The file extension for a Content-Type: "mp3" (audio/mpeg, audio/mp3),
 * "wav" (audio/wav, audio/x-wav, audio/wave, audio/vnd.wave), else "bin".
 * Parameters after ';' and letter case are ignored; NULL gives "bin". */
const char *fetcher_ext(const char *content_type);

/* 1 when url may be fetched: https with a host, or http to a loopback host
 * (localhost, 127.0.0.0/8, [::1]); 0 otherwise. */
int fetcher_url_allowed(const char *url);

#endif
