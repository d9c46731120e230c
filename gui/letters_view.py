"""告知书: subsidised students, letter preview and printing, receipts (回执).

Printing a letter records it (notified_at), which feeds the NOT_NOTIFIED
check; receipts coming back are recorded per student.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractItemView, QApplication, QCheckBox, QPushButton, QWidget

from core.idnumber import mask_id
from core.money import format_fen
from db.session import Database
from db.student_columns import EMPTY_LETTERS, LetterColumns
from db.usecases import Done, record_printed, record_receipts
from db.views import Snapshot
from gui import worker
from gui.columns_model import ColumnsModel, ColumnTest, negated
from gui.dialogs import ask_save_path, named_target
from gui.feed import SnapshotFeed
from gui.list_page import ListPage
from gui.notes import show_all
from gui.search import FilterProxy
from gui.students.model import name_sort_keys
from gui.table_model import Column, SortState, TableData

if TYPE_CHECKING:
    from gui.pdf_preview import PdfPreview  # imported when first shown (pypdfium2)

NOT_PRINTED, PRINTED = "未打印", "已打印"
NOT_BACK, BACK = "未收回", "已收回"
NO_HEAD = "—"                # 家长 when the list has no 户主姓名


COLUMNS: tuple[Column, ...] = (
    Column("姓名", lambda r: r.name, lambda r: r.name_key if r.name_key is not None else r.name),
    Column("身份证号", lambda r: mask_id(r.id_number), lambda r: r.id_number),
    Column("家长", lambda r: r.head_name or NO_HEAD, lambda r: r.head_name,
           tip=f"学生名单中的户主姓名；“{NO_HEAD}”表示没有填写（可在学生信息的“户主姓名”中补充）"),
    Column("年级", lambda r: r.grade),
    Column("资助合计（元）", lambda r: format_fen(r.total_fen), lambda r: r.total_fen, numeric=True),
    Column("告知书", lambda r: PRINTED if r.printed else NOT_PRINTED),
    Column("回执", lambda r: BACK if r.receipt else NOT_BACK),
)


class LettersModel(ColumnsModel):
    """The snapshot's ``LetterColumns``: positions into the students' columns (one copy of them)."""
    COLUMNS = COLUMNS
    EMPTY = EMPTY_LETTERS

    @classmethod
    def sort_keys(cls, columns: Any, column: int) -> Sequence[Any]:
        """A column's keys from the columns (no row object per letter)."""
        cols: LetterColumns = columns
        if column == 0:
            return name_sort_keys(cols)
        if column == 2:
            return cols.head_name
        if column == 5:
            return [PRINTED if p else NOT_PRINTED for p in cols.printed]
        if column == 6:
            return [BACK if r else NOT_BACK for r in cols.receipt]
        st = cols.students
        values = {1: st.column("id_number"), 3: st.column("grade"), 4: st.total_fen}[column]
        return [values[p] for p in cols.positions]


class LettersProxy(FilterProxy):
    def set_printed(self, value: str) -> None:
        """已打印 / 未打印 (read from the columns)."""
        test = ColumnTest(lambda cols: cols.printed if value == PRINTED else negated(cols.printed))
        self.set_predicate("printed", test if value else None)


@dataclass(frozen=True)
class MadeLetters:
    """What the worker's child process sends back (picklable: the pages are rendered afterwards, in a
    thread of the window's process, as a QImage cannot be pickled)."""
    target: Path | None             # where they were saved (None: preview only)
    warnings: list[str]
    pdf: bytes                      # the letters, for the preview (empty when saved to ``target``)
    draft_reasons: list[str]        # why they are marked 草稿 (db.exports.readiness); empty: final
    told: dict[int, str]            # the students with a letter in ``pdf``/``target``: what each letter tells
                                    # (core.told), what printing records

    @property
    def keys(self) -> list[int]:
        return list(self.told)


def make_letters(db: Database, keys: list[int], target: Path | None = None,
                 per_household: bool = False) -> MadeLetters:
    """Worker: write the letters of ``keys`` (one page per student, or per household
    listing its children), to ``target`` or, without one, for the preview: the PDF then
    only passes through a private temporary folder and the preview keeps its bytes in
    memory, so no file with the children's data is left behind. Marked 草稿 until every
    student is verified and no error is open (the CLI's use case)."""
    from core.exports.letters import write_letters
    from core.paths import temp_folder
    from db.exports import gather_letters
    letters = gather_letters(db, keys=keys)
    from core.told import told_key
    # every student read (of ``keys``, on the list) gets a letter; one selected but gone is left out, warned of
    made_for = {s.key: told_key(r.granted, r.pending) for s, r in letters.data.pairs()}
    if target is not None:
        warnings = write_letters(target, letters.data, keys=keys, per_household=per_household)
        return MadeLetters(target, warnings, b"", letters.reasons, made_for)
    with temp_folder("letters") as folder:
        path = folder / "告知书.pdf"
        warnings = write_letters(path, letters.data, keys=keys, per_household=per_household)
        return MadeLetters(None, warnings, path.read_bytes(), letters.reasons, made_for)


