"""The PDF of a closure report (结案报告) with its evaluation cards (评议卡) and the judge's answers.

Why it is long: it is page layout: every block of the report drawn with fpdf2's primitives.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import TableBordersLayout
from fpdf.fonts import FontFace

from oversight.models import DIMENSIONS, Rating
from publicity.record.models import CaseStage, ClosureMode, NodeType, PartySide

# Debian's fonts-wqy-zenhei; face 0 of the collection is "WenQuanYi Zen Hei" (proportional Latin).
DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

LABEL_KEYS: tuple[str, ...] = (
    "title",
    "section.facts",
    "section.measures",
    "section.summary",
    "section.response",
    "section.cards",
    "section.acknowledgements",
    "field.court",
    "field.case_number",
    "field.parties",
    "field.judge",
    "field.case_filed_at",
    "field.case_ended_at",
    "field.days",
    "field.closure_mode",
    "field.amount_applied",
    "field.amount_recovered",
    "field.report_filed_by",
    "field.report_filed_at",
    "measure.date",
    "measure.type",
    "measure.text",
    "measure.none",
    "measure.voided",
    "measure.redated",
    "card.heading",
    "card.amends",
    "card.submitted_at",
    "card.witnessed",
    "card.spoke",
    "card.comments",
    "card.suggestions",
    "card.answer",
    "card.answered_by",
    "card.answered_at",
    "card.no_answer",
    "cards.none",
    "ack.overseer",
    "ack.at",
    "ack.remarks",
    "ack.none",
    "yes",
    "no",
    "colon",
    "unit.days",
    "money",
    "page",
    *(f"dimension.{name}" for name in (*DIMENSIONS, "overall")),
    *(f"rating.{value}" for value in Rating),
    "rating.none",
    *(f"closure.{value}" for value in ClosureMode),
    *(f"stage.{value}" for value in CaseStage),
    *(f"side.{value}" for value in PartySide),
    *(f"node.{value}" for value in NodeType),
)
"""Every key ``closure_report_pdf`` reads from ``labels``, each mapped to an already translated text.

