"""First start on an empty database: enter the school, or open the separate demo database."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core.domain import school_year_label
from core.policy import YUAN_PER_YEAR, Parameter
from db.session import Database
from db.settings import save_official, save_school
from gui import dialogs, worker
from gui.errors import show_exception
from gui.official_form import OfficialForm
from gui.screen import HINT_STYLE, fit_to_screen


def default_school_year(today: date | None = None) -> int:
    """The school year running today (it starts in September)."""
    today = today or date.today()
    return today.year if today.month >= 9 else today.year - 1


class SchoolPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("欢迎使用资助助手")
        self.setSubTitle("请先填写本校的基本信息（以后可以在“设置”中修改）。"
                         "如果只是想先看看，可以点下面的“使用演示数据”。")
        self.name = QLineEdit(self)
        self.name.setObjectName("schoolName")
        self.code = QLineEdit(self)
        self.code.setObjectName("schoolCode")
        self.code.setPlaceholderText("例如教育部学校标识码")
        self.year = QSpinBox(self)
        self.year.setRange(2000, 2100)
        self.year.setValue(default_school_year())
        self.year_label = QLabel(school_year_label(self.year.value()), self)
        self.year.valueChanged.connect(lambda y: self.year_label.setText(school_year_label(y)))
        self.township = QLineEdit(self)
        form = QFormLayout()
        form.addRow("学校名称", self.name)
        form.addRow("学校代码", self.code)
        form.addRow("学年（开始年份）", self.year)
        form.addRow("", self.year_label)
        form.addRow("所属乡镇", self.township)
        self.demo_button = QPushButton("使用演示数据", self)
        self.demo_button.setObjectName("demoButton")
        self.demo_button.setToolTip("打开单独的演示数据库（一所虚构的县高中，学生名单和建档立卡名单），"
                                    "用来熟悉软件；不会写入本校的数据库")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        demo_note = QLabel("“使用演示数据”打开单独的演示数据库（一所虚构的县高中）；本校的数据库保持为空，"
                           "下次启动时仍会来到这里。", self)
        demo_note.setWordWrap(True)
        layout.addWidget(demo_note)
        layout.addWidget(self.demo_button)
        for edit in (self.name, self.code):
            edit.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        return bool(self.name.text().strip() and self.code.text().strip())

    def values(self) -> tuple[str, str, int, str]:
        return self.name.text(), self.code.text(), self.year.value(), self.township.text()

    def validatePage(self) -> bool:
        wiz = dialogs.wizard_of(self, FirstStartWizard)
        if wiz.use_demo:      # the demo database has its own school
            return True
        return wiz.saved_then_next(self, save_school, self.values())


class OfficialPage(QWizardPage):
    """公文信息: the county's name, the policy's title and basis and the two phones
    (saved with the school by ``SchoolPage.validatePage``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("公文信息")
        self.setSubTitle("告知书、公示名单和上报材料上印的县名、政策名称和电话。县名是正式文书必须的；"
                         "其他各项不知道时可以先留空，以后在“设置”中填写。")
        form = QFormLayout()
        self.form = OfficialForm(form, self)
        note = QLabel("留空的电话不会出现在文书中（不会印示例号码）。", self)
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)

    def validatePage(self) -> bool:
        wiz = dialogs.wizard_of(self, FirstStartWizard)
        return wiz.saved_then_next(self, save_official, (self.form.values(),))


