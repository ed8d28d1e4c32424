"""Case numbers (案号): parse either parenthesis style, store one canonical form.

Format: (year) + court code + case-type code + serial + 号, e.g. （2020）鲁1427执123号.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from publicity.core.errors import N_, PublicityError

# Province-level abbreviations used in court codes; 兵 is the XPCC courts'.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼兵"


class CaseType(enum.StrEnum):
    """Enforcement case-type codes (执行案件类型代字)."""

    FIRST = "执"  # first enforcement
    RESUMED = "执恢"
    PRESERVATION = "执保"
    OBJECTION = "执异"
    REVIEW = "执复"
    SUPERVISION = "执监"
    COORDINATION = "执协"
    OTHER = "执他"


_TYPES = "|".join(sorted((t.value for t in CaseType), key=len, reverse=True))
# re.ASCII: \d is 0-9 only (other scripts' digits, which NFKC leaves as they are, are not a court's).
_PATTERN = re.compile(
    rf"^\((?P<year>\d{{4}})\)(?P<court>[{PROVINCES}]\d{{2}}(?:\d{{2}})?)(?P<type>{_TYPES})(?P<serial>\d{{1,7}})号$",
    re.ASCII,
)
EXAMPLE = "（2020）鲁1427执123号"


class MalformedCaseNumber(PublicityError):
    message = N_(
        "The case number is not valid. Write it like %(example)s: (year), court code, type such as 执 or 执恢, serial number, 号."  # noqa: E501 - one message
    )

    def __init__(self) -> None:
        super().__init__(example=EXAMPLE)


@dataclass(frozen=True)
class CaseNumber:
    """A parsed case number."""

    year: int
    court_code: str
    case_type: CaseType
    serial: int

    def __str__(self) -> str:
        return f"（{self.year}）{self.court_code}{self.case_type.value}{self.serial}号"


def parse(text: str) -> CaseNumber:
    """Parse a case number written with full- or half-width characters and spaces."""
    # NFKC folds full-width parentheses and digits to ASCII; spaces of any width go.
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    folded = folded.replace("〔", "(").replace("〕", ")").replace("[", "(").replace("]", ")")
    match = _PATTERN.match(folded)
    if not match:
        raise MalformedCaseNumber()
    year = int(match["year"])
    serial = int(match["serial"])
    if not 1990 <= year <= 2100 or serial == 0:
        raise MalformedCaseNumber()
    return CaseNumber(year=year, court_code=match["court"], case_type=CaseType(match["type"]), serial=serial)


def normalise(text: str) -> str:
    """The canonical form of a case number (full-width parentheses, no leading zeros)."""
    return str(parse(text))
