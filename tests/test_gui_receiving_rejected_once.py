"""汇总 › 上报包: a refused file is one 拒收 row however often it was offered — the incoming folder
scanned again, the same file dropped twice — like ``consolidate status``'s “拒收 N 次” and the
汇总包's counts (distinct files, by SHA-256). The row is the latest offer, its 说明 saying how often
the same file was refused and since when; a refused file accepted since says so."""
from __future__ import annotations

import shutil
from collections import Counter

import pytest
from receiving_fixtures import receiver_db, tampered, two_kid_school
from test_gui_receiving_reporting import open_page

from cli.commands import run
from db import trust_store
from db.receiving_status import intake_status
from db.receiving_views import package_history
from db.session import open_database
from gui.receiving.models import ACCEPTED, REFUSED

pytestmark = pytest.mark.usefixtures("shown")

A, U = "4228220101", "4228220103"


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    """School A (its key registered by the station), school U (its key not registered: refused as
    signed by an unknown key) and a tampered copy of A's package."""
    folder = tmp_path_factory.mktemp("schools")
    a = two_kid_school(folder)
    u = two_kid_school(folder, code=U, name="未登记小学", township="龙坪乡", first=5)
    bad = tampered(a, folder / "龙坪-被改动.zip")
    return a, u, bad


@pytest.fixture
def station(tmp_path, schools):
    a, _u, _bad = schools
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    trust_store.register(d, trust_store.read_key_file(a.key_file, a.name), "")
    yield d
    d.close()


@pytest.fixture
def page(qtbot, station, monkeypatch):
    return open_page(qtbot, station, monkeypatch)


def refused_rows(page):
    return [r for r in page.packages.model.rows() if r.state == REFUSED]


def test_a_folder_scanned_three_times_lists_each_refused_file_once(page, station, schools, tmp_path):
    a, u, bad = schools
    incoming = tmp_path / "收件箱"
    incoming.mkdir()
    for path in (a.path, u.path, bad):
        shutil.copy(path, incoming / path.name)
    for _ in range(3):                       # the clerk scans the incoming folder again and again
        page.take_in([incoming])
    rows = refused_rows(page)
    assert sorted(r.file_name for r in rows) == sorted([u.path.name, bad.name])
    assert [r.state for r in page.packages.model.rows() if r.school_code == A and r.state != REFUSED] == [ACCEPTED]
    for r in rows:
        assert r.reason.startswith("同一文件已拒收 3 次（首次 ")
    unknown = next(r for r in rows if r.school_code == U)
    assert "签名人未知" in unknown.reason and u.fingerprint in unknown.reason     # the reason stays whole
    text = page.packages.count_label.text()
    assert "拒收 2" in text and "拒收 6" not in text
    # the same count as consolidate status: per school, the distinct files refused
    per_school = Counter(r.school_code for r in rows)
    status = {s.code: s.refused for s in (*intake_status(station).schools, *intake_status(station).unlisted)}
    assert all(status.get(code, n) == n for code, n in per_school.items())
    assert sum(1 for r in package_history(station).refused if r.school_code == U) == 1


def test_the_row_is_the_latest_offer(page, schools, tmp_path):
    _a, u, _bad = schools
    page.take_in([u.path])
    [once] = refused_rows(page)
    assert "同一文件" not in once.reason and once.reason.startswith("签名人未知")    # refused once: the reason alone
    renamed = tmp_path / "未登记小学-再次上报.zip"          # the same bytes under another name
    shutil.copy(u.path, renamed)
    page.take_in([renamed])
    [row] = refused_rows(page)
    assert row.file_name == renamed.name
    assert row.reason.startswith("同一文件已拒收 2 次（首次 ")
    [latest] = package_history(page.db).refused
    assert row.received_at == f"{latest.at:%Y-%m-%d %H:%M}" and latest.attempts == 2
    assert latest.first_at is not None and latest.first_at <= latest.at


def test_different_refused_files_of_a_school_are_each_listed(page, schools, tmp_path):
    a, _u, bad = schools
    other = tampered(a, tmp_path / "龙坪-又被改动.zip", member="report.pdf")
    page.take_in([bad, other])
    page.take_in([bad, other])
    assert sorted(r.file_name for r in refused_rows(page)) == sorted([bad.name, other.name])


def test_a_refused_file_accepted_since_says_so(page, station, schools, capsys):
    _a, u, _bad = schools
    page.take_in([u.path])
    page.take_in([u.path])
    trust_store.register(station, trust_store.read_key_file(u.key_file, u.name), "")
    page.take_in([u.path])                   # its signer registered: the same file is accepted now
    [row] = refused_rows(page)
    assert row.reason.endswith("（此文件现已接收）")
    assert [r.state for r in page.packages.model.rows() if r.school_code == U and r.state != REFUSED] == [ACCEPTED]
    assert run(["--db", str(station.path), "consolidate", "status"]) == 0
    # the CLI counts no refusal for the school: its one refused file is taken since (the list keeps its history)
    assert "拒收" not in capsys.readouterr().out


def test_package_model_with_merged_refusals(qtmodeltester, page, schools):
    _a, u, bad = schools
    for _ in range(2):
        page.take_in([u.path, bad])
    assert len(refused_rows(page)) == 2
    qtmodeltester.check(page.packages.model)
