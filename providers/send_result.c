/* providers/send_result.c - the one classification of send results: the
 * table and the unreadable-2xx decision are documented at prov_classify in
 * provider.h. */
#include "../core/util.h"

#include "provider.h"

/* Writes reason into err when err is still empty (a provider's own reason wins). */
static void reason(char *err, size_t errlen, const char *what, long http_status)
{
    if (!err || !errlen || err[0]) return;
    if (what)
        gw_err(err, errlen, "%s", what);
    else
        gw_err(err, errlen, "HTTP %ld", http_status);
}

/* The result alone, without side effects: the table in provider.h. */
static int decide(long http_status, int transport_error, enum prov_verdict verdict, const char **what)
{
    *what = NULL;
    if (transport_error || http_status == 0) {
        *what = "no answer";
        return PROV_SEND_RETRY;
    }
    if (http_status >= 500 && http_status <= 599) return PROV_SEND_RETRY;
    switch (verdict) {
    case PROV_V_OPTED_OUT:
    case PROV_V_REFUSED:
    case PROV_V_BAD_ID: return PROV_SEND_FAIL;
    case PROV_V_TRANSIENT: return PROV_SEND_RETRY;
    case PROV_V_ACCEPTED: return PROV_SEND_OK;
    case PROV_V_NONE: break;
    }
    if (http_status >= 200 && http_status <= 299) {
        *what = "unreadable answer"; /* may have been sent: a duplicate beats a lost alert */
        return PROV_SEND_RETRY;
    }
    return http_status == 429 ? PROV_SEND_RETRY : PROV_SEND_FAIL;
}

int prov_classify(long http_status, int transport_error, enum prov_verdict verdict, char *msg_id, size_t idlen,
                  int *opted_out, char *err, size_t errlen)
{
    const char *what;
    int rc = decide(http_status, transport_error, verdict, &what);
    if (opted_out) *opted_out = rc == PROV_SEND_FAIL && verdict == PROV_V_OPTED_OUT;
    if (rc != PROV_SEND_OK) {
        if (msg_id && idlen) msg_id[0] = '\0';
        reason(err, errlen, what, http_status);
    }
    return rc;
}

int prov_send_read_2xx(long http_status, const char *body, size_t len, prov_send_reader read, char *msg_id,
                       size_t idlen, int *opted_out, char *err, size_t errlen)
{
    enum prov_verdict v = PROV_V_NONE;
    if (msg_id && idlen) msg_id[0] = '\0';
    if (err && errlen) err[0] = '\0';
    if (http_status >= 200 && http_status <= 299) v = read(body, len, msg_id, idlen, err, errlen);
    return prov_classify(http_status, 0, v, msg_id, idlen, opted_out, err, errlen);
}

int prov_send_read_coded(long http_status, const char *body, size_t len, prov_send_reader read, char *msg_id,
                         size_t idlen, int *opted_out, char *err, size_t errlen)
{
    enum prov_verdict v = PROV_V_NONE;
    if (msg_id && idlen) msg_id[0] = '\0';
    if (err && errlen) err[0] = '\0';
    if (http_status == 0) {
        gw_err(err, errlen, "no answer from the send API");
    } else if (http_status >= 500 && http_status <= 599) {
        gw_err(err, errlen, "send API answered HTTP %ld", http_status);
    } else {
        v = read(body, len, msg_id, idlen, err, errlen);
        if (v == PROV_V_NONE) gw_err(err, errlen, "send API answered HTTP %ld without a Code", http_status);
    }
    return prov_classify(http_status, 0, v, msg_id, idlen, opted_out, err, errlen);
}
