"""Import a disbursement record (发放记录): 身份证号, 项目 (code or name), 金额."""
from __future__ import annotations

from dataclasses import dataclass, field

from core.checks.base import Payment
from core.errors import ValidationError
from core.idnumber import normalize_id
from core.importers.common import Progress, cell_text, iter_data_rows
from core.importers.header import Mapping, find_header
from core.importers.reader import Table
from core.money import parse_yuan
from core.policy import Policy
from core.records import Column
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


def parse_payments(table: Table, policy: Policy, progress: Progress | None = None) -> PaymentParse:
    """Rows with an unknown item or a bad amount are listed as problems, not imported."""
    mapping = find_header(table, PAYMENT_COLUMNS, what="发放记录")
    items = {value_key(i.code): i.code for i in policy.items}
    items.update({value_key(i.name): i.code for i in policy.items})
    cols = mapping.columns
    out = PaymentParse(mapping)
    for line, row in iter_data_rows(table, mapping, progress):
        raw_id = cell_text(row[cols["id_number"]])
        item_text = cell_text(row[cols["item"]])
        if not raw_id and not item_text:
            continue
        code = items.get(value_key(item_text))
        if code is None:
            out.problems.append((line, f"第{line}行：项目“{item_text}”不是资助政策中的项目代码或名称"))
            continue
        try:
            fen = parse_yuan(row[cols["amount"]])
        except ValidationError as exc:
            out.problems.append((line, f"第{line}行：{exc.message}"))
            continue
        out.payments.append(Payment(line, normalize_id(raw_id), code, fen))
    return out
