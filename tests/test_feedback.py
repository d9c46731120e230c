"""The feedback package (反馈包): a station's findings reach the school's 核查问题 and are handled there."""
from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import datetime, timedelta

import pytest
from feedback_fixtures import LI, STATION, ZHANG, duplicate, round_trip, send, station_db

from core.checks import FindingState
from core.errors import ValidationError, ZizhuError
from core.feedback import FEEDBACK_MEMBER, ORIGIN_SPOT, FeedbackFinding, parse_feedback
from db.exports import export_package, export_state
from db.feedback import SUPERSEDED, import_feedback, mark_fixed
from db.findings import run_and_store
from db.usecases import accept_code, accept_findings, check
from db.views import finding_rows, read_student


@pytest.fixture
def rt(tmp_path):
    trip = round_trip(tmp_path)
    yield trip
    trip.school.close()
    trip.station.close()


def state(db) -> tuple:
    """Everything an import may write: the findings, the feedback packages, the audit log."""
    con = sqlite3.connect(db.path)
    try:
        return tuple(con.execute(f"select * from {t} order by id").fetchall()
                     for t in ("finding", "feedback_package", "audit_log", "student"))
    finally:
        con.close()


def feedback_rows(db):
    return [r for r in finding_rows(db) if r.origin]


def test_round_trip_reaches_the_schools_findings_and_blocks_the_final_export(rt):
    pkg = send(rt, [duplicate(ZHANG)])
    result = import_feedback(rt.school, pkg, [rt.station_key])
    assert (result.added, result.already, result.receiver) == (1, False, f"{STATION}（代码 S01）")
    [row] = feedback_rows(rt.school)
    assert (row.code, row.title, row.severity, row.name, row.id_number) == (
        "DUPLICATE_ACROSS_SCHOOLS", "跨校重复享受资助", "error", "张丽", ZHANG)
    assert row.state == FindingState.OPEN and row.origin == "汇总核查"
    assert row.origin_text == f"来自：{STATION} 汇总核查，{datetime.now():%Y-%m-%d}"
    zhang = read_student(rt.school, row.student_id)
    assert zhang.values["name"] == "张丽" and "错误：跨校重复享受资助：张丽同时在第一中学和第二中学享受资助" in zhang.findings[0]
    # the school's own re-check leaves it alone; it blocks the final export like any open error
    run = check(rt.school)
    assert run.fixed == 0 and feedback_rows(rt.school)[0].state == FindingState.OPEN
    assert "还有 1 个未处理的错误" in export_state(rt.school).reasons
    with pytest.raises(ValidationError, match="还不能正式导出上报"):
        export_package(rt.school, rt.folder / "again.zip", "school-secret-1")


def test_importing_the_same_feedback_twice_changes_nothing(rt):
    pkg = send(rt, [duplicate(ZHANG)])
    import_feedback(rt.school, pkg, [rt.station_key])
    before = state(rt.school)
    again = import_feedback(rt.school, pkg, [rt.station_key])
    assert again.already and again.added == 0 and not again.changes
    assert state(rt.school) == before


def test_fixing_then_reexporting_closes_the_loop(rt):
    import_feedback(rt.school, send(rt, [duplicate(ZHANG)]), [rt.station_key])
    [row] = feedback_rows(rt.school)
    with rt.school.session() as s:
        with pytest.raises(ValidationError, match="必须写明"):
            mark_fixed(s, [row.id], "  ")
        own = [r.id for r in finding_rows(rt.school) if not r.origin]
        assert own, "the fixture's school has findings of its own"
        with pytest.raises(ValidationError, match="不需要手动标记"):
            mark_fixed(s, own[:1], "改了")
        assert mark_fixed(s, [row.id], "已核实：该生在第二中学已退学，已通知第二中学移出") == 1
    [row] = feedback_rows(rt.school)
    assert row.state == FindingState.FIXED and row.reason.startswith("已核实")
    assert export_state(rt.school).reasons == []
    again = export_package(rt.school, rt.folder / "again.zip", "school-secret-1")
    # the next package tells the station what the school did (data.json carries state and reason)
    with zipfile.ZipFile(again.path) as zf:
        findings = json.loads(zf.read("data.json"))["findings"]
    sent = [f for f in findings if f["code"] == "DUPLICATE_ACROSS_SCHOOLS"]
    assert sent == [{"code": "DUPLICATE_ACROSS_SCHOOLS", "severity": "error", "id_number": ZHANG, "name": "张丽",
                     "message": row.message, "state": "fixed", "reason": row.reason}]


