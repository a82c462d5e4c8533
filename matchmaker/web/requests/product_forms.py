"""Forms of the product catalogue (a product and its eligibility rules) and of the routing weights."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...domain.requests.eligibility import GRADE_RANK, WHITELIST_LABELS
from ...domain.requests.routing import WEIGHT_LABELS
from ...models.products import COLLATERAL_KINDS
from ..fields import INDUSTRY_CHOICES, AmountRange, FiniteDecimalField, coerce_int_or_none, labelled
from .forms import MultiCheckboxField

WHITELIST_CHOICES = labelled(WHITELIST_LABELS)
MIN_GRADE_CHOICES = [SelectChoice("", _l("不限"))] + [SelectChoice(g, _l("%(grade)s级及以上", grade=g))
                                                     for g in GRADE_RANK]
WAN = {"places": 4}
TERM_RANGE = _l("期限应在1–360个月之间")


class ProductForm(FlaskForm):
    bank_id = SelectField(_l("银行"), coerce=coerce_int_or_none, validators=[Optional()])
    name = StringField(_l("产品名称"), validators=[DataRequired(_l("请填写产品名称")), Length(max=100)])
    kind_code = SelectField(_l("产品类别"), validators=[DataRequired(_l("请选择产品类别"))])
    min_amount_wan = FiniteDecimalField(_l("最低额度（万元，不填为0）"), validators=[
        Optional(), AmountRange(1000000, _l("最低额度"), allow_zero=True)], **WAN)
    max_amount_wan = FiniteDecimalField(_l("最高额度（万元）"), validators=[
        InputRequired(_l("请填写最高额度")), AmountRange(1000000, _l("最高额度"))], **WAN)
    min_term_months = IntegerField(_l("最短期限（月）"), default=1, validators=[
        InputRequired(_l("请填写最短期限")), NumberRange(1, 360, TERM_RANGE)])
    max_term_months = IntegerField(_l("最长期限（月）"), default=36, validators=[
        InputRequired(_l("请填写最长期限")), NumberRange(1, 360, TERM_RANGE)])
    collateral = MultiCheckboxField(_l("接受的担保方式"), choices=labelled(COLLATERAL_KINDS))
    first_loan_only = BooleanField(_l("仅限首贷企业（从未获得银行贷款）"))
    min_firm_age_years = IntegerField(_l("企业成立满（年）"), validators=[
        Optional(), NumberRange(0, 100, _l("成立年限应在0–100年之间"))])
    high_tech_only = BooleanField(_l("仅限高新技术企业（列入高新技术企业白名单）"))
    required_whitelists = MultiCheckboxField(_l("须列入的白名单（任一即可；不选则不限）"), choices=WHITELIST_CHOICES)
    preferred_whitelists = MultiCheckboxField(_l("优先支持的白名单（推荐加分，不是门槛）"), choices=WHITELIST_CHOICES)
    industries = MultiCheckboxField(_l("限定行业（不选则不限）"), choices=INDUSTRY_CHOICES)
    townships = MultiCheckboxField(_l("限定镇街（不选则不限）"), coerce=int)
    min_tax_grade = SelectField(_l("纳税信用等级"), choices=MIN_GRADE_CHOICES)
    max_debt_wan = FiniteDecimalField(_l("现有银行贷款余额上限（万元，不填则不限）"), validators=[
        Optional(), AmountRange(10000000, _l("现有银行贷款余额上限"), allow_zero=True)], **WAN)
    rate_note = StringField(_l("利率说明"), validators=[Optional(), Length(max=100)])
    description = TextAreaField(_l("产品介绍"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("在售（停售的产品不参与推荐）"), default=True)


class WeightsForm(FlaskForm):
    """One 0–100 weight per part of the routing score (validated again by routing.validate_weights)."""


for _key, (_label, _help) in WEIGHT_LABELS.items():
    setattr(WeightsForm, _key, FiniteDecimalField(_l(_label), places=2, description=_l(_help), validators=[
        InputRequired(_l("请填写0–100之间的数字")), NumberRange(min=0, max=100, message=_l("权重应在0–100之间"))]))
