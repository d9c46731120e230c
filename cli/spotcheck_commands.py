"""CLI of 专项核查 (spot check): ``consolidate sample|samples|checklists|result|results-sheet|
results-import|report``, registered into the ``consolidate`` group of cli/receiving_commands.py."""
from __future__ import annotations

import argparse
from pathlib import Path

from cli.jsonout import write_json
from cli.receiving_commands import register_consolidate
from core.spotcheck_points import FALSE_LABEL, POINTS, TRUE_LABEL


def _out(text: str = "") -> None:
    print(text)


def _warnings(warnings: list[str]) -> None:
    for w in warnings:
        _out(f"注意：{w}")


def _sample_args(p: argparse.ArgumentParser) -> None:
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--count", type=int, help="抽查人数")
    size.add_argument("--percent", help="抽查比例（%%），例如 5 或 2.5，人数向上取整")
    p.add_argument("--seed", type=int, help="随机种子（不给时自动生成并打印；同样的数据和种子得到同样的样本）")
    p.add_argument("--unannounced", action="store_true", help="暗访样本：核查完成前不会出现在发给学校的任何材料中")
    p.add_argument("out", type=Path, help="抽查名单和现场核查表（PDF）")


def cmd_sample(db, args) -> int:
    from db.spotcheck import draw_and_store
    run = draw_and_store(db, args.out, count=args.count, percent=args.percent, seed=args.seed,
                         unannounced=args.unannounced)
    s = run.stored.sample
    kind = "暗访样本" if s.unannounced else "核查样本"
    _out(f"已抽取{kind}：抽查编号 {run.stored.id}，随机种子 {s.seed}"
         + (f"（{run.stored.seed_source}）" if args.seed is not None
            else "（自动生成，请记下：用同样的数据和种子可以复核样本）"))
    _out(f"从 {len(s.schools)} 所学校的 {s.population} 名受助学生中按要求（{s.requested}）抽取 {len(s.students)} 名：")
    for d in s.schools:
        _out(f"  {d.school_code} {d.school_name}：受助 {d.subsidised} 人，抽取 {d.drawn} 人")
    _out(f"抽查名单和现场核查表：{args.out}")
    if s.unannounced:
        _out("暗访样本：不要事先通知学校；核查完成前，它不会出现在发给学校的反馈包中")
    _out(f"核查后登记结果：consolidate results-sheet {run.stored.id} 登记表.xlsx（填好后 results-import 导入），"
         f"或逐项 consolidate result {run.stored.id} 编号 --point 资金到账 --true")
    _warnings(run.warnings)
    return 0


def cmd_samples(db, args) -> int:
    from db.spotcheck import sample_list
    rows = sample_list(db)
    if not rows:
        _out("还没有抽取核查样本（consolidate sample --count 人数 输出.pdf）")
    for r in rows:
        kind = "暗访" if r.unannounced else "专项核查"
        source = f"（{r.seed_source}）" if r.seed_source else ""
        _out(f"抽查编号 {r.id}：{kind}，{r.created_at:%Y-%m-%d %H:%M} {r.created_by} 抽取，种子 {r.seed}{source}，"
             f"要求 {r.requested}，抽取 {r.count} 名，已完成核查 {r.checked} 名")
    return 0


def _id_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("sample_id", type=int, help="抽查编号（consolidate samples 列出）")


def _checklists_args(p: argparse.ArgumentParser) -> None:
    _id_arg(p)
    p.add_argument("out", type=Path, help="输出 PDF")


def cmd_checklists(db, args) -> int:
    from db.spotcheck import print_checklists
    warnings = print_checklists(db, args.sample_id, args.out)
    _out(f"抽查编号 {args.sample_id} 的抽查名单和现场核查表：{args.out}")
    _warnings(warnings)
    return 0


def _result_args(p: argparse.ArgumentParser) -> None:
    _id_arg(p)
    p.add_argument("who", metavar="编号或身份证号", help="核查表上的编号，或学生的身份证号")
    p.add_argument("--point", required=True, help="核查项：" + "、".join(pt.label for pt in POINTS))
    truth = p.add_mutually_exclusive_group(required=True)
    truth.add_argument("--true", dest="truthful", action="store_true", help=TRUE_LABEL)
    truth.add_argument("--false", dest="truthful", action="store_false", help=f"{FALSE_LABEL}（须用 --note 写明情况）")
    truth.add_argument("--withdraw", dest="truthful", action="store_const", const=None,
                       help="撤回已登记的结果（恢复为未核查，例如登记错了学生）；审计日志保留原结果")
    p.add_argument("--note", default="", help="情况说明")


