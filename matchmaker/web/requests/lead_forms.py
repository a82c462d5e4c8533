"""Forms a bank manager fills in while working a lead."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...domain.core.limits import NOTE_MAX
from ...domain.core.workdays import local_date
from ...models.requests import DECLINE_REASONS
from ..fields import AmountRange, FiniteDecimalField


class NoteForm(FlaskForm):
    note = TextAreaField("备注", validators=[Optional(), Length(max=NOTE_MAX, message=f"备注不能超过{NOTE_MAX}字")])


class ApproveForm(FlaskForm):
    amount_wan = FiniteDecimalField("授信金额（万元）", places=4, validators=[
        InputRequired("请填写授信金额"), AmountRange(100000, "授信金额")])
    rate_pct = FiniteDecimalField("年利率（%）", places=3, validators=[
        InputRequired("请填写年利率"), NumberRange(min=0.001, max=24, message="年利率应在0–24%%之间")])
    term_months = IntegerField("期限（月）", validators=[InputRequired("请填写期限"), NumberRange(1, 360, "期限应在1–360个月之间")])
    conditions = TextAreaField("附加条件", validators=[Optional(), Length(max=1000)])
    confirm_over = BooleanField("确认授信金额高于企业申请金额")


class DeclineForm(FlaskForm):
    code = SelectField("拒绝原因", choices=[("", "请选择")] + [(k, v[0]) for k, v in DECLINE_REASONS.items()],
                       validators=[DataRequired("请选择拒绝原因")])
    note = TextAreaField("说明（企业可见）", validators=[Optional(), Length(max=1000)])


class DisburseForm(FlaskForm):
    amount_wan = FiniteDecimalField("放款金额（万元）", places=4, validators=[
        InputRequired("请填写放款金额"), NumberRange(min=0.0001, max=100000, message="金额应在0–100000万元之间")])
    disbursed_on = DateField("放款日期", default=local_date, validators=[DataRequired("请填写放款日期")])


class CorrectDisbursementForm(FlaskForm):
    """Correct a recorded disbursement; the old values stay in the history."""
    amount_wan = FiniteDecimalField("放款金额（万元）", places=4, validators=[
        InputRequired("请填写放款金额"), NumberRange(min=0.0001, max=100000, message="金额应在0–100000万元之间")])
    disbursed_on = DateField("放款日期", validators=[DataRequired("请填写放款日期")])
    reason = TextAreaField("更正原因", validators=[DataRequired("请填写更正原因"), Length(max=500, message="更正原因不超过500字")])
