from datetime import date

from core.campaign import campaign_year, phase_statuses
from core.policy import default_policy


def test_phases_on_a_day_in_the_reverification_window():
    st = phase_statuses(default_policy(), 2022, date(2023, 4, 12))
    assert campaign_year(2022) == 2023
    by = {s.name[:4]: s for s in st}
    assert by["动员部署"].state == "active" and by["动员部署"].days_left == 1
    assert by["核准信息"].state == "active" and by["核准信息"].end == date(2023, 5, 10)
    assert "还剩 28 天" in by["核准信息"].label


def test_before_and_after():
    assert {s.state for s in phase_statuses(default_policy(), 2022, date(2023, 1, 1))} == {"upcoming"}
    after = phase_statuses(default_policy(), 2022, date(2023, 7, 1))
    assert {s.state for s in after} == {"done"} and all(s.days_left < 0 for s in after)
    assert "已结束" in after[0].label
