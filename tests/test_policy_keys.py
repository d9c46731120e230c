"""Unknown keys in a policy document are refused, naming the place and the closest known key.

A misspelt key used to be ignored: ``location = ["外地"]`` (for ``locations``) paid a local
child the 外地就学 aid as well, ``only_once = true`` (for ``once``) paid a once-only aid again.
"""
import tomllib
from typing import Any

import pytest

from core.errors import PolicyError
from core.policy import default_policy_text, load_policy, parse_policy, set_value
from core.policy_check import CAMPAIGN_KEYS, CATEGORY_KEYS, ITEM_KEYS, PHASE_KEYS, POLICY_KEYS, TOP_KEYS
from core.policy_edit import ItemDraft, copy_item, retire_item, with_item

# A small document with every table the loader reads and an item of every kind.
DOC = '''\
[policy]
name = "测试县资助政策"
source = "测试县文件"
format = 1

[categories]
REGISTERED = ["建档立卡", "脱贫户"]
OTHER_HARDSHIP = ["低保"]
NONE = ["非困难"]

[parameters.tuition_standard]
"普通高中" = "1200.00"

[age_ranges]
"小学" = [5, 15]

[[campaign.phases]]
name = "动员部署"
start = "03-20"
end = "04-13"

[[items]]
code = "LOCAL_PRE"
name = "学前资助"
stages = ["学前教育"]
locations = ["本地"]
categories = ["REGISTERED"]
kind = "fixed"
amount = "1000.00"
shares = [["city", "50"], ["county", "50"]]

[[items]]
code = "OUT_PRE"
name = "外地学前资助"
stages = ["学前教育"]
locations = ["外地"]
categories = ["REGISTERED"]
kind = "fixed"
amount = "500.00"
shares = [["county", "100"]]

[[items]]
code = "LOAN"
name = "贷款扶助"
stages = ["本科"]
categories = ["REGISTERED", "OTHER_HARDSHIP"]
requires_loan = true
once = true
needs_application = true
kind = "fixed"
amount = "2000.00"
shares = [["city", "100"]]

[[items]]
code = "TUITION"
name = "免学费"
stages = ["普通高中"]
categories = ["REGISTERED"]
kind = "fee_capped"
fee = "tuition"
cap = "tuition_standard"
shares = [["city", "50"], ["county", "50"]]

[[items]]
code = "BOOKS"
name = "免书本费"
stages = ["普通高中"]
categories = ["REGISTERED"]
kind = "fee"
fee = "textbook"
shares = [["county", "100"]]

[[items]]
code = "BOARDING"
name = "寄宿生生活补助"
stages = ["小学", "初中"]
categories = ["REGISTERED"]
kind = "per_stage"
amounts = { "小学" = "1000.00", "初中" = "1250.00" }
shares = [["city", "50"], ["county", "50"]]
retired = true
'''


def _with(old: str, new: str, text: str = DOC) -> str:
    assert old in text
    return text.replace(old, new, 1)


def _refused(text: str) -> PolicyError:
    """Refused as a document coming in (imported, or saved as a new version: ``strict``)."""
    with pytest.raises(PolicyError) as err:
        load_policy(text, strict=True)
    return err.value


def test_the_fixture_loads():
    policy = load_policy(DOC)
    assert [i.code for i in policy.all_items] == ["LOCAL_PRE", "OUT_PRE", "LOAN", "TUITION", "BOOKS", "BOARDING"]


def test_a_misspelt_locations_is_refused_naming_the_item_and_the_key_meant():
    err = _refused(_with('locations = ["外地"]', 'location = ["外地"]'))
    assert "资助项目 OUT_PRE" in err.message
    assert "不认识的设置“location”（是否想写 locations？）" in err.message
    assert "locations" in err.hint


def test_a_misspelt_once_is_refused():
    err = _refused(_with("once = true", "only_once = true"))
    assert "资助项目 LOAN" in err.message and "不认识的设置“only_once”（是否想写 once？）" in err.message


def test_the_shipped_file_with_the_reviewers_typos_is_refused():
    text = _with('stages = ["学前教育"]\nlocations = ["外地"]', 'stages = ["学前教育"]\nlocation = ["外地"]',
                 default_policy_text())
    err = _refused(text)
    assert "资助项目 OUTSIDE_PRESCHOOL" in err.message and "是否想写 locations" in err.message


def test_a_key_like_no_known_one_is_refused_without_a_guess():
    err = _refused(_with('code = "BOOKS"\n', 'code = "BOOKS"\n"备注" = "县里加的"\n'))
    assert "资助项目 BOOKS" in err.message and "不认识的设置“备注”" in err.message
    assert "是否想写" not in err.message
    assert "、".join(ITEM_KEYS) in err.hint


def test_a_misspelt_code_names_the_item_by_its_place():
    err = _refused(_with('code = "BOOKS"', 'cod = "BOOKS"'))
    assert "第5个资助项目" in err.message and "不认识的设置“cod”（是否想写 code？）" in err.message


