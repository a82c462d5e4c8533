"""Forms of the bank-tracking pages: the monthly report (typed or uploaded), settings and weights, the listing pool."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...domain.banks import bulletins, listing, monthly_reports
from ...models.firms import INDUSTRIES
from ..fields import FiniteDecimalField


class _ReportBase(FlaskForm):
    month = HiddenField()
    source = HiddenField(default="form")
    note = TextAreaField("更正说明", validators=[Optional(), Length(max=500)])
    confirm_jump = BooleanField("我已核对，以上变动属实，确认报送")


def _add_figures(cls):
    for f in monthly_reports.FIGURES:
        unit = monthly_reports.UNITS[f.unit].label
        setattr(cls, f.name, FiniteDecimalField(f"{f.label}（{unit}）", places=None, description=f.help,
                                          validators=[InputRequired(f"请填写{f.label}")]))
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
    file = FileField("Excel 报表（.xlsx）", validators=[FileRequired("请选择要上传的文件"),
                                                     FileAllowed(["xlsx"], "只接受 .xlsx 文件")])
    note = TextAreaField("更正说明（更正已报送数据时必填）", validators=[Optional(), Length(max=500)])


class ActionForm(FlaskForm):
    """A button's form: only the CSRF token."""


class RemindForm(FlaskForm):
    month = HiddenField()


class SettingsForm(FlaskForm):
    deadline_workdays = IntegerField("报送截止：次月第几个工作日", validators=[
        InputRequired("请填写"), NumberRange(1, 20, "应为1–20")])
    jump_pct = IntegerField("较上月变动超过（%）时请报送人确认", validators=[
        InputRequired("请填写"), NumberRange(1, 1000, "应为1–1000")])


def _add_weights(cls):
    for key, label in bulletins.PARTS.items():
        setattr(cls, key, IntegerField(label, description=bulletins.PART_NOTES[key], validators=[
            InputRequired("请填写权重"), NumberRange(0, 100, "权重应为0–100")]))
    return cls


@_add_weights
class WeightsForm(FlaskForm):
    def parts(self):
        return [getattr(self, key) for key in bulletins.PARTS]


class ListingForm(FlaskForm):
    name = StringField("企业名称或统一社会信用代码", validators=[InputRequired("请填写企业名称"), Length(max=200)])
    tier = SelectField("梯队", choices=list(listing.TIERS.items()))
    stage = SelectField("阶段", choices=list(listing.STAGES.items()))
    industry = SelectField("行业", choices=list(INDUSTRIES.items()), default="other")
    market = SelectField("目标市场", choices=list(listing.MARKETS.items()))
    joint_stock_on = DateField("股改完成日期", validators=[Optional()])
    listed_on = DateField("上市/挂牌日期", validators=[Optional()])
    owner = StringField("包保责任人", validators=[Optional(), Length(max=50)])
    note = TextAreaField("备注", validators=[Optional(), Length(max=1000)])
