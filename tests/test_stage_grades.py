"""A grade written in the 学段 column (初二, 八年级, 中职一年级): read as its stage when it names
exactly one; one that names two (六年级, 高一, 大一) stays unread, and the import's problem says
which stages to choose from."""
from __future__ import annotations

import pytest
from conftest import xlsx
from test_importers import ID1, ID2, ID3

from core.domain import (
    STAGE_ALIASES,
    STAGE_GRADE_HINTS,
    STAGE_GRADE_WORDS,
    Stage,
    parse_stage,
    stage_grade_hint,
)
from core.importers import parse_students, read_table
from core.importers.templates import write_template
from core.policy import default_policy


@pytest.fixture(scope="module")
def policy():
    return default_policy()


ONE_STAGE = [
    *((w, Stage.JUNIOR) for w in ("初一", "初二", "初三", "初四", "初2", "七年级", "八年级", "九年级", "8年级",
                                  "初中一年级", "初中二年级", "初中三年级", "初中四年级", "初中3年级")),
    *((w, Stage.HIGH_SCHOOL) for w in ("普通高中一年级", "普通高中三年级", "普高二年级", "普高1年级")),
    *((w, Stage.VOCATIONAL) for w in ("中职一年级", "中职二年级", "中职三年级", "中专二年级", "职高一年级")),
    *((w, Stage.PRIMARY) for w in ("小学一年级", "小学五年级", "小学六年级", "小学3年级")),
    ("学前班", Stage.PRESCHOOL),
]
# Each names more than one stage: 六年级 (六三制 小学, 五四制 初中); 一年级 … 五年级 (小学, and the
# demo's 中职 school); 高一 (普通高中 and 职高); 大一 (高职专科 and 本科); 研一 (硕士, 博士).
TWO_STAGES = ["六年级", "6年级", "一年级", "三年级", "5年级", "高一", "高二", "高三", "高2", "高中一年级",
              "大一", "大四", "研一"]


@pytest.mark.parametrize(("word", "stage"), ONE_STAGE)
def test_a_grade_naming_one_stage_is_read_as_it(word, stage):
    assert parse_stage(word) is stage
    assert parse_stage(f" {word[0]} {word[1:]} ") is stage          # spaces, as value_key reads them
    assert stage_grade_hint(word) == ""


@pytest.mark.parametrize("word", TWO_STAGES)
def test_a_grade_naming_two_stages_is_not_read_and_says_which(word):
    assert parse_stage(word) is None
    assert "请填写学段（" in stage_grade_hint(word)


def test_the_hints_name_the_stages_to_choose_from():
    assert stage_grade_hint("六年级") == "在六三学制是小学、在五四学制是初中：请填写学段（小学或初中）"
    assert stage_grade_hint("高一").endswith("（普通高中或中职）")
    assert stage_grade_hint("大二").endswith("（高职专科或本科）")
    assert stage_grade_hint("二年级").endswith("（小学、中职或高职专科）")
    assert stage_grade_hint("四年级") == "小学和五年制高职都这样写：请填写学段（小学或高职专科）"   # 中职: three years
    assert stage_grade_hint("初中") == stage_grade_hint("火星") == ""


def test_the_grade_words_are_kept_apart_from_the_stages_names():
    """Only the lookup reads the grade words: the aliases (the stages' own names) are unchanged, and
    no word is both read and hinted."""
    assert not STAGE_GRADE_WORDS.keys() & STAGE_ALIASES.keys()
    assert not {w for w, _ in ONE_STAGE if w != "学前班"} & STAGE_ALIASES.keys()
    assert not STAGE_GRADE_WORDS.keys() & STAGE_GRADE_HINTS.keys()
    assert all(parse_stage(w) is None for w in STAGE_GRADE_HINTS)


def test_the_template_offers_only_the_stages(tmp_path):
    """The import template's 学段 drop-down lists the stages' labels, not the grade words."""
    import openpyxl
    path = write_template(tmp_path / "t.xlsx", "students")
    wb = openpyxl.load_workbook(path)
    text = " ".join(str(dv.formula1) for ws in wb.worksheets for dv in ws.data_validations.dataValidation)
    text += " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "普通高中" in text and "初二" not in text and "八年级" not in text


def test_an_imported_list_with_grades_in_the_stage_column(tmp_path, policy):
    path = xlsx(tmp_path / "名单.xlsx", ["姓名", "身份证号", "学段"],
                ["张三", ID1, "初二"], ["李四", ID2, "普高一年级"], ["王五", ID3, "六年级"])
    result = parse_students(read_table(path), policy)
    rows = {r.values["name"]: r for r in result.rows}
    assert rows["张三"].values["stage"] == "初中" and rows["张三"].problems == []
    assert rows["李四"].values["stage"] == "普通高中" and rows["李四"].problems == []
    wang = rows["王五"]
    assert wang.values["stage"] == "六年级"                      # kept as written, for the clerk to fix
    assert wang.problems == ["学段（C列）的值“六年级”是年级，在六三学制是小学、在五四学制是初中："
                             "请填写学段（小学或初中）"]


def test_an_imported_high_school_grade_asks_for_the_stage(tmp_path, policy):
    """高一 is how both a 普通高中 and a 职高 (中职) write their first year: never guessed."""
    path = xlsx(tmp_path / "名单.xlsx", ["姓名", "身份证号", "学段"], ["张三", ID1, "高一"], ["李四", ID2, "初中"])
    rows = {r.values["name"]: r for r in parse_students(read_table(path), policy).rows}
    assert rows["张三"].values["stage"] == "高一"
    (problem,) = rows["张三"].problems
    assert "“高一”是年级" in problem and "（普通高中或中职）" in problem
    assert rows["李四"].problems == []
