# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""A reason the clerk wrote (接受核查问题, 标记已改正, 移出名单) is not lost when its write fails: the dialog
closed before the write ran, and a failed write (the database held by another program) dropped the
text. The next dialog of that kind opens with it; once a write succeeds, the next one opens empty."""
from __future__ import annotations

import pytest
from test_gui_workflow import checked, finding, homophone, select_where, win  # noqa: F401 - fixtures

import gui.findings_view
from core.checks import FindingState
from core.errors import DatabaseError
from gui.reason_dialog import ReasonDialog

pytestmark = pytest.mark.usefixtures("shown")


class Clerk:
    """Answers each reason dialog: records what it opened with, writes ``typed`` when it opened empty."""

    def __init__(self, monkeypatch, typed: str) -> None:
        self.typed = typed
        self.opened_with: list[str] = []
        monkeypatch.setattr(ReasonDialog, "exec", lambda dialog: self.answer(dialog))

    def answer(self, dialog) -> int:
        self.opened_with.append(dialog.edit.text())
        if not dialog.edit.text():
            dialog.edit.setText(self.typed)
        return ReasonDialog.DialogCode.Accepted


def test_a_reason_whose_write_failed_is_offered_again_and_forgotten_once_written(checked, db, monkeypatch, shown):
    page = checked.findings
    [row] = select_where(page, homophone)
    clerk = Clerk(monkeypatch, "户口簿上即为此字，已核对原件")
    real = gui.findings_view.accept_findings

    def held_elsewhere(*args, **kwargs):
        raise DatabaseError("数据库正被另一个程序使用，这次没有保存", "请关闭另一个程序后重试")
    monkeypatch.setattr(gui.findings_view, "accept_findings", held_elsewhere)
    page.accept_selected()
    assert [m for m, _h in shown] == ["数据库正被另一个程序使用，这次没有保存"]
    shown.clear()
    assert finding(db, row.id) == (FindingState.OPEN, "")
    monkeypatch.setattr(gui.findings_view, "accept_findings", real)
    select_where(page, lambda r: r.id == row.id)
    page.accept_selected()                               # the same dialog again: what was written is there
    assert clerk.opened_with == ["", "户口簿上即为此字，已核对原件"]
    assert finding(db, row.id) == (FindingState.ACCEPTED, "户口簿上即为此字，已核对原件")
    page.ask_reason([row])                               # written: the next dialog opens empty
    assert clerk.opened_with == ["", "户口簿上即为此字，已核对原件", ""]


def test_a_cancelled_dialog_forgets_the_reason(monkeypatch, shown):
    from gui.reason_dialog import ask_reason
    answers = iter([("先写的原因", ReasonDialog.DialogCode.Accepted), ("", ReasonDialog.DialogCode.Rejected),
                    ("", ReasonDialog.DialogCode.Rejected)])
    opened: list[str] = []

    def answer(dialog) -> int:
        opened.append(dialog.edit.text())
        text, code = next(answers)
        if text:
            dialog.edit.setText(text)
        return code
    monkeypatch.setattr(ReasonDialog, "exec", answer)
    assert ask_reason(None, "移出名单", "移出？", ["张三"], "例如：重复录入") == "先写的原因"   # (its write failed)
    assert ask_reason(None, "移出名单", "移出？", ["张三"], "例如：重复录入") is None
    assert ask_reason(None, "移出名单", "移出？", ["张三"], "例如：重复录入") is None
    assert opened == ["", "先写的原因", ""]


def test_a_reason_is_offered_again_only_for_the_same_selection(monkeypatch, shown):
    from gui.reason_dialog import ask_reason
    opened: list[str] = []

    def answer(dialog) -> int:
        opened.append(dialog.edit.text())
        dialog.edit.setText(dialog.edit.text() or "已核实")
        return ReasonDialog.DialogCode.Accepted
    monkeypatch.setattr(ReasonDialog, "exec", answer)
    ask_reason(None, "接受核查问题", "接受？", ["问题 X"], "例如")        # (its write failed)
    ask_reason(None, "接受核查问题", "接受？", ["问题 Y"], "例如")        # another selection: empty
    ask_reason(None, "接受核查问题", "接受？", ["问题 Y"], "例如")
    assert opened == ["", "", "已核实"]
