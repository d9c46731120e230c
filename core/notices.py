"""The third-party notices: every component the bundle ships, its licence and the licence's text.

MIT, BSD and Apache licences ask that a copy of the program carry their copyright notice and
terms; the LGPL (Qt, python-stdnum) its text and where the source is. ``components`` finds the
distributions the program needs (``zizhu``'s requirements, followed for this platform, without
extras) and the licence files each ships in its metadata; the font and Python itself are added.
pyinstaller.spec writes ``notices_text`` into the bundle as ``NOTICES_NAME`` and stops when the bundle
would ship a module of a distribution the notices do not name (``uncovered``); 帮助 → 关于 shows it
(``shipped_notices``: the bundled file, or made now when run from source).
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import Distribution, PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

from core.resources import FONT_FILE, LICENCES_DIR, is_frozen, resource_path

NOTICES_NAME = "THIRD-PARTY-NOTICES.txt"
ROOT = "zizhu"
_NOTICE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
# Components whose wheels carry no licence text: the texts shipped in resources/licences/.
_QT_TEXTS = ("LGPL-3.0.txt", "GPL-3.0.txt")
_VENDORED = {"pyside6-essentials": _QT_TEXTS, "shiboken6": _QT_TEXTS}
# Licence files of a library compiled into a component, shipped in its package rather than its metadata:
# python-zlib-ng's extension holds zlib-ng (the zlib licence).
_PACKAGE_TEXTS = {"zlib-ng": ("zlib_ng/zlib-ng/LICENSE.md",)}
# Where an LGPL component's source is (its version filled in), and how it is shipped.
_QT_SOURCE = ("本程序使用未经修改的 Qt {version} 和 Qt for Python {version}：Qt 的动态库在程序文件夹中，可以替换。"
              "源代码：https://download.qt.io/archive/qt/{minor}/{version}/ 和 "
              "https://code.qt.io/cgit/pyside/pyside-setup.git/tag/?h=v{version}")
_SOURCE_NOTES = {"pyside6-essentials": _QT_SOURCE, "shiboken6": _QT_SOURCE,
                 "python-stdnum": "本程序以 Python 源文件（.py）随附未经修改的 python-stdnum {version}，可以替换。"
                                  "源代码：https://pypi.org/project/python-stdnum/{version}/#files"}


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str
    texts: tuple[tuple[str, str], ...]       # (file name, its text)
    note: str = ""


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence(dist: Distribution) -> str:
    meta = dist.metadata
    for key in ("License-Expression", "License"):
        value = (meta[key] or "").strip() if key in meta else ""
        if value:
            return value.splitlines()[0][:100]
    kinds = [c.rsplit("::", 1)[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return "、".join(kinds) or "未声明"


def _texts(dist: Distribution) -> tuple[tuple[str, str], ...]:
    """The licence files in the distribution's metadata: everything under ``licenses/`` (PEP 639),
    and LICENSE, COPYING, NOTICE or AUTHORS files beside METADATA; and those of ``_PACKAGE_TEXTS``."""
    out = []
    inside = _PACKAGE_TEXTS.get(_key(dist.metadata["Name"] or ""), ())
    for f in dist.files or []:
        parts = f.parts
        if "/".join(parts) in inside:
            out.append(("/".join(parts), f.read_text(encoding="utf-8")))
            continue
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        if (len(parts) > 2 and parts[1] == "licenses") or (len(parts) == 2 and _NOTICE_NAME.match(f.name)):
            raw = f.read_binary()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:          # (one licence file is Latin-1: its ©)
                text = raw.decode("latin-1")
            if text.strip():
                out.append(("/".join(parts[1:]), text))
    return tuple(out)


def _vendored(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((n, (LICENCES_DIR / n).read_text(encoding="utf-8")) for n in names)


def requirements(root: str = ROOT) -> dict[str, Distribution]:
    """The installed distributions ``root`` needs on this platform (markers evaluated, no extras),
    ``root`` left out; by normalised name."""
    from packaging.requirements import Requirement
    found: dict[str, Distribution] = {}
    todo, seen = [root], {_key(root)}
    while todo:
        for line in distribution(todo.pop()).requires or []:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            key = _key(req.name)
            if key in seen:
                continue
            seen.add(key)
            try:
                found[key] = distribution(req.name)
            except PackageNotFoundError:       # (not installed: cannot be shipped either)
                continue
            todo.append(req.name)
    return found


def _note(key: str, version: str) -> str:
    return _SOURCE_NOTES.get(key, "").format(version=version, minor=".".join(version.split(".")[:2]))


def components(root: str = ROOT, also: tuple[str, ...] = ()) -> list[Component]:
    """Every third-party component shipped: the distributions ``root`` needs and those named in
    ``also`` (the bundle's builder: its runtime and boot loader are in every bundle), by name; the
    font; Python."""
    dists = requirements(root)
    dists.update({_key(name): distribution(name) for name in also})
    out = [Component(d.metadata["Name"], d.version, _licence(d), _texts(d) or _vendored(_VENDORED.get(key, ())),
                     _note(key, d.version))
           for key, d in sorted(dists.items())]
    font = FONT_FILE.with_name("LICENSE-wqy-microhei.txt")
    out.append(Component("文泉驿微米黑 WenQuanYi Micro Hei", "0.2.0-beta",
                         "Apache-2.0 OR GPL-3.0-only WITH font exception",
                         ((font.name, font.read_text(encoding="utf-8")),)))
    base, ver = Path(sys.base_prefix), f"{sys.version_info.major}.{sys.version_info.minor}"
    python = [p for p in (base / "LICENSE.txt", base / "lib" / f"python{ver}" / "LICENSE.txt") if p.is_file()]
    out.append(Component("Python", sys.version.split()[0], "PSF-2.0",
                         (("LICENSE.txt", python[0].read_text(encoding="utf-8")),) if python else ()))
    return out


def notices_text(parts: list[Component]) -> str:
    rule = "=" * 72
    lines = ["资助助手（Zizhu）随附的第三方组件及其许可",
             "Third-party components shipped with Zizhu, and their licences", "",
             "本程序包含下列开源组件。各组件的版权声明和许可条款原文依次附在后面。", ""]
    lines += [f"  {c.name} {c.version}：{c.licence}" for c in parts]
    first: dict[str, str] = {}               # a text already printed -> where (printed once)
    for c in parts:
        lines += ["", rule, f"{c.name} {c.version}", f"许可 / Licence: {c.licence}", rule]
        if c.note:
            lines += ["", c.note]
        for name, text in c.texts:
            text = text.strip()
            if text in first:
                lines += ["", f"--- {name} ---（与上文 {first[text]} 的全文相同）"]
                continue
            first[text] = f"{c.name} {name}"
            lines += ["", f"--- {name} ---", "", text]
        if not c.texts:
            lines += ["", "（该组件未随附许可文本，许可见上一行的名称。）"]
    return "\n".join(lines) + "\n"


def uncovered(modules: Iterable[str], parts: list[Component]) -> list[str]:
    """The top-level ``modules`` (what the bundle collected) that belong to an installed
    distribution none of ``parts`` is: code shipped without its notice. The standard library and
    the program's own packages belong to none."""
    named = {_key(c.name) for c in parts} | {_key(ROOT)}
    owners = packages_distributions()
    return sorted(m for m in set(modules) if any(_key(d) not in named for d in owners.get(m, ())))


def shipped_notices() -> str:
    """The notices the program carries: the bundle's file, or (from source) made now."""
    if is_frozen():
        return resource_path(NOTICES_NAME).read_text(encoding="utf-8")
    return notices_text(components())
