/* handlers/parse.c - the code-book parser: message text -> struct cb_cmd.
 *
 * The text is tokenised by cb_tokenize (normalised tokens plus their byte
 * ranges in the original), turned into at most W_MAX working tokens, and
 * read by one small grammar per intent. Every slot is a data table lookup
 * or an exact-length digit test; nothing here uses atoi. The first token the
 * grammar does not take starts the note, which is cut from the original text
 * (so it is kept as typed: full-width, case and inner punctuation intact,
 * invalid UTF-8 replaced by U+FFFD, control bytes by spaces).
 *
 * Decisions the code book leaves open (the tests pin each one):
 *   - Token matching ignores punctuation and emoji at either end of a token
 *     ("1." "正常!" "HELP?" "平安😊"), except that a token made only of them
 *     stays itself ("?" is the help keyword; "??" too).
 *   - The keyword is the first token. Besides the design's splits, a first
 *     token that starts with a keyword followed by Chinese text is split
 *     after it (举报家暴, 签到平安, BG孩子被打): the CJK keywords 走访 签到
 *     报平安 报告 举报 求助 确认 结案 查询 and every ASCII keyword but V, FL.
 *     帮助 and 分类 are not split, so a plea like "帮助我们..." is not read as
 *     HELP and reaches a person as an unclassified message.
 *   - A Chinese token made entirely of code-book words, dates and runs of
 *     Chinese numerals reads as those pieces spaced (今天正常, 心理健康,
 *     有问题心理, 三月五号正常, 一零零零零一五正常): the design's whole-token
 *     rule, applied piece by piece. Other Chinese text is never cut.
 *   - Chinese numerals: a token made only of numerals reads as its digits
 *     (cb_numerals: 一零零零零一五 is 1000015, 五 is 5, 十二 is 12) in every
 *     slot that takes a number; in a date they are read by cb_parse_date
 *     (三月五号). A numeral inside other text (一个人, 十分, 三天两头) is
 *     never a number, and notes keep the text as typed.
 *   - A child code split by spaces or punctuation (100 0015, 1000 015,
 *     1 0 0 0 0 1 5, 1000-015) is joined when its digits make 7 with a
 *     valid check digit, and only then.
 *   - A date may be two tokens when the tokeniser cut it where a digit meets
 *     Chinese (上个月5号, 三月5号, 12月一日, 3天前): joined when the two were
 *     typed together (or the first is 上个月/本月/...) and the second is not
 *     a bare 1-2 digit number (上周 3 is last week and result 3).
 *   - Problem codes: JH XL XX JK SH AQ QG or their words, one or more tokens,
 *     and several codes stuck together in one token (XLJK, XL/JK, XL|JK).
 *   - Dates: cb_parse_date's forms. In a visit the date may come right
 *     before or right after the result. A missing visit date is today
 *     (date_given = 0); a bad one is CB_E_DATE_FORMAT and also leaves today
 *     in the fields.
 *   - Visit: anything numeric in the child position that is not 7 digits
 *     (100001, 10000155) is CB_E_CHILD_FORMAT. A 1- or 2-digit result other
 *     than 1-4 is CB_E_RESULT_BAD. In the result slot only, everyday words
 *     read as results too: 挺好 很好 好 都好 没事 没问题 一切正常 好的 良好
 *     (1), 不好 (2), 不在 没见着 没在家 (3), 打电话 微信视频 (4), also after
 *     都/均/全/全部 (都正常, 全部不在家).
 *   - Names: in a visit, a Chinese word of 2-4 characters (3-10 with a
 *     middle dot) where the child belongs is a name (ZF 张小明 1,
 *     走访张小明正常); the handler matches it. After the first child, a
 *     name must start with a common surname and be followed by a result, a
 *     date or another child, so a note is not read as a child.
 *   - Several children: a visit or check-in reads groups, each a list of
 *     children sharing what follows (ZF 1000015、1000028 都正常; QD 1000015
 *     1000028 平安), then the values of the group; a new group starts at the
 *     next child code (or name, right after the values), or at a repeated
 *     keyword (ZF 1000015 1 ZF 1000028 1). Text between groups is the note
 *     of the group before it. A 7-digit number anywhere in a note starts a
 *     new group; a name or a code split over tokens only right after the
 *     values. At most CB_ITEMS_MAX children are read.
 *   - Check-in: a number of 3+ digits first is the child (7 digits) or
 *     CB_E_CHILD_FORMAT, unless it is a date followed by status 3
 *     ("QD 20261220 回家"). Status and date may come in either order; a date
 *     is taken only with status 3 (CB_DATE_FUTURE). The child may also come
 *     after the status. A digit stuck to following text ("2个孩子都好") is
 *     not a status: it is the note.
 *   - Report: the category and a 7-digit child code may come in either
 *     order. A category digit (or numeral) must stand alone ("BG 3个孩子在河边"
 *     is a description with category 9); 0 is CB_E_CATEGORY_BAD. Other numbers
 *     belong to the description. With no category named, a description whose
 *     first token starts with a category word (家暴打孩子) names that
 *     category and is still kept whole; 其他 is not read this way. A report
 *     with no description is well-formed when it names a category or a
 *     child (BG 4, 举报家暴: the case still opens); with nothing at all after
 *     the keyword it is CB_E_DESC_MISSING. A name standing alone where the
 *     child code would be (BG 4 张小明 走丢了) is offered in cmd.name for the
 *     handler to look up; it stays in the description.
 *   - Classify: FL <case> <category>, the category a digit, numeral or
 *     category word; a missing one is CB_E_CATEGORY_MISSING.
 *   - Questions: CX or 查询 followed by 待访 (名单) or 走访 (情况, 覆盖) is
 *     CB_QUERY, with an optional page number in value (CX 待访 2); so is a
 *     whole message that asks the same in words (哪些孩子要走访, 待访名单,
 *     走访情况).
 *   - Update: GX (or 更新, which is never split off the text after it, so
 *     "更新一下..." stays free text) <child code> then 学校 and the school's
 *     name as typed (the note), or 照料 and the carer's name (one token),
 *     the phone (digits of numeric tokens joined up to 11; 8-15 digits or
 *     CB_E_PHONE_BAD) and the relation as the note (optional). The field word
 *     may be stuck to its value (学校东关小学, 照料人王芳); 电话/手机 before
 *     the phone and 关系 before the relation are skipped.
 *   - Opt-out/in: the whole message is one to three opt words of one kind
 *     (TD, "T 退订"); anything more is not an opt-out.
 *   - A message that matches no command has its whole text as the note.
 *   - A note made only of punctuation is no note (NULL).
 *   - Errors: the first problem met left to right wins; parsing goes on, so
 *     the other fields are filled as far as they can be.
 */
