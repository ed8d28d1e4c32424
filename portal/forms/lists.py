"""Forms of the public lists (search) and of their staff pages."""

from __future__ import annotations

import builtins
import functools

from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.database import utcnow
from portal.forms.common import MOBILE, REQUIRED, PortalForm
from portal.presentation import labels
from publicity.lists.models import CorrectionGround, ExposureChannel, ListingGround, Performance, RemovalReason
from publicity.record.deadlines import COURT_ZONE


@functools.lru_cache(maxsize=8)
def _search_choices(
    locale: str,
) -> tuple[tuple[str, str], list[tuple[str, str]], tuple[str, str], list[tuple[str, str]]]:
    """The search filters' fixed choices in ``locale`` (built once: the search page is the hot path)."""
    with force_locale(locale):
        return (
            ("", str(_l("All grounds"))),
            [(g.value, str(labels.LISTING_GROUNDS[g])) for g in ListingGround],
            ("", str(_l("All courts"))),
            [("", str(_l("Any performance")))] + [(p.value, str(labels.PERFORMANCE[p])) for p in Performance],
        )


class SearchForm(PortalForm):
    """The public search, read from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, pinyin, case number or ID number"), validators=[Optional(), Length(max=60)])
    ground = SelectField(_l("Ground"), choices=[], validators=[Optional()])
    court = SelectField(_l("Court"), choices=[], validators=[Optional()])
    year = IntegerField(_l("Year decided"), validators=[Optional(), NumberRange(min=2013, max=2100)])
    status = SelectField(_l("Performance"), choices=[], validators=[Optional()])

    def __init__(self, *args: object, courts: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        all_grounds, grounds, all_courts, statuses = _search_choices(str(get_locale()))
        self.ground.choices = [all_grounds, *grounds]
        self.court.choices = [all_courts, *courts]
        self.status.choices = statuses


class TerminatedSearchForm(PortalForm):
    """The 终本 list's search, from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Case number or respondent's name"), validators=[Optional(), Length(max=60)])


class RemovalForm(PortalForm):
    reason = SelectField(_l("Removal ground"), choices=[], validators=[DataRequired(REQUIRED)])
    # The 3-working-day clock runs from the day the ground arose (e.g. the day of full payment).
    occurred_on = DateField(_l("The ground arose on"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%d")
    submit = SubmitField(_l("Record removal ground"))

    def validate_occurred_on(self, field: DateField) -> None:
        if field.data and field.data > utcnow().astimezone(COURT_ZONE).date():
            raise ValidationError(gettext("The date cannot be in the future."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [
            (r.value, str(labels.REMOVAL_REASONS[r])) for r in RemovalReason if r != RemovalReason.TERM_ENDED
        ]


class CorrectionRequestForm(PortalForm):
    ground = SelectField(_l("What is wrong"), choices=[], validators=[DataRequired(REQUIRED)])
    statement = TextAreaField(
        _l("Explain, with the facts the court should check"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )
    requester_name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    # Not Optional(): it would stop the chain before the "phone or email" check below.
    contact_phone = StringField(_l("Mobile number"), validators=[Length(max=30)])
    contact_email = StringField(
        _l("Email"), validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email address."))]
    )
    attachment = FileField(_l("Supporting document (PDF, PNG or JPEG, at most 5 MB)"))
    submit = SubmitField(_l("Send the correction request"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.ground.choices = [(g.value, str(labels.CORRECTION_GROUNDS[g])) for g in CorrectionGround]

    def validate_contact_phone(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if field.data and not MOBILE.match(field.data):
            raise ValidationError(gettext("Enter an 11-digit mobile number."))
        if not field.data and not (self.contact_email.data or "").strip():
            raise ValidationError(gettext("Give a mobile number or an email address for the court's answer."))


class CorrectionDecisionForm(PortalForm):
    decision = RadioField(_l("Decision"), choices=[], validators=[DataRequired(REQUIRED)])
    reasons = TextAreaField(_l("Reasons (required for a rejection)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the decision"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            ("accept", str(_l("Accept: take the entry off the list"))),
            ("reject", str(_l("Reject, with reasons"))),
        ]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExposureForm(PortalForm):
    channels = MultiCheckboxField(
        _l("Exposed on"), choices=[], validators=[DataRequired(_l("Choose at least one channel."))]
    )
    exposed_on = DateField(_l("Date of exposure"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%d")
    submit = SubmitField(_l("Put on the exposure board"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.channels.choices = [(c.value, str(labels.EXPOSURE_CHANNELS[c])) for c in ExposureChannel]

    def validate_exposed_on(self, field: DateField) -> None:
        if field.data and field.data > utcnow().astimezone(COURT_ZONE).date():
            raise ValidationError(gettext("The date cannot be in the future."))


LISTS = ("defaulters", "restrictions", "terminated", "bounties")


class AllListsSearchForm(SearchForm):
    """The one search over the four public lists (from the query string)."""

    list = SelectField(_l("List"), choices=[], default="", validators=[Optional()])

    # builtins.list: in this class body, list is the field above.
    def __init__(self, *args: object, courts: builtins.list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, courts=courts, **kwargs)
        self.list.choices = [
            ("", str(_l("All four lists"))),
            ("defaulters", str(_l("Dishonest judgment defaulters"))),
            ("restrictions", str(_l("Consumption restrictions"))),
            ("terminated", str(_l("Terminated cases (终本)"))),
            ("bounties", str(_l("Bounty notices"))),
        ]
