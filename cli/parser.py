"""The command line's parser: argparse speaking Chinese, no abbreviated options.

argparse writes its own words in English ("usage:", "error: the following arguments are required",
"show this help message and exit"); a clerk reads them here in Chinese: the usage line's prefix, the
sections' titles and -h's help are set, and the errors argparse raises are put in Chinese by their
pattern (any other is shown as argparse says it, after 错误：)."""
from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

_TYPES = {"int": "整数", "float": "数字"}
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"the following arguments are required: (.*)"), "缺少必须给出的参数：{0}"),
    (re.compile(r"unrecognized arguments: (.*)"), "无法识别的参数：{0}（全局选项如 --db 要写在命令名之前）"),
    (re.compile(r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)"), "参数 {0} 的值 {1} 无效，可选：{2}"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.*)"), "参数 {0} 的值 {2} 无效（应为{1}）"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 后面需要一个值"),
    (re.compile(r"argument (\S+): expected at least one argument"), "参数 {0} 后面至少需要一个值"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), "参数 {0} 不能与 {1} 同时使用"),
    (re.compile(r"one of the arguments (.*) is required"), "必须给出其中一个参数：{0}"),
    (re.compile(r"argument (\S+): ignored explicit argument '?(.*?)'?"), "参数 {0} 不带值：请去掉“={1}”"),
    (re.compile(r"argument (\S+): (.*)"), "参数 {0}：{1}"),
)


def chinese_error(message: str) -> str:
    """argparse's error ``message`` in Chinese (as it is when no pattern knows it)."""
    for pattern, text in _ERRORS:
        m = pattern.fullmatch(message)
        if m:
            groups = [_COMMAND.sub("子命令", _TYPES.get(g, g)) for g in m.groups()]
            return text.format(*groups)
    return message


# A subcommand's destination ("policy_command") as argparse names it when none is given
_COMMAND = re.compile(r"\b[a-z]+_command\b")


def positive_int(text: str) -> int:
    """An argument that must be a whole number above zero (a count)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数，而不是“{text}”") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"应为正整数，而不是 {value}")
    return value


def count(text: str) -> int:
    """An argument that is a whole number, zero or more (how many to list)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为 0 或正整数，而不是“{text}”") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"应为 0 或正整数，而不是 {value}")
    return value


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """No abbreviated options (``--pass`` must not mean ``--passphrase-file``), in the
    main parser and, because add_subparsers defaults to the parent's class, in every
    subparser. An unknown option that looks like a passphrase is not echoed back."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["allow_abbrev"] = False
        kwargs["add_help"] = False
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments" in message and "--pass" in message.lower():
            self.print_usage(sys.stderr)
            self.exit(2, "错误：口令不能写在命令行上（命令行会被记录和显示）。\n"
                         "提示：请把口令写在一个文件的第一行，用 --passphrase-file 文件 指定。\n")
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{chinese_error(message)}\n")
