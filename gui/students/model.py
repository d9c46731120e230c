"""The student list model: the snapshot's students as columns (``db.student_columns``); the rows
are positions into them, a ``StudentRow`` made only for a row on screen; sorted in Python by one
sequence of keys per column."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QColor

from core.checks import SEVERITY_LABELS
from core.domain import Stage
from core.fields import StudentField, listed_fields
from db.student_columns import EMPTY_STUDENTS, LetterColumns, StudentColumns
from db.views import (
    SEVERITY_RANK,
    STATUS_PENDING,
    STATUS_REMOVED,
    STATUS_VERIFIED,
    OpenFindings,
    StudentRow,
)
from gui.columns_model import ColumnsModel
from gui.severity import SEVERITY_COLORS
from gui.table_model import Column

_STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}


def _stage_key_of(stage: str) -> tuple[int, str]:
    return (_STAGE_ORDER.get(stage, len(_STAGE_ORDER)), stage)


_STAGE_KEYS = {s: _stage_key_of(s) for s in _STAGE_ORDER}


def _stage_key(r: StudentRow) -> tuple[int, str]:
    return _stage_key_of(r.stage)


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
_FIELD_OF = dict(enumerate(f.name for f in listed_fields()))    # the data columns come first


def status_texts(cols: StudentColumns) -> list[str]:
    """Every student's 状态 (``StudentRow.status``) by position."""
    return [STATUS_REMOVED if removed else STATUS_VERIFIED if verified else STATUS_PENDING
            for removed, verified in zip(cols.removed, cols.verified, strict=True)]


def name_sort_keys(cols: StudentColumns | LetterColumns) -> Sequence[Any]:
    """The name column's keys by position: the pinyin ranks (the collator's order), else the names."""
    st = cols.students if isinstance(cols, LetterColumns) else cols
    keys = st.name_ranks if st.name_ranks is not None else st.column("name")
    return keys if isinstance(cols, StudentColumns) else [keys[p] for p in cols.positions]


class StudentTableModel(ColumnsModel):
    COLUMNS = COLUMNS
    EMPTY = EMPTY_STUDENTS

    @classmethod
    def sort_keys(cls, columns: Any, column: int) -> Sequence[Any]:
        """A column's keys from the columns (no row object per student)."""
        cols: StudentColumns = columns
        header = cls.COLUMNS[column].header
        if header == "资助合计（元）":
            return cols.total_fen
        if header == "状态":
            return status_texts(cols)
        if header == "问题":
            return list(map(problems_sort_key, cols.findings))
        field = _FIELD_OF.get(column)
        if field == "name":
            return name_sort_keys(cols)
        if field == "stage":
            return [_STAGE_KEYS.get(s) or _stage_key_of(s) for s in cols.column("stage")]
        if field is not None:
            return cols.column(field)
        return super().sort_keys(columns, column)

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