class PolicyPage(QWizardPage):
    """资助政策参数: the parameters still unset (what each is, its unit, where to find it).
    A blank one stays unset; the filled ones are saved when the wizard finishes."""

    def __init__(self, parameters: list[Parameter], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("资助政策参数")
        self.setSubTitle("以下标准还没有设置：没有它，需要它的资助项目算不出金额，只能显示“待补充”。"
                         "本校没有这些学段的学生可以留空；以后也可以在“政策 → 政策参数”中填写。")
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for p in parameters:
            edit = QLineEdit(self)
            edit.setObjectName("param_" + p.key)
            edit.setPlaceholderText("例如 1200，不知道可先留空")
            edit.setToolTip(p.help)
            self.edits[p.key] = edit
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(QLabel(YUAN_PER_YEAR, self))
            label = QLabel(p.label, self)
            label.setBuddy(edit)
            form.addRow(label, row)
            what = QLabel(p.what, self)
            what.setWordWrap(True)
            what.setStyleSheet(HINT_STYLE)
            form.addRow("", what)
        sources = dict.fromkeys(p.source for p in parameters if p.source)
        self.source = QLabel("哪里查：" + "".join(sources), self)
        self.source.setObjectName("parameterSource")
        self.source.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.source)
        layout.addStretch(1)
        self._saved = False

    def values(self) -> dict[str, str]:
        """The filled parameters (key -> yuan as typed)."""
        return {k: e.text().strip() for k, e in self.edits.items() if e.text().strip()}

    def validatePage(self) -> bool:
        """Saves in the worker (after a backup, all or nothing); the wizard finishes when it is saved."""
        values = self.values()
        if self._saved or not values:
            return True
        wiz = dialogs.wizard_of(self, FirstStartWizard)
        wiz.button(QWizard.WizardButton.FinishButton).setEnabled(False)

        def saved(_result: object) -> None:
            self._saved = True
            wiz.accept()

        def failed(exc: BaseException) -> None:
            wiz.button(QWizard.WizardButton.FinishButton).setEnabled(True)
            show_exception(self, exc)
        from db.settings import save_policy
        worker.run_task(save_policy, wiz.db, values, on_success=saved, on_failure=failed, parent=self)
        return False


class FirstStartWizard(QWizard):
    """``exec()`` accepted: ``use_demo`` says whether the clerk chose demo data."""

    def __init__(self, db: Database, parameters: list[Parameter], parent: QWidget | None = None) -> None:
        """``parameters``: the policy's parameters not set yet (``db.workflows.database_info`` reads
        them in the worker)."""
        super().__init__(parent)
        self.db = db
        self.use_demo = False
        self._saved: dict[QWizardPage, tuple[Any, ...]] = {}    # what each page saved (its values)
        self.setWindowTitle("资助助手 — 首次使用")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        dialogs.chinese_wizard_buttons(self)
        self.school_page = SchoolPage(self)
        self.school_page.demo_button.clicked.connect(self.choose_demo)
        self.addPage(self.school_page)
        self.official_page = OfficialPage(self)
        self.addPage(self.official_page)
        self.policy_page: PolicyPage | None = None
        if parameters:
            self.policy_page = PolicyPage(parameters, self)
            self.addPage(self.policy_page)
        fit_to_screen(self, 620, 440)

    def saved_then_next(self, page: QWizardPage, save: Callable[..., object], values: tuple[Any, ...]) -> bool:
        """A page's ``validatePage``: True once ``values`` are saved; else ``save(db, *values)`` runs in
        the worker (Next, or Finish on the last page, disabled meanwhile) and the wizard goes on (or
        finishes) when it succeeds (a refusal is shown, the page stays)."""
        if self._saved.get(page) == values:
            return True
        last = self.nextId() == -1        # (公文信息 when no parameter is left to ask for: 完成)
        button = self.button(QWizard.WizardButton.FinishButton if last else QWizard.WizardButton.NextButton)
        button.setEnabled(False)

        def saved(_result: object) -> None:
            button.setEnabled(True)
            self._saved[page] = values
            if last:
                self.accept()             # (validates again: saved now, so the wizard finishes)
            else:
                self.next()

        def failed(exc: BaseException) -> None:
            button.setEnabled(True)
            show_exception(page, exc)
        worker.run_task(save, self.db, *values, on_success=saved, on_failure=failed, parent=page)
        return False

    def choose_demo(self) -> None:
        self.use_demo = True
        self.accept()
