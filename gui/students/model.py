"""The student list model: plain frozen rows, one per student, sorted in Python."""
from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from PySide6.QtGui import QColor

from core.domain import Stage
from db.views import STATUS_PENDING, STATUS_VERIFIED, StudentRow  # noqa: F401 - the rows of this model
from gui.search import haystack
from gui.table_model import Column, RowTableModel

_STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}
PROBLEM_COLOR = QColor(176, 0, 32)


def _stage_key(r: StudentRow) -> tuple[int, str]:
    return (_STAGE_ORDER.get(r.stage, len(_STAGE_ORDER)), r.stage)


def _name_key(r: StudentRow) -> Any:
    return r.name_key if r.name_key is not None else r.name


COLUMNS: tuple[Column, ...] = (
    Column("姓名", lambda r: r.name, _name_key),
    Column("性别", lambda r: r.gender),
    Column("身份证号", lambda r: r.id_masked, lambda r: r.id_number,
           tip="只显示前6位和后4位；搜索时可输入完整号码或其中一段"),
    Column("学段", lambda r: r.stage, _stage_key),
    Column("年级", lambda r: r.grade),
    Column("班级", lambda r: r.class_name),
    Column("家庭类别", lambda r: r.category),
    Column("就读地", lambda r: r.location),
    Column("资助合计（元）", lambda r: r.total_text, lambda r: r.total_fen, numeric=True),
    Column("状态", lambda r: r.status),
    Column("问题", lambda r: "有" if r.problems else "", lambda r: (not r.problems, r.problems),
           tip="导入时发现的问题（鼠标停留可查看）"),
)
COL = {c.header: i for i, c in enumerate(COLUMNS)}


class StudentTableModel(RowTableModel):
    COLUMNS = COLUMNS

    def search_entries(self) -> list[tuple[Hashable, str]]:
        return [(r.id, r.haystack or haystack(r.name, r.id_number, r.initials)) for r in self._rows]

    def foreground(self, row: StudentRow, column: int) -> QColor | None:
        if row.problems and column == COL["问题"]:
            return PROBLEM_COLOR
        return None

    def tooltip(self, row: StudentRow, column: int) -> str | None:
        if column == COL["问题"] and row.problems:
            return row.problems.replace("；", "\n")
        if column == COL["资助合计（元）"] and row.pending:
            return f"另有 {row.pending} 个项目待补充信息"
        return None
