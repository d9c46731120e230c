"""公文信息: the county's name, the policy's title and basis, the two phones and the 经办人
printed on letters, the notice, the report and the workbook (first start and 设置)."""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from core.exports.data import policy_title
from db.official import OFFICIAL_FIELDS

PLACEHOLDERS = {"county": "例如 建始县（正式文书必须填写）", "policy_basis": "文号或条款，可留空",
                "contact_phone": "可留空：留空则不写这句", "supervision_phone": "可留空：留空则不写这句",
                "clerk": "例如 张老师；留空则报告写系统账户"}


class OfficialForm:
    """The line edits (one per field of core.official), added as rows to ``form`` (tab order: reading order)."""

    def __init__(self, form: QFormLayout, parent: QWidget) -> None:
        self.edits: dict[str, QLineEdit] = {}
        for f in OFFICIAL_FIELDS:
            edit = QLineEdit(parent)
            edit.setObjectName("official_" + f.key)
            edit.setMaxLength(f.limit)
            edit.setToolTip(f.help)
            edit.setPlaceholderText(PLACEHOLDERS.get(f.key, ""))
            self.edits[f.key] = edit
            label = QLabel(f.label, parent)
            label.setBuddy(edit)
            form.addRow(label, edit)
        self.edits["county"].textChanged.connect(self._follow_county)
        self._follow_county("")

    def _follow_county(self, county: str) -> None:
        # grey text: the title printed while the field is empty (it follows the county's name)
        self.edits["policy_title"].setPlaceholderText(policy_title(county) if county.strip() else "留空则随县名")

    def values(self) -> dict[str, str]:
        return {k: e.text().strip() for k, e in self.edits.items()}

    def set_values(self, values: dict[str, str]) -> None:
        for key, edit in self.edits.items():
            edit.setText(values.get(key, ""))
