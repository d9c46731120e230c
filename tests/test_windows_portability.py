"""What the Linux tests cannot see fail on Windows, held by reading the source.

A date format holding Chinese characters (``f"{d:%m月%d日}"``, ``d.strftime("%Y年")``) goes through the
C library's ``strftime`` on Windows in the C locale's character set; the frozen program starts Python
isolated (PyInstaller), without the user's locale, so 月 cannot be encoded there: UnicodeEncodeError
where Linux and a plain ``python`` on Chinese Windows work. Such dates are written out
(``core.campaign.month_day``, ``core.exports.output.date_label``)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "main.py", *(p for d in ("cli", "core", "db", "gui", "tools", "benchmarks")
                               for p in sorted((ROOT / d).rglob("*.py")))]


def _text(node: ast.AST) -> str:
    """The literal text of a string constant or of an f-string's literal parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) for v in node.values)
    return ""


def non_ascii_date_formats(source: str, name: str) -> list[str]:
    """``name:line`` of every strftime format and f-string date format spec with a non-ASCII character."""
    found = []
    for node in ast.walk(ast.parse(source)):
        spec = ""
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = _text(node.format_spec)
            spec = spec if "%" in spec else ""
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "strftime" and node.args:
            spec = _text(node.args[0])
        if spec and not spec.isascii():
            found.append(f"{name}:{getattr(node, 'lineno', 0)}")
    return found


def test_the_scan_finds_what_it_looks_for():
    assert non_ascii_date_formats('x = f"{d:%m月%d日}截止"\n', "a") == ["a:1"]
    assert non_ascii_date_formats('y = d.strftime("%Y年%m月")\nz = time.strftime("%Y-%m-%d")\n', "b") == ["b:1"]
    assert non_ascii_date_formats('w = f"{d:%Y-%m-%d}年 {n:>5}月"\n', "c") == []


def test_no_date_format_holds_a_non_ascii_character():
    found = [hit for path in SOURCES
             for hit in non_ascii_date_formats(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert len(SOURCES) > 100 and not found, f"write such dates out (core.campaign.month_day): {found}"
