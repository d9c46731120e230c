"""The policy menu's editing API (core.policy_edit) and the per_stage rule kind."""
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain import Category, Location, Stage, StudentRecord
from core.engine import APPLICATION_NOTE, Status, compute_student, decide
from core.errors import PolicyError
from core.policy import KINDS, default_policy, load_policy, parameters_of, set_value
from core.policy_edit import (
    SEED_QUIRK_NOTE,
    ItemDraft,
    copy_item,
    draft_of,
    item_problems,
    new_draft,
    policy_diff_items,
    restore_item,
    retire_item,
    rule_text,
    source_notes,
    with_item,
)

POLICY = default_policy()

BOARDING = ItemDraft(
    code="BOARDING_AID", name="义务教育家庭经济困难寄宿生生活补助", stages=("小学", "初中"),
    categories=("REGISTERED", "其他经济困难"), kind="per_stage",
    stage_amounts=(("小学", "1000"), ("初中", "1,250")), shares=(("city", "50"), ("county", "50")),
    needs_application=True)


def _student(stage: Stage, category: Category = Category.REGISTERED, **kw) -> StudentRecord:
    return StudentRecord("张三", stage=stage, category=category, **kw)


def test_every_seed_item_round_trips_unchanged():
    for item in POLICY.all_items:
        assert item_problems(draft_of(item), POLICY, item.code) == []
        assert with_item(POLICY.text, draft_of(item), item.code) == POLICY.text   # same text, same hash


def test_per_stage_item_added_is_computed_with_its_explanation():
    policy = load_policy(with_item(POLICY.text, BOARDING))
    item = policy.item("BOARDING_AID")
    assert item.kind == "per_stage" and item.stage_amounts == ((Stage.PRIMARY, 100000), (Stage.JUNIOR, 125000))
    primary = decide(_student(Stage.PRIMARY), item, policy)
    junior = decide(_student(Stage.JUNIOR, Category.OTHER_HARDSHIP), item, policy)
    assert (primary.status, primary.amount_fen, primary.shares) == (Status.GRANTED, 100000,
                                                                     {"city": 50000, "county": 50000})
    assert junior.amount_fen == 125000
    assert "初中标准 1250.00 元" in junior.reason_text and APPLICATION_NOTE in junior.reason_text
    assert decide(_student(Stage.HIGH_SCHOOL), item, policy).status is Status.NOT_ELIGIBLE
    assert decide(_student(Stage.PRIMARY, Category.NONE), item, policy).status is Status.NOT_ELIGIBLE
    assert rule_text(item) == "按学段：小学 1000.00 元，初中 1250.00 元"
    # its amounts are parameters the clerk edits by their Chinese names
    labels = {p.label: p.key for p in parameters_of(policy)}
    assert labels["义务教育家庭经济困难寄宿生生活补助初中标准"] == "items.BOARDING_AID.amounts.初中"
    edited = load_policy(set_value(policy.text, "义务教育家庭经济困难寄宿生生活补助初中标准", "1300"))
    assert edited.item("BOARDING_AID").amount_for(Stage.JUNIOR) == 130000


@pytest.mark.parametrize("amounts,words", [
    ('{ "小学" = "1000.00" }', "缺少学段初中"),
    ('{ "小学" = "1000.00", "初中" = "1250.00", "普通高中" = "1.00" }', "普通高中不在本项目"),
    ('{ "小学" = "1000.001", "初中" = "1250.00" }', "两位小数"),
    ('"1000"', "缺少 amounts"),
])
def test_per_stage_document_errors_name_the_item(amounts, words):
    text = with_item(POLICY.text, BOARDING).replace('amounts = {"小学" = "1000.00", "初中" = "1250.00"}',
                                                    f"amounts = {amounts}")
    with pytest.raises(PolicyError) as exc:
        load_policy(text)
    assert "BOARDING_AID" in exc.value.message and words in exc.value.message


def _problem(draft: ItemDraft, editing: str | None = None) -> dict[str, str]:
    return {p.field: p.message for p in item_problems(draft, POLICY, editing)}


