import pytest

from core.domain import Category, Stage
from core.errors import PolicyError
from core.policy import default_policy, load_policy, set_value

POLICY = default_policy()


def test_default_policy_amounts_verbatim():
    amounts = {i.code: i.amount_fen for i in POLICY.items}
    assert amounts == {
        "PRESCHOOL": 202200, "HS_TUITION": None, "HS_TEXTBOOK": None, "HS_LODGING": None,
        "HIGHER_GRANT": 300000, "LOAN_AID": 202200, "OUTSIDE_PRESCHOOL": 202200,
        "OUTSIDE_VOCATIONAL": 202200, "OUTSIDE_HIGHSCHOOL": 300000, "OUTSIDE_HS_TUITION": 140000,
    }
    assert POLICY.parameters == {"tuition_standard": {}}
    assert POLICY.age_ranges[Stage.PRESCHOOL] == (2, 7)
    assert POLICY.age_ranges[Stage.DOCTOR] == (22, 55)
    assert len(POLICY.phases) == 4 and POLICY.phases[0].start == (3, 20)


@pytest.mark.parametrize("label,cat", [
    ("建档立卡", Category.REGISTERED), ("脱贫户", Category.REGISTERED), ("原建档立卡", Category.REGISTERED),
    ("脱贫户（原建档立卡）", Category.REGISTERED), ("脱贫户(原建档立卡)", Category.REGISTERED),
    ("监测户", Category.OTHER_HARDSHIP), ("防返贫监测对象", Category.OTHER_HARDSHIP),
    ("低保", Category.OTHER_HARDSHIP), ("特困", Category.OTHER_HARDSHIP), ("残疾", Category.OTHER_HARDSHIP),
    ("孤儿", Category.OTHER_HARDSHIP), ("其他经济困难", Category.OTHER_HARDSHIP),
    ("非困难", Category.NONE), (" 建档 立卡 ", Category.REGISTERED), ("富裕", None),
])
def test_category_aliases(label, cat):
    assert POLICY.parse_category(label) is cat


def test_category_labels_configurable():
    text = POLICY.text.replace('REGISTERED = ["建档立卡",', 'REGISTERED = ["脱贫户", "贫困户",')
    policy = load_policy(text)
    assert policy.parse_category("贫困户") is Category.REGISTERED
    assert policy.category_label(Category.REGISTERED) == "脱贫户"


def test_set_parameter_and_unset():
    text = set_value(POLICY.text, "tuition_standard.高中", "1,200")
    assert load_policy(text).parameters["tuition_standard"] == {Stage.HIGH_SCHOOL: 120000}
    text = set_value(text, "parameters.tuition_standard.普通高中", "")
    assert load_policy(text).parameters["tuition_standard"] == {}


def test_set_item_amount():
    text = set_value(POLICY.text, "items.HIGHER_GRANT.amount", "3500.5")
    assert load_policy(text).item("HIGHER_GRANT").amount_fen == 350050


@pytest.mark.parametrize("key,value,words", [
    ("tuition_standard.普通高中", "abc", "不是数字"),
    ("tuition_standard.大学", "1", "无法识别"),
    ("items.NOPE.amount", "1", "NOPE"),
    ("items.HS_TUITION.amount", "1", "没有固定标准"),
    ("whatever", "1", "不认识"),
    ("tuition_standard.小学", "100", "只用于普通高中、中职"),
])
def test_set_value_errors(key, value, words):
    with pytest.raises(PolicyError) as err:
        set_value(POLICY.text, key, value)
    assert words in err.value.message


@pytest.mark.parametrize("broken,words", [
    ('shares = [["city", "50"], ["county", "50"]]', "分担比例之和"),
    ('kind = "fixed"', "kind"),
    ('amount = "2022.00"', "amount"),
])
def test_invalid_documents_are_rejected_with_place(broken, words):
    replacement = {
        'shares = [["city", "50"], ["county", "50"]]': 'shares = [["city", "50"], ["county", "40"]]',
        'kind = "fixed"': 'kind = "magic"',
        'amount = "2022.00"': 'amount = "lots"',
    }[broken]
    text = POLICY.text.replace(broken, replacement, 1)
    with pytest.raises(PolicyError) as err:
        load_policy(text)
    assert "资助项目 PRESCHOOL" in err.value.message and words in err.value.message


