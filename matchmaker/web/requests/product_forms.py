"""Forms of the product catalogue (a product and its eligibility rules) and of the routing weights."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...domain.requests.eligibility import GRADE_RANK, WHITELIST_LABELS
from ...domain.requests.routing import WEIGHT_LABELS
from ..fields import COLLATERAL_CHOICES, INDUSTRY_CHOICES, AmountRange, FiniteDecimalField, coerce_int_or_none
from .forms import MultiCheckboxField

WHITELIST_CHOICES = list(WHITELIST_LABELS.items())
MIN_GRADE_CHOICES = [("", "不限")] + [(g, f"{g}级及以上") for g in GRADE_RANK]
WAN = {"places": 4}


class ProductForm(FlaskForm):
    bank_id = SelectField("银行", coerce=coerce_int_or_none, validators=[Optional()])
    name = StringField("产品名称", validators=[DataRequired("请填写产品名称"), Length(max=100)])
    kind_code = SelectField("产品类别", validators=[DataRequired("请选择产品类别")])
    min_amount_wan = FiniteDecimalField("最低额度（万元，不填为0）", validators=[
        Optional(), AmountRange(1000000, "最低额度", allow_zero=True)], **WAN)
    max_amount_wan = FiniteDecimalField("最高额度（万元）", validators=[
        InputRequired("请填写最高额度"), AmountRange(1000000, "最高额度")], **WAN)
    min_term_months = IntegerField("最短期限（月）", default=1, validators=[
        InputRequired("请填写最短期限"), NumberRange(1, 360, "期限应在1–360个月之间")])
    max_term_months = IntegerField("最长期限（月）", default=36, validators=[
        InputRequired("请填写最长期限"), NumberRange(1, 360, "期限应在1–360个月之间")])
    collateral = MultiCheckboxField("接受的担保方式", choices=COLLATERAL_CHOICES)
    first_loan_only = BooleanField("仅限首贷企业（从未获得银行贷款）")
    min_firm_age_years = IntegerField("企业成立满（年）", validators=[
        Optional(), NumberRange(0, 100, "成立年限应在0–100年之间")])
    high_tech_only = BooleanField("仅限高新技术企业（列入高新技术企业白名单）")
    required_whitelists = MultiCheckboxField("须列入的白名单（任一即可；不选则不限）", choices=WHITELIST_CHOICES)
    preferred_whitelists = MultiCheckboxField("优先支持的白名单（推荐加分，不是门槛）", choices=WHITELIST_CHOICES)
    industries = MultiCheckboxField("限定行业（不选则不限）", choices=INDUSTRY_CHOICES)
    townships = MultiCheckboxField("限定镇街（不选则不限）", coerce=int)
    min_tax_grade = SelectField("纳税信用等级", choices=MIN_GRADE_CHOICES)
    max_debt_wan = FiniteDecimalField("现有银行贷款余额上限（万元，不填则不限）", validators=[
        Optional(), AmountRange(10000000, "现有银行贷款余额上限", allow_zero=True)], **WAN)
    rate_note = StringField("利率说明", validators=[Optional(), Length(max=100)])
    description = TextAreaField("产品介绍", validators=[Optional(), Length(max=2000)])
    active = BooleanField("在售（停售的产品不参与推荐）", default=True)


class WeightsForm(FlaskForm):
    """One 0–100 weight per part of the routing score (validated again by routing.validate_weights)."""


for _key, (_label, _help) in WEIGHT_LABELS.items():
    setattr(WeightsForm, _key, FiniteDecimalField(_label, places=2, description=_help, validators=[
        InputRequired("请填写0–100之间的数字"), NumberRange(min=0, max=100, message="权重应在0–100之间")]))
