/* handlers/lexicon.h - danger words: reading a category and a priority from
 * a message written in plain words (Chinese, or common pinyin).
 *
 * A report without a usable category digit, and free text from anyone, is
 * read for phrases that say a child is in danger ("孩子掉河里了",
 * "被人用车带走了", "jiuming"). A match gives the case a category (1-9, the
 * code book's) and a priority (P0-P3); the case is then *inferred* and is
 * routed and alerted at once like a coded one (handlers/report.c).
 *
 * Everything here is pure: no store, no clock, no I/O except lex_load.
 * Lexicons are immutable once built, so any thread may scan with one.
 *
 * How a message is read (lex_scan):
 *   - Full-width ASCII becomes ASCII, ASCII letters lower case; spaces and
 *     ASCII digits are skipped (a phrase matches across them: "孩子 1110022
 *     不见了", "jiu ming"); punctuation, emoji and anything not a letter or
 *     a CJK character end a clause. A phrase never spans two clauses.
 *   - A phrase is literal text, or parts joined by '*': "被人*带走" is 被人,
 *     then 带走 at most LEX_GAP characters later in the same clause.
 *   - Negation: a phrase right after a negation or a hypothetical (没, 没有,
 *     不是, 未, 别, 没人, 防, 预防, 小心, 担心, 如果, 万一, ...; optionally with
 *     孩子/他/她/都/也/还... between) is not read: "没有落水", "没被打",
 *     "不是被拐", "注意防溺水", "万一孩子掉河里". "不小心", "没注意",
 *     "没看住" are no negation ("不小心掉河里了" is read). A space or a
 *     number between the negation and the phrase ends its scope.
 *   - Ordinary words: an occurrence of an ordinary word (打工, 打电话,
 *     被打针, 跳楼价, 想死你...) that overlaps a match cancels it, unless
 *     the ordinary word lies inside a literal part of the phrase itself.
 *   - Of all matches the most urgent wins (lowest P), then the earliest.
 *
 * Lexicon files (overriding the built-in per county, loaded at start-up
 * from [policy] lexicon and [county 县名] lexicon): UTF-8 text, one entry a
 * line, fields separated by tabs or spaces:
 *
 *     # a comment; blank lines are ignored
 *     掉进鱼塘          6   P0     a danger phrase: category 1-9, priority P0-P3
 *     被人*抱走         4   P0     '*': up to LEX_GAP characters in between
 *     !打鱼                        an ordinary word: never read as danger
 *     欺负              -          withdraws a phrase of the lexicon below
 *
 * A phrase holds letters and CJK characters only (no digits, spaces or
 * punctuation), at most LEX_PHRASE_MAX bytes and 3 '*', never one at either
 * end or two together; ASCII letters are read in lower case. A phrase given
 * twice in one file is an error. A county's lexicon is the built-in, then
 * the [policy] file over it, then the county's file over that: a later
 * entry for the same phrase replaces the earlier one, '-' removes it.
 */
#ifndef LEXICON_H
#define LEXICON_H

#include <stddef.h>

#define LEX_PHRASE_MAX  64   /* bytes of a phrase as written, '*' included */
#define LEX_GAP         6    /* most characters a '*' stands for */
#define LEX_MAX_ENTRIES 4096 /* entries one file may hold */

struct lexicon;

/* What lex_scan found. */
struct lex_match {
    int category;                    /* 1-9, the code book's */
    int priority;                    /* 0 (P0) .. 3 (P3), as the phrase says */
    char phrase[LEX_PHRASE_MAX + 1]; /* the winning entry as written (e.g. "被人*带走") */
    unsigned cats;                   /* bit c-1 for every category any (not negated) phrase matched */
};

/* The built-in lexicon (static; lex_free ignores it). Never NULL. */
const struct lexicon *lex_builtin(void);

/* Parses a lexicon file's text (len bytes; name is used in errors). Returns
 * a new lexicon holding the file's own entries (its ordinary words and
 * withdrawals included), or NULL with "name:LINE: reason" in err. The
 * caller frees it with lex_free. */
struct lexicon *lex_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);
/* Reads and parses the file at path (at most 1 MiB). NULL with
 * "path:LINE: reason" or "path: reason" in err. */
struct lexicon *lex_load(const char *path, char *err, size_t errlen);

/* A new lexicon: base (NULL: the built-in) with the entries of top laid
 * over it (replacing, adding, withdrawing). Never NULL (aborts on out of
 * memory); free with lex_free. */
struct lexicon *lex_over(const struct lexicon *base, const struct lexicon *top);

/* Frees a lexicon from lex_parse, lex_load or lex_over; NULL and the
 * built-in are no-ops. */
void lex_free(struct lexicon *lx);

/* Danger phrases (not ordinary words or withdrawals) lx holds. */
size_t lex_count(const struct lexicon *lx);

/* Reads text (len bytes of UTF-8, any bytes accepted) with lx (NULL: the
 * built-in). Returns 1 with *out filled when a danger phrase matched, else
 * 0 (*out zeroed). */
int lex_scan(const struct lexicon *lx, const char *text, size_t len, struct lex_match *out);

/* 1 when one of words[0..n) occurs in text, read as lex_scan reads (same
 * clauses, spaces and digits skipped, the same negation rule), else 0. For
 * small word lists such as a guardian's status words ("需要帮助", "回家"). */
int lex_has_word(const char *text, size_t len, const char *const *words, size_t n);

/* Letters and CJK characters text holds once every occurrence of words[0..n)
 * is taken out (spaces, digits, punctuation and emoji never count): 0 for
 * "好的！", "收到 谢谢", "1"; 4 for "孩子发烧了" when "了" is a word. */
size_t lex_residue(const char *text, size_t len, const char *const *words, size_t n);

#endif
