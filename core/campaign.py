"""Where the hundred-day campaign stands on a given day (for the dashboard)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.policy import Policy


def month_day(day: date) -> str:
    """"06月05日". Written out, not ``f"{day:%m月%d日}"``: a date format with Chinese characters goes
    through the C library's ``strftime`` on Windows, in the locale's character set, which is "C" in the
    frozen program (PyInstaller starts Python isolated, without the user's locale): UnicodeEncodeError
    there, though it works on Linux and in a plain ``python`` on Chinese Windows."""
    return f"{day.month:02d}月{day.day:02d}日"


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
            return f"进行中，还剩 {self.days_left} 天（{month_day(self.end)}截止）"
        if self.state == "upcoming":
            return f"未开始（{month_day(self.start)}开始）"
        return f"已结束（{month_day(self.end)}）"


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


# -- the campaign's steps (工作台's checklist) ------------------------------------------

STEP_DONE, STEP_NEXT, STEP_TODO = "done", "next", "todo"
STEP_STATE_LABELS = {STEP_DONE: "已完成", STEP_NEXT: "下一步", STEP_TODO: "待办"}


@dataclass(frozen=True)
class CampaignFacts:
    """What the checklist reads (gathered by db.views.snapshot)."""
    students: int = 0                       # on the list
    roster: int = 0
    unset: tuple[str, ...] = ()             # Chinese names of every unset parameter
    unset_needed: tuple[str, ...] = ()      # … of those the students on the list need
    first_setting: str = ""                 # the key of the first parameter to fill in
    checked_at: str = ""                    # the last check run ("" never)
    open_errors: int = 0
    open_warnings: int = 0
    verified: int = 0
    hardship: int = 0                       # students whose 家庭类别 is not 非困难
    letters_due: int = 0                    # students with a granted item
    letters_printed: int = 0
    exported_at: str = ""                   # the last final (正式) export ("" never)
    changed_since_export: bool = False      # data a package carries changed after that export


@dataclass(frozen=True)
class Step:
    key: str            # policy, students, roster, check, findings, verify, letters, export
    title: str
    done: bool
    detail: str         # the state in words ("已核准 120 / 300 名学生")
    state: str = STEP_TODO
    target: str = ""    # policy: the parameter to open 设置 at

    @property
    def state_label(self) -> str:
        return STEP_STATE_LABELS[self.state]


def _policy_step(f: CampaignFacts) -> tuple[bool, str]:
    if f.unset_needed:
        return False, f"未设置{'、'.join(f.unset_needed)}：本校学生的相关资助显示“待补充”"
    if not f.unset:
        return True, "政策参数已设置"
    if f.students:
        return True, f"本校学生用不到未设置的{'、'.join(f.unset)}"
    return False, f"未设置{'、'.join(f.unset)}（本校没有这些学段的学生可不填）"


def _letters_step(f: CampaignFacts, checked: bool) -> tuple[bool, str]:
    """Done when every due letter is printed. Nobody subsidised is "done" only when it can be
    true: the checks ran on a list that has students in hardship. A list where every student
    is 非困难 almost always lost its 家庭类别 column on import, so it is never "done"."""
    if not f.students:
        return False, "核准后打印给家庭"
    if f.letters_due:
        return f.letters_printed >= f.letters_due, f"已打印 {f.letters_printed} / {f.letters_due} 份"
    if not f.hardship:
        return False, "没有享受资助的学生：名单中全部是“非困难”，请核对导入时是否识别到“家庭类别”列"
    if not checked:
        return False, "没有享受资助的学生：运行核查后再确认"
    return True, "没有享受资助的学生，不需要告知书"


def campaign_steps(f: CampaignFacts) -> list[Step]:
    """设置政策 → 导入学生名单 → 导入建档立卡名单 → 运行核查 → 处理问题 → 核准 → 告知书 → 导出上报,
    each with its state in words; the first one not done is the next step."""
    have = f.students > 0
    checked = have and bool(f.checked_at)
    policy_done, policy_detail = _policy_step(f)
    if not have:
        problems = "导入学生名单并核查后处理"
    elif not checked:
        problems = "先运行核查"
    elif f.open_errors:
        problems = f"未处理：错误 {f.open_errors} 个，警告 {f.open_warnings} 个（错误须改正或接受）"
    else:
        problems = "没有未处理的错误" + (f"；还有警告 {f.open_warnings} 个，请核对" if f.open_warnings else "")
    letters_done, letters = _letters_step(f, checked)
    rows = [
        ("policy", "设置政策", policy_done, policy_detail),
        ("students", "导入学生名单", have, f"已导入 {f.students} 名学生" if have else "尚未导入"),
        ("roster", "导入建档立卡名单", f.roster > 0,
         f"名单共 {f.roster} 人" if f.roster else "尚未导入（比对家庭类别需要它）"),
        ("check", "运行核查", checked, f"上次核查：{f.checked_at}" if checked else "尚未运行"),
        ("findings", "处理问题", checked and not f.open_errors, problems),
        ("verify", "核准", have and f.verified >= f.students,
         f"已核准 {f.verified} / {f.students} 名学生" if have else "导入学生名单后逐一核准"),
        ("letters", "告知书", letters_done, letters),
        ("export", "导出上报", bool(f.exported_at) and not f.changed_since_export,
         "尚未正式导出" if not f.exported_at else
         f"已正式导出（{f.exported_at}），之后数据有改动：核准后请重新导出" if f.changed_since_export else
         f"已正式导出（{f.exported_at}）"),
    ]
    steps, found_next = [], False
    for key, title, done, detail in rows:
        state = STEP_DONE if done else STEP_TODO if found_next else STEP_NEXT
        found_next = found_next or not done
        steps.append(Step(key, title, done, detail, state, f.first_setting if key == "policy" else ""))
    return steps
