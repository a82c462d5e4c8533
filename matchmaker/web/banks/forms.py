"""Forms of the bank-tracking pages: the monthly report (typed or uploaded), settings and weights, the listing pool."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...domain.banks import bulletins, listing, monthly_reports
from ..fields import INDUSTRY_CHOICES, FiniteDecimalField, labelled


class _ReportBase(FlaskForm):
    month = HiddenField()
    source = HiddenField(default="form")
    note = TextAreaField(_l("更正说明"), validators=[Optional(), Length(max=500)])
    confirm_jump = BooleanField(_l("我已核对，以上变动属实，确认报送"))


def _add_figures(cls):
    for f in monthly_reports.FIGURES:
        unit = monthly_reports.UNITS[f.unit].label
        setattr(cls, f.name, FiniteDecimalField(
            _l("%(label)s（%(unit)s）", label=_l(f.label), unit=_l(unit)), places=None, description=_l(f.help),
            validators=[InputRequired(_l("请填写%(label)s", label=_l(f.label)))]))
    return cls


@_add_figures
class MonthlyReportForm(_ReportBase):
    """One month's figures; each in the unit named on its label."""

    def figures(self):
        return [getattr(self, f.name) for f in monthly_reports.FIGURES]

    def raw(self) -> dict:
        return {f.name: getattr(self, f.name).data for f in monthly_reports.FIGURES}


class UploadForm(FlaskForm):
    month = HiddenField()
    file = FileField(_l("Excel 报表（.xlsx）"), validators=[FileRequired(_l("请选择要上传的文件")),
                                                          FileAllowed(["xlsx"], _l("只接受 .xlsx 文件"))])
    note = TextAreaField(_l("更正说明（更正已报送数据时必填）"), validators=[Optional(), Length(max=500)])


class ActionForm(FlaskForm):
    """A button's form: only the CSRF token."""


class RemindForm(FlaskForm):
    month = HiddenField()


class SettingsForm(FlaskForm):
    deadline_workdays = IntegerField(_l("报送截止：次月第几个工作日"), validators=[
        InputRequired(_l("请填写")), NumberRange(1, 20, _l("应为1–20"))])
    jump_pct = IntegerField(_l("较上月变动超过（%）时请报送人确认"), validators=[
        InputRequired(_l("请填写")), NumberRange(1, 1000, _l("应为1–1000"))])


def _add_weights(cls):
    for key, label in bulletins.PARTS.items():
        setattr(cls, key, IntegerField(_l(label), description=_l(bulletins.PART_NOTES[key]), validators=[
            InputRequired(_l("请填写权重")), NumberRange(0, 100, _l("权重应为0–100"))]))
    return cls


@_add_weights
class WeightsForm(FlaskForm):
    def parts(self):
        return [getattr(self, key) for key in bulletins.PARTS]


class ListingForm(FlaskForm):
    name = StringField(_l("企业名称或统一社会信用代码"), validators=[InputRequired(_l("请填写企业名称")), Length(max=200)])
    tier = SelectField(_l("梯队"), choices=labelled(listing.TIERS))
    stage = SelectField(_l("阶段"), choices=labelled(listing.STAGES))
    industry = SelectField(_l("行业"), choices=INDUSTRY_CHOICES, default="other")
    market = SelectField(_l("目标市场"), choices=labelled(listing.MARKETS))
    joint_stock_on = DateField(_l("股改完成日期"), validators=[Optional()])
    listed_on = DateField(_l("上市/挂牌日期"), validators=[Optional()])
    owner = StringField(_l("包保责任人"), validators=[Optional(), Length(max=50)])
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=1000)])
