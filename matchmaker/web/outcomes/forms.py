"""Forms after a lead's outcome: the firm's rating of a bank, the statement with a resubmitted decline,
progress on a referral, and a first-loan case's stage and owner."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...models.first_loans import FIRST_LOAN_STAGES
from ...models.ratings import SCORES
from ..fields import FiniteDecimalField, coerce_int_or_none

SCORE_CHOICES = [(str(s), f"{s}分 {label}") for s, label in SCORES.items()]


class RatingForm(FlaskForm):
    bank_score = RadioField("银行服务", choices=SCORE_CHOICES, validators=[InputRequired("请为银行服务打分")])
    manager_score = RadioField("客户经理", choices=SCORE_CHOICES, validators=[InputRequired("请为客户经理打分")])
    comment = TextAreaField("评价（选填，银行和区金融监管局可见）", validators=[Optional(), Length(max=1000)])


class ResubmitForm(FlaskForm):
    statement = TextAreaField("已补正的内容", validators=[DataRequired("请说明已补正的内容"), Length(max=1000)])


class ReferralForm(FlaskForm):
    state = SelectField("办理进展", validators=[DataRequired("请选择办理进展")])
    amount_wan = FiniteDecimalField("获得融资金额（万元，获得融资时填写）", places=4, validators=[
        Optional(), NumberRange(min=0.0001, max=100000, message="金额应在0–100000万元之间")])
    note = TextAreaField("说明", validators=[Optional(), Length(max=1000)])


class FirstLoanCaseForm(FlaskForm):
    stage = SelectField("培植阶段", choices=[(k, v) for k, v in FIRST_LOAN_STAGES.items() if k != "first_loan"])
    bank_id = SelectField("培植银行", coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
    owner_id = SelectField("负责人", coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
    note = TextAreaField("跟进情况", validators=[Optional(), Length(max=1000)])
