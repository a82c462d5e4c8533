"""Firm records: names with their pinyin forms for search, profile updates (in the history), who may see a
firm, and who acts for it."""
from __future__ import annotations

import functools
import gc
import unicodedata

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from ...models import Firm, FirmClaim, History, Township, TownshipMove, User
from ...text import N_
from ..core.changes import record_changes
from ..core.errors import DomainError, Forbidden, NotFound
from ..core.limits import check_column, check_length, check_phone, contains
from . import uscc as uscc_rules


@functools.cache
def _lazy_pinyin():
    """pypinyin, loaded when a name is first spelt rather than at import: its phrase dictionary (~55 MB, 400,000
    lists) is not needed by every process. It lives as long as the process, so it is frozen out of the garbage
    collector's full passes, which would otherwise walk it again and again during a large import."""
    from pypinyin import lazy_pinyin

    gc.freeze()
    return lazy_pinyin


def pinyin_forms(name: str) -> tuple[str, str]:
    """Full pinyin (no spaces) and initials of a Chinese name, lower case."""
    syllables = _lazy_pinyin()(name, errors="ignore")  # initials are their first letters (Style.FIRST_LETTER's)
    return "".join(syllables).lower(), "".join(s[:1] for s in syllables).lower()


def _line_breaks(chars: str) -> list[str] | None:
    """pypinyin's `errors` for pinyin_forms_many: characters without pinyin are left out, but the line breaks
    between names."""
    n = chars.count("\n")
    return ["\n"] * n if n else None


def pinyin_forms_many(names: list[str]) -> list[tuple[str, str]]:
    """`pinyin_forms` of many names, spelt in one call (one name a line: pypinyin splits its words at any
    character without pinyin, so each name is spelt as alone)."""
    if any("\n" in name for name in names):
        return [pinyin_forms(name) for name in names]
    out, syllables = [], []
    for syllable in _lazy_pinyin()("\n".join(names), errors=_line_breaks):
        if syllable == "\n":
            out.append(syllables)
            syllables = []
        else:
            syllables.append(syllable)
    out.append(syllables)
    if len(out) != len(names):
        return [pinyin_forms(name) for name in names]
    return [("".join(s).lower(), "".join(x[:1] for x in s).lower()) for s in out]


def set_firm_names(firms: list[tuple[Firm, str]]) -> None:
    """`set_firm_name` for many (firm, name), the pinyin spelt together."""
    for firm, name in firms:
        firm.name = check_column(name, Firm.name, N_("企业名称"), "name")
    for (firm, _), (full, initials) in zip(firms, pinyin_forms_many([firm.name for firm, _ in firms])):
        firm.name_pinyin, firm.name_initials = full, initials


def set_firm_name(firm: Firm, name: str) -> None:
    """The firm's name (held to the column's length, never cut) and its pinyin forms for search."""
    firm.name = check_column(name, Firm.name, N_("企业名称"), "name")
    firm.name_pinyin, firm.name_initials = pinyin_forms(firm.name)


def visible_firms(actor: User) -> Select:
    """Firms the actor may list: district all, township its own, enterprise itself, banks none by default."""
    query = select(Firm)
    if actor.role == "district":
        return query
    if actor.role == "township":
        return query.where(Firm.township_id == actor.township_id)
    if actor.role == "enterprise":
        return query.where(Firm.id == actor.firm_id)
    return query.where(Firm.id.is_(None))


def search_clause(term: str):
    """One search box: Chinese name (full- or half-width, any spacing), full pinyin, pinyin initials or USCC."""
    term = unicodedata.normalize("NFKC", term or "").strip()
    if not term:
        return None
    compact = "".join(term.split())
    lowered = compact.lower()
    clauses = [contains(Firm.name, term), contains(Firm.name_pinyin, lowered),
               contains(Firm.name_initials, lowered)]
    if compact != term:
        clauses.append(contains(Firm.name, compact))
    code = uscc_rules.normalise(compact)
    if code.isalnum() and code.isascii():
        clauses.append(contains(Firm.uscc, code))
    return or_(*clauses)


def get_firm_for(session: Session, actor: User, firm_id: int) -> Firm:
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFound("企业不存在")
    if actor.role == "district":
        return firm
    if actor.role == "township" and firm.township_id == actor.township_id:
        return firm
    if actor.role == "enterprise" and actor.firm_id == firm.id:
        return firm
    raise Forbidden("无权查看该企业")


DESCRIPTION_MAX = 2000
PROFILE_FIELDS = ("township_id", "industry", "size", "founded_year", "has_bank_loan", "tax_credit_grade",
                  "contact_person", "contact_phone", "address", "description")
