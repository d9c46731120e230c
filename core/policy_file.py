"""A policy file as the bureau hands it to the schools (政策文件分发).

A *signed* policy file is a package (core.package) holding ``policy.toml``, with the
meta ``{"kind": "policy", "school": {code, name} of the signer (the bureau),
"school_year", "policy_hash", "policy_version"}``; an *unsigned* one is the plain
TOML document. ``read_policy_file`` reads either: a signed file is accepted only
when ``verify_package`` says it is intact and signed by a trusted signer bound to
the school code in its manifest, its ``policy.toml`` is the one the manifest lists
and its hash is the ``policy_hash``; the document must load. Anything else raises
InputFileError or PolicyError (Chinese: what is wrong, what to do).
"""
from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.domain import school_year_label
from core.errors import InputFileError, PolicyError, os_reason
from core.package import verify_package
from core.policy import Policy, load_policy
from core.trust import TrustedSigner

POLICY_MEMBER = "policy.toml"
POLICY_KIND = "policy"
_MAX_TEXT = 4 << 20          # a policy document is a few kilobytes
_HINT = "请向县教育局索取原始的政策文件（签名的 .zip），不要使用被改动过的文件。"


@dataclass(frozen=True)
class PolicyFile:
    text: str
    policy: Policy
    signed: bool
    fingerprint: str = ""                 # the signer's key, signed files only
    signer: TrustedSigner | None = None   # the trusted entry that vouches for it
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def school_year(self) -> int | None:
        """The school year the signer issued it for (None: unsigned or not stated)."""
        year = self.manifest.get("school_year")
        return year if isinstance(year, int) else None

    @property
    def signer_school(self) -> str:
        """“代码 名称” of the signing unit as registered in the trust list."""
        if self.signer is None:
            return ""
        return " ".join(x for x in (self.signer.school_code, self.signer.school_name) if x)

    @property
    def issued(self) -> tuple[int, int] | None:
        """The signer's own version this file carries (its school year, number), when it says so."""
        version = self.manifest.get("policy_version")
        if not isinstance(version, dict):
            return None
        year, number = version.get("school_year"), version.get("number")
        if type(year) is not int or type(number) is not int or number <= 0:     # (bool is not a number here)
            return None
        return year, number

    def issued_label(self) -> str:
        """“2023–2024学年 第4版” of the signer's version (its own school year: a bureau that moved to
        the next year before saving a version there issues the last one of the year before)."""
        if self.issued is None:
            return school_year_label(self.school_year) if self.school_year else ""
        year, number = self.issued
        label = school_year_label(year)
        return f"{label} 第{number}版" if label else f"第{number}版"

    def source_text(self) -> str:
        """One line saying where the document comes from, for the preview."""
        if not self.signed:
            return "未签名的政策文件：无法确认来源和是否被改动"
        issued = f"，{self.issued_label()}" if self.issued_label() else ""
        return (f"签名有效的政策文件：由{self.signer_school or '已登记的签名人'}签发{issued}"
                f"（签名人公钥指纹 {self.fingerprint}）")


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{where} 不是 UTF-8 编码的政策文件",
                             "请用资助助手导出的政策文件（.toml 或签名的 .zip）") from None


def _read_plain(path: Path) -> PolicyFile:
    try:
        if path.stat().st_size > _MAX_TEXT:
            raise InputFileError(f"{path} 太大，不是资助政策文件", "请选择资助助手导出的政策文件")
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"无法读取政策文件 {path}：{os_reason(exc)}", "请检查文件路径") from None
    if data.startswith(b"PK") or path.suffix.lower() == ".zip":
        raise InputFileError(f"政策文件 {path} 不完整或已损坏：它不是一个完好的 .zip 文件",
                             "可能是下载或复制时中断了：请重新向县教育局索取或重新复制这个文件")
    text = _decode(data, str(path))
    return PolicyFile(text, load_policy(text, strict=True), signed=False)


def _member_text(path: Path, manifest: dict[str, Any]) -> str:
    listed = manifest.get("files", {}).get(POLICY_MEMBER)
    if manifest.get("kind") != POLICY_KIND or not isinstance(listed, dict):
        raise InputFileError(f"{path} 是签名的提交包，但不是政策文件（没有 {POLICY_MEMBER}）",
                             "请选择县教育局下发的政策文件；上报包请用 verify 核验")
    with zipfile.ZipFile(path) as zf, zf.open(POLICY_MEMBER) as fh:
        data = fh.read(_MAX_TEXT + 1)
    digest = hashlib.sha256(data).hexdigest()
    if digest != listed.get("sha256") or digest != manifest.get("policy_hash"):
        raise InputFileError(f"{path} 中的 {POLICY_MEMBER} 与签名的清单不一致，文件已被改动", _HINT)
    return _decode(data, f"{path} 中的 {POLICY_MEMBER}")


def read_policy_file(path: Path, trusted: Sequence[TrustedSigner] | None = None,
                     require_trusted: bool = True) -> PolicyFile:
    """A policy file, signed (.zip, verified against ``trusted``) or plain TOML. With
    ``require_trusted`` False an intact signed file of an unknown signer is read too
    (``policy diff``: reading, never installing)."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        return _read_plain(path)
    result = verify_package(path, trusted)
    if not result.intact:
        said = [p.rstrip("。").replace("提交包", "文件") for p in result.problems[:5]]
        raise InputFileError(f"政策文件 {path} 校验失败：" + "；".join(said), _HINT)
    if not result.ok and require_trusted:
        why = result.signer_problem.rstrip("。").replace("提交包是哪所学校签发的", "这个政策文件是谁签发的") \
            .replace("提交包", "政策文件")
        raise InputFileError(f"政策文件 {path} 的签名人未经确认：{why}",
                             "请向县教育局核对签名人公钥指纹；确认后在 设置 → 签名人登记 中登记县教育局的公钥"
                             "（命令行：用 --trust 指定县教育局导出的公钥文件），再导入")
    assert result.manifest is not None       # intact: the manifest was read
    text = _member_text(path, result.manifest)
    try:
        policy = load_policy(text, strict=True)
    except PolicyError as exc:
        raise PolicyError(f"政策文件 {path} 签名有效，但内容无法使用：{exc.message}", exc.hint) from None
    return PolicyFile(text, policy, True, result.fingerprint, result.signer, result.manifest)


def policy_meta(school_code: str, school_name: str, school_year: int, policy: Policy,
                version_year: int, version_number: int) -> dict[str, Any]:
    """The manifest meta of a signed policy file."""
    return {"kind": POLICY_KIND, "school": {"code": school_code, "name": school_name}, "school_year": school_year,
            "policy_hash": policy.sha256, "policy_name": policy.name,
            "policy_version": {"school_year": version_year, "number": version_number}}
