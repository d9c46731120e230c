"""Property-based tests of package reading: whatever bytes arrive, verify_package returns a
VerifyResult or raises InputFileError (never another exception), and ``ok`` is True only
for a genuine package (every member's content as signed, signed by the trusted key for the
manifest's school code)."""
import io
import itertools
import json
import warnings
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import package
from core.errors import InputFileError
from core.package import VerifyResult, name_problem, verify_package, write_package
from core.signing import create_key, load_private, public_key_text, sign
from core.trust import TrustedSigner

FAST, SLOW = 60, 600
CODE = "3642000001"
META = {"school": {"name": "青山县第一中学", "code": CODE}, "school_year": 2026, "draft": True,
        "totals": {"total": "3900.00"}}
FILES = {"workbook.xlsx": b"PK-workbook" * 40, "report.pdf": b"%PDF-1.7 report\n" * 30,
         "notice.pdf": b"%PDF-1.7 notice\n"}
TRAVERSAL = ["../x", "a/../../x", "/etc/x", "C:\\x", "C:x", "a\\b", "d/x.pdf", "a\x00b", "",
             ".", "..", "CON", "report.pdf.", "REPORT.PDF", "manifest.json", "signer.pub", "report.pdf"]
_counter = itertools.count()

_PAIR = create_key("fuzz-passphrase-1", n=2 ** 10)
_KEY = load_private(_PAIR.private_blob, "fuzz-passphrase-1")
TRUSTED = [TrustedSigner(_PAIR.public_raw, CODE, "青山县第一中学")]
SIGNER = (public_key_text(_PAIR.public_raw) + "\n").encode()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    genuine = write_package(folder / "genuine.zip", FILES, META, _KEY, _PAIR.public_raw)
    result = verify_package(genuine, TRUSTED)
    assert result.ok, result.problems
    return folder, genuine.read_bytes()


def members_of(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def check(work, blob: bytes) -> VerifyResult | None:
    """verify_package on ``blob``: a VerifyResult (consistent) or an InputFileError; None for the latter."""
    folder, _ = work
    path = folder / f"case-{next(_counter)}.zip"
    path.write_bytes(blob)
    try:
        result = verify_package(path, TRUSTED)
    except InputFileError as exc:
        assert exc.message and exc.hint
        return None
    finally:
        path.unlink()
    assert isinstance(result, VerifyResult)
    assert result.ok == (result.intact and result.signer is not None)
    assert result.intact == (not result.problems)
    assert all(isinstance(p, str) and p for p in result.problems)
    assert result.ok or result.hint
    return result


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                          # duplicate names on purpose
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def signed(members: list[tuple[str, bytes]], manifest: bytes | None = None, meta=META) -> bytes:
    """A package whose manifest (given, or built from ``members``) is signed by the trusted key."""
    if manifest is None:
        manifest = package.build_manifest(dict(members), meta, SIGNER)
    return zip_of([*members, ("manifest.json", manifest), ("manifest.sig", sign(_KEY, manifest)),
                   ("signer.pub", SIGNER)])


# --- the properties -----------------------------------------------------------------------

def random_bytes(work, data):
    blob = data.draw(st.one_of(st.binary(max_size=2048), st.just(b"PK\x05\x06" + b"\x00" * 18),
                               st.binary(max_size=64).map(lambda b: b"PK\x03\x04" + b)))
    result = check(work, blob)
    assert result is None or not result.ok


def truncated(work, data):
    _, genuine = work
    cut = data.draw(st.integers(0, len(genuine) - 1))
    result = check(work, genuine[:cut])
    assert result is None or not result.ok


def flipped(work, data):
    _, genuine = work
    blob = bytearray(genuine)
    for pos in data.draw(st.lists(st.integers(0, len(blob) - 1), min_size=1, max_size=4, unique=True)):
        blob[pos] ^= data.draw(st.integers(1, 255))
    result = check(work, bytes(blob))
    if result is not None and result.ok:       # only zip framing changed: the contents are the signed ones
        assert members_of(bytes(blob)) == members_of(genuine)


_names = st.one_of(st.sampled_from(TRAVERSAL),
                   st.text(st.characters(codec="utf-8"), max_size=12))


def random_names(work, data):
    names = data.draw(st.lists(_names, min_size=1, max_size=6))
    members = [(n, data.draw(st.binary(max_size=40))) for n in names]
    result = check(work, signed(members))
    folded = [n.casefold() for n in names]
    safe = (all(not name_problem(n) and n not in package.RESERVED for n in names)
            and len(set(folded)) == len(folded))
    assert result is not None
    assert result.ok == safe, (names, result.problems)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=20)


def random_manifest(work, data):
    """A signed manifest that is arbitrary JSON, or a correct one with a random ``school``
    or a random file entry: ok only when it is correct and names this school's code."""
    members = sorted(FILES.items())
    good = json.loads(package.build_manifest(dict(members), META, SIGNER))
    kind = data.draw(st.sampled_from(["any", "school", "entry", "bytes"]))
    if kind == "any":
        raw = json.dumps(data.draw(_json)).encode()
    elif kind == "bytes":
        raw = data.draw(st.one_of(st.binary(max_size=200),      # or JSON nested past the recursion limit
                                  st.integers(1, 100_000).map(lambda d: b"[" * d + b"]" * d)))
    elif kind == "school":
        good["school"] = data.draw(st.one_of(_json, st.fixed_dictionaries({"code": _json, "name": _json})))
        raw = json.dumps(good).encode()
    else:
        name = data.draw(st.sampled_from(sorted(good["files"])))
        good["files"][name] = data.draw(_json)
        raw = json.dumps(good).encode()
    result = check(work, signed(members, raw))
    assert result is not None
    school = good.get("school") if kind in ("school",) else None
    expected_ok = kind == "school" and isinstance(school, dict) and school.get("code") == CODE
    assert result.ok == expected_ok, (kind, raw[:200], result.problems, result.signer_problem)


def duplicated(work, data):
    _, genuine = work
    members = list(members_of(genuine).items())
    name, content = data.draw(st.sampled_from(members))
    extra = data.draw(st.one_of(st.just(content), st.binary(max_size=64)))
    position = data.draw(st.integers(0, len(members)))
    members.insert(position, (data.draw(st.sampled_from([name, name.upper()])), extra))
    result = check(work, zip_of(members))
    assert result is not None and not result.ok
    assert any("不止一次" in p or "大小写" in p or "未登记" in p for p in result.problems)


def _pair(prop):
    @settings(max_examples=FAST, deadline=None)
    @given(data=st.data())
    def fast(work, data):
        prop(work, data)

    @pytest.mark.slow
    @settings(max_examples=SLOW, deadline=None)
    @given(data=st.data())
    def slow(work, data):
        prop(work, data)

    return fast, slow


test_random_bytes, test_random_bytes_slow = _pair(random_bytes)
test_truncated_package, test_truncated_package_slow = _pair(truncated)
test_flipped_bytes, test_flipped_bytes_slow = _pair(flipped)
test_random_member_names, test_random_member_names_slow = _pair(random_names)
test_random_manifest, test_random_manifest_slow = _pair(random_manifest)
test_duplicate_members, test_duplicate_members_slow = _pair(duplicated)


def test_genuine_package_passes(work):
    _, genuine = work
    result = check(work, genuine)
    assert result is not None and result.ok and result.draft is True
