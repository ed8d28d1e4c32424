"""Forms of judicial aid (司法救助): the applicant's application, the staff's decision and payment (shape checks)."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import DateTimeLocalField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms.cases import YuanField
from portal.forms.common import REQUIRED, PortalForm
from portal.presentation import labels
from publicity.core.errors import BadAttachment
from publicity.outreach import aid
from publicity.outreach.models import Hardship

HOUSEHOLD_MAX = 2000
REASONS_MAX = 2000


class AidApplicationForm(PortalForm):
    """The applicant's application: the hardship, the household, the amount asked and up to five documents."""

    hardship = SelectField(_l("Hardship"), choices=[], validators=[DataRequired(REQUIRED)])
    household = TextAreaField(
        _l("Your household's situation: who lives on what income, and why the unpaid money leaves you in hardship"),
        validators=[DataRequired(REQUIRED), Length(max=HOUSEHOLD_MAX)],
    )
    amount = YuanField(_l("Amount of aid asked for (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20)])
    documents = MultipleFileField(
        _l("Supporting documents (up to 5 files: PDF, PNG or JPEG, at most 5 MB each)"),
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"},
    )
    changed_circumstances = TextAreaField(
        _l("What has changed since your previous application was decided"),
        validators=[Optional(), Length(max=HOUSEHOLD_MAX)],
    )
    submit = SubmitField(_l("Apply for judicial aid"))

    # The documents as read by validate_documents: (file name, content).
    read_documents: list[tuple[str, bytes]]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.hardship.choices = [(h.value, str(labels.HARDSHIPS[h])) for h in Hardship]
        self.read_documents = []

    def validate_household(self, field: TextAreaField) -> None:
        field.data = (field.data or "").strip()

    def validate_changed_circumstances(self, field: TextAreaField) -> None:
        field.data = (field.data or "").strip()

    def validate_amount(self, field: YuanField) -> None:
        if field.fen is not None and field.fen <= 0:
            raise ValidationError(gettext("The amount must be above zero."))

    def validate_documents(self, field: MultipleFileField) -> None:
        # A file input left empty still sends one part without a file name: it is no document.
        uploads = [f for f in (field.data or []) if f and getattr(f, "filename", "")]
        if len(uploads) > aid.MAX_DOCUMENTS:
            raise ValidationError(gettext("Attach at most %(count)s documents.", count=aid.MAX_DOCUMENTS))
        self.read_documents = []
        refused = []
        for upload in uploads:
            # One byte past the limit is enough to know the file is too large.
            content = upload.read(aid.DOCUMENT_LIMIT_MB * 2**20 + 1)
            try:
                aid.check_document(upload.filename, content)  # by its content, not its name
            except BadAttachment:
                refused.append(upload.filename)
                continue
            self.read_documents.append((upload.filename, content))
        if refused:
            raise ValidationError(
                gettext(
                    "Not accepted: %(names)s. Each document must be a PDF, PNG or JPEG file of at most %(limit)s MB.",
                    names="、".join(refused),
                    limit=aid.DOCUMENT_LIMIT_MB,
                )
            )


class AidDecisionForm(PortalForm):
    """Grant an amount, or refuse; either way with reasons (printed on the decision document), dated when decided."""

    decision = RadioField(_l("Decision"), choices=[], validators=[DataRequired(REQUIRED)])
    # Not Optional(): the "required for a grant" check below must run on an empty field too.
    amount = YuanField(_l("Amount granted (yuan)"), validators=[Length(max=20)])
    reasons = TextAreaField(
        _l("Reasons (printed on the decision document)"), validators=[DataRequired(REQUIRED), Length(max=REASONS_MAX)]
    )
    decided_at = DateTimeLocalField(_l("Decided at"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M")
    submit = SubmitField(_l("Record the decision"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [("grant", str(_l("Grant judicial aid"))), ("refuse", str(_l("Refuse, with reasons")))]

    @property
    def grant(self) -> bool:
        return bool(self.decision.data == "grant")

    def validate_reasons(self, field: TextAreaField) -> None:
        field.data = (field.data or "").strip()  # DataRequired already refused a blank one

    def validate_amount(self, field: YuanField) -> None:
        if self.grant and not field.fen:
            raise ValidationError(gettext("Enter the amount granted in yuan."))


class AidPaymentForm(PortalForm):
    """When the aid fund paid the granted aid, and its transfer or voucher reference."""

    paid_at = DateTimeLocalField(_l("Paid at"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M")
    reference = StringField(
        _l("Payment reference (transfer or voucher number)"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    submit = SubmitField(_l("Record the payment"))

    def validate_reference(self, field: StringField) -> None:
        field.data = (field.data or "").strip()  # DataRequired already refused a blank one