@pytest.mark.parametrize("change,field,words", [
    ({"code": ""}, "code", "未填写"),
    ({"code": "boarding aid"}, "code", "大写英文字母"),
    ({"code": "PRESCHOOL"}, "code", "已被“学前教育资助”使用"),
    ({"name": " "}, "name", "未填写"),
    ({"name": "免学费"}, "name", "已有名为“免学费”"),
    ({"stages": ()}, "stages", "至少选择一个学段"),
    ({"stages": ("小学", "大学")}, "stages", "学段“大学”无法识别"),
    ({"categories": ()}, "categories", "至少选择一个家庭类别"),
    ({"categories": ("富裕",)}, "categories", "“富裕”无法识别"),
    ({"locations": ("县城",)}, "locations", "只能是本地或外地"),
    ({"kind": "monthly"}, "kind", "无法识别"),
    ({"stage_amounts": (("小学", "1000"),)}, "stage_amounts", "初中标准未填写"),
    ({"stage_amounts": (("小学", "1000.005"), ("初中", "1"))}, "stage_amounts", "两位小数"),
    ({"stage_amounts": (("小学", "0"), ("初中", "1"))}, "stage_amounts", "不能为 0"),
    ({"kind": "fixed", "amount": "abc"}, "amount", "不是数字"),
    ({"kind": "fixed", "amount": "12.345"}, "amount", "两位小数"),
    ({"kind": "fee", "fee": ""}, "fee", "按哪项费用"),
    ({"kind": "fee_capped", "fee": "tuition", "cap": ""}, "cap", "封顶的标准"),
    ({"shares": (("city", "40"), ("county", "50"))}, "shares", "合计应为100%，现在是 市级 40%＋县级 50% = 90%"),
    ({"shares": (("city", "五十"), ("county", "50"))}, "shares", "不是数字"),
    ({"shares": (("city", "50"), ("city", "50"))}, "shares", "重复"),
    ({"shares": (("province", "100"),)}, "shares", "只能是市级或县级"),
    ({"shares": ()}, "shares", "请填写资金分担"),
])
def test_invalid_draft_gives_the_field_problem(change, field, words):
    problems = _problem(replace(BOARDING, **change))
    assert list(problems) == [field] and words in problems[field]


def test_valid_variants_have_no_problem():
    assert _problem(BOARDING) == {}
    assert _problem(replace(BOARDING, shares=(("city", "33.33"), ("county", "66.67")))) == {}
    assert _problem(replace(BOARDING, shares=(("city", "５０％"), ("county", "50")))) == {}
    assert _problem(replace(BOARDING, stages=("高中",), stage_amounts=(("普通高中", "2000"),))) == {}
    # editing an item keeps its own code and name
    assert _problem(draft_of(POLICY.item("PRESCHOOL")), "PRESCHOOL") == {}
    assert item_problems(new_draft(POLICY), POLICY) != [] and new_draft(POLICY).code not in {
        i.code for i in POLICY.all_items}


def test_with_item_refuses_an_invalid_draft_naming_the_fields():
    with pytest.raises(PolicyError) as exc:
        with_item(POLICY.text, replace(BOARDING, code="HS_TUITION", shares=(("city", "50"),)))
    assert "项目代码" in exc.value.message and "资金分担" in exc.value.message


def test_edit_keeps_comments_and_changes_only_the_item():
    draft = replace(draft_of(POLICY.item("HIGHER_GRANT")), amount="3500", needs_application=True)
    text = with_item(POLICY.text, draft, "HIGHER_GRANT")
    assert "# Subsidy items. Every item requires" in text
    new = load_policy(text)
    assert new.item("HIGHER_GRANT").amount_fen == 350000 and new.item("HIGHER_GRANT").needs_application
    diff = policy_diff_items(POLICY, new)
    assert diff.lines() == ["修改项目：本科生、硕士研究生资助（HIGHER_GRANT）：金额规则：每人每年 3000.00 元 → "
                            "每人每年 3500.00 元；需申请：否 → 是"]


def test_replacing_with_another_kind_drops_the_old_keys():
    draft = replace(draft_of(POLICY.item("HS_LODGING")), kind="fixed", amount="500")
    text = with_item(POLICY.text, draft, "HS_LODGING")
    item = load_policy(text).item("HS_LODGING")
    assert (item.kind, item.amount_fen, item.fee) == ("fixed", 50000, None)


def test_retire_and_restore():
    text = retire_item(POLICY.text, "PRESCHOOL")
    policy = load_policy(text)
    assert "PRESCHOOL" not in [i.code for i in policy.items] and policy.item("PRESCHOOL").retired
    assert "PRESCHOOL" not in {d.code for d in compute_student(_student(Stage.PRESCHOOL), policy).decisions}
    assert "PRESCHOOL" not in {p.key.split(".")[1] for p in parameters_of(policy) if p.key.startswith("items.")}
    assert policy_diff_items(POLICY, policy).lines() == ["停用项目：学前教育资助（PRESCHOOL）"]
    with pytest.raises(PolicyError, match="已经停用"):
        retire_item(text, "PRESCHOOL")
    back = restore_item(text, "PRESCHOOL")
    assert load_policy(back).sha256 == POLICY.sha256
    assert policy_diff_items(policy, load_policy(back)).lines() == ["恢复项目：学前教育资助（PRESCHOOL）"]
    with pytest.raises(PolicyError, match="没有代码"):
        retire_item(POLICY.text, "NOPE")


def test_retiring_every_item_is_refused():
    text = POLICY.text
    codes = [i.code for i in POLICY.items]
    for code in codes[:-1]:
        text = retire_item(text, code)
    with pytest.raises(PolicyError, match="至少保留一个"):
        retire_item(text, codes[-1])


