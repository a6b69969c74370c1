/* core/message.h - the normalised inbound message every provider produces.
 *
 * A provider turns its webhook into one or more gw_msg; the pipeline
 * normalises the sender to E.164 and hands the message to the store writer.
 * All strings are owned by the message and freed by gw_msg_clear.
 */
#ifndef GW_MESSAGE_H
#define GW_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

struct cb_cmd;

struct gw_msg {
    char *channel;                     /* channel name from the config (or "cli") */
    char *provider_id;                 /* provider's message id: dedupe key within channel; never NULL/empty */
    char *from;                        /* sender as the provider wrote it; E.164 after gw_phone_e164 */
    char *to;                          /* our number or short code; may be NULL */
    char *text;                        /* UTF-8 body as received; never NULL (may be "") */
    char *norm;                        /* text normalised (cb_normalize), or NULL: the pipeline computes it; the HTTP
                                          threads fill it so the single store writer need not */
    struct cb_cmd *cmd;                /* the code-book parse of text at received_at, owned, or NULL (likewise) */
    void (*cmd_free)(struct cb_cmd *); /* releases what cmd holds (not cmd itself); set with cmd */
    int64_t received_at;               /* unix seconds when the gateway received it */
    /* A part of a concatenated SMS the provider did not reassemble (Vonage):
     * the store holds parts until all concat_total have come. */
    char *concat_ref; /* reference shared by the parts, or NULL for a whole message */
    int concat_total; /* number of parts (>= 2) when concat_ref is set */
    int concat_part;  /* 1-based index of this part */
};

/* A small vector of messages (a webhook may carry several). */
struct gw_msgv {
    struct gw_msg *v; /* owned array of n messages */
    size_t n;
    size_t cap;
};

void gw_msg_clear(struct gw_msg *m);             /* frees the strings, zeroes m */
struct gw_msg *gw_msgv_push(struct gw_msgv *mv); /* appends a zeroed message and returns it */
void gw_msgv_free(struct gw_msgv *mv);           /* clears every message and the array */

/* Normalises a phone number to E.164 into out (size outlen): strips spaces,
 * dashes and parentheses; "+CC..." stays; "00CC..." becomes "+CC..."; a
 * number starting with the country code and long enough gets '+'; a bare
 * national number (11 digits for 86, or leading 0 trunk prefix removed)
 * gets "+"+country_code. Returns 0, or -1 when the value holds no digits
 * or characters other than digits and the separators above (then out is
 * a copy of the input, truncated). */
int gw_phone_e164(const char *raw, const char *country_code, char *out, size_t outlen);

#endif
