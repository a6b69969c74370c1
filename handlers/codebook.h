/* handlers/codebook.h - the SMS code book: normalisation, Damm
 * check digits, dates, and the parser that turns a message into a command.
 *
 * Everything here is pure: no store, no clock (callers pass `now`), no I/O.
 * Dates are interpreted in the process time zone (TZ is set from
 * [policy] timezone at start-up), via localtime_r/mktime.
 */
#ifndef CODEBOOK_H
#define CODEBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "../core/damm.h"

/* ---- normalisation ----------------------------------------------------
 * Full-width ASCII U+FF01..U+FF5E -> ASCII; U+3000 and every whitespace run
 * -> one ' '; the separators ，。、；：,;:#*+ (and their full-width forms) ->
 * ' '; leading/trailing spaces trimmed; ASCII letters upper-cased; a space
 * inserted wherever an ASCII digit meets a letter or a CJK character (either
 * order), except inside a date written M月D日, YYYY年M月D日 or D日 (日 or 号),
 * which stays one token and is split from what follows it. Invalid UTF-8
 * bytes are replaced by U+FFFD. Returns an owned, NUL-terminated string
 * (never NULL). */
char *cb_normalize(const char *text, size_t len);

/* Chinese numerals to ASCII digits: copies s into out (outlen bytes, NUL
 * included), every maximal run of numerals (〇零 一幺壹 二两贰 三叁 四肆 五伍
 * 六陆 七柒 八捌 九玖 十拾) replaced by digits. A run holding 十 is read as a
 * number from 10 to 99 (十 10, 十二 12, 二十 20, 三十一 31); any other run
 * digit by digit (一零零零零一五 1000015, 二〇二六 2026, 两 2). Returns the
 * number of runs converted (0: out is a copy of s), or -1 when a run with
 * 十 is malformed (十十, 一十二十) or out is too small (out is then ""). The
 * normaliser never applies this: only the parser, to a whole token in a slot
 * that takes a number or a date, so numerals inside ordinary words (一个人,
 * 十分, 万一) are never touched. */
int cb_numerals(const char *s, char *out, size_t outlen);

/* UTF-8 decoding: core/utf8.h (utf8_decode). */

/* ---- tokens -------------------------------------------------------------
 * Splits text as cb_normalize does, but keeps for every token the byte
 * offset in the original text where it starts, so the free-text note can be
 * taken "as it was typed". tok[i] is owned by the list. */
struct cb_token {
    char *text;       /* normalised token (upper-case ASCII), owned */
    size_t raw_start; /* byte offset of the token's first byte in the original text */
    size_t raw_end;   /* byte offset just past the token's last byte (> raw_start); a token
                         with raw_end == next->raw_start was split from it with no separator */
};
struct cb_tokens {
    struct cb_token *v;
    size_t n;
};
void cb_tokenize(const char *text, size_t len, struct cb_tokens *out);
void cb_tokens_free(struct cb_tokens *t);

/* ---- Damm check digits: core/damm.h (cb_damm_digit, cb_child_code_valid) -- */

/* ---- dates -------------------------------------------------------------- */
enum cb_date_pref {
    CB_DATE_PAST,   /* a date without a year is the nearest such day not after today */
    CB_DATE_FUTURE, /* ... the nearest such day not before today (return home dates) */
};
/* Parses one date token: YYYYMMDD, MMDD, M月D日 (also "M月D号"), 今天, 昨天,
 * 前天. Also accepted: YYYY年M月D日, YYYY-M-D (or / or .), M-D (or / or .),
 * D日/D号 (the nearest such day of a recent month), 今日 昨日 前日 大前天 明天
 * 明日 后天 大后天, full-width digits, Chinese numerals in any number
 * (三月五号, 十二月一日, 二〇二六年十一月五日, 二十五号), and these relative
 * days (weeks run Monday to Sunday; "today" is the local day of now):
 *   上周X 上星期X 上礼拜X (X 一..六, 日 or 天)  day X of the week before this one
 *   上上周X                                       ... of the week before that
 *   这周X 本周X 这星期X 这个星期X                 day X of this week (may be after today)
 *   下周X 下星期X                                 day X of next week
 *   周X 星期X 礼拜X                               the nearest day X not after today
 *                                                 (CB_DATE_PAST) or not before it (FUTURE)
 *   上周 上星期 / 下周 下星期 (bare)              seven days before / after today
 *   上个月D号 上月D号 (日 too, or no unit)        day D of last month; invalid when that
 *                                                 month has no day D (上个月31号 in March)
 *   这个月D号 本月D号 / 下个月D号 下月D号         day D of this / next month
 *   前两天                                        two days ago (as 前天)
 *   N天前 N日前 N天以前 (N 1-999, digits or numerals)  N days ago
 * Returns 0 and *y,*m,*d, or -1 when tok is not a valid date. */
