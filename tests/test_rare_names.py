"""Names with characters the bundled font lacks (CJK Extension A, Extension B and later) are told to
the clerk student by student — masked ID number (the grade on the notice, which holds none), the
characters, □ in the PDF, what to do — by every PDF writer, the package export, the CLI and the
letters page; the files are still written (core.exports.rare_names)."""
import re
from dataclasses import replace

import pytest
from conftest import open_main_window
from pdftext import pdf_text
from reportlab.pdfbase import pdfmetrics

from cli.commands import run
from core.exports.letters import write_letters
from core.exports.notice import write_notice_pdf
from core.exports.notice_text import subsidised
from core.exports.output import grade_label
from core.exports.pdf_common import FONT, register_fonts
from core.exports.rare_names import RareNames
from core.exports.report import write_report
from core.exports.sample import sample_export_data
from core.idnumber import mask_id

EXT_A, EXT_A2, EXT_B = "䶮", "㛃", "𠇔"


def flat(path) -> str:
    return re.sub(r"\s+", "", pdf_text(path))


@pytest.fixture(scope="module")
def data():
    return sample_export_data()


@pytest.fixture(scope="module")
def rare(data):
    """The sample with one subsidised student named 王䶮 whose parent is 𠇔大山, and a listed finding's
    student named 李㛃."""
    st = subsidised(data)[0][0]
    shown = next(i for i, f in enumerate(data.findings) if f.state.value in ("open", "accepted") and f.id_number)
    findings = list(data.findings)
    findings[shown] = replace(findings[shown], name="李" + EXT_A2)
    students = [replace(s, name="王" + EXT_A, head_name=EXT_B + "大山") if s.key == st.key else s
                for s in data.students]
    return replace(data, students=students, findings=findings), st, findings[shown]


def _line(name, at, text=None, what="姓名"):
    rare = RareNames()
    rare.check(name, at, text, what)
    [line] = rare.lines
    return line


def test_the_font_decides_which_characters_are_missing():
    register_fonts()
    cmap = pdfmetrics.getFont(FONT).face.charToGlyph
    for ch in (EXT_A, EXT_A2, EXT_B):
        assert ord(ch) not in cmap
        assert _line("王" + ch, "x")
    for common in ("张三", "王喆", "李龑", "赵堃"):     # rare-looking but in the basic block: printed
        rare = RareNames()
        rare.check(common, "x")
        assert rare.lines == [] and rare.texts == set()


def test_a_warning_names_the_student_the_characters_and_what_to_do():
    line = _line("王" + EXT_A + EXT_A2, "身份证号 110101********1234")
    assert line == ("学生 王䶮㛃（身份证号 110101********1234）的姓名中的“䶮”（U+4DAE）、“㛃”（U+36C3）字打印字体中没有，"
                    "PDF 中印成“□”：请打印后手写补全，并核对姓名是否录入正确")
    parent = _line("王五", "身份证号 110101********1234", EXT_B + "大山", "家长姓名")
    assert parent.startswith("学生 王五（身份证号 110101********1234）的家长姓名“𠇔大山”中的“𠇔”（U+201D4）字")


def test_letters_tell_each_student_once_and_are_still_written(rare, tmp_path):
    data, st, _f = rare
    at = f"身份证号 {mask_id(st.id_number)}"
    out = tmp_path / "letters.pdf"
    warnings = write_letters(out, data)
    assert warnings == [_line("王" + EXT_A, at), _line("王" + EXT_A, at, EXT_B + "大山", "家长姓名")]
    assert st.id_number not in "".join(warnings)
    text = flat(out)
    assert "王□" in text and "尊敬的□大山" in text


def test_the_notice_points_at_the_grade_when_it_holds_no_id(rare, tmp_path):
    data, st, _f = rare
    full = write_notice_pdf(tmp_path / "n.pdf", data)
    assert full == [_line("王" + EXT_A, f"身份证号 {mask_id(st.id_number)}")]
    no_ids = replace(data, students=[replace(s, id_number="") for s in data.students])    # the notice's own read
    out = tmp_path / "n2.pdf"
    assert write_notice_pdf(out, no_ids) == [_line("王" + EXT_A, grade_label(st))]
    assert "王□" in flat(out)


def test_the_report_tells_the_listed_findings_names(rare, tmp_path):
    data, _st, finding = rare
    warnings = write_report(tmp_path / "r.pdf", data)
    assert _line("李" + EXT_A2, f"身份证号 {mask_id(finding.id_number)}") in warnings
    assert not any(w.startswith("姓名“") for w in warnings)      # not a second time in other words


@pytest.fixture
def renamed(demo_db):
    """The demo database with one subsidised student renamed 王䶮 (its key, masked ID)."""
    from db.usecases import edit_student
    from db.views import snapshot
    letters = snapshot(demo_db).letters
    pos = letters.positions[0]
    key, number = letters.students.ids[pos], letters.students.column("id_number")[pos]
    edit_student(demo_db, key, {"name": "王" + EXT_A})
    return demo_db, key, f"身份证号 {mask_id(number)}"


