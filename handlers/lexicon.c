/* handlers/lexicon.c - danger words: the built-in lexicon, lexicon files,
 * and reading a message with them (lexicon.h says how).
 *
 * A message is first made compact: one UTF-8 string of its letters
 * (ASCII lower-cased) and CJK characters, with '|' where a clause ends,
 * plus one flag per byte saying that a space or a number stood right
 * before it. Phrases are then found with memmem on that string: UTF-8 is
 * self-synchronising, so a byte match of a whole phrase always starts and
 * ends on characters. Every entry is tried at every occurrence; a message
 * is a few hundred bytes and the lexicon a few hundred entries, so a scan
 * costs tens of microseconds and allocates two buffers.
 *
 * The built-in lexicon is a static table: its phrases are written already
 * compact. Entries of loaded lexicons own their phrase strings.
 */
#include "lexicon.h"
#include "../core/utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "codebook.h"

#define LEX_FILE_MAX (1u << 20) /* bytes of a lexicon file */
#define LEX_LINE_MAX 1024       /* bytes of one of its lines */
#define LEX_PARTS    4          /* literal parts of a phrase: at most 3 '*' */
#define SCAN_MAX     4096       /* compact bytes of a message that are read */

struct lex_entry {
    const char *phrase; /* compact UTF-8 with '*'; owned unless the lexicon is the built-in */
    int category;       /* 1-9 a danger phrase, 0 an ordinary word, -1 a withdrawal (file layers only) */
    int priority;       /* 0-3 for danger phrases */
};

struct lexicon {
    struct lex_entry *v;
    size_t n;
    int is_static; /* 1: the built-in (never freed) */
};

/* ---- the built-in lexicon ---------------------------------------------------
 * Categories (the code book's): 1 sexual abuse, 2 violence or abuse, 3 left
 * without care or abandoned, 4 missing or trafficked, 5 self-harm or mental
 * crisis, 6 drowning or other immediate danger, 7 bullying, 8 dropout. */

