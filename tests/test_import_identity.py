"""An import stores exactly what it stored before the column-at-a-time fast paths (issue 13).

One generated student list and one roster, holding every kind of problem row (bad, short, old,
future, lowercase-x, spaced, full-width and numeric ID cells, bad values in every parsed column,
footer, total and repeated-header rows, empty names), are imported into a new database; every
stored column of every imported row, the import problems, the initials and the audit entries
(their fields; the chain's verification too) are compared with tests/data/import-identity.json,
written by the code before the change (``python -m tests.test_import_identity`` writes it anew).
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import text

from core.idnumber import make_id
from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS

GOLDEN = Path(__file__).parent / "data" / "import-identity.json"
# Columns that hold the time of the import: compared as "present", not by value.
_TIMES = {"created_at", "updated_at", "at"}


def _ids(n: int, year: int = 2008) -> list[str]:
    return [make_id("422822", date(year, 1 + i % 12, 1 + i % 28), 1 + i) for i in range(n)]


def _with_x(year: int) -> str:
    """A valid ID whose check digit is X."""
    return next(n for n in (make_id("422822", date(year, 3, 4), q) for q in range(1, 999)) if n.endswith("X"))


def _bad_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def _student_rows() -> list[list]:
    good = _ids(40)
    future = make_id("422822", date(2099, 1, 2), 5)
    old_year = "422822" + "18991231" + "123" + "0"
    rows: list[list] = []
    values = [("男", "2008-01-01", "G001", "普通高中", "高一", "1班", "本地", "公办", "是", "一般家庭",
               "H1", "张父", "父子", "业州镇", "高坪村", "13800000000", 1200, 300.5, 0, "否", "", "否",
               "农商行", "6222000000000000000")]
    ids = [good[0], _with_x(2008).lower(), " " + good[2][:6] + " " + good[2][6:] + " ",
           good[3][:8] + "-" + good[3][8:], good[4].translate(str.maketrans("0123456789", "０１２３４５６７８９")),
           _bad_check(good[5]), future, "42282220080230001X", old_year, good[6][:17],
           "422822080101001", int(good[7][:15]), float(good[8][:15]), "4.22822E+17", "",
           good[9] + "1", "42282A20080101001X", good[10], good[11], good[12]]
    names = ["张三", "李 四", "王\u3000五", "", "赵六", "钱七", "孙八", "周九", "吴十", "郑一",
             "冯二", "陈三", "褚四", "卫五", "蒋六", "沈七", "韩八", "杨九", "朱十", "秦一"]
    for i, (name, idn) in enumerate(zip(names, ids, strict=True)):
        row = [name, idn, *values[0]]
        rows.append(row)
        if i == 17:   # bad values in every parsed column
            rows.append(["尤二", good[13], "男女", 38500, 123456789012345678, "大学", "九年级", "",
                         "外省", "私立", "也许", "特困", "H2", "  尤 父 ", "母子", "", "", "", "一千",
                         -5, "12.345", "可能", "", "或许", "", 6.222e18])
    for i, idn in enumerate(good[14:30]):   # plain rows, shared names (initials once per name)
        rows.append([["曾单", "覃长", "单于", "张三"][i % 4], idn, "女" if i % 2 else "男", "", "", "学前教育",
                     "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    rows.append(["姓名", "身份证号", "性别"])                    # a repeated header
    rows.append(["合计", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", 2400])
    rows.append(["制表人：张三", "", "审核人：李四"])
    rows.append(["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
                 "", "", "", "填表说明：…"])
    rows.append(["", _bad_check(good[30])])                     # an ID without a name
    return [[c.header for c in STUDENT_COLUMNS], *rows]


def _roster_rows() -> list[list]:
    good = _ids(60, 1980)
    rows: list[list] = [[c.header for c in ROSTER_COLUMNS]]
    ids = [good[0], _with_x(1980).lower(), " " + good[2] + " ", good[3].translate(str.maketrans("0123", "０１２３")),
           _bad_check(good[4]), make_id("422822", date(2099, 5, 6), 7), "42282219800230001X",
           good[5][:17], "422822800101001", int(good[6][:15]), "4.22822E+17", "", good[7] + "0",
           good[8][:10] + "_" + good[8][10:], 1234]
    for i, idn in enumerate(ids):
        rows.append(["建始县", "业州镇", f"村{i % 3}", f"H{i}", ["张三", "", "李 四"][i % 3], idn, "户主",
                     ["在校生", "", 3][i % 3], ["一中", "", 7.0][i % 3]])
    for i, idn in enumerate(good[20:50]):
        rows.append(["建始县", "", "", f"H{100 + i}", f"人{i}", idn, "", "", ""])
    rows.append(["合计", "", "", "", "", "", "", "", ""])
    rows.append(["", "", "", "", "制表人：张三", "", "", "", ""])
    rows.append(["县(市、区)", "乡(镇)", "行政村", "户编号", "姓名", "证件号码"])
    return rows


def _write(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["2023年名单"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def snapshot(db, tmp: Path) -> dict:
    """Import both files into ``db``; every stored column of the rows and the audit entries."""
    from db.audit import audit_chain_status
    from db.workflows import run_import
    run_import(db, "students", _write(tmp / "students.xlsx", _student_rows()), actor="tester")
    run_import(db, "roster", _write(tmp / "roster.xlsx", _roster_rows()), actor="tester")
    out: dict = {}
    with db.session() as s:
        for table in ("student", "roster_person", "audit_log"):
            result = s.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            keys = list(result.keys())
            out[table] = [{k: ("<time>" if k in _TIMES and v is not None else v)
                           for k, v in zip(keys, row, strict=True)
                           if k not in ("hash", "prev_hash")}
                          for row in result]
        out["chain_intact"] = audit_chain_status(s).intact
    out["audit_log"] = [e for e in out["audit_log"] if e["entity"] in ("student", "roster")]
    return out


def test_an_import_stores_what_it_stored_before(db, tmp_path):
    got = snapshot(db, tmp_path)
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got["chain_intact"] is True
    assert len(got["student"]) == len(want["student"]) > 30
    assert len(got["roster_person"]) == len(want["roster_person"]) > 40
    for table in ("student", "roster_person", "audit_log"):
        for g, w in zip(got[table], want[table], strict=True):
            assert g == w
    assert got == want


if __name__ == "__main__":     # write the golden file with the code as it stands
    import tempfile

    from db.session import open_database
    with tempfile.TemporaryDirectory() as d:
        database = open_database(Path(d) / "g.sqlite")
        snap = snapshot(database, Path(d))
        database.close()
    GOLDEN.write_text(json.dumps(snap, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}: {len(snap['student'])} students, {len(snap['roster_person'])} roster", file=sys.stderr)
