"""Property tests of the pinyin search keys (拼音检索) and of the list search that uses them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from publicity.core import courts
from publicity.core.models import Court
from publicity.lists import defaulters, names
from publicity.lists import search as listsearch
from publicity.lists.models import ListingGround
from publicity.record.models import PartyKind

SETTINGS = settings(max_examples=200, deadline=None)
KEY = b"property-key"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ID_NUMBER = "371427198203151232"  # valid, an adult on NOW

# Surnames, polyphonic surnames (read as surnames), compound ones, and given-name characters
# (some polyphonic: 长, 重, 行, 乐, 的).
SURNAMES = [
    "张",
    "王",
    "李",
    "赵",
    "周",
    "吴",
    "郑",
    "欧阳",
    "上官",
    "司马",
    "诸葛",
    *names.SURNAME_READINGS,
    *names.COMPOUND_SURNAMES,
]
GIVEN = list("三伟芳娜敏静强磊军洋勇艳杰娟涛明超秀霞平刚桂英华长重行乐的了单曾解区查朴宁能藏")
hanzi = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
person_names = st.builds(
    lambda s, g: s + "".join(g),
    st.sampled_from(SURNAMES),
    st.lists(st.one_of(st.sampled_from(GIVEN), hanzi), min_size=1, max_size=2),
)
# Whitespace of every kind Python knows (what pinyin_syllables strips).
WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]
ASCII_KEY = re.compile(r"[a-z0-9]*")


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


@SETTINGS
@given(st.one_of(person_names, st.text(max_size=30)), st.booleans())
def test_keys_are_deterministic_lower_case_ascii(name: str, person: bool) -> None:
    first = names.pinyin_keys(name, person=person)
    names._reading.cache_clear()  # the per-character cache must not change an answer
    assert names.pinyin_keys(name, person=person) == first
    full, initials = first
    assert ASCII_KEY.fullmatch(full) and ASCII_KEY.fullmatch(initials)
    assert len(full) <= 200 and len(initials) <= 60


@SETTINGS
@given(st.one_of(person_names, st.text(max_size=30)), st.booleans())
def test_the_initials_are_the_first_letters_of_the_full_spelling(name: str, person: bool) -> None:
    syllables = names.pinyin_syllables(name, person=person)
    full, initials = names.pinyin_keys(name, person=person)
    assert all(syllables) and full == "".join(syllables)[:200]
    assert initials == "".join(s[0] for s in syllables)[:60]
    assert len(initials) <= len(full)
    assert is_subsequence(initials, full)
    assert full[:1] == initials[:1]
    # Each initial starts a syllable at the position the spelling so far reaches.
    position = 0
    for syllable, initial in zip(syllables, initials, strict=True):
        assert full[position] == initial
        position += len(syllable)


@SETTINGS
@given(person_names, st.integers(2, 4))
def test_a_longer_name_extends_the_keys_of_its_beginning(name: str, cut: int) -> None:
    # From two characters on (compound surnames are two), a name's keys begin with its beginning's keys:
    # the search by the pinyin of a first part of the name is a prefix of the stored key.
    beginning = name[:cut]
    full, initials = names.pinyin_keys(name)
    part_full, part_initials = names.pinyin_keys(beginning)
    assert full.startswith(part_full) and initials.startswith(part_initials)


@SETTINGS
@given(
    st.lists(st.one_of(st.sampled_from(GIVEN), hanzi, st.sampled_from("abcXYZ09")), max_size=6),
    st.lists(st.one_of(st.sampled_from(GIVEN), hanzi), max_size=6),
)
def test_an_organisations_keys_are_the_keys_of_its_parts_joined(a: list[str], b: list[str]) -> None:
    left, right = "".join(a), "".join(b)
    joined = names.pinyin_keys(left + right, person=False)
    first, second = names.pinyin_keys(left, person=False), names.pinyin_keys(right, person=False)
    assert joined == (first[0] + second[0], first[1] + second[1])


@SETTINGS
@given(st.one_of(person_names, st.text(max_size=20)), st.data())
def test_whitespace_anywhere_changes_no_key(name: str, data: st.DataObject) -> None:
    spaced = ""
    for ch in name:
        spaced += data.draw(st.text(alphabet=st.sampled_from(WHITESPACE), max_size=2)) + ch
    spaced += data.draw(st.text(alphabet=st.sampled_from(WHITESPACE), max_size=2))
    for person in (True, False):
        assert names.pinyin_keys(spaced, person=person) == names.pinyin_keys(name, person=person)


@SETTINGS
@given(st.sampled_from(sorted(names.SURNAME_READINGS)), st.lists(st.sampled_from(GIVEN), min_size=1, max_size=2))
def test_a_persons_surname_is_read_as_a_surname(surname: str, given_name: list[str]) -> None:
    syllables = names.pinyin_syllables(surname + "".join(given_name))
    assert syllables[0] == names.SURNAME_READINGS[surname] or any(
        (surname + "".join(given_name)).startswith(c) for c in names.COMPOUND_SURNAMES
    )


@SETTINGS
@given(person_names)
def test_a_names_spelling_and_initials_are_pinyin_queries(name: str) -> None:
    full, initials = names.pinyin_keys(name)
    for query in (full, initials, full.upper(), " ".join(names.pinyin_syllables(name))):
        assert listsearch.search_mode(query) == "pinyin", query


# --- The search, against the database ---------------------------------------------------------------------------


@pytest.fixture
def home(session: Session) -> Court:
    court = courts.add_court(session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW)
    session.commit()
    return court


def found_ids(session: Session, query: str) -> list[int]:
    return [e.id for e in defaulters.search(session, query=query, key=KEY, now=NOW, limit=100).items]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=person_names, spaces=st.text(alphabet=" ", min_size=1, max_size=2))
def test_a_listed_name_is_found_by_its_spelling_and_its_initials(
    session: Session, home: Court, name: str, spaces: str
) -> None:
    # One database for all examples (the health check is about that): each example rolls back its entry.
    try:
        entry = defaulters.list_defaulter(
            session,
            court=home,
            key=KEY,
            actor="t",
            now=NOW,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name=f" {name} ",
                id_number=ID_NUMBER,
                case_number="（2026）鲁1427执1号",
                basis_number="（2025）鲁1427民初1号",
                basis_issuer="夏津县人民法院",
                obligation="给付款项",
                circumstance="违反财产报告制度",
                ground=ListingGround.ASSET_REPORT,
                filed_on=date(2026, 1, 5),
                unperformed_fen=100_000,
            ),
        )
        full, initials = names.pinyin_keys(name)
        assert (entry.name, entry.name_pinyin, entry.name_initials) == (name, full, initials)
        syllables = names.pinyin_syllables(name)
        queries = [
            full,
            initials,
            full.upper(),
            full.capitalize(),
            spaces.join(syllables),
            f"{spaces}{full}{spaces}",
            name,
            name[:1],
            f" {name} ",
        ]
        missing = [q for q in queries if entry.id not in found_ids(session, q)]
        assert missing == []
        # A spelling that is not this name's finds something else or nothing, never this entry.
        assert entry.id not in found_ids(session, full + "q")
    finally:
        session.rollback()
