"""CLI of the feedback package (反馈包): the school imports one (``import feedback``) and marks
its findings 已改正 (``mark-fixed``); the receiver writes them (``consolidate feedback``)."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.checks import SEVERITY_LABELS
from core.idnumber import mask_id

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


def cmd_import_feedback(db, args) -> int:
    from db.feedback import import_feedback
    from db.views import finding_rows
    result = import_feedback(db, args.file, args.trust)
    if result.already:
        print(f"这个反馈包（{result.receiver}，生成于 {result.created_at[:10]}）已导入过，没有变化。")
        return 0
    print(f"已导入反馈包：{result.receiver}，生成于 {result.created_at[:10]}：新问题 {result.added} 个，"
          f"再次反馈 {result.carried} 个（其中重新打开 {result.reopened} 个），"
          f"新的反馈中已没有而关闭 {result.superseded} 个。")
    for r in finding_rows(db, include_fixed=False):
        if r.origin:
            who = " ".join(x for x in (r.name, mask_id(r.id_number) if r.id_number else "") if x) or "—"
            print(f"  [{SEVERITY_LABELS.get(r.severity, r.severity)}] {r.title} {who}：{r.message}（{r.origin_text}）")
    print(NEXT_STEPS)
    return 0


def cmd_mark_fixed(db, args) -> int:
    from db.feedback import mark_fixed_code
    n = mark_fixed_code(db, args.code, args.id_number, args.note).count
    print(f"已标记 {n} 个问题为已改正（说明：{args.note.strip()}）；导出新的上报包后，上级单位会看到处理结果")
    return 0


COMMANDS = {"mark-fixed": cmd_mark_fixed}
