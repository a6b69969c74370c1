/* core/utf8.h - the one UTF-8 decoder and encoder every layer uses.
 *
 * Well-formed means RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF. Text from the network is checked with utf8_valid before
 * it is stored; the normaliser and parsers read it with utf8_decode, which
 * turns a bad sequence into U+FFFD instead of failing.
 */
#ifndef GW_UTF8_H
#define GW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s[i] (i < len) into *cp. Returns the bytes
 * consumed (>= 1); an ill-formed sequence yields U+FFFD for its longest
 * well-formed-looking prefix. */
size_t utf8_decode(const unsigned char *s, size_t len, size_t i, uint32_t *cp);
/* Length (1-4) of the well-formed sequence at s (n bytes left, n >= 1), or
 * 0 when s does not start one. */
size_t utf8_seq(const unsigned char *s, size_t n);
/* 1 when s[0..n) is well-formed UTF-8, else 0. */
int utf8_valid(const char *s, size_t n);
/* The length (1-4) a lead byte announces; 1 for a stray byte. */
size_t utf8_lead_len(unsigned char lead);
/* Writes cp (<= U+10FFFF) into out (4 bytes room); returns the bytes written. */
size_t utf8_encode(uint32_t cp, char *out);
/* The largest m <= n such that s[0..m) ends on a whole character: how far
 * a buffer cut at n bytes can be kept. */
size_t utf8_cut(const char *s, size_t n);

#endif
