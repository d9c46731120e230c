"""``consolidate sample|samples|checklists|result|results-sheet|results-import|report`` (专项核查)."""
import json
import shutil

import pytest
from openpyxl import load_workbook
from pdftext import page_count, pdf_text
from test_spotcheck_db import county  # noqa: F401 - the module fixture: a bureau that accepted two schools

from cli.commands import run


@pytest.fixture
def bureau(tmp_path, county):  # noqa: F811 - the fixture above
    """A copy of the bureau's database (its accepted packages taken in by consolidate add)."""
    return shutil.copy(county, tmp_path / "bureau.sqlite")


def cli(bureau, *args):
    return run(["--db", str(bureau), "consolidate", *map(str, args)])


def test_sample_prints_the_seed_and_the_places_per_school(bureau, tmp_path, capsys):
    capsys.readouterr()
    assert cli(bureau, "sample", "--count", 3, tmp_path / "c.pdf") == 0
    out = capsys.readouterr().out
    assert "已抽取核查样本：抽查编号 1，随机种子 " in out and "自动生成，请记下" in out
    seed = int(out.split("随机种子 ")[1].split("（")[0])
    assert 10_000_000 <= seed < 100_000_000
    assert "4228220101 龙坪乡中心小学：受助 2 人" in out and "4228220102 花坪镇中心小学：受助 2 人" in out
    assert f"随机种子：{seed}" in pdf_text(tmp_path / "c.pdf", 1) and page_count(tmp_path / "c.pdf") == 4
    assert cli(bureau, "sample", "--count", 3, "--seed", seed, tmp_path / "d.pdf") == 0
    def masked_ids(path):
        return [line for line in pdf_text(path).splitlines() if "********" in line]
    assert masked_ids(tmp_path / "d.pdf") == masked_ids(tmp_path / "c.pdf") != []   # the same students again
    assert cli(bureau, "samples") == 0
    assert "抽查编号 2：专项核查" in capsys.readouterr().out


def test_bad_sizes_and_seeds_are_refused_with_a_message(bureau, tmp_path, capsys):
    assert cli(bureau, "sample", "--percent", "0", tmp_path / "c.pdf") == 2
    assert "抽查比例“0”无效" in capsys.readouterr().err
    assert cli(bureau, "sample", "--count", 2, "--seed", -5, tmp_path / "c.pdf") == 2
    assert "随机种子 -5 超出范围" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(bureau, "sample", "--count", 2, "--percent", 5, tmp_path / "c.pdf")   # one or the other
    assert not (tmp_path / "c.pdf").exists()


def test_unannounced_results_and_report(bureau, tmp_path, capsys):
    assert cli(bureau, "sample", "--percent", "50", "--seed", 5, "--unannounced", tmp_path / "c.pdf") == 0
    out = capsys.readouterr().out
    assert "已抽取暗访样本" in out and "不要事先通知学校" in out and "抽取 2 名" in out
    assert cli(bureau, "result", 1, 1, "--point", "资金到账", "--false") == 2
    assert "没有填写说明" in capsys.readouterr().err
    assert cli(bureau, "result", 1, 1, "--point", "资金到账", "--false", "--note", "没有到账") == 0
    assert "已登记：抽查编号 1，1，资金到账：不属实（没有到账）" in capsys.readouterr().out
    assert cli(bureau, "results-sheet", 1, tmp_path / "r.xlsx") == 0
    wb = load_workbook(tmp_path / "r.xlsx")
    ws = wb.active
    assert ws["K5"].value == "不属实" and ws["L5"].value == "没有到账"
    for col in "EGIM":
        ws[f"{col}5"] = "属实"
    wb.save(tmp_path / "r.xlsx")
    assert cli(bureau, "results-import", 1, tmp_path / "r.xlsx", "--dry-run") == 0
    assert "检查通过（未写入）" in capsys.readouterr().out
    assert cli(bureau, "results-import", 1, tmp_path / "r.xlsx") == 0
    assert "已完成核查 1 / 2 名" in capsys.readouterr().out
    assert cli(bureau, "report", 1, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sample"]["unannounced"] is True and doc["totals"]["checked"] == 1
    assert doc["totals"]["points"]["FUNDS"]["false"] == 1
    assert cli(bureau, "report", 1, tmp_path / "report.pdf") == 0
    assert "暗访核查报告" in pdf_text(tmp_path / "report.pdf")
    assert cli(bureau, "report", 1) == 2
    assert cli(bureau, "report", 9, "--json") == 2
    assert "没有抽查编号为 9 的核查样本" in capsys.readouterr().err


def test_a_file_named_for_another_format_is_refused_before_anything_is_kept(bureau, tmp_path, capsys):
    """results-sheet r.csv wrote an .xlsx under that name, and results-import then refused it as a CSV
    that is an Excel file; a sample to s.doc was kept and its PDF written under the .doc name."""
    capsys.readouterr()
    assert cli(bureau, "sample", "--count", 3, tmp_path / "s.doc") == 2
    err = capsys.readouterr().err
    assert "不支持的文件类型“.doc”" in err and "抽查名单和现场核查表请保存为 .pdf 文件" in err
    assert cli(bureau, "samples") == 0 and "抽查编号 1" not in capsys.readouterr().out     # nothing kept
    assert cli(bureau, "sample", "--count", 3, tmp_path / "s.pdf") == 0
    for args, what in ((("results-sheet", 1, tmp_path / "r.csv"), "核查结果登记表请保存为 .xlsx 文件"),
                       (("checklists", 1, tmp_path / "c.xlsx"), "现场核查表请保存为 .pdf 文件"),
                       (("report", 1, tmp_path / "r.doc"), "抽查核查报告请保存为 .pdf 文件"),
                       (("export", tmp_path / "汇总包.pdf"), "汇总包请保存为 .zip 文件")):
        capsys.readouterr()
        assert cli(bureau, *args) == 2, args
        assert what in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file() and not p.name.startswith("bureau.")) == ["s.pdf"]
