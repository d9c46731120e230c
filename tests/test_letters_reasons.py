"""What a family without a subsidy is told (core.exports.letters.deciding_reasons): the facts every
item of the child's stage fails on, not the conditions of items meant for other children."""
import pytest

from core.engine import compute_student
from core.exports.letters import deciding_reasons
from core.policy import default_policy
from core.records import student_record


def _reasons(**values):
    policy = default_policy()
    rec = student_record(values)
    res = compute_student(rec, policy)
    return deciding_reasons([d.reasons for d, item in zip(res.decisions, policy.items, strict=True)
                             if rec.stage in item.stages])


@pytest.mark.parametrize(("values", "told"), [
    # not full-time: the 外地 items' "就读地为本地" is no reason of a local pupil's
    ({"stage": "普通高中", "category": "REGISTERED", "full_time": False}, ["不是全日制正式学籍"]),
    # not in hardship: once, though the items word their categories differently
    ({"stage": "普通高中", "category": "NONE"}, ["家庭类别为非困难，不符合本方案各资助项目的条件"]),
    ({"stage": "学前教育", "category": "NONE"}, ["家庭类别为非困难，本项目只限建档立卡"]),
    ({"stage": "中职", "category": "NONE", "location": "外地"}, ["家庭类别为非困难，不符合本方案各资助项目的条件"]),
])
def test_a_family_is_told_the_deciding_reasons(values, told):
    assert _reasons(**values) == told


def test_without_a_common_fact_the_closest_items_conditions_are_told():
    # an item missed on one condition, another on two: the first's condition only
    assert deciding_reasons([("就读地为外地，本项目只限本地就读", "未办理生源地助学贷款"),
                             ("往年已享受过（每人仅享受一次）",)]) == ["往年已享受过（每人仅享受一次）"]
    assert deciding_reasons([(), ()]) == ["不符合本方案所列资助项目的条件"]