/* clang-format off */
static struct lex_entry builtin_v[] = {
    /* 6: drowning and immediate danger, P0 */
    {"落水", 6, 0}, {"掉河里", 6, 0}, {"掉进河", 6, 0}, {"掉到河", 6, 0}, {"掉下河", 6, 0}, {"掉河", 6, 0},
    {"掉水里", 6, 0}, {"掉进水", 6, 0}, {"掉到水", 6, 0}, {"掉下水", 6, 0}, {"掉塘里", 6, 0}, {"掉进塘", 6, 0},
    {"掉进池塘", 6, 0}, {"掉到塘", 6, 0}, {"掉水库", 6, 0}, {"掉进水库", 6, 0}, {"掉井里", 6, 0},
    {"掉进井", 6, 0}, {"掉到井", 6, 0}, {"掉进粪坑", 6, 0}, {"掉进水沟", 6, 0}, {"溺水", 6, 0}, {"淹死", 6, 0},
    {"被淹", 6, 0}, {"被水冲走", 6, 0}, {"被*冲走", 6, 0}, {"沉下去", 6, 0}, {"救命", 6, 0}, {"救救", 6, 0},
    {"快来人", 6, 0}, {"来人啊", 6, 0}, {"快救", 6, 0}, {"快报警", 6, 0}, {"帮我报警", 6, 0},
    {"帮忙报警", 6, 0}, {"着火", 6, 0}, {"起火", 6, 0}, {"火灾", 6, 0}, {"触电", 6, 0}, {"被车撞", 6, 0},
    {"被*车撞", 6, 0}, {"车祸", 6, 0}, {"昏迷", 6, 0}, {"不省人事", 6, 0}, {"没有呼吸", 6, 0}, {"没气了", 6, 0},
    {"中毒", 6, 0}, {"从楼上掉", 6, 0}, {"摔下楼", 6, 0}, {"坠楼", 6, 0}, {"被困", 6, 0}, {"被蛇咬", 6, 0},
    {"流了很多血", 6, 0}, {"大出血", 6, 0}, {"受重伤", 6, 0}, {"伤得很重", 6, 0}, {"被狗咬", 6, 1},
    {"luoshui", 6, 0}, {"nishui", 6, 0}, {"jiuming", 6, 0}, {"kuailairen", 6, 0}, {"diaohe", 6, 0},
    {"diaoshui", 6, 0},
    /* 4: abduction and missing children, P0 */
    {"被拐", 4, 0}, {"拐走", 4, 0}, {"拐跑", 4, 0}, {"拐卖", 4, 0}, {"拐骗", 4, 0}, {"被骗走", 4, 0},
    {"人贩子", 4, 0}, {"偷孩子", 4, 0}, {"孩子被偷", 4, 0}, {"抢孩子", 4, 0}, {"抢走孩子", 4, 0},
    {"被*抢走", 4, 0}, {"被人抱走", 4, 0}, {"被*抱走", 4, 0}, {"被人*带走", 4, 0}, {"被带走", 4, 0},
    {"绑架", 4, 0}, {"被绑", 4, 0}, {"被卖", 4, 0}, {"卖孩子", 4, 0},
    {"被陌生人", 4, 0}, {"陌生人*带走", 4, 0}, {"陌生人*抱走", 4, 0}, {"陌生人*拉走", 4, 0},
    {"拉上车", 4, 0}, {"拽上车", 4, 0}, {"拖上车", 4, 0}, {"孩子不见了", 4, 0}, {"孩子*不见了", 4, 0}, {"娃不见了", 4, 0},
    {"小孩不见了", 4, 0}, {"儿子不见了", 4, 0}, {"女儿不见了", 4, 0}, {"孙子不见了", 4, 0},
    {"孙女不见了", 4, 0}, {"孩子丢了", 4, 0}, {"走丢", 4, 0}, {"走失", 4, 0}, {"失踪", 4, 0},
    {"找不到孩子", 4, 0}, {"找不到*孩子", 4, 0}, {"孩子*找不到", 4, 0}, {"娃*找不到", 4, 0},
    {"孩子*没回家", 4, 0}, {"娃*没回家", 4, 0}, {"一夜没回", 4, 0}, {"一晚上没回", 4, 0}, {"一夜未归", 4, 0},
    {"离家出走", 4, 1}, {"联系不上孩子", 4, 1}, {"夜不归宿", 4, 1},
    {"beiguai", 4, 0}, {"guaizou", 4, 0}, {"guaimai", 4, 0}, {"shizong", 4, 0}, {"zoudiu", 4, 0},
    /* 5: self-harm, P0 for an act, P1 for words of despair */
    {"自杀", 5, 0}, {"寻死", 5, 0}, {"割腕", 5, 0}, {"跳楼", 5, 0}, {"跳河", 5, 0}, {"跳井", 5, 0},
    {"跳江", 5, 0}, {"跳湖", 5, 0}, {"上吊", 5, 0}, {"喝农药", 5, 0}, {"喝了农药", 5, 0}, {"敌敌畏", 5, 0},
    {"百草枯", 5, 0}, {"安眠药", 5, 0}, {"服毒", 5, 0}, {"寻短见", 5, 0}, {"想死", 5, 1}, {"不想活", 5, 1},
    {"活不下去", 5, 1}, {"活着没意思", 5, 1}, {"轻生", 5, 1}, {"自残", 5, 1}, {"自伤", 5, 1},
    {"伤害自己", 5, 1}, {"割手", 5, 1}, {"划手", 5, 1}, {"想不开", 5, 1}, {"抑郁", 5, 2},
    {"zisha", 5, 0}, {"tiaolou", 5, 0},
    /* 1: sexual abuse, P1 */
    {"性侵", 1, 1}, {"猥亵", 1, 1}, {"强奸", 1, 1}, {"强暴", 1, 1}, {"奸污", 1, 1}, {"性骚扰", 1, 1},
    {"被侵犯", 1, 1}, {"不轨", 1, 1}, {"摸下体", 1, 1}, {"摸*下体", 1, 1}, {"摸*私处", 1, 1},
    {"摸*隐私部位", 1, 1}, {"摸*胸", 1, 1}, {"乱摸", 1, 1}, {"动手动脚", 1, 1}, {"xingqin", 1, 1},
    /* 2: violence and abuse, P1 */
    {"被打", 2, 1}, {"被*打", 2, 1}, {"挨打", 2, 1}, {"打孩子", 2, 1}, {"把孩子打", 2, 1}, {"把他打", 2, 1},
    {"把她打", 2, 1}, {"把娃打", 2, 1}, {"毒打", 2, 1}, {"殴打", 2, 1}, {"暴打", 2, 1}, {"痛打", 2, 1},
    {"打伤", 2, 1}, {"打骂", 2, 1}, {"打断腿", 2, 1}, {"往死里打", 2, 1}, {"打得很重", 2, 1},
    {"打得很厉害", 2, 1}, {"打得很凶", 2, 1}, {"打得好狠", 2, 1}, {"打得*伤", 2, 1}, {"打得*血", 2, 1},
    {"打得*青", 2, 1}, {"被人砍", 2, 0}, {"被*砍伤", 2, 0}, {"砍伤", 2, 0}, {"拿刀砍", 2, 0}, {"用刀砍", 2, 0},
    {"被人捅", 2, 0}, {"捅伤", 2, 0}, {"拿刀捅", 2, 0}, {"不让*吃饭", 2, 1}, {"家暴", 2, 1}, {"家庭暴力", 2, 1}, {"虐待", 2, 1}, {"被虐", 2, 1}, {"虐童", 2, 1},
    {"体罚", 2, 1}, {"烟头烫", 2, 1}, {"身上有伤", 2, 1}, {"身上都是伤", 2, 1}, {"浑身是伤", 2, 1},
    {"遍体鳞伤", 2, 1}, {"青一块紫一块", 2, 1}, {"伤痕累累", 2, 1}, {"被关", 2, 1}, {"关起来", 2, 1},
    {"被锁", 2, 1}, {"锁在家", 2, 1}, {"不给饭吃", 2, 1}, {"不给*吃饭", 2, 1}, {"棍子打", 2, 1},
    {"皮带抽", 2, 1}, {"用皮带", 2, 1}, {"jiabao", 2, 1}, {"nuedai", 2, 1},
    /* 3: left without care, abandoned, begging, P1 */
    {"没人管", 3, 1}, {"没有人管", 3, 1}, {"无人管", 3, 1}, {"没人照顾", 3, 1}, {"没有人照顾", 3, 1},
    {"无人照顾", 3, 1}, {"没人照看", 3, 1}, {"没有人照看", 3, 1}, {"无人照看", 3, 1}, {"没人看管", 3, 1},
    {"无人看管", 3, 1}, {"没人照料", 3, 1}, {"无人照料", 3, 1}, {"没人带", 3, 1}, {"没人要", 3, 1},
    {"一个人在家好几天", 3, 1}, {"一个人在家几天", 3, 1}, {"一个人在家*天了", 3, 1},
    {"一个人在家*多天", 3, 1}, {"独自在家*天", 3, 1}, {"自己在家*天了", 3, 1}, {"饿了*天", 3, 1},
    {"饿了好几顿", 3, 1}, {"天没吃饭", 3, 1}, {"天没吃东西", 3, 1}, {"没饭吃", 3, 1}, {"吃不上饭", 3, 1},
    {"饿肚子", 3, 1}, {"遗弃", 3, 1}, {"抛弃", 3, 1}, {"扔下孩子", 3, 1}, {"丢下孩子", 3, 1},
    {"把孩子扔", 3, 1}, {"不管孩子", 3, 1}, {"都不管", 3, 1}, {"流浪", 3, 1}, {"乞讨", 3, 1}, {"要饭", 3, 1},
    {"讨饭", 3, 1}, {"讨钱", 3, 1}, {"meirenguan", 3, 1}, {"qitao", 3, 1},
    /* 7: bullying, P2 */
    {"欺负", 7, 2}, {"霸凌", 7, 2}, {"欺凌", 7, 2}, {"校园暴力", 7, 2}, {"勒索", 7, 2}, {"被孤立", 7, 2},
    {"被排挤", 7, 2}, {"baling", 7, 2},
    /* 8: dropout, P2 */
    {"辍学", 8, 2}, {"不上学了", 8, 2}, {"不去上学", 8, 2}, {"没去上学", 8, 2}, {"没上学", 8, 2},
    {"不读书了", 8, 2}, {"不念书了", 8, 2}, {"不想上学", 8, 2}, {"不想读书", 8, 2}, {"不让*上学", 8, 2},
    {"不让*读书", 8, 2}, {"退学", 8, 2}, {"逃学", 8, 2}, {"旷课", 8, 2}, {"厌学", 8, 2}, {"chuoxue", 8, 2},

