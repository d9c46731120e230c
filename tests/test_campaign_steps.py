"""The campaign's checklist (core.campaign.campaign_steps): each step's state in words."""
from core.campaign import CampaignFacts, campaign_steps


def states(facts):
    return {s.key: (s.state, s.detail) for s in campaign_steps(facts)}


def test_empty_database_starts_with_the_policy():
    st = states(CampaignFacts(unset=("公办普通高中学费标准",)))
    assert st["policy"][0] == "next" and "本校没有这些学段的学生可不填" in st["policy"][1]
    assert all(state == "todo" for key, (state, _d) in st.items() if key != "policy")
    assert not any("0 /" in detail for _s, detail in st.values())


def test_parameters_nobody_needs_do_not_block():
    st = states(CampaignFacts(students=30, roster=10, unset=("公办中职学费标准",), checked_at="2026-04-01 10:00"))
    assert st["policy"] == ("done", "本校学生用不到未设置的公办中职学费标准")
    assert st["findings"] == ("done", "没有未处理的错误")
    assert st["verify"] == ("next", "已核准 0 / 30 名学生")


def test_needed_parameter_open_errors_and_letters():
    steps = campaign_steps(CampaignFacts(students=30, roster=10, unset=("公办普通高中学费标准",),
                                         unset_needed=("公办普通高中学费标准",), first_setting="tuition_standard.普通高中",
                                         checked_at="2026-04-01 10:00", open_errors=2, open_warnings=3,
                                         verified=30, letters_due=12, letters_printed=5))
    by = {s.key: s for s in steps}
    assert by["policy"].state == "next" and by["policy"].target == "tuition_standard.普通高中"
    assert "未设置公办普通高中学费标准" in by["policy"].detail
    assert by["findings"].detail.startswith("未处理：错误 2 个，警告 3 个") and not by["findings"].done
    assert by["verify"].done and by["letters"].detail == "已打印 5 / 12 份" and not by["letters"].done


def test_everything_done():
    steps = campaign_steps(CampaignFacts(students=3, roster=3, checked_at="x", verified=3, letters_due=2,
                                         letters_printed=2, exported_at="2026-05-01 09:00"))
    assert all(s.done and s.state == "done" for s in steps)
    assert steps[-1].detail == "已正式导出（2026-05-01 09:00）"
