"""The signed submission package: a .zip with the exported files, a manifest
(manifest.json: metadata plus SHA-256 and size of every file), its Ed25519
signature (manifest.sig) and the signer's public key (signer.pub).

signer.pub is itself listed in the manifest, so every byte of every member is
covered either by the signature (manifest.json) or by a hash inside it.
"""
from __future__ import annotations

import hashlib
import io
import json
import lzma
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core import signing
from core.errors import InputFileError, ValidationError, os_reason
from core.paths import write_atomic
from core.trust import UNKNOWN_HINT, TrustedSigner, match_signer, read_trust_file, signer_comment
from core.version import program_version

__all__ = ["TrustedSigner", "VerifyResult", "read_trust_file", "verify_package", "write_package"]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNER = "signer.pub"
RESERVED = (MANIFEST, SIGNATURE, SIGNER)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)    # fixed entry timestamps: same input, same bytes
_CHUNK = 1 << 16
VERIFY_HINT = ("请不要使用这个提交包；请联系报送学校重新导出并发送原始文件，"
               "并核对签名人指纹是否与纸质报告上打印的一致。")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f]")          # NUL and the other control characters below 0x20
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def name_problem(name: object) -> str:
    """Why ``name`` cannot be a package member ("" when it can). Members are flat file
    names: nothing that could leave the folder it is unpacked into."""
    if not isinstance(name, str) or not name.strip():
        return "文件名为空"
    if _CONTROL.search(name):
        return "文件名含控制字符"
    if "/" in name or "\\" in name:
        return "文件名含路径分隔符（/ 或 \\）"
    if _DRIVE.match(name) or ":" in name:
        return "文件名含盘符或冒号"
    if name in (".", ".."):
        return "文件名是 . 或 .."
    if name[-1] in ". ":
        return "文件名以点或空格结尾（Windows 会改掉它）"
    if name.split(".")[0].strip().upper() in _DEVICES:
        return "文件名是 Windows 的设备名"
    return ""


def _check_name(name: str) -> None:
    problem = name_problem(name)
    if problem or name in RESERVED:
        raise ValidationError(f"提交包中的文件名“{_show(name)}”不可用：{problem or '与清单文件重名'}。",
                              "文件名不能为空、不能含路径分隔符，"
                              "也不能与 manifest.json、manifest.sig、signer.pub 重名。")


