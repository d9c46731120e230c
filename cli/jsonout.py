"""The ``--json`` output of every command: one function, fast and readable.

``json.dump`` never uses the C encoder (it streams through the pure-Python one, a write
per token), nor does any ``indent``: at county size that was a third of ``compute --json``.
Here each top-level value is encoded by the C encoder, and a top-level list is written one
element per line, so a student, a flag or a school is one line: easy to read, to ``grep``
and to compare, in the same JSON document (the shape does not depend on the layout).
"""
from __future__ import annotations

import json
import sys
from typing import Any, TextIO

_encode = json.JSONEncoder(ensure_ascii=False).encode    # one-shot encode: the C encoder


def json_text(doc: Any) -> str:
    """``doc`` as JSON text: an object's members one per line, its lists one element per line."""
    if not isinstance(doc, dict) or not all(isinstance(k, str) for k in doc):
        return _encode(doc)
    members = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            members.append(f"{_encode(key)}: [\n" + ",\n".join(map(_encode, value)) + "\n]")
        else:
            members.append(f"{_encode(key)}: {_encode(value)}")
    return "{\n" + ",\n".join(members) + "\n}" if members else "{}"


def write_json(doc: Any, out: TextIO | None = None) -> None:
    """Write ``doc`` (see ``json_text``) and a line break to ``out`` (standard output)."""
    stream = out if out is not None else sys.stdout
    stream.write(json_text(doc) + "\n")
