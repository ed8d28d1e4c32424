"""Property tests of ID-number masking (脱敏) and of the GB 11643 / GB 32100 check characters."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from publicity.core.models import Court
from publicity.lists import defaulters, names
from publicity.lists import search as listsearch
from publicity.lists.models import ListingGround
from publicity.record.models import PartyKind
from tests.factories import make_app

SETTINGS = settings(max_examples=200, deadline=None)
DIGITS = "0123456789"

birth_dates = st.dates(min_value=date(1930, 1, 1), max_value=date(2007, 12, 31))
areas = st.from_regex(r"\A[1-6][0-9]{5}\Z")
sequences = st.from_regex(r"\A[0-9]{3}\Z")


def with_check_digit(first17: str) -> str:
    return first17 + names.id_check_digit(first17)


valid_ids = st.builds(lambda a, b, s: with_check_digit(a + b.strftime("%Y%m%d") + s), areas, birth_dates, sequences)
# Any 18 characters of the ID alphabet, checksum right or wrong, date real or not.
any_ids = st.text(alphabet=DIGITS + "X", min_size=18, max_size=18)
credit_bodies = st.text(alphabet=names.CREDIT_ALPHABET, min_size=17, max_size=17)


def hidden(number: str) -> str:
    """The four characters the national site hides (positions 11-14, 1-based)."""
    return number[10:14]


# --- Masking ---------------------------------------------------------------------------------------------------------


@SETTINGS
@given(
    st.one_of(valid_ids, any_ids, credit_bodies.map(lambda b: b + names.credit_check_char(b))),
    st.sampled_from(["", " ", "\t", "\u3000", "\n"]),
    st.sampled_from(["", " ", "\n"]),
    st.booleans(),
)
def test_an_18_character_number_shows_only_the_documented_characters(
    number: str, before: str, after: str, lower: bool
) -> None:
    typed = before + (number.lower() if lower else number) + after
    masked = names.mask_number(typed)
    assert len(masked) == 18
    assert masked == number[:10] + "****" + number[14:]
    assert masked[10:14] == "****"
    if hidden(number) != "****":
        assert number not in masked
    # A visitor who types the masked form finds exactly it.
    assert names.masked_query(masked) == masked


@SETTINGS
@given(st.text(max_size=40).filter(lambda t: len(t.strip().upper()) != 18))
@example("37142719820315123")  # an old 17-digit typo
@example("371427820315123")  # a 15-digit first-generation ID number
@example("3714271982031512345")
def test_other_lengths_reveal_nothing(text: str) -> None:
    masked = names.mask_number(text)
    assert masked == ("****" if text.strip() else "")
    if len(text.strip()) > 4:
        assert text.strip() not in masked


@SETTINGS
@given(valid_ids, valid_ids)
def test_masking_forgets_exactly_the_birth_month_and_day(a: str, b: str) -> None:
    same_visible = a[:10] + a[14:] == b[:10] + b[14:]
    assert (names.mask_number(a) == names.mask_number(b)) == same_visible


# --- Check characters ------------------------------------------------------------------------------------------------


@SETTINGS
@given(valid_ids)
def test_numbers_with_the_gb11643_check_digit_are_valid(number: str) -> None:
    assert names.id_number_valid(number)
    assert names.full_number_query(number) == number
    assert names.full_number_query(f" {number.lower()} ") == number


@SETTINGS
@given(valid_ids, st.integers(0, 17), st.sampled_from(DIGITS + "X"))
def test_one_changed_character_is_rejected(number: str, position: int, replacement: str) -> None:
    if replacement == number[position] or (replacement == "X" and position < 17):
        replacement = DIGITS[(DIGITS.index(number[position]) + 1) % 10] if number[position] != "X" else "0"
    changed = number[:position] + replacement + number[position + 1 :]
    assert changed != number
    assert not names.id_number_valid(changed)


@SETTINGS
@given(valid_ids, st.integers(0, 15))
def test_two_swapped_neighbours_are_rejected(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    swapped = number[:position] + b + a + number[position + 2 :]
    assert names.id_number_valid(swapped) == (a == b)


@SETTINGS
@given(st.text(max_size=25))
@example("37142719820315123x")
@example("371427198202301234")  # 30 February
def test_the_validator_answers_a_bool_for_any_text(text: str) -> None:
    valid = names.id_number_valid(text)
    assert isinstance(valid, bool)
    if valid:
        assert len(text) == 18 and text.isascii()
        assert names.id_check_digit(text[:17]) == text[17]


@SETTINGS
@given(credit_bodies, st.integers(0, 17), st.sampled_from(names.CREDIT_ALPHABET))
def test_credit_codes_follow_gb32100(body: str, position: int, replacement: str) -> None:
    code = body + names.credit_check_char(body)
    # Only the shape's digit positions (3-8) must stay digits; other positions take the whole alphabet.
    if not code[2:8].isdigit():
        assert not names.credit_code_valid(code)
        return
    assert names.credit_code_valid(code)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert not names.credit_code_valid(changed)


# Found by these properties (fixed): PERSON_ID_SHAPE is ``\d{17}[\dX]``; in Python ``\d`` matches every Unicode
# decimal digit and int() reads them, so an ID number written in Arabic-Indic digits with the right ASCII check
# digit is "valid": id_number_valid("٣٧١٤٢٧١٩٨٢٠٣١٥١٢٣" + "2") is True. The case and restriction forms then
# accept it, the stored number is not the one a full-number search hashes, and the masked form shows the
# foreign digits. Now: only ASCII digits (and X) are an ID number.
def test_non_ascii_digits_are_not_an_id_number() -> None:
    body = "٣٧١٤٢٧١٩٨٢٠٣١٥١٢٣"  # 371427198203151 23 in Arabic-Indic digits
    assert not names.id_number_valid(body + names.id_check_digit(body))


# --- What the public pages show ------------------------------------------------------------------------------------

SERIALS = itertools.count(1)


@pytest.fixture
def listing_app(database_url: str) -> Iterator[Flask]:
    """An app without rate limits (many requests from one address), with one court."""
    app = make_app(database_url, RATELIMIT_ENABLED=False, MINGJING_SEARCH_CACHE_SECONDS=0)
    with app.app_context():
        from publicity.core import courts

        courts.add_court(
            db.session,
            code="鲁1427",
            name="夏津县人民法院",
            province="山东省",
            actor="t",
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=valid_ids.filter(lambda n: hidden(n) != "****"))
def test_public_pages_never_show_the_full_number(listing_app: Flask, number: str) -> None:
    # One app for all examples (the health check is about that): each example lists its own entry.
    now = datetime.now(UTC) - timedelta(minutes=1)
    with listing_app.app_context():
        court = db.session.query(Court).one()
        entry = defaulters.list_defaulter(
            db.session,
            court=court,
            key=listing_app.config["SECRET_KEY"].encode(),
            actor="t",
            now=now,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name="张三",
                id_number=number,
                case_number=f"（2026）鲁1427执{next(SERIALS)}号",
                basis_number="（2025）鲁1427民初1号",
                basis_issuer="夏津县人民法院",
                obligation="给付款项",
                circumstance="有履行能力而拒不履行",
                ground=ListingGround.ABLE_BUT_REFUSES,
                filed_on=date(2026, 1, 5),
                unperformed_fen=100_000,
            ),
        )
        db.session.commit()
        entry_id, masked = entry.id, entry.id_masked
    assert masked == number[:10] + "****" + number[14:]
    client = listing_app.test_client()
    page = client.get(f"/lists/defaulters/{entry_id}")
    api = client.get("/api/v1/defaulters", query_string={"q": masked})
    exported = client.get("/lists/defaulters.csv")
    assert page.status_code == api.status_code == exported.status_code == 200
    assert masked in page.get_data(as_text=True)
    assert entry_id in [item["id"] for item in api.json["items"]]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert any(masked in row for row in rows)
    for response in (page, api, exported):
        assert number not in response.get_data(as_text=True)
    # Searching by the bare full number answers nothing (the mask would be guessable from it).
    assert listsearch.search_mode(number) == "id_without_name"
    assert client.get("/api/v1/defaulters", query_string={"q": number}).json["items"] == []
