"""The form to make an API token (limits from domain/api/tokens.py)."""
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