def _show(name: object) -> str:
    """A member name as it may appear in a message: control characters escaped, length capped."""
    text = name if isinstance(name, str) else repr(name)
    text = "".join(c if ord(c) >= 0x20 else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= 120 else text[:120] + "…"


def build_manifest(files: dict[str, bytes], meta: dict[str, Any], signer_text: bytes) -> bytes:
    """The exact manifest.json bytes that get signed."""
    for key in ("format_version", "files"):
        if key in meta:
            raise ValidationError(f"清单信息中不能自行指定“{key}”。", "这是程序内部错误，请联系维护人员。")
    manifest: dict[str, Any] = {"program_version": program_version()}
    manifest.update(meta)
    manifest["format_version"] = FORMAT_VERSION
    listed = {name: {"sha256": _sha256(data), "size": len(data)} for name, data in files.items()}
    listed[SIGNER] = {"sha256": _sha256(signer_text), "size": len(signer_text)}
    manifest["files"] = listed
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def _write_member(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def _write_zip(fh: IO[bytes], members: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(fh, "w") as zf:
        for name, data in members:
            _write_member(zf, name, data)


def _signer_comment(meta: dict[str, Any]) -> str:
    """signer.pub's comment: the school as ``key export`` writes it (informative only:
    verification trusts the receiver's own list, never this comment)."""
    school = meta.get("school")
    if isinstance(school, dict) and str(school.get("code") or "").strip():
        return signer_comment(str(school["code"]), str(school.get("name") or ""))
    return str(school or "")


def write_package(target: Path, files: dict[str, bytes], meta: dict[str, Any],
                  private_key: Ed25519PrivateKey, public_raw: bytes) -> Path:
    """Write the signed package atomically to ``target`` and return it.
    On any failure ``target`` is left as it was and no temporary file remains."""
    target = Path(target)
    files = {name: bytes(data) for name, data in files.items()}
    for name in files:
        _check_name(name)
    if signing.public_raw_of(private_key) != bytes(public_raw):
        raise ValidationError("签名私钥与公钥不匹配。", "请在设置中检查密钥，必要时重新生成密钥。")
    signer_text = (signing.public_key_text(public_raw, _signer_comment(meta)) + "\n").encode("utf-8")
    manifest = build_manifest(files, meta, signer_text)
    signature = signing.sign(private_key, manifest)
    members = [*((name, files[name]) for name in sorted(files)),
               (MANIFEST, manifest), (SIGNATURE, signature), (SIGNER, signer_text)]

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            _write_zip(fh, members)
            fh.flush()
            os.fsync(fh.fileno())                  # on disk before the rename

    write_atomic(target, write)
    return target


# The largest package accepted anywhere, as a file and unpacked (its manifest's sizes together): a
# school's package is a few MB, a station's 汇总包 holds its schools' packages. ``consolidate view``'s
# allowance for untrusted signers is the same figure (db.receiving.VIEW_UNTRUSTED_MAX).
MAX_PACKAGE = 256 << 20
_MAX_COMMENT = 1024                 # the zip comment after the end record (the program writes none)
_EOCD = struct.Struct("<4s4H2LH")
_LOCAL = struct.Struct("<4s5H3L2H")
_LAYOUT_HINT = "提交包的每个字节都应属于签名的文件；请向报送单位索取原始提交包（不要转存、合并或改动）。"


def too_large(name: str, size: int) -> str:
    """Why a package file of ``size`` bytes is refused unread ("" when it is not)."""
    if size <= MAX_PACKAGE:
        return ""
    return (f"{name} 有 {size / 2**20:.0f} MB，超过提交包的上限 {MAX_PACKAGE >> 20} MB，不能核验或接收"
            "（提交包通常只有几 MB）。请确认选对了文件。")


def layout_problem(zf: zipfile.ZipFile) -> str:
    """Why the bytes of ``zf``'s file are not exactly its zip ("" when they are): the first member's
    header at offset 0, each member right after the one before, the central directory right after
    the last, the end record at the end with at most a short comment. Bytes outside the members
    are covered by no hash and no signature: a prefix of 200 MB of zeros verified and was stored."""
    fh = zf.fp
    if fh is None:
        return "压缩包无法读取"
    size = fh.seek(0, os.SEEK_END)
    start = max(0, size - _EOCD.size - _MAX_COMMENT)
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    while at >= 0 and (at + _EOCD.size > len(tail)
                       or at + _EOCD.size + _EOCD.unpack_from(tail, at)[-1] != len(tail)):
        at = tail.rfind(b"PK\x05\x06", 0, at)
    if at < 0:
        return f"压缩包的结束记录后面还有多余的数据，或注释超过 {_MAX_COMMENT} 字节"
    *_, cd_size, cd_offset, _comment = _EOCD.unpack_from(tail, at)
    end = start + at                        # where the central directory must end
    if end >= 76:                           # a zip64 end record and its locator (zipfile writes them past
        fh.seek(end - 76)                   # 65,535 members): part of the directory's end, not foreign bytes
        z64 = fh.read(76)
        if z64[:4] == b"PK\x06\x06" and z64[56:60] == b"PK\x06\x07":
            cd_size, cd_offset = struct.unpack_from("<QQ", z64, 40)
            end -= 76
    if cd_offset + cd_size != end:   # a prefix (the offsets then count from its end), a zip64 record…
        return f"有 {abs(end - cd_offset - cd_size)} 字节不属于压缩包中的任何文件（在文件开头或文件目录前后）"
    pos = 0
    for info in sorted(zf.infolist(), key=lambda i: i.header_offset):
        if info.header_offset != pos:
            return (f"文件开头有 {info.header_offset} 字节不属于任何文件" if pos == 0 else
                    f"文件 {_show(info.filename)} 之前有 {info.header_offset - pos} 字节不属于任何文件")
        fh.seek(pos)
        head = fh.read(_LOCAL.size)
        if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
            return f"文件 {_show(info.filename)} 的头部不完整"
        pos += _LOCAL.size + head[26] + 256 * head[27] + head[28] + 256 * head[29] + info.compress_size
        if info.flag_bits & 0x08:           # a data descriptor after the data (with or without its signature)
            fh.seek(pos)
            pos += 16 if fh.read(4) == b"PK\x07\x08" else 12
    if pos != cd_offset:
        return f"最后一个文件与文件目录之间有 {cd_offset - pos} 字节不属于任何文件"
    return ""


_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, RuntimeError,
                NotImplementedError, ValueError, struct.error, OverflowError)
_MAX_META = 16 << 20                # manifest.json / manifest.sig / signer.pub are tiny
_MAX_LISTED = 20                    # problems of one kind listed one by one, the rest counted


def _damaged(name: str) -> str:
    return f"文件 {_show(name)} 已损坏，无法从压缩包中读出（压缩数据或校验码错误）。"


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str]:
    """Return (content, "") or (None, problem)."""
    if info.file_size > _MAX_META:
        return None, f"文件 {info.filename} 大得异常（{info.file_size} 字节），提交包已被改动。"
    try:
        with zf.open(info) as fh:
            data = fh.read(_MAX_META + 1)
    except _READ_ERRORS:
        return None, _damaged(info.filename)
    if len(data) > _MAX_META:
        return None, f"文件 {info.filename} 大得异常，提交包已被改动。"
    return data, ""


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                 kept: list[bytes] | None = None) -> tuple[str, int] | str:
    """Stream a member: (sha256, size), or a problem text. Reading stops once more than
    ``limit`` bytes came out (the size then already differs from the manifest). ``kept``:
    the chunks are also collected there (the caller parses the same bytes it hashed)."""
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(info) as fh:
            while size <= limit and (chunk := fh.read(_CHUNK)):
                digest.update(chunk)
                size += len(chunk)
                if kept is not None:
                    kept.append(chunk)
    except _READ_ERRORS:
        return _damaged(info.filename)
    return digest.hexdigest(), size


