"""The column mapping of an import, editable: which file column holds which field.

One row per header cell of the file, with a drop-down of this kind's fields
(or 不导入). The detected mapping is preselected; ``overrides()`` gives what
the clerk changed, in the form ``core.importers.header.find_header`` takes
(header_key(header text) -> field, "" = ignore).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from core.importers.header import Mapping
from core.importers.reader import column_letter
from core.text import header_key
from db.workflows import columns_of

NOT_IMPORTED = "（不导入）"


class MappingEditor(QWidget):
    changed = Signal()   # the clerk picked another field for a column

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mappingEditor")
        self.combos: dict[int, QComboBox] = {}      # column index -> its drop-down
        self.last_picked: int | None = None         # the column the clerk changed last
        self.headers: list[str] = []
        self._initial: dict[int, str] = {}          # column index -> detected field ("" = none)
        self._updating = False
        self._form_host = QWidget(self)
        self._form = QFormLayout(self._form_host)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)    # Tab goes to the drop-downs (scrolled into view)
        scroll.setWidget(self._form_host)
        title = QLabel("文件中的列 → 导入为：", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(scroll, 1)

    def set_mapping(self, kind: str, mapping: Mapping) -> None:
        """Show the header row of ``mapping`` with the fields detected for each column."""
        while self._form.rowCount():
            self._form.removeRow(0)
        self.combos.clear()
        headers = self.headers = list(mapping.headers)
        by_index = {idx: fld for fld, idx in mapping.columns.items()}
        keys = [header_key(text) for text in headers]
        self._initial = {}
        self._updating = True
        for idx, text in enumerate(headers):
            if not text:
                continue
            combo = QComboBox(self._form_host)
            combo.setObjectName(f"mapColumn{idx}")
            combo.addItem(NOT_IMPORTED, "")
            for col in columns_of(kind):
                combo.addItem(f"{col.header}（必填）" if col.required else col.header, col.field)
            fld = by_index.get(idx, "")
            combo.setCurrentIndex(max(0, combo.findData(fld)))
            combo.currentIndexChanged.connect(lambda _i, idx=idx: self._picked(idx))
            if keys.count(keys[idx]) > 1:
                # a mapping names columns by their header: same-named columns cannot be told apart
                combo.setEnabled(False)
                combo.setToolTip(f"文件中有多个名为“{text}”的列，这里无法分别指定；"
                                 "如需导入另一列，请在表格中把列名改得不同后重新导入")
            self.combos[idx] = combo
            self._initial[idx] = fld
            label = QLabel(f"{column_letter(idx)}列 “{text}”", self._form_host)
            label.setToolTip(text)
            self._form.addRow(label, combo)
        self._updating = False
        # wide enough to read every label and drop-down without scrolling sideways
        items = (self._form.itemAt(r, QFormLayout.ItemRole.LabelRole) for r in range(self._form.rowCount()))
        labels = [w for item in items if item is not None and (w := item.widget()) is not None]
        label_width = max((lbl.sizeHint().width() for lbl in labels), default=0)
        combo_width = max((c.sizeHint().width() for c in self.combos.values()), default=0)
        self.setMinimumWidth(min(label_width + combo_width + 60, 520))

    def field_of(self, idx: int) -> str:
        return self.combos[idx].currentData() or ""

    def pick(self, idx: int, fld: str) -> None:
        """Choose ``fld`` for column ``idx`` (as the clerk would)."""
        combo = self.combos[idx]
        combo.setCurrentIndex(max(0, combo.findData(fld)))

    def focused_column(self) -> int | None:
        """The column whose drop-down has the focus."""
        return next((idx for idx, combo in self.combos.items() if combo.hasFocus()), None)

    def _picked(self, idx: int) -> None:
        if self._updating:
            return
        self.last_picked = idx
        fld = self.field_of(idx)
        if fld:   # a field comes from one column only: the clerk's latest pick wins
            self._updating = True
            for other, combo in self.combos.items():
                if other != idx and combo.currentData() == fld:
                    combo.setCurrentIndex(0)
            self._updating = False
        self.changed.emit()

    def is_changed(self) -> bool:
        return any(self.field_of(idx) != fld for idx, fld in self._initial.items())

    def overrides(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (the mapping the preview used) with every column set as shown here."""
        out = dict(base or {})
        for idx, combo in self.combos.items():
            if not combo.isEnabled():      # a same-named column: left as detected
                continue
            fld, initial = self.field_of(idx), self._initial[idx]
            if fld != initial or fld:   # keep detected fields; record what the clerk changed
                out[header_key(self.headers[idx])] = fld
        return out
