"""The forms to make an API token and to register a webhook URL (limits from domain/api/)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from ...domain.api.tokens import DEFAULT_DAYS, MAX_DAYS, MAX_NAME


class TokenForm(FlaskForm):
    name = StringField("令牌名称", validators=[DataRequired("请填写令牌名称"),
                                           Length(max=MAX_NAME, message=f"令牌名称不能超过{MAX_NAME}个字符")])
    scopes = SelectMultipleField("权限", validators=[DataRequired("请至少选择一项权限")])
    days = IntegerField("有效期（天）", default=DEFAULT_DAYS,
                        validators=[DataRequired("请填写有效期"),
                                    NumberRange(1, MAX_DAYS, message=f"有效期应为1–{MAX_DAYS}天")])


class WebhookForm(FlaskForm):
    url = StringField("回调地址", validators=[DataRequired("请填写回调地址"), Length(max=180, message="回调地址不能超过180个字符")])
    events = SelectMultipleField("接收事件", validators=[DataRequired("请选择要接收的事件")])
