"""Claiming a firm record that has no account yet. Registering with the USCC of a known firm never changes the
firm and gives no access: it opens a claim (待审核) that the firm's township or the district approves after
checking the claimant's details and business licence, or that a one-time claim code from the township approves
at once. A firm that already has an account is not claimable: its admin (its first approved account) adds
colleagues."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from ...models import ClaimCode, Firm, FirmClaim, User, utcnow
from ...text import N_
from ..accounts import users as accounts
from ..core.changes import record_changes, record_event
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..notify import notifications
from . import records
from . import uscc as uscc_rules

MAX_LICENCE_BYTES = 5 * 1024 * 1024
# magic bytes → (media type, file suffix): what a scan or photo of a licence is, and nothing else
LICENCE_KINDS = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
CODE_LENGTH = 12
CODE_DAYS = 14
MAX_REASON = 500
TAKEN = "该企业已注册账户，不能再认领；请联系本企业的管理员为您添加账户"


@dataclass
class Licence:
    """An uploaded licence, checked and not yet written."""

    data: bytes
    media_type: str
    suffix: str


def read_licence(stream: BinaryIO | None, limit: int = MAX_LICENCE_BYTES) -> Licence | None:
    """Read an upload of at most `limit` bytes and check by its first bytes that it is a JPEG, PNG or PDF."""
    if stream is None:
        return None
    data = stream.read(limit + 1)
    if not data:
        return None
    if len(data) > limit:
        raise DomainError(f"营业执照文件不能超过{limit // (1024 * 1024)}MB", field="licence")
    for magic, media_type, suffix in LICENCE_KINDS:
        if data.startswith(magic):
            return Licence(data, media_type, suffix)
    raise DomainError("营业执照请上传 JPG、PNG 图片或 PDF 文件", field="licence")


def licence_path(directory: Path, claim: FirmClaim) -> Path | None:
    return directory / claim.licence_file if claim.licence_file else None


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def firm_by_uscc(session: Session, uscc: str) -> Firm | None:
    try:
        code = uscc_rules.validate(uscc)
    except uscc_rules.InvalidUSCC:
        return None
    return session.scalar(select(Firm).where(Firm.uscc == code))


def _claim_code(session: Session, firm: Firm, code: str) -> ClaimCode:
    row = session.scalar(select(ClaimCode).where(ClaimCode.code_hash == _hash(normalise_code(code))))
    if row is None or row.firm_id != firm.id:
        raise DomainError("认领码不正确", field="claim_code")
    if row.used_at is not None:
        raise DomainError("该认领码已使用过", field="claim_code")
    if row.expires_at <= utcnow():
        raise DomainError("该认领码已过期，请联系镇街重新发放", field="claim_code")
    return row


def _use_code(session: Session, code: ClaimCode, claim: FirmClaim) -> None:
    """Single use: only the first to mark the code used gets it."""
    done = session.execute(update(ClaimCode).where(ClaimCode.id == code.id, ClaimCode.used_at.is_(None),
                                                   ClaimCode.expires_at > utcnow())
                           .values(used_at=utcnow(), claim_id=claim.id)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("该认领码已使用过", field="claim_code")


def register(session: Session, *, licence_dir: Path, licence: BinaryIO | None = None, claim_code: str = "",
             **fields) -> User:
    """Registration: a new USCC makes the firm and its first account (its admin); a known firm's USCC makes an
    account with no firm and a claim on it (approved at once with a valid claim code)."""
    firm = firm_by_uscc(session, fields.get("uscc", ""))
    if firm is None:
        return accounts.register_enterprise(session, **fields)
    return open_claim(session, firm, licence_dir=licence_dir, licence=licence, claim_code=claim_code, **fields)


def open_claim(session: Session, firm: Firm, *, username: str, password: str, name: str, township_id: int | None,
               contact_person: str, contact_phone: str, licence_dir: Path, licence: BinaryIO | None = None,
               claim_code: str = "", **_ignored) -> User:
    """An account for a claimant of `firm` and its claim; the firm record is not touched."""
    if records.has_account(session, firm.id):
        raise DomainError(TAKEN, field="uscc")
    code = _claim_code(session, firm, claim_code) if (claim_code or "").strip() else None
    upload = None if code else read_licence(licence)
    if code is None and upload is None:
        raise DomainError("该企业已在平台登记：认领须上传营业执照，或填写镇街发放的认领码", field="licence")
    user = accounts.create_user(session, username, password, "enterprise", display_name=(name or "").strip()[:64],
                                phone=(contact_phone or "").strip(), claimant=True)
    claim = FirmClaim(firm_id=firm.id, user_id=user.id, state="pending", name=(name or "").strip(),
                      township_id=township_id, contact_person=(contact_person or "").strip(),
                      contact_phone=(contact_phone or "").strip(), via_code=code is not None)
    if upload is not None:
        claim.licence_file = f"{secrets.token_hex(16)}.{upload.suffix}"
        claim.licence_type, claim.licence_size = upload.media_type, len(upload.data)
    session.add(claim)
    session.flush()
    record_event(session, user, "firm_claim", claim.id, "pending", f"认领 {firm.name}")
    if code is not None:
        _use_code(session, code, claim)
        _approve(session, claim, user, "凭镇街发放的认领码")
        return user
    _write(licence_dir, claim.licence_file, upload.data)
    notifications.notify(session, "firm", N_("新的企业认领申请：%(firm)s"),
                         body=N_("请核对申请人信息与营业执照后审核。"), params={"firm": firm.name}, link="/firms/claims",
                         township_id=firm.township_id, roles=["district"])
    return user


def _write(directory: Path, name: str, data: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _approve(session: Session, claim: FirmClaim, actor: User, note: str = "") -> None:
    """Give the claimant the firm (it becomes the firm's admin) and turn down every other claim on it."""
    records.lock_firm(session, claim.firm_id)
    if records.has_account(session, claim.firm_id):
        raise Conflict(TAKEN)
    done = session.execute(update(FirmClaim).where(FirmClaim.id == claim.id, FirmClaim.state == "pending")
                           .values(state="approved", reviewer_id=actor.id, decided_at=utcnow())
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("该认领申请已被处理，请刷新页面")
    record_event(session, actor, "firm_claim", claim.id, "approved", note, from_state="pending")
    firm = session.get(Firm, claim.firm_id)
    session.execute(update(User).where(User.id == claim.user_id, User.firm_id.is_(None))
                    .values(firm_id=claim.firm_id).execution_options(synchronize_session=False))
    record_changes(session, actor, "user", claim.user_id, {"firm": None}, {"firm": firm.name},
                   f"认领申请#{claim.id}")
    record_event(session, actor, "firm", firm.id, "claimed", f"账户 {claim.user.username} 认领（申请#{claim.id}）")
    notifications.notify(session, "firm", N_("企业认领已通过：%(firm)s"), params={"firm": firm.name},
                         link="/enterprise/", user_ids=[claim.user_id])
    others = session.scalars(select(FirmClaim.id).where(FirmClaim.firm_id == claim.firm_id,
                                                        FirmClaim.state == "pending", FirmClaim.id != claim.id)).all()
    for other in others:
        _reject(session, other, actor, "该企业已由其他账户认领")
    session.expire_all()


def _reject(session: Session, claim_id: int, actor: User, reason: str) -> None:
    done = session.execute(update(FirmClaim).where(FirmClaim.id == claim_id, FirmClaim.state == "pending")
                           .values(state="rejected", reviewer_id=actor.id, decided_at=utcnow(), reason=reason)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("该认领申请已被处理，请刷新页面")
    record_event(session, actor, "firm_claim", claim_id, "rejected", reason, from_state="pending")
    user_id = session.scalar(select(FirmClaim.user_id).where(FirmClaim.id == claim_id))
    notifications.notify(session, "firm", N_("企业认领未通过"), body=N_("原因：%(reason)s"), params={"reason": reason},
                         link="/firms/claim", user_ids=[user_id])


def get_claim_for(session: Session, actor: User, claim_id: int) -> FirmClaim:
    """A claim the actor reviews: the firm's township or the district."""
    claim = session.get(FirmClaim, claim_id)
    if claim is None:
        raise NotFound("认领申请不存在")
    if not records.may_review(actor, claim.firm):
        raise Forbidden("只有企业所属镇街或区金融监管局可以审核该认领")
    return claim


def approve(session: Session, actor: User, claim_id: int) -> FirmClaim:
    claim = get_claim_for(session, actor, claim_id)
    _approve(session, claim, actor)
    return session.get(FirmClaim, claim_id)


def reject(session: Session, actor: User, claim_id: int, reason: str) -> FirmClaim:
    get_claim_for(session, actor, claim_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写驳回理由", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"驳回理由不超过{MAX_REASON}字", field="reason")
    _reject(session, claim_id, actor, reason)
    session.expire_all()
    return session.get(FirmClaim, claim_id)


def queue(actor: User) -> Select:
    """Pending claims the actor reviews, oldest first."""
    query = (select(FirmClaim).join(Firm, Firm.id == FirmClaim.firm_id).where(FirmClaim.state == "pending")
             .order_by(FirmClaim.created_at, FirmClaim.id))
    if actor.role == "district":
        return query
    if actor.role == "township" and actor.township_id is not None:
        return query.where(Firm.township_id == actor.township_id)
    return query.where(FirmClaim.id.is_(None))


def claim_of(session: Session, user: User) -> FirmClaim | None:
    """The claimant's latest claim."""
    return session.scalar(select(FirmClaim).where(FirmClaim.user_id == user.id)
                          .order_by(FirmClaim.id.desc()).limit(1))


def issue_code(session: Session, actor: User, firm_id: int, days: int = CODE_DAYS) -> str:
    """The firm's township makes a one-time claim code (any earlier unused code of the firm stops working).
    Returns the code in clear text, once; only its hash is kept."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFound("企业不存在")
    if not (actor.role == "township" and actor.township_id is not None and firm.township_id == actor.township_id):
        raise Forbidden("只有企业所属镇街可以发放认领码")
    records.lock_firm(session, firm.id)
    if records.has_account(session, firm.id):
        raise DomainError(TAKEN)
    now = utcnow()
    session.execute(update(ClaimCode).where(ClaimCode.firm_id == firm.id, ClaimCode.used_at.is_(None),
                                            ClaimCode.expires_at > now)
                    .values(expires_at=now).execution_options(synchronize_session=False))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    row = ClaimCode(firm_id=firm.id, code_hash=_hash(code), issued_by_id=actor.id, issued_at=now,
                    expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    record_event(session, actor, "firm", firm.id, "code_issued", f"发放认领码，{days}天内有效")
    return code


def format_code(code: str) -> str:
    """Groups of four, easier to read out."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def redeem_code(session: Session, user: User, code: str) -> FirmClaim:
    """A waiting (or turned-down) claimant enters the code the township handed the firm: approved at once."""
    claim = claim_of(session, user)
    if user.role != "enterprise" or user.firm_id is not None or claim is None:
        raise DomainError("您的账户无需认领企业", field="claim_code")
    if claim.state == "approved":
        raise Conflict("认领已通过，请刷新页面")
    row = _claim_code(session, claim.firm, code)
    if claim.state == "rejected":
        claim = FirmClaim(firm_id=claim.firm_id, user_id=user.id, state="pending", name=claim.name,
                          township_id=claim.township_id, contact_person=claim.contact_person,
                          contact_phone=claim.contact_phone)
        session.add(claim)
        session.flush()
        record_event(session, user, "firm_claim", claim.id, "pending", f"凭认领码重新认领 {claim.firm.name}")
    claim.via_code = True
    session.flush()
    _use_code(session, row, claim)
    _approve(session, claim, user, "凭镇街发放的认领码")
    return session.get(FirmClaim, claim.id)


def is_firm_admin(session: Session, user: User) -> bool:
    return user.role == "enterprise" and user.firm_id is not None and records.firm_admin_id(
        session, user.firm_id) == user.id


def add_colleague(session: Session, admin: User, *, username: str, password: str, display_name: str = "",
                  phone: str = "") -> User:
    """The firm's admin adds an account for a colleague (the only way into a firm that has an account)."""
    if not is_firm_admin(session, admin):
        raise Forbidden("只有本企业的管理员可以添加同事账户")
    if len(display_name or "") > 64:
        raise DomainError("姓名不超过64字", field="display_name")
    return accounts.create_user(session, username, password, "enterprise", display_name=(display_name or "").strip(),
                                firm_id=admin.firm_id, phone=(phone or "").strip(), actor=admin)
