"""Intake's examination on two threads (zlib and SHA-256 run without the GIL), and what it keeps:
every package still checked completely, refusals named, outcomes in the order given; and the examination
made ahead in a child process (db.intake_ahead), taken only when made of the same inputs."""
from __future__ import annotations

import sqlite3
import threading
import time
from types import SimpleNamespace

import pytest
from receiving_fixtures import resigned_data, tampered, trusting_receiver, two_kid_school

import core.bulk
import core.in_child
import core.intake
from core.bulk import in_parallel
from core.intake import examine_package
from db import intake_ahead, trust_store
from db.receiving import accepted_data, intake

YEAR = 2023


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    root = tmp_path_factory.mktemp("schools")
    return SimpleNamespace(a=two_kid_school(root, "4228220301", "东坪小学", first=1),
                           b=two_kid_school(root, "4228220302", "西坪小学", first=3), root=root)


@pytest.fixture
def station(tmp_path, schools):
    yield from trusting_receiver(tmp_path / "station.sqlite", (schools.a, schools.b))


def _stored(d) -> list[tuple]:
    con = sqlite3.connect(d.path)
    try:
        return con.execute("select file_name, students, total_fen from received_package order by id").fetchall()
    finally:
        con.close()


def _refusal(station, path) -> str:
    (o,) = intake(station, [path]).outcomes
    assert o.result == "refused" and o.package_id is None
    assert _stored(station) == [], "a refused package stores nothing"
    return o.reason


def test_an_unknown_funding_source_is_refused_naming_it(station, schools, tmp_path):
    def province(data):
        data["students"][0]["grants"][0]["shares"]["province"] = 100
    reason = _refusal(station, resigned_data(schools.a, tmp_path / "p.zip", province))
    assert reason == "data.json 中有本程序不认识的资金来源：province。"


@pytest.mark.parametrize(("change", "place", "what"), [
    (lambda d: d["students"][1]["grants"][0].update(amount_fen="100000"), "students[1].grants[0].amount_fen",
     "金额应为非负整数（单位：分）"),
    (lambda d: d["students"][0]["grants"][1].update(amount_fen=-1), "students[0].grants[1].amount_fen",
     "金额应为非负整数（单位：分）"),
    (lambda d: d["students"][1].pop("verified"), "students[1].verified", "应为 true 或 false"),
    (lambda d: d["students"][0].update(name=7), "students[0].name", "应为文字"),
    (lambda d: d["students"][0]["grants"][0]["shares"].update(city=1.5), "students[0].grants[0].shares.city",
     "金额应为非负整数（单位：分）"),
    (lambda d: d["findings"].insert(0, {"code": "X"}), "findings[0].severity", "应为文字"),
    (lambda d: d["totals"].pop("total"), "totals.total", "金额应为非负整数（单位：分）"),
    # beyond SQLite's integers (an OverflowError stopped the whole intake) or beyond any real amount
    (lambda d: d["students"][0]["grants"][0].update(amount_fen=2 ** 63), "students[0].grants[0].amount_fen",
     f"金额 {2 ** 63} 分超出范围（最多 100000000.00 元）"),
    (lambda d: d["students"][0]["grants"][0].update(amount_fen=10 ** 10 + 1), "students[0].grants[0].amount_fen",
     "金额 10000000001 分超出范围（最多 100000000.00 元）"),
    (lambda d: d["students"][0]["grants"][0]["shares"].update(city=2 ** 64), "students[0].grants[0].shares.city",
     f"金额 {2 ** 64} 分超出范围（最多 100000000.00 元）"),
    (lambda d: d["totals"].update(total=2 ** 63), "totals.total", f"金额 {2 ** 63} 分超出范围（最多 10000000000000.00 元）"),
    (lambda d: d["totals"].update(students_granted=2 ** 63), "totals.students_granted",
     f"数值 {2 ** 63} 超出范围（最多 1000000000）"),
    (lambda d: d["school"].update(school_year=2 ** 63), "school.school_year", "学年应为整数（如 2024）"),
])
def test_a_field_of_the_wrong_type_or_missing_is_refused_naming_its_place(station, schools, tmp_path,
                                                                         change, place, what):
    reason = _refusal(station, resigned_data(schools.a, tmp_path / "bad.zip", change))
    assert reason == f"提交包 bad.zip 中的 data.json 无法读取（{place}）：{what}。"


def test_an_amount_beyond_the_databases_integers_is_refused_and_the_batch_goes_on(station, schools, tmp_path):
    def huge(data):
        data["students"][0]["grants"][0]["amount_fen"] = 2 ** 63
    report = intake(station, [resigned_data(schools.a, tmp_path / "huge.zip", huge), schools.b.path])
    assert [o.result for o in report.outcomes] == ["refused", "accepted"]
    assert "超出范围" in report.outcomes[0].reason
    assert [row[0] for row in _stored(station)] == [schools.b.path.name]


def test_the_largest_amount_data_entry_takes_is_received(station, schools, tmp_path):
    def largest(data):
        grant = data["students"][0]["grants"][0]
        grant["amount_fen"], grant["shares"] = 10 ** 10, {"city": 10 ** 10}
        data["totals"]["total"] += 10 ** 10
    path = resigned_data(schools.a, tmp_path / "largest.zip", largest)
    (o,) = intake(station, [path]).outcomes
    assert o.result == "accepted", o.reason


