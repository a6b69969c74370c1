/* handlers/freetext.c - text that matches no command: nobody is ignored,
 * however they write.
 *
 * In this order (h_free_text):
 *   1. An opt-out in words from anyone (别再发了, 取消短信: the whole message,
 *      h_optout_words) stops reminders, as TD does.
 *   2. A responder: their pending alert is acknowledged (收到, 好的:
 *      h_ack_pending); with none pending, the help reply as before.
 *   3. Danger words (lexicon.h, through h_infer) from a guardian, a
 *      director, a supervisor or an unregistered number open an *inferred*
 *      case, routed and alerted at once like a coded one; the sender gets
 *      the case number (with the 110/120 advice for P0). A reporter's
 *      follow-up with danger words is such a report too, never swallowed by
 *      the follow-up rule (its 'opened' event names the open case it
 *      followed: "followup_of=<number>").
 *   4. A guardian within [policy] reply_window_days of a check-in reminder
 *      (好的, 收到, a bare 1, a bare 求助, any text) checks in for all their
 *      children through h_checkin: status 2 when the words ask for help
 *      (求助, 需要帮助), 4 when the carer changed (换人), 3 when coming home
 *      (回家), else 1; with danger words the check-in is recorded too, as
 *      status 2, without its own reply.
 *   5. A guardian's words with substance (more than greetings, thanks and
 *      status words) go to the director of each child's village at once
 *      (guardian_text: the children's codes, the guardian's relation and
 *      the words; a village with no director: the supervisors above it);
 *      a director's go to the supervisors over their village
 *      (director_text). The words are the sender's own, cut to fit two SMS
 *      at most (93 characters; one SMS up to 31), with every name of the
 *      sender's children (a director's: their village's) replaced by the
 *      child's code: no SMS carries a child's name. The template names no
 *      category. When the danger words include a category whose village is
 *      never told (1 and 2 by default: the suspect may be in the
 *      household), the words are not forwarded: the case carries them. A
 *      guardian's words that reach nobody open an unclassified case.
 *   6. An unregistered number within [policy] followup_hours of a report it
 *      made, whose case is still open: thanks (谢谢, 好的, 收到) get a short
 *      reply and open nothing; anything else is a follow-up, kept on the
 *      case as a 'followup' event (the description stays as reported), and
 *      everyone the case's alerts went to gets case_followup (the case
 *      number only), at most once an hour per case and person. A reporter
 *      whose case the flood rule holds (within its window) gets no answer,
 *      as for their held reports.
 *   7. Else as before: from an unregistered number an unclassified case
 *      (triage is alerted at once), thanks alone a polite reply; from a
 *      registered one the help reply for their role.
 */
#include "../core/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/util.h"
#include "intents.h"
#include "lexicon.h"
#include "routing.h"

#define MAX_KIDS       16  /* a guardian's children read at once */
#define MAX_NAMES      256 /* children's names taken out of a director's words */
#define MAX_TARGETS    8   /* people one forward goes to */
#define PIECE_UNITS    31  /* UCS-2 units of words one template variable carries (95 bytes hold 31 CJK) */
#define FORWARD_PIECES 3   /* the first SMS carries one piece, the second two */

/* Greetings, thanks and bare acknowledgements: words without substance. */
static const char *const ack_words[] = {
    "好的",   "好滴", "好嘞", "好",   "收到", "谢谢", "谢了",     "多谢", "感谢", "知道了", "知道",
    "明白",   "嗯",   "哦",   "噢",   "行",   "可以", "没问题",   "ok",   "okay", "是的",   "对",
    "辛苦了", "辛苦", "您",   "你",   "你们", "了",   "啊",       "呀",   "吧",   "啦",     "的",
    "主任",   "老师", "平安", "都好", "挺好", "没事", "一切正常", "正常", "在",   "哈",
};
/* A guardian's status words (check-in 2, 4, 3). */
static const char *const help_words[] = {"求助",   "需要帮助", "要帮助", "需要帮忙",
                                         "请帮忙", "帮帮我",   "帮帮忙", "帮帮孩子"};
