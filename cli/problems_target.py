"""``import … --problems FILE``: the file the rows with problems are saved to, refused before the
import writes anything when it could not be written, or must not be."""
from __future__ import annotations

from pathlib import Path


def check_problems_target(args) -> None:
    """Refuse a --problems file that could not be written, or must not be, before the import writes
    anything (an import done, then its rows with problems refused, left the clerk unsure what was done):
    an .xlsx in an existing folder, not the list imported, not the open database (core.paths.protect),
    nor a database another 资助助手 is using (db.lock.check_not_in_use)."""
    from core.errors import OutputFileError
    from core.paths import IMPORTED_FILE, protect, require_suffix
    from db.lock import check_not_in_use
    target = Path(args.problems)
    protect([args.file], IMPORTED_FILE)     # (as reading it does: core.importers.reader)
    require_suffix(target, (".xlsx",), "有问题的行")
    if target.is_dir():
        raise OutputFileError(f"无法保存“{target.name}”：这是一个文件夹",
                              "请在 --problems 后写文件名，例如 有问题的行.xlsx")
    if not target.parent.is_dir():
        raise OutputFileError(f"无法保存“{target.name}”：文件夹“{target.parent}”不存在", "请选择一个已存在的文件夹")
    check_not_in_use(target)
    _writable(target)


def _writable(target: Path) -> None:
    """OutputFileError when ``target`` could not be written: its folder takes no new file (read-only,
    no permission), or the file is there and cannot be opened for writing (open in Excel on Windows,
    read-only). Nothing is changed: a probe file is made and removed, the file opened and closed."""
    import tempfile

    from core.errors import OutputFileError, os_reason
    try:
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".~zizhu-probe-"):
            pass
        if target.exists():
            with target.open("r+b"):
                pass
    except OSError as exc:
        raise OutputFileError(f"无法保存“{target.name}”（{target.parent}）：{os_reason(exc)}，这次没有导入",
                              "请关闭正在打开这个文件的Excel/WPS，或换一个可以写入的文件夹，然后重新导入") from None
