"""Search keys for names: pinyin (with surnames read as surnames), initials, masked ID numbers."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata
from datetime import date

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's usual one (百家姓 readings).
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "尉": "yu",
    "覃": "qin",
    "种": "chong",
    "召": "shao",
    "缪": "miao",
    "翟": "zhai",
    "员": "yun",
    "宁": "ning",
    "折": "she",
    "秘": "bi",
    "繁": "po",
    "句": "gou",
    "能": "nai",
    "藏": "zang",
    "长": "chang",
    "重": "chong",
    "占": "zhan",
    "沈": "shen",
    "贾": "jia",
    "华": "hua",
    "纪": "ji",
    "任": "ren",
    "阚": "kan",
    "费": "fei",
    "燕": "yan",
    "冼": "xian",
    "万": "wan",
    "哈": "ha",
    "黑": "he",
}
COMPOUND_SURNAMES = {"万俟": ["mo", "qi"], "尉迟": ["yu", "chi"], "单于": ["chan", "yu"], "长孙": ["zhang", "sun"]}
ENTITY_HINTS = ("公司", "合作社", "厂", "中心", "店", "部", "院", "所", "会", "局", "集团", "银行")


def pinyin_syllables(name: str, *, person: bool = True) -> list[str]:
    """The name's syllables in toneless pinyin; a person's surname read as a surname."""
    name = "".join(ch for ch in unicodedata.normalize("NFKC", name) if not ch.isspace())
    if not name:
        return []
    if person:
        for compound, reading in COMPOUND_SURNAMES.items():
            if name.startswith(compound):
                return reading + _syllables(name[len(compound) :])
        if name[0] in SURNAME_READINGS:
            return [SURNAME_READINGS[name[0]], *_syllables(name[1:])]
    return _syllables(name)


def _syllables(text: str) -> list[str]:
    # Character by character, cached: names are not phrases, and a million entries share a few
    # thousand characters (pypinyin's phrase matching is what makes a whole-string call slow).
    return [reading for ch in text if (reading := _reading(ch))]


@functools.lru_cache(maxsize=65536)
def _reading(ch: str) -> str:
    if ch.isascii():
        return ch.lower() if ch.isalnum() else ""
    found = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore", v_to_u=False)
    return found[0].lower() if found and found[0].isalnum() else ""


def pinyin_keys(name: str, *, person: bool = True) -> tuple[str, str]:
    """(full spelling, initials) of a name, e.g. 张三 → ("zhangsan", "zs")."""
    syllables = pinyin_syllables(name, person=person)
    return "".join(syllables)[:200], "".join(s[0] for s in syllables)[:60]


def is_pinyin_query(text: str) -> bool:
    """True for a query made of Latin letters only (a pinyin spelling or initials)."""
    return bool(re.fullmatch(r"[A-Za-z]{1,60}", text.replace(" ", "")))


MASK = "****"


def mask_number(number: str) -> str:
    """Hide characters 11-14 of an 18-character ID number or credit code, as the national site does."""
    number = (number or "").strip().upper()
    if len(number) != 18:
        return MASK if number else ""
    return number[:10] + MASK + number[14:]


def masked_query(text: str) -> str | None:
    """The normalised masked form a visitor typed (``3714271982****1234``), or None."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().upper().replace("＊", "*")
    if re.fullmatch(r"[0-9A-Z]{10}\*{4}[0-9A-Z]{4}", cleaned):
        return cleaned
    return None


# ASCII digits only (re.ASCII): \d would also take other scripts' digits.
PERSON_ID_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)
CREDIT_CODE_SHAPE = re.compile(r"[0-9A-Z]{2}\d{6}[0-9A-Z]{10}", re.ASCII)


def full_number_query(text: str) -> str | None:
    """An 18-character ID number or credit code a visitor typed, normalised, or None.

    Only the real shapes count (a credit code has a 6-digit area code at positions 3-8), so an
    18-letter pinyin spelling is not mistaken for a number.
    """
    cleaned = unicodedata.normalize("NFKC", text or "").strip().upper()
    if PERSON_ID_SHAPE.fullmatch(cleaned) or CREDIT_CODE_SHAPE.fullmatch(cleaned):
        return cleaned
    return None


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_digit(first17: str) -> str:
    """The check character of a resident ID number (GB 11643)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=False)) % 11]


def id_number_valid(number: str) -> bool:
    """18 characters, a real birth date and the right check digit."""
    if not PERSON_ID_SHAPE.fullmatch(number or ""):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return id_check_digit(number[:17]) == number[17]


def credit_check_char(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100)."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=False))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_valid(code: str) -> bool:
    """The shape of a unified social credit code and its check character."""
    if not CREDIT_CODE_SHAPE.fullmatch(code or "") or any(c not in CREDIT_ALPHABET for c in code):
        return False
    return credit_check_char(code[:17]) == code[17]


def number_hash(number: str, *, key: bytes) -> str:
    """The keyed hash public search matches full ID numbers by (the index holds no plain numbers)."""
    return hmac.new(key, b"id:" + number.strip().upper().encode(), hashlib.sha256).hexdigest()
