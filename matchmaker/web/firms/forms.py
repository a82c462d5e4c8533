"""The firm profile fields, shared by enterprise registration and the profile page."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...models import Firm
from ..fields import GRADE_CHOICES, INDUSTRY_CHOICES, SIZE_CHOICES, Phone, coerce_int_or_none, column_length


class FirmFieldsForm(FlaskForm):
    name = StringField(_l("企业名称"), validators=[DataRequired(_l("请填写企业名称")), Length(
        max=column_length(Firm.name), message=_l("企业名称不能超过%(max)d字"))])
    township_id = SelectField(_l("所属镇街"), coerce=coerce_int_or_none, validators=[DataRequired(_l("请选择所属镇街"))])
    industry = SelectField(_l("所属行业"), choices=INDUSTRY_CHOICES, default="other")
    size = SelectField(_l("企业规模"), choices=SIZE_CHOICES, default="small")
    founded_year = IntegerField(_l("成立年份"), validators=[Optional(), NumberRange(1949, date.today().year,
                                                                                _l("成立年份不正确"))])
    has_bank_loan = BooleanField(_l("曾获得过银行贷款"))
    tax_credit_grade = SelectField(_l("纳税信用等级"), choices=GRADE_CHOICES, default="")
    contact_person = StringField(_l("联系人"), validators=[DataRequired(_l("请填写联系人")), Length(
        max=column_length(Firm.contact_person),
        message=_l("联系人不能超过%(max)d字"))])
    contact_phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请填写联系电话")), Phone(_l("联系电话"))])


class ClaimCodeForm(FlaskForm):
    claim_code = StringField(_l("认领码"), validators=[DataRequired(_l("请填写认领码")), Length(max=30)])


class RejectForm(FlaskForm):
    reason = StringField(_l("驳回理由"), validators=[DataRequired(_l("请填写驳回理由")), Length(max=500)])


class ColleagueForm(FlaskForm):
    username = StringField(_l("登录用户名"), validators=[DataRequired(_l("请设置用户名")), Length(3, 64)])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=64)])
    phone = StringField(_l("电话"), validators=[Optional(), Phone(_l("电话"))])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置密码"))])
