"""导入向导: pick a file, preview what the import would do, run it with progress.

Page 1 picks the file and the kind; page 2 (commit page) reads the file in the
worker and shows the detected header mapping, editable (also when a required
column was not recognised), and what would change, and for the roster offers
to replace the whole list; page 3
imports in one transaction in the worker with a progress dialog, shows the
report and offers to save the problem rows for fixing in Excel.
"""
from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core.errors import MissingColumnsError
from db.importing_review import people_lines
from db.session import Database
from db.workflows import (
    KIND_LABELS,
    ImportPreview,
    ImportReport,
    import_summary,
    mapping_lines,
    preview_import,
    row_lines,
    run_import_shown,
    save_problem_rows,
)
from gui import dialogs, worker
from gui.errors import show_exception
from gui.mapping_editor import MappingEditor
from gui.screen import fit_to_screen

MAX_LISTED = 300


def listed_lines(plan: Any, imported: bool) -> list[str]:
    """The problem rows and the skipped rows, each under its own count: the same numbers
    as the summary above them (both from ``row_lines`` of one plan)."""
    rows = row_lines(plan)
    lines: list[str] = []
    problems_title = "有问题的行（已导入并标记，可在名单中查看）" if imported else "有问题的行（导入后会标记出来）"
    for title, listed in ((problems_title, rows.problems),
                          ("跳过的行（不是学生，不导入）", rows.skipped)):
        if not listed:
            continue
        if lines:
            lines.append("")
        lines.append(f"{title}：共 {len(listed)} 行")
        lines += ["  " + p for p in listed[:MAX_LISTED]]
        if len(listed) > MAX_LISTED:
            lines.append(f"  ……另有 {len(listed) - MAX_LISTED} 行，可点“保存问题行…”存为 Excel 文件查看")
    return lines


class FilePage(QWizardPage):
    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("第 1 步：选择文件")
        self.setSubTitle("支持 Excel（.xlsx、.xls）、WPS/LibreOffice（.ods）和 CSV 文件。"
                         "表头可以不在第一行，列的顺序不限。")
        self.kind_buttons = QButtonGroup(self)
        kinds = QHBoxLayout()
        for i, (key, label) in enumerate(KIND_LABELS.items()):
            radio = QRadioButton(label, self)
            radio.setObjectName("kind_" + key)
            radio.setProperty("kind", key)
            radio.setChecked(key == kind)
            if key != kind:     # Tab stops on the checked kind (Qt: on the one focused last, at first the first)
                radio.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            self.kind_buttons.addButton(radio, i)
            kinds.addWidget(radio)
        kinds.addStretch(1)
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("pathEdit")
        self.path_edit.setPlaceholderText("文件路径")
        self.path_edit.textChanged.connect(self.completeChanged)
        browse = QPushButton("浏览…", self)
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        hint = QLabel("必填列：学生名单为 姓名、身份证号、学段；建档立卡名单为 姓名、证件号码。"
                      "没有现成的表格时，可以用菜单“文件 → 下载导入模板”。", self)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("导入的是：", self))
        layout.addLayout(kinds)
        layout.addSpacing(8)
        layout.addWidget(QLabel("文件：", self))
        layout.addLayout(row)
        layout.addSpacing(8)
        layout.addWidget(hint)
        layout.addStretch(1)

    def showEvent(self, event: QShowEvent) -> None:
        """The focus on the file's path (the kind comes checked from the menu): Qt gave it to the first
        radio button, unchecked when the roster was chosen, and one Space switched the kind."""
        super().showEvent(event)
        if not event.spontaneous():
            self.path_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def kind(self) -> str:
        button = self.kind_buttons.checkedButton()
        return button.property("kind") if button else "students"

    def path(self) -> Path:
        return Path(self.path_edit.text().strip().strip('"'))

    def browse(self) -> None:
        path = dialogs.ask_open_path(self, f"选择{KIND_LABELS[self.kind()]}文件")
        if path is not None:
            self.path_edit.setText(str(path))

    def isComplete(self) -> bool:
        text = self.path_edit.text().strip()
        return bool(text) and self.path().is_file()


class PreviewPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("第 2 步：预览")
        self.setSubTitle("请核对每一列导入为什么，以及将要发生的变化。此时还没有写入任何数据。")
        self.setCommitPage(True)
        self.preview: ImportPreview | None = None
        self._base: dict[str, str] = {}      # the mapping the last preview used
        self._refocus: QWidget | int | None = None   # what gets the focus back after a preview (a column)
        self.status = QLabel(self)
        self.status.setObjectName("previewStatus")
        self.status.setWordWrap(True)
        self.mapping = MappingEditor(self)
        self.mapping.changed.connect(self._mapping_changed)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("previewDetails")
        self.details.setReadOnly(True)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.mapping)
        split.addWidget(self.details)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        self.replace_box = QCheckBox("用本文件替换整个建档立卡名单（删除文件中没有的人）", self)
        self.replace_box.setObjectName("replaceBox")
        self.replace_box.setToolTip("扶贫办发来新的完整名单时勾选；只补充几个人时不要勾选")
        self.replace_box.toggled.connect(lambda _on: self.refresh())
        self.refresh_button = QPushButton("按修改后的对应关系重新预览", self)
        self.refresh_button.setObjectName("refreshPreviewButton")
        self.refresh_button.setEnabled(False)
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.replace_box)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        layout.addLayout(row)

    def initializePage(self) -> None:
        wiz = dialogs.wizard_of(self, ImportWizard)
        wiz.overrides, wiz.replace = _UNIMPORTED.get(wiz.mapping_key()), False
        self.replace_box.blockSignals(True)
        self.replace_box.setChecked(False)
        self.replace_box.blockSignals(False)
        self.replace_box.setVisible(wiz.kind() == "roster")
        self._run_preview()

    def refresh(self) -> None:
        """Preview again with the mapping and the replace choice as they stand."""
        wiz = dialogs.wizard_of(self, ImportWizard)
        if self.mapping.combos:
            wiz.overrides = self.mapping.overrides(self._base)
        wiz.replace = self.replace_box.isChecked() and wiz.kind() == "roster"
        self._run_preview()

    def _run_preview(self) -> None:
        wiz = dialogs.wizard_of(self, ImportWizard)
        self._hold_focus()
        self.preview = None
        self.details.clear()
        self.status.setText("正在读取文件…")
        self.refresh_button.setEnabled(False)
        self.replace_box.setEnabled(False)
        self.completeChanged.emit()
        worker.run_task(preview_import, wiz.db, wiz.kind(), wiz.path(), wiz.overrides, wiz.replace,
                        on_success=self._shown, on_failure=self._failed, parent=self)

    def _hold_focus(self) -> None:
        """While the file is read, the control the clerk used is disabled (重新预览, the 替换 box) or
        deleted with the drop-downs: the focus waits on the details, and comes back after
        (``_give_focus_back``). Handed on by Qt it went nowhere, and the next Return ran 开始导入."""
        focused = QApplication.focusWidget()
        column = self.mapping.focused_column()
        self._refocus = focused if focused in (self.refresh_button, self.replace_box) else column
        if self._refocus is not None:
            self.details.setFocus(Qt.FocusReason.OtherFocusReason)

    def _give_focus_back(self) -> None:
        """The previewed page: the focus back on the 替换 box, or on the drop-down of the column last
        changed (重新预览 is off again until the next change), unless the clerk moved it meanwhile."""
        target, self._refocus = self._refocus, None
        if target is None or self.window().focusWidget() not in (None, self.details):
            return
        if target is self.refresh_button and not self.refresh_button.isEnabled():
            target = self.mapping.last_picked
        widget = self.mapping.combos.get(target) if isinstance(target, int) else target
        if widget is None or not widget.isEnabled():
            widget = next((c for c in self.mapping.combos.values() if c.isEnabled()), self.details)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _order_tabs(self) -> None:
        """Tab in reading order: the details, each column's drop-down, 重新预览, the 替换 box (the
        drop-downs, made with each preview, were last: Tab from them skipped to ‹ 上一步)."""
        chain = [self.details, *self.mapping.combos.values(), self.refresh_button, self.replace_box]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _mapping_changed(self) -> None:
        """The shown preview no longer matches the mapping: import only after previewing again."""
        self.refresh_button.setEnabled(True)
        if self.preview is not None:
            self.preview = None
            self.status.setText("对应关系已修改：请点“按修改后的对应关系重新预览”，核对后再导入。")
            self.completeChanged.emit()

    def _shown(self, preview: ImportPreview) -> None:
        self.preview = preview
        parsed = preview.parsed
        self._base = parsed.mapping.overrides()
        self.mapping.set_mapping(preview.kind, parsed.mapping)
        self._order_tabs()
        self.refresh_button.setEnabled(False)
        self.replace_box.setEnabled(True)
        plan = preview.plan
        counts = plan.counts()
        status = (f"读取了 {len(parsed.rows) + len(parsed.skipped)} 行数据："
                  + import_summary(counts, done=False) + "。")
        if plan.unverified:
            status += f"\n其中 {len(plan.unverified)} 名已核准的学生数据有变化，导入后将退回“待核准”。"
        if preview.review:
            status += "详细情况逐条列在右侧，请逐一核对。"
        if parsed.warnings:
            status += (f"\n注意：有 {len(parsed.warnings)} 个重要的列没有识别到（见右侧说明），"
                       "请在左边的列对应中指定后重新预览。")
        self.status.setText(status)
        lines = ["注意：" + w for w in [*parsed.warnings, *parsed.notes, *preview.notes]]
        if preview.review:       # each student to be updated, field by field (db.importing_review)
            lines += [""] if lines else []
            lines += preview.review
        lines += [""] if lines else []
        lines += [parsed.sheet_line] if parsed.sheet_line else []
        lines += [f"表头在第 {parsed.mapping.line} 行，识别出的列："]
        lines += ["  " + line for line in mapping_lines(preview.kind, parsed)]
        if parsed.unknown_headers:
            lines.append("未使用的列（将被忽略）：" + "、".join(parsed.unknown_headers))
        listed = listed_lines(preview.plan, imported=False)
        if listed:
            lines += ["", *listed]
        self.details.setPlainText("\n".join(lines))
        self.completeChanged.emit()
        self._give_focus_back()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, MissingColumnsError):
            # The header row is there: let the clerk say which column is which.
            wiz = dialogs.wizard_of(self, ImportWizard)
            found = exc.mapping
            self._base = found.overrides()      # remembered choices (ignored columns) stay
            self.mapping.set_mapping(wiz.kind(), found)
            self._order_tabs()
            self.refresh_button.setEnabled(False)
            self.replace_box.setEnabled(True)
            self.status.setText(exc.message)
            self.details.setPlainText("请在左边为缺少的列选择文件中对应的列，然后点“按修改后的对应关系重新预览”。"
                                      "\n\n" + exc.hint)
            self._give_focus_back()
            return
        self.status.setText("无法导入这个文件，请点“上一步”重新选择。")
        self._give_focus_back()
        show_exception(self, exc)

    def isComplete(self) -> bool:
        return self.preview is not None

    def validatePage(self) -> bool:
        """Before importing: a replace that removes more than half the roster is confirmed."""
        wiz = dialogs.wizard_of(self, ImportWizard)
        wiz.confirm_removal = False
        plan = self.preview.plan if self.preview is not None else None
        if wiz.replace and plan is not None and plan.large_removal:
            if not self.confirm_removal(plan.removal_text()):
                return False
            wiz.confirm_removal = True
        return True

    def confirm_removal(self, numbers: str) -> bool:
        """Ask the clerk (a method, so tests can answer instead)."""
        answer = QMessageBox.question(
            self, "确认替换建档立卡名单",
            f"{numbers}。\n\n删除的人数超过现有名单的一半。请确认新名单是扶贫办发来的完整名单，"
            "确定要删除这些人吗？",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes


# Said on 第 2 步 when Return was pressed away from the buttons (``ImportWizard.keyPressEvent``)
START_HINT = "\n核对无误后，请点击“开始导入”（回车键不会开始导入）。"


# 第 3 步's subtitle (a subtitle on every page: the pages' headers look alike), true at each moment
RUN_SUBTITLES = {"running": "正在写入数据库：全部行一起写入，中途出错则不做任何改动。",
                 "done": "数据已写入。下面列出有问题和跳过的行。",
                 "failed": "请关闭这个窗口，按提示改正后重新导入。"}


# The column mapping the clerk chose for a file whose import failed (by kind and file): the next
# wizard on that file previews with it, not with the remembered one (a mapping is remembered only
# by a successful import). Forgotten when that file is imported.
_UNIMPORTED: dict[tuple[str, str], dict[str, str]] = {}
KEPT_MAPPING = "刚才选定的列对应关系已保留，重新导入这个文件时会沿用。"


class RunPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("第 3 步：导入结果")
        self.setSubTitle(RUN_SUBTITLES["running"])
        self.report: ImportReport | None = None
        self.running = False
        self.status = QLabel(self)
        self.status.setObjectName("runStatus")
        self.status.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("runDetails")
        self.details.setReadOnly(True)
        self.save_button = QPushButton("保存问题行…", self)
        self.save_button.setObjectName("saveProblemsButton")
        self.save_button.setToolTip("把有问题的行另存为 Excel 文件，改正后可以重新导入")
        self.save_button.clicked.connect(self.ask_save_problems)
        self.save_button.hide()
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.details, 1)
        layout.addLayout(row)

    def initializePage(self) -> None:
        wiz = dialogs.wizard_of(self, ImportWizard)
        self.report = None
        self.running = True        # the wizard stays open until the import answers (ImportWizard.reject)
        self.setSubTitle(RUN_SUBTITLES["running"])
        self.status.setText("正在导入，请稍候…")
        previewed = wiz.preview_page.preview
        worker.run_task(run_import_shown, wiz.db, wiz.kind(), wiz.path(), wiz.overrides,
                        progress=worker.Progress("正在导入，请稍候…", "导入"),
                        replace=wiz.replace, confirm_removal=wiz.confirm_removal,
                        previewed=previewed.file_state if previewed is not None else None,
                        on_success=self._done, on_failure=self._failed, parent=self, process=True)

    def _done(self, report: ImportReport) -> None:
        self.running = False
        self.report = report
        self.setSubTitle(RUN_SUBTITLES["done"])
        self.status.setText(f"{KIND_LABELS[report.kind]}导入完成：" + import_summary(report.counts, done=True) + "。")
        notes = ["注意：" + note for note in report.notes]
        rows = listed_lines(report.plan, imported=True) or ["文件中的行没有发现问题。"]
        lines = [*notes, *([""] if notes else []), *rows,
                 *people_lines(report.plan)]       # same-name rows, students the file left out: by name
        self.details.setPlainText("\n".join(lines))
        self.save_button.setVisible(bool(report.plan.problem_rows or report.plan.skipped))
        self.completeChanged.emit()
        wiz = dialogs.wizard_of(self, ImportWizard)
        _UNIMPORTED.pop(wiz.mapping_key(), None)
        wiz.imported.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        wiz = dialogs.wizard_of(self, ImportWizard)
        kept = wiz.overrides is not None
        if kept:
            _UNIMPORTED[wiz.mapping_key()] = dict(wiz.overrides or {})
        self.setSubTitle(RUN_SUBTITLES["failed"])
        self.status.setText("导入没有完成，数据库没有任何改动。" + (KEPT_MAPPING if kept else ""))
        show_exception(self, exc)

    def isComplete(self) -> bool:
        return self.report is not None

    def ask_save_problems(self) -> None:
        if self.report is None:
            return
        name = f"问题行_{KIND_LABELS[self.report.kind]}.xlsx"
        target = dialogs.ask_save_path(self, "保存问题行", name)
        if target is not None:
            self.save_problems_to(target)

    def save_problems_to(self, target: Path) -> None:
        report = self.report
        assert report is not None
        worker.run_task(save_problem_rows, target, report.plan, headers=list(report.parsed.headers),
                        on_success=lambda n: self.status.setText(f"已把 {n} 行保存到：{target}"),
                        parent=self)


