"""`make screenshots`: the manual's pictures (docs/manual/*.png), taken from the real program.

Run under a virtual display at 1366×768 (``xvfb-run -a -s "-screen 0 1366x768x24"``; without a
display the script falls back to Qt's offscreen platform with a 1366×768 screen). Everything
happens in a temporary data folder (``ZIZHU_HOME``): a school database filled with the demo data
and worked on a little through the program's own use cases (checked, a finding accepted with a
reason, a student taken off the list, students verified, letters printed, a draft package
exported so the key exists), and a receiving database (a station) with two school packages
taken in. The real main window then walks every page of its navigation (each tab of a page too)
and the dialogs a clerk meets; a modal dialog is caught where the program opens it
(``QDialog.exec``), photographed and closed.

A view the program does not have (yet) is reported and skipped, never a crash. Every picture
is also measured with tests/screenfit.py: a label, button or check box whose text is cut is
reported. The file names are stable (``SHOT_NAMES`` and the pinyin of a tab's title), so the
manual's links stay right when the pictures are taken again.

Usage: ``python tools/screenshots.py [OUT_DIR]`` (default docs/manual; ``--help`` says so).
Exit 0 when every expected view was taken and nothing is cut; 1 otherwise (the report says
what); 2 for a bad argument.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))      # this checkout's program, not another one the environment points to
WIDTH, HEIGHT = 1366, 768
PASSPHRASE = "manual-screens-1"
STATION = "龙坪乡扶贫工作站"


def _school_year() -> int:
    """The school year running today (the receiving side's packages are on time, not 迟报)."""
    from datetime import date
    today = date.today()
    return today.year if today.month >= 9 else today.year - 1


SCHOOL_YEAR = _school_year()

# A navigation title -> the stable file name of its page. A page not listed here is still taken
# (as page-N) and reported, so a new page gets its name here and its section in the manual.
SHOT_NAMES = {"工作台": "dashboard", "学生名册": "students", "建档立卡名单": "roster", "核查问题": "findings",
              "告知书": "letters", "导出上报": "export", "政策": "policy", "设置": "settings", "汇总": "receiving"}
# The pages taken on the station's database (the others are the school's).
RECEIVER_PAGES = frozenset({"receiving"})
# Views the manual shows; each must be in the program (the report names the ones that are not).
EXPECTED = ("first-start-school", "first-start-official", "first-start-policy", "dashboard", "students",
            "student-form", "remove-reason", "roster", "import-file", "import-preview", "import-done",
            "findings", "accept-reason", "letters", "letters-preview", "export", "export-passphrase",
            "policy", "policy-item-form", "policy-preview", "settings", "settings-backup", "about", "about-notices",
            "receiving", "trust-keys", "trust-add-key", "receiving-intake-result", "feedback-findings",
            "feedback-fixed")


def _prepare_platform() -> Path | None:
    """xcb on a display (xvfb-run); otherwise the offscreen platform on a 1366×768 screen, described
    in a temporary folder (returned, for the caller to remove; None: no folder made)."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    folder = Path(tempfile.mkdtemp(prefix="zizhu-shots-screen-"))
    screen = folder / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "Manual", "x": 0, "y": 0, "width": WIDTH,
                                               "height": HEIGHT, "logicalDpi": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    return folder


def slug(text: str) -> str:
    """A file-name part from a Chinese title: its pinyin, ASCII only ("资助项目" -> "zizhuxiangmu")."""
    from pypinyin import lazy_pinyin
    out = "".join(lazy_pinyin(text.split("（")[0]))
    return "".join(ch for ch in out.lower() if ch.isascii() and ch.isalnum()) or "x"


class Shooter:
    """Saves pictures and keeps the report: what was taken, what is missing, what is cut."""

    def __init__(self, out: Path) -> None:
        from PySide6.QtWidgets import QApplication
        self.out = out
        self.app = QApplication.instance()
        self.taken: list[str] = []
        self.missing: list[str] = []          # failed walks
        self.absent: list[str] = []           # views the program does not have
        self.cut: dict[str, list[str]] = {}
        sys.path.insert(0, str(ROOT / "tests"))
        from screenfit import fit_problems
        self._fit_problems = fit_problems

    def settle(self, rounds: int = 6) -> None:
        from PySide6.QtCore import QCoreApplication, QEventLoop, QThread

        from gui import worker
        worker.wait_for_idle()
        for _ in range(rounds):          # word-wrapped labels need a few layout passes
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            QThread.msleep(15)

    def shot(self, name: str, widget: Any) -> None:
        self.settle()
        path = self.out / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise RuntimeError(f"cannot save {path}")
        self.taken.append(name)
        problems = self._fit_problems(widget)
        if problems:
            self.cut[name] = problems
        print(f"  {name}.png" + (f"  ({len(problems)} cut)" if problems else ""))

    def step(self, name: str, action: Callable[[], None]) -> None:
        """Run one walk; a view the program lacks (or any failure) is reported, not raised."""
        try:
            action()
        except AttributeError as exc:         # a page or dialog the program does not have (yet)
            self.absent.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a failed view is a report line, not a crash
            self.missing.append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()

    @contextmanager
    def dialogs(self, name: str, prepare: Callable[[Any], None] | None = None) -> Iterator[list[Any]]:
        """Every modal dialog opened inside the block is shown, taken as ``name`` (``name-2``, …)
        and closed unanswered (``prepare(dialog)`` may fill it in first)."""
        from PySide6.QtWidgets import QDialog, QMessageBox
        seen: list[Any] = []
        originals = {cls: cls.__dict__.get("exec") for cls in (QDialog, QMessageBox)}

        def fake_exec(dialog: Any) -> int:
            seen.append(dialog)
            dialog.show()
            if prepare is not None:
                prepare(dialog)
            self.shot(name if len(seen) == 1 else f"{name}-{len(seen)}", dialog)
            dialog.hide()
            return 0
        for cls in originals:
            cls.exec = fake_exec  # type: ignore[method-assign]
        try:
            yield seen
        finally:
            for cls, original in originals.items():
                if original is None:
                    del cls.exec
                else:
                    cls.exec = original  # type: ignore[method-assign]
        if not seen:
            raise RuntimeError(f"no dialog opened for {name}")


# -- the databases ---------------------------------------------------------------------------

def school_database(path: Path) -> None:
    """The demo school, worked on through the program's use cases: checked, a warning accepted
    with its reason, one student with an open error taken off the list, two thirds of the others
    verified, some letters printed and their receipts back. No key yet (the export's first
    passphrase dialog is taken first)."""
    from db import usecases
    from db.session import open_database
    from db.views import finding_rows, snapshot
    from db.workflows import fill_demo
    db = open_database(path)
    try:
        fill_demo(db, n_students=300)
        usecases.check(db)
        open_rows = finding_rows(db, include_fixed=False)
        warning = next((f for f in open_rows if f.severity == "warning" and f.student_id is not None), None)
        if warning is not None:
            usecases.accept_findings(db, [warning.id], "已电话核实，户口簿上即为此写法")
        error = next((f for f in open_rows if f.severity == "error" and f.student_id is not None), None)
        if error is not None and error.student_id is not None:
            usecases.remove(db, [error.student_id], "已转学，转出证明已存档")
        rows = [r for r in snapshot(db).students if not r.removed]
        usecases.verify(db, [r.id for r in rows[: len(rows) * 2 // 3]], skip_blocked=True)
        letters = [r.id for r in snapshot(db).letters]
        usecases.record_printed(db, letters[:60])
        usecases.record_receipts(db, letters[:35], True)
    finally:
        db.close()


NAMES = ("王小明", "李春花", "张建国", "刘芳", "陈思远", "杨雪梅", "赵磊", "黄丽娟", "周文博", "吴晓燕",
         "徐海涛", "孙玉兰", "马俊杰", "朱红霞", "胡志强", "郭美玲", "何家豪", "高秀英", "林子涵", "罗新宇")


def receiving_files(folder: Path) -> dict[str, Any]:
    """Three schools' databases and packages made by the program (tests/receiving_fixtures.py):
    two send a final package (sharing one student: a cross-school finding), the third only its
    public key; the list of expected schools names a fourth that sent nothing (缺报)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from openpyxl import Workbook
    from receiving_fixtures import high_school_kid, school_package
    year = SCHOOL_YEAR
    first = [high_school_kid(NAMES[i], i + 1) for i in range(12)]
    second = [high_school_kid(NAMES[i], i + 1) for i in range(11, 20)]      # NAMES[11] in both
    a = school_package(folder, code="4228220101", name="龙坪乡民族中学", township="龙坪乡", students=first,
                       year=year)
    b = school_package(folder, code="4228220202", name="花坪镇初级中学", township="花坪镇", students=second,
                       year=year)
    c = school_package(folder, code="4228220303", name="茅田乡中心学校", township="茅田乡",
                       students=[high_school_kid("谭明亮", 40)], draft=True, year=year)
    expected = folder / "应报学校名单.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["学校代码", "学校名称", "乡镇", "学段"])
    for code, name, town in ((a.code, a.name, a.township), (b.code, b.name, b.township),
                             (c.code, c.name, c.township), ("4228220404", "景阳镇中心小学", "景阳镇")):
        ws.append([code, name, town, "普通高中"])
    wb.save(expected)
    return {"packages": [a.path, b.path, c.path], "keys": [a, b], "spare_key": c, "expected": expected,
            "school": a}


def receiver_database(path: Path, files: dict[str, Any]) -> None:
    """The township station: the first two schools' keys registered, the expected schools imported."""
    from receiving_fixtures import receiver_db

    from db import trust_store
    from db.receiving_status import import_expected_schools
    from db.session import open_database
    receiver_db(path, name=STATION, code="ST4228", year=SCHOOL_YEAR)
    db = open_database(path)
    try:
        for pkg in files["keys"]:
            trust_store.register(db, trust_store.read_key_file(pkg.key_file, pkg.name), township=pkg.township)
        import_expected_schools(db, files["expected"])
    finally:
        db.close()


def import_file(path: Path) -> Path:
    """A student list as a school keeps it: a title row, the header, a merged category, a wrong ID
    number, a footer."""
    from datetime import date

    from openpyxl import Workbook

    from core.idnumber import make_id
    wb = Workbook()
    ws = wb.active
    ws.append(["建始县第一高级中学 2023学年 学生名单"])
    ws.append(["姓名", "身份证号", "学段", "年级", "家庭类别", "户主姓名"])
    for n, (name, grade) in enumerate((("田甜", "高一"), ("向东", "高二"), ("冉静", "高三"))):
        number = make_id("422822", date(2007, 3, 1 + n), 700 + n)
        ws.append([name, number, "普通高中", grade, "建档立卡", f"{name[0]}父"])
    ws.append(["覃飞", "42282220070231123X", "普通高中", "高一", "非困难", "覃父"])    # no 31 February
    ws.append(["制表人：李老师", "", "", "审核人：王校长"])
    ws["E4"].value = None
    ws.merge_cells("E3:E4")         # one family category over two rows: read on each (the preview says so)
    wb.save(path)
    return path


# -- the walks -------------------------------------------------------------------------------

def walk_first_start(sh: Shooter, folder: Path) -> None:
    from db.session import open_database
    from db.views import unset_parameters
    from gui.first_start import FirstStartWizard
    db = open_database(folder / "新学校.sqlite")
    wizard = FirstStartWizard(db, unset_parameters(db))
    try:
        page = wizard.school_page
        page.name.setText("建始县第一高级中学")
        page.code.setText("3642000123")
        page.township.setText("业州镇")
        form = wizard.official_page.form
        for name, value in (("county", "建始县"), ("contact_phone", "0718-3321234")):
            edit = getattr(form, "edits", {}).get(name)
            if edit is not None:
                edit.setText(value)
        names = ["first-start-school", "first-start-official", "first-start-policy"]
        for page_id, name in zip(wizard.pageIds(), names, strict=False):
            wizard.setStartId(page_id)
            wizard.restart()
            wizard.show()
            sh.shot(name, wizard)
    finally:
        wizard.hide()
        wizard.deleteLater()
        db.close()


def open_window(db_path: Path) -> Any:
    """The main window as the program opens it (gui.databases: its title, the demo bar), filling
    the 1366×768 screen."""
    from PySide6.QtWidgets import QApplication

    from db.session import open_database
    from gui.databases import DatabaseSwitcher
    switcher = DatabaseSwitcher()
    switcher.start(open_database(db_path))
    win = switcher.window
    if win is None:
        raise RuntimeError(f"no window on {db_path}")
    win.setGeometry(QApplication.primaryScreen().availableGeometry())
    win.statusBar().clearMessage()          # "已打开数据库：/tmp/…" names the temporary folder
    return switcher, win


def page_name(title: str, index: int) -> str:
    return SHOT_NAMES.get(title, f"page-{index + 1}")


def shoot_tabs(sh: Shooter, name: str, win: Any, page: Any) -> None:
    """Each further tab of the page's tab widgets (nested ones too), named by the tab's pinyin."""
    from PySide6.QtWidgets import QTabWidget

    def outer(tabs: QTabWidget) -> bool:        # not inside another tab widget of the page
        parent = tabs.parentWidget()
        while parent is not None and parent is not page:
            if isinstance(parent, QTabWidget):
                return False
            parent = parent.parentWidget()
        return True

    def walk(tabs: QTabWidget, prefix: str) -> None:
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            here = f"{prefix}-{slug(tabs.tabText(i))}"
            if i > 0:
                sh.shot(here, win)
            for inner in tabs.widget(i).findChildren(QTabWidget):
                if inner.parentWidget() is not None and _nearest_tabs(inner) is tabs:
                    walk(inner, here)
        tabs.setCurrentIndex(0)
    for tabs in page.findChildren(QTabWidget):
        if outer(tabs) and tabs.isVisibleTo(page):
            walk(tabs, name)


def _nearest_tabs(widget: Any) -> Any:
    from PySide6.QtWidgets import QTabWidget
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QTabWidget):
        parent = parent.parentWidget()
    return parent


