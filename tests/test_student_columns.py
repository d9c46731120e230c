"""The students as columns (db.student_columns): the snapshot and the student and letter lists hold
one sequence per field, not one object per student; the same texts, sorts and filters as rows."""
import gc
import weakref

import pytest
from conftest import open_main_window
from PySide6.QtCore import QCollatorSortKey, Qt
from PySide6.QtGui import QUndoStack
from sqlalchemy.engine import CursorResult

from core.idnumber import mask_id
from core.money import format_fen
from core.text import haystack
from db.student_columns import LetterColumns, StudentColumns, name_ranks
from db.usecases import remove, verify
from db.views import LetterRow, StudentRow, snapshot
from gui.collation import name_key_function
from gui.letters_view import COLUMNS as LETTER_COLUMNS
from gui.letters_view import LettersModel
from gui.students.model import COLUMNS, StudentTableModel
from gui.students.proxy import HAS_PROBLEMS, STATUS_CHOICES, StudentFilterProxy
from gui.students.view import StudentsPage

pytestmark = pytest.mark.usefixtures("shown")

ORDERS = (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder)


@pytest.fixture
def school(demo_db):
    """The demo school with some students verified and some taken off the list."""
    ids = [r.id for r in snapshot(demo_db).students]
    remove(demo_db, ids[:3], "转学")
    verify(demo_db, ids[10:40], True)
    return demo_db


@pytest.fixture
def snap(school):
    return snapshot(school, name_key=name_key_function())


def live(kind):
    gc.unfreeze()                   # the window freezes what it keeps (gui.worker.freeze_long_lived)
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, kind)]


def test_the_snapshot_holds_columns_and_makes_a_row_per_index(snap):
    students, letters = snap.students, snap.letters
    assert isinstance(students, StudentColumns) and isinstance(letters, LetterColumns)
    assert letters.students is students                     # one copy of the students for the letters
    assert list(students.ids) == sorted(students.ids) and len(students) == 120
    rows = list(students)
    assert all(isinstance(r, StudentRow) for r in rows) and [r.id for r in rows] == list(students.ids)
    for r in rows:                                           # what a row derives, as the rows did
        assert r.id_masked == mask_id(r.id_number) and r.total_text == format_fen(r.total_fen)
        assert r.haystack == haystack(r.name, r.id_number, r.initials)
    assert {r.removed for r in rows} == {True, False} and {r.verified for r in rows} == {True, False}
    by_id = {r.id: r for r in rows}
    for lt in letters:
        st = by_id[lt.id]
        assert isinstance(lt, LetterRow) and not st.removed and (st.total_fen > 0 or st.category == "建档立卡")
        assert (lt.name, lt.id_number, lt.grade, lt.total_fen, lt.initials, lt.name_key) == \
            (st.name, st.id_number, st.grade, st.total_fen, st.initials, st.name_key)
    granted = [r.id for r in rows if not r.removed and (r.total_fen > 0 or r.category == "建档立卡")]
    assert [lt.id for lt in letters] == granted and students[-1].id == rows[-1].id


def test_names_rank_exactly_in_the_collators_order():
    names = ["张三", "李四", "李10", "李2", "沈阳", "沈斌", "张三", "Zhang", "zhang", "阿", "", "曾小红", "李四"]
    key = name_key_function()
    ranks = name_ranks(names, key)
    by_key = sorted(range(len(names)), key=lambda i: key(names[i]))
    assert sorted(range(len(names)), key=ranks.__getitem__) == by_key    # the same order, ties kept
    for i in range(len(names)):
        for j in range(len(names)):                                        # equal ranks: equal keys
            assert (ranks[i] == ranks[j]) == (not key(names[i]) < key(names[j]) and not key(names[j]) < key(names[i]))


@pytest.mark.parametrize("model, columns, rows_of", [
    (StudentTableModel, COLUMNS, lambda snap: snap.students),
    (LettersModel, LETTER_COLUMNS, lambda snap: snap.letters),
])
def test_every_column_sorts_as_its_rows_would(snap, model, columns, rows_of):
    """The keys read from the columns order the students as the columns' own sort keys of the rows
    (what the list sorted by before) do."""
    cols = rows_of(snap)
    rows = list(cols)
    for c, column in enumerate(columns):
        key = column.sort_key or column.text
        for order in ORDERS:
            expected = sorted(range(len(rows)), key=lambda i, key=key: key(rows[i]),
                              reverse=order == Qt.SortOrder.DescendingOrder)
            assert list(model.ordered(cols, range(len(cols)), (c, order))) == expected, column.header