static const char *const carer_words[] = {"换人", "换了照护人", "换照护人", "换了人"};
static const char *const home_words[] = {"回家", "回来", "回去", "到家"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Letters and CJK characters left once greetings and status words are out. */
static size_t substance(const char *text, size_t len)
{
    const char *words[N_OF(ack_words) + N_OF(help_words) + N_OF(carer_words) + N_OF(home_words)];
    size_t n = 0;
    for (size_t i = 0; i < N_OF(ack_words); i++) words[n++] = ack_words[i];
    for (size_t i = 0; i < N_OF(help_words); i++) words[n++] = help_words[i];
    for (size_t i = 0; i < N_OF(carer_words); i++) words[n++] = carer_words[i];
    for (size_t i = 0; i < N_OF(home_words); i++) words[n++] = home_words[i];
    return lex_residue(text, len, words, n);
}

/* Only thanks or an acknowledgement ("谢谢", "好的！", "收到 1"). */
static int thanks_only(const char *text, size_t len)
{
    return lex_has_word(text, len, ack_words, N_OF(ack_words)) &&
           lex_residue(text, len, ack_words, N_OF(ack_words)) == 0;
}

static int checkin_status(const char *text, size_t len)
{
    if (lex_has_word(text, len, help_words, N_OF(help_words))) return 2;
    if (lex_has_word(text, len, carer_words, N_OF(carer_words))) return 4;
    if (lex_has_word(text, len, home_words, N_OF(home_words))) return 3;
    return 1;
}

/* ---- the forwarded words ------------------------------------------------------- */

/* Bytes of a UTF-8 character by its lead byte. */

/* The sender's words as an SMS may carry them: control characters and runs
 * of white space made one space, trimmed, invalid UTF-8 replaced, and each
 * name (a full name, and the given name when it has two characters or
 * more) replaced by the child's code. Owned result. */
static char *clean_words(const char *text, size_t len, const struct db_child_name *names, int nnames)
{
    char *norm = gw_strndup(text, len);
    size_t nlen = strlen(norm);
    struct gw_buf b = {0};
    int space = 0;
    for (size_t i = 0; i < nlen;) {
        uint32_t cp;
        size_t step = utf8_decode((const unsigned char *)norm, nlen, i, &cp);
        if (cp < 0x20 || cp == ' ' || cp == 0x7F || cp == 0x3000) {
            space = b.len > 0;
        } else {
            if (space) gw_buf_putc(&b, ' ');
            space = 0;
            if (cp == 0xFFFD)
                gw_buf_puts(&b, "\xEF\xBF\xBD");
            else
                gw_buf_append(&b, norm + i, step);
        }
        i += step;
    }
    free(norm);
    char *out = gw_buf_steal(&b);
    for (int k = 0; k < nnames; k++) {
        const char *full = names[k].name;
        size_t first = full[0] ? utf8_lead_len((unsigned char)full[0]) : 0;
        const char *forms[2] = {full, full + first};
        for (int f = 0; f < 2; f++) {
            const char *w = forms[f];
            size_t wl = strlen(w), chars = 0;
            for (size_t i = 0; i < wl; i += utf8_lead_len((unsigned char)w[i])) chars++;
            if (chars < 2 || (f == 1 && first >= strlen(full))) continue;
            struct gw_buf r = {0};
            const char *p = out, *at;
            while ((at = strstr(p, w)) != NULL) {
                gw_buf_append(&r, p, (size_t)(at - p));
                gw_buf_puts(&r, names[k].code);
                p = at + wl;
            }
            gw_buf_puts(&r, p);
            free(out);
            out = gw_buf_steal(&r);
        }
    }
    return out;
}

/* Bytes of s that fit max_units UCS-2 units and max_bytes bytes, whole characters. */
static size_t fit(const char *s, size_t max_units, size_t max_bytes)
{
    size_t i = 0, units = 0;
    while (s[i]) {
        size_t l = utf8_lead_len((unsigned char)s[i]);
        size_t u = l == 4 ? 2 : 1;
        if (units + u > max_units || i + l > max_bytes) break;
        for (size_t k = 1; k < l; k++)
            if (!s[i + k]) return i; /* a cut character */
        units += u;
        i += l;
    }
    return i;
}

/* Cuts words into FORWARD_PIECES pieces of PIECE_UNITS units each; the
 * last ends with "…" when the words go on beyond them. Returns how many
 * pieces are not empty. */
static int pieces(const char *words, char (*piece)[96])
{
    const char *p = words;
    int n = 0;
    for (int k = 0; k < FORWARD_PIECES; k++) {
        piece[k][0] = '\0';
        size_t take = fit(p, PIECE_UNITS, 95);
        if (k == FORWARD_PIECES - 1 && p[take]) { /* more than fits: end with an ellipsis */
            take = fit(p, PIECE_UNITS - 1, 92);
            memcpy(piece[k], p, take);
            memcpy(piece[k] + take, "…", 4);
        } else {
            memcpy(piece[k], p, take);
            piece[k][take] = '\0';
        }
        if (piece[k][0]) n++;
        p += take;
        while (*p == ' ') p++;
    }
    return n;
}

/* One forward to one person: the first SMS (tmpl with its variables, the
 * first piece as ${text}), and forward_more with the rest. Returns 1 when
 * queued, 0 when the reply list is full. */
static int forward_one(struct h_result *out, const char *to, const char *tmpl, const char *v1name, const char *v1,
                       const char *v2name, const char *v2, char (*piece)[96], int npieces)
{
    if (out->nreplies + (npieces > 1 ? 2 : 1) > H_MAX_REPLIES) return 0;
    struct h_reply *r = h_reply_add(out, tmpl, to, H_NOTICE);
    if (v1name) h_var_set(r, v1name, "%s", v1);
    if (v2name) h_var_set(r, v2name, "%s", v2);
    h_var_set(r, "text", "%s", piece[0]);
    if (npieces > 1) {
        r = h_reply_add(out, "forward_more", to, H_NOTICE);
        h_var_set(r, "text", "%s", piece[1]);
        h_var_set(r, "text2", "%s", piece[2]);
    }
    return 1;
}

/* Relations as rosters write them, in the words an SMS uses. */
static void relation_word(const char *rel, char *out, size_t outlen)
{
    static const struct {
        const char *from, *to;
    } words[] = {
        {"father", "父亲"},      {"mother", "母亲"},   {"grandfather", "祖父"}, {"grandmother", "祖母"},
        {"grandpa", "爷爷"},     {"grandma", "奶奶"},  {"uncle", "叔伯"},       {"aunt", "姑姨"},
        {"brother", "哥哥"},     {"sister", "姐姐"},   {"guardian", "监护人"},  {"carer", "照护人"},
        {"caregiver", "照护人"}, {"relative", "亲属"},
    };
    for (size_t i = 0; i < N_OF(words); i++)
        if (strcasecmp(rel, words[i].from) == 0) {
            gw_strlcpy(out, words[i].to, outlen);
            return;
        }
    /* As imported, at most four characters; a relation is never empty. */
    size_t n = fit(rel, 4, outlen - 1);
    memcpy(out, rel, n);
    out[n] = '\0';
    if (!out[0]) gw_strlcpy(out, "家长", outlen);
}

/* "1000015", "1000015、1000028" or "1000015、1000028等3名". */
static void codes_var(const struct db_child *kids, const int *idx, int n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && i < 2; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? "、" : "", kids[idx[i]].code);
        if (w < 0 || (size_t)w >= outlen - used) return;
        used += (size_t)w;
    }
    if (n > 2) snprintf(out + used, outlen - used, "等%d名", n);
}

