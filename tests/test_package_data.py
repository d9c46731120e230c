"""data.json: the package's machine-readable member a receiver consolidates."""
from __future__ import annotations

import json
import zipfile

import msgspec
import pytest
from conftest import two_student_school
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.package import verify_package
from core.package_data import (
    DATA_MEMBER,
    Grant,
    JsonReader,
    PackageData,
    PackageFinding,
    PackageStudent,
    _finding,
    _student_checked,
    parse_package_data,
)
from db.exports import export_package, own_signer
from db.session import open_database


@pytest.fixture
def package(tmp_path):
    d = open_database(two_student_school(tmp_path / "school.sqlite"))
    try:
        result = export_package(d, tmp_path / "pkg.zip", "school-secret-1", draft=True)
        with d.session() as s:
            trusted = [own_signer(s)]
    finally:
        d.close()
    return result.path, trusted


def test_package_carries_signed_data_member_matching_manifest(package):
    path, trusted = package
    check = verify_package(path, trusted)
    assert check.intact and DATA_MEMBER in check.manifest["files"]
    with zipfile.ZipFile(path) as zf:
        data = parse_package_data(zf.read(DATA_MEMBER))
    assert (data.school_code, data.school_name, data.school_year) == ("1", "第一中学", 2023)
    assert data.draft is True and data.policy_hash == check.manifest["policy_hash"]
    assert data.policy_version == check.manifest["policy_version"] > 0
    by_name = {s.name: s for s in data.students}
    assert set(by_name) == {"张丽", "李四"}
    # 张丽: 免学费 min(1000, 1200) + 免书本费 200 + 免住宿费 0, split 50/50 city/county
    zhang = {g.code: g for g in by_name["张丽"].grants}
    assert zhang["HS_TUITION"].amount_fen == 100000 and dict(zhang["HS_TUITION"].shares) == {"city": 50000,
                                                                                            "county": 50000}
    assert zhang["HS_TEXTBOOK"].amount_fen == 20000
    # Claimed totals equal the students' own sums, item by item, to the fen.
    sums: dict[str, int] = {}
    for kid in data.students:
        for g in kid.grants:
            sums[g.code] = sums.get(g.code, 0) + g.amount_fen
    assert {k: v for k, v in sums.items() if v} == {k: v for k, v in data.totals.by_item.items() if v}
    assert data.totals.total == sum(kid.total_fen for kid in data.students)
    assert f"{data.totals.total // 100}.{data.totals.total % 100:02d}" == check.manifest["totals"]["total"]


def test_round_trip_is_exact_and_canonical(package):
    path, _ = package
    with zipfile.ZipFile(path) as zf:
        raw = zf.read(DATA_MEMBER)
    data = parse_package_data(raw)
    assert isinstance(data, PackageData) and data.to_bytes() == raw


def _mutated(raw: bytes, change) -> bytes:
    doc = json.loads(raw)
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("change", "place"), [
    (lambda d: d["students"][0]["grants"][0].__setitem__("amount_fen", 1000.5), "amount_fen"),
    (lambda d: d["students"][0]["grants"][0].__setitem__("amount_fen", -1), "amount_fen"),
    (lambda d: d["totals"].__setitem__("total", "3000.00"), "totals.total"),
    (lambda d: d["school"].__setitem__("school_year", "2023"), "school.school_year"),
    (lambda d: d["policy"].__setitem__("version", "第2版"), "policy.version"),
    (lambda d: d["students"][1].pop("id_number"), "students[1].id_number"),
    (lambda d: d.__setitem__("students", {}), "students"),
    (lambda d: d.__setitem__("format", "other"), "format"),
])
def test_malformed_member_is_refused_naming_the_place(package, change, place):
    path, _ = package
    with zipfile.ZipFile(path) as zf:
        raw = zf.read(DATA_MEMBER)
    with pytest.raises(ValidationError) as info:
        parse_package_data(_mutated(raw, change), "第一中学的提交包")
    assert place in info.value.message and "第一中学的提交包" in info.value.message


def test_newer_format_version_asks_to_upgrade(package):
    path, _ = package
    with zipfile.ZipFile(path) as zf:
        raw = zf.read(DATA_MEMBER)
    with pytest.raises(ValidationError) as info:
        parse_package_data(_mutated(raw, lambda d: d.__setitem__("version", 2)))
    assert "升级" in info.value.hint


def test_not_json_is_refused():
    with pytest.raises(ValidationError, match="不是有效的 UTF-8 JSON"):
        parse_package_data(b"\xff\xfe not json")


_texts = st.text(max_size=8)
_fen = st.integers(min_value=0, max_value=10**9)
_grants = st.lists(st.fixed_dictionaries({"code": _texts, "amount_fen": _fen,
                                          "shares": st.dictionaries(_texts, _fen, max_size=2)}), max_size=3)
