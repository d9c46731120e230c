"""Why an intake does not store a school package it was offered, in Chinese for the clerk: a file
received before (已接收过), an older version than the one kept here (refused, or 已有较新版本).

An older version sent by the school itself may be its newest export from a PC whose date is wrong:
refused, with the clock hint. An older version a station's 汇总包 forwards is what the station held
when it exported. When the station's signed list says it received that version before the version
kept here was even made, the school simply sent a newer one since (directly, or through another
station): no one's error, nothing to do; the result is its own (``SUPERSEDED``: not refused, not
counted among the refused files, no exit status 1). Otherwise the station received it after the
version kept here was made, so it may be the school's newest from a wrong clock: refused with the
clock hint, as if the school had sent it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from core.intake import Examined
from db.receiving_models import CURRENT, REPLACED
from db.receiving_nested import via_label

_CLOCK_HINT = "如果它其实是学校最新导出的，多半是学校电脑的日期不对：请学校改正电脑日期后重新导出。"


def _shown(stamp: str) -> str:
    """A stored or signed ISO time as the clerk reads it (to the second, without the “T”)."""
    return stamp.replace("T", " ")[:19]


def kept_text(current: Row[Any]) -> str:
    """The version of a school's package this receiver keeps (its current one), as a refusal or a
    duplicate's note names it: its file, when it was made and received here, through which station."""
    via = f"，经 {current.via} 转报" if current.via else ""
    return (f"{current.file_name}（生成于 {_shown(current.generated_at)}，"
            f"{datetime.fromisoformat(current.received_at):%Y-%m-%d %H:%M} 接收{via}）")


def superseded(exam: Examined, current_made: datetime) -> bool:
    """A forwarded older version the station received before the version kept here was made."""
    return bool(exam.via) and exam.relayed_at is not None and exam.relayed_at < current_made


def superseded_reason(exam: Examined, made: str, current: Row[Any]) -> str:
    """The note of an older version a station forwarded (``superseded``): nothing to do."""
    at = exam.relayed_at
    assert at is not None
    station = via_label(exam)
    return (f"生成于 {_shown(made)}，{station}于 {at:%Y-%m-%d %H:%M} 接收；本单位已有该校此后生成的较新版本 "
            f"{kept_text(current)}，保留较新版本，这个旧版本不接收。{station}的汇总包中还是这个旧版本，"
            "不影响本单位的汇总，无需处理")


def older_reason(exam: Examined, made: str, current: Row[Any], same: bool) -> str:
    """Why ``exam``'s package, made at ``made`` and not after ``current`` (its school's package kept
    here), is refused (a forwarded one the station received before ``current`` was made is
    ``superseded`` instead)."""
    if same:
        return (f"本单位已有该校同一时间（{_shown(made)}）生成、内容不同的提交包 {current.file_name}，"
                "无法判断哪个是新版本：请与学校核实，由学校重新导出最新的上报包。")
    if exam.via:
        return (f"这个提交包生成于 {_shown(made)}，比本单位已接收的该校版本 {kept_text(current)}旧，"
                f"不能替换较新的版本；{via_label(exam)}是在那个版本生成之后才接收它的。" + _CLOCK_HINT)
    return (f"这个提交包生成于 {_shown(made)}，比已接收的 {current.file_name}"
            f"（生成于 {_shown(current.generated_at)}）旧，不能替换新版本。" + _CLOCK_HINT)


def already_reason(conn: Connection, known: Row[Any], current_sql: str) -> str:
    """Why a file received before (``known``: its stored row, same SHA-256) is not stored again. A version
    replaced since (a station's 汇总包 forwarding what the school has replaced, or the old file offered
    again) also names the version kept: the school's current package of that year, the last of a chain
    v1 → v2 → v3, so the clerk does not take the file offered for the one that counts."""
    said = f"同一文件已于 {datetime.fromisoformat(known.received_at):%Y-%m-%d %H:%M} 接收（{known.file_name}）"
    if known.state != REPLACED:
        return said
    kept = conn.exec_driver_sql(current_sql, (known.school_code, known.school_year, CURRENT)).first()
    return said + (f"，后已被较新版本 {kept_text(kept)}替换，本单位保留较新版本" if kept else "，后已被较新版本替换")
