"""Writes tests/data/exports-golden.json: what the exports wrote before they were made fast
(commit 5fefc00), dumped by tests/export_dump.py. Run from the checkout root:
    python tests/data/make_exports_golden.py
Re-run it only when an export's content is meant to change."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from export_dump import golden_outputs  # noqa: E402

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        out = golden_outputs(Path(tmp))
    (ROOT / "tests" / "data" / "exports-golden.json").write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
