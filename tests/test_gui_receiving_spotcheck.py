# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""汇总 › 专项核查 on packages built and taken in by the program: a sample drawn from the page
(size, seed shown and editable, 暗访), its students with masked IDs, results entered (不属实 needs
a note) and seen in the report figures, the documents written in the worker and opened."""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_spotcheck_db import bureau, county  # noqa: F401 - fixtures: two schools taken in, 4 students

from core.idnumber import mask_id
from core.spotcheck import FALSE_LABEL, POINTS, TRUE_LABEL, draw_sample
from db.changes import Changes
from db.receiving import accepted_data
from db.spotcheck import sample_list, spot_report
from gui.receiving.page import ReceivingPage
from gui.receiving.spotcheck_models import ReportModel, SampleModel, SpotStudentModel, report_rows, spot_rows

FUNDS = [p.code for p in POINTS].index("FUNDS")


@pytest.fixture
def page(qtbot, shown, bureau, tmp_path, monkeypatch):
    p = ReceivingPage(bureau)
    qtbot.addWidget(p)
    p.resize(1000, 700)
    p.show()
    p.tabs.setCurrentWidget(p.spotcheck)
    tab = p.spotcheck
    tab.saved, tab.opened, p.emitted = [], [], []
    p.changed.connect(p.emitted.append)

    def ask_save(title, name, filters):
        tab.saved.append(name)
        return tmp_path / name
    monkeypatch.setattr(tab, "ask_save", ask_save)
    monkeypatch.setattr(tab, "open_file", tab.opened.append)
    p.reload()
    return p


def draw(page, size="3", seed="12345", unannounced=False):
    tab = page.spotcheck
    tab.size_edit.setText(size)
    tab.seed_edit.setText(seed)
    tab.unannounced.setChecked(unannounced)
    tab.draw_button.click()
    return tab


def shown_students(tab) -> list[tuple[str, ...]]:
    m = tab.students
    return [tuple(m.index(r, c).data() for c in range(m.columnCount())) for r in range(m.rowCount())]


def select_student(tab, seq: int) -> None:
    tab.students_view.selectRow(tab.students.position(seq))


def test_a_sample_drawn_from_the_page_lists_its_students_masked_and_opens_the_checklists(page, bureau, tmp_path):
    tab = draw(page)
    (kept,) = sample_list(bureau)
    assert (kept.seed, kept.count, kept.requested, kept.unannounced) == (12345, 3, "3 人", False)
    pdf = tmp_path / tab.saved[0]
    assert pdf.read_bytes().startswith(b"%PDF") and tab.opened == [pdf]
    assert page.emitted == [Changes.SPOTCHECK]
    # the sample the core draws from the same packages and seed, shown as drawn
    with bureau.session() as s:
        expected = draw_sample(accepted_data(s), 12345, count=3)
    rows = shown_students(tab)
    assert [(r[0], r[2], r[3]) for r in rows] == [(str(x.seq), x.name, mask_id(x.id_number))
                                                  for x in expected.students]
    assert all(r[4] == "1200.00" and r[5:] == ("",) * len(POINTS) for r in rows)
    assert not any(x.id_number in " ".join(r) for r in rows for x in expected.students)   # never in full
    assert tab.samples.rowCount() == 1 and tab.samples.index(0, 4).data() == "12345"
    assert "随机种子 12345" in tab.status.text()
    assert tab.seed_edit.text() == "12345"          # the seed used stays shown (a new one: asked at the next draw)


def test_an_empty_seed_is_drawn_and_shown_and_unannounced_is_kept(page, bureau):
    tab = draw(page, size="50", seed="", unannounced=True)
    (kept,) = sample_list(bureau)
    assert kept.unannounced and kept.count == 4 and kept.requested == "50 人"
    assert f"随机种子 {kept.seed}" in tab.status.text() and "暗访" in tab.status.text()
    assert tab.samples.index(0, 1).data() == "暗访"


def test_a_percent_sample(page, bureau):
    page.spotcheck.size_kind.setCurrentIndex(1)
    draw(page, size="50")
    (kept,) = sample_list(bureau)
    assert (kept.requested, kept.count) == ("50%", 2)


@pytest.mark.parametrize("size, kind, seed, message", [
    ("0", 0, "1", "抽查人数“0”无效"),
    ("", 0, "1", "抽查人数“”无效"),
    ("0", 1, "1", "抽查比例“0”无效"),
    ("101", 1, "1", "抽查比例“101”无效"),
    (".", 1, "1", "抽查比例“.”无效"),          # (the validator lets it through while typing)
    ("3", 0, "1000000000000", "随机种子 1000000000000 太大"),
])
def test_a_bad_size_or_seed_says_what_to_change_and_draws_nothing(page, bureau, shown, size, kind, seed, message):
    page.spotcheck.size_kind.setCurrentIndex(kind)
    page.spotcheck.seed_edit.setValidator(None)
    tab = draw(page, size=size, seed=seed)
    assert [m for m, _hint in shown] == [message]
    shown.clear()
    assert sample_list(bureau) == [] and tab.saved == []


def test_a_false_result_needs_a_note_then_shows_in_the_report_figures(page, bureau, shown):
    tab = draw(page, size="4")
    select_student(tab, 2)
    form = tab.form
    assert form.heading.text().startswith("第 2 号")
    form.choices[FUNDS].setCurrentIndex(form.choices[FUNDS].findText(FALSE_LABEL))
    form.save_button.click()
    assert [m for m, _h in shown] == ["“资金到账”核查为不属实，但没有填写说明"]
    shown.clear()
    sid = sample_list(bureau)[0].id
    assert spot_report(bureau, sid).stored.results == {}            # nothing entered
    page.emitted.clear()
    form.choices[0].setCurrentIndex(form.choices[0].findText(TRUE_LABEL))
    form.notes[FUNDS].setText("家长称只收到 1000 元")
    form.save_button.click()
    assert page.emitted == [Changes.SPOTCHECK]
    figures = spot_report(bureau, sid).json["totals"]
    assert figures["points"]["FUNDS"] == {"label": "资金到账", "truthful": 0, "false": 1}
    assert figures["points"]["ENROLMENT"]["truthful"] == 1
    assert [n["note"] for n in figures["false_notes"]] == ["家长称只收到 1000 元"]
    # on screen: the student's row, the report's 合计 line and the notes
    row = shown_students(tab)[tab.students.position(2)]
    assert row[5] == TRUE_LABEL and row[5 + FUNDS] == FALSE_LABEL
    report = tab.report
    total = [report.index(report.rowCount() - 1, c).data() for c in range(report.columnCount())]
    assert total[:3] == ["合计", "4", "0"] and total[3] == "1 / 0" and total[3 + FUNDS] == "0 / 1"
    assert "家长称只收到 1000 元" in tab.notes.toPlainText()
    # the selection stays on the student; an entered point offers 撤回 instead of 未核查
    assert form.row is not None and form.row.id == 2
    assert form.choices[FUNDS].currentText() == FALSE_LABEL and form.choices[FUNDS].count() == 3
    assert "撤回" in form.choices[FUNDS].itemText(0)
    assert form.notes[FUNDS].text() == "家长称只收到 1000 元"
    # saving again without a change enters nothing
    page.emitted.clear()
    form.save_button.click()
    assert page.emitted == [] and "没有新的核查结果" in tab.status.text()


def test_results_sheet_exported_filled_and_imported(page, bureau, tmp_path, monkeypatch):
    tab = draw(page, size="4")
    tab.sheet_button.click()
    sheet = tmp_path / tab.saved[-1]
    wb = load_workbook(sheet)
    ws = wb.active
    assert ws["A5"].value == "1"
    for col in "EGIM":
        ws[f"{col}5"] = TRUE_LABEL
    ws["K5"], ws["L5"] = FALSE_LABEL, "银行流水只有 1000 元"
    wb.save(sheet)
    monkeypatch.setattr(tab, "ask_open", lambda title: sheet)
    page.emitted.clear()
    tab.import_button.click()
    assert page.emitted == [Changes.SPOTCHECK]
    assert "新登记或改动 5 项" in tab.status.text()
    first = shown_students(tab)[tab.students.position(1)]
    assert first[5:] == (TRUE_LABEL, TRUE_LABEL, TRUE_LABEL, FALSE_LABEL, TRUE_LABEL)
    assert tab.samples.index(0, 7).data() == "1 / 4"


def test_a_bad_results_sheet_enters_nothing(page, bureau, tmp_path, monkeypatch, shown):
    tab = draw(page, size="4")
    tab.sheet_button.click()
    sheet = tmp_path / tab.saved[-1]
    wb = load_workbook(sheet)
    wb.active["K5"] = FALSE_LABEL              # no note
    wb.active["E5"] = TRUE_LABEL
    wb.save(sheet)
    monkeypatch.setattr(tab, "ask_open", lambda title: sheet)
    page.emitted.clear()
    tab.import_button.click()
    assert len(shown) == 1
    shown.clear()
    assert page.emitted == [] and spot_report(bureau, sample_list(bureau)[0].id).stored.results == {}


def test_checklists_again_and_the_report_pdf_are_written_and_opened(page, tmp_path):
    tab = draw(page)
    tab.opened.clear()
    tab.print_button.click()
    tab.report_button.click()
    assert [p.name for p in tab.opened] == ["抽查编号1-抽查名单和核查表.pdf", "抽查编号1-核查报告.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF") for p in tab.opened)
    assert "核查报告已保存" in tab.status.text()


def test_choosing_another_sample_shows_its_students(page, bureau):
    tab = draw(page, size="1", seed="7")
    draw(page, size="4", seed="8")
    assert tab.samples.rowCount() == 2 and tab.students.rowCount() == 4      # the newest is shown
    tab.samples_view.selectRow(0)
    assert tab.students.rowCount() == 1 and tab.view_data.stored.sample.seed == 7


def test_the_documents_wait_for_a_sample(page):
    tab = page.spotcheck
    assert tab.samples.rowCount() == 0
    assert not any(b.isEnabled() for b in (tab.print_button, tab.sheet_button, tab.import_button,
                                           tab.report_button))
    assert not tab.form.save_button.isEnabled()


def test_spot_check_models(qtmodeltester, page, bureau):
    draw(page, size="4")
    sid = sample_list(bureau)[0].id
    from db.spotcheck import enter_results
    enter_results(bureau, sid, "1", [("FUNDS", False, "没有到账"), ("LETTER", True, "")])
    stored = spot_report(bureau, sid).stored
    from core.spotcheck import summarise
    samples, students, report = SampleModel(), SpotStudentModel(), ReportModel()
    samples.set_rows(sample_list(bureau))
    students.set_rows(spot_rows(stored))
    report.set_rows(report_rows(summarise(stored.checked())))
    for model in (samples, students, report):
        qtmodeltester.check(model)
    assert students.index(0, 5 + FUNDS).data(3) == "资金到账：不属实（没有到账）"     # the note as tooltip


def test_entering_results_is_all_or_nothing(bureau, tmp_path):
    from core.errors import ValidationError
    from db.spotcheck import draw_and_store, enter_results
    sid = draw_and_store(bureau, tmp_path / "c.pdf", count=2, seed=1).stored.id
    with pytest.raises(ValidationError):
        enter_results(bureau, sid, "1", [("ENROLMENT", True, ""), ("FUNDS", False, " ")])
    assert spot_report(bureau, sid).stored.results == {}
    entry = enter_results(bureau, sid, "1", [("ENROLMENT", True, ""), ("FUNDS", False, "少 200 元")])
    assert entry.changed == 2 and entry.changes == Changes.SPOTCHECK
    assert enter_results(bureau, sid, "1", [("ENROLMENT", True, "")]).changes == Changes.NONE


def test_spot_check_tab_screenshot_1024x768(qtbot, shown, bureau, tmp_path, monkeypatch, app_font):
    """docs/screenshots/receiving-spotcheck.png (ZIZHU_SHOTS=folder saves it)."""
    import os

    from conftest import open_main_window
    win = open_main_window(qtbot, bureau)
    win.resize(1024, 768)
    win.show_receiving()
    page = win.receiving
    tab = page.spotcheck
    page.tabs.setCurrentWidget(tab)
    monkeypatch.setattr(tab, "ask_save", lambda title, name, filters: tmp_path / name)
    monkeypatch.setattr(tab, "open_file", lambda path: None)
    draw(page, size="4", seed="20240605")
    select_student(tab, 2)
    f = tab.form
    for i in range(len(POINTS)):
        f.choices[i].setCurrentIndex(f.choices[i].findText(TRUE_LABEL))
    f.choices[FUNDS].setCurrentIndex(f.choices[FUNDS].findText(FALSE_LABEL))
    f.notes[FUNDS].setText("家长称只收到 1000 元")
    f.save_button.click()
    qtbot.wait(30)
    from screenfit import fit_problems
    assert fit_problems(win) == []
    folder = os.environ.get("ZIZHU_SHOTS")
    if folder:
        win.grab().save(str(Path(folder) / "receiving-spotcheck.png"))
        tab.inner.setCurrentIndex(1)
        qtbot.wait(30)
        win.grab().save(str(Path(folder) / "receiving-spotcheck-report.png"))


def test_a_page_opened_on_a_drawn_sample_does_not_say_none_was_drawn(page, bureau, qtbot):
    """The status line said 还没有抽取核查样本 above a listed, selected sample until something was saved."""
    draw(page, size="1", seed="7")
    again = ReceivingPage(bureau)                   # the 汇总 page opened later, on that database
    qtbot.addWidget(again)
    again.reload()
    tab = again.spotcheck
    assert tab.samples.rowCount() == 1 and tab.selected_sample() is not None
    assert "还没有" not in tab.status.text() and "已抽取 1 次核查样本" in tab.status.text()
