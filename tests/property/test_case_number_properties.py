"""Property tests of the case-number parser (案号): round trips, spellings, refusals, one canonical form."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from publicity.record import case_numbers
from publicity.record.case_numbers import PROVINCES, CaseNumber, CaseType, MalformedCaseNumber

SETTINGS = settings(max_examples=200, deadline=None)

# The one canonical shape: full-width parentheses, ASCII digits, no leading zero in the serial.
CANONICAL = re.compile(
    rf"（(?:199\d|20\d\d|2100)）[{PROVINCES}][0-9]{{2}}(?:[0-9]{{2}})?(?:执恢|执保|执异|执复|执监|执协|执他|执)[1-9][0-9]{{0,6}}号"
)

FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
# Opening and closing brackets the parser accepts (documented: half- and full-width; 〔〕 as in court documents).
BRACKETS = [("(", ")"), ("（", "）"), ("〔", "〕"), ("[", "]"), ("［", "］")]
# Whitespace a visitor may type or paste: ASCII, tab, newline, no-break and ideographic spaces.
SPACES = st.text(alphabet=" \t\n\r\u00a0\u3000\u2002", max_size=3)

case_number_parts = st.builds(
    CaseNumber,
    year=st.integers(1990, 2100),
    court_code=st.builds(
        lambda p, d: p + d,
        st.sampled_from(PROVINCES),
        st.one_of(st.from_regex(r"\A[0-9]{2}\Z"), st.from_regex(r"\A[0-9]{4}\Z")),
    ),
    case_type=st.sampled_from(list(CaseType)),
    serial=st.integers(1, 9_999_999),
)


@st.composite
def spellings(draw: st.DrawFn, number: CaseNumber) -> str:
    """One way a person might write ``number``: any bracket style, full-width digits, leading zeros, spaces."""
    opening, closing = draw(st.sampled_from(BRACKETS))
    serial = str(number.serial)
    serial = "0" * draw(st.integers(0, 7 - len(serial))) + serial
    pieces = [opening, str(number.year), closing, number.court_code, number.case_type.value, serial, "号"]
    if draw(st.booleans()):
        pieces = [p.translate(FULL_WIDTH_DIGITS) for p in pieces]
    # Whitespace before, between and after the pieces (and inside the digit runs).
    text = draw(SPACES)
    for piece in pieces:
        for ch in piece:
            text += ch + draw(st.sampled_from(["", "", "", " ", "\u3000"]))
        text += draw(SPACES)
    return text


@SETTINGS
@given(case_number_parts)
def test_formatting_then_parsing_gives_the_same_parts(number: CaseNumber) -> None:
    text = str(number)
    assert CANONICAL.fullmatch(text)
    assert case_numbers.parse(text) == number
    assert case_numbers.normalise(text) == text


@SETTINGS
@given(st.data(), case_number_parts)
def test_every_accepted_spelling_gives_the_canonical_number(data: st.DataObject, number: CaseNumber) -> None:
    written = data.draw(spellings(number))
    assert case_numbers.parse(written) == number
    assert case_numbers.normalise(written) == str(number)


@SETTINGS
@given(st.text(max_size=60))
@example("")
@example("\x00")
@example("（2020）鲁1427执123号\x00")
@example("(9999)鲁1427执1号")
@example("（2020）鲁1427执99999999号")
@example("（2020）鲁1427执٣号")
def test_arbitrary_text_raises_nothing_but_the_modules_error(text: str) -> None:
    try:
        number = case_numbers.parse(text)
    except MalformedCaseNumber as refused:
        assert case_numbers.EXAMPLE in str(refused)  # the refusal tells how to write it
        return
    # Whatever is accepted has sane parts.
    assert 1990 <= number.year <= 2100 and 1 <= number.serial <= 9_999_999
    assert isinstance(number.case_type, CaseType)


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A valid spelling with one character deleted, replaced or inserted: mostly invalid, never a crash."""
    text = draw(spellings(draw(case_number_parts)))
    position = draw(st.integers(0, len(text)))
    change = draw(st.sampled_from(["delete", "replace", "insert"]))
    # Non-ASCII decimal digits are left to test_non_ascii_digits_never_reach_the_canonical_form (a known bug).
    char = draw(st.characters(codec="utf-8").filter(lambda c: c.isascii() or not c.isdecimal()))
    if change == "delete":
        return text[:position] + text[position + 1 :]
    if change == "replace":
        return text[:position] + char + text[position + 1 :]
    return text[:position] + char + text[position:]


@SETTINGS
@given(near_misses())
def test_near_misses_are_refused_cleanly_or_normalised_canonically(text: str) -> None:
    try:
        canonical = case_numbers.normalise(text)
    except MalformedCaseNumber:
        return
    assert CANONICAL.fullmatch(canonical), canonical


@SETTINGS
@given(st.one_of(st.text(max_size=40), case_number_parts.flatmap(spellings), near_misses()))
def test_the_canonical_form_is_stable(text: str) -> None:
    try:
        number = case_numbers.parse(text)
    except MalformedCaseNumber:
        return
    canonical = str(number)
    assert case_numbers.parse(canonical) == number
    assert case_numbers.normalise(canonical) == canonical


@SETTINGS
@given(case_number_parts, case_number_parts)
def test_different_numbers_have_different_canonical_forms(a: CaseNumber, b: CaseNumber) -> None:
    assert (str(a) == str(b)) == (a == b)


# Found by these properties (fixed): ``parse`` matches with
# ``\d``, which in Python also matches non-ASCII decimal digits (Arabic-Indic ٠-٩, Devanagari ०-९, ...),
# and NFKC does not fold those. The year and serial go through int() and come out ASCII, but the court
# code is kept as typed: "(2020)鲁١٤٢٧执1号" normalises to "（2020）鲁١٤٢٧执1号", a second "canonical"
# spelling of （2020）鲁1427执1号 (the unique constraint on the number and the lookup both miss it).
# Now: fold to "（2020）鲁1427执1号" or refuse with MalformedCaseNumber.
@pytest.mark.parametrize("written", ["(2020)鲁١٤٢٧执1号", "(2020)鲁१४२७执1号"])
def test_non_ascii_digits_never_reach_the_canonical_form(written: str) -> None:
    try:
        canonical = case_numbers.normalise(written)
    except MalformedCaseNumber:
        return
    assert canonical == "（2020）鲁1427执1号"
