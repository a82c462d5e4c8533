"""Form of the district's working-day override table."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from ..fields import DateRequired, PlainDateField


class WorkdayForm(FlaskForm):
    day = PlainDateField("日期", validators=[DateRequired("请填写日期（如 2027-02-08）")])
    is_workday = SelectField("这一天", choices=[("0", "放假（不计工作日）"), ("1", "上班（调休工作日）")], default="0")
    note = StringField("说明", validators=[Optional(), Length(max=100, message="说明不超过100字")])
