"""When banks' monthly figures are due and who is late: the deadline in working days after the month, each bank's
status (on time, late, overdue, pending), a bank's last months, and reminders to the banks that have not reported."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Bank, MonthlyReport, Notification, User, utcnow
from ...text import N_
from ..core.access import get_allowed
from ..notify import notifications
from .monthly_reports import EARLIEST_MONTH, can_view, check_month, deadline_workdays, latest
from .periods import add_months, calendar, local_date, month_key


def deadline(session: Session, month: date) -> date:
    """The month's reporting deadline: the Nth working day of the following month (N is a setting)."""
    return _due(calendar(session), month, deadline_workdays(session))


def _due(cal, month: date, workdays: int) -> date:
    return cal.add_workdays(add_months(month, 1) - timedelta(days=1), workdays)


STATUS_LABELS = {"on_time": "按时报送", "late": "逾期报送", "overdue": "逾期未报", "pending": "待报送"}


@dataclass
class BankStatus:
    bank: Bank
    state: str
    first_at: datetime | None
    report: MonthlyReport | None
    version_count: int
    reminded_at: datetime | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.state]


def status(session: Session, month: date, today: date | None = None, link: str = "") -> tuple[date, list[BankStatus]]:
    """Each active bank's reporting status for `month`, and the deadline."""
    today = today or local_date(utcnow())
    due = deadline(session, month)
    firsts = dict(session.execute(select(MonthlyReport.bank_id, func.min(MonthlyReport.submitted_at))
                                  .where(MonthlyReport.month == month).group_by(MonthlyReport.bank_id)).all())
    counts = dict(session.execute(select(MonthlyReport.bank_id, func.count())
                                  .where(MonthlyReport.month == month).group_by(MonthlyReport.bank_id)).all())
    newest = latest(session, [month])
    reminded = last_reminders(session, link) if link else {}
    out = []
    for bank in session.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)):
        first = firsts.get(bank.id)
        out.append(BankStatus(bank, _state(first, due, today), first, newest.get((bank.id, month)),
                              counts.get(bank.id, 0),
                              reminded.get(bank.id)))
    return due, out


def last_reminders(session: Session, link: str) -> dict[int, datetime]:
    """When each bank's users were last reminded about the report at `link`."""
    rows = session.execute(select(User.bank_id, func.max(Notification.created_at)).join(
        User, User.id == Notification.user_id).where(Notification.kind == "report", Notification.link == link)
        .group_by(User.bank_id)).all()
    return {bank_id: at for bank_id, at in rows if bank_id is not None}


def remind(session: Session, month: date, link: str, bank_ids: list[int] | None = None,
           today: date | None = None) -> list[Bank]:
    """Remind the administrators of every bank that has not reported `month` (or of `bank_ids` among them);
    refuses a month that has not ended, which the banks cannot report yet."""
    today = today or local_date(utcnow())
    check_month(month, today)
    due, rows = status(session, month, today)
    missing = [r.bank for r in rows if r.report is None and (bank_ids is None or r.bank.id in bank_ids)]
    for bank in missing:
        admins = list(session.scalars(select(User.id).where(User.bank_id == bank.id, User.role == "bank_admin",
                                                            User.active.is_(True))))
        title = N_("请报送%(year)s年%(month)s月统计数据")
        body = N_("%(bank)s尚未报送%(year)s年%(month)s月月度统计数据，报送截止日为%(due)s。")
        params = {"year": month.year, "month": month.month, "bank": bank.name, "due": due.isoformat()}
        if admins:
            notifications.notify(session, "report", title, body=body, params=params, link=link, user_ids=admins)
        else:
            notifications.notify(session, "report", title, body=body, params=params, link=link, bank_id=bank.id)
    return missing


def bank_months(session: Session, bank_id: int, today: date, count: int = 24) -> list[dict]:
    """The bank's last `count` reportable months, newest first, with status and version count."""
    current = date(today.year, today.month, 1)
    months = [m for m in (add_months(current, -i) for i in range(1, count + 1)) if m >= EARLIEST_MONTH]
    newest = latest(session, months, [bank_id])
    firsts = {m: (n, at) for m, n, at in session.execute(
        select(MonthlyReport.month, func.count(), func.min(MonthlyReport.submitted_at))
        .where(MonthlyReport.bank_id == bank_id, MonthlyReport.month.in_(months)).group_by(MonthlyReport.month))}
    cal, workdays = calendar(session), deadline_workdays(session)
    out = []
    for m in months:
        due = _due(cal, m, workdays)
        count_, first = firsts.get(m, (0, None))
        state = _state(first, due, today)
        out.append({"month": m, "key": month_key(m), "report": newest.get((bank_id, m)), "versions": count_,
                    "deadline": due, "state": state, "label": STATUS_LABELS[state]})
    return out


def _state(first: datetime | None, due: date, today: date) -> str:
    if first is not None:
        return "on_time" if local_date(first) <= due else "late"
    return "overdue" if today > due else "pending"


def get_bank(session: Session, actor: User, bank_id: int) -> Bank:
    return get_allowed(session, Bank, bank_id, lambda bank: can_view(actor, bank.id), missing="银行不存在",
                       refused="无权查看该银行的报送数据")
