"""Sign-in, enterprise registration and account creation forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ...models.users import ROLES
from ..fields import Phone, coerce_int_or_none, labelled
from ..firms.forms import FirmFieldsForm


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))])
    remember = BooleanField(_l("记住我"))


class RegisterForm(FirmFieldsForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=30)])
    username = StringField(_l("登录用户名"), validators=[DataRequired(_l("请设置用户名")), Length(3, 64)])
    # the policy: domain/accounts/passwords.py
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请设置密码"))])
    password2 = PasswordField(_l("确认密码"), validators=[EqualTo("password", _l("两次输入的密码不一致"))])
    # only for a firm already on the platform (filed by a township, on a white list…): see firms/claims.py
    licence = FileField(_l("营业执照（JPG、PNG 或 PDF，不超过5MB）"))
    claim_code = StringField(_l("认领码"), validators=[Optional(), Length(max=30)])


class CreateUserForm(FlaskForm):
    role = SelectField(_l("角色"), choices=labelled(ROLES))
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(3, 64)])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=64)])
    phone = StringField(_l("电话"), validators=[Optional(), Phone(_l("电话"))])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置密码"))])
    bank_id = SelectField(_l("所属银行"), coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
    township_id = SelectField(_l("所属镇街"), coerce=coerce_int_or_none, validate_choice=False,
                              validators=[Optional()])


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField(_l("原密码"), validators=[DataRequired(_l("请输入原密码"))])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请设置新密码"))])
    new_password2 = PasswordField(_l("确认新密码"), validators=[EqualTo("new_password", _l("两次输入的新密码不一致"))])
