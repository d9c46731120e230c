"""The benchmark data's pieces: the fast import-file writer is openpyxl's write-only output byte
for byte; a shared cache is built once; the time budget of a run is reported case by case."""
import io
import threading
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from benchmarks import data as bench_data
from benchmarks.report import budget_lines, budget_rows
from benchmarks.xlsx_fast import write_sheet, write_sheets

ROWS = [
    ["学生名单"],
    ["姓名", "身份证号", "学费"],
    ["张三", "42282219900101001X", "1200.00", None, "是", "否"],
    [],
    ["李四&<>\"'", None, "", " 前空格", "后空格 ", "  ", "\r\n换行", "a\tb"],
    [True, False, 3, 2.5, 10 ** 17, 0.1 + 0.2, -7],
    [None, None, "x"],
]


def _members(source):
    with zipfile.ZipFile(source) as zf:
        return [(n, zf.read(n)) for n in zf.namelist()]


def _openpyxl_members(sheets):
    """What openpyxl's write-only mode writes for these sheets."""
    wb = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    slow = io.BytesIO()
    wb.save(slow)
    return _members(slow)


def _differing_members(ours, theirs):
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    return [n for (n, a), (_, b) in zip(ours, theirs, strict=True) if a != b]


def test_fast_writer_is_openpyxl_write_only_byte_for_byte(tmp_path):
    fast = write_sheet(tmp_path / "fast.xlsx", "名单", ROWS)
    ours = _members(fast)
    assert _differing_members(ours, _openpyxl_members({"名单": ROWS})) in ([], ["docProps/core.xml"])  # its time
    sheet = dict(ours)["xl/worksheets/sheet1.xml"].decode()
    assert '<t xml:space="preserve"> 前空格</t>' in sheet and "李四&amp;&lt;&gt;" in sheet
    values = CalamineWorkbook.from_path(str(fast)).get_sheet_by_index(0).to_python()
    assert values[2][:3] == ["张三", "42282219900101001X", "1200.00"]


def test_fast_writer_writes_sheets_and_formulas_as_openpyxl_does(tmp_path):
    sheets = {"学生": [["身份证号", "姓名", "名单中的姓名"], ["1", "甲", "=VLOOKUP(A2,名单!$A$2:$B$3,2,FALSE)"],
                     ["=", "a<b", '=IF(A3="x&y",1,0)']],
              "名单": [["证件号码", "姓名"], ["1", "甲"], [2.5, None]]}
    ours = _members(write_sheets(tmp_path / "fast.xlsx", sheets))
    assert _differing_members(ours, _openpyxl_members(sheets)) in ([], ["docProps/core.xml"])
    assert "<f>VLOOKUP(A2,名单!$A$2:$B$3,2,FALSE)</f><v /></c>" in dict(ours)["xl/worksheets/sheet1.xml"].decode()


@pytest.mark.parametrize("bad", ["bell\x07", object()])
def test_fast_writer_refuses_what_it_would_write_differently(tmp_path, bad):
    with pytest.raises((ValueError, TypeError)):
        write_sheet(tmp_path / "bad.xlsx", "名单", [["ok", bad]])


def test_write_list_is_read_by_the_program(tmp_path):
    from core.importers.reader import read_table
    from core.records import ROSTER_COLUMNS
    rows = [{"county": "建始县", "name": "王五", "id_number": "42282219900101001X", "relation": "户主"}]
    path = bench_data.write_list(tmp_path / "roster.xlsx", ROSTER_COLUMNS, rows, "建档立卡人员名单")
    table = read_table(path)                        # the program's reader (its limits first, then calamine)
    assert table.rows[0][0] == "建档立卡人员名单"
    assert table.rows[1] == [c.header for c in ROSTER_COLUMNS]
    by_field = dict(zip([c.field for c in ROSTER_COLUMNS], table.rows[2], strict=True))
    assert by_field["county"] == "建始县" and by_field["id_number"] == "42282219900101001X"