def test_accepting_a_feedback_finding_by_its_title_or_code(rt):
    import_feedback(rt.school, send(rt, [duplicate(ZHANG)]), [rt.station_key])
    assert accept_code(rt.school, "跨校重复享受资助", ZHANG, "两校学段不同，均符合政策").count == 1
    [row] = feedback_rows(rt.school)
    assert row.state == FindingState.ACCEPTED and row.reason == "两校学段不同，均符合政策"
    assert export_state(rt.school).reasons == []


def test_a_newer_feedback_supersedes_the_older_ones_open_findings(rt):
    t0 = datetime(2024, 6, 1, 9, 0, 0)
    spot = FeedbackFinding("SPOT:1:李四:资金到账", "SPOT_CHECK_FALSE", "error", "专项核查不属实",
                           "资金到账：不属实（家长称未收到）", ORIGIN_SPOT, LI, "李四", (("核查点", "资金到账"),))
    import_feedback(rt.school, send(rt, [duplicate(ZHANG), spot], "a.zip", now=t0), [rt.station_key])
    accept_findings(rt.school, [r.id for r in feedback_rows(rt.school) if r.name == "李四"], "家长已确认收到")
    # the newer one still reports 张丽 (same words), no longer 李四's accepted one, and a new problem
    newer = [duplicate(ZHANG), duplicate(LI, "李四", key="other")]
    result = import_feedback(rt.school, send(rt, newer, "b.zip", now=t0 + timedelta(days=3)), [rt.station_key])
    assert (result.added, result.carried, result.superseded) == (1, 1, 0)
    rows = {(r.name, r.code): r for r in feedback_rows(rt.school)}
    assert rows[("张丽", "DUPLICATE_ACROSS_SCHOOLS")].state == FindingState.OPEN
    assert rows[("李四", "SPOT_CHECK_FALSE")].state == FindingState.ACCEPTED     # handled: kept as it was
    assert rows[("李四", "DUPLICATE_ACROSS_SCHOOLS")].state == FindingState.OPEN
    assert "2024-06-04" in rows[("张丽", "DUPLICATE_ACROSS_SCHOOLS")].origin_text
    # the newest no longer has 张丽: her open finding is superseded (closed with a note)
    result = import_feedback(rt.school, send(rt, [duplicate(LI, "李四", key="other")], "c.zip",
                                             now=t0 + timedelta(days=5)), [rt.station_key])
    assert result.superseded == 1
    zhang = next(r for r in feedback_rows(rt.school) if r.name == "张丽")
    assert zhang.state == FindingState.FIXED and zhang.reason.startswith(SUPERSEDED)
    # an older feedback than the newest is refused and changes nothing
    before = state(rt.school)
    with pytest.raises(ValidationError, match="旧，已拒收"):
        import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "old.zip", now=t0 + timedelta(days=4)),
                        [rt.station_key])
    assert state(rt.school) == before


def test_a_fix_stands_until_the_station_finds_it_again_on_a_newer_package(rt):
    t0 = datetime(2024, 6, 1, 9, 0, 0)
    import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "a.zip", now=t0), [rt.station_key])
    with rt.school.session() as s:
        mark_fixed(s, [feedback_rows(rt.school)[0].id], "已改正")
    # the station has not received the corrected package yet: same package, same finding
    import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "b.zip", now=t0 + timedelta(days=1)), [rt.station_key])
    assert feedback_rows(rt.school)[0].state == FindingState.FIXED
    # on a newer package it is still there: open again
    result = import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "c.zip", package_sha="a" * 64,
                                             now=t0 + timedelta(days=2)), [rt.station_key])
    assert result.reopened == 1 and feedback_rows(rt.school)[0].state == FindingState.OPEN


def test_own_checks_and_acceptance_are_unchanged_by_feedback_rows(rt):
    import_feedback(rt.school, send(rt, [duplicate(ZHANG)]), [rt.station_key])
    with rt.school.session() as s:
        first = run_and_store(s)
        second = run_and_store(s)
    assert first.opened == second.opened == 0 and second.fixed == 0


# -- refusals: nothing changes ----------------------------------------------------

def _tampered(path, tmp_path):
    out = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == FEEDBACK_MEMBER:
                data = data.replace("跨校重复".encode(), "跨校重合".encode())
            dst.writestr(info, data)
    return out


