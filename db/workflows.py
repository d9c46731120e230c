"""Use cases shared by the CLI and the GUI: import a file, fill demo data, templates.

Each runs in one transaction: a failure leaves the database exactly as it was.
Long ones take a ``progress(done, total)`` callback and never touch widgets.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from core.errors import ValidationError
from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS, Column, ParsedRow
from db import store
from db.changes import Changes
from db.importing import ImportPlan, apply_plan, plan_import
from db.importing_review import plan_notes, review_lines
from db.models import ON_LIST, RosterPerson, Student
from db.session import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.checks import Payment
    from core.policy import Parameter

Progress = Callable[[int, int], None]
KIND_LABELS = {"students": "学生名单", "roster": "建档立卡名单"}


@dataclass
class ImportPreview:
    kind: str
    parsed: Any            # core.importers ParseResult
    plan: ImportPlan
    file_state: tuple[int, int] | None = None    # the file previewed (``file_state``): the import checks it
    review: list[str] = field(default_factory=list)   # what it would change, person by person

    @property
    def notes(self) -> list[str]:
        """What the counts do not say (db.importing_review.plan_notes): 已核准 students going back
        to 待核准, blank cells keeping stored values, …"""
        return plan_notes(self.plan, done=False)


def file_state(path: str | Path) -> tuple[int, int]:
    """The file's size and modification time: a file saved again since differs."""
    st = Path(path).stat()
    return st.st_size, st.st_mtime_ns


@dataclass
class ImportReport:
    kind: str
    parsed: Any
    plan: ImportPlan
    counts: dict[str, int]

    @property
    def notes(self) -> list[str]:
        """What the counts do not say (db.importing_review.plan_notes)."""
        return plan_notes(self.plan, done=True)

    @property
    def changes(self) -> Changes:
        return (Changes.STUDENTS if self.kind == "students" else Changes.ROSTER) | Changes.SETTINGS


def columns_of(kind: str) -> tuple[Column, ...]:
    """The column specifications of an import kind (students or roster)."""
    if kind not in KIND_LABELS:
        raise ValidationError(f"不认识的导入类型“{kind}”", "应为 students（学生名单）或 roster（建档立卡名单）")
    return STUDENT_COLUMNS if kind == "students" else ROSTER_COLUMNS


def parse_file(db: Database, kind: str, path: str | Path, overrides: dict[str, str] | None = None,
               progress: Progress | None = None) -> Any:
    """Read and parse a file with the mapping remembered for this kind (or ``overrides``)."""
    from core.importers.roster import parse_roster
    from core.importers.students import parse_students
    from db.import_prefetch import read_import_table

    columns_of(kind)
    with db.session() as s:
        remembered = store.get_mapping(s, kind)
        policy = store.get_policy(s) if kind == "students" else None     # the roster needs none
        stored = policy is not None and s.scalar(select(Student.id).limit(1)) is not None
    table = read_import_table(kind, path)     # (the one read ahead by the CLI's start: db.import_prefetch)
    use = overrides if overrides is not None else remembered
    if policy is not None:     # (blank cells matter only to students already stored)
        return parse_students(table, policy, overrides=use, progress=progress, blanks=stored)
    return parse_roster(table, overrides=use, progress=progress)


def preview_import(db: Database, kind: str, path: str | Path,
                   overrides: dict[str, str] | None = None, replace: bool = False,
                   confirm_removal: bool = False) -> ImportPreview:
    """Dry run: what the import would do. Nothing is written. Planned under the
    write lock, like ``run_import``, so the preview shows what an import would do now; its
    ``review`` lists what would change, student by student (db.importing_review)."""
    try:
        state: tuple[int, int] | None = file_state(path)
    except OSError:
        state = None             # (the read says what is wrong with the file)
    parsed = parse_file(db, kind, path, overrides)
    with db.write_session() as s:
        plan = plan_import(s, kind, parsed.rows, parsed.skipped, parsed.mapping.columns.keys(), replace,
                           confirm_removal)
        policy = store.get_policy(s) if kind == "students" else None     # (the categories' labels)
        s.rollback()
    return ImportPreview(kind, parsed, plan, state, review_lines(plan, policy))


