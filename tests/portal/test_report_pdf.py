"""The closure report PDF: an embedded CJK font, the report's Chinese text extractable, every card version."""

# Needs Debian's fonts-wqy-zenhei (the default font) and poppler-utils (pdftotext).
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from oversight.models import Acknowledgement, CardAnswer, CardStatus, ClosureReport, EvaluationCard, Overseer, Rating
from portal.presentation import report_pdf
from portal.presentation.report_pdf import LABEL_KEYS, closure_report_pdf, english_labels
from publicity.core.models import Officer

CASE_NUMBER = "(2025)浙0102执1234号"
SUMMARY = "本案立案后即开展网络查控，冻结被执行人银行存款并依法划拨，申请执行人的债权已全部实现。"
RESPONSE = "对监督员提出的加快案款发放的建议，本院已于三日内办结发放手续。"
COMMENT_V1 = "执行干警态度文明，现场秩序良好。"
COMMENT_V2 = "补充意见：案款发放稍慢，建议缩短发放周期。"
ANSWER = "感谢监督，已责成执行团队在五个工作日内完成案款发放。"
REMARKS = "已阅，无异议。"


def chinese_labels() -> dict[str, str]:
    """The English labels with the words a Chinese reader sees first."""
    return english_labels() | {
        "title": "结案报告",
        "section.summary": "执行情况概述",
        "section.cards": "评议卡",
        "card.heading": "{overseer} 第{version}版",
        "card.amends": "（修改第{version}版）",
        "colon": "：",
        "money": "{amount} 元",
        "rating.satisfied": "满意",
    }


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 6, day, hour, 0, tzinfo=UTC)


def make_report(*, cards_answered: bool = True) -> tuple[ClosureReport, list[EvaluationCard]]:
    """A filed report on a closed case, one overseer's card amended once, one acknowledgement (no session)."""
    judge = Officer(name="王法官")
    overseer = Overseer(name="李代表")
    facts = {
        "case_number": CASE_NUMBER,
        "court": "杭州市上城区人民法院",
        "judge": "王法官",
        "parties": [{"side": "applicant", "name": "杭州某某贸易有限公司"}, {"side": "respondent", "name": "张三"}],
        "measures": [
            {"type": "search_started", "on": "2025-03-01T02:00:00+00:00", "text": "发起网络查控"},
            {
                "type": "freeze",
                "on": "2025-03-05T06:30:00+00:00",
                "text": "冻结被执行人名下银行存款人民币123,456.78元" * 3,
            },
            {"type": "retired_node_type", "on": "2025-03-06T06:30:00+00:00", "text": "旧节点"},
        ],
        "amount_applied_fen": 1234567,
        "amount_recovered_fen": 1234567,
        "filed_at": "2025-02-28T01:00:00+00:00",
        "ended_at": "2025-05-30T08:00:00+00:00",
        "days": 91,
        "stage": "closed",
        "closure_mode": "fully_performed",
    }
    report = ClosureReport(facts=facts, summary=SUMMARY * 4, response_to_cards=RESPONSE, filed_at=at(2, 2))
    report.filed_by = judge
    ack = Acknowledgement(acknowledged_at=at(3, 1), remarks=REMARKS)
    ack.overseer = overseer
    report.acknowledgements = [ack]

    first = EvaluationCard(
        id=10,
        version=1,
        amends_id=None,
        status=CardStatus.SUBMITTED,
        procedure=Rating.SATISFIED,
        civility=Rating.SATISFIED,
        efficiency=Rating.BASICALLY_SATISFIED,
        integrity=Rating.SATISFIED,
        results=None,
        overall=Rating.SATISFIED,
        witnessed_on_site=True,
        spoke_with_parties=False,
        comments=COMMENT_V1,
        suggestions="",
        submitted_at=at(1, 1),
    )
    second = EvaluationCard(
        id=11,
        version=2,
        amends_id=10,
        status=CardStatus.SUBMITTED,
        procedure=Rating.SATISFIED,
        civility=Rating.SATISFIED,
        efficiency=Rating.UNSATISFIED,
        integrity=Rating.SATISFIED,
        results=Rating.SATISFIED,
        overall=Rating.BASICALLY_SATISFIED,
        witnessed_on_site=True,
        spoke_with_parties=True,
        comments=COMMENT_V2,
        suggestions="缩短案款发放周期。",
        submitted_at=at(1, 9),
    )
    draft = EvaluationCard(
        id=12, version=3, amends_id=11, status=CardStatus.DRAFT, comments="尚未提交的草稿内容", submitted_at=None
    )
    for card in (first, second, draft):
        card.overseer = overseer
    if cards_answered:
        answer = CardAnswer(text=ANSWER, answered_at=at(2, 0))
        answer.answered_by = judge
        second.answer = answer
    return report, [first, second, draft]


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as poppler reads it, whitespace removed (wrapping must not split a search)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))