    /* Ordinary words that contain a danger phrase (or meet one). */
    {"打工", 0, 0}, {"打电话", 0, 0}, {"打算", 0, 0}, {"打扫", 0, 0}, {"打开", 0, 0}, {"打针", 0, 0},
    {"打扰", 0, 0}, {"打球", 0, 0}, {"打篮球", 0, 0}, {"打牌", 0, 0}, {"打游戏", 0, 0}, {"打听", 0, 0},
    {"打架", 0, 0}, {"打疫苗", 0, 0}, {"打卡", 0, 0}, {"打折", 0, 0}, {"打车", 0, 0}, {"打字", 0, 0},
    {"打印", 0, 0}, {"打包", 0, 0}, {"打扮", 0, 0}, {"打招呼", 0, 0}, {"打交道", 0, 0}, {"打闹", 0, 0},
    {"打水", 0, 0}, {"打饭", 0, 0}, {"打麻将", 0, 0}, {"打猎", 0, 0}, {"打雷", 0, 0}, {"打喷嚏", 0, 0},
    {"打滚", 0, 0}, {"打湿", 0, 0}, {"打动", 0, 0}, {"打败", 0, 0}, {"打击", 0, 0}, {"打分", 0, 0},
    {"打理", 0, 0}, {"打气", 0, 0}, {"打点滴", 0, 0}, {"打吊针", 0, 0}, {"打呼", 0, 0}, {"打哈欠", 0, 0},
    {"打瞌睡", 0, 0}, {"打盹", 0, 0}, {"打零工", 0, 0}, {"打鱼", 0, 0}, {"打猪草", 0, 0}, {"打赌", 0, 0},
    {"打量", 0, 0}, {"打井", 0, 0}, {"打捞", 0, 0}, {"打比方", 0, 0}, {"打孩子电话", 0, 0},
    {"打孩子的电话", 0, 0}, {"打孩子手机", 0, 0}, {"关心", 0, 0}, {"关注", 0, 0}, {"关照", 0, 0},
    {"关怀", 0, 0}, {"关系", 0, 0}, {"关门", 0, 0}, {"关机", 0, 0}, {"关灯", 0, 0}, {"锁定", 0, 0},
    {"困难", 0, 0}, {"困扰", 0, 0}, {"跳楼价", 0, 0}, {"跳楼甩卖", 0, 0}, {"跳楼大甩卖", 0, 0},
    {"落水管", 0, 0}, {"救命恩人", 0, 0}, {"救命稻草", 0, 0}, {"想死你", 0, 0}, {"想死我", 0, 0},
    {"想死他", 0, 0}, {"想死她", 0, 0}, {"想死您", 0, 0}, {"游戏中毒", 0, 0}, {"手机中毒", 0, 0},
    {"网络中毒", 0, 0}, {"流浪狗", 0, 0}, {"流浪猫", 0, 0}, {"狗走丢", 0, 0}, {"猫走丢", 0, 0},
    {"被警察带走", 0, 0}, {"孩子他爸", 0, 0}, {"孩子他妈", 0, 0}, {"孩子她妈", 0, 0}, {"孩子她爸", 0, 0},
    {"孩子爸", 0, 0}, {"孩子妈", 0, 0}, {"孩子的爸", 0, 0}, {"孩子的妈", 0, 0}, {"孩子爷爷", 0, 0},
    {"孩子奶奶", 0, 0}, {"孩子外婆", 0, 0}, {"孩子姥姥", 0, 0}, {"钥匙锁在", 0, 0}, {"书包不见", 0, 0},
    {"手机不见", 0, 0}, {"钱不见", 0, 0}, {"钥匙不见", 0, 0}, {"东西不见", 0, 0}, {"衣服不见", 0, 0},
    {"鞋不见", 0, 0}, {"作业不见", 0, 0}, {"书不见", 0, 0},
};
/* clang-format on */

