"""`python main.py [--db PATH] COMMAND ...`: a stable contract (see README)."""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cli import (
    backup_commands,
    check_commands,
    consolidate_check_commands,  # noqa: F401 - registers consolidate check/summary/export
    ending,
    export_commands,
    feedback_commands,
    policy_commands,
    receiving_commands,
    settings_commands,
    spotcheck_commands,  # noqa: F401 - registers consolidate sample, result, report …
)
from cli.jsonout import write_json
from cli.parser import Parser, positive_int
from core.errors import ValidationError, ZizhuError
from core.paths import default_db_path

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="zizhu", description="资助助手：教育资助核准（离线）")
    p.add_argument("--db", type=Path, help="数据库文件（默认在用户数据文件夹）")
    p.add_argument("--demo", action="store_true", help="打开演示数据库（不存在时自动生成）")
    p.add_argument("--selftest", action="store_true",
                   help="自检：在临时文件夹中走一遍完整流程（不动正式数据），结果也写入 --selftest-report 文件")
    p.add_argument("--selftest-report", type=Path, metavar="FILE",
                   help="自检报告文件（默认：系统临时文件夹中的 Zizhu-selftest.txt）")
    sub = p.add_subparsers(dest="command", metavar="命令")

    s = sub.add_parser("init", help="初始化学校")
    s.add_argument("--school", help="学校名称（已初始化的学校不写时保留已保存的）")
    s.add_argument("--code", help="学校代码（已初始化的学校不写时保留已保存的）")
    s.add_argument("--school-year", required=True, type=int, help="学年开始年份，2022 表示 2022–2023 学年")
    s.add_argument("--township", default=None, help="所属乡镇（不写时保留已保存的）")
    s.add_argument("--county", default="", help="县名（正式文书必须有，也可以以后用 settings set 县名 … 填写）")
    s.add_argument("--contact-phone", default="", help="学校联系电话")
    s.add_argument("--supervision-phone", default="", help="县级监督电话")

    policy_commands.add_parsers(sub)

    s = sub.add_parser("import", help="导入学生名单或建档立卡名单")
    s.add_argument("kind", choices=["students", "roster", "payments", "feedback"],
                   help="students=学生名单，roster=建档立卡名单，payments=发放记录，feedback=上级单位的反馈包")
    s.add_argument("file", type=Path)
    s.add_argument("--dry-run", action="store_true", help="只预览，不写入")
    s.add_argument("--problems", type=Path, help="把有问题的行另存为 Excel 文件")
    s.add_argument("--replace", action="store_true",
                   help="（建档立卡名单）用新名单整体替换：删除不在新名单中的人员")
    s.add_argument("--yes", "--confirm-removal", dest="yes", action="store_true",
                   help="（与 --replace 一起）确认删除超过现有名单一半的人员")
    feedback_commands.add_import_options(s)

    s = sub.add_parser("compute", help="计算每个学生的资助")
    s.add_argument("--json", action="store_true", help="输出 JSON")

    s = sub.add_parser("demo", help="生成演示数据")
    s.add_argument("--students", type=positive_int, default=300, help="学生人数")
    s.add_argument("--seed", type=int, default=2023)

    check_commands.add_parsers(sub)
    export_commands.add_parsers(sub)
    backup_commands.add_parsers(sub)
    settings_commands.add_parsers(sub)
    receiving_commands.add_parsers(sub)
    feedback_commands.add_parsers(sub)

    s = sub.add_parser("template", help="下载导入模板")
    s.add_argument("kind", choices=["students", "roster"])
    s.add_argument("file", type=Path)
    return p


def _out(text: str = "") -> None:
    print(text)


NEW_SCHOOL = ("新建学校时必须写明学校名称和学校代码",          # (init: before a file is made, and in the command)
              "例如：python main.py init --school 第一中学 --code 4228220101 --school-year 2025")


