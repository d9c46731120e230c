"""CLI of the feedback package (反馈包): the school imports one (``import feedback``) and marks
its findings 已改正 (``mark-fixed``); the receiver writes them (``consolidate feedback``)."""
from __future__ import annotations

import argparse
from pathlib import Path

from cli.receiving_commands import register_consolidate
from core.errors import ValidationError

NEXT_STEPS = ("请在“核查问题”中处理这些问题：改正本校数据后用 mark-fixed 问题 身份证号 --note 改了什么 标记已改正，"
              "数据无误的用 accept 问题 身份证号 --reason 原因 接受；然后重新核准并导出上报包（再修正）。")


def add_import_options(s: argparse.ArgumentParser) -> None:
    """``import feedback PKG [--trust FILE]…``: the options the feedback import adds to ``import``."""
    s.add_argument("--trust", type=Path, action="append", default=[],
                   help="（反馈包）信任文件：发出反馈包的单位的公钥（可重复）；也使用数据库中登记的信任列表")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("mark-fixed", help="标记已改正：上级单位反馈包中的问题已改正（须写明改了什么）")
    s.add_argument("code", help="问题名称或代码，例如 跨校重复享受资助 或 DUPLICATE_ACROSS_SCHOOLS")
    s.add_argument("id_number", help="学生身份证号")
    s.add_argument("--note", required=True, help="改了什么，例如 已将该生移出名单（已转学）")
    s = sub.add_parser("reopen-fixed",
                       help="撤销已改正：标记为已改正的反馈问题恢复为标记前的状态（说明保留在审计日志中）")
    s.add_argument("code", help="问题名称或代码，例如 跨校重复享受资助 或 DUPLICATE_ACROSS_SCHOOLS")
    s.add_argument("id_number", help="学生身份证号")


def cmd_import_feedback(db, args) -> int:
    from core.checks import SEVERITY_LABELS, FindingState
    from core.idnumber import mask_id
    from db.feedback import import_feedback
    from db.views import finding_rows
    result = import_feedback(db, args.file, args.trust)
    if result.already:
        print(f"这个反馈包（{result.receiver}，生成于 {result.created_at[:10]}）已导入过，没有变化。")
        return 0
    print(f"已导入反馈包：{result.receiver}，生成于 {result.created_at[:10]}：新问题 {result.added} 个，"
          f"再次反馈 {result.carried} 个（其中重新打开 {result.reopened} 个），"
          f"新的反馈中已没有而关闭 {result.superseded} 个。")
    # every receiver's findings still to handle (this package's and earlier ones'), said as such: a package
    # without findings listed another receiver's under its own counts (chain review, session 30)
    rows = [r for r in finding_rows(db, include_fixed=False) if r.origin and r.state == FindingState.OPEN]
    if not rows:
        print("上级单位反馈的问题已全部处理，没有未处理的。")
        return 0
    print(f"上级单位反馈、尚未处理的问题共 {len(rows)} 个（含以前的反馈包）：")
    for r in rows:
        who = " ".join(x for x in (r.name, mask_id(r.id_number) if r.id_number else "") if x) or "—"
        print(f"  [{SEVERITY_LABELS.get(r.severity, r.severity)}] {r.title} {who}：{r.message}（{r.origin_text}）")
    print(NEXT_STEPS)
    return 0


def cmd_mark_fixed(db, args) -> int:
    from db.feedback import mark_fixed_code
    n = mark_fixed_code(db, args.code, args.id_number, args.note).count
    print(f"已标记 {n} 个问题为已改正（说明：{args.note.strip()}）；导出新的上报包后，上级单位会看到处理结果")
    return 0


def cmd_reopen_fixed(db, args) -> int:
    from db.feedback import reopen_code
    n = reopen_code(db, args.code, args.id_number).count
    print(f"已撤销 {n} 个问题的“已改正”标记，问题恢复为标记前的状态（改正说明保留在审计日志中）")
    return 0


COMMANDS = {"mark-fixed": cmd_mark_fixed, "reopen-fixed": cmd_reopen_fixed}


# -- the receiver: consolidate feedback ----------------------------------------------

def _feedback_arguments(s: argparse.ArgumentParser) -> None:
    which = s.add_mutually_exclusive_group(required=True)
    which.add_argument("--school", metavar="CODE", action="append",
                       help="学校代码：为这所学校生成反馈包（没有问题也生成，告诉学校问题已消除）；"
                            "可重复，为几所学校各生成一个，写到文件夹中")
    which.add_argument("--all", action="store_true", help="为每所有问题的学校各生成一个反馈包，写到文件夹中")
    s.add_argument("out", type=Path, help="一所学校：反馈包文件（.zip）；几所学校或 --all：文件夹")
    s.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令")


def cmd_consolidate_feedback(db, args) -> int:
    """Sign the receiver's findings back to chosen schools (--school, repeatable) or to each
    school with findings (--all)."""
    from cli.export_commands import signing_passphrase
    from db.feedback_send import write_all_feedback, write_feedback
    one = args.school is not None and len(args.school) == 1
    if one and args.out.suffix.lower() != ".zip":
        raise ValidationError(f"反馈包文件名应以 .zip 结尾：{args.out}",
                              "例如 consolidate feedback --school 学校代码 反馈包.zip")
    passphrase = signing_passphrase(db, args.passphrase_file)
    written = ([write_feedback(db, args.school[0], args.out, passphrase)] if one
               else write_all_feedback(db, args.out, passphrase, school_codes=args.school))
    for w in written:
        print("已生成反馈包：" + w.line())
    print("请把反馈包交给学校（U 盘或邮件）；学校用“导入反馈包”（import feedback）导入，"
          "导入前须登记本单位的公钥（key export 导出，学校 trust add 登记）。")
    return 0


register_consolidate("feedback", "生成反馈包：把涉及某校的汇总核查和已完成的专项核查、暗访问题签名发回该校",
                     _feedback_arguments, cmd_consolidate_feedback)
