"""月通报 / 季评价 / 年考核 computed from the data: the monthly bulletin (banks ranked on targets and platform
figures, banks behind named, district totals), the quarterly evaluation (a weighted score per bank with its
breakdown) and the annual assessment. Issuing freezes a bulletin as JSON; `changes` says what moved since."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Bulletin, MonthlyReport, User, utcnow
from ...text import N_
from ..core import settings, shared_cache
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.money import amount_text
from ..core.translate import translator
from . import monthly_reports, platform_figures, report_deadlines, targets
from .periods import KINDS, Period, local_date, parse

PARTS = {
    "target": N_("目标完成"),
    "growth": N_("工业贷款增速高于贷款平均增速"),
    "whitelist": N_("服务白名单企业"),
    "speed": N_("按时认领"),
    "satisfaction": N_("企业满意度"),
    "first_loan": N_("首贷"),
    "policy": N_("知识产权质押等政策性产品"),
}
PART_NOTES = {
    "target": N_("工业贷款余额、存贷比对序时进度的完成率（各按100%封顶）的平均"),
    "growth": N_("期末工业贷款同比增速高于各项贷款同比增速得满分，每低1个百分点扣10分"),
    "whitelist": N_("获批的白名单企业户数，与最多的银行相比"),
    "speed": N_("按时认领线索的比例"),
    "satisfaction": N_("企业评价平均分（满分5分）"),
    "first_loan": N_("报送的首贷户数合计，与最多的银行相比"),
    "policy": N_("期末知识产权质押、绿色、科创贷、政银保贷、供应链票据余额合计，与最多的银行相比"),
}
TITLES = {
    "monthly": N_("%(period)s全区银行业金融机构支持“工业强区、产业兴区”工作通报"),
    "quarterly": N_("%(period)s全区银行业金融机构支持“工业强区、产业兴区”工作评价"),
    "annual": N_("%(period)s全区银行业金融机构支持“工业强区、产业兴区”工作考核"),
}
DISTRICT = N_("全区合计")  # the `who` of a district figure in `changes`
DEFAULT_WEIGHTS = {"target": 30, "growth": 10, "whitelist": 15, "speed": 15, "satisfaction": 10, "first_loan": 10,
                   "policy": 10}
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def weights(session: Session) -> dict[str, int]:
    stored = settings.get(session, "evaluation_weights") or {}
    return {k: int(stored.get(k, v)) for k, v in DEFAULT_WEIGHTS.items()}


def save_weights(session: Session, actor: User, values: dict[str, int]) -> dict[str, int]:
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以设置评价权重")
    clean = {}
    for key in PARTS:
        value = values.get(key)
        if value is None or not 0 <= int(value) <= 100:
            raise DomainError("权重应为0–100的整数", field=key)
        clean[key] = int(value)
    if sum(clean.values()) != 100:
        raise DomainError("各项权重合计应为100，现为%(total)s", field="target", total=sum(clean.values()))
    settings.put(session, "evaluation_weights", clean)
    return clean


def title(period: Period, locale: str | None = None) -> str:
    """The bulletin's title in `locale` (None: Chinese, the text stored with the data)."""
    return translator(locale)(TITLES[period.kind], period=period.label_in(locale))


def _competition_rank(rows: list[dict], key, field: str) -> None:
    """Rank rows (1, 2, 2, 4 …) by `key` (a tuple; larger is better); rows whose key is None get no rank."""
    ranked = sorted((r for r in rows if key(r) is not None), key=key, reverse=True)
    previous, rank = None, 0
    for i, row in enumerate(ranked, start=1):
        if key(row) != previous:
            rank, previous = i, key(row)
        row[field] = rank
    for row in rows:
        row.setdefault(field, None)


def _base(period: Period, today: date) -> dict:
    return {"kind": period.kind, "kind_label": KINDS[period.kind], "period": period.key, "label": period.label,
            "year": period.year, "computed_on": today.isoformat(),
            "start": period.start.isoformat(), "end": period.end.isoformat()}


