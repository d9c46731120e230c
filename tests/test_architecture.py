"""Layering: core/, db/ and cli/ never import Qt or gui/; modules stay small."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_core_db_cli_import_no_qt_or_gui():
    offenders = []
    for pkg in ("core", "db", "cli"):
        for f in (ROOT / pkg).rglob("*.py"):
            bad = _imports(f) & {"PySide6", "gui", "shiboken6"}
            if pkg == "cli" and f.name in ("commands.py", "selftest.py"):
                bad -= {"gui"}  # the CLI starts the GUI when no command is given, the self-test's
                                # last step opens the main window off screen (lazy imports)
            if bad:
                offenders.append(f"{f.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_core_does_not_import_db():
    offenders = [str(f.relative_to(ROOT)) for f in (ROOT / "core").rglob("*.py") if "db" in _imports(f)]
    assert offenders == []


def test_importing_core_and_db_loads_no_qt():
    code = ("import sys, importlib, pkgutil, core, db\n"
            "for pkg in (core, db):\n"
            "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
            "        if '.migrations' not in m.name: importlib.import_module(m.name)\n"
            "print(any(k.startswith('PySide6') for k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_modules_stay_under_500_lines():
    big = [f"{f.relative_to(ROOT)} ({n})" for pkg in ("core", "db", "gui", "cli")
           for f in (ROOT / pkg).rglob("*.py")
           if (n := len(f.read_text(encoding="utf-8").splitlines())) > 500]
    assert big == []


def test_no_float_money_in_core_and_db():
    offenders = []
    for pkg in ("core", "db"):
        for f in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "float":
                    offenders.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, in full ("db.models", "sqlalchemy.orm"), lazy imports too."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def test_sql_stays_behind_db():
    """gui/ and cli/ read and write through db/ functions: no SQLAlchemy, no ORM models."""
    offenders = []
    for pkg in ("gui", "cli"):
        for f in (ROOT / pkg).rglob("*.py"):
            bad = {m for m in _imported_modules(f)
                   if m == "sqlalchemy" or m.startswith("sqlalchemy.") or m == "db.models"
                   or m.startswith("db.models.")}
            if bad:
                offenders.append(f"{f.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_the_sql_boundary_check_sees_lazy_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from sqlalchemy import select\n    from db import models\n", encoding="utf-8")
    assert {"sqlalchemy", "db.models"} <= _imported_modules(sample)


def _session_calls(path: Path) -> list[int]:
    """Lines where a file opens a database transaction (``….session()`` / ``….write_session()``)."""
    return [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("session", "write_session")]


def test_transactions_stay_behind_db():
    """gui/ and cli/ call db/ use cases (one transaction each, plain data back); they never
    open a session and call session-level functions themselves."""
    offenders = [f"{f.relative_to(ROOT)}:{line}" for pkg in ("gui", "cli") for f in (ROOT / pkg).rglob("*.py")
                 for line in _session_calls(f)]
    assert offenders == []


def test_the_transaction_check_sees_sessions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f(db):\n    with db.session() as s:\n        pass\n"
                      "    with wiz.db.write_session() as s:\n        pass\n", encoding="utf-8")
    assert _session_calls(sample) == [2, 4]
