"""Demo data for `matchmaker demo`: firms in every township, requests in every state worked by the banks,
and one account per role. Built through the same domain functions as real use, so history is real."""
from __future__ import annotations

import gc
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.accounts import users as accounts
from ..domain.core.workdays import load_calendar, local_date, local_midnight_utc
from ..domain.firms.records import set_firm_name
from ..domain.firms.uscc import make as make_uscc
from ..domain.requests import financing, leads, routing
from ..domain.requests.sweep import sweep
from ..models import Bank, FinancingRequest, Firm, Lead, ProductKind, Township, User, utcnow
from ..models.base import clock_at
from .names import unique_company_names

DEMO_PASSWORD = "demo-2026-pass"
PURPOSES = ["购买原材料", "设备更新改造", "技术改造项目建设", "到期贷款续贷", "扩大生产线", "支付工程款",
            "研发投入", "补充流动资金", "新建厂房", "土地整治项目", "采购环保设备", "拓展销售渠道"]


@dataclass
class DemoAccount:
    username: str
    role: str
    note: str


def _uscc_for(rng: random.Random, rural: bool = False) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    prefix = "N2" if rural else rng.choice(["91", "92", "93"])
    body = prefix + "370402" + "".join(rng.choice(alphabet) for _ in range(9))
    return make_uscc(body)


def make_firms(session: Session, count: int, rng: random.Random) -> list[Firm]:
    townships = session.scalars(select(Township).order_by(Township.id)).all()
    firms = []
    used: set[str] = set()
    for i, (name, industry) in enumerate(unique_company_names(count, seed=rng.randint(0, 10**6))):
        rural = industry == "agriculture" and rng.random() < 0.5
        code = _uscc_for(rng, rural)
        while code in used:
            code = _uscc_for(rng, rural)
        used.add(code)
        firm = Firm(uscc=code, township_id=townships[i % len(townships)].id, industry=industry,
                    size=rng.choice(["micro", "small", "small", "medium", "large"]),
                    founded_year=rng.randint(1995, 2024), has_bank_loan=rng.random() < 0.55,
                    tax_credit_grade=rng.choice(["A", "A", "B", "M", None]),
                    contact_person=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["经理", "总", "会计", "主任"]),
                    contact_phone=f"13{rng.randint(100000000, 999999999)}")
        set_firm_name(firm, name)
        session.add(firm)
        firms.append(firm)
    session.flush()
    return firms


def make_accounts(session: Session, firm: Firm) -> list[DemoAccount]:
    banks = session.scalars(select(Bank).order_by(Bank.seq)).all()
    townships = session.scalars(select(Township).order_by(Township.id)).all()
    out = []
    shared_hash = None  # argon2 is slow on purpose: hash the one demo password once, not once per account

    def add(username, role, note, **kw):
        nonlocal shared_hash
        if shared_hash is None:
            shared_hash = accounts.create_user(session, username, DEMO_PASSWORD, role, **kw).password_hash
        else:
            session.add(User(username=username, password_hash=shared_hash, role=role, **kw))
        out.append(DemoAccount(username, role, note))

    add("district", "district", "区地方金融监管局", display_name="区金融监管局 王科长")
    add("township", "township", townships[0].name, display_name=f"{townships[0].name} 李主任", township_id=townships[0].id)
    add("firm", "enterprise", firm.name, display_name=firm.contact_person, firm_id=firm.id)
    for bank in banks:
        add(f"manager{bank.seq}", "bank_manager", bank.name, display_name=f"{bank.name}客户经理", bank_id=bank.id)
        add(f"bankadmin{bank.seq}", "bank_admin", bank.name, display_name=f"{bank.name}管理员", bank_id=bank.id)
    for t in townships[1:]:
        add(f"township-{t.code}", "township", t.name, display_name=f"{t.name}金融辅导队", township_id=t.id)
    return out


