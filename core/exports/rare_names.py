"""Names the bundled font cannot print, told to the clerk student by student before a PDF is drawn.

WenQuanYi Micro Hei covers the common CJK block but not Extension A (U+3400–U+4DBF) nor the
supplementary planes (Extension B and later), and a few children's names use such characters
(㛃, 䶮, 𠇔). The font's own character map decides (``pdf_common.missing_glyphs``: reportlab's
face of the embedded font, never a hand-written list). Each student whose name (or, on a letter,
whose parent's name) holds one is named with the masked ID number — or the grade where the
document has no ID, the notice — the characters, what the PDF shows (□) and what to do. The
writers pass the names warned here to their ``Glyphs``, which still prints □ for them but does
not warn a second time; every other printed text keeps ``Glyphs``' own warning.
"""
from __future__ import annotations

from collections.abc import Iterable

from core.exports.data import StudentInfo
from core.exports.output import grade_label
from core.exports.pdf_common import PLACEHOLDER, missing_glyphs
from core.idnumber import mask_id


def where(id_number: str, fallback: str = "") -> str:
    """How a warning points at a student: the masked ID number, else ``fallback`` (the grade)."""
    if id_number:
        return f"身份证号 {mask_id(id_number)}"
    return fallback or "身份证号未登记"


class RareNames:
    """The warnings of one document (``lines``) and the texts they cover (``texts``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.texts: set[str] = set()
        self._seen: set[str] = set()

    def check(self, name: str, at: str, text: str | None = None, what: str = "姓名", who: str = "学生") -> None:
        """Warn when ``text`` (the student's ``name`` unless given: a parent's name) has a character
        the font lacks; ``at`` says which student (``where``); ``who``: a 学生, or a 建档立卡人员 the
        report lists."""
        text = name if text is None else text
        missing = missing_glyphs(text)
        if not missing:
            return
        # the code point too: where no font on the PC has the character, the message shows a box as well
        chars = "、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in sorted(missing, key=text.index))
        whose = f"{who} {name}（{at}）的{what}" + (f"“{text}”" if text != name else "")
        line = (f"{whose}中的{chars}字打印字体中没有，PDF 中印成“{PLACEHOLDER}”："
                f"请打印后手写补全，并核对{what}是否录入正确")
        if line not in self._seen:
            self._seen.add(line)
            self.lines.append(line)
        self.texts.add(text)

    def students(self, students: Iterable[StudentInfo], parents: bool = False) -> RareNames:
        """Check each student's name (and the parent's, ``parents``: the letters print it)."""
        for s in students:
            if missing_glyphs(s.name) or (parents and s.head_name and missing_glyphs(s.head_name)):
                at = where(s.id_number, grade_label(s))
                self.check(s.name, at)
                if parents and s.head_name:
                    self.check(s.name, at, s.head_name, "家长姓名")
        return self
