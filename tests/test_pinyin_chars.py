"""The homophone test read from pypinyin's single-character table (core.pinyin_chars) answers
exactly as pypinyin itself, and leaves pypinyin (its phrase dictionary) unloaded where it can."""
import random
import subprocess
import sys
from datetime import date

import pytest
from pypinyin import Style, lazy_pinyin
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from core.checks import CheckContext, RosterFacts, StudentFacts, run_checks
from core.demo_people import HOMOPHONES
from core.pinyin import same_reading
from core.pinyin_chars import PHRASE_ONLY_READINGS, _phrase_keys, cannot_read_same, char_readings, is_phrase_key, plain
from core.policy import default_policy

# names where phrase context decides the reading (重庆 chong, 长孙 zhang, 单于 chan, 长城 chang)
PHRASE_NAMES = ("重庆", "长孙无忌", "单于", "长城", "重阳", "单纯", "曾经")
# the polyphonic surnames read on their own
PLAIN_NAMES = ("曾子", "单雄信", "覃小明", "曾国藩", "长宇", "重明")
POOL = "曾单覃重长张章王汪李黎丽莉伟玮军君明鸣涛韬斌彬勇涌芳方庆城孙于阳纯经小国雄信子光宇思谈崇缠"


def pypinyin_says(a: str, b: str) -> bool:
    return lazy_pinyin(a, style=Style.NORMAL) == lazy_pinyin(b, style=Style.NORMAL)


def test_every_single_character_reads_as_pypinyin_reads_it():
    read = char_readings.__wrapped__
    differ = []
    for code in pinyin_dict:
        ch = chr(code)
        got = read(ch)
        if is_phrase_key(ch):
            assert got is None
        elif got != tuple(lazy_pinyin(ch, style=Style.NORMAL)):
            differ.append((ch, got))
    assert differ == []


def test_phrase_keys_are_exactly_pypinyins():
    assert _phrase_keys() == frozenset(phrases_dict)


def test_phrase_only_readings_are_exactly_pypinyins():
    extra: dict[str, set[str]] = {}
    for phrase, readings in phrases_dict.items():
        assert len(phrase) == len(readings)
        for ch, options in zip(phrase, readings, strict=True):
            table = {plain(r) for r in pinyin_dict[ord(ch)].split(",")}
            extra.setdefault(ch, set()).update(plain(r) for r in options if plain(r) not in table)
    assert {ch: set(r) for ch, r in PHRASE_ONLY_READINGS.items()} == {ch: r for ch, r in extra.items() if r}


def test_cannot_read_same_only_when_pypinyin_reads_them_differently():
    assert cannot_read_same("高丽娟", "董宇毅") and char_readings("高丽娟") is None
    assert not cannot_read_same("乐亭", "涝亭")     # 乐亭 reads lào ting only as a phrase
    assert not pypinyin_says("高丽娟", "董宇毅") and pypinyin_says("乐亭", "涝亭")
    rng = random.Random(11)
    seen = 0
    for _ in range(3000):
        n = rng.choice((2, 3))
        a = "".join(rng.choice(POOL) for _ in range(n))
        b = "".join(rng.choice(POOL) for _ in range(n))
        if cannot_read_same(a, b):
            seen += 1
            assert not pypinyin_says(a, b), (a, b)
    assert seen > 100


@pytest.mark.parametrize("name", PHRASE_NAMES)
def test_names_with_phrase_context_are_left_to_pypinyin(name):
    assert char_readings(name) is None


def test_same_reading_answers_as_pypinyin():
    pairs = [("重庆", "崇庆"), ("长孙无忌", "张孙无忌"), ("单于", "缠于"), ("长城", "常城"),
             ("曾子", "增子"), ("单雄信", "善雄信"), ("覃小明", "秦小明"), ("覃思", "谈思"), ("曾国藩", "增国藩")]
    for table in HOMOPHONES.values():
        pairs += [(f"张{a}", f"张{b}") for a, b in table] + [(f"王{a}", f"汪{b}") for a, b in table]
    rng = random.Random(13)
    for _ in range(3000):
        n = rng.choice((2, 3, 4))
        a = "".join(rng.choice(POOL) for _ in range(n))
        b = "".join(rng.choice(POOL) for _ in range(n))
        pairs.append((a, b))
    assert [same_reading(a, b) for a, b in pairs] == [pypinyin_says(a, b) for a, b in pairs]
    # both answers occur, and both ways of answering were used
    assert {pypinyin_says(a, b) for a, b in pairs} == {True, False}
    assert any(char_readings(a) is None for a, _ in pairs) and any(char_readings(a) for a, _ in pairs)


def test_name_mismatch_messages_stay_pypinyins():
    pairs = [("重庆", "崇庆"), ("长孙无忌", "张孙无忌"), ("长城", "常城"), ("单雄信", "善雄信"),
             ("曾子", "增子"), ("覃思", "谈思"), ("张伟", "张玮"), ("张伟", "王伟")]
    students = [StudentFacts(key=i, name=b, id_number=f"ID{i}", id_raw=f"ID{i}", stage="普通高中",
                             category="REGISTERED") for i, (_, b) in enumerate(pairs)]
    roster = [RosterFacts(key=i, name=a, id_number=f"ID{i}") for i, (a, _) in enumerate(pairs)]
    ctx = CheckContext(students=students, roster=roster, policy=default_policy(), school_name="第一中学",
                       school_year=2023, today=date(2026, 11, 28))
    got = {f.student_key: f.message for f in run_checks(ctx) if f.code == "NAME_MISMATCH"}
    expected = {}
    for i, (a, b) in enumerate(pairs):
        msg = f"学生名单姓名“{b}”与建档立卡名单姓名“{a}”不一致"
        expected[i] = msg + ("（读音相同，可能是错别字）" if pypinyin_says(a, b) else "")
    assert got == expected
    assert "读音相同" in got[0] and "读音相同" not in got[3]


def test_plain_names_do_not_load_pypinyin():
    assert all(char_readings(n) and char_readings(n[::-1]) for n in PLAIN_NAMES)
    code = ("import sys; from core.pinyin import same_reading; "
            f"r = [same_reading(a, b) for a, b in {[(n, n[::-1]) for n in PLAIN_NAMES]!r}]; "
            "r.append(same_reading('高丽娟', '董宇毅')); r.append(same_reading('张伟', '张玮')); "
            "print(r[-1], 'pypinyin' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]
