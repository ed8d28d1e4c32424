"""Reading an import file (CSV or XLSX) as hostile input: every problem is a line number and a reason, never a crash.

A problem with the file as a whole (not UTF-8, empty, a header missing a column or naming one twice, a damaged or
oversized workbook) raises ``FileRefused`` before any row is read. A problem with one row (a cell too many or too
few, a control character, bytes that are not UTF-8, a cell longer than its column allows) is yielded in the row's
place as a ``BadLine``, so that the importer reports every bad row and imports nothing.

XLSX files are zip archives of XML: a small file can unpack to gigabytes (a "zip bomb"; openpyxl keeps every shared
string in memory, even in read-only mode). The archive's table of contents is checked with ``zipfile`` before
openpyxl opens it: the sizes it declares bound what ``zipfile`` will unpack (it stops at the declared size and
fails the CRC check beyond), so refusing large declared sizes and extreme compression ratios bounds the memory.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

MB = 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 50 * MB  # everything in the workbook, unpacked; larger lists are imported as CSV
MAX_XLSX_RATIO = 100  # unpacked:packed of one member; real sheets compress 5-20:1
RATIO_CHECKED_FROM = 1 * MB  # a small member may compress well without unpacking to much
MAX_XLSX_MEMBERS = 1000
MAX_COLUMNS = 100
MAX_CELL = 4000  # characters in a cell of a column without its own limit
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

# C0 and C1 controls except tab, line feed and carriage return; surrogates (bytes that were not UTF-8, or a lone
# surrogate); the two non-characters; the invisible direction overrides that can make a name read backwards.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class FileRefused(ValueError):
    """The file cannot be imported at all (nothing is read from it)."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {reason}" if line is not None else reason)
        self.line, self.reason = line, reason


@dataclass(frozen=True)
class BadLine:
    """A row that cannot be read: it stands in the row's place so that the importer reports it by line."""

    reason: str


Row = Mapping[str, str] | BadLine


@dataclass
class Table:
    """The rows of an import file, read lazily: (line, row or BadLine), the header being line 1."""

    rows: Iterator[tuple[int, Row]]
    total: int  # how many data rows there are, roughly (for a progress bar)


def read_table(path: Path, columns: Sequence[str], *, limits: Mapping[str, int] | None = None) -> Table:
    """Open an import file whose header must name every one of ``columns``; raise ``FileRefused`` if it cannot be."""
    limits = limits or {}
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _read_xlsx(path, columns, limits)
    return _read_csv(path, columns, limits)


def _describe(character: str) -> str:
    code = ord(character)
    if 0xD800 <= code <= 0xDFFF:
        return "bytes that are not UTF-8 text"
    return f"the invisible character U+{code:04X}"


def check_cells(header: Sequence[str], cells: Sequence[str], limits: Mapping[str, int]) -> str | None:
    """Why these cells cannot be imported, or None."""
    if _BAD_CHARACTER.search("".join(cells)):
        for name, value in zip(header, cells, strict=False):
            found = _BAD_CHARACTER.search(value)
            if found:
                return f"column {name or '(unnamed)'} holds {_describe(found.group())}"
    for name, value in zip(header, cells, strict=False):
        limit = limits.get(name, MAX_CELL)
        if len(value) > limit:
            return f"column {name or '(unnamed)'} has {len(value)} characters, at most {limit}"
    return None


