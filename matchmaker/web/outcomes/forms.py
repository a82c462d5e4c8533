"""Forms after a lead's outcome: the firm's rating of a bank, the statement with a resubmitted decline,
progress on a referral, and a first-loan case's stage and owner."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...models.first_loans import FIRST_LOAN_STAGES
from ...models.ratings import SCORES
from ..fields import FiniteDecimalField, coerce_int_or_none, labelled

# what a user typed is shown back in the textarea: user data for the language tests
TYPED = {"data-user": ""}
SCORE_CHOICES = [SelectChoice(str(s), _l("%(score)s分 %(label)s", score=s, label=_l(label)))
                 for s, label in SCORES.items()]


class RatingForm(FlaskForm):
    bank_score = RadioField(_l("银行服务"), choices=SCORE_CHOICES, validators=[InputRequired(_l("请为银行服务打分"))])
    manager_score = RadioField(_l("客户经理"), choices=SCORE_CHOICES, validators=[InputRequired(_l("请为客户经理打分"))])
    comment = TextAreaField(_l("评价（选填，银行和区金融监管局可见）"), validators=[Optional(), Length(max=1000)],
                            render_kw=TYPED)


class ResubmitForm(FlaskForm):
    statement = TextAreaField(_l("已补正的内容"), validators=[DataRequired(_l("请说明已补正的内容")), Length(max=1000)],
                              render_kw=TYPED)


class ReferralForm(FlaskForm):
    state = SelectField(_l("办理进展"), validators=[DataRequired(_l("请选择办理进展"))])
    amount_wan = FiniteDecimalField(_l("获得融资金额（万元，获得融资时填写）"), places=4, validators=[
        Optional(), NumberRange(min=0.0001, max=100000, message=_l("金额应在0–100000万元之间"))])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=1000)], render_kw=TYPED)


class FirstLoanCaseForm(FlaskForm):
    stage = SelectField(_l("培植阶段"), choices=labelled(
        {k: v for k, v in FIRST_LOAN_STAGES.items() if k != "first_loan"}))
    bank_id = SelectField(_l("培植银行"), coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
    owner_id = SelectField(_l("负责人"), coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
    note = TextAreaField(_l("跟进情况"), validators=[Optional(), Length(max=1000)], render_kw=TYPED)
