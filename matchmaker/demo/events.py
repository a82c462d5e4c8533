"""Demo data for matchmaking events: three past events with invitations, check-ins, walk-ins and intentions at
every stage (one left stalled for the follow-up list), one today and two upcoming, all made through the domain."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.core.workdays import local_date
from ..domain.events import checkin as event_checkin
from ..domain.events import intentions as event_intentions
from ..domain.events import invitations as event_invitations
from ..domain.events import organising as events
from ..domain.requests import financing, leads
from ..models import Bank, EventIntention, Firm, MatchmakingEvent, Product, Township, User, utcnow
from ..models.base import clock_at
from .core import Clock, Story, work_lead

STAGES = ("disbursed", "approved", "declined", "in_review", "contacted", "claimed")


def _products(session: Session, banks: list[Bank]) -> list[int]:
    out = []
    for bank in banks:
        out += list(session.scalars(select(Product.id).where(Product.bank_id == bank.id, Product.active.is_(True))
                                    .order_by(Product.id).limit(2)))
    return out


def _event(session: Session, actor: User, banks: list[Bank], title: str, kind: str, at: datetime,
           capacity: int, industry: str | None = None, township_id: int | None = None) -> MatchmakingEvent:
    return events.create_event(
        session, actor, title=title, kind=kind, industry=industry,
        township_id=township_id if actor.role == "district" else actor.township_id, starts_at=at,
        venue="区政务服务中心多功能厅" if actor.role == "district" and township_id is None else "便民服务中心三楼会议室",
        capacity=capacity, description="银行现场推介产品，企业现场对接融资需求。", bank_ids=[b.id for b in banks],
        product_ids=_products(session, banks))


def _work(session: Session, intention: EventIntention, stage: str, officials: dict[int, User],
          rng: random.Random, story: Story) -> None:
    """Move an intention's lead along as its bank would, up to `stage`, over the working days after the event."""
    lead = intention.lead
    manager = session.get(User, lead.manager_id)

    def offer_terms():
        amount = max(10000, int(intention.amount * Decimal(rng.choice(["1", "0.8", "0.6"]))) // 10000 * 10000)
        return {"amount_yuan": amount, "rate_pct": Decimal("3.85"), "term_months": 12}

    offer = work_lead(session, manager, lead.id, stage, contact_note="已电话联系企业，约定上门调查",
                      offer_terms=offer_terms, story=story,
                      decline_code=lambda: rng.choice(["collateral", "credit_policy", "documents"]))
    if stage == "disbursed" and offer is not None and story.step(1, lambda: financing.accept_offer(
            session, officials[intention.firm.township_id], offer.id)):
        story.step(rng.choice([2, 3, 5]), lambda: leads.disburse(session, manager, lead.id, offer.amount,
                                                                 local_date(utcnow())))


def _hold(session: Session, event: MatchmakingEvent, organiser: User, firms: list[Firm], walk_in: Firm | None,
          managers: dict[int, User], officials: dict[int, User], rng: random.Random, stages: list[str],
          clock: Clock) -> None:
    """Invite (ten days before), reply, check in, register a walk-in and record one intention per stage on the
    event's day, then work the intentions' leads over the working days after it: each at its own moment."""
    day = event.starts_at.date()
    with clock_at(clock.at(day - timedelta(days=10), 10)):
        rows = event_invitations.send_invitations(session, organiser, event, [f.id for f in firms])
        for row in rows:
            row.state = rng.choice(["accepted", "accepted", "accepted", "declined", "invited"])
            row.responded_at = None if row.state == "invited" else row.invited_at + timedelta(days=rng.randint(1, 4))
    came = [r for r in rows if r.state == "accepted"]
    with clock_at(clock.at(day, 8, 40)):
        for row in came:
            event_checkin.check_in(session, organiser, event, row.id)
        if walk_in is not None:
            came.append(event_checkin.walk_in(session, organiser, event, walk_in.id))
    banks = [eb.bank for eb in event.banks]
    for stage, row in zip(stages, came):
        bank = rng.choice(banks)
        product = session.scalar(select(Product).where(Product.bank_id == bank.id, Product.active.is_(True))
                                 .order_by(Product.id).limit(1))
        with clock_at(clock.at(day, 11)):
            intention = event_intentions.record_intention(
                session, organiser, event, firm_id=row.firm_id, bank_id=bank.id, product_id=product.id,
                amount_yuan=rng.choice([100, 200, 300, 500, 800, 1000]) * 10000,
                kind=rng.choice(["signing", "contact"]), manager_id=managers[bank.id].id)
        _work(session, intention, stage, officials, rng, Story(session, clock, clock.at(day, 11)))


def build_demo(session: Session, rng: random.Random) -> None:
    """Past, today's and upcoming events for the demo's township and the district."""
    townships = session.scalars(select(Township).order_by(Township.id)).all()
    district = session.scalar(select(User).where(User.role == "district").order_by(User.id))
    officials = {u.township_id: u for u in session.scalars(select(User).where(User.role == "township")
                                                             .order_by(User.id))}
    managers = {u.bank_id: u for u in session.scalars(select(User).where(User.role == "bank_manager")
                                                      .order_by(User.id))}
    banks = [b for b in session.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq))
             if b.id in managers]
    if district is None or not townships or len(banks) < 4:
        return
    home, second = townships[0], townships[1]
    official = officials[home.id]

    def firms_of(township: Township | None = None, industry: str | None = None, n: int = 12) -> list[Firm]:
        query = select(Firm).order_by(Firm.id)
        if township is not None:
            query = query.where(Firm.township_id == township.id)
        if industry is not None:
            query = query.where(Firm.industry == industry)
        return list(session.scalars(query.limit(n)))

    today = events.local_today()
    at = lambda day, hour: datetime.combine(day, time(hour, 0))  # noqa: E731

    past = [
        (official, rng.sample(banks, 3), f"{home.name}银企对接会（第一期）", "township", None, home, 75,
         firms_of(home, n=12), ["disbursed", "disbursed", "approved", "declined", "contacted", "claimed"]),
        (district, rng.sample(banks, 4), "新材料产业银企对接专场", "industry", "new_materials", None, 40,
         firms_of(industry="new_materials", n=10), ["disbursed", "approved", "declined", "in_review"]),
        (officials[second.id], rng.sample(banks, 1), f"{second.name}首贷培植产品路演", "roadshow", None, second, 20,
         firms_of(second, n=8), ["disbursed", "claimed", "contacted"]),
    ]
    clock = Clock(session, rng)
    for organiser, event_banks, title, kind, industry, township, days_ago, invited, stages in past:
        day = clock.calendar.add_workdays(today - timedelta(days=days_ago + 1), 1)  # a working day
        with clock_at(clock.at(day - timedelta(days=20), 10)):
            event = _event(session, organiser, event_banks, title, kind, at(day, 9), 60, industry,
                           township.id if township else None)
        on_list = {f.id for f in invited}
        walk_in = next((f for f in firms_of(township, n=40) if f.id not in on_list), None) if township else None
        _hold(session, event, organiser, invited, walk_in, managers, officials, rng, stages, clock)

    today_event = _event(session, official, banks[:3], f"{home.name}银企面对面（今日）", "township",
                         at(today, 14), 30, None, home.id)
    rows = event_invitations.send_invitations(session, official, today_event, [f.id for f in firms_of(home, n=10)])
    for row in rows[:2]:
        event_checkin.check_in(session, official, today_event, row.id)

    # The showcase bank (manager17's) takes part in both upcoming events, whatever the demo's size.
    showcase = [b for b in banks if b.seq == 17]
    others = [b for b in banks if b.seq != 17]
    soon = _event(session, official, showcase + rng.sample(others, 3 - len(showcase)), f"{home.name}“首贷户”专场对接会", "township",
                  at(today + timedelta(days=7), 9), 40, None, home.id)
    first_loan = event_invitations.candidates(session, official, soon, event_invitations.InviteFilters(
        first_loan=True))[:15]
    demo_firm = firms_of(home, n=1)
    event_invitations.send_invitations(session, official, soon, [f.id for f in first_loan + demo_firm])
    _event(session, district, showcase + rng.sample(others, 5 - len(showcase)), "大健康医疗器械产业银企对接会", "industry",
           at(today + timedelta(days=14), 9), 80, "health_devices", None)
    session.flush()