def cmd_result(db, args) -> int:
    from core.logsetup import mask_personal
    from core.spotcheck import point_of
    from db.spotcheck import enter_result
    label = point_of(args.point).label
    who = mask_personal(args.who)        # a typed ID is echoed masked, as in every list
    if args.truthful is None:
        from db.spotcheck import withdraw_result
        entry = withdraw_result(db, args.sample_id, args.who, args.point)
        _out(f"已撤回：抽查编号 {args.sample_id}，{who}，{label}：恢复为未核查（原结果保留在审计日志中）")
        _progress(entry.stored)
        return 0
    entry = enter_result(db, args.sample_id, args.who, args.point, args.truthful, args.note)
    verdict = TRUE_LABEL if args.truthful else f"{FALSE_LABEL}（{args.note.strip()}）"
    _out(f"已登记：抽查编号 {args.sample_id}，{who}，{label}：{verdict}" if entry.changed
         else f"没有变化：{label} 已登记为{verdict}")
    _progress(entry.stored)
    return 0


def _progress(stored) -> None:
    checked = stored.checked()
    done = sum(c.complete for c in checked)
    _out(f"抽查编号 {stored.id}：已完成核查 {done} / {len(checked)} 名")


def _sheet_args(p: argparse.ArgumentParser) -> None:
    _id_arg(p)
    p.add_argument("out", type=Path, help="输出 Excel 文件（.xlsx）")


def cmd_results_sheet(db, args) -> int:
    from db.spotcheck import write_results_sheet
    path = write_results_sheet(db, args.sample_id, args.out)
    _out(f"结果登记表已保存：{path}（每个核查项填“{TRUE_LABEL}”或“{FALSE_LABEL}”，不属实的写明情况；"
         f"填好后 consolidate results-import {args.sample_id} {path.name}）")
    return 0


def _import_args(p: argparse.ArgumentParser) -> None:
    _id_arg(p)
    p.add_argument("file", type=Path, help="填好的结果登记表")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入")


def cmd_results_import(db, args) -> int:
    from db.spotcheck import import_results
    done = import_results(db, args.sample_id, args.file, dry_run=args.dry_run)
    head = "检查通过（未写入）" if done.dry_run else "已导入"
    _out(f"{head}：读取 {done.rows} 名学生，新登记或改动 {done.changed} 项，没有变化 {done.unchanged} 项")
    _progress(done.stored)
    return 0


def _report_args(p: argparse.ArgumentParser) -> None:
    _id_arg(p)
    p.add_argument("out", type=Path, nargs="?", help="核查报告（PDF）")
    p.add_argument("--json", action="store_true", help="输出 JSON")


def cmd_report(db, args) -> int:
    from core.errors import ValidationError
    from db.spotcheck import spot_report
    if args.out is None and not args.json:
        raise ValidationError("请给出核查报告的输出文件或 --json",
                              f"例如 consolidate report {args.sample_id} 核查报告.pdf")
    rep = spot_report(db, args.sample_id, args.out)
    if args.json:
        write_json(rep.json)
        return 0
    t = rep.json["totals"]
    _out(f"核查报告已保存：{args.out}（抽查 {t['sampled']} 名，已完成核查 {t['checked']} 名，"
         f"不属实 {len(t['false_notes'])} 项）")
    _warnings(rep.warnings)
    return 0


register_consolidate("sample", "专项核查：按学校分层随机抽取核查样本，打印现场核查表", _sample_args, cmd_sample)
register_consolidate("samples", "列出已抽取的核查样本", lambda p: None, cmd_samples)
register_consolidate("checklists", "重新打印一个样本的抽查名单和现场核查表", _checklists_args, cmd_checklists)
register_consolidate("result", "登记一个核查项的结果（属实 / 不属实）", _result_args, cmd_result)
register_consolidate("results-sheet", "生成结果登记表（Excel），填好后导入", _sheet_args, cmd_results_sheet)
register_consolidate("results-import", "导入填好的结果登记表（有任何问题则全部不导入）", _import_args,
                     cmd_results_import)
register_consolidate("report", "核查报告：各校核查情况和不属实情况（PDF，或 --json）", _report_args, cmd_report)
