"""告知书 are marked 草稿 until every student is verified and no error is open — in the
GUI and the CLI alike (db.exports.gather_letters) — and never start a line with closing
punctuation."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import open_main_window
from pdftext import pdf_text
from sqlalchemy import func, select

from cli.commands import run
from core.idnumber import make_id
from db.exports import readiness
from db.models import ON_LIST, RosterPerson, Student
from db.usecases import check, remove, verify
from gui.main_window import LETTERS

DRAFT = "草稿"


def make_ready(db) -> None:
    """Every student verified and no error open: unset policy parameters get a value,
    students that still have an open error are taken off the list, the others verified."""
    from core.policy import parameters_of
    from db import store
    with db.session() as s:
        if not s.scalar(select(func.count()).select_from(RosterPerson)):     # ROSTER_EMPTY cannot be accepted
            s.add(RosterPerson(name="测试户主", id_number=make_id("422822", date(1980, 1, 1), 1)))
        policy = store.get_policy(s)
        for p in parameters_of(policy):
            if not p.is_set:
                store.set_policy_value(s, p.key, "1000")
    check(db)
    with db.session() as s:
        ids = list(s.scalars(select(Student.id).where(ON_LIST, Student.verified.is_(False))))
    verify(db, ids, skip_blocked=True)
    with db.session() as s:
        blocked = list(s.scalars(select(Student.id).where(ON_LIST, Student.verified.is_(False))))
    if blocked:
        remove(db, blocked, "测试：有错误的学生先移出名单")
    check(db)
    with db.session() as s:
        assert readiness(s, documents=False) == []


@pytest.fixture
def win(qtbot, demo_db, shown):
    return open_main_window(qtbot, demo_db, LETTERS)


def select_first(page, n: int) -> list[int]:
    from PySide6.QtCore import QItemSelectionModel
    sel = page.view.selectionModel()
    sel.clearSelection()
    for i in range(n):
        sel.select(page.proxy.index(i, 0),
                   QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    return page.selected_keys()


def status(win) -> str:
    return win.statusBar().currentMessage()


def save(win, path, monkeypatch):
    import gui.letters_view as lv
    monkeypatch.setattr(lv, "ask_save_path", lambda *a: path)
    win.letters.save_selected()
    return pdf_text(path)


def test_gui_letters_are_drafts_until_everything_is_verified(win, demo_db, tmp_path, monkeypatch, qtbot):
    page = win.letters
    keys = select_first(page, 2)
    text = save(win, tmp_path / "unverified.pdf", monkeypatch)
    assert DRAFT in text and "草稿告知书已保存" in status(win) and "未核准" in status(win)

    page.preview_selected(modal=False)
    qtbot.addWidget(page.preview)
    assert DRAFT in page.preview.windowTitle() and DRAFT in pdf_text(page.shown_letters.pdf)
    page.preview.ask_printer = lambda: _pdf_printer(tmp_path / "printed.pdf")
    page.preview.print_button.click()
    assert page.preview.printed and "不记录为已打印" in status(win)     # a draft is never 已告知
    with demo_db.session() as s:
        assert all(s.get(Student, k).notified_at is None for k in keys)
    page.preview.reject()

    make_ready(demo_db)
    page.reload()
    keys = select_first(page, 2)
    text = save(win, tmp_path / "final.pdf", monkeypatch)
    assert DRAFT not in text and status(win).startswith("告知书已保存")
    page.preview_selected(modal=False)
    qtbot.addWidget(page.preview)
    assert DRAFT not in page.preview.windowTitle() and DRAFT not in pdf_text(page.shown_letters.pdf)
    page.preview.ask_printer = lambda: _pdf_printer(tmp_path / "printed2.pdf")
    page.preview.print_button.click()
    with demo_db.session() as s:
        assert all(s.get(Student, k).notified_at is not None for k in keys)
    page.preview.reject()


def _pdf_printer(path):
    from PySide6.QtPrintSupport import QPrinter
    p = QPrinter(QPrinter.PrinterMode.HighResolution)
    p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    p.setOutputFileName(str(path))
    return p


def test_cli_letters_are_drafts_until_everything_is_verified(demo_db, tmp_path, capsys):
    path = str(demo_db.path)
    assert run(["--db", path, "letters", str(tmp_path / "a.pdf")]) == 0
    out = capsys.readouterr().out
    assert "已标明“草稿”" in out and "未核准" in out and DRAFT in pdf_text(tmp_path / "a.pdf")
    assert run(["--db", path, "letters", str(tmp_path / "b.pdf"), "--mark-printed"]) == 2
    assert "不能记录为已打印" in capsys.readouterr().err and not (tmp_path / "b.pdf").exists()
    make_ready(demo_db)
    assert run(["--db", path, "letters", str(tmp_path / "c.pdf"), "--mark-printed"]) == 0
    out = capsys.readouterr().out
    assert "草稿" not in out and DRAFT not in pdf_text(tmp_path / "c.pdf") and "已记录" in out
    from pdftext import page_count
    recorded = int(out.split("已记录 ")[1].split(" 名")[0])
    with demo_db.session() as s:                  # every letter written is recorded, a 建档立卡 child's
        told = s.scalar(select(func.count()).select_from(Student).where(Student.notified_at.is_not(None)))
    assert recorded == told == page_count(tmp_path / "c.pdf")        # without a subsidy too (one page each)


# -- line breaking (禁则) ------------------------------------------------------

CLOSING = "，。、；：？！）》」』】〕"


def test_a_letter_never_starts_a_line_with_closing_punctuation(tmp_path):
    """Bases of these lengths made reportlab start a line with "，" after "第三条）" (k 2, 3) or with "：" (17)."""
    from dataclasses import replace

    from core.exports.data import Official
    from core.exports.letters import write_letters
    from core.exports.sample import sample_export_data
    data = sample_export_data()
    key = next(s.key for s, r in data.pairs() if r.granted)
    for k in (2, 3, 17):
        basis = "建教助〔2025〕12号" + "补" * k + " 第三条"
        path = tmp_path / f"l{k}.pdf"
        assert write_letters(path, replace(data, official=Official("建始县", "", basis)), keys=[key]) == []
        text = pdf_text(path)
        starts = [line[:1] for line in text.splitlines()]
        assert not [c for c in starts if c in CLOSING], (k, text)
        assert f"（{basis}），经学校逐项核对" in text.replace("\r\n", "").replace("\n", "")


@pytest.mark.parametrize("markup", ["", "<u>"])
def test_paragraphs_break_between_units_at_every_width(markup):
    from reportlab.platypus import Paragraph

    from core.exports.pdf_common import styles
    close = markup.replace("<", "</")
    text = (f"您好！根据{markup}《建始县教育扶贫“百日攻坚”资助政策》{close}（建教助〔2025〕12号 第三条），"
            "经学校逐项核对，如有疑问请拨打 0718-3321234 反映。") * 2
    plain = text.replace(markup, "").replace(close, "") if markup else text
    st = styles()
    for width in range(120, 420, 3):
        p = Paragraph(text, st["body"])
        p.wrap(width, 10_000)
        lines = ["".join(w.text for w in line.words) if hasattr(line, "words") else "".join(line[1])
                 for line in p.blPara.lines]
        assert "".join(lines).replace(" ", "") == plain.replace(" ", ""), width
        assert not [ln for ln in lines[1:] if ln.lstrip()[:1] in CLOSING], (width, lines)
        assert not [ln for ln in lines[:-1] if ln.rstrip()[-1:] in "（《“〔"], (width, lines)
        assert all("0718" not in ln or "0718-3321234" in ln for ln in lines), (width, lines)

