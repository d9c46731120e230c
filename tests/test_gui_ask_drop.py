"""The one question before unsaved edits go (``gui.dialogs.ask_drop``): 放弃修改 answers True; the
other button (its text given) is the default and Esc's, and answers False."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.dialogs import ask_drop


@pytest.mark.parametrize(("press", "expected"), [("放弃修改", True), ("留在本页", False), ("Esc", False)])
def test_ask_drop(qtbot, monkeypatch, press, expected):
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = {}

    def exec_(box: QMessageBox) -> int:
        seen.update(text=box.text(), info=box.informativeText(), default=box.defaultButton().text(),
                    escape=box.escapeButton().text())
        button = box.escapeButton() if press == "Esc" else next(b for b in box.buttons() if b.text() == press)
        button.click()
        return 0
    monkeypatch.setattr(QMessageBox, "exec", exec_)
    assert ask_drop(parent, "设置未保存", "“学校信息”有修改还没有保存。", "说明", keep="留在本页") is expected
    assert seen == {"text": "“学校信息”有修改还没有保存。", "info": "说明", "default": "留在本页", "escape": "留在本页"}
