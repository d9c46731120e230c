"""CLI commands `backup [PATH]` and `restore PATH | --latest`."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import DatabaseError, ValidationError


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("backup", help="备份数据库（默认放在数据库旁边的 backups 文件夹）")
    s.add_argument("path", nargs="?", type=Path, help="备份文件或文件夹（可选）")
    s = sub.add_parser("restore", help="从备份恢复数据库（恢复前先备份当前数据库）")
    s.add_argument("path", nargs="?", type=Path, help="备份文件")
    s.add_argument("--latest", action="store_true", help="恢复最新的完好备份")


def _when(info) -> str:
    return info.taken.strftime("%Y-%m-%d %H:%M")


def cmd_backup(db, args) -> int:
    from db.backup import backup, inspect_backup
    target = args.path
    if target is not None and not target.is_dir() and not target.parent.is_dir():
        raise ValidationError(f"备份位置的文件夹 {target.parent} 不存在", "请指定一个已存在的文件夹或其中的文件名")
    out = backup(db, reason="manual", target=target)
    info = inspect_backup(out)
    print(f"已备份到：{out}（学生 {info.students} 人，校验通过）")
    return 0


def cmd_restore(db_path: Path, args) -> int:
    """Runs without opening the database (it may be damaged); holds the single-instance lock."""
    from db import lock
    from db.backup import newest_good_backup, restore
    if bool(args.path) == bool(args.latest):
        raise ValidationError("请指定要恢复的备份文件，或者用 --latest 恢复最新的完好备份",
                              "例如：python main.py restore --latest")
    if Path(db_path).is_dir():
        raise DatabaseError(f"“{db_path}”是一个文件夹，不是数据库文件", "请用 --db 指定数据库文件本身")
    lock.acquire(Path(db_path))
    try:
        source = args.path or newest_good_backup(Path(db_path))
        if source is None:
            raise DatabaseError(f"没有找到数据库 {db_path} 的可用备份",
                                "备份在数据库旁边的 backups 文件夹中；也可以用 restore 备份文件路径 指定")
        result = restore(Path(db_path), source)
    finally:
        lock.release(Path(db_path))
    info = result.restored
    print(f"已恢复备份：{info.path}（{_when(info)} 的数据，{info.school or '学校'} 学生 {info.students} 人）")
    if result.previous:
        print(f"恢复前的数据库已备份到：{result.previous}")
    if result.damaged:
        print(f"损坏的数据库已改名保留：{result.damaged}")
    return 0


COMMANDS = {"backup": cmd_backup}
