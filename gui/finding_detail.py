"""The 核查问题 page's detail pane: the selected finding in full — the whole description,
what to do, and the data behind it (the student's fields as stored now, the roster
people with the same ID number, the subsidy amounts, the payments) — so nothing
important is only in a cut-off cell or a tooltip."""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QWidget

from core.checks import SEVERITY_LABELS, STATE_LABELS, FindingState
from db.finding_detail import FindingDetail
from gui.severity import SEVERITY_COLORS

PLACEHOLDER = "选中一个问题，这里显示完整说明、处理建议和相关数据（学生信息、建档立卡名单、资助金额）。"
_CELL = "padding: 1px 10px 1px 0;"


def _pairs(pairs: tuple[tuple[str, str], ...], highlight: str = "", per_row: int = 3) -> str:
    """Label/value pairs in a grid, ``per_row`` pairs a row; the ``highlight``ed label stands out."""
    cells = []
    for label, value in pairs:
        mark = ' style="background:#fff4d6; font-weight:bold;"' if label == highlight else ""
        cells.append(f'<td style="color:#555; {_CELL}">{escape(label)}</td>'
                     f'<td{mark} style="{_CELL}">{escape(value) or "—"}</td>')
    rows = ["".join(cells[i:i + per_row]) for i in range(0, len(cells), per_row)]
    return "<table cellspacing=0>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _rows(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    head = "".join(f'<th align=left style="{_CELL}">{escape(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="{_CELL}">{escape(c)}</td>' for c in r) + "</tr>" for r in rows)
    return f"<table cellspacing=0><tr>{head}</tr>{body}</table>"


def detail_html(d: FindingDetail) -> str:
    """The pane's HTML: the title and state (the clerk reads titles, never rule codes), then the details."""
    f = d.finding
    color = SEVERITY_COLORS.get(f.severity)
    severity = SEVERITY_LABELS.get(f.severity, f.severity)
    state = STATE_LABELS.get(f.state, f.state)
    heading = (f'<p><b style="color:{color.name() if color else "#000"}">【{escape(severity)}】</b>'
               f"<b>{escape(f.title)}</b>　<span style='color:#555'>{escape(state)}</span></p>")
    parts = [heading, f"<p>{escape(f.message)}</p>"]
    if f.origin_text:
        parts.append(f"<p><b>{escape(f.origin_text)}</b></p>")
    if d.details:
        parts.append(_pairs(d.details, per_row=2))
    if d.hint:
        parts.append(f"<p><b>处理建议：</b>{escape(d.hint)}</p>")
    if f.state == FindingState.ACCEPTED and f.reason:
        parts.append(f"<p><b>接受原因：</b>{escape(f.reason)}</p>")
    elif f.state == FindingState.FIXED and f.reason:
        parts.append(f"<p><b>改正说明：</b>{escape(f.reason)}</p>")
    if d.student:
        where = f"（有问题的栏目：{escape(d.field_label)}）" if d.field_label else ""
        parts.append(f"<p><b>学生信息</b>（现在保存的数据，{escape(d.student_status)}）{where}</p>")
        parts.append(_pairs(d.student, d.field_label))
    if d.others:
        parts.append("<p><b>身份证号相同的其他学生</b></p>")
        parts.append(_rows(("姓名", "学段", "年级", "班级"), d.others))
    if d.roster:
        parts.append("<p><b>建档立卡名单</b>（证件号码相同的人）</p>")
        parts.extend(_pairs(person, per_row=4) for person in d.roster)
    elif d.student:
        parts.append("<p><b>建档立卡名单：</b>名单中没有此身份证号。</p>")
    if d.amounts:
        parts.append(f"<p><b>资助金额</b>（合计 {escape(d.total)} 元）</p>")
        parts.append(_rows(("项目", "结果", "金额（元）/说明"), d.amounts))
    elif d.student:
        parts.append("<p><b>资助金额：</b>该生没有享受或待补充的资助项目。</p>")
    if d.payments:
        parts.append("<p><b>发放记录</b>（此身份证号）</p>")
        parts.append(_rows(("行号", "项目", "金额（元）"), d.payments))
    return "".join(parts)


class FindingDetailPane(QTextBrowser):
    """Read-only, selectable, scrolls when the data is long."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findingDetail")
        self.setOpenLinks(False)
        self.detail: FindingDetail | None = None
        self.show_none()

    def show_none(self) -> None:
        self.detail = None
        self.setPlainText(PLACEHOLDER)

    def show_many(self, count: int) -> None:
        self.detail = None
        self.setPlainText(f"已选中 {count} 个问题。选中一个问题可查看它的完整说明和相关数据；"
                          "“接受…”“撤销接受”“标记已核准”“标记已改正…”对所有选中的问题生效。")

    def show_detail(self, detail: FindingDetail | None) -> None:
        if detail is None:
            self.show_none()
            return
        self.detail = detail
        self.setHtml(detail_html(detail))