def walk_pages(sh: Shooter, win: Any, prepare: dict[str, Callable[[], None]],
               only: frozenset[str] | None = None) -> None:
    """Every page the navigation shows (or the ``only`` ones), with ``prepare[name]()`` run
    first (a selection)."""
    for index in range(win.nav.count()):
        item = win.nav.item(index)
        name = page_name(item.text(), index)
        if item.isHidden() or (only is not None and name not in only):
            continue
        if name.startswith("page-"):
            sh.missing.append(f"{name}: page “{item.text()}” has no file name in SHOT_NAMES (nor a manual section?)")

        def one(index: int = index, name: str = name) -> None:
            win.show_page(index)
            if name in prepare:
                prepare[name]()
            sh.shot(name, win)
            shoot_tabs(sh, name, win, win.stack.widget(index))
        sh.step(name, one)


def select_first(view: Any, proxy: Any, test: Callable[[Any], bool], rows: Callable[[Any], Any]) -> Any:
    """Select the first row (in the view's order) whose source row passes ``test``; returns it."""
    from PySide6.QtCore import QItemSelectionModel
    for r in range(proxy.rowCount()):
        index = proxy.index(r, 0)
        row = rows(index)
        if test(row):
            view.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                         | QItemSelectionModel.SelectionFlag.Rows)
            view.scrollTo(index)
            return row
    raise RuntimeError("no row to select")


