"""Files written before their audit entry: a failure after them says what is on disk. Before, a failed
audit entry after a package was written said "这次操作没有写入任何数据" (the package was there), and a
feedback package that failed half-way left the ones before it written but not recorded, unnamed."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import two_student_school
from feedback_fixtures import STATION_PASS, duplicate, station_db
from sqlalchemy import select

import db.audit
import db.feedback_send
from core.errors import DatabaseError, OutputFileError
from core.package import verify_package
from db.exports import export_package, own_signer
from db.feedback_send import _last_sent, feedback_for_school, sign_feedback
from db.models import AuditEntry
from db.session import NOTHING_WRITTEN, open_database

BUSY = DatabaseError("数据库正被另一个程序使用，等待 15 秒后仍未能写入" + NOTHING_WRITTEN, "请等另一个资助助手窗口或命令完成")


def _exports(d) -> list[str]:
    with d.session() as s:
        return list(s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "export")))


def test_a_package_whose_record_fails_is_said_to_be_written(tmp_path, monkeypatch):
    d = open_database(two_student_school(tmp_path / "school.sqlite"))
    try:
        before = _exports(d)

        real = db.audit.record

        def busy(session, actor, entity, *args, **kwargs):
            if entity == "export":                 # (the package's own entry, after it is written)
                raise BUSY
            return real(session, actor, entity, *args, **kwargs)
        monkeypatch.setattr(db.audit, "record", busy)
        with pytest.raises(DatabaseError) as err:
            export_package(d, tmp_path / "上报包.zip", "school-secret-1", draft=True)
        monkeypatch.undo()
        message = err.value.message
        assert message.startswith("上报包“上报包.zip”已经写好，可以使用；但没有记入操作记录")
        assert "正被另一个程序使用" in message and NOTHING_WRITTEN not in message
        assert "稍后重新生成" in err.value.hint
        with d.session() as s:
            trusted = [own_signer(s)]
        assert verify_package(tmp_path / "上报包.zip", trusted).intact       # what it says is there, is
        assert _exports(d) == before
    finally:
        d.close()


def _feedbacks(station, folder: Path, codes: list[str]):
    with station.session() as s:
        return [(feedback_for_school(s, code, f"学校{code}", [duplicate("110101201001011234")]), folder / f"{code}.zip")
                for code in codes]


def test_feedback_that_fails_half_way_records_and_names_the_packages_written(tmp_path, monkeypatch):
    station, _key = station_db(tmp_path)
    real = db.feedback_send.write_feedback_package
    calls = []

    def third_is_open_in_wps(path, *args):
        calls.append(path)
        if len(calls) == 3:
            raise OutputFileError(f"无法写入“{path.name}”：文件正被其他程序打开", "请关闭它后重试")
        return real(path, *args)
    monkeypatch.setattr(db.feedback_send, "write_feedback_package", third_is_open_in_wps)
    try:
        with pytest.raises(OutputFileError) as err:
            sign_feedback(station, _feedbacks(station, tmp_path, ["101", "102", "103", "104"]), STATION_PASS)
        assert err.value.message == ("无法写入“103.zip”：文件正被其他程序打开；此前的 2 个反馈包已经写好：“101.zip”、“102.zip”")
        assert err.value.hint.startswith("请关闭它后重试；")
        assert (tmp_path / "101.zip").exists() and (tmp_path / "102.zip").exists()
        assert not (tmp_path / "104.zip").exists()
        with station.session() as s:
            assert _last_sent(s) == {"101": 1, "102": 1}                   # recorded: what was sent is known
    finally:
        station.close()


def test_feedback_whose_first_package_fails_records_nothing(tmp_path, monkeypatch):
    station, _key = station_db(tmp_path)

    def open_in_wps(path, *args):
        raise OutputFileError(f"无法写入“{path.name}”", "请关闭它后重试")
    monkeypatch.setattr(db.feedback_send, "write_feedback_package", open_in_wps)
    try:
        with pytest.raises(OutputFileError) as err:
            sign_feedback(station, _feedbacks(station, tmp_path, ["101", "102"]), STATION_PASS)
        assert err.value.message == "无法写入“101.zip”"
        with station.session() as s:
            assert _last_sent(s) == {}
    finally:
        station.close()
