"""The report's and the workbook's 生成人: the 经办人 of 公文信息 (设置, `settings set 经办人 …`) with the
system account the audit log names, or that account alone, saying the 经办人 is not filled in. The audit
log keeps naming the system account (its format is unchanged)."""
import re
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from conftest import open_main_window
from pdftext import pdf_text
from sqlalchemy import select

from cli.commands import run
from core.exports.data import Official
from core.exports.output import generated_by_label
from core.exports.report import write_report
from core.exports.sample import sample_export_data
from db.audit import default_actor
from db.models import AuditEntry
from db.official import official_values
from db.workflows import fill_demo

PASS = "a long enough passphrase"


def test_the_label_names_the_clerk_or_says_there_is_none(tmp_path):
    assert generated_by_label("张老师", "root") == "张老师（系统账户 root）"
    assert generated_by_label("", "root") == "（未填写经办人，系统账户 root）"
    data = replace(sample_export_data(), generated_by="root", official=Official("建始县", clerk="张老师"))
    write_report(tmp_path / "r.pdf", data)
    assert "生成人张老师（系统账户root）" in re.sub(r"\s+", "", pdf_text(tmp_path / "r.pdf", 1))


def test_the_receivers_report_names_its_clerk_too(tmp_path):
    from test_consolidated_export import _three, consolidation

    from core.exports.consolidated_report import write_consolidated_report
    c = replace(consolidation(_three()), generated_by="station", clerk="王站长")
    write_consolidated_report(tmp_path / "c.pdf", c)
    assert "生成人王站长（系统账户station）" in re.sub(r"\s+", "", pdf_text(tmp_path / "c.pdf", 1))
    write_consolidated_report(tmp_path / "d.pdf", replace(c, clerk=""))
    assert "生成人（未填写经办人，系统账户station）" in re.sub(r"\s+", "", pdf_text(tmp_path / "d.pdf", 1))


def _package_texts(path, tmp_path):
    with zipfile.ZipFile(path) as z:
        (tmp_path / "report.pdf").write_bytes(z.read("report.pdf"))
        (tmp_path / "workbook.xlsx").write_bytes(z.read("workbook.xlsx"))
    report = re.sub(r"\s+", "", pdf_text(tmp_path / "report.pdf", 1))
    cells = {str(c.value) for ws in openpyxl.load_workbook(tmp_path / "workbook.xlsx") for row in ws.iter_rows()
             for c in row if c.value is not None}
    return report, cells


@pytest.fixture
def demo_path(db):
    fill_demo(db, n_students=30)
    path = str(db.path)
    db.close()
    return path


def test_the_package_prints_the_clerk_set_in_settings(demo_path, tmp_path, capsys):
    pw = tmp_path / "pw.txt"
    pw.write_text(PASS, encoding="utf-8")
    account = default_actor()
    assert run(["--db", demo_path, "export", str(tmp_path / "a.zip"), "--draft", "--passphrase-file", str(pw)]) == 0
    report, cells = _package_texts(tmp_path / "a.zip", tmp_path)
    assert f"生成人（未填写经办人，系统账户{account}）" in report
    assert f"（未填写经办人，系统账户 {account}）" in cells

    assert run(["--db", demo_path, "settings", "set", "经办人", "张老师"]) == 0
    assert "经办人（clerk）：张老师" in capsys.readouterr().out
    assert run(["--db", demo_path, "export", str(tmp_path / "b.zip"), "--draft", "--passphrase-file", str(pw)]) == 0
    report, cells = _package_texts(tmp_path / "b.zip", tmp_path)
    assert f"生成人张老师（系统账户{account}）" in report and "未填写经办人" not in report
    assert f"张老师（系统账户 {account}）" in cells

    from db.session import open_database
    d = open_database(demo_path)
    try:
        with d.session() as s:
            entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    finally:
        d.close()
    clerk = [e for e in entries if e.field == "official.clerk"]
    assert [(e.old, e.new, e.actor) for e in clerk] == [("", "张老师", account)]     # audited, by the account
    assert {e.actor for e in entries if e.entity == "export"} == {account}


def test_a_placeholder_clerk_is_refused(demo_path, capsys):
    assert run(["--db", demo_path, "settings", "set", "clerk", "某某"]) == 2
    assert "经办人“某某”像是模板里的示例" in capsys.readouterr().err


def test_settings_page_edits_the_clerk(qtbot, db, shown):
    fill_demo(db, n_students=5)
    from gui.main_window import SETTINGS
    win = open_main_window(qtbot, db, SETTINGS)
    edit = win.settings.official.edits["clerk"]
    edit.setText("李老师")
    win.settings.save_official_button.click()
    with db.session() as s:
        assert official_values(s)["clerk"] == "李老师"


def test_the_station_export_prints_its_clerk(tmp_path):
    from receiving_fixtures import STATION_PASSPHRASE, trusting_receiver, two_kid_school

    from db.consolidation import export_consolidated
    from db.official import set_official
    from db.receiving import intake
    pkg = two_kid_school(tmp_path)
    for d in trusting_receiver(tmp_path / "station.sqlite", [pkg]):
        assert intake(d, [pkg.path]).count("accepted") == 1
        with d.session() as s:
            set_official(s, "经办人", "王站长")
        out = export_consolidated(d, tmp_path / "station.zip", STATION_PASSPHRASE).path
    with zipfile.ZipFile(out) as z:
        (tmp_path / "report.pdf").write_bytes(z.read("report.pdf"))
    assert f"生成人王站长（系统账户{default_actor()}）" in re.sub(r"\s+", "", pdf_text(tmp_path / "report.pdf", 1))
