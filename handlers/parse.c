/* handlers/parse.c - the code-book parser: message text -> struct cb_cmd (DESIGN §5).
 *
 * The text is tokenised by cb_tokenize (normalised tokens plus their byte
 * ranges in the original), turned into at most W_MAX working tokens, and
 * read by one small grammar per intent. Every slot is a data table lookup
 * or an exact-length digit test; nothing here uses atoi. The first token the
 * grammar does not take starts the note, which is cut from the original text
 * (so it is kept as typed: full-width, case and inner punctuation intact,
 * invalid UTF-8 replaced by U+FFFD, control bytes by spaces).
 *
 * Decisions where DESIGN §5 is silent (the tests pin each one):
 *   - Token matching ignores punctuation and emoji at either end of a token
 *     ("1." "正常!" "HELP?" "平安😊"), except that a token made only of them
 *     stays itself ("?" is the help keyword; "??" too).
 *   - The keyword is the first token. Besides the design's splits, a first
 *     token that starts with a keyword followed by Chinese text is split
 *     after it (举报家暴, 签到平安, BG孩子被打): the CJK keywords 走访 签到
 *     报平安 报告 举报 求助 确认 结案 查询 and every ASCII keyword but V.
 *     帮助 is not split, so a plea like "帮助我们..." is not read as HELP and
 *     reaches a person as an unclassified message.
 *   - A Chinese token made entirely of code-book words reads as those words
 *     spaced (今天正常, 心理健康, 有问题心理): the design's whole-token rule,
 *     applied piece by piece. Other Chinese text is never cut.
 *   - Problem codes: JH XL XX JK SH AQ QG or their words, one or more tokens,
 *     and several codes stuck together in one token (XLJK, XL/JK, XL|JK).
 *   - Dates: cb_parse_date's forms; the tokeniser keeps M月D日 whole. In a
 *     visit the date may come right before or right after the result. A
 *     missing visit date is today (date_given = 0); a bad one is
 *     CB_E_DATE_FORMAT and also leaves today in the fields.
 *   - Visit: anything numeric in the child position that is not 7 digits
 *     (1000-015, 100001) is CB_E_CHILD_FORMAT. A 1- or 2-digit result other
 *     than 1-4 is CB_E_RESULT_BAD.
 *   - Check-in: a number of 3+ digits first is the child (7 digits) or
 *     CB_E_CHILD_FORMAT, unless it is a date followed by status 3
 *     ("QD 20261220 回家"). Status and date may come in either order; a date
 *     is taken only with status 3 (CB_DATE_FUTURE). The child may also come
 *     after the status. A digit stuck to following text ("2个孩子都好") is
 *     not a status: it is the note.
 *   - Report: the category and a 7-digit child code may come in either
 *     order. A category digit must stand alone ("BG 3个孩子在河边" is a
 *     description with category 9); 0 is CB_E_CATEGORY_BAD. Other numbers
 *     belong to the description. With no category named, a description whose
 *     first token starts with a category word (家暴打孩子) names that
 *     category and is still kept whole; 其他 is not read this way. A report
 *     with no description is well-formed when it names a category or a
 *     child (BG 4, 举报家暴: the case still opens); with nothing at all after
 *     the keyword it is CB_E_DESC_MISSING.
 *   - Opt-out/in: the whole message is one to three opt words of one kind
 *     (TD, "T 退订"); anything more is not an opt-out.
 *   - A message that matches no command has its whole text as the note.
 *   - A note made only of punctuation is no note (NULL).
 *   - Errors: the first problem met left to right wins; parsing goes on, so
 *     the other fields are filled as far as they can be.
 */
#include "codebook.h"

#include <stdlib.h>
#include <string.h>

#include "../gateway/util.h"

#define W_MAX          48 /* working tokens the grammar looks at; the rest can only be note */
#define CORE_MAX       63 /* longest token core compared with words and dates (bytes) */
#define VISIT_MAX_DAYS 60 /* a visit date older than this is refused */
#define SEG_MAX        60 /* longest Chinese token tried as a run of code-book words (bytes) */
#define WORD_MAX       12 /* longest code-book word (无人照料; day words are shorter) */

