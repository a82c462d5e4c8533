"""Forms of the ledger pages: the district edits an instrument, opens a case, follows or reverses an entry."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..fields import FiniteDecimalField, coerce_int_or_none


class InstrumentForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=64)])
    capital_wan = FiniteDecimalField(_l("资本金 / 规模（万元）"), places=2, validators=[
        DataRequired(_l("请填写规模")), NumberRange(min=0, max=10_000_000, message=_l("规模应在0–1000亿元之间"))])
    leverage = FiniteDecimalField(_l("放大倍数（仅担保）"), places=2, validators=[
        Optional(), NumberRange(min=0.01, max=30, message=_l("放大倍数应在0–30之间"))])
    fee_rate_pct = FiniteDecimalField(_l("费率（%，担保为年费率，转贷为日费率）"), places=3, validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("费率应在0–100%%之间"))])
    max_days = IntegerField(_l("单笔最长天数（转贷）"), validators=[
        Optional(), NumberRange(min=1, max=365, message=_l("天数应在1–365之间"))])
    terms = TextAreaField(_l("规则说明"), validators=[Optional(), Length(max=1000)])
    active = BooleanField(_l("已启用"))


def _amount():
    return [DataRequired(_l("请填写金额")),
            NumberRange(min=0.0001, max=1_000_000, message=_l("金额应在0–100亿元之间"))]


class OpenCaseForm(FlaskForm):
    instrument_id = SelectField(_l("政策工具"), coerce=coerce_int_or_none, validate_choice=False,
                                validators=[DataRequired(_l("请选择政策工具"))])
    event = SelectField(_l("事项"), validate_choice=False, validators=[DataRequired(_l("请选择事项"))])
    amount_wan = FiniteDecimalField(_l("金额（万元）"), places=4, validators=_amount())
    on_date = DateField(_l("日期"), validators=[DataRequired(_l("请填写日期"))])
    firm = StringField(_l("企业（统一社会信用代码或全称）"), validators=[Optional(), Length(max=200)])
    bank_id = SelectField(_l("银行"), coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
    term_days = IntegerField(_l("期限（天）"), validators=[
        Optional(), NumberRange(min=1, max=3650, message=_l("期限应在1–3650天之间"))])
    stage = SelectField(_l("投资阶段（基金）"), validate_choice=False, validators=[Optional()])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=1000)])


class FollowForm(FlaskForm):
    event = SelectField(_l("事项"), validate_choice=False, validators=[DataRequired(_l("请选择事项"))])
    amount_wan = FiniteDecimalField(_l("金额（万元）"), places=4, validators=[
        Optional(), NumberRange(min=0, max=1_000_000, message=_l("金额应在0–100亿元之间"))])
    on_date = DateField(_l("日期"), validators=[DataRequired(_l("请填写日期"))])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=1000)])


class ReverseForm(FlaskForm):
    note = TextAreaField(_l("冲正原因"), validators=[DataRequired(_l("请说明冲正原因")), Length(max=1000)])
