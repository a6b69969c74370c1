/* providers/twilio.h - Twilio's X-Twilio-Signature, for the Twilio hooks and their tests.
 *
 * The provider itself is `prov_twilio` in the registry; this header only
 * exposes the provider's published signature algorithm so the SMS, status
 * and voice hooks share one implementation and tests can check it against
 * Twilio's published vectors.
 */
#ifndef PROV_TWILIO_H
#define PROV_TWILIO_H

#include <stddef.h>

#include "form.h"

#define PROV_TWILIO_SIG_LEN 28 /* characters in base64(HMAC-SHA1) */

/* Computes the signature of url (exactly as given) plus, when params is not
 * NULL, every decoded parameter sorted by name then value, a repeated
 * (name, value) pair counted once, each appended as name then value:
 * base64(HMAC-SHA1(auth_token, string)). params is sorted in place
 * (form_sort). Writes PROV_TWILIO_SIG_LEN characters and a NUL to out.
 * Returns 0, or -1 when libcrypto fails. Never logs its inputs. */
int prov_twilio_signature(const char *auth_token, const char *url, struct form *params,
                          char out[PROV_TWILIO_SIG_LEN + 1]);

/* Checks a signature header value (sig, sig_len) for url and params as the
 * official validator does: it is accepted when it matches the URL as
 * given, the URL with the scheme's default port (:443 https, :80 http)
 * inserted when it has none, or the URL with its port removed. Every
 * comparison is constant-time. params as for prov_twilio_signature.
 * Returns 1 when valid, 0 otherwise (also for a NULL or empty token, a
 * NULL url or sig). */
int prov_twilio_check(const char *auth_token, const char *url, struct form *params, const char *sig, size_t sig_len);

#endif
