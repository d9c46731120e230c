"""Import a disbursement record (发放记录): 身份证号, 项目 (code or name), 金额.

A row with an ID the student import would flag (empty, from a number cell that lost its
last digits, not a valid number), an unknown or ambiguous item, a bad amount or a formula
without a computed value is not imported; it is listed (``problems``) and kept with its
cells (``problem_rows``) for the problems file. Items are looked up among all the policy's
items, retired ones too: a payment for an item no longer granted reaches the check
(PAYMENT_UNDUE) instead of being refused as unknown."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.checks.base import Payment
from core.errors import ValidationError
from core.importers.common import (
    IdChecker,
    Progress,
    cell_text,
    formula_problems,
    iter_data_rows,
    raw_cells,
    where,
)
from core.importers.header import Mapping, find_header
from core.importers.reader import Table
from core.money import parse_yuan
from core.policy import Item, Policy
from core.records import Column, ParsedRow
from core.text import value_key

PAYMENT_COLUMNS: tuple[Column, ...] = (
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "证件号码"), required=True),
    Column("name", "姓名", ("学生姓名",)),
    Column("item", "项目", ("资助项目", "项目代码", "项目名称"), required=True),
    Column("amount", "金额", ("发放金额", "实发金额", "金额(元)"), required=True),
)


@dataclass
class PaymentParse:
    mapping: Mapping
    payments: list[Payment] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)   # (line, Chinese message)
    problem_rows: list[ParsedRow] = field(default_factory=list)     # the rejected rows, as read

    @property
    def headers(self) -> list[str]:
        return self.mapping.headers

    def reject(self, line: int, row: list[Any], message: str) -> None:
        self.problems.append((line, message))
        self.problem_rows.append(ParsedRow(line, {}, [message], raw_cells(row, len(self.headers))))


class ItemLookup:
    """项目 cell -> item code, among every item of the policy (retired ones too: a payment may
    name an item no longer granted). A code is itself; a name shared by several items is
    refused, since the row could belong to any of them."""

    def __init__(self, policy: Policy) -> None:
        every = policy.all_items or policy.items
        self.codes = {value_key(i.code): i.code for i in every}
        self.names: dict[str, list[Item]] = {}
        for i in every:
            self.names.setdefault(value_key(i.name), []).append(i)

    def __call__(self, text: str) -> tuple[str | None, str]:
        """(code, "") or (None, the problem)."""
        key = value_key(text)
        code = self.codes.get(key)
        if code is not None:
            return code, ""
        named = self.names.get(key, [])
        if len(named) == 1:
            return named[0].code, ""
        if named:
            codes = "、".join(i.code + ("（已停用）" if i.retired else "") for i in named)
            return None, f"项目名称“{text}”对应多个项目（代码 {codes}），请改填项目代码"
        return None, f"项目“{text}”不是资助政策中的项目代码或名称"


def _placed(problem: str, place: str) -> str:
    """"身份证号为空：…" -> "身份证号（A列）为空：…" (the header as the file names it)."""
    if problem.startswith("身份证号"):
        return place + problem.removeprefix("身份证号")
    return f"{place}：{problem}"


def parse_payments(table: Table, policy: Policy, progress: Progress | None = None,
                   listed: frozenset[str] = frozenset()) -> PaymentParse:
    """Rows with a bad ID, an unknown item or a bad amount are listed as problems, not imported.
    An ID whose only fault is its check digit or region (a readable 18-character number) is taken
    when a listed student has exactly that ID (``listed``): the money went to the ID the school's own
    list holds, which the check flags on the student (ID_INVALID); refused, the row would make the
    check say the student was never paid (PAYMENT_MISSING), inviting a second payment."""
    mapping = find_header(table, PAYMENT_COLUMNS, what="发放记录")
    items = ItemLookup(policy)
    cols = mapping.columns
    id_at = cols["id_number"]
    id_where = where(mapping, "id_number")
    amount_where = where(mapping, "amount")
    ids = IdChecker()
    valid_ids = ids.valid_cells(table.rows[mapping.header_row + 1:], id_at)
    out = PaymentParse(mapping)
    for line, row in iter_data_rows(table, mapping, progress, keep=table.uncomputed):
        id_cell = row[id_at]
        item_text = cell_text(row[cols["item"]])
        uncomputed = formula_problems(table, mapping, line)
        if uncomputed:
            out.reject(line, row, f"第{line}行：" + "；".join(uncomputed))
            continue
        if not cell_text(id_cell) and not item_text:
            continue
        problems = []
        if id_cell in valid_ids:            # the usual cell: what ids(id_cell) answers for it
            id_number = id_cell
        else:
            id_number, _raw, _numeric, id_problem = ids(id_cell)
            if id_problem and not (id_number and id_number in listed):
                problems.append(_placed(id_problem, id_where))
        code, item_problem = items(item_text)
        if item_problem:
            problems.append(item_problem)
        fen = 0
        try:
            fen = parse_yuan(row[cols["amount"]])
        except ValidationError as exc:
            problems.append(f"{amount_where}：{exc.message}" + (f"，{exc.hint}" if exc.hint else ""))
        if problems or code is None:
            out.reject(line, row, f"第{line}行：" + "；".join(problems))
            continue
        out.payments.append(Payment(line, id_number, code, fen))
    return out
