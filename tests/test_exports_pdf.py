"""Report, letters and notice PDFs, read back with pypdfium2 (tests/pdftext.py)."""
import re
from dataclasses import replace

import pytest
from openpyxl import load_workbook
from pdftext import fonts, page_sizes
from pdftext import page_count as pages
from pdftext import pdf_text as text

from core.checks import FindingState
from core.errors import ValidationError
from core.exports.letters import write_letters
from core.exports.notice import write_notice_pdf
from core.exports.notice_xlsx import HEADER_ROW, write_notice_xlsx
from core.exports.output import family_pays
from core.exports.pdf_common import missing_glyphs
from core.exports.report import write_report
from core.exports.sample import sample_export_data
from core.idnumber import mask_id
from core.money import format_fen
from core.policy import load_policy

RARE = "䶮"


def flat(path, page=None) -> str:
    return re.sub(r"\s+", "", text(path, page))


@pytest.fixture(scope="module")
def data():
    return sample_export_data()


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("pdf")


@pytest.fixture(scope="module")
def docs(data, out):
    paths = {"report": out / "report.pdf", "letters": out / "letters.pdf", "notice": out / "notice.pdf"}
    assert write_report(paths["report"], data) == []
    assert write_letters(paths["letters"], data) == []
    assert write_notice_pdf(paths["notice"], data) == []
    return paths


@pytest.fixture(scope="module")
def draft_docs(out):
    d = sample_export_data(draft=True)
    paths = {"report": out / "d-report.pdf", "letters": out / "d-letters.pdf", "notice": out / "d-notice.pdf"}
    write_report(paths["report"], d)
    write_letters(paths["letters"], d)
    write_notice_pdf(paths["notice"], d)
    return paths


def subsidised(data):
    return [(s, r) for s, r in data.pairs() if r.granted]


def told(data):
    """The students a letter is made for by default: those with a granted item and every 建档立卡 one."""
    from core.told import letter_due
    return [(s, r) for s, r in data.pairs() if letter_due(bool(r.granted), r.student.category)]


def test_fonts_embedded_a4_and_text_extractable(docs):
    for name, path in docs.items():
        used = fonts(path)
        assert used, name
        for font_name, embedded in used:
            assert "WenQuanYi" in font_name and embedded, (name, font_name)
        assert all(round(w, 1) == 595.3 and round(h, 1) == 841.9 for w, h in page_sizes(path)), name   # A4
        assert re.search(r"[\u4e00-\u9fff]{4}", text(path)), name


def test_report_contents(docs, data):
    t = flat(docs["report"])
    assert "教育资助核准情况报告" in t and data.school.name in t and data.school.year_label in t
    assert data.policy.sha256[:32] in t and data.policy.sha256[32:] in t
    assert data.signer_fingerprint.replace(" ", "") in t
    assert format_fen(data.totals.total) in t
    for label, src in (("市级", "city"), ("县级", "county")):
        assert label in t and format_fen(data.totals.by_source[src]) in t
    for code, fen in data.totals.by_item.items():
        assert data.policy.item(code).name in t and format_fen(fen) in t
    for word in ("制表人", "审核人", "校长", "学校盖章", "按学段", "普通高中"):
        assert word in t.replace("　", "")
    accepted = [f for f in data.findings if f.state == FindingState.ACCEPTED]
    assert accepted and all(f.reason in t for f in accepted)
    opened = [f for f in data.findings if f.state == FindingState.OPEN]
    assert opened and all(f.title in t for f in opened)
    assert "草稿" not in t


def test_one_letter_page_per_subsidised_or_registered_student(docs, data):
    kids = told(data)
    assert pages(docs["letters"]) == len(kids) > len(subsidised(data))     # (the sample has both kinds)
    for n, (st, res) in enumerate(kids, start=1):
        t = flat(docs["letters"], n)
        assert st.name in t and mask_id(st.id_number) in t
        if res.granted:
            assert format_fen(res.total_fen) in t
        else:                     # a 建档立卡 child who gets nothing: the family is told that, and why
            assert "本学年暂不享受本方案所列资助项目，原因是" in t and "本学年暂不享受资助" in t
        for d in res.granted:
            assert d.name in t and format_fen(d.amount_fen) in t
        assert "回执" in t.replace("　", "") and "家长签字" in t
        assert data.school.supervision_phone in t and data.school.contact_phone in t
        assert (st.head_name or "学生家长") in t
        assert data.official.title in t and data.official.policy_basis.replace(" ", "") in t


