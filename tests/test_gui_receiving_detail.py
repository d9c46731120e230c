# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""汇总 page, continued: the selected package or cross-school finding in full under its list
(the 说明 and 问题 texts are cut in a cell at 1024×768), one wording of an intake's result for
the CLI and the result dialog, and 导出汇总包… writing a package the receiver's key verifies."""
from __future__ import annotations

from pathlib import Path

import pytest
from receiving_fixtures import STATION_PASSPHRASE
from test_gui_receiving import drop, drop_twins, page, schools, station  # noqa: F401 - fixtures

from cli.commands import run
from core.package import verify_package
from core.package_changes import PackageChanges, StudentAmounts
from db import trust_store
from db.receiving import IntakeOutcome, IntakeReport
from db.receiving_nested import StationPackage
from gui.receiving.feedback_dialog import FeedbackChoice
from gui.receiving.intake_dialog import IntakeResultDialog
from gui.receiving.models import REFUSED


def test_a_refused_package_shows_its_whole_reason_under_the_list(page, schools, qtbot):
    a, _b, c, bad = schools
    drop(qtbot, page, [a.path, c.path, bad])
    tab = page.packages
    assert "选中一行" in tab.detail.toPlainText()
    model = tab.model
    pos = next(r for r in range(model.rowCount()) if model.row_at(r).state == REFUSED
               and model.row_at(r).file_name == c.path.name)
    tab.select_key(model.row_at(pos).id)
    text = tab.detail.toPlainText()
    reason = model.row_at(pos).reason
    assert len(reason) > 40 and reason in text and c.fingerprint in text     # whole, not cut
    assert f"【{REFUSED}】" in text and c.path.name in text
    # a reload keeps the selection and the pane follows it
    page.reload()
    assert reason in tab.detail.toPlainText()
    accepted = next(r for r in range(model.rowCount()) if model.row_at(r).file_name == a.path.name)
    tab.select_key(model.row_at(accepted).id)       # its amount is the students' sum, not the package's claim
    assert "（学生明细相加，精确到分）" in tab.detail.toPlainText() and "声明" not in tab.detail.toPlainText()
    shot(page, qtbot, "receiving-package-detail")


def shot(page, qtbot, name: str) -> None:
    """With ZIZHU_SHOTS=folder: the page at the size it has in the main window at 1024×768."""
    import os
    folder = os.environ.get("ZIZHU_SHOTS")
    if folder:
        page.resize(870, 660)
        qtbot.wait(30)
        page.grab().save(str(Path(folder) / f"{name}.png"))


def test_a_cross_school_finding_shows_in_full_with_the_other_school_and_what_to_do(page, station, schools,
                                                                                     qtbot, tmp_path):
    from receiving_fixtures import kid_id

    from core.idnumber import mask_id
    drop_twins(qtbot, page, station, schools, tmp_path)
    tab = page.findings
    tab.view.selectRow(0)
    row = tab.source_row(tab.view.selectionModel().selectedRows()[0])
    text = tab.detail.toPlainText()
    assert row.message in text and row.hint in text and row.title in text
    other = "龙坪乡中心小学" if "三里乡" in row.school else "三里乡小学"
    assert f"同时享受资助的学校：{other}（1200.00 元）" in text
    number = row.id_number
    assert number in (kid_id(1), kid_id(2)) and mask_id(number) in text and number not in text
    page.tabs.setCurrentWidget(tab)
    shot(page, qtbot, "receiving-finding-detail")


def _outcomes() -> IntakeReport:
    """An intake's every kind of result, as db.receiving reports them."""
    changes = PackageChanges(added=(StudentAmounts("422822200805010019", "学生9", {"HS_TUITION": 100000}),),
                             removed=(), changed=(), old_total=240000, new_total=340000)
    return IntakeReport((
        IntakeOutcome("a.zip", Path("a.zip"), "accepted", school_code="4228220101", school_name="龙坪乡中心小学",
                      students=2, total_fen=240000, via="ST4228"),
        IntakeOutcome("r2.zip", Path("r2.zip"), "accepted", school_code="4228220103", school_name="三里乡小学",
                      students=3, total_fen=340000, replaced_file="r1.zip", changes=changes,
                      items={"HS_TUITION": "免学费"}),
        IntakeOutcome("a.zip", Path("a.zip"), "duplicate", reason="此前已接收过同一文件"),
        IntakeOutcome("bad.zip", Path("bad.zip"), "refused", reason="签名人未知：……", school_code="4228220109",
                      school_name="花坪小学"),
    ), (StationPackage("station.zip", "0" * 64, "ST4228", "龙坪乡扶贫工作站", 2023, 1),))


