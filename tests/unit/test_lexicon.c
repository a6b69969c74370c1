/* tests/unit/test_lexicon.c - danger words: realistic messages, as people in
 * the villages write them, in -> the category and priority the built-in
 * lexicon reads, or no match; the over-read traps (negations, ordinary words
 * holding a danger character, warnings, hypotheticals) must read as nothing.
 * Then lexicon files: their format, their errors with file:line, and how a
 * county's file lays over the built-in.
 *
 * Prints the measured figures: danger messages caught out of the table's,
 * traps passed, and the known misses (kept apart: messages a person reads
 * as danger that the lexicon does not catch; they go to triage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../handlers/lexicon.h"

struct row {
    const char *text;
    int category; /* 0: no match */
    int priority;
};

/* clang-format off */
static const struct row danger[] = {
    /* drowning and immediate danger */
    {"救命 孩子掉河里了", 6, 0},
    {"快来人啊，有个小孩掉进水塘了", 6, 0},
    {"村口河边有孩子落水了，快报警", 6, 0},
    {"我家孩子溺水了 在镇卫生院", 6, 0},
    {"jiuming haizi luoshui le", 6, 0},
    {"kuai lai ren a you xiao hai diao he li le", 6, 0},
    {"孩子不小心掉进水库了", 6, 0},
    {"没看住孩子，掉井里了", 6, 0},
    {"孩子掉河里3分钟了！！", 6, 0},
    {"孩子被车撞了 流了很多血", 6, 0},
    {"家里着火了，孩子还在里面", 6, 0},
    {"快救救孩子", 6, 0},
    {"孩子被蛇咬了", 6, 0},
    {"孩子被狗咬了", 6, 1},
    {"两个孩子在水库游泳，一个被水冲走了", 6, 0},
    {"ＢＧ　孩子落水", 6, 0},
    /* abduction and missing children */
    {"孩子被人用车带走了", 4, 0},
    {"有个陌生人把孩子抱走了", 4, 0},
    {"我家孩子被拐了，求求你们帮忙找", 4, 0},
    {"孩子放学到现在还没回家，到处找不到", 4, 0},
    {"孩子 1110022 不见了", 4, 0},
    {"孩子在池塘边不见了", 4, 0},
    {"小孩走丢了 穿红衣服", 4, 0},
    {"孩子失踪两天了", 4, 0},
    {"有人贩子在村里转悠", 4, 0},
    {"孩子一夜没回家", 4, 0},
    {"孩子被绑架了", 4, 0},
    {"不是被拐，是走丢了", 4, 0},
    {"孩子离家出走三天了", 4, 1},
    {"beiguai le", 4, 0},
    /* self-harm */
    {"孩子说不想活了", 5, 1},
    {"孩子说想死", 5, 1},
    {"女儿在学校割腕了", 5, 0},
    {"孩子要跳楼，在楼顶上", 5, 0},
    {"孩子喝了农药", 5, 0},
    {"孩子自杀未遂 在医院", 5, 0},
    {"孩子学习压力大 有点想不开", 5, 1},
    /* violence and abuse */
    {"邻居家孩子经常被打，身上都是伤", 2, 1},
    {"他爸喝醉了打孩子打得很重", 2, 1},
    {"孩子被继父打得浑身是伤", 2, 1},
    {"后妈虐待孩子，不给饭吃", 2, 1},
    {"孩子被老师体罚", 2, 1},
    {"孩子被打了，不是第一次", 2, 1},
    {"孩子被关在猪圈里", 2, 1},
    {"小明被他爸用皮带抽", 2, 1},
    {"那家人经常不让孩子吃饭", 2, 1},
    {"有人拿刀砍伤了孩子", 2, 0},
    {"孩子不听话被打了", 2, 1},
    {"后爸打孩子，孩子说不想活了", 2, 1},
    /* sexual abuse */
    {"有人对孩子猥亵", 1, 1},
    {"怀疑孩子被性侵了", 1, 1},
    {"村里有个老头对小女孩动手动脚", 1, 1},
    {"女孩被村里男人强奸了", 1, 1},
    /* a child without care, begging */
    {"爷爷奶奶都去世了，孩子没人管", 3, 1},
    {"孩子一个人在家好几天了", 3, 1},
    {"孩子饿了两天了，没人照顾", 3, 1},
    {"父母外出打工，孩子没人照顾", 3, 1},
    {"有个孩子好几天没吃饭了", 3, 1},
    {"孩子妈妈跑了，爸爸不管孩子", 3, 1},
    {"没有人管这个孩子，他天天在外面流浪", 3, 1},
    {"街上有个小孩在乞讨", 3, 1},
    {"你好，我们村有个孩子好几天没人管了", 3, 1},
    {"meirenguan", 3, 1},
    /* bullying, dropout */
    {"孩子被同学欺负", 7, 2},
    {"孩子在学校被霸凌", 7, 2},
    {"有人在河边欺负小孩", 7, 2},
    {"孩子初二就辍学了", 8, 2},
    {"孩子不上学了，跟着别人去打工", 8, 2},
    {"孩子逃学 天天上网", 8, 2},
};