class ImportWizard(QWizard):
    imported = Signal(object)   # the ImportReport (its ``changes``), after a successful import

    def __init__(self, db: Database, kind: str = "students", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.overrides: dict[str, str] | None = None   # the mapping the clerk edited (None: remembered one)
        self.replace = False                           # roster: replace the whole list
        self.confirm_removal = False                   # the clerk confirmed removing over half of it
        self.setObjectName("importWizard")
        self.setWindowTitle("导入名单")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        dialogs.chinese_wizard_buttons(self)
        self.file_page = FilePage(kind, self)
        self.preview_page = PreviewPage(self)
        self.run_page = RunPage(self)
        for page in (self.file_page, self.preview_page, self.run_page):
            self.addPage(page)
        fit_to_screen(self, 900, 600)

    def reject(self) -> None:
        """Esc or the window's × (QDialog.closeEvent calls this): not while the import runs. Its answer
        comes back to this wizard, which tells the window to reload the lists, check again and forget the
        edits the import may have overwritten (the undo stack); closed, that answer would be lost."""
        if self.run_page.running:
            self.run_page.status.setText("正在导入，请稍候：导入完成之前不能关闭这个窗口。")
            return
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Return or Enter on 第 2 步 outside a button (in the details, on a column's drop-down) does not
        press 开始导入, the dialog's default button: the import writes, so only a click, Space on the
        focused button or its own Return starts it. The status line says how."""
        if (self.currentPage() is self.preview_page
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not isinstance(self.focusWidget(), QPushButton)):
            if self.preview_page.preview is not None:
                self.preview_page.status.setText(self.preview_page.status.text().split(START_HINT)[0]
                                                 + START_HINT)
            event.accept()
            return
        super().keyPressEvent(event)

    def kind(self) -> str:
        return self.file_page.kind()

    def path(self) -> Path:
        return self.file_page.path()

    def mapping_key(self) -> tuple[str, str]:
        """What a mapping kept after a failed import is kept for (``_UNIMPORTED``): this kind, this file."""
        return self.kind(), str(self.path().resolve())
