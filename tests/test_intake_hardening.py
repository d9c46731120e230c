"""Hardening of what a receiver (and `verify`) accepts, from a security review: a school's key
posing as a station and a station's as a school; bytes outside a package's zip members; a
policy file nested too deep; members decompressed before the signer is known."""
from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from receiving_fixtures import PASSPHRASE, STATION_PASSPHRASE, cheap_keys, receiver_db, station_package, two_kid_school

from db import trust_store
from db.receiving import intake
from db.session import open_database

A, B = "4228220401", "4228220402"
ST = "ST4229"


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("hardening")
    a = two_kid_school(root / "a", A, "龙坪乡中心小学", first=1)
    b = two_kid_school(root / "b", B, "龙坪乡二小", first=11)
    station = station_package(root, [b], code=ST)
    return SimpleNamespace(a=a, b=b, station=station, root=root)


def _resign(src: Path, out: Path, db_path: Path, passphrase: str,
            change: Callable[[dict[str, bytes], dict[str, Any]], object]) -> Path:
    """``src``'s files and manifest data ``change``d in place, signed with the key of ``db_path``."""
    from core.package import RESERVED, write_package
    from db.exports import ensure_key
    with zipfile.ZipFile(src) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n not in RESERVED}
        meta = json.loads(zf.read("manifest.json"))
    for key in ("format_version", "files"):
        meta.pop(key)
    change(files, meta)
    d = open_database(db_path)
    try:
        with d.session() as s, cheap_keys():       # (as the fixture made the school's key: no re-wrap)
            private, public_raw = ensure_key(s, passphrase)
    finally:
        d.close()
    return write_package(out, files, meta, private, public_raw)


def _recode(code: str, name: str) -> Callable[[dict[str, bytes], dict[str, Any]], None]:
    """data.json's and the manifest's school made ``code`` (``name``)."""
    def change(files: dict[str, bytes], meta: dict[str, Any]) -> None:
        data = json.loads(files["data.json"])
        data["school"].update(code=code, name=name)
        files["data.json"] = json.dumps(data, ensure_ascii=False).encode("utf-8")
        meta["school"].update(code=code, name=name)
    return change


def _receiver(path: Path, *units: Any) -> Any:
    d = open_database(receiver_db(path, name="建始县教育体育局", code="JY4228"))
    for unit in units:
        trust_store.register(d, trust_store.read_key_file(unit.key_file, unit.name))
    return d


def _count(d: Any, sql: str) -> int:
    con = sqlite3.connect(d.path)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


# -- 1. a school's key as a station's, a station's as a school's ---------------------------------------

def _self_wrapped(world: SimpleNamespace, out: Path) -> Path:
    """School A's genuine package in a 汇总包 signed by A's own key under A's code, its receipt backdated."""
    def change(files: dict[str, bytes], meta: dict[str, Any]) -> None:
        _recode(A, world.a.name)(files, meta)
        data = json.loads(files["data.json"])
        inner = next(n for n in files if n.endswith(".zip"))
        files[inner] = world.a.path.read_bytes()
        import hashlib
        data["packages"] = [{"member": inner, "sha256": hashlib.sha256(files[inner]).hexdigest(),
                             "file_name": world.a.path.name, "received_at": "2020-01-01T09:00:00"}]
        files["data.json"] = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return _resign(world.station.path, out, world.a.db_path, PASSPHRASE, change)


def test_school_key_cannot_sign_a_consolidated_package_after_its_school_package(world, tmp_path):
    wrapped = _self_wrapped(world, tmp_path / "wrapped.zip")
    d = _receiver(tmp_path / "r.sqlite", world.a)
    try:
        assert intake(d, [world.a.path]).count("accepted") == 1
        report = intake(d, [wrapped])
        assert report.count("accepted") == 0
        reason = report.outcomes[0].reason
        assert "学校的密钥不能签发汇总包" in reason and "汇总包只能由乡镇工作站或下级教育部门签发" in reason
        assert A in reason
    finally:
        d.close()


def test_school_key_cannot_wrap_its_own_package_even_first(world, tmp_path):
    """Nothing received from A yet: a 汇总包 under A's code holding A's own package is still refused,
    and A is not shown as received early."""
    wrapped = _self_wrapped(world, tmp_path / "wrapped.zip")
    d = _receiver(tmp_path / "r.sqlite", world.a)
    try:
        report = intake(d, [wrapped])
        assert [o.result for o in report.outcomes] == ["refused"]
        assert "汇总包只能由乡镇工作站或下级教育部门签发" in report.outcomes[0].reason
        assert _count(d, "select count(*) from received_package") == 0
    finally:
        d.close()