static const struct lexicon builtin = {builtin_v, sizeof builtin_v / sizeof builtin_v[0], 1};

const struct lexicon *lex_builtin(void) { return &builtin; }

/* ---- negation ------------------------------------------------------------
 * A phrase is not read when a negation or a hypothetical ends right before
 * it, possibly with a few of the skipped words between ("没有孩子落水",
 * "并没有被打"). Checked in this order: skipped words are taken off the end
 * (at most three), then a false negation ("不小心") clears it, then a
 * negation sets it. */

static const char *const skip_words[] = {
    "小孩子", "孩子", "小孩", "娃娃", "娃",   "他们", "她们", "他", "她", "都",   "也",
    "并",     "还",   "从来", "根本", "曾经", "曾",   "再",   "把", "被", "有人",
};

static const char *const false_negations[] = {
    "一不小心", "不小心", "不注意", "没注意", "没留意", "没看住", "没看好", "没管好",
    "没想到",   "不知道", "不知",   "不慎",   "恐怕",   "特别",   "分别",   "区别",
};

static const char *const negations[] = {
    "没有人", "没人", "没有", "没",     "并非",     "并不是", "不是",     "不会",   "不要",   "不用",
    "不曾",   "不像", "不",   "未",     "无",       "非",     "别",       "防",     "预防",   "防止",
    "谨防",   "严防", "小心", "注意",   "担心",     "怕",     "以防",     "避免",   "万一",   "如果",
    "要是",   "假如", "假设", "没发现", "没有发现", "没看到", "没有看到", "没看见", "没听说", "没有听说",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the compact text -------------------------------------------------------- */

#define TRI_BITS 4096 /* the scan's set of 3-byte sequences, hashed */

struct scan {
    char *s;                     /* compact UTF-8: letters, CJK, '|' between clauses; NUL-terminated */
    size_t n;                    /* bytes in s */
    unsigned char *soft;         /* soft[i]: a space or a number stood right before byte i (n + 1 entries) */
    uint64_t tri[TRI_BITS / 64]; /* every 3 bytes in a row of s, hashed: a phrase whose first 3 bytes are
                                    not there is not searched for (one CJK character is 3 bytes) */
};

static unsigned tri_hash(const char *p)
{
    uint32_t v = (uint32_t)(unsigned char)p[0] << 16 | (uint32_t)(unsigned char)p[1] << 8 | (unsigned char)p[2];
    return (v * 2654435761u) >> 20 & (TRI_BITS - 1);
}

/* 0 when the text surely does not hold the len bytes at p; 1 when it may. */
static int may_hold(const struct scan *sc, const char *p, size_t len)
{
    if (len < 3) return 1;
    unsigned h = tri_hash(p);
    return (sc->tri[h / 64] >> (h % 64)) & 1;
}

static int is_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0x20000 && cp <= 0x2FFFF) || cp == 0x3007; /* 〇 */
}

