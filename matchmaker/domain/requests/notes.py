"""The notes the system writes in a request's history (History.note), and reading them back as what was said.

A note is stored as the Chinese text (the API, exports and logs read it, and rows written before this module read
the same), written from one of NOTES with its values. `parse` finds which msgid wrote a stored note and its
values again, so a page shows the note in its reader's language; a note no msgid wrote (what a manager typed, an
older wording) is shown as stored. Values are read by name: `amount` an amount as `money.amount_text` writes it,
`…_label` a glossary label (translated), `score`/`n`/`term`/`rate`/`date`/`lead` numbers, codes and dates;
anything else (`bank`, `statement`) is user data."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ...models.requests import DECLINE_REASONS
from ...text import N_

ROUTED = N_("推送至%(bank)s，得分 %(score)s")
ROUTED_LATE = N_("推送至%(bank)s，得分 %(score)s（超时转派）")
ROUTED_MANY = N_("推送至 %(n)s 家银行")
NO_PRODUCT = N_("没有符合条件的银行产品")
NO_OFFER = N_("所有银行均未给出授信方案")
FILED_BY_TOWNSHIP = N_("镇街代企业填报")
ACCEPTED = N_("接受%(bank)s的方案")
OTHER_ACCEPTED = N_("企业已接受其他银行的方案")
FUNDED = N_("企业确认资金到账")
WITHDRAWN = N_("企业撤回")
WITHDRAWN_RELEASE = N_("企业已撤回需求")
CONTACTED = N_("已与企业取得联系")
REVIEWING = N_("进入审查")
APPROVED = N_("授信 %(amount)s，年利率 %(rate)s，%(term)s个月")
OFFERED = N_("%(bank)s给出授信方案")
DECLINED = N_("%(reason_label)s：%(note)s")
DISBURSED = N_("放款 %(amount)s")
EXPIRED = N_("超过认领时限（%(date)s）未认领，已转派下一家银行")
RESUBMITTED = N_("企业补正后重新提交（原线索 %(lead)s：%(reason_label)s）：%(statement)s")
RESUBMITTED_TO = N_("企业补正后重新提交至%(bank)s")

# the most specific first: a note is read by the first msgid that writes it exactly
NOTES = (ROUTED_LATE, ROUTED, ROUTED_MANY, NO_PRODUCT, NO_OFFER, FILED_BY_TOWNSHIP, ACCEPTED, OTHER_ACCEPTED, FUNDED,
         WITHDRAWN, WITHDRAWN_RELEASE, CONTACTED, REVIEWING, APPROVED, OFFERED, DISBURSED, EXPIRED, RESUBMITTED,
         RESUBMITTED_TO, DECLINED)

_VALUE = {"score": r"-?[\d.,]+", "n": r"\d+", "term": r"\d+", "rate": r"[\d.]+%", "date": r"\d{4}-\d{2}-\d{2}",
          "lead": r"L-\d+", "amount": r"-?[\d.,]+ [万亿]元"}


def note(msgid: str, **values) -> str:
    """The stored (Chinese) text of a note."""
    return msgid % values if values else msgid


def _labels() -> str:
    return "|".join(re.escape(label) for label, _fixable, _next in DECLINE_REASONS.values())


@lru_cache(maxsize=None)
def _pattern(msgid: str) -> re.Pattern:
    parts, at = [], 0
    for m in re.finditer(r"%\((\w+)\)s", msgid):
        parts.append(re.escape(msgid[at:m.start()]))
        name = m.group(1)
        parts.append(f"(?P<{name}>{_labels() if name.endswith('_label') else _VALUE.get(name, '.+?')})")
        at = m.end()
    parts.append(re.escape(msgid[at:]))
    return re.compile("".join(parts), re.S)


def parse(text: str | None) -> tuple[str, dict] | None:
    """(msgid, values) of a stored note the system wrote, or None (typed by a person, or an unknown wording)."""
    if not text:
        return None
    if text in {label for label, _fixable, _next in DECLINE_REASONS.values()}:  # a decline without a note
        return "%(reason_label)s", {"reason_label": text}
    for msgid in NOTES:
        found = _pattern(msgid).fullmatch(text)
        if found:
            return msgid, found.groupdict()
    return None


def amount_yuan(text: str) -> int | None:
    """'480 万元' / '1.23 亿元' (as `amount_text` wrote it) -> 元; None when it is not one."""
    try:
        number, unit = text.rsplit(" ", 1)
        return int(Decimal(number.replace(",", "")) * (10000 if unit == "万元" else 100_000_000))
    except (ValueError, InvalidOperation):
        return None
