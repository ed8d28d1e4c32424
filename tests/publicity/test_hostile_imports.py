"""import-cases and import-defaulters fed hostile files: every problem is ``line N: reason``, the exit status is not
zero, nothing is imported and there is never a traceback. XLSX zip bombs are refused before anything is unpacked."""

from __future__ import annotations

import codecs
import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from openpyxl import Workbook

from portal.extensions import db
from publicity.core import tabular
from publicity.core.models import AuditRecord, Court
from publicity.lists import defaulter_imports
from publicity.lists.models import DefaulterEntry
from publicity.record import imports
from publicity.record.models import EnforcementCase, Party
from tests.portal.test_import import GOOD

DEFAULTER = {
    "被执行人姓名/名称": "赵某某",
    "性别": "男",
    "身份证号码/组织机构代码": "371427198501011238",
    "法定代表人或负责人姓名": "",
    "执行法院": "夏津县人民法院",
    "省份": "山东省",
    "执行依据文号": "（2025）鲁1427民初1号",
    "立案时间": "2026-01-05",
    "案号": "(2026)鲁1427执301号",
    "做出执行依据单位": "夏津县人民法院",
    "生效法律文书确定的义务": "支付货款10000元",
    "被执行人的履行情况": "全部未履行",
    "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
    "发布时间": "2026-03-02",
    "已履行部分": "0",
    "未履行部分": "10000",
}


def csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue().encode("utf-8", "surrogatepass")


def write(path: Path, header: list[str], rows: list[list[str] | bytes]) -> Path:
    """A CSV file with raw rows: a list of cells, or bytes written as they are."""
    path.write_bytes(
        codecs.BOM_UTF8 + csv_line(header) + b"".join(r if isinstance(r, bytes) else csv_line(r) for r in rows)
    )
    return path


def defaulter(**changes: str) -> list[str]:
    values = {**DEFAULTER, **changes}
    return [values[c] for c in defaulter_imports.COLUMNS]


def counts(app: Flask) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (EnforcementCase, Party, DefaulterEntry, AuditRecord)
        )


def run(app: Flask, command: str, path: Path) -> Result:
    args = [command, str(path)] + (["--court", "鲁1427"] if command == "import-cases" else [])
    return app.test_cli_runner().invoke(args=args)


def bad_lines(result: Result) -> dict[int, str]:
    return {
        int(line.split(":")[0].removeprefix("line ")): line.split(":", 1)[1]
        for line in result.output.splitlines()
        if line.startswith("line ")
    }


def assert_refused(result: Result) -> None:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)


# --- rows -------------------------------------------------------------------------------------------------------


def hostile_rows(good: list[str], width: int) -> list[list[str] | bytes]:
    """Lines 2 and 11 are good; every other line is bad in its own way."""
    text_column = 4  # a column every layout has as free text in the middle of the row
    invalid_utf8 = csv_line(good).replace(good[text_column].encode(), b"\xff\xfe\xfa", 1)
    lone_surrogate = csv_line(good).replace(good[text_column].encode(), b"\xed\xa0\x80", 1)
    return [
        good,  # line 2
        good[: width - 3],  # 3: short
        [*good, "多出来的"],  # 4: long
        [*good[:text_column], "甲\x0b乙", *good[text_column + 1 :]],  # 5: vertical tab
        [*good[:text_column], "\x1f", *good[text_column + 1 :]],  # 6: unit separator
        [*good[:text_column], "a\x00b", *good[text_column + 1 :]],  # 7: NUL
        invalid_utf8,  # 8
        lone_surrogate,  # 9: a surrogate encoded as UTF-8
        [*good[:text_column], "\u202e文书", *good[text_column + 1 :]],  # 10: a direction override
        good,  # 11
        ["仅一格"],  # 12: one cell
    ]


EXPECTED = {
    3: "cells, the header has",
    4: "cells, the header has",
    5: "U+000B",
    6: "U+001F",
    7: "U+0000",
    8: "not UTF-8",
    9: "not UTF-8",
    10: "U+202E",
    12: "cells, the header has",
}


def test_import_cases_reports_every_bad_row_by_line(app: Flask, court: Court, tmp_path: Path) -> None:
    first_case = GOOD[0]
    rows = hostile_rows(first_case, len(imports.COLUMNS))
    rows[9] = GOOD[5]  # line 11: another good case
    before = counts(app)
    result = run(app, "import-cases", write(tmp_path / "cases.csv", imports.COLUMNS, rows))
    assert_refused(result)
    found = bad_lines(result)
    assert sorted(found) == sorted(EXPECTED), result.output
    for line, reason in EXPECTED.items():
        assert reason in found[line], (line, found[line])
    assert f"nothing imported: {len(EXPECTED)} bad rows" in result.output
    assert counts(app) == before