def monthly(session: Session, period: Period, today: date | None = None) -> dict:
    """The monthly bulletin for a month."""
    today = today or local_date(utcnow())
    month = period.start
    rows = targets.progress(session, month)
    plat = platform_figures.figures(session, period, today)  # set-based SQL, one GROUP BY per figure family
    for row in rows:
        row["platform"] = plat["banks"].get(row["bank_id"])
    _competition_rank(rows, lambda r: (Decimal(r["schedule_pct"]),) if r["schedule_pct"] else None, "rank_target")
    _competition_rank(rows, lambda r: (r["platform"]["disbursed_amount"], r["platform"]["approved"],
                                       Decimal(r["platform"]["in_time_pct"] or -1)), "rank_platform")
    district = targets.totals(rows)
    district["previous"] = _previous(rows, targets.progress(session, period.previous().start))
    due, status = report_deadlines.status(session, month, today)
    return {
        **_base(period, today),
        "title": title(period),
        "deadline": due.isoformat(),
        "district": district,
        "platform_total": plat["total"],
        "banks": rows,
        "behind": [{"bank_id": r["bank_id"], "name": r["name"], "reasons": r["behind"]} for r in rows if r["behind"]],
        "missing": [{"bank_id": s.bank.id, "name": s.bank.name, "state": s.state} for s in status if s.report is None],
        "late": [{"bank_id": s.bank.id, "name": s.bank.name} for s in status if s.state == "late"],
        "goals": targets.goals_panel(session, district),
        "compliance": platform_figures.compliance_series(session, month, 12, today),
        "funnel": platform_figures.funnel(plat["total"]),
    }


def _previous(rows: list[dict], before: list[dict]) -> dict:
    """Last period's totals, and the change of industrial loans over the banks that reported both times."""
    totals = targets.totals(before)
    out = {k: totals[k] for k in ("deposits", "loans", "industrial_loans", "ldr_pct", "reported")}
    earlier = {r["bank_id"]: r["industrial_loans"] for r in before if r["report_id"] is not None}
    both = [r for r in rows if r["report_id"] is not None and r["bank_id"] in earlier]
    out["industrial_change"] = sum(r["industrial_loans"] - earlier[r["bank_id"]] for r in both)
    out["compared_banks"] = len(both)
    return out


def _relative(value: int, best: int) -> Decimal:
    return _q(Decimal(value) * HUNDRED / best) if best else Decimal(0)


def _target_part(row: dict) -> Decimal:
    if row["report_id"] is None or row["expected_industrial"] is None:
        return Decimal(0)
    ind = min(HUNDRED, Decimal(row["schedule_pct"])) if row["schedule_pct"] else HUNDRED
    ldr = HUNDRED
    if row["ldr_pct"] is not None and Decimal(row["expected_ldr_pct"]) > 0:
        ldr = min(HUNDRED, Decimal(row["ldr_pct"]) * HUNDRED / Decimal(row["expected_ldr_pct"]))
    return _q((ind + ldr) / 2)


def _growth_part(row: dict) -> Decimal:
    """确保工业贷款增速高于贷款平均增速, year on year at the period's end."""
    g = row["growth_yoy"]
    if g["met"] is None:
        return Decimal(0)
    if g["met"]:
        return _q(HUNDRED)
    return _q(max(Decimal(0), HUNDRED - (Decimal(g["loans"]) - Decimal(g["industrial"])) * 10))


def part_texts(progress: dict, raw: dict, platform: dict, locale: str | None = None) -> dict[str, str]:
    """What each part of a bank's score rests on, in words ("1/4", "3 户"), from its figures: written in Chinese
    into the data (and frozen with it), and again in the reader's language from a frozen bulletin's figures."""
    _ = translator(locale)
    p, g = platform, progress.get("growth_yoy") or {"met": None}
    if progress["report_id"] is None:
        target = _("未报送")
    elif progress["expected_industrial"] is None:
        target = _("无目标")
    else:
        target = _("工业贷款 %(schedule)s%%，存贷比 %(ldr)s%%（序时 %(expected)s%%）", schedule=progress["schedule_pct"],
                   ldr=progress["ldr_pct"] or "—", expected=progress["expected_ldr_pct"])
    return {
        "target": target,
        "growth": (_("缺少上年同期数据") if g["met"] is None
                   else _("工业贷款 %(industrial)s%%，各项贷款 %(loans)s%%", industrial=g["industrial"], loans=g["loans"])),
        "whitelist": _("%(n)s 户", n=raw["whitelist"]),
        "speed": (_("%(in_time)s/%(total)s", in_time=p["in_time"], total=p["in_time"] + p["overdue"])
                  if p["in_time_pct"] else _("无线索")),
        "satisfaction": (_("%(score)s 分（%(n)s 条评价）", score=p["satisfaction"], n=p["rated"]) if p["satisfaction"]
                         else _("无评价")),
        "first_loan": _("%(n)s 户", n=raw["first_loan"]),
        "policy": (amount_text(raw["policy"], locale) if locale and not locale.startswith("zh")
                   else _("%(amount)s 万元", amount=_q(Decimal(raw["policy"]) / 10000))),
    }


