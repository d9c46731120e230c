"""`zizhu --selftest`: a whole campaign, headless, in a private temporary folder.

Proves an installation (the frozen bundle above all) works end to end: create a
database, fill demo data, set the policy, import workbooks made from the program's own
import templates, compute, check (and settle the planted problems), verify, write final
letters, export a FINAL package and verify it, then open the main window off screen.
Never touches the user's data folder or default database (``ZIZHU_HOME`` points into
the temporary folder while it runs).

Prints one line, Chinese and English: ``自检通过 / Self-test passed: …`` (exit 0) or
``自检失败 / Self-test FAILED: 第 N 步 … / step N …`` (exit 1). The same line, the steps and
a failure's traceback (personal numbers masked) are written to a report file, because on
Windows the program has no console: ``%TEMP%\\Zizhu-selftest.txt`` by default.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED = 0, 1
PASSPHRASE = "selftest-passphrase-1"
ACTOR = "自检"
DEMO_STUDENTS = 60
SETTLE_REASON = "自检：演示数据中预置的问题"


def default_report_path() -> Path:
    """Where the report goes when no ``--selftest-report`` is given (the system's temp folder)."""
    return Path(tempfile.gettempdir()) / "Zizhu-selftest.txt"


@dataclass
class Context:
    """What the steps share: the temporary folder, the open database, what was made."""
    folder: Path
    gui: bool = True
    db: Any = None
    imported: list[str] = field(default_factory=list)     # ID numbers of the template-made rows
    package: Path | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.folder / "selftest.sqlite"


@dataclass(frozen=True)
class Step:
    chinese: str
    english: str
    run: Callable[[Context], str]     # returns a short note for the report


# -- the steps ------------------------------------------------------------------------------

def _create(ctx: Context) -> str:
    from db.migrate import head_revision
    from db.session import open_database
    ctx.db = open_database(ctx.db_path)
    return f"{ctx.db_path.name}, schema {head_revision()}"


def _demo(ctx: Context) -> str:
    from db.workflows import fill_demo
    counts = fill_demo(ctx.db, n_students=DEMO_STUDENTS)
    return f"{counts['students']} students, {counts['roster']} on the roster"


def _policy(ctx: Context) -> str:
    from core.money import format_fen
    from core.policy import default_policy, parameters_of
    from db.settings import install_policy, policy, save_policy
    current = policy(ctx.db)
    install_policy(ctx.db, default_policy().text, actor=ACTOR)         # the bundled policy file
    restored = {p.key: format_fen(p.fen) for p in parameters_of(current) if p.fen is not None}
    save_policy(ctx.db, restored, actor=ACTOR)                         # the demo school's standards again
    return f"{policy(ctx.db).name}; {len(restored)} parameters set"


def _fill_template(path: Path, rows: list[dict[str, str]]) -> None:
    """Write ``rows`` (header -> text) under the template's header row."""
    import openpyxl
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    columns = {str(c.value): c.column for c in ws[1] if c.value}
    for r, values in enumerate(rows, start=2):
        for header, value in values.items():
            ws.cell(row=r, column=columns[header], value=value)
    wb.save(path)


def _import(ctx: Context) -> str:
    from core.demo_people import REGION
    from core.idnumber import make_id
    from db.workflows import run_import, write_import_template
    people = [("自检甲", make_id(REGION, date(2008, 3, 1), 901)), ("自检乙", make_id(REGION, date(2007, 9, 9), 902)),
              ("自检丙", make_id(REGION, date(2008, 11, 20), 903))]
    ctx.imported = [number for _name, number in people]
    roster_file, students_file = ctx.folder / "roster.xlsx", ctx.folder / "students.xlsx"
    write_import_template(ctx.db, "roster", roster_file)
    write_import_template(ctx.db, "students", students_file)
    _fill_template(roster_file, [{"户编号": "SELF0001", "姓名": name, "证件号码": number, "与户主关系": "之子"}
                                 for name, number in people])
    _fill_template(students_file, [
        {"姓名": name, "身份证号": number, "学段": "普通高中", "年级": "高一", "班级": "1班", "就读地": "本地",
         "学校性质": "公办", "是否全日制正式学籍": "是", "家庭类别": "建档立卡", "户主姓名": "自检户主",
         "实收学费": "1200", "实收书本费": "0", "实收住宿费": "0"} for name, number in people])
    roster = run_import(ctx.db, "roster", roster_file, actor=ACTOR)
    students = run_import(ctx.db, "students", students_file, actor=ACTOR)
    added = students.counts.get("added", 0)
    if added != len(people):
        raise AssertionError(f"expected {len(people)} new students from the template, got {students.counts}")
    return f"roster {roster.counts}, students {students.counts}"


def _compute(ctx: Context) -> str:
    from core.money import format_fen
    from db.compute import compute_school
    results, totals = compute_school(ctx.db)
    if not totals.total:
        raise AssertionError("the school's subsidies came to 0")
    return f"{len(results)} students, total {format_fen(totals.total)} yuan"


def _check(ctx: Context) -> str:
    """Run the checks, then settle what the demo data plants on purpose: a student with an
    open error is taken off the list (移出名单), any other open error is accepted."""
    from core.checks import FindingState
    from db import usecases
    from db.views import finding_rows
    usecases.check(ctx.db, actor=ACTOR)
    errors = [f for f in finding_rows(ctx.db, include_fixed=False)
              if f.severity == "error" and f.state == FindingState.OPEN]
    if not errors:
        raise AssertionError("the demo data's planted errors were not found")
    students = sorted({f.student_id for f in errors if f.student_id is not None})
    if set(students) & set(_ids_of(ctx, ctx.imported)):
        raise AssertionError("a student imported from the template has an open error")
    usecases.remove(ctx.db, students, SETTLE_REASON, actor=ACTOR)
    rest = [f.id for f in finding_rows(ctx.db, include_fixed=False)
            if f.severity == "error" and f.state == FindingState.OPEN]
    if rest:
        usecases.accept_findings(ctx.db, rest, SETTLE_REASON, actor=ACTOR)
    return f"{len(errors)} open errors: {len(students)} students removed, {len(rest)} accepted"


def _ids_of(ctx: Context, numbers: list[str]) -> list[int]:
    from db.views import students_with_id
    return [key for number in numbers for key in students_with_id(ctx.db, number)]


def _verify(ctx: Context) -> str:
    from db import usecases
    from db.views import snapshot
    on_list = [row.id for row in snapshot(ctx.db).students if not row.removed]
    done = usecases.verify(ctx.db, on_list, actor=ACTOR)
    if done.done != len(on_list):
        raise AssertionError(f"verified {done.done} of {len(on_list)} students")
    return f"{done.done} students verified"


def _letters(ctx: Context) -> str:
    from core.exports.letters import write_letters
    from db.exports import gather_letters
    letters = gather_letters(ctx.db, keys=_ids_of(ctx, ctx.imported))
    if letters.draft:
        raise AssertionError("the letters are still drafts: " + "；".join(letters.reasons))
    target = ctx.folder / "letters.pdf"
    write_letters(target, letters.data, keys=_ids_of(ctx, ctx.imported))
    return f"{target.name}, {target.stat().st_size} bytes, final"


def _export(ctx: Context) -> str:
    from db.exports import export_package
    result = export_package(ctx.db, ctx.folder / "package.zip", PASSPHRASE, draft=False, letters=True, actor=ACTOR)
    if result.draft:
        raise AssertionError("the package is a draft")
    ctx.package = result.path
    return f"{result.path.name}, {result.counts['students']} students, signer {result.fingerprint[:16]}…"


def _verify_package(ctx: Context) -> str:
    from core.money import format_fen
    from core.package import verify_package
    from core.version import program_version
    from db.compute import compute_school
    from db.readonly import read_own_signer
    assert ctx.package is not None
    result = verify_package(ctx.package, [read_own_signer(ctx.db_path)])
    if not result.ok:
        raise AssertionError("；".join(result.problems) or result.signer_problem or "verification failed")
    manifest = result.manifest or {}
    if program_version() == "unknown":
        raise AssertionError("the program's version is unknown (package metadata missing from the bundle)")
    if result.draft is not False:
        raise AssertionError("the verified package is not a final one")
    if manifest.get("program_version") != program_version():
        raise AssertionError(f"manifest version {manifest.get('program_version')!r} != {program_version()!r}")
    ctx.facts["total"] = format_fen(compute_school(ctx.db)[1].total)     # the students on the list
    if manifest.get("totals", {}).get("total") != ctx.facts["total"]:
        raise AssertionError(f"package total {manifest.get('totals')} != computed {ctx.facts['total']}")
    ctx.facts["students"] = manifest.get("counts", {}).get("students")
    return f"intact, signed, final, {ctx.facts['students']} students, {ctx.facts['total']} yuan"


def _gui(ctx: Context) -> str:
    """The main window on the self-test database, off screen: Qt's plugins, the bundled font
    and Qt's Chinese texts all load (what a frozen bundle most easily misses)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui import app as gui_app
    from gui.main_window import MainWindow
    qt_app = gui_app.setup_application()
    family = qt_app.font().family()
    if "WenQuanYi" not in family and "文泉驿" not in family:
        raise AssertionError(f"the bundled font is not the application font ({family})")
    if not gui_app.translations_loaded():
        raise AssertionError("Qt's Chinese translations were not loaded")
    window = MainWindow(ctx.db)
    try:
        window.show()
        window.reload_all()
        qt_app.processEvents()
        shot = ctx.folder / "window.png"
        if not window.grab().save(str(shot)):
            raise AssertionError("the main window could not be drawn")
        from gui.manual import check_manual
        pictures = check_manual(window)           # 帮助 → 用户手册: the text and every picture load
        return f"{window.windowTitle()}; font {family}; {shot.stat().st_size} bytes drawn; manual {pictures} pictures"
    finally:
        window.close()
        window.deleteLater()
        qt_app.processEvents()
        from gui import worker
        worker.wait_for_idle()      # what the last events started (a reload's clean-up): no thread left at exit
        worker.stop_child()         # the window's worker process, whose log is in the folder removed next


def _notices(ctx: Context) -> str:
    """帮助 → 关于 → 第三方许可声明: the bundle carries every component's licence text (core.notices)."""
    from core.notices import shipped_notices
    text = shipped_notices()
    for name in ("SQLAlchemy", "reportlab", "PySide6", "olefile", "Python", "GNU LESSER GENERAL PUBLIC LICENSE"):
        if name not in text:
            raise AssertionError(f"the third-party notices do not name {name}")
    return f"{len(text)} characters"


STEPS: tuple[Step, ...] = (
    Step("建立数据库", "create database", _create),
    Step("生成演示数据", "fill demo data", _demo),
    Step("设置资助政策", "set the policy", _policy),
    Step("用导入模板导入名单", "import template-made workbooks", _import),
    Step("计算资助", "compute", _compute),
    Step("核查并处理问题", "check and settle findings", _check),
    Step("核准", "verify students", _verify),
    Step("生成告知书", "write letters", _letters),
    Step("导出正式上报包", "export the final package", _export),
    Step("验证上报包", "verify the package", _verify_package),
    Step("随附许可声明", "third-party notices", _notices),
    Step("打开主窗口", "open the main window", _gui),
)


# -- running them ---------------------------------------------------------------------------

@contextlib.contextmanager
def _isolated(folder: Path) -> Iterator[None]:
    """``ZIZHU_HOME`` (data, logs, backups, temporaries) inside ``folder`` while the block runs."""
    from core.logsetup import current_log_file, setup_logging, stop_logging
    old_home, old_log = os.environ.get("ZIZHU_HOME"), current_log_file()
    os.environ["ZIZHU_HOME"] = str(folder / "home")
    setup_logging(folder / "home" / "logs")
    try:
        yield
    finally:
        if old_home is None:
            os.environ.pop("ZIZHU_HOME", None)
        else:
            os.environ["ZIZHU_HOME"] = old_home
        if old_log is not None:
            setup_logging(old_log.parent)
        else:       # (none before: the self-test's own is closed, so that its folder can be removed)
            stop_logging()


def _write_report(report: Path | None, lines: list[str]) -> bool:
    """The report written to ``report``; False (said) when it could not be (a folder, no such folder)."""
    if report is None:
        return False
    from core.errors import os_reason
    from core.logsetup import mask_personal
    try:
        report.write_text("\n".join(mask_personal(line) for line in lines) + "\n", encoding="utf-8")
    except OSError as exc:
        _say(f"自检报告无法写入 / the report could not be written: {report}（{os_reason(exc)}）")
        return False
    return True


def _say(line: str) -> None:
    if sys.stdout is not None:          # a Windows GUI executable has no console
        print(line, flush=True)


def run_selftest(report: Path | None = None, gui: bool = True, keep: bool = False) -> int:
    """Run every step in a fresh temporary folder; 0 when all pass, 1 naming the failed step."""
    from core.version import program_version
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="zizhu-selftest-"))
    ctx = Context(folder, gui=gui)
    steps = [s for s in STEPS if gui or s.run is not _gui]
    lines = [f"Zizhu {program_version()} self-test, {sys.platform}, Python {sys.version.split()[0]}, "
             f"frozen={bool(getattr(sys, 'frozen', False))}"]
    failed: tuple[int, Step, BaseException] | None = None
    interrupted = False
    with _isolated(folder):
        try:
            for n, step in enumerate(steps, start=1):
                t0 = time.perf_counter()
                try:
                    note = step.run(ctx)
                except Exception as exc:  # noqa: BLE001 - any failure names its step
                    failed = (n, step, exc)
                    lines += [f"{n:2}. {step.chinese} / {step.english}: FAILED",
                              *traceback.format_exception(exc)]
                    break
                lines.append(f"{n:2}. {step.chinese} / {step.english}: ok ({time.perf_counter() - t0:.1f} s) {note}")
        except KeyboardInterrupt:           # Ctrl+C: nothing of the run is left behind (below)
            interrupted = True
        finally:
            if ctx.db is not None:
                ctx.db.close()
    if interrupted:                         # (after _isolated closed the run's log: Windows deletes no open file)
        shutil.rmtree(folder, ignore_errors=True)
        raise KeyboardInterrupt
    seconds = time.perf_counter() - started
    if failed is None:
        summary = (f"自检通过 / Self-test passed: Zizhu {program_version()}, {len(steps)} 步 / steps, "
                   f"{ctx.facts.get('students')} 名学生 / students, 正式上报包已验证 / final package verified, "
                   f"{seconds:.1f} s")
    else:
        n, step, error = failed
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        summary = (f"自检失败 / Self-test FAILED: 第 {n} 步「{step.chinese}」/ step {n} '{step.english}': "
                   f"{message}")
        keep = True
    if keep:
        lines.append(f"temporary folder kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    lines.append(summary)
    written = _write_report(report, lines)
    _say(summary)
    if written and failed is not None:
        _say(f"详细信息 / details: {report}")
    return EXIT_OK if failed is None else EXIT_FAILED
