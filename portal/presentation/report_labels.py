"""The closure report PDF in the visitor's language: portal.presentation.report_pdf's labels, filled by gettext."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from oversight.models import ClosureReport, EvaluationCard
from portal.presentation import labels
from portal.presentation.report_pdf import LABEL_KEYS, closure_report_pdf

# Domain values take their names from the label tables the pages use.
_TABLES: dict[str, Mapping[Any, object]] = {
    "dimension": labels.CARD_DIMENSIONS,
    "rating": labels.RATINGS,
    "closure": labels.CLOSURE_MODES,
    "stage": labels.STAGES,
    "side": labels.PARTY_SIDES,
    "node": labels.NODE_TYPES,
}


def pdf_labels() -> dict[str, str]:
    """Every key of LABEL_KEYS in the current locale."""
    texts = {
        "title": _("Closure report"),
        "section.facts": _("Case facts"),
        "section.measures": _("Measures taken"),
        "section.summary": _("Summary of the enforcement"),
        "section.response": _("Response to the evaluation cards"),
        "section.cards": _("Evaluation cards"),
        "section.acknowledgements": _("Acknowledgements by the overseers"),
        "field.court": _("Court"),
        "field.case_number": _("Case number"),
        "field.parties": _("Parties"),
        "field.judge": _("Judge in charge"),
        "field.case_filed_at": _("Filed"),
        "field.case_ended_at": _("Case ended"),
        "field.days": _("Duration"),
        "field.closure_mode": _("Closure mode"),
        "field.amount_applied": _("Amount applied for"),
        "field.amount_recovered": _("Funds recovered"),
        "field.report_filed_by": _("Report filed by"),
        "field.report_filed_at": _("Report filed on"),
        "measure.date": _("Date"),
        "measure.type": _("Measure"),
        "measure.text": _("Details"),
        "measure.none": _("No measures were recorded."),
        "measure.voided": _("[VOIDED: entered in error. Reason: {reason}] {text}"),
        "measure.redated": _("(date corrected; first entered as {time})"),
        "card.heading": _("{overseer}, version {version}"),
        "card.amends": _("(amends version {version})"),
        "card.submitted_at": _("Submitted"),
        "card.witnessed": _("Witnessed on site"),
        "card.spoke": _("Spoke with the parties"),
        "card.comments": _("Comments"),
        "card.suggestions": _("Suggestions"),
        "card.answer": _("The judge's answer"),
        "card.answered_by": _("Answered by"),
        "card.answered_at": _("Answered on"),
        "card.no_answer": _("Not answered yet."),
        "cards.none": _("No card has been submitted."),
        "ack.overseer": _("Overseer"),
        "ack.at": _("Acknowledged"),
        "ack.remarks": _("Remarks"),
        "ack.none": _("No overseer has acknowledged the report yet."),
        "yes": _("yes"),
        "no": _("no"),
        "colon": _(": "),
        "unit.days": _("{days} days"),
        "money": _("¥{amount}"),
        "page": _("Page {page} of {pages}"),
        "rating.none": _("Not rated"),
    }
    for key in LABEL_KEYS:
        prefix, _dot, value = key.partition(".")
        if key not in texts and prefix in _TABLES:
            texts[key] = labels.label(_TABLES[prefix], value)
    return texts


def build_pdf(report: ClosureReport, cards: Sequence[EvaluationCard]) -> bytes:
    """The closure report with its cards and answers, as PDF bytes."""
    return closure_report_pdf(
        report,
        cards,
        labels=pdf_labels(),
        tz=current_app.config["MINGJING_TIMEZONE"],
        font_path=current_app.config["MINGJING_PDF_FONT"],
    )
