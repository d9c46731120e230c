"""Find the header row of an imported table and map its columns to fields.

Real files have a merged title row ("XX学校建档立卡学生名单") and sometimes a
note above the header, so the header is the row among the first
``HEADER_SEARCH_ROWS`` whose cells match the most known headers.
Headers are compared by ``core.text.header_key``: white space and full-/half-
width differences are ignored ("姓 名" == "姓名", "乡（镇）" == "乡(镇)").
A trailing "(元)" / "(必填)" and "*" marks are ignored too.

A two-row header — a merged cell ("实际收费（元）") above its sub-headers ("学费",
"书本费", "住宿费"), the other headers merged down over both rows — is read as one:
the row right under the header row gives the sub-headers of the columns whose header
cell is empty or unknown, when it names a field not yet found and is empty under every
recognised column (a data row never is: it has a name and an ID). The data then start
below it (``Mapping.header_row`` is the lower row). When the sub-headers outnumber the
headers above them, the lower row is the one found; it is completed by the row above
only when that row holds the required columns it lacks.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from operator import itemgetter

from core.errors import InputFileError, MissingColumnsError
from core.importers.reader import Table, column_letter
from core.records import Column
from core.text import clean_cell, header_key

HEADER_SEARCH_ROWS = 15

# Our own exported "问题" column: ignored on re-import without being reported.
AUTO_IGNORED = frozenset({header_key("问题")})

# Money fields: a header over several columns (实收学费 merged over 秋季/春季, or over 应收/减免/实收) is
# refused rather than read from its first column (``_refuse_split_money``).
MONEY_FIELDS = ("tuition", "textbook", "lodging")
# A person's fields: two columns with data (the student's and a guardian's) are never chosen between by
# their order (``_student_column``).
PERSON_FIELDS = ("name", "id_number")
_STUDENT = "学生"

_DECORATION = re.compile(r"^\*+|\*+$|\((元|人民币元|必填|选填|可选|非必填)\)$")


@dataclass
class Mapping:
    """Where the header is and which column holds which field."""

    header_row: int                                       # 0-based index into Table.rows (the header's
    #                                                       last row: the data follow it)
    columns: dict[str, int] = field(default_factory=dict)  # field -> 0-based column
    matched: dict[str, str] = field(default_factory=dict)  # field -> header text in the file
    unknown: list[str] = field(default_factory=list)       # headers not used (ignored)
    ignored: list[str] = field(default_factory=list)       # headers the clerk chose to ignore
    headers: list[str] = field(default_factory=list)       # the header row as text
    header_rows: int = 1      # 2: a two-row header (sub-headers under a merged cell), header_row its lower row

    @property
    def line(self) -> int:
        """1-based line number of the header row (the upper one of a two-row header)."""
        return self.header_row + 2 - self.header_rows

    def overrides(self) -> dict[str, str]:
        """This mapping as ``overrides`` (header_key -> field, "" = ignore) to store
        and re-apply next time."""
        out = {header_key(text): fld for fld, text in self.matched.items()}
        out.update({header_key(text): "" for text in self.ignored})
        return out


def header_keys(columns: Iterable[Column]) -> dict[str, str]:
    """header_key of every canonical header and synonym -> field."""
    keys: dict[str, str] = {}
    for col in columns:
        for text in (col.header, *col.synonyms):
            keys.setdefault(header_key(text), col.field)
    return keys


@lru_cache(maxsize=1)
def _all_known() -> dict[str, str]:
    from core.importers.payments import PAYMENT_COLUMNS
    from core.importers.schools import SCHOOL_COLUMNS
    from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS
    return header_keys((*STUDENT_COLUMNS, *ROSTER_COLUMNS, *PAYMENT_COLUMNS, *SCHOOL_COLUMNS))


def has_header_row(rows: Sequence[Sequence[object]]) -> bool:
    """Whether a row among the first ``HEADER_SEARCH_ROWS`` holds two headers some import knows
    (the reader skips a 填表说明 sheet without one for a later sheet that has one)."""
    known = _all_known()
    for row in rows[:HEADER_SEARCH_ROWS]:
        if len({f for c in row if type(c) is str and (f := _lookup(c, known, {}))}) >= 2:
            return True
    return False


def _key_variants(text: object) -> tuple[str, str]:
    key = header_key(text)
    return key, _DECORATION.sub("", key)


def _lookup(text: object, known: dict[str, str], overrides: dict[str, str]) -> str | None:
    """Field for a header cell: "" = ignore on purpose, None = unknown."""
    for key in _key_variants(text):
        if not key:
            continue
        if key in overrides:
            return overrides[key]
        if key in known:
            return known[key]
    return "" if header_key(text) in AUTO_IGNORED else None


def _with_sub_headers(headers: list[str], below: Sequence[object], known: dict[str, str],
                      overrides: dict[str, str]) -> list[str] | None:
    """The header row ``headers`` completed by the row ``below`` it when that row holds the
    sub-headers of a merged header cell (a two-row header), else None.

    Only the cells under an empty or unknown header cell are taken; ``below`` is taken
    only when it names a field the header row has not (or a header the clerk ignores),
    and is empty under every column the header row recognises — as a data row never is
    (its name and ID are there)."""
    own = [_lookup(text, known, overrides) if text else None for text in headers]
    found = {f for f in own if f}
    taken: list[tuple[int, str, str | None]] = []
    for idx, cell in enumerate(below):
        text = clean_cell(cell)
        if not text:
            continue
        mine = own[idx] if idx < len(own) else None
        if mine:
            return None                     # a value under a recognised header: a data row
        if mine == "":
            continue                        # a column ignored on purpose stays ignored
        taken.append((idx, text, _lookup(text, known, overrides)))     # "": a header the clerk ignores
    # A field named under two merged cells (收费标准 / 实际收费, each over 学费 and 住宿费) cannot be told
    # from the sub-header alone: those columns are left as they were, for the clerk to map (a wrong fee
    # column taken silently would pay the standard instead of what was charged).
    named = Counter(fld for _idx, _text, fld in taken if fld)
    taken = [t for t in taken if not t[2] or named[t[2]] == 1]
    if not any(fld is not None and fld not in found for _idx, _text, fld in taken):
        return None
    joined = list(headers)
    for idx, text, _fld in taken:
        joined += [""] * (idx + 1 - len(joined))
        joined[idx] = text
    return joined


def find_header(table: Table, columns: Sequence[Column],
                overrides: dict[str, str] | None = None,
                what: str = "名单", mappable: bool = False) -> Mapping:
    """Locate the header row of ``table`` and map its columns to ``columns``' fields.

    ``overrides`` maps header_key(header text) to a field name, or to "" to
    ignore that column; it wins over the built-in headers and synonyms.
    A field matched by two columns keeps the one with data (``_map_columns``); the other is listed in
    ``unknown``. Raises InputFileError when no header row is found or a
    required column is missing (``mappable``: the import wizard can map columns, and the hint says so).
    """
    valid_fields = {c.field for c in columns}
    ovr = {header_key(k): v for k, v in (overrides or {}).items()
           if v == "" or v in valid_fields}
    known = header_keys(columns)
    best_row, best_score = -1, 0
    for r, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        score = len({f for f in (_lookup(c, known, ovr) for c in row if c not in ("", None)) if f})
        if score > best_score:
            best_row, best_score = r, score
    required = [c for c in columns if c.required]
    if best_row < 0:
        raise InputFileError(
            f"文件“{table.file_name}”（工作表“{table.sheet}”）的前{HEADER_SEARCH_ROWS}行中找不到表头行",
            "表头应包含以下列：" + "、".join(c.header for c in required)
            + f"。请确认选择的是{what}，或使用导入模板整理后重试")
    headers = [clean_cell(c) for c in table.rows[best_row]]
    header_rows = 1
    lacking = {c.field for c in required} - {_lookup(text, known, ovr) for text in headers if text}
    if lacking and best_row > 0:
        # more sub-headers than headers above them: the lower row scored best; the upper row
        # holds the required columns (merged down), and is taken only when it completes them
        upper = [clean_cell(c) for c in table.rows[best_row - 1]]
        joined = _with_sub_headers(upper, table.rows[best_row], known, ovr)
        if joined is not None and not lacking - {_lookup(text, known, ovr) for text in joined if text}:
            headers, header_rows = joined, 2
    elif best_row + 1 < len(table.rows):
        joined = _with_sub_headers(headers, table.rows[best_row + 1], known, ovr)
        if joined is not None:
            headers, best_row, header_rows = joined, best_row + 1, 2
    mapping = Mapping(header_row=best_row, headers=headers, header_rows=header_rows)
    _map_columns(table, mapping, columns, known, ovr, mappable)
    missing = [c for c in required if c.field not in mapping.columns]
    if missing:
        names = "、".join(f"“{c.header}”" for c in missing)
        found = "、".join(h for h in headers if h) or "（无）"
        raise MissingColumnsError(
            f"文件“{table.file_name}”第{mapping.line}行的表头中缺少必需的列：{names}。"
            f"找到的列有：{found}",
            f"请把对应列的表头改为{names}，然后重新导入"
            + (f"（在导入向导中也可以直接指定哪一列是{names}）" if mappable else ""),
            mapping, [c.field for c in missing])
    return mapping


def _map_columns(table: Table, mapping: Mapping, columns: Sequence[Column], known: dict[str, str],
                 ovr: dict[str, str], mappable: bool = False) -> None:
    """Fill ``mapping``'s columns, matched, ignored and unknown from its headers.

    A field matched by several columns takes the field's own header (the template's) over a synonym
    met first (是否全日制正式学籍 right of 全日制), else the first — unless that column is empty in
    every data row and another has data (家庭类别 twice, the first left blank). The others are
    ``unknown``; one with the same header as the column taken is named with its letter, and when
    both hold data it says that only the column taken was imported.

    A column the clerk mapped (``ovr``) comes first, then one whose header names the student (学生身份证号
    over a guardian's 身份证号). For 姓名 and 身份证号 two columns with data are never chosen between
    by their order: the one the clerk mapped, the one whose header (or group header above: 学生信息 /
    监护人信息) names the student, else a refusal (MissingColumnsError: the wizard lets the clerk pick)."""
    own = {c.field: header_key(c.header) for c in columns}      # each field's own header (the template's)
    unsure: dict[str, list[int]] = {}
    found: dict[str, list[int]] = {}
    unused: list[tuple[int, str]] = []
    for idx, text in enumerate(mapping.headers):
        if not text:
            continue
        fld = _lookup(text, known, ovr)
        if fld == "":
            mapping.ignored.append(text)
        elif fld is None:
            unused.append((idx, text))
        else:
            found.setdefault(fld, []).append(idx)
    for fld, candidates in found.items():
        # the clerk's mapping, the student's own, the field's own header, then the synonyms, in column order
        ranked = sorted(candidates, key=lambda i: (not _mapped(mapping.headers[i], ovr),
                                                   _STUDENT not in mapping.headers[i],
                                                   header_key(mapping.headers[i]) != own[fld]))
        taken = ranked[0]
        filled: dict[int, bool] = {}
        if len(ranked) > 1:
            filled = {i: _has_data(table.rows, mapping.header_row + 1, i) for i in ranked}
            taken = next((i for i in ranked if filled[i]), taken)
            with_data = [i for i in ranked if filled[i]]
            if fld in PERSON_FIELDS and len(with_data) > 1:
                chosen = _student_column(table, mapping, with_data, ovr)
                if chosen is None:
                    unsure[fld] = with_data
                    unused.extend((i, mapping.headers[i]) for i in candidates)
                    continue
                taken = chosen
        mapping.columns[fld] = taken
        mapping.matched[fld] = mapping.headers[taken]
        for idx in candidates:
            if idx != taken:
                unused.append((idx, _unused_name(mapping.headers, idx, taken, filled[idx])))
    unheaded = _filled_columns(table.rows, mapping.header_row + 1,
                               [i for i, text in enumerate(mapping.headers) if not text])
    above = table.rows[mapping.header_row - mapping.header_rows] if mapping.header_row >= mapping.header_rows else []
    upper = {i: text for i in unheaded if i < len(above) and (text := clean_cell(above[i]))}  # merged down
    _refuse_split_money(table, mapping, [i for i in unheaded if i not in upper])
    unused.extend((idx, f"{upper[idx]}（{column_letter(idx)}列）" if idx in upper
                   else f"{column_letter(idx)}列（没有表头，有数据）") for idx in unheaded)
    mapping.unknown.extend(text for _idx, text in sorted(unused))
    if unsure:
        raise _unsure(table, mapping, columns, unsure, mappable)


def _mapped(text: str, ovr: dict[str, str]) -> bool:
    """Whether the clerk mapped the column headed ``text`` (in the import wizard, or a stored mapping)."""
    return any(key in ovr for key in _key_variants(text) if key)


def _group_label(table: Table, mapping: Mapping, idx: int) -> str:
    """The group header above column ``idx`` (学生信息 / 监护人信息, merged: its text is in the group's
    first column), or "" when the header is on the first line."""
    above = mapping.header_row - mapping.header_rows
    if above < 0:
        return ""
    row = table.rows[above]
    for i in range(min(idx, len(row) - 1), -1, -1):
        text = clean_cell(row[i])
        if text:
            return text
    return ""


def _student_column(table: Table, mapping: Mapping, with_data: list[int], ovr: dict[str, str]) -> int | None:
    """Which of the columns ``with_data`` (a person's field, each with data) is the student's: the one
    the clerk mapped, else the one whose header, else whose group header names the student; None when
    nothing tells."""
    for hits in ([i for i in with_data if _mapped(mapping.headers[i], ovr)],
                 [i for i in with_data if _STUDENT in mapping.headers[i]],
                 [i for i in with_data if _STUDENT in _group_label(table, mapping, i)]):
        if len(hits) == 1:
            return hits[0]
    return None


def _unsure(table: Table, mapping: Mapping, columns: Sequence[Column], unsure: dict[str, list[int]],
            mappable: bool) -> MissingColumnsError:
    headers = {c.field: c.header for c in columns}
    fld, idxs = next(iter(unsure.items()))
    name = headers.get(fld, fld)
    listed = "、".join(f"{column_letter(i)}列“{mapping.headers[i]}”" for i in idxs)
    same = len({header_key(mapping.headers[i]) for i in idxs}) < len(idxs)
    own = "学生本人" if "stage" in headers else "本人"        # (the roster lists every household member)
    rename = (f"请把{own}那一列的表头改为“{'学生' if own == '学生本人' else ''}{name}”"
              f"（监护人的改为“监护人{name}”），然后重新导入")
    pick = (f"；或者在导入向导左边的列对应中为“{name}”选择{own}的那一列" if mappable and not same else "")
    return MissingColumnsError(
        f"文件“{table.file_name}”第{mapping.line}行的表头中有{len(idxs)}列都可能是“{name}”：{listed}，"
        f"都有数据，无法确定哪一列是{own}的（另一列可能是监护人的）",
        rename + pick, mapping, list(unsure))


def _filled_columns(rows: Sequence[Sequence[object]], start: int, columns: list[int]) -> list[int]:
    """Those of ``columns`` that hold a value in a row from ``start`` on: a column at a time, its
    empty cells skipped in C (filter), stopping at its first value (the usual header has no empty cell)."""
    found = []
    for idx in columns:
        try:
            cells = filter(None, map(itemgetter(idx), islice(rows, start, None)))
            filled = any(c.strip() if type(c) is str else True for c in cells)
        except IndexError:           # a short row (CSV): cell by cell
            filled = _has_data(rows, start, idx)
        if filled:
            found.append(idx)
    return found


def _refuse_split_money(table: Table, mapping: Mapping, unheaded: list[int]) -> None:
    """Refuse a money column followed by columns without a header that hold data: its header is merged
    over them (or theirs is missing), and taking the first column alone would import a wrong amount."""
    filled = set(unheaded)
    for fld in MONEY_FIELDS:
        idx = mapping.columns.get(fld)
        if idx is None or idx + 1 not in filled:
            continue
        last = idx + 1
        while last + 1 < len(mapping.headers) and not mapping.headers[last + 1]:
            last += 1
        span = f"{column_letter(idx)}～{column_letter(last)}"
        text = re.sub(r"[（(]元[）)]$", "", mapping.matched[fld])
        lost = "、".join(column_letter(i) for i in range(idx + 1, last + 1) if i in filled)
        raise InputFileError(
            f"文件“{table.file_name}”第{mapping.line}行的表头“{mapping.matched[fld]}”跨了{span}列（{lost}列"
            f"没有表头却有数据）：金额只能从一列导入，程序不会猜测该用哪一列",
            f"请在表格中把这几列合计成一列“{text}”（删去其余几列），或者给每一列写上各自的表头"
            f"（如“秋季{text}”），再在导入向导的列对应中指定哪一列是“{text}”，然后重新导入")


def _has_data(rows: Sequence[Sequence[object]], start: int, idx: int) -> bool:
    """Whether column ``idx`` holds a value in any of ``rows`` from ``start`` on (stops at the first)."""
    for row in islice(rows, start, None):
        if idx < len(row):
            cell = row[idx]
            if cell is not None and (cell.strip() if type(cell) is str else cell != ""):
                return True
    return False


def _unused_name(headers: list[str], idx: int, taken: int, filled: bool) -> str:
    """How ``unknown`` names column ``idx``, left unused for column ``taken`` of the same field."""
    text = headers[idx]
    if header_key(text) != header_key(headers[taken]):
        return text                       # another header of the field: its text tells it apart
    mine, used = column_letter(idx), column_letter(taken)
    if not filled:
        return f"{text}（{mine}列，没有数据）"
    return f"{text}（{mine}列：与{used}列同名且都有数据，只导入了{used}列，{mine}列未使用；要导入{mine}列请修改表头）"
