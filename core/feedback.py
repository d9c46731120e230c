"""The feedback package (反馈包): a receiver's findings about one school, sent back to it.

A receiver (乡镇扶贫工作站, 教育体育局, a central school) finds problems only it can see —
one student subsidised by two schools (汇总核查), a spot check's 不属实 result (专项核查,
暗访) — and sends the ones that concern a school back in a package signed with the
receiver's own key (``core.package.write_package``, the same signed zip as a school
package). The manifest's ``school`` is the receiver (the signer), so the school's
verification binds the receiver's key to the receiver's code like any package; the
school the feedback is for is in the member ``feedback.json``::

    {"format": "zizhu-feedback", "version": 1,
     "receiver": {"code", "name"}, "school": {"code", "name"}, "school_year": 2023,
     "created_at": "2024-06-05T10:00:00", "package_sha256": "<hex>" | "",
     "findings": [{"key", "code", "severity", "title", "message", "id_number", "name",
                   "origin", "details": [{"label", "value"}]}]}

``key`` is the receiver's stable name for one problem: the same problem in a newer
feedback has the same key (a newer feedback supersedes the older one's open findings).
``package_sha256`` is the school package the findings were made on ("" when unknown).
Everything is parsed strictly: a missing or mistyped field is a ValidationError
naming the place, never a half-read feedback.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.checks.base import Severity
from core.errors import InputFileError, ValidationError
from core.package import verify_package, write_package
from core.package_data import JsonReader, local_time
from core.trust import TrustedSigner

FEEDBACK_MEMBER = "feedback.json"
FEEDBACK_FORMAT = "zizhu-feedback"
FEEDBACK_VERSION = 1
KIND_FEEDBACK = "feedback"           # the manifest's "kind"
# Where a finding comes from (shown as 来自：<receiver> <origin>).
ORIGIN_CROSS, ORIGIN_SPOT, ORIGIN_VISIT = "汇总核查", "专项核查", "暗访"
ORIGINS = (ORIGIN_CROSS, ORIGIN_SPOT, ORIGIN_VISIT)
_MAX_MEMBER = 64 << 20               # feedback.json of 100,000 findings is far smaller
_HINT = "请联系发出反馈包的单位，用最新版本的程序重新生成反馈包。"
REFUSED_HINT = ("请不要使用这个反馈包：请发出反馈包的单位（乡镇扶贫工作站或教育体育局）重新生成并发送原始文件，"
                "并通过电话核对签名人指纹。")


@dataclass(frozen=True)
class FeedbackFinding:
    """One problem a receiver found that concerns the school."""

    key: str                  # the receiver's stable identity of the problem
    code: str                 # e.g. DUPLICATE_ACROSS_SCHOOLS
    severity: str             # error / warning / info
    title: str                # Chinese, e.g. 跨校重复享受资助
    message: str              # Chinese, the whole description
    origin: str               # one of ORIGINS
    id_number: str = ""
    name: str = ""
    details: tuple[tuple[str, str], ...] = ()     # (label, value): the other school, both amounts, …

    @property
    def fingerprint(self) -> str:
        """What the school's clerk judged when accepting it: a change reopens the finding."""
        text = json.dumps([self.severity, self.title, self.message, self.id_number, self.name,
                           [list(d) for d in self.details]], ensure_ascii=False)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Feedback:
    receiver_code: str
    receiver_name: str
    school_code: str          # the school it is for
    school_name: str
    school_year: int
    created_at: str           # ISO date and time, seconds
    package_sha256: str = ""  # the school package the findings were made on ("" unknown)
    findings: tuple[FeedbackFinding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FEEDBACK_FORMAT, "version": FEEDBACK_VERSION,
            "receiver": {"code": self.receiver_code, "name": self.receiver_name},
            "school": {"code": self.school_code, "name": self.school_name},
            "school_year": self.school_year, "created_at": self.created_at,
            "package_sha256": self.package_sha256,
            "findings": [{"key": f.key, "code": f.code, "severity": f.severity, "title": f.title,
                          "message": f.message, "id_number": f.id_number, "name": f.name, "origin": f.origin,
                          "details": [{"label": label, "value": value} for label, value in f.details]}
                         for f in self.findings],
        }

    def to_bytes(self) -> bytes:
        """Canonical bytes: the same feedback always gives the same member (and hash)."""
        return (json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")

    @property
    def created(self) -> datetime:
        """``created_at`` as local time without an offset (``parse_feedback`` gives it so)."""
        return local_time(self.created_at)

    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity] += 1
        return out