def check_header(cells: Sequence[str], columns: Sequence[str]) -> list[str]:
    """The header's column names (trailing empty cells dropped); ``FileRefused`` unless it names every column once."""
    header = [c.strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileRefused("the first row is empty: it must be the header naming the columns", line=1)
    bad = check_cells(header, header, {})
    if bad:
        raise FileRefused(f"the header {bad.replace('column ', 'column name ', 1)}", line=1)
    if len(header) > MAX_COLUMNS:
        raise FileRefused(f"the header has {len(header)} columns, at most {MAX_COLUMNS}", line=1)
    twice = [name for name, count in Counter(header).items() if name and count > 1]
    if twice:
        raise FileRefused("the header names these columns more than once: " + ", ".join(twice), line=1)
    missing = [c for c in columns if c not in header]
    if missing:
        unknown = [name for name in header if name and name not in columns]
        reason = "missing columns: " + ", ".join(missing)
        if unknown:
            reason += "; columns not expected (misspelt?): " + ", ".join(unknown)
        raise FileRefused(reason, line=1)
    return header


def make_row(
    header: Sequence[str], values: Sequence[str], limits: Mapping[str, int], *, padded: bool = False
) -> Row | None:
    """The row by column name, a ``BadLine``, or None for an empty row (skipped)."""
    if not any(v.strip() for v in values):
        return None
    width = len(header)
    if len(values) < width and not padded:
        return BadLine(f"has {len(values)} cells, the header has {width} (a cell or a separator is missing)")
    if any(v.strip() for v in values[width:]):
        return BadLine(f"has {len(values)} cells, the header has {width} (a separator too many, or a stray cell)")
    cells = [*values[:width], *([""] * (width - len(values)))]
    bad = check_cells(header, cells, limits)
    if bad:
        return BadLine(bad)
    return {name: value.strip() for name, value in zip(header, cells, strict=True) if name}


# --- CSV --------------------------------------------------------------------------------------------------------


def _refuse_other_formats(head: bytes) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused("the file is UTF-16 text (Excel's 'Unicode text'): save it as 'CSV UTF-8'", line=1)
    if head.startswith(b"PK\x03\x04"):
        raise FileRefused("the file is a zip archive, not CSV text: an XLSX workbook must be named .xlsx", line=1)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("the file is an old .xls workbook: save it as .xlsx or 'CSV UTF-8'", line=1)


def _not_utf8(first_line: bytes) -> FileRefused:
    try:
        first_line.decode("gb18030")
    except UnicodeDecodeError:
        return FileRefused("the header is not UTF-8 text: save the file as 'CSV UTF-8'", line=1)
    return FileRefused(
        "the file is not UTF-8 text (it reads as GBK/GB18030, what Excel saves as 'CSV' on Chinese Windows): "
        "save it as 'CSV UTF-8'",
        line=1,
    )


def _read_csv(path: Path, columns: Sequence[str], limits: Mapping[str, int]) -> Table:
    try:
        with path.open("rb") as raw:
            head = raw.read(4)
            raw.seek(0)
            first_line = raw.readline(1 * MB)
            raw.seek(0)
            total = max(0, sum(1 for _ in raw) - 1)
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    if not head:
        raise FileRefused("the file is empty: it needs a header row naming the columns", line=1)
    _refuse_other_formats(head)
    # Bytes that are not UTF-8 become lone surrogates (surrogateescape), reported with the row they are in.
    handle = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(handle)
    try:
        header_cells = next(reader, [])
    except csv.Error as exc:
        handle.close()
        raise FileRefused(f"cannot be read as CSV: {exc}", line=1) from None
    if _SURROGATE.search("".join(header_cells)):
        handle.close()
        raise _not_utf8(first_line)
    try:
        header = check_header(header_cells, columns)
    except FileRefused:
        handle.close()
        raise
    return Table(_csv_rows(handle, reader, header, limits), total)


def _csv_rows(
    handle: Iterator[str], reader: Iterator[list[str]], header: list[str], limits: Mapping[str, int]
) -> Iterator[tuple[int, Row]]:
    line = 1
    try:
        while True:
            line += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a cell beyond the csv module's field size limit
                yield line, BadLine(f"cannot be read as CSV, nothing after it is read: {exc}")
                return
            row = make_row(header, values, limits)
            if row is not None:
                yield line, row
    finally:
        close: Callable[[], object] | None = getattr(handle, "close", None)
        if close is not None:
            close()


# --- XLSX -------------------------------------------------------------------------------------------------------


def check_xlsx(path: Path) -> None:
    """Refuse a workbook whose archive is not a zip, unpacks to more than MAX_XLSX_UNCOMPRESSED, or has a member
    compressed beyond MAX_XLSX_RATIO:1; nothing is unpacked to find out."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise FileRefused("not an XLSX workbook (not a valid zip archive)") from None
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    if len(members) > MAX_XLSX_MEMBERS:
        raise FileRefused(f"the workbook holds {len(members)} parts, at most {MAX_XLSX_MEMBERS}")
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise FileRefused(
            f"the workbook unpacks to {total / MB:,.0f} MB, more than the {MAX_XLSX_UNCOMPRESSED // MB} MB allowed "
            "(nothing was unpacked): split it, or import it as 'CSV UTF-8'"
        )
    for member in members:
        if member.file_size > RATIO_CHECKED_FROM and member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1):
            ratio = member.file_size // max(member.compress_size, 1)
            raise FileRefused(
                f"the workbook's part {member.filename} is compressed {ratio:,}:1, more than {MAX_XLSX_RATIO}:1 "
                "(a zip bomb?; nothing was unpacked)"
            )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _read_xlsx(path: Path, columns: Sequence[str], limits: Mapping[str, int]) -> Table:
    check_xlsx(path)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise FileRefused("the workbook has no worksheet to read")
        total = max(0, (getattr(sheet, "max_row", None) or 1) - 1)
        # The dimension a workbook declares may be wrong: read the rows that are there, to the header's width.
        sheet.reset_dimensions()
        header_cells = [_cell(v) for v in next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())]
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl, zipfile and the XML parser each raise their own errors
        raise FileRefused(f"not a readable XLSX workbook: {type(exc).__name__}: {exc}") from None
    try:
        header = check_header(header_cells, columns)
    except FileRefused:
        book.close()
        raise
    return Table(_xlsx_rows(book, sheet, header, limits), total)


def _xlsx_rows(book: object, sheet: object, header: list[str], limits: Mapping[str, int]) -> Iterator[tuple[int, Row]]:
    # One column past the header: content there is a stray cell (a spreadsheet row has no length of its own).
    rows = sheet.iter_rows(min_row=2, max_col=len(header) + 1, values_only=True)  # type: ignore[attr-defined]
    line = 1
    try:
        while True:
            line += 1
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - a damaged sheet: the XML parser's or openpyxl's error
                yield line, BadLine(f"the sheet cannot be read from here on: {type(exc).__name__}: {exc}")
                return
            row = make_row(header, [_cell(v) for v in values], limits, padded=True)
            if row is not None:
                yield line, row
    finally:
        book.close()  # type: ignore[attr-defined]
