"""导入政策文件… / 导出政策文件… on the 政策 page (placeholder until the file API lands)."""
from __future__ import annotations

from typing import Any


class PolicyFiles:
    def __init__(self, page: Any) -> None:
        self.page = page

    def import_file(self) -> None:
        pass

    def export_file(self) -> None:
        pass