/* A guardian's words to the director(s) of each child's village (else the
 * supervisors above it), one forward per person naming that village's
 * children. told[] gets the phones told (at most MAX_TARGETS). Returns how
 * many were told, or -1. */
static int forward_guardian(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                            const struct db_child *kids, int nkids, char (*told)[DB_PHONE_LEN], struct h_result *out)
{
    struct db_child_name names[MAX_KIDS];
    int nn = db_guardian_child_names(env->st, who->guardian_id, names, MAX_KIDS);
    if (nn < 0) return -1;
    if (nn > MAX_KIDS) nn = MAX_KIDS;
    char *words = clean_words(m->text, m->len, names, nn);
    char piece[FORWARD_PIECES][96];
    int np = pieces(words, piece);
    free(words);
    if (np == 0) return 0;
    int ntold = 0;
    for (int i = 0; i < nkids; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = kids[j].region.id == kids[i].region.id;
        if (seen) continue; /* that village is done */
        int idx[MAX_KIDS], nhere = 0;
        for (int j = i; j < nkids; j++)
            if (kids[j].region.id == kids[i].region.id) idx[nhere++] = j;
        char to[MAX_TARGETS][DB_PHONE_LEN], codes[64], rel[64] = "", relation[16];
        int nto = db_village_directors(env->st, kids[i].region.id, to, MAX_TARGETS);
        if (nto == 0) nto = db_region_supervisors(env->st, kids[i].region.id, to, MAX_TARGETS);
        if (nto < 0) return -1;
        if (nto > MAX_TARGETS) nto = MAX_TARGETS;
        if (db_guardian_relation(env->st, who->guardian_id, kids[i].id, rel, sizeof rel) < 0) return -1;
        relation_word(rel, relation, sizeof relation);
        codes_var(kids, idx, nhere, codes, sizeof codes);
        for (int d = 0; d < nto; d++) {
            if (strcmp(to[d], who->phone) == 0) continue; /* a director writing as a guardian */
            int dup = 0;
            for (int k = 0; k < ntold && !dup; k++) dup = strcmp(told[k], to[d]) == 0;
            if (dup || ntold >= MAX_TARGETS) continue;
            if (!forward_one(out, to[d], "guardian_text", "codes", codes, "relation", relation, piece, np)) break;
            memcpy(told[ntold++], to[d], DB_PHONE_LEN);
        }
    }
    return ntold;
}

