"""The consolidated package of a receiver (汇总包): what a station passes on to the bureau.

Members: ``summary.xlsx`` (per school, per township, per stage, the budget table, the
cross-school findings, the list of packages), ``report.pdf`` (core.exports.consolidated_report,
with signature lines), ``data.json`` of kind "consolidated" and every accepted school package
verbatim (``school-<code>-<sha>.zip``), each still checkable with its school's key. The
receiver signs the whole with its own key through core.package.write_package, like a school
package; the bureau verifies that signature, then each inner package (``inner_packages``).

``data.json`` (kind "consolidated") keeps the shape core.package_data reads — ``school`` is the
receiver itself, ``students`` is empty (the students are in the inner packages), ``totals`` are
the inner packages' claims added up, ``findings`` the cross-school findings — plus ``packages``:
``[{"member", "sha256", "file_name", "school_code", "school_name", "township", "school_year",
"generated_at", "received_at", "via", "total"}]`` and, only when the receiver has a list of
expected schools, ``reporting`` (core.consolidate.reporting: 应报, 已报, 缺报, 迟报; absent from
older packages, ignored by the readers that do not show it). A reader must look at ``kind``
first: a consolidated member is never a school's list of students.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.checks.base import SEVERITY_LABELS
from core.consolidate.checks import CrossFinding
from core.consolidate.reporting import FIELD as REPORTING_FIELD
from core.consolidate.reporting import Reporting, reporting_of
from core.consolidate.summary import Figures, Summary
from core.errors import InputFileError, ValidationError
from core.exports.data import SchoolInfo
from core.exports.xlsx_common import (
    BOLD,
    TOTAL_FILL,
    Money,
    fit_columns,
    put_text,
    save_workbook,
    setup_print,
    text_width,
    write_header,
    write_row,
    write_title,
)
from core.idnumber import mask_id
from core.intake import KIND_CONSOLIDATED as KIND_CONSOLIDATED  # re-exported: the kind intake takes
from core.money import format_fen
from core.package_data import DATA_FORMAT, DATA_MEMBER, DATA_VERSION
from core.version import program_version

WORKBOOK_MEMBER = "summary.xlsx"
REPORT_MEMBER = "report.pdf"
HEADER_ROW = 2
SHEETS = ("按学校", "按乡镇", "按学段", "预算表", "跨校核查问题", "提交包清单")
REPORTING_SHEET = "报送情况"       # first, only when the receiver has a list of expected schools


@dataclass(frozen=True)
class InnerPackage:
    """One accepted school package as it goes into the consolidated package."""

    sha256: str                    # of the package file (its bytes are the member)
    file_name: str                 # as it was received
    received_at: str
    via: str                       # the station that forwarded it ("" when received directly)
    school_code: str
    school_name: str
    township: str
    school_year: int
    generated_at: str
    total_fen: int                 # what it claims

    @property
    def member(self) -> str:
        """Its member name: flat, safe on every file system, unique by content."""
        code = re.sub(r"[^0-9A-Za-z_-]", "_", self.school_code)[:40]
        return f"school-{code}-{self.sha256[:16]}.zip"


@dataclass
class Consolidation:
    """Everything the consolidated export writes (db.consolidation gathers it)."""

    receiver: SchoolInfo
    packages: list[InnerPackage]
    summary: Summary
    findings: list[CrossFinding]
    county: str = ""
    policy_name: str = ""
    policy_hash: str = ""
    generated_at: datetime = field(default_factory=datetime.now)
    generated_by: str = ""            # the system account (as the audit log names it)
    clerk: str = ""                   # the receiver's 经办人 (公文信息), "" when not set
    signer_fingerprint: str = ""
    program_version: str = field(default_factory=program_version)
    reporting: Reporting | None = None    # 报送情况: None without a list of expected schools

    @property
    def time_label(self) -> str:
        return self.generated_at.strftime("%Y-%m-%d %H:%M")

    def title(self, what: str) -> str:
        return f"{self.receiver.name} {self.receiver.year_label} {what}"


def data_member(c: Consolidation) -> bytes:
    """``data.json`` of kind "consolidated" (canonical bytes: sorted keys, UTF-8)."""
    s, t = c.receiver, c.summary.totals
    doc: dict[str, Any] = {
        "format": DATA_FORMAT, "version": DATA_VERSION, "kind": KIND_CONSOLIDATED,
        "school": {"code": s.code, "name": s.name, "township": s.township, "school_year": s.school_year},
        "policy": {"name": c.policy_name, "hash": c.policy_hash}, "draft": False, "demo": False,
        "generated_at": c.generated_at.isoformat(timespec="seconds"),
        "items": dict(c.summary.items), "sources": dict(c.summary.sources), "students": [],
        "findings": [{**f.to_json(), "reason": ""} for f in c.findings],
        "totals": {"by_item": dict(t.by_item), "by_source": dict(t.by_source), "total": t.total,
                   "students_granted": t.students_granted, "pending": t.pending},
        "packages": [{"member": p.member, "sha256": p.sha256, "file_name": p.file_name,
                      "school_code": p.school_code, "school_name": p.school_name, "township": p.township,
                      "school_year": p.school_year, "generated_at": p.generated_at, "received_at": p.received_at,
                      "via": p.via, "total": p.total_fen} for p in c.packages],
    }
    if c.reporting is not None:
        doc[REPORTING_FIELD] = c.reporting.to_json()
    return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


_INNER_HINT = "请联系报送单位重新导出汇总包，并发送原始文件。"


@dataclass(frozen=True)
class InnerFile:
    """One school package inside a consolidated package, as its data.json lists it."""

    member: str                    # its member name in the consolidated package
    file_name: str                 # the file name it was received under ("" when not listed)
    sha256: str
    content: bytes


def inner_packages(path: Path) -> list[tuple[str, bytes]]:
    """The school packages inside a consolidated package, as (member name, bytes), in the order
    its data.json lists them; each one's SHA-256 is the one data.json records. Trust is not
    decided here: verify the outer package with core.package.verify_package first, then each
    inner one (written to a file) the same way. Raises InputFileError / ValidationError."""
    return [(f.member, f.content) for f in inner_files(path)]


def inner_files(path: Path, content: bytes | None = None) -> list[InnerFile]:
    """``inner_packages`` with each package's listed file name; ``content``: the consolidated
    package's bytes already read and verified (``path`` then only names it)."""
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path if content is None else io.BytesIO(content))
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputFileError(f"无法读取汇总包 {path.name}：{exc}", _INNER_HINT) from None
    with zf:
        names = set(zf.namelist())
        if DATA_MEMBER not in names:
            raise ValidationError(f"{path.name} 中没有 {DATA_MEMBER}，不是汇总包。", _INNER_HINT)
        try:
            doc = json.loads(zf.read(DATA_MEMBER).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError):
            raise ValidationError(f"{path.name} 中的 {DATA_MEMBER} 无法读取。", _INNER_HINT) from None
        if not isinstance(doc, dict) or doc.get("kind") != KIND_CONSOLIDATED:
            raise ValidationError(f"{path.name} 不是汇总包（是学校的提交包）。", "学校的提交包请直接接收。")
        listed = doc.get("packages")
        if not isinstance(listed, list):
            raise ValidationError(f"{path.name} 的 {DATA_MEMBER} 缺少提交包清单（packages）。", _INNER_HINT)
        out: list[InnerFile] = []
        for i, entry in enumerate(listed):
            member = entry.get("member") if isinstance(entry, dict) else None
            sha = entry.get("sha256") if isinstance(entry, dict) else None
            if not isinstance(member, str) or not isinstance(sha, str) or member not in names:
                raise ValidationError(f"{path.name} 的提交包清单第 {i + 1} 项缺少文件或记录不完整。", _INNER_HINT)
            data = zf.read(member)
            if hashlib.sha256(data).hexdigest() != sha.lower():
                raise ValidationError(f"{path.name} 中的 {member} 与清单记录的 SHA-256 不一致，已被改动。", _INNER_HINT)
            file_name = entry.get("file_name")
            out.append(InnerFile(member, file_name if isinstance(file_name, str) else "", sha.lower(), data))
    return out


