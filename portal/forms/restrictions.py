"""Forms of consumption restriction orders (限制消费令): issue, lift, release, public search."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.database import utcnow
from portal.forms.common import REQUIRED, PortalForm
from portal.presentation import labels
from publicity.lists.models import BoundRole, RestrictedItem
from publicity.lists.names import id_number_valid
from publicity.lists.restrictions import ORDER_LIFT_REASONS
from publicity.record.deadlines import COURT_ZONE

BOUND_ROWS = 4


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def at_least_one(form: Form, field: SelectMultipleField) -> None:
    if not field.data:
        raise StopValidation(str(REQUIRED))


class BoundPersonForm(Form):
    """One row of bound persons (a sub-form: the outer form carries CSRF); an empty row is ignored."""

    # Not Optional(): it would stop the chain before the row checks below.
    role = SelectField(_l("Role"), choices=[], default="")
    name = StringField(_l("Name"), validators=[Length(max=50)])
    id_number = StringField(_l("ID number"), validators=[Length(max=18)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [("", "—"), *((r.value, str(labels.BOUND_ROLES[r])) for r in BoundRole)]

    @property
    def is_empty(self) -> bool:
        return not ((self.name.data or "").strip() or self.role.data or (self.id_number.data or "").strip())

    def validate_name(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not field.data and not self.is_empty:
            raise ValidationError(gettext("This field is required."))

    def validate_role(self, field: SelectField) -> None:
        if not field.data and not self.is_empty:
            raise ValidationError(gettext("This field is required."))

    def validate_id_number(self, field: StringField) -> None:
        field.data = (field.data or "").strip().upper()
        if field.data and not id_number_valid(field.data):
            raise ValidationError(gettext("The ID number must have 18 characters and a correct check digit."))


class IssueRestrictionForm(PortalForm):
    respondent = SelectField(_l("Respondent"), choices=[], validators=[DataRequired(REQUIRED)])
    # Not DataRequired(): its "required" flag would mark every checkbox as required.
    items = MultiCheckboxField(_l("Restricted items"), choices=[], validators=[at_least_one])
    issued_on = DateField(_l("Issued on"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%d")
    bound = FieldList(
        FormField(BoundPersonForm),
        label=_l("Also bound (organisations only)"),
        min_entries=BOUND_ROWS,
        max_entries=BOUND_ROWS,
    )
    submit = SubmitField(_l("Issue the order"))

    def __init__(self, *args: object, respondents: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.respondent.choices = respondents
        self.items.choices = [(i.value, str(labels.RESTRICTED_ITEMS[i])) for i in RestrictedItem]

    def validate_issued_on(self, field: DateField) -> None:
        if field.data and field.data > utcnow().astimezone(COURT_ZONE).date():
            raise ValidationError(gettext("The date cannot be in the future."))

    def bound_persons(self) -> list[tuple[str, str, str]]:
        """The filled rows as (role, name, ID number)."""
        return [
            (row.form.role.data, row.form.name.data, row.form.id_number.data)
            for row in self.bound
            if not row.form.is_empty
        ]


class LiftRestrictionForm(PortalForm):
    reason = SelectField(_l("Why the order is lifted"), choices=[], validators=[DataRequired(REQUIRED)])
    note = TextAreaField(_l("Note (e.g. the document the lifting rests on)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Lift the order"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [(r.value, str(labels.LIFT_REASONS[r])) for r in ORDER_LIFT_REASONS]


class ReleaseBoundPersonForm(PortalForm):
    """Release a former legal representative (2019 opinion) from an order still in force."""

    person = HiddenField(validators=[DataRequired(REQUIRED)])
    note = TextAreaField(
        _l("Why they are neither controller nor responsible person"),
        validators=[DataRequired(REQUIRED), Length(max=2000)],
    )
    submit = SubmitField(_l("Release the former legal representative"))


class RestrictionSearchForm(PortalForm):
    """The public search, read from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, pinyin, case number or ID number"), validators=[Optional(), Length(max=60)])
    court = SelectField(_l("Court"), choices=[], validators=[Optional()])

    def __init__(self, *args: object, courts: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.court.choices = [("", str(_l("All courts"))), *courts]
