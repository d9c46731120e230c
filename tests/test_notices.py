"""The third-party notices (core.notices): every distribution the program needs is named with its
licence and the licence's text; requirements for another platform or an extra are left out; a
text shared by two components is printed once; the bundle's file is what a frozen program shows."""
from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError
from pathlib import Path

from packaging.requirements import Requirement

from core import notices
from core.notices import Component, components, notices_text, shipped_notices, uncovered

ROOT = Path(__file__).resolve().parent.parent


def _declared() -> set[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return {notices._key(Requirement(d).name) for d in deps}


def test_every_declared_dependency_is_named_with_its_licence_text():
    parts = components()
    names = {notices._key(c.name) for c in parts}
    assert _declared() <= names
    assert "python" in names and any("WenQuanYi" in c.name for c in parts)
    for c in parts:                        # MIT/BSD/Apache ask for the text itself, not only the name
        assert c.texts, f"{c.name}: no licence text"
        assert c.licence and c.version
    by_name = {notices._key(c.name): c for c in parts}
    olefile = "".join(t for _, t in by_name["olefile"].texts)
    assert "Redistribution and use in source and binary forms" in olefile
    sqlalchemy = "".join(t for _, t in by_name["sqlalchemy"].texts)
    assert "Permission is hereby granted" in sqlalchemy
    qt = by_name["pyside6-essentials"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in "".join(t for _, t in qt.texts) and "download.qt.io" in qt.note
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in "".join(t for _, t in by_name["python"].texts)


def test_dev_tools_and_other_platforms_requirements_are_left_out(monkeypatch):
    class Dist:
        def __init__(self, name: str, requires: list[str]) -> None:
            self.requires, self.name = requires, name

    fake = {"zizhu": Dist("zizhu", ["alpha>=1", 'pytest>=8; extra == "dev"', 'winonly; sys_platform == "nonesuch"']),
            "alpha": Dist("alpha", ["beta", "missing-one"]), "beta": Dist("beta", ["alpha"])}

    def distribution(name: str):
        if name not in fake:
            raise PackageNotFoundError(name)
        return fake[name]
    monkeypatch.setattr(notices, "distribution", distribution)
    assert sorted(notices.requirements("zizhu")) == ["alpha", "beta"]


def test_a_text_two_components_share_is_printed_once():
    mit = "Permission is hereby granted, free of charge, to any person\n"
    text = notices_text([Component("a", "1", "MIT", (("LICENSE", mit),)),
                         Component("b", "2", "MIT", (("COPYING", mit), ("NOTICE", "b's own notice"))),
                         Component("c", "3", "BSD", ())])
    assert text.count("Permission is hereby granted") == 1
    assert "--- COPYING ---（与上文 a LICENSE 的全文相同）" in text and "b's own notice" in text
    assert text.index("  a 1：MIT") < text.index("  c 3：BSD") < text.index("b's own notice")
    assert "该组件未随附许可文本" in text


def test_the_bundles_file_is_what_a_frozen_program_shows(tmp_path, monkeypatch):
    monkeypatch.setattr(notices, "is_frozen", lambda: True)
    monkeypatch.setattr(notices, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / notices.NOTICES_NAME).write_text("bundled notices", encoding="utf-8")
    assert shipped_notices() == "bundled notices"


def test_lgpl_components_say_where_their_source_is_for_their_version():
    by_name = {notices._key(c.name): c for c in components()}
    for key in ("pyside6-essentials", "shiboken6", "python-stdnum"):
        c = by_name[key]
        assert f"/{c.version}/" in c.note or f"v{c.version}" in c.note, c.note
        assert "源代码" in c.note and "可以替换" in c.note


def test_a_module_of_a_distribution_without_a_notice_is_named():
    parts = components()
    assert uncovered(["sqlalchemy", "reportlab", "os", "json", "core", "PySide6"], parts) == []
    assert uncovered(["pytest", "_pytest", "sqlalchemy"], parts) == ["_pytest", "pytest"]
    with_builder = components(also=("pytest",))
    assert "pytest" in {notices._key(c.name) for c in with_builder}
    assert uncovered(["pytest", "_pytest"], with_builder) == []


def test_the_bundle_spec_checks_and_ships_the_notices():
    """(The slow tier builds the bundle with it; its self-test reads the notices back.)"""
    spec = (ROOT / "pyinstaller.spec").read_text(encoding="utf-8")
    assert "uncovered(" in spec and "raise SystemExit" in spec and 'datas += [(str(_notices_file), ".")]' in spec


def test_a_library_compiled_into_a_component_is_noticed_with_its_own_text():
    """python-zlib-ng's extension holds zlib-ng, whose licence is in the package, not its metadata."""
    part = next(p for p in components() if notices._key(p.name) == "zlib-ng")
    names = [name for name, _text in part.texts]
    assert any(n.startswith("licenses/") for n in names) and "zlib_ng/zlib-ng/LICENSE.md" in names
    assert "Jean-loup Gailly and Mark Adler" in dict(part.texts)["zlib_ng/zlib-ng/LICENSE.md"]
    assert "Jean-loup Gailly and Mark Adler" in notices_text([part])
