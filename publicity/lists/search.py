"""What the public lists' searches share: how a query is read, and keyset cursors."""

from __future__ import annotations

import base64
import json

from publicity.lists import names
from publicity.record import case_numbers


def encode_cursor(key: str | None, row_id: int) -> str:
    """A keyset cursor: the sort key (None for id order) and the last id shown."""
    return base64.urlsafe_b64encode(json.dumps([key, row_id], ensure_ascii=False).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str | None, int] | None:
    if not cursor or len(cursor) > 400:
        return None
    # Cursors come from visitors: anything but a sane (key, id) pair means "from the start".
    try:
        key, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, RecursionError):
        return None
    # Ids are INTEGER columns: a larger one compared with them is "integer out of range" on PostgreSQL (a 500).
    if (key is None or (isinstance(key, str) and len(key) <= 200)) and type(row_id) is int and 0 < row_id < 2**31:
        return key, row_id
    return None


def split_number(query: str) -> tuple[str | None, str]:
    """A full ID number or credit code in the query, and the rest of it (the name)."""
    tokens = query.split()
    for i, token in enumerate(tokens):
        number = names.full_number_query(token)
        if number:
            return number, " ".join(tokens[:i] + tokens[i + 1 :]).strip()
    return None, query.strip()


def search_mode(query: str) -> str:
    """How a query is matched: browse, id (name + number), id_without_name, masked, case, pinyin or name."""
    q = query.strip()
    if not q:
        return "browse"
    number, name = split_number(q)
    if number:
        # A bare number would answer "is this exact number listed?", and the mask hides only
        # four digits (a birth date): 30-odd guesses would unmask anyone. Like the national
        # site, a full number is searched only together with the name it belongs to.
        return "id" if name else "id_without_name"
    if names.masked_query(q):
        return "masked"
    try:
        case_numbers.parse(q)
        return "case"
    except case_numbers.MalformedCaseNumber:
        pass
    return "pinyin" if names.is_pinyin_query(q) else "name"