/* A director's words to the supervisors over their village. Returns how many were told, or -1. */
static int forward_director(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                            struct h_result *out)
{
    const struct db_region *vr = &who->staff.region;
    char to[MAX_TARGETS][DB_PHONE_LEN];
    int nto = db_region_supervisors(env->st, vr->id, to, MAX_TARGETS);
    if (nto <= 0) return nto;
    if (nto > MAX_TARGETS) nto = MAX_TARGETS;
    struct db_child_name *names = gw_calloc(MAX_NAMES, sizeof *names);
    int nn = db_region_child_names(env->st, vr->id, names, MAX_NAMES);
    if (nn < 0) {
        free(names);
        return -1;
    }
    char *words = clean_words(m->text, m->len, names, nn < MAX_NAMES ? nn : MAX_NAMES);
    free(names);
    char piece[FORWARD_PIECES][96];
    int np = pieces(words, piece);
    free(words);
    const char *slash = strrchr(vr->path, '/');
    const char *place = slash ? slash + 1 : vr->path;
    int told = 0;
    for (int i = 0; np && i < nto; i++) {
        if (strcmp(to[i], who->phone) == 0) continue;
        if (!forward_one(out, to[i], "director_text", "place", place, NULL, NULL, piece, np)) break;
        told++;
    }
    return told;
}

/* Whether words that matched lm may be forwarded by SMS in a county: not
 * when they match a category whose village is never told. */
static int may_forward(const struct h_env *env, const char *county, const struct lex_match *lm)
{
    for (int k = 1; lm && k <= 9; k++)
        if ((lm->cats & (1u << (k - 1))) && !routing_village_told(env->pol, county, k)) return 0;
    return 1;
}

/* ---- cases from words ---------------------------------------------------------- */

/* Opens the sender's case for this text (inferred when lm is given, else
 * unclassified), answers with its number and alerts; *c filled. 0 or -1. */
static int text_case(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                     const struct lex_match *lm, const char *event, struct h_result *out, struct h_case *c)
{
    char *desc = gw_strndup(m->text, m->len);
    struct h_case_req req = {
        .category = 9, .classified = 0, .description = desc, .event_detail = event, .inferred = lm};
    int rc = h_case_open(env, m, who, &req, c);
    free(desc);
    if (rc != 0) return -1;
    char detail[96];
    const char *tmpl;
    if (lm) {
        snprintf(detail, sizeof detail, "inferred_case=%s P%d", c->number, c->priority);
        tmpl = c->priority == 0 ? "report_ok_p0" : "report_ok";
    } else {
        snprintf(detail, sizeof detail, "unclassified_case=%s", c->number);
        tmpl = "unknown_case_opened";
    }
    struct h_reply *r = h_answer(out, m, lm ? "ok" : "unknown", detail, tmpl);
    if (r) r->case_id = c->id;
    h_var_set(r, "case", "%s", c->number);
    return h_case_alert(env, m, c, out);
}