def test_letters_never_show_full_ids(docs, data):
    t = flat(docs["letters"])
    for st in data.students:
        if st.id_number:
            assert st.id_number not in t


def test_letter_states_what_a_private_school_family_pays(docs, data):
    kids = told(data)
    n, st, pays = next((n, s, family_pays(s, r, data.policy)) for n, (s, r) in enumerate(kids, 1)
                       if family_pays(s, r, data.policy))
    t = flat(docs["letters"], n)
    assert "民办" in t and format_fen(pays[1]) in t and format_fen(st.tuition_fen) in t


def test_an_item_paid_on_application_is_named_in_the_letter(data, out):
    """需申请: the letter tells the family which granted item it must apply for (DECISIONS.md)."""
    from core.policy import default_policy_text
    text = default_policy_text().replace('code = "HS_TUITION"\n', 'code = "HS_TUITION"\nneeds_application = true\n', 1)
    applied = replace(data, policy=load_policy(text))
    st = next(s for s, r in subsidised(data) if any(d.code == "HS_TUITION" for d in r.granted))
    other = next(s for s, r in subsidised(data) if not any(d.code == "HS_TUITION" for d in r.granted))
    path = out / "applied.pdf"
    write_letters(path, applied, keys=[st.key, other.key])
    first, second = (flat(path, n) for n in (1, 2))
    assert st.name in first and "“免学费”需学生或家长提出申请" in first
    assert other.name in second and "提出申请" not in second


def test_selected_student_without_subsidy_gets_reason(data, out):
    st = next(s for s, r in data.pairs() if not r.granted and s.stage == "小学")
    path = out / "none.pdf"
    write_letters(path, data, keys=[st.key])
    t = flat(path)
    assert pages(path) == 1 and st.name in t and "暂不享受" in t and "小学" in t


def test_letters_per_household(data, out):
    by_hh = {}
    for s, _r in data.pairs():
        if s.household_no:
            by_hh.setdefault(s.household_no, []).append(s)
    kids = next(v for v in by_hh.values() if len(v) >= 2)
    other = next(s for s, r in subsidised(data) if s.household_no not in {k.household_no for k in kids})
    path = out / "household.pdf"
    write_letters(path, data, keys=[k.key for k in kids] + [other.key], per_household=True)
    assert pages(path) == 2
    first = flat(path, 1)
    assert all(k.name in first and mask_id(k.id_number) in first for k in kids)
    assert other.name in flat(path, 2)


def test_letters_per_household_never_join_families_on_a_placeholder_number(data, out):
    """Lists fill an unknown 户编号 with 无, /, — or 0: every child under one placeholder went on one
    letter to the first child's parent (another family's names, masked IDs and amounts), and all were
    recorded as told. A number with two 户主姓名 is split too, and said so."""
    from core.exports.letters import _groups
    chosen = [s for s, _r in data.pairs()][:8]
    numbers = ["无", "无", "/", "—", "0", "０", "4228220001", "4228220001"]
    heads = ["刘大山", "黄文", "石明", "王五", "赵六", "钱七", "孙八", "李九"]
    students = {s.key: replace(s, household_no=n, head_name=h) for s, n, h in zip(chosen, numbers, heads, strict=True)}
    mixed = replace(data, students=[students.get(s.key, s) for s in data.students])
    groups, warnings = _groups(mixed, list(students), per_household=True)
    assert sorted(len(g) for g in groups) == [1] * 8
    assert any("户主姓名不一致" in w and "4228220001" in w for w in warnings)
    path = out / "placeholders.pdf"
    write_letters(path, mixed, keys=list(students), per_household=True)
    assert pages(path) == 8
    assert "刘大山" in flat(path, 1) and "黄文" not in flat(path, 1)
    # a short number without a 户主姓名 in two villages: two families
    villages = zip(chosen[:2], ["东村", "西村"], strict=True)
    twelve = {s.key: replace(s, household_no="12", head_name="", village=v) for s, v in villages}
    groups, _w = _groups(replace(data, students=[twelve.get(s.key, s) for s in data.students]), list(twelve), True)
    assert sorted(len(g) for g in groups) == [1, 1]


