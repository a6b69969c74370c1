/* handlers/normalize.c - text normalisation and tokenising for the SMS code book.
 *
 * One scanner serves both cb_normalize and cb_tokenize, so the normalised
 * text stored with a message is always the parser's tokens joined by one
 * space. The scanner decodes UTF-8 one code point at a time (an invalid or
 * truncated sequence becomes one U+FFFD), maps it (full-width ASCII to
 * ASCII, letters to upper case), classes it, and cuts tokens:
 *
 *   - at every space-class code point: ASCII whitespace and controls,
 *     U+3000 and the Unicode spaces, and the separators ，。、；：,;:#*+ in
 *     their ASCII, full-width, half-width, small and vertical forms;
 *   - where an ASCII digit meets an ASCII letter or a non-ASCII character,
 *     in either order (ZF1000015 -> ZF 1000015, 走访1000015正常 -> 走访
 *     1000015 正常); ASCII punctuation does not split from digits, so
 *     2024-11-05 and 1. stay whole and the parser decides;
 *   - except inside a date written with Chinese units: a digit run that
 *     starts YYYY年M月D[日号], M月D[日号] or D[日号] (1-2 digits for M and D)
 *     stays one token, and a cut is forced after it (3月5日正常 -> 3月5日 正常),
 *     so cb_parse_date sees the whole date.
 *
 * Every token remembers the byte range of the original text it came from,
 * so the parser can cut the free-text note exactly as typed. Work is linear
 * in the input; nothing here keeps state between calls.
 *
 * Chinese numerals are not touched here: the normalised text keeps them as
 * typed (一个人 stays 一个人). cb_numerals, at the end of this file, reads
 * them as digits for the parser, which applies it only to a whole token in
 * a slot that takes a number or a date.
 */
#include "../core/utf8.h"
#include "codebook.h"

#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

enum cls {
    C_SPACE,  /* whitespace, control or separator: ends a token */
    C_DIGIT,  /* ASCII 0-9 (after mapping) */
    C_LETTER, /* ASCII A-Z (after mapping and upper-casing) */
    C_PUNCT,  /* other printable ASCII */
    C_OTHER,  /* any other code point: CJK, emoji, U+FFFD... */
};

/* Non-ASCII code points that end a token: Unicode spaces, the ideographic
 * separators, and the half-width/small/vertical forms of ，。、；：#*+. */
static const uint32_t space_cps[] = {
    0x0085, 0x00A0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
    0x200A, 0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x3001, 0x3002, 0xFE10, 0xFE11, 0xFE12, 0xFE13,
    0xFE14, 0xFE50, 0xFE51, 0xFE52, 0xFE54, 0xFE55, 0xFE5F, 0xFE61, 0xFE62, 0xFEFF, 0xFF61, 0xFF64,
};

#define CP_NIAN 0x5E74 /* 年 */
#define CP_YUE  0x6708 /* 月 */
#define CP_RI   0x65E5 /* 日 */
#define CP_HAO  0x53F7 /* 号 */

/* Maps a code point (full-width ASCII to ASCII, a-z to A-Z) and classes it. */
static uint32_t map_cp(uint32_t c, enum cls *k)
{
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;
    if (c < 0x80) {
        if (c <= 0x20 || c == 0x7F || strchr(",;:#*+", (int)c))
            *k = C_SPACE;
        else if (c >= '0' && c <= '9')
            *k = C_DIGIT;
        else if (c >= 'a' && c <= 'z') {
            c -= 'a' - 'A';
            *k = C_LETTER;
        } else if (c >= 'A' && c <= 'Z')
            *k = C_LETTER;
        else
            *k = C_PUNCT;
        return c;
    }
    if (c < 0xA0) { /* C1 controls */
        *k = C_SPACE;
        return c;
    }
    for (size_t i = 0; i < sizeof space_cps / sizeof space_cps[0]; i++) {
        if (space_cps[i] == c) {
            *k = C_SPACE;
            return c;
        }
    }
    *k = C_OTHER;
    return c;
}

/* Decodes and maps the code point at byte i; returns the bytes consumed. */
static size_t next_mapped(const char *text, size_t len, size_t i, uint32_t *c, enum cls *k)
{
    size_t n = utf8_decode((const unsigned char *)text, len, i, c);
    *c = map_cp(*c, k);
    return n;
}

/* Reads a run of digits at byte i: returns how many (stops counting past 5)
 * and sets *end to the byte after the run. */
