/* gateway/child_file.c - one child's whole file as JSON and as a printable
 * HTML page (see child_file.h). */
#include "child_file.h"

#include <stdio.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/log.h"
#include "../handlers/coverage.h"
#include "../handlers/visit_rule.h"
#include "json_fields.h"

/* ---- JSON ------------------------------------------------------------------------ */

/* A phone in full or masked, or null for NULL. */
static json_t *phone_json(const char *phone, int full)
{
    char masked[GW_MASK_LEN];
    return !phone ? json_null() : json_string(full ? phone : gw_mask_phone(phone, masked));
}

/* A '|' list ("a|b", "" or NULL for none) as a JSON array of strings. */
static json_t *bar_list(const char *s)
{
    json_t *a = json_array();
    while (s && *s) {
        size_t n = strcspn(s, "|");
        if (n) json_array_append_new(a, json_stringn(s, n));
        s += n;
        if (*s == '|') s++;
    }
    return a;
}

json_t *child_file_child_json(const struct store_file_child *r, const struct gw_policy *pol, int64_t today)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(r->code));
    json_object_set_new(o, "name", json_str_or_null(r->name));
    json_object_set_new(o, "sex", json_str_or_null(r->sex));
    json_object_set_new(o, "birth_date", json_str_or_null(r->birth_date));
    json_object_set_new(o, "region", json_str_or_null(r->region));
    json_object_set_new(o, "categories", bar_list(r->categories));
    json_object_set_new(o, "flags", bar_list(r->flags));
    json_object_set_new(o, "aged_out", json_boolean(child_scope_end(pol, r->birth_date, r->categories) <= today));
    json_object_set_new(o, "last_visit", json_str_or_null(r->last_visit));
    return o;
}

struct child_file {
    json_t *child;
    int64_t id;
    const struct gw_policy *pol;
    int64_t today;
    int full_phones;
};

/* Keeps the child's registration. */
static int file_child(void *arg, const struct store_file_child *r)
{
    struct child_file *f = arg;
    f->id = r->id;
    f->child = child_file_child_json(r, f->pol, f->today);
    json_object_set_new(f->child, "high_cadence", json_boolean(r->high_cadence));
    json_set_time(f->child, "created_at", r->created_at);
    int64_t due = visit_due_for(f->pol, visit_high_cadence(r->flags, r->high_cadence), r->last_count, r->created_at);
    char iso[16];
    if (due != CAL_NO_DAY) cal_date_iso(due, iso, sizeof iso);
    json_object_set_new(f->child, "visit_due", due != CAL_NO_DAY ? json_string(iso) : json_null());
    return 0;
}

/* Adds the fuller record's fields to the registration: the national ID
 * only masked, the carer as one object (null when none is registered). */
static int file_record(void *arg, const struct store_child_record *r)
{
    struct child_file *f = arg;
    json_t *c = f->child;
    json_object_set_new(c, "id_masked", json_str_or_null(r->id_masked));
    json_object_set_new(c, "hukou", json_str_or_null(r->hukou));
    json_object_set_new(c, "school", json_str_or_null(r->school));
    json_t *carer = json_null();
    if (r->carer_name || r->carer_phone || r->carer_relation) {
        carer = json_object();
        json_object_set_new(carer, "name", json_str_or_null(r->carer_name));
        json_object_set_new(carer, "relation", json_str_or_null(r->carer_relation));
        json_object_set_new(carer, "phone", phone_json(r->carer_phone, f->full_phones));
    }
    json_object_set_new(c, "carer", carer);
    json_object_set_new(c, "care_agreement", r->care_agreement < 0 ? json_null() : json_boolean(r->care_agreement));
    json_object_set_new(c, "care_agreement_date", json_str_or_null(r->care_agreement_date));
    json_object_set_new(c, "guardianship", json_str_or_null(r->guardianship));
    json_set_time(c, "updated_at", r->updated_at);
    return 0;
}

struct file_list {
    json_t *items;
    int full_phones; /* 1: phones unmasked */
};

static int file_guardian(void *arg, const struct store_file_guardian *r)
{
    struct file_list *l = arg;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_str_or_null(r->name));
    json_object_set_new(o, "relation", json_str_or_null(r->relation));
    json_object_set_new(o, "away", json_boolean(r->away));
    json_object_set_new(o, "phone", phone_json(r->phone ? r->phone : "", l->full_phones));
    json_array_append_new(l->items, o);
    return 0;
}

