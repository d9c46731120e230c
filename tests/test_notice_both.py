"""`notice OUT.pdf OUT.xlsx`: both formats of the public notice from one gather (issue 13, cli_notice).
The files are those two one-file runs write (the PDF's text, the workbook's cells and layout), each
file has its own audit entry, and a bad file name refuses the whole command before any work."""
import multiprocessing
import re

import openpyxl
import pytest
from pdftext import pdf_text
from spy import spy
from sqlalchemy import select

from cli.commands import run
from db import exports as exports_module
from db import notice_export
from db.models import AuditEntry
from db.workflows import fill_demo


@pytest.fixture
def demo_path(db):
    fill_demo(db, n_students=150)       # a few pages of the notice
    path = str(db.path)
    db.close()
    return path


# the minute a file was made (its pages' footers): runs a few seconds apart may straddle a minute
_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _unstamped(value):
    return _MINUTE.sub("(time)", value) if isinstance(value, str) else value


def _cells(path):
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    cells = [(c.coordinate, _unstamped(c.value), c.number_format, c.font.b, c.alignment.horizontal)
             for row in ws.iter_rows() for c in row]
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    return ws.title, cells, widths, [str(r) for r in ws.merged_cells.ranges], ws.print_title_rows


def _audit_notices(path):
    from db.session import open_database
    d = open_database(path)
    try:
        with d.session() as s:
            return list(s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "export")
                                  .order_by(AuditEntry.id)))
    finally:
        d.close()


def test_both_files_in_one_run_equal_the_one_file_runs_and_gather_once(demo_path, tmp_path, capsys, monkeypatch):
    one_pdf, one_xlsx = tmp_path / "one.pdf", tmp_path / "one.xlsx"
    assert run(["--db", demo_path, "notice", str(one_pdf)]) == 0
    assert run(["--db", demo_path, "notice", str(one_xlsx)]) == 0
    single = capsys.readouterr().out
    gathers = spy(monkeypatch, exports_module, "_printed_data")
    both_pdf, both_xlsx = tmp_path / "both.pdf", tmp_path / "both.xlsx"
    assert run(["--db", demo_path, "notice", str(both_pdf), str(both_xlsx)]) == 0
    out = capsys.readouterr().out
    assert len(gathers) == 1
    assert _unstamped(pdf_text(both_pdf)) == _unstamped(pdf_text(one_pdf)) and "公示" in pdf_text(both_pdf)
    assert _MINUTE.search(pdf_text(both_pdf))        # (what is masked is there)
    assert _cells(both_xlsx) == _cells(one_xlsx)
    # the same lines as the two runs, the draft reason said once
    assert out.count("草稿") == 1 and single.count("草稿") == 2
    assert f"：{both_pdf}" in out and f"：{both_xlsx}" in out
    # one audit entry per file, as the one-file runs leave
    entries = _audit_notices(demo_path)[-4:]
    assert [e.rsplit(" ", 1)[1] for e in entries] == ["one.pdf", "one.xlsx", "both.pdf", "both.xlsx"]


def test_the_other_order_and_one_file_still_work(demo_path, tmp_path):
    x, p = tmp_path / "a.xlsx", tmp_path / "a.pdf"
    assert run(["--db", demo_path, "notice", str(x), str(p)]) == 0
    assert x.stat().st_size > 0 and p.stat().st_size > 0


@pytest.mark.parametrize("names, wrong", [(("n.pdf", "n.txt"), "n.txt"), (("n.xlsx", "n"), "无扩展名"),
                                          (("n.pdf", "n.pdf"), "指定了两次")])
def test_a_bad_name_refuses_everything_before_any_work(demo_path, tmp_path, capsys, monkeypatch, names, wrong):
    monkeypatch.setattr(exports_module, "_printed_data",
                        lambda *a, **k: pytest.fail("gathered before the names were checked"))
    before = _audit_notices(demo_path)
    assert run(["--db", demo_path, "notice", *(str(tmp_path / n) for n in names)]) == 2
    err = capsys.readouterr().err
    assert "错误：" in err and wrong in err and "提示：" in err
    assert not list(tmp_path.glob("n.*")) and _audit_notices(demo_path) == before


def test_the_same_file_named_twice_through_another_path(demo_path, tmp_path, capsys):
    a = tmp_path / "n.pdf"
    assert run(["--db", demo_path, "notice", str(a), str(tmp_path / "sub" / ".." / "n.pdf")]) == 2
    assert "指定了两次" in capsys.readouterr().err and not a.exists()


def test_the_help_names_both_forms(capsys):
    with pytest.raises(SystemExit):
        run(["notice", "--help"])
    text = capsys.readouterr().out
    assert ".pdf" in text and ".xlsx" in text and "同时" in text


# -- the workbook written by a child process beside the PDF (core.exports.notice_child) ----------------------

@pytest.fixture
def child_always(monkeypatch):
    """A child for any list (it starts only from 5,000 students, and only with a core free): the county's
    path on a small school, whatever the machine's load."""
    from core import in_child
    monkeypatch.setattr(notice_export, "NOTICE_CHILD_MIN", 0)
    monkeypatch.setattr(in_child, "spare_core", lambda since=None: True)


