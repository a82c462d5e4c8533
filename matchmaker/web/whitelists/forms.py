"""White-list import form (the mapping and review screens post plain fields with this CSRF-only form)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...models.whitelists import WHITELIST_KINDS


class ImportForm(FlaskForm):
    kind = SelectField("名单类别", choices=[("", "请选择名单")] + list(WHITELIST_KINDS.items()),
                       validators=[DataRequired("请选择名单类别")])
    batch = StringField("批次", validators=[DataRequired("请填写批次，如 2023"), Length(max=32)])
    file = FileField("文件（.xlsx 或 .csv）", validators=[FileRequired("请选择要导入的文件")])
    sheet = StringField("工作表（选填）", validators=[Optional(), Length(max=100)])


class ActionForm(FlaskForm):
    """Only the CSRF token: for screens whose inputs are built from the file."""
