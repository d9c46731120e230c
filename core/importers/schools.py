"""Import the receiver's list of expected schools (应报学校名单): 学校代码, 学校名称, 乡镇, 学段/层级.

The list is a reference the status (consolidate status) is measured against, so it is
taken whole or not at all: any row with a problem (no code, no name, a code twice)
refuses the file with every problem listed by line, and nothing changes. Footer rows
(合计, 制表人：…, 填表说明…) are skipped like in the other imports.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import InputFileError
from core.importers.common import Progress, cell_text, footer_kind, iter_data_rows, where
from core.importers.header import Mapping, find_header
from core.importers.reader import Table
from core.records import Column

SCHOOL_COLUMNS: tuple[Column, ...] = (
    Column("code", "学校代码", ("学校标识码", "单位代码", "代码"), required=True),
    Column("name", "学校名称", ("学校", "单位名称", "名称"), required=True),
    Column("township", "乡镇", ("所属乡镇", "乡(镇)", "乡镇（街道）")),
    Column("level", "学段", ("层级", "学校类型", "类别", "级别", "学校层级")),
)
_SHOWN = 20


@dataclass(frozen=True)
class ExpectedSchoolRow:
    code: str
    name: str
    township: str = ""
    level: str = ""          # 中心校 / 县直学校 / 村小 …, as the list says


@dataclass
class SchoolListParse:
    mapping: Mapping
    schools: list[ExpectedSchoolRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)     # (line, why): footer rows


def parse_expected_schools(table: Table, progress: Progress | None = None) -> SchoolListParse:
    """The schools of ``table``; InputFileError listing every bad row (by line) otherwise."""
    mapping = find_header(table, SCHOOL_COLUMNS, what="应报学校名单")
    cols = mapping.columns
    out = SchoolListParse(mapping)
    problems: list[str] = []
    seen: dict[str, int] = {}

    def text(row: list[object], fld: str) -> str:
        return cell_text(row[cols[fld]]).strip() if fld in cols else ""

    for line, row in iter_data_rows(table, mapping, progress):
        code, name = text(row, "code"), text(row, "name")
        footer = footer_kind(name) or footer_kind(code) or footer_kind(cell_text(row[0]).strip())
        if footer and not (code and name):
            out.skipped.append((line, footer))
            continue
        if not code:
            problems.append(f"第{line}行：{where(mapping, 'code')}为空")
            continue
        if not name:
            problems.append(f"第{line}行：{where(mapping, 'name')}为空（学校代码 {code}）")
            continue
        if code in seen:
            problems.append(f"第{line}行：学校代码 {code} 与第{seen[code]}行重复")
            continue
        seen[code] = line
        out.schools.append(ExpectedSchoolRow(code, name, text(row, "township"), text(row, "level")))
    if problems:
        more = f"；另有 {len(problems) - _SHOWN} 处问题" if len(problems) > _SHOWN else ""
        raise InputFileError(f"应报学校名单“{table.file_name}”有 {len(problems)} 处问题，没有导入："
                             + "；".join(problems[:_SHOWN]) + more,
                             "请改正这些行后重新导入；名单整体导入，有问题时不会改动现有名单。")
    if not out.schools:
        raise InputFileError(f"应报学校名单“{table.file_name}”中没有任何学校。",
                             "表头下面每行一所学校：学校代码、学校名称、乡镇、学段（如 中心校、县直学校）。")
    return out
