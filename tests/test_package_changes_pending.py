"""A replacement's change list names a pending item (待补充: its amount cannot be computed yet, e.g. a fee
not entered) as 待补充, never as 0.00 元: “免书本费 0.00 → 200.00 元” read as if the child had been granted
nothing before, “200.00 → 0.00 元” as if the grant had been withdrawn (review, session 30)."""
from __future__ import annotations

import pytest
from receiving_fixtures import Kid, holding, kid_id, revise_school, school_package

from cli.commands import run
from core.idnumber import mask_id
from core.package_changes import change_lines, package_changes
from core.package_data import Grant, PackageData, PackageStudent

ITEMS = {"X": "免学费", "Y": "免书本费"}
A = kid_id(401)
SAME = "信息变动 0 人"


def _st(name, number, *grants, pending=()):
    return PackageStudent(number, name, verified=True, grants=tuple(Grant(c, f, {}) for c, f in grants),
                          pending=tuple(pending))


def _pkg(*students):
    return PackageData("1", "校", 2023, students=students)


def test_a_pending_item_that_got_its_amount_reads_pending_then_the_amount():
    old = _pkg(_st("张三", A, ("X", 100000), pending=("Y",)))
    new = _pkg(_st("张三", A, ("X", 100000), ("Y", 20000)))
    ch = package_changes(old, new)
    [c] = ch.changed
    assert (c.items, c.old_pending, c.new_pending) == ((("Y", 0, 20000),), frozenset({"Y"}), frozenset())
    assert not ch.info_changed          # the amount line says it: not a second time as 信息变动
    assert change_lines(ch, ITEMS) == [
        "与被替换的版本相比：新增 0 人，移除 0 人，金额变动 1 人；合计 1000.00 元 → 1200.00 元（+200.00 元）；"
        + SAME,
        f"  变动：张三 {mask_id(A)}：免书本费 待补充 → 200.00 元"]


def test_an_amount_that_became_pending_reads_the_amount_then_pending():
    old = _pkg(_st("张三", A, ("X", 100000), ("Y", 20000)))
    new = _pkg(_st("张三", A, ("X", 100000), pending=("Y",)))
    assert change_lines(package_changes(old, new), ITEMS) == [
        "与被替换的版本相比：新增 0 人，移除 0 人，金额变动 1 人；合计 1200.00 元 → 1000.00 元（-200.00 元）；"
        + SAME,
        f"  变动：张三 {mask_id(A)}：免书本费 200.00 元 → 待补充"]


def test_pending_settled_at_nothing_and_nothing_become_pending_are_changes_too():
    """The amount stayed 0 fen on both sides, but 待补充 → 0.00 元 is news (the item was decided: not
    granted), as is 0.00 元 → 待补充 (the item may now be granted once the school enters the fee)."""
    pending = _pkg(_st("张三", A, ("X", 100000), pending=("Y",)))
    settled = _pkg(_st("张三", A, ("X", 100000)))
    assert change_lines(package_changes(pending, settled), ITEMS)[1:] == [
        f"  变动：张三 {mask_id(A)}：免书本费 待补充 → 0.00 元"]
    assert change_lines(package_changes(settled, pending), ITEMS)[1:] == [
        f"  变动：张三 {mask_id(A)}：免书本费 0.00 元 → 待补充"]
    assert "金额变动 1 人" in change_lines(package_changes(settled, pending))[0]
    assert package_changes(pending, pending).empty


def test_every_item_keeps_its_own_wording_on_one_line():
    old = _pkg(_st("张三", A, ("X", 100000), pending=("Y",)))
    new = _pkg(_st("张三", A, ("X", 90000), ("Y", 20000)))
    assert change_lines(package_changes(old, new), ITEMS)[1] == (
        f"  变动：张三 {mask_id(A)}：免学费 1000.00 → 900.00 元，免书本费 待补充 → 200.00 元")


def test_an_id_listed_twice_with_one_row_pending_keeps_the_other_row_s_amount():
    """A package may list one ID twice: the rows' amounts are summed; one row pending and the other
    granted is neither “待补充” alone (the fen granted would be lost) nor the amount alone."""
    old = _pkg(_st("张三", A, ("Y", 100), pending=("Y",)), _st("张三", A))
    twice = _pkg(_st("张三", A, ("Y", 100)), _st("张三", A, ("Y", 50)))
    assert change_lines(package_changes(old, twice), ITEMS)[1] == (
        f"  变动：张三 {mask_id(A)}：免书本费 1.00 元（另有待补充） → 1.50 元")


def test_a_student_added_or_removed_with_pending_items_says_so():
    b, c = kid_id(402), kid_id(403)
    old = _pkg(_st("张三", A, ("X", 100000)), _st("李四", b, pending=("X", "Y")))
    new = _pkg(_st("张三", A, ("X", 100000)), _st("王五", c, ("X", 100000), pending=("Y",)))
    assert change_lines(package_changes(old, new), ITEMS) == [
        "与被替换的版本相比：新增 1 人，移除 1 人，金额变动 0 人；合计 1000.00 元 → 2000.00 元（+1000.00 元）；"
        + SAME,
        f"  新增：王五 {mask_id(c)}，1000.00 元，另有 免书本费 待补充",
        f"  移除：李四 {mask_id(b)}，0.00 元，另有 免学费、免书本费 待补充"]


# -- the same through a real school's packages (the export writes the pending items) --------------------
@pytest.fixture(scope="module")
def fee_entered(tmp_path_factory):
    root = tmp_path_factory.mktemp("pending-fee")
    kid = Kid("学生411", kid_id(411), tuition_fen=100000, textbook_fen=None, lodging_fen=0)
    first = school_package(root, code="4228220711", name="花坪乡中心小学", students=[kid])
    second = revise_school(first, root / "second.zip", students=[
        Kid("学生411", kid_id(411), tuition_fen=100000, textbook_fen=20000, lodging_fen=0)])
    return first, second


def test_consolidate_add_says_the_textbook_fee_entered_was_pending(tmp_path, fee_entered, capsys):
    first, second = fee_entered
    assert run(["--db", str(holding(tmp_path, first)), "consolidate", "add", str(second.path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert ("  与被替换的版本相比：新增 0 人，移除 0 人，金额变动 1 人；合计 1000.00 元 → 1200.00 元（+200.00 元）；"
            "信息变动 1 人") in lines           # (its finding 实收费用未填写 is 已改正 now)
    assert f"    变动：学生411 {mask_id(kid_id(411))}：免书本费 待补充 → 200.00 元" in lines
    assert "0.00 → 200.00" not in out and "待补充项目" not in out
