"""Forms of the matchmaking events: the event, the invitation filters, walk-in registration, the quick
intention form, the firm's reply with a need, and the follow-up setting."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...domain.events.invitations import REQUEST_FILTERS
from ...models import MatchmakingEvent
from ...models.events import EVENT_KINDS, INTENTION_KINDS, LEADING_INDUSTRIES
from ...models.firms import INDUSTRIES
from ...models.products import COLLATERAL_KINDS
from ...text import N_
from ..fields import (
    AmountRange,
    DateRequired,
    FiniteDecimalField,
    Phone,
    PlainDateField,
    coerce_int_or_none,
    column_length,
    labelled,
)
from ..requests.forms import MultiCheckboxField

LEADING_CHOICES = labelled({c: INDUSTRIES[c] for c in LEADING_INDUSTRIES})
ALL_INDUSTRY_CHOICES = LEADING_CHOICES + labelled({c: n for c, n in INDUSTRIES.items() if c not in LEADING_INDUSTRIES})
AMOUNT = [InputRequired(_l("请填写金额")), AmountRange(100000, N_("金额"))]
TITLE_MAX = column_length(MatchmakingEvent.title)
VENUE_MAX = column_length(MatchmakingEvent.venue)


class EventForm(FlaskForm):
    title = StringField(_l("活动名称"), validators=[DataRequired(_l("请填写活动名称")), Length(
        max=TITLE_MAX, message=_l("活动名称不能超过%(max)d字"))])
    kind = SelectField(_l("活动类型"), choices=[SelectChoice("", _l("请选择"))] + labelled(EVENT_KINDS),
                       validators=[DataRequired(_l("请选择活动类型"))])
    industry = SelectField(_l("主导产业（产业专场必选）"), choices=[SelectChoice("", "—")] + LEADING_CHOICES,
                           validators=[Optional()])
    township_id = SelectField(_l("主办镇街"), coerce=coerce_int_or_none, validators=[Optional()])
    starts_on = PlainDateField(_l("日期"), validators=[DateRequired(_l("请填写活动日期"))])
    starts_time = TimeField(_l("开始时间"), validators=[DataRequired(_l("请填写开始时间"))])
    venue = StringField(_l("地点"), validators=[DataRequired(_l("请填写活动地点")), Length(
        max=VENUE_MAX, message=_l("活动地点不能超过%(max)d字"))])
    capacity = IntegerField(_l("容量（家企业）"), validators=[InputRequired(_l("请填写容量")),
                                                         NumberRange(1, 5000, _l("容量应为1–5000家企业"))])
    description = TextAreaField(_l("活动说明"), validators=[Optional(), Length(max=2000)], render_kw={"data-user": ""})
    bank_ids = MultiCheckboxField(_l("参会银行"), coerce=int, validators=[Optional()])
    product_ids = MultiCheckboxField(_l("推介产品"), coerce=int, validators=[Optional()])


class InviteFilterForm(FlaskForm):
    """Read from the query string (GET); no CSRF needed to look."""

    class Meta:
        csrf = False

    township_id = SelectField(_l("镇街"), coerce=coerce_int_or_none, validators=[Optional()])
    industries = MultiCheckboxField(_l("行业"), choices=ALL_INDUSTRY_CHOICES, validators=[Optional()])
    whitelist_kinds = MultiCheckboxField(_l("白名单类别"), validators=[Optional()])
    whitelist_batches = MultiCheckboxField(_l("白名单批次"), validators=[Optional()])
    first_loan = BooleanField(_l("首贷户（从未获得银行贷款）"))
    requests = SelectField(_l("融资需求"), choices=labelled(REQUEST_FILTERS), validators=[Optional()])
    not_invited_months = IntegerField(_l("近几个月未受邀"), validators=[
        Optional(), NumberRange(1, 60, _l("应为1–60个月"))])
    q = StringField(_l("名称 / 拼音首字母 / 信用代码"), validators=[Optional(), Length(max=100)])


class WalkInForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=30)])
    name = StringField(_l("企业名称（新企业必填）"), validators=[Optional(), Length(max=200)])
    township_id = SelectField(_l("所属镇街"), coerce=coerce_int_or_none, validators=[Optional()])
    industry = SelectField(_l("所属行业"), choices=ALL_INDUSTRY_CHOICES)
    has_bank_loan = BooleanField(_l("曾获得过银行贷款"))
    contact_person = StringField(_l("联系人"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Phone()])


class IntentionForm(FlaskForm):
    firm_id = SelectField(_l("企业（已签到）"), coerce=coerce_int_or_none, validators=[DataRequired(_l("请选择企业"))])
    bank_id = SelectField(_l("银行"), coerce=coerce_int_or_none, validators=[DataRequired(_l("请选择银行"))])
    product_id = SelectField(_l("产品"), coerce=coerce_int_or_none, validators=[DataRequired(_l("请选择产品"))])
    kind = SelectField(_l("意向类型"), choices=labelled(INTENTION_KINDS), default="signing")
    amount_wan = FiniteDecimalField(_l("意向金额（万元）"), places=4, validators=AMOUNT)
    term_months = IntegerField(_l("期限（月）"), default=12, validators=[
        InputRequired(_l("请填写期限")), NumberRange(1, 360, _l("期限应在1–360个月之间"))])
    manager_id = SelectField(_l("负责客户经理"), coerce=coerce_int_or_none, validators=[Optional()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=500)])


class RespondForm(FlaskForm):
    """The firm's reply; the need is optional and becomes a draft financing request."""

    amount_wan = FiniteDecimalField(_l("需求金额（万元，选填）"), places=4, validators=[
        Optional(), AmountRange(100000, N_("需求金额"))])
    term_months = IntegerField(_l("期限（月）"), default=12, validators=[
        Optional(), NumberRange(1, 360, _l("期限应在1–360个月之间"))])
    purpose = TextAreaField(_l("资金用途"), validators=[Optional(), Length(max=1000)])
    collateral = SelectField(_l("可提供的担保方式"), choices=labelled(COLLATERAL_KINDS), default="none")


class FollowupSettingForm(FlaskForm):
    workdays = IntegerField(_l("无进展超过（工作日）"), validators=[InputRequired(_l("请填写天数")),
                                                           NumberRange(1, 60, _l("应为1–60个工作日"))])
