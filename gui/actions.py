"""Every QAction of the main window, defined once; menus and toolbar are built from here."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QStyle, QToolBar, QWidget

SK = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    tip: str
    shortcuts: tuple[QKeySequence | QKeySequence.StandardKey | str, ...] = ()
    icon: QStyle.StandardPixmap | None = None


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("open_database", "打开数据库…", "打开另一个资助助手数据库文件（.sqlite），关闭当前的数据库",
               (SK.Open,), QStyle.StandardPixmap.SP_DialogOpenButton),
    ActionSpec("new_database", "新建数据库…", "新建一个空的数据库（例如另一所学校），关闭当前的数据库",
               (SK.New,), QStyle.StandardPixmap.SP_FileIcon),
    ActionSpec("open_demo", "打开演示数据库", "打开单独的演示数据库（虚构的学校和学生，用来熟悉软件，不影响正式数据）"),
    ActionSpec("back_to_real", "返回正式数据库", "关闭演示数据库，回到正式数据库",
               (), QStyle.StandardPixmap.SP_ArrowBack),
    ActionSpec("import_students", "导入学生名单", "从 Excel/CSV 文件导入或更新学生名单",
               ("Ctrl+I",), QStyle.StandardPixmap.SP_FileDialogStart),
    ActionSpec("import_roster", "导入建档立卡名单", "导入扶贫部门提供的建档立卡名单",
               (), QStyle.StandardPixmap.SP_FileDialogContentsView),
    ActionSpec("import_payments", "导入发放记录", "导入发放记录（身份证号、项目、金额），核对应发与实发",
               (), QStyle.StandardPixmap.SP_FileDialogInfoView),
    ActionSpec("import_feedback", "导入反馈包…",
               "导入乡镇扶贫工作站或教育体育局发回的签名反馈包，问题显示在“核查问题”中",
               (), QStyle.StandardPixmap.SP_FileDialogBack),
    ActionSpec("download_template", "下载导入模板", "保存一份带下拉选项的空白导入模板（Excel）",
               (), QStyle.StandardPixmap.SP_DialogSaveButton),
    ActionSpec("run_check", "运行核查", "比对学生名单、建档立卡名单和资助政策，找出问题（再比对）",
               ("F9",), QStyle.StandardPixmap.SP_DialogApplyButton),
    ActionSpec("export", "导出上报", "导出签名的上报包（Excel、PDF 报告、公示名单）",
               ("Ctrl+E",), QStyle.StandardPixmap.SP_DialogSaveButton),
    ActionSpec("undo", "撤销", "撤销上一次修改", (SK.Undo,), QStyle.StandardPixmap.SP_ArrowBack),
    ActionSpec("redo", "重做", "重做刚撤销的修改", ("Ctrl+Y", "Shift+Ctrl+Z"),
               QStyle.StandardPixmap.SP_ArrowForward),
    ActionSpec("refresh", "刷新", "从数据库重新读取并计算", (SK.Refresh, "F5"),
               QStyle.StandardPixmap.SP_BrowserReload),
    ActionSpec("find", "查找", "在名单中查找姓名、身份证号或拼音首字母", (SK.Find,),
               QStyle.StandardPixmap.SP_FileDialogDetailedView),
    ActionSpec("quit", "退出", "关闭资助助手", (SK.Quit, "Ctrl+Q")),
    ActionSpec("manual", "用户手册", "打开用户手册：从第一次使用到上报、汇总的完整说明（带截图）",
               (SK.HelpContents, "F1"), QStyle.StandardPixmap.SP_DialogHelpButton),
    ActionSpec("open_logs", "打开日志文件夹", "在文件管理器中打开日志文件夹（遇到问题时把日志交给技术支持）"),
    ActionSpec("about", "关于资助助手", "版本、许可、数据文件夹和日志文件夹", (),
               QStyle.StandardPixmap.SP_MessageBoxInformation),
    ActionSpec("receiving", "汇总（接收各校上报包）",
               "乡镇扶贫工作站、中心校和教育体育局：接收各校的上报包，核对、汇总（导航中出现“汇总”页）",
               ("Ctrl+9",), QStyle.StandardPixmap.SP_DirOpenIcon),
)

# The main window's pages in navigation order; Ctrl+1 … Ctrl+8 switch to them.
PAGE_TITLES = ("工作台", "学生名册", "建档立卡名单", "核查问题", "告知书", "导出上报", "政策", "设置")
PAGE_ACTIONS = tuple(f"page_{n}" for n in range(1, len(PAGE_TITLES) + 1))
SPECS += tuple(ActionSpec(name, title, f"转到“{title}”", (f"Ctrl+{n}",))
               for n, (name, title) in enumerate(zip(PAGE_ACTIONS, PAGE_TITLES, strict=True), start=1))

# Actions of other windows, made there with ``make_action`` (their shortcuts are listed here too).
DIALOG_SPECS = {spec.name: spec for spec in (
    ActionSpec("save_student", "保存", "保存对该学生的修改", (SK.Save,)),
)}

# A name starting with "@" is a submenu filled at run time: SUBMENUS gives its title.
SUBMENUS = {"@recent": "最近打开(&R)"}
MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    ("文件(&F)", ("open_database", "new_database", "@recent", "open_demo", "back_to_real", None,
                  "import_students", "import_roster", "import_payments", "import_feedback", "download_template", None,
                  "export",
                  None, "quit")),
    ("编辑(&E)", ("undo", "redo", None, "find")),
    ("核查(&C)", ("run_check",)),
    ("视图(&V)", ("refresh", None, *PAGE_ACTIONS, None, "receiving")),
    ("帮助(&H)", ("manual", None, "open_logs", None, "about")),
)
TOOLBAR: tuple[str | None, ...] = ("import_students", "import_roster", "download_template", None,
                                   "run_check", "export", None, "undo", "redo", None, "refresh", "find")


def _sequences(spec: ActionSpec) -> list[QKeySequence]:
    out: list[QKeySequence] = []
    for sc in spec.shortcuts:
        if isinstance(sc, QKeySequence.StandardKey):
            out.extend(QKeySequence.keyBindings(sc))
        else:
            out.append(QKeySequence(sc))
    unique: list[QKeySequence] = []
    for seq in out:
        if not seq.isEmpty() and all(seq != u for u in unique):
            unique.append(seq)
    return unique


def make_action(spec: ActionSpec | str, parent: QWidget) -> QAction:
    """The QAction of ``spec`` (or of the DIALOG_SPECS entry of that name), owned by ``parent``."""
    if isinstance(spec, str):
        spec = DIALOG_SPECS[spec]
    act = QAction(spec.text, parent)
    act.setObjectName("action_" + spec.name)
    act.setStatusTip(spec.tip)
    act.setToolTip(spec.tip)
    seqs = _sequences(spec)
    if seqs:
        act.setShortcuts(seqs)
        act.setToolTip(f"{spec.tip}（{seqs[0].toString(QKeySequence.SequenceFormat.NativeText)}）")
    if spec.icon is not None:
        act.setIcon(parent.style().standardIcon(spec.icon))
    return act


class ActionCollection:
    """``actions.undo``, ``actions["find"]``: one QAction per spec, owned by ``parent``."""

    def __init__(self, parent: QWidget) -> None:
        self._actions: dict[str, QAction] = {}
        self.submenus: dict[str, QMenu] = {}     # "@recent" -> its QMenu, once the menus are built
        for spec in SPECS:
            self._actions[spec.name] = make_action(spec, parent)

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name]

    def __getattr__(self, name: str) -> QAction:
        try:
            return self.__dict__["_actions"][name]
        except KeyError:
            raise AttributeError(name) from None

    def names(self) -> list[str]:
        return list(self._actions)

    def build_menus(self, bar: QMenuBar) -> None:
        for title, names in MENUS:
            menu = bar.addMenu(title)
            for name in names:
                if name is None:
                    menu.addSeparator()
                elif name in SUBMENUS:
                    sub = menu.addMenu(SUBMENUS[name])
                    sub.setObjectName("menu_" + name[1:])
                    self.submenus[name] = sub
                else:
                    menu.addAction(self[name])

    def build_toolbar(self, bar: QToolBar) -> None:
        for name in TOOLBAR:
            if name is None:
                bar.addSeparator()
            else:
                bar.addAction(self[name])
