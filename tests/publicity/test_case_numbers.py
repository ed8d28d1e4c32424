"""Case numbers: both parenthesis styles, one canonical form, clear refusals."""

from __future__ import annotations

import pytest

from publicity.record import case_numbers
from publicity.record.case_numbers import CaseType, MalformedCaseNumber


@pytest.mark.parametrize(
    "written",
    [
        "（2020）鲁1427执123号",
        "(2020)鲁1427执123号",
        " ( 2020 ) 鲁1427 执 0123 号 ",
        "（２０２０）鲁１４２７执１２３号",
        "〔2020〕鲁1427执123号",
    ],
)
def test_every_spelling_gives_the_canonical_form(written: str) -> None:
    assert case_numbers.normalise(written) == "（2020）鲁1427执123号"


def test_parts_are_parsed() -> None:
    number = case_numbers.parse("(2021)鲁14执恢7号")
    assert (number.year, number.court_code, number.case_type, number.serial) == (2021, "鲁14", CaseType.RESUMED, 7)
    assert str(number) == "（2021）鲁14执恢7号"


@pytest.mark.parametrize("code", ["执", "执恢", "执保", "执异", "执复", "执监", "执协", "执他"])
def test_every_enforcement_type(code: str) -> None:
    assert case_numbers.parse(f"（2022）鲁1427{code}5号").case_type.value == code


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2020鲁1427执123号",
        "（2020）鲁1427民123号",
        "（2020）XX1427执123号",
        "（2020）鲁142执123号",
        "（2020）鲁1427执123",
        "（20）鲁1427执123号",
        "（2020）鲁1427执0号",
        "（1980）鲁1427执1号",
        "（2020）鲁1427执abc号",
    ],
)
def test_malformed_numbers_are_refused_with_the_expected_form(bad: str) -> None:
    with pytest.raises(MalformedCaseNumber) as refused:
        case_numbers.parse(bad)
    assert "（2020）鲁1427执123号" in str(refused.value)