# -- reading feedback.json strictly ------------------------------------------------

class _Reader(JsonReader):
    def __init__(self, source: str) -> None:
        super().__init__(source, FEEDBACK_MEMBER, _HINT)

    def required(self, d: dict[str, Any], key: str, where: str) -> str:
        value = self.text(d, key, where)
        if not value.strip():
            raise self.fail(f"{where}.{key}", "不能为空")
        return value


def _finding(r: _Reader, raw: Any, where: str) -> FeedbackFinding:
    d = r.obj(raw, where)
    severity = r.required(d, "severity", where)
    if severity not in {s.value for s in Severity}:
        raise r.fail(f"{where}.severity", "级别应为 error、warning 或 info")
    origin = r.required(d, "origin", where)
    if origin not in ORIGINS:
        raise r.fail(f"{where}.origin", f"来源应为{'、'.join(ORIGINS)}之一")
    details_raw = d.get("details")
    if not isinstance(details_raw, list):
        raise r.fail(f"{where}.details", "应为列表")
    details = []
    for i, item in enumerate(details_raw):
        dw = f"{where}.details[{i}]"
        dd = r.obj(item, dw)
        details.append((r.required(dd, "label", dw), r.text(dd, "value", dw)))
    return FeedbackFinding(
        key=r.required(d, "key", where), code=r.required(d, "code", where),
        severity=severity, title=r.required(d, "title", where), message=r.text(d, "message", where),
        origin=origin, id_number=r.text(d, "id_number", where), name=r.text(d, "name", where),
        details=tuple(details))


def parse_feedback(data: bytes, source: str = "反馈包") -> Feedback:
    """``feedback.json`` bytes -> Feedback; ValidationError (Chinese, naming the place) otherwise."""
    r = _Reader(source)
    top = r.document(data, FEEDBACK_FORMAT, FEEDBACK_VERSION, "反馈文件",
                     "请把本程序升级到与发出反馈包的单位相同或更新的版本。")
    receiver, school = r.obj(top.get("receiver"), "receiver"), r.obj(top.get("school"), "school")
    year = r.year(top.get("school_year"), "school_year")
    created = r.required(top, "created_at", "整体")
    try:
        when = local_time(created)       # one written with an offset (+08:00, Z) is taken as local time
    except ValueError:
        raise r.fail("created_at", "应为日期时间（例如 2024-06-05T10:00:00）") from None
    if datetime.fromisoformat(created).tzinfo is not None:
        created = when.isoformat()       # as the program writes it: compared with the stored ones
    sha = r.text(top, "package_sha256", "整体")
    if sha and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        raise r.fail("package_sha256", "应为 64 位小写十六进制的 SHA-256 校验值，或为空")
    raw_findings = top.get("findings")
    if not isinstance(raw_findings, list):
        raise r.fail("findings", "应为列表")
    findings = tuple(_finding(r, f, f"findings[{i}]") for i, f in enumerate(raw_findings))
    seen: set[str] = set()
    for i, f in enumerate(findings):
        if f.key in seen:
            raise r.fail(f"findings[{i}].key", f"标识“{f.key}”重复出现")
        seen.add(f.key)
    return Feedback(
        receiver_code=r.required(receiver, "code", "receiver").strip(),
        receiver_name=r.text(receiver, "name", "receiver"),
        school_code=r.required(school, "code", "school").strip(),
        school_name=r.text(school, "name", "school"),
        school_year=year, created_at=created, package_sha256=sha, findings=findings)


# -- the signed package ---------------------------------------------------------

def feedback_meta(feedback: Feedback) -> dict[str, Any]:
    """The manifest's metadata: the signer is the receiver (bound to its code)."""
    return {"kind": KIND_FEEDBACK, "school": {"code": feedback.receiver_code, "name": feedback.receiver_name},
            "school_year": feedback.school_year, "draft": False,
            "feedback_for": {"code": feedback.school_code, "name": feedback.school_name},
            "created_at": feedback.created_at, "counts": feedback.counts()}


