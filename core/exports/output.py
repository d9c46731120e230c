"""Shared bits of every exporter: the labels and summaries the documents print."""
from __future__ import annotations

from dataclasses import dataclass, field

from core.domain import Stage
from core.engine import StudentResult
from core.exports.data import ExportData, StudentInfo
from core.policy import SOURCE_LABELS, Policy

DRAFT_NOTE = "草稿：数据尚未最终核准，不得作为正式材料上报或公示"
DEMO_MARK = "演示数据"
DEMO_NOTE = "【演示数据】虚构的学校和学生，仅供熟悉软件，不得上报或公示"


def status_label(data: ExportData) -> str:
    """"正式", "草稿（未最终核准）", with "；演示数据…" for a demo database's documents."""
    text = "草稿（未最终核准）" if data.draft else "正式"
    return text + ("；演示数据（虚构的学校和学生，不得上报）" if data.demo else "")


def date_label(data: ExportData) -> str:
    d = data.generated_at
    return f"{d.year}年{d.month}月{d.day}日"


def time_label(data: ExportData) -> str:
    return data.generated_at.strftime("%Y-%m-%d %H:%M")


def generated_by_label(clerk: str, account: str) -> str:
    """Who made the document (the 生成人 of the report, the workbook and the receiver's report): the
    经办人 of 公文信息 with the system account the audit log names for the same work, or only that
    account, saying so."""
    account = account or "未知"
    if clerk:
        return f"{clerk}（系统账户 {account}）"
    return f"（未填写经办人，系统账户 {account}）"


def policy_line(data: ExportData) -> str:
    """The small line naming the policy the amounts were computed with, the same on the letters
    and the notice: its title, its version (“2023–2024学年 第2版”) and the first 8 characters of
    the policy file's SHA-256 (the report's cover prints it whole), so two printouts can be told
    apart even across schools whose versions share a number."""
    version = f"{data.policy_version}，" if data.policy_version else ""
    return f"依据：《{data.official.title}》（{version}政策文件校验码 {data.policy.sha256[:8]}）"


def grade_label(st: StudentInfo) -> str:
    """"普通高中高二1班", "小学一年级1班", "本科大一"."""
    grade = st.grade
    if st.stage and not grade.startswith(st.stage) and not grade.startswith(("高", "初")):
        grade = st.stage + grade
    return (grade or st.stage) + st.class_name


def sources(data: ExportData) -> list[str]:
    """Funding sources in print order (市级, 县级, then any other)."""
    found = {src for item in data.policy.items for src, _ in item.shares} | set(data.totals.by_source)
    return [s for s in SOURCE_LABELS if s in found] + sorted(found - set(SOURCE_LABELS))


def source_label(src: str) -> str:
    return SOURCE_LABELS.get(src, src)


@dataclass
class ItemSum:
    code: str
    name: str
    students: int = 0
    amount_fen: int = 0
    shares: dict[str, int] = field(default_factory=dict)


def item_sums(data: ExportData) -> list[ItemSum]:
    """Per policy item: how many students, how much, and who pays."""
    sums = {i.code: ItemSum(i.code, i.name) for i in data.policy.items}
    for r in data.results:
        for d in r.granted:
            s = sums.setdefault(d.code, ItemSum(d.code, d.name))
            s.students += 1
            s.amount_fen += d.amount_fen
            for src, fen in d.shares.items():
                s.shares[src] = s.shares.get(src, 0) + fen
    return list(sums.values())


@dataclass
class StageSum:
    stage: str
    students: int = 0
    subsidised: int = 0
    amount_fen: int = 0


def stage_sums(data: ExportData) -> list[StageSum]:
    """Per stage (policy order, unknown stages last): students / subsidised / amount."""
    order = {s.value: i for i, s in enumerate(Stage)}
    sums: dict[str, StageSum] = {}
    for st, r in data.pairs():
        s = sums.setdefault(st.stage or "未填学段", StageSum(st.stage or "未填学段"))
        s.students += 1
        granted = r.granted
        if granted:
            s.subsidised += 1
            s.amount_fen += sum(d.amount_fen for d in granted)
    return sorted(sums.values(), key=lambda s: order.get(s.stage, len(order)))


def family_pays(st: StudentInfo, result: StudentResult, policy: Policy) -> tuple[int, int] | None:
    """(tuition charged, still paid by the family) when a 民办 school charges
    more tuition than a granted tuition item capped by the public standard
    (kind ``fee_capped``, fee ``tuition``) covers; None otherwise."""
    if st.ownership != "民办" or st.tuition_fen is None:
        return None
    for d in result.granted:
        item = policy.item(d.code)
        if item.kind == "fee_capped" and item.fee == "tuition" and st.tuition_fen > d.amount_fen:
            return st.tuition_fen, st.tuition_fen - d.amount_fen
    return None


def mask_card(card: str) -> str:
    """Bank card: first 4 and last 4 digits."""
    c = "".join(card.split())
    if len(c) <= 8:
        return "*" * len(c)
    return c[:4] + "*" * (len(c) - 8) + c[-4:]
