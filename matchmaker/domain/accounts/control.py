"""Accounts the district controls: deactivate and reactivate a user, reset a password to a temporary one that
must be changed at the next sign-in, and everyone changes their own password. The district manages every
account but its own; a bank admin manages the managers of its own bank. Each change is one conditional UPDATE
(a concurrent change makes the loser's rowcount 0: 409, no second history row) and one History row."""
from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ...models import History, User, utcnow
from ...text import N_
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..requests.lifecycle import record
from . import passwords
from .people import people
from .users import hash_password, verify_password

STALE = N_("该账户刚被他人修改，请刷新页面后重试")


def may_manage(actor: User, target: User) -> bool:
    """Whether `actor` may deactivate, reactivate or reset `target`."""
    if actor.id == target.id:
        return False
    if actor.role == "district":
        return True
    return actor.role == "bank_admin" and target.role == "bank_manager" and target.bank_id == actor.bank_id


def managed_user(session: Session, actor: User, user_id: int) -> User:
    # a token's account is not a person: it is revoked on the token pages, not managed here
    target = session.scalar(select(User).where(User.id == user_id, people()))
    if target is None:
        raise NotFound("账户不存在")
    if not may_manage(actor, target):
        raise Forbidden("无权管理该账户")
    return target


def _update(session: Session, user_id: int, where, **values) -> bool:
    result = session.execute(update(User).where(User.id == user_id, *where)
                             .values(session_version=User.session_version + 1, **values)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def deactivate(session: Session, actor: User, user_id: int) -> User:
    """Stop an account: it cannot sign in, and its open sessions end at once."""
    target = managed_user(session, actor, user_id)
    if not _update(session, target.id, [User.active.is_(True)], active=False):
        raise Conflict("账户 %(name)s 已是停用状态", name=target.username)
    record(session, "user", target.id, None, actor, "active", "inactive", f"停用账户 {target.username}")
    session.refresh(target)
    return target


def reactivate(session: Session, actor: User, user_id: int) -> User:
    target = managed_user(session, actor, user_id)
    if not _update(session, target.id, [User.active.is_(False)], active=True):
        raise Conflict("账户 %(name)s 已是启用状态", name=target.username)
    record(session, "user", target.id, None, actor, "inactive", "active", f"启用账户 {target.username}")
    session.refresh(target)
    return target


def reset_password(session: Session, actor: User, user_id: int) -> str:
    """Give the account a temporary password (returned once, never stored in clear) that must be changed at
    the next sign-in; its open sessions end."""
    target = managed_user(session, actor, user_id)
    temporary = passwords.temporary_password()
    if not _update(session, target.id, [User.session_version == target.session_version],
                   password_hash=hash_password(temporary), must_change_password=True,
                   password_changed_at=utcnow()):
        raise Conflict(STALE)
    record(session, "user", target.id, None, actor, None, "password_reset",
           f"重置账户 {target.username} 的密码（临时密码，首次登录须修改）")
    return temporary


def change_password(session: Session, user_id: int, old: str, new: str) -> User:
    """A user changes their own password, giving the current one. Every other session of theirs ends."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("账户不存在")
    if not verify_password(user.password_hash, old or ""):
        raise DomainError("原密码不正确", field="old_password")
    passwords.check(new, user.username, field="new_password")
    if verify_password(user.password_hash, new):
        raise DomainError("新密码不能与原密码相同", field="new_password")
    if not _update(session, user.id, [User.session_version == user.session_version],
                   password_hash=hash_password(new), must_change_password=False, password_changed_at=utcnow()):
        raise Conflict(STALE)
    record(session, "user", user.id, None, user, None, "password_changed", "修改了自己的密码")
    session.refresh(user)
    return user


ACCOUNT_EVENTS = {"inactive": N_("停用"), "active": N_("启用"), "password_reset": N_("重置密码"),
                  "password_changed": N_("修改密码"), "created": N_("开通账户"), "changed": N_("修改资料")}


def account_history(session: Session, actor: User, limit: int = 100) -> list:
    """The latest account changes the actor may see: all for the district, its own bank's for a bank admin.
    A user's own preferences (the language) are in the history, but are not account control: left out."""
    query = (select(History).where(History.entity == "user", or_(History.field.is_(None), History.field != "locale"))
             .order_by(History.id.desc()).limit(limit))
    if actor.role == "bank_admin":
        query = query.where(History.entity_id.in_(select(User.id).where(User.bank_id == actor.bank_id)))
    elif actor.role != "district":
        raise Forbidden("无权查看账户操作记录")
    return list(session.scalars(query).unique())
