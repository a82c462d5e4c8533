"""The forms to make an API token and to register a webhook URL (limits from domain/api/). Their choices (scopes,
events) are set by the views as SelectChoice lists."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from ...domain.api.tokens import DEFAULT_DAYS, MAX_DAYS, MAX_NAME
from ...domain.api.webhooks import MAX_URL


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[
        DataRequired(_l("请填写令牌名称")), Length(max=MAX_NAME, message=_l("令牌名称不能超过%(n)d个字符", n=MAX_NAME))])
    scopes = SelectMultipleField(_l("权限"), validators=[DataRequired(_l("请至少选择一项权限"))])
    days = IntegerField(_l("有效期（天）"), default=DEFAULT_DAYS,
                        validators=[DataRequired(_l("请填写有效期")),
                                    NumberRange(1, MAX_DAYS, message=_l("有效期应为1–%(n)d天", n=MAX_DAYS))])


class WebhookForm(FlaskForm):
    # a URL, in Latin script whatever the page's language (its example placeholder too)
    url = StringField(_l("网址"), render_kw={"lang": "en"}, validators=[
        DataRequired(_l("请填写回调地址")), Length(max=MAX_URL, message=_l("回调地址不能超过%(n)d个字符", n=MAX_URL))])
    events = SelectMultipleField(_l("接收事件"), validators=[DataRequired(_l("请选择要接收的事件"))])
