"""Financing request form (firm side) and the firm's profile form."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, widgets)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from .fields import COLLATERAL_CHOICES, GRADE_CHOICES, INDUSTRY_CHOICES, SIZE_CHOICES, coerce_int_or_none


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RequestForm(FlaskForm):
    firm_id = SelectField("企业", coerce=coerce_int_or_none, validators=[Optional()])
    amount_wan = DecimalField("申请金额（万元）", places=4, validators=[
        InputRequired("请填写申请金额"), NumberRange(min=0.0001, max=100000, message="金额应在0–100000万元之间")])
    term_months = IntegerField("期限（月）", validators=[
        InputRequired("请填写期限"), NumberRange(1, 360, "期限应在1–360个月之间")])
    purpose = TextAreaField("资金用途", validators=[DataRequired("请填写资金用途"), Length(max=1000)])
    collateral = SelectField("可提供的担保方式", choices=COLLATERAL_CHOICES, default="none")
    products_of_interest = MultiCheckboxField("关注的产品（可多选）", validators=[Optional()])
    linked_project = StringField("关联项目（选填）", validators=[Optional(), Length(max=200)])
    save_draft = BooleanField("仅保存草稿，暂不提交")


class ProfileForm(FlaskForm):
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
        DataRequired("请填写联系电话"), Regexp(r"^[0-9+\- ]{7,20}$", message="请填写正确的电话号码")])
    address = StringField("地址", validators=[Optional(), Length(max=200)])
    description = TextAreaField("主营业务简介", validators=[Optional(), Length(max=2000)])
