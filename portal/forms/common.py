"""Forms: shape checks (required, length, format); business rules stay in the services."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from babel import Locale, support
from flask import request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto  # Flask-WTF's marker for "take the data from the request"
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import (
    DateField,
    DateTimeField,
    Field,
    FieldList,
    FileField,
    FormField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.core import UnboundField
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from portal.models import STAFF_ROLES, Role

REQUIRED = _l("This field is required.")

MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)  # a mainland mobile number


@functools.lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.NullTranslations:  # NullTranslations where WTForms has no catalogue
    return support.Translations.load(messages_path(), [Locale.parse(locale)], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' own messages in the visitor's language, each catalogue loaded once per process
    (Flask-WTF's hook reads it from disk on every request)."""

    def gettext(self, string: str) -> str:
        return _wtforms_catalogue(str(get_locale() or "zh_CN")).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(str(get_locale() or "zh_CN")).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = _WTFormsTranslations()


# Dates typed into any form: a shape check before the views turn them into UTC and deadlines (year 1 in
# the court's zone overflows the conversion, year 9999 the deadlines).
EARLIEST_YEAR, LATEST_YEAR = 1950, 2099
DATE_RANGE = _l("Enter a date between %(first)s and %(last)s.")


def plausible_date(form: object, field: Field) -> None:
    if field.data is not None and hasattr(field.data, "year") and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise StopValidation(str(DATE_RANGE) % {"first": EARLIEST_YEAR, "last": LATEST_YEAR})


# Text a person types: no control characters (a BEL, an escape sequence, a NUL) and no lone surrogates; tabs
# and line breaks are text.
_NOT_TEXT = frozenset({"Cc", "Cs"})
_TEXT_CONTROLS = frozenset("\t\n\r")


def plain_text(form: object, field: Field) -> None:
    """Refuse a typed value holding control characters: they print as nothing, and break exports and SMS."""
    value = field.data
    if isinstance(value, str) and any(
        unicodedata.category(ch) in _NOT_TEXT and ch not in _TEXT_CONTROLS for ch in value
    ):
        raise ValidationError(gettext("Remove the control characters (invisible characters) from this field."))


def blank_is_empty(value: object) -> object:
    """A submitted text of only blanks (spaces, tabs, full-width spaces) as the empty string."""
    return "" if isinstance(value, str) and not value.strip() else value


class PortalForm(FlaskForm):
    """The base of every form: CSRF from Flask-WTF, cached translations of WTForms' messages, the
    request's form fields only (files only for file fields), dates within a plausible range."""

    class Meta:
        def get_translations(self, form: object) -> _WTFormsTranslations:
            return WTFORMS_TRANSLATIONS

        def bind_field(self, form: object, unbound_field: UnboundField, options: dict[str, Any]) -> Field:
            """Every field reads a value of nothing but blanks as no value at all: an optional filter sent as
            ``ground=%20`` is absent, not an unknown choice that reaches the code as " "."""
            if issubclass(unbound_field.field_class, FormField | FieldList):  # they take no filters
                return unbound_field.bind(form=form, **options)
            filters = [*unbound_field.kwargs.get("filters", ()), blank_is_empty]
            return unbound_field.bind(form=form, **{**options, "filters": filters})

        def wrap_formdata(self, form: FlaskForm, formdata: object) -> object:
            """What a submission sent, as the form's fields expect it. Flask-WTF would mix every uploaded
            file in with the text fields (a file sent as a username reached Length() as a FileStorage) and
            take a JSON body of any shape as form data: these are HTML forms, so they read the form fields,
            and uploads only where a field takes a file."""
            if formdata is not _Auto:
                return formdata
            if request.method not in SUBMIT_METHODS:
                return None
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            files = [(name, file) for name, file in request.files.items(multi=True) if name in file_fields]
            if files:
                combined: CombinedMultiDict[str, Any] = CombinedMultiDict((MultiDict(files), request.form))
                return combined
            return request.form

    def validate(self, extra_validators: Mapping[str, Sequence[Callable[..., object]]] | None = None) -> bool:
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, DateTimeField):  # DateField and DateTimeLocalField too
                extra[name] = [plausible_date, *extra.get(name, [])]
            elif isinstance(field, StringField) and not isinstance(field, PasswordField):  # text areas too
                extra[name] = [plain_text, *extra.get(name, [])]
        valid: bool = super().validate(extra)
        return valid


MIN_PASSWORD = 10


def role_label(role: Role | str) -> str:
    """The role's name in the visitor's language."""
    return str(ROLE_LABELS.get(Role(role), role))


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.JUDGE: _l("Enforcement judge"),
    Role.CLERK: _l("Clerk"),
    Role.OVERSEER: _l("Overseer (deputy or CPPCC member)"),
    Role.LIAISON: _l("Grid liaison"),
    Role.PROVINCE: _l("Province administrator"),
}


