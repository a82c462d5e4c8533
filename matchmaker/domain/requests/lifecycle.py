"""State machines of requests and leads. Every change of state goes through `transition`, which locks the row
(a lead's request first: one lock order everywhere, so two changes never deadlock), re-checks the state that
is now committed, checks that the actor's role may make the change and appends a History row in the same
transaction. Of two concurrent changes one wins; the other gets a 409 `TransitionRefused`."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from ...models import FinancingRequest, History, Lead, User, utcnow
from ...models.requests import LEAD_STATES, REQUEST_STATES
from ...text import N_
from ..core import locking
from ..core.errors import Conflict

SYSTEM = "system"
BANK = frozenset({"bank_manager", "bank_admin"})
FIRM_SIDE = frozenset({"enterprise", "township"})

REQUEST_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("draft", "submitted"): FIRM_SIDE | {"district"},
    ("submitted", "routed"): frozenset({SYSTEM}),
    ("submitted", "unmatched"): frozenset({SYSTEM}),
    ("routed", "offered"): frozenset({SYSTEM}),
    ("routed", "unmatched"): frozenset({SYSTEM}),
    ("offered", "accepted"): FIRM_SIDE,
    ("accepted", "funded"): FIRM_SIDE | {SYSTEM},
    ("unmatched", "referred"): frozenset({SYSTEM, "township", "district"}),
    ("unmatched", "routed"): frozenset({SYSTEM}),
    ("referred", "routed"): frozenset({SYSTEM}),  # the firm fixed a fixable decline and resubmitted
    ("draft", "withdrawn"): FIRM_SIDE,
    ("submitted", "withdrawn"): FIRM_SIDE,
    ("routed", "withdrawn"): FIRM_SIDE,
    ("offered", "withdrawn"): FIRM_SIDE,
    ("unmatched", "withdrawn"): FIRM_SIDE,
}

LEAD_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("routed", "claimed"): BANK,
    ("routed", "expired"): frozenset({SYSTEM}),
    ("routed", "released"): frozenset({SYSTEM}),
    ("claimed", "contacted"): BANK,
    ("contacted", "in_review"): BANK,
    ("in_review", "approved"): BANK,
    ("approved", "disbursed"): BANK,
    ("claimed", "declined"): BANK,
    ("contacted", "declined"): BANK,
    ("in_review", "declined"): BANK,
    ("claimed", "released"): frozenset({SYSTEM}),
    ("contacted", "released"): frozenset({SYSTEM}),
    ("in_review", "released"): frozenset({SYSTEM}),
    ("approved", "released"): frozenset({SYSTEM}),
}

TABLES = {"request": REQUEST_TRANSITIONS, "lead": LEAD_TRANSITIONS}
MODELS = {"request": FinancingRequest, "lead": Lead}
REFUSALS = {  # one sentence per kind of record: the noun's place and form differ between languages
    "request": N_("该融资需求当前为“%(current_label)s”，不能变更为“%(wanted_label)s”，可能已被他人处理，请刷新页面"),
    "lead": N_("该线索当前为“%(current_label)s”，不能变更为“%(wanted_label)s”，可能已被他人处理，请刷新页面"),
}
LABELS = {"request": REQUEST_STATES, "lead": LEAD_STATES}


class TransitionRefused(Conflict):
    """The change is not allowed from the current state: usually someone else changed it first."""


def refusal(entity: str, from_state: str, to_state: str) -> TransitionRefused:
    """The refusal of a change the state machine does not allow; the states are named by their labels."""
    labels = LABELS[entity]
    return TransitionRefused(REFUSALS[entity], current_label=labels.get(from_state, from_state),
                             wanted_label=labels.get(to_state, to_state))


def _entity(obj) -> str:
    if isinstance(obj, FinancingRequest):
        return "request"
    if isinstance(obj, Lead):
        return "lead"
    raise TypeError(f"no state machine for {type(obj).__name__}")


def role_of(actor: User | None) -> str:
    return actor.role if actor is not None else SYSTEM


def can(entity: str, from_state: str, to_state: str, role: str) -> bool:
    """Whether `role` may move an `entity` from one state to another."""
    return role in TABLES[entity].get((from_state, to_state), frozenset())


def record(session: Session, entity: str, entity_id: int, request_id: int | None, actor: User | None,
           from_state: str | None, to_state: str, note: str = "") -> History:
    """Append one History row (used by transition, and for creation events). It is written at once, after the
    session's pending changes (so history rows keep the order things happened in), as a plain INSERT: the ORM
    would send the same statement through its unit of work. Returns the row as written (not in the session)."""
    values = {"entity": entity, "entity_id": entity_id, "request_id": request_id,
              "actor_id": actor.id if actor is not None else None, "actor_role": role_of(actor), "at": utcnow(),
              "from_state": from_state, "to_state": to_state, "note": note}
    session.flush()
    row_id = session.execute(_INSERT_HISTORY, values).scalar_one()
    return History(id=row_id, **values)


_INSERT_HISTORY = insert(History.__table__).returning(History.__table__.c.id)  # built once: written at every step


def lock(session: Session, obj) -> None:
    """Lock a request, or a lead and its request (request first), until commit and reload them; rules checked
    after this see what a concurrent change committed."""
    if isinstance(obj, Lead):
        locking.lock(session, obj.request)
    if obj.id is not None:
        locking.lock(session, obj)


def transition(session: Session, obj, to_state: str, actor: User | None, note: str = "",
               locked: bool = False) -> History:
    """Move a request or lead to `to_state` if, once its row is locked, its state allows it for the actor's
    role; write the history row. `locked`: the caller has just locked (and so reloaded) `obj` with `lock` in this
    transaction and changed nothing of it since, so the row is not locked and reloaded a second time."""
    entity = _entity(obj)
    role = role_of(actor)
    if not locked:
        lock(session, obj)
    from_state = obj.state
    if not can(entity, from_state, to_state, role):
        raise refusal(entity, from_state, to_state)
    obj.state = to_state
    if obj.id is None:
        session.flush()
    request_id = obj.id if entity == "request" else obj.request_id
    return record(session, entity, obj.id, request_id, actor, from_state, to_state, note)


def transition_where(session: Session, entity: str, from_state: str, to_state: str, actor: User | None,
                     where: Sequence, note: str | Callable[[object], str] = "", values: dict | None = None,
                     returning: Sequence = ()) -> list:
    """Set-based transition for the sweep: one conditional UPDATE moves every `entity` row in `from_state`
    matching `where` (rows another transaction moved first are left alone, so nothing moves twice), then one
    History row per moved row. Returns the moved rows (id, request id, *returning)."""
    role = role_of(actor)
    if not can(entity, from_state, to_state, role):
        raise refusal(entity, from_state, to_state)
    model = MODELS[entity]
    request_col = model.id if entity == "request" else model.request_id
    stmt = (update(model).where(model.state == from_state, *where)
            .values(state=to_state, **(values or {}))
            .returning(model.id, request_col, *returning)
            .execution_options(synchronize_session=False))
    rows = session.execute(stmt).all()
    record_many(session, entity, [(row[0], row[1], note(row) if callable(note) else note) for row in rows],
                actor, from_state, to_state)
    return rows


def record_many(session: Session, entity: str, rows: Sequence[tuple[int, int | None, str]], actor: User | None,
                from_state: str | None, to_state: str) -> int:
    """Append History rows in bulk: `rows` are (entity id, request id, note)."""
    if not rows:
        return 0
    at = utcnow()
    session.execute(insert(History.__table__), [
        {"entity": entity, "entity_id": entity_id, "request_id": request_id,
         "actor_id": actor.id if actor is not None else None, "actor_role": role_of(actor), "at": at,
         "from_state": from_state, "to_state": to_state, "note": note}
        for entity_id, request_id, note in rows
    ])
    return len(rows)
