"""CLI commands of the exports: export, verify, key, letters, notice."""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from core.errors import InputFileError, ValidationError, os_reason


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("export", help="导出签名的上报包（.zip）")
    s.add_argument("path", type=Path)
    s.add_argument("--draft", action="store_true", help="草稿：未全部核准时也导出，处处标明“草稿”")
    s.add_argument("--letters", action="store_true", help="同时附上告知书 letters.pdf")
    s.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令")
    s = sub.add_parser("verify", help="校验上报包的完整性和签名")
    s.add_argument("path", type=Path)
    s.add_argument("--trust", type=Path, action="append", default=[], metavar="FILE",
                   help="信任文件：已登记的签名人公钥（每行一把，可重复指定多个文件）；"
                        "本机数据库（--db）存在时，其签名密钥和信任列表（trust add）也被信任")
    s = sub.add_parser("key", help="签名密钥")
    ks = s.add_subparsers(dest="key_command", required=True)
    ks.add_parser("show", help="显示公钥指纹")
    ke = ks.add_parser("export", help="导出公钥（交给接收单位登记）")
    ke.add_argument("path", type=Path)
    kn = ks.add_parser("new", help="更换签名密钥（忘记口令时；接收单位须重新登记新公钥）")
    kn.add_argument("--passphrase-file", type=Path, help="从文件第一行读取新密钥的签名口令")
    kn.add_argument("--yes", action="store_true", help="确认更换（不加此项只说明后果，不做改动）")
    s = sub.add_parser("letters", help="生成资助结果告知书 PDF")
    s.add_argument("path", type=Path)
    s.add_argument("--student", action="append", default=[], metavar="ID", help="只为这些身份证号生成（可重复）")
    s.add_argument("--household", action="store_true", help="每户一页")
    s.add_argument("--mark-printed", action="store_true", help="记录为已打印（已告知）")
    s.add_argument("--draft", action="store_true", help="草稿：每页标明“草稿”，县名未设置时也可生成（不能发给家长）")
    s = sub.add_parser("notice", help="生成公示名单（.pdf 或 .xlsx，可同时生成两种）")
    s.add_argument("path", type=Path, nargs="+", metavar="FILE",
                   help="保存的文件：.pdf 或 .xlsx；同时写两个（如 公示.pdf 公示.xlsx）只读一次数据，内容一致")


def decode_passphrase_file(data: bytes) -> str:
    """The first line of a passphrase file: UTF-8 (with or without BOM), else GBK/GB18030;
    the line break (LF or CR LF) is not part of the passphrase."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InputFileError("口令文件的编码无法识别（不是 UTF-8，也不是 GBK）。",
                                 "请用记事本把口令文件另存为 UTF-8 编码后重试。") from None
    lines = text.splitlines()
    return lines[0] if lines else ""


def read_passphrase(path: Path | None, confirm: bool, again: str = "请重新导出，两次输入同一个口令。") -> str:
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputFileError(f"无法读取口令文件 {path}：{os_reason(exc)}。",
                                 "请确认文件路径正确；口令文件的第一行应为口令。") from None
        passphrase = decode_passphrase_file(data)
        if not passphrase:
            raise InputFileError(f"口令文件 {path} 的第一行是空的。", "请把口令写在口令文件的第一行。")
        return passphrase
    if not sys.stdin.isatty():
        raise ValidationError("需要签名口令。", "请用 --passphrase-file 指定口令文件（第一行为口令）。")
    first = _ask("签名口令：")
    if confirm and _ask("再输入一次：") != first:
        raise ValidationError("两次输入的口令不一致。", again)
    return first


def _ask(prompt: str) -> str:
    """One passphrase typed at the terminal. Ctrl-D (end of input) cancels as Ctrl-C does: the
    command's end says 已取消 (cli.commands.run) after the prompt's line is ended."""
    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        print(file=sys.stderr)
        raise KeyboardInterrupt from None


def signing_passphrase(db, path: Path | None) -> str:
    """The passphrase of the database's signing key: asked twice when the key is made now."""
    from db.settings import key_status
    return read_passphrase(path, confirm=not key_status(db).has_key)


