"""Form of the district's working-day override table."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from ..fields import DateRequired, PlainDateField


class WorkdayForm(FlaskForm):
    day = PlainDateField(_l("日期"), validators=[DateRequired(_l("请填写日期（如 2027-02-08）"))])
    is_workday = SelectField(_l("这一天"), choices=[SelectChoice("0", _l("放假（不计工作日）")),
                                                   SelectChoice("1", _l("上班（调休工作日）"))], default="0")
    note = StringField(_l("说明"), validators=[Optional(), Length(max=100, message=_l("说明不超过100字"))])
