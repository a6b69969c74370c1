/* core/store_parts.h - parts of concatenated SMS that a provider delivers
 * one request per part (Vonage): kept until the whole message can be put
 * together. Included by store.h. */
#ifndef STORE_PARTS_H
#define STORE_PARTS_H

#include <stdint.h>

#include "message.h"
#include "util.h"

struct store;

/* Stores part m (m->concat_ref set). Returns 0 stored, 1 when this part
 * (channel, provider_id) was already stored, -1 on error. */
int store_part_insert(struct store *st, const struct gw_msg *m, int64_t now);

/* When every part of m's group (channel, sender, ref, total) not yet
 * assembled is present, or the oldest part is older than stale_before
 * (then missing parts become "[…]"), fills whole (a new message: text in
 * part order, provider_id "concat:<first part's id>", received_at of the
 * first part) and returns 0; 1 when the group is still incomplete; -1 on
 * error. */
int store_part_assemble(struct store *st, const char *channel, const char *sender, const char *ref, int total,
                        int64_t stale_before, struct gw_msg *whole);

/* Marks the group's parts as assembled into inbox row inbox_id. */
int store_part_done(struct store *st, const char *channel, const char *sender, const char *ref, int64_t inbox_id);

/* Calls fn for each incomplete group whose first part is older than
 * stale_before (at most 64 groups a call). */
int store_part_stale(struct store *st, int64_t stale_before,
                     void (*fn)(void *arg, const char *channel, const char *sender, const char *ref, int total),
                     void *arg);

#endif
