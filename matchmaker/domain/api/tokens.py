"""API tokens: made by a bank admin (for the bank) or by the district (for the district), shown once, stored as
a sha256 hash, limited to scopes, expiring, revocable at once. Each token acts through an account of its own that
can never sign in, so the history shows the token's name as the actor."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import ApiToken, User, utcnow
from ...models.api import BANK_SCOPES, DISTRICT_SCOPES, SCOPES
from ..core.errors import DomainError, Forbidden, NotFound
from ..requests import lifecycle

PREFIX = "mmk_"  # recognisable in logs and by secret scanners
MAX_NAME = 64
MAX_DAYS = 366
DEFAULT_DAYS = 90
UNUSABLE_PASSWORD = "!api-token"  # not an argon2 hash: verify_password always refuses it


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def allowed_scopes(owner: str) -> tuple[str, ...]:
    return BANK_SCOPES if owner == "bank" else DISTRICT_SCOPES


def owner_of(actor: User) -> tuple[str, int | None]:
    """Whose tokens `actor` manages: a bank admin its bank's, the district the district's."""
    if actor.role == "bank_admin" and actor.bank_id:
        return "bank", actor.bank_id
    if actor.role == "district":
        return "district", None
    raise Forbidden("只有支行管理员或区金融办可以管理接口令牌")


def create(session: Session, actor: User | None, name: str, scopes: list[str], days: int = DEFAULT_DAYS, *,
           owner: str | None = None, bank_id: int | None = None) -> tuple[ApiToken, str]:
    """Make a token; returns it and the raw token, which is never stored and cannot be shown again.
    `actor` None (the CLI) must name the owner."""
    if actor is not None:
        owner, bank_id = owner_of(actor)
    if owner not in ("bank", "district"):
        raise DomainError("令牌所属必须是银行或区金融办", field="owner")
    if owner == "bank":
        from ...models import Bank

        if not bank_id or session.get(Bank, bank_id) is None:
            raise DomainError("请选择令牌所属银行", field="bank_id")
    else:
        bank_id = None
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写令牌名称", field="name")
    if len(name) > MAX_NAME:
        raise DomainError("令牌名称不能超过%(n)d个字符", field="name", n=MAX_NAME)
    scopes = list(dict.fromkeys(scopes or []))
    if not scopes:
        raise DomainError("请至少选择一项权限", field="scopes")
    bad = [s for s in scopes if s not in allowed_scopes(owner)]
    if bad:
        raise DomainError("权限不适用于该令牌：%(scopes)s", field="scopes", scopes=", ".join(bad))
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise DomainError("有效期应为1–%(n)d天", field="days", n=MAX_DAYS)
    raw = PREFIX + secrets.token_urlsafe(32)
    account = User(username=f"api-{secrets.token_hex(8)}", password_hash=UNUSABLE_PASSWORD,
                   role="bank_admin" if owner == "bank" else "district", display_name=f"接口：{name}"[:64],
                   bank_id=bank_id, active=False)
    session.add(account)
    session.flush()
    now = utcnow()
    token = ApiToken(name=name, token_hash=hash_token(raw), prefix=raw[:len(PREFIX) + 6], owner=owner,
                     bank_id=bank_id, scopes=scopes, user_id=account.id,
                     created_by_id=actor.id if actor is not None else None, created_at=now,
                     expires_at=now + timedelta(days=days))
    session.add(token)
    session.flush()
    lifecycle.record(session, "api_token", token.id, None, actor, None, "active",
                     f"创建接口令牌“{name}”（{'、'.join(scopes)}，{days}天）")
    return token, raw


def authenticate(session: Session, raw: str | None, now: datetime | None = None) -> ApiToken | None:
    """The usable token for a raw bearer value (unknown, revoked and expired all give None); notes its use."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    now = now or utcnow()
    if token is None or not token.is_usable(now):
        return None
    # one UPDATE, no read-modify-write: concurrent calls of one token never conflict over it
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                    .execution_options(synchronize_session=False))
    return token


def listed(session: Session, actor: User) -> list[ApiToken]:
    owner, bank_id = owner_of(actor)
    query = select(ApiToken).where(ApiToken.owner == owner)
    if owner == "bank":
        query = query.where(ApiToken.bank_id == bank_id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(session: Session, actor: User | None, token_id: int) -> ApiToken:
    """Revoke at once: the next call with the token is refused. Revoking twice changes nothing."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("令牌不存在")
    if actor is not None:
        owner, bank_id = owner_of(actor)
        if token.owner != owner or (owner == "bank" and token.bank_id != bank_id):
            raise NotFound("令牌不存在")
    result = session.execute(update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
                             .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount == 1:
        lifecycle.record(session, "api_token", token.id, None, actor, "active", "revoked",
                         f"撤销接口令牌“{token.name}”")
    session.refresh(token)
    return token


def has_scope(token: ApiToken, scope: str) -> bool:
    return scope in (token.scopes or []) and scope in SCOPES
