"""Ed25519 signing keys for the submission package.

The private key only ever exists on disk encrypted with the clerk's
passphrase: a small versioned JSON blob (scrypt, memory-hard, derives an
AES-256-GCM key that encrypts the 32 raw private key bytes). Keys written by
earlier versions as PKCS#8 PEM (PBKDF2, 2,048 rounds) still open; the caller
re-wraps them (``needs_rewrap``/``wrap_private``). The public key travels as 32
raw bytes, as a one-line text (``zizhu-ed25519 <base64> <comment>``) and as a
short fingerprint that can be read aloud and compared with the printed report.

The passphrase is never logged and never part of an error message.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from core.errors import InputFileError, ValidationError

# (cryptography's `serialization` is imported inside the functions that use a private key: with its
# ssh module it costs ~20 ms of every start, and verifying a package never needs it)

MIN_PASSPHRASE = 8
MAX_PASSPHRASE_BYTES = 1023
KEY_TYPE = "zizhu-ed25519"
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
_PEM_MARKER = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"

KEY_FORMAT = "zizhu-private-key"
KEY_VERSION = 2
# scrypt cost: n=2**17, r=8 uses 128 MiB and takes ~0.3 s on the development machine
# (2 cores, 2026); 2**16 took 0.14 s, 2**15 0.07 s. Tests pass a lower n.
SCRYPT_N = 2 ** 17
SCRYPT_R = 8
SCRYPT_P = 1
_MAX_SCRYPT_N = 2 ** 20                # a damaged/hostile file cannot ask for more
_MIN_SCRYPT_N = 2 ** 10
_MAX_SCRYPT_MEMORY = 1 << 30
_SALT_SIZE = 16
_NONCE_SIZE = 12

_DAMAGED_HINT = "请从数据库备份中恢复；若无备份，请在设置中重新生成密钥，并把新的指纹告知接收单位。"
_WRONG = ("口令不正确，无法打开签名私钥。", "请重新输入口令（注意大小写和输入法的全角/半角）。")


@dataclass(frozen=True)
class KeyPair:
    private_blob: bytes              # the encrypted private key (JSON, see module doc)
    public_raw: bytes                # 32 bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)


def _encode(passphrase: object) -> bytes:
    if not isinstance(passphrase, str):
        raise ValidationError(*_WRONG)
    data = passphrase.encode("utf-8", "surrogatepass")
    if len(data) > MAX_PASSPHRASE_BYTES:
        raise ValidationError("口令太长。", "请使用一个较短的口令（几十个字符以内即可）。")
    return data


def check_new_passphrase(passphrase: object) -> bytes:
    """The rules for a new passphrase: not blank, at least 8 characters."""
    if not isinstance(passphrase, str) or not passphrase.strip():
        raise ValidationError("口令不能为空，也不能只有空格。",
                              "请设置一个至少 8 个字符的口令，并把它记在安全的地方；忘记口令将无法再用这把密钥签名。")
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            f"口令太短：至少需要 {MIN_PASSPHRASE} 个字符。",
            "请重新设置一个至少 8 个字符的口令，并把它记在安全的地方；忘记口令将无法再用这把密钥签名。")
    return _encode(passphrase)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _header_aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")


def _derive(secret: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def wrap_private(private_key: Ed25519PrivateKey, passphrase: str, n: int | None = None) -> bytes:
    """Encrypt the private key with the passphrase (scrypt + AES-256-GCM)."""
    secret = _encode(passphrase)
    n = SCRYPT_N if n is None else n
    salt, nonce = os.urandom(_SALT_SIZE), os.urandom(_NONCE_SIZE)
    header = {"format": KEY_FORMAT, "version": KEY_VERSION, "kdf": "scrypt", "n": n, "r": SCRYPT_R,
              "p": SCRYPT_P, "salt": _b64(salt), "cipher": "aes-256-gcm"}
    from cryptography.hazmat.primitives import serialization
    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    key = _derive(secret, salt, n, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(key).encrypt(nonce, raw, _header_aad(header))
    blob = {**header, "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
    return json.dumps(blob, sort_keys=True).encode("ascii")


def create_key(passphrase: str, n: int | None = None) -> KeyPair:
    """Create a new Ed25519 key pair; the private key is returned encrypted."""
    check_new_passphrase(passphrase)
    key = Ed25519PrivateKey.generate()
    return KeyPair(private_blob=wrap_private(key, passphrase, n), public_raw=public_raw_of(key))


def _parse_blob(blob: bytes) -> dict[str, Any] | None:
    """The JSON key blob, or None when ``blob`` is not one."""
    if not blob.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(blob.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("format") == KEY_FORMAT else None


def _damaged() -> InputFileError:
    return InputFileError("签名私钥已损坏，或不是本程序生成的加密私钥。", _DAMAGED_HINT)


def _load_blob(data: dict[str, Any], passphrase: str) -> Ed25519PrivateKey:
    if data.get("version") != KEY_VERSION or data.get("kdf") != "scrypt" or data.get("cipher") != "aes-256-gcm":
        raise InputFileError("签名私钥的格式版本不受支持。",
                             "请升级本程序；或在设置中重新生成密钥，并把新的指纹告知接收单位。")
    n, r, p = data.get("n"), data.get("r"), data.get("p")
    if not (type(n) is int and type(r) is int and type(p) is int) or not (
            _MIN_SCRYPT_N <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16
            and 128 * r * n <= _MAX_SCRYPT_MEMORY):
        raise _damaged()
    try:
        salt = base64.b64decode(data.get("salt", ""), validate=True)
        nonce = base64.b64decode(data.get("nonce", ""), validate=True)
        sealed = base64.b64decode(data.get("ciphertext", ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise _damaged() from None
    if len(salt) < 8 or len(nonce) != _NONCE_SIZE:
        raise _damaged()
    header = {k: data[k] for k in ("format", "version", "kdf", "n", "r", "p", "salt", "cipher")}
    secret = _encode(passphrase)
    try:
        key = _derive(secret, salt, n, r, p)
    except (ValueError, MemoryError):
        raise _damaged() from None
    try:
        raw = AESGCM(key).decrypt(nonce, sealed, _header_aad(header))
    except InvalidTag:
        raise ValidationError(*_WRONG) from None
    if len(raw) != 32:
        raise _damaged()
    return Ed25519PrivateKey.from_private_bytes(raw)


def _load_pem(pem: bytes, passphrase: str) -> Ed25519PrivateKey:
    """Keys of earlier versions: PKCS#8 PEM encrypted with PBKDF2."""
    secret = _encode(passphrase)
    from cryptography.hazmat.primitives import serialization
    try:
        key = serialization.load_pem_private_key(pem, password=secret)
    except (ValueError, TypeError):
        raise ValidationError(*_WRONG) from None
    except UnsupportedAlgorithm:
        raise InputFileError("签名私钥的格式不受支持。",
                             "请在设置中重新生成密钥，并把新的指纹告知接收单位。") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputFileError("签名私钥不是 Ed25519 密钥。",
                             "请在设置中重新生成密钥，并把新的指纹告知接收单位。")
    return key


def load_private(blob: bytes, passphrase: str) -> Ed25519PrivateKey:
    """Decrypt the stored private key (current format or an earlier PEM). A wrong
    passphrase raises ValidationError; a damaged or unencrypted key raises InputFileError."""
    if not isinstance(blob, (bytes, bytearray)):
        raise _damaged()
    blob = bytes(blob)
    data = _parse_blob(blob)
    if data is not None:
        return _load_blob(data, passphrase)
    if _PEM_MARKER in blob:
        return _load_pem(blob, passphrase)
    raise _damaged()


def needs_rewrap(blob: bytes) -> bool:
    """True when the stored key should be re-encrypted with the current KDF and cost
    (an earlier PEM key, or a blob with a lower scrypt cost)."""
    data = _parse_blob(bytes(blob))
    if data is None:
        return True
    n = data.get("n")
    return data.get("version") != KEY_VERSION or type(n) is not int or n < SCRYPT_N


def public_raw_of(private_key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization
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