/* ---- guardians --------------------------------------------------------------------- */

/* A check-in in the guardian's words, through h_checkin (reply, director's notice). */
static int word_checkin(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, int status,
                        const char *note, struct h_result *out)
{
    struct cb_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.intent = CB_CHECKIN;
    cmd.value = status;
    cmd.note = (char *)note; /* borrowed: never freed here */
    out->intent = CB_CHECKIN;
    int rc = h_checkin(env, m, &cmd, who, out);
    size_t dl = strlen(out->detail);
    if (rc == 0 && dl + 16 < sizeof out->detail) snprintf(out->detail + dl, sizeof out->detail - dl, " reminder_reply");
    return rc;
}

/* Drops the check-in notices to people who get the guardian's own words. */
static void drop_notices(struct h_result *out, int from, char (*told)[DB_PHONE_LEN], int ntold)
{
    int w = from;
    for (int i = from; i < out->nreplies; i++) {
        const struct h_reply *r = &out->replies[i];
        int drop = 0;
        if (r->kind == H_NOTICE && strncmp(r->tmpl, "checkin_", 8) == 0)
            for (int k = 0; k < ntold && !drop; k++) drop = strcmp(told[k], r->to) == 0;
        if (!drop) {
            if (w != i) out->replies[w] = out->replies[i];
            w++;
        }
    }
    out->nreplies = w;
}

static int guardian_text(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
                         const struct h_sender *who, struct h_result *out)
{
    struct db_child kids[MAX_KIDS];
    int nkids = db_guardian_children(env->st, who->guardian_id, kids, MAX_KIDS);
    if (nkids < 0) return -1;
    if (nkids > MAX_KIDS) nkids = MAX_KIDS;
    int window = 0;
    if (nkids > 0 && env->pol && env->pol->reply_window_days > 0) {
        window = db_reminder_since(env->st, who->guardian_id, m->now - (int64_t)env->pol->reply_window_days * 86400);
        if (window < 0) return -1;
    }
    if (cmd->intent == CB_REPORT) /* a bare 求助 */
        return window ? word_checkin(env, m, who, 2, NULL, out) : h_report(env, m, cmd, who, out);

    char(*told)[DB_PHONE_LEN] = gw_calloc(MAX_TARGETS, DB_PHONE_LEN);
    int ntold = 0;
    struct lex_match lm;
    int danger = h_infer(env, who, NULL, m->text, m->len, &lm);
    if (danger < 0) goto fail;
    if (danger) {
        struct h_case c;
        if (text_case(env, m, who, &lm, "guardian_text", out, &c) != 0) goto fail;
        for (int i = 0; window && i < nkids; i++) { /* it is contact too */
            struct db_checkin ck = {.guardian_id = who->guardian_id,
                                    .child_id = kids[i].id,
                                    .status = 2,
                                    .note = NULL,
                                    .inbox_id = m->inbox_id};
            if (db_checkin_insert(env->st, &ck, m->now, NULL) != 0) goto fail;
        }
        if (nkids > 0 && may_forward(env, c.county, &lm) &&
            (ntold = forward_guardian(env, m, who, kids, nkids, told, out)) < 0)
            goto fail;
        goto done;
    }
    if (nkids == 0) {
        h_answer(out, m, "unknown", "unrecognised", "unrecognised_guardian");
        goto done;
    }
    int words = substance(m->text, m->len) >= 2;
    if (window) {
        int first = out->nreplies;
        if (word_checkin(env, m, who, checkin_status(m->text, m->len), words ? m->text : NULL, out) != 0) goto fail;
        if (words) {
            if ((ntold = forward_guardian(env, m, who, kids, nkids, told, out)) < 0) goto fail;
            drop_notices(out, first + 1, told, ntold);
        }
        goto done;
    }
    if (!words) {
        h_answer(out, m, "unknown", "unrecognised", "unrecognised_guardian");
        goto done;
    }
    h_answer(out, m, "ok", "forwarded", "guardian_forwarded");
    if ((ntold = forward_guardian(env, m, who, kids, nkids, told, out)) < 0) goto fail;
    if (ntold == 0) { /* nobody over the child's village: a person still reads it */
        out->nreplies = 0;
        struct h_case c;
        if (text_case(env, m, who, NULL, "guardian_text", out, &c) != 0) goto fail;
    }
done:
    if (ntold > 0) {
        size_t dl = strlen(out->detail);
        if (dl + 16 < sizeof out->detail) snprintf(out->detail + dl, sizeof out->detail - dl, " forwarded=%d", ntold);
    }
    free(told);
    return 0;
fail:
    free(told);
    return -1;
}