static int digit_run(const char *text, size_t len, size_t i, size_t *end)
{
    int n = 0;
    while (i < len) {
        uint32_t c;
        enum cls k;
        size_t step = next_mapped(text, len, i, &c, &k);
        if (k != C_DIGIT) break;
        i += step;
        if (n < 5) n++;
    }
    *end = i;
    return n;
}

/* When the code point at byte i is `want`, returns the byte after it, else 0. */
static size_t expect_cp(const char *text, size_t len, size_t i, uint32_t want)
{
    if (i >= len) return 0;
    uint32_t c;
    enum cls k;
    size_t step = next_mapped(text, len, i, &c, &k);
    return c == want ? i + step : 0;
}

/* A date written with Chinese units starting at byte i (the first digit of a
 * run): returns the byte just past it, or 0 when there is none. */
static size_t date_run(const char *text, size_t len, size_t i)
{
    size_t p, q;
    int n = digit_run(text, len, i, &p);
    if (n == 4 && (q = expect_cp(text, len, p, CP_NIAN))) { /* YYYY年M月D[日号] */
        n = digit_run(text, len, q, &p);
        if (n < 1 || n > 2 || !(q = expect_cp(text, len, p, CP_YUE))) return 0;
        n = digit_run(text, len, q, &p);
        if (n < 1 || n > 2) return 0;
        if ((q = expect_cp(text, len, p, CP_RI)) || (q = expect_cp(text, len, p, CP_HAO))) return q;
        return p;
    }
    if (n < 1 || n > 2) return 0;
    if ((q = expect_cp(text, len, p, CP_RI)) || (q = expect_cp(text, len, p, CP_HAO))) return q; /* D日 */
    if (!(q = expect_cp(text, len, p, CP_YUE))) return 0;                                        /* M月D[日号] */
    n = digit_run(text, len, q, &p);
    if (n < 1 || n > 2) return 0;
    if ((q = expect_cp(text, len, p, CP_RI)) || (q = expect_cp(text, len, p, CP_HAO))) return q;
    return p;
}

typedef void (*emit_fn)(void *arg, const char *tok, size_t n, size_t raw_start, size_t raw_end);

/* The one scanner: calls emit for every token, in order. */
static void scan(const char *text, size_t len, emit_fn emit, void *arg)
{
    struct gw_buf tok = {0};
    size_t tok_raw = 0, tok_end = 0;
    int in_tok = 0;
    enum cls prev = C_SPACE;
    size_t date_end = 0; /* no cut before this byte; a forced cut at it */
    size_t i = 0;

    if (!text) len = 0;
    while (i < len) {
        uint32_t c;
        enum cls k;
        size_t step = next_mapped(text, len, i, &c, &k);
        int cut = 0;
        if (k == C_SPACE) {
            cut = 1;
        } else if (in_tok) {
            if (i == date_end)
                cut = 1;
            else if (i < date_end)
                cut = 0;
            else if (prev == C_DIGIT && (k == C_LETTER || k == C_OTHER))
                cut = 1;
            else if ((prev == C_LETTER || prev == C_OTHER) && k == C_DIGIT)
                cut = 1;
        }
        if (k == C_DIGIT && prev != C_DIGIT && i >= date_end) {
            size_t e = date_run(text, len, i);
            if (e) {
                date_end = e;
                if (in_tok) cut = 1;
            }
        }
        if (cut && in_tok) {
            emit(arg, gw_buf_cstr(&tok), tok.len, tok_raw, tok_end);
            gw_buf_reset(&tok);
            in_tok = 0;
        }
        if (k != C_SPACE) {
            char u[4];
            if (!in_tok) {
                in_tok = 1;
                tok_raw = i;
            }
            gw_buf_append(&tok, u, utf8_encode(c, u));
            tok_end = i + step;
        }
        prev = k;
        i += step;
    }
    if (in_tok) emit(arg, gw_buf_cstr(&tok), tok.len, tok_raw, tok_end);
    gw_buf_free(&tok);
}

static void emit_joined(void *arg, const char *tok, size_t n, size_t raw_start, size_t raw_end)
{
    struct gw_buf *b = arg;
    (void)raw_start;
    (void)raw_end;
    if (b->len) gw_buf_putc(b, ' ');
    gw_buf_append(b, tok, n);
}

char *cb_normalize(const char *text, size_t len)
{
    struct gw_buf b = {0};
    scan(text, len, emit_joined, &b);
    return gw_buf_steal(&b);
}

struct tok_list {
    struct cb_tokens *t;
    size_t cap; /* entries allocated in t->v */
};