def test_consolidated_package_under_an_expected_school_code_is_refused(world, tmp_path):
    """A station key registered under a code that is on the expected-schools list signs no 汇总包."""
    from db.receiving_models import ExpectedSchool
    d = _receiver(tmp_path / "r.sqlite", world.b, world.station)
    try:
        with d.session() as s:
            s.add(ExpectedSchool(code=ST, name="龙坪乡扶贫工作站", township="", level=""))
        report = intake(d, [world.station.path])
        assert report.count("accepted") == 0
        assert "应报学校名单" in report.outcomes[0].reason
    finally:
        d.close()


def test_station_key_cannot_sign_a_school_package(world, tmp_path):
    """After the station's 汇总包, a school package signed by the station's key under its code is refused."""
    forged = _resign(world.a.path, tmp_path / "forged.zip", world.station.db_path, STATION_PASSPHRASE,
                     _recode(ST, world.station.name))
    d = _receiver(tmp_path / "r.sqlite", world.b, world.station)
    try:
        assert intake(d, [world.station.path]).count("accepted") == 1
        before = _count(d, "select count(*) from received_package")
        report = intake(d, [forged])
        assert [o.result for o in report.outcomes] == ["refused"]
        assert "不能签发学校的提交包" in report.outcomes[0].reason and ST in report.outcomes[0].reason
        assert _count(d, "select count(*) from received_package") == before
    finally:
        d.close()


def test_genuine_station_then_school_still_accepted(world, tmp_path):
    """The rule refuses nothing genuine: the station's 汇总包 and a school's own package both land."""
    d = _receiver(tmp_path / "r.sqlite", world.a, world.b, world.station)
    try:
        assert intake(d, [world.station.path, world.a.path]).count("accepted") == 2
    finally:
        d.close()


def test_relayed_receipt_never_after_the_consolidated_package_was_made():
    from db.receiving_nested import _received_times
    sha = "ab" * 32
    doc = {"packages": [{"sha256": sha, "received_at": "2024-05-09T10:00:00"}]}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data.json", json.dumps(doc))
    made = datetime(2024, 5, 2, 8, 0)
    assert sha not in _received_times(buf.getvalue(), made)       # after the 汇总包 was made: not believed
    assert _received_times(buf.getvalue(), datetime(2024, 5, 10))[sha] == datetime(2024, 5, 9, 10, 0)
    assert _received_times(buf.getvalue())[sha] == datetime(2024, 5, 9, 10, 0)


# -- 2. bytes outside the zip's members ---------------------------------------------------------------

def _with(tmp_path: Path, src: Path, name: str, make: Callable[[bytes], bytes]) -> Path:
    out = tmp_path / name
    out.write_bytes(make(src.read_bytes()))
    return out


def _commented(comment: bytes) -> Callable[[bytes], bytes]:
    """The zip with ``comment`` as its comment (the program writes none: the end record's last two bytes)."""
    def make(content: bytes) -> bytes:
        assert content[-2:] == b"\0\0"
        return content[:-2] + len(comment).to_bytes(2, "little") + comment
    return make


@pytest.mark.parametrize("make", [lambda c: bytes(1 << 20) + c, lambda c: c + b"\0" * 5000,
                                  _commented(b"x" * 2000)], ids=["prefix", "suffix", "long-comment"])
def test_bytes_outside_the_members_are_refused_by_verify_and_intake(world, tmp_path, make):
    from cli.commands import run
    from core.errors import InputFileError
    from core.package import verify_package
    padded = _with(tmp_path, world.a.path, "padded.zip", make)
    with pytest.raises(InputFileError, match="不是原样的提交包"):
        verify_package(padded, content=padded.read_bytes())
    with pytest.raises(InputFileError, match="不是原样的提交包"):
        verify_package(padded)
    assert run(["verify", str(padded), "--trust", str(world.a.key_file)]) != 0
    d = _receiver(tmp_path / "r.sqlite", world.a)
    try:
        report = intake(d, [padded])
        assert [o.result for o in report.outcomes] == ["refused"]
        assert "不是原样的提交包" in report.outcomes[0].reason
        assert _count(d, "select count(*) from package_blob") == 0
    finally:
        d.close()


def test_a_short_comment_and_the_genuine_package_pass(world, tmp_path):
    from core.package import verify_package
    assert verify_package(world.a.path).intact
    assert verify_package(_with(tmp_path, world.a.path, "c.zip", _commented(b"zizhu"))).intact