struct word {
    const char *w;
    int v;
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct keyword {
    const char *w;
    enum cb_intent intent;
    int split; /* may be stuck to the Chinese text after it */
} keywords[] = {
    {"ZF", CB_VISIT, 1},     {"走访", CB_VISIT, 1},     {"V", CB_VISIT, 0},     {"QD", CB_CHECKIN, 1},
    {"签到", CB_CHECKIN, 1}, {"报平安", CB_CHECKIN, 1}, {"CI", CB_CHECKIN, 1},  {"BG", CB_REPORT, 1},
    {"报告", CB_REPORT, 1},  {"举报", CB_REPORT, 1},    {"求助", CB_REPORT, 1}, {"QR", CB_ACK, 1},
    {"确认", CB_ACK, 1},     {"ACK", CB_ACK, 1},        {"JA", CB_CLOSE, 1},    {"结案", CB_CLOSE, 1},
    {"CX", CB_STATUS, 1},    {"查询", CB_STATUS, 1},    {"BZ", CB_HELP, 1},     {"帮助", CB_HELP, 0},
    {"HELP", CB_HELP, 1},    {"?", CB_HELP, 0},
};

static const struct word opt_words[] = {
    {"TD", CB_OPTOUT},   {"T", CB_OPTOUT}, {"R", CB_OPTOUT},   {"N", CB_OPTOUT},    {"退订", CB_OPTOUT},
    {"STOP", CB_OPTOUT}, {"DY", CB_OPTIN}, {"订阅", CB_OPTIN}, {"START", CB_OPTIN},
};

static const struct word results[] = {
    {"正常", 1}, {"有问题", 2}, {"问题", 2}, {"未见", 3}, {"没见到", 3}, {"不在家", 3}, {"电话", 4}, {"视频", 4},
};

static const struct word problem_codes[] = {
    {"JH", CB_P_JH}, {"XL", CB_P_XL}, {"XX", CB_P_XX}, {"JK", CB_P_JK},
    {"SH", CB_P_SH}, {"AQ", CB_P_AQ}, {"QG", CB_P_QG},
};

static const struct word problem_words[] = {
    {"监护", CB_P_JH}, {"心理", CB_P_XL}, {"上学", CB_P_XX}, {"辍学", CB_P_XX},
    {"健康", CB_P_JK}, {"生活", CB_P_SH}, {"安全", CB_P_AQ}, {"亲情", CB_P_QG},
};

static const struct word statuses[] = {
    {"平安", 1},
    {"求助", 2},
    {"回家", 3},
    {"换人", 4},
};

/* Report categories; the order matters only for the prefix rule (longest
 * words cannot be prefixes of each other here). */
static const struct word categories[] = {
    {"性侵", 1}, {"家暴", 2}, {"虐待", 2}, {"无人照料", 3}, {"遗弃", 3}, {"走失", 4}, {"失踪", 4}, {"拐卖", 4},
    {"自杀", 5}, {"自伤", 5}, {"溺水", 6}, {"危险", 6},     {"欺凌", 7}, {"辍学", 8}, {"其他", 9},
};

static const struct word outcomes[] = {
    {"已处置", 1},
    {"已转介", 2},
    {"不属实", 3},
    {"已立案", 4},
};

/* Every table of code-book words, for reading a token as a run of them. */
static const struct {
    const struct word *v;
    size_t n;
} vocab[] = {
    {results, N_OF(results)},       {problem_words, N_OF(problem_words)}, {statuses, N_OF(statuses)},
    {categories, N_OF(categories)}, {outcomes, N_OF(outcomes)},
};

static const char *const intent_names[] = {
    [CB_UNKNOWN] = "unknown", [CB_VISIT] = "visit", [CB_CHECKIN] = "checkin", [CB_REPORT] = "report",
    [CB_ACK] = "ack",         [CB_CLOSE] = "close", [CB_STATUS] = "status",   [CB_HELP] = "help",
    [CB_OPTOUT] = "optout",   [CB_OPTIN] = "optin",     [CB_CLASSIFY] = "classify", [CB_QUERY] = "query",
};

static const char *const error_names[] = {
    [CB_OK] = "ok",
    [CB_E_CHILD_MISSING] = "child_missing",
    [CB_E_CHILD_FORMAT] = "child_format",
    [CB_E_CHILD_CHECK] = "child_check",
    [CB_E_DATE_FORMAT] = "date_format",
    [CB_E_DATE_FUTURE] = "date_future",
    [CB_E_DATE_OLD] = "date_old",
    [CB_E_RESULT_MISSING] = "result_missing",
    [CB_E_RESULT_BAD] = "result_bad",
    [CB_E_PROBLEMS_MISSING] = "problems_missing",
    [CB_E_STATUS_BAD] = "status_bad",
    [CB_E_CATEGORY_BAD] = "category_bad",
    [CB_E_DESC_MISSING] = "desc_missing",
    [CB_E_CASE_MISSING] = "case_missing",
    [CB_E_CASE_FORMAT] = "case_format",
    [CB_E_OUTCOME_MISSING] = "outcome_missing",
    [CB_E_OUTCOME_BAD] = "outcome_bad",
};

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the code point that ends at s[n-1] (s valid UTF-8). */
static size_t u8_last(const char *s, size_t n)
{
    size_t k = 1;
    while (k < n && k < 4 && ((unsigned char)s[n - k] & 0xC0) == 0x80) k++;
    return k;
}

/* Punctuation: ASCII, Latin-1, general, CJK brackets and marks, small and
 * half-width forms. */
static int is_punct(uint32_t c)
{
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0; /* full-width ASCII, as typed in a note */
    if (c < 0x80)
        return c > 0x20 && c < 0x7F && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z');
    return (c >= 0xA1 && c <= 0xBF) || (c >= 0x2010 && c <= 0x205E) || (c >= 0x3008 && c <= 0x3011) ||
           (c >= 0x3014 && c <= 0x301F) || (c >= 0xFE30 && c <= 0xFE6B) || (c >= 0xFF5F && c <= 0xFF65);
}

/* Decoration: punctuation, symbols, emoji and their joiners/selectors. */
static int is_decor(uint32_t c)
{
    return is_punct(c) || (c >= 0x2190 && c <= 0x21FF) || (c >= 0x2300 && c <= 0x23FF) ||
           (c >= 0x2600 && c <= 0x27BF) || (c >= 0x2B00 && c <= 0x2BFF) || (c >= 0xFE00 && c <= 0xFE0F) ||
           c == 0x200C || c == 0x200D || c == 0x20E3 || (c >= 0x1F000 && c <= 0x1FAFF) ||
           (c >= 0xE0020 && c <= 0xE007F);
}

static int is_cjk(uint32_t c)
{
    return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

/* ---- working tokens ------------------------------------------------------ */

struct wtok {
    const char *p;        /* normalised text (in the cb_tokens list), not NUL-terminated */
    size_t n;             /* its bytes, >= 1 */
    size_t raw;           /* its first byte in the original text */
    size_t raw_end;       /* just past its last byte in the original text */
    int glued;            /* the next token follows in the original with no separator */
    int nd;               /* when the core is all ASCII digits: how many (capped at 99); else 0 */
    int numeric;          /* the core has a digit and only digits and ASCII punctuation */
    char s[CORE_MAX + 1]; /* the core: p without punctuation/emoji at its ends; "" when longer
                             than CORE_MAX (such a token matches no word or date) */
};

struct pctx {
    const char *text; /* the original message */
    size_t len;
    int64_t now;
    struct wtok w[W_MAX];
    size_t n;        /* working tokens in w */
    int full;        /* tokens were left out of w */
    size_t rest_raw; /* when full: the first byte of the first token left out */
    size_t end_raw;  /* just past the last token of the message */
    struct cb_cmd *out;
};

/* The core of p[0..n): decoration stripped from both ends, unless that
 * leaves nothing. */
static void core_of(const char *p, size_t n, size_t *off, size_t *cn)
{
    size_t a = 0, b = n;
    while (a < b) {
        uint32_t c;
        size_t k = cb_utf8_next((const unsigned char *)p, b, a, &c);
        if (!is_decor(c)) break;
        a += k;
    }
    while (b > a) {
        uint32_t c;
        size_t k = u8_last(p + a, b - a);
        cb_utf8_next((const unsigned char *)p, b, b - k, &c);
        if (!is_decor(c)) break;
        b -= k;
    }
    if (a == b) {
        *off = 0, *cn = n;
    } else {
        *off = a, *cn = b - a;
    }
}

static int push(struct pctx *x, const char *p, size_t n, size_t raw, size_t raw_end)
{
    if (x->n == W_MAX) {
        if (!x->full) x->full = 1, x->rest_raw = raw;
        return -1;
    }
    struct wtok *t = &x->w[x->n++];
    memset(t, 0, sizeof *t);
    t->p = p, t->n = n, t->raw = raw, t->raw_end = raw_end;
    size_t off, cn;
    core_of(p, n, &off, &cn);
    if (cn <= CORE_MAX) {
        memcpy(t->s, p + off, cn);
        t->s[cn] = '\0';
    }
    int digits = 0, other = 0;
    for (size_t i = off; i < off + cn; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= '0' && c <= '9')
            digits += digits < 99;
        else if (c >= 0x80 || !is_punct(c))
            other = 1;
        else
            other |= 2;
    }
    t->nd = (digits && !other) ? digits : 0;
    t->numeric = digits && !(other & 1);
    return 0;
}

/* Where bytes q[0..qn) start in the original text at or after `from`
 * (before `to`); `from` when absent (which cannot happen for identity-mapped
 * text, but keeps offsets in range). */
static size_t find_raw(const struct pctx *x, size_t from, size_t to, const char *q, size_t qn)
{
    for (size_t i = from; i + qn <= to; i++)
        if (memcmp(x->text + i, q, qn) == 0) return i;
    return from;
}

static int lookup(const struct word *tab, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].w, s) == 0) return tab[i].v;
    return 0;
}

