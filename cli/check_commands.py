"""CLI commands of the verification workflow: check, verify-student, accept, import payments."""
from __future__ import annotations

import argparse
import sys

from cli.jsonout import write_json
from core.errors import ValidationError


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("check", help="运行全部核查（再比对）")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.add_argument("--all", action="store_true", help="也列出已改正的问题")
    s = sub.add_parser("verify-student", help="把学生标记为已核准")
    s.add_argument("id_number", help="学生身份证号")
    s = sub.add_parser("accept", help="接受一个核查问题（数据无误），须写明原因")
    s.add_argument("code", help="问题名称或代码，例如 姓名与建档立卡名单不一致 或 NAME_MISMATCH")
    s.add_argument("id_number", help="学生身份证号")
    s.add_argument("--reason", required=True, help="原因")
    s = sub.add_parser("revoke-accept", help="撤销接受：已接受的核查问题重新变为未处理")
    s.add_argument("code", help="问题名称或代码，例如 姓名与建档立卡名单不一致 或 NAME_MISMATCH")
    s.add_argument("id_number", help="学生身份证号")
    s = sub.add_parser("unverify-student", help="取消核准：把已核准的学生改回待核准")
    s.add_argument("id_number", help="学生身份证号")
    s = sub.add_parser("remove-student", help="移出名单（须写明原因；学生记录保留，可移回）")
    s.add_argument("id_number", help="学生身份证号（导入时的原文，例如“审核人:”）")
    s.add_argument("--reason", required=True, help="原因")
    s = sub.add_parser("restore-student", help="移回名单：恢复已移出名单的学生")
    s.add_argument("id_number", help="学生身份证号")


def cmd_check(db, args) -> int:
    from core.checks import FindingState
    from db.usecases import check
    from db.views import finding_rows
    run = check(db)
    rows = finding_rows(db, include_fixed=args.all, initials=False)
    chain = run.chain     # the audit log as the run left it (checked in the run's transaction)
    if args.json:
        flags = [{"code": r.code, "severity": r.severity, "id_number": r.id_number, "name": r.name,
                  "message": r.message, "state": r.state} for r in rows]
        by_code: dict[str, int] = {}
        for r in rows:
            if r.state == FindingState.OPEN:
                by_code[r.code] = by_code.get(r.code, 0) + 1
        write_json({"flags": flags, "counts": {**run.counts, "by_code": by_code,
                                               "accepted": sum(r.state == FindingState.ACCEPTED for r in rows)},
                    "audit_log": {"intact": chain.intact, "entries": chain.entries,
                                  "first_broken_id": chain.first_broken_id, "anchored": chain.anchored,
                                  "missing_triggers": chain.missing_triggers}})
    else:
        from core.checks import SEVERITY_LABELS, STATE_LABELS, Severity
        from core.idnumber import mask_id
        lines = []
        for r in rows:
            sev = SEVERITY_LABELS[Severity(r.severity)]
            who = " ".join(x for x in (r.name, mask_id(r.id_number) if r.id_number else "") if x) or "—"
            origin = f"，{r.origin_text}" if r.origin_text else ""
            lines.append(f"[{sev}] {r.title} {who}：{r.message}（{STATE_LABELS[r.state]}{origin}）\n")
        lines += _advice(rows)
        sys.stdout.write("".join(lines))        # one write: a county's 9,512 lines
        c = run.counts
        print(chain.message)
        print(f"未处理：错误 {c['error']}，警告 {c['warning']}，提示 {c['info']}；"
              f"本次新发现 {run.opened}，自动关闭 {run.fixed}")
    return 1 if run.counts["error"] else 0


FEEDBACK_ADVICE = ("改正本校的数据后用 mark-fixed 问题名称 完整身份证号 --note 改了什么 标记已改正；"
                   "数据无误的用 accept 写明原因接受")
ACCEPT_ADVICE = ("数据经核对无误的问题可以接受：accept 问题名称 完整身份证号 --reason 原因"
                 "（问题名称即每行方括号后的名称，如“{title}”，也可以写 check --json 列出的代码）\n")


def _advice(rows) -> list[str]:
    """处理建议 under the listing: each rule's hint once (in the order its open findings first
    appear), one line for the receivers' findings (反馈包), and how to accept one — a county's
    thousands of findings share a dozen lines."""
    from core.checks import RULES_BY_CODE, FindingState
    from db.findings import not_acceptable
    hints: dict[str, str] = {}
    feedback, example = False, ""
    for r in rows:
        if r.state != FindingState.OPEN:
            continue
        if r.origin:
            feedback = True
        elif r.title not in hints and r.code in RULES_BY_CODE:
            hints[r.title] = RULES_BY_CODE[r.code].hint
        if r.id_number and not example and not not_acceptable(r.code, r.severity):
            example = r.title           # a finding about a student that accept takes
    if not hints and not feedback:
        return []
    out = ["处理建议：\n", *(f"  {title}：{hint}\n" for title, hint in hints.items())]
    if feedback:
        out.append(f"  上级单位反馈的问题：{FEEDBACK_ADVICE}\n")
    return [*out, ACCEPT_ADVICE.format(title=example)] if example else out     # (none to accept: no such line)


def cmd_verify(db, args) -> int:
    from db.usecases import verify
    from db.views import students_with_id
    ids = students_with_id(db, args.id_number)
    if not ids:
        from db.students import no_student
        raise no_student(args.id_number)
    done, _skipped = verify(db, ids)
    print(f"已核准 {done} 名学生" if done else "该学生已是已核准状态")
    return 0


def _title(text: str) -> str:
    """The catalogue title of the check named by ``text``; a receiver's finding (反馈包) as written."""
    from core.checks import RULES_BY_CODE, rule_code
    code = rule_code(text)
    return RULES_BY_CODE[code].title if code else text.strip()


def cmd_accept(db, args) -> int:
    from db.usecases import accept_code
    n = accept_code(db, args.code, args.id_number, args.reason).count
    print(f"已接受 {n} 个“{_title(args.code)}”问题")
    return 0


def cmd_remove_student(db, args) -> int:
    from db.usecases import remove_id_number
    done = remove_id_number(db, args.id_number, args.reason)
    print(f"已把学生“{done.name}”移出名单（原因：{args.reason.strip()}）；可用 restore-student 移回")
    if done.note:
        print(done.note)
    return 0


def cmd_restore_student(db, args) -> int:
    from db.usecases import restore_id_number
    print(f"已把学生“{restore_id_number(db, args.id_number).name}”移回名单")
    return 0


def cmd_unverify(db, args) -> int:
    from db.usecases import unverify_id_number
    print(f"已取消核准 {unverify_id_number(db, args.id_number).count} 名学生（改回待核准）")
    return 0


def cmd_revoke_accept(db, args) -> int:
    from db.usecases import revoke_code
    n = revoke_code(db, args.code, args.id_number).count
    print(f"已撤销接受 {n} 个“{_title(args.code)}”问题，问题重新变为未处理")
    return 0


def cmd_import_payments(db, args) -> int:
    from db.workflows import import_payments
    if getattr(args, "replace", False):
        raise ValidationError("--replace 只能用于建档立卡名单（roster）",
                              "发放记录每次导入都整体替换之前的发放记录，不需要 --replace")
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


COMMANDS = {"check": cmd_check, "verify-student": cmd_verify, "accept": cmd_accept,
            "revoke-accept": cmd_revoke_accept, "unverify-student": cmd_unverify,
            "remove-student": cmd_remove_student, "restore-student": cmd_restore_student}