def test_import_defaulters_reports_every_bad_row_by_line(app: Flask, court: Court, tmp_path: Path) -> None:
    good = defaulter()
    rows = hostile_rows(good, len(defaulter_imports.COLUMNS))
    rows[9] = defaulter(**{"案号": "(2026)鲁1427执302号"})
    before = counts(app)
    result = run(app, "import-defaulters", write(tmp_path / "list.csv", defaulter_imports.COLUMNS, rows))
    assert_refused(result)
    found = bad_lines(result)
    assert sorted(found) == sorted(EXPECTED), result.output
    for line, reason in EXPECTED.items():
        assert reason in found[line], (line, found[line])
    assert counts(app) == before


def test_values_the_database_would_refuse_are_bad_rows(app: Flask, court: Court, tmp_path: Path) -> None:
    """Too long for its column, an amount beyond BIGINT or NaN, a year that overflows: refused by line, not by
    PostgreSQL in the middle of the import."""
    case = dict(zip(imports.COLUMNS, GOOD[0], strict=True))
    rows: list[list[str] | bytes] = [
        [{**case, "执行依据单位": "长" * 101}[c] for c in imports.COLUMNS],
        [{**case, "申请执行标的": "1e30"}[c] for c in imports.COLUMNS],
        [{**case, "申请执行标的": "NaN"}[c] for c in imports.COLUMNS],
        [{**case, "立案时间": "0001-01-01 00:00"}[c] for c in imports.COLUMNS],
    ]
    result = run(app, "import-cases", write(tmp_path / "cases.csv", imports.COLUMNS, rows))
    assert_refused(result)
    found = bad_lines(result)
    assert sorted(found) == [2, 3, 4, 5], result.output
    assert "at most 100" in found[2] and "申请执行标的" in found[3] and "申请执行标的" in found[4]
    listed = [
        defaulter(**{"被执行人姓名/名称": "赵" * 101}),
        defaulter(**{"未履行部分": "9" * 30}),
        defaulter(**{"发布时间": "9999-12-31"}),
    ]
    result = run(app, "import-defaulters", write(tmp_path / "list.csv", defaulter_imports.COLUMNS, listed))
    assert_refused(result)
    assert sorted(bad_lines(result)) == [2, 3, 4], result.output
    assert counts(app)[:3] == (0, 0, 0)


def test_only_the_first_fifty_bad_rows_are_listed(app: Flask, court: Court, tmp_path: Path) -> None:
    rows: list[list[str] | bytes] = [["仅一格"] for _ in range(120)]
    result = run(app, "import-defaulters", write(tmp_path / "list.csv", defaulter_imports.COLUMNS, rows))
    assert_refused(result)
    assert len(bad_lines(result)) == 50
    assert "... and 70 more bad rows" in result.output and "nothing imported: 120 bad rows" in result.output


# --- files ------------------------------------------------------------------------------------------------------


def _files(columns: list[str], good: list[str]) -> dict[str, tuple[bytes, str]]:
    header = csv_line(columns)
    misspelt = [("案 号" if c == "案号" else c) for c in columns]
    return {
        "empty": (b"", "the file is empty"),
        "blank header": (b"\r\n" + csv_line(good), "the first row is empty"),
        "missing column": (csv_line(columns[:-1]) + csv_line(good[:-1]), f"missing columns: {columns[-1]}"),
        "misspelt": (csv_line(misspelt) + csv_line(good), "misspelt?): 案 号"),
        "duplicate": (csv_line([*columns, "案号"]) + csv_line([*good, ""]), "more than once: 案号"),
        "gbk": (",".join(columns).encode("gb18030") + b"\r\n" + ",".join(good).encode("gb18030"), "GBK"),
        "utf-16": (codecs.BOM_UTF16_LE + ",".join(columns).encode("utf-16-le"), "UTF-16"),
        "xlsx named csv": (b"PK\x03\x04" + b"\x00" * 40, "zip archive"),
        "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, ".xls"),
        "control in header": (header.replace("案号".encode(), "案\x1f号".encode(), 1), "U+001F"),
        "huge cell": (header + b'"' + b"x" * 200_000 + b'"\r\n', "line 2:"),
    }


@pytest.mark.parametrize("command", ["import-cases", "import-defaulters"])
def test_unreadable_files_are_refused_with_a_line_and_a_reason(
    app: Flask, court: Court, tmp_path: Path, command: str
) -> None:
    columns = imports.COLUMNS if command == "import-cases" else defaulter_imports.COLUMNS
    good = GOOD[0] if command == "import-cases" else defaulter()
    for name, (content, reason) in _files(columns, good).items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(content)
        result = run(app, command, path)
        assert_refused(result)
        assert reason in result.output, (name, result.output)
        assert "line 1:" in result.output or "line 2:" in result.output, (name, result.output)
    assert counts(app)[:3] == (0, 0, 0)


