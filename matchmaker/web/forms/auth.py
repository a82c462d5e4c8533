"""Sign-in, enterprise registration and account creation forms."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from ...models.users import ROLES
from .fields import GRADE_CHOICES, INDUSTRY_CHOICES, SIZE_CHOICES, coerce_int_or_none


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    remember = BooleanField("记住我")


class RegisterForm(FlaskForm):
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=30)])
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(max=200)])
    township_id = SelectField("所属镇街", coerce=coerce_int_or_none, validators=[DataRequired("请选择所属镇街")])
    industry = SelectField("所属行业", choices=INDUSTRY_CHOICES, default="other")
    size = SelectField("企业规模", choices=SIZE_CHOICES, default="small")
    founded_year = IntegerField("成立年份", validators=[Optional(), NumberRange(1949, date.today().year,
                                                                            "成立年份不正确")])
    has_bank_loan = BooleanField("曾获得过银行贷款")
    tax_credit_grade = SelectField("纳税信用等级", choices=GRADE_CHOICES, default="")
    contact_person = StringField("联系人", validators=[DataRequired("请填写联系人"), Length(max=50)])
    contact_phone = StringField("联系电话", validators=[
        DataRequired("请填写联系电话"),
        Regexp(r"^[0-9+\- ]{7,20}$", message="请填写正确的电话号码")])
    username = StringField("登录用户名", validators=[DataRequired("请设置用户名"), Length(3, 64)])
    password = PasswordField("密码", validators=[DataRequired("请设置密码"), Length(min=8, message="密码至少8位")])
    password2 = PasswordField("确认密码", validators=[EqualTo("password", "两次输入的密码不一致")])


class CreateUserForm(FlaskForm):
    role = SelectField("角色", choices=list(ROLES.items()))
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(3, 64)])
    display_name = StringField("姓名", validators=[Optional(), Length(max=64)])
    phone = StringField("电话", validators=[Optional(), Length(max=30)])
    password = PasswordField("初始密码", validators=[DataRequired("请设置密码"), Length(min=8, message="密码至少8位")])
    bank_id = SelectField("所属银行", coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
    township_id = SelectField("所属镇街", coerce=coerce_int_or_none, validate_choice=False, validators=[Optional()])
