"""Import a disbursement record (发放记录): 身份证号, 项目 (code or name), 金额.

A row with an unknown item, a bad amount or a formula without a computed value is
not imported; it is listed (``problems``) and kept with its cells (``problem_rows``)
for the problems file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.checks.base import Payment
from core.errors import ValidationError
from core.idnumber import normalize_id
from core.importers.common import Progress, cell_text, formula_problems, iter_data_rows, raw_cells
from core.importers.header import Mapping, find_header
from core.importers.reader import Table
from core.money import parse_yuan
from core.policy import Policy
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


def parse_payments(table: Table, policy: Policy, progress: Progress | None = None) -> PaymentParse:
    """Rows with an unknown item or a bad amount are listed as problems, not imported."""
    mapping = find_header(table, PAYMENT_COLUMNS, what="发放记录")
    items = {value_key(i.code): i.code for i in policy.items}
    items.update({value_key(i.name): i.code for i in policy.items})
    cols = mapping.columns
    out = PaymentParse(mapping)
    for line, row in iter_data_rows(table, mapping, progress, keep=table.uncomputed):
        raw_id = cell_text(row[cols["id_number"]])
        item_text = cell_text(row[cols["item"]])
        uncomputed = formula_problems(table, mapping, line)
        if uncomputed:
            out.reject(line, row, f"第{line}行：" + "；".join(uncomputed))
            continue
        if not raw_id and not item_text:
            continue
        code = items.get(value_key(item_text))
        if code is None:
            out.reject(line, row, f"第{line}行：项目“{item_text}”不是资助政策中的项目代码或名称")
            continue
        try:
            fen = parse_yuan(row[cols["amount"]])
        except ValidationError as exc:
            out.reject(line, row, f"第{line}行：{exc.message}")
            continue
        out.payments.append(Payment(line, normalize_id(raw_id), code, fen))
    return out
