"""Targets and goals: each bank's appendix targets next to its reported figures (progress, gap, 序时进度 — the
straight line from last December to this year's target), the district's goals, and the appendix's own totals
against the sums of its rows. Results are plain JSON-ready dicts (money in integer 元, decimals as text)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import config
from ...models import Bank, BankBase, BankTarget, History, ListingCandidate, MonthlyReport, Setting, User
from ...text import N_
from ..core import reference, shared_cache
from ..core.errors import DomainError, Forbidden
from ..core.money import amount_text, is_english
from ..core.translate import text as translated
from . import figures, monthly_reports
from .figures import growth_goal, growth_pct, ldr  # noqa: F401 (named here by callers of this module)
from .figures import pct as ratio_pct
from .goals import DEFAULT_GOALS, goals  # noqa: F401 - callers read the goals from targets
from .periods import add_months

YI = 10**8
CENT = Decimal("0.01")
SUMMED = ("deposits", "loans", "industrial_loans", "new_industrial_loans", "first_loan_count", "first_loan_amount",
          *monthly_reports.POLICY_PRODUCTS)


def translate_to(locale: str | None):
    """A `_(msgid, **params)` in `locale` (None: Chinese)."""
    return lambda message, **params: translated(locale, message, **params)


def _in_yi(yuan, locale: str | None, joined: bool | str = False) -> tuple[str | None, str]:
    """An amount of the goals panel as (figure, unit): Chinese in 亿元 as the policy states it ("109.00", "亿元";
    joined: "109.00 亿元", "trim": "109 亿元"), English as money.amount_text writes it ("CNY 10.9bn", "")."""
    if yuan is None:
        return None, "" if is_english(locale) else translated(locale, N_("亿元"))
    if is_english(locale):
        return amount_text(int(yuan), locale), ""
    figure = _q(Decimal(yuan) / YI)
    return (f"{figure.removesuffix('.00') if joined == 'trim' else figure} 亿元", "") if joined else (figure, "亿元")


def _q(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def targets_map(session: Session) -> dict[int, dict[int, BankTarget]]:
    out: dict[int, dict[int, BankTarget]] = {}
    for t in session.scalars(select(BankTarget)):
        out.setdefault(t.bank_id, {})[t.year] = t
    return out


def target_for(tmap: dict[int, dict[int, BankTarget]], bank_id: int, year: int) -> tuple[BankTarget | None, bool]:
    """The bank's target for `year`, or None: a year without targets shows "未设定目标", never another year's.
    (The second value, `inherited`, stays for frozen bulletins that recorded it; it is always False now.)"""
    return tmap.get(bank_id, {}).get(year), False


MAX_TARGET_YI = Decimal(100_000)  # 10 万亿元: far above any branch, well inside Numeric(10, 2)
MAX_LDR_PCT = Decimal(1000)


def set_targets(session: Session, actor: User, year: int, values: dict[int, tuple[object, object]]) -> int:
    """The district sets (or corrects) the banks' targets for a year: {bank_id: (industrial loans 亿元, LDR %)}.
    Blank pairs are skipped; a half-filled or implausible pair is refused naming the bank's field. Every change
    is written to the history (old → new). Returns how many banks changed."""
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以设定目标")
    if not 2021 <= year <= 2100:
        raise DomainError("年份应在2021–2100之间", field="year")
    banks = {b.id: b for b in session.scalars(select(Bank))}
    have = {t.bank_id: t for t in session.scalars(select(BankTarget).where(BankTarget.year == year)
                                                  .with_for_update())}
    clean: dict[int, tuple[Decimal, Decimal]] = {}
    for bank_id, (ind, ldr_value) in values.items():
        if bank_id not in banks:
            raise DomainError("银行不存在", field=f"ind_{bank_id}")
        texts = [str(v).strip() if v is not None else "" for v in (ind, ldr_value)]
        if not any(texts):
            continue
        for text, field, limit, label in ((texts[0], f"ind_{bank_id}", MAX_TARGET_YI, N_("工业贷款目标")),
                                          (texts[1], f"ldr_{bank_id}", MAX_LDR_PCT, N_("存贷比目标"))):
            try:
                number = Decimal(text)
            except ArithmeticError:
                raise DomainError("%(bank)s：%(label)s“%(value)s”不是有效的数字", field=field, bank=banks[bank_id].name,
                                  label=label, value=text[:20]) from None
            if not number.is_finite() or not 0 < number <= limit or number != number.quantize(CENT):
                raise DomainError("%(bank)s：%(label)s应大于 0、不超过 %(limit)s、最多两位小数", field=field,
                                  bank=banks[bank_id].name, label=label, limit=limit)
        clean[bank_id] = (Decimal(texts[0]), Decimal(texts[1]))
    changed = 0
    for bank_id, (ind, ldr_value) in clean.items():
        target = have.get(bank_id)
        old = (target.industrial_loans_yi, target.ldr_pct) if target else None
        if old == (ind, ldr_value):
            continue
        if target is None:
            target = BankTarget(bank_id=bank_id, year=year)
            session.add(target)
        target.industrial_loans_yi, target.ldr_pct = ind, ldr_value
        before = f"工业贷款 {_q(old[0])} 亿元、存贷比 {_q(old[1])}%" if old else "未设定"
        session.add(History(entity="bank_target", entity_id=bank_id, actor_id=actor.id, actor_role=actor.role,
                            from_state="set" if old else None, to_state="set",
                            note=f"{year}年目标：{before} → 工业贷款 {_q(ind)} 亿元、存贷比 {_q(ldr_value)}%"))
        changed += 1
    session.flush()
    return changed


def target_years(session: Session) -> list[int]:
    """Years that have any bank's target, newest first."""
    return list(session.scalars(select(BankTarget.year).distinct().order_by(BankTarget.year.desc())))


