"""``consolidate check | summary | export``: the receiver's cross-checks, summaries and the
signed consolidated package (registered in recv-intake's ``consolidate`` group)."""
from __future__ import annotations

import argparse
from pathlib import Path

from cli.jsonout import write_json
from cli.receiving_commands import register_consolidate


def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="输出 JSON（与 check --json 同形，另含学校代码和名称）")


def cmd_check(db, args) -> int:
    from core.consolidate import counts_of, finding_line
    from db.consolidation import consolidation
    done = consolidation(db)
    counts = counts_of(done.findings)
    if args.json:
        write_json({"flags": [f.to_json() for f in done.findings],
                   "counts": {**counts, "packages": len(done.packages), "history_packages": done.history}})
    else:
        for f in done.findings:
            print(finding_line(f))
        print(f"汇总 {len(done.packages)} 所学校的提交包（往年提交包 {done.history} 个）；"
              f"跨校核查：错误 {counts['error']}，警告 {counts['warning']}")
    return 1 if counts["error"] else 0


def _summary_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="输出 JSON（金额为两位小数的元）")


def _table(headers: list[str], rows: list[list[str]]) -> None:
    from core.exports.xlsx_common import text_width
    widths = [max(text_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - text_width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()
    print(line(headers))
    for r in rows:
        print(line(r))


def cmd_summary(db, args) -> int:
    from core.money import format_fen
    from db.consolidation import consolidation
    done = consolidation(db)
    s = done.summary
    if args.json:
        write_json(s.to_json())
        return 0
    t, dup = s.totals, s.duplicates
    srcs = list(s.sources)
    money = [f"{s.sources[x]}（元）" for x in srcs]
    print(f"汇总 {t.schools} 所学校：在册学生 {t.students} 人，受助学生 {t.students_granted} 人，"
          f"资助金额合计 {format_fen(t.total)} 元（"
          + "，".join(f"{s.sources[x]} {format_fen(t.by_source.get(x, 0))} 元" for x in srcs) + "）")
    claims = "以上为各校提交包声明的合计，"
    print(claims + (f"其中含重复受助 {dup.ids} 人（{dup.entries} 条，{format_fen(dup.amount_fen)} 元）"
                    if dup.ids else "没有在多所学校重复受助的学生"))
    print("\n按乡镇")
    _table(["乡镇", "学校数", "受助学生", "金额（元）", *money],
           [[r.township, str(r.figures.schools), str(r.figures.students_granted), format_fen(r.figures.total),
             *(format_fen(r.figures.by_source.get(x, 0)) for x in srcs)] for r in s.by_township])
    print("\n按学校")
    _table(["乡镇", "学校代码", "学校", "受助学生", "金额（元）", "合计核对"],
           [[r.township, r.school_code, r.school_name, str(r.figures.students_granted), format_fen(r.figures.total),
             "一致" if r.totals_match else "不一致"] for r in s.by_school])
    print("\n资助资金预算表（项目 × 资金来源）")
    head = ["资助项目", "人数", "金额（元）"]
    for x in srcs:
        head += [f"{s.sources[x]}人数", f"{s.sources[x]}金额（元）"]
    rows = []
    for r in s.budget:
        cells = [r.name, str(r.total.students), format_fen(r.total.amount_fen)]
        for x in srcs:
            cell = r.by_source.get(x)
            cells += [str(cell.students if cell else 0), format_fen(cell.amount_fen if cell else 0)]
        rows.append(cells)
    _table(head, rows)
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, help="汇总包文件（.zip）")
    p.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令")


def cmd_export(db, args) -> int:
    from cli.export_commands import signing_passphrase
    from core.paths import require_suffix
    from db.consolidation import export_consolidated
    require_suffix(args.path, (".zip",), "汇总包")       # before the passphrase is asked for nothing
    result = export_consolidated(db, args.path, signing_passphrase(db, args.passphrase_file))
    errors = sum(f.severity == "error" for f in result.findings)
    print(f"已导出汇总包：{result.path}（{result.packages} 所学校，资助金额合计 "
          f"{result.summary.to_json()['totals']['total']} 元）")
    print(f"签名公钥指纹：{result.fingerprint}")
    if result.findings:
        print(f"汇总包中列出跨校核查问题 {len(result.findings)} 条（其中错误 {errors} 条），请在报告中核对")
    for w in result.warnings:
        print("  " + w)
    return 0


register_consolidate("check", "跨校核查：重复受助、名单中在校生未报、一次性项目重复、合计不符", _check_args, cmd_check)
register_consolidate("summary", "汇总：按学校、乡镇、学段、项目、资金来源，资金预算表", _summary_args, cmd_summary)
register_consolidate("export", "导出签名的汇总包（汇总表、报告、各校提交包原件）", _export_args, cmd_export)
