"""The report's 按资金来源 percentages add up to its 100.0% (money review, session 17)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.exports.report import _percents


def test_the_example_the_review_found():
    assert _percents([1_001_000, 999_000], 2_000_000) == ["50.1%", "49.9%"]      # was 50.1% + 50.0%


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=4).filter(lambda p: sum(p) > 0))
def test_any_split_adds_up_and_each_share_is_within_a_tenth(parts):
    whole = sum(parts)
    shown = [Decimal(p.rstrip("%")) for p in _percents(parts, whole)]
    assert sum(shown) == 100
    for part, pct in zip(parts, shown, strict=True):
        assert abs(pct - Decimal(part) * 100 / whole) < Decimal("0.1")
