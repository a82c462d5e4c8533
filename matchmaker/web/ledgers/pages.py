"""The instruments' use against capacity (district: all; township: its firms'; bank: its own loans'; firm: its
own), broken down by month, bank, township or industry, each figure linking to its entries; the entries as
.xlsx; the district edits an instrument; the district sees the history's last verification."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from wtforms import SelectChoice

from ...domain.core import audit_chain
from ...domain.core.errors import DomainError
from ...domain.ledgers import entries, figures, instruments
from ...domain.ledgers.sheet import entries_xlsx
from ...models import Instrument, LedgerEntry
from ...models.ledgers import FUND_STAGES, LEDGER_EVENTS, OPENING_EVENTS
from .. import i18n, nav
from ..common import paginate, roles_required, run_form_action, session
from ..fields import bank_choices, labelled, named
from .forms import FollowForm, InstrumentForm, OpenCaseForm, ReverseForm

bp = Blueprint("ledgers", __name__, url_prefix="/ledgers")
ROLES = ("district", "township", "bank_manager", "bank_admin", "enterprise")
nav.add("district", "ledgers.index", "政策工具台账", "safe")
nav.add("township", "ledgers.index", "政策工具台账", "safe")
nav.add("bank_admin", "ledgers.index", "政策工具台账", "safe")


@bp.app_template_global()
def ledger_overview():
    """The instruments' figures for the goals page's panel (the signed-in user's view)."""
    return figures.overview(session(), current_user)


@bp.get("/")
@roles_required(*ROLES)
def index():
    db = session()
    lines = figures.overview(db, current_user)
    chosen = request.args.get("instrument", type=int) or (lines[0][0].id if lines else None)
    dimension = request.args.get("by", "month")
    if dimension not in figures.DIMENSIONS:
        dimension = "month"
    rows = figures.breakdown(db, current_user, chosen, dimension) if chosen else []
    inst = db.get(Instrument, chosen) if chosen else None
    return render_template("ledgers/index.html", lines=lines, rows=rows, inst=inst, dimension=dimension,
                           dimensions=figures.DIMENSIONS, by=figures.BY)


def _drill_query(db):
    return figures.drill(db, current_user, request.args.get("instrument", type=int), request.args.get("by"),
                         request.args.get("key"), request.args.get("case", type=int))


@bp.get("/entries", endpoint="entries")
@roles_required(*ROLES)
def entries_page():
    db = session()
    query = _drill_query(db)
    page = paginate(query, current_app.config["PAGE_SIZE"])
    total = figures.totals(db.scalars(query).unique())
    case_id = request.args.get("case", type=int)
    opening = db.get(LedgerEntry, case_id) if case_id else None
    follow_events = labelled({e: LEDGER_EVENTS[opening.instrument.kind][e] for e, after in entries.FOLLOWS.items()
                              if opening is not None and after == opening.event
                              and e in LEDGER_EVENTS[opening.instrument.kind]})
    return render_template("ledgers/entries.html", page=page, total=total, dimensions=figures.DIMENSIONS,
                           export=url_for("ledgers.export", **request.args), opening=opening,
                           follow_events=follow_events, follow_form=FollowForm(), reverse_form=ReverseForm())


@bp.get("/entries.xlsx")
@roles_required(*ROLES)
def export():
    db = session()
    data = entries_xlsx(db.scalars(_drill_query(db)).unique(), i18n.locale())
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=ledger-entries.xlsx"})


@bp.route("/instruments/<int:instrument_id>", methods=["GET", "POST"])
@roles_required("district")
def edit(instrument_id: int):
    db = session()
    inst = db.get(Instrument, instrument_id)
    if inst is None:
        abort(404)
    form = InstrumentForm(obj=inst) if request.method == "GET" else InstrumentForm()
    if request.method == "GET":
        form.capital_wan.data = Decimal(inst.capital) / 10_000
    if form.validate_on_submit():
        done = run_form_action(db, form, lambda: instruments.update(
            db, current_user, inst.id, name=form.name.data.strip(),
            capital=int(form.capital_wan.data * 10_000), leverage=form.leverage.data,
            fee_rate_pct=form.fee_rate_pct.data, max_days=form.max_days.data, terms=form.terms.data or "",
            active=form.active.data), gettext("已保存"), url_for("ledgers.index", instrument=inst.id))
        if done is not None:
            return done
    return render_template("ledgers/edit.html", form=form, inst=inst), 400 if request.method == "POST" else 200


@bp.get("/audit")
@roles_required("district")
def audit():
    return render_template("ledgers/audit.html", check=audit_chain.last_check(session()))


def _wan_to_yuan(value) -> int:
    return int((value or Decimal(0)) * 10_000)


@bp.route("/new", methods=["GET", "POST"])
@roles_required("district")
def new():
    db = session()
    form = OpenCaseForm()
    form.instrument_id.choices = named(((i.id, i.name) for i in instruments.all_instruments(db)), None)
    form.event.choices = labelled({e: label for events in LEDGER_EVENTS.values() for e, label in events.items()
                                   if e in OPENING_EVENTS})
    form.bank_id.choices = [SelectChoice("", "—")] + bank_choices(None)
    form.stage.choices = [SelectChoice("", "—")] + labelled(FUND_STAGES)
    if form.validate_on_submit():
        def action():
            inst = db.get(Instrument, form.instrument_id.data)
            if inst is None:
                raise DomainError("请选择政策工具", field="instrument_id")
            return entries.open_case(db, current_user, inst, form.event.data, _wan_to_yuan(form.amount_wan.data),
                                     form.on_date.data, firm_id=entries.firm_named(db, form.firm.data),
                                     bank_id=form.bank_id.data, term_days=form.term_days.data,
                                     stage=form.stage.data or None, note=(form.note.data or "").strip())
        done = run_form_action(db, form, action, gettext("已登记"), url_for("ledgers.entries",
                                                                         instrument=form.instrument_id.data))
        if done is not None:
            return done
    return render_template("ledgers/new.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/entries/<int:entry_id>/follow")
@roles_required("district")
def follow(entry_id: int):
    db = session()
    form = FollowForm()
    form.event.choices = [SelectChoice(e, e) for e in entries.FOLLOWS]
    target = url_for("ledgers.entries", case=entry_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "danger")
        return redirect(target)
    return run_form_action(db, form, lambda: entries.follow(
        db, current_user, entry_id, form.event.data, _wan_to_yuan(form.amount_wan.data), form.on_date.data,
        (form.note.data or "").strip()), gettext("已登记"), target) or redirect(target)


@bp.post("/entries/<int:entry_id>/reverse")
@roles_required("district")
def reverse(entry_id: int):
    db = session()
    form = ReverseForm()
    target = url_for("ledgers.entries", case=entry_id)
    if not form.validate_on_submit():
        flash(gettext("请说明冲正原因"), "danger")
        return redirect(target)
    return run_form_action(db, form, lambda: entries.reverse(db, current_user, entry_id, form.note.data),
                           gettext("已冲正"), target) or redirect(target)