def reporting_in(path: Path, content: bytes | None = None) -> Reporting | None:
    """The 报送情况 a consolidated package states (``content``: its bytes already read and
    verified); None when it states none (an older program's package, or a receiver without a
    list of expected schools). Raises InputFileError / ValidationError."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path if content is None else io.BytesIO(content)) as zf:
            doc = json.loads(zf.read(DATA_MEMBER).decode("utf-8"))
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise InputFileError(f"无法读取汇总包 {path.name}：{exc}", _INNER_HINT) from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(f"{path.name} 中的 {DATA_MEMBER} 无法读取。", _INNER_HINT) from None
    if not isinstance(doc, dict):
        raise ValidationError(f"{path.name} 中的 {DATA_MEMBER} 无法读取。", _INNER_HINT)
    return reporting_of(doc)


# -- the workbook ---------------------------------------------------------------------------

def _figures(f: Figures, sources: list[str]) -> list[Any]:
    return [f.students, f.students_granted, f.pending, Money(f.total), *(Money(f.by_source.get(s, 0)) for s in sources),
            f.duplicate_ids]


def _finish(ws: Worksheet, c: Consolidation, title: str, header_row: int = HEADER_ROW, maximum: int = 60,
            notes: Iterable[int] = ()) -> None:
    """Columns fitted (the title and the ``notes`` rows, one long text each, not measured), print set up."""
    fit_columns(ws, skip_rows=[1, *notes], maximum=maximum)
    setup_print(ws, header_row=header_row, school=c.receiver.name, title=title, draft=False)


def _by_school(ws: Worksheet, c: Consolidation) -> None:
    srcs = list(c.summary.sources)
    labels = [f"{c.summary.sources[s]}（元）" for s in srcs]
    headers = ["乡镇", "学校代码", "学校名称", "在册学生", "受助学生", "待补充项目", "资助金额（元）", *labels,
               "重复受助人数", "合计与明细"]
    write_title(ws, c.title("汇总表（按学校）"), len(headers), False)
    write_header(ws, HEADER_ROW, headers)
    row = HEADER_ROW
    for s in c.summary.by_school:
        row += 1
        write_row(ws, row, [s.township, s.school_code, s.school_name, *_figures(s.figures, srcs),
                            "一致" if s.totals_match else "不一致"])
    write_row(ws, row + 1, ["合计", f"{c.summary.totals.schools}所", "", *_figures(c.summary.totals, srcs), ""],
              bold=True, fill=TOTAL_FILL)
    _finish(ws, c, SHEETS[0], notes=_note(ws, row + 2, c))


def _note(ws: Worksheet, row: int, c: Consolidation) -> list[int]:
    """The notes under a table of totals: the duplicates inside them, the schools missing from
    them; returns the rows of the notes not to measure (the 缺报 one)."""
    d = c.summary.duplicates
    if d.ids:
        put_text(ws, row, 1, f"注：以上金额为各校提交包声明的合计，其中含 {d.ids} 名在多所学校重复受助的学生"
                             f"（共 {d.entries} 条，金额 {format_fen(d.amount_fen)} 元），"
                             "见“跨校核查问题”。").font = BOLD
        row += 1
    r = c.reporting
    if r is not None and r.missing:
        put_text(ws, row, 1, f"注：应报 {r.expected} 所、已报 {r.received} 所，缺报的 {len(r.missing)} 所学校没有数据，"
                             f"未计入以上合计，汇总数据不完整，见“{REPORTING_SHEET}”。").font = BOLD
        return [row]
    return []


def _reporting(ws: Worksheet, c: Consolidation) -> None:
    """报送情况: the counts, then each school 缺报, 迟报 or not on the list."""
    r = c.reporting
    assert r is not None
    headers = ["情况", "学校代码", "学校名称", "乡镇", "说明"]
    write_title(ws, c.title("报送情况"), len(headers), False)
    counts: list[tuple[str, Any]] = [("应报学校（所）", r.expected), ("已报学校（所）", r.received),
                                     ("缺报学校（所）", len(r.missing)), ("迟报学校（所）", len(r.late))]
    if r.unlisted:
        counts.append(("名单外学校（所）", len(r.unlisted)))
    counts.append(("报送截止日期", r.deadline or "（政策中没有“核准信息数据”阶段）"))
    row = HEADER_ROW
    for label, value in counts:
        write_row(ws, row, [label, value], bold=label.startswith("缺报") and bool(r.missing))
        row += 1
    line = put_text(ws, row, 1, r.line() + r.consequence())
    line.alignment = Alignment(wrap_text=True, vertical="top")
    if r.missing:
        line.font = BOLD
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(headers))
    notes = [row]
    row += 2
    write_header(ws, row, headers)
    header_row = row
    rows = [("缺报", s) for s in r.missing] + [("迟报", s) for s in r.late] + [("名单外", s) for s in r.unlisted]
    for state, s in rows:
        row += 1
        write_row(ws, row, [state, s.code, s.name, s.township, s.note])
    if not rows:
        put_text(ws, row + 1, 1, "应报学校均已按时报送。")
    _finish(ws, c, REPORTING_SHEET, header_row=header_row, maximum=70, notes=notes)
    width = sum(ws.column_dimensions[get_column_letter(i)].width or 8 for i in range(1, len(headers) + 1))
    ws.row_dimensions[notes[0]].height = 16 * max(1, math.ceil((text_width(line.value) + 4) / width))


def _by_township(ws: Worksheet, c: Consolidation) -> None:
    srcs = list(c.summary.sources)
    headers = ["乡镇", "学校数", "在册学生", "受助学生", "待补充项目", "资助金额（元）",
               *(f"{c.summary.sources[s]}（元）" for s in srcs), "重复受助人数"]
    write_title(ws, c.title("汇总表（按乡镇）"), len(headers), False)
    write_header(ws, HEADER_ROW, headers)
    row = HEADER_ROW
    for t in c.summary.by_township:
        row += 1
        write_row(ws, row, [t.township, t.figures.schools, *_figures(t.figures, srcs)])
    write_row(ws, row + 1, ["合计", c.summary.totals.schools, *_figures(c.summary.totals, srcs)],
              bold=True, fill=TOTAL_FILL)
    _finish(ws, c, SHEETS[1], notes=_note(ws, row + 2, c))


def _by_stage(ws: Worksheet, c: Consolidation) -> None:
    srcs = list(c.summary.sources)
    headers = ["学段", "在册学生", "受助学生", "资助金额（元）", *(f"{c.summary.sources[s]}（元）" for s in srcs)]
    write_title(ws, c.title("汇总表（按学段）"), len(headers), False)
    write_header(ws, HEADER_ROW, headers)
    row = HEADER_ROW
    for s in c.summary.by_stage:
        row += 1
        write_row(ws, row, [s.stage, s.students, s.students_granted, Money(s.amount_fen),
                            *(Money(s.by_source.get(x, 0)) for x in srcs)])
    st = c.summary.by_stage
    write_row(ws, row + 1, ["合计", sum(s.students for s in st), sum(s.students_granted for s in st),
                            Money(sum(s.amount_fen for s in st)),
                            *(Money(sum(s.by_source.get(x, 0) for s in st)) for x in srcs)], bold=True, fill=TOTAL_FILL)
    put_text(ws, row + 2, 1, "注：按学段的金额由各校学生明细相加；各校合计与明细一致时，与按学校的合计相同。")
    _finish(ws, c, SHEETS[2])


def _budget(ws: Worksheet, c: Consolidation) -> None:
    srcs = list(c.summary.sources)
    headers = ["资助项目", "受助人数", "金额（元）"]
    for s in srcs:
        headers += [f"{c.summary.sources[s]}人数", f"{c.summary.sources[s]}金额（元）"]
    write_title(ws, c.title("资助资金预算表（项目 × 资金来源）"), len(headers), False)
    write_header(ws, HEADER_ROW, headers)
    row = HEADER_ROW
    for r in c.summary.budget:
        row += 1
        cells: list[Any] = [r.name, r.total.students, Money(r.total.amount_fen)]
        for s in srcs:
            cell = r.by_source.get(s)
            cells += [cell.students if cell else 0, Money(cell.amount_fen if cell else 0)]
        total = not r.code
        write_row(ws, row, cells, bold=total, fill=TOTAL_FILL if total else None)
    put_text(ws, row + 1, 1, f"注：{budget_counts_note(c.summary.sources, '受助人数')}；金额由各校学生明细相加。")
    _finish(ws, c, SHEETS[3])


def budget_counts_note(sources: Mapping[str, str], count_header: str) -> str:
    """What the budget table's counts are (``core.consolidate.summary.BudgetRow``), its columns named as
    ``count_header`` (the item's count: 受助人数 in the workbook, 人数 in the report) and 〈source〉人数."""
    per_source = "、".join(f"“{label}人数”" for label in sources.values())
    text = (f"“{count_header}”为享受该项目的学生数，含金额为 0.00 元的学生（如实收费用为 0），"
            "与学校报表的受助人数口径一致")
    if per_source:
        text += f"；{per_source}为该资金来源分担金额大于 0 的学生数，因此可能少于“{count_header}”"
    text += f"。合计行的“{count_header}”为享受任一项目的学生人数"
    if per_source:
        text += f"，{per_source}为该资金来源在任一项目上分担金额大于 0 的学生人数"
    return text + "（一名学生可享受多个项目，只计一次）"


def _findings(ws: Worksheet, c: Consolidation) -> None:
    headers = ["序号", "级别", "检查项目", "学校代码", "学校名称", "姓名", "身份证号", "问题说明"]
    write_title(ws, c.title("跨校核查问题"), len(headers), False)
    write_header(ws, HEADER_ROW, headers)
    for n, f in enumerate(c.findings, start=1):
        write_row(ws, HEADER_ROW + n, [n, SEVERITY_LABELS.get(f.severity, f.severity), f.title, f.school_code,
                                       f.school_name, f.name, mask_id(f.id_number) if f.id_number else "",
                                       f.message])
    if not c.findings:
        put_text(ws, HEADER_ROW + 1, 1, "跨校核查未发现问题。")
    _finish(ws, c, SHEETS[4], maximum=80)


def _packages(ws: Worksheet, c: Consolidation) -> None:
    headers = ["学校代码", "学校名称", "乡镇", "学年", "资助金额（元）", "生成时间", "接收时间", "转报单位",
               "原文件名", "包内文件名", "SHA-256"]
    write_title(ws, c.title("提交包清单"), len(headers), False)
    write_header(ws, HEADER_ROW, headers)
    for n, p in enumerate(c.packages, start=1):
        write_row(ws, HEADER_ROW + n, [p.school_code, p.school_name, p.township, str(p.school_year),
                                       Money(p.total_fen), p.generated_at, p.received_at, p.via or "（直接报送）",
                                       p.file_name, p.member, p.sha256])
    _finish(ws, c, SHEETS[5], maximum=70)


def write_consolidated_workbook(path: str | Path, c: Consolidation) -> Path:
    """The receiver's summary workbook (every text a string cell: never a formula)."""
    wb = Workbook()
    wb.remove(wb.active)
    if c.reporting is not None:
        _reporting(wb.create_sheet(REPORTING_SHEET), c)
    for name, fill in zip(SHEETS, (_by_school, _by_township, _by_stage, _budget, _findings, _packages), strict=True):
        fill(wb.create_sheet(name), c)
    wb.properties.title = c.title("资助汇总表")
    return save_workbook(wb, path)