static const struct row traps[] = {
    {"孩子没有被打，谢谢关心", 0, 0},
    {"没被打，是摔的", 0, 0},
    {"不是被拐，是去亲戚家了", 0, 0},
    {"孩子没有落水，已经找到了", 0, 0},
    {"孩子没有失踪，在同学家", 0, 0},
    {"孩子没走丢，在外婆家", 0, 0},
    {"孩子没有离家出走", 0, 0},
    {"我没有打孩子", 0, 0},
    {"孩子很好，没有人欺负他", 0, 0},
    {"不要打孩子，要好好教育", 0, 0},
    {"我在外面打工，想问孩子最近怎么样", 0, 0},
    {"晚上给孩子打电话没人接", 0, 0},
    {"我打算下个月回家", 0, 0},
    {"今天买了水果", 0, 0},
    {"村里落实了低保政策", 0, 0},
    {"前面路口拐弯就到了", 0, 0},
    {"暑假注意防溺水安全", 0, 0},
    {"学校开展防溺水教育", 0, 0},
    {"老师说要预防孩子落水", 0, 0},
    {"万一孩子掉河里怎么办", 0, 0},
    {"担心孩子被拐，所以每天接送", 0, 0},
    {"镇上搞防拐卖宣传", 0, 0},
    {"防止孩子被拐骗", 0, 0},
    {"如果有人欺负孩子请告诉老师", 0, 0},
    {"孩子去打针了", 0, 0},
    {"孩子打疫苗了", 0, 0},
    {"孩子发烧了，打了点滴好多了", 0, 0},
    {"想死你们了，过年就回来", 0, 0},
    {"商场跳楼价大甩卖", 0, 0},
    {"孩子在家打游戏，不写作业", 0, 0},
    {"孩子被打扰了睡不好", 0, 0},
    {"孩子一个人在家，奶奶晚上回来", 0, 0},
    {"孩子周末不上学", 0, 0},
    {"孩子他爸过年没回家", 0, 0},
    {"我家的狗走丢了", 0, 0},
    {"孩子和同学打篮球", 0, 0},
    {"落水管坏了要修", 0, 0},
    {"谢谢你们关心孩子", 0, 0},
    {"他在工地打工，孩子跟奶奶", 0, 0},
    {"孩子被选上了班干部", 0, 0},
    {"孩子挺好的，没事", 0, 0},
    {"要注意孩子不要玩水", 0, 0},
    {"孩子的书包不见了", 0, 0},
    {"孩子被蚊子咬了", 0, 0},
    {"孩子在学校打架了", 0, 0},
    {"这个月低保打到卡上了吗", 0, 0},
    {"小心路滑，别让孩子摔着", 0, 0},
    {"孩子打喷嚏感冒了", 0, 0},
    {"收到，谢谢", 0, 0},
    {"好的", 0, 0},
    {"1", 0, 0},
    {"", 0, 0},
    {"Hello there", 0, 0},
    {"😀😀", 0, 0},
};

/* Read as danger by a person, not by the lexicon (triage gets them at
 * once, unclassified). Counted and printed, not asserted. */