static int file_visit(void *arg, const struct store_file_visit *r)
{
    struct file_list *l = arg;
    json_t *o = json_object();
    json_object_set_new(o, "date", json_str_or_null(r->visit_date));
    json_object_set_new(o, "result", json_integer(r->result));
    json_object_set_new(o, "problems", bar_list(r->problems));
    json_object_set_new(o, "note", json_str_or_null(r->note));
    json_object_set_new(o, "by", json_str_or_null(r->staff));
    json_set_time(o, "recorded_at", r->created_at);
    json_array_append_new(l->items, o);
    return 0;
}

static int file_checkin(void *arg, const struct store_file_checkin *r)
{
    struct file_list *l = arg;
    json_t *o = json_object();
    json_set_time(o, "at", r->created_at);
    json_object_set_new(o, "status", json_integer(r->status));
    json_object_set_new(o, "return_date", json_str_or_null(r->return_date));
    json_object_set_new(o, "note", json_str_or_null(r->note));
    json_object_set_new(o, "relation", json_str_or_null(r->relation));
    json_array_append_new(l->items, o);
    return 0;
}

static int file_case(void *arg, const struct store_file_case *r)
{
    struct file_list *l = arg;
    json_t *o = json_object();
    json_object_set_new(o, "number", json_str_or_null(r->number));
    json_object_set_new(o, "category", json_integer(r->category));
    json_object_set_new(o, "priority", json_integer(r->priority));
    json_object_set_new(o, "status", json_str_or_null(r->status));
    json_set_time(o, "opened_at", r->opened_at);
    json_set_time(o, "acked_at", r->acked_at);
    json_set_time(o, "closed_at", r->closed_at);
    json_array_append_new(l->items, o);
    return 0;
}

static int file_message(void *arg, const struct store_file_message *r)
{
    struct file_list *l = arg;
    json_t *o = json_object();
    json_set_time(o, "at", r->received_at);
    json_object_set_new(o, "channel", json_str_or_null(r->channel));
    json_object_set_new(o, "kind", json_str_or_null(r->kind));
    json_object_set_new(o, "intent", json_str_or_null(r->intent));
    json_object_set_new(o, "text", json_str_or_null(r->text));
    json_array_append_new(l->items, o);
    return 0;
}

/* Fills out's parts of the file of child id: guardians, visits, check-ins,
 * cases and messages, each in time order. 0, or -1 on a store error. */
static int file_parts(struct store *st, int64_t id, int full_phones, json_t *out)
{
    struct file_list g = {json_array(), full_phones}, v = {json_array(), 0}, k = {json_array(), 0};
    struct file_list c = {json_array(), 0}, m = {json_array(), 0};
    json_object_set_new(out, "guardians", g.items);
    json_object_set_new(out, "visits", v.items);
    json_object_set_new(out, "checkins", k.items);
    json_object_set_new(out, "cases", c.items);
    json_object_set_new(out, "messages", m.items);
    if (store_files_guardians_each(st, id, file_guardian, &g) < 0) return -1;
    if (store_files_visits_each(st, id, file_visit, &v) < 0) return -1;
    if (store_files_checkins_each(st, id, file_checkin, &k) < 0) return -1;
    if (store_files_cases_each(st, id, file_case, &c) < 0) return -1;
    return store_files_messages_each(st, id, file_message, &m) < 0 ? -1 : 0;
}

int child_file_build(struct store *st, const struct gw_policy *pol, const char *code, const char *under,
                     int full_phones, int64_t now, json_t **out)
{
    char today_iso[16];
    struct child_file f = {.pol = pol, .today = cal_local_day(now), .full_phones = full_phones};
    *out = NULL;
    cal_date_iso(f.today, today_iso, sizeof today_iso);
    int rc = store_files_child(st, code, under, today_iso, file_child, &f);
    if (rc < 0) return -1;
    if (rc == 1 || !f.child) return 1;
    json_t *file = json_object();
    json_object_set_new(file, "child", f.child);
    if (store_child_records_each(st, code, file_record, &f) < 0 || file_parts(st, f.id, full_phones, file) != 0) {
        json_decref(file);
        return -1;
    }
    *out = file;
    return 0;
}

