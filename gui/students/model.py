"""The student list model: plain frozen rows, one per student, sorted in Python."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QColor

from core.checks import SEVERITY_LABELS
from core.domain import Stage
from core.fields import StudentField, listed_fields
from db.views import (  # noqa: F401 - the rows of this model
    SEVERITY_RANK,
    STATUS_PENDING,
    STATUS_REMOVED,
    STATUS_VERIFIED,
    OpenFindings,
    StudentRow,
)
from gui.search import haystack
from gui.severity import SEVERITY_COLORS
from gui.table_model import Column, RowTableModel

_STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}


def _stage_key(r: StudentRow) -> tuple[int, str]:
    return (_STAGE_ORDER.get(r.stage, len(_STAGE_ORDER)), r.stage)


def _name_key(r: StudentRow) -> Any:
    return r.name_key if r.name_key is not None else r.name


def problems_text(f: OpenFindings) -> str:
    """"2 项（错误）": how many open findings, and the worst severity."""
    return f"{f.count} 项（{SEVERITY_LABELS.get(f.worst, f.worst)}）" if f.count else ""


def problems_sort_key(f: OpenFindings) -> tuple[int, int]:
    """Worst first, then the most findings; students without any last."""
    return (SEVERITY_RANK.get(f.worst, 9), -f.count)


_ID_TIP = "只显示前6位和后4位；搜索时可输入完整号码或其中一段"
# How a listed field shows and sorts when not as its plain text (the rows' attributes are the stored names).
_SHOWN: dict[str, tuple[Callable[[StudentRow], str], Callable[[StudentRow], Any] | None, str]] = {
    "name": (lambda r: r.name, _name_key, ""),
    "id_number": (lambda r: r.id_masked, lambda r: r.id_number, _ID_TIP),
    "stage": (lambda r: r.stage, _stage_key, ""),
}


def _field_column(f: StudentField) -> Column:
    text, key, tip = _SHOWN.get(f.name, ((lambda r, n=f.name: getattr(r, n)), None, ""))
    return Column(f.label, text, key, tip=tip)


# The data columns come from the catalogue (core.fields, ``listed``), then the computed ones.
COLUMNS: tuple[Column, ...] = (
    *(_field_column(f) for f in listed_fields()),
    Column("资助合计（元）", lambda r: r.total_text, lambda r: r.total_fen, numeric=True),
    Column("状态", lambda r: r.status),
    Column("问题", lambda r: problems_text(r.findings), lambda r: problems_sort_key(r.findings),
           tip="该生现在未处理的核查问题：个数和最严重的级别（鼠标停留可查看各问题；改正保存后立即重新核查）"),
)
COL = {c.header: i for i, c in enumerate(COLUMNS)}


class StudentTableModel(RowTableModel[StudentRow]):
    COLUMNS = COLUMNS

    @classmethod
    def search_text(cls, row: StudentRow) -> str:
        return row.haystack or haystack(row.name, row.id_number, row.initials)

    def foreground(self, row: StudentRow, column: int) -> QColor | None:
        if column == COL["问题"] and row.findings.count:
            return SEVERITY_COLORS.get(row.findings.worst)
        return None

    def tooltip(self, row: StudentRow, column: int) -> str | None:
        if column == COL["问题"] and row.findings.count:
            return "\n".join(row.findings.lines()) + "\n（详见“核查问题”页）"
        if column == COL["状态"] and row.removed:
            return f"移出原因：{row.removed_reason}（可用“移回名单”恢复）"
        if column == COL["资助合计（元）"] and row.pending:
            return f"另有 {row.pending} 个项目待补充信息"
        return None
