"""Helpers for the matchmaking-event tests: a known set of firms and an event made through the domain."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from matchmaker.domain.events import organising as events
from matchmaker.models import EventInvitation, Product

from . import factories


def product_of(db, bank) -> Product:
    return db.scalar(select(Product).where(Product.bank_id == bank.id, Product.active.is_(True)).order_by(Product.id))


def make_event(db, actor, *, banks=(), days_from_today: int = 0, capacity: int = 50, **values):
    """An event through the domain (today 09:30 Beijing time by default) with the banks' first product each."""
    starts = datetime.combine(events.local_today() + timedelta(days=days_from_today), datetime.min.time()).replace(
        hour=9, minute=30)
    fields = {"title": "中心街街道银企对接会", "kind": "township", "starts_at": starts, "venue": "街道便民服务中心三楼",
              "capacity": capacity, "township_id": actor.township_id, "bank_ids": [b.id for b in banks],
              "product_ids": [product_of(db, b).id for b in banks]}
    fields.update(values)
    past = fields["starts_at"].date() < events.local_today()
    wanted = fields["starts_at"]
    if past:  # a past event as test data: made today, then moved back (the form allows no past date)
        fields["starts_at"] = datetime.combine(events.local_today(), wanted.time())
    event = events.create_event(db, actor, **fields)
    event.starts_at = wanted
    db.flush()
    return event


def known_firms(db, township, other_township) -> dict:
    """Six firms with known traits: A first-loan new materials, B new materials with an open request, C first-loan
    textiles with an unmatched request, D invited 2 months ago, E invited 8 months ago, F in another township."""
    make = factories.FirmFactory
    firms = {
        "A": make(township_id=township.id, industry="new_materials", has_bank_loan=False, name="枣庄甲新材料有限公司"),
        "B": make(township_id=township.id, industry="new_materials", has_bank_loan=True, name="枣庄乙新材料有限公司"),
        "C": make(township_id=township.id, industry="textiles", has_bank_loan=False, name="枣庄丙纺织有限公司"),
        "D": make(township_id=township.id, industry="chemicals", has_bank_loan=True, name="枣庄丁化工有限公司"),
        "E": make(township_id=township.id, industry="water_treatment", has_bank_loan=True, name="枣庄戊水处理剂有限公司"),
        "F": make(township_id=other_township.id, industry="new_materials", has_bank_loan=False,
                  name="枣庄己新材料有限公司"),
    }
    factories.RequestFactory(firm=firms["B"], state="routed")
    factories.RequestFactory(firm=firms["C"], state="unmatched")
    factories.RequestFactory(firm=firms["D"], state="funded")
    db.flush()
    return firms


def invite_directly(db, event, firm, *, days_ago: int = 0, state: str = "invited") -> EventInvitation:
    """An invitation row dated `days_ago` (for history such as "invited 8 months ago")."""
    from matchmaker.models import utcnow

    row = EventInvitation(event_id=event.id, firm_id=firm.id, state=state, source="filter",
                          invited_at=utcnow() - timedelta(days=days_ago))
    db.add(row)
    db.flush()
    return row
