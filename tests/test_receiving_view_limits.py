"""``consolidate view`` of a package whose signer is not registered: what it unpacks and parses is
bounded for the whole view (a station's 汇总包 and the packages inside it together), a large
``data.json`` msgspec refuses is never loaded whole to name the problem, and running out of memory
is a Chinese refusal, never an internal error."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from receiving_fixtures import receiver_db, station_package, two_kid_school

from cli.commands import run
from core import package_data
from core.errors import ValidationError
from core.package_data import DATA_MEMBER, parse_package_data

ROOT = Path(__file__).resolve().parents[1]


def _head(students: bytes) -> bytes:
    return (b'{"format":"zizhu-package-data","version":1,"kind":"school","draft":false,'
            b'"school":{"code":"4228220101","name":"x","school_year":2023},"totals":{"total":0},'
            b'"students":[' + students + b"]}")


def empty_lists(size: int) -> bytes:
    """A data.json of about ``size`` bytes whose students are empty lists: msgspec refuses it at the
    first one; ``json.loads`` builds an object for each (some twenty times the bytes)."""
    n = max(1, size // 3)
    return _head(b"[]," * (n - 1) + b"[]")


def bomb(path: Path, data: bytes) -> Path:
    """An intact package holding ``data`` as data.json, signed by a key nobody registered."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from core import signing
    from core.package import write_package
    key = Ed25519PrivateKey.generate()
    return write_package(path, {DATA_MEMBER: data}, {"school": {"code": "4228220101", "name": "x"},
                                                     "school_year": 2023, "draft": False},
                         key, signing.public_raw_of(key))


@pytest.fixture
def station(tmp_path):
    return receiver_db(tmp_path / "station.sqlite")      # trusts no one but itself


def test_a_large_untrusted_member_is_refused_where_msgspec_stops_never_loaded_whole(station, tmp_path,
                                                                                     monkeypatch, capsys):
    pkg = bomb(tmp_path / "bomb.zip", empty_lists(300_000))
    monkeypatch.setattr(package_data, "UNTRUSTED_CHECKED_MAX", 64 << 10)

    def never(data, source):
        raise AssertionError("the field-by-field reading ran on an untrusted member past the limit")
    monkeypatch.setattr(package_data, "_parse_checked", never)
    assert run(["--db", str(station), "consolidate", "view", str(pkg)]) == 1
    out = capsys.readouterr().out
    assert "签名人未知" in out and "data.json 无法读取（students[0]）：内容不符合数据格式" in out


def test_a_small_untrusted_member_still_names_the_problem_field_by_field(station, tmp_path, capsys):
    pkg = bomb(tmp_path / "small.zip", empty_lists(30_000))
    assert run(["--db", str(station), "consolidate", "view", str(pkg)]) == 1
    assert "data.json 无法读取（students[0]）：应为对象" in capsys.readouterr().out


def test_the_parser_refuses_a_large_untrusted_member_by_msgspec_s_place(monkeypatch):
    monkeypatch.setattr(package_data, "UNTRUSTED_CHECKED_MAX", 1000)
    with pytest.raises(ValidationError, match=r"（students\[0\]）：内容不符合数据格式"):
        parse_package_data(empty_lists(5000), untrusted=True)
    with pytest.raises(ValidationError, match=r"整体.*不是有效的 UTF-8 JSON"):
        parse_package_data(b"{" + b" " * 5000, untrusted=True)
    other = json.loads(_head(b""))
    other["format"], other["pad"] = "something-else", "x" * 5000
    with pytest.raises(ValidationError, match="不是本程序的数据文件"):
        parse_package_data(json.dumps(other).encode(), untrusted=True)
    other["format"], other["version"] = "zizhu-package-data", 9
    with pytest.raises(ValidationError, match="格式版本为 9"):
        parse_package_data(json.dumps(other).encode(), untrusted=True)
    # a trusted signer's member is still read field by field (its message names the expected type)
    with pytest.raises(ValidationError, match="应为对象"):
        parse_package_data(empty_lists(5000))


def test_a_deeply_nested_member_is_a_refusal_not_a_crash():
    doc = _head(b"").replace(b'"draft":false', b'"draft":false,"demo":' + b"[" * 5000 + b"]" * 5000)
    with pytest.raises(ValidationError, match=r"data\.json 无法读取"):      # (msgspec: RecursionError)
        parse_package_data(doc)
    with pytest.raises(ValidationError, match=r"data\.json 无法读取"):
        parse_package_data(doc, untrusted=True)


CHILD = """
import sys, tracemalloc
sys.path.insert(0, {root!r})
from cli.commands import run
tracemalloc.start()
code = run(["--db", {db!r}, "consolidate", "view", {pkg!r}])
print("EXIT", code, "PEAK_MB", tracemalloc.get_traced_memory()[1] >> 20)
"""