def _parse_manifest(data: bytes) -> tuple[dict[str, Any] | None, str]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "manifest.json（文件清单）无法读取：内容不是有效的 UTF-8 JSON，可能已被改动或损坏。"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return None, "manifest.json（文件清单）无法读取：缺少文件列表（files）。"
    if manifest.get("format_version") != FORMAT_VERSION:
        return None, (f"manifest.json 的格式版本为 {_show(repr(manifest.get('format_version')))}，"
                      f"本程序只支持版本 {FORMAT_VERSION}；请升级本程序后再核验。")
    for name, entry in manifest["files"].items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str)
                or type(entry.get("size")) is not int or entry["size"] < 0):
            return None, f"manifest.json（文件清单）无法读取：文件 {_show(name)} 的记录不完整。"
    return manifest, ""


def _open_zip(path: Path, content: bytes | None = None) -> zipfile.ZipFile:
    """The package opened as a zip, refused (InputFileError) when it is larger than ``MAX_PACKAGE``
    (before anything is read), is no zip, or its bytes are not exactly the zip (``layout_problem``)."""
    hint = "请确认文件路径正确、文件已完整复制（例如从 U 盘或邮件附件），然后重试。"
    if content is None and not path.exists():
        raise InputFileError(f"找不到提交包 {path}。", hint)
    if content is None and path.is_dir():
        raise InputFileError(f"{path} 是一个文件夹，不是提交包（.zip 文件）。", hint)
    zf = None
    try:
        large = too_large(path.name, path.stat().st_size if content is None else len(content))
        if large:
            raise InputFileError(large, "请向发送单位索取原始文件。")
        zf = zipfile.ZipFile(path if content is None else io.BytesIO(content))
        layout = layout_problem(zf)
    except OSError as exc:
        if zf is not None:
            zf.close()
        raise InputFileError(f"无法读取提交包 {path}：{os_reason(exc)}。", hint) from None
    except (*_READ_ERRORS, MemoryError):
        if zf is not None:
            zf.close()
        raise InputFileError(f"{path} 不是有效的 zip 压缩包，无法核验。",
                             "该文件可能未复制完整或已损坏；请重新复制，或请发送单位重新发送原始文件。") from None
    if layout:
        zf.close()
        raise InputFileError(f"{path.name} 不是原样的提交包：{layout}，这些字节不受签名保护。", _LAYOUT_HINT)
    return zf


def _listed(problems: list[str], items: list[str], one: Callable[[str], str], many: Callable[[int], str]) -> None:
    """One problem per item for the first few, then one line counting the rest."""
    for item in items[:_MAX_LISTED]:
        problems.append(one(item))
    if len(items) > _MAX_LISTED:
        problems.append(many(len(items) - _MAX_LISTED))