# what a firm changes on its own; its township changes only through a move request (township_moves.py)
SELF_SERVICE_FIELDS = tuple(f for f in PROFILE_FIELDS if f != "township_id") + ("existing_bank_debt",)


def snapshot(firm: Firm) -> dict:
    """The firm's data as its history shows it (township by name, codes by label)."""
    return {"name": firm.name, "uscc": firm.uscc, "township": firm.township.name if firm.township else None,
            "industry": firm.industry_label, "size": firm.size_label, "founded_year": firm.founded_year,
            "has_bank_loan": bool(firm.has_bank_loan), "tax_credit_grade": firm.tax_credit_grade,
            "existing_bank_debt": firm.existing_bank_debt, "contact_person": firm.contact_person,
            "contact_phone": firm.contact_phone, "address": firm.address, "description": firm.description}


def record_firm_changes(session: Session, actor: User | None, firm: Firm, before: dict, note: str = "") -> None:
    """Write what changed in the firm since `before` (a `snapshot`) to its history."""
    after = snapshot(firm)
    # the relationship may still hold the old township when only the id was set
    township = session.get(Township, firm.township_id) if firm.township_id is not None else None
    after["township"] = township.name if township else None
    record_changes(session, actor, "firm", firm.id, before, after, note)


def lock_firm(session: Session, firm_id: int) -> None:
    """Serialise decisions about one firm until commit: a no-op UPDATE takes the row lock on PostgreSQL and the
    write lock on SQLite, so what is read after it is fresh."""
    session.execute(update(Firm).where(Firm.id == firm_id).values(id=Firm.id)
                    .execution_options(synchronize_session=False))


def firm_users(session: Session, firm_id: int) -> list[User]:
    """The firm's enterprise accounts, the admin (the first approved) first."""
    return list(session.scalars(select(User).where(User.firm_id == firm_id, User.role == "enterprise")
                                .order_by(User.id)))


def has_account(session: Session, firm_id: int) -> bool:
    return session.scalar(select(func.count(User.id)).where(User.firm_id == firm_id,
                                                            User.role == "enterprise")) > 0


def firm_admin_id(session: Session, firm_id: int) -> int | None:
    """The firm's admin: its first approved enterprise account still active."""
    return session.scalar(select(func.min(User.id)).where(User.firm_id == firm_id, User.role == "enterprise",
                                                          User.active.is_(True)))


def may_review(actor: User, firm: Firm) -> bool:
    """The firm's own township or the district decides on claims and changes a firm cannot make alone."""
    return actor.role == "district" or (actor.role == "township" and actor.township_id is not None
                                        and firm.township_id == actor.township_id)


def update_profile(session: Session, actor: User, firm: Firm, name: str, **values) -> Firm:
    """Update a firm's profile (the USCC is fixed once set; the township is not changed here) and write each
    changed field to the history."""
    get_firm_for(session, actor, firm.id)
    if not (name or "").strip():
        raise DomainError("请填写企业名称", field="name")
    before = snapshot(firm)
    set_firm_name(firm, name)
    if "contact_phone" in values:
        values["contact_phone"] = check_phone(values["contact_phone"], N_("联系电话"), "contact_phone", required=True)
    for key, label in (("contact_person", N_("联系人")), ("address", N_("地址"))):
        if key in values:
            values[key] = check_column(values[key], getattr(Firm, key), label)
    if "description" in values:
        values["description"] = check_length(values["description"], DESCRIPTION_MAX, N_("主营业务简介"), "description")
    for key in SELF_SERVICE_FIELDS:  # debt in 元, used by products' debt ceilings
        if key in values:
            setattr(firm, key, values[key])
    record_firm_changes(session, actor, firm, before)
    return firm


def firm_history(session: Session, firm_id: int) -> list[History]:
    """Everything that happened to a firm, newest first: its data, claims on it, its township moves, its
    accounts."""
    claim_ids = select(FirmClaim.id).where(FirmClaim.firm_id == firm_id)
    move_ids = select(TownshipMove.id).where(TownshipMove.firm_id == firm_id)
    user_ids = select(User.id).where(User.firm_id == firm_id)
    return list(session.scalars(select(History).where(or_(
        (History.entity == "firm") & (History.entity_id == firm_id),
        (History.entity == "firm_claim") & History.entity_id.in_(claim_ids),
        (History.entity == "township_move") & History.entity_id.in_(move_ids),
        # an account's own preferences (its language) are not the firm's history
        (History.entity == "user") & History.entity_id.in_(user_ids) & or_(History.field.is_(None),
                                                                           History.field != "locale"),
    )).order_by(History.at.desc(), History.id.desc())))