#include "../core/utf8.h"
#include "codebook.h"

#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

#define W_MAX          64 /* working tokens the grammar looks at (20 children of 3 tokens); the rest can only be note */
#define CORE_MAX       63 /* longest token core compared with words and dates (bytes) */
#define VISIT_MAX_DAYS 60 /* a visit date older than this is refused */
#define SEG_MAX        60 /* longest Chinese token tried as a run of code-book words (bytes) */
#define WORD_MAX       21 /* longest code-book word or date piece (十二月二十五日) */
#define NUM_MAX        36 /* longest run of Chinese numerals taken as one piece (12 characters) */
#define NAME_CHARS     4  /* characters of a name without a middle dot */
#define DOT_NAME_CHARS 10 /* ... with one (买买提·艾力) */

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
    {"HELP", CB_HELP, 1},    {"?", CB_HELP, 0},         {"FL", CB_CLASSIFY, 0}, {"分类", CB_CLASSIFY, 0},
    {"GX", CB_UPDATE, 1},    {"更新", CB_UPDATE, 0},
};

static const struct word opt_words[] = {
    {"TD", CB_OPTOUT},   {"T", CB_OPTOUT}, {"R", CB_OPTOUT},   {"N", CB_OPTOUT},    {"退订", CB_OPTOUT},
    {"STOP", CB_OPTOUT}, {"DY", CB_OPTIN}, {"订阅", CB_OPTIN}, {"START", CB_OPTIN},
};

static const struct word results[] = {
    {"正常", 1}, {"有问题", 2}, {"问题", 2}, {"未见", 3}, {"没见到", 3}, {"不在家", 3}, {"电话", 4}, {"视频", 4},
};

/* Everyday words read as a visit result, in the result slot only. */
static const struct word results_loose[] = {
    {"挺好", 1},     {"很好", 1},     {"都好", 1},     {"还好", 1},     {"不错", 1},     {"没事", 1},     {"没问题", 1},
    {"一切正常", 1}, {"一切都好", 1}, {"一切安好", 1}, {"好的", 1},     {"良好", 1},     {"平安", 1},     {"正常的", 1},
    {"挺好的", 1},   {"很好的", 1},   {"都正常", 1},   {"都很好", 1},   {"都挺好", 1},   {"都没事", 1},   {"都平安", 1},
    {"都没问题", 1}, {"不好", 2},     {"不太好", 2},   {"有困难", 2},   {"不在", 3},     {"没在家", 3},   {"人不在", 3},
    {"没见着", 3},   {"没看到", 3},   {"没见", 3},     {"未见到", 3},   {"家里没人", 3}, {"都不在家", 3}, {"打电话", 4},
    {"电话联系", 4}, {"电话回访", 4}, {"视频通话", 4}, {"微信视频", 4}, {"微信", 4},
};

/* "All" before a result word: 都正常, 全部不在家. */
static const char *const all_words[] = {"全部", "全都", "也都", "都", "均", "全"};

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

/* What CX/查询 asks when it is not a case number. */
static const struct word query_words[] = {
    {"待访", CB_Q_DUE},          {"待访名单", CB_Q_DUE},      {"待走访", CB_Q_DUE},        {"走访名单", CB_Q_DUE},
    {"名单", CB_Q_DUE},          {"走访", CB_Q_COVERAGE},     {"走访情况", CB_Q_COVERAGE}, {"覆盖", CB_Q_COVERAGE},
    {"覆盖率", CB_Q_COVERAGE},   {"走访覆盖", CB_Q_COVERAGE}, {"走访率", CB_Q_COVERAGE},   {"进度", CB_Q_COVERAGE},
    {"走访进度", CB_Q_COVERAGE},
};

/* The same questions asked in words, as a whole message (spaces and
 * punctuation ignored, 请问 before and 吗/呢 after dropped). */
static const struct word query_phrases[] = {
    {"待访", CB_Q_DUE},
    {"待访名单", CB_Q_DUE},
    {"待走访", CB_Q_DUE},
    {"待走访名单", CB_Q_DUE},
    {"走访名单", CB_Q_DUE},
    {"本月待访", CB_Q_DUE},
    {"本月待访名单", CB_Q_DUE},
    {"这个月待访", CB_Q_DUE},
    {"查待访", CB_Q_DUE},
    {"哪些孩子要走访", CB_Q_DUE},
    {"哪些孩子需要走访", CB_Q_DUE},
    {"哪些孩子该走访", CB_Q_DUE},
    {"哪些孩子该走访了", CB_Q_DUE},
    {"哪些孩子还没走访", CB_Q_DUE},
    {"哪些儿童要走访", CB_Q_DUE},
    {"哪些儿童需要走访", CB_Q_DUE},
    {"哪些儿童该走访", CB_Q_DUE},
    {"要走访哪些孩子", CB_Q_DUE},
    {"该走访哪些孩子", CB_Q_DUE},
    {"这个月要走访哪些孩子", CB_Q_DUE},
    {"本月要走访哪些孩子", CB_Q_DUE},
    {"还有哪些孩子没走访", CB_Q_DUE},
    {"还有哪些孩子没有走访", CB_Q_DUE},
    {"还有谁没走访", CB_Q_DUE},
    {"谁还没走访", CB_Q_DUE},
    {"走访情况", CB_Q_COVERAGE},
    {"本月走访情况", CB_Q_COVERAGE},
    {"走访覆盖", CB_Q_COVERAGE},
    {"走访覆盖率", CB_Q_COVERAGE},
    {"覆盖率", CB_Q_COVERAGE},
    {"走访进度", CB_Q_COVERAGE},
    {"走访统计", CB_Q_COVERAGE},
    {"辖区走访情况", CB_Q_COVERAGE},
    {"全镇走访情况", CB_Q_COVERAGE},
    {"本镇走访情况", CB_Q_COVERAGE},
    {"查走访", CB_Q_COVERAGE},
};

/* What GX/更新 changes: the word after the child (or its start: 学校东关小学). */
static const struct word update_words[] = {
    {"学校", CB_U_SCHOOL},  {"就读学校", CB_U_SCHOOL}, {"上学学校", CB_U_SCHOOL}, {"就读", CB_U_SCHOOL},
    {"照料", CB_U_CARER},   {"照料人", CB_U_CARER},    {"照护", CB_U_CARER},      {"照护人", CB_U_CARER},
    {"看护人", CB_U_CARER}, {"代养人", CB_U_CARER},    {"监护照料", CB_U_CARER},
};

