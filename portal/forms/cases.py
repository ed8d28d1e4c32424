"""Forms of the case register and the party lookup (shape checks only)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from portal.forms.common import MOBILE, REQUIRED, PortalForm
from portal.htmx import record_id
from portal.presentation import labels
from publicity.lists.names import credit_code_valid, id_number_valid
from publicity.record import case_numbers
from publicity.record.cases import CLOSING_MODES, MANUAL_TYPES
from publicity.record.ledger import yuan_to_fen
from publicity.record.models import (
    CaseStage,
    Channel,
    CorrectionKind,
    PartyKind,
    PartySide,
    PayeeKind,
    SearchTarget,
    SubscriptionTopic,
)

LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$", re.ASCII)


class YuanField(StringField):
    """An amount typed in yuan, available as ``fen``."""

    fen: int | None = None

    def pre_validate(self, form: object) -> None:
        self.fen = None
        if self.data:
            try:
                self.fen = yuan_to_fen(self.data)
            except ValueError:
                raise ValidationError(gettext("Enter an amount in yuan, e.g. 12345.67.")) from None


Choice = TypeVar("Choice", bound=enum.StrEnum)


def _choices(table: Mapping[Choice, object], values: Iterable[Choice]) -> list[tuple[str, str]]:
    return [(v.value, str(table[v])) for v in values]


class CaseNumberField(StringField):
    """A case number in either parenthesis style; ``data`` becomes the canonical form."""

    data: str | None  # StringField's (WTForms ships no types)

    def pre_validate(self, form: object) -> None:
        if self.data:
            try:
                self.data = case_numbers.normalise(self.data)
            except case_numbers.MalformedCaseNumber:
                raise ValidationError(
                    gettext(
                        "The case number is not valid. Write it like %(example)s: (year), court code, type such as "
                        "执 or 执恢, serial number, 号.",
                        example=case_numbers.EXAMPLE,
                    )
                ) from None


class CaseLookupForm(PortalForm):
    case_number = CaseNumberField(_l("Case number"), validators=[DataRequired(REQUIRED), Length(max=40)])
    query_code = StringField(_l("Query code"), validators=[DataRequired(REQUIRED), Length(min=6, max=20)])
    submit = SubmitField(_l("Look up"))


class SubscribeForm(PortalForm):
    topic = SelectField(
        _l("Tell me about"), choices=[], default=SubscriptionTopic.NODES.value, validators=[DataRequired(REQUIRED)]
    )
    channel = SelectField(_l("Send notices by"), choices=[], validators=[DataRequired(REQUIRED)])
    address = StringField(_l("Mobile number or email address"), validators=[DataRequired(REQUIRED), Length(max=254)])
    submit = SubmitField(_l("Subscribe"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.channel.choices = _choices(labels.CHANNELS, Channel)
        self.topic.choices = _choices(labels.SUBSCRIPTION_TOPICS, SubscriptionTopic)

    def validate_address(self, field: StringField) -> None:
        value = field.data.strip()
        if self.channel.data == Channel.SMS and not MOBILE.match(value):
            raise ValidationError(gettext("Enter an 11-digit mobile number."))
        if self.channel.data == Channel.EMAIL:
            Email(message=gettext("Enter a valid email address."))(self, field)
        field.data = value


class PartyForm(Form):
    """One party of a new case (a sub-form: the outer form carries CSRF)."""

    kind = SelectField(_l("Person or organisation"), choices=[], validators=[DataRequired(REQUIRED)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    sex = SelectField(_l("Sex"), choices=[], validators=[Optional()])
    # Not Optional(): that would stop the chain before the per-kind "required" checks below.
    id_number = StringField(_l("ID number"), validators=[Length(max=18)])
    credit_code = StringField(_l("Unified social credit code"), validators=[Length(max=18)])
    legal_representative = StringField(_l("Legal representative"), validators=[Optional(), Length(max=50)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    email = StringField(
        _l("Email"), validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email address."))]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(labels.PARTY_KINDS, PartyKind)
        self.sex.choices = [("", "—"), ("male", str(labels.SEXES["male"])), ("female", str(labels.SEXES["female"]))]

    def validate_id_number(self, field: StringField) -> None:
        field.data = (field.data or "").strip().upper()
        if field.data and not id_number_valid(field.data):
            raise ValidationError(gettext("The ID number must have 18 characters and a correct check digit."))
        if self.kind.data == PartyKind.PERSON and not field.data:
            raise ValidationError(gettext("A person needs an ID number."))

    def validate_credit_code(self, field: StringField) -> None:
        field.data = (field.data or "").strip().upper()
        if field.data and not credit_code_valid(field.data):
            raise ValidationError(
                gettext("The unified social credit code must have 18 letters and digits and a correct check character.")
            )
        if self.kind.data == PartyKind.ENTITY and not field.data:
            raise ValidationError(gettext("An organisation needs its unified social credit code."))

    def validate_phone(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if field.data and not (MOBILE.match(field.data) or LANDLINE.match(field.data)):
            raise ValidationError(gettext("Enter a mobile number or a landline such as 0534-1234567."))


class NewCaseForm(PortalForm):
    number = CaseNumberField(_l("Case number"), validators=[DataRequired(REQUIRED), Length(max=40)])
    basis_issuer = StringField(
        _l("Issuing unit of the basis document"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    basis_number = StringField(_l("Basis document number"), validators=[DataRequired(REQUIRED), Length(max=60)])
    amount = YuanField(_l("Amount applied for (yuan)"), validators=[DataRequired(REQUIRED)])
    filed_at = DateTimeLocalField(_l("Filed at"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M")
    judge = SelectField(_l("Judge in charge"), choices=[], validators=[Optional()])
    hard_case = BooleanField(_l("Hard case (骨头案): invite overseers"))
    applicant = FormField(PartyForm, label=_l("Applicant"))
    respondent = FormField(PartyForm, label=_l("Respondent"))
    submit = SubmitField(_l("File the case"))


class PartyAddForm(PortalForm):
    side = SelectField(_l("Side"), choices=[], validators=[DataRequired(REQUIRED)])
    party = FormField(PartyForm, label=_l("Party"))
    submit = SubmitField(_l("Add party"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.side.choices = _choices(labels.PARTY_SIDES, PartySide)


class NodeForm(PortalForm):
    node_type = SelectField(_l("Node"), choices=[], validators=[DataRequired(REQUIRED)])
    occurred_at = DateTimeLocalField(_l("When"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M")
    search_target = SelectField(_l("Search target"), choices=[], validators=[Optional()])
    closure_mode = SelectField(_l("Closure mode"), choices=[], validators=[Optional()])
    public_text = TextAreaField(_l("Text shown to the parties"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    internal_note = TextAreaField(
        _l("Internal note (never shown to parties)"), validators=[Optional(), Length(max=2000)]
    )
    share_note = BooleanField(_l("Share the internal note with the case's invited overseers"))
    submit = SubmitField(_l("Record node"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.node_type.choices = _choices(labels.NODE_TYPES, MANUAL_TYPES)
        self.search_target.choices = [("", "—"), *_choices(labels.SEARCH_TARGETS, SearchTarget)]
        self.closure_mode.choices = [
            ("", "—"),
            *_choices(labels.CLOSURE_MODES, CLOSING_MODES),
        ]


def _record_id(form: object, field: HiddenField) -> None:
    """A hidden id the page sent back (see portal.htmx.record_id)."""
    if record_id(field.data) is None:
        raise ValidationError(gettext("The entry was not found."))


class CorrectionForm(PortalForm):
    """A correction of one node: new wording, a new time, or void; the reason is shown to the parties."""

    corrects = HiddenField(validators=[_record_id])
    kind = SelectField(
        _l("What to correct"), choices=[], default=CorrectionKind.WORDING.value, validators=[DataRequired(REQUIRED)]
    )
    public_text = TextAreaField(_l("Corrected text shown to the parties"), validators=[Optional(), Length(max=2000)])
    occurred_at = DateTimeLocalField(_l("When it really happened"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    reason = TextAreaField(
        _l("Reason for the correction (shown to the parties)"), validators=[DataRequired(REQUIRED), Length(max=500)]
    )
    internal_note = TextAreaField(
        _l("Internal note (never shown to parties)"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Record correction"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(labels.CORRECTION_KINDS, CorrectionKind)

    def validate_public_text(self, field: TextAreaField) -> None:
        if self.kind.data == CorrectionKind.WORDING and not (field.data or "").strip():
            raise ValidationError(gettext("Enter the corrected public wording."))

    def validate_occurred_at(self, field: DateTimeLocalField) -> None:
        if self.kind.data == CorrectionKind.REDATE and field.data is None:
            raise ValidationError(gettext("Enter the time the step really happened."))


class FundForm(PortalForm):
    """Money received for the case (案款到账)."""

    counterparty = StringField(_l("Payer"), validators=[DataRequired(REQUIRED), Length(max=100)])
    amount = YuanField(_l("Amount (yuan)"), validators=[DataRequired(REQUIRED)])
    occurred_at = DateTimeLocalField(
        _l("When the money arrived"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M"
    )
    reference = StringField(_l("Bank slip or reference"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Record money received"))


COSTS = PayeeKind.COSTS.value


class PayoutForm(PortalForm):
    """A payout (案款发放): to whom (an applicant, a refund to a respondent, costs), what for, how much, when."""

    payee = SelectField(_l("Paid to"), choices=[], validators=[DataRequired(REQUIRED)])
    # Required for costs only (validate_costs_payee): no Optional(), which would stop the chain before it.
    costs_payee = StringField(_l("Payee of the costs"), validators=[Length(max=100)])
    purpose = StringField(_l("What for"), validators=[DataRequired(REQUIRED), Length(max=200)])
    amount = YuanField(_l("Amount (yuan)"), validators=[DataRequired(REQUIRED)])
    occurred_at = DateTimeLocalField(
        _l("When the money was paid out"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M"
    )
    reference = StringField(_l("Bank slip or reference"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Pay out"))

    def __init__(self, *args: object, parties: Iterable[tuple[PayeeKind, int, str]] = (), **kwargs: object) -> None:
        kwargs.setdefault("prefix", "payout")
        super().__init__(*args, **kwargs)
        self.payee.choices = [
            *((f"{kind.value}:{party_id}", f"{labels.PAYEE_KINDS[kind]}：{name}") for kind, party_id, name in parties),
            (COSTS, str(labels.PAYEE_KINDS[PayeeKind.COSTS])),
        ]

    def validate_costs_payee(self, field: StringField) -> None:
        if self.payee.data == COSTS and not (field.data or "").strip():
            raise ValidationError(gettext("Name who is paid the costs: an appraiser, the auction platform, the court."))

    @property
    def payee_kind(self) -> PayeeKind:
        return PayeeKind(self.payee.data.split(":", 1)[0])

    @property
    def party_id(self) -> int | None:
        _kind, _sep, party = self.payee.data.partition(":")
        return int(party) if party else None


class ReversalForm(PortalForm):
    """Reverse (冲销) a movement entered in error, with a reason the parties see."""

    movement = HiddenField(validators=[_record_id])
    reason = TextAreaField(
        _l("Reason for the reversal (shown to the parties)"), validators=[DataRequired(REQUIRED), Length(max=500)]
    )
    submit = SubmitField(_l("Reverse this entry"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "reversal")
        super().__init__(*args, **kwargs)


class PayoutDecisionForm(PortalForm):
    """A judge's decision on a payout application: approve (the money is paid out now) or reject with a reason."""

    decision = RadioField(_l("Decision"), choices=[], validators=[DataRequired(REQUIRED)])
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record the decision"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "decision")
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            ("approve", str(_l("Approve: pay the money out now"))),
            ("reject", str(_l("Reject"))),
        ]


