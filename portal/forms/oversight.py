"""Forms of the oversight area: roster, invitations, on-site actions, cards, questions, reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from oversight.models import DIMENSIONS, OnsiteMeasure, OverseerKind, OverseerLevel, Rating
from portal.forms.common import MIN_PASSWORD, REQUIRED, PortalForm
from portal.presentation import labels

PHONE = Regexp(r"^1\d{10}$", flags=re.ASCII, message=_l("Enter an 11-digit mainland mobile number."))
LOCAL_TIME = "%Y-%m-%dT%H:%M"


def _squeezed(value: str | None) -> str | None:
    """A phone number as typed, spaces and dashes gone ("138 0000-0001" is 13800000001)."""
    return re.sub(r"[\s-]", "", value) if value else value


def _trimmed(value: str | None) -> str | None:
    return value.strip() if value else value


class OverseerForm(PortalForm):
    """Put a deputy or CPPCC member on the roster, or change their entry."""

    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=50)])
    kind = SelectField(_l("Kind"), validators=[DataRequired(REQUIRED)])
    level = SelectField(_l("Level"), validators=[DataRequired(REQUIRED)])
    unit = StringField(_l("Unit or constituency"), validators=[Length(max=100)])
    phone = StringField(_l("Mobile number"), validators=[Optional(), PHONE], filters=[_squeezed])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)], filters=[_trimmed])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, str(labels.OVERSEER_KINDS[k])) for k in OverseerKind]
        self.level.choices = [(lv.value, str(labels.OVERSEER_LEVELS[lv])) for lv in OverseerLevel]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InviteForm(PortalForm):
    """A judge invites overseers of the roster to a case."""

    overseers = MultiCheckboxField(_l("Overseers"), coerce=int, validators=[DataRequired(REQUIRED)])
    message = TextAreaField(
        _l("Why the case is hard and what you ask the overseers to watch"), validators=[Length(max=1000)]
    )


class ActivationForm(PortalForm):
    """A first-time invitee chooses a login name and password."""

    username = StringField(
        _l("Login name"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=3, max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dots, dashes or underscores.")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords differ."))],
    )


class AnswerInvitationForm(PortalForm):
    """Accept or decline an invitation (the reason is optional)."""

    decision = RadioField(
        _l("Your answer"),
        choices=[("accept", _l("I accept")), ("decline", _l("I decline"))],
        validators=[DataRequired(REQUIRED)],
    )
    reason = TextAreaField(_l("Reason (if you decline; optional)"), validators=[Length(max=500)])


class DeclineForm(PortalForm):
    """A first-time invitee declines from the link, without an account (the reason is optional)."""

    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=500)])


class ActionForm(PortalForm):
    """Schedule an on-site action."""

    scheduled_at = DateTimeLocalField(_l("Date and time"), validators=[DataRequired(REQUIRED)], format=LOCAL_TIME)
    place = StringField(_l("Place"), validators=[DataRequired(REQUIRED), Length(max=200)])
    measure = SelectField(_l("Measure"), validators=[DataRequired(REQUIRED)])
    officers = StringField(_l("Officers"), validators=[DataRequired(REQUIRED), Length(max=200)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.measure.choices = [(m.value, str(labels.ONSITE_MEASURES[m])) for m in OnsiteMeasure]


class CancelActionForm(PortalForm):
    """Call off an on-site action; the overseers are told the reason."""

    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(REQUIRED), Length(max=500)])


class RescheduleForm(PortalForm):
    """Move an on-site action to another time or meeting point; the overseers are told the reason."""

    scheduled_at = DateTimeLocalField(_l("New date and time"), validators=[DataRequired(REQUIRED)], format=LOCAL_TIME)
    place = StringField(_l("Meeting point"), validators=[DataRequired(REQUIRED), Length(max=200)])
    reason = TextAreaField(_l("Reason for the change"), validators=[DataRequired(REQUIRED), Length(max=500)])


class TextForm(PortalForm):
    """One required text: an outcome, an answer, a question."""

    text = TextAreaField(_l("Text"), validators=[DataRequired(REQUIRED), Length(max=5000)])


class RespondForm(PortalForm):
    """An overseer's yes or no (coming to an action; witnessed it)."""

    answer = RadioField(
        _l("Your answer"), choices=[("yes", _l("Yes")), ("no", _l("No"))], validators=[DataRequired(REQUIRED)]
    )
    # The action's time as the overseer was shown it (ISO 8601): an answer to a time moved meanwhile is refused.
    seen = HiddenField()

    def seen_at(self) -> datetime | None:
        """The time shown, or None when the form did not carry one (or it cannot be read: then nothing matches)."""
        if not self.seen.data:
            return None
        try:
            shown = datetime.fromisoformat(self.seen.data)
        except ValueError:
            return datetime.min.replace(tzinfo=UTC)
        return shown if shown.tzinfo else shown.replace(tzinfo=UTC)


class CardForm(PortalForm):
    """An evaluation card; drafts accept it half filled, submission checks it in the service."""

    procedure = RadioField(labels.CARD_DIMENSIONS["procedure"], validators=[Optional()])
    civility = RadioField(labels.CARD_DIMENSIONS["civility"], validators=[Optional()])
    efficiency = RadioField(labels.CARD_DIMENSIONS["efficiency"], validators=[Optional()])
    integrity = RadioField(labels.CARD_DIMENSIONS["integrity"], validators=[Optional()])
    results = RadioField(labels.CARD_DIMENSIONS["results"], validators=[Optional()])
    overall = RadioField(labels.CARD_DIMENSIONS["overall"], validators=[Optional()])
    witnessed_on_site = BooleanField(_l("I witnessed enforcement on site"))
    spoke_with_parties = BooleanField(_l("I spoke with the parties"))
    comments = TextAreaField(_l("Comments"), validators=[Length(max=5000)])
    suggestions = TextAreaField(_l("Suggestions"), validators=[Length(max=5000)])

    RATED = (*DIMENSIONS, "overall")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in self.RATED:
            getattr(self, name).choices = [(r.value, str(labels.RATINGS[r])) for r in Rating]

    def ratings(self) -> dict[str, Rating | None]:
        return {name: Rating(getattr(self, name).data) if getattr(self, name).data else None for name in self.RATED}


class TalkForm(PortalForm):
    """What the overseer learned from a party."""

    party_name = StringField(_l("Whom you spoke with"), validators=[DataRequired(REQUIRED), Length(max=100)])
    talked_on = DateTimeLocalField(_l("When"), validators=[DataRequired(REQUIRED)], format=LOCAL_TIME)
    summary = TextAreaField(_l("What you learned"), validators=[DataRequired(REQUIRED), Length(max=5000)])


class ReportForm(PortalForm):
    """The judge's closure report: the facts come from the record; the judge writes the rest."""

    summary = TextAreaField(_l("Summary of the enforcement"), validators=[DataRequired(REQUIRED), Length(max=10000)])
    response_to_cards = TextAreaField(
        _l("Response to the overseers' evaluation cards"), validators=[DataRequired(REQUIRED), Length(max=10000)]
    )


class AcknowledgeForm(PortalForm):
    """The overseer acknowledges the report, with optional final remarks."""

    remarks = TextAreaField(_l("Final remarks (optional)"), validators=[Length(max=5000)])