@dataclass
class VerifyResult:
    ok: bool                          # intact AND signed by a known signer of the manifest's school
    problems: list[str] = field(default_factory=list)   # integrity failures, Chinese, one each
    fingerprint: str = ""                                # signer's, "" if signer.pub unreadable
    manifest: dict[str, Any] | None = None
    hint: str = ""                                       # what to do when not ok
    intact: bool = False              # every file matches a manifest validly signed by signer.pub
    signer: TrustedSigner | None = None                  # the trusted entry that vouches for it
    signer_problem: str = ""          # why the signer is not accepted (when intact)
    members: dict[str, bytes] = field(default_factory=dict)    # the ``keep`` members, when ``ok``

    @property
    def draft(self) -> bool | None:
        """The manifest's draft flag (None when there is no readable manifest)."""
        value = self.manifest.get("draft") if self.manifest else None
        return value if isinstance(value, bool) else None

    @property
    def demo(self) -> bool:
        """Whether the manifest says the package was made from demo data."""
        return bool(self.manifest and self.manifest.get("demo") is True)


def _member_problems(infos: list[zipfile.ZipInfo], problems: list[str]) -> None:
    """Unsafe names and duplicates among the zip's members (linear)."""
    bad = []
    for info in infos:
        for name in dict.fromkeys((info.orig_filename, info.filename)):
            if problem := name_problem(name):
                bad.append(f"{_show(name)}（{problem}）")
    _listed(problems, bad, lambda b: f"压缩包中的文件名 {b} 可能指向文件夹以外，提交包不可用。",
            lambda n: f"另有 {n} 个文件名不可用。")
    counts: dict[str, int] = {}
    spellings: dict[str, set[str]] = {}
    for info in infos:
        counts[info.filename] = counts.get(info.filename, 0) + 1
        spellings.setdefault(info.filename.casefold(), set()).add(info.filename)
    dups = sorted(_show(n) for n, c in counts.items() if c > 1)
    _listed(problems, dups, lambda n: f"压缩包中文件 {n} 出现了不止一次，提交包已被改动。",
            lambda n: f"另有 {n} 个文件名重复出现。")
    cased = sorted("、".join(_show(n) for n in sorted(v)) for v in spellings.values() if len(v) > 1)
    _listed(problems, cased, lambda n: f"压缩包中的文件 {n} 只有大小写不同，解压时会互相覆盖，提交包不可用。",
            lambda n: f"另有 {n} 组文件名只有大小写不同。")