def test_copy_item():
    text = copy_item(POLICY.text, "HS_TUITION")
    copy = load_policy(text).item("HS_TUITION_COPY")
    assert copy.name == "免学费（副本）" and copy.kind == "fee_capped" and copy.cap == "tuition_standard"
    again = load_policy(copy_item(text, "HS_TUITION")).item("HS_TUITION_COPY_2")
    assert again.name == "免学费（副本2）"
    assert load_policy(copy_item(POLICY.text, "PRESCHOOL", "PRESCHOOL_B")).item("PRESCHOOL_B").amount_fen == 202200
    with pytest.raises(PolicyError, match="已被"):
        copy_item(POLICY.text, "PRESCHOOL", "LOAN_AID")


def test_source_notes_mark_the_four_2022_amounts():
    notes = source_notes(POLICY)
    assert sorted(notes) == ["LOAN_AID", "OUTSIDE_PRESCHOOL", "OUTSIDE_VOCATIONAL", "PRESCHOOL"]
    assert all(n == SEED_QUIRK_NOTE for n in notes.values()) and "2022" in SEED_QUIRK_NOTE
    checked = load_policy(set_value(POLICY.text, "items.PRESCHOOL.amount", "2500"))
    assert "PRESCHOOL" not in source_notes(checked)


def test_diff_items_parameters_and_removals():
    new_text = set_value(with_item(POLICY.text, BOARDING), "tuition_standard.普通高中", "1200")
    new_text = new_text.replace('[[items]]\ncode = "OUTSIDE_HS_TUITION"', '[[items]]\ncode = "OUTSIDE_HS_TUITION2"')
    diff = policy_diff_items(POLICY, load_policy(new_text))
    assert [i.code for i in diff.added] == ["OUTSIDE_HS_TUITION2", "BOARDING_AID"]
    assert [i.code for i in diff.removed] == ["OUTSIDE_HS_TUITION"]
    assert [p.text() for p in diff.parameters_added] == ["公办普通高中学费标准：未设置 → 1200.00"]
    back = policy_diff_items(load_policy(new_text), POLICY)
    assert [p.text() for p in back.parameters_removed] == ["公办普通高中学费标准：1200.00 → 未设置"]
    changed = policy_diff_items(load_policy(new_text), load_policy(set_value(new_text, "tuition_standard.普通高中", "1300")))
    assert changed.lines() == ["修改参数：公办普通高中学费标准：1200.00 → 1300.00"]
    assert policy_diff_items(POLICY, POLICY).is_empty and policy_diff_items(POLICY, POLICY).summary() == "没有变化"


_stage_names = st.lists(st.sampled_from([s.value for s in Stage]), min_size=1, max_size=4, unique=True)
_yuan = st.integers(min_value=1, max_value=9_999_999).map(lambda fen: f"{fen // 100}.{fen % 100:02d}")


@st.composite
def drafts(draw):
    kind = draw(st.sampled_from(KINDS))
    stages = tuple(draw(_stage_names))
    city = draw(st.integers(min_value=0, max_value=100))
    return ItemDraft(
        code="GEN_" + draw(st.from_regex(r"[A-Z0-9_]{1,10}", fullmatch=True)),
        name="项目" + draw(st.text(alphabet="补助生活交通寄宿营养甲乙丙", min_size=1, max_size=8)),
        stages=stages,
        categories=tuple(draw(st.lists(st.sampled_from([c.value for c in Category]), min_size=1, unique=True))),
        locations=tuple(draw(st.lists(st.sampled_from([loc.value for loc in Location]), max_size=1))),
        kind=kind,
        amount=draw(_yuan) if kind == "fixed" else "",
        fee=draw(st.sampled_from(["tuition", "textbook", "lodging"])) if kind in ("fee", "fee_capped") else "",
        cap="tuition_standard" if kind == "fee_capped" else "",
        stage_amounts=tuple((s, draw(_yuan)) for s in stages) if kind == "per_stage" else (),
        shares=(("city", str(city)), ("county", str(100 - city))) if city < 100 else (("city", "100"),),
        once=draw(st.booleans()), requires_loan=draw(st.booleans()), needs_application=draw(st.booleans()),
    )


def _canonical(d: ItemDraft) -> ItemDraft:
    order = [s.value for s in Stage]
    return replace(d, stages=tuple(sorted(d.stages, key=order.index)),
                   categories=tuple(c.value for c in Category if c.value in d.categories),
                   stage_amounts=tuple(sorted(d.stage_amounts, key=lambda p: order.index(p[0]))))


@settings(max_examples=80, deadline=None)
@given(drafts())
def test_with_item_draft_of_round_trip_for_every_kind(draft):
    assert item_problems(draft, POLICY) == []
    text = with_item(POLICY.text, draft)
    item = load_policy(text).item(draft.code)
    assert draft_of(item) == _canonical(draft)
    # replacing it with itself changes nothing
    assert with_item(text, draft_of(item), draft.code) == text
