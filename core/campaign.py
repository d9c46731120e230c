"""Where the hundred-day campaign stands on a given day (for the dashboard)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.policy import Policy


@dataclass(frozen=True)
class PhaseStatus:
    name: str
    start: date
    end: date
    state: str          # "upcoming" | "active" | "done"
    days_left: int      # days until the end (0 on the last day), negative when done

    @property
    def label(self) -> str:
        if self.state == "active":
            return f"进行中，还剩 {self.days_left} 天（{self.end:%m月%d日}截止）"
        if self.state == "upcoming":
            return f"未开始（{self.start:%m月%d日}开始）"
        return f"已结束（{self.end:%m月%d日}）"


def campaign_year(school_year: int) -> int:
    """The campaign runs in the spring of the school year: 2022 (2022–2023) -> 2023."""
    return school_year + 1


def phase_statuses(policy: Policy, school_year: int, today: date) -> list[PhaseStatus]:
    year = campaign_year(school_year)
    out = []
    for p in policy.phases:
        start, end = p.dates(year)
        state = "upcoming" if today < start else "done" if today > end else "active"
        out.append(PhaseStatus(p.name, start, end, state, (end - today).days))
    return out
