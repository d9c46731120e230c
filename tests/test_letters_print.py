"""告知书 printing: the 预览/打印 button's preview is modal, each preview records only its own print and only
the students its letters were made for, a failed print records nothing and says so, the print dialog
offers no page range (what prints is the whole batch), and 另存为 PDF keeps a dotted name."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_main_window
from pdftext import page_count
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog
from test_letters_draft import make_ready

from core.errors import OutputFileError
from db.models import Student
from gui import pdf_preview
from gui.main_window import LETTERS
from gui.pdf_preview import PdfPreview, print_images


@pytest.fixture
def win(qtbot, demo_db, shown):
    make_ready(demo_db)                  # final letters: a draft is never recorded as printed
    return open_main_window(qtbot, demo_db, LETTERS)


def pdf_printer(out: Path) -> QPrinter:
    """The print dialog's answer in tests: a printer printing to the PDF file ``out``."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    return printer


def select_rows(page, rows) -> list[int]:
    sel = page.view.selectionModel()
    sel.clearSelection()
    for i in rows:
        sel.select(page.proxy.index(i, 0),
                   QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    return page.selected_keys()


def told(db, keys) -> list[bool]:
    with db.session() as s:
        return [s.get(Student, k).notified_at is not None for k in keys]


def open_preview(page, qtbot, rows) -> tuple[PdfPreview, list[int]]:
    keys = select_rows(page, rows)
    page.preview_selected(modal=False)
    preview = page.preview
    qtbot.addWidget(preview)
    return preview, keys


def images(n: int) -> list[QImage]:
    pages = [QImage(40, 60, QImage.Format.Format_RGB32) for _ in range(n)]
    for img in pages:
        img.fill(0xFFFFFF)
    return pages


# -- 1. the button's preview is modal; each preview records its own print ---------

def test_the_preview_button_opens_a_modal_preview_that_records_its_print(win, demo_db, tmp_path, monkeypatch):
    """``clicked(bool)`` passed False as ``modal``: the real button opened a non-modal preview."""
    page = win.letters
    keys = select_rows(page, [0, 1])
    ran: list[PdfPreview] = []

    def exec_(self):                     # the clerk clicks 打印 in the modal preview, then closes it
        ran.append(self)
        self.ask_printer = lambda: pdf_printer(tmp_path / "printed.pdf")
        self.print_button.click()
        return QDialog.DialogCode.Rejected.value

    shown_beside: list[PdfPreview] = []          # non-modal: the main window stays usable behind it
    monkeypatch.setattr(PdfPreview, "exec", exec_)
    monkeypatch.setattr(PdfPreview, "show", lambda self: shown_beside.append(self))
    page.preview_button.click()
    assert not shown_beside
    assert len(ran) == 1 and ran[0].printed and page.preview is None
    assert told(demo_db, keys) == [True, True]
    assert page_count(tmp_path / "printed.pdf") == 2


def test_printing_an_earlier_preview_records_its_own_students(win, demo_db, tmp_path, qtbot):
    page = win.letters
    a, ka = open_preview(page, qtbot, [0, 1])
    b, kb = open_preview(page, qtbot, [2, 3])
    a.ask_printer = lambda: pdf_printer(tmp_path / "a.pdf")
    a.print_button.click()               # A's letters came out of the printer
    assert told(demo_db, ka) == [True, True] and told(demo_db, kb) == [False, False]
    b.ask_printer = lambda: None         # B's print dialog cancelled
    b.print_button.click()
    assert told(demo_db, kb) == [False, False]


def test_a_cancelled_preview_is_not_recorded_by_another_s_print(win, demo_db, tmp_path, qtbot):
    page = win.letters
    a, ka = open_preview(page, qtbot, [0, 1])
    b, kb = open_preview(page, qtbot, [2, 3])
    b.ask_printer = lambda: pdf_printer(tmp_path / "b.pdf")
    b.print_button.click()
    assert told(demo_db, kb) == [True, True]
    a.ask_printer = lambda: None         # A's print dialog cancelled after B printed
    a.print_button.click()
    assert not a.printed and told(demo_db, ka) == [False, False]


def test_a_selected_student_without_a_letter_is_not_recorded(win, demo_db, tmp_path, qtbot):
    """Only the students the letters were made for: one taken off the list is left out of them."""
    from db.usecases import remove
    page = win.letters
    keys = select_rows(page, [0, 1])
    remove(demo_db, keys[1], "测试：已转学")      # the page still shows (and selects) the student
    preview, _ = open_preview(page, qtbot, [0, 1])
    preview.ask_printer = lambda: pdf_printer(tmp_path / "one.pdf")
    preview.print_button.click()
    assert page_count(tmp_path / "one.pdf") == 1
    assert told(demo_db, keys) == [True, False]


# -- 2. a failed print records nothing and tells the clerk -------------------------

def test_a_print_the_printer_refuses_records_nothing_and_says_so(win, demo_db, tmp_path, qtbot, shown):
    page = win.letters
    preview, keys = open_preview(page, qtbot, [0, 1, 2])
    out = tmp_path / "missing" / "out.pdf"           # QPainter.begin() fails: no such folder
    preview.ask_printer = lambda: pdf_printer(out)
    preview.print_button.click()
    assert not preview.printed and not out.exists()
    assert told(demo_db, keys) == [False, False, False]
    assert "已记录" not in win.statusBar().currentMessage()
    [(message, hint)] = shown
    assert "打印失败" in message and "没有记录为已打印" in message and "打印机" in hint
    shown.clear()


def test_a_refused_new_page_is_a_failure(qapp, tmp_path):
    class Refusing(QPrinter):
        def newPage(self) -> bool:
            return False

    printer = Refusing(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "p.pdf"))
    with pytest.raises(OutputFileError, match="打印失败"):
        print_images(printer, images(2))


