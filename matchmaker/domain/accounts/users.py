"""Accounts: password hashing, sign-in, enterprise self-registration and accounts made by the district."""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Bank, Firm, Township, User, utcnow
from ...models.users import ROLES
from ...text import N_
from ..core.changes import record_event
from ..core.errors import DomainError
from ..core.limits import check_phone
from ..firms import uscc as uscc_rules
from ..firms.records import set_firm_name
from . import passwords

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
# A taken name gets this, checked only after the password policy and answered in the time an account takes
# to create: registration says no more than it must (and is throttled, web/accounts/auth.py).
USERNAME_UNAVAILABLE = N_("该用户名不可用，请换一个用户名")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with that name and password, or None (same answer for unknown name and bad password)."""
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    if user is None:
        _hasher.hash(password or "x")  # spend the same time as a real check
        return None
    if not user.active or not verify_password(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    return user


def _check_credentials(session: Session, username: str, password: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise DomainError("用户名为3–64位字母、数字或 _ . @ -", field="username")
    passwords.check(password, username)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        _hasher.hash(password)
        raise DomainError(USERNAME_UNAVAILABLE, field="username")
    return username


def create_user(session: Session, username: str, password: str, role: str, *, display_name: str = "",
                bank_id: int | None = None, township_id: int | None = None, firm_id: int | None = None,
                phone: str = "", actor: User | None = None, claimant: bool = False) -> User:
    """Create an account of any role; bank roles need a bank, township a township, enterprise a firm (except a
    claimant's, which gets its firm when the claim is approved: firms/claims.py). Written to the history."""
    if role not in ROLES:
        raise DomainError("未知角色：%(role)s", field="role", role=role)
    username = _check_credentials(session, username, password)
    if role in ("bank_manager", "bank_admin") and not (bank_id and session.get(Bank, bank_id)):
        raise DomainError("银行用户必须选择所属银行", field="bank_id")
    if role == "township" and not (township_id and session.get(Township, township_id)):
        raise DomainError("镇街用户必须选择所属镇街", field="township_id")
    if role == "enterprise" and not claimant and not (firm_id and session.get(Firm, firm_id)):
        raise DomainError("企业用户必须关联企业", field="firm_id")
    phone = check_phone(phone, "电话", "phone")
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name or username, phone=phone,
                bank_id=bank_id if role in ("bank_manager", "bank_admin") else None,
                township_id=township_id if role == "township" else None,
                firm_id=firm_id if role == "enterprise" and not claimant else None)
    session.add(user)
    session.flush()
    where = user.bank or user.township or user.firm
    record_event(session, actor, "user", user.id, "created",
                 f"{username}：{ROLES[role]}" + (f"（{where.name}）" if where else "") + ("，待认领企业" if claimant else ""))
    return user


def register_enterprise(session: Session, *, username: str, password: str, uscc: str, name: str,
                        township_id: int | None, contact_person: str, contact_phone: str,
                        industry: str = "other", size: str = "small", founded_year: int | None = None,
                        has_bank_loan: bool = False, tax_credit_grade: str | None = None) -> User:
    """An enterprise registers itself with a new USCC: the firm and its first account (the firm's admin). A firm
    already known (e.g. from a white list) is never changed here: it is claimed (firms/claims.py)."""
    try:
        code = uscc_rules.validate(uscc)
    except uscc_rules.InvalidUSCC as exc:
        raise DomainError(str(exc), field="uscc") from exc
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写企业名称", field="name")
    contact_phone = check_phone(contact_phone, "联系电话", "contact_phone", required=True)
    username = _check_credentials(session, username, password)
    firm = session.scalar(select(Firm).where(Firm.uscc == code))
    if firm is not None:
        raise DomainError("该统一社会信用代码已在平台登记，请通过企业认领办理", field="uscc")
    firm = Firm(uscc=code)
    session.add(firm)
    set_firm_name(firm, name)
    firm.township_id = township_id
    firm.contact_person = contact_person.strip()
    firm.contact_phone = contact_phone
    firm.industry = industry
    firm.size = size
    firm.founded_year = founded_year
    firm.has_bank_loan = has_bank_loan
    firm.tax_credit_grade = tax_credit_grade or None
    session.flush()
    user = create_user(session, username, password, "enterprise", display_name=name, firm_id=firm.id,
                       phone=contact_phone)
    record_event(session, user, "firm", firm.id, "created", f"企业自行注册（账户 {user.username}）")
    return user
