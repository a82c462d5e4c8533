"""factory_boy factories for the models; bound to the test's session by the `db` fixture."""
from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from matchmaker.domain.firms.records import pinyin_forms
from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.models import FinancingRequest, Firm

_FACTORIES: list[type[SQLAlchemyModelFactory]] = []


def bind(session) -> None:
    for f in _FACTORIES:
        f._meta.sqlalchemy_session = session


def _register(cls):
    _FACTORIES.append(cls)
    return cls


@_register
class FirmFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Firm
        sqlalchemy_session_persistence = "flush"

    uscc = factory.Sequence(lambda n: make_uscc(f"91370402MA{n:07d}"))
    name = factory.Sequence(lambda n: f"枣庄测试{n}号化工有限公司")
    name_pinyin = factory.LazyAttribute(lambda o: pinyin_forms(o.name)[0])
    name_initials = factory.LazyAttribute(lambda o: pinyin_forms(o.name)[1])
    industry = "chemicals"
    size = "small"
    founded_year = 2015
    has_bank_loan = True
    tax_credit_grade = "A"
    contact_person = "张经理"
    contact_phone = "13800000000"


@_register
class RequestFactory(SQLAlchemyModelFactory):
    """A draft request; submit it with financing.submit_request to route it."""

    class Meta:
        model = FinancingRequest
        sqlalchemy_session_persistence = "flush"

    firm = factory.SubFactory(FirmFactory)
    amount = 1_000_000
    term_months = 12
    purpose = "购买原材料"
    collateral = "property"
    products_of_interest = factory.LazyFunction(list)
    state = "draft"


def routed_request(session, firm, bank, state: str = "routed"):
    """A submitted request with one lead for `bank` in `state` (built directly, not through routing)."""
    from matchmaker.models import Lead, Product

    product = session.query(Product).filter_by(bank_id=bank.id).first()
    req = RequestFactory(firm=firm, state="routed")
    lead = Lead(request=req, bank_id=bank.id, product_id=product.id if product else None, state=state, rank=1,
                score_parts={}, claim_deadline=None)
    session.add(lead)
    session.flush()
    return req, lead


from matchmaker.models import MonthlyReport  # noqa: E402  (appended by the bank-tracking feature)


@_register
class MonthlyReportFactory(SQLAlchemyModelFactory):
    """A bank's monthly figures (version 1 unless given); money in 元. Pass bank_id and month."""

    class Meta:
        model = MonthlyReport
        sqlalchemy_session_persistence = "flush"

    version = 1
    deposits = 10_000_000_000
    loans = 8_000_000_000
    industrial_loans = 2_000_000_000
    new_industrial_loans = 0
    first_loan_count = 0
    first_loan_amount = 0
    ip_pledge_loans = 0
    green_loans = 0
    kechuang_loans = 0
    zhengyinbao_loans = 0
    supply_chain_bills = 0
    source = "form"


def add_lead(session, req, bank, state: str = "routed"):
    """Another lead on `req` for `bank` (appended by the notifications/outcomes feature)."""
    from matchmaker.models import Lead, Product

    product = session.query(Product).filter_by(bank_id=bank.id).first()
    lead = Lead(request=req, bank_id=bank.id, product_id=product.id if product else None, state=state,
                rank=len(req.leads) + 1, score_parts={}, claim_deadline=None)
    session.add(lead)
    session.flush()
    return lead