def progress_row(bank: Bank, month: date, report: MonthlyReport | None, base: MonthlyReport | None,
                 tmap: dict[int, dict[int, BankTarget]], locale: str | None = None) -> dict:
    """One bank at the end of `month`: figures, the year's target, 序时进度, completion, gaps, why it is behind
    (in `locale`; None: Chinese, as the bulletins keep it)."""
    target, inherited = target_for(tmap, bank.id, month.year)
    prior, prior_inherited = target_for(tmap, bank.id, month.year - 1)
    row = {"bank_id": bank.id, "seq": bank.seq, "name": bank.name, "month": month.strftime("%Y-%m"),
           "report_id": report.id if report else None, "version": report.version if report else None,
           "target_year": target.year if target else None, "target_inherited": inherited,
           "target_ldr_pct": str(target.ldr_pct) if target else None,
           "target_industrial": int(target.industrial_loans_yi * YI) if target else None,
           "behind": []}
    for name in SUMMED:
        row[name] = getattr(report, name) if report else None
    actual_ldr = ldr(row["loans"], row["deposits"]) if report else None
    row["ldr_pct"] = str(actual_ldr) if actual_ldr is not None else None
    if target is None:
        row.update(expected_industrial=None, expected_ldr_pct=None, completion_pct=None, schedule_pct=None,
                   industrial_gap=None, schedule_gap=None, ldr_gap=None)
        if report is None:
            row["behind"].append(translated(locale, N_("未报送")))
        return row
    if base is not None:
        base_ind, base_ldr = base.industrial_loans, ldr(base.loans, base.deposits)
    elif prior is not None and not prior_inherited and not inherited:
        base_ind, base_ldr = int(prior.industrial_loans_yi * YI), prior.ldr_pct
    else:
        base_ind = base_ldr = None
    expected_ind = figures.schedule_value(base_ind, row["target_industrial"], month.month)
    expected_ldr = figures.schedule_value(base_ldr, target.ldr_pct, month.month, CENT)
    row["expected_industrial"] = int(expected_ind)
    row["expected_ldr_pct"] = str(Decimal(expected_ldr).quantize(CENT))
    if report is None:
        row.update(completion_pct=None, schedule_pct=None, industrial_gap=None, schedule_gap=None, ldr_gap=None)
        row["behind"].append(translated(locale, N_("未报送")))
        return row
    ind = report.industrial_loans
    row["completion_pct"] = figures.target_completion(ind, row["target_industrial"])
    row["schedule_pct"] = figures.schedule_completion(ind, expected_ind)
    row["industrial_gap"] = figures.gap_to_target(ind, row["target_industrial"])
    row["schedule_gap"] = int(expected_ind) - ind
    row["ldr_gap"] = _q(Decimal(target.ldr_pct) - actual_ldr) if actual_ldr is not None else None
    if ind < expected_ind:
        row["behind"].append(translated(locale, N_("工业贷款余额低于序时进度 %(amount)s"),
                                        amount=amount_text(int(expected_ind) - ind, locale)))
    if actual_ldr is not None and actual_ldr < Decimal(expected_ldr):
        row["behind"].append(translated(locale, N_("存贷比低于序时进度 %(points)s 个百分点"),
                                        points=_q(Decimal(expected_ldr) - actual_ldr)))
    return row


