"""The GUI's start, before Qt is imported: what can run beside the imports is started first (the
file's integrity check, the worker's child process), and the modules the window needs that do not
use Qt are imported before PySide6.

PySide6 installs an import hook (``shibokensupport.feature``, for its ``from __feature__ import``
switches) that reads the source of every module imported after it (``inspect.getsource``): about
370 modules at the window's start, 0.1–0.2 s of the start. The program's database and domain
modules (and SQLAlchemy, cryptography, tomlkit under them) never use Qt, so they are imported
first and the hook never sees them (``tests/test_gui_first_rows.py`` keeps the list complete).

The names' initials table (``core.pinyin.warm_name_initials``, pypinyin's single-character table,
0.02–0.03 s) is loaded here too, before the window: the student list's search texts need it at start.
pypinyin itself is not (0.13–0.2 s of the start): since the start-up check runs in the worker's child
process, nothing the GUI process does at start asks for it; it is imported at its first use (the
homophone rule of a check run in the window's process, the consolidation's order by reading).
"""
from __future__ import annotations

import gc
import importlib
from pathlib import Path

# The Qt-free modules the main window imports (their own imports follow).
BEFORE_QT = ("db.workflows", "db.views", "db.usecases", "db.backup", "db.exports", "db.feedback",
             "db.finding_detail", "db.official", "db.policy_versions", "db.receiving_models",
             "db.roster_columns", "db.trust_store", "db.keys", "db.importing", "core.policy_edit",
             "core.policy_diff", "core.policy_preview", "core.recent", "core.campaign", "core.slicesort",
             # imported while the window is built and its first reads asked for (the 政策 page's files,
             # whether 汇总 shows, the database opened and migrated, SQLite's dialect)
             "db.policy_files", "db.receiving_views", "db.lock", "db.migrate", "sqlalchemy.dialects.sqlite",
             "html")

# The 政策 page's modules: the page is made when first shown (``MainWindow.policy``: its widgets,
# 0.03-0.05 s, stay out of the start); its modules are read here, or its first showing takes over 0.1 s.
POLICY_PAGE = ("gui.policy_files", "gui.policy_versions_view", "gui.policy_view")


def before_qt(db_path: Path) -> None:
    """The start's first steps, before Qt: SQLite's integrity check of the file started in a thread
    (``db.integrity``: it runs without Python's lock, beside the imports), the worker's child process
    started with the student list's first rows to read (``gui.first_rows``), then the modules
    imported (the Qt-free ones first), without collector passes over what they make, which lives as
    long as the program (frozen: left out of later collections)."""
    from core.bulk import freeze_kept
    from core.pinyin import warm_name_initials
    from db import integrity
    from gui.first_rows import first_task
    from gui.worker_child import start_early
    integrity.start(db_path)
    start_early(first_task(db_path))
    gc.disable()
    try:
        for name in BEFORE_QT:
            importlib.import_module(name)
        warm_name_initials()     # the initials' table, not pypinyin: see the module's doc
        import gui.app
        import gui.databases
        import gui.main_window  # noqa: F401 - the window's modules, with the rest
        for name in POLICY_PAGE:
            importlib.import_module(name)
    finally:
        freeze_kept()            # (this process keeps frozen objects: core.bulk)
        gc.enable()


def start_gui(db_path: Path, demo: bool) -> int:
    """``python main.py`` without a command: the GUI (``gui.app.run_gui``), started quickly."""
    before_qt(db_path)
    from gui.app import run_gui
    return run_gui(db_path, demo=demo)
