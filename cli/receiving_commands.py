"""CLI of the receiving side (汇总): ``trust add|list|remove`` and the ``consolidate`` group.

``consolidate`` is one subcommand group that several modules fill: each calls
``register_consolidate(name, help, add_arguments, handler)`` at import time (cli/commands.py
imports them before it builds the parser), so a part of the receiving side adds its
sub-subcommand from its own module without editing this one.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ValidationError

Handler = Callable[[Any, argparse.Namespace], int]      # (the open Database, args) -> exit code


@dataclass(frozen=True)
class ConsolidateCommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Handler


_CONSOLIDATE: dict[str, ConsolidateCommand] = {}


def register_consolidate(name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None],
                         handler: Handler) -> None:
    """Add ``consolidate NAME``: ``add_arguments(parser)`` declares its arguments, ``handler(db, args)``
    runs it (the database is open and locked; return the exit code)."""
    if name in _CONSOLIDATE:
        raise ValueError(f"consolidate {name} is registered twice")
    _CONSOLIDATE[name] = ConsolidateCommand(name, help, add_arguments, handler)


def consolidate_commands() -> dict[str, ConsolidateCommand]:
    return dict(_CONSOLIDATE)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("trust", help="签名人登记（信任列表）：登记、查看、移除各校的公钥")
    tsub = s.add_subparsers(dest="trust_command", required=True)
    t = tsub.add_parser("add", help="登记一所学校的公钥（学校“导出公钥”得到的文件）")
    t.add_argument("keyfile", type=Path)
    t.add_argument("--school", required=True, help="学校（或工作站）名称")
    t.add_argument("--code", help="学校代码（省略时用公钥文件中的 code=；两者都有时必须一致）")
    t.add_argument("--township", default="", help="所属乡镇")
    t.add_argument("--yes", action="store_true", help="已核对指纹与学校纸质报告上打印的一致，不再询问")
    t = tsub.add_parser("list", help="列出信任列表（含已移除的登记）")
    t = tsub.add_parser("remove", help="移除登记（保留记录）：按指纹或学校代码")
    t.add_argument("what", help="公钥指纹（空格可省略）或学校代码")

    s = sub.add_parser("consolidate", help="汇总：接收各校上报包、核对、汇总")
    csub = s.add_subparsers(dest="consolidate_command", required=True)
    for command in _CONSOLIDATE.values():
        command.add_arguments(csub.add_parser(command.name, help=command.help))


def confirm(question: str) -> bool:
    """Ask the clerk at the terminal (monkeypatched in tests); False without a terminal."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(question + " [y/N] ").strip().lower() in ("y", "yes", "是")
    except EOFError:
        return False


def cmd_trust(db, args) -> int:
    from db import trust_store
    if args.trust_command == "add":
        key = trust_store.read_key_file(args.keyfile, args.school, args.code)
        print(f"公钥指纹：{key.fingerprint}")
        print(f"将登记为：学校代码 {key.signer.school_code}（{key.signer.school_name}）")
        if warning := trust_store.other_name_warning(key.file_name, key.signer.school_name, " --school 写的"):
            print(warning)
        if not (args.yes or confirm("请与学校纸质报告上打印的指纹逐组核对。两者完全一致吗？")):
            raise ValidationError("没有登记：指纹未经确认。",
                                  "请通过电话或纸质报告与学校核对上面的指纹；一致时加上 --yes 重新运行。")
        entry = trust_store.register(db, key, args.township)
        print(f"已登记：学校代码 {entry.school_code}（{entry.school_name}），指纹 {entry.fingerprint}")
        undo = f"请用 trust remove {entry.fingerprint.replace(' ', '')} 移除这条登记，再重新登记。"  # (one argument)
        if note := trust_store.other_name_note(key, " --school ", undo):
            print(note)
        return 0
    if args.trust_command == "remove":
        for entry in trust_store.unregister(db, args.what):
            print(f"已移除：学校代码 {entry.school_code}（{entry.school_name}），指纹 {entry.fingerprint}"
                  "（记录保留在信任列表历史中）")
        return 0
    rows = trust_store.entries(db)
    if not rows:
        print("信任列表为空。登记：trust add 公钥文件 --school 学校名称")
        return 0
    for e in rows:
        state = "有效" if e.active else f"已移除（{e.removed_at:%Y-%m-%d %H:%M}）"
        township = f" {e.township}" if e.township else ""
        print(f"{e.school_code}\t{e.school_name}{township}\t{e.fingerprint}\t"
              f"{e.registered_at:%Y-%m-%d %H:%M} {e.registered_by} 登记\t{state}")
    return 0


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("packages", nargs="+", type=Path, metavar="PKG", help="上报包（.zip）或文件夹（查找其中的 .zip）")
    p.add_argument("--history", action="store_true",
                   help="接收往年的上报包（只用于核对一次性项目，不计入本学年汇总）")


