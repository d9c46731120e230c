"""Texts outside the windows that still guide people: the shipped policy's comments name only
places the program has, and tools/screenshots.py has a real command line (``--help`` is help,
not an output folder)."""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

from core.resources import DEFAULT_POLICY_FILE
from gui.actions import PAGE_TITLES

ROOT = Path(__file__).resolve().parent.parent
PLACE = re.compile(r"([\u4e00-\u9fff]+) [›→] ([\u4e00-\u9fff]+)")


def _source(module: str) -> str:
    return (ROOT / "gui" / f"{module}.py").read_text(encoding="utf-8")


def test_the_default_policy_comments_name_only_places_the_program_has():
    comments = "\n".join(line for line in DEFAULT_POLICY_FILE.read_text(encoding="utf-8").splitlines()
                         if line.lstrip().startswith("#"))
    policy_tabs = set(re.findall(r'addTab\([^,]+, "([^"]+)"\)', _source("policy_view")))
    settings_boxes = set(re.findall(r'QGroupBox\("([^"（]+)', _source("settings_view")))
    assert {"资助项目", "政策参数", "版本"} <= policy_tabs and "公文信息" in settings_boxes
    places = PLACE.findall(comments)
    assert ("政策", "政策参数") in places and ("设置", "公文信息") in places
    for page, part in places:
        assert page in PAGE_TITLES, f"no page {page} (comment: {page} › {part})"
        where = {"政策": policy_tabs, "设置": settings_boxes - {"资助政策"}}.get(page, set())
        assert part in where, f"{page} has no {part}"
    assert "设置 → 资助政策" not in comments           # 设置 edits no policy value: the 政策 page does
    # the commands the comments name exist
    from cli.commands import build_parser
    for command in re.findall(r"`(?:python main\.py )?(policy \w+|settings \w+)", comments):
        group, sub = command.split()
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args([group, sub, "--help"])
        assert exc.value.code == 0, command


@pytest.fixture
def screenshots():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        yield importlib.import_module("screenshots")
    finally:
        sys.path.remove(str(ROOT / "tools"))


def test_screenshots_help_is_help_not_an_output_folder(screenshots, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        screenshots.main(["--help"])
    assert exc.value.code == 0 and "OUT_DIR" in capsys.readouterr().out
    for bad in (["--he"], ["-x"], ["a", "b"]):          # no abbreviations, no unknown options
        with pytest.raises(SystemExit) as exc:
            screenshots.main(bad)
        assert exc.value.code == 2
    assert list(tmp_path.iterdir()) == []                # no folder named "--help" (or anything)
    assert screenshots.parser().parse_args([]).out == ROOT / "docs" / "manual"
    assert screenshots.parser().parse_args(["shots"]).out == Path("shots")