def cmd_export(db, args) -> int:
    from core.paths import require_suffix
    from db.exports import export_package
    require_suffix(args.path, (".zip",), "上报包")       # before the passphrase is asked for nothing
    result = export_package(db, args.path, signing_passphrase(db, args.passphrase_file),
                            draft=args.draft, letters=args.letters)
    print(f"已导出{'草稿' if result.draft else ''}上报包：{result.path}")
    if result.demo:
        print("注意：这是演示数据库，上报包中每个文件都标明了“演示数据”，不得上报")
    print(f"签名人公钥指纹：{result.fingerprint}")
    for w in result.warnings:
        print("注意：" + w)
    return 0


_KIND = {True: "草稿（不是正式上报数据）", False: "正式", None: "无法确定（清单无法读取）"}


def cmd_verify(db_path: Path | None, args) -> int:
    """Exit 0 only when the package is intact AND its signer is known (this database's
    key, or a key in a --trust file) for the school code in the manifest."""
    from core.package import read_trust_file, verify_package
    from db.readonly import read_own_signer, read_trusted_signers
    trusted = [signer for path in args.trust for signer in read_trust_file(path)]
    own = read_own_signer(db_path) if db_path is not None else None
    if own is not None:
        trusted.append(own)
    if db_path is not None:
        trusted += read_trusted_signers(db_path)       # the receiver's trust list (trust add)
    result = verify_package(args.path, trusted)
    kind = _KIND[result.draft] + ("；演示数据（虚构的学校和学生，不得上报）" if result.demo else "")
    if result.ok:
        assert result.signer is not None
        print(f"校验通过：{args.path} 完整，签名有效，签名人已登记（{result.signer.label()}，"
              f"来源：{result.signer.source}）")
        print(f"签名人公钥指纹：{result.fingerprint}")
        print(f"提交包类型：{kind}")
        return 0
    if result.intact:
        print(f"核验未通过：{args.path} 中的文件完整、与签名一致，但签名人未经确认，不能确认提交包的来源：")
        print("  " + result.signer_problem)
        if args.db is not None and own is None:
            print(f"  （数据库 {args.db} 不存在或还没有签名密钥，未用作信任来源）")
        if db_path is not None and own is not None:
            _explain_retired(db_path, result.fingerprint)
    else:
        print(f"校验失败：{args.path}")
        for p in result.problems:
            print("  " + p)
    if result.fingerprint:
        print(f"签名人公钥指纹：{result.fingerprint}")
    print(f"提交包类型：{kind}" + ("；这是清单所写，未经确认，不可作准" if result.manifest else ""))
    if result.hint:
        print("提示：" + result.hint)
    return 1


def _explain_retired(db_path: Path, fp: str) -> None:
    """An unknown signer that is a retired key of this database: say so (still not trusted)."""
    from db.readonly import read_retired_keys
    for old in read_retired_keys(db_path):
        if fp and old.fingerprint == fp:
            print(f"  这个指纹是本校数据库于 {old.retired_at.replace('T', ' ')} 停用的旧签名密钥"
                  "（更换密钥前的上报包用它签名），数据库不再信任它。"
                  "请用接收单位登记的旧公钥文件核验：verify 上报包 --trust 旧公钥文件。")


def cmd_key(db, args) -> int:
    from db.keys import export_public_key
    from db.settings import key_status
    if args.key_command == "new":
        return cmd_key_new(db, args)
    key = key_status(db)
    if not key.has_key:
        raise ValidationError("还没有签名密钥。", "第一次导出上报包时会创建密钥。")
    if args.key_command == "show":
        print(f"签名人公钥指纹：{key.fingerprint}")
        for old in key.retired:
            print(f"  已停用的旧密钥：{old.fingerprint or '（无法读取）'}（{old.retired_at.replace('T', ' ')} 更换）")
    else:
        exported = export_public_key(db, args.path)
        print(f"公钥已导出：{exported.path}（指纹 {exported.fingerprint}）")
        print("请把这个文件交给接收单位登记，并通过电话或纸质报告核对指纹。")
    return 0