# A zip64 package: zipfile writes a zip64 end record and its locator (76 bytes) before the end record past
# 65,535 members; the layout check takes them as the directory's end. Forced here for the few members.
_Z64, _LOC = b"PK\x06\x06", b"PK\x06\x07"


@pytest.fixture(scope="module")
def zip64(world: SimpleNamespace, tmp_path_factory: Any) -> Path:
    """``world.a``'s members byte for byte, rewritten by zipfile with a zip64 end record and locator."""
    out = tmp_path_factory.mktemp("zip64") / "zip64.zip"
    with pytest.MonkeyPatch.context() as mp, zipfile.ZipFile(world.a.path) as src, \
            zipfile.ZipFile(out, "w", allowZip64=True) as dst:
        mp.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 0)      # "too many members": the zip64 records follow
        for info in src.infolist():
            dst.writestr(info, src.read(info))
    content = out.read_bytes()
    end = len(content) - 22                                 # the end record (no comment)
    assert content[end:end + 4] == b"PK\x05\x06"
    assert content[end - 76:end - 72] == _Z64 and content[end - 20:end - 16] == _LOC
    return out


def _insert_before(mark: bytes, back: int, pad: bytes) -> Callable[[bytes], bytes]:
    """``pad`` inserted ``back`` bytes before the last ``mark`` (a record's signature)."""
    def make(content: bytes) -> bytes:
        at = content.rfind(mark) - back
        return content[:at] + pad + content[at:]
    return make


def _before_directory(content: bytes) -> bytes:
    """``pad`` between the last member and the central directory (where the zip64 record says it starts)."""
    at = content.rfind(_Z64)
    cd_offset = int.from_bytes(content[at + 48:at + 56], "little")
    assert content[cd_offset:cd_offset + 4] == b"PK\x01\x02"
    return content[:cd_offset] + b"x" * 300 + content[cd_offset:]


def test_a_genuine_zip64_package_passes_verify_and_intake(world, zip64, tmp_path):
    from core.package import layout_problem, verify_package
    with zipfile.ZipFile(zip64) as zf:
        assert layout_problem(zf) == ""
    result = verify_package(zip64, content=zip64.read_bytes())
    assert result.intact and not result.problems
    d = _receiver(tmp_path / "r.sqlite", world.a)
    try:
        assert [o.result for o in intake(d, [zip64]).outcomes] == ["accepted"]
    finally:
        d.close()


@pytest.mark.parametrize("make, reason", [
    (lambda c: b"x" * 300 + c, "有 300 字节不属于压缩包中的任何文件"),
    (_before_directory, "有 300 字节不属于压缩包中的任何文件"),
    (lambda c: c + b"x" * 300, "结束记录后面还有多余的数据"),
    (_insert_before(b"PK\x05\x06", 0, b"x" * 300), "不是有效的 zip 压缩包"),
    (_insert_before(_LOC, 0, b"x" * 300), "不是有效的 zip 压缩包"),
    (_insert_before(_Z64, 0, b"x" * 300), "不是有效的 zip 压缩包"),
], ids=["prefix", "before-directory", "suffix", "before-end-record", "before-locator", "before-zip64-record"])
def test_bytes_around_a_zip64_package_are_refused_by_verify_and_intake(world, zip64, tmp_path, make, reason):
    """The 76 bytes taken as the directory's end make no room for others: bytes before the first member,
    before the directory, after the end record or between the end records are all refused."""
    from core.errors import InputFileError
    from core.package import verify_package
    padded = _with(tmp_path, zip64, "padded.zip", make)
    with pytest.raises(InputFileError, match=reason):
        verify_package(padded, content=padded.read_bytes())
    d = _receiver(tmp_path / "r.sqlite", world.a)
    try:
        report = intake(d, [padded])
        assert [o.result for o in report.outcomes] == ["refused"] and reason in report.outcomes[0].reason
        assert _count(d, "select count(*) from package_blob") == 0
    finally:
        d.close()


def test_a_file_over_the_cap_is_refused_unread(tmp_path: Path, monkeypatch: Any) -> None:
    """300 MB (sparse) is refused by intake and verify before a byte is read."""
    from core.errors import InputFileError
    from core.intake import read_offered
    from core.package import MAX_PACKAGE, verify_package
    big = tmp_path / "big.zip"
    with open(big, "wb") as fh:
        fh.truncate(MAX_PACKAGE + (44 << 20))
    read: list[str] = []
    real = Path.read_bytes

    def reading(self: Path) -> bytes:
        read.append(self.name)
        return real(self)
    monkeypatch.setattr(Path, "read_bytes", reading)
    reason = read_offered(big)
    assert isinstance(reason, str) and "超过提交包的上限 256 MB" in reason and read == []
    with pytest.raises(InputFileError, match="超过提交包的上限"):
        verify_package(big)