def evaluation(session: Session, period: Period, today: date | None = None,
               facts: list[platform_figures.LeadFacts] | None = None) -> dict:
    """A score per bank from weighted parts over the period (quarter or year), with the breakdown."""
    today = today or local_date(utcnow())
    rows = targets.progress(session, period.last_month)
    plat = platform_figures.figures(session, period, today, facts)
    reports = monthly_reports.latest(session, period.months)
    w = weights(session)
    total_w = sum(w.values()) or 1
    raw = {}
    for row in rows:
        p = plat["banks"].get(row["bank_id"])
        first = sum(r.first_loan_count for (b, _), r in reports.items() if b == row["bank_id"])
        policy = sum(row[name] or 0 for name in monthly_reports.POLICY_PRODUCTS)
        raw[row["bank_id"]] = {"whitelist": p["whitelist_firms"], "first_loan": first, "policy": policy}
    best = {k: max((v[k] for v in raw.values()), default=0) for k in ("whitelist", "first_loan", "policy")}
    out_rows = []
    for row in rows:
        p, r = plat["banks"].get(row["bank_id"]), raw[row["bank_id"]]
        texts = part_texts(row, r, p)
        scores = {
            "target": _target_part(row),
            "growth": _growth_part(row),
            "whitelist": _relative(r["whitelist"], best["whitelist"]),
            "speed": Decimal(p["in_time_pct"]) if p["in_time_pct"] else Decimal(0),
            "satisfaction": _q(Decimal(p["satisfaction"]) * 20) if p["satisfaction"] else Decimal(0),
            "first_loan": _relative(r["first_loan"], best["first_loan"]),
            "policy": _relative(r["policy"], best["policy"]),
        }
        parts = {k: (scores[k], texts[k]) for k in PARTS}
        score = _q(sum(s * w[k] for k, (s, _) in parts.items()) / total_w)
        out_rows.append({
            "bank_id": row["bank_id"], "seq": row["seq"], "name": row["name"], "score": str(score),
            "parts": {k: {"score": str(s), "weighted": str(_q(s * w[k] / total_w)), "raw": text}
                      for k, (s, text) in parts.items()},
            "raw": r, "progress": row, "platform": p,
        })
    _competition_rank(out_rows, lambda r: (Decimal(r["score"]),), "rank")
    out_rows.sort(key=lambda r: (r["rank"], r["seq"]))
    district = targets.totals(rows)
    return {**_base(period, today), "weights": w, "parts": PARTS, "part_notes": PART_NOTES, "banks": out_rows,
            "district": district, "platform_total": plat["total"], "best": best,
            "funnel": platform_figures.funnel(plat["total"])}


def quarterly(session: Session, period: Period, today: date | None = None) -> dict:
    data = evaluation(session, period, today)
    data["title"] = title(period)
    return data


def annual(session: Session, period: Period, today: date | None = None) -> dict:
    """The annual assessment: the year's evaluation plus the year's summary against last December."""
    data = evaluation(session, period, today)
    data["title"] = title(period)
    data["district"]["previous"] = _previous([r["progress"] for r in data["banks"]],
                                             targets.progress(session, date(period.year - 1, 12, 1)))
    data["goals"] = targets.goals_panel(session, data["district"])
    data["targets_met"] = [r["name"] for r in data["banks"] if r["progress"]["completion_pct"]
                           and Decimal(r["progress"]["completion_pct"]) >= HUNDRED]
    data["compliance"] = platform_figures.compliance_series(session, period.last_month, 12, today)
    return data


COMPUTE = {"monthly": monthly, "quarterly": quarterly, "annual": annual}


def compute(session: Session, period: Period, today: date | None = None) -> dict:
    """The period's bulletin as of `today`, computed once while nothing it is computed from changes (`stamp`) and
    shared by the workers (`shared_cache`); each call gets its own copy."""
    today = today or local_date(utcnow())
    return shared_cache.cached(session, f"bulletin:{period.kind}:{period.key}", stamp(session, today),
                               lambda: COMPUTE[period.kind](session, period, today))


def stamp(session: Session, today: date) -> tuple:
    """Everything a bulletin is computed from, in a few small reads: the platform figures' stamp (leads, offers,
    firms, ratings, first loans, white lists, calendar, banks, `today`) and the progress rows' (monthly reports,
    targets, base-period figures, the listing pool, banks, settings: weights, deadlines, goals, base month)."""
    return platform_figures.stamp(session, today), targets.report_stamp(session)


