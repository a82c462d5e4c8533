"""Demo data for `matchmaker demo`: firms in every township, requests in every state worked by the banks,
and one account per role. Built through the same domain functions as real use, so history is real."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.accounts import users as accounts
from ..domain.core.workdays import local_date
from ..domain.firms.records import set_firm_name
from ..domain.firms.uscc import make as make_uscc
from ..domain.requests import financing, leads, routing
from ..domain.requests.sweep import sweep
from ..models import Bank, FinancingRequest, Firm, History, Lead, ProductKind, Township, User
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
                    founded_year=rng.randint(1995, 2024), has_bank_loan=rng.random() < 0.7,
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


def work_lead(session: Session, manager: User, lead_id: int, stage: str, *, decline_code, offer_terms,
              contact_note: str = ""):
    """Work a claimed lead as its bank would, up to `stage` (claimed, contacted, in_review, declined, or anything
    else = approved). `decline_code()` and `offer_terms()` are called only when needed. Returns the offer, if any."""
    if stage == "claimed":
        return None
    leads.record_contact(session, manager, lead_id, contact_note)
    if stage == "contacted":
        return None
    leads.start_review(session, manager, lead_id)
    if stage == "in_review":
        return None
    if stage == "declined":
        leads.decline(session, manager, lead_id, decline_code(), "")
        return None
    return leads.approve(session, manager, lead_id, **offer_terms())


def _advance(session: Session, lead: Lead, stage: str, managers: dict[int, User], rng: random.Random) -> None:
    """Work a lead as its bank would, up to `stage` ("expired" leaves it unclaimed for the sweep)."""
    if stage == "expired":
        return
    manager = managers[lead.bank_id]
    leads.claim(session, manager, lead.id)
    req = lead.request

    def offer_terms():
        amount = int(req.amount * rng.choice([1, 1, Decimal("0.8"), Decimal("0.6")])) // 10000 * 10000
        return {"amount_yuan": max(amount, 10000), "term_months": req.term_months,
                "rate_pct": Decimal(rng.choice(["3.45", "3.65", "3.85", "4.10", "4.35"]))}

    work_lead(session, manager, lead.id, stage, offer_terms=offer_terms, decline_code=lambda: rng.choice(
        ["collateral", "credit_record", "credit_policy", "over_capacity", "documents", "unreachable"]))


def make_requests(session: Session, firms: list[Firm], count: int, rng: random.Random,
                  on_behalf: dict[int, User], firm_user: User, tick=lambda: None) -> None:
    kinds = [k.code for k in session.scalars(select(ProductKind))]
    managers = {u.bank_id: u for u in session.scalars(select(User).where(User.role == "bank_manager"))}
    ctx = routing.load_context(session)
    outcomes = (["draft"] * 3 + ["routed"] * 6 + ["claimed"] * 3 + ["contacted"] * 3 + ["in_review"] * 3
                + ["offered"] * 4 + ["accepted"] * 3 + ["disbursed"] * 2 + ["funded"] * 8 + ["declined"] * 3
                + ["withdrawn"] * 1)
    for i in range(count):
        tick()
        firm = firms[0] if i < 6 else rng.choice(firms)
        actor = firm_user if firm.id == firm_user.firm_id else on_behalf[firm.township_id]
        outcome = rng.choice(outcomes)
        amount_wan = rng.choice([20, 50, 80, 100, 150, 200, 300, 500, 800, 1000, 2000, 3000])
        req = financing.file_request(
            session, actor, firm, amount_yuan=amount_wan * 10000, term_months=rng.choice([3, 6, 12, 12, 24, 36]),
            purpose=rng.choice(PURPOSES), collateral=rng.choice(["none", "property", "equipment", "guarantee",
                                                                  "receivables", "patent"]),
            products_of_interest=rng.sample(kinds, rng.randint(0, 2)), submit=outcome != "draft")
        if req.state != "routed":
            continue
        ctx = routing.load_context(session) if i % 50 == 0 else ctx
        first, *others = req.leads
        if outcome == "routed":
            continue
        if outcome == "withdrawn":
            financing.withdraw(session, actor, req.id)
            continue
        stage = {"offered": "approved", "accepted": "approved", "disbursed": "approved", "funded": "approved"}.get(
            outcome, outcome)
        _advance(session, first, stage, managers, rng)
        for other in others:
            _advance(session, other, rng.choice(["claimed", "declined", "in_review", "expired"]), managers, rng)
        if outcome in ("accepted", "disbursed", "funded") and first.offer is not None:
            financing.accept_offer(session, actor, first.offer.id)
            if outcome in ("disbursed", "funded"):
                leads.disburse(session, managers[first.bank_id], first.id, first.offer.amount,
                               local_date())  # _spread_in_time moves it back with the story
            if outcome == "funded":
                financing.confirm_funded(session, actor, req.id)
        _spread_in_time(session, req, rng.randint(0, 170), rng)


def _spread_in_time(session: Session, req: FinancingRequest, days_ago: int,
                    rng: random.Random | None = None) -> None:
    """Move a request's timestamps back so the demo covers half a year, and give each bank step a realistic pace:
    the claim hours to a few days after routing (now and then past the deadline), contact and the decision days
    later. Each timestamp moves back by `days_ago` and on by the lags of the steps that came before it, so the
    story, the history and the figures stay in order and nothing lands in the future."""
    if days_ago == 0:
        return
    delta = timedelta(days=days_ago)
    session.flush()
    rng = rng or random.Random(req.id)
    first = req.leads[0] if req.leads else None
    steps = []  # (original time of a step, lag added to everything at or after it)
    if first is not None and days_ago > 2:
        budget = delta - timedelta(hours=2)
        for original, lag in ((first.claimed_at, timedelta(hours=rng.choice([2, 4, 6, 20, 30, 44, 70, 100]))),
                              (first.contacted_at, timedelta(hours=rng.choice([3, 8, 24, 48, 72]))),
                              (first.decided_at, timedelta(days=rng.choice([1, 2, 3, 5, 8])))):
            if original is None or lag > budget:
                break
            steps.append((original, lag))
            budget -= lag

    def moved(t: datetime) -> datetime:
        return t - delta + sum((lag for original, lag in steps if t >= original), timedelta())

    for attr in ("created_at", "submitted_at", "updated_at"):
        if getattr(req, attr):
            setattr(req, attr, moved(getattr(req, attr)))
    for lead in req.leads:
        for attr in ("created_at", "claimed_at", "contacted_at", "decided_at"):
            if getattr(lead, attr):
                setattr(lead, attr, moved(getattr(lead, attr)))
        if lead.claim_deadline:
            lead.claim_deadline -= delta
        if lead.offer:
            lead.offer.created_at = moved(lead.offer.created_at)
        if lead.disbursed_at:
            earliest = lead.decided_at.date() if lead.decided_at else lead.disbursed_at
            latest = date.today() - timedelta(days=max(0, days_ago - 10))
            lead.disbursed_at = max(earliest, min(lead.disbursed_at, latest))
    for h in session.scalars(select(History).where(History.request_id == req.id)):
        h.at = moved(h.at)


def build(session: Session, firms: int = 200, requests: int = 300, seed: int = 2021,
          progress=None) -> list[DemoAccount]:
    """Populate a seeded database with demo firms, requests and accounts; returns the demo accounts.
    `progress(n)` is called once per request and once per feature builder (for a progress bar)."""
    rng = random.Random(seed)
    firm_rows = make_firms(session, firms, rng)
    demo_accounts = make_accounts(session, firm_rows[0])
    session.flush()
    on_behalf = {u.township_id: u for u in session.scalars(select(User).where(User.role == "township"))}
    firm_user = session.scalar(select(User).where(User.username == "firm"))
    tick = (lambda: progress(1)) if progress else (lambda: None)
    make_requests(session, firm_rows, requests, rng, on_behalf, firm_user, tick)
    session.flush()
    for builder in extra_builders():
        tick()
        builder(session, random.Random(seed))
        session.flush()
    return demo_accounts


# Feature modules add their demo data here: "module:function", each called as function(session, rng).
EXTRA_BUILDERS: list[str] = [
    "matchmaker.demo.whitelists:build_demo",
    "matchmaker.demo.products:build_demo",
    "matchmaker.demo.core:sweep_demo",
    "matchmaker.demo.events:build_demo",
    "matchmaker.demo.outcomes:build_demo",
    "matchmaker.demo.portrait:build_demo",
    "matchmaker.demo.ledgers:build_demo",
    "matchmaker.demo.reports:build_demo",  # last: its bulletins are issued from everyone's data
]


def extra_builders():
    import importlib

    for spec in EXTRA_BUILDERS:
        module, func = spec.split(":")
        yield getattr(importlib.import_module(module), func)



def sweep_demo(session: Session, rng) -> None:
    """Run the clocks once over the demo's half-year of requests: old unclaimed leads expire and move on, old
    claimed leads are escalated (so the overdue list has content)."""
    sweep(session, commit=False)
