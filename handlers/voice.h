/* handlers/voice.h - the voice line: a Mandarin menu; 1 report
 * a child at risk (category by keypad, then a spoken description up to
 * 120 s), 2 record a visit by keypad (registered directors), 0 the human
 * hotline.
 *
 * voice_step is domain logic over an open transaction. Call state lives in
 * the store (call), so a retried request gets the same answer and a
 * restarted process continues the call. The case exists from the category
 * on; a hang-up at any point leaves what was given. No input or a wrong
 * key repeats the prompt twice, then the call ends politely.
 */
#ifndef VOICE_H
#define VOICE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/voicedoc.h"
#include "handler.h"

struct voice_in {
    const char *channel;       /* channel name */
    const char *call_id;       /* CallSid / sessionId */
    const char *from;          /* caller, E.164 */
    const char *to;            /* our number or NULL */
    const char *step;          /* the step named in the URL ("" for the first request) */
    const char *digits;        /* keys pressed, or NULL */
    const char *recording_url; /* a recording just made, or NULL */
    long recording_duration;   /* seconds or -1 */
    const char *call_status;   /* provider's word, or NULL */
    long duration;             /* call seconds or -1 */
    int final;                 /* 1: the call has ended (record it; the answer is ignored) */
    int64_t now;
};

/* Runs one step; fills out with the answer. Replies the step causes are
 * appended to effects. Returns 0, or -1 when the store failed. */
int voice_step(const struct h_env *env, const struct voice_in *in, struct voice_doc *out, struct h_result *effects,
               char *err, size_t errlen);

#endif
