"""Shared fixtures. Qt runs headless on a 1024×768 screen: the platform is set before anything imports Qt."""
import os
import tempfile

# Headless, on the screen of many school PCs: 1024×768 (the offscreen platform's default is 800×800).
_SCREEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "screen-1024x768.json")
# (Qt splits the platform's arguments at ":", so a Windows drive letter keeps the default screen.)
os.environ["QT_QPA_PLATFORM"] = "offscreen" if ":" in _SCREEN else f"offscreen:configfile={_SCREEN}"
# Never touch the real user data or log folders from a test.
os.environ["ZIZHU_HOME"] = tempfile.mkdtemp(prefix="zizhu-test-home-")

import pytest  # noqa: E402 - after the environment above: nothing may start Qt before it


@pytest.fixture
def db(tmp_path):
    """An empty, migrated database."""
    from db.session import open_database
    d = open_database(tmp_path / "t.sqlite")
    yield d
    d.close()


@pytest.fixture
def demo_db(db):
    """The database filled with 120 demo students (and their roster)."""
    from db.workflows import fill_demo
    fill_demo(db, n_students=120)
    return db


@pytest.fixture
def shown(monkeypatch):
    """GUI tests: background tasks run inline and errors the GUI would show are
    collected here instead of a modal box. Any left at the end fail the test
    (a test that expects one clears the list)."""
    from gui import errors, notes, worker
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(errors, "_show_box", lambda parent, msg, hint: seen.append((msg, hint)))
    monkeypatch.setattr(notes, "_exec_box", lambda box: None)     # a warnings box: built, not waited for
    from gui.policy_view import PolicyPage  # a window closed with policy changes: 不保存, no modal box
    monkeypatch.setattr(PolicyPage, "ask_unsaved", lambda self: "discard")
    from gui.settings_view import SettingsPage  # the same for unsaved settings: 放弃修改
    monkeypatch.setattr(SettingsPage, "ask_discard", lambda self, boxes: True)
    from gui.students.form import StudentForm  # and for a student form's edits: 放弃修改
    monkeypatch.setattr(StudentForm, "confirm_discard", lambda self: True)
    from gui.receiving.result_form import ResultForm  # and for spot-check results typed: 放弃修改
    monkeypatch.setattr(ResultForm, "ask_discard", lambda self: True)
    from gui.policy_item_form import ItemForm  # and for a subsidy item's form: 放弃修改
    monkeypatch.setattr(ItemForm, "confirm_discard", lambda self: True)
    from gui.letters_view import LettersPage  # saved letters: not recorded as printed (以后再说)
    monkeypatch.setattr(LettersPage, "ask_record_saved", lambda self, count: False)
    from gui import reason_dialog  # a reason another test left unwritten is not offered in this one
    monkeypatch.setattr(reason_dialog, "_UNWRITTEN", {})
    with worker.synchronous():
        yield seen
    assert seen == [], f"unexpected error shown: {seen}"


@pytest.fixture
def app_font(qapp):
    """The bundled CJK font the real application uses (the widths depend on it)."""
    from gui.app import install_font
    old = qapp.font()
    assert install_font(qapp)
    yield
    qapp.setFont(old)


def open_main_window(qtbot, database, page=None):
    """The main window on ``database``, shown and loaded (optionally on ``page``)."""
    from gui.main_window import MainWindow
    w = MainWindow(database)
    qtbot.addWidget(w)
    w.show()
    w.reload_all()
    if page is not None:
        w.show_page(page)
    return w


def xlsx(path, header, *rows, title=None):
    """A small .xlsx for import tests: an optional title row, the header row, then ``rows``."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def numbered_students_file(path, ids, n):
    """学生0…学生n-1, 普通高中, with the given ID numbers."""
    return xlsx(path, ["姓名", "身份证号", "学段"], *([f"学生{i}", ids[i], "普通高中"] for i in range(n)))


def two_student_school(path, county="建始县", phones=True, contact=None, roster_extra=()):
    """A school of two registered students (张丽 普通高中 with fees, 李四 学前教育), both on the
    roster (plus ``roster_extra`` ID numbers), the 普通高中 tuition standard set, no error
    findings. ``county`` "" leaves 公文信息 unset; ``contact`` adds phone/bank card to 张丽.
    Returns the closed database's path."""
    from datetime import date

    from core.idnumber import make_id
    from core.records import ParsedRow
    from db import store
    from db.importing import apply_plan, plan_import
    from db.official import set_official
    from db.session import open_database
    hs, pre = make_id("110101", date(2008, 5, 1), 123), make_id("110101", date(2019, 3, 1), 124)
    d = open_database(path)
    with d.session() as s:
        tel = {"contact_phone": "0718-1234567", "supervision_phone": "0718-7654321"} if phones else {}
        store.init_school(s, "第一中学", "1", 2023, actor="t", **tel)
        if county:
            set_official(s, "county", county, actor="t")
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="t")
        students = [
            {"name": "张丽", "id_number": hs, "id_raw": hs, "stage": "普通高中", "category": "REGISTERED",
             "tuition_fen": 100000, "textbook_fen": 20000, "lodging_fen": 0, "head_name": "张父",
             **(contact or {})},
            {"name": "李四", "id_number": pre, "id_raw": pre, "stage": "学前教育", "category": "REGISTERED",
             "head_name": "李父"},
        ]
        fields = ["name", "id_number", "stage", "category", "tuition", "textbook", "lodging", "head_name",
                  *(contact or {})]
        apply_plan(s, plan_import(s, "students", [ParsedRow(i, v) for i, v in enumerate(students)], [], fields))
        people = [{"name": "张丽", "id_number": hs}, {"name": "李四", "id_number": pre}]
        people += [{"name": f"成员{i}", "id_number": x} for i, x in enumerate(roster_extra)]
        apply_plan(s, plan_import(s, "roster", [ParsedRow(i, v) for i, v in enumerate(people)], [],
                                  ["name", "id_number"]))
    d.close()
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh data folder; an earlier in-process start's private temp folder is forgotten."""
    import tempfile

    from core import paths
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(paths, "_process_tmp", None)
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    return tmp_path / "home"