/* ---- staff ------------------------------------------------------------------------ */

static int director_text(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                         struct h_result *out)
{
    struct lex_match lm;
    int danger = h_infer(env, who, NULL, m->text, m->len, &lm);
    if (danger < 0) return -1;
    int told = 0;
    if (danger) {
        struct h_case c;
        if (text_case(env, m, who, &lm, "director_text", out, &c) != 0) return -1;
        if (may_forward(env, c.county, &lm) && (told = forward_director(env, m, who, out)) < 0) return -1;
    } else if (substance(m->text, m->len) >= 2) {
        int first = out->nreplies;
        h_answer(out, m, "ok", "forwarded", "director_forwarded");
        if ((told = forward_director(env, m, who, out)) < 0) return -1;
        if (told == 0) out->nreplies = first; /* nobody over the village: the help reply below */
    }
    if (out->nreplies == 0) {
        h_answer(out, m, "unknown", "unrecognised", "unrecognised_director");
        return 0;
    }
    if (told > 0) {
        size_t dl = strlen(out->detail);
        if (dl + 16 < sizeof out->detail) snprintf(out->detail + dl, sizeof out->detail - dl, " forwarded=%d", told);
    }
    return 0;
}

/* ---- unregistered numbers --------------------------------------------------------- */

/* A case of a run the flood rule holds, still within its window: its
 * reporter gets no more SMS (report.c), follow-ups and thanks included. */
static int quiet(const struct h_env *env, const struct h_msg *m, const struct db_case *dc)
{
    return dc->flood_of && env->pol && dc->opened_at > m->now - env->pol->flood_window;
}

/* A reporter's follow-up to their open case (see the file's header). */
static int followup(const struct h_env *env, const struct h_msg *m, const struct db_case *dc, struct h_result *out)
{
    char *words = gw_strndup(m->text, m->len);
    int rc = db_case_event(env->st, dc->id, "followup", 0, words, m->now);
    free(words);
    if (rc != 0) return -1;
    char detail[96];
    snprintf(detail, sizeof detail, "followup case=%s%s", dc->number, quiet(env, m, dc) ? " flood_held" : "");
    if (quiet(env, m, dc)) {
        out->result = "ok";
        gw_strlcpy(out->detail, detail, sizeof out->detail);
    } else {
        struct h_reply *r = h_answer(out, m, "ok", detail, "followup_ok");
        if (r) r->case_id = dc->id;
        h_var_set(r, "case", "%s", dc->number);
    }

    char phones[H_MAX_REPLIES][DB_PHONE_LEN];
    int n = db_case_alerted(env->st, dc->id, phones, H_MAX_REPLIES);
    if (n < 0) return -1;
    if (n > H_MAX_REPLIES) n = H_MAX_REPLIES;
    int told = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(phones[i], m->from ? m->from : "") == 0) continue;
        char key[sizeof out->replies[0].dedupe];
        snprintf(key, sizeof key, "followup:%.12s:%.23s:%lld", dc->number, phones[i], (long long)(m->now / 3600));
        int queued = db_message_queued(env->st, key);
        if (queued < 0) return -1;
        if (queued) continue; /* told within this hour */
        struct h_reply *nr = h_reply_add(out, "case_followup", phones[i], H_NOTICE);
        if (!nr) break;
        nr->case_id = dc->id;
        memcpy(nr->dedupe, key, sizeof nr->dedupe);
        h_var_set(nr, "case", "%s", dc->number);
        told++;
    }
    if (!told) return 0;
    snprintf(detail, sizeof detail, "count=%d", told);
    return db_case_event(env->st, dc->id, "followup_told", 0, detail, m->now);
}