#define LOOKUP(tab, s) lookup((tab), N_OF(tab), (s))

/* A code-book word (value, problem, status, category, outcome or day word). */
static int is_vocab(const struct pctx *x, const char *s)
{
    int y, m, d;
    for (size_t i = 0; i < N_OF(vocab); i++)
        if (lookup(vocab[i].v, vocab[i].n, s)) return 1;
    return strlen(s) <= WORD_MAX && cb_parse_date(s, x->now, CB_DATE_PAST, &y, &m, &d) == 0;
}

/* Pushes the token p[0..n) (original bytes raw..raw_end), as several tokens
 * when its core is a run of two or more code-book words. */
static void add_segmented(struct pctx *x, const char *p, size_t n, size_t raw, size_t raw_end)
{
    size_t off, cn;
    core_of(p, n, &off, &cn);
    const char *c = p + off;
    int from[SEG_MAX + 1]; /* from[j] >= 0: c[0..j) is a run of words, the last one c[from[j]..j) */
    char buf[SEG_MAX + 1];
    int ok = cn <= SEG_MAX;

    for (size_t i = 0; ok && i < cn;) { /* only Chinese characters */
        uint32_t cp;
        i += cb_utf8_next((const unsigned char *)c, cn, i, &cp);
        ok = is_cjk(cp);
    }
    if (ok) {
        memcpy(buf, c, cn);
        buf[cn] = '\0';
        ok = !is_vocab(x, buf);
    }
    if (ok) {
        from[0] = 0;
        for (size_t j = 1; j <= cn; j++) {
            from[j] = -1;
            if (j < cn && ((unsigned char)c[j] & 0xC0) == 0x80) continue;
            for (size_t i = 0; i < j && from[j] < 0; i++) { /* longest last word first */
                if (j - i > WORD_MAX || from[i] < 0 || ((unsigned char)c[i] & 0xC0) == 0x80) continue;
                memcpy(buf, c + i, j - i);
                buf[j - i] = '\0';
                if (is_vocab(x, buf)) from[j] = (int)i;
            }
        }
        ok = from[cn] > 0;
    }
    if (!ok) {
        push(x, p, n, raw, raw_end);
        return;
    }
    size_t cut[SEG_MAX + 1], k = 0; /* word boundaries, from the end */
    for (size_t j = cn; j > 0; j = (size_t)from[j]) cut[k++] = j;
    size_t start = 0, cursor = raw;
    while (k > 0) {
        size_t end = cut[--k];
        size_t r = find_raw(x, cursor, raw_end, c + start, end - start);
        size_t r_end = k == 0 ? raw_end : r + (end - start);
        if (push(x, c + start, end - start, start == 0 ? raw : r, r_end) != 0)
            return; /* the first
piece keeps any leading punctuation */
        cursor = r_end;
        start = end;
    }
}