class DelayForm(PortalForm):
    """A judge approves paying a receipt out after the court's payout days, with the reason."""

    receipt = HiddenField(validators=[_record_id])
    reason = TextAreaField(_l("Reason for the delay"), validators=[DataRequired(REQUIRED), Length(max=500)])
    submit = SubmitField(_l("Approve the delay"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "delay")
        super().__init__(*args, **kwargs)


class AssignJudgeForm(PortalForm):
    judge = SelectField(_l("Judge in charge"), choices=[], validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Assign"))


class ResumeForm(PortalForm):
    new_number = CaseNumberField(
        _l("New 执恢 case number (blank: next free number)"), validators=[Optional(), Length(max=40)]
    )
    occurred_at = DateTimeLocalField(_l("When"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M")
    public_text = TextAreaField(_l("Text shown to the parties"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Resume enforcement"))


class CaseListForm(PortalForm):
    """The staff case list's search and filters, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Case number or party name"), validators=[Optional(), Length(max=60)])
    stage = SelectField(_l("Stage"), choices=[], validators=[Optional()])
    judge = SelectField(_l("Judge"), choices=[], validators=[Optional()])
    due = SelectField(_l("Deadlines"), choices=[], validators=[Optional()])

    def __init__(self, *args: object, judges: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = [("", str(_l("All stages"))), *_choices(labels.STAGES, CaseStage)]
        self.judge.choices = [("", str(_l("All judges"))), *judges]
        self.due.choices = [
            ("", str(_l("Any"))),
            ("overdue", str(_l("Overdue"))),
            ("week", str(_l("Due within 7 days"))),
        ]