def run_import(db: Database, kind: str, path: str | Path, overrides: dict[str, str] | None = None,
               actor: str | None = None, progress: Progress | None = None,
               replace: bool = False, confirm_removal: bool = False,
               previewed: tuple[int, int] | None = None) -> ImportReport:
    """Parse and write a file in one transaction; remember the mapping used.
    ``replace`` (roster only) removes the people who are no longer in the file. ``previewed``: the
    ``file_state`` of the file as previewed (the wizard's step 2): a file saved again since is refused,
    since what the clerk checked and confirmed is not what would be imported.

    The database is backed up first; the plan is made and applied under one
    write lock (BEGIN IMMEDIATE), so a concurrent writer cannot slip in between.

    The cyclic garbage collector stays paused for the whole import (``gc_paused``): paused only
    around the read, the parse and the write, each resumption collected the young objects made
    so far (the file's rows, then the parsed rows: 0.2 s at 200,000 rows); now once, at the end."""
    from core.bulk import gc_paused
    from db.backup import backup_before_change
    if previewed is not None and _state_or_none(path) != previewed:
        raise ValidationError(f"文件“{Path(path).name}”在预览之后被修改过，这次没有导入",
                              "请关闭导入窗口，重新导入这个文件：先预览，核对无误后再导入")
    with gc_paused():
        parsed = parse_file(db, kind, path, overrides)
        backup_before_change(db, f"before-import-{kind}")
        with db.write_session() as s:
            plan = plan_import(s, kind, parsed.rows, parsed.skipped, parsed.mapping.columns.keys(), replace,
                               confirm_removal)
            counts = apply_plan(s, plan, actor=actor, progress=progress)
            store.put_mapping(s, kind, parsed.mapping.overrides())
    return ImportReport(kind, parsed, plan, counts)


def _state_or_none(path: str | Path) -> tuple[int, int] | None:
    try:
        return file_state(path)
    except OSError:
        return None


def run_import_shown(db: Database, kind: str, path: str | Path, overrides: dict[str, str] | None = None,
                     progress: Progress | None = None, replace: bool = False,
                     confirm_removal: bool = False, previewed: tuple[int, int] | None = None) -> ImportReport:
    """``run_import`` whose report keeps what the import wizard shows and saves: the counts, the rows
    with problems, the skipped rows, the headers. The GUI runs it in its child process: the tens of
    thousands of rows imported without a problem are not sent back to be unpickled there."""
    from dataclasses import replace as replaced
    report = run_import(db, kind, path, overrides, progress=progress, replace=replace,
                        confirm_removal=confirm_removal, previewed=previewed)
    plan = report.plan
    shown = replaced(plan, added=[r for r in plan.added if r.problems],
                     unchanged=[r for r in plan.unchanged if r.problems],
                     updated=[u for u in plan.updated if u[1].problems],
                     kept=[], removed_people=[])    # (their counts stay: kept_blank, removed)
    return ImportReport(kind, replaced(report.parsed, rows=[], skipped=[]), shown, report.counts)


def import_summary(counts: dict[str, int], done: bool) -> str:
    """The one sentence saying what an import did (``done``) or would do (a preview)."""
    verb = "已" if done else "将"
    text = (f"{verb}新增 {counts['added']} 行，{verb}更新 {counts['updated']} 行，"
            f"无变化 {counts['unchanged']} 行，跳过 {counts['skipped']} 行，"
            f"有问题 {counts['with_problems']} 行")
    if counts.get("removed"):
        text += f"，{verb}删除 {counts['removed']} 人（不在新名单中）"
    return text


@dataclass(frozen=True)
class RowLines:
    """The rows an import lists, from the same plan its counts come from
    (``counts()["with_problems"] == len(problems)``, ``counts()["skipped"] == len(skipped)``)."""
    problems: list[str]     # imported and flagged: "第 5 行：身份证号校验位错误…"
    skipped: list[str]      # not imported, with why: "第 9 行：这一行是合计/小计行，不是学生，未导入"


def row_lines(plan: ImportPlan) -> RowLines:
    from core.importers.common import SKIPPED_NO_NAME_ID
    from db.importing_review import who  # (a row with a name is named: the line alone hid whose it is)
    return RowLines([f"{who(r) if r.values.get('name') else f'第 {r.line} 行'}：{'；'.join(r.problems)}"
                     for r in plan.problem_rows],
                    # the reason a row was skipped is its last problem (formula problems come first)
                    [f"第 {r.line} 行：{r.problems[-1] if r.problems else SKIPPED_NO_NAME_ID}"
                     for r in plan.skipped])


