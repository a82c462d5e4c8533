"""Each role's navigation: (endpoint, label, icon). Entries whose endpoint is not registered are skipped.
Labels are Chinese msgids, translated when the menu is built; a feature module's `nav.add(role, endpoint, label)`
has its label extracted by scripts/i18n (keyword add:3)."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext

from ..text import N_

NAV: dict[str, list[tuple[str, str, str]]] = {
    "enterprise": [
        ("enterprise.dashboard", N_("我的首页"), "house"),
        ("requests.new", N_("发起融资需求"), "plus-circle"),
        ("requests.index", N_("我的融资需求"), "list-task"),
        ("enterprise.profile", N_("企业资料"), "building"),
    ],
    "bank_manager": [
        ("bank.inbox", N_("线索收件箱"), "inbox"),
        ("requests.index", N_("本行对接需求"), "list-task"),
    ],
    "bank_admin": [
        ("bank.inbox", N_("线索收件箱"), "inbox"),
        ("requests.index", N_("本行对接需求"), "list-task"),
        ("products.bank_list", N_("本行产品"), "box-seam"),
        ("bank.managers", N_("客户经理"), "people"),
    ],
    "township": [
        ("township.dashboard", N_("镇街工作台"), "house"),
        ("township.firms", N_("本镇街企业"), "building"),
        ("requests.index", N_("融资需求"), "list-task"),
    ],
    "district": [
        ("district.dashboard", N_("总览"), "speedometer2"),
        ("requests.index", N_("融资需求"), "list-task"),
        ("district.firms", N_("企业"), "building"),
        ("district.banks", N_("银行名录"), "bank"),
        ("district.users", N_("账户管理"), "person-gear"),
    ],
}


def add(role: str, endpoint: str, label: str, icon: str = "dot", position: int | None = None) -> None:
    """Let a feature module add its page to a role's navigation."""
    items = NAV.setdefault(role, [])
    if any(e == endpoint for e, _, _ in items):
        return
    items.insert(len(items) if position is None else position, (endpoint, label, icon))


# Long menus are folded into dropdowns: per role, blueprint (or exact endpoint) -> (group label, icon).
_WORK = (N_("对接业务"), "kanban")
_FIRMS = (N_("企业与白名单"), "building")
_BANKS = (N_("银行考核"), "bar-chart-line")
_EVENTS = (N_("对接活动"), "calendar-event")
_SETTINGS = (N_("设置"), "gear")
_OWN_BANK = (N_("本行管理"), "bank")
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
        "products": _OWN_BANK, "bank.managers": _OWN_BANK, "ratings": _OWN_BANK, "reports": _OWN_BANK,
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
        link = {"endpoint": endpoint, "label": gettext(label), "icon": icon}
        group = _group_of(role, endpoint)
        if group is None:
            menu.append(link)
            continue
        if group[0] not in groups:
            groups[group[0]] = {"label": gettext(group[0]), "icon": group[1], "children": [], "key": group[0]}
            menu.append(groups[group[0]])
        groups[group[0]]["children"].append(link)
    menu.sort(key=lambda m: m.get("key") == _SETTINGS[0])  # settings last (a stable sort keeps the rest)
    # a group of one is just a link
    return [m["children"][0] if "children" in m and len(m["children"]) == 1 else m for m in menu]
