"""Use cases of 设置, the first start and the CLI's init/settings/policy/key commands.

Each opens its own transaction and returns plain data; the writing ones carry
what they changed (``.changes``, ``db.changes``) like every other use case, so
the 设置 page reports its saves through the same path as every other page.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from core.policy import Policy
from db.changes import Changes
from db.session import Database

if TYPE_CHECKING:
    from db.new_year import YearStarted
    from db.policy_versions import VersionInfo
    from db.store import PolicyFollowed


@dataclass(frozen=True)
class SchoolValues:
    """The school as 设置 shows it (None when the database has no school yet)."""
    name: str
    code: str
    school_year: int
    township: str = ""
    contact_phone: str = ""
    supervision_phone: str = ""


@dataclass(frozen=True)
class KeyStatus:
    """The signer key: its fingerprint ("" before the first export) and the retired keys."""
    fingerprint: str = ""
    retired: list[Any] = field(default_factory=list)     # db.keys.RetiredKey, oldest first

    @property
    def has_key(self) -> bool:
        return bool(self.fingerprint)


@dataclass
class SettingsData:
    school: SchoolValues | None
    policy: Policy
    fingerprint: str = ""     # the signer's public key fingerprint ("" before the first export)
    official: dict[str, str] = field(default_factory=dict)   # db.official.official_values


@dataclass(frozen=True)
class SchoolSaved:
    """The school as stored after a save, and as it was before (None: the save created it)."""
    school: SchoolValues
    official: dict[str, str] = field(default_factory=dict)
    changes: Changes = Changes.SCHOOL
    before: SchoolValues | None = None
    followed: PolicyFollowed | None = None    # the school year changed the policy in force
    started: YearStarted | None = None        # a later school year: the year that ended set aside


@dataclass(frozen=True)
class OfficialSaved:
    """公文信息 as stored after a save; ``field_label``/``text`` name the one field ``set_official`` set."""
    values: dict[str, str]
    field_label: str = ""
    text: str = ""
    changes: Changes = Changes.SETTINGS


@dataclass(frozen=True)
class PolicySaved:
    """The policy after a change, how many verified students went back to 待核准, and the
    version it is (the new one; the unchanged active one when nothing changed)."""
    policy: Policy
    unverified: int = 0
    changed: bool = True
    version: VersionInfo | None = None

    @property
    def changes(self) -> Changes:
        if not self.changed:
            return Changes.NONE
        return Changes.POLICY | (Changes.STUDENTS if self.unverified else Changes.NONE)


def _school_values(session: Any) -> SchoolValues | None:
    from db.store import find_school
    sch = find_school(session)
    if sch is None:
        return None
    return SchoolValues(sch.name, sch.code, sch.school_year, sch.township or "", sch.contact_phone or "",
                        sch.supervision_phone or "")


def _key_status(session: Any) -> KeyStatus:
    from core.signing import fingerprint
    from db.keys import public_key, retired_keys
    raw = public_key(session)
    return KeyStatus(fingerprint(raw) if raw else "", retired_keys(session))


def load_settings(db: Database) -> SettingsData:
    """Worker: what 设置 shows (school, policy, key fingerprint, 公文信息)."""
    from db.official import official_values
    from db.store import get_policy
    with db.session() as s:
        return SettingsData(_school_values(s), get_policy(s), _key_status(s).fingerprint, official_values(s))


def key_status(db: Database) -> KeyStatus:
    with db.session() as s:
        return _key_status(s)


def school(db: Database) -> SchoolValues | None:
    with db.session() as s:
        return _school_values(s)


def save_school(db: Database, name: str, code: str, school_year: int, township: str | None = None,
                official: dict[str, str] | None = None, actor: str | None = None) -> SchoolSaved:
    """Create or update the school, with 公文信息 when given, in one transaction
    (a bad value changes nothing). ``township`` None keeps the stored one ("" for a new school):
    re-running ``init`` for the next school year does not blank what the clerk entered.
    Another school year may put another policy version in force (``follow_school_year``): a backup
    is taken first, as before any policy change."""
    from db.official import official_values, save_official
    from db.store import active_label, follow_school_year, get_policy_text, init_school
    stored = school(db)
    backup = None
    if stored is not None and stored.school_year != school_year:
        from db.backup import backup_before_change
        backup = backup_before_change(db, "before-school-year")
    with db.session() as s:
        before = _school_values(s)
        if township is None:
            township = before.township if before is not None else ""
        in_force = (get_policy_text(s), active_label(s)) if before is not None else None
        started = None
        if in_force is not None and before is not None and school_year > before.school_year:
            from db.new_year import start_later_year  # (the year that ended set aside: db.new_year)
            started = start_later_year(s, in_force[0], before.school_year, school_year, backup, actor)
        init_school(s, name, code, school_year, actor=actor, township=township.strip())
        followed = None
        if in_force is not None and before is not None and before.school_year != school_year:
            followed = follow_school_year(s, *in_force, before.school_year, school_year, actor,
                                          new_campaign=started is not None)
        if started is not None and followed is None:    # no policy of the new year: the old one goes on
            started = replace(started, kept_policy=active_label(s))
        if official:
            save_official(s, official, actor)
        values = _school_values(s)
        assert values is not None
        changes = Changes.SCHOOL | (Changes.SETTINGS if official else Changes.NONE)
        if followed is not None:       # another policy: every figure, the findings, the verified students
            changes |= Changes.POLICY | Changes.STUDENTS | Changes.FINDINGS
        if started is not None:        # the year that ended set aside
            changes |= Changes.STUDENTS | Changes.FINDINGS | Changes.LETTERS | Changes.PAYMENTS
        return SchoolSaved(values, official_values(s), changes, before, followed, started)


def save_official(db: Database, values: dict[str, str], actor: str | None = None) -> OfficialSaved:
    """公文信息 in one transaction (all checked first: a bad value changes nothing)."""
    from db.official import save_official as save
    with db.session() as s:
        return OfficialSaved(save(s, values, actor))


def set_official(db: Database, name: str, value: str, actor: str | None = None) -> OfficialSaved:
    """One 公文信息 field by its key or Chinese label (an empty value unsets it)."""
    from db.official import official_values
    from db.official import set_official as set_one
    with db.session() as s:
        f, text = set_one(s, name, value, actor)
        return OfficialSaved(official_values(s), f.label, text)


def official(db: Database) -> dict[str, str]:
    from db.official import official_values
    with db.session() as s:
        return official_values(s)


def policy(db: Database) -> Policy:
    from db.store import get_policy
    with db.session() as s:
        return get_policy(s)


def save_policy(db: Database, values: dict[str, str], actor: str | None = None) -> PolicySaved:
    """Policy parameters (dotted key or Chinese name -> yuan text, "" unsets) as ONE new version,
    all or nothing, after a backup, audited key by key. Verified students whose subsidies change
    go back to 待核准."""
    from db.backup import backup_before_change
    from db.policy_versions import active_version
    from db.store import change_policy_values
    backup_before_change(db, "before-policy")
    with db.session() as s:
        change = change_policy_values(s, values, actor)
        return PolicySaved(change.policy, change.unverified, change.version is not None,
                           change.version or active_version(s))


def install_policy(db: Database, text: str, actor: str | None = None, note: str = "",
                   origin: str = "imported") -> PolicySaved:
    """A whole policy document (validated first) as a new version, after a backup."""
    from db.policy_versions import save_version
    return save_version(db, text, note, actor, origin)


@dataclass(frozen=True)
class KeyReplaced:
    fingerprint: str              # the new key's
    had_key: bool = True          # False: the first key was made
    changes: Changes = Changes.SETTINGS


def replace_key(db: Database, passphrase: str, actor: str | None = None) -> KeyReplaced:
    """更换签名密钥 (a lost passphrase), after a backup (db.keys.new_key)."""
    from db.keys import new_key
    had_key = key_status(db).has_key
    return KeyReplaced(new_key(db, passphrase, actor), had_key)
