"""Read-only peeks at a database file, without SQLAlchemy: what ``verify --db`` trusts.

``verify`` checks a package against the signer keys a database knows (its own key, the
receiver's trust list) and explains a retired key, without opening the database for
writing, migrating it or taking its lock. These readers open the file with sqlite3 in
read-only mode, so the command starts without the ORM (a third of a second on an old PC).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from core.errors import DatabaseError, ValidationError

PUBLIC_KEY = "signer.public"        # the settings holding the signer's public key line
RETIRED = "signer.retired"          # and the keys it replaced (a JSON list, newest last)
TRUST_SOURCE = "信任列表"


@dataclass(frozen=True)
class RetiredKey:
    public_line: str          # as ``key export`` wrote it (bound to the school code when known)
    fingerprint: str          # "" when the stored line could not be read
    retired_at: str           # ISO time of the replacement


def read_only_uri(path: PurePath) -> str:
    """The SQLite URI opening the absolute ``path`` read-only. A Windows network path
    (``\\\\server\\share\\…``) is written with an empty authority (``file:////server/share/…``):
    python.org's SQLite refuses a host name in a URI ("invalid uri authority"), which
    ``Path.as_uri()`` would give it. Callers pass ``Path.absolute()``, not ``resolve()``:
    on Windows that turns a mapped network drive (Z:) into its network path."""
    uri = path.as_uri()
    if uri.startswith("file://") and not uri.startswith("file:///"):
        uri = "file:////" + uri[len("file://"):]
    return f"{uri}?mode=ro"


def connect_read_only(path: str | Path, **kwargs: Any) -> sqlite3.Connection:
    """sqlite3's connection to the database file ``path``, read-only (``read_only_uri``)."""
    return sqlite3.connect(read_only_uri(Path(path).absolute()), uri=True, **kwargs)


def query_read_only(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """The rows of ``sql`` on the database file at ``path`` opened read-only (never created,
    migrated or written; [] when the file does not exist). sqlite3.Error and OSError propagate."""
    path = Path(path)
    if not path.is_file():
        return []
    con = connect_read_only(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# The reads of the keys a database trusts: one text each, run read-only here and on a session's
# connection by ``db.receiving.intake`` (no ORM there: its first use configures every mapper).
OWN_KEY = "SELECT value FROM setting WHERE key = ?"
FIRST_SCHOOL = "SELECT code, name, school_year FROM school ORDER BY id LIMIT 1"
TRUSTED_KEYS = ("SELECT public_key, school_code, school_name, registered_at FROM trusted_signer "
                "WHERE removed_at IS NULL ORDER BY id")


def own_signer_of(key_line: str | None, school: Any) -> Any:
    """The signer of a database whose ``OWN_KEY`` value is ``key_line`` and whose ``FIRST_SCHOOL``
    row is ``school`` (None without either)."""
    from core.signing import parse_public_key_text
    from core.trust import TrustedSigner
    if key_line is None or school is None:
        return None
    return TrustedSigner(parse_public_key_text(key_line), str(school[0]).strip(), str(school[1]), "本机数据库")


def trusted_signers_of(rows: Any) -> list[Any]:
    """The ``TRUSTED_KEYS`` rows as TrustedSigners."""
    return [trusted_signer(str(k), str(c), str(n), str(at)) for k, c, n, at in rows]


def read_own_signer(path: Path) -> Any:
    """The signer of the database file at ``path`` (None when the file does not exist
    or has no key). Read-only: never creates, migrates or writes the file."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise sqlite3.DatabaseError("not a database")
        con = connect_read_only(path)
        try:
            row = con.execute(OWN_KEY, (PUBLIC_KEY,)).fetchone()
            school = con.execute(FIRST_SCHOOL).fetchone()
        finally:
            con.close()
        if row is None:
            return None
        return own_signer_of(row[0], school)
    except (sqlite3.Error, OSError, ValidationError):
        raise DatabaseError(f"无法从数据库 {path} 读取本校的签名公钥。",
                            "请确认 --db 指向资助助手的数据库；或不用数据库，改用 --trust 信任文件 核验。") from None


def trusted_signer(public_key: str, code: str, name: str, registered_at: str) -> Any:
    """A key of the trust list as a TrustedSigner (its source says when it was registered)."""
    from core.signing import parse_public_key_text
    from core.trust import TrustedSigner
    return TrustedSigner(parse_public_key_text(public_key), code, name, f"{TRUST_SOURCE}（{registered_at[:10]} 登记）")


def read_trusted_signers(path: Path) -> list[Any]:
    """The registered keys (not removed) of the database file at ``path``, read-only, for
    ``verify`` (which never opens the database for writing); [] when the file does not
    exist or predates the trust list."""
    try:
        if not query_read_only(path, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trusted_signer'"):
            return []
        return trusted_signers_of(query_read_only(path, TRUSTED_KEYS))
    except (sqlite3.Error, OSError, ValidationError):
        raise DatabaseError(f"无法从数据库 {path} 读取信任列表。",
                            "请确认 --db 指向资助助手的数据库；或不用数据库，改用 --trust 信任文件 核验。") from None


def parse_retired(text: str | None) -> list[dict[str, str]]:
    """The entries of the ``signer.retired`` setting (a damaged one kept as one unreadable entry)."""
    if not text:
        return []
    try:
        entries = json.loads(text)
    except ValueError:
        entries = None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        # a damaged history is kept as one unreadable entry, never dropped
        return [{"public": text, "fingerprint": "", "retired_at": ""}]
    return [{k: str(v) for k, v in e.items()} for e in entries]


def retired_of(text: str | None) -> list[RetiredKey]:
    """The retired keys written in a ``signer.retired`` setting, oldest first."""
    return [RetiredKey(e.get("public", ""), e.get("fingerprint", ""), e.get("retired_at", ""))
            for e in parse_retired(text)]


def read_retired_keys(path: Path) -> list[RetiredKey]:
    """The retired keys of the database file at ``path``, read-only ([] when unreadable:
    they only explain an unknown signer, they are never trusted)."""
    try:
        rows = query_read_only(path, "SELECT value FROM setting WHERE key = ?", (RETIRED,))
    except (sqlite3.Error, OSError):
        return []
    return retired_of(rows[0][0] if rows else None)


def student_names(path: Path) -> list[tuple[int, str]]:
    """Every student's id and name ("" when none), by id: what the GUI's start sorts to show the
    student list's first screenful before the whole list is computed (``gui.first_rows``)."""
    return query_read_only(path, "SELECT id, coalesce(name, '') FROM student ORDER BY id")
