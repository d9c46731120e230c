"""GUI: the verification workflow — 核查问题, 告知书, 导出上报 and the dashboard's progress chart."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_main_window
from pdftext import page_count as pdf_pages
from pdftext import pdf_text
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select
from test_letters_draft import make_ready

from core.checks import RULES_BY_CODE, FindingState
from core.package import verify_package
from db.models import AuditEntry, FindingRow, Student
from gui.main_window import DASHBOARD, EXPORT, FINDINGS, LETTERS, PAGES
from gui.pdf_preview import PdfPreview

pytestmark = pytest.mark.usefixtures("shown")

PASS = "school-pass-1"


@pytest.fixture
def win(qtbot, demo_db):
    return open_main_window(qtbot, demo_db)


@pytest.fixture
def checked(win):
    """The window after 运行核查 (the action, run inline)."""
    win.action_collection.run_check.trigger()
    return win


# -- helpers -----------------------------------------------------------------

def pdf_printer(out: Path) -> QPrinter:
    """A printer that prints to the PDF file ``out`` (the print dialog's answer in tests)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    return printer


def proxy_rows(page):
    return [page.source_row(page.proxy.index(i, 0)) for i in range(page.proxy.rowCount())]


def select_where(page, pred, limit=None):
    """Select the shown rows matching ``pred`` (all of them, or the first ``limit``); returns them."""
    page.view.clearSelection()
    chosen = []
    for i in range(page.proxy.rowCount()):
        row = page.source_row(page.proxy.index(i, 0))
        if pred(row):
            page.view.selectionModel().select(
                page.proxy.index(i, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
            chosen.append(row)
            if limit is not None and len(chosen) == limit:
                break
    assert chosen, "no row matched"
    return chosen


def finding(db, finding_id):
    with db.session() as s:
        r = s.get(FindingRow, finding_id)
        return r.state, r.reason


def student(db, student_id):
    with db.session() as s:
        return s.get(Student, student_id)


def open_codes_of(db, student_id):
    with db.session() as s:
        return set(s.scalars(select(FindingRow.code).where(FindingRow.student_id == student_id,
                                                          FindingRow.state != FindingState.FIXED)))


def homophone(r):
    """The demo's planted homophone: a NAME_MISMATCH on a student with only warnings
    (the duplicated ID's NAME_MISMATCH belongs to a student with errors)."""
    return r.code == "NAME_MISMATCH" and "读音相同" in r.message


def verified_bar(win):
    bars = {label: (value, maximum) for label, value, maximum, _c in win.dashboard.chart.bars}
    return bars["已核准学生"]


# -- 核查问题 -----------------------------------------------------------------

def test_run_check_action_fills_the_findings_page(checked, qtmodeltester):
    page = checked.findings
    assert checked.stack.currentWidget() is page
    assert page.model.rowCount() > 0
    assert "错误" in page.count_label.text() and "正在核查" not in page.count_label.text()
    codes = {r.code for r in page.model.rows()}
    assert {"ID_INVALID", "NAME_MISMATCH", "NOT_NOTIFIED", "FEE_MISSING"} <= codes
    qtmodeltester.check(page.model)
    assert "\n" in page.model.data(page.proxy.mapToSource(page.proxy.index(0, 4)),
                                   Qt.ItemDataRole.ToolTipRole)   # the full message and the hint
    # the code filter lists the codes found, with open counts, and narrows to one code
    combo = page.code_filter
    assert combo.findData("NAME_MISMATCH") > 0
    combo.setCurrentIndex(combo.findData("NOT_NOTIFIED"))
    shown = proxy_rows(page)
    assert shown and {r.code for r in shown} == {"NOT_NOTIFIED"}
    assert f"显示 {len(shown)} 条" in page.count_label.text()
    assert f"（{len(shown)}）" in combo.currentText()
    combo.setCurrentIndex(0)
    assert page.proxy.rowCount() == sum(r.state != FindingState.FIXED for r in page.model.rows())


def test_severity_and_state_filters(checked):
    page = checked.findings
    page.severity_filter.setCurrentIndex(page.severity_filter.findData("error"))
    assert {r.severity for r in proxy_rows(page)} == {"error"}
    page.severity_filter.setCurrentIndex(0)
    page.state_filter.setCurrentIndex(page.state_filter.findData(FindingState.ACCEPTED))
    assert page.proxy.rowCount() == 0


def test_accept_with_a_reason(checked, db):
    page = checked.findings
    page.code_filter.setCurrentIndex(page.code_filter.findData("NAME_MISMATCH"))
    [row] = select_where(page, homophone)
    asked = []
    page.ask_reason = lambda rows: asked.append(len(rows)) or "户口簿上即为此字"
    page.accept_button.click()
    assert asked == [1]
    assert finding(db, row.id) == (FindingState.ACCEPTED, "户口簿上即为此字")
    shown = next(r for r in proxy_rows(page) if r.id == row.id)   # the page was re-read
    assert shown.state == FindingState.ACCEPTED and shown.reason == "户口簿上即为此字"
    # a re-check keeps the acceptance
    checked.action_collection.run_check.trigger()
    assert finding(db, row.id) == (FindingState.ACCEPTED, "户口簿上即为此字")


def test_cancelled_reason_changes_nothing(checked, db):
    page = checked.findings
    [row] = select_where(page, homophone)
    page.ask_reason = lambda rows: None
    page.accept_selected()
    assert finding(db, row.id) == (FindingState.OPEN, "")


def test_an_invalid_id_cannot_be_accepted(checked, db, shown):
    page = checked.findings
    [row] = select_where(page, lambda r: r.code == "ID_INVALID")
    asked = []
    page.ask_reason = lambda rows: asked.append(len(rows)) or "家长说没错"
    page.accept_button.click()
    assert len(shown) == 1 and "不能接受" in shown[0][0] and RULES_BY_CODE["ID_INVALID"].title in shown[0][0]
    assert shown[0][1] == RULES_BY_CODE["ID_INVALID"].hint       # what to do: the rule's own hint (db.findings)
    shown.clear()
    assert asked == []                                     # refused before a reason is written
    assert finding(db, row.id) == (FindingState.OPEN, "")
    # mixed with an acceptable one: nothing at all is accepted
    name_row = next(r for r in page.model.rows() if r.code == "NAME_MISMATCH")
    select_where(page, lambda r: r.id in (row.id, name_row.id))
    page.accept_selected()
    assert len(shown) == 1
    shown.clear()
    assert finding(db, name_row.id) == (FindingState.OPEN, "")


def test_verify_refused_while_a_student_has_an_open_error(checked, db, shown):
    page = checked.findings
    [row] = select_where(page, lambda r: r.code == "ID_INVALID")
    before = verified_bar(checked)
    page.verify_button.click()
    assert len(shown) == 1 and "不能核准" in shown[0][0] and row.name in shown[0][0]
    shown.clear()
    assert student(db, row.student_id).verified is False
    assert verified_bar(checked) == before


def test_verify_a_student_with_only_warnings(checked, db):
    page = checked.findings
    [row] = select_where(page, homophone)
    assert "error" not in {r.severity for r in page.model.rows() if r.student_id == row.student_id}
    value, total = verified_bar(checked)
    assert total == 120
    from db import store
    with db.session() as s:   # amounts must be computable: set the public tuition standards
        store.set_policy_value(s, "tuition_standard.普通高中", "1200")
        store.set_policy_value(s, "tuition_standard.中职", "2000")
    page.verify_selected()
    assert student(db, row.student_id).verified is True
    assert verified_bar(checked) == (value + 1, total)
    assert "已核准 1 名学生" in checked.statusBar().currentMessage()


def test_double_click_opens_the_form_at_the_field(checked, qtbot):
    page = checked.findings
    # the window's own slot opens a modal form; the test opens it non-modal
    page.open_student.disconnect(checked.open_student_field)
    page.open_student.connect(lambda sid, fld: checked.open_student_field(sid, fld, modal=False))
    page.code_filter.setCurrentIndex(page.code_filter.findData("FEE_MISSING"))
    [row] = proxy_rows(page)
    assert row.field == "lodging_fen"
    qtbot.waitExposed(checked)
    index = page.proxy.index(0, 2)
    rect = page.view.visualRect(index)
    QTest.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    # QTest's double click leaves the button down (press, double-click, no release): the process-wide
    # QApplication.mouseButtons() then says a button is held for every later test in this worker
    # (tests/test_gui_keyboard_review.py's tab-into-a-table tests failed after this file).
    QTest.mouseRelease(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    form = checked.students.form
    assert form is not None
    qtbot.addWidget(form)
    assert form.data.id == row.student_id
    assert form.highlighted == "lodging_fen"
    assert form.editors["lodging_fen"].widget.property("highlighted") is True
    form.reject()


def test_open_student_field_direct(checked, qtbot):
    row = next(r for r in checked.findings.model.rows() if r.code == "ID_BIRTH_MISMATCH")
    checked.open_student_field(row.student_id, row.field, modal=False)
    form = checked.students.form
    qtbot.addWidget(form)
    assert form.isVisible() and form.highlighted == "birth_date"
    form.reject()


def test_open_student_field_with_the_real_worker_thread(checked, qtbot, monkeypatch):
    """The form is read in a worker thread: the highlight must survive the round trip."""
    from gui import worker
    row = next(r for r in checked.findings.model.rows() if r.code == "ID_BIRTH_MISMATCH")
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    checked.open_student_field(row.student_id, row.field, modal=False)
    qtbot.waitUntil(lambda: checked.students.form is not None, timeout=5000)
    form = checked.students.form
    qtbot.addWidget(form)
    assert form.isVisible() and form.data.id == row.student_id and form.highlighted == "birth_date"
    form.reject()


def test_a_second_open_while_the_form_is_being_read_is_ignored(win, qtbot, monkeypatch):
    from gui import worker
    page = win.students
    first, second = (page.source_row(page.proxy.index(i, 0)).id for i in range(2))
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    page.open_student(first, modal=False)
    page.open_student(second, modal=False)        # a double double-click
    qtbot.waitUntil(lambda: page.form is not None, timeout=5000)
    form = page.form
    qtbot.addWidget(form)
    qtbot.wait(300)                                 # a second read would have landed by now
    assert page.form is form and form.data.id == first
    assert page.open_student(second, modal=False) is None and page.form is form   # still open: ignored
    form.reject()
    page.open_student(second, modal=False)
    qtbot.waitUntil(lambda: page.form is not form and page.form is not None, timeout=5000)
    qtbot.addWidget(page.form)
    assert page.form.data.id == second
    page.form.reject()


# -- 告知书 -------------------------------------------------------------------

def test_letters_list_the_subsidised_students_and_every_registered_one(win):
    page = win.letters
    n = page.model.rowCount()
    assert 0 < n < 120
    category = {r.id: r.category for r in win.students.model.rows()}
    assert all(r.total_fen > 0 or category[r.id] == "建档立卡" for r in page.model.rows())
    registered_without = sum(1 for r in win.students.model.rows() if r.total_fen == 0 and r.category == "建档立卡"
                             and not r.removed)
    assert n == win.dashboard.summary.granted_students + registered_without > win.dashboard.summary.granted_students
    assert f"应告知 {n} 人" in page.count_label.text()


def test_preview_print_records_the_letters(win, db, tmp_path, qtbot):
    make_ready(db)                          # final letters (a draft is never recorded as printed)
    win.reload_all()
    win.show_page(LETTERS)
    page = win.letters
    rows = select_where(page, lambda r: not r.printed, limit=2)
    keys = sorted(r.id for r in rows)
    win.action_collection.run_check.trigger()
    assert all("NOT_NOTIFIED" in open_codes_of(db, k) for k in keys)

    win.show_page(LETTERS)
    select_where(page, lambda r: r.id in keys)
    page.preview_selected(modal=False)
    preview = page.preview
    assert isinstance(preview, PdfPreview)
    qtbot.addWidget(preview)
    assert preview.isVisible() and "2 名学生" in preview.windowTitle()
    assert not preview.note.isVisibleTo(preview)           # every page shown: no note
    assert len(preview.pages) == 2                          # one page per letter
    assert all(not img.isNull() and img.height() > img.width() for img in preview.pages)
    screen_w = preview.screen().availableGeometry().width()
    assert preview.width() >= min(preview.pages[0].width() + 20, screen_w - 40)   # a whole page across

    out = tmp_path / "printed.pdf"
    preview.ask_printer = lambda: pdf_printer(out)
    import types  # printed a page at a time (200 dpi: 11 MB a page; all at once, 4.5 GB for 400 letters)
    assert isinstance(preview._print_pages(), types.GeneratorType)
    preview.print_button.click()
    assert preview.printed
    assert out.exists() and out.stat().st_size > 1000
    assert out.read_bytes().startswith(b"%PDF") and pdf_pages(out) == 2
    for k in keys:
        assert student(db, k).notified_at is not None
    assert {r.id for r in page.model.rows() if r.printed} == set(keys)
    assert "已打印 2" in page.count_label.text()

    win.action_collection.run_check.trigger()
    for k in keys:
        assert "NOT_NOTIFIED" not in open_codes_of(db, k)
    assert not [r for r in win.findings.model.rows()
                if r.code == "NOT_NOTIFIED" and r.student_id in keys and r.state != FindingState.FIXED]
    preview.reject()


def test_closing_the_preview_without_printing_records_nothing(win, db, qtbot):
    page = win.letters
    [row] = select_where(page, lambda r: True, limit=1)
    page.preview_selected(modal=False)
    qtbot.addWidget(page.preview)
    assert len(page.preview.pages) == 1
    page.preview.ask_printer = lambda: None                # the print dialog was cancelled
    page.preview.print_button.click()
    assert not page.preview.printed
    assert student(db, row.id).notified_at is None


def test_receipt_buttons(win, db):
    page = win.letters
    rows = select_where(page, lambda r: True, limit=2)
    page.receipt_button.click()
    for r in rows:
        assert student(db, r.id).receipt_at is not None
    assert "回执已收回 2" in page.count_label.text()
    select_where(page, lambda r: r.id == rows[0].id)
    page.no_receipt_button.click()
    assert student(db, rows[0].id).receipt_at is None
    assert student(db, rows[1].id).receipt_at is not None
    page.set_receipts(False)                               # unchanged: nothing to do
    assert student(db, rows[0].id).receipt_at is None


def test_save_letters_as_pdf(win, tmp_path, monkeypatch):
    import gui.letters_view as lv
    page = win.letters
    select_where(page, lambda r: True, limit=3)
    monkeypatch.setattr(lv, "ask_save_path", lambda *a: tmp_path / "告知书.pdf")
    page.save_selected()
    out = tmp_path / "告知书.pdf"
    assert out.exists() and out.read_bytes().startswith(b"%PDF")


def test_saved_letters_keep_a_typed_dot_and_ask_before_replacing_an_unasked_file(win, tmp_path, monkeypatch):
    import gui.dialogs
    import gui.letters_view as lv
    page = win.letters
    select_where(page, lambda r: True, limit=2)
    (tmp_path / "告知书v1.1.pdf").write_bytes(b"the first batch")
    monkeypatch.setattr(lv, "ask_save_path", lambda *a: tmp_path / "告知书v1.1")
    asked = []
    monkeypatch.setattr(gui.dialogs, "confirm_replace", lambda parent, paths, what: asked.append(what) or False)
    page.save_selected()
    assert asked == ["告知书"] and (tmp_path / "告知书v1.1.pdf").read_bytes() == b"the first batch"
    assert not (tmp_path / "告知书v1.pdf").exists()


def test_letters_one_page_per_household(win, db, tmp_path, monkeypatch):
    import gui.letters_view as lv
    from db.students import update_student
    page = win.letters
    two = select_where(page, lambda r: True, limit=2)
    with db.session() as s:
        for r in two:
            update_student(s, r.id, {"household_no": "HH-TEST-1", "head_name": "刘大山", "township": "城关镇",
                                     "village": "东村"})
    page.reload()
    select_where(page, lambda r: r.id in {two[0].id, two[1].id})

    monkeypatch.setattr(lv, "ask_save_path", lambda *a: tmp_path / "each.pdf")
    page.save_selected()
    assert pdf_pages(tmp_path / "each.pdf") == 2
    page.household.setChecked(True)
    monkeypatch.setattr(lv, "ask_save_path", lambda *a: tmp_path / "family.pdf")
    page.save_selected()
    assert pdf_pages(tmp_path / "family.pdf") == 1
    text = pdf_text(tmp_path / "family.pdf")
    assert two[0].name in text and two[1].name in text


# -- 导出上报 -----------------------------------------------------------------

def test_export_refused_then_draft(win, db, tmp_path, shown):
    win.show_page(EXPORT)
    page = win.export
    assert "还不能正式上报" in page.status.text() and "未核准" in page.status.text()
    assert page.fingerprint.text().startswith("尚未生成")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "x.zip"
    page.ask_target = lambda: target
    page.ask_passphrase = lambda first: PASS

    page.export()
    assert len(shown) == 1 and "还不能正式导出上报" in shown[0][0]
    shown.clear()
    assert not target.exists() and list(out.iterdir()) == []
    assert not [w for w in QApplication.topLevelWidgets()            # the progress dialog went away
                if w.objectName() == "progressDialog" and w.isVisible()]

    page.draft.setChecked(True)
    page.export()
    assert target.exists()
    result = verify_package(target)
    assert result.intact, result.problems          # signer not in a trust list here
    assert result.manifest["draft"] is True
    assert result.fingerprint and page.fingerprint.text() == result.fingerprint
    assert "还不能正式上报" in page.status.text()           # re-read after the export
    assert page.last_export.isVisible()
    assert "已导出草稿上报包" in page.last_export.text() and result.fingerprint in page.last_export.text()
    assert "已导出" in win.statusBar().currentMessage()
    assert win.settings.fingerprint.text() == result.fingerprint   # the settings page follows


def test_notice_list_from_the_export_page(win, db, tmp_path):
    import openpyxl
    page = win.export
    win.show_page(EXPORT)
    page.ask_notice_target = lambda suffix, title="": tmp_path / "公示"          # no extension typed
    page.notice_pdf_button.click()
    pdf = tmp_path / "公示.pdf"
    assert pdf.exists() and page.notice_pdf_button.isEnabled()
    assert "已导出公示名单" in page.last_export.text() and "这是草稿" in page.last_export.text()
    text = pdf_text(pdf)
    assert "草稿" in text
    with db.session() as s:
        some = s.scalars(select(Student)).first()
        number = some.id_number
    assert number not in text
    page.ask_notice_target = lambda suffix: tmp_path / f"公示{suffix}"
    page.notice_xlsx_button.click()
    cells = [str(c) for ws in openpyxl.load_workbook(tmp_path / "公示.xlsx").worksheets
             for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert cells and not any(number in c for c in cells)
    page.ask_notice_target = lambda suffix: None                      # cancelled: nothing written
    before = sorted(p.name for p in tmp_path.iterdir())
    page.notice_pdf_button.click()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_notice_pair_from_the_export_page(win, db, tmp_path, monkeypatch):
    """导出公示名单 PDF 和 Excel: both files from one gather, the workbook beside the chosen PDF;
    an existing file the save dialog did not ask about is replaced only when the clerk agrees."""
    import openpyxl

    from db import notice_export
    page = win.export
    win.show_page(EXPORT)
    asked: list[list[Path]] = []
    page.confirm_replace = lambda paths: asked.append(paths) or False
    gathers = []
    real = notice_export.export_notices
    monkeypatch.setattr("gui.export_view.export_notices",
                        lambda *a, **k: gathers.append(a[1]) or real(*a, **k))
    # (the worker's child process is a daemon: the workbook is written there, after the PDF)
    monkeypatch.setattr("core.exports.notice_child.WorkbookChild.start", lambda self: pytest.fail("a child"))
    monkeypatch.setattr(notice_export, "NOTICE_CHILD_MIN", 0)
    monkeypatch.setattr("core.in_child.spare_core", lambda since=None: True)
    page.ask_notice_target = lambda suffix, title="": tmp_path / "公示.pdf"
    page.notice_both_button.click()
    pdf, xlsx = tmp_path / "公示.pdf", tmp_path / "公示.xlsx"
    assert pdf.exists() and xlsx.exists() and asked == []
    assert gathers == [[pdf, xlsx]]                                       # one export of both files
    assert all(b.isEnabled() for b in (page.notice_both_button, page.notice_pdf_button, page.notice_xlsx_button))
    shown = page.last_export.text()
    assert f"“公示.pdf”和“公示.xlsx”，保存在“{tmp_path}”" in shown and "这是草稿" in shown
    names = [str(r[1]) for r in openpyxl.load_workbook(xlsx).worksheets[0].iter_rows(values_only=True)
             if isinstance(r[0], int)]
    printed = "".join(pdf_text(pdf).split())               # (two-character names are printed spaced)
    assert names and all(n in printed for n in names)     # the same students in both files
    with db.session() as s:
        entries = s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "export")).all()
    assert sum("公示.pdf" in e for e in entries) == 1 and sum("公示.xlsx" in e for e in entries) == 1

    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    page.notice_both_button.click()                    # the workbook exists: asked, declined, nothing written
    assert asked == [[xlsx]] and len(gathers) == 1
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    page.confirm_replace = lambda paths: True
    xlsx.write_bytes(b"old")
    page.notice_both_button.click()
    assert len(gathers) == 2 and xlsx.read_bytes()[:2] == b"PK"             # replaced by the new list

    # a name with a dot keeps it: 公示名单2024.10 → 公示名单2024.10.pdf and .xlsx, not 公示名单2024.pdf
    page.ask_notice_target = lambda suffix, title="": tmp_path / "公示名单2024.10"
    page.notice_both_button.click()
    assert gathers[-1] == [tmp_path / "公示名单2024.10.pdf", tmp_path / "公示名单2024.10.xlsx"]
    assert not (tmp_path / "公示名单2024.pdf").exists()
    # typed in the PDF's dialog, 公示.xlsx (asked about) names the pair; 公示.pdf, not asked about, is
    page.ask_notice_target = lambda suffix, title="": xlsx
    asked.clear()
    page.confirm_replace = lambda paths: asked.append(paths) or False
    page.notice_both_button.click()
    assert asked == [[pdf]] and len(gathers) == 3


def test_export_passphrase_cancelled_writes_nothing(win, tmp_path):
    page = win.export
    page.reload()
    page.draft.setChecked(True)
    out = tmp_path / "out"
    out.mkdir()
    page.ask_target = lambda: out / "y"
    page.ask_passphrase = lambda first: None
    page.export()
    assert list(out.iterdir()) == []


def test_a_package_name_with_a_dot_keeps_it_and_an_unasked_file_is_not_replaced(win, tmp_path):
    """上报包v1.1 is saved as 上报包v1.1.zip: with_suffix made it 上报包v1.zip and replaced that
    file, which the save dialog had not asked about."""
    page = win.export
    page.reload()
    page.draft.setChecked(True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "上报包v1.zip").write_bytes(b"an earlier package")
    page.ask_target = lambda: out / "上报包v1.1"
    page.ask_passphrase = lambda first: PASS
    page.export()
    assert (out / "上报包v1.1.zip").exists()
    assert (out / "上报包v1.zip").read_bytes() == b"an earlier package"
    asked = []
    page.confirm_replace = lambda paths, what="": asked.append((paths, what)) or False
    before = (out / "上报包v1.1.zip").read_bytes()
    page.export()                                          # the dialog asked about 上报包v1.1, not .zip
    assert asked == [([out / "上报包v1.1.zip"], "上报包")]
    assert (out / "上报包v1.1.zip").read_bytes() == before


# -- the main window ------------------------------------------------------------

def test_findings_toolbar_fits_the_window(app_font, checked, qtbot):
    """At the default size the search/filter row and the action row are not clipped."""
    page = checked.findings
    qtbot.waitExposed(checked)
    qtbot.wait(50)                                          # let the layouts settle
    for w in (page.search, page.severity_filter, page.code_filter, page.state_filter, page.count_label,
              page.run_button, page.accept_button, page.verify_button):
        assert w.isVisible()
        assert w.width() >= w.minimumSizeHint().width(), w.objectName()
    state = page.state_filter
    assert state.width() >= state.sizeHint().width()
    assert page.count_label.width() >= page.count_label.sizeHint().width()
    assert page.search.geometry().right() < page.severity_filter.geometry().left()


def test_eight_pages_each_shows(win):
    assert len(PAGES) == 8 and win.nav.count() == 9 and win.stack.count() == 9     # + 汇总, hidden
    for i in range(len(PAGES)):
        win.nav.setCurrentRow(i)
        assert win.stack.currentIndex() == i
        assert win.stack.currentWidget().isVisible()
    win.show_page(DASHBOARD)
    assert win.dashboard.isVisible()


def test_f9_runs_the_check(win, qtbot, db):
    a = win.action_collection.run_check
    assert "F9" in [s.toString() for s in a.shortcuts()]
    assert a in [act for m in win.menuBar().actions() for act in m.menu().actions()]
    from sqlalchemy import delete
    with db.session() as s:
        s.execute(delete(FindingRow))                      # as if never checked
    win.findings.reload()
    assert win.findings.model.rowCount() == 0
    win.activateWindow()
    qtbot.waitActive(win)
    QTest.keyClick(win, Qt.Key.Key_F9)
    assert win.current_page() == FINDINGS
    assert win.findings.model.rowCount() > 0
    with db.session() as s:
        assert s.scalars(select(FindingRow)).first() is not None


def test_dashboard_is_not_squeezed_on_a_small_window(app_font, win, qtbot):
    """At the minimum window size the page scrolls instead of cutting the chart and the phases."""
    from gui.main_window import MINIMUM_SIZE
    win.resize(MINIMUM_SIZE)
    qtbot.waitExposed(win)
    qtbot.wait(50)
    d = win.dashboard
    for box in (d.progress_box, d.sources_box, d.phases_box):
        assert box.height() >= box.minimumSizeHint().height(), box.title()
    assert d.chart.height() == d.chart.sizeHint().height()
    assert [b[0] for b in d.chart.bars] == ["已核准学生", "无未处理错误的学生"]


def test_import_payments_action_runs_the_payment_checks(qtbot, tmp_path):
    from openpyxl import Workbook
    from sqlalchemy import select as _select

    from db.models import FindingRow as _FindingRow
    from db.session import open_database
    from db.workflows import fill_demo
    from gui import worker as _worker
    from gui.main_window import FINDINGS
    from gui.main_window import MainWindow as _MainWindow
    d = open_database(tmp_path / "pay.sqlite")
    fill_demo(d, n_students=40)
    wb = Workbook()
    ws = wb.active
    ws.append(["身份证号", "项目", "金额"])
    ws.append(["110101200805011238", "PRESCHOOL", 100])
    ws.append(["110101200805011238", "不存在", 1])
    path = tmp_path / "pay.xlsx"
    wb.save(path)
    with _worker.synchronous():
        w = _MainWindow(d)
        qtbot.addWidget(w)
        w.reload_all()
        w.import_payments(path)
        assert w.current_page() == FINDINGS
        assert "已导入发放记录 1 条" in w.statusBar().currentMessage()
        assert "不存在" in w.statusBar().currentMessage()
        with d.session() as s:
            codes = set(s.scalars(_select(_FindingRow.code).where(_FindingRow.state == FindingState.OPEN)))
    assert {"PAYMENT_MISSING", "PAYMENT_UNDUE"} <= codes
    d.close()


def test_verify_from_the_student_list(win, db):
    from db import store
    from gui.main_window import STUDENTS
    with db.session() as s:
        store.set_policy_value(s, "tuition_standard.普通高中", "1200")
        store.set_policy_value(s, "tuition_standard.中职", "2000")
        flagged = set(s.scalars(select(FindingRow.student_id).where(FindingRow.state == FindingState.OPEN,
                                                                    FindingRow.severity == "error")))
    win.show_page(STUDENTS)
    page = win.students
    clean = next(r for r in page.model.rows() if r.id not in flagged)
    assert page.select_key(clean.id)
    page.verify_button.click()
    assert student(db, clean.id).verified is True
    assert "已核准 1 名学生" in win.statusBar().currentMessage()
    page.confirm_verify = lambda count, blocked: True
    page.verify_shown_button.click()          # everyone shown, skipping students with errors
    message = win.statusBar().currentMessage()
    assert "未核准" in message
    with db.session() as s:
        unverified = set(s.scalars(select(Student.id).where(Student.verified.is_(False))))
    assert unverified and unverified <= flagged   # only students with open errors stay 待核准


def test_pdfium_is_entered_by_one_thread_at_a_time(tmp_path):
    """The preview's pages are drawn in the worker's thread while an open preview may print on the GUI
    thread: PDFium must never run in two threads at once (pypdfium2's documentation)."""
    import threading

    from reportlab.pdfgen import canvas

    from gui import pdf_preview
    pdf = tmp_path / "a.pdf"
    c = canvas.Canvas(str(pdf))
    c.drawString(100, 700, "x")
    c.save()
    got = []
    with pdf_preview._PDFIUM:                     # another thread is inside PDFium
        drawing = threading.Thread(target=lambda: got.extend(pdf_preview.iter_pages(pdf.read_bytes())))
        drawing.start()
        drawing.join(0.3)
        assert drawing.is_alive() and got == []   # waits for it
    drawing.join(10)
    assert len(got) == 1 and not got[0].isNull()


def test_a_long_preview_shows_its_first_pages_and_prints_them_all(win, db, tmp_path, qtbot, monkeypatch):
    """A preview of every letter at once held about 5 MB a page (400 letters: 2 GB, found by review,
    session 15): it shows the first pages, says so, and 打印 still prints every page."""
    from gui import pdf_preview
    monkeypatch.setattr(pdf_preview, "PREVIEW_PAGES", 1)
    win.show_page(LETTERS)
    page = win.letters
    rows = select_where(page, lambda r: True, limit=2)
    page.preview_selected(modal=False)
    preview = page.preview
    qtbot.addWidget(preview)
    assert len(preview.pages) == 1 and preview.note.isVisibleTo(preview)
    assert preview.note.text() == "这里只显示前 1 页（共 2 页）；打印时打印全部 2 页。"
    out = tmp_path / "all.pdf"
    preview.ask_printer = lambda: pdf_printer(out)
    preview.print_button.click()
    assert pdf_pages(out) == len(rows) == 2
    preview.close()


def test_the_status_bar_says_what_a_check_an_acceptance_and_an_undo_did(win, db, monkeypatch):
    """After 运行核查, 接受… and 撤销 the status bar kept the line of an earlier action ("已保存：李四"
    after that save was undone)."""
    from gui.main_window import FINDINGS
    messages = []
    monkeypatch.setattr(win, "show_message", lambda text, msec=8000: messages.append(text))
    win.show_page(FINDINGS)
    page = win.findings
    page.run()
    assert messages[-1].startswith("核查完成：未处理的错误 ")
    row = next(r for r in page.model.rows() if r.severity == "warning" and r.state == "open")
    monkeypatch.setattr(page, "selected_rows", lambda: [row])
    monkeypatch.setattr(page, "ask_reason", lambda rows: "已电话核实")
    page.accept_selected()
    assert messages[-1] == "已接受 1 个问题"
    win.undo_stack.push(_Noted("修改学生“李四”"))
    win.action_collection.undo.trigger()
    assert messages[-1] == "已撤销：修改学生“李四”"
    win.action_collection.redo.trigger()
    assert messages[-1] == "已重做：修改学生“李四”"


class _Noted:
    """A stand-in undo command (QUndoCommand made lazily: Qt is imported by the fixtures)."""

    def __new__(cls, text):
        from PySide6.QtGui import QUndoCommand
        return QUndoCommand(text)


def test_the_letters_buttons_are_off_while_letters_are_made(win, tmp_path, monkeypatch):
    """A whole school's letters take seconds: a second click made a second PDF and a second preview."""
    import gui.letters_view as lv
    from gui import worker
    page = win.letters
    tasks = []
    monkeypatch.setattr(worker, "run_task", lambda fn, *a, **k: tasks.append((fn, a, k)))
    page.preview_selected(modal=False)
    assert [t[0] for t in tasks] == [lv.make_letters]
    assert not page.preview_button.isEnabled() and not page.save_button.isEnabled()
    import gui.errors
    from core.errors import OutputFileError
    monkeypatch.setattr(gui.errors, "show_exception", lambda parent, exc: None)
    tasks.pop()[2]["on_failure"](OutputFileError("无法保存告知书", "请换一个文件夹"))   # a failure: back on
    assert page.preview_button.isEnabled() and page.save_button.isEnabled()
    monkeypatch.setattr(lv, "ask_save_path", lambda *a: tmp_path / "告知书.pdf")
    page.save_selected()
    assert not page.save_button.isEnabled()
    made = lv.make_letters(page.db, page.selected_keys(), tmp_path / "告知书.pdf")
    monkeypatch.setattr(page, "ask_record_saved", lambda n: False)
    tasks.pop()[2]["on_success"](made)
    assert page.preview_button.isEnabled() and page.save_button.isEnabled()


def test_closing_during_a_task_waits_without_freezing_the_window(win, monkeypatch):
    """× during an export blocked the window's thread up to 30 s (未响应 on Windows), then closed with
    the task still writing and its answer lost; now the window waits, painting, and closes when the
    tasks asked for before are done."""
    from gui import worker
    win.show()
    tasks = []
    monkeypatch.setattr(worker, "busy", lambda: True)
    monkeypatch.setattr(worker, "run_task", lambda fn, *a, **k: tasks.append(k))
    monkeypatch.setattr(worker, "wait_for_idle", lambda msecs=30000: pytest.fail("blocked the GUI thread"))
    assert win.close() is False
    assert win.isVisible() and not win.isEnabled()
    assert win.statusBar().currentMessage() == "正在等待后台任务完成，完成后程序会自动关闭…"
    assert win.close() is False and len(tasks) == 1            # a second × asks for nothing more
    monkeypatch.setattr(worker, "wait_for_idle", lambda msecs=30000: True)
    tasks[0]["on_success"](None)                  # the tasks before it are done, but an answer asked another
    assert win.isVisible() and len(tasks) == 2
    monkeypatch.setattr(worker, "busy", lambda: False)
    tasks[1]["on_success"](None)
    assert not win.isVisible()


def test_a_box_a_task_s_answer_opened_is_read_before_the_window_closes(win, qtbot, monkeypatch):
    """The close came inside the box's own event loop and ended it as if answered: an error saying the
    letters were not saved went unread."""
    from PySide6.QtWidgets import QMessageBox

    from gui import worker
    win.show()
    tasks = []
    monkeypatch.setattr(worker, "busy", lambda: True)
    monkeypatch.setattr(worker, "run_task", lambda fn, *a, **k: tasks.append(k))
    win.close()
    monkeypatch.setattr(worker, "busy", lambda: False)
    monkeypatch.setattr(worker, "wait_for_idle", lambda msecs=30000: True)
    box = QMessageBox(QMessageBox.Icon.Warning, "资助助手", "无法保存“告知书.pdf”", QMessageBox.StandardButton.Ok, win)
    box.setWindowModality(Qt.WindowModality.ApplicationModal)
    box.show()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is box)
    tasks[0]["on_success"](None)
    qtbot.wait(600)
    assert win.isVisible() and box.isVisible()                 # it waits for the box
    box.accept()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)


def test_a_close_asked_again_after_a_long_wait_stops_waiting(win, monkeypatch):
    """A task that never answers (a child process stuck) kept the window disabled for ever."""
    from gui import worker
    win.show()
    monkeypatch.setattr(worker, "busy", lambda: True)
    monkeypatch.setattr(worker, "run_task", lambda fn, *a, **k: None)
    waits = []
    monkeypatch.setattr(worker, "wait_for_idle", lambda msecs=30000: waits.append(msecs) or False)
    win.close()
    assert win.isVisible() and waits == []
    win._close_asked -= win.GIVE_UP_S + 1
    win.close()
    assert not win.isVisible() and waits == [30000]
