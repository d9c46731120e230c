"""学生名册: the searchable student list; double-click opens the student form."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QWidget

from core.domain import Category, Stage
from core.policy import Policy
from db.changes import Changes
from db.session import Database
from db.usecases import Verified, verify
from db.views import Snapshot
from gui import worker
from gui.errors import show_exception
from gui.feed import SnapshotFeed
from gui.list_page import ListPage
from gui.students.form import StudentData, StudentForm, read_student
from gui.students.model import COL, StudentTableModel
from gui.students.proxy import STATUS_CHOICES, StudentFilterProxy

PLACEHOLDER = "搜索姓名、身份证号或拼音首字母（如 zs）"


class StudentsPage(ListPage):
    """Rows come from the shared snapshot (``feed``; a page of its own without one)."""

    def __init__(self, db: Database, undo_stack: QUndoStack, parent: QWidget | None = None,
                 feed: SnapshotFeed | None = None) -> None:
        self.db = db
        self.undo_stack = undo_stack
        self.policy: Policy | None = None
        self.form: StudentForm | None = None
        self._opening = False          # a form is being read in the worker
        super().__init__(StudentTableModel(), StudentFilterProxy(), PLACEHOLDER, parent)
        self.setObjectName("studentsPage")
        proxy: StudentFilterProxy = self.proxy  # type: ignore[assignment]
        self.stage_filter = self.add_filter("stageFilter", "全部学段",
                                            [(s.value, s.value) for s in Stage], proxy.set_stage)
        self.category_filter = self.add_filter("categoryFilter", "全部家庭类别", [], proxy.set_category)
        self.status_filter = self.add_filter("statusFilter", "全部状态",
                                             [(s, s) for s in STATUS_CHOICES], proxy.set_status)
        self.edit_button = QPushButton("查看/修改…", self)
        self.edit_button.setObjectName("editButton")
        self.edit_button.setToolTip("打开选中学生的信息和资助明细（也可双击该行）")
        self.edit_button.clicked.connect(self.edit_selected)
        self.filters.addWidget(self.edit_button)
        self.verify_button = QPushButton("标记已核准", self)
        self.verify_button.setObjectName("verifyStudents")
        self.verify_button.setToolTip("把选中的学生标记为已核准（有未处理错误的学生不能核准）")
        self.verify_button.clicked.connect(self.verify_selected)
        self.filters.addWidget(self.verify_button)
        self.verify_shown_button = QPushButton("核准筛选出的学生", self)
        self.verify_shown_button.setObjectName("verifyShown")
        self.verify_shown_button.setToolTip("把当前列表中显示的学生全部标记为已核准，跳过还有错误的学生")
        self.verify_shown_button.clicked.connect(self.verify_shown)
        self.filters.addWidget(self.verify_shown_button)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.doubleClicked.connect(self._double_clicked)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.view)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.edit_selected)
        self.set_column_widths({COL["姓名"]: 5, COL["性别"]: 2, COL["身份证号"]: 10, COL["学段"]: 5,
                                COL["年级"]: 4, COL["班级"]: 4, COL["家庭类别"]: 6, COL["就读地"]: 3,
                                COL["资助合计（元）"]: 7, COL["状态"]: 4})
        self.use_feed(feed, db)

    # -- loading ----------------------------------------------------------
    def apply_data(self, data: Snapshot) -> None:
        self.policy = data.policy
        labels = [data.policy.category_label(c) for c in Category]
        extra = sorted({r.category for r in data.students} - set(labels) - {""})
        self.set_choices(self.category_filter, "全部家庭类别", [(x, x) for x in labels + extra])
        self.proxy.set_category(self.category_filter.currentData() or "")  # type: ignore[attr-defined]
        self.model.set_rows(data.students)

    def student_edited(self, _student_id: int) -> None:
        """A student was saved, or an edit undone or redone: announce it (every page that
        shows students refreshes from the next snapshot)."""
        self.changed.emit(Changes.STUDENTS)

    # -- editing ----------------------------------------------------------
    def _double_clicked(self, index: QModelIndex) -> None:
        self.open_student(self.source_row(index).id)

    def edit_selected(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.open_student(key)

    def open_student(self, student_id: int, modal: bool = True, highlight: str = "") -> StudentForm | None:
        """Open the form for one student (read in the worker), with ``highlight``ed field.
        ``modal=False`` shows it without a nested event loop; with the synchronous
        worker of the tests the form is returned."""
        if self.policy is None or self._opening or (self.form is not None and self.form.isVisible()):
            return None     # one form at a time: a second double-click while it opens is ignored
        self._opening = True
        self.form = None

        def failed(exc: BaseException) -> None:
            self._opening = False
            show_exception(self, exc)

        worker.run_task(read_student, self.db, student_id,
                        on_success=lambda data: self._show_form(data, modal, highlight), on_failure=failed,
                        parent=self)
        return self.form

    def _show_form(self, data: StudentData, modal: bool, highlight: str = "") -> None:
        assert self.policy is not None
        self._opening = False
        form = self.form = StudentForm(self.db, data, self.policy, self.undo_stack, self.student_edited,
                                       self.window())
        if highlight:
            form.highlight(highlight)
        if modal:
            form.exec()
            form.deleteLater()
            if self.form is form:
                self.form = None
            return
        form.show()

    # -- verification (核准) ------------------------------------------------
    def verify_selected(self) -> None:
        """Selected students -> 已核准; refused with the reasons when any has an open error."""
        ids = [self.source_row(ix).id for ix in self.view.selectionModel().selectedRows()]
        if not ids:
            self.window().statusBar().showMessage("请先选择学生", 5000)  # type: ignore[attr-defined]
            return
        worker.run_task(verify, self.db, ids, False, on_success=self._verified, parent=self)

    def verify_shown(self) -> None:
        """Every student shown by the current search and filters, skipping the blocked ones."""
        ids = [self.source_row(self.proxy.index(r, 0)).id for r in range(self.proxy.rowCount())]
        if ids:
            worker.run_task(verify, self.db, ids, True, on_success=self._verified, parent=self)

    def _verified(self, outcome: Verified) -> None:
        done, skipped = outcome
        text = f"已核准 {done} 名学生" + (f"；{skipped} 名还有错误，未核准（见“核查问题”）" if skipped else "")
        self.window().statusBar().showMessage(text, 10000)  # type: ignore[attr-defined]
        self.changed.emit(outcome.changes)
