"""Claiming a firm (issue 12, point 1): registering with a known firm's USCC never changes the firm and gives no
access until the firm's township or the district approves the claim (licence) or a one-time claim code does;
a firm with an account adds colleagues only through its admin."""
from __future__ import annotations

import io
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matchmaker.domain.accounts import users as accounts
from matchmaker.domain.core.errors import Conflict, DomainError
from matchmaker.domain.firms import claims
from matchmaker.models import ClaimCode, Firm, FirmClaim, History, Notification, User, utcnow

from . import factories
from .conftest import PASSWORD, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"x" * 100


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    """Licences of this test in its own folder, not the checkout's instance folder."""
    return {**app_config, "CLAIM_LICENCE_DIR": str(tmp_path / "claim_licences")}


def registration(firm: Firm, **overrides) -> dict:
    data = {"uscc": firm.uscc, "name": "冒名顶替有限公司", "township_id": "7", "industry": "other",
            "size": "small", "founded_year": "2020", "contact_person": "李冒名", "contact_phone": "13900009999",
            "username": "claimant", "password": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return data


def with_licence(data: dict, content: bytes = PNG, filename: str = "licence.png") -> dict:
    return {**data, "licence": (io.BytesIO(content), filename)}


@pytest.fixture
def unclaimed(db, township, bank):
    """A firm the township filed (no account) with a routed request and a lead."""
    firm = factories.FirmFactory(township_id=township.id, name="枣庄无账户化工有限公司", contact_person="赵厂长",
                                 contact_phone="13700001234")
    req, lead = factories.routed_request(db, firm, bank)
    db.commit()
    return firm, req, lead


def facts(firm: Firm) -> tuple:
    return firm.name, firm.township_id, firm.contact_person, firm.contact_phone, firm.industry, firm.founded_year


def user_named(db, username: str) -> User:
    db.expire_all()
    return db.scalar(select(User).where(User.username == username))


def test_takeover_replay_changes_nothing_and_gives_no_access(app, db, users, unclaimed, as_role):
    firm, req, _lead = unclaimed
    before = facts(firm)
    client = app.test_client()
    response = client.post("/register", data=with_licence(registration(firm)), content_type="multipart/form-data")
    assert response.status_code == 302
    db.expire_all()
    assert facts(db.get(Firm, firm.id)) == before  # the firm record is untouched
    claimant = user_named(db, "claimant")
    assert claimant.firm_id is None and claimant.role == "enterprise"
    claim = db.scalar(select(FirmClaim).where(FirmClaim.user_id == claimant.id))
    assert claim.state == "pending" and claim.firm_id == firm.id and claim.name == "冒名顶替有限公司"
    # the claimant sees only the waiting page, nothing of the firm
    for path in ("/enterprise/", f"/requests/{req.id}", "/requests/", "/enterprise/profile", "/requests/new"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/firms/claim"), path
    waiting = client.get("/firms/claim").get_data(as_text=True)
    assert "待镇街审核" in waiting and firm.name not in waiting and "赵厂长" not in waiting
    # the township still sees the firm's request; the reviewers were notified
    assert as_role("township").get(f"/requests/{req.id}").status_code == 200
    notified = set(db.scalars(select(Notification.user_id).where(Notification.kind == "firm")))
    assert {users["township"].id, users["district"].id} <= notified
    assert users["other_township"].id not in notified


def test_a_known_firm_needs_a_licence_or_a_code(client, db, unclaimed):
    firm, *_ = unclaimed
    response = client.post("/register", data=registration(firm), content_type="multipart/form-data")
    assert response.status_code == 200 and "须上传营业执照" in response.get_data(as_text=True)
    assert user_named(db, "claimant") is None


@pytest.mark.parametrize("content, filename", [
    (b"<html><script>alert(1)</script></html>", "licence.png"),  # named .png, is not one
    (b"GIF89a" + b"\x00" * 50, "licence.gif"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (claims.MAX_LICENCE_BYTES + 1), "big.png"),
])
def test_licence_type_by_magic_bytes_and_size_before_writing(app, client, db, unclaimed, content, filename):
    firm, *_ = unclaimed
    response = client.post("/register", data=with_licence(registration(firm), content, filename),
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and ("JPG、PNG" in page or "不能超过5MB" in page)
    assert user_named(db, "claimant") is None
    folder = Path(app.config["CLAIM_LICENCE_DIR"])
    assert not folder.exists() or not any(f.stat().st_size == len(content) for f in folder.iterdir())


def _claim(app, db, firm, username="claimant", content=PNG, filename="licence.png"):
    client = app.test_client()
    r = client.post("/register", data=with_licence(registration(firm, username=username), content, filename),
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    user = user_named(db, username)
    return client, user, db.scalar(select(FirmClaim).where(FirmClaim.user_id == user.id))


def test_licence_is_outside_static_and_served_only_to_reviewers(app, db, users, unclaimed, as_role):
    firm, *_ = unclaimed
    _client, _user, claim = _claim(app, db, firm, content=PDF, filename="执照.pdf")
    stored = Path(app.config["CLAIM_LICENCE_DIR"]) / claim.licence_file
    assert stored.read_bytes() == PDF and "static" not in stored.parts
    with app.app_context():
        from matchmaker.web.firms.pages import claims_dir

        assert claims_dir() == stored.parent
    app.config["CLAIM_LICENCE_DIR"] = None
    with app.app_context():
        assert claims_dir() == Path(app.config["FILES_DIR"]) / "claim_licences"  # the default: the files folder
    app.config["FILES_DIR"] = ""
    with app.app_context():
        assert claims_dir() == Path(app.instance_path) / "claim_licences"  # … which is the instance folder
    app.config["CLAIM_LICENCE_DIR"] = str(stored.parent)
    path = f"/firms/claims/{claim.id}/licence"
    ok = as_role("township").get(path)
    assert ok.status_code == 200 and ok.data == PDF and ok.mimetype == "application/pdf"
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    assert as_role("district").get(path).status_code == 200
    for role in ("other_township", "enterprise", "bank_manager", "bank_admin"):
        assert as_role(role).get(path).status_code == 403, role
    assert app.test_client().get(path).status_code == 302  # not signed in: to the login page


def test_approval_path_gives_the_firm_and_makes_the_claimant_its_admin(app, db, users, unclaimed, as_role):
    firm, req, _ = unclaimed
    claimant_client, claimant, claim = _claim(app, db, firm)
    queue = as_role("township").get("/firms/claims").get_data(as_text=True)
    assert firm.name in queue and "冒名顶替有限公司" in queue and "李冒名" in queue  # details side by side
    assert as_role("township").post(f"/firms/claims/{claim.id}/approve").status_code == 302
    db.expire_all()
    assert db.get(FirmClaim, claim.id).state == "approved"
    assert db.get(User, claimant.id).firm_id == firm.id
    assert facts(db.get(Firm, firm.id))[0] == "枣庄无账户化工有限公司"  # approval does not copy typed details
    assert claimant_client.get("/enterprise/").status_code == 200
    assert claimant_client.get(f"/requests/{req.id}").status_code == 200
    assert claims.is_firm_admin(db, db.get(User, claimant.id))
    states = [h.to_state for h in db.scalars(select(History).where(History.entity == "firm_claim",
                                                                     History.entity_id == claim.id))]
    assert states == ["pending", "approved"]
    assert db.scalar(select(func.count()).select_from(History).where(
        History.entity == "firm", History.entity_id == firm.id, History.to_state == "claimed")) == 1
    again = as_role("district").post(f"/firms/claims/{claim.id}/approve", follow_redirects=True)
    assert "已被处理" in again.get_data(as_text=True) or "已注册账户" in again.get_data(as_text=True)


def test_a_township_cannot_decide_claims_on_another_townships_firm(app, db, users, unclaimed, as_role):
    firm, *_ = unclaimed
    _c, claimant, claim = _claim(app, db, firm)
    other = as_role("other_township")
    assert claim_not_listed(other, firm)
    assert other.post(f"/firms/claims/{claim.id}/approve").status_code == 403
    assert other.post(f"/firms/claims/{claim.id}/reject", data={"reason": "x"}).status_code == 403
    for role in ("enterprise", "bank_manager", "bank_admin"):
        assert as_role(role).post(f"/firms/claims/{claim.id}/approve").status_code == 403
    db.expire_all()
    assert db.get(FirmClaim, claim.id).state == "pending" and db.get(User, claimant.id).firm_id is None
    assert as_role("district").post(f"/firms/claims/{claim.id}/approve").status_code == 302
    db.expire_all()
    assert db.get(FirmClaim, claim.id).state == "approved"


def claim_not_listed(client, firm) -> bool:
    return firm.name not in client.get("/firms/claims").get_data(as_text=True)


def test_rejection_needs_a_reason_and_the_claimant_reads_it(app, db, users, unclaimed, as_role):
    firm, *_ = unclaimed
    claimant_client, claimant, claim = _claim(app, db, firm)
    township = as_role("township")
    township.post(f"/firms/claims/{claim.id}/reject", data={"reason": ""})
    db.expire_all()
    assert db.get(FirmClaim, claim.id).state == "pending"
    assert township.post(f"/firms/claims/{claim.id}/reject", data={"reason": "营业执照与企业名称不符"}).status_code == 302
    db.expire_all()
    assert db.get(FirmClaim, claim.id).state == "rejected" and db.get(User, claimant.id).firm_id is None
    page = claimant_client.get("/firms/claim").get_data(as_text=True)
    assert "营业执照与企业名称不符" in page
    assert claimant_client.get("/enterprise/").status_code == 302


def test_approving_one_claim_turns_down_the_others_on_the_same_firm(app, db, users, unclaimed, as_role):
    firm, *_ = unclaimed
    _a, first, claim_a = _claim(app, db, firm, "claimant_a")
    _b, second, claim_b = _claim(app, db, firm, "claimant_b")
    assert as_role("township").post(f"/firms/claims/{claim_b.id}/approve").status_code == 302
    db.expire_all()
    assert db.get(FirmClaim, claim_a.id).state == "rejected" and db.get(FirmClaim, claim_b.id).state == "approved"
    assert db.get(User, first.id).firm_id is None and db.get(User, second.id).firm_id == firm.id


def _issue(as_role, firm) -> str:
    page = as_role("township").post(f"/firms/{firm.id}/claim-code").get_data(as_text=True)
    found = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", page)
    assert found, page[:500]
    return found.group(1)


def test_claim_code_approves_at_once_and_only_once(app, db, users, unclaimed, as_role):
    firm, req, _ = unclaimed
    code = _issue(as_role, firm)
    row = db.scalar(select(ClaimCode).where(ClaimCode.firm_id == firm.id))
    assert code.replace("-", "") not in (row.code_hash,) and len(row.code_hash) == 64  # only the hash is kept
    client = app.test_client()
    r = client.post("/register", data=registration(firm, claim_code=code.lower()), content_type="multipart/form-data")
    assert r.status_code == 302
    assert client.get(f"/requests/{req.id}").status_code == 200
    assert user_named(db, "claimant").firm_id == firm.id
    # the same code again (the firm now has an account, and the code is used)
    again = app.test_client().post("/register", data=registration(firm, claim_code=code, username="second"),
                                   content_type="multipart/form-data")
    assert again.status_code == 200 and user_named(db, "second") is None


def test_used_code_refused_on_another_claim(app, db, users, township, as_role):
    firm = factories.FirmFactory(township_id=township.id)
    db.commit()
    code = claims.issue_code(db, users["township"], firm.id)
    db.commit()
    _c, claimant, claim = _claim(app, db, firm)
    row = db.scalar(select(ClaimCode).where(ClaimCode.firm_id == firm.id))
    row.used_at = utcnow()  # used by someone else meanwhile
    db.commit()
    with pytest.raises(DomainError, match="已使用过"):
        claims.redeem_code(db, db.get(User, claimant.id), code)
    db.rollback()


def test_expired_code_refused(app, db, users, unclaimed, as_role):
    firm, *_ = unclaimed
    code = _issue(as_role, firm)
    row = db.scalar(select(ClaimCode).where(ClaimCode.firm_id == firm.id))
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    r = app.test_client().post("/register", data=registration(firm, claim_code=code),
                               content_type="multipart/form-data")
    assert r.status_code == 200 and "已过期" in r.get_data(as_text=True)
    assert user_named(db, "claimant") is None


def test_a_new_code_voids_the_earlier_one_and_the_waiting_claimant_can_enter_it(app, db, users, unclaimed, as_role):
    firm, *_ = unclaimed
    first = _issue(as_role, firm)
    second = _issue(as_role, firm)
    claimant_client, claimant, claim = _claim(app, db, firm)
    r = claimant_client.post("/firms/claim", data={"claim_code": first})
    assert r.status_code == 200 and "已过期" in r.get_data(as_text=True)
    r = claimant_client.post("/firms/claim", data={"claim_code": second})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(User, claimant.id).firm_id == firm.id and db.get(FirmClaim, claim.id).state == "approved"


def test_only_the_firms_township_issues_codes_and_not_for_a_firm_with_an_account(db, users, firm, unclaimed,
                                                                                   as_role):
    other_firm, *_ = unclaimed
    for role in ("other_township", "district", "enterprise", "bank_admin"):
        assert as_role(role).post(f"/firms/{other_firm.id}/claim-code").status_code == 403, role
    r = as_role("township").post(f"/firms/{firm.id}/claim-code", follow_redirects=True)
    assert "已注册账户" in r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(ClaimCode)) == 0


def test_a_firm_with_an_account_cannot_be_claimed(app, db, users, firm):
    r = app.test_client().post("/register", data=with_licence(registration(firm)), content_type="multipart/form-data")
    assert r.status_code == 200 and "管理员" in r.get_data(as_text=True)
    assert user_named(db, "claimant") is None
    assert db.scalar(select(func.count()).select_from(FirmClaim)) == 0


def test_the_admin_adds_colleagues_and_only_the_admin(app, db, users, firm, as_role):
    admin = as_role("enterprise")
    r = admin.post("/firms/colleagues", data={"username": "colleague1", "display_name": "钱会计",
                                              "phone": "13600000000", "password": PASSWORD})
    assert r.status_code == 302
    colleague = user_named(db, "colleague1")
    assert colleague.firm_id == firm.id and colleague.role == "enterprise"
    created = db.scalar(select(History).where(History.entity == "user", History.entity_id == colleague.id))
    assert created.to_state == "created" and created.actor_id == users["enterprise"].id
    colleague_client = login(app.test_client(), "colleague1")
    assert colleague_client.get("/enterprise/").status_code == 200
    r = colleague_client.post("/firms/colleagues", data={"username": "colleague2", "password": PASSWORD})
    assert r.status_code == 403 and user_named(db, "colleague2") is None
    assert as_role("other_enterprise").get("/firms/colleagues").status_code == 200
    assert "colleague1" not in as_role("other_enterprise").get("/firms/colleagues").get_data(as_text=True)


def test_two_reviewers_approving_two_claims_on_one_firm_one_wins(app, db, users, unclaimed):
    firm, *_ = unclaimed
    _a, _ua, claim_a = _claim(app, db, firm, "claimant_a")
    _b, _ub, claim_b = _claim(app, db, firm, "claimant_b")
    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(2, timeout=60)
    results: dict[int, str] = {}

    def attempt(reviewer_id: int, claim_id: int):
        with make_session() as session:
            reviewer = session.get(User, reviewer_id)
            session.commit()
            barrier.wait()
            try:
                claims.approve(session, reviewer, claim_id)
                session.commit()
                results[claim_id] = "won"
            except Conflict:
                session.rollback()
                results[claim_id] = "lost"

    threads = [threading.Thread(target=attempt, args=(users["township"].id, claim_a.id)),
               threading.Thread(target=attempt, args=(users["district"].id, claim_b.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == ["lost", "won"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User).where(User.firm_id == firm.id)) == 1
    assert db.scalar(select(func.count()).select_from(History).where(
        History.entity == "firm_claim", History.to_state == "approved")) == 1


def test_register_domain_refuses_a_known_firm(db, unclaimed):
    firm, *_ = unclaimed
    with pytest.raises(DomainError, match="认领"):
        accounts.register_enterprise(db, username="x_taker", password=PASSWORD, uscc=firm.uscc, name="别名",
                                     township_id=None, contact_person="某", contact_phone="13000000000")
