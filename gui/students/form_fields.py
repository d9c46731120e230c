"""The fields of the student form: widgets, stored values and live validation.

Each field knows how to show a stored value and how to read the widget back
into a stored value (the catalogue's stored field, ``core.fields``). A field that cannot be
read (a fee that is not an amount) reports its problem in Chinese. A yes/no the import could not
read (全日制正式学籍 "待定", stored as the guess 是) shows neither 是 nor 否 until the clerk picks one.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QWidget

from core.domain import Category, Location, Ownership, Stage
from core.errors import ValidationError
from core.fields import (
    CATEGORY,
    CHECK,
    FEE,
    GENDER,
    ID,
    LOCATION,
    OWNERSHIP,
    STAGE,
    StudentField,
    form_groups,
)
from core.idnumber import check_id, normalize_id
from core.money import format_fen, parse_yuan
from core.policy import Policy

INVALID_STYLE = "QLineEdit { border: 1px solid #c00020; background: #fff0f0; }"
MESSAGE_STYLE = "color: #c00020;"

# The form's groups and fields come from the catalogue (core.fields): adding a field is one entry there.
GROUPS: list[tuple[str, tuple[StudentField, ...]]] = form_groups()
SPECS: dict[str, StudentField] = {f.name: f for _title, fields in GROUPS for f in fields}


def _choices(kind: str, policy: Policy) -> list[tuple[str, Any]]:
    if kind == GENDER:
        return [("", ""), ("男", "男"), ("女", "女")]
    if kind == STAGE:
        return [(s.value, s.value) for s in Stage]
    if kind == CATEGORY:
        return [(policy.category_label(c), c.value) for c in Category]
    if kind == LOCATION:
        return [(v.value, v.value) for v in Location]
    if kind == OWNERSHIP:
        return [(v.value, v.value) for v in Ownership]
    return []


class FieldEditor:
    """One field: its widget, its message label, show/read/validate."""

    def __init__(self, spec: StudentField, policy: Policy, parent: QWidget) -> None:
        self.spec = spec
        self.message = QLabel(parent)
        self.message.setStyleSheet(MESSAGE_STYLE)
        self.message.setWordWrap(True)
        self.message.hide()
        self.widget: QLineEdit | QComboBox | QCheckBox
        if spec.kind in (GENDER, STAGE, CATEGORY, LOCATION, OWNERSHIP):
            combo = QComboBox(parent)
            for text, value in _choices(spec.kind, policy):
                combo.addItem(text, value)
            self.widget = combo
        elif spec.kind == CHECK:
            self.widget = QCheckBox(parent)
        else:
            edit = QLineEdit(parent)
            edit.setPlaceholderText(spec.placeholder)
            edit.setClearButtonEnabled(spec.kind == FEE)
            self.widget = edit
        self.widget.setObjectName("field_" + spec.name)
        self.unread = ""      # show_unread: the file's text, shown until the clerk picks 是 or 否
        self.guess = True     # and the value stored meanwhile (the import's guess)

    # -- showing ----------------------------------------------------------
    def show_value(self, value: Any) -> None:
        w, kind = self.widget, self.spec.kind
        if isinstance(w, QComboBox):
            idx = w.findData(value if value is not None else "")
            if idx < 0:   # empty, or a value as imported that is not a known choice: keep it
                w.addItem(f"{value}（无法识别）" if value else "（未填写）", value or "")
                idx = w.count() - 1
            w.setCurrentIndex(idx)
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif kind == FEE:
            w.setText("" if value is None else format_fen(int(value)))
        else:
            w.setText("" if value is None else str(value))

    def show_unread(self, text: str) -> None:
        """A yes/no the import could not read (``text``, "待定"): the box half-checked, neither 是 nor
        否, with a note, until the clerk clicks it (then it is a plain box again)."""
        w = self.widget
        if not text or not isinstance(w, QCheckBox):
            return
        self.unread, self.guess = text, w.isChecked()
        w.setTristate(True)
        w.setCheckState(Qt.CheckState.PartiallyChecked)
        w.checkStateChanged.connect(self._picked)
        self.set_problem("")

    def _picked(self, state: Qt.CheckState) -> None:
        w = self.widget
        if state != Qt.CheckState.PartiallyChecked and isinstance(w, QCheckBox):
            w.setTristate(False)     # 是 or 否 from now on

    @property
    def undecided(self) -> bool:
        """A yes/no still as the import left it (``show_unread``): the clerk has picked neither."""
        w = self.widget
        return isinstance(w, QCheckBox) and w.checkState() == Qt.CheckState.PartiallyChecked

    # -- reading ----------------------------------------------------------
    def text(self) -> str:
        w = self.widget
        return w.text() if isinstance(w, QLineEdit) else ""

    def value(self) -> Any:
        """The stored value; raises ValidationError when the text cannot be stored."""
        w, kind = self.widget, self.spec.kind
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return self.guess if self.undecided else w.isChecked()
        text = w.text().strip()
        if kind == FEE:
            return None if text == "" else parse_yuan(text)
        if kind == ID:
            return normalize_id(text)
        return text

    def problem(self) -> str:
        """What is wrong with the current text ("" when fine)."""
        kind = self.spec.kind
        if kind == FEE:
            try:
                self.value()
            except ValidationError as exc:
                return exc.message + ("，" + exc.hint if exc.hint else "")
            return ""
        if kind == ID:
            text = self.text().strip()
            if not text:
                return "身份证号为空"
            info = check_id(text)
            return "" if info.valid else info.problem
        return ""

    def set_problem(self, problem: str) -> None:
        w = self.widget
        if isinstance(w, QLineEdit):
            w.setStyleSheet(INVALID_STYLE if problem else "")
            w.setProperty("invalid", bool(problem))
            w.setToolTip(problem)
        if not problem and self.undecided:      # a note, not a problem: the form still saves
            problem = f"导入的值“{self.unread}”无法识别，暂按“是”计算：请点选，勾选为“是”，不勾选为“否”"
        self.message.setText(problem)
        self.message.setVisible(bool(problem))

    def connect_changed(self, slot) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            w.currentIndexChanged.connect(slot)
        elif isinstance(w, QCheckBox):
            w.checkStateChanged.connect(slot)       # (half-checked to checked is no toggle)
        else:
            w.textChanged.connect(slot)
