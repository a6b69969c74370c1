/* handlers/templates.c - the built-in zh-CN reply templates and their
 * rendering.
 *
 * One template per distinct reply. Every text is written to fit one UCS-2
 * SMS segment (70 units) with the longest realistic values of its variables
 * (tests/unit/test_handlers.c checks it). Every error reply says what was
 * wrong and how to write it right. No template, and no variable, ever names
 * a child, a risk category, a diagnosis or a reporter: child codes and case
 * numbers are the only identifiers.
 *
 * Variables used across templates:
 *   code  a child code as typed (7 digits, or the offending token); in
 *         login_code the 6-digit one-time login code
 *   codes child codes of a check-in, "1000015、1000028等3名"
 *   case  a case number, 10 to 12 digits
 *   date  a calendar date, "2024年3月15日"
 *   days  the visit cadence in days
 *   fmt   the command's format, e.g. "ZF 编号 [日期] 结果"
 *   priority  a case's priority, "P0" .. "P3"
 *   cat   a case's category as its digit, "1" .. "9" (never its name)
 *   place where a case is: the village's name, else the county's
 *   count how many children or cases a digest counts, or reports a
 *         held run from one number has made
 *   list  a digest's child codes, "1000015、1000028、1000031等"
 *   relation  a guardian's relation to a child, "母亲" (at most 4 characters)
 *   text, text2  a registered sender's own words, forwarded to the child's
 *         director or the supervisor: 31 characters each at most, every
 *         child's name already replaced by its code (freetext.c); in
 *         broadcast_notice the county's words (broadcast.c checks them)
 *   late  how many of a visit digest's children are overdue
 *   cases case numbers, "2403150001、2403150002等"
 */
#include "templates.h"
#include "../core/utf8.h"

#include <string.h>

#include "../core/util.h"

