"""A bulletin (月通报 / 季评价 / 年考核) as an .xlsx workbook (XlsxWriter), from its data dict — the frozen
snapshot of an issued bulletin or today's figures. A4 landscape, one page wide, header rows repeated."""
from __future__ import annotations

import io
from decimal import Decimal

from ...models.requests import DECLINE_REASONS
from ...text import N_
from ..core.translate import translator
from .bulletins import PARTS, localized

YI = Decimal(10**8)
WAN = Decimal(10**4)


def _yi(yuan):
    return None if yuan is None else Decimal(yuan) / YI


def _wan(yuan):
    return None if yuan is None else Decimal(yuan) / WAN


def _num(text):
    return None if text is None else Decimal(text)


class _Book:
    def __init__(self, locale: str | None = None):
        import xlsxwriter

        self.locale = locale
        self._ = translator(locale)
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_formulas": False})
        font = {"font_name": "宋体", "font_size": 10}
        self.f = {
            "title": self.book.add_format({**font, "bold": True, "font_size": 14}),
            "head": self.book.add_format({**font, "bold": True, "bg_color": "#DDE7F3", "border": 1, "text_wrap": True,
                                          "valign": "vcenter", "align": "center"}),
            "text": self.book.add_format({**font, "border": 1, "text_wrap": True, "valign": "top"}),
            "int": self.book.add_format({**font, "border": 1, "num_format": "#,##0"}),
            "dec": self.book.add_format({**font, "border": 1, "num_format": "#,##0.00"}),
            "yi": self.book.add_format({**font, "border": 1, "num_format": "#,##0.0000"}),
            "muted": self.book.add_format({**font, "font_color": "#666666"}),
        }

    def sheet(self, name: str, title: str, subtitle: str, headers: list[tuple[str, int]]):
        sheet = self.book.add_worksheet(self._(name))
        sheet.set_paper(9)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(3)
        sheet.write(0, 0, title, self.f["title"])
        sheet.write(1, 0, subtitle, self.f["muted"])
        for col, (text, width) in enumerate(headers):
            sheet.set_column(col, col, width)
            sheet.write(3, col, self._(text), self.f["head"])
        sheet.freeze_panes(4, 0)
        return sheet

    def row(self, sheet, rowno: int, cells: list[tuple[object, str]]):
        for col, (value, kind) in enumerate(cells):
            if value is None:
                sheet.write_blank(rowno, col, None, self.f["text"])
            elif kind == "text":
                sheet.write_string(rowno, col, str(value), self.f["text"])
            else:
                sheet.write_number(rowno, col, value, self.f[kind])

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def status_text(edition: int | None, locale: str | None = None) -> str:
    """Whether the workbook holds a published edition (which) or today's figures, in `locale`."""
    _ = translator(locale)
    return _("已发布（第%(edition)s版）", edition=edition) if edition else _("未发布（实时数据）")


def _status(b: _Book, data: dict, status: str) -> str:
    return b._("%(period)s　%(status)s　统计日 %(day)s　单位：余额 亿元，平台金额 万元", period=data["label"],
               status=status, day=data["computed_on"])


PROGRESS_HEADERS = [(N_("排名"), 7), (N_("序号"), 5), (N_("银行"), 22), (N_("存款"), 11), (N_("贷款"), 11),
                    (N_("存贷比%"), 9), (N_("目标存贷比%"), 9), (N_("序时存贷比%"), 9), (N_("工业贷款余额"), 12),
                    (N_("年度目标"), 11), (N_("序时进度"), 11), (N_("完成率%"), 9), (N_("序时完成率%"), 9),
                    (N_("距年度目标"), 11), (N_("工业贷款同比%"), 9), (N_("各项贷款同比%"), 9), (N_("增速达标"), 7),
                    (N_("工业贷款较基期%"), 9), (N_("各项贷款较基期%"), 9), (N_("较基期达标"), 7), (N_("报表版本"), 7),
                    (N_("未达进度原因"), 36)]


