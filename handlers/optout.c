/* handlers/optout.c - TD / DY: stop or restart reminders for a phone; and
 * the same stop asked for in words.
 *
 * An opt-out stops reminders only (the scheduler checks it); replies and
 * case messages are always sent. Both commands are idempotent and open to
 * anyone, registered or not.
 *
 * In words (h_optout_words): people write 别再发了, 不要再发短信了, 取消短信,
 * 以后不要给我发了谢谢. Such a message is an opt-out only when it is *all*
 * opt-out: read left to right, every piece is either a stop phrase (a
 * negation 别/不要/不用/不必/不需要/请勿, optionally 再 and 给我, then a verb
 * 发/发送/推送; or one of 取消, 退订, 拒收, 停发, 不想收到, 别打扰, 不要短信,
 * TD, STOP...) or a filler (请, 以后, 我, 了, 吧, 谢谢, 短信, 提醒, 这种, 垃圾,
 * 烦死了...), and there is at least one stop phrase. Spaces, punctuation,
 * emoji and letter case do not count. "不要再发了，孩子被打了" is not an
 * opt-out (it is read as a report); "不要了" alone is not either.
 */
#include "../core/utf8.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"

int h_optout(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out)
{
    (void)cmd;
    if (db_optout_set(env->st, who->phone, m->channel, m->now) != 0) return -1;
    h_answer(out, m, "ok", "opted_out", "optout_ok");
    return 0;
}

int h_optin(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out)
{
    (void)cmd;
    int rc = db_optout_clear(env->st, who->phone);
    if (rc < 0) return -1;
    h_answer(out, m, "ok", rc == 0 ? "opted_in" : "opted_in_already", "optin_ok");
    return 0;
}

/* ---- opt-out in words ------------------------------------------------------- */

#define N_OF(a)   (sizeof(a) / sizeof((a)[0]))
#define WORDS_MAX 240 /* bytes of a message read for an opt-out in words; longer is never one */

static const char *const negations[] = {"不需要", "不要", "不用", "不必", "不再", "请勿", "别", "勿"};
static const char *const verbs[] = {"发送", "发来", "推送", "发"};
static const char *const to_me[] = {"给我们", "给我"};

static const char *const stops[] = {
    "取消订阅",   "取消",       "退订",     "拒收",     "停发",     "停止发送", "停止",     "不想再收到",
    "不想收到",   "不想再收",   "不想收",   "不想接收", "不再接收", "不接收",   "不收",     "别再打扰",
    "别打扰",     "不要再打扰", "不要打扰", "不要短信", "不要信息", "不要提醒", "不要消息", "不需要短信",
    "不需要提醒", "不用提醒",   "关闭提醒", "关闭短信", "关掉提醒", "td",       "stop",     "unsubscribe",
};

static const char *const fillers[] = {
    "从今以后", "谢谢你们", "这个号码", "这样的", "可以吗", "好不好", "烦死了", "太烦了", "请",     "麻烦",
    "你们",     "你",       "您",       "以后",   "今后",   "我们",   "我",     "了",     "吧",     "啊",
    "呀",       "哦",       "啦",       "嘛",     "呢",     "谢谢",   "都",     "就",     "这个",   "这种",
    "这些",     "此类",     "这类",     "的",     "好吗",   "行吗",   "吗",     "短信",   "信息",   "消息",
    "提醒",     "通知",     "短息",     "再",     "给我们", "给我",   "给",     "垃圾",   "骚扰",   "老是",
    "总是",     "一直",     "天天",     "每天",   "烦人",   "好烦",   "真烦",   "号码",   "这个号", "手机",
    "到",       "上",       "来",       "啥",     "什么",   "那些",   "这么多",
};

/* Bytes of the longest word of list at s (NUL-terminated), or 0. */
static size_t longest_at(const char *s, const char *const *list, size_t n)
{
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (l > best && strncmp(s, list[i], l) == 0) best = l;
    }
    return best;
}

/* Bytes of a negation [再] [给我] verb stop phrase at s, or 0. */
static size_t negated_send_at(const char *s)
{
    size_t i = longest_at(s, negations, N_OF(negations));
    if (!i) return 0;
    if (strncmp(s + i, "再", 3) == 0) i += 3;
    i += longest_at(s + i, to_me, N_OF(to_me));
    size_t v = longest_at(s + i, verbs, N_OF(verbs));
    return v ? i + v : 0;
}

int h_optout_words(const char *text, size_t len)
{
    if (!text || len == 0 || len > WORDS_MAX) return 0;
    /* Letters (lower case), digits and CJK characters only. */
    char s[WORDS_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t step = utf8_decode((const unsigned char *)text, len, i, &cp);
        if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0; /* full-width ASCII */
        if (cp >= 'A' && cp <= 'Z') cp += 32;
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            s[n++] = (char)cp;
        } else if (cp >= 0x3400 && cp <= 0x9FFF) {
            if (n + 3 > WORDS_MAX) return 0;
            n += utf8_encode(cp, s + n);
        }
        i += step;
    }
    s[n] = '\0';
    int stopped = 0;
    for (size_t p = 0; p < n;) {
        size_t a = negated_send_at(s + p), b = longest_at(s + p, stops, N_OF(stops));
        size_t stop = a > b ? a : b;
        size_t fill = longest_at(s + p, fillers, N_OF(fillers));
        if (stop && stop >= fill) {
            p += stop;
            stopped = 1;
        } else if (fill) {
            p += fill;
        } else {
            return 0;
        }
    }
    return stopped;
}
