"""Ed25519 signing keys for the submission package.

The private key only ever exists on disk as an encrypted PKCS#8 PEM (the
clerk's passphrase); the public key travels as 32 raw bytes, as a one-line
text (``zizhu-ed25519 <base64> <comment>``) and as a short fingerprint that
can be read aloud and compared with the printed report.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.errors import InputFileError, ValidationError

MIN_PASSPHRASE = 8
MAX_PASSPHRASE_BYTES = 1023          # limit of PKCS#8 encryption in OpenSSL/cryptography
KEY_TYPE = "zizhu-ed25519"
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
_PEM_MARKER = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes               # PKCS#8 PEM, always encrypted with the passphrase
    public_raw: bytes                # 32 bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)


def _check_passphrase(passphrase: str) -> bytes:
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            f"口令太短：至少需要 {MIN_PASSPHRASE} 个字符。",
            "请重新设置一个至少 8 个字符的口令，并把它记在安全的地方；忘记口令将无法再用这把密钥签名。")
    data = passphrase.encode("utf-8")
    if len(data) > MAX_PASSPHRASE_BYTES:
        raise ValidationError("口令太长。", "请使用一个较短的口令（几十个字符以内即可）。")
    return data


def create_key(passphrase: str) -> KeyPair:
    """Create a new Ed25519 key pair; the private key is returned encrypted."""
    secret = _check_passphrase(passphrase)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(secret),
    )
    return KeyPair(private_pem=pem, public_raw=public_raw_of(key))


def load_private(private_pem: bytes, passphrase: str) -> Ed25519PrivateKey:
    """Decrypt the stored private key. A wrong passphrase raises ValidationError;
    a damaged or unencrypted key file raises InputFileError."""
    if not isinstance(private_pem, (bytes, bytearray)) or _PEM_MARKER not in private_pem:
        raise InputFileError(
            "私钥文件已损坏，或不是本程序生成的加密私钥。",
            "请从备份中恢复私钥文件；若无备份，请在设置中重新生成密钥，并把新的指纹告知接收单位。")
    try:
        key = serialization.load_pem_private_key(bytes(private_pem),
                                                 password=(passphrase or "").encode("utf-8"))
    except (ValueError, TypeError):
        raise ValidationError("口令不正确，无法打开签名私钥。",
                              "请重新输入口令（注意大小写和输入法的全角/半角）。") from None
    except UnsupportedAlgorithm:
        raise InputFileError("私钥文件的格式不受支持。",
                             "请在设置中重新生成密钥，并把新的指纹告知接收单位。") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputFileError("私钥文件不是 Ed25519 密钥。",
                             "请在设置中重新生成密钥，并把新的指纹告知接收单位。")
    return key


def public_raw_of(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def sign(private_key: Ed25519PrivateKey, data: bytes) -> bytes:
    return private_key.sign(data)


def verify_signature(public_raw: bytes, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``data``."""
    if len(public_raw) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(public_raw: bytes) -> str:
    """First 16 bytes of SHA-256(public key) as upper-case hex in groups of 4,
    e.g. ``3F2A 91C0 …`` (8 groups) — short enough to compare on paper."""
    digest = hashlib.sha256(bytes(public_raw)).digest()[:16].hex().upper()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def _clean_comment(comment: str) -> str:
    return " ".join(str(comment or "").split())


def public_key_text(public_raw: bytes, comment: str = "") -> str:
    """One line: ``zizhu-ed25519 <base64> <comment>`` (no trailing newline)."""
    if len(public_raw) != PUBLIC_KEY_SIZE:
        raise ValidationError("公钥长度不正确。", "请在设置中重新生成密钥。")
    text = f"{KEY_TYPE} {base64.b64encode(bytes(public_raw)).decode('ascii')}"
    comment = _clean_comment(comment)
    return f"{text} {comment}" if comment else text


def parse_public_key_text(text: str) -> bytes:
    """Parse one ``zizhu-ed25519 <base64> [comment]`` line into the 32 raw bytes."""
    line = (text or "").strip().lstrip("\ufeff")
    if "\n" in line or "\r" in line:
        raise ValidationError("公钥文本应只有一行。", "每把公钥单独占一行，格式为：zizhu-ed25519 <公钥> <说明>。")
    parts = line.split(None, 2)
    if len(parts) < 2 or parts[0] != KEY_TYPE:
        raise ValidationError(
            f"公钥格式不正确：应以“{KEY_TYPE}”开头，后跟公钥内容。",
            "请使用本程序“导出公钥”得到的那一行文字，不要改动。")
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != PUBLIC_KEY_SIZE:
        raise ValidationError("公钥内容已损坏：无法解码出 32 字节的 Ed25519 公钥。",
                              "请重新从学校获取导出的公钥，不要手工修改。")
    return raw