def add_growth(session: Session, rows: list[dict]) -> list[dict]:
    """Put on each progress row its growth goal year on year (`growth_yoy`) and since the policy's base
    December (`growth_base`, from the base figures the district entered: `baselines.base_map`), with the raw
    figures of those months for the district totals."""
    from . import baselines

    base_month = baselines.base_month(session)
    bases = baselines.base_map(session, base_month)
    months = {add_months(date.fromisoformat(r["month"] + "-01"), -12) for r in rows}
    reports = monthly_reports.latest(session, sorted(months))
    for r in rows:
        month = date.fromisoformat(r["month"] + "-01")
        ago = reports.get((r["bank_id"], add_months(month, -12)))
        r["year_ago"] = {"industrial_loans": ago.industrial_loans, "loans": ago.loans} if ago else None
        r["base"] = bases.get(r["bank_id"]) if month > base_month else None
        for key, before in (("growth_yoy", r["year_ago"]), ("growth_base", r["base"])):
            r[key] = growth_goal(r["industrial_loans"], before and before["industrial_loans"], r["loans"],
                                 before and before["loans"]) if r["report_id"] else growth_goal(None, None, None, None)
    return rows


def progress(session: Session, month: date, locale: str | None = None) -> list[dict]:
    """Every bank's progress row at the end of `month` (its newest report version for that month)."""
    december = date(month.year - 1, 12, 1)
    reports = monthly_reports.latest(session, [month, december])
    tmap = targets_map(session)
    banks = session.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq))
    return add_growth(session, [progress_row(b, month, reports.get((b.id, month)), reports.get((b.id, december)), tmap,
                                             locale) for b in banks])


def report_stamp(session: Session) -> tuple:
    """Everything the progress rows are computed from, in three small reads: the monthly reports (a correction
    is a new version, a new row), targets, base-period figures, the listing pool, the banks and the settings
    row by row (base month, goals, weights, deadlines)."""
    aggregates = session.execute(select(
        select(func.count()).select_from(MonthlyReport).scalar_subquery(),
        select(func.max(MonthlyReport.id)).scalar_subquery(),
        select(func.count()).select_from(BankTarget).scalar_subquery(),
        select(func.max(BankTarget.id)).scalar_subquery(),
        select(func.sum(BankTarget.ldr_pct)).scalar_subquery(),
        select(func.sum(BankTarget.industrial_loans_yi)).scalar_subquery(),
        select(func.count()).select_from(BankBase).scalar_subquery(),
        select(func.max(BankBase.updated_at)).scalar_subquery(),
        select(func.count()).select_from(ListingCandidate).scalar_subquery(),
        select(func.max(ListingCandidate.updated_at)).scalar_subquery(),
    )).one()
    banks = session.execute(select(Bank.__table__).order_by(Bank.id)).all()
    stored = session.execute(select(Setting.key, Setting.value, Setting.updated_at).order_by(Setting.key)).all()
    return tuple(aggregates), tuple(banks), tuple(stored)


def latest_progress(session: Session, year: int, as_of: datetime | None = None,
                    locale: str | None = None) -> list[dict]:
    """Each bank's progress at its latest reported month of `year` (December when the year has ended); with
    `as_of`, the latest month reported by then (routing reads the figures known at the moment it routes).
    Without `as_of`, computed once while `report_stamp` holds (`shared_cache`)."""
    if as_of is None:
        return shared_cache.cached(session, f"latest_progress:{year}:{locale}", report_stamp(session),
                                   lambda: _latest_progress(session, year, None, locale))
    return _latest_progress(session, year, as_of, locale)