def test_the_filters_read_the_columns_as_the_rows_say(snap, qtmodeltester):
    model, proxy = StudentTableModel(), StudentFilterProxy()
    proxy.setSourceModel(model)
    model.set_data(StudentTableModel.prepare(snap.students, (0, Qt.SortOrder.AscendingOrder)))
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)

    def shown():
        return {model.row_key(proxy.mapToSource(proxy.index(r, 0)).row()) for r in range(proxy.rowCount())}
    rows = list(snap.students)
    expected = {
        "": {r.id for r in rows if not r.removed},
        "已核准": {r.id for r in rows if r.status == "已核准"},
        "待核准": {r.id for r in rows if r.status == "待核准"},
        HAS_PROBLEMS: {r.id for r in rows if r.findings.needs_work and not r.removed},
        "已移出名单": {r.id for r in rows if r.removed},
    }
    assert set(expected) == {"", *STATUS_CHOICES} and all(expected.values())
    for status, ids in expected.items():
        proxy.set_status(status)
        assert shown() == ids, status
    proxy.set_status("")
    stage, category = rows[5].stage, rows[5].category
    proxy.set_stage(stage)
    proxy.set_category(category)
    assert shown() == {r.id for r in rows if r.stage == stage and r.category == category and not r.removed}
    proxy.set_search_text(rows[5].name, immediate=True)
    assert rows[5].id in shown() and all(rows[5].name in model.row_at(model.position(k)).name for k in shown())


def test_the_list_holds_no_row_object_per_student(qtbot, school):
    before = len(live(StudentRow))                         # an earlier test's rows not collected yet
    page = StudentsPage(school, QUndoStack())
    qtbot.addWidget(page)
    page.show()
    page.reload()
    assert page.model.rowCount() == 120 and isinstance(page.model.columns, StudentColumns)
    page.view.grab()                                       # rows painted: made for the rows on screen
    assert len(live(StudentRow)) - before <= 1             # one cached for the row Qt asks about
    assert not live(QCollatorSortKey)                      # the names' order: ranks, no Qt key kept
    page.sort_by(0, Qt.SortOrder.DescendingOrder)
    assert len(live(StudentRow)) - before <= 1


def test_a_reload_lets_the_old_columns_go(qtbot, school):
    win = open_main_window(qtbot, school)
    first = weakref.ref(win.feed.current.students)
    assert win.letters.model.columns.students is first() and win.students.model.columns is first()
    win.feed.refresh()
    assert first() is None                               # freed by reference counting, all of it
    assert win.letters.model.columns.students is win.students.model.columns is win.feed.current.students


def test_the_snapshot_reads_the_students_a_part_at_a_time(school, monkeypatch):
    """The ORM's execute fetched every student before the first part (~100 MB at county size)."""
    from db.views import _COLUMNS
    fetched = []
    for name in ("_raw_all_tuples", "_fetchall_impl", "_fetchmany_impl"):
        real = getattr(CursorResult, name)

        def spy(self, *a, real=real, **k):
            rows = real(self, *a, **k)
            if rows and len(rows[0]) == len(_COLUMNS):         # the students' query
                fetched.append(len(rows))
            return rows
        monkeypatch.setattr(CursorResult, name, spy)
    monkeypatch.setattr("db.views._SNAPSHOT_PART", 7)
    assert len(snapshot(school).students) == 120
    assert fetched and max(fetched) <= 7 and sum(fetched) == 120


def test_the_letters_printed_filter_reads_the_columns(school):
    from db.usecases import record_printed
    from gui.letters_view import NOT_PRINTED, PRINTED, LettersProxy
    letters = snapshot(school).letters
    record_printed(school, [r.id for r in letters][:4])
    letters = snapshot(school).letters
    model, proxy = LettersModel(), LettersProxy()
    proxy.setSourceModel(model)
    model.set_data(LettersModel.prepare(letters))
    rows = list(letters)
    for value, printed in ((PRINTED, True), (NOT_PRINTED, False)):
        proxy.set_printed(value)
        shown = {model.row_key(proxy.mapToSource(proxy.index(r, 0)).row()) for r in range(proxy.rowCount())}
        assert shown == {r.id for r in rows if r.printed == printed} and shown