class Clock:
    """The demo's story time: moments on Beijing working days, from the policy's first month to just before now.
    Each step of the story runs under `clock_at(moment)`, so the domain functions stamp it as they insert it."""

    def __init__(self, session: Session, rng: random.Random):
        self.calendar = load_calendar(session)
        self.rng = rng
        self.now = utcnow() - timedelta(minutes=5)
        self.today = local_date(self.now)

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        """A naive-UTC moment at `hour:minute` Beijing time on `day`."""
        return local_midnight_utc(day) + timedelta(hours=hour, minutes=minute)

    def office(self, day: date) -> datetime:
        return self.at(day, self.rng.randint(9, 16), self.rng.randint(0, 59))

    def workdays_after(self, moment: datetime, days: int) -> datetime:
        """Office hours `days` working days after `moment` (0: later the same day, or the next working day)."""
        day = local_date(moment)
        if days == 0:
            later = moment + timedelta(hours=self.rng.randint(1, 4), minutes=self.rng.randint(0, 59))
            if self.calendar.is_workday(day) and later < self.at(day, 18):
                return later
            days = 1
        return self.office(self.calendar.add_workdays(day, days))

    def working_days(self, first: date, last: date) -> list[date]:
        days, d = [], first
        while d <= last:
            if self.calendar.is_workday(d):
                days.append(d)
            d += timedelta(days=1)
        return days

    def months(self) -> list[date]:
        """Every month from the policy's start (2021-01) to the current one."""
        out, m = [], STORY_START
        while m <= self.today.replace(day=1):
            out.append(m)
            m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
        return out


STORY_START = date(2021, 1, 1)
# Working days from routing to the claim (the deadline is 2): now and then a bank is late.
CLAIM_LAG = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 4]


class Story:
    """Steps of a lead's life, each at its own moment, stopping at the first one that would lie in the future."""

    def __init__(self, session: Session, clock: Clock, start: datetime, fast: bool = False):
        self.session, self.clock, self.t, self.fast = session, clock, start, fast

    def step(self, workdays: int, action) -> bool:
        """Run `action()` `workdays` working days after the previous step (under the clock; at most one when the
        story is `fast`); False if too late."""
        moment = self.clock.workdays_after(self.t, min(workdays, 1) if self.fast else workdays)
        if moment > self.clock.now:
            return False
        with clock_at(moment):
            action()
            self.session.flush()  # its writes carry its moment (updated_at too), not that of whichever step flushes next
        self.t = moment
        return True


def work_lead(session: Session, manager: User, lead_id: int, stage: str, *, decline_code, offer_terms,
              contact_note: str = "", story: Story | None = None):
    """Work a claimed lead as its bank would, up to `stage` (claimed, contacted, in_review, declined, or anything
    else = approved), each step a few working days after the last on the `story`'s clock (at once without one).
    `decline_code()` and `offer_terms()` are called only when needed. Returns the offer, if any."""
    rng = story.clock.rng if story else None
    done: dict = {}

    def step(days_choices, action) -> bool:
        if story is None:
            action()
            return True
        return story.step(rng.choice(days_choices), action)

    if stage == "claimed":
        return None
    if not step([0, 1, 1, 2], lambda: leads.record_contact(session, manager, lead_id, contact_note)) \
            or stage == "contacted":
        return None
    if not step([1, 2, 3], lambda: leads.start_review(session, manager, lead_id)) or stage == "in_review":
        return None
    if stage == "declined":
        step([2, 3, 5], lambda: leads.decline(session, manager, lead_id, decline_code(), ""))
        return None
    step([2, 3, 5, 8], lambda: done.setdefault("offer", leads.approve(session, manager, lead_id, **offer_terms())))
    return done.get("offer")


def _advance(session: Session, lead: Lead, stage: str, managers: dict[int, User], rng: random.Random,
             story: Story) -> None:
    """Work a lead as its bank would, up to `stage` ("expired" leaves it unclaimed for the sweep)."""
    if stage == "expired":
        return
    manager = managers[lead.bank_id]
    if not story.step(rng.choice(CLAIM_LAG), lambda: leads.claim(session, manager, lead.id)):
        return
    req = lead.request

    def offer_terms():
        amount = int(req.amount * rng.choice([1, 1, Decimal("0.8"), Decimal("0.6")])) // 10000 * 10000
        return {"amount_yuan": max(amount, 10000), "term_months": req.term_months,
                "rate_pct": Decimal(rng.choice(["3.45", "3.65", "3.85", "4.10", "4.35"]))}

    work_lead(session, manager, lead.id, stage, offer_terms=offer_terms, story=story, decline_code=lambda: rng.choice(
        ["collateral", "credit_record", "credit_policy", "over_capacity", "documents", "unreachable"]))