@pytest.mark.parametrize("broken, replacement, words", [
    ('locations = ["本地"]', "locations = []", "locations（就读地）应为非空列表"),
    ('locations = ["本地"]', 'locations = "本地"', "locations（就读地）应为非空列表"),
    ("requires_loan = true", 'requires_loan = "false"', "requires_loan 应为 true 或 false"),
    ("once = true", 'once = "false"', "once 应为 true 或 false"),
    ("once = true", "once = 1", "once 应为 true 或 false"),
])
def test_an_items_flags_and_places_must_be_what_they_say(broken, replacement, words):
    """A quoted "false" would read as true, an empty place list would exclude every student."""
    assert broken in POLICY.text
    with pytest.raises(PolicyError) as err:
        load_policy(POLICY.text.replace(broken, replacement, 1))
    assert "资助项目" in err.value.message and words in err.value.message


def test_not_toml():
    with pytest.raises(PolicyError) as err:
        load_policy("[[items]\ncode=")
    assert "格式错误" in err.value.message


def test_hash_changes_with_content():
    other = load_policy(set_value(POLICY.text, "items.PRESCHOOL.amount", "2500"))
    assert other.sha256 != POLICY.sha256 and len(other.sha256) == 64


def test_set_value_keeps_the_files_comments():
    text = set_value(POLICY.text, "tuition_standard.普通高中", "1200")
    text = set_value(text, "items.HIGHER_GRANT.amount", "3500")
    comments = [line for line in POLICY.text.splitlines() if line.lstrip().startswith("#")]
    kept = text.splitlines()
    assert comments and all(c in kept for c in comments)
    # the new value sits in its own table, not under the next table's comment
    table = text.split("[parameters.tuition_standard]")[1].split("[age_ranges]")[0]
    assert '"普通高中" = "1200.00"' in table or '普通高中 = "1200.00"' in table
    assert load_policy(text).item("HIGHER_GRANT").amount_fen == 350000
    # unsetting a parameter never needs a known stage user
    assert load_policy(set_value(text, "tuition_standard.小学", "")).parameters["tuition_standard"]


def test_set_value_accepts_a_stage_the_items_name_by_alias():
    text = POLICY.text.replace('stages = ["普通高中", "中职"]', 'stages = ["高中", "职高"]')
    assert text != POLICY.text
    load_policy(text)
    assert load_policy(set_value(text, "tuition_standard.普通高中", "1200")).parameters["tuition_standard"]


# -- money review, session 17 ---------------------------------------------------------------------

def _text_with(old: str, new: str) -> str:
    text = default_policy().text
    assert old in text
    return text.replace(old, new, 1)


def test_a_source_listed_twice_is_refused():
    """Each share is rounded alone: 50/50 of the same source plus 0 % for the other paid 475.32 and -0.01."""
    with pytest.raises(PolicyError) as err:
        load_policy(_text_with('shares = [["city", "50"], ["county", "50"]]',
                               'shares = [["city", "50"], ["city", "50"], ["county", "0"]]'))
    assert "出现了两次" in err.value.message


@pytest.mark.parametrize("bad", ["NaN", "Infinity"])
def test_a_share_that_is_no_number_is_refused_with_its_place(bad):
    with pytest.raises(PolicyError) as err:
        load_policy(_text_with('shares = [["city", "50"], ["county", "50"]]',
                               f'shares = [["city", "{bad}"], ["county", "50"]]'))
    assert "不是数字" in err.value.message


def test_one_stage_written_twice_in_a_parameter_is_refused_and_set_value_replaces_every_spelling():
    with pytest.raises(PolicyError) as err:
        load_policy(_text_with('# 普通高中 = "1200.00"', '"普通高中" = "1200.00"\n"高中" = "1800.00"'))
    assert "写了两次" in err.value.message
    short = _text_with('# 普通高中 = "1200.00"', '"高中" = "1200.00"')
    assert load_policy(short).parameters["tuition_standard"] == {Stage.HIGH_SCHOOL: 120000}
    assert load_policy(set_value(short, "公办普通高中学费标准", "")).parameters["tuition_standard"] == {}
    assert load_policy(set_value(short, "公办普通高中学费标准", "1500")).parameters["tuition_standard"] == {
        Stage.HIGH_SCHOOL: 150000}