static const struct tmpl_def builtin[] = {
    /* ---- visits ---- */
    {"visit_ok", "code,date", "已记录儿童${code}在${date}的走访，谢谢！"},
    {"visit_ok_problem", "code,date", "已记录儿童${code}在${date}的走访和发现的问题，请持续跟进。"},
    {"visit_ok_high", "code,date,days", "已记录儿童${code}在${date}的走访。今后请每${days}天走访一次。"},
    {"visit_ok_absent", "code,date", "已记录儿童${code}在${date}的走访（未见到儿童），请尽快再访见到本人。"},
    {"visit_ok_phone", "code,date", "已记录${date}与儿童${code}的电话或视频联系。电话联系不算走访，请按期上门。"},
    {"visit_not_staff", "", "只有儿童主任和督导员可以记录走访。报告儿童情况请发：BG 情况描述"},
    /* an unregistered code and another village's child alike */
    {"visit_not_allowed", "code", "儿童${code}不在您负责的村，不能记录走访，请核对编号后重发。"},
    /* a child named instead of coded: no such name in the sender's villages, or several (one answer) */
    {"visit_name_unknown", "", "您负责的村里找不到这个名字（或有重名），请写7位编号。本月待访编号请发：CX 待访"},
    /* several children in one visit SMS (visit.c): how many were recorded, which were not and why */
    {"visit_many_ok", "count", "已记录${count}名儿童的走访，谢谢！"},
    {"visit_many_some", "count,refused", "已记录${count}名儿童的走访；未记录：${refused}。"},
    {"visit_many_none", "refused", "走访都未记录：${refused}。请改后重发。"},
    {"visit_many_high", "codes,days", "儿童${codes}今后请每${days}天走访一次。"},
    /* the rest of a list of children not recorded, when it does not fit the first reply */
    {"many_more", "refused", "另有未记录：${refused}。"},
    {"visit_result_missing", "", "缺少走访结果：1正常 2有问题 3未见到 4电话。格式：ZF 编号 结果"},
    {"visit_result_bad", "", "走访结果应为1-4：1正常 2有问题 3未见到 4电话。格式：ZF 编号 结果"},
    {"visit_problems_missing", "",
     "结果2要写问题代码：JH监护 XL心理 XX上学 JK健康 SH生活 AQ安全 QG亲情。如：ZF 编号 2 XL"},
    {"date_future", "date", "走访日期${date}晚于今天，请核对。不写日期即为今天。格式：ZF 编号 日期 结果"},
    {"date_old", "date", "走访日期${date}已超过60天，不能补录，请核对日期或联系督导员。"},
    {"date_format", "fmt", "日期写法不对，可写20240315、0315、3月15日、昨天。格式：${fmt}"},
    /* ---- child codes (any command) ---- */
    {"child_missing", "fmt", "缺少7位儿童编号，请补上后重发。格式：${fmt}"},
    {"child_format", "code,fmt", "儿童编号${code}应为7位数字，请核对后重发。格式：${fmt}"},
    {"child_check", "code,fmt", "儿童编号${code}校验位不对，请核对后重发。格式：${fmt}"},
    /* ---- parent check-ins ---- */
    {"checkin_ok", "codes", "已收到签到（${codes}），谢谢！请每周至少联系孩子一次。"},
    {"checkin_help", "codes", "已记录求助（${codes}），村儿童主任会尽快联系您。紧急请拨110。"},
    {"checkin_home", "codes,date", "已记录您${date}回家（${codes}），谢谢！到家后请告诉村儿童主任。"},
    {"checkin_home_nodate", "codes", "已记录您将回家（${codes}），谢谢！到家后请告诉村儿童主任。"},
    {"checkin_carer", "codes", "已记录照护人变更（${codes}），村儿童主任会跟进，请把新照护人电话告诉他。"},
    {"checkin_not_guardian", "", "此号码未登记为监护人，不能签到，请联系村儿童主任登记。报告儿童危险请发BG"},
    {"checkin_no_children", "", "此号码下没有登记的儿童，不能签到，请联系村儿童主任登记。报告儿童危险请发BG"},
    {"checkin_not_linked", "code", "儿童${code}未登记在此号码下，请核对编号。格式：QD 编号 状态"},
    {"checkin_status_bad", "", "签到状态应为1-4：1平安 2求助 3回家 4换人。格式：QD 编号 状态"},
    /* to the village's director(s), at once */
    {"checkin_help_director", "codes", "儿童${codes}的家长报告孩子需要帮助，请尽快联系家长并看望孩子。"},
    {"checkin_carer_director", "codes", "儿童${codes}的家长报告照护人已变更，请尽快上门核实新照护人并更新档案。"},
    /* several children in one check-in SMS (checkin.c) */
    {"checkin_many_ok", "count,codes", "已收到${count}名孩子的签到（${codes}），谢谢！"},
    {"checkin_many_some", "count,refused", "已收到${count}名孩子的签到；未记录：${refused}。"},
    {"checkin_many_none", "refused", "签到未记录：${refused}。格式：QD 编号 状态"},
    /* ---- risk reports ---- */
    {"report_ok", "case", "已收到报告，案件号${case}，我们会尽快处理并告知结果。查询请发：CX ${case}"},
    {"report_ok_p0", "case", "已收到报告，案件号${case}。情况紧急，请立即拨打110或120！"},
    {"report_ok_child_bad", "case,code", "已收到报告，案件号${case}。儿童编号${code}有误，已按未写编号处理。"},
    {"report_ok_category_bad", "case", "已收到报告，案件号${case}。类别应为1-9，已按待分类处理。"},
    {"report_desc_missing", "", "请写明情况。格式：BG [类别1-9] [儿童编号] 情况描述。紧急请拨110"},
    /* the reporter's one answer once a run of reports from the number is held (report.c) */
    {"report_flood", "case",
     "已收到报告，案件号${case}。您近期报告较多，此后的报告都会登记处理，不再逐条回复。紧急请拨110或120。"},
    /* a message kept but not handled (a store error): a person follows it up */
    {"handling_failed", "", "已收到您的信息，但系统暂时未能处理，工作人员会跟进。紧急情况请拨打110。"},
    {"unknown_case_opened", "case",
     "已收到您的信息，案件号${case}，会有专人处理。报告儿童情况可发：BG 情况描述；帮助发BZ"},
    /* an unregistered reporter's follow-up within the window (freetext.c): kept on their case */
    {"followup_ok", "case", "已把您补充的情况记入案件${case}，谢谢！紧急情况请直接拨打110或120。"},
    /* ... and the responders its alerts went to: the case number only */
    {"case_followup", "case", "案件${case}有报告人补充的新情况，请登录系统查看。"},
    /* thanks or 好的 from an unregistered number: nothing is opened */
    {"thanks_reply", "", "不客气，感谢您关心孩子。有新情况请随时发短信；紧急请拨110或120。"},
    /* ---- words of registered people, forwarded (freetext.c): ${text} is the sender's own words ---- */
    {"guardian_text", "codes,relation,text", "儿童${codes}的${relation}来信：${text}"},
    {"director_text", "place,text", "${place}儿童主任来信：${text}"},
    /* the rest of forwarded words that do not fit the first SMS */
    {"forward_more", "text,text2", "（续）${text}${text2}"},
    {"guardian_forwarded", "", "已把您的话转给村儿童主任，他会尽快联系您。报平安请发QD；紧急请拨110。"},
    {"director_forwarded", "", "已转给督导员。走访:ZF 编号 结果;报告:BG 描述;帮助:BZ"},
    /* ---- case alerts (responders) and notices (the child's village) ---- */
    {"case_alert", "case,priority,cat,place",
     "${priority}案件${case}，类别${cat}，地点${place}。请立即核实处理，并回复QR ${case}确认。"},
    /* instead of each alert of a held run of reports from one number: once per responder and run */
    {"case_flood_alert", "case,priority,count",
     "${priority}案件${case}：同一号码连续报告${count}起，后续不再逐条通知，请登录系统核实；确认回复QR ${case}"},
    {"case_village_notice", "case,priority",
     "本村有儿童情况被报告，案件${case}（${priority}），相关部门正在处理。请配合工作，关注孩子安全，勿外传。"},
    /* to the responders alerted of a case, once its caller's recording is stored */
    {"case_recording", "case", "案件${case}有一段语音描述，请在系统中收听。"},
    /* ---- case actions ---- */
    {"case_missing", "fmt", "缺少案件号。格式：${fmt}"},
    {"case_format", "fmt", "案件号应为10-12位数字，如2403150001。格式：${fmt}"},
    {"case_not_responder", "", "只有负责部门的值班人员可以确认或结案。报告请发BG，查询请发CX 案件号"},
    /* an unknown case number and another department's or county's case alike */
    {"case_not_allowed", "case", "案件${case}不存在或未派给您的部门、辖区，不能处理，请核对案件号。"},
    {"ack_ok", "case", "已确认案件${case}。处理后请发：JA ${case} 结果（1已处置 2已转介 3不属实 4已立案）"},
    {"ack_already", "case", "案件${case}已确认过，无需重复。处理后请发：JA ${case} 结果"},
    {"ack_closed", "case", "案件${case}已结案，不能再确认。"},
    {"close_ok", "case", "案件${case}已结案，谢谢！"},
    {"close_already", "case", "案件${case}已结案，不能重复结案。"},
    {"close_outcome_missing", "", "缺少结案结果：1已处置 2已转介 3不属实 4已立案。格式：JA 案件号 结果"},
    {"close_outcome_bad", "", "结案结果应为1-4：1已处置 2已转介 3不属实 4已立案。格式：JA 案件号 结果"},
    {"case_closed_reporter", "case", "您报告的案件${case}已处理完毕，感谢您对儿童的关心。"},
    {"status_open", "case", "案件${case}已收到，正在安排处理。"},
    {"status_acked", "case", "案件${case}正在处理中。"},
    {"status_closed", "case", "案件${case}已处理完毕，感谢您对儿童的关心。"},
    {"status_denied", "case", "查不到案件${case}，或您无权查询，请核对案件号。格式：CX 案件号"},
    /* ---- help, by role ---- */
    {"help_director", "",
     "走访:ZF 编号 [日期] 结果(1正常2有问题3未见4电话);报告:BG 描述;改档案:GX 编号 学校/照料 ...;退订:TD"},
    {"help_supervisor", "",
     "走访:ZF 编号 [日期] 结果 [问题];报告:BG 描述;查询:CX 案件号;改档案:GX 编号 学校/照料;退订:TD"},
    {"help_responder", "", "确认:QR 案件号;结案:JA 案件号 结果(1已处置2已转介3不属实4已立案);查询:CX 案件号"},
    {"help_admin", "", "走访:ZF 编号 结果;报告:BG 描述;确认:QR 案件号;结案:JA 案件号 结果;查询:CX 案件号"},
    {"help_guardian", "", "报平安:QD [编号] [状态](1平安2求助3回家4换人);报告儿童危险:BG 描述;退订提醒:TD"},
    {"help_public", "", "报告儿童受侵害或处境危险:BG [类别1-9] 情况描述;查询:CX 案件号。紧急请拨110/120"},
    /* ---- unrecognised text from a registered number (no case) ---- */
    {"unrecognised_director", "", "未能识别。走访:ZF 编号 结果(1正常2有问题3未见4电话);报告:BG 描述;帮助:BZ"},
    {"unrecognised_supervisor", "", "未能识别。走访:ZF 编号 结果;报告:BG 描述;查询:CX 案件号;帮助:BZ"},
    {"unrecognised_responder", "", "未能识别。确认:QR 案件号;结案:JA 案件号 结果;查询:CX 案件号;帮助:BZ"},
    {"unrecognised_admin", "", "未能识别。走访:ZF 编号 结果;报告:BG 描述;确认:QR 案件号;帮助:BZ"},
    {"unrecognised_guardian", "", "未能识别。报平安请发:QD;孩子需要帮助发:QD 2;报告儿童危险:BG 描述;帮助:BZ"},
    /* ---- opt-out ---- */
    {"optout_ok", "", "已退订提醒短信，案件相关短信照常发送。恢复请发DY。"},
    {"optin_ok", "", "已恢复提醒短信。退订请发TD。"},
    /* ---- timed jobs (jobs.c): reminders, notices and digests ---- */
    {"visit_due", "code,date", "走访提醒：儿童${code}的走访${date}到期，请按时上门。走访后发：ZF ${code} 结果"},
    {"visit_overdue", "code,date,days",
     "走访逾期：儿童${code}的走访${date}到期，已逾期${days}天，请速上门。走访后发：ZF ${code} 结果"},
    {"supervisor_digest", "count,days,list",
     "督导日报：辖区有${count}名儿童走访逾期超过${days}天：${list}。请督促儿童主任尽快走访。"},
    {"checkin_reminder", "days", "您已${days}天没有报平安。请联系孩子和照护人，然后发QD报平安。退订提醒请发TD"},
    {"checkin_silent_director", "codes,days",
     "家长失联提醒：儿童${codes}的外出家长已${days}天未报平安，请联系家长和照护人了解情况。"},
    {"triage_digest", "count", "分诊日报：本县有${count}件未分类或P3案件待处理，请尽快核实分派。"},
    /* ---- questions by SMS (query.c): CX 待访, CX 走访 ---- */
    {"query_due", "count,dues,next", "本月待访${count}名：${dues}；下页发CX 待访 ${next}"},
    {"query_due_end", "count,dues", "本月待访${count}名：${dues}。走访后发ZF 编号 结果"},
    {"query_due_none", "", "本月没有待访的儿童，谢谢！"},
    {"query_due_past", "count", "待访名单共${count}页，请发CX 待访查看第1页。"},
    {"query_coverage", "place,count,visited,overdue,days",
     "${place}走访：在册${count}名，按期已访${visited}名，逾期超${days}天${overdue}名。"},
    {"query_not_staff", "", "只有儿童主任和督导员可以查询走访。查询案件请发：CX 案件号"},
    /* the directors' daily digests (one SMS a day each): children due a visit (overdue ones
     * first; with more than three, how to list them all), children whose parents went silent */
    {"visit_digest", "count,late,list",
     "走访提醒：${count}名儿童应走访，其中逾期${late}名：${list}。走访后请发：ZF 编号 结果"},
    {"visit_digest_more", "count,late,list",
     "走访提醒：${count}名儿童应走访，其中逾期${late}名，如${list}等。全部编号请发CX 待访"},
    {"checkin_silent_digest", "count,days,list",
     "家长失联提醒：${count}名儿童的外出家长已超过${days}天未报平安：${list}。请联系家长和照护人。"},
    /* ---- a child's record by SMS (child_update.c): GX 编号 学校 校名, GX 编号 照料 姓名 电话 [关系];
     * the replies never repeat the school, the carer or the phone ---- */
    {"update_school_ok", "code", "已更新儿童${code}的就读学校，谢谢！"},
    {"update_carer_ok", "code", "已更新儿童${code}的照料人信息，谢谢！请提醒照料人保持电话畅通。"},
    {"update_not_staff", "", "只有儿童主任和督导员可以更新儿童档案。报告儿童情况请发：BG 情况描述"},
    /* an unregistered code and another village's child alike */
    {"update_not_allowed", "code", "儿童${code}不在您负责的村，不能更新档案，请核对编号后重发。"},
    {"update_field_missing", "", "请写明更新什么。学校：GX 编号 学校 校名；照料人：GX 编号 照料 姓名 电话 [关系]"},
    {"update_school_missing", "", "缺少学校名称。格式：GX 编号 学校 校名"},
    {"update_carer_missing", "", "缺少照料人姓名。格式：GX 编号 照料 姓名 电话 [关系]"},
    {"update_phone_bad", "", "照料人电话应为11位手机号。格式：GX 编号 照料 姓名 电话 [关系]"},
    /* ---- triage (unclassified cases) ---- */
    {"triage_alert", "case,place", "待分类案件${case}，地点${place}。请尽快核实，分类请回复：FL ${case} 类别"},
    {"classify_ok", "case,cat", "已将案件${case}分类为类别${cat}，并通知相关部门。"},
    {"classify_not_triage", "", "只有县民政部门的值班人员可以分类案件。格式：FL 案件号 类别(1-9)"},
    {"classify_category_bad", "", "类别应为1-9的数字。格式：FL 案件号 类别，如：FL 2403150001 3"},
    {"classify_closed", "case", "案件${case}已结案，不能再分类。"},
    /* QR, 收到 or 好的 without a number from a responder with several unacknowledged alerts */
    {"ack_pending_list", "count,cases", "您有${count}件案件未确认：${cases}。请逐件回复：QR 案件号"},
    /* ---- staff sign-in (handlers/session.c): ${code} is the one-time login code ---- */
    {"login_code", "code", "您的登录验证码是${code}，5分钟内有效。请勿告诉他人。"},
    /* ---- broadcasts (handlers/broadcast.c): one text to a group, approved by a second person; never a
     * child, a category or a reporter; ${text} is the county's own words, 31 characters at most ---- */
    {"broadcast_drowning", "",
     "防溺提醒：暑期请看护好孩子，不让孩子私自下河、下塘、到水库游泳或在水边玩耍。退订请发TD"},
    {"broadcast_checkin", "", "请每周至少联系一次孩子和照护人，并发QD报平安。孩子有困难请联系村儿童主任。退订请发TD"},
    {"broadcast_visits", "", "请各位儿童主任按期完成本月走访，走访后发：ZF 编号 结果。本月待访编号请发：CX 待访"},
    {"broadcast_notice", "text", "民政部门通知：${text}（退订发TD）"},
};

