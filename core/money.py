"""Exact money: amounts are integer fen everywhere; yuan strings only at the edges."""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.errors import ValidationError

MAX_YUAN = Decimal(100_000_000)
# A yuan text: a currency sign before the number and 元 after it, spaces around them, none inside.
_EDGES = re.compile(r"\s*[¥￥]?\s*(.*?)\s*元?\s*", re.DOTALL)
# What a mistyped amount is made of (digits, separators, a sign): worth a message on its commas or spaces.
_NUMBER_CHARS = re.compile(r"[+-]?[\d\s,，.]+")
# Commas only as thousands separators: 1,400 / 1,400.00 / 12,345,678.5 (never 349,50 or 1.400,00).
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:[,，]\d{3})+(?:\.\d*)?")
_EXAMPLES = "例如 1400、1,400.00 或 349.50"
# What is left of a text amount once its signs and thousands commas are off: digits and one point.
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_yuan(value: object) -> int:
    """Parse a yuan amount ("1,200.50", "1200元", 1200, Decimal) into fen.

    Floats (from spreadsheet cells) are converted through their shortest
    repr, so 1200.5 becomes exactly 120050 fen; the binary noise a formula
    leaves (300.00000000000006, 359.99999999999994) is absorbed. Raises
    ValidationError on text that is not an amount or has more than two decimals.

    Text may have ¥/￥ before the number, 元 after it and spaces around them; a comma
    (, or ，) is read only as a thousands separator in its places ("1,400.00"). A decimal
    comma ("349,50", "1.400,00"), a comma elsewhere ("1,4") or a space between digits
    ("12 34") is refused, never read as another amount.
    """
    if isinstance(value, bool):
        raise ValidationError(f"金额“{value}”不是数字", "请填写以元为单位的金额，例如 1200 或 1200.50")
    shown = _shown(value)
    if isinstance(value, str) and not value.strip():
        raise ValidationError("金额未填写", "请填写以元为单位的金额，例如 1200 或 1200.50；确实没有的请填 0")
    if isinstance(value, int):
        dec = Decimal(value)
    elif isinstance(value, float):
        dec = Decimal(repr(_without_float_noise(value)))
    elif isinstance(value, Decimal):
        dec = value
    else:
        text = _number_text(str(value).translate(_FULLWIDTH_DIGITS), value)
        if not _PLAIN.fullmatch(text):       # (Decimal would take "1e3", "1_000", "NaN")
            raise ValidationError(f"金额“{shown}”不是数字", "请填写以元为单位的金额，例如 1200 或 1200.50")
        if len(text.partition(".")[2]) > 2:  # "1.400" is 1400 written with a thousands point, not 1.40
            raise ValidationError(f"金额“{shown}”超过两位小数",
                                  "金额最多精确到分（两位小数）；用点分隔千位的（如 1.400）请写成 1400")
        try:
            dec = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                f"金额“{shown}”不是数字", "请填写以元为单位的金额，例如 1200 或 1200.50"
            ) from None
    if not dec.is_finite():
        raise ValidationError(f"金额“{shown}”不是数字", "请填写以元为单位的金额")
    if dec < 0:
        raise ValidationError(f"金额“{shown}”不能为负数", "请填写 0 或正数")
    if dec > MAX_YUAN:
        raise ValidationError(f"金额“{shown}”过大", "请核对金额，单位是元")
    fen = dec * 100
    if fen != fen.to_integral_value():
        raise ValidationError(f"金额“{shown}”超过两位小数", "金额最多精确到分（两位小数）")
    return int(fen)


def _number_text(text: str, value: object) -> str:
    """The number of a yuan text, its currency signs and thousands commas removed; a misplaced
    comma or a space between digits raises ValidationError."""
    if text.isascii() and text.replace(".", "", 1).isdigit():
        return text                   # the usual cell, "1400.00": nothing to take off
    match = _EDGES.fullmatch(text)
    number = match.group(1) if match else text
    if not _NUMBER_CHARS.fullmatch(number):
        return number                 # not an amount: Decimal refuses it as such
    if any(c.isspace() for c in number):
        raise ValidationError(f"金额“{value}”的数字中间有空格，无法确定金额：请删去空格，小数点请用“.”",
                              _EXAMPLES)
    if "," in number or "，" in number:
        if not _GROUPED.fullmatch(number):
            raise ValidationError(
                f"金额“{value}”的逗号位置不对：小数点请用“.”，千位分隔的逗号每三位一个", _EXAMPLES)
        number = number.replace(",", "").replace("，", "")
    return number


def _shown(value: object) -> str:
    """The value as a message quotes it: a whole number from a number cell as Excel shows it (-5, not -5.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _without_float_noise(value: float) -> float:
    """A float within a millionth of a yuan of a two-decimal amount is that amount
    (a real third decimal, 1200.005, is kept and rejected)."""
    if math.isfinite(value) and not value.is_integer():
        rounded = round(value, 2)
        if abs(value - rounded) < 1e-6:
            return rounded
    return value


def format_fen(fen: int) -> str:
    """120050 -> "1200.50" (always two decimals, no separators)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def fen_to_decimal(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)          # exact: the fen's digits, two of them decimals


def split_shares(total_fen: int, shares: Sequence[tuple[str, Decimal]]) -> dict[str, int]:
    """Split ``total_fen`` by percentages (which sum to 100).

    Every source but the last gets its share rounded half-up to the fen; the
    last gets the remainder, so the parts always add up exactly.
    """
    out: dict[str, int] = {}
    given = 0
    for i, (source, percent) in enumerate(shares):
        if i == len(shares) - 1:
            part = total_fen - given
        else:
            part = int((Decimal(total_fen) * Decimal(percent) / 100).quantize(Decimal(1), ROUND_HALF_UP))
        out[source] = out.get(source, 0) + part
        given += part
    return out


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