def verify_package(path: Path, trusted: Sequence[TrustedSigner] | None = None,
                   content: bytes | None = None, keep: Collection[str] = ()) -> VerifyResult:
    """Check signature, every file and the signer. ``ok`` only when the package is
    intact AND its signer is one of ``trusted`` registered for the manifest's school
    code (``None`` or empty: no signer is known, ``ok`` is False, ``intact`` tells
    whether the files are untouched). Unreadable input raises InputFileError;
    integrity failures are returned. ``content``: the file's bytes already read (the
    receiver verifies exactly the bytes it then stores); ``path`` then only names it.
    ``keep``: listed members whose bytes, decompressed once for their hash, come back
    in ``members`` when ``ok`` (only a trusted signer's package is buffered)."""
    path = Path(path)
    problems: list[str] = []
    with _open_zip(path, content) as zf:
        infos = zf.infolist()
        _member_problems(infos, problems)
        members = {i.filename: i for i in infos}

        raw: dict[str, bytes | None] = {}
        for name, label in ((MANIFEST, "文件清单"), (SIGNATURE, "签名"), (SIGNER, "签名人公钥")):
            if name not in members:
                problems.append(f"缺少 {name}（{label}），无法确认提交包未被改动。")
                raw[name] = None
                continue
            raw[name], problem = _read_member(zf, members[name])
            if problem:
                problems.append(problem)

        manifest_bytes, signature, signer_bytes = raw[MANIFEST], raw[SIGNATURE], raw[SIGNER]
        public_raw, fp = None, ""
        if signer_bytes is not None:
            try:
                public_raw = signing.parse_public_key_text(signer_bytes.decode("utf-8"))
                fp = signing.fingerprint(public_raw)
            except (UnicodeDecodeError, ValidationError):
                problems.append("signer.pub（签名人公钥）无法读取，可能已被改动，无法核对签名。")

        if (manifest_bytes is not None and signature is not None and public_raw is not None
                and not signing.verify_signature(public_raw, signature, manifest_bytes)):
            problems.append("签名不正确：manifest.json 或 manifest.sig 已被改动，"
                            "或签名不是由 signer.pub 中的公钥生成的。")

        manifest = None
        if manifest_bytes is not None:
            manifest, problem = _parse_manifest(manifest_bytes)
            if problem:
                problems.append(problem)
        if manifest is not None:
            declared = sum(e["size"] for e in manifest["files"].values())
            if declared > MAX_PACKAGE:
                problems.append(f"manifest.json 登记的文件解压后共 {declared / 2**20:.0f} MB，超过提交包的上限 "
                                f"{MAX_PACKAGE >> 20} MB，没有解压核对。")
        signer, signer_problem = None, ""
        if not problems and public_raw is not None and manifest is not None:   # the files are all that is left
            signer, signer_problem = match_signer(public_raw, manifest, trusted)
        kept: dict[str, bytes] = {}
        if manifest is not None:
            _check_listed(zf, manifest["files"], members, signer_bytes is not None, problems,
                          keep if signer is not None else (), kept)
    intact = not problems
    if not intact:
        signer, signer_problem, kept = None, "", {}
    ok = intact and signer is not None
    hint = "" if ok else (UNKNOWN_HINT if intact else VERIFY_HINT)
    return VerifyResult(ok=ok, problems=problems, fingerprint=fp, manifest=manifest, hint=hint,
                        intact=intact, signer=signer, signer_problem=signer_problem, members=kept)


def _check_listed(zf: zipfile.ZipFile, listed: dict[str, Any], members: dict[str, zipfile.ZipInfo],
                  signer_read: bool, problems: list[str], keep: Collection[str] = (),
                  kept: dict[str, bytes] | None = None) -> None:
    """Every file the manifest lists is there, safe to unpack and unchanged; nothing else is.
    The ``keep`` members found unchanged are put in ``kept``. Members are decompressed and hashed
    only while no problem is known (a bad signature, a manifest over ``MAX_PACKAGE``, a changed
    member): a refused package costs no more unpacking."""
    bad = [f"{_show(n)}（{p}）" for n in listed if (p := name_problem(n))]
    _listed(problems, bad, lambda b: f"manifest.json 中登记的文件名 {b} 可能指向文件夹以外，提交包不可用。",
            lambda n: f"manifest.json 中另有 {n} 个文件名不可用。")
    missing: list[str] = []
    for name in sorted(listed):
        if name in (MANIFEST, SIGNATURE):
            problems.append(f"manifest.json 中不应登记 {name}，文件清单已被改动。")
            continue
        if name_problem(name):
            continue
        if name not in members:
            if name != SIGNER:          # a missing signer.pub is reported above
                missing.append(name)
            continue
        if problems:                    # refused already (signature, size, a member): nothing more unpacked
            continue
        expected = listed[name]["size"]
        chunks: list[bytes] | None = [] if name in keep and kept is not None else None
        got = _hash_member(zf, members[name], expected, chunks)
        if isinstance(got, str):
            if name != SIGNER or signer_read:  # else reported above
                problems.append(got)
            continue
        digest, size = got
        if size != expected:
            shown = f"{size} 字节" if size <= expected else f"超过 {expected} 字节"
            problems.append(f"文件 {_show(name)} 已被改动：大小为 {shown}，清单记录为 {expected} 字节。")
        elif digest != listed[name]["sha256"].lower():
            problems.append(f"文件 {_show(name)} 已被改动：内容与清单记录的 SHA-256 校验值不一致。")
        elif chunks is not None and kept is not None:
            kept[name] = b"".join(chunks)
    _listed(problems, missing, lambda n: f"缺少文件 {_show(n)}：清单中登记了它，但压缩包里没有。",
            lambda n: f"另有 {n} 个清单中登记的文件缺失。")
    extra = sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE})
    _listed(problems, [_show(n) for n in extra], lambda n: f"压缩包中多出未登记的文件 {n}（清单中没有它）。",
            lambda n: f"另有 {n} 个未登记的文件。")
