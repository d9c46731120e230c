"""A canonical, JSON-able dump of what the exports write, to prove a faster writer
changes nothing: every cell's value, type and style of a workbook with the sheet's
layout and print set-up, and a PDF's text and page geometry page by page."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pdftext import page_count, page_sizes, pdf_text


def _color(c: Any) -> Any:
    return None if c is None else (c.type, c.rgb if c.type == "rgb" else c.theme if c.type == "theme" else c.indexed)


def _style(cell: Any) -> dict[str, Any]:
    f, a, b, fl = cell.font, cell.alignment, cell.border, cell.fill
    return {
        "font": [f.name, f.b, f.i, f.sz, _color(f.color)],
        "fill": [fl.fill_type, _color(fl.fgColor)],
        "border": [(s.style, _color(s.color)) for s in (b.left, b.right, b.top, b.bottom)],
        "align": [a.horizontal, a.vertical, a.wrap_text],
        "format": cell.number_format,
    }


def _value(v: Any) -> Any:
    return ["Decimal", str(v)] if isinstance(v, Decimal) else v


def dump_workbook(path: Path) -> dict[str, Any]:
    wb = load_workbook(path)
    props = wb.properties
    styles: list[str] = []           # each distinct style once; cells name it by index
    index: dict[str, int] = {}

    def style_of(cell: Any) -> int:
        key = json.dumps(_style(cell), ensure_ascii=False)
        if key not in index:
            index[key] = len(styles)
            styles.append(key)
        return index[key]

    out: dict[str, Any] = {"properties": [props.title, props.keywords], "order": wb.sheetnames,
                           "sheets": {}, "styles": styles}
    for ws in wb.worksheets:
        cells = {c.coordinate: [_value(c.value), c.data_type, style_of(c)]
                 for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}
        out["sheets"][ws.title] = {
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: d.width for k, d in sorted(ws.column_dimensions.items()) if d.width},
            "heights": {str(k): d.height for k, d in sorted(ws.row_dimensions.items()) if d.height},
            "freeze": ws.freeze_panes,
            "print_titles": ws.print_title_rows,
            "page": [ws.page_setup.paperSize, ws.page_setup.orientation, ws.page_setup.fitToWidth,
                     ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage,
                     ws.print_options.horizontalCentered, ws.page_margins.left, ws.page_margins.right],
            "header": [[p.text, p.font, p.color] for p in (ws.oddHeader.left, ws.oddHeader.center,
                                                           ws.oddHeader.right)],
            "footer": [[p.text, p.font, p.color] for p in (ws.oddFooter.left, ws.oddFooter.center,
                                                           ws.oddFooter.right)],
        }
    return out


def _glyph_places(path: Path) -> list[str]:
    """Per page, a SHA-256 of every character with its box (0.1 pt): where each glyph is drawn,
    whatever order the content stream draws them in or font subset it takes them from."""
    import hashlib

    from pdftext import opened
    out = []
    with opened(path) as doc:
        for i in range(len(doc)):
            tp = doc[i].get_textpage()
            places = sorted((tp.get_text_range(k, 1), *(round(v, 1) for v in tp.get_charbox(k)))
                            for k in range(tp.count_chars()))
            out.append(hashlib.sha256(repr([p for p in places if p[0].strip()]).encode()).hexdigest())
    return out


def dump_pdf(path: Path) -> dict[str, Any]:
    n = page_count(path)
    return {"pages": n, "sizes": [list(s) for s in page_sizes(path)],
            "text": ["".join(pdf_text(path, i).split()) for i in range(1, n + 1)],
            "places": _glyph_places(path)}


def golden_outputs(folder: Path) -> dict[str, Any]:
    """Every export of the small sample (plain, draft, demo; letters per student, per household
    and for a student without subsidy), dumped."""
    from dataclasses import replace

    from core.exports.letters import write_letters
    from core.exports.notice import write_notice_pdf
    from core.exports.notice_xlsx import write_notice_xlsx
    from core.exports.report import write_report
    from core.exports.sample import sample_export_data
    from core.exports.workbook import write_workbook

    out: dict[str, Any] = {}
    for variant, data in (("plain", sample_export_data()), ("draft", sample_export_data(draft=True)),
                          ("demo", replace(sample_export_data(), demo=True))):
        data = replace(data, program_version="0.0-golden")
        p = folder / variant
        p.mkdir()
        write_workbook(p / "workbook.xlsx", data)
        write_notice_xlsx(p / "notice.xlsx", data)
        warnings = write_report(p / "report.pdf", data) + write_notice_pdf(p / "notice.pdf", data)
        warnings += write_letters(p / "letters.pdf", data)
        nothing = [s.key for s, r in data.pairs() if not r.granted][:2]
        warnings += write_letters(p / "household.pdf", data, keys=[s.key for s in data.students[:12]] + nothing,
                                  per_household=True)
        out[variant] = {"warnings": warnings,
                        **{f: dump_workbook(p / f) for f in ("workbook.xlsx", "notice.xlsx")},
                        **{f: dump_pdf(p / f) for f in ("report.pdf", "notice.pdf", "letters.pdf", "household.pdf")}}
    return out