@pytest.fixture(scope="module")
def pdf() -> bytes:
    report, cards = make_report()
    return closure_report_pdf(report, cards, labels=chinese_labels())


def test_output_is_a_pdf(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_chinese_font_is_embedded(pdf: bytes) -> None:
    assert b"/FontFile2" in pdf
    assert re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYiZenHei", pdf)  # a subset of the face, by name


def test_report_text_is_extractable(pdf: bytes, tmp_path: Path) -> None:
    text = pdf_text(pdf, tmp_path)
    for needle in (
        "结案报告",
        CASE_NUMBER,
        "杭州市上城区人民法院",
        SUMMARY,
        RESPONSE,
        "李代表",
        COMMENT_V1,
        ANSWER,
        REMARKS,
        "王法官",
        "杭州某某贸易有限公司",
    ):
        assert needle in text, needle


def test_amended_card_shows_both_versions_and_drafts_stay_out(pdf: bytes, tmp_path: Path) -> None:
    text = pdf_text(pdf, tmp_path)
    assert "李代表第1版" in text
    assert "李代表第2版（修改第1版）" in text
    assert COMMENT_V1 in text and COMMENT_V2 in text
    assert "尚未提交的草稿内容" not in text


def test_money_times_and_enum_words(pdf: bytes, tmp_path: Path) -> None:
    text = pdf_text(pdf, tmp_path)
    assert "12,345.67元" in text
    assert "2025-03-0110:00" in text  # 02:00 UTC is 10:00 in Shanghai
    assert "2025-06-0210:00" in text  # the report's filing time
    assert "Onlineassetsearchstarted" not in text and "Searchstarted" in text
    assert "retired_node_type" in text  # an old code renders as is rather than failing the report
    assert "满意" in text and "Basicallysatisfied" in text and "Notrated" in text
    assert "Fullyperformed" in text and "91days" in text


def test_unanswered_card_says_so(tmp_path: Path) -> None:
    report, cards = make_report(cards_answered=False)
    text = pdf_text(closure_report_pdf(report, cards, labels=english_labels()), tmp_path)
    assert "Notansweredyet." in text
    assert ANSWER not in text


def test_english_labels_cover_every_key() -> None:
    assert len(LABEL_KEYS) == len(set(LABEL_KEYS))
    assert set(english_labels()) == set(LABEL_KEYS)


def test_missing_label_is_refused() -> None:
    report, cards = make_report()
    labels = english_labels()
    del labels["rating.unsatisfied"]
    with pytest.raises(ValueError, match="rating.unsatisfied"):
        closure_report_pdf(report, cards, labels=labels)


def test_wrap_breaks_chinese_between_characters_and_keeps_words_whole() -> None:
    doc = report_pdf._ReportDocument(english_labels(), ZoneInfo("Asia/Shanghai"), footer_note="")
    doc.add_font("cjk", "", report_pdf.DEFAULT_FONT, collection_font_number=0)
    doc.set_font("cjk", size=report_pdf.BODY_PT)
    text = SUMMARY * 3 + " Hangzhou Trading Co., Ltd. 12345678901234567890 " + SUMMARY
    lines = doc.wrap(text, 60).split("\n")
    assert len(lines) > 5
    assert all(doc.get_string_width(line) <= 60 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("，", "。", ",", ".")) for line in lines)
    assert any("12345678901234567890" in line for line in lines)  # a number is never cut when it fits
    assert any("Trading" in line for line in lines)
