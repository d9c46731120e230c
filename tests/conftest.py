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
    from gui import errors, worker
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(errors, "_show_box", lambda parent, msg, hint: seen.append((msg, hint)))
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