/* A keyword that the first token p[0..n) starts with and that is to be split
 * off; returns its length in bytes, or 0. */
static size_t keyword_prefix(const char *p, size_t n)
{
    size_t best = 0;
    for (size_t i = 0; i < N_OF(keywords); i++) {
        size_t kl = strlen(keywords[i].w);
        if (!keywords[i].split || kl >= n || kl <= best || memcmp(p, keywords[i].w, kl) != 0) continue;
        if ((unsigned char)keywords[i].w[0] < 0x80) { /* ASCII keyword: Chinese must follow */
            uint32_t cp;
            cb_utf8_next((const unsigned char *)p, n, kl, &cp);
            if (!is_cjk(cp)) continue;
        }
        best = kl;
    }
    return best;
}

static int is_keyword(const char *s)
{
    for (size_t i = 0; i < N_OF(keywords); i++)
        if (strcmp(keywords[i].w, s) == 0) return 1;
    return LOOKUP(opt_words, s) != 0;
}

static void build(struct pctx *x, const struct cb_tokens *tk)
{
    for (size_t i = 0; i < tk->n; i++) {
        const struct cb_token *t = &tk->v[i];
        const char *p = t->text;
        size_t n = strlen(p);
        if (x->full) {
            break;
        } else if (i > 0) {
            add_segmented(x, p, n, t->raw_start, t->raw_end);
        } else {
            size_t off, cn, kl = 0;
            core_of(p, n, &off, &cn);
            char s[CORE_MAX + 1] = "";
            if (cn <= CORE_MAX) memcpy(s, p + off, cn), s[cn] = '\0';
            if (!is_keyword(s)) kl = keyword_prefix(p, n);
            if (!kl) {
                push(x, p, n, t->raw_start, t->raw_end);
                continue;
            }
            /* A CJK keyword maps to itself, so its bytes are the original's;
             * after an ASCII one (maybe typed full-width), find the Chinese
             * character that follows it. */
            size_t r = t->raw_start + kl;
            if ((unsigned char)p[0] < 0x80) {
                uint32_t cp;
                size_t l = cb_utf8_next((const unsigned char *)p, n, kl, &cp);
                r = find_raw(x, t->raw_start, t->raw_end, p + kl, l);
            }
            push(x, p, kl, t->raw_start, r);
            add_segmented(x, p + kl, n - kl, r, t->raw_end);
        }
    }
    if (tk->n) x->end_raw = tk->v[tk->n - 1].raw_end;
    for (size_t i = 0; i < x->n; i++) {
        size_t next = i + 1 < x->n ? x->w[i + 1].raw : (x->full ? x->rest_raw : (size_t)-1);
        x->w[i].glued = x->w[i].raw_end == next;
    }
}