def test_the_result_dialog_and_consolidate_add_say_the_same(qtbot, monkeypatch, capsys, tmp_path):
    from receiving_fixtures import receiver_db

    import db.receiving
    report = _outcomes()
    monkeypatch.setattr(db.receiving, "intake", lambda database, paths, history=False: report)
    assert run(["--db", str(receiver_db(tmp_path / "r.sqlite")), "consolidate", "add", "a.zip"]) == 1
    printed = capsys.readouterr().out.splitlines()
    dialog = IntakeResultDialog(report)
    qtbot.addWidget(dialog)
    lines = dialog.text.toPlainText().splitlines()
    assert printed == [*lines, dialog.headline.text()]
    assert lines[0].startswith("汇总包 station.zip：龙坪乡扶贫工作站（代码 ST4228）的签名核验通过")
    assert "（正式，经龙坪乡扶贫工作站（代码 ST4228）转报）" in lines[1]            # the station named
    assert lines[2].startswith("已替换：r2.zip") and lines[3] == "  替换了此前接收的 r1.zip（保留在历史中）"
    assert any("新增 1 人" in line for line in lines) and "422822********0019" in "\n".join(lines)
    assert "422822200805010019" not in "\n".join(lines)
    assert dialog.headline.text() == ("共 4 个文件：接收 2 个（其中替换 1 个），已接收过 1 个，拒收 1 个；"
                                      "拒收的提交包没有导入任何数据")


@pytest.fixture
def exporting(page, monkeypatch, tmp_path):
    page.asked, page.done = [], []

    def ask_save(title, name, filters):
        page.asked.append(name)
        return tmp_path / "out" / name
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(page, "ask_save", ask_save)
    monkeypatch.setattr(page, "ask_passphrase", lambda first: page.asked.append(first) or STATION_PASSPHRASE)
    monkeypatch.setattr(page, "show_done", lambda title, text: page.done.append(text))
    return page


def test_export_writes_a_consolidated_package_the_receivers_key_verifies(exporting, station, schools, qtbot,
                                                                         tmp_path):
    from datetime import date

    from db.keys import export_public_key
    p = exporting
    a, b, *_ = schools
    drop(qtbot, p, [a.path, b.path])
    p.export_button.click()
    name = f"ST4228-龙坪乡扶贫工作站-2023–2024学年-汇总包-{date.today():%Y%m%d}.zip"
    assert p.asked == [name, True]                # no key yet: the passphrase is set (typed twice)
    path = tmp_path / "out" / name
    key = export_public_key(station, tmp_path / "station-key.txt")
    signer = trust_store.read_key_file(key.path, "龙坪乡扶贫工作站").signer
    result = verify_package(path, [signer])
    assert result.ok and result.manifest["kind"] == "consolidated"
    assert result.manifest["totals"]["total"] == "4800.00"
    [text] = p.done
    assert str(path) in text and "2 所学校" in text and "4800.00 元" in text and key.fingerprint in text
    p.export_button.click()                       # the key exists now: asked once
    assert p.asked[-1] is False


def test_export_with_nothing_received_asks_nothing(exporting, shown):
    exporting.export_button.click()
    assert [m for m, _h in shown] == ["还没有接收任何上报包，无法导出汇总包。"] and exporting.asked == []
    shown.clear()


def test_a_wrong_passphrase_writes_nothing(exporting, schools, qtbot, tmp_path, shown, monkeypatch):
    a, *_ = schools
    drop(qtbot, exporting, [a.path])
    exporting.export_button.click()                  # makes the key
    monkeypatch.setattr(exporting, "ask_passphrase", lambda first: "wrong-passphrase")
    for f in (tmp_path / "out").iterdir():
        f.unlink()
    exporting.export_button.click()
    assert len(shown) == 1 and "口令" in shown[0][0]
    shown.clear()
    assert list((tmp_path / "out").iterdir()) == []


def test_feedback_packages_for_the_schools_with_findings_are_signed_by_the_receiver(exporting, station, schools,
                                                                                  qtbot, tmp_path, monkeypatch):
    from db.keys import export_public_key
    p = exporting
    folder = tmp_path / "反馈"
    folder.mkdir()
    monkeypatch.setattr(p, "ask_feedback_folder", lambda: folder)
    monkeypatch.setattr(p, "ask_feedback_schools", lambda schools: FeedbackChoice())     # every school with findings
    drop_twins(qtbot, p, station, schools, tmp_path)
    p.feedback_button.click()
    assert p.asked == [True]                             # no key yet: the passphrase is set (typed twice)
    written = sorted(folder.iterdir())
    assert [f.name.split("-")[0] for f in written] == ["4228220101", "4228220104"]   # both schools of the twins
    key = export_public_key(station, tmp_path / "station-key.txt")
    signer = trust_store.read_key_file(key.path, "龙坪乡扶贫工作站").signer
    assert all(verify_package(f, [signer]).ok for f in written)
    [text] = p.done
    assert text.startswith("已生成 2 个反馈包") and "问题 2 个（错误 2，警告 0，提示 0）" in text


def test_feedback_with_nothing_received_asks_nothing(exporting, shown):
    exporting.feedback_button.click()
    assert [m for m, _h in shown] == ["还没有接收任何上报包，无法生成反馈包。"] and exporting.asked == []
    shown.clear()