int cb_parse_date(const char *tok, int64_t now, enum cb_date_pref pref, int *y, int *m, int *d);
/* Days between the local calendar day of `now` and y-m-d (positive when the
 * date is in the past). */
int cb_days_ago(int64_t now, int y, int m, int d);

/* ---- commands ------------------------------------------------------------ */
enum cb_intent {
    CB_UNKNOWN = 0, /* matches no command */
    CB_VISIT,
    CB_CHECKIN,
    CB_REPORT,
    CB_ACK,
    CB_CLOSE,
    CB_STATUS,
    CB_HELP,
    CB_OPTOUT,
    CB_OPTIN,
    CB_CLASSIFY, /* FL <case> <category> (分类): triage classifies an unclassified case */
    CB_QUERY,    /* a director's or supervisor's question: CX 待访, CX 走访 (cmd.query says which) */
    CB_UPDATE,   /* GX <child> 学校 <school> | GX <child> 照料 <name> <phone> [relation] (更新): a
                    director updates a child's record (cmd.update says which part) */
};

/* What a CB_UPDATE changes. */
enum cb_update {
    CB_U_NONE = 0,
    CB_U_SCHOOL, /* 学校 (就读学校, 上学学校): the note is the school's name, as typed */
    CB_U_CARER,  /* 照料 (照料人, 照护人, 看护人, 代养人): cmd.name the carer's name, cmd.phone the
                    phone, the note (if any) the carer's relation to the child */
};

/* What a CB_QUERY asks. */
enum cb_query {
    CB_Q_NONE = 0,
    CB_Q_DUE,      /* CX 待访: which of my children are due a visit this month */
    CB_Q_COVERAGE, /* CX 走访: my township's visit coverage */
};

/* Why a recognised command is malformed (CB_OK when it is well-formed). */
enum cb_error {
    CB_OK = 0,
    CB_E_CHILD_MISSING,    /* visit without a child code */
    CB_E_CHILD_FORMAT,     /* digits that are not 7 long where a child code belongs */
    CB_E_CHILD_CHECK,      /* 7 digits whose check digit is wrong */
    CB_E_DATE_FORMAT,      /* something date-like that is not a valid date (e.g. 20241332, 2月30日) */
    CB_E_DATE_FUTURE,      /* visit date after today */
    CB_E_DATE_OLD,         /* visit date more than 60 days ago */
    CB_E_RESULT_MISSING,   /* visit without a result */
    CB_E_RESULT_BAD,       /* visit result not 1-4 */
    CB_E_PROBLEMS_MISSING, /* result 2 without a problem code */
    CB_E_STATUS_BAD,       /* check-in status not 1-4 */
    CB_E_CATEGORY_BAD,     /* report category digit not 1-9 */
    CB_E_DESC_MISSING,     /* report without any description */
    CB_E_CASE_MISSING,     /* QR/JA/CX without a case number */
    CB_E_CASE_FORMAT,      /* case number not 10 to 12 digits */
    CB_E_OUTCOME_MISSING,  /* JA without an outcome */
    CB_E_OUTCOME_BAD,      /* outcome not 1-4 */
    CB_E_CATEGORY_MISSING, /* FL without a category */
    CB_E_FIELD_MISSING,    /* GX without 学校 or 照料 after the child */
    CB_E_VALUE_MISSING,    /* GX 学校 without a school, GX 照料 without the carer's name */
    CB_E_PHONE_MISSING,    /* GX 照料 without the carer's phone */
    CB_E_PHONE_BAD,        /* GX 照料 with a phone that is not 8 to 15 digits */
};

/* Problem code bits (visit result 2). */
enum {
    CB_P_JH = 1 << 0, /* care/guardianship lacking   监护 */
    CB_P_XL = 1 << 1, /* psychological/behavioural   心理 */
    CB_P_XX = 1 << 2, /* schooling/dropout risk      上学 辍学 */
    CB_P_JK = 1 << 3, /* health/disability           健康 */
    CB_P_SH = 1 << 4, /* living hardship             生活 */
    CB_P_AQ = 1 << 5, /* safety hazard               安全 */
    CB_P_QG = 1 << 6, /* no contact with parents     亲情 */
};

/* A case number: YYMMDD and the day's sequence, 4 digits, growing to 5
 * and 6 past 9,999 reports a day. */
#define CB_CASE_NO_MIN 10
#define CB_CASE_NO_MAX 12
/* 1 when s[0..len) is CB_CASE_NO_MIN to CB_CASE_NO_MAX ASCII digits. */
int cb_case_no_valid(const char *s, size_t len);