def mapping_lines(kind: str, parsed: Any) -> list[str]:
    """"身份证号 ← “学生身份证号”（B列）" per detected column, with this kind's headers."""
    from core.importers.reader import column_letter
    columns = {c.field: c.header for c in columns_of(kind)}
    return [f"{columns.get(fld, fld)} ← “{parsed.mapping.matched.get(fld, '')}”（{column_letter(idx)}列）"
            for fld, idx in parsed.mapping.columns.items()]


def save_problem_rows(target: str | Path, plan: ImportPlan | list[ParsedRow], headers: list[str]) -> int:
    """Write the rows with problems (and skipped rows) to an Excel file to fix and re-import.
    ``plan`` is an import plan, or the rejected rows themselves (the payments import)."""
    from core.importers.problems import write_problem_rows
    rows = list(plan) if isinstance(plan, list) else plan.problem_rows + list(plan.skipped)
    rows.sort(key=lambda r: r.line)
    write_problem_rows(target, headers, rows)
    return len(rows)


def fill_demo(db: Database, n_students: int = 300, seed: int = 2023,
              progress: Progress | None = None) -> dict[str, int]:
    """Fill an empty database with synthetic data (school, policy parameters, students, roster)
    and mark it as a demo database: the window title and every export then say 演示数据.

    A database with a school or a student is refused (ValidationError), untouched: the demo would
    rename its school, replace its 县名 and mark it a demo database for good (the GUI only fills a
    database without a school, gui.databases)."""
    from core.demo import generate_demo

    def refuse_unless_empty(s: Any) -> None:
        school = store.find_school(s)
        students = s.scalar(select(func.count()).select_from(Student))
        if school is None and not students:
            return
        what = f"学校“{school.name}”" if school is not None else f"{students} 名学生"
        raise ValidationError(f"数据库“{db.path.name}”中已有{what}，不能在其中生成演示数据"
                              "（会改掉学校名称和县名，并把它永久标记为演示数据库），没有做任何修改",
                              "请为演示新建一个数据库文件：打开演示数据库用 python main.py --demo，"
                              "或用 python main.py --db 演示.sqlite demo 生成到新文件")

    with db.session() as s:         # refused before the demo data is made
        refuse_unless_empty(s)
    data = generate_demo(n_students=n_students, seed=seed)
    with db.write_session() as s:   # the emptiness check and the writes under one lock
        refuse_unless_empty(s)
        sch = data.school
        store.init_school(s, sch["name"], sch["code"], sch["school_year"], actor="demo",
                          township=sch.get("township", ""), contact_phone=sch.get("contact_phone", ""),
                          supervision_phone=sch.get("supervision_phone", ""))
        store.mark_demo(s)
        from core.demo_people import COUNTY
        from db.official import set_official
        set_official(s, "county", sch.get("county", COUNTY), actor="demo")
        for key, value in data.policy_params.items():
            store.set_policy_value(s, key, value, actor="demo")
        for kind, values in (("students", data.students), ("roster", data.roster)):
            rows = [ParsedRow(i + 2, v) for i, v in enumerate(values)]
            fields = {f for v in values for f in v}
            plan = plan_import(s, kind, rows, [], fields)
            apply_plan(s, plan, actor="demo", progress=progress)
        from db.findings import run_and_store
        run_and_store(s, actor="demo")   # a newcomer sees the planted problems at once
        return {"students": len(data.students), "roster": len(data.roster)}


@dataclass(frozen=True)
class DatabaseInfo:
    """What the window needs to know about an opened database before showing it."""

    path: Path
    school: str          # the school's name, "" before the first start
    demo: bool           # filled with demo data (store.is_demo)
    unset: tuple[Parameter, ...] = ()    # before the first start: the policy parameters not set yet

    @property
    def has_school(self) -> bool:
        return bool(self.school)


def database_info(db: Database) -> DatabaseInfo:
    """(In the worker) the school, whether it is demo data, and for a database without a school the
    parameters the first-start wizard asks for."""
    from core.policy import unset_parameters
    with db.session() as s:
        school = store.find_school(s)
        unset = () if school is not None else tuple(unset_parameters(store.get_policy(s)))
        return DatabaseInfo(db.path, school.name if school is not None else "", store.is_demo(s), unset)