def cmd_init(db, args) -> int:
    from core.domain import school_year_label
    from db.settings import save_school, school
    given = {"county": args.county, "contact_phone": args.contact_phone, "supervision_phone": args.supervision_phone}
    stored = school(db) if args.school is None or args.code is None else None
    if stored is None and (args.school is None or args.code is None):
        raise ValidationError(*NEW_SCHOOL)
    # one transaction: a bad value changes nothing; what is not given keeps its stored value
    saved = save_school(db, args.school or stored.name, args.code or stored.code,  # type: ignore[union-attr]
                        args.school_year, args.township, official={k: v for k, v in given.items() if v})
    done = "已初始化" if saved.before is None else "学校信息已保存"
    _out(f"{done}：{saved.school.name}（代码 {saved.school.code}），{school_year_label(saved.school.school_year)}")
    if saved.before is not None:     # an existing school: say what this run changed in it
        def year(y: int) -> str:
            return f"{y}–{y + 1}"
        old, new = saved.before, saved.school
        changed = [f"{label} {a or '（空）'} → {b or '（空）'}" for label, a, b in (
            ("学校名称", old.name, new.name), ("学校代码", old.code, new.code),
            ("学年", year(old.school_year), year(new.school_year)),
            ("所属乡镇", old.township, new.township)) if a != b]
        _out("已修改：" + "；".join(changed) if changed else "学校已存在，学校名称、代码、学年和所属乡镇都没有改变")
    for said in (saved.started, saved.followed):      # a later year set aside; the policy in force
        if said is not None:
            _out(said.text())
    settings_commands.print_official(saved.official)
    return 0


def cmd_import(db, args) -> int:
    from db.workflows import preview_import, run_import, save_problem_rows
    if args.problems is not None and args.kind != "feedback":
        from cli.problems_target import check_problems_target
        check_problems_target(args)          # before anything is imported
    if args.kind == "payments":
        return check_commands.cmd_import_payments(db, args)
    if args.kind == "feedback":
        return feedback_commands.cmd_import_feedback(db, args)
    if args.replace and args.kind != "roster":
        raise ZizhuError("--replace 只能用于建档立卡名单（roster）", "学生名单重新导入时按身份证号更新，不会删除学生")
    if args.dry_run:
        preview = preview_import(db, args.kind, args.file, replace=args.replace, confirm_removal=args.yes)
        ending.keep(preview)
        _print_import(args.kind, preview.parsed, preview.plan, preview.plan.counts(), dry=True,
                      review=preview.review, saving=args.problems is not None)
        if args.replace:
            _out(preview.plan.removal_text()
                 + ("；删除超过现有名单的一半，正式导入时须加 --yes 确认" if preview.plan.needs_confirmation else ""))
        parsed, plan = preview.parsed, preview.plan
    else:
        report = run_import(db, args.kind, args.file, replace=args.replace, confirm_removal=args.yes)
        ending.keep(report)     # (freed by the process's end: cli.ending)
        _print_import(args.kind, report.parsed, report.plan, report.counts, dry=False,
                      saving=args.problems is not None)
        parsed, plan = report.parsed, report.plan
    if args.problems:
        save_problem_rows(args.problems, plan, parsed.headers)
        _out(f"有问题的行已保存到：{args.problems}")
    return 0


MAX_LISTED = 20      # rows with problems, and skipped rows, listed of each (--problems saves them all)


def _print_import(kind: str, parsed, plan, counts: dict[str, int], dry: bool, review: Sequence[str] = (),
                  saving: bool = False) -> None:
    """The import's report, or (``dry``) its preview with ``review``: each student to be updated,
    field by field (db.importing_review). The rows with problems and the skipped rows are
    listed, the first ``MAX_LISTED`` of each; ``saving``: --problems saves them all."""
    from db.importing_review import people_lines, plan_notes
    from db.workflows import import_summary, mapping_lines, row_lines
    if parsed.sheet_line:
        _out(parsed.sheet_line)
    _out("识别的表头：")
    for line in mapping_lines(kind, parsed):
        _out("  " + line)
    if parsed.unknown_headers:
        _out("未使用的列（已忽略）：" + "、".join(parsed.unknown_headers))
    for warning in [*parsed.warnings, *parsed.notes]:
        _out("注意：" + warning)
    _out(f"{'预览（未写入）' if dry else '导入完成'}：{import_summary(counts, done=not dry)}")
    for note in plan_notes(plan, done=not dry):
        _out("注意：" + note)
    rows = row_lines(plan)
    more = ("全部见 --problems 保存的文件" if saving
            else "加 --problems 文件.xlsx 可把有问题的行全部另存为 Excel 文件，改正后重新导入")
    if rows.problems:
        _out(f"有问题的行（{'导入后会标记出来' if dry else '已导入，请核对改正'}）：共 {len(rows.problems)} 行")
        for line in rows.problems[:MAX_LISTED]:
            _out("  " + line)
        if len(rows.problems) > MAX_LISTED:
            _out(f"  ……另有 {len(rows.problems) - MAX_LISTED} 行有问题；{more}")
    for line in rows.skipped[:MAX_LISTED]:
        _out(f"  跳过{line}")
    if len(rows.skipped) > MAX_LISTED:
        _out(f"  ……另有 {len(rows.skipped) - MAX_LISTED} 行跳过；{more}")
    for line in review if dry else people_lines(plan, MAX_LISTED):
        _out(line)