/* ---- slots --------------------------------------------------------------- */

static void fail(struct cb_cmd *c, enum cb_error e)
{
    if (c->error == CB_OK) c->error = e;
}

static const struct wtok *tok(const struct pctx *x, size_t i) { return i < x->n ? &x->w[i] : NULL; }

static void bad_child(struct cb_cmd *c, const struct wtok *t)
{
    const char *s = t->s[0] ? t->s : t->p;
    size_t n = t->s[0] ? strlen(t->s) : t->n;
    if (n >= sizeof c->bad_child) {
        n = sizeof c->bad_child - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* cut at a character */
    }
    memcpy(c->bad_child, s, n);
    c->bad_child[n] = '\0';
}

/* Takes a 7-digit token as the child (CB_E_CHILD_CHECK when its check digit
 * is wrong); with any_number, other numbers are CB_E_CHILD_FORMAT. Returns 1
 * when the token was taken. */
static int child_slot(struct pctx *x, size_t i, int any_number)
{
    const struct wtok *t = tok(x, i);
    if (!t) return 0;
    if (t->nd == 7) {
        if (cb_child_code_valid(t->s)) {
            memcpy(x->out->child, t->s, 8);
        } else {
            fail(x->out, CB_E_CHILD_CHECK);
            bad_child(x->out, t);
        }
        return 1;
    }
    if (any_number && t->numeric) {
        fail(x->out, CB_E_CHILD_FORMAT);
        bad_child(x->out, t);
        return 1;
    }
    return 0;
}

/* Something meant as a date: 3+ digits, or digits with date punctuation or
 * units (1-2 bare digits are a code, not a date). */
