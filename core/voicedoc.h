/* core/voicedoc.h - a provider-neutral voice answer: what the voice line
 * says, which keys it gathers, what it records, whom it dials. The domain
 * (handlers/voice.c) builds one per call step; each provider renders it in
 * its own markup (TwiML, Africa's Talking XML). */
#ifndef GW_VOICEDOC_H
#define GW_VOICEDOC_H

/* A provider-neutral voice answer; providers render it as TwiML or AT XML. */
enum voice_verb_kind { VOICE_SAY, VOICE_GATHER, VOICE_RECORD, VOICE_DIAL, VOICE_HANGUP, VOICE_REDIRECT };
struct voice_verb {
    enum voice_verb_kind kind;
    char text[512];  /* SAY: the words; GATHER/RECORD: the prompt said first (may be "") */
    char next[64];   /* GATHER/RECORD/REDIRECT: the step that receives the answer ("report_cat") */
    int num_digits;  /* GATHER: keys to collect, 0 = until '#' */
    int timeout;     /* GATHER/RECORD: seconds of silence before giving up */
    int max_length;  /* RECORD: seconds at most */
    char number[32]; /* DIAL: E.164 */
};
#define VOICE_MAX_VERBS 8
struct voice_doc {
    struct voice_verb v[VOICE_MAX_VERBS];
    int n;
};

#endif
