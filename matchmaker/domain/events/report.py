"""What became of an event's intentions, computed live from their leads: the event report (attendance,
intentions by bank and product, approved / disbursed / declined with reasons / still open), its .xlsx, and the
district's conversion from intention to disbursement by township, industry and bank."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

import xlsxwriter
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...models import Bank, EventIntention, Firm, Lead, MatchmakingEvent, Offer, Product, Township, User
from ...models.firms import INDUSTRIES
from ...models.requests import DECLINE_REASONS
from ...text import N_
from ..core.translate import translator
from .checkin import Attendance, attendance

OUTCOMES = {"open": N_("办理中"), "approved": N_("已审批待放款"), "disbursed": N_("已放款"), "declined": N_("已拒绝"),
            "closed": N_("已撤回/失效")}
APPROVED_STATES = ("approved", "disbursed")
CLOSED_STATES = ("released", "expired")
DIMENSIONS = {"township": N_("镇街"), "industry": N_("行业"), "bank": N_("银行"), "event": N_("活动"),
              "bank_product": N_("银行与产品")}
NO_TOWNSHIP = N_("未填镇街")
TOTAL = N_("合计")
NO_REASON = N_("未注明")


def outcome_of(lead_state: str) -> str:
    if lead_state in ("approved", "disbursed", "declined"):
        return lead_state
    return "closed" if lead_state in CLOSED_STATES else "open"


@dataclass
class Figures:
    """Intentions of one group and what became of them (amounts in 元)."""

    key: tuple = ()
    label: str = ""
    label_is_data: bool = True  # a name (township, bank, event, product); else a label to translate (|t)
    count: int = 0
    intended: int = 0
    approved: int = 0
    approved_amount: int = 0
    disbursed: int = 0
    disbursed_amount: int = 0
    declined: int = 0
    open: int = 0
    closed: int = 0

    @property
    def conversion(self) -> Decimal | None:
        """Share of intentions that ended in a disbursement, percent."""
        return _pct(self.disbursed, self.count)

    @property
    def amount_conversion(self) -> Decimal | None:
        """Disbursed amount as a share of the intended amount, percent."""
        return _pct(self.disbursed_amount, self.intended)


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _group_columns(dimension: str) -> tuple[list, callable]:
    """Columns to group by, and how to label a group from its key (a name, or a label marked N_)."""
    if dimension == "township":
        return [Township.id, Township.name], lambda k: k[1] or NO_TOWNSHIP
    if dimension == "industry":
        return [Firm.industry], lambda k: INDUSTRIES.get(k[0], k[0])
    if dimension == "bank":
        return [Bank.seq, Bank.name], lambda k: k[1]
    if dimension == "event":
        return [MatchmakingEvent.id, MatchmakingEvent.title], lambda k: k[1]
    if dimension == "bank_product":
        return [Bank.seq, Bank.name, Product.id, Product.name], lambda k: f"{k[1]} · {k[3]}"
    raise ValueError(dimension)


def summarise(session: Session, dimension: str, *where) -> list[Figures]:
    """Intentions grouped by `dimension` (see DIMENSIONS), with their outcomes, in one query."""
    columns, label = _group_columns(dimension)
    state = Lead.state

    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    def amount(cond, col):
        return func.coalesce(func.sum(case((cond, col), else_=0)), 0)

    query = (
        select(*columns, func.count(EventIntention.id), func.coalesce(func.sum(EventIntention.amount), 0),
               n(state.in_(APPROVED_STATES)), amount(state.in_(APPROVED_STATES), Offer.amount),
               n(state == "disbursed"), amount(state == "disbursed", Lead.disbursed_amount),
               n(state == "declined"), n(state.in_(CLOSED_STATES)))
        .select_from(EventIntention)
        .join(Lead, Lead.id == EventIntention.lead_id)
        .outerjoin(Offer, Offer.lead_id == Lead.id)
        .join(Firm, Firm.id == EventIntention.firm_id)
        .outerjoin(Township, Township.id == Firm.township_id)
        .join(Bank, Bank.id == EventIntention.bank_id)
        .join(Product, Product.id == EventIntention.product_id)
        .join(MatchmakingEvent, MatchmakingEvent.id == EventIntention.event_id)
        .where(*where)
        .group_by(*columns)
        .order_by(*columns)
    )
    out = []
    k = len(columns)
    for row in session.execute(query):
        key = tuple(row[:k])
        count, intended, approved, approved_amount, disbursed, disbursed_amount, declined, closed = (
            int(v or 0) for v in row[k:])
        is_data = dimension != "industry" and not (dimension == "township" and not key[1])
        out.append(Figures(key, label(key), is_data, count, intended, approved, approved_amount, disbursed,
                           disbursed_amount, declined, count - approved - declined - closed, closed))
    return out


def total(rows: list[Figures], label: str = TOTAL) -> Figures:
    out = Figures(label=label, label_is_data=False)
    for r in rows:
        for name in ("count", "intended", "approved", "approved_amount", "disbursed", "disbursed_amount",
                     "declined", "open", "closed"):
            setattr(out, name, getattr(out, name) + getattr(r, name))
    return out


@dataclass
class EventReport:
    event: MatchmakingEvent
    attendance: Attendance
    totals: Figures
    by_bank: list[Figures]
    by_bank_product: list[Figures]
    decline_reasons: list[tuple[str, int]]
    rows: list[EventIntention] = field(default_factory=list)
    managers: dict[int, str] = field(default_factory=dict)


def event_report(session: Session, event: MatchmakingEvent, bank_id: int | None = None) -> EventReport:
    """The event's report, live from the leads (only one bank's intentions when `bank_id` is given)."""
    where = [EventIntention.event_id == event.id]
    if bank_id is not None:
        where.append(EventIntention.bank_id == bank_id)
    by_bank = summarise(session, "bank", *where)
    reasons = session.execute(
        select(Lead.decline_code, func.count()).join(EventIntention, EventIntention.lead_id == Lead.id)
        .where(*where, Lead.state == "declined").group_by(Lead.decline_code).order_by(func.count().desc())).all()
    rows = list(session.scalars(select(EventIntention).where(*where).order_by(EventIntention.id)))
    manager_ids = {r.lead.manager_id for r in rows if r.lead.manager_id}
    managers = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(manager_ids))).all()) \
        if manager_ids else {}
    return EventReport(
        event=event, attendance=attendance(session, event), totals=total(by_bank), by_bank=by_bank,
        by_bank_product=summarise(session, "bank_product", *where),
        decline_reasons=[(DECLINE_REASONS.get(code or "", (code or NO_REASON,))[0], n) for code, n in reasons],
        rows=rows, managers=managers)


def conversion(session: Session, dimension: str, year: int | None = None) -> list[Figures]:
    """District view: intention -> disbursement by township (the firm's), industry (the firm's) or bank."""
    where = []
    if year:
        where.append(func.extract("year", MatchmakingEvent.starts_at) == year)
    return summarise(session, dimension, *where)


# --- Excel ----------------------------------------------------------------------------------------------

def _wan(yuan: int | None):
    return None if yuan is None else float(Decimal(int(yuan)) / 10000)


FIGURE_HEADERS = [N_("意向数"), N_("意向金额（万元）"), N_("已审批"), N_("审批金额（万元）"), N_("已放款"),
                  N_("放款金额（万元）"), N_("已拒绝"), N_("办理中"), N_("已撤回/失效"), N_("笔数转化率%"),
                  N_("金额转化率%")]


def figure_cells(f: Figures) -> list:
    return [f.count, _wan(f.intended), f.approved, _wan(f.approved_amount), f.disbursed, _wan(f.disbursed_amount),
            f.declined, f.open, f.closed, float(f.conversion) if f.conversion is not None else None,
            float(f.amount_conversion) if f.amount_conversion is not None else None]


def report_xlsx(report: EventReport, locale: str | None = None) -> bytes:
    """The event report as an .xlsx in `locale` (None: Chinese): overview, by bank and product, each intention,
    decline reasons. Names (firms, banks, products, people) stay as stored."""
    _ = translator(locale)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": "#,##0.00"})
    event, a = report.event, report.attendance

    sheet = book.add_worksheet(_("概况"))
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 40)
    sheet.write(0, 0, event.title, bold)
    facts = [(N_("活动类型"), _(event.kind_label)), (N_("时间"), event.starts_at.strftime("%Y-%m-%d %H:%M")),
             (N_("地点"), event.venue), (N_("主办"), event.township.name if event.township else _("区金融监管局")),
             (N_("容量（家）"), event.capacity), (N_("受邀企业"), a.invited), (N_("报名企业"), a.accepted),
             (N_("不参加"), a.declined), (N_("实到企业"), a.attended), (N_("其中现场登记"), a.walk_ins),
             (N_("意向数"), report.totals.count), (N_("意向金额（万元）"), _wan(report.totals.intended)),
             (N_("已审批"), report.totals.approved), (N_("已放款"), report.totals.disbursed),
             (N_("放款金额（万元）"), _wan(report.totals.disbursed_amount)), (N_("已拒绝"), report.totals.declined),
             (N_("办理中"), report.totals.open)]
    for i, (name, value) in enumerate(facts, start=2):
        sheet.write(i, 0, _(name))
        sheet.write(i, 1, value, money if isinstance(value, float) else None)

    sheet = book.add_worksheet(_("按银行和产品"))
    sheet.set_column(0, 1, 24)
    sheet.set_column(2, 12, 11)
    sheet.write_row(0, 0, [_("银行"), _("产品"), *map(_, FIGURE_HEADERS)], head)
    for i, f in enumerate(report.by_bank_product, start=1):
        sheet.write_row(i, 0, [f.key[1], f.key[3], *figure_cells(f)])
    last = len(report.by_bank_product) + 1
    sheet.write_row(last, 0, [_(TOTAL), "", *figure_cells(report.totals)], bold)

    sheet = book.add_worksheet(_("意向明细"))
    sheet.set_column(0, 10, 14)
    sheet.set_column(1, 1, 30)
    sheet.write_row(0, 0, [_(h) for h in (N_("编号"), N_("企业"), N_("银行"), N_("产品"), N_("类型"),
                                          N_("意向金额（万元）"), N_("线索"), N_("状态"), N_("结果"), N_("拒绝原因"),
                                          N_("放款金额（万元）"), N_("客户经理"))], head)
    for i, r in enumerate(report.rows, start=1):
        lead = r.lead
        sheet.write_row(i, 0, [r.id, r.firm.name, r.bank.name, r.product.name, _(r.kind_label), _wan(r.amount),
                               lead.id, _(lead.state_label), _(OUTCOMES[outcome_of(lead.state)]),
                               _(lead.decline_label), _wan(lead.disbursed_amount),
                               report.managers.get(lead.manager_id, "")])

    sheet = book.add_worksheet(_("拒绝原因"))
    sheet.set_column(0, 0, 24)
    sheet.write_row(0, 0, [_("原因"), _("笔数")], head)
    for i, (label, n) in enumerate(report.decline_reasons, start=1):
        sheet.write_row(i, 0, [_(label), n])
    book.close()
    return buf.getvalue()