/* Every table of code-book words, for reading a token as a run of them. */
static const struct {
    const struct word *v;
    size_t n;
} vocab[] = {
    {results, N_OF(results)},       {problem_words, N_OF(problem_words)}, {statuses, N_OF(statuses)},
    {categories, N_OF(categories)}, {outcomes, N_OF(outcomes)},           {results_loose, N_OF(results_loose)},
};

/* Common Chinese surnames (the first character of a name after the first
 * child; words like 于 万 任 向 that also start everyday phrases are left
 * out), and the compound ones. */
static const char surnames[] =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤常康施牛樊葛"
    "邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆"
    "蓝游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗"
    "瞿桂佟臧闵苟邬边卞姬仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝封谈匡鞠惠荆冀郁胥班储栗燕楚鄢劳"
    "谌奚皮粟冼蔺楼闻厉伊仝郜阚权帅屠朴盖练廉禹井祖漆巴丰支卿狄宣晋扈晁芮阙浦戈鹿薄邸雍辜羊乌裘亓邰赫杭"
    "况逯茹诸战慕危亢嵇湛戎勾茅揭尉冶檀衣昝幸奉植衡";
static const char *const compound_surnames[] = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙",
                                                "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯", "端木", "百里"};

static const char *const intent_names[] = {
    [CB_UNKNOWN] = "unknown", [CB_VISIT] = "visit", [CB_CHECKIN] = "checkin",   [CB_REPORT] = "report",
    [CB_ACK] = "ack",         [CB_CLOSE] = "close", [CB_STATUS] = "status",     [CB_HELP] = "help",
    [CB_OPTOUT] = "optout",   [CB_OPTIN] = "optin", [CB_CLASSIFY] = "classify", [CB_QUERY] = "query",
    [CB_UPDATE] = "update",
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
    [CB_E_CATEGORY_MISSING] = "category_missing",
    [CB_E_FIELD_MISSING] = "field_missing",
    [CB_E_VALUE_MISSING] = "value_missing",
    [CB_E_PHONE_MISSING] = "phone_missing",
    [CB_E_PHONE_BAD] = "phone_bad",
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
    int nd;               /* when the core is all ASCII digits (or Chinese numerals, read as
                             digits): how many (capped at 99); else 0 */
    int numeric;          /* the core has a digit and only digits and ASCII punctuation */
    char s[CORE_MAX + 1]; /* the core: p without punctuation/emoji at its ends, Chinese
                             numerals read as digits; "" when longer than CORE_MAX (such a
                             token matches no word or date) */
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
        size_t k = utf8_decode((const unsigned char *)p, b, a, &c);
        if (!is_decor(c)) break;
        a += k;
    }
    while (b > a) {
        uint32_t c;
        size_t k = u8_last(p + a, b - a);
        utf8_decode((const unsigned char *)p, b, b - k, &c);
        if (!is_decor(c)) break;
        b -= k;
    }
    if (a == b) {
        *off = 0, *cn = n;
    } else {
        *off = a, *cn = b - a;
    }
}

/* 1 when s (NUL-terminated) is made only of Chinese numerals; *digits
 * (CORE_MAX + 1 bytes) gets them as ASCII digits. */
