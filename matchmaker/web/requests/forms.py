"""Financing request form (firm side) and the firm's profile form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...models.products import COLLATERAL_KINDS
from ..fields import AmountRange, FiniteDecimalField, coerce_int_or_none, labelled
from ..firms.forms import FirmFieldsForm


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RequestForm(FlaskForm):
    firm_id = SelectField(_l("企业名称"), coerce=coerce_int_or_none, validators=[Optional()])
    amount_wan = FiniteDecimalField(_l("申请金额（万元）"), places=4, validators=[
        InputRequired(_l("请填写申请金额")), AmountRange(100000, _l("申请金额"))])
    term_months = IntegerField(_l("期限（月）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(1, 360, _l("期限应在1–360个月之间"))])
    purpose = TextAreaField(_l("资金用途"), validators=[DataRequired(_l("请填写资金用途")), Length(max=1000)])
    collateral = SelectField(_l("可提供的担保方式"), choices=labelled(COLLATERAL_KINDS), default="none")
    products_of_interest = MultiCheckboxField(_l("关注的产品（可多选）"), validators=[Optional()])
    linked_project = StringField(_l("关联项目（选填）"), validators=[Optional(), Length(max=200)])
    renewal = BooleanField(_l("到期续贷：用于偿还即将到期的银行贷款（未获银行授信时可转介应急转贷）"))
    save_draft = BooleanField(_l("仅保存草稿，暂不提交"))
    portrait_consent = BooleanField(_l("授权查询企业画像：同意认领本需求的银行查看本企业画像（授权书内容见下方）"))


class ProfileForm(FirmFieldsForm):
    existing_debt_wan = FiniteDecimalField(_l("现有银行贷款余额（万元）"), places=4, validators=[
        Optional(), AmountRange(10000000, _l("现有银行贷款余额"), allow_zero=True)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("主营业务简介"), validators=[Optional(), Length(max=2000)])