def _latest_progress(session: Session, year: int, as_of: datetime | None, locale: str | None) -> list[dict]:
    where = [MonthlyReport.month >= date(year, 1, 1), MonthlyReport.month <= date(year, 12, 1)]
    if as_of is not None:
        where.append(MonthlyReport.submitted_at <= as_of)
    last = dict(session.execute(select(MonthlyReport.bank_id, func.max(MonthlyReport.month)).where(*where)
                                .group_by(MonthlyReport.bank_id)).all())
    months = sorted(set(last.values()) | {date(year - 1, 12, 1)})
    reports = monthly_reports.latest(session, months)
    tmap = targets_map(session)
    rows = []
    for b in session.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)):
        month = last.get(b.id, date(year, 1, 1))
        rows.append(progress_row(b, month, reports.get((b.id, month)), reports.get((b.id, date(year - 1, 12, 1))),
                                 tmap, locale))
    return add_growth(session, rows)


def totals(rows: list[dict], locale: str | None = None) -> dict:
    """District totals over the banks that reported (`figures.reporting`): the sums, the LDR of the sums, the
    completion against those same banks' targets (`figures.district_completion`), the growth goal over the banks
    reported at both ends, the increase since the base. `reported_text` and `missing` go beside every figure."""
    seen = figures.reporting(rows, locale)
    reported = seen["reported_rows"]
    out = {name: sum(r[name] for r in reported) for name in SUMMED}
    out.update(reported=seen["reported"], banks=seen["banks"], missing=seen["missing"], complete=seen["complete"],
               reported_text=seen["text"])
    district_ldr = ldr(out["loans"], out["deposits"])
    out["ldr_pct"] = str(district_ldr) if district_ldr is not None else None
    done = figures.district_completion(rows)
    out.update(target_industrial=done["target"], target_industrial_all=done["target_all"],
               completion_pct=done["pct"], completion_balance=done["balance"], completion_banks=done["banks"])
    for key, before in (("growth_yoy", "year_ago"), ("growth_base", "base")):
        both = [r for r in reported if r.get(before)]  # the same banks at both ends
        out[key] = growth_goal(sum(r["industrial_loans"] for r in both), sum(r[before]["industrial_loans"] for r in both),
                               sum(r["loans"] for r in both), sum(r[before]["loans"] for r in both))
        out[key]["banks"] = len(both)
    out["increase"] = figures.increase_since_base(rows)
    return out


def industrial_completion(session: Session, year: int,
                          as_of: datetime | None = None) -> dict[int, tuple[str | None, str]]:
    """Per bank: its completion of this year's industrial-loan target (%, as text, the figure `/targets/` shows:
    latest reported balance ÷ the year's target) and where it stands in words; None when it has not reported
    this year or has no target."""
    out = {}
    for row in latest_progress(session, year, as_of):
        pct = row["completion_pct"]
        if row["target_industrial"] is None:
            out[row["bank_id"]] = (None, f"{year}年未设定工业贷款目标")
        elif pct is None:
            out[row["bank_id"]] = (None, f"{year}年尚未报送工业贷款余额")
        else:
            out[row["bank_id"]] = (pct, f"{row['month']}工业贷款余额完成本年目标 {pct}%")
    return out


def _goal(key: str, label: str, goal: str, shown, unit: str, value, target, note: str = "",
          comparable: bool = True) -> dict:
    """One goal card. A figure that covers only part of the banks (`comparable` False) is shown with `note` but is
    neither read against the district's whole goal nor marked met."""
    met = comparable and value is not None and value >= target
    return {"key": key, "label": label, "goal": goal, "actual": shown, "unit": unit, "met": met, "note": note,
            "progress": ratio_pct(value, target) if value is not None and comparable else None}


