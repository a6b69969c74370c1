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
 * Requests: https only, only to a host in the channel's media_hosts (else
 * its provider's list), no redirects, no proxy, a fresh connection per
 * fetch, and only to a public address: the address curl is about to
 * connect to is checked (so a name that resolves, or re-resolves, to a
 * loopback, private, link-local, unspecified, multicast or reserved
 * address is refused whatever DNS said before). A refused URL or address
 * fails the row at once with the reason, and nobody is told of it.
 * [channel] media_allow_local_for_tests also allows plain http and
 * loopback addresses, for tests against a local server only.
 * Connect timeout min([sender] timeout, 10 s), total 4 x [sender] timeout,
 * at most FETCHER_MAX_BYTES (more: "too large", final). The provider's
 * build_fetch hook adds its auth (NULL: a plain GET). Timeouts, connection
 * errors, 408, 429 and 5xx are retried with sender_backoff up to [sender]
 * max_attempts and max_age; other answers fail the row at once. The URL
 * is never lost (core/store_media.h says how to fetch a failed row again).
 */
#ifndef GW_FETCHER_H
#define GW_FETCHER_H

#include <stddef.h>
#include <sys/socket.h>

#include "../core/config.h"
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

/* 0 when url may be fetched for channel ch: https (or plain http when ch
 * has media_allow_local_for_tests) with a host that ch's media_hosts (NULL:
 * its provider's) match. -1 with the reason in err otherwise; a NULL ch (a
 * channel no longer configured) is always refused. */
int fetcher_url_check(const struct gw_channel *ch, const char *url, char *err, size_t errlen);

/* 1 when host (as a URL holds it: a name, an IPv4 literal or a bracketed
 * IPv6 literal) matches one of patterns (NULL-terminated, may be NULL):
 * equal ignoring letter case, or "*.domain" for a name that ends in
 * ".domain" (not domain itself). 0 otherwise. */
int fetcher_host_matches(const char *const *patterns, const char *host);

/* 1 when a fetch may connect to sa: a public unicast IPv4 or IPv6
 * address, or with allow_loopback also 127.0.0.0/8 and ::1. 0 for any
 * other family or a loopback, private (10/8, 172.16/12, 192.168/16,
 * fc00::/7, fec0::/10), shared (100.64/10), link-local (169.254/16,
 * fe80::/10), unspecified, multicast or reserved address, also when
 * embedded in IPv6 (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96,
 * 6to4); why (may be NULL) gets the kind, e.g. "a loopback address". */
int fetcher_addr_allowed(const struct sockaddr *sa, int allow_loopback, char *why, size_t whylen);

#endif
