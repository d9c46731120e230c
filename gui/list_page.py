"""A searchable list page: search box, filter combos, table, count line.

Shared by the list pages. Header clicks sort the source model (the proxy only
filters); rows are loaded by a worker function (or come from the shared
``SnapshotFeed``) and handed to the model on the GUI thread.

A page declares the kinds of change it shows (``DEPENDS_ON``, ``db.changes``);
the main window calls ``on_changes`` with what a use case changed and the page
reloads itself when they meet (a ``LAZY`` page — the 200,000-person roster — only
when it is shown: until then it notes that it is out of date). What the page's own
actions change it announces through ``changed``, never by reloading other pages.

Every per-row step of a load runs in the worker: the load function, then the page's
``prepare`` (pure: the rows sorted as the table is, their search texts, the filters'
choices); the GUI thread only swaps the prepared rows into the model.

An empty list says why (``empty_text``), in a line over the table: the page's first step when
it has no rows at all (``EMPTY_TEXT``, or ``no_rows_text`` for a page that must look), or that
the search and filters hide every row. Buttons that act on the selected rows are enabled only
while a row is selected (``enable_with_selection``); a reload keeps them, and the focus, as they are
until the selection is put back (disabled in between, the focused button handed the focus on: to
核准筛选出的学生…). Tabbing into the table selects the row it shows as current (``_select_current``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction, QFocusEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.changes import SNAPSHOT_INPUTS, Changes
from db.session import Database
from gui import worker
from gui.feed import SnapshotFeed
from gui.screen import HINT_COLOR, WrappingLabel
from gui.search import FilterProxy
from gui.table_model import RowTableModel

P = TypeVar("P", bound=FilterProxy)

# What an empty table says when rows exist but the search or the filters hide every one.
FILTERED_EMPTY = "没有符合筛选条件的行：清空搜索框，或把筛选改回“全部…”"
# How the focus comes to the table from the keyboard (a click selects the row it clicks; the window
# activated again leaves the selection as it was)
KEYBOARD_FOCUS = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason,
                  Qt.FocusReason.ShortcutFocusReason, Qt.FocusReason.OtherFocusReason)


class ListPage(QWidget, Generic[P]):
    loaded = Signal()
    changed = Signal(object)              # Changes made by this page's actions
    DEPENDS_ON: Changes = Changes.NONE    # what this page shows (snapshot pages: through the feed)
    LAZY = False                          # loaded when first shown, reloaded on changes only while shown
    EMPTY_TEXT = ""                       # what the page says while it has no rows at all (its first step)
    feed: SnapshotFeed | None = None

    def __init__(self, model: RowTableModel[Any], proxy: P, placeholder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.proxy = model, proxy
        self.proxy.setSourceModel(model)
        self._loading = False
        self._ever_loaded = False             # an empty model means "no rows" only once a load came in
        self._reloading = False               # rows being swapped: the selection is put back after
        self._selection_widgets: list[QWidget | QAction] = []
        self._stale = self.LAZY               # a lazy page: out of date until shown
        self.standalone = True      # the main window sets False when it routes ``changed``
        self.changed.connect(self._route_own)

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.search.textChanged.connect(self.proxy.set_search_text)

        self.filters = QHBoxLayout()
        self.filters.setContentsMargins(0, 0, 0, 0)
        self.count_label = WrappingLabel(self)      # (wraps when a row of buttons leaves it too little room)
        self.count_label.setObjectName("countLabel")

        self.action_row: QHBoxLayout | None = None      # add_to_action_row makes it
        top = self.top_row = QHBoxLayout()
        top.addWidget(self.search, 2)
        top.addLayout(self.filters)
        top.addStretch(1)
        top.addWidget(self.count_label)

        self.view = QTableView(self)
        self.view.setObjectName("table")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(False)   # the proxy must never sort
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setTabKeyNavigation(False)   # Tab leaves the table: filters and buttons by keyboard
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.sortIndicatorChanged.connect(self.sort_by)
        header.sortIndicatorChanged.connect(lambda col, _order: self._room_for_arrow(col))
        self.model.sort(0, Qt.SortOrder.AscendingOrder)

        layout = self.main_layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

        # the empty state: a line over the table's empty area (the headers stay visible above it)
        self.empty_label = QLabel(self.view.viewport())
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.empty_label.setStyleSheet(f"color: {HINT_COLOR}; font-size: {self.font().pointSizeF() * 1.15:.1f}pt;")
        self.empty_label.hide()
        self.view.viewport().installEventFilter(self)
        self.view.installEventFilter(self)       # a keyboard focus-in selects the current row

        for signal in (self.proxy.filterApplied, self.proxy.modelReset, self.proxy.layoutChanged,
                       self.proxy.rowsInserted, self.proxy.rowsRemoved):
            signal.connect(self._show_state)
            # (rows filtered away leave the selection without a selectionChanged)
            signal.connect(lambda *_a: self._selection_changed())
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.loaded.connect(self._selection_changed)     # a reset emits no selectionChanged
        self._show_state()

    # -- rows of controls -------------------------------------------------
    def add_to_action_row(self, widget: QWidget, stretch: int = 0) -> None:
        """Put ``widget`` on the row of action buttons under the search and the filters
        (made on first use; the count moves to its right end): one row for everything
        is too wide at 1024×768."""
        if self.action_row is None:
            self.action_row = QHBoxLayout()
            self.action_row.setContentsMargins(0, 0, 0, 0)
            self.main_layout.insertLayout(1, self.action_row)
            self.top_row.removeWidget(self.count_label)
            self.action_row.addStretch(1)
            self.action_row.addWidget(self.count_label)
        self.action_row.insertWidget(self.action_row.count() - 2, widget, stretch)

    def add_action_spacing(self, size: int) -> None:
        if self.action_row is not None:
            self.action_row.insertSpacing(self.action_row.count() - 2, size)

    def enable_with_selection(self, *widgets: QWidget | QAction) -> None:
        """``widgets`` (buttons, actions) act on the selected rows: enabled only while one is selected."""
        self._selection_widgets += widgets
        self._selection_changed()

    def _selection_changed(self) -> None:
        if self._reloading:     # the reset cleared it; ``_loaded`` puts it back, then updates them
            return
        selected = self.view.selectionModel().hasSelection()
        for widget in self._selection_widgets:
            widget.setEnabled(selected)

    def show_message(self, text: str, msec: int = 8000) -> None:
        """A line in the main window's status bar (nothing when the page stands alone)."""
        window = self.window()
        show = getattr(window, "show_message", None) if window is not self else None
        if callable(show):
            show(text, msec)

    # -- filters ----------------------------------------------------------
    def add_filter(self, name: str, all_text: str, choices: list[tuple[str, str]],
                   setter: Callable[[str], None]) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.set_choices(combo, all_text, choices)
        combo.currentIndexChanged.connect(lambda _i: setter(combo.currentData() or ""))
        self.filters.addWidget(combo)
        return combo

    @staticmethod
    def set_choices(combo: QComboBox, all_text: str, choices: list[tuple[str, str]]) -> None:
        """Replace the choices, keeping the current one when it still exists."""
        current = combo.currentData() or ""
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(all_text, "")
        for text, value in choices:
            combo.addItem(text, value)
        idx = combo.findData(current)
        combo.setCurrentIndex(max(idx, 0))
        combo.blockSignals(False)

    # -- sorting ----------------------------------------------------------
    def sort_by(self, column: int, order: Qt.SortOrder) -> None:
        """Header click: the source model sorts its list."""
        self.model.sort(column, order)

    # -- loading ----------------------------------------------------------
    def load_function(self) -> tuple[Callable[..., Any], tuple]:
        raise NotImplementedError

    def use_feed(self, feed: SnapshotFeed | None, db: Database) -> None:
        """Take rows from the shared snapshot (``apply_data`` receives a ``Snapshot``).
        Without a shared feed (a page on its own, in tests) the page makes its own and
        refreshes it after its own changes."""
        self.feed = feed or SnapshotFeed(db, self)
        feed = self.feed
        feed.add_preparer(type(self).__name__, type(self).prepare, self.model.sort_state)
        feed.started.connect(self._started)
        feed.ready.connect(self._from_feed)
        feed.failed.connect(lambda _exc: self._loading_done())
        if feed.current is not None:
            self._from_feed(feed.current)

    def _from_feed(self, snap: Any) -> None:
        assert self.feed is not None
        prepared = self.feed.prepared_for(type(self).__name__, snap)
        self._loaded(prepared if prepared is not None else self.prepare(snap, self.model.sort_state()))

    def on_changes(self, changes: Changes) -> None:
        """What a use case changed (the main window routes it): reload when it matters here
        (a lazy page that is not shown: when it is shown next)."""
        if changes & self.DEPENDS_ON:
            if self.LAZY and not self.isVisible():
                self._stale = True
            else:
                self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _route_own(self, changes: Changes) -> None:
        """A page on its own (no main window routing its changes) refreshes itself."""
        if not self.standalone:
            return
        if self.feed is not None:
            if changes & SNAPSHOT_INPUTS:
                self.feed.refresh()
        else:
            self.on_changes(changes)

    def reload(self) -> None:
        if self.feed is not None:
            self.feed.refresh()
            return
        fn, args = self.load_function()
        self._stale = False
        self._started()
        worker.run_task(load_prepared, fn, args, type(self).prepare, self.model.sort_state(),
                        on_success=self._loaded, on_failure=self._load_failed, parent=self, keep=True)

    @classmethod
    def prepare(cls, data: Any, sort: Any) -> Any:
        """Worker: the loaded data made ready for ``apply_data`` (pure: no widget here).
        ``sort`` is the table's sort state when the load was asked for."""
        return data

    def _started(self) -> None:
        self._loading = True
        self._show_state()

    def _loading_done(self) -> None:
        self._loading = False
        self._show_state()

    def _loaded(self, data: Any) -> None:
        self._loading = False
        self._ever_loaded = True
        selected = self.selection_keys()
        focused = QApplication.focusWidget()
        self._reloading = True
        try:
            self.apply_data(data)
            self.select_keys(selected)
        finally:
            self._reloading = False
        self._show_state()
        self.loaded.emit()
        self._keep_focus(focused)
        worker.freeze_long_lived()

    def _keep_focus(self, focused: QWidget | None) -> None:
        """After a reload: a button of this page that had the focus keeps it; one disabled as its rows
        are gone hands it to the table, never on to the next control (核准筛选出的学生…)."""
        if focused is None or not self.isAncestorOf(focused) or focused.hasFocus():
            return
        if focused.isEnabled() and focused.isVisible():
            focused.setFocus(Qt.FocusReason.OtherFocusReason)
        elif focused in self._selection_widgets:
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _load_failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self._loading = False
        self._show_state()
        show_exception(self, exc)

    def apply_data(self, data: Any) -> None:
        raise NotImplementedError

    def _show_state(self) -> None:
        """The count line and the empty state, after a load or a filter."""
        self.update_count()
        self.update_empty()

    def update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        text = f"共 {total} 人" if shown == total else f"共 {total} 人，筛选出 {shown} 人"
        self.count_label.setText("正在读取…" if self._loading else text)

    # -- the empty state ----------------------------------------------------
    def empty_text(self) -> str:
        """What the empty table says ("" while rows show, or before the first load and while loading)."""
        if self._loading or not self._ever_loaded or self.proxy.rowCount():
            return ""
        return self.no_rows_text() if not self.model.rowCount() else FILTERED_EMPTY

    def no_rows_text(self) -> str:
        """The page has no rows at all: its first step (a page that must look overrides this)."""
        return self.EMPTY_TEXT

    def update_empty(self) -> None:
        text = self.empty_text()
        self.empty_label.setText(text)
        self.empty_label.setVisible(bool(text))
        if text:
            self._place_empty()

    def _place_empty(self) -> None:
        area = self.view.viewport().rect().adjusted(24, 32, -24, 0)
        self.empty_label.setGeometry(area.x(), area.y(), area.width(),
                                     max(self.empty_label.heightForWidth(area.width()), 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize and self.empty_label.isVisible():
            self._place_empty()
        elif (watched is self.view and isinstance(event, QFocusEvent) and event.type() == QEvent.Type.FocusIn
              and event.reason() in KEYBOARD_FOCUS):
            self._select_current()
        return super().eventFilter(watched, event)

    # -- selection --------------------------------------------------------
    def _select_current(self) -> None:
        """The table got the keyboard's focus with no row selected: the row it shows as current is
        selected, what the row buttons and Return then act on (unselected, it looked chosen while
        告知书's 预览/打印… made every shown student's letter)."""
        current = self.view.currentIndex()
        if current.isValid() and not self.view.selectionModel().hasSelection():
            self.view.selectionModel().select(current, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                              | QItemSelectionModel.SelectionFlag.Rows)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        """Tabbing into a table with no current row: Qt makes the first one current (after the
        focus-in), unselected. (A click selects the row itself: Ctrl+click would unselect it.)"""
        if not previous.isValid() and self.view.hasFocus() and QApplication.mouseButtons() == Qt.MouseButton.NoButton:
            self._select_current()

    def selected_key(self) -> Any:
        keys = self.selected_keys()
        return keys[0] if keys else None

    def selected_keys(self) -> list[Any]:
        """The rows an action works on (a page may widen it, e.g. 告知书: every shown row)."""
        return self.selection_keys()

    def selection_keys(self) -> list[Any]:
        """The rows selected: what a reload selects again."""
        return [self.model.row_key(self.proxy.mapToSource(ix).row())
                for ix in self.view.selectionModel().selectedRows()]

    def select_keys(self, keys: list[Any]) -> None:
        """Select again the rows of ``keys`` that are still shown (after a reload)."""
        if len(keys) == 1:
            self.select_key(keys[0])
            return
        selection = QItemSelection()
        for key in keys:
            pos = self.model.position(key)
            index = self.proxy.mapFromSource(self.model.index(pos, 0)) if pos is not None else QModelIndex()
            if index.isValid():
                selection.select(index, index)
        if not selection.isEmpty():
            self.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                              | QItemSelectionModel.SelectionFlag.Rows)

    def select_key(self, key: Any) -> bool:
        pos = self.model.position(key)
        if pos is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(pos, 0))
        if not index.isValid():
            return False
        self.view.selectRow(index.row())
        self.view.scrollTo(index)
        return True

    def source_row(self, proxy_index: QModelIndex) -> Any:
        return self.model.row_at(self.proxy.mapToSource(proxy_index).row())

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def add_detail_pane(self, pane: QWidget, name: str) -> QSplitter:
        """Put ``pane`` under the table (a divider the clerk drags between them): the selected
        row in full, so nothing important is only in a cut-off cell or a tooltip."""
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName(name)
        splitter.setChildrenCollapsible(False)
        self.main_layout.replaceWidget(self.view, splitter)
        splitter.addWidget(self.view)
        splitter.addWidget(pane)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        return splitter

    def set_column_widths(self, widths: Mapping[int, float | str | None]) -> None:
        """Each column ``chars`` Chinese characters wide (halves allowed), or as wide as a text it must
        show whole (a header, the longest usual value), plus the cell's margins; None: the column takes
        the room left (instead of the last one). The sorted column is never narrower than its header with
        the sort arrow (``_room_for_arrow``)."""
        fm, header = self.fontMetrics(), self.view.horizontalHeader()
        for col, width in widths.items():
            if width is None:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
                header.setStretchLastSection(False)
            else:
                self.view.setColumnWidth(col, fm.horizontalAdvance(width) + 7 if isinstance(width, str)
                                         else round(fm.horizontalAdvance("中") * width) + 16)
        self._room_for_arrow(header.sortIndicatorSection())

    def _room_for_arrow(self, col: int) -> None:
        """The sorted column at least as wide as its header with the sort arrow (the style's size): the
        arrow of a sorted 性别 or 学段 was drawn over its text. Only the sorted one: the arrow shows there
        alone, and every column widened for it did not fit 1024 pixels."""
        header = self.view.horizontalHeader()
        if 0 <= col < header.count() - 1 and header.sectionResizeMode(col) != QHeaderView.ResizeMode.Stretch:
            need = header.sectionSizeFromContents(col).width()
            if self.view.columnWidth(col) < need:
                self.view.setColumnWidth(col, need)


def load_prepared(fn: Callable[..., Any], args: tuple, prepare: Callable[[Any, Any], Any], sort: Any) -> Any:
    """Worker: load, then prepare (every per-row step off the GUI thread)."""
    return prepare(fn(*args), sort)