# Issuing and frozen snapshots ------------------------------------------------------------------------------------

def editions(session: Session, kind: str, key: str) -> list[Bulletin]:
    return list(session.scalars(select(Bulletin).where(Bulletin.kind == kind, Bulletin.period == key)
                                .order_by(Bulletin.edition.desc())))


def issue(session: Session, actor: User, period: Period, today: date | None = None) -> Bulletin:
    """Freeze the period's figures as published (a new edition if one was issued before)."""
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以发布通报")
    today = today or local_date(utcnow())
    if period.end > today:
        raise DomainError("%(period)s尚未结束，结束后才能发布", period=period.key)
    data = compute(session, period, today)
    # Published means frozen all the way down: the leads behind each platform figure, as counted today.
    data["drill"] = platform_figures.frozen_rows(session, period.start, period.end, today)
    edition = (session.scalar(select(func.max(Bulletin.edition)).where(
        Bulletin.kind == period.kind, Bulletin.period == period.key)) or 0) + 1
    row = Bulletin(kind=period.kind, period=period.key, edition=edition, title=data["title"], data=data,
                   issued_at=utcnow(), issued_by_id=actor.id)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same edition issued a moment ago by someone else
        session.rollback()
        raise Conflict("%(period)s的通报刚刚已由他人发布，请刷新页面查看", period=period.key) from None
    return row


CHANGE_FIELDS = {
    "deposits": (N_("各项存款余额"), "yi"), "loans": (N_("各项贷款余额"), "yi"),
    "industrial_loans": (N_("工业贷款余额"), "yi"), "ldr_pct": (N_("存贷比"), "pct"),
    "completion_pct": (N_("目标完成率"), "pct"), "schedule_pct": (N_("序时完成率"), "pct"),
    "version": (N_("报表版本"), "n"), "reported": (N_("已报送银行"), "n"), "score": (N_("综合得分"), "n"),
    "rank": (N_("排名"), "n"), "rank_target": (N_("目标排名"), "n"), "rank_platform": (N_("平台排名"), "n"),
    "received": (N_("推送线索"), "n"), "in_time": (N_("按时认领"), "n"), "approved": (N_("获批"), "n"),
    "disbursed": (N_("放款笔数"), "n"), "disbursed_amount": (N_("放款金额"), "wan"), "satisfaction": (N_("满意度"), "n"),
}


def _flat(data: dict) -> dict[tuple[str, str], object]:
    out = {}
    for key, value in (data.get("district") or {}).items():
        if key in CHANGE_FIELDS:
            out[(DISTRICT, key)] = value
    for row in data.get("banks") or []:
        sources = [row, row.get("progress") or {}, row.get("platform") or {}]
        for source in sources:
            for key, value in source.items():
                if key in CHANGE_FIELDS and (row["name"], key) not in out:
                    out[(row["name"], key)] = value
    return out


def changes(published: dict, live: dict) -> list[dict]:
    """What differs between a published bulletin and today's figures, field by field."""
    before, now = _flat(published), _flat(live)
    out = []
    for key in before.keys() | now.keys():
        if before.get(key) != now.get(key):
            label, unit = CHANGE_FIELDS[key[1]]
            out.append({"who": key[0], "field": key[1], "label": label, "unit": unit,
                        "published": before.get(key), "current": now.get(key)})
    order = {row["name"]: i for i, row in enumerate(live.get("banks") or [])}
    out.sort(key=lambda c: (-1 if c["who"] == DISTRICT else order.get(c["who"], 999), c["field"]))
    return out


def frozen_drill(session: Session, period: Period, edition: int, metric: str, bank_id: int | None = None,
                 reason: str | None = None) -> list[int] | None:
    """The lead ids behind a figure of a published edition of the period's bulletin, as frozen when it was issued;
    None when that edition has no frozen rows (issued before they were kept). NotFound for no such edition."""
    row = session.scalar(select(Bulletin).where(Bulletin.kind == period.kind, Bulletin.period == period.key,
                                                Bulletin.edition == edition))
    if row is None:
        raise NotFound("%(period)s的通报没有第%(edition)s版", period=period.key, edition=edition)
    frozen = (row.data or {}).get("drill")
    return None if frozen is None else platform_figures.drill_frozen(frozen, metric, bank_id, reason)