def test_no_letters_is_an_error(data, out):
    with pytest.raises(ValidationError):
        write_letters(out / "empty.pdf", data, keys=[])


def test_notice_has_no_personal_data(docs, data, out):
    xlsx = out / "notice.xlsx"
    write_notice_xlsx(xlsx, data)
    cells = "\n".join(str(c.value) for ws in load_workbook(xlsx) for row in ws.iter_rows()
                      for c in row if c.value is not None)
    pdf = text(docs["notice"])
    for t in (flat(docs["notice"]), pdf, cells, re.sub(r"\s+", "", cells)):
        for st in data.students:
            for secret in (st.id_number, st.phone, st.bank_card, st.student_no, mask_id(st.id_number)):
                if secret:
                    assert secret not in t, secret
    for t in (flat(docs["notice"]), cells):
        assert "公示期不少于5个工作日" in t and data.school.supervision_phone in t
        for st, _res in subsidised(data):
            assert st.name in t
    expected = format_fen(sum(r.total_fen for _s, r in subsidised(data)))     # to the fen, said once
    for t in (flat(docs["notice"]), re.sub(r"\s+", "", cells)):
        assert f"资助金额合计{expected}元" in t, expected
    names = {st.name for st, _ in subsidised(data)}
    assert not any(st.name in flat(docs["notice"]) for st, r in data.pairs() if not r.granted
                   and st.name not in names and len(st.name) > 2)


def test_notice_xlsx_amounts(data, out):
    path = out / "notice2.xlsx"
    write_notice_xlsx(path, data)
    ws = load_workbook(path).active
    header = {c.value: c.column for c in ws[HEADER_ROW]}
    rows = [r for r in range(5, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)]
    assert len(rows) == data.totals.students_granted
    total = sum(round(ws.cell(r, header["合计"]).value * 100) for r in rows)
    assert total == data.totals.total


def test_rare_character_is_reported_not_dropped(data, out):
    assert missing_glyphs("王" + RARE) == {RARE} and missing_glyphs("王小明") == set()
    st, _r = subsidised(data)[0]
    rare = replace(data, students=[replace(s, name="王" + RARE) if s.key == st.key else s for s in data.students])
    warning = (f"学生 王{RARE}（身份证号 {mask_id(st.id_number)}）的姓名中的“{RARE}”（U+{ord(RARE):04X}）字"
               "打印字体中没有，PDF 中印成“□”：请打印后手写补全，并核对姓名是否录入正确")     # (tests/test_rare_names.py)
    letters = write_letters(out / "rare.pdf", rare, keys=[st.key])
    assert warning in letters
    assert "王□" in flat(out / "rare.pdf")
    assert warning in write_notice_pdf(out / "rare-notice.pdf", rare)


def test_draft_marked_on_every_page(draft_docs):
    for name, path in draft_docs.items():
        n = pages(path)
        assert n >= 1
        for p in range(1, n + 1):
            assert "草稿" in flat(path, p), (name, p)


def test_non_draft_has_no_draft_mark(docs):
    for path in docs.values():
        assert "草稿" not in flat(path)


def test_what_the_family_pays_follows_the_item_kind_not_its_code(data):
    # The capped tuition item under another code: still the one whose shortfall the family pays.
    text = data.policy.text.replace('"HS_TUITION"', '"GZ_MIANXUEFEI"')
    renamed = load_policy(text)
    st, res = next((s, r) for s, r in data.pairs() if family_pays(s, r, data.policy))
    moved = replace(res, decisions=[replace(d, code="GZ_MIANXUEFEI") if d.code == "HS_TUITION" else d
                                    for d in res.decisions])
    assert family_pays(st, moved, renamed) == family_pays(st, res, data.policy)
    # An uncapped fee item covers the whole fee: nothing is left to the family.
    fixed = load_policy(text.replace('kind = "fee_capped"', 'kind = "fee"'))
    assert family_pays(st, moved, fixed) is None