def cmd_compute(db, args) -> int:
    from core.money import format_fen
    from core.policy import SOURCE_LABELS
    from db.compute import compute_json, compute_school
    results, totals = compute_school(db)
    ending.keep(results)
    if args.json:
        write_json(compute_json(results, totals))
        return 0
    _out(f"学生 {len(results)} 人，享受资助 {totals.students_granted} 人，合计 {format_fen(totals.total)} 元")
    for src, fen in totals.by_source.items():
        _out(f"  {SOURCE_LABELS.get(src, src)}承担：{format_fen(fen)} 元")
    if totals.pending:
        _out(f"待补充 {totals.pending} 项（请用 --json 查看原因）")
    return 0


def cmd_demo(db, args) -> int:
    from db.workflows import fill_demo
    counts = fill_demo(db, n_students=args.students, seed=args.seed)
    _out(f"已生成演示数据：学生 {counts['students']} 人，建档立卡名单 {counts['roster']} 人")
    _out(f"数据库 {db.path} 已标记为演示数据库：导出的每个文件都标明“演示数据”，不得上报")
    return 0


def cmd_template(db, args) -> int:
    from db.workflows import write_import_template
    write_import_template(db, args.kind, args.file)
    _out(f"模板已保存：{args.file}")
    return 0


COMMANDS: dict[str, Callable] = {
    "init": cmd_init, "import": cmd_import,
    "compute": cmd_compute, "demo": cmd_demo, "template": cmd_template,
    **check_commands.COMMANDS,
    **export_commands.COMMANDS,
    **backup_commands.COMMANDS,
    **settings_commands.COMMANDS,
    **receiving_commands.COMMANDS,
    **feedback_commands.COMMANDS,
    **policy_commands.COMMANDS,
}


# The commands that make the database a mistyped --db names: only those that create one on purpose.
CREATES = {"init", "demo"}
NO_DATABASE = {"verify"}   # the receiving side checks packages without a school database
# Commands that only read the database (the command, its subcommand): they take no start
# backup, which copies and checks the whole file (1.7 s at county size); the first command
# of the day that writes takes it, before it writes.
READS_ONLY = {("compute", None), ("template", None), ("settings", "show"), ("policy", "show"),
              ("policy", "versions"), ("policy", "diff"), ("key", "show")}


# Commands that write only what the checks derive and recompute, and the record of their own run:
# `check` stores the findings (new ones opened, changed ones updated, gone ones fixed), their state
# changes in the audit log (appended) and its time and marks; `notice` does the same when the stored
# check is not current, then appends its export to the audit log. No value a clerk entered is changed
# or removed: an accepted finding whose data changed is reopened, and the reason it was accepted with
# stays in the audit log's entry of the acceptance (tests/test_check_backup.py). So they take no start
# backup either (1.7 s at county size); a command that changes what a clerk entered (accept, an import,
# an edit, the settings…) still takes it first.
DERIVED_ONLY = {("check", None), ("notice", None)}


# Commands that back the database up themselves right before their first write (db.workflows.run_import:
# ``backup_before_change``; a dry run or a refused file writes nothing): the start backup would be a
# second copy of the same file a moment earlier, so theirs counts as the day's (tests/test_backup.py).
BACKS_UP_ITSELF = {("import", "students"), ("import", "roster")}


def takes_start_backup(args) -> bool:
    """Whether the command makes the start backup (when it is due): not when it changes nothing a
    clerk entered, nor when it backs up itself before it writes."""
    sub = args.kind if args.command == "import" else getattr(args, f"{args.command}_command", None)
    return (args.command, sub) not in READS_ONLY | DERIVED_ONLY | BACKS_UP_ITSELF


EXIT_INTERNAL = 3            # a bug: the traceback is in the log, not on the screen


NO_CONSOLE = ("Zizhu.exe 是图形界面程序，不能运行命令“{command}”：它没有命令行窗口，命令的结果无处显示。"
              "请直接双击 Zizhu.exe，在窗口中操作；命令行命令只用于源代码版本（python main.py {command} …）")


def _no_console(command: str) -> int:
    """A command given to the windowed program (the bundle's Zizhu.exe, pythonw): refused before it
    touches anything, in a dialog (its output and errors would go nowhere: a write crashed it, or an
    import changed the database without a word)."""
    message = NO_CONSOLE.format(command=command)
    log.warning("command %r refused: no console to write to", command)
    try:
        from gui.crash import tell
        tell(message)
    except Exception:  # no dialog possible (a broken bundle): the log has the refusal
        log.exception("the refusal could not be shown")
    return 2


