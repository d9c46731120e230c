"""An intake's result in Chinese lines: one wording for ``consolidate add`` and the 汇总 page's
result dialog (已接收 / 已替换 with what changed / 拒收 and why / 已接收过 / 已有较新版本). ID numbers are
masked (``change_lines`` masks those of a replacement's changes)."""
from __future__ import annotations

from core.money import format_fen
from db.receiving import IntakeOutcome, IntakeReport


def outcome_word(o: IntakeOutcome) -> str:
    if o.accepted:
        return "已替换" if o.replaced_file else "已接收"
    return {"duplicate": "已接收过", "superseded": "已有较新版本"}.get(o.result, "拒收")


def outcome_lines(o: IntakeOutcome, via: str = "") -> list[str]:
    """One file's result; ``via``: "，经…转报" for a school package a station's 汇总包 held
    (``IntakeReport.via_text``)."""
    school = f"学校代码 {o.school_code}（{o.school_name}）" if o.school_code else ""
    word = outcome_word(o)
    if o.accepted:
        kind = "往年提交包，只用于核对一次性项目" if o.history else "正式"
        lines = [f"{word}：{o.file_name} — {school}，学生 {o.students} 人，"
                 f"合计 {format_fen(o.total_fen)} 元（{kind}{via}）"]
        known, where = o.known_name
        if known:
            lines.append(f"  注意：包中自报的学校名称“{o.school_name}”与{where}中学校代码 {o.school_code} 的名称"
                         f"“{known}”不同：请与该校核实（学校改了名称，或这个学校代码的密钥被别的学校使用了）")
        if o.replaced_file:
            lines.append(f"  替换了此前接收的 {o.replaced_file}（保留在历史中）")
            if o.audit_shrank:
                before, now = o.audit_shrank
                lines.append(f"  注意：这个版本的审计日志只有 {now} 条，少于此前接收的版本的 {before} 条："
                             "日志只增不减，学校可能从备份恢复过数据库，也可能删改过记录。请向学校核实")
            if o.changes is not None:
                from core.package_changes import change_lines  # a replacement's (its ID rules load then)
                lines += ["  " + line for line in change_lines(o.changes, o.items)]
        return lines
    if o.result == "duplicate":
        return [f"{word}：{o.file_name} — {o.reason}，未重复接收"]
    if o.result == "superseded":       # not refused: nothing to do (db.intake_reasons)
        return [f"{word}：{o.file_name}" + (f" — {school}" if school else ""), f"  说明：{o.reason}"]
    return [f"{word}：{o.file_name}" + (f" — {school}" if school else ""), f"  原因：{o.reason}"]


def report_headline(report: IntakeReport) -> str:
    refused = report.count("refused")
    replaced = sum(o.accepted and bool(o.replaced_file) for o in report.outcomes)
    return (f"共 {len(report.outcomes)} 个文件：接收 {report.count('accepted')} 个"
            + (f"（其中替换 {replaced} 个）" if replaced else "")
            + f"，已接收过 {report.count('duplicate')} 个"
            + (f"，已有较新版本（不需处理） {newer} 个" if (newer := report.count("superseded")) else "")
            + f"，拒收 {refused} 个"
            + ("；拒收的提交包没有导入任何数据" if refused else ""))


def report_lines(report: IntakeReport) -> list[str]:
    """Every line of the report but the headline: each station package opened, then each file."""
    return [*(p.headline() for p in report.stations),
            *(line for o in report.outcomes for line in outcome_lines(o, report.via_text(o)))]
