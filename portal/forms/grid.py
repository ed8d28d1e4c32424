"""Forms of 执行+网格: grid areas, liaisons, party locations, assistance tasks and their reports."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from portal.database import local_to_utc, utcnow
from portal.forms.common import MIN_PASSWORD, MOBILE, REQUIRED, PortalForm
from portal.forms.oversight import LOCAL_TIME, MultiCheckboxField
from portal.presentation import labels
from publicity.outreach.models import GridKind, TaskKind, TaskOutcome
from publicity.record.deadlines import COURT_ZONE

# A report's time typed on a phone may run a little ahead of the server's clock.
CLOCK_SLACK = timedelta(minutes=10)


class AreaForm(PortalForm):
    """Add a township (with its work station) or a village, community or enterprise grid inside one."""

    kind = SelectField(_l("Level"), validators=[DataRequired(REQUIRED)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    # Not Optional(): it would stop the chain before the "a grid needs its township" check below.
    parent = SelectField(_l("Township (for a grid)"), default="")
    station = StringField(_l("Work station (for a township)"), validators=[Optional(), Length(max=100)])

    def __init__(self, *args: object, townships: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, str(labels.GRID_KINDS[k])) for k in GridKind]
        self.parent.choices = [("", "—"), *townships]

    def validate_parent(self, field: SelectField) -> None:
        if self.kind.data and self.kind.data != GridKind.TOWNSHIP and not field.data:
            raise ValidationError(gettext("Choose the township the grid belongs to."))


class LiaisonForm(PortalForm):
    """Put a liaison on the court's list, with the grids they serve and, optionally, a login account."""

    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=50)])
    grids = MultiCheckboxField(_l("Grids served"), coerce=int, validators=[DataRequired(REQUIRED)])
    # Not Optional(): it would stop the chain before the opt-in checks below.
    phone = StringField(_l("Mobile number"), validators=[Length(max=30)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    notify_sms = BooleanField(_l("Send pushes and tasks by SMS too"))
    notify_email = BooleanField(_l("Send pushes and tasks by email too"))
    # Not Optional(): the "both or neither" check below must run on an empty field too.
    username = StringField(
        _l("Login name (optional)"),
        validators=[
            Length(max=40),
            Regexp(
                r"^([A-Za-z0-9_.-]{3,40})?$", message=_l("Use only Latin letters, digits, dot, dash and underscore.")
            ),
        ],
    )
    password = PasswordField(_l("Initial password"), validators=[Length(max=128)])

    def validate_phone(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if field.data and not MOBILE.match(field.data):
            raise ValidationError(gettext("Enter an 11-digit mobile number."))
        if self.notify_sms.data and not field.data:
            raise ValidationError(gettext("Give a mobile number for SMS notices."))

    def validate_email(self, field: EmailField) -> None:
        field.data = (field.data or "").strip()
        if field.data:
            Email(message=gettext("Enter a valid email address."))(self, field)
        elif self.notify_email.data:
            raise ValidationError(gettext("Give an email address for email notices."))

    def validate_password(self, field: PasswordField) -> None:
        if (self.username.data or "").strip() and len(field.data or "") < MIN_PASSWORD:
            raise ValidationError(
                gettext("The password must be %(min)d to %(max)d characters long.", min=MIN_PASSWORD, max=128)
            )
        if field.data and not (self.username.data or "").strip():
            raise ValidationError(gettext("Give a login name with the password, or leave both empty."))


class LiaisonGridsForm(PortalForm):
    """Change the grids a liaison serves."""

    grids = MultiCheckboxField(_l("Grids served"), coerce=int, validators=[DataRequired(REQUIRED)])


class LocateForm(PortalForm):
    """The grid a party lives or does business in, chosen by staff from its address (empty: not known)."""

    grid = SelectField(_l("Grid"), validators=[Optional()])


class TaskRequestForm(PortalForm):
    """A judge asks a grid's liaison for help on the case, by a due date."""

    grid = SelectField(_l("Grid"), validators=[DataRequired(REQUIRED)])
    liaison = SelectField(_l("Liaison"), validators=[DataRequired(REQUIRED)])
    kind = SelectField(_l("What to do"), validators=[DataRequired(REQUIRED)])
    instructions = TextAreaField(
        _l("Instructions for the liaison"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )
    due_on = DateField(_l("Due by (end of that day)"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%d")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, str(labels.TASK_KINDS[k])) for k in TaskKind]

    def validate_due_on(self, field: DateField) -> None:
        if field.data and field.data < utcnow().astimezone(COURT_ZONE).date():
            raise ValidationError(gettext("The due date cannot be in the past."))


class ReportForm(PortalForm):
    """The liaison's report: outcome, what was done, when and where, an optional photo or PDF."""

    outcome = RadioField(_l("Outcome"), validators=[DataRequired(REQUIRED)])
    report = TextAreaField(_l("What you did and found"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    done_at = DateTimeLocalField(_l("When"), validators=[DataRequired(REQUIRED)], format=LOCAL_TIME)
    place = StringField(_l("Where"), validators=[DataRequired(REQUIRED), Length(max=200)])
    attachment = FileField(_l("Photo or document (PDF, PNG or JPEG, at most 5 MB, optional)"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(o.value, str(labels.TASK_OUTCOMES[o])) for o in TaskOutcome]

    def validate_done_at(self, field: DateTimeLocalField) -> None:
        if field.data and local_to_utc(field.data) > utcnow() + CLOCK_SLACK:
            raise ValidationError(gettext("The time cannot be in the future."))


class CloseTaskForm(PortalForm):
    """The judge closes a reported task: the text the parties will read in the case's timeline."""

    public_text = TextAreaField(_l("Text shown to the parties"), validators=[DataRequired(REQUIRED), Length(max=2000)])


# What the parties might read once a task of each kind is done; the judge edits it before closing.
PUBLIC_TEXTS = {
    TaskKind.SERVE: _l("With the help of the grid liaison, the enforcement documents were served."),
    TaskKind.LOCATE: _l("With the help of the grid liaison, the court looked for the respondent."),
    TaskKind.CHECK_ASSET: _l(
        "With the help of the grid liaison, the court checked a lead on the respondent's property."
    ),
    TaskKind.MEDIATE: _l("The grid liaison helped the parties talk about performing the judgment."),
    TaskKind.URGE: _l("The grid liaison urged the respondent to perform the judgment."),
}


def suggested_public_text(kind: TaskKind) -> str:
    """The default public text of a closed task of ``kind``."""
    return str(PUBLIC_TEXTS[kind])
