"""下载导入模板: save a blank import template (kind chosen by the clerk) via the worker."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from db.session import Database
from db.workflows import KIND_LABELS, write_import_template
from gui import dialogs, worker


def ask_kind(parent: QWidget | None) -> str | None:
    box = QMessageBox(QMessageBox.Icon.Question, "下载导入模板", "要下载哪一种名单的导入模板？",
                      QMessageBox.StandardButton.NoButton, parent)
    buttons: dict[QAbstractButton, str] = {box.addButton(f"{label}模板", QMessageBox.ButtonRole.AcceptRole): kind
               for kind, label in KIND_LABELS.items()}
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return buttons.get(box.clickedButton())


def download_template(parent: QWidget | None, db: Database, kind: str | None = None,
                      done: Callable[[str], None] | None = None) -> None:
    kind = kind or ask_kind(parent)
    if kind is None:
        return
    asked = dialogs.ask_save_path(parent, "保存导入模板", f"{KIND_LABELS[kind]}导入模板.xlsx")
    target = dialogs.named_target(parent, asked, ".xlsx", "导入模板") if asked is not None else None
    if target is None:
        return
    save_template(parent, db, kind, target, done)


def save_template(parent: QWidget | None, db: Database, kind: str, target: Path,
                  done: Callable[[str], None] | None = None) -> None:
    def finished(_result: object) -> None:
        if done is not None:
            done(f"模板已保存：{target}")
    worker.run_task(write_import_template, db, kind, target, on_success=finished, parent=parent)