def password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_PASSWORD,
                max=128,
                message=_l("The password must be %(min)d to %(max)d characters long.", min=MIN_PASSWORD, max=128),
            ),
        ],
    )


class LoginForm(PortalForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=128)])
    submit = SubmitField(_l("Log in"))


class LanguageForm(PortalForm):
    """Only carries the CSRF token; the chosen language comes from the pressed button."""


class LogoutForm(PortalForm):
    """Only carries the CSRF token."""


class _NewLoginForm(PortalForm):
    """What every account an administrator makes needs: a login name, a name, the owner's mobile (a staff
    account's is required), an email and the first password (changed at first login)."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=3, max=40, message=_l("The username must be 3 to 40 characters long.")),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use only Latin letters, digits, dot, dash and underscore.")),
        ],
    )
    display_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=50)])
    phone = StringField(_l("Mobile number (staff)"), validators=[Length(max=30)])
    email = StringField(
        _l("Email"), validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email address."))]
    )
    password = password_field(_l("Initial password"))
    submit = SubmitField(_l("Create account"))

    def needs_mobile(self) -> bool:
        return True

    def validate_phone(self, field: StringField) -> None:
        field.data = re.sub(r"[\s-]", "", field.data or "")
        if field.data and not MOBILE.match(field.data):
            raise ValidationError(gettext("Enter an 11-digit mobile number."))
        if not field.data and self.needs_mobile():
            raise ValidationError(
                gettext("Enter the staff member's own mobile number: the overseer roster is checked against it.")
            )


# The roles a court's administrator gives (overseers get theirs through an invitation, province administrators on
# the command line).
COURT_ROLES = [Role.ADMIN, Role.JUDGE, Role.CLERK, Role.LIAISON]


class AccountForm(_NewLoginForm):
    """A new account of the administrator's court: ``courts`` is that one court (the field is fixed)."""

    role = SelectField(_l("Role"), choices=[], validators=[DataRequired(REQUIRED)])
    court = SelectField(_l("Court"), choices=[], validators=[DataRequired(REQUIRED)])
    team = StringField(_l("Team (judges and clerks)"), validators=[Optional(), Length(max=50)])

    def needs_mobile(self) -> bool:
        return self.role.data in {r.value for r in STAFF_ROLES}

    def __init__(self, *args: object, courts: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(r.value, str(ROLE_LABELS[r])) for r in COURT_ROLES]
        self.court.choices = courts
        if len(courts) == 1 and not self.court.data:
            self.court.data = courts[0][0]  # the only choice: a form sent without it means it


class CourtAdminForm(_NewLoginForm):
    """A court's administrator, made by a province administrator."""

    submit = SubmitField(_l("Create administrator"))


class CourtForm(PortalForm):
    """A court the portal serves (the fields of ``flask court add``)."""

    code = StringField(
        _l("Court code"),
        validators=[DataRequired(REQUIRED), Length(max=16)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    name = StringField(
        _l("Court name"),
        validators=[DataRequired(REQUIRED), Length(max=100)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    province = StringField(
        _l("Province"),
        validators=[DataRequired(REQUIRED), Length(max=20)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    phone = StringField(
        _l("Public contact line"),
        validators=[Optional(), Length(max=40)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    submit = SubmitField(_l("Add court"))


class ContactForm(PortalForm):
    """A staff member's own mobile and email, kept by the administrators."""

    phone = StringField(_l("Mobile number (staff)"), validators=[Length(max=30)])
    email = StringField(
        _l("Email"), validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email address."))]
    )
    submit = SubmitField(_l("Save contact"))

    def __init__(self, *args: object, staff: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff  # a judge's, clerk's or administrator's account: the mobile stays required

    def validate_phone(self, field: StringField) -> None:
        field.data = re.sub(r"[\s-]", "", field.data or "")
        if field.data and not MOBILE.match(field.data):
            raise ValidationError(gettext("Enter an 11-digit mobile number."))
        if not field.data and self.staff:
            raise ValidationError(
                gettext("Enter the staff member's own mobile number: the overseer roster is checked against it.")
            )


class PasswordResetForm(PortalForm):
    password = password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))


class PasswordChangeForm(PasswordResetForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED), Length(max=128)])


class ConfirmForm(PortalForm):
    """A button that changes state: only CSRF."""


class AuditFilterForm(PortalForm):
    """The audit trail's filters, read from the query string."""

    class Meta:
        csrf = False

    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=64)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=100)])
    since = DateField(_l("From"), validators=[Optional()], format="%Y-%m-%d")
    until = DateField(_l("To"), validators=[Optional()], format="%Y-%m-%d")

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))