OUTCOMES = (["draft"] * 3 + ["routed"] * 6 + ["claimed"] * 3 + ["contacted"] * 3 + ["in_review"] * 3
            + ["offered"] * 4 + ["accepted"] * 3 + ["disbursed"] * 2 + ["funded"] * 8 + ["declined"] * 3
            + ["withdrawn"] * 1)
SETTLED = [o for o in OUTCOMES if o not in ("draft", "routed")]  # older requests no longer wait for anyone


def _per_month(months: list[date], count: int, rng: random.Random) -> list[int]:
    """How many requests each month gets: use of the platform grows over the years (most of the rest falls in
    the last year, the months people look at first) and varies month to month. Every month has some when there
    are enough requests: the last three five at least (a first loan, a decline and requests still under way in
    every state), the nine before three, older months one (a first loan: claims, decisions and a first loan in
    every bulletin)."""
    weights = [(1 + 0.05 * i) ** 3 for i in range(len(months))]
    floors = [5 if i >= len(months) - 3 else 3 if i >= len(months) - 12 else 1 for i in range(len(months))]
    if count < sum(floors):
        floors = [0] * len(months)
    shares = list(floors)
    for i in rng.choices(range(len(months)), weights=weights, k=count - sum(floors)):
        shares[i] += 1
    return shares


