"""Where a user receives external notices (e-mail, SMS)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from ..fields import Phone


class PreferenceForm(FlaskForm):
    email = StringField(_l("接收通知的邮箱"), validators=[Optional(), Length(max=200)])
    sms_phone = StringField(_l("接收短信的手机号（留空则用账户电话）"), validators=[
        Optional(), Phone(_l("手机号"))])
    sms_enabled = BooleanField(_l("接收短信通知"))
