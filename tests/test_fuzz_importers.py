"""Property-based tests: random and malformed workbooks, zips and CSVs fed to the
reader, the parsers and the import use case always end in a clean result or a
ZizhuError (never another exception, never a dead process), and a failed import
leaves the database exactly as it was."""
from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ZizhuError
from core.idnumber import make_id
from core.importers.payments import parse_payments
from core.importers.reader import read_table
from core.importers.roster import parse_roster
from core.importers.students import parse_students
from core.policy import default_policy

POLICY = default_policy()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])
SUFFIXES = [".xlsx", ".xlsm", ".xls", ".ods", ".csv"]
HEADERS = ["姓名", "身份证号", "学段", "证件号码", "项目", "金额", "出生日期", "实收学费", "家庭类别", "备注", "",
           "学生姓名", "就读地"]
ID1 = make_id("110101", date(2008, 5, 1), 11)


def _xlsx_template() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "学段"])
    ws.append(["张三", ID1, "普通高中"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX = _xlsx_template()
XLSX_MEMBERS = {n: zipfile.ZipFile(io.BytesIO(XLSX)).read(n) for n in zipfile.ZipFile(io.BytesIO(XLSX)).namelist()}


def parse_everything(path: Path) -> list[str]:
    """Read and parse as each kind; each step's outcome: "ok", or the message of the ZizhuError
    it raised (any other exception propagates and fails the test). Reading refused: one outcome."""
    try:
        table = read_table(path)
    except ZizhuError as exc:
        return [exc.message]
    outcomes = ["ok"]
    for parse in (lambda t: parse_students(t, POLICY), parse_roster, lambda t: parse_payments(t, POLICY)):
        try:
            parse(table)
        except ZizhuError as exc:
            outcomes.append(exc.message)
        else:
            outcomes.append("ok")
    return outcomes


def write(tmp: Path, data: bytes, suffix: str) -> Path:
    path = tmp / f"f{suffix}"
    path.write_bytes(data)
    return path


# --- strategies ---------------------------------------------------------------------------

cell_values = st.one_of(
    st.none(), st.text(max_size=30), st.sampled_from(HEADERS), st.integers(-10**18, 10**18),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([ID1, "=1+1", "=A1", '=CONCAT("a","b")', "#N/A", "普通高中", "小学", "PRESCHOOL", "12.5",
                     "4.1E+17", "38500"]),
)
tables = st.lists(st.lists(cell_values, max_size=8), max_size=12)


def workbook_bytes(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        clean = []
        for v in row:
            if isinstance(v, str):
                v = "".join(ch for ch in v if ch in "\t\n\r" or ord(ch) >= 32)   # what openpyxl can store
            clean.append(v)
        ws.append(clean)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@st.composite
def random_zips(draw) -> bytes:
    """A zip whose members are xlsx parts, random names or random bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        names = draw(st.lists(st.sampled_from([*sorted(XLSX_MEMBERS), "content.xml", "mimetype", "x/y.xml"]),
                              max_size=10, unique=True))
        for name in names:
            kind = draw(st.sampled_from(["real", "random", "cut"]))
            data = XLSX_MEMBERS.get(name, b"<a/>")
            if kind == "random":
                data = draw(st.binary(max_size=300))
            elif kind == "cut":
                data = data[:draw(st.integers(0, len(data)))]
            zf.writestr(name, data)
    return buf.getvalue()


encodings = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1", "big5", "shift_jis"])


@st.composite
def csv_bytes(draw) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    rows = draw(st.lists(st.lists(st.one_of(st.text(max_size=12), st.sampled_from([*HEADERS, ID1])),
                                  max_size=6), max_size=10))
    sep = draw(st.sampled_from([",", "\t", ";"]))
    text = "\n".join(sep.join(r) for r in rows)
    return text.encode(draw(encodings), errors="replace")


# --- the reader and the parsers --------------------------------------------------------

def _parse_bytes(data: bytes, suffix: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        return parse_everything(write(Path(tmp), data, suffix))


def clean_outcomes(outcomes: list[str]) -> bool:
    """Read and parsed as each of the three kinds, or refused; every refusal says why."""
    return len(outcomes) in (1, 4) and all(o.strip() for o in outcomes)


@FAST
@given(st.binary(max_size=2000), st.sampled_from(SUFFIXES))
def test_random_bytes(data, suffix):
    assert clean_outcomes(_parse_bytes(data, suffix))


@FAST
@given(st.integers(0, len(XLSX)), st.sampled_from([".xlsx", ".xls", ".ods"]))
def test_truncated_workbooks(cut, suffix):
    assert clean_outcomes(_parse_bytes(XLSX[:cut], suffix))


@FAST
@given(random_zips(), st.sampled_from([".xlsx", ".ods", ".xlsm"]))
def test_zips_with_random_members(data, suffix):
    assert clean_outcomes(_parse_bytes(data, suffix))


@FAST
@given(tables)
def test_valid_workbooks_with_random_cells(rows):
    assert clean_outcomes(_parse_bytes(workbook_bytes(rows), ".xlsx"))


@FAST
@given(csv_bytes())
def test_random_csv_in_random_encodings(data):
    assert clean_outcomes(_parse_bytes(data, ".csv"))


@pytest.mark.slow
@SLOW
@given(st.one_of(st.binary(max_size=4000), random_zips(), tables.map(workbook_bytes), csv_bytes(),
                 st.integers(0, len(XLSX)).map(lambda n: XLSX[:n])),
       st.sampled_from(SUFFIXES))
def test_everything_slow(data, suffix):
    assert clean_outcomes(_parse_bytes(data, suffix))


# --- the import use case: the database is unchanged on error -------------------------------

def dump(path: Path) -> list:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return [(t, sorted(map(repr, con.execute(f'SELECT * FROM "{t}"')))) for t in tables]
    finally:
        con.close()


@pytest.fixture
def fresh_db(tmp_path):
    from db import store
    from db.session import open_database
    d = open_database(tmp_path / "fuzz.sqlite")
    with d.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
    yield d
    d.close()


def _import(db, data: bytes, suffix: str, kind: str) -> tuple[list, list | None]:
    """Import the file (any exception but a ZizhuError propagates); the database's content
    before, and after a refusal (None when it was imported: the database must still open)."""
    from db.workflows import import_payments, run_import
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), data, suffix)
        before = dump(db.path)
        try:
            if kind == "payments":
                import_payments(db, path)
            else:
                run_import(db, kind, path)
        except ZizhuError:
            return before, dump(db.path)
        with db.session():
            pass
        return before, None


files = st.one_of(st.binary(max_size=1500).map(lambda b: (b, ".xlsx")),
                  random_zips().map(lambda b: (b, ".xlsx")),
                  tables.map(lambda r: (workbook_bytes([["姓名", "身份证号", "学段", "证件号码", "项目", "金额"], *r]), ".xlsx")),
                  csv_bytes().map(lambda b: (b, ".csv")))


@FAST
@given(files, st.sampled_from(["students", "roster", "payments"]))
def test_run_import_is_clean_or_changes_nothing(fresh_db, file, kind):
    before, after_refusal = _import(fresh_db, *file, kind)
    assert after_refusal is None or after_refusal == before


@pytest.mark.slow
@SLOW
@given(files, st.sampled_from(["students", "roster", "payments"]))
def test_run_import_is_clean_or_changes_nothing_slow(fresh_db, file, kind):
    before, after_refusal = _import(fresh_db, *file, kind)
    assert after_refusal is None or after_refusal == before


def test_a_panic_inside_calamine_is_a_clear_error(tmp_path, monkeypatch):
    """pyo3 turns a Rust panic into PanicException, a BaseException: still an InputFileError."""
    import python_calamine

    class PanicException(BaseException):
        pass

    def panic(*_a):
        raise PanicException("index out of bounds")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", panic)
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", panic)
    path = tmp_path / "p.xlsx"
    path.write_bytes(XLSX)
    with pytest.raises(ZizhuError) as err:
        read_table(path)
    assert "不是有效的Excel文件" in err.value.message