/* What one code point is for the compact text. */
enum cp_kind { CP_KEEP, CP_SOFT, CP_HARD };

static enum cp_kind classify(uint32_t *cp)
{
    if (*cp >= 0xFF01 && *cp <= 0xFF5E) *cp -= 0xFEE0; /* full-width ASCII */
    uint32_t c = *cp;
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            if (c >= 'A' && c <= 'Z') *cp = c + 32;
            return CP_KEEP;
        }
        if ((c >= '0' && c <= '9') || c == ' ' || (c >= '\t' && c <= '\r')) return CP_SOFT;
        return CP_HARD;
    }
    if (c == 0x3000 || c == 0x00A0) return CP_SOFT;
    return is_cjk(c) ? CP_KEEP : CP_HARD;
}

static void scan_init(struct scan *sc, const char *text, size_t len)
{
    const unsigned char *t = (const unsigned char *)(text ? text : "");
    if (!text) len = 0;
    size_t cap = len < SCAN_MAX ? len : SCAN_MAX;
    sc->s = gw_malloc(cap + 5);
    sc->soft = gw_calloc(cap + 5, 1);
    sc->n = 0;
    int soft = 0;
    for (size_t i = 0; i < len && sc->n < cap;) { /* the text never grows: cap + 4 bytes suffice */
        uint32_t cp;
        i += utf8_decode(t, len, i, &cp);
        switch (classify(&cp)) {
        case CP_SOFT: soft = 1; break;
        case CP_HARD:
            if (sc->n > 0 && sc->s[sc->n - 1] != '|') {
                sc->soft[sc->n] = 0;
                sc->s[sc->n++] = '|';
            }
            soft = 0;
            break;
        case CP_KEEP:
            sc->soft[sc->n] = (unsigned char)soft;
            sc->n += utf8_encode(cp, sc->s + sc->n);
            soft = 0;
            break;
        }
    }
    sc->soft[sc->n] = (unsigned char)soft;
    sc->s[sc->n] = '\0';
    memset(sc->tri, 0, sizeof sc->tri);
    for (size_t i = 0; i + 3 <= sc->n; i++) {
        unsigned h = tri_hash(sc->s + i);
        sc->tri[h / 64] |= UINT64_C(1) << (h % 64);
    }
}

static void scan_free(struct scan *sc)
{
    free(sc->s);
    free(sc->soft);
}

/* Bytes of the UTF-8 character starting with byte b. */
static size_t char_len(unsigned char b) { return b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4; }

/* 1 when no space or number stood inside (a, b]: between bytes a and b. */
static int tight(const struct scan *sc, size_t a, size_t b)
{
    for (size_t k = a + 1; k <= b; k++)
        if (sc->soft[k]) return 0;
    return 1;
}

/* The length of a word of list that the text ends with at byte j (tight
 * with what follows it), or 0. The longest such word wins. */
static size_t ends_with(const struct scan *sc, size_t j, const char *const *list, size_t n)
{
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (l > best && l <= j && memcmp(sc->s + j - l, list[i], l) == 0 && tight(sc, j - l, j)) best = l;
    }
    return best;
}