def test_viewing_a_bomb_takes_bounded_memory(station, tmp_path):
    """12 MB of empty lists (within what may be unpacked and parsed, past the field-by-field limit):
    loaded whole by ``json.loads`` this took some 300 MB; refused where msgspec stops, the member's
    bytes and little more (what Python allocated, traced in a child process of its own)."""
    pkg = bomb(tmp_path / "bomb12.zip", empty_lists(12 << 20))
    assert pkg.stat().st_size < 1 << 20
    child = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), db=str(station), pkg=str(pkg))],
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert "程序内部错误" not in child.stdout + child.stderr
    exit_line = [line for line in child.stdout.splitlines() if line.startswith("EXIT")][-1].split()
    assert int(exit_line[3]) < 120, f"peak {exit_line[3]} MB"
    assert exit_line[1] == "1" and "内容不符合数据格式" in child.stdout, child.stdout + child.stderr


def test_running_out_of_memory_is_a_chinese_refusal(station, tmp_path, monkeypatch, capsys):
    import core.intake

    def exhausted(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(core.intake, "read_data_member", exhausted)
    pkg = bomb(tmp_path / "any.zip", empty_lists(3000))
    assert run(["--db", str(station), "consolidate", "view", str(pkg)]) == 1
    out, err = capsys.readouterr()
    assert "内存不足，无法显示" in out and "程序内部错误" not in out + err


# -- a station's package: one allowance for it and every package inside -----------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("view-limits")
    a = two_kid_school(root, "4228220401", "龙坪乡中心小学", first=1)
    b = two_kid_school(root, "4228220402", "高坪镇中心小学", township="高坪镇", first=11)
    return SimpleNamespace(a=a, b=b, station=station_package(root, [a, b]))


def _sizes(path: Path) -> tuple[int, int]:
    """(every member's unpacked size, data.json's) as the signed manifest lists them."""
    with zipfile.ZipFile(path) as zf:
        files = json.loads(zf.read("manifest.json"))["files"]
    return sum(e["size"] for e in files.values()), files[DATA_MEMBER]["size"]


def _inner_order(world) -> list:
    from core.exports.consolidated import inner_files
    names = [f.file_name for f in inner_files(world.station.path)]
    return sorted((world.a, world.b), key=lambda p: names.index(p.path.name))


def test_a_station_package_and_the_packages_inside_share_one_allowance(world, tmp_path, monkeypatch, capsys):
    """Nobody is registered: the station's package, then each school package inside it, draws on
    the same allowance; the one that does not fit is not unpacked (the limit once applied to
    each level on its own, so nesting multiplied it)."""
    from db import receiving
    first, second = _inner_order(world)
    outer, _ = _sizes(world.station.path)
    one, _ = _sizes(first.path)
    two, _ = _sizes(second.path)
    assert two < outer and one < outer
    monkeypatch.setattr(receiving, "VIEW_UNTRUSTED_MAX", outer + one + two // 2)
    db = receiver_db(tmp_path / "bureau.sqlite", name="建始县教育体育局", code="JY4228")
    assert run(["--db", str(db), "consolidate", "view", str(world.station.path)]) == 1
    out = capsys.readouterr().out
    assert f"{first.path.name}：{first.name}（代码 {first.code}）" in out and "学生 2 人" in out
    line = next(li for li in out.splitlines() if li.strip().startswith(f"{second.path.name}："))
    assert "签名人未登记，且提交包解压后有" in line and "连同本次查看中已解压的其他签名人未登记的提交包" in line
    assert "超过未登记签名人的查看上限" in line and "学生" not in line


def test_the_data_members_of_a_view_share_one_allowance_too(world, tmp_path, monkeypatch, capsys):
    from db import receiving
    first, second = _inner_order(world)
    _, outer = _sizes(world.station.path)
    _, one = _sizes(first.path)
    monkeypatch.setattr(receiving, "VIEW_UNTRUSTED_DATA_MAX", outer + one + 1)
    db = receiver_db(tmp_path / "bureau.sqlite", name="建始县教育体育局", code="JY4228")
    assert run(["--db", str(db), "consolidate", "view", str(world.station.path)]) == 1
    out = capsys.readouterr().out
    line = next(li for li in out.splitlines() if li.strip().startswith(f"{second.path.name}："))
    assert f"其中的数据文件 {DATA_MEMBER} 有" in line and "超过未登记签名人的查看上限" in line
    assert f"{first.path.name}：{first.name}" in out


def test_a_trusted_station_and_schools_are_not_counted(world, tmp_path, monkeypatch, capsys):
    from db import receiving, trust_store
    from db.session import open_database
    monkeypatch.setattr(receiving, "VIEW_UNTRUSTED_MAX", 1)
    monkeypatch.setattr(receiving, "VIEW_UNTRUSTED_DATA_MAX", 1)
    d = open_database(receiver_db(tmp_path / "bureau.sqlite", name="建始县教育体育局", code="JY4228"))
    try:
        for pkg in (world.station, world.a, world.b):
            trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
        assert run(["--db", str(d.path), "consolidate", "view", str(world.station.path)]) == 0
    finally:
        d.close()
    assert "查看上限" not in capsys.readouterr().out
