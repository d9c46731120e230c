"""At 1024×768 (many school PCs) the main window and every dialog fit the screen, and no
button's, check box's or label's text is cut (tests/screenfit.py measures them).

The tests run on a 1024×768 offscreen screen (tests/conftest.py); the program asks
``gui.screen.screen_geometry`` where the screen is, and these tests take a task bar
off it as well. ``ZIZHU_SHOTS=folder`` saves a screenshot of each."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import open_main_window
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDialog, QWidget
from screenfit import fit_problems

from gui import screen
from gui.main_window import PAGES

SCREEN = QRect(0, 0, 1024, 768 - 40)      # a Windows task bar at the bottom


@pytest.fixture
def small_screen(monkeypatch, app_font):
    monkeypatch.setattr(screen, "screen_geometry", lambda widget=None: QRect(SCREEN))
    return SCREEN


def settle(qtbot) -> None:
    qtbot.wait(30)          # layouts with word-wrapped labels need a few passes


def assert_fits(window: QWidget, qtbot, name: str) -> None:
    settle(qtbot)
    frame = QRect(window.pos(), window.size() + screen.FRAME)
    assert SCREEN.contains(frame), f"{name}: {frame} is not inside the screen {SCREEN}"
    assert fit_problems(window) == [], name
    folder = os.environ.get("ZIZHU_SHOTS")
    if folder:
        window.grab().save(str(Path(folder) / f"{name}.png"))


def test_fit_to_screen_clamps_size_and_position(small_screen, qtbot):
    dialog = QDialog()
    qtbot.addWidget(dialog)
    size = screen.fit_to_screen(dialog, 1120, 690)
    assert size.width() <= SCREEN.width() - screen.FRAME.width()
    assert size.height() == SCREEN.height() - screen.FRAME.height()
    assert SCREEN.contains(QRect(dialog.pos(), dialog.size() + screen.FRAME))
    small = QDialog()
    qtbot.addWidget(small)
    screen.fit_to_screen(small, 400, 300)
    assert (small.width(), small.height()) == (400, 300)      # a small dialog keeps its size


def test_every_page_fits_1024x768(small_screen, shown, qtbot, demo_db):
    win = open_main_window(qtbot, demo_db)
    win.action_collection.run_check.trigger()
    assert win.width() <= SCREEN.width() and win.height() <= SCREEN.height()
    for i, name in enumerate(PAGES):
        win.show_page(i)
        assert_fits(win, qtbot, f"page-{i}-{name}")


def test_every_dialog_fits_1024x768(small_screen, shown, qtbot, demo_db, tmp_path):
    win = open_main_window(qtbot, demo_db)
    win.show_page(1)
    first = win.students.model.row_at(0)
    form = win.students.open_student(first.id, modal=False)
    assert form is not None and form.width() < 1120          # it asks for 1120 px
    assert_fits(form, qtbot, "student-form")
    form.reject()

    from gui.reason_dialog import ReasonDialog
    reason = ReasonDialog("接受核查问题", "接受以下 12 个问题（数据无误）：", [f"问题 {i}" for i in range(12)],
                          "例如：已电话核实", win)
    qtbot.addWidget(reason)
    reason.show()
    assert_fits(reason, qtbot, "reason-dialog")

    from gui.settings_view import NewPassphraseDialog
    passphrase = NewPassphraseDialog(win)
    qtbot.addWidget(passphrase)
    passphrase.show()
    assert_fits(passphrase, qtbot, "new-passphrase")

    from gui.help import show_about
    about = show_about(win, modal=False)
    qtbot.addWidget(about)
    assert_fits(about, qtbot, "about")

    win.show_page(4)
    win.letters.preview_selected(modal=False)
    assert win.letters.preview is not None
    assert_fits(win.letters.preview, qtbot, "letters-preview")
    win.letters.preview.reject()

    wizard = win.open_import("students", modal=False)
    assert_fits(wizard, qtbot, "import-1-file")
    wizard.file_page.path_edit.setText(str(Path(__file__).parent / "data" / "office-students.xlsx"))
    wizard.next()
    assert wizard.preview_page.preview is not None
    assert_fits(wizard, qtbot, "import-2-preview")
    wizard.next()
    assert wizard.run_page.report is not None
    assert_fits(wizard, qtbot, "import-3-done")
    wizard.reject()


def test_first_start_wizard_fits_1024x768(small_screen, shown, qtbot, db):
    from db.views import unset_parameters
    from gui.first_start import FirstStartWizard
    wizard = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wizard)
    for page_id in wizard.pageIds():
        wizard.setStartId(page_id)
        wizard.restart()
        wizard.show()
        assert_fits(wizard, qtbot, f"first-start-{page_id}")


def test_fit_check_finds_a_cut_button_and_a_widget_outside(small_screen, qtbot):
    from PySide6.QtWidgets import QPushButton
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(300, 100)
    cut = QPushButton("核准筛选出的学生…", window)
    cut.setGeometry(0, 0, 60, 30)
    outside = QPushButton("确定", window)
    outside.setGeometry(280, 0, 80, 30)
    window.show()
    problems = fit_problems(window)
    assert any("核准筛选出的学生" in p and "文字宽" in p for p in problems)
    assert any("确定" in p and "超出" in p for p in problems)


@pytest.mark.parametrize("scaled", [QRect(0, 0, 1093, 614 - 40), QRect(0, 0, 911, 512 - 40)],
                         ids=["1366x768-at-125%", "1366x768-at-150%"])
def test_the_main_window_fits_a_scaled_small_screen(monkeypatch, app_font, shown, qtbot, demo_db, scaled):
    """Windows' display scaling on a 1366×768 laptop leaves 1093×574 (125 %) or 911×472 (150 %)
    logical pixels above the task bar: the window's fixed minimum (900×560) put the status bar
    under the task bar."""
    monkeypatch.setattr(screen, "screen_geometry", lambda widget=None: QRect(scaled))
    win = open_main_window(qtbot, demo_db)
    for i, _name in enumerate(PAGES):
        win.show_page(i)
        settle(qtbot)
        frame = QRect(win.pos(), win.size() + screen.FRAME)
        assert scaled.contains(frame), f"page {i}: {frame} is not inside {scaled}"
        # nothing cut either: the lists' count line wraps beside a row of buttons at 150 %
        assert fit_problems(win) == [], f"page {i}"


def test_a_wrapping_label_keeps_one_line_while_the_row_has_room(qtbot):
    """The lists' count line: one line when the row has room (a plain word-wrapped label wrapped there
    too, beside a stretch), two lines when a row of buttons leaves too little (not cut)."""
    from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton
    row = QWidget()
    qtbot.addWidget(row)
    layout = QHBoxLayout(row)
    button = QPushButton("核准筛选出的学生…")
    layout.addWidget(button)
    layout.addStretch(1)
    label = screen.WrappingLabel()
    label.setText("共 299 人（另有 1 人已移出名单）")
    layout.addWidget(label)
    one_line = QLabel(label.text()).sizeHint().height()
    row.resize(700, 60)
    row.show()
    qtbot.waitUntil(lambda: label.width() > 0)
    assert label.heightForWidth(label.width()) <= one_line + 2 and fit_problems(row) == []
    row.resize(button.sizeHint().width() + label.sizeHint().width() * 2 // 3 + 40, 80)
    qtbot.waitUntil(lambda: label.heightForWidth(label.width()) > one_line + 2)
    assert fit_problems(row) == []


def test_the_findings_description_is_readable_at_1024x768(small_screen, shown, qtbot, demo_db):
    """说明 had about 110 px ("身份证号 42282…" on every row) beside an empty 处理说明 of 150 (GUI review,
    session 29)."""
    from gui.main_window import FINDINGS
    win = open_main_window(qtbot, demo_db)
    win.action_collection.run_check.trigger()
    win.show_page(FINDINGS)
    settle(qtbot)
    view = win.findings.view
    em = view.fontMetrics().horizontalAdvance("中")
    assert view.columnWidth(4) >= 14 * em, (view.columnWidth(4), em)
    assert view.columnWidth(7) < view.columnWidth(4)


def test_the_dashboard_has_no_tab_stop_that_shows_nothing(small_screen, shown, qtbot, demo_db):
    from PySide6.QtCore import Qt
    win = open_main_window(qtbot, demo_db)
    win.show_page(0)
    assert win.dashboard.scroll_area.focusPolicy() == Qt.FocusPolicy.NoFocus


def test_no_sorted_column_is_narrower_than_its_header_with_the_sort_arrow(shown, qtbot, demo_db):
    """The arrow of a sorted 性别 or 学段 column was drawn over its header's text (GUI review, session 29):
    a list's column, once sorted by, is at least what the style asks for its header with the arrow."""
    from PySide6.QtWidgets import QHeaderView

    from gui.list_page import ListPage
    win = open_main_window(qtbot, demo_db)
    pages = win.findChildren(ListPage)
    assert len(pages) >= 4
    for page in pages:
        header = page.view.horizontalHeader()
        for col in range(header.count() - 1):         # (the last column stretches over the room left)
            if header.sectionResizeMode(col) == QHeaderView.ResizeMode.Stretch:
                continue
            text = page.view.model().headerData(col, header.orientation())
            header.setSortIndicator(col, header.sortIndicatorOrder())
            assert page.view.columnWidth(col) >= header.sectionSizeFromContents(col).width(), (
                type(page).__name__, text, page.view.columnWidth(col))