def base_period(session: Session, year: int) -> dict:
    """The base of the three-year goals: each bank's December figures of `year` (the policy's 2020 年末) as the
    district entered them, else as the bank reported them (`figures.base_figures`), summed over the banks that
    have one. Measured, never derived from the goal itself."""
    from . import baselines

    month = date(year, 12, 1)
    bases = baselines.base_map(session, month)
    return {"month": month, "reported": len(bases), "industrial_loans": sum(b["industrial_loans"] for b in bases.values()),
            "loans": sum(b["loans"] for b in bases.values()),
            "entered": sum(1 for b in bases.values() if b["source"] == "录入")}


def _say(locale: str | None, mark, message: str, **params):
    """`message` in `locale` with its values filled in; with `mark` (a page's `i18n.data`) the text is Markup, its
    values escaped, so that bank names passed through `mark` stay marked as data."""
    if mark is None:
        return translated(locale, message, **params)
    text = Markup(escape(translated(locale, message)))
    return text % params if params else text


def _names(locale: str | None, mark, names: list[str]):
    separator = translated(locale, N_("、"))
    if mark is None:
        return separator.join(names)
    return Markup(escape(separator)).join(mark(n) for n in names)


def _coverage(district: dict, locale: str | None = None, mark=None) -> str:
    text = _say(locale, mark, N_("%(reported)s / %(banks)s 家已报送"), reported=district.get("reported", 0),
                banks=district.get("banks", 0))
    missing = district.get("missing") or []
    if not missing:
        return text
    return text + _say(locale, mark, N_("（未报送：%(names)s）"), names=_names(locale, mark, missing))


def goals_panel(session: Session, district: dict, locale: str | None = None, mark=None) -> list[dict]:
    """The district's goals against the figures: LDR, industrial loan balance and its increase since the entered
    base, joint-stock firms and listed firms (the last two from the listing reserve pool), the growth goal. A
    district sum over part of the banks is shown with who is missing and never read against the whole goal.
    Labels and notes in `locale` (None: Chinese, as the bulletins keep them); a page passes `mark` (i18n.data) so
    the banks named in the notes are marked as data (the notes are then Markup)."""
    from . import listing

    _ = translate_to(locale)

    g = goals(session)
    ind_goal = Decimal(g["industrial_loans_yi"]) * YI
    increase_goal = Decimal(g["industrial_increase_yi"]) * YI
    counts = listing.goal_counts(session, g["start_year"], g["end_year"])
    ldr_now = Decimal(district["ldr_pct"]) if district.get("ldr_pct") else None
    ind = district.get("industrial_loans") if district.get("reported") else None
    complete = bool(district.get("complete"))
    coverage = _coverage(district, locale, mark)
    inc = district.get("increase") or {"increase": None, "banks": 0, "base": 0, "complete": False, "missing": []}
    increase = Decimal(inc["increase"]) if inc["increase"] is not None else None
    if inc["banks"]:
        base_text = _(N_("基期 %(base)s，%(banks)s/%(total)s 家同口径"), base=_in_yi(inc["base"], locale, joined=True)[0],
                      banks=inc["banks"], total=district.get("banks", 0))
    else:
        base_text = _(N_("基期未录入"))
    inc_note = ""
    if not inc["complete"]:
        inc_note = _(N_("未全部报送或未录入基期，暂不与目标比较"))
        if inc["missing"]:
            inc_note += _say(locale, mark, N_("（缺：%(names)s）"), names=_names(locale, mark, inc["missing"]))
    partial = "" if complete else _say(locale, mark, N_("%(coverage)s，全部报送后与目标比较"), coverage=coverage)
    firms = "" if is_english(locale) else "家"  # a count of firms: the label says what is counted in English
    ind_shown, ind_unit = _in_yi(ind, locale)
    inc_shown, inc_unit = _in_yi(increase, locale)
    return [
        _goal("ldr", _(N_("全区存贷比")), f"≥ {g['ldr_pct']}%", district.get("ldr_pct"), "%", ldr_now,
              Decimal(g["ldr_pct"]), note=coverage),
        _goal("industrial", _(N_("工业贷款余额")), "≥ " + _in_yi(ind_goal, locale, joined="trim")[0],
              ind_shown, ind_unit, ind, ind_goal, note=partial or coverage, comparable=complete),
        _goal("increase", _(N_("三年新增工业贷款（较%(year)s年末，%(base)s）"), year=g["start_year"] - 1, base=base_text),
              "+" + _in_yi(increase_goal, locale, joined="trim")[0], inc_shown, inc_unit,
              increase, increase_goal, note=inc_note, comparable=inc["complete"]),
        _goal("joint_stock", _(N_("新增股份制企业（%(start)s–%(end)s年）"), start=g["start_year"], end=g["end_year"]),
              "+" + _(N_("%(n)s 家"), n=g["joint_stock_new"]), counts["joint_stock_new"], firms,
              counts["joint_stock_new"], int(g["joint_stock_new"])),
        _goal("listed", _(N_("境内外上市企业")), _(N_("%(n)s 家"), n=g["listed"]), counts["listed"], firms,
              counts["listed"], int(g["listed"])),
        _growth_goal_card(district.get("growth_yoy"), district.get("growth_base"), district.get("banks", 0), locale),
    ]