static int date_like(const struct wtok *t)
{
    static const char *const units[] = {"年", "月", "日", "号", "號"};
    if (t->nd >= 3) return 1;
    if (t->nd || !t->s[0]) return 0;
    int digits = 0;
    for (const char *p = t->s; *p;) {
        if (*p >= '0' && *p <= '9')
            digits = 1, p++;
        else if (*p == '-' || *p == '/' || *p == '.')
            p++;
        else {
            size_t i;
            for (i = 0; i < N_OF(units); i++) {
                size_t l = strlen(units[i]);
                if (strncmp(p, units[i], l) == 0) {
                    p += l;
                    break;
                }
            }
            if (i == N_OF(units)) return 0;
        }
    }
    return digits;
}

/* Takes a date (or a bad one: CB_E_DATE_FORMAT). For a visit the date is
 * also checked against today. Returns 1 when the token was taken. */
static int date_slot(struct pctx *x, size_t i, enum cb_date_pref pref, int visit)
{
    const struct wtok *t = tok(x, i);
    struct cb_cmd *c = x->out;
    int y, m, d;
    if (!t) return 0;
    if (t->s[0] && cb_parse_date(t->s, x->now, pref, &y, &m, &d) == 0) {
        c->year = y, c->month = m, c->day = d, c->date_given = 1;
        if (visit) {
            int ago = cb_days_ago(x->now, y, m, d);
            if (ago < 0)
                fail(c, CB_E_DATE_FUTURE);
            else if (ago > VISIT_MAX_DAYS)
                fail(c, CB_E_DATE_OLD);
        }
        return 1;
    }
    if (date_like(t)) {
        fail(c, CB_E_DATE_FORMAT);
        return 1;
    }
    return 0;
}

/* A coded value: a 1- or 2-digit number (value 1..max, or -1 when out of
 * range), or one of the table's words; 0 when the token is neither. With
 * standalone, a number stuck to the text after it is not a code. */
static int coded(const struct wtok *t, const struct word *tab, size_t n, int max, int standalone)
{
    if (!t) return 0;
    if (t->nd == 1 || t->nd == 2) {
        if (standalone && t->glued) return 0;
        return t->nd == 1 && t->s[0] >= '1' && t->s[0] <= '0' + max ? t->s[0] - '0' : -1;
    }
    return tab ? lookup(tab, n, t->s) : 0;
}

/* Problem bits of one token: a word, or codes stuck together (XLJK, XL/JK). */
static unsigned problem_bits(const struct wtok *t)
{
    int v = LOOKUP(problem_words, t->s);
    if (v) return (unsigned)v;
    unsigned bits = 0;
    const char *p = t->s;
    while (*p) {
        char code[3] = {p[0], p[0] ? p[1] : 0, 0};
        if (!code[0] || !code[1] || !(v = LOOKUP(problem_codes, code))) return 0;
        bits |= (unsigned)v;
        p += 2;
        if (*p && strchr("/|&", *p) && p[1]) p++;
    }
    return bits;
}