def _progress_sheet(b: _Book, data: dict, rows: list[dict], status: str) -> None:
    sheet = b.sheet(N_("目标进度"), data["title"], _status(b, data, status), PROGRESS_HEADERS)
    for i, r in enumerate(rows, start=4):
        b.row(sheet, i, [(r.get("rank_target"), "int"), (r["seq"], "int"), (r["name"], "text"),
                         (_yi(r["deposits"]), "yi"), (_yi(r["loans"]), "yi"), (_num(r["ldr_pct"]), "dec"),
                         (_num(r["target_ldr_pct"]), "dec"), (_num(r["expected_ldr_pct"]), "dec"),
                         (_yi(r["industrial_loans"]), "yi"), (_yi(r["target_industrial"]), "yi"),
                         (_yi(r["expected_industrial"]), "yi"), (_num(r["completion_pct"]), "dec"),
                         (_num(r["schedule_pct"]), "dec"), (_yi(r["industrial_gap"]), "yi"),
                         *_growth_cells(b, r.get("growth_yoy")), *_growth_cells(b, r.get("growth_base")),
                         (r["version"], "int"), (b._("；").join(r["behind"]), "text")])
    d = data["district"]
    b.row(sheet, len(rows) + 4, [(None, "int"), (None, "int"),
                                 (b._("全区合计（%(coverage)s）", coverage=_coverage(b, d)), "text"),
                                 (_yi(d["deposits"]), "yi"), (_yi(d["loans"]), "yi"), (_num(d["ldr_pct"]), "dec"),
                                 (None, "dec"), (None, "dec"), (_yi(d["industrial_loans"]), "yi"),
                                 (_yi(d["target_industrial"]), "yi"), (None, "yi"), (_num(d["completion_pct"]), "dec"),
                                 (None, "dec"), (None, "yi"), *_growth_cells(b, d.get("growth_yoy")),
                                 *_growth_cells(b, d.get("growth_base")), (None, "int"), (None, "text")])


def _coverage(b: _Book, d: dict) -> str:
    """Beside every district figure: how many banks it covers and which are missing (rebuilt from the counts, so
    it reads in the workbook's language)."""
    text = b._("%(reported)s / %(banks)s 家已报送", reported=d["reported"], banks=d["banks"])
    if d.get("missing"):
        text += b._("；未报送：%(names)s", names=b._("、").join(d["missing"]))
    return text


def _growth_cells(b: _Book, g: dict | None) -> list[tuple[object, str]]:
    """Industrial and total loan growth (%) and whether the growth goal is met; frozen bulletins from before the
    growth goal have none."""
    g = g or {}
    met = g.get("met")
    return [(_num(g.get("industrial")), "dec"), (_num(g.get("loans")), "dec"),
            ("" if met is None else (b._("是") if met else b._("否")), "text")]


PLATFORM_HEADERS = [(N_("平台排名"), 7), (N_("银行"), 22), (N_("推送线索"), 8), (N_("已认领"), 8), (N_("按时认领"), 8),
                    (N_("超时"), 7), (N_("按时率%"), 8), (N_("拒绝"), 7), (N_("获批"), 7), (N_("放款笔数"), 8),
                    (N_("放款金额"), 12), (N_("白名单企业"), 8), (N_("首贷"), 7), (N_("平均认领工作日"), 9),
                    (N_("平均决定工作日"), 9), (N_("满意度"), 7), (N_("拒绝原因"), 30)]


def _platform_cells(b: _Book, p: dict) -> list[tuple[object, str]]:
    reasons = b._("；").join(f"{b._(DECLINE_REASONS.get(k, (k,))[0])} {v}" for k, v in p["declined_by_reason"].items())
    return [(p["received"], "int"), (p["claimed"], "int"), (p["in_time"], "int"), (p["overdue"], "int"),
            (_num(p["in_time_pct"]), "dec"), (p["declined"], "int"), (p["approved"], "int"), (p["disbursed"], "int"),
            (_wan(p["disbursed_amount"]), "dec"), (p["whitelist_firms"], "int"), (p["first_loan"], "int"),
            (_num(p["avg_claim_workdays"]), "dec"), (_num(p["avg_decision_workdays"]), "dec"),
            (_num(p["satisfaction"]), "dec"), (reasons, "text")]


def _platform_sheet(b: _Book, data: dict, rows: list[dict], status: str, rank_field: str | None) -> None:
    sheet = b.sheet(N_("平台数据"), data["title"], _status(b, data, status) + b._("　（按线索推送日期归属期间）"),
                    PLATFORM_HEADERS)
    i = 4
    for i, r in enumerate(rows, start=4):
        b.row(sheet, i, [(r.get(rank_field) if rank_field else None, "int"), (r["name"], "text"),
                         *_platform_cells(b, r["platform"])])
    b.row(sheet, i + 1, [(None, "text"), (b._("全区合计"), "text"), *_platform_cells(b, data["platform_total"])])


