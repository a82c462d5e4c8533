"""The instruments as reference data, seeded from the policy (市中金稳办〔2021〕1号) and edited by the district
(each change in the history)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import User
from ...models.ledgers import Instrument
from ..core import locking
from ..core.changes import record_changes, record_event
from ..core.errors import DomainError, Forbidden, NotFound

YI, WAN = 100_000_000, 10_000
# code, name, kind, capital (元), leverage, fee rate %, longest days, terms
POLICY = [
    ("guarantee_gov", "区政府性融资担保公司", "guarantee", 2 * YI, Decimal("5"), Decimal("1.000"), None,
     "注册资本 2 亿元；在保余额不超过放大倍数 × 资本金（倍数由区里确定）；年担保费率 1%。"),
    ("bridge_district", "区级应急转贷平台", "bridge", 5000 * WAN, None, Decimal("0.010"), 15,
     "5,000 万元；仅用于企业到期贷款续贷的过桥，单笔最长 15 天，日费率 0.01%。"),
    ("bridge_private", "民营应急转贷公司", "bridge", 3000 * WAN, None, Decimal("0.020"), 15,
     "3,000 万元；续贷过桥，单笔最长 15 天，日费率 0.02%。"),
    ("fund_caihui", "枣庄财汇产业投资基金", "fund", 5 * YI, None, None, None,
     "5 亿元；股权投资，投后企业纳入上市后备资源库。"),
    ("fund_medical", "医疗器械产业发展基金", "fund", 3 * YI, None, None, None, "3 亿元；医疗器械产业股权投资。"),
    ("tbd", "投保贷联动", "tbd", 0, None, None, None, "银行 + 担保 + 创投 + 企业四方合作，按约定比例分担风险。"),
    ("risk_comp", "贷款风险奖补", "risk_comp", 0, None, None, None,
     "首贷、科创贷等符合条件贷款的损失按规定比例补偿；年度考核对银行给予奖励（资金规模由区财政确定）。"),
]
EDITABLE = ("name", "capital", "leverage", "fee_rate_pct", "max_days", "terms", "active")


def seed(session: Session) -> int:
    """Add the policy's instruments the database lacks (idempotent); returns how many were added."""
    have = set(session.scalars(select(Instrument.code)))
    added = 0
    for code, name, kind, capital, leverage, fee, days, terms in POLICY:
        if code not in have:
            session.add(Instrument(code=code, name=name, kind=kind, capital=capital, leverage=leverage,
                                   fee_rate_pct=fee, max_days=days, terms=terms, active=True))
            added += 1
    session.flush()
    return added


def all_instruments(session: Session) -> list[Instrument]:
    return list(session.scalars(select(Instrument).order_by(Instrument.id)))


def by_code(session: Session, code: str) -> Instrument:
    found = session.scalar(select(Instrument).where(Instrument.code == code))
    if found is None:
        seed(session)
        found = session.scalar(select(Instrument).where(Instrument.code == code))
    return found


def _values(inst: Instrument) -> dict:
    return {k: getattr(inst, k) for k in EDITABLE}


def update(session: Session, actor: User, instrument_id: int, **values) -> Instrument:
    """The district changes an instrument's capital, leverage, fee, term or wording (old → new in the history).
    Capital and leverage may not drop below what is already in use."""
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以修改政策工具")
    inst = session.get(Instrument, instrument_id)
    if inst is None:
        raise NotFound("政策工具不存在")
    locking.lock(session, inst)
    old = _values(inst)
    for key, value in values.items():
        if key not in EDITABLE:
            raise DomainError("不能修改 %(key)s", field=key, key=key)
        setattr(inst, key, value)
    if inst.capital is None or inst.capital < 0:
        raise DomainError("资本金/规模不能为负", field="capital")
    if inst.leverage is not None and not (Decimal("0") < inst.leverage <= Decimal("30")):
        raise DomainError("放大倍数须在 0–30 之间", field="leverage")
    from .entries import in_use

    used = in_use(session, inst.id)
    if inst.capacity and used > inst.capacity:
        raise DomainError("在用 %(used)s 元，超过修改后的额度 %(capacity)s 元", field="capital",
                          used=format(used, ","), capacity=format(inst.capacity, ","))
    record_changes(session, actor, "instrument", inst.id, old, _values(inst))
    return inst


def create_event(session: Session, actor: User | None, inst: Instrument) -> None:
    record_event(session, actor, "instrument", inst.id, "created", note=inst.name)
