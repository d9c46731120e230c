"""The clerk's words on official documents (设置 › 公文信息).

The county's name, the policy's title and basis are settings; the school's
contact phone and the county's supervision phone are columns of the school.
Letters, the notice, the report and the workbook print them; a final document
is refused while the county's name is unset (``require_county``), a draft uses
``core.exports.data.COUNTY_PLACEHOLDER``. An unset phone leaves its sentence out.
"""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from core.errors import MissingSettingError, ValidationError
from core.exports.data import Official, policy_title
from core.official import OFFICIAL_FIELDS, OfficialField
from db import audit
from db.store import find_school, get_school, get_setting, put_setting

if TYPE_CHECKING:
    from db.session import Database

SETTING_KEY = "official.{key}"
SCHOOL_COLUMNS = ("contact_phone", "supervision_phone")


FIELDS_BY_KEY = {f.key: f for f in OFFICIAL_FIELDS}
_PLACEHOLDER = re.compile(r"[XxＸｘ×＊*]{2,}|某某|示例")
_PHONE_CHARS = re.compile(r"[0-9 ()\-—+转、/,，]+")


def official_field(name: str) -> OfficialField:
    """The field named by its key or its Chinese label (``county`` or ``县名``)."""
    wanted = name.strip()
    for f in OFFICIAL_FIELDS:
        if wanted in (f.key, f.label):
            return f
    names = "、".join(f"{f.label}（{f.key}）" for f in OFFICIAL_FIELDS)
    raise ValidationError(f"没有名为“{name}”的设置项", f"可以设置：{names}")


def official_values(session: Session) -> dict[str, str]:
    """Every field's stored text ("" when unset; an unset policy_title follows the county)."""
    school = find_school(session)
    out = {}
    for f in OFFICIAL_FIELDS:
        if f.key in SCHOOL_COLUMNS:
            out[f.key] = getattr(school, f.key) if school is not None else ""
        else:
            out[f.key] = get_setting(session, SETTING_KEY.format(key=f.key)) or ""
    return out


def get_official(session: Session) -> Official:
    v = official_values(session)
    return Official(v["county"], v["policy_title"], v["policy_basis"], v["clerk"])


def _clean(f: OfficialField, value: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", value).split()) if f.key in SCHOOL_COLUMNS \
        else " ".join(value.split())
    if not text:
        return ""
    where = f"{f.label}“{text}”"
    if len(text) > f.limit:
        raise ValidationError(f"{where}太长（{len(text)} 个字，最多 {f.limit} 个）", "请只写名称本身")
    if _PLACEHOLDER.search(text):
        raise ValidationError(f"{where}像是模板里的示例，不是真实的{f.label}",
                              f"请填写真实的{f.label}；不知道时先留空")
    if f.key in SCHOOL_COLUMNS:
        digits = re.sub(r"\D", "", text)
        if not _PHONE_CHARS.fullmatch(text) or len(digits) < 5:
            raise ValidationError(f"{where}不是电话号码", "请只写号码，例如 0718-3321234 或 12345；不知道时先留空")
        if set(digits) == {"0"}:
            raise ValidationError(f"{where}像是模板里的示例号码", "请填写真实号码；不知道时先留空")
    return text


def set_official(session: Session, name: str, value: str, actor: str | None = None) -> tuple[OfficialField, str]:
    """Set one field (key or Chinese label; an empty value unsets it), audited.
    Returns the field and the stored text."""
    f = official_field(name)
    text = _clean(f, value)
    old = official_values(session)[f.key]
    if text != old:
        if f.key in SCHOOL_COLUMNS:
            school = get_school(session)
            setattr(school, f.key, text)
            audit.record(session, actor or audit.default_actor(), "school", school.id, {f.key: (old, text)})
        else:
            put_setting(session, SETTING_KEY.format(key=f.key), text)
            audit.record(session, actor or audit.default_actor(), "setting", None,
                         {SETTING_KEY.format(key=f.key): (old, text)})
    return f, text


def save_official(session: Session, values: dict[str, str], actor: str | None = None) -> dict[str, str]:
    """Several fields at once (all checked first: a bad one changes nothing)."""
    for name, value in values.items():
        _clean(official_field(name), value)
    for name, value in values.items():
        set_official(session, name, value, actor)
    return official_values(session)


def printed_policy_title(db: Database) -> str:
    """The policy's title as the documents print it (the 政策 page's heading, as 设置 shows it)."""
    with db.session() as s:
        values = official_values(s)
    return policy_title(values.get("county", ""), values.get("policy_title", ""))


def describe_title(values: dict[str, str]) -> str:
    """The policy title as printed, saying when it follows the county's name."""
    title = policy_title(values.get("county", ""), values.get("policy_title", ""))
    return title if values.get("policy_title") else f"{title}（随县名）"


COUNTY_REASON = "县名未设置（设置 › 公文信息）"
COUNTY_HINT = "请在“设置 › 公文信息”中填写县名（命令行：settings set 县名 建始县）"


def county_missing(session: Session) -> bool:
    return not official_values(session)["county"]


def require_county(session: Session, what: str) -> None:
    """Refuse a final document (``what``: 正式告知书, 正式公示名单) while the county's name is unset."""
    if county_missing(session):
        raise MissingSettingError(
            f"县名还没有设置，不能生成{what}：文书中的县名和政策名称会显示为“（县名未设置）”",
            COUNTY_HINT + "；只想先看看效果时，可以生成草稿", "county")