static const char *const known_misses[] = {
    "孩子在河边玩，现在找不到人了",
    "娃娃在水里扑腾，快不行了",
    "那个男的老是叫小女孩去他家",
    "孩子身上好多烟疤",
};
/* clang-format on */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int check_rows(const struct row *rows, size_t n, const char *what)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        struct lex_match m;
        int hit = lex_scan(NULL, rows[i].text, strlen(rows[i].text), &m);
        int ok = rows[i].category ? hit && m.category == rows[i].category && m.priority == rows[i].priority : !hit;
        if (!ok) {
            fprintf(stderr, "%s row %zu \"%s\": got %s %d P%d (%s), want %d P%d\n", what, i + 1, rows[i].text,
                    hit ? "match" : "nothing", m.category, m.priority, m.phrase, rows[i].category, rows[i].priority);
            bad++;
        }
    }
    return bad;
}

static void reads_danger_in_realistic_messages(void **state)
{
    (void)state;
    int bad = check_rows(danger, N_OF(danger), "danger");
    int misses = 0;
    for (size_t i = 0; i < N_OF(known_misses); i++) {
        struct lex_match m;
        misses += !lex_scan(NULL, known_misses[i], strlen(known_misses[i]), &m);
    }
    printf("lexicon: %zu of %zu realistic danger messages caught (%zu phrases built in); known misses apart: %d of "
           "%zu\n",
           N_OF(danger) - (size_t)bad, N_OF(danger), lex_count(NULL), misses, N_OF(known_misses));
    assert_int_equal(bad, 0);
    assert_true(N_OF(danger) + N_OF(traps) >= 60);
}

static void does_not_over_read(void **state)
{
    (void)state;
    int bad = check_rows(traps, N_OF(traps), "trap");
    printf("lexicon: %zu of %zu over-read traps passed\n", N_OF(traps) - (size_t)bad, N_OF(traps));
    assert_int_equal(bad, 0);
}

static void reports_the_phrase_and_every_category(void **state)
{
    (void)state;
    struct lex_match m;
    const char *t = "孩子被人用车带走了，之前还经常被打";
    assert_int_equal(lex_scan(NULL, t, strlen(t), &m), 1);
    assert_int_equal(m.category, 4);
    assert_string_equal(m.phrase, "被人*带走");
    assert_int_equal(m.cats, (1u << 3) | (1u << 1)); /* 4 and 2 */
    /* Not NUL-terminated: only len bytes are read. */
    assert_int_equal(lex_scan(NULL, "溺水XYZ", 3, &m), 0);
    assert_int_equal(lex_scan(NULL, NULL, 0, &m), 0);
    /* Invalid UTF-8 is read around, never over. */
    const char bad[] = "\xff\xfe孩子落水\xc3";
    assert_int_equal(lex_scan(NULL, bad, sizeof bad - 1, &m), 1);
    assert_int_equal(m.category, 6);
}

static void words_and_residue(void **state)
{
    (void)state;
    static const char *const help[] = {"求助", "需要帮助"};
    static const char *const acks[] = {"好的", "收到", "谢谢", "了"};
    assert_int_equal(lex_has_word("孩子病了需要帮助", strlen("孩子病了需要帮助"), help, 2), 1);
    assert_int_equal(lex_has_word("不需要帮助", strlen("不需要帮助"), help, 2), 0);
    assert_int_equal(lex_residue("好的！收到 谢谢 1", strlen("好的！收到 谢谢 1"), acks, 4), 0);
    assert_int_equal(lex_residue("孩子发烧了", strlen("孩子发烧了"), acks, 4), 4);
}

/* ---- files ---------------------------------------------------------------- */