int cb_case_no_valid(const char *s, size_t len)
{
    if (len < CB_CASE_NO_MIN || len > CB_CASE_NO_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Takes a case number, or a bad one (CB_E_CASE_FORMAT); sets
 * CB_E_CASE_MISSING otherwise. Returns 1 when the token was taken. */
static int case_slot(struct pctx *x, size_t i)
{
    const struct wtok *t = tok(x, i);
    if (t && t->nd >= CB_CASE_NO_MIN && t->nd <= CB_CASE_NO_MAX) {
        memcpy(x->out->case_no, t->s, t->nd);
        x->out->case_no[t->nd] = '\0';
        return 1;
    }
    if (t && t->numeric) {
        fail(x->out, CB_E_CASE_FORMAT);
        return 1;
    }
    fail(x->out, CB_E_CASE_MISSING);
    return 0;
}

/* The note: the original text from token i to the end of the message, with
 * invalid UTF-8 replaced and control bytes turned into spaces; NULL when
 * there is none or it is only punctuation. */
static void take_note(struct pctx *x, size_t i)
{
    size_t start;
    if (i < x->n)
        start = x->w[i].raw;
    else if (x->full)
        start = x->rest_raw;
    else
        return;
    size_t end = x->end_raw;
    if (start >= end) return;

    struct gw_buf b = {0};
    int content = 0;
    for (size_t k = start; k < end;) {
        uint32_t c;
        size_t l = cb_utf8_next((const unsigned char *)x->text, end, k, &c);
        if (c == 0xFFFD && !(l == 3 && memcmp(x->text + k, "\xEF\xBF\xBD", 3) == 0)) {
            gw_buf_append(&b, "\xEF\xBF\xBD", 3);
        } else if (c < 0x20 || c == 0x7F) {
            gw_buf_putc(&b, c == '\n' || c == '\t' ? (char)c : ' ');
        } else {
            gw_buf_append(&b, x->text + k, l);
        }
        if (c > 0x20 && c != 0x7F && !is_punct(c)) content = 1;
        k += l;
    }
    if (content)
        x->out->note = gw_buf_steal(&b);
    else
        gw_buf_free(&b);
}

/* ---- grammars ------------------------------------------------------------ */

/* ZF <child> [date] <result> [date] [problem...] [note] */
static size_t parse_visit(struct pctx *x)
{
    struct cb_cmd *c = x->out;
    size_t i = 1;
    int dated = 0;
    if (child_slot(x, i, 1))
        i++;
    else
        fail(c, CB_E_CHILD_MISSING);
    if (date_slot(x, i, CB_DATE_PAST, 1)) i++, dated = 1;
    int v = coded(tok(x, i), results, N_OF(results), 4, 0);
    if (v) {
        if (v < 0)
            fail(c, CB_E_RESULT_BAD);
        else
            c->value = v;
        i++;
        if (!dated && date_slot(x, i, CB_DATE_PAST, 1)) i++, dated = 1;
    } else {
        fail(c, CB_E_RESULT_MISSING);
    }
    unsigned bits;
    while (i < x->n && (bits = problem_bits(&x->w[i])) != 0) c->problems |= bits, i++;
    if (c->value == 2 && !c->problems) fail(c, CB_E_PROBLEMS_MISSING);
    if (!c->date_given) {
        cb_parse_date("今天", x->now, CB_DATE_PAST, &c->year, &c->month, &c->day);
    }
    return i;
}

static int is_status3(const struct wtok *t) { return coded(t, statuses, N_OF(statuses), 4, 1) == 3; }

/* QD [child] [status] [date when status 3] [note]; status and date either order. */
static size_t parse_checkin(struct pctx *x)
{
    struct cb_cmd *c = x->out;
    size_t i = 1;
    int status = 0, child = 0, date_done = 0;
    const struct wtok *t = tok(x, i);
    int y, m, d;
    if (t && t->nd >= 3 &&
        !(t->nd != 7 && is_status3(tok(x, i + 1)) && cb_parse_date(t->s, x->now, CB_DATE_FUTURE, &y, &m, &d) == 0)) {
        child_slot(x, i, 1);
        child = 1;
        i++;
    }
    for (int round = 0; round < 3 && i < x->n; round++) {
        t = &x->w[i];
        int v = status ? 0 : coded(t, statuses, N_OF(statuses), 4, 1);
        if (v) {
            if (v < 0)
                fail(c, CB_E_STATUS_BAD);
            else
                c->value = v;
            status = 1;
            i++;
        } else if (!date_done && (c->value == 3 || (!status && is_status3(tok(x, i + 1)))) &&
                   date_slot(x, i, CB_DATE_FUTURE, 0)) {
            date_done = 1;
            i++;
        } else if (!child && t->nd == 7) {
            child_slot(x, i, 0);
            child = 1;
            i++;
        } else {
            break;
        }
    }
    if (!status) c->value = 1;
    return i;
}

/* BG [category] [child] <description>; category and child either order. */
static size_t parse_report(struct pctx *x)
{
    struct cb_cmd *c = x->out;
    size_t i = 1;
    int cat = 0, child = 0;
    for (int round = 0; round < 2 && i < x->n; round++) {
        const struct wtok *t = &x->w[i];
        int v = cat || t->nd == 2 ? 0 : coded(t, categories, N_OF(categories), 9, 1); /* 2 digits: text */
        if (v) {
            if (v < 0)
                fail(c, CB_E_CATEGORY_BAD);
            else
                c->value = v, c->category_given = 1;
            cat = 1;
            i++;
        } else if (!child && t->nd == 7) {
            child_slot(x, i, 0);
            child = 1;
            i++;
        } else {
            break;
        }
    }
    if (!c->category_given && i < x->n) { /* 家暴打孩子: the description names the category */
        const char *s = x->w[i].s;
        for (size_t k = 0; k < N_OF(categories); k++) {
            size_t l = strlen(categories[k].w);
            if (categories[k].v != 9 && strncmp(s, categories[k].w, l) == 0) {
                c->value = categories[k].v, c->category_given = 1;
                break;
            }
        }
    }
    if (!c->category_given) c->value = 9;
    return i; /* CB_E_DESC_MISSING is decided once the note is known */
}

/* QR <case> / CX <case> [note] */
static size_t parse_case(struct pctx *x) { return case_slot(x, 1) ? 2 : 1; }

/* JA <case> <outcome> [note] */
static size_t parse_close(struct pctx *x)
{
    size_t i = parse_case(x);
    int v = coded(tok(x, i), outcomes, N_OF(outcomes), 4, 0);
    if (!v) {
        fail(x->out, CB_E_OUTCOME_MISSING);
        return i;
    }
    if (v < 0)
        fail(x->out, CB_E_OUTCOME_BAD);
    else
        x->out->value = v;
    return i + 1;
}

static enum cb_intent opt_intent(const struct pctx *x)
{
    if (x->full || x->n == 0 || x->n > 3) return CB_UNKNOWN;
    int v = LOOKUP(opt_words, x->w[0].s);
    for (size_t i = 1; v && i < x->n; i++)
        if (LOOKUP(opt_words, x->w[i].s) != v) v = 0;
    return (enum cb_intent)v;
}

static enum cb_intent keyword_intent(const struct wtok *t)
{
    for (size_t i = 0; i < N_OF(keywords); i++)
        if (strcmp(keywords[i].w, t->s) == 0) return keywords[i].intent;
    size_t q = strspn(t->s, "?");
    return q > 0 && t->s[q] == '\0' ? CB_HELP : CB_UNKNOWN;
}

enum cb_intent cb_parse(const char *text, size_t len, int64_t now, struct cb_cmd *out)
{
    struct cb_tokens tk;
    struct pctx *x = gw_calloc(1, sizeof *x); /* ~5 KB: kept off the stack of handler threads */
    memset(out, 0, sizeof *out);
    if (!text) len = 0;
    x->text = text, x->len = len, x->now = now, x->out = out;
    cb_tokenize(text, len, &tk);
    build(x, &tk);

    size_t i = 0;
    if (x->n > 0) {
        out->intent = opt_intent(x);
        if (out->intent == CB_UNKNOWN) out->intent = keyword_intent(&x->w[0]);
        switch (out->intent) {
        case CB_VISIT: i = parse_visit(x); break;
        case CB_CHECKIN: i = parse_checkin(x); break;
        case CB_REPORT: i = parse_report(x); break;
        case CB_ACK:
        case CB_STATUS: i = parse_case(x); break;
        case CB_CLOSE: i = parse_close(x); break;
        case CB_HELP: i = 1; break;
        case CB_OPTOUT:
        case CB_OPTIN: i = x->n; break;
        case CB_CLASSIFY:
        case CB_QUERY:
        case CB_UNKNOWN: i = 0; break;
        }
        take_note(x, i);
    }
    if (out->intent == CB_REPORT && !out->note && !out->category_given && !out->child[0]) fail(out, CB_E_DESC_MISSING);
    cb_tokens_free(&tk);
    free(x);
    return out->intent;
}

void cb_cmd_free(struct cb_cmd *cmd)
{
    if (!cmd) return;
    free(cmd->note);
    cmd->note = NULL;
}

const char *cb_intent_name(enum cb_intent i)
{
    return (unsigned)i < N_OF(intent_names) && intent_names[i] ? intent_names[i] : "unknown";
}

const char *cb_error_name(enum cb_error e)
{
    return (unsigned)e < N_OF(error_names) && error_names[e] ? error_names[e] : "unknown";
}

const char *cb_problems_str(unsigned bits, char *out, size_t outlen)
{
    size_t n = 0;
    if (!out || outlen == 0) return out;
    out[0] = '\0';
    for (size_t i = 0; i < N_OF(problem_codes); i++) {
        if (!(bits & (unsigned)problem_codes[i].v)) continue;
        size_t need = (n ? 1 : 0) + 2;
        if (n + need >= outlen) break;
        if (n) out[n++] = '|';
        memcpy(out + n, problem_codes[i].w, 2);
        n += 2;
        out[n] = '\0';
    }
    return out;
}
