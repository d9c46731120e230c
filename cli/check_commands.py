"""CLI commands of the verification workflow: check, verify-student, accept, import payments."""
from __future__ import annotations

import argparse
import json
import sys

from core.checks import RULES_BY_CODE, SEVERITY_LABELS, STATE_LABELS, Severity
from core.errors import ValidationError



def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("check", help="运行全部核查（再比对）")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.add_argument("--all", action="store_true", help="也列出已改正的问题")
    s = sub.add_parser("verify-student", help="把学生标记为已核准")
    s.add_argument("id_number", help="学生身份证号")
    s = sub.add_parser("accept", help="接受一个核查问题（数据无误），须写明原因")
    s.add_argument("code", help="问题代码，例如 NAME_MISMATCH")
    s.add_argument("id_number", help="学生身份证号")
    s.add_argument("--reason", required=True, help="原因")


def cmd_check(db, args) -> int:
    from sqlalchemy import select

    from db.audit import audit_chain_status
    from db.models import FindingRow
    from db.workflows import run_check
    run = run_check(db)
    with db.session() as s:
        q = select(FindingRow).order_by(FindingRow.id)
        if not args.all:
            q = q.where(FindingRow.state != "fixed")
        rows = list(s.scalars(q))
        chain = audit_chain_status(s)
    if args.json:
        flags = [{"code": r.code, "severity": r.severity, "id_number": r.id_number, "name": r.name,
                  "message": r.message, "state": r.state} for r in rows]
        by_code: dict[str, int] = {}
        for r in rows:
            if r.state == "open":
                by_code[r.code] = by_code.get(r.code, 0) + 1
        json.dump({"flags": flags, "counts": {**run.counts, "by_code": by_code,
                                              "accepted": sum(r.state == "accepted" for r in rows)},
                   "audit_log": {"intact": chain.intact, "entries": chain.entries,
                                 "first_broken_id": chain.first_broken_id,
                                 "missing_triggers": chain.missing_triggers}},
                  sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        from core.idnumber import mask_id
        for r in rows:
            sev = SEVERITY_LABELS[Severity(r.severity)]
            who = " ".join(x for x in (r.name, mask_id(r.id_number) if r.id_number else "") if x) or "—"
            print(f"[{sev}] {r.code} {who}：{r.message}（{STATE_LABELS[r.state]}）")
        c = run.counts
        print(chain.message)
        print(f"未处理：错误 {c['error']}，警告 {c['warning']}，提示 {c['info']}；"
              f"本次新发现 {run.opened}，自动关闭 {run.fixed}")
    return 1 if run.counts["error"] else 0


def cmd_verify(db, args) -> int:
    from db.findings import find_student_ids, run_and_store, verify_students
    with db.session() as s:
        ids = find_student_ids(s, args.id_number)
        if not ids:
            raise ValidationError(f"学生名单中没有身份证号为 {args.id_number} 的学生", "请核对身份证号")
        run_and_store(s)
        n = verify_students(s, ids)
    print(f"已核准 {n} 名学生" if n else "该学生已是已核准状态")
    return 0


def cmd_accept(db, args) -> int:
    from db.findings import accept
    with db.session() as s:
        n = accept(s, args.code, args.id_number, args.reason)
    print(f"已接受 {n} 个 {args.code} 问题：{RULES_BY_CODE[args.code.strip().upper()].title}")
    return 0


def cmd_import_payments(db, args) -> int:
    from db.workflows import import_payments
    if getattr(args, "replace", False):
        raise ValidationError("--replace 只能用于建档立卡名单（roster）", "发放记录每次导入都整体替换之前的发放记录，不需要 --replace")
    dry = getattr(args, "dry_run", False)
    result = import_payments(db, args.file, dry_run=dry, problems=getattr(args, "problems", None))
    if dry:
        print(f"预览（未写入）：将导入发放记录 {len(result.payments)} 条，替换现有的 {result.replaced} 条")
    else:
        print(f"已导入发放记录 {len(result.payments)} 条（替换之前的 {result.replaced} 条）")
    for _line, msg in result.problems[:50]:
        print("  " + msg)
    if result.problems:
        print(f"有 {len(result.problems)} 行{'将不会导入' if dry else '未导入'}，请改正后重新导入")
    if result.problems_file:
        print(f"有问题的行已保存到：{result.problems_file}")
    return 0


COMMANDS = {"check": cmd_check, "verify-student": cmd_verify, "accept": cmd_accept}
