/* providers/token.c - the URL token that guards the callbacks of providers
 * that sign nothing (Africa's Talking, Aliyun, Tencent): the channel's
 * `token` must come back as ?token=... on every webhook. */
#include <string.h>

#include "crypto.h"
#include "form.h"
#include "provider.h"

int prov_verify_token(const struct gw_channel *ch, const struct prov_request *req, char *err, size_t errlen)
{
    struct form query = {0};
    unsigned char want[PC_SHA256_LEN], got[PC_SHA256_LEN];
    int rc = PROV_EFORBIDDEN;
    const char *token = gw_channel_key(ch, "token");
    if (!token || !*token) {
        gw_err(err, errlen, "channel has no token");
        goto done;
    }
    const char *q = req->query ? req->query : "";
    if (form_parse(q, strlen(q), &query, NULL, 0) < 0) {
        gw_err(err, errlen, "undecodable query");
        rc = PROV_EBADREQ; /* an undecodable query holds no token to check */
        goto done;
    }
    const char *given = form_get(&query, "token");
    if (!given || !*given) {
        gw_err(err, errlen, "missing token");
        goto done;
    }
    /* Hashes of equal length: the compare leaks neither bytes nor length. */
    if (pc_sha256(token, strlen(token), want) < 0 || pc_sha256(given, strlen(given), got) < 0) {
        gw_err(err, errlen, "cannot hash the token");
        goto done;
    }
    if (!pc_equal(want, sizeof want, got, sizeof got)) {
        gw_err(err, errlen, "bad token");
        goto done;
    }
    rc = PROV_OK;
done:
    memset(want, 0, sizeof want);
    memset(got, 0, sizeof got);
    form_free(&query);
    return rc;
}
