"""Which parts of an .xlsx hold its sheets, for the safety pre-check (core.importers.limits): read from
xl/workbook.xml and its relationships so that no part calamine may read as a sheet is left out — an
XML parser reads them as calamine does (comments skipped, any character in a value) and a regular
expression besides (comments included), a sheet's id is looked for in every attribute and a target is
resolved every way a reader may resolve it: a superset. The pre-check also scans any other part that
holds sheet data (``limits._check_xlsx``)."""
from __future__ import annotations

import html
import posixpath
import re
import zipfile
from xml.etree import ElementTree


def _text(zf: zipfile.ZipFile, name: str, limit: int = 4 * 1024 * 1024) -> str:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return ""
    if info.file_size > limit:
        return ""
    try:
        return zf.read(info).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a broken part: calamine will say so
        return ""


_ATTR = re.compile(r'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b([^>]*)>")
_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")


def _attrs(text: str) -> dict[str, str]:
    return {k: html.unescape(a or b) for k, a, b in _ATTR.findall(text)}


def _parsed_tags(text: str, local: str, tag: re.Pattern[str]) -> list[dict[str, str]]:
    """The attributes of every ``local`` element of ``text``: read by an XML parser (as calamine reads
    them: comments skipped, any character in a value) and, in addition, by ``tag``'s regular expression
    (comments included): a superset of what any reader could take the part to say."""
    found: list[dict[str, str]] = []
    if text:
        try:
            root = ElementTree.fromstring(text)
        except (ElementTree.ParseError, ValueError):
            pass                  # not well-formed: calamine refuses it, or reads what the regex sees
        else:
            found += [dict(el.attrib) for el in root.iter()       # a namespaced attribute keeps its namespace
                      if isinstance(el.tag, str) and el.tag.rpartition("}")[2] == local]
    # the parser's first: a sheet is named as calamine names it where the regex reads it otherwise
    return found + [_attrs(m.group(1)) for m in tag.finditer(text)]


def _targets(target: str) -> set[str]:
    """The members a relationship's target may name, however a reader resolves it."""
    bare = target.lstrip("/")
    return {bare, posixpath.normpath("xl/" + bare), posixpath.normpath("xl/" + target)}


def sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """member path -> sheet name, from xl/workbook.xml and its relationships: every member any sheet
    of the workbook may be read from (``_parsed_tags``: a sheet's id in any attribute, a target resolved
    any way). ``_check_xlsx`` scans besides any other member that holds a sheet's data."""
    rels: dict[str, set[str]] = {}
    for a in _parsed_tags(_text(zf, "xl/_rels/workbook.xml.rels"), "Relationship", _REL_TAG):
        if a.get("Target"):
            rels.setdefault(a.get("Id", ""), set()).update(_targets(a["Target"]))
    out: dict[str, str] = {}
    for a in _parsed_tags(_text(zf, "xl/workbook.xml"), "sheet", _SHEET_TAG):
        for value in set(a.values()):
            for member in rels.get(value, ()):
                out.setdefault(member, a.get("name", ""))
    return out
