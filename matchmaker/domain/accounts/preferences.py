"""A user's own preferences: the language the pages, messages and notices are shown in."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from ...models import User
from ..core.changes import record_changes
from ..core.errors import Conflict, DomainError, NotFound

# locale code -> its name in itself (the switch shows each language in its own script)
LOCALES = {"zh_Hans_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_Hans_CN"


def set_locale(session: Session, user_id: int, locale: str) -> User:
    """Remember `locale` for the user. One conditional UPDATE on the value read, so two switches at once leave
    one history row each with the true old value; the loser is told to retry."""
    if locale not in LOCALES:
        raise DomainError("不支持的语言：%(locale)s", field="locale", locale=locale[:16])
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("账户不存在")
    old = user.locale
    if old == locale:
        return user
    where = User.locale.is_(None) if old is None else User.locale == old
    result = session.execute(update(User).where(User.id == user_id, where).values(locale=locale)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("语言设置刚被另一页面修改，请重试")
    record_changes(session, user, "user", user_id, {"locale": old}, {"locale": locale})
    session.refresh(user)
    return user
