"""Forms of the public lists (search) and of their staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal import labels
from portal.forms import REQUIRED, PortalForm
from publicity.models import ListingGround, RemovalReason


class SearchForm(PortalForm):
    """The public search, read from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, pinyin, case number or ID number"), validators=[Optional(), Length(max=60)])
    ground = SelectField(_l("Ground"), choices=[], validators=[Optional()])
    court = SelectField(_l("Court"), choices=[], validators=[Optional()])
    year = IntegerField(_l("Year decided"), validators=[Optional(), NumberRange(min=2013, max=2100)])

    def __init__(self, *args: object, courts: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.ground.choices = [("", str(_l("All grounds"))),
                               *[(g.value, str(labels.LISTING_GROUNDS[g])) for g in ListingGround]]
        self.court.choices = [("", str(_l("All courts"))), *courts]


class RemovalForm(PortalForm):
    reason = SelectField(_l("Removal ground"), choices=[], validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Record removal ground"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [(r.value, str(labels.REMOVAL_REASONS[r])) for r in RemovalReason
                               if r != RemovalReason.TERM_ENDED]
