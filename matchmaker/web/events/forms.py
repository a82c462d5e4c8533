"""Forms of the matchmaking events: the event, the invitation filters, walk-in registration, the quick
intention form, the firm's reply with a need, and the follow-up setting."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...domain.events.invitations import REQUEST_FILTERS
from ...models import MatchmakingEvent
from ...models.events import EVENT_KINDS, INTENTION_KINDS, LEADING_INDUSTRIES
from ...models.firms import INDUSTRIES
from ..fields import (
    COLLATERAL_CHOICES,
    AmountRange,
    DateRequired,
    FiniteDecimalField,
    Phone,
    PlainDateField,
    coerce_int_or_none,
    column_length,
)
from ..requests.forms import MultiCheckboxField

LEADING_CHOICES = [(c, INDUSTRIES[c]) for c in LEADING_INDUSTRIES]
ALL_INDUSTRY_CHOICES = LEADING_CHOICES + [(c, n) for c, n in INDUSTRIES.items() if c not in LEADING_INDUSTRIES]
AMOUNT = [InputRequired("请填写金额"), AmountRange(100000)]


class EventForm(FlaskForm):
    title = StringField("活动名称", validators=[DataRequired("请填写活动名称"), Length(
        max=column_length(MatchmakingEvent.title), message=f"活动名称不能超过{column_length(MatchmakingEvent.title)}字")])
    kind = SelectField("活动类型", choices=[("", "请选择")] + list(EVENT_KINDS.items()),
                       validators=[DataRequired("请选择活动类型")])
    industry = SelectField("主导产业（产业专场必选）", choices=[("", "—")] + LEADING_CHOICES, validators=[Optional()])
    township_id = SelectField("主办镇街", coerce=coerce_int_or_none, validators=[Optional()])
    starts_on = PlainDateField("日期", validators=[DateRequired("请填写活动日期")])
    starts_time = TimeField("开始时间", validators=[DataRequired("请填写开始时间")])
    venue = StringField("地点", validators=[DataRequired("请填写活动地点"), Length(
        max=column_length(MatchmakingEvent.venue), message=f"活动地点不能超过{column_length(MatchmakingEvent.venue)}字")])
    capacity = IntegerField("容量（家企业）", validators=[InputRequired("请填写容量"),
                                                    NumberRange(1, 5000, "容量应为1–5000家企业")])
    description = TextAreaField("活动说明", validators=[Optional(), Length(max=2000)])
    bank_ids = MultiCheckboxField("参会银行", coerce=int, validators=[Optional()])
    product_ids = MultiCheckboxField("推介产品", coerce=int, validators=[Optional()])


class InviteFilterForm(FlaskForm):
    """Read from the query string (GET); no CSRF needed to look."""

    class Meta:
        csrf = False

    township_id = SelectField("镇街", coerce=coerce_int_or_none, validators=[Optional()])
    industries = MultiCheckboxField("行业", choices=ALL_INDUSTRY_CHOICES, validators=[Optional()])
    whitelist_kinds = MultiCheckboxField("白名单类别", validators=[Optional()])
    whitelist_batches = MultiCheckboxField("白名单批次", validators=[Optional()])
    first_loan = BooleanField("首贷户（从未获得银行贷款）")
    requests = SelectField("融资需求", choices=list(REQUEST_FILTERS.items()), validators=[Optional()])
    not_invited_months = IntegerField("近几个月未受邀", validators=[Optional(), NumberRange(1, 60, "应为1–60个月")])
    q = StringField("名称 / 拼音首字母 / 信用代码", validators=[Optional(), Length(max=100)])


class WalkInForm(FlaskForm):
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=30)])
    name = StringField("企业名称（新企业必填）", validators=[Optional(), Length(max=200)])
    township_id = SelectField("所属镇街", coerce=coerce_int_or_none, validators=[Optional()])
    industry = SelectField("所属行业", choices=ALL_INDUSTRY_CHOICES)
    has_bank_loan = BooleanField("曾获得过银行贷款")
    contact_person = StringField("联系人", validators=[Optional(), Length(max=50)])
    contact_phone = StringField("联系电话", validators=[Optional(), Phone()])


class IntentionForm(FlaskForm):
    firm_id = SelectField("企业（已签到）", coerce=coerce_int_or_none, validators=[DataRequired("请选择企业")])
    bank_id = SelectField("银行", coerce=coerce_int_or_none, validators=[DataRequired("请选择银行")])
    product_id = SelectField("产品", coerce=coerce_int_or_none, validators=[DataRequired("请选择产品")])
    kind = SelectField("意向类型", choices=list(INTENTION_KINDS.items()), default="signing")
    amount_wan = FiniteDecimalField("意向金额（万元）", places=4, validators=AMOUNT)
    term_months = IntegerField("期限（月）", default=12, validators=[
        InputRequired("请填写期限"), NumberRange(1, 360, "期限应在1–360个月之间")])
    manager_id = SelectField("负责客户经理", coerce=coerce_int_or_none, validators=[Optional()])
    note = StringField("备注", validators=[Optional(), Length(max=500)])


class RespondForm(FlaskForm):
    """The firm's reply; the need is optional and becomes a draft financing request."""

    amount_wan = FiniteDecimalField("需求金额（万元，选填）", places=4, validators=[
        Optional(), AmountRange(100000, "需求金额")])
    term_months = IntegerField("期限（月）", default=12, validators=[Optional(), NumberRange(1, 360, "期限应在1–360个月之间")])
    purpose = TextAreaField("资金用途", validators=[Optional(), Length(max=1000)])
    collateral = SelectField("可提供的担保方式", choices=COLLATERAL_CHOICES, default="none")


class FollowupSettingForm(FlaskForm):
    workdays = IntegerField("无进展超过（工作日）", validators=[InputRequired("请填写天数"),
                                                       NumberRange(1, 60, "应为1–60个工作日")])
