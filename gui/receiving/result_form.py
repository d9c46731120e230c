"""专项核查: the form under the sampled students where the clerk enters what the field check
found for the selected student — 属实 / 不属实 per point, a note beside each (不属实 needs one:
``db.spotcheck.enter_results`` refuses it without, and enters nothing)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.idnumber import mask_id
from core.spotcheck import FALSE_LABEL, POINTS, TRUE_LABEL, PointResult
from gui.receiving.models import yuan
from gui.receiving.spotcheck_models import SpotRow

NOT_CHECKED = "未核查"
WITHDRAW = "撤回"            # on an entered point: back to 未核查
WITHDRAW_TIP = "撤回已登记的结果，恢复为未核查（例如登记错了学生）；审计日志保留原结果"
PLACEHOLDER = "选中一名抽查学生，在这里登记现场核查的结果（每项属实或不属实；不属实须写明情况）。"

Entry = tuple[str, bool | None, str]    # (point, truthful or None: 撤回, note), as db.spotcheck.enter_results takes


class ResultForm(QWidget):
    """The five points of one student; ``save_requested(seq, entries)`` with the points changed."""

    save_requested = Signal(int, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultForm")
        self.row: SpotRow | None = None
        self.heading = QLabel(PLACEHOLDER, self)
        self.heading.setObjectName("resultHeading")
        self.heading.setWordWrap(True)
        self.save_button = QPushButton("保存核查结果", self)
        self.save_button.setObjectName("saveResults")
        self.save_button.setToolTip("登记所选学生已填写的核查项（不属实的须写明情况，否则一项也不登记）")
        self.save_button.clicked.connect(self.save)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.save_button)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        self.choices: list[QComboBox] = []
        self.notes: list[QLineEdit] = []
        half = (len(POINTS) + 1) // 2           # two columns of points: fits 1024×768
        for i, p in enumerate(POINTS):
            label = QLabel(p.label, self)
            label.setToolTip(p.what)
            choice = QComboBox(self)
            choice.setObjectName(f"result_{p.code}")
            choice.setToolTip(p.what)
            note = QLineEdit(self)
            note.setObjectName(f"note_{p.code}")
            note.setPlaceholderText("情况说明（不属实时必填）")
            row, col = i % half, (i // half) * 3
            grid.addWidget(label, row, col)
            grid.addWidget(choice, row, col + 1)
            grid.addWidget(note, row, col + 2)
            self.choices.append(choice)
            self.notes.append(note)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(5, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addLayout(grid)
        self.show_student(None)

    def show_student(self, row: SpotRow | None) -> None:
        """The student's results as entered; 未核查 on an entered point withdraws its result (撤回:
        entered for the wrong student or point), audited."""
        self.row = row
        for i, (choice, note) in enumerate(zip(self.choices, self.notes, strict=True)):
            result = row.results[i] if row else None
            choice.clear()
            choice.addItem(NOT_CHECKED if result is None else WITHDRAW, None)
            if result is not None:
                choice.setItemData(0, WITHDRAW_TIP, Qt.ItemDataRole.ToolTipRole)
            choice.addItem(TRUE_LABEL, True)
            choice.addItem(FALSE_LABEL, False)
            choice.setCurrentIndex(0 if result is None else choice.findData(result.truthful))
            note.setText(result.note if result else "")
            choice.setEnabled(row is not None)
            note.setEnabled(row is not None)
        self.save_button.setEnabled(row is not None)
        if row is None:
            self.heading.setText(PLACEHOLDER)
        else:
            self.heading.setText(f"第 {row.id} 号　{row.name}　{mask_id(row.id_number)}　{row.school}\n"
                                 f"资助 {yuan(row.total_fen)} 元：{row.grants}")

    def entries(self) -> list[Entry]:
        """The points set here that differ from what is entered (new, changed result or note; 撤回)."""
        if self.row is None:
            return []
        out: list[Entry] = []
        for p, old, choice, note in zip(POINTS, self.row.results, self.choices, self.notes, strict=True):
            truthful = choice.currentData()
            if truthful is None:
                if old is not None:                  # 撤回: the entered result goes
                    out.append((p.code, None, ""))
                continue
            if old != PointResult(p.code, truthful, note.text().strip()):
                out.append((p.code, truthful, note.text()))
        return out

    def save(self) -> None:
        if self.row is not None:
            self.save_requested.emit(self.row.id, self.entries())

    # -- typed and not saved ----------------------------------------------------
    def has_unsaved(self) -> bool:
        return bool(self.entries())

    def keep_typed(self, entries: list[Entry]) -> None:
        """Put ``entries`` (typed, not saved) back on the points after the student's stored results were
        shown again (a reload after another change)."""
        codes = [p.code for p in POINTS]
        for code, truthful, note in entries:
            i = codes.index(code)
            choice = self.choices[i]
            choice.setCurrentIndex(0 if truthful is None else choice.findData(truthful))
            self.notes[i].setText(note)

    def ask_discard(self) -> bool:
        """Whether to drop the results typed for the shown student (tests replace this)."""
        from gui.dialogs import ask_drop
        seq = self.row.id if self.row else ""
        return ask_drop(self, "核查结果未保存", f"第 {seq} 号学生的核查结果有修改还没有保存。",
                        "放弃修改：不保存这些结果\n继续编辑：留在这名学生，点“保存核查结果”保存")
