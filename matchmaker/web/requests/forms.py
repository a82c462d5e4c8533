"""Financing request form (firm side) and the firm's profile form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..fields import COLLATERAL_CHOICES, AmountRange, FiniteDecimalField, coerce_int_or_none
from ..firms.forms import FirmFieldsForm


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RequestForm(FlaskForm):
    firm_id = SelectField("企业", coerce=coerce_int_or_none, validators=[Optional()])
    amount_wan = FiniteDecimalField("申请金额（万元）", places=4, validators=[
        InputRequired("请填写申请金额"), AmountRange(100000, "申请金额")])
    term_months = IntegerField("期限（月）", validators=[
        InputRequired("请填写期限"), NumberRange(1, 360, "期限应在1–360个月之间")])
    purpose = TextAreaField("资金用途", validators=[DataRequired("请填写资金用途"), Length(max=1000)])
    collateral = SelectField("可提供的担保方式", choices=COLLATERAL_CHOICES, default="none")
    products_of_interest = MultiCheckboxField("关注的产品（可多选）", validators=[Optional()])
    linked_project = StringField("关联项目（选填）", validators=[Optional(), Length(max=200)])
    renewal = BooleanField("到期续贷：用于偿还即将到期的银行贷款（未获银行授信时可转介应急转贷）")
    save_draft = BooleanField("仅保存草稿，暂不提交")
    portrait_consent = BooleanField("授权查询企业画像：同意认领本需求的银行查看本企业画像（授权书内容见下方）")


class ProfileForm(FirmFieldsForm):
    existing_debt_wan = FiniteDecimalField("现有银行贷款余额（万元）", places=4, validators=[
        Optional(), AmountRange(10000000, "现有银行贷款余额", allow_zero=True)])
    address = StringField("地址", validators=[Optional(), Length(max=200)])
    description = TextAreaField("主营业务简介", validators=[Optional(), Length(max=2000)])