def test_the_workbook_written_by_the_child_equals_the_one_file_run(demo_path, tmp_path, child_always, monkeypatch):
    one = tmp_path / "one.xlsx"
    assert run(["--db", demo_path, "notice", str(one)]) == 0
    import core.exports.notice_xlsx as notice_xlsx
    # this process can no longer write a workbook: the file below is the child's (a fresh interpreter)
    monkeypatch.setattr(notice_xlsx, "write_notice_xlsx", lambda *a, **k: pytest.fail("written in the parent"))
    p, x = tmp_path / "both.pdf", tmp_path / "both.xlsx"
    assert run(["--db", demo_path, "notice", str(p), str(x)]) == 0
    assert _cells(x) == _cells(one) and "公示" in pdf_text(p)
    assert [e.rsplit(" ", 1)[1] for e in _audit_notices(demo_path)[-2:]] == ["both.pdf", "both.xlsx"]
    assert not [c for c in multiprocessing.active_children() if c.name == "zizhu-notice-xlsx"]


def test_a_child_that_dies_leaves_the_workbook_to_this_process(demo_path, tmp_path, child_always, monkeypatch):
    from core.exports import notice_child
    real_send = notice_child.WorkbookChild.send

    def send_then_die(self, path, data):
        handed = real_send(self, path, data)
        self._process.kill()
        return handed

    monkeypatch.setattr(notice_child.WorkbookChild, "send", send_then_die)
    one, x = tmp_path / "one.xlsx", tmp_path / "both.xlsx"
    assert run(["--db", demo_path, "notice", str(one)]) == 0
    assert run(["--db", demo_path, "notice", str(tmp_path / "both.pdf"), str(x)]) == 0
    assert _cells(x) == _cells(one)


def test_a_workbook_the_child_cannot_write_gives_the_usual_message(demo_path, tmp_path, child_always, capsys):
    p, x = tmp_path / "n.pdf", tmp_path / "missing" / "n.xlsx"
    before = _audit_notices(demo_path)
    assert run(["--db", demo_path, "notice", str(p), str(x)]) == 2
    err = capsys.readouterr().err
    assert "错误：无法保存“n.xlsx”：文件夹" in err and "不存在" in err and "Traceback" not in err
    # the PDF was written and recorded, the workbook neither
    assert p.exists() and [e.rsplit(" ", 1)[1] for e in _audit_notices(demo_path)[len(before):]] == ["n.pdf"]


def test_no_child_on_a_busy_machine(demo_path, tmp_path, monkeypatch):
    from core import in_child
    from core.exports import notice_child
    monkeypatch.setattr(notice_export, "NOTICE_CHILD_MIN", 0)
    monkeypatch.setattr(in_child, "spare_core", lambda since=None: False)
    monkeypatch.setattr(notice_child.WorkbookChild, "start", lambda self: pytest.fail("a child on a busy machine"))
    assert run(["--db", demo_path, "notice", str(tmp_path / "n.pdf"), str(tmp_path / "n.xlsx")]) == 0
    assert (tmp_path / "n.xlsx").stat().st_size > 0


def _export_in_a_daemon(path: str, pdf: str, xlsx: str, conn) -> None:
    """(In the forked daemon:) both files, the answer sent back: "ok" or the error's type and text."""
    from db.session import open_database
    db = open_database(path)
    try:
        notice_export.export_notices(db, [pdf, xlsx])
        conn.send("ok")
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        conn.send(f"{type(exc).__name__}: {exc}")
    finally:
        db.close()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_in_a_daemon_process_the_workbook_is_written_after_the_pdf(demo_path, tmp_path, child_always):
    """The GUI's worker process is a daemon, which multiprocessing forbids to start a child: there both
    files are written by the process itself (its own workbook child would raise an AssertionError)."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    p, x = tmp_path / "d.pdf", tmp_path / "d.xlsx"
    daemon = context.Process(target=_export_in_a_daemon, args=(demo_path, str(p), str(x), theirs), daemon=True)
    daemon.start()
    try:
        assert ours.poll(120) and ours.recv() == "ok"
    finally:
        daemon.join(30)
        if daemon.is_alive():
            daemon.kill()
    assert "公示" in pdf_text(p) and x.stat().st_size > 0


def test_no_child_when_the_caller_says_so(demo_path, tmp_path, child_always, monkeypatch):
    from core.exports import notice_child
    from db.session import open_database
    monkeypatch.setattr(notice_child.WorkbookChild, "start", lambda self: pytest.fail("a child"))
    db = open_database(demo_path)
    try:
        done = notice_export.export_notices(db, [tmp_path / "n.pdf", tmp_path / "n.xlsx"], workbook_child=False)
    finally:
        db.close()
    assert [r.path.name for r in done] == ["n.pdf", "n.xlsx"] and (tmp_path / "n.xlsx").stat().st_size > 0


@pytest.mark.parametrize("child", [False, True])
def test_a_file_that_cannot_be_written_names_those_that_were(demo_path, tmp_path, child_always, child):
    """The PDF is written and recorded, the workbook's folder is missing: the error says what is wrong
    and which file was exported all the same (the clerk must not think nothing was)."""
    from core.errors import ZizhuError
    from db.session import open_database
    p, x = tmp_path / "n.pdf", tmp_path / "missing" / "n.xlsx"
    db = open_database(demo_path)
    try:
        with pytest.raises(ZizhuError) as caught:
            notice_export.export_notices(db, [p, x], workbook_child=child)
    finally:
        db.close()
    assert "n.xlsx" in caught.value.message and "已经导出的文件：“n.pdf”" in caught.value.hint
    assert p.exists() and _audit_notices(demo_path)[-1].endswith(" n.pdf")
