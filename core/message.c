/* core/message.c - normalised message lifetime and phone number normalisation. */
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void gw_msg_clear(struct gw_msg *m)
{
    free(m->channel);
    free(m->provider_id);
    free(m->from);
    free(m->to);
    free(m->text);
    free(m->norm);
    if (m->cmd && m->cmd_free) m->cmd_free(m->cmd);
    free(m->cmd);
    free(m->concat_ref);
    memset(m, 0, sizeof *m);
}

struct gw_msg *gw_msgv_push(struct gw_msgv *mv)
{
    if (mv->n == mv->cap) {
        mv->cap = mv->cap ? mv->cap * 2 : 4;
        mv->v = gw_realloc(mv->v, mv->cap * sizeof *mv->v);
    }
    struct gw_msg *m = &mv->v[mv->n++];
    memset(m, 0, sizeof *m);
    return m;
}

void gw_msgv_free(struct gw_msgv *mv)
{
    for (size_t i = 0; i < mv->n; i++) gw_msg_clear(&mv->v[i]);
    free(mv->v);
    mv->v = NULL;
    mv->n = mv->cap = 0;
}

int gw_phone_e164(const char *raw, const char *cc, char *out, size_t outlen)
{
    char digits[32];
    size_t n = 0;
    int plus = 0;
    const char *p = raw ? raw : "";
    while (*p == ' ') p++;
    if (*p == '+') {
        plus = 1;
        p++;
    }
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n + 1 >= sizeof digits) goto bad;
            digits[n++] = *p;
        } else if (*p == ' ' || *p == '-' || *p == '(' || *p == ')' || *p == '.') {
            continue;
        } else {
            goto bad;
        }
    }
    digits[n] = '\0';
    if (n < 3) goto bad;
    const char *d = digits;
    size_t cclen = strlen(cc);
    if (!plus && n > 2 && d[0] == '0' && d[1] == '0') {
        d += 2;
        plus = 1;
    }
    if (plus) return snprintf(out, outlen, "+%s", d) < (int)outlen ? 0 : -1;
    /* Already carries the country code: 8613800000001. */
    if (cclen && strncmp(d, cc, cclen) == 0 && strlen(d) - cclen >= 10 && strlen(d) > 11)
        return snprintf(out, outlen, "+%s", d) < (int)outlen ? 0 : -1;
    if (d[0] == '0') d++; /* national trunk prefix */
    return snprintf(out, outlen, "+%s%s", cc, d) < (int)outlen ? 0 : -1;
bad:
    gw_strlcpy(out, raw ? raw : "", outlen);
    return -1;
}