def fill_reason(text: str) -> Callable[[Any], None]:
    def prepare(dialog: Any) -> None:
        edit = getattr(dialog, "edit", None)
        if edit is not None:
            edit.setText(text)
    return prepare


def walk_school(sh: Shooter, folder: Path, db_path: Path) -> None:
    from db.exports import export_package
    from gui.help import show_about
    switcher, win = open_window(db_path)
    findings, students, letters = win.findings, win.students, win.letters

    def error_finding() -> None:
        select_first(findings.view, findings.proxy, lambda r: r.severity == "error" and r.state.value == "open",
                     findings.source_row)

    def some_students() -> None:
        select_first(students.view, students.proxy, lambda r: not r.verified, students.source_row)

    def some_letters() -> None:
        letters.view.selectRow(0)

    # the export's first passphrase (the key is made at the first export), then the key itself
    def passphrase() -> None:
        win.show_page(win.stack.indexOf(win.export))
        win.export.draft.setChecked(True)
        win.export.ask_target = lambda: folder / "草稿上报包.zip"
        with sh.dialogs("export-passphrase", fill_passwords):
            win.export.export()
        export_package(win.db, folder / "草稿上报包.zip", PASSPHRASE, draft=True)
        win.export.draft.setChecked(False)
        win.settings.reload()
    sh.step("export-passphrase", passphrase)

    def first_version() -> None:              # 版本: the oldest one, so 与当前版本的差异 has something to say
        versions = win.policy.versions
        versions.view.selectRow(versions.proxy.rowCount() - 1)

    walk_pages(sh, win, {"findings": error_finding, "students": some_students, "letters": some_letters,
                         "policy": first_version})

    def student_form() -> None:
        win.show_page(win.stack.indexOf(students))
        row = error_row_student(findings)
        form = students.open_student(row.student_id, modal=False, highlight=row.field)
        if form is None:
            raise RuntimeError("the student form did not open")
        form.resize(form.width(), min(form.height(), 740))
        sh.shot("student-form", form)
        form.reject()
    sh.step("student-form", student_form)

    def remove_reason() -> None:
        win.show_page(win.stack.indexOf(students))
        some_students()
        with sh.dialogs("remove-reason", fill_reason("已转学，转出证明已存档")):
            students.remove_selected()
    sh.step("remove-reason", remove_reason)

    def accept_reason() -> None:
        win.show_page(win.stack.indexOf(findings))
        select_first(findings.view, findings.proxy, lambda r: r.severity == "warning" and r.state.value == "open",
                     findings.source_row)
        with sh.dialogs("accept-reason", fill_reason("已核对户口簿原件，姓名为异体字")):
            findings.accept_selected()
    sh.step("accept-reason", accept_reason)

    def letters_preview() -> None:
        win.show_page(win.stack.indexOf(letters))
        letters.view.selectRow(0)
        letters.preview_selected(modal=False)
        if letters.preview is None:
            raise RuntimeError("no letters preview")
        sh.shot("letters-preview", letters.preview)
        letters.preview.reject()
    sh.step("letters-preview", letters_preview)

    def settings_backup() -> None:
        win.show_page(win.stack.indexOf(win.settings))
        box = win.settings.backup_box
        box.backup_now()                        # 立即备份: the box shows the newest backup
        win.settings.scroll_area.ensureWidgetVisible(box)
        sh.shot("settings-backup", box)
    sh.step("settings-backup", settings_backup)

    def about() -> None:
        dialog = show_about(win, modal=False)
        sh.shot("about", dialog)
        dialog.notices_button.click()
        sh.settle()
        sh.shot("about-notices", dialog.notices)
        dialog.reject()
    sh.step("about", about)

    def policy_preview() -> None:
        from gui.main_window import POLICY
        win.show_page(POLICY)    # the 政策 page (made when first shown: it sits in a holder in the stack)
        page = win.policy
        page.tabs.setCurrentIndex(page.tabs.indexOf(page.parameters))
        edit = page.parameters.edits["tuition_standard.普通高中"]
        edit.setText("1000")               # below what most pay: their 免学费 falls, verified ones included
        with sh.dialogs("policy-preview", note("按县教育局通知调整普通高中学费标准")):
            page.save()
        page.discard()
    sh.step("policy-preview", policy_preview)

    def policy_item() -> None:
        from gui.main_window import POLICY
        win.show_page(POLICY)
        page = win.policy
        page.tabs.setCurrentIndex(0)
        page.select_code("HS_TUITION")
        form = page.edit_item(modal=False)
        sh.shot("policy-item-form", form)
        form.reject()
    sh.step("policy-item-form", policy_item)

    def import_wizard() -> None:
        wizard = win.open_import("students", modal=False)
        wizard.file_page.path_edit.setText(str(import_file(folder / "学生名单.xlsx")))
        sh.shot("import-file", wizard)
        wizard.next()
        sh.shot("import-preview", wizard)
        wizard.next()
        sh.shot("import-done", wizard)
        wizard.reject()
    sh.step("import", import_wizard)
    win.close()
    switcher.close()


