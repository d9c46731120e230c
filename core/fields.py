"""The catalogue of student fields: one entry per field, from which the import
columns (``core.records.STUDENT_COLUMNS``), the student form's fields, the
student list's data columns and every read shape of a student are derived:
the engine's record (``engine``), the checks' facts (``checked``,
``core.checks.StudentFacts``), the exports' student (``exported``,
``core.exports.data.StudentInfo``), the list's row (``listed``,
``db.views.StudentRow``) and the 告知书 page's row (``lettered``,
``db.views.LetterRow``). db/ reads exactly the flagged columns into each shape.
Adding a field is one entry here (plus its database column); a flag on a shape
whose dataclass lacks the attribute fails at once (``tests/test_fields.py``
checks every shape against the catalogue), since a rule, an exporter or a page
must then decide what to do with the new value.

``name`` is the stored field (``db.models.Student`` column); ``label`` the
Chinese label of the form and the list; ``header``/``synonyms``/``required``
the import column (``import_as`` when the importer's field name differs from
the stored one: fees are imported in yuan as "tuition", stored as fen);
``kind`` the value's type (the form's widget); ``edit`` who may change it.
"""
from __future__ import annotations

from dataclasses import dataclass

# kinds
TEXT, ID, GENDER, STAGE, CATEGORY, LOCATION, OWNERSHIP, CHECK, FEE, GRANTS = (
    "text", "id", "gender", "stage", "category", "location", "ownership", "check", "fee", "grants")
# who may edit
CLERK = "clerk"      # the form and an import
IMPORT = "import"    # an import only (not on the form)

BASIC, FAMILY, MONEY = "基本信息", "家庭信息", "费用与贷款"


@dataclass(frozen=True)
class StudentField:
    name: str                         # stored field
    label: str                        # Chinese label (form, list)
    kind: str = TEXT
    edit: str = CLERK
    group: str = ""                   # the form's group ("" = not on the form)
    header: str = ""                  # import column header ("" = the label)
    synonyms: tuple[str, ...] = ()
    required: bool = False            # an import without this column stops
    import_as: str = ""               # the importer's field name ("" = ``name``)
    engine: bool = False              # the engine reads it (core.domain.StudentRecord)
    listed: bool = False              # a column of the student list (db.views.StudentRow)
    checked: bool = False             # the checks read it (core.checks.StudentFacts)
    exported: bool = False            # the exports print it (core.exports.data.StudentInfo)
    lettered: bool = False            # the 告知书 page shows it (db.views.LetterRow)
    placeholder: str = ""

    @property
    def import_field(self) -> str:
        return self.import_as or self.name

    @property
    def import_header(self) -> str:
        return self.header or self.label


