"""The fields of 公文信息 (the words on official documents): their keys, Chinese names,
help and limits. Plain data, so the command line can list them without opening anything;
``db.official`` reads, checks and stores them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OfficialField:
    key: str
    label: str        # Chinese name, also accepted by `settings set`
    help: str         # what it is, where it appears, what an empty value means
    limit: int        # longest value accepted


OFFICIAL_FIELDS = (
    OfficialField("county", "县名", "本县（市、区）的名称，例如“建始县”；正式的告知书、公示名单和上报包必须填写", 30),
    OfficialField("policy_title", "政策名称",
                  "留空则随县名：“<县名>教育扶贫“百日攻坚”资助政策”；县里的文件另有名称时照抄", 100),
    OfficialField("policy_basis", "政策依据", "文号或条款，例如“建教发〔2023〕5号 第二条”；留空则文书中不写", 100),
    OfficialField("contact_phone", "学校联系电话", "家长咨询用；留空则告知书和公示名单不写这句", 50),
    OfficialField("supervision_phone", "县级监督电话", "县教育资助监督电话；留空则告知书和公示名单不写这句", 50),
    OfficialField("clerk", "经办人", "经办人（制表人）的姓名，例如“张老师”，印在上报报告和数据表的“生成人”处；"
                  "留空则写本机的系统账户名", 20),
)
