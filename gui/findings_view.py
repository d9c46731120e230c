"""核查问题: findings grouped by code and severity, with counts, filters and actions.

Double-click opens the student with the offending field highlighted; accept
(with a written reason) and mark-verified work on the whole selection. The pane
under the table shows the selected finding in full (gui.finding_detail).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QWidget,
)

from core.checks import RULES, RULES_BY_CODE, SEVERITY_LABELS, STATE_LABELS, FindingState, Severity
from core.idnumber import mask_id
from db.changes import Changes
from db.feedback import FeedbackImport, import_feedback, mark_fixed_findings, marked_fixed, reopen_findings
from db.finding_detail import FindingDetail, finding_detail
from db.findings import not_acceptable
from db.session import Database
from db.usecases import Verified, accept_findings, check, revoke_findings, verify
from db.views import SEVERITY_RANK, FindingView, Snapshot, finding_rows
from gui import worker
from gui.feed import SnapshotFeed
from gui.finding_detail import FindingDetailPane
from gui.keys import on_enter
from gui.list_page import FILTERED_EMPTY, ListPage
from gui.screen import HINT_STYLE
from gui.search import FilterProxy, haystack
from gui.severity import SEVERITY_COLORS
from gui.table_model import Column, RowTableModel, SortState, TableData

ACTIVE = "active"   # the state filter's default: open + accepted
# What the page says without any finding (the main window's snapshot knows whether a check ran).
NO_STUDENTS = "还没有学生可核查：先点工具栏的“导入学生名单”"
NOT_CHECKED = "还没有运行核查：点“运行核查”（F9）"
NOTHING_FOUND = "核查没有发现问题"
NO_FINDINGS = "没有核查问题（点“运行核查”（F9）可以重新核查）"    # not known whether a check ran
ONLY_FIXED = "没有未处理或已接受的问题：以前的问题都已改正（在状态中选“已改正”可以查看）"
ACCEPT_TITLE, FIXED_TITLE = "接受核查问题", "标记已改正"     # the reason dialogs' titles
OWN_ORIGIN = "本校核查"   # the 来源 of the school's own findings (a receiver's: 汇总核查, 专项核查, 暗访)


COLUMNS: tuple[Column, ...] = (
    Column("级别", lambda r: r.severity_text, lambda r: (SEVERITY_RANK.get(r.severity, 9), r.code)),
    Column("问题", lambda r: r.title, lambda r: (r.code, r.name)),
    Column("姓名", lambda r: r.name),
    Column("身份证号", lambda r: mask_id(r.id_number) if r.id_number else "", lambda r: r.id_number),
    Column("说明", lambda r: r.message),
    Column("状态", lambda r: STATE_LABELS.get(r.state, r.state)),
    Column("来源", lambda r: r.origin or OWN_ORIGIN),
    Column("处理说明", lambda r: r.reason),
)


class FindingsModel(RowTableModel[FindingView]):
    COLUMNS = COLUMNS

    @classmethod
    def search_text(cls, row: FindingView) -> str:
        return haystack(row.name, row.id_number, row.initials) + row.message.lower()

    def foreground(self, row: FindingView, column: int) -> QColor | None:
        if column == 0 and row.state == FindingState.OPEN:
            return SEVERITY_COLORS.get(row.severity)
        if row.state != FindingState.OPEN:
            return QColor(120, 120, 120)
        return None

    def tooltip(self, row: FindingView, column: int) -> str | None:
        """The full message (the 说明 column is often elided) and what to do."""
        rule = RULES_BY_CODE.get(row.code)
        hint = rule.hint if rule else ""
        return "\n".join(x for x in (row.message, hint, row.origin_text) if x) or row.title


class FindingsProxy(FilterProxy):
    def set_severity(self, value: str) -> None:
        self.set_predicate("severity", (lambda r: r.severity == value) if value else None)

    def set_code(self, value: str, apply: bool = True) -> None:
        self.set_predicate("code", (lambda r: r.code == value) if value else None, apply)

    def set_state(self, value: str) -> None:
        def active(r: FindingView) -> bool:
            return r.state != FindingState.FIXED
        pred = active if value == ACTIVE else (lambda r: r.state == value) if value else None
        self.set_predicate("state", pred)


def finding_line(r: FindingView) -> str:
    """"姓名与建档立卡名单不一致 — 张丽 110101********1234：…" for dialogs."""
    who = " ".join(x for x in (r.name, mask_id(r.id_number) if r.id_number else "") if x)
    return r.title + (f" — {who}" if who else "") + (f"：{r.message}" if r.message else "")


@dataclass(frozen=True)
class FindingsPrepared:
    """A load made ready in the worker: the table and what the filter and count line show."""
    table: TableData[FindingView]
    active: Counter[str]              # open findings by code
    present: dict[str, str]           # code -> title of every finding listed
    opened: Counter[str]              # open findings by severity
    feedback: bool                    # a receiver's finding among them
    unfixed: int = 0                  # the findings not fixed (open or accepted)


class FindingsPage(ListPage[FindingsProxy]):
    open_student = Signal(int, str)      # student id, field to highlight
    open_setting = Signal(str)           # a policy parameter's key: 设置 at that field
    DEPENDS_ON = Changes.FINDINGS

    def __init__(self, db: Database, parent: QWidget | None = None, feed: SnapshotFeed | None = None) -> None:
        self.db = db
        self._opened: Counter[str] = Counter()         # the open findings by severity (the last load's)
        self._unfixed = 0                              # the findings not fixed (the last load's)
        self._students: int | None = None              # on the list, and whether a check ran over them:
        self._checked: bool | None = None              # from the snapshot (None: not known)
        super().__init__(FindingsModel(), FindingsProxy(), "搜索姓名、身份证号或问题说明", parent)
        self.setObjectName("findingsPage")
        proxy = self.proxy
        self.severity_filter = self.add_filter(
            "severityFilter", "全部级别", [(SEVERITY_LABELS[s], s.value) for s in Severity],
            proxy.set_severity)
        self.code_filter = self.add_filter("codeFilter", "全部问题", [], proxy.set_code)
        self.state_filter = self.add_filter(
            "stateFilter", "全部状态", [("未处理和已接受", ACTIVE)] +
            [(label, key) for key, label in STATE_LABELS.items()], proxy.set_state)
        self.state_filter.setCurrentIndex(1)
        # the titles are long: the combo keeps a fixed width, its list shows them whole
        self.code_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.code_filter.setMinimumContentsLength(12)
        self.code_filter.view().setTextElideMode(Qt.TextElideMode.ElideNone)
        self.search.setMinimumWidth(200)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setWordWrap(False)
        self.run_button = self._button("runCheck", "运行核查", "重新比对学生名单、建档立卡名单和资助政策", self.run)
        self.accept_button = self._button("acceptButton", "接受…", "确认所选问题的数据无误（须写明原因）",
                                          self.accept_selected)
        self.revoke_button = self._button("revokeButton", "撤销接受",
                                          "把所选的已接受问题改回未处理（原因保留在审计日志中）", self.revoke_selected)
        self.verify_button = self._button("verifyButton", "标记已核准", "把所选问题涉及的学生标记为已核准",
                                          self.verify_selected)
        self.fixed_button = self._button("markFixedButton", "标记已改正…",
                                         "上级单位反馈包中的问题：改正本校数据后标记已改正（须写明改了什么）",
                                         self.mark_fixed_selected)
        hint = QLabel("双击一行可打开该学生", self)    # short: the counts share the row at 1024×768
        hint.setToolTip("双击一行（或选中后按回车）打开该学生的信息，并定位到有问题的栏目")
        hint.setStyleSheet(HINT_STYLE)
        self.add_action_spacing(8)
        self.add_to_action_row(hint)
        self.double_click_hint = hint
        self.show_feedback_actions(False)
        self.state_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.view.doubleClicked.connect(self._double_clicked)
        on_enter(self.view, self._double_clicked)        # by keyboard: Return, and the keypad's Enter
        # 说明 takes the spare width; 问题 and 处理说明 (often empty) give it some at 1024×768 (their text is whole
        # in the pane below, as 说明's is)
        self.set_column_widths({0: 3, 1: 11, 2: 4, 3: 10, 4: 30, 5: 4, 6: 4.5, 7: 5})
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)   # 说明 takes the spare width
        # the selected finding in full under the table (fits 1024×768; the clerk drags the divider)
        self.detail = FindingDetailPane(self)
        self.splitter = self.add_detail_pane(self.detail, "findingSplitter")
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.show_selected())
        self.loaded.connect(self.show_selected)     # re-read after a check (a reset emits no selectionChanged)
        self.enable_with_selection(self.accept_button, self.revoke_button, self.verify_button, self.fixed_button)
        # whether a check ran, and over how many students: the main window's shared snapshot (its
        # checklist's facts); a page on its own knows only of the checks it ran itself
        if feed is not None:
            feed.ready.connect(self._snapshot_ready)
            if feed.current is not None:
                self._snapshot_ready(feed.current)

    def _button(self, name: str, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        self.add_to_action_row(b)
        return b

    # -- loading ----------------------------------------------------------
    def load_function(self):
        return finding_rows, (self.db,)

    def run(self) -> None:
        """运行核查: run every check in the worker; the findings changed (this page reloads)."""
        self._started()

        def ran(run) -> None:
            self._checked = True
            self.changed.emit(run.changes)
            c = run.counts
            self.show_message(f"核查完成：未处理的错误 {c.get('error', 0)} 个，警告 {c.get('warning', 0)} 个，"
                              f"提示 {c.get('info', 0)} 个", 8000)
        worker.run_task(check, self.db, on_success=ran, on_failure=self._load_failed, parent=self)

    def _snapshot_ready(self, snap: Snapshot) -> None:
        summary = snap.summary
        self._students = summary.students
        self._checked = any(step.key == "check" and step.done for step in summary.steps)
        self.update_empty()

    def no_rows_text(self) -> str:
        """No finding at all: no students to check, no check yet, or a check that found nothing."""
        if self._students == 0:
            return NO_STUDENTS
        if self._checked is None:
            return NO_FINDINGS
        return NOTHING_FOUND if self._checked else NOT_CHECKED

    def empty_text(self) -> str:
        text = super().empty_text()
        if text == FILTERED_EMPTY and not self._unfixed and self.state_filter.currentData() == ACTIVE:
            return ONLY_FIXED          # every finding is fixed: the default filter hides them
        return text

    @classmethod
    def prepare(cls, data: list[FindingView], sort: SortState) -> FindingsPrepared:
        """Worker: the rows sorted and indexed, and the counts the page shows (not on the GUI thread)."""
        opened = [r for r in data if r.state == FindingState.OPEN]
        return FindingsPrepared(FindingsModel.prepare(data, sort), Counter(r.code for r in opened),
                                {r.code: r.title for r in data}, Counter(r.severity for r in opened),
                                any(r.origin for r in data), sum(r.state != FindingState.FIXED for r in data))

    def apply_data(self, prepared: FindingsPrepared) -> None:
        table, active, present = prepared.table, prepared.active, prepared.present
        choices = [(f"{rule.title}（{active[rule.code]}）", rule.code) for rule in RULES if rule.code in present]
        choices += [(f"{title}（{active[code]}）", code) for code, title in present.items()   # a receiver's (反馈包)
                    if code not in RULES_BY_CODE]
        self.set_choices(self.code_filter, "全部问题", choices)
        view = self.code_filter.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 32)
        self.proxy.set_code(self.code_filter.currentData() or "", apply=False)
        self._opened, self._unfixed = prepared.opened, prepared.unfixed
        self.model.set_data(table)
        self.show_feedback_actions(prepared.feedback)

    def show_feedback_actions(self, shown: bool) -> None:
        """标记已改正… only where a receiver's findings are (most schools never get one); the
        double-click hint gives it its room on the action row at 1024×768."""
        self.fixed_button.setVisible(shown)
        self.double_click_hint.setVisible(not shown)

    def update_count(self) -> None:
        opened = self._opened
        text = (f"未处理：错误 {opened['error']}，警告 {opened['warning']}，提示 {opened['info']}；"
                f"显示 {self.proxy.rowCount()} 条")
        self.count_label.setText("正在核查…" if self._loading else text)

    # -- detail -----------------------------------------------------------
    def show_selected(self) -> None:
        """The detail pane follows the selection (one finding read in the worker)."""
        rows = self.selected_rows()
        self._name_revoke(rows)
        if len(rows) != 1:
            self.detail.show_many(len(rows)) if rows else self.detail.show_none()
            return
        wanted = rows[0].id

        def loaded(detail: FindingDetail | None) -> None:
            current = self.selected_rows()
            if len(current) == 1 and current[0].id == wanted:   # the clerk has not moved on
                self.detail.show_detail(detail)
        worker.run_task(finding_detail, self.db, wanted, on_success=loaded, parent=self)

    # -- actions ----------------------------------------------------------
    def selected_rows(self) -> list[FindingView]:
        return [self.source_row(ix) for ix in self.view.selectionModel().selectedRows()]

    def _double_clicked(self, index: QModelIndex) -> None:
        row = self.source_row(index)
        if row.setting:
            self.open_setting.emit(row.setting)
        elif row.student_id is not None:
            self.open_student.emit(row.student_id, row.field)

    def ask_reason(self, rows: list[FindingView]) -> str | None:
        """The reason for accepting ``rows`` (named in the dialog); tests replace this."""
        from gui.reason_dialog import ask_reason
        return ask_reason(self, ACCEPT_TITLE,
                          f"确认以下 {len(rows)} 个核查问题的数据无误（接受后不再作为问题处理）：",
                          [finding_line(r) for r in rows], "例如：户口簿上即为此异体字，已核对原件")

    def accept_selected(self) -> None:
        rows = [r for r in self.selected_rows() if r.state != FindingState.FIXED]
        if not rows:
            self.show_message("请先选择要接受的问题", 5000)
            return
        bad = sorted({r.code for r in rows if not_acceptable(r.code, r.severity)})
        if bad:   # refuse before the clerk writes a reason
            from db.findings import refusal
            from gui.errors import show_exception
            show_exception(self, refusal(bad))
            return
        reason = self.ask_reason(rows)
        if reason is None:
            return
        def accepted(done) -> None:
            from gui.reason_dialog import reason_written
            reason_written(ACCEPT_TITLE)
            self.changed.emit(done.changes)
            self.show_message(f"已接受 {done.count} 个问题", 8000)
        worker.run_task(accept_findings, self.db, [r.id for r in rows], reason, on_success=accepted, parent=self)

    @staticmethod
    def _marked(rows: list[FindingView]) -> list[FindingView]:
        """The receiver's findings among ``rows`` that the clerk marked 已改正."""
        return [r for r in rows if marked_fixed(r.state, r.reason, bool(r.origin))]

    def _name_revoke(self, rows: list[FindingView]) -> None:
        """撤销接受, or 撤销已改正 when the selection holds feedback findings marked 已改正."""
        reopen = bool(self._marked(rows))
        self.revoke_button.setText("撤销已改正" if reopen else "撤销接受")
        self.revoke_button.setToolTip("把所选的、本校标记为已改正的反馈问题恢复为标记前的状态（改正说明保留在审计日志中）"
                                      if reopen else "把所选的已接受问题改回未处理（原因保留在审计日志中）")

    def revoke_selected(self) -> None:
        """撤销接受: the selected accepted findings become open again (audited); 撤销已改正 for the
        feedback findings marked 已改正 among them: back to their state before the mark (audited)."""
        marked = self._marked(self.selected_rows())
        if marked:
            def reopened(result) -> None:
                self.show_message(f"已撤销 {result.count} 个问题的“已改正”标记，问题恢复为标记前的状态", 8000)
                self.changed.emit(result.changes)
            worker.run_task(reopen_findings, self.db, [r.id for r in marked], on_success=reopened, parent=self)
            return
        rows = [r for r in self.selected_rows() if r.state == FindingState.ACCEPTED]
        if not rows:
            self.show_message("请先选择“已接受”的问题", 5000)
            return

        def done(result) -> None:
            self.show_message(
                f"已撤销接受 {result.count} 个问题，问题重新变为未处理", 8000)
            self.changed.emit(result.changes)
        worker.run_task(revoke_findings, self.db, [r.id for r in rows], on_success=done, parent=self)

    def verify_selected(self) -> None:
        ids = sorted({r.student_id for r in self.selected_rows() if r.student_id is not None})
        if not ids:
            self.show_message("请先选择学生的问题", 5000)
            return

        def done(outcome: Verified) -> None:
            self.show_message(f"已核准 {outcome.done} 名学生", 8000)
            self.changed.emit(outcome.changes)
        worker.run_task(verify, self.db, ids, on_success=done, parent=self)

    # -- feedback packages (反馈包) -----------------------------------------------
    def ask_feedback_path(self) -> Path | None:
        """The feedback package to import; tests replace this."""
        from gui.dialogs import ask_open_path
        return ask_open_path(self, "选择反馈包", "反馈包 (*.zip);;所有文件 (*)")

    def import_feedback(self, path: Path | None = None) -> None:
        """导入反馈包: verify and import in the worker; its findings show here with their origin."""
        path = path or self.ask_feedback_path()
        if path is None:
            return

        def done(result: FeedbackImport) -> None:
            if result.already:
                self.show_message(f"这个反馈包（{result.receiver}）已导入过，没有变化", 8000)
                return
            self.show_message(f"已导入{result.receiver}的反馈包：新问题 {result.added} 个，"
                              f"再次反馈 {result.carried} 个，不再反馈而关闭 {result.superseded} 个", 10000)
            self.changed.emit(result.changes)
        worker.run_task(import_feedback, self.db, path, on_success=done, parent=self)

    def ask_fix_note(self, rows: list[FindingView]) -> str | None:
        """What the clerk changed for ``rows`` (named in the dialog); tests replace this."""
        from gui.reason_dialog import ask_reason
        return ask_reason(self, FIXED_TITLE,
                          f"以下 {len(rows)} 个上级单位反馈的问题已改正本校数据，请写明改了什么"
                          "（导出新的上报包后，上级单位会看到）：",
                          [finding_line(r) for r in rows], "例如：已将该生移出名单（已转学至外县）并重新核准")

    def mark_fixed_selected(self) -> None:
        """标记已改正: the selected feedback findings (the school's own close by re-checking)."""
        rows = [r for r in self.selected_rows() if r.origin and r.state != FindingState.FIXED]
        if not rows:
            self.show_message("请先选择上级单位反馈的、未改正的问题"
                              "（本校核查的问题改正数据后重新核查即自动关闭）", 8000)
            return
        note = self.ask_fix_note(rows)
        if note is None:
            return

        def done(result) -> None:
            from gui.reason_dialog import reason_written
            reason_written(FIXED_TITLE)
            self.show_message(f"已标记 {result.count} 个问题为已改正；请重新核准并导出上报包", 8000)
            self.changed.emit(result.changes)
        worker.run_task(mark_fixed_findings, self.db, [r.id for r in rows], note, on_success=done, parent=self)
