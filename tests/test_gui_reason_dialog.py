# ruff: noqa: F811 - the fixture imported from another test module is the test functions' argument
"""The reason dialog (接受核查问题, 标记已改正, 移出名单) at 1024×768: wide enough for what it names,
the named findings wrapped and shown whole, the example readable."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget
from test_gui_screen import SCREEN, assert_fits, small_screen  # noqa: F401 - the fixture

from gui.reason_dialog import WIDTH, ReasonDialog

LINES = [
    "同一学生在多所学校享受资助 — 张丽 110101********1234：张丽同时在龙坪乡中心小学（代码 4228220101）和"
    "白杨坪小学（代码 4228220102）享受资助（1200.00 元 / 1200.00 元）",
    "姓名与建档立卡名单不一致 — 李四 110101********1240：学生名单中的姓名“李四”与建档立卡名单中同一身份证号的姓名“李泗”不一致",
    "身份证号出生日期与学段不符 — 王五 422822********0019：按身份证号，9 月 1 日时 25 岁，超出普通高中的年龄范围 14–21 岁",
]
EXAMPLE = "例如：已将该生移出名单（已转学至外县）并重新核准"


def dialog_with(qtbot, lines, parent=None):
    d = ReasonDialog("标记已改正", "以下 3 个上级单位反馈的问题已改正本校数据，请写明改了什么"
                     "（导出新的上报包后，上级单位会看到）：", lines, EXAMPLE, parent)
    qtbot.addWidget(d)
    d.show()
    qtbot.wait(30)
    return d


def test_long_findings_are_wrapped_and_shown_whole_in_a_wide_dialog(small_screen, qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(1000, 700)
    d = dialog_with(qtbot, LINES, parent)
    assert WIDTH[0] <= d.width() <= min(WIDTH[1], SCREEN.width())        # it was 420 px
    bar = d.items.verticalScrollBar()
    assert bar.maximum() == 0, "a named finding is hidden below the box"
    assert d.items.horizontalScrollBar().maximum() == 0                   # wrapped, not cut at the side
    fm = d.edit.fontMetrics()
    assert fm.horizontalAdvance(EXAMPLE) < d.edit.width() - 12            # the example is readable
    assert_fits(d, qtbot, "reason-dialog-long")


def test_many_findings_scroll_and_short_ones_keep_a_sensible_width(small_screen, qtbot):
    d = dialog_with(qtbot, LINES * 4)                     # 8 named + "……另有 4 项": a box that scrolls
    assert d.height() <= SCREEN.height() and d.items.verticalScrollBar().maximum() > 0
    assert "另有 4 项" in d.items.toPlainText()
    short = dialog_with(qtbot, ["问题 1"])
    assert short.width() >= WIDTH[0] and short.items.verticalScrollBar().maximum() == 0