def _fail(exc: ZizhuError) -> int:
    log.info("command failed: %s", exc.message)
    print(f"错误：{exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"提示：{exc.hint}", file=sys.stderr)
    return exc.exit_code


def _os_failure(exc: OSError) -> ZizhuError:
    """The Chinese error for an ``OSError`` no command turned into one: the file, and why."""
    from core.errors import os_reason
    name = exc.filename if exc.filename is not None else exc.filename2
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    where = ""
    if name is not None:
        text = str(name)
        where = f"“{text if len(text) <= 120 else text[:60] + '…' + text[-50:]}”"
    return ZizhuError(f"无法使用文件{where}：{os_reason(exc)}",
                      "请检查路径是否写对、文件名是否太长，以及对该文件和所在文件夹是否有读写权限，然后重试")


# The modules a command needs first, imported while SQLite checks the file on the other core
# (db.integrity: its answer is awaited when the database is opened). `compute` reads through plain
# sqlite3 (db.compute); the others read and write through SQLAlchemy's ORM and the models.
PRELOAD = {"compute": ("db.compute",), "check": ("db.usecases", "db.views", "db.findings")}
DEFAULT_PRELOAD = ("db.models",)


def _preload(command: str, whole_process: bool) -> None:
    """Import the command's modules. In a process that runs this one command (``main.py``), without
    collector passes over the objects the imports make, which live as long as the process, and with
    those objects left out of later collections (``gc.freeze``: 0.05 s of `check` at county size).
    An in-process caller (tests) keeps the collector as it is: it would freeze its own garbage."""
    if not whole_process:
        for name in PRELOAD.get(command, DEFAULT_PRELOAD):
            importlib.import_module(name)
        return
    from core.bulk import FREEZE, after_pauses, gc_paused
    after_pauses(FREEZE)     # (what the command's passes leave alive is frozen too: core.bulk)
    with gc_paused():        # (one of the process's pauses: a read ahead's may still go on after it)
        try:
            for name in PRELOAD.get(command, DEFAULT_PRELOAD):
                importlib.import_module(name)
        finally:
            gc.freeze()


def _start_reads(args, db_path: Path, whole_process: bool) -> list:
    """Start the reads a command takes later (each module's ``start``, handed over by its ``take``
    only while the file is unchanged) and return those modules, whose reads are forgotten at the end.
    A child process takes work that holds Python's lock (hashing, parsing) to the second core: only in
    a process that runs the one command (main.py), where a third of a second of imports waits anyway,
    and first, while this process has no other thread (it can then be forked). Threads read with
    SQLite, which works without Python's lock, or files."""
    from db import import_prefetch
    started: list = [import_prefetch]
    if whole_process and args.command == "check":
        from db import chain_ahead
        chain_ahead.start(db_path)          # the audit chain verified (db.chain_ahead)
        started.append(chain_ahead)
    if whole_process and args.command == "consolidate" and args.consolidate_command == "add":
        from db import intake_ahead
        intake_ahead.start(db_path, args.packages, args.history)    # the packages examined (db.intake_ahead)
        started.append(intake_ahead)
    from db import integrity
    integrity.start(db_path)     # SQLite checks the file on another core while the command's modules are imported
    if args.command == "check":
        from db import roster_prefetch
        roster_prefetch.start(db_path)      # the roster rows the check needs (db.roster_prefetch)
        started.append(roster_prefetch)
    import_prefetch.start_for(args)         # an import reads its file meanwhile (db.import_prefetch)
    return started


def _dispatch(args, db_path: Path, whole_process: bool = False) -> int:
    if args.command in NO_DATABASE:
        return COMMANDS[args.command](db_path, args)   # the path: opened read-only if it exists
    if args.command == "restore":                      # never opens the (maybe damaged) database
        return backup_commands.cmd_restore(db_path, args)
    if args.command == "init" and None in (args.school, args.code) and not db_path.is_file():
        raise ValidationError(NEW_SCHOOL[0] + "，没有新建任何文件", NEW_SCHOOL[1])
    if args.db is not None and args.command not in CREATES and not db_path.exists():   # (a folder: its own message)
        raise ValidationError(f"找不到数据库文件“{db_path}”，没有新建任何文件",
                              "请检查 --db 后面的路径是否写对；新建学校的数据库请先运行 init")
    if args.db is not None and args.command not in CREATES and db_path.is_file() and db_path.stat().st_size == 0:
        # (an empty file became a new database under any command: `--db 笔记.docx check` made one)
        raise ValidationError(f"“{db_path}”是空文件（0 字节），不是资助助手的数据库，没有写入它",
                              "请检查 --db 后面的路径是否写对；新建学校的数据库请先运行 init")
    # The single-instance lock before anything is read ahead: what another process writes meanwhile could
    # otherwise reach the command unseen (a file rewritten in place keeps its size, and a FAT32 stick its
    # time to two seconds: db.integrity's test of "unchanged"). open_database takes it again (counted).
    from db import lock as instance_lock
    held = db_path.is_file()
    if held:
        instance_lock.acquire(db_path)
    try:
        return _opened(args, db_path, whole_process)
    finally:
        if held:
            instance_lock.release(db_path)


def _opened(args, db_path: Path, whole_process: bool) -> int:
    started = _start_reads(args, db_path, whole_process)    # the integrity check, and the command's reads ahead
    try:
        _preload(args.command, whole_process)
        from db import integrity
        from db.session import open_database
        # Every command that opens the database takes its single-instance lock (even `check`
        # writes its findings); one that writes makes the start backup when the last one is old.
        try:
            db = open_database(db_path, backup_on_start=takes_start_backup(args))
        finally:
            integrity.forget(db_path)     # refused before its check was taken: not kept for later
        try:
            return COMMANDS[args.command](db, args)
        finally:
            db.close()
    finally:
        for read in started:
            read.forget(db_path)          # what the command did not take (it stopped before)


def _sweep_temporaries() -> None:
    """Remove what a killed run left behind (a partial export, a letters preview)."""
    from core.paths import sweep_stale_temp, use_private_tempdir
    try:
        sweep_stale_temp()
        use_private_tempdir()
    except OSError:
        log.warning("could not sweep stale temporary files", exc_info=True)


def _utf8_output() -> None:
    """Standard output and error written as UTF-8 whatever the system's code page. Redirected on a
    Chinese Windows (``compute --json > 结果.json``) they were GBK: a name GBK lacks (𠮷) stopped the
    command with an internal error, and the JSON was not the UTF-8 the README promises. A console
    shows UTF-8 either way (Python writes to it as text)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8":
            with contextlib.suppress(ValueError, OSError):
                reconfigure(encoding="utf-8")


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code. No command: the GUI.

    Exit codes: 0 success, 1 a check found a problem, 2 a ZizhuError (bad input, the
    database cannot be used) with a Chinese message, 3 an internal error (logged), 130 Ctrl+C."""
    try:
        return _run(argv)
    except KeyboardInterrupt:          # (also while starting, or during the self-test: no traceback)
        return cancelled()


def cancelled() -> int:
    """Ctrl+C: said, exit code 130."""
    if sys.stderr is not None:
        print("已取消", file=sys.stderr)
    return 130


def _run(argv: Sequence[str] | None) -> int:
    if argv is None:               # this process is the command's: its streams are its own
        _utf8_output()
    args = build_parser().parse_args(argv)
    if args.selftest:                  # before logging and the sweep: never touches the data folder
        from cli.selftest import default_report_path, run_selftest
        return run_selftest(args.selftest_report or default_report_path())
    from core.logsetup import setup_logging
    from core.paths import demo_db_path, log_dir
    log_file = setup_logging(log_dir())
    if args.command is not None and sys.stdout is None:    # Zizhu.exe (windowed: no console) given a command
        return _no_console(args.command)
    _sweep_temporaries()
    db_path = args.db or (demo_db_path() if args.demo else default_db_path())
    if args.command is None:
        from gui.launch import start_gui
        return start_gui(db_path, demo=args.demo)
    if argv is None:                   # main.py: the process ends with the command (cli.ending)
        ending.arm()
    try:
        code = _dispatch(args, db_path, whole_process=argv is None)   # main.py: the process is this command's
        if sys.stdout is not None:     # None in a Windows GUI executable (no console)
            sys.stdout.flush()
        return code
    except BrokenPipeError:
        return ending.broken_pipe(sys.stdout)
    except ZizhuError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        return cancelled()
    except OSError as exc:      # a path the system refuses (no permission, a name too long …): the clerk's to fix
        log.warning("file system failure in command %s", args.command, exc_info=True)
        return _fail(_os_failure(exc))
    except Exception as exc:  # every failure ends in a message, never a traceback
        from db.session import translate_error
        mapped = translate_error(exc, db_path)
        if mapped is not None:
            log.warning("database failure: %s", exc)
            return _fail(mapped)
        log.error("internal error in command %s", args.command, exc_info=True)
        print(f"错误：程序内部错误，详细信息已写入日志：{log_file}", file=sys.stderr)
        print("提示：请把日志文件发给技术支持人员；数据库中的数据没有因此改变（每个操作要么完整写入，要么完全不写）",
              file=sys.stderr)
        return EXIT_INTERNAL