/* One child of a visit or check-in. A message may name several
 * (ZF 1000015 1 1000028 2 XL, ZF 1000015、1000028 正常, ZF 1000015 1 ZF
 * 1000028 1, QD 1000015 1 1000028 2): each is an item with its own
 * values and its own error, so one bad child does not stop the others. */
#define CB_ITEMS_MAX 20 /* children one message is read for; the rest is note (cb_cmd.items_more) */
#define CB_NAME_MAX  32 /* bytes of a child's name as typed, NUL included (10 Chinese characters) */

struct cb_item {
    enum cb_error error;    /* CB_OK when this child's part is well-formed */
    char child[8];          /* 7-digit code with a valid check digit, or "" */
    char bad_child[24];     /* the offending token for CB_E_CHILD_FORMAT/CHECK, else "" */
    char name[CB_NAME_MAX]; /* visits: a child named instead of coded (2-4 Chinese characters, or a
                              name with a middle dot), as typed; "" otherwise. child is then "" and
                              the handler matches the name within the sender's villages */
    int year, month, day;   /* visit date (default: today) or return date; 0 when none */
    int date_given;         /* 1 when the message named a date for this child */
    int value;              /* visit result 1-4, check-in status 1-4 (default 1); 0 when none */
    unsigned problems;      /* CB_P_* bits */
    char *note;             /* owned: the free text after this child's values, up to the next
                               child's, as typed; NULL when none */
};

struct cb_cmd {
    enum cb_intent intent;
    enum cb_error error;              /* CB_OK when well-formed */
    char child[8];                    /* 7-digit child code with a valid check digit, or "" */
    char bad_child[24];               /* the offending token for CB_E_CHILD_FORMAT/CHECK, else "" */
    int year, month, day;             /* visit date (default: today) or return date; 0 when none */
    int date_given;                   /* 1 when the message named a date */
    int value;                        /* visit result 1-4, check-in status 1-4 (default 1), report category 1-9
                                         (default 9), case outcome 1-4; 0 when none */
    int category_given;               /* report: 1 when a category was named */
    unsigned problems;                /* CB_P_* bits */
    char case_no[CB_CASE_NO_MAX + 1]; /* case number (cb_case_no_valid) or "" */
    enum cb_query query;              /* CB_QUERY: what is asked; CB_Q_NONE otherwise */
    enum cb_update update;            /* CB_UPDATE: what is changed; CB_U_NONE otherwise */
    char phone[16];                   /* CB_UPDATE carer: the phone's digits as typed (8-15), or "" */
    char name[CB_NAME_MAX];           /* visit: items[0].name; report: a name-like word (2-4 Chinese
                                         characters starting with a common surname) standing alone where the
                                         child code would be (BG 4 张小明 走丢了), still part of the note;
                                         update: the carer's name (cut at CB_NAME_MAX); "" otherwise */
    char *note;                       /* owned: the rest of the message from the first token the grammar
                                         does not take, exactly as typed (trimmed); NULL when none. For a
                                         visit or check-in, the note of items[0] */
    /* Visits and check-ins: the children, in message order. Always at least
     * one item (for a check-in naming no child, one with child "": every
     * child linked to the phone); 0 for every other intent. The single
     * fields above (error, child, bad_child, name, date, value, problems,
     * note) are those of items[0], so a one-child message reads as it
     * always did; a handler of several items looks at each. */
    int nitems;
    int items_more; /* 1: more children followed than CB_ITEMS_MAX; they were not read */
    struct cb_item items[CB_ITEMS_MAX];
};

/* Parses raw message text (any bytes) at time `now`. Fills *out (which the
 * caller frees with cb_cmd_free) and returns out->intent. Never fails:
 * text that matches no keyword is CB_UNKNOWN; a recognised keyword with bad
 * arguments has out->error set. Opt-out/opt-in match only as the whole
 * message. The keyword must be the first token. */
enum cb_intent cb_parse(const char *text, size_t len, int64_t now, struct cb_cmd *out);
void cb_cmd_free(struct cb_cmd *cmd);

/* Names for storage and logs: "visit", "checkin", "report", "ack", "close",
 * "status", "help", "optout", "optin", "classify", "query", "update", "unknown"; and
 * the error as a short snake_case code ("child_check", ...; "ok" for CB_OK). */
const char *cb_intent_name(enum cb_intent i);
const char *cb_error_name(enum cb_error e);
/* 1 when s looks like a child's name: 2-4 Chinese characters (3-10 with a
 * middle dot ·), not a code-book word, keyword, date or numeral; with
 * need_surname, the first character (or two) must also be a common Chinese
 * surname. Pure; the store decides whether such a child exists. */
int cb_name_like(const char *s, int need_surname);
/* Problem bits as "JH|XL" (out must hold 32 bytes). */
const char *cb_problems_str(unsigned bits, char *out, size_t outlen);

#endif
