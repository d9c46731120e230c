"""Examining a school package before a receiver stores anything of it (consolidate add).

``examine_package`` runs every check on the bytes read once: the signature by a trusted key
bound to the manifest's school code and every hash (``core.package.verify_package``, the
one verification), the machine-readable member present and strictly parsed, its school
and year equal to the signed manifest's, not demo data, not a draft, the school year the
receiver consolidates (or, for the once-only check's history, an earlier one), and funding
sources this program knows. The result names the exact reason of a refusal.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from core.bulk import in_parallel
from core.domain import school_year_label
from core.errors import InputFileError, ValidationError, os_reason
from core.package import MANIFEST, MAX_PACKAGE, verify_package
from core.package_data import DATA_MEMBER, KIND_SCHOOL, PackageData, parse_package_data
from core.policy import SOURCE_LABELS
from core.trust import TrustedSigner, manifest_school

_SHOWN_PROBLEMS = 5
# How the refusal of a school's genuine draft begins (the intake log's reason; db.receiving_status
# counts a school 仅有草稿 only by such a line).
DRAFT_REFUSAL = "这是草稿提交包，不能汇总"
KIND_CONSOLIDATED = "consolidated"     # a station's 汇总包 (core.exports.consolidated writes it)


@dataclass(frozen=True)
class Examined:
    """One package file after examination: ``reason`` "" = may be stored."""

    path: Path
    sha256: str
    content: bytes = b""
    data: PackageData | None = None    # when it may be stored: without its students (see ``with_students``)
    fingerprint: str = ""
    school_code: str = ""          # as the manifest says (when readable)
    school_name: str = ""
    school_year: int | None = None
    draft: bool = False            # a draft signed by its school's trusted key (refused; status 仅有草稿)
    reason: str = ""
    via: str = ""                  # the station (code) whose consolidated package held it; "" sent directly
    via_name: str = ""             # that station's name, as its signed package says
    relayed_at: datetime | None = None  # when that station received it, as its signed list says (None: unknown)
    students: int = 0              # how many students ``data.json`` lists (when it may be stored)
    total_fen: int = 0             # the sum of their grants

    def with_students(self) -> PackageData:
        """``data`` with its students, decoded again from ``content`` (the examination counted
        and checked them, then let them go: storing needs only their count and total; a
        replacement's change list, rare, reads them here)."""
        return data_member(self.content, f"提交包 {self.path.name} ")

    @property
    def ok(self) -> bool:
        return not self.reason and self.data is not None


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _year(value: object) -> int | None:
    return value if type(value) is int else None


# The other signed files the program makes, by their manifest's kind (core.feedback, core.policy_file).
_OTHER_KINDS = {"feedback": "反馈包（核查问题反馈）", "policy": "资助政策文件"}


def read_data_member(path: Path, content: bytes, manifest: dict[str, Any], raw: bytes | None = None, *,
                     untrusted: bool = False) -> PackageData:
    """The parsed ``data.json`` of a package whose files were verified against ``manifest``
    (``raw``: its bytes as the verification read them; else read from ``content``).
    ValidationError when the package has none (an older program made it) or it is malformed.
    ``untrusted``: its signer is not known here (``parse_package_data``: a large member msgspec
    refuses is not read again field by field)."""
    other = _OTHER_KINDS.get(str(manifest.get("kind", "")))       # (a receiver's own feedback, a policy file)
    if other:
        raise ValidationError(f"{Path(path).name} 是{other}，不是学校的上报包，不能汇总。", "")
    if DATA_MEMBER not in manifest.get("files", {}):
        raise ValidationError(f"提交包中没有机读数据 {DATA_MEMBER}：它由旧版本的资助助手导出，不能汇总。"
                              "请学校升级资助助手后重新导出上报包。", "")
    source = f"提交包 {Path(path).name} "
    return data_member(content, source, untrusted=untrusted) if raw is None \
        else parse_package_data(raw, source, untrusted=untrusted)


def data_member(content: bytes, source: str, *, untrusted: bool = False) -> PackageData:
    """The parsed ``data.json`` of a package's bytes (``source`` names it in a message)."""
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        raw = zf.read(DATA_MEMBER)
    return parse_package_data(raw, source, untrusted=untrusted)


def audit_entries(content: bytes) -> int | None:
    """How many entries the school's audit log had when it made the package (its signed manifest's
    ``audit_log.entries``, verified when the package was taken in); None when the manifest says none."""
    import json
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            manifest = json.loads(zf.read(MANIFEST))
        entries = manifest["audit_log"]["entries"]
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile):
        return None
    return entries if type(entries) is int else None