def _summary_sheet(b: _Book, data: dict, status: str) -> None:
    sheet = b.sheet(N_("概况"), data["title"], _status(b, data, status), [
        (N_("项目"), 34), (N_("数值"), 16), (N_("单位"), 8), (N_("上期"), 16), (N_("说明"), 40)])
    _ = b._
    d = data["district"]
    prev = d.get("previous") or {}
    cover = _coverage(b, d)
    lines = [(_("已报送银行"), d["reported"], "int", _("家"), prev.get("reported"), cover),
             (_("各项存款余额"), _yi(d["deposits"]), "yi", _("亿元"), _yi(prev.get("deposits")), cover),
             (_("各项贷款余额"), _yi(d["loans"]), "yi", _("亿元"), _yi(prev.get("loans")), cover),
             (_("全区存贷比"), _num(d["ldr_pct"]), "dec", "%", _num(prev.get("ldr_pct")),
              _("贷款合计 ÷ 存款合计；%(coverage)s", coverage=cover)),
             (_("工业贷款余额"), _yi(d["industrial_loans"]), "yi", _("亿元"), _yi(prev.get("industrial_loans")), cover),
             (_("已报送银行年度目标合计"), _yi(d["target_industrial"]), "yi", _("亿元"), None,
              _("只计已报送且已设定目标的银行；%(coverage)s", coverage=cover)),
             (_("目标完成率"), _num(d["completion_pct"]), "dec", "%", None,
              _("已报送银行余额 ÷ 这些银行的目标；%(coverage)s", coverage=cover)),
             (_("首贷户数"), d["first_loan_count"], "int", _("户"), None, _("期末月份报送数")),
             (_("推送线索"), data["platform_total"]["received"], "int", _("条"), None, _("平台数据")),
             (_("放款金额"), _wan(data["platform_total"]["disbursed_amount"]), "dec", _("万元"), None, _("平台数据"))]
    row = 4
    for label, value, kind, unit, before, note in lines:
        b.row(sheet, row, [(label, "text"), (value, kind), (unit, "text"), (before, kind), (note, "text")])
        row += 1
    for goal in data.get("goals") or []:
        state = (_("已完成") if goal["met"] else _("完成 %(pct)s%%", pct=goal["progress"]) if goal["progress"]
                 else _("未达成"))
        if goal.get("note"):
            state += _("；") + goal["note"]
        b.row(sheet, row, [(_("区定目标：%(goal)s", goal=goal["label"]), "text"), (goal["actual"], "text"),
                           (goal["unit"], "text"), (goal["goal"], "text"), (state, "text")])
        row += 1
    for item in data.get("behind") or []:
        b.row(sheet, row, [(_("未达序时进度：%(bank)s", bank=item["name"]), "text"), (_("；").join(item["reasons"]), "text"),
                           (None, "text"), (None, "text"), (None, "text")])
        row += 1


def _scores_sheet(b: _Book, data: dict, status: str) -> None:
    headers = [(N_("排名"), 6), (N_("银行"), 22), (N_("综合得分"), 9)]
    for key in PARTS:
        headers += [(b._("%(part)s（权重%(weight)s）", part=data["parts"].get(key, b._(PARTS[key])),
                         weight=data["weights"][key]), 11), (N_("依据"), 18)]
    sheet = b.sheet(N_("评价得分"), data["title"], _status(b, data, status), headers)
    for i, r in enumerate(data["banks"], start=4):
        cells = [(r["rank"], "int"), (r["name"], "text"), (_num(r["score"]), "dec")]
        for key in PARTS:
            cells += [(_num(r["parts"][key]["score"]), "dec"), (r["parts"][key]["raw"], "text")]
        b.row(sheet, i, cells)


def workbook(data: dict, status: str, locale: str | None = None, session=None) -> bytes:
    """The workbook of a bulletin's data in `locale` (None: Chinese); `status` says whether it is published (and
    which edition) or live (`status_text`); with a `session` the goals' words are in `locale` too."""
    data = localized(data, locale, session)
    b = _Book(locale)
    _summary_sheet(b, data, status) if data["kind"] == "monthly" else _scores_sheet(b, data, status)
    if data["kind"] == "monthly":
        _progress_sheet(b, data, data["banks"], status)
        _platform_sheet(b, data, data["banks"], status, "rank_platform")
    else:
        if data["kind"] == "annual":
            _summary_sheet(b, data, status)
        rows = [{**r["progress"], "platform": r["platform"], "rank_target": r["rank"]} for r in data["banks"]]
        _progress_sheet(b, data, rows, status)
        _platform_sheet(b, data, rows, status, None)
    return b.close()