def draft_note(reasons: list[str]) -> str:
    return "数据尚未全部核准，告知书已标明“草稿”，不能发给家长：" + "；".join(reasons)


class LettersPage(ListPage[LettersProxy]):
    """Rows (students with a granted item, every 建档立卡 student: core.told.letter_due) come from the shared
    snapshot."""
    EMPTY_TEXT = "还没有需要告知的学生：享受资助的学生和建档立卡学生会列在这里，核准后打印告知书发给家庭"

    def __init__(self, db: Database, parent: QWidget | None = None, feed: SnapshotFeed | None = None) -> None:
        self.db = db
        self._printed = self._back = 0
        self._busy = False              # letters being made (``_making``)
        super().__init__(LettersModel(), LettersProxy(), "搜索姓名、身份证号或拼音首字母", parent)
        self.setObjectName("lettersPage")
        proxy = self.proxy
        self.printed_filter = self.add_filter("printedFilter", "全部告知书",
                                              [(NOT_PRINTED, NOT_PRINTED), (PRINTED, PRINTED)], proxy.set_printed)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.household = QCheckBox("每户一页", self)
        self.household.setObjectName("perHousehold")
        self.household.setToolTip("户编号相同的子女列在同一页告知书上；没有户编号的学生各占一页")
        self.add_to_action_row(self.household)
        self.add_action_spacing(12)
        # (a lambda: ``clicked(bool)`` would pass False as ``modal``)
        self.preview_button = self._button("previewButton", "预览/打印…", lambda: self.preview_selected())
        self.save_button = self._button("saveButton", "另存为 PDF…", self.save_selected)
        self.receipt_button = self._button("receiptButton", "回执已收回", lambda: self.set_receipts(True))
        self.no_receipt_button = self._button("noReceiptButton", "回执未收回", lambda: self.set_receipts(False))
        # the receipts are recorded for the selected students only (the letters: the selection, or every row listed)
        self.enable_with_selection(self.receipt_button, self.no_receipt_button)
        self.preview: PdfPreview | None = None
        self.shown_letters: MadeLetters | None = None      # what the preview shows (its PDF bytes)
        self.set_column_widths({0: 5, 1: 10, 2: 5, 3: 5, 4: 7, 5: 4})
        self.use_feed(feed, db)

    def _button(self, name: str, text: str, slot) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.clicked.connect(slot)
        self.add_to_action_row(b)
        return b

    @classmethod
    def prepare(cls, data: Snapshot, sort: SortState) -> tuple[TableData[int], int, int]:
        """Worker: the rows sorted and indexed, how many letters are printed and receipts back."""
        letters = data.letters
        return LettersModel.prepare(letters, sort), sum(letters.printed), sum(letters.receipt)

    def apply_data(self, data: tuple[TableData[int], int, int]) -> None:
        table, self._printed, self._back = data
        self.model.set_data(table)

    def selected_keys(self) -> list[Any]:
        """The selection, or every shown row when nothing is selected (student ids)."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            rows = [self.proxy.index(i, 0) for i in range(self.proxy.rowCount())]
        return [self.model.row_key(self.proxy.mapToSource(ix).row()) for ix in rows]

    def _message(self, text: str) -> None:
        self.show_message(text)

    def show_warnings(self, warnings: list[str]) -> None:
        """The letters' warnings (a name the font cannot print, a student left out) in a box the clerk
        closes: a line in the status bar is replaced by the next before it is read. Tests replace it."""
        show_all(self, "告知书：请注意", warnings)

    # -- preview and print ---------------------------------------------------
    def preview_selected(self, modal: bool = True) -> None:
        """The letters of the selection in a preview, modal: nothing changes behind it while it is open
        (a letter printed from it would show data no longer stored). Tests pass ``modal=False``."""
        if self._busy:
            return
        keys = self.selected_keys()
        if not keys:
            self._message("没有可生成告知书的学生")
            return
        self._making(True)
        worker.run_task(make_letters, self.db, keys, per_household=self.household.isChecked(),
                        on_success=lambda made: self._render(keys, made, modal), on_failure=self._not_made,
                        parent=self, process=True)

    def _making(self, busy: bool) -> None:
        """While letters are made (a whole school's take seconds), the buttons that make them are off:
        a second click made a second PDF and stacked a second preview. The one with the focus stays on
        (doing nothing until they are made): disabled, it handed the focus on to 回执已收回."""
        self._busy = busy
        focused = QApplication.focusWidget()
        for button in (self.preview_button, self.save_button):
            button.setEnabled(not busy or button is focused)
        if busy:
            self._message("正在生成告知书…")

    def _not_made(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self._making(False)
        show_exception(self, exc)

    def _render(self, keys: list[int], made: MadeLetters, modal: bool) -> None:
        """The pages drawn in the worker's thread (QImage may be made off the GUI thread)."""
        from gui.pdf_preview import preview_pages

        def drawn(shown: tuple[list[QImage], int]) -> None:
            self._making(False)
            self._show_preview(keys, made, shown[0], shown[1], modal)
        worker.run_task(preview_pages, made.pdf, parent=self, on_success=drawn, on_failure=self._not_made)

    def _show_preview(self, keys: list[int], made: MadeLetters, pages: list[QImage], total: int,
                      modal: bool) -> None:
        """``keys``: the students selected (the title counts them); printing records ``made.keys``."""
        from gui.pdf_preview import PdfPreview, iter_pages
        self.show_warnings(made.warnings)
        if made.draft_reasons:
            self._message(draft_note(made.draft_reasons))
        self.shown_letters = made
        title = f"资助结果告知书{'（草稿）' if made.draft_reasons else ''}（{len(keys)} 名学生）"
        preview = PdfPreview(title, pages, print_pages=lambda: iter_pages(made.pdf, dpi=200), parent=self,
                             total=total)
        self.preview = preview
        # bound to this preview and its letters: only its own successful print records, and only its students
        preview.printed_all.connect(lambda: self._after_print(made))
        if modal:
            preview.exec()
            preview.deleteLater()
            if self.preview is preview:
                self.preview = None
        else:
            preview.show()

    def _after_print(self, made: MadeLetters) -> None:
        """Every page of ``made`` went to the printer: its students are told (unless a draft)."""
        if made.draft_reasons:      # a draft is never sent to the family, so it does not count as 已告知
            self._message("草稿告知书不记录为已打印；全部核准后再打印正式告知书")
            return
        worker.run_task(record_printed, self.db, made.keys, made.told, parent=self,
                        on_success=lambda done: self._recorded(done, len(made.told)))

    def _recorded(self, done: Done, letters: int) -> None:
        """``letters`` printed, ``done.count`` of them recorded: the others were recorded before, telling
        the same (core.told), and are left as they were."""
        same = letters - done.count
        self._message(f"已记录 {done.count} 份告知书为已打印"
                      + (f"；另有 {same} 份此前已记录，告知内容相同，不再重复记录" if same else ""))
        self.changed.emit(done.changes)

    def save_selected(self) -> None:
        if self._busy:
            return
        keys = self.selected_keys()
        asked = ask_save_path(self, "保存告知书", "告知书.pdf", "PDF 文件 (*.pdf)")
        target = named_target(self, asked, ".pdf", "告知书") if keys and asked is not None else None
        if target is None:
            return
        self._making(True)
        worker.run_task(make_letters, self.db, keys, target,
                        per_household=self.household.isChecked(),
                        on_success=self._saved, on_failure=self._not_made, parent=self, process=True)

    def _saved(self, made: MadeLetters) -> None:
        """Saved letters may be printed elsewhere (a print shop): final ones may be recorded as printed
        now, with what they tell (as a print from the preview records them)."""
        self._making(False)
        self.show_warnings(made.warnings)
        if made.draft_reasons:
            self._message(f"草稿告知书已保存：{made.target}。" + draft_note(made.draft_reasons))
            return
        self._message(f"告知书已保存：{made.target}")
        if made.told and self.ask_record_saved(len(made.told)):
            worker.run_task(record_printed, self.db, made.keys, made.told, parent=self,
                            on_success=lambda done: self._recorded(done, len(made.told)))

    def ask_record_saved(self, count: int) -> bool:
        """Whether the saved letters are to be recorded as printed (已告知) now; 以后再说 is the default."""
        from gui.dialogs import ask_buttons
        return ask_buttons(self, "告知书已保存",
                           f"这 {count} 份告知书如果要在别处打印（例如打印店），"
                           "打印并发给家庭后，可以现在记为已打印（已告知）。",
                           "记为已打印后，核查不再提示这些学生“尚未告知家庭”；之后资助结果有变化的，会提示重新告知。"
                           "还没打印的，选“以后再说”，打印后再保存一次并记录。",
                           [("记为已打印", "accept"), ("以后再说", "reject")], 1, 1) == 0

    def set_receipts(self, returned: bool) -> None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            self._message("请先选择学生")
            return
        keys = [self.model.row_key(self.proxy.mapToSource(ix).row()) for ix in rows]
        worker.run_task(record_receipts, self.db, keys, returned, on_success=self._receipts_recorded, parent=self)

    def _receipts_recorded(self, done: Done) -> None:
        self._message(f"已更新 {done.count} 名学生的回执状态")
        self.changed.emit(done.changes)

    def update_count(self) -> None:
        text = f"应告知 {self.model.rowCount()} 人，告知书已打印 {self._printed}，回执已收回 {self._back}"
        self.count_label.setText("正在读取…" if self._loading else text)
