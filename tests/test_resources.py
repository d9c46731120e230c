"""Every shipped file is found through core.resources, from source and frozen; nothing is read
relative to the working directory."""
import re
import subprocess
import sys
from pathlib import Path

from core import resources

ROOT = Path(__file__).resolve().parent.parent


def _program_files():
    files = [ROOT / "main.py"]
    for folder in ("core", "db", "gui", "cli"):
        files += [p for p in sorted((ROOT / folder).rglob("*.py")) if "versions" not in p.parts]
    return files


def test_every_resource_exists_from_source():
    for path in (resources.FONT_FILE, resources.DEFAULT_POLICY_FILE, resources.ICON_PNG, resources.ICON_ICO):
        assert path.is_absolute() and path.is_file(), path
    assert (resources.MIGRATIONS_DIR / "env.py").is_file()
    assert resources.resource_root() == ROOT and not resources.is_frozen()


def test_frozen_resources_come_from_the_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.is_frozen()
    assert resources.resource_path("resources", "fonts", "x.ttc") == tmp_path / "resources" / "fonts" / "x.ttc"


# A path built from this file's location, a literal "resources" folder, or a relative open():
# each would find nothing in the bundle, or depend on the working directory.
_STRAY = [re.compile(r"Path\(__file__\)"), re.compile(r"""["']resources["']"""),
          re.compile(r"""os\.path\.dirname\(\s*__file__"""), re.compile(r"""(?<![.\w])open\(\s*["'][^/"']"""),
          re.compile(r"""Path\(\s*["'](?!/)[\w.-]+["']\s*\)\s*/""")]


def test_no_stray_resource_paths_in_the_program():
    stray = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for p in _program_files() if p != ROOT / "core" / "resources.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if any(rx.search(line) for rx in _STRAY)]
    assert stray == []


def test_commands_work_from_another_working_directory(tmp_path):
    """The policy file and the migrations are found wherever the program is started from."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = ["--db", str(tmp_path / "x.sqlite")]       # (a --db naming no file is made by init only)
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), *db, "init", "--school", "一中", "--code", "1",
                          "--school-year", "2024"], cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), *db, "policy", "show"], cwd=elsewhere,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "资助政策：" in res.stdout and "政策文件 SHA-256" in res.stdout
    assert list(elsewhere.iterdir()) == []
