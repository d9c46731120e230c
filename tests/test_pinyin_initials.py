"""The search initials read from pypinyin's single-character table (core.pinyin_chars.char_initials)
and the one-initial names' shortcut (core.pinyin.initials_key) answer exactly as pypinyin itself, and a
name's initials do not load pypinyin."""
import subprocess
import sys
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, pinyin
from pypinyin.pinyin_dict import pinyin_dict

import core.pinyin as P
from core.pinyin_chars import char_initials

# polyphonic surnames and characters, compound surnames, and what else a name cell holds
TRICKY = "曾单覃万俟尉迟澹台长孙重区解朴查仇乐缪盖欸誒王张李·•．. \u3000\tAbZ09"


def pypinyin_initials(ch: str) -> tuple[str, ...]:
    """core.pinyin's per-character initials as they were read before the table (pypinyin itself)."""
    readings = pinyin(ch, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    if not readings:
        return (ch.lower(),) if ch.isascii() and ch.isalnum() else ()
    return tuple(dict.fromkeys(r.lower() for r in readings[0] if r))


def pypinyin_key(name: str) -> str:
    parts = [p for p in (pypinyin_initials(ch) for ch in name if not ch.isspace()) if p]
    if not parts:
        return ""
    return "|".join(["".join(c) for c in product(*parts)][:P.MAX_VARIANTS])


def test_every_character_of_the_table_has_pypinyins_initials():
    differ = [(chr(code), char_initials(chr(code)), pypinyin_initials(chr(code))) for code in pinyin_dict
              if char_initials(chr(code)) != pypinyin_initials(chr(code))]
    assert differ == []
    assert char_initials("欸") == ("a", "ê", "x", "e")       # pypinyin keeps ê̄'s letter as itself


def test_every_other_character_of_the_basic_plane_reads_as_pypinyin_reads_it():
    differ = [chr(c) for c in range(0x10000)
              if c not in pinyin_dict and char_initials(chr(c)) != pypinyin_initials(chr(c))]
    assert differ == []
    assert char_initials("\U0002fffd") is None or ord("\U0002fffd") in pinyin_dict   # beyond: pypinyin's


def test_the_shortcuts_ascii_start_is_pypinyins():
    for c in range(128):
        ch = chr(c)
        expected = "" if ch.isspace() else "".join(pypinyin_initials(ch))
        assert P._ONE[c] == expected, ch


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(TRICKY + "".join(chr(c) for c in list(pinyin_dict)[::97])),
                        max_size=6), min_size=1, max_size=8))
def test_initials_key_is_pypinyins(names):
    for _ in range(2):                 # the second time through the shortcut of the characters seen
        assert [P.initials_key(n) for n in names] == [pypinyin_key(n) for n in names]


def test_polyphonic_and_compound_surnames():
    assert P.initials_key("曾国藩") == pypinyin_key("曾国藩") and "cgf" in P.initials_key("曾国藩").split("|")
    assert set(P.initials_key("单田芳").split("|")) >= {"dtf", "stf", "ctf"}
    for name in ("覃小明", "万俟卨", "尉迟恭", "澹台明", "张  三", "买买提·艾力", "ZHANG三", ""):
        assert P.initials_key(name) == pypinyin_key(name)
        assert P.initials_key(name) == pypinyin_key(name)


def test_initials_do_not_load_pypinyin():
    code = ("import sys; from core.pinyin import initials_key, warm_name_initials; warm_name_initials(); "
            "print(initials_key('曾国藩'), initials_key('张 三'), initials_key('买买提·艾力'), "
            "'pypinyin' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [pypinyin_key("曾国藩"), "zs", pypinyin_key("买买提·艾力"), "False"]