STUDENT_FIELDS: tuple[StudentField, ...] = (
    StudentField("name", "姓名", group=BASIC, synonyms=("学生姓名",), required=True,
                 engine=True, listed=True, checked=True, exported=True, lettered=True),
    StudentField("id_number", "身份证号", ID, group=BASIC,
                 synonyms=("身份证号码", "公民身份号码", "证件号码", "学生身份证号"),
                 required=True, placeholder="18位公民身份号码",
                 engine=True, listed=True, checked=True, exported=True, lettered=True),
    StudentField("gender", "性别", GENDER, group=BASIC, listed=True, checked=True, exported=True),
    StudentField("birth_date", "出生日期", group=BASIC, synonyms=("出生年月",), placeholder="由身份证号自动填写",
                 checked=True),
    StudentField("student_no", "学籍号", group=BASIC, synonyms=("全国学籍号",), checked=True, exported=True),
    StudentField("stage", "学段", STAGE, group=BASIC, synonyms=("就读学段",), required=True,
                 engine=True, listed=True, checked=True, exported=True),
    StudentField("grade", "年级", group=BASIC, listed=True, checked=True, exported=True, lettered=True),
    StudentField("class_name", "班级", group=BASIC, listed=True, exported=True),
    StudentField("location", "就读地", LOCATION, group=BASIC, synonyms=("是否外地就学",),
                 engine=True, listed=True, checked=True, exported=True),
    StudentField("ownership", "学校性质", OWNERSHIP, group=BASIC, synonyms=("办学性质",),
                 engine=True, checked=True, exported=True),
    # (not 学籍类型 nor 学习形式: a student-records export has them, with other words (正式学籍, 借读), often
    # left of the column the clerk added, and the first matching column wins)
    StudentField("full_time", "全日制正式学籍", CHECK, group=BASIC, header="是否全日制正式学籍",
                 synonyms=("全日制正式学籍", "是否全日制", "全日制", "是否全日制学籍", "是否为全日制",
                           "是否为全日制正式学籍", "是否具有全日制正式学籍"),
                 engine=True, checked=True),
    StudentField("category", "家庭类别", CATEGORY, group=FAMILY,
                 synonyms=("困难类型", "困难类别", "家庭经济困难类别", "家庭经济困难类型", "家庭困难类型",
                           "家庭困难类别", "资助对象类别", "资助对象类型"),
                 engine=True, listed=True, checked=True, exported=True),
    StudentField("household_no", "户编号", group=FAMILY, exported=True),
    StudentField("head_name", "户主姓名", group=FAMILY, synonyms=("户主", "家长姓名", "家长", "监护人", "监护人姓名"),
                 exported=True, lettered=True),
    StudentField("relation", "与户主关系", group=FAMILY),
    StudentField("township", "乡镇", group=FAMILY, synonyms=("乡(镇)",), exported=True),
    StudentField("village", "村", group=FAMILY, synonyms=("行政村",), exported=True),
    StudentField("phone", "联系电话", group=FAMILY, synonyms=("家长电话",), exported=True),
    StudentField("tuition_fen", "实收学费（元）", FEE, group=MONEY, header="实收学费", synonyms=("学费",),
                 import_as="tuition", placeholder="空白表示未填写", engine=True, checked=True, exported=True),
    StudentField("textbook_fen", "实收书本费（元）", FEE, group=MONEY, header="实收书本费",
                 synonyms=("书本费", "教材费"), import_as="textbook", placeholder="空白表示未填写",
                 engine=True, checked=True),
    StudentField("lodging_fen", "实收住宿费（元）", FEE, group=MONEY, header="实收住宿费", synonyms=("住宿费",),
                 import_as="lodging", placeholder="空白表示未填写", engine=True, checked=True),
    StudentField("has_loan", "已办生源地助学贷款", CHECK, group=MONEY, header="生源地助学贷款",
                 synonyms=("已办生源地助学贷款", "是否办理生源地助学贷款", "是否办理生源地贷款", "是否办理助学贷款",
                           "生源地贷款", "生源地信用助学贷款", "是否贷款", "是否生源地贷款"),
                 engine=True, checked=True),
    StudentField("loan_contract_no", "贷款合同号", group=MONEY,
                 synonyms=("合同编号", "合同号", "贷款合同编号", "助学贷款合同号", "助学贷款合同编号"), checked=True),
    StudentField("prior_grants", "往年已享受就学扶助", GRANTS, edit=IMPORT, import_as="prior_loan_aid",
                 synonyms=("已享受一次性就学扶助", "已享受生源地贷款一次性就学扶助"), engine=True, checked=True),
    StudentField("bank_name", "开户银行", group=MONEY),
    StudentField("bank_card", "银行卡号", group=MONEY, synonyms=("社保卡号",), exported=True),
)
FIELDS: dict[str, StudentField] = {f.name: f for f in STUDENT_FIELDS}

# What each shape holds of a stored student, in catalogue order.
ENGINE_FIELDS: tuple[str, ...] = tuple(f.name for f in STUDENT_FIELDS if f.engine)   # core.records.student_record
CHECK_FIELDS: tuple[str, ...] = tuple(f.name for f in STUDENT_FIELDS if f.checked)
EXPORT_FIELDS: tuple[str, ...] = tuple(f.name for f in STUDENT_FIELDS if f.exported)
LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in STUDENT_FIELDS if f.listed)
LETTER_FIELDS: tuple[str, ...] = tuple(f.name for f in STUDENT_FIELDS if f.lettered)
# Stored by the importer, not edited on the form: the ID as it stood in the file, whether it came
# from a numeric cell (digits lost), and a 全日制正式学籍 cell it could not read, as typed (the form
# clears it when the clerk chooses 是 or 否). The checks read them (ID_INVALID, ID_NUMERIC_CELL,
# VALUE_UNREADABLE); no export prints them, no seal covers the last (core.seal).
IMPORTER_FIELDS: tuple[str, ...] = ("id_raw", "id_numeric_cell", "full_time_text")


def form_groups() -> list[tuple[str, tuple[StudentField, ...]]]:
    """The student form: its groups in order, each with the fields the clerk may edit."""
    groups: dict[str, list[StudentField]] = {}
    for f in STUDENT_FIELDS:
        if f.group and f.edit == CLERK:
            groups.setdefault(f.group, []).append(f)
    return [(title, tuple(fields)) for title, fields in groups.items()]


def listed_fields() -> tuple[StudentField, ...]:
    """The data columns of the student list, in catalogue order."""
    return tuple(f for f in STUDENT_FIELDS if f.listed)
