"""The signed submission package: a .zip with the exported files, a manifest
(manifest.json: metadata plus SHA-256 and size of every file), its Ed25519
signature (manifest.sig) and the signer's public key (signer.pub).

signer.pub is itself listed in the manifest, so every byte of every member is
covered either by the signature (manifest.json) or by a hash inside it.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core import signing
from core.errors import InputFileError, ValidationError
from core.paths import write_atomic

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNER = "signer.pub"
RESERVED = (MANIFEST, SIGNATURE, SIGNER)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)    # fixed entry timestamps: same input, same bytes
_CHUNK = 1 << 16
VERIFY_HINT = ("请不要使用这个提交包；请联系报送学校重新导出并发送原始文件，"
               "并核对签名人指纹是否与纸质报告上打印的一致。")


@dataclass
class VerifyResult:
    ok: bool
    problems: list[str] = field(default_factory=list)   # Chinese, one per failure
    fingerprint: str = ""                                # signer's, "" if signer.pub unreadable
    manifest: dict | None = None
    hint: str = ""                                       # what to do when not ok


def program_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("zizhu")
    except PackageNotFoundError:  # frozen build without metadata
        return "unknown"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_name(name: str) -> None:
    bad = (not isinstance(name, str) or not name.strip() or name in RESERVED
           or any(c in name for c in "/\\:\0") or name in (".", ".."))
    if bad:
        raise ValidationError(f"提交包中的文件名“{name}”不可用。",
                              "文件名不能为空、不能含路径分隔符，也不能与 manifest.json、manifest.sig、signer.pub 重名。")


def build_manifest(files: dict[str, bytes], meta: dict, signer_text: bytes) -> bytes:
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


def _write_zip(fh, members: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(fh, "w") as zf:
        for name, data in members:
            _write_member(zf, name, data)


def write_package(target: Path, files: dict[str, bytes], meta: dict,
                  private_key: Ed25519PrivateKey, public_raw: bytes) -> Path:
    """Write the signed package atomically to ``target`` and return it.
    On any failure ``target`` is left as it was and no temporary file remains."""
    target = Path(target)
    files = {name: bytes(data) for name, data in files.items()}
    for name in files:
        _check_name(name)
    if signing.public_raw_of(private_key) != bytes(public_raw):
        raise ValidationError("签名私钥与公钥不匹配。", "请在设置中检查密钥，必要时重新生成密钥。")
    signer_text = (signing.public_key_text(public_raw, str(meta.get("school", ""))) + "\n").encode("utf-8")
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


_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
                NotImplementedError, ValueError, struct.error)
_MAX_META = 16 << 20                # manifest.json / manifest.sig / signer.pub are tiny


def _damaged(name: str) -> str:
    return f"文件 {name} 已损坏，无法从压缩包中读出（压缩数据或校验码错误）。"


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str]:
    """Return (content, "") or (None, problem)."""
    if info.file_size > _MAX_META:
        return None, f"文件 {info.filename} 大得异常（{info.file_size} 字节），提交包已被改动。"
    try:
        with zf.open(info) as fh:
            return fh.read(), ""
    except _READ_ERRORS:
        return None, _damaged(info.filename)


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int] | str:
    """Stream a member: (sha256, size), or a problem text."""
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except _READ_ERRORS:
        return _damaged(info.filename)
    return digest.hexdigest(), size


def _parse_manifest(data: bytes) -> tuple[dict | None, str]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "manifest.json（文件清单）无法读取：内容不是有效的 UTF-8 JSON，可能已被改动或损坏。"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return None, "manifest.json（文件清单）无法读取：缺少文件列表（files）。"
    if manifest.get("format_version") != FORMAT_VERSION:
        return None, (f"manifest.json 的格式版本为 {manifest.get('format_version')!r}，"
                      f"本程序只支持版本 {FORMAT_VERSION}；请升级本程序后再核验。")
    for name, entry in manifest["files"].items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str)
                or type(entry.get("size")) is not int):
            return None, f"manifest.json（文件清单）无法读取：文件 {name} 的记录不完整。"
    return manifest, ""


def _open_zip(path: Path) -> zipfile.ZipFile:
    hint = "请确认文件路径正确、文件已完整复制（例如从 U 盘或邮件附件），然后重试。"
    if not path.exists():
        raise InputFileError(f"找不到提交包 {path}。", hint)
    if path.is_dir():
        raise InputFileError(f"{path} 是一个文件夹，不是提交包（.zip 文件）。", hint)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, struct.error):
        raise InputFileError(f"{path} 不是有效的 zip 压缩包，无法核验。",
                             "该文件可能未复制完整或已损坏；请向报送学校索取原始提交包。") from None
    except OSError as exc:
        raise InputFileError(f"无法读取提交包 {path}：{exc.strerror or exc}。", hint) from None


def verify_package(path: Path, trusted: list[bytes] | None = None) -> VerifyResult:
    """Check signature, signer (when ``trusted`` is given) and every file.
    Unreadable input raises InputFileError; integrity failures are returned."""
    path = Path(path)
    problems: list[str] = []
    with _open_zip(path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"压缩包中文件 {name} 出现了不止一次，提交包已被改动。")
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

        public_raw, fp = None, ""
        if raw[SIGNER] is not None:
            try:
                public_raw = signing.parse_public_key_text(raw[SIGNER].decode("utf-8"))
                fp = signing.fingerprint(public_raw)
            except (UnicodeDecodeError, ValidationError):
                problems.append("signer.pub（签名人公钥）无法读取，可能已被改动，无法核对签名。")

        signed = raw[MANIFEST] is not None and raw[SIGNATURE] is not None and public_raw is not None
        if signed and not signing.verify_signature(public_raw, raw[SIGNATURE], raw[MANIFEST]):
            problems.append("签名不正确：manifest.json 或 manifest.sig 已被改动，"
                            "或签名不是由 signer.pub 中的公钥生成的。")
        if public_raw is not None and trusted is not None and public_raw not in {bytes(t) for t in trusted}:
            problems.append(f"未登记的签名人：签名人指纹 {fp} 不在信任的公钥列表中。")

        manifest = None
        if raw[MANIFEST] is not None:
            manifest, problem = _parse_manifest(raw[MANIFEST])
            if problem:
                problems.append(problem)
        if manifest is not None:
            listed = manifest["files"]
            for name in sorted(listed):
                if name in (MANIFEST, SIGNATURE):
                    problems.append(f"manifest.json 中不应登记 {name}，文件清单已被改动。")
                    continue
                if name not in members:
                    if name != SIGNER:          # a missing signer.pub is reported above
                        problems.append(f"缺少文件 {name}：清单中登记了它，但压缩包里没有。")
                    continue
                got = _hash_member(zf, members[name])
                if isinstance(got, str):
                    if name != SIGNER or raw[SIGNER] is not None:  # else reported above
                        problems.append(got)
                    continue
                digest, size = got
                if size != listed[name]["size"]:
                    problems.append(f"文件 {name} 已被改动：大小为 {size} 字节，清单记录为 {listed[name]['size']} 字节。")
                elif digest != listed[name]["sha256"].lower():
                    problems.append(f"文件 {name} 已被改动：内容与清单记录的 SHA-256 校验值不一致。")
            for name in sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE}):
                problems.append(f"压缩包中多出未登记的文件 {name}（清单中没有它）。")
    ok = not problems
    return VerifyResult(ok=ok, problems=problems, fingerprint=fp, manifest=manifest,
                        hint="" if ok else VERIFY_HINT)


def read_trust_file(path: Path) -> list[bytes]:
    """Public keys from a trust file: one ``zizhu-ed25519 …`` line each;
    blank lines and lines starting with '#' are ignored."""
    path = Path(path)
    hint = "信任文件每行一把公钥（由学校“导出公钥”得到），以 # 开头的行是注释。"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"找不到信任文件 {path}。", "请确认文件路径正确。") from None
    except UnicodeDecodeError:
        raise InputFileError(f"信任文件 {path} 不是 UTF-8 文本文件。", hint) from None
    except OSError as exc:
        raise InputFileError(f"无法读取信任文件 {path}：{exc.strerror or exc}。", "请确认文件路径正确。") from None
    keys: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(signing.parse_public_key_text(line))
        except ValidationError as exc:
            raise InputFileError(f"信任文件 {path} 第 {number} 行：{exc.message}", hint) from None
    if not keys:
        raise InputFileError(f"信任文件 {path} 中没有任何公钥。", hint)
    return keys