def test_xlsx_rows_are_checked_too(app: Flask, court: Court, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(defaulter_imports.COLUMNS)
    sheet.append(defaulter())
    sheet.append([*defaulter(**{"案号": "(2026)鲁1427执302号"}), "多出来的"])  # line 3: a stray cell
    sheet.append(defaulter(**{"被执行人姓名/名称": "\u202e某某"}))  # line 4
    path = tmp_path / "list.xlsx"
    book.save(path)
    result = run(app, "import-defaulters", path)
    assert_refused(result)
    found = bad_lines(result)
    assert sorted(found) == [3, 4] and "U+202E" in found[4], result.output
    duplicate = Workbook()
    duplicate.active.append([*imports.COLUMNS, "案号"])
    duplicate.save(tmp_path / "twice.xlsx")
    result = run(app, "import-cases", tmp_path / "twice.xlsx")
    assert_refused(result)
    assert "line 1: the header names these columns more than once: 案号" in result.output


def test_a_file_that_is_not_a_zip_is_not_a_workbook(app: Flask, court: Court, tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_text("被执行人姓名/名称\n", encoding="utf-8")
    result = run(app, "import-defaulters", path)
    assert_refused(result)
    assert "not a valid zip archive" in result.output


# --- zip bombs --------------------------------------------------------------------------------------------------

BOMB_MB = 120


SHARED_STRINGS_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def bomb(path: Path, *, megabytes: int = BOMB_MB, columns: list[str] = defaulter_imports.COLUMNS) -> Path:
    """A real workbook whose header cells refer to a shared-strings table of ``megabytes`` of the same text (openpyxl
    reads that table whole when it opens the workbook, even read-only): it packs to a few hundred KB."""
    book = Workbook()
    book.active.append(columns)
    plain = io.BytesIO()
    book.save(plain)
    chunk = "<si><t>失信</t></si>".encode()  # short strings: each costs openpyxl a Python object
    cells = "".join(f'<c r="{chr(ord("A") + i)}1" t="s"><v>{i}</v></c>' for i in range(len(columns))).encode()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + SHARED_STRINGS_TYPE + b'"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdBomb" Type="' + SHARED_STRINGS_REL + b'" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            elif item.filename == "xl/worksheets/sheet1.xml":
                start, end = data.index(b'<row r="1"'), data.index(b"</row>")
                data = data[:start] + b'<row r="1">' + cells + data[end:]
            if item.filename != "xl/sharedStrings.xml":
                target.writestr(item, data)
        with target.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for name in columns:  # the header's strings first: the workbook is a valid one
                strings.write(b"<si><t>" + name.encode() + b"</t></si>")
            written = 0
            while written < megabytes * tabular.MB:
                strings.write(chunk * 256)
                written += len(chunk) * 256
            strings.write(b"</sst>")
    return path


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    app: Flask, court: Court, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 2 * tabular.MB  # what the court's IT staff would receive
    import openpyxl

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    for command in ("import-defaulters", "import-cases"):
        result = run(app, command, path)
        assert result.exit_code == 2, result.output
        assert "unpacks to" in result.output and "more than the 50 MB allowed" in result.output, result.output
        assert "nothing was unpacked" in result.output and "Traceback" not in result.output
    assert counts(app)[:3] == (0, 0, 0)


def test_a_part_compressed_beyond_the_ratio_is_refused(tmp_path: Path) -> None:
    path = bomb(tmp_path / "ratio.xlsx", megabytes=20)  # within the total size limit, not the ratio
    with pytest.raises(tabular.FileRefused, match=r"xl/sharedStrings.xml is compressed [\d,]+:1, more than 100:1"):
        defaulter_imports.read(path)


MEASURE = """
import json, resource, sys
from pathlib import Path
from publicity.lists import defaulter_imports
from publicity.core import tabular
import openpyxl  # loaded before the baseline: only what reading the file costs is measured
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    list(defaulter_imports.read(Path(sys.argv[1])))
    refused = ""
except tabular.FileRefused as exc:
    refused = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "grew_kb": after - before}))
"""


def test_refusing_a_bomb_costs_no_memory(tmp_path: Path) -> None:
    path = bomb(tmp_path / "bomb.xlsx")
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    measured = json.loads(done.stdout)
    assert "unpacks to 120 MB" in measured["refused"]
    assert measured["grew_kb"] < 5 * 1024, measured  # the peak grows by less than 5 MB (openpyxl: hundreds)
