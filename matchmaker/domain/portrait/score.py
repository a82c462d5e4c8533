"""The portrait's 0–100 score: named parts, each a value 0–1 with a one-sentence reason, weighted by what the
district sets (stored in settings, edited on a page), in the style of routing's "why this bank"."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ...models import User
from ...text import N_, Phrase
from ..core import settings, weights
from ..core.changes import record_changes
from ..core.errors import Forbidden

SETTING_KEY = "portrait_weights"
PARTS = {
    "tax_grade": (N_("纳税信用"), N_("税务部门核验的纳税信用等级（A=满分，B、M、C 递减；自报等级只算一半）")),
    "qualifications": (N_("名单与资质"), N_("经核验的资质（专精特新、瞪羚、单项冠军、链主及其供应商）和区级白名单")),
    "track_record": (N_("融资记录"), N_("在平台上获批、放款的记录（没有记录时取中间值，被拒多于获批时降低）")),
    "maturity": (N_("经营年限"), N_("成立满 10 年得满分，按年递增")),
    "engagement": (N_("对接活跃度"), N_("参加政银企对接活动并签约或登记对接意向")),
}
DEFAULT_WEIGHTS = {"tax_grade": 30, "qualifications": 25, "track_record": 20, "maturity": 15, "engagement": 10}
GRADE_VALUES = {"A": 1.0, "B": 0.8, "M": 0.6, "C": 0.3, "D": 0.0}
SELF_DECLARED_SHARE = 0.5


def current_weights(session: Session) -> dict[str, float]:
    stored = settings.get(session, SETTING_KEY)
    stored = stored if isinstance(stored, dict) else {}
    return {k: float(stored.get(k, DEFAULT_WEIGHTS[k])) for k in PARTS}


def validate_weights(values: dict) -> dict[str, float]:
    """Each part 0–100 (at most 2 decimals), not all zero; errors name the part's field."""
    return weights.validate_weights(values, PARTS, N_("权重不能全部为0"))


def save_weights(session: Session, actor: User, values: dict) -> dict[str, float]:
    """The district sets the portrait's weights; every portrait is scored with them from now on."""
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以调整画像评分权重")
    cleaned = validate_weights(values)
    before = current_weights(session)
    settings.put(session, SETTING_KEY, cleaned)
    session.flush()
    record_changes(session, actor, "portrait_weights", 0, before, cleaned)
    return cleaned


def tax_value(verified: str | None, declared: str | None, year: str | None) -> tuple[float, Phrase]:
    if verified:
        if year:
            return GRADE_VALUES[verified], Phrase(N_("%(year)s年纳税信用 %(grade)s 级，已由税务名单核验"), year=year,
                                                  grade=verified)
        return GRADE_VALUES[verified], Phrase(N_("纳税信用 %(grade)s 级，已由税务名单核验"), grade=verified)
    if declared in GRADE_VALUES:
        return GRADE_VALUES[declared] * SELF_DECLARED_SHARE, Phrase(
            N_("自报纳税信用 %(grade)s 级，未经税务名单核验，只算一半"), grade=declared)
    return 0.0, Phrase(N_("没有纳税信用等级（未列入税务名单，也未自报）"))


def qualification_value(qualifications: list[str], lists: list[str]) -> tuple[float, Phrase]:
    """`qualifications` and `lists` are kind labels (marked msgids)."""
    if qualifications:
        return 1.0, Phrase(N_("核验资质：%(kind_labels)s"), kind_labels=list(qualifications))
    if lists:
        return 0.6, Phrase(N_("列入区级白名单：%(kind_labels)s；暂无核验资质"), kind_labels=list(lists))
    return 0.0, Phrase(N_("未列入任何名单，也无核验资质"))


def track_value(approved: int, funded: int, declined: int) -> tuple[float, Phrase]:
    if not (approved or funded or declined):
        return 0.5, Phrase(N_("平台上还没有融资结果，取中间值"))
    if funded:
        value = 1.0 if declined <= funded else 0.8
    elif approved:
        value = 0.7
    else:
        value = 0.2
    return value, Phrase(N_("获批 %(approved)s 笔、已放款 %(funded)s 笔、被拒 %(declined)s 笔"), approved=approved,
                         funded=funded, declined=declined)


def maturity_value(age: int | None) -> tuple[float, Phrase]:
    if age is None:
        return 0.0, Phrase(N_("未填写成立年份"))
    return min(1.0, max(0, age) / 10), Phrase(N_("成立 %(years)s 年（满 10 年得满分）"), years=age)


def engagement_value(attended: int, intentions: int) -> tuple[float, Phrase]:
    if intentions:
        return 1.0, Phrase(N_("参加对接活动 %(attended)s 次，登记意向 %(intentions)s 个"), attended=attended,
                           intentions=intentions)
    if attended:
        return 0.6, Phrase(N_("参加对接活动 %(attended)s 次，尚无意向"), attended=attended)
    return 0.0, Phrase(N_("尚未参加政银企对接活动"))


def score(values: dict[str, tuple[float, Phrase]], weights: dict[str, float]) -> tuple[float, list[dict]]:
    """0–100: the weighted share of each part; each part with its label, value, weight, points and reason."""
    total_weight = sum(weights.values()) or 1.0
    parts, total = [], 0.0
    for key, (label, explain) in PARTS.items():
        value, reason = values[key]
        points = value * weights.get(key, 0.0) / total_weight * 100
        total += points
        parts.append({"key": key, "label": label, "explain": explain, "value": round(value, 3),
                      "weight": weights.get(key, 0.0), "max_points": round(weights.get(key, 0.0) / total_weight * 100, 1),
                      "points": round(points, 1), "reason": reason})
    return round(total, 1), parts
