"""The 政策 page is made when first needed (``MainWindow.policy``), not with the window: its widgets
stay out of the program's start. Made later, it shows what is stored then and gets every
change after; the questions that need it (may the window close, which page a setting's key opens)
are answered as before."""
import pytest
from conftest import open_main_window

from db.changes import Changes
from db.settings import policy, save_policy
from gui import worker
from gui.main_window import POLICY, SETTINGS

pytestmark = pytest.mark.usefixtures("shown")
KEY = "tuition_standard.普通高中"


def shown_value(win):
    return win.policy.parameters.edits[KEY].text()


def test_made_when_first_shown_with_what_is_stored_then(qtbot, demo_db):
    win = open_main_window(qtbot, demo_db)
    assert win._policy is None and win.may_leave(lambda: None)      # nothing unsaved on a page not made
    saved = save_policy(demo_db, {KEY: "1234"})            # a change before the page exists
    win.apply_changes(saved.changes)
    assert win._policy is None
    win.show_page(POLICY)
    page = win.policy
    assert win.stack.currentIndex() == POLICY and page.isVisible()       # in its place in the stack
    assert page.saved is not None and page.saved.sha256 == policy(demo_db).sha256
    assert shown_value(win) == "1234.00"
    win.apply_changes(save_policy(demo_db, {KEY: "1300"}).changes)   # and one after: routed to it
    assert shown_value(win) == "1300.00" and page.saved.sha256 == policy(demo_db).sha256
    win.show_page(SETTINGS)                                 # leaving it (nothing unsaved) and back
    win.show_page(POLICY)
    assert win.policy is page and page.isVisible()


def test_a_parameter_key_opens_the_policy_page_once_its_first_read_is_back(qtbot, demo_db):
    win = open_main_window(qtbot, demo_db)
    assert win._policy is None
    old = worker.SYNCHRONOUS
    worker.SYNCHRONOUS = False                   # the page's first read still on its way when asked
    try:
        win.open_setting(KEY)
        assert win._policy is not None and win.policy.data is None
        qtbot.waitUntil(lambda: win.current_page() == POLICY, timeout=10000)
        qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    finally:
        worker.SYNCHRONOUS = old
    assert win.focusWidget() is win.policy.parameters.edits[KEY]
    win.open_setting("name")                     # not a parameter: 设置, at once (the page has its data)
    assert win.current_page() == SETTINGS


def test_the_school_year_change_reaches_a_policy_page_made_before(qtbot, demo_db):
    win = open_main_window(qtbot, demo_db, POLICY)
    page = win.policy
    seen = []
    page.show_data = lambda data, real=page.show_data: seen.append(data) or real(data)
    win.apply_changes(Changes.SCHOOL)
    assert len(seen) == 1


def test_a_setting_s_key_is_shown_at_once_while_the_worker_is_busy(qtbot, demo_db, monkeypatch):
    """Review fix: 去设置 for a 设置 key does not wait for the 政策 page's first read behind a long
    task (the start-up check at county size: seconds); a policy key shows 政策 at once and puts the
    cursor in its field once the read is back."""
    import threading
    win = open_main_window(qtbot, demo_db)
    gate = threading.Event()
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    try:
        worker.run_task(gate.wait, 20, parent=win)        # a long task in the one queue
        win.open_setting("county")
        assert win.current_page() == SETTINGS
        win.open_setting(KEY)
        assert win.current_page() == POLICY                # at once, its parameter focused later
        assert win.policy.tabs.currentIndex() != win.policy.tabs.indexOf(win.policy.parameters)
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    assert win.current_page() == POLICY
    assert win.policy.tabs.currentIndex() == win.policy.tabs.indexOf(win.policy.parameters)


def test_a_policy_key_answered_later_does_not_pull_the_clerk_back(qtbot, demo_db, monkeypatch):
    import threading
    win = open_main_window(qtbot, demo_db)
    gate = threading.Event()
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    try:
        worker.run_task(gate.wait, 20, parent=win)
        win.open_setting(KEY)
        win.show_page(SETTINGS)                            # the clerk moves on meanwhile
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    assert win.current_page() == SETTINGS
