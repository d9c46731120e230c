"""政策参数 (on the 政策 page): every editable value of the policy with its explanation.

The values are ``core.policy.parameters_of`` (the public tuition standard per stage, each
fixed item's amount, each per-stage amount); a change is checked at once with
``core.policy.set_value`` on the page's draft — a bad value shows its problem under the
field and changes nothing — and reaches the database only through the page's 保存. A value
being typed (not yet put into the draft by Enter or leaving the field) is already an unsaved
change: ``typing`` tells the page, whose 保存 puts it into the draft first (``apply_all``).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from core.errors import PolicyError, ValidationError
from core.money import format_fen, parse_yuan
from core.policy import Policy, parameters_of, set_value
from gui.policy_item_form import PROBLEM_STYLE

NOTE_STYLE = "color: #b45a00;"


class ParametersPanel(QScrollArea):
    edited = Signal(str)      # the draft text with the change made
    typing = Signal()         # a field's text changed by the clerk (``has_typed`` may have changed)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("policyParameters")
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.edits: dict[str, QLineEdit] = {}
        self.problems: dict[str, QLabel] = {}
        self.notes: dict[str, QLabel] = {}      # the source's own amount (items.CODE.amount): check it
        self.helps: dict[str, QLabel] = {}      # what each parameter is and where to find it
        self.labels: dict[str, str] = {}        # each parameter's name (``parameters_of``)
        self._draft = ""
        self._shown: dict[str, str] = {}
        self._bad: set[str] = set()            # fields whose typed value is refused (its problem shown)
        self._showing = False                  # show_policy setting the fields: not the clerk typing
        content = QWidget(self)
        outer = QVBoxLayout(content)
        intro = QLabel("单位：元/年。空白表示“未设置”：需要该参数的项目对相应学生列为“待补充”，不会按 0 元计算。"
                       "改动先记在草稿里，点“保存为新版本…”看过变更预览后才生效。", content)
        intro.setWordWrap(True)
        outer.addWidget(intro)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(self.form)
        outer.addStretch(1)
        self.setWidget(content)

    def show_policy(self, policy: Policy, draft_text: str, notes: dict[str, str] | None = None) -> None:
        """Show the draft's values (rebuilt when the set of parameters changed; a field being
        typed in keeps what the clerk typed)."""
        self._showing = True
        try:
            self._show(policy, draft_text, notes)
        finally:
            self._showing = False

    def _show(self, policy: Policy, draft_text: str, notes: dict[str, str] | None) -> None:
        self._draft = draft_text
        params = parameters_of(policy)
        if [p.key for p in params] != list(self.edits):
            self._rebuild(policy)
        for key, note in self.notes.items():
            text = (notes or {}).get(key.split(".")[1], "")
            note.setText(f"※ {text}" if text else "")
            note.setVisible(bool(text))
        for p in params:
            value = "" if p.fen is None else format_fen(p.fen)
            edit = self.edits[p.key]
            shown, self._shown[p.key] = self._shown.get(p.key), value    # before setText: its check
            if not edit.hasFocus() or edit.text().strip() == shown:    # then sees the value unchanged
                edit.setText(value)

    def _rebuild(self, policy: Policy) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.edits.clear()
        self._bad.clear()
        self.problems.clear()
        self.notes.clear()
        self.helps.clear()
        self.labels.clear()
        for p in parameters_of(policy):
            edit = QLineEdit(self.widget())
            edit.setObjectName("parameter_" + p.key)
            edit.setPlaceholderText("未设置")
            edit.setClearButtonEnabled(True)
            edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0" * 14) + 40)
            edit.editingFinished.connect(lambda key=p.key: self.apply(key))
            edit.textChanged.connect(lambda _t, key=p.key: self._typed(key))
            help_label = QLabel(p.help, self.widget())
            help_label.setWordWrap(True)
            help_label.setStyleSheet("color: #555;")
            problem = QLabel(self.widget())
            problem.setObjectName("parameterProblem_" + p.key)
            problem.setStyleSheet(PROBLEM_STYLE)
            problem.setWordWrap(True)
            problem.hide()
            note = QLabel(self.widget())
            note.setWordWrap(True)
            note.setStyleSheet(NOTE_STYLE)
            note.hide()
            box = QWidget(self.widget())
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 6)
            column.setSpacing(2)
            column.addWidget(edit, 0, Qt.AlignmentFlag.AlignLeft)
            column.addWidget(problem)
            column.addWidget(note)
            column.addWidget(help_label)
            self.edits[p.key] = edit
            self.problems[p.key] = problem
            self.helps[p.key] = help_label
            self.labels[p.key] = p.label
            if p.key.startswith("items."):
                self.notes[p.key] = note
            self.form.addRow(p.label, box)

    def _changed_text(self, key: str) -> str | None:
        """The draft with field ``key``'s value, None when it is unchanged; PolicyError when bad."""
        value = self.edits[key].text().strip()
        if value == self._shown.get(key, ""):
            return None
        return set_value(self._draft, key, value)

    def _typed(self, key: str) -> None:
        self.check(key)
        if not self._showing:
            self.typing.emit()

    def check(self, key: str) -> bool:
        """Check the field while it is typed: its problem under it (True: fine)."""
        problem = self.problems[key]
        try:
            self._changed_text(key)
        except PolicyError as exc:
            problem.setText(f"{exc.message}。{exc.hint}" if exc.hint else exc.message)
            problem.show()
            self._bad.add(key)
            return False
        self._bad.discard(key)
        problem.hide()
        problem.setText("")
        return True

    def apply(self, key: str) -> None:
        """Put a good value into the draft (a bad one stays shown with its problem)."""
        if not self.check(key):
            return
        text = self._changed_text(key)
        if text is not None:
            self._shown[key] = self.edits[key].text().strip()
            self._draft = text
            self.edited.emit(text)

    def apply_all(self) -> PolicyError | None:
        """Before saving: every typed value into the draft; the first bad one's problem (the
        cursor put in it), None when all are good."""
        bad = [key for key in self.edits if not self.check(key)]
        if bad:
            self.focus(bad[0])
            return self._problem(bad[0])
        for key in self.edits:
            self.apply(key)
        return None

    def _problem(self, key: str) -> PolicyError:
        """The error of the bad value in field ``key``, naming the parameter."""
        name = self.labels.get(key, key)
        try:
            self._changed_text(key)
        except PolicyError as exc:
            return PolicyError(f"政策参数“{name}”填写有误：{exc.message}",
                               exc.hint or "请改正这个参数，或选择“不保存”放弃改动。")
        return PolicyError(f"政策参数“{name}”填写有误", "请改正这个参数，或选择“不保存”放弃改动。")

    def _typed_keys(self) -> list[str]:
        """The fields holding a value typed but not yet put into the draft (the cursor still in it):
        another amount, or one refused; "1200" typed over 1200.00 is the same value."""
        def differs(key: str, typed: str) -> bool:
            shown = self._shown.get(key, "")
            if typed == shown:
                return False
            try:
                return (parse_yuan(typed) if typed else None) != (parse_yuan(shown) if shown else None)
            except ValidationError:
                return True
        return [key for key, edit in self.edits.items() if differs(key, edit.text().strip())]

    def has_typed(self) -> bool:
        """A value typed in a field but not yet put into the draft (the cursor still in it)."""
        return bool(self._typed_keys())

    def typed_changes(self) -> list[str]:
        """The typed values as the page's pending line says them: “名称：1200.00 → 2000.00（正在填写）”,
        a refused one “名称：填写有误”."""
        out = []
        for key in self._typed_keys():
            name = self.labels.get(key, key)
            typed = self.edits[key].text().strip()
            if key in self._bad:
                out.append(f"{name}：填写有误，请改正")
                continue
            try:
                new = format_fen(parse_yuan(typed)) if typed else "未设置"
            except ValidationError:
                new = typed
            out.append(f"{name}：{self._shown.get(key) or '未设置'} → {new}（正在填写）")
        return out

    def forget_typed(self) -> None:
        """放弃改动: every field shows the draft's value again, its problem hidden."""
        for key, edit in self.edits.items():
            edit.setText(self._shown.get(key, ""))

    def focus(self, key: str) -> bool:
        edit = self.edits.get(key)
        if edit is None:
            return False
        self.ensureWidgetVisible(edit)
        edit.setFocus()
        edit.selectAll()
        return True
