"""The payments import (发放记录) follows the rules of the other imports: a dry run
writes nothing, --problems saves the rejected rows, and a file without a usable
row changes nothing and says so (CLI exit 2, the GUI shows the error)."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from cli.commands import run
from core.errors import InputFileError
from core.idnumber import make_id
from db import store
from db.models import AuditEntry, PaymentRecord
from db.workflows import import_payments

HS = make_id("110101", date(2008, 5, 1), 123)
PRE = make_id("110101", date(2019, 3, 1), 124)


@pytest.fixture
def pdb(db):
    with db.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
    return db


def payments_file(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["身份证号", "姓名", "项目", "金额"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def stored(db):
    with db.session() as s:
        return sorted(s.execute(select(PaymentRecord.id_number, PaymentRecord.item_code,
                                       PaymentRecord.amount_fen)).all())


def audit_count(db):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


@pytest.fixture
def first(pdb, tmp_path):
    path = payments_file(tmp_path / "first.xlsx", [[HS, "张丽", "免书本费", 100], [PRE, "李四", "PRESCHOOL", 2000]])
    import_payments(pdb, path)
    return stored(pdb)


def test_dry_run_writes_nothing_and_says_what_would_happen(pdb, first, tmp_path, capsys):
    path = payments_file(tmp_path / "new.xlsx", [[HS, "张丽", "PRESCHOOL", 1]])
    before = audit_count(pdb)
    assert run(["--db", str(pdb.path), "import", "payments", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "预览（未写入）" in out and "将导入发放记录 1 条" in out and "替换现有的 2 条" in out
    assert stored(pdb) == first and audit_count(pdb) == before


def test_problems_file_holds_the_rejected_rows(pdb, first, tmp_path, capsys):
    path = payments_file(tmp_path / "new.xlsx", [[HS, "张丽", "PRESCHOOL", 1], [PRE, "李四", "不存在的项目", 5],
                                                 [PRE, "李四", "PRESCHOOL", "两千"]])
    out_path = tmp_path / "问题行.xlsx"
    assert run(["--db", str(pdb.path), "import", "payments", str(path), "--problems", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert "已导入发放记录 1 条" in out and f"有问题的行已保存到：{out_path}" in out
    rows = list(openpyxl.load_workbook(out_path).active.iter_rows(values_only=True))
    assert rows[0] == ("身份证号", "姓名", "项目", "金额", "问题")
    assert [r[2] for r in rows[1:]] == ["不存在的项目", "PRESCHOOL"]
    assert rows[1][0] == PRE and "不是资助政策中的项目" in rows[1][-1] and "第3行" in rows[1][-1]
    assert rows[2][3] == "两千"
    assert len(stored(pdb)) == 1


def test_a_file_without_a_usable_row_changes_nothing(pdb, first, tmp_path, capsys):
    path = payments_file(tmp_path / "bad.xlsx", [[HS, "张丽", "不存在", 1], [PRE, "李四", "也不存在", 2]])
    before = audit_count(pdb)
    out_path = tmp_path / "p.xlsx"
    assert run(["--db", str(pdb.path), "import", "payments", str(path), "--problems", str(out_path)]) == 2
    err = capsys.readouterr().err
    assert "没有可以导入的行" in err and "已有的发放记录没有改动" in err and "Traceback" not in err
    assert str(out_path) in err and out_path.exists()
    assert stored(pdb) == first and audit_count(pdb) == before
    with pytest.raises(InputFileError):
        import_payments(pdb, path, dry_run=True)
    assert stored(pdb) == first


def test_replace_is_refused_for_payments(pdb, tmp_path, capsys):
    path = payments_file(tmp_path / "p.xlsx", [[HS, "张丽", "PRESCHOOL", 1]])
    assert run(["--db", str(pdb.path), "import", "payments", str(path), "--replace"]) == 2
    assert "--replace" in capsys.readouterr().err and stored(pdb) == []


def test_a_real_import_replaces_and_reports_the_count(pdb, first, tmp_path, capsys):
    path = payments_file(tmp_path / "new.xlsx", [[HS, "张丽", "PRESCHOOL", 1]])
    assert run(["--db", str(pdb.path), "import", "payments", str(path)]) == 0
    assert "已导入发放记录 1 条（替换之前的 2 条）" in capsys.readouterr().out
    assert stored(pdb) == [(HS, "PRESCHOOL", 100)]


def test_gui_shows_the_refusal_and_keeps_the_payments(qtbot, pdb, first, tmp_path, shown):
    from conftest import open_main_window
    path = payments_file(tmp_path / "bad.xlsx", [[HS, "张丽", "不存在", 1]])
    win = open_main_window(qtbot, pdb)
    win.import_payments(path)
    assert len(shown) == 1 and "没有可以导入的行" in shown[0][0] and "改正" in shown[0][1]
    shown.clear()
    assert stored(pdb) == first


def test_gui_reports_an_import(qtbot, pdb, first, tmp_path, shown):
    from conftest import open_main_window
    path = payments_file(tmp_path / "ok.xlsx", [[HS, "张丽", "PRESCHOOL", 1]])
    win = open_main_window(qtbot, pdb)
    win.import_payments(path)
    assert "已导入发放记录 1 条（替换之前的 2 条）" in win.statusBar().currentMessage()
    assert stored(pdb) == [(HS, "PRESCHOOL", 100)]


def test_a_formula_amount_without_a_value_is_a_rejected_row(pdb, tmp_path):
    path = payments_file(tmp_path / "f.xlsx", [[HS, "张丽", "PRESCHOOL", "=1000*2"], [PRE, "李四", "PRESCHOOL", 5]])
    result = import_payments(pdb, path)
    assert [p.id_number for p in result.payments] == [PRE]
    assert "金额（D列）的单元格是公式" in result.problems[0][1] and "第2行" in result.problems[0][1]


def test_every_real_payments_import_is_backed_up_first_gui_included(qtbot, pdb, first, tmp_path, shown):
    from conftest import open_main_window

    from db import backup as bk
    names = lambda: [b.name for b in bk.list_backups(pdb.path) if "before-import-payments" in b.name]  # noqa: E731
    assert len(names()) == 1                                   # the first import (fixture) was backed up
    import_payments(pdb, payments_file(tmp_path / "dry.xlsx", [[HS, "张丽", "PRESCHOOL", 1]]), dry_run=True)
    assert len(names()) == 1                                   # not for a dry run
    w = open_main_window(qtbot, pdb)
    w.import_payments(payments_file(tmp_path / "gui.xlsx", [[HS, "张丽", "PRESCHOOL", 1]]))
    assert len(names()) == 2 and stored(pdb) == [(HS, "PRESCHOOL", 100)]


def test_excel_float_noise_in_an_amount_is_absorbed(pdb, tmp_path):
    # What an Excel formula such as =0.1*3000 stores: 300.00000000000006 (was "超过两位小数").
    path = payments_file(tmp_path / "noise.xlsx", [[HS, "张丽", "免书本费", 0.1 * 3000],
                                                    [PRE, "李四", "PRESCHOOL", 359.99999999999994]])
    result = import_payments(pdb, path)
    assert result.problems == []
    assert sorted(p.amount_fen for p in result.payments) == [30000, 36000]