static int negated(const struct scan *sc, size_t start)
{
    size_t j = start;
    for (int k = 0; k < 3; k++) {
        if (ends_with(sc, j, false_negations, N_OF(false_negations))) return 0;
        size_t w = ends_with(sc, j, skip_words, N_OF(skip_words));
        if (!w) break;
        j -= w;
    }
    if (ends_with(sc, j, false_negations, N_OF(false_negations))) return 0;
    return ends_with(sc, j, negations, N_OF(negations)) > 0;
}

/* ---- matching ------------------------------------------------------------------ */

struct part {
    const char *p;
    size_t len;
};

/* Splits a phrase at '*'. Returns the number of parts (1..LEX_PARTS), 0 when malformed. */
static int split_phrase(const char *phrase, struct part *parts)
{
    int n = 0;
    const char *p = phrase;
    for (;;) {
        const char *star = strchr(p, '*');
        size_t len = star ? (size_t)(star - p) : strlen(p);
        if (len == 0 || n == LEX_PARTS) return 0;
        parts[n].p = p;
        parts[n].len = len;
        n++;
        if (!star) return n;
        p = star + 1;
    }
}

/* A match: its span and the spans of its literal parts. */
struct hit {
    size_t start, end;
    size_t ps[LEX_PARTS], pe[LEX_PARTS];
    int nparts;
};

/* Tries the phrase whose first part starts at pos; fills *h. 1 matched, 0 not. */
static int match_at(const struct scan *sc, const struct part *parts, int nparts, size_t pos, struct hit *h)
{
    h->start = pos;
    h->nparts = nparts;
    h->ps[0] = pos;
    h->pe[0] = pos + parts[0].len;
    size_t cur = h->pe[0];
    for (int k = 1; k < nparts; k++) {
        size_t q = cur;
        int found = 0;
        for (int gap = 0; gap <= LEX_GAP && q < sc->n && !found; gap++) {
            if (q + parts[k].len <= sc->n && memcmp(sc->s + q, parts[k].p, parts[k].len) == 0) {
                found = 1;
                break;
            }
            if (sc->s[q] == '|') return 0;
            q += char_len((unsigned char)sc->s[q]);
        }
        if (!found) return 0;
        h->ps[k] = q;
        h->pe[k] = q + parts[k].len;
        cur = h->pe[k];
    }
    h->end = cur;
    return 1;
}

/* 1 when an ordinary word of lx overlaps the hit outside its literal parts. */
static int cancelled(const struct lexicon *lx, const struct scan *sc, const struct hit *h)
{
    for (size_t i = 0; i < lx->n; i++) {
        if (lx->v[i].category != 0) continue;
        const char *w = lx->v[i].phrase;
        size_t l = strlen(w);
        if (!may_hold(sc, w, l)) continue;
        size_t from = h->start + 1 > l ? h->start + 1 - l : 0;
        while (from < h->end) {
            const char *at = memmem(sc->s + from, sc->n - from, w, l);
            if (!at) break;
            size_t a = (size_t)(at - sc->s);
            if (a >= h->end) break;
            int inside = 0;
            for (int k = 0; k < h->nparts && !inside; k++) inside = a >= h->ps[k] && a + l <= h->pe[k];
            if (!inside) return 1;
            from = a + 1;
        }
    }
    return 0;
}

int lex_scan(const struct lexicon *lx, const char *text, size_t len, struct lex_match *out)
{
    if (!lx) lx = &builtin;
    memset(out, 0, sizeof *out);
    struct scan sc;
    scan_init(&sc, text, len);
    const struct lex_entry *best = NULL;
    size_t best_pos = 0;
    for (size_t i = 0; i < lx->n && sc.n > 0; i++) {
        const struct lex_entry *e = &lx->v[i];
        if (e->category < 1 || !may_hold(&sc, e->phrase, strcspn(e->phrase, "*"))) continue;
        struct part parts[LEX_PARTS];
        int np = split_phrase(e->phrase, parts);
        if (np == 0) continue;
        size_t from = 0;
        while (from < sc.n) {
            const char *at = memmem(sc.s + from, sc.n - from, parts[0].p, parts[0].len);
            if (!at) break;
            size_t pos = (size_t)(at - sc.s);
            from = pos + 1;
            struct hit h;
            if (!match_at(&sc, parts, np, pos, &h) || cancelled(lx, &sc, &h) || negated(&sc, pos)) continue;
            out->cats |= 1u << (e->category - 1);
            if (!best || e->priority < best->priority || (e->priority == best->priority && pos < best_pos)) {
                best = e;
                best_pos = pos;
            }
            break; /* this entry's first reading is the one that counts */
        }
    }
    scan_free(&sc);
    if (!best) {
        out->cats = 0;
        return 0;
    }
    out->category = best->category;
    out->priority = best->priority;
    gw_strlcpy(out->phrase, best->phrase, sizeof out->phrase);
    return 1;
}