@pytest.mark.parametrize("old, new, where, key, guess", [
    ("[[items]]\ncode = \"LOCAL_PRE\"", "[[item]]\ncode = \"LOCAL_PRE\"", "文件最外层", "item", "items"),
    ("[age_ranges]", "[age_range]", "文件最外层", "age_range", "age_ranges"),
    ('name = "测试县资助政策"', 'nmae = "测试县资助政策"', "（policy）", "nmae", "name"),
    ('OTHER_HARDSHIP = ["低保"]', 'OTHER_HARDSHP = ["低保"]', "（categories）", "OTHER_HARDSHP", "OTHER_HARDSHIP"),
    ("[[campaign.phases]]", "[[campaign.phase]]", "（campaign）", "phase", "phases"),
    ('start = "03-20"', 'stat = "03-20"', "campaign.phases 第1个工作阶段", "stat", "start"),
])
def test_unknown_keys_of_the_other_tables_are_refused(old, new, where, key, guess):
    err = _refused(_with(old, new))
    assert where in err.message and f"不认识的设置“{key}”（是否想写 {guess}？）" in err.message


class _Reads(dict):
    """A table that logs the keys the loader asks it for, under its path in the document."""

    def __init__(self, data: dict[str, Any], path: str, log: dict[str, set[str]]):
        super().__init__({k: _wrap(v, f"{path}.{k}" if path else k, log) for k, v in data.items()})
        self._path, self._log = path, log

    def _note(self, key: object) -> None:
        self._log.setdefault(self._path, set()).add(str(key))

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


def _wrap(value: Any, path: str, log: dict[str, set[str]]) -> Any:
    if isinstance(value, dict):
        return _Reads(value, path, log)
    if isinstance(value, list):
        return [_wrap(v, f"{path}[]", log) for v in value]
    return value


def test_each_whitelist_is_what_the_loader_reads() -> None:
    """Derived from the code, not guessed: the keys the loader asks each table for are its
    whitelist, except ``policy.format`` (allowed, never read; the shipped file writes it)."""
    log: dict[str, set[str]] = {}
    parse_policy(_wrap(tomllib.loads(DOC), "", log), DOC)
    assert log[""] == set(TOP_KEYS)
    assert log["policy"] == set(POLICY_KEYS) - {"format"}
    assert log["categories"] == set(CATEGORY_KEYS)
    assert log["campaign"] == set(CAMPAIGN_KEYS)
    assert log["campaign.phases[]"] == set(PHASE_KEYS)
    assert log["items[]"] == set(ITEM_KEYS)
    assert tomllib.loads(default_policy_text())["policy"]["format"] == 1


def test_the_shipped_file_uses_only_known_keys():
    data = tomllib.loads(default_policy_text())
    assert set(data) <= set(TOP_KEYS) and set(data["policy"]) <= set(POLICY_KEYS)
    assert all(set(item) <= set(ITEM_KEYS) for item in data["items"])
    assert all(set(phase) <= set(PHASE_KEYS) for phase in data["campaign"]["phases"])
    load_policy(default_policy_text(), strict=True)


def test_what_the_editors_write_is_accepted():
    """policy_edit and policy_text write only keys the loader knows."""
    draft = ItemDraft(code="EVERYTHING", name="全项目", stages=("小学", "初中"), categories=("REGISTERED",),
                      locations=("本地",), kind="per_stage", stage_amounts=(("小学", "100"), ("初中", "200")),
                      once=True, requires_loan=True, needs_application=True)
    text = with_item(DOC, draft)
    capped = ItemDraft(code="CAPPED", name="封顶", stages=("中职",), categories=("NONE",), kind="fee_capped",
                       fee="lodging", cap="lodging_standard")
    text = with_item(text, capped)
    text = copy_item(retire_item(text, "EVERYTHING"), "EVERYTHING")
    text = set_value(set_value(text, "parameters.lodging_standard.中职", "300"), "items.LOCAL_PRE.amount", "1100")
    text = set_value(text, "items.BOARDING.amounts.小学", "900")
    items = tomllib.loads(text)["items"]
    assert all(set(item) <= set(ITEM_KEYS) for item in items)
    policy = load_policy(text, strict=True)
    assert policy.item("EVERYTHING").retired and policy.item("EVERYTHING_COPY").once
    assert policy.parameters["lodging_standard"]


def test_editing_a_capped_items_kind_away_keeps_its_parameter_table_loadable():
    """A parameter no item caps any more stays in the file: it must not be refused."""
    text = with_item(DOC, ItemDraft(code="TUITION", name="免学费", stages=("普通高中",), categories=("REGISTERED",),
                                    kind="fixed", amount="800"), replace_code="TUITION")
    assert "[parameters.tuition_standard]" in text
    assert load_policy(text, strict=True).item("TUITION").amount_fen == 80000
