"""The user manual (docs/用户手册.md): a section for every page of the main window, every picture
it shows present (taken by `make screenshots`), and 帮助 → 用户手册 showing it inside the program
with its pictures loaded."""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import open_main_window
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QTabWidget

from core import resources

ROOT = Path(__file__).resolve().parent.parent
MANUAL = ROOT / "docs" / "用户手册.md"
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
sys.path.insert(0, str(ROOT / "tools"))


def screenshots():
    """tools/screenshots.py (`make screenshots`), imported as a module."""
    return importlib.import_module("screenshots")


def manual_text() -> str:
    return MANUAL.read_text(encoding="utf-8")


def headings() -> list[str]:
    return [line.lstrip("#").strip() for line in manual_text().splitlines() if line.startswith("#")]


def pictures() -> list[str]:
    return IMAGE.findall(manual_text())


def page_titles(window) -> list[str]:
    """Every navigation entry, the hidden ones (汇总 on a school's database) too."""
    return [window.nav.item(i).text() for i in range(window.nav.count())]


def tab_titles(window) -> list[str]:
    """The titles of every tab of every page, without a count ("交叉核查（2）" -> "交叉核查")."""
    titles = []
    for tabs in window.stack.findChildren(QTabWidget):
        titles += [re.sub(r"（\d+）$", "", tabs.tabText(i)).strip() for i in range(tabs.count())]
    return titles


def test_the_manual_has_a_section_for_every_page_and_names_every_tab(qtbot, shown, db):
    window = open_main_window(qtbot, db)
    titles = page_titles(window)
    assert {"工作台", "核查问题", "导出上报", "设置"} <= set(titles)
    heads = headings()
    without = [t for t in titles if not any(t in h for h in heads)]
    assert without == [], f"pages without a section in docs/用户手册.md: {without}"
    text = manual_text()
    unnamed = [t for t in tab_titles(window) if t not in text]
    assert unnamed == [], f"tabs the manual never names: {unnamed}"


def test_every_page_has_a_screenshot_name(qtbot, shown, db):
    """tools/screenshots.py names each page's picture; a new page needs its name (and section)."""
    SHOT_NAMES = screenshots().SHOT_NAMES
    window = open_main_window(qtbot, db)
    assert [t for t in page_titles(window) if t not in SHOT_NAMES] == []
    shown_pictures = {Path(p).stem for p in pictures()}
    assert [SHOT_NAMES[t] for t in page_titles(window) if SHOT_NAMES[t] not in shown_pictures] == []


def test_every_picture_exists_and_every_screenshot_is_shown():
    names = pictures()
    assert len(names) >= 20
    missing = [n for n in names if not (MANUAL.parent / n).is_file()]
    assert missing == []
    assert all(n.startswith("manual/") and n.endswith(".png") for n in names)
    unused = sorted(p.name for p in (MANUAL.parent / "manual").glob("*.png") if f"manual/{p.name}" not in names)
    assert unused == [], f"screenshots the manual does not show: {unused}"


def test_the_expected_screenshots_are_all_shown():
    """What `make screenshots` must take is what the manual shows (and the other way round,
    with the tabs it finds by itself)."""
    EXPECTED = screenshots().EXPECTED
    shown_pictures = {Path(p).stem for p in pictures()}
    assert sorted(set(EXPECTED) - shown_pictures) == []


def test_help_manual_opens_the_manual_with_its_pictures(qtbot, shown, db):
    window = open_main_window(qtbot, db)
    action = window.action_collection.manual
    help_menu = next(m.menu() for m in window.menuBar().actions() if m.text().startswith("帮助"))
    assert action in help_menu.actions()
    assert "F1" in [s.toString() for s in action.shortcuts()]
    action.trigger()
    viewer = window.manual_viewer
    qtbot.addWidget(viewer)
    assert viewer.isVisible() and viewer.windowTitle() == "资助助手 — 用户手册"
    shown_text = viewer.browser.toPlainText()
    for title in headings():
        assert title in shown_text, title            # rendered, not shown as Markdown source
    assert "## " not in shown_text and "![" not in shown_text

    from gui.manual import image_names
    doc = viewer.browser.document()
    names = image_names(doc)
    assert names == pictures()                      # every picture of the Markdown is an image
    for name in names:
        assert not viewer.image(name).isNull(), name
        assert doc.resource(QTextDocument.ResourceType.ImageResource, QUrl(name)) is not None, name
    # the 1366-pixel screenshots are shrunk to the reading width
    assert all(fmt <= viewer.width() for fmt in image_widths(doc))

    from screenfit import fit_problems

    from gui.screen import screen_geometry
    assert screen_geometry(viewer).contains(viewer.frameGeometry()) and fit_problems(viewer) == []

    action.trigger()                                # asked again: the same window comes forward
    assert window.manual_viewer is viewer


def image_widths(doc: QTextDocument) -> list[float]:
    from gui.manual import image_fragments
    return [fmt.width() for _fragment, fmt in image_fragments(doc)]


def test_a_missing_manual_is_a_clear_message(qtbot, shown, db, monkeypatch, tmp_path):
    from gui import manual
    monkeypatch.setattr(resources, "MANUAL_FILE", tmp_path / "docs" / "用户手册.md")
    window = open_main_window(qtbot, db)
    window.action_collection.manual.trigger()
    assert getattr(window, "manual_viewer", None) is None
    assert len(shown) == 1 and "找不到用户手册" in shown[0][0] and "重新复制整个程序文件夹" in shown[0][1]
    shown.clear()
    with pytest.raises(manual.ManualMissingError):
        manual.check_manual()


def test_the_manual_is_found_frozen(monkeypatch, tmp_path):
    """From the bundle the manual and its pictures come from the bundle's folder, where the spec
    puts them (docs/ at the same relative path)."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("docs", "用户手册.md") == tmp_path / "docs" / "用户手册.md"
    spec = (ROOT / "pyinstaller.spec").read_text(encoding="utf-8")
    assert '_files("docs", ["用户手册.md", "manual/*.png"])' in spec


def test_check_manual_counts_the_pictures(qapp):
    from gui.manual import check_manual
    assert check_manual() == len(pictures())


def test_screenshot_slugs_are_stable_ascii():
    slug = screenshots().slug
    assert slug("按项目（预算表）") == "anxiangmu"
    assert slug("交叉核查") == "jiaochahecha"


@pytest.mark.slow
def test_make_screenshots_takes_every_picture_the_manual_shows(tmp_path):
    """The script on the real program (offscreen, 1366×768): exit 0 (nothing missing, nothing cut)
    and the pictures it takes are the manual's."""
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "screenshots.py"), str(tmp_path)],
                         capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    taken = {p.name for p in tmp_path.glob("*.png")}
    assert taken == {Path(p).name for p in pictures()}