static int numeral_token(const char *s, char *digits)
{
    char buf[CORE_MAX + 1];
    if (!s[0] || cb_numerals(s, buf, sizeof buf) < 1) return 0;
    for (const char *p = buf; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    memcpy(digits, buf, strlen(buf) + 1);
    return 1;
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
        char digits[CORE_MAX + 1];
        if (numeral_token(t->s, digits)) { /* 一零零零零一五, 五 */
            memcpy(t->s, digits, strlen(digits) + 1);
            p = t->s, off = 0, cn = strlen(digits);
        }
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
static int vocab_at(int64_t now, const char *s)
{
    int y, m, d;
    for (size_t i = 0; i < N_OF(vocab); i++)
        if (lookup(vocab[i].v, vocab[i].n, s)) return 1;
    return strlen(s) <= WORD_MAX && cb_parse_date(s, now, CB_DATE_PAST, &y, &m, &d) == 0;
}

static int is_vocab(const struct pctx *x, const char *s) { return vocab_at(x->now, s); }

/* A piece of a segmented token: a code-book word or date of at most
 * WORD_MAX bytes, or a run of Chinese numerals of at most NUM_MAX. */
static int is_piece(const struct pctx *x, const char *s, size_t n)
{
    char digits[CORE_MAX + 1];
    if (n <= NUM_MAX && numeral_token(s, digits)) return 1;
    return n <= WORD_MAX && is_vocab(x, s);
}

/* 1 when the 3 bytes at c are a Chinese numeral. */
static int numeral3(const char *c)
{
    static const char numerals[] = "〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾";
    for (size_t i = 0; i + 3 <= sizeof numerals - 1; i += 3)
        if (memcmp(numerals + i, c, 3) == 0) return 1;
    return 0;
}

/* Reads c[0..cn) (Chinese characters) as a run of pieces, the last piece
 * of every run as long as possible: from[j] >= 0 when c[0..j) is a run,
 * its last piece c[from[j]..j). A run of numerals is never cut inside
 * (三十二号 is not 三 and 十二号). Returns 1 when the whole is a run. */
static int seg_run(const struct pctx *x, const char *c, size_t cn, int *from)
{
    char buf[SEG_MAX + 1];
    if (cn > SEG_MAX) return 0;
    from[0] = 0;
    for (size_t j = 1; j <= cn; j++) {
        from[j] = -1;
        if (j < cn && ((unsigned char)c[j] & 0xC0) == 0x80) continue;
        for (size_t i = 0; i < j && from[j] < 0; i++) { /* longest last piece first */
            if (j - i > NUM_MAX || from[i] < 0 || ((unsigned char)c[i] & 0xC0) == 0x80) continue;
            if (i >= 3 && i + 3 <= cn && numeral3(c + i - 3) && numeral3(c + i)) continue;
            memcpy(buf, c + i, j - i);
            buf[j - i] = '\0';
            if (is_piece(x, buf, j - i)) from[j] = (int)i;
        }
    }
    return from[cn] >= 0;
}

/* 1 when c[0..cn) is made only of Chinese characters (and 〇). */
static int all_cjk(const char *c, size_t cn)
{
    if (cn == 0) return 0;
    for (size_t i = 0; i < cn;) {
        uint32_t cp;
        i += utf8_decode((const unsigned char *)c, cn, i, &cp);
        if (!is_cjk(cp) && cp != 0x3007) return 0;
    }
    return 1;
}

/* Pushes the token p[0..n) (original bytes raw..raw_end), as several tokens
 * when its core is a run of two or more pieces. */
static void add_segmented(struct pctx *x, const char *p, size_t n, size_t raw, size_t raw_end)
{
    size_t off, cn;
    core_of(p, n, &off, &cn);
    const char *c = p + off;
    int from[SEG_MAX + 1];
    char buf[SEG_MAX + 1];
    int ok = cn <= SEG_MAX && all_cjk(c, cn);
    if (ok) {
        memcpy(buf, c, cn);
        buf[cn] = '\0';
        ok = !is_piece(x, buf, cn) && seg_run(x, c, cn, from) && from[cn] > 0;
    }
    if (!ok) {
        push(x, p, n, raw, raw_end);
        return;
    }
    size_t cut[SEG_MAX + 1], k = 0; /* piece boundaries, from the end */
    for (size_t j = cn; j > 0; j = (size_t)from[j]) cut[k++] = j;
    size_t start = 0, cursor = raw;
    while (k > 0) {
        size_t end = cut[--k];
        size_t r = find_raw(x, cursor, raw_end, c + start, end - start);
        size_t r_end = k == 0 ? raw_end : r + (end - start);
        /* the first piece keeps any leading punctuation */
        if (push(x, start == 0 ? p : c + start, start == 0 ? off + end : end - start, start == 0 ? raw : r, r_end) != 0)
            return;
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
            utf8_decode((const unsigned char *)p, n, kl, &cp);
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

static void mark_glued(struct pctx *x)
{
    for (size_t i = 0; i < x->n; i++) {
        size_t next = i + 1 < x->n ? x->w[i + 1].raw : (x->full ? x->rest_raw : (size_t)-1);
        x->w[i].glued = x->w[i].raw_end == next;
    }
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
                size_t l = utf8_decode((const unsigned char *)p, n, kl, &cp);
                r = find_raw(x, t->raw_start, t->raw_end, p + kl, l);
            }
            push(x, p, kl, t->raw_start, r);
            add_segmented(x, p + kl, n - kl, r, t->raw_end);
        }
    }
    if (tk->n) x->end_raw = tk->v[tk->n - 1].raw_end;
    mark_glued(x);
}

/* Replaces token i, whose core is Chinese text, by its first `cut` bytes
 * (counted in the core) and the pieces of the rest: 张小明正常 -> 张小明 正常. */
static void resplit(struct pctx *x, size_t i, size_t cut)
{
    struct wtok t = x->w[i];
    size_t off, cn;
    core_of(t.p, t.n, &off, &cn);
    size_t ntail = x->n - i - 1;
    struct wtok *tail = gw_malloc((ntail ? ntail : 1) * sizeof *tail);
    memcpy(tail, &x->w[i + 1], ntail * sizeof *tail);
    int was_full = x->full;
    size_t was_rest = x->rest_raw;
    x->n = i;
    x->full = 0;
    size_t r = find_raw(x, t.raw, t.raw_end, t.p + off + cut, cn - cut);
    push(x, t.p, off + cut, t.raw, r);
    add_segmented(x, t.p + off + cut, t.n - off - cut, r, t.raw_end);
    for (size_t k = 0; k < ntail; k++) {
        if (x->n < W_MAX) {
            x->w[x->n++] = tail[k];
        } else if (!x->full) {
            x->full = 1;
            x->rest_raw = tail[k].raw;
        }
    }
    if (was_full && !x->full) x->full = 1, x->rest_raw = was_rest;
    free(tail);
    mark_glued(x);
}

/* ---- names --------------------------------------------------------------- */

static int has_surname(const char *s)
{
    for (size_t i = 0; i < N_OF(compound_surnames); i++)
        if (strncmp(s, compound_surnames[i], strlen(compound_surnames[i])) == 0) return 1;
    uint32_t cp;
    size_t l = utf8_decode((const unsigned char *)s, strlen(s), 0, &cp);
    if (l != 3) return 0;
    for (size_t i = 0; i + 3 <= sizeof surnames - 1; i += 3)
        if (memcmp(surnames + i, s, 3) == 0) return 1;
    return 0;
}

/* The name test without the vocabulary (which needs `now`). */
static int name_shape(const char *s, int need_surname)
{
    size_t n = strlen(s), chars = 0, dots = 0;
    if (n == 0 || n >= CB_NAME_MAX) return 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += utf8_decode((const unsigned char *)s, n, i, &cp);
        if (cp == 0x00B7 || cp == 0x2022 || cp == 0x30FB || cp == 0x2027) {
            if (chars == 0 || i == n) return 0; /* a dot inside the name only */
            dots++;
        } else if (is_cjk(cp)) {
            chars++;
        } else {
            return 0;
        }
    }
    if (dots > 1 || chars < 2 || chars > (dots ? DOT_NAME_CHARS : NAME_CHARS)) return 0;
    /* after the first child: 2-3 characters (4 with a compound surname), so
     * that 王老师说 and the like start no child */
    if (need_surname && !dots && chars == NAME_CHARS) {
        int compound = 0;
        for (size_t i = 0; i < N_OF(compound_surnames); i++)
            compound |= strncmp(s, compound_surnames[i], strlen(compound_surnames[i])) == 0;
        if (!compound) return 0;
    }
    char digits[CORE_MAX + 1];
    if (numeral_token(s, digits) || is_keyword(s)) return 0;
    return !need_surname || has_surname(s);
}

static int name_like(const struct pctx *x, const char *s, int need_surname)
{
    return name_shape(s, need_surname) && !is_vocab(x, s);
}

int cb_name_like(const char *s, int need_surname)
{
    /* any day will do: the dates that could look like names are the relative words */
    return s && name_shape(s, need_surname) && !vocab_at(0, s);
}

/* ---- slots --------------------------------------------------------------- */

static void fail(struct cb_cmd *c, enum cb_error e)
{
    if (c->error == CB_OK) c->error = e;
}

static void item_fail(struct cb_item *it, enum cb_error e)
{
    if (it->error == CB_OK) it->error = e;
}

static const struct wtok *tok(const struct pctx *x, size_t i) { return i < x->n ? &x->w[i] : NULL; }