def test_examination_runs_on_two_threads_and_outcomes_keep_the_order_given(station, schools, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(core.bulk.os, "cpu_count", lambda: 2)
    threads: set[int] = set()
    real = core.intake.examine_package

    def spy(*args, **kwargs):
        threads.add(threading.get_ident())
        time.sleep(0.05)                       # each thread holds its file long enough for the other to start
        return real(*args, **kwargs)
    monkeypatch.setattr(core.intake, "examine_package", spy)
    files = [schools.a.path, tmp_path / "missing.zip", tampered(schools.b, tmp_path / "t.zip"), schools.b.path]
    report = intake(station, files)
    assert len(threads) == 2 and threading.get_ident() not in threads
    assert [(o.path, o.result) for o in report.outcomes] == [
        (schools.a.path, "accepted"), (files[1], "refused"), (files[2], "refused"), (schools.b.path, "accepted")]
    assert "找不到文件" in report.outcomes[1].reason and "已被改动" in report.outcomes[2].reason
    assert _stored(station) == [(schools.a.path.name, 2, 240000), (schools.b.path.name, 2, 240000)]
    with station.session() as s:
        assert [len(p.data.students) for p in accepted_data(s)] == [2, 2]


def test_in_parallel_keeps_the_order_and_raises_at_the_failing_item(monkeypatch):
    monkeypatch.setattr(core.bulk.os, "cpu_count", lambda: 2)
    done: list[int] = []

    def slow_first(n: int) -> int:
        time.sleep(0.05 if n == 0 else 0)
        done.append(n)
        return n * n
    assert list(in_parallel(slow_first, range(5))) == [0, 1, 4, 9, 16]
    assert done[0] != 0                        # the later items did not wait for the first
    results = in_parallel(lambda n: 10 // n, [5, 0, 2])
    assert next(results) == 2
    with pytest.raises(ZeroDivisionError):
        next(results)


def test_in_parallel_on_one_core_runs_in_the_calling_thread(monkeypatch):
    monkeypatch.setattr(core.bulk.os, "cpu_count", lambda: 1)
    assert list(in_parallel(lambda _: threading.get_ident(), range(3))) == [threading.get_ident()] * 3


def test_an_examined_package_keeps_its_count_and_total_not_its_students(station, schools):
    with station.session() as s:
        trusted = trust_store.trusted_signers(s)
    exam = examine_package(schools.a.path, schools.a.path.read_bytes(), trusted, YEAR)
    assert exam.ok and (exam.students, exam.total_fen) == (2, 240000)
    assert exam.data is not None and exam.data.students == ()
    full = exam.with_students()
    assert [st.name for st in full.students] == ["学生1", "学生2"]
    assert sum(st.total_fen for st in full.students) == exam.total_fen


def test_in_parallel_left_early_starts_no_further_item(monkeypatch):
    monkeypatch.setattr(core.bulk.os, "cpu_count", lambda: 2)
    started: list[int] = []

    def slow(n: int) -> int:
        started.append(n)
        time.sleep(0.05)
        return n
    results = in_parallel(slow, range(20))
    assert next(results) == 0
    results.close()                            # the consumer stops (an error in its loop)
    assert len(started) <= 4                   # the two running and at most the next two, not all twenty


# -- examined ahead in a child process (db.intake_ahead: `consolidate add` starts it) --------------

@pytest.fixture
def free_core(monkeypatch):
    """A child is started only when a core is free (core.in_child.spare_core): here, whatever the load."""
    monkeypatch.setattr(core.in_child, "spare_core", lambda since=None: True)
    monkeypatch.setattr(intake_ahead, "spare_core", lambda since=None: True)


def _outcomes(report):
    return [(o.path, o.result, o.reason, o.students, o.total_fen, o.school_code) for o in report.outcomes]


def test_intake_takes_the_examination_made_ahead(station, schools, tmp_path, monkeypatch, free_core):
    files = [schools.a.path, tmp_path / "missing.zip", tampered(schools.b, tmp_path / "t.zip"), schools.b.path]
    intake_ahead.start(station.path, files, False)
    examined_here = []
    real = core.intake.examine_package
    monkeypatch.setattr(core.intake, "examine_package", lambda *a, **k: examined_here.append(a[0]) or real(*a, **k))
    report = intake(station, files)
    assert examined_here == []                            # every file was examined in the child
    assert _outcomes(report) == [
        (schools.a.path, "accepted", "", 2, 240000, "4228220301"),
        (files[1], "refused", f"找不到文件 {files[1]}。", 0, 0, ""),
        (files[2], "refused", report.outcomes[2].reason, 0, 0, "4228220302"),
        (schools.b.path, "accepted", "", 2, 240000, "4228220302")]
    assert "已被改动" in report.outcomes[2].reason
    con = sqlite3.connect(station.path)       # the bytes stored are the file's, read once at start
    try:
        stored = dict(con.execute("SELECT sha256, content FROM package_blob").fetchall())
    finally:
        con.close()
    assert sorted(stored.values()) == sorted([schools.a.path.read_bytes(), schools.b.path.read_bytes()])


def test_an_examination_of_other_inputs_is_not_used(station, schools, monkeypatch, free_core):
    """Offered otherwise (another --history) than examined ahead: intake examines the files itself."""
    intake_ahead.start(station.path, [schools.a.path], True)
    examined_here = []
    real = core.intake.examine_package
    monkeypatch.setattr(core.intake, "examine_package", lambda *a, **k: examined_here.append(a[0]) or real(*a, **k))
    report = intake(station, [schools.a.path])
    assert examined_here == [schools.a.path] and report.outcomes[0].result == "accepted"


def test_an_examination_is_not_taken_when_the_trust_list_changed(station, schools, free_core):
    intake_ahead.start(station.path, [schools.a.path], False)
    con = sqlite3.connect(station.path)        # the school's key removed after the examination started
    with con:
        con.execute("UPDATE trusted_signer SET removed_at = '2024-01-01 00:00:00' WHERE school_code = ?",
                    ("4228220301",))
    con.close()
    (o,) = intake(station, [schools.a.path]).outcomes
    assert o.result == "refused"          # examined again against the trust list as it is now
