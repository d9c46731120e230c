"""The exports against the raw libraries, one case a process (docs/BENCHMARKS.md, "Exports").

    python benchmarks/exports_compare.py CASE N

CASE: package, workbook, notice_pdf, notice_xlsx, letters; CASE_base for its baseline
(package_base, workbook_base, notice_base, letters_base). N: students in the sample
(sample_export_data; letters: the first N subsidised students of a 50,000 sample). Prints the
seconds and the growth of the peak resident memory. The program imported is the checkout the
script runs from (cwd), so an older commit's worktree measures the code before. `make bench`
is the full suite; this script reproduces the export figures side by side.
"""
import hashlib
import os
import pickle
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())
CACHE = Path(tempfile.gettempdir()) / "zizhu-exports-compare"

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def data_for(n):
    """The sample of ``n`` students, kept between runs (making 50,000 takes a minute)."""
    CACHE.mkdir(exist_ok=True)
    cache = CACHE / f"data-{n}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from core.exports.sample import sample_export_data
    d = sample_export_data(n)
    cache.write_bytes(pickle.dumps(d))
    return d

def strings_of_package(d):
    """The strings the report and the notice draw (approximately: every table cell)."""
    from core.exports.notice import _items_text
    from core.exports.output import grade_label
    from core.money import format_fen
    out = []
    for s, r in d.pairs():
        if r.granted:
            out.append([s.name, d.school.name, grade_label(s), _items_text(r), format_fen(r.total_fen)])
    return out

def base_workbook(path, d):
    from openpyxl import Workbook

    from core.exports.output import mask_card
    from core.money import fen_to_decimal
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("a")
    items = d.policy.items
    for n, (st, r) in enumerate(d.pairs(), 1):
        amounts = {x.code: x.amount_fen for x in r.granted}
        ws.append([n, st.name, st.id_number, st.gender, st.student_no, st.stage, st.grade, st.class_name,
                   st.location, st.ownership, st.category_label,
                   *(fen_to_decimal(amounts[i.code]) if i.code in amounts else None for i in items),
                   fen_to_decimal(r.total_fen) if r.granted else None, "已核准", mask_card(st.bank_card)])
    ws = wb.create_sheet("b")
    n = 0
    for st, r in d.pairs():
        for x in r.granted:
            n += 1
            ws.append([n, st.name, st.id_number, x.code, x.name, fen_to_decimal(x.amount_fen),
                       *(fen_to_decimal(v) for v in x.shares.values())])
    ws = wb.create_sheet("c")
    for n, f in enumerate(d.findings, 1):
        ws.append([n, f.state, f.severity, f.title, f.name, f.id_number, f.message, f.reason])
    wb.save(path)

def base_pdf(path, rows):
    from reportlab.pdfgen.canvas import Canvas

    from core.exports.pdf_common import FONT, register_fonts
    register_fonts()
    c = Canvas(str(path))
    y = 800
    for row in rows:
        x = 40
        for v in row:
            c.setFont(FONT, 9)
            c.drawString(x, y, v)
            x += 80
        y -= 16
        if y < 40:
            c.showPage()
            y = 800
    c.save()

