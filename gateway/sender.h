/* gateway/sender.h - outbound delivery: outbox rows to provider send APIs.
 *
 * One thread runs a libevent loop driving libcurl's multi interface. It
 * owns its own store connection. Rows are claimed (marked "sending") in a
 * committed transaction before their request goes on the wire, sent with a
 * per-channel rate limit, most urgent first, and their results recorded:
 * sent with the provider's id, retried with exponential backoff and
 * jitter (timeouts, connection errors, 429, 5xx), or failed (4xx, too many
 * attempts, too old). Nothing is sent from inside an HTTP request. Each
 * channel has at most sender_channel_cap sends on the wire; a channel at
 * its cap (a provider that stopped answering) or over its rate is left
 * out of the queue's reads, so other channels' messages go at their
 * normal latency.
 */
#ifndef GW_SENDER_H
#define GW_SENDER_H

#include "../core/config.h"
#include "metrics.h"

struct sender;

/* Opens its own store connection, puts rows left "sending" back in the
 * queue, and starts the thread. Returns 0 or -1 with err. */
int sender_start(const struct gw_config *cfg, struct metrics *m, struct sender **out, char *err, size_t errlen);
/* Tells the sender new rows may be due (any thread; cheap). */
void sender_wake(void *sender);
/* Stops taking rows, lets requests on the wire finish (bounded by the
 * send timeout), records them, joins the thread. NULL is a no-op. */
void sender_stop(struct sender *s);

/* The channel a row goes out on: the channel it asks for when that one can
 * send, else the channel whose route is the longest prefix of to, else the
 * default channel; NULL when none can send. */
const struct gw_channel *sender_route(const struct gw_config *cfg, const char *wanted, const char *to);

/* The most sends on the wire at once on ch: its max_in_flight when set,
 * else [sender] max_in_flight less a quarter kept for the other channels
 * when more than one can send (all of it when only one can); at least 1,
 * at most [sender] max_in_flight. */
int sender_channel_cap(const struct gw_config *cfg, const struct gw_channel *ch);

/* Delay before retry number attempt (1-based) in seconds: backoff doubling
 * up to backoff_max, scaled by jitter in [0.5, 1.5). */
int sender_backoff(const struct gw_sender_cfg *sc, int attempt, double jitter);

#endif