static int public_text(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, struct h_result *out)
{
    char *norm = cb_normalize(m->text ? m->text : "", m->text ? m->len : 0);
    int empty = norm[0] == '\0';
    free(norm);
    if (empty) {
        h_answer(out, m, "unknown", "empty", "help_public");
        return 0;
    }
    /* Their open case within the follow-up window, if any. */
    struct db_case open;
    int has_open = 0;
    int64_t reporter = 0;
    if (env->pol && env->pol->followup_hours > 0) {
        int rc = db_reporter_by_phone(env->st, who->phone, &reporter);
        if (rc < 0) return -1;
        if (rc == 0) {
            rc = db_reporter_open_case(env->st, reporter, m->now - (int64_t)env->pol->followup_hours * 3600, &open);
            if (rc < 0) return -1;
            has_open = rc == 0;
        }
    }
    struct lex_match lm;
    int danger = h_infer(env, who, NULL, m->text, m->len, &lm);
    if (danger < 0) return -1;
    struct h_case c;
    if (danger) {
        char event[64] = "free_text";
        if (has_open) snprintf(event, sizeof event, "free_text followup_of=%s", open.number);
        return text_case(env, m, who, &lm, event, out, &c);
    }
    if (thanks_only(m->text, m->len)) {
        if (has_open && quiet(env, m, &open)) {
            out->result = "ok";
            gw_strlcpy(out->detail, "thanks flood_held", sizeof out->detail);
        } else {
            h_answer(out, m, "ok", has_open ? "thanks" : "thanks no_case", "thanks_reply");
        }
        return 0;
    }
    if (has_open) return followup(env, m, &open, out);
    return text_case(env, m, who, NULL, "free_text", out, &c);
}

/* ---- the entry --------------------------------------------------------------------- */

/* Reply templates for unrecognised text from staff, by role. */
static const struct {
    const char *role;
    const char *tmpl;
} unrecognised[] = {
    {"supervisor", "unrecognised_supervisor"},
    {"responder", "unrecognised_responder"},
    {"admin", "unrecognised_admin"},
};

int h_free_text(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
                struct h_result *out)
{
    const char *role = h_role(who);
    if (cmd->intent == CB_REPORT) /* a guardian's bare 求助 (dispatch sends no other report) */
        return guardian_text(env, m, cmd, who, out);
    if (h_optout_words(m->text, m->len)) {
        out->intent = CB_OPTOUT;
        int rc = h_optout(env, m, cmd, who, out);
        if (rc == 0) gw_strlcpy(out->detail, "opted_out words", sizeof out->detail);
        return rc;
    }
    if (strcmp(role, "responder") == 0) {
        int rc = h_ack_pending(env, m, who, out);
        if (rc != 1) return rc;
    }
    if (strcmp(role, "guardian") == 0) return guardian_text(env, m, cmd, who, out);
    if (strcmp(role, "director") == 0) return director_text(env, m, who, out);
    if (strcmp(role, "public") == 0) return public_text(env, m, who, out);
    if (strcmp(role, "supervisor") == 0) {
        struct lex_match lm;
        int danger = h_infer(env, who, NULL, m->text, m->len, &lm);
        if (danger < 0) return -1;
        struct h_case c;
        if (danger) return text_case(env, m, who, &lm, "supervisor_text", out, &c);
    }
    for (size_t i = 0; i < N_OF(unrecognised); i++)
        if (strcmp(role, unrecognised[i].role) == 0) {
            h_answer(out, m, "unknown", "unrecognised", unrecognised[i].tmpl);
            return 0;
        }
    h_answer(out, m, "unknown", "unrecognised", "help_public");
    return 0;
}
