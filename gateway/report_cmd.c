/* gateway/report_cmd.c - the report subcommand (report_cmd.h): the period
 * and the region checked, the report audited, computed
 * (handlers/report_period.h) and written as CSV (one row per region) or as
 * a printable HTML page with SVG charts drawn here. Runs on the thread
 * that owns the store (a CLI command).
 */
#include "report_cmd.h"

#include <csv.h>
#include <stdio.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/config.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/audit.h"
#include "../handlers/report_period.h"

static const char *const level_names[] = {"?", "county", "town", "village"};

static const char *level_name(int level) { return level_names[level >= 1 && level <= 3 ? level : 0]; }

/* ---- CSV ----------------------------------------------------------------------------- */

/* One text field, quoted when it must be; one that could read as a
 * formula gets a leading '. */
static void csv_text(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int formula = n && strchr("=+-@\t\r", s[0]);
    if (!formula && !strpbrk(s, ",\"\r\n") && !(n && (s[0] == ' ' || s[n - 1] == ' '))) {
        fputs(s, f);
        return;
    }
    if (!formula) {
        csv_fwrite(f, s, n);
        return;
    }
    struct gw_buf b = {0};
    gw_buf_putc(&b, '\'');
    gw_buf_puts(&b, s);
    csv_fwrite(f, b.p, b.len);
    gw_buf_free(&b);
}

/* ",<num/den with digits decimals>", or "," alone when den is 0. */
static void csv_ratio(FILE *f, double num, double den, double scale, int digits)
{
    fputc(',', f);
    if (den > 0) fprintf(f, "%.*f", digits, num * scale / den);
}

static void csv_longs(FILE *f, const long *v, int n)
{
    for (int i = 0; i < n; i++) fprintf(f, ",%ld", v[i]);
}

void report_write_csv(const struct report *rep, FILE *f)
{
    char from[11], to[11];
    cal_date_iso(rep->period.from_day, from, sizeof from);
    cal_date_iso(rep->period.to_day, to, sizeof to);
    fputs(REPORT_CSV_HEADER "\n", f);
    for (size_t i = 0; i < rep->n; i++) {
        const struct report_row *r = &rep->rows[i];
        fprintf(f, "%s,%s,%d,%s,", from, to, rep->period.complete, level_name(r->level));
        csv_text(f, r->path);
        fprintf(f, ",%ld", r->children);
        csv_longs(f, r->category, REPORT_CATEGORIES);
        csv_longs(f, r->flag, REPORT_FLAGS);
        fprintf(f, ",%ld,%ld,%ld", r->visits, r->visited, r->visited_monthly);
        csv_ratio(f, (double)r->visited_monthly, (double)r->children, 100, 1);
        csv_ratio(f, (double)r->visits, (double)r->children, 1, 2);
        csv_longs(f, r->result, 4);
        csv_longs(f, r->problem, REPORT_PROBLEMS);
        fprintf(f, ",%ld,%ld,%ld,%ld,%ld", r->checkins, r->away, r->checked_in, r->silent, r->cases);
        csv_longs(f, r->case_category, REPORT_CASE_CATEGORIES);
        csv_longs(f, r->priority, 4);
        fprintf(f, ",%ld,", r->acks);
        if (r->acks) fprintf(f, "%.1f", r->median_ack_minutes);
        fprintf(f, ",%ld", r->closed);
        csv_longs(f, r->outcome, 4);
        fputc(',', f);
        if (r->closed) fprintf(f, "%.1f", r->median_close_minutes);
        fprintf(f, ",%ld,%ld", r->closed_reporter, r->reporter_told);
        csv_ratio(f, (double)r->reporter_told, (double)r->closed_reporter, 100, 1);
        fprintf(f, ",%ld", r->directors);
        csv_ratio(f, (double)r->children, (double)r->directors, 1, 1);
        fprintf(f, ",%ld\n", r->villages_over);
    }
}

/* ---- HTML ---------------------------------------------------------------------------- */

/* s with & < > " ' escaped. */
static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        const char *e = gw_markup_entity(*s, 1);
        if (e)
            fputs(e, f);
        else
            fputc(*s, f);
    }
}

/* The last part of a region path (its own name). */
static const char *region_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *const category_zh[REPORT_CATEGORIES] = {"留守", "困境", "孤儿", "事实无人抚养", "单亲"};
static const char *const flag_zh[REPORT_FLAGS] = {"父母残疾", "儿童残疾", "心理"};
static const char *const result_zh[4] = {"正常", "有问题", "未见", "电话/视频"};
static const char *const problem_zh[REPORT_PROBLEMS] = {"监护", "心理", "上学", "健康", "生活", "安全", "亲情"};
static const char *const case_category_zh[REPORT_CASE_CATEGORIES] = {
    "性侵", "家暴虐待", "无人照料遗弃", "走失拐卖", "自伤自杀", "溺水危险", "欺凌", "辍学", "其他"};
