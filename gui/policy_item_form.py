"""The form of one subsidy item (新增 / 复制 / 编辑 on the 政策 page).

Every rule kind the engine supports is a page of the form; what the clerk types is
checked on every keystroke by ``core.policy_edit.item_problems`` (the one validation
of a draft): each problem is shown under its field and 确定 stays disabled while any remains.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.domain import Category, Location, Stage
from core.policy import FEE_LABELS, SOURCE_LABELS, Policy
from core.policy_edit import KIND_LABELS, FieldProblem, ItemDraft, item_problems
from gui.dialogs import ok_cancel
from gui.screen import fit_to_screen

KIND_HELP = {"fixed": "每名符合条件的学生每年补助同样的金额。",
             "fee": "按学生实际缴纳的费用补助（学生名单中的费用列）。",
             "fee_capped": "按实际缴纳的费用补助，但最多补到所选标准（政策参数，按学段填写）。",
             "per_stage": "每个学段一个标准，例如寄宿生生活补助 小学 1000 元、初中 1250 元。"}
CAP_LABELS = {"tuition_standard": "公办学费标准（按学段，在“政策参数”中填写）"}
PROBLEM_STYLE = "color: #a00020;"
SOURCES = tuple(SOURCE_LABELS)           # city, county: the form's two share fields


class ItemForm(QDialog):
    """Edit ``draft`` (``editing_code``: the code of the item being edited, None for a new one)."""

    def __init__(self, draft: ItemDraft, policy: Policy, editing_code: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("itemForm")
        self.policy, self.editing_code, self.original = policy, editing_code, draft
        self.setWindowTitle(f"编辑资助项目：{draft.name}" if editing_code else "新增资助项目")
        self.problems: list[FieldProblem] = []
        self.problem_labels: dict[str, QLabel] = {}
        form = self.form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.code = QLineEdit(draft.code, self)
        self.code.setObjectName("itemCode")
        self.code.setPlaceholderText("英文字母、数字和下划线，例如 BOARDING_LIVING")
        self.name = QLineEdit(draft.name, self)
        self.name.setObjectName("itemName")
        self.name.setPlaceholderText("例如 义务教育寄宿生生活补助")
        self._row("代码", self.code, "code")
        self._row("名称", self.name, "name")

        self.stage_boxes = {st.value: QCheckBox(st.value, self) for st in Stage}
        self._row("学段", self._grid(list(self.stage_boxes.values()), 5), "stages")
        self.category_boxes = {c.value: QCheckBox(policy.category_label(c), self) for c in Category}
        self._row("家庭类别", self._grid(list(self.category_boxes.values()), 3), "categories")
        self.location_boxes = {loc.value: QCheckBox(f"{loc.value}就读", self) for loc in Location}
        locations = self._grid([*self.location_boxes.values(), QLabel("（都不勾选：不限就读地）", self)], 3)
        self._row("就读地", locations, "locations")

        self.kind = QComboBox(self)
        self.kind.setObjectName("itemKind")
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.kind_help = QLabel(self)
        self.kind_help.setWordWrap(True)
        self.kind_help.setStyleSheet("color: #555;")
        kind_box = QWidget(self)
        kind_layout = QVBoxLayout(kind_box)
        kind_layout.setContentsMargins(0, 0, 0, 0)
        kind_layout.addWidget(self.kind)
        kind_layout.addWidget(self.kind_help)
        self._row("金额规则", kind_box, "kind")
        self.rule_pages = QStackedWidget(self)
        self.amount = QLineEdit(draft.amount, self)
        self.amount.setObjectName("itemAmount")
        self.amount.setPlaceholderText("元，例如 2000 或 2000.50")
        self.fee = QComboBox(self)
        self.fee.setObjectName("itemFee")
        self.capped_fee = QComboBox(self)
        for combo in (self.fee, self.capped_fee):
            for fee, label in FEE_LABELS.items():
                combo.addItem(label, fee)
        self.cap = QComboBox(self)
        self.cap.setObjectName("itemCap")
        for cap in sorted({*policy.parameters, *(i.cap for i in policy.all_items if i.cap), "tuition_standard"}):
            self.cap.addItem(CAP_LABELS.get(cap, cap), cap)
        self.stage_amounts = {st.value: QLineEdit(self) for st in Stage}
        self.stage_amount_labels = {st.value: QLabel(st.value, self) for st in Stage}
        self.rule_pages.addWidget(self._line(QLabel("标准", self), self.amount, QLabel("元/年", self)))
        self.rule_pages.addWidget(self._line(QLabel("按", self), self.fee))
        self.rule_pages.addWidget(self._line(QLabel("按", self), self.capped_fee, QLabel("，不超过", self), self.cap))
        per_stage = QWidget(self)
        grid = QGridLayout(per_stage)
        grid.setContentsMargins(0, 0, 0, 0)
        for n, st in enumerate(Stage):
            edit = self.stage_amounts[st.value]
            edit.setObjectName(f"stageAmount_{st.value}")
            edit.setPlaceholderText("元/年")
            grid.addWidget(self.stage_amount_labels[st.value], n // 3, (n % 3) * 2)
            grid.addWidget(edit, n // 3, (n % 3) * 2 + 1)
        self.rule_pages.addWidget(per_stage)
        self._row("", self.rule_pages, "amount", "fee", "cap", "stage_amounts")

        self.share_edits = {src: QLineEdit(self) for src in SOURCES}
        share_widgets: list[QWidget] = []
        for src, edit in self.share_edits.items():
            edit.setObjectName(f"share_{src}")
            edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("100.00") + 24)
            share_widgets += [QLabel(SOURCE_LABELS[src], self), edit, QLabel("%", self)]
        self.share_total = QLabel(self)
        self._row("资金分担", self._line(*share_widgets, self.share_total), "shares")

        self.once = QCheckBox("每人仅享受一次", self)
        self.requires_loan = QCheckBox("须办理生源地助学贷款", self)
        self.needs_application = QCheckBox("需学生或家长申请", self)
        self._row("其他条件", self._line(self.once, self.requires_loan, self.needs_application), "once",
                  "requires_loan", "needs_application")
        self.other_problems = self._problem_label("other")
        form.addRow(self.other_problems)

        buttons, self.ok_button = ok_cancel(self)
        self.ok_button.setObjectName("itemOk")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(buttons)

        self.set_draft(draft)
        self.shown = self.draft()       # as the form opened (取消 asks before dropping a change)
        self._connect()
        self.check()
        fit_to_screen(self, max(self.sizeHint().width(), 760), self.sizeHint().height())

    # -- building -----------------------------------------------------------
    def _problem_label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(f"problem_{name}")
        label.setStyleSheet(PROBLEM_STYLE)
        label.setWordWrap(True)
        label.hide()
        return label

    def _row(self, title: str, widget: QWidget, *fields: str) -> None:
        """A form row: the field, and under it the problems of ``fields``."""
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        label = self._problem_label(fields[0])
        for name in fields:
            self.problem_labels[name] = label
        column.addWidget(label)
        self.form.addRow(title, box)

    def _grid(self, widgets: list[QWidget], per_row: int) -> QWidget:
        box = QWidget(self)
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        for n, w in enumerate(widgets):
            grid.addWidget(w, n // per_row, n % per_row)
        return box

    def _line(self, *widgets: QWidget) -> QWidget:
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            row.addWidget(w)
        row.addStretch(1)
        return box

    def _connect(self) -> None:
        for edit in (self.code, self.name, self.amount, *self.share_edits.values(), *self.stage_amounts.values()):
            edit.textChanged.connect(self.check)
        for box in (*self.stage_boxes.values(), *self.category_boxes.values(), *self.location_boxes.values(),
                    self.once, self.requires_loan, self.needs_application):
            box.toggled.connect(self.check)
        for combo in (self.kind, self.fee, self.capped_fee, self.cap):
            combo.currentIndexChanged.connect(self.check)

    # -- draft <-> widgets ----------------------------------------------------
    def set_draft(self, draft: ItemDraft) -> None:
        self.code.setText(draft.code)
        self.name.setText(draft.name)
        for value, box in self.stage_boxes.items():
            box.setChecked(value in draft.stages)
        for value, box in self.category_boxes.items():
            box.setChecked(value in draft.categories)
        for value, box in self.location_boxes.items():
            box.setChecked(value in draft.locations)
        self.kind.setCurrentIndex(max(self.kind.findData(draft.kind), 0))
        self.amount.setText(draft.amount)
        for combo in (self.fee, self.capped_fee):
            combo.setCurrentIndex(max(combo.findData(draft.fee), 0))
        if draft.cap:
            if self.cap.findData(draft.cap) < 0:
                self.cap.addItem(draft.cap, draft.cap)
            self.cap.setCurrentIndex(self.cap.findData(draft.cap))
        amounts = dict(draft.stage_amounts)
        for value, edit in self.stage_amounts.items():
            edit.setText(amounts.get(value, ""))
        shares = dict(draft.shares)
        for src, edit in self.share_edits.items():
            edit.setText(shares.get(src, "0"))
        self.once.setChecked(draft.once)
        self.requires_loan.setChecked(draft.requires_loan)
        self.needs_application.setChecked(draft.needs_application)

    def draft(self) -> ItemDraft:
        """The item as typed (the form's fields as text, as ``item_problems`` reads them)."""
        kind = str(self.kind.currentData())
        stages = tuple(v for v, box in self.stage_boxes.items() if box.isChecked())
        fee_combo = self.capped_fee if kind == "fee_capped" else self.fee
        order = [s for s, _p in self.original.shares] + [s for s in SOURCES if s not in dict(self.original.shares)]
        shares = tuple((src, self.share_edits[src].text().strip()) for src in order
                       if self.share_edits[src].text().strip() not in ("", "0"))
        return ItemDraft(
            code=self.code.text().strip(), name=self.name.text().strip(), stages=stages,
            categories=tuple(v for v, box in self.category_boxes.items() if box.isChecked()),
            locations=tuple(v for v, box in self.location_boxes.items() if box.isChecked()),
            kind=kind,
            amount=self.amount.text().strip() if kind == "fixed" else "",
            fee=str(fee_combo.currentData()) if kind in ("fee", "fee_capped") else "",
            cap=str(self.cap.currentData()) if kind == "fee_capped" else "",
            stage_amounts=tuple((st, self.stage_amounts[st].text().strip()) for st in stages)
            if kind == "per_stage" else (),
            shares=shares, once=self.once.isChecked(), requires_loan=self.requires_loan.isChecked(),
            needs_application=self.needs_application.isChecked(), retired=self.original.retired)

    # -- checking -------------------------------------------------------------
    def check(self) -> list[FieldProblem]:
        """Check what is typed now: problems under their fields, 确定 only without any."""
        kind = str(self.kind.currentData())
        self.rule_pages.setCurrentIndex(self.kind.currentIndex())
        self.kind_help.setText(KIND_HELP.get(kind, ""))
        for value, edit in self.stage_amounts.items():
            on = self.stage_boxes[value].isChecked()
            edit.setVisible(on)
            self.stage_amount_labels[value].setVisible(on)
        self._share_total()
        draft = self.draft()
        self.problems = item_problems(draft, self.policy, self.editing_code)
        texts: dict[QLabel, list[str]] = {label: [] for label in (*self.problem_labels.values(), self.other_problems)}
        for p in self.problems:
            texts[self.problem_labels.get(p.field, self.other_problems)].append(p.message)
        for label, messages in texts.items():
            label.setText("\n".join(dict.fromkeys(messages)))
            label.setVisible(bool(messages))
        self.ok_button.setEnabled(not self.problems)
        self.ok_button.setToolTip("请先改正红字标出的问题" if self.problems else "")
        return self.problems

    def _share_total(self) -> None:
        from decimal import Decimal, InvalidOperation
        total = Decimal(0)
        try:
            for edit in self.share_edits.values():
                total += Decimal(edit.text().strip() or "0")
        except InvalidOperation:
            self.share_total.setText("")
            return
        self.share_total.setText(f"合计 {total.normalize():f}%")

    def problem_text(self, name: str) -> str:
        """The problem shown under field ``name`` ("" when none)."""
        return self.problem_labels.get(name, self.other_problems).text()

    def accept(self) -> None:
        if self.check():
            return
        super().accept()

    def reject(self) -> None:
        """取消, Esc or the window's ×: what was typed is dropped only when the clerk says so."""
        if self.draft() != self.shown and not self.confirm_discard():
            return
        super().reject()

    def confirm_discard(self) -> bool:
        """Whether to close without keeping what was typed (tests replace this)."""
        from gui.dialogs import ask_drop
        return ask_drop(self, "放弃修改", "这个资助项目有修改还没有确定。",
                        "放弃修改：关闭表单，不保留填写的内容\n继续编辑：回到表单，填好后点“确定”")

