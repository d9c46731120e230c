"""Logging to a rotating file; personal numbers and the names beside them are masked.

Every record passes ``mask_personal`` (message, arguments, tracebacks): a log
file copied off a shared school PC shows no child's ID number, no parent's
phone or bank card, and no name written next to an ID.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

# What may stand between an ID's digits as the program reads one (core.idnumber.normalize_id): spaces of
# any kind but a line break (tab, no-break, ideographic, zero-width), dashes, underscores, quotes.
_SEP = "[ \t\u00a0\u2000-\u200d\u202f\u205f\u2060\u3000\ufeff\\-_'\u2018\u2019`\uff0d\uff3f]"
# A run of 11 to 19 digits (Unicode digits, so full-width ones too), up to eight separators between
# two of them, optionally ending in the ID check character X. The run ends where no digit follows within
# eight separators (bounded as the run is: an unbounded look-ahead made some long lines quadratic).
# The run is taken whole: a longer one is split at its separators (a backup's time stamp
# 20261201-141500-123456 keeps its short parts; "ID-ID" masks both).
_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a])(?<!\d" + _SEP + ")"
                        r"\d(?:" + _SEP + r"{0,8}\d){10,}(?:" + _SEP + r"?[Xx\uff38\uff58])?"
                        r"(?![0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a])(?!" + _SEP + r"{1,8}\d)")
# An ID number run into ASCII letters ("sfz422822200803010113.xlsx", a file name quoted by a message):
# exactly 18 characters (17 digits and a digit or X) or 15 digits, whatever letter stands beside.
_ID_IN_WORD = re.compile(r"(?<!\d)(?:\d{17}[\dXx\uff38\uff58]|\d{15})(?!\d)")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NAME_BEFORE = re.compile(rf"(?<![{_CJK}])([{_CJK}]{{2,4}})([ \t:：(（,，_\-]?\s*)(?=\u0000)")
_NAME_AFTER = re.compile(rf"(?<=\u0001)([ \t)）,，_\-]*\s?)([{_CJK}]{{2,4}})(?![{_CJK}])")
# Words that stand before a number in our own messages; they are labels, not names.
_LABELS = frozenset({"身份证号", "身份证", "证件号码", "证件号", "号码", "学号", "学籍号", "手机", "手机号",
                     "电话", "银行卡", "卡号", "账号", "户编号", "户号", "编号", "学生", "家长", "户主",
                     "重复", "号为", "身份证号为", "证号"})


def _mask_number(text: str) -> str:
    digits = re.sub(_SEP, "", text)
    n = len(digits)
    parts = re.split(f"({_SEP}+)", text)
    if n > 19 and len(parts) > 1:     # several numbers joined ("ID-ID"), or a time stamp: each long part
        return "".join(_mask_number(part) if sum(ch.isdigit() for ch in part) >= 11 else part for part in parts)
    if n in (15, 18):                              # resident ID (18, or the old 15)
        keep_head, keep_tail = 6, 4
    elif n == 11 and digits[0] in "1１":             # mobile phone
        keep_head, keep_tail = 3, 4
    else:                                          # bank card (16-19) or any other long number (20+ digits
                                                   # without a separator too)
        keep_head, keep_tail = 4, 4
    return digits[:keep_head] + "*" * (n - keep_head - keep_tail) + digits[-keep_tail:]


def _mask_name(name: str) -> str:
    return name if name in _LABELS else name[0] + "*" * (len(name) - 1)


def _marked(m: re.Match[str]) -> str:
    return "\u0000" + _mask_number(m.group(0)) + "\u0001"


def mask_personal(text: str) -> str:
    """Mask ID numbers (18 or 15 characters, also written with spaces or dashes),
    phone and bank-card numbers, and a 2–4 character Chinese name written right
    next to an ID number ("张三 110101…", "张三（110101…）", "110101… 张三")."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    marked = _NUMBER_RE.sub(_marked, text)
    marked = _ID_IN_WORD.sub(_marked, marked)
    if "\u0000" not in marked:
        return text
    marked = _NAME_BEFORE.sub(lambda m: _mask_name(m.group(1)) + m.group(2), marked)
    marked = _NAME_AFTER.sub(lambda m: m.group(1) + _mask_name(m.group(2)), marked)
    return marked.replace("\u0000", "").replace("\u0001", "")


class MaskIdsFilter(logging.Filter):
    """Mask personal numbers in the rendered message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            msg = f"{record.msg!r} {record.args!r}"
        masked = mask_personal(msg)
        if masked != msg or record.args:
            record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the final text, tracebacks and exception messages included."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal(super().format(record))


class _SharedRotatingHandler(RotatingFileHandler):
    """A rotating file that another process may hold open (a second window, a command beside the
    GUI). On Windows renaming a file another process holds fails (WinError 32): the stock handler
    then lost every later record, each trying the rename again, and shifted the older files first,
    dropping one at each try. Here the file is first moved aside, and the older ones shifted only
    once that succeeded; when it fails the records go on to the same file and the rotation is tried
    again a minute later."""

    retry_after = 60.0
    _retry_at = 0.0

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        if time.monotonic() < self._retry_at:
            return False
        return bool(super().shouldRollover(record))

    def doRollover(self) -> None:
        if self.stream:
            self.stream.close()
            self.stream = None
        aside = f"{self.baseFilename}.rotating"
        try:
            self.rotate(self.baseFilename, aside)       # (os.rename: refused while another process holds it)
        except OSError:
            self._retry_at = time.monotonic() + self.retry_after
        else:
            with contextlib.suppress(OSError):          # (the older files: this process's own to shift)
                for i in range(self.backupCount - 1, 0, -1):
                    older = self.rotation_filename(f"{self.baseFilename}.{i}")
                    if os.path.exists(older):
                        os.replace(older, self.rotation_filename(f"{self.baseFilename}.{i + 1}"))
            try:
                os.replace(aside, self.rotation_filename(self.baseFilename + ".1"))
            except OSError:
                self._retry_at = time.monotonic() + self.retry_after
        if not self.delay:
            self.stream = self._open()


_handler: RotatingFileHandler | None = None


def current_log_file() -> Path | None:
    """The file ``setup_logging`` logs to now (None before it was called)."""
    return Path(_handler.baseFilename) if _handler is not None else None


def stop_logging() -> None:
    """Close the file ``setup_logging`` opened and log to no file (a self-test run before any logging
    was set up: its folder, log included, is then removed; Windows refuses to delete an open file)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


def setup_logging(folder: Path, level: int = logging.INFO, name: str = "zizhu.log") -> Path:
    """Log to ``folder``/``name`` (one file handler; a second call moves it). A process of its own (the
    GUI's worker process) logs to a file of its own: two processes rotating one file would collide."""
    global _handler
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    root = logging.getLogger()
    root.setLevel(level)
    if _handler is not None:
        if _handler.baseFilename == str(path.resolve()):
            return path
        stop_logging()
    # (errors: a file name that is no valid UTF-8 on Linux, a lone surrogate, logged escaped, not a "Logging error")
    _handler = _SharedRotatingHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8",
                                      errors="backslashreplace")
    _handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _handler.addFilter(MaskIdsFilter())
    root.addHandler(_handler)
    return path