def make_requests(session: Session, firms: list[Firm], count: int, rng: random.Random,
                  on_behalf: dict[int, User], firm_user: User, tick=lambda: None) -> None:
    """`count` requests from 2021-01 to today, each filed on a working day and worked by the banks step by step
    over the working days after it (claims mostly within the 2-day deadline, some late, decisions days later);
    the clocks are swept at the end of every month, so unclaimed leads expire and move on when they would have."""
    kinds = [k.code for k in session.scalars(select(ProductKind))]
    managers = {u.bank_id: u for u in session.scalars(select(User).where(User.role == "bank_manager"))}
    clock = Clock(session, rng)
    months = clock.months()
    no_loan = [f for f in firms[1:] if not f.has_bank_loan]  # first-loan candidates, one month's first loan each
    rng.shuffle(no_loan)
    demo_firm_requests = 0
    unseen = sorted(set(OUTCOMES), reverse=True)  # the recent months show every state before drawing at random
    # The white lists were all loaded before the first request and stay as they are: read once, not per request.
    on_lists = routing.firm_whitelist_kinds(session)
    whitelist_kinds = {f.id: on_lists.get(f.id, frozenset()) for f in firms}
    verified_grades = routing.firm_verified_grades(session)
    for index, (month, n) in enumerate(zip(months, _per_month(months, count, rng))):
        last = min(date(month.year + month.month // 12, month.month % 12 + 1, 1) - timedelta(days=1), clock.today)
        days = clock.working_days(month, last) or [month]
        recent = index >= len(months) - 3
        # The month's first loan is filed in its first days and moves briskly, so even last month's is paid out.
        filed = sorted(clock.office(rng.choice(days[1:] or days)) for _ in range(n - 1)) + [clock.office(days[0])]
        filed = filed[-1:] + filed[:-1] if n else []
        first_loan_done = declined_done = False
        if month.month % 3 == 1 or index == 0:  # a routing context a quarter: reloading it per day costs seconds
            with clock_at(clock.at(days[0], 8)):
                ctx = routing.load_context(session, days[0])
                ctx.whitelist_kinds, ctx.verified_grades = whitelist_kinds, verified_grades
        for slot, moment in enumerate(filed):
            tick()
            if moment > clock.now:
                moment = clock.now - timedelta(hours=1)
            firm = rng.choice(firms)
            fast = False
            while no_loan and no_loan[-1].has_bank_loan:  # got a loan meanwhile through an ordinary request
                no_loan.pop()
            if not first_loan_done and no_loan and slot < 4:  # a first loan each month; try again if unmatched
                outcome, firm, fast = "funded", no_loan.pop(), True
            elif not declined_done:
                outcome, declined_done = "declined", True
            else:
                outcome = (unseen.pop() if unseen else rng.choice(OUTCOMES)) if recent else rng.choice(SETTLED)
                if demo_firm_requests < 6:  # the demo enterprise account's six requests, whatever the demo's size
                    firm, demo_firm_requests = firms[0], demo_firm_requests + 1
            req = _one_request(session, firm, moment, outcome, rng, kinds, managers, on_behalf, firm_user, clock,
                               ctx, fast)
            first_loan_done = first_loan_done or (fast and any(lead.state == "disbursed" for lead in req.leads))
            retries = 0
            # no product fits this first-loan firm (it is referred on): the next one applies, up to three
            while fast and not req.leads and no_loan and retries < 3:
                retries += 1
                req = _one_request(session, no_loan.pop(), moment + timedelta(minutes=30 * retries), outcome, rng,
                                   kinds, managers, on_behalf, firm_user, clock, ctx, fast)
                first_loan_done = any(lead.state == "disbursed" for lead in req.leads)
        sweep_at = clock.at(last, 19)
        # The clocks run at each quarter's end, and every month of the last half-year (the lists people look at).
        if sweep_at < clock.now and (month.month % 3 == 0 or (clock.today - month).days < 190):
            with clock_at(sweep_at):
                sweep(session, sweep_at, commit=False)


def _one_request(session: Session, firm: Firm, moment: datetime, outcome: str, rng: random.Random, kinds: list[str],
                 managers: dict[int, User], on_behalf: dict[int, User], firm_user: User, clock: Clock,
                 ctx: routing.RoutingContext, fast: bool = False) -> FinancingRequest:
    actor = firm_user if firm.id == firm_user.firm_id else on_behalf[firm.township_id]
    amount_wan = rng.choice([20, 50, 80, 100, 150, 200, 300, 500, 800, 1000, 2000, 3000])
    if fast:  # a first loan: a small firm's first credit, within what the products lend to such firms
        amount_wan = rng.choice([20, 30, 50, 80, 100])
    with clock_at(moment):
        req = financing.file_request(
            session, actor, firm, amount_yuan=amount_wan * 10000, term_months=rng.choice([3, 6, 12, 12, 24, 36]),
            purpose=rng.choice(PURPOSES), collateral=rng.choice(["none", "property", "equipment", "guarantee",
                                                                  "receivables", "patent"]),
            products_of_interest=rng.sample(kinds, rng.randint(0, 2)), submit=outcome != "draft",
            today=local_date(moment), ctx=ctx)
    if req.state != "routed" or outcome == "routed":
        return req
    first, *others = req.leads
    story = Story(session, clock, moment, fast)
    if outcome == "withdrawn":
        story.step(rng.choice([1, 2, 3]), lambda: financing.withdraw(session, actor, req.id))
        return req
    stage = {"offered": "approved", "accepted": "approved", "disbursed": "approved", "funded": "approved"}.get(
        outcome, outcome)
    _advance(session, first, stage, managers, rng, story)
    for other in others:
        _advance(session, other, rng.choice(["claimed", "declined", "in_review", "expired"]), managers, rng,
                 Story(session, clock, moment))
    if outcome not in ("accepted", "disbursed", "funded") or first.offer is None:
        return req
    if not story.step(rng.choice([0, 1, 2]), lambda: financing.accept_offer(session, actor, first.offer.id)):
        return req
    if outcome in ("disbursed", "funded") and story.step(rng.choice([2, 3, 5, 8]), lambda: leads.disburse(
            session, managers[first.bank_id], first.id, first.offer.amount, local_date(utcnow()))):
        if outcome == "funded":
            story.step(rng.choice([0, 1, 2]), lambda: financing.confirm_funded(session, actor, req.id))
    return req


def build(session: Session, firms: int = 200, requests: int = 120, seed: int = 2021,
          progress=None, phases=None) -> list[DemoAccount]:
    """Populate a seeded database with demo firms, requests and accounts; returns the demo accounts.
    `progress(n)` is called once per request and once per feature builder (for a progress bar); `phases` (a
    scale.Progress) is told each phase as it starts, for a bar per phase.
    The story runs in time order: firms and accounts at the end of 2020, the white lists, product rules and the
    banks' monthly reports before any request is routed (so routing sees them), then five years of requests."""
    with _fewer_gc_passes():
        return _build(session, firms, requests, seed, progress, phases)


@contextmanager
def _fewer_gc_passes():
    """The build keeps tens of thousands of ORM objects alive in its session; with the default threshold the
    cyclic collector walks them over a thousand times (7 % of the build). Collect less often while it runs."""
    before = gc.get_threshold()
    gc.freeze()  # what exists already (the app's modules, the seed) is not walked again
    gc.set_threshold(max(before[0], 20000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _build(session: Session, firms: int, requests: int, seed: int, progress, phases) -> list[DemoAccount]:
    rng = random.Random(seed)

    def tick():
        if progress:
            progress(1)
        if phases:
            phases.advance(1)

    def phase(label: str, total: int) -> None:
        if phases:
            phases.phase(label, total)

    phase("企业与账户", 1)
    with clock_at(local_midnight_utc(date(2020, 12, 1)) + timedelta(hours=9)):
        firm_rows = make_firms(session, firms, rng)
        demo_accounts = make_accounts(session, firm_rows[0])
        session.flush()
    if phases:
        phases.advance(1)
    phase("白名单、产品、月报", len(PREPARE_BUILDERS))
    for builder in extra_builders(PREPARE_BUILDERS):  # each sets its own moments
        builder(session, random.Random(seed))
        session.flush()
        tick()
    on_behalf = {u.township_id: u for u in session.scalars(select(User).where(User.role == "township"))}
    firm_user = session.scalar(select(User).where(User.username == "firm"))
    phase("需求（2021 年起）", requests)
    make_requests(session, firm_rows, requests, rng, on_behalf, firm_user, tick)
    session.flush()
    phase("对接会、评价、通报", len(EXTRA_BUILDERS))
    for builder in extra_builders(EXTRA_BUILDERS):
        builder(session, random.Random(seed))
        session.flush()
        tick()
    return demo_accounts


# Built before the first request is routed (white lists give routing's white-list points; the reports its
# target gap). Each called as function(session, rng).
PREPARE_BUILDERS: list[str] = [
    "matchmaker.demo.whitelists:build_demo",
    "matchmaker.demo.products:build_demo",
    "matchmaker.demo.reports:build_data",
]
# Feature modules add their demo data here: "module:function", each called as function(session, rng).
EXTRA_BUILDERS: list[str] = [
    "matchmaker.demo.core:sweep_demo",
    "matchmaker.demo.events:build_demo",
    "matchmaker.demo.outcomes:build_demo",
    "matchmaker.demo.portrait:build_demo",
    "matchmaker.demo.ledgers:build_demo",
    "matchmaker.demo.reports:build_demo",  # last: its bulletins are issued from everyone's data
]


def builder_count() -> int:
    """Feature builders run by `build` (one progress tick each)."""
    return len(PREPARE_BUILDERS) + len(EXTRA_BUILDERS)


def extra_builders(specs: list[str] | None = None):
    import importlib

    for spec in (EXTRA_BUILDERS if specs is None else specs):
        module, func = spec.split(":")
        yield getattr(importlib.import_module(module), func)


def sweep_demo(session: Session, rng) -> None:
    """Run the clocks once more now, after the story's monthly sweeps: recent unclaimed leads past their deadline
    expire and move on, claimed leads with no contact are escalated (so the overdue list has content)."""
    sweep(session, commit=False)
