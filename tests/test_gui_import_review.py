"""GUI: the import wizard's preview names each student a re-import would change, field by field,
says how many 已核准 students go back to 待核准, and fits a 1024×768 screen (review of re-imports:
a preview of counts only let a re-import overwrite the clerk's hand edits unseen)."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from conftest import xlsx
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWizard
from screenfit import fit_problems
from sqlalchemy import func, select

from core.idnumber import make_id, mask_id
from db import store
from db.models import Student
from db.usecases import edit_student, verify
from db.workflows import run_import
from gui import screen
from gui.import_wizard import ImportWizard

SCREEN = QRect(0, 0, 1024, 768 - 40)      # a Windows task bar at the bottom
HEADER = ["姓名", "身份证号", "学段", "家庭类别", "实收学费", "往年已享受就学扶助"]
IDS = [make_id("110101", date(2008, 1 + i % 12, 1 + i % 27), 100 + i) for i in range(80)]

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def small_screen(monkeypatch, app_font):
    monkeypatch.setattr(screen, "screen_geometry", lambda widget=None: QRect(SCREEN))
    return SCREEN


def _ids(db) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(Student.id).order_by(Student.id)))


@pytest.fixture
def reimport(db, tmp_path):
    """80 students imported and verified; the first one's family category and fee edited by hand
    (and verified again). The school office's next file: its own copy, five fees raised."""
    with db.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="t")
    rows = [[f"学生{i}", n, "普通高中", "非困难", 1000, "否"] for i, n in enumerate(IDS)]
    run_import(db, "students", xlsx(tmp_path / "v1.xlsx", HEADER, *rows))
    ids = _ids(db)
    edit_student(db, ids[0], {"category": "REGISTERED", "tuition_fen": 120000})
    verify(db, ids)
    again = [list(r) for r in rows]
    for r in again[1:60]:
        r[4] = 1100            # 59 fees raised: more than the list shows one by one
    again[78][3] = None        # a blank cell whose default (非困难) is what is stored: nothing kept
    again[79][4] = None        # a blank fee: 学生79 keeps its 1000.00
    return xlsx(tmp_path / "v2.xlsx", HEADER, *again)


def _preview(qtbot, db, path: Path) -> ImportWizard:
    wiz = ImportWizard(db, "students")
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.file_page.path_edit.setText(str(path))
    wiz.button(QWizard.WizardButton.NextButton).click()
    assert wiz.currentPage() is wiz.preview_page and wiz.preview_page.preview is not None
    return wiz


def test_the_preview_lists_each_update_field_by_field_and_the_unverified(small_screen, qtbot, db, reimport):
    wiz = _preview(qtbot, db, reimport)
    page = wiz.preview_page
    status = page.status.text()
    assert "将更新 60 行" in status
    assert "其中 60 名已核准的学生数据有变化，导入后将退回“待核准”" in status
    details = page.details.toPlainText()
    assert "将更新的学生：共 60 名（其中 60 名已核准，将退回待核准）" in details
    first = f"第 2 行 学生0（{mask_id(IDS[0])}）［已核准 → 待核准］"
    assert first in details
    after = details.split(first, 1)[1].splitlines()
    assert after[1:3] == ["      家庭类别：建档立卡 → 非困难", "      实收学费（元）：1200.00 → 1000.00"]
    assert "      实收学费（元）：1000.00 → 1100.00" in details
    assert "……另有 10 名没有逐一列出" in details          # 50 listed of 60
    assert IDS[0] not in details                          # masked IDs only
    assert "注意：文件中有 1 个空白单元格没有覆盖已有的数据" in details
    assert f"  第 81 行 学生79（{mask_id(IDS[79])}）：实收学费（元）（1000.00）" in details
    assert "第 80 行" not in details
    # fits 1024×768: nothing clipped; the list scrolls
    qtbot.wait(30)
    frame = QRect(wiz.pos(), wiz.size() + screen.FRAME)
    assert SCREEN.contains(frame)
    assert fit_problems(wiz) == []
    assert page.details.verticalScrollBar().maximum() > 0
    folder = os.environ.get("ZIZHU_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        wiz.grab().save(str(Path(folder) / "import-2-reimport-preview.png"))


def test_the_report_says_how_many_went_back_to_pending(small_screen, qtbot, db, reimport):
    wiz = _preview(qtbot, db, reimport)
    wiz.button(QWizard.WizardButton.CommitButton).click()
    run = wiz.run_page
    assert run.report is not None
    assert "注意：60 名已核准的学生数据有变化，已退回“待核准”" in run.details.toPlainText()


def test_the_students_the_file_leaves_out_are_named_in_the_preview_and_after(small_screen, qtbot, db, tmp_path,
                                                                             reimport):
    """A new year's list without the last two students: the preview and the result page name them
    (masked IDs) and say what to do; nobody is taken off the list by the import."""
    import openpyxl
    book = openpyxl.load_workbook(reimport)
    book.active.delete_rows(80, 2)          # 学生78 and 学生79 (rows 80, 81: the header is row 1)
    book.save(tmp_path / "v3.xlsx")
    wiz = _preview(qtbot, db, tmp_path / "v3.xlsx")
    title = "名单中有、但文件中没有的学生（仍在名单中；已离校的请移出名单）：共 2 名"
    shown = [f"  学生78（{mask_id(IDS[78])}）", f"  学生79（{mask_id(IDS[79])}）"]
    lines = wiz.preview_page.details.toPlainText().splitlines()
    assert lines[lines.index(title) + 1:lines.index(title) + 3] == shown
    wiz.button(QWizard.WizardButton.CommitButton).click()
    done = wiz.run_page.details.toPlainText()
    assert "注意：名单中有 2 名学生不在这个文件中" in done
    after = done.splitlines()
    assert after[after.index(title) + 1:after.index(title) + 3] == shown
    assert IDS[78] not in done
    with db.session() as s:      # still listed
        assert s.scalar(select(func.count()).select_from(Student).where(Student.removed_at.is_(None))) == 80
