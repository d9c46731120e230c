"""政策: the policy menu — its items, its parameters and its versions.

The page edits a draft: 新增 / 复制 / 编辑 / 停用 / 恢复 and the parameters change the
draft's TOML text through ``core.policy_edit`` (pure, on the GUI thread: a policy is a
few kilobytes); nothing reaches the database until 保存为新版本…, which shows the
变更预览 (``db.policy_versions.preview_change``, in the worker) and, confirmed, saves a
new version (``save_version``, in the worker). 放弃改动 goes back to the saved version.
Leaving with unsaved changes (closing the window, switching the database, another page)
asks 保存 / 不保存 / 取消 first (``may_leave``): nothing the clerk entered is lost silently.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import PolicyError
from core.policy import Policy, load_policy
from core.policy_edit import (
    ItemDraft,
    PolicyDiff,
    copy_item,
    draft_of,
    new_draft,
    policy_diff_items,
    restore_item,
    retire_item,
    source_notes,
    with_item,
)
from db.changes import Changes
from db.policy_versions import ChangePreview, VersionInfo, list_versions, preview_change, save_version
from db.session import Database
from db.settings import PolicySaved
from gui import worker
from gui.dialogs import ask_buttons
from gui.keys import on_enter
from gui.policy_item_form import ItemForm
from gui.policy_model import ItemRow, ItemsModel, item_rows, items_view
from gui.policy_parameters import NOTE_STYLE, ParametersPanel

ITEMS_TAB, PARAMETERS_TAB, VERSIONS_TAB = range(3)
LeaveAnswer = Literal["save", "discard", "cancel"]


@dataclass(frozen=True)
class PolicyPageData:
    """What the page shows: the saved policy and its versions (``db.policy_versions``)."""
    policy: Policy
    versions: list[VersionInfo] = field(default_factory=list)
    title: str = ""         # the policy's title as the documents print it (设置 › 公文信息)


def load_policy_page(db: Database) -> PolicyPageData:
    """Worker: the active policy, the list of versions and the title the documents print."""
    from db.official import printed_policy_title
    from db.settings import policy
    return PolicyPageData(policy(db), list_versions(db), printed_policy_title(db))


def changed_codes(diff: PolicyDiff) -> frozenset[str]:
    """The items a draft adds, changes, retires or restores (marked 未保存 in the table)."""
    return frozenset(i.code for i in (*diff.added, *diff.retired, *diff.restored)) | {c.code for c in diff.changed}


class PolicyPage(QWidget):
    changed = Signal(object)                 # Changes of this page's saves
    DEPENDS_ON = Changes.POLICY | Changes.SCHOOL   # the active version follows the school year

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("policyPage")
        self.standalone = True               # the main window sets False when it routes ``changed``
        self.changed.connect(self._route_own)
        self.saved: Policy | None = None     # the active version
        self.draft: Policy | None = None     # what the page shows (the saved one until edited)
        self.data: PolicyPageData | None = None
        self.form: ItemForm | None = None
        self._message = ""                   # the last save's result, shown until the next edit
        self._saving: str | None = None      # the text a save (its preview, then the version) is writing
        self._carried: Policy | None = None  # edits made while it was written, kept over the reload

        self.title = QLabel("正在读取…", self)
        self.title.setObjectName("policyTitle")
        self.title.setWordWrap(True)
        self.import_button = QPushButton("导入政策文件…", self)
        self.import_button.setObjectName("importPolicy")
        self.import_button.setToolTip("导入教育局下发的政策文件（签名文件先核对签名人）")
        self.export_button = QPushButton("导出政策文件…", self)
        self.export_button.setObjectName("exportPolicy")
        self.export_button.setToolTip("把当前政策保存为文件，下发给各学校（可以签名）")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.import_button)
        top.addWidget(self.export_button)

        self.model = ItemsModel(self)
        self.view, self.proxy = items_view(self, self.model, "policyItems")
        self.view.doubleClicked.connect(lambda _i: self.edit_item())
        on_enter(self.view, lambda _i: self.edit_item())     # Return / Enter on a row, as a double-click
        self.add_button = QPushButton("新增…", self)
        self.add_button.setObjectName("addItem")
        self.copy_button = QPushButton("复制…", self)
        self.copy_button.setObjectName("copyItem")
        self.edit_button = QPushButton("编辑…", self)
        self.edit_button.setObjectName("editItem")
        self.retire_button = QPushButton("停用", self)
        self.retire_button.setObjectName("retireItem")
        self.show_retired = QCheckBox("显示已停用的项目", self)
        self.show_retired.setObjectName("showRetired")
        self.show_retired.setChecked(True)
        self.show_retired.toggled.connect(
            lambda on: self.proxy.set_predicate("retired", None if on else (lambda r: not r.retired)))
        # (clicked passes its bool: given as ``modal`` it opened the form non-modal, a second one beside it)
        self.add_button.clicked.connect(lambda: self.add_item())
        self.copy_button.clicked.connect(lambda: self.copy_item())
        self.edit_button.clicked.connect(lambda: self.edit_item())
        self.retire_button.clicked.connect(self.toggle_retired)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        item_buttons = QHBoxLayout()
        for button in (self.add_button, self.copy_button, self.edit_button, self.retire_button):
            item_buttons.addWidget(button)
        item_buttons.addStretch(1)
        item_buttons.addWidget(self.show_retired)
        self.notes = QLabel(self)
        self.notes.setObjectName("sourceNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(NOTE_STYLE)
        items_tab = QWidget(self)
        items_layout = QVBoxLayout(items_tab)
        items_layout.addLayout(item_buttons)
        items_layout.addWidget(self.view, 1)
        items_layout.addWidget(self.notes)

        self.parameters = ParametersPanel(self)
        self.parameters.edited.connect(self.set_draft_text)
        self.parameters.typing.connect(self._show_pending)
        from gui.policy_versions_view import VersionsPanel
        self.versions = VersionsPanel(db, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("policyTabs")
        self.tabs.addTab(items_tab, "资助项目")
        self.tabs.addTab(self.parameters, "政策参数")
        self.tabs.addTab(self.versions, "版本")

        self.pending = QLabel(self)
        self.pending.setObjectName("pendingChanges")
        self.pending.setWordWrap(True)
        self.discard_button = QPushButton("放弃改动", self)
        self.discard_button.setObjectName("discardPolicy")
        self.discard_button.clicked.connect(self.discard)
        self.save_button = QPushButton("保存为新版本…", self)
        self.save_button.setObjectName("savePolicy")
        self.save_button.setToolTip("先显示变更预览（哪些学生的资助金额变化），确认后保存为新版本")
        self.save_button.clicked.connect(lambda: self.save())
        bottom = QHBoxLayout()
        bottom.addWidget(self.pending, 1)
        bottom.addWidget(self.discard_button)
        bottom.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        from gui.policy_files import PolicyFiles
        self.files = PolicyFiles(self)
        self.import_button.clicked.connect(self.files.import_file)
        self.export_button.clicked.connect(self.files.export_file)
        # Tab follows the page as it reads (made in another order): the top buttons, the tabs, an
        # item's buttons, the items, then the other tabs' fields and 放弃改动 / 保存为新版本
        QWidget.setTabOrder(self.export_button, self.tabs)
        QWidget.setTabOrder(self.show_retired, self.view)
        self._selection_changed()
        self._show_pending()

    # -- loading --------------------------------------------------------------
    def on_changes(self, changes: Changes) -> None:
        if changes & self.DEPENDS_ON:
            self.reload()

    def _route_own(self, changes: Changes) -> None:
        if self.standalone:
            self.on_changes(changes)

    def reload(self) -> None:
        worker.run_task(load_policy_page, self.db, on_success=self.show_data, parent=self)

    def show_data(self, data: PolicyPageData) -> None:
        """The saved policy (an unsaved draft is kept when the saved version did not change)."""
        kept = self.draft if self.is_modified() and self.saved is not None \
            and self.saved.sha256 == data.policy.sha256 else None
        if self._carried is not None:          # edited while the version was saved: still to save
            kept, self._carried = self._carried, None
        self.data, self.saved = data, data.policy
        self.title.setText(self.title_text(data))
        self.versions.show_versions(data.versions, data.policy)
        self.set_draft(kept or data.policy)

    @staticmethod
    def title_text(data: PolicyPageData) -> str:
        """The title the documents print (as 设置 shows it), not the document's own name: the bundled
        file's name says 程序自带的默认参数, untrue once the school changed a parameter."""
        active = next((v for v in data.versions if v.active), None)
        return f"当前政策：{data.title or data.policy.name}" + (f"（{active.label}）" if active is not None else "")

    # -- the draft --------------------------------------------------------------
    def set_draft_text(self, text: str) -> None:
        self.set_draft(load_policy(text))

    def set_draft(self, policy: Policy) -> None:
        selected = self.selected_code()
        self.draft = policy
        diff = policy_diff_items(self.saved, policy) if self.saved is not None else None
        changed = changed_codes(diff) if diff is not None else frozenset()
        notes = source_notes(policy)
        self.model.set_rows(item_rows(policy, notes, changed))
        self.notes.setText(self.notes_text(policy, notes))
        self.notes.setVisible(bool(notes))
        self.parameters.show_policy(policy, policy.text, notes)
        if selected is not None:
            self.select_code(selected)
        self._selection_changed()
        self._show_pending()

    @staticmethod
    def notes_text(policy: Policy, notes: dict[str, str]) -> str:
        names = "、".join(f"“{policy.item(code).name}”" for code in notes)
        return f"※ {names}的金额照抄政策原文（原文如此），请向县教育局核对后再第一次导出上报。" if notes else ""

    def is_modified(self) -> bool:
        return self.draft is not None and self.saved is not None and self.draft.text != self.saved.text

    def _show_pending(self) -> None:
        """The buttons and the pending line follow ``has_unsaved``: a value still being typed counts."""
        unsaved = self.has_unsaved()
        self.save_button.setEnabled(unsaved and self._saving is None)     # (one save at a time)
        self.discard_button.setEnabled(unsaved and self._saving is None)
        if not unsaved:
            self.pending.setText(self._message or "没有未保存的改动")
            return
        self._message = ""
        parts = self.parameters.typed_changes()
        if self.is_modified():
            assert self.saved is not None and self.draft is not None
            parts.insert(0, policy_diff_items(self.saved, self.draft).summary())
        self.pending.setText("未保存的改动：" + "；".join(parts))

    def discard(self) -> None:
        if self.saved is not None:
            self.set_draft(self.saved)
        self.parameters.forget_typed()

    # -- leaving with unsaved changes ------------------------------------------------
    def has_unsaved(self) -> bool:
        """Changes not saved as a version: the draft, or a parameter typed but not yet applied."""
        return self.is_modified() or self.parameters.has_typed()

    def ask_unsaved(self) -> LeaveAnswer:
        """保存 / 不保存 / 取消 for the unsaved changes (tests replace this)."""
        answer = ask_buttons(self, "资助助手", "政策页有未保存的改动。离开前要保存为新版本吗？",
                             "保存：先显示变更预览，确认后保存为新版本\n不保存：放弃这些改动\n取消：留在政策页继续修改",
                             [("保存…", "accept"), ("不保存", "destructive"), ("取消", "reject")], 0, 2)
        return ("save", "discard", "cancel")[answer]

    def may_leave(self, then: Callable[[], object]) -> bool:
        """True when the page may be left now (nothing unsaved, or the clerk chose 不保存).
        保存 saves through the normal path (变更预览, then a new version, in the worker) and
        calls ``then`` (the close, the switch, the other page) once the version is saved; a bad
        value or a cancelled preview keeps the clerk here. 取消 stays."""
        if self._saving is not None:          # a version being written: its answer comes first
            self.show_message("正在保存新版本，请稍候…")
            return False
        if not self.has_unsaved():
            return True
        answer = self.ask_unsaved()
        if answer == "discard":
            self.discard()
            return True
        if answer == "save":
            self.save(then=then)
        return False

    def _edit(self, change: Any, *args: Any) -> bool:
        """Apply a ``core.policy_edit`` change to the draft; a refused one is shown."""
        if self.draft is None:
            return False
        try:
            text = change(self.draft.text, *args)
        except PolicyError as exc:
            from gui.errors import show_exception
            show_exception(self, exc)
            return False
        self.set_draft_text(text)
        return True

    # -- items ------------------------------------------------------------------
    def selected_code(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        row: ItemRow = self.model.row_at(self.proxy.mapToSource(rows[0]).row())
        return row.code

    def select_code(self, code: str) -> bool:
        pos = self.model.position(code)
        if pos is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(pos, 0))
        if index.isValid():
            self.view.selectRow(index.row())
        return index.isValid()

    def _selection_changed(self) -> None:
        code = self.selected_code()
        for button in (self.copy_button, self.edit_button, self.retire_button):
            button.setEnabled(code is not None)
        retired = code is not None and self.draft is not None and self.draft.item(code).retired
        self.retire_button.setText("恢复" if retired else "停用")
        self.retire_button.setToolTip("恢复这个项目：重新参与计算" if retired else
                                      "停用这个项目：不再计算，保留在政策文件中，以后可以恢复")

    def open_form(self, draft: ItemDraft, editing_code: str | None, modal: bool = True) -> ItemForm:
        """The item form; 确定 puts the item into the draft (tests pass ``modal=False``)."""
        assert self.draft is not None
        form = self.form = ItemForm(draft, self.draft, editing_code, self)
        form.accepted.connect(lambda: self._form_done(form))
        if modal:
            form.exec()
            form.deleteLater()
            self.form = None
        else:
            form.show()
        return form

    def _form_done(self, form: ItemForm) -> None:
        draft = form.draft()
        if self._edit(with_item, draft, form.editing_code):
            self.select_code(draft.code)

    def add_item(self, modal: bool = True) -> ItemForm | None:
        if self.draft is None:
            return None
        return self.open_form(new_draft(self.draft), None, modal)

    def copy_item(self, modal: bool = True) -> ItemForm | None:
        code = self.selected_code()
        if code is None or self.draft is None:
            return None
        copied = load_policy(copy_item(self.draft.text, code))     # a free code and name for the copy
        return self.open_form(draft_of(copied.all_items[-1]), None, modal)

    def edit_item(self, modal: bool = True) -> ItemForm | None:
        code = self.selected_code()
        if code is None or self.draft is None:
            return None
        return self.open_form(draft_of(self.draft.item(code)), code, modal)

    def toggle_retired(self) -> None:
        code = self.selected_code()
        if code is None or self.draft is None:
            return
        self._edit(restore_item if self.draft.item(code).retired else retire_item, code)

    # -- saving (变更预览, then a new version) ----------------------------------------
    def save(self, then: Callable[[], object] | None = None) -> None:
        """保存为新版本…: the 变更预览, then the new version; ``then`` runs once it is saved
        (leaving the page: a bad parameter is also shown as an error, since the clerk asked to go)."""
        problem = self.parameters.apply_all()
        if problem is not None:
            self.tabs.setCurrentIndex(PARAMETERS_TAB)
            if then is not None:
                from gui.errors import show_exception
                show_exception(self, problem)
            return
        if not self.is_modified() or self.draft is None:
            return
        text = self._saving = self.draft.text
        self._show_pending()
        worker.run_task(preview_change, self.db, text,
                        on_success=lambda preview: self._previewed(text, preview, then),
                        on_failure=self._failed, parent=self)

    def confirm_preview(self, preview: ChangePreview) -> str | None:
        """Show the 变更预览; the note for the new version, None for 取消 (tests replace this)."""
        from gui.policy_preview import PreviewDialog
        dialog = PreviewDialog(preview, self)
        ok = dialog.exec() == QDialog.DialogCode.Accepted
        note = dialog.note()
        dialog.deleteLater()
        return note if ok else None

    def _previewed(self, text: str, preview: ChangePreview, then: Callable[[], object] | None = None) -> None:
        note = self.confirm_preview(preview)
        if note is None:
            self._saving = None
            self._show_pending()
            return

        def saved(result: PolicySaved) -> None:
            edited = self.draft is not None and self.draft.text != text      # meanwhile: the clerk stays
            self.saved_version(result)
            if then is not None and not edited:
                QTimer.singleShot(0, then)           # after the event that asked (a close in progress) ends
        worker.run_task(save_version, self.db, text, note, on_success=saved, on_failure=self._failed, parent=self)

    def saved_version(self, result: PolicySaved) -> None:
        """A new version was saved (here or by 导入政策文件…): the pages follow its Changes. What was
        edited while this page's save ran (its text is not the one saved) stays a draft to save."""
        saving, self._saving = self._saving, None
        if saving is not None and self.draft is not None and self.draft.text != saving:
            self._carried = self.draft
        self.saved = None                     # the draft became the saved version
        self._message = self.saved_text(result)
        self.show_message(self._message)
        self.changed.emit(result.changes)
        if self._carried is not None and not result.changed:     # nothing saved, no reload: shown now
            self.reload()

    @staticmethod
    def saved_text(result: PolicySaved) -> str:
        if not result.changed:
            return "与当前使用的政策相同，没有保存新版本"
        version = f"（{result.version.label}）" if result.version is not None else ""
        text = f"资助政策已保存为新版本{version}，资助金额已重新计算"
        if result.unverified:
            text += f"；{result.unverified} 名已核准学生的资助结果因此改变，已改回待核准，请核对后重新核准"
        return text

    def _failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self._saving = None
        self._show_pending()
        show_exception(self, exc)

    def show_message(self, text: str, msec: int = 8000) -> None:
        self.pending.setText(text)
        show = getattr(self.window(), "show_message", None)
        if callable(show):
            show(text, msec)

    def focus_parameter(self, key: str) -> bool:
        """政策参数 with the cursor in parameter ``key`` (a finding's or the checklist's 去设置)."""
        self.tabs.setCurrentIndex(PARAMETERS_TAB)
        return self.parameters.focus(key)