def test_a_shared_cache_is_built_once(tmp_path, monkeypatch):
    import subprocess
    calls = []

    def fake_build(argv, **kw):
        calls.append(argv)
        if "--refresh-check" in argv:
            return
        time.sleep(0.3)                                  # the second caller arrives meanwhile
        folder = bench_data.data_folder(bench_data.SIZES["toy"], tmp_path)
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(subprocess, "run", fake_build)
    got: list[Path] = []
    threads = [threading.Thread(target=lambda: got.append(bench_data.ensure_data(bench_data.SIZES["toy"], tmp_path)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    builds = [argv for argv in calls if "--refresh-check" not in argv]
    assert len(builds) == 1 and len(got) == 2 and got[0] == got[1]
    assert len(calls) == 2          # the second found it built: its stored check made current (refresh_check)


def test_data_of_another_day_gets_today_s_check(tmp_path):
    """A check holds for its day: reused data built yesterday made the notice's case run the whole check
    inside ours (1.9 instead of 1.2 after midnight, session 15). The harness checks it again first."""
    from datetime import date, timedelta

    from db import findings
    from db.check_state import current_check
    from db.session import open_database
    from db.workflows import fill_demo
    db = open_database(tmp_path / "county.sqlite")
    try:
        fill_demo(db, n_students=30)
        with db.session() as s:
            findings.run_and_store(s, today=date.today() - timedelta(days=1))
        with db.session() as s:
            assert current_check(s) is None
    finally:
        db.close()
    assert bench_data.refresh_check(tmp_path) is False         # checked again, for today
    assert bench_data.refresh_check(tmp_path) is True          # then current: nothing to do


def test_budget_lists_where_the_time_went():
    results = {"meta": {"total_s": 100.0, "repeat": 3, "whole_repeat": 1, "data_cached": False,
                        "data_build_s": 40.0, "data_build_cpu_s": 70.0,
                        "gui_budget": {"wall_s": 20.0, "cpu_s": 15.0}},
               "cases": {"export": {"wall_s": 30.0, "cpu_s": 25.0}, "verify": {"wall_s": 2.0, "cpu_s": 1.5}}}
    assert [r[0] for r in budget_rows(results)] == ["data build", "export", "GUI probe (all gui_* cases)", "verify"]
    text = "\n".join(budget_lines(results, markdown=True))
    assert "| export | 30 s | 25 s | 30% |" in text and "3 run(s) of each side, 1 of a whole command" in text
    cached = {**results, "meta": {**results["meta"], "data_cached": True}}
    assert "data build" not in [r[0] for r in budget_rows(cached)]


def test_a_baseline_input_is_read_once_per_case(tmp_path):
    from benchmarks.cases import Ctx
    calls = []

    def read(path):
        calls.append(path)
        return {"sheet": [["张三", 1.5, None]]}

    shared = tmp_path / "shared"
    shared.mkdir()
    first, second = Ctx(tmp_path, tmp_path / "1", shared), Ctx(tmp_path, tmp_path / "2", shared)
    assert first.prep_once("notice", read, "notice.xlsx") == {"sheet": [["张三", 1.5, None]]}
    assert second.prep_once("notice", read, "notice.xlsx") == {"sheet": [["张三", 1.5, None]]}
    assert calls == ["notice.xlsx"]                         # the second run loads what the first read
    assert first.prep_s > 0 and second.prep_s > 0          # both outside the clock (a whole run subtracts it)


def test_a_copied_empty_database_is_what_open_database_makes(tmp_path, monkeypatch):
    """The schools' databases are copies of one migrated empty database: the same page size, journal and
    schema revision as a new one, nothing of the copy's making left beside it, and never over a file."""
    import sqlite3

    from db.session import open_database
    monkeypatch.setattr(bench_data, "_EMPTY", [])
    made = tmp_path / "made" / "new.sqlite"
    open_database(made).close()
    copied = tmp_path / "copied" / "school.sqlite"         # its folder made too
    bench_data._empty_database(copied)

    def shape(path):
        # Each statement's lines as a set: alembic's batch mode rebuilds a table ("finding") with its foreign
        # keys in a set's order, which moves from one migration to the next in one process; the columns'
        # order is compared through table_info.
        c = sqlite3.connect(path)
        try:
            master = c.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
            return (c.execute("PRAGMA page_size").fetchone(), c.execute("PRAGMA journal_mode").fetchone(),
                    c.execute("SELECT version_num FROM alembic_version").fetchall(),
                    [(kind, name, sorted(line.strip().rstrip(",") for line in (sql or "").splitlines()))
                     for kind, name, sql in master],
                    [c.execute(f"PRAGMA table_info('{name}')").fetchall() for kind, name, _sql in master
                     if kind == "table"])
        finally:
            c.close()
    assert shape(copied) == shape(made)
    assert sorted(p.name for p in copied.parent.iterdir()) == ["school.sqlite"]
    with pytest.raises(FileExistsError):
        bench_data._empty_database(copied)
    db = open_database(copied)          # at the head: opened without a migration
    db.close()


def test_the_budget_header_names_whole_commands_only_when_they_ran_otherwise():
    meta = {"total_s": 10.0, "repeat": 3, "whole_repeat": 3, "data_cached": True, "gui_budget": {}}
    head = budget_lines({"meta": meta, "cases": {}})[0]
    assert head.endswith("3 run(s) of each side)")
    old = {**meta, "whole_budget": 10.0}                    # results.json of sessions 13–24
    assert budget_lines({"meta": old, "cases": {}})[0].endswith(
        "up to 3 of a whole command (while its case has taken under 10 s))")