def letter_strings(d, keys):
    """The letter's strings: every text the letter prints, one letter a page."""
    from core.exports.letters import TITLE, _masked
    from core.exports.output import date_label, grade_label
    from core.money import format_fen
    want = set(keys)
    out = []
    for s, r in d.pairs():
        if s.key not in want:
            continue
        lines = [TITLE, d.school.year_label, f"尊敬的{s.head_name}：",
                 f"您好！您的孩子{s.name}（身份证号 {_masked(s)}，{grade_label(s)}）在{d.school.name}就读。"
                 f"根据《{d.official.title}》（{d.official.policy_basis}），经学校逐项核对，"
                 f"{d.school.year_label}的资助结果告知如下：",
                 "资助项目", "计算依据", "金额（元）"]
        for x in r.granted:
            lines += [x.name, x.reasons[-1] if x.reasons else "", format_fen(x.amount_fen)]
        lines += ["合计", format_fen(r.total_fen),
                  "资助资金按规定直接减免或发放，任何单位和个人不得以任何理由截留、挪用或向家庭收取费用。"
                  f"如对资助结果有疑问，请联系学校（电话：{d.school.contact_phone}）；"
                  f"也可拨打县教育资助监督电话 {d.school.supervision_phone} 反映。",
                  d.school.name, "（盖章）", date_label(d), "盖章处", "沿此线剪下，回执由家长签字后交回学校", "回　执",
                  f"{d.school.name}：", f"{d.school.year_label}资助结果告知书已收到，内容已知悉。",
                  f"学生 {s.name}（身份证号 {_masked(s)}，{grade_label(s)}），资助合计 {format_fen(r.total_fen)} 元。",
                  "家长签字：＿＿＿＿＿＿＿＿", "日期：＿＿＿＿年＿＿月＿＿日"]
        out.append(lines)
    return out

def base_letters(path, letters):
    from reportlab.pdfgen.canvas import Canvas

    from core.exports.pdf_common import FONT, register_fonts
    register_fonts()
    c = Canvas(str(path))
    for lines in letters:
        y = 800
        for line in lines:
            c.setFont(FONT, 12)
            c.drawString(40, y, line)   # long lines: one drawString (no wrapping), the raw cost
            y -= 20
        c.showPage()
    c.save()

def _hash_all(folder):
    for p in sorted(folder.iterdir()):
        hashlib.sha256(p.read_bytes()).hexdigest()


def _package(folder, d):
    from core.exports.notice import write_notice_pdf
    from core.exports.report import write_report
    from core.exports.workbook import write_workbook
    write_workbook(folder / "w.xlsx", d)
    write_report(folder / "r.pdf", d)
    write_notice_pdf(folder / "n.pdf", d)
    _hash_all(folder)


def _package_base(folder, d):
    base_workbook(folder / "w.xlsx", d)
    base_pdf(folder / "n.pdf", strings_of_package(d))
    _hash_all(folder)


def _ours(name):
    def run(folder, d, keys):
        from core.exports import letters, notice, workbook
        {"workbook": lambda: workbook.write_workbook(folder / "w.xlsx", d),
         "notice_pdf": lambda: notice.write_notice_pdf(folder / "n.pdf", d),
         "notice_xlsx": lambda: notice.write_notice_xlsx(folder / "n.xlsx", d),
         "letters": lambda: letters.write_letters(folder / "l.pdf", d, keys=keys)}[name]()
    return run


CASES = {
    "package": lambda folder, d, keys: _package(folder, d),
    "package_base": lambda folder, d, keys: _package_base(folder, d),
    "workbook_base": lambda folder, d, keys: base_workbook(folder / "w.xlsx", d),
    "notice_base": lambda folder, d, keys: base_pdf(folder / "n.pdf", strings_of_package(d)),
    "letters_base": lambda folder, d, keys: base_letters(folder / "l.pdf", letter_strings(d, keys)),
    **{name: _ours(name) for name in ("workbook", "notice_pdf", "notice_xlsx", "letters")},
}


def main():
    case, n = sys.argv[1], int(sys.argv[2])
    folder = Path(tempfile.mkdtemp(prefix="zizhu-exports-"))
    keys = None
    if case.startswith("letters"):
        d = data_for(50000)
        keys = [s.key for s, r in d.pairs() if r.granted][:n]
    else:
        d = data_for(n)
    import core.exports.letters
    import core.exports.notice
    import core.exports.report
    import core.exports.workbook  # noqa: F401 - imported before the clock starts
    from core.exports.pdf_common import register_fonts
    register_fonts()
    before = rss_mb()
    t0 = time.perf_counter()
    CASES[case](folder, d, keys)
    print(f"{case} {n} {time.perf_counter() - t0:.2f}s peak+{rss_mb() - before:.0f}MB")


if __name__ == "__main__":
    main()