int lex_has_word(const char *text, size_t len, const char *const *words, size_t n)
{
    struct scan sc;
    scan_init(&sc, text, len);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        size_t l = strlen(words[i]), from = 0;
        while (!found && l && from < sc.n) {
            const char *at = memmem(sc.s + from, sc.n - from, words[i], l);
            if (!at) break;
            size_t pos = (size_t)(at - sc.s);
            found = !negated(&sc, pos);
            from = pos + 1;
        }
    }
    scan_free(&sc);
    return found;
}

size_t lex_residue(const char *text, size_t len, const char *const *words, size_t n)
{
    struct scan sc;
    scan_init(&sc, text, len);
    unsigned char *taken = gw_calloc(sc.n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(words[i]), from = 0;
        while (l && from < sc.n) {
            const char *at = memmem(sc.s + from, sc.n - from, words[i], l);
            if (!at) break;
            size_t pos = (size_t)(at - sc.s);
            memset(taken + pos, 1, l);
            from = pos + l;
        }
    }
    size_t count = 0;
    for (size_t i = 0; i < sc.n; i += char_len((unsigned char)sc.s[i]))
        if (!taken[i] && sc.s[i] != '|') count++;
    free(taken);
    scan_free(&sc);
    return count;
}

/* ---- files ------------------------------------------------------------------------ */

size_t lex_count(const struct lexicon *lx)
{
    if (!lx) lx = &builtin;
    size_t n = 0;
    for (size_t i = 0; i < lx->n; i++) n += lx->v[i].category > 0;
    return n;
}

void lex_free(struct lexicon *lx)
{
    if (!lx || lx->is_static) return;
    for (size_t i = 0; i < lx->n; i++) free((char *)lx->v[i].phrase);
    free(lx->v);
    free(lx);
}

static void push(struct lexicon *lx, size_t *cap, const char *phrase, int category, int priority)
{
    if (lx->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        lx->v = gw_realloc(lx->v, *cap * sizeof *lx->v);
    }
    lx->v[lx->n].phrase = gw_strdup(phrase);
    lx->v[lx->n].category = category;
    lx->v[lx->n].priority = priority;
    lx->n++;
}

/* A phrase field as the compact text would read it, into out (LEX_PHRASE_MAX
 * + 1 bytes). 0, or -1 with the reason in why. */
static int phrase_norm(const char *field, int ordinary, char *out, const char **why)
{
    const unsigned char *f = (const unsigned char *)field;
    size_t len = strlen(field), n = 0;
    int stars = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t step = utf8_decode(f, len, i, &cp);
        if (cp == 0xFFFD) {
            *why = "is not UTF-8";
            return -1;
        }
        i += step;
        if (cp == '*' || cp == 0xFF0A) {
            if (ordinary) {
                *why = "an ordinary word takes no '*'";
                return -1;
            }
            if (n == 0 || out[n - 1] == '*') {
                *why = "a '*' needs text on both sides";
                return -1;
            }
            if (++stars >= LEX_PARTS) {
                *why = "has more than 3 '*'";
                return -1;
            }
            if (n + 1 > LEX_PHRASE_MAX) goto long_phrase;
            out[n++] = '*';
            continue;
        }
        if (classify(&cp) != CP_KEEP) {
            *why = "may hold only letters and Chinese characters (no digits, spaces or punctuation)";
            return -1;
        }
        char buf[4];
        size_t l = utf8_encode(cp, buf);
        if (n + l > LEX_PHRASE_MAX) goto long_phrase;
        memcpy(out + n, buf, l);
        n += l;
    }
    if (n == 0) {
        *why = "is empty";
        return -1;
    }
    if (out[n - 1] == '*') {
        *why = "a '*' needs text on both sides";
        return -1;
    }
    out[n] = '\0';
    return 0;
long_phrase:
    *why = "is too long (at most 64 bytes)";
    return -1;
}

/* Splits a line into at most 4 fields at tabs and spaces, in place. */
static int fields(char *line, char **f)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') return n;
        if (n == 4) return 5;
        f[n++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = '\0';
    }
}

