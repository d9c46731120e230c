"""建档立卡名单 held as columns: the same rows, texts, search matches, sorting and filters as
row objects gave, with one object per row on screen instead of one per person."""
import gc

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

import db.roster_columns as roster_columns
from core.text import haystack
from db.models import RosterPerson
from db.views import IN_LIST, NOT_IN_LIST, RosterRow, roster_rows
from gui.collation import name_key_function, name_ranks
from gui.roster_view import COLUMNS, RosterPage
from gui.search import matching_positions

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def page(qtbot, demo_db):
    with demo_db.write_session() as s:          # a problem text and a blank township to sort and filter by
        first = s.scalars(select(RosterPerson).order_by(RosterPerson.id)).first()
        first.import_problems, first.township = "证件号码校验位错误", ""
    p = RosterPage(demo_db)
    qtbot.addWidget(p)
    p.show()
    return p


def texts(page, column):
    return [page.proxy.index(r, column).data() for r in range(page.proxy.rowCount())]


def test_the_page_keeps_columns_and_makes_row_objects_only_for_rows_shown(page, qtmodeltester):
    gc.collect()
    assert sum(isinstance(o, RosterRow) for o in gc.get_objects()) <= 1     # not one per person
    assert page.model.rowCount() > 50 and all(isinstance(r, int) for r in page.model.rows())
    qtmodeltester.check(page.proxy)
    rows = {r.id: r for r in roster_rows(page.db)}
    for display in (0, 7, page.model.rowCount() - 1):
        row = page.model.row_at(display)
        assert row == rows[page.model.row_key(display)]
        assert [page.model.index(display, c).data() for c in range(len(COLUMNS))] == \
            [col.text(row) for col in COLUMNS]
    assert page.model.position(page.model.row_key(7)) == 7
    assert page.model.position(10 ** 9) is None


def test_reading_in_chunks_gives_the_same_columns(demo_db, monkeypatch):
    whole = roster_columns.read_roster_columns(demo_db)
    monkeypatch.setattr(roster_columns, "_CHUNK", 7)
    chunked = roster_columns.read_roster_columns(demo_db)
    assert chunked == whole and len(whole) > 7
    assert len({id(t) for t in chunked.township}) == len(set(chunked.township))   # one object each
    assert all(h == haystack(n, i, k) for h, n, i, k in
               zip(whole.haystacks, whole.names, whole.id_numbers, whole.initials, strict=True))


def test_search_matches_the_row_by_row_search_texts(page):
    rows = [page.model.row_at(r) for r in range(page.model.rowCount())]
    for query in ("4", "zs", "z", rows[5].id_number[6:14], rows[3].name, "no such"):
        page.proxy.set_search_text(query, immediate=True)
        expected = matching_positions([haystack(r.name, r.id_number, r.initials) for r in rows], query)
        assert page.proxy.accepted_rows() == expected


def test_every_column_sorts_as_its_texts_do(page):
    page.sort_by(1, Qt.SortOrder.AscendingOrder)
    ids = [page.model.row_at(r).id_number for r in range(page.model.rowCount())]
    assert ids == sorted(ids)
    for column in (2, 3, 5, 8, 9):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            page.sort_by(column, order)
            shown = texts(page, column)
            assert shown == sorted(shown, reverse=order == Qt.SortOrder.DescendingOrder), column
    page.sort_by(9, Qt.SortOrder.AscendingOrder)
    assert texts(page, 9)[0] == IN_LIST and texts(page, 9)[-1] == NOT_IN_LIST
    page.sort_by(10, Qt.SortOrder.AscendingOrder)
    assert texts(page, 10)[0] == "有" and texts(page, 10)[-1] == ""        # the problems first
    page.sort_by(0, Qt.SortOrder.AscendingOrder)
    key = name_key_function()
    shown = [key(n) for n in texts(page, 0)]
    assert shown == sorted(shown)                                            # pinyin order


def test_a_sort_keeps_the_selection_and_a_reload_keeps_sort_and_filters(page):
    page.select_key(page.model.row_key(3))
    key = page.selected_key()
    page.sort_by(3, Qt.SortOrder.DescendingOrder)
    assert page.selected_key() == key
    town = next(t for t in page.model.data_.index.township if t)
    page.township_filter.setCurrentIndex(page.township_filter.findData(town))
    page.enrolled_filter.setCurrentIndex(page.enrolled_filter.findData(NOT_IN_LIST))
    expected = texts(page, 3)
    assert expected and set(texts(page, 5)) == {town} and set(texts(page, 9)) == {NOT_IN_LIST}
    page.reload()
    assert texts(page, 3) == expected


def test_name_ranks_follow_the_collator_with_equal_names_equal():
    names = ["张三", "李四", "王五", "赵六", "阿明", "曾小红", "张三", "欧阳娜娜", "单田芳", "Ann", "吕布", "", "李"]
    ranks = name_ranks(names)
    assert ranks[0] == ranks[6]
    by_rank = [n for _r, n in sorted(zip(ranks, names, strict=True))]
    assert by_rank == sorted(names, key=name_key_function())     # the collator's, surnames read as such
    assert list(name_ranks(["沈阳", "沈斌"])) == [1, 0]          # character by character (bin < yang)


def test_the_snapshot_computed_part_by_part_is_the_same_at_any_part_size(demo_db, monkeypatch):
    import db.views as views
    with demo_db.write_session() as s:              # a student off the list: shown, not counted
        from db.models import Student
        s.scalars(select(Student).order_by(Student.id)).first().removed_at = s.scalar(select(Student.created_at))
    whole = views.snapshot(demo_db)
    monkeypatch.setattr(views, "_SNAPSHOT_PART", 7)
    parts = views.snapshot(demo_db)
    assert parts == whole and len(whole.students) > 7
    assert whole.summary.students == len(whole.students) - 1
    assert sum(lt.total_fen for lt in whole.letters) == whole.summary.total_fen


def test_a_student_removed_from_the_list_is_not_in_list_on_the_roster_page(demo_db):
    """The check says a removed student's roster entry is 不在学生名单中 (ROSTER_NOT_ENROLLED);
    the roster page's 在册 column and its 未在学生名册 filter say the same."""
    from db.models import Student
    from db.students import remove_students
    with demo_db.write_session() as s:
        numbers = set(s.scalars(select(RosterPerson.id_number)))
        st = next(st for st in s.scalars(select(Student).order_by(Student.id)) if st.id_number in numbers)
        gone = st.id_number
        remove_students(s, [st.id], "转学待核实", actor="t")
    cols = roster_columns.read_roster_columns(demo_db)
    rows = {r.id_number: r for r in roster_rows(demo_db)}
    assert rows[gone].enrolled_text == NOT_IN_LIST
    names = roster_columns.read_roster_names(demo_db)
    index = roster_columns.read_roster_index(demo_db, *names)
    assert not index.enrolled[cols.id_numbers.index(gone)]
    assert any(r.enrolled_text == IN_LIST for r in rows.values())