static void a_file_lays_over_the_built_in(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF# 本县的词\n"
                       "掉进鱼塘\t6\tP0\n"
                       "欺负  -\n"
                       "被拐 4 p1   # P1 here\n"
                       "!打鱼\n"
                       "\n"
                       "ＪＩＵＭＩＮＧＡＡ   6 P0\r\n";
    char err[256] = "";
    struct lexicon *file = lex_parse(text, strlen(text), "county.txt", err, sizeof err);
    assert_non_null(file);
    struct lexicon *lx = lex_over(NULL, file);
    struct lex_match m;
    assert_int_equal(lex_scan(lx, "孩子掉进鱼塘了", strlen("孩子掉进鱼塘了"), &m), 1);
    assert_int_equal(m.category, 6);
    assert_int_equal(lex_scan(lx, "孩子被同学欺负", strlen("孩子被同学欺负"), &m), 0); /* withdrawn */
    assert_int_equal(lex_scan(NULL, "孩子被同学欺负", strlen("孩子被同学欺负"), &m), 1);
    assert_int_equal(lex_scan(lx, "孩子被拐了", strlen("孩子被拐了"), &m), 1);
    assert_int_equal(m.priority, 1); /* replaced */
    assert_int_equal(lex_scan(lx, "jiumingaa", 9, &m), 1);
    assert_int_equal(lex_count(lx), lex_count(NULL) + 1); /* two added, one withdrawn, one replaced */
    /* A second layer over the first: the county over [policy]. */
    const char *county = "欺负 7 P2\n";
    struct lexicon *top = lex_parse(county, strlen(county), "c2.txt", err, sizeof err);
    struct lexicon *lx2 = lex_over(lx, top);
    assert_int_equal(lex_scan(lx2, "孩子被同学欺负", strlen("孩子被同学欺负"), &m), 1);
    lex_free(top);
    lex_free(lx2);
    lex_free(lx);
    lex_free(file);
    lex_free((struct lexicon *)lex_builtin()); /* a no-op */
    lex_free(NULL);
}

static void bad_files_name_their_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"落水 6 P0\n溺水 0 P0\n", "f.txt:2: expected 'phrase category priority'"},
        {"溺水 6\n", "f.txt:1: expected"},
        {"溺水 6 P4\n", "f.txt:1: expected"},
        {"溺水 6 P0 extra\n", "f.txt:1: expected"},
        {"掉河里2 6 P0\n", "f.txt:1: phrase '掉河里2' may hold only letters"},
        {"*落水 6 P0\n", "f.txt:1: phrase '*落水' a '*' needs text on both sides"},
        {"落**水 6 P0\n", "f.txt:1: phrase '落**水' a '*' needs text"},
        {"a*b*c*d*e 6 P0\n", "more than 3"},
        {"!打*鱼\n", "f.txt:1: phrase '打*鱼' an ordinary word takes no '*'"},
        {"!打鱼 6 P0\n", "f.txt:1: an ordinary word"},
        {"落水 6 P0\n# x\n落水 4 P0\n", "f.txt:3: '落水' given twice (first on line 1)"},
        {"\xff\xfe 6 P0\n", "f.txt:1: phrase '\xff\xfe' is not UTF-8"},
        {"一二三四五六七八九十一二三四五六七八九十一二三 6 P0\n", "too long"},
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        char err[256] = "";
        struct lexicon *lx = lex_parse(cases[i].text, strlen(cases[i].text), "f.txt", err, sizeof err);
        if (lx || !strstr(err, cases[i].want)) fprintf(stderr, "case %zu: err \"%s\"\n", i, err);
        assert_null(lx);
        assert_non_null(strstr(err, cases[i].want));
    }
    char err[256] = "";
    assert_null(lex_load("/nonexistent/lexicon.txt", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/lexicon.txt: cannot open"));
    /* A real file. */
    char path[] = "/tmp/test_lexicon_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "掉进鱼塘 6 P0\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct lexicon *lx = lex_load(path, err, sizeof err);
    assert_non_null(lx);
    lex_free(lx);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_danger_in_realistic_messages),
        cmocka_unit_test(does_not_over_read),
        cmocka_unit_test(reports_the_phrase_and_every_category),
        cmocka_unit_test(words_and_residue),
        cmocka_unit_test(a_file_lays_over_the_built_in),
        cmocka_unit_test(bad_files_name_their_line),
    };
    return cmocka_run_group_tests_name("lexicon", tests, NULL, NULL);
}