static void copy_bad(char *dst, size_t cap, const struct wtok *t)
{
    const char *s = t->s[0] ? t->s : t->p;
    size_t n = t->s[0] ? strlen(t->s) : t->n;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* cut at a character */
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The ASCII digits of a numeric token (its punctuation dropped) into out
 * (8 bytes); returns how many there are (counting past 7 stops at 8). */
static int token_digits(const struct wtok *t, char *out)
{
    int n = 0;
    if (!t || !t->numeric || !t->s[0]) return 0;
    for (const char *p = t->s; *p && n < 8; p++)
        if (*p >= '0' && *p <= '9') out[n++] = *p;
    out[n < 8 ? n : 7] = '\0';
    return n;
}

/* A child code split over numeric tokens from i (100 0015, 1000-015, 1 0 0
 * 0 0 1 5): the number of tokens whose digits make exactly 7 with a valid
 * check digit (code filled), or 0. */
static size_t joined_code(const struct pctx *x, size_t i, char code[8])
{
    char buf[16], d[8];
    int have = 0;
    size_t j = i;
    while (have < 7) {
        const struct wtok *t = tok(x, j);
        int k = token_digits(t, d);
        if (k == 0 || have + k > 7) return 0;
        memcpy(buf + have, d, (size_t)k);
        have += k;
        j++;
    }
    buf[7] = '\0';
    if (!cb_child_code_valid(buf)) return 0;
    memcpy(code, buf, 8);
    return j - i;
}

/* A visit result: a 1-2 digit number (1-4, or -1 out of range), a result
 * word, or one of the everyday words (after 都/全部...); 0 when none. */
static int visit_result(const struct wtok *t)
{
    if (!t) return 0;
    if (t->nd == 1 || t->nd == 2) return t->nd == 1 && t->s[0] >= '1' && t->s[0] <= '4' ? t->s[0] - '0' : -1;
    int v = LOOKUP(results, t->s);
    if (!v) v = LOOKUP(results_loose, t->s);
    if (!v && strcmp(t->s, "好") == 0) v = 1;
    for (size_t i = 0; !v && i < N_OF(all_words); i++) {
        size_t l = strlen(all_words[i]);
        if (strncmp(t->s, all_words[i], l) != 0 || !t->s[l]) continue;
        v = LOOKUP(results, t->s + l);
        if (!v) v = LOOKUP(results_loose, t->s + l);
        if (!v && strcmp(t->s + l, "好") == 0) v = 1;
    }
    return v;
}

static int is_date(const struct pctx *x, const struct wtok *t)
{
    int y, m, d;
    return t && t->s[0] && cb_parse_date(t->s, x->now, CB_DATE_PAST, &y, &m, &d) == 0;
}

enum child_mode {
    CM_FIRST, /* the message's first child: any number is a code, any name-like word a name */
    CM_LIST,  /* after a child, before the values they share: a code, or a name with a surname */
    CM_NEXT,  /* right after a group's values: the same, and a name needs a value after it */
    CM_SCAN,  /* inside a note: only a single 7-digit token */
};

/* Where a child's name ends in a Chinese token core s that goes on with
 * code-book words (张小明正常, 张小明今天正常): the bytes of the name, or 0. */
static size_t name_prefix(const struct pctx *x, const char *s, int need_surname)
{
    size_t n = strlen(s);
    int from[SEG_MAX + 1];
    char name[CB_NAME_MAX];
    if (!all_cjk(s, n)) return 0;
    for (size_t b = 6; b + 3 <= n && b < CB_NAME_MAX; b += 3) { /* 2 characters and more */
        memcpy(name, s, b);
        name[b] = '\0';
        if (name_like(x, name, need_surname) && seg_run(x, s + b, n - b, from)) return b;
    }
    return 0;
}

/* Reads a child at token i into it. Returns the tokens taken, 0 when there
 * is no child there. names: names are allowed (visits). */
static size_t child_at(struct pctx *x, size_t i, enum child_mode mode, int names, struct cb_item *it)
{
    const struct wtok *t = tok(x, i);
    if (!t) return 0;
    if (t->nd == 7) {
        if (cb_child_code_valid(t->s)) {
            memcpy(it->child, t->s, 8);
        } else {
            item_fail(it, CB_E_CHILD_CHECK);
            copy_bad(it->bad_child, sizeof it->bad_child, t);
        }
        return 1;
    }
    if (mode == CM_SCAN) return 0;
    if (t->numeric) {
        size_t k = joined_code(x, i, it->child);
        if (k) return k;
        if (mode != CM_FIRST) return 0;
        item_fail(it, CB_E_CHILD_FORMAT);
        copy_bad(it->bad_child, sizeof it->bad_child, t);
        return 1;
    }
    if (!names || !t->s[0]) return 0;
    int surname = mode != CM_FIRST;
    size_t b = name_prefix(x, t->s, surname); /* 张小明正常: the name, then its values */
    if (b) {
        resplit(x, i, b);
        t = tok(x, i);
    } else if (!name_like(x, t->s, surname)) {
        return 0;
    }
    if (mode == CM_NEXT) { /* a name after a note-less group: only with a value after it */
        const struct wtok *u = tok(x, i + 1);
        if (!u || (!visit_result(u) && !is_date(x, u) && u->nd != 7)) return 0;
    }
    memcpy(it->name, t->s, strlen(t->s) + 1);
    return 1;
}

/* Something meant as a date: 3+ digits, or digits with date punctuation or
 * units (1-2 bare digits are a code, not a date). */
static int date_like(const struct wtok *t)
{
    static const char *const units[] = {"年", "月", "日", "号", "號"};
    if (t->nd >= 3) return 1;
    if (t->nd || !t->s[0]) return 0;
    char s[CORE_MAX + 1];
    if (cb_numerals(t->s, s, sizeof s) < 0) return 0;
    int digits = 0;
    for (const char *p = s; *p;) {
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

/* A word that names a month and needs a day after it (上个月 5号). */
static int month_word(const char *s)
{
    static const char *const w[] = {"上上个月", "上个月", "上月", "这个月", "本月", "这月", "下个月", "下月"};
    for (size_t i = 0; i < N_OF(w); i++)
        if (strcmp(s, w[i]) == 0) return 1;
    return 0;
}

/* Takes a date (or a bad one: CB_E_DATE_FORMAT) into it. For a visit the
 * date is also checked against today. Returns the tokens taken (0, 1, 2). */
static size_t date_at(struct pctx *x, size_t i, enum cb_date_pref pref, int visit, struct cb_item *it)
{
    const struct wtok *t = tok(x, i), *u = tok(x, i + 1);
    int y, m, d;
    size_t took = 0;
    char code[8];
    if (!t || t->nd == 7 || (t->numeric && joined_code(x, i, code))) return 0; /* a child, not a date */
    if (u && t->s[0] && u->s[0] && (t->glued || month_word(t->s)) && !(u->nd == 1 || u->nd == 2)) {
        char two[2 * CORE_MAX + 2];
        size_t a = strlen(t->s), b = strlen(u->s);
        memcpy(two, t->s, a);
        memcpy(two + a, u->s, b + 1);
        if (cb_parse_date(two, x->now, pref, &y, &m, &d) == 0) took = 2;
    }
    if (!took && t->s[0] && cb_parse_date(t->s, x->now, pref, &y, &m, &d) == 0) took = 1;
    if (took) {
        it->year = y, it->month = m, it->day = d, it->date_given = 1;
        if (visit) {
            int ago = cb_days_ago(x->now, y, m, d);
            if (ago < 0)
                item_fail(it, CB_E_DATE_FUTURE);
            else if (ago > VISIT_MAX_DAYS)
                item_fail(it, CB_E_DATE_OLD);
        }
        return took;
    }
    if (date_like(t)) {
        item_fail(it, CB_E_DATE_FORMAT);
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
        memcpy(x->out->case_no, t->s, (size_t)t->nd);
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

/* The original text from token i up to token j (exclusive; j >= x->n: to
 * the end of the message), with invalid UTF-8 replaced and control bytes
 * turned into spaces; NULL when there is none or it is only punctuation. */
static char *note_between(const struct pctx *x, size_t i, size_t j)
{
    size_t start, end;
    if (i < x->n)
        start = x->w[i].raw;
    else if (x->full)
        start = x->rest_raw;
    else
        return NULL;
    if (j >= x->n)
        end = x->end_raw;
    else if (j > i)
        end = x->w[j - 1].raw_end;
    else
        return NULL;
    if (start >= end) return NULL;

    struct gw_buf b = {0};
    int content = 0;
    for (size_t k = start; k < end;) {
        uint32_t c;
        size_t l = utf8_decode((const unsigned char *)x->text, end, k, &c);
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
    if (content) return gw_buf_steal(&b);
    gw_buf_free(&b);
    return NULL;
}

/* ---- grammars ------------------------------------------------------------ */

/* Appends a copy of *it to the command's items; 0 when they are full. */
static int item_add(struct cb_cmd *c, const struct cb_item *it)
{
    if (c->nitems == CB_ITEMS_MAX) {
        c->items_more = 1;
        return 0;
    }
    c->items[c->nitems++] = *it;
    return 1;
}

/* Gives the group's shared values g to the items from `first` on; an
 * item's own (child) error comes first. */
static void group_apply(struct cb_cmd *c, int first, const struct cb_item *g)
{
    for (int k = first; k < c->nitems; k++) {
        struct cb_item *it = &c->items[k];
        item_fail(it, g->error);
        it->year = g->year, it->month = g->month, it->day = g->day, it->date_given = g->date_given;
        it->value = g->value;
        it->problems = g->problems;
    }
}

/* The visit keyword or check-in keyword as a whole token. */
static int same_keyword(const struct wtok *t, enum cb_intent intent)
{
    for (size_t i = 0; t && i < N_OF(keywords); i++)
        if (keywords[i].intent == intent && strcmp(keywords[i].w, t->s) == 0) return 1;
    return 0;
}

/* After a group's values at i: where the next group starts (its note is
 * [i, *at)), with *skip tokens (a repeated keyword) before its first
 * child. Returns 0 when there is no further group. */
static int next_group(struct pctx *x, size_t i, enum cb_intent intent, size_t *at, size_t *skip)
{
    struct cb_item probe;
    for (size_t k = i; k < x->n; k++) {
        memset(&probe, 0, sizeof probe);
        if (same_keyword(&x->w[k], intent)) {
            memset(&probe, 0, sizeof probe);
            if (child_at(x, k + 1, CM_NEXT, intent == CB_VISIT, &probe)) {
                *at = k, *skip = 1;
                return 1;
            }
            continue;
        }
        if (child_at(x, k, k == i ? CM_NEXT : CM_SCAN, intent == CB_VISIT, &probe)) {
            *at = k, *skip = 0;
            return 1;
        }
    }
    return 0;
}

/* One visit group: children, then [date] result [date] [problem...]. */
static size_t visit_group(struct pctx *x, size_t i, int first)
{
    struct cb_cmd *c = x->out;
    int from = c->nitems;
    struct cb_item it, g;
    memset(&it, 0, sizeof it);
    size_t n = child_at(x, i, first ? CM_FIRST : CM_NEXT, 1, &it);
    if (n)
        i += n;
    else
        item_fail(&it, CB_E_CHILD_MISSING);
    if (!item_add(c, &it)) return i;
    for (;;) { /* 1000015、1000028 正常: a list sharing what follows */
        memset(&it, 0, sizeof it);
        if (!(n = child_at(x, i, CM_LIST, 1, &it))) break;
        item_add(c, &it); /* past CB_ITEMS_MAX: dropped, items_more says so */
        i += n;
    }
    memset(&g, 0, sizeof g);
    int dated = 0;
    if ((n = date_at(x, i, CB_DATE_PAST, 1, &g))) i += n, dated = 1;
    int v = visit_result(tok(x, i));
    if (v) {
        if (v < 0)
            item_fail(&g, CB_E_RESULT_BAD);
        else
            g.value = v;
        i++;
        if (!dated && (n = date_at(x, i, CB_DATE_PAST, 1, &g))) i += n, dated = 1;
    } else {
        item_fail(&g, CB_E_RESULT_MISSING);
    }
    unsigned bits;
    while (i < x->n && (bits = problem_bits(&x->w[i])) != 0) g.problems |= bits, i++;
    if (g.value == 2 && !g.problems) item_fail(&g, CB_E_PROBLEMS_MISSING);
    if (!g.date_given) cb_parse_date("今天", x->now, CB_DATE_PAST, &g.year, &g.month, &g.day);
    group_apply(c, from, &g);
    return i;
}

static int is_status3(const struct wtok *t) { return coded(t, statuses, N_OF(statuses), 4, 1) == 3; }

/* One check-in group: [children] [status] [date when status 3], status
 * and date either order, the child also after the status. */
static size_t checkin_group(struct pctx *x, size_t i, int first)
{
    struct cb_cmd *c = x->out;
    int from = c->nitems, status = 0, child = 0, date_done = 0;
    struct cb_item it, g;
    const struct wtok *t = tok(x, i);
    char code[8];
    int y, m, d;
    size_t n;
    memset(&it, 0, sizeof it);
    memset(&g, 0, sizeof g);
    if (!first) {
        if ((n = child_at(x, i, CM_NEXT, 0, &it))) i += n, child = 1;
    } else if (t && t->nd != 7 && (n = joined_code(x, i, code)) > 0) { /* 1 0 0 0 0 1 5, 100 0015 */
        memcpy(it.child, code, 8);
        i += n, child = 1;
    } else if (t && t->nd >= 3 &&
               !(t->nd != 7 && is_status3(tok(x, i + 1)) &&
                 cb_parse_date(t->s, x->now, CB_DATE_FUTURE, &y, &m, &d) == 0)) {
        i += child_at(x, i, CM_FIRST, 0, &it);
        child = 1;
    }
    if (child) {
        if (!item_add(c, &it)) return i;
        for (;;) {
            memset(&it, 0, sizeof it);
            if (!(n = child_at(x, i, CM_LIST, 0, &it))) break;
            item_add(c, &it); /* past CB_ITEMS_MAX: dropped, items_more says so */
            i += n;
        }
    }
    for (int round = 0; round < 3 && i < x->n; round++) {
        t = &x->w[i];
        int v = status ? 0 : coded(t, statuses, N_OF(statuses), 4, 1);
        if (v) {
            if (v < 0)
                item_fail(&g, CB_E_STATUS_BAD);
            else
                g.value = v;
            status = 1;
            i++;
        } else if (!date_done && (g.value == 3 || (!status && is_status3(tok(x, i + 1)))) &&
                   (n = date_at(x, i, CB_DATE_FUTURE, 0, &g))) {
            date_done = 1;
            i += n;
        } else if (!child && t->nd == 7) {
            memset(&it, 0, sizeof it);
            child_at(x, i, CM_SCAN, 0, &it);
            if (!item_add(c, &it)) return i;
            child = 1;
            i++;
        } else {
            break;
        }
    }
    if (!child) { /* no child named: every child linked to the phone */
        memset(&it, 0, sizeof it);
        item_add(c, &it);
    }
    if (!status) g.value = 1;
    group_apply(c, from, &g);
    return i;
}

/* Visits and check-ins: groups until no child follows; each group's note
 * runs to the next group. Returns where the first group's note starts. */
static size_t parse_items(struct pctx *x, enum cb_intent intent)
{
    struct cb_cmd *c = x->out;
    size_t i = 1, note0 = 1;
    for (int first = 1;; first = 0) {
        int from = c->nitems;
        i = intent == CB_VISIT ? visit_group(x, i, first) : checkin_group(x, i, first);
        if (first) note0 = i;
        size_t at = x->n, skip = 0;
        int more = !c->items_more && c->nitems < CB_ITEMS_MAX ? next_group(x, i, intent, &at, &skip) : 0;
        if (c->nitems == CB_ITEMS_MAX && next_group(x, i, intent, &at, &skip)) c->items_more = 1, more = 0;
        for (int k = from; k < c->nitems; k++) c->items[k].note = note_between(x, i, more ? at : x->n);
        if (!more) break;
        i = at + skip;
    }
    return note0;
}

/* BG [category] [child] <description>; category and child either order. */
static size_t parse_report(struct pctx *x)
{
    struct cb_cmd *c = x->out;
    size_t i = 1;
    int cat = 0, child = 0;
    for (int round = 0; round < 2 && i < x->n; round++) {
        const struct wtok *t = &x->w[i];
        struct cb_item it;
        size_t n = 0;
        memset(&it, 0, sizeof it);
        int split = !child && t->nd != 7 && joined_code(x, i, it.child) > 1;                   /* BG 1 0 0 0 0 1 5 */
        int v = cat || split || t->nd == 2 ? 0 : coded(t, categories, N_OF(categories), 9, 1); /* 2 digits: text */
        if (v) {
            if (v < 0)
                fail(c, CB_E_CATEGORY_BAD);
            else
                c->value = v, c->category_given = 1;
            cat = 1;
            i++;
        } else if (!child && (t->nd == 7 || split)) {
            n = child_at(x, i, CM_LIST, 0, &it);
            memcpy(c->child, it.child, sizeof c->child);
            memcpy(c->bad_child, it.bad_child, sizeof c->bad_child);
            if (it.error) fail(c, it.error);
            child = 1;
            i += n;
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
    if (!child && i < x->n && x->w[i].s[0] && name_like(x, x->w[i].s, 1) &&
        (i + 1 >= x->n || !x->w[i].glued)) /* BG 4 张小明 走丢了: for the handler to look up */
        memcpy(c->name, x->w[i].s, strlen(x->w[i].s) + 1);
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

/* FL <case> <category> [note] */
static size_t parse_classify(struct pctx *x)
{
    size_t i = parse_case(x);
    int v = coded(tok(x, i), categories, N_OF(categories), 9, 0);
    if (!v) {
        fail(x->out, CB_E_CATEGORY_MISSING);
        return i;
    }
    if (v < 0)
        fail(x->out, CB_E_CATEGORY_BAD);
    else
        x->out->value = v;
    return i + 1;
}

/* CX 待访 [page] / CX 走访: returns the tokens taken, 0 when token 1 asks
 * for no list (a case number, or an error). */
static size_t parse_query(struct pctx *x)
{
    const struct wtok *t = tok(x, 1);
    int q = t ? LOOKUP(query_words, t->s) : 0;
    if (!q) return 0;
    struct cb_cmd *c = x->out;
    c->intent = CB_QUERY;
    c->query = (enum cb_query)q;
    c->value = 1;
    t = tok(x, 2);
    if (t && (t->nd == 1 || t->nd == 2) && !t->glued) { /* CX 待访 2: the second page */
        c->value = t->nd == 1 ? t->s[0] - '0' : (t->s[0] - '0') * 10 + (t->s[1] - '0');
        return 3;
    }
    return 2;
}

/* The field word of a GX at token i, splitting it off the text it is stuck
 * to (学校东关小学, 照料人王芳); CB_U_NONE when there is none. */
static enum cb_update update_field(struct pctx *x, size_t i)
{
    const struct wtok *t = tok(x, i);
    if (!t || !t->s[0]) return CB_U_NONE;
    int v = LOOKUP(update_words, t->s);
    if (v) return (enum cb_update)v;
    size_t best = 0;
    for (size_t k = 0; k < N_OF(update_words); k++) {
        size_t l = strlen(update_words[k].w);
        if (l > best && strlen(t->s) > l && strncmp(t->s, update_words[k].w, l) == 0) best = l, v = update_words[k].v;
    }
    if (!best) return CB_U_NONE;
    resplit(x, i, best);
    return (enum cb_update)v;
}

/* A phone at token i: the digits of the numeric tokens from i (138 0000
 * 0001, 138-0000-0001), joined while fewer than 11. Returns the tokens
 * taken (0: none there), the digits in out (16 bytes), or sets
 * CB_E_PHONE_BAD when they are not 8 to 15. */
static size_t phone_at(struct pctx *x, size_t i, char out[16])
{
    size_t n = 0, j = i;
    const struct wtok *t;
    while ((t = tok(x, j)) != NULL && t->numeric && n < 11) {
        for (const char *p = t->s; *p; p++)
            if (*p >= '0' && *p <= '9') {
                if (n < 15) out[n] = *p;
                n++;
            }
        j++;
    }
    out[n < 15 ? n : 15] = '\0';
    if (j == i) return 0;
    if (n < 8 || n > 15) {
        fail(x->out, CB_E_PHONE_BAD);
        out[0] = '\0';
    }
    return j - i;
}

/* GX <child> 学校 <school> / GX <child> 照料 <name> [电话] <phone> [关系]
 * [relation]: returns where the note (the school, or the relation) starts. */
static size_t parse_update(struct pctx *x)
{
    struct cb_cmd *c = x->out;
    struct cb_item it;
    memset(&it, 0, sizeof it);
    size_t i = 1, n = child_at(x, i, CM_FIRST, 0, &it);
    if (n) {
        memcpy(c->child, it.child, sizeof c->child);
        memcpy(c->bad_child, it.bad_child, sizeof c->bad_child);
        if (it.error) fail(c, it.error);
        i += n;
    } else {
        fail(c, CB_E_CHILD_MISSING);
    }
    c->update = update_field(x, i);
    if (c->update == CB_U_NONE) {
        fail(c, CB_E_FIELD_MISSING);
        return i;
    }
    i++;
    if (c->update == CB_U_SCHOOL) return i; /* CB_E_VALUE_MISSING is decided once the note is known */
    const struct wtok *t = tok(x, i);
    if (!t || t->numeric) {
        fail(c, CB_E_VALUE_MISSING);
    } else {
        copy_bad(c->name, sizeof c->name, t);
        i++;
    }
    t = tok(x, i);
    if (t && (strcmp(t->s, "电话") == 0 || strcmp(t->s, "手机") == 0)) i++;
    if ((n = phone_at(x, i, c->phone)) == 0)
        fail(c, CB_E_PHONE_MISSING);
    else
        i += n;
    t = tok(x, i);
    if (t && strcmp(t->s, "关系") == 0) i++;
    return i;
}

/* A whole message that asks a question in words (哪些孩子要走访). */
static enum cb_query query_phrase(const struct pctx *x)
{
    char buf[96];
    size_t n = 0;
    if (x->full || x->n == 0 || x->n > 8) return CB_Q_NONE;
    for (size_t i = 0; i < x->n; i++) {
        size_t l = strlen(x->w[i].s);
        if (!l || n + l >= sizeof buf) return CB_Q_NONE;
        memcpy(buf + n, x->w[i].s, l);
        n += l;
    }
    buf[n] = '\0';
    char *s = buf;
    if (strncmp(s, "请问", 6) == 0) s += 6;
    n = strlen(s);
    static const char *const tails[] = {"吗", "呢", "啊"};
    for (size_t k = 0; k < N_OF(tails); k++)
        if (n > 3 && strcmp(s + n - 3, tails[k]) == 0) s[n - 3] = '\0';
    return (enum cb_query)LOOKUP(query_phrases, s);
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

/* The single fields of a visit or check-in are those of its first item. */
static void mirror_first(struct cb_cmd *c)
{
    const struct cb_item *it = &c->items[0];
    c->error = it->error;
    memcpy(c->child, it->child, sizeof c->child);
    memcpy(c->bad_child, it->bad_child, sizeof c->bad_child);
    memcpy(c->name, it->name, sizeof c->name);
    c->year = it->year, c->month = it->month, c->day = it->day, c->date_given = it->date_given;
    c->value = it->value;
    c->problems = it->problems;
    c->note = it->note ? gw_strdup(it->note) : NULL;
}

enum cb_intent cb_parse(const char *text, size_t len, int64_t now, struct cb_cmd *out)
{
    struct cb_tokens tk;
    struct pctx *x = gw_calloc(1, sizeof *x); /* ~8 KB: kept off the stack of handler threads */
    memset(out, 0, sizeof *out);
    if (!text) len = 0;
    x->text = text, x->len = len, x->now = now, x->out = out;
    cb_tokenize(text, len, &tk);
    build(x, &tk);

    size_t i = 0;
    if (x->n > 0) {
        enum cb_query q = query_phrase(x);
        out->intent = opt_intent(x);
        if (q != CB_Q_NONE) out->intent = CB_QUERY, out->query = q, out->value = 1;
        if (out->intent == CB_UNKNOWN) out->intent = keyword_intent(&x->w[0]);
        switch (out->intent) {
        case CB_VISIT:
        case CB_CHECKIN:
            parse_items(x, out->intent);
            mirror_first(out);
            i = SIZE_MAX; /* the notes are the items' */
            break;
        case CB_REPORT: i = parse_report(x); break;
        case CB_STATUS:
            if (!(i = parse_query(x))) i = parse_case(x);
            break;
        case CB_ACK: i = parse_case(x); break;
        case CB_CLOSE: i = parse_close(x); break;
        case CB_CLASSIFY: i = parse_classify(x); break;
        case CB_UPDATE: i = parse_update(x); break;
        case CB_HELP: i = 1; break;
        case CB_OPTOUT:
        case CB_OPTIN:
        case CB_QUERY: i = x->n; break;
        case CB_UNKNOWN: i = 0; break;
        }
        if (i != SIZE_MAX) out->note = note_between(x, i, x->n);
    }
    if (out->intent == CB_REPORT && !out->note && !out->category_given && !out->child[0]) fail(out, CB_E_DESC_MISSING);
    if (out->intent == CB_UPDATE && out->update == CB_U_SCHOOL && !out->note) fail(out, CB_E_VALUE_MISSING);
    cb_tokens_free(&tk);
    free(x);
    return out->intent;
}

void cb_cmd_free(struct cb_cmd *cmd)
{
    if (!cmd) return;
    free(cmd->note);
    cmd->note = NULL;
    for (int i = 0; i < cmd->nitems && i < CB_ITEMS_MAX; i++) {
        free(cmd->items[i].note);
        cmd->items[i].note = NULL;
    }
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