static const char *const outcome_zh[4] = {"已处置", "已转介", "不实", "已立案"};

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>儿童关爱服务工作报告</title>\n<style>\n"
    "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",sans-serif;margin:2em;color:#222}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}\n"
    "table{border-collapse:collapse;font-size:.85em;margin:.5em 0}\n"
    "th,td{border:1px solid #999;padding:.2em .4em;text-align:right}\n"
    "th{background:#eee;text-align:center}td.r{text-align:left;white-space:nowrap}\n"
    "td.l2{padding-left:1.2em}td.l3{padding-left:2.4em}tr.flag td{background:#fde}\n"
    ".note{border:1px solid #c60;background:#fff4e5;padding:.4em .8em}\n"
    "svg text{font-size:12px}\n"
    "@media print{body{margin:1cm}h2{page-break-after:avoid}table,svg{page-break-inside:avoid}"
    "tr.flag td{background:none;font-weight:bold}.note{border:1px solid #000}}\n"
    "</style>\n</head>\n<body>\n";

/* A table's first cell: the region's name, indented by its level, the
 * whole path as its title. */
static void html_region_cell(FILE *f, const struct report_row *r)
{
    fprintf(f, "<td class=\"r l%d\" title=\"", r->level >= 1 && r->level <= 3 ? r->level : 1);
    html_text(f, r->path);
    fputs("\">", f);
    html_text(f, region_name(r->path));
    fputs("</td>", f);
}

static void html_th(FILE *f, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) fprintf(f, "<th>%s</th>", names[i]);
}

static void html_longs(FILE *f, const long *v, int n)
{
    for (int i = 0; i < n; i++) fprintf(f, "<td>%ld</td>", v[i]);
}

static void html_ratio(FILE *f, double num, double den, double scale, int digits, const char *unit)
{
    if (den > 0)
        fprintf(f, "<td>%.*f%s</td>", digits, num * scale / den, unit);
    else
        fputs("<td>-</td>", f);
}

/* A horizontal bar chart: one bar per label, scaled to max (the largest
 * value when max is 0), each with its value and unit. */
static void svg_bars(FILE *f, const char *title, const char *const *labels, const double *values, size_t n, double max,
                     const char *unit)
{
    const int label_w = 170, bar_w = 360, row_h = 22, top = 28;
    if (max <= 0)
        for (size_t i = 0; i < n; i++)
            if (values[i] > max) max = values[i];
    int h = top + (int)n * row_h + 8;
    fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", label_w + bar_w + 90, h);
    html_text(f, title);
    fputs("\">\n<text x=\"0\" y=\"16\" font-weight=\"bold\">", f);
    html_text(f, title);
    fputs("</text>\n", f);
    for (size_t i = 0; i < n; i++) {
        int y = top + (int)i * row_h;
        int w = max > 0 ? (int)(values[i] / max * bar_w + 0.5) : 0;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 15);
        html_text(f, labels[i]);
        fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#4a7ab5\"/>", label_w, y + 2, w);
        fprintf(f, "<text x=\"%d\" y=\"%d\">%.*f%s</text>\n", label_w + w + 6, y + 15, unit[0] ? 1 : 0, values[i],
                unit);
    }
    fputs("</svg>\n", f);
}

