"""设置 › 备份与恢复: back up now, restore a backup, where the backups are.

All file and database work runs through ``worker.run_task``. The two questions
(which file, and are you sure) are methods so tests can replace them. After a
restore the same ``Database`` works on the restored file (its connections were
closed by the restore; an older backup's schema is migrated) and the main window
reloads every page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.backup import BackupInfo, RestoreResult, backup, backups_dir, inspect_backup, list_backups, restore, taken_at
from db.session import Database
from gui import worker


@dataclass
class BackupStatus:
    folder: Path
    newest: Path | None
    newest_taken: datetime | None


def backup_status(db: Database) -> BackupStatus:
    found = list_backups(db.path)
    return BackupStatus(backups_dir(db.path), found[0] if found else None,
                        taken_at(found[0]) if found else None)


def make_backup(db: Database) -> BackupInfo:
    return inspect_backup(backup(db, reason="manual"))


def restore_into(db: Database, path: Path) -> RestoreResult:
    """Restore ``path`` over the open database, then bring the restored file to this program's schema:
    a backup of an older version (the one taken before a migration) would otherwise stay at its old
    revision, which no page can read. The upgrade takes its own before-migration backup."""
    from db.migrate import upgrade
    result = restore(db.path, Path(path), db=db)
    upgrade(db)
    return result


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


class BackupBox(QGroupBox):
    restored = Signal(object)   # the restore's Changes

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__("备份与恢复", parent)
        self.db = db
        self.setObjectName("backupBox")
        self.status = QLabel(self)
        self.status.setObjectName("backupStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backup_button = QPushButton("立即备份", self)
        self.backup_button.setObjectName("backupNow")
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button = QPushButton("从备份恢复…", self)
        self.restore_button.setObjectName("restoreBackup")
        self.restore_button.clicked.connect(self.restore_from_backup)
        self.message = QLabel(self)
        self.message.setObjectName("backupMessage")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        intro = QLabel("程序每天启动时、每次导入和修改资助政策前会自动备份；"
                       "也可以随时手动备份。恢复前会先备份当前数据。", self)
        intro.setWordWrap(True)         # never wider than the page at 1024×768
        layout.addWidget(intro)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addWidget(self.message)

    # -- status -----------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.reload()

    def reload(self) -> None:
        worker.run_task(backup_status, self.db, on_success=self.show_status, parent=self)

    def show_status(self, status: BackupStatus) -> None:
        newest = f"{status.newest.name}（{when(status.newest_taken)}）" \
            if status.newest is not None and status.newest_taken else "还没有备份"
        self.status.setText(f"备份文件夹：{status.folder}\n最新备份：{newest}")

    # -- back up ----------------------------------------------------------
    def backup_now(self) -> None:
        self._busy(True)
        self.message.setText("正在备份…")
        worker.run_task(make_backup, self.db, on_success=self._backed_up, on_failure=self._failed, parent=self)

    def _backed_up(self, info: BackupInfo) -> None:
        self._busy(False)
        self.message.setText(f"已备份（学生 {info.students} 人，校验通过）：{info.path}")
        self.reload()

    # -- restore ----------------------------------------------------------
    def choose_backup(self) -> Path | None:
        """Ask which backup to restore (tests replace this)."""
        folder = backups_dir(self.db.path)
        from gui.dialogs import ask_open_path
        return ask_open_path(self, "选择要恢复的备份", "资助助手数据库 (*.sqlite);;所有文件 (*)",
                             folder if folder.is_dir() else self.db.path.parent)

    def confirm_restore(self, info: BackupInfo) -> bool:
        """Ask before replacing the database (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, "从备份恢复", self.confirm_text(info),
                          QMessageBox.StandardButton.NoButton, self)
        yes = box.addButton("恢复", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton("取消", QMessageBox.ButtonRole.RejectRole))   # Return keeps the database
        box.exec()
        return box.clickedButton() is yes

    @staticmethod
    def confirm_text(info: BackupInfo) -> str:
        return (f"用 {when(info.taken)} 的备份替换当前数据库？\n"
                f"备份中：{info.school or '学校'}，学生 {info.students} 人。\n"
                "当前数据库会先备份；之后的改动（导入、核准等）将不在恢复后的数据中。")

    def restore_from_backup(self) -> None:
        path = self.choose_backup()
        if path is None:
            return
        self._busy(True)
        worker.run_task(inspect_backup, path, on_success=self._confirm_and_restore,
                        on_failure=self._failed, parent=self)

    def _confirm_and_restore(self, info: BackupInfo) -> None:
        if not self.confirm_restore(info):
            self._busy(False)
            return
        self.message.setText("正在恢复…")
        worker.run_task(restore_into, self.db, info.path, on_success=self._restored,
                        on_failure=self._failed, parent=self)

    def _restored(self, result: RestoreResult) -> None:
        self._busy(False)
        info = result.restored
        kept = f"恢复前的数据库已备份到：{result.previous.name}" if result.previous else \
            (f"损坏的数据库已改名保留：{result.damaged.name}" if result.damaged else "")
        self.message.setText(f"已恢复 {when(info.taken)} 的备份（学生 {info.students} 人）。{kept}")
        self.reload()
        self.restored.emit(result.changes)      # every page shows the restored data

    def _busy(self, busy: bool) -> None:
        self.backup_button.setEnabled(not busy)
        self.restore_button.setEnabled(not busy)

    def _failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self._busy(False)
        self.message.setText("")
        show_exception(self, exc)
