"""CLI `policy …`: show, set, versions, diff, export, import (and load, an unsigned import)."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import ValidationError


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("policy", help="查看、修改、导入导出资助政策（按学年分版本）")
    psub = s.add_subparsers(dest="policy_command", required=True)
    ps = psub.add_parser("show", help="显示当前资助政策（或某个版本）")
    ps.add_argument("--toml", action="store_true", help="输出政策文件原文")
    ps.add_argument("--version", type=int, metavar="N", help="显示本学年第 N 版（policy versions 列出）")
    ps = psub.add_parser("set", help="修改一个政策参数（保存为新版本）")
    ps.add_argument("key", help="参数名称（policy show 列出），例如 公办普通高中学费标准")
    ps.add_argument("value", help="金额（元）；空字符串表示取消设置")
    psub.add_parser("versions", help="列出各学年的政策版本")
    ps = psub.add_parser("diff", help="比较两个政策：版本号或政策文件")
    ps.add_argument("old", help="版本号（本学年第几版）或政策文件（.toml 或签名的 .zip）")
    ps.add_argument("new", help="同上")
    ps = psub.add_parser("export", help="导出当前政策（或某个版本）为政策文件")
    ps.add_argument("file", type=Path)
    ps.add_argument("--sign", action="store_true", help="用本机签名密钥签名（县教育局下发给学校时用）")
    ps.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令")
    ps.add_argument("--version", type=int, metavar="N", help="导出本学年第 N 版（默认：当前版本）")
    for name, text in (("import", "导入政策文件（签名的 .zip，或加 --allow-unsigned 的 .toml），先显示变更预览"),
                       ("load", "导入未签名的政策文件（TOML）并立即生效，等于 import --allow-unsigned --yes")):
        ps = psub.add_parser(name, help=text)
        ps.add_argument("file", type=Path)
        ps.add_argument("--trust", type=Path, action="append", default=[], metavar="FILE",
                        help="信任文件：县教育局的签名人公钥（可重复）；本机数据库的签名密钥也被信任")
        if name == "import":
            ps.add_argument("--allow-unsigned", action="store_true",
                            help="确认导入未签名的政策文件（只在确认来源时使用）")
        ps.add_argument("--dry-run", action="store_true", help="只显示变更预览，不保存")
        if name == "import":
            ps.add_argument("--yes", action="store_true", help="确认：有已核准学生因此改回待核准时须加此项")
        ps.add_argument("--note", default="", help="版本说明（默认写明文件来源）")


def cmd_policy(db, args) -> int:
    handler = {"set": _set, "versions": _versions, "diff": _diff, "export": _export,
               "import": _import, "load": _import}.get(args.policy_command, _show)
    return handler(db, args)


def _show(db, args) -> int:
    from core.policy import load_policy
    from db import settings
    from db.policy_versions import version_text
    policy = settings.policy(db) if args.version is None else load_policy(version_text(db, args.version))
    if args.toml:
        print(policy.text)
        return 0
    print_policy(policy)
    return 0


def _set(db, args) -> int:
    from core.policy import parameter_key, parameter_label
    from db import settings
    saved = settings.save_policy(db, {args.key: args.value})
    label = parameter_label(parameter_key(saved.policy, args.key), saved.policy)
    print(f"已修改 {label} = {args.value.strip() or '（未设置）'}，保存为{_version(saved)}" if saved.changed
          else f"{label} 没有变化，未修改")
    print_unverified(saved.unverified)
    print_policy(saved.policy)
    return 0


def _version(saved) -> str:
    return saved.version.label if saved.version else "新版本"


def print_unverified(n: int) -> None:
    if n:
        print(f"有 {n} 名已核准学生的资助结果因此改变，已改回待核准，请核对后重新核准（详见审计日志）")


def print_policy(policy) -> None:
    from core.money import format_fen
    from core.policy import parameters_of
    from core.policy_edit import rule_text, shares_text, source_notes
    print(f"资助政策：{policy.name}")
    print(f"政策文件 SHA-256：{policy.sha256}")
    print("资助项目：")
    notes = source_notes(policy)
    for it in policy.all_items:
        flags = "".join(f"，{w}" for w, on in (("仅一次", it.once), ("需申请", it.needs_application),
                                                 ("已停用", it.retired)) if on)
        print(f"  {it.code:<20} {it.name}：{rule_text(it)}（{shares_text(it)}{flags}）")
        if it.code in notes:
            print(f"  {'':<20} 注：{notes[it.code]}")
    print("政策参数（元/年）：")
    for p in parameters_of(policy):
        print(f"  {p.label} = {format_fen(p.fen) + ' 元' if p.fen is not None else '未设置'}")
    print("修改：policy set 参数名称 金额，例如 policy set 公办普通高中学费标准 1200（留空则取消设置）")


def _versions(db, args) -> int:
    from db.policy_versions import list_versions
    for v in list_versions(db):
        mark = "（当前）" if v.active else ""
        print(f"{v.label}{mark}  {v.created_at:%Y-%m-%d %H:%M}  {v.created_by}  {v.origin_label}  "
              f"SHA-256 {v.sha256[:16]}…")
        if v.note:
            print(f"    {v.note}")
    return 0


def _policy_of(db, ref: str):
    """A version number of the active year, or a policy file (signed files: intact, any signer)."""
    from core.policy import load_policy
    from core.policy_file import read_policy_file
    from db.policy_versions import version_text
    if ref.strip().isdigit():
        return load_policy(version_text(db, int(ref)))
    path = Path(ref)
    if not path.exists():
        raise ValidationError(f"“{ref}”既不是版本号，也不是存在的政策文件", "版本号见 policy versions")
    return read_policy_file(path, require_trusted=False).policy


def _diff(db, args) -> int:
    from core.policy_edit import policy_diff_items
    diff = policy_diff_items(_policy_of(db, args.old), _policy_of(db, args.new))
    for line in diff.lines() or ["两个政策的项目和参数相同"]:
        print(line)
    return 0


def _export(db, args) -> int:
    from cli.export_commands import read_passphrase
    from db.policy_files import export_policy
    from db.settings import key_status
    passphrase = read_passphrase(args.passphrase_file, confirm=not key_status(db).has_key) if args.sign else ""
    done = export_policy(db, args.file, sign=args.sign, passphrase=passphrase, number=args.version)
    which = done.version.label if done.version else "程序自带的默认政策"
    print(f"已导出{'签名的' if done.signed else '未签名的'}政策文件（{which}）：{done.path}")
    print(f"政策文件 SHA-256：{done.sha256}")
    if done.signed:
        print(f"签名人公钥指纹：{done.fingerprint}（请把公钥文件 key export 交给各校登记，并核对指纹）")
    return 0


def _import(db, args) -> int:
    from db.policy_files import UNSIGNED_HINT, check_policy_file, save_imported
    load = args.policy_command == "load"        # the older command: the clerk's own file, at once
    allow_unsigned, confirmed = load or args.allow_unsigned, load or args.yes
    check = check_policy_file(db, args.file, args.trust)
    print(check.file.source_text())
    if not check.file.signed and not allow_unsigned:
        raise ValidationError("这是未签名的政策文件，无法确认它来自县教育局、没有被改动，没有导入", UNSIGNED_HINT)
    preview = check.preview
    if not preview.changed:
        print("与当前政策完全相同（SHA-256 一致），没有建立新版本")
        return 0
    print("变更预览：")
    for line in preview.lines():
        print("  " + line)
    if args.dry_run:
        print("预览（未保存）")
        return 0
    if preview.unverified and not confirmed:
        raise ValidationError(f"导入后有 {preview.unverified} 名已核准学生的资助结果改变、改回待核准，没有导入",
                              "核对上面的变更预览后，加上 --yes 重新运行以确认导入")
    saved = save_imported(db, check.file, args.note, allow_unsigned)
    print(f"已导入资助政策：{saved.policy.name}，保存为{_version(saved)}")
    print_unverified(saved.unverified)
    return 0


COMMANDS = {"policy": cmd_policy}
