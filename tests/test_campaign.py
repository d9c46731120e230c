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


def test_the_labels_write_month_and_day_out():
    from core.campaign import month_day
    assert month_day(date(2023, 5, 10)) == "05月10日" and month_day(date(2023, 12, 1)) == "12月01日"
    by = {s.name[:4]: s for s in phase_statuses(default_policy(), 2022, date(2023, 4, 12))}
    assert by["核准信息"].label == "进行中，还剩 28 天（05月10日截止）"
    upcoming = phase_statuses(default_policy(), 2022, date(2023, 1, 1))[0]
    assert upcoming.label == f"未开始（{upcoming.start.month:02d}月{upcoming.start.day:02d}日开始）"