def note(text: str) -> Callable[[Any], None]:
    """Fill the first line edit of a dialog (the 变更预览's 版本说明)."""
    def prepare(dialog: Any) -> None:
        from PySide6.QtWidgets import QLineEdit
        edits = dialog.findChildren(QLineEdit)
        if edits:
            edits[0].setText(text)
    return prepare


def error_row_student(findings: Any) -> Any:
    for r in range(findings.proxy.rowCount()):
        row = findings.source_row(findings.proxy.index(r, 0))
        if row.student_id is not None and row.state.value == "open" and row.field:
            return row
    raise RuntimeError("no open finding about a student field")


def fill_passwords(dialog: Any) -> None:
    from PySide6.QtWidgets import QLineEdit
    for edit in dialog.findChildren(QLineEdit):
        edit.setText(PASSPHRASE)


def walk_receiver(sh: Shooter, folder: Path, db_path: Path, files: dict[str, Any]) -> None:
    from db.receiving import intake
    switcher, win = open_window(db_path)

    def take_in() -> None:
        page = win.receiving        # the 汇总 page (AttributeError while the program has none)
        win.show_receiving()
        page.ask_package_files = lambda: list(files["packages"])
        with sh.dialogs("receiving-intake-result"):
            page.add_packages()
    sh.step("receiving-intake-result", take_in)
    if not hasattr(win, "receiving"):          # taken in all the same: the status and the trust list
        intake(win.db, list(files["packages"]))

    def spot_sample() -> None:                 # 专项核查: a sample drawn, its checklists written
        tab = win.receiving.spotcheck
        tab.size_edit.setText("6")
        tab.seed_edit.setText("20260301")
        tab.ask_save = lambda title, name, filters: folder / name
        tab.open_file = lambda path: None      # the PDF is not shown in a viewer here
        tab.draw()
    sh.step("spot-sample", spot_sample)
    walk_pages(sh, win, {}, only=RECEIVER_PAGES)

    def trust_keys() -> None:
        settings = win.settings
        win.show_page(win.stack.indexOf(settings))
        settings.scroll_area.ensureWidgetVisible(settings.trust_box)
        settings.scroll_area.verticalScrollBar().setValue(settings.scroll_area.verticalScrollBar().maximum())
        sh.shot("trust-keys", win)
        spare = files["spare_key"]
        settings.trust_box.choose_key_file = lambda: spare.key_file
        with sh.dialogs("trust-add-key"):
            settings.trust_box.add_key()
    sh.step("trust-keys", trust_keys)
    win.close()
    switcher.close()