def test_the_package_and_the_cli_say_it_once(renamed, tmp_path, capsys):
    from db.exports import export_package
    db, _key, at = renamed
    line = _line("王" + EXT_A, at)
    result = export_package(db, tmp_path / "p.zip", "a long enough passphrase", draft=True, letters=True)
    assert result.warnings.count(line) == 1          # report, notice and letters: told once
    path = str(db.path)
    db.close()
    assert run(["--db", path, "letters", str(tmp_path / "l.pdf"), "--draft"]) == 0
    assert run(["--db", path, "notice", str(tmp_path / "n.pdf")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed.count("注意：" + line) == 1           # letters
    assert any(p.startswith("注意：学生 王䶮（") and "的姓名中的“䶮”（U+4DAE）字" in p for p in printed[2:])  # notice


def test_the_letters_page_shows_them_in_a_box_that_stays(renamed, qtbot, shown, tmp_path, monkeypatch):
    import gui.letters_view as lv
    from gui.main_window import LETTERS
    db, key, at = renamed
    win = open_main_window(qtbot, db, LETTERS)
    page = win.letters
    told: list[list[str]] = []
    monkeypatch.setattr(page, "show_warnings", lambda warnings: told.append(list(warnings)))
    row = next(i for i in range(page.model.rowCount()) if page.model.row_key(i) == key)
    page.view.selectRow(page.proxy.mapFromSource(page.model.index(row, 0)).row())
    monkeypatch.setattr(lv, "ask_save_path", lambda *a: tmp_path / "告知书.pdf")
    page.save_selected()
    assert (tmp_path / "告知书.pdf").exists()
    assert told == [[_line("王" + EXT_A, at)]]


def test_a_message_naming_a_told_student_is_not_warned_again_but_another_character_is(data, tmp_path):
    f0 = next(f for f in data.findings if f.state.value == "open" and f.id_number)
    named = replace(f0, name="李" + EXT_A2, message=f"学生名单姓名“李{EXT_A2}”与建档立卡名单姓名“李洁”不一致")
    other = replace(f0, name="张三", message=f"户主“{EXT_B}大山”与名单不一致")
    warnings = write_report(tmp_path / "r.pdf", replace(data, findings=[named, other]))
    assert warnings[0] == _line("李" + EXT_A2, f"身份证号 {mask_id(f0.id_number)}")
    assert warnings[1:] == [f"问题说明“{other.message}”中的“{EXT_B}”字字体中没有，打印时请手写补上"]


def test_the_export_page_shows_a_few_warnings_and_all_of_them_behind_a_button(qtbot, db, shown, monkeypatch):
    from gui import notes
    from gui.export_view import ExportPage
    page = ExportPage(db)
    qtbot.addWidget(page)
    page.show()
    boxes: list[list[str]] = []
    monkeypatch.setattr(page, "show_warnings", lambda warnings: boxes.append(list(warnings)))
    many = [f"第{i}条" for i in range(notes.INLINE + 2)]
    page._show_result("已导出", many)
    text = page.last_export.text()
    assert text.startswith("已导出\n注意：第0条") and f"注意：第{notes.INLINE - 1}条" in text
    assert f"注意：第{notes.INLINE}条" not in text and "另有 2 条注意事项" in text
    assert page.notes_button.isVisible()
    page.notes_button.click()
    assert boxes == [many]
    page._show_result("已导出", many[:2])
    assert page.last_export.text() == "已导出\n注意：第0条\n注意：第1条" and not page.notes_button.isVisible()


def test_the_report_points_at_a_student_without_an_id_by_grade_and_at_a_roster_person_as_such(rare, tmp_path):
    data, _st, finding = rare
    no_id = replace(finding, id_number="", grade="高中高一1班")
    person = replace(finding, name="赵" + EXT_A2, roster_person=True)
    warnings = write_report(tmp_path / "r.pdf", replace(data, findings=[no_id, person]))
    assert warnings[:2] == [_line("李" + EXT_A2, "高中高一1班"),
                            _line("赵" + EXT_A2, f"身份证号 {mask_id(finding.id_number)}").replace(
                                "学生 ", "建档立卡人员 ", 1)]


def test_a_student_without_an_id_is_told_once_in_a_package(renamed, tmp_path):
    """The report, the notice and the letters point at a student without an ID the same way (the grade)."""
    from db.exports import export_package
    from db.usecases import check, edit_student
    db, key, _at = renamed
    edit_student(db, key, {"id_number": ""})
    check(db)                                         # the missing ID: an open finding listed by name
    result = export_package(db, tmp_path / "p.zip", "a long enough passphrase", draft=True, letters=True)
    told = [w for w in result.warnings if w.startswith("学生 王䶮（")]
    assert len(told) == 1 and "身份证号" not in told[0], result.warnings


def test_the_warnings_box_holds_the_first_in_its_text_and_all_behind_details(qtbot, shown):
    from gui import notes
    many = [f"第{i}条注意" for i in range(notes.IN_BOX + 3)]
    box = notes.warnings_box(None, "注意事项", many)
    qtbot.addWidget(box)
    assert box.text() == "\n".join(many[:notes.IN_BOX]) and "另有 3 条" in box.informativeText()
    assert box.detailedText() == "\n".join(many)
    few = notes.warnings_box(None, "注意事项", many[:2])
    qtbot.addWidget(few)
    assert few.text() == "第0条注意\n第1条注意" and few.detailedText() == "" and few.informativeText() == ""
    box.resize(box.sizeHint())
    assert box.sizeHint().width() <= 1024


def test_a_page_showing_its_warnings_does_not_wait_in_tests(qtbot, shown, monkeypatch):
    """conftest's ``shown`` builds the box and does not wait for it (a test would hang on exec)."""
    from gui import notes
    built = []
    real = notes.warnings_box
    monkeypatch.setattr(notes, "warnings_box", lambda *a: built.append(real(*a)) or built[-1])
    notes.show_all(None, "注意事项", ["一条"])
    assert [b.text() for b in built] == ["一条"]
