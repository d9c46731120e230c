"""CLI `settings show` / `settings set KEY VALUE`: the words on official documents."""
from __future__ import annotations

from core.official import OFFICIAL_FIELDS


def add_parsers(sub) -> None:
    s = sub.add_parser("settings", help="查看或修改公文信息（县名、政策名称和依据、两个电话、经办人）")
    ssub = s.add_subparsers(dest="settings_command", required=True)
    ssub.add_parser("show", help="显示公文信息")
    names = "、".join(f"{f.key}（{f.label}）" for f in OFFICIAL_FIELDS)
    ss = ssub.add_parser("set", help="修改一项公文信息")
    ss.add_argument("key", help=f"设置项，英文或中文名均可：{names}")
    ss.add_argument("value", help="新的内容；空字符串表示清空")


def print_official(values: dict[str, str]) -> None:
    from db.official import describe_title
    for f in OFFICIAL_FIELDS:
        value = describe_title(values) if f.key == "policy_title" else values[f.key] or "（未设置）"
        print(f"{f.label}（{f.key}）：{value}")


def cmd_settings(db, args) -> int:
    from db import settings
    if args.settings_command == "set":
        saved = settings.set_official(db, args.key, args.value)
        print(f"已修改 {saved.field_label}：{saved.text or '（未设置）'}")
        values = saved.values
    else:
        values = settings.official(db)
    print_official(values)
    if not values["county"]:
        print("注意：县名未设置，正式的告知书、公示名单和上报包会被拒绝；请用 settings set 县名 建始县 这样的命令填写")
    return 0


COMMANDS = {"settings": cmd_settings}
