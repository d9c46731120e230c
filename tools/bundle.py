"""Build the one-folder bundle with PyInstaller (pyinstaller.spec), cached by its inputs' hash.

`python tools/bundle.py [--dist DIR]` builds DIR/Zizhu (default dist/Zizhu) unless the
stamp beside it (DIR/Zizhu.inputs) holds the hash of the current inputs: the spec,
pyproject.toml, main.py, the manual (docs/用户手册.md, docs/manual/), every file of core/ db/
gui/ cli/ resources/, the Python version and the versions of every installed distribution. Prints the bundle's folder,
its size and whether it was rebuilt. The slow tier builds into a cache folder outside
the checkout (ZIZHU_BUNDLE_CACHE, default ~/.cache/zizhu-bundle), so a fresh clone with
the same inputs reuses it.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "Zizhu"
INPUT_FILES = ("pyinstaller.spec", "pyproject.toml", "main.py", "docs/用户手册.md", "tools/bundle.py")
INPUT_DIRS = ("core", "db", "gui", "cli", "resources", "docs/manual")
SKIP_PARTS = {"__pycache__"}


def input_files(root: Path = ROOT) -> list[Path]:
    files = [root / f for f in INPUT_FILES]
    for folder in INPUT_DIRS:
        files += [p for p in (root / folder).rglob("*")
                  if p.is_file() and not SKIP_PARTS & set(p.parts) and p.suffix != ".pyc"]
    return sorted(files)


def inputs_hash(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    h.update(f"{sys.version}|{sys.platform}\n".encode())
    for dist in sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions()):
        h.update(dist.encode() + b"\n")
    for path in input_files(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def executable(dist: Path) -> Path:
    return dist / NAME / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path, work: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """(the bundle's executable, whether it was rebuilt now)."""
    dist = dist.resolve()
    stamp = dist / f"{NAME}.inputs"
    digest = inputs_hash()
    exe = executable(dist)
    if not force and exe.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return exe, False
    stamp.unlink(missing_ok=True)
    work = (work or dist.parent / "build").resolve()
    shutil.rmtree(dist / NAME, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work), str(ROOT / "pyinstaller.spec")],
                   check=True, cwd=ROOT)
    stamp.write_text(digest + "\n")
    return exe, True


def cache_dir() -> Path:
    return Path(os.environ.get("ZIZHU_BUNDLE_CACHE") or Path.home() / ".cache" / "zizhu-bundle")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="where Zizhu/ goes (default dist/)")
    p.add_argument("--force", action="store_true", help="rebuild even when the inputs did not change")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    exe, rebuilt = build(args.dist, force=args.force)
    size = folder_size(exe.parent)
    print(f"{'built' if rebuilt else 'up to date'}: {exe.parent} ({size / 1e6:.0f} MB, "
          f"{time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