/* ---- HTML -------------------------------------------------------------------------- */

/* The code book's words, as the dashboard shows them. */
static const char *const CHILD_CATEGORY[][2] = {
    {"left_behind", "留守儿童"},         {"difficulty", "困境儿童"},        {"orphan", "孤儿"},
    {"unsupported", "事实无人抚养儿童"}, {"single_parent", "单亲家庭儿童"}, {NULL, NULL}};
static const char *const CHILD_FLAG[][2] = {
    {"parent_disabled", "父母残疾"}, {"child_disabled", "儿童残疾"}, {"psych", "心理关注"}, {NULL, NULL}};
static const char *const PROBLEM[][2] = {{"JH", "监护"}, {"XL", "心理"}, {"XX", "上学"}, {"JK", "健康"},
                                         {"SH", "生活"}, {"AQ", "安全"}, {"QG", "亲情"}, {NULL, NULL}};
static const char *const CASE_STATUS[][2] = {
    {"open", "待确认"}, {"acknowledged", "已确认"}, {"closed", "已结案"}, {NULL, NULL}};
static const char *const SEX[][2] = {{"M", "男"}, {"F", "女"}, {NULL, NULL}};
static const char *const MESSAGE_KIND[][2] = {{"visit", "走访"}, {"checkin", "报平安"}, {NULL, NULL}};
static const char *const VISIT_RESULT[] = {"", "见到儿童，一切正常", "见到儿童，发现问题", "入户未见到儿童",
                                           "电话或视频联系"};
static const char *const CHECKIN_STATUS[] = {"", "平安", "求助", "回家", "换人"};
static const char *const CASE_CATEGORY[] = {"",         "性侵",           "家暴虐待", "无人照料或遗弃", "走失拐卖",
                                            "自伤自杀", "溺水等紧急危险", "欺凌",     "辍学",           "其他"};

static const char STYLE[] =
    "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Microsoft YaHei\",sans-serif;margin:2em;"
    "color:#111;font-size:14px}"
    "h1{font-size:20px;margin:0 0 .2em}h2{font-size:16px;border-bottom:1px solid #999;margin:1.4em 0 .5em}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;"
    "vertical-align:top}th{background:#eee;font-weight:normal}"
    "table.facts th{width:9em}.muted{color:#666}"
    "@media print{body{margin:0;font-size:11pt}h2{break-after:avoid}tr{break-inside:avoid}"
    "th{background:none}@page{size:A4;margin:15mm}}";

/* The word for code in table t, or code itself when there is none. */
static const char *word(const char *const t[][2], const char *code)
{
    for (size_t i = 0; code && t[i][0]; i++)
        if (!strcmp(t[i][0], code)) return t[i][1];
    return code ? code : "";
}

/* Appends s HTML-escaped ("—" for NULL or ""). */
static void esc(struct gw_buf *b, const char *s)
{
    if (!s || !*s) {
        gw_buf_puts(b, "—");
        return;
    }
    gw_buf_put_markup(b, s, 1);
}

