"""School, settings and the active policy, kept in the database."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import school_year_label
from core.errors import ValidationError, ZizhuError
from core.policy import Policy, load_policy, parameter_label, set_value
from db import audit
from db.models import School, Setting
from db.plain_reads import not_initialised

MAPPING_KEY = "import_mapping.{kind}"
DEMO_KEY = "demo"     # "1": a demo database (fictional school), whatever its file is called


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else default


def put_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def is_demo(session: Session) -> bool:
    """Whether this database holds demo data (marked when it was filled)."""
    return get_setting(session, DEMO_KEY) == "1"


def mark_demo(session: Session) -> None:
    put_setting(session, DEMO_KEY, "1")


def get_school(session: Session) -> School:
    school = session.scalars(select(School).limit(1)).first()
    if school is None:
        raise not_initialised()
    return school


def find_school(session: Session) -> School | None:
    return session.scalars(select(School).limit(1)).first()


def init_school(session: Session, name: str, code: str, school_year: int,
                actor: str | None = None, **details: str) -> School:
    """Create or update the school of this database."""
    name, code = name.strip(), code.strip()
    if not name:
        raise ValidationError("学校名称不能为空", "请填写学校全称")
    if not code:
        raise ValidationError("学校代码不能为空", "请填写学校代码（如教育部学校标识码）")
    if not 2000 <= school_year <= 2100:
        raise ValidationError(f"学年“{school_year}”不合理",
                              "学年写开始的年份，例如 2022 表示 2022–2023 学年")
    school = find_school(session)
    changes: dict[str, tuple[Any, Any]] = {}
    if school is None:
        school = School(name=name, code=code, school_year=school_year, township="",
                        contact_phone="", supervision_phone="", address="")
        session.add(school)
        changes["*"] = (None, "创建学校")
    new = {"name": name, "code": code, "school_year": school_year, **details}
    for key, value in new.items():
        old = getattr(school, key)
        if old != value:
            if "*" not in changes:
                changes[key] = (old, value)
            setattr(school, key, value)
    session.flush()
    from db.policy_versions import ensure_version
    ensure_version(session, actor)
    audit.record(session, actor or audit.default_actor(), "school", school.id, changes)
    return school


def get_policy_text(session: Session) -> str:
    """The active policy document: the newest version of the school's year (db.policy_versions)."""
    from db.policy_versions import active_text
    return active_text(session)


def get_policy(session: Session) -> Policy:
    return load_policy(get_policy_text(session))


@dataclass
class PolicyChange:
    """A stored policy change: the new policy, the verified students it sent back to 待核准
    and the version it was saved as (None: nothing changed, no version)."""

    policy: Policy
    unverified: int = 0
    changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    version: Any = None      # db.policy_versions.VersionInfo


def _flatten(node: Any, prefix: str = "") -> dict[str, str]:
    """Dotted key -> value text of a parsed policy document (items by their code)."""
    out: dict[str, str] = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    elif isinstance(node, list) and node and all(isinstance(x, dict) and "code" in x for x in node):
        for x in node:
            out.update(_flatten({k: v for k, v in x.items() if k != "code"}, f"{prefix}{x['code']}."))
    else:
        out[prefix[:-1]] = node if isinstance(node, str) else json.dumps(node, ensure_ascii=False, default=str)
    return out


def policy_diff(old_text: str, new_text: str) -> dict[str, tuple[str | None, str | None]]:
    """What changed between two policy documents: dotted key -> (old, new) text."""
    import tomllib
    old, new = _flatten(tomllib.loads(old_text)), _flatten(tomllib.loads(new_text))
    return {k: (old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)}


def _install_policy(session: Session, old_text: str, new_text: str, actor: str | None,
                    changes: dict[str, tuple[Any, Any]], what: str, note: str = "", origin: str = "edited",
                    signer_fingerprint: str = "", signer_school: str = "",
                    issued: tuple[int, int] | None = None) -> PolicyChange:
    """The one path of a policy change: store ``new_text`` as a new version, audit ``changes``
    and the version numbers, and un-verify the verified students whose decisions or amounts
    it changes (each audited with its old and new amounts)."""
    from db.policy_versions import active_version, add_version
    actor = actor or audit.default_actor()
    policy = load_policy(new_text, strict=True)    # a new version: every key one the program reads
    now = datetime.now()
    before = active_version(session)
    version = add_version(session, new_text, origin, note, actor, signer_fingerprint, signer_school, now, issued)
    audit.record(session, actor, "policy", None, changes, now)
    audit.record(session, actor, "policy_version", None,
                 {"number": (before.label if before else None, f"{version.label}：{(note or what)[:300]}")}, now)
    return PolicyChange(policy, _verified_follow(session, old_text, policy, what, actor, now), changes, version)


def _verified_follow(session: Session, old_text: str, policy: Policy, what: str, actor: str, now: datetime) -> int:
    """The verified students after the policy in force changed from ``old_text`` to ``policy``: those
    whose decisions or amounts it changes go back to 待核准 (audited with their old and new amounts),
    the others are sealed again under it. Returns how many went back."""
    from db.findings import unverify_students
    from db.seals import reseal_students
    try:
        old_policy: Policy | None = load_policy(old_text)
    except ZizhuError:   # the stored document no longer loads: nothing verified under it can stand
        old_policy = None
    notes = affected_students(session, old_policy, policy, what)
    resealed = reseal_students(session, old_policy, policy, notes) if old_policy is not None else 0
    if resealed:      # (one entry: the seals follow from the version recorded before)
        audit.record(session, actor, "policy", None,
                     {"resealed": (None, f"{resealed} 名已核准学生的资助结果未变，按新政策重新封存")}, now)
    return unverify_students(session, notes, actor, now) if notes else 0


