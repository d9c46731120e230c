"""A file is written only under its own format's extension: a PDF named .xlsx, or a workbook named
.csv, is refused in Excel (or opened with a warning) and sent on by a clerk who trusts the name."""
import pytest

from cli.commands import run

PASS = "school-secret-1 long enough"


@pytest.fixture
def demo(tmp_path):
    p = tmp_path / "d.sqlite"
    assert run(["--db", str(p), "demo", "--students", "12"]) == 0
    (tmp_path / "pw.txt").write_text(PASS + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize(("argv", "name", "hint"), [
    (["letters"], "告知书.xlsx", "告知书请保存为 .pdf 文件"),
    (["template", "students"], "模板.csv", "导入模板请保存为 .xlsx 文件"),
    (["export", "--draft", "--passphrase-file", "{pw}"], "上报包.pdf", "上报包请保存为 .zip 文件"),
    (["notice"], "公示.docx", "公示名单请保存为 .pdf 或 .xlsx 文件"),
])
def test_a_file_named_for_another_format_is_refused_and_nothing_written(demo, tmp_path, capsys, argv, name, hint):
    target = tmp_path / name
    argv = [a.replace("{pw}", str(tmp_path / "pw.txt")) for a in argv]
    capsys.readouterr()
    assert run(["--db", str(demo), *argv, str(target)]) == 2
    err = capsys.readouterr().err
    assert f"不支持的文件类型“{target.suffix}”：{name}" in err and hint in err
    assert not target.exists()
    assert not list(tmp_path.glob(".~*"))


def test_the_right_extension_in_capitals_is_accepted(demo, tmp_path):
    assert run(["--db", str(demo), "letters", str(tmp_path / "告知书.PDF")]) == 0
    assert (tmp_path / "告知书.PDF").read_bytes().startswith(b"%PDF")
