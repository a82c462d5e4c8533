"""The firm profile fields, shared by enterprise registration and the profile page."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ...models import Firm
from ..fields import GRADE_CHOICES, INDUSTRY_CHOICES, SIZE_CHOICES, Phone, coerce_int_or_none, column_length


class FirmFieldsForm(FlaskForm):
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(
        max=column_length(Firm.name), message=f"企业名称不能超过{column_length(Firm.name)}字")])
    township_id = SelectField("所属镇街", coerce=coerce_int_or_none, validators=[DataRequired("请选择所属镇街")])
    industry = SelectField("所属行业", choices=INDUSTRY_CHOICES, default="other")
    size = SelectField("企业规模", choices=SIZE_CHOICES, default="small")
    founded_year = IntegerField("成立年份", validators=[Optional(), NumberRange(1949, date.today().year,
                                                                            "成立年份不正确")])
    has_bank_loan = BooleanField("曾获得过银行贷款")
    tax_credit_grade = SelectField("纳税信用等级", choices=GRADE_CHOICES, default="")
    contact_person = StringField("联系人", validators=[DataRequired("请填写联系人"), Length(
        max=column_length(Firm.contact_person), message=f"联系人不能超过{column_length(Firm.contact_person)}字")])
    contact_phone = StringField("联系电话", validators=[
        DataRequired("请填写联系电话"), Phone()])