def corrections_since(session: Session, bulletin: Bulletin) -> list[MonthlyReport]:
    """Report versions for the bulletin's months submitted after it was issued."""
    data = bulletin.data
    start, end = date.fromisoformat(data["start"]), date.fromisoformat(data["end"])
    return list(session.scalars(select(MonthlyReport).where(
        MonthlyReport.month >= start, MonthlyReport.month < end, MonthlyReport.submitted_at > bulletin.issued_at)
        .order_by(MonthlyReport.submitted_at)))


# In the reader's language ------------------------------------------------------------------------------------------

def behind_reasons(row: dict, locale: str | None) -> list[str]:
    """Why a bank is behind its schedule (a progress row's `behind`), in `locale`, from the row's figures."""
    _ = translator(locale)
    if row.get("report_id") is None:
        return [_("未报送")]
    out = []
    expected, actual = row.get("expected_industrial"), row.get("industrial_loans")
    if expected is not None and actual is not None and actual < expected:
        out.append(_("工业贷款余额低于序时进度 %(amount)s", amount=amount_text(int(expected) - int(actual), locale)))
    if row.get("ldr_pct") is not None and row.get("expected_ldr_pct") is not None and \
            Decimal(row["ldr_pct"]) < Decimal(row["expected_ldr_pct"]):
        out.append(_("存贷比低于序时进度 %(points)s 个百分点",
                     points=_q(Decimal(row["expected_ldr_pct"]) - Decimal(row["ldr_pct"]))))
    return out


def _reasons(row: dict, locale: str | None) -> list[str]:
    """A row's reasons in `locale`; the stored ones when they were not written from its figures (an old snapshot)."""
    stored = row.get("behind") or []
    again = behind_reasons(row, None)
    return behind_reasons(row, locale) if again == stored else stored


def _goals(session: Session, data: dict, locale: str, mark=None) -> list[dict] | None:
    """The goals panel's words in `locale` (targets.goals_panel from the data's own district figures); whether each
    goal was met, and how far, as the data has it."""
    kept = data.get("goals")
    if not kept or session is None or not data.get("district"):
        return kept
    try:
        fresh = {g["key"]: g for g in targets.goals_panel(session, data["district"], locale, mark=mark)}
    except TypeError:  # a goals panel without languages
        return kept
    out = []
    for goal in kept:
        again = fresh.get(goal["key"])
        if again is None:
            out.append(goal)
        elif goal["key"] in ("joint_stock", "listed"):  # counted in the listing pool when the data was made
            out.append({**again, "actual": goal["actual"], "met": goal["met"], "progress": goal["progress"]})
        else:
            out.append({**again, "met": goal["met"], "progress": goal["progress"]})
    return out


def localized(data: dict, locale: str | None, session: Session | None = None, mark=None) -> dict:
    """A bulletin's data (today's or a frozen snapshot) with its interface texts in `locale`: title, period,
    parts and what each rests on, reasons, funnel steps, goals, written again from the data's own figures, which
    stay exactly as they are (the goals' words need the `session`; `mark` is a page's i18n.data, for the banks the
    goals' notes name). Chinese: the data itself."""
    if not locale or locale.startswith("zh"):
        return data
    _ = translator(locale)
    period = parse(data["kind"], data["period"])
    out = {**data, "title": title(period, locale), "label": period.label_in(locale),
           "kind_label": _(KINDS[data["kind"]]), "goals": _goals(session, data, locale, mark)}
    if "funnel" in data:
        out["funnel"] = [{**step, "label": _(step["label"])} for step in data["funnel"]]
    if "behind" in data:
        rows = {r["bank_id"]: r for r in data["banks"]}
        out["behind"] = [{**b, "reasons": _reasons(rows[b["bank_id"]], locale) if b["bank_id"] in rows
                          else b["reasons"]} for b in data["behind"]]
    if data["kind"] == "monthly":
        out["banks"] = [{**r, "behind": _reasons(r, locale)} for r in data["banks"]]
        return out
    out["parts"] = {k: _(PARTS.get(k, v)) for k, v in data["parts"].items()}
    out["part_notes"] = {k: _(PART_NOTES.get(k, v)) for k, v in (data.get("part_notes") or {}).items()}
    banks = []
    for r in data["banks"]:
        try:
            texts = part_texts(r["progress"], r["raw"], r["platform"], locale)
        except (KeyError, TypeError):  # a snapshot from before a figure was kept: its own words
            texts = {}
        banks.append({**r, "parts": {k: {**v, "raw": texts.get(k, v["raw"])} for k, v in r["parts"].items()},
                      "progress": {**r["progress"], "behind": _reasons(r["progress"], locale)}})
    out["banks"] = banks
    return out