def _growth_goal_card(growth: dict | None, since_base: dict | None = None, banks: int = 0,
                      locale: str | None = None) -> dict:
    """确保工业贷款增速高于贷款平均增速, district-wide, year on year over the banks reported at both ends (and since
    the base, as a note)."""
    _ = translate_to(locale)
    growth = growth or {"industrial": None, "loans": None, "met": None, "banks": 0}
    shown = (f"{growth['industrial']}% / {growth['loans']}%" if growth["met"] is not None else None)
    note = ""
    if since_base and since_base.get("met") is not None:
        note = _(N_("较基期：工业贷款 %(industrial)s%%、各项贷款 %(loans)s%%（%(banks)s 家同口径）"),
                 industrial=since_base["industrial"], loans=since_base["loans"], banks=since_base.get("banks", 0))
    return {"key": "growth",
            "label": _(N_("工业贷款增速 / 各项贷款增速（同比，%(banks)s/%(total)s 家同口径）"),
                       banks=growth.get("banks", 0), total=banks),
            "goal": _(N_("工业贷款增速高于贷款平均增速")), "actual": shown, "unit": "", "met": bool(growth["met"]),
            "progress": None, "note": note}


def appendix_check(session: Session, locale: str | None = None) -> dict:
    """The appendix as published: its stated totals, the sums of its rows, the loaded targets' sums, and
    where they differ; also how the final year's total compares with the district goal."""
    appendix = reference.parse_appendix(config.SEED_DIR / "bank_targets_appendix.tsv")
    sums = appendix.row_sums()
    loaded = dict(session.execute(select(BankTarget.year, func.sum(BankTarget.industrial_loans_yi))
                                  .group_by(BankTarget.year)).all())
    g = goals(session)
    years = []
    for year in reference.APPENDIX_YEARS:
        stated = appendix.stated_totals.get(year)
        years.append({"year": year, "stated": str(stated) if stated is not None else None, "row_sum": str(sums[year]),
                      "difference": f"{stated - sums[year]:+}" if stated is not None else None,
                      "differs": stated is not None and stated != sums[year],
                      "loaded": str(Decimal(loaded[year]).quantize(CENT)) if loaded.get(year) is not None else None})
    final = years[-1]
    goal = Decimal(g["industrial_loans_yi"])
    above = Decimal(final["row_sum"]) >= goal
    note = (N_("%(year)s年各行目标相加 %(sum)s 亿元，区定目标为 %(goal)s 亿元以上（高于区定目标 %(difference)s 亿元）") if above
            else N_("%(year)s年各行目标相加 %(sum)s 亿元，区定目标为 %(goal)s 亿元以上（低于区定目标 %(difference)s 亿元）"))
    return {"years": years, "warnings": appendix.warnings, "banks": len(appendix.rows),
            "goal_note": translated(locale, note, year=final["year"], sum=final["row_sum"], goal=goal,
                                    difference=abs(Decimal(final["row_sum"]) - goal))}


def report_years(session: Session) -> list[int]:
    """Years that have targets or reports, newest first."""
    years = set(session.scalars(select(BankTarget.year).distinct()))
    first, last = session.execute(select(func.min(MonthlyReport.month), func.max(MonthlyReport.month))).one()
    if first and last:
        years |= set(range(first.year, last.year + 1))
    return sorted(years, reverse=True)
