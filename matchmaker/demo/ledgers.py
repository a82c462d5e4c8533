"""Demo ledger activity 2021–2026, through the same domain functions as real use: guarantees issued to the
demo's firms through their banks (most released at maturity, some compensated and partly recovered), bridge
money drawn and repaid month after month (it revolves; one loan overdue), fund investments in firms of the
listing reserve pool (some exited), 投保贷 deals and risk compensation claims and annual rewards. Referrals the
outcomes demo resolved "获得担保"/"使用转贷资金" already opened their entries."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.ledgers import entries
from ..domain.ledgers.instruments import seed
from ..models import Bank, Firm, Instrument, ListingCandidate, User

WAN = 10_000
START, END = date(2021, 3, 1), date(2026, 10, 31)


def _day(rng: random.Random, first: date = START, last: date = END) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def build_demo(session: Session, rng: random.Random) -> None:
    seed(session)
    district = session.scalar(select(User).where(User.role == "district").order_by(User.id))
    inst = {i.code: i for i in session.scalars(select(Instrument))}
    firms = list(session.scalars(select(Firm).order_by(Firm.id)))
    banks = list(session.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)))
    if not firms or not banks:
        return
    _guarantees(session, rng, district, inst["guarantee_gov"], firms, banks)
    for code in ("bridge_district", "bridge_private"):
        _bridge(session, rng, district, inst[code], firms, banks)
    _funds(session, rng, district, inst, firms)
    _tbd(session, rng, district, inst["tbd"], firms, banks)
    _risk(session, rng, district, inst["risk_comp"], firms, banks)


def _guarantees(session, rng, actor, g, firms, banks) -> None:
    today = END
    for _ in range(60):
        issued = _day(rng)
        case = entries.open_case(session, actor, g, "issued", rng.randint(10, 100) * 10 * WAN, issued,
                                 firm_id=rng.choice(firms).id, bank_id=rng.choice(banks).id, term_days=365,
                                 note="政府性融资担保")
        due = issued + timedelta(days=365)
        if due > today:
            continue  # still in force
        if rng.random() < 0.08:
            part = case.amount * rng.randint(3, 10) // 10
            entries.follow(session, actor, case.id, "compensated", part, due + timedelta(days=rng.randint(1, 30)),
                           "企业到期未能还款，担保公司代偿")
            if case.amount > part:
                entries.follow(session, actor, case.id, "released", case.amount - part, due, "其余部分解除")
            if rng.random() < 0.7:
                entries.follow(session, actor, case.id, "recovered", part * rng.randint(2, 6) // 10,
                               due + timedelta(days=rng.randint(60, 300)), "追偿收回")
        else:
            entries.follow(session, actor, case.id, "released", case.amount, due, "到期还款，担保解除")


def _bridge(session, rng, actor, b, firms, banks) -> None:
    day = START + timedelta(days=rng.randint(0, 20))
    while day < END - timedelta(days=30):
        amount = min(b.capacity, rng.randint(10, 150) * 10 * WAN)
        days = rng.randint(3, b.max_days or 15)
        renewal = rng.choice(firms)
        case = entries.open_case(session, actor, b, "drawn", amount, day, firm_id=renewal.id,
                                 bank_id=rng.choice(banks).id, term_days=days, note="到期贷款续贷过桥")
        entries.follow(session, actor, case.id, "repaid", amount, day + timedelta(days=days), "银行续贷放款后归还")
        day += timedelta(days=rng.randint(6, 25))
    late = entries.open_case(session, actor, b, "drawn", 200 * WAN, END - timedelta(days=25),
                             firm_id=rng.choice(firms).id, bank_id=rng.choice(banks).id, term_days=10,
                             note="到期贷款续贷过桥")
    entries.follow(session, actor, late.id, "overdue", 0, END - timedelta(days=14), "银行续贷未按期发放")


def _funds(session, rng, actor, inst, firms) -> None:
    pool = [c.firm_id for c in session.scalars(select(ListingCandidate).where(ListingCandidate.firm_id.is_not(None)))]
    targets = pool or [f.id for f in firms[:12]]
    for i, firm_id in enumerate(targets[:14]):
        fund = inst["fund_medical"] if i % 3 == 0 else inst["fund_caihui"]
        made = entries.open_case(session, actor, fund, "invested", rng.randint(5, 40) * 100 * WAN, _day(rng),
                                 firm_id=firm_id, stage=rng.choice(["early", "growth", "mature", "pre_ipo"]),
                                 note="上市后备资源库企业股权投资")
        if made.on_date < date(2024, 1, 1) and rng.random() < 0.3:
            entries.follow(session, actor, made.id, "exited", made.amount, _day(rng, date(2025, 1, 1)), "股权转让退出")


def _tbd(session, rng, actor, t, firms, banks) -> None:
    for _ in range(4):
        firm, bank = rng.choice(firms), rng.choice(banks)
        parties = [{"role": "bank", "name": bank.name, "share_pct": 50},
                   {"role": "guarantor", "name": "区政府性融资担保公司", "share_pct": 30},
                   {"role": "investor", "name": "枣庄财汇产业投资基金", "share_pct": 15},
                   {"role": "firm", "name": firm.name, "share_pct": 5}]
        entries.open_case(session, actor, t, "deal", rng.randint(5, 30) * 100 * WAN, _day(rng, date(2022, 1, 1)),
                          firm_id=firm.id, bank_id=bank.id, parties=parties, note="投保贷联动")


def _risk(session, rng, actor, r, firms, banks) -> None:
    for _ in range(6):
        claim = entries.open_case(session, actor, r, "claimed", rng.randint(5, 50) * 10 * WAN,
                                  _day(rng, date(2022, 1, 1), date(2026, 6, 30)), firm_id=rng.choice(firms).id,
                                  bank_id=rng.choice(banks).id, note="首贷损失补偿申请")
        if rng.random() < 0.8:
            entries.follow(session, actor, claim.id, "reviewed", 0, claim.on_date + timedelta(days=20), "符合条件")
            entries.follow(session, actor, claim.id, "paid", claim.amount // 2, claim.on_date + timedelta(days=45),
                           "按 50% 补偿")
        else:
            entries.follow(session, actor, claim.id, "rejected", 0, claim.on_date + timedelta(days=20), "不属于首贷")
    for year in range(2022, 2026):
        for bank in rng.sample(banks, min(3, len(banks))):
            entries.open_case(session, actor, r, "reward", rng.randint(5, 20) * WAN, date(year + 1, 3, 15),
                              bank_id=bank.id, note=f"{year}年度考核奖励")
