"""Trusted signers (签名人登记 / 信任列表): a public key bound to a school code.

A package verifies only when its signer is known: the key is one of the
trusted signers AND the school code in the manifest is the code that key is
registered for. A valid signature by an unknown key proves nothing (anyone can
make a key), and a known key signing for another school is refused.

Trust file: one line per key, as ``key export`` writes it::

    zizhu-ed25519 <base64> code=<学校代码> <学校名称>

Lines written before the binding existed (no ``code=``) are still read, but
they bind no school, so such a key is never accepted: accepting it would let
any registered school's key sign packages in another school's name. The
receiver fixes the line by adding ``code=<学校代码>`` after confirming the
fingerprint with the school, or asks the school for a new ``key export``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from core import signing
from core.errors import InputFileError, ValidationError, os_reason

CODE_PREFIX = "code="


@dataclass(frozen=True)
class TrustedSigner:
    """A public key registered for one school. ``school_code`` "" = bound to no
    school (an old key line): never accepted for any package."""

    public_raw: bytes
    school_code: str
    school_name: str = ""
    source: str = ""                 # where it was registered, for messages

    @property
    def fingerprint(self) -> str:
        return signing.fingerprint(self.public_raw)

    def label(self) -> str:
        if not self.school_code:
            return "未登记学校代码"
        return f"学校代码 {self.school_code}" + (f"（{self.school_name}）" if self.school_name else "")


def _escape_code(code: str) -> str:
    """Whitespace and '%' percent-encoded so the code stays one token."""
    return "".join(quote(c) if c.isspace() or c == "%" else c for c in code)


def signer_comment(school_code: str, school_name: str = "") -> str:
    """The comment of a public key line: ``code=<code> <name>``."""
    code = str(school_code or "").strip()
    if not code:
        raise ValidationError("学校代码为空，无法导出可登记的公钥。", "请先在“设置”中填写学校代码，再导出公钥。")
    return f"{CODE_PREFIX}{_escape_code(code)} {school_name or ''}".strip()


def signer_line(public_raw: bytes, school_code: str, school_name: str = "") -> str:
    """The one-line public key text with the school bound, as ``key export`` writes it."""
    return signing.public_key_text(public_raw, signer_comment(school_code, school_name))


def parse_signer_line(line: str, source: str = "") -> TrustedSigner:
    """One ``zizhu-ed25519 <base64> [code=<code>] [name]`` line. Raises ValidationError."""
    raw = signing.parse_public_key_text(line)
    parts = line.strip().lstrip("\ufeff").split(None, 2)
    comment = parts[2] if len(parts) > 2 else ""
    code, name = "", comment
    first, _, rest = comment.partition(" ")
    if first.startswith(CODE_PREFIX):
        code, name = unquote(first[len(CODE_PREFIX):]).strip(), rest.strip()
    return TrustedSigner(raw, code, name, source)


def read_trust_file(path: Path) -> list[TrustedSigner]:
    """Trusted signers from a trust file: one key line each; blank lines and lines
    starting with '#' are ignored."""
    path = Path(path)
    hint = ("信任文件每行一把公钥（由学校“导出公钥”得到，格式：zizhu-ed25519 <公钥> code=<学校代码> <学校名称>），"
            "以 # 开头的行是注释。")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"找不到信任文件 {path}。", "请确认文件路径正确。") from None
    except UnicodeDecodeError:
        raise InputFileError(f"信任文件 {path} 不是 UTF-8 文本文件。", hint) from None
    except OSError as exc:
        raise InputFileError(f"无法读取信任文件 {path}：{os_reason(exc)}。", "请确认文件路径正确。") from None
    signers: list[TrustedSigner] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            signers.append(parse_signer_line(line, f"信任文件 {path.name} 第 {number} 行"))
        except ValidationError as exc:
            raise InputFileError(f"信任文件 {path} 第 {number} 行：{exc.message}", hint) from None
    if not signers:
        raise InputFileError(f"信任文件 {path} 中没有任何公钥。", hint)
    return signers


def manifest_school(manifest: dict[str, Any] | None) -> tuple[str, str]:
    """(code, name) of the school a manifest is for; "" where missing."""
    school = manifest.get("school") if isinstance(manifest, dict) else None
    if not isinstance(school, dict):
        return "", ""
    code, name = school.get("code"), school.get("name")
    return (code.strip() if isinstance(code, str) else "", name if isinstance(name, str) else "")


def match_signer(public_raw: bytes, manifest: dict[str, Any] | None,
                 trusted: Sequence[TrustedSigner] | None) -> tuple[TrustedSigner | None, str]:
    """(the trusted entry that vouches for this package, "") or (None, why not) in Chinese."""
    fp = signing.fingerprint(public_raw)
    entries = [t for t in (trusted or ()) if bytes(t.public_raw) == bytes(public_raw)]
    if not entries:
        return None, (f"签名人未知：签名人公钥指纹 {fp} 不是本机数据库的签名密钥，也不在信任列表中，"
                      "无法确认提交包是哪所学校签发的。")
    code, name = manifest_school(manifest)
    if not code:
        return None, "提交包的清单中没有学校代码，无法核对签名人属于哪所学校。"
    bound = [t for t in entries if t.school_code]
    for entry in bound:
        if entry.school_code == code:
            return entry, ""
    if not bound:
        return None, (f"签名人指纹 {fp} 在信任列表中，但登记时没有学校代码（旧格式的公钥行），"
                      f"无法确认它可以为学校代码 {code} 签名。")
    registered = "、".join(t.label() for t in bound)
    school = f"学校代码 {code}" + (f"（{name}）" if name else "")
    return None, (f"签名人指纹 {fp} 登记为{registered}的密钥，但提交包写的是{school}："
                  "一所学校的密钥不能为另一所学校签名。")


UNKNOWN_HINT = ("请通过电话或纸质报告向报送学校核对签名人指纹；确认无误后，把学校“导出公钥”得到的公钥行"
                "（含 code=学校代码）加入信任文件，再用 --trust 信任文件 重新核验。"
                "旧格式的公钥行可在公钥后补上 code=学校代码。")
