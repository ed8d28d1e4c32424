"""Forms of the bounty notices (悬赏公告): public search and clues, the staff's application, decision and payments."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from portal.database import utcnow
from portal.forms.cases import YuanField
from portal.forms.common import MOBILE, REQUIRED, PortalForm
from portal.presentation import labels
from publicity.lists.bounties import CLUE_TEXT_MAX, CONDITIONS_MAX
from publicity.lists.models import RewardKind
from publicity.record.deadlines import COURT_ZONE


def _not_in_future(field: DateField) -> None:
    if field.data and field.data > utcnow().astimezone(COURT_ZONE).date():
        raise ValidationError(gettext("The date cannot be in the future."))


def percent_to_basis_points(text: str) -> int:
    """A percentage typed as 5, 7.5 or 12.25 (at most two decimals, above 0, at most 100) in basis points."""
    try:
        value = Decimal(text.replace("%", "").replace("％", "").strip())
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite() or value <= 0 or value > 100 or value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(value * 100)


class BountySearchForm(PortalForm):
    """The public search of bounty notices, from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, pinyin, case number or ID number"), validators=[Optional(), Length(max=60)])


class BountyApplicationForm(PortalForm):
    """The applicant's written application (申请悬赏), as the court received it."""

    applicant = SelectField(_l("Applicant"), choices=[], validators=[DataRequired(REQUIRED)])
    respondent = SelectField(_l("Respondent sought"), choices=[], validators=[DataRequired(REQUIRED)])
    # The 10-day clock runs from the day the written application arrived, not from when it is typed in.
    received_on = DateField(
        _l("Written application received on"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%d"
    )
    reward_kind = RadioField(_l("Reward"), choices=[], validators=[DataRequired(REQUIRED)])
    # Not Optional(): the per-kind "required" checks below must run on an empty field too.
    reward_amount = YuanField(_l("Fixed reward (yuan)"), validators=[Length(max=20)])
    reward_percent = StringField(_l("Share of the money the lead recovers (per cent)"), validators=[Length(max=10)])
    reward_cap = YuanField(_l("Ceiling of that share (yuan, optional)"), validators=[Optional(), Length(max=20)])
    conditions = TextAreaField(
        _l("Conditions of the reward, as they will be published"),
        validators=[DataRequired(REQUIRED), Length(max=CONDITIONS_MAX)],
    )
    channels = TextAreaField(_l("Where the applicant asks it be published"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record the application"))

    basis_points: int | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reward_kind.choices = [(k.value, str(labels.REWARD_KINDS[k])) for k in RewardKind]

    def validate_received_on(self, field: DateField) -> None:
        _not_in_future(field)

    def validate_reward_amount(self, field: YuanField) -> None:
        if self.reward_kind.data == RewardKind.FIXED and not field.fen:
            raise ValidationError(gettext("Enter the reward in yuan."))

    def validate_reward_percent(self, field: StringField) -> None:
        self.basis_points = None
        if self.reward_kind.data != RewardKind.PERCENTAGE:
            return
        try:
            self.basis_points = percent_to_basis_points(field.data or "")
        except ValueError:
            raise ValidationError(gettext("Enter a share between 0.01 and 100 per cent, e.g. 5 or 7.5.")) from None


class BountyDecisionForm(PortalForm):
    decision = RadioField(_l("Decision"), choices=[], validators=[DataRequired(REQUIRED)])
    reasons = TextAreaField(_l("Reasons (required for a rejection)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the decision"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            ("grant", str(_l("Grant: publish the bounty notice now"))),
            ("reject", str(_l("Reject, with reasons"))),
        ]


class BountyCloseForm(PortalForm):
    reason = TextAreaField(_l("Why the bounty is closed"), validators=[DataRequired(REQUIRED), Length(max=500)])
    submit = SubmitField(_l("Close the bounty"))


class RewardPaymentForm(PortalForm):
    clue = SelectField(_l("Clue rewarded"), choices=[], validators=[DataRequired(REQUIRED)])
    amount = YuanField(_l("Amount paid (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20)])
    paid_on = DateField(_l("Paid on"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%d")
    eligible = BooleanField(
        _l("I confirm the informant is neither the applicant's own agent nor anyone obliged to report the property"),
        validators=[DataRequired(_l("Confirm that the informant may be rewarded."))],
    )
    submit = SubmitField(_l("Record the payment"))

    def validate_paid_on(self, field: DateField) -> None:
        _not_in_future(field)


class ClueForm(PortalForm):
    """A lead from the public: the clue, an optional document, and contacts only to claim the reward."""

    text = TextAreaField(
        _l("Your lead: where the person or the property can be found"),
        validators=[DataRequired(REQUIRED), Length(max=CLUE_TEXT_MAX)],
    )
    attachment = FileField(_l("Photo or document (PDF, PNG or JPEG, at most 5 MB, optional)"))
    wants_reward = BooleanField(_l("I want to claim the reward if my lead leads to recovery"))
    # Not Optional(): it would stop the chain before the "needed for a reward" checks below.
    informant_name = StringField(_l("Your name"), validators=[Length(max=100)])
    informant_phone = StringField(_l("Mobile number"), validators=[Length(max=30)])
    informant_email = StringField(
        _l("Email (optional)"),
        validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email address."))],
    )
    submit = SubmitField(_l("Send the clue"))

    def validate_informant_name(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if self.wants_reward.data and not field.data:
            raise ValidationError(gettext("To claim a reward, give your name and mobile number."))

    def validate_informant_phone(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if field.data and not MOBILE.match(field.data):
            raise ValidationError(gettext("Enter an 11-digit mobile number."))
        if self.wants_reward.data and not field.data:
            raise ValidationError(gettext("To claim a reward, give your name and mobile number."))
