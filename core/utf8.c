/* core/utf8.c - UTF-8 decoding, checking and encoding. */
#include "utf8.h"

/* The bounds of the second byte after lead b, and the bytes that follow
 * the lead (0 for ASCII, -1 for a byte that cannot start a sequence). */
static int lead_info(unsigned char b, unsigned char *lo, unsigned char *hi, uint32_t *bits)
{
    *lo = 0x80, *hi = 0xBF;
    if (b < 0x80) {
        *bits = b;
        return 0;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        *bits = b & 0x1F;
        return 1;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        *bits = b & 0x0F;
        if (b == 0xE0) *lo = 0xA0;
        if (b == 0xED) *hi = 0x9F; /* no surrogates */
        return 2;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        *bits = b & 0x07;
        if (b == 0xF0) *lo = 0x90;
        if (b == 0xF4) *hi = 0x8F; /* nothing above U+10FFFF */
        return 3;
    }
    return -1;
}

size_t utf8_decode(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    unsigned char lo, hi;
    uint32_t c;
    int need = lead_info(s[i], &lo, &hi, &c);
    if (need <= 0) {
        *cp = need == 0 ? c : 0xFFFD;
        return 1;
    }
    size_t k;
    for (k = 1; k <= (size_t)need; k++) {
        if (i + k >= len) break;
        unsigned char cb = s[i + k];
        if (k == 1 ? (cb < lo || cb > hi) : (cb < 0x80 || cb > 0xBF)) break;
        c = (c << 6) | (cb & 0x3F);
    }
    if (k <= (size_t)need) {
        *cp = 0xFFFD;
        return k;
    }
    *cp = c;
    return (size_t)need + 1;
}

size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char lo, hi;
    uint32_t c;
    int need = lead_info(s[0], &lo, &hi, &c);
    if (need < 0 || n < (size_t)need + 1) return 0;
    if (need == 0) return 1;
    if (s[1] < lo || s[1] > hi) return 0;
    for (int i = 2; i <= need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return (size_t)need + 1;
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

size_t utf8_lead_len(unsigned char b)
{
    return b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
}

size_t utf8_encode(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

size_t utf8_cut(const char *s, size_t n)
{
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--; /* continuation bytes */
    if (i == 0) return 0;
    size_t want = utf8_lead_len((unsigned char)s[i - 1]);
    return n - (i - 1) < want ? i - 1 : n;
}
