/* providers/tencent.h - the parts of the Tencent provider tests reach
 * directly: the TC3-HMAC-SHA256 signer of API 3.0.
 *
 * The provider itself is `prov_tencent` in the registry; nothing else needs
 * this header.
 */
#ifndef PROV_TENCENT_H
#define PROV_TENCENT_H

#include <stddef.h>

#include "../core/util.h"

#define PROV_TENCENT_SIG_HEX_LEN 64 /* lower-case hex of an HMAC-SHA256 */

/* The TC3 signature of a POST of body[0..len) to "/" on host (the Host
 * header exactly as sent, "host" or "host:port"), service "sms", at unix
 * time timestamp: the canonical request signs the headers content-type
 * ("application/json; charset=utf-8") and host and the SHA-256 of the body;
 * the key is derived from "TC3" + secret_key and the UTC date of timestamp.
 * Writes lower-case hex to sig (NUL-terminated). Returns 0, or -1 when the
 * timestamp has no UTC date or libcrypto fails (sig is then ""). Every
 * secret-derived key is wiped before returning. */
int prov_tencent_signature(const char *secret_key, const char *host, long long timestamp, const char *body, size_t len,
                           char sig[PROV_TENCENT_SIG_HEX_LEN + 1]);

/* Appends the Authorization header value for the same request to out:
 * "TC3-HMAC-SHA256 Credential=<secret_id>/<date>/sms/tc3_request,
 * SignedHeaders=content-type;host, Signature=<hex>". Returns 0, or -1 as
 * prov_tencent_signature (out unchanged). */
int prov_tencent_authorization(const char *secret_id, const char *secret_key, const char *host, long long timestamp,
                               const char *body, size_t len, struct gw_buf *out);

#endif
