"""Every transition of a request and of a lead, by every role: the allowed ones move the state and write one
History row; every other (from, to, role) is refused and changes nothing. The expected tables are written out
here on their own (from DESIGN.md's state diagrams), not read from lifecycle.py."""
import itertools

import pytest
from sqlalchemy import func, select

from matchmaker.domain.requests import lifecycle
from matchmaker.models import History, Lead
from matchmaker.models.requests import LEAD_STATES, REQUEST_STATES

from . import factories

ROLES = ["enterprise", "township", "district", "bank_manager", "bank_admin", "system"]
FIRM_SIDE = {"enterprise", "township"}
BANK = {"bank_manager", "bank_admin"}

EXPECTED_REQUEST = {
    ("draft", "submitted"): FIRM_SIDE | {"district"},
    ("submitted", "routed"): {"system"},
    ("submitted", "unmatched"): {"system"},
    ("routed", "offered"): {"system"},
    ("routed", "unmatched"): {"system"},
    ("offered", "accepted"): FIRM_SIDE,
    ("accepted", "funded"): FIRM_SIDE | {"system"},
    ("unmatched", "referred"): {"system", "township", "district"},
    ("unmatched", "routed"): {"system"},
    ("referred", "routed"): {"system"},  # the firm fixed a fixable decline and resubmitted
    **{(s, "withdrawn"): FIRM_SIDE for s in ("draft", "submitted", "routed", "offered", "unmatched")},
}
EXPECTED_LEAD = {
    ("routed", "claimed"): BANK,
    ("routed", "expired"): {"system"},
    ("claimed", "contacted"): BANK,
    ("contacted", "in_review"): BANK,
    ("in_review", "approved"): BANK,
    ("approved", "disbursed"): BANK,
    **{(s, "declined"): BANK for s in ("claimed", "contacted", "in_review")},
    **{(s, "released"): {"system"} for s in ("routed", "claimed", "contacted", "in_review", "approved")},
}


def _actor(users, role):
    return None if role == "system" else users[role]


def _history_rows(db, entity, entity_id):
    return db.scalar(select(func.count()).select_from(History)
                     .where(History.entity == entity, History.entity_id == entity_id))


@pytest.mark.parametrize("entity,states,expected", [
    ("request", REQUEST_STATES, EXPECTED_REQUEST),
    ("lead", LEAD_STATES, EXPECTED_LEAD),
])
def test_every_transition_by_every_role(db, users, firm, bank, entity, states, expected):
    req, lead = factories.routed_request(db, firm, bank)
    obj = req if entity == "request" else lead
    allowed_seen = 0
    for from_state, to_state, role in itertools.product(states, states, ROLES):
        obj.state = from_state
        db.flush()
        before = _history_rows(db, entity, obj.id)
        may = role in expected.get((from_state, to_state), set())
        assert lifecycle.can(entity, from_state, to_state, role) is may, (from_state, to_state, role)
        if may:
            row = lifecycle.transition(db, obj, to_state, _actor(users, role), "测试")
            db.flush()
            assert obj.state == to_state
            assert (row.from_state, row.to_state, row.actor_role) == (from_state, to_state, role)
            assert _history_rows(db, entity, obj.id) == before + 1
            allowed_seen += 1
        else:
            with pytest.raises(lifecycle.TransitionRefused):
                lifecycle.transition(db, obj, to_state, _actor(users, role))
            assert obj.state == from_state
            assert _history_rows(db, entity, obj.id) == before
    assert allowed_seen == sum(len(roles) for roles in expected.values())


def test_no_transition_table_entry_outside_the_expected_ones():
    assert {k: set(v) for k, v in lifecycle.REQUEST_TRANSITIONS.items()} == EXPECTED_REQUEST
    assert {k: set(v) for k, v in lifecycle.LEAD_TRANSITIONS.items()} == EXPECTED_LEAD


@pytest.mark.parametrize("role", ROLES)
def test_set_based_transition_obeys_the_same_table(db, users, firm, bank, role):
    """The sweep's bulk transition (routed -> expired) is the system's alone, and moves a row only once."""
    _, lead = factories.routed_request(db, firm, bank)
    where = [Lead.id == lead.id]
    if role != "system":
        with pytest.raises(lifecycle.TransitionRefused):
            lifecycle.transition_where(db, "lead", "routed", "expired", users[role], where)
        return
    rows = lifecycle.transition_where(db, "lead", "routed", "expired", None, where, note="超时")
    assert [(r[0], r[1]) for r in rows] == [(lead.id, lead.request_id)]
    assert lifecycle.transition_where(db, "lead", "routed", "expired", None, where) == []
    db.expire_all()
    assert db.get(Lead, lead.id).state == "expired" and _history_rows(db, "lead", lead.id) == 1
