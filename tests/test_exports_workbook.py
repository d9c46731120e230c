"""The bureau workbook: sheets, text ID cells, exact money, totals, draft marks."""
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.checks import FindingState
from core.errors import OutputFileError
from core.exports.output import mask_card
from core.exports.sample import sample_export_data
from core.exports.workbook import SHEETS, write_workbook
from core.money import fen_to_decimal
from core.policy import SOURCE_LABELS


def dec(value) -> Decimal:
    """A money cell read back by openpyxl (int or float) as exact yuan."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def data():
    return sample_export_data()


@pytest.fixture(scope="module")
def wb(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "名册.xlsx"
    assert write_workbook(path, data) == path
    return load_workbook(path)


@pytest.fixture(scope="module")
def draft_wb(tmp_path_factory):
    path = tmp_path_factory.mktemp("wbd") / "draft.xlsx"
    write_workbook(path, sample_export_data(draft=True))
    return load_workbook(path)


def header_map(ws, row=2):
    return {c.value: c.column for c in ws[row] if c.value is not None}


def test_sheet_names(wb):
    assert wb.sheetnames == list(SHEETS) == ["学生资助名册", "资助项目明细", "汇总", "核查情况", "说明"]


def test_student_row_cells(wb, data):
    ws = wb["学生资助名册"]
    cols = header_map(ws)
    for name in ("序号", "姓名", "身份证号", "性别", "学籍号", "学段", "年级", "班级", "就读地", "学校性质",
                 "家庭类别", "合计", "核准状态"):
        assert name in cols
    for item in data.policy.items:
        assert item.name in cols
    st, res = next((s, r) for s, r in data.pairs() if len(r.granted) >= 2)
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, cols["姓名"]).value == st.name)
    id_cell = ws.cell(row, cols["身份证号"])
    assert id_cell.value == st.id_number and isinstance(id_cell.value, str)
    assert id_cell.number_format == "@"
    no_cell = ws.cell(row, cols["学籍号"])
    assert no_cell.value == st.student_no and no_cell.number_format == "@"
    granted = {d.code: d.amount_fen for d in res.granted}
    for item in data.policy.items:
        cell = ws.cell(row, cols[item.name])
        if item.code in granted:
            assert dec(cell.value) == fen_to_decimal(granted[item.code])
            assert cell.number_format == "#,##0.00"
        else:
            assert cell.value is None
    assert dec(ws.cell(row, cols["合计"]).value) == fen_to_decimal(res.total_fen)


def test_every_id_is_text(wb, data):
    ws = wb["学生资助名册"]
    col = header_map(ws)["身份证号"]
    ids = [ws.cell(r, col).value for r in range(3, 3 + len(data.students))]
    assert [i or "" for i in ids] == [s.id_number for s in data.students]
    assert all(i is None or isinstance(i, str) for i in ids)
    assert ws.column_dimensions[ws.cell(2, col).column_letter].width >= 18


def test_bank_cards_masked(wb, data):
    cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
    text = "\n".join(cells)
    cards = [s.bank_card for s in data.students if s.bank_card]
    assert cards
    assert not any(card in text for card in cards)
    card = "".join(cards[0].split())
    assert card[:4] + "*" * (len(card) - 8) + card[-4:] in cells      # the first and last four digits only
    assert mask_card(cards[0]) in cells


def test_detail_sheet(wb, data):
    ws = wb["资助项目明细"]
    cols = header_map(ws)
    assert [ws.cell(2, c).value for c in range(1, 9)] == ["序号", "姓名", "身份证号", "项目代码", "项目名称",
                                                          "金额", "市级", "县级"]
    n = sum(len(r.granted) for r in data.results)
    rows = list(range(3, 3 + n))
    assert ws.cell(3 + n, 1).value == "合计"
    assert sum(dec(ws.cell(r, cols["金额"]).value) for r in rows) == fen_to_decimal(data.totals.total)
    for src, label in SOURCE_LABELS.items():
        assert sum(dec(ws.cell(r, cols[label]).value) for r in rows) == fen_to_decimal(data.totals.by_source[src])
    assert all(isinstance(ws.cell(r, cols["身份证号"]).value, str) for r in rows)


def section(ws, title):
    """Rows of a 汇总 section: from its header to its 合计 row (inclusive)."""
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == title) + 1
    end = next(r for r in range(start, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    return start, [[c.value for c in ws[r]] for r in range(start + 1, end)], [c.value for c in ws[end]]


def test_totals_sheet(wb, data):
    ws = wb["汇总"]
    t = data.totals
    _h, items, total = section(ws, "一、按资助项目")
    assert {r[0]: dec(r[3]) for r in items} == {k: fen_to_decimal(v) for k, v in t.by_item.items()}
    assert dec(total[3]) == fen_to_decimal(t.total)
    assert total[2] == t.students_granted
    _h, srcs, total = section(ws, "二、按资金来源")
    assert {r[0]: dec(r[3]) for r in srcs} == {SOURCE_LABELS[k]: fen_to_decimal(v) for k, v in t.by_source.items()}
    assert dec(total[3]) == fen_to_decimal(t.total)
    _h, stages, total = section(ws, "三、按学段")
    assert sum(r[1] for r in stages) == len(data.students) == total[1]
    assert sum(r[2] for r in stages) == t.students_granted
    assert sum(dec(r[3]) for r in stages) == fen_to_decimal(t.total)
    hs = next(r for r in stages if r[0] == "普通高中")
    pairs = [(s, r) for s, r in data.pairs() if s.stage == "普通高中"]
    assert hs[1:3] == [len(pairs), sum(1 for _, r in pairs if r.granted)]


def test_findings_sheet(wb, data):
    ws = wb["核查情况"]
    cols = header_map(ws)
    rows = [[c.value for c in ws[r]] for r in range(3, ws.max_row + 1)]
    assert len(rows) == len(data.findings)
    accepted = [f for f in data.findings if f.state == FindingState.ACCEPTED]
    assert accepted
    for f in accepted:
        row = next(r for r in rows if r[cols["问题说明"] - 1] == f.message)
        assert row[cols["确认理由"] - 1] == f.reason
        assert row[cols["处理状态"] - 1].startswith("已接受")


def test_about_sheet(wb, data):
    values = [c.value for row in wb["说明"].iter_rows() for c in row if c.value is not None]
    assert data.policy.sha256 in values
    assert data.signer_fingerprint in values
    assert data.school.name in values and data.official.title in values
    assert "2024-04-20 15:30" in values and f"{data.official.clerk}（系统账户 {data.generated_by}）" in values
    assert not any("草稿" in str(v) for v in values)


def test_layout_and_print_setup(wb):
    ws = wb["学生资助名册"]
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows in ("$2:$2", "2:2")
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.cell(2, 1).font.b
    assert "草稿" not in (ws.oddHeader.center.text or "") + (ws["A1"].value or "")


def test_draft_marks(draft_wb):
    ws = draft_wb["学生资助名册"]
    assert "草稿" in ws["A1"].value
    for sheet in draft_wb:
        assert "草稿" in (sheet.oddHeader.center.text or "")
        assert "草稿" in (sheet.oddFooter.right.text or "")
    about = [str(c.value) for row in draft_wb["说明"].iter_rows() for c in row if c.value is not None]
    assert "草稿" in about


def test_missing_folder_is_a_clear_error(tmp_path, data):
    with pytest.raises(OutputFileError) as exc:
        write_workbook(tmp_path / "nope" / "x.xlsx", data)
    assert "不存在" in exc.value.message


def test_atomic_save_leaves_no_temp_files(tmp_path, data):
    target = tmp_path / "名册.xlsx"
    target.write_bytes(b"old")
    write_workbook(target, data)
    assert [p.name for p in tmp_path.iterdir()] == ["名册.xlsx"]
    assert load_workbook(target).sheetnames[0] == "学生资助名册"


def test_program_version_comes_from_the_package_metadata(monkeypatch, tmp_path):
    from importlib.metadata import version

    from core import version as version_module
    assert version_module.program_version() == version("zizhu")
    # (core.version imports it when asked: the package's metadata is read at the call)
    monkeypatch.setattr("importlib.metadata.version", lambda name: {"zizhu": "9.8.7"}[name])
    version_module.program_version.cache_clear()
    try:
        data = sample_export_data()
        assert data.program_version == "9.8.7"
        write_workbook(tmp_path / "v.xlsx", data)
        assert load_workbook(tmp_path / "v.xlsx").properties.creator == "Zizhu 9.8.7"
    finally:
        version_module.program_version.cache_clear()
