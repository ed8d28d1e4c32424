"""import-cases: row-by-row validation, all or nothing, no duplicates on re-import, CSV and XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from openpyxl import Workbook

from portal.extensions import db
from publicity.core.models import AuditRecord
from publicity.record.imports import COLUMNS
from publicity.record.models import CaseNode, EnforcementCase, Party


def row(**values: str) -> list[str]:
    return [values.get(column, "") for column in COLUMNS]


GOOD = [
    row(
        记录类型="案件",
        案号="(2026)鲁1427执101号",
        执行依据单位="夏津县人民法院",
        执行依据文号="（2025）鲁1427民初1号",
        申请执行标的="13,434.97",
        立案时间="2026-01-03 09:00",
        骨头案="是",
    ),
    row(
        记录类型="当事人",
        案号="（2026）鲁1427执101号",
        诉讼地位="申请执行人",
        当事人类型="自然人",
        姓名或名称="王某军",
        性别="男",
        证件号码="371427198203151232",
        电话="13800000000",
    ),
    row(
        记录类型="当事人",
        案号="（2026）鲁1427执101号",
        诉讼地位="被执行人",
        当事人类型="单位",
        姓名或名称="山东某环保公司",
        证件号码="91371427MA3C4XY01C",
        法定代表人="张某",
    ),
    row(
        记录类型="节点",
        案号="（2026）鲁1427执101号",
        节点类型="启动网络查控",
        节点时间="2026-01-03 10:00",
        公开内容="已启动。",
    ),
    row(
        记录类型="节点",
        案号="（2026）鲁1427执101号",
        节点类型="网络查控完成",
        节点时间="2026-01-04 10:00",
        公开内容="存款查询完成。",
        查控对象="存款",
    ),
    row(
        记录类型="案件",
        案号="（2026）鲁1427执102号",
        执行依据单位="德州仲裁委员会",
        执行依据文号="德仲裁字〔2025〕5号",
        申请执行标的="5000",
        立案时间="2026/02/01 08:30",
    ),
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def counts(app: Flask) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))  # type: ignore[return-value]
            for model in (EnforcementCase, Party, CaseNode, AuditRecord)
        )


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["import-cases", *args, "--court", "鲁1427"])


def test_a_good_file_imports_and_a_second_run_adds_nothing(app: Flask, court, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "cases.csv", GOOD)
    codes = tmp_path / "codes.csv"
    result = run(app, str(path), "--codes-out", str(codes))
    assert result.exit_code == 0, result.output
    assert "imported 2 cases, 2 parties, 2 nodes" in result.output
    cases_, parties, nodes, _ = counts(app)
    assert (cases_, parties, nodes) == (2, 2, 4)  # 2 filing nodes + 2 imported
    with app.app_context():
        case = db.session.scalar(sa.select(EnforcementCase).where(EnforcementCase.number == "（2026）鲁1427执101号"))
        assert case.amount_applied_fen == 1_343_497 and case.hard_case is True
    printed = list(csv.reader(codes.open(encoding="utf-8-sig")))
    assert printed[0] == ["案号", "当事人", "查询码"] and len(printed) == 3 and len(printed[1][2]) == 10
    before = counts(app)
    again = run(app, str(path))
    assert again.exit_code == 0 and "imported 0 cases, 0 parties, 0 nodes; 6 rows were already there" in again.output
    assert counts(app) == before


def test_bad_rows_are_all_reported_and_nothing_is_imported(app: Flask, court, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = GOOD + [
        row(
            记录类型="案件",
            案号="2026鲁1427执9",
            执行依据单位="x",
            执行依据文号="y",
            申请执行标的="1",
            立案时间="2026-01-01",
        ),
        row(
            记录类型="节点",
            案号="（2026）鲁1427执101号",
            节点类型="网络拍卖",
            节点时间="2026-01-05 10:00",
            公开内容="拍卖",
        ),
        row(记录类型="节点", 案号="（2026）鲁1427执101号", 节点类型="飞行", 节点时间="2026-01-05 10:00"),
        row(
            记录类型="案件",
            案号="（2026）鲁1427执103号",
            执行依据单位="x",
            执行依据文号="y",
            申请执行标的="一万",
            立案时间="2026-01-01",
        ),
        row(
            记录类型="当事人",
            案号="（2026）鲁1427执555号",
            诉讼地位="申请执行人",
            当事人类型="自然人",
            姓名或名称="甲",
            证件号码="371427198203151232",
        ),
        row(记录类型="其他", 案号="（2026）鲁1427执101号"),
        row(  # a superscript digit: Python's isdigit() takes it, int() does not
            记录类型="当事人",
            案号="（2026）鲁1427执101号",
            诉讼地位="被执行人",
            当事人类型="自然人",
            姓名或名称="乙",
            证件号码="³71427198203151232",
        ),
    ]
    before = counts(app)
    result = run(app, str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in lines] == [
        "line 8",
        "line 9",
        "line 10",
        "line 11",
        "line 12",
        "line 13",
        "line 14",
    ]
    assert "is not a case number" in lines[0] and "seized" in lines[1] and "节点类型 '飞行'" in lines[2]
    assert "not an amount" in lines[3] and "no 案件 row" in lines[4] and "记录类型" in lines[5]
    assert "is not an 18-character ID number" in lines[6]
    assert "nothing imported: 7 bad rows" in result.output and "Traceback" not in result.output
    assert counts(app) == before


def test_xlsx_files_import_too(app: Flask, court, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for values in GOOD:
        sheet.append(values)
    path = tmp_path / "cases.xlsx"
    workbook.save(path)
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert counts(app)[:3] == (2, 2, 4)


def test_unreadable_files_get_a_clear_error(app: Flask, court, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    no_header = tmp_path / "x.csv"
    no_header.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = run(app, str(no_header))
    assert result.exit_code == 2 and "missing columns" in result.output
    broken = tmp_path / "x.xlsx"
    broken.write_bytes(b"not a workbook")
    result = run(app, str(broken))
    assert result.exit_code == 2 and "cannot read" in result.output and "Traceback" not in result.output
