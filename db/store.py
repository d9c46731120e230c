"""School, settings and the active policy, kept in the database."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotInitialisedError, ValidationError
from core.policy import Policy, default_policy_text, load_policy, set_value
from db import audit
from db.models import School, Setting

POLICY_KEY = "policy"
MAPPING_KEY = "import_mapping.{kind}"


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else default


def put_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def get_school(session: Session) -> School:
    school = session.scalars(select(School).limit(1)).first()
    if school is None:
        raise NotInitialisedError("数据库中还没有学校信息",
                                  "请先初始化：python main.py init --school 学校名称 --code 代码 --school-year 年份")
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
    if get_setting(session, POLICY_KEY) is None:
        put_setting(session, POLICY_KEY, default_policy_text())
    audit.record(session, actor or audit.default_actor(), "school", school.id, changes)
    return school


def get_policy_text(session: Session) -> str:
    return get_setting(session, POLICY_KEY) or default_policy_text()


def get_policy(session: Session) -> Policy:
    return load_policy(get_policy_text(session))


def set_policy_value(session: Session, key: str, value: str, actor: str | None = None) -> Policy:
    """Change one policy value (validated); logged in the audit log."""
    old_text = get_policy_text(session)
    new_text = set_value(old_text, key, value)
    put_setting(session, POLICY_KEY, new_text)
    audit.record(session, actor or audit.default_actor(), "policy", None, {key: (None, value)})
    return load_policy(new_text)


def replace_policy(session: Session, text: str, actor: str | None = None) -> Policy:
    """Install a whole policy document (validated first)."""
    policy = load_policy(text)
    put_setting(session, POLICY_KEY, text)
    audit.record(session, actor or audit.default_actor(), "policy", None, {"*": (None, policy.sha256)})
    return policy


def get_mapping(session: Session, kind: str) -> dict[str, str]:
    raw = get_setting(session, MAPPING_KEY.format(kind=kind))
    return json.loads(raw) if raw else {}


def put_mapping(session: Session, kind: str, mapping: dict[str, str]) -> None:
    put_setting(session, MAPPING_KEY.format(kind=kind), json.dumps(mapping, ensure_ascii=False, sort_keys=True))