def open_existing_database(path: str | Path) -> Database:
    """打开数据库…: an existing database only (``open_database`` would make a new one)."""
    from db.session import open_database
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"找不到数据库文件“{p}”，没有打开任何文件",
                              "请确认文件没有被移动、改名或删除；要新建数据库请用“文件 → 新建数据库…”")
    return open_database(p, backup_on_start=True)


def create_database(path: str | Path) -> Database:
    """新建数据库…: a new, empty database; an existing file is never touched."""
    from db.session import open_database
    p = Path(path)
    if p.exists():
        raise ValidationError(f"文件“{p.name}”已经存在，没有改动它",
                              "要打开它请用“文件 → 打开数据库…”；要新建请换一个文件名")
    return open_database(p)


def write_import_template(db: Database, kind: str, target: str | Path) -> None:
    from core.importers.templates import write_template
    columns_of(kind)
    with db.session() as s:
        policy = store.get_policy(s)
    write_template(target, kind, policy)


def counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {"students": s.scalar(select(func.count()).select_from(Student).where(ON_LIST)) or 0,
                "roster": s.scalar(select(func.count()).select_from(RosterPerson)) or 0}


@dataclass
class PaymentImport:
    parsed: Any                 # core.importers.payments.PaymentParse
    replaced: int               # payments stored before (replaced, or that would be)
    dry_run: bool
    problems_file: Path | None  # where the rejected rows were saved

    @property
    def payments(self) -> list:
        return self.parsed.payments

    @property
    def problems(self) -> list[tuple[int, str]]:
        return self.parsed.problems

    @property
    def changes(self) -> Changes:
        return Changes.NONE if self.dry_run else Changes.PAYMENTS


def import_payments(db: Database, path: str | Path, actor: str | None = None, dry_run: bool = False,
                    problems: str | Path | None = None) -> PaymentImport:
    """Replace the disbursement record with the file's rows (as the other imports: ``dry_run``
    writes nothing, ``problems`` saves the rejected rows). A file without a single usable row
    changes nothing and raises an InputFileError saying so."""
    from core.errors import InputFileError
    from core.importers.payments import parse_payments
    from core.importers.reader import read_table
    from db.models import ON_LIST, PaymentRecord, Student
    table = read_table(path)
    with db.session() as s:
        policy = store.get_policy(s)
        listed = frozenset(s.scalars(select(Student.id_number).where(ON_LIST, Student.id_number != "")))
    parsed = parse_payments(table, policy, listed=listed)
    saved = None
    if problems is not None and parsed.problem_rows:
        save_problem_rows(problems, parsed.problem_rows, parsed.headers)
        saved = Path(problems)
    if not parsed.payments:
        where = f"有问题的行已保存到：{saved}；" if saved else ""
        raise InputFileError(
            f"发放记录“{Path(path).name}”中没有可以导入的行（{len(parsed.problems)} 行有问题），"
            "已有的发放记录没有改动",
            f"{where}请按每行的问题说明改正（身份证号填18位号码并设为文本格式，项目填资助政策中的项目代码或名称，"
            "金额填数字）后重新导入")
    if not dry_run:
        from db.backup import backup_before_change
        backup_before_change(db, "before-import-payments")
    with (db.session() if dry_run else db.write_session()) as s:
        before = s.scalar(select(func.count()).select_from(PaymentRecord)) or 0
        if dry_run:
            s.rollback()
        else:
            replace_payments(s, parsed.payments, actor=actor)
    return PaymentImport(parsed, before, dry_run, saved)


def replace_payments(session: Session, payments: list[Payment], actor: str | None = None) -> int:
    """The disbursement record replaces the previous one as a whole."""
    from datetime import datetime

    from sqlalchemy import delete, insert

    from db import audit
    from db.findings import PAYMENTS_KEY
    from db.models import PaymentRecord
    session.execute(delete(PaymentRecord))
    if payments:
        session.execute(insert(PaymentRecord), [
            {"line": p.line, "id_number": p.id_number, "item_code": p.item_code, "amount_fen": p.amount_fen}
            for p in payments])
    store.put_setting(session, PAYMENTS_KEY, datetime.now().isoformat(timespec="seconds"))
    audit.record(session, actor or audit.default_actor(), "payments", None, {"*": (None, f"导入 {len(payments)} 条")})
    return len(payments)
