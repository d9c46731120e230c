"""Important optional columns a student list lacks: the import preview's warnings.

A missing optional column is not an error (its default is used), but some
defaults silently change the result: without 家庭类别 every student becomes
非困难 and nobody is subsidised; without 是否全日制正式学籍 every student is taken
as 全日制 (the plan's condition of every item); without 生源地助学贷款 nobody has a
loan; without a fee column the fee items stay 待补充. The preview (wizard and CLI)
says so.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable

from core.domain import Stage
from core.policy import Item, Policy
from core.records import STUDENT_COLUMNS

_HEADERS = {c.field: c.header for c in STUDENT_COLUMNS}
# The importer's fee fields and the policy's fee names (core.policy.Item.fee).
_FEES = ("tuition", "textbook", "lodging")
# The stages where a student may study part-time (非全日制中职, 成人 and 非全日制 higher education):
# there a list without the full-time column pays on an assumption. A kindergarten's, a primary or
# junior school's and a 普通高中's pupils are full-time.
_PART_TIME_STAGES = frozenset({Stage.VOCATIONAL, Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE, Stage.MASTER,
                               Stage.DOCTOR})


def _hint(fld: str) -> str:
    return (f"如文件中有这一列，请把它的表头改为“{_HEADERS[fld]}”后重新导入"
            "（在导入向导中也可以在列对应中指定它，再重新预览）")


def _names(items: Iterable[Item]) -> str:
    return "、".join(f"“{i.name}”" for i in items)


def missing_column_warnings(policy: Policy, present: Collection[str], stages: Collection[Stage]) -> list[str]:
    """Warnings for the important columns not among ``present`` (the importer's field names):
    家庭类别 always; 是否全日制正式学籍 when an item applies to a stage of part-time study found in
    the file; 生源地助学贷款 and each fee when an item that reads it applies to one of ``stages``
    (the stages found in the file)."""
    out: list[str] = []
    if "category" not in present:
        out.append("没有识别到“家庭类别”列：文件中的学生将全部按“非困难”处理，不享受按家庭类别核定的资助"
                   "（已在名单中的学生保持原来的家庭类别）。" + _hint("category"))
    applying = [i for i in policy.items if i.stages & set(stages)]
    if "full_time" not in present and any(i.stages & _PART_TIME_STAGES & set(stages) for i in applying):
        out.append("没有识别到“是否全日制正式学籍”列：文件中的学生将全部按“全日制正式学籍”处理，"
                   "非全日制（函授、业余等）的学生也会核定资助（已在名单中的学生保持原来的值）。"
                   "请在名单中加一列“是否全日制正式学籍”，"
                   "填“是”或“否”（也可填“全日制”“非全日制”）；" + _hint("full_time"))
    loan_items = [i for i in applying if i.requires_loan]
    if loan_items and "has_loan" not in present:
        out.append(f"没有识别到“生源地助学贷款”列：文件中的学生将全部按“未办理贷款”处理，"
                   f"{_names(loan_items)}不会核定。" + _hint("has_loan"))
    for fee in _FEES:
        fee_items = [i for i in applying if i.fee == fee]
        if fee_items and fee not in present:
            out.append(f"没有识别到“{_HEADERS[fee]}”列：{_names(fee_items)}将显示“待补充”（空白不等于0）。"
                       + _hint(fee))
    return out