def test_a_job_that_cannot_be_finished_is_a_failure(qapp, tmp_path, monkeypatch):
    class Unfinished(QPainter):
        def end(self) -> bool:
            super().end()
            return False

    monkeypatch.setattr(pdf_preview, "QPainter", Unfinished)
    with pytest.raises(OutputFileError, match="打印失败"):
        print_images(pdf_printer(tmp_path / "p.pdf"), images(1))


def test_a_preview_whose_new_page_is_refused_is_not_printed(qapp, tmp_path, monkeypatch, shown):
    """Told through the one error display (gui.errors), and no ``printed_all`` for a caller to record."""
    monkeypatch.setattr(QPrinter, "newPage", lambda self: False)
    preview = PdfPreview("t", images(2))
    got: list[bool] = []
    if hasattr(preview, "printed_all"):
        preview.printed_all.connect(lambda: got.append(True))
    preview.ask_printer = lambda: pdf_printer(tmp_path / "p.pdf")
    preview.print_dialog()
    assert not preview.printed and not got
    [(message, _hint)] = shown
    assert message.startswith("打印失败")
    shown.clear()
    preview.deleteLater()


# -- 4. the whole batch prints: no page range offered ------------------------------

def test_the_print_dialog_offers_no_page_range_and_prints_every_page(qapp, tmp_path, monkeypatch):
    offered: dict[str, bool] = {}

    def exec_(dialog):
        option = QPrintDialog.PrintDialogOption
        offered.update(range=dialog.testOption(option.PrintPageRange),
                       current=dialog.testOption(option.PrintCurrentPage))
        return QDialog.DialogCode.Rejected.value

    monkeypatch.setattr(QPrintDialog, "exec", exec_)
    preview = PdfPreview("t", images(3))
    assert preview.ask_printer() is None
    assert offered == {"range": False, "current": False}

    printer = pdf_printer(tmp_path / "all.pdf")            # a range set anyway (a platform's own dialog)
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 2)
    preview.ask_printer = lambda: printer
    preview.print_dialog()
    assert preview.printed and page_count(tmp_path / "all.pdf") == 3
    assert printer.printRange() == QPrinter.PrintRange.AllPages      # what the printer was told: every page
    preview.deleteLater()


# -- 3. 另存为 PDF keeps a dotted name ---------------------------------------------

def test_a_dotted_name_gets_pdf_added_and_replaces_no_earlier_batch(win, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    earlier = tmp_path / "告知书2024.pdf"
    earlier.write_bytes(b"earlier batch")
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "告知书2024.10"), "PDF 文件 (*.pdf)")))
    select_rows(win.letters, [0])
    win.letters.save_selected()
    assert earlier.read_bytes() == b"earlier batch"
    saved = tmp_path / "告知书2024.10.pdf"
    assert saved.read_bytes().startswith(b"%PDF") and str(saved) in win.statusBar().currentMessage()


