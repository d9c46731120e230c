"""The student form: edit one student with live validation and live subsidies.

The ID field turns red with the reason as the clerk types, and a valid ID
fills in birth date and gender; fee fields are checked as amounts. Below,
every policy item is recomputed from the form values (nothing saved). Saving
goes through ``db.usecases.edit_student`` (audited, findings re-checked at once)
in the worker and pushes an undoable command onto the main window's QUndoStack.
A 全日制正式学籍 the import could not read shows half-checked; once the clerk picks 是 or 否, the save
clears the file's text (``full_time_text``) and with it the error VALUE_UNREADABLE.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.engine import StudentResult, compute_student
from core.errors import ValidationError
from core.idnumber import check_id
from core.policy import Policy
from core.records import student_record
from db.changes import Changes
from db.session import Database
from db.usecases import Edited, edit_student
from db.views import StudentData
from gui import worker
from gui.actions import make_action
from gui.errors import show_exception
from gui.screen import fit_to_screen
from gui.students.decisions import DecisionsPanel
from gui.students.form_fields import GROUPS, FieldEditor
from gui.students.undo import StudentEditCommand

PROBLEM_STYLE = "background: #fff4d6; border: 1px solid #e0b040; padding: 6px;"


class StudentForm(QDialog):
    # The student list does these (one code path with its buttons): 移出名单, 移回名单, 取消核准.
    remove_requested = Signal(int)
    restore_requested = Signal(int)
    unverify_requested = Signal(int)
    saved = Signal(str)             # what the status bar says after 保存 ("已保存：姓名")

    def __init__(self, db: Database, data: StudentData, policy: Policy, undo_stack: QUndoStack,
                 on_saved: Callable[[Changes], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.data, self.policy = db, data, policy
        self.undo_stack, self._on_saved = undo_stack, on_saved
        self._loading = True
        self._saving = False        # a save on its way: the form stays open until it answers
        self.setWindowTitle(f"学生信息 — {data.values.get('name') or '（未填写姓名）'}")
        self.setObjectName("studentForm")
        self.editors: dict[str, FieldEditor] = {}
        self.highlighted = ""
        self.computed: StudentResult | None = None   # (not ``result``: QDialog.result())
        self._recompute_timer = QTimer(self)
        self._recompute_timer.setSingleShot(True)
        self._recompute_timer.setInterval(60)
        self._recompute_timer.timeout.connect(self.recompute)
        self._build()
        for fld, editor in self.editors.items():
            editor.show_value(data.values.get(fld))
            editor.connect_changed(lambda *_a, f=fld: self._changed(f))
        self.editors["full_time"].show_unread(data.values.get("full_time_text") or "")
        self._loading = False
        self.validate()
        self.recompute()
        fit_to_screen(self, 1120, 690)

    # -- layout -----------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        if self.data.removed:
            gone = QLabel(f"该学生已移出名单（原因：{self.data.removed_reason}）。移出的学生不参加核查、统计、"
                          "告知书和上报；点“移回名单”可恢复。", self)
            gone.setObjectName("removedNote")
            gone.setWordWrap(True)
            gone.setStyleSheet(PROBLEM_STYLE)
            outer.addWidget(gone)
        if self.data.findings:
            found = QLabel("未处理的核查问题（保存后立即重新核查）：\n" + "\n".join(self.data.findings), self)
            found.setObjectName("openFindings")
            found.setWordWrap(True)
            found.setStyleSheet(PROBLEM_STYLE)
            outer.addWidget(found)
        if self.data.problems:
            note = QLabel("导入时的记录：" + self.data.problems, self)
            note.setObjectName("importProblems")
            note.setWordWrap(True)
            note.setStyleSheet(PROBLEM_STYLE)
            outer.addWidget(note)
        fields = QWidget(self)
        columns = QHBoxLayout(fields)
        columns.setContentsMargins(0, 0, 0, 0)
        for title, specs in GROUPS:
            box = QGroupBox(title, fields)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for spec in specs:
                editor = FieldEditor(spec, self.policy, box)
                self.editors[spec.name] = editor
                form.addRow(spec.label, editor.widget)
                form.addRow("", editor.message)
            columns.addWidget(box, 1, Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(fields)
        self.decisions = DecisionsPanel(self)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(scroll)
        split.addWidget(self.decisions)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        split.setSizes([fields.sizeHint().height() + 40, 260])
        outer.addWidget(split, 1)
        buttons = QHBoxLayout()
        self.status = QLabel(self)
        self.status.setObjectName("formStatus")
        buttons.addWidget(self.status, 1)
        if self.data.removed:
            self.removal_button = QPushButton("移回名单", self)
            self.removal_button.setToolTip("把该学生恢复到名单中")
            self.removal_button.clicked.connect(lambda: self._request(self.restore_requested))
        else:
            self.removal_button = QPushButton("移出名单…", self)
            self.removal_button.setToolTip("把该学生移出名单（须写明原因；可撤销）")
            self.removal_button.clicked.connect(lambda: self.remove_requested.emit(self.data.id))
        self.removal_button.setObjectName("removalButton")
        self.unverify_button = QPushButton("取消核准", self)
        self.unverify_button.setObjectName("unverifyButton")
        self.unverify_button.setToolTip("把该学生改回待核准（记入审计日志）")
        self.unverify_button.setVisible(self.data.verified)
        self.unverify_button.clicked.connect(lambda: self._request(self.unverify_requested))
        buttons.addWidget(self.removal_button)
        buttons.addWidget(self.unverify_button)
        buttons.addSpacing(16)
        self.save_button = QPushButton("保存", self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        save = make_action("save_student", self)          # Ctrl+S
        save.triggered.connect(self.save_button.click)     # nothing while saving or invalid
        self.addAction(save)
        self.save_button.setToolTip(save.toolTip())
        cancel = QPushButton("取消", self)
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        outer.addLayout(buttons)

    def _request(self, signal) -> None:
        """Close the form, then let the list do it (it re-reads the student)."""
        self.reject()
        if not self.isVisible():       # (kept open: a save on its way, or edits the clerk keeps)
            signal.emit(self.data.id)

    def reject(self) -> None:
        """取消, Esc or the window's ×: not while a save runs (its answer puts the edit on the undo stack
        and refreshes the lists), and edits not saved are dropped only when the clerk says so."""
        if self._saving:
            self.status.setText("正在保存，请稍候…")
            return
        if self.has_edits() and not self.confirm_discard():
            return
        super().reject()

    def has_edits(self) -> bool:
        """Fields changed since the form opened (a value the form cannot read counts as changed)."""
        try:
            return bool(self.changes())
        except ValidationError:
            return True

    def confirm_discard(self) -> bool:
        """Whether to close without saving (tests replace this)."""
        from gui.dialogs import ask_drop
        return ask_drop(self, "放弃修改", "这名学生的信息有修改还没有保存。")

    # -- live behaviour ---------------------------------------------------
    @property
    def id_edit(self):
        return self.editors["id_number"].widget

    def highlight(self, fld: str) -> None:
        """Point at the field a finding is about (from the 核查问题 page)."""
        editor = self.editors.get(fld)
        if editor is None:
            return
        editor.widget.setProperty("highlighted", True)
        editor.widget.setStyleSheet("border: 2px solid #d08000; background: #fff4d6;")
        editor.widget.setFocus()
        self.highlighted = fld

    def _changed(self, fld: str) -> None:
        if self._loading:
            return
        if fld == "id_number":
            self._fill_from_id()
        self.validate()
        self._recompute_timer.start()

    def _fill_from_id(self) -> None:
        info = check_id(self.editors["id_number"].text())
        if not info.valid:
            return
        if info.birth_date is not None:
            self.editors["birth_date"].show_value(info.birth_date.isoformat())
        if info.gender:
            self.editors["gender"].show_value(info.gender)

    def problems(self) -> dict[str, str]:
        """Field -> what is wrong (only fields that block saving or are shown red)."""
        out = {}
        for fld, editor in self.editors.items():
            problem = editor.problem()
            if problem:
                out[fld] = problem
        return out

    def blocking_problems(self) -> dict[str, str]:
        """An ID that was already wrong when the form opened does not stop other edits."""
        out = self.problems()
        original = self.data.values.get("id_number") or ""
        if "id_number" in out and self.editors["id_number"].value() == original:
            out.pop("id_number")
        return out

    def validate(self) -> bool:
        problems = self.problems()
        for fld, editor in self.editors.items():
            editor.set_problem(problems.get(fld, ""))
        blocking = self.blocking_problems()
        self.save_button.setEnabled(not blocking and not self._saving)
        self.status.setText("请先改正标红的内容" if blocking else "")
        return not blocking

    def form_values(self, lenient: bool = False) -> dict[str, Any]:
        """Stored values from the widgets; with ``lenient``, unreadable fees count as not entered."""
        out: dict[str, Any] = {}
        for fld, editor in self.editors.items():
            try:
                out[fld] = editor.value()
            except ValidationError:
                if not lenient:
                    raise
                out[fld] = None
        return out

    def recompute(self) -> None:
        """Every policy item for the values as they stand in the form."""
        self._recompute_timer.stop()
        values = self.form_values(lenient=True)
        record = student_record(values, key=self.data.id, prior_grants=self.data.prior_grants)
        self.computed = compute_student(record, self.policy, explain=True)
        self.decisions.show_result(self.computed)

    # -- saving -----------------------------------------------------------
    def changes(self) -> dict[str, Any]:
        values = self.form_values()
        out = {f: v for f, v in values.items() if v != self.data.values.get(f)}
        if self.data.values.get("full_time_text") and not self.editors["full_time"].undecided:
            out["full_time_text"] = ""       # the clerk picked 是 or 否: the import's unreadable text goes
        return out

    def save(self) -> None:
        if not self.validate():
            return
        try:
            changes = self.changes()
        except ValidationError as exc:
            show_exception(self, exc)
            return
        if not changes:
            self.saved.emit(f"没有修改：{self._name()}")
            self.accept()
            return
        if not (changes.get("name", self.data.values.get("name")) or "").strip():
            show_exception(self, ValidationError("学生姓名不能为空", "请填写姓名"))
            return
        self.save_button.setEnabled(False)
        self._saving = True
        self._editable(False)        # what is saved is what the form shows: nothing typed meanwhile is lost
        self.status.setText("正在保存…")
        worker.run_task(edit_student, self.db, self.data.id, changes,
                        on_success=self._saved, on_failure=self._save_failed, parent=self)

    def _saved(self, result: Edited) -> None:
        self._saving = False
        diff = result.diff
        name = self._name()
        if diff:
            self.undo_stack.push(StudentEditCommand(self.db, self.data.id, name, diff,
                                                    self._on_saved, self.parentWidget()))
            self._on_saved(result.changes)
        self.saved.emit(f"已保存：{name}" if diff else f"没有修改：{name}")
        self.accept()

    def _name(self) -> str:
        return self.form_values(lenient=True).get("name") or self.data.values.get("name") or "（无姓名）"

    def _editable(self, on: bool) -> None:
        for editor in self.editors.values():
            editor.widget.setEnabled(on)

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self._editable(True)
        self.save_button.setEnabled(True)
        self.status.setText("")
        show_exception(self, exc)

