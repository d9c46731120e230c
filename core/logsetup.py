"""Logging to a rotating file; ID numbers are masked in every record."""
from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

from core.idnumber import mask_id

_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


class MaskIdsFilter(logging.Filter):
    """Replace anything shaped like an 18-character ID with its masked form."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = _ID_RE.sub(lambda m: mask_id(m.group(0)), msg)
        if masked != msg:
            record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks ID numbers in the final text, tracebacks and exception messages included."""

    def format(self, record: logging.LogRecord) -> str:
        return _ID_RE.sub(lambda m: mask_id(m.group(0)), super().format(record))


_handler: RotatingFileHandler | None = None


def setup_logging(folder: Path, level: int = logging.INFO) -> Path:
    """Log to ``folder``/zizhu.log (one file handler; a second call moves it)."""
    global _handler
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "zizhu.log"
    root = logging.getLogger()
    root.setLevel(level)
    if _handler is not None:
        if _handler.baseFilename == str(path.resolve()):
            return path
        root.removeHandler(_handler)
        _handler.close()
    _handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    _handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _handler.addFilter(MaskIdsFilter())
    root.addHandler(_handler)
    return path
