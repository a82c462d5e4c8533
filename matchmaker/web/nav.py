"""Each role's navigation: (endpoint, label, icon). Entries whose endpoint is not registered are skipped."""
from __future__ import annotations

from flask import current_app

NAV: dict[str, list[tuple[str, str, str]]] = {
    "enterprise": [
        ("enterprise.dashboard", "我的首页", "house"),
        ("requests.new", "发起融资需求", "plus-circle"),
        ("requests.index", "我的融资需求", "list-task"),
        ("enterprise.profile", "企业资料", "building"),
    ],
    "bank_manager": [
        ("bank.inbox", "线索收件箱", "inbox"),
        ("requests.index", "本行对接需求", "list-task"),
    ],
    "bank_admin": [
        ("bank.inbox", "线索收件箱", "inbox"),
        ("requests.index", "本行对接需求", "list-task"),
        ("products.bank_list", "本行产品", "box-seam"),
        ("bank.managers", "客户经理", "people"),
    ],
    "township": [
        ("township.dashboard", "镇街工作台", "house"),
        ("township.firms", "本镇街企业", "building"),
        ("requests.index", "融资需求", "list-task"),
    ],
    "district": [
        ("district.dashboard", "总览", "speedometer2"),
        ("requests.index", "融资需求", "list-task"),
        ("district.firms", "企业", "building"),
        ("district.banks", "银行与目标", "bank"),
        ("district.users", "账户管理", "person-gear"),
    ],
}


def add(role: str, endpoint: str, label: str, icon: str = "dot", position: int | None = None) -> None:
    """Let a feature module add its page to a role's navigation."""
    items = NAV.setdefault(role, [])
    if any(e == endpoint for e, _, _ in items):
        return
    items.insert(len(items) if position is None else position, (endpoint, label, icon))


def items_for(role: str) -> list[tuple[str, str, str]]:
    endpoints = set(current_app.view_functions)
    return [item for item in NAV.get(role, []) if item[0] in endpoints]