def cmd_key_new(db, args) -> int:
    """Replace the signing key (a lost passphrase): only with --yes; the old passphrase is not needed."""
    from db.keys import REPLACE_CONSEQUENCES
    from db.settings import replace_key
    if not args.yes:
        raise ValidationError("没有更换签名密钥：需要确认。\n" + REPLACE_CONSEQUENCES,
                              "确认要更换时，请加上 --yes 重新运行：key new --yes")
    passphrase = read_passphrase(args.passphrase_file, confirm=True,
                                 again="请重新运行 key new --yes，两次输入同一个新口令。")
    replaced = replace_key(db, passphrase)
    print(f"已{'更换' if replaced.had_key else '生成'}签名密钥。新的签名人公钥指纹：{replaced.fingerprint}")
    if replaced.had_key:
        print("旧公钥已记入本数据库的密钥历史（key show 可查看）；"
              "用旧密钥签名的上报包，在登记了旧公钥的接收单位仍然有效。")
    print("请用 key export PATH 导出新公钥，交给接收单位登记，并通过电话或纸质报告核对新指纹。")
    return 0


def cmd_letters(db, args) -> int:
    from core.exports.letters import write_letters
    from db.exports import gather_letters
    from db.usecases import record_printed
    from db.views import students_with_id
    if args.draft and args.mark_printed:
        raise ValidationError("草稿告知书不能记录为已打印（已告知）", "草稿不能发给家长；请去掉 --draft 生成正式告知书")
    keys = None
    if args.student:
        keys = [k for number in args.student for k in students_with_id(db, number)]
        if not keys:
            raise ValidationError("没有找到这些身份证号的学生", "请核对 --student 参数")
    letters = gather_letters(db, keys=keys, draft=args.draft)
    if args.mark_printed and letters.draft:
        raise ValidationError("告知书还是草稿，不能记录为已打印（已告知）：" + "；".join(letters.reasons),
                              "请核准全部学生、处理全部错误后，再生成正式告知书并记录为已打印")
    data = letters.data
    warnings = write_letters(args.path, data, keys=keys, per_household=args.household)
    if letters.reasons:
        print("数据尚未全部核准，告知书已标明“草稿”，不能发给家长：" + "；".join(letters.reasons))
    print(f"{'草稿' if letters.draft else ''}告知书已生成：{args.path}")
    for w in warnings:
        print("注意：" + w)
    if args.mark_printed:
        from core.told import letter_due, told_key
        told = {st.key: told_key(res.granted, res.pending) for st, res in data.pairs()
                if keys or letter_due(bool(res.granted), res.student.category)}     # (the letters written)
        n = record_printed(db, list(told), told).count
        same = len(told) - n
        print(f"已记录 {n} 名学生的告知书为已打印"
              + (f"；另有 {same} 名此前已记录，告知内容相同，不再重复记录" if same else ""))
    return 0


def cmd_notice(db, args) -> int:
    from db.exports import export_notices
    results = export_notices(db, args.path)      # one gather for every file named
    for w in dict.fromkeys(w for result in results for w in result.warnings):
        print("注意：" + w)
    if results[0].draft:                         # (the same data: every file is a draft or none)
        print("数据尚未全部核准，公示名单已标明“草稿”，不能张贴：" + "；".join(results[0].reasons))
    for result in results:
        print(f"公示名单已生成（{result.students} 名学生）：{result.path}")
    return 0


COMMANDS = {"export": cmd_export, "verify": cmd_verify, "key": cmd_key,
            "letters": cmd_letters, "notice": cmd_notice}