Keys with placeholders (filled with ``str.format``): ``card.heading`` ({overseer}, {version});
``card.amends`` ({version}, the version amended; brackets included, appended to the heading);
``unit.days`` ({days}); ``money`` ({amount}, the yuan figure with two decimals); ``page`` ({page},
{pages}). ``colon`` separates a field name from its value (": " in English, "：" in Chinese). The rest
is plain text: section headings (``section.*``), field names (``field.*``, ``measure.*``, ``card.*``,
``ack.*``), the words shown for empty parts (``measure.none``, ``card.no_answer``, ``cards.none``,
``ack.none``, ``rating.none``), and the names of domain values: ``dimension.<card dimension>``
(procedure ... results, overall), ``rating.<Rating>``, ``closure.<ClosureMode>``, ``stage.<CaseStage>``
(shown when a 终本 report has no closure mode), ``side.<PartySide>``, ``node.<NodeType>``.
"""

PAGE_ALIAS = "{mingjing:pages}"  # fpdf2's default "{nb}" could be typed into a comment and get replaced
MARGIN = 18.0  # mm
BODY_PT = 10.5
LINE = 5.6  # mm, line height of body text
CELL_PAD = 1.6  # mm, horizontal and vertical padding inside table cells
DATE_COLUMN = 37  # mm: "YYYY-MM-DD HH:MM" on one line at BODY_PT
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (31, 78, 121)
RULE = (190, 198, 206)
HEAD_FILL = (233, 238, 244)
ANSWER_FILL = (244, 247, 250)
DASH = "—"


def _drop_bitmap_notice(record: logging.LogRecord) -> bool:
    """Hide fontTools' warning that the collection's bitmap strikes (BDF table) are not subset:
    a PDF draws the outlines, so every report would log a warning about nothing."""
    notice = isinstance(record.msg, str) and record.msg.startswith("%s NOT subset")
    return not (notice and isinstance(record.args, tuple) and str(record.args[0]).strip() == "BDF")


logging.getLogger("fontTools.subset").addFilter(_drop_bitmap_notice)

# Kinsoku (禁则): never start a line with a closing mark, never end one with an opening mark.
NO_LINE_START = set("，。、；：？！）》」』】〕〉’”…·%‰,.;:!?)]}>%")
NO_LINE_END = set("（《「『【〔〈‘“([{<")


def english_labels() -> dict[str, str]:
    """English texts for every key of LABEL_KEYS: the defaults of tests and a sample for translators."""
    labels = {
        "title": "Closure report",
        "section.facts": "Case facts",
        "section.measures": "Measures taken",
        "section.summary": "Summary of the enforcement",
        "section.response": "Response to the evaluation cards",
        "section.cards": "Evaluation cards",
        "section.acknowledgements": "Acknowledgements by the overseers",
        "field.court": "Court",
        "field.case_number": "Case number",
        "field.parties": "Parties",
        "field.judge": "Judge",
        "field.case_filed_at": "Case filed",
        "field.case_ended_at": "Case ended",
        "field.days": "Duration",
        "field.closure_mode": "Closure mode",
        "field.amount_applied": "Amount applied for",
        "field.amount_recovered": "Amount recovered",
        "field.report_filed_by": "Report filed by",
        "field.report_filed_at": "Report filed on",
        "measure.date": "Date",
        "measure.type": "Measure",
        "measure.text": "Details",
        "measure.none": "No measures were recorded.",
        "measure.voided": "[VOIDED: entered in error. Reason: {reason}] {text}",
        "measure.redated": "(date corrected; first entered as {time})",
        "card.heading": "{overseer}, version {version}",
        "card.amends": "(amends version {version})",
        "card.submitted_at": "Submitted",
        "card.witnessed": "Witnessed on site",
        "card.spoke": "Spoke with the parties",
        "card.comments": "Comments",
        "card.suggestions": "Suggestions",
        "card.answer": "Judge's answer",
        "card.answered_by": "Answered by",
        "card.answered_at": "Answered on",
        "card.no_answer": "Not answered yet.",
        "cards.none": "No evaluation card was submitted.",
        "ack.overseer": "Overseer",
        "ack.at": "Acknowledged",
        "ack.remarks": "Remarks",
        "ack.none": "No overseer has acknowledged the report yet.",
        "yes": "Yes",
        "no": "No",
        "colon": ": ",
        "unit.days": "{days} days",
        "money": "CNY {amount}",
        "page": "Page {page} of {pages}",
        "dimension.procedure": "Procedure",
        "dimension.civility": "Civility",
        "dimension.efficiency": "Efficiency",
        "dimension.integrity": "Integrity",
        "dimension.results": "Results",
        "dimension.overall": "Overall",
        "rating.satisfied": "Satisfied",
        "rating.basically_satisfied": "Basically satisfied",
        "rating.unsatisfied": "Unsatisfied",
        "rating.none": "Not rated",
        "closure.fully_performed": "Fully performed",
        "closure.terminated_this_round": "Terminated this round",
        "closure.termination": "Enforcement terminated",
        "closure.withdrawn": "Case withdrawn",
        "closure.not_enforced": "Not enforced",
        "closure.rejected": "Application rejected",
        "side.applicant": "Applicant",
        "side.respondent": "Respondent",
    }
    # Stage and node words are the enum codes made readable; the portal's label tables have the real ones.
    for enum_type, prefix in ((CaseStage, "stage"), (NodeType, "node")):
        for value in enum_type:
            labels.setdefault(f"{prefix}.{value}", value.replace("_", " ").capitalize())
    assert set(labels) == set(LABEL_KEYS)
    return labels


def closure_report_pdf(
    report: Any,
    cards: Iterable[Any],
    *,
    labels: Mapping[str, str],
    tz: str = "Asia/Shanghai",
    font_path: str = DEFAULT_FONT,
) -> bytes:
    """Render the closure report, the submitted cards (in the order given) and their answers as an A4 PDF.

    ``report`` and ``cards`` are read by attribute only (ClosureReport, EvaluationCard or look-alikes);
    cards never submitted are left out: a draft is the overseer's own until submitted. ``font_path`` is a
    TrueType font or collection (face 0) with CJK glyphs; it is embedded, subset to the glyphs used.
    """
    missing = [key for key in LABEL_KEYS if key not in labels]
    if missing:
        raise ValueError(f"labels lack {len(missing)} keys: {', '.join(missing[:10])}")
    facts: Mapping[str, Any] = report.facts or {}
    doc = _ReportDocument(labels, ZoneInfo(tz), footer_note=str(facts.get("case_number", "")))
    doc.add_font("cjk", "", font_path, collection_font_number=0)  # fpdf2 opens a .ttc itself
    doc.set_font("cjk", size=BODY_PT)
    doc.set_title(f"{labels['title']} {facts.get('case_number', '')}".strip())
    doc.set_author(str(facts.get("court", "")))
    doc.set_creator("Mingjing")
    doc.add_page()

    submitted = [card for card in cards if getattr(card, "submitted_at", None) is not None]
    doc.write_title(facts, report)
    doc.write_facts(facts)
    doc.write_measures(facts.get("measures") or [])
    doc.section(labels["section.summary"])
    doc.paragraph(report.summary)
    doc.section(labels["section.response"])
    doc.paragraph(report.response_to_cards)
    doc.write_cards(submitted)
    doc.write_acknowledgements(list(report.acknowledgements or []))
    return bytes(doc.output())


class _ReportDocument(FPDF):
    """The report's page furniture (footer) and the building blocks of its sections."""

    def __init__(self, labels: Mapping[str, str], zone: ZoneInfo, *, footer_note: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.labels = labels
        self.zone = zone
        self.footer_note = footer_note
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.alias_nb_pages(PAGE_ALIAS)
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)

    # Page furniture -------------------------------------------------------------------------

    def footer(self) -> None:
        self.set_y(-MARGIN + 6)
        self.set_font("cjk", size=8)
        self.set_text_color(*MUTED)
        page = self.labels["page"].format(page=self.page_no(), pages=PAGE_ALIAS)
        # The page count is laid out at the alias's width: only left-aligned text keeps its place.
        self.cell(self.epw / 2, 5, page)
        self.cell(self.epw / 2, 5, self.footer_note, align="R")
        self.set_font("cjk", size=BODY_PT)
        self.set_text_color(*INK)

    # Building blocks -------------------------------------------------------------------------

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit: a heading never ends a page alone."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def section(self, title: str) -> None:
        self.keep(28)
        self.ln(4)
        self.set_font("cjk", size=13)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 7.5, self.wrap(title, self.epw), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.4)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.epw, self.get_y())
        self.set_line_width(0.2)
        self.set_draw_color(*RULE)
        self.set_text_color(*INK)
        self.set_font("cjk", size=BODY_PT)
        self.ln(2.5)

    def subheading(self, title: str, *, size: float = 11.5, keep: float = 30) -> None:
        self.keep(keep)
        self.ln(1.5)
        self.set_font("cjk", size=size)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 6.5, self.wrap(title, self.epw), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_font("cjk", size=BODY_PT)
        self.ln(0.5)

    def caption(self, text: str) -> None:
        """A small muted field name above a block of text."""
        self.keep(14)
        self.set_font("cjk", size=9)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 5, self.wrap(text, self.epw), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_font("cjk", size=BODY_PT)

    def paragraph(self, text: str | None, *, fill: tuple[int, int, int] | None = None) -> None:
        text = _clean(text) or DASH
        if fill is not None:
            self.set_fill_color(*fill)
        # multi_cell's text area is its width less the cell margin on both sides.
        self.multi_cell(
            0, LINE, self.wrap(text, self.epw - 2 * self.c_margin), fill=fill is not None, new_x="LMARGIN", new_y="NEXT"
        )
        self.set_fill_color(255)  # tables drawn later would inherit the tint
        self.ln(1.5)

    def grid(
        self, rows: Sequence[Sequence[str]], widths: Sequence[float], *, headings: bool, label_column: bool = False
    ) -> None:
        """A table whose cells wrap; the first row is the headings when ``headings``."""
        inner = [w - 2 * CELL_PAD for w in widths]
        label_style = FontFace(color=MUTED, fill_color=HEAD_FILL)
        with self.table(
            width=sum(widths),
            col_widths=tuple(widths),
            align="LEFT",
            text_align="LEFT",
            first_row_as_headings=headings,
            line_height=LINE,
            padding=(CELL_PAD, CELL_PAD),
            headings_style=FontFace(emphasis="", color=ACCENT, fill_color=HEAD_FILL),
            borders_layout=TableBordersLayout.ALL,
            v_align="TOP",
        ) as table:
            for index, values in enumerate(rows):
                row = table.row()
                for column, value in enumerate(values):
                    style = label_style if label_column and column == 0 and not (headings and index == 0) else None
                    row.cell(self.wrap(_clean(value) or DASH, inner[column]), style=style)
        self.ln(2.5)

    def wrap(self, text: str, width: float) -> str:
        """Break ``text`` into lines no wider than ``width`` mm in the current font.

        fpdf2 only breaks at spaces, so a Chinese paragraph (no spaces) would break anywhere and a mixed
        one would leave ragged gaps. Here a line may break between two CJK characters or at a space,
        never inside a Latin word or a number, never before a closing mark nor after an opening one.
        """
        width -= 0.5  # room for the cell border and rounding: fpdf2 must never find a line too wide and break it again
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for unit in _units(paragraph):
                candidate = line + unit
                if line and self.get_string_width(candidate.rstrip()) > width:
                    lines.append(line.rstrip())
                    line = unit.lstrip()
                else:
                    line = candidate
                while self.get_string_width(line.rstrip()) > width and len(line) > 1:
                    # A unit longer than a line (a long number, a URL): cut it by characters.
                    cut = len(line) - 1
                    while cut > 1 and self.get_string_width(line[:cut]) > width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line.rstrip())
        return "\n".join(lines)

    def when(self, value: datetime | str | None) -> str:
        """A moment in the report's zone, "YYYY-MM-DD HH:MM"; naive values (and ISO texts) are UTC."""
        if value is None or value == "":
            return DASH
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def word(self, prefix: str, value: object) -> str:
        """The label of a domain value; a code no longer in the enum (an old report's facts) shows as is."""
        if value is None or value == "":
            return DASH
        return self.labels.get(f"{prefix}.{value}", str(value))

    def money(self, fen: int | str | None) -> str:
        if fen is None:
            return DASH
        yuan, cents = divmod(abs(int(fen)), 100)  # integers all the way: no float rounding of fen
        sign = "-" if int(fen) < 0 else ""
        return self.labels["money"].format(amount=f"{sign}{yuan:,}.{cents:02d}")

    # Sections --------------------------------------------------------------------------------

    def write_title(self, facts: Mapping[str, Any], report: Any) -> None:
        labels = self.labels
        self.set_font("cjk", size=20)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 11, labels["title"], align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", size=12.5)
        self.set_text_color(*INK)
        heading = "  ".join(part for part in (str(facts.get("court", "")), str(facts.get("case_number", ""))) if part)
        self.multi_cell(0, 7, self.wrap(heading, self.epw), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", size=9)
        self.set_text_color(*MUTED)
        filed_by = getattr(getattr(report, "filed_by", None), "name", "") or DASH
        colon = labels["colon"]
        line = (
            f"{labels['field.report_filed_by']}{colon}{filed_by}    "
            f"{labels['field.report_filed_at']}{colon}{self.when(report.filed_at)}"
        )
        self.multi_cell(0, 5.5, self.wrap(line, self.epw), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_font("cjk", size=BODY_PT)
        self.ln(2)

    def write_facts(self, facts: Mapping[str, Any]) -> None:
        labels = self.labels
        self.section(labels["section.facts"])
        parties = "\n".join(
            f"{self.word('side', p.get('side'))}{labels['colon']}{p.get('name', '')}"
            for p in facts.get("parties") or []
        )
        days = facts.get("days")
        mode = facts.get("closure_mode")
        rows = [
            (labels["field.court"], str(facts.get("court", ""))),
            (labels["field.case_number"], str(facts.get("case_number", ""))),
            (labels["field.parties"], parties),
            (labels["field.judge"], str(facts.get("judge", ""))),
            (labels["field.case_filed_at"], self.when(facts.get("filed_at"))),
            (labels["field.case_ended_at"], self.when(facts.get("ended_at"))),
            (labels["field.days"], labels["unit.days"].format(days=days) if days is not None else DASH),
            # A 终本 case may carry no closure mode: its stage says how it ended.
            (
                labels["field.closure_mode"],
                self.word("closure", mode) if mode else self.word("stage", facts.get("stage")),
            ),
            (labels["field.amount_applied"], self.money(facts.get("amount_applied_fen"))),
            (labels["field.amount_recovered"], self.money(facts.get("amount_recovered_fen"))),
        ]
        self.grid(rows, (42, self.epw - 42), headings=False, label_column=True)

    def write_measures(self, measures: Sequence[Mapping[str, Any]]) -> None:
        labels = self.labels
        self.section(labels["section.measures"])
        if not measures:
            self.paragraph(labels["measure.none"])
            return
        rows = [(labels["measure.date"], labels["measure.type"], labels["measure.text"])]
        rows += [(self.when(m.get("on")), self.word("node", m.get("type")), self.measure_text(m)) for m in measures]
        self.grid(rows, (DATE_COLUMN, 40, self.epw - DATE_COLUMN - 40), headings=True)

    def measure_text(self, measure: Mapping[str, Any]) -> str:
        """A measure's wording, with what corrected it: voided (and why), or the time first entered."""
        text = str(measure.get("text") or "")
        if measure.get("voided") is not None:
            return self.labels["measure.voided"].format(text=text, reason=measure["voided"])
        if measure.get("first_on"):
            return text + " " + self.labels["measure.redated"].format(time=self.when(measure["first_on"]))
        return text

    def write_cards(self, cards: Sequence[Any]) -> None:
        labels = self.labels
        self.section(labels["section.cards"])
        if not cards:
            self.paragraph(labels["cards.none"])
            return
        versions = {getattr(card, "id", None): card.version for card in cards}
        for card in cards:
            overseer = getattr(card.overseer, "name", "") or DASH
            heading = labels["card.heading"].format(overseer=overseer, version=card.version)
            if card.amends_id is not None:
                amended = versions.get(card.amends_id, card.version - 1)  # amendments are numbered on
                heading += " " + labels["card.amends"].format(version=amended)
            self.subheading(heading, keep=60)
            yes, no = labels["yes"], labels["no"]
            self.grid(
                [
                    (labels["card.submitted_at"], self.when(card.submitted_at)),
                    (labels["card.witnessed"], yes if card.witnessed_on_site else no),
                    (labels["card.spoke"], yes if card.spoke_with_parties else no),
                ],
                (42, self.epw - 42),
                headings=False,
                label_column=True,
            )
            ratings = card.ratings()
            names = list(ratings)
            self.grid(
                [
                    [labels[f"dimension.{name}"] for name in names],
                    [self.word("rating", ratings[name]) if ratings[name] else labels["rating.none"] for name in names],
                ],
                [self.epw / len(names)] * len(names),
                headings=True,
            )
            self.caption(labels["card.comments"])
            self.paragraph(card.comments)
            self.caption(labels["card.suggestions"])
            self.paragraph(card.suggestions)
            self.caption(labels["card.answer"])
            answer = getattr(card, "answer", None)
            if answer is None:
                self.paragraph(labels["card.no_answer"])
            else:
                self.paragraph(answer.text, fill=ANSWER_FILL)
                self.set_font("cjk", size=9)
                self.set_text_color(*MUTED)
                by = getattr(answer.answered_by, "name", "") or DASH
                colon = labels["colon"]
                line = (
                    f"{labels['card.answered_by']}{colon}{by}    "
                    f"{labels['card.answered_at']}{colon}{self.when(answer.answered_at)}"
                )
                self.multi_cell(0, 5, self.wrap(line, self.epw), new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(*INK)
                self.set_font("cjk", size=BODY_PT)
            self.ln(3)

    def write_acknowledgements(self, acknowledgements: Sequence[Any]) -> None:
        labels = self.labels
        self.section(labels["section.acknowledgements"])
        if not acknowledgements:
            self.paragraph(labels["ack.none"])
            return
        rows = [(labels["ack.overseer"], labels["ack.at"], labels["ack.remarks"])]
        rows += [
            (getattr(ack.overseer, "name", ""), self.when(ack.acknowledged_at), ack.remarks or "")
            for ack in acknowledgements
        ]
        self.grid(rows, (34, DATE_COLUMN, self.epw - DATE_COLUMN - 34), headings=True)


def _clean(text: object) -> str:
    """User text with uniform line ends and no trailing blanks (a typed "\\r\\n" would print a box)."""
    if text is None:
        return ""
    return str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").strip()


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _units(text: str) -> list[str]:
    """Split text into the pieces a line may not break inside (see ``_ReportDocument.wrap``)."""
    units: list[str] = []
    for char in text:
        previous = units[-1] if units else ""
        joins = previous and (
            char in NO_LINE_START
            or previous[-1] in NO_LINE_END
            or (not char.isspace() and not _is_cjk(char) and not previous[-1].isspace() and not _is_cjk(previous[-1]))
        )
        if joins:
            units[-1] += char
        else:
            units.append(char)
    return units
