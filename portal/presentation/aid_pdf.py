"""The judicial aid decision document (司法救助决定书) as a PDF, laid out with the closure report's building blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

# The closure report's page furniture and blocks (CJK line breaking, tables, money): one layout for both documents.
from portal.presentation.report_pdf import ACCENT, BODY_PT, INK, _ReportDocument


@dataclass(frozen=True)
class DecisionDocument:
    """What a decision document states; the page and the PDF show the same."""

    court: str
    case_number: str
    applicant: str
    hardship: str
    attempt: int
    submitted_at: datetime
    amount_asked_fen: int
    granted: bool
    amount_granted_fen: int | None
    reasons: str
    reviewer: str
    decided_at: datetime


def pdf_labels() -> dict[str, str]:
    """The document's words in the current locale."""
    return {
        "title": _("Judicial aid decision"),
        "court": _("Court"),
        "case_number": _("Case number"),
        "applicant": _("Applicant"),
        "hardship": _("Hardship"),
        "submitted_at": _("Applied on"),
        "attempt": _("Application"),
        "attempt.value": _("No. {attempt}"),
        "amount_asked": _("Amount asked"),
        "decision": _("Decision"),
        "granted": _("Judicial aid granted: {amount}"),
        "refused": _("Judicial aid refused"),
        "reasons": _("Reasons"),
        "reviewer": _("Decided by"),
        "decided_at": _("Decided on"),
        "note": _(
            "Judicial aid is paid from the court's aid fund, not from the case funds; "
            "the respondent's obligation under the case remains."
        ),
        "colon": _(": "),
        "money": _("¥{amount}"),
        "page": _("Page {page} of {pages}"),
    }


def decision_pdf(document: DecisionDocument, *, labels: Mapping[str, str], tz: str, font_path: str) -> bytes:
    """The decision document as an A4 PDF; ``font_path`` is a font with CJK glyphs (embedded, subset)."""
    doc = _ReportDocument(labels, ZoneInfo(tz), footer_note=document.case_number)
    doc.add_font("cjk", "", font_path, collection_font_number=0)
    doc.set_font("cjk", size=BODY_PT)
    doc.set_title(f"{labels['title']} {document.case_number}")
    doc.set_author(document.court)
    doc.set_creator("Mingjing")
    doc.add_page()
    doc.set_font("cjk", size=20)
    doc.set_text_color(*ACCENT)
    doc.multi_cell(0, 11, doc.wrap(document.court, doc.epw), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.multi_cell(0, 11, labels["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=BODY_PT)
    doc.set_text_color(*INK)
    doc.ln(3)
    if document.granted and document.amount_granted_fen is not None:
        outcome = labels["granted"].format(amount=doc.money(document.amount_granted_fen))
    else:
        outcome = labels["refused"]
    rows = [
        (labels["case_number"], document.case_number),
        (labels["applicant"], document.applicant),
        (labels["hardship"], document.hardship),
        (labels["attempt"], labels["attempt.value"].format(attempt=document.attempt)),
        (labels["submitted_at"], doc.when(document.submitted_at)),
        (labels["amount_asked"], doc.money(document.amount_asked_fen)),
        (labels["decision"], outcome),
    ]
    doc.grid(rows, (42, doc.epw - 42), headings=False, label_column=True)
    doc.section(labels["reasons"])
    doc.paragraph(document.reasons)
    doc.ln(4)
    colon = labels["colon"]
    signature = (
        f"{labels['reviewer']}{colon}{document.reviewer}\n{labels['decided_at']}{colon}{doc.when(document.decided_at)}"
    )
    doc.multi_cell(0, 7, doc.wrap(signature, doc.epw), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    doc.set_font("cjk", size=9)
    doc.paragraph(labels["note"])
    return bytes(doc.output())


def build_pdf(document: DecisionDocument) -> bytes:
    """The decision document in the visitor's language, with the app's font and time zone."""
    return decision_pdf(
        document,
        labels=pdf_labels(),
        tz=current_app.config["MINGJING_TIMEZONE"],
        font_path=current_app.config["MINGJING_PDF_FONT"],
    )
