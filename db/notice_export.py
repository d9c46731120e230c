"""The public notice list (公示名单) written from the store: one file, or both formats from one gather."""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.bulk import gc_paused
from core.errors import ValidationError, ZizhuError
from core.exports.data import ExportData
from core.paths import check_replaceable, require_suffix
from db import audit
from db.models import ON_LIST, Student
from db.session import Database


@dataclass
class NoticeResult:
    path: Path
    draft: bool                 # marked 草稿: the data is not verified yet
    reasons: list[str]          # why it is a draft
    students: int               # students listed (those with subsidies)
    warnings: list[str] = field(default_factory=list)


def export_notice(db: Database, target: str | Path, actor: str | None = None) -> NoticeResult:
    """The public notice list (公示名单) as .pdf or .xlsx: names, school, grade, items and
    amounts only. Until every student is verified and no error is open it is marked
    草稿, so an unverified list is never posted as final."""
    return export_notices(db, [target], actor)[0]


@gc_paused()
def export_notices(db: Database, targets: Sequence[str | Path], actor: str | None = None,
                   workbook_child: bool = True) -> list[NoticeResult]:
    """The public notice list in each of ``targets`` (.pdf or .xlsx; a clerk posts both), from one
    gather: every file lists the same students from the same reading of the database. Each file
    is written atomically and gets its own audit entry, as one ``export_notice`` per file would.
    With both formats of a big list the workbook is written by a child process beside the PDF
    (``core.exports.notice_child``; written here if the child fails), unless ``workbook_child`` is
    False or this process may not start one (the GUI's worker process, a daemon): then here, after
    the PDF."""
    from db import exports  # (at call time: db.exports names this module's functions too)
    from db.check_state import check_unless_current

    paths = _notice_targets(targets)
    child = _workbook_child(db, paths) if workbook_child else None
    try:
        with db.session() as s:
            # The draft mark follows the findings' state: the check runs unless its stored findings
            # are current (db.check_state: nothing it reads changed since, even from outside the
            # program, and it ran today under this policy and program).
            check_unless_current(s, actor=actor)
            reasons = exports.readiness(s, documents=False)
            if not reasons:
                exports.require_county(s, "正式公示名单")
            data = exports._printed_data(s, draft=bool(reasons), actor=actor, notice=True)
        handed = next((t for t in paths if t.suffix.lower() == ".xlsx"), None)
        handed = handed if child is not None and handed is not None and child.send(handed, data) else None
        done: dict[Path, NoticeResult] = {}
        try:
            for target in paths:
                if target != handed:
                    done[target] = _notice_file(db, target, data, reasons, actor)
            if handed is not None and child is not None:
                done[handed] = _notice_file(db, handed, data, reasons, actor, written=child.finish())
        except BaseException as exc:
            if handed is not None and handed not in done and child is not None and child.finish():
                done[handed] = _notice_file(db, handed, data, reasons, actor, written=True)  # recorded too
            if isinstance(exc, ZizhuError) and done:     # the files written before it, said with the error
                exc.hint = (exc.hint.rstrip("。") + "。" if exc.hint else "") + \
                    "已经导出的文件：" + "、".join(f"“{t.name}”" for t in paths if t in done)
            raise
    finally:
        if child is not None:
            child.stop()
    return [done[t] for t in paths]


NOTICE_CHILD_MIN = 5_000    # students on the list: below, a child's start costs more than the workbook


def _workbook_child(db: Database, paths: list[Path]) -> Any:
    """A started ``WorkbookChild`` when both formats are asked for a list big enough and a core is free
    (``core.in_child.spare_core``: on a busy machine the child would only add its start), else None."""
    from multiprocessing import current_process

    from core.in_child import spare_core
    if {p.suffix.lower() for p in paths} != {".pdf", ".xlsx"} or not spare_core():
        return None
    if current_process().daemon:        # (multiprocessing refuses a daemon's children)
        return None
    with db.session() as s:
        if (s.scalar(select(func.count()).select_from(Student).where(ON_LIST)) or 0) < NOTICE_CHILD_MIN:
            return None
    from core.exports.notice_child import WorkbookChild
    child = WorkbookChild()
    child.start()
    return child


def _notice_file(db: Database, target: Path, data: ExportData, reasons: list[str], actor: str | None,
                 written: bool = False) -> NoticeResult:
    """Write one notice file (unless ``written`` already) and record its export in the audit log."""
    from db.check_state import unchanged_for_checks
    warnings: list[str] = []
    if not written and target.suffix.lower() == ".xlsx":       # (each writer imports only its own library)
        from core.exports.notice_xlsx import write_notice_xlsx
        write_notice_xlsx(target, data)
    elif not written:
        from core.exports.notice import write_notice_pdf
        warnings = write_notice_pdf(target, data)
    with db.session() as s, unchanged_for_checks(s):     # its own audit entry: no finding changes
        audit.record(s, actor or audit.default_actor(), "export", None,
                     {"*": (None, f"导出公示名单{'（草稿）' if reasons else ''} {target.name}")})
    return NoticeResult(target, bool(reasons), reasons, data.totals.students_granted, warnings)


def _notice_targets(targets: Sequence[str | Path]) -> list[Path]:
    """The notice's files, refused before any work when one is not .pdf or .xlsx or is named twice."""
    paths = [Path(t) for t in targets]
    if not paths:
        raise ValidationError("没有指定公示名单的文件名", "请指定要保存的 .pdf 或 .xlsx 文件")
    seen: set[str] = set()
    for target in paths:
        require_suffix(target, (".pdf", ".xlsx"), "公示名单")
        check_replaceable(target)        # (the workbook may be written by a child process: checked here)
        key = os.path.normcase(os.path.abspath(target))
        if key in seen:
            raise ValidationError(f"文件“{target}”指定了两次", "同时生成两种格式时，请指定一个 .pdf 和一个 .xlsx 文件")
        seen.add(key)
    return paths
