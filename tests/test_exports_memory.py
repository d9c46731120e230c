"""Letters are drawn page by page: beyond the finished pages reportlab keeps until it writes
the file, the memory a letters PDF needs does not grow with the number of letters. Laid out
all at once (at first), each letter held about 12 times its bytes in the file; laid out page by
page with platypus, about 4 times (what reportlab's own canvas keeps of a page); drawn on the
canvas with the shared parts as forms and each finished page made small (pdf_common.finish_page),
about 2 times."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from core.exports.letters import write_letters
from core.exports.pdf_common import register_fonts
from core.exports.sample import sample_export_data


@pytest.fixture(scope="module")
def data():
    return sample_export_data(2000, seed=3)


def peak_and_size(path, data, keys) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        write_letters(path, data, keys=keys)
        return tracemalloc.get_traced_memory()[1], path.stat().st_size
    finally:
        tracemalloc.stop()


def test_letters_memory_grows_only_by_the_finished_pages(data, tmp_path):
    register_fonts()                      # the font is loaded once per process, not per document
    keys = [s.key for s, r in data.pairs() if r.granted]
    assert len(keys) >= 130
    write_letters(tmp_path / "warm.pdf", data, keys=keys[:5])
    small, small_size = peak_and_size(tmp_path / "small.pdf", data, keys[:30])
    large, large_size = peak_and_size(tmp_path / "large.pdf", data, keys[:130])
    per_letter, in_file = (large - small) / 100, (large_size - small_size) / 100
    assert per_letter < 2.5 * in_file, (per_letter, in_file)
