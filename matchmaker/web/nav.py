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
        ("district.banks", "银行名录", "bank"),
        ("district.users", "账户管理", "person-gear"),
    ],
}


def add(role: str, endpoint: str, label: str, icon: str = "dot", position: int | None = None) -> None:
    """Let a feature module add its page to a role's navigation."""
    items = NAV.setdefault(role, [])
    if any(e == endpoint for e, _, _ in items):
        return
    items.insert(len(items) if position is None else position, (endpoint, label, icon))


# Long menus are folded into dropdowns: per role, blueprint (or exact endpoint) -> (group label, icon).
_WORK = ("对接业务", "kanban")
_FIRMS = ("企业与白名单", "building")
_BANKS = ("银行考核", "bar-chart-line")
_EVENTS = ("对接活动", "calendar-event")
_SETTINGS = ("设置", "gear")
GROUPS: dict[str, dict[str, tuple[str, str]]] = {
    "district": {
        "requests": _WORK, "overdue": _WORK, "referrals": _WORK, "first_loans": _WORK, "ratings": _WORK,
        "district.firms": _FIRMS, "whitelists": _FIRMS, "listing": _FIRMS,
        "district.banks": _BANKS, "targets": _BANKS, "reports": _BANKS, "bulletins": _BANKS,
        "events": _EVENTS, "event_reports": _EVENTS,
        "products": _SETTINGS, "weights": _SETTINGS, "workdays": _SETTINGS, "district.users": _SETTINGS,
    },
    "township": {
        "requests": _WORK, "overdue": _WORK, "referrals": _WORK, "first_loans": _WORK,
        "township.firms": _FIRMS, "whitelists": _FIRMS,
        "events": _EVENTS, "event_reports": _EVENTS,
    },
    "bank_admin": {
        "requests": _WORK, "overdue": _WORK, "first_loans": _WORK, "referrals": _WORK,
        "products": ("本行管理", "bank"), "bank.managers": ("本行管理", "bank"), "ratings": ("本行管理", "bank"),
        "reports": ("本行管理", "bank"),
    },
    "bank_manager": {"requests": _WORK, "overdue": _WORK, "first_loans": _WORK, "referrals": _WORK},
}


def _group_of(role: str, endpoint: str) -> tuple[str, str] | None:
    groups = GROUPS.get(role, {})
    return groups.get(endpoint) or groups.get(endpoint.split(".", 1)[0])


def items_for(role: str) -> list[dict]:
    """The role's menu: links, and dropdown groups of links, in the order first seen."""
    endpoints = set(current_app.view_functions)
    menu: list[dict] = []
    groups: dict[str, dict] = {}
    for endpoint, label, icon in NAV.get(role, []):
        if endpoint not in endpoints:
            continue
        link = {"endpoint": endpoint, "label": label, "icon": icon}
        group = _group_of(role, endpoint)
        if group is None:
            menu.append(link)
            continue
        if group[0] not in groups:
            groups[group[0]] = {"label": group[0], "icon": group[1], "children": []}
            menu.append(groups[group[0]])
        groups[group[0]]["children"].append(link)
    menu.sort(key=lambda m: m.get("label") == _SETTINGS[0])  # settings last (a stable sort keeps the rest)
    # a group of one is just a link
    return [m["children"][0] if "children" in m and len(m["children"]) == 1 else m for m in menu]
