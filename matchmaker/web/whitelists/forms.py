"""White-list import form (the mapping and review screens post plain fields with this CSRF-only form)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...models.whitelists import WHITELIST_KINDS
from ..fields import labelled


class ImportForm(FlaskForm):
    kind = SelectField(_l("名单类别"), choices=[SelectChoice("", _l("请选择名单"))] + labelled(WHITELIST_KINDS),
                       validators=[DataRequired(_l("请选择名单类别"))])
    batch = StringField(_l("批次"), validators=[DataRequired(_l("请填写批次，如 2023")), Length(max=32)])
    file = FileField(_l("文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择要导入的文件"))])
    sheet = StringField(_l("工作表（选填）"), validators=[Optional(), Length(max=100)])


class ActionForm(FlaskForm):
    """Only the CSRF token: for screens whose inputs are built from the file."""