def feedback_file(folder: Path, station_path: Path, files: dict[str, Any]) -> Path:
    """The station's signed 反馈包 for the first school (its cross-school finding), and the
    station's public key registered in that school's database."""
    from db import trust_store
    from db.feedback_send import write_feedback
    from db.keys import export_public_key
    from db.session import open_database
    school = files["school"]
    station = open_database(station_path)
    try:
        written = write_feedback(station, school.code, folder / "反馈包.zip", PASSPHRASE)
        key = export_public_key(station, folder / "工作站公钥.txt")
    finally:
        station.close()
    db = open_database(school.db_path)
    try:
        trust_store.register(db, trust_store.read_key_file(key.path, STATION))
    finally:
        db.close()
    return written.path


def walk_feedback(sh: Shooter, school_path: Path, feedback: Path) -> None:
    """The school imports the station's 反馈包 (文件 → 导入反馈包…) and marks its finding fixed."""
    switcher, win = open_window(school_path)
    findings = win.findings

    def imported() -> None:
        findings.ask_feedback_path = lambda: feedback
        win.action_collection.import_feedback.trigger()
        win.show_page(win.stack.indexOf(findings))
        win.statusBar().clearMessage()
        select_first(findings.view, findings.proxy, lambda r: bool(r.origin), findings.source_row)
        sh.shot("feedback-findings", win)
        with sh.dialogs("feedback-fixed", fill_reason("已核实该生在花坪镇初级中学就读，本校名单已移出")):
            findings.mark_fixed_selected()
    sh.step("feedback-findings", imported)
    win.close()
    switcher.close()