def write_feedback_package(target: Path, feedback: Feedback, private_key: Ed25519PrivateKey,
                           public_raw: bytes) -> Path:
    """Write the signed feedback package atomically (nothing is left behind on a failure)."""
    return write_package(target, {FEEDBACK_MEMBER: feedback.to_bytes()}, feedback_meta(feedback),
                         private_key, public_raw)


@dataclass(frozen=True)
class ReadFeedback:
    feedback: Feedback
    sha256: str                   # of the whole package file (importing it twice is a no-op)
    fingerprint: str              # the signer's key
    signer: TrustedSigner


def read_feedback_package(path: Path, trusted: Sequence[TrustedSigner]) -> ReadFeedback:
    """Verify a feedback package (``core.package.verify_package``: every hash, the signature,
    a trusted key bound to the receiver's code in the manifest) and read its findings.
    Anything else raises a ZizhuError saying exactly why (InputFileError for an unreadable
    file, ValidationError for a refused package)."""
    path = Path(path)
    result = verify_package(path, trusted)
    if not result.intact:
        listed = "；".join(result.problems[:5]) + (f"；另有 {len(result.problems) - 5} 个问题"
                                                   if len(result.problems) > 5 else "")
        raise ValidationError(f"反馈包 {path.name} 未通过核验，已拒收：{listed}", REFUSED_HINT)
    manifest = result.manifest or {}
    if manifest.get("kind") != KIND_FEEDBACK:
        raise ValidationError(f"{path.name} 不是反馈包（可能是学校的上报包或汇总包），已拒收。",
                              "反馈包由乡镇扶贫工作站或教育体育局的“生成反馈包”得到；请确认选择的文件。")
    if result.signer is None:
        raise ValidationError(f"反馈包 {path.name} 的签名人不被信任，已拒收：{result.signer_problem}",
                              "请通过电话向发出反馈包的单位核对签名人指纹，确认无误后把它的公钥登记到信任列表"
                              "（trust add 公钥文件 --school 单位名称 --code 单位代码，或 设置 › 信任的公钥），"
                              "或用 --trust 信任文件 指定，然后重新导入。")
    data, file_sha = _read_member(path, manifest)
    feedback = parse_feedback(data, f"反馈包 {path.name} ")
    school = manifest.get("school")
    code = school.get("code") if isinstance(school, dict) else None
    if feedback.receiver_code != (code.strip() if isinstance(code, str) else code):
        raise ValidationError(f"反馈包 {path.name} 的发出单位代码（{feedback.receiver_code}）与签名清单中的"
                              f"（{code}）不一致，已拒收。", REFUSED_HINT)
    if manifest.get("school_year") != feedback.school_year:
        raise ValidationError(f"反馈包 {path.name} 的学年与签名清单中的不一致，已拒收。", REFUSED_HINT)
    return ReadFeedback(feedback, file_sha, result.fingerprint, result.signer)


def _read_member(path: Path, manifest: dict[str, Any]) -> tuple[bytes, str]:
    """feedback.json's bytes, checked again against the signed manifest (the file may have
    changed since it was verified), and the whole file's SHA-256."""
    listed = manifest.get("files", {}).get(FEEDBACK_MEMBER)
    if not isinstance(listed, dict):
        raise ValidationError(f"反馈包 {path.name} 中没有 {FEEDBACK_MEMBER}，已拒收。", REFUSED_HINT)
    try:
        blob = path.read_bytes()
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(FEEDBACK_MEMBER)
            if info.file_size > _MAX_MEMBER:
                raise ValidationError(f"反馈包 {path.name} 中的 {FEEDBACK_MEMBER} 大得异常，已拒收。", REFUSED_HINT)
            with zf.open(info) as fh:
                data = fh.read(_MAX_MEMBER + 1)
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise InputFileError(f"无法读取反馈包 {path.name}：{exc}。", "请确认文件已完整复制，然后重试。") from None
    if hashlib.sha256(data).hexdigest() != str(listed.get("sha256", "")).lower():
        raise ValidationError(f"反馈包 {path.name} 在核验后被改动，已拒收。", REFUSED_HINT)
    return data, hashlib.sha256(blob).hexdigest()
