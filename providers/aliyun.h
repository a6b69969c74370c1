/* providers/aliyun.h - the parts of the Aliyun provider tests reach directly:
 * the RPC signature v1 signer. Names and values are
 * percent-encoded with form_put_encoded (RFC 3986: unreserved bytes kept,
 * everything else %XY in upper-case hex, space %20).
 *
 * The provider itself is `prov_aliyun` in the registry; nothing else needs
 * this header.
 */
#ifndef PROV_ALIYUN_H
#define PROV_ALIYUN_H

#include <stddef.h>

#include "../core/util.h"

#define PROV_ALIYUN_SIG_LEN 28 /* base64 of an HMAC-SHA1: 28 characters */

/* One request parameter, borrowed. name and value are UTF-8 C strings. */
struct prov_aliyun_param {
    const char *name;  /* never NULL, never "Signature" */
    const char *value; /* never NULL (may be "") */
};

/* Signs params[0..n) for an HTTP method ("GET" or "POST") with the
 * account's access_key_secret: sorts the parameters by name (byte order,
 * in a private copy), builds CanonicalizedQueryString, StringToSign =
 * method&%2F&enc(canonical), and writes Base64(HMAC-SHA1(secret + "&",
 * StringToSign)) to sig (NUL-terminated). When canonical is not NULL the
 * canonical query string is appended to it: with "&Signature=" +
 * enc(sig) added, it is the body (POST) or query (GET) to send. Returns 0,
 * or -1 when two parameters share a name or libcrypto fails (sig is then
 * "" and canonical unchanged). The secret is wiped from the memory used. */
int prov_aliyun_sign(const char *method, const char *access_key_secret, const struct prov_aliyun_param *params,
                     size_t n, struct gw_buf *canonical, char sig[PROV_ALIYUN_SIG_LEN + 1]);

#endif