def cmd_add(db, args) -> int:
    """Exit 0 when every package was accepted, already received or superseded by a newer one kept here, 1 when
    any was refused."""
    from db.receiving import intake
    from db.receiving_text import report_headline, report_lines
    report = intake(db, args.packages, history=args.history)
    if not report.outcomes:
        raise ValidationError("没有找到上报包（.zip 文件）。", "请指定上报包文件，或包含上报包的文件夹。")
    for line in report_lines(report):
        print(line)
    print(report_headline(report))
    return 1 if report.count("refused") else 0


register_consolidate("add", "接收上报包：逐个完整核验（签名、校验值、学校、学年）后再导入", _add_arguments, cmd_add)


def _schools_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="应报学校名单（.xlsx/.xls/.ods/.csv）：学校代码、学校名称、乡镇、学段")


def cmd_schools(db, args) -> int:
    from db.receiving_status import import_expected_schools
    done = import_expected_schools(db, args.file)
    for line in done.lines():
        print(line)
    return 0


def _status_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="输出 JSON")


def cmd_status(db, args) -> int:
    from cli.jsonout import write_json
    from core.money import format_fen
    from db.receiving_status import DRAFT_ONLY, LATE, MISSING, RECEIVED, intake_status
    status = intake_status(db)
    if args.json:
        write_json(status.to_json())
        return 0
    end = f"{status.deadline:%Y-%m-%d}" if status.deadline else "（政策中没有“核准信息数据”阶段）"
    print(f"报送截止（核准信息数据阶段结束）：{end}")
    if not status.schools:
        print("还没有应报学校名单：consolidate schools 名单.xlsx 导入后，可以看出哪些学校缺报、迟报。")
    for row in (*status.schools, *status.unlisted):
        where = " ".join(x for x in (row.township, row.level) if x)
        line = f"{row.state}\t{row.code}\t{row.name}" + (f"（{where}）" if where else "")
        if row.received_at is not None:
            line += (f"\t{row.received_at:%Y-%m-%d %H:%M} 接收，学生 {row.students} 人，"
                     f"合计 {format_fen(row.total_fen)} 元")
        if row.replaced:
            line += f"；已替换 {row.replaced} 个旧版本"
        if row.note:
            line += f"；{row.note}"
        if row.refused:
            line += f"；拒收 {row.refused} 次（consolidate add 时列出了原因）"
        if not row.listed:
            line += "；不在应报学校名单中"
        print(line)
    got = status.counts()
    # (as the exported 报送情况 counts them: 缺报 is every school not in the totals, drafts included)
    missing = got[MISSING] + got[DRAFT_ONLY]
    counts = (f"{RECEIVED} {got[RECEIVED]} 所，{LATE} {got[LATE]} 所，{MISSING} {missing} 所"
              + (f"（其中仅有草稿 {got[DRAFT_ONLY]} 所）" if got[DRAFT_ONLY] else ""))
    extra = f"；名单外 {len(status.unlisted)} 所" if status.unlisted else ""
    print(f"应报 {len(status.schools)} 所：{counts}{extra}")
    return 0


register_consolidate("schools", "导入应报学校名单（学校代码、学校名称、乡镇、学段）", _schools_arguments, cmd_schools)
register_consolidate("status", "各应报学校的报送情况：已接收、迟报、缺报、仅有草稿", _status_arguments, cmd_status)


def _view_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("package", type=Path, metavar="PKG", help="上报包（.zip），草稿也可以查看")
    from cli.parser import count
    p.add_argument("--students", type=count, default=20, help="列出的学生人数（默认 20）")


