"""The 建档立卡名单 page's first read (``db.roster_columns.read_names``): ids and names joined by SQLite
a part at a time and split in Python give what reading the rows one by one gives — across parts, with
gaps in the ids, empty names, and a name holding the joining separator (that part read row by row)."""
from sqlalchemy import delete, select, update

import db.roster_columns as roster_columns
from db.models import RosterPerson


def _rows(db):
    with db.session() as s:
        return s.execute(select(RosterPerson.id, RosterPerson.name).order_by(RosterPerson.id)).all()


def test_the_names_read_in_parts_are_the_rows_names(demo_db, monkeypatch):
    with demo_db.write_session() as s:
        ids = s.scalars(select(RosterPerson.id).order_by(RosterPerson.id)).all()
        s.execute(delete(RosterPerson).where(RosterPerson.id.in_(ids[3:9])))              # gaps
        s.execute(update(RosterPerson).where(RosterPerson.id.in_(ids[10:12])).values(name=""))
        s.execute(update(RosterPerson).where(RosterPerson.id == ids[20]).values(name="张\x1f三"))
        s.execute(update(RosterPerson).where(RosterPerson.id == ids[-1]).values(name="\x1f"))
    monkeypatch.setattr(roster_columns, "SLICE", 7)
    got_ids, names, distinct = roster_columns.read_names(demo_db)
    rows = _rows(demo_db)
    assert list(got_ids) == [r.id for r in rows] and names == [r.name for r in rows]
    assert "张\x1f三" in names and names[-1] == "\x1f" and "" in names
    assert distinct == list(dict.fromkeys(names))
    assert all(names[i] is distinct[distinct.index(n)] for i, n in enumerate(names))  # one object a name
    assert roster_columns.read_roster_names(demo_db) == (got_ids, names)


def test_an_empty_roster_reads_nothing(db):
    got_ids, names, distinct = roster_columns.read_names(db)
    assert len(got_ids) == 0 and names == [] and distinct == []


def test_a_part_joined_out_of_order_is_read_row_by_row(demo_db, monkeypatch):
    """An SQLite that would not keep the subquery's order in the aggregate: the part is read again."""
    reversed_parts = roster_columns._NAMES_PART.replace(
        "FROM\n  (SELECT id, coalesce(name, '') AS name FROM roster_person WHERE id > ? ORDER BY id LIMIT ?)",
        "FROM (SELECT * FROM\n  (SELECT id, coalesce(name, '') AS name FROM roster_person WHERE id > ? ORDER BY id LIMIT ?)"
        " ORDER BY id DESC)")
    assert reversed_parts != roster_columns._NAMES_PART
    monkeypatch.setattr(roster_columns, "_NAMES_PART", reversed_parts)
    monkeypatch.setattr(roster_columns, "SLICE", 7)
    got_ids, names, _distinct = roster_columns.read_names(demo_db)
    rows = _rows(demo_db)
    assert list(got_ids) == [r.id for r in rows] and names == [r.name for r in rows]
