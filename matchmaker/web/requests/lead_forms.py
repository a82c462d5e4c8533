"""Forms a bank manager fills in while working a lead."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...domain.core.limits import NOTE_MAX
from ...domain.core.workdays import local_date
from ...models.requests import DECLINE_REASONS
from ..fields import AmountRange, FiniteDecimalField

DECLINE_CHOICES = [SelectChoice("", _l("请选择"))] + [
    SelectChoice(code, _l(label)) for code, (label, _fixable, _next) in DECLINE_REASONS.items()]


class NoteForm(FlaskForm):
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=NOTE_MAX, message=_l("备注不能超过%(max)d字"))])


class ApproveForm(FlaskForm):
    amount_wan = FiniteDecimalField(_l("授信金额（万元）"), places=4, validators=[
        InputRequired(_l("请填写授信金额")), AmountRange(100000, _l("授信金额"))])
    rate_pct = FiniteDecimalField(_l("年利率（%）"), places=3, validators=[
        InputRequired(_l("请填写年利率")), NumberRange(min=0.001, max=24, message=_l("年利率应在0–24%%之间"))])
    term_months = IntegerField(_l("期限（月）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(1, 360, _l("期限应在1–360个月之间"))])
    conditions = TextAreaField(_l("附加条件"), validators=[Optional(), Length(max=1000)])
    confirm_over = BooleanField(_l("确认授信金额高于企业申请金额"))
    over_asked = False  # set when the amount was refused for being above the request (the confirm box shows)


class DeclineForm(FlaskForm):
    code = SelectField(_l("拒绝原因"), choices=DECLINE_CHOICES, validators=[DataRequired(_l("请选择拒绝原因"))])
    note = TextAreaField(_l("说明（企业可见）"), validators=[Optional(), Length(max=1000)])


class DisburseForm(FlaskForm):
    amount_wan = FiniteDecimalField(_l("放款金额（万元）"), places=4, validators=[
        InputRequired(_l("请填写放款金额")),
        NumberRange(min=0.0001, max=100000, message=_l("金额应在0–100000万元之间"))])
    disbursed_on = DateField(_l("放款日期"), default=local_date, validators=[DataRequired(_l("请填写放款日期"))])


class CorrectDisbursementForm(FlaskForm):
    """Correct a recorded disbursement; the old values stay in the history."""
    amount_wan = FiniteDecimalField(_l("放款金额（万元）"), places=4, validators=[
        InputRequired(_l("请填写放款金额")),
        NumberRange(min=0.0001, max=100000, message=_l("金额应在0–100000万元之间"))])
    disbursed_on = DateField(_l("放款日期"), validators=[DataRequired(_l("请填写放款日期"))])
    reason = TextAreaField(_l("更正原因"), validators=[
        DataRequired(_l("请填写更正原因")), Length(max=500, message=_l("更正原因不超过500字"))])