def test_refused_packages_change_nothing(rt, tmp_path):
    good = send(rt, [duplicate(ZHANG)])
    stranger, _key = station_db(tmp_path, "冒名工作站", "S01", file="stranger.sqlite")
    forged = send(rt, [duplicate(ZHANG)], "forged.zip", station=stranger)
    stranger.close()
    elsewhere = tmp_path / "registered-for-S02.txt"       # the station's key, registered for another code
    elsewhere.write_text(rt.station_key.read_text(encoding="utf-8").replace("code=S01", "code=S02"), encoding="utf-8")
    cases = {
        "一所学校的密钥不能为另一所学校签名": (good, [elsewhere]),
        "已被改动": (_tampered(good, tmp_path), [rt.station_key]),
        "签名人不被信任": (good, []),                                   # the station's key is not registered
        "签名人不被信任.*签名人未知": (forged, [rt.station_key]),        # same name and code, another key
        "不是本校": (send(rt, [duplicate(ZHANG)], "other.zip", school_code="2", school_name="第二中学"),
                   [rt.station_key]),
        "不是反馈包": (rt.package, [rt.station_key, *_school_trust(rt, tmp_path)]),
    }
    before = state(rt.school)
    for reason, (path, trust) in cases.items():
        with pytest.raises(ZizhuError, match=reason) as caught:
            import_feedback(rt.school, path, trust)
        assert caught.value.exit_code == 2 and caught.value.hint
        assert state(rt.school) == before, reason


def _school_trust(rt, tmp_path):
    from db.keys import public_key_line
    with rt.school.session() as s:
        line = public_key_line(s)
    path = tmp_path / "school-key.txt"
    path.write_text(line + "\n", encoding="utf-8")
    return [path]


def test_a_feedback_for_another_school_year_is_refused(rt, tmp_path):
    other, key = station_db(tmp_path, STATION, "S01", year=2022, file="old-station.sqlite")
    pkg = send(rt, [duplicate(ZHANG)], "y.zip", station=other)
    other.close()
    before = state(rt.school)
    with pytest.raises(ValidationError, match=r"2022–2023学年.*本数据库是 2023–2024学年"):
        import_feedback(rt.school, pkg, [key])
    assert state(rt.school) == before


# -- the format ----------------------------------------------------------------------

def _valid() -> dict:
    return {"format": "zizhu-feedback", "version": 1, "receiver": {"code": "S01", "name": STATION},
            "school": {"code": "1", "name": "第一中学"}, "school_year": 2023, "created_at": "2024-06-05T10:00:00",
            "package_sha256": "", "findings": [
                {"key": "k", "code": "C", "severity": "error", "title": "标题", "message": "说明", "id_number": "",
                 "name": "", "origin": "暗访", "details": [{"label": "核查点", "value": "资金到账"}]}]}


def _bytes(d) -> bytes:
    return json.dumps(d, ensure_ascii=False).encode("utf-8")


def test_parse_round_trip_is_canonical():
    fb = parse_feedback(_bytes(_valid()))
    assert fb.findings[0].details == (("核查点", "资金到账"),) and parse_feedback(fb.to_bytes()) == fb
    assert parse_feedback(fb.to_bytes()).to_bytes() == fb.to_bytes()


@pytest.mark.parametrize("change, where", [
    (lambda d: d.pop("receiver"), "receiver"),
    (lambda d: d.update(version=2), "格式版本为 2"),
    (lambda d: d.update(school_year="2023"), "学年应为整数"),
    (lambda d: d.update(created_at="昨天"), "created_at"),
    (lambda d: d.update(package_sha256="xyz"), "package_sha256"),
    (lambda d: d["findings"][0].update(severity="fatal"), r"findings\[0\].severity"),
    (lambda d: d["findings"][0].update(origin="电话"), r"findings\[0\].origin"),
    (lambda d: d["findings"][0].pop("title"), r"findings\[0\].title"),
    (lambda d: d["findings"][0].update(details={"a": "b"}), r"findings\[0\].details"),
    (lambda d: d["findings"].append(dict(d["findings"][0])), r"findings\[1\].key.*重复"),
    (lambda d: d["school"].update(code=" "), "school.code.*不能为空"),
])
def test_parse_is_strict_and_names_the_place(change, where):
    d = _valid()
    change(d)
    with pytest.raises(ValidationError, match=where):
        parse_feedback(_bytes(d))
    with pytest.raises(ValidationError, match="不是有效的 UTF-8 JSON"):
        parse_feedback(b"\xff{")