#define NBUILTIN (sizeof builtin / sizeof builtin[0])

const struct tmpl_def *tmpl_builtin(size_t *n)
{
    if (n) *n = NBUILTIN;
    return builtin;
}

const struct tmpl_def *tmpl_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < NBUILTIN; i++)
        if (strcmp(builtin[i].name, name) == 0) return &builtin[i];
    return NULL;
}

/* The text a template renders from: a config override with text, else the built-in. */
static const char *template_text(const struct gw_config *cfg, const char *name)
{
    if (cfg)
        for (size_t i = 0; i < cfg->ntemplates; i++) {
            const struct gw_template *t = &cfg->templates[i];
            if (t->name && t->text && strcmp(t->name, name) == 0) return t->text;
        }
    const struct tmpl_def *d = tmpl_find(name);
    return d ? d->text : NULL;
}

static const char *var_value(const struct h_var *vars, int nvars, const char *name, size_t len)
{
    for (int i = 0; i < nvars; i++)
        if (vars[i].name && strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0) return vars[i].value;
    return NULL;
}

int tmpl_render(const struct gw_config *cfg, const char *name, const struct h_var *vars, int nvars, struct gw_buf *out,
                char *err, size_t errlen)
{
    const char *text = name ? template_text(cfg, name) : NULL;
    if (!text) {
        gw_err(err, errlen, "no template %s", name ? name : "(null)");
        return -1;
    }
    gw_buf_reset(out);
    const char *p = text;
    while (*p) {
        const char *dollar = strstr(p, "${");
        if (!dollar) {
            gw_buf_puts(out, p);
            break;
        }
        gw_buf_append(out, p, (size_t)(dollar - p));
        const char *vname = dollar + 2;
        const char *close = strchr(vname, '}');
        if (!close) {
            gw_err(err, errlen, "template %s: unterminated ${", name);
            return -1;
        }
        const char *v = var_value(vars, nvars, vname, (size_t)(close - vname));
        if (!v) {
            gw_err(err, errlen, "template %s: variable %.*s not given", name, (int)(close - vname), vname);
            return -1;
        }
        gw_buf_puts(out, v);
        p = close + 1;
    }
    if (!out->p) gw_buf_puts(out, ""); /* an empty template still yields a string */
    return 0;
}