struct lexicon *lex_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    struct lexicon *lx = gw_calloc(1, sizeof *lx);
    size_t cap = 0;
    int *lines = NULL; /* line of each entry, for "given twice" */
    char line[LEX_LINE_MAX + 1];
    size_t pos = 0;
    int lineno = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3; /* a byte-order mark */
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (l > LEX_LINE_MAX) {
            gw_err(err, errlen, "%s:%d: line too long (at most %d bytes)", name, lineno, LEX_LINE_MAX);
            goto fail;
        }
        memcpy(line, text + pos, l);
        line[l] = '\0';
        pos += l + (nl ? 1 : 0);
        if (l && line[l - 1] == '\r') line[--l] = '\0';
        if (memchr(line, '\0', l)) {
            gw_err(err, errlen, "%s:%d: a NUL byte", name, lineno);
            goto fail;
        }
        char *f[5];
        int nf = fields(line, f);
        if (nf == 0) continue;
        int ordinary = f[0][0] == '!';
        char phrase[LEX_PHRASE_MAX + 1];
        const char *why = NULL;
        const char *raw = ordinary ? f[0] + 1 : f[0];
        if (phrase_norm(raw, ordinary, phrase, &why) != 0) {
            gw_err(err, errlen, "%s:%d: phrase '%s' %s", name, lineno, raw, why);
            goto fail;
        }
        int category = 0, priority = 0;
        if (ordinary) {
            if (nf != 1) {
                gw_err(err, errlen, "%s:%d: an ordinary word (!%s) takes nothing after it", name, lineno, phrase);
                goto fail;
            }
        } else if (nf == 2 && strcmp(f[1], "-") == 0) {
            category = -1;
        } else {
            if (nf != 3 || f[1][0] < '1' || f[1][0] > '9' || f[1][1] || (f[2][0] != 'P' && f[2][0] != 'p') ||
                f[2][1] < '0' || f[2][1] > '3' || f[2][2]) {
                gw_err(err, errlen,
                       "%s:%d: expected 'phrase category priority' (category 1-9, priority P0-P3, e.g. 掉进鱼塘 6 P0), "
                       "'phrase -' or '!word'",
                       name, lineno);
                goto fail;
            }
            category = f[1][0] - '0';
            priority = f[2][1] - '0';
        }
        for (size_t i = 0; i < lx->n; i++)
            if ((lx->v[i].category == 0) == (category == 0) && strcmp(lx->v[i].phrase, phrase) == 0) {
                gw_err(err, errlen, "%s:%d: '%s' given twice (first on line %d)", name, lineno, phrase, lines[i]);
                goto fail;
            }
        if (lx->n >= LEX_MAX_ENTRIES) {
            gw_err(err, errlen, "%s:%d: too many entries (at most %d)", name, lineno, LEX_MAX_ENTRIES);
            goto fail;
        }
        if (lx->n == cap) lines = gw_realloc(lines, (cap ? cap * 2 : 64) * sizeof *lines);
        lines[lx->n] = lineno;
        push(lx, &cap, phrase, category, priority);
    }
    free(lines);
    return lx;
fail:
    free(lines);
    lex_free(lx);
    return NULL;
}

struct lexicon *lex_load(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        gw_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = gw_malloc(LEX_FILE_MAX + 1);
    size_t n = fread(buf, 1, LEX_FILE_MAX + 1, fp);
    int bad = ferror(fp);
    fclose(fp);
    struct lexicon *lx = NULL;
    if (bad)
        gw_err(err, errlen, "%s: cannot read", path);
    else if (n > LEX_FILE_MAX)
        gw_err(err, errlen, "%s: larger than 1 MiB", path);
    else
        lx = lex_parse(buf, n, path, err, errlen);
    free(buf);
    return lx;
}

struct lexicon *lex_over(const struct lexicon *base, const struct lexicon *top)
{
    if (!base) base = &builtin;
    struct lexicon *lx = gw_calloc(1, sizeof *lx);
    size_t cap = 0;
    for (size_t i = 0; i < base->n; i++)
        if (base->v[i].category >= 0) push(lx, &cap, base->v[i].phrase, base->v[i].category, base->v[i].priority);
    for (size_t t = 0; top && t < top->n; t++) {
        const struct lex_entry *e = &top->v[t];
        int ordinary = e->category == 0;
        size_t at = lx->n;
        for (size_t i = 0; i < lx->n && at == lx->n; i++)
            if ((lx->v[i].category == 0) == ordinary && strcmp(lx->v[i].phrase, e->phrase) == 0) at = i;
        if (e->category < 0) { /* withdrawn */
            if (at < lx->n) {
                free((char *)lx->v[at].phrase);
                memmove(&lx->v[at], &lx->v[at + 1], (lx->n - at - 1) * sizeof *lx->v);
                lx->n--;
            }
        } else if (at < lx->n) {
            lx->v[at].category = e->category;
            lx->v[at].priority = e->priority;
        } else {
            push(lx, &cap, e->phrase, e->category, e->priority);
        }
    }
    return lx;
}