def test_one_helper_names_every_output():
    from gui import dialogs, export_view, letters_view
    assert export_view.named is dialogs.named and letters_view.named_target is dialogs.named_target
    assert not hasattr(export_view, "_named")
    assert dialogs.named(Path("公示名单2024.10"), ".pdf") == Path("公示名单2024.10.pdf")
    assert dialogs.named(Path("公示名单.xlsx"), ".pdf") == Path("公示名单.pdf")
    assert dialogs.named(Path("公示名单.PDF"), ".pdf") == Path("公示名单.PDF")


# -- what a printed letter told (core.told) ----------------------------------------

def test_a_print_records_what_its_letters_told_not_the_data_changed_since(win, demo_db, tmp_path, qtbot):
    """The data changed between the letters' making and their print (another program, a second
    window): the letters in the printer still tell the old amounts, so that is what is recorded, and
    the check asks for a second letter."""
    from core.told import told_total
    from db.usecases import check, edit_student
    page = win.letters
    preview, keys = open_preview(page, qtbot, [0])
    edit_student(demo_db, keys[0], {"category": "NONE"})        # no subsidy any more
    preview.ask_printer = lambda: pdf_printer(tmp_path / "old.pdf")
    preview.print_button.click()
    with demo_db.session() as s:
        key = s.get(Student, keys[0]).notified_told
    assert key is not None and told_total(key) > 0          # what the printed letter says
    run = check(demo_db)
    assert [f.student_key for f in run.findings if f.code == "NOTIFIED_CHANGED"] == [keys[0]]


def test_saved_letters_are_recorded_as_printed_only_when_the_clerk_says_so(win, demo_db, tmp_path, monkeypatch):
    """另存为 PDF for a print shop: the saved letters can be recorded as told (what they tell), or later."""
    from PySide6.QtWidgets import QFileDialog

    from gui.letters_view import LettersPage
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "店.pdf"), "PDF 文件 (*.pdf)")))
    keys = select_rows(win.letters, [0, 1])
    win.letters.save_selected()                        # 以后再说 (the shown fixture's answer)
    assert told(demo_db, keys) == [False, False]
    asked: list[int] = []
    monkeypatch.setattr(LettersPage, "ask_record_saved", lambda self, count: asked.append(count) or True)
    select_rows(win.letters, [0, 1])
    win.letters.save_selected()
    assert asked == [2] and told(demo_db, keys) == [True, True]
    with demo_db.session() as s:
        assert all(s.get(Student, k).notified_told for k in keys)
    assert "已记录 2 份告知书为已打印" in win.statusBar().currentMessage()


def test_printing_the_same_letters_again_says_they_were_recorded_before(win, demo_db, tmp_path, qtbot):
    page = win.letters
    preview, _keys = open_preview(page, qtbot, [0, 1])
    preview.ask_printer = lambda: pdf_printer(tmp_path / "1.pdf")
    preview.print_button.click()
    assert "已记录 2 份告知书为已打印" in win.statusBar().currentMessage()
    again, _ = open_preview(page, qtbot, [0, 1])
    again.ask_printer = lambda: pdf_printer(tmp_path / "2.pdf")
    again.print_button.click()
    assert "已记录 0 份告知书为已打印；另有 2 份此前已记录，告知内容相同" in win.statusBar().currentMessage()


def test_confirm_replace_is_the_one_question_box(monkeypatch):
    from gui import dialogs
    asked = []
    monkeypatch.setattr(dialogs, "ask_buttons", lambda *a: asked.append(a) or 0)
    assert dialogs.confirm_replace(None, [Path("/tmp/x/告知书v1.1.pdf")], "告知书") is True
    (_parent, title, text, _info, buttons, default, escape) = asked[0]
    assert title == "文件已存在" and "“告知书v1.1.pdf”" in text and "新的告知书" in text
    assert buttons == [("替换", "accept"), ("取消", "reject")] and default == escape == 1
    monkeypatch.setattr(dialogs, "ask_buttons", lambda *a: 1)
    assert dialogs.confirm_replace(None, [Path("/tmp/x/a.pdf")], "告知书") is False