static const struct h_var longest[] = {
    {"code", "13800000001"},             /* a phone number typed where a child code belongs */
    {"codes", "1000015、1000028等16名"}, /* a check-in for many children */
    {"case", "240315123456"},            /* past 99,999 reports in a day */
    {"date", "2024年12月31日"},
    {"days", "14"},
    {"fmt", "ZF 编号 [日期] 结果"},
    {"priority", "P0"},
    {"cat", "9"},
    {"place", "大王家窝堡村民委员会"}, /* a long village name */
    {"count", "9999"},
    {"list", "1000015、1000028、1000031等"}, /* a digest's most overdue children */
    {"late", "9999"},                        /* how many of a digest's children are overdue */
    {"refused", "1000028、1000031、1000044不在您负责的村；1000016校验"}, /* H_REFUSED_CHARS (40) */
    {"dues", "1000015、1000028、1000031、1000044、1000053"},             /* one page of CX 待访 */
    {"next", "99"},
    {"visited", "9999"},
    {"overdue", "9999"},
    {"cases", "240315123456、240315123457、240315123458等"}, /* a responder's unacknowledged cases */
    {"relation", "曾外祖母"},                                /* a guardian's relation, at most 4 characters */
    {"text", "孩子这两天发烧一直不退奶奶年纪大了也没法带他去医院请主任帮帮忙"}, /* forwarded words: 31 a piece */
    {"text2", "我在外地打工一时回不去麻烦您去家里看一下需要钱的话我先转给您吧"},
};

const struct h_var *tmpl_longest_values(int *n)
{
    *n = (int)(sizeof longest / sizeof longest[0]);
    return longest;
}

static const char *const category_words[] = {
    "性侵", "家暴", "虐待", "无人照料", "遗弃", "走失", "失踪", "拐卖", "自杀",
    "自伤", "溺水", "欺凌", "辍学",     "猥亵", "强奸", "自残", "轻生", "家庭暴力",
};

const char *tmpl_category_word(const char *text)
{
    for (size_t i = 0; text && i < sizeof category_words / sizeof category_words[0]; i++)
        if (strstr(text, category_words[i])) return category_words[i];
    return NULL;
}

size_t tmpl_ucs2_len(const char *s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned c = *p;
        size_t len = utf8_lead_len(c);
        size_t i = 1;
        while (i < len && (p[i] & 0xC0) == 0x80) i++;
        if (i < len) len = 1;  /* truncated sequence: count the lead byte alone */
        n += len == 4 ? 2 : 1; /* outside the BMP: a surrogate pair */
        p += len;
    }
    return n;
}