def cmd_view(db, args) -> int:
    """Show a package (a draft too) without storing it; exit 0 only when it verified."""
    from core.domain import school_year_label
    from core.idnumber import mask_id
    from core.money import format_fen
    from core.package_data import KIND_SCHOOL
    from db.receiving import view_package
    view = view_package(db, args.package)
    check = view.check
    if check.ok:
        print(f"核验通过：签名人已登记（{check.signer.label() if check.signer else ''}），文件完整")
    elif check.intact:
        print(f"核验未通过：文件完整，但{check.signer_problem}")
    else:
        print("核验失败：" + "；".join(check.problems[:5]))
    print(f"签名人公钥指纹：{check.fingerprint}")
    if view.data is None:
        print(view.problem)
        return 1
    d = view.data
    if d.kind != KIND_SCHOOL:
        return _view_station(view)
    kind = ("草稿（不能汇总）" if d.draft else "正式") + ("；演示数据" if d.demo else "")
    print(f"学校：{d.school_name}（代码 {d.school_code}）{d.township}，{school_year_label(d.school_year)}，{kind}，"
          f"生成于 {d.generated_at.replace('T', ' ')}")
    granted = sum(1 for st in d.students if st.total_fen)
    total = sum(st.total_fen for st in d.students)
    print(f"学生 {len(d.students)} 人，享受资助 {granted} 人，合计 {format_fen(total)} 元"
          f"（提交包自报合计 {format_fen(d.totals.total)} 元）")
    for code, fen in d.totals.by_item.items():
        if fen:
            print(f"  {d.items.get(code, code)}：{format_fen(fen)} 元")
    for st in d.students[:max(0, args.students)]:
        print(f"  {st.name}\t{mask_id(st.id_number)}\t{st.stage}\t{format_fen(st.total_fen)} 元"
              + ("" if st.verified else "\t未核准"))
    if len(d.students) > args.students:
        print(f"  …另有 {len(d.students) - args.students} 名学生")
    return 0 if check.ok else 1


def _station_reporting(path: Path) -> str:
    """The 报送情况 a station's 汇总包 states (应报, 已报, 缺报, 迟报), or that it states none (an
    older program's package, or a station without a list of expected schools)."""
    from core.errors import ZizhuError
    from core.exports.consolidated import reporting_in
    try:
        r = reporting_in(path)
    except ZizhuError as exc:
        return f"报送情况：无法读取（{exc.message}）"
    if r is None:
        return ("报送情况：汇总包中没有写明（报送单位没有导入应报学校名单，或程序版本较旧），"
                "是否有缺报学校请向报送单位核实")
    return f"报送情况（报送单位自报）：{r.line()}{r.consequence()}"


def _view_station(view) -> int:
    """A station's 汇总包: the station, then each school package in it, verified here with its own key."""
    from core.domain import school_year_label
    from core.money import format_fen
    d = view.data
    print(f"汇总包：{d.school_name}（代码 {d.school_code}），{school_year_label(d.school_year)}，"
          f"生成于 {d.generated_at.replace('T', ' ')}；其中学校提交包 {len(view.inner)} 个"
          f"（汇总包自报合计 {format_fen(d.totals.total)} 元）")
    print(_station_reporting(view.path))
    if view.problem:
        print(view.problem)
    for v in view.inner:
        if v.data is None:
            print(f"  {v.path.name}：{'；'.join(v.check.problems[:5]) or v.problem}")
            continue
        state = "核验通过" if v.check.ok else (v.check.signer_problem or "核验未通过")
        draft = "，草稿（不能汇总）" if v.data.draft else ""
        print(f"  {v.path.name}：{v.data.school_name}（代码 {v.data.school_code}）{v.data.township}，"
              f"学生 {len(v.data.students)} 人，合计 {format_fen(sum(s.total_fen for s in v.data.students))} 元"
              f"{draft} — {state}")
    print("汇总包中的学校提交包用各校的公钥逐个核验；consolidate add 只接收核验通过的正式提交包。")
    return 0 if view.check.ok and not view.problem and all(v.check.ok for v in view.inner) else 1


register_consolidate("view", "查看上报包（不导入；草稿也可以查看）", _view_arguments, cmd_view)


def cmd_consolidate(db, args) -> int:
    return _CONSOLIDATE[args.consolidate_command].handler(db, args)


COMMANDS = {"trust": cmd_trust, "consolidate": cmd_consolidate}