static void html_children(FILE *f, const struct report *rep)
{
    fputs("<h2>一、儿童情况</h2>\n<table>\n<tr><th>地区</th><th>儿童</th>", f);
    html_th(f, category_zh, REPORT_CATEGORIES);
    html_th(f, flag_zh, REPORT_FLAGS);
    fputs("</tr>\n", f);
    for (size_t i = 0; i < rep->n; i++) {
        const struct report_row *r = &rep->rows[i];
        fputs("<tr>", f);
        html_region_cell(f, r);
        fprintf(f, "<td>%ld</td>", r->children);
        html_longs(f, r->category, REPORT_CATEGORIES);
        html_longs(f, r->flag, REPORT_FLAGS);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The chart of villages' children visited every month (share). */
static void chart_monthly(FILE *f, const struct report *rep)
{
    const char **labels = gw_calloc(rep->n ? rep->n : 1, sizeof *labels);
    double *values = gw_calloc(rep->n ? rep->n : 1, sizeof *values);
    size_t n = 0;
    for (size_t i = 0; i < rep->n; i++) {
        const struct report_row *r = &rep->rows[i];
        if (r->level != 3) continue;
        labels[n] = region_name(r->path);
        values[n++] = r->children ? 100.0 * (double)r->visited_monthly / (double)r->children : 0;
    }
    if (n) svg_bars(f, "各村每月均走访儿童占比", labels, values, n, 100, "%");
    free(labels);
    free(values);
}

static void html_visits(FILE *f, const struct report *rep)
{
    fputs("<h2>二、走访情况</h2>\n<table>\n<tr><th>地区</th><th>走访次数</th><th>走访儿童</th>"
          "<th>每月均走访</th><th>占比</th><th>人均走访</th>",
          f);
    html_th(f, result_zh, 4);
    html_th(f, problem_zh, REPORT_PROBLEMS);
    fputs("</tr>\n", f);
    for (size_t i = 0; i < rep->n; i++) {
        const struct report_row *r = &rep->rows[i];
        fputs("<tr>", f);
        html_region_cell(f, r);
        fprintf(f, "<td>%ld</td><td>%ld</td><td>%ld</td>", r->visits, r->visited, r->visited_monthly);
        html_ratio(f, (double)r->visited_monthly, (double)r->children, 100, 1, "%");
        html_ratio(f, (double)r->visits, (double)r->children, 1, 2, "");
        html_longs(f, r->result, 4);
        html_longs(f, r->problem, REPORT_PROBLEMS);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    chart_monthly(f, rep);
}

static void html_checkins(FILE *f, const struct report *rep)
{
    fputs("<h2>三、外出父母报到</h2>\n<table>\n<tr><th>地区</th><th>报到次数</th><th>外出父母</th>"
          "<th>已报到</th><th>未报到</th></tr>\n",
          f);
    for (size_t i = 0; i < rep->n; i++) {
        const struct report_row *r = &rep->rows[i];
        fputs("<tr>", f);
        html_region_cell(f, r);
        fprintf(f, "<td>%ld</td><td>%ld</td><td>%ld</td><td>%ld</td></tr>\n", r->checkins, r->away, r->checked_in,
                r->silent);
    }
    fputs("</table>\n", f);
}

static void html_median(FILE *f, long n, double minutes)
{
    if (n)
        fprintf(f, "<td>%.1f</td>", minutes);
    else
        fputs("<td>-</td>", f);
}

static void html_cases(FILE *f, const struct report *rep)
{
    static const char *const prio[4] = {"P0", "P1", "P2", "P3"};
    fputs("<h2>四、案件办理</h2>\n<table>\n<tr><th>地区</th><th>案件</th>", f);
    html_th(f, case_category_zh, REPORT_CASE_CATEGORIES);
    html_th(f, prio, 4);
    fputs("<th>已受理</th><th>受理用时中位数（分钟）</th><th>已结案</th>", f);
    html_th(f, outcome_zh, 4);
    fputs("<th>结案用时中位数（分钟）</th><th>告知报告人</th></tr>\n", f);
    for (size_t i = 0; i < rep->n; i++) {
        const struct report_row *r = &rep->rows[i];
        fputs("<tr>", f);
        html_region_cell(f, r);
        fprintf(f, "<td>%ld</td>", r->cases);
        html_longs(f, r->case_category, REPORT_CASE_CATEGORIES);
        html_longs(f, r->priority, 4);
        fprintf(f, "<td>%ld</td>", r->acks);
        html_median(f, r->acks, r->median_ack_minutes);
        fprintf(f, "<td>%ld</td>", r->closed);
        html_longs(f, r->outcome, 4);
        html_median(f, r->closed, r->median_close_minutes);
        html_ratio(f, (double)r->reporter_told, (double)r->closed_reporter, 100, 1, "%");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (!rep->n) return;
    double values[REPORT_CASE_CATEGORIES];
    for (int c = 0; c < REPORT_CASE_CATEGORIES; c++) values[c] = (double)rep->rows[0].case_category[c];
    char title[320];
    snprintf(title, sizeof title, "%s 案件类别", region_name(rep->rows[0].path));
    svg_bars(f, title, case_category_zh, values, REPORT_CASE_CATEGORIES, 0, "");
}

static void html_directors(FILE *f, const struct report *rep)
{
    fputs("<h2>五、儿童主任配备</h2>\n<table>\n<tr><th>地区</th><th>儿童</th><th>儿童主任</th>"
          "<th>每名主任儿童数</th><th>超过30名/主任的村</th></tr>\n",
          f);
    for (size_t i = 0; i < rep->n; i++) {
        const struct report_row *r = &rep->rows[i];
        fputs(r->level == 3 && r->villages_over ? "<tr class=\"flag\">" : "<tr>", f);
        html_region_cell(f, r);
        fprintf(f, "<td>%ld</td><td>%ld</td>", r->children, r->directors);
        html_ratio(f, (double)r->children, (double)r->directors, 1, 1, "");
        fprintf(f, "<td>%ld</td></tr>\n", r->villages_over);
    }
    fputs("</table>\n", f);
}

static const char html_notes[] =
    "<h2>说明</h2>\n<ul>\n"
    "<li>儿童：统计期末前登记、期末仍在关爱范围内（未超龄）的儿童，类别与标记按期末时的记录。</li>\n"
    "<li>走访按走访日期计入；每月均走访：期间内（登记月起）每个自然月至少走访一次。</li>\n"
    "<li>外出父母：期末前登记的外出父母；未报到：期间内没有报到记录。</li>\n"
    "<li>案件：期间内受理的案件；受理、结案和告知报告人只计期末之前的。</li>\n"
    "<li>儿童主任：期末前登记；儿童超过30名且超过主任人数×30的村标为超标。</li>\n"
    "</ul>\n";

void report_write_html(const struct report *rep, const char *region, FILE *f)
{
    char from[11], to[11];
    cal_date_iso(rep->period.from_day, from, sizeof from);
    cal_date_iso(rep->period.to_day, to, sizeof to);
    fputs(html_head, f);
    fputs("<h1>儿童关爱服务工作报告</h1>\n<p>统计期间：", f);
    fprintf(f, "%s 至 %s；范围：", from, to);
    html_text(f, region && region[0] ? region : "全部地区");
    fputs("</p>\n", f);
    if (!rep->period.complete) fprintf(f, "<p class=\"note\">统计期间尚未结束：数据截至今天（%s）。</p>\n", to);
    html_children(f, rep);
    html_visits(f, rep);
    html_checkins(f, rep);
    html_cases(f, rep);
    html_directors(f, rep);
    fputs(html_notes, f);
    fputs("</body>\n</html>\n", f);
}

/* ---- the command ----------------------------------------------------------------------- */

/* The audit row, in its own transaction, before anything is written. */
static int audit_report(struct store *st, const struct report_period *p, const char *region, int64_t now)
{
    char from[11], to[11], records[DB_PATH_MAX + 64];
    cal_date_iso(p->from_day, from, sizeof from);
    cal_date_iso(p->to_day, to, sizeof to);
    snprintf(records, sizeof records, "from:%s to:%s region:%s", from, to, region && region[0] ? region : "*");
    if (store_begin(st) != 0) return -1;
    if (audit_record(st, "cli", "admin", "cli", "report", records, "", now) != 0 || store_commit(st) != 0) {
        store_rollback(st);
        return -1;
    }
    return 0;
}

int report_cmd(struct store *st, const struct gw_config *cfg, const struct report_args *a, int64_t now, FILE *out,
               FILE *err)
{
    const char *format = a->format ? a->format : "csv";
    if (strcmp(format, "csv") != 0 && strcmp(format, "html") != 0) {
        fprintf(err, "report: --format '%s' is not csv or html\n", format);
        return 2;
    }
    struct report_period p;
    char why[160];
    if (report_period_resolve(a->year, a->from, a->to, cal_local_day(now), &p, why, sizeof why) != 0) {
        fprintf(err, "report: %s\n", why);
        return 2;
    }
    int64_t id;
    int rc = a->region && a->region[0] ? store_region_find(st, a->region, &id, NULL) : 0;
    if (rc != 0) {
        if (rc > 0) fprintf(err, "report: no region '%s' (a path such as 县/镇/村)\n", a->region);
        if (rc < 0) fprintf(err, "report: database: %s\n", store_errmsg(st));
        return rc > 0 ? 2 : 1;
    }
    if (audit_report(st, &p, a->region, now) != 0) {
        fprintf(err, "report: cannot record it in the audit trail (%s); nothing reported\n", store_errmsg(st));
        return 1;
    }
    struct report rep;
    rc = report_compute(st, cfg ? &cfg->policy : NULL, &p, a->region, &rep);
    if (rc != 0) {
        fprintf(err, "report: %s\n", rc > 0 ? "the region is gone" : store_errmsg(st));
        return 1;
    }
    if (!strcmp(format, "html"))
        report_write_html(&rep, a->region, out);
    else
        report_write_csv(&rep, out);
    char to[11];
    cal_date_iso(p.to_day, to, sizeof to);
    if (!p.complete) fprintf(err, "report: the period is not over; the figures run to today, %s\n", to);
    fprintf(err, "report: %zu regions\n", rep.n);
    report_free(&rep);
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(err, "report: cannot write the output\n");
        return 1;
    }
    return 0;
}
