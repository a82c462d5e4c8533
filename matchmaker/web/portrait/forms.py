"""Forms of the portrait pages: the district's score weights."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, NumberRange

from ...domain.portrait.score import PARTS
from ..fields import FiniteDecimalField


class PortraitWeightsForm(FlaskForm):
    """One 0–100 weight per part of the portrait score (validated again by score.validate_weights)."""


for _key, (_label, _help) in PARTS.items():
    setattr(PortraitWeightsForm, _key, FiniteDecimalField(_l(_label), places=2, description=_l(_help), validators=[
        InputRequired(_l("请填写0–100之间的数字")), NumberRange(min=0, max=100, message=_l("权重应在0–100之间"))]))