# -- the command line ----------------------------------------------------------------

def test_cli_import_feedback_mark_fixed_and_refusals(rt, capsys):
    from cli.commands import run
    pkg = send(rt, [duplicate(ZHANG)])
    rt.school.close()
    p = str(rt.school.path)
    assert run(["--db", p, "import", "feedback", str(pkg)]) == 2             # the station's key is not trusted
    err = capsys.readouterr().err
    assert "签名人不被信任" in err and "trust add" in err and ZHANG not in err
    assert run(["--db", p, "import", "feedback", str(pkg), "--trust", str(rt.station_key)]) == 0
    out = capsys.readouterr().out
    assert "新问题 1 个" in out and "跨校重复享受资助 张丽 110101********" in out and f"来自：{STATION} 汇总核查" in out
    assert ZHANG not in out                                                     # masked
    assert run(["--db", p, "import", "feedback", str(pkg), "--trust", str(rt.station_key)]) == 0
    assert "已导入过，没有变化" in capsys.readouterr().out
    assert run(["--db", p, "check"]) == 1                                       # an open error
    assert f"（未处理，来自：{STATION} 汇总核查" in capsys.readouterr().out
    assert run(["--db", p, "mark-fixed", "NAME_MISMATCH", ZHANG, "--note", "改了"]) == 2
    assert "没有上级单位反馈的" in capsys.readouterr().err
    assert run(["--db", p, "mark-fixed", "跨校重复享受资助", ZHANG, "--note", "已移出第二中学名单"]) == 0
    assert "已标记 1 个问题为已改正" in capsys.readouterr().out
    assert run(["--db", p, "check"]) == 0
    assert run(["--db", p, "accept", "DUPLICATE_ACROSS_SCHOOLS", ZHANG, "--reason", "x"]) == 2   # already closed
    capsys.readouterr()
    empty = send(rt, [], name="fb-empty.zip", now=datetime.now() + timedelta(seconds=1))     # nothing in it
    assert run(["--db", p, "import", "feedback", str(empty), "--trust", str(rt.station_key)]) == 0
    out = capsys.readouterr().out            # no other finding listed as if it came with it, no steps to take
    assert "新问题 0 个" in out and "全部处理" in out and "请在“核查问题”中处理" not in out, out


def test_the_schools_trust_list_vouches_for_the_station(rt):
    """A station key registered in the school's trust list (trust add) needs no --trust file;
    once removed from the list, the same package is refused."""
    from db.trust_store import read_key_file, register, unregister
    pkg = send(rt, [duplicate(ZHANG)])
    register(rt.school, read_key_file(rt.station_key, STATION))
    assert import_feedback(rt.school, pkg).added == 1
    unregister(rt.school, "S01")
    before = state(rt.school)
    with pytest.raises(ValidationError, match="签名人不被信任"):
        import_feedback(rt.school, send(rt, [duplicate(LI, "李四")], "later.zip"))
    assert state(rt.school) == before


def test_a_feedback_package_offered_for_consolidation_is_named_as_one(tmp_path):
    """The station's own 反馈包 (or a policy file) among the school packages: refused as what it is, not
    as a package of an old program version."""
    from core.feedback import KIND_FEEDBACK
    from core.intake import _OTHER_KINDS
    from core.policy_file import POLICY_KIND
    from db.receiving import intake
    assert set(_OTHER_KINDS) == {KIND_FEEDBACK, POLICY_KIND}
    rt = round_trip(tmp_path)
    fb = send(rt, [duplicate(ZHANG)])
    [outcome] = intake(rt.station, [fb]).outcomes
    assert outcome.result == "refused"
    assert "是反馈包（核查问题反馈），不是学校的上报包" in outcome.reason and "旧版本" not in outcome.reason


def test_a_feedback_package_broken_off_is_not_said_to_be_a_schools_package(rt, capsys):
    """The hint asked the school to get "the original 提交包 from the reporting school" (its own)."""
    from cli.commands import run
    pkg = send(rt, [duplicate(ZHANG)])
    cut = pkg.with_name("cut.zip")
    cut.write_bytes(pkg.read_bytes()[:300])
    rt.school.close()
    assert run(["--db", str(rt.school.path), "import", "feedback", str(cut), "--trust", str(rt.station_key)]) == 2
    err = capsys.readouterr().err
    assert "未复制完整或已损坏" in err and "报送学校" not in err and "发送单位重新发送原始文件" in err
