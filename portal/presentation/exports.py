"""Streamed CSV exports of the public lists: bounded memory whatever the list's size."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

FLUSH_EVERY = 500  # rows per chunk sent
# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): a party's name "=HYPERLINK(...)" must
# open as the text it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value`` as a CSV cell no spreadsheet executes: text that starts like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# Characters XML 1.0 does not allow anywhere, even escaped: C0 controls but tab and line breaks, lone surrogates,
# U+FFFE and U+FFFF. A name stored with one (an old import, a hand edit) would make a feed ill-formed for every reader.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def atom_response(body: str) -> Response:
    """An Atom document that is always well-formed XML: characters XML cannot carry are dropped."""
    return Response(_NOT_XML.sub("", body), mimetype="application/atom+xml")


def csv_response(header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> Response:
    """A CSV download (UTF-8) written chunk by chunk as ``rows`` is read."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for count, row in enumerate(rows, start=1):
            writer.writerow([spreadsheet_safe(cell) for cell in row])
            if count % FLUSH_EVERY == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response