def examine_package(path: Path, content: bytes, trusted: Sequence[TrustedSigner], receiver_year: int,
                    history: bool = False, kinds: tuple[str, ...] = (KIND_SCHOOL,)) -> Examined:
    """Every check, on ``content`` (the file's bytes as read; ``path`` names it). ``kinds``: the
    data member's kinds accepted (a station's consolidated package is examined like this too)."""
    path = Path(path)
    digest = sha256_of(content)
    try:
        result = verify_package(path, trusted, content=content, keep=(DATA_MEMBER,))
    except InputFileError as exc:
        return Examined(path, digest, reason=exc.message)
    code, name = manifest_school(result.manifest)
    manifest = result.manifest or {}
    base = Examined(path, digest, fingerprint=result.fingerprint, school_code=code, school_name=name,
                    school_year=_year(manifest.get("school_year")))

    def refused(reason: str) -> Examined:
        return replace(base, reason=reason)

    if not result.intact:
        shown = "；".join(result.problems[:_SHOWN_PROBLEMS])
        extra = len(result.problems) - _SHOWN_PROBLEMS
        more = f"；另有 {extra} 处问题" if extra > 0 else ""
        return refused(f"提交包已被改动或损坏：{shown}{more}")
    if not result.ok:
        return refused(result.signer_problem)
    try:
        data = read_data_member(path, content, manifest, result.members.get(DATA_MEMBER))
    except ValidationError as exc:
        return refused(exc.message)
    if data.school_code != code:
        return refused(f"{DATA_MEMBER} 中的学校代码 {data.school_code} 与签名清单中的学校代码 {code} 不一致。")
    if data.school_year != base.school_year:
        return refused(f"{DATA_MEMBER} 中的学年 {data.school_year} 与签名清单中的学年 {base.school_year} 不一致。")
    if data.demo or result.demo:
        return refused("这是演示数据（虚构的学校和学生）导出的提交包，不能汇总。")
    if data.draft or result.draft:
        # noted as a draft (status 仅有草稿) only here: the school's own key signed it, for its own code
        return replace(base, draft=True, reason=DRAFT_REFUSAL + "（草稿可以用 consolidate view 查看）。"
                                                                "请学校核准全部学生后导出正式上报包。")
    if data.kind not in kinds:
        return refused(f"提交包的类型为“{data.kind}”，本程序只能汇总学校的上报包。")
    year = school_year_label(data.school_year)
    if history and data.school_year >= receiver_year:
        return refused(f"提交包是{year}的，--history 只接收本汇总学年（{school_year_label(receiver_year)}）"
                       "以前各学年的提交包。")
    if not history and data.school_year > receiver_year:
        return refused(f"提交包是{year}的，本汇总数据库汇总的是{school_year_label(receiver_year)}。"
                       f"请在汇总{year}的数据库中接收（不能用 --history：那只接收以前各学年的）；"
                       "也可能是学校把学年设错了，请与学校核实。")
    if not history and data.school_year != receiver_year:
        return refused(f"提交包是{year}的，本汇总数据库汇总的是{school_year_label(receiver_year)}。"
                       "往年的提交包请用 --history 接收（只用于核对一次性项目）。")
    sources: set[str] = set()
    total = 0
    for st in data.students:
        for g in st.grants:
            total += g.amount_fen
            sources.update(g.shares)
    unknown = sorted(sources - SOURCE_LABELS.keys())
    if unknown:
        return refused(f"{DATA_MEMBER} 中有本程序不认识的资金来源：{'、'.join(unknown)}。")
    # the students are checked and counted; not kept (many small objects per package, held
    # until every offered file is examined): ``Examined.with_students`` reads them again
    return replace(base, content=content, data=replace(data, students=()), students=len(data.students),
                   total_fen=total)


# The data-member kinds ``consolidate add`` takes: a school's package and a station's 汇总包.
INTAKE_KINDS = (KIND_SCHOOL, KIND_CONSOLIDATED)


def package_files(paths: Iterable[Path]) -> list[Path]:
    """The files to take in: each path given, a folder searched (also its subfolders) for .zip."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix.lower() == ".zip" and f.is_file())
        else:
            out.append(p)
    return list(dict.fromkeys(out))


# Offered files are read whole (what is examined is what is stored). A file past ``LOOK_FIRST`` is
# first looked into without reading it (a photo backup on the same USB stick): only a zip holding a
# package's manifest is read, and none past ``MAX_OFFERED`` (core.package.MAX_PACKAGE, the cap
# ``verify`` and ``consolidate view`` apply too): refused before a byte of it is read.
LOOK_FIRST = 64 << 20
MAX_OFFERED = MAX_PACKAGE


def read_offered(path: Path) -> bytes | str:
    """An offered file's bytes, or why it cannot be read (the outcome's reason)."""
    size = 0
    try:
        size = path.stat().st_size
        if size > MAX_OFFERED:
            return (f"{path.name} 有 {size / 2**20:.0f} MB，超过提交包的上限 {MAX_OFFERED / 2**20:.0f} MB，"
                    "不是资助助手的提交包（提交包通常只有几 MB），没有读取。请确认选对了文件。")
        if size > LOOK_FIRST:
            try:
                with zipfile.ZipFile(path) as zf:
                    if MANIFEST not in zf.namelist():
                        return f"{path.name} 不是资助助手的提交包（其中没有 {MANIFEST}）。"
            except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
                return f"{path.name} 不是资助助手的提交包（不是有效的 zip 文件）。"
        return path.read_bytes()
    except FileNotFoundError:
        return f"找不到文件 {path}。"
    except IsADirectoryError:
        return f"{path} 是一个文件夹。"
    except MemoryError:
        return f"{path.name} 太大，内存不足，无法读取（{size / 2**20:.0f} MB）。"
    except OSError as exc:
        return f"无法读取文件 {path}：{os_reason(exc)}。"


def examine_files(files: Sequence[Path], trusted: Sequence[TrustedSigner], receiver_year: int, history: bool,
                  kinds: tuple[str, ...], contents: Sequence[bytes | str] | None = None) -> Iterator[Examined | str]:
    """Each file read once (or its ``contents`` as ``read_offered`` gave them) and examined
    (``examine_package``), or why it could not be read, in the files' order; on two cores (zlib and
    SHA-256 run without the GIL)."""
    def examine(i: int) -> Examined | str:
        content = read_offered(files[i]) if contents is None else contents[i]
        return content if isinstance(content, str) else examine_package(files[i], content, trusted, receiver_year,
                                                                        history, kinds)
    return in_parallel(examine, range(len(files)))