static void emit_token(void *arg, const char *tok, size_t n, size_t raw_start, size_t raw_end)
{
    struct tok_list *l = arg;
    struct cb_tokens *t = l->t;
    if (t->n == l->cap) {
        /* tokens are at most one per input byte, so this cannot overflow */
        l->cap = l->cap ? l->cap * 2 : 8;
        t->v = gw_realloc(t->v, l->cap * sizeof *t->v);
    }
    struct cb_token *v = &t->v[t->n++];
    v->text = gw_strndup(tok, n);
    v->raw_start = raw_start;
    v->raw_end = raw_end;
}

void cb_tokenize(const char *text, size_t len, struct cb_tokens *out)
{
    struct tok_list l = {out, 0};
    out->v = NULL;
    out->n = 0;
    scan(text, len, emit_token, &l);
}

void cb_tokens_free(struct cb_tokens *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) free(t->v[i].text);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* ---- Chinese numerals ------------------------------------------------------ */

static const struct {
    uint32_t cp;
    int v; /* 0-9, or 10 for 十 */
} numerals[] = {
    {0x3007, 0}, /* 〇 */ {0x96F6, 0}, /* 零 */ {0x4E00, 1},  /* 一 */ {0x5E7A, 1},  /* 幺 */
    {0x58F9, 1}, /* 壹 */ {0x4E8C, 2}, /* 二 */ {0x4E24, 2},  /* 两 */ {0x8D30, 2},  /* 贰 */
    {0x4E09, 3}, /* 三 */ {0x53C1, 3}, /* 叁 */ {0x56DB, 4},  /* 四 */ {0x8086, 4},  /* 肆 */
    {0x4E94, 5}, /* 五 */ {0x4F0D, 5}, /* 伍 */ {0x516D, 6},  /* 六 */ {0x9646, 6},  /* 陆 */
    {0x4E03, 7}, /* 七 */ {0x67D2, 7}, /* 柒 */ {0x516B, 8},  /* 八 */ {0x634C, 8},  /* 捌 */
    {0x4E5D, 9}, /* 九 */ {0x7396, 9}, /* 玖 */ {0x5341, 10}, /* 十 */ {0x62FE, 10}, /* 拾 */
};

/* The value of a numeral code point (0-10), or -1. */
static int numeral_value(uint32_t c)
{
    for (size_t i = 0; i < sizeof numerals / sizeof numerals[0]; i++)
        if (numerals[i].cp == c) return numerals[i].v;
    return -1;
}

/* Writes the digits of one run (values v[0..n)) to out at *o. 0, or -1. */
static int put_run(const int *v, size_t n, char *out, size_t outlen, size_t *o)
{
    size_t tens = n, k;
    for (k = 0; k < n; k++)
        if (v[k] == 10) {
            if (tens != n) return -1; /* two 十 */
            tens = k;
        }
    char buf[64];
    size_t bn = 0;
    if (tens == n) { /* digit by digit */
        if (n >= sizeof buf) return -1;
        for (k = 0; k < n; k++) buf[bn++] = (char)('0' + v[k]);
    } else { /* [d]十[d] */
        if (tens > 1 || n - tens > 2) return -1;
        int hi = tens == 1 ? v[0] : 1, lo = n - tens == 2 ? v[tens + 1] : 0;
        if (hi < 1 || hi > 9 || lo < 0 || lo > 9 || (tens == 1 && v[0] == 0)) return -1;
        buf[bn++] = (char)('0' + hi);
        buf[bn++] = (char)('0' + lo);
    }
    if (*o + bn >= outlen) return -1;
    memcpy(out + *o, buf, bn);
    *o += bn;
    return 0;
}

int cb_numerals(const char *s, char *out, size_t outlen)
{
    if (!out || outlen == 0) return -1;
    out[0] = '\0';
    if (!s) return 0;
    size_t len = strlen(s), o = 0, i = 0;
    int runs = 0;
    int v[64];
    size_t nv = 0;
    while (i <= len) {
        uint32_t c = 0;
        size_t step = i < len ? utf8_decode((const unsigned char *)s, len, i, &c) : 1;
        int val = i < len ? numeral_value(c) : -1;
        if (val >= 0) {
            if (nv == sizeof v / sizeof v[0]) goto fail;
            v[nv++] = val;
        } else {
            if (nv) {
                if (put_run(v, nv, out, outlen, &o) != 0) goto fail;
                runs++;
                nv = 0;
            }
            if (i < len) {
                if (o + step >= outlen) goto fail;
                memcpy(out + o, s + i, step);
                o += step;
            }
        }
        i += step;
    }
    out[o] = '\0';
    return runs;
fail:
    out[0] = '\0';
    return -1;
}
