"""The 汇总 page's detail panes: the selected row of a list in full under the table (the long
说明 and 问题 texts are cut in a cell at 1024×768), like the 核查问题 page's detail.

ID numbers stay masked here too (the findings' messages are masked by the checks)."""
from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtWidgets import QTextBrowser, QWidget

from core.checks import SEVERITY_LABELS
from core.idnumber import mask_id
from gui.receiving.models import STATE_COLORS, FindingRow, PackageRow, yuan
from gui.severity import SEVERITY_COLORS


def _line(label: str, value: str) -> str:
    return f"<p><b>{escape(label)}：</b>{escape(value)}</p>" if value else ""


def package_html(r: PackageRow) -> str:
    """One package (or missing school, or refused file): its state and why, in full."""
    color = STATE_COLORS.get(r.state)
    school = f"{r.school_name}（学校代码 {r.school_code}）" if r.school_name else (
        f"学校代码 {r.school_code}" if r.school_code else "学校不明")
    parts = [f'<p><b style="color:{color.name() if color else "#000"}">【{escape(r.state)}】</b>'
             f"<b>{escape(school)}</b>" + (f"　{escape(r.township)}" if r.township else "") + "</p>",
             _line("说明", r.reason),
             _line("文件", r.file_name),
             _line("接收时间", r.received_at),
             _line("转报单位", r.via)]
    if r.students is not None:
        parts.append(f"<p><b>学生：</b>{r.students} 人　<b>资助合计：</b>{escape(yuan(r.total_fen))} 元"
                     "（学生明细相加，精确到分）</p>")
    return "".join(parts)


def finding_html(r: FindingRow) -> str:
    """One cross-school finding: the whole message, the schools involved and what to do."""
    color = SEVERITY_COLORS.get(r.severity)
    who = " ".join(x for x in (r.name, mask_id(r.id_number) if r.id_number else "") if x)
    return "".join([
        f'<p><b style="color:{color.name() if color else "#000"}">'
        f"【{escape(SEVERITY_LABELS.get(r.severity, r.severity))}】</b><b>{escape(r.title)}</b>"
        f"　<span style='color:#555'>{escape(r.code)}</span></p>",
        _line("学校", r.school), _line("学生", who), f"<p>{escape(r.message)}</p>",
        _line("同时享受资助的学校", r.others), _line("处理建议", r.hint)])


class DetailPane(QTextBrowser):
    """Read-only and selectable; shows ``render(row)`` of the selected row, else the placeholder."""

    def __init__(self, name: str, placeholder: str, render: Callable[[Any], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setOpenLinks(False)
        self.placeholder, self.to_html = placeholder, render
        self.show_row(None)

    def show_row(self, row: Any | None) -> None:
        if row is None:
            self.setPlainText(self.placeholder)
        else:
            self.setHtml(self.to_html(row))