/* The string at key of o, or NULL. */
static const char *jstr(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* An ISO time "2026-03-02T09:30:00+08:00" as "2026-03-02 09:30" into out (17 bytes); NULL stays NULL. */
static const char *when(const char *iso, char out[17])
{
    if (!iso || strlen(iso) < 16) return iso;
    memcpy(out, iso, 16);
    out[10] = ' ';
    out[16] = '\0';
    return out;
}

/* The words of the JSON string array at key of o, through table t, joined with "、" into b (escaped). */
static void words(struct gw_buf *b, const json_t *o, const char *key, const char *const t[][2])
{
    const json_t *a = json_object_get(o, key);
    size_t i;
    const json_t *v;
    struct gw_buf w = {0};
    json_array_foreach(a, i, v)
    {
        if (i) gw_buf_puts(&w, "、");
        gw_buf_puts(&w, word(t, json_string_value(v)));
    }
    esc(b, gw_buf_cstr(&w));
    gw_buf_free(&w);
}

/* A row "<tr><th>term</th><td>value</td></tr>" with value escaped. */
static void fact(struct gw_buf *b, const char *term, const char *value)
{
    gw_buf_printf(b, "<tr><th>%s</th><td>", term);
    esc(b, value);
    gw_buf_puts(b, "</td></tr>\n");
}

/* One table cell with value escaped. */
static void cell(struct gw_buf *b, const char *value)
{
    gw_buf_puts(b, "<td>");
    esc(b, value);
    gw_buf_puts(b, "</td>");
}

/* A section's heading and its table's header row (cols: '|'-separated), or
 * a "none" line when the list at key of file is empty: 1 when rows follow. */
static int section(struct gw_buf *b, const json_t *file, const char *key, const char *title, const char *cols)
{
    gw_buf_printf(b, "<h2>%s</h2>\n", title);
    if (json_array_size(json_object_get(file, key)) == 0) {
        gw_buf_puts(b, "<p class=\"muted\">暂无记录</p>\n");
        return 0;
    }
    gw_buf_puts(b, "<table>\n<tr>");
    for (const char *p = cols; *p;) {
        size_t n = strcspn(p, "|");
        gw_buf_printf(b, "<th>%.*s</th>", (int)n, p);
        p += n;
        if (*p == '|') p++;
    }
    gw_buf_puts(b, "</tr>\n");
    return 1;
}

static void html_registration(struct gw_buf *b, const json_t *c)
{
    char t[17];
    const json_t *agree = json_object_get(c, "care_agreement");
    gw_buf_puts(b, "<h2>基本信息</h2>\n<table class=\"facts\">\n");
    fact(b, "儿童编号", jstr(c, "code"));
    fact(b, "姓名", jstr(c, "name"));
    fact(b, "性别", word(SEX, jstr(c, "sex")));
    fact(b, "出生日期", jstr(c, "birth_date"));
    fact(b, "身份证号", jstr(c, "id_masked"));
    fact(b, "所在地区", jstr(c, "region"));
    fact(b, "户籍地址", jstr(c, "hukou"));
    fact(b, "就读学校", jstr(c, "school"));
    gw_buf_puts(b, "<tr><th>儿童类别</th><td>");
    words(b, c, "categories", CHILD_CATEGORY);
    gw_buf_puts(b, "</td></tr>\n<tr><th>关注标记</th><td>");
    words(b, c, "flags", CHILD_FLAG);
    gw_buf_puts(b, "</td></tr>\n");
    fact(b, "委托照护协议", json_is_true(agree) ? "已签订" : json_is_false(agree) ? "未签订" : NULL);
    fact(b, "协议签订日期", jstr(c, "care_agreement_date"));
    fact(b, "监护情况评估", jstr(c, "guardianship"));
    fact(b, "上次走访", jstr(c, "last_visit"));
    fact(b, "下次应走访", jstr(c, "visit_due"));
    fact(b, "登记时间", when(jstr(c, "created_at"), t));
    fact(b, "最近更新", when(jstr(c, "updated_at"), t));
    if (json_is_true(json_object_get(c, "aged_out"))) fact(b, "说明", "已超出关爱年龄范围");
    gw_buf_puts(b, "</table>\n");
}

static void html_guardians(struct gw_buf *b, const json_t *file)
{
    const json_t *carer = json_object_get(json_object_get(file, "child"), "carer");
    const json_t *g;
    size_t i;
    gw_buf_puts(b, "<h2>监护人与照料人</h2>\n<table>\n<tr><th>身份</th><th>姓名</th><th>关系</th><th>电话</th>"
                   "<th>外出务工</th></tr>\n");
    json_array_foreach(json_object_get(file, "guardians"), i, g)
    {
        gw_buf_puts(b, "<tr><td>监护人</td>");
        cell(b, jstr(g, "name"));
        cell(b, jstr(g, "relation"));
        cell(b, jstr(g, "phone"));
        cell(b, json_is_true(json_object_get(g, "away")) ? "是" : "否");
        gw_buf_puts(b, "</tr>\n");
    }
    if (json_is_object(carer)) {
        gw_buf_puts(b, "<tr><td>照料人</td>");
        cell(b, jstr(carer, "name"));
        cell(b, jstr(carer, "relation"));
        cell(b, jstr(carer, "phone"));
        cell(b, NULL);
        gw_buf_puts(b, "</tr>\n");
    }
    gw_buf_puts(b, "</table>\n");
}

static void html_visits(struct gw_buf *b, const json_t *file)
{
    const json_t *v;
    size_t i;
    if (!section(b, file, "visits", "走访记录", "走访日期|结果|发现的问题|备注|走访人")) return;
    json_array_foreach(json_object_get(file, "visits"), i, v)
    {
        json_int_t r = json_integer_value(json_object_get(v, "result"));
        gw_buf_puts(b, "<tr>");
        cell(b, jstr(v, "date"));
        cell(b, r >= 1 && r <= 4 ? VISIT_RESULT[r] : NULL);
        gw_buf_puts(b, "<td>");
        words(b, v, "problems", PROBLEM);
        gw_buf_puts(b, "</td>");
        cell(b, jstr(v, "note"));
        cell(b, jstr(v, "by"));
        gw_buf_puts(b, "</tr>\n");
    }
    gw_buf_puts(b, "</table>\n");
}

static void html_checkins(struct gw_buf *b, const json_t *file)
{
    const json_t *k;
    size_t i;
    char t[17];
    if (!section(b, file, "checkins", "家长报平安", "时间|状态|报告人|预计回家|备注")) return;
    json_array_foreach(json_object_get(file, "checkins"), i, k)
    {
        json_int_t s = json_integer_value(json_object_get(k, "status"));
        gw_buf_puts(b, "<tr>");
        cell(b, when(jstr(k, "at"), t));
        cell(b, s >= 1 && s <= 4 ? CHECKIN_STATUS[s] : NULL);
        cell(b, jstr(k, "relation"));
        cell(b, jstr(k, "return_date"));
        cell(b, jstr(k, "note"));
        gw_buf_puts(b, "</tr>\n");
    }
    gw_buf_puts(b, "</table>\n");
}

static void html_cases(struct gw_buf *b, const json_t *file)
{
    const json_t *c;
    size_t i;
    char t[17], prio[8];
    if (!section(b, file, "cases", "案件与处置", "案件编号|类别|紧急程度|状态|受理时间|确认时间|结案时间")) return;
    json_array_foreach(json_object_get(file, "cases"), i, c)
    {
        json_int_t k = json_integer_value(json_object_get(c, "category"));
        snprintf(prio, sizeof prio, "P%d", (int)json_integer_value(json_object_get(c, "priority")));
        gw_buf_puts(b, "<tr>");
        cell(b, jstr(c, "number"));
        cell(b, k >= 1 && k <= 9 ? CASE_CATEGORY[k] : NULL);
        cell(b, prio);
        cell(b, word(CASE_STATUS, jstr(c, "status")));
        cell(b, when(jstr(c, "opened_at"), t));
        cell(b, when(jstr(c, "acked_at"), t));
        cell(b, when(jstr(c, "closed_at"), t));
        gw_buf_puts(b, "</tr>\n");
    }
    gw_buf_puts(b, "</table>\n");
}

static void html_messages(struct gw_buf *b, const json_t *file)
{
    const json_t *m;
    size_t i;
    char t[17];
    if (!section(b, file, "messages", "短信记录", "时间|渠道|记录为|内容")) return;
    json_array_foreach(json_object_get(file, "messages"), i, m)
    {
        gw_buf_puts(b, "<tr>");
        cell(b, when(jstr(m, "at"), t));
        cell(b, jstr(m, "channel"));
        cell(b, word(MESSAGE_KIND, jstr(m, "kind")));
        cell(b, jstr(m, "text"));
        gw_buf_puts(b, "</tr>\n");
    }
    gw_buf_puts(b, "</table>\n");
}

void child_file_html(const json_t *file, struct gw_buf *out)
{
    const json_t *c = json_object_get(file, "child");
    gw_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>儿童档案 ");
    esc(out, jstr(c, "code"));
    gw_buf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>儿童档案：", STYLE);
    esc(out, jstr(c, "name"));
    gw_buf_puts(out, "（编号 ");
    esc(out, jstr(c, "code"));
    gw_buf_puts(out, "）</h1>\n<p class=\"muted\">一人一档 · 内含个人信息，仅限工作使用，请妥善保管</p>\n");
    html_registration(out, c);
    html_guardians(out, file);
    html_visits(out, file);
    html_checkins(out, file);
    html_cases(out, file);
    html_messages(out, file);
    gw_buf_puts(out, "</body>\n</html>\n");
}
