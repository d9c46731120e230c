"""The imports' work on a second thread (issue 13): the precheck inflates a sheet on a helper
thread while it scans the chunk before (``core.bulk.prefetched``), and the student import loads
pypinyin while calamine reads the sheet (``core.bulk.warmed_alongside``).

An error on the helper thread reaches the clerk as the same Chinese message it gave without the
thread, raised where it occurred, and the database is unchanged; a consumer that stops early
stops and joins the helper; a failing warm-up changes nothing. (A killed import: tests/test_kill.py
kills the `import` command at random moments and finds the database all-or-nothing.)
"""
from __future__ import annotations

import struct
import threading
import zipfile
import zlib
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core import bulk, pinyin
from core.errors import InputFileError
from core.idnumber import make_id
from core.importers import limits, reader, sheet_scan
from db.models import AuditEntry, Student
from db.workflows import run_import

SHEET = "xl/worksheets/sheet1.xml"


def _students_file(path: Path, n: int = 300) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "学段"])
    for i in range(n):
        ws.append([f"张{chr(0x4E00 + i)}", make_id("422822", date(2008, 1, 1 + i % 28), i % 900 + 10), "高中"])
    wb.save(path)
    return path


def _bad_crc(src: Path, dst: Path) -> Path:
    """``src`` with the sheet's CRC-32 wrong in its local header and the central directory:
    the data inflate cleanly and zipfile refuses at the sheet's last read."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo(SHEET)
    wrong = struct.pack("<I", (info.CRC ^ 0xFFFFFFFF) & 0xFFFFFFFF)
    data[info.header_offset + 14:info.header_offset + 18] = wrong          # local file header
    name = SHEET.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:                                                          # central directory entry
        if data[at + 46:at + 46 + len(name)] == name:
            data[at + 16:at + 20] = wrong
        at = data.find(b"PK\x01\x02", at + 4)
    dst.write_bytes(bytes(data))
    return dst


def _state(database) -> tuple[int, int]:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(Student)), s.scalar(select(func.count()).select_from(AuditEntry))


def _no_helpers() -> bool:
    return not [t for t in threading.enumerate() if t.name in ("prefetch", "warm-up")]


# -- core.bulk.prefetched ---------------------------------------------------------------------

def test_prefetched_gives_every_item_in_order_from_another_thread():
    threads = set()

    def items():
        for i in range(50):
            threads.add(threading.current_thread().name)
            yield i

    assert list(bulk.prefetched(items())) == list(range(50))
    assert threads == {"prefetch"}
    assert _no_helpers()


def test_prefetched_raises_the_producers_error_itself_after_the_items_before_it():
    error = InputFileError("文件“a.xlsx”无法读取：文件已损坏", "请另存后重试")

    def items():
        yield 1
        yield 2
        raise error

    got = []
    with pytest.raises(InputFileError) as caught:
        for item in bulk.prefetched(items()):
            got.append(item)
    assert caught.value is error and got == [1, 2]
    assert _no_helpers()


def test_prefetched_stops_and_closes_the_producer_when_the_consumer_stops():
    closed = threading.Event()
    made = []

    def items():
        try:
            for i in range(10_000):
                made.append(i)
                yield i
        finally:
            closed.set()

    with pytest.raises(ValueError):
        for item in bulk.prefetched(items(), depth=2):
            if item == 3:
                raise ValueError("the consumer refuses")
    assert closed.is_set() and _no_helpers()
    assert len(made) <= 3 + 1 + 2 + 1      # at most the queue's depth ahead (and the one being put)


# -- the precheck's helper thread, end to end -------------------------------------------------

def test_a_sheet_broken_on_the_helper_thread_is_refused_as_before_and_changes_nothing(
        db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CHUNK", 2048)          # the sheet streams in many chunks
    bad = _bad_crc(_students_file(tmp_path / "good.xlsx"), tmp_path / "名单.xlsx")
    streamed_on = set()
    stream = limits.stream

    def watched(*args):
        for chunk in stream(*args):
            streamed_on.add(threading.current_thread().name)
            yield chunk

    monkeypatch.setattr(limits, "stream", watched)
    before = _state(db)
    with pytest.raises(InputFileError) as threaded:
        run_import(db, "students", bad, actor="测试")
    assert "prefetch" in streamed_on                     # the sheet was inflated on the helper thread
    assert _state(db) == before and _no_helpers()

    monkeypatch.setattr(sheet_scan, "prefetched", iter)      # the same file, all on one thread
    with pytest.raises(InputFileError) as inline:
        run_import(db, "students", bad, actor="测试")
    assert str(threaded.value) == str(inline.value)
    assert threaded.value.hint == inline.value.hint
    assert "文件已损坏（部件“xl/worksheets/sheet1.xml”解压出错）" in str(threaded.value)
    assert _state(db) == before


def test_a_refusal_of_the_scan_stops_the_helper_thread(tmp_path, monkeypatch):
    """The scanning thread refuses a cell beyond the limits in the sheet's first chunk: the
    helper inflating the next chunks is stopped and joined, and the refusal is the usual one."""
    monkeypatch.setattr(limits, "CHUNK", 1024)
    path = _students_file(tmp_path / "big.xlsx", n=400)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    xml = parts[SHEET].replace(b"<sheetData>", b'<sheetData><row r="1048577"><c r="A1048577"><v>1</v></c></row>', 1)
    parts[SHEET] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert len(zlib.compress(xml)) > 0 and len(xml) > 20 * 1024
    with pytest.raises(InputFileError, match="超过"):
        reader.read_table(path)
    assert _no_helpers()


# -- the warm-up while calamine reads ---------------------------------------------------------

def test_the_warm_up_runs_on_a_helper_thread_during_the_read_and_is_joined(tmp_path):
    path = _students_file(tmp_path / "s.xlsx", n=20)
    ran_on = []
    table = reader.read_table(path, warm=lambda: ran_on.append(threading.current_thread().name))
    assert ran_on == ["warm-up"] and _no_helpers()
    assert table.rows == reader.read_table(path).rows


def test_the_student_import_warms_the_initials_table_and_a_failing_warm_up_changes_nothing(db, tmp_path, monkeypatch):
    path = _students_file(tmp_path / "s.xlsx", n=30)
    warmed = []
    monkeypatch.setattr(pinyin, "warm_name_initials", lambda: warmed.append(threading.current_thread().name))
    first = run_import(db, "students", path, actor="测试")
    assert warmed == ["warm-up"]

    def broken() -> None:
        raise RuntimeError("pypinyin unavailable on this thread")

    monkeypatch.setattr(pinyin, "warm_name_initials", broken)
    again = run_import(db, "students", path, actor="测试")        # the same file: nothing to change
    assert first.counts["added"] == 30 and again.counts["unchanged"] == 30
    with db.session() as s:
        keys = set(s.scalars(select(Student.name_initials)))
    assert "zy" in keys and _no_helpers()      # 张一: the initials were computed on the import's own thread
