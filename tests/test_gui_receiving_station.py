"""The bureau's 汇总 page takes a station's 汇总包: the result dialog names the station and which
school packages it forwarded, and the package list shows each school inside it (经…转报)."""
from __future__ import annotations

import pytest
from receiving_fixtures import receiver_db, station_package, two_kid_school
from test_gui_receiving import open_page

from db import trust_store
from db.session import open_database
from gui.receiving.intake_dialog import IntakeResultDialog
from gui.receiving.models import ACCEPTED, REFUSED

A, B, ST = "4228220501", "4228220502", "ST4228"


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("station")
    a = two_kid_school(root, A, "龙坪乡中心小学", township="龙坪乡", first=1)
    b = two_kid_school(root, B, "高坪镇中心小学", township="高坪镇", first=11)
    return a, b, station_package(root, [a, b])


@pytest.fixture
def page(qtbot, shown, tmp_path, packages, monkeypatch):
    """The bureau's page: it trusts the station and school A, not school B."""
    a, _b, station = packages
    d = open_database(receiver_db(tmp_path / "bureau.sqlite", name="建始县教育体育局", code="JY4228"))
    for pkg in (station, a):
        trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
    p = open_page(qtbot, d, monkeypatch, (1024, 768))
    yield p
    d.close()


def test_a_station_package_shows_each_school_inside_and_who_forwarded_it(page, packages, qtbot, tmp_path):
    a, b, station = packages
    page.take_in([station.path])
    qtbot.waitUntil(lambda: bool(page.reports))
    (report,) = page.reports
    dialog = IntakeResultDialog(report)
    qtbot.addWidget(dialog)
    lines = dialog.text.toPlainText().splitlines()
    assert lines[0] == (f"汇总包 {station.path.name}：龙坪乡扶贫工作站（代码 {ST}）的签名核验通过；"
                        "其中 2 个学校提交包逐个用各校的公钥核验：")
    assert f"已接收：{a.path.name} — 学校代码 {A}（龙坪乡中心小学），学生 2 人，合计 2400.00 元" \
           f"（正式，经龙坪乡扶贫工作站（代码 {ST}）转报）" in lines       # as consolidate add prints it
    assert any(line.startswith(f"  原因：签名人未知：签名人公钥指纹 {b.fingerprint}") for line in lines)
    qtbot.waitUntil(lambda: page.packages.model.rowCount() == 2)
    model = page.packages.model
    rows = {(model.index(r, 0).data(), model.index(r, 3).data()): model.index(r, 8).data()
            for r in range(model.rowCount())}
    assert rows[(A, ACCEPTED)] == f"不在应报学校名单中；经 {ST} 转报"
    assert rows[(B, REFUSED)].endswith(f"（汇总包 {station.path.name}，龙坪乡扶贫工作站（代码 {ST}）转报）")
    qtbot.wait(50)
    page.grab().save(str(tmp_path / "bureau-page.png"))
    dialog.resize(760, 480)
    dialog.grab().save(str(tmp_path / "bureau-intake.png"))


def test_a_school_that_registers_its_receivers_key_is_not_a_receiver(packages, tmp_path, monkeypatch):
    """To import a 反馈包 a school registers its station's key: its 汇总 page stays hidden, until
    it is offered a package itself (a central school that also receives)."""
    from db.receiving import intake
    from db.receiving_views import receives
    a, b, station = packages
    school = open_database(a.db_path)
    try:
        assert not receives(school)
        trust_store.register(school, trust_store.read_key_file(station.key_file, station.name))
        assert not receives(school)
        intake(school, [b.path])                                 # offered a package: now it receives
        assert receives(school)
    finally:
        school.close()
    fresh = open_database(receiver_db(tmp_path / "fresh.sqlite"))
    try:
        trust_store.register(fresh, trust_store.read_key_file(a.key_file, a.name))
        assert receives(fresh)                                   # a station: its first key shows the page
    finally:
        fresh.close()
