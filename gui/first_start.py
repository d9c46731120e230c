"""First start on an empty database: enter the school, or open the separate demo database."""
from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QFormLayout,
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
from core.errors import ZizhuError
from db.session import Database
from db.settings import save_official, save_school
from gui import dialogs
from gui.errors import show_exception
from gui.official_form import OfficialForm
from gui.screen import fit_to_screen


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

    def validatePage(self) -> bool:
        wiz: FirstStartWizard = self.wizard()  # type: ignore[assignment]
        if wiz.use_demo:      # the demo database has its own school
            return True
        try:
            # one row: fine on the GUI thread (the window does not exist yet)
            save_school(wiz.db, self.name.text(), self.code.text(), self.year.value(), self.township.text())
        except ZizhuError as exc:
            show_exception(self, exc)
            return False
        return True


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
        wiz: FirstStartWizard = self.wizard()  # type: ignore[assignment]
        try:
            save_official(wiz.db, self.form.values())    # one row each: fine on the GUI thread
        except ZizhuError as exc:
            show_exception(self, exc)
            return False
        return True


class FirstStartWizard(QWizard):
    """``exec()`` accepted: ``use_demo`` says whether the clerk chose demo data."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.use_demo = False
        self.setWindowTitle("资助助手 — 首次使用")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        dialogs.chinese_wizard_buttons(self)
        self.page = SchoolPage(self)
        self.page.demo_button.clicked.connect(self.choose_demo)
        self.addPage(self.page)
        self.official_page = OfficialPage(self)
        self.addPage(self.official_page)
        fit_to_screen(self, 620, 440)

    def choose_demo(self) -> None:
        self.use_demo = True
        self.accept()