def report(sh: Shooter) -> int:
    missing = [name for name in EXPECTED if name not in sh.taken]
    print(f"\n{len(sh.taken)} screenshots in {sh.out}")
    for line in sh.absent:
        print("NOT IN THE PROGRAM (skipped):", line)
    for line in sh.missing:
        print("NOT TAKEN:", line)
    for name in missing:
        print("MISSING:", name)
    for name, problems in sh.cut.items():
        for p in problems:
            print(f"CUT in {name}: {p}")
    return 1 if missing or sh.cut or sh.missing else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="screenshots.py", allow_abbrev=False,
        description="拍摄用户手册的插图（docs/manual/*.png）：在临时数据文件夹中用程序自己的操作建立学校和"
                    "汇总数据库，打开真实的主窗口逐页、逐个对话框截图，并检查文字是否被截断。",
        epilog="退出码：0 全部拍到且没有截断；1 有缺少或截断（输出中列出）；2 参数有误。"
               "建议在虚拟显示器中运行：xvfb-run -a -s \"-screen 0 1366x768x24\"（make screenshots）。")
    p.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "manual", metavar="OUT_DIR",
                   help="保存截图的文件夹（默认 docs/manual；不存在时建立）")
    return p


def main(argv: list[str] | None = None) -> int:
    out: Path = parser().parse_args(sys.argv[1:] if argv is None else argv).out
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="zizhu-shots-"))
    screen: Path | None = None
    try:
        screen = _prepare_platform()
        return shoot(out, home)
    finally:       # the databases, keys and packages made for the pictures are gone afterwards
        for folder in (home, screen):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


def shoot(out: Path, home: Path) -> int:
    """Every picture into ``out``, from databases made in ``home`` (a temporary folder)."""
    os.environ["ZIZHU_HOME"] = str(home / "home")       # never the clerk's data folder
    from gui import errors, worker
    from gui.app import setup_application
    app = setup_application([sys.argv[0]])
    shown: list[str] = []
    errors._show_box = lambda parent, message, hint: shown.append(f"{message} {hint}")
    sh = Shooter(out)
    with worker.synchronous():
        sh.step("first-start", lambda: walk_first_start(sh, home))
        school = home / "学校.sqlite"
        school_database(school)
        walk_school(sh, home, school)
        files = receiving_files(home / "schools")
        station = home / "工作站.sqlite"
        receiver_database(station, files)
        walk_receiver(sh, home, station, files)
        sh.step("feedback", lambda: walk_feedback(sh, files["school"].db_path, feedback_file(home, station, files)))
    sh.missing += [f"error shown: {text}" for text in shown]
    code = report(sh)
    app.processEvents()
    return code


if __name__ == "__main__":
    sys.exit(main())