# -- 4. nothing is unpacked before the signature and the declared sizes are checked --------------------

def _hash_calls(monkeypatch: Any) -> list[str]:
    import core.package as package
    calls: list[str] = []
    real = package._hash_member

    def counted(zf: Any, info: Any, *a: Any, **kw: Any) -> Any:
        calls.append(info.filename)
        return real(zf, info, *a, **kw)
    monkeypatch.setattr(package, "_hash_member", counted)
    return calls


def test_an_unsigned_manifest_declaring_gigabytes_unpacks_nothing(tmp_path, monkeypatch):
    from core.package import verify_package
    calls = _hash_calls(monkeypatch)
    files = {f"m{i}.bin": {"sha256": "0" * 64, "size": 2 << 30} for i in range(3)}
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format_version": 1, "files": files}))
        for name in files:
            zf.writestr(name, bytes(1 << 20))
    result = verify_package(bomb)
    assert not result.intact and calls == []
    assert any("缺少 manifest.sig" in p for p in result.problems)
    assert any("超过提交包的上限" in p for p in result.problems)


def test_a_signed_manifest_over_the_cap_unpacks_nothing(world, monkeypatch):
    import core.package as package
    with zipfile.ZipFile(world.a.path) as zf:
        declared = sum(e["size"] for e in json.loads(zf.read("manifest.json"))["files"].values())
    size = world.a.path.stat().st_size
    assert declared > size
    monkeypatch.setattr(package, "MAX_PACKAGE", size)
    calls = _hash_calls(monkeypatch)
    result = package.verify_package(world.a.path)
    assert not result.intact and calls == [] and "超过提交包的上限" in result.problems[-1]


def test_hashing_stops_at_the_first_changed_member(world, tmp_path, monkeypatch):
    from receiving_fixtures import tampered

    from core.package import verify_package
    bad = tampered(world.a, tmp_path / "t.zip", "data.json")
    calls = _hash_calls(monkeypatch)
    result = verify_package(bad)
    assert not result.intact and calls == ["data.json"]
    assert any("data.json 已被改动" in p for p in result.problems)


# -- 3. a policy file nested too deep --------------------------------------------------------------------

def test_a_deeply_nested_policy_is_an_input_error(tmp_path, capsys):
    from cli.commands import run
    from core.errors import PolicyError
    from core.policy import load_policy
    deep = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(PolicyError, match="嵌套层数过多"):
        load_policy(deep)
    db = tmp_path / "s.sqlite"
    assert run(["--db", str(db), "init", "--school", "测试学校", "--code", "1234", "--school-year", "2023"]) == 0
    bad = tmp_path / "deep.toml"
    bad.write_text(deep, encoding="utf-8")
    capsys.readouterr()
    for args in (["policy", "import", str(bad), "--allow-unsigned", "--dry-run"], ["policy", "diff", "1", str(bad)]):
        assert run(["--db", str(db), *args]) == 2, args
        err = capsys.readouterr().err
        assert "嵌套层数过多" in err and "内部错误" not in err, err


def _listed(d: Any, code: str, level: str) -> None:
    from db.receiving_models import ExpectedSchool
    with d.session() as s:
        s.add(ExpectedSchool(code=code, name="某单位", township="", level=level))


def test_a_central_school_sends_both_under_one_code(world, tmp_path):
    """类别 中心校 on the expected list: its own 提交包 and its 汇总包 (one key, one code) are both taken."""
    own = _resign(world.a.path, tmp_path / "own.zip", world.station.db_path, STATION_PASSPHRASE,
                  _recode(ST, world.station.name))
    d = _receiver(tmp_path / "r.sqlite", world.b, world.station)
    try:
        _listed(d, ST, "中心校")
        assert intake(d, [own]).count("accepted") == 1
        assert intake(d, [world.station.path]).count("accepted") == 1
    finally:
        d.close()


def test_a_station_on_the_expected_list_signs_no_school_package(world, tmp_path):
    forged = _resign(world.a.path, tmp_path / "forged.zip", world.station.db_path, STATION_PASSPHRASE,
                     _recode(ST, world.station.name))
    d = _receiver(tmp_path / "r.sqlite", world.station)
    try:
        _listed(d, ST, "乡镇工作站")
        report = intake(d, [forged])
        assert [o.result for o in report.outcomes] == ["refused"]
        assert "不能签发学校的提交包" in report.outcomes[0].reason
    finally:
        d.close()
