"""The command line speaks Chinese: argparse's usage prefix, section titles, -h and its errors (found by
review, session 15: all were English)."""
from __future__ import annotations

import re

import pytest

from cli.commands import build_parser, run
from cli.parser import chinese_error


def test_help_is_chinese(capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["import", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：zizhu import") and "显示本帮助并退出" in out and "选项" in out
    assert not re.search(r"usage|positional arguments|show this help|options:", out)


@pytest.mark.parametrize(("argv", "said"), [
    (["import", "students"], "缺少必须给出的参数：file"),
    (["compute", "--bogus"], "无法识别的参数：--bogus（全局选项如 --db 要写在命令名之前）"),
    (["import", "foo", "x.xlsx"], "参数 kind 的值 'foo' 无效，可选："),
    (["demo", "--students", "abc"], "参数 --students：应为正整数"),
    (["demo", "--students", "-3"], "参数 --students：应为正整数，而不是 -3"),
    (["demo", "--students", "0"], "应为正整数"),
    (["check", "--json=3"], "参数 --json 不带值：请去掉“=3”"),
    (["consolidate", "view", "p.zip", "--students", "-3"], "参数 --students：应为 0 或正整数，而不是 -3"),
    (["policy"], "缺少必须给出的参数：子命令"),
])
def test_errors_are_chinese_and_exit_2(argv, said, capsys, tmp_path):
    with pytest.raises(SystemExit) as done:
        run(["--db", str(tmp_path / "x.sqlite"), *argv])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：") and "错误：" in err and said in err
    assert "error:" not in err and "usage:" not in err


def test_argparse_messages_by_pattern():
    assert chinese_error("argument --count: invalid int value: 'x'") == "参数 --count 的值 'x' 无效（应为整数）"
    assert chinese_error("argument --db: expected one argument") == "参数 --db 后面需要一个值"
    assert chinese_error("something new") == "something new"      # unknown: as argparse says it