@dataclass(frozen=True)
class PolicyFollowed:
    """The policy in force changed with the school year: from version ``before`` to ``after``."""
    before: str
    after: str
    unverified: int      # verified students whose results it changed, sent back to 待核准
    new_campaign: bool = False      # a later year: every student was sent back already (db.new_year)

    def text(self) -> str:
        head = f"学年改变后，适用的资助政策由“{self.before}”改为“{self.after}”"
        if self.new_campaign:
            return head
        back = (f"{self.unverified} 名已核准学生的资助结果随之改变，已退回待核准（原因和新旧金额见操作日志）"
                if self.unverified else "已核准学生的资助结果没有改变")
        return f"{head}：{back}"


def active_label(session: Session) -> str:
    """The policy in force as the clerk knows it ("2023–2024学年第2版")."""
    from db.policy_versions import active_version
    active = active_version(session)
    return active.label if active else "程序自带的默认政策"


def follow_school_year(session: Session, old_text: str, before: str, old_year: int, new_year: int,
                       actor: str | None = None, new_campaign: bool = False) -> PolicyFollowed | None:
    """After the school year changed (``init``, 设置): when the policy in force (the newest version of
    the year, ``db.policy_versions.active_row``) is now another document, the verified students follow
    it as they follow a policy change (``_install_policy``), audited; None when it is the same."""
    new_text = get_policy_text(session)
    if new_text == old_text:
        return None
    actor = actor or audit.default_actor()
    now = datetime.now()
    label = active_label(session)
    what = f"学年由 {school_year_label(old_year)} 改为 {school_year_label(new_year)}，适用{label}"
    audit.record(session, actor, "policy_version", None, {"number": (before, f"{label}：{what}")}, now)
    return PolicyFollowed(before, label, _verified_follow(session, old_text, load_policy(new_text), what, actor, now),
                          new_campaign)


def affected_students(session: Session, old: Policy | None, new: Policy, what: str = "") -> dict[int, str]:
    """Verified students whose per-item decisions or amounts differ between two policies,
    with a note giving the old and new amounts, item by item (every verified student when
    ``old`` is None: the stored document could not be read). The preview lists the same
    students (core.policy_preview.student_deltas)."""
    from core.policy_preview import compare, student_deltas
    from db.students import verified_records
    if old is None:
        return {rec.key: f"原资助政策无法读取，已改用新政策（{what}），需重新核准"
                for rec in verified_records(session) if rec.key is not None}
    deltas = student_deltas(*compare(list(verified_records(session)), old, new))
    return {d.key: f"资助政策修改{f'（{what}）' if what else ''}后资助结果改变，需重新核准：{d.text()}"
            for d in deltas if d.key is not None}


def change_policy_values(session: Session, values: dict[str, str], actor: str | None = None) -> PolicyChange:
    """Change policy values (a parameter's key or Chinese name -> yuan text, "" unsets), all
    validated, as one new version audited key by key with old and new values; verified
    students whose subsidies it changes go back to 待核准."""
    old_text = new_text = get_policy_text(session)
    for key, value in values.items():
        new_text = set_value(new_text, key, value)
    diff = policy_diff(old_text, new_text)
    if not diff:
        return PolicyChange(load_policy(old_text))
    new_policy = load_policy(new_text)     # the clerk reads the parameters' Chinese names
    what = "；".join(f"{parameter_label(k, new_policy)}：{o or '未设置'} → {n or '未设置'}"
                    for k, (o, n) in diff.items())
    return _install_policy(session, old_text, new_text, actor, dict(diff), what, note=what)


def set_policy_value(session: Session, key: str, value: str, actor: str | None = None) -> Policy:
    """One policy value (``change_policy_values``), returning the new policy."""
    return change_policy_values(session, {key: value}, actor).policy


def change_policy(session: Session, text: str, actor: str | None = None, note: str = "", origin: str = "edited",
                  signer_fingerprint: str = "", signer_school: str = "",
                  issued: tuple[int, int] | None = None) -> PolicyChange:
    """Install a whole policy document (validated first) as a new version, audited with the
    old and new SHA-256; verified students whose subsidies it changes go back to 待核准.
    The same document as the active one changes nothing."""
    from core.policy_diff import policy_diff_items
    policy = load_policy(text)
    old_text = get_policy_text(session)
    try:
        old: Policy | None = load_policy(old_text)
        assert old is not None
        old_sha = old.sha256
    except ZizhuError:
        old, old_sha = None, "无法读取的政策文件 " + hashlib.sha256(old_text.encode("utf-8")).hexdigest()
    if old_sha == policy.sha256:
        return PolicyChange(policy)
    what = policy_diff_items(old, policy).summary() if old else f"改用政策文件 {policy.name}"
    return _install_policy(session, old_text, text, actor, {"*": (old_sha, policy.sha256)}, what[:300], note,
                           origin, signer_fingerprint, signer_school, issued)


def get_mapping(session: Session, kind: str) -> dict[str, str]:
    raw = get_setting(session, MAPPING_KEY.format(kind=kind))
    return json.loads(raw) if raw else {}


def put_mapping(session: Session, kind: str, mapping: dict[str, str]) -> None:
    put_setting(session, MAPPING_KEY.format(kind=kind), json.dumps(mapping, ensure_ascii=False, sort_keys=True))
