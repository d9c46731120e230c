"""How a finding's severity looks in every list (核查问题, the student list's 问题 column)."""
from __future__ import annotations

from PySide6.QtGui import QColor

SEVERITY_COLORS = {"error": QColor(176, 0, 32), "warning": QColor(160, 100, 0), "info": QColor(60, 90, 140)}