_student_dicts = st.fixed_dictionaries(
    {"id_number": _texts, "name": _texts, "verified": st.booleans(), "grants": _grants},
    optional={"stage": _texts, "village": _texts, "prior_grants": st.lists(_texts, max_size=2),
              "pending": st.lists(_texts, max_size=2)})
_TEXT_FIELDS = ("gender", "stage", "grade", "class_name", "location", "ownership", "category", "township",
                "village", "household_no")
_complete_students = st.fixed_dictionaries(
    {"id_number": _texts, "name": _texts, "verified": st.booleans(), "grants": _grants,
     "prior_grants": st.lists(_texts, max_size=2), "pending": st.lists(_texts, max_size=2),
     **{k: _texts for k in _TEXT_FIELDS}})


def _checked(raw):
    return _student_checked(JsonReader("提交包"), raw, "students[0]")


def _student_fast(raw):
    """One student as parse_package_data's msgspec pass reads it (None: refused, then the
    checked path names the problem)."""
    try:
        return msgspec.json.decode(json.dumps(raw), type=PackageStudent)
    except msgspec.ValidationError:
        return None


@given(_complete_students)
def test_fast_path_reads_a_complete_student_as_the_checked_path_does(raw):
    fast = _student_fast(raw)
    assert fast is not None and fast == _checked(raw)
    assert type(fast) is PackageStudent and all(type(g) is Grant for g in fast.grants)
    assert fast.total_fen == sum(g["amount_fen"] for g in raw["grants"])


@given(_student_dicts)
def test_a_student_without_the_optional_keys_reads_with_their_defaults(raw):
    # the fast path takes only complete students; parse_package_data falls back to the checked one
    assert (_student_fast(raw) or _checked(raw)) == _checked(raw)


@given(_complete_students, st.sampled_from(["id_number", "verified", "grants", "stage", "prior_grants", "pending"]),
       st.sampled_from([None, 1.5, {}, 1]))
def test_fast_path_leaves_every_bad_field_to_the_checked_path(raw, key, bad):
    raw = {**raw, key: bad}
    assert _student_fast(raw) is None
    with pytest.raises(ValidationError, match=key):
        _checked(raw)


@pytest.mark.parametrize("change, place", [
    (lambda s: s.__setitem__("prior_grants", ["A", 1]), "prior_grants"),
    (lambda s: s.__setitem__("pending", [None]), "pending"),
    (lambda s: s.__setitem__("verified", 1), "verified"),
    (lambda s: s["grants"][0].__setitem__("amount_fen", -1), "amount_fen"),
    (lambda s: s["grants"][0].__setitem__("amount_fen", True), "amount_fen"),
    (lambda s: s["grants"][0].__setitem__("amount_fen", 100.0), "amount_fen"),
    (lambda s: s["grants"][0]["shares"].__setitem__("city", -5), "shares.city"),
    (lambda s: s["grants"][0]["shares"].__setitem__("city", False), "shares.city"),
    (lambda s: s["grants"][0]["shares"].__setitem__("city", 1.5), "shares.city"),
    (lambda s: s["grants"][0].__setitem__("code", 7), "code"),
    (lambda s: s["grants"].__setitem__(0, "PRESCHOOL"), "grants[0]"),
])
def test_a_bad_value_inside_a_student_is_named_by_the_checked_path(change, place):
    raw = {"id_number": "422822200801010011", "name": "张三", "verified": True, "prior_grants": [], "pending": [],
           "grants": [{"code": "PRESCHOOL", "amount_fen": 100000, "shares": {"city": 50000, "county": 50000}}],
           **{k: "" for k in _TEXT_FIELDS}}
    assert _student_fast(raw) is not None
    change(raw)
    assert _student_fast(raw) is None
    with pytest.raises(ValidationError, match=place.replace("[", r"\[").replace("]", r"\]")):
        _checked(raw)


_FINDING = {"code": "ID_CHECKSUM", "severity": "error", "id_number": "422822200801010011", "name": "张三",
            "message": "身份证号校验位错误", "state": "open", "reason": "已核实"}


def test_a_finding_reads_complete_or_with_its_reason_defaulted():
    r = JsonReader("提交包")
    assert _finding(r, _FINDING, 0) == PackageFinding(*_FINDING.values())
    without = {k: v for k, v in _FINDING.items() if k != "reason"}
    assert _finding(r, without, 0) == PackageFinding(*without.values(), reason="")


@pytest.mark.parametrize("raw, place", [
    ({**_FINDING, "message": 3}, "findings[3].message"),
    ({**_FINDING, "reason": None}, "findings[3].reason"),
    ({k: v for k, v in _FINDING.items() if k != "state"}, "findings[3].state"),
    (["ID_CHECKSUM"], "findings[3]"),
])
def test_a_bad_finding_is_named(raw, place):
    with pytest.raises(ValidationError) as info:
        _finding(JsonReader("提交包"), raw, 3)
    assert f"（{place}）" in info.value.message
