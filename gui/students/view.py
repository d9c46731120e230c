"""学生名册: the searchable student list; double-click (or Return/Enter) opens the student form.

The buttons under the search row (and the table's context menu, built from the
same actions) verify, 取消核准, 移出名单 and 移回名单 the selected students."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)

from core.domain import Category, Stage
from core.policy import Policy
from db.changes import Changes
from db.session import Database
from db.usecases import (
    Done,
    Verified,
    remove,
    restore,
    unverify,
    verification_plan,
    verify,
)
from db.views import Snapshot, StudentData, read_student
from gui import worker
from gui.columns_model import ColumnsTable
from gui.errors import show_exception
from gui.feed import SnapshotFeed
from gui.keys import on_enter
from gui.list_page import ListPage
from gui.students.form import StudentForm
from gui.students.model import COL, StudentRow, StudentTableModel
from gui.students.proxy import STATUS_CHOICES, StudentFilterProxy
from gui.students.removal import REMOVE_EXAMPLE, RemoveStudentsCommand
from gui.table_model import SortState

PLACEHOLDER = "搜索姓名、身份证号或拼音首字母（如 zs）"


@dataclass(frozen=True)
class StudentsData:
    """What the page shows of a snapshot, prepared in the worker."""
    policy: Policy
    categories: list[str]
    table: ColumnsTable
    removed: int


class StudentsPage(ListPage[StudentFilterProxy]):
    """Rows come from the shared snapshot (``feed``; a page of its own without one)."""
    EMPTY_TEXT = "还没有学生：点工具栏的“导入学生名单”开始"

    def __init__(self, db: Database, undo_stack: QUndoStack, parent: QWidget | None = None,
                 feed: SnapshotFeed | None = None) -> None:
        self.db = db
        self.undo_stack = undo_stack
        self.policy: Policy | None = None
        self.form: StudentForm | None = None
        self._opening = False          # a form is being read in the worker
        self._removed = 0              # students off the list (移出名单) among the rows
        super().__init__(StudentTableModel(), StudentFilterProxy(), PLACEHOLDER, parent)
        self.setObjectName("studentsPage")
        proxy = self.proxy
        self.stage_filter = self.add_filter("stageFilter", "全部学段",
                                            [(s.value, s.value) for s in Stage], proxy.set_stage)
        self.category_filter = self.add_filter("categoryFilter", "全部家庭类别", [], proxy.set_category)
        self.status_filter = self.add_filter("statusFilter", "全部状态",
                                             [(s, s) for s in STATUS_CHOICES], proxy.set_status)
        self.row_actions: list[QAction] = []
        self.edit_button = self._action_button("editButton", "查看/修改…",
                                               "打开选中学生的信息和资助明细（也可双击该行，或按回车）",
                                               self.edit_selected)
        self.verify_button = self._action_button("verifyStudents", "标记已核准",
                                                 "把选中的学生标记为已核准（有未处理错误的学生不能核准）",
                                                 self.verify_selected)
        self.unverify_button = self._action_button("unverifyStudents", "取消核准",
                                                   "把选中的已核准学生改回待核准（记入审计日志）",
                                                   self.unverify_selected)
        self.remove_button = self._action_button("removeStudents", "移出名单…",
                                                 "把选中的学生移出名单（须写明原因；可撤销，也可用“移回名单”恢复）",
                                                 self.remove_selected)
        self.restore_button = self._action_button("restoreStudents", "移回名单",
                                                  "把选中的已移出学生恢复到名单中（在状态中选“已移出名单”可看到他们）",
                                                  self.restore_selected)
        self.add_action_spacing(12)
        self.verify_shown_button = QPushButton("核准筛选出的学生…", self)
        self.verify_shown_button.setObjectName("verifyShown")
        self.verify_shown_button.setToolTip("把当前列表中显示的学生全部标记为已核准，跳过还有错误的学生（先确认人数）")
        self.verify_shown_button.clicked.connect(self.verify_shown)
        self.add_to_action_row(self.verify_shown_button)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.doubleClicked.connect(self._double_clicked)
        on_enter(self.view, self._double_clicked)        # Return, and the keypad's Enter
        # at 1024×768 every header and the 问题 column ("2 项（错误）") fit without scrolling sideways:
        # each column as wide as its header or its usual content (a masked ID, 普通高中, 其他经济困难)
        self.set_column_widths({COL["姓名"]: 3.5, COL["性别"]: 2, COL["身份证号"]: 9.5, COL["学段"]: 4,
                                COL["年级"]: 3, COL["班级"]: 3, COL["家庭类别"]: 5.5, COL["就读地"]: 3,
                                COL["资助合计（元）"]: 7, COL["状态"]: 4,
                                COL["问题"]: 5.5})       # (the last one stretches: this is its least)
        self.enable_with_selection(*self.row_actions, self.edit_button, self.verify_button,
                                   self.unverify_button, self.remove_button, self.restore_button)
        self.use_feed(feed, db)

    def _action_button(self, name: str, text: str, tip: str, slot) -> QPushButton:
        """One QAction per row operation (the context menu lists them) and its button."""
        action = QAction(text, self)
        action.setObjectName("action_" + name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.row_actions.append(action)
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.clicked.connect(action.trigger)
        self.add_to_action_row(button)
        return button

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        for action in self.row_actions:
            menu.addAction(action)
        return menu

    def _context_menu(self, pos) -> None:
        if self.view.indexAt(pos).isValid():
            self.context_menu().exec(self.view.viewport().mapToGlobal(pos))

    def update_count(self) -> None:
        """Counts the students on the list; removed ones are named apart."""
        if not hasattr(self, "verify_shown_button"):
            return super().update_count()
        removed = self._removed
        total, shown = self.model.rowCount() - removed, self.proxy.rowCount()
        text = f"共 {total} 人" if shown == total else f"共 {total} 人，筛选出 {shown} 人"
        if removed:
            text += f"（另有 {removed} 人已移出名单）"
        self.count_label.setText("正在读取…" if self._loading else text)

    # -- loading ----------------------------------------------------------
    @classmethod
    def prepare(cls, data: Snapshot, sort: SortState) -> StudentsData:
        """Worker: the rows sorted and indexed, the 家庭类别 choices, the removed count."""
        labels = [data.policy.category_label(c) for c in Category]
        students = data.students
        extra = sorted(set(students.column("category")) - set(labels) - {""})
        return StudentsData(data.policy, labels + extra, StudentTableModel.prepare(students, sort),
                            sum(students.removed))

    def apply_data(self, data: StudentsData) -> None:
        self.policy = data.policy
        self._removed = data.removed
        self.set_choices(self.category_filter, "全部家庭类别", [(x, x) for x in data.categories])
        self.proxy.set_category(self.category_filter.currentData() or "", apply=False)
        self.model.set_data(data.table)

    def student_edited(self, changes: Changes) -> None:
        """A student was saved, or an edit undone or redone (and the findings re-checked):
        announce what changed (every page that shows students or findings refreshes)."""
        self.changed.emit(changes)

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
        form.remove_requested.connect(lambda sid: self.remove_students([sid], form))
        form.saved.connect(self.message)
        form.restore_requested.connect(lambda sid: self.restore_students([sid]))
        form.unverify_requested.connect(lambda sid: self.unverify_students([sid]))
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
    def selected_rows(self) -> list[StudentRow]:
        return [self.source_row(ix) for ix in self.view.selectionModel().selectedRows()]

    def _selection(self) -> list[StudentRow]:
        rows = self.selected_rows()
        if not rows:
            self.message("请先选择学生")
        return rows

    def message(self, text: str) -> None:
        self.show_message(text, 10000)

    def verify_selected(self) -> None:
        """Selected students -> 已核准; refused with the reasons when any has an open error."""
        ids = [r.id for r in self._selection()]
        if ids:
            worker.run_task(verify, self.db, ids, False, on_success=self._verified, parent=self)

    def verify_shown(self) -> None:
        """Every student shown by the current search and filters, skipping the blocked ones,
        after the clerk confirmed the numbers."""
        ids = [self.source_row(self.proxy.index(r, 0)).id for r in range(self.proxy.rowCount())]
        if not ids:
            self.message("列表中没有学生")
            return

        def counted(plan: tuple[int, dict[int, str]]) -> None:
            todo, blocked = plan
            self.changed.emit(Changes.FINDINGS)      # the plan re-checked first
            if not todo:
                self.message(f"没有需要核准的学生（{len(blocked)} 名有未处理的错误，其余已是已核准）" if blocked
                             else "筛选出的学生都已是已核准")
                return
            if self.confirm_verify(todo, list(blocked.values())):
                worker.run_task(verify, self.db, ids, True, on_success=self._verified, parent=self)
        worker.run_task(verification_plan, self.db, ids, on_success=counted, parent=self)

    def confirm_verify(self, count: int, blocked: list[str]) -> bool:
        """"核准 120 名学生，跳过 3 名有未处理错误的学生？" — yes or no (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, "核准筛选出的学生", verify_question(count, len(blocked)),
                          QMessageBox.StandardButton.NoButton, self)
        if blocked:
            box.setInformativeText("跳过的学生：" + "；".join(blocked[:8]) + ("……" if len(blocked) > 8 else ""))
        yes = box.addButton("核准", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is yes

    def _verified(self, outcome: Verified) -> None:
        done, skipped = outcome
        text = f"已核准 {done} 名学生" + (f"；{skipped} 名还有错误，未核准（见“核查问题”）" if skipped else "")
        self.message(text)
        self.changed.emit(outcome.changes)

    # -- 取消核准, 移出名单, 移回名单 -----------------------------------------------
    def unverify_selected(self) -> None:
        rows = self._selection()
        if rows:
            self.unverify_students([r.id for r in rows if r.verified] or [r.id for r in rows])

    def unverify_students(self, ids: list[int]) -> None:
        worker.run_task(unverify, self.db, ids, parent=self,
                        on_success=lambda done: self._done(done, f"已取消核准 {done.count} 名学生（改回待核准）"))

    def ask_remove_reason(self, rows: list[StudentRow], parent: QWidget | None = None) -> str | None:
        """The reason for taking ``rows`` off the list, or None (tests replace this)."""
        from gui.reason_dialog import ask_reason
        return ask_reason(parent or self, REMOVE_TITLE,
                          f"把以下 {len(rows)} 名学生移出名单？移出后他们不参加核查、统计、告知书和上报；"
                          "记录保留，可撤销（Ctrl+Z）或用“移回名单”恢复。",
                          [student_line(r) for r in rows], REMOVE_EXAMPLE)

    def remove_selected(self) -> None:
        rows = [r for r in self._selection() if not r.removed]
        if rows:
            self.remove_students([r.id for r in rows])
        elif self.selected_rows():
            self.message("所选学生已经移出名单")

    def remove_students(self, ids: list[int], parent: QWidget | None = None) -> None:
        positions = [self.model.position(i) for i in ids]
        rows: list[StudentRow] = [self.model.row_at(p) for p in positions if p is not None]
        reason = self.ask_remove_reason(rows, parent)
        if reason is None:
            return
        label = (rows[0].name or "（无姓名）") if len(rows) == 1 else f"{len(rows)} 名学生"

        def done(result: Done) -> None:
            from gui.reason_dialog import reason_written
            reason_written(REMOVE_TITLE)
            if parent is not None:
                parent.close()
            self.undo_stack.push(RemoveStudentsCommand(self.db, ids, label, reason, self.changed.emit, self))
            self._done(result, f"已把 {result.count} 名学生移出名单（可撤销，或在状态中选“已移出名单”后移回）")
            if result.note:                 # families already told: a box that stays, not the status line
                from gui.notes import show_all
                show_all(self, "移出名单", [result.note])
        worker.run_task(remove, self.db, ids, reason, on_success=done, parent=self)

    def restore_selected(self) -> None:
        rows = [r for r in self._selection() if r.removed]
        if rows:
            self.restore_students([r.id for r in rows])
        elif self.selected_rows():
            self.message("所选学生在名单中，没有被移出")

    def restore_students(self, ids: list[int]) -> None:
        worker.run_task(restore, self.db, ids, parent=self,
                        on_success=lambda done: self._done(done, f"已把 {done.count} 名学生移回名单"))

    def _done(self, result: Done, text: str) -> None:
        self.message(text)
        self.changed.emit(result.changes)


REMOVE_TITLE = "移出名单"       # the reason dialog's title (and what remembers a reason not yet written)


def verify_question(count: int, skipped: int) -> str:
    return f"核准 {count} 名学生" + (f"，跳过 {skipped} 名有未处理错误的学生" if skipped else "") + "？"


def student_line(r: StudentRow) -> str:
    return " ".join(x for x in (r.name or "（无姓名）", r.id_masked, r.stage, r.grade, r.class_name) if x)
