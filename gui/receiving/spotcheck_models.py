"""The 专项核查 tab's table models: the samples kept, the sampled students with their result per
point, and the 核查报告's figures per school. Plain frozen rows; ID numbers masked on screen
(the search and the sort still see the whole number)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QColor

from core.idnumber import mask_id
from core.spotcheck import FALSE_LABEL, POINTS, TRUE_LABEL, PointResult, SchoolReport, StoredSample, totals_of
from db.spotcheck import SampleSummary
from gui.receiving.models import TotalLastModel, yuan
from gui.table_model import Column, RowTableModel

FALSE_COLOR = QColor(176, 0, 32)


def kind_label(unannounced: bool) -> str:
    return "暗访" if unannounced else "专项核查"


class SampleModel(RowTableModel[SampleSummary]):
    """The samples kept (newest last), with their progress."""

    COLUMNS = (
        Column("抽查编号", lambda r: str(r.id), lambda r: r.id, numeric=True),
        Column("类型", lambda r: kind_label(r.unannounced)),
        Column("抽取时间", lambda r: f"{r.created_at:%Y-%m-%d %H:%M}", lambda r: r.created_at),
        Column("抽取人", lambda r: r.created_by),
        Column("随机种子", lambda r: str(r.seed), lambda r: r.seed, numeric=True,
               tip="用同样的数据和种子可以复核样本"),
        Column("要求", lambda r: r.requested),
        Column("人数", lambda r: str(r.count), lambda r: r.count, numeric=True),
        Column("已完成核查", lambda r: f"{r.checked} / {r.count}", lambda r: (r.checked, r.count), numeric=True,
               tip="五个核查项都已登记结果的学生"),
    )


@dataclass(frozen=True)
class SpotRow:
    """One sampled student and the results entered so far (``None``: not checked yet)."""

    id: int                         # the checklist number (编号)
    school: str
    name: str
    id_number: str                  # full, for the search and the sort only
    stratum: str
    total_fen: int
    grants: str                     # "免学费 1000.00，免书本费 200.00"
    results: tuple[PointResult | None, ...]     # in POINTS order

    @property
    def false_count(self) -> int:
        return sum(r is not None and not r.truthful for r in self.results)


def spot_rows(stored: StoredSample) -> list[SpotRow]:
    rows = []
    for st in stored.sample.students:
        got = stored.results.get(st.seq, {})
        rows.append(SpotRow(st.seq, st.school_name, st.name, st.id_number, st.stratum, st.total_fen,
                            "，".join(f"{g.name} {yuan(g.amount_fen)}" for g in st.grants if g.amount_fen),
                            tuple(got.get(p.code) for p in POINTS)))
    return rows


def result_text(r: PointResult | None) -> str:
    return "" if r is None else (TRUE_LABEL if r.truthful else FALSE_LABEL)


def _point_column(i: int) -> Column[SpotRow]:
    p = POINTS[i]
    return Column(p.label, lambda r: result_text(r.results[i]),
                  lambda r: (-1 if r.results[i] is None else int(r.results[i].truthful), r.id), tip=p.what)


class SpotStudentModel(RowTableModel[SpotRow]):
    """抽查学生: 编号, 学校, 姓名, 身份证号 (masked), 资助合计, then the result of each point."""

    COLUMNS = (
        Column("编号", lambda r: str(r.id), lambda r: r.id, numeric=True, tip="现场核查表上的编号"),
        Column("学校", lambda r: r.school),
        Column("姓名", lambda r: r.name),
        Column("身份证号", lambda r: mask_id(r.id_number), lambda r: r.id_number,
               tip="只显示前6位和后4位；搜索时可输入完整号码"),
        Column("资助（元）", lambda r: yuan(r.total_fen), lambda r: r.total_fen, numeric=True),
        *(_point_column(i) for i in range(len(POINTS))),
    )

    def foreground(self, row: SpotRow, column: int) -> QColor | None:
        first = len(self.COLUMNS) - len(POINTS)
        if column >= first:
            r = row.results[column - first]
            return FALSE_COLOR if r is not None and not r.truthful else None
        return None

    def tooltip(self, row: SpotRow, column: int) -> str | None:
        first = len(self.COLUMNS) - len(POINTS)
        if column >= first:
            r = row.results[column - first]
            if r is not None and r.note:
                return f"{POINTS[column - first].label}：{result_text(r)}（{r.note}）"
        return f"资助项目：{row.grants}" if row.grants else None


@dataclass(frozen=True)
class ReportRow:
    """核查报告: one school's (or the 合计's) figures."""

    id: str
    label: str
    sampled: int
    checked: int
    points: tuple[tuple[int, int], ...]         # (属实, 不属实) per point, in POINTS order
    total_row: bool = False


def report_rows(schools: Sequence[SchoolReport]) -> list[ReportRow]:
    def row(s: SchoolReport, total: bool = False) -> ReportRow:
        pts: Mapping = s.points
        label = s.school_name if total else f"{s.school_name}（{s.school_code}）"
        return ReportRow(s.school_code or "合计", label, s.sampled, s.checked,
                         tuple((pts[p.code].truthful, pts[p.code].false) for p in POINTS), total)
    return [*(row(s) for s in schools), row(totals_of(schools), True)] if schools else []


def _report_point(i: int) -> Column[ReportRow]:
    p = POINTS[i]
    return Column(p.label, lambda r: f"{r.points[i][0]} / {r.points[i][1]}", lambda r: r.points[i][1],
                  numeric=True, tip=f"{p.label}：{TRUE_LABEL}人数 / {FALSE_LABEL}人数")


class ReportModel(TotalLastModel[ReportRow]):
    """Per school: 抽查, 已完成, and 属实 / 不属实 per point; the 合计 line last."""

    COLUMNS = (
        Column("学校", lambda r: r.label, lambda r: r.id),
        Column("抽查", lambda r: str(r.sampled), lambda r: r.sampled, numeric=True),
        Column("已完成", lambda r: str(r.checked), lambda r: r.checked, numeric=True,
               tip="五个核查项都已登记结果的学生"),
        *(_report_point(i) for i in range(len(POINTS))),
    )

    def foreground(self, row: ReportRow, column: int) -> QColor | None:
        if column >= 3 and row.points[column - 3][1]:
            return FALSE_COLOR
        return None
